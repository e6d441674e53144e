package instrument_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/sys"

	"github.com/wasmap/wasmap/runner/internal/instrument"
)

// driver answers the Go guest's goguest.next for one run.
type driver struct {
	warm  int        // untimed calls first (benchmarks)
	n     int        // calls that return work
	print bool       // ask the guest to print each result
	b     *testing.B // timer to reset after warm-up and stop at the end
}

type driverKey struct{}

func hostNext(ctx context.Context, _ api.Module, stack []uint64) {
	d, _ := ctx.Value(driverKey{}).(*driver)
	switch {
	case d == nil:
		stack[0] = 0
	case d.warm > 0:
		d.warm--
		if d.warm == 0 && d.b != nil {
			d.b.ResetTimer()
		}
		stack[0] = 1
	case d.n > 0:
		d.n--
		stack[0] = 1
		if d.print {
			stack[0] = 2
		}
	default:
		if d.b != nil {
			d.b.StopTimer()
		}
		stack[0] = 0
	}
}

// runGoGuest runs the Go guest's main to its end and returns its stdout.
func runGoGuest(tb testing.TB, r wazero.Runtime, compiled wazero.CompiledModule, ctx context.Context) (string, error) {
	tb.Helper()
	var stdout, stderr bytes.Buffer
	cfg := wazero.NewModuleConfig().WithName("").WithStdout(&stdout).WithStderr(&stderr).
		WithSysWalltime().WithSysNanotime()
	mod, err := r.InstantiateModule(ctx, compiled, cfg)
	if mod != nil {
		mod.Close(ctx)
	}
	if stderr.Len() > 0 {
		tb.Logf("guest stderr: %s", stderr.String())
	}
	return stdout.String(), err
}

// TestGoGuest runs a Go program's JSON work as is and instrumented and compares its output.
func TestGoGuest(t *testing.T) {
	in := goGuest(t)
	out := mustInstrument(t, in, instrument.Options{HookMemoryGrow: true})
	r := newRuntime(t, false)
	ctx := context.Background()
	var results [2]string
	m := &meter{}
	for i, wasm := range [][]byte{in, out} {
		compiled, err := r.CompileModule(ctx, wasm)
		if err != nil {
			t.Fatal(err)
		}
		run := withMeter(context.WithValue(ctx, driverKey{}, &driver{n: 20, print: true}), m)
		if results[i], err = runGoGuest(t, r, compiled, run); err != nil {
			t.Fatalf("run %d: %v", i, err)
		}
	}
	if results[0] != results[1] {
		t.Errorf("stdout differs:\nas is:\n%s\ninstrumented:\n%s", results[0], results[1])
	}
	if !strings.HasSuffix(results[0], "done 20 20\n") || strings.Count(results[0], "\n") != 21 {
		t.Errorf("unexpected output:\n%s", results[0])
	}
	if m.yields.Load() == 0 {
		t.Errorf("no yields")
	}
	if len(m.grows) == 0 {
		t.Errorf("the Go runtime never grew its memory through the hook")
	}
	t.Logf("%d yields, %d memory grows (deltas %v)", m.yields.Load(), len(m.grows), m.grows)

	// The guest's work is stopped at a deadline.
	compiled, err := r.CompileModule(ctx, out)
	if err != nil {
		t.Fatal(err)
	}
	stop := &meter{deadline: time.Now().Add(20 * time.Millisecond)}
	run := withMeter(context.WithValue(ctx, driverKey{}, &driver{n: 1 << 30}), stop)
	_, err = runGoGuest(t, r, compiled, run)
	var exit *sys.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != exitDeadline {
		t.Errorf("error %v, want the yield's exit error", err)
	}
}

// BenchmarkInstrumentGoGuest measures the rewrite of the 3 MB Go guest.
func BenchmarkInstrumentGoGuest(b *testing.B) {
	in := goGuest(b)
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		if _, err := instrument.Instrument(in, instrument.Options{HookMemoryGrow: true}); err != nil {
			b.Fatal(err)
		}
	}
}

// variants of a module to compare: as is, instrumented, and as is with wazero's own
// termination checks.
var variants = []struct {
	name               string
	instrument         bool
	closeOnContextDone bool
}{
	{"original", false, false},
	{"instrumented", true, false},
	{"closeOnContextDone", false, true},
}

// BenchmarkGoGuestJSON measures one warm JSON transform of the Go guest (one call of next
// and the work it starts).
func BenchmarkGoGuestJSON(b *testing.B) {
	in := goGuest(b)
	ctx := context.Background()
	for _, v := range variants {
		wasm := in
		if v.instrument {
			wasm = mustInstrument(b, in, instrument.Options{HookMemoryGrow: true})
		}
		r := newRuntime(b, v.closeOnContextDone)
		compiled, err := r.CompileModule(ctx, wasm)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(v.name, func(b *testing.B) {
			m := &meter{deadline: time.Now().Add(time.Hour)}
			run := withMeter(context.WithValue(ctx, driverKey{}, &driver{warm: 200, n: b.N, b: b}), m)
			if _, err := runGoGuest(b, r, compiled, run); err != nil {
				b.Fatal(err)
			}
		})
	}
}
