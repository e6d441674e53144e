package itemreader_test

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"

	"github.com/wasmap/wasmap/runner/internal/itemreader"
)

// writeFile writes content to dir/name, compressed with comp ("", "gzip" or "zstd").
func writeFile(t testing.TB, dir, name, content, comp string) string {
	t.Helper()
	var buf bytes.Buffer
	var w io.WriteCloser
	switch comp {
	case "":
		buf.WriteString(content)
	case "gzip":
		w = gzip.NewWriter(&buf)
	case "zstd":
		zw, err := zstd.NewWriter(&buf)
		if err != nil {
			t.Fatal(err)
		}
		w = zw
	default:
		t.Fatalf("unknown compression %q", comp)
	}
	if w != nil {
		if _, err := io.WriteString(w, content); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// readAll reads every item; err is the error that ended the read (nil for io.EOF).
func readAll(t testing.TB, path string, cfg itemreader.Config) (items []itemreader.Item, err error) {
	t.Helper()
	r, err := itemreader.Open(path, cfg)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	for {
		it, err := r.Next()
		if err == io.EOF {
			return items, nil
		}
		if err != nil {
			return items, err
		}
		items = append(items, it)
	}
}

// values returns the items as strings: the compact JSON, or "!<error>" for a failed item.
func values(items []itemreader.Item) []string {
	out := make([]string, len(items))
	for i, it := range items {
		if it.Err != nil {
			out[i] = "!" + it.Err.Error()
		} else {
			out[i] = string(it.Value)
		}
	}
	return out
}

func readerCause(t *testing.T, err error) string {
	t.Helper()
	var re *itemreader.ReaderError
	if !errors.As(err, &re) {
		t.Fatalf("error %v (%T) is not a *ReaderError", err, err)
	}
	if re.Name() != "States.ItemReaderFailed" {
		t.Fatalf("Name() = %q", re.Name())
	}
	if re.Error() != re.Cause {
		t.Fatalf("Error() = %q, Cause = %q", re.Error(), re.Cause)
	}
	return re.Cause
}
