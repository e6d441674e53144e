package instrument_test

import (
	"bytes"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/wasmap/wasmap/abi"
	"github.com/wasmap/wasmap/runner/internal/guesttest"
	"github.com/wasmap/wasmap/runner/internal/instrument"
)

// watModules exercise the opcode families and module structures the rewriter must read. Every
// function is named, so that the name-section check below can compare references by name.
var watModules = []struct {
	name string
	src  string
	// memory.grow instructions left in place with HookMemoryGrow (not on a 32-bit memory 0).
	keepGrow int
	// memory 0 is not a 32-bit memory: memory_grow is not imported.
	noHook bool
	// the module has the types of the added imports: no type is added.
	sameTypes bool
}{
	{name: "empty", src: `(module)`},
	{name: "mvp", src: `(module
  (import "env" "f" (func $f (param i32) (result i32)))
  (memory 1 3)
  (global $g (mut i32) (i32.const 0))
  (table 2 funcref)
  (elem (i32.const 0) $loop $grow)
  (data (i32.const 8) "data")
  (func $loop (export "loop") (param i32) (result i32) (local i32 i64 f32 f64)
    (loop $l
      (local.set 1 (i32.add (local.get 1) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get 1) (local.get 0))))
    (local.set 2 (i64.const -9000000000))
    (local.set 3 (f32.const 1.5))
    (local.set 4 (f64.const -2.25))
    (i64.store offset=16 align=4 (i32.const 0) (local.get 2))
    (f64.store (i32.const 24) (f64.add (local.get 4) (f64.promote_f32 (local.get 3))))
    (drop (i32.load8_s offset=1 (i32.const 0)))
    (call $grow (local.get 1)))
  (func $grow (param i32) (result i32) (memory.grow (local.get 0)))
  (func $size (result i32) (memory.size))
  (func $start (global.set $g (call $f (i32.const 1)))
    (drop (call_indirect (param i32) (result i32) (i32.const 0) (i32.const 1))))
  (start $start))`},
	{name: "br_table and multi-value", src: `(module
  (type $pair (func (param i32 i32) (result i32 i32)))
  (func $switch (export "switch") (param i32) (result i32)
    (block $d (block $c (block $b (block $a
      (br_table $a $b $c $d (local.get 0)))
      (return (i32.const 10)))
      (return (i32.const 20)))
      (return (i32.const 30)))
    (i32.const 40))
  (func $swapn (export "swapn") (param $n i32) (param $x i32) (param $y i32) (result i32 i32)
    local.get $x
    local.get $y
    loop $l (type $pair)
      local.set $x
      local.set $y
      local.get $x
      local.get $y
      local.get $n
      i32.const 1
      i32.sub
      local.tee $n
      br_if $l
    end)
  (func $blocks (param i32) (result i32 i64)
    (block $b (result i32 i64)
      (i32.const 1) (i64.const 2)
      (br_if $b (local.get 0))
      (drop) (drop) (i32.const 3) (i64.const 4))
    (drop) (drop) (i32.const 7) (i32.const 8)
    (if (type $pair) (param i32 i32) (result i32 i32) (local.get 0)
      (then) (else (drop) (drop) (i32.const 5) (i32.const 6)))
    (i64.extend_i32_u) (drop) (i64.const 9)))`},
	{name: "SIMD", src: `(module
  (memory 1)
  (func $simd (export "simd") (param i32) (result i32) (local v128)
    (local.set 1 (v128.load offset=16 align=4 (local.get 0)))
    (local.set 1 (v128.load8x8_s (local.get 0)))
    (local.set 1 (v128.load32_splat (local.get 0)))
    (local.set 1 (v128.load64_zero (local.get 0)))
    (local.set 1 (v128.load16_lane 3 (local.get 0) (local.get 1)))
    (v128.store64_lane offset=8 1 (local.get 0) (local.get 1))
    (local.set 1 (i8x16.shuffle 0 17 2 3 4 5 6 7 8 9 10 11 12 13 14 31 (local.get 1) (v128.const i32x4 1 2 3 4)))
    (local.set 1 (i8x16.replace_lane 15 (local.get 1) (i32.const 7)))
    (local.set 1 (f64x2.replace_lane 1 (local.get 1) (f64.const 1.5)))
    (local.set 1 (i32x4.add (local.get 1) (i32x4.splat (i32.const 3))))
    (local.set 1 (f32x4.relaxed_madd (local.get 1) (local.get 1) (local.get 1)))
    (local.set 1 (i32x4.dot_i8x16_i7x16_add_s (local.get 1) (local.get 1) (local.get 1)))
    (local.set 1 (i16x8.extmul_high_i8x16_u (local.get 1) (local.get 1)))
    (local.set 1 (f64x2.convert_low_i32x4_u (local.get 1)))
    (local.set 1 (i64x2.ge_s (local.get 1) (v128.const i64x2 -1 1)))
    (local.set 1 (v128.bitselect (local.get 1) (local.get 1) (local.get 1)))
    (v128.store (local.get 0) (local.get 1))
    (i32.add
      (i32.add (i8x16.extract_lane_u 15 (local.get 1)) (i32x4.bitmask (local.get 1)))
      (v128.any_true (local.get 1)))))`},
	{name: "bulk memory and tables", src: `(module
  (memory 1)
  (table $t 4 funcref)
  (table $u 4 externref)
  (data $d "hello")
  (elem $e func $f $g)
  (elem declare func $h)
  (func $f (result i32) i32.const 1)
  (func $g (result i32) i32.const 2)
  (func $h)
  (func $bulk (export "bulk") (param i32)
    (memory.init $d (i32.const 0) (i32.const 0) (i32.const 5))
    (data.drop $d)
    (memory.copy (i32.const 10) (i32.const 0) (i32.const 5))
    (memory.fill (i32.const 20) (i32.const 0xff) (i32.const 5))
    (table.init $t $e (i32.const 0) (i32.const 0) (i32.const 2))
    (elem.drop $e)
    (table.copy $t $t (i32.const 2) (i32.const 0) (i32.const 2))
    (drop (table.grow $t (ref.null func) (i32.const 1)))
    (drop (ref.func $h))
    (drop (table.size $t))
    (table.fill $u (i32.const 0) (ref.null extern) (i32.const 4))
    (table.set $t (i32.const 0) (table.get $t (i32.const 1)))
    (drop (ref.is_null (ref.func $g)))
    (drop (select (result funcref) (ref.null func) (ref.null func) (local.get 0)))
    (drop (i32.trunc_sat_f32_s (f32.const 1.5)))
    (drop (i64.trunc_sat_f64_u (f64.const 1.5)))
    (drop (i64.extend32_s (i64.const 1)))))`},
	{name: "element segments of every kind", src: `(module
  (table $t0 10 funcref)
  (table $t1 10 funcref)
  (func $a) (func $b) (func $c (call $a))
  (elem (i32.const 0) $a $b)
  (elem func $a $c)
  (elem (table $t1) (i32.const 0) func $b $c)
  (elem declare func $c)
  (elem (i32.const 4) funcref (ref.func $a) (ref.null func))
  (elem funcref (ref.func $b) (item ref.func $c) (ref.null func))
  (elem (table $t1) (offset (i32.const 5)) funcref (ref.func $a) (ref.null func))
  (elem declare funcref (ref.func $b) (ref.null func))
  (export "c" (func $c)) (export "t1" (table $t1)))`},
	{name: "atomics", src: `(module
  (memory 1 1 shared)
  (func $atomics (export "atomics") (param i32) (result i32)
    (i32.atomic.store (local.get 0) (i32.const 1))
    (drop (i32.atomic.rmw.add offset=4 (local.get 0) (i32.const 2)))
    (drop (i64.atomic.rmw32.cmpxchg_u (local.get 0) (i64.const 1) (i64.const 2)))
    (drop (i32.atomic.rmw8.xchg_u (local.get 0) (i32.const 1)))
    (drop (memory.atomic.notify (local.get 0) (i32.const 1)))
    (drop (memory.atomic.wait32 (local.get 0) (i32.const 5) (i64.const 0)))
    (drop (memory.atomic.wait64 (local.get 0) (i64.const 5) (i64.const 0)))
    (atomic.fence)
    (drop (memory.grow (i32.const 0)))
    (i32.atomic.load8_u (local.get 0))))`},
	{name: "exceptions", src: `(module
  (tag $e (param i32))
  (tag $e2)
  (func $thrower (param i32) (throw $e (local.get 0)))
  (func $eh (export "eh") (param i32) (result i32)
    (try (result i32)
      (do (call $thrower (local.get 0)) (i32.const 0))
      (catch $e)
      (catch_all (i32.const -1))))
  (func $eh2 (export "eh2")
    (try $outer
      (do
        (try (do (throw $e2)) (delegate $outer)))
      (catch $e2)))
  (func $eh3 (export "eh3")
    (loop (try (do (throw $e2)) (catch_all (rethrow 0))))))`},
	{name: "tail calls", src: `(module
  (type $t (func (param i32) (result i32)))
  (table 1 funcref)
  (elem (i32.const 0) $count)
  (func $count (param i32) (result i32)
    (if (result i32) (i32.eqz (local.get 0))
      (then (i32.const 42))
      (else (return_call $count (i32.sub (local.get 0) (i32.const 1))))))
  (func $tail (export "tail") (param i32) (result i32)
    (return_call_indirect (type $t) (local.get 0) (i32.const 0))))`},
	{name: "imports of every kind", src: `(module
  (import "env" "f" (func $f (param i32)))
  (import "env" "g" (global $g i32))
  (import "env" "gm" (global $gm (mut i64)))
  (import "env" "mem" (memory 1 2))
  (import "env" "tab" (table 1 funcref))
  (import "env" "tag" (tag $tag (param i32)))
  (import "env" "h" (func $h))
  (global $x (mut i32) (global.get $g))
  (global $y i32 (i32.add (global.get $g) (i32.const 1)))
  (func $run (export "run")
    (call $f (global.get $g)) (call $h) (global.set $x (i32.const 3))
    (global.set $gm (i64.const 1))
    (drop (memory.grow (i32.const 1))))
  (func $other (call $run) (call $other))
  (export "h" (func $h)) (export "other" (func $other)) (export "mem" (memory 0)))`},
	{name: "multi-memory", keepGrow: 1, src: `(module
  (memory $m0 1) (memory $m1 1)
  (func $mm (export "mm") (result i32)
    (i32.store $m1 offset=4 (i32.const 0) (i32.const 5))
    (drop (memory.grow $m1 (i32.const 1)))
    (drop (memory.grow $m0 (i32.const 1)))
    (memory.copy $m0 $m1 (i32.const 0) (i32.const 0) (i32.const 4))
    (i32.add (memory.size $m1) (i32.load $m1 offset=4 (i32.const 0)))))`},
	{name: "memory64", keepGrow: 1, noHook: true, src: `(module
  (memory i64 1)
  (func $g (export "g") (result i64)
    (i64.store offset=8 (i64.const 0) (i64.const 1))
    (memory.grow (i64.const 1))))`},
	{name: "code metadata", src: `(module
  (func $bh (export "bh") (param i32) (result i32)
    (local.get 0)
    (@metadata.code.branch_hint "\01")
    (if (result i32) (then (i32.const 1)) (else (i32.const 2)))))`},
	{name: "reused types", sameTypes: true, src: `(module
  (type (func (param i32) (result i32)))
  (type (func))
  (func $x (type 1))
  (memory 1)
  (func $y (type 0) (memory.grow (local.get 0))))`},
}

