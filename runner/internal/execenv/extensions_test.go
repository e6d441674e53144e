package execenv_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wasmap/wasmap/runner/internal/execenv"
	"github.com/wasmap/wasmap/runner/internal/guesttest"
	"github.com/wasmap/wasmap/runner/internal/objectio"
)

const extGuest = "runner/testdata/guests/extguest"

func extWasm(t testing.TB) []byte {
	b, err := os.ReadFile(guesttest.Build(t, extGuest))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// ext is a Config.Extensions entry running the test extension with the given variables.
func ext(t testing.TB, name string, env ...string) execenv.Extension {
	m := map[string]string{}
	for i := 0; i+1 < len(env); i += 2 {
		m[env[i]] = env[i+1]
	}
	return execenv.Extension{Name: name, Wasm: extWasm(t), Env: m}
}

// envRun is what one environment did: its tasks, reports, log stream and exit.
type envRun struct {
	mu      sync.Mutex
	tasks   []*execenv.Task
	reports []execenv.Report
	stream  strings.Builder
	calls   int // Log calls
	exit    execenv.Exit
}

func (r *envRun) log() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.stream.String()
}

// lines returns the stream's lines that match re.
func (r *envRun) lines(re string) []string {
	var out []string
	m := regexp.MustCompile(re)
	for _, l := range strings.Split(r.log(), "\n") {
		if m.MatchString(l) {
			out = append(out, l)
		}
	}
	return out
}

// serveOne runs events in one environment with Log and Report set. The queue closes after
// the last event (spindown), unless ctx ends first.
func serveOne(t testing.TB, ctx context.Context, f *execenv.Function, events ...string) *envRun {
	t.Helper()
	r := &envRun{}
	work := make(chan *execenv.Task)
	exitc := make(chan execenv.Exit, 1)
	go func() {
		exitc <- f.Serve(ctx, 1, execenv.Queue{Work: work,
			Done: func(tk *execenv.Task) {
				r.mu.Lock()
				r.tasks = append(r.tasks, tk)
				r.mu.Unlock()
			},
			Log: func(env int, stream string, ev []byte) {
				r.mu.Lock()
				r.calls++
				r.stream.Write(ev)
				r.mu.Unlock()
			},
			Report: func(rep *execenv.Report) {
				r.mu.Lock()
				r.reports = append(r.reports, *rep)
				r.mu.Unlock()
			},
		})
	}()
	for i, ev := range events {
		select {
		case work <- &execenv.Task{Index: int64(i), Event: []byte(ev)}:
		case ex := <-exitc:
			close(work)
			r.exit = ex
			return r
		}
	}
	close(work)
	select {
	case r.exit = <-exitc:
	case <-time.After(30 * time.Second):
		t.Fatalf("the environment did not end; stream so far:\n%s", r.log())
	}
	return r
}

// logEvent is an event for the test guest's log op with n lines of size bytes each.
func logEvent(n, size int) string {
	line := strings.Repeat("x", size)
	lines := make([]string, n)
	for i := range lines {
		lines[i] = fmt.Sprintf("%06d%s", i, line[:max(0, size-6)])
	}
	b, _ := json.Marshal(map[string]any{"op": "log", "lines": lines})
	return string(b)
}

