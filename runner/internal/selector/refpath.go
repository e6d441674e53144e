package selector

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/wasmap/wasmap/runner/internal/jsonx"
)

// Path is a compiled path used on its own rather than in a template: a state's InputPath or
// OutputPath, a Map state's ItemsPath or ResultPath, the "…Path" fields that read a number. It is
// immutable and safe for concurrent use.
//
// Only the state's input can be read: a "$$" (context object) path is refused when compiled.
type Path struct {
	text string
	path *jsonPath
}

// CompilePath compiles a path in the Jayway subset that templates accept (see the package
// documentation), such as "$", "$.a.b", "$.list[0]" or "$.list[*].id". The error's text is the
// reason alone, for the caller to place.
func CompilePath(text string) (*Path, error) {
	if strings.HasPrefix(text, "$$") {
		return nil, errors.New("the context object (\"$$\") cannot be read here; use a path starting with \"$\"")
	}
	if !strings.HasPrefix(text, "$") {
		return nil, fmt.Errorf("invalid JSONPath %q: a path must start with \"$\"", text)
	}
	p, err := parsePath(text)
	if err != nil {
		return nil, fmt.Errorf("invalid JSONPath %q: %v", text, err)
	}
	return &Path{text: text, path: p}, nil
}

// CompileReferencePath compiles a reference path: one that selects at most one node, written with
// member names and single indexes only ("$", "$.a.b", "$['a b'][0]"), as the Amazon States
// Language requires of ResultPath and ItemsPath.
func CompileReferencePath(text string) (*Path, error) {
	p, err := CompilePath(text)
	if err != nil {
		return nil, err
	}
	if !p.path.definite {
		return nil, fmt.Errorf("%q is not a reference path: use only member names and single indexes, as in $.a.b[0]", text)
	}
	return p, nil
}

// String returns the path as written.
func (p *Path) String() string { return p.text }

// IsRoot reports whether the path is "$", which selects the whole document.
func (p *Path) IsRoot() bool { return len(p.path.steps) == 0 }

// Select returns the value the path selects in doc: for a definite path the value itself, for any
// other path a JSON array of every match (possibly []). doc must be valid JSON (else the error
// wraps ErrInvalidJSON). The result is compact JSON that the caller owns; key order, number
// spelling and string escapes are the input's. A definite path that selects nothing is a
// *PathNotFoundError.
func (p *Path) Select(doc json.RawMessage) (json.RawMessage, error) {
	v, err := parseDocument(doc)
	if err != nil {
		return nil, fmt.Errorf("selector: %w: %v", ErrInvalidJSON, err)
	}
	if !p.path.definite {
		matches := collect(nil, v, p.path.steps, v)
		out := []byte{'['}
		for i, m := range matches {
			if i > 0 {
				out = append(out, ',')
			}
			out = append(out, m.raw...)
		}
		return append(out, ']'), nil
	}
	found, ok := lookup(v, p.path.steps)
	if !ok {
		return nil, &PathNotFoundError{Path: p.text, Detail: notFoundDetail(v, p.path.steps)}
	}
	return append([]byte(nil), found.raw...), nil
}

// notFoundDetail writes what Jayway JsonPath (which Step Functions uses) reports for a definite
// path that selects nothing: "Missing property in path $['a']" when a member before the last is
// missing, otherwise "No results for path: $['a']['b']" with the whole path. Jayway reports a step
// into a value of the wrong type with a message naming Java classes; that case gets the "No
// results" text here.
func notFoundDetail(v *value, steps []step) string {
	cur := "$"
	for i, st := range steps {
		last := i == len(steps)-1
		switch st.kind {
		case stepName:
			cur += "['" + st.name + "']"
			if v.kind != kindObject {
				return "No results for path: " + canonical(steps)
			}
			c, ok := v.field(st.name)
			if !ok {
				if last {
					return "No results for path: " + canonical(steps)
				}
				return "Missing property in path " + cur
			}
			v = c
		case stepIndex:
			cur += "[" + strconv.Itoa(st.index) + "]"
			c, ok := lookup(v, steps[i:i+1])
			if !ok {
				return "No results for path: " + canonical(steps)
			}
			v = c
		}
	}
	return "No results for path: " + canonical(steps)
}

// canonical writes a definite path in Jayway's normalised form: $['a']['b'][0].
func canonical(steps []step) string {
	s := "$"
	for _, st := range steps {
		if st.kind == stepName {
			s += "['" + st.name + "']"
		} else {
			s += "[" + strconv.Itoa(st.index) + "]"
		}
	}
	return s
}

