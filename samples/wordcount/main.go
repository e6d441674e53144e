// Command wordcount is a wasmap function that counts the lines, words, characters and bytes of
// each file of a folder, as wc does, reading the file through object I/O with a 64 KiB buffer
// (so a file of any size fits in a small memory), and writes the counts next to the other
// outputs as "<key>.counts.json".
//
// Its items are a folder source's, one s3:listObjectsV2 entry per file:
//
//	{"Etag":"\"…\"","Key":"poems/the-tyger.txt","LastModified":1700000000,"Size":248,"StorageClass":"STANDARD"}
//	→ {"key":"poems/the-tyger.txt","lines":9,"words":45,"chars":248,"bytes":248}
//
// Build: GOOS=wasip1 GOARCH=wasm go build -o wordcount.wasm .
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/wasmap/wasmap/sdk/go/lambda"
	"github.com/wasmap/wasmap/sdk/go/object"
)

// Item is a folder source's item. Only Key and Size are used.
type Item struct {
	Etag         string `json:"Etag"`
	Key          string `json:"Key"`
	LastModified int64  `json:"LastModified"`
	Size         int64  `json:"Size"`
	StorageClass string `json:"StorageClass"`
}

// Counts is the function's result, and the content of "<key>.counts.json".
type Counts struct {
	Key   string `json:"key"`
	Lines int64  `json:"lines"` // newline characters, as wc -l
	Words int64  `json:"words"` // runs of non-space bytes (ASCII white space separates), as wc -w
	Chars int64  `json:"chars"` // UTF-8 characters, as wc -m
	Bytes int64  `json:"bytes"` // as wc -c
}

// SizeMismatchError is returned when the file's size changed since it was listed.
type SizeMismatchError struct {
	Key          string
	Listed, Read int64
}

func (e *SizeMismatchError) Error() string {
	return fmt.Sprintf("%s: listed with %d bytes, read %d", e.Key, e.Listed, e.Read)
}

// counter counts a stream given in chunks of any size.
type counter struct {
	c      Counts
	inWord bool
}

func isSpace(b byte) bool {
	return b == ' ' || b == '\n' || b == '\t' || b == '\r' || b == '\v' || b == '\f'
}

func (k *counter) Write(p []byte) (int, error) {
	for _, b := range p {
		if b == '\n' {
			k.c.Lines++
		}
		if b&0xC0 != 0x80 { // not a UTF-8 continuation byte: a character starts here
			k.c.Chars++
		}
		if isSpace(b) {
			k.inWord = false
		} else if !k.inWord {
			k.inWord = true
			k.c.Words++
		}
	}
	k.c.Bytes += int64(len(p))
	return len(p), nil
}

// count counts what r holds, reading it through a 64 KiB buffer.
func count(r io.Reader) (Counts, error) {
	var k counter
	_, err := io.CopyBuffer(&k, r, make([]byte, 64<<10))
	return k.c, err
}

func wordcount(ctx context.Context, item Item) (Counts, error) {
	r, err := object.Open(item.Key)
	if err != nil {
		return Counts{}, err
	}
	defer r.Close()
	c, err := count(r)
	if err != nil {
		return Counts{}, err
	}
	c.Key = item.Key
	if c.Bytes != item.Size {
		return Counts{}, &SizeMismatchError{Key: item.Key, Listed: item.Size, Read: c.Bytes}
	}

	w, err := object.CreateOutput(item.Key + ".counts.json")
	if err != nil {
		return Counts{}, err
	}
	defer w.Abort() // does nothing once Close has committed the object
	if err := json.NewEncoder(w).Encode(c); err != nil {
		return Counts{}, err
	}
	return c, w.Close()
}

func main() {
	lambda.Start(wordcount)
}