// TestExtensionLifecycleOrder checks one environment's events against Lambda's lifecycle:
// the extension registers before the function initialises; INIT ends with it Ready; each
// invocation sends INVOKE (with the invocation's request id and deadline) between START and
// END; SHUTDOWN comes last, once; and the platform's telemetry events come in Lambda's order.
func TestExtensionLifecycleOrder(t *testing.T) {
	f := load(t, guest(t), execenv.Config{Timeout: 2 * time.Second, Extensions: []execenv.Extension{
		ext(t, "ext1", "EXTGUEST_TELEMETRY", `{"types":["platform"],"buffering":{"timeoutMs":25}}`)}})
	r := serveOne(t, context.Background(), f, `{"op":"echo","value":1}`, `{"op":"log","lines":["hello"]}`, `{"op":"echo","value":3}`)
	if r.exit.Reason != "spindown" || r.exit.Err != nil || len(r.tasks) != 3 {
		t.Fatalf("exit %+v, %d tasks\n%s", r.exit, len(r.tasks), r.log())
	}
	// The stream: platform lines, the function's and the extension's, in lifecycle order.
	var want []string
	want = append(want, `^extguest\[ext1\]: REGISTERED testguest$`, `^EXTENSION\tName: ext1\tState: Ready\tEvents: \[INVOKE, SHUTDOWN\]$`,
		`^TELEMETRY\tName: ext1\tState: Subscribed\tTypes: \[Platform\]$`)
	for i, tk := range r.tasks {
		if tk.Err != nil {
			t.Fatalf("task %d: %v", i, tk.Err)
		}
		id := regexp.QuoteMeta(tk.RequestID)
		// The extension's line and the function's run concurrently: either may come first.
		want = append(want, `^START RequestId: `+id+` Version: \$LATEST$`,
			fmt.Sprintf(`^extguest\[ext1\]: EVENT INVOKE %s %d$|^hello$`, id, tk.Start.Add(2*time.Second).UnixMilli()))
		if i == 1 {
			want = append(want, fmt.Sprintf(`^extguest\[ext1\]: EVENT INVOKE %s %d$|^hello$`, id, tk.Start.Add(2*time.Second).UnixMilli()))
		}
		want = append(want, `^END RequestId: `+id+`$`, `^REPORT RequestId: `+id+`\t`)
	}
	want = append(want, `^extguest\[ext1\]: EVENT SHUTDOWN spindown (1[0-9]{3}|2000)$`, `^extguest\[ext1\]: DONE$`)
	lines := strings.Split(strings.TrimSuffix(r.log(), "\n"), "\n")
	i := 0
	for _, l := range lines {
		if i < len(want) && regexp.MustCompile(want[i]).MatchString(l) {
			i++
		}
	}
	if i < len(want) {
		t.Errorf("stream lacks, in order, %q (after %d of %d):\n%s", want[i], i, len(want), r.log())
	}
	if n := len(r.lines(`EVENT SHUTDOWN`)); n != 1 {
		t.Errorf("%d SHUTDOWN events", n)
	}
	// Telemetry: the platform events in order, across batches.
	var types []string
	for _, b := range r.lines(`BATCH `) {
		types = append(types, strings.Split(b[strings.Index(b, "types=")+6:], ",")...)
	}
	wantTypes := []string{"platform.initStart", "platform.initRuntimeDone", "platform.extension", "platform.telemetrySubscription", "platform.initReport"}
	for range 3 {
		wantTypes = append(wantTypes, "platform.start", "platform.runtimeDone", "platform.report")
	}
	if !slices.Equal(types, wantTypes) {
		t.Errorf("platform events\n%v, want\n%v", types, wantTypes)
	}
	reports := r.lines(`extguest\[ext1\]: REPORT `)
	if len(reports) != 3 || !strings.Contains(reports[0], r.tasks[0].RequestID+" success") {
		t.Errorf("platform.report records %q", reports)
	}
	if len(r.reports) != 3 || !r.reports[0].ColdStart || r.reports[1].ColdStart || r.reports[0].InitDuration <= 0 {
		t.Errorf("reports %+v", r.reports)
	}
}