// Set returns doc with value placed at the path, which must be a reference path: the value
// replaces the member or element the path names, or a new member is added at the end of its
// object, with the objects on the way created as needed (a ResultPath's rule). "$" returns value
// itself. doc and value must be valid JSON; the result is compact JSON that the caller owns, with
// doc's key order. When the path crosses a value that is not an object (or, for an index, not an
// array long enough), the error is a *ReferencePathError.
func (p *Path) Set(doc, value json.RawMessage) (json.RawMessage, error) {
	if !p.path.definite {
		return nil, fmt.Errorf("selector: %q is not a reference path", p.text)
	}
	val := jsonx.AppendCompact(nil, value)
	if len(p.path.steps) == 0 {
		return val, nil
	}
	v, err := parseDocument(doc)
	if err != nil {
		return nil, fmt.Errorf("selector: %w: %v", ErrInvalidJSON, err)
	}
	out, ok := setIn(nil, v, p.path.steps, val)
	if !ok {
		return nil, &ReferencePathError{Path: p.text, Input: string(v.raw)}
	}
	return out, nil
}

// setIn appends v with val placed at steps.
func setIn(dst []byte, v *value, steps []step, val []byte) ([]byte, bool) {
	if len(steps) == 0 {
		return append(dst, val...), true
	}
	st := steps[0]
	switch st.kind {
	case stepName:
		if v.kind != kindObject {
			return dst, false
		}
		at := -1
		for i := len(v.keys) - 1; i >= 0; i-- {
			if v.keys[i] == st.name {
				at = i
				break
			}
		}
		dst = append(dst, '{')
		for i, k := range v.keys {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = jsonx.AppendString(dst, k)
			dst = append(dst, ':')
			if i == at {
				var ok bool
				if dst, ok = setIn(dst, v.elems[i], steps[1:], val); !ok {
					return dst, false
				}
			} else {
				dst = append(dst, v.elems[i].raw...)
			}
		}
		if at < 0 {
			if len(v.keys) > 0 {
				dst = append(dst, ',')
			}
			dst = jsonx.AppendString(dst, st.name)
			dst = append(dst, ':')
			var ok bool
			if dst, ok = create(dst, steps[1:], val); !ok {
				return dst, false
			}
		}
		return append(dst, '}'), true
	case stepIndex:
		if v.kind != kindArray {
			return dst, false
		}
		at := st.index
		if at < 0 {
			at += len(v.elems)
		}
		if at < 0 || at >= len(v.elems) {
			return dst, false
		}
		dst = append(dst, '[')
		for i, e := range v.elems {
			if i > 0 {
				dst = append(dst, ',')
			}
			if i == at {
				var ok bool
				if dst, ok = setIn(dst, e, steps[1:], val); !ok {
					return dst, false
				}
			} else {
				dst = append(dst, e.raw...)
			}
		}
		return append(dst, ']'), true
	}
	return dst, false
}

// create appends the objects that steps name, ending with val. An index cannot be created.
func create(dst []byte, steps []step, val []byte) ([]byte, bool) {
	if len(steps) == 0 {
		return append(dst, val...), true
	}
	if steps[0].kind != stepName {
		return dst, false
	}
	dst = append(dst, '{')
	dst = jsonx.AppendString(dst, steps[0].name)
	dst = append(dst, ':')
	dst, ok := create(dst, steps[1:], val)
	return append(dst, '}'), ok
}

// PathNotFoundError is a definite path that selects nothing in a state's input: Step Functions
// fails the execution with States.Runtime. Error returns the part of AWS's cause after its
// "An error occurred while executing the state '<state>' (entered at the event id #<n>). " prefix:
//
//	Invalid path '$.Payload' : No results for path: $['Payload']
type PathNotFoundError struct {
	Path   string // the path as written
	Detail string // Jayway's message, e.g. "No results for path: $['Payload']"
}

func (e *PathNotFoundError) Error() string { return "Invalid path '" + e.Path + "' : " + e.Detail }

// ReferencePathError is a reference path that cannot be applied to a document (a ResultPath
// crossing a value that is not an object). Error returns the part of AWS's cause after its
// prefix:
//
//	Unable to apply ReferencePath $.a.b to input {"a":1}
type ReferencePathError struct {
	Path  string // the path as written
	Input string // compact JSON of the document
}

func (e *ReferencePathError) Error() string {
	return "Unable to apply ReferencePath " + e.Path + " to input " + e.Input
}
