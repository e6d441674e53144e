package lambda

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"strings"
	"testing"
	"time"

	"github.com/wasmap/wasmap/abi"
	"github.com/wasmap/wasmap/sdk/go/lambda/messages"
	"github.com/wasmap/wasmap/sdk/go/lambdacontext"
)

// captureLog sends the standard logger to a buffer for the test's duration.
func captureLog(t testing.TB) *bytes.Buffer {
	var buf bytes.Buffer
	w, flags := log.Writer(), log.Flags()
	log.SetOutput(&buf)
	log.SetFlags(0)
	t.Cleanup(func() { log.SetOutput(w); log.SetFlags(flags) })
	return &buf
}

type loopRun struct {
	rt   *fakeRuntime
	err  error
	logs string
	env  map[string]string
}

// runLoop serves invs with h on a fake runtime until it shuts down or fails.
func runLoop(t *testing.T, h *handler, invs ...fakeInvocation) loopRun {
	t.Helper()
	logs := captureLog(t)
	rt := newFakeRuntime(t, invs...)
	l := newInvokeLoop(rt, h)
	env := map[string]string{}
	l.setenv = func(k, v string) error { env[k] = v; return nil }
	err := l.run()
	return loopRun{rt: rt, err: err, logs: logs.String(), env: env}
}

func (r loopRun) response(t *testing.T, i int) string {
	t.Helper()
	o := r.rt.outcomes[i]
	if o == nil || o.response == nil {
		t.Fatalf("invocation %d: no response, outcome %+v", i, o)
	}
	return string(o.response)
}

func (r loopRun) errorJSON(t *testing.T, i int) messages.InvokeResponse_Error {
	t.Helper()
	o := r.rt.outcomes[i]
	if o == nil || o.errorBody == nil {
		t.Fatalf("invocation %d: no error, outcome %+v", i, o)
	}
	if len(o.errorType) != 0 {
		t.Errorf("invocation %d: error type header %q, want none", i, o.errorType)
	}
	var e messages.InvokeResponse_Error
	if err := json.Unmarshal(o.errorBody, &e); err != nil {
		t.Fatalf("invocation %d: error body %s: %v", i, o.errorBody, err)
	}
	return e
}

type item struct {
	ID   int    `json:"id"`
	Name string `json:"name"`
}

func TestLoopServesInvocationsUntilShutdown(t *testing.T) {
	upper := func(ctx context.Context, in item) (item, error) {
		in.Name = strings.ToUpper(in.Name) + " <&>"
		return in, nil
	}
	for name, h := range map[string]*handler{
		"reflect": newHandler(upper, nil),
		"typed":   newTypedHandler(upper, nil),
	} {
		t.Run(name, func(t *testing.T) {
			r := runLoop(t, h,
				fakeInvocation{event: `{"id":1,"name":"ada"}`},
				fakeInvocation{event: `{"id":2,"name":"grace"}`},
				fakeInvocation{event: `{"id":3,"name":"edsger"}`})
			if r.err != nil {
				t.Fatalf("run: %v", r.err)
			}
			want := []string{`{"id":1,"name":"ADA <&>"}`, `{"id":2,"name":"GRACE <&>"}`, `{"id":3,"name":"EDSGER <&>"}`}
			for i, w := range want {
				if got := r.response(t, i); got != w {
					t.Errorf("response %d = %s, want %s", i, got, w)
				}
			}
			if n := strings.Count(strings.Join(r.rt.calls, " "), "next"); n != 4 {
				t.Errorf("next called %d times, want 4 (3 invocations + shutdown)", n)
			}
			if r.logs != "" {
				t.Errorf("unexpected logs: %s", r.logs)
			}
		})
	}
}

func TestLoopGrowsBuffers(t *testing.T) {
	big := strings.Repeat("x", 100_000)
	longID := strings.Repeat("r", 2000)
	h := newHandler(func(ctx context.Context, s string) (int, error) {
		lc, _ := lambdacontext.FromContext(ctx)
		return len(s) + len(lc.AwsRequestID), nil
	}, nil)
	r := runLoop(t, h,
		fakeInvocation{event: `"small"`},
		fakeInvocation{event: `"` + big + `"`, id: longID},
		fakeInvocation{event: `"again"`})
	if r.err != nil {
		t.Fatal(r.err)
	}
	for i, want := range []int{5 + len("req-0"), len(big) + len(longID), 5 + len("req-2")} {
		if got := r.response(t, i); got != fmt.Sprint(want) {
			t.Errorf("response %d = %s, want %d", i, got, want)
		}
	}
	// The big event: next gives the size, so one event_read suffices; the long context needs a
	// second context_read after the first reports its size.
	calls := strings.Join(r.rt.calls, " ")
	for _, want := range []string{
		"next event_read(cap=16384) context_read(cap=512) respond",
		"next event_read(cap=102400) context_read(cap=512) context_read(cap=4096) respond",
		"next event_read(cap=102400) context_read(cap=4096) respond",
	} {
		if !strings.Contains(calls, want) {
			t.Errorf("calls %q lack %q", calls, want)
		}
	}
}

