package lambda_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/wasmap/wasmap/sdk/go/lambda"
	"github.com/wasmap/wasmap/sdk/go/lambda/messages"
)

type event struct {
	Name string `json:"name"`
}

type result struct {
	Greeting string `json:"greeting"`
	HasCtx   bool   `json:"hasCtx,omitempty"`
}

var errHandler = errors.New("handler failed")

// errorTypeName is the errorType the SDK reports for err (aws-lambda-go's rule).
func errorTypeName(err error) string {
	t := reflect.TypeOf(err)
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t.Name()
}

type ctxKey struct{}

func testContext() context.Context {
	return context.WithValue(context.Background(), ctxKey{}, "ctx")
}

func hasTestContext(ctx context.Context) bool { return ctx.Value(ctxKey{}) == "ctx" }

// TestValidSignatures runs each of aws-lambda-go's 12 handler signatures.
func TestValidSignatures(t *testing.T) {
	var calls int
	tests := []struct {
		name    string
		handler any
		want    string
		wantErr error
	}{
		{"func()", func() { calls++ }, "null", nil},
		{"func(TIn)", func(e event) { calls++ }, "null", nil},
		{"func() error", func() error { return errHandler }, "", errHandler},
		{"func(TIn) error", func(e event) error {
			if e.Name != "ada" {
				return errors.New("bad event")
			}
			return nil
		}, "null", nil},
		{"func() (TOut, error)", func() (result, error) { return result{Greeting: "hi"}, nil }, `{"greeting":"hi"}`, nil},
		{"func(TIn) (TOut, error)", func(e event) (result, error) { return result{Greeting: "hi " + e.Name}, nil }, `{"greeting":"hi ada"}`, nil},
		{"func(context.Context)", func(ctx context.Context) {
			if hasTestContext(ctx) {
				calls++
			}
		}, "null", nil},
		{"func(context.Context) error", func(ctx context.Context) error {
			if !hasTestContext(ctx) {
				return errors.New("no context")
			}
			return errHandler
		}, "", errHandler},
		{"func(context.Context) (TOut, error)", func(ctx context.Context) (result, error) {
			return result{Greeting: "hi", HasCtx: hasTestContext(ctx)}, nil
		}, `{"greeting":"hi","hasCtx":true}`, nil},
		{"func(context.Context, TIn)", func(ctx context.Context, e event) { calls++ }, "null", nil},
		{"func(context.Context, TIn) error", func(ctx context.Context, e event) error { return nil }, "null", nil},
		{"func(context.Context, TIn) (TOut, error)", func(ctx context.Context, e event) (result, error) {
			return result{Greeting: "hi " + e.Name, HasCtx: hasTestContext(ctx)}, nil
		}, `{"greeting":"hi ada","hasCtx":true}`, nil},
		// Variants the rules allow.
		{"func(any) (any, error)", func(e any) (any, error) { return e, nil }, `{"name":"ada"}`, nil},
		{"func(*TIn) (*TOut, error)", func(e *event) (*result, error) { return &result{Greeting: e.Name}, nil }, `{"greeting":"ada"}`, nil},
		{"func(json.RawMessage) (json.RawMessage, error)", func(e json.RawMessage) (json.RawMessage, error) { return e, nil }, `{"name":"ada"}`, nil},
		{"func(map) (string, error)", func(e map[string]string) (string, error) { return e["name"], nil }, `"ada"`, nil},
		{"interface that is Context", func(ctx interface {
			Deadline() (time.Time, bool)
			Done() <-chan struct{}
			Err() error
			Value(any) any
		}) (bool, error) {
			return ctx.Value(ctxKey{}) == "ctx", nil
		}, `true`, nil},
		{"returns nil TOut", func() (*result, error) { return nil, nil }, `null`, nil},
		{"error-typed single return", func() *messages.InvokeResponse_Error { return nil }, "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			calls = 0
			got, err := lambda.NewHandler(tt.handler).Invoke(testContext(), []byte(`{"name":"ada"}`))
			if tt.name == "error-typed single return" {
				// A typed nil pointer returned as an error is an error, as in Go.
				if err == nil {
					t.Error("want the typed nil returned as an error")
				}
				return
			}
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if err == nil && string(got) != tt.want {
				t.Errorf("response = %s, want %s", got, tt.want)
			}
			if counts := strings.Contains(tt.name, "func()") && !strings.Contains(tt.name, " ") ||
				tt.name == "func(TIn)" || tt.name == "func(context.Context)" || tt.name == "func(context.Context, TIn)"; counts && calls != 1 {
				t.Errorf("handler ran %d times, want 1", calls)
			}
		})
	}
}

