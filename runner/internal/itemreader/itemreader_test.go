package itemreader_test

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/wasmap/wasmap/runner/internal/itemreader"
)

var compressions = []string{"", "gzip", "zstd"}

func TestJSONArray(t *testing.T) {
	tests := []struct {
		name, content string
		want          []string
	}{
		{"empty array", `[]`, nil},
		{"empty array with space", " \n[ \n ]\n", nil},
		{"objects keep key order", `[{"verdict":"true","statement_date":"6/11/2008","statement_source":"speech"}]`,
			[]string{`{"verdict":"true","statement_date":"6/11/2008","statement_source":"speech"}`}},
		{"compacted", "[\n  { \"b\" : 1 ,\n    \"a\" : [ 1 , 2 ] },\n  \" spaces kept \"\n]\n",
			[]string{`{"b":1,"a":[1,2]}`, `" spaces kept "`}},
		{"any value", `[1, -2.5e3, "s", true, false, null, [], {}, [[1]]]`,
			[]string{`1`, `-2.5e3`, `"s"`, `true`, `false`, `null`, `[]`, `{}`, `[[1]]`}},
		{"strings with structure", `["a,b", "[", "\"]", "\\", "\\\"", "\u00e9"]`,
			[]string{`"a,b"`, `"["`, `"\"]"`, `"\\"`, `"\\\""`, `"\u00e9"`}},
		{"numbers kept as written", `[1.0, 100000000000000000000001, 1E2]`,
			[]string{`1.0`, `100000000000000000000001`, `1E2`}},
		{"byte order mark", "\ufeff[1]", []string{`1`}},
	}
	for _, tt := range tests {
		for _, comp := range compressions {
			t.Run(tt.name+"/"+comp, func(t *testing.T) {
				path := writeFile(t, t.TempDir(), "items.json", tt.content, comp)
				items, err := readAll(t, path, itemreader.Config{})
				if err != nil {
					t.Fatal(err)
				}
				if got := values(items); !slices.Equal(got, tt.want) {
					t.Errorf("items = %q, want %q", got, tt.want)
				}
				for i, it := range items {
					if it.Index != int64(i) || it.Line != 0 {
						t.Errorf("item %d: Index %d, Line %d", i, it.Index, it.Line)
					}
				}
			})
		}
	}
}

func TestJSONNotAnArray(t *testing.T) {
	for _, content := range []string{`{"a":[1]}`, `{}`, `1`, `"[1]"`, `null`, `true`, " \n {\"a\": 1}"} {
		t.Run(content, func(t *testing.T) {
			path := writeFile(t, t.TempDir(), "items.json", content, "")
			_, err := itemreader.Open(path, itemreader.Config{InputType: "JSON"})
			if got := readerCause(t, err); got != "Attempting to map over non-iterable node." {
				t.Errorf("cause = %q", got)
			}
			if _, err := itemreader.Count(t.Context(), path, itemreader.Config{InputType: "JSON"}); err == nil ||
				err.Error() != itemreader.CauseNotAnArray {
				t.Errorf("Count error = %v", err)
			}
		})
	}
}