type invalidOrderError struct{ id int }

func (e *invalidOrderError) Error() string { return fmt.Sprintf("order %d is invalid", e.id) }

type valueError struct{}

func (valueError) Error() string { return "value receiver" }

func TestLoopMapsReturnedErrors(t *testing.T) {
	tests := []struct {
		name        string
		handler     any
		event       string
		wantType    string
		wantMessage string
	}{
		{"errors.New", func() error { return errors.New("boom") }, `{}`, "errorString", "boom"},
		{"fmt.Errorf", func() error { return fmt.Errorf("n=%d", 3) }, `{}`, "errorString", "n=3"},
		{"fmt.Errorf %w", func() error { return fmt.Errorf("wrapped: %w", errors.New("inner")) }, `{}`, "wrapError", "wrapped: inner"},
		{"pointer type", func() (int, error) { return 0, &invalidOrderError{7} }, `{}`, "invalidOrderError", "order 7 is invalid"},
		{"value type", func() error { return valueError{} }, `{}`, "valueError", "value receiver"},
		{"syntax error", func(item) error { return nil }, `{"id":`, "SyntaxError", "unexpected end of JSON input"},
		{"type error", func(item) error { return nil }, `{"id":"x"}`, "UnmarshalTypeError", "json: cannot unmarshal string into Go struct field item.id of type int"},
		{"InvokeResponse_Error", func() error {
			return messages.InvokeResponse_Error{Message: "custom", Type: "Order.Invalid"}
		}, `{}`, "Order.Invalid", "custom"},
		{"*InvokeResponse_Error", func() error {
			return &messages.InvokeResponse_Error{Message: "custom", Type: "Order.Invalid"}
		}, `{}`, "Order.Invalid", "custom"},
		{"unserialisable", func() (chan int, error) { return make(chan int), nil }, `{}`, "Runtime.SerializationError", "json: unsupported type: chan int"},
		{"invalid handler", func(a, b int) {}, `{}`, "errorString", "handler takes two arguments, but the first is not Context. got int"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runLoop(t, newHandler(tt.handler, nil), fakeInvocation{event: tt.event}, fakeInvocation{event: tt.event})
			if r.err != nil {
				t.Fatalf("run: %v (a returned error must not end the loop)", r.err)
			}
			for i := range 2 {
				e := r.errorJSON(t, i)
				if e.Type != tt.wantType || e.Message != tt.wantMessage || e.StackTrace != nil {
					t.Errorf("error %d = %+v, want type %q message %q", i, e, tt.wantType, tt.wantMessage)
				}
			}
			// Each error payload is logged, as aws-lambda-go does.
			if n := strings.Count(r.logs, `"errorType":"`+tt.wantType+`"`); n != 2 {
				t.Errorf("logs have %d error payloads, want 2:\n%s", n, r.logs)
			}
		})
	}
}

type panicValue struct{ Code int }

func panicDeep(v any) { panic(v) }

