// Package instrument rewrites a WebAssembly module once, at load time, so that a guest that
// computes for a long time without calling the host still comes back to it often: the host can
// then end the call at a deadline without wazero's WithCloseOnContextDone (which costs 5–50x),
// and the Go runtime's garbage collector is never held up by a goroutine stuck in wasm (see
// DESIGN.md §6 and ABI.md §7).
//
// # What the rewritten module does
//
// Instrument adds a mutable i32 global, the counter, starting at the interval, and exports it as
// CounterExport. At every metering point the guest decrements the counter; when the result is
// zero or less it resets the counter to the interval and calls the added import
// (abi.MeterModule, abi.FuncYield) of type () -> (). The host's yield checks the deadline and
// other limits and, when one has passed, ends the call by panicking with a wazero
// *sys.ExitError; it must not block. Metering points are:
//
//   - the top of every loop body, so every back edge passes one, and
//   - the entry of every function that contains a call instruction (call, call_indirect,
//     call_ref or their return_call forms), so that recursion without loops is caught too.
//     A function with neither loops nor calls runs a bounded number of instructions and is
//     left alone; a function whose body starts with a loop is metered by that loop.
//
// So the host sees a yield every Interval metering points. To force an early yield, set the
// exported counter to 1 (any value ≤ 1 yields at the next metering point).
//
// With Options.HookMemoryGrow, and when memory 0 is a 32-bit memory with the default page size,
// the rewriter also adds the import (abi.MeterModule, abi.FuncMemoryGrow) of type (i32) -> i32
// and every memory.grow on memory 0 becomes a call to it. The host must grow the caller's memory
// 0 exactly as the instruction would (return the old size in pages, or -1), so that it sees each
// growth and can tell an out-of-memory failure from any other. Growth of other memories, and of a
// 64-bit memory 0, is left alone.
//
// # Data segments
//
// Unless Options.KeepDataSegments is set, the rewriter also merges the active data segments into
// a few, writing the zero bytes of the gaps between them, when that provably leaves memory as
// the input's segments would after instantiation (data.go lists the conditions; in short: memory
// 0 is a 32-bit memory the module defines, every segment is active on it at an i32.const offset
// within its minimum size, no two overlap, and no instruction refers to a data segment). A gap
// longer than Options.MaxDataGap (DefaultMaxDataGap, 256 bytes) starts a new segment. A Go
// guest's 37,000 segments become 3 and wazero's instantiation takes about half as long, with a
// sixth of the allocations (BenchmarkInstantiateGoGuest: 3.1 ms and 43,500 allocations before,
// 1.9 ms and 6,500 after); its data section grows by a third, with the zeros of the gaps.
//
// # Index changes
//
// The added imports come after the module's own imports, so every defined function's index
// grows by the number of added imports (1, or 2 with the memory_grow hook); the rewriter fixes
// every reference: call, return_call, ref.func (in code and in constant expressions), exports,
// the start function, element segments of every kind, and the function, local and label names
// of the "name" custom section (which is dropped if it cannot be read). Coalesced data segments
// get new indices, which nothing refers to: the data count section gets the new count and the
// name section loses its data names. Type, global, table, memory, tag and element indices, and
// data indices without coalescing, do not change: the added types go after the existing
// ones (an identical existing type is reused) and the counter after the existing globals.
// Custom sections are kept, except "metadata.code.*" ones (code metadata such as branch hints),
// whose byte offsets into function bodies the rewriting invalidates. DWARF ".debug_*" sections
// are kept as they are, although their code offsets refer to the original module.
//
// Instrument does not validate the module beyond what it needs to read it; the engine does.
// It reads WebAssembly 2.0 and the threads, exception handling (legacy and try_table), tail
// call, typed function references, multi-memory, memory64, extended constant and relaxed SIMD
// proposals. It refuses components and garbage-collection types and instructions.
//
// # Cost
//
// The rewrite reads every instruction once and copies the rest: about 7 ms for a 3.4 MB Go
// guest (BenchmarkInstrumentGoGuest). The warm cost of the metering points is measured by
// BenchmarkCompute and BenchmarkGoGuestJSON, beside WithCloseOnContextDone: about 1.1x on Go
// JSON work and on a loop over memory, up to 2x on a loop of three instructions.
package instrument

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/wasmap/wasmap/abi"
)

// DefaultInterval is the number of metering points between two yields when Options.Interval is 0.
const DefaultInterval = 10000

