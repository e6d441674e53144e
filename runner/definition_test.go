package runner_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/wasmap/wasmap/runner"
)

// defJob is a Job made from a definition, with the test guest as the function "guest".
func defJob(t *testing.T, def, input string) runner.Job {
	j := job(t, "")
	j.ItemReader.Source = ""
	j.Functions[0].Name = "guest"
	j.Definition = json.RawMessage(def)
	j.Input = json.RawMessage(input)
	return j
}

// passMap is a Map state over $.items whose child is one Pass state, plus extra fields.
func passMap(extra string) string {
	return `{"Type":"Map","ItemsPath":"$.items",` + extra + `"ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},"End":true}`
}

const runtimePrefix = "An error occurred while executing the state 'MapState' (entered at the event id #2). "

// The *Path validations of ASL reference §3.2, §6 and §7, with AWS's recorded causes. The
// definitions are whole state machines so the state is named MapState, as in the recordings.
func TestDefinitionPathValues(t *testing.T) {
	machine := func(mapFields string) string {
		return `{"StartAt":"MapState","States":{"MapState":` + passMap(mapFields) + `}}`
	}
	for _, tc := range []struct {
		name, fields, input string
		wantOut             string // on success
		wantErr, wantCause  string
	}{
		{"MaxConcurrencyPath object", `"MaxConcurrencyPath":"$.MaxConcurrencyValue",`, `{"items":[1],"MaxConcurrencyValue":{}}`, "",
			"States.Runtime", runtimePrefix + `The MaxConcurrencyPath field refers to value "{}" which is not a valid integer: $.MaxConcurrencyValue`},
		{"MaxConcurrencyPath 0 runs", `"MaxConcurrencyPath":"$.MaxConcurrencyValue",`, `{"items":[1,2],"MaxConcurrencyValue":0}`, `[1,2]`, "", ""},
		{"MaxConcurrencyPath numeric string", `"MaxConcurrencyPath":"$.MaxConcurrencyValue",`, `{"items":[1,2],"MaxConcurrencyValue":"1"}`, `[1,2]`, "", ""},
		{"ToleratedFailureCountPath negative", `"ToleratedFailureCountPath":"$.ToleratedFailureCount",`, `{"items":[1],"ToleratedFailureCount":-1}`, "",
			"States.Runtime", runtimePrefix + `ToleratedFailureCount cannot be negative.`},
		{"ToleratedFailureCountPath not a number", `"ToleratedFailureCountPath":"$.ToleratedFailureCount",`, `{"items":[1],"ToleratedFailureCount":{}}`, "",
			"States.Runtime", runtimePrefix + `The ToleratedFailureCountPath field refers to value "{}" which is not a valid integer: $.ToleratedFailureCount`},
		{"ToleratedFailurePercentagePath over 100", `"ToleratedFailurePercentagePath":"$.ToleratedFailurePercentage",`, `{"items":[1],"ToleratedFailurePercentage":100.1}`, "",
			"States.Runtime", runtimePrefix + `ToleratedFailurePercentage must be between 0 and 100.`},
		{"ToleratedFailurePercentagePath decimal accepted", `"ToleratedFailurePercentagePath":"$.ToleratedFailurePercentage",`, `{"items":[1],"ToleratedFailurePercentage":1.1}`, `[1]`, "", ""},
		{"ItemsPath with ItemBatcher", `"ItemBatcher":{"MaxItemsPerBatch":2},`, `{"items":[1,2,3]}`, `[{"Items":[1,2]},{"Items":[3]}]`, "", ""},
		{"ItemSelector reads the input and the item", `"ItemSelector":{"fromInput.$":"$.k","item.$":"$$.Map.Item.Value","index.$":"$$.Map.Item.Index","literal":"$bucket"},`,
			`{"items":["a","b"],"k":7}`, `[{"fromInput":7,"item":"a","index":0,"literal":"$bucket"},{"fromInput":7,"item":"b","index":1,"literal":"$bucket"}]`, "", ""},
		{"ResultPath merges into the input", `"ResultPath":"$.out",`, `{"items":[1]}`, `{"items":[1],"out":[1]}`, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rep, out := run(t, defJob(t, machine(tc.fields), tc.input))
			if tc.wantErr != "" {
				if rep.Status != runner.StatusFailed || rep.Error != tc.wantErr || rep.Cause != tc.wantCause {
					t.Fatalf("got %s %s %q; want FAILED %s %q", rep.Status, rep.Error, rep.Cause, tc.wantErr, tc.wantCause)
				}
				var o struct{ Error, Cause string }
				if err := json.Unmarshal([]byte(out), &o); err != nil || o.Error != tc.wantErr || o.Cause != tc.wantCause {
					t.Fatalf("output %q", out)
				}
				return
			}
			if rep.Status != runner.StatusSucceeded || strings.TrimSpace(out) != tc.wantOut {
				t.Fatalf("got %s %s %q, output %s; want %s", rep.Status, rep.Error, rep.Cause, out, tc.wantOut)
			}
		})
	}
}

