package main_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wasmap/wasmap/runner/internal/guesttest"
	"github.com/wasmap/wasmap/runner/internal/s3test"
)

var bin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "wasmap-cli-test")
	if err != nil {
		panic(err)
	}
	bin = filepath.Join(dir, "wasmap")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		panic(string(out))
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// wasmap runs the built CLI and returns its stdout, stderr and exit status.
func wasmap(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "XDG_CACHE_HOME="+filepath.Join(os.TempDir(), "wasmap-cli-test-cache"))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return stdout.String(), stderr.String(), code
}

func sample(t *testing.T) (wasm, items string) {
	return guesttest.Build(t, "samples/uppercase"), filepath.Join(guesttest.Root(), "samples/uppercase/items.jsonl")
}

func TestSampleToResults(t *testing.T) {
	wasm, items := sample(t)
	dir := t.TempDir()
	stdout, stderr, code := wasmap(t, "run", "--function", wasm, "--items", items, "--results", dir, "--progress", "lines")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	var state struct {
		MapRunArn           string
		ResultWriterDetails struct{ Bucket, Key string }
	}
	if err := json.Unmarshal([]byte(stdout), &state); err != nil {
		t.Fatalf("stdout %q: %v", stdout, err)
	}
	for _, want := range []string{"SUCCEEDED", "total 1000", "succeeded 1000", "items/s", state.ResultWriterDetails.Key} {
		if !strings.Contains(stderr, want) {
			t.Errorf("summary lacks %q:\n%s", want, stderr)
		}
	}
	manifest, err := os.ReadFile(filepath.Join(state.ResultWriterDetails.Bucket, state.ResultWriterDetails.Key))
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		ResultFiles struct{ SUCCEEDED []struct{ Key string } }
	}
	json.Unmarshal(manifest, &m)
	if len(m.ResultFiles.SUCCEEDED) != 1 {
		t.Fatalf("manifest %s", manifest)
	}
	b, _ := os.ReadFile(filepath.Join(dir, m.ResultFiles.SUCCEEDED[0].Key))
	var recs []struct{ Input, Output, Status string }
	if err := json.Unmarshal(b, &recs); err != nil || len(recs) != 1000 {
		t.Fatalf("%d records, %v", len(recs), err)
	}
	for _, r := range recs {
		var in, out map[string]any
		json.Unmarshal([]byte(r.Input), &in)
		json.Unmarshal([]byte(r.Output), &out)
		for k, v := range in {
			if s, ok := v.(string); ok {
				v = strings.ToUpper(s)
			}
			if out[k] != v {
				t.Fatalf("record input %s output %s: field %s", r.Input, r.Output, k)
			}
		}
		if r.Status != "SUCCEEDED" || len(out) != len(in) {
			t.Fatalf("record %+v", r)
		}
	}
}

func TestSampleToStdout(t *testing.T) {
	wasm, items := sample(t)
	stdout, stderr, code := wasmap(t, "run", "-f", wasm, "-i", items, "--max-items", "25", "-c", "3", "--progress", "none")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var outs []map[string]any
	if err := json.Unmarshal([]byte(stdout), &outs); err != nil || len(outs) != 25 {
		t.Fatalf("stdout: %d outputs, %v", len(outs), err)
	}
	for i, o := range outs {
		if id, _ := o["id"].(float64); int(id) != i+1 {
			t.Errorf("output %d has id %v: outputs must keep item order", i, o["id"])
		}
	}
	if stderr != "" {
		t.Errorf("--progress none printed %q", stderr)
	}
}

func TestFailedRunExitsOne(t *testing.T) {
	wasm := guesttest.Build(t, "runner/testdata/guests/testguest")
	items := filepath.Join(t.TempDir(), "items.jsonl")
	os.WriteFile(items, []byte(`{"op":"echo","value":1}`+"\n"+`{"op":"error"}`+"\n"), 0o644)
	stdout, stderr, code := wasmap(t, "run", "-f", wasm, "-i", items)
	if code != 1 {
		t.Fatalf("exit %d, want 1: %s", code, stderr)
	}
	var failure map[string]string
	if err := json.Unmarshal([]byte(stdout), &failure); err != nil || failure["Error"] != "States.ExceedToleratedFailureThreshold" || failure["Cause"] == "" {
		t.Errorf("stdout %q", stdout)
	}
	if !strings.Contains(stderr, "FAILED") {
		t.Errorf("stderr %q", stderr)
	}
}

