package execenv

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wasmap/wasmap/abi"
)

// The lifecycle of an execution environment with extensions, as Lambda's (reference §3):
//
//	InitExtensions  the extensions start; INIT waits until each has registered
//	InitRuntime     the function initialises (the extensions go on with their own init)
//	InitReady       the function called next; INIT waits until each extension is in next
//	Idle            frozen between invocations: no telemetry is delivered
//	Invoking        the function runs an invocation; INVOKE went to the extensions first
//	PostRuntime     the function called next; the phase waits for the INVOKE extensions
//	InitFailed      INIT failed; one waiting invocation is failed with its error
//	Shutdown        SHUTDOWN goes to the extensions registered for it, with Lambda's budget
//	Ended
//
// Each state embeds envDisallowed and overrides only its legal transitions: an illegal one
// returns ErrNotAllowed and leaves the state as it was (lifecycle.to records it). Shutdown is
// legal once, from any state but Shutdown and Ended: that is what makes SHUTDOWN go out
// exactly once per environment.
//
// The lifecycle runs on the environment's goroutine, inside the function's host calls
// (hostNext, begin, complete) and around the function's instance in Serve. Extension
// instances run on goroutines of their own (extensions.go) and meet it under lifecycle.mu.

// ErrNotAllowed is an illegal state transition, in RIE's words.
//
//lint:ignore ST1005 RIE's message, as Lambda's errors quote it
var ErrNotAllowed = errors.New("State transition is not allowed")

// envState is a state of the environment's lifecycle.
type envState interface {
	String() string
	registered() (envState, error)     // every extension registered: the function starts
	runtimeReady() (envState, error)   // the function's first next
	ready() (envState, error)          // every extension is in next: INIT is over
	initFailed() (envState, error)     // INIT failed
	invoke() (envState, error)         // an invocation starts
	runtimeDone() (envState, error)    // the function is back in next
	extensionsDone() (envState, error) // the INVOKE extensions are back in next
	shutdown() (envState, error)       // the function has ended: SHUTDOWN
	ended() (envState, error)          // every extension has ended
}

// envDisallowed refuses every transition.
type envDisallowed struct{}

func (envDisallowed) registered() (envState, error)     { return nil, ErrNotAllowed }
func (envDisallowed) runtimeReady() (envState, error)   { return nil, ErrNotAllowed }
func (envDisallowed) ready() (envState, error)          { return nil, ErrNotAllowed }
func (envDisallowed) initFailed() (envState, error)     { return nil, ErrNotAllowed }
func (envDisallowed) invoke() (envState, error)         { return nil, ErrNotAllowed }
func (envDisallowed) runtimeDone() (envState, error)    { return nil, ErrNotAllowed }
func (envDisallowed) extensionsDone() (envState, error) { return nil, ErrNotAllowed }
func (envDisallowed) shutdown() (envState, error)       { return nil, ErrNotAllowed }
func (envDisallowed) ended() (envState, error)          { return nil, ErrNotAllowed }

// envLive adds the one transition every live state allows: SHUTDOWN.
type envLive struct{ envDisallowed }

func (envLive) shutdown() (envState, error) { return envShutdown{}, nil }

type envInitExtensions struct{ envLive }

func (envInitExtensions) String() string                { return "InitExtensions" }
func (envInitExtensions) registered() (envState, error) { return envInitRuntime{}, nil }
func (envInitExtensions) initFailed() (envState, error) { return envInitFailed{}, nil }

type envInitRuntime struct{ envLive }

func (envInitRuntime) String() string                  { return "InitRuntime" }
func (envInitRuntime) runtimeReady() (envState, error) { return envInitReady{}, nil }
func (envInitRuntime) initFailed() (envState, error)   { return envInitFailed{}, nil }

type envInitReady struct{ envLive }

func (envInitReady) String() string                { return "InitReady" }
func (envInitReady) ready() (envState, error)      { return envIdle{}, nil }
func (envInitReady) initFailed() (envState, error) { return envInitFailed{}, nil }

