package instrument_test

import (
	"context"
	"testing"
	"time"

	"github.com/wasmap/wasmap/runner/internal/guesttest"
	"github.com/wasmap/wasmap/runner/internal/instrument"
)

// BenchmarkCompute measures warm calls of computeWAT's functions in each variant: a tight
// loop (count), a loop over memory (fnv) and a recursion without loops (fib).
//
//	go test -run '^$' -bench 'Compute|GoGuest' ./runner/internal/instrument/
func BenchmarkCompute(b *testing.B) {
	in := guesttest.WAT(b, computeWAT)
	ctx := withMeter(context.Background(), &meter{deadline: time.Now().Add(time.Hour)})
	for _, fn := range []struct {
		name string
		arg  uint64
	}{
		{"count", 1000},
		{"fnv", 4096},
		{"fib", 20},
	} {
		for _, v := range variants {
			wasm := in
			if v.instrument {
				wasm = mustInstrument(b, in, instrument.Options{HookMemoryGrow: true})
			}
			f := instantiate(b, newRuntime(b, v.closeOnContextDone), wasm).ExportedFunction(fn.name)
			stack := make([]uint64, 1)
			b.Run(fn.name+"/"+v.name, func(b *testing.B) {
				for b.Loop() {
					stack[0] = fn.arg
					if err := f.CallWithStack(ctx, stack); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
