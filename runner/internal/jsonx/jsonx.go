// Package jsonx holds small JSON helpers shared by the runner's packages.
package jsonx

import "bytes"

// AppendCompact appends valid JSON src without its insignificant white space. Strings are
// skipped with bytes.IndexByte, so text-heavy items are copied at memory speed.
func AppendCompact(dst, src []byte) []byte {
	for len(src) > 0 {
		// Outside strings: copy up to the next quote, dropping white space.
		i := 0
		for i < len(src) && src[i] != '"' {
			if c := src[i]; c == ' ' || c == '\t' || c == '\n' || c == '\r' {
				dst = append(dst, src[:i]...)
				src = src[i+1:]
				i = 0
				continue
			}
			i++
		}
		if i == len(src) {
			return append(dst, src...)
		}
		// A string: find its closing quote, one not preceded by an odd number of backslashes.
		j := i + 1
		for {
			k := bytes.IndexByte(src[j:], '"')
			if k < 0 {
				return append(dst, src...)
			}
			j += k
			n := 0
			for m := j - 1; m > i && src[m] == '\\'; m-- {
				n++
			}
			j++
			if n%2 == 0 {
				break
			}
		}
		dst = append(dst, src[:j]...)
		src = src[j:]
	}
	return dst
}

// AppendString appends s as a JSON string. Only '"', '\\' and control characters are escaped;
// other characters, including non-ASCII ones, are written as they are (as Step Functions writes
// keys and strings it makes).
func AppendString(dst []byte, s string) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			dst = append(dst, '\\', c)
		case c == '\n':
			dst = append(dst, '\\', 'n')
		case c == '\r':
			dst = append(dst, '\\', 'r')
		case c == '\t':
			dst = append(dst, '\\', 't')
		case c < 0x20:
			dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		default:
			dst = append(dst, c)
		}
	}
	return append(dst, '"')
}