// TestValidates instruments every module with and without the memory.grow hook and checks
// the output with wasm-validate, then checks what was added.
func TestValidates(t *testing.T) {
	guesttest.Need(t, "wasm-validate", "wabt")
	for _, tc := range watModules {
		t.Run(tc.name, func(t *testing.T) {
			in := guesttest.WAT(t, tc.src)
			for _, hook := range []bool{false, true} {
				out := mustInstrument(t, in, instrument.Options{HookMemoryGrow: hook, Interval: 1000})
				wat := wasm2wat(t, out)
				if !strings.Contains(wat, `(import "wasmap_meter_v1" "yield" (func`) {
					t.Errorf("hook=%v: no yield import:\n%s", hook, wat)
				}
				if !strings.Contains(wat, `(export "__wasmap_meter" (global`) {
					t.Errorf("hook=%v: no counter export:\n%s", hook, wat)
				}
				grows := strings.Count(wasm2wat(t, in), "memory.grow")
				hooked := strings.Contains(wat, `"memory_grow"`)
				if want := hook && !tc.noHook && strings.Contains(wat, "(memory"); hooked != want {
					t.Errorf("hook=%v: memory_grow imported: %v, want %v", hook, hooked, want)
				}
				left := grows
				if hook {
					left = tc.keepGrow
				}
				if got := strings.Count(wat, "memory.grow"); got != left {
					t.Errorf("hook=%v: %d memory.grow left, want %d", hook, got, left)
				}
				if n, was := strings.Count(wat, "(type (;"), strings.Count(wasm2wat(t, in), "(type (;"); tc.sameTypes && n != was {
					t.Errorf("hook=%v: %d types, want the %d of the input", hook, n, was)
				}
				if strings.Contains(wat, "@metadata.code") {
					t.Errorf("hook=%v: code metadata kept", hook)
				}
			}
		})
	}
}