func TestJSONSyntaxError(t *testing.T) {
	tests := []struct {
		name, content string
		items         int    // items read before the error
		cause         string // the exact cause
	}{
		{"bad element", `[1, x]`, 1,
			"invalid JSON at byte offset 4 (line 1, column 5): invalid character 'x' looking for beginning of value"},
		{"bad element on line 3", "[\n  {\"a\": 1},\n  {\"a\": }\n]", 1,
			"invalid JSON at byte offset 22 (line 3, column 9): invalid character '}' looking for beginning of value"},
		{"missing comma", "[1\n 2]", 1,
			"invalid JSON at byte offset 4 (line 2, column 2): invalid character '2' after array element"},
		{"trailing comma", `[1,]`, 1,
			"invalid JSON at byte offset 3 (line 1, column 4): invalid character ']' looking for beginning of value"},
		{"truncated", "[1,\n2", 2,
			"invalid JSON at byte offset 5 (line 2, column 2): unexpected end of JSON input"},
		{"truncated element", `[{"a":`, 0,
			"invalid JSON at byte offset 6 (line 1, column 7): unexpected end of JSON input"},
		{"only a bracket", `[`, 0,
			"invalid JSON at byte offset 1 (line 1, column 2): unexpected end of JSON input"},
		{"data after the array", "[1]\n[2]", 1,
			"invalid JSON at byte offset 4 (line 2, column 1): invalid character '[' after top-level value"},
		{"garbage after the array", "[1] x", 1,
			"invalid JSON at byte offset 4 (line 1, column 5): invalid character 'x' after top-level value"},
		{"empty file", ``, 0,
			"invalid JSON at byte offset 0 (line 1, column 1): unexpected end of JSON input"},
		{"bad literal", `[true, tru]`, 1,
			"invalid JSON at byte offset 10 (line 1, column 11): invalid character ']' in literal true (expecting 'e')"},
		{"bad number", "[1,\n 1x]", 1,
			"invalid JSON at byte offset 6 (line 2, column 3): invalid character 'x' after array element"},
		{"bad escape", `["a", "\x"]`, 1,
			"invalid JSON at byte offset 8 (line 1, column 9): invalid character 'x' in string escape code"},
		{"mismatched bracket", `[{"a":[1}]`, 0,
			"invalid JSON at byte offset 8 (line 1, column 9): invalid character '}' after array element"},
		{"error before the end of a truncated element", `[{"a": x, "b": `, 0,
			"invalid JSON at byte offset 7 (line 1, column 8): invalid character 'x' looking for beginning of value"},
		{"not a value", `x`, 0,
			"invalid JSON at byte offset 0 (line 1, column 1): invalid character 'x' looking for beginning of value"},
		{"byte order mark counts", "\ufeff[x]", 0,
			"invalid JSON at byte offset 4 (line 1, column 5): invalid character 'x' looking for beginning of value"},
	}
	for _, tt := range tests {
		for _, comp := range compressions {
			t.Run(tt.name+"/"+comp, func(t *testing.T) {
				path := writeFile(t, t.TempDir(), "items.json", tt.content, comp)
				r, err := itemreader.Open(path, itemreader.Config{})
				n := 0
				for err == nil {
					if _, err = r.Next(); err == nil {
						n++
					}
				}
				if n != tt.items {
					t.Errorf("read %d items before the error, want %d", n, tt.items)
				}
				if got := readerCause(t, err); got != tt.cause {
					t.Errorf("cause = %q\nwant    %q", got, tt.cause)
				}
				if r != nil {
					if _, again := r.Next(); again != err {
						t.Errorf("second Next = %v, want the same error", again)
					}
					r.Close()
				}
			})
		}
	}
}

func TestJSONL(t *testing.T) {
	type want struct {
		line  int64
		value string // or "!cause"
	}
	tests := []struct {
		name, content string
		want          []want
	}{
		{"empty", ``, nil},
		{"one line with newline", "{\"a\":1}\n", []want{{1, `{"a":1}`}}},
		{"last line without newline", "1\n2", []want{{1, `1`}, {2, `2`}}},
		{"blank and white space lines skipped", "\n1\n\n  \t \n2\n\n", []want{{2, `1`}, {5, `2`}}},
		{"CRLF", "{\"a\": 1}\r\n\r\n[2]\r\n", []want{{1, `{"a":1}`}, {3, `[2]`}}},
		{"CR before EOF", "1\r", []want{{1, `1`}}},
		{"compacted, key order kept", "{ \"z\" : 1 , \"a\" : \" x \" }", []want{{1, `{"z":1,"a":" x "}`}}},
		{"any value", "\"s\"\nnull\n[1, 2]\n-1.5", []want{{1, `"s"`}, {2, `null`}, {3, `[1,2]`}, {4, `-1.5`}}},
		{"bad line is an item error", "1\nx\n3\n", []want{{1, `1`}, {2, "!line 2: invalid character 'x' looking for beginning of value"}, {3, `3`}}},
		{"two values on a line", "1 2\n", []want{{1, "!line 1: invalid character '2' after top-level value"}}},
		{"truncated value", "{\"a\":\n", []want{{1, "!line 1: unexpected end of JSON input"}}},
		{"byte order mark", "\ufeff{\"a\":1}\n", []want{{1, `{"a":1}`}}},
	}
	for _, tt := range tests {
		for _, comp := range compressions {
			t.Run(tt.name+"/"+comp, func(t *testing.T) {
				path := writeFile(t, t.TempDir(), "items.jsonl", tt.content, comp)
				items, err := readAll(t, path, itemreader.Config{})
				if err != nil {
					t.Fatal(err)
				}
				var got []want
				for i, it := range items {
					if it.Index != int64(i) {
						t.Errorf("item %d has Index %d", i, it.Index)
					}
					if (it.Err != nil) == (it.Value != nil) {
						t.Errorf("item %d: exactly one of Value and Err must be set: %+v", i, it)
					}
					got = append(got, want{it.Line, values(items[i : i+1])[0]})
				}
				if !slices.Equal(got, tt.want) {
					t.Errorf("items = %v\nwant    %v", got, tt.want)
				}
			})
		}
	}
}

