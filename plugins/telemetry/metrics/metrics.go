// Package metrics turns Lambda platform.report events into a run's metrics: invocations, cold
// starts, statuses, duration and init duration quantiles (p50, p90, p99), billed duration and
// the largest Max Memory Used, as JSON and in Prometheus' text exposition format.
//
// Each execution environment's extension instance collects its own environment's reports and
// writes an Environment part at SHUTDOWN. Parts keep every sample, so Merge computes the run's
// quantiles exactly, as if one collector had seen every report. The package has no
// dependencies beyond the standard library: the extension (GOOS=wasip1) and the merge command
// (native) share it.
package metrics

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"math"
	"path"
	"slices"
	"strconv"
	"strings"
)

// Report is what the metrics take from one platform.report event.
type Report struct {
	RequestID        string
	Status           string // success, error, failure, timeout
	ErrorType        string
	DurationMs       float64
	BilledDurationMs int64
	MemorySizeMB     int
	MaxMemoryUsedMB  int
	InitDurationMs   *float64 // cold starts only
}

// Environment is one execution environment's part: its counters and every sample.
type Environment struct {
	InstanceID   string           `json:"instanceId"` // the environment's log stream name
	FunctionName string           `json:"functionName"`
	MemorySizeMB int              `json:"memorySizeMB"`
	Invocations  int64            `json:"invocations"`
	ColdStarts   int64            `json:"coldStarts"`
	Statuses     map[string]int64 `json:"statuses"`
	ErrorTypes   map[string]int64 `json:"errorTypes,omitempty"`
	BilledMs     int64            `json:"billedDurationMs"`
	MaxMemoryMB  int              `json:"maxMemoryUsedMB"`
	DurationsMs  []float64        `json:"durationsMs"`
	InitsMs      []float64        `json:"initDurationsMs"`
}

// NewEnvironment returns an empty part for the environment instanceID of function name.
func NewEnvironment(instanceID, function string) *Environment {
	return &Environment{InstanceID: instanceID, FunctionName: function, Statuses: map[string]int64{}}
}

// Add counts one report.
func (e *Environment) Add(r Report) {
	e.Invocations++
	if e.Statuses == nil {
		e.Statuses = map[string]int64{}
	}
	e.Statuses[cmp.Or(r.Status, "success")]++
	if r.ErrorType != "" {
		if e.ErrorTypes == nil {
			e.ErrorTypes = map[string]int64{}
		}
		e.ErrorTypes[r.ErrorType]++
	}
	e.BilledMs += r.BilledDurationMs
	e.MaxMemoryMB = max(e.MaxMemoryMB, r.MaxMemoryUsedMB)
	e.MemorySizeMB = max(e.MemorySizeMB, r.MemorySizeMB)
	e.DurationsMs = append(e.DurationsMs, r.DurationMs)
	if r.InitDurationMs != nil {
		e.ColdStarts++
		e.InitsMs = append(e.InitsMs, *r.InitDurationMs)
	}
}

// Quantiles summarises samples: nearest-rank percentiles.
type Quantiles struct {
	Count int64   `json:"count"`
	Sum   float64 `json:"sum"`
	Mean  float64 `json:"mean"`
	P50   float64 `json:"p50"`
	P90   float64 `json:"p90"`
	P99   float64 `json:"p99"`
	Max   float64 `json:"max"`
}

// Summarise computes the quantiles of samples (which it sorts).
func Summarise(samples []float64) Quantiles {
	q := Quantiles{Count: int64(len(samples))}
	if len(samples) == 0 {
		return q
	}
	slices.Sort(samples)
	for _, s := range samples {
		q.Sum += s
	}
	q.Mean = round3(q.Sum / float64(len(samples)))
	q.Sum = round3(q.Sum)
	rank := func(p float64) float64 {
		i := int(math.Ceil(p*float64(len(samples)))) - 1
		return samples[max(0, min(i, len(samples)-1))]
	}
	q.P50, q.P90, q.P99, q.Max = rank(0.50), rank(0.90), rank(0.99), samples[len(samples)-1]
	return q
}

func round3(v float64) float64 { return math.Round(v*1000) / 1000 }

// Run is a run's (or one environment's) metrics.
type Run struct {
	FunctionName     string           `json:"functionName"`
	Environments     int              `json:"environments"`
	Invocations      int64            `json:"invocations"`
	ColdStarts       int64            `json:"coldStarts"`
	Statuses         map[string]int64 `json:"statuses"`
	ErrorTypes       map[string]int64 `json:"errorTypes,omitempty"`
	DurationMs       Quantiles        `json:"durationMs"`
	InitDurationMs   Quantiles        `json:"initDurationMs"`
	BilledDurationMs int64            `json:"billedDurationMs"`
	MaxMemoryUsedMB  int              `json:"maxMemoryUsedMB"`
	MemorySizeMB     int              `json:"memorySizeMB"`
}