type customContext interface {
	context.Context
	Extra()
}

type notContext interface{ Foo() }

// TestInvalidHandlers checks every rejection message of aws-lambda-go, reported on each call.
func TestInvalidHandlers(t *testing.T) {
	tests := []struct {
		handler any
		want    string
	}{
		{nil, "handler is nil"},
		{struct{}{}, "handler kind struct is not func"},
		{"handler", "handler kind string is not func"},
		{42, "handler kind int is not func"},
		{func(a, b, c int) {}, "handlers may not take more than two arguments, but handler takes 3"},
		{func(ctx context.Context, a, b int) {}, "handlers may not take more than two arguments, but handler takes 3"},
		{func(a string, e event) {}, "handler takes two arguments, but the first is not Context. got string"},
		{func(a any, e event) {}, "handler takes two arguments, but the first is not Context. got interface"},
		{func(a notContext, e event) {}, "handler takes two arguments, but the first is not Context. got interface"},
		{func(a notContext) {}, `handler takes an interface, but it is not context.Context: "notContext"`},
		{func(a customContext) {}, `handler takes an interface, but it is not context.Context: "customContext"`},
		{func(a interface{ Deadline() (time.Time, bool) }) {}, `handler takes an interface, but it is not context.Context: ""`},
		{func() (int, int, error) { return 0, 0, nil }, "handler may not return more than two values"},
		{func() (int, string) { return 0, "" }, "handler returns two values, but the second does not implement error"},
		{func() int { return 0 }, "handler returns a single value, but it does not implement error"},
		{func(ctx context.Context, e event) string { return "" }, "handler returns a single value, but it does not implement error"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			h := lambda.NewHandler(tt.handler)
			for range 2 {
				_, err := h.Invoke(context.Background(), []byte(`{}`))
				if err == nil || err.Error() != tt.want {
					t.Fatalf("err = %v, want %q", err, tt.want)
				}
				if got := errorTypeName(err); got != "errorString" {
					t.Errorf("error type %s, want errorString", got)
				}
			}
		})
	}
}

// A two-argument handler whose first argument is a larger interface than Context is accepted:
// aws-lambda-go only requires that it implement Context. Such a handler cannot be called with a
// plain context, so its invocation panics, as it does in aws-lambda-go.
func TestTwoArgumentsLargerContextInterface(t *testing.T) {
	h := lambda.NewHandler(func(ctx customContext, e event) {})
	defer func() {
		if recover() == nil {
			t.Error("want a panic calling it with a plain context")
		}
	}()
	_, _ = h.Invoke(context.Background(), []byte(`{}`))
}

func TestEventDecodingErrors(t *testing.T) {
	h := lambda.NewHandler(func(e event) error { return nil })
	for payload, wantType := range map[string]string{
		`{"name":`:   "SyntaxError",
		`{"name":5}`: "UnmarshalTypeError",
		``:           "SyntaxError",
	} {
		_, err := h.Invoke(context.Background(), []byte(payload))
		if err == nil || errorTypeName(err) != wantType {
			t.Errorf("payload %q: err = %v (%T), want a %s", payload, err, err, wantType)
		}
	}
}

func TestOptions(t *testing.T) {
	html := func() (map[string]string, error) { return map[string]string{"h": "<a&b>"}, nil }
	numberType := func(e any) (string, error) {
		return reflect.TypeOf(e.(map[string]any)["n"]).String(), nil
	}
	tests := []struct {
		name    string
		handler any
		options []lambda.Option
		payload string
		want    string
		wantErr string
	}{
		{"HTML unescaped by default", html, nil, `{}`, `{"h":"<a&b>"}`, ""},
		{"WithSetEscapeHTML(true)", html, []lambda.Option{lambda.WithSetEscapeHTML(true)}, `{}`, `{"h":"\u003ca\u0026b\u003e"}`, ""},
		{"WithSetIndent keeps the newline", html, []lambda.Option{lambda.WithSetIndent(">", "  ")}, `{}`, "{\n>  \"h\": \"<a&b>\"\n>}\n", ""},
		{"numbers are float64 by default", numberType, nil, `{"n":1}`, `"float64"`, ""},
		{"WithUseNumber", numberType, []lambda.Option{lambda.WithUseNumber(true)}, `{"n":1}`, `"json.Number"`, ""},
		{"WithUseNumber(false)", numberType, []lambda.Option{lambda.WithUseNumber(true), lambda.WithUseNumber(false)}, `{"n":1}`, `"float64"`, ""},
		{"unknown fields allowed by default", func(e event) (string, error) { return e.Name, nil }, nil, `{"name":"a","x":1}`, `"a"`, ""},
		{"WithDisallowUnknownFields", func(e event) (string, error) { return e.Name, nil },
			[]lambda.Option{lambda.WithDisallowUnknownFields(true)}, `{"name":"a","x":1}`, "", `json: unknown field "x"`},
		{"WithContext is not Invoke's", func(ctx context.Context) (bool, error) { return ctx.Value(ctxKey{}) == "ctx", nil },
			[]lambda.Option{lambda.WithContext(context.Background())}, `{}`, `true`, ""},
		{"WithEnableSIGTERM changes nothing here", func() (int, error) { return 1, nil },
			[]lambda.Option{lambda.WithEnableSIGTERM(func() {})}, `{}`, `1`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := lambda.NewHandlerWithOptions(tt.handler, tt.options...).Invoke(testContext(), []byte(tt.payload))
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("err = %v, want %s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("response = %q, want %q", got, tt.want)
			}
		})
	}
}

