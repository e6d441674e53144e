package execenv_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/tetratelabs/wazero"

	"github.com/wasmap/wasmap/runner/internal/execenv"
	"github.com/wasmap/wasmap/runner/internal/guesttest"
)

const (
	transformGuest = "runner/testdata/guests/transform"
	transformEvent = `{"id":7,"name":"ada lovelace","city":"london","note":"order 1007: leave the parcel with the neighbour"}`
)

func wasmOf(b *testing.B, dir string) []byte {
	wasm, err := os.ReadFile(guesttest.Build(b, dir))
	if err != nil {
		b.Fatal(err)
	}
	return wasm
}

// serveFed runs b.N invocations of event through one environment whose queue a feeder goroutine
// keeps full, as a map run does, and reports the guest's own time per invocation.
func serveFed(b *testing.B, f *execenv.Function, event string) {
	ev := []byte(event)
	work := make(chan *execenv.Task, 256)
	free := make(chan *execenv.Task, 512)
	for i := 0; i < 512; i++ {
		free <- &execenv.Task{}
	}
	// Warm up: the first invocation is the cold start.
	warm := make(chan *execenv.Task, 1)
	go func() {
		for i := 0; i < b.N+1; i++ {
			if i == 1 {
				<-warm
			}
			t := <-free
			*t = execenv.Task{Event: ev}
			work <- t
		}
		close(work)
	}()
	var failed int
	var guest time.Duration
	n := 0
	f.Serve(context.Background(), 1, execenv.Queue{Work: work, Done: func(t *execenv.Task) {
		if t.Err != nil {
			failed++
		}
		if n == 0 {
			b.ResetTimer()
			warm <- t
		} else {
			guest += t.Duration()
			free <- t
		}
		n++
	}})
	b.StopTimer()
	if failed > 0 {
		b.Fatalf("%d invocations failed", failed)
	}
	b.ReportMetric(float64(guest.Nanoseconds())/float64(b.N), "guest-ns/op")
}

// BenchmarkGuest is a warm Go guest's invocation under each way of enforcing deadlines.
func BenchmarkGuest(b *testing.B) {
	guests := []struct{ name, dir, event string }{
		{"transform", transformGuest, transformEvent},
		{"echo", testGuest, `{"op":"echo","value":1}`},
	}
	meters := []struct {
		name  string
		meter execenv.Meter
	}{{"instrument", execenv.MeterInstrument}, {"none", execenv.MeterNone}, {"contextdone", execenv.MeterContextDone}}
	for _, g := range guests {
		for _, m := range meters {
			b.Run(g.name+"/"+m.name, func(b *testing.B) {
				f := load(b, wasmOf(b, g.dir), execenv.Config{Name: "bench", Meter: m.meter})
				serveFed(b, f, g.event)
			})
		}
	}
}

// watEcho is the smallest function module: it responds to each event with the event itself.
const watEcho = `(module
  (import "wasmap_runtime_v1" "next" (func $next (result i64)))
  (import "wasmap_runtime_v1" "event_read" (func $event_read (param i32 i32) (result i32)))
  (import "wasmap_runtime_v1" "context_read" (func $context_read (param i32 i32) (result i32)))
  (import "wasmap_runtime_v1" "respond" (func $respond (param i32 i32) (result i32)))
  (memory (export "memory") 2)
  (func (export "_start") (local $n i64)
    (loop $l
      (local.set $n (call $next))
      (if (i64.lt_s (local.get $n) (i64.const 0)) (then (return)))
      (drop (call $context_read (i32.const 0) (i32.const 1024)))
      (drop (call $event_read (i32.const 1024) (i32.const 64512)))
      (drop (call $respond (i32.const 1024) (i32.wrap_i64 (local.get $n))))
      (br $l))))`

// BenchmarkOverheadEnvironment runs the WAT echo through a full environment with a queue that
// is never empty: next, begin (request id, context JSON), event_read, context_read, respond
// (JSON check, copy) and the Done callback. Compare with BenchmarkOverheadRawCall.
func BenchmarkOverheadEnvironment(b *testing.B) {
	f := load(b, guesttest.WAT(b, watEcho), execenv.Config{Name: "bench"})
	serveFed(b, f, `{"op":"echo","value":1}`)
}