// TestPostRuntimeExtensionsDuration: an extension that works 150 ms after INVOKE. The item's
// result is recorded when the function responds, but the phase (REPORT's Duration, billed) lasts
// until the extension is back in next, and the next invocation waits for it.
func TestPostRuntimeExtensionsDuration(t *testing.T) {
	for _, work := range []string{"sleep", "busy"} {
		t.Run(work, func(t *testing.T) {
			const ms = 150
			f := load(t, guest(t), execenv.Config{Extensions: []execenv.Extension{
				ext(t, "worker", "EXTGUEST_WORK_MS", strconv.Itoa(ms), "EXTGUEST_WORK", work)}})
			r := serveOne(t, context.Background(), f, `{"op":"echo","value":1}`, `{"op":"echo","value":2}`)
			if len(r.tasks) != 2 || len(r.reports) != 2 {
				t.Fatalf("%d tasks, %d reports\n%s", len(r.tasks), len(r.reports), r.log())
			}
			for i, rep := range r.reports {
				tk := r.tasks[i]
				if tk.Err != nil {
					t.Fatal(tk.Err)
				}
				if tk.Duration() > ms*time.Millisecond/2 {
					t.Errorf("task %d: the result took %v: it must not wait for the extension", i, tk.Duration())
				}
				if rep.PostRuntimeExtensionsDuration < ms*time.Millisecond*9/10 || rep.Duration < rep.PostRuntimeExtensionsDuration+rep.RuntimeDuration-time.Millisecond {
					t.Errorf("report %d: PostRuntimeExtensionsDuration %v, Duration %v, RuntimeDuration %v", i, rep.PostRuntimeExtensionsDuration, rep.Duration, rep.RuntimeDuration)
				}
				if rep.BilledDuration < rep.Duration {
					t.Errorf("report %d: billed %v < duration %v", i, rep.BilledDuration, rep.Duration)
				}
			}
			if next := r.tasks[1].Start; next.Before(r.reports[0].Start.Add(r.reports[0].Duration)) {
				t.Errorf("the second invocation started %v before the first phase ended", r.reports[0].Start.Add(r.reports[0].Duration).Sub(next))
			}
			for _, l := range r.lines(`^REPORT `) {
				d, _ := strconv.ParseFloat(regexp.MustCompile(`Duration: ([0-9.]+) ms`).FindStringSubmatch(l)[1], 64)
				if d < ms*0.9 {
					t.Errorf("REPORT Duration %.2f ms leaves out the extension's %d ms: %s", d, ms, l)
				}
			}
		})
	}
}

// TestShutdownExactlyOnce: every way an environment ends sends SHUTDOWN once, with Lambda's
// reason, to each extension registered for it.
func TestShutdownExactlyOnce(t *testing.T) {
	cases := []struct {
		name   string
		events []string
		cancel time.Duration // Ctrl-C after this long
		pull   int           // a Pull that stops after this many tasks (tolerance exceeded)
		reason string
	}{
		{"normal end", []string{`{"op":"echo","value":1}`, `{"op":"echo","value":2}`}, 0, 0, "spindown"},
		{"tolerance exceeded", []string{`{"op":"error"}`, `{"op":"error"}`, `{"op":"echo"}`}, 0, 2, "spindown"},
		{"ctrl-c", []string{`{"op":"sleep","ms":5000}`}, 300 * time.Millisecond, 0, "spindown"},
		{"recycle after a timeout", []string{`{"op":"spin"}`, `{"op":"echo"}`}, 0, 0, "timeout"},
		{"recycle after a crash", []string{`{"op":"panic"}`, `{"op":"echo"}`}, 0, 0, "failure"},
		{"failed init", nil, 0, 0, "failure"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := execenv.Config{Timeout: 300 * time.Millisecond, Extensions: []execenv.Extension{ext(t, "a"), ext(t, "b", "EXTGUEST_EVENTS", "SHUTDOWN")}}
			events := c.events
			if events == nil {
				cfg.Env = map[string]string{"TESTGUEST_INIT": "fail"}
				events = []string{`{"op":"echo"}`}
			}
			f := load(t, guest(t), cfg)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if c.cancel > 0 {
				time.AfterFunc(c.cancel, cancel)
			}
			var r *envRun
			start := time.Now()
			if c.pull > 0 {
				r = &envRun{}
				n := 0
				r.exit = f.Serve(ctx, 1, execenv.Queue{
					Pull: func() (*execenv.Task, bool) {
						if n >= c.pull {
							return nil, false
						}
						n++
						return &execenv.Task{Event: []byte(events[n-1])}, true
					},
					Done: func(tk *execenv.Task) { r.tasks = append(r.tasks, tk) },
					Log:  func(_ int, _ string, b []byte) { r.stream.Write(b) },
				})
			} else {
				r = serveOne(t, ctx, f, events...)
			}
			if el := time.Since(start); el > 10*time.Second {
				t.Errorf("took %v", el)
			}
			if r.exit.Reason != c.reason {
				t.Errorf("exit %+v, want reason %s", r.exit, c.reason)
			}
			for _, name := range []string{"a", "b"} {
				got := r.lines(`^extguest\[` + name + `\]: EVENT SHUTDOWN`)
				if len(got) != 1 || !strings.Contains(got[0], "SHUTDOWN "+c.reason+" ") {
					t.Errorf("extension %s got %q, want one SHUTDOWN %s\n%s", name, got, c.reason, r.log())
				}
			}
		})
	}
}

