package execenv_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/wasmap/wasmap/runner/internal/execenv"
	"github.com/wasmap/wasmap/runner/internal/objectio"
	"github.com/wasmap/wasmap/runner/internal/s3test"
	"github.com/wasmap/wasmap/runner/internal/s3x"
)

// TestObjectsStreamS3 streams a 1 GiB S3 object (WASMAP_S3TEST_STREAM_BYTES to change; 64 MiB
// with -short) through a module: the guest reads it with object I/O through a 64 KiB buffer and
// hashes it, against a real S3 server. The guest's linear memory stays a few MiB, whatever the
// object's size.
func TestObjectsStreamS3(t *testing.T) {
	size := int64(1 << 30)
	if testing.Short() {
		size = 64 << 20
	}
	if s := os.Getenv("WASMAP_S3TEST_STREAM_BYTES"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		size = n
	}
	ctx := context.Background()
	srv := s3test.Start(t)
	srv.CreateBucket(t, "big")
	client := srv.Client(t)

	gen := rand.NewChaCha8([32]byte{'s', 't', 'r', 'e', 'a', 'm'})
	want := sha256.New()
	buf := make([]byte, 256<<10)
	up := s3x.NewUpload(ctx, client, "big", "blob.bin", s3x.UploadOptions{})
	for left := size; left > 0; {
		n := min(int64(len(buf)), left)
		gen.Read(buf[:n])
		want.Write(buf[:n])
		if _, err := up.Write(buf[:n]); err != nil {
			up.Abort()
			t.Fatal(err)
		}
		left -= n
	}
	if err := up.Seal(); err != nil {
		t.Fatal(err)
	}
	if err := up.Commit(); err != nil {
		t.Fatal(err)
	}

	f := objFunction(t, &objectio.Config{Items: "s3://big/", Openers: map[string]objectio.Opener{objectio.SchemeS3: objectio.S3Opener(client)}},
		execenv.Config{MemoryMB: 32, Timeout: 5 * time.Minute})
	start := time.Now()
	tasks, _ := invoke(t, f, ev("op", "stream", "key", "blob.bin", "buf", 64<<10))
	if tasks[0].Err != nil {
		t.Fatal(tasks[0].Err)
	}
	var got struct {
		SHA256 string `json:"sha256"`
		Bytes  int64  `json:"bytes"`
	}
	json.Unmarshal(tasks[0].Output, &got)
	if got.SHA256 != hex.EncodeToString(want.Sum(nil)) || got.Bytes != size {
		t.Errorf("stream = %+v, want sha256 %x over %d bytes", got, want.Sum(nil), size)
	}
	if tasks[0].MaxMemory > 16<<20 {
		t.Errorf("guest memory %d MiB while streaming %d MiB", tasks[0].MaxMemory>>20, size>>20)
	}
	d := time.Since(start)
	t.Logf("%d MiB streamed from S3 through the module in %v (%.0f MiB/s), guest memory %d MiB",
		size>>20, d, float64(size>>20)/d.Seconds(), tasks[0].MaxMemory>>20)
}
