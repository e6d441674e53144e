package instrument_test

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/tetratelabs/wazero"

	"github.com/wasmap/wasmap/runner/internal/guesttest"
	"github.com/wasmap/wasmap/runner/internal/instrument"
)

// rawSection is a section of a binary module: its id and payload.
type rawSection struct {
	id      byte
	payload []byte
}

// sectionsOf cuts a well-formed binary module into its sections.
func sectionsOf(tb testing.TB, wasm []byte) []rawSection {
	tb.Helper()
	var secs []rawSection
	for p := 8; p < len(wasm); {
		id := wasm[p]
		n, q := readULEB(wasm, p+1)
		secs = append(secs, rawSection{id, wasm[q : q+int(n)]})
		p = q + int(n)
	}
	return secs
}

// joinSections is the inverse of sectionsOf.
func joinSections(secs []rawSection) []byte {
	var s [][]byte
	for _, x := range secs {
		s = append(s, section(x.id, x.payload))
	}
	return module(s...)
}

func readULEB(b []byte, p int) (uint32, int) {
	var v uint32
	for shift := 0; ; shift += 7 {
		c := b[p]
		p++
		v |= uint32(c&0x7f) << shift
		if c < 0x80 {
			return v, p
		}
	}
}

// dataInfo returns the number of data segments and the size of the data section (-1, 0 when
// there is none), and the data count section's count (-1 when there is none).
func dataInfo(tb testing.TB, wasm []byte) (segments, size, dataCount int) {
	tb.Helper()
	segments, dataCount = -1, -1
	for _, s := range sectionsOf(tb, wasm) {
		switch s.id {
		case 11:
			n, _ := readULEB(s.payload, 0)
			segments, size = int(n), len(s.payload)
		case 12:
			n, _ := readULEB(s.payload, 0)
			dataCount = int(n)
		}
	}
	return segments, size, dataCount
}

// addDataCount inserts a data count section of n before the code section or, without one,
// before the data section.
func addDataCount(tb testing.TB, wasm []byte, n uint32) []byte {
	tb.Helper()
	secs := sectionsOf(tb, wasm)
	i := slices.IndexFunc(secs, func(s rawSection) bool { return s.id == 10 || s.id == 11 })
	if i < 0 {
		tb.Fatal("no code or data section")
	}
	return joinSections(slices.Insert(secs, i, rawSection{12, uleb(n)}))
}

// memoryAfterInstantiation instantiates wasm (without a start function) and returns the whole
// of memory 0, or the instantiation error.
func memoryAfterInstantiation(tb testing.TB, r wazero.Runtime, wasm []byte) ([]byte, error) {
	tb.Helper()
	ctx := context.Background()
	mod, err := r.InstantiateWithConfig(ctx, wasm, wazero.NewModuleConfig().WithName("").WithStartFunctions())
	if err != nil {
		return nil, err
	}
	defer mod.Close(ctx)
	mem := mod.Memory()
	if mem == nil {
		tb.Fatal("no memory")
	}
	b, ok := mem.Read(0, mem.Size())
	if !ok {
		tb.Fatal("cannot read memory")
	}
	return bytes.Clone(b), nil
}

