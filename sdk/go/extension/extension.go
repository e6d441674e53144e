// Package extension writes Lambda extensions as wasmap extension modules: the guest side of
// the Extensions API and the Telemetry API (modules wasmap_extension_v1 and
// wasmap_telemetry_v1, abi/ABI.md §9–§11).
//
// An extension is a program of its own (GOOS=wasip1 GOARCH=wasm), given to a run with
// `wasmap run --extension EXT.wasm`. Every execution environment runs one instance of it beside
// the function, through the environment's life: it registers during INIT, then loops on
// NextEvent, which returns INVOKE before each invocation the extension registered for and
// SHUTDOWN once, when the environment ends:
//
//	func main() {
//		ctx := context.Background()
//		c, err := extension.Register(ctx, extension.Name(), extension.Invoke, extension.Shutdown)
//		if err != nil {
//			log.Fatal(err) // the environment's INIT fails with Extension.Crash
//		}
//		for {
//			ev, err := c.NextEvent(ctx)
//			if err != nil {
//				log.Fatal(err)
//			}
//			if ev.EventType == extension.Shutdown {
//				return
//			}
//			// ev.RequestID is the invocation; it ends only when this loop is back in NextEvent.
//		}
//	}
//
// # Telemetry
//
// SubscribeTelemetry (during INIT, before the first NextEvent) subscribes to the platform's
// events, the function's log lines and the extensions' log lines. Lambda pushes batches to an
// HTTP listener; a wasm module has one thread, so here NextEvent itself hands each batch to
// the subscription's handler when the buffering limits say it is due, and goes on waiting.
// The environment is frozen between invocations, so batches come during invocations, and the
// last ones after SHUTDOWN: call FlushTelemetry in the SHUTDOWN handler.
//
// # Timing
//
// An invocation's phase ends when the function has responded and every extension registered
// for INVOKE is back in NextEvent: work an extension does after INVOKE delays the
// environment's next invocation (Lambda's PostRuntimeExtensionsDuration, billed as part of the
// invocation) but not the invocation's result. Everything is bounded by the function's
// timeout; after SHUTDOWN an extension has 2 s (ev.Deadline()) before it is stopped.
//
// Outside a GOOS=wasip1 build every call fails with [ErrNoHost].
package extension

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/wasmap/wasmap/abi"
)

// EventType is an event an extension registers for.
type EventType string

// The events.
const (
	Invoke   EventType = abi.EventInvoke
	Shutdown EventType = abi.EventShutdown
)

// ShutdownReason says why the environment shuts down.
type ShutdownReason string

// The reasons, lower-case as Lambda sends them.
const (
	Spindown ShutdownReason = abi.ShutdownSpindown // no more work (or the run was stopped)
	Timeout  ShutdownReason = abi.ShutdownTimeout  // an invocation timed out: the environment is recycled
	Failure  ShutdownReason = abi.ShutdownFailure  // a crash: the environment is recycled
)

// ErrNoHost is the error of every call outside a wasip1 build. errors.Is(ErrNoHost,
// errors.ErrUnsupported) is true.
var ErrNoHost = fmt.Errorf("extensions need the wasmap host (wasm imports from %s): build with GOOS=wasip1 GOARCH=wasm and run the module under wasmap run --extension: %w",
	abi.ExtensionModule, errors.ErrUnsupported)

// ErrShutdown is NextEvent's error after SHUTDOWN: there are no more events, and the
// extension should return from main.
var ErrShutdown = errors.New("extension: the environment has shut down")

// RegisterResponse is what Register learns about the function.
type RegisterResponse struct {
	FunctionName    string `json:"functionName"`
	FunctionVersion string `json:"functionVersion"`
	Handler         string `json:"handler"`
}

// Tracing is an INVOKE event's X-Ray trace header.
type Tracing struct {
	Type  string `json:"type"`
	Value string `json:"value"`
}

// Event is an event from NextEvent, as Lambda's Extensions API sends it. An INVOKE event
// never carries the invocation's payload.
type Event struct {
	EventType          EventType      `json:"eventType"`
	DeadlineMs         int64          `json:"deadlineMs"`
	RequestID          string         `json:"requestId"`
	InvokedFunctionArn string         `json:"invokedFunctionArn"`
	Tracing            *Tracing       `json:"tracing,omitempty"`
	ShutdownReason     ShutdownReason `json:"shutdownReason"`
}

// Deadline is DeadlineMs as a time: the invocation's deadline, or the end of the shutdown
// budget.
func (e *Event) Deadline() time.Time { return time.UnixMilli(e.DeadlineMs) }

// Error is a call the host refused, with Lambda's error name and message.
type Error struct {
	Op      string    // "register", "next", "init_error", "exit_error", "subscribe", "telemetry_next"
	Errno   abi.Errno // the ABI's errno
	Type    string    // Lambda's errorType, e.g. Extension.InvalidEventType
	Message string    // Lambda's errorMessage
}

