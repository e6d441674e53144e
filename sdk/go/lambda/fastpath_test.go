package lambda

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/wasmap/wasmap/sdk/go/lambdacontext"
)

// Tests of the warm path's shortcuts: each must be invisible to handlers.

const canonicalContext = `{"requestId":"8476a536-e9f4-11e8-9739-2dfe598c3fcd","deadlineMs":1542409706888,"invokedFunctionArn":"arn:aws:lambda:us-east-1:000000000000:function:uppercase","traceId":"Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Parent=9a9197af755a6419;Sampled=1"}`

func TestScanCanonical(t *testing.T) {
	tests := []struct {
		name string
		json string
		fast bool
	}{
		{"canonical", canonicalContext, true},
		{"empty strings", `{"requestId":"","deadlineMs":-1,"invokedFunctionArn":"","traceId":""}`, true},
		{"long request id", `{"requestId":"` + strings.Repeat("r", 100) + `","deadlineMs":1,"invokedFunctionArn":"a","traceId":"t"}`, true},
		{"reordered", `{"deadlineMs":1,"requestId":"r","invokedFunctionArn":"a","traceId":"t"}`, false},
		{"white space", `{"requestId": "r","deadlineMs":1,"invokedFunctionArn":"a","traceId":"t"}`, false},
		{"trailing space", `{"requestId":"r","deadlineMs":1,"invokedFunctionArn":"a","traceId":"t"} `, false},
		{"escape", `{"requestId":"r\u0031","deadlineMs":1,"invokedFunctionArn":"a","traceId":"t"}`, false},
		{"utf-8", `{"requestId":"é","deadlineMs":1,"invokedFunctionArn":"a","traceId":"t"}`, false},
		{"no trace", `{"requestId":"r","deadlineMs":1,"invokedFunctionArn":"a"}`, false},
		{"extra key", `{"requestId":"r","deadlineMs":1,"invokedFunctionArn":"a","traceId":"t","tenantId":"x"}`, false},
		{"float deadline", `{"requestId":"r","deadlineMs":1.5,"invokedFunctionArn":"a","traceId":"t"}`, false},
		{"unterminated", `{"requestId":"r","deadlineMs":1,"invokedFunctionArn":"a","traceId":"t`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var p contextParser
			var fast invocationContext
			if got := p.scanCanonical([]byte(tt.json), &fast, nil); got != tt.fast {
				t.Fatalf("scanCanonical = %v, want %v", got, tt.fast)
			}
			var slow invocationContext
			slowErr := p.parseJSON([]byte(tt.json), &slow)
			if tt.fast && (slowErr != nil || describe(fast) != describe(slow)) {
				t.Errorf("scanCanonical %s\nencoding/json %s (%v)", describe(fast), describe(slow), slowErr)
			}
			var ic invocationContext
			err := p.parseFor([]byte(tt.json), &ic, new(contextText))
			if (err != nil) != (slowErr != nil) || (err == nil && describe(ic) != describe(slow)) {
				t.Errorf("parseFor = %s (%v), encoding/json %s (%v)", describe(ic), err, describe(slow), slowErr)
			}
		})
	}
}

// The fast paths compare raw bytes with the last ARN and trace id; a value that came from an
// escaped string must not match raw bytes that are not valid JSON.
func TestParseDoesNotReuseEscapedValues(t *testing.T) {
	var p contextParser
	var ic invocationContext
	if err := p.parse([]byte(`{"requestId":"r","deadlineMs":1,"invokedFunctionArn":"a\"b","traceId":"t\\u"}`), &ic); err != nil {
		t.Fatal(err)
	}
	if ic.invokedFunctionArn != `a"b` || ic.traceID != `t\u` {
		t.Fatalf("parse = %s", describe(ic))
	}
	for _, bad := range []string{
		`{"requestId":"r","deadlineMs":1,"invokedFunctionArn":"a"b","traceId":"t"}`,
		`{"requestId":"r","deadlineMs":1,"invokedFunctionArn":"a","traceId":"t\u"}`,
	} {
		if err := p.parse([]byte(bad), &ic); err == nil {
			t.Errorf("parse(%s) = %s, want an error", bad, describe(ic))
		}
	}
}

