// Command confext is the Go extension conformance module: the extension behaviours of
// runner/internal/conformance (see its doc.go for the protocol) written with sdk/go/extension,
// the reference the other SDKs' extension modules must match.
//
// Build: GOOS=wasip1 GOARCH=wasm go build -o confext.wasm .
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/wasmap/wasmap/abi"
	"github.com/wasmap/wasmap/sdk/go/extension"
	"github.com/wasmap/wasmap/sdk/go/object"
)

func say(format string, args ...any) {
	fmt.Printf("confext: "+format+"\n", args...)
}

var errnoNames = map[abi.Errno]string{abi.E2BIG: "E2BIG", abi.EFAULT: "EFAULT", abi.EINVAL: "EINVAL",
	abi.EPERM: "EPERM", abi.EINTR: "EINTR", abi.ECANCELED: "ECANCELED", abi.ENOTSUP: "ENOTSUP"}

// refused reports a call the host refused: REFUSED <op> <ERRNO> <errorType> <errorMessage>.
func refused(err error) {
	var e *extension.Error
	if !errors.As(err, &e) {
		say("ERROR %v", err)
		os.Exit(1)
	}
	say("REFUSED %s %s %s %s", e.Op, errnoNames[e.Errno], e.Type, e.Message)
}

// must ends the module on an unexpected error.
func must(err error) {
	if err != nil {
		say("ERROR %v", err)
		os.Exit(1)
	}
}

func main() {
	ctx := context.Background()
	mode := os.Getenv("CONFEXT_MODE")
	name := extension.Name()

	// Refusals: an empty name, SHUTDOWN for an internal extension.
	if _, err := extension.Register(ctx, "", extension.Invoke); err != nil {
		refused(err)
	}
	if _, err := extension.Register(ctx, name+"-internal", extension.Shutdown); err != nil {
		refused(err)
	}
	c, err := extension.Register(ctx, name, extension.Invoke, extension.Shutdown)
	must(err)
	info := c.Info()
	say("REGISTERED %s %s %s %s", name, info.FunctionName, info.FunctionVersion, info.Handler)
	if _, err := extension.Register(ctx, name, extension.Invoke); err != nil {
		refused(err)
	}

	switch mode {
	case "init-error":
		say("INIT_ERROR")
		must(c.InitError("Extension.ConfigInvalid", errors.New("conformance: extension init failed on purpose")))
		return
	case "exit-error":
		say("EXIT_ERROR")
		must(c.ExitError("Extension.Broken", errors.New("conformance: extension broken on purpose")))
		return
	}

	if err := c.ExitError("", nil); err != nil {
		refused(err)
	}
	bad := extension.TelemetrySubscription{Types: []extension.TelemetryType{extension.Platform}, Buffering: extension.Buffering{MaxItems: 5}}
	if err := c.SubscribeTelemetry(bad, func([]extension.TelemetryEvent) {}); err != nil {
		refused(err)
	}
	var invokes, reports, lines, events int
	sub := extension.TelemetrySubscription{
		Types:     []extension.TelemetryType{extension.Platform, extension.FunctionLogs},
		Buffering: extension.Buffering{MaxItems: 1000, MaxBytes: 262144, TimeoutMs: 25},
	}
	must(c.SubscribeTelemetry(sub, func(batch []extension.TelemetryEvent) {
		for _, ev := range batch {
			events++
			if ev.Time.IsZero() {
				say("ERROR event %s has no time", ev.Type)
			}
			if r, ok := ev.InitStart(); ok {
				say("INITSTART %s %s %s %s", r.FunctionName, r.FunctionVersion, r.Phase, r.InstanceID)
			}
			if r, ok := ev.Report(); ok {
				reports++
				cold := "warm"
				if r.Metrics.InitDurationMs != nil {
					cold = "cold"
				}
				say("REPORT %s %s %d %s", r.RequestID, r.Status, r.Metrics.MemorySizeMB, cold)
			}
			if l, ok := ev.Line(); ok {
				lines++
				say("LINE %s", l)
			}
		}
	}))
	say("SUBSCRIBED")

	for {
		ev, err := c.NextEvent(ctx)
		if errors.Is(err, extension.ErrShutdown) {
			say("ERROR NextEvent after SHUTDOWN")
			os.Exit(1)
		}
		must(err)
		switch ev.EventType {
		case extension.Invoke:
			invokes++
			trace := "-"
			if ev.Tracing != nil {
				trace = ev.Tracing.Type + " " + ev.Tracing.Value
			}
			say("INVOKE %s %d %s %s", ev.RequestID, ev.DeadlineMs, ev.InvokedFunctionArn, trace)
		case extension.Shutdown:
			say("SHUTDOWN %s %d", ev.ShutdownReason, ev.DeadlineMs)
			must(c.FlushTelemetry())
			summary := fmt.Sprintf(`{"events":%d,"invokes":%d,"lines":%d,"reports":%d,"shutdownReason":"%s"}`,
				events, invokes, lines, reports, ev.ShutdownReason)
			w, err := object.CreateOutput("summary.json")
			must(err)
			_, err = io.Copy(w, strings.NewReader(summary))
			must(err)
			must(w.Close())
			say("SUMMARY %s", summary)
			// After SHUTDOWN and the flush, next answers ECANCELED.
			if _, err := c.NextEvent(ctx); !errors.Is(err, extension.ErrShutdown) {
				say("ERROR NextEvent after SHUTDOWN: %v", err)
			}
			say("DONE")
			return
		}
	}
}