// TestExtensionFailures: an extension that fails to register, reports an error, crashes or
// overruns fails its environment's INIT or invocation with Lambda's error name, and nothing
// hangs.
func TestExtensionFailures(t *testing.T) {
	cases := []struct {
		name      string
		env       []string
		event     string
		timeout   time.Duration
		wantType  string // the task's error; "" for success
		wantCause string
		init      bool   // INIT fails
		reason    string // the exit's
		inStream  string // a line of the stream
	}{
		{"exit before register", []string{"EXTGUEST_MODE", "exit-before-register"}, `{"op":"echo"}`, 0,
			"Extension.Crash", "Extension x exited with error: exit status 3", true, "failure", "INIT_REPORT Init Duration: [0-9.]+ ms\tPhase: init\tStatus: error\tError Type: Extension.Crash$"},
		{"invalid event type", []string{"EXTGUEST_MODE", "bad-event"}, `{"op":"echo"}`, 0,
			"Extension.Crash", "exit status 1", true, "failure", `ERROR extension register: EINVAL: Extension.InvalidEventType: FOO: ErrorInvalidEventType`},
		{"internal with SHUTDOWN", []string{"EXTGUEST_MODE", "internal-shutdown"}, `{"op":"echo"}`, 0,
			"Extension.Crash", "exit status 1", true, "failure", `SHUTDOWN: ShutdownEventNotSupportedForInternalExtension`},
		{"init error", []string{"EXTGUEST_MODE", "init-error"}, `{"op":"echo"}`, 0,
			"Extension.InitError", "reported an init error: Extension.ConfigInvalid", true, "failure", `^EXTENSION\tName: x\tState: InitError`},
		{"no next before the init deadline", []string{"EXTGUEST_MODE", "hang-init"}, `{"op":"echo"}`, 0,
			"Sandbox.Timedout", "Init timed out after 0.50 seconds", true, "timeout", "Status: timeout$"},
		{"bad subscription", []string{"EXTGUEST_TELEMETRY", `{"types":["platform"],"buffering":{"maxItems":5}}`}, `{"op":"echo"}`, 0,
			"Extension.Crash", "exit status 1", true, "failure", `ValidationError: buffering.maxItems 5 is outside 1000-10000`},
		{"crash during an invocation", []string{"EXTGUEST_MODE", "crash-on-invoke"}, `{"op":"sleep","ms":2000}`, 0,
			"Extension.Crash", "exit status 4", false, "failure", "Status: error\tError Type: Extension.Crash\t$"},
		{"exit error during an invocation", []string{"EXTGUEST_MODE", "exit-error-on-invoke"}, `{"op":"sleep","ms":2000}`, 0,
			"Extension.ExitError", "reported an exit error: Extension.Broken", false, "failure", "Error Type: Extension.ExitError\t$"},
		{"overrun after the response", []string{"EXTGUEST_WORK_MS", "1000"}, `{"op":"echo","value":1}`, 300 * time.Millisecond,
			"", "", false, "timeout", "Status: timeout\t$"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			timeout := 3 * time.Second
			if c.timeout > 0 {
				timeout = c.timeout
			}
			f := load(t, guest(t), execenv.Config{Timeout: timeout, InitTimeout: 500 * time.Millisecond,
				Extensions: []execenv.Extension{ext(t, "x", c.env...)}})
			start := time.Now()
			r := serveOne(t, context.Background(), f, c.event, `{"op":"echo","value":2}`)
			if el := time.Since(start); el > 5*time.Second {
				t.Errorf("took %v", el)
			}
			if len(r.tasks) != 1 {
				t.Fatalf("%d tasks, want 1 (the environment is recycled); exit %+v\n%s", len(r.tasks), r.exit, r.log())
			}
			tk := r.tasks[0]
			switch {
			case c.wantType == "" && tk.Err != nil:
				t.Errorf("task failed: %v", tk.Err)
			case c.wantType != "" && (tk.Err == nil || tk.Err.Type != c.wantType || !strings.Contains(tk.Err.Cause, c.wantCause) || !tk.Err.Recycled):
				t.Errorf("task error %+v, want %s with %q", tk.Err, c.wantType, c.wantCause)
			case tk.Err != nil && (strings.Contains(tk.Err.Cause, "%s") || !strings.Contains(tk.Err.Cause, tk.RequestID)):
				t.Errorf("cause %q should name request %s", tk.Err.Cause, tk.RequestID)
			}
			if r.exit.InitFailed != c.init || r.exit.Reason != c.reason {
				t.Errorf("exit %+v, want InitFailed %v, reason %s", r.exit, c.init, c.reason)
			}
			if len(r.lines(c.inStream)) == 0 {
				t.Errorf("no line matches %q:\n%s", c.inStream, r.log())
			}
			if len(r.reports) != 1 {
				t.Errorf("%d reports", len(r.reports))
			}
		})
	}
}

