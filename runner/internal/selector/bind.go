package selector

import (
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/wasmap/wasmap/runner/internal/jsonx"
)

// Bound is a Selector bound to one Map state input (and context): every "$…" path has been
// evaluated once, so Apply only does the per-item work. It is immutable and safe for concurrent
// use.
type Bound struct {
	root *node
	ctx  *value // the context given to BindContext, without "Map"
}

// Bind parses the Map state's effective input (after InputPath) once and evaluates every path
// that reads it. It fails only when input is not valid JSON (ErrInvalidJSON): a path that
// selects nothing is reported by every Apply, because Step Functions fails when the first item
// is processed, not when a Map run without items starts.
func (s *Selector) Bind(input json.RawMessage) (*Bound, error) {
	return s.BindContext(input, nil)
}

// BindContext is Bind with the rest of the context object: context, when not nil, is a JSON
// object such as {"Execution":{"Id":…},"State":{…}} that "$$.Execution.Id"-style paths read.
// Its "Map" key, if any, is ignored: "$$.Map.Item.Index" and "$$.Map.Item.Value" are the
// item's.
func (s *Selector) BindContext(input, context json.RawMessage) (*Bound, error) {
	in, err := parseDocument(input)
	if err != nil {
		return nil, fmt.Errorf("selector: Map input: %w: %v", ErrInvalidJSON, err)
	}
	b := &Bound{}
	b.ctx = &value{kind: kindObject, raw: []byte("{}")}
	if context != nil {
		c, err := parseDocument(context)
		if err != nil {
			return nil, fmt.Errorf("selector: context object: %w: %v", ErrInvalidJSON, err)
		}
		if c.kind != kindObject {
			return nil, fmt.Errorf("selector: context object: %w: not an object", ErrInvalidJSON)
		}
		var keys []string
		var vals []*value
		for i, k := range c.keys {
			if k != "Map" {
				keys, vals = append(keys, k), append(vals, c.elems[i])
			}
		}
		b.ctx = newObject(keys, vals)
	}
	b.root = b.bind(s.root, in)
	return b, nil
}

// bind replaces the paths that do not depend on the item by their value, and folds the objects
// and arrays that become fixed into one literal.
func (b *Bound) bind(n *node, in *value) *node {
	switch n.kind {
	case nodeObject, nodeArray:
		m := &node{kind: n.kind, keys: n.keys, elems: make([]*node, len(n.elems))}
		fixed := true
		for i, e := range n.elems {
			m.elems[i] = b.bind(e, in)
			fixed = fixed && m.elems[i].kind == nodeLiteral
		}
		if fixed {
			return &node{kind: nodeLiteral, lit: m.appendLiteral(nil)}
		}
		return m
	case nodePath:
		switch n.path.src {
		case srcInput:
			return resolved(n.path, in)
		case srcFixed:
			return resolved(n.path, b.ctx)
		}
	}
	return n
}

// resolved evaluates a path against a fixed document.
func resolved(fp *fieldPath, doc *value) *node {
	out, err := evaluate(nil, fp, doc)
	if err != nil {
		return &node{kind: nodeFail, failed: err}
	}
	return &node{kind: nodeLiteral, lit: out}
}

// evaluate appends what fp selects in doc: the node itself for a definite path, or an array of
// every match (possibly empty) otherwise.
func evaluate(dst []byte, fp *fieldPath, doc *value) ([]byte, error) {
	if fp.path.definite {
		v, ok := lookup(doc, fp.path.steps)
		if !ok {
			return dst, &RuntimeError{Path: fp.text, Field: fp.field, Input: string(doc.raw)}
		}
		return append(dst, v.raw...), nil
	}
	matches := collect(nil, doc, fp.path.steps, doc)
	dst = append(dst, '[')
	for i, m := range matches {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, m.raw...)
	}
	return append(dst, ']'), nil
}

// Apply builds the child input of the item at index (0-based): compact JSON, keys in template
// order. item must be valid JSON, as the item reader yields it; it is copied compacted. The
// error is a *RuntimeError when a path selects nothing, or wraps ErrInvalidJSON when a path
// must look inside an item that is not valid JSON.
func (b *Bound) Apply(index int64, item json.RawMessage) (json.RawMessage, error) {
	out, err := b.AppendApply(nil, index, item)
	if err != nil {
		return nil, err
	}
	return out, nil
}

// AppendApply is Apply appending to dst. On error, the returned slice holds dst plus an
// unspecified partial output.
func (b *Bound) AppendApply(dst []byte, index int64, item json.RawMessage) ([]byte, error) {
	it := itemState{index: index, raw: item}
	return b.append(dst, b.root, &it)
}

// itemState is the per-item data, with the trees parsed on first use.
type itemState struct {
	index int64
	raw   json.RawMessage
	tree  *value
	ctx   *value
}

func (it *itemState) itemTree() (*value, error) {
	if it.tree == nil {
		t, err := parseDocument(it.raw)
		if err != nil {
			return nil, fmt.Errorf("selector: item %d: %w: %v", it.index, ErrInvalidJSON, err)
		}
		it.tree = t
	}
	return it.tree, nil
}

// contextTree builds {…context…,"Map":{"Item":{"Index":i,"Value":item}}}.
func (it *itemState) contextTree(fixed *value) (*value, error) {
	if it.ctx == nil {
		t, err := it.itemTree()
		if err != nil {
			return nil, err
		}
		item := newObject([]string{"Index", "Value"}, []*value{newInt(it.index), t})
		m := newObject([]string{"Item"}, []*value{item})
		keys := append(append([]string(nil), fixed.keys...), "Map")
		vals := append(append([]*value(nil), fixed.elems...), m)
		it.ctx = newObject(keys, vals)
	}
	return it.ctx, nil
}

func (b *Bound) append(dst []byte, n *node, it *itemState) ([]byte, error) {
	switch n.kind {
	case nodeLiteral:
		return append(dst, n.lit...), nil
	case nodeFail:
		return dst, n.failed
	case nodeObject:
		dst = append(dst, '{')
		for i, k := range n.keys {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = append(dst, k...)
			var err error
			if dst, err = b.append(dst, n.elems[i], it); err != nil {
				return dst, err
			}
		}
		return append(dst, '}'), nil
	case nodeArray:
		dst = append(dst, '[')
		for i, e := range n.elems {
			if i > 0 {
				dst = append(dst, ',')
			}
			var err error
			if dst, err = b.append(dst, e, it); err != nil {
				return dst, err
			}
		}
		return append(dst, ']'), nil
	}
	fp := n.path
	switch fp.src {
	case srcIndex:
		return strconv.AppendInt(dst, it.index, 10), nil
	case srcItem:
		if len(fp.path.steps) == 0 {
			return jsonx.AppendCompact(dst, it.raw), nil
		}
		if fp.path.definite && it.tree == nil {
			// Fast path: walk the item's text; parse it only to report an error.
			if v, ok := rawLookup(it.raw, fp.path.steps); ok {
				return jsonx.AppendCompact(dst, v), nil
			}
		}
		t, err := it.itemTree()
		if err != nil {
			return dst, err
		}
		dst, err = evaluate(dst, fp, t)
		if re, ok := err.(*RuntimeError); ok {
			// Report the context object the "$$" path was evaluated against.
			c, _ := it.contextTree(b.ctx)
			re.Input = string(c.raw)
		}
		return dst, err
	}
	c, err := it.contextTree(b.ctx)
	if err != nil {
		return dst, err
	}
	return evaluate(dst, fp, c)
}
