package asl_test

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/wasmap/wasmap/runner/internal/asl"
)

var (
	startTime = time.Date(2025, 7, 1, 12, 0, 0, 0, time.UTC)
	testCtx   = asl.ExecContext{
		ExecutionArn:     "arn:aws:states:us-east-1:000000000000:execution:sm/Map:child-1",
		Name:             "child-1",
		StateMachineArn:  "arn:aws:states:us-east-1:000000000000:stateMachine:sm/Map",
		StateMachineName: "sm/Map",
		StartTime:        startTime,
		Now:              func() time.Time { return startTime.Add(1500 * time.Millisecond) },
	}
)

// processorOf parses a bare Map state whose ItemProcessor holds states and starts at start.
func processorOf(t *testing.T, start, states string) *asl.Processor {
	t.Helper()
	m, err := asl.ParseMap([]byte(withStates(start, states)))
	if err != nil {
		t.Fatal(err)
	}
	return m.Processor
}

// call is one invocation as the tests record it.
type call struct {
	State, Function, Payload string
	Delay, Timeout           time.Duration
	Attempt                  int
}

// drive runs an execution to its end, answering each invocation with respond.
func drive(t *testing.T, p *asl.Processor, input string, c asl.ExecContext, respond func(n int, inv *asl.Invocation) asl.Result) ([]call, asl.Step) {
	t.Helper()
	x := p.Start(json.RawMessage(input), c)
	var calls []call
	st := x.Next()
	for st.Invoke != nil {
		inv := st.Invoke
		calls = append(calls, call{inv.State, inv.Function, string(inv.Payload), inv.Delay, inv.Timeout, inv.Attempt})
		if len(calls) > 100 {
			t.Error("more than 100 invocations")
			return calls, st
		}
		st = x.Complete(respond(len(calls)-1, inv))
	}
	return calls, st
}

// fails answers with the error names in order, then succeeds with output.
func fails(output string, names ...string) func(int, *asl.Invocation) asl.Result {
	return func(n int, inv *asl.Invocation) asl.Result {
		if n < len(names) {
			return asl.Result{Error: names[n], Cause: fmt.Sprintf(`{"errorMessage":"attempt %d","errorType":"%s"}`, n, names[n])}
		}
		return asl.Result{Output: json.RawMessage(output), RequestID: fmt.Sprintf("req-%d", n)}
	}
}

func TestPassTaskPassChain(t *testing.T) {
	p := processorOf(t, "Prepare", `
		"Prepare": {"Type": "Pass", "InputPath": "$.order", "Parameters": {"id.$": "$.id", "exec.$": "$$.Execution.Name", "state.$": "$$.State.Name"}, "ResultPath": "$.prepared", "Next": "Charge"},
		"Charge": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:charge", "InputPath": "$.prepared",
			"Parameters": {"orderId.$": "$.id", "entered.$": "$$.State.EnteredTime", "started.$": "$$.Execution.StartTime"},
			"ResultSelector": {"receipt.$": "$.receipt"}, "ResultPath": "$.charge", "OutputPath": "$", "Next": "Done"},
		"Done": {"Type": "Pass", "Result": {"status": "done"}, "ResultPath": "$.status", "End": true}`)
	calls, st := drive(t, p, `{"order": {"id": 42, "note": "x"}, "keep": true}`, testCtx, fails(`{"receipt": "r-1", "extra": 1}`))
	wantCalls := []call{{State: "Charge", Function: "charge",
		Payload: `{"orderId":42,"entered":"2025-07-01T12:00:01.500Z","started":"2025-07-01T12:00:00.000Z"}`}}
	if !reflect.DeepEqual(calls, wantCalls) {
		t.Errorf("calls\ngot  %+v\nwant %+v", calls, wantCalls)
	}
	want := `{"order":{"id":42,"note":"x"},"keep":true,"prepared":{"id":42,"exec":"child-1","state":"Prepare"},"charge":{"receipt":"r-1"},"status":{"status":"done"}}`
	if st.Error != "" || string(st.Output) != want {
		t.Errorf("output %s %s\nwant %s", st.Output, st.Error, want)
	}
}