func TestUsageErrorsExitTwo(t *testing.T) {
	wasm, items := sample(t)
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"no function", []string{"run", "-i", items}, "--function is required"},
		{"no items", []string{"run", "-f", wasm}, "--items is required"},
		{"unknown flag", []string{"run", "--bogus"}, "bogus"},
		{"bad env", []string{"run", "-f", wasm, "-i", items, "--env", "NOEQUALS"}, "K=V"},
		{"reserved env", []string{"run", "-f", wasm, "-i", items, "--env", "AWS_REGION=x"}, "reserved"},
		{"concurrency too high", []string{"run", "-f", wasm, "-i", items, "-c", "10001"}, "MaxConcurrency"},
		{"not a module", []string{"run", "-f", items, "-i", items}, "loading"},
		{"stray argument", []string{"run", "-f", wasm, "-i", items, "extra"}, "unexpected argument"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, stderr, code := wasmap(t, c.args...)
			if code != 2 || !strings.Contains(stderr, c.want) {
				t.Errorf("exit %d, stderr %q; want 2 and %q", code, stderr, c.want)
			}
		})
	}
}

func TestInspect(t *testing.T) {
	wasm, _ := sample(t)
	stdout, _, code := wasmap(t, "inspect", wasm)
	if code != 0 || !strings.Contains(stdout, "fits ABI v1 as a function module: yes") || !strings.Contains(stdout, "wasmap_runtime_v1.next() -> (i64)") {
		t.Errorf("exit %d:\n%s", code, stdout)
	}
	bad := filepath.Join(t.TempDir(), "bad.wasm")
	os.WriteFile(bad, guesttest.WAT(t, `(module (import "env" "f" (func)) (memory (export "memory") 1) (func (export "_start")))`), 0o644)
	stdout, _, code = wasmap(t, "inspect", bad)
	if code != 1 || !strings.Contains(stdout, "fits ABI v1 as a function module: no") || !strings.Contains(stdout, "env.f") {
		t.Errorf("exit %d:\n%s", code, stdout)
	}
	ext := guesttest.Build(t, "plugins/telemetry")
	stdout, _, code = wasmap(t, "inspect", ext)
	if code != 0 || !strings.Contains(stdout, "fits ABI v1 as an extension module: yes") {
		t.Errorf("extension: exit %d:\n%s", code, stdout)
	}
}

func TestHelpExplains(t *testing.T) {
	stdout, stderr, code := wasmap(t, "run", "--help")
	help := stdout + stderr
	for _, want := range []string{"--max-concurrency", "--tolerated-failure-count", "ResultWriter", "Sandbox.Timedout", "Exit status"} {
		if !strings.Contains(help, want) {
			t.Errorf("run --help lacks %q", want)
		}
	}
	if code != 0 {
		t.Errorf("exit %d", code)
	}
}

// TestLambdaPort runs an aws-lambda-go handler whose only change is its imports over a JSON
// array: the five invalid orders fail with the handler's own error type, within tolerance.
func TestLambdaPort(t *testing.T) {
	wasm := guesttest.Build(t, "samples/lambda-port")
	items := filepath.Join(guesttest.Root(), "samples/lambda-port/items.json")
	stdout, stderr, code := wasmap(t, "run", "-f", wasm, "-i", items, "--tolerated-failure-count", "5", "--progress", "lines")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var outs []map[string]any
	if err := json.Unmarshal([]byte(stdout), &outs); err != nil || len(outs) != 50 {
		t.Fatalf("%d outputs, %v", len(outs), err)
	}
	failed := 0
	for i, o := range outs {
		if o["Error"] != nil {
			failed++
			if o["Error"] != "InvalidOrderError" || o["Status"] != "FAILED" {
				t.Errorf("output %d: %v", i, o)
			}
		} else if o["orderId"] == nil {
			t.Errorf("output %d has no orderId: %v", i, o)
		}
	}
	if failed != 5 || !strings.Contains(stderr, "succeeded 45  failed 5") {
		t.Errorf("%d failed; summary:\n%s", failed, stderr)
	}
	_, _, code = wasmap(t, "run", "-f", wasm, "-i", items, "--tolerated-failure-count", "4", "--progress", "none")
	if code != 1 {
		t.Errorf("exit %d with 5 failures and 4 tolerated, want 1", code)
	}
}

