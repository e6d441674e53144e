package itemreader_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"

	"github.com/wasmap/wasmap/runner/internal/itemreader"
)

// csvWant is an expected CSV item: a JSON object compared semantically (AWS's key order is not
// the header order), or "!<error>" for an item that fails; line is the row's first line.
type csvWant struct {
	line  int64
	value string
}

func row(line int64, value string) csvWant { return csvWant{line, value} }

// checkItems compares items with want. Values are compared as JSON objects whose values must all
// be strings; they must also be compact.
func checkItems(t *testing.T, items []itemreader.Item, want []csvWant) {
	t.Helper()
	if len(items) != len(want) {
		t.Errorf("got %d items, want %d: %q", len(items), len(want), values(items))
		return
	}
	for i, it := range items {
		w := want[i]
		if it.Index != int64(i) || it.Line != w.line {
			t.Errorf("item %d: Index %d, Line %d; want line %d", i, it.Index, it.Line, w.line)
		}
		if (it.Err != nil) == (it.Value != nil) {
			t.Errorf("item %d: exactly one of Value and Err must be set: %+v", i, it)
		}
		if strings.HasPrefix(w.value, "!") {
			if it.Err == nil || "!"+it.Err.Error() != w.value {
				t.Errorf("item %d: %s (%v), want error %q", i, it.Value, it.Err, w.value[1:])
			}
			continue
		}
		if it.Err != nil {
			t.Errorf("item %d: error %v, want %s", i, it.Err, w.value)
			continue
		}
		var got, exp map[string]string // a value that is not a string fails to unmarshal
		if err := json.Unmarshal(it.Value, &got); err != nil {
			t.Errorf("item %d: %s: %v", i, it.Value, err)
			continue
		}
		if err := json.Unmarshal([]byte(w.value), &exp); err != nil {
			t.Fatalf("bad test: %s: %v", w.value, err)
		}
		if !reflect.DeepEqual(got, exp) {
			t.Errorf("item %d = %s\nwant      %s", i, it.Value, w.value)
		}
		var compact strings.Builder
		json.NewEncoder(&compact).Encode(json.RawMessage(it.Value))
		if strings.TrimSuffix(compact.String(), "\n") != string(it.Value) && !strings.ContainsAny(string(it.Value), "<>&") {
			t.Errorf("item %d is not compact: %s", i, it.Value)
		}
	}
}

