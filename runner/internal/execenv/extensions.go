package execenv

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"
	"github.com/tetratelabs/wazero/sys"

	"github.com/wasmap/wasmap/abi"
	"github.com/wasmap/wasmap/runner/internal/objectio"
)

// Extensions (abi/ABI.md §9): Lambda's external extensions as wasm modules. Each environment
// runs one instance of every Config.Extensions module beside the function, each in its own
// goroutine, instrumented like the function (the meter stops it when it is killed or overruns
// the shutdown budget). An instance talks to the environment through wasmap_extension_v1 and
// wasmap_telemetry_v1 (extensions_host.go, telemetry_host.go), which meet the lifecycle
// (lifecycle.go) under lifecycle.mu.

// Extension is an extension module run beside the function in every environment.
type Extension struct {
	// Name is the extension's name: its file name without ".wasm", as Lambda names an
	// external extension after its executable in /opt/extensions. An instance that registers
	// with this name is external (it may take SHUTDOWN); with another name it is internal.
	Name string
	// Wasm is the module: a WASI command whose main registers and loops on next.
	Wasm []byte
	// Env is added to the function's customer variables (Config.Env) for this extension.
	// Extensions get Lambda's variables except the runtime-only ones (no log group or stream,
	// no _HANDLER, nothing starting with "_").
	Env map[string]string
	// Objects is this extension's object I/O (wasmap_object_v1): WASMAP_OUTPUT_PREFIX is its
	// output location. The caller closes it after the Function. Nil: object calls are ENOTSUP.
	Objects *objectio.Access
}

// checkExtensions validates Config.Extensions.
func checkExtensions(exts []Extension) error {
	if len(exts) > abi.MaxExtensions {
		return fmt.Errorf("%d extensions: %s: Extension limit (%d) reached", len(exts), abi.ErrExtensionTooManyExtensions, abi.MaxExtensions)
	}
	seen := map[string]bool{}
	for _, x := range exts {
		if x.Name == "" {
			return errors.New("an extension has no name")
		}
		if seen[x.Name] {
			return fmt.Errorf("two extensions are named %q", x.Name)
		}
		seen[x.Name] = true
	}
	return nil
}

// compiledExtension is a Config.Extensions module, compiled in Function.extRT.
type compiledExtension struct {
	name     string
	compiled wazero.CompiledModule
	env      [][2]string
	// objects carries the extension's object Access for objects.go, whose host functions
	// find a *environment in the context: an extension instance gives them one of its own,
	// which is always in its INIT phase (its handles live as long as the instance).
	objects *Function
}

// loadExtensions compiles Config.Extensions into a runtime of their own, whose host modules
// serve extension instances.
func (f *Function) loadExtensions(ctx context.Context, rc wazero.RuntimeConfig) error {
	if len(f.cfg.Extensions) == 0 {
		return nil
	}
	rt := wazero.NewRuntimeWithConfig(ctx, rc)
	fail := func(err error) error {
		rt.Close(ctx)
		return err
	}
	if _, err := wasi_snapshot_preview1.Instantiate(ctx, rt); err != nil {
		return fail(err)
	}
	if err := instantiateExtensionHost(ctx, rt); err != nil {
		return fail(err)
	}
	for _, x := range f.cfg.Extensions {
		wasm := x.Wasm
		if f.cfg.Meter == MeterInstrument {
			var err error
			if wasm, err = instrumented(wasm, f.cfg.CacheDir); err != nil {
				return fail(fmt.Errorf("extension %s: %w", x.Name, err))
			}
		}
		compiled, err := rt.CompileModule(ctx, wasm)
		if err != nil {
			return fail(fmt.Errorf("extension %s: compiling module: %w", x.Name, err))
		}
		if err := checkExtensionImports(compiled); err != nil {
			return fail(fmt.Errorf("extension %s: %w", x.Name, err))
		}
		if _, ok := compiled.ExportedFunctions()["_start"]; !ok {
			return fail(fmt.Errorf("extension %s: module exports no _start: an extension module is a command whose main registers and loops on %s.next (see abi/ABI.md §9)", x.Name, abi.ExtensionModule))
		}
		if len(compiled.ImportedMemories()) > 0 {
			return fail(fmt.Errorf("extension %s: module imports a memory: extension modules must define their own", x.Name))
		}
		for _, m := range compiled.ExportedMemories() {
			f.ExtensionsInitialMemoryBytes += uint64(m.Min()) * 65536
		}
		f.exts = append(f.exts, &compiledExtension{name: x.Name, compiled: compiled,
			env: extensionEnv(&f.cfg, x), objects: &Function{cfg: Config{Objects: x.Objects}}})
	}
	f.extRT = rt
	return nil
}