type envInitFailed struct{ envLive }

func (envInitFailed) String() string            { return "InitFailed" }
func (envInitFailed) invoke() (envState, error) { return envInvoking{}, nil }

type envIdle struct{ envLive }

func (envIdle) String() string            { return "Idle" }
func (envIdle) invoke() (envState, error) { return envInvoking{}, nil }

type envInvoking struct{ envLive }

func (envInvoking) String() string                 { return "Invoking" }
func (envInvoking) runtimeDone() (envState, error) { return envPostRuntime{}, nil }

type envPostRuntime struct{ envLive }

func (envPostRuntime) String() string                    { return "PostRuntime" }
func (envPostRuntime) extensionsDone() (envState, error) { return envIdle{}, nil }

type envShutdown struct{ envDisallowed }

func (envShutdown) String() string           { return "Shutdown" }
func (envShutdown) ended() (envState, error) { return envEnded{}, nil }

type envEnded struct{ envDisallowed }

func (envEnded) String() string { return "Ended" }

// Report is an invocation's report, given to Queue.Report when its invoke phase has ended:
// Lambda's platform.report and REPORT line, with the extensions' share measured.
type Report struct {
	Env       int
	LogStream string
	RequestID string
	Index     int64 // the Task's Index
	Ref       any   // the Task's Ref
	Start     time.Time
	// RuntimeDuration runs from invoke start until the function asked for its next event (or
	// ended): platform.runtimeDone's durationMs.
	RuntimeDuration time.Duration
	// PostRuntimeExtensionsDuration runs from then until the last extension registered for
	// INVOKE was back in next (0 when none came back later than the function): Lambda's
	// PostRuntimeExtensionsDuration metric, RIE's extensionOverhead span.
	PostRuntimeExtensionsDuration time.Duration
	// Duration is the whole invoke phase, runtime plus extensions: REPORT's Duration.
	Duration time.Duration
	// BilledDuration is REPORT's Billed Duration: Duration plus, on a cold start, the init
	// duration, rounded up to the millisecond.
	BilledDuration time.Duration
	ColdStart      bool
	InitDuration   time.Duration // on cold starts
	MemorySizeMB   int
	// MaxMemoryUsed is the environment's linear memory in bytes, the function's and every
	// extension's, at the phase's end (memories only grow, so it is their peak): Max Memory
	// Used.
	MaxMemoryUsed uint64
	// Status is platform.report's status: "success", "error", "failure" or "timeout";
	// ErrorType is set with "error" and "failure".
	Status, ErrorType string
}

// lifecycle is an environment's lifecycle: its extensions, its telemetry and its log stream.
type lifecycle struct {
	e      *environment
	f      *Function
	state  envState // the environment's goroutine only
	bad    error    // the first illegal transition: a bug
	done   <-chan struct{}
	shared bool // there are extensions: mu guards what is marked (mu)
	timer  *time.Timer
	exts   []*extInstance

	mu      sync.Mutex
	changed chan struct{} // an extension changed state; capacity 1
	failure atomic.Pointer[lcFailure]

	frozen     bool       // (mu) between invocations: no telemetry is delivered
	shutting   bool       // (mu) SHUTDOWN has begun: buffered telemetry is due at once
	initOpen   bool       // (mu) registration and subscription are open
	initEvents eventQueue // (mu) every event since the start while initOpen, for new subscribers
	subs       []*subscription

	// The log stream (mu when shared).
	logFn   func(env int, stream string, events []byte)
	chunk   []byte
	json    bool
	fnCarry []byte // the function's unfinished line
	scratch []byte // an event being rendered
	rec     []byte // a record being rendered

	// The environment's goroutine only.
	inv          invocation
	report       Report
	reportFn     func(*Report)
	initReported bool
	invokeExts   bool      // some extension registered for INVOKE
	lastReady    time.Time // see waitInvoke
}

