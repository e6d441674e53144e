package execenv

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental"
	"github.com/tetratelabs/wazero/sys"

	"github.com/wasmap/wasmap/abi"
)

// Task is one invocation of the function on an item or a batch.
//
// The caller fills Index and Event and sends the Task on the work channel. The environment that
// takes it fills the rest and passes it to the done callback exactly once; after that it never
// touches the Task again.
type Task struct {
	Index int64  // position of the item (or the first item of the batch)
	Event []byte // the child input, compact JSON
	Ref   any    // the caller's own data; the environment never touches it
	// StateTimeout, when positive and shorter than the function's timeout, is a Step Functions
	// Task's TimeoutSeconds: the invocation is stopped when it elapses and fails with
	// States.Timeout (and an empty cause), as the Task state would, instead of Sandbox.Timedout.
	StateTimeout time.Duration

	RequestID    string        // a UUID per invocation
	Output       []byte        // the response JSON; nil when Err is set
	Err          *Error        // the failure, or nil
	Start, Stop  time.Time     // invoke start and the moment the result was recorded
	ColdStart    bool          // this invocation's environment initialised for it
	InitDuration time.Duration // INIT phase length, on cold starts
	Env          int           // the environment's number
	LogStream    string        // the environment's log stream name (AWS_LAMBDA_LOG_STREAM_NAME)
	Logs         []byte        // what the guest wrote during the invocation, line by line
	LogsDropped  int           // bytes of logs dropped over the per-invocation cap
	MaxMemory    uint64        // the environment's linear memory after the invocation (its peak)
	Skipped      bool          // Queue.Accept refused it: it never ran
}

// Queue connects environments to the caller's work.
type Queue struct {
	// Work is shared by all environments of a function; closing it shuts them down. Ignored
	// when Pull is set.
	Work <-chan *Task
	// Pull, when set, is called instead of receiving from Work, from the environment's
	// goroutine: it blocks until there is a Task, or reports false to shut the environment
	// down. It lets a caller do its dispatching on the environments' own goroutines, with no
	// hand-off between goroutines per Task.
	Pull func() (*Task, bool)
	// Done receives every Task an environment took, exactly once, from the environment's
	// goroutine, before that environment takes another Task.
	Done func(*Task)
	// Accept, when set, is asked about each Task taken from Work just before it would start. A
	// refused Task is passed to Done unrun, with Skipped set. It lets a caller that stopped
	// dispatching leave the Tasks already queued unstarted.
	Accept func(*Task) bool
	// Log, when set, receives the environment's log stream, as CloudWatch would hold it, in
	// Config.LogFormat: the platform's lines (START, END, REPORT, INIT_REPORT, EXTENSION,
	// TELEMETRY; or their JSON records), the function's and the extensions' lines. events is
	// one or more whole lines, each ending in '\n', valid only during the call. Calls for one
	// environment never overlap and come in stream order, from the environment's goroutines:
	// at the end of INIT, of each invocation (after its REPORT), of SHUTDOWN, and whenever
	// 64 KiB have gathered. With Log set, Task.Logs stays nil. See lifecycle_logs.go.
	Log func(env int, stream string, events []byte)
	// Report, when set, receives each invocation's report when its invoke phase has ended:
	// the function is back in next and every extension registered for INVOKE too (or the
	// environment ended during it). That is after Done got the Task. r is valid only during
	// the call.
	Report func(r *Report)
}

// Duration is the invocation's length, as in REPORT's Duration.
func (t *Task) Duration() time.Duration { return t.Stop.Sub(t.Start) }

// Error is a failed invocation as Step Functions reports it: Type becomes the child's Error and
// Cause its Cause (the Lambda error body, JSON text).
type Error struct {
	Type  string
	Cause string
	// Recycled is true when the failure also ended the environment (trap, timeout, exit, OOM).
	Recycled bool
	// Aborted is true when the run was stopped (Ctrl-C) while the task ran.
	Aborted bool
}

func (e *Error) Error() string { return e.Type + ": " + e.Cause }

// Exit says why an environment ended.
type Exit struct {
	// Reason is Lambda's shutdown reason: "spindown" (no more work), "timeout" or "failure".
	Reason string
	// InitFailed is true when the environment never finished INIT.
	InitFailed bool
	// Err describes the fault, if any.
	Err error
	// LogStream is the environment's log stream name (AWS_LAMBDA_LOG_STREAM_NAME).
	LogStream string
	// ShutdownDuration is how long the SHUTDOWN phase took: from the function's end until
	// every extension had ended (0 without extensions).
	ShutdownDuration time.Duration
}