// A Task retried with backoff until it succeeds, and one whose retries run out and is caught.
func TestDefinitionRetryAndCatch(t *testing.T) {
	def := `{"Type":"Map","ItemsPath":"$.items","MaxConcurrency":1,
	  "ItemProcessor":{"StartAt":"Work","States":{
	    "Work":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:000000000000:function:guest",
	      "Retry":[{"ErrorEquals":["InvalidOrderError"],"IntervalSeconds":1,"MaxAttempts":2,"BackoffRate":1.5}],
	      "Catch":[{"ErrorEquals":["States.ALL"],"ResultPath":"$.error","Next":"Caught"}],
	      "End":true},
	    "Caught":{"Type":"Pass","Parameters":{"caught.$":"$.error.Error"},"End":true}}},"End":true}`
	// One environment (MaxConcurrency 1) counts invocations across both items: the first item
	// fails on invocations 1 and 2 and succeeds on 3 after two retries; the second fails on 4,
	// 5 and 6 (its first try and both retries) and is caught.
	in := `{"items":[{"op":"flaky","value":2},{"op":"flaky","value":6}]}`
	start := time.Now()
	rep, out := run(t, defJob(t, def, in))
	if rep.Status != runner.StatusSucceeded {
		t.Fatalf("status %s %s %s", rep.Status, rep.Error, rep.Cause)
	}
	if got := strings.TrimSpace(out); got != `[3,{"caught":"InvalidOrderError"}]` {
		t.Fatalf("output %s", got)
	}
	// Backoff: 1 s and 1.5 s for the first item, 1 s and 1.5 s for the second.
	if d := time.Since(start); d < 5*time.Second {
		t.Errorf("took %v: the retries did not wait their intervals (5 s in all)", d)
	}
	if rep.ColdStarts != 1 {
		t.Errorf("%d cold starts, want 1: a retry reuses the warm environment", rep.ColdStarts)
	}
}

// TimeoutSeconds shorter than the function's timeout fails the Task with States.Timeout, which
// Catch can match by name.
func TestDefinitionTaskTimeout(t *testing.T) {
	def := `{"Type":"Map","ItemsPath":"$.items",
	  "ItemProcessor":{"StartAt":"Work","States":{
	    "Work":{"Type":"Task","Resource":"guest","TimeoutSeconds":1,
	      "Catch":[{"ErrorEquals":["States.Timeout"],"Next":"Late"}],"End":true},
	    "Late":{"Type":"Pass","End":true}}},"End":true}`
	j := defJob(t, def, `{"items":[{"op":"spin"},{"op":"echo","value":1}]}`)
	j.Functions[0].Timeout = runner.Duration(3 * time.Second)
	start := time.Now()
	rep, out := run(t, j)
	if rep.Status != runner.StatusSucceeded {
		t.Fatalf("status %s %s %s", rep.Status, rep.Error, rep.Cause)
	}
	if got := strings.TrimSpace(out); got != `[{"Error":"States.Timeout"},1]` {
		t.Fatalf("output %s", got)
	}
	if d := time.Since(start); d > 2500*time.Millisecond {
		t.Errorf("took %v: the Task's 1 s TimeoutSeconds did not stop the spinning invocation", d)
	}
}

// A failed child without Catch is NONE-shaped in the output and counts against tolerance.
func TestDefinitionFailedChildWithinTolerance(t *testing.T) {
	def := `{"Type":"Map","ItemsPath":"$.items","ToleratedFailureCount":1,
	  "ItemProcessor":{"StartAt":"Work","States":{"Work":{"Type":"Task","Resource":"guest","End":true}}},"End":true}`
	rep, out := run(t, defJob(t, def, `{"items":[{"op":"error","message":"bad"},{"op":"echo","value":2}]}`))
	if rep.Status != runner.StatusSucceeded || rep.ItemCounts.Failed != 1 || rep.ItemCounts.Succeeded != 1 {
		t.Fatalf("got %s %+v", rep.Status, rep.ItemCounts)
	}
	var outs []json.RawMessage
	var failed struct{ Status, Error, Cause, Input string }
	if err := json.Unmarshal([]byte(out), &outs); err != nil || len(outs) != 2 || json.Unmarshal(outs[0], &failed) != nil {
		t.Fatalf("output %s", out)
	}
	if failed.Status != "FAILED" || failed.Error != "InvalidOrderError" || failed.Input != `{"op":"error","message":"bad"}` ||
		failed.Cause != `{"errorMessage":"bad","errorType":"InvalidOrderError"}` || string(outs[1]) != "2" {
		t.Errorf("output %s", out)
	}
}