func FuzzScanCanonical(f *testing.F) {
	f.Add([]byte(canonicalContext), []byte(canonicalContext))
	f.Add([]byte(`{"requestId":"r","deadlineMs":1,"invokedFunctionArn":"a","traceId":"t"}`), []byte(`{"requestId":"s","deadlineMs":2,"invokedFunctionArn":"a","traceId":"u"}`))
	f.Add([]byte(`{"deadlineMs":1,"invokedFunctionArn":"a\"","traceId":"\\"}`), []byte(`{"requestId":"r","deadlineMs":1,"invokedFunctionArn":"a"","traceId":"\"}`))
	f.Fuzz(func(t *testing.T, first, b []byte) {
		// Whatever came before, whenever the fastest path accepts an input, encoding/json must
		// read it the same way.
		var p contextParser
		var ic invocationContext
		_ = p.parse(first, &ic)
		var fast, slow invocationContext
		if !p.scanCanonical(b, &fast, new(contextText)) {
			return
		}
		if err := new(contextParser).parseJSON(b, &slow); err != nil {
			t.Fatalf("scanCanonical accepted %q, encoding/json refused it: %v", b, err)
		}
		if describe(fast) != describe(slow) {
			t.Fatalf("%q: scanCanonical %s, encoding/json %s", b, describe(fast), describe(slow))
		}
	})
}

func TestPlainEnd(t *testing.T) {
	for c := range 256 {
		for pos := range 20 {
			b := []byte(strings.Repeat("a", 20))
			b[pos] = byte(c)
			want := 20
			if !plain[c] {
				want = pos
			}
			if got := plainEnd(b, 0); got != want {
				t.Fatalf("plainEnd with %#x at %d = %d, want %d", c, pos, got, want)
			}
		}
	}
}

// The request id lives in the invocation's context; ids kept from earlier invocations must not
// change.
func TestLoopRequestIDsKept(t *testing.T) {
	var ids []string
	var lcs []*lambdacontext.LambdaContext
	h := newHandler(func(ctx context.Context) {
		lc, _ := lambdacontext.FromContext(ctx)
		ids = append(ids, lc.AwsRequestID)
		lcs = append(lcs, lc)
	}, nil)
	want := []string{"8476a536-e9f4-11e8-9739-2dfe598c3fcd", "00000000-0000-0000-0000-000000000001", "short", strings.Repeat("x", 37)}
	var invs []fakeInvocation
	for _, id := range want {
		invs = append(invs, fakeInvocation{event: `{}`, id: id})
	}
	r := runLoop(t, h, invs...)
	if r.err != nil {
		t.Fatal(r.err)
	}
	for i, id := range want {
		if ids[i] != id || lcs[i].AwsRequestID != id {
			t.Errorf("invocation %d: request id %q (context %q), want %q", i, ids[i], lcs[i].AwsRequestID, id)
		}
	}
}

// Trace ids, too, may live in an invocation's context.
func TestLoopTraceIDsKept(t *testing.T) {
	var got []string
	h := newHandler(func(ctx context.Context) { got = append(got, ctx.Value("x-amzn-trace-id").(string)) }, nil)
	want := []string{
		"Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Parent=9a9197af755a6419;Sampled=1",
		"Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Parent=9a9197af755a6419;Sampled=1",
		"Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e701;Parent=9a9197af755a6419;Sampled=0",
		"",
		strings.Repeat("t", 96),
		strings.Repeat("u", 97),
		"Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Parent=9a9197af755a6419;Sampled=1",
	}
	var invs []fakeInvocation
	for i, id := range want {
		invs = append(invs, fakeInvocation{event: `{}`, context: fmt.Sprintf(`{"requestId":"r%d","deadlineMs":1,"invokedFunctionArn":"a","traceId":%q}`, i, id)})
	}
	r := runLoop(t, h, invs...)
	if r.err != nil {
		t.Fatal(r.err)
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("trace ids\n%q\nwant\n%q", got, want)
	}
	if r.env["_X_AMZN_TRACE_ID"] != want[len(want)-1] {
		t.Errorf("_X_AMZN_TRACE_ID = %q", r.env["_X_AMZN_TRACE_ID"])
	}
}