func TestJSONLItemError(t *testing.T) {
	path := writeFile(t, t.TempDir(), "items.jsonl", "1\n{\"a\" 2}\n", "")
	items, err := readAll(t, path, itemreader.Config{})
	if err != nil {
		t.Fatal(err)
	}
	var ie *itemreader.ItemError
	if !errors.As(items[1].Err, &ie) {
		t.Fatalf("Err %T is not an *ItemError", items[1].Err)
	}
	if ie.Line != 2 || ie.Name() != "States.ItemReaderFailed" || ie.Reason != "invalid character '2' after object key" {
		t.Errorf("ItemError = %+v, Name %q", ie, ie.Name())
	}
}

func TestLongLines(t *testing.T) {
	big := `{"k":"` + strings.Repeat("x", 6<<20+123) + `"}`                // 6 MiB+: an item
	huge := `{"k":"` + strings.Repeat("y", itemreader.MaxItemBytes) + `"}` // over the limit
	exact := `"` + strings.Repeat("z", itemreader.MaxItemBytes-2) + `"`    // exactly the limit
	blank := strings.Repeat(" ", itemreader.MaxItemBytes+10)               // blank, however long
	content := big + "\n" + huge + "\r\n" + exact + "\r\n" + blank + "\n" + "42\n" + huge
	for _, comp := range longCompressions() {
		t.Run(comp, func(t *testing.T) {
			path := writeFile(t, t.TempDir(), "long.jsonl", content, comp)
			items, err := readAll(t, path, itemreader.Config{})
			if err != nil {
				t.Fatal(err)
			}
			if len(items) != 5 {
				for _, it := range items {
					t.Logf("line %d: %d bytes, %v", it.Line, len(it.Value), it.Err)
				}
				t.Fatalf("got %d items, want 5", len(items))
			}
			if string(items[0].Value) != big {
				t.Errorf("item 0: %d bytes, want %d", len(items[0].Value), len(big))
			}
			for _, i := range []int{1, 4} {
				if !errors.Is(items[i].Err, itemreader.ErrItemTooLong) {
					t.Errorf("item %d: Err = %v, want ErrItemTooLong", i, items[i].Err)
				}
			}
			if want := "line 2: item is longer than the limit of 8388608 bytes"; items[1].Err.Error() != want {
				t.Errorf("cause = %q, want %q", items[1].Err, want)
			}
			if string(items[2].Value) != exact || items[2].Line != 3 {
				t.Errorf("item 2: line %d, %d bytes", items[2].Line, len(items[2].Value))
			}
			if string(items[3].Value) != "42" || items[3].Line != 5 || items[4].Line != 6 {
				t.Errorf("items 3, 4: %+v, line %d", items[3], items[4].Line)
			}
			if n, err := itemreader.Count(t.Context(), path, itemreader.Config{}); n != 5 || err != nil {
				t.Errorf("Count = %d, %v", n, err)
			}
		})
	}
}

