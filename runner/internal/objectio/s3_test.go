package objectio_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wasmap/wasmap/abi"
	"github.com/wasmap/wasmap/runner/internal/objectio"
	"github.com/wasmap/wasmap/runner/internal/s3test"
	"github.com/wasmap/wasmap/runner/internal/s3x"
)

func s3Access(t *testing.T, srv *s3test.Server, cfg objectio.Config) *objectio.Access {
	t.Helper()
	cfg.Openers = map[string]objectio.Opener{objectio.SchemeS3: objectio.S3Opener(srv.Client(t))}
	a, err := objectio.NewAccess(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	return a
}

// TestS3Store runs the policy over S3 stores: reads under the item source, writes under the
// output prefix, and the errnos of S3's failures.
func TestS3Store(t *testing.T) {
	ctx := context.Background()
	srv := s3test.Start(t)
	srv.CreateBucket(t, "items")
	srv.PutObject(t, "items", "in/a.txt", []byte("alpha\n"))
	srv.PutObject(t, "items", "in/sub/b.txt", []byte("beta\n"))
	srv.PutObject(t, "items", "secret.txt", []byte("secret\n"))
	a := s3Access(t, srv, objectio.Config{Items: "s3://items/in/", Output: "s3://items/out", Reads: []string{"s3://nobucket/x"}})

	if got := a.DefaultPrefix(); got != "s3://items/" {
		t.Errorf("DefaultPrefix %q", got)
	}
	info, err := a.Stat(ctx, "in/a.txt")
	if err != nil || info.Key != "in/a.txt" || info.Size != 6 || info.ETag != `"a6f4d4e5fab3e8ec1ce8a6b6b3b1d4ef"` && len(info.ETag) != 34 {
		t.Errorf("Stat = %+v, %v", info, err)
	}
	r, err := a.Open(ctx, "s3://items/in/sub/b.txt")
	if err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 10)
	if n, err := r.ReadAt(b, 1); n != 4 || err != io.EOF || string(b[:n]) != "eta\n" {
		t.Errorf("ReadAt = %d, %v, %q", n, err, b[:n])
	}
	r.Close()

	w, err := a.Create(ctx, "s3://items/out/r/1.json")
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(w, `{"ok":true}`)
	if keys := srv.Keys(t, "items", "out/"); len(keys) != 0 {
		t.Errorf("visible before Close: %v", keys)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if got := srv.GetObject(t, "items", "out/r/1.json"); string(got) != `{"ok":true}` {
		t.Errorf("written %q", got)
	}
	if err := w.Close(); !errors.Is(err, fs.ErrClosed) {
		t.Errorf("Close after Close: %v", err)
	}
	w, _ = a.Create(ctx, "s3://items/out/r/2.json")
	w.Write(bytes.Repeat([]byte("x"), 9<<20)) // a multipart upload
	if err := w.Abort(); err != nil {
		t.Fatal(err)
	}
	if keys := srv.Keys(t, "items", "out/"); len(keys) != 1 {
		t.Errorf("after Abort: %v", keys)
	}
	if ups := srv.Uploads(t, "items"); len(ups) != 0 {
		t.Errorf("uploads left after Abort: %v", ups)
	}

	for _, tc := range []struct {
		name  string
		write bool
		errno abi.Errno
		text  string
	}{
		{"in/missing.txt", false, abi.ENOENT, `s3://items/in/missing.txt: no such key "in/missing.txt"`},
		{"in/sub", false, abi.ENOENT, ""}, // a prefix is no object
		{"s3://nobucket/x/k", false, abi.ENOENT, `no such bucket "nobucket"`},
		{"secret.txt", false, abi.EACCES, "outside the locations"},
		{"s3://items/in/a.txt", true, abi.EACCES, "outside the locations"},
	} {
		var err error
		if tc.write {
			_, err = a.Create(ctx, tc.name)
		} else {
			_, err = a.Open(ctx, tc.name)
		}
		if got := objectio.Errno(err); got != tc.errno || !strings.Contains(errString(err), tc.text) {
			t.Errorf("%s: %v (errno %d), want errno %d and %q", tc.name, err, got, tc.errno, tc.text)
		}
	}

	// Bad credentials: EACCES, with the reason.
	bad := srv.ClientWith(t, srv.Config(s3test.AccessKey, "wrong-secret"))
	ba, err := objectio.NewAccess(ctx, objectio.Config{Items: "s3://items/in/",
		Openers: map[string]objectio.Opener{objectio.SchemeS3: objectio.S3Opener(bad)}})
	if err != nil {
		t.Fatal(err)
	}
	defer ba.Close()
	_, err = ba.Open(ctx, "in/a.txt")
	if objectio.Errno(err) != abi.EACCES || !strings.Contains(errString(err), "SignatureDoesNotMatch") {
		t.Errorf("wrong secret: %v", err)
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// streamBytes is the size of TestS3Stream's object: 1 GiB, or WASMAP_S3TEST_STREAM_BYTES.
func streamBytes(t *testing.T) int64 {
	if s := os.Getenv("WASMAP_S3TEST_STREAM_BYTES"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	return 1 << 30
}

// TestS3Stream writes a 1 GiB object of deterministic bytes through an S3 store's Writer (a
// streamed multipart upload), reads it back through its Reader with a 64 KiB buffer as a guest
// would, and checks the SHA-256 and that the Go heap stays small all along.
func TestS3Stream(t *testing.T) {
	if testing.Short() {
		t.Skip("streams 1 GiB through S3")
	}
	ctx := context.Background()
	size := streamBytes(t)
	srv := s3test.Start(t)
	srv.CreateBucket(t, "big")
	a := s3Access(t, srv, objectio.Config{Items: "s3://big/", Output: "s3://big/out/", Reads: []string{"s3://big/out/"}})

	// Two measures of the heap, sampled every 10 ms: the bytes in use (live objects and
	// garbage not yet collected, so up to twice the live heap with GOGC=100) and the live heap
	// as the last GC measured it.
	samples := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/gc/heap/live:bytes"}}
	var peakInUse, peakLive atomic.Uint64
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		for {
			metrics.Read(samples)
			if v := samples[0].Value.Uint64(); v > peakInUse.Load() {
				peakInUse.Store(v)
			}
			if v := samples[1].Value.Uint64(); v > peakLive.Load() {
				peakLive.Store(v)
			}
			select {
			case <-stop:
				return
			case <-time.After(10 * time.Millisecond):
			}
		}
	}()
	resetPeaks := func() (inUse, live uint64) {
		inUse, live = peakInUse.Load(), peakLive.Load()
		runtime.GC()
		debug.FreeOSMemory()
		peakInUse.Store(0)
		peakLive.Store(0)
		return inUse, live
	}
	resetPeaks()

	gen := rand.NewChaCha8([32]byte{'w', 'a', 's', 'm', 'a', 'p'})
	want := sha256.New()
	buf := make([]byte, 256<<10)
	begin := time.Now()
	w, err := a.Create(ctx, "out/big.bin")
	if err != nil {
		t.Fatal(err)
	}
	for left := size; left > 0; {
		n := min(int64(len(buf)), left)
		gen.Read(buf[:n])
		want.Write(buf[:n])
		if _, err := w.Write(buf[:n]); err != nil {
			w.Abort()
			t.Fatal(err)
		}
		left -= n
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	writeTime := time.Since(begin)
	writeInUse, writeLive := resetPeaks()

	begin = time.Now()
	r, err := a.Open(ctx, "s3://big/out/big.bin")
	if err != nil {
		t.Fatal(err)
	}
	if r.Size() != size {
		t.Fatalf("size %d, want %d", r.Size(), size)
	}
	got := sha256.New()
	small := make([]byte, 64<<10)
	for off := int64(0); off < size; {
		n, err := r.ReadAt(small, off)
		got.Write(small[:n])
		off += int64(n)
		if err == io.EOF && off == size {
			break
		}
		if err != nil {
			t.Fatalf("ReadAt at %d: %v", off, err)
		}
	}
	r.Close()
	readTime := time.Since(begin)
	readInUse, readLive := resetPeaks()
	close(stop)
	<-sampled

	if !bytes.Equal(got.Sum(nil), want.Sum(nil)) {
		t.Fatal("the SHA-256 of what was read differs from what was written")
	}
	mib := func(b uint64) float64 { return float64(b) / (1 << 20) }
	t.Logf("%d MiB: write %v (%.0f MiB/s; peak heap: %.1f MiB live, %.1f MiB in use), read %v (%.0f MiB/s; peak heap: %.1f MiB live, %.1f MiB in use)",
		size>>20, writeTime.Round(time.Millisecond), float64(size>>20)/writeTime.Seconds(), mib(writeLive), mib(writeInUse),
		readTime.Round(time.Millisecond), float64(size>>20)/readTime.Seconds(), mib(readLive), mib(readInUse))
	// Writing holds the part being filled and 2 in flight (8 MiB each); reading, two blocks of
	// at most s3x.MaxReadAhead. The rest is the SDK's and the test's.
	if limit := uint64(48 << 20); writeLive > limit || readLive > limit {
		t.Errorf("peak live heap: write %.1f MiB, read %.1f MiB: want under %.0f MiB", mib(writeLive), mib(readLive), mib(limit))
	}
	if limit := uint64(128 << 20); writeInUse > limit || readInUse > limit {
		t.Errorf("peak heap in use: write %.1f MiB, read %.1f MiB: want under %.0f MiB", mib(writeInUse), mib(readInUse), mib(limit))
	}
	if 2*s3x.MaxReadAhead > 48<<20 {
		t.Error("the read-ahead alone passes the limit")
	}
}
