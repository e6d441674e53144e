package selector

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/wasmap/wasmap/runner/internal/jsonx"
)

// nodeKind is the kind of one node of a compiled template.
type nodeKind uint8

const (
	nodeLiteral nodeKind = iota // fixed JSON text
	nodeObject                  // an object with at least one field that is not fixed
	nodeArray                   // an array with at least one element that is not fixed
	nodePath                    // a ".$" field's path
	nodeFail                    // a path that was resolved at Bind time and failed
)

type node struct {
	kind   nodeKind
	lit    []byte   // nodeLiteral
	keys   [][]byte // nodeObject: each output key as `"key":`
	elems  []*node  // nodeObject values (parallel to keys), nodeArray elements
	path   *fieldPath
	failed error // nodeFail
}

// source is what a path reads.
type source uint8

const (
	srcInput   source = iota // "$…": the Map state's input, resolved once by Bind
	srcIndex                 // "$$.Map.Item.Index"
	srcItem                  // "$$.Map.Item.Value…": steps apply to the item
	srcFixed                 // "$$.<Name>…" outside Map: the context given to BindContext, resolved by Bind
	srcContext               // any other "$$…" path: the whole context object, built per item
)

type fieldPath struct {
	text  string // the path as written
	field string // the template key, with ".$"
	src   source
	path  *jsonPath // steps relative to what src reads
}

// Selector is a compiled ItemSelector (or legacy Parameters) template in JSONPath mode. It is
// immutable and safe for concurrent use.
type Selector struct {
	root *node
}

// Compile validates an ItemSelector template once. The template must be a JSON object. Errors
// are *CompileError values whose Location starts with "ItemSelector".
func Compile(template json.RawMessage) (*Selector, error) {
	return CompileField("ItemSelector", template)
}

// CompileField is Compile for a template found in another field, such as the legacy
// "Parameters" of a Map state, which behaves exactly like ItemSelector (ASL reference §1). field
// starts the Location of errors.
func CompileField(field string, template json.RawMessage) (*Selector, error) {
	tree, err := parseDocument(template)
	if err != nil {
		return nil, &CompileError{Location: field, Reason: "invalid JSON: " + err.Error()}
	}
	if tree.kind != kindObject {
		return nil, &CompileError{Location: field, Reason: "must be a JSON object"}
	}
	s := &Selector{}
	root, err := s.compile(field, tree)
	if err != nil {
		return nil, err
	}
	s.root = root
	return s, nil
}

// compile turns one template value into a node. A subtree without ".$" keys is one literal.
func (s *Selector) compile(loc string, v *value) (*node, error) {
	switch v.kind {
	case kindObject:
		n := &node{kind: nodeObject}
		seen := make(map[string]string, len(v.keys))
		fixed := true
		for i, key := range v.keys {
			kloc := loc + "." + key
			out := key
			var child *node
			if strings.HasSuffix(key, ".$") {
				out = strings.TrimSuffix(key, ".$")
				var err error
				if child, err = s.compilePath(kloc, key, v.elems[i]); err != nil {
					return nil, err
				}
			} else {
				var err error
				if child, err = s.compile(kloc, v.elems[i]); err != nil {
					return nil, err
				}
			}
			if prev, dup := seen[out]; dup {
				return nil, &CompileError{Location: kloc, Reason: fmt.Sprintf("duplicate output key %q (also given as %q)", out, prev)}
			}
			seen[out] = key
			n.keys = append(n.keys, append(jsonx.AppendString(nil, out), ':'))
			n.elems = append(n.elems, child)
			fixed = fixed && child.kind == nodeLiteral
		}
		if fixed {
			return &node{kind: nodeLiteral, lit: n.appendLiteral(nil)}, nil
		}
		return n, nil
	case kindArray:
		n := &node{kind: nodeArray}
		fixed := true
		for i, e := range v.elems {
			child, err := s.compile(loc+"["+strconv.Itoa(i)+"]", e)
			if err != nil {
				return nil, err
			}
			n.elems = append(n.elems, child)
			fixed = fixed && child.kind == nodeLiteral
		}
		if fixed {
			return &node{kind: nodeLiteral, lit: n.appendLiteral(nil)}, nil
		}
		return n, nil
	}
	return &node{kind: nodeLiteral, lit: v.raw}, nil
}

// appendLiteral writes an object or array node whose children are all literals.
func (n *node) appendLiteral(dst []byte) []byte {
	if n.kind == nodeLiteral {
		return append(dst, n.lit...)
	}
	if n.kind == nodeObject {
		dst = append(dst, '{')
		for i, k := range n.keys {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = append(dst, k...)
			dst = n.elems[i].appendLiteral(dst)
		}
		return append(dst, '}')
	}
	dst = append(dst, '[')
	for i, e := range n.elems {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = e.appendLiteral(dst)
	}
	return append(dst, ']')
}

// compilePath validates the value of a ".$" key.
func (s *Selector) compilePath(loc, key string, v *value) (*node, error) {
	if v.kind != kindString {
		return nil, &CompileError{Location: loc, Reason: fmt.Sprintf("the value of a field ending in \".$\" must be a string (a path or an intrinsic function), got %s", v.raw)}
	}
	text := v.str
	if strings.HasPrefix(text, "States.") {
		name := text
		if i := strings.IndexByte(name, '('); i >= 0 {
			name = name[:i]
		}
		return nil, &CompileError{Location: loc, Reason: fmt.Sprintf("intrinsic function %s is not supported yet", name), Err: ErrNotSupported}
	}
	if !strings.HasPrefix(text, "$") {
		return nil, &CompileError{Location: loc, Reason: fmt.Sprintf("invalid JSONPath %q: a path must start with \"$\" (or \"$$\" for the context object)", text)}
	}
	fp := &fieldPath{text: text, field: key}
	pathText := text
	if strings.HasPrefix(text, "$$") {
		pathText = text[1:]
	}
	p, err := parsePath(pathText)
	if err != nil {
		if pe, ok := err.(*pathError); ok && pathText != text && pe.offset >= 0 {
			pe.offset++ // report offsets in the text as written
		}
		return nil, &CompileError{Location: loc, Reason: fmt.Sprintf("invalid JSONPath %q: %v", text, err)}
	}
	fp.path = p
	if pathText != text {
		s.classifyContext(fp)
	}
	return &node{kind: nodePath, path: fp}, nil
}

// classifyContext decides how a "$$" path is evaluated.
func (s *Selector) classifyContext(fp *fieldPath) {
	st := fp.path.steps
	isName := func(i int, name string) bool {
		return len(st) > i && st[i].kind == stepName && st[i].name == name
	}
	switch {
	case isName(0, "Map") && isName(1, "Item") && isName(2, "Value"):
		fp.src = srcItem
		rest := st[3:]
		fp.path = &jsonPath{steps: rest, definite: isDefinite(rest)}
	case isName(0, "Map") && isName(1, "Item") && isName(2, "Index") && len(st) == 3:
		fp.src = srcIndex
	case len(st) > 0 && st[0].kind == stepName && st[0].name != "Map":
		fp.src = srcFixed
	default:
		fp.src = srcContext
	}
}

// Apply builds the child input of one item: it is Bind(input) followed by Bound.Apply, so it
// parses input on every call. A runner that applies the selector to many items of one Map input
// should call Bind once and Bound.Apply per item.
func (s *Selector) Apply(input json.RawMessage, index int64, item json.RawMessage) (json.RawMessage, error) {
	b, err := s.Bind(input)
	if err != nil {
		return nil, err
	}
	return b.Apply(index, item)
}
