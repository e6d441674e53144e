// Package object reads and writes objects by key from a wasmap function: the guest side of
// object I/O (module wasmap_object_v1, abi/ABI.md §8).
//
// A function processing a folder of files (or, later, an S3 prefix) gets one listObjectsV2
// item per object, {"Etag","Key","LastModified","Size","StorageClass"}, and opens item.Key:
//
//	r, err := object.Open(item.Key) // an io.Reader, io.ReaderAt and io.Seeker
//	...
//	w, err := object.CreateOutput(item.Key + ".out") // an io.WriteCloser
//	...
//	err = w.Close() // the object appears, whole, only now
//
// Reads go through the caller's buffers: a 10 GB object streams through a 64 KiB buffer.
//
// # Names
//
// A name is a plain key ("images/a.jpg"), resolved against [DefaultPrefix] (the item
// source's root), or a URI: "file:///abs/path", "s3://bucket/key". Keys are '/'-separated
// segments, none empty, "." or ".."; at most 1024 bytes.
//
// # What a function may reach
//
// The run decides: reads under the item source and the read locations the user declared
// (wasmap run --read-prefix), writes under the output location only (--output-prefix,
// [OutputPrefix]). Anything else fails with an error for which errors.Is(err,
// fs.ErrPermission) is true; a name with ".." never escapes.
//
// # Lifetime
//
// Readers and writers belong to the invocation that opened them (or to init, when opened
// before the first invocation). When the invocation's result is recorded, the host closes
// the readers still open and discards the writers not closed: a failed invocation leaves no
// partial output, and a Reader kept in a global fails with fs.ErrClosed in the next
// invocation. At most 64 may be open at once.
//
// # Errors
//
// Failed calls return an *fs.PathError whose Err is an [Errno]; errors.Is matches the io/fs
// errors: fs.ErrNotExist, fs.ErrPermission, fs.ErrClosed, fs.ErrInvalid, and
// errors.ErrUnsupported (for example an s3:// location in a run with no S3 store).
//
// Outside a GOOS=wasip1 build every function fails with [ErrNoHost], so code using this
// package builds and unit-tests natively.
package object

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"time"

	"github.com/wasmap/wasmap/abi"
)

// ErrNoHost is the error of every function outside a wasip1 build: object I/O needs the
// wasmap host. errors.Is(ErrNoHost, errors.ErrUnsupported) is true.
var ErrNoHost = fmt.Errorf("object I/O needs the wasmap host (wasm imports from %s): build with GOOS=wasip1 GOARCH=wasm and run the module under wasmap: %w",
	abi.ObjectModule, errors.ErrUnsupported)

// ErrNoOutput is CreateOutput's error when the run declares no output location.
// errors.Is(ErrNoOutput, fs.ErrPermission) is true.
var ErrNoOutput = fmt.Errorf("the run declares no output location (wasmap run --output-prefix): %w", fs.ErrPermission)

// OutputPrefix returns the output location as a URI ending in "/" ("file:///srv/out/",
// "s3://bucket/prefix/"), or "" when the run declares none. It is the host's
// WASMAP_OUTPUT_PREFIX.
func OutputPrefix() string { return os.Getenv(abi.EnvOutputPrefix) }

// DefaultPrefix returns the location plain keys resolve against, as a URI ending in "/": the
// item source's folder (a file source's folder; an S3 source's bucket). It is the host's
// WASMAP_DEFAULT_PREFIX.
func DefaultPrefix() string { return os.Getenv(abi.EnvDefaultPrefix) }

// Info describes an object, as an s3:listObjectsV2 item does.
type Info struct {
	// Key is the object's key in its location: for a folder, its path relative to the folder
	// (the Key of the folder source's items); for S3, its key in the bucket.
	Key  string
	Size int64
	// ETag is quoted, as S3 gives it.
	ETag string
	// LastModified has a resolution of one second.
	LastModified time.Time
}

// Stat describes the named object. It needs read access.
func Stat(name string) (Info, error) {
	if host == nil {
		return Info{}, &fs.PathError{Op: "stat", Path: name, Err: ErrNoHost}
	}
	var small [2048]byte
	buf := small[:]
	for {
		n := host.stat(name, buf)
		if n < 0 {
			return Info{}, &fs.PathError{Op: "stat", Path: name, Err: Errno(-n)}
		}
		if n > int64(len(buf)) {
			buf = make([]byte, n)
			continue
		}
		var v abi.ObjectInfo
		if err := json.Unmarshal(buf[:n], &v); err != nil {
			return Info{}, &fs.PathError{Op: "stat", Path: name, Err: err}
		}
		return Info{Key: v.Key, Size: v.Size, ETag: v.Etag, LastModified: time.Unix(v.LastModified, 0).UTC()}, nil
	}
}

// Reader reads one object. It implements io.Reader, io.ReaderAt, io.Seeker and io.Closer.
// Read and Seek share an offset and must not be called concurrently; ReadAt keeps no state.
// The object's size is fixed when it is opened.
type Reader struct {
	name   string
	h      int32
	size   int64
	off    int64
	closed bool
}

// Open opens the named object for reading.
func Open(name string) (*Reader, error) {
	if host == nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: ErrNoHost}
	}
	h := host.open(name)
	if h < 0 {
		return nil, &fs.PathError{Op: "open", Path: name, Err: Errno(-h)}
	}
	size := host.size(int32(h))
	if size < 0 {
		host.close(int32(h))
		return nil, &fs.PathError{Op: "open", Path: name, Err: Errno(-size)}
	}
	return &Reader{name: name, h: int32(h), size: size}, nil
}

// Name returns the name the object was opened with.
func (r *Reader) Name() string { return r.name }

