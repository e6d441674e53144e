package object

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/wasmap/wasmap/abi"
)

// fakeHost is wasmap_object_v1 over a map, moving at most chunk bytes per read or write call
// so that the SDK's loops are exercised.
type fakeHost struct {
	objs    map[string][]byte
	denied  map[string]bool
	chunk   int
	handles map[int32]*fakeHandle
	next    int32
	calls   int
}

type fakeHandle struct {
	name    string
	data    []byte
	writing bool
}

func newFake() *fakeHost {
	return &fakeHost{objs: map[string][]byte{}, denied: map[string]bool{}, chunk: 3, handles: map[int32]*fakeHandle{}}
}

func neg(e abi.Errno) int64 { return -int64(e) }

func (f *fakeHost) check(name string) int64 {
	switch {
	case f.denied[name] || strings.Contains(name, ".."):
		return neg(abi.EACCES)
	case strings.HasPrefix(name, "s3://"):
		return neg(abi.ENOTSUP)
	}
	return 0
}

func (f *fakeHost) open(name string) int64 {
	f.calls++
	if e := f.check(name); e != 0 {
		return e
	}
	d, ok := f.objs[name]
	if !ok {
		return neg(abi.ENOENT)
	}
	f.next++
	f.handles[f.next] = &fakeHandle{name: name, data: d}
	return int64(f.next)
}

func (f *fakeHost) create(name string) int64 {
	f.calls++
	if e := f.check(name); e != 0 {
		return e
	}
	f.next++
	f.handles[f.next] = &fakeHandle{name: name, writing: true}
	return int64(f.next)
}

func (f *fakeHost) stat(name string, buf []byte) int64 {
	f.calls++
	if e := f.check(name); e != 0 {
		return e
	}
	d, ok := f.objs[name]
	if !ok {
		return neg(abi.ENOENT)
	}
	v, _ := json.Marshal(abi.ObjectInfo{Etag: `"e"`, Key: name, LastModified: 1668699881, Size: int64(len(d))})
	if len(v) <= len(buf) {
		copy(buf, v)
	}
	return int64(len(v))
}

func (f *fakeHost) size(h int32) int64 {
	fh := f.handles[h]
	if fh == nil {
		return neg(abi.EBADF)
	}
	return int64(len(fh.data))
}

func (f *fakeHost) read(h int32, off int64, buf []byte) int64 {
	f.calls++
	fh := f.handles[h]
	if fh == nil || fh.writing {
		return neg(abi.EBADF)
	}
	if off < 0 {
		return neg(abi.EINVAL)
	}
	if off >= int64(len(fh.data)) {
		return 0
	}
	return int64(copy(buf[:min(len(buf), f.chunk)], fh.data[off:]))
}

func (f *fakeHost) write(h int32, buf []byte) int64 {
	f.calls++
	fh := f.handles[h]
	if fh == nil || !fh.writing {
		return neg(abi.EBADF)
	}
	n := min(len(buf), f.chunk)
	fh.data = append(fh.data, buf[:n]...)
	return int64(n)
}

func (f *fakeHost) close(h int32) int64 {
	fh := f.handles[h]
	if fh == nil {
		return neg(abi.EBADF)
	}
	delete(f.handles, h)
	if fh.writing {
		f.objs[fh.name] = fh.data
	}
	return 0
}

func (f *fakeHost) abort(h int32) int64 {
	if f.handles[h] == nil {
		return neg(abi.EBADF)
	}
	delete(f.handles, h)
	return 0
}

func useFake(t *testing.T) *fakeHost {
	f := newFake()
	old := host
	host = f
	t.Cleanup(func() { host = old })
	return f
}

func TestReader(t *testing.T) {
	f := useFake(t)
	content := []byte("the quick brown fox jumps over the lazy dog")
	f.objs["a.txt"] = content
	r, err := Open("a.txt")
	if err != nil {
		t.Fatal(err)
	}
	if r.Size() != int64(len(content)) || r.Name() != "a.txt" {
		t.Errorf("Size %d Name %q", r.Size(), r.Name())
	}
	// iotest.TestReader checks Read, ReadAt and Seek together against the content.
	if err := iotest.TestReader(r, content); err != nil {
		t.Error(err)
	}
	buf := make([]byte, 10)
	if n, err := r.ReadAt(buf, 4); n != 10 || err != nil || string(buf) != "quick brow" {
		t.Errorf("ReadAt(4) = %d, %v, %q", n, err, buf[:n])
	}
	if n, err := r.ReadAt(buf, int64(len(content))-3); n != 3 || err != io.EOF {
		t.Errorf("ReadAt(end-3) = %d, %v", n, err)
	}
	if _, err := r.ReadAt(buf, -1); !errors.Is(err, fs.ErrInvalid) {
		t.Errorf("ReadAt(-1): %v", err)
	}
	if _, err := r.Seek(-1, io.SeekStart); !errors.Is(err, fs.ErrInvalid) {
		t.Errorf("Seek(-1): %v", err)
	}
	if p, _ := r.Seek(-3, io.SeekEnd); p != int64(len(content))-3 {
		t.Errorf("Seek(-3, end) = %d", p)
	}
	if b, _ := io.ReadAll(r); string(b) != "dog" {
		t.Errorf("ReadAll after Seek = %q", b)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); !errors.Is(err, fs.ErrClosed) {
		t.Errorf("second Close: %v", err)
	}
	if _, err := r.Read(buf); !errors.Is(err, fs.ErrClosed) {
		t.Errorf("Read after Close: %v", err)
	}
	if len(f.handles) != 0 {
		t.Errorf("%d handles left open", len(f.handles))
	}
}

