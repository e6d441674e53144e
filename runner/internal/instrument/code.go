package instrument

import (
	"errors"
	"slices"
)

// imm says what follows a one-byte opcode.
type imm uint8

const (
	immBad          imm = iota // not an opcode
	immNone                    // no immediate
	immBlock                   // block, if, try: block type; opens a block
	immLoop                    // loop: block type; opens a block; a metering point
	immTryTable                // try_table: block type and catch clauses; opens a block
	immEnd                     // end: closes a block
	immDelegate                // delegate: label; closes a try block
	immIdx                     // one u32 index (label, local, global, table, tag, memory)
	immCall                    // call, return_call: function index
	immRefFunc                 // ref.func: function index
	immCallIndirect            // call_indirect, return_call_indirect: type and table index
	immCallRef                 // call_ref, return_call_ref: type index
	immBrTable                 // br_table: label vector and default label
	immMemarg                  // loads and stores
	immMemGrow                 // memory.grow: memory index
	immI32                     // i32.const
	immI64                     // i64.const
	immF32                     // f32.const
	immF64                     // f64.const
	immSelectT                 // typed select: value type vector
	immHeapType                // ref.null
	immPrefix                  // 0xfc, 0xfd, 0xfe: a u32 sub-opcode follows
	immGC                      // 0xfb: garbage-collection instructions
)

// opImm is the immediate kind of every one-byte opcode, from the WebAssembly 2.0 binary format
// and the exception handling, tail call, typed function reference and threads proposals.
var opImm = func() (t [256]imm) {
	set := func(k imm, ops ...byte) {
		for _, op := range ops {
			t[op] = k
		}
	}
	set(immNone, 0x00, 0x01, 0x05, 0x0a, 0x0f, 0x19, 0x1a, 0x1b, 0xd1, 0xd3, 0xd4)
	set(immBlock, 0x02, 0x04, 0x06)
	set(immLoop, 0x03)
	set(immIdx, 0x07, 0x08, 0x09) // catch, throw, rethrow
	set(immEnd, 0x0b)
	set(immIdx, 0x0c, 0x0d) // br, br_if
	set(immBrTable, 0x0e)
	set(immCall, 0x10, 0x12)
	set(immCallIndirect, 0x11, 0x13)
	set(immCallRef, 0x14, 0x15)
	set(immDelegate, 0x18)
	set(immSelectT, 0x1c)
	set(immTryTable, 0x1f)
	set(immIdx, 0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26) // local.*, global.*, table.get/set
	for op := 0x28; op <= 0x3e; op++ {
		t[op] = immMemarg
	}
	set(immIdx, 0x3f) // memory.size
	set(immMemGrow, 0x40)
	set(immI32, 0x41)
	set(immI64, 0x42)
	set(immF32, 0x43)
	set(immF64, 0x44)
	for op := 0x45; op <= 0xc4; op++ { // numeric, sign extension
		t[op] = immNone
	}
	set(immHeapType, 0xd0)
	set(immRefFunc, 0xd2)
	set(immIdx, 0xd5, 0xd6) // br_on_null, br_on_non_null
	set(immGC, 0xfb)
	set(immPrefix, 0xfc, 0xfd, 0xfe)
	return t
}()

// simdReserved marks the unassigned opcodes below 0x100 of the 0xfd prefix.
var simdReserved = func() (r [256]bool) {
	for _, op := range []byte{0x9a, 0xa2, 0xa5, 0xa6, 0xaf, 0xb0, 0xb2, 0xb3, 0xb4, 0xbb, 0xc2,
		0xc5, 0xc6, 0xcf, 0xd0, 0xd2, 0xd3, 0xd4, 0xe2, 0xee} {
		r[op] = true
	}
	return r
}()

// codeSection rewrites every function body: metering points, memory.grow and function indices.
func (m *module) codeSection(out []byte, s section) ([]byte, error) {
	in := m.in[:s.end]
	n, p, ok := readU32(in, s.start)
	if !ok {
		return out, malformed(s.start, "bad or truncated function count")
	}
	if n != m.nFuncs {
		return out, malformed(s.start, "%d function bodies, but the function section declares %d functions", n, m.nFuncs)
	}
	out = appendU32(out, n)
	for i := uint32(0); i < n; i++ {
		var err error
		out, p, err = m.body(out, in, p)
		if err != nil {
			var fe *formatError
			if errors.As(err, &fe) {
				fe.section, fe.fn, fe.fnIndex = "code section", int(i), m.nFuncImports+i
			}
			return out, err
		}
	}
	if p != s.end {
		return out, malformed(p, "%d unread bytes after the last function body", s.end-p)
	}
	return out, nil
}