// TestCoalesceData checks which data sections are coalesced, into how many segments, and that
// memory after instantiation is the same byte for byte as with the input.
func TestCoalesceData(t *testing.T) {
	gap := func(n int) string { return fmt.Sprintf("%d", n) }
	tests := []struct {
		name string
		src  string // WAT, or
		bin  []byte // a binary module
		opts instrument.Options
		// segments in the output; -1: the data section is left as it is.
		want int
		// instantiation fails (out of bounds) with the input and the output.
		fails bool
		// wazero does not support the module, or it imports something the test runtime lacks:
		// not instantiated.
		noRun bool
		// wasm-validate rejects the input (a name section before the data section).
		noValidate bool
		names      bool // assemble with a name section
	}{
		{name: "adjacent", want: 1, src: `(module (memory 1)
  (data (i32.const 0) "ab") (data (i32.const 2) "cd") (data (i32.const 4) "ef"))`},
		{name: "gaps below the threshold", want: 1, src: `(module (memory 1)
  (data (i32.const 16) "ab") (data (i32.const 100) "cd") (data (i32.const 300) "ef"))`},
		{name: "gap at the threshold", want: 1, src: `(module (memory 1)
  (data (i32.const 0) "ab") (data (i32.const ` + gap(2+instrument.DefaultMaxDataGap) + `) "cd"))`},
		{name: "gap above the threshold", want: -1, src: `(module (memory 1)
  (data (i32.const 0) "ab") (data (i32.const ` + gap(3+instrument.DefaultMaxDataGap) + `) "cd"))`},
		{name: "gaps on both sides of the threshold", want: 2, src: `(module (memory 1)
  (data (i32.const 0) "ab") (data (i32.const 2) "cd") (data (i32.const 5000) "ef") (data (i32.const 5010) "gh"))`},
		{name: "MaxDataGap", want: 2, opts: instrument.Options{MaxDataGap: 8}, src: `(module (memory 1)
  (data (i32.const 0) "ab") (data (i32.const 10) "cd") (data (i32.const 21) "ef"))`},
		{name: "KeepDataSegments", want: -1, opts: instrument.Options{KeepDataSegments: true}, src: `(module (memory 1)
  (data (i32.const 0) "ab") (data (i32.const 2) "cd"))`},
		{name: "out of order", want: 2, src: `(module (memory 2)
  (data (i32.const 65600) "last") (data (i32.const 8) "b") (data (i32.const 0) "a")
  (data (i32.const 65536) "page 1") (data (i32.const 16) "c"))`},
		{name: "empty segments", want: 1, src: `(module (memory 1)
  (data (i32.const 65536) "") (data (i32.const 0) "ab") (data (i32.const 1) "") (data (i32.const 3) "cd"))`},
		{name: "only empty segments", want: 0, src: `(module (memory 1) (data (i32.const 0) "") (data (i32.const 7) ""))`},
		{name: "single segment", want: -1, src: `(module (memory 1) (data (i32.const 0) "ab"))`},
		{name: "last byte of memory", want: 1, src: `(module (memory 1)
  (data (i32.const 65530) "abcd") (data (i32.const 65534) "ef"))`},
		{name: "high offsets", want: 1, noRun: true, src: `(module (memory 40000)
  (data (i32.const 0x9c3ffff0) "ab") (data (i32.const 0x9c3ffff8) "cd"))`},
		{name: "overlapping", want: -1, src: `(module (memory 1)
  (data (i32.const 0) "aaaa") (data (i32.const 2) "bb") (data (i32.const 10) "cc"))`},
		{name: "overlapping out of order", want: -1, src: `(module (memory 1)
  (data (i32.const 2) "bb") (data (i32.const 0) "aaaa"))`},
		{name: "out of bounds", want: -1, fails: true, src: `(module (memory 1)
  (data (i32.const 0) "ab") (data (i32.const 2) "cd") (data (i32.const 65535) "ef"))`},
		{name: "negative offset", want: -1, fails: true, src: `(module (memory 1)
  (data (i32.const 0) "ab") (data (i32.const -2) "cd"))`},
		{name: "beyond the minimum, within the maximum", want: -1, fails: true, src: `(module (memory 1 2)
  (data (i32.const 65532) "abcd") (data (i32.const 65536) "ef"))`},
		{name: "passive segment", want: -1, src: `(module (memory 1)
  (data (i32.const 0) "ab") (data "passive") (data (i32.const 2) "cd"))`},
		{name: "memory.init", want: -1, src: `(module (memory 1)
  (data (i32.const 0) "ab") (data (i32.const 2) "cd")
  (func (export "f") (memory.init 1 (i32.const 0) (i32.const 0) (i32.const 0))))`},
		{name: "data.drop", want: -1, src: `(module (memory 1)
  (data (i32.const 0) "ab") (data (i32.const 2) "cd")
  (func $f (export "f") (data.drop 0)))`},
		{name: "global.get offset", want: -1, noRun: true, src: `(module (import "env" "g" (global $g i32)) (memory 1)
  (data (i32.const 0) "ab") (data (global.get $g) "cd") (data (i32.const 2) "cd"))`},
		{name: "extended constant offset", want: -1, src: `(module (memory 1)
  (data (i32.const 0) "ab") (data (offset (i32.add (i32.const 1) (i32.const 1))) "cd"))`},
		{name: "memory64", want: -1, noRun: true, src: `(module (memory i64 1)
  (data (i64.const 0) "ab") (data (i64.const 2) "cd"))`},
		{name: "multi-memory", want: -1, noRun: true, src: `(module (memory 1) (memory $m1 1)
  (data (i32.const 0) "ab") (data (i32.const 2) "cd") (data (memory $m1) (i32.const 0) "ef"))`},
		{name: "imported memory", want: -1, noRun: true, src: `(module (import "env" "mem" (memory 1))
  (data (i32.const 0) "ab") (data (i32.const 2) "cd"))`},
		{name: "shared memory", want: 1, src: `(module (memory 1 1 shared)
  (data (i32.const 0) "ab") (data (i32.const 2) "cd"))`},
		{name: "data names", want: 1, names: true, src: `(module (memory 1)
  (data $a (i32.const 0) "ab") (data $b (i32.const 2) "cd") (func $f (export "f")))`},
		{name: "explicit memory index 0", want: 1, bin: module(
			section(5, vec(1, []byte{0, 1})),
			section(11, vec(2, []byte{2, 0, 0x41, 0, 0x0b, 1, 'a'}, []byte{2, 0, 0x41, 1, 0x0b, 1, 'b'})))},
		{name: "overlong offset", want: 1, bin: module(
			section(5, vec(1, []byte{0, 1})),
			section(11, vec(2, []byte{0, 0x41, 0x80, 0x80, 0x80, 0x80, 0, 0x0b, 1, 'a'}, []byte{0, 0x41, 1, 0x0b, 1, 'b'})))},
		{name: "name section before data", want: -1, noValidate: true, bin: module(
			section(5, vec(1, []byte{0, 1})),
			section(0, name("name")),
			section(11, vec(2, []byte{0, 0x41, 0, 0x0b, 1, 'a'}, []byte{0, 0x41, 1, 0x0b, 1, 'b'})))},
	}
	r := newRuntime(t, false)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := tc.bin
			switch {
			case in != nil:
			case tc.names:
				in = watWithNames(t, tc.src)
			default:
				in = guesttest.WAT(t, tc.src)
			}
			instr := func(opts instrument.Options) []byte {
				if tc.noValidate {
					out, err := instrument.Instrument(in, opts)
					if err != nil {
						t.Fatal(err)
					}
					return out
				}
				return mustInstrument(t, in, opts)
			}
			if !tc.noValidate {
				validate(t, in)
			}
			inSegs, _, _ := dataInfo(t, in)
			out := instr(tc.opts)
			segs, _, _ := dataInfo(t, out)
			if tc.want < 0 {
				if segs != inSegs {
					t.Errorf("%d data segments, want the input's %d", segs, inSegs)
				}
				// Apart from the data, the output is the same as without coalescing.
				keep := tc.opts
				keep.KeepDataSegments = true
				if !bytes.Equal(out, instr(keep)) {
					t.Errorf("output differs from the output with KeepDataSegments")
				}
			} else if segs != tc.want {
				t.Errorf("%d data segments, want %d (input: %d)\n%s", segs, tc.want, inSegs, wasm2wat(t, out))
			}
			if tc.names {
				if wat := wasm2wat(t, in); !strings.Contains(wat, "$a") {
					t.Fatalf("no data names in the input:\n%s", wat)
				}
				if wat := wasm2wat(t, out); strings.Contains(wat, "$a") || strings.Contains(wat, "$b") {
					t.Errorf("data names kept:\n%s", wat)
				}
			}
			if tc.noRun {
				return
			}
			want, errIn := memoryAfterInstantiation(t, r, in)
			got, errOut := memoryAfterInstantiation(t, r, out)
			if (errIn != nil) != tc.fails || (errOut != nil) != tc.fails {
				t.Fatalf("instantiation errors %v (input) and %v (output); want failures: %v", errIn, errOut, tc.fails)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("memory after instantiation differs (%d and %d bytes)", len(got), len(want))
			}
		})
	}
}

