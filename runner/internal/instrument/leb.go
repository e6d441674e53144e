package instrument

// LEB128 helpers. Readers take the slice bounded by the region being read (so running off it
// is an error, not a read of the next section) and an absolute position; they return the new
// position and false when the encoding is truncated or too long.

// readU32 decodes an unsigned LEB128 of at most 5 bytes whose value fits 32 bits.
func readU32(b []byte, p int) (uint32, int, bool) {
	if p < len(b) && b[p] < 0x80 {
		return uint32(b[p]), p + 1, true
	}
	var v uint32
	for i := uint(0); i < 5; i++ {
		if p >= len(b) {
			return 0, p, false
		}
		c := b[p]
		p++
		if i == 4 && c > 0x0f {
			return 0, p, false
		}
		v |= uint32(c&0x7f) << (7 * i)
		if c < 0x80 {
			return v, p, true
		}
	}
	return 0, p, false
}

// readS33 decodes a signed LEB128 of at most 5 bytes (33 significant bits), as used by block
// types and heap types.
func readS33(b []byte, p int) (int64, int, bool) {
	var v int64
	var shift uint
	for i := 0; i < 5; i++ {
		if p >= len(b) {
			return 0, p, false
		}
		c := b[p]
		p++
		v |= int64(c&0x7f) << shift
		shift += 7
		if c < 0x80 {
			if shift < 64 && c&0x40 != 0 {
				v |= -1 << shift
			}
			if v < -(1<<32) || v >= 1<<32 {
				return 0, p, false
			}
			return v, p, true
		}
	}
	return 0, p, false
}

// readS32 decodes a signed LEB128 of at most 5 bytes whose value fits 32 bits, strictly: the
// unused bits of a fifth byte must extend the sign.
func readS32(b []byte, p int) (int32, int, bool) {
	var v uint32
	for i := uint(0); i < 5; i++ {
		if p >= len(b) {
			return 0, p, false
		}
		c := b[p]
		p++
		v |= uint32(c&0x7f) << (7 * i)
		if i == 4 {
			if c&0x80 != 0 || (c&0x78 != 0 && c&0x78 != 0x78) {
				return 0, p, false
			}
			return int32(v), p, true
		}
		if c < 0x80 {
			if c&0x40 != 0 {
				v |= ^uint32(0) << (7 * (i + 1))
			}
			return int32(v), p, true
		}
	}
	return 0, p, false
}

// skipLEB skips a LEB128 of at most max bytes without decoding it.
func skipLEB(b []byte, p, max int) (int, bool) {
	for i := 0; i < max; i++ {
		if p >= len(b) {
			return p, false
		}
		c := b[p]
		p++
		if c < 0x80 {
			return p, true
		}
	}
	return p, false
}

// appendU32 appends the canonical unsigned LEB128 encoding of v.
func appendU32(b []byte, v uint32) []byte {
	for v >= 0x80 {
		b = append(b, byte(v)|0x80)
		v >>= 7
	}
	return append(b, byte(v))
}

// appendS32 appends the canonical signed LEB128 encoding of v.
func appendS32(b []byte, v int32) []byte {
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if (v == 0 && c&0x40 == 0) || (v == -1 && c&0x40 != 0) {
			return append(b, c)
		}
		b = append(b, c|0x80)
	}
}

// sizeU32 is the length of the canonical unsigned LEB128 encoding of v.
func sizeU32(v uint32) int {
	n := 1
	for v >= 0x80 {
		v >>= 7
		n++
	}
	return n
}

// lebGap is the room reserved in front of content whose length is not yet known: the longest
// u32 LEB128.
const lebGap = 5

// openSized reserves room for a u32 length in front of content about to be appended to out and
// returns the mark to pass to closeSized.
func openSized(out []byte) ([]byte, int) {
	out = append(out, 0, 0, 0, 0, 0)
	return out, len(out)
}

// closeSized writes the canonical length of out[mark:] in front of it, moving the content down
// over the unused part of the reserved room.
func closeSized(out []byte, mark int) []byte {
	n := uint32(len(out) - mark)
	k := sizeU32(n)
	start := mark - lebGap
	if k < lebGap {
		copy(out[start+k:], out[mark:])
		out = out[:len(out)-(lebGap-k)]
	}
	appendU32(out[start:start], n)
	return out
}
