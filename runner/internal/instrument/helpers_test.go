package instrument_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"
	"github.com/tetratelabs/wazero/sys"

	"github.com/wasmap/wasmap/abi"
	"github.com/wasmap/wasmap/runner/internal/guesttest"
	"github.com/wasmap/wasmap/runner/internal/instrument"
)

// exitDeadline is the exit code the test meter's yield ends a call with.
const exitDeadline = 124

// meter is the host side of wasmap_meter_v1 for one call; the host functions find it in the
// call's context.
type meter struct {
	yields   atomic.Int64
	deadline time.Time // zero: never stop

	mu    sync.Mutex
	grows []uint32 // deltas passed to memory_grow
}

type meterKey struct{}

func withMeter(ctx context.Context, m *meter) context.Context {
	return context.WithValue(ctx, meterKey{}, m)
}

func hostYield(ctx context.Context, _ api.Module, _ []uint64) {
	m, _ := ctx.Value(meterKey{}).(*meter)
	if m == nil {
		return
	}
	m.yields.Add(1)
	if !m.deadline.IsZero() && time.Now().After(m.deadline) {
		panic(sys.NewExitError(exitDeadline))
	}
}

func hostMemoryGrow(ctx context.Context, mod api.Module, stack []uint64) {
	delta := api.DecodeU32(stack[0])
	if m, _ := ctx.Value(meterKey{}).(*meter); m != nil {
		m.mu.Lock()
		m.grows = append(m.grows, delta)
		m.mu.Unlock()
	}
	prev, ok := mod.Memory().Grow(delta)
	if !ok {
		stack[0] = api.EncodeI32(-1)
		return
	}
	stack[0] = api.EncodeU32(prev)
}

// features are the wasm features the test runtimes enable.
const features = api.CoreFeaturesV2 | experimental.CoreFeaturesThreads | experimental.CoreFeaturesTailCall |
	experimental.CoreFeaturesExtendedConst | experimental.CoreFeaturesExceptionHandling |
	experimental.CoreFeaturesTypedFunctionReferences

// newRuntime returns a runtime with WASI, the meter module and the Go guest's host module,
// closed at the end of the test.
func newRuntime(tb testing.TB, closeOnContextDone bool) wazero.Runtime {
	tb.Helper()
	ctx := context.Background()
	cfg := wazero.NewRuntimeConfig().WithCoreFeatures(features).WithCloseOnContextDone(closeOnContextDone)
	r := wazero.NewRuntimeWithConfig(ctx, cfg)
	tb.Cleanup(func() { r.Close(ctx) })
	wasi_snapshot_preview1.MustInstantiate(ctx, r)
	_, err := r.NewHostModuleBuilder(abi.MeterModule).
		NewFunctionBuilder().WithGoModuleFunction(api.GoModuleFunc(hostYield), nil, nil).Export(abi.FuncYield).
		NewFunctionBuilder().WithGoModuleFunction(api.GoModuleFunc(hostMemoryGrow),
		[]api.ValueType{api.ValueTypeI32}, []api.ValueType{api.ValueTypeI32}).Export(abi.FuncMemoryGrow).
		Instantiate(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	_, err = r.NewHostModuleBuilder("goguest").
		NewFunctionBuilder().WithGoModuleFunction(api.GoModuleFunc(hostNext), nil, []api.ValueType{api.ValueTypeI32}).Export("next").
		Instantiate(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	return r
}

// instantiate compiles and instantiates wasm (without running a start function other than
// the module's own) under a fresh name.
func instantiate(tb testing.TB, r wazero.Runtime, wasm []byte) api.Module {
	tb.Helper()
	ctx := context.Background()
	mod, err := r.InstantiateWithConfig(ctx, wasm, wazero.NewModuleConfig().WithName("").WithStartFunctions())
	if err != nil {
		tb.Fatalf("instantiate: %v", err)
	}
	tb.Cleanup(func() { mod.Close(ctx) })
	return mod
}

// mustInstrument instruments wasm and checks the result with wasm-validate.
func mustInstrument(tb testing.TB, wasm []byte, opts instrument.Options) []byte {
	tb.Helper()
	out, err := instrument.Instrument(wasm, opts)
	if err != nil {
		tb.Fatalf("Instrument: %v", err)
	}
	validate(tb, out)
	return out
}

// validate runs wasm-validate --enable-all on wasm.
func validate(tb testing.TB, wasm []byte) {
	tb.Helper()
	tool := guesttest.Need(tb, "wasm-validate", "wabt")
	p := filepath.Join(tb.TempDir(), "out.wasm")
	if err := os.WriteFile(p, wasm, 0o644); err != nil {
		tb.Fatal(err)
	}
	if b, err := exec.Command(tool, "--enable-all", p).CombinedOutput(); err != nil {
		tb.Fatalf("wasm-validate: %v\n%s", err, b)
	}
}

// watWithNames assembles src keeping a name section (guesttest.WAT drops it).
func watWithNames(tb testing.TB, src string) []byte {
	tb.Helper()
	tool := guesttest.Need(tb, "wat2wasm", "wabt")
	d := tb.TempDir()
	in, out := filepath.Join(d, "m.wat"), filepath.Join(d, "m.wasm")
	if err := os.WriteFile(in, []byte(src), 0o644); err != nil {
		tb.Fatal(err)
	}
	if b, err := exec.Command(tool, "--enable-all", "--debug-names", in, "-o", out).CombinedOutput(); err != nil {
		tb.Fatalf("wat2wasm: %v\n%s", err, b)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// wasm2wat disassembles wasm.
func wasm2wat(tb testing.TB, wasm []byte) string {
	tb.Helper()
	tool := guesttest.Need(tb, "wasm2wat", "wabt")
	p := filepath.Join(tb.TempDir(), "m.wasm")
	if err := os.WriteFile(p, wasm, 0o644); err != nil {
		tb.Fatal(err)
	}
	b, err := exec.Command(tool, "--enable-all", p).CombinedOutput()
	if err != nil {
		tb.Fatalf("wasm2wat: %v\n%s", err, b)
	}
	return string(b)
}

// A few helpers to write binary modules by hand, for what wat2wasm cannot express.

func module(sections ...[]byte) []byte {
	return slices.Concat(append([][]byte{[]byte("\x00asm\x01\x00\x00\x00")}, sections...)...)
}

func section(id byte, payload []byte) []byte {
	return append([]byte{id}, withSize(payload)...)
}

// withSize prefixes b with its length.
func withSize(b []byte) []byte { return append(uleb(uint32(len(b))), b...) }

// vec is a count followed by items (the count is not checked, to write broken vectors).
func vec(n uint32, items ...[]byte) []byte {
	return slices.Concat(append([][]byte{uleb(n)}, items...)...)
}

func name(s string) []byte { return withSize([]byte(s)) }

func uleb(v uint32) []byte {
	var b []byte
	for v >= 0x80 {
		b = append(b, byte(v)|0x80)
		v >>= 7
	}
	return append(b, byte(v))
}

var goGuestOnce struct {
	sync.Once
	wasm []byte
	err  error
}

// goGuest builds testdata/goguest and returns its bytes.
func goGuest(tb testing.TB) []byte {
	tb.Helper()
	p := guesttest.Build(tb, "runner/internal/instrument/testdata/goguest")
	goGuestOnce.Do(func() { goGuestOnce.wasm, goGuestOnce.err = os.ReadFile(p) })
	if goGuestOnce.err != nil {
		tb.Fatal(goGuestOnce.err)
	}
	return goGuestOnce.wasm
}
