package object_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"

	"github.com/wasmap/wasmap/sdk/go/lambda"
	"github.com/wasmap/wasmap/sdk/go/object"
)

// Item is a folder source's item (an s3:listObjectsV2 entry).
type Item struct {
	Key  string `json:"Key"`
	Size int64  `json:"Size"`
}

// A function that hashes each object of a folder source with a 64 KiB buffer, however large
// the object, and writes the digest beside the other outputs as "<key>.sha256.json". Build it
// with GOOS=wasip1 GOARCH=wasm; natively, Open fails with ErrNoHost.
func Example() {
	lambda.Start(func(item Item) (string, error) {
		r, err := object.Open(item.Key)
		if err != nil {
			return "", err
		}
		defer r.Close()
		h := sha256.New()
		if _, err := io.CopyBuffer(h, r, make([]byte, 64<<10)); err != nil {
			return "", err
		}
		sum := hex.EncodeToString(h.Sum(nil))

		w, err := object.CreateOutput(item.Key + ".sha256.json")
		if err != nil {
			return "", err
		}
		defer w.Abort() // a no-op once Close has committed
		if err := json.NewEncoder(w).Encode(map[string]string{"key": item.Key, "sha256": sum}); err != nil {
			return "", err
		}
		return sum, w.Close()
	})
}

// ReadAt reads a range without moving the Reader's offset: here the last 4 bytes.
func ExampleReader_ReadAt() {
	r, err := object.Open("images/photo.jpg")
	if err != nil {
		return
	}
	defer r.Close()
	tail := make([]byte, 4)
	_, _ = r.ReadAt(tail, r.Size()-4)
}