// TestNameSection checks every function reference by name: with the name section rewritten
// and every index shifted, the lines of the disassembly that name something are the same
// before and after.
func TestNameSection(t *testing.T) {
	guesttest.Need(t, "wasm2wat", "wabt")
	for _, tc := range watModules {
		t.Run(tc.name, func(t *testing.T) {
			in := watWithNames(t, tc.src)
			out := mustInstrument(t, in, instrument.Options{HookMemoryGrow: true})
			before, after := namedLines(wasm2wat(t, in)), namedLines(wasm2wat(t, out))
			if !slices.Equal(before, after) {
				t.Errorf("named references differ:\nbefore: %q\nafter:  %q", before, after)
			}
		})
	}
}

// namedLines returns the sorted lines of a disassembly that mention a name.
func namedLines(wat string) []string {
	var lines []string
	for l := range strings.Lines(wat) {
		if strings.Contains(l, "$") {
			lines = append(lines, strings.TrimRight(strings.TrimSpace(l), ")"))
		}
	}
	slices.Sort(lines)
	return lines
}

// TestGoGuestRewrite checks the rewrite of a real 3 MB module and its names.
func TestGoGuestRewrite(t *testing.T) {
	in := goGuest(t)
	out := mustInstrument(t, in, instrument.Options{HookMemoryGrow: true})
	if len(out) < len(in) {
		t.Fatalf("output %d bytes, input %d", len(out), len(in))
	}
	// Instrumenting twice is refused.
	if _, err := instrument.Instrument(out, instrument.Options{}); !errors.Is(err, instrument.ErrReserved) {
		t.Fatalf("second Instrument: %v, want ErrReserved", err)
	}
	if testing.Short() {
		return
	}
	// Data segments are coalesced, and their strings hold '$' bytes: leave them out.
	notData := func(l string) bool { return strings.HasPrefix(l, "(data ") }
	before := slices.DeleteFunc(namedLines(wasm2wat(t, in)), notData)
	after := slices.DeleteFunc(namedLines(wasm2wat(t, out)), notData)
	if !slices.Equal(before, after) {
		t.Errorf("named references differ (%d and %d lines)", len(before), len(after))
	}
}

