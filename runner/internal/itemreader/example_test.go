package itemreader_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

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
