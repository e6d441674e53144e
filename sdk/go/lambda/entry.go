// Package lambda runs a Go handler as a wasmap function module, with the API of
// github.com/aws/aws-lambda-go/lambda: a function written for Lambda builds for wasmap by
// changing its import paths only.
//
// Build the module with GOOS=wasip1 GOARCH=wasm go build. Its main calls Start, which is the
// runtime: it loops on the host's Runtime API (wasm imports from wasmap_runtime_v1, see ABI.md),
// running the handler once per invocation. Code before Start is the function's init and runs
// once per execution environment; globals stay warm across invocations.
//
// # Notes
//
//   - The handler's context carries the deadline (ctx.Deadline is the invocation's timeout),
//     a lambdacontext.LambdaContext (lambdacontext.FromContext), and the trace header as
//     ctx.Value("x-amzn-trace-id"), which is also put in the environment as _X_AMZN_TRACE_ID.
//   - A returned error is posted as {"errorMessage": err.Error(), "errorType": <type name>}, and
//     logged to stderr.
//   - A panic is posted with its value, type and stack trace, logged, and then the process exits
//     with status 1, as with aws-lambda-go; the host recycles the environment.
//   - The host suspends the module between invocations: goroutines started by the handler run
//     only while an invocation (or the init) is running.
package lambda

import (
	"context"
	"log"
)

// Start runs handler as the function, with default options. It returns only when the host shuts
// the execution environment down; main should then return. A fatal error (a handler panic, or a
// Runtime API failure) ends the process with log.Fatal.
//
// handler is a Handler, or a function with one of aws-lambda-go's signatures:
//
//	func ()
//	func (TIn)
//	func () error
//	func (TIn) error
//	func () (TOut, error)
//	func (TIn) (TOut, error)
//	func (context.Context)
//	func (context.Context) error
//	func (context.Context) (TOut, error)
//	func (context.Context, TIn)
//	func (context.Context, TIn) error
//	func (context.Context, TIn) (TOut, error)
//
// TIn is decoded from the event with encoding/json; TOut is encoded with encoding/json, HTML
// characters unescaped and without a trailing newline. A handler without TOut responds null. A
// TOut that is an io.Reader and does not encode to JSON other than {} is read and posted raw (and
// closed if it is an io.Closer). A single interface argument is the context only if it is
// context.Context's method set exactly; any other argument is the event.
//
// A handler that breaks these rules is not rejected at start-up: every invocation fails with
// {"errorMessage":<reason>,"errorType":"errorString"}, the reason being one of
//
//	handler is nil
//	handler kind %s is not func
//	handlers may not take more than two arguments, but handler takes %d
//	handler takes two arguments, but the first is not Context. got %s
//	handler takes an interface, but it is not context.Context: %q
//	handler may not return more than two values
//	handler returns two values, but the second does not implement error
//	handler returns a single value, but it does not implement error
//
// Outside a wasip1 build, Start fails at once with log.Fatal, saying how to build the module.
func Start(handler any) {
	StartWithOptions(handler)
}

// StartWithOptions is Start with options. Options are ignored when handler comes from
// NewHandlerWithOptions, which has its own.
func StartWithOptions(handler any, options ...Option) {
	start(newHandler(handler, options))
}

// StartHandlerFunc is StartWithOptions for a handler whose types are checked at compile time. It
// calls the handler without reflection.
func StartHandlerFunc[TIn, TOut any](handler func(context.Context, TIn) (TOut, error), options ...Option) {
	start(newTypedHandler(handler, options))
}

// StartHandler runs a Handler.
//
// Deprecated: use Start, which accepts a Handler.
func StartHandler(handler Handler) {
	StartWithOptions(handler)
}

// StartHandlerWithContext runs a Handler with ctx as every invocation's base context.
//
// Deprecated: use StartWithOptions with WithContext.
func StartHandlerWithContext(ctx context.Context, handler Handler) {
	StartWithOptions(handler, WithContext(ctx))
}

func start(h *handler) {
	rt, err := newRuntime()
	if err != nil {
		log.Fatal(err)
	}
	if err := newInvokeLoop(rt, h).run(); err != nil {
		log.Fatal(err)
	}
}
