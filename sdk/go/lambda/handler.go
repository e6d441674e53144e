package lambda

import (
	"bytes"
	"context"
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"

	"github.com/wasmap/wasmap/sdk/go/lambda/messages"
)

// Handler is a function at the level of bytes: it takes the event JSON and returns the response
// JSON. Start accepts a Handler as well as a function, and NewHandler turns a function into one.
//
// The SDK gives each invocation a payload of its own, which the handler may keep. The returned
// bytes are posted as they are (they must be JSON for the invocation to succeed).
type Handler interface {
	Invoke(ctx context.Context, payload []byte) ([]byte, error)
}

// NewHandler is NewHandlerWithOptions without options.
func NewHandler(handlerFunc any) Handler {
	return NewHandlerWithOptions(handlerFunc)
}

// NewHandlerWithOptions turns a function with one of the signatures listed under Start (or a
// Handler) into a Handler, configured by options. The Handler's Invoke decodes the payload,
// calls the function and encodes its result exactly as an invocation under Start does, but does
// not recover panics. An invalid function is not an error here: its Invoke fails every call with
// the reason (see Start). Passing the result to Start ignores Start's own options.
//
// The Handler is safe for concurrent use if the function is.
func NewHandlerWithOptions(handlerFunc any, options ...Option) Handler {
	return newHandler(handlerFunc, options)
}

// handler is the SDK's form of every handler.
type handler struct {
	opts   *handlerOptions
	invoke invokeFunc
}

// invokeFunc runs one invocation: it decodes payload, calls the user's function and leaves the
// response in out. payload belongs to the caller and is valid only during the call.
type invokeFunc func(ctx context.Context, payload []byte, out *output) error

// Invoke implements Handler.
func (h *handler) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	out := newOutput(h.opts)
	if err := h.invoke(ctx, payload, out); err != nil {
		return nil, err
	}
	return out.buf.Bytes(), nil
}

func newHandler(handlerFunc any, options []Option) *handler {
	if h, ok := handlerFunc.(*handler); ok {
		return h
	}
	o := newHandlerOptions(options)
	return &handler{opts: o, invoke: reflectHandler(handlerFunc, o)}
}

// newTypedHandler is newHandler for a function whose types are known at compile time: no
// reflection on the warm path.
func newTypedHandler[TIn, TOut any](f func(context.Context, TIn) (TOut, error), options []Option) *handler {
	o := newHandlerOptions(options)
	if f == nil {
		return &handler{opts: o, invoke: failingHandler(errors.New("handler is nil"))}
	}
	reuse := reusableEvent(reflect.TypeFor[TIn]())
	return &handler{opts: o, invoke: func(ctx context.Context, payload []byte, out *output) error {
		in, _ := out.event.(*TIn)
		if in == nil || !reuse {
			in = new(TIn)
			if reuse {
				out.event = in
			}
		}
		err := decodeEvent(payload, in, o)
		var res TOut
		if err == nil {
			res, err = f(ctx, *in)
		}
		if reuse {
			var zero TIn
			*in = zero // for the next event, and so as not to keep this one's data alive
		}
		if err != nil {
			return err
		}
		return out.encode(res)
	}}
}

// failingHandler fails every invocation with err: aws-lambda-go reports an invalid handler on
// each invoke, not at start-up.
func failingHandler(err error) invokeFunc {
	return func(context.Context, []byte, *output) error { return err }
}

// userHandler adapts a Handler written by the user; its bytes are the response as they are.
func userHandler(h Handler) invokeFunc {
	return func(ctx context.Context, payload []byte, out *output) error {
		b, err := h.Invoke(ctx, bytes.Clone(payload))
		if err != nil {
			return err
		}
		out.buf.Reset()
		out.buf.Write(b)
		return nil
	}
}

var (
	contextType = reflect.TypeFor[context.Context]()
	errorType   = reflect.TypeFor[error]()
)