func TestCSV(t *testing.T) {
	given := func(h ...string) itemreader.Config {
		return itemreader.Config{CSVHeaderLocation: "GIVEN", CSVHeaders: h}
	}
	tests := []struct {
		name, content string
		cfg           itemreader.Config
		want          []csvWant
	}{
		// The rules recorded against AWS (ASL reference §3.3).
		{"REC typed-looking values stay strings", "Col1,Col2,Col3\ntrue,1,'HelloWorld'\nfalse,1.5,null\n", itemreader.Config{},
			[]csvWant{row(2, `{"Col1":"true","Col2":"1","Col3":"'HelloWorld'"}`), row(3, `{"Col1":"false","Col2":"1.5","Col3":"null"}`)}},
		{"REC typed-looking headers", "0,True,{}\nValue1,Value2,Value3\n", itemreader.Config{},
			[]csvWant{row(2, `{"0":"Value1","True":"Value2","{}":"Value3"}`)}},
		{"REC missing trailing field is empty", "Col1,Col2,Col3\nNull,None,\n", itemreader.Config{},
			[]csvWant{row(2, `{"Col1":"Null","Col2":"None","Col3":""}`)}},
		{"REC four empty fields with three headers", "Col1,Col2,Col3\n,,,\n", itemreader.Config{},
			[]csvWant{row(2, `{"Col1":"","Col2":"","Col3":""}`)}},
		{"REC GIVEN one header, three fields", "Value1,Value2,Value3\n", given("H1"),
			[]csvWant{row(1, `{"H1":"Value1"}`)}},
		{"REC line of three spaces is a row", "Col1,Col2,Col3\n   \n", itemreader.Config{},
			[]csvWant{row(2, `{"Col1":"   ","Col2":"","Col3":""}`)}},
		{"REC empty header name", "H1,\nValue4,Value5,Value6\n", itemreader.Config{},
			[]csvWant{row(2, `{"H1":"Value4","":"Value5"}`)}},
		{"REC no trailing newline", "Col1\nValue1\nValue2", itemreader.Config{},
			[]csvWant{row(2, `{"Col1":"Value1"}`), row(3, `{"Col1":"Value2"}`)}},
		{"REC trailing newline gives no item", "Col1\nValue1\nValue2\n", itemreader.Config{},
			[]csvWant{row(2, `{"Col1":"Value1"}`), row(3, `{"Col1":"Value2"}`)}},
		// Fewer fields, white space.
		{"fewer fields", "a,b,c\n1\n1,2\n", itemreader.Config{},
			[]csvWant{row(2, `{"a":"1","b":"","c":""}`), row(3, `{"a":"1","b":"2","c":""}`)}},
		{"white space kept", " a , b \n 1 ,\t2\t\n", itemreader.Config{},
			[]csvWant{row(2, `{" a ":" 1 "," b ":"\t2\t"}`)}},
		{"GIVEN: every row is data", "a,b\n1,2\n", given("x", "y"),
			[]csvWant{row(1, `{"x":"a","y":"b"}`), row(2, `{"x":"1","y":"2"}`)}},
		{"GIVEN in any case", "1\n", itemreader.Config{CSVHeaderLocation: "given", CSVHeaders: []string{"h"}},
			[]csvWant{row(1, `{"h":"1"}`)}},
		{"FIRST_ROW given explicitly", "h\n1\n", itemreader.Config{CSVHeaderLocation: "FIRST_ROW"},
			[]csvWant{row(2, `{"h":"1"}`)}},
		// Empty content and empty lines.
		{"empty file", "", itemreader.Config{}, nil},
		{"empty file, GIVEN", "", given("h"), nil},
		{"header only", "a,b\n", itemreader.Config{}, nil},
		{"header only without newline", "a,b", itemreader.Config{}, nil},
		{"empty lines are not rows", "a\n\n1\n\r\n\n2\n\n\n", itemreader.Config{},
			[]csvWant{row(3, `{"a":"1"}`), row(6, `{"a":"2"}`)}},
		{"empty lines before the header", "\n\r\na\n1\n", itemreader.Config{},
			[]csvWant{row(4, `{"a":"1"}`)}},
		{"a lone delimiter is a row", "a,b\n,\n", itemreader.Config{},
			[]csvWant{row(2, `{"a":"","b":""}`)}},
		{"a quoted empty field is a row", "a,b\n\"\"\n", itemreader.Config{},
			[]csvWant{row(2, `{"a":"","b":""}`)}},
		// RFC 4180 quoting.
		{"quoted delimiter", "a,b\n\"1,5\",2\n", itemreader.Config{},
			[]csvWant{row(2, `{"a":"1,5","b":"2"}`)}},
		{"doubled quotes", "a,b\n\"say \"\"hi\"\"\",\"\"\"\"\n", itemreader.Config{},
			[]csvWant{row(2, `{"a":"say \"hi\"","b":"\""}`)}},
		{"quoted newlines", "a,b\n\"line 1\nline 2\",x\n\"\n\n\",y\nz\n", itemreader.Config{},
			[]csvWant{row(2, `{"a":"line 1\nline 2","b":"x"}`), row(4, `{"a":"\n\n","b":"y"}`), row(7, `{"a":"z","b":""}`)}},
		{"quoted CRLF is kept", "a\r\n\"1\r\n2\"\r\n", itemreader.Config{},
			[]csvWant{row(2, `{"a":"1\r\n2"}`)}},
		{"quoted headers", "\"a,b\",\"c\"\"d\"\n1,2\n", itemreader.Config{},
			[]csvWant{row(2, `{"a,b":"1","c\"d":"2"}`)}},
		{"quoted field at end of file", "a\n\"x\"", itemreader.Config{},
			[]csvWant{row(2, `{"a":"x"}`)}},
		{"quoted white space", "a,b\n\"  \",\" x \"\n", itemreader.Config{},
			[]csvWant{row(2, `{"a":"  ","b":" x "}`)}},
		// Line endings and the byte order mark.
		{"CRLF", "a,b\r\n1,2\r\n3,4\r\n", itemreader.Config{},
			[]csvWant{row(2, `{"a":"1","b":"2"}`), row(3, `{"a":"3","b":"4"}`)}},
		{"CRLF after a quoted field", "a,b\r\n1,\"2\"\r\n\"3\",\"4\"", itemreader.Config{},
			[]csvWant{row(2, `{"a":"1","b":"2"}`), row(3, `{"a":"3","b":"4"}`)}},
		{"final CR", "a\r\n1\r", itemreader.Config{}, []csvWant{row(2, `{"a":"1"}`)}},
		{"lone CR is data", "a,b\nx\ry,\rz\n", itemreader.Config{}, []csvWant{row(2, `{"a":"x\ry","b":"\rz"}`)}},
		{"byte order mark", "\ufeffa,b\n1,2\n", itemreader.Config{}, []csvWant{row(2, `{"a":"1","b":"2"}`)}},
		{"byte order mark, GIVEN", "\ufeff1,2\n", given("a", "b"), []csvWant{row(1, `{"a":"1","b":"2"}`)}},
		// Delimiters.
		{"COMMA", "a,b\n1;2,3|4\n", itemreader.Config{CSVDelimiter: "COMMA"}, []csvWant{row(2, `{"a":"1;2","b":"3|4"}`)}},
		{"PIPE", "a|b\n1,5|\"x|y\"\n", itemreader.Config{CSVDelimiter: "PIPE"}, []csvWant{row(2, `{"a":"1,5","b":"x|y"}`)}},
		{"SEMICOLON", "a;b\n1,5;2\n", itemreader.Config{CSVDelimiter: "SEMICOLON"}, []csvWant{row(2, `{"a":"1,5","b":"2"}`)}},
		{"SPACE", "a b c\n1,5 \"x y\"\n", itemreader.Config{CSVDelimiter: "SPACE"}, []csvWant{row(2, `{"a":"1,5","b":"x y","c":""}`)}},
		{"SPACE: a line of spaces", "a b c\n  \n", itemreader.Config{CSVDelimiter: "SPACE"}, []csvWant{row(2, `{"a":"","b":"","c":""}`)}},
		{"TAB", "a\tb\n1 2\t,\n", itemreader.Config{CSVDelimiter: "TAB"}, []csvWant{row(2, `{"a":"1 2","b":","}`)}},
		{"delimiter in any case", "a|b\n1|2\n", itemreader.Config{CSVDelimiter: "pipe"}, []csvWant{row(2, `{"a":"1","b":"2"}`)}},
		// JSON encoding of the strings.
		{"escaped strings", "k\n\"\\ \"\" \t \x01 \x7f\"\n", itemreader.Config{}, []csvWant{row(2, `{"k":"\\ \" \t \u0001 \u007f"}`)}},
		{"non-ASCII kept", "clé\nnaïve 日本 \U0001F600\n", itemreader.Config{}, []csvWant{row(2, `{"clé":"naïve 日本 😀"}`)}},
		{"invalid UTF-8 replaced", "k\na\xffb\xe6\x97\n", itemreader.Config{}, []csvWant{row(2, `{"k":"a\ufffdb\ufffd\ufffd"}`)}},
		{"HTML characters", "k\n<a&b>\n", itemreader.Config{}, []csvWant{row(2, `{"k":"<a&b>"}`)}},
		// Misplaced quotes: the row fails, the run goes on.
		{"bare quote", "a,b\n1,x\"y\n2,3\n", itemreader.Config{},
			[]csvWant{row(2, "!line 2: bare quote in an unquoted field at column 4"), row(3, `{"a":"2","b":"3"}`)}},
		{"text after a closing quote", "a,b\n\"1\"x,2\n3,4", itemreader.Config{},
			[]csvWant{row(2, "!line 2: unexpected character after the closing quote of a field at column 4"), row(3, `{"a":"3","b":"4"}`)}},
		{"misplaced quote on a later line of the row", "a\n\"1\n2\" \n3\n", itemreader.Config{},
			[]csvWant{row(2, "!line 2: unexpected character after the closing quote of a field at line 3, column 3"), row(4, `{"a":"3"}`)}},
		{"a bad row still ends where its quotes say", "a,b\nx\"y,\"1\n2\"\n3,4\n", itemreader.Config{},
			[]csvWant{row(2, "!line 2: bare quote in an unquoted field at column 2"), row(4, `{"a":"3","b":"4"}`)}},
		{"CR after a closing quote", "a\n\"1\"\rx\n", itemreader.Config{},
			[]csvWant{row(2, "!line 2: unexpected character after the closing quote of a field at column 4")}},
	}
	for _, tt := range tests {
		for _, comp := range compressions {
			t.Run(tt.name+"/"+comp, func(t *testing.T) {
				path := writeFile(t, t.TempDir(), "items.csv", tt.content, comp)
				items, err := readAll(t, path, tt.cfg)
				if err != nil {
					t.Fatal(err)
				}
				checkItems(t, items, tt.want)
				if n, err := itemreader.Count(t.Context(), path, tt.cfg); err != nil || n != int64(len(tt.want)) {
					t.Errorf("Count = %d, %v; want %d", n, err, len(tt.want))
				}
			})
		}
	}
}