// lcFailure is what ends an environment because of its extensions.
type lcFailure struct {
	err    *Error // the error of the invocation it fails (Cause may hold %s for the request id)
	reason string // the shutdown reason
	status string // platform status: "error" or "timeout"
}

// invocation is the lifecycle's record of the current invocation.
type invocation struct {
	active    bool
	requestID string
	index     int64
	ref       any
	start     time.Time
	cold      bool
	initDur   time.Duration
	responded time.Time
	produced  int
	answered  bool   // the Task was handed to Done
	status    string // platform status
	errType   string
	header    string // the function's normalised error-type header
	recycled  bool
	doneAt    time.Time // the function's next
}

func newLifecycle(e *environment, ctx context.Context) *lifecycle {
	lc := &lifecycle{e: e, f: e.f, state: envInitExtensions{}, done: ctx.Done(),
		shared: len(e.f.exts) > 0, changed: make(chan struct{}, 1),
		logFn: e.q.Log, reportFn: e.q.Report, json: e.f.cfg.LogFormat == LogFormatJSON,
		initOpen: true}
	lc.timer = time.NewTimer(time.Hour)
	lc.timer.Stop()
	for i, ce := range e.f.exts {
		lc.exts = append(lc.exts, newExtInstance(lc, ce, i))
	}
	return lc
}

// to applies a transition, recording an illegal one.
func (lc *lifecycle) to(t func(envState) (envState, error)) bool {
	s, err := t(lc.state)
	if err != nil {
		if lc.bad == nil {
			lc.bad = fmt.Errorf("environment lifecycle: from %s: %w", lc.state, err)
		}
		return false
	}
	lc.state = s
	return true
}

func (lc *lifecycle) lock() {
	if lc.shared {
		lc.mu.Lock()
	}
}

func (lc *lifecycle) unlock() {
	if lc.shared {
		lc.mu.Unlock()
	}
}

// signal tells the environment's goroutine that an extension changed state.
func (lc *lifecycle) signal() {
	select {
	case lc.changed <- struct{}{}:
	default:
	}
}

// failed returns the failure that ends the environment, if any. Any goroutine may call it.
func (lc *lifecycle) failed() *lcFailure { return lc.failure.Load() }

// fail records f as the environment's failure unless one is recorded or SHUTDOWN has begun,
// and stops the function (the abort flag; finish tells the two apart). Called with mu held.
func (lc *lifecycle) fail(f *lcFailure) {
	if lc.shutting || !lc.failure.CompareAndSwap(nil, f) {
		return
	}
	lc.e.abort.Store(true)
	lc.signal()
}

// initDeadline is the end of the INIT phase's budget.
func (lc *lifecycle) initDeadline() time.Time { return lc.e.initStart.Add(lc.f.cfg.InitTimeout) }

// timeoutFailure is the failure of a phase that overran its deadline: INIT's, or an
// invocation's (its extensions were not back in next in time).
func (lc *lifecycle) timeoutFailure(w waitFor) *lcFailure {
	what, limit := "Task", lc.f.cfg.Timeout
	if w != waitInvoke {
		what, limit = "Init", lc.f.cfg.InitTimeout
	}
	return &lcFailure{reason: abi.ShutdownTimeout, status: "timeout", err: &Error{Type: abi.ErrSandboxTimedout, Recycled: true,
		Cause: errorBody(abi.ErrSandboxTimedout, fmt.Sprintf("RequestId: %s Error: %s timed out after %.2f seconds", "%s", what, limit.Seconds()))}}
}

// waitFor is what the environment waits for its extensions to do.
type waitFor int

const (
	waitRegistered waitFor = iota // every extension has registered (INIT)
	waitReady                     // every extension is in next (the end of INIT)
	waitInvoke                    // every INVOKE extension is back in next; lc.lastReady is the last
)

