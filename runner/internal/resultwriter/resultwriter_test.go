package resultwriter_test

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wasmap/wasmap/runner/internal/resultwriter"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// sampleRecords is a small map run: two successes (one with an array output), a failure, a
// timeout and an item left pending.
func sampleRecords() []resultwriter.Record {
	start := time.Date(2024, 5, 1, 12, 0, 0, 123_000_000, time.UTC)
	stop := start.Add(1500 * time.Millisecond)
	exec := "arn:aws:states:us-east-1:123456789012:execution:orders/Map:"
	sm := "arn:aws:states:us-east-1:123456789012:stateMachine:orders/Map"
	return []resultwriter.Record{
		{
			ExecutionArn: exec + "a1", Name: "a1", StateMachineArn: sm, Status: resultwriter.StatusSucceeded,
			Input:  `{"id":1,"note":"<b>fish & chips</b>","tags":["x"]}`,
			Output: `{"id":1,"total":9.5}`, RedriveCount: 0, RedriveStatus: "NOT_REDRIVABLE",
			RedriveStatusReason: "Execution is SUCCEEDED and cannot be redriven",
			StartDate:           resultwriter.FormatDate(start), StopDate: resultwriter.FormatDate(stop),
		},
		{
			ExecutionArn: exec + "b2", Name: "b2", StateMachineArn: sm, Status: resultwriter.StatusFailed,
			Input: `{"id":2}`, Output: `"dropped: failed records carry no output"`,
			Error: "States.TaskFailed", Cause: `{"errorMessage":"boom","errorType":"Error"}`,
			RedriveStatus: "REDRIVABLE", StartDate: resultwriter.FormatDate(start), StopDate: resultwriter.FormatDate(stop),
		},
		{
			ExecutionArn: exec + "c3", Name: "c3", StateMachineArn: sm, Status: resultwriter.StatusSucceeded,
			Input: `[3,"three"]`, Output: `[{"id":3},[4],"five"]`, RedriveStatus: "NOT_REDRIVABLE",
			RedriveStatusReason: "Execution is SUCCEEDED and cannot be redriven",
			StartDate:           resultwriter.FormatDate(start), StopDate: resultwriter.FormatDate(stop),
		},
		{
			ExecutionArn: exec + "d4", Name: "d4", StateMachineArn: sm, Status: resultwriter.StatusTimedOut,
			Input: `{"id":4}`, Error: "States.Timeout", RedriveStatus: "REDRIVABLE",
			StartDate: resultwriter.FormatDate(start), StopDate: resultwriter.FormatDate(stop),
		},
		{Status: resultwriter.StatusPending, Input: `{"id":5,"s":"line\nbreak"}`},
	}
}

func TestGolden(t *testing.T) {
	tests := []struct {
		name, outputType, transformation string
	}{
		{"none-json", "", ""},
		{"none-jsonl", "JSONL", "NONE"},
		{"compact-json", "JSON", "COMPACT"},
		{"flatten-json", "JSON", "FLATTEN"},
		{"flatten-jsonl", "JSONL", "FLATTEN"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			w, err := resultwriter.New(resultwriter.Config{
				Dir: dir, MapRunID: runID, MapRunArn: runArn,
				OutputType: tt.outputType, Transformation: tt.transformation,
			})
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range sampleRecords() {
				if err := w.Add(r); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := w.Close(); err != nil {
				t.Fatal(err)
			}
			got := tree(t, dir)
			// DestinationBucket is the temporary folder: make it stable.
			got[runID+"/manifest.json"] = strings.ReplaceAll(got[runID+"/manifest.json"], dir, "/DIR")

			golden := filepath.Join("testdata", tt.name)
			if *update {
				os.RemoveAll(golden)
				for name, content := range got {
					path := filepath.Join(golden, filepath.FromSlash(strings.TrimPrefix(name, runID+"/")))
					os.MkdirAll(filepath.Dir(path), 0o755)
					if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
						t.Fatal(err)
					}
				}
			}
			want := map[string]string{}
			for name, content := range tree(t, golden) {
				want[runID+"/"+name] = content
			}
			if !slices.Equal(names(got), names(want)) {
				t.Fatalf("files = %q, want %q", names(got), names(want))
			}
			for name := range want {
				if got[name] != want[name] {
					t.Errorf("%s:\n got %s\nwant %s", name, got[name], want[name])
				}
			}
		})
	}
}

