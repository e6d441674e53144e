package metrics

import (
	"encoding/json"
	"strings"
	"testing"
)

func ptr(v float64) *float64 { return &v }

func TestMergeIsExact(t *testing.T) {
	a := NewEnvironment("2026/01/02/[$LATEST]aa", "f")
	b := NewEnvironment("2026/01/02/[$LATEST]bb", "f")
	for i := 1; i <= 100; i++ {
		env := a
		if i%3 == 0 {
			env = b
		}
		r := Report{Status: "success", DurationMs: float64(i), BilledDurationMs: int64(i), MemorySizeMB: 128, MaxMemoryUsedMB: i % 40}
		if i == 1 || i == 3 {
			r.InitDurationMs = ptr(10 * float64(i))
		}
		if i == 50 {
			r.Status, r.ErrorType = "timeout", ""
		}
		env.Add(r)
	}
	// Through JSON, as parts travel.
	var parts []*Environment
	for _, e := range []*Environment{a, b} {
		js, _ := json.Marshal(e)
		var p Environment
		if err := json.Unmarshal(js, &p); err != nil {
			t.Fatal(err)
		}
		parts = append(parts, &p)
	}
	r := Merge(parts...)
	if r.Invocations != 100 || r.ColdStarts != 2 || r.Environments != 2 || r.Statuses["success"] != 99 || r.Statuses["timeout"] != 1 {
		t.Errorf("counts %+v", r)
	}
	if r.DurationMs.P50 != 50 || r.DurationMs.P90 != 90 || r.DurationMs.P99 != 99 || r.DurationMs.Max != 100 || r.DurationMs.Sum != 5050 {
		t.Errorf("duration %+v: the merge must equal one collector's nearest-rank quantiles", r.DurationMs)
	}
	if r.InitDurationMs.Count != 2 || r.InitDurationMs.P50 != 10 || r.InitDurationMs.Max != 30 {
		t.Errorf("init %+v", r.InitDurationMs)
	}
	if r.BilledDurationMs != 5050 || r.MaxMemoryUsedMB != 39 || r.MemorySizeMB != 128 {
		t.Errorf("billed %d, memory %d/%d", r.BilledDurationMs, r.MaxMemoryUsedMB, r.MemorySizeMB)
	}
}

func TestPrometheus(t *testing.T) {
	e := NewEnvironment("i", "uppercase")
	e.Add(Report{Status: "success", DurationMs: 1.5, BilledDurationMs: 2, MemorySizeMB: 128, MaxMemoryUsedMB: 7, InitDurationMs: ptr(3.25)})
	e.Add(Report{Status: "error", ErrorType: "Runtime.ExitError", DurationMs: 2.5, BilledDurationMs: 3, MemorySizeMB: 128, MaxMemoryUsedMB: 8})
	var b strings.Builder
	if err := Merge(e).WritePrometheus(&b, map[string]string{"instance": "i"}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"# TYPE wasmap_invocations_total counter\nwasmap_invocations_total{function=\"uppercase\",instance=\"i\"} 2\n",
		`wasmap_invocations_by_status_total{function="uppercase",instance="i",status="error"} 1`,
		`wasmap_invocation_errors_total{error_type="Runtime.ExitError",function="uppercase",instance="i"} 1`,
		"# TYPE wasmap_duration_milliseconds summary\n",
		`wasmap_duration_milliseconds{function="uppercase",instance="i",quantile="0.5"} 1.5`,
		`wasmap_duration_milliseconds{function="uppercase",instance="i",quantile="0.99"} 2.5`,
		`wasmap_duration_milliseconds_sum{function="uppercase",instance="i"} 4`,
		`wasmap_duration_milliseconds_count{function="uppercase",instance="i"} 2`,
		`wasmap_cold_starts_total{function="uppercase",instance="i"} 1`,
		`wasmap_billed_duration_milliseconds_total{function="uppercase",instance="i"} 5`,
		`wasmap_max_memory_used_megabytes{function="uppercase",instance="i"} 8`,
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("exposition lacks %q:\n%s", want, b.String())
		}
	}
}
