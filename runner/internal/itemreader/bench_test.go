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

// appendCSVRow appends a typical CSV row of about 150 bytes, with the columns of csvHeader: plain
// fields, a quoted field with a delimiter and doubled quotes, an empty field, and every 16th row a
// quoted field with a line break.
func appendCSVRow(b []byte, i int) []byte {
	b = strconv.AppendInt(b, int64(i), 10)
	b = append(b, ",images/2024/07/photo-"...)
	b = strconv.AppendInt(b, int64(i*7919), 10)
	b = append(b, ".jpg,"...)
	b = strconv.AppendInt(b, int64(i*31%1000003), 10)
	b = append(b, `,"alpha, beta ""quoted"", gamma",,The quick brown fox jumps over the lazy dog,`...)
	if i%16 == 0 {
		b = append(b, "\"two\nlines\""...)
	} else {
		b = append(b, "one line"...)
	}
	return append(b, '\n')
}

const csvHeader = "id,key,size,tags,empty,text,note\n"

// generateCSV writes about size bytes of CSV rows, after a header row, to dir/name, compressed
// with comp. It returns the path, the uncompressed size and the number of data rows.
func generateCSV(tb testing.TB, dir, name string, size int64, comp string) (path string, n int64, rows int) {
	tb.Helper()
	path = filepath.Join(dir, name)
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	var w io.Writer = f
	var c io.Closer
	if comp == "zstd" {
		zw, err := zstd.NewWriter(f, zstd.WithEncoderLevel(zstd.SpeedFastest))
		if err != nil {
			tb.Fatal(err)
		}
		w, c = zw, zw
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	bw.WriteString(csvHeader)
	n = int64(len(csvHeader))
	var line []byte
	for n < size {
		line = appendCSVRow(line[:0], rows)
		bw.Write(line)
		n += int64(len(line))
		rows++
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
	return path, n, rows
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
		for _, comp := range []string{"", "zstd"} {
			name := "items.csv" + map[string]string{"": "", "zstd": ".zst"}[comp]
			path, n, rows := generateCSV(b, dir, name, 64<<20, comp)
			benchFiles[name] = benchFile{path, n, rows}
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
	for _, name := range []string{"items.jsonl", "items.jsonl.zst", "items.jsonl.gz", "items.json", "items.json.zst", "items.csv", "items.csv.zst"} {
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
	for _, name := range []string{"items.jsonl", "items.jsonl.zst", "items.json", "items.json.zst", "items.csv", "items.csv.zst"} {
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

// BenchmarkFolder lists a folder of 10,000 files of 1 KiB in 100 directories: Read computes each
// file's MD5, Count only walks.
func BenchmarkFolder(b *testing.B) {
	dir := b.TempDir()
	content := make([]byte, 1024)
	for d := range 100 {
		sub := filepath.Join(dir, "dir-"+strconv.Itoa(d))
		if err := os.Mkdir(sub, 0o755); err != nil {
			b.Fatal(err)
		}
		for f := range 100 {
			if err := os.WriteFile(filepath.Join(sub, "file-"+strconv.Itoa(f)+".bin"), content, 0o644); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.Run("read", func(b *testing.B) {
		for b.Loop() {
			r, err := itemreader.Open(dir, itemreader.Config{})
			if err != nil {
				b.Fatal(err)
			}
			n := 0
			for {
				if _, err := r.Next(); err == io.EOF {
					break
				} else if err != nil {
					b.Fatal(err)
				}
				n++
			}
			r.Close()
			if n != 10000 {
				b.Fatalf("%d items", n)
			}
		}
		b.ReportMetric(10000*float64(b.N)/b.Elapsed().Seconds(), "items/s")
	})
	b.Run("count", func(b *testing.B) {
		for b.Loop() {
			if n, err := itemreader.Count(b.Context(), dir, itemreader.Config{}); n != 10000 || err != nil {
				b.Fatal(n, err)
			}
		}
		b.ReportMetric(10000*float64(b.N)/b.Elapsed().Seconds(), "items/s")
	})
}