// TestRecordFields checks the NONE records field by field: names, order, Input and Output as
// strings holding the original JSON, details, and what FAILED and PENDING records carry.
func TestRecordFields(t *testing.T) {
	sink := newMemSink()
	w, err := resultwriter.New(resultwriter.Config{Sink: sink, MapRunID: runID, MapRunArn: runArn})
	if err != nil {
		t.Fatal(err)
	}
	in := sampleRecords()
	for _, r := range in {
		if err := w.Add(r); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := w.Close(); err != nil {
		t.Fatal(err)
	}
	keysOf := func(raw json.RawMessage) []string {
		dec := json.NewDecoder(strings.NewReader(string(raw)))
		dec.Token()
		var keys []string
		for dec.More() {
			k, _ := dec.Token()
			keys = append(keys, k.(string))
			var skip json.RawMessage
			dec.Decode(&skip)
		}
		return keys
	}
	tests := []struct {
		file string
		keys [][]string
		src  []int // index in sampleRecords
	}{
		{runID + "/SUCCEEDED_0.json", [][]string{
			{"ExecutionArn", "Input", "InputDetails", "Name", "Output", "OutputDetails", "RedriveCount", "RedriveStatus", "RedriveStatusReason", "StartDate", "StateMachineArn", "Status", "StopDate"},
			{"ExecutionArn", "Input", "InputDetails", "Name", "Output", "OutputDetails", "RedriveCount", "RedriveStatus", "RedriveStatusReason", "StartDate", "StateMachineArn", "Status", "StopDate"},
		}, []int{0, 2}},
		{runID + "/FAILED_0.json", [][]string{
			{"Cause", "Error", "ExecutionArn", "Input", "InputDetails", "Name", "RedriveCount", "RedriveStatus", "StartDate", "StateMachineArn", "Status", "StopDate"},
			{"Error", "ExecutionArn", "Input", "InputDetails", "Name", "RedriveCount", "RedriveStatus", "StartDate", "StateMachineArn", "Status", "StopDate"},
		}, []int{1, 3}},
		{runID + "/PENDING_0.json", [][]string{
			{"Input", "InputDetails", "RedriveCount", "Status"},
		}, []int{4}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			var raws []json.RawMessage
			if err := json.Unmarshal(sink.committed[tt.file], &raws); err != nil {
				t.Fatal(err)
			}
			var recs []resultwriter.Record
			json.Unmarshal(sink.committed[tt.file], &recs)
			if len(raws) != len(tt.keys) {
				t.Fatalf("%d records, want %d", len(raws), len(tt.keys))
			}
			for i, raw := range raws {
				if got := keysOf(raw); !slices.Equal(got, tt.keys[i]) {
					t.Errorf("record %d keys = %q\nwant %q", i, got, tt.keys[i])
				}
				var fields map[string]any
				json.Unmarshal(raw, &fields)
				src := in[tt.src[i]]
				// Input is a string that decodes to the original JSON.
				s, ok := fields["Input"].(string)
				var orig, back any
				json.Unmarshal([]byte(src.Input), &orig)
				if !ok || json.Unmarshal([]byte(s), &back) != nil || !reflect.DeepEqual(orig, back) {
					t.Errorf("record %d Input = %#v, want a string holding %s", i, fields["Input"], src.Input)
				}
				if !reflect.DeepEqual(fields["InputDetails"], map[string]any{"Included": true}) {
					t.Errorf("record %d InputDetails = %v", i, fields["InputDetails"])
				}
				if strings.Contains(tt.file, "SUCCEEDED") {
					s, ok := fields["Output"].(string)
					json.Unmarshal([]byte(src.Output), &orig)
					if !ok || json.Unmarshal([]byte(s), &back) != nil || !reflect.DeepEqual(orig, back) {
						t.Errorf("record %d Output = %#v, want a string holding %s", i, fields["Output"], src.Output)
					}
					if !reflect.DeepEqual(fields["OutputDetails"], map[string]any{"Included": true}) {
						t.Errorf("record %d OutputDetails = %v", i, fields["OutputDetails"])
					}
				}
				if recs[i].Status != src.Status || recs[i].Error != src.Error || recs[i].Cause != src.Cause {
					t.Errorf("record %d = %+v, from %+v", i, recs[i], src)
				}
			}
		})
	}
}

