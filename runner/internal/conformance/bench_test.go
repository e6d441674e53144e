package conformance_test

import (
	"context"
	"testing"
	"time"

	"github.com/wasmap/wasmap/runner/internal/execenv"
	"github.com/wasmap/wasmap/runner/internal/guesttest"
)

// benchEvent is the JSON echo every language's conformance module runs: it finds "op" and
// "value" in the event and responds the value (the Go module decodes the event into a struct
// and encodes the value back, as a Go handler does).
const benchEvent = `{"op":"echo","value":{"id":7,"name":"ada lovelace","city":"london","note":"order 1007: leave the parcel with the neighbour"}}`

// BenchmarkEcho measures, for each SDK, a warm invocation of the JSON echo through one
// execution environment whose queue is never empty (ns/op: the whole round trip as a map run
// sees it; guest-ns/op: from the invocation's start to its response), and a cold start: a new
// environment per iteration (the module compiled once and cached, as in a run), its INIT phase
// (init-ms, REPORT's Init Duration) and first invocation (first-invoke-ms).
//
//	go test -run '^$' -bench Echo -benchtime 2000x -count 5 ./runner/internal/conformance
func BenchmarkEcho(b *testing.B) {
	for _, lang := range guesttest.Languages {
		b.Run("warm/"+lang, func(b *testing.B) {
			f := load(b, benchModule(b, lang), newTree(b), nil)
			serveFed(b, f, benchEvent)
		})
	}
	for _, lang := range guesttest.Languages {
		b.Run("cold/"+lang, func(b *testing.B) {
			f := load(b, benchModule(b, lang), newTree(b), nil)
			var init, first time.Duration
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				work := make(chan *execenv.Task, 1)
				work <- &execenv.Task{Event: []byte(benchEvent)}
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

func benchModule(b *testing.B, lang string) []byte {
	b.Helper()
	b.StopTimer()
	defer b.StartTimer()
	wasm, err := readModule(b, lang)
	if err != nil {
		b.Fatal(err)
	}
	return wasm
}

// serveFed runs b.N invocations of event through one environment whose queue a feeder
// goroutine keeps full, as a map run does; the first (the cold start) is not timed.
func serveFed(b *testing.B, f *execenv.Function, event string) {
	ev := []byte(event)
	work := make(chan *execenv.Task, 256)
	free := make(chan *execenv.Task, 512)
	for range 512 {
		free <- &execenv.Task{}
	}
	warm := make(chan struct{})
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
			close(warm)
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
