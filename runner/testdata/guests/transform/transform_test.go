package main

import (
	"context"
	"encoding/json"
	"testing"
)

const event = `{"id":7,"name":"ada lovelace","city":"london","note":"order 1007: leave the parcel with the neighbour"}`

func TestTransform(t *testing.T) {
	var r Record
	if err := json.Unmarshal([]byte(event), &r); err != nil {
		t.Fatal(err)
	}
	out, err := transform(context.Background(), r)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(out)
	want := `{"id":7,"name":"ADA LOVELACE","city":"london","note":"order 1007: leave the parcel with the neighbour","nameLength":12,"tags":["odd"]}`
	if string(b) != want {
		t.Errorf("got %s", b)
	}
}

// BenchmarkNative is the native baseline of the wasm benchmarks: the same decode, transform and
// encode as one invocation of the guest, in a plain Go loop.
func BenchmarkNative(b *testing.B) {
	ev := []byte(event)
	ctx := context.Background()
	for i := 0; i < b.N; i++ {
		var r Record
		if err := json.Unmarshal(ev, &r); err != nil {
			b.Fatal(err)
		}
		out, err := transform(ctx, r)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := json.Marshal(out); err != nil {
			b.Fatal(err)
		}
	}
}