// ItemReader and ResultWriter name S3 buckets, served from local folders; the state output
// names the bucket and the key as Step Functions does (a "/" inserted after the Prefix).
func TestDefinitionBuckets(t *testing.T) {
	data, results := t.TempDir(), t.TempDir()
	csv := "name,op\nada,echo\nbob,echo\ncyd,echo\n"
	if err := os.MkdirAll(filepath.Join(data, "in"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(data, "in", "rows.csv"), []byte(csv), 0o644); err != nil {
		t.Fatal(err)
	}
	def := `{"Type":"Map",
	  "ItemReader":{"Resource":"arn:aws:states:::s3:getObject","ReaderConfig":{"InputType":"CSV","CSVHeaderLocation":"FIRST_ROW","MaxItems":2},
	    "Parameters":{"Bucket":"data-bucket","Key.$":"$.key"}},
	  "ItemSelector":{"op":"echo","value.$":"$$.Map.Item.Value.name"},
	  "ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},"StartAt":"Work","States":{"Work":{"Type":"Task","Resource":"guest","End":true}}},
	  "ResultWriter":{"Resource":"arn:aws:states:::s3:putObject","Parameters":{"Bucket":"result-bucket","Prefix":"mapJobs"}},
	  "Label":"TestMap","End":true}`
	j := defJob(t, def, `{"key":"in/rows.csv"}`)
	j.Buckets = map[string]string{"data-bucket": data, "result-bucket": results}
	rep, out := run(t, j)
	if rep.Status != runner.StatusSucceeded || rep.ItemCounts.Succeeded != 2 {
		t.Fatalf("got %s %s %s %+v", rep.Status, rep.Error, rep.Cause, rep.ItemCounts)
	}
	re := regexp.MustCompile(`^\{"MapRunArn":"arn:aws:states:us-east-1:000000000000:mapRun:wasmap/TestMap:([0-9a-f-]{36})","ResultWriterDetails":\{"Bucket":"result-bucket","Key":"mapJobs/([0-9a-f-]{36})/manifest.json"\}\}$`)
	m := re.FindStringSubmatch(strings.TrimSpace(out))
	if m == nil || m[1] != m[2] {
		t.Fatalf("output %s", out)
	}
	b, err := os.ReadFile(filepath.Join(results, "mapJobs", m[1], "SUCCEEDED_0.json"))
	if err != nil {
		t.Fatal(err)
	}
	var recs []struct{ Input, Output string }
	if err := json.Unmarshal(b, &recs); err != nil || len(recs) != 2 || recs[1].Output != `"bob"` {
		t.Fatalf("SUCCEEDED_0.json: %s", b)
	}
}

// The same map run from flags and from a definition gives the same output.
func TestFlagsAndDefinitionAgree(t *testing.T) {
	items := writeItems(t, echo(1), echo(2), echo(3))
	flags := job(t, items)
	flags.ItemReader.ReaderConfig.MaxItems = 2
	flags.ItemSelector = json.RawMessage(`{"op":"echo","value":{"i.$":"$$.Map.Item.Index","v.$":"$$.Map.Item.Value.value"}}`)
	_, fromFlags := run(t, flags)

	def := defJob(t, `{"Type":"Map","ItemSelector":{"op":"echo","value":{"i.$":"$$.Map.Item.Index","v.$":"$$.Map.Item.Value.value"}},
	  "ItemReader":{"Resource":"arn:aws:states:::s3:getObject","ReaderConfig":{"InputType":"JSONL","MaxItems":2},"Parameters":{"Bucket":"b","Key":"x"}},
	  "ItemProcessor":{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"guest","End":true}}},"End":true}`, `{}`)
	def.ItemReader.Source = items // the flag wins over the definition's ItemReader
	_, fromDef := run(t, def)
	if want := `[{"i":0,"v":1},{"i":1,"v":2}]`; fromFlags != fromDef || strings.TrimSpace(fromFlags) != want {
		t.Fatalf("flags: %s\ndefinition: %s", fromFlags, fromDef)
	}
}

// An invalid definition is refused before anything runs, with its JSON location.
func TestDefinitionInvalid(t *testing.T) {
	for _, tc := range []struct{ name, def, wantField string }{
		{"unknown function", `{"Type":"Map","ItemsPath":"$.items","ItemProcessor":{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"nope","End":true}}},"End":true}`, "ItemProcessor.States.T.Resource"},
		{"Next to nowhere", `{"Type":"Map","ItemProcessor":{"StartAt":"T","States":{"T":{"Type":"Pass","Next":"X"}}},"End":true}`, "Definition.ItemProcessor.States.T.Next"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := runner.Run(t.Context(), defJob(t, tc.def, `{"items":[1]}`), runner.Options{})
			var ve *runner.ValidationError
			if !asValidation(err, &ve) || ve.Field != tc.wantField {
				t.Fatalf("error %v, want a ValidationError at %s", err, tc.wantField)
			}
		})
	}
}