func TestTaskOutputPath(t *testing.T) {
	p := processorOf(t, "T", `"T": {"Type": "Task", "Resource": "fn", "ResultPath": "$.r", "OutputPath": "$.r.v", "End": true}`)
	_, st := drive(t, p, `{"a": 1}`, testCtx, fails(`{"v": [1, 2]}`))
	if string(st.Output) != `[1,2]` {
		t.Errorf("output %s %s", st.Output, st.Cause)
	}
	// An empty response is null; ResultPath null keeps the input.
	p = processorOf(t, "T", `"T": {"Type": "Task", "Resource": "fn", "ResultPath": null, "End": true}`)
	_, st = drive(t, p, `{"a": 1}`, testCtx, fails(``))
	if string(st.Output) != `{"a":1}` {
		t.Errorf("ResultPath null: %s %s", st.Output, st.Cause)
	}
}

func TestFailAndSucceed(t *testing.T) {
	p := processorOf(t, "F", `"F": {"Type": "Fail", "Error": "OrderRejected", "Cause": "no stock"}`)
	calls, st := drive(t, p, `{}`, testCtx, nil)
	if len(calls) != 0 || st.Error != "OrderRejected" || st.Cause != "no stock" || st.Output != nil {
		t.Errorf("Fail: %+v", st)
	}
	p = processorOf(t, "F", `"F": {"Type": "Fail", "ErrorPath": "$.e.name", "CausePath": "$.e.why"}`)
	_, st = drive(t, p, `{"e": {"name": "Dyn", "why": "because"}}`, testCtx, nil)
	if st.Error != "Dyn" || st.Cause != "because" {
		t.Errorf("ErrorPath: %+v", st)
	}
	_, st = drive(t, p, `{"e": {"name": 5, "why": "x"}}`, testCtx, nil)
	if st.Error != "States.Runtime" || st.Cause != `An error occurred while executing the state 'F' (entered at the event id #2). The ErrorPath field refers to value "5" which is not a valid string: $.e.name` {
		t.Errorf("ErrorPath number: %+v", st)
	}
	p = processorOf(t, "S", `"S": {"Type": "Succeed", "InputPath": "$.a", "OutputPath": "$.b"}`)
	if _, st = drive(t, p, `{"a": {"b": "ok"}}`, testCtx, nil); string(st.Output) != `"ok"` {
		t.Errorf("Succeed: %+v", st)
	}
}

func TestRuntimeErrorsNameTheStateEvent(t *testing.T) {
	// Events: ExecutionStarted #1, PassStateEntered #2, PassStateExited #3, TaskStateEntered #4,
	// TaskScheduled #5, TaskStarted #6, TaskSucceeded #7, TaskStateExited #8, PassStateEntered #9.
	p := processorOf(t, "A", `
		"A": {"Type": "Pass", "Next": "B"},
		"B": {"Type": "Task", "Resource": "fn", "Parameters": {"x.$": "$.x"}, "Next": "C"},
		"C": {"Type": "Pass", "InputPath": "$.missing", "End": true}`)
	_, st := drive(t, p, `{"y": 1}`, testCtx, fails(`{}`))
	want := `An error occurred while executing the state 'B' (entered at the event id #4). The JSONPath '$.x' specified for the field 'x.$' could not be found in the input '{"y":1}'`
	if st.Error != "States.Runtime" || st.Cause != want {
		t.Errorf("Parameters: %+v\nwant %s", st, want)
	}
	_, st = drive(t, p, `{"x": 1}`, testCtx, fails(`{}`))
	want = `An error occurred while executing the state 'C' (entered at the event id #9). Invalid path '$.missing' : No results for path: $['missing']`
	if st.Error != "States.Runtime" || st.Cause != want {
		t.Errorf("InputPath: %+v\nwant %s", st, want)
	}
	p = processorOf(t, "T", `"T": {"Type": "Task", "Resource": "fn", "ResultPath": "$.a.b", "End": true}`)
	_, st = drive(t, p, `{"a": "s"}`, testCtx, fails(`1`))
	want = `An error occurred while executing the state 'T' (entered at the event id #2). Unable to apply ReferencePath $.a.b to input {"a":"s"}`
	if st.Cause != want {
		t.Errorf("ResultPath: %+v\nwant %s", st, want)
	}
}