// TestCoalesceDataCount checks the data count section: rewritten when the data is coalesced,
// left as it is otherwise.
func TestCoalesceDataCount(t *testing.T) {
	const data = `(data (i32.const 0) "ab") (data (i32.const 2) "cd") (data (i32.const 1000) "ef")`
	for _, tc := range []struct {
		name      string
		src       string
		count     uint32 // data count to add, or 0 when wat2wasm writes it
		want      int    // segments and data count
		wrong     bool   // the data count does not match: left alone
		noRewrite bool   // memory.init or data.drop: the output is the one without coalescing
	}{
		{name: "unused", count: 3, want: 2, src: `(module (memory 1) ` + data + ` (func $f (export "f")))`},
		{name: "no code", count: 3, want: 2, src: `(module (memory 1) ` + data + `)`},
		{name: "wrong count", count: 4, want: 3, wrong: true, src: `(module (memory 1) ` + data + ` (func $f (export "f")))`},
		{name: "data.drop", want: 3, noRewrite: true, src: `(module (memory 1) ` + data + `
  (func $f (export "f") (loop (data.drop 2))))`},
		{name: "memory.init in the last function", want: 3, noRewrite: true, src: `(module (memory 1) ` + data + `
  (func $f (export "f") (nop)) (func $g (memory.init 0 (i32.const 0) (i32.const 0) (i32.const 0))))`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := guesttest.WAT(t, tc.src)
			if tc.count > 0 {
				in = addDataCount(t, in, tc.count)
			}
			if !tc.wrong {
				validate(t, in)
			}
			out, err := instrument.Instrument(in, instrument.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if !tc.wrong {
				validate(t, out)
			}
			segs, _, count := dataInfo(t, out)
			if segs != tc.want || (count != tc.want && !tc.wrong) {
				t.Errorf("%d data segments, data count %d; want %d", segs, count, tc.want)
			}
			keep, err := instrument.Instrument(in, instrument.Options{KeepDataSegments: true})
			if err != nil {
				t.Fatal(err)
			}
			if (tc.noRewrite || tc.wrong) && !bytes.Equal(out, keep) {
				t.Errorf("output differs from the output with KeepDataSegments")
			}
		})
	}
}

