package itemreader_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/wasmap/wasmap/runner/internal/itemreader"
)

var validSeeds = []string{
	``, ` `, `0`, `-0`, `01`, `-`, `1.`, `.5`, `1e`, `1e+`, `1E-5`, `-12.5e+3`, `+1`, `1 2`,
	`true`, `tru`, `truex`, `false`, `null`, `nul`, `"`, `""`, `"a\"b"`, `"\u00e9\ud83d\ude00"`,
	`"\u00g0"`, `"\x"`, "\"a\tb\"", "\"a\x01\"", `"\\"`, `"\\\"`, "\"é€😀\"", "\"\xff\xfe\"",
	`[]`, `[ ]`, `[1,]`, `[,1]`, `[1 2]`, `[[[]]]`, `[`, `]`, `{}`, `{ }`, `{"a":1}`,
	`{"a" : [1, {"b": null}] , "c":"d"}`, `{"a"}`, `{"a":}`, `{1:2}`, `{"a":1,}`, `{"a":1 "b":2}`,
	" \t\r\n{\"a\" :\n 1 }\n ", `"long string with \"escapes\" \\ and \/ slashes and more text"`,
	strings.Repeat("[", 10000) + strings.Repeat("]", 10000),
	strings.Repeat("[", 10001) + strings.Repeat("]", 10001),
	strings.Repeat(`{"a":`, 10000) + "1" + strings.Repeat("}", 10000),
}

// checkValidCompact compares ValidCompact with json.Valid and json.Compact.
func checkValidCompact(t *testing.T, in []byte) {
	got, ok := itemreader.ValidCompact([]byte("prefix"), in)
	if want := json.Valid(in); ok != want {
		t.Fatalf("ValidCompact(%q) = %v, json.Valid = %v", in, ok, want)
	}
	if !ok {
		return
	}
	var want bytes.Buffer
	want.WriteString("prefix")
	if err := json.Compact(&want, in); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want.Bytes()) {
		t.Fatalf("ValidCompact(%q) = %q, json.Compact = %q", in, got, want.Bytes())
	}
}

func TestValidCompact(t *testing.T) {
	for _, s := range validSeeds {
		checkValidCompact(t, []byte(s))
	}
}

func FuzzValidCompact(f *testing.F) {
	for _, s := range validSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(checkValidCompact)
}