// body rewrites the function body whose size is at p and returns the position after it.
//
// It writes the body's instructions first, behind room for its size, its locals and the entry
// metering point, because whether the function needs the latter is known only once its
// instructions are read; then it fills that room from its end and closes the gap left in front.
func (m *module) body(out, in []byte, p int) ([]byte, int, error) {
	size, q, ok := readU32(in, p)
	if !ok {
		return out, p, malformed(p, "bad or truncated body size")
	}
	if uint64(q)+uint64(size) > uint64(len(in)) {
		return out, p, malformed(p, "body of %d bytes runs past the end of the section", size)
	}
	end := q + int(size)
	b := in[:end]
	nl, lp, ok := readU32(b, q)
	for i := uint32(0); i < nl && ok; i++ {
		if _, lp, ok = readU32(b, lp); ok {
			lp, ok = skipValType(b, lp)
		}
	}
	if !ok {
		return out, p, malformed(lp, "bad or truncated local declarations")
	}
	locals := b[q:lp]

	mark := len(out)
	room := lebGap + len(locals) + len(m.check)
	out = slices.Grow(out, room)[:mark+room]
	out, ip, calls, err := m.walk(out, b, lp, true)
	if err != nil {
		return out, p, err
	}
	if ip != end {
		return out, p, malformed(ip, "the body's final end is %d bytes before the end of the body", end-ip)
	}
	var entry []byte
	if calls && !(lp < end && b[lp] == 0x03) {
		entry = m.check
	}
	code := mark + room
	n := len(locals) + len(entry) + (len(out) - code)
	start := code - len(entry) - len(locals) - sizeU32(uint32(n))
	w := appendU32(out[start:start], uint32(n))
	w = append(w, locals...)
	_ = append(w, entry...)
	if start > mark {
		copy(out[mark:], out[start:])
		out = out[:len(out)-(start-mark)]
	}
	return out, end, nil
}

// walk copies the instructions at p up to and including the end that closes them to out,
// rewriting on the way; b ends where they must end. body selects a function body (metering
// points and the memory.grow hook) over a constant expression. It returns the position after
// the closing end and whether the instructions contain a call.
func (m *module) walk(out, b []byte, p int, body bool) ([]byte, int, bool, error) {
	depth := 1
	last := p // b[last:p] is still to be copied
	calls := false
	for {
		if p >= len(b) {
			return out, p, calls, malformed(p, "instructions run past the end (missing end)")
		}
		at := p
		op := b[p]
		p++
		ok := true
		switch opImm[op] {
		case immNone:
		case immEnd:
			if depth--; depth == 0 {
				return append(out, b[last:p]...), p, calls, nil
			}
		case immIdx:
			if p < len(b) && b[p] < 0x80 { // most indices fit a byte
				p++
			} else {
				_, p, ok = readU32(b, p)
			}
		case immI32:
			p, ok = skipLEB(b, p, 5)
		case immMemarg:
			p, ok = skipMemarg(b, p)
		case immCall, immRefFunc:
			var idx uint32
			idx, p, ok = readU32(b, p)
			if ok && idx >= m.nFuncImports {
				out = append(out, b[last:at+1]...)
				out = appendU32(out, idx+m.shift)
				last = p
			}
			calls = calls || op != 0xd2
		case immBlock:
			depth++
			p, ok = skipBlockType(b, p)
		case immLoop:
			depth++
			if p, ok = skipBlockType(b, p); ok && body {
				out = append(out, b[last:p]...)
				out = append(out, m.check...)
				last = p
			}
		case immBrTable:
			var n uint32
			n, p, ok = readU32(b, p)
			for i := uint64(0); i <= uint64(n) && ok; i++ {
				p, ok = skipLEB(b, p, 5)
			}
		case immI64:
			p, ok = skipLEB(b, p, 10)
		case immF32:
			p += 4
			ok = p <= len(b)
		case immF64:
			p += 8
			ok = p <= len(b)
		case immCallIndirect:
			calls = true
			if _, p, ok = readU32(b, p); ok {
				_, p, ok = readU32(b, p)
			}
		case immCallRef:
			calls = true
			_, p, ok = readU32(b, p)
		case immMemGrow:
			var mem uint32
			mem, p, ok = readU32(b, p)
			if ok && body && mem == 0 && m.hookGrow {
				out = append(out, b[last:at]...)
				out = appendU32(append(out, 0x10), m.growFunc)
				last = p
			}
		case immDelegate:
			_, p, ok = readU32(b, p)
			if depth--; depth == 0 {
				return out, p, calls, malformed(at, "delegate closes the function's outermost block")
			}
		case immTryTable:
			depth++
			p, ok = skipTryTable(b, p)
		case immSelectT:
			var n uint32
			n, p, ok = readU32(b, p)
			for i := uint32(0); i < n && ok; i++ {
				p, ok = skipValType(b, p)
			}
		case immHeapType:
			p, ok = skipHeapType(b, p)
		case immPrefix:
			if op == 0xfc {
				if sub, _, ok := readU32(b, p); ok && (sub == 8 || sub == 9) { // memory.init, data.drop
					m.dataRefs = true
				}
			}
			var err error
			if p, err = skipPrefixed(b, p, op); err != nil {
				return out, p, calls, err
			}
		case immGC:
			return out, p, calls, unsupported(at, "garbage-collection instruction (opcode 0xfb)")
		default:
			return out, p, calls, malformed(at, "unknown opcode %#02x", op)
		}
		if !ok {
			return out, p, calls, malformed(at, "bad or truncated immediate of opcode %#02x", op)
		}
	}
}