// TestInterrupt sends Ctrl-C (SIGINT) during a run: running invocations are aborted, the items
// never started are PENDING, results are still written, and the run is reported as aborted.
func TestInterrupt(t *testing.T) {
	wasm := guesttest.Build(t, "runner/testdata/guests/testguest")
	var lines []string
	for i := 0; i < 40; i++ {
		lines = append(lines, `{"op":"sleep","ms":200}`)
	}
	items := filepath.Join(t.TempDir(), "items.jsonl")
	os.WriteFile(items, []byte(strings.Join(lines, "\n")), 0o644)
	dir := t.TempDir()
	cmd := exec.Command(bin, "run", "-f", wasm, "-i", items, "-c", "2", "--results", dir, "--progress", "lines")
	cmd.Env = append(os.Environ(), "XDG_CACHE_HOME="+filepath.Join(os.TempDir(), "wasmap-cli-test-cache"))
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	errPipe, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	started := make(chan struct{})
	var stderrText strings.Builder
	readDone := make(chan struct{})
	go func() {
		defer close(readDone)
		sc := bufio.NewScanner(errPipe)
		once := false
		for sc.Scan() {
			stderrText.WriteString(sc.Text() + "\n")
			if !once && strings.HasPrefix(sc.Text(), "wasmap: ") { // the first progress line: items are running
				once = true
				close(started)
			}
		}
	}()
	select {
	case <-started:
	case <-time.After(60 * time.Second):
		t.Fatal("the run never started")
	}
	time.Sleep(300 * time.Millisecond)
	cmd.Process.Signal(os.Interrupt)
	<-readDone
	err = cmd.Wait()
	stderr := &stderrText
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 {
		t.Fatalf("exit %v, want 1\n%s", err, stderr.String())
	}
	var failure map[string]string
	if err := json.Unmarshal(stdout.Bytes(), &failure); err != nil || failure["Error"] != "States.Aborted" {
		t.Errorf("stdout %q", stdout.String())
	}
	if !strings.Contains(stderr.String(), "ABORTED") {
		t.Errorf("summary %q", stderr.String())
	}
	pending, _ := filepath.Glob(filepath.Join(dir, "*", "PENDING_0.json"))
	manifest, _ := filepath.Glob(filepath.Join(dir, "*", "manifest.json"))
	if len(pending) != 1 || len(manifest) != 1 {
		t.Fatalf("results: PENDING %v, manifest %v", pending, manifest)
	}
	var recs []map[string]any
	b, _ := os.ReadFile(pending[0])
	if err := json.Unmarshal(b, &recs); err != nil || len(recs) == 0 || len(recs) >= 40 {
		t.Errorf("%d PENDING records, %v", len(recs), err)
	}
}