// batches parses the test extension's BATCH lines.
func batches(t *testing.T, r *envRun) (items, bytes, ages []int) {
	t.Helper()
	re := regexp.MustCompile(`BATCH items=(\d+) bytes=(\d+) ageMs=(-?\d+)`)
	for _, l := range r.lines(`BATCH `) {
		m := re.FindStringSubmatch(l)
		n, _ := strconv.Atoi(m[1])
		b, _ := strconv.Atoi(m[2])
		a, _ := strconv.Atoi(m[3])
		items, bytes, ages = append(items, n), append(bytes, b), append(ages, a)
	}
	return
}

// TestTelemetryBuffering: batches honour maxItems, maxBytes and timeoutMs.
func TestTelemetryBuffering(t *testing.T) {
	t.Run("maxItems", func(t *testing.T) {
		f := load(t, guest(t), execenv.Config{Extensions: []execenv.Extension{ext(t, "t", "EXTGUEST_EVENTS", "SHUTDOWN",
			"EXTGUEST_TELEMETRY", `{"types":["function"],"buffering":{"maxItems":1000,"timeoutMs":30000}}`)}})
		r := serveOne(t, context.Background(), f, logEvent(2500, 10))
		items, _, _ := batches(t, r)
		total := 0
		for i, n := range items {
			total += n
			if n > 1000 || (i < len(items)-1 && n != 1000) {
				t.Errorf("batch sizes %v: only the last may hold fewer than maxItems", items)
			}
		}
		if total != 2501 { // the lines and the guest's count on stderr
			t.Errorf("%d records in batches %v, want 2501", total, items)
		}
	})
	t.Run("maxBytes", func(t *testing.T) {
		f := load(t, guest(t), execenv.Config{Extensions: []execenv.Extension{ext(t, "t", "EXTGUEST_EVENTS", "SHUTDOWN",
			"EXTGUEST_TELEMETRY", `{"types":["function"],"buffering":{"maxBytes":262144,"timeoutMs":30000}}`)}})
		// 300 lines of 2 KB: more than two batches, but under the 4 x maxBytes a subscriber may
		// fall behind before events are dropped, so a slow (loaded) machine loses none.
		r := serveOne(t, context.Background(), f, logEvent(300, 2000))
		items, bytes, _ := batches(t, r)
		total := 0
		for i, b := range bytes {
			total += items[i]
			if b >= 262144+2100 || (i < len(bytes)-1 && b < 262144) {
				t.Errorf("batch bytes %v: each under maxBytes plus one event, and at least maxBytes but the last", bytes)
			}
		}
		if total != 301 { // the lines and the guest's count on stderr
			t.Errorf("%d records, want 301", total)
		}
		if len(bytes) < 3 {
			t.Errorf("batch bytes %v: want at least 3 batches of at most maxBytes", bytes)
		}
	})
	t.Run("timeoutMs", func(t *testing.T) {
		f := load(t, guest(t), execenv.Config{Extensions: []execenv.Extension{ext(t, "t", "EXTGUEST_EVENTS", "SHUTDOWN",
			"EXTGUEST_TELEMETRY", `{"types":["platform"],"buffering":{"timeoutMs":100}}`)}})
		r := serveOne(t, context.Background(), f, `{"op":"sleep","ms":600}`)
		// The batch holding platform.start is due 100 ms after its oldest event (INIT's
		// events wait for it, frozen until the invocation starts): during the 600 ms sleep.
		items, _, ages := batches(t, r)
		lines := strings.Split(r.log(), "\n")
		end := slices.IndexFunc(lines, func(l string) bool { return strings.HasPrefix(l, "END ") })
		first := slices.IndexFunc(lines, func(l string) bool { return strings.Contains(l, "BATCH ") && strings.Contains(l, "platform.start") })
		if first < 0 || first > end {
			t.Fatalf("no batch with platform.start before END: %v\n%s", items, r.log())
		}
		if a := ages[0]; a < 100 || a > 450 {
			t.Errorf("the first batch came %d ms after its oldest event, want the 100 ms timeout", a)
		}
	})
	t.Run("logsDropped", func(t *testing.T) {
		// The extension works 500 ms after INVOKE and reads nothing meanwhile: beyond 4 x
		// maxItems buffered records, the rest are dropped and counted.
		f := load(t, guest(t), execenv.Config{Extensions: []execenv.Extension{ext(t, "t", "EXTGUEST_WORK_MS", "500",
			"EXTGUEST_TELEMETRY", `{"types":["platform","function"],"buffering":{"maxItems":1000,"timeoutMs":30000}}`)}})
		r := serveOne(t, context.Background(), f, logEvent(6000, 10))
		dropped := r.lines(`DROPPED `)
		if len(dropped) != 1 || !strings.Contains(dropped[0], `{"reason":"Consumer seems to have fallen behind as it has not acknowledged receipt of logs.","droppedRecords":`) {
			t.Fatalf("logsDropped %q\n%s", dropped, strings.Join(r.lines("BATCH|DROPPED"), "\n"))
		}
		var rec struct{ DroppedRecords, DroppedBytes int }
		json.Unmarshal([]byte(dropped[0][strings.Index(dropped[0], "{"):]), &rec)
		items, _, _ := batches(t, r)
		total := 0
		for _, n := range items {
			total += n
		}
		if rec.DroppedRecords < 1000 || rec.DroppedBytes < rec.DroppedRecords*40 {
			t.Errorf("dropped %+v", rec)
		}
	})
}