// TestCSVKeyOrder checks the documented choice: keys in header order, exactly as written.
func TestCSVKeyOrder(t *testing.T) {
	path := writeFile(t, t.TempDir(), "items.csv", "z,a,m\n1,2,3\n", "")
	items, err := readAll(t, path, itemreader.Config{})
	if err != nil || len(items) != 1 {
		t.Fatal(items, err)
	}
	if got, want := string(items[0].Value), `{"z":"1","a":"2","m":"3"}`; got != want {
		t.Errorf("item = %s, want %s", got, want)
	}
}

func TestCSVFatal(t *testing.T) {
	long := strings.Repeat("h", itemreader.MaxCSVHeaderBytes-2)
	tests := []struct {
		name, content string
		cfg           itemreader.Config
		items         int    // items read before the error; -1: Open fails
		cause         string // exact
	}{
		{"REC duplicate GIVEN headers", "Value1,Value2,Value3\n",
			itemreader.Config{CSVHeaderLocation: "GIVEN", CSVHeaders: []string{"H1", "H1", "H3"}}, -1,
			"CSV headers cannot contain duplicates."},
		{"duplicate headers in the first row", "H1,H2,H1\n1,2,3\n", itemreader.Config{}, -1,
			"CSV headers cannot contain duplicates."},
		{"two empty header names", "H1,,\n1,2,3\n", itemreader.Config{}, -1,
			"CSV headers cannot contain duplicates."},
		{"header row of 10 KiB + 1", "a," + long + "x\n1\n", itemreader.Config{}, -1,
			"CSV headers are longer than the limit of 10 KiB (10240 bytes)"},
		{"quoted header row of 10 KiB + 1", "\"" + long + "x\"\n1\n", itemreader.Config{}, -1,
			"CSV headers are longer than the limit of 10 KiB (10240 bytes)"},
		{"GIVEN headers of 10 KiB + 1", "1\n",
			itemreader.Config{CSVHeaderLocation: "GIVEN", CSVHeaders: []string{"ab", long}}, -1,
			"CSV headers are longer than the limit of 10 KiB (10240 bytes)"},
		{"misplaced quote in the header row", "a,b\"\n1,2\n", itemreader.Config{}, -1,
			"invalid CSV header row at line 1: bare quote in an unquoted field at column 4"},
		{"unterminated quoted field", "a,b\n1,2\n3,\"4\n5,6\n", itemreader.Config{}, 1,
			"invalid CSV: the quoted field that starts at line 3, column 3 is not closed at the end of the file"},
		{"unterminated quoted header", "\"a\n", itemreader.Config{}, -1,
			"invalid CSV: the quoted field that starts at line 1, column 1 is not closed at the end of the file"},
		{"escaped quote at end of file", "a\n\"x\"\"", itemreader.Config{}, 0,
			"invalid CSV: the quoted field that starts at line 2, column 1 is not closed at the end of the file"},
	}
	for _, tt := range tests {
		for _, comp := range compressions {
			t.Run(tt.name+"/"+comp, func(t *testing.T) {
				path := writeFile(t, t.TempDir(), "items.csv", tt.content, comp)
				r, err := itemreader.Open(path, tt.cfg)
				n := 0
				if err == nil {
					for {
						it, err2 := r.Next()
						if err2 != nil {
							err = err2
							break
						}
						if it.Err != nil {
							t.Errorf("item error %v", it.Err)
						}
						n++
					}
					if _, again := r.Next(); again != err {
						t.Errorf("second Next = %v, want the same error", again)
					}
					r.Close()
				} else {
					n = -1
				}
				if n != tt.items {
					t.Errorf("read %d items before the error, want %d", n, tt.items)
				}
				if got := readerCause(t, err); got != tt.cause {
					t.Errorf("cause = %q\nwant    %q", got, tt.cause)
				}
				_, err = itemreader.Count(t.Context(), path, tt.cfg)
				if got := readerCause(t, err); got != tt.cause {
					t.Errorf("Count cause = %q\nwant          %q", got, tt.cause)
				}
			})
		}
	}
}

