package instrument

import "github.com/wasmap/wasmap/abi"

// cursor reads the entries of a section. Its first error sticks: later reads return zero
// values, so a parse can run to its end and check err once.
type cursor struct {
	b   []byte // the input up to the end of the region read
	p   int    // absolute position
	err error
}

func (c *cursor) fail(at int, format string, args ...any) {
	if c.err == nil {
		c.err = malformed(at, format, args...)
	}
}

func (c *cursor) u32(what string) uint32 {
	if c.err != nil {
		return 0
	}
	v, p, ok := readU32(c.b, c.p)
	if !ok {
		c.fail(c.p, "bad or truncated LEB128 (%s)", what)
		return 0
	}
	c.p = p
	return v
}

func (c *cursor) byte1(what string) byte {
	if c.err != nil {
		return 0
	}
	if c.p >= len(c.b) {
		c.fail(c.p, "truncated (%s)", what)
		return 0
	}
	c.p++
	return c.b[c.p-1]
}

// vec reads a length-prefixed byte string.
func (c *cursor) vec(what string) []byte {
	n := c.u32(what)
	if c.err != nil {
		return nil
	}
	if uint64(c.p)+uint64(n) > uint64(len(c.b)) {
		c.fail(c.p, "%s of %d bytes runs past the end", what, n)
		return nil
	}
	c.p += int(n)
	return c.b[c.p-int(n) : c.p]
}

func (c *cursor) valType() {
	if c.err != nil {
		return
	}
	p, ok := skipValType(c.b, c.p)
	if !ok {
		c.fail(c.p, "bad value type")
		return
	}
	c.p = p
}

func (c *cursor) refType() {
	if c.err != nil {
		return
	}
	if c.p < len(c.b) && (c.b[c.p] == 0x63 || c.b[c.p] == 0x64 || isAbsHeapType(c.b[c.p])) {
		c.valType()
		return
	}
	c.fail(c.p, "bad reference type")
}

// limits reads table or memory limits and returns their flags.
func (c *cursor) limits(what string) byte {
	at := c.p
	f := c.byte1(what)
	if c.err != nil {
		return 0
	}
	if f > 0x0f {
		c.fail(at, "unknown %s flags %#x", what, f)
		return 0
	}
	n := 1 + int(f&1)
	for i := 0; i < n && c.err == nil; i++ {
		if f&0x04 != 0 { // 64-bit
			p, ok := skipLEB(c.b, c.p, 10)
			if !ok {
				c.fail(c.p, "bad or truncated LEB128 (%s)", what)
			}
			c.p = p
		} else {
			c.u32(what)
		}
	}
	if f&0x08 != 0 { // custom page size
		c.u32("page size")
	}
	return f
}

// done checks that the section was read to its end.
func (c *cursor) done() {
	if c.err == nil && c.p != len(c.b) {
		c.fail(c.p, "%d unread bytes at the end", len(c.b)-c.p)
	}
}

// isAbsHeapType reports whether t is an abstract heap type, which doubles as the one-byte
// short form of its nullable reference type (0x70 funcref, 0x6f externref, 0x69 exnref, and
// the garbage-collection proposal's any, eq, i31, struct, array and bottom types).
func isAbsHeapType(t byte) bool { return t >= 0x69 && t <= 0x74 }

// skipValType returns the position after the value type at p.
func skipValType(b []byte, p int) (int, bool) {
	if p >= len(b) {
		return p, false
	}
	switch t := b[p]; {
	case t >= 0x7b && t <= 0x7f, isAbsHeapType(t): // i32 i64 f32 f64 v128, short reference types
		return p + 1, true
	case t == 0x63 || t == 0x64: // (ref null ht), (ref ht)
		return skipHeapType(b, p+1)
	}
	return p, false
}

// skipHeapType returns the position after the heap type (an s33) at p.
func skipHeapType(b []byte, p int) (int, bool) {
	v, q, ok := readS33(b, p)
	if !ok || (v < 0 && (q != p+1 || !isAbsHeapType(b[p]))) {
		return p, false
	}
	return q, true
}