// TestGoGuestDataSegments checks the coalescing of a Go guest's tens of thousands of data
// segments: a few are left, and memory after instantiation is the same.
func TestGoGuestDataSegments(t *testing.T) {
	in := goGuest(t)
	out := mustInstrument(t, in, instrument.Options{HookMemoryGrow: true})
	inSegs, inSize, _ := dataInfo(t, in)
	segs, size, _ := dataInfo(t, out)
	t.Logf("data segments: %d (%d bytes) before, %d (%d bytes) after; module %d bytes, instrumented %d",
		inSegs, inSize, segs, size, len(in), len(out))
	if inSegs < 1000 {
		t.Errorf("the Go guest has %d data segments: not a test of coalescing any more", inSegs)
	}
	if segs >= 100 {
		t.Errorf("%d data segments after coalescing, want fewer than 100", segs)
	}
	r := newRuntime(t, false)
	want, err := memoryAfterInstantiation(t, r, in)
	if err != nil {
		t.Fatal(err)
	}
	got, err := memoryAfterInstantiation(t, r, out)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("memory after instantiation differs (%d and %d bytes)", len(got), len(want))
	}
}

// BenchmarkInstantiateGoGuest measures the instantiation of the instrumented Go guest, compiled
// once, without running it: a cold start's share of wazero's work, which is mostly data
// segments without coalescing. segments and data-KiB are the output's data section.
//
//	go test -run '^$' -bench InstantiateGoGuest -count 6 ./runner/internal/instrument/
func BenchmarkInstantiateGoGuest(b *testing.B) {
	in := goGuest(b)
	ctx := context.Background()
	for _, v := range []struct {
		name string
		opts instrument.Options
	}{
		{"keep", instrument.Options{KeepDataSegments: true}},
		{"gap=16", instrument.Options{MaxDataGap: 16}},
		{"gap=32", instrument.Options{MaxDataGap: 32}},
		{"gap=256", instrument.Options{}},
		{"gap=4096", instrument.Options{MaxDataGap: 4096}},
	} {
		v.opts.HookMemoryGrow = true
		b.Run(v.name, func(b *testing.B) {
			// One runtime at a time: the live heap, and so the pace of the garbage collector,
			// is the same for every variant.
			wasm := mustInstrument(b, in, v.opts)
			segs, size, _ := dataInfo(b, wasm)
			r := newRuntime(b, false)
			compiled, err := r.CompileModule(ctx, wasm)
			if err != nil {
				b.Fatal(err)
			}
			cfg := wazero.NewModuleConfig().WithName("").WithStartFunctions()
			for b.Loop() {
				mod, err := r.InstantiateModule(ctx, compiled, cfg)
				if err != nil {
					b.Fatal(err)
				}
				mod.Close(ctx)
			}
			b.ReportMetric(float64(segs), "segments")
			b.ReportMetric(float64(size)/1024, "data-KiB")
		})
	}
}