func TestErrors(t *testing.T) {
	f := useFake(t)
	f.denied["secret"] = true
	tests := []struct {
		name   string
		target error
		text   string
	}{
		{"missing", fs.ErrNotExist, "open missing: no such object (ENOENT)"},
		{"secret", fs.ErrPermission, "open secret: permission denied (EACCES)"},
		{"../etc/passwd", fs.ErrPermission, "open ../etc/passwd: permission denied (EACCES)"},
		{"s3://b/k", errors.ErrUnsupported, "open s3://b/k: not supported by this host (ENOTSUP)"},
	}
	for _, tt := range tests {
		_, err := Open(tt.name)
		if !errors.Is(err, tt.target) || err.Error() != tt.text {
			t.Errorf("Open(%q) = %v, want %v (%q)", tt.name, err, tt.target, tt.text)
		}
		var pe *fs.PathError
		var en Errno
		if !errors.As(err, &pe) || !errors.As(err, &en) {
			t.Errorf("Open(%q): %T is not an *fs.PathError with an Errno", tt.name, err)
		}
	}
	if Errno(99).Error() != "errno 99" || !errors.Is(Errno(abi.ENAMETOOLONG), fs.ErrInvalid) {
		t.Errorf("unknown errno: %v", Errno(99))
	}
}

func TestStat(t *testing.T) {
	f := useFake(t)
	f.objs["k"] = []byte("12345")
	long := strings.Repeat("x", 3000) // JSON over Stat's first buffer: read again
	f.objs[long] = []byte("1")
	info, err := Stat("k")
	if err != nil || info.Key != "k" || info.Size != 5 || info.ETag != `"e"` || info.LastModified.Unix() != 1668699881 {
		t.Errorf("Stat = %+v, %v", info, err)
	}
	f.calls = 0
	if info, err := Stat(long); err != nil || info.Key != long || f.calls != 2 {
		t.Errorf("Stat(long): %v, %d calls", err, f.calls)
	}
	if _, err := Stat("nope"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Stat(nope): %v", err)
	}
}

func TestWriter(t *testing.T) {
	f := useFake(t)
	w, err := Create("out/x")
	if err != nil {
		t.Fatal(err)
	}
	data := bytes.Repeat([]byte("abcdefg"), 10)
	if n, err := w.Write(data); n != len(data) || err != nil {
		t.Fatalf("Write = %d, %v", n, err)
	}
	if _, ok := f.objs["out/x"]; ok {
		t.Errorf("visible before Close")
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(f.objs["out/x"], data) {
		t.Errorf("committed %q", f.objs["out/x"])
	}
	if err := w.Abort(); err != nil {
		t.Errorf("Abort after Close: %v", err)
	}
	if err := w.Close(); !errors.Is(err, fs.ErrClosed) {
		t.Errorf("second Close: %v", err)
	}
	if _, err := w.Write(data); !errors.Is(err, fs.ErrClosed) {
		t.Errorf("Write after Close: %v", err)
	}

	w, _ = Create("out/y")
	w.Write([]byte("partial"))
	if err := w.Abort(); err != nil {
		t.Fatal(err)
	}
	if _, ok := f.objs["out/y"]; ok || len(f.handles) != 0 {
		t.Errorf("an aborted object was committed, or its handle left open")
	}
}

func TestCreateOutput(t *testing.T) {
	f := useFake(t)
	t.Setenv(abi.EnvOutputPrefix, "")
	if _, err := CreateOutput("x"); !errors.Is(err, ErrNoOutput) || !errors.Is(err, fs.ErrPermission) {
		t.Errorf("CreateOutput without an output location: %v", err)
	}
	t.Setenv(abi.EnvOutputPrefix, "file:///srv/out/")
	t.Setenv(abi.EnvDefaultPrefix, "file:///srv/data/")
	if OutputPrefix() != "file:///srv/out/" || DefaultPrefix() != "file:///srv/data/" {
		t.Errorf("prefixes %q %q", OutputPrefix(), DefaultPrefix())
	}
	w, err := CreateOutput("a/b.json")
	if err != nil || w.Name() != "file:///srv/out/a/b.json" {
		t.Fatalf("CreateOutput = %v, %v", w, err)
	}
	w.Close()
	if _, ok := f.objs["file:///srv/out/a/b.json"]; !ok {
		t.Errorf("not created under the prefix: %v", f.objs)
	}
}

func TestNoHost(t *testing.T) {
	old := host
	host = nil
	defer func() { host = old }()
	_, err1 := Open("a")
	_, err2 := Create("a")
	_, err3 := CreateOutput("a")
	_, err4 := Stat("a")
	for _, err := range []error{err1, err2, err3, err4} {
		if !errors.Is(err, ErrNoHost) || !errors.Is(err, errors.ErrUnsupported) || !strings.Contains(err.Error(), "GOOS=wasip1") {
			t.Errorf("without a host: %v", err)
		}
	}
}
