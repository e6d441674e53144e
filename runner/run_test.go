package runner_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wasmap/wasmap/runner"
	"github.com/wasmap/wasmap/runner/internal/guesttest"
)

const testGuest = "runner/testdata/guests/testguest"

var cacheDir = func() string {
	d, err := os.MkdirTemp("", "wasmap-runner-test-cache")
	if err != nil {
		panic(err)
	}
	return d
}()

// writeItems writes one JSON value per line and returns the file's path.
func writeItems(t *testing.T, items ...string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "items.jsonl")
	if err := os.WriteFile(p, []byte(strings.Join(items, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func job(t *testing.T, items string) runner.Job {
	return runner.Job{
		ItemReader: runner.ItemReader{Source: items},
		Functions:  []runner.Function{{Path: guesttest.Build(t, testGuest), Timeout: runner.Duration(time.Second)}},
		CacheDir:   cacheDir,
	}
}

func run(t *testing.T, j runner.Job) (*runner.Report, string) {
	t.Helper()
	var out bytes.Buffer
	rep, err := runner.Run(context.Background(), j, runner.Options{Output: &out})
	if err != nil {
		t.Fatal(err)
	}
	return rep, out.String()
}

func echo(v int) string { return fmt.Sprintf(`{"op":"echo","value":%d}`, v) }

func TestOutputKeepsItemOrder(t *testing.T) {
	var items []string
	var want []string
	for i := 0; i < 200; i++ {
		if i%7 == 0 { // slow items finish after later ones
			items = append(items, fmt.Sprintf(`{"op":"echo","value":%d,"sleepMs":5}`, i))
		} else {
			items = append(items, echo(i))
		}
		want = append(want, fmt.Sprint(i))
	}
	j := job(t, writeItems(t, items...))
	j.MaxConcurrency = 4
	rep, out := run(t, j)
	if rep.Status != runner.StatusSucceeded {
		t.Fatalf("status %s: %s %s", rep.Status, rep.Error, rep.Cause)
	}
	if got := strings.TrimSpace(out); got != "["+strings.Join(want, ",")+"]" {
		t.Errorf("output %.200s…", got)
	}
	c := rep.ItemCounts
	if c.Total != 200 || c.Succeeded != 200 || c.Failed != 0 || c.Pending != 0 || c.ResultsWritten != 200 {
		t.Errorf("counts %+v", c)
	}
	if rep.Environments < 1 || rep.Environments > 4 || rep.ColdStarts != rep.Environments {
		t.Errorf("environments %d, cold starts %d (max concurrency 4)", rep.Environments, rep.ColdStarts)
	}
}

func TestToleratedFailures(t *testing.T) {
	// 10 items, items 2 and 5 fail.
	var items []string
	for i := 0; i < 10; i++ {
		if i == 2 || i == 5 {
			items = append(items, `{"op":"error"}`)
		} else {
			items = append(items, echo(i))
		}
	}
	i64 := func(v int64) *int64 { return &v }
	f64 := func(v float64) *float64 { return &v }
	cases := []struct {
		name   string
		count  *int64
		pct    *float64
		status string
	}{
		{"defaults fail on any failure", nil, nil, runner.StatusFailed},
		{"count 1 is exceeded by 2", i64(1), nil, runner.StatusFailed},
		{"count 2 tolerates 2", i64(2), nil, runner.StatusSucceeded},
		{"percentage 20 tolerates 2 of 10", nil, f64(20), runner.StatusSucceeded},
		{"percentage 19.9 is exceeded", nil, f64(19.9), runner.StatusFailed},
		{"either limit fails the run", i64(5), f64(10), runner.StatusFailed},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			j := job(t, writeItems(t, items...))
			j.MaxConcurrency = 1
			j.ToleratedFailureCount, j.ToleratedFailurePercentage = c.count, c.pct
			rep, out := run(t, j)
			if rep.Status != c.status {
				t.Fatalf("status %s (%s), want %s", rep.Status, rep.Cause, c.status)
			}
			if c.status == runner.StatusFailed {
				if rep.Error != runner.ErrExceedToleratedFailureThreshold {
					t.Errorf("error %q", rep.Error)
				}
				var o map[string]string
				if err := json.Unmarshal([]byte(out), &o); err != nil || o["Error"] != runner.ErrExceedToleratedFailureThreshold {
					t.Errorf("stdout %q: want {Error, Cause}", out)
				}
				c := rep.ItemCounts
				if c.Total != 10 || c.Succeeded+c.Failed+c.Pending != 10 || c.Pending == 0 {
					t.Errorf("counts %+v: items never started must be pending", c)
				}
				return
			}
			var o []json.RawMessage
			if err := json.Unmarshal([]byte(out), &o); err != nil || len(o) != 10 {
				t.Fatalf("stdout %q: want 10 outputs", out)
			}
			if !strings.Contains(string(o[2]), `"Error":"InvalidOrderError"`) {
				t.Errorf("a tolerated failure appears NONE-shaped; got %s", o[2])
			}
		})
	}
}

func TestResultWriterLayout(t *testing.T) {
	items := writeItems(t, echo(1), `{"op":"error"}`, echo(3))
	dir := t.TempDir()
	j := job(t, items)
	j.MaxConcurrency = 1
	j.ResultWriter = &runner.ResultWriter{Dir: dir}
	one := int64(1)
	j.ToleratedFailureCount = &one
	rep, out := run(t, j)
	if rep.Status != runner.StatusSucceeded {
		t.Fatalf("%s: %s", rep.Status, rep.Cause)
	}
	var state struct {
		MapRunArn           string
		ResultWriterDetails struct{ Bucket, Key string }
	}
	if err := json.Unmarshal([]byte(out), &state); err != nil {
		t.Fatalf("stdout %q: %v", out, err)
	}
	if state.MapRunArn != rep.MapRunArn || !strings.HasPrefix(rep.MapRunArn, "arn:aws:states:us-east-1:000000000000:mapRun:wasmap/Map:") {
		t.Errorf("map run arn %q", state.MapRunArn)
	}
	if state.ResultWriterDetails.Key != rep.MapRunID+"/manifest.json" {
		t.Errorf("key %q", state.ResultWriterDetails.Key)
	}
	mb, err := os.ReadFile(filepath.Join(state.ResultWriterDetails.Bucket, state.ResultWriterDetails.Key))
	if err != nil {
		t.Fatal(err)
	}
	var manifest struct {
		DestinationBucket string
		MapRunArn         string
		ResultFiles       map[string][]struct {
			Key  string
			Size int64
		}
	}
	if err := json.Unmarshal(mb, &manifest); err != nil {
		t.Fatal(err)
	}
	if len(manifest.ResultFiles["SUCCEEDED"]) != 1 || len(manifest.ResultFiles["FAILED"]) != 1 || len(manifest.ResultFiles["PENDING"]) != 0 {
		t.Fatalf("manifest %s", mb)
	}
	var succeeded []map[string]any
	b, _ := os.ReadFile(filepath.Join(manifest.DestinationBucket, manifest.ResultFiles["SUCCEEDED"][0].Key))
	if err := json.Unmarshal(b, &succeeded); err != nil || len(succeeded) != 2 {
		t.Fatalf("SUCCEEDED file %s", b)
	}
	if succeeded[0]["Input"] != echo(1) || succeeded[0]["Output"] != "1" || succeeded[0]["Status"] != "SUCCEEDED" {
		t.Errorf("record %v", succeeded[0])
	}
	var failed []map[string]any
	b, _ = os.ReadFile(filepath.Join(manifest.DestinationBucket, manifest.ResultFiles["FAILED"][0].Key))
	if err := json.Unmarshal(b, &failed); err != nil || len(failed) != 1 {
		t.Fatalf("FAILED file %s", b)
	}
	if failed[0]["Error"] != "InvalidOrderError" || failed[0]["Status"] != "FAILED" || failed[0]["Output"] != nil {
		t.Errorf("record %v", failed[0])
	}
}

func TestPendingItemsAreWritten(t *testing.T) {
	items := []string{`{"op":"error"}`}
	for i := 0; i < 20; i++ {
		items = append(items, echo(i))
	}
	dir := t.TempDir()
	j := job(t, writeItems(t, items...))
	j.MaxConcurrency = 1
	j.ResultWriter = &runner.ResultWriter{Dir: dir}
	rep, _ := run(t, j)
	if rep.Status != runner.StatusFailed {
		t.Fatalf("status %s", rep.Status)
	}
	c := rep.ItemCounts
	if c.Total != 21 || c.Failed != 1 || c.Succeeded+c.Pending != 20 {
		t.Fatalf("counts %+v", c)
	}
	matches, _ := filepath.Glob(filepath.Join(dir, rep.MapRunID, "PENDING_*.json"))
	if len(matches) != 1 {
		t.Fatalf("PENDING files %v", matches)
	}
	var pending []map[string]any
	b, _ := os.ReadFile(matches[0])
	if err := json.Unmarshal(b, &pending); err != nil || int64(len(pending)) != c.Pending {
		t.Fatalf("PENDING file has %d records, counters say %d: %s", len(pending), c.Pending, b)
	}
}

func TestBadLinesFailTheirItem(t *testing.T) {
	items := writeItems(t, echo(1), `{"op": nope}`, echo(3))
	j := job(t, items)
	two := int64(2)
	j.ToleratedFailureCount = &two
	rep, out := run(t, j)
	if rep.Status != runner.StatusSucceeded || rep.ItemCounts.Failed != 1 || rep.ItemCounts.Succeeded != 2 {
		t.Fatalf("report %+v", rep)
	}
	if !strings.Contains(out, "States.ItemReaderFailed") || !strings.Contains(out, "line 2") {
		t.Errorf("the bad line's entry must name the line: %s", out)
	}
}

func TestReaderFailures(t *testing.T) {
	dir := t.TempDir()
	obj := filepath.Join(dir, "obj.json")
	os.WriteFile(obj, []byte(`{"not":"an array"}`), 0o644)
	cases := []struct{ name, source, cause string }{
		{"top-level object", obj, "Attempting to map over non-iterable node."},
		{"missing file", filepath.Join(dir, "nope.json"), "nope.json"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rep, out := run(t, job(t, c.source))
			if rep.Status != runner.StatusFailed || rep.Error != runner.ErrItemReaderFailed || !strings.Contains(rep.Cause, c.cause) {
				t.Errorf("report %s %s %q", rep.Status, rep.Error, rep.Cause)
			}
			if !strings.Contains(out, `"Error":"States.ItemReaderFailed"`) {
				t.Errorf("stdout %q", out)
			}
		})
	}
}