// A Catch on the Map state itself handles the Map Run's failure: the state output is the error
// output at the catcher's ResultPath, and the Report says it was caught.
func TestDefinitionMapStateCatch(t *testing.T) {
	def := `{"Type":"Map","ItemsPath":"$.items",
	  "ItemProcessor":{"StartAt":"Work","States":{"Work":{"Type":"Task","Resource":"guest","End":true}}},
	  "Catch":[{"ErrorEquals":["States.ExceedToleratedFailureThreshold"],"ResultPath":"$.mapError","Next":"Elsewhere"}],"End":true}`
	rep, out := run(t, defJob(t, def, `{"items":[{"op":"error"}]}`))
	if rep.Status != runner.StatusFailed || !rep.Caught || rep.Error != "States.ExceedToleratedFailureThreshold" {
		t.Fatalf("got %s caught=%v %s", rep.Status, rep.Caught, rep.Error)
	}
	var o struct {
		Items    []json.RawMessage
		MapError struct{ Error, Cause string }
	}
	if err := json.Unmarshal([]byte(out), &o); err != nil || o.MapError.Error != "States.ExceedToleratedFailureThreshold" || o.MapError.Cause != rep.Cause || len(o.Items) != 1 {
		t.Fatalf("output %s", out)
	}
}

// A child waiting for a Retry's backoff when the Map Run fails is aborted at once, as Step
// Functions aborts the running children of a failed Map Run; nothing waits for the backoff.
func TestDefinitionBackoffAbortedWhenRunFails(t *testing.T) {
	// MaxConcurrency 2: the second item starts while the first waits 30 s to retry, and fails
	// the run; the third never starts.
	def := `{"Type":"Map","ItemsPath":"$.items","MaxConcurrency":2,
	  "ItemProcessor":{"StartAt":"Work","States":{"Work":{"Type":"Task","Resource":"guest",
	    "Retry":[{"ErrorEquals":["InvalidOrderError"],"IntervalSeconds":30}],"End":true}}},"End":true}`
	start := time.Now()
	rep, _ := run(t, defJob(t, def, `{"items":[{"op":"error"},{"op":"nosuchop"},{"op":"echo","value":3}]}`))
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("took %v: the run waited for the backoff", d)
	}
	c := rep.ItemCounts
	if rep.Status != runner.StatusFailed || rep.Error != "States.ExceedToleratedFailureThreshold" || c.Aborted != 1 || c.Failed != 1 || c.Pending != 1 {
		t.Fatalf("got %s %s %+v", rep.Status, rep.Error, c)
	}
}

// A bucket that --bucket does not map is S3's: a failure to reach it fails the Map Run with
// States.ItemReaderFailed, naming the bucket.
func TestDefinitionUnmappedBucketIsS3(t *testing.T) {
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	t.Setenv("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:1") // nothing listens there
	t.Setenv("AWS_MAX_ATTEMPTS", "1")
	def := `{"Type":"Map","ItemReader":{"Resource":"arn:aws:states:::s3:listObjectsV2","Parameters":{"Bucket":"some-bucket"}},
	  "ItemProcessor":{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},"End":true}`
	rep, _ := run(t, defJob(t, def, `{}`))
	if rep.Status != runner.StatusFailed || rep.Error != "States.ItemReaderFailed" || !strings.Contains(rep.Cause, "some-bucket") {
		t.Fatalf("got %s %s %q", rep.Status, rep.Error, rep.Cause)
	}
}
