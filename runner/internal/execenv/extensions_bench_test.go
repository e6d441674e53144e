package execenv_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wasmap/wasmap/runner/internal/execenv"
	"github.com/wasmap/wasmap/runner/internal/guesttest"
)

// watExtension is the smallest extension module: it registers for events and loops on next
// until SHUTDOWN has been delivered (next then returns a negative errno).
func watExtension(tb testing.TB, name string, events ...string) []byte {
	body := `{"events":[` + strings.Join(func() []string {
		q := make([]string, len(events))
		for i, e := range events {
			q[i] = strconv.Quote(e)
		}
		return q
	}(), ",") + `]}`
	return guesttest.WAT(tb, fmt.Sprintf(`(module
  (import "wasmap_extension_v1" "register" (func $register (param i32 i32 i32 i32) (result i32)))
  (import "wasmap_extension_v1" "next" (func $next (result i64)))
  (memory (export "memory") 1)
  (data (i32.const 0) %q)
  (data (i32.const 64) %q)
  (func (export "_start")
    (if (i32.lt_s (call $register (i32.const 0) (i32.const %d) (i32.const 64) (i32.const %d)) (i32.const 0))
      (then unreachable))
    (loop $l (br_if $l (i64.ge_s (call $next) (i64.const 0))))))`, name, body, len(name), len(body)))
}

// serveFedQueue is serveFed with the queue's Log and Report set from q.
func serveFedQueue(b *testing.B, f *execenv.Function, event string, q execenv.Queue) {
	ev := []byte(event)
	work := make(chan *execenv.Task, 256)
	free := make(chan *execenv.Task, 512)
	for i := 0; i < 512; i++ {
		free <- &execenv.Task{}
	}
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
	q.Work = work
	q.Done = func(t *execenv.Task) {
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
		if n == b.N+1 {
			b.StopTimer() // SHUTDOWN is not the warm path
		}
	}
	f.Serve(context.Background(), 1, q)
	if failed > 0 {
		b.Fatalf("%d invocations failed", failed)
	}
	b.ReportMetric(float64(guest.Nanoseconds())/float64(b.N), "guest-ns/op")
}

// BenchmarkExtensionWarm is the warm path of the WAT echo (as BenchmarkOverheadEnvironment)
// with nothing, with the log stream (Queue.Log), and beside one idle extension: registered
// for SHUTDOWN only (no round trip per invocation), for INVOKE too (the environment waits for
// it to be back in next), a Go extension registered for INVOKE, and the telemetry plugin
// (SHUTDOWN, platform telemetry batches).
func BenchmarkExtensionWarm(b *testing.B) {
	echo := guesttest.WAT(b, watEcho)
	discard := func(int, string, []byte) {}
	plugin := func(b *testing.B) []byte {
		wasm, err := os.ReadFile(guesttest.Build(b, "plugins/telemetry"))
		if err != nil {
			b.Fatal(err)
		}
		return wasm
	}
	cases := []struct {
		name string
		exts func(b *testing.B) []execenv.Extension
		log  bool
	}{
		{"none", nil, false},
		{"none+log", nil, true},
		{"wat-shutdown-only", func(b *testing.B) []execenv.Extension {
			return []execenv.Extension{{Name: "idle", Wasm: watExtension(b, "idle", "SHUTDOWN")}}
		}, false},
		{"wat-invoke", func(b *testing.B) []execenv.Extension {
			return []execenv.Extension{{Name: "idle", Wasm: watExtension(b, "idle", "INVOKE", "SHUTDOWN")}}
		}, false},
		{"go-invoke", func(b *testing.B) []execenv.Extension {
			return []execenv.Extension{ext(b, "idle", "EXTGUEST_QUIET", "1")}
		}, false},
		{"telemetry-plugin+log", func(b *testing.B) []execenv.Extension {
			return []execenv.Extension{{Name: "telemetry", Wasm: plugin(b)}}
		}, true},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			cfg := execenv.Config{Name: "bench"}
			if c.exts != nil {
				cfg.Extensions = c.exts(b)
			}
			f := load(b, echo, cfg)
			var q execenv.Queue
			if c.log {
				q.Log = discard
			}
			serveFedQueue(b, f, `{"op":"echo","value":1}`, q)
		})
	}
}

// BenchmarkExtensionColdStart starts an environment per iteration (the WAT echo) with no
// extension, a WAT extension, a Go extension and the telemetry plugin, and runs one invocation:
// init-ms is INIT (Init Duration: the extensions register and reach next), shutdown-ms the
// SHUTDOWN phase.
func BenchmarkExtensionColdStart(b *testing.B) {
	echo := guesttest.WAT(b, watEcho)
	cases := []struct {
		name string
		exts func(b *testing.B) []execenv.Extension
	}{
		{"none", nil},
		{"wat", func(b *testing.B) []execenv.Extension {
			return []execenv.Extension{{Name: "idle", Wasm: watExtension(b, "idle", "INVOKE", "SHUTDOWN")}}
		}},
		{"go", func(b *testing.B) []execenv.Extension {
			return []execenv.Extension{ext(b, "idle", "EXTGUEST_QUIET", "1")}
		}},
		{"telemetry-plugin", func(b *testing.B) []execenv.Extension {
			wasm, err := os.ReadFile(guesttest.Build(b, "plugins/telemetry"))
			if err != nil {
				b.Fatal(err)
			}
			return []execenv.Extension{{Name: "telemetry", Wasm: wasm}}
		}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			cfg := execenv.Config{Name: "bench"}
			if c.exts != nil {
				cfg.Extensions = c.exts(b)
			}
			f := load(b, echo, cfg)
			var init, shutdown time.Duration
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				work := make(chan *execenv.Task, 1)
				work <- &execenv.Task{Event: []byte(`{"op":"echo"}`)}
				close(work)
				exit := f.Serve(context.Background(), i, execenv.Queue{Work: work, Done: func(t *execenv.Task) {
					if t.Err != nil {
						b.Fatal(t.Err)
					}
					init += t.InitDuration
				}})
				shutdown += exit.ShutdownDuration
			}
			b.ReportMetric(float64(init.Microseconds())/1000/float64(b.N), "init-ms")
			b.ReportMetric(float64(shutdown.Microseconds())/1000/float64(b.N), "shutdown-ms")
		})
	}
}