// typeSection writes the type section with the added types appended; s.end == 0 means the
// input has none.
func (m *module) typeSection(out []byte, s section) []byte {
	if s.end == 0 {
		return append(appendU32(out, m.nAddTypes), m.addTypes...)
	}
	_, p, _ := readU32(m.in, s.start) // read by scanTypes
	out = appendU32(out, m.nTypes+m.nAddTypes)
	out = append(out, m.in[p:s.end]...)
	return append(out, m.addTypes...)
}

// importSection writes the import section with the meter imports appended.
func (m *module) importSection(out []byte, s section) []byte {
	var n uint32
	if s.end != 0 {
		var p int
		n, p, _ = readU32(m.in, s.start) // read by scanImports
		out = appendU32(out, n+m.shift)
		out = append(out, m.in[p:s.end]...)
	} else {
		out = appendU32(out, m.shift)
	}
	out = appendFuncImport(out, abi.FuncYield, m.yieldTIdx)
	if m.hookGrow {
		out = appendFuncImport(out, abi.FuncMemoryGrow, m.growTIdx)
	}
	return out
}

func appendFuncImport(out []byte, name string, typeIdx uint32) []byte {
	out = appendU32(out, uint32(len(abi.MeterModule)))
	out = append(out, abi.MeterModule...)
	out = appendU32(out, uint32(len(name)))
	out = append(out, name...)
	return appendU32(append(out, 0x00), typeIdx)
}

// appendCounter appends the counter's global entry: (mut i32) (i32.const interval).
func (m *module) appendCounter(out []byte) []byte {
	out = append(out, 0x7f, 0x01, 0x41)
	return append(appendS32(out, m.interval), 0x0b)
}

// appendCounterExport appends the counter's export entry.
func (m *module) appendCounterExport(out []byte) []byte {
	out = appendU32(out, uint32(len(CounterExport)))
	out = append(out, CounterExport...)
	return appendU32(append(out, 0x03), m.counter)
}

// patch copies the input through to the output, replacing function indices on the way.
type patch struct {
	m    *module
	out  []byte
	last int // input before last is written
}

// to copies the input up to p.
func (w *patch) to(p int) { w.out = append(w.out, w.m.in[w.last:p]...); w.last = p }

// funcIdx reads a function index at c.p and writes its new value.
func (w *patch) funcIdx(c *cursor) {
	at := c.p
	idx := c.u32("function index")
	if c.err == nil && idx >= w.m.nFuncImports {
		w.to(at)
		w.out = appendU32(w.out, idx+w.m.shift)
		w.last = c.p
	}
}

// expr rewrites the constant expression at c.p.
func (w *patch) expr(c *cursor) {
	if c.err != nil {
		return
	}
	w.to(c.p)
	out, p, _, err := w.m.walk(w.out, c.b, c.p, false)
	if err != nil {
		c.err = err
		return
	}
	w.out, w.last, c.p = out, p, p
}

func (m *module) tableSection(out []byte, s section) ([]byte, error) {
	c := &cursor{b: m.in[:s.end], p: s.start}
	w := &patch{m: m, out: out, last: s.start}
	n := c.u32("table count")
	for i := uint32(0); i < n && c.err == nil; i++ {
		if c.p < len(c.b) && c.b[c.p] == 0x40 { // table with an initializer expression
			c.p++
			if c.byte1("table form") != 0 {
				c.fail(c.p-1, "table %d: expected 0x00 after 0x40", i)
			}
			c.refType()
			c.limits("table limits")
			w.expr(c)
		} else {
			c.refType()
			c.limits("table limits")
		}
	}
	if c.done(); c.err != nil {
		return w.out, c.err
	}
	w.to(s.end)
	return w.out, c.err
}

func (m *module) globalSection(out []byte, s section) ([]byte, error) {
	c := &cursor{b: m.in[:s.end], p: s.start}
	n := c.u32("global count")
	w := &patch{m: m, out: appendU32(out, n+1), last: c.p}
	for i := uint32(0); i < n && c.err == nil; i++ {
		c.valType()
		c.byte1("global mutability")
		w.expr(c)
	}
	if c.done(); c.err != nil {
		return w.out, c.err
	}
	w.to(s.end)
	return m.appendCounter(w.out), c.err
}