type envKey struct{}

type fault int

const (
	faultNone fault = iota
	faultTimeout
	faultAborted
)

// maxLogBytes caps the logs kept per invocation.
const maxLogBytes = 1 << 20

// environment is one instance of the function. All fields are used by the environment's own
// goroutine only, except abort.
type environment struct {
	f  *Function
	id int
	q  Queue

	mod        api.Module
	base       time.Time
	deadline   int64 // monotonic ns since base; the current phase's deadline
	abort      atomic.Bool
	fault      fault
	oom        bool
	timeoutFor string // what the deadline bounds: "Task" or "Init"

	initialized bool
	initStart   time.Time
	initDur     time.Duration
	initErr     *Error // set by init_error
	cold        bool   // the next invocation is this environment's first

	cur      *Task // the current invocation, until it is answered
	invoking bool  // between next returning an event and the next call to next
	ctxJSON  []byte
	logs     []byte
	dropped  int
	rnd      *rand.Rand
	shutdown bool
	stream   string // the log stream name, AWS_LAMBDA_LOG_STREAM_NAME
	// objects holds the open object handles (objects.go).
	objects objectTable
	// lc drives extensions, telemetry and the log stream (lifecycle.go); nil when the
	// function has no extensions and the Queue no Log or Report: the warm path then never
	// reaches it.
	lc *lifecycle
}

// Serve runs one execution environment in the calling goroutine until q.Work is closed (reason
// "spindown"), ctx is cancelled, or a fault ends it. It takes Tasks from q.Work one at a time.
// When INIT fails, the environment takes one Task and fails it with the init error, as Lambda
// fails the invocation that waited for the environment.
//
// Cancelling ctx aborts the running invocation (its Error has Aborted set) and ends the
// environment; Tasks still in the channel are left there.
func (f *Function) Serve(ctx context.Context, id int, q Queue) Exit {
	e := &environment{f: f, id: id, q: q, cold: true,
		rnd: rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), uint64(id)))}
	stop := context.AfterFunc(ctx, func() { e.abort.Store(true) })
	defer stop()
	defer e.releaseObjects()

	e.base = time.Now()
	e.initStart = e.base
	e.deadline = int64(f.cfg.InitTimeout)
	e.timeoutFor = "Init"

	cfg := wazero.NewModuleConfig().
		WithName("").
		WithArgs(f.cfg.Name).
		WithStdout(logWriter{e}).
		WithStderr(logWriter{e}).
		WithSysWalltime().
		WithSysNanotime().
		WithNanosleep(e.nanosleep).
		WithRandSource(cryptoRand{}).
		WithStartFunctions("_start")
	for _, kv := range f.env {
		cfg = cfg.WithEnv(kv[0], kv[1])
	}
	e.stream = e.base.UTC().Format("2006/01/02") + "/[$LATEST]" + e.hex(32)
	cfg = cfg.WithEnv("AWS_LAMBDA_LOG_STREAM_NAME", e.stream)

	runCtx := context.WithValue(context.Background(), envKey{}, e)
	if f.alloc != nil {
		runCtx = experimental.WithMemoryAllocator(runCtx, f.alloc)
	}
	if len(f.exts) > 0 || q.Log != nil || q.Report != nil {
		e.lc = newLifecycle(e, ctx)
	}
	var err error
	if e.lc == nil || e.lc.initExtensions() {
		var mod api.Module
		mod, err = f.rt.InstantiateModule(runCtx, f.compiled, cfg)
		if mod != nil {
			_ = mod.Close(runCtx)
		}
	}
	exit := e.finish(err)
	exit.LogStream = e.stream
	if e.lc != nil {
		e.lc.end(&exit)
	}
	return exit
}