// watRaw exports the same echo as a function: the cheapest way to run it with wazero.
const watRaw = `(module
  (memory (export "memory") 2)
  (func (export "handle") (param i32 i32) (result i32) (local.get 1)))`

// BenchmarkOverheadRawCall is the baseline: write the event into guest memory, call an exported
// function, copy the result out.
func BenchmarkOverheadRawCall(b *testing.B) {
	ctx := context.Background()
	rt := wazero.NewRuntime(ctx)
	defer rt.Close(ctx)
	mod, err := rt.Instantiate(ctx, guesttest.WAT(b, watRaw))
	if err != nil {
		b.Fatal(err)
	}
	fn := mod.ExportedFunction("handle")
	ev := []byte(`{"op":"echo","value":1}`)
	stack := make([]uint64, 2)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		mod.Memory().Write(1024, ev)
		stack[0], stack[1] = 1024, uint64(len(ev))
		if err := fn.CallWithStack(ctx, stack); err != nil {
			b.Fatal(err)
		}
		out, _ := mod.Memory().Read(1024, uint32(stack[0]))
		_ = append([]byte(nil), out...)
	}
}

// BenchmarkColdStart starts a new environment per iteration (compiled module cached, as in a
// run) and runs one invocation; init-ms is the INIT phase, as REPORT's Init Duration. Each new
// environment reuses the zeroed memory the previous one left, as environments after the first
// ones of a run do; fresh-memory measures a process's first environments, which fault in every
// page they touch.
func BenchmarkColdStart(b *testing.B) {
	for _, g := range []struct {
		name  string
		wasm  func(b *testing.B) []byte
		fresh bool
	}{
		{"go-transform", func(b *testing.B) []byte { return wasmOf(b, transformGuest) }, false},
		{"go-transform/fresh-memory", func(b *testing.B) []byte { return wasmOf(b, transformGuest) }, true},
		{"wat-echo", func(b *testing.B) []byte { return guesttest.WAT(b, watEcho) }, false},
	} {
		b.Run(g.name, func(b *testing.B) {
			f := load(b, g.wasm(b), execenv.Config{Name: "bench", NoMemoryReuse: g.fresh})
			var init, first time.Duration
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				work := make(chan *execenv.Task, 1)
				work <- &execenv.Task{Event: []byte(transformEvent)}
				close(work)
				f.Serve(context.Background(), i, execenv.Queue{Work: work, Done: func(t *execenv.Task) {
					if t.Err != nil {
						b.Fatal(t.Err)
					}
					init += t.InitDuration
					first += t.Duration()
				}})
			}
			b.ReportMetric(float64(init.Microseconds())/1000/float64(b.N), "init-ms")
			b.ReportMetric(float64(first.Microseconds())/1000/float64(b.N), "first-invoke-ms")
		})
	}
}

// BenchmarkBesideSpinner measures a warm Go guest's throughput alone, and while another
// environment of the same process spins in `for {}` without ever calling the host. Without the
// instrumentation the spinner would stall every goroutine at the next garbage collection.
func BenchmarkBesideSpinner(b *testing.B) {
	for _, spin := range []bool{false, true} {
		name := "alone"
		if spin {
			name = "beside-spinner"
		}
		b.Run(name, func(b *testing.B) {
			if spin {
				sf := load(b, wasmOf(b, testGuest), execenv.Config{Name: "spinner", Timeout: time.Hour})
				work := make(chan *execenv.Task, 1)
				work <- &execenv.Task{Event: []byte(`{"op":"spin"}`)}
				ctx, cancel := context.WithCancel(context.Background())
				stopped := make(chan struct{})
				go func() {
					sf.Serve(ctx, 99, execenv.Queue{Work: work, Done: func(*execenv.Task) {}})
					close(stopped)
				}()
				defer func() { cancel(); close(work); <-stopped }()
				time.Sleep(50 * time.Millisecond) // let it start spinning
			}
			f := load(b, wasmOf(b, transformGuest), execenv.Config{Name: "bench"})
			serveFed(b, f, transformEvent)
		})
	}
}
