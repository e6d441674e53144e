package runner_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wasmap/wasmap/runner"
)

// §8: Map Runs: ARNs, labels, counters.
func TestReference8MapRuns(t *testing.T) {
	two := runner.Counts{Succeeded: 2, Total: 2, ResultsWritten: 2}
	labelled := func(label string) string {
		b, _ := json.Marshal(label)
		return refPass(`"ItemsPath":"$.items","Label":` + string(b) + `,`)
	}
	cases := []refCase{
		{name: "§8 REC:distributed_label: the Map Run ARN is …:mapRun:<stateMachine>/<Label>:<uuid>",
			def: labelled("TestMap"), input: `{"items":[1]}`, label: "TestMap", want: `[1]`,
			check: func(r *refResult) error {
				if !strings.HasSuffix(r.rep.MapRunArn, ":"+r.rep.MapRunID) {
					return fmt.Errorf("Map Run ARN %s does not end with its id %s", r.rep.MapRunArn, r.rep.MapRunID)
				}
				return nil
			}},
		{name: "§8 ◌ RW: a Map state named Map without a Label runs as …:mapRun:<stateMachine>/Map:<uuid>",
			def: refPass(`"ItemsPath":"$.items",`), input: `{"items":[1]}`, want: `[1]`},
		{name: "§8 REC:map_run_describe_and_list: children run as …:stateMachine:<stateMachine>/<Label>, named …:execution:<stateMachine>/<Label>:<uuid>",
			def:   refPass(`"ItemsPath":"$.items","Label":"TestMap","ResultWriter":{"WriterConfig":{"OutputType":"JSON","Transformation":"NONE"}},`),
			input: `{"items":[1,{"a":2}]}`, label: "TestMap",
			check: refNoneOutput("TestMap", refSucceededRec(`1`, `1`), refSucceededRec(`{"a":2}`, `{"a":2}`))},
		{name: "§8 REC:map_run_describe_and_list: counters (resultsWritten without a ResultWriter), tolerance defaults 0 and 0.0, maxConcurrency as configured",
			def: refPass(`"ItemsPath":"$.items","MaxConcurrency":1,`), input: `{"items":["a","b"]}`, want: `["a","b"]`,
			check: refAll(refCounts(two, two), func(r *refResult) error {
				if r.rep.ToleratedFailureCount != 0 || r.rep.ToleratedFailurePercentage != 0 || r.rep.MaxConcurrency != 1 || r.rep.Status != "SUCCEEDED" {
					return fmt.Errorf("report %+v", r.rep)
				}
				return nil
			})},
		{name: "§8 REC:distributed_reentrant_three_map_runs: each entry into the Map state is a new Map Run",
			def: labelled("TestMap"), input: `{"items":[1]}`, label: "TestMap", want: `[1]`,
			check: func(r *refResult) error {
				seen := map[string]bool{r.rep.MapRunArn: true}
				for range 2 {
					rep, err := r.rerun()
					if err != nil {
						return err
					}
					if seen[rep.MapRunArn] || !strings.HasSuffix(rep.MapRunArn, ":"+rep.MapRunID) {
						return fmt.Errorf("Map Run ARN %s again", rep.MapRunArn)
					}
					seen[rep.MapRunArn] = true
				}
				return nil
			}},
		{name: "§8 ✔ QUOTA: a Label of 40 characters",
			def: labelled(strings.Repeat("L", 40)), input: `{"items":[1]}`, label: strings.Repeat("L", 40), want: `[1]`},
		{name: "§8 ✔ QUOTA: a Label may hold non-ASCII characters",
			def: labelled("Étiquette-ラベル_1"), input: `{"items":[1]}`, label: "Étiquette-ラベル_1", want: `[1]`},
		{name: "§8 LS: a Label of 41 characters is refused",
			def: labelled(strings.Repeat("L", 41)), input: `{"items":[1]}`, invalid: "Label"},
		{name: "§8 SCHEMA: an empty Label is refused (minLength 1)",
			def: labelled(""), input: `{"items":[1]}`, invalid: "Definition.Label"},
	}
	for _, c := range " \t\n<>{}[]?*\"#%\\^|~$&,;:/`\x00\x1f\x7f\u0085\u009f" {
		cases = append(cases, refCase{name: fmt.Sprintf("§8 LS/✔ QUOTA: a Label holding %U is refused", c),
			def: labelled("a" + string(c) + "b"), input: `{"items":[1]}`, invalid: "Label"})
	}
	runRefTable(t, cases)
}