func TestFaultsDoNotStopTheRun(t *testing.T) {
	items := writeItems(t, echo(0), `{"op":"spin"}`, echo(2), `{"op":"exit","code":1}`, echo(4), `{"op":"oom"}`, echo(6))
	j := job(t, items)
	j.Functions[0].Timeout = runner.Duration(2 * time.Second)
	j.Functions[0].MemoryMB = 16
	three := int64(3)
	j.ToleratedFailureCount = &three
	j.MaxConcurrency = 2
	rep, out := run(t, j)
	if rep.Status != runner.StatusSucceeded || rep.ItemCounts.Succeeded != 4 || rep.ItemCounts.Failed != 3 {
		t.Fatalf("report %+v", rep.ItemCounts)
	}
	var o []json.RawMessage
	if err := json.Unmarshal([]byte(out), &o); err != nil {
		t.Fatal(err)
	}
	for i, want := range map[int]string{1: "Sandbox.Timedout", 3: "Runtime.ExitError", 5: "Runtime.OutOfMemory"} {
		if !strings.Contains(string(o[i]), want) {
			t.Errorf("item %d: %s, want %s", i, o[i], want)
		}
	}
}

func TestValidation(t *testing.T) {
	cases := []struct {
		name  string
		mod   func(*runner.Job)
		field string
	}{
		{"no items", func(j *runner.Job) { j.ItemReader.Source = "" }, "ItemReader.Source"},
		{"concurrency over 10000", func(j *runner.Job) { j.MaxConcurrency = 10001 }, "MaxConcurrency"},
		{"negative count", func(j *runner.Job) { v := int64(-1); j.ToleratedFailureCount = &v }, "ToleratedFailureCount"},
		{"percentage over 100", func(j *runner.Job) { v := 100.1; j.ToleratedFailurePercentage = &v }, "ToleratedFailurePercentage"},
		{"reserved env", func(j *runner.Job) { j.Functions[0].Environment = map[string]string{"AWS_REGION": "x"} }, "Functions[0].Environment"},
		{"bad label", func(j *runner.Job) { j.Label = "a b" }, "Label"},
		{"long label", func(j *runner.Job) { j.Label = strings.Repeat("x", 41) }, "Label"},
		{"timeout over 900s", func(j *runner.Job) { j.Functions[0].Timeout = runner.Duration(901 * time.Second) }, "Functions[0].Timeout"},
		{"memory", func(j *runner.Job) { j.Functions[0].MemoryMB = 20000 }, "Functions[0].MemoryMB"},
		{"bad input type", func(j *runner.Job) { j.ItemReader.ReaderConfig.InputType = "XML" }, "ItemReader.ReaderConfig.InputType"},
		{"bad delimiter", func(j *runner.Job) { j.ItemReader.ReaderConfig.CSVDelimiter = "COLON" }, "ItemReader.ReaderConfig.CSVDelimiter"},
		{"GIVEN without headers", func(j *runner.Job) { j.ItemReader.ReaderConfig.CSVHeaderLocation = "GIVEN" }, "ItemReader.ReaderConfig.CSVHeaders"},
		{"missing module", func(j *runner.Job) { j.Functions[0].Path = "/nonexistent.wasm" }, "Functions"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			j := job(t, "items.jsonl")
			c.mod(&j)
			_, err := runner.Run(context.Background(), j, runner.Options{})
			var ve *runner.ValidationError
			if !asValidation(err, &ve) || ve.Field != c.field {
				t.Errorf("err = %v, want a ValidationError on %s", err, c.field)
			}
		})
	}
}