// skipBlockType returns the position after the block type at p: 0x40 (empty), a value type,
// or a type index as a non-negative s33.
func skipBlockType(b []byte, p int) (int, bool) {
	if p >= len(b) {
		return p, false
	}
	switch t := b[p]; {
	case t == 0x40:
		return p + 1, true
	case t >= 0x7b && t <= 0x7f, isAbsHeapType(t), t == 0x63, t == 0x64:
		return skipValType(b, p)
	}
	v, q, ok := readS33(b, p)
	if !ok || v < 0 {
		return p, false
	}
	return q, true
}

// skipTryTable returns the position after try_table's block type and catch clauses.
func skipTryTable(b []byte, p int) (int, bool) {
	p, ok := skipBlockType(b, p)
	if !ok {
		return p, false
	}
	n, p, ok := readU32(b, p)
	for i := uint32(0); i < n && ok; i++ {
		if p >= len(b) || b[p] > 3 { // catch, catch_ref, catch_all, catch_all_ref
			return p, false
		}
		kind := b[p]
		p++
		if kind < 2 { // tag index
			if _, p, ok = readU32(b, p); !ok {
				return p, false
			}
		}
		_, p, ok = readU32(b, p) // label
	}
	return p, ok
}

// skipMemarg returns the position after a memory argument: alignment (bit 6 set: a memory
// index follows), then the offset (a u64 with memory64).
func skipMemarg(b []byte, p int) (int, bool) {
	align, p, ok := readU32(b, p)
	if !ok {
		return p, false
	}
	if align&0x40 != 0 {
		if _, p, ok = readU32(b, p); !ok {
			return p, false
		}
	}
	return skipLEB(b, p, 10)
}

// skipPrefixed returns the position after the instruction whose prefix byte was at p-1.
func skipPrefixed(b []byte, p int, prefix byte) (int, error) {
	at := p - 1
	sub, p, ok := readU32(b, p)
	if !ok {
		return p, malformed(at, "bad or truncated opcode after prefix %#02x", prefix)
	}
	known := true
	switch prefix {
	case 0xfc: // saturating truncation, bulk memory, table instructions
		switch {
		case sub <= 7:
		case sub == 8, sub == 10, sub == 12, sub == 14: // memory.init, memory.copy, table.init, table.copy
			if _, p, ok = readU32(b, p); ok {
				_, p, ok = readU32(b, p)
			}
		case sub <= 17: // data.drop, memory.fill, elem.drop, table.grow, table.size, table.fill
			_, p, ok = readU32(b, p)
		default:
			known = false
		}
	case 0xfd: // SIMD and relaxed SIMD
		switch {
		case sub <= 0x0b, sub == 0x5c, sub == 0x5d: // loads, store, load zero
			p, ok = skipMemarg(b, p)
		case sub == 0x0c, sub == 0x0d: // v128.const, i8x16.shuffle
			p += 16
			ok = p <= len(b)
		case sub >= 0x15 && sub <= 0x22: // extract_lane, replace_lane
			p++
			ok = p <= len(b)
		case sub >= 0x54 && sub <= 0x5b: // load_lane, store_lane
			if p, ok = skipMemarg(b, p); ok {
				p++
				ok = p <= len(b)
			}
		case sub <= 0xff && !simdReserved[sub], sub >= 0x100 && sub <= 0x113:
		default:
			known = false
		}
	case 0xfe: // threads
		switch {
		case sub <= 2, sub >= 0x10 && sub <= 0x4e: // notify, wait, atomic loads, stores, rmw
			p, ok = skipMemarg(b, p)
		case sub == 3: // atomic.fence: a reserved 0x00 byte
			ok = p < len(b) && b[p] == 0
			p++
		default:
			known = false
		}
	}
	if !known {
		return p, malformed(at, "unknown opcode %#02x %#x", prefix, sub)
	}
	if !ok {
		return p, malformed(at, "bad or truncated immediate of opcode %#02x %#x", prefix, sub)
	}
	return p, nil
}
