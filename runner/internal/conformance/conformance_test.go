package conformance_test

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wasmap/wasmap/abi"
	"github.com/wasmap/wasmap/runner"
	"github.com/wasmap/wasmap/runner/internal/execenv"
	"github.com/wasmap/wasmap/runner/internal/guesttest"
	"github.com/wasmap/wasmap/runner/internal/objectio"
)

// moduleDirs are the conformance modules, one per SDK (doc.go has the protocol).
var moduleDirs = map[string]string{
	guesttest.LangGo:             "runner/internal/conformance/testdata/go",
	guesttest.LangRust:           "sdk/rust/conformance",
	guesttest.LangC:              "sdk/c/conformance",
	guesttest.LangAssemblyScript: "sdk/assemblyscript/conformance",
	guesttest.LangZig:            "sdk/zig/conformance",
}

const (
	functionName = "conformance"
	timeout      = 3 * time.Second
	memoryMB     = 128
)

var cacheDir = func() string {
	d, err := os.MkdirTemp("", "wasmap-conformance-cache")
	if err != nil {
		panic(err)
	}
	return d
}()

// module builds lang's conformance module once per process (a missing toolchain skips the
// calling test, or fails it under CI=true).
func module(t *testing.T, lang string) []byte {
	t.Helper()
	b, err := readModule(t, lang)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func readModule(tb testing.TB, lang string) ([]byte, error) {
	tb.Helper()
	start := time.Now()
	path := guesttest.BuildLang(tb, lang, moduleDirs[lang])
	b, err := os.ReadFile(path)
	if d := time.Since(start); err == nil && d > 100*time.Millisecond {
		tb.Logf("built the %s module (%d bytes) in %v", lang, len(b), d.Round(time.Millisecond))
	}
	return b, err
}

// tree is a run's folders: the item source data/ (the default location, read-only for
// modules), the output location out/, and secret.txt beside them, out of reach.
type tree struct{ root, data, out string }

var bigBin = func() []byte {
	r := rand.New(rand.NewPCG(1, 2))
	b := make([]byte, 200_000)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}()

func newTree(t testing.TB) tree {
	t.Helper()
	root, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	tr := tree{root, filepath.Join(root, "data"), filepath.Join(root, "out")}
	files := map[string][]byte{
		"data/a.txt":     []byte("hello, conformance world\n"),
		"data/sub/b.txt": []byte("beta\n"),
		"data/big.bin":   bigBin,
		"secret.txt":     []byte("secret\n"),
	}
	mtime := time.Unix(1700000000, 0)
	for name, content := range files {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, content, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, mtime, mtime); err != nil {
			t.Fatal(err)
		}
	}
	return tr
}

// load compiles a module (the compilation cache is shared by the whole process) with object
// I/O over tr.
func load(t testing.TB, wasm []byte, tr tree, env map[string]string) *execenv.Function {
	t.Helper()
	acc, err := objectio.NewAccess(context.Background(), objectio.Config{Items: tr.data, Output: tr.out})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { acc.Close() })
	f, err := execenv.Load(context.Background(), wasm, execenv.Config{Name: functionName, Timeout: timeout,
		MemoryMB: memoryMB, Env: env, CacheDir: cacheDir, Objects: acc})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close(context.Background()) })
	return f
}

// serve runs events in order, one environment at a time, starting a new environment whenever
// one ends (a panic, a trap, a failed init), as a map run with concurrency 1 does. It returns
// the finished tasks in event order.
func serve(t testing.TB, f *execenv.Function, events []string) []*execenv.Task {
	t.Helper()
	work := make(chan *execenv.Task, len(events))
	for i, ev := range events {
		work <- &execenv.Task{Index: int64(i), Event: []byte(ev)}
	}
	close(work)
	var done []*execenv.Task
	for env := 1; len(done) < len(events); env++ {
		if env > len(events)+1 {
			t.Fatalf("%d environments for %d events: %d finished", env, len(events), len(done))
		}
		f.Serve(context.Background(), env, execenv.Queue{Work: work, Done: func(tk *execenv.Task) { done = append(done, tk) }})
	}
	slices.SortFunc(done, func(a, b *execenv.Task) int { return int(a.Index - b.Index) })
	return done
}

// run is one language's run of a behaviour.
type run struct {
	lang  string
	tree  tree
	tasks []*execenv.Task
}

// behaviour is one conformance check: events, and a check that validates a run against what the
// ABI prescribes and returns the run's outcome, normalised (request ids, times) so that every
// language's must be equal.
type behaviour struct {
	name   string
	env    map[string]string
	events []string
	check  func(t *testing.T, r *run) []string
}