// TestJSONLogFormat: with LogFormat JSON the platform's lines are telemetry records and the
// function's log import writes Lambda's JSON records.
func TestJSONLogFormat(t *testing.T) {
	f := load(t, guest(t), execenv.Config{LogFormat: execenv.LogFormatJSON, Extensions: []execenv.Extension{ext(t, "x")}})
	r := serveOne(t, context.Background(), f, `{"op":"log","lines":["raw"]}`, `{"op":"log","lines":["via import"],"level":3}`, `{"op":"env"}`)
	var types []string
	for _, l := range strings.Split(strings.TrimSpace(r.log()), "\n") {
		if !strings.HasPrefix(l, "{") {
			continue
		}
		var ev struct {
			Time, Type string
			Record     map[string]any
			Level      string
			Message    string
			RequestID  string
		}
		if err := json.Unmarshal([]byte(l), &ev); err != nil {
			t.Errorf("line %q: %v", l, err)
			continue
		}
		switch {
		case ev.Type != "":
			types = append(types, ev.Type)
			if ev.Type == "platform.report" && ev.Record["status"] != "success" {
				t.Errorf("report %s", l)
			}
		case ev.Message == "via import":
			if ev.Level != "WARN" || ev.RequestID != r.tasks[1].RequestID {
				t.Errorf("log import record %s", l)
			}
		}
	}
	want := []string{"platform.initStart", "platform.extension"}
	for range 3 {
		want = append(want, "platform.start", "platform.report")
	}
	if !slices.Equal(types, want) {
		t.Errorf("JSON stream types %v, want %v\n%s", types, want, r.log())
	}
	if len(r.lines(`^raw$`)) != 1 {
		t.Errorf("the function's own lines pass through unchanged:\n%s", r.log())
	}
	var out struct{ Env map[string]string }
	json.Unmarshal(r.tasks[2].Output, &out)
	if out.Env["AWS_LAMBDA_LOG_FORMAT"] != "JSON" {
		t.Errorf("AWS_LAMBDA_LOG_FORMAT = %q", out.Env["AWS_LAMBDA_LOG_FORMAT"])
	}
}

