package itemreader_test

import (
	"bufio"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"

	"github.com/wasmap/wasmap/runner/internal/itemreader"
)

// appendRecord appends a typical item of about 200 bytes: an object with strings, numbers, an
// array and a nested object.
func appendRecord(b []byte, i int) []byte {
	b = append(b, `{"id":`...)
	b = strconv.AppendInt(b, int64(i), 10)
	b = append(b, `,"key":"images/2024/07/photo-`...)
	b = strconv.AppendInt(b, int64(i*7919), 10)
	b = append(b, `.jpg","size":`...)
	b = strconv.AppendInt(b, int64(i*31%1000003), 10)
	b = append(b, `,"tags":["alpha","beta \"quoted\"","gamma"],"meta":{"w":1920,"h":1080,"ok":true,"note":null},"text":"The quick brown fox jumps over the lazy dog"}`...)
	return b
}

// generate writes about size bytes of items to dir/name as JSON Lines (or a JSON array if json),
// compressed with comp ("", "gzip", "zstd"). It returns the path, the uncompressed size and the
// number of items.
func generate(tb testing.TB, dir, name string, size int64, json bool, comp string) (path string, n int64, items int) {
	tb.Helper()
	path = filepath.Join(dir, name)
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	var w io.Writer = f
	var c io.Closer
	switch comp {
	case "gzip":
		gz, _ := gzip.NewWriterLevel(f, gzip.BestSpeed)
		w, c = gz, gz
	case "zstd":
		zw, err := zstd.NewWriter(f, zstd.WithEncoderLevel(zstd.SpeedFastest))
		if err != nil {
			tb.Fatal(err)
		}
		w, c = zw, zw
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	var line []byte
	if json {
		bw.WriteString("[\n")
		n += 2
	}
	for n < size {
		line = line[:0]
		if json && items > 0 {
			line = append(line, ",\n"...)
		}
		line = appendRecord(line, items)
		if !json {
			line = append(line, '\n')
		}
		bw.Write(line)
		n += int64(len(line))
		items++
	}
	if json {
		bw.WriteString("\n]\n")
		n += 3
	}
	if err := bw.Flush(); err != nil {
		tb.Fatal(err)
	}
	if c != nil {
		if err := c.Close(); err != nil {
			tb.Fatal(err)
		}
	}
	if err := f.Close(); err != nil {
		tb.Fatal(err)
	}
	return path, n, items
}

type benchFile struct {
	path  string
	size  int64
	items int
}

var (
	benchOnce  sync.Once
	benchDir   string
	benchFiles map[string]benchFile
)

// benchData generates the benchmark files once per process, about 64 MB of content each.
func benchData(b *testing.B) map[string]benchFile {
	benchOnce.Do(func() {
		dir, err := os.MkdirTemp("", "itemreader-bench-")
		if err != nil {
			b.Fatal(err)
		}
		benchDir = dir
		benchFiles = map[string]benchFile{}
		for _, f := range []struct {
			name string
			json bool
			comp string
		}{
			{"items.jsonl", false, ""},
			{"items.jsonl.zst", false, "zstd"},
			{"items.jsonl.gz", false, "gzip"},
			{"items.json", true, ""},
			{"items.json.zst", true, "zstd"},
		} {
			path, n, items := generate(b, dir, f.name, 64<<20, f.json, f.comp)
			benchFiles[f.name] = benchFile{path, n, items}
		}
	})
	return benchFiles
}

func TestMain(m *testing.M) {
	code := m.Run()
	if benchDir != "" {
		os.RemoveAll(benchDir)
	}
	os.Exit(code)
}

func BenchmarkRead(b *testing.B) {
	files := benchData(b)
	for _, name := range []string{"items.jsonl", "items.jsonl.zst", "items.jsonl.gz", "items.json", "items.json.zst"} {
		f := files[name]
		b.Run(name, func(b *testing.B) {
			b.SetBytes(f.size)
			b.ReportAllocs()
			for b.Loop() {
				r, err := itemreader.Open(f.path, itemreader.Config{})
				if err != nil {
					b.Fatal(err)
				}
				n := 0
				for {
					_, err := r.Next()
					if err == io.EOF {
						break
					}
					if err != nil {
						b.Fatal(err)
					}
					n++
				}
				r.Close()
				if n != f.items {
					b.Fatalf("read %d items, want %d", n, f.items)
				}
			}
			b.ReportMetric(float64(f.items)*float64(b.N)/b.Elapsed().Seconds(), "items/s")
		})
	}
}

func BenchmarkCount(b *testing.B) {
	files := benchData(b)
	for _, name := range []string{"items.jsonl", "items.jsonl.zst", "items.json", "items.json.zst"} {
		f := files[name]
		b.Run(name, func(b *testing.B) {
			b.SetBytes(f.size)
			for b.Loop() {
				n, err := itemreader.Count(b.Context(), f.path, itemreader.Config{})
				if err != nil || n != int64(f.items) {
					b.Fatalf("Count = %d, %v; want %d", n, err, f.items)
				}
			}
		})
	}
}