// reflectHandler checks f against aws-lambda-go's rules and returns its invokeFunc, or one that
// fails every invocation with the rule it breaks.
func reflectHandler(f any, o *handlerOptions) invokeFunc {
	if f == nil {
		return failingHandler(errors.New("handler is nil"))
	}
	if h, ok := f.(Handler); ok {
		return userHandler(h)
	}
	fv := reflect.ValueOf(f)
	ft := fv.Type()
	if ft.Kind() != reflect.Func {
		return failingHandler(fmt.Errorf("handler kind %s is not func", ft.Kind()))
	}
	takesContext, err := handlerTakesContext(ft)
	if err != nil {
		return failingHandler(err)
	}
	if err := validateReturns(ft); err != nil {
		return failingHandler(err)
	}

	if invoke := directHandler(fv); invoke != nil {
		return invoke
	}

	var eventType reflect.Type
	if n := ft.NumIn(); n == 2 || (n == 1 && !takesContext) {
		eventType = ft.In(n - 1)
	}
	numOut := ft.NumOut()
	reuse := eventType != nil && reusableEvent(eventType)
	return func(ctx context.Context, payload []byte, out *output) error {
		var argv [2]reflect.Value
		args := argv[:0]
		if takesContext {
			args = append(args, contextValue(ctx))
		}
		var event reflect.Value
		if eventType != nil {
			if reuse {
				event = out.reflectEvent(eventType)
			} else {
				event = reflect.New(eventType)
			}
			if err := decodeEvent(payload, event.Interface(), o); err != nil {
				if reuse {
					event.Elem().SetZero()
				}
				return err
			}
			args = append(args, event.Elem())
		}
		results := fv.Call(args)
		if reuse {
			event.Elem().SetZero() // for the next event, and so as not to keep this one's data alive
		}
		if numOut > 0 {
			if err, ok := results[numOut-1].Interface().(error); ok && err != nil {
				return err
			}
		}
		if numOut < 2 {
			out.null()
			return nil
		}
		return out.encode(results[0].Interface())
	}
}

// The signatures without an event or a result, which directHandler calls without reflection.
var (
	funcType         = reflect.TypeFor[func()]()
	funcErrorType    = reflect.TypeFor[func() error]()
	funcCtxType      = reflect.TypeFor[func(context.Context)]()
	funcCtxErrorType = reflect.TypeFor[func(context.Context) error]()
)

// directHandler returns the invokeFunc of a valid handler that takes neither an event nor
// returns a value, calling it as a func value: reflect.Value.Call costs about a microsecond in
// wasm. It returns nil for any other handler, and for a nil function (which reflect reports in
// its own words).
func directHandler(fv reflect.Value) invokeFunc {
	if fv.IsNil() {
		return nil
	}
	switch ft := fv.Type(); {
	case ft.ConvertibleTo(funcType):
		f := fv.Convert(funcType).Interface().(func())
		return func(_ context.Context, _ []byte, out *output) error {
			f()
			out.null()
			return nil
		}
	case ft.ConvertibleTo(funcErrorType):
		f := fv.Convert(funcErrorType).Interface().(func() error)
		return func(_ context.Context, _ []byte, out *output) error {
			if err := f(); err != nil {
				return err
			}
			out.null()
			return nil
		}
	case ft.ConvertibleTo(funcCtxType):
		f := fv.Convert(funcCtxType).Interface().(func(context.Context))
		return func(ctx context.Context, _ []byte, out *output) error {
			f(ctx)
			out.null()
			return nil
		}
	case ft.ConvertibleTo(funcCtxErrorType):
		f := fv.Convert(funcCtxErrorType).Interface().(func(context.Context) error)
		return func(ctx context.Context, _ []byte, out *output) error {
			if err := f(ctx); err != nil {
				return err
			}
			out.null()
			return nil
		}
	}
	return nil
}

// contextValue is ctx as a reflect.Value of type context.Context (valid even for a nil ctx). The
// invoke loop's context holds itself as a context.Context for this; any other ctx is moved to
// the heap, in a function of its own so that only handlers taking a context pay for it.
func contextValue(ctx context.Context) reflect.Value {
	if c, ok := ctx.(*invokeCtx); ok && c.self == ctx {
		return reflect.ValueOf(&c.self).Elem()
	}
	return boxContext(ctx)
}

// boxContext is contextValue for any ctx: it moves ctx to the heap.
func boxContext(ctx context.Context) reflect.Value {
	return reflect.ValueOf(&ctx).Elem()
}

// handlerTakesContext reports whether the first argument of a handler is a context.Context.
func handlerTakesContext(ft reflect.Type) (bool, error) {
	switch ft.NumIn() {
	case 0:
		return false, nil
	case 1:
		arg := ft.In(0)
		// An interface without methods (any) is an event, not a context.
		if arg.Kind() != reflect.Interface || arg.NumMethod() == 0 {
			return false, nil
		}
		if !arg.Implements(contextType) || !contextType.Implements(arg) {
			return false, fmt.Errorf("handler takes an interface, but it is not context.Context: %q", arg.Name())
		}
		return true, nil
	case 2:
		arg := ft.In(0)
		if arg.Kind() != reflect.Interface || !arg.Implements(contextType) {
			return false, fmt.Errorf("handler takes two arguments, but the first is not Context. got %s", arg.Kind())
		}
		return true, nil
	default:
		return false, fmt.Errorf("handlers may not take more than two arguments, but handler takes %d", ft.NumIn())
	}
}

