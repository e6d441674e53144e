package itemreader_test

import (
	"io"
	"runtime"
	"testing"
	"time"

	"github.com/wasmap/wasmap/runner/internal/itemreader"
)

// TestBoundedMemory streams generated files of 200 MB (JSON Lines, plain and zstd) and 100 MB
// (a JSON array, zstd) of content and checks that the heap stays
// far below the file size: the reader holds one item and its buffers, never the file.
func TestBoundedMemory(t *testing.T) {
	size := int64(200 << 20)
	if testing.Short() || raceEnabled {
		size = 16 << 20
	}
	const limit = 64 << 20 // peak HeapInuse allowed, a fraction of the file size
	dir := t.TempDir()
	for _, f := range []struct {
		name string
		json bool
		comp string
		size int64
	}{
		{"big.jsonl", false, "", size},
		{"big.jsonl.zst", false, "zstd", size},
		{"big.json.zst", true, "zstd", size / 2},
	} {
		t.Run(f.name, func(t *testing.T) {
			start := time.Now()
			path, n, items := generate(t, dir, f.name, f.size, f.json, f.comp)
			generated := time.Since(start)

			runtime.GC()
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			base, peak := ms.HeapInuse, ms.HeapInuse
			sample := func() {
				runtime.ReadMemStats(&ms)
				peak = max(peak, ms.HeapInuse)
			}

			start = time.Now()
			r, err := itemreader.Open(path, itemreader.Config{})
			if err != nil {
				t.Fatal(err)
			}
			read := 0
			for {
				it, err := r.Next()
				if err == io.EOF {
					break
				}
				if err != nil || it.Err != nil {
					t.Fatal(err, it.Err)
				}
				if read++; read%16384 == 0 {
					sample()
				}
			}
			sample()
			r.Close()
			if read != items {
				t.Fatalf("read %d items, want %d", read, items)
			}
			t.Logf("%d MB, %d items: generated in %v, read in %v (%.0f MB/s); HeapInuse %d MiB before, peak %d MiB",
				n>>20, items, generated.Round(time.Millisecond), time.Since(start).Round(time.Millisecond),
				float64(n)/1e6/time.Since(start).Seconds(), base>>20, peak>>20)
			if peak > limit {
				t.Errorf("peak HeapInuse %d MiB > %d MiB while reading a %d MB file", peak>>20, limit>>20, n>>20)
			}
		})
	}
}
