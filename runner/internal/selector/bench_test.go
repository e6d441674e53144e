package selector_test

import (
	"encoding/json"
	"testing"

	"github.com/wasmap/wasmap/runner/internal/selector"
)

// benchItem is a typical item of about 200 bytes.
var benchItem = json.RawMessage(`{"id":123,"key":"images/2024/07/photo-974017.jpg","size":381024,"tags":["alpha","beta \"quoted\"","gamma"],"meta":{"w":1920,"h":1080,"ok":true,"note":null},"text":"The quick brown fox"}`)

var benchInput = json.RawMessage(`{"bucket":"photos","config":{"quality":80,"formats":["webp","avif"]},"items":[1,2,3]}`)

func benchApply(b *testing.B, template string) {
	sel, err := selector.Compile(json.RawMessage(template))
	if err != nil {
		b.Fatal(err)
	}
	bound, err := sel.Bind(benchInput)
	if err != nil {
		b.Fatal(err)
	}
	var buf []byte
	b.SetBytes(int64(len(benchItem)))
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		buf, err = bound.AppendApply(buf[:0], int64(i), benchItem)
		if err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkApply measures the per-item cost (ns/op = ns/item).
func BenchmarkApply(b *testing.B) {
	b.Run("value+index+input", func(b *testing.B) {
		benchApply(b, `{"bucket.$":"$.bucket","config.$":"$.config","index.$":"$$.Map.Item.Index","value.$":"$$.Map.Item.Value","static":10}`)
	})
	b.Run("nested-item-fields", func(b *testing.B) {
		benchApply(b, `{"bucket.$":"$.bucket","key.$":"$$.Map.Item.Value.key","w.$":"$$.Map.Item.Value.meta.w"}`)
	})
	b.Run("item-filter", func(b *testing.B) {
		benchApply(b, `{"tags.$":"$$.Map.Item.Value.tags[?(@ != 'gamma')]"}`)
	})
}

// BenchmarkBind measures the once-per-Map-run cost that Apply avoids.
func BenchmarkBind(b *testing.B) {
	sel, err := selector.Compile(json.RawMessage(`{"bucket.$":"$.bucket","config.$":"$.config","value.$":"$$.Map.Item.Value"}`))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := sel.Bind(benchInput); err != nil {
			b.Fatal(err)
		}
	}
}
