package runner_test

// The conformance suite of the ASL reference (/work/shared/reference/asl-map-reference.md,
// §2–§9): one table per section, each case a Map state definition run end to end through
// runner.Run against local data (S3 buckets mapped to folders with Job.Buckets), asserting the
// exact state output, or the exact Error and Cause.
//
// Case names start with the section and say where the rule comes from: "REC:<case>" for a
// behaviour recorded against AWS (matched exactly), "✔ <page>" for Developer Guide text, "◌" for
// a rule the reference marks unverified or leaves open, where the case follows what AWS
// documents, "SCHEMA"/"API" for AWS's schema and service model.
//
// Cases the runner does not meet yet are in knownGaps (reference_gaps_test.go), which asserts
// that each still fails, so the list stays honest.
//
// Children are Pass (or Fail) states wherever the rule needs no function: they run with a stub
// module that is loaded but never instantiated. The test guest (runner/testdata/guests/testguest)
// is used where a child must fail on some items only, or take time.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wasmap/wasmap/runner"
	"github.com/wasmap/wasmap/runner/internal/guesttest"
)

// refCase is one rule of the reference, run as a Map state.
type refCase struct {
	name  string
	def   string            // the Map state (named "Map"), or a state machine around one (see refMachine)
	input string            // the state input; default {}
	data  map[string]string // the objects of the bucket "data-bucket": key → content
	guest bool              // the ItemProcessor's Tasks invoke the test guest, as "guest"

	// On success: the state output, compact, with every UUID written <uuid> and every result
	// record date <date>; when want is empty, check must assert the output. anyKeyOrder compares
	// objects without regard to key order (CSV items, whose key order AWS does not keep, §3.3).
	want        string
	anyKeyOrder bool
	// On failure: the Error, and the Cause (exact) or causeRE (when the reference gives no text).
	wantErr, wantCause, causeRE string
	// caught, with wantErr: the Map state's Catch handles the Map Run's failure, and the state
	// output is this (the catcher's), not the failure's {"Error","Cause"}.
	caught string
	// noMapRun: the state fails before its Map Run starts (no MapRunStarted, §3.2, §6, §7), so
	// the Report has no Map Run ARN. Otherwise every run reports one, labelled label ("Map").
	noMapRun bool
	label    string
	// invalid is the Field of the *runner.ValidationError the Job is refused with.
	invalid string
	// check makes further assertions; it returns the mismatches.
	check func(r *refResult) error
}

// refResult is what a case's run produced.
type refResult struct {
	rep     *runner.Report
	out     string // the state output, as written (trimmed)
	norm    string // out with UUIDs and dates replaced
	results string // the folder of result-bucket
	// rerun runs the case's Job again, as a new entry into the Map state.
	rerun func() (*runner.Report, error)
}

const (
	refRegion  = "us-east-1"
	refAccount = "000000000000"
	// refMTime is the modification time of every data object, so listObjectsV2 items are exact.
	refMTime = 1704164645 // 2024-01-02T03:04:05Z
)

var (
	refUUID = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)
	refDate = regexp.MustCompile(`\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z`)
)

func refNormalize(s string) string {
	return refDate.ReplaceAllString(refUUID.ReplaceAllString(s, "<uuid>"), "<date>")
}

// refMachine wraps a Map state in a state machine where it is named MapState, as in the AWS
// recordings, whose causes name the state.
func refMachine(state string) string {
	return `{"StartAt":"MapState","States":{"MapState":` + state + `}}`
}

// refProcessor is a DISTRIBUTED ItemProcessor whose states are given.
func refProcessor(startAt, states string) string {
	return `"ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},"StartAt":"` + startAt + `","States":{` + states + `}}`
}

// refPass is a Distributed Map state with fields, whose child is one Pass state: its output is its
// input, so the Map output shows the child inputs.
func refPass(fields string) string {
	return `{"Type":"Map",` + fields + refProcessor("P", `"P":{"Type":"Pass","End":true}`) + `,"End":true}`
}

// refTask is a Distributed Map state with fields, whose child invokes the test guest.
func refTask(fields string) string {
	return `{"Type":"Map",` + fields + refProcessor("T", `"T":{"Type":"Task","Resource":"guest","End":true}`) + `,"End":true}`
}

// refFail is a Distributed Map state with fields, whose every child fails with Child.Failed.
func refFail(fields string) string {
	return `{"Type":"Map",` + fields + refProcessor("F", `"F":{"Type":"Fail","Error":"Child.Failed","Cause":"on purpose"}`) + `,"End":true}`
}