func TestLoopReportsPanicAndStops(t *testing.T) {
	tests := []struct {
		name        string
		value       any
		wantType    string
		wantMessage string
	}{
		{"string", "it broke", "string", "it broke"},
		{"error", errors.New("an error"), "errorString", "an error"},
		{"struct", panicValue{42}, "panicValue", "{42}"},
		{"pointer", &panicValue{7}, "panicValue", "&{7}"},
		{"int", 3, "int", "3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHandler(func(ctx context.Context) error { panicDeep(tt.value); return nil }, nil)
			r := runLoop(t, h, fakeInvocation{event: `{}`}, fakeInvocation{event: `{}`})
			if !errors.Is(r.err, errPanicked) {
				t.Fatalf("run = %v, want errPanicked", r.err)
			}
			if len(r.rt.outcomes) != 1 {
				t.Fatalf("%d invocations served after a panic, want 1", len(r.rt.outcomes))
			}
			e := r.errorJSON(t, 0)
			if e.Type != tt.wantType || e.Message != tt.wantMessage {
				t.Errorf("error = %q %q, want %q %q", e.Type, e.Message, tt.wantType, tt.wantMessage)
			}
			if len(e.StackTrace) < 2 {
				t.Fatalf("stack trace %+v, want the panicking frames", e.StackTrace)
			}
			top := e.StackTrace[0]
			if top.Label != "panicDeep" || top.Path != "github.com/wasmap/wasmap/sdk/go/lambda/invoke_loop_test.go" || top.Line == 0 {
				t.Errorf("top frame = %+v, want panicDeep in invoke_loop_test.go", top)
			}
			for _, f := range e.StackTrace {
				if strings.HasPrefix(f.Label, "runtime.") || strings.Contains(f.Label, "invokeLoop") {
					t.Errorf("stack trace has SDK or runtime frame %+v", f)
				}
			}
			if !strings.Contains(r.logs, `"stackTrace":[{"path":`) {
				t.Errorf("panic payload not logged: %s", r.logs)
			}
		})
	}
}

func TestLoopReportsNilDereferencePanic(t *testing.T) {
	h := newHandler(func() error { var p *item; return errors.New(p.Name) }, nil)
	r := runLoop(t, h, fakeInvocation{event: `{}`})
	if !errors.Is(r.err, errPanicked) {
		t.Fatalf("run = %v", r.err)
	}
	e := r.errorJSON(t, 0)
	if e.Type != "errorString" || e.Message != "runtime error: invalid memory address or nil pointer dereference" {
		t.Errorf("error = %q %q", e.Type, e.Message)
	}
	if len(e.StackTrace) == 0 || !strings.Contains(e.StackTrace[0].Label, "TestLoopReportsNilDereferencePanic") {
		t.Errorf("stack trace = %+v", e.StackTrace)
	}
}

func TestLoopShouldExitError(t *testing.T) {
	h := newHandler(func() error {
		return messages.InvokeResponse_Error{Message: "bye", Type: "Fatal", ShouldExit: true}
	}, nil)
	r := runLoop(t, h, fakeInvocation{event: `{}`}, fakeInvocation{event: `{}`})
	if !errors.Is(r.err, errPanicked) || len(r.rt.outcomes) != 1 {
		t.Fatalf("run = %v after %d invocations, want errPanicked after 1", r.err, len(r.rt.outcomes))
	}
}

func TestLoopContext(t *testing.T) {
	type seen struct {
		deadline time.Time
		lc       lambdacontext.LambdaContext
		trace    any
		base     any
	}
	var got []seen
	h := newHandler(func(ctx context.Context) error {
		d, _ := ctx.Deadline()
		lc, ok := lambdacontext.FromContext(ctx)
		if !ok {
			return errors.New("no LambdaContext")
		}
		got = append(got, seen{d, *lc, ctx.Value("x-amzn-trace-id"), ctx.Value(baseKey{})})
		return nil
	}, []Option{WithContext(context.WithValue(context.Background(), baseKey{}, "base"))})
	r := runLoop(t, h,
		fakeInvocation{event: `{}`, id: "8476a536-e9f4-11e8-9739-2dfe598c3fcd"},
		fakeInvocation{event: `{}`, context: `{"traceId":"","clientContext":{"client":{"installation_id":"i","app_title":"t","app_version_code":"3","app_package_name":"p"},"env":{"k":"v"},"custom":{"s":"str","n":3,"o":{"a":[1,2]}}},"deadlineMs":2000,"requestId":"b","invokedFunctionArn":"arn2","tenantId":"blue","cognitoIdentity":{"cognitoIdentityId":"cid","cognitoIdentityPoolId":"pool"}}`})
	if r.err != nil {
		t.Fatal(r.err)
	}
	for i := range 2 {
		if r.response(t, i) != "null" {
			t.Errorf("response %d = %s, want null", i, r.response(t, i))
		}
	}
	if len(got) != 2 {
		t.Fatalf("handler ran %d times", len(got))
	}
	want0 := seen{
		deadline: time.UnixMilli(1542409706888),
		lc: lambdacontext.LambdaContext{
			AwsRequestID:       "8476a536-e9f4-11e8-9739-2dfe598c3fcd",
			InvokedFunctionArn: "arn:aws:lambda:us-east-1:000000000000:function:test",
		},
		trace: "Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Parent=9a9197af755a6419;Sampled=1",
		base:  "base",
	}
	if g := got[0]; !g.deadline.Equal(want0.deadline) || fmt.Sprint(g.lc) != fmt.Sprint(want0.lc) || g.trace != want0.trace || g.base != want0.base {
		t.Errorf("invocation 0 saw %+v, want %+v", g, want0)
	}
	g := got[1]
	wantLC := lambdacontext.LambdaContext{
		AwsRequestID:       "b",
		InvokedFunctionArn: "arn2",
		Identity:           lambdacontext.CognitoIdentity{CognitoIdentityID: "cid", CognitoIdentityPoolID: "pool"},
		ClientContext: lambdacontext.ClientContext{
			Client: lambdacontext.ClientApplication{InstallationID: "i", AppTitle: "t", AppVersionCode: "3", AppPackageName: "p"},
			Env:    map[string]string{"k": "v"},
			Custom: map[string]string{"s": "str", "n": "3", "o": `{"a":[1,2]}`},
		},
		TenantID: "blue",
	}
	if !g.deadline.Equal(time.UnixMilli(2000)) || fmt.Sprint(g.lc) != fmt.Sprint(wantLC) || g.trace != "" {
		t.Errorf("invocation 1 saw %+v, want lc %+v", g, wantLC)
	}
	if r.env["_X_AMZN_TRACE_ID"] != "" {
		t.Errorf("_X_AMZN_TRACE_ID = %q, want the last trace id, empty", r.env["_X_AMZN_TRACE_ID"])
	}
}

