package instrument_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/wasmap/wasmap/runner/internal/guesttest"
	"github.com/wasmap/wasmap/runner/internal/instrument"
)

// seeds are valid modules to break.
func seeds(tb testing.TB) [][]byte {
	var s [][]byte
	for _, m := range watModules {
		s = append(s, guesttest.WAT(tb, m.src), watWithNames(tb, m.src))
	}
	return append(s, guesttest.WAT(tb, computeWAT))
}

// check instruments b and fails on a panic or on an output that cannot be read back.
func check(t *testing.T, b []byte, what string) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Fatalf("%s: panic %v on input % x", what, r, b)
		}
	}()
	for _, hook := range []bool{false, true} {
		out, err := instrument.Instrument(b, instrument.Options{HookMemoryGrow: hook})
		if err != nil {
			if !errors.Is(err, instrument.ErrMalformed) && !errors.Is(err, instrument.ErrUnsupported) && !errors.Is(err, instrument.ErrReserved) {
				t.Fatalf("%s: error %v wraps none of the package's errors", what, err)
			}
			continue
		}
		// Whatever the rewriter accepts, it reads back as instrumented.
		if _, err := instrument.Instrument(out, instrument.Options{}); !errors.Is(err, instrument.ErrReserved) {
			t.Fatalf("%s: instrumenting the output again: %v, want ErrReserved; input % x", what, err, b)
		}
	}
}

// TestGarbage truncates valid modules at every length and flips random bytes in them: the
// rewriter returns errors and never panics.
func TestGarbage(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	mutate := func(b []byte) []byte {
		b = append([]byte(nil), b...)
		for range 1 + rng.IntN(3) {
			i := rng.IntN(len(b))
			switch rng.IntN(3) {
			case 0:
				b[i] ^= byte(1 << rng.IntN(8))
			case 1:
				b[i] = byte(rng.IntN(256))
			default:
				b[i] = []byte{0x00, 0x0b, 0x40, 0x7f, 0x80, 0xff, 0xfc, 0xfd}[rng.IntN(8)]
			}
		}
		return b
	}
	for i, s := range seeds(t) {
		for n := range len(s) {
			check(t, s[:n], fmt.Sprintf("seed %d cut at %d", i, n))
		}
		for k := range 300 {
			check(t, mutate(s), fmt.Sprintf("seed %d mutation %d", i, k))
		}
	}
	if testing.Short() {
		return
	}
	g := goGuest(t)
	for k := range 40 {
		check(t, g[:rng.IntN(len(g))], fmt.Sprintf("go guest cut %d", k))
		check(t, mutate(g), fmt.Sprintf("go guest mutation %d", k))
	}
}

// FuzzInstrument: go test -fuzz=FuzzInstrument ./runner/internal/instrument/
func FuzzInstrument(f *testing.F) {
	for _, s := range seeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) { check(t, b, "fuzz input") })
}