type nested struct {
	Tags  []string       `json:"tags"`
	Attrs map[string]int `json:"attrs"`
	Next  *nested        `json:"next"`
	Any   any            `json:"any"`
}

type reusedEvent struct {
	ID    int        `json:"id"`
	Name  string     `json:"name"`
	Inner nested     `json:"inner"`
	Pair  [2]nested  `json:"pair"`
	Raw   []byte     `json:"raw"`
	Ptr   *reusedPtr `json:"ptr"`
}

type reusedPtr struct{ V []int }

// Decoding into one variable, zeroed each time, must look to a handler exactly like decoding
// into a new one: what it kept from one event does not change, and fields absent from the next
// event are zero.
func TestLoopEventReuseIsInvisible(t *testing.T) {
	events := []string{
		`{"id":1,"name":"a","inner":{"tags":["x","y"],"attrs":{"k":1},"next":{"tags":["n"]},"any":[1]},"pair":[{"tags":["p"]},{"attrs":{"q":2}}],"raw":"AQI=","ptr":{"V":[7]}}`,
		`{"id":2,"inner":{"tags":["z"],"attrs":{"m":3}},"pair":[{"tags":["r","s"]}]}`,
		`{"name":"partly decoded","id":"not a number","inner":{"tags":["w"]}}`, // fails, after setting name
		`{}`,
	}
	const failing = 2
	var want []string
	for i, e := range events {
		var v reusedEvent
		if err := json.Unmarshal([]byte(e), &v); (err != nil) != (i == failing) {
			t.Fatal(err)
		}
		if i != failing {
			want = append(want, show(t, v))
		}
	}
	check := func(t *testing.T, kept []*reusedEvent) {
		if len(kept) != len(want) {
			t.Fatalf("%d events, want %d", len(kept), len(want))
		}
		for i, v := range kept {
			if got := show(t, *v); got != want[i] {
				t.Errorf("event %d\ngot  %s\nwant %s", i, got, want[i])
			}
		}
	}
	var invs []fakeInvocation
	for _, e := range events {
		invs = append(invs, fakeInvocation{event: e})
	}
	if !reusableEvent(reflect.TypeFor[reusedEvent]()) {
		t.Fatal("reusedEvent is not reusable")
	}
	t.Run("reflect", func(t *testing.T) {
		var kept []*reusedEvent
		r := runLoop(t, newHandler(func(ctx context.Context, e reusedEvent) error { kept = append(kept, &e); return nil }, nil), invs...)
		if r.err != nil {
			t.Fatal(r.err)
		}
		check(t, kept)
	})
	t.Run("typed", func(t *testing.T) {
		var kept []*reusedEvent
		r := runLoop(t, newTypedHandler(func(ctx context.Context, e reusedEvent) (any, error) { kept = append(kept, &e); return nil, nil }, nil), invs...)
		if r.err != nil {
			t.Fatal(r.err)
		}
		check(t, kept)
	})
}