func TestCSVHeaderLimit(t *testing.T) {
	// Exactly 10 KiB, not counting the line ending: accepted.
	h := strings.Repeat("x", itemreader.MaxCSVHeaderBytes-2)
	for _, content := range []string{"a," + h + "\r\n1,2\r\n", "a," + h + "\n1,2"} {
		path := writeFile(t, t.TempDir(), "items.csv", content, "")
		items, err := readAll(t, path, itemreader.Config{})
		if err != nil {
			t.Fatal(err)
		}
		checkItems(t, items, []csvWant{row(2, `{"a":"1","`+h+`":"2"}`)})
	}
	given := []string{"a", h} // joined by the delimiter: 10240 bytes
	path := writeFile(t, t.TempDir(), "items.csv", "1,2\n", "")
	items, err := readAll(t, path, itemreader.Config{CSVHeaderLocation: "GIVEN", CSVHeaders: given})
	if err != nil {
		t.Fatal(err)
	}
	checkItems(t, items, []csvWant{row(1, `{"a":"1","`+h+`":"2"}`)})
}

func TestCSVMaxItems(t *testing.T) {
	content := "Col1\n0\n\"1\n1\"\n2\n3\n" // 4 data rows; the header row is not counted
	tests := []struct {
		maxItems int64
		want     []csvWant
	}{
		{0, []csvWant{row(2, `{"Col1":"0"}`), row(3, `{"Col1":"1\n1"}`), row(5, `{"Col1":"2"}`), row(6, `{"Col1":"3"}`)}},
		{2, []csvWant{row(2, `{"Col1":"0"}`), row(3, `{"Col1":"1\n1"}`)}},
		{4, []csvWant{row(2, `{"Col1":"0"}`), row(3, `{"Col1":"1\n1"}`), row(5, `{"Col1":"2"}`), row(6, `{"Col1":"3"}`)}},
		{100000000, []csvWant{row(2, `{"Col1":"0"}`), row(3, `{"Col1":"1\n1"}`), row(5, `{"Col1":"2"}`), row(6, `{"Col1":"3"}`)}},
	}
	path := writeFile(t, t.TempDir(), "items.csv", content, "")
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.maxItems), func(t *testing.T) {
			cfg := itemreader.Config{MaxItems: tt.maxItems}
			items, err := readAll(t, path, cfg)
			if err != nil {
				t.Fatal(err)
			}
			checkItems(t, items, tt.want)
			if n, err := itemreader.Count(t.Context(), path, cfg); err != nil || n != int64(len(tt.want)) {
				t.Errorf("Count = %d, %v; want %d", n, err, len(tt.want))
			}
		})
	}
	t.Run("MaxItems stops before an unterminated quote", func(t *testing.T) {
		path := writeFile(t, t.TempDir(), "items.csv", "a\n1\n2\n\"3\n", "")
		items, err := readAll(t, path, itemreader.Config{MaxItems: 2})
		if err != nil || len(items) != 2 {
			t.Errorf("got %d items, %v", len(items), err)
		}
	})
}