func ev(fields ...any) string {
	m := map[string]any{}
	for i := 0; i < len(fields); i += 2 {
		m[fields[i].(string)] = fields[i+1]
	}
	b, err := json.Marshal(m)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// outcome describes a task: "ok <output>" or "error <type> <cause>", the request id in the
// cause replaced by <id>, and " (cold)" for a cold start.
func outcome(tk *execenv.Task) string {
	s := "ok " + string(tk.Output)
	if tk.Err != nil {
		s = "error " + tk.Err.Type + " " + strings.ReplaceAll(tk.Err.Cause, tk.RequestID, "<id>")
	}
	if tk.ColdStart {
		s += " (cold)"
	}
	return s
}

func outcomes(r *run) []string {
	var s []string
	for _, tk := range r.tasks {
		s = append(s, outcome(tk))
	}
	return s
}

// errorBody is the error JSON as the Go SDK encodes it (encoding/json, HTML-escaped).
func errorBody(typ, msg string) string {
	b, _ := json.Marshal(abi.ErrorResponse{ErrorMessage: msg, ErrorType: typ})
	return string(b)
}

const trickyMessage = "order <7> & \"quoted\" \\ back\nslash\ttab \b\f\x01 ünïcödé \u2028\u2029 😀 end"

func behaviours() []behaviour {
	echoValue := `{"a":[1,2.5e3,-0.0,true,false,null,{}],"s":"ünï\"c\\ode \u2028 \ud83d\ude00","n":{"deep":[[[]]]}}`
	payload := strings.Repeat("0123456789abcdef", (5<<20)/16-1) // a 5 MiB event, with its quotes and key
	bigResponse := 5 << 20
	return []behaviour{
		{
			name:   "echo",
			events: []string{`{"op":"echo","value":` + echoValue + `}`, `{"value":"plain","op":"echo"}`, `{"op":"echo"}`},
			check: func(t *testing.T, r *run) []string {
				want := []string{"ok " + echoValue + " (cold)", `ok "plain"`, "ok null"}
				expect(t, r, want)
				return outcomes(r)
			},
		},
		{
			name: "json-fields",
			events: []string{
				`{"op":"field","key":"b","doc":{"a":1,"b":"x"}}`,
				`{"op":"field","key":"b","doc":{ "z" : { "b" : "inner" } , "b" : "outer \"q\" \u00e9\ud83d\ude00 \n\/" }}`,
				`{"op":"field","key":"b","doc":{"s":"} , \"b\": 2","b":3}}`,
				`{"op":"field","key":"ab","doc":{"a\u0062":true}}`,
				`{"op":"field","key":"lone","doc":{"lone":"\ud800x\udc00y"}}`,
				`{"op":"field","key":"n","doc":{"m":[{"n":1}],"n":-42}}`,
				`{"op":"field","key":"a","doc":[{"a":1}]}`,
				`{"op":"field","key":"missing","doc":{"a":{}}}`,
				`{"doc":{"op":"nested"},"op":"field","key":"op"}`,
			},
			check: func(t *testing.T, r *run) []string {
				expect(t, r, []string{
					`ok {"int":null,"raw":"\"x\"","string":"x"} (cold)`,
					`ok {"int":null,"raw":"\"outer \\\"q\\\" \\u00e9\\ud83d\\ude00 \\n\\/\"","string":"outer \"q\" é😀 \n/"}`,
					`ok {"int":3,"raw":"3","string":null}`,
					`ok {"int":null,"raw":"true","string":null}`,
					`ok {"int":null,"raw":"\"\\ud800x\\udc00y\"","string":"�x�y"}`,
					`ok {"int":-42,"raw":"-42","string":null}`,
					`ok {"int":null,"raw":null,"string":null}`,
					`ok {"int":null,"raw":null,"string":null}`,
					`ok {"int":null,"raw":"\"nested\"","string":"nested"}`,
				})
				return outcomes(r)
			},
		},
		{
			name:   "warm",
			events: []string{`{"op":"counter"}`, `{"op":"counter"}`, `{"op":"counter"}`},
			check: func(t *testing.T, r *run) []string {
				expect(t, r, []string{"ok 1 (cold)", "ok 2", "ok 3"})
				return outcomes(r)
			},
		},
		{
			name:   "error",
			events: []string{ev("op", "error", "message", trickyMessage), `{"op":"counter"}`, `{"op":"nosuchop"}`},
			check: func(t *testing.T, r *run) []string {
				body := errorBody("ConformanceError", trickyMessage)
				expect(t, r, []string{
					"error ConformanceError " + body + " (cold)",
					"ok 2",
					"error UnknownOpError " + errorBody("UnknownOpError", "unknown op: nosuchop"),
				})
				if tk := r.tasks[0]; !bytes.Contains(tk.Logs, []byte(body)) {
					t.Errorf("the error body is not logged:\n%s", tk.Logs)
				}
				return outcomes(r)
			},
		},
		{
			name:   "panic",
			events: []string{ev("op", "panic", "message", "boom <&> ü"), `{"op":"counter"}`},
			check: func(t *testing.T, r *run) []string {
				tk := r.tasks[0]
				var cause struct {
					ErrorMessage string          `json:"errorMessage"`
					ErrorType    string          `json:"errorType"`
					StackTrace   json.RawMessage `json:"stackTrace"`
				}
				if tk.Err == nil {
					t.Fatalf("panic: no error, output %s", tk.Output)
				}
				if err := json.Unmarshal([]byte(tk.Err.Cause), &cause); err != nil {
					t.Fatalf("cause %q: %v", tk.Err.Cause, err)
				}
				if tk.Err.Type != "string" || cause.ErrorType != "string" || cause.ErrorMessage != "boom <&> ü" {
					t.Errorf("panic: error %s %s, want type string, message %q", tk.Err.Type, tk.Err.Cause, "boom <&> ü")
				}
				if len(cause.StackTrace) > 0 && cause.StackTrace[0] != '[' {
					t.Errorf("stackTrace %s is not an array", cause.StackTrace)
				}
				if got := outcome(r.tasks[1]); got != "ok 1 (cold)" {
					t.Errorf("after the panic: %s, want a new environment answering 1", got)
				}
				// A stack trace is the language's own: compared without it.
				return []string{"error " + tk.Err.Type + " " + errorBody(cause.ErrorType, cause.ErrorMessage), outcome(r.tasks[1])}
			},
		},
		{
			name:   "trap",
			events: []string{`{"op":"trap"}`, `{"op":"counter"}`},
			check: func(t *testing.T, r *run) []string {
				expect(t, r, []string{
					`error Runtime.ExitError {"errorMessage":"RequestId: <id> Error: Runtime exited with error: signal: wasm trap: unreachable","errorType":"Runtime.ExitError"} (cold)`,
					"ok 1 (cold)",
				})
				if tk := r.tasks[0]; tk.Err != nil && !tk.Err.Recycled {
					t.Errorf("trap: the environment was not recycled")
				}
				return outcomes(r)
			},
		},
		{
			name:   "payload-5MB",
			events: []string{`{"op":"echo","value":"` + payload + `"}`, ev("op", "big", "bytes", bigResponse)},
			check: func(t *testing.T, r *run) []string {
				if len(r.tasks[0].Event) < 5<<20 {
					t.Fatalf("the event is %d bytes, want 5 MiB", len(r.tasks[0].Event))
				}
				want := []string{`ok "` + payload + `" (cold)`, `ok "` + strings.Repeat("x", bigResponse-2) + `"`}
				var got []string
				for i, tk := range r.tasks {
					o := outcome(tk)
					if o != want[i] {
						t.Errorf("task %d: %s, want %s", i, abbrev(o), abbrev(want[i]))
					}
					got = append(got, digest(o))
				}
				return got
			},
		},
		{
			name:   "response-too-large",
			events: []string{ev("op", "big", "bytes", abi.MaxResponseBytes+1), `{"op":"counter"}`},
			check: func(t *testing.T, r *run) []string {
				tk := r.tasks[0]
				if tk.Err == nil || tk.Err.Type != abi.ErrResponseSizeTooLarge {
					t.Errorf("task 0: %s, want %s", abbrev(outcome(tk)), abi.ErrResponseSizeTooLarge)
				}
				if got := outcome(r.tasks[1]); got != "ok 2" {
					t.Errorf("task 1: %s, want ok 2 (the SDK carries on in the same environment)", got)
				}
				return outcomes(r)
			},
		},
		{
			name:   "context",
			events: []string{`{"op":"context"}`},
			check: func(t *testing.T, r *run) []string {
				tk := r.tasks[0]
				if tk.Err != nil {
					t.Fatalf("context: %v", tk.Err)
				}
				var c struct {
					DeadlineMs         int64  `json:"deadlineMs"`
					FunctionName       string `json:"functionName"`
					InvokedFunctionArn string `json:"invokedFunctionArn"`
					MemoryMB           int    `json:"memoryMB"`
					RemainingMs        int64  `json:"remainingMs"`
					RequestID          string `json:"requestId"`
					TraceID            string `json:"traceId"`
				}
				if err := json.Unmarshal(tk.Output, &c); err != nil {
					t.Fatalf("%s: %v", tk.Output, err)
				}
				checks := []struct {
					name string
					ok   bool
				}{
					{"deadlineMs is the invocation's start plus the timeout", c.DeadlineMs == tk.Start.Add(timeout).UnixMilli()},
					{"functionName", c.FunctionName == functionName},
					{"invokedFunctionArn", c.InvokedFunctionArn == "arn:aws:lambda:us-east-1:000000000000:function:"+functionName},
					{"memoryMB", c.MemoryMB == memoryMB},
					{"remainingMs is within the timeout", c.RemainingMs > int64(timeout/time.Millisecond)-1000 && c.RemainingMs <= int64(timeout/time.Millisecond)},
					{"requestId", c.RequestID == tk.RequestID},
					{"traceId", strings.HasPrefix(c.TraceID, "Root=1-") && strings.Contains(c.TraceID, ";Parent=")},
				}
				var got []string
				for _, ck := range checks {
					if !ck.ok {
						t.Errorf("context: %s is wrong: %s", ck.name, tk.Output)
					}
					got = append(got, fmt.Sprintf("%s: %v", ck.name, ck.ok))
				}
				// The keys, in order, must be the same in every language.
				keys := objectKeys(tk.Output)
				return append(got, "keys "+keys)
			},
		},
		{
			name:   "log",
			events: []string{ev("op", "log", "message", "hello, wörld")},
			check: func(t *testing.T, r *run) []string {
				expect(t, r, []string{"ok 8 (cold)"})
				want := "[TRACE] hello, wörld\n[DEBUG] hello, wörld\n[INFO] hello, wörld\n[WARN] hello, wörld\n" +
					"[ERROR] hello, wörld\n[FATAL] hello, wörld\nstdout: hello, wörld\nstderr: hello, wörld\n"
				if got := string(r.tasks[0].Logs); got != want {
					t.Errorf("logs:\n%s\nwant:\n%s", got, want)
				}
				return append(outcomes(r), "logs "+string(r.tasks[0].Logs))
			},
		},
		{
			name: "objects",
			events: []string{
				ev("op", "stat", "key", "a.txt"),
				ev("op", "open", "key", "sub/b.txt"),
				ev("op", "read", "key", "a.txt", "offset", 7, "len", 11),
				ev("op", "read", "key", "a.txt", "offset", 19, "len", 100),
				ev("op", "open", "key", "missing.txt"),
				ev("op", "open", "key", "../secret.txt"),
				ev("op", "stat", "key", "file:///etc/passwd"),
				ev("op", "open", "key", "sub"),
				ev("op", "open", "key", "a//b"),
				ev("op", "copy", "from", "big.bin", "to", "copy.bin"),
				ev("op", "write", "to", "w/x.txt", "data", "written by the module\n"),
				ev("op", "leak", "to", "leak.txt", "data", "never closed"),
				ev("op", "write", "to", "../escape.txt", "data", "x"),
			},
			check: func(t *testing.T, r *run) []string {
				etag := fmt.Sprintf(`"\"%x\""`, md5sum("hello, conformance world\n"))
				expect(t, r, []string{
					`ok {"Etag":` + etag + `,"Key":"a.txt","LastModified":1700000000,"Size":25} (cold)`,
					`ok {"size":5}`,
					`ok {"data":"conformance","n":11}`,
					`ok {"data":"world\n","n":6}`,
					`ok {"err":"ENOENT"}`,
					`ok {"err":"EACCES"}`,
					`ok {"err":"EACCES"}`,
					`ok {"err":"EISDIR"}`,
					`ok {"err":"EINVAL"}`,
					`ok {"bytes":200000}`,
					`ok {"bytes":22}`,
					`ok {"bytes":12}`,
					`ok {"err":"EACCES"}`,
				})
				got := outcomes(r)
				files := map[string]string{}
				filepath.WalkDir(r.tree.out, func(p string, d os.DirEntry, err error) error {
					if err == nil && !d.IsDir() {
						b, _ := os.ReadFile(p)
						rel, _ := filepath.Rel(r.tree.out, p)
						files[filepath.ToSlash(rel)] = digest(string(b))
					}
					return nil
				})
				want := map[string]string{"copy.bin": digest(string(bigBin)), "w/x.txt": digest("written by the module\n")}
				if fmt.Sprint(files) != fmt.Sprint(want) {
					t.Errorf("output objects %v, want %v (copy.bin a copy of big.bin, no leak.txt)", files, want)
				}
				return append(got, fmt.Sprint("objects ", files))
			},
		},
		{
			name:   "init-error",
			env:    map[string]string{"CONFORMANCE_INIT": "fail"},
			events: []string{`{"op":"counter"}`, `{"op":"counter"}`},
			check: func(t *testing.T, r *run) []string {
				body := errorBody("InitFailure", "conformance: init failed on purpose")
				// A failed init fails the invocation waiting for the environment; the next
				// invocation gets a new environment, which fails again.
				for i, tk := range r.tasks {
					if tk.Err == nil || tk.Err.Type != "InitFailure" || tk.Err.Cause != body {
						t.Errorf("task %d: %s, want InitFailure %s", i, outcome(tk), body)
					}
				}
				return outcomes(r)
			},
		},
	}
}

// TestConformance runs every behaviour against every SDK's conformance module and requires each
// language's outcome to equal the Go SDK's (and what the ABI prescribes).
func TestConformance(t *testing.T) {
	type loaded struct {
		f    *execenv.Function
		tree tree
	}
	fns := map[string]loaded{} // by language and environment, for the life of the test
	get := func(st *testing.T, lang string, env map[string]string) loaded {
		key := lang + fmt.Sprint(env)
		if l, ok := fns[key]; ok {
			return l
		}
		wasm := module(st, lang)
		tr := newTree(t)
		l := loaded{load(t, wasm, tr, env), tr}
		fns[key] = l
		return l
	}
	for _, b := range behaviours() {
		t.Run(b.name, func(t *testing.T) {
			results := map[string][]string{}
			var ran []string
			for _, lang := range guesttest.Languages {
				t.Run(lang, func(t *testing.T) {
					l := get(t, lang, b.env)
					r := &run{lang: lang, tree: l.tree, tasks: serve(t, l.f, b.events)}
					results[lang] = b.check(t, r)
					ran = append(ran, lang)
				})
			}
			if len(ran) < 2 {
				return
			}
			ref := ran[0]
			for _, lang := range ran[1:] {
				if a, o := results[ref], results[lang]; !slices.Equal(a, o) {
					t.Errorf("%s differs from %s:\n%s", lang, ref, diff(a, o))
				}
			}
		})
	}
	t.Run("inspect", func(t *testing.T) {
		for _, lang := range guesttest.Languages {
			t.Run(lang, func(t *testing.T) {
				info, err := runner.Inspect(context.Background(), module(t, lang))
				if err != nil || !info.FitsABI {
					t.Errorf("wasmap inspect: %v\n%s", err, info)
				}
				// The extension module imports the extension modules and not the Runtime API.
				ext, err := os.ReadFile(extModule(t, lang))
				if err != nil {
					t.Fatal(err)
				}
				if info, err := runner.Inspect(context.Background(), ext); err != nil || !info.FitsABI || info.Kind != "extension" {
					t.Errorf("wasmap inspect (extension): %v\n%s", err, info)
				}
			})
		}
	})
	t.Run("extensions", testExtensions)
}

// expect compares a run's outcomes with want.
func expect(t *testing.T, r *run, want []string) {
	t.Helper()
	got := outcomes(r)
	for i := range max(len(got), len(want)) {
		var g, w string
		if i < len(got) {
			g = got[i]
		}
		if i < len(want) {
			w = want[i]
		}
		if g != w {
			t.Errorf("task %d:\n got  %s\n want %s\n logs %s", i, abbrev(g), abbrev(w), abbrev(string(r.tasks[min(i, len(r.tasks)-1)].Logs)))
		}
	}
}

func diff(a, b []string) string {
	var s strings.Builder
	for i := range max(len(a), len(b)) {
		var x, y string
		if i < len(a) {
			x = a[i]
		}
		if i < len(b) {
			y = b[i]
		}
		if x != y {
			fmt.Fprintf(&s, "  [%d] reference %s\n      this      %s\n", i, abbrev(x), abbrev(y))
		}
	}
	return s.String()
}

func abbrev(s string) string {
	if len(s) > 400 {
		return fmt.Sprintf("%s…(%d bytes, sha256 %s)", s[:200], len(s), digest(s))
	}
	return s
}

func digest(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:8])
}

// objectKeys lists the top-level keys of a JSON object in order.
func objectKeys(b []byte) string {
	dec := json.NewDecoder(bytes.NewReader(b))
	var keys []string
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return "not an object"
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return err.Error()
		}
		keys = append(keys, fmt.Sprint(tok))
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return err.Error()
		}
	}
	return strings.Join(keys, ",")
}

func md5sum(s string) [16]byte { return md5.Sum([]byte(s)) }