// finish turns the end of the guest's entry point into the environment's Exit, failing the
// current invocation (or, after a failed init, one waiting invocation) with Lambda's error.
func (e *environment) finish(err error) Exit {
	exit := Exit{Reason: "failure", Err: err}
	var fe *Error
	switch {
	case e.lc != nil && e.lc.failed() != nil: // an extension's failure, or its overrun
		lf := e.lc.failed()
		exit.Reason = lf.reason
		exit.Err = errors.New(lf.err.Type + ": " + lf.err.Cause)
		fe = lf.err
	case e.fault == faultAborted:
		exit.Reason = "spindown"
		fe = &Error{Type: "States.Aborted", Cause: "the map run was stopped while this invocation ran", Aborted: true}
	case e.fault == faultTimeout && e.timeoutFor == "State":
		exit.Reason = "timeout"
		fe = &Error{Type: "States.Timeout"} // a Task state's TimeoutSeconds: Step Functions gives no cause
	case e.fault == faultTimeout:
		exit.Reason = "timeout"
		limit := e.f.cfg.Timeout
		if e.timeoutFor == "Init" {
			limit = e.f.cfg.InitTimeout
		}
		fe = &Error{Type: abi.ErrSandboxTimedout, Cause: errorBody(abi.ErrSandboxTimedout,
			fmt.Sprintf("RequestId: %s Error: %s timed out after %.2f seconds", "%s", e.timeoutFor, limit.Seconds()))}
	case e.oom:
		fe = &Error{Type: abi.ErrRuntimeOutOfMemory, Cause: errorBody(abi.ErrRuntimeOutOfMemory,
			fmt.Sprintf("RequestId: %%s Error: Runtime exited with error: out of memory (limit %d MB)", e.f.cfg.MemoryMB))}
	case e.initErr != nil && !e.initialized:
		fe = e.initErr
	case err == nil:
		if e.shutdown {
			exit.Reason = "spindown"
			exit.Err = nil
		} else {
			exit.Err = errors.New("runtime exited without providing a reason")
		}
		fe = &Error{Type: abi.ErrRuntimeExitError, Cause: errorBody(abi.ErrRuntimeExitError,
			"RequestId: %s Error: Runtime exited without providing a reason")}
	default:
		var ee *sys.ExitError
		msg := ""
		if errors.As(err, &ee) {
			msg = "exit status " + strconv.FormatUint(uint64(ee.ExitCode()), 10)
		} else {
			msg = "signal: " + trapName(err)
		}
		fe = &Error{Type: abi.ErrRuntimeExitError, Cause: errorBody(abi.ErrRuntimeExitError,
			"RequestId: %s Error: Runtime exited with error: "+msg)}
	}
	fe.Recycled = true
	if !e.initialized {
		exit.InitFailed = true
		if exit.Err == nil {
			exit.Err = errors.New("init ended before the first next")
		}
		if e.lc != nil {
			e.lc.initFailed(fe)
		}
		if !e.runAborted() {
			if t, ok := e.take(); ok {
				e.begin(t)
				e.fail(fe)
			}
		}
		return exit
	}
	if e.cur != nil {
		e.fail(fe)
	}
	return exit
}

// trapName turns a wazero trap error into a short reason.
func trapName(err error) string {
	s := err.Error()
	if i := strings.Index(s, "wasm error: "); i >= 0 {
		s = s[i+len("wasm error: "):]
	}
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return "wasm trap: " + s
}

// errorBody builds a Lambda error body. msg may hold one %s for the request id, filled in fail.
func errorBody(typ, msg string) string {
	b, _ := json.Marshal(abi.ErrorResponse{ErrorMessage: msg, ErrorType: typ})
	return string(b)
}

func (e *environment) now() int64 { return int64(time.Since(e.base)) }

// begin makes t the current invocation and renders its context JSON.
func (e *environment) begin(t *Task) {
	t.Start = time.Now()
	t.Env = e.id
	t.LogStream = e.stream
	if e.cold {
		e.cold = false
		t.ColdStart = true
		t.InitDuration = e.initDur
	}
	e.timeoutFor = "Task"
	limit := e.f.cfg.Timeout
	if t.StateTimeout > 0 && t.StateTimeout < limit {
		limit = t.StateTimeout
		e.timeoutFor = "State"
	}
	e.deadline = int64(t.Start.Sub(e.base)) + int64(limit)
	e.cur = t
	e.invoking = true
	e.logs = e.logs[:0]
	e.dropped = 0
	b := append(e.ctxJSON[:0], `{"requestId":"`...)
	b = e.appendUUID(b)
	t.RequestID = string(b[len(b)-36:])
	b = append(b, `","deadlineMs":`...)
	b = strconv.AppendInt(b, t.Start.Add(e.f.cfg.Timeout).UnixMilli(), 10)
	b = append(b, `,"invokedFunctionArn":`...)
	b = append(b, e.f.arnJSON...)
	b = append(b, `,"traceId":"Root=1-`...)
	b = strconv.AppendUint(b, uint64(t.Start.Unix()), 16)
	b = append(b, '-')
	b = e.appendHex(b, 24)
	b = append(b, ";Parent="...)
	b = e.appendHex(b, 16)
	b = append(b, `;Sampled=0"}`...)
	e.ctxJSON = b
	if e.lc != nil {
		e.lc.begin(t)
	}
}

