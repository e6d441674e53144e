// Command telemetry-merge merges the per-environment parts that the telemetry extension wrote
// into the run's metrics: DIR/metrics.json and DIR/metrics.prom. DIR is the extension's output
// location (the folder holding environments/).
//
//	go run github.com/wasmap/wasmap/plugins/telemetry/cmd/telemetry-merge DIR
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/wasmap/wasmap/plugins/telemetry/metrics"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: telemetry-merge DIR")
		os.Exit(2)
	}
	if err := merge(os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, "telemetry-merge:", err)
		os.Exit(1)
	}
}

func merge(dir string) error {
	parts, err := metrics.ReadParts(os.DirFS(dir))
	if err != nil {
		return err
	}
	if len(parts) == 0 {
		return fmt.Errorf("no parts under %s", filepath.Join(dir, metrics.PartsDir))
	}
	run := metrics.Merge(parts...)
	js, err := json.MarshalIndent(run, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "metrics.json"), append(js, '\n'), 0o644); err != nil {
		return err
	}
	f, err := os.Create(filepath.Join(dir, "metrics.prom"))
	if err != nil {
		return err
	}
	if err := run.WritePrometheus(f, nil); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	fmt.Printf("%d environments, %d invocations: wrote %s and %s\n", run.Environments, run.Invocations,
		filepath.Join(dir, "metrics.json"), filepath.Join(dir, "metrics.prom"))
	return nil
}