// refGetObject is an ItemReader field reading data-bucket's key with a ReaderConfig.
func refGetObject(key, readerConfig string) string {
	return `"ItemReader":{"Resource":"arn:aws:states:::s3:getObject","ReaderConfig":` + readerConfig +
		`,"Parameters":{"Bucket":"data-bucket","Key":"` + key + `"}},`
}

// refCSV reads data-bucket's "data.csv" with the given ReaderConfig members besides InputType.
func refCSV(config string) string {
	if config != "" {
		config = "," + config
	}
	return refGetObject("data.csv", `{"InputType":"CSV"`+config+`}`)
}

// refExport is a ResultWriter field exporting to result-bucket under prefix, with writerConfig
// (empty: none).
func refExport(prefix, writerConfig string) string {
	p := `{"Bucket":"result-bucket"`
	if prefix != "" {
		p += `,"Prefix":"` + prefix + `"`
	}
	p += `}`
	w := `"ResultWriter":{"Resource":"arn:aws:states:::s3:putObject","Parameters":` + p
	if writerConfig != "" {
		w += `,"WriterConfig":` + writerConfig
	}
	return w + `},`
}

var (
	refStubOnce sync.Once
	refStubPath string
)

// refStubModule is the smallest valid function module: it exports _start and a memory. The Pass
// and Fail children never invoke it; it is there because a Job needs a function.
func refStubModule(t *testing.T) string {
	refStubOnce.Do(func() {
		wasm := []byte{
			0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version 1
			0x01, 0x04, 0x01, 0x60, 0x00, 0x00, // type: () -> ()
			0x03, 0x02, 0x01, 0x00, // function 0 has type 0
			0x05, 0x03, 0x01, 0x00, 0x01, // memory: min 1 page
			0x07, 0x13, 0x02, // exports: 2
			0x06, '_', 's', 't', 'a', 'r', 't', 0x00, 0x00, // "_start" func 0
			0x06, 'm', 'e', 'm', 'o', 'r', 'y', 0x02, 0x00, // "memory" memory 0
			0x0a, 0x04, 0x01, 0x02, 0x00, 0x0b, // code: an empty body
		}
		d, err := os.MkdirTemp("", "wasmap-reference-stub")
		if err != nil {
			panic(err)
		}
		refStubPath = filepath.Join(d, "stub.wasm")
		if err := os.WriteFile(refStubPath, wasm, 0o644); err != nil {
			panic(err)
		}
	})
	return refStubPath
}

// refJob builds the case's Job (its definition, input and buckets) and returns it with the
// folder of result-bucket.
func refJob(t *testing.T, c refCase) (runner.Job, string) {
	t.Helper()
	data, results := t.TempDir(), t.TempDir()
	mtime := time.Unix(refMTime, 0)
	for key, content := range c.data {
		p := filepath.Join(data, filepath.FromSlash(key))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, mtime, mtime); err != nil {
			t.Fatal(err)
		}
	}
	fn := runner.Function{Path: refStubModule(t), Name: "stub"}
	if c.guest {
		fn = runner.Function{Path: guesttest.Build(t, testGuest), Name: "guest", Timeout: runner.Duration(2 * time.Second)}
	}
	input := c.input
	if input == "" {
		input = "{}"
	}
	j := runner.Job{
		Definition: json.RawMessage(c.def),
		Input:      json.RawMessage(input),
		Functions:  []runner.Function{fn},
		Buckets:    map[string]string{"data-bucket": data, "result-bucket": results},
		CacheDir:   cacheDir,
		Region:     refRegion,
		Account:    refAccount,
	}
	return j, results
}