func TestRetryDelays(t *testing.T) {
	tests := []struct {
		name, retry string
		errors      []string
		rand        func() float64
		delays      []time.Duration
		wantErr     string
	}{
		{"AWS guide example: 3s then 4.5s", `{"ErrorEquals": ["States.Timeout"], "IntervalSeconds": 3, "MaxAttempts": 2, "BackoffRate": 1.5}`,
			[]string{"States.Timeout", "States.Timeout", "States.Timeout"}, nil, []time.Duration{0, 3 * time.Second, 4500 * time.Millisecond}, "States.Timeout"},
		{"defaults: 1s, 2s, 4s", `{"ErrorEquals": ["E"]}`,
			[]string{"E", "E", "E"}, nil, []time.Duration{0, time.Second, 2 * time.Second, 4 * time.Second}, ""},
		{"MaxDelaySeconds caps", `{"ErrorEquals": ["E"], "IntervalSeconds": 2, "BackoffRate": 3, "MaxAttempts": 4, "MaxDelaySeconds": 10}`,
			[]string{"E", "E", "E", "E", "E"}, nil, []time.Duration{0, 2 * time.Second, 6 * time.Second, 10 * time.Second, 10 * time.Second}, "E"},
		{"FULL jitter", `{"ErrorEquals": ["E"], "IntervalSeconds": 4, "MaxAttempts": 2, "JitterStrategy": "FULL"}`,
			[]string{"E", "E"}, func() float64 { return 0.25 }, []time.Duration{0, time.Second, 2 * time.Second}, ""},
		{"MaxAttempts 0 never retries", `{"ErrorEquals": ["E"], "MaxAttempts": 0}`,
			[]string{"E"}, nil, []time.Duration{0}, "E"},
		{"no retrier matches", `{"ErrorEquals": ["Other"]}`,
			[]string{"E"}, nil, []time.Duration{0}, "E"},
		{"TaskFailed matches a function timeout", `{"ErrorEquals": ["States.TaskFailed"], "MaxAttempts": 1}`,
			[]string{"Sandbox.Timedout"}, nil, []time.Duration{0, time.Second}, ""},
		{"TaskFailed does not match States.Timeout", `{"ErrorEquals": ["States.TaskFailed"]}`,
			[]string{"States.Timeout"}, nil, []time.Duration{0}, "States.Timeout"},
		{"States.ALL matches States.Timeout", `{"ErrorEquals": ["States.ALL"], "MaxAttempts": 1}`,
			[]string{"States.Timeout"}, nil, []time.Duration{0, time.Second}, ""},
		{"States.ALL does not match States.Runtime", `{"ErrorEquals": ["States.ALL"]}`,
			[]string{"States.Runtime"}, nil, []time.Duration{0}, "States.Runtime"},
		{"naming States.Runtime does not retry it", `{"ErrorEquals": ["States.Runtime"]}`,
			[]string{"States.Runtime"}, nil, []time.Duration{0}, "States.Runtime"},
		{"States.ALL does not match States.DataLimitExceeded", `{"ErrorEquals": ["States.ALL"]}`,
			[]string{"States.DataLimitExceeded"}, nil, []time.Duration{0}, "States.DataLimitExceeded"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := processorOf(t, "T", `"T": {"Type": "Task", "Resource": "fn", "Retry": [`+tt.retry+`], "End": true}`)
			c := testCtx
			c.Rand = tt.rand
			calls, st := drive(t, p, `{}`, c, fails(`"ok"`, tt.errors...))
			var delays []time.Duration
			for i, cl := range calls {
				delays = append(delays, cl.Delay)
				if cl.Attempt != i {
					t.Errorf("call %d: Attempt %d", i, cl.Attempt)
				}
			}
			if !reflect.DeepEqual(delays, tt.delays) {
				t.Errorf("delays %v, want %v", delays, tt.delays)
			}
			if st.Error != tt.wantErr {
				t.Errorf("error %q, want %q", st.Error, tt.wantErr)
			}
			if tt.wantErr != "" && !strings.Contains(st.Cause, tt.wantErr) {
				t.Errorf("cause %q", st.Cause)
			}
		})
	}
}

