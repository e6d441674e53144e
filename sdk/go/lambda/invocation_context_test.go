package lambda

import (
	"fmt"
	"testing"
)

func TestParseContext(t *testing.T) {
	const arn = "arn:aws:lambda:us-east-1:000000000000:function:uppercase"
	canonical := invocationContext{requestID: "r1", deadlineMs: 1542409706888, invokedFunctionArn: arn, traceID: "Root=1"}
	tests := []struct {
		name string
		json string
		fast bool // the hand-written scanner handles it
		want invocationContext
	}{
		{"canonical", `{"requestId":"r1","deadlineMs":1542409706888,"invokedFunctionArn":"` + arn + `","traceId":"Root=1"}`, true, canonical},
		{"reordered", `{"traceId":"Root=1","invokedFunctionArn":"` + arn + `","deadlineMs":1542409706888,"requestId":"r1"}`, true, canonical},
		{"white space", " {\n\t\"requestId\" : \"r1\" ,\r\n \"deadlineMs\":1542409706888, \"invokedFunctionArn\":\"" + arn + "\",\"traceId\":\"Root=1\" } \n", true, canonical},
		{"only deadline", `{"deadlineMs":5}`, true, invocationContext{deadlineMs: 5}},
		{"negative deadline", `{"deadlineMs":-5}`, true, invocationContext{deadlineMs: -5}},
		{"utf-8", `{"requestId":"é✓","deadlineMs":1}`, false, invocationContext{requestID: "é✓", deadlineMs: 1}},
		{"escape", `{"requestId":"r\u0031","deadlineMs":1542409706888,"invokedFunctionArn":"` + arn + `","traceId":"Root\u003d1"}`, false, canonical},
		{"unknown key", `{"requestId":"r1","future":{"a":[1,"}"]},"deadlineMs":1542409706888,"invokedFunctionArn":"` + arn + `","traceId":"Root=1"}`, false, canonical},
		{"client context", `{"requestId":"r1","deadlineMs":1,"clientContext":{"env":{"a":"b"}}}`, false,
			invocationContext{requestID: "r1", deadlineMs: 1, clientContext: []byte(`{"env":{"a":"b"}}`)}},
		{"null client context", `{"requestId":"r1","deadlineMs":1,"clientContext":null}`, false, invocationContext{requestID: "r1", deadlineMs: 1}},
		{"tenant and identity", `{"deadlineMs":1,"tenantId":"blue","cognitoIdentity":{"cognitoIdentityId":"x"}}`, false,
			invocationContext{deadlineMs: 1, tenantID: "blue", cognitoIdentity: []byte(`{"cognitoIdentityId":"x"}`)}},
		{"null trace", `{"requestId":"r1","deadlineMs":1,"traceId":null}`, false, invocationContext{requestID: "r1", deadlineMs: 1}},
		{"leading zero", `{"deadlineMs":01}`, false, invocationContext{}},
		{"19 digits", `{"deadlineMs":1000000000000000000}`, false, invocationContext{deadlineMs: 1e18}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var p contextParser
			var scanned invocationContext
			if fast := p.scan([]byte(tt.json), &scanned); fast != tt.fast {
				t.Errorf("scan handled it: %v, want %v", fast, tt.fast)
			}
			var ic invocationContext
			err := p.parse([]byte(tt.json), &ic)
			if tt.name == "leading zero" {
				if err == nil {
					t.Errorf("parse(%s) = %+v, want an error", tt.json, ic)
				}
				return
			}
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			if describe(ic) != describe(tt.want) {
				t.Errorf("parse = %s\nwant    %s", describe(ic), describe(tt.want))
			}
		})
	}
}

func TestParseContextReusesStrings(t *testing.T) {
	b := []byte(`{"requestId":"8476a536-e9f4-11e8-9739-2dfe598c3fcd","deadlineMs":1542409706888,"invokedFunctionArn":"arn:aws:lambda:us-east-1:000000000000:function:uppercase","traceId":"Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Parent=9a9197af755a6419;Sampled=1"}`)
	var p contextParser
	var ic invocationContext
	if err := p.parse(b, &ic); err != nil {
		t.Fatal(err)
	}
	// Only the request id, which changes every time, is allocated.
	if n := testing.AllocsPerRun(100, func() { _ = p.parse(b, &ic) }); n != 1 {
		t.Errorf("parse allocates %.0f times, want 1", n)
	}
}

func FuzzParseContext(f *testing.F) {
	f.Add([]byte(`{"requestId":"r1","deadlineMs":1542409706888,"invokedFunctionArn":"a","traceId":"t"}`))
	f.Add([]byte(`{"deadlineMs":-0}`))
	f.Add([]byte(`{"deadlineMs":1,"x":"\""}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		// Whenever the scanner accepts an input, encoding/json must read it the same way.
		var p contextParser
		var fast, slow invocationContext
		if !p.scan(b, &fast) {
			return
		}
		if err := p.parseJSON(b, &slow); err != nil {
			t.Fatalf("scan accepted %q, encoding/json refused it: %v", b, err)
		}
		if describe(fast) != describe(slow) {
			t.Fatalf("%q: scan %s, encoding/json %s", b, describe(fast), describe(slow))
		}
	})
}

func describe(ic invocationContext) string {
	return fmt.Sprintf("requestId=%q deadlineMs=%d arn=%q traceId=%q clientContext=%q cognitoIdentity=%q tenantId=%q",
		ic.requestID, ic.deadlineMs, ic.invokedFunctionArn, ic.traceID, ic.clientContext, ic.cognitoIdentity, ic.tenantID)
}