func TestConcurrencyBeyondMemoryIsRefused(t *testing.T) {
	j := job(t, writeItems(t, echo(1)))
	j.MaxConcurrency = 10000
	_, err := runner.Run(context.Background(), j, runner.Options{MemoryBudget: 1 << 30})
	var ve *runner.ValidationError
	if !asValidation(err, &ve) || ve.Field != "MaxConcurrency" || !strings.Contains(err.Error(), "at most") {
		t.Errorf("err = %v", err)
	}
}

// Without a MaxConcurrency (Step Functions' "no limit") the run uses one environment per CPU, or
// as many as fit in the memory budget, and says which.
func TestConcurrencyChosenWhenNoneGiven(t *testing.T) {
	rep, _ := run(t, job(t, writeItems(t, echo(1), echo(2))))
	if rep.MaxConcurrency != runtime.NumCPU() || !strings.Contains(rep.MaxConcurrencyChosen, "one environment per CPU") {
		t.Errorf("max concurrency %d, %q", rep.MaxConcurrency, rep.MaxConcurrencyChosen)
	}
	// How many environments fit in 1 GiB, from the refusal of an explicit 10,000.
	probe := job(t, writeItems(t, echo(1)))
	probe.MaxConcurrency = 10000
	_, err := runner.Run(context.Background(), probe, runner.Options{MemoryBudget: 1 << 30})
	var fit int
	if m := regexp.MustCompile(`at most (\d+) fit`).FindStringSubmatch(fmt.Sprint(err)); m != nil {
		fit, _ = strconv.Atoi(m[1])
	}
	if fit < 1 {
		t.Fatalf("refusal %v", err)
	}
	// A budget for one and a half environments: the run takes one, and says why.
	rep, err = runner.Run(context.Background(), job(t, writeItems(t, echo(1), echo(2))), runner.Options{MemoryBudget: 3 << 29 / uint64(fit)})
	if err != nil || rep.Status != runner.StatusSucceeded {
		t.Fatalf("%v %+v", err, rep)
	}
	if rep.MaxConcurrency != 1 || (runtime.NumCPU() > 1 && !strings.Contains(rep.MaxConcurrencyChosen, "memory budget")) {
		t.Errorf("max concurrency %d, %q; want 1 for the memory budget", rep.MaxConcurrency, rep.MaxConcurrencyChosen)
	}
}

