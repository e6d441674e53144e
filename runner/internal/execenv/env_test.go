package execenv_test

import (
	"context"
	"encoding/json"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wasmap/wasmap/runner/internal/execenv"
	"github.com/wasmap/wasmap/runner/internal/guesttest"
)

const testGuest = "runner/testdata/guests/testguest"

// load compiles a module for a test, with a shared on-disk cache.
func load(t testing.TB, wasm []byte, cfg execenv.Config) *execenv.Function {
	t.Helper()
	if cfg.Name == "" {
		cfg.Name = "testguest"
	}
	if cfg.CacheDir == "" {
		cfg.CacheDir = cacheDir
	}
	f, err := execenv.Load(context.Background(), wasm, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close(context.Background()) })
	return f
}

var cacheDir = func() string {
	d, err := os.MkdirTemp("", "wasmap-execenv-test-cache")
	if err != nil {
		panic(err)
	}
	return d
}()

func guest(t testing.TB) []byte {
	b, err := os.ReadFile(guesttest.Build(t, testGuest))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// invoke runs events one after another in a single environment and returns the finished tasks
// and the environment's exit.
func invoke(t testing.TB, f *execenv.Function, events ...string) ([]*execenv.Task, execenv.Exit) {
	t.Helper()
	work := make(chan *execenv.Task)
	var mu sync.Mutex
	var done []*execenv.Task
	exitc := make(chan execenv.Exit, 1)
	go func() {
		exitc <- f.Serve(context.Background(), 1, execenv.Queue{Work: work, Done: func(t *execenv.Task) {
			mu.Lock()
			done = append(done, t)
			mu.Unlock()
		}})
	}()
	for i, ev := range events {
		select {
		case work <- &execenv.Task{Index: int64(i), Event: []byte(ev)}:
		case ex := <-exitc:
			close(work)
			return done, ex
		}
	}
	close(work)
	ex := <-exitc
	return done, ex
}

func TestWarmReuse(t *testing.T) {
	f := load(t, guest(t), execenv.Config{})
	tasks, exit := invoke(t, f, `{"op":"counter"}`, `{"op":"counter"}`, `{"op":"counter"}`)
	if exit.Reason != "spindown" || exit.Err != nil {
		t.Fatalf("exit = %+v, want a clean spindown", exit)
	}
	if len(tasks) != 3 {
		t.Fatalf("got %d results, want 3", len(tasks))
	}
	for i, tk := range tasks {
		if tk.Err != nil {
			t.Fatalf("task %d: %v", i, tk.Err)
		}
		if got, want := string(tk.Output), []string{"1", "2", "3"}[i]; got != want {
			t.Errorf("task %d output %s, want %s (globals must stay warm)", i, got, want)
		}
		if tk.ColdStart != (i == 0) {
			t.Errorf("task %d ColdStart = %v", i, tk.ColdStart)
		}
	}
	if tasks[0].InitDuration <= 0 {
		t.Errorf("cold start has no init duration")
	}
}

var uuidV4 = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func TestEnvironmentAndContext(t *testing.T) {
	f := load(t, guest(t), execenv.Config{Name: "my-func", Timeout: 2 * time.Second, MemoryMB: 256,
		Env: map[string]string{"GREETING": "hi", "AWS_REGION": "xx-user-1", "TZ": "Europe/Paris"}})
	tasks, _ := invoke(t, f, `{"op":"env"}`)
	if len(tasks) != 1 || tasks[0].Err != nil {
		t.Fatalf("tasks = %+v", tasks)
	}
	var got struct {
		Env                map[string]string `json:"env"`
		DeadlineMs         int64             `json:"deadlineMs"`
		RequestID          string            `json:"requestId"`
		InvokedFunctionArn string            `json:"invokedFunctionArn"`
		RemainingMs        int64             `json:"remainingMs"`
	}
	if err := json.Unmarshal(tasks[0].Output, &got); err != nil {
		t.Fatalf("%v: %s", err, tasks[0].Output)
	}
	want := map[string]string{
		"AWS_LAMBDA_FUNCTION_NAME":        "my-func",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256",
		"AWS_LAMBDA_FUNCTION_VERSION":     "$LATEST",
		"AWS_LAMBDA_LOG_GROUP_NAME":       "/aws/lambda/my-func",
		"AWS_REGION":                      "us-east-1", // reserved: the user's value is ignored
		"GREETING":                        "hi",
		"TZ":                              "Europe/Paris", // overridable
	}
	for k, v := range want {
		if got.Env[k] != v {
			t.Errorf("env %s = %q, want %q", k, got.Env[k], v)
		}
	}
	if !strings.HasPrefix(got.Env["AWS_LAMBDA_LOG_STREAM_NAME"], time.Now().UTC().Format("2006/01/02")+"/[$LATEST]") {
		t.Errorf("log stream name %q", got.Env["AWS_LAMBDA_LOG_STREAM_NAME"])
	}
	if got.RequestID != tasks[0].RequestID || !uuidV4.MatchString(got.RequestID) {
		t.Errorf("requestId %q, task's %q", got.RequestID, tasks[0].RequestID)
	}
	if got.InvokedFunctionArn != "arn:aws:lambda:us-east-1:000000000000:function:my-func" {
		t.Errorf("arn %q", got.InvokedFunctionArn)
	}
	if want := tasks[0].Start.Add(2 * time.Second).UnixMilli(); got.DeadlineMs != want {
		t.Errorf("deadlineMs %d, want invoke start + timeout = %d", got.DeadlineMs, want)
	}
	if got.RemainingMs <= 0 || got.RemainingMs > 2000 {
		t.Errorf("remainingMs %d, want in (0, 2000]", got.RemainingMs)
	}
}

// TestFaults checks that each kind of guest fault fails its invocation with Lambda's error name
// and, where Lambda resets the sandbox, ends the environment.
func TestFaults(t *testing.T) {
	wasm := guest(t)
	cases := []struct {
		name, event  string
		timeout      time.Duration
		wantType     string
		wantInCause  string
		wantRecycled bool
	}{
		{"function error", `{"op":"error"}`, 0, "InvalidOrderError", `"errorType":"InvalidOrderError"`, false},
		{"panic", `{"op":"panic"}`, 0, "string", `"errorMessage":"boom"`, true},
		{"spin", `{"op":"spin"}`, 200 * time.Millisecond, "Sandbox.Timedout", "Task timed out after 0.20 seconds", true},
		{"recursion", `{"op":"recurse"}`, 200 * time.Millisecond, "", "", true},
		{"sleep past deadline", `{"op":"sleep","ms":5000}`, 200 * time.Millisecond, "Sandbox.Timedout", "Task timed out after 0.20 seconds", true},
		{"out of memory", `{"op":"oom"}`, 10 * time.Second, "Runtime.OutOfMemory", "out of memory", true},
		{"exit", `{"op":"exit","code":3}`, 0, "Runtime.ExitError", "Runtime exited with error: exit status 3", true},
		{"garbage", `{"op":"garbage"}`, 0, "Runtime.MalformedResponse", "not JSON", false},
		{"too big", `{"op":"big"}`, 0, "Function.ResponseSizeTooLarge", "6291556 bytes", false},
		{"no response", `{"op":"noresponse"}`, 0, "InvalidStateTransition", "next called before a response", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := load(t, wasm, execenv.Config{Timeout: c.timeout, MemoryMB: 64})
			start := time.Now()
			tasks, exit := invoke(t, f, c.event, `{"op":"echo","value":1}`)
			if len(tasks) == 0 {
				t.Fatalf("no result; exit %+v", exit)
			}
			tk := tasks[0]
			if tk.Err == nil {
				t.Fatalf("succeeded with %s", tk.Output)
			}
			if c.wantType != "" && tk.Err.Type != c.wantType {
				t.Errorf("error type %q, want %q (cause %s)", tk.Err.Type, c.wantType, tk.Err.Cause)
			}
			if !strings.Contains(tk.Err.Cause, c.wantInCause) {
				t.Errorf("cause %q does not contain %q", tk.Err.Cause, c.wantInCause)
			}
			if c.timeout > 0 && c.timeout < time.Second {
				if el := time.Since(start); el > c.timeout+2*time.Second {
					t.Errorf("stopped after %v with a %v timeout", el, c.timeout)
				}
			}
			if strings.Contains(tk.Err.Cause, "%s") || (tk.Err.Recycled && !strings.Contains(tk.Err.Cause, tk.RequestID)) {
				t.Errorf("cause %q should name request %s", tk.Err.Cause, tk.RequestID)
			}
			if c.wantRecycled {
				if len(tasks) != 1 || exit.Reason == "spindown" {
					t.Errorf("environment kept after the fault: %d results, exit %+v", len(tasks), exit)
				}
				return
			}
			if len(tasks) != 2 || tasks[1].Err != nil || string(tasks[1].Output) != "1" {
				t.Errorf("the environment must stay usable after a %s; got %+v, exit %+v", c.name, tasks, exit)
			}
		})
	}
}

