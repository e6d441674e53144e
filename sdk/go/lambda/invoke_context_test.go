package lambda

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/wasmap/wasmap/sdk/go/lambdacontext"
)

func newTestInvokeCtx(base context.Context, deadline time.Time) *invokeCtx {
	c := &invokeCtx{base: base, deadline: deadline, traceID: "Root=1"}
	c.lc.AwsRequestID = "r1"
	return c
}

func isClosed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// The lazy context must be indistinguishable from context.WithDeadline plus two values.
func TestInvokeCtxBehavesLikeWithDeadline(t *testing.T) {
	type baseKey struct{}
	base := context.WithValue(context.Background(), baseKey{}, "b")
	for _, touchDone := range []bool{false, true} {
		deadline := time.Now().Add(30 * time.Millisecond)
		c := newTestInvokeCtx(base, deadline)
		if touchDone && isClosed(c.Done()) {
			t.Fatal("done before the deadline")
		}
		if d, ok := c.Deadline(); !ok || !d.Equal(deadline) {
			t.Errorf("Deadline = %v %v", d, ok)
		}
		if err := c.Err(); err != nil {
			t.Errorf("Err before the deadline = %v", err)
		}
		lc, ok := lambdacontext.FromContext(c)
		if !ok || lc.AwsRequestID != "r1" || c.Value("x-amzn-trace-id") != "Root=1" || c.Value(baseKey{}) != "b" || c.Value("other") != nil {
			t.Errorf("values: %v %v %v %v", lc, c.Value("x-amzn-trace-id"), c.Value(baseKey{}), c.Value("other"))
		}
		child, cancel := context.WithCancel(c)
		if child.Value(baseKey{}) != "b" {
			t.Error("a derived context lost the base's values")
		}
		select {
		case <-child.Done():
		case <-time.After(5 * time.Second):
			t.Fatal("a derived context was not cancelled at the deadline")
		}
		if !errors.Is(child.Err(), context.DeadlineExceeded) || !errors.Is(c.Err(), context.DeadlineExceeded) {
			t.Errorf("after the deadline: child %v, ctx %v", child.Err(), c.Err())
		}
		cancel()
		c.end()
		if !errors.Is(c.Err(), context.DeadlineExceeded) {
			t.Errorf("after end, Err = %v, want it to stay DeadlineExceeded", c.Err())
		}
	}
}

func TestInvokeCtxDeadlinePassesWithoutDone(t *testing.T) {
	c := newTestInvokeCtx(context.Background(), time.Now().Add(-time.Millisecond))
	if !errors.Is(c.Err(), context.DeadlineExceeded) {
		t.Errorf("Err = %v, want DeadlineExceeded", c.Err())
	}
	if !isClosed(c.Done()) {
		t.Error("Done not closed after the deadline")
	}
}

func TestInvokeCtxEnd(t *testing.T) {
	for _, touchDone := range []bool{false, true} {
		c := newTestInvokeCtx(context.Background(), time.Now().Add(time.Hour))
		var done <-chan struct{}
		if touchDone {
			done = c.Done()
		}
		c.end()
		if touchDone && !isClosed(done) {
			t.Error("end did not close Done")
		}
		if !isClosed(c.Done()) || !errors.Is(c.Err(), context.Canceled) {
			t.Errorf("after end: Done closed %v, Err %v; want closed, Canceled", isClosed(c.Done()), c.Err())
		}
	}
}

func TestInvokeCtxBase(t *testing.T) {
	base, cancel := context.WithCancel(context.Background())
	c := newTestInvokeCtx(base, time.Now().Add(time.Hour))
	cancel()
	if !errors.Is(c.Err(), context.Canceled) || !isClosed(c.Done()) {
		t.Errorf("cancelled base: Err %v", c.Err())
	}
	early := time.Now().Add(time.Minute)
	base2, cancel2 := context.WithDeadline(context.Background(), early)
	defer cancel2()
	c = newTestInvokeCtx(base2, time.Now().Add(time.Hour))
	if d, _ := c.Deadline(); !d.Equal(early) {
		t.Errorf("Deadline = %v, want the base's earlier %v", d, early)
	}
}

func TestInvokeCtxConcurrentUse(t *testing.T) {
	c := newTestInvokeCtx(context.Background(), time.Now().Add(20*time.Millisecond))
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 100 {
				_ = c.Err()
				_ = c.Value("x-amzn-trace-id")
				_, _ = lambdacontext.FromContext(c)
			}
			<-c.Done()
		})
	}
	wg.Wait()
	c.end()
	if !errors.Is(c.Err(), context.DeadlineExceeded) {
		t.Errorf("Err = %v", c.Err())
	}
}