func TestLogStreams(t *testing.T) {
	items := writeItems(t, `{"op":"log","lines":["hello from the function"]}`, echo(2), `{"op":"spin"}`)
	j := job(t, items)
	j.MaxConcurrency = 1
	j.LogDir = t.TempDir()
	j.Functions[0].Timeout = runner.Duration(300 * time.Millisecond)
	one := int64(1)
	j.ToleratedFailureCount = &one
	rep, _ := run(t, j)
	if rep.LogDir == "" {
		t.Fatal("no log folder reported")
	}
	var files []string
	filepath.WalkDir(rep.LogDir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files = append(files, p)
		}
		return nil
	})
	if len(files) != 1 {
		t.Fatalf("log streams %v: one environment ran everything", files)
	}
	if !regexp.MustCompile(`/\d{4}/\d{2}/\d{2}/\[\$LATEST\][0-9a-f]{32}\.log$`).MatchString(files[0]) {
		t.Errorf("stream file %s is not named like a CloudWatch stream", files[0])
	}
	b, _ := os.ReadFile(files[0])
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	start := regexp.MustCompile(`^START RequestId: [0-9a-f-]{36} Version: \$LATEST$`)
	report := regexp.MustCompile(`^REPORT RequestId: [0-9a-f-]{36}\tDuration: \d+\.\d{2} ms\tBilled Duration: \d+ ms\tMemory Size: 128 MB\tMax Memory Used: \d+ MB\t(Init Duration: \d+\.\d{2} ms\t)?(Status: timeout\t)?$`)
	var reports []string
	for _, l := range lines {
		if strings.HasPrefix(l, "REPORT") {
			if !report.MatchString(l) {
				t.Errorf("bad REPORT line %q", l)
			}
			reports = append(reports, l)
		}
		if strings.HasPrefix(l, "START") && !start.MatchString(l) {
			t.Errorf("bad START line %q", l)
		}
	}
	if len(reports) != 3 {
		t.Fatalf("%d REPORT lines:\n%s", len(reports), b)
	}
	if !strings.Contains(reports[0], "Init Duration") || strings.Contains(reports[1], "Init Duration") {
		t.Errorf("Init Duration belongs to the cold start only:\n%s\n%s", reports[0], reports[1])
	}
	if !strings.HasSuffix(reports[2], "Status: timeout\t") {
		t.Errorf("timeout REPORT %q", reports[2])
	}
	if !strings.Contains(string(b), "hello from the function\n") {
		t.Errorf("the function's output is not in its stream:\n%s", b)
	}
}

