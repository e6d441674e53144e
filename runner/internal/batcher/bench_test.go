package batcher_test

import (
	"encoding/json"
	"testing"

	"github.com/wasmap/wasmap/runner/internal/batcher"
)

var benchItem = json.RawMessage(`{"id":123,"key":"images/2024/07/photo-974017.jpg","size":381024,"tags":["alpha","beta \"quoted\"","gamma"],"meta":{"w":1920,"h":1080,"ok":true,"note":null},"text":"The quick brown fox"}`)

// BenchmarkAdd measures the per-item cost of batching (ns/op = ns/item), batch allocation
// included.
func BenchmarkAdd(b *testing.B) {
	for _, bc := range []struct {
		name string
		cfg  batcher.Config
	}{
		{"items=100", batcher.Config{MaxItemsPerBatch: 100}},
		{"bytes=64KiB", batcher.Config{MaxInputBytesPerBatch: 64 << 10, BatchInput: json.RawMessage(`{"run":"x"}`)}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			bt, err := batcher.New(bc.cfg, func(batcher.Batch) error { return nil })
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(len(benchItem)))
			b.ReportAllocs()
			for b.Loop() {
				if err := bt.Add(benchItem); err != nil {
					b.Fatal(err)
				}
			}
			_ = bt.Close()
		})
	}
}
