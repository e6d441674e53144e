package selector_test

import (
	"encoding/json"
	"fmt"

	"github.com/wasmap/wasmap/runner/internal/selector"
)

// The runner compiles the template once, binds it to the Map state's input once per Map run, and
// applies it to every item.
func Example() {
	sel, err := selector.Compile(json.RawMessage(`{
		"bucketName": "$bucket",
		"bucket.$": "$.bucket",
		"index.$": "$$.Map.Item.Index",
		"key.$": "$$.Map.Item.Value.Key"
	}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	bound, err := sel.Bind(json.RawMessage(`{"bucket": "photos"}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	for i, item := range []string{`{"Key": "a.jpg"}`, `{"Key": "b.jpg"}`} {
		out, err := bound.Apply(int64(i), json.RawMessage(item))
		fmt.Println(string(out), err)
	}
	// Output:
	// {"bucketName":"$bucket","bucket":"photos","index":0,"key":"a.jpg"} <nil>
	// {"bucketName":"$bucket","bucket":"photos","index":1,"key":"b.jpg"} <nil>
}

func ExampleRuntimeError() {
	sel, _ := selector.Compile(json.RawMessage(`{"address.$": "$.application.address"}`))
	_, err := sel.Apply(json.RawMessage(`{"flagged": false}`), 0, json.RawMessage(`{}`))
	if re, ok := err.(*selector.RuntimeError); ok {
		fmt.Println(re.Name())
		fmt.Println(re.Error())
	}
	// Output:
	// States.Runtime
	// The JSONPath '$.application.address' specified for the field 'address.$' could not be found in the input '{"flagged":false}'
}

func ExampleCompile_error() {
	_, err := selector.Compile(json.RawMessage(`{"foo": {"bar.$": "$.a["}, "msg.$": "States.Format('{}', $.x)"}`))
	fmt.Println(err)
	_, err = selector.Compile(json.RawMessage(`{"msg.$": "States.Format('{}', $.x)"}`))
	fmt.Println(err)
	// Output:
	// ItemSelector.foo.bar.$: invalid JSONPath "$.a[": unexpected end of path at offset 4
	// ItemSelector.msg.$: intrinsic function States.Format is not supported yet
}
