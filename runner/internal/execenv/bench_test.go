package execenv_test

import (
	"context"
	"os"
	"testing"

	"github.com/tetratelabs/wazero"

	"github.com/wasmap/wasmap/runner/internal/execenv"
	"github.com/wasmap/wasmap/runner/internal/guesttest"
)

// benchWarm measures one warm invocation through a single environment.
func benchWarm(b *testing.B, guestDir, event string, noInstrument bool) {
	wasm, err := os.ReadFile(guesttest.Build(b, guestDir))
	if err != nil {
		b.Fatal(err)
	}
	f := load(b, wasm, execenv.Config{Name: "bench", NoInstrument: noInstrument})
	work := make(chan *execenv.Task)
	done := make(chan *execenv.Task, 1)
	go f.Serve(context.Background(), 1, execenv.Queue{Work: work, Done: func(t *execenv.Task) { done <- t }})
	ev := []byte(event)
	work <- &execenv.Task{Event: ev}
	if t := <-done; t.Err != nil {
		b.Fatal(t.Err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		work <- &execenv.Task{Event: ev}
		if t := <-done; t.Err != nil {
			b.Fatal(t.Err)
		}
	}
	b.StopTimer()
	close(work)
}

func BenchmarkWarmEcho(b *testing.B) {
	benchWarm(b, testGuest, `{"op":"echo","value":1}`, false)
}

func BenchmarkWarmEchoNoInstrument(b *testing.B) {
	benchWarm(b, testGuest, `{"op":"echo","value":1}`, true)
}

func BenchmarkWarmUppercase(b *testing.B) {
	benchWarm(b, "samples/uppercase", `{"id":1,"name":"alice","city":"paris","note":"hello world"}`, false)
}

func BenchmarkWarmUppercaseNoInstrument(b *testing.B) {
	benchWarm(b, "samples/uppercase", `{"id":1,"name":"alice","city":"paris","note":"hello world"}`, true)
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

func BenchmarkWarmWATEcho(b *testing.B) {
	f := load(b, guesttest.WAT(b, watEcho), execenv.Config{Name: "bench"})
	work := make(chan *execenv.Task)
	done := make(chan *execenv.Task, 1)
	go f.Serve(context.Background(), 1, execenv.Queue{Work: work, Done: func(t *execenv.Task) { done <- t }})
	ev := []byte(`{"op":"echo","value":1}`)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		work <- &execenv.Task{Event: ev}
		if t := <-done; t.Err != nil {
			b.Fatal(t.Err)
		}
	}
	b.StopTimer()
	close(work)
}

// BenchmarkOverheadEnvironment runs the WAT echo through a full environment with a queue that
// is never empty: next, begin (request id, context JSON), event_read, context_read, respond
// (JSON check, copy) and the Done callback. Compare with BenchmarkOverheadRawCall.
func BenchmarkOverheadEnvironment(b *testing.B) {
	f := load(b, guesttest.WAT(b, watEcho), execenv.Config{Name: "bench"})
	ev := []byte(`{"op":"echo","value":1}`)
	work := make(chan *execenv.Task, 256)
	free := make(chan *execenv.Task, 512)
	for i := 0; i < 512; i++ {
		free <- &execenv.Task{}
	}
	go func() {
		for i := 0; i < b.N; i++ {
			t := <-free
			*t = execenv.Task{Event: ev}
			work <- t
		}
		close(work)
	}()
	failed := 0
	b.ResetTimer()
	f.Serve(context.Background(), 1, execenv.Queue{Work: work, Done: func(t *execenv.Task) {
		if t.Err != nil {
			failed++
		}
		free <- t
	}})
	b.StopTimer()
	if failed > 0 {
		b.Fatalf("%d failed", failed)
	}
}

// watRaw exports the same echo as a function: the cheapest way to run it with wazero.
const watRaw = `(module
  (memory (export "memory") 2)
  (func (export "handle") (param i32 i32) (result i32) (local.get 1)))`

// BenchmarkOverheadRawCall is the baseline: write the event into guest memory, call an exported
// function, read the result back.
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
