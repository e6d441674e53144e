package main

import (
	"context"
	"testing"
)

func TestUppercase(t *testing.T) {
	tests := []struct{ in, want string }{
		{`{"id":1,"name":"ada lovelace","city":"zürich","note":"glass & <ceramics>"}`,
			`{"id":1,"name":"ADA LOVELACE","city":"ZÜRICH","note":"GLASS & <CERAMICS>"}`},
		{`{"b":"straße","a":"x"}`, `{"b":"STRAßE","a":"X"}`}, // strings.ToUpper: ß has no single-rune upper case
		{`{ "n" : 1.50, "t":true, "z":null, "o":{"s":"inner"}, "l":["x"], "q":"say \"hi\"\n" }`,
			`{"n":1.50,"t":true,"z":null,"o":{"s":"inner"},"l":["x"],"q":"SAY \"HI\"\n"}`},
		{`{}`, `{}`},
	}
	for _, tt := range tests {
		got, err := uppercase(context.Background(), []byte(tt.in))
		if err != nil {
			t.Fatalf("%s: %v", tt.in, err)
		}
		if string(got) != tt.want {
			t.Errorf("%s\n got %s\nwant %s", tt.in, got, tt.want)
		}
	}
	for _, in := range []string{`[1]`, `"s"`, `{"a":`} {
		if _, err := uppercase(context.Background(), []byte(in)); err == nil {
			t.Errorf("%s: want an error", in)
		}
	}
}