func TestSplit(t *testing.T) {
	for _, outputType := range []string{"JSON", "JSONL"} {
		for _, limit := range []int64{1, 150, 400, 1000, 1 << 20} {
			t.Run(fmt.Sprintf("%s/limit=%d", outputType, limit), func(t *testing.T) {
				dir := t.TempDir()
				w, err := resultwriter.New(resultwriter.Config{
					Dir: dir, MapRunID: runID, MapRunArn: runArn, MaxFileBytes: limit,
					OutputType: outputType, Transformation: "COMPACT",
				})
				if err != nil {
					t.Fatal(err)
				}
				var want []string
				for i := range 40 {
					out := `{"i":` + strings.Repeat("1", 1+i%7*13) + `}`
					want = append(want, out)
					if err := w.Add(resultwriter.Record{Status: "SUCCEEDED", Output: out}); err != nil {
						t.Fatal(err)
					}
				}
				m, err := w.Close()
				if err != nil {
					t.Fatal(err)
				}
				if len(m.ResultFiles.Failed) != 0 || len(m.ResultFiles.Pending) != 0 {
					t.Errorf("manifest lists FAILED or PENDING files: %+v", m.ResultFiles)
				}
				var got []string
				var prevSize int64 // of the previous file, which the first record of this one did not fit
				for n, rf := range m.ResultFiles.Succeeded {
					if wantKey := runID + "/SUCCEEDED_" + strconv.Itoa(n) + ".json"; rf.Key != wantKey {
						t.Errorf("file %d key %q, want %q", n, rf.Key, wantKey)
					}
					b, err := os.ReadFile(m.DestinationBucket + "/" + rf.Key)
					if err != nil {
						t.Fatal(err)
					}
					if int64(len(b)) != rf.Size {
						t.Errorf("%s: manifest Size %d, file has %d bytes", rf.Key, rf.Size, len(b))
					}
					var elems []string
					if outputType == "JSON" {
						var raws []json.RawMessage
						if err := json.Unmarshal(b, &raws); err != nil {
							t.Fatalf("%s is not a JSON array: %v", rf.Key, err)
						}
						for _, r := range raws {
							elems = append(elems, string(r))
						}
					} else {
						if !strings.HasSuffix(string(b), "\n") {
							t.Errorf("%s does not end with a newline", rf.Key)
						}
						elems = strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
					}
					if rf.Size > limit && len(elems) > 1 {
						t.Errorf("%s: %d bytes > limit %d with %d records", rf.Key, rf.Size, limit, len(elems))
					}
					if len(elems) == 0 {
						t.Fatalf("%s is empty", rf.Key)
					}
					if n > 0 && prevSize+int64(len(elems[0]))+1 <= limit {
						t.Errorf("%s was started although its first record fitted in the previous file", rf.Key)
					}
					prevSize = rf.Size
					got = append(got, elems...)
				}
				if !slices.Equal(got, want) {
					t.Errorf("records across files = %q\nwant %q", got, want)
				}
				t.Logf("limit %d: %d files", limit, len(m.ResultFiles.Succeeded))
			})
		}
	}
}