type baseKey struct{}

func TestLoopSetsTraceEnv(t *testing.T) {
	var seen []string
	captureLog(t)
	rt := newFakeRuntime(t,
		fakeInvocation{event: `1`, context: `{"requestId":"a","deadlineMs":1,"invokedFunctionArn":"x","traceId":"T1"}`},
		fakeInvocation{event: `2`, context: `{"requestId":"b","deadlineMs":1,"invokedFunctionArn":"x","traceId":"T1"}`},
		fakeInvocation{event: `3`, context: `{"requestId":"c","deadlineMs":1,"invokedFunctionArn":"x","traceId":"T2"}`})
	l := newInvokeLoop(rt, newHandler(func(int) {}, nil))
	l.setenv = func(k, v string) error { seen = append(seen, k+"="+v); return nil }
	if err := l.run(); err != nil {
		t.Fatal(err)
	}
	if want := []string{"_X_AMZN_TRACE_ID=T1", "_X_AMZN_TRACE_ID=T2"}; fmt.Sprint(seen) != fmt.Sprint(want) {
		t.Errorf("setenv calls %v, want %v (skipped when unchanged)", seen, want)
	}
}

func TestLoopDeadlineCancelsContext(t *testing.T) {
	h := newHandler(func(ctx context.Context) (string, error) {
		select {
		case <-ctx.Done():
			return ctx.Err().Error(), nil
		case <-time.After(5 * time.Second):
			return "not cancelled", nil
		}
	}, nil)
	rt := newFakeRuntime(t, fakeInvocation{event: `{}`})
	rt.deadline = time.Now().Add(20 * time.Millisecond).UnixMilli()
	l := newInvokeLoop(rt, h)
	l.setenv = func(string, string) error { return nil }
	if err := l.run(); err != nil {
		t.Fatal(err)
	}
	if got := string(rt.outcomes[0].response); got != `"context deadline exceeded"` {
		t.Errorf("response = %s", got)
	}
}

func TestLoopContextErrors(t *testing.T) {
	tests := []struct {
		context string
		want    string
	}{
		{`{"requestId":"a","invokedFunctionArn":"x","traceId":""}`, "failed to parse deadline: the invocation context has no deadlineMs"},
		{`{"requestId":"a","deadlineMs":"soon"}`, `failed to parse deadline: strconv.ParseInt: parsing "\"soon\"": invalid syntax`},
		{`{"requestId":"a","deadlineMs":1.5}`, `failed to parse deadline: strconv.ParseInt: parsing "1.5": invalid syntax`},
		{`{"requestId":`, "failed to parse invocation context: unexpected end of JSON input"},
		{`{"deadlineMs":1,"clientContext":{"env":{"k":1}}}`, "failed to unmarshal client context json: json: cannot unmarshal number into Go struct field .env of type string"},
		{`{"deadlineMs":1,"cognitoIdentity":"x"}`, "failed to unmarshal cognito identity json: json: cannot unmarshal string into Go value of type lambdacontext.CognitoIdentity"},
	}
	for _, tt := range tests {
		t.Run(tt.context, func(t *testing.T) {
			called := false
			r := runLoop(t, newHandler(func() { called = true }, nil), fakeInvocation{event: `{}`, context: tt.context})
			if r.err != nil {
				t.Fatal(r.err)
			}
			if called {
				t.Error("handler ran despite a bad context")
			}
			if e := r.errorJSON(t, 0); e.Type != "errorString" || e.Message != tt.want {
				t.Errorf("error = %q %q, want errorString %q", e.Type, e.Message, tt.want)
			}
		})
	}
}

