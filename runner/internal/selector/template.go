package selector

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Template is a payload template outside a Map state's ItemSelector: a Task or Pass state's
// Parameters, a ResultSelector, an ItemReader's or ResultWriter's Parameters, an ItemBatcher's
// BatchInput. The rules are the ItemSelector's (see the package documentation): a key ending in
// ".$" holds a path, "$…" paths read the input and "$$…" paths read the context object, which
// here is read as it is given: "$$.Map.Item.Value" is only there when the caller's context object
// holds a Map member.
//
// A Template is immutable and safe for concurrent use.
type Template struct {
	root    *node
	context bool // some path reads the context object
}

// CompileTemplate validates a template once. The template must be a JSON object; field starts the
// Location of errors, which are *CompileError values as Compile's are (intrinsic functions wrap
// ErrNotSupported).
func CompileTemplate(field string, template json.RawMessage) (*Template, error) {
	s, err := CompileField(field, template)
	if err != nil {
		return nil, err
	}
	t := &Template{}
	t.root = t.convert(s.root)
	return t, nil
}

// convert turns the Selector's nodes into the Template's: every "$$" path is re-read from its text
// so that it applies to the whole context object (the Selector strips "Map.Item.Value").
func (t *Template) convert(n *node) *node {
	switch n.kind {
	case nodeObject, nodeArray:
		m := &node{kind: n.kind, keys: n.keys, elems: make([]*node, len(n.elems))}
		for i, e := range n.elems {
			m.elems[i] = t.convert(e)
		}
		return m
	case nodePath:
		fp := *n.path
		if strings.HasPrefix(fp.text, "$$") {
			t.context = true
			p, err := parsePath(fp.text[1:])
			if err != nil {
				// Compile parsed the same text already.
				panic(fmt.Sprintf("selector: %q parsed once but not twice: %v", fp.text, err))
			}
			fp.src, fp.path = srcContext, p
		} else {
			fp.src = srcInput
		}
		return &node{kind: nodePath, path: &fp}
	}
	return n
}

// UsesContext reports whether some path of the template reads the context object ("$$…"), so
// that a caller builds the context object only when it is needed.
func (t *Template) UsesContext() bool { return t.context }

// Evaluate builds the template's output from input and the context object (nil: {}). Both must be
// valid JSON, or the error wraps ErrInvalidJSON. The output is compact JSON, keys in template
// order, that the caller owns. A definite path that selects nothing is a *RuntimeError whose Input
// is the document the path read (input, or the context object for a "$$" path); fields are
// evaluated in template order and the first failure is returned.
func (t *Template) Evaluate(input, context json.RawMessage) (json.RawMessage, error) {
	in, err := parseDocument(input)
	if err != nil {
		return nil, fmt.Errorf("selector: template input: %w: %v", ErrInvalidJSON, err)
	}
	ctx := &value{kind: kindObject, raw: []byte("{}")}
	if t.context && context != nil {
		if ctx, err = parseDocument(context); err != nil {
			return nil, fmt.Errorf("selector: context object: %w: %v", ErrInvalidJSON, err)
		}
	}
	out, err := t.append(nil, t.root, in, ctx)
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (t *Template) append(dst []byte, n *node, in, ctx *value) ([]byte, error) {
	switch n.kind {
	case nodeLiteral:
		return append(dst, n.lit...), nil
	case nodeObject, nodeArray:
		open, close := byte('{'), byte('}')
		if n.kind == nodeArray {
			open, close = '[', ']'
		}
		dst = append(dst, open)
		for i, e := range n.elems {
			if i > 0 {
				dst = append(dst, ',')
			}
			if n.kind == nodeObject {
				dst = append(dst, n.keys[i]...)
			}
			var err error
			if dst, err = t.append(dst, e, in, ctx); err != nil {
				return dst, err
			}
		}
		return append(dst, close), nil
	case nodePath:
		if n.path.src == srcContext {
			return evaluate(dst, n.path, ctx)
		}
		return evaluate(dst, n.path, in)
	}
	return dst, n.failed
}
