package itemreader

import (
	"encoding/binary"
	"unicode/utf8"
)

// plain marks the bytes that appendJSONString copies as they are: printable ASCII other than the
// quote and the backslash.
var plain = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// appendJSONString appends s to dst as a JSON string. The quote, the backslash and the control
// characters are escaped (\n, \r, \t as such, the others as \u00XX); every other character is
// copied, so non-ASCII text stays readable. Each byte of an invalid UTF-8 sequence becomes
// U+FFFD, as encoding/json does, so that the output is always valid JSON.
func appendJSONString[T []byte | string](dst []byte, s T) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		for i+8 <= len(s) { // 8 bytes at a time while none needs a look
			x := binary.LittleEndian.Uint64([]byte(s[i : i+8]))
			if hasLess(x, 0x20)|hasZero(x^(lo*'"'))|hasZero(x^(lo*'\\'))|x&hi != 0 {
				break
			}
			i += 8
		}
		if i >= len(s) {
			break
		}
		c := s[i]
		if plain[c] {
			i++
			continue
		}
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(string(s[i:min(i+utf8.UTFMax, len(s))]))
			if r != utf8.RuneError || size != 1 {
				i += size
				continue
			}
			dst = append(dst, s[start:i]...)
			dst = append(dst, "\ufffd"...)
			i++
			start = i
			continue
		}
		dst = append(dst, s[start:i]...)
		switch c {
		case '"', '\\':
			dst = append(dst, '\\', c)
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\r':
			dst = append(dst, '\\', 'r')
		case '\t':
			dst = append(dst, '\\', 't')
		default:
			dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		}
		i++
		start = i
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