func validateReturns(ft reflect.Type) error {
	switch ft.NumOut() {
	case 0:
		return nil
	case 1:
		if !ft.Out(0).Implements(errorType) {
			return errors.New("handler returns a single value, but it does not implement error")
		}
		return nil
	case 2:
		if !ft.Out(1).Implements(errorType) {
			return errors.New("handler returns two values, but the second does not implement error")
		}
		return nil
	default:
		return errors.New("handler may not return more than two values")
	}
}

// decodeEvent decodes the event JSON into v (a pointer). Decoding errors are returned as they
// are, so their type names the error (SyntaxError, UnmarshalTypeError).
func decodeEvent(payload []byte, v any, o *handlerOptions) error {
	if !o.useNumber && !o.disallowUnknownFields {
		return json.Unmarshal(payload, v)
	}
	d := json.NewDecoder(bytes.NewReader(payload))
	if o.useNumber {
		d.UseNumber()
	}
	if o.disallowUnknownFields {
		d.DisallowUnknownFields()
	}
	return d.Decode(v)
}

var (
	jsonUnmarshalerType = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// reusableEvent reports whether one variable of type t may hold the events of successive
// invocations, zeroed before each: no code outside encoding/json can see its address. The handler
// gets a copy of the value, and encoding/json fills anything t points to (a pointer, a slice, a
// map, an interface) with new storage once the variable is zero; only an UnmarshalJSON or
// UnmarshalText method of t or of a field stored in it could keep the address.
func reusableEvent(t reflect.Type) bool {
	if p := reflect.PointerTo(t); p.Implements(jsonUnmarshalerType) || p.Implements(textUnmarshalerType) {
		return false
	}
	switch t.Kind() {
	case reflect.Struct:
		for i := range t.NumField() {
			if !reusableEvent(t.Field(i).Type) {
				return false
			}
		}
	case reflect.Array:
		return reusableEvent(t.Elem())
	}
	return true
}

// output holds the response of an invocation. The invoke loop keeps one for the life of the
// environment, so its buffer and encoder are reused.
type output struct {
	buf    bytes.Buffer
	enc    *json.Encoder
	indent bool
	// limit caps what a raw io.Reader response may add to buf (0: no cap). A response over the
	// host's limit fails anyway; the cap keeps an endless reader from exhausting memory.
	limit int64
	// event is the variable that the events are decoded into when reusableEvent allows: a *TIn
	// (typed handlers) or a reflect.Value of a pointer (reflectEvent). It is zero between
	// invocations: the handler that uses it zeroes it when the invocation is over (after a panic
	// the invoke loop stops, and Handler.Invoke has an output per call).
	event any
}

// reflectEvent returns a pointer to a zero variable of type t, the same one on every call.
func (w *output) reflectEvent(t reflect.Type) reflect.Value {
	if v, ok := w.event.(reflect.Value); ok && v.Type().Elem() == t {
		return v
	}
	v := reflect.New(t)
	w.event = v
	return v
}

func newOutput(o *handlerOptions) *output {
	out := &output{indent: o.indent}
	out.enc = json.NewEncoder(&out.buf)
	out.enc.SetEscapeHTML(o.escapeHTML)
	if o.indent {
		out.enc.SetIndent(o.indentPrefix, o.indentValue)
	}
	return out
}

// errorTypeSerialization is the errorType of a response that cannot be encoded.
const errorTypeSerialization = "Runtime.SerializationError"

// null makes the response JSON null (a handler without a TOut).
func (w *output) null() {
	w.buf.Reset()
	w.buf.WriteString("null")
}

// encode makes v the response: its JSON, without the encoder's trailing newline unless indented.
// A v that is an io.Reader and whose JSON fails or is {} is read and sent as raw bytes, and
// closed afterwards if it is an io.Closer.
func (w *output) encode(v any) error {
	w.buf.Reset()
	err := w.enc.Encode(v)
	r, isReader := v.(io.Reader)
	if err != nil {
		if isReader {
			return w.readRaw(r)
		}
		w.buf.Reset()
		return messages.InvokeResponse_Error{Message: err.Error(), Type: errorTypeSerialization}
	}
	if isReader && bytes.HasPrefix(w.buf.Bytes(), []byte("{}")) {
		return w.readRaw(r)
	}
	if !w.indent {
		if b := w.buf.Bytes(); len(b) > 0 && b[len(b)-1] == '\n' {
			w.buf.Truncate(len(b) - 1)
		}
	}
	return nil
}

func (w *output) readRaw(r io.Reader) error {
	w.buf.Reset()
	src := r
	if w.limit > 0 {
		src = io.LimitReader(r, w.limit)
	}
	_, err := w.buf.ReadFrom(src)
	if c, ok := r.(io.Closer); ok {
		if cerr := c.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		w.buf.Reset()
		return err
	}
	return nil
}
