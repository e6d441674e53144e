package selector

import (
	"bytes"
	"encoding/json"
	"strconv"

	"github.com/wasmap/wasmap/runner/internal/jsonx"
)

// kind is the JSON type of a value.
type kind uint8

const (
	kindNull kind = iota
	kindBool
	kindNumber
	kindString
	kindArray
	kindObject
)

// value is one node of a parsed JSON document. Objects keep their keys in document order, and
// every node keeps its own compact JSON text (raw), so whatever a path selects is written back
// byte for byte: key order, number spelling and string escapes are those of the input.
type value struct {
	kind  kind
	raw   []byte   // compact JSON text of the node: a sub-slice of the compacted document
	b     bool     // kindBool
	num   float64  // kindNumber, for filter comparisons only
	str   string   // kindString, decoded
	keys  []string // kindObject, in document order
	elems []*value // kindArray elements, or kindObject values (parallel to keys)
}

// field returns the value of key, or false. With duplicate keys the last one wins, as it does
// for most JSON libraries (Jackson, encoding/json).
func (v *value) field(key string) (*value, bool) {
	for i := len(v.keys) - 1; i >= 0; i-- {
		if v.keys[i] == key {
			return v.elems[i], true
		}
	}
	return nil, false
}

// parseDocument compacts doc (validating it) and parses it into a tree whose raw slices point
// into one compact buffer.
func parseDocument(doc []byte) (*value, error) {
	var buf bytes.Buffer
	buf.Grow(len(doc))
	if err := json.Compact(&buf, doc); err != nil {
		return nil, err
	}
	b := buf.Bytes()
	v, _ := parseCompact(b, 0)
	return v, nil
}

// parseCompact parses the value that starts at b[i] in valid, compact JSON and returns it with
// the offset just after it.
func parseCompact(b []byte, i int) (*value, int) {
	start := i
	v := &value{}
	switch c := b[i]; {
	case c == '{':
		v.kind = kindObject
		i++
		for b[i] != '}' {
			var key string
			key, i = parseString(b, i)
			i++ // ':'
			var e *value
			e, i = parseCompact(b, i)
			v.keys = append(v.keys, key)
			v.elems = append(v.elems, e)
			if b[i] == ',' {
				i++
			}
		}
		i++
	case c == '[':
		v.kind = kindArray
		i++
		for b[i] != ']' {
			var e *value
			e, i = parseCompact(b, i)
			v.elems = append(v.elems, e)
			if b[i] == ',' {
				i++
			}
		}
		i++
	case c == '"':
		v.kind = kindString
		v.str, i = parseString(b, i)
	case c == 't':
		v.kind, v.b = kindBool, true
		i += 4
	case c == 'f':
		v.kind = kindBool
		i += 5
	case c == 'n':
		i += 4
	default:
		v.kind = kindNumber
		for i < len(b) && isNumberByte(b[i]) {
			i++
		}
		v.num, _ = strconv.ParseFloat(string(b[start:i]), 64)
	}
	v.raw = b[start:i:i]
	return v, i
}

func isNumberByte(c byte) bool {
	return c >= '0' && c <= '9' || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E'
}

// parseString decodes the JSON string that starts at b[i] and returns the offset after it.
func parseString(b []byte, i int) (string, int) {
	start := i
	i++
	escaped := false
	for b[i] != '"' {
		if b[i] == '\\' {
			escaped = true
			i++
		}
		i++
	}
	i++
	if !escaped {
		return string(b[start+1 : i-1]), i
	}
	var s string
	_ = json.Unmarshal(b[start:i], &s)
	return s, i
}

// newObject builds an object node from keys and values, computing its raw text.
func newObject(keys []string, vals []*value) *value {
	var raw []byte
	raw = append(raw, '{')
	for i, k := range keys {
		if i > 0 {
			raw = append(raw, ',')
		}
		raw = jsonx.AppendString(raw, k)
		raw = append(raw, ':')
		raw = append(raw, vals[i].raw...)
	}
	raw = append(raw, '}')
	return &value{kind: kindObject, keys: keys, elems: vals, raw: raw}
}

// newInt builds a number node for an integer.
func newInt(n int64) *value {
	return &value{kind: kindNumber, num: float64(n), raw: strconv.AppendInt(nil, n, 10)}
}