type closeRecorder struct {
	r      io.Reader
	closed bool
}

func (c *closeRecorder) Read(p []byte) (int, error) { return c.r.Read(p) }
func (c *closeRecorder) Close() error               { c.closed = true; return nil }

type readerWithFields struct {
	Data string `json:"data"`
}

func (readerWithFields) Read([]byte) (int, error) { return 0, io.EOF }

type unencodableReader struct{ C chan int }

func (unencodableReader) Read(p []byte) (int, error) { return copy(p, "raw!"), io.EOF }

func TestReaderResponses(t *testing.T) {
	closer := &closeRecorder{r: strings.NewReader("closed after")}
	tests := []struct {
		name    string
		handler any
		want    string
	}{
		{"bytes.Buffer is raw", func() (*bytes.Buffer, error) { return bytes.NewBufferString("not json"), nil }, "not json"},
		{"strings.Reader is raw", func() (io.Reader, error) { return strings.NewReader(`{"raw":true}`), nil }, `{"raw":true}`},
		{"JSON wins over Read", func() (readerWithFields, error) { return readerWithFields{"d"}, nil }, `{"data":"d"}`},
		{"raw when JSON fails", func() (unencodableReader, error) { return unencodableReader{}, nil }, "raw!"},
		{"closer", func() (io.Reader, error) { return closer, nil }, "closed after"},
		{"nil reader is null", func() (io.Reader, error) { return nil, nil }, "null"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := lambda.NewHandler(tt.handler).Invoke(context.Background(), nil)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("response = %q, want %q", got, tt.want)
			}
		})
	}
	if !closer.closed {
		t.Error("the io.Closer was not closed")
	}
}

func TestSerializationError(t *testing.T) {
	_, err := lambda.NewHandler(func() (func(), error) { return func() {}, nil }).Invoke(context.Background(), nil)
	var ie messages.InvokeResponse_Error
	if !errors.As(err, &ie) || ie.Type != "Runtime.SerializationError" || ie.Message != "json: unsupported type: func()" {
		t.Errorf("err = %#v, want a Runtime.SerializationError", err)
	}
}

type bytesHandler struct{ prefix string }

func (b bytesHandler) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	return append([]byte(b.prefix), payload...), nil
}

func TestHandlerInterface(t *testing.T) {
	// A Handler is used as it is: its bytes are the response.
	got, err := lambda.NewHandler(bytesHandler{"raw:"}).Invoke(context.Background(), []byte(`{}`))
	if err != nil || string(got) != "raw:{}" {
		t.Errorf("Invoke = %q, %v", got, err)
	}
	// NewHandler of a NewHandler result is the same handler.
	h := lambda.NewHandlerWithOptions(func() (string, error) { return "<>", nil }, lambda.WithSetEscapeHTML(true))
	got, err = lambda.NewHandler(h).Invoke(context.Background(), nil)
	if err != nil || string(got) != `"\u003c\u003e"` {
		t.Errorf("Invoke = %q, %v", got, err)
	}
}

func TestInvokeDoesNotRecover(t *testing.T) {
	defer func() {
		if v := recover(); v != "boom" {
			t.Errorf("recovered %v, want the handler's panic", v)
		}
	}()
	_, _ = lambda.NewHandler(func() { panic("boom") }).Invoke(context.Background(), nil)
}
