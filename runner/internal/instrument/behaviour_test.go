package instrument_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/sys"

	"github.com/wasmap/wasmap/runner/internal/guesttest"
	"github.com/wasmap/wasmap/runner/internal/instrument"
)

// computeWAT is run both as is and instrumented.
const computeWAT = `(module
  (memory 1 4)
  (func $spin (export "spin") (loop $l (br $l)))
  ;; fib by binary recursion: no loops, so only function entries are metered.
  (func $fib (export "fib") (param i32) (result i32)
    (if (result i32) (i32.lt_u (local.get 0) (i32.const 2))
      (then (local.get 0))
      (else (i32.add (call $fib (i32.sub (local.get 0) (i32.const 1)))
                     (call $fib (i32.sub (local.get 0) (i32.const 2)))))))
  (func $fib_iter (export "fib_iter") (param i32) (result i64) (local i64 i64 i64)
    (local.set 2 (i64.const 1))
    (block $done (loop $l
      (br_if $done (i32.eqz (local.get 0)))
      (local.set 3 (i64.add (local.get 1) (local.get 2)))
      (local.set 1 (local.get 2))
      (local.set 2 (local.get 3))
      (local.set 0 (i32.sub (local.get 0) (i32.const 1)))
      (br $l)))
    (local.get 1))
  ;; count runs its loop header exactly n times (n >= 1).
  (func $count (export "count") (param i32)
    (loop $l (br_if $l (local.tee 0 (i32.sub (local.get 0) (i32.const 1))))))
  ;; fnv hashes n bytes of memory, n times over.
  (func $fnv (export "fnv") (param i32) (result i32) (local i32 i32)
    (local.set 2 (i32.const 0x811c9dc5))
    (loop $l
      (local.set 2 (i32.mul (i32.xor (local.get 2) (i32.load8_u (local.get 1))) (i32.const 0x01000193)))
      (br_if $l (i32.lt_u (local.tee 1 (i32.add (local.get 1) (i32.const 1))) (local.get 0))))
    (local.get 2))
  (func $grow (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
  (func $size (export "size") (result i32) (memory.size)))`

// instances returns the compute module as is and instrumented with opts, in one runtime.
func instances(t *testing.T, opts instrument.Options) (orig, inst api.Module) {
	t.Helper()
	in := guesttest.WAT(t, computeWAT)
	out := mustInstrument(t, in, opts)
	r := newRuntime(t, false)
	return instantiate(t, r, in), instantiate(t, r, out)
}

func call(t *testing.T, ctx context.Context, mod api.Module, fn string, args ...uint64) ([]uint64, error) {
	t.Helper()
	f := mod.ExportedFunction(fn)
	if f == nil {
		t.Fatalf("no export %q", fn)
	}
	return f.Call(ctx, args...)
}

// TestStops checks that a call that never returns by itself is ended by the yield at the
// deadline: a loop that branches to itself, and a recursion without loops that takes seconds.
func TestStops(t *testing.T) {
	_, inst := instances(t, instrument.Options{})
	for _, tc := range []struct {
		fn   string
		args []uint64
	}{
		{"spin", nil},
		{"fib", []uint64{45}},
	} {
		t.Run(tc.fn, func(t *testing.T) {
			const deadline = 50 * time.Millisecond
			m := &meter{deadline: time.Now().Add(deadline)}
			start := time.Now()
			_, err := call(t, withMeter(context.Background(), m), inst, tc.fn, tc.args...)
			took := time.Since(start)
			var exit *sys.ExitError
			if !errors.As(err, &exit) || exit.ExitCode() != exitDeadline {
				t.Fatalf("error %v, want the yield's exit error", err)
			}
			if took > deadline+100*time.Millisecond {
				t.Errorf("stopped after %v, deadline %v", took, deadline)
			}
			if m.yields.Load() == 0 {
				t.Errorf("no yields")
			}
		})
	}
}

// TestSameResults runs the compute functions as is and instrumented.
func TestSameResults(t *testing.T) {
	orig, inst := instances(t, instrument.Options{Interval: 7})
	ctx := withMeter(context.Background(), &meter{})
	for _, tc := range []struct {
		fn   string
		args []uint64
	}{
		{"fib", []uint64{0}},
		{"fib", []uint64{1}},
		{"fib", []uint64{25}},
		{"fib_iter", []uint64{0}},
		{"fib_iter", []uint64{90}},
		{"fnv", []uint64{1000}},
		{"size", nil},
	} {
		want, err := call(t, ctx, orig, tc.fn, tc.args...)
		if err != nil {
			t.Fatal(err)
		}
		got, err := call(t, ctx, inst, tc.fn, tc.args...)
		if err != nil {
			t.Fatal(err)
		}
		if got[0] != want[0] {
			t.Errorf("%s%v = %d instrumented, %d as is", tc.fn, tc.args, got[0], want[0])
		}
	}
}