// met reports whether the extensions did w. Called with mu held.
func (lc *lifecycle) met(w waitFor) bool {
	for _, x := range lc.exts {
		switch w {
		case waitRegistered:
			if !x.state.isRegistered() {
				return false
			}
		case waitReady:
			if !x.state.isWaiting() {
				return false
			}
		case waitInvoke:
			if x.events&evInvoke == 0 || !x.state.isLive() {
				continue
			}
			if x.pending || !x.state.isWaiting() {
				return false
			}
			if x.readyAt.After(lc.lastReady) {
				lc.lastReady = x.readyAt
			}
		}
	}
	return true
}

// await waits until the extensions did w. It returns false when an extension fails first,
// when the deadline passes (a timeout failure is recorded), or when the run is stopped (the
// environment then ends as aborted).
func (lc *lifecycle) await(deadline time.Time, w waitFor) bool {
	for {
		if lc.failed() != nil {
			return false
		}
		lc.mu.Lock()
		ok := lc.met(w)
		lc.mu.Unlock()
		if ok {
			return true
		}
		d := time.Until(deadline)
		if d <= 0 {
			lc.mu.Lock()
			lc.fail(lc.timeoutFailure(w))
			lc.mu.Unlock()
			return false
		}
		lc.timer.Reset(d)
		select {
		case <-lc.changed:
		case <-lc.timer.C:
		case <-lc.done:
			lc.timer.Stop()
			lc.e.fault = faultAborted
			return false
		}
		lc.timer.Stop()
	}
}

// initExtensions starts INIT: platform.initStart, then the extensions, and waits until each
// has registered (Lambda starts the runtime only then). False: INIT failed or was stopped.
func (lc *lifecycle) initExtensions() bool {
	lc.lock()
	lc.emitInitStart()
	lc.unlock()
	if len(lc.exts) > 0 {
		for _, x := range lc.exts {
			go x.run()
		}
		if !lc.await(lc.initDeadline(), waitRegistered) {
			return false
		}
	}
	return lc.to(envState.registered)
}

// runtimeNext is the function's next: the end of INIT's runtime part, or of an invocation's.
// It waits for the extensions and reports. False: the environment must end (an extension
// failed or overran, or the run was stopped).
func (lc *lifecycle) runtimeNext() bool {
	switch lc.state.(type) {
	case envInitRuntime:
		return lc.initEnd()
	case envInvoking:
		return lc.invokeEnd()
	case envInitReady, envPostRuntime: // an earlier wait failed: still ending
		return false
	}
	return true
}

// initEnd ends INIT once every registered extension is in next.
func (lc *lifecycle) initEnd() bool {
	lc.to(envState.runtimeReady)
	lc.lock()
	lc.emitInitRuntimeDone("success", "")
	lc.unlock()
	if len(lc.exts) > 0 && !lc.await(lc.initDeadline(), waitReady) {
		return false
	}
	e := lc.e
	e.initialized = true
	e.initDur = time.Since(e.initStart)
	lc.initReported = true
	lc.lock()
	lc.initOpen = false
	lc.initEvents = eventQueue{}
	lc.emitExtensionStates()
	lc.emitInitReport("success", "", e.initDur)
	for _, x := range lc.exts {
		if x.events&evInvoke != 0 {
			lc.invokeExts = true
		}
	}
	lc.frozen = true
	lc.flush()
	lc.unlock()
	return lc.to(envState.ready)
}

// initFailed reports a failed INIT (from finish, before the waiting invocation is failed).
func (lc *lifecycle) initFailed(fe *Error) {
	if lc.initReported {
		return
	}
	lc.initReported = true
	status, typ := "error", fe.Type
	if fe.Type == abi.ErrSandboxTimedout {
		status, typ = "timeout", ""
	}
	before := lc.state
	lc.to(envState.initFailed)
	lc.lock()
	lc.initOpen = false
	lc.initEvents = eventQueue{}
	switch before.(type) {
	case envInitExtensions, envInitRuntime:
		lc.emitInitRuntimeDone(status, typ)
	}
	lc.emitExtensionStates()
	lc.emitInitReport(status, typ, time.Since(lc.e.initStart))
	lc.unlock()
}

