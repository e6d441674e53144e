package instrument

import (
	"errors"
	"fmt"
)

// Errors returned by Instrument, for errors.Is. The message of the returned error says where:
// the section, the defined function (by index in the code section and in the function index
// space) and the byte offset in the input.
var (
	// ErrMalformed means the input is not a well-formed WebAssembly 1.0+ binary module as far
	// as the rewriter reads it: truncated, a bad LEB128, sections out of order, an unknown
	// opcode or section, a function body whose instructions do not end where its size says.
	ErrMalformed = errors.New("malformed wasm module")
	// ErrUnsupported means the input is well-formed but uses something the rewriter does not
	// handle: a component (not a core module), garbage-collection types or instructions.
	ErrUnsupported = errors.New("unsupported wasm feature")
	// ErrReserved means the input already uses a name the rewriter adds: it imports from
	// abi.MeterModule (it was instrumented already, or tries to reach the meter itself) or
	// exports CounterExport.
	ErrReserved = errors.New("module uses a name reserved for wasmap")
)

// formatError is a located ErrMalformed or ErrUnsupported.
type formatError struct {
	kind    error  // ErrMalformed or ErrUnsupported
	section string // "code section", "import section", "header", …
	fn      int    // index of the body in the code section, or -1
	fnIndex uint32 // the function's index in the function index space (when fn >= 0)
	offset  int    // absolute byte offset in the input
	msg     string
}

func (e *formatError) Error() string {
	where := e.section
	if e.fn >= 0 {
		where += fmt.Sprintf(": function body %d (func index %d)", e.fn, e.fnIndex)
	}
	return fmt.Sprintf("instrument: %v: %s: offset %#x: %s", e.kind, where, e.offset, e.msg)
}

func (e *formatError) Unwrap() error { return e.kind }

// malformed makes an ErrMalformed at an offset; the section is filled in by the caller that
// knows it (see inSection).
func malformed(offset int, format string, args ...any) *formatError {
	return &formatError{kind: ErrMalformed, fn: -1, offset: offset, msg: fmt.Sprintf(format, args...)}
}

func unsupported(offset int, format string, args ...any) *formatError {
	return &formatError{kind: ErrUnsupported, fn: -1, offset: offset, msg: fmt.Sprintf(format, args...)}
}

// inSection names the section of a located error that has none yet.
func inSection(err error, section string) error {
	var fe *formatError
	if errors.As(err, &fe) && fe.section == "" {
		fe.section = section
	}
	return err
}
