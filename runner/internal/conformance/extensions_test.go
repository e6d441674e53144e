package conformance_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wasmap/wasmap/runner"
	"github.com/wasmap/wasmap/runner/internal/guesttest"
)

// extModuleDirs are the extension conformance modules, one per SDK (doc.go has the protocol).
var extModuleDirs = map[string]string{
	guesttest.LangGo:             "runner/internal/conformance/testdata/go-ext",
	guesttest.LangRust:           "sdk/rust/conformance-ext",
	guesttest.LangC:              "sdk/c/conformance-ext",
	guesttest.LangAssemblyScript: "sdk/assemblyscript/conformance-ext",
	guesttest.LangZig:            "sdk/zig/conformance-ext",
}

// extName is the extension's name in the runs: its instances register with it (external).
const extName = "confext"

// extModule builds lang's extension conformance module once per process.
func extModule(t *testing.T, lang string) string {
	t.Helper()
	start := time.Now()
	p := guesttest.BuildLang(t, lang, extModuleDirs[lang])
	if d := time.Since(start); d > 100*time.Millisecond {
		t.Logf("built the %s extension module in %v", lang, d.Round(time.Millisecond))
	}
	return p
}

// extRun is one language's map run of an extension behaviour: the function module and the
// extension module of the same SDK.
type extRun struct {
	t          *testing.T
	rep        *runner.Report
	begin, end time.Time // around runner.Run
	folder     string    // <results>/<map-run-id>: logs/, extensions/confext/, the result files
	streams    []logStream
	records    []resultRecord // in item order
}

// logStream is one environment's log stream.
type logStream struct {
	name  string // YYYY/MM/DD/[$LATEST]<32 hex>
	lines []string
}

// resultRecord is a child execution's record in the result files.
type resultRecord struct {
	Input  string `json:"Input"`
	Output string `json:"Output"`
	Error  string `json:"Error"`
	Cause  string `json:"Cause"`
	Status string `json:"Status"`
}

// runExtension runs items through lang's conformance function with lang's extension module
// beside it (CONFEXT_MODE=mode), one environment at a time, as
// `wasmap run -f conformance.wasm --extension confext.wasm --results DIR` does.
func runExtension(t *testing.T, lang, mode string, items []string) *extRun {
	t.Helper()
	fn := guesttest.BuildLang(t, lang, moduleDirs[lang])
	ext := extModule(t, lang)
	dir := t.TempDir()
	all := 100.0
	r := &extRun{t: t, begin: time.Now()}
	rep, err := runner.Run(context.Background(), runner.Job{
		ItemReader: runner.ItemReader{Items: json.RawMessage("[" + strings.Join(items, ",") + "]")},
		Functions: []runner.Function{{Path: fn, Name: functionName, MemoryMB: memoryMB, Timeout: runner.Duration(timeout),
			Environment: map[string]string{"CONFEXT_MODE": mode}}},
		Extensions:                 []runner.Extension{{Path: ext, Name: extName}},
		MaxConcurrency:             1,
		ToleratedFailurePercentage: &all,
		ResultWriter:               &runner.ResultWriter{Dir: dir},
		CacheDir:                   cacheDir,
	}, runner.Options{Output: &bytes.Buffer{}})
	r.end = time.Now()
	if err != nil {
		t.Fatal(err)
	}
	if rep.Status != runner.StatusSucceeded {
		t.Fatalf("the map run %s: %s %s", rep.Status, rep.Error, rep.Cause)
	}
	r.rep, r.folder = rep, filepath.Join(dir, rep.MapRunID)
	logs := filepath.Join(r.folder, "logs")
	filepath.WalkDir(logs, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".log") {
			b, _ := os.ReadFile(p)
			rel, _ := filepath.Rel(logs, p)
			r.streams = append(r.streams, logStream{strings.TrimSuffix(filepath.ToSlash(rel), ".log"),
				strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")})
		}
		return nil
	})
	for _, name := range []string{"SUCCEEDED_0.json", "FAILED_0.json"} {
		b, err := os.ReadFile(filepath.Join(r.folder, name))
		if os.IsNotExist(err) {
			continue
		}
		var recs []resultRecord
		if err := json.Unmarshal(b, &recs); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		r.records = append(r.records, recs...)
	}
	slices.SortFunc(r.records, func(a, b resultRecord) int {
		return slices.Index(items, a.Input) - slices.Index(items, b.Input)
	})
	if len(r.records) != len(items) {
		t.Fatalf("%d result records for %d items", len(r.records), len(items))
	}
	return r
}