// refExported checks the files a ResultWriter exported under prefix: check gets the Map Run's
// folder and its id.
func refExported(prefix string, check func(dir, id string) error) func(r *refResult) error {
	return func(r *refResult) error {
		dir := filepath.Join(r.results, filepath.FromSlash(prefix), r.rep.MapRunID)
		if r.rep.MapRunID == "" {
			return fmt.Errorf("no Map Run id")
		}
		return check(dir, r.rep.MapRunID)
	}
}

// refResultFile checks the records of one result file (a JSON array).
func refResultFile(prefix, name, label string, want ...any) func(r *refResult) error {
	return refExported(prefix, func(dir, id string) error {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			return err
		}
		var elems []json.RawMessage
		if err := json.Unmarshal(b, &elems); err != nil {
			return fmt.Errorf("%s: %v: %s", name, err, b)
		}
		if err := refCheckRecords(label, elems, want); err != nil {
			return fmt.Errorf("%s: %v", name, err)
		}
		return nil
	})
}

// refFileContent checks a result file's exact content.
func refFileContent(prefix, name, want string) func(r *refResult) error {
	return refExported(prefix, func(dir, id string) error {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			return err
		}
		if string(b) != want {
			return fmt.Errorf("%s is %q, want %q", name, b, want)
		}
		return nil
	})
}

// refNoFiles checks that nothing was written to either bucket but the data.
func refNoFiles(r *refResult) error {
	var found []string
	filepath.WalkDir(r.results, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			found = append(found, p)
		}
		return nil
	})
	if len(found) > 0 {
		return fmt.Errorf("files were exported: %v", found)
	}
	return nil
}

// refManifestKey checks that the state output's Key is "<keyPrefix><Map Run id>/manifest.json",
// that the id is the Map Run ARN's, and that the manifest is there.
func refManifestKey(keyPrefix, folder string) func(r *refResult) error {
	return func(r *refResult) error {
		var o struct {
			MapRunArn           string
			ResultWriterDetails struct{ Bucket, Key string }
		}
		if err := json.Unmarshal([]byte(r.out), &o); err != nil {
			return err
		}
		id := r.rep.MapRunID
		if o.MapRunArn != r.rep.MapRunArn || !strings.HasSuffix(o.MapRunArn, ":"+id) {
			return fmt.Errorf("MapRunArn %s, Map Run %s", o.MapRunArn, r.rep.MapRunArn)
		}
		if want := keyPrefix + id + "/manifest.json"; o.ResultWriterDetails.Key != want {
			return fmt.Errorf("Key %s, want %s", o.ResultWriterDetails.Key, want)
		}
		if _, err := os.Stat(filepath.Join(r.results, filepath.FromSlash(folder), id, "manifest.json")); err != nil {
			return err
		}
		return nil
	}
}

