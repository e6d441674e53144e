package lambda

import (
	"fmt"

	"github.com/wasmap/wasmap/abi"
)

// runtimeAPI is the Runtime API (module wasmap_runtime_v1, ABI.md §3) as the invoke loop uses
// it, with Go slices in place of (ptr, len) pairs. Results are the ABI's: >= 0 for success, a
// negated errno otherwise. The wasip1 build implements it with wasm imports; tests with a fake.
type runtimeAPI interface {
	// next blocks until the next invocation and returns its event's length.
	next() int64
	// eventRead copies the event into buf if it fits and returns its length.
	eventRead(buf []byte) int32
	// contextRead copies the context JSON into buf if it fits and returns its length.
	contextRead(buf []byte) int32
	// respond posts the response; the host copies body before returning.
	respond(body []byte) int32
	// respondError posts the error JSON body with the optional error-type header.
	respondError(errorType, body []byte) int32
}

// errnoError is a failed Runtime API call.
type errnoError struct {
	call  string
	errno abi.Errno
}

func (e *errnoError) Error() string {
	return fmt.Sprintf("%s.%s failed: %s", abi.RuntimeModule, e.call, errnoName(e.errno))
}

func errnoName(e abi.Errno) string {
	switch e {
	case abi.E2BIG:
		return "E2BIG"
	case abi.EACCES:
		return "EACCES"
	case abi.EALREADY:
		return "EALREADY"
	case abi.ECANCELED:
		return "ECANCELED"
	case abi.EFAULT:
		return "EFAULT"
	case abi.EINVAL:
		return "EINVAL"
	case abi.ENOTSUP:
		return "ENOTSUP"
	}
	return fmt.Sprintf("errno %d", int32(e))
}
