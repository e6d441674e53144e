package itemreader_test

import (
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
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

// TestCSVUnterminatedQuoteMemory reads a CSV file whose last quoted field is never closed: the
// rest of the file (64 MB) is that field. The reader must fail without holding it in memory.
func TestCSVUnterminatedQuoteMemory(t *testing.T) {
	size := 64 << 20
	if testing.Short() || raceEnabled {
		size = 16 << 20
	}
	path := filepath.Join(t.TempDir(), "open.csv")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("a,b\n1,2\n3,\"")
	chunk := strings.Repeat("a long field, with \"\"quotes\"\"\n", 1<<15)
	for n := 0; n < size; n += len(chunk) {
		if _, err := f.WriteString(chunk); err != nil {
			t.Fatal(err)
		}
	}
	f.Close()
	const limit = 32 << 20 // read buffers, zstd windows and a row of up to MaxItemBytes
	t.Run("read", func(t *testing.T) {
		peak := heapPeak(t, func() {
			items, err := readAll(t, path, itemreader.Config{})
			if len(items) != 1 || readerCause(t, err) != "invalid CSV: the quoted field that starts at line 3, column 3 is not closed at the end of the file" {
				t.Errorf("%d items, %v", len(items), err)
			}
		})
		if peak > limit {
			t.Errorf("HeapInuse grew by %d MiB reading a %d MiB file", peak>>20, size>>20)
		}
	})
	t.Run("count", func(t *testing.T) {
		peak := heapPeak(t, func() {
			if n, err := itemreader.Count(t.Context(), path, itemreader.Config{}); n != 1 || err == nil {
				t.Errorf("Count = %d, %v", n, err)
			}
		})
		if peak > limit {
			t.Errorf("HeapInuse grew by %d MiB counting a %d MiB file", peak>>20, size>>20)
		}
	})
}

// heapPeak runs f and returns by how much HeapInuse grew at most meanwhile, sampled every
// millisecond.
func heapPeak(t *testing.T, f func()) uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base, peak := ms.HeapInuse, ms.HeapInuse
	done := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapInuse)
			select {
			case <-done:
				return
			case <-time.After(time.Millisecond):
			}
		}
	}()
	f()
	close(done)
	<-sampled
	return peak - base
}