// extLines are a stream's lines that the extension determines: its own ("confext: …") and the
// platform's EXTENSION, TELEMETRY and INIT_REPORT lines (durations replaced by <ms>).
func (s logStream) extLines() []string {
	var out []string
	for _, l := range s.lines {
		switch {
		case strings.HasPrefix(l, extName+": "), strings.HasPrefix(l, "EXTENSION\t"), strings.HasPrefix(l, "TELEMETRY\t"):
			out = append(out, l)
		case strings.HasPrefix(l, "INIT_REPORT "):
			out = append(out, msRE.ReplaceAllString(l, "<ms> ms"))
		}
	}
	return out
}

var (
	msRE    = regexp.MustCompile(`[0-9]+\.[0-9]+ ms`)
	traceRE = regexp.MustCompile(`^Root=1-[0-9a-f]{8}-[0-9a-f]{24};Parent=[0-9a-f]{16};Sampled=[01]$`)
)

// requestIDs are the stream's invocations in order, from its START lines.
func (s logStream) requestIDs() []string {
	var ids []string
	for _, l := range s.lines {
		if rest, ok := strings.CutPrefix(l, "START RequestId: "); ok {
			ids = append(ids, strings.Fields(rest)[0])
		}
	}
	return ids
}

// deadline checks that an event's deadlineMs (a decimal string) is budget after an instant
// within the run, and returns "<deadline>" if so.
func (r *extRun) deadline(what, ms string, budget time.Duration) string {
	n, err := strconv.ParseInt(ms, 10, 64)
	lo, hi := r.begin.Add(budget).UnixMilli(), r.end.Add(budget).UnixMilli()
	if err != nil || n < lo || n > hi {
		r.t.Errorf("%s deadlineMs %s is not %v after an instant of the run (%d-%d)", what, ms, budget, lo, hi)
		return ms
	}
	return "<deadline>"
}

// lineKind orders the extension's lines whose interleaving is not fixed: INVOKE lines and
// telemetry lines (batches come when due), SHUTDOWN and the platform's lines. Within a kind the
// order is the lifecycle's.
func lineKind(l string) int {
	rest := strings.TrimPrefix(l, extName+": ")
	switch {
	case strings.HasPrefix(l, "EXTENSION\t"), strings.HasPrefix(l, "TELEMETRY\t"):
		return 1
	case strings.HasPrefix(rest, "INVOKE "):
		return 2
	case strings.HasPrefix(rest, "INITSTART "), strings.HasPrefix(rest, "REPORT "), strings.HasPrefix(rest, "LINE "):
		return 3
	case strings.HasPrefix(rest, "SHUTDOWN "):
		return 4
	case strings.HasPrefix(rest, "SUMMARY "):
		return 5
	case rest == "DONE":
		return 6
	}
	return 0 // the prelude: refusals, registration, subscription
}

// The prelude every mode shares: refusals around a registration.
var extPrelude = []string{
	"confext: REFUSED register EINVAL Extension.InvalidExtensionName Empty extension name",
	"confext: REFUSED register EINVAL Extension.InvalidEventType SHUTDOWN: ShutdownEventNotSupportedForInternalExtension",
	"confext: REGISTERED confext conformance $LATEST conformance",
	"confext: REFUSED register EPERM Extension.InvalidExtensionState State transition from Registered to Registered failed for extension confext. Error: State transition is not allowed",
}