// §9: ResultWriter.
func TestReference9ResultWriter(t *testing.T) {
	writerConfig := func(outputType, transformation string) string {
		wc := `{"OutputType":"` + outputType + `"`
		if transformation != "" {
			wc += `,"Transformation":"` + transformation + `"`
		}
		return wc + `}`
	}
	formatOnly := func(transformation string) string {
		return `"ResultWriter":{"WriterConfig":` + writerConfig("JSON", transformation) + `},`
	}
	arrays := `{"items":[[1,2],3,[],[[4]],{"a":[5]}]}`
	out := func(prefix string) string {
		return `{"MapRunArn":"arn:aws:states:us-east-1:000000000000:mapRun:wasmap/TestMap:<uuid>","ResultWriterDetails":{"Bucket":"result-bucket","Key":"` + prefix + `<uuid>/manifest.json"}}`
	}
	mixed := `{"items":[{"op":"echo","value":[1,2]},{"op":"error","message":"bad"},{"op":"echo","value":3}]}`
	badRec := refFailedRec(`{"op":"error","message":"bad"}`, "InvalidOrderError", `{"errorMessage":"bad","errorType":"InvalidOrderError"}`)
	tolerant := `"ItemsPath":"$.items","MaxConcurrency":1,"ToleratedFailureCount":1,`
	runRefTable(t, []refCase{
		{name: "§9 ✔ RW: COMPACT, the default without a ResultWriter, gives the child outputs alone",
			def: refPass(`"ItemsPath":"$.items",`), input: arrays, want: `[[1,2],3,[],[[4]],{"a":[5]}]`},
		{name: "§9 ✔ RW (a): WriterConfig alone formats the state output (COMPACT) and exports nothing",
			def: refPass(`"ItemsPath":"$.items",` + formatOnly("COMPACT")), input: arrays, want: `[[1,2],3,[],[[4]],{"a":[5]}]`, check: refNoFiles},
		{name: "§9 ✔ RW (a): FLATTEN spreads each array output into the result, one level",
			def: refPass(`"ItemsPath":"$.items",` + formatOnly("FLATTEN")), input: arrays, want: `[1,2,3,[4],{"a":[5]}]`, check: refNoFiles},
		{name: "§9 ✔ RW (a): NONE gives each child's record, its Input and Output as JSON strings",
			def: refPass(`"ItemsPath":"$.items",` + formatOnly("NONE")), input: `{"items":[{"a":1},"s",[2]]}`,
			check: refAll(refNoFiles, refNoneOutput("Map", refSucceededRec(`{"a":1}`, `{"a":1}`), refSucceededRec(`"s"`, `"s"`), refSucceededRec(`[2]`, `[2]`)))},
		{name: "§9 REC:result_writer_basic (b): Resource and Parameters export; the state output is {MapRunArn, ResultWriterDetails}, a / inserted after the Prefix",
			def: refPass(`"ItemsPath":"$.items","Label":"TestMap",` + refExport("mapJobs", "")), input: `{"items":[1,2]}`, label: "TestMap",
			want: out("mapJobs/"), check: refManifestKey("mapJobs/", "mapJobs")},
		{name: "§9 ✔ RW: a Prefix that ends in / gets no second /",
			def: refPass(`"ItemsPath":"$.items","Label":"TestMap",` + refExport("mapJobs/", "")), input: `{"items":[1]}`, label: "TestMap",
			want: out("mapJobs/"), check: refManifestKey("mapJobs/", "mapJobs")},
		{name: "§9 ◌ RW: a Prefix of several segments",
			def: refPass(`"ItemsPath":"$.items","Label":"TestMap",` + refExport("runs/2024", "")), input: `{"items":[1]}`, label: "TestMap",
			want: out("runs/2024/"), check: refManifestKey("runs/2024/", "runs/2024")},
		{name: "§9 ◌ RW: without a Prefix the key is <uuid>/manifest.json",
			def: refPass(`"ItemsPath":"$.items","Label":"TestMap",` + refExport("", "")), input: `{"items":[1]}`, label: "TestMap",
			want: out(""), check: refManifestKey("", "")},
		{name: "§9 ✔ RW (b): NONE is the default when exporting: SUCCEEDED_0.json holds NONE records",
			def: refPass(`"ItemsPath":"$.items",` + refExport("out", "")), input: `{"items":[{"a":1},"s"]}`,
			want:  `{"MapRunArn":"arn:aws:states:us-east-1:000000000000:mapRun:wasmap/Map:<uuid>","ResultWriterDetails":{"Bucket":"result-bucket","Key":"out/<uuid>/manifest.json"}}`,
			check: refResultFile("out", "SUCCEEDED_0.json", "Map", refSucceededRec(`{"a":1}`, `{"a":1}`), refSucceededRec(`"s"`, `"s"`))},
		{name: "§9 ✔ RW (c): all three export in the WriterConfig's format (JSON, FLATTEN)",
			def: refPass(`"ItemsPath":"$.items",` + refExport("out", writerConfig("JSON", "FLATTEN"))), input: arrays,
			want:  `{"MapRunArn":"arn:aws:states:us-east-1:000000000000:mapRun:wasmap/Map:<uuid>","ResultWriterDetails":{"Bucket":"result-bucket","Key":"out/<uuid>/manifest.json"}}`,
			check: refFileContent("out", "SUCCEEDED_0.json", `[1,2,3,[4],{"a":[5]}]`)},
		{name: "§9 ◌ RW (c): JSONL has one result a line, and the file names keep .json",
			def: refPass(`"ItemsPath":"$.items",` + refExport("out", writerConfig("JSONL", "COMPACT"))), input: arrays,
			want:  `{"MapRunArn":"arn:aws:states:us-east-1:000000000000:mapRun:wasmap/Map:<uuid>","ResultWriterDetails":{"Bucket":"result-bucket","Key":"out/<uuid>/manifest.json"}}`,
			check: refFileContent("out", "SUCCEEDED_0.json", "[1,2]\n3\n[]\n[[4]]\n{\"a\":[5]}\n")},
		{name: "§9 ◌ RW (c): JSONL with NONE has one record a line",
			def: refPass(`"ItemsPath":"$.items",` + refExport("out", writerConfig("JSONL", "NONE"))), input: `{"items":[1,"two"]}`,
			want: `{"MapRunArn":"arn:aws:states:us-east-1:000000000000:mapRun:wasmap/Map:<uuid>","ResultWriterDetails":{"Bucket":"result-bucket","Key":"out/<uuid>/manifest.json"}}`,
			check: refExported("out", func(dir, id string) error {
				b, err := os.ReadFile(filepath.Join(dir, "SUCCEEDED_0.json"))
				if err != nil {
					return err
				}
				lines := bytes.Split(bytes.TrimSuffix(b, []byte("\n")), []byte("\n"))
				elems := make([]json.RawMessage, len(lines))
				for i, l := range lines {
					elems[i] = l
				}
				return refCheckRecords("Map", elems, []any{refSucceededRec(`1`, `1`), refSucceededRec(`"two"`, `"two"`)})
			})},
		{name: "§9 ✔ RW: with COMPACT a failed child is still NONE-shaped in the state output",
			def: refTask(tolerant + formatOnly("COMPACT")), guest: true, input: mixed,
			check: refNoneOutput("Map", `[1,2]`, badRec, `3`)},
		{name: "§9 ✔ RW: with FLATTEN a failed child is still NONE-shaped in the state output",
			def: refTask(tolerant + formatOnly("FLATTEN")), guest: true, input: mixed,
			check: refNoneOutput("Map", `1`, `2`, badRec, `3`)},
		{name: "§9 ✔ RW/◌: exported with COMPACT, FAILED_0.json holds the failed child as a NONE record with Error and Cause",
			def: refTask(tolerant + refExport("out", writerConfig("JSON", "COMPACT"))), guest: true, input: mixed,
			want: `{"MapRunArn":"arn:aws:states:us-east-1:000000000000:mapRun:wasmap/Map:<uuid>","ResultWriterDetails":{"Bucket":"result-bucket","Key":"out/<uuid>/manifest.json"}}`,
			check: refAll(refFileContent("out", "SUCCEEDED_0.json", `[[1,2],3]`), refResultFile("out", "FAILED_0.json", "Map", badRec),
				refCounts(runner.Counts{Succeeded: 2, Failed: 1, Total: 3, ResultsWritten: 3}, runner.Counts{Succeeded: 2, Failed: 1, Total: 3, ResultsWritten: 3}))},
		{name: "§9 ◌ RW: when the Map Run fails, PENDING_0.json holds the items that never started",
			def: refFail(`"ItemsPath":"$.items","MaxConcurrency":1,` + refExport("out", "")), input: `{"items":[1,2,3]}`,
			wantErr: "States.ExceedToleratedFailureThreshold", causeRE: `.`,
			check: refAll(refResultFile("out", "FAILED_0.json", "Map", refFailedRec(`1`, "Child.Failed", "on purpose")),
				refResultFile("out", "PENDING_0.json", "Map", refRec{status: "PENDING", input: `2`}, refRec{status: "PENDING", input: `3`}),
				refExported("out", func(dir, id string) error {
					if _, err := os.Stat(filepath.Join(dir, "SUCCEEDED_0.json")); !os.IsNotExist(err) {
						return fmt.Errorf("SUCCEEDED_0.json exists (%v) though no child succeeded", err)
					}
					return nil
				}))},
		{name: "§9 ✔ RW: an empty ResultWriter is invalid",
			def: refPass(`"ItemsPath":"$.items","ResultWriter":{},`), input: `{"items":[1]}`, invalid: "Definition.ResultWriter"},
	})
}