func TestManifest(t *testing.T) {
	t.Run("empty run", func(t *testing.T) {
		dir := t.TempDir()
		w, err := resultwriter.New(resultwriter.Config{Dir: dir, MapRunID: runID, MapRunArn: runArn})
		if err != nil {
			t.Fatal(err)
		}
		m, err := w.Close()
		if err != nil {
			t.Fatal(err)
		}
		abs, _ := filepath.Abs(dir)
		files := tree(t, dir)
		absJSON, _ := json.Marshal(abs)
		want := `{"DestinationBucket":` + string(absJSON) + `,"MapRunArn":"` + runArn + `"` +
			`,"ResultFiles":{"FAILED":[],"PENDING":[],"SUCCEEDED":[]}}`
		if got := files[runID+"/manifest.json"]; got != want || len(files) != 1 {
			t.Errorf("files %q, manifest.json = %s\nwant %s", names(files), got, want)
		}
		if m.DestinationBucket != abs || m.ResultFiles.Failed == nil || m.ResultFiles.Pending == nil || m.ResultFiles.Succeeded == nil {
			t.Errorf("manifest = %+v", m)
		}
	})
	t.Run("keys and sizes match the files", func(t *testing.T) {
		dir := t.TempDir()
		w, err := resultwriter.New(resultwriter.Config{Dir: dir, MapRunID: runID, MapRunArn: runArn, MaxFileBytes: 600})
		if err != nil {
			t.Fatal(err)
		}
		for range 3 {
			for _, r := range sampleRecords() {
				if err := w.Add(r); err != nil {
					t.Fatal(err)
				}
			}
		}
		m, err := w.Close()
		if err != nil {
			t.Fatal(err)
		}
		var onDisk resultwriter.Manifest
		if err := json.Unmarshal([]byte(tree(t, dir)[runID+"/manifest.json"]), &onDisk); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(onDisk, m) {
			t.Errorf("manifest.json = %+v\nClose returned %+v", onDisk, m)
		}
		listed := map[string]bool{runID + "/manifest.json": true}
		for status, list := range map[string][]resultwriter.ResultFile{
			"FAILED": m.ResultFiles.Failed, "PENDING": m.ResultFiles.Pending, "SUCCEEDED": m.ResultFiles.Succeeded,
		} {
			if len(list) == 0 {
				t.Errorf("no %s files", status)
			}
			for n, rf := range list {
				if rf.Key != runID+"/"+status+"_"+strconv.Itoa(n)+".json" {
					t.Errorf("key %q", rf.Key)
				}
				fi, err := os.Stat(m.DestinationBucket + "/" + rf.Key)
				if err != nil || fi.Size() != rf.Size {
					t.Errorf("%s: Size %d, stat %v %v", rf.Key, rf.Size, fi, err)
				}
				listed[rf.Key] = true
			}
		}
		for name := range tree(t, dir) {
			if !listed[name] {
				t.Errorf("file %s is not in the manifest", name)
			}
		}
	})
	t.Run("prefix", func(t *testing.T) {
		for _, prefix := range []string{"mapJobs", "mapJobs/"} {
			sink := newMemSink()
			w, err := resultwriter.New(resultwriter.Config{Sink: sink, Prefix: prefix, MapRunID: runID, MapRunArn: runArn})
			if err != nil {
				t.Fatal(err)
			}
			w.Add(resultwriter.Record{Status: "SUCCEEDED", Output: "1"})
			m, err := w.Close()
			if err != nil {
				t.Fatal(err)
			}
			want := resultwriter.ResultWriterDetails{Bucket: "result-bucket", Key: "mapJobs/" + runID + "/manifest.json"}
			if got := w.Details(); got != want {
				t.Errorf("Prefix %q: Details = %+v, want %+v", prefix, got, want)
			}
			if m.ResultFiles.Succeeded[0].Key != "mapJobs/"+runID+"/SUCCEEDED_0.json" || sink.committed[want.Key] == nil {
				t.Errorf("Prefix %q: manifest %+v, objects %v", prefix, m, sink.committed)
			}
		}
	})
}

