package itemreader_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/wasmap/wasmap/runner/internal/itemreader"
)

func Example() {
	dir, _ := os.MkdirTemp("", "itemreader-example-")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "orders.jsonl")
	os.WriteFile(path, []byte("{\"id\": 1, \"sku\": \"A-7\"}\r\n\n{\"id\": 2, oops}\n[3, 4]"), 0o644)

	total, _ := itemreader.Count(context.Background(), path, itemreader.Config{})
	fmt.Println("items:", total)

	r, err := itemreader.Open(path, itemreader.Config{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer r.Close()
	for {
		it, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil { // fatal: States.ItemReaderFailed
			fmt.Println(err)
			return
		}
		if it.Err != nil { // this item fails; the others go on
			fmt.Printf("#%d failed: %v\n", it.Index, it.Err)
			continue
		}
		fmt.Printf("#%d (line %d): %s\n", it.Index, it.Line, it.Value)
	}
	// Output:
	// items: 3
	// #0 (line 1): {"id":1,"sku":"A-7"}
	// #1 failed: line 3: invalid character 'o' looking for beginning of object key string
	// #2 (line 4): [3,4]
}

func ExampleOpen_notAnArray() {
	dir, _ := os.MkdirTemp("", "itemreader-example-")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "config.json")
	os.WriteFile(path, []byte(`{"items": [1, 2]}`), 0o644)

	_, err := itemreader.Open(path, itemreader.Config{})
	if re, ok := err.(*itemreader.ReaderError); ok {
		fmt.Printf("{\"Error\":%q,\"Cause\":%q}\n", re.Name(), re.Cause)
	}
	// Output:
	// {"Error":"States.ItemReaderFailed","Cause":"Attempting to map over non-iterable node."}
}

func ExampleOpen_csv() {
	dir, _ := os.MkdirTemp("", "itemreader-example-")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "orders.csv")
	os.WriteFile(path, []byte("id,sku,note\r\n1,A-7,\"fragile, \"\"glass\"\"\"\r\n2,B-1\r\n   \r\n3,C\"4,x\r\n"), 0o644)

	total, _ := itemreader.Count(context.Background(), path, itemreader.Config{})
	fmt.Println("items:", total)

	r, err := itemreader.Open(path, itemreader.Config{InputType: "CSV", CSVHeaderLocation: "FIRST_ROW", CSVDelimiter: "COMMA"})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer r.Close()
	for {
		it, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			fmt.Println(err)
			return
		}
		if it.Err != nil {
			fmt.Printf("#%d failed: %v\n", it.Index, it.Err)
			continue
		}
		fmt.Printf("#%d (line %d): %s\n", it.Index, it.Line, it.Value)
	}
	// Output:
	// items: 4
	// #0 (line 2): {"id":"1","sku":"A-7","note":"fragile, \"glass\""}
	// #1 (line 3): {"id":"2","sku":"B-1","note":""}
	// #2 (line 4): {"id":"   ","sku":"","note":""}
	// #3 failed: line 5: bare quote in an unquoted field at column 4
}

func ExampleOpen_folder() {
	dir, _ := os.MkdirTemp("", "itemreader-example-")
	defer os.RemoveAll(dir)
	os.MkdirAll(filepath.Join(dir, "images", "2024"), 0o755)
	for _, name := range []string{"images/2024/cat.jpg", "images/2024.txt", "images/dog.jpg", "notes.txt"} {
		path := filepath.Join(dir, filepath.FromSlash(name))
		os.WriteFile(path, []byte("hello world\n"), 0o644)
		os.Chtimes(path, time.Unix(1668699881, 0), time.Unix(1668699881, 0))
	}

	r, err := itemreader.Open(dir, itemreader.Config{Prefix: "images/"})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer r.Close()
	for {
		it, err := r.Next()
		if err != nil {
			break
		}
		fmt.Printf("%s\n", it.Value)
	}
	// Output:
	// {"Etag":"\"6f5902ac237024bdd0c176cb93063dc4\"","Key":"images/2024.txt","LastModified":1668699881,"Size":12,"StorageClass":"STANDARD"}
	// {"Etag":"\"6f5902ac237024bdd0c176cb93063dc4\"","Key":"images/2024/cat.jpg","LastModified":1668699881,"Size":12,"StorageClass":"STANDARD"}
	// {"Etag":"\"6f5902ac237024bdd0c176cb93063dc4\"","Key":"images/dog.jpg","LastModified":1668699881,"Size":12,"StorageClass":"STANDARD"}
}