func TestLoopResponseSizeLimit(t *testing.T) {
	h := newHandler(func(n int) (string, error) { return strings.Repeat("a", n), nil }, nil)
	r := runLoop(t, h,
		fakeInvocation{event: fmt.Sprint(abi.MaxResponseBytes - 2)}, // with its quotes: exactly the limit
		fakeInvocation{event: fmt.Sprint(abi.MaxResponseBytes - 1)}, // one byte over
		fakeInvocation{event: `1`, respondFirst: true},              // the guest already responded
		fakeInvocation{event: `2`})
	if r.err != nil {
		t.Fatalf("run: %v (E2BIG and EALREADY must not end the loop)", r.err)
	}
	if got := len(r.response(t, 0)); got != abi.MaxResponseBytes {
		t.Errorf("response 0 has %d bytes, want %d", got, abi.MaxResponseBytes)
	}
	if o := r.rt.outcomes[1]; o.failure != abi.ErrResponseSizeTooLarge {
		t.Errorf("outcome 1 = %+v, want %s", o, abi.ErrResponseSizeTooLarge)
	}
	if got := r.response(t, 2); got != "not json" {
		t.Errorf("outcome 2 = %s, want the host's first response kept", got)
	}
	if got := r.response(t, 3); got != `"aa"` {
		t.Errorf("response 3 = %s", got)
	}
	for _, want := range []string{
		"wasmap: the response (6291557 bytes) is over the limit of 6291556 bytes: the invocation failed with Function.ResponseSizeTooLarge",
		"wasmap: respond: the invocation already has an outcome; this one was dropped",
	} {
		if !strings.Contains(r.logs, want) {
			t.Errorf("logs lack %q:\n%s", want, r.logs)
		}
	}
}

func TestLoopFatalRuntimeErrors(t *testing.T) {
	rt := newFakeRuntime(t)
	rt.nextErrno = abi.EINVAL
	l := newInvokeLoop(rt, newHandler(func() {}, nil))
	err := l.run()
	if err == nil || err.Error() != "wasmap_runtime_v1.next failed: EINVAL" {
		t.Errorf("run = %v, want next's EINVAL", err)
	}
}

func TestLoopShutdownRunsCallbacks(t *testing.T) {
	var order []string
	h := newHandler(func() { order = append(order, "invoke") }, []Option{
		WithEnableSIGTERM(func() { order = append(order, "first") }, func() { order = append(order, "second") }),
	})
	r := runLoop(t, h, fakeInvocation{event: `{}`})
	if r.err != nil {
		t.Fatal(r.err)
	}
	if got := strings.Join(order, ","); got != "invoke,first,second" {
		t.Errorf("order = %s", got)
	}
}

func TestLoopUserHandlerGetsOwnPayload(t *testing.T) {
	var kept [][]byte
	h := newHandler(handlerFunc(func(ctx context.Context, p []byte) ([]byte, error) {
		kept = append(kept, p)
		return p, nil
	}), nil)
	r := runLoop(t, h, fakeInvocation{event: `{"a":1}`}, fakeInvocation{event: `[2]`})
	if r.err != nil {
		t.Fatal(r.err)
	}
	if string(kept[0]) != `{"a":1}` || string(kept[1]) != `[2]` {
		t.Errorf("kept payloads %q: the SDK reused a payload it gave away", kept)
	}
	if r.response(t, 0) != `{"a":1}` {
		t.Errorf("response = %s", r.response(t, 0))
	}
}

type handlerFunc func(context.Context, []byte) ([]byte, error)

func (f handlerFunc) Invoke(ctx context.Context, p []byte) ([]byte, error) { return f(ctx, p) }

