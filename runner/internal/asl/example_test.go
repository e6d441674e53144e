package asl_test

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/wasmap/wasmap/runner/internal/asl"
)

// A runner parses the definition once, then drives one Execution per child: Next runs the states
// that need no function, each Invoke names the function to call, and Complete gives its result.
// Here the first call fails and the Retry asks for a second one after its backoff.
func Example() {
	m, err := asl.ParseMap([]byte(`{
	  "Type": "Map",
	  "ItemProcessor": {
	    "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
	    "StartAt": "Resize",
	    "States": {
	      "Resize": {
	        "Type": "Task",
	        "Resource": "arn:aws:lambda:us-east-1:123456789012:function:resize",
	        "Parameters": {"key.$": "$.Key", "attempt.$": "$$.State.RetryCount"},
	        "ResultPath": "$.resized",
	        "Retry": [{"ErrorEquals": ["States.TaskFailed"], "IntervalSeconds": 2}],
	        "Next": "Done"
	      },
	      "Done": {"Type": "Pass", "Parameters": {"key.$": "$.Key", "size.$": "$.resized.size"}, "End": true}
	    }
	  }
	}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(m.Processor.Functions())

	x := m.Processor.Start(json.RawMessage(`{"Key": "a.jpg"}`), asl.ExecContext{Name: "child-1", StartTime: time.Now()})
	results := []asl.Result{
		{Error: "Sandbox.Timedout", Cause: `{"errorMessage":"Task timed out after 3.00 seconds"}`},
		{Output: json.RawMessage(`{"size": 1024}`)},
	}
	st := x.Next()
	for i := 0; st.Invoke != nil; i++ {
		inv := st.Invoke
		fmt.Printf("invoke %s after %v: %s\n", inv.Function, inv.Delay, inv.Payload)
		st = x.Complete(results[i])
	}
	fmt.Printf("output %s, error %q\n", st.Output, st.Error)
	// Output:
	// [{resize ItemProcessor.States.Resize.Resource}]
	// invoke resize after 0s: {"key":"a.jpg","attempt":0}
	// invoke resize after 2s: {"key":"a.jpg","attempt":1}
	// output {"key":"a.jpg","size":1024}, error ""
}
