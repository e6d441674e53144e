package object

import (
	"errors"
	"fmt"
	"io/fs"

	"github.com/wasmap/wasmap/abi"
)

// Errno is the error number of a failed object call, numbered as in WASI preview 1 (the
// host returns it negated; see abi.Errno). errors.Is matches it with the io/fs errors:
//
//	EACCES               fs.ErrPermission
//	ENOENT               fs.ErrNotExist
//	EBADF                fs.ErrClosed
//	EINVAL, ENAMETOOLONG fs.ErrInvalid
//	ENOTSUP              errors.ErrUnsupported
type Errno abi.Errno

var errnoNames = map[Errno][2]string{
	Errno(abi.EACCES):       {"EACCES", "permission denied"},
	Errno(abi.EBADF):        {"EBADF", "bad or stale handle"},
	Errno(abi.EFAULT):       {"EFAULT", "buffer outside memory"},
	Errno(abi.EINVAL):       {"EINVAL", "invalid argument"},
	Errno(abi.EIO):          {"EIO", "input/output error"},
	Errno(abi.EISDIR):       {"EISDIR", "is a folder"},
	Errno(abi.EMFILE):       {"EMFILE", "too many open objects"},
	Errno(abi.ENAMETOOLONG): {"ENAMETOOLONG", "name too long"},
	Errno(abi.ENOENT):       {"ENOENT", "no such object"},
	Errno(abi.ENOSPC):       {"ENOSPC", "no space left"},
	Errno(abi.ENOTDIR):      {"ENOTDIR", "not a folder"},
	Errno(abi.ENOTSUP):      {"ENOTSUP", "not supported by this host"},
}

// Error returns the errno's meaning and name: "permission denied (EACCES)".
func (e Errno) Error() string {
	if n, ok := errnoNames[e]; ok {
		return n[1] + " (" + n[0] + ")"
	}
	return fmt.Sprintf("errno %d", int32(e))
}

// Is reports whether e means target, one of the io/fs errors or errors.ErrUnsupported.
func (e Errno) Is(target error) bool {
	switch target {
	case fs.ErrPermission:
		return e == Errno(abi.EACCES)
	case fs.ErrNotExist:
		return e == Errno(abi.ENOENT)
	case fs.ErrClosed:
		return e == Errno(abi.EBADF)
	case fs.ErrInvalid:
		return e == Errno(abi.EINVAL) || e == Errno(abi.ENAMETOOLONG)
	case errors.ErrUnsupported:
		return e == Errno(abi.ENOTSUP)
	}
	return false
}
