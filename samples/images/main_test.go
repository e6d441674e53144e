package main

import (
	"context"
	"errors"
	"testing"

	"github.com/wasmap/wasmap/sdk/go/object"
)

// Natively there is no object I/O: the handler says so. The image work is tested in
// internal/picture, the whole function against S3 in runner/cmd/wasmap (TestImagesDemo).
func TestNeedsTheHost(t *testing.T) {
	_, err := thumbnail(context.Background(), Item{Key: "images/dog-0000.jpg", Size: 1})
	if !errors.Is(err, object.ErrNoHost) {
		t.Errorf("thumbnail natively: %v, want ErrNoHost", err)
	}
}