func (e *Error) Error() string {
	s := "extension " + e.Op + ": " + errnoName(e.Errno)
	if e.Type != "" {
		s += ": " + e.Type
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	return s
}

func errnoName(e abi.Errno) string {
	switch e {
	case abi.E2BIG:
		return "E2BIG"
	case abi.EFAULT:
		return "EFAULT"
	case abi.EINVAL:
		return "EINVAL"
	case abi.EPERM:
		return "EPERM"
	case abi.EINTR:
		return "EINTR"
	case abi.ECANCELED:
		return "ECANCELED"
	case abi.ENOTSUP:
		return "ENOTSUP"
	}
	return fmt.Sprintf("errno %d", int32(e))
}

// Name returns the extension's name as wasmap launched it (its file name without .wasm):
// registering with it makes the extension external, able to take SHUTDOWN. Lambda's Go
// samples use filepath.Base(os.Args[0]) the same way.
func Name() string {
	if len(os.Args) == 0 {
		return ""
	}
	return strings.TrimSuffix(filepath.Base(os.Args[0]), ".wasm")
}

// Client is a registered extension. It is not goroutine-safe: one goroutine, the main loop,
// calls it (a wasm module runs one goroutine at a time anyway).
type Client struct {
	name     string
	info     RegisterResponse
	buf      []byte
	tbuf     []byte
	onBatch  func([]TelemetryEvent)
	shutdown bool
	parser   eventParser
}

// Register registers the extension for events, during INIT: POST /extension/register. With
// a name other than Name() the extension is internal, and may not register for Shutdown.
// An extension may register for no event at all (a telemetry-only extension, which is
// stopped without SHUTDOWN when the environment ends).
func Register(ctx context.Context, name string, events ...EventType) (*Client, error) {
	if host == nil {
		return nil, ErrNoHost
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	req := abi.ExtensionRegisterRequest{Events: make([]string, 0, len(events))}
	for _, e := range events {
		req.Events = append(req.Events, string(e))
	}
	body, _ := json.Marshal(req)
	c := &Client{name: name, buf: make([]byte, 1024), tbuf: make([]byte, 64<<10)}
	n := host.register(name, body)
	if n < 0 {
		return nil, c.refused("register", abi.Errno(-n), false)
	}
	b, err := c.read(false, int64(n))
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(b, &c.info); err != nil {
		return nil, fmt.Errorf("extension register: %w", err)
	}
	return c, nil
}

// Info returns the register response: the function's name, version and handler.
func (c *Client) Info() RegisterResponse { return c.info }

// NextEvent blocks until the next event: GET /extension/event/next. Telemetry batches that
// become due meanwhile go to the subscription's handler, on this goroutine, and the wait
// goes on. After SHUTDOWN it returns ErrShutdown. ctx is checked before the wait: the host
// cannot interrupt it (the environment ends it at SHUTDOWN).
func (c *Client) NextEvent(ctx context.Context) (*Event, error) {
	if host == nil {
		return nil, ErrNoHost
	}
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		n := host.next()
		switch {
		case n >= 0:
			b, err := c.read(false, n)
			if err != nil {
				return nil, err
			}
			ev := &Event{}
			if err := c.parser.parse(b, ev); err != nil {
				return nil, fmt.Errorf("extension next: %w", err)
			}
			if ev.EventType == Shutdown {
				c.shutdown = true
			}
			return ev, nil
		case abi.Errno(-n) == abi.EINTR:
			if _, err := c.deliverBatch(); err != nil {
				return nil, err
			}
		case abi.Errno(-n) == abi.ECANCELED:
			return nil, ErrShutdown
		default:
			return nil, c.refused("next", abi.Errno(-n), false)
		}
	}
}

// InitError reports that the extension failed to initialise (POST /extension/init/error),
// before its first NextEvent: the environment's INIT fails with Extension.InitError.
// errorType is Lambda's Lambda-Extension-Function-Error-Type, e.g. "Extension.ConfigInvalid".
// The extension should then exit.
func (c *Client) InitError(errorType string, cause error) error {
	return c.postError("init_error", errorType, cause, host.initError)
}

// ExitError reports that the extension failed and will exit (POST /extension/exit/error):
// the current invocation, or INIT, fails with Extension.ExitError.
func (c *Client) ExitError(errorType string, cause error) error {
	return c.postError("exit_error", errorType, cause, host.exitError)
}

func (c *Client) postError(op, errorType string, cause error, call func(string, []byte) int32) error {
	if host == nil {
		return ErrNoHost
	}
	msg := ""
	if cause != nil {
		msg = cause.Error()
	}
	body, _ := json.Marshal(abi.ErrorResponse{ErrorMessage: msg, ErrorType: errorType})
	if n := call(errorType, body); n < 0 {
		return c.refused(op, abi.Errno(-n), false)
	}
	return nil
}

// read fetches the body of the module's last response, of length n.
func (c *Client) read(telemetry bool, n int64) ([]byte, error) {
	buf := &c.buf
	if telemetry {
		buf = &c.tbuf
	}
	for {
		if int64(len(*buf)) < n {
			*buf = make([]byte, (n+4095)&^4095)
		}
		var got int32
		if telemetry {
			got = host.telemetryRead(*buf)
		} else {
			got = host.read(*buf)
		}
		if got < 0 {
			return nil, &Error{Op: "read", Errno: abi.Errno(-got)}
		}
		if int(got) <= len(*buf) {
			return (*buf)[:got], nil
		}
		n = int64(got)
	}
}

// refused builds the error of a refused call from its errno and the error body.
func (c *Client) refused(op string, code abi.Errno, telemetry bool) error {
	e := &Error{Op: op, Errno: code}
	if code == abi.EFAULT || code == abi.E2BIG {
		return e
	}
	if b, err := c.read(telemetry, 0); err == nil {
		var body abi.ErrorResponse
		if json.Unmarshal(b, &body) == nil {
			e.Type, e.Message = body.ErrorType, body.ErrorMessage
		}
	}
	return e
}
