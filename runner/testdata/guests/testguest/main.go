// Command testguest is the runner's test function: each event chooses what it does, so one module
// covers warm reuse, errors, faults, limits and the Runtime API's corner cases.
//
// Build: GOOS=wasip1 GOARCH=wasm go build -o testguest.wasm .
//
// Events are {"op":"<op>", …}; any event may also carry "sleepMs":N to sleep N ms first.
//
//	echo        {"value":V}       responds V (null when absent)
//	error       {"message":M}     returns *InvalidOrderError: errorType "InvalidOrderError",
//	                              errorMessage M (default "order is invalid")
//	panic       {"message":M}     panics with the string M (default "boom"): errorType "string";
//	                              the SDK reports it, then the process exits with status 1
//	spin                          for {} forever
//	recurse                       unbounded recursion (a stack overflow, or the deadline first)
//	sleep       {"ms":N}          time.Sleep(N ms), responds {"sleptMs":N}
//	busy        {"ms":N}          busy-waits N ms of wall time without sleeping, responds {"busyMs":N}
//	oom                           allocates 1 MiB blocks, keeping them all, until memory runs out
//	exit        {"code":N}        os.Exit(N)
//	garbage                       posts the bytes "this is not JSON" through the raw respond import;
//	                              the SDK's own response then gets EALREADY and is dropped
//	big         {"bytes":N}       responds a JSON string of exactly N bytes, quotes included
//	                              (default 6291557, one over the limit)
//	noresponse                    calls the raw next import without responding: the host fails this
//	                              invocation with InvalidStateTransition; the guest then runs the
//	                              event next returned like any other and the SDK posts its outcome
//	                              (if next reports ECANCELED instead, the process exits with 0)
//	env                           responds {"env":{…},"deadlineMs","requestId","invokedFunctionArn",
//	                              "remainingMs" (from the remaining_ms import),"traceId","args"}
//	log         {"lines":[…],     prints each line to stdout (or, with "level", through the log
//	             "level":L}       import at level L), then one line to stderr; responds the count
//	counter                       responds the number of invocations this environment has run,
//	                              this one included
//
// Any other op fails with errorType "UnknownOpError".
//
// TESTGUEST_INIT in the environment chooses a failure during init (before the first next):
//
//	fail    init_error with {"errorMessage":"testguest: init failed on purpose","errorType":"InitFailure"}
//	        and no error-type header, then returns from main (exit status 0)
//	spin    for {} forever
//	panic   panics: the Go runtime prints it and exits with status 2
//	exit    os.Exit(TESTGUEST_EXIT_CODE), default 3
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/wasmap/wasmap/abi"
	"github.com/wasmap/wasmap/sdk/go/lambda"
	"github.com/wasmap/wasmap/sdk/go/lambdacontext"
)

// Event is the test guest's event.
type Event struct {
	Op      string          `json:"op"`
	Value   json.RawMessage `json:"value"`
	Message string          `json:"message"`
	Ms      int             `json:"ms"`
	SleepMs int             `json:"sleepMs"`
	Code    int             `json:"code"`
	Bytes   int             `json:"bytes"`
	Lines   []string        `json:"lines"`
	Level   *int32          `json:"level"`
}

// InvalidOrderError is the custom error type of the "error" op.
type InvalidOrderError struct{ Reason string }

func (e *InvalidOrderError) Error() string { return e.Reason }

// UnknownOpError is returned for an op the guest does not know.
type UnknownOpError struct{ Op string }

func (e *UnknownOpError) Error() string { return fmt.Sprintf("testguest: unknown op %q", e.Op) }

var (
	invocations int      // warm state: survives across invocations of one environment
	hog         [][]byte // the "oom" op's allocations, kept reachable
)

// traceIDKey is the key of the trace header in a handler's context: the plain string
// "x-amzn-trace-id", as in aws-lambda-go (typed any only to say that the choice is deliberate).
var traceIDKey any = "x-amzn-trace-id"

func main() {
	switch mode := os.Getenv("TESTGUEST_INIT"); mode {
	case "":
	case "fail":
		initError("", `{"errorMessage":"testguest: init failed on purpose","errorType":"InitFailure"}`)
		return
	case "spin":
		//lint:ignore SA5002 spinning is the point
		for {
		}
	case "panic":
		panic("testguest: init panic")
	case "exit":
		code, err := strconv.Atoi(os.Getenv("TESTGUEST_EXIT_CODE"))
		if err != nil {
			code = 3
		}
		os.Exit(code)
	default:
		fmt.Fprintf(os.Stderr, "testguest: unknown TESTGUEST_INIT %q\n", mode)
		os.Exit(2)
	}
	lambda.Start(handle)
}

