package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wasmap/wasmap/plugins/telemetry/metrics"
)

func TestMerge(t *testing.T) {
	dir := t.TempDir()
	for i, id := range []string{"2026/01/02/[$LATEST]aa", "2026/01/02/[$LATEST]bb"} {
		e := metrics.NewEnvironment(id, "f")
		init := 5.0
		e.Add(metrics.Report{Status: "success", DurationMs: float64(i + 1), BilledDurationMs: 7, MemorySizeMB: 128, MaxMemoryUsedMB: 3 + i, InitDurationMs: &init})
		js, _ := json.Marshal(e)
		p := filepath.Join(dir, filepath.FromSlash(metrics.PartKey(id))+".json")
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, js, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := merge(dir); err != nil {
		t.Fatal(err)
	}
	var run metrics.Run
	b, _ := os.ReadFile(filepath.Join(dir, "metrics.json"))
	json.Unmarshal(b, &run)
	if run.Environments != 2 || run.Invocations != 2 || run.ColdStarts != 2 || run.MaxMemoryUsedMB != 4 || run.DurationMs.Max != 2 {
		t.Errorf("run %+v", run)
	}
	prom, _ := os.ReadFile(filepath.Join(dir, "metrics.prom"))
	if !strings.Contains(string(prom), `wasmap_invocations_total{function="f"} 2`) {
		t.Errorf("metrics.prom:\n%s", prom)
	}
}