func TestCSVAndFolderSources(t *testing.T) {
	wasm, _ := sample(t)
	dir := t.TempDir()
	csv := filepath.Join(dir, "rows.csv")
	os.WriteFile(csv, []byte("ada|london|1\r\ngrace|\"new york, ny\"|2\r\n"), 0o644)
	stdout, stderr, code := wasmap(t, "run", "-f", wasm, "-i", csv, "--csv-headers", "name,city,n", "--csv-delimiter", "pipe", "--progress", "none")
	if code != 0 {
		t.Fatalf("csv: exit %d: %s", code, stderr)
	}
	var rows []map[string]string
	if err := json.Unmarshal([]byte(stdout), &rows); err != nil || len(rows) != 2 {
		t.Fatalf("csv: %s %v", stdout, err)
	}
	if rows[1]["city"] != "NEW YORK, NY" || rows[0]["n"] != "1" {
		t.Errorf("csv rows %v: values are strings, quoted fields keep their delimiter", rows)
	}

	folder := filepath.Join(dir, "folder")
	for _, f := range []string{"b/z.txt", "a.txt", "b/a.txt", "skip/x.txt"} {
		os.MkdirAll(filepath.Dir(filepath.Join(folder, f)), 0o755)
		os.WriteFile(filepath.Join(folder, f), []byte(f), 0o644)
	}
	stdout, stderr, code = wasmap(t, "run", "-f", wasm, "-i", folder, "--progress", "none")
	if code != 0 {
		t.Fatalf("folder: exit %d: %s", code, stderr)
	}
	var objs []map[string]any
	if err := json.Unmarshal([]byte(stdout), &objs); err != nil || len(objs) != 4 {
		t.Fatalf("folder: %s %v", stdout, err)
	}
	var keys []string
	for _, o := range objs {
		keys = append(keys, o["Key"].(string))
		for _, k := range []string{"Etag", "Key", "LastModified", "Size", "StorageClass"} {
			if _, ok := o[k]; !ok || len(o) != 5 {
				t.Errorf("item %v: want exactly Etag, Key, LastModified, Size, StorageClass", o)
			}
		}
	}
	if strings.Join(keys, " ") != "A.TXT B/A.TXT B/Z.TXT SKIP/X.TXT" {
		t.Errorf("keys %v: want key order (upper-cased by the sample)", keys)
	}
	stdout, _, _ = wasmap(t, "run", "-f", wasm, "-i", folder, "--prefix", "b/", "--progress", "none")
	if strings.Count(stdout, `"Key"`) != 2 {
		t.Errorf("--prefix b/: %s", stdout)
	}
}

func TestSelectorAndBatcherFlags(t *testing.T) {
	wasm, items := sample(t)
	stdout, stderr, code := wasmap(t, "run", "-f", wasm, "-i", items, "--max-items", "3", "--progress", "none",
		"--input", `{"run":"r1"}`, "--item-selector", `{"who.$":"$$.Map.Item.Value.name","idx.$":"$$.Map.Item.Index","run.$":"$.run"}`)
	if code != 0 || !strings.HasPrefix(stdout, `[{"who":"JOHN RITCHIE","idx":0,"run":"R1"},`) {
		t.Errorf("selector: exit %d, %s %s", code, stdout, stderr)
	}
	stdout, _, code = wasmap(t, "run", "-f", wasm, "-i", items, "--max-items", "5", "--max-items-per-batch", "2", "--progress", "none")
	var batches []struct{ Items []json.RawMessage }
	if code != 0 || json.Unmarshal([]byte(stdout), &batches) != nil || len(batches) != 3 || len(batches[2].Items) != 1 {
		t.Errorf("batcher: exit %d, %s", code, stdout)
	}
	_, stderr, code = wasmap(t, "run", "-f", wasm, "-i", items, "--item-selector", `{"a":{"who.$":"$$.Map.Item.Value[?"}}`)
	if code != 2 || !strings.Contains(stderr, "ItemSelector.a.who.$") {
		t.Errorf("bad selector: exit %d, %s", code, stderr)
	}
}