// checkExtensionImports refuses an extension module whose imports this host cannot satisfy.
func checkExtensionImports(compiled wazero.CompiledModule) error {
	for _, fn := range compiled.ImportedFunctions() {
		mod, name, _ := fn.Import()
		switch mod {
		case abi.WASIModule, abi.MeterModule:
			continue
		}
		funcs, ok := abi.ExtensionGuestModules[mod]
		if !ok {
			return fmt.Errorf("module imports %s.%s: an extension may import only %s, %s, %s and %s", mod, name,
				abi.ExtensionModule, abi.TelemetryModule, abi.ObjectModule, abi.WASIModule)
		}
		sig, ok := funcs[name]
		if !ok {
			return fmt.Errorf("module imports %s.%s, which ABI v1 does not define", mod, name)
		}
		if !sig.Matches(fn.ParamTypes(), fn.ResultTypes()) {
			return fmt.Errorf("module imports %s.%s with a signature other than ABI v1's", mod, name)
		}
	}
	return nil
}

// extensionEnv builds an extension's environment: Lambda's variables without the
// runtime-only ones, the customer's and the extension's own, its object locations.
func extensionEnv(c *Config, x Extension) [][2]string {
	cc := *c
	cc.Env = map[string]string{}
	for k, v := range c.Env {
		cc.Env[k] = v
	}
	for k, v := range x.Env {
		cc.Env[k] = v
	}
	var env [][2]string
	for _, kv := range lambdaEnv(&cc) {
		if kv[0] == "AWS_LAMBDA_LOG_GROUP_NAME" || strings.HasPrefix(kv[0], "_") {
			continue
		}
		env = append(env, kv)
	}
	return logFormatEnv(objectEnv(env, x.Objects), c.LogFormat)
}

// logFormatEnv sets AWS_LAMBDA_LOG_FORMAT=JSON for the JSON format, replacing the user's.
func logFormatEnv(env [][2]string, format string) [][2]string {
	if format != LogFormatJSON {
		return env
	}
	out := env[:0:0]
	for _, kv := range env {
		if kv[0] != abi.EnvLogFormat {
			out = append(out, kv)
		}
	}
	return append(out, [2]string{abi.EnvLogFormat, LogFormatJSON})
}

// Event subscriptions of an extension.
const (
	evInvoke uint8 = 1 << iota
	evShutdown
)

// extInstance is one extension instance in one environment. Fields marked (mu) are guarded
// by lc.mu; (own) ones belong to the instance's goroutine.
type extInstance struct {
	lc     *lifecycle
	ce     *compiledExtension
	id     int
	objEnv *environment // for objects.go (see compiledExtension.objects)

	state        extState // (mu)
	name         string   // (mu) as registered
	internal     bool     // (mu)
	events       uint8    // (mu) evInvoke, evShutdown
	readyAt      time.Time
	pending      bool   // (mu) pendBuf holds an event not yet taken
	pendBuf      []byte // (mu) the next event; the environment writes it while !pending
	shutdownSent bool   // (mu)
	sub          *subscription
	errType      string // (mu) the error type of init_error or exit_error
	carry        []byte // (mu) an unfinished log line

	body  []byte // (own) the extension module's last response
	tbody []byte // (own) the telemetry module's last response
	oom   bool   // (own)

	wake     chan struct{} // capacity 1: something changed for the instance
	stop     chan struct{} // closed by kill
	stopOnce sync.Once
	killed   atomic.Bool
	deadline atomic.Int64 // ns since the environment's base: the meter stops the instance after it
	mem      atomic.Uint64
	done     chan struct{} // closed when the instance's goroutine has returned
	timer    *time.Timer
	ctx      context.Context // cancelled by kill (it stops a MeterContextDone instance)
	cancel   context.CancelFunc
}

type extKey struct{}

func extOf(ctx context.Context) *extInstance { return ctx.Value(extKey{}).(*extInstance) }