// The AWS guide's complex scenario: each retrier counts its own attempts; when the matching
// retrier is spent, the catchers decide.
func TestRetrySeparateCounters(t *testing.T) {
	p := processorOf(t, "X", `
		"X": {"Type": "Task", "Resource": "fn", "Next": "Y",
			"Retry": [{"ErrorEquals": ["ErrorA", "ErrorB"], "IntervalSeconds": 1, "BackoffRate": 2.0, "MaxAttempts": 2},
			          {"ErrorEquals": ["ErrorC"], "IntervalSeconds": 5}],
			"Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Z"}]},
		"Y": {"Type": "Succeed"},
		"Z": {"Type": "Pass", "End": true}`)
	calls, st := drive(t, p, `{"in": 1}`, testCtx, fails(`{}`, "ErrorA", "ErrorB", "ErrorC", "ErrorB"))
	var delays []time.Duration
	for _, c := range calls {
		delays = append(delays, c.Delay)
	}
	if want := []time.Duration{0, time.Second, 2 * time.Second, 5 * time.Second}; !reflect.DeepEqual(delays, want) {
		t.Errorf("delays %v, want %v", delays, want)
	}
	if string(st.Output) != `{"Error":"ErrorB","Cause":"{\"errorMessage\":\"attempt 3\",\"errorType\":\"ErrorB\"}"}` {
		t.Errorf("output %s %s", st.Output, st.Error)
	}
}

func TestCatchResultPath(t *testing.T) {
	p := processorOf(t, "T", `
		"T": {"Type": "Task", "Resource": "fn", "InputPath": "$.job", "Next": "Ok",
			"Retry": [{"ErrorEquals": ["States.Timeout"], "MaxAttempts": 0}],
			"Catch": [{"ErrorEquals": ["States.Timeout"], "ResultPath": "$.timeout", "Next": "Recover"},
			          {"ErrorEquals": ["States.TaskFailed"], "ResultPath": "$.error-info", "Next": "Recover"}]},
		"Ok": {"Type": "Succeed"},
		"Recover": {"Type": "Pass", "End": true}`)
	_, st := drive(t, p, `{"job": {"id": 1}}`, testCtx, func(int, *asl.Invocation) asl.Result {
		return asl.Result{Error: "java.lang.Exception", Cause: `{"errorMessage":"boom"}`}
	})
	want := `{"job":{"id":1},"error-info":{"Error":"java.lang.Exception","Cause":"{\"errorMessage\":\"boom\"}"}}`
	if st.Error != "" || string(st.Output) != want {
		t.Errorf("TaskFailed: %s %s\nwant %s", st.Output, st.Error, want)
	}
	_, st = drive(t, p, `{"job": {"id": 1}}`, testCtx, func(int, *asl.Invocation) asl.Result { return asl.Result{Error: "States.Timeout"} })
	if want := `{"job":{"id":1},"timeout":{"Error":"States.Timeout"}}`; string(st.Output) != want {
		t.Errorf("Timeout: %s %s\nwant %s", st.Output, st.Error, want)
	}
}