func TestItemSelector(t *testing.T) {
	items := writeItems(t, `{"n":1}`, `{"n":2}`)
	j := job(t, items)
	j.MaxConcurrency = 1
	j.Input = json.RawMessage(`{"bucket":"b1","cfg":{"mode":"fast"}}`)
	j.ItemSelector = json.RawMessage(`{"op":"echo","value":{"fromInput.$":"$","mode.$":"$.cfg.mode","index.$":"$$.Map.Item.Index","n.$":"$$.Map.Item.Value.n","literal":"$bucket"}}`)
	rep, out := run(t, j)
	if rep.Status != runner.StatusSucceeded {
		t.Fatalf("%s: %s", rep.Error, rep.Cause)
	}
	want := `[{"fromInput":{"bucket":"b1","cfg":{"mode":"fast"}},"mode":"fast","index":0,"n":1,"literal":"$bucket"},` +
		`{"fromInput":{"bucket":"b1","cfg":{"mode":"fast"}},"mode":"fast","index":1,"n":2,"literal":"$bucket"}]`
	if strings.TrimSpace(out) != want {
		t.Errorf("got  %s\nwant %s", strings.TrimSpace(out), want)
	}
}

func TestItemSelectorPathMissingFailsTheRun(t *testing.T) {
	j := job(t, writeItems(t, `{"n":1}`, `{"n":2}`))
	j.ItemSelector = json.RawMessage(`{"op":"echo","value.$":"$.nothere"}`)
	rep, _ := run(t, j)
	if rep.Status != runner.StatusFailed || rep.Error != runner.ErrRuntime || !strings.Contains(rep.Cause, "$.nothere") {
		t.Errorf("report %s %s %q", rep.Status, rep.Error, rep.Cause)
	}
	if rep.ItemCounts.Pending != 2 {
		t.Errorf("counts %+v: no item started", rep.ItemCounts)
	}
}