// Each Transformation through the CLI: without --results the state output is formatted; with
// --results the records are, and a small --results-file-size splits them into several files.
func TestTransformations(t *testing.T) {
	wasm := guesttest.Build(t, "runner/testdata/guests/testguest")
	items := filepath.Join(t.TempDir(), "items.jsonl")
	os.WriteFile(items, []byte(`{"op":"echo","value":[1,2]}`+"\n"+`{"op":"echo","value":3}`+"\n"), 0o644)
	for _, tc := range []struct{ tr, want string }{
		{"COMPACT", `[[1,2],3]`},
		{"FLATTEN", `[1,2,3]`},
	} {
		stdout, stderr, code := wasmap(t, "run", "-f", wasm, "-i", items, "--transformation", tc.tr, "--progress", "none")
		if code != 0 || strings.TrimSpace(stdout) != tc.want {
			t.Errorf("%s: exit %d, stdout %s, stderr %s; want %s", tc.tr, code, stdout, stderr, tc.want)
		}
	}
	stdout, _, code := wasmap(t, "run", "-f", wasm, "-i", items, "--transformation", "NONE", "--progress", "none")
	var recs []struct{ Output, Status, ExecutionArn string }
	if code != 0 || json.Unmarshal([]byte(stdout), &recs) != nil || len(recs) != 2 || recs[0].Output != "[1,2]" || recs[1].Status != "SUCCEEDED" || recs[1].ExecutionArn == "" {
		t.Errorf("NONE: exit %d, stdout %s", code, stdout)
	}

	dir := t.TempDir()
	stdout, stderr, code := wasmap(t, "run", "-f", wasm, "-i", items, "--results", dir, "--output-type", "JSONL", "--results-file-size", "10", "--progress", "none")
	var state struct{ ResultWriterDetails struct{ Bucket, Key string } }
	if code != 0 || json.Unmarshal([]byte(stdout), &state) != nil {
		t.Fatalf("exit %d: %s %s", code, stdout, stderr)
	}
	manifest, _ := os.ReadFile(filepath.Join(state.ResultWriterDetails.Bucket, state.ResultWriterDetails.Key))
	var m struct {
		ResultFiles struct{ SUCCEEDED []struct{ Key string } }
	}
	if json.Unmarshal(manifest, &m) != nil || len(m.ResultFiles.SUCCEEDED) != 2 {
		t.Fatalf("manifest %s: want two SUCCEEDED files, one record each", manifest)
	}
	for i, f := range m.ResultFiles.SUCCEEDED {
		if !strings.HasSuffix(f.Key, fmt.Sprintf("SUCCEEDED_%d.json", i)) {
			t.Errorf("file %d is %s", i, f.Key)
		}
		b, _ := os.ReadFile(filepath.Join(dir, f.Key))
		if lines := strings.Count(string(b), "\n"); lines != 1 || !strings.HasPrefix(string(b), `{"ExecutionArn":`) {
			t.Errorf("%s: %q, want one JSON Lines record", f.Key, b)
		}
	}
}

// A definition file through the CLI: a Retry with backoff that succeeds, then a Catch.
func TestDefinitionRetryCatch(t *testing.T) {
	wasm := guesttest.Build(t, "runner/testdata/guests/testguest")
	def := filepath.Join(t.TempDir(), "map.json")
	os.WriteFile(def, []byte(`{"StartAt":"Orders","States":{"Orders":{"Type":"Map","ItemsPath":"$.orders","MaxConcurrency":1,
	  "ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},"StartAt":"Work","States":{
	    "Work":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"FunctionName":"checker","Payload.$":"$"},
	      "Retry":[{"ErrorEquals":["InvalidOrderError"],"IntervalSeconds":1,"MaxAttempts":1}],
	      "Catch":[{"ErrorEquals":["States.ALL"],"ResultPath":"$.failure","Next":"Flag"}],
	      "OutputPath":"$.Payload","End":true},
	    "Flag":{"Type":"Pass","Parameters":{"flagged.$":"$.failure.Error"},"End":true}}},
	  "ResultPath":"$.results","End":true}}}`), 0o644)
	// One environment: invocation 1 fails, its retry (2) succeeds; the second order fails on 3
	// and on its retry (4), and is caught.
	stdout, stderr, code := wasmap(t, "run", "-f", "checker="+wasm, "--definition", def, "--progress", "none",
		"--input", `{"orders":[{"op":"flaky","value":1},{"op":"flaky","value":4}]}`)
	want := `{"orders":[{"op":"flaky","value":1},{"op":"flaky","value":4}],"results":[2,{"flagged":"InvalidOrderError"}]}`
	if code != 0 || strings.TrimSpace(stdout) != want {
		t.Fatalf("exit %d, stdout %s, stderr %s; want %s", code, stdout, stderr, want)
	}
}