func TestInitFailures(t *testing.T) {
	wasm := guest(t)
	cases := []struct {
		init, wantType string
	}{
		{"fail", "InitFailure"},
		{"spin", "Sandbox.Timedout"},
		{"exit", "Runtime.ExitError"},
	}
	for _, c := range cases {
		t.Run(c.init, func(t *testing.T) {
			f := load(t, wasm, execenv.Config{InitTimeout: 300 * time.Millisecond, Env: map[string]string{"TESTGUEST_INIT": c.init}})
			tasks, exit := invoke(t, f, `{"op":"echo","value":1}`)
			if !exit.InitFailed {
				t.Errorf("exit %+v: want InitFailed", exit)
			}
			if len(tasks) != 1 || tasks[0].Err == nil {
				t.Fatalf("the waiting invocation must fail with the init error; got %+v", tasks)
			}
			if tasks[0].Err.Type != c.wantType {
				t.Errorf("error type %q, want %q (%s)", tasks[0].Err.Type, c.wantType, tasks[0].Err.Cause)
			}
		})
	}
}

func TestLogsCaptured(t *testing.T) {
	f := load(t, guest(t), execenv.Config{})
	tasks, _ := invoke(t, f, `{"op":"log","lines":["one","two"]}`, `{"op":"echo","value":2}`)
	if len(tasks) != 2 {
		t.Fatalf("%d tasks", len(tasks))
	}
	logs := string(tasks[0].Logs)
	for _, want := range []string{"one\n", "two\n"} {
		if !strings.Contains(logs, want) {
			t.Errorf("logs %q lack %q", logs, want)
		}
	}
	if strings.Contains(string(tasks[1].Logs), "one") {
		t.Errorf("the next invocation's logs hold the previous one's: %q", tasks[1].Logs)
	}
}

