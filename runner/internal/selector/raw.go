package selector

import (
	"bytes"
	"encoding/json"
)

// rawLookup follows a definite path through the JSON text b without building a tree, and returns
// the selected value's text (not compacted). b must be valid JSON. It reports false exactly when
// lookup on the parsed tree would: a missing member or index, or a step on the wrong type. With
// duplicate keys the last one wins, as in the tree.
func rawLookup(b []byte, steps []step) ([]byte, bool) {
	i := skipSpace(b, 0)
	for _, st := range steps {
		if i >= len(b) {
			return nil, false
		}
		switch st.kind {
		case stepName:
			if b[i] != '{' {
				return nil, false
			}
			found := -1
			i = skipSpace(b, i+1)
			for i < len(b) && b[i] != '}' {
				if b[i] != '"' {
					return nil, false // not valid JSON: the caller parses the item to report it
				}
				kEnd := skipString(b, i)
				match := keyEquals(b[i:kEnd], st.name)
				i = skipSpace(b, kEnd)
				i = skipSpace(b, i+1) // ':'
				if match {
					found = i
				}
				i = skipSpace(b, skipValue(b, i))
				if i < len(b) && b[i] == ',' {
					i = skipSpace(b, i+1)
				}
			}
			if found < 0 {
				return nil, false
			}
			i = found
		case stepIndex:
			if b[i] != '[' {
				return nil, false
			}
			var starts []int
			i = skipSpace(b, i+1)
			for n := 0; i < len(b) && b[i] != ']'; n++ {
				if n == st.index {
					starts = append(starts[:0], i)
					break
				}
				if st.index < 0 {
					starts = append(starts, i)
				}
				i = skipSpace(b, skipValue(b, i))
				if i < len(b) && b[i] == ',' {
					i = skipSpace(b, i+1)
				}
			}
			switch {
			case st.index >= 0 && len(starts) == 1:
				i = starts[0]
			case st.index < 0 && -st.index <= len(starts):
				i = starts[len(starts)+st.index]
			default:
				return nil, false
			}
		default:
			return nil, false
		}
	}
	if i >= len(b) {
		return nil, false
	}
	v := b[i:skipValue(b, i)]
	if !json.Valid(v) {
		return nil, false
	}
	return v, true
}

// keyEquals compares the JSON string text q (with its quotes) with name.
func keyEquals(q []byte, name string) bool {
	if len(q) < 2 || q[len(q)-1] != '"' {
		return false
	}
	inner := q[1 : len(q)-1]
	if bytes.IndexByte(inner, '\\') < 0 {
		return string(inner) == name
	}
	s, _ := parseString(q, 0)
	return s == name
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// skipString returns the offset after the JSON string that starts at b[i].
func skipString(b []byte, i int) int {
	for i++; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return len(b)
}

// skipValue returns the offset after the JSON value that starts at b[i].
func skipValue(b []byte, i int) int {
	if i >= len(b) {
		return len(b)
	}
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for ; i < len(b); i++ {
			switch b[i] {
			case '"':
				i = skipString(b, i) - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
		}
		return len(b)
	}
	for i < len(b) {
		switch b[i] {
		case ',', '}', ']', ' ', '\t', '\n', '\r':
			return i
		}
		i++
	}
	return i
}