// complete records the current invocation's result and hands the Task back.
func (e *environment) complete() {
	e.releaseObjects()
	t := e.cur
	e.cur = nil
	t.Stop = time.Now()
	if len(e.logs) > 0 {
		t.Logs = append([]byte(nil), e.logs...)
	}
	t.LogsDropped = e.dropped
	if e.mod != nil {
		t.MaxMemory = uint64(e.mod.Memory().Size())
	}
	if e.lc != nil {
		e.lc.complete(t)
	}
	e.q.Done(t)
}

// take receives the next Task that Accept lets start, handing refused ones back unrun.
func (e *environment) take() (*Task, bool) {
	if e.q.Pull != nil {
		return e.q.Pull()
	}
	for {
		t, ok := <-e.q.Work
		if !ok || e.q.Accept == nil || e.q.Accept(t) {
			return t, ok
		}
		t.Skipped = true
		e.q.Done(t)
	}
}

func (e *environment) fail(fe *Error) {
	t := e.cur
	f := *fe
	if strings.Contains(f.Cause, "%s") {
		f.Cause = strings.Replace(f.Cause, "%s", t.RequestID, 1)
	}
	t.Err = &f
	t.Output = nil
	e.complete()
}

const hexDigits = "0123456789abcdef"

// appendHex appends n (at most 32) random hex digits.
func (e *environment) appendHex(b []byte, n int) []byte {
	for i := 0; i < n; i += 16 {
		v := e.rnd.Uint64()
		for j := i; j < i+16 && j < n; j++ {
			b = append(b, hexDigits[v&15])
			v >>= 4
		}
	}
	return b
}

// hex returns n random hex digits.
func (e *environment) hex(n int) string { return string(e.appendHex(nil, n)) }

// appendUUID appends a random (version 4) UUID from the environment's fast generator: request
// ids need to be unique, not secret.
func (e *environment) appendUUID(b []byte) []byte {
	var r [16]byte
	binary.LittleEndian.PutUint64(r[:8], e.rnd.Uint64())
	binary.LittleEndian.PutUint64(r[8:], e.rnd.Uint64())
	r[6] = r[6]&0x0f | 0x40 // version 4
	r[8] = r[8]&0x3f | 0x80 // RFC 4122 variant
	var u [36]byte
	hex.Encode(u[0:8], r[0:4])
	u[8] = '-'
	hex.Encode(u[9:13], r[4:6])
	u[13] = '-'
	hex.Encode(u[14:18], r[6:8])
	u[18] = '-'
	hex.Encode(u[19:23], r[8:10])
	u[23] = '-'
	hex.Encode(u[24:], r[10:])
	return append(b, u[:]...)
}

// nanosleep sleeps for real, but never past the current deadline and not after an abort, so
// a sleeping guest is stopped on time by the next meter check.
func (e *environment) nanosleep(ns int64) {
	if left := e.deadline - e.now(); ns > left {
		ns = left
	}
	for ns > 0 && !e.abort.Load() {
		step := ns
		if step > int64(50*time.Millisecond) {
			step = int64(50 * time.Millisecond)
		}
		time.Sleep(time.Duration(step))
		ns -= step
	}
}

// logWriter appends the guest's stdout and stderr to the current invocation's logs.
type logWriter struct{ e *environment }

func (w logWriter) Write(p []byte) (int, error) {
	e := w.e
	if e.lc != nil {
		e.lc.functionLog(p)
		if e.q.Log != nil {
			return len(p), nil
		}
	}
	if room := maxLogBytes - len(e.logs); len(p) > room {
		if room > 0 {
			e.logs = append(e.logs, p[:room]...)
		}
		e.dropped += len(p) - max(room, 0)
		return len(p), nil
	}
	e.logs = append(e.logs, p...)
	return len(p), nil
}

// runAborted reports whether the run was stopped (Ctrl-C): the abort flag is set and no
// extension's failure set it.
func (e *environment) runAborted() bool {
	return e.abort.Load() && (e.lc == nil || e.lc.failed() == nil)
}

// abortError is the error of an invocation that an abort kept from running: the run was
// stopped, or an extension failed while the environment waited for work.
func (e *environment) abortError() *Error {
	if e.lc != nil {
		if lf := e.lc.failed(); lf != nil {
			return lf.err
		}
	}
	return &Error{Type: "States.Aborted", Cause: "the map run was stopped", Aborted: true}
}

// stop ends the guest's call from inside a host function.
func (e *environment) stop(ctx context.Context, mod api.Module, f fault) {
	e.fault = f
	_ = mod.CloseWithExitCode(ctx, 255)
	panic(sys.NewExitError(255))
}
