package selector_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/wasmap/wasmap/runner/internal/selector"
)

// TestApply has one row per rule. Rows marked REC are behaviours recorded against AWS (ASL
// reference §4); "doc" rows come from the AWS Developer Guide pages named in the package notes.
func TestApply(t *testing.T) {
	tests := []struct {
		name     string
		template string
		input    string
		index    int64
		item     string
		want     string
	}{
		{
			name:     "REC distributed_item_selector: \"$\" is the whole Map input, in every item",
			template: `{"fromInput.$":"$","item.$":"$$.Map.Item.Value"}`,
			input:    `[{"a":1},{"a":2}]`,
			index:    1,
			item:     `{"a":2}`,
			want:     `{"fromInput":[{"a":1},{"a":2}],"item":{"a":2}}`,
		},
		{
			name:     "REC: \"$.\" paths read the Map input, not the item",
			template: `{"x.$":"$.x"}`,
			input:    `{"x":"from input","items":[{"x":"from item"}]}`,
			item:     `{"x":"from item"}`,
			want:     `{"x":"from input"}`,
		},
		{
			name:     "REC: $$.Map.Item.Value is the item and $$.Map.Item.Index its 0-based position",
			template: `{"index.$":"$$.Map.Item.Index","value.$":"$$.Map.Item.Value"}`,
			input:    `{}`,
			index:    0,
			item:     `"first"`,
			want:     `{"index":0,"value":"first"}`,
		},
		{
			name:     "REC: the index of a later item",
			template: `{"index.$":"$$.Map.Item.Index"}`,
			input:    `{}`,
			index:    41,
			item:     `null`,
			want:     `{"index":41}`,
		},
		{
			name:     "REC distributed_item_selector_variable_not_expanded_without_dollar_suffix: a key without .$ is literal",
			template: `{"bucketName":"$bucket","path":"$.not.a.path","ctx":"$$.Map.Item.Value"}`,
			input:    `{"bucket":"b"}`,
			item:     `1`,
			want:     `{"bucketName":"$bucket","path":"$.not.a.path","ctx":"$$.Map.Item.Value"}`,
		},
		{
			name:     "REC distributed_nested_no_max_concurrency_with_task: nested field of the item",
			template: `{"innerJobs.$":"$$.Map.Item.Value.innerJobs"}`,
			input:    `{}`,
			item:     `{"id":7,"innerJobs":[{"j":1},{"j":2}]}`,
			want:     `{"innerJobs":[{"j":1},{"j":2}]}`,
		},
		{
			name:     "doc IS: static value and the item from the context object",
			template: `{"size":10,"value.$":"$$.Map.Item.Value"}`,
			input:    `{"imageData":[{"resize":"true","format":"jpg"}]}`,
			item:     `{"resize":"true","format":"jpg"}`,
			want:     `{"size":10,"value":{"resize":"true","format":"jpg"}}`,
		},
		{
			name:     "the key drops the .$ suffix and keeps template order",
			template: `{"z":1,"b.$":"$.b","a":2}`,
			input:    `{"b":"B"}`,
			item:     `0`,
			want:     `{"z":1,"b":"B","a":2}`,
		},
		{
			name:     "nested objects and arrays of the template are processed",
			template: `{"outer":{"inner.$":"$$.Map.Item.Value","list":[{"i.$":"$$.Map.Item.Index"},"lit",{"k.$":"$.k"}]}}`,
			input:    `{"k":true}`,
			index:    3,
			item:     `"v"`,
			want:     `{"outer":{"inner":"v","list":[{"i":3},"lit",{"k":true}]}}`,
		},
		{
			name:     "output is compact JSON; the item's key order and number spelling are kept",
			template: "{ \"v.$\" : \"$$.Map.Item.Value\" ,\n \"n\" : [ 1 , 2 ] }",
			input:    `{}`,
			item:     "{ \"z\" : 1.50 ,\n\t\"a\" : \"x y\" }",
			want:     `{"v":{"z":1.50,"a":"x y"},"n":[1,2]}`,
		},
		{
			name:     "a path may select null",
			template: `{"n.$":"$.n"}`,
			input:    `{"n":null}`,
			item:     `1`,
			want:     `{"n":null}`,
		},
		{
			name:     "doc Paths: dot notation",
			template: `{"foo.$":"$.foo","bar.$":"$.bar","cdr.$":"$.car.cdr"}`,
			input:    `{"foo":123,"bar":["a","b","c"],"car":{"cdr":true}}`,
			item:     `1`,
			want:     `{"foo":123,"bar":["a","b","c"],"cdr":true}`,
		},
		{
			name:     "doc Paths: bracket notation for a name with a space, after a dot",
			template: `{"v.$":"$.abc.['def ghi']","w.$":"$['abc'][\"def ghi\"]"}`,
			input:    `{"abc":{"def ghi":5}}`,
			item:     `1`,
			want:     `{"v":5,"w":5}`,
		},
		{
			name:     "array index, negative index",
			template: `{"first.$":"$.a[0]","last.$":"$.a[-1]"}`,
			input:    `{"a":[10,20,30]}`,
			item:     `1`,
			want:     `{"first":10,"last":30}`,
		},
		{
			name:     "doc Paths: $[*][*] flattens an array of arrays",
			template: `{"flat.$":"$[*][*]"}`,
			input:    `[[1,2],[3],[4,5]]`,
			item:     `1`,
			want:     `{"flat":[1,2,3,4,5]}`,
		},
		{
			name:     "wildcard then member: missing members are skipped",
			template: `{"ids.$":"$.list[*].id"}`,
			input:    `{"list":[{"id":1},{"x":0},{"id":3}]}`,
			item:     `1`,
			want:     `{"ids":[1,3]}`,
		},
		{
			name:     "wildcard on an object gives its values in order",
			template: `{"v.$":"$.o.*"}`,
			input:    `{"o":{"b":1,"a":2}}`,
			item:     `1`,
			want:     `{"v":[1,2]}`,
		},
		{
			name:     "deep scan, in document order",
			template: `{"all.$":"$..id"}`,
			input:    `{"id":1,"c":[{"id":2,"d":{"id":3}},{"id":4}]}`,
			item:     `1`,
			want:     `{"all":[1,2,3,4]}`,
		},
		{
			name:     "deep scan with a wildcard or an index: each visited node gives its children (Jayway order)",
			template: `{"all.$":"$..*","firsts.$":"$..[0]"}`,
			input:    `{"a":[[1,2],{"b":3}]}`,
			item:     `1`,
			want:     `{"all":[[[1,2],{"b":3}],[1,2],{"b":3},1,2,3],"firsts":[[1,2],1]}`,
		},
		{
			name:     "slice and index union",
			template: `{"s.$":"$.a[1:3]","h.$":"$.a[:2]","t.$":"$.a[-2:]","u.$":"$.a[0,3]"}`,
			input:    `{"a":[0,1,2,3]}`,
			item:     `1`,
			want:     `{"s":[1,2],"h":[0,1],"t":[2,3],"u":[0,3]}`,
		},
		{
			name:     "filter with comparison and &&",
			template: `{"cheap.$":"$.books[?(@.price < 10 && @.tag == 'x')].title"}`,
			input:    `{"books":[{"title":"a","price":8,"tag":"x"},{"title":"b","price":12,"tag":"x"},{"title":"c","price":5,"tag":"y"}]}`,
			item:     `1`,
			want:     `{"cheap":["a"]}`,
		},
		{
			name:     "filter on existence, ||, !=, in, regex",
			template: `{"e.$":"$.l[?(@.isbn)].n","o.$":"$.l[?(@.n == 1 || @.n == 3)].n","ne.$":"$.l[?(@.n != 1)].n","in.$":"$.l[?(@.n in [2,3])].n","rx.$":"$.l[?(@.s =~ /^ab.*/i)].n"}`,
			input:    `{"l":[{"n":1,"isbn":"x","s":"ABC"},{"n":2,"s":"b"},{"n":3,"isbn":null,"s":"abd"}]}`,
			item:     `1`,
			want:     `{"e":[1,3],"o":[1,3],"ne":[2,3],"in":[2,3],"rx":[1,3]}`,
		},
		{
			name:     "filter comparing with the root document",
			template: `{"v.$":"$.l[?(@.n >= $.min)]"}`,
			input:    `{"min":2,"l":[{"n":1},{"n":2}]}`,
			item:     `1`,
			want:     `{"v":[{"n":2}]}`,
		},
		{
			name:     "an indefinite path that matches nothing gives []",
			template: `{"v.$":"$.l[?(@.n > 100)]","w.$":"$.missing[*]"}`,
			input:    `{"l":[{"n":1}]}`,
			item:     `1`,
			want:     `{"v":[],"w":[]}`,
		},
		{
			name:     "filter over the item",
			template: `{"big.$":"$$.Map.Item.Value.parts[?(@.size > 1)].name"}`,
			input:    `{}`,
			item:     `{"parts":[{"name":"p","size":2},{"name":"q","size":1}]}`,
			want:     `{"big":["p"]}`,
		},
		{
			name:     "$$.Map.Item and $$ build the context object",
			template: `{"item.$":"$$.Map.Item","all.$":"$$"}`,
			input:    `{}`,
			index:    2,
			item:     `{"k":"v"}`,
			want:     `{"item":{"Index":2,"Value":{"k":"v"}},"all":{"Map":{"Item":{"Index":2,"Value":{"k":"v"}}}}}`,
		},
		{
			name:     "string escapes of the input are kept",
			template: `{"s.$":"$.s"}`,
			input:    `{"s":"a\"b\u00e9\n"}`,
			item:     `1`,
			want:     `{"s":"a\"b\u00e9\n"}`,
		},
		{
			name:     "item fields: white space, negative index, escaped key, duplicate key (last wins)",
			template: `{"last.$":"$$.Map.Item.Value.a[-1]","key.$":"$$.Map.Item.Value.key","dup.$":"$$.Map.Item.Value.d","dupIn.$":"$.d"}`,
			input:    `{"d":1,"d":2}`,
			item:     "{ \"a\" : [ 1 , { \"x\" : [ 2 ] } ] , \"k\\u0065y\" : \"K\", \"d\": 1, \"d\": 2 }",
			want:     `{"last":{"x":[2]},"key":"K","dup":2,"dupIn":2}`,
		},
		{
			name:     "a template without paths is copied",
			template: `{"a":{"b":[1,{"c":null}]}}`,
			input:    `{}`,
			item:     `1`,
			want:     `{"a":{"b":[1,{"c":null}]}}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := selector.Compile(json.RawMessage(tt.template))
			if err != nil {
				t.Fatalf("Compile: %v", err)
			}
			got, err := s.Apply(json.RawMessage(tt.input), tt.index, json.RawMessage(tt.item))
			if err != nil {
				t.Fatalf("Apply: %v", err)
			}
			if string(got) != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}

// TestLegacyParameters: REC distributed_legacy_iterator_parameters: Parameters behaves exactly
// like ItemSelector; only the error locations name the field.
func TestLegacyParameters(t *testing.T) {
	s, err := selector.CompileField("Parameters", json.RawMessage(`{"v.$":"$$.Map.Item.Value","in.$":"$"}`))
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.Apply(json.RawMessage(`[1,2]`), 0, json.RawMessage(`1`))
	if err != nil || string(got) != `{"v":1,"in":[1,2]}` {
		t.Fatalf("got %s, %v", got, err)
	}
	_, err = selector.CompileField("Parameters", json.RawMessage(`{"a":{"b.$":"x"}}`))
	var ce *selector.CompileError
	if !errors.As(err, &ce) || ce.Location != "Parameters.a.b.$" {
		t.Fatalf("got %v", err)
	}
}

func TestRuntimeError(t *testing.T) {
	tests := []struct {
		name     string
		template string
		input    string
		item     string
		want     string
	}{
		{
			// The cause text AWS records for a Parameters path that is not found (States.Runtime),
			// without the "An error occurred while executing the state …" prefix.
			name:     "member missing from the input",
			template: `{"address.$":"$.application.address"}`,
			input:    `{"flagged":false}`,
			item:     `1`,
			want:     `The JSONPath '$.application.address' specified for the field 'address.$' could not be found in the input '{"flagged":false}'`,
		},
		{
			name:     "the input is shown compact",
			template: `{"JobName.$":"$.JobName"}`,
			input:    "{ }",
			item:     `1`,
			want:     `The JSONPath '$.JobName' specified for the field 'JobName.$' could not be found in the input '{}'`,
		},
		{
			name:     "index out of range",
			template: `{"x.$":"$.a[3]"}`,
			input:    `{"a":[1]}`,
			item:     `1`,
			want:     `The JSONPath '$.a[3]' specified for the field 'x.$' could not be found in the input '{"a":[1]}'`,
		},
		{
			name:     "member of null",
			template: `{"x.$":"$.a.b"}`,
			input:    `{"a":null}`,
			item:     `1`,
			want:     `The JSONPath '$.a.b' specified for the field 'x.$' could not be found in the input '{"a":null}'`,
		},
		{
			name:     "a $$ path reports the context object",
			template: `{"j.$":"$$.Map.Item.Value.innerJobs"}`,
			input:    `{}`,
			item:     `{"id":1}`,
			want:     `The JSONPath '$$.Map.Item.Value.innerJobs' specified for the field 'j.$' could not be found in the input '{"Map":{"Item":{"Index":0,"Value":{"id":1}}}}'`,
		},
		{
			name:     "nested field: the key as written",
			template: `{"o":{"deep.$":"$.nope"}}`,
			input:    `{}`,
			item:     `1`,
			want:     `The JSONPath '$.nope' specified for the field 'deep.$' could not be found in the input '{}'`,
		},
		{
			name:     "context outside Map without BindContext",
			template: `{"id.$":"$$.Execution.Id"}`,
			input:    `{}`,
			item:     `1`,
			want:     `The JSONPath '$$.Execution.Id' specified for the field 'id.$' could not be found in the input '{}'`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := selector.Compile(json.RawMessage(tt.template))
			if err != nil {
				t.Fatal(err)
			}
			b, err := s.Bind(json.RawMessage(tt.input))
			if err != nil {
				t.Fatalf("Bind must not fail on a missing path: %v", err)
			}
			_, err = b.Apply(0, json.RawMessage(tt.item))
			var re *selector.RuntimeError
			if !errors.As(err, &re) {
				t.Fatalf("got %v, want *RuntimeError", err)
			}
			if re.Name() != "States.Runtime" || re.Error() != tt.want {
				t.Errorf("got  %s: %s\nwant States.Runtime: %s", re.Name(), re.Error(), tt.want)
			}
		})
	}
}

func TestBindContext(t *testing.T) {
	s, err := selector.Compile(json.RawMessage(`{"id.$":"$$.Execution.Id","i.$":"$$.Map.Item.Index"}`))
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.BindContext(json.RawMessage(`{}`), json.RawMessage(`{"Execution":{"Id":"arn:x"},"Map":{"ignored":1}}`))
	if err != nil {
		t.Fatal(err)
	}
	got, err := b.Apply(5, json.RawMessage(`1`))
	if err != nil || string(got) != `{"id":"arn:x","i":5}` {
		t.Fatalf("got %s, %v", got, err)
	}
}

func TestInvalidJSON(t *testing.T) {
	s, err := selector.Compile(json.RawMessage(`{"v.$":"$$.Map.Item.Value.a"}`))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Bind(json.RawMessage(`{`)); !errors.Is(err, selector.ErrInvalidJSON) {
		t.Errorf("Bind: got %v", err)
	}
	b, _ := s.Bind(json.RawMessage(`{}`))
	if _, err := b.Apply(0, json.RawMessage(`{"a":`)); !errors.Is(err, selector.ErrInvalidJSON) {
		t.Errorf("Apply: got %v", err)
	}
}

func TestCompileErrors(t *testing.T) {
	tests := []struct {
		name     string
		template string
		want     string // the whole error text
		notYet   bool   // wraps ErrNotSupported
	}{
		{"not JSON", `{`, `ItemSelector: invalid JSON: unexpected end of JSON input`, false},
		{"not an object", `[1]`, `ItemSelector: must be a JSON object`, false},
		{"path value not a string", `{"a.$":1}`, `ItemSelector.a.$: the value of a field ending in ".$" must be a string (a path or an intrinsic function), got 1`, false},
		{"path without $", `{"foo":{"bar.$":"a.b"}}`, `ItemSelector.foo.bar.$: invalid JSONPath "a.b": a path must start with "$" (or "$$" for the context object)`, false},
		{"location through an array", `{"l":[0,{"x.$":"nope"}]}`, `ItemSelector.l[1].x.$: invalid JSONPath "nope": a path must start with "$" (or "$$" for the context object)`, false},
		{"unclosed bracket", `{"foo":{"bar.$":"$.a["}}`, `ItemSelector.foo.bar.$: invalid JSONPath "$.a[": unexpected end of path at offset 4`, false},
		{"missing name", `{"x.$":"$."}`, `ItemSelector.x.$: invalid JSONPath "$.": missing member name at offset 2`, false},
		{"trailing deep scan", `{"x.$":"$.a.."}`, `ItemSelector.x.$: invalid JSONPath "$.a..": a path cannot end with ".." at offset 5`, false},
		{"function", `{"x.$":"$.a.length()"}`, `ItemSelector.x.$: invalid JSONPath "$.a.length()": functions such as length() are not supported at offset 10`, false},
		{"space in dot notation", `{"x.$":"$.a b"}`, `ItemSelector.x.$: invalid JSONPath "$.a b": unexpected ' ' at offset 3`, false},
		{"script expression", `{"x.$":"$.a[(@.length-1)]"}`, `ItemSelector.x.$: invalid JSONPath "$.a[(@.length-1)]": script expressions [(…)] are not supported at offset 4`, false},
		{"name union", `{"x.$":"$['a','b']"}`, `ItemSelector.x.$: invalid JSONPath "$['a','b']": a union of member names ['a','b'] is not supported at offset 5`, false},
		{"unknown filter operator", `{"x.$":"$.a[?(@.t subsetof ['x'])]"}`, `ItemSelector.x.$: invalid JSONPath "$.a[?(@.t subsetof ['x'])]": filter operator "subsetof" is not supported at offset 10`, false},
		{"context offsets count both $", `{"x.$":"$$.Map["}`, `ItemSelector.x.$: invalid JSONPath "$$.Map[": unexpected end of path at offset 7`, false},
		{"duplicate output key", `{"a":1,"a.$":"$.a"}`, `ItemSelector.a.$: duplicate output key "a" (also given as "a")`, false},
		{"intrinsic function", `{"msg.$":"States.Format('Hello, {}!', $.name)"}`, `ItemSelector.msg.$: intrinsic function States.Format is not supported yet`, true},
		{"intrinsic function without arguments", `{"id.$":"States.UUID()"}`, `ItemSelector.id.$: intrinsic function States.UUID is not supported yet`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := selector.Compile(json.RawMessage(tt.template))
			var ce *selector.CompileError
			if !errors.As(err, &ce) {
				t.Fatalf("got %v, want *CompileError", err)
			}
			if err.Error() != tt.want {
				t.Errorf("got  %s\nwant %s", err, tt.want)
			}
			if errors.Is(err, selector.ErrNotSupported) != tt.notYet {
				t.Errorf("errors.Is(err, ErrNotSupported) = %v", !tt.notYet)
			}
			if !strings.HasPrefix(ce.Location, "ItemSelector") {
				t.Errorf("Location %q", ce.Location)
			}
		})
	}
}

// TestConcurrentApply runs one Bound from many goroutines (go test -race).
func TestConcurrentApply(t *testing.T) {
	s, err := selector.Compile(json.RawMessage(`{"in.$":"$.k","v.$":"$$.Map.Item.Value.a","c.$":"$$"}`))
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.Bind(json.RawMessage(`{"k":1}`))
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan string)
	for g := range 8 {
		go func() {
			for i := range 200 {
				out, err := b.Apply(int64(i), json.RawMessage(`{"a":[1,2]}`))
				if err != nil {
					done <- err.Error()
					return
				}
				want := `{"in":1,"v":[1,2],"c":{"Map":{"Item":{"Index":` + itoa(i) + `,"Value":{"a":[1,2]}}}}}`
				if string(out) != want {
					done <- "goroutine " + itoa(g) + ": " + string(out)
					return
				}
			}
			done <- ""
		}()
	}
	for range 8 {
		if msg := <-done; msg != "" {
			t.Error(msg)
		}
	}
}

func itoa(i int) string {
	b, _ := json.Marshal(i)
	return string(b)
}

// TestItemCompaction: an item used whole is copied as json.Compact would write it.
func TestItemCompaction(t *testing.T) {
	s, err := selector.Compile(json.RawMessage(`{"v.$":"$$.Map.Item.Value"}`))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := s.Bind(json.RawMessage(`{}`))
	for _, item := range compactionCases {
		got, err := b.Apply(0, json.RawMessage(item))
		if err != nil {
			t.Fatal(err)
		}
		var want bytes.Buffer
		_ = json.Compact(&want, []byte(item))
		if string(got) != `{"v":`+want.String()+`}` {
			t.Errorf("item %q: got %s, want %s", item, got, want.String())
		}
	}
}

var compactionCases = []string{
	`1`, ` 1 `, `"a b"`, `"a\" b"`, `"a\\" `, `"a\\\" b" `, "[ 1 ,\n\t2 ]",
	`{ "k" : "v \\\\" , "x" : [ "\" ]" , { } ] }`, `"é \u00e9 ✓"`, `{"a":"\\"}`, ` [ ] `,
}