// A folder source with object I/O: the wordcount sample reads each item's file and writes its
// counts under --output-prefix; a module cannot write outside it.
func TestFolderWithObjectIO(t *testing.T) {
	wasm := guesttest.Build(t, "samples/wordcount")
	data := filepath.Join(guesttest.Root(), "samples/wordcount/data")
	out := filepath.Join(t.TempDir(), "counts")
	stdout, stderr, code := wasmap(t, "run", "-f", wasm, "-i", data+"/", "--output-prefix", out, "--progress", "none")
	if code != 0 {
		t.Fatalf("exit %d: %s %s", code, stdout, stderr)
	}
	var results []struct {
		Key                 string
		Lines, Words, Bytes int
	}
	if err := json.Unmarshal([]byte(stdout), &results); err != nil || len(results) != 5 {
		t.Fatalf("stdout %s: %v", stdout, err)
	}
	for _, r := range results {
		b, err := os.ReadFile(filepath.Join(out, filepath.FromSlash(r.Key)+".counts.json"))
		if err != nil {
			t.Fatalf("output object for %s: %v", r.Key, err)
		}
		var c struct{ Key string }
		if json.Unmarshal(b, &c) != nil || c.Key != r.Key {
			t.Errorf("%s.counts.json: %s", r.Key, b)
		}
		st, _ := os.Stat(filepath.Join(data, filepath.FromSlash(r.Key)))
		if st == nil || int64(r.Bytes) != st.Size() {
			t.Errorf("%s: %d bytes counted, file has %v", r.Key, r.Bytes, st)
		}
	}
	// Without --output-prefix the module may not write: every item fails with the SDK's error.
	_, stderr, code = wasmap(t, "run", "-f", wasm, "-i", data+"/", "--progress", "lines", "--tolerated-failure-percentage", "100")
	if code != 0 || !strings.Contains(stderr, "failed 5") {
		t.Errorf("no output prefix: exit %d, %s", code, stderr)
	}
}

// The S3 path end to end through the CLI, against a real S3 server: items listed from a bucket,
// each read by the module through object I/O, output objects created under an s3:// prefix,
// results exported to S3; and a missing bucket fails the run naming it.
func TestS3EndToEnd(t *testing.T) {
	srv := s3test.Start(t)
	srv.SetEnv(t) // the CLI inherits the environment: endpoint and credentials
	srv.CreateBucket(t, "data")
	files := map[string]string{"docs/a.txt": "one two three\n", "docs/b.txt": "four five\nsix\n", "other/c.txt": "not listed\n"}
	for k, v := range files {
		srv.PutObject(t, "data", k, []byte(v))
	}
	wasm := guesttest.Build(t, "samples/wordcount")
	stdout, stderr, code := wasmap(t, "run", "-f", wasm, "-i", "s3://data/docs/", "--output-prefix", "s3://data/counts/",
		"--results", "s3://data/runs", "--progress", "lines")
	if code != 0 {
		t.Fatalf("exit %d: %s %s", code, stdout, stderr)
	}
	var state struct {
		MapRunArn           string
		ResultWriterDetails struct{ Bucket, Key string }
	}
	if err := json.Unmarshal([]byte(stdout), &state); err != nil || state.ResultWriterDetails.Bucket != "data" ||
		!strings.HasPrefix(state.ResultWriterDetails.Key, "runs/") || !strings.HasSuffix(state.ResultWriterDetails.Key, "/manifest.json") {
		t.Fatalf("stdout %s", stdout)
	}
	var manifest struct {
		DestinationBucket string
		ResultFiles       struct{ SUCCEEDED []struct{ Key string } }
	}
	if err := json.Unmarshal(srv.GetObject(t, "data", state.ResultWriterDetails.Key), &manifest); err != nil ||
		manifest.DestinationBucket != "data" || len(manifest.ResultFiles.SUCCEEDED) != 1 {
		t.Fatalf("manifest: %+v %v", manifest, err)
	}
	var recs []struct{ Input, Output string }
	if err := json.Unmarshal(srv.GetObject(t, "data", manifest.ResultFiles.SUCCEEDED[0].Key), &recs); err != nil || len(recs) != 2 {
		t.Fatalf("records: %v %d", err, len(recs))
	}
	for _, key := range []string{"docs/a.txt", "docs/b.txt"} {
		var c struct {
			Key   string
			Words int
		}
		if err := json.Unmarshal(srv.GetObject(t, "data", "counts/"+key+".counts.json"), &c); err != nil || c.Key != key || c.Words != 3 {
			t.Errorf("counts of %s: %+v %v", key, c, err)
		}
	}
	// The same bucket from a Map-state definition: getObject with a Key path, putObject results.
	srv.PutObject(t, "data", "lists/keys.jsonl", []byte(`{"Key":"docs/a.txt","Size":14}`+"\n"+`{"Key":"docs/b.txt","Size":14}`+"\n"))
	def := filepath.Join(t.TempDir(), "map.json")
	os.WriteFile(def, []byte(`{"Type":"Map","End":true,
	  "ItemReader":{"Resource":"arn:aws:states:::s3:getObject","ReaderConfig":{"InputType":"JSONL"},
	    "Parameters":{"Bucket.$":"$.bucket","Key.$":"$.key"}},
	  "ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},"StartAt":"Count",
	    "States":{"Count":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:000000000000:function:wordcount","End":true}}},
	  "ResultWriter":{"Resource":"arn:aws:states:::s3:putObject","Parameters":{"Bucket":"data","Prefix":"defruns"}}}`), 0o644)
	stdout, stderr, code = wasmap(t, "run", "-f", "wordcount="+wasm, "--definition", def, "--read-prefix", "s3://data/docs/",
		"--output-prefix", "s3://data/counts2/", "--input", `{"bucket":"data","key":"lists/keys.jsonl"}`, "--progress", "none")
	if code != 0 || !regexp.MustCompile(`^\{"MapRunArn":"arn:aws:states:us-east-1:000000000000:mapRun:wasmap/Map:[0-9a-f-]{36}","ResultWriterDetails":\{"Bucket":"data","Key":"defruns/[0-9a-f-]{36}/manifest.json"\}\}$`).MatchString(strings.TrimSpace(stdout)) {
		t.Fatalf("definition: exit %d, stdout %s, stderr %s", code, stdout, stderr)
	}
	if keys := srv.Keys(t, "data", "counts2/"); len(keys) != 2 {
		t.Errorf("definition run wrote %v", keys)
	}

	_, stderr, code = wasmap(t, "run", "-f", wasm, "-i", "s3://no-such-bucket/x/", "--progress", "lines")
	if code != 1 || !strings.Contains(stderr, "States.ItemReaderFailed") || !strings.Contains(stderr, "no-such-bucket") {
		t.Errorf("missing bucket: exit %d, %s", code, stderr)
	}
}