func TestErrors(t *testing.T) {
	valid := func(sections ...[]byte) []byte { return module(sections...) }
	body := func(code ...byte) []byte { return withSize(append([]byte{0}, code...)) } // no locals
	typ0 := section(1, vec(1, []byte{0x60, 0, 0}))
	fn1 := section(3, vec(1, []byte{0}))
	tests := []struct {
		name string
		in   []byte
		opts instrument.Options
		want error
		msg  string // part of the message
	}{
		{"empty input", nil, instrument.Options{}, instrument.ErrMalformed, "header"},
		{"not wasm", []byte("hello, world"), instrument.Options{}, instrument.ErrMalformed, "magic"},
		{"component", []byte("\x00asm\x0d\x00\x01\x00"), instrument.Options{}, instrument.ErrUnsupported, "component"},
		{"bad version", []byte("\x00asm\x02\x00\x00\x00"), instrument.Options{}, instrument.ErrMalformed, "version"},
		{"section past end", append(valid(), 1, 10, 0), instrument.Options{}, instrument.ErrMalformed, "runs past the end"},
		{"bad section size", append(valid(), 1, 0x80, 0x80, 0x80, 0x80, 0x80), instrument.Options{}, instrument.ErrMalformed, "section size"},
		{"unknown section", valid(section(14, nil)), instrument.Options{}, instrument.ErrMalformed, "unknown section id 14"},
		{"sections out of order", valid(fn1, typ0), instrument.Options{}, instrument.ErrMalformed, "type section: offset 0xc: section out of order"},
		{"duplicate section", valid(typ0, typ0), instrument.Options{}, instrument.ErrMalformed, "out of order or repeated"},
		{"gc type", valid(section(1, vec(1, []byte{0x5f, 0}))), instrument.Options{}, instrument.ErrUnsupported, "garbage-collection type"},
		{"bad value type", valid(section(1, vec(1, []byte{0x60, 1, 0x55, 0}))), instrument.Options{}, instrument.ErrMalformed, "type section: offset 0xd: bad value type"},
		{"trailing bytes", valid(section(1, append(vec(1, []byte{0x60, 0, 0}), 0))), instrument.Options{}, instrument.ErrMalformed, "1 unread bytes"},
		{"already instrumented", valid(section(2, vec(1, name(abi.MeterModule), name("yield"), []byte{0, 0}))), instrument.Options{}, instrument.ErrReserved, "already imports"},
		{"counter export taken", valid(section(7, vec(1, name(instrument.CounterExport), []byte{3, 0}))), instrument.Options{}, instrument.ErrReserved, "already exports"},
		{"body count", valid(typ0, fn1, section(10, vec(0))), instrument.Options{}, instrument.ErrMalformed, "0 function bodies, but the function section declares 1"},
		{"unknown opcode", valid(typ0, fn1, section(10, vec(1, body(0x01, 0xff, 0x0b)))), instrument.Options{}, instrument.ErrMalformed,
			"code section: function body 0 (func index 0): offset 0x18: unknown opcode 0xff"},
		{"unknown SIMD opcode", valid(typ0, fn1, section(10, vec(1, body(0xfd, 0x9a, 0x01, 0x0b)))), instrument.Options{}, instrument.ErrMalformed, "unknown opcode 0xfd 0x9a"},
		{"unknown 0xfc opcode", valid(typ0, fn1, section(10, vec(1, body(0xfc, 0x12, 0x0b)))), instrument.Options{}, instrument.ErrMalformed, "unknown opcode 0xfc 0x12"},
		{"gc instruction", valid(typ0, fn1, section(10, vec(1, body(0xfb, 0x00, 0x00, 0x0b)))), instrument.Options{}, instrument.ErrUnsupported, "garbage-collection instruction"},
		{"missing end", valid(typ0, fn1, section(10, vec(1, body(0x01)))), instrument.Options{}, instrument.ErrMalformed, "missing end"},
		{"end too early", valid(typ0, fn1, section(10, vec(1, body(0x0b, 0x01)))), instrument.Options{}, instrument.ErrMalformed, "1 bytes before the end of the body"},
		{"truncated immediate", valid(typ0, fn1, section(10, vec(1, body(0x41, 0x80)))), instrument.Options{}, instrument.ErrMalformed, "immediate of opcode 0x41"},
		{"bad block type", valid(typ0, fn1, section(10, vec(1, body(0x02, 0x55, 0x0b, 0x0b)))), instrument.Options{}, instrument.ErrMalformed, "immediate of opcode 0x02"},
		{"delegate at top", valid(typ0, fn1, section(10, vec(1, body(0x18, 0x00, 0x0b)))), instrument.Options{}, instrument.ErrMalformed, "delegate"},
		{"bad element flags", valid(section(9, vec(1, []byte{8}))), instrument.Options{}, instrument.ErrMalformed, "element section: offset 0xb: element segment 0: unknown flags 8"},
		{"bad import kind", valid(section(2, vec(1, name("a"), name("b"), []byte{9}))), instrument.Options{}, instrument.ErrMalformed, "unknown import kind 0x9"},
		{"negative interval", valid(), instrument.Options{Interval: -1}, nil, "Interval is -1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := instrument.Instrument(tc.in, tc.opts)
			if err == nil {
				t.Fatalf("no error; output % x", out)
			}
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Errorf("error %q is not %q", err, tc.want)
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("error %q does not contain %q", err, tc.msg)
			}
			if out != nil {
				t.Errorf("output with an error")
			}
		})
	}
}

// TestDropsUnreadableNames keeps a module whose name section is garbage, without the section.
func TestDropsUnreadableNames(t *testing.T) {
	in := module(section(0, append(name("name"), 1, 0x7f)), section(0, append(name("other"), 1, 2, 3)))
	out, err := instrument.Instrument(in, instrument.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(out, name("name")) {
		t.Errorf("name section kept")
	}
	if !bytes.Contains(out, append(name("other"), 1, 2, 3)) {
		t.Errorf("other custom section lost")
	}
	validate(t, out)
}