// runRef runs a case and returns its mismatches with the reference (none: it conforms).
func runRef(t *testing.T, c refCase) []string {
	t.Helper()
	j, results := refJob(t, c)
	var buf bytes.Buffer
	rep, err := runner.Run(context.Background(), j, runner.Options{Output: &buf})
	var bad []string
	errorf := func(format string, a ...any) { bad = append(bad, fmt.Sprintf(format, a...)) }
	if c.invalid != "" {
		var ve *runner.ValidationError
		if !errors.As(err, &ve) || ve.Field != c.invalid {
			errorf("got error %v (report %+v); want a ValidationError on %s", err, rep, c.invalid)
		}
		return bad
	}
	if err != nil {
		return []string{fmt.Sprintf("Run: %v", err)}
	}
	r := &refResult{rep: rep, out: strings.TrimSpace(buf.String()), results: results}
	r.rerun = func() (*runner.Report, error) {
		j, _ := refJob(t, c)
		return runner.Run(context.Background(), j, runner.Options{})
	}
	r.norm = refNormalize(r.out)

	label := c.label
	if label == "" {
		label = "Map"
	}
	arnRE := regexp.MustCompile(`^arn:aws:states:` + refRegion + `:` + refAccount + `:mapRun:wasmap/` + regexp.QuoteMeta(label) + `:` + refUUID.String() + `$`)
	switch {
	case c.noMapRun && rep.MapRunArn != "":
		errorf("Map Run ARN %q: the state fails before its Map Run starts, so there is none", rep.MapRunArn)
	case !c.noMapRun && !arnRE.MatchString(rep.MapRunArn):
		errorf("Map Run ARN %q, want %s", rep.MapRunArn, arnRE)
	}

	if c.wantErr != "" {
		if rep.Status != runner.StatusFailed {
			errorf("status %s, output %s; want FAILED", rep.Status, r.out)
		}
		if rep.Caught && c.caught == "" {
			errorf("the failure was caught: %s", r.out)
		}
		if rep.Error != c.wantErr {
			errorf("Error %q, want %q", rep.Error, c.wantErr)
		}
		switch {
		case c.causeRE != "":
			if !regexp.MustCompile(c.causeRE).MatchString(rep.Cause) {
				errorf("Cause %q, want a match of %s", rep.Cause, c.causeRE)
			}
		case rep.Cause != c.wantCause:
			errorf("Cause %q\n\twant  %q", rep.Cause, c.wantCause)
		}
		// The state's failure carries the same Error and Cause as the Map Run's (§3.5).
		var o map[string]string
		switch {
		case c.caught != "":
			if r.out != c.caught || !rep.Caught {
				errorf("state output %s (caught %v)\n\twant (caught) %s", r.out, rep.Caught, c.caught)
			}
		case json.Unmarshal([]byte(r.out), &o) != nil || len(o) != 2 || o["Error"] != rep.Error || o["Cause"] != rep.Cause:
			errorf("state failure output %s, want {Error, Cause} as reported (%s, %q)", r.out, rep.Error, rep.Cause)
		}
	} else {
		if rep.Status != runner.StatusSucceeded {
			errorf("status %s %s %q; want SUCCEEDED", rep.Status, rep.Error, rep.Cause)
		}
		if (c.want != "" || c.check == nil) && !refSameJSON(r.norm, c.want, c.anyKeyOrder) {
			errorf("output %s\n\twant   %s", r.norm, c.want)
		}
	}
	if c.check != nil {
		if err := c.check(r); err != nil {
			errorf("%v", err)
		}
	}
	return bad
}

// refSameJSON compares two outputs: exactly, or as JSON values whose objects may differ in key order.
func refSameJSON(got, want string, anyKeyOrder bool) bool {
	if !anyKeyOrder {
		return got == want
	}
	var g, w any
	if json.Unmarshal([]byte(got), &g) != nil || json.Unmarshal([]byte(want), &w) != nil {
		return false
	}
	return reflect.DeepEqual(g, w)
}

// runRefTable runs a section's table: every case must conform.
func runRefTable(t *testing.T, cases []refCase) {
	seen := map[string]bool{}
	for _, c := range cases {
		if seen[c.name] {
			t.Fatalf("case %q is given twice", c.name)
		}
		seen[c.name] = true
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			for _, m := range runRef(t, c) {
				t.Error(m)
			}
		})
	}
}

// refCounts checks a run's itemCounts and executionCounts.
func refCounts(items, execs runner.Counts) func(r *refResult) error {
	return func(r *refResult) error {
		if r.rep.ItemCounts != items || r.rep.ExecutionCounts != execs {
			return fmt.Errorf("itemCounts %+v executionCounts %+v\n\twant itemCounts %+v executionCounts %+v", r.rep.ItemCounts, r.rep.ExecutionCounts, items, execs)
		}
		return nil
	}
}

// refAll combines checks.
func refAll(checks ...func(r *refResult) error) func(r *refResult) error {
	return func(r *refResult) error {
		var errs []error
		for _, c := range checks {
			if err := c(r); err != nil {
				errs = append(errs, err)
			}
		}
		return errors.Join(errs...)
	}
}
