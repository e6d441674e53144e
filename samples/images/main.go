// Command images is a wasmap function that reads each item's JPEG through object I/O, records
// its dimensions, byte size and mean colour, and writes a thumbnail 64 pixels wide (box
// resampling, standard library only) under the output location, named as the image.
//
// Its items are a listing's, one s3:listObjectsV2 entry per object:
//
//	{"Etag":"\"fc22c5d6d26de54b9fc959229e518588\"","Key":"images/dog-0000.jpg","LastModified":1795691663,"Size":27572,"StorageClass":"STANDARD"}
//	→ {"key":"images/dog-0000.jpg","bytes":27572,"width":640,"height":427,"mean":[132.96,159.24,131.67],
//	   "meanColor":"#859f84","thumbnail":"s3://photos/thumbnails/dog-0000.jpg","thumbnailBytes":1228}
//
// Build: GOOS=wasip1 GOARCH=wasm go build -o images.wasm .
package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"path"

	"github.com/wasmap/wasmap/samples/images/internal/picture"
	"github.com/wasmap/wasmap/sdk/go/lambda"
	"github.com/wasmap/wasmap/sdk/go/object"
)

// ThumbnailWidth is the width of the thumbnails in pixels.
const ThumbnailWidth = 64

// Item is a listing's item. Only Key and Size are used.
type Item struct {
	Etag         string `json:"Etag"`
	Key          string `json:"Key"`
	LastModified int64  `json:"LastModified"`
	Size         int64  `json:"Size"`
	StorageClass string `json:"StorageClass"`
}

// SizeMismatchError is returned when the object's size changed since it was listed.
type SizeMismatchError struct {
	Key          string
	Listed, Read int64
}

func (e *SizeMismatchError) Error() string {
	return fmt.Sprintf("%s: listed with %d bytes, has %d", e.Key, e.Listed, e.Read)
}

// read returns the whole object: one read call for an image of less than 1 MiB.
func read(key string) ([]byte, error) {
	r, err := object.Open(key)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	b := make([]byte, r.Size())
	if _, err := io.ReadFull(r, b); err != nil {
		return nil, err
	}
	return b, nil
}

// thumbnail is the handler. Its output is a picture.Result; the thumbnail's name is the output
// location followed by the image's base name.
func thumbnail(ctx context.Context, item Item) (picture.Result, error) {
	jpg, err := read(item.Key)
	if err != nil {
		return picture.Result{}, err
	}
	if int64(len(jpg)) != item.Size {
		return picture.Result{}, &SizeMismatchError{Key: item.Key, Listed: item.Size, Read: int64(len(jpg))}
	}
	var thumb bytes.Buffer
	st, err := picture.Thumbnail(jpg, ThumbnailWidth, &thumb)
	if err != nil {
		return picture.Result{}, fmt.Errorf("%s: %w", item.Key, err)
	}

	w, err := object.CreateOutput(path.Base(item.Key))
	if err != nil {
		return picture.Result{}, err
	}
	defer w.Abort() // does nothing once Close has committed the object
	if _, err := w.Write(thumb.Bytes()); err != nil {
		return picture.Result{}, err
	}
	if err := w.Close(); err != nil {
		return picture.Result{}, err
	}
	return picture.NewResult(item.Key, item.Size, st, w.Name(), thumb.Len()), nil
}

func main() {
	lambda.Start(thumbnail)
}
