// Package objectio gives function modules objects to read and write by key, behind an access
// policy: the host side of ABI v1's object I/O (module wasmap_object_v1, abi/ABI.md §8).
//
// Three pieces:
//
//   - A [Store] holds objects by key: [DirStore] is a local folder; an S3 store plugs in through
//     an [Opener] registered for the "s3" scheme in [Config.Openers], with no change to the host
//     functions or the policy.
//   - An [Access] is a run's policy: it resolves a name a module gives ("images/a.jpg",
//     "s3://bucket/key", "file:///abs/path") to a store and a key, and decides every open. A
//     module reads only under the item source and the read locations the user declared, and
//     writes only under the output location; everything else is refused with [ErrDenied].
//   - [Errno] turns any error of this package or of a Store into the ABI's errno.
//
// # Names
//
// A name is either a URI, "file:///abs/path" or "s3://bucket/key", or a plain key, which is
// resolved against the default location (the item source's root: a folder source's folder, a
// file source's folder, an S3 source's bucket). Keys are '/'-separated segments. The rules, and
// the error each breaks with:
//
//   - empty, a NUL byte, not valid UTF-8, an empty segment ("a//b", a trailing "/"), a "."
//     segment, a "file://" URI with a host: [ErrInvalidName] (EINVAL)
//   - longer than [abi.MaxObjectNameBytes]: [ErrNameTooLong] (ENAMETOOLONG)
//   - a ".." segment, or a plain key starting with "/": [ErrDenied] (EACCES): a name never
//     climbs out of a location, whatever the store
//   - a "scheme://" other than file and s3: [ErrNoStore] (ENOTSUP)
//
// No percent-decoding is done: a URI's path is the key exactly as written.
//
// # Notes
//
//   - Locations are folder-bounded: "s3://b/p" means the folder "s3://b/p/", so a module given
//     "p" cannot reach "p2/x" (S3's own prefixes are plain string prefixes). An S3 location is
//     always a folder; only a local location may be a single file.
//   - When the output location lies inside the item source, it is carved out of the item
//     source: the module cannot read the outputs (its own or other items') unless the user
//     declares the output location as a read location too. A symbolic link inside the item
//     folder that points into such a nested output folder is still followed (os.Root bounds
//     links by the folder a store is rooted at).
//   - Access, its stores and the readers and writers they return are used from many
//     environments at once: a Store must be goroutine-safe; one Reader or Writer is used by one
//     goroutine at a time.
package objectio

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"syscall"
	"time"

	"github.com/wasmap/wasmap/abi"
)

// Info describes an object, as an s3:listObjectsV2 item does.
type Info struct {
	// Key is the object's key in its store: for a folder, its path relative to the folder with
	// '/' separators (a folder source's item Key); for S3, its key in the bucket.
	Key  string
	Size int64
	// ETag is quoted, as S3 gives it: "\"<32 hex digits>\"".
	ETag         string
	LastModified time.Time
}

// Store holds objects by key. Keys given to a Store are relative to the location it was opened
// for, non-empty, and follow the naming rules (no "", "." or ".." segments). A Store must be
// goroutine-safe. Errors should wrap fs.ErrNotExist, fs.ErrPermission, [ErrDenied], … so that
// [Errno] can tell them apart; anything else is EIO.
type Store interface {
	// Stat describes the object at key.
	Stat(ctx context.Context, key string) (Info, error)
	// Open opens the object at key for ranged reads. The object's size is fixed at Open.
	Open(ctx context.Context, key string) (Reader, error)
	// Create starts a new object at key. Nothing is visible at key until the Writer's Close
	// succeeds; an aborted Writer leaves nothing.
	Create(ctx context.Context, key string) (Writer, error)
}

// Reader reads one object in ranges. ReadAt follows io.ReaderAt and never reads past Size:
// at or after Size it returns 0, io.EOF. The host reads straight into guest memory, so, as
// io.ReaderAt says, an implementation must not keep p (a read-ahead copies into its own
// buffers).
type Reader interface {
	io.ReaderAt
	// Size is the object's size when it was opened.
	Size() int64
	Close() error
}

// Writer writes one new object sequentially. Write's p is guest memory: as io.Writer says, an
// implementation must not keep it (a multipart upload copies it into its part buffer).
type Writer interface {
	io.Writer
	// Close commits the object: on success it is visible at its key, whole, at once (a
	// previous object there is replaced); on failure nothing is. Close after Close or Abort
	// returns fs.ErrClosed.
	Close() error
	// Abort discards what was written; nothing appears. Abort after Close or Abort is a no-op.
	Abort() error
}

// Opener opens the store of a folder location whose scheme it was registered for in
// [Config.Openers]. NewAccess calls it once per location.
type Opener func(ctx context.Context, folder Location) (Store, error)

// Errors of the naming rules and the policy. Each maps to one errno (see [Errno]).
var (
	// ErrInvalidName: the name breaks a naming rule (EINVAL).
	ErrInvalidName = errors.New("invalid object name")
	// ErrNameTooLong: the name is longer than abi.MaxObjectNameBytes (ENAMETOOLONG).
	ErrNameTooLong = errors.New("object name too long")
	// ErrDenied: the policy refuses the access, or the name would escape its location (EACCES).
	// errors.Is(ErrDenied, fs.ErrPermission) is true.
	ErrDenied = &deniedError{}
	// ErrNoStore: the name's scheme, or its location, has no store in this run (ENOTSUP).
	// errors.Is(ErrNoStore, errors.ErrUnsupported) is true.
	ErrNoStore = &noStoreError{}
)

type deniedError struct{}

func (*deniedError) Error() string        { return "access denied by the run's object policy" }
func (*deniedError) Is(target error) bool { return target == fs.ErrPermission }

type noStoreError struct{}

func (*noStoreError) Error() string        { return "no object store for this location" }
func (*noStoreError) Is(target error) bool { return target == errors.ErrUnsupported }

// Errno is the ABI errno of an error returned by this package or a Store: 0 for nil.
//
//	ErrInvalidName, fs.ErrInvalid       EINVAL
//	ErrNameTooLong                      ENAMETOOLONG
//	ErrDenied, fs.ErrPermission         EACCES
//	ErrNoStore, errors.ErrUnsupported   ENOTSUP
//	fs.ErrNotExist                      ENOENT
//	fs.ErrClosed                        EBADF
//	syscall.EISDIR                      EISDIR
//	syscall.ENOTDIR                     ENOTDIR
//	syscall.ENOSPC, syscall.EDQUOT      ENOSPC
//	anything else                       EIO
func Errno(err error) abi.Errno {
	switch {
	case err == nil:
		return 0
	case errors.Is(err, ErrInvalidName), errors.Is(err, fs.ErrInvalid):
		return abi.EINVAL
	case errors.Is(err, ErrNameTooLong):
		return abi.ENAMETOOLONG
	case errors.Is(err, fs.ErrPermission):
		return abi.EACCES
	case errors.Is(err, errors.ErrUnsupported):
		return abi.ENOTSUP
	case errors.Is(err, fs.ErrNotExist):
		return abi.ENOENT
	case errors.Is(err, fs.ErrClosed):
		return abi.EBADF
	case errors.Is(err, syscall.EISDIR):
		return abi.EISDIR
	case errors.Is(err, syscall.ENOTDIR):
		return abi.ENOTDIR
	case errors.Is(err, syscall.ENOSPC), errors.Is(err, syscall.EDQUOT):
		return abi.ENOSPC
	}
	return abi.EIO
}