func TestLambdaInvoke(t *testing.T) {
	p := processorOf(t, "Call", `
		"Call": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
			"Parameters": {"FunctionName": "arn:aws:lambda:us-east-1:123456789012:function:work:$LATEST", "Payload": {"item.$": "$.v", "fixed": 1}},
			"ResultPath": "$.res", "Next": "Dyn"},
		"Dyn": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
			"Parameters": {"FunctionName.$": "$.fn"}, "OutputPath": "$.Payload", "TimeoutSeconds": 30, "End": true}`)
	calls, st := drive(t, p, `{"v": "a", "fn": "second:prod"}`, testCtx, func(n int, inv *asl.Invocation) asl.Result {
		if n == 0 {
			return asl.Result{Output: json.RawMessage(`{"x": 1}`), RequestID: "r-0"}
		}
		return asl.Result{Output: json.RawMessage(`"done"`), RequestID: "r-1"}
	})
	wantCalls := []call{
		{State: "Call", Function: "work", Payload: `{"item":"a","fixed":1}`},
		{State: "Dyn", Function: "second", Payload: `{}`, Timeout: 30 * time.Second},
	}
	if !reflect.DeepEqual(calls, wantCalls) {
		t.Errorf("calls\ngot  %+v\nwant %+v", calls, wantCalls)
	}
	if string(st.Output) != `"done"` {
		t.Errorf("output %s %s", st.Output, st.Cause)
	}
	// The whole Invoke response, as the integration returns it.
	p = processorOf(t, "Call", `"Call": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
			"Parameters": {"FunctionName": "work", "Payload.$": "$"}, "End": true}`)
	calls, st = drive(t, p, `{"v": 1}`, testCtx, func(int, *asl.Invocation) asl.Result {
		return asl.Result{Output: json.RawMessage(`{"x": 1}`), RequestID: "8f1e"}
	})
	want := `{"ExecutedVersion":"$LATEST","Payload":{"x":1},"SdkHttpMetadata":{"AllHttpHeaders":{"Content-Length":["8"],"Content-Type":["application/json"],"X-Amz-Executed-Version":["$LATEST"],"x-amzn-RequestId":["8f1e"]},"HttpHeaders":{"Content-Length":"8","Content-Type":"application/json","X-Amz-Executed-Version":"$LATEST","x-amzn-RequestId":"8f1e"},"HttpStatusCode":200},"SdkResponseMetadata":{"RequestId":"8f1e"},"StatusCode":200}`
	if string(st.Output) != want || calls[0].Payload != `{"v":1}` {
		t.Errorf("response\ngot  %s\nwant %s", st.Output, want)
	}
	// A dynamic FunctionName that is not a name.
	p = processorOf(t, "Call", `"Call": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Parameters": {"FunctionName.$": "$.fn"}, "End": true}`)
	_, st = drive(t, p, `{"fn": 7}`, testCtx, nil)
	if st.Error != "States.Runtime" || !strings.HasSuffix(st.Cause, `The FunctionName field refers to value "7" which is not a valid function name`) {
		t.Errorf("dynamic name: %+v", st)
	}
}

func TestTimeoutSecondsPathAndRetryCount(t *testing.T) {
	p := processorOf(t, "T", `"T": {"Type": "Task", "Resource": "fn", "TimeoutSecondsPath": "$.t",
		"Parameters": {"retry.$": "$$.State.RetryCount"}, "Retry": [{"ErrorEquals": ["States.Timeout"], "MaxAttempts": 1}], "End": true}`)
	calls, st := drive(t, p, `{"t": "5"}`, testCtx, fails(`{}`, "States.Timeout"))
	want := []call{
		{State: "T", Function: "fn", Payload: `{"retry":0}`, Timeout: 5 * time.Second},
		{State: "T", Function: "fn", Payload: `{"retry":1}`, Timeout: 5 * time.Second, Delay: time.Second, Attempt: 1},
	}
	if !reflect.DeepEqual(calls, want) || st.Error != "" {
		t.Errorf("calls\ngot  %+v\nwant %+v\n%+v", calls, want, st)
	}
	_, st = drive(t, p, `{"t": 0}`, testCtx, nil)
	if st.Error != "States.Runtime" || !strings.HasSuffix(st.Cause, `The TimeoutSecondsPath field refers to value "0" which is not a positive integer of at most 99999999: $.t`) {
		t.Errorf("TimeoutSecondsPath 0: %+v", st)
	}
}