// extBehaviours are the extension behaviours: each runs the items through one language's
// function and extension modules and returns the normalised outcome, which must be the same in
// every language.
var extBehaviours = []struct {
	name, mode string
	items      []string
	check      func(t *testing.T, r *extRun) []string
}{
	{
		// register, INVOKE and SHUTDOWN events, telemetry (platform.initStart, platform.report,
		// the function's lines), object I/O under the extension's output location.
		name:  "lifecycle",
		items: []string{`{"op":"echo","value":1}`, `{"op":"log","message":"from the function"}`, `{"op":"counter"}`},
		check: func(t *testing.T, r *extRun) []string {
			var got []string
			for _, rec := range r.records {
				got = append(got, rec.Status+" "+rec.Output+rec.Error)
			}
			if want := []string{"SUCCEEDED 1", "SUCCEEDED 8", "SUCCEEDED 3"}; !slices.Equal(got, want) {
				t.Errorf("results %q, want %q", got, want)
			}
			if len(r.streams) != 1 || r.rep.Environments != 1 {
				t.Fatalf("%d log streams, %d environments; want one", len(r.streams), r.rep.Environments)
			}
			s := r.streams[0]
			ids := s.requestIDs()
			if len(ids) != 3 {
				t.Fatalf("%d invocations in the stream:\n%s", len(ids), strings.Join(s.lines, "\n"))
			}
			raw := s.extLines()
			var lines []string
			for _, l := range raw {
				f := strings.Fields(l)
				switch {
				case len(f) == 7 && f[1] == "INVOKE":
					// confext: INVOKE <requestId> <deadlineMs> <arn> X-Amzn-Trace-Id <value>
					f[3] = r.deadline("INVOKE", f[3], timeout)
					if !traceRE.MatchString(f[6]) {
						t.Errorf("INVOKE tracing value %q", f[6])
					}
					f[6] = "<trace>"
					l = strings.Join(f, " ")
				case len(f) == 4 && f[1] == "SHUTDOWN":
					f[3] = r.deadline("SHUTDOWN", f[3], 2*time.Second)
					l = strings.Join(f, " ")
				}
				for i, id := range ids {
					l = strings.ReplaceAll(l, id, fmt.Sprintf("<request %d>", i+1))
				}
				lines = append(lines, strings.ReplaceAll(l, s.name, "<log stream>"))
			}
			// The prelude first, SHUTDOWN after the last INVOKE, SUMMARY and DONE last.
			last := map[int]int{}
			first := map[int]int{}
			for i, l := range lines {
				k := lineKind(l)
				if _, ok := first[k]; !ok {
					first[k] = i
				}
				last[k] = i
			}
			if last[0] > first[1] || last[0] > first[2] || last[0] > first[3] || last[2] > first[4] ||
				first[5] != len(lines)-2 || first[6] != len(lines)-1 {
				t.Errorf("the extension's lines are out of order:\n%s", strings.Join(raw, "\n"))
			}
			slices.SortStableFunc(lines, func(a, b string) int { return lineKind(a) - lineKind(b) })
			fnLines := []string{"[TRACE] from the function", "[DEBUG] from the function", "[INFO] from the function", "[WARN] from the function",
				"[ERROR] from the function", "[FATAL] from the function", "stdout: from the function", "stderr: from the function"}
			want := append(slices.Clone(extPrelude),
				"confext: REFUSED exit_error EINVAL Extension.MissingHeader Lambda-Extension-Function-Error-Type not found",
				"confext: REFUSED subscribe EINVAL ValidationError buffering.maxItems 5 is outside 1000-10000",
				"confext: SUBSCRIBED",
				"EXTENSION\tName: confext\tState: Ready\tEvents: [INVOKE, SHUTDOWN]",
				"TELEMETRY\tName: confext\tState: Subscribed\tTypes: [Platform, Function]")
			arn := "arn:aws:lambda:us-east-1:000000000000:function:" + functionName
			for i := range 3 {
				want = append(want, fmt.Sprintf("confext: INVOKE <request %d> <deadline> %s X-Amzn-Trace-Id <trace>", i+1, arn))
			}
			want = append(want, "confext: INITSTART conformance $LATEST init <log stream>", "confext: REPORT <request 1> success 128 cold")
			for _, l := range fnLines {
				want = append(want, "confext: LINE "+l)
			}
			summary := `{"events":22,"invokes":3,"lines":8,"reports":3,"shutdownReason":"spindown"}`
			want = append(want, "confext: REPORT <request 2> success 128 warm", "confext: REPORT <request 3> success 128 warm",
				"confext: SHUTDOWN spindown <deadline>", "confext: SUMMARY "+summary, "confext: DONE")
			if !slices.Equal(lines, want) {
				t.Errorf("the extension's lines, normalised:\n%s", diff(want, lines))
			}
			// The extension's object I/O: its output location is <run folder>/extensions/confext/.
			files := map[string]string{}
			out := filepath.Join(r.folder, "extensions", extName)
			filepath.WalkDir(out, func(p string, d os.DirEntry, err error) error {
				if err == nil && !d.IsDir() {
					b, _ := os.ReadFile(p)
					rel, _ := filepath.Rel(out, p)
					files[filepath.ToSlash(rel)] = string(b)
				}
				return nil
			})
			if want := map[string]string{"summary.json": summary}; fmt.Sprint(files) != fmt.Sprint(want) {
				t.Errorf("the extension's objects %v, want %v", files, want)
			}
			return append(append(got, lines...), fmt.Sprint("objects ", files))
		},
	},
	{
		// init_error during INIT: every environment's INIT fails with Extension.InitError.
		name: "init-error", mode: "init-error",
		items: []string{`{"op":"counter"}`, `{"op":"counter"}`},
		check: func(t *testing.T, r *extRun) []string {
			return initFailure(t, r, "InitError", "an init error: Extension.ConfigInvalid", "INIT_ERROR")
		},
	},
	{
		// exit_error during INIT: as a crash, INIT fails with Extension.ExitError.
		name: "exit-error", mode: "exit-error",
		items: []string{`{"op":"counter"}`, `{"op":"counter"}`},
		check: func(t *testing.T, r *extRun) []string {
			return initFailure(t, r, "ExitError", "an exit error: Extension.Broken", "EXIT_ERROR")
		},
	},
}

