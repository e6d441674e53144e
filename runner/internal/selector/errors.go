package selector

import (
	"errors"
	"fmt"
)

// ErrorRuntime is the ASL error name of a path that selects nothing at run time (ASL reference
// §12; AWS reports "States.Runtime" for a Parameters path that is not found).
const ErrorRuntime = "States.Runtime"

var (
	// ErrNotSupported is wrapped by the CompileError of a construct this package does not
	// implement yet: intrinsic functions (States.Format, …) and a few JSONPath forms.
	ErrNotSupported = errors.New("not supported yet")
	// ErrInvalidJSON is wrapped by the error of Bind or Apply when the Map input or an item is
	// not valid JSON.
	ErrInvalidJSON = errors.New("invalid JSON")
)

// CompileError is an invalid ItemSelector (or Parameters) template. Location is the JSON
// location of the problem, written as the field name followed by the keys and indexes that lead
// to it, e.g. "ItemSelector.foo.bar.$" or "ItemSelector.list[2]". Error returns
// "<Location>: <Reason>".
type CompileError struct {
	Location string
	Reason   string
	Err      error // ErrNotSupported for a construct not implemented yet, else nil
}

func (e *CompileError) Error() string { return e.Location + ": " + e.Reason }

func (e *CompileError) Unwrap() error { return e.Err }

// RuntimeError is a ".$" path that selects nothing for an item. Step Functions fails the
// execution with "States.Runtime" (terminal: not caught by States.ALL). Error returns the part
// of the cause AWS writes after its "An error occurred while executing the state '<state>'
// (entered at the event id #<n>). " prefix, which only the runner knows:
//
//	The JSONPath '$.x' specified for the field 'x.$' could not be found in the input '{"a":1}'
type RuntimeError struct {
	Path  string // the path as written in the template, e.g. "$.x" or "$$.Map.Item.Value.id"
	Field string // the template key, with its ".$" suffix, e.g. "x.$"
	Input string // compact JSON the path was evaluated against (the Map input, or the context object for "$$" paths)
}

func (e *RuntimeError) Error() string {
	return fmt.Sprintf("The JSONPath '%s' specified for the field '%s' could not be found in the input '%s'",
		e.Path, e.Field, e.Input)
}

// Name returns the ASL error name, "States.Runtime".
func (e *RuntimeError) Name() string { return ErrorRuntime }