// TestAtomicity checks that no file appears under its final name before Close, and that Abort
// leaves none.
func TestAtomicity(t *testing.T) {
	for _, end := range []string{"close", "abort"} {
		t.Run(end, func(t *testing.T) {
			dir := t.TempDir()
			w, err := resultwriter.New(resultwriter.Config{Dir: dir, MapRunID: runID, MapRunArn: runArn, MaxFileBytes: 300})
			if err != nil {
				t.Fatal(err)
			}
			for range 4 {
				for _, r := range sampleRecords() {
					if err := w.Add(r); err != nil {
						t.Fatal(err)
					}
				}
			}
			before := tree(t, dir)
			if len(before) < 4 {
				t.Fatalf("only %d temporary files before Close: %q", len(before), names(before))
			}
			for name := range before {
				if !strings.HasPrefix(filepath.Base(name), ".") || !strings.Contains(name, ".tmp-") {
					t.Errorf("file %s exists under a final name before Close", name)
				}
			}
			if end == "abort" {
				if err := w.Abort(); err != nil {
					t.Fatal(err)
				}
				if after := tree(t, dir); len(after) != 0 {
					t.Errorf("files left after Abort: %q", names(after))
				}
				if _, err := w.Close(); !errors.Is(err, resultwriter.ErrAborted) {
					t.Errorf("Close after Abort = %v", err)
				}
				return
			}
			if _, err := w.Close(); err != nil {
				t.Fatal(err)
			}
			after := tree(t, dir)
			if hasTemp(after) {
				t.Errorf("temporary files left after Close: %q", names(after))
			}
			if err := w.Abort(); err != nil || len(tree(t, dir)) != len(after) {
				t.Errorf("Abort after Close = %v and changed the files", err)
			}
			if err := w.Add(sampleRecords()[0]); !errors.Is(err, resultwriter.ErrClosed) {
				t.Errorf("Add after Close = %v", err)
			}
		})
	}
}

// TestFailures checks that a failure of the sink at any step fails the Writer with
// States.ResultWriterFailed and discards everything, committed files included.
func TestFailures(t *testing.T) {
	tests := []struct {
		op, key string // the operation that fails, on keys containing key
		inAdd   bool   // the failure shows in Add rather than Close
	}{
		{"create", "SUCCEEDED_0", true},
		{"write", "FAILED_0", true},
		{"create", "SUCCEEDED_1", true}, // when rolling over
		{"seal", "SUCCEEDED_0", true},   // when rolling over
		{"seal", "PENDING_0", false},
		{"commit", "FAILED_0", false},
		{"commit", "SUCCEEDED_1", false}, // after FAILED_0 and SUCCEEDED_0 are committed
		{"create", "manifest.json", false},
		{"commit", "manifest.json", false},
	}
	for _, tt := range tests {
		t.Run(tt.op+" "+tt.key, func(t *testing.T) {
			sink := newMemSink()
			sink.failOn = func(op, key string) bool { return op == tt.op && strings.Contains(key, tt.key) }
			w, err := resultwriter.New(resultwriter.Config{Sink: sink, MapRunID: runID, MapRunArn: runArn, MaxFileBytes: 700})
			if err != nil {
				t.Fatal(err)
			}
			var addErr error
			for range 2 {
				for _, r := range sampleRecords() {
					if addErr = w.Add(r); addErr != nil {
						break
					}
				}
				if addErr != nil {
					break
				}
			}
			if (addErr != nil) != tt.inAdd {
				t.Fatalf("Add error = %v, want one: %v", addErr, tt.inAdd)
			}
			if addErr != nil {
				writerCause(t, addErr)
				if again := w.Add(sampleRecords()[0]); again != addErr {
					t.Errorf("Add after a failure = %v, want %v", again, addErr)
				}
			}
			_, err = w.Close()
			cause := writerCause(t, err)
			if !strings.Contains(cause, tt.key) || !strings.Contains(cause, "injected "+tt.op+" failure") {
				t.Errorf("cause %q does not name the key and the failure", cause)
			}
			if len(sink.committed) != 0 || sink.live != 0 {
				t.Errorf("after the failure: committed %q, %d objects not discarded", mapKeys(sink.committed), sink.live)
			}
		})
	}
}