// WAT guests: faults no Go guest can produce, and guests that never return to the host.
const watPrelude = `
  (import "wasmap_runtime_v1" "next" (func $next (result i64)))
  (import "wasmap_runtime_v1" "respond" (func $respond (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "42")
`

func TestWATGuests(t *testing.T) {
	cases := []struct {
		name, body, wantType, wantInCause string
	}{
		{"trap", `(func (export "_start") (drop (call $next)) unreachable)`, "Runtime.ExitError", "wasm trap: unreachable"},
		{"spin without calls", `(func (export "_start") (drop (call $next)) (loop $l (br $l)))`, "Sandbox.Timedout", "timed out"},
		{"recursion without loops", `(func $r (param i32) (result i32) (call $r (i32.add (local.get 0) (i32.const 1))))
		   (func (export "_start") (drop (call $next)) (drop (call $r (i32.const 0))))`, "Sandbox.Timedout|Runtime.ExitError", ""},
		{"return from main", `(func (export "_start") (drop (call $next)))`, "Runtime.ExitError", "Runtime exited without providing a reason"},
		{"out of bounds", `(func (export "_start") (drop (call $next)) (drop (i32.load (i32.const 70000))))`, "Runtime.ExitError", "out of bounds"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			wasm := guesttest.WAT(t, "(module "+watPrelude+c.body+")")
			f := load(t, wasm, execenv.Config{Timeout: 100 * time.Millisecond})
			tasks, _ := invoke(t, f, `{}`)
			if len(tasks) != 1 || tasks[0].Err == nil {
				t.Fatalf("tasks %+v", tasks)
			}
			if !slices.Contains(strings.Split(c.wantType, "|"), tasks[0].Err.Type) || !strings.Contains(tasks[0].Err.Cause, c.wantInCause) {
				t.Errorf("got %s / %s, want %s containing %q", tasks[0].Err.Type, tasks[0].Err.Cause, c.wantType, c.wantInCause)
			}
		})
	}
}

