package runner_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/wasmap/wasmap/runner"
	"github.com/wasmap/wasmap/runner/internal/guesttest"
)

// transformItems writes n records shaped like samples/uppercase/items.jsonl.
func transformItems(b *testing.B, n int) string {
	p := filepath.Join(b.TempDir(), "items.jsonl")
	f, err := os.Create(p)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriter(f)
	for i := 0; i < n; i++ {
		fmt.Fprintf(w, `{"id":%d,"name":"ada lovelace %d","city":"london","note":"order %d: leave the parcel with the neighbour"}`+"\n", i, i, 1000+i)
	}
	w.Flush()
	f.Close()
	return p
}

// BenchmarkTransform runs the Go transform guest over b.N items through a whole map run with 1
// and 2 environments and reports items/s of the map run (module loading excluded, cold starts
// included). Use -benchtime=20000x or more: each iteration is one item.
func BenchmarkTransform(b *testing.B) {
	wasm := guesttest.Build(b, "runner/testdata/guests/transform")
	for _, envs := range []int{1, 2} {
		b.Run(fmt.Sprintf("envs=%d", envs), func(b *testing.B) {
			items := transformItems(b, b.N)
			j := runner.Job{
				ItemReader:     runner.ItemReader{Source: items},
				Functions:      []runner.Function{{Path: wasm}},
				MaxConcurrency: envs,
				CacheDir:       cacheDir,
			}
			b.ResetTimer()
			rep, err := runner.Run(context.Background(), j, runner.Options{})
			b.StopTimer()
			if err != nil || rep.Status != runner.StatusSucceeded {
				b.Fatalf("%v %+v", err, rep)
			}
			secs := rep.StopDate.Sub(rep.StartDate).Seconds()
			b.ReportMetric(float64(b.N)/secs, "items/s")
			b.ReportMetric(secs/float64(b.N)*1e9, "ns/item")
		})
	}
}