func TestItemBatcher(t *testing.T) {
	items := writeItems(t, `{"n":0}`, `{"n":1}`, `{"n":2}`, `{"n":3}`, `{"n":4}`)
	j := job(t, items)
	j.Functions[0].Path = guesttest.Build(t, "samples/uppercase") // returns objects without top-level strings unchanged
	j.ItemBatcher = &runner.ItemBatcher{MaxItemsPerBatch: 2, BatchInput: json.RawMessage(`{"k":1}`)}
	rep, out := run(t, j)
	if rep.Status != runner.StatusSucceeded {
		t.Fatalf("%s: %s", rep.Error, rep.Cause)
	}
	want := `[{"BatchInput":{"k":1},"Items":[{"n":0},{"n":1}]},{"BatchInput":{"k":1},"Items":[{"n":2},{"n":3}]},{"BatchInput":{"k":1},"Items":[{"n":4}]}]`
	if strings.TrimSpace(out) != want {
		t.Errorf("got  %s\nwant %s", strings.TrimSpace(out), want)
	}
	if rep.ItemCounts.Total != 5 || rep.ExecutionCounts.Total != 3 || rep.ItemCounts.Succeeded != 5 || rep.ExecutionCounts.Succeeded != 3 {
		t.Errorf("itemCounts %+v executionCounts %+v", rep.ItemCounts, rep.ExecutionCounts)
	}
}

func TestBatchFailuresCountItems(t *testing.T) {
	items := writeItems(t, `{"n":0}`, `{"n":1}`, `{"n":2}`, `{"n":3}`, `{"n":4}`)
	j := job(t, items) // the test guest fails every batch: {"Items":…} has no op
	j.MaxConcurrency = 1
	j.ItemBatcher = &runner.ItemBatcher{MaxItemsPerBatch: 2}
	three := int64(3)
	j.ToleratedFailureCount = &three
	rep, _ := run(t, j)
	if rep.Status != runner.StatusFailed || rep.Error != runner.ErrExceedToleratedFailureThreshold {
		t.Fatalf("status %s %s: two failed batches hold 4 items, over the 3 tolerated", rep.Status, rep.Error)
	}
	if rep.ItemCounts.Failed != 4 || rep.ExecutionCounts.Failed != 2 || rep.ItemCounts.Pending != 1 {
		t.Errorf("itemCounts %+v executionCounts %+v", rep.ItemCounts, rep.ExecutionCounts)
	}
}

func TestWriterConfig(t *testing.T) {
	items := []string{`{"op":"echo","value":[1,2]}`, `{"op":"echo","value":3}`, `{"op":"echo","value":[]}`}
	cases := []struct {
		name, transform, want string
	}{
		{"default without export is COMPACT", "", `[[1,2],3,[]]`},
		{"COMPACT", "COMPACT", `[[1,2],3,[]]`},
		{"FLATTEN spreads array outputs", "FLATTEN", `[1,2,3]`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			j := job(t, writeItems(t, items...))
			j.ResultWriter = &runner.ResultWriter{WriterConfig: &runner.WriterConfig{OutputType: "JSON", Transformation: c.transform}}
			rep, out := run(t, j)
			if rep.Status != runner.StatusSucceeded || strings.TrimSpace(out) != c.want {
				t.Errorf("%s: got %s, want %s", rep.Status, strings.TrimSpace(out), c.want)
			}
		})
	}
	t.Run("NONE gives records", func(t *testing.T) {
		j := job(t, writeItems(t, items...))
		j.ResultWriter = &runner.ResultWriter{WriterConfig: &runner.WriterConfig{OutputType: "JSON", Transformation: "NONE"}}
		_, out := run(t, j)
		var recs []map[string]any
		if err := json.Unmarshal([]byte(out), &recs); err != nil || len(recs) != 3 || recs[1]["Output"] != "3" || recs[1]["Status"] != "SUCCEEDED" {
			t.Errorf("%s", out)
		}
	})
	t.Run("export COMPACT as JSONL", func(t *testing.T) {
		j := job(t, writeItems(t, items...))
		dir := t.TempDir()
		j.ResultWriter = &runner.ResultWriter{Dir: dir, WriterConfig: &runner.WriterConfig{OutputType: "JSONL", Transformation: "COMPACT"}}
		rep, _ := run(t, j)
		b, err := os.ReadFile(filepath.Join(dir, rep.MapRunID, "SUCCEEDED_0.json"))
		if err != nil || strings.TrimSpace(string(b)) != "[1,2]\n3\n[]" {
			t.Errorf("SUCCEEDED_0.json %q %v", b, err)
		}
	})
	t.Run("empty ResultWriter is invalid", func(t *testing.T) {
		j := job(t, writeItems(t, items...))
		j.ResultWriter = &runner.ResultWriter{}
		_, err := runner.Run(context.Background(), j, runner.Options{})
		var ve *runner.ValidationError
		if !asValidation(err, &ve) || ve.Field != "ResultWriter" {
			t.Errorf("err %v", err)
		}
	})
}