// The telemetry plugin as an extension: every environment runs it, each instance writes its part
// of the metrics under <results>/<map-run-id>/extensions/telemetry/, the merge gives the run's
// metrics.
func TestTelemetryExtension(t *testing.T) {
	wasm, items := sample(t)
	// An extension is named after its file, as Lambda names one after its executable.
	ext := filepath.Join(t.TempDir(), "telemetry.wasm")
	if b, err := os.ReadFile(guesttest.Build(t, "plugins/telemetry")); err != nil || os.WriteFile(ext, b, 0o644) != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	stdout, stderr, code := wasmap(t, "run", "-f", wasm, "-i", items, "--max-items", "200", "-c", "2",
		"--extension", ext, "--results", dir, "--progress", "lines")
	if code != 0 {
		t.Fatalf("exit %d: %s %s", code, stdout, stderr)
	}
	var state struct{ ResultWriterDetails struct{ Bucket, Key string } }
	json.Unmarshal([]byte(stdout), &state)
	out := filepath.Join(state.ResultWriterDetails.Bucket, filepath.Dir(state.ResultWriterDetails.Key), "extensions", "telemetry")
	cmd := exec.Command("go", "run", "./cmd/telemetry-merge", out)
	cmd.Dir = filepath.Join(guesttest.Root(), "plugins/telemetry")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("merge: %v\n%s", err, b)
	}
	b, err := os.ReadFile(filepath.Join(out, "metrics.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Invocations int64 `json:"invocations"`
		ColdStarts  int64 `json:"coldStarts"`
	}
	if err := json.Unmarshal(b, &m); err != nil || m.Invocations != 200 || m.ColdStarts < 1 || m.ColdStarts > 2 {
		t.Errorf("metrics.json: %s", b)
	}
	if prom, err := os.ReadFile(filepath.Join(out, "metrics.prom")); err != nil || !strings.Contains(string(prom), "200") {
		t.Errorf("metrics.prom: %v\n%s", err, prom)
	}
}

