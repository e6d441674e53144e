package lambda

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wasmap/wasmap/sdk/go/internal/ctxkey"
	"github.com/wasmap/wasmap/sdk/go/lambdacontext"
)

// invokeCtx is the handler's context. It behaves as
//
//	ctx, cancel := context.WithDeadline(base, deadline)  // cancel called when the invocation ends
//	ctx = lambdacontext.NewContext(ctx, lc)
//	ctx = context.WithValue(ctx, "x-amzn-trace-id", traceID)
//
// but costs one allocation, and arms no timer until someone asks for Done: most handlers never
// do, and in wasm a timer and the contexts around it cost more than the rest of the SDK's work
// on an invocation. Done (or anything built on it: a derived context, context.AfterFunc) creates
// the real deadline context; Err and Deadline are answered from the clock until then.
//
// invokeCtx is goroutine-safe, like every context.
type invokeCtx struct {
	base     context.Context
	deadline time.Time
	lc       lambdacontext.LambdaContext
	traceID  string
	// self is the context as a context.Context, for reflect to pass to a handler without
	// allocating an interface of its own.
	self context.Context
	// text holds the bytes of lc.AwsRequestID and of traceID (see contextParser.parseFor).
	text contextText

	mu     sync.Mutex
	inner  atomic.Pointer[context.Context] // the real deadline context, once Done was called
	cancel context.CancelFunc
	ended  bool
	endErr error // Err after the invocation ended without inner
}

var _ context.Context = (*invokeCtx)(nil)

// Deadline is the invocation's deadline, or the base context's if that is earlier.
func (c *invokeCtx) Deadline() (time.Time, bool) {
	if d, ok := c.base.Deadline(); ok && d.Before(c.deadline) {
		return d, true
	}
	return c.deadline, true
}

// Done returns a channel closed at the deadline, when the base context is done, or when the
// invocation ends, whichever comes first.
func (c *invokeCtx) Done() <-chan struct{} {
	return c.real().Done()
}

// Err is nil until Done would be closed, then why, as context.WithDeadline reports it.
func (c *invokeCtx) Err() error {
	if inner := c.inner.Load(); inner != nil {
		return (*inner).Err()
	}
	c.mu.Lock()
	ended, endErr := c.ended, c.endErr
	c.mu.Unlock()
	if ended {
		return endErr
	}
	if err := c.base.Err(); err != nil {
		return err
	}
	if d, _ := c.Deadline(); !time.Now().Before(d) {
		return context.DeadlineExceeded
	}
	return nil
}

// Value answers lambdacontext's key and "x-amzn-trace-id", and asks the deadline context (or the
// base context before there is one) for any other key.
func (c *invokeCtx) Value(key any) any {
	switch key {
	case ctxkey.LambdaContext{}:
		return &c.lc
	case traceIDKey:
		return c.traceID
	}
	if inner := c.inner.Load(); inner != nil {
		return (*inner).Value(key)
	}
	return c.base.Value(key)
}

// real returns the deadline context, creating it on first use.
func (c *invokeCtx) real() context.Context {
	if inner := c.inner.Load(); inner != nil {
		return *inner
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if inner := c.inner.Load(); inner != nil {
		return *inner
	}
	ctx, cancel := context.WithDeadline(c.base, c.deadline)
	if c.ended {
		cancel() // asked after the invocation: already done
	}
	c.cancel = cancel
	c.inner.Store(&ctx)
	return ctx
}

// end marks the end of the invocation: the context is then done, as when aws-lambda-go calls
// the deadline context's cancel function.
func (c *invokeCtx) end() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ended {
		return
	}
	c.ended = true
	if c.cancel != nil {
		c.cancel()
		return
	}
	// The invocation ends before its deadline (a host stops a guest at the deadline), so the
	// clock need not be read here.
	c.endErr = context.Canceled
	if err := c.base.Err(); err != nil {
		c.endErr = err
	}
}

// String describes the context, for debugging.
func (c *invokeCtx) String() string {
	return "lambda.invocationContext(" + c.lc.AwsRequestID + ")"
}