// TestMemoryGrowHook checks that memory.grow through the hook returns what the instruction
// returns, and that the host sees every delta.
func TestMemoryGrowHook(t *testing.T) {
	orig, inst := instances(t, instrument.Options{HookMemoryGrow: true})
	// memory (1 4): the old size in pages, or -1 beyond the maximum
	deltas := []uint32{1, 2, 2, 0, 1 << 20}
	want := []int32{1, 2, -1, 4, -1}
	m := &meter{}
	ctx := withMeter(context.Background(), m)
	for i, d := range deltas {
		for k, mod := range []api.Module{orig, inst} {
			res, err := call(t, ctx, mod, "grow", uint64(d))
			if err != nil {
				t.Fatal(err)
			}
			if got := api.DecodeI32(res[0]); got != want[i] {
				t.Errorf("%s: grow(%d) = %d, want %d", []string{"as is", "instrumented"}[k], d, got, want[i])
			}
		}
	}
	if !slices.Equal(m.grows, deltas) {
		t.Errorf("host saw deltas %v, want %v", m.grows, deltas)
	}
	if s, _ := call(t, ctx, inst, "size"); s[0] != 4 {
		t.Errorf("instrumented memory size %d, want 4", s[0])
	}
}

// TestYieldInterval counts yields over a loop whose header runs a known number of times.
func TestYieldInterval(t *testing.T) {
	for _, interval := range []int32{1, 1000, 0} {
		_, inst := instances(t, instrument.Options{Interval: interval})
		every := int64(interval)
		if every == 0 {
			every = instrument.DefaultInterval
		}
		const n = 1_000_000
		m := &meter{}
		if _, err := call(t, withMeter(context.Background(), m), inst, "count", n); err != nil {
			t.Fatal(err)
		}
		if got, want := m.yields.Load(), n/every; got < want-1 || got > want+1 {
			t.Errorf("interval %d: %d yields over %d metering points, want about %d", interval, got, n, want)
		}
	}
}

// TestForceYield sets the exported counter so that the next metering point yields.
func TestForceYield(t *testing.T) {
	_, inst := instances(t, instrument.Options{Interval: 1000})
	g, ok := inst.ExportedGlobal(instrument.CounterExport).(api.MutableGlobal)
	if !ok {
		t.Fatalf("no mutable global export %q", instrument.CounterExport)
	}
	if g.Get() != 1000 {
		t.Errorf("counter starts at %d, want 1000", g.Get())
	}
	m := &meter{}
	ctx := withMeter(context.Background(), m)
	for i, set := range []uint64{1, 0, api.EncodeI32(-5)} {
		g.Set(set)
		if _, err := call(t, ctx, inst, "count", 1); err != nil {
			t.Fatal(err)
		}
		if got := m.yields.Load(); got != int64(i+1) {
			t.Errorf("counter set to %d: %d yields in all, want %d", int32(set), got, i+1)
		}
		if g.Get() != 1000 {
			t.Errorf("counter %d after the yield, want 1000", g.Get())
		}
	}
}

// TestTryTableAndTypedReferences runs, as is and instrumented, a module written by hand with
// what wat2wasm 1.0.32 cannot write: try_table, call_ref, return_call_ref, br_on_null,
// ref.as_non_null and a local of type (ref null $t).
func TestTryTableAndTypedReferences(t *testing.T) {
	types := section(1, vec(3,
		[]byte{0x60, 1, 0x7f, 1, 0x7f}, // 0: (i32) -> i32
		[]byte{0x60, 1, 0x7f, 0},       // 1: (i32) -> ()
		[]byte{0x60, 0, 1, 0x7f},       // 2: () -> i32
	))
	funcs := section(3, vec(7, []byte{1, 0, 2, 2, 2, 2, 2}))
	tags := section(13, vec(1, []byte{0, 1}))
	exports := section(7, vec(5,
		name("catch"), []byte{0, 1}, name("cr"), []byte{0, 3}, name("nn"), []byte{0, 4},
		name("rcr"), []byte{0, 5}, name("loc"), []byte{0, 6}))
	elems := section(9, vec(1, []byte{3, 0}, vec(1, []byte{2}))) // declare func 2
	code := section(10, vec(7,
		// 0 thrower(x): if x { throw 0 (x) }
		withSize([]byte{0, 0x20, 0, 0x04, 0x40, 0x20, 0, 0x08, 0, 0x0b, 0x0b}),
		// 1 catch(x): block i32 { try_table i32 (catch 0 0) { x; call 0; -1 }; 100; i32.add }
		withSize([]byte{0, 0x02, 0x7f, 0x1f, 0x7f, 1, 0, 0, 0, 0x20, 0, 0x10, 0, 0x41, 0x7f, 0x0b,
			0x41, 0xe4, 0, 0x6a, 0x0b, 0x0b}),
		// 2 k: 7
		withSize([]byte{0, 0x41, 7, 0x0b}),
		// 3 cr: call_ref 2 (ref.func 2)
		withSize([]byte{0, 0xd2, 2, 0x14, 2, 0x0b}),
		// 4 nn: block { ref.func 2; br_on_null 0; ref.as_non_null; call_ref 2; return }; -1
		withSize([]byte{0, 0x02, 0x40, 0xd2, 2, 0xd5, 0, 0xd4, 0x14, 2, 0x0f, 0x0b, 0x41, 0x7f, 0x0b}),
		// 5 rcr: return_call_ref 2 (ref.func 2)
		withSize([]byte{0, 0xd2, 2, 0x15, 2, 0x0b}),
		// 6 loc: (local (ref null 2)) local.set 0 (ref.func 2); call_ref 2 (local.get 0)
		withSize([]byte{1, 1, 0x63, 2, 0xd2, 2, 0x21, 0, 0x20, 0, 0x14, 2, 0x0b}),
	))
	in := module(types, funcs, tags, exports, elems, code)
	out, err := instrument.Instrument(in, instrument.Options{Interval: 1})
	if err != nil {
		t.Fatal(err)
	}
	r := newRuntime(t, false)
	orig, inst := instantiate(t, r, in), instantiate(t, r, out)
	ctx := withMeter(context.Background(), &meter{})
	for _, tc := range []struct {
		fn   string
		args []uint64
		want int32
	}{
		{"catch", []uint64{0}, 99},
		{"catch", []uint64{5}, 5},
		{"cr", nil, 7},
		{"nn", nil, 7},
		{"rcr", nil, 7},
		{"loc", nil, 7},
	} {
		for _, mod := range []api.Module{orig, inst} {
			res, err := call(t, ctx, mod, tc.fn, tc.args...)
			if err != nil {
				t.Fatalf("%s: %v", tc.fn, err)
			}
			if got := api.DecodeI32(res[0]); got != tc.want {
				t.Errorf("%s%v = %d, want %d", tc.fn, tc.args, got, tc.want)
			}
		}
	}
}