// initFailure checks a run whose extension fails every environment's INIT with
// Extension.<state>: each item fails with Lambda's error, each stream shows the failure.
func initFailure(t *testing.T, r *extRun, state, reported, line string) []string {
	typ := "Extension." + state
	var got []string
	for i, rec := range r.records {
		cause := regexp.MustCompile(`RequestId: [0-9a-f-]{36} `).ReplaceAllString(rec.Cause, "RequestId: <id> ")
		want := `{"errorMessage":"RequestId: <id> Error: Extension confext reported ` + reported + `","errorType":"` + typ + `"}`
		if rec.Status != "FAILED" || rec.Error != typ || cause != want {
			t.Errorf("item %d: %s %s %s, want FAILED %s %s", i, rec.Status, rec.Error, rec.Cause, typ, want)
		}
		got = append(got, rec.Status+" "+rec.Error+" "+cause)
	}
	want := append(slices.Clone(extPrelude), "confext: "+line,
		"EXTENSION\tName: confext\tState: "+state+"\tEvents: [INVOKE, SHUTDOWN]",
		"INIT_REPORT Init Duration: <ms> ms\tPhase: init\tStatus: error\tError Type: "+typ)
	if len(r.streams) < len(r.records) {
		t.Errorf("%d log streams for %d failed INITs", len(r.streams), len(r.records))
	}
	for _, s := range r.streams {
		if lines := s.extLines(); !slices.Equal(lines, want) {
			t.Errorf("stream %s, the extension's lines:\n%s", s.name, diff(want, lines))
		}
	}
	return append(got, want...)
}

// testExtensions is TestConformance/extensions: each behaviour in every language, through
// runner.Run with the SDK's extension module beside its function module; every language's
// outcome must equal the Go SDK's.
func testExtensions(t *testing.T) {
	for _, b := range extBehaviours {
		t.Run(b.name, func(t *testing.T) {
			results := map[string][]string{}
			var ran []string
			for _, lang := range guesttest.Languages {
				t.Run(lang, func(t *testing.T) {
					r := runExtension(t, lang, b.mode, b.items)
					results[lang] = b.check(t, r)
					ran = append(ran, lang)
					if t.Failed() {
						for _, s := range r.streams {
							t.Logf("log stream %s:\n%s", s.name, strings.Join(s.lines, "\n"))
						}
					}
				})
			}
			for _, lang := range ran[min(1, len(ran)):] {
				if a, o := results[ran[0]], results[lang]; !slices.Equal(a, o) {
					t.Errorf("%s differs from %s:\n%s", lang, ran[0], diff(a, o))
				}
			}
		})
	}
}
