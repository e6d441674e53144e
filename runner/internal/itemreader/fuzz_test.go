package itemreader_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/wasmap/wasmap/runner/internal/itemreader"
)

// FuzzJSONArray checks the JSON reader and Count against encoding/json: a valid array gives its
// compacted elements and Count gives their number; any other content gives a fatal error.
func FuzzJSONArray(f *testing.F) {
	for _, s := range []string{
		`[]`, `[1,"a",{"b":[true,null]}]`, ` [ "\"]" , "\\" , [[]] ] `, `[1 2]`, `[1,]`, `[`, `{}`,
		`["a\u005d", -0.5e+3, {"":""}]`, `[tru]`, `["x"] 1`, "[\"\\\\\\\"\"]", `[[[[["deep"]]]]]`,
	} {
		f.Add([]byte(s))
	}
	dir := f.TempDir()
	path := filepath.Join(dir, "fuzz.json")
	f.Fuzz(func(t *testing.T, content []byte) {
		if err := os.WriteFile(path, content, 0o644); err != nil {
			t.Fatal(err)
		}
		items, err := readAll(t, path, itemreader.Config{})
		var want []json.RawMessage
		if json.Unmarshal(content, &want) != nil || bytes.HasPrefix(content, []byte("\xef\xbb\xbf")) {
			if err == nil && !bytes.HasPrefix(content, []byte("\xef\xbb\xbf")) {
				t.Fatalf("invalid content %q read without error: %q", content, values(items))
			}
			return
		}
		if bytes.TrimSpace(content)[0] != '[' {
			return // null
		}
		if err != nil {
			t.Fatalf("valid array %q: %v", content, err)
		}
		if len(items) != len(want) {
			t.Fatalf("%q: %d items, want %d", content, len(items), len(want))
		}
		for i := range want {
			var c bytes.Buffer
			json.Compact(&c, want[i])
			if items[i].Err != nil || !bytes.Equal(items[i].Value, c.Bytes()) {
				t.Fatalf("%q: item %d = %q (%v), want %q", content, i, items[i].Value, items[i].Err, c.Bytes())
			}
		}
		n, err := itemreader.Count(t.Context(), path, itemreader.Config{})
		if err != nil || n != int64(len(want)) {
			t.Fatalf("%q: Count = %d, %v; want %d", content, n, err, len(want))
		}
	})
}

// FuzzCSV checks that the CSV reader never panics, that every item is a JSON object of strings,
// and that Count agrees with the reader: the same number of rows, the same fatal error.
func FuzzCSV(f *testing.F) {
	for _, s := range []string{
		"a,b\n1,2\n", "a\n\"x\ny\",z\r\n", "a,b\n1,x\"y\n", "a\n\"open", "\ufeffa\n\n\n1\r", "a,a\n", "h\n\"\"\"\"\n",
		"a b\n\"1\" 2\n", "a\n\"x\"y\"z\n", "a\n\r\r\n\r",
	} {
		f.Add([]byte(s), false)
	}
	dir := f.TempDir()
	path := filepath.Join(dir, "fuzz.csv")
	f.Fuzz(func(t *testing.T, content []byte, space bool) {
		if err := os.WriteFile(path, content, 0o644); err != nil {
			t.Fatal(err)
		}
		cfg := itemreader.Config{}
		if space {
			cfg.CSVDelimiter = "SPACE"
		}
		items, err := readAll(t, path, cfg)
		for _, it := range items {
			if it.Err != nil {
				continue
			}
			var m map[string]string
			if e := json.Unmarshal(it.Value, &m); e != nil {
				t.Fatalf("%q: item %s: %v", content, it.Value, e)
			}
		}
		n, cerr := itemreader.Count(t.Context(), path, cfg)
		if n != int64(len(items)) || (err == nil) != (cerr == nil) || err != nil && err.Error() != cerr.Error() {
			t.Fatalf("%q: Count = %d, %v; reader: %d items, %v", content, n, cerr, len(items), err)
		}
	})
}