func TestLoadRefusesBadModules(t *testing.T) {
	cases := []struct{ name, wat, want string }{
		{"unknown import", `(module (import "env" "f" (func)) (memory (export "memory") 1) (func (export "_start")))`, "env.f"},
		{"bad signature", `(module (import "wasmap_runtime_v1" "next" (func (result i32))) (memory (export "memory") 1) (func (export "_start")))`, "signature"},
		{"no _start", `(module (memory (export "memory") 1))`, "_start"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := execenv.Load(context.Background(), guesttest.WAT(t, c.wat), execenv.Config{Name: "bad"})
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("err = %v, want one mentioning %q", err, c.want)
			}
		})
	}
	if _, err := execenv.Load(context.Background(), []byte("not wasm"), execenv.Config{Name: "bad"}); err == nil {
		t.Error("garbage bytes loaded")
	}
}

// TestMemoryLimit checks that memory.grow stops at --memory-mb and that a guest growing its
// memory by hand sees Lambda's out-of-memory error only when it then faults.
func TestMemoryLimit(t *testing.T) {
	// Grows by 1 page until memory.grow fails, responds with the page count, then traps.
	wasm := guesttest.WAT(t, `(module `+watPrelude+`
	  (func (export "_start") (local $pages i32)
	    (drop (call $next))
	    (block $full (loop $l
	      (br_if $full (i32.eq (memory.grow (i32.const 1)) (i32.const -1)))
	      (br $l)))
	    (i32.store (i32.const 0) (i32.add (i32.const 0x30) (i32.div_u (memory.size) (i32.const 160))))
	    (drop (call $respond (i32.const 0) (i32.const 1)))
	    (drop (call $next))
	    unreachable))`)
	f := load(t, wasm, execenv.Config{MemoryMB: 10})
	tasks, _ := invoke(t, f, `{}`, `{}`)
	if len(tasks) != 2 {
		t.Fatalf("%d tasks", len(tasks))
	}
	// 10 MB = 160 pages: memory.size/160 is 1, the digit "1".
	if tasks[0].Err != nil || string(tasks[0].Output) != "1" {
		t.Errorf("first: %s %v: memory should stop at exactly 160 pages", tasks[0].Output, tasks[0].Err)
	}
	if tasks[1].Err == nil || tasks[1].Err.Type != "Runtime.OutOfMemory" {
		t.Errorf("second: %+v: a fault after a failed grow is Runtime.OutOfMemory", tasks[1].Err)
	}
	if tasks[0].MaxMemory != 10<<20 {
		t.Errorf("MaxMemory %d, want %d", tasks[0].MaxMemory, 10<<20)
	}
}
