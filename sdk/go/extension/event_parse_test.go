package extension

import (
	"encoding/json"
	"testing"
)

// TestEventParser: the scanner reads what encoding/json reads, and hands anything unusual to it.
func TestEventParser(t *testing.T) {
	for _, in := range []string{
		`{"eventType":"INVOKE","deadlineMs":1596036240000,"requestId":"3da1f2dc-3222-475e-9205-e2e6c6318895","invokedFunctionArn":"arn:aws:lambda:us-east-1:123456789012:function:ExtensionTest","tracing":{"type":"X-Amzn-Trace-Id","value":"Root=1-5f35ae12-0c0fec141ab77a00bc047aa2;Parent=2be948a625588e32;Sampled=1"}}`,
		`{"eventType":"INVOKE","deadlineMs":1,"requestId":"r","invokedFunctionArn":"a"}`,
		`{"eventType":"SHUTDOWN","deadlineMs":1596036242000,"shutdownReason":"spindown"}`,
		`{ "eventType" : "SHUTDOWN", "shutdownReason": "timeout", "deadlineMs": 5 }`,
		`{"eventType":"INVOKE","requestId":"with \"escapes\"","deadlineMs":2,"extra":[1,2]}`,
	} {
		var p eventParser
		var got, want Event
		if err := p.parse([]byte(in), &got); err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		json.Unmarshal([]byte(in), &want)
		g, _ := json.Marshal(got)
		w, _ := json.Marshal(want)
		if string(g) != string(w) {
			t.Errorf("%s:\ngot  %s\nwant %s", in, g, w)
		}
	}
	var p eventParser
	if err := p.parse([]byte(`{"eventType":`), &Event{}); err == nil {
		t.Error("truncated JSON parsed")
	}
}