func TestCSVLongRows(t *testing.T) {
	big := strings.Repeat("x", 6<<20)
	huge := strings.Repeat("y", itemreader.MaxItemBytes-2) // quoted: 2 bytes over the limit
	exact := strings.Repeat("z", itemreader.MaxItemBytes-2)
	content := "a,b\n" + big + ",1\n\"" + huge + "\",\"2\"\r\n" + exact + ",3\r\n\"q\n" + huge + "\"\n4\n"
	for _, comp := range longCompressions() {
		t.Run(comp, func(t *testing.T) {
			path := writeFile(t, t.TempDir(), "long.csv", content, comp)
			items, err := readAll(t, path, itemreader.Config{})
			if err != nil {
				t.Fatal(err)
			}
			if len(items) != 5 {
				t.Fatalf("got %d items, want 5", len(items))
			}
			if want := `{"a":"` + big + `","b":"1"}`; string(items[0].Value) != want {
				t.Errorf("item 0: %d bytes, want %d", len(items[0].Value), len(want))
			}
			for _, i := range []int{1, 3} {
				if !errors.Is(items[i].Err, itemreader.ErrItemTooLong) {
					t.Errorf("item %d: Err = %v, want ErrItemTooLong", i, items[i].Err)
				}
			}
			if want := "line 3: item is longer than the limit of 8388608 bytes"; items[1].Err.Error() != want {
				t.Errorf("item 1: %q, want %q", items[1].Err, want)
			}
			if want := `{"a":"` + exact + `","b":"3"}`; string(items[2].Value) != want || items[2].Line != 4 {
				t.Errorf("item 2: line %d, %d bytes", items[2].Line, len(items[2].Value))
			}
			if string(items[4].Value) != `{"a":"4","b":""}` || items[3].Line != 5 || items[4].Line != 7 {
				t.Errorf("items 3, 4: lines %d, %d, %s", items[3].Line, items[4].Line, items[4].Value)
			}
			if n, err := itemreader.Count(t.Context(), path, itemreader.Config{}); n != 5 || err != nil {
				t.Errorf("Count = %d, %v", n, err)
			}
		})
	}
}