func newExtInstance(lc *lifecycle, ce *compiledExtension, id int) *extInstance {
	x := &extInstance{lc: lc, ce: ce, id: id, state: extStarted{}, objEnv: &environment{f: ce.objects},
		wake: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	x.deadline.Store(math.MaxInt64)
	x.ctx, x.cancel = context.WithCancel(context.Background())
	x.timer = time.NewTimer(time.Hour)
	x.timer.Stop()
	return x
}

// poke wakes the instance if it waits in next.
func (x *extInstance) poke() {
	select {
	case x.wake <- struct{}{}:
	default:
	}
}

// kill stops the instance: a wait in next ends, and the meter ends any other code.
func (x *extInstance) kill() {
	x.stopOnce.Do(func() {
		x.killed.Store(true)
		close(x.stop)
		x.cancel()
	})
}

// terminate ends the instance's call from inside a host function.
func (x *extInstance) terminate(ctx context.Context, mod api.Module) {
	x.killed.Store(true)
	_ = mod.CloseWithExitCode(ctx, 255)
	panic(sys.NewExitError(255))
}

// run is the instance's goroutine: the module's entry point, from start to end.
func (x *extInstance) run() {
	defer close(x.done)
	lc := x.lc
	ctx := context.WithValue(context.WithValue(x.ctx, extKey{}, x), envKey{}, x.objEnv)
	if lc.f.alloc != nil {
		ctx = experimental.WithMemoryAllocator(ctx, lc.f.alloc)
	}
	cfg := wazero.NewModuleConfig().
		WithName("").
		WithArgs(x.ce.name).
		WithStdout(extLogWriter{x}).
		WithStderr(extLogWriter{x}).
		WithSysWalltime().
		WithSysNanotime().
		WithNanosleep(x.nanosleep).
		WithRandSource(cryptoRand{}).
		WithStartFunctions("_start")
	for _, kv := range x.ce.env {
		cfg = cfg.WithEnv(kv[0], kv[1])
	}
	mod, err := lc.f.extRT.InstantiateModule(ctx, x.ce.compiled, cfg)
	if mod != nil {
		_ = mod.Close(context.Background())
	}
	x.cancel()
	x.objEnv.releaseObjects()
	x.exited(err)
}

// exited records the end of the instance's module. An end before SHUTDOWN is a failure of
// the environment: Extension.Crash (Extension.LaunchError when the module could not start).
func (x *extInstance) exited(err error) {
	lc := x.lc
	lc.mu.Lock()
	defer lc.mu.Unlock()
	defer lc.signal()
	if len(x.carry) > 0 {
		lc.line(x, x.carry)
		x.carry = x.carry[:0]
	}
	if x.killed.Load() || lc.shutting {
		if x.shutdownSent && x.killed.Load() {
			x.setState(extState.shutdownFailed)
		} else {
			x.setState(extState.exit)
		}
		return
	}
	var msg, typ string
	var ee *sys.ExitError
	switch x.state.(type) {
	case extInitError, extExitError:
		return // the failure was recorded by init_error or exit_error
	}
	switch {
	case err == nil:
		msg, typ = "exit code 0", abi.ErrExtensionCrash
	case errors.As(err, &ee):
		if ee.ExitCode() == 0 {
			msg = "exit code 0"
		} else {
			msg = "exit status " + strconv.FormatUint(uint64(ee.ExitCode()), 10)
		}
		typ = abi.ErrExtensionCrash
	case x.oom:
		msg, typ = "out of memory", abi.ErrExtensionCrash
	case strings.Contains(err.Error(), "wasm error"):
		msg, typ = "signal: "+trapName(err), abi.ErrExtensionCrash
	default:
		msg, typ = err.Error(), abi.ErrExtensionLaunchError
	}
	if typ == abi.ErrExtensionLaunchError {
		x.setState(extState.launchError)
	} else {
		x.setState(extState.exit)
	}
	x.errType = typ
	lc.fail(&lcFailure{reason: abi.ShutdownFailure, status: "error", err: &Error{Type: typ, Recycled: true,
		Cause: errorBody(typ, "RequestId: %s Error: Extension "+x.ce.name+" exited with error: "+msg)}})
}

// setState applies an extension transition (mu held); an illegal one is ignored.
func (x *extInstance) setState(t func(extState) (extState, error)) bool {
	s, err := t(x.state)
	if err != nil {
		return false
	}
	x.state = s
	return true
}

// nanosleep sleeps for real, but never past the instance's deadline and not once killed.
func (x *extInstance) nanosleep(ns int64) {
	e := x.lc.e
	if left := x.deadline.Load() - e.now(); ns > left {
		ns = left
	}
	for ns > 0 && !x.killed.Load() {
		step := min(ns, int64(50*time.Millisecond))
		time.Sleep(time.Duration(step))
		ns -= step
	}
}

// extLogWriter takes an extension's stdout and stderr: its log stream lines and telemetry
// "extension" records.
type extLogWriter struct{ x *extInstance }

func (w extLogWriter) Write(p []byte) (int, error) {
	x := w.x
	lc := x.lc
	lc.mu.Lock()
	lc.lines(&x.carry, p, x)
	lc.mu.Unlock()
	return len(p), nil
}

// extState is a state of an extension instance: RIE's agent states (reference §4.3).
// Each embeds extDisallowed and overrides its legal transitions.
type extState interface {
	String() string
	register() (extState, error)       // register
	next() (extState, error)           // the extension waits for an event
	dispatch() (extState, error)       // it takes one
	initError() (extState, error)      // init_error
	exitError() (extState, error)      // exit_error
	exit() (extState, error)           // its module ended
	shutdownFailed() (extState, error) // killed at the end of the shutdown budget
	launchError() (extState, error)    // its module could not start
	isRegistered() bool
	isWaiting() bool // in next, Lambda's "called /extension/event/next"
	isLive() bool    // it may be sent events
}

type extDisallowed struct{}

func (extDisallowed) register() (extState, error)       { return nil, ErrNotAllowed }
func (extDisallowed) next() (extState, error)           { return nil, ErrNotAllowed }
func (extDisallowed) dispatch() (extState, error)       { return nil, ErrNotAllowed }
func (extDisallowed) initError() (extState, error)      { return nil, ErrNotAllowed }
func (extDisallowed) exitError() (extState, error)      { return nil, ErrNotAllowed }
func (extDisallowed) exit() (extState, error)           { return nil, ErrNotAllowed }
func (extDisallowed) shutdownFailed() (extState, error) { return nil, ErrNotAllowed }
func (extDisallowed) launchError() (extState, error)    { return nil, ErrNotAllowed }
func (extDisallowed) isRegistered() bool                { return false }
func (extDisallowed) isWaiting() bool                   { return false }
func (extDisallowed) isLive() bool                      { return false }

// extRunningBase is what every registered, running state allows.
type extRunningBase struct{ extDisallowed }

func (extRunningBase) exitError() (extState, error)      { return extExitError{}, nil }
func (extRunningBase) exit() (extState, error)           { return extExited{}, nil }
func (extRunningBase) shutdownFailed() (extState, error) { return extShutdownFailed{}, nil }
func (extRunningBase) isRegistered() bool                { return true }
func (extRunningBase) isLive() bool                      { return true }

type extStarted struct{ extDisallowed }

func (extStarted) String() string                 { return "Started" }
func (extStarted) register() (extState, error)    { return extRegistered{}, nil }
func (extStarted) exit() (extState, error)        { return extExited{}, nil }
func (extStarted) launchError() (extState, error) { return extLaunchError{}, nil }
func (extStarted) isLive() bool                   { return true }

type extRegistered struct{ extRunningBase }

func (extRegistered) String() string               { return "Registered" }
func (extRegistered) next() (extState, error)      { return extReady{}, nil }
func (extRegistered) initError() (extState, error) { return extInitError{}, nil }

type extReady struct{ extRunningBase }

func (extReady) String() string              { return "Ready" }
func (extReady) next() (extState, error)     { return extReady{}, nil } // again, after EINTR
func (extReady) dispatch() (extState, error) { return extRunning{}, nil }
func (extReady) isWaiting() bool             { return true }

type extRunning struct{ extRunningBase }

func (extRunning) String() string          { return "Running" }
func (extRunning) next() (extState, error) { return extReady{}, nil }

// extFailedBase: init_error or exit_error was posted; the module should exit, and the state
// stays (as Lambda reports it in platform.extension).
type extFailedBase struct{ extDisallowed }

func (extFailedBase) isRegistered() bool { return true }

type extInitError struct{ extFailedBase }

func (extInitError) String() string            { return "InitError" }
func (s extInitError) exit() (extState, error) { return s, nil }

type extExitError struct{ extFailedBase }

func (extExitError) String() string            { return "ExitError" }
func (s extExitError) exit() (extState, error) { return s, nil }

type extShutdownFailed struct{ extDisallowed }

func (extShutdownFailed) String() string     { return "ShutdownFailed" }
func (extShutdownFailed) isRegistered() bool { return true }

type extExited struct{ extDisallowed }

func (extExited) String() string { return "Exited" }

type extLaunchError struct{ extDisallowed }

func (extLaunchError) String() string { return "LaunchError" }
