package lambda

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/wasmap/wasmap/abi"
)

// fakeInvocation is one invocation a fakeRuntime hands out.
type fakeInvocation struct {
	event   string
	context string // context JSON; empty for a canonical one built from the fields below
	id      string
	// respondFirst makes the host record a response before the guest posts anything (as when the
	// guest bypassed the SDK), so the SDK's own post gets EALREADY.
	respondFirst bool
}

// fakeOutcome is what the host recorded for one invocation.
type fakeOutcome struct {
	response  []byte
	errorType []byte // respond_error's type argument
	errorBody []byte
	failure   string // a host-made error name (ResponseSizeTooLarge, InvalidStateTransition)
}

// fakeRuntime implements runtimeAPI with ABI v1's semantics, for the invoke loop's tests.
type fakeRuntime struct {
	t        testing.TB
	queue    []fakeInvocation
	current  int // index in queue of the current invocation, -1 between invocations
	outcomes []*fakeOutcome
	calls    []string
	// nextErrno, when set, is returned by next instead of an invocation.
	nextErrno abi.Errno
	deadline  int64
}

func newFakeRuntime(t testing.TB, invs ...fakeInvocation) *fakeRuntime {
	return &fakeRuntime{t: t, queue: invs, current: -1, deadline: 1542409706888}
}

func (f *fakeRuntime) record(call string) {
	if len(f.calls) < 1000 {
		f.calls = append(f.calls, call)
	}
}

func (f *fakeRuntime) next() int64 {
	f.record("next")
	if f.current >= 0 && f.outcomes[f.current] == nil {
		f.outcomes[f.current] = &fakeOutcome{failure: abi.ErrInvalidStateTransition}
	}
	if f.nextErrno != 0 {
		return -int64(f.nextErrno)
	}
	f.current = len(f.outcomes)
	if f.current >= len(f.queue) {
		f.current = -1
		return -int64(abi.ECANCELED)
	}
	inv := f.queue[f.current]
	f.outcomes = append(f.outcomes, nil)
	if inv.respondFirst {
		f.outcomes[f.current] = &fakeOutcome{response: []byte("not json")}
	}
	return int64(len(inv.event))
}

func (f *fakeRuntime) contextJSON(inv fakeInvocation) []byte {
	if inv.context != "" {
		return []byte(inv.context)
	}
	id := inv.id
	if id == "" {
		id = fmt.Sprintf("req-%d", f.current)
	}
	b, err := json.Marshal(abi.InvocationContext{
		RequestID:          id,
		DeadlineMs:         f.deadline,
		InvokedFunctionArn: "arn:aws:lambda:us-east-1:000000000000:function:test",
		TraceID:            "Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Parent=9a9197af755a6419;Sampled=1",
	})
	if err != nil {
		f.t.Fatal(err)
	}
	return b
}

func (f *fakeRuntime) read(call string, value []byte, buf []byte) int32 {
	f.record(fmt.Sprintf("%s(cap=%d)", call, len(buf)))
	if len(value) <= len(buf) {
		copy(buf, value)
	}
	return int32(len(value))
}

func (f *fakeRuntime) eventRead(buf []byte) int32 {
	if f.current < 0 {
		return -int32(abi.EINVAL)
	}
	return f.read("event_read", []byte(f.queue[f.current].event), buf)
}

func (f *fakeRuntime) contextRead(buf []byte) int32 {
	if f.current < 0 {
		return -int32(abi.EINVAL)
	}
	return f.read("context_read", f.contextJSON(f.queue[f.current]), buf)
}

func (f *fakeRuntime) post(call string, o *fakeOutcome, size int) int32 {
	f.record(call)
	switch {
	case f.current < 0:
		return -int32(abi.EINVAL)
	case f.outcomes[f.current] != nil:
		return -int32(abi.EALREADY)
	case size > abi.MaxResponseBytes:
		f.outcomes[f.current] = &fakeOutcome{failure: abi.ErrResponseSizeTooLarge}
		return -int32(abi.E2BIG)
	}
	f.outcomes[f.current] = o
	return 0
}

func (f *fakeRuntime) respond(body []byte) int32 {
	return f.post("respond", &fakeOutcome{response: append([]byte(nil), body...)}, len(body))
}

func (f *fakeRuntime) respondError(errorType, body []byte) int32 {
	o := &fakeOutcome{errorType: append([]byte(nil), errorType...), errorBody: append([]byte(nil), body...)}
	return f.post("respond_error", o, len(body))
}