func TestDetection(t *testing.T) {
	tests := []struct {
		name, content, comp string
		inputType           string
		want                []string
	}{
		{"items.json", "[1,2]", "", "", []string{"1", "2"}},
		{"items.JSON.GZ", "[1,2]", "gzip", "", []string{"1", "2"}},
		{"items.json.zst", "[1,2]", "zstd", "", []string{"1", "2"}},
		{"items.jsonl", "[1,2]\n[3]", "", "", []string{"[1,2]", "[3]"}},
		{"items.ndjson.zstd", "[1,2]\n[3]", "zstd", "", []string{"[1,2]", "[3]"}},
		{"items.jsonl.gz", "1\n2", "gzip", "", []string{"1", "2"}},
		{"items.txt", " \n\t[1,2]", "", "", []string{"1", "2"}},
		{"items.txt", "\n{\"a\":1}\n{\"a\":2}", "", "", []string{`{"a":1}`, `{"a":2}`}},
		{"items", "[1,2]", "zstd", "", []string{"1", "2"}},
		{"items.gz", "1\n2", "gzip", "", []string{"1", "2"}},
		{"items.dat", "", "", "", nil},
		{"items.dat", " \n \n", "", "", nil},
		{"compression not by name.json.gz", "[1]", "", "", []string{"1"}},
		{"compression not by name.json", "[1]", "zstd", "", []string{"1"}},
		{"type given.json", "[1,2]\n[3]", "", "JSONL", []string{"[1,2]", "[3]"}},
		{"type given.txt", "[1,2]", "gzip", "json", []string{"1", "2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name+"/"+tt.comp, func(t *testing.T) {
			path := writeFile(t, t.TempDir(), tt.name, tt.content, tt.comp)
			items, err := readAll(t, path, itemreader.Config{InputType: tt.inputType})
			if err != nil {
				t.Fatal(err)
			}
			if got := values(items); !slices.Equal(got, tt.want) {
				t.Errorf("items = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestMaxItems(t *testing.T) {
	sources := map[string]string{
		"items.json":  `[0, 1, 2, 3]`,
		"items.jsonl": "0\n\nx\n3\n4\n",
	}
	tests := []struct {
		file     string
		maxItems int64
		want     []string
	}{
		{"items.json", 0, []string{"0", "1", "2", "3"}},
		{"items.json", 2, []string{"0", "1"}},
		{"items.json", 100000000, []string{"0", "1", "2", "3"}},
		{"items.jsonl", 0, []string{"0", "!line 3: invalid character 'x' looking for beginning of value", "3", "4"}},
		{"items.jsonl", 2, []string{"0", "!line 3: invalid character 'x' looking for beginning of value"}},
		{"items.jsonl", 3, []string{"0", "!line 3: invalid character 'x' looking for beginning of value", "3"}},
	}
	dir := t.TempDir()
	for name, content := range sources {
		writeFile(t, dir, name, content, "")
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			path := filepath.Join(dir, tt.file)
			cfg := itemreader.Config{MaxItems: tt.maxItems}
			items, err := readAll(t, path, cfg)
			if err != nil {
				t.Fatal(err)
			}
			if got := values(items); !slices.Equal(got, tt.want) {
				t.Errorf("MaxItems %d: items = %q, want %q", tt.maxItems, got, tt.want)
			}
			if n, err := itemreader.Count(t.Context(), path, cfg); n != int64(len(tt.want)) || err != nil {
				t.Errorf("MaxItems %d: Count = %d, %v; want %d", tt.maxItems, n, err, len(tt.want))
			}
		})
	}
	t.Run("MaxItems stops before a later syntax error", func(t *testing.T) {
		path := writeFile(t, t.TempDir(), "items.json", `[1, 2, x`, "")
		items, err := readAll(t, path, itemreader.Config{MaxItems: 2})
		if err != nil || len(items) != 2 {
			t.Errorf("got %d items, %v", len(items), err)
		}
	})
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	path := writeFile(t, dir, "items.json", "[1]", "")
	missing := filepath.Join(dir, "missing.json")
	tests := []struct {
		name  string
		path  string
		cfg   itemreader.Config
		cause string
		is    error
	}{
		{"negative MaxItems", path, itemreader.Config{MaxItems: -1}, "field MaxItems must be positive", nil},
		{"unsupported type", path, itemreader.Config{InputType: "PARQUET"}, `unsupported InputType "PARQUET": want CSV, JSON, JSONL or empty to detect`, nil},
		{"missing file", missing, itemreader.Config{}, "open " + missing + ": no such file or directory", fs.ErrNotExist},
		{"corrupt gzip", writeFile(t, dir, "bad.gz", "\x1f\x8b\x08\x00garbage", ""), itemreader.Config{}, "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := itemreader.Open(tt.path, tt.cfg)
			cause := readerCause(t, err)
			if tt.cause != "" && cause != tt.cause {
				t.Errorf("Open cause = %q, want %q", cause, tt.cause)
			}
			if !strings.Contains(cause, tt.path) && tt.cfg.MaxItems == 0 && tt.cfg.InputType == "" {
				t.Errorf("cause %q does not name the path", cause)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("errors.Is(%v, %v) = false", err, tt.is)
			}
			_, err = itemreader.Count(t.Context(), tt.path, tt.cfg)
			if got := readerCause(t, err); got != cause {
				t.Errorf("Count cause = %q, want %q", got, cause)
			}
		})
	}
}

func TestCorruptStream(t *testing.T) {
	// A zstd stream cut in the middle: the read fails, fatally, with a cause naming the file.
	content := strings.Repeat("{\"n\":12345678}\n", 100000)
	for _, comp := range []string{"gzip", "zstd"} {
		t.Run(comp, func(t *testing.T) {
			dir := t.TempDir()
			full := writeFile(t, dir, "full", content, comp)
			b, err := os.ReadFile(full)
			if err != nil {
				t.Fatal(err)
			}
			path := writeFile(t, dir, "cut.jsonl", string(b[:len(b)/2]), "")
			items, err := readAll(t, path, itemreader.Config{})
			cause := readerCause(t, err)
			if !strings.Contains(cause, path) || len(items) == 0 || len(items) >= 100000 {
				t.Errorf("after %d items: %q", len(items), cause)
			}
		})
	}
}

func TestCloseAndSticky(t *testing.T) {
	for _, name := range []string{"items.json", "items.jsonl"} {
		t.Run(name, func(t *testing.T) {
			path := writeFile(t, t.TempDir(), name, "[1]", "")
			r, err := itemreader.Open(path, itemreader.Config{})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := r.Next(); err != nil {
				t.Fatal(err)
			}
			for range 2 {
				if _, err := r.Next(); err != io.EOF {
					t.Fatalf("Next = %v, want io.EOF", err)
				}
			}
			if err := r.Close(); err != nil {
				t.Fatal(err)
			}
			if err := r.Close(); err != nil {
				t.Fatalf("second Close = %v", err)
			}
			if _, err := r.Next(); err != itemreader.ErrClosed {
				t.Fatalf("Next after Close = %v, want ErrClosed", err)
			}
		})
	}
}

// TestCountMatchesReader checks Count against the number of items Next yields.
func TestCountMatchesReader(t *testing.T) {
	sources := []struct{ name, content string }{
		{"a.json", `[]`},
		{"b.json", `[1,"a,b",{"x":[1,{"y":"]"}]},"\"","\\",[[]],null, "\\\"]"]`},
		{"c.json", "\n[\n\"\\u005d\",\n\t{}\n]\n"},
		{"d.jsonl", ""},
		{"e.jsonl", "\n\n \r\n"},
		{"f.jsonl", "1\n\n2\r\n x \n\t\n{}"},
		{"g.jsonl", "\ufeff1\n"},
		{"h.txt", "[1,2,3]"},
		{"i.txt", "1\n2\n3"},
	}
	for _, s := range sources {
		for _, comp := range compressions {
			t.Run(s.name+"/"+comp, func(t *testing.T) {
				path := writeFile(t, t.TempDir(), s.name, s.content, comp)
				items, err := readAll(t, path, itemreader.Config{})
				if err != nil {
					t.Fatal(err)
				}
				n, err := itemreader.Count(t.Context(), path, itemreader.Config{})
				if err != nil || n != int64(len(items)) {
					t.Errorf("Count = %d, %v; reader yields %d", n, err, len(items))
				}
			})
		}
	}
}

func TestCountErrors(t *testing.T) {
	dir := t.TempDir()
	t.Run("unclosed array", func(t *testing.T) {
		path := writeFile(t, dir, "open.json", `[1, 2, "]`, "")
		n, err := itemreader.Count(t.Context(), path, itemreader.Config{})
		readerCause(t, err)
		if n != 3 {
			t.Errorf("n = %d, want the 3 elements seen", n)
		}
	})
	t.Run("cancelled", func(t *testing.T) {
		path := writeFile(t, dir, "items.jsonl", "1\n", "")
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		if _, err := itemreader.Count(ctx, path, itemreader.Config{}); !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v, want context.Canceled", err)
		}
	})
}

func TestJSONLongElements(t *testing.T) {
	long := strings.Repeat("x", itemreader.MaxItemBytes)
	okay := `"` + strings.Repeat("y", 6<<20) + `"`
	content := `[1, "` + long + `", {"a": ["` + long + `]"]}, ` + okay + `, ` + strings.Repeat("9", itemreader.MaxItemBytes+1) + `, 2]`
	for _, comp := range longCompressions() {
		t.Run(comp, func(t *testing.T) {
			path := writeFile(t, t.TempDir(), "long.json", content, comp)
			items, err := readAll(t, path, itemreader.Config{})
			if err != nil {
				t.Fatal(err)
			}
			if len(items) != 6 {
				t.Fatalf("got %d items, want 6", len(items))
			}
			if string(items[0].Value) != "1" || string(items[3].Value) != okay || string(items[5].Value) != "2" {
				t.Errorf("items 0, 3, 5 wrong")
			}
			for _, i := range []int{1, 2, 4} {
				var ie *itemreader.ItemError
				if !errors.As(items[i].Err, &ie) || !errors.Is(ie, itemreader.ErrItemTooLong) || items[i].Value != nil {
					t.Errorf("item %d: Err = %v", i, items[i].Err)
				}
			}
			if want := "item at byte offset 4: item is longer than the limit of 8388608 bytes"; items[1].Err.Error() != want {
				t.Errorf("item 1: %q, want %q", items[1].Err, want)
			}
			if n, err := itemreader.Count(t.Context(), path, itemreader.Config{}); n != 6 || err != nil {
				t.Errorf("Count = %d, %v", n, err)
			}
		})
	}
}

// longCompressions are the compressions the tests of very long items try: the race detector
// makes scanning megabytes slow, so it gets the uncompressed file only.
func longCompressions() []string {
	if raceEnabled {
		return []string{""}
	}
	return []string{"", "zstd"}
}

func TestOpenJSON(t *testing.T) {
	for _, tc := range []struct {
		name, data string
		max        int64
		want       []string
		wantErr    string
	}{
		{name: "all", data: `[1, {"a": [2, 3]}, "x"]`, want: []string{`1`, `{"a":[2,3]}`, `"x"`}},
		{name: "max items", data: `[1,2,3]`, max: 2, want: []string{`1`, `2`}},
		{name: "empty", data: `[]`},
		{name: "not an array", data: `{"a":1}`, wantErr: "Attempting to map over non-iterable node."},
		{name: "negative max", data: `[1]`, max: -1, wantErr: "field MaxItems must be positive"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := itemreader.OpenJSON("$.items", []byte(tc.data), tc.max)
			var got []string
			for err == nil {
				var it itemreader.Item
				if it, err = r.Next(); err == nil {
					got = append(got, string(it.Value))
				}
			}
			if err == io.EOF {
				err = nil
			}
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || strings.Join(got, " ") != strings.Join(tc.want, " ") {
				t.Fatalf("got %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}