func TestCSVItemError(t *testing.T) {
	path := writeFile(t, t.TempDir(), "items.csv", "a\n\"x\"y\n", "")
	items, err := readAll(t, path, itemreader.Config{})
	if err != nil || len(items) != 1 {
		t.Fatal(items, err)
	}
	var ie *itemreader.ItemError
	if !errors.As(items[0].Err, &ie) || !errors.Is(ie, itemreader.ErrCSVQuote) {
		t.Fatalf("Err = %v (%T)", items[0].Err, items[0].Err)
	}
	if ie.Line != 2 || ie.Name() != "States.ItemReaderFailed" ||
		ie.Reason != "unexpected character after the closing quote of a field at column 4" {
		t.Errorf("ItemError = %+v", ie)
	}
}

func TestCSVDetection(t *testing.T) {
	tests := []struct {
		name, comp, inputType string
	}{
		{"items.csv", "", ""},
		{"items.CSV", "", ""},
		{"items.csv.gz", "gzip", ""},
		{"items.csv.zst", "zstd", ""},
		{"items.csv.zstd", "zstd", ""},
		{"items.txt", "", "CSV"},
		{"items.json", "gzip", "csv"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeFile(t, t.TempDir(), tt.name, "a,b\n[1,2]\n", tt.comp)
			items, err := readAll(t, path, itemreader.Config{InputType: tt.inputType})
			if err != nil {
				t.Fatal(err)
			}
			checkItems(t, items, []csvWant{row(2, `{"a":"[1","b":"2]"}`)})
		})
	}
}

