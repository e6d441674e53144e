package itemreader

import (
	"errors"
	"fmt"
)

// ErrorName is the ASL error name of every reader failure (ASL reference §3.5, §12).
const ErrorName = "States.ItemReaderFailed"

// Causes recorded against AWS (ASL reference §3.2, §3.4). Tests compare them byte for byte.
const (
	// CauseNotAnArray is the cause when a JSON source is not a top-level array.
	CauseNotAnArray = "Attempting to map over non-iterable node."
	// CauseNegativeMaxItems is the cause when MaxItems is negative.
	CauseNegativeMaxItems = "field MaxItems must be positive"
	// CauseDuplicateCSVHeaders is the cause when two CSV headers are the same (ASL reference §3.3).
	CauseDuplicateCSVHeaders = "CSV headers cannot contain duplicates."
)

// headerTooLong is the cause when a CSV header row is longer than MaxCSVHeaderBytes.
const headerTooLong = "CSV headers are longer than the limit of 10 KiB (10240 bytes)"

var (
	// ErrClosed is returned by Next after Close.
	ErrClosed = errors.New("itemreader: reader is closed")
	// ErrItemTooLong is wrapped by the ItemError of an item longer than MaxItemBytes.
	ErrItemTooLong = errors.New("item too long")
	// ErrCSVQuote is wrapped by the ItemError of a CSV row with a misplaced quote: a quote inside
	// a field that does not start with one, or a character after a closing quote.
	ErrCSVQuote = errors.New("misplaced quote in a CSV row")
)

// ReaderError is a fatal failure of the item source. Its Error is the cause the Map Run reports,
// and Name is always [ErrorName]. Err, when set, is the underlying error (for errors.Is/As); it is
// already part of Cause.
type ReaderError struct {
	Cause string
	Err   error
}

func (e *ReaderError) Error() string { return e.Cause }

// Name returns the ASL error name, "States.ItemReaderFailed".
func (e *ReaderError) Name() string { return ErrorName }

func (e *ReaderError) Unwrap() error { return e.Err }

func readerErrorf(err error, format string, args ...any) *ReaderError {
	return &ReaderError{Cause: fmt.Sprintf(format, args...), Err: err}
}

// ItemError is the failure of one item: its JSON Lines line, JSON array element, CSV row or
// folder entry could not become an item. Error returns "line <n>: <reason>" for JSON Lines and CSV
// (the line where the row starts), e.g. `line 17: invalid character 'x' looking for beginning of
// value`, "item at byte offset <n>: <reason>" for a JSON array, and `key "<key>": <reason>` for a
// folder. Name is [ErrorName]: the runner reports the item as failed with that name and Error()
// as the cause.
type ItemError struct {
	Line   int64  // 1-based line of a JSON Lines line or of the start of a CSV row; else 0
	Offset int64  // byte offset of the element in a JSON array's content; else 0
	Key    string // the key of a folder entry; else ""
	Reason string // why the line, element, row or entry is not an item
	Err    error  // the underlying error: a *json.SyntaxError, ErrItemTooLong, ErrCSVQuote, an fs error
}

func (e *ItemError) Error() string {
	switch {
	case e.Line > 0:
		return fmt.Sprintf("line %d: %s", e.Line, e.Reason)
	case e.Key != "":
		return fmt.Sprintf("key %q: %s", e.Key, e.Reason)
	}
	return fmt.Sprintf("item at byte offset %d: %s", e.Offset, e.Reason)
}

// Name returns the ASL error name, "States.ItemReaderFailed".
func (e *ItemError) Name() string { return ErrorName }

func (e *ItemError) Unwrap() error { return e.Err }
