package itemreader

import "encoding/binary"

// maxDepth is the deepest nesting encoding/json accepts.
const maxDepth = 10000

// validCompact checks that src is exactly one JSON value, with optional white space around it,
// and appends its compact form (insignificant white space removed, nothing else changed) to dst.
// It accepts exactly what json.Valid accepts, in one pass and several times faster; on false,
// dst holds a partial value and json.Unmarshal must be asked for the reason.
func validCompact(dst, src []byte) ([]byte, bool) {
	p := parser{src: src, dst: dst}
	p.space()
	if !p.value(0) {
		return p.dst, false
	}
	p.space()
	if p.i != len(p.src) {
		return p.dst, false
	}
	p.dst = append(p.dst, p.src[p.run:p.i]...)
	return p.dst, true
}

// parser is a recursive-descent JSON checker. The compact output is built by copying the runs of
// src between stretches of white space: src[run:i] is the pending run.
type parser struct {
	src []byte
	i   int
	run int
	dst []byte
}

// space skips white space, flushing the pending run first.
func (p *parser) space() {
	if p.i < len(p.src) && isSpace(p.src[p.i]) {
		p.dst = append(p.dst, p.src[p.run:p.i]...)
		for p.i++; p.i < len(p.src) && isSpace(p.src[p.i]); p.i++ {
		}
		p.run = p.i
	}
}

func (p *parser) value(depth int) bool {
	if p.i >= len(p.src) {
		return false
	}
	switch c := p.src[p.i]; c {
	case '"':
		return p.string()
	case '{':
		return p.object(depth + 1)
	case '[':
		return p.array(depth + 1)
	case 't':
		return p.literal("true")
	case 'f':
		return p.literal("false")
	case 'n':
		return p.literal("null")
	default:
		if c == '-' || '0' <= c && c <= '9' {
			return p.number()
		}
		return false
	}
}

func (p *parser) object(depth int) bool {
	if depth > maxDepth {
		return false
	}
	p.i++ // '{'
	p.space()
	if p.i < len(p.src) && p.src[p.i] == '}' {
		p.i++
		return true
	}
	for {
		if p.i >= len(p.src) || p.src[p.i] != '"' || !p.string() {
			return false
		}
		p.space()
		if p.i >= len(p.src) || p.src[p.i] != ':' {
			return false
		}
		p.i++
		p.space()
		if !p.value(depth) {
			return false
		}
		p.space()
		if p.i >= len(p.src) {
			return false
		}
		switch p.src[p.i] {
		case ',':
			p.i++
			p.space()
		case '}':
			p.i++
			return true
		default:
			return false
		}
	}
}

func (p *parser) array(depth int) bool {
	if depth > maxDepth {
		return false
	}
	p.i++ // '['
	p.space()
	if p.i < len(p.src) && p.src[p.i] == ']' {
		p.i++
		return true
	}
	for {
		if !p.value(depth) {
			return false
		}
		p.space()
		if p.i >= len(p.src) {
			return false
		}
		switch p.src[p.i] {
		case ',':
			p.i++
			p.space()
		case ']':
			p.i++
			return true
		default:
			return false
		}
	}
}

// string checks a string starting at its opening quote: no control character, valid escapes.
func (p *parser) string() bool {
	s, i := p.src, p.i+1
	for {
		// Skip 8 bytes at a time while none is a quote, a backslash or a control character.
		for i+8 <= len(s) {
			x := binary.LittleEndian.Uint64(s[i:])
			if hasLess(x, 0x20)|hasZero(x^(lo*'"'))|hasZero(x^(lo*'\\')) != 0 {
				break
			}
			i += 8
		}
		for i < len(s) && s[i] >= 0x20 && s[i] != '"' && s[i] != '\\' {
			i++
		}
		if i >= len(s) {
			return false
		}
		switch s[i] {
		case '"':
			p.i = i + 1
			return true
		case '\\':
			if i+1 >= len(s) {
				return false
			}
			switch s[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > len(s) || !isHex(s[i+2]) || !isHex(s[i+3]) || !isHex(s[i+4]) || !isHex(s[i+5]) {
					return false
				}
				i += 6
			default:
				return false
			}
		default: // a control character
			return false
		}
	}
}

const (
	lo = 0x0101010101010101
	hi = 0x8080808080808080
)

// hasZero reports (as a non-zero value) whether a byte of x is 0.
func hasZero(x uint64) uint64 { return (x - lo) & ^x & hi }

// hasLess reports (as a non-zero value) whether a byte of x is less than n (n <= 128).
func hasLess(x, n uint64) uint64 { return (x - lo*n) & ^x & hi }

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// number checks -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (p *parser) number() bool {
	s, i := p.src, p.i
	if s[i] == '-' {
		i++
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case i < len(s) && '1' <= s[i] && s[i] <= '9':
		i = digits(s, i+1)
	default:
		return false
	}
	if i < len(s) && s[i] == '.' {
		j := digits(s, i+1)
		if j == i+1 {
			return false
		}
		i = j
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		j := digits(s, i)
		if j == i {
			return false
		}
		i = j
	}
	p.i = i
	return true
}

func digits(s []byte, i int) int {
	for i < len(s) && '0' <= s[i] && s[i] <= '9' {
		i++
	}
	return i
}

func (p *parser) literal(word string) bool {
	if len(p.src)-p.i < len(word) || string(p.src[p.i:p.i+len(word)]) != word {
		return false
	}
	p.i += len(word)
	return true
}
