package instrument

import (
	"cmp"
	"math"
	"slices"
)

// Data segment coalescing.
//
// A Go guest has tens of thousands of active data segments (the Go linker starts a new one at
// every run of 8 zero bytes or more), and wazero evaluates the offset expression of each, with
// an allocation, and copies each at every instantiation: about 3 ms of a Go guest's cold start.
// Merging them into a few segments, with the gaps filled with zeros, removes that cost. It is
// done only when the result provably initialises memory the same way:
//
//   - memory 0 is defined by the module, not imported: a defined memory starts zeroed, so
//     writing zeros into a gap changes nothing, while an imported one may hold anything. It is a
//     32-bit memory with the default page size.
//   - every data segment is active on memory 0 with an offset that is a single i32.const: no
//     passive segment, no global.get or extended constant offset, no other memory.
//   - every segment lies within memory 0's minimum size, so none is out of bounds at
//     instantiation (the memory then has exactly its minimum size). Instantiation cannot fail on
//     data, before or after; a module with an out-of-bounds segment is left alone, so it fails
//     the same way, after the same partial writes.
//   - no two segments overlap (zero-length ones, which write nothing, aside): every byte is then
//     written by at most one segment, so the order of the segments does not matter, and they
//     are sorted by offset.
//   - no instruction refers to a data segment (memory.init, data.drop): segment indices are
//     then unobservable. The code section is read after the data count section is written, so
//     the data count section is rewritten first and put back when the code cancels the merge.
//   - the data count section, if any, matches the data section; it then holds the new count.
//   - no "name" section comes before the data section: the data names subsection of the name
//     section, whose indices the merge invalidates, is dropped, and a name section written
//     before the code has been read could not know whether to.
//
// Within those conditions, segments separated by at most maxGap bytes become one; a wider gap
// starts a new segment, so that a module with data far apart does not grow by the distance.
// Nothing is done when no two segments merge.

// dataSeg is an active data segment of memory 0 with a constant offset.
type dataSeg struct {
	off  uint64
	init []byte // in the input
}

// planData reads the data section and decides whether to coalesce it. It never fails: a data
// section it cannot read or may not merge is copied as it is.
func (m *module) planData() {
	s, ok := m.sec(secData)
	if !ok || !m.mem0Defined || m.mem0 != mem0Hookable {
		return
	}
	for _, x := range m.secs {
		if x.id == secCustom && x.name == "name" && x.hdr < s.hdr {
			return
		}
	}
	c := cursor{b: m.in[:s.end], p: s.start}
	n := c.u32("data segment count")
	// A segment takes at least 5 bytes: this bounds the allocation below.
	if c.err != nil || n < 2 || uint64(n)*5 > uint64(s.end-c.p) {
		return
	}
	limit := uint64(m.mem0Min) << 16
	segs := make([]dataSeg, 0, n)
	for i := uint32(0); i < n; i++ {
		switch c.u32("data segment flags") {
		case 0:
		case 2:
			if c.u32("memory index") != 0 {
				return
			}
		default: // passive, or unknown
			return
		}
		if c.byte1("offset") != 0x41 { // i32.const
			return
		}
		v, p, ok := readS32(c.b, c.p)
		if !ok {
			return
		}
		c.p = p
		if c.byte1("offset") != 0x0b { // end
			return
		}
		init := c.vec("data")
		off := uint64(uint32(v)) // as wazero and the spec read it
		if c.err != nil || off+uint64(len(init)) > limit {
			return
		}
		if len(init) > 0 {
			segs = append(segs, dataSeg{off: off, init: init})
		}
	}
	if c.done(); c.err != nil {
		return
	}
	if dc, ok := m.sec(secDataCount); ok {
		cc := cursor{b: m.in[:dc.end], p: dc.start}
		if cc.u32("data count") != n {
			return
		}
		if cc.done(); cc.err != nil {
			return
		}
	}
	slices.SortStableFunc(segs, func(a, b dataSeg) int { return cmp.Compare(a.off, b.off) })
	var groups []int
	var end uint64
	for i, sg := range segs {
		if i > 0 && sg.off < end {
			return // overlap: the order of the writes matters
		}
		next := sg.off + uint64(len(sg.init))
		// A segment's size is a u32: only a group covering all 4 GiB could overflow it.
		if i == 0 || sg.off-end > m.maxGap || next-segs[groups[len(groups)-1]].off > math.MaxUint32 {
			groups = append(groups, i)
		}
		end = next
	}
	if uint64(len(groups)) >= uint64(n) {
		return
	}
	m.coalesce, m.segs, m.groups = true, segs, groups
}

// dataSection writes the coalesced data section, or, when the code refers to data segments,
// the input's and the input's data count section back in place of the rewritten one.
func (m *module) dataSection(out []byte) []byte {
	if m.dataRefs {
		m.coalesce = false
		if m.dataCount != nil {
			dc, _ := m.sec(secDataCount)
			out = slices.Replace(out, m.dataCount[0], m.dataCount[1], m.in[dc.hdr:dc.end]...)
		}
		s, _ := m.sec(secData)
		return append(out, m.in[s.hdr:s.end]...)
	}
	size := 0
	for _, sg := range m.segs {
		size += len(sg.init)
	}
	out = slices.Grow(out, size+len(m.groups)*16+16)
	out = append(out, secData)
	out, mark := openSized(out)
	out = appendU32(out, uint32(len(m.groups)))
	for g, first := range m.groups {
		last := len(m.segs)
		if g+1 < len(m.groups) {
			last = m.groups[g+1]
		}
		start := m.segs[first].off
		end := m.segs[last-1].off + uint64(len(m.segs[last-1].init))
		out = append(out, 0x00, 0x41) // active on memory 0, i32.const
		out = appendS32(out, int32(uint32(start)))
		out = append(out, 0x0b)
		out = appendU32(out, uint32(end-start))
		at := start
		for _, sg := range m.segs[first:last] {
			out = append(out, make([]byte, sg.off-at)...)
			out = append(out, sg.init...)
			at = sg.off + uint64(len(sg.init))
		}
	}
	return closeSized(out, mark)
}
