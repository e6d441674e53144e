package lambda

import "context"

// handlerOptions is the configuration of one handler, set by Options.
type handlerOptions struct {
	baseContext           context.Context
	escapeHTML            bool
	indentPrefix          string
	indentValue           string
	indent                bool
	useNumber             bool
	disallowUnknownFields bool
	shutdownCallbacks     []func()
}

func newHandlerOptions(options []Option) *handlerOptions {
	o := &handlerOptions{baseContext: context.Background()}
	for _, opt := range options {
		if opt != nil {
			opt(o)
		}
	}
	return o
}

// Option configures a handler. Options are applied in order; a later one wins.
type Option func(*handlerOptions)

// WithContext sets the context every invocation's context derives from (context.Background by
// default). Its values are visible to the handler; if it is cancelled, so is every invocation.
func WithContext(ctx context.Context) Option {
	return func(o *handlerOptions) { o.baseContext = ctx }
}

// WithSetEscapeHTML sets whether the JSON response escapes <, > and & (json.Encoder's
// SetEscapeHTML). The default is false: the response keeps those characters as they are.
func WithSetEscapeHTML(escapeHTML bool) Option {
	return func(o *handlerOptions) { o.escapeHTML = escapeHTML }
}

// WithSetIndent indents the JSON response (json.Encoder's SetIndent). An indented response keeps
// the encoder's trailing newline; an unindented one does not.
func WithSetIndent(prefix, indent string) Option {
	return func(o *handlerOptions) {
		o.indentPrefix, o.indentValue, o.indent = prefix, indent, true
	}
}

// WithUseNumber decodes JSON numbers in the event into json.Number instead of float64 when the
// target is an interface (json.Decoder's UseNumber).
func WithUseNumber(useNumber bool) Option {
	return func(o *handlerOptions) { o.useNumber = useNumber }
}

// WithDisallowUnknownFields makes an event with a field that the target struct lacks fail the
// invocation (json.Decoder's DisallowUnknownFields).
func WithDisallowUnknownFields(disallowUnknownFields bool) Option {
	return func(o *handlerOptions) { o.disallowUnknownFields = disallowUnknownFields }
}

// WithEnableSIGTERM registers callbacks to run when the execution environment shuts down.
//
// In Lambda, this option makes the runtime receive SIGTERM before the sandbox stops. A wasm guest
// gets no signals: instead, when the host ends the environment (next reports ECANCELED), Start
// runs the callbacks, in order, and then returns. The host gives the guest a short budget for
// this; keep the callbacks quick (flush, close). Without callbacks the option does nothing.
func WithEnableSIGTERM(callbacks ...func()) Option {
	return func(o *handlerOptions) {
		o.shutdownCallbacks = append(o.shutdownCallbacks, callbacks...)
	}
}
