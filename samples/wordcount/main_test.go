package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/wasmap/wasmap/sdk/go/object"
)

func TestCount(t *testing.T) {
	tests := []struct {
		in   string
		want Counts
	}{
		{"", Counts{}},
		{"one", Counts{Lines: 0, Words: 1, Chars: 3, Bytes: 3}},
		{"two words\n", Counts{Lines: 1, Words: 2, Chars: 10, Bytes: 10}},
		{"  lead\t\ttabs \r\n\n end", Counts{Lines: 2, Words: 3, Chars: 20, Bytes: 20}},
		{"crème fraîche, 2 × 200 g\n", Counts{Lines: 1, Words: 6, Chars: 25, Bytes: 28}},
	}
	for _, tt := range tests {
		// One byte per Read: words and characters split across reads still count once.
		got, err := count(iotest.OneByteReader(strings.NewReader(tt.in)))
		if err != nil || got != tt.want {
			t.Errorf("count(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
		}
	}
}

// TestData checks the sample's files against counts from wc.
func TestData(t *testing.T) {
	want := map[string]Counts{
		"empty.txt":            {},
		"notes/no-newline.txt": {Lines: 0, Words: 6, Chars: 29, Bytes: 29},
		"notes/shopping.txt":   {Lines: 2, Words: 9, Chars: 41, Bytes: 44},
		"poems/ozymandias.txt": {Lines: 14, Words: 113, Chars: 631, Bytes: 633},
		"poems/the-tyger.txt":  {Lines: 9, Words: 45, Chars: 248, Bytes: 248},
	}
	for key, w := range want {
		f, err := os.Open(filepath.Join("data", filepath.FromSlash(key)))
		if err != nil {
			t.Fatal(err)
		}
		got, err := count(f)
		f.Close()
		if err != nil || got != w {
			t.Errorf("%s: %+v, %v; want %+v", key, got, err, w)
		}
	}
}

// Natively there is no object I/O: the handler says so.
func TestNeedsTheHost(t *testing.T) {
	_, err := wordcount(context.Background(), Item{Key: "empty.txt"})
	if !errors.Is(err, object.ErrNoHost) {
		t.Errorf("wordcount natively: %v, want ErrNoHost", err)
	}
}