// DefaultMaxDataGap is the longest gap between two data segments that coalescing fills with
// zeros when Options.MaxDataGap is 0. Writing 256 zero bytes costs wazero less than starting a
// segment does, and the output grows by at most 256 bytes per segment saved.
const DefaultMaxDataGap = 256

// CounterExport is the name under which the rewritten module exports its counter global (a
// mutable i32).
const CounterExport = "__wasmap_meter"

// Options tune Instrument.
type Options struct {
	// Interval is the number of metering points between two calls of yield (the counter's start
	// and reset value). 0 means DefaultInterval; it must not be negative.
	Interval int32
	// HookMemoryGrow replaces memory.grow on memory 0 by a call to the memory_grow import.
	HookMemoryGrow bool
	// KeepDataSegments turns off the coalescing of data segments (see the package documentation),
	// which is on by default.
	KeepDataSegments bool
	// MaxDataGap is the longest run of zero bytes that coalescing writes into a segment to join
	// it to the next one; a longer gap starts a new segment. 0 means DefaultMaxDataGap; it must
	// not be negative.
	MaxDataGap int
}

// Instrument returns a rewritten copy of the binary module wasm; see the package documentation
// for what it adds. wasm is not modified and the result does not share memory with it.
//
// Errors about the module wrap ErrMalformed, ErrUnsupported or ErrReserved and say where the
// problem is (section, function, byte offset); a negative Options.Interval is an error too.
// Instrument never panics, whatever the input. It is goroutine-safe.
func Instrument(wasm []byte, opts Options) ([]byte, error) {
	if opts.Interval < 0 {
		return nil, fmt.Errorf("instrument: Options.Interval is %d, must not be negative", opts.Interval)
	}
	if opts.MaxDataGap < 0 {
		return nil, fmt.Errorf("instrument: Options.MaxDataGap is %d, must not be negative", opts.MaxDataGap)
	}
	m := &module{in: wasm, interval: opts.Interval, hookOpt: opts.HookMemoryGrow, yieldType: -1, growType: -1,
		maxGap: uint64(opts.MaxDataGap)}
	if m.interval == 0 {
		m.interval = DefaultInterval
	}
	if m.maxGap == 0 {
		m.maxGap = DefaultMaxDataGap
	}
	if err := m.split(); err != nil {
		return nil, err
	}
	if err := m.scan(); err != nil {
		return nil, err
	}
	m.plan()
	if !opts.KeepDataSegments {
		m.planData()
	}
	return m.emit()
}

// Section ids.
const (
	secCustom    = 0
	secType      = 1
	secImport    = 2
	secFunction  = 3
	secTable     = 4
	secMemory    = 5
	secGlobal    = 6
	secExport    = 7
	secStart     = 8
	secElement   = 9
	secCode      = 10
	secData      = 11
	secDataCount = 12
	secTag       = 13
	numSections  = 14
)

// sectionRank is the position each known section must keep in a module (the tag section sits
// between memory and global, the data count section between element and code).
var sectionRank = [numSections]int{
	secType: 1, secImport: 2, secFunction: 3, secTable: 4, secMemory: 5, secTag: 6,
	secGlobal: 7, secExport: 8, secStart: 9, secElement: 10, secDataCount: 11, secCode: 12, secData: 13,
}

var sectionName = [numSections]string{
	"custom section", "type section", "import section", "function section", "table section",
	"memory section", "global section", "export section", "start section", "element section",
	"code section", "data section", "data count section", "tag section",
}

// section is one section of the input: its payload is in[start:end].
type section struct {
	id         byte
	hdr        int // offset of the id byte
	start, end int
	name       string // custom sections only
}

// memory 0 as far as the memory_grow hook is concerned.
const (
	mem0None     = iota // no memory
	mem0Hookable        // 32-bit, default page size
	mem0Other           // 64-bit or custom page size: left alone
)

// module is the state of one rewriting.
type module struct {
	in       []byte
	interval int32
	hookOpt  bool
	maxGap   uint64

	secs    []section
	present [numSections]int // index in secs + 1; 0 when absent

	// Read from the input by scan.
	nTypes         uint32
	yieldType      int64 // index of an existing () -> () type, or -1
	growType       int64 // index of an existing (i32) -> (i32) type, or -1
	nFuncImports   uint32
	nGlobalImports uint32
	nGlobals       uint32 // defined
	nFuncs         uint32 // defined (function section)
	mem0           int
	mem0Defined    bool   // memory 0 is defined by the module (not imported)
	mem0Min        uint32 // its minimum size in pages, when it is defined and mem0Hookable
	dataRefs       bool   // the code has memory.init or data.drop (known once the code is read)

	// Decided by plan.
	hookGrow  bool
	shift     uint32 // added function imports
	yieldFunc uint32
	growFunc  uint32
	yieldTIdx uint32
	growTIdx  uint32
	addTypes  []byte // encoded types to append to the type section
	nAddTypes uint32
	counter   uint32 // global index of the counter
	check     []byte // the metering sequence

	// Data segment coalescing, decided by planData and cancelled by the data section's emission
	// when the code turns out to refer to data segments.
	coalesce  bool
	segs      []dataSeg // sorted by offset, non-empty
	groups    []int     // index in segs of the first segment of each output segment
	dataCount []int     // start and end in the output of the rewritten data count section
}