// TestLogStreamWithoutExtensions: Queue.Log alone gives the stream the runner writes today.
func TestLogStreamWithoutExtensions(t *testing.T) {
	f := load(t, guest(t), execenv.Config{Timeout: 300 * time.Millisecond})
	r := serveOne(t, context.Background(), f, `{"op":"log","lines":["one","two"]}`, `{"op":"spin"}`)
	re := []string{`^START RequestId: [0-9a-f-]{36} Version: \$LATEST$`, `^one$`, `^two$`, `^testguest: logged 2 lines$`, `^END RequestId: `,
		`^REPORT RequestId: [0-9a-f-]{36}\tDuration: \d+\.\d{2} ms\tBilled Duration: \d+ ms\tMemory Size: 128 MB\tMax Memory Used: \d+ MB\tInit Duration: \d+\.\d{2} ms\t$`,
		`^START `, `^END `, `^REPORT .*\tStatus: timeout\t$`}
	lines := strings.Split(strings.TrimSuffix(r.log(), "\n"), "\n")
	if len(lines) != len(re) {
		t.Fatalf("stream:\n%s", r.log())
	}
	for i, l := range lines {
		if !regexp.MustCompile(re[i]).MatchString(l) {
			t.Errorf("line %d %q does not match %q", i, l, re[i])
		}
	}
	for _, tk := range r.tasks {
		if tk.Logs != nil {
			t.Errorf("Task.Logs %q: with Queue.Log the logs go to the stream only", tk.Logs)
		}
	}
}

// TestShutdownBudget: an extension still running when the SHUTDOWN budget (2 s with an
// external extension) is spent is stopped, and the environment ends.
func TestShutdownBudget(t *testing.T) {
	f := load(t, guest(t), execenv.Config{Extensions: []execenv.Extension{ext(t, "x", "EXTGUEST_SHUTDOWN", "spin")}})
	start := time.Now()
	r := serveOne(t, context.Background(), f, `{"op":"echo"}`)
	if el := time.Since(start); el > 6*time.Second {
		t.Errorf("took %v", el)
	}
	if d := r.exit.ShutdownDuration; d < 1900*time.Millisecond || d > 4*time.Second {
		t.Errorf("ShutdownDuration %v, want about the 2 s budget", d)
	}
}

// TestTelemetryPlugin runs the telemetry plugin (plugins/telemetry) beside a function in two
// environments: each instance writes its environment's metrics through object I/O at
// SHUTDOWN, named by its log stream.
func TestTelemetryPlugin(t *testing.T) {
	wasm, err := os.ReadFile(guesttest.Build(t, "plugins/telemetry"))
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	acc, err := objectio.NewAccess(context.Background(), objectio.Config{Output: out})
	if err != nil {
		t.Fatal(err)
	}
	defer acc.Close()
	f := load(t, guest(t), execenv.Config{Name: "plugged", Timeout: 300 * time.Millisecond,
		Extensions: []execenv.Extension{{Name: "telemetry", Wasm: wasm, Objects: acc}}})
	runs := []*envRun{
		serveOne(t, context.Background(), f, `{"op":"echo","value":1}`, `{"op":"sleep","ms":20}`, `{"op":"echo","value":3}`),
		serveOne(t, context.Background(), f, `{"op":"echo","value":1}`, `{"op":"spin"}`),
	}
	for i, r := range runs {
		var part struct {
			InstanceID   string           `json:"instanceId"`
			FunctionName string           `json:"functionName"`
			Invocations  int64            `json:"invocations"`
			ColdStarts   int64            `json:"coldStarts"`
			Statuses     map[string]int64 `json:"statuses"`
			DurationsMs  []float64        `json:"durationsMs"`
			MaxMemoryMB  int              `json:"maxMemoryUsedMB"`
		}
		base := filepath.Join(out, "environments", filepath.FromSlash(r.exit.LogStream))
		b, err := os.ReadFile(base + ".json")
		if err != nil {
			t.Fatalf("environment %d: %v\n%s", i, err, r.log())
		}
		if err := json.Unmarshal(b, &part); err != nil {
			t.Fatal(err)
		}
		want := int64(len(r.tasks))
		if part.InstanceID != r.exit.LogStream || part.FunctionName != "plugged" || part.Invocations != want ||
			part.ColdStarts != 1 || len(part.DurationsMs) != int(want) || part.MaxMemoryMB < 1 {
			t.Errorf("environment %d: part %s", i, b)
		}
		if i == 1 && part.Statuses["timeout"] != 1 {
			t.Errorf("the spin's timeout is not counted: %s", b)
		}
		prom, err := os.ReadFile(base + ".prom")
		if err != nil || !strings.Contains(string(prom), fmt.Sprintf("wasmap_invocations_total{function=\"plugged\",instance=%q} %d", r.exit.LogStream, want)) {
			t.Errorf("environment %d: .prom %v\n%s", i, err, prom)
		}
		if len(r.lines(`^telemetry: \d+ invocations`)) != 1 {
			t.Errorf("environment %d: no summary line in the stream:\n%s", i, r.log())
		}
	}
}