// begin starts an invocation: platform.start and START, and telemetry flows again.
func (lc *lifecycle) begin(t *Task) {
	lc.to(envState.invoke)
	lc.inv = invocation{active: true, requestID: t.RequestID, index: t.Index, ref: t.Ref, start: t.Start,
		cold: t.ColdStart, initDur: t.InitDuration}
	if lc.shared {
		lc.mu.Lock()
		lc.thaw()
		lc.emitStart()
		lc.mu.Unlock()
	} else {
		lc.emitStart()
	}
}

// deliverInvoke releases INVOKE to the extensions registered for it (before the function's
// next returns, as Lambda does).
func (lc *lifecycle) deliverInvoke() {
	if !lc.invokeExts {
		return
	}
	lc.mu.Lock()
	for _, x := range lc.exts {
		if x.events&evInvoke != 0 && x.state.isLive() {
			x.pendBuf = lc.appendInvokeEvent(x.pendBuf[:0])
			x.pending = true
			x.poke()
		}
	}
	lc.mu.Unlock()
}

// complete notes the invocation's outcome as its Task is handed to Done.
func (lc *lifecycle) complete(t *Task) {
	inv := &lc.inv
	inv.answered = true
	inv.responded = t.Stop
	inv.produced = len(t.Output)
	inv.status, inv.errType, inv.recycled = "success", "", false
	if fe := t.Err; fe != nil {
		inv.produced = 0
		inv.recycled = fe.Recycled
		switch {
		case fe.Type == abi.ErrSandboxTimedout:
			inv.status = "timeout"
		case fe.Aborted:
			inv.status, inv.errType = "failure", fe.Type
		case !fe.Recycled && inv.header != "":
			inv.status, inv.errType = "error", inv.header // a function error: the normalised header
		default:
			inv.status, inv.errType = "error", fe.Type
		}
	}
}

// errorHeader notes the Lambda-Runtime-Function-Error-Type of respond_error, normalised as
// Lambda does for telemetry: kept when it holds (Runtime|Function).[A-Z][a-zA-Z]+, else
// Function.Unknown or Runtime.Unknown.
func (lc *lifecycle) errorHeader(h []byte) { lc.inv.header = normaliseErrorType(string(h)) }

