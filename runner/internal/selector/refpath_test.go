package selector_test

import (
	"encoding/json"
	"testing"

	"github.com/wasmap/wasmap/runner/internal/selector"
)

func TestPathSelect(t *testing.T) {
	doc := json.RawMessage(`{"a": {"b": [10, {"c": "x"}]}, "n": null, "s": 5}`)
	tests := []struct{ path, want, err string }{
		{"$", `{"a":{"b":[10,{"c":"x"}]},"n":null,"s":5}`, ""},
		{"$.a.b[1].c", `"x"`, ""},
		{"$.a.b[-2]", `10`, ""},
		{"$.n", `null`, ""},
		{"$.a.b[*]", `[10,{"c":"x"}]`, ""},
		{"$.zz[*]", `[]`, ""},
		// Jayway's messages, as Step Functions reports them.
		{"$.Payload", "", `Invalid path '$.Payload' : No results for path: $['Payload']`},
		{"$.a.x", "", `Invalid path '$.a.x' : No results for path: $['a']['x']`},
		{"$.x.y", "", `Invalid path '$.x.y' : Missing property in path $['x']`},
		{"$.a.b[5]", "", `Invalid path '$.a.b[5]' : No results for path: $['a']['b'][5]`},
		{"$.s.t", "", `Invalid path '$.s.t' : No results for path: $['s']['t']`},
	}
	for _, tt := range tests {
		p, err := selector.CompilePath(tt.path)
		if err != nil {
			t.Fatalf("%s: %v", tt.path, err)
		}
		got, err := p.Select(doc)
		if tt.err != "" {
			if _, ok := err.(*selector.PathNotFoundError); !ok || err.Error() != tt.err {
				t.Errorf("%s: error %v, want %s", tt.path, err, tt.err)
			}
			continue
		}
		if err != nil || string(got) != tt.want {
			t.Errorf("%s: %s, %v; want %s", tt.path, got, err, tt.want)
		}
	}
}

func TestPathCompile(t *testing.T) {
	for _, bad := range []string{"", "a", "$$.Execution.Input", "$.a[", "$.a.length()"} {
		if _, err := selector.CompilePath(bad); err == nil {
			t.Errorf("CompilePath(%q) succeeded", bad)
		}
	}
	for _, bad := range []string{"$.a[*]", "$..a", "$.a[0:1]", "$.a[?(@.b)]"} {
		if _, err := selector.CompileReferencePath(bad); err == nil {
			t.Errorf("CompileReferencePath(%q) succeeded", bad)
		}
	}
	p, err := selector.CompileReferencePath("$['a b'][0]")
	if err != nil || p.String() != "$['a b'][0]" || p.IsRoot() {
		t.Errorf("bracket reference path: %v", err)
	}
}

func TestPathSet(t *testing.T) {
	tests := []struct{ doc, path, value, want, err string }{
		{`{"a":1}`, "$", `{"r": true}`, `{"r":true}`, ""},
		{`{"b": 1, "a": 2}`, "$.a", `"x"`, `{"b":1,"a":"x"}`, ""},
		{`{"b": 1}`, "$.a", `[1, 2]`, `{"b":1,"a":[1,2]}`, ""},
		{`{}`, "$.a.b.c", `1`, `{"a":{"b":{"c":1}}}`, ""},
		{`{"a": {"z": 0}}`, "$.a.b", `1`, `{"a":{"z":0,"b":1}}`, ""},
		{`{"a": [0, {"k": 1}]}`, "$.a[1].k", `2`, `{"a":[0,{"k":2}]}`, ""},
		{`{"a": [0]}`, "$.a[-1]", `9`, `{"a":[9]}`, ""},
		{`"text"`, "$.a", `1`, "", `Unable to apply ReferencePath $.a to input "text"`},
		{`{"a": 1}`, "$.a.b", `1`, "", `Unable to apply ReferencePath $.a.b to input {"a":1}`},
		{`{"a": []}`, "$.a[0]", `1`, "", `Unable to apply ReferencePath $.a[0] to input {"a":[]}`},
		{`{}`, "$.a[0]", `1`, "", `Unable to apply ReferencePath $.a[0] to input {}`},
	}
	for _, tt := range tests {
		p, err := selector.CompileReferencePath(tt.path)
		if err != nil {
			t.Fatal(err)
		}
		got, err := p.Set(json.RawMessage(tt.doc), json.RawMessage(tt.value))
		if tt.err != "" {
			if _, ok := err.(*selector.ReferencePathError); !ok || err.Error() != tt.err {
				t.Errorf("%s in %s: error %v, want %s", tt.path, tt.doc, err, tt.err)
			}
			continue
		}
		if err != nil || string(got) != tt.want {
			t.Errorf("%s in %s: %s, %v; want %s", tt.path, tt.doc, got, err, tt.want)
		}
	}
}