// A warm invocation must cost little beyond the handler's own work: the SDK's allocations are
// the contexts and the LambdaContext, not buffers.
func TestLoopWarmAllocations(t *testing.T) {
	h := newTypedHandler(func(ctx context.Context, in item) (item, error) { return in, nil }, nil)
	rt := &endlessRuntime{event: []byte(`{"id":1,"name":"ada"}`), context: warmContext()}
	l := newInvokeLoop(rt, h)
	l.setenv = func(string, string) error { return nil }
	warm := func() {
		if rt.next() < 0 {
			t.Fatal("next")
		}
		var err error
		if l.event, err = l.read(false, l.event, int64(len(rt.event))); err != nil {
			t.Fatal(err)
		}
		if l.context, err = l.read(true, l.context, 0); err != nil {
			t.Fatal(err)
		}
		if err := l.invoke(); err != nil {
			t.Fatal(err)
		}
	}
	warm()
	// The SDK's own are the context (holding the request and trace ids; no timer until Done)
	// and the result boxed for the encoder (the event variable is reused); encoding/json makes
	// about five more.
	if n := testing.AllocsPerRun(200, warm); n > 8 {
		t.Errorf("warm invocation allocates %.0f times, want <= 8", n)
	}
	noop := newHandler(func() {}, nil)
	l.h = noop
	if n := testing.AllocsPerRun(200, warm); n > 1 {
		t.Errorf("warm invocation of func() allocates %.0f times, want <= 1", n)
	}
	if got := string(rt.last); got != "null" {
		t.Errorf("response = %s", got)
	}
}

func TestTypedHandlerNil(t *testing.T) {
	var f func(context.Context, item) (item, error)
	r := runLoop(t, newTypedHandler(f, nil), fakeInvocation{event: `{}`})
	if e := r.errorJSON(t, 0); e.Type != "errorString" || e.Message != "handler is nil" {
		t.Errorf("error = %+v", e)
	}
}

// endlessRuntime serves the same invocation forever, for benchmarks.
type endlessRuntime struct {
	event, context, last []byte
	n                    int
}

func (e *endlessRuntime) next() int64 {
	if e.n < 0 {
		return -int64(abi.ECANCELED)
	}
	e.n++
	return int64(len(e.event))
}
func (e *endlessRuntime) eventRead(b []byte) int32   { return int32(copy(b, e.event)) }
func (e *endlessRuntime) contextRead(b []byte) int32 { return int32(copy(b, e.context)) }
func (e *endlessRuntime) respond(b []byte) int32     { e.last = b; return 0 }
func (e *endlessRuntime) respondError(_, b []byte) int32 {
	e.last = b
	return 0
}

// warmContext is a canonical context JSON whose deadline is an hour away, so that every
// invocation arms a real timer as in production.
func warmContext() []byte {
	return fmt.Appendf(nil, `{"requestId":"8476a536-e9f4-11e8-9739-2dfe598c3fcd","deadlineMs":%d,"invokedFunctionArn":"arn:aws:lambda:us-east-1:000000000000:function:uppercase","traceId":"Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Parent=9a9197af755a6419;Sampled=1"}`,
		time.Now().Add(time.Hour).UnixMilli())
}

func benchmarkLoop(b *testing.B, h *handler) {
	rt := &endlessRuntime{event: []byte(`{"id":1,"name":"ada"}`), context: warmContext()}
	l := newInvokeLoop(rt, h)
	l.setenv = func(string, string) error { return nil }
	b.ReportAllocs()
	for b.Loop() {
		rt.next()
		l.event, _ = l.read(false, l.event, int64(len(rt.event)))
		l.context, _ = l.read(true, l.context, 0)
		if err := l.invoke(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkInvokeTyped measures a warm invocation of a trivial handler: the SDK's own cost plus
// decoding and encoding a two-field item.
func BenchmarkInvokeTyped(b *testing.B) {
	benchmarkLoop(b, newTypedHandler(func(ctx context.Context, in item) (item, error) { return in, nil }, nil))
}

// BenchmarkInvokeReflect is BenchmarkInvokeTyped through Start's reflection path.
func BenchmarkInvokeReflect(b *testing.B) {
	benchmarkLoop(b, newHandler(func(ctx context.Context, in item) (item, error) { return in, nil }, nil))
}

// BenchmarkInvokeNoop is the SDK's floor: no decoding, a null response.
func BenchmarkInvokeNoop(b *testing.B) {
	benchmarkLoop(b, newHandler(func() {}, nil))
}