func normaliseErrorType(h string) string {
	for i := 0; i < len(h); i++ {
		for _, p := range [...]string{"Runtime.", "Function."} {
			if len(h)-i > len(p)+1 && h[i:i+len(p)] == p && h[i+len(p)] >= 'A' && h[i+len(p)] <= 'Z' {
				j := i + len(p) + 1
				if j < len(h) && isLetter(h[j]) {
					return h
				}
			}
		}
	}
	if len(h) >= 9 && h[:9] == "Function." {
		return abi.ErrFunctionUnknown
	}
	return abi.ErrRuntimeUnknown
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// invokeEnd ends an invocation's phase: platform.runtimeDone, the wait for the INVOKE
// extensions (bounded by the invocation's deadline), then the report.
func (lc *lifecycle) invokeEnd() bool {
	lc.to(envState.runtimeDone)
	if lc.quiet() { // nobody takes the report: only the extensions' lifecycle matters
		lc.inv.active = false
		lc.lock()
		lc.frozen = true
		lc.unlock()
		return lc.to(envState.extensionsDone)
	}
	now := time.Now()
	lc.inv.doneAt = now
	if lc.shared {
		lc.mu.Lock()
		lc.emitRuntimeDone()
		lc.mu.Unlock()
	} else {
		lc.emitRuntimeDone()
	}
	end, ok := now, true
	if lc.invokeExts {
		lc.lastReady = now
		if ok = lc.await(lc.inv.start.Add(lc.f.cfg.Timeout), waitInvoke); ok {
			end = lc.lastReady
		} else {
			end = time.Now()
		}
	}
	lc.reportInvocation(end, end.Sub(now), true)
	if !ok {
		return false
	}
	return lc.to(envState.extensionsDone)
}

// quiet reports whether nothing takes an invocation's events or report: no subscriber, no
// log stream, no Report, no extension registered for INVOKE.
func (lc *lifecycle) quiet() bool {
	if lc.logFn != nil || lc.reportFn != nil || lc.invokeExts {
		return false
	}
	lc.lock()
	defer lc.unlock()
	return !lc.wantEvents()
}

// end runs after the function's instance has ended: the report of an invocation the
// environment ended in, then SHUTDOWN, exactly once.
func (lc *lifecycle) end(exit *Exit) {
	if lc.inv.active {
		now := time.Now()
		inv := &lc.inv
		if _, ok := lc.state.(envInvoking); ok {
			inv.doneAt = now
			if !inv.answered || inv.status == "success" {
				// The function answered, then ended before its next: the environment failed.
				inv.status, inv.errType = "error", abi.ErrRuntimeExitError
				if exit.Reason == abi.ShutdownTimeout {
					inv.status, inv.errType = "timeout", ""
				}
				inv.recycled = true
			}
			lc.to(envState.runtimeDone)
			lc.lock()
			lc.emitRuntimeDone()
			lc.unlock()
		}
		lc.reportInvocation(now, 0, false)
	}
	if !lc.to(envState.shutdown) {
		return
	}
	if len(lc.exts) > 0 {
		start := time.Now()
		lc.shutdownExtensions(exit.Reason, start)
		exit.ShutdownDuration = time.Since(start)
	}
	lc.lock()
	lc.flushCarries()
	lc.flush()
	lc.unlock()
	lc.to(envState.ended)
}

// shutdownBudget is Lambda's: 2 000 ms with an external extension registered, 500 ms with
// internal ones only, 0 with none. Called with mu held.
func (lc *lifecycle) shutdownBudget() time.Duration {
	var internal bool
	for _, x := range lc.exts {
		if !x.state.isRegistered() {
			continue
		}
		if !x.internal {
			return abi.ShutdownBudgetExternalMs * time.Millisecond
		}
		internal = true
	}
	if internal {
		return abi.ShutdownBudgetInternalMs * time.Millisecond
	}
	return 0
}

// shutdownExtensions sends SHUTDOWN to the extensions registered for it, kills the others,
// and waits until all have ended or the budget is spent (the rest are killed).
func (lc *lifecycle) shutdownExtensions(reason string, start time.Time) {
	lc.mu.Lock()
	deadline := start.Add(lc.shutdownBudget())
	lc.shutting = true
	lc.frozen = false
	var kill []*extInstance
	for _, x := range lc.exts {
		x.deadline.Store(int64(deadline.Sub(lc.e.base)))
		switch {
		case x.events&evShutdown != 0 && x.state.isLive():
			x.pendBuf = appendShutdownEvent(x.pendBuf[:0], reason, deadline)
			x.pending = true
			x.shutdownSent = true
			x.poke()
		default:
			kill = append(kill, x)
		}
	}
	lc.mu.Unlock()
	for _, x := range kill {
		x.kill()
	}
	lc.timer.Reset(time.Until(deadline))
	for _, x := range lc.exts {
		select {
		case <-x.done:
		case <-lc.timer.C:
			for _, y := range lc.exts {
				y.kill()
			}
			<-x.done
		}
	}
	lc.timer.Stop()
}

// memoryUsed is the environment's linear memory: the function's and its extensions'.
func (lc *lifecycle) memoryUsed() uint64 {
	var n uint64
	if lc.e.mod != nil {
		n = uint64(lc.e.mod.Memory().Size())
	}
	for _, x := range lc.exts {
		n += x.mem.Load()
	}
	return n
}

// traceOf finds the X-Ray header in the context JSON that begin rendered.
func traceOf(ctxJSON []byte) []byte {
	const key = `"traceId":"`
	for i := 0; i+len(key) <= len(ctxJSON); i++ {
		if string(ctxJSON[i:i+len(key)]) == key {
			rest := ctxJSON[i+len(key):]
			for j, c := range rest {
				if c == '"' {
					return rest[:j]
				}
			}
		}
	}
	return nil
}
