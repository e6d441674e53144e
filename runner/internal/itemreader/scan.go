package itemreader

import "encoding/binary"

// scanString scans the inside of a JSON string from b[i], escaped telling whether b[i] follows a
// backslash. It returns the index after the closing quote and closed = true, or len(b),
// closed = false and whether the last byte was an escaping backslash, when b ends inside the
// string. It looks at 8 bytes at a time; it does not check the string (see validCompact).
func scanString(b []byte, i int, escaped bool) (next int, closed, escapedAtEnd bool) {
	for {
		if escaped {
			if i >= len(b) {
				return len(b), false, true
			}
			i++
			escaped = false
		}
		for i+8 <= len(b) {
			x := binary.LittleEndian.Uint64(b[i:])
			if hasZero(x^(lo*'"'))|hasZero(x^(lo*'\\')) != 0 {
				break
			}
			i += 8
		}
		for i < len(b) && b[i] != '"' && b[i] != '\\' {
			i++
		}
		if i >= len(b) {
			return len(b), false, false
		}
		if b[i] == '"' {
			return i + 1, true, false
		}
		i++ // a backslash: the next byte is escaped
		escaped = true
	}
}

// skipPlain returns the index of the first byte of b at or after i that is a quote, a bracket or
// a brace, or a comma if commas is set; len(b) if there is none. It looks at 8 bytes at a time.
func skipPlain(b []byte, i int, commas bool) int {
	comma := uint64('"') // a byte already searched for, when commas are not wanted
	if commas {
		comma = ','
	}
	for i+8 <= len(b) {
		x := binary.LittleEndian.Uint64(b[i:])
		if hasZero(x^(lo*'"'))|hasZero(x^(lo*'['))|hasZero(x^(lo*']'))|hasZero(x^(lo*'{'))|
			hasZero(x^(lo*'}'))|hasZero(x^(lo*comma)) != 0 {
			break
		}
		i += 8
	}
	for ; i < len(b); i++ {
		switch b[i] {
		case '"', '[', ']', '{', '}':
			return i
		case ',':
			if commas {
				return i
			}
		}
	}
	return i
}