// TestTailCalls checks that instrumented tail calls still run in constant stack space.
func TestTailCalls(t *testing.T) {
	var src string
	for _, m := range watModules {
		if m.name == "tail calls" {
			src = m.src
		}
	}
	in := guesttest.WAT(t, src)
	out := mustInstrument(t, in, instrument.Options{})
	r := newRuntime(t, false)
	m := &meter{}
	ctx := withMeter(context.Background(), m)
	for _, mod := range []api.Module{instantiate(t, r, in), instantiate(t, r, out)} {
		res, err := call(t, ctx, mod, "tail", 1_000_000)
		if err != nil {
			t.Fatal(err)
		}
		if res[0] != 42 {
			t.Errorf("tail = %d, want 42", res[0])
		}
	}
	if m.yields.Load() != 100 {
		t.Errorf("%d yields, want 100 (1,000,001 function entries)", m.yields.Load())
	}
}

// TestConstantExpressions runs a module written by hand whose function references are in a
// global's initializer and in a table's initializer expression.
func TestConstantExpressions(t *testing.T) {
	in := module(
		section(1, vec(1, []byte{0x60, 0, 1, 0x7f})), // () -> i32
		section(3, vec(3, []byte{0, 0, 0})),
		section(4, vec(2,
			[]byte{0x70, 0x00, 0x01},                                 // funcref, min 1
			[]byte{0x40, 0x00, 0x70, 0x00, 0x01, 0xd2, 0x00, 0x0b})), // funcref, min 1, every entry ref.func 0
		section(6, vec(1, []byte{0x70, 0x00, 0xd2, 0x00, 0x0b})), // funcref, immutable, ref.func 0
		section(7, vec(2, name("global"), []byte{0, 1}, name("table"), []byte{0, 2})),
		section(10, vec(3,
			withSize([]byte{0, 0x41, 7, 0x0b}), // 0: 7
			// 1: table.set 0 (i32.const 0) (global.get 0); call_indirect (type 0) (i32.const 0)
			withSize([]byte{0, 0x41, 0, 0x23, 0, 0x26, 0, 0x41, 0, 0x11, 0, 0, 0x0b}),
			// 2: call_indirect (type 0) table 1 (i32.const 0)
			withSize([]byte{0, 0x41, 0, 0x11, 0, 1, 0x0b}),
		)),
	)
	out, err := instrument.Instrument(in, instrument.Options{})
	if err != nil {
		t.Fatal(err)
	}
	r := newRuntime(t, false)
	ctx := withMeter(context.Background(), &meter{})
	for _, mod := range []api.Module{instantiate(t, r, in), instantiate(t, r, out)} {
		for _, fn := range []string{"global", "table"} {
			res, err := call(t, ctx, mod, fn)
			if err != nil {
				t.Fatalf("%s: %v", fn, err)
			}
			if api.DecodeI32(res[0]) != 7 {
				t.Errorf("%s = %d, want 7", fn, api.DecodeI32(res[0]))
			}
		}
	}
}
