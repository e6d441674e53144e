package lambda

import (
	"context"
	"errors"
	"log"
	"os"
	"time"

	"github.com/wasmap/wasmap/abi"
	"github.com/wasmap/wasmap/sdk/go/lambda/messages"
)

// errPanicked ends the loop after a panic was reported: the process must exit, and the host then
// recycles the environment (aws-lambda-go's message).
var errPanicked = errors.New("calling the handler function resulted in a panic, the process should exit")

// traceIDKey is the context key of the trace header. It is a plain string, not a private type,
// because aws-lambda-go handlers read it as ctx.Value("x-amzn-trace-id").
const traceIDKey = "x-amzn-trace-id"

// Initial buffer sizes; both grow to the largest value seen and stay there.
const (
	initialEventBuffer   = 16 << 10
	initialContextBuffer = 512
)

// invokeLoop is the runtime: it pulls invocations from the host and runs the handler on each.
// Its buffers live as long as the environment, so a warm invocation allocates only what the
// handler and its context need.
type invokeLoop struct {
	rt      runtimeAPI
	h       *handler
	event   []byte
	context []byte
	ic      invocationContext
	parser  contextParser
	out     *output

	traceEnvSet bool
	traceEnv    string
	setenv      func(key, value string) error
}

func newInvokeLoop(rt runtimeAPI, h *handler) *invokeLoop {
	out := newOutput(h.opts)
	out.limit = abi.MaxResponseBytes + 1
	return &invokeLoop{
		rt:      rt,
		h:       h,
		event:   make([]byte, 0, initialEventBuffer),
		context: make([]byte, 0, initialContextBuffer),
		out:     out,
		setenv:  os.Setenv,
	}
}

// run serves invocations until the host shuts the environment down (nil) or a fatal error: a
// panic in the handler (errPanicked) or a Runtime API call failing in a way the ABI does not
// allow for.
func (l *invokeLoop) run() error {
	for {
		n := l.rt.next()
		if n < 0 {
			if abi.Errno(-n) == abi.ECANCELED {
				l.shutdown()
				return nil
			}
			return &errnoError{abi.FuncNext, abi.Errno(-n)}
		}
		var err error
		if l.event, err = l.read(false, l.event, n); err != nil {
			return err
		}
		if l.context, err = l.read(true, l.context, 0); err != nil {
			return err
		}
		if err := l.invoke(); err != nil {
			return err
		}
	}
}

// read reads the event or the context into buf, growing it as ABI.md §2 says: a read returns the
// full size and copies only when it fits, so a short buffer is grown and the read repeated.
func (l *invokeLoop) read(isContext bool, buf []byte, sizeHint int64) ([]byte, error) {
	if sizeHint > int64(cap(buf)) {
		buf = make([]byte, roundUp(sizeHint))
	}
	for {
		buf = buf[:cap(buf)]
		var n int32
		if isContext {
			n = l.rt.contextRead(buf)
		} else {
			n = l.rt.eventRead(buf)
		}
		switch {
		case n < 0 && isContext:
			return buf[:0], &errnoError{abi.FuncContextRead, abi.Errno(-n)}
		case n < 0:
			return buf[:0], &errnoError{abi.FuncEventRead, abi.Errno(-n)}
		case int(n) <= len(buf):
			return buf[:n], nil
		}
		buf = make([]byte, roundUp(int64(n)))
	}
}

// roundUp rounds a buffer size up to a multiple of 4 KiB.
func roundUp(n int64) int64 { return (n + 4095) &^ 4095 }

// invoke runs the handler on the event and context just read and posts the outcome.
func (l *invokeLoop) invoke() error {
	ctx := &invokeCtx{base: l.h.opts.baseContext}
	if err := l.parser.parseFor(l.context, &l.ic, &ctx.text); err != nil {
		return l.postError(invokeError(err))
	}
	ctx.deadline = time.UnixMilli(l.ic.deadlineMs)
	ctx.traceID = l.ic.traceID
	ctx.self = ctx
	if err := l.ic.fillLambdaContext(&ctx.lc); err != nil {
		return l.postError(invokeError(err))
	}
	defer ctx.end()
	l.setTraceEnv(l.ic.traceID)

	if ierr := l.call(ctx); ierr != nil {
		return l.postError(ierr)
	}
	body := l.out.buf.Bytes()
	return l.checkPost(abi.FuncRespond, l.rt.respond(body), len(body))
}

// call runs the handler, turning a returned error or a panic into its error JSON.
func (l *invokeLoop) call(ctx context.Context) (ierr *messages.InvokeResponse_Error) {
	defer func() {
		if v := recover(); v != nil {
			ierr = panicError(v, panicStack())
		}
	}()
	if err := l.h.invoke(ctx, l.event, l.out); err != nil {
		return invokeError(err)
	}
	return nil
}

// postError logs the error JSON to stderr, as aws-lambda-go does, and posts it. After a panic
// (ShouldExit) it returns errPanicked so that the process exits.
func (l *invokeLoop) postError(ierr *messages.InvokeResponse_Error) error {
	body := marshalError(ierr)
	log.Printf("%s", body)
	// Like aws-lambda-go, no Lambda-Runtime-Function-Error-Type: the body's errorType names the error.
	if err := l.checkPost(abi.FuncRespondError, l.rt.respondError(nil, body), len(body)); err != nil {
		return err
	}
	if ierr.ShouldExit {
		return errPanicked
	}
	return nil
}

// checkPost handles the result of respond or respond_error. The host has already settled the
// invocation when it answers E2BIG (Function.ResponseSizeTooLarge) or EALREADY (it has an
// outcome): the loop logs the fact and carries on. Any other failure is fatal.
func (l *invokeLoop) checkPost(call string, rc int32, size int) error {
	switch {
	case rc >= 0:
		return nil
	case abi.Errno(-rc) == abi.E2BIG:
		log.Printf("wasmap: the response (%d bytes) is over the limit of %d bytes: the invocation failed with %s",
			size, abi.MaxResponseBytes, abi.ErrResponseSizeTooLarge)
		return nil
	case abi.Errno(-rc) == abi.EALREADY:
		log.Printf("wasmap: %s: the invocation already has an outcome; this one was dropped", call)
		return nil
	}
	return &errnoError{call, abi.Errno(-rc)}
}

// setTraceEnv sets _X_AMZN_TRACE_ID for the invocation, skipping the call when it is unchanged.
func (l *invokeLoop) setTraceEnv(traceID string) {
	if l.traceEnvSet && traceID == l.traceEnv {
		return
	}
	if l.setenv("_X_AMZN_TRACE_ID", traceID) == nil {
		l.traceEnvSet, l.traceEnv = true, traceID
	}
}

// shutdown runs the WithEnableSIGTERM callbacks.
func (l *invokeLoop) shutdown() {
	for _, f := range l.h.opts.shutdownCallbacks {
		f()
	}
}