// TestExtensionInstrumented: an extension that spins without calling the host, after INVOKE
// and after SHUTDOWN, is metered like a function: the invocation's deadline recycles the
// environment, and the shutdown budget stops the extension.
func TestExtensionInstrumented(t *testing.T) {
	body := `{"events":["INVOKE","SHUTDOWN"]}`
	spin := guesttest.WAT(t, fmt.Sprintf(`(module
  (import "wasmap_extension_v1" "register" (func $register (param i32 i32 i32 i32) (result i32)))
  (import "wasmap_extension_v1" "next" (func $next (result i64)))
  (memory (export "memory") 1)
  (data (i32.const 0) "spin")
  (data (i32.const 64) %q)
  (func (export "_start")
    (drop (call $register (i32.const 0) (i32.const 4) (i32.const 64) (i32.const %d)))
    (drop (call $next))
    (loop $l (br $l))))`, body, len(body)))
	f := load(t, guest(t), execenv.Config{Timeout: 200 * time.Millisecond, Extensions: []execenv.Extension{{Name: "spin", Wasm: spin}}})
	start := time.Now()
	r := serveOne(t, context.Background(), f, `{"op":"echo","value":1}`, `{"op":"echo","value":2}`)
	if el := time.Since(start); el > 5*time.Second {
		t.Errorf("took %v", el)
	}
	if len(r.tasks) != 1 || r.tasks[0].Err != nil {
		t.Errorf("tasks %+v: the response stands", r.tasks)
	}
	if r.exit.Reason != "timeout" || len(r.lines(`^REPORT .*Status: timeout\t$`)) != 1 {
		t.Errorf("exit %+v\n%s", r.exit, r.log())
	}
	if d := r.exit.ShutdownDuration; d < 1900*time.Millisecond || d > 4*time.Second {
		t.Errorf("ShutdownDuration %v, want the 2 s budget", d)
	}
}

// TestExtensionLoadErrors: Load refuses bad extension modules and configurations.
func TestExtensionLoadErrors(t *testing.T) {
	good := watExtension(t, "x", "INVOKE")
	cases := []struct {
		name string
		exts []execenv.Extension
		want string
	}{
		{"runtime import", []execenv.Extension{{Name: "x", Wasm: guesttest.WAT(t, `(module (import "wasmap_runtime_v1" "next" (func (result i64))) (memory (export "memory") 1) (func (export "_start")))`)}}, "wasmap_runtime_v1.next"},
		{"no _start", []execenv.Extension{{Name: "x", Wasm: guesttest.WAT(t, `(module (memory (export "memory") 1))`)}}, "_start"},
		{"bad signature", []execenv.Extension{{Name: "x", Wasm: guesttest.WAT(t, `(module (import "wasmap_telemetry_v1" "next" (func (result i32))) (memory (export "memory") 1) (func (export "_start")))`)}}, "signature"},
		{"same name", []execenv.Extension{{Name: "x", Wasm: good}, {Name: "x", Wasm: good}}, `two extensions are named "x"`},
		{"eleven", slices.Repeat([]execenv.Extension{{Name: "x", Wasm: good}}, 11), "Extension.TooManyExtensions"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := execenv.Load(context.Background(), guesttest.WAT(t, watEcho), execenv.Config{Name: "f", Extensions: c.exts})
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("err = %v, want one mentioning %q", err, c.want)
			}
		})
	}
	if _, err := execenv.Load(context.Background(), guesttest.WAT(t, watEcho), execenv.Config{Name: "f", LogFormat: "xml"}); err == nil {
		t.Error("log format xml accepted")
	}
}