func TestCSVConfigErrors(t *testing.T) {
	dir := t.TempDir()
	csvPath := writeFile(t, dir, "items.csv", "a\n1\n", "")
	jsonPath := writeFile(t, dir, "items.json", "[1]", "")
	tests := []struct {
		name  string
		path  string
		cfg   itemreader.Config
		cause string
	}{
		{"GIVEN without headers", csvPath, itemreader.Config{CSVHeaderLocation: "GIVEN"},
			"CSVHeaders is required when CSVHeaderLocation is GIVEN"},
		{"GIVEN with no headers", csvPath, itemreader.Config{CSVHeaderLocation: "GIVEN", CSVHeaders: []string{}},
			"CSVHeaders is required when CSVHeaderLocation is GIVEN"},
		{"headers without GIVEN", csvPath, itemreader.Config{CSVHeaders: []string{"a"}},
			"CSVHeaders can only be given with CSVHeaderLocation GIVEN"},
		{"unknown header location", csvPath, itemreader.Config{CSVHeaderLocation: "LAST_ROW"},
			`unsupported CSVHeaderLocation "LAST_ROW": want FIRST_ROW or GIVEN`},
		{"unknown delimiter", csvPath, itemreader.Config{CSVDelimiter: ","},
			`unsupported CSVDelimiter ",": want COMMA, PIPE, SEMICOLON, SPACE or TAB`},
		{"CSV settings for JSON", jsonPath, itemreader.Config{CSVDelimiter: "PIPE"},
			"CSVHeaderLocation, CSVHeaders and CSVDelimiter apply only to CSV, not to JSON"},
		{"CSV settings for JSONL", csvPath, itemreader.Config{InputType: "JSONL", CSVHeaderLocation: "FIRST_ROW"},
			"CSVHeaderLocation, CSVHeaders and CSVDelimiter apply only to CSV, not to JSONL"},
		{"Prefix for a file", csvPath, itemreader.Config{Prefix: "a"},
			"Prefix applies only to a folder source"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := itemreader.Open(tt.path, tt.cfg)
			if got := readerCause(t, err); got != tt.cause {
				t.Errorf("Open cause = %q\nwant         %q", got, tt.cause)
			}
			_, err = itemreader.Count(t.Context(), tt.path, tt.cfg)
			if got := readerCause(t, err); got != tt.cause {
				t.Errorf("Count cause = %q\nwant          %q", got, tt.cause)
			}
		})
	}
}

func TestCSVCloseAndSticky(t *testing.T) {
	path := writeFile(t, t.TempDir(), "items.csv", "a\n1\n", "")
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
	if r.Close() != nil || r.Close() != nil {
		t.Fatal("Close failed")
	}
	if _, err := r.Next(); err != itemreader.ErrClosed {
		t.Fatalf("Next after Close = %v, want ErrClosed", err)
	}
}