// Merge combines environments' parts into the run's metrics. Quantiles are exact: they are
// computed over every part's samples.
func Merge(parts ...*Environment) Run {
	r := Run{Statuses: map[string]int64{}, Environments: len(parts)}
	var durs, inits []float64
	names := map[string]bool{}
	for _, p := range parts {
		names[p.FunctionName] = true
		r.Invocations += p.Invocations
		r.ColdStarts += p.ColdStarts
		for k, v := range p.Statuses {
			r.Statuses[k] += v
		}
		for k, v := range p.ErrorTypes {
			if r.ErrorTypes == nil {
				r.ErrorTypes = map[string]int64{}
			}
			r.ErrorTypes[k] += v
		}
		r.BilledDurationMs += p.BilledMs
		r.MaxMemoryUsedMB = max(r.MaxMemoryUsedMB, p.MaxMemoryMB)
		r.MemorySizeMB = max(r.MemorySizeMB, p.MemorySizeMB)
		durs = append(durs, p.DurationsMs...)
		inits = append(inits, p.InitsMs...)
	}
	r.FunctionName = strings.Join(slices.Sorted(maps.Keys(names)), ",")
	r.DurationMs = Summarise(durs)
	r.InitDurationMs = Summarise(inits)
	return r
}

// WritePrometheus writes the metrics in Prometheus' text exposition format (version 0.0.4),
// labelled with the function and with labels (e.g. "instance").
func (r Run) WritePrometheus(w io.Writer, labels map[string]string) error {
	base := map[string]string{"function": r.FunctionName}
	maps.Copy(base, labels)
	var b strings.Builder
	head := func(name, typ, help string) {
		fmt.Fprintf(&b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, typ)
	}
	line := func(name string, extra map[string]string, v float64) {
		l := maps.Clone(base)
		maps.Copy(l, extra)
		b.WriteString(name)
		b.WriteByte('{')
		for i, k := range slices.Sorted(maps.Keys(l)) {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(k + "=" + strconv.Quote(l[k]))
		}
		b.WriteString("} ")
		b.WriteString(strconv.FormatFloat(v, 'g', -1, 64))
		b.WriteByte('\n')
	}
	head("wasmap_environments", "gauge", "Execution environments whose reports these metrics hold.")
	line("wasmap_environments", nil, float64(r.Environments))
	head("wasmap_invocations_total", "counter", "Invocations (platform.report events).")
	line("wasmap_invocations_total", nil, float64(r.Invocations))
	head("wasmap_invocations_by_status_total", "counter", "Invocations by platform.report status.")
	for _, s := range slices.Sorted(maps.Keys(r.Statuses)) {
		line("wasmap_invocations_by_status_total", map[string]string{"status": s}, float64(r.Statuses[s]))
	}
	if len(r.ErrorTypes) > 0 {
		head("wasmap_invocation_errors_total", "counter", "Invocations by platform.report errorType.")
		for _, s := range slices.Sorted(maps.Keys(r.ErrorTypes)) {
			line("wasmap_invocation_errors_total", map[string]string{"error_type": s}, float64(r.ErrorTypes[s]))
		}
	}
	head("wasmap_cold_starts_total", "counter", "Invocations that had a cold start.")
	line("wasmap_cold_starts_total", nil, float64(r.ColdStarts))
	summary := func(name, help string, q Quantiles) {
		head(name, "summary", help)
		for _, p := range []struct {
			q string
			v float64
		}{{"0.5", q.P50}, {"0.9", q.P90}, {"0.99", q.P99}} {
			line(name, map[string]string{"quantile": p.q}, p.v)
		}
		line(name+"_sum", nil, q.Sum)
		line(name+"_count", nil, float64(q.Count))
	}
	summary("wasmap_duration_milliseconds", "Invocation duration, REPORT's Duration (the function and its extensions).", r.DurationMs)
	summary("wasmap_init_duration_milliseconds", "INIT duration of cold starts, REPORT's Init Duration.", r.InitDurationMs)
	head("wasmap_billed_duration_milliseconds_total", "counter", "Billed duration, REPORT's Billed Duration, summed.")
	line("wasmap_billed_duration_milliseconds_total", nil, float64(r.BilledDurationMs))
	head("wasmap_max_memory_used_megabytes", "gauge", "The largest Max Memory Used of any invocation.")
	line("wasmap_max_memory_used_megabytes", nil, float64(r.MaxMemoryUsedMB))
	head("wasmap_memory_size_megabytes", "gauge", "The function's configured memory.")
	line("wasmap_memory_size_megabytes", nil, float64(r.MemorySizeMB))
	_, err := io.WriteString(w, b.String())
	return err
}

// PartsDir is the folder, under the extension's output location, that holds the parts.
const PartsDir = "environments"

// PartKey is the key of an environment's part, without extension: PartsDir/<instanceId>. The
// instance id is the environment's log stream name ("2026/01/02/[$LATEST]<hex>"), so the parts
// lie in the same folders as the runner's log streams.
func PartKey(instanceID string) string { return PartsDir + "/" + instanceID }

// ReadParts reads every part (PartsDir/**/*.json) of a folder.
func ReadParts(fsys fs.FS) ([]*Environment, error) {
	var parts []*Environment
	err := fs.WalkDir(fsys, PartsDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || path.Ext(p) != ".json" {
			return err
		}
		b, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		var e Environment
		if err := json.Unmarshal(b, &e); err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		parts = append(parts, &e)
		return nil
	})
	return parts, err
}
