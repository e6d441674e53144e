package extension_test

import (
	"context"
	"fmt"
	"log"

	"github.com/wasmap/wasmap/sdk/go/extension"
)

// An extension that counts its environment's invocations and their billed time from the
// platform's reports, and says so at SHUTDOWN. Build it with GOOS=wasip1 GOARCH=wasm and run it
// with wasmap run --extension; its lines land in each environment's log stream.
func Example() {
	ctx := context.Background()
	c, err := extension.Register(ctx, extension.Name(), extension.Shutdown)
	if err != nil {
		log.Fatal(err) // INIT fails with Extension.Crash
	}
	var invocations, billedMs int64
	err = c.SubscribeTelemetry(extension.TelemetrySubscription{Types: []extension.TelemetryType{extension.Platform}},
		func(batch []extension.TelemetryEvent) {
			for _, ev := range batch {
				if r, ok := ev.Report(); ok {
					invocations++
					billedMs += r.Metrics.BilledDurationMs
				}
			}
		})
	if err != nil {
		log.Fatal(err)
	}
	for {
		ev, err := c.NextEvent(ctx)
		if err != nil {
			log.Fatal(err)
		}
		if ev.EventType == extension.Shutdown {
			if err := c.FlushTelemetry(); err != nil { // the last reports
				log.Fatal(err)
			}
			fmt.Printf("%d invocations, %d ms billed (%s)\n", invocations, billedMs, ev.ShutdownReason)
			return
		}
	}
}

// An extension that does work after each invocation: the environment takes its next item only
// when the extension is back in NextEvent (Lambda's PostRuntimeExtensionsDuration).
func ExampleClient_NextEvent() {
	ctx := context.Background()
	c, err := extension.Register(ctx, extension.Name(), extension.Invoke, extension.Shutdown)
	if err != nil {
		log.Fatal(err)
	}
	for {
		ev, err := c.NextEvent(ctx)
		if err != nil {
			log.Fatal(err)
		}
		switch ev.EventType {
		case extension.Invoke:
			fmt.Println("after", ev.RequestID, "until", ev.Deadline())
		case extension.Shutdown:
			return
		}
	}
}