func TestSingleTask(t *testing.T) {
	p := asl.SingleTask("resize")
	if f := p.Functions(); len(f) != 1 || f[0] != (asl.FunctionRef{Name: "resize", Location: "ItemProcessor.States.Invoke.Resource"}) {
		t.Errorf("Functions %+v", f)
	}
	calls, st := drive(t, p, ` { "k" : [1, 2] } `, testCtx, func(int, *asl.Invocation) asl.Result {
		return asl.Result{Output: json.RawMessage(`{"out": true}`)}
	})
	if len(calls) != 1 || calls[0].State != "Invoke" || calls[0].Payload != `{"k":[1,2]}` || string(st.Output) != `{"out":true}` {
		t.Errorf("%+v %+v", calls, st)
	}
	_, st = drive(t, p, `{}`, testCtx, func(int, *asl.Invocation) asl.Result {
		return asl.Result{Error: "Runtime.ExitError", Cause: `{"errorType":"Runtime.ExitError"}`}
	})
	if st.Error != "Runtime.ExitError" || st.Cause != `{"errorType":"Runtime.ExitError"}` {
		t.Errorf("failure %+v", st)
	}
}

func TestExecutionCallOrder(t *testing.T) {
	p := asl.SingleTask("fn")
	x := p.Start(json.RawMessage(`1`), testCtx)
	// Complete before Next is Next.
	st := x.Complete(asl.Result{Output: json.RawMessage(`2`)})
	if st.Invoke == nil {
		t.Fatalf("first step %+v", st)
	}
	if again := x.Next(); again.Invoke != st.Invoke {
		t.Error("Next with a pending invocation returned another step")
	}
	st = x.Complete(asl.Result{Output: json.RawMessage(`2`)})
	if string(st.Output) != "2" {
		t.Fatalf("end %+v", st)
	}
	if again := x.Complete(asl.Result{Output: json.RawMessage(`3`)}); string(again.Output) != "2" {
		t.Errorf("after the end: %+v", again)
	}
}

// A loop of Task states ends at Step Functions' history limit instead of running forever.
func TestHistoryLimit(t *testing.T) {
	p := processorOf(t, "T", `"T": {"Type": "Task", "Resource": "fn", "Next": "T"}`)
	x := p.Start(json.RawMessage(`{}`), testCtx)
	n := 0
	for st := x.Next(); ; st = x.Complete(asl.Result{Output: json.RawMessage(`{}`)}) {
		if st.Invoke == nil {
			if st.Error != "States.Runtime" || !strings.Contains(st.Cause, "25000 events") {
				t.Errorf("end %+v", st)
			}
			break
		}
		if n++; n > 10000 {
			t.Fatal("no limit")
		}
	}
	if n != 5000 {
		t.Errorf("%d invocations, want 5000 (5 events each)", n)
	}
}

// Executions of one Processor run concurrently (go test -race).
func TestConcurrentExecutions(t *testing.T) {
	p := processorOf(t, "T", `"T": {"Type": "Task", "Resource": "fn", "Parameters": {"i.$": "$.i", "n.$": "$$.State.RetryCount"},
		"Retry": [{"ErrorEquals": ["E"], "JitterStrategy": "FULL"}], "ResultPath": "$.r", "End": true}`)
	done := make(chan string)
	for g := 0; g < 4; g++ {
		go func() {
			var fail string
			for i := 0; i < 50; i++ {
				in := fmt.Sprintf(`{"i":%d}`, i)
				_, st := drive(t, p, in, asl.ExecContext{}, fails(`1`, "E"))
				if want := fmt.Sprintf(`{"i":%d,"r":1}`, i); string(st.Output) != want {
					fail = fmt.Sprintf("%s, want %s", st.Output, want)
				}
			}
			done <- fail
		}()
	}
	for g := 0; g < 4; g++ {
		if f := <-done; f != "" {
			t.Error(f)
		}
	}
}

// The cost of one child execution of a single Task, the CLI's default processor.
func BenchmarkSingleTask(b *testing.B) {
	p := asl.SingleTask("fn")
	in := json.RawMessage(`{"Key":"photos/2025/07/01/a.jpg","Size":123456,"Etag":"\"d41d8cd98f00b204e9800998ecf8427e\""}`)
	res := asl.Result{Output: json.RawMessage(`{"ok":true,"width":640,"height":480}`)}
	b.ReportAllocs()
	for b.Loop() {
		x := p.Start(in, asl.ExecContext{})
		x.Next()
		if st := x.Complete(res); st.Output == nil {
			b.Fatal(st)
		}
	}
}