// split checks the header and cuts the input into sections.
func (m *module) split() error {
	in := m.in
	if len(in) < 8 || !bytes.Equal(in[:4], []byte("\x00asm")) {
		return &formatError{kind: ErrMalformed, section: "header", fn: -1, msg: "not a wasm binary (no \\0asm magic)"}
	}
	if !bytes.Equal(in[4:8], []byte{1, 0, 0, 0}) {
		if in[6] == 1 && in[7] == 0 {
			return &formatError{kind: ErrUnsupported, section: "header", fn: -1, offset: 4, msg: "a component, not a core module"}
		}
		return &formatError{kind: ErrMalformed, section: "header", fn: -1, offset: 4, msg: fmt.Sprintf("unknown binary version % x", in[4:8])}
	}
	p := 8
	lastRank := 0
	for p < len(in) {
		at := p
		id := in[p]
		size, q, ok := readU32(in, p+1)
		if !ok {
			return &formatError{kind: ErrMalformed, section: "section header", fn: -1, offset: p + 1, msg: "bad or truncated section size"}
		}
		if uint64(q)+uint64(size) > uint64(len(in)) {
			return &formatError{kind: ErrMalformed, section: "section header", fn: -1, offset: at,
				msg: fmt.Sprintf("section id %d of %d bytes runs past the end of the module (%d bytes)", id, size, len(in))}
		}
		s := section{id: id, hdr: at, start: q, end: q + int(size)}
		if id >= numSections {
			return &formatError{kind: ErrMalformed, section: "section header", fn: -1, offset: at, msg: fmt.Sprintf("unknown section id %d", id)}
		}
		if id == secCustom {
			c := cursor{b: in[:s.end], p: s.start}
			s.name = string(c.vec("custom section name"))
			if c.err != nil {
				return inSection(c.err, "custom section")
			}
			s.start = c.p
		} else {
			r := sectionRank[id]
			if r <= lastRank {
				return &formatError{kind: ErrMalformed, section: sectionName[id], fn: -1, offset: at, msg: "section out of order or repeated"}
			}
			lastRank = r
			m.present[id] = len(m.secs) + 1
		}
		m.secs = append(m.secs, s)
		p = s.end
	}
	return nil
}

// sec returns the section with the id, if present.
func (m *module) sec(id int) (section, bool) {
	if i := m.present[id]; i > 0 {
		return m.secs[i-1], true
	}
	return section{}, false
}

// scan reads what the rewriting needs from the type, import, function, memory, global and
// export sections.
func (m *module) scan() error {
	if s, ok := m.sec(secType); ok {
		if err := m.scanTypes(s); err != nil {
			return inSection(err, "type section")
		}
	}
	if s, ok := m.sec(secImport); ok {
		if err := m.scanImports(s); err != nil {
			return inSection(err, "import section")
		}
	}
	if s, ok := m.sec(secFunction); ok {
		c := cursor{b: m.in[:s.end], p: s.start}
		m.nFuncs = c.u32("function count")
		if c.err != nil {
			return inSection(c.err, "function section")
		}
	}
	if s, ok := m.sec(secMemory); ok && m.mem0 == mem0None {
		c := cursor{b: m.in[:s.end], p: s.start}
		if c.u32("memory count") > 0 {
			at := c.p
			m.mem0 = memKind(c.limits("memory limits"))
			if c.err == nil && m.mem0 == mem0Hookable {
				m.mem0Defined = true
				m.mem0Min, _, _ = readU32(m.in[:s.end], at+1)
			}
		}
		if c.err != nil {
			return inSection(c.err, "memory section")
		}
	}
	if s, ok := m.sec(secGlobal); ok {
		c := cursor{b: m.in[:s.end], p: s.start}
		m.nGlobals = c.u32("global count")
		if c.err != nil {
			return inSection(c.err, "global section")
		}
	}
	if s, ok := m.sec(secExport); ok {
		c := cursor{b: m.in[:s.end], p: s.start}
		n := c.u32("export count")
		for i := uint32(0); i < n && c.err == nil; i++ {
			at := c.p
			name := c.vec("export name")
			c.byte1("export kind")
			c.u32("export index")
			if c.err == nil && string(name) == CounterExport {
				return fmt.Errorf("instrument: %w: export section: offset %#x: the module already exports %q", ErrReserved, at, CounterExport)
			}
		}
		if c.err != nil {
			return inSection(c.err, "export section")
		}
	}
	return nil
}

