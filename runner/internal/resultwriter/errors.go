package resultwriter

import (
	"errors"
	"fmt"
)

// ErrorName is the ASL error name of every writer failure (ASL reference §9, §12).
const ErrorName = "States.ResultWriterFailed"

var (
	// ErrClosed is wrapped by the error of a call on a Writer after Close.
	ErrClosed = errors.New("resultwriter: writer is closed")
	// ErrAborted is wrapped by the error of a call on a Writer after Abort.
	ErrAborted = errors.New("resultwriter: writer was aborted")
)

// WriterError is a failure of the result writer. Its Error is the cause the Map Run reports, and
// Name is always [ErrorName]. Err, when set, is the underlying error (for errors.Is/As); it is
// already part of Cause.
type WriterError struct {
	Cause string
	Err   error
}

func (e *WriterError) Error() string { return e.Cause }

// Name returns the ASL error name, "States.ResultWriterFailed".
func (e *WriterError) Name() string { return ErrorName }

func (e *WriterError) Unwrap() error { return e.Err }

func writerErrorf(err error, format string, args ...any) *WriterError {
	return &WriterError{Cause: fmt.Sprintf(format, args...), Err: err}
}
