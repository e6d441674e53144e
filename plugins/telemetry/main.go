// Command telemetry is a Lambda telemetry extension for wasmap: it turns the platform.report
// events of its execution environment into metrics (invocations, cold starts, statuses,
// p50/p90/p99 duration and init duration, billed duration, max memory used) and writes them at
// SHUTDOWN, as JSON and in Prometheus' text format, through object I/O.
//
// Build: GOOS=wasip1 GOARCH=wasm go build -o telemetry.wasm .
// Use:   wasmap run ... --extension telemetry.wasm
//
// Each environment runs its own instance, which writes its environment's part:
//
//	<WASMAP_OUTPUT_PREFIX>environments/<log stream>.json   counters and every sample
//	<WASMAP_OUTPUT_PREFIX>environments/<log stream>.prom   the same, in Prometheus' format
//
// and the run's metrics are the merge of the parts (exact quantiles): go run ./cmd/telemetry-merge
// <output folder> writes <folder>/metrics.json and <folder>/metrics.prom. Without an output
// location the extension writes its part as one line to its log stream instead.
//
// It registers for SHUTDOWN only, so it adds no round trip to invocations: it reads telemetry
// batches while invocations run, and the last ones after SHUTDOWN.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/wasmap/wasmap/plugins/telemetry/metrics"
	"github.com/wasmap/wasmap/sdk/go/extension"
	"github.com/wasmap/wasmap/sdk/go/object"
)

func main() {
	if err := run(context.Background()); err != nil {
		fmt.Fprintln(os.Stderr, "telemetry:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context) error {
	c, err := extension.Register(ctx, extension.Name(), extension.Shutdown)
	if err != nil {
		return err
	}
	env := metrics.NewEnvironment("", c.Info().FunctionName)
	collect := func(batch []extension.TelemetryEvent) {
		for _, ev := range batch {
			if s, ok := ev.InitStart(); ok {
				env.InstanceID = s.InstanceID
			}
			if r, ok := ev.Report(); ok {
				env.Add(metrics.Report{RequestID: r.RequestID, Status: r.Status, ErrorType: r.ErrorType,
					DurationMs: r.Metrics.DurationMs, BilledDurationMs: r.Metrics.BilledDurationMs,
					MemorySizeMB: r.Metrics.MemorySizeMB, MaxMemoryUsedMB: r.Metrics.MaxMemoryUsedMB,
					InitDurationMs: r.Metrics.InitDurationMs})
			}
		}
	}
	sub := extension.TelemetrySubscription{Types: []extension.TelemetryType{extension.Platform},
		Buffering: extension.Buffering{MaxItems: 10000, MaxBytes: 1 << 20, TimeoutMs: 1000}}
	if err := c.SubscribeTelemetry(sub, collect); err != nil {
		return err
	}
	for {
		ev, err := c.NextEvent(ctx)
		if err != nil {
			return err
		}
		if ev.EventType != extension.Shutdown {
			continue
		}
		if err := c.FlushTelemetry(); err != nil {
			return err
		}
		return write(env)
	}
}

// write writes the environment's part.
func write(env *metrics.Environment) error {
	js, err := json.Marshal(env)
	if err != nil {
		return err
	}
	if object.OutputPrefix() == "" || env.InstanceID == "" {
		fmt.Printf("telemetry: %s\n", js)
		return nil
	}
	var prom bytes.Buffer
	if err := metrics.Merge(env).WritePrometheus(&prom, map[string]string{"instance": env.InstanceID}); err != nil {
		return err
	}
	key := metrics.PartKey(env.InstanceID)
	for _, out := range []struct {
		name string
		body []byte
	}{{key + ".json", js}, {key + ".prom", prom.Bytes()}} {
		w, err := object.CreateOutput(out.name)
		if err != nil {
			return err
		}
		if _, err := io.Copy(w, bytes.NewReader(out.body)); err != nil {
			w.Abort()
			return err
		}
		if err := w.Close(); err != nil {
			return err
		}
	}
	fmt.Printf("telemetry: %d invocations, %d cold starts: wrote %s.json and .prom\n", env.Invocations, env.ColdStarts, key)
	return nil
}