// show is v as JSON, pointers followed.
func show(t *testing.T, v reusedEvent) string {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// keeper is an event whose UnmarshalJSON keeps the address it decodes into.
type keeper struct{ N int }

var keptAddrs []*keeper

func (k *keeper) UnmarshalJSON(b []byte) error {
	keptAddrs = append(keptAddrs, k)
	return json.Unmarshal(b, &k.N)
}

type holdsKeeper struct {
	K [1]keeper `json:"k"`
}

func TestReusableEvent(t *testing.T) {
	tests := []struct {
		t    reflect.Type
		want bool
	}{
		{reflect.TypeFor[int](), true},
		{reflect.TypeFor[string](), true},
		{reflect.TypeFor[map[string]any](), true},
		{reflect.TypeFor[any](), true},
		{reflect.TypeFor[[]keeper](), true}, // elements are decoded into new storage
		{reflect.TypeFor[*keeper](), true},
		{reflect.TypeFor[reusedEvent](), true},
		{reflect.TypeFor[keeper](), false},
		{reflect.TypeFor[holdsKeeper](), false},
		{reflect.TypeFor[json.RawMessage](), false},
		{reflect.TypeFor[time.Time](), false},
		{reflect.TypeFor[struct{ T time.Time }](), false},
		{reflect.TypeFor[struct{ E error }](), true},
	}
	for _, tt := range tests {
		if got := reusableEvent(tt.t); got != tt.want {
			t.Errorf("reusableEvent(%s) = %v, want %v", tt.t, got, tt.want)
		}
	}
	// An event whose decoding can keep its address gets new storage every time.
	keptAddrs = nil
	h := newHandler(func(e holdsKeeper) {}, nil)
	r := runLoop(t, h, fakeInvocation{event: `{"k":[1]}`}, fakeInvocation{event: `{"k":[2]}`})
	if r.err != nil {
		t.Fatal(r.err)
	}
	if len(keptAddrs) != 2 || keptAddrs[0] == keptAddrs[1] || keptAddrs[0].N != 1 || keptAddrs[1].N != 2 {
		t.Errorf("UnmarshalJSON saw %v", keptAddrs)
	}
}

type namedNoArgs func() error

// Handlers without an event or a result are called directly; they must behave as through
// reflection, named function types and nil functions included.
func TestDirectHandlers(t *testing.T) {
	var calls []string
	tests := []struct {
		name    string
		handler any
		direct  bool
		wantErr string
	}{
		{"func()", func() { calls = append(calls, "func()") }, true, ""},
		{"func() error", func() error { calls = append(calls, "func() error"); return errors.New("e1") }, true, "e1"},
		{"func(ctx)", func(ctx context.Context) { calls = append(calls, "func(ctx)"+fmt.Sprint(ctx.Value("k"))) }, true, ""},
		{"func(ctx) error", func(ctx context.Context) error { calls = append(calls, "func(ctx) error"); return nil }, true, ""},
		{"named", namedNoArgs(func() error { calls = append(calls, "named"); return nil }), true, ""},
		{"nil", (func())(nil), false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			calls = nil
			fv := reflect.ValueOf(tt.handler)
			if got := directHandler(fv) != nil; got != tt.direct {
				t.Errorf("direct = %v, want %v", got, tt.direct)
			}
			ctx := context.WithValue(context.Background(), "k", "v")
			h := newHandler(tt.handler, nil)
			out := newOutput(h.opts)
			var err error
			func() {
				defer func() {
					if v := recover(); v != nil {
						err = fmt.Errorf("panic: %v", v)
					}
				}()
				err = h.invoke(ctx, []byte(`{}`), out)
			}()
			if tt.name == "nil" {
				if err == nil || err.Error() != "panic: reflect.Value.Call: call of nil function" {
					t.Errorf("invoke = %v, want reflect's panic", err)
				}
				return
			}
			if (err == nil && tt.wantErr != "") || (err != nil && err.Error() != tt.wantErr) {
				t.Errorf("invoke = %v, want %q", err, tt.wantErr)
			}
			if err == nil && out.buf.String() != "null" {
				t.Errorf("response %q, want null", out.buf.String())
			}
			if len(calls) != 1 || (tt.name == "func(ctx)" && calls[0] != "func(ctx)v") {
				t.Errorf("calls = %q", calls)
			}
		})
	}
}
