// Command extguest is the runner's test extension: its environment variables choose what it
// does, so one module covers the lifecycle, the failures and telemetry. It reports what it
// sees as lines on stdout, "extguest[<name>]: ...", which land in the environment's log stream.
//
// Build: GOOS=wasip1 GOARCH=wasm go build -o extguest.wasm .
//
//	EXTGUEST_MODE       normal (default), exit-before-register, bad-event, internal-shutdown,
//	                    init-error, hang-init, crash-on-invoke, exit-error-on-invoke,
//	                    crash-on-idle (exits on the first telemetry batch)
//	EXTGUEST_NAME       the name to register with (default: extension.Name(), external)
//	EXTGUEST_EVENTS     events, comma-separated (default INVOKE,SHUTDOWN; "none" for none)
//	EXTGUEST_WORK_MS    after each INVOKE, work this long before the next NextEvent
//	EXTGUEST_WORK       how: sleep (default) or busy
//	EXTGUEST_SHUTDOWN   after SHUTDOWN: return (default), spin (never returns)
//	EXTGUEST_QUIET      say nothing on INVOKE
//	EXTGUEST_TELEMETRY  a subscription, as {"types":[...],"buffering":{...}}: each batch is
//	                    reported as "BATCH items=N bytes=B ageMs=A types=t,t,..."
//
// Lines: "REGISTERED <function>", "EVENT INVOKE <requestId> <deadlineMs>",
// "EVENT SHUTDOWN <reason> <msToDeadline>", "BATCH ...", "LINE <function log line>",
// "REPORT <requestId> <status> <durationMs>", "DROPPED <logsDropped record>", "ERROR <err>",
// "DONE" (returning after SHUTDOWN).
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/wasmap/wasmap/sdk/go/extension"
)

var name string

func say(format string, args ...any) {
	fmt.Printf("extguest["+name+"]: "+format+"\n", args...)
}

func main() {
	ctx := context.Background()
	mode := os.Getenv("EXTGUEST_MODE")
	name = extension.Name()
	regName := name
	if n := os.Getenv("EXTGUEST_NAME"); n != "" {
		regName = n
	}
	events := []extension.EventType{extension.Invoke, extension.Shutdown}
	if ev := os.Getenv("EXTGUEST_EVENTS"); ev == "none" {
		events = nil
	} else if ev != "" {
		events = nil
		for _, e := range strings.Split(ev, ",") {
			events = append(events, extension.EventType(e))
		}
	}
	switch mode {
	case "exit-before-register":
		os.Exit(3)
	case "bad-event":
		events = append(events, "FOO")
	case "internal-shutdown":
		regName = "not-" + name
	}
	c, err := extension.Register(ctx, regName, events...)
	if err != nil {
		say("ERROR %v", err)
		os.Exit(1)
	}
	say("REGISTERED %s", c.Info().FunctionName)
	switch mode {
	case "init-error":
		if err := c.InitError("Extension.ConfigInvalid", fmt.Errorf("no configuration")); err != nil {
			say("ERROR %v", err)
		}
		return
	case "hang-init":
		time.Sleep(time.Hour)
	}
	if sub := os.Getenv("EXTGUEST_TELEMETRY"); sub != "" {
		var s struct {
			Types     []extension.TelemetryType `json:"types"`
			Buffering extension.Buffering       `json:"buffering"`
		}
		if err := json.Unmarshal([]byte(sub), &s); err != nil {
			say("ERROR %v", err)
			os.Exit(1)
		}
		err := c.SubscribeTelemetry(extension.TelemetrySubscription{Types: s.Types, Buffering: s.Buffering}, func(batch []extension.TelemetryEvent) {
			bytes := 0
			types := make([]string, 0, len(batch))
			for _, ev := range batch {
				bytes += len(`{"time":"2006-01-02T15:04:05.000Z","type":"","record":}`) + len(ev.Type) + len(ev.Record)
				types = append(types, ev.Type)
			}
			age := time.Since(batch[0].Time).Milliseconds()
			say("BATCH items=%d bytes=%d ageMs=%d types=%s", len(batch), bytes, age, strings.Join(types, ","))
			for _, ev := range batch {
				if ev.Type == "platform.logsDropped" {
					say("DROPPED %s", ev.Record)
				}
				if r, ok := ev.Report(); ok {
					say("REPORT %s %s %.3f", r.RequestID, r.Status, r.Metrics.DurationMs)
				}
				if l, ok := ev.Line(); ok && ev.Type == "function" && len(l) < 200 {
					say("LINE %s", l)
				}
			}
			if mode == "crash-on-idle" {
				os.Exit(5)
			}
		})
		if err != nil {
			say("ERROR %v", err)
			os.Exit(1)
		}
	}
	work, _ := strconv.Atoi(os.Getenv("EXTGUEST_WORK_MS"))
	for {
		ev, err := c.NextEvent(ctx)
		if err != nil {
			say("ERROR %v", err)
			os.Exit(1)
		}
		switch ev.EventType {
		case extension.Invoke:
			if os.Getenv("EXTGUEST_QUIET") == "" {
				say("EVENT INVOKE %s %d", ev.RequestID, ev.DeadlineMs)
			}
			switch mode {
			case "crash-on-invoke":
				os.Exit(4)
			case "exit-error-on-invoke":
				if err := c.ExitError("Extension.Broken", fmt.Errorf("broken on purpose")); err != nil {
					say("ERROR %v", err)
				}
				return
			}
			if work > 0 {
				end := time.Now().Add(time.Duration(work) * time.Millisecond)
				if os.Getenv("EXTGUEST_WORK") == "busy" {
					for time.Now().Before(end) {
					}
				} else {
					time.Sleep(time.Until(end))
				}
			}
		case extension.Shutdown:
			say("EVENT SHUTDOWN %s %d", ev.ShutdownReason, time.Until(ev.Deadline()).Milliseconds())
			if err := c.FlushTelemetry(); err != nil {
				say("ERROR %v", err)
			}
			if os.Getenv("EXTGUEST_SHUTDOWN") == "spin" {
				//lint:ignore SA5002 spinning is the point
				for {
				}
			}
			say("DONE")
			return
		}
	}
}