func handle(ctx context.Context, ev Event) (any, error) {
	invocations++
	if ev.SleepMs > 0 {
		time.Sleep(time.Duration(ev.SleepMs) * time.Millisecond)
	}
	switch ev.Op {
	case "echo":
		return ev.Value, nil
	case "error":
		msg := ev.Message
		if msg == "" {
			msg = "order is invalid"
		}
		return nil, &InvalidOrderError{msg}
	case "panic":
		msg := ev.Message
		if msg == "" {
			msg = "boom"
		}
		panic(msg)
	case "spin":
		//lint:ignore SA5002 spinning is the point
		for {
		}
	case "recurse":
		return recurse(1), nil
	case "sleep":
		time.Sleep(time.Duration(ev.Ms) * time.Millisecond)
		return map[string]int{"sleptMs": ev.Ms}, nil
	case "busy":
		end := time.Now().Add(time.Duration(ev.Ms) * time.Millisecond)
		for time.Now().Before(end) {
		}
		return map[string]int{"busyMs": ev.Ms}, nil
	case "oom":
		for {
			b := make([]byte, 1<<20)
			b[len(b)-1] = 1
			hog = append(hog, b)
		}
	case "exit":
		os.Exit(ev.Code)
		return nil, nil
	case "garbage":
		if rc := respond([]byte("this is not JSON")); rc != 0 {
			return nil, fmt.Errorf("testguest: raw respond returned %d", rc)
		}
		return "the host already has a response; the SDK's is dropped", nil
	case "big":
		n := ev.Bytes
		if n == 0 {
			n = abi.MaxResponseBytes + 1
		}
		return strings.Repeat("x", max(n-2, 0)), nil
	case "noresponse":
		return handleNextRaw()
	case "env":
		return envReport(ctx), nil
	case "log":
		for _, line := range ev.Lines {
			if ev.Level != nil {
				logLine(*ev.Level, line)
			} else {
				fmt.Println(line)
			}
		}
		fmt.Fprintf(os.Stderr, "testguest: logged %d lines\n", len(ev.Lines))
		return len(ev.Lines), nil
	case "counter":
		return invocations, nil
	case "flaky": // fails with InvalidOrderError until this environment's value-th invocation
		if invocations <= valueInt(ev.Value) {
			return nil, &InvalidOrderError{fmt.Sprintf("flaky: invocation %d", invocations)}
		}
		return invocations, nil
	}
	return nil, &UnknownOpError{ev.Op}
}

func valueInt(v json.RawMessage) int {
	n, _ := strconv.Atoi(string(v))
	return n
}

// recurse never returns: every call needs a new frame.
func recurse(n int) int {
	var frame [16]int
	frame[n%16] = n
	//lint:ignore SA5007 unbounded recursion is the point
	return recurse(n+1) + frame[(n+1)%16]
}

func envReport(ctx context.Context) map[string]any {
	env := map[string]string{}
	for _, kv := range os.Environ() {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	lc, _ := lambdacontext.FromContext(ctx)
	deadline, _ := ctx.Deadline()
	return map[string]any{
		"env":                env,
		"deadlineMs":         deadline.UnixMilli(),
		"requestId":          lc.AwsRequestID,
		"invokedFunctionArn": lc.InvokedFunctionArn,
		"remainingMs":        remainingMs(),
		"traceId":            ctx.Value(traceIDKey),
		"args":               os.Args,
	}
}

// handleNextRaw asks for the next invocation behind the SDK's back (so the current one gets no
// response), then serves that invocation itself: its outcome returns through the SDK, which
// posts it to the host's current invocation, the new one.
func handleNextRaw() (any, error) {
	n := next()
	if n == -int64(abi.ECANCELED) {
		os.Exit(0) // the environment is shutting down
	}
	if n < 0 {
		return nil, fmt.Errorf("testguest: raw next returned %d", n)
	}
	event := make([]byte, n)
	if rc := eventRead(event); rc != int32(n) {
		return nil, fmt.Errorf("testguest: raw event_read returned %d for %d bytes", rc, n)
	}
	raw := make([]byte, 256)
	for {
		rc := contextRead(raw)
		if rc < 0 {
			return nil, fmt.Errorf("testguest: raw context_read returned %d", rc)
		}
		if int(rc) <= len(raw) {
			raw = raw[:rc]
			break
		}
		raw = make([]byte, rc)
	}
	var ic abi.InvocationContext
	if err := json.Unmarshal(raw, &ic); err != nil {
		return nil, err
	}
	ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{
		AwsRequestID:       ic.RequestID,
		InvokedFunctionArn: ic.InvokedFunctionArn,
	})
	ctx = context.WithValue(ctx, traceIDKey, ic.TraceID)
	ctx, cancel := context.WithDeadline(ctx, time.UnixMilli(ic.DeadlineMs))
	defer cancel()
	var ev Event
	if err := json.Unmarshal(event, &ev); err != nil {
		return nil, err
	}
	return handle(ctx, ev)
}