// An extension that works for 5 ms after each INVOKE holds its environment that long after the
// function's response: the summary reports it as PostRuntimeExtensionsDuration, and the items'
// results are all there.
func TestExtensionPostRuntimeDuration(t *testing.T) {
	wasm, items := sample(t)
	ext := guesttest.Build(t, "runner/testdata/guests/extguest")
	stdout, stderr, code := wasmap(t, "run", "-f", wasm, "-i", items, "--max-items", "20", "-c", "1",
		"--extension", ext, "--env", "EXTGUEST_WORK_MS=5", "--env", "EXTGUEST_QUIET=1", "--progress", "lines")
	var outs []json.RawMessage
	if code != 0 || json.Unmarshal([]byte(stdout), &outs) != nil || len(outs) != 20 {
		t.Fatalf("exit %d: %s %s", code, stdout, stderr)
	}
	m := regexp.MustCompile(`([0-9.]+) ms per item after the function's response \(PostRuntimeExtensionsDuration\)`).FindStringSubmatch(stderr)
	if m == nil {
		t.Fatalf("summary lacks PostRuntimeExtensionsDuration:\n%s", stderr)
	}
	if ms, _ := strconv.ParseFloat(m[1], 64); ms < 4 {
		t.Errorf("PostRuntimeExtensionsDuration %s ms per item, want about 5 (the extension works 5 ms after each INVOKE)", m[1])
	}
}

// A job file carries the whole job, extensions included; flags beside it win.
func TestJobFile(t *testing.T) {
	wasm, items := sample(t)
	ext := guesttest.Build(t, "runner/testdata/guests/extguest")
	logs := t.TempDir()
	job := filepath.Join(t.TempDir(), "job.json")
	b, _ := json.Marshal(map[string]any{
		"Functions":  []map[string]any{{"Path": wasm, "Environment": map[string]string{"EXTGUEST_QUIET": "1"}}},
		"Extensions": []map[string]any{{"Path": ext, "Name": "probe"}},
		"ItemReader": map[string]any{"Source": items, "ReaderConfig": map[string]any{"MaxItems": 50}},
		"LogDir":     logs,
	})
	os.WriteFile(job, b, 0o644)
	stdout, stderr, code := wasmap(t, "run", "--job", job, "--max-items", "3", "--progress", "none")
	var outs []json.RawMessage
	if code != 0 || json.Unmarshal([]byte(stdout), &outs) != nil || len(outs) != 3 {
		t.Fatalf("exit %d: %s %s", code, stdout, stderr)
	}
	streams, _ := filepath.Glob(filepath.Join(logs, "*", "logs", "*", "*", "*", "*.log"))
	if len(streams) == 0 {
		t.Fatal("no log stream")
	}
	s, _ := os.ReadFile(streams[0])
	if !strings.Contains(string(s), "EXTENSION\tName: probe\tState: Ready") {
		t.Errorf("the job file's extension did not register:\n%s", s)
	}
	_, stderr, code = wasmap(t, "run", "--job", job, "--nosuchflag")
	if code != 2 {
		t.Errorf("bad flag beside --job: exit %d %s", code, stderr)
	}
}

// A definition whose ItemProcessor has no Task state needs no function module.
func TestDefinitionWithoutFunctions(t *testing.T) {
	def := filepath.Join(t.TempDir(), "map.json")
	os.WriteFile(def, []byte(`{"StartAt":"MapState","States":{"MapState":{"Type":"Map","ItemsPath":"$.items",
	  "ItemBatcher":{"MaxItemsPerBatch":2},"ItemSelector":{"v.$":"$$.Map.Item.Value","i.$":"$$.Map.Item.Index"},
	  "ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},"StartAt":"P",
	    "States":{"P":{"Type":"Pass","Parameters":{"n.$":"$.Items[0].v"},"End":true}}},"End":true}}}`), 0o644)
	stdout, stderr, code := wasmap(t, "run", "--definition", def, "--input", `{"items":["a","b","c"]}`, "--progress", "none")
	if code != 0 || strings.TrimSpace(stdout) != `[{"n":"a"},{"n":"c"}]` {
		t.Fatalf("exit %d, stdout %s, stderr %s", code, stdout, stderr)
	}
	_, stderr, code = wasmap(t, "run", "-i", "x.jsonl")
	if code != 2 || !strings.Contains(stderr, "--function is required") {
		t.Errorf("no function, no definition: exit %d, %s", code, stderr)
	}
}