func memKind(flags byte) int {
	if flags&0x0c != 0 { // memory64 or custom page size
		return mem0Other
	}
	return mem0Hookable
}

// scanTypes counts the types and looks for ones the added imports can reuse.
func (m *module) scanTypes(s section) error {
	c := cursor{b: m.in[:s.end], p: s.start}
	n := c.u32("type count")
	for i := uint32(0); i < n && c.err == nil; i++ {
		at := c.p
		form := c.byte1("type form")
		if c.err != nil {
			break
		}
		if form != 0x60 {
			switch form {
			case 0x4e, 0x50, 0x4f, 0x5f, 0x5e:
				return unsupported(at, "garbage-collection type (form %#x)", form)
			}
			return malformed(at, "type %d: unknown type form %#x", i, form)
		}
		for k := 0; k < 2; k++ {
			cnt := c.u32("function type arity")
			for j := uint32(0); j < cnt && c.err == nil; j++ {
				c.valType()
			}
		}
		if c.err != nil {
			break
		}
		switch t := m.in[at:c.p]; {
		case m.yieldType < 0 && bytes.Equal(t, []byte{0x60, 0, 0}):
			m.yieldType = int64(i)
		case m.growType < 0 && bytes.Equal(t, []byte{0x60, 1, 0x7f, 1, 0x7f}):
			m.growType = int64(i)
		}
	}
	m.nTypes = n
	c.done()
	return c.err
}

// scanImports counts function and global imports, finds memory 0 and refuses the meter module.
func (m *module) scanImports(s section) error {
	c := cursor{b: m.in[:s.end], p: s.start}
	n := c.u32("import count")
	for i := uint32(0); i < n && c.err == nil; i++ {
		at := c.p
		mod := c.vec("import module name")
		c.vec("import name")
		if c.err != nil {
			break
		}
		if string(mod) == abi.MeterModule {
			return fmt.Errorf("instrument: %w: import section: offset %#x: the module already imports from %q (instrumented twice?)", ErrReserved, at, abi.MeterModule)
		}
		switch kind := c.byte1("import kind"); kind {
		case 0x00:
			c.u32("function type index")
			m.nFuncImports++
		case 0x01:
			c.refType()
			c.limits("table limits")
		case 0x02:
			f := c.limits("memory limits")
			if m.mem0 == mem0None && c.err == nil {
				m.mem0 = memKind(f)
			}
		case 0x03:
			c.valType()
			c.byte1("global mutability")
			m.nGlobalImports++
		case 0x04:
			c.byte1("tag attribute")
			c.u32("tag type index")
		default:
			if c.err == nil {
				return malformed(c.p-1, "import %d: unknown import kind %#x", i, kind)
			}
		}
	}
	c.done()
	return c.err
}

// plan decides the indices of everything added and builds the metering sequence.
func (m *module) plan() {
	m.hookGrow = m.hookOpt && m.mem0 == mem0Hookable
	next := m.nTypes
	if m.yieldType >= 0 {
		m.yieldTIdx = uint32(m.yieldType)
	} else {
		m.yieldTIdx = next
		next++
		m.addTypes = append(m.addTypes, 0x60, 0, 0)
	}
	if m.hookGrow {
		if m.growType >= 0 {
			m.growTIdx = uint32(m.growType)
		} else {
			m.growTIdx = next
			next++
			m.addTypes = append(m.addTypes, 0x60, 1, 0x7f, 1, 0x7f)
		}
	}
	m.nAddTypes = next - m.nTypes
	m.yieldFunc = m.nFuncImports
	m.shift = 1
	if m.hookGrow {
		m.growFunc = m.nFuncImports + 1
		m.shift = 2
	}
	m.counter = m.nGlobalImports + m.nGlobals

	// c = c - 1; if c <= 0 { c = interval; yield() }
	// wazero keeps a global's value in a register along a straight path, so reading c again
	// after setting it costs no load; "<= 0" instead of "== 0" keeps a counter that the host
	// set to 0 or below from wrapping around.
	g := m.counter
	b := appendU32([]byte{0x23}, g)             // global.get c
	b = append(b, 0x41, 0x01, 0x6b, 0x24)       // i32.const 1; i32.sub; global.set
	b = appendU32(b, g)                         //   c
	b = appendU32(append(b, 0x23), g)           // global.get c
	b = append(b, 0x41, 0x00, 0x4c, 0x04, 0x40) // i32.const 0; i32.le_s; if
	b = appendS32(append(b, 0x41), m.interval)  //   i32.const interval
	b = appendU32(append(b, 0x24), g)           //   global.set c
	b = appendU32(append(b, 0x10), m.yieldFunc) //  call yield
	m.check = append(b, 0x0b)                   // end
}