func (m *module) exportSection(out []byte, s section) ([]byte, error) {
	c := &cursor{b: m.in[:s.end], p: s.start}
	n := c.u32("export count")
	w := &patch{m: m, out: appendU32(out, n+1), last: c.p}
	for i := uint32(0); i < n && c.err == nil; i++ {
		c.vec("export name")
		if c.byte1("export kind") == 0x00 {
			w.funcIdx(c)
		} else {
			c.u32("export index")
		}
	}
	if c.done(); c.err != nil {
		return w.out, c.err
	}
	w.to(s.end)
	return m.appendCounterExport(w.out), c.err
}

func (m *module) startSection(out []byte, s section) ([]byte, error) {
	c := &cursor{b: m.in[:s.end], p: s.start}
	w := &patch{m: m, out: out, last: s.start}
	w.funcIdx(c)
	if c.done(); c.err != nil {
		return w.out, c.err
	}
	w.to(s.end)
	return w.out, c.err
}

func (m *module) elementSection(out []byte, s section) ([]byte, error) {
	c := &cursor{b: m.in[:s.end], p: s.start}
	w := &patch{m: m, out: out, last: s.start}
	n := c.u32("element segment count")
	for i := uint32(0); i < n && c.err == nil; i++ {
		at := c.p
		flags := c.u32("element segment flags")
		if flags > 7 {
			c.fail(at, "element segment %d: unknown flags %d", i, flags)
			break
		}
		if flags&3 == 2 { // active with a table index
			c.u32("table index")
		}
		if flags&1 == 0 { // active: offset expression
			w.expr(c)
		}
		exprs := flags&4 != 0
		if flags&3 != 0 { // element kind or reference type
			if exprs {
				c.refType()
			} else if k := c.byte1("element kind"); k != 0 && c.err == nil {
				c.fail(c.p-1, "element segment %d: unknown element kind %#x", i, k)
			}
		}
		cnt := c.u32("element count")
		for j := uint32(0); j < cnt && c.err == nil; j++ {
			if exprs {
				w.expr(c)
			} else {
				w.funcIdx(c)
			}
		}
	}
	if c.done(); c.err != nil {
		return w.out, c.err
	}
	w.to(s.end)
	return w.out, c.err
}

// nameSection rewrites the function indices of the name section's function, local and label
// names. It reports false when the section cannot be read (the caller then drops it).
func (m *module) nameSection(out []byte, s section) ([]byte, bool) {
	c := &cursor{b: m.in[:s.end], p: s.start}
	for c.p < s.end && c.err == nil {
		hdr := c.p
		id := c.byte1("name subsection id")
		size := c.u32("name subsection size")
		if c.err != nil || uint64(c.p)+uint64(size) > uint64(s.end) {
			return out, false
		}
		end := c.p + int(size)
		if id == 9 && m.coalesce { // data names: the indices are gone
			c.p = end
			continue
		}
		if id < 1 || id > 3 { // not indexed by function
			out = append(out, m.in[hdr:end]...)
			c.p = end
			continue
		}
		sub := &cursor{b: m.in[:end], p: c.p}
		out = append(out, id)
		var mark int
		out, mark = openSized(out)
		w := &patch{m: m, out: out, last: sub.p}
		n := sub.u32("name count")
		for i := uint32(0); i < n && sub.err == nil; i++ {
			w.funcIdx(sub)
			if id == 1 {
				sub.vec("function name")
				continue
			}
			k := sub.u32("name count")
			for j := uint32(0); j < k && sub.err == nil; j++ {
				sub.u32("index")
				sub.vec("name")
			}
		}
		sub.done()
		if sub.err != nil {
			return out, false
		}
		w.to(end)
		out = closeSized(w.out, mark)
		c.p = end
	}
	return out, c.err == nil
}
