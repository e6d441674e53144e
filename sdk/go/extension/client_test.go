package extension

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/wasmap/wasmap/abi"
)

// fakeHost plays the host's side from a script of next results.
type fakeHost struct {
	registered string
	regBody    string
	nexts      []any // string: an event's JSON; abi.Errno: returned negated
	batches    []string
	body       []byte
	tbody      []byte
	subscribed string
	errPosted  [2]string
	refuse     map[string]abi.Errno
}

func (h *fakeHost) register(name string, body []byte) int32 {
	if code, ok := h.refuse["register"]; ok {
		h.body = []byte(`{"errorMessage":"FOO: ErrorInvalidEventType","errorType":"Extension.InvalidEventType"}`)
		return -int32(code)
	}
	h.registered, h.regBody = name, string(body)
	h.body = []byte(`{"functionName":"f","functionVersion":"$LATEST","handler":"f"}`)
	return int32(len(h.body))
}

func (h *fakeHost) next() int64 {
	if len(h.nexts) == 0 {
		return -int64(abi.ECANCELED)
	}
	n := h.nexts[0]
	h.nexts = h.nexts[1:]
	switch n := n.(type) {
	case string:
		h.body = []byte(n)
		return int64(len(n))
	case abi.Errno:
		return -int64(n)
	}
	panic("bad script")
}

func (h *fakeHost) read(buf []byte) int32 {
	if len(h.body) <= len(buf) {
		copy(buf, h.body)
	}
	return int32(len(h.body))
}

func (h *fakeHost) initError(typ string, body []byte) int32 {
	h.errPosted = [2]string{typ, string(body)}
	return 15
}

func (h *fakeHost) exitError(typ string, body []byte) int32 { return h.initError(typ, body) }

func (h *fakeHost) subscribe(body []byte) int32 {
	h.subscribed = string(body)
	h.tbody = []byte(`"OK"`)
	return 4
}

func (h *fakeHost) telemetryNext() int64 {
	if len(h.batches) == 0 {
		return -int64(abi.ECANCELED)
	}
	h.tbody = []byte(h.batches[0])
	h.batches = h.batches[1:]
	return int64(len(h.tbody))
}

func (h *fakeHost) telemetryRead(buf []byte) int32 {
	if len(h.tbody) <= len(buf) {
		copy(buf, h.tbody)
	}
	return int32(len(h.tbody))
}

func withHost(t *testing.T, h hostAPI) {
	old := host
	host = h
	t.Cleanup(func() { host = old })
}

func TestRegisterAndEvents(t *testing.T) {
	report := `{"time":"2026-01-02T03:04:05.678Z","type":"platform.report","record":{"requestId":"r1","metrics":{"durationMs":1.5,"billedDurationMs":2,"memorySizeMB":128,"maxMemoryUsedMB":3,"initDurationMs":4.25},"status":"success"}}`
	h := &fakeHost{nexts: []any{
		`{"eventType":"INVOKE","deadlineMs":1596036240000,"requestId":"r1","invokedFunctionArn":"arn:aws:lambda:us-east-1:000000000000:function:f","tracing":{"type":"X-Amzn-Trace-Id","value":"Root=1-2-3"}}`,
		abi.EINTR,
		`{"eventType":"SHUTDOWN","deadlineMs":1596036242000,"shutdownReason":"spindown"}`,
	}, batches: []string{"[" + report + "]", `[{"time":"2026-01-02T03:04:06.000Z","type":"function","record":"hello"}]`}}
	withHost(t, h)
	ctx := context.Background()
	c, err := Register(ctx, "metrics", Invoke, Shutdown)
	if err != nil {
		t.Fatal(err)
	}
	if h.registered != "metrics" || h.regBody != `{"events":["INVOKE","SHUTDOWN"]}` {
		t.Errorf("registered %q with %s", h.registered, h.regBody)
	}
	if c.Info().FunctionName != "f" {
		t.Errorf("info %+v", c.Info())
	}
	var got []TelemetryEvent
	err = c.SubscribeTelemetry(TelemetrySubscription{Types: []TelemetryType{Platform, FunctionLogs}, Buffering: Buffering{TimeoutMs: 25}},
		func(b []TelemetryEvent) { got = append(got, b...) })
	if err != nil {
		t.Fatal(err)
	}
	if h.subscribed != `{"schemaVersion":"2022-12-13","types":["platform","function"],"buffering":{"timeoutMs":25}}` {
		t.Errorf("subscribed with %s", h.subscribed)
	}
	ev, err := c.NextEvent(ctx)
	if err != nil || ev.EventType != Invoke || ev.RequestID != "r1" || ev.Tracing.Value != "Root=1-2-3" || ev.Deadline().UnixMilli() != 1596036240000 {
		t.Fatalf("first event %+v, %v", ev, err)
	}
	ev, err = c.NextEvent(ctx) // EINTR: the batch goes to the handler first
	if err != nil || ev.EventType != Shutdown || ev.ShutdownReason != Spindown {
		t.Fatalf("second event %+v, %v", ev, err)
	}
	if len(got) != 1 {
		t.Fatalf("batch events %+v", got)
	}
	r, ok := got[0].Report()
	if !ok || r.RequestID != "r1" || r.Metrics.BilledDurationMs != 2 || *r.Metrics.InitDurationMs != 4.25 || got[0].Time.Nanosecond() != 678e6 {
		t.Errorf("report %+v %v", r, ok)
	}
	if err := c.FlushTelemetry(); err != nil {
		t.Fatal(err)
	}
	if line, ok := got[1].Line(); !ok || line != "hello" {
		t.Errorf("line %q", line)
	}
	if _, err := c.NextEvent(ctx); !errors.Is(err, ErrShutdown) {
		t.Errorf("after SHUTDOWN: %v", err)
	}
}

func TestRegisterRefused(t *testing.T) {
	withHost(t, &fakeHost{refuse: map[string]abi.Errno{"register": abi.EINVAL}})
	_, err := Register(context.Background(), "x", "FOO")
	var e *Error
	if !errors.As(err, &e) || e.Type != abi.ErrExtensionInvalidEventType || e.Errno != abi.EINVAL {
		t.Fatalf("err %v", err)
	}
	if !strings.Contains(err.Error(), "FOO: ErrorInvalidEventType") {
		t.Errorf("message %q", err)
	}
}

func TestInitError(t *testing.T) {
	h := &fakeHost{}
	withHost(t, h)
	c, err := Register(context.Background(), "x")
	if err != nil {
		t.Fatal(err)
	}
	if err := c.InitError("Extension.ConfigInvalid", errors.New("no API key")); err != nil {
		t.Fatal(err)
	}
	var body abi.ErrorResponse
	json.Unmarshal([]byte(h.errPosted[1]), &body)
	if h.errPosted[0] != "Extension.ConfigInvalid" || body.ErrorMessage != "no API key" {
		t.Errorf("posted %q", h.errPosted)
	}
}

func TestNoHost(t *testing.T) {
	withHost(t, nil)
	if _, err := Register(context.Background(), "x"); !errors.Is(err, errors.ErrUnsupported) {
		t.Errorf("err %v", err)
	}
}