// emit writes the output module.
func (m *module) emit() ([]byte, error) {
	in := m.in
	out := make([]byte, 0, len(in)+len(in)/4+256)
	out = append(out, in[:8]...)
	// Sections the rewriting must add when the input lacks them.
	synth := []int{secType, secImport, secGlobal, secExport}
	// Custom sections after the last known one stay last (tools expect "name" after data).
	lastKnown := -1
	for i, s := range m.secs {
		if s.id != secCustom {
			lastKnown = i
		}
	}
	var err error
	for i, s := range m.secs {
		if s.id != secCustom || i > lastKnown {
			for len(synth) > 0 && (s.id == secCustom || sectionRank[synth[0]] < sectionRank[s.id]) {
				if m.present[synth[0]] == 0 {
					out = m.emitSection(out, synth[0], section{})
				}
				synth = synth[1:]
			}
		}
		out, err = m.emitInput(out, s)
		if err != nil {
			return nil, err
		}
	}
	for _, id := range synth {
		if m.present[id] == 0 {
			out = m.emitSection(out, id, section{})
		}
	}
	return out, nil
}

// emitSection writes a section the rewriting adds (s is empty) or changes without reading
// anything it could fail on.
func (m *module) emitSection(out []byte, id int, s section) []byte {
	out = append(out, byte(id))
	out, mark := openSized(out)
	switch id {
	case secType:
		out = m.typeSection(out, s)
	case secImport:
		out = m.importSection(out, s)
	case secGlobal:
		// the global section is rewritten by emitInput; this is the added one.
		out = m.appendCounter(appendU32(out, 1))
	case secExport:
		out = m.appendCounterExport(appendU32(out, 1))
	}
	return closeSized(out, mark)
}

// emitInput writes one input section, rewritten as needed.
func (m *module) emitInput(out []byte, s section) ([]byte, error) {
	in := m.in
	var err error
	switch s.id {
	case secCustom:
		return m.customSection(out, s), nil
	case secType, secImport:
		return m.emitSection(out, int(s.id), s), nil
	case secTable, secGlobal, secExport, secStart, secElement, secCode:
		out = append(out, s.id)
		var mark int
		out, mark = openSized(out)
		switch s.id {
		case secTable:
			out, err = m.tableSection(out, s)
		case secGlobal:
			out, err = m.globalSection(out, s)
		case secExport:
			out, err = m.exportSection(out, s)
		case secStart:
			out, err = m.startSection(out, s)
		case secElement:
			out, err = m.elementSection(out, s)
		case secCode:
			out, err = m.codeSection(out, s)
		}
		if err != nil {
			return nil, inSection(err, sectionName[s.id])
		}
		return closeSized(out, mark), nil
	case secDataCount:
		if m.coalesce {
			start := len(out)
			out = append(out, secDataCount, byte(sizeU32(uint32(len(m.groups)))))
			out = appendU32(out, uint32(len(m.groups)))
			m.dataCount = []int{start, len(out)}
			return out, nil
		}
	case secData:
		if m.coalesce {
			return m.dataSection(out), nil
		}
	}
	// function, memory, tag, data count, data: unchanged
	return append(out, in[s.hdr:s.end]...), nil
}

// customSection copies a custom section, rewrites the name section and drops code metadata.
func (m *module) customSection(out []byte, s section) []byte {
	if strings.HasPrefix(s.name, "metadata.code.") {
		return out
	}
	before := len(out)
	out = append(out, secCustom)
	out, mark := openSized(out)
	out = appendU32(out, uint32(len(s.name)))
	out = append(out, s.name...)
	if s.name == "name" {
		var ok bool
		if out, ok = m.nameSection(out, s); !ok {
			return out[:before] // unreadable: drop it rather than keep wrong names
		}
	} else {
		out = append(out, m.in[s.start:s.end]...)
	}
	return closeSized(out, mark)
}
