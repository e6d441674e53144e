package selector

import (
	"bytes"
	"strings"
)

// lookup follows a definite path (names and single indexes only) from v. It reports false when
// a member or index is missing, or when a step meets a value of the wrong type (including null),
// as Jayway's PathNotFoundException does.
func lookup(v *value, steps []step) (*value, bool) {
	for _, st := range steps {
		switch st.kind {
		case stepName:
			if v.kind != kindObject {
				return nil, false
			}
			var ok bool
			if v, ok = v.field(st.name); !ok {
				return nil, false
			}
		case stepIndex:
			if v.kind != kindArray {
				return nil, false
			}
			i := st.index
			if i < 0 {
				i += len(v.elems)
			}
			if i < 0 || i >= len(v.elems) {
				return nil, false
			}
			v = v.elems[i]
		default:
			return nil, false
		}
	}
	return v, true
}

// collect appends to out every node that steps select from v, in document order. root is the
// document root, for "$" inside filters.
func collect(out []*value, v *value, steps []step, root *value) []*value {
	if len(steps) == 0 {
		return append(out, v)
	}
	st, rest := steps[0], steps[1:]
	switch st.kind {
	case stepName:
		if v.kind == kindObject {
			if c, ok := v.field(st.name); ok {
				out = collect(out, c, rest, root)
			}
		}
	case stepIndex:
		if v.kind == kindArray {
			i := st.index
			if i < 0 {
				i += len(v.elems)
			}
			if i >= 0 && i < len(v.elems) {
				out = collect(out, v.elems[i], rest, root)
			}
		}
	case stepIndexes:
		if v.kind == kindArray {
			for _, i := range st.indexes {
				if i < 0 {
					i += len(v.elems)
				}
				if i >= 0 && i < len(v.elems) {
					out = collect(out, v.elems[i], rest, root)
				}
			}
		}
	case stepWildcard:
		if v.kind == kindArray || v.kind == kindObject {
			for _, c := range v.elems {
				out = collect(out, c, rest, root)
			}
		}
	case stepSlice:
		if v.kind == kindArray {
			n := len(v.elems)
			start, end := 0, n
			if st.hasStart {
				start = clampIndex(st.start, n)
			}
			if st.hasEnd {
				end = clampIndex(st.end, n)
			}
			for i := start; i < end; i++ {
				out = collect(out, v.elems[i], rest, root)
			}
		}
	case stepFilter:
		switch v.kind {
		case kindArray:
			for _, c := range v.elems {
				if st.filter.match(c, root) {
					out = collect(out, c, rest, root)
				}
			}
		case kindObject:
			// Jayway applies a filter on an object to the object itself.
			if st.filter.match(v, root) {
				out = collect(out, v, rest, root)
			}
		}
	case stepDescent:
		// Pre-order: the next step is tried on v, then on each descendant in document order.
		out = collect(out, v, rest, root)
		if v.kind == kindArray || v.kind == kindObject {
			for _, c := range v.elems {
				out = collect(out, c, steps, root)
			}
		}
	}
	return out
}

func clampIndex(i, n int) int {
	if i < 0 {
		i += n
	}
	return min(max(i, 0), n)
}

// Filter expressions.

type expr interface {
	match(cur, root *value) bool
}

type operandKind uint8

const (
	operandPath operandKind = iota
	operandLiteral
	operandRegex
	operandList
)

type operand struct {
	kind  operandKind
	root  bool // operandPath: "$…" rather than "@…"
	steps []step
	lit   *value
	rx    interface{ MatchString(string) bool }
	list  []*value
}

func (o operand) resolve(cur, root *value) (*value, bool) {
	switch o.kind {
	case operandPath:
		if o.root {
			return lookup(root, o.steps)
		}
		return lookup(cur, o.steps)
	case operandLiteral:
		return o.lit, true
	}
	return nil, false
}

type andOp struct{ a, b expr }

func (e andOp) match(cur, root *value) bool { return e.a.match(cur, root) && e.b.match(cur, root) }

type orOp struct{ a, b expr }

func (e orOp) match(cur, root *value) bool { return e.a.match(cur, root) || e.b.match(cur, root) }

type notOp struct{ a expr }

func (e notOp) match(cur, root *value) bool { return !e.a.match(cur, root) }

type existsOp struct{ o operand }

func (e existsOp) match(cur, root *value) bool {
	_, ok := e.o.resolve(cur, root)
	return ok
}

type compareOp struct {
	op          string
	left, right operand
}

func (e compareOp) match(cur, root *value) bool {
	l, ok := e.left.resolve(cur, root)
	if !ok {
		return false
	}
	switch e.op {
	case "=~":
		return l.kind == kindString && e.right.rx.MatchString(l.str)
	case "in", "nin":
		list := e.right.list
		if e.right.kind == operandPath {
			r, ok := e.right.resolve(cur, root)
			if !ok || r.kind != kindArray {
				return false
			}
			list = r.elems
		}
		found := false
		for _, v := range list {
			if equal(l, v) {
				found = true
				break
			}
		}
		return found == (e.op == "in")
	}
	r, ok := e.right.resolve(cur, root)
	if !ok {
		return false
	}
	switch e.op {
	case "==":
		return equal(l, r)
	case "!=":
		return !equal(l, r)
	}
	var c int
	switch {
	case l.kind == kindNumber && r.kind == kindNumber:
		switch {
		case l.num < r.num:
			c = -1
		case l.num > r.num:
			c = 1
		}
	case l.kind == kindString && r.kind == kindString:
		c = strings.Compare(l.str, r.str)
	default:
		return false
	}
	switch e.op {
	case "<":
		return c < 0
	case "<=":
		return c <= 0
	case ">":
		return c > 0
	case ">=":
		return c >= 0
	}
	return false
}

// equal compares two values: numbers by value, strings after decoding, objects and arrays by
// their compact text.
func equal(a, b *value) bool {
	if a.kind != b.kind {
		return false
	}
	switch a.kind {
	case kindNull:
		return true
	case kindBool:
		return a.b == b.b
	case kindNumber:
		return a.num == b.num
	case kindString:
		return a.str == b.str
	}
	return bytes.Equal(a.raw, b.raw)
}