func TestDirFailureLeavesNothing(t *testing.T) {
	// The manifest cannot be created: its name is taken by a folder.
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, runID, "manifest.json", "x"), 0o755); err != nil {
		t.Fatal(err)
	}
	w, err := resultwriter.New(resultwriter.Config{Dir: dir, MapRunID: runID, MapRunArn: runArn, MaxFileBytes: 300})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range sampleRecords() {
		if err := w.Add(r); err != nil {
			t.Fatal(err)
		}
	}
	_, err = w.Close()
	writerCause(t, err)
	if files := tree(t, dir); len(files) != 0 {
		t.Errorf("files left after a failed Close: %q", names(files))
	}
}

func TestConfigErrors(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		cfg   resultwriter.Config
		cause string
	}{
		{resultwriter.Config{Dir: dir}, `invalid MapRunID "": want one path segment, normally a UUID`},
		{resultwriter.Config{Dir: dir, MapRunID: "a/b"}, `invalid MapRunID "a/b": want one path segment, normally a UUID`},
		{resultwriter.Config{Dir: dir, MapRunID: ".."}, `invalid MapRunID "..": want one path segment, normally a UUID`},
		{resultwriter.Config{Dir: dir, MapRunID: runID, OutputType: "CSV"}, `invalid OutputType "CSV": want JSON or JSONL`},
		{resultwriter.Config{Dir: dir, MapRunID: runID, Transformation: "flatten"}, `invalid Transformation "flatten": want NONE, COMPACT or FLATTEN`},
		{resultwriter.Config{Dir: dir, MapRunID: runID, MaxFileBytes: -1}, `invalid MaxFileBytes -1`},
		{resultwriter.Config{MapRunID: runID}, `no destination: set Dir or Sink`},
	}
	for _, tt := range tests {
		_, err := resultwriter.New(tt.cfg)
		if got := writerCause(t, err); got != tt.cause {
			t.Errorf("New(%+v): cause %q, want %q", tt.cfg, got, tt.cause)
		}
	}
}

func TestAddErrors(t *testing.T) {
	tests := []struct {
		transformation string
		rec            resultwriter.Record
		cause          string
	}{
		{"NONE", resultwriter.Record{Status: "RUNNING"}, `record has an unknown Status "RUNNING"`},
		{"NONE", resultwriter.Record{}, `record has an unknown Status ""`},
		{"COMPACT", resultwriter.Record{Status: "SUCCEEDED", Output: "{oops"}, "record Output is not JSON: invalid character 'o' looking for beginning of object key string"},
		{"FLATTEN", resultwriter.Record{Status: "SUCCEEDED", Output: "[1,"}, "record Output is not JSON: unexpected end of JSON input"},
	}
	for _, tt := range tests {
		sink := newMemSink()
		w, err := resultwriter.New(resultwriter.Config{Sink: sink, MapRunID: runID, Transformation: tt.transformation})
		if err != nil {
			t.Fatal(err)
		}
		if got := writerCause(t, w.Add(tt.rec)); got != tt.cause {
			t.Errorf("Add(%+v): cause %q, want %q", tt.rec, got, tt.cause)
		}
		// A rejected record writes nothing and does not fail the Writer.
		if err := w.Add(resultwriter.Record{Status: "SUCCEEDED", Output: "1"}); err != nil {
			t.Errorf("Add after a rejected record = %v", err)
		}
		if _, err := w.Close(); err != nil {
			t.Errorf("Close = %v", err)
		}
	}
}