// Size returns the object's size in bytes.
func (r *Reader) Size() int64 { return r.size }

// Read reads up to len(p) bytes at the current offset and advances it. It returns io.EOF at
// the end of the object.
func (r *Reader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	n, err := r.readAt(p, r.off)
	r.off += int64(n)
	if n == 0 && err == nil {
		err = io.EOF
	}
	return n, err
}

// ReadAt reads len(p) bytes at off, as io.ReaderAt: fewer only with an error, io.EOF at the
// end of the object. It does not move Read's offset.
func (r *Reader) ReadAt(p []byte, off int64) (int, error) {
	n := 0
	for n < len(p) {
		k, err := r.readAt(p[n:], off+int64(n))
		n += k
		if err != nil {
			return n, err
		}
		if k == 0 {
			return n, io.EOF
		}
	}
	return n, nil
}

// readAt is one read call: k > 0 bytes, or 0 at the end, or an error.
func (r *Reader) readAt(p []byte, off int64) (int, error) {
	if r.closed {
		return 0, &fs.PathError{Op: "read", Path: r.name, Err: fs.ErrClosed}
	}
	if len(p) > abi.MaxObjectIOBytes {
		p = p[:abi.MaxObjectIOBytes]
	}
	k := host.read(r.h, off, p)
	if k < 0 {
		return 0, &fs.PathError{Op: "read", Path: r.name, Err: Errno(-k)}
	}
	return int(k), nil
}

// Seek sets the offset of the next Read, as io.Seeker. Seeking past the end is allowed (Read
// then returns io.EOF); before the start is an error.
func (r *Reader) Seek(offset int64, whence int) (int64, error) {
	if r.closed {
		return 0, &fs.PathError{Op: "seek", Path: r.name, Err: fs.ErrClosed}
	}
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		offset += r.off
	case io.SeekEnd:
		offset += r.size
	default:
		return 0, &fs.PathError{Op: "seek", Path: r.name, Err: fs.ErrInvalid}
	}
	if offset < 0 {
		return 0, &fs.PathError{Op: "seek", Path: r.name, Err: fs.ErrInvalid}
	}
	r.off = offset
	return offset, nil
}

// Close releases the object. A second Close returns an error wrapping fs.ErrClosed.
func (r *Reader) Close() error {
	if r.closed {
		return &fs.PathError{Op: "close", Path: r.name, Err: fs.ErrClosed}
	}
	r.closed = true
	if e := host.close(r.h); e < 0 {
		return &fs.PathError{Op: "close", Path: r.name, Err: Errno(-e)}
	}
	return nil
}

// Writer writes one new object. Nothing is visible at its name until Close succeeds; then the
// object appears whole, replacing any object there. A Writer that is never closed (or is
// aborted) leaves nothing. Writes are not buffered: wrap a Writer in a bufio.Writer for many
// small ones.
type Writer struct {
	name string
	h    int32
	done bool
}

// Create starts a new object with the given name. It needs write access: the name must be
// under the output location (see CreateOutput).
func Create(name string) (*Writer, error) {
	if host == nil {
		return nil, &fs.PathError{Op: "create", Path: name, Err: ErrNoHost}
	}
	h := host.create(name)
	if h < 0 {
		return nil, &fs.PathError{Op: "create", Path: name, Err: Errno(-h)}
	}
	return &Writer{name: name, h: int32(h)}, nil
}

// CreateOutput starts a new object under the output location: Create(OutputPrefix() + name).
// It fails with ErrNoOutput when the run declares no output location.
func CreateOutput(name string) (*Writer, error) {
	if host == nil {
		return nil, &fs.PathError{Op: "create", Path: name, Err: ErrNoHost}
	}
	prefix := OutputPrefix()
	if prefix == "" {
		return nil, &fs.PathError{Op: "create", Path: name, Err: ErrNoOutput}
	}
	return Create(prefix + name)
}

// Name returns the name the object was created with.
func (w *Writer) Name() string { return w.name }

// Write appends p to the object, as io.Writer. After a failed Write, Close fails and
// commits nothing.
func (w *Writer) Write(p []byte) (int, error) {
	if w.done {
		return 0, &fs.PathError{Op: "write", Path: w.name, Err: fs.ErrClosed}
	}
	n := 0
	for n < len(p) {
		chunk := p[n:]
		if len(chunk) > abi.MaxObjectIOBytes {
			chunk = chunk[:abi.MaxObjectIOBytes]
		}
		k := host.write(w.h, chunk)
		if k < 0 {
			return n, &fs.PathError{Op: "write", Path: w.name, Err: Errno(-k)}
		}
		if k == 0 {
			return n, &fs.PathError{Op: "write", Path: w.name, Err: io.ErrShortWrite}
		}
		n += int(k)
	}
	return n, nil
}

// Close commits the object. On error nothing is visible. A second Close returns an error
// wrapping fs.ErrClosed.
func (w *Writer) Close() error {
	if w.done {
		return &fs.PathError{Op: "close", Path: w.name, Err: fs.ErrClosed}
	}
	w.done = true
	if e := host.close(w.h); e < 0 {
		return &fs.PathError{Op: "close", Path: w.name, Err: Errno(-e)}
	}
	return nil
}

// Abort discards the object: nothing appears. Abort after Close or Abort does nothing, so
// `defer w.Abort()` after Create is a safe way to clean up on every error path.
func (w *Writer) Abort() error {
	if w.done {
		return nil
	}
	w.done = true
	if e := host.abort(w.h); e < 0 {
		return &fs.PathError{Op: "abort", Path: w.name, Err: Errno(-e)}
	}
	return nil
}
