// Package execenv runs function modules in Lambda-style execution environments on wazero.
//
// A Function is one compiled module shared by all environments of a map run. An environment is
// one module instance: it is initialised once (the INIT phase runs the guest's entry point until
// its first `next`), then serves invocations one at a time (warm), and ends when there is no more
// work (SHUTDOWN) or after a fault (it is then recycled: the pool starts a new one when needed).
//
// Environments pull their work: each runs in its own goroutine, and the guest's `next` call takes
// the next Task from a channel shared by all environments of the function. There is no hand-off
// between a dispatcher goroutine and the environment on the warm path.
package execenv

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"

	"github.com/wasmap/wasmap/abi"
	"github.com/wasmap/wasmap/runner/internal/instrument"
	"github.com/wasmap/wasmap/runner/internal/objectio"
)

// Config describes a function module and the limits of its environments.
type Config struct {
	// Name is the function name (AWS_LAMBDA_FUNCTION_NAME). Required.
	Name string
	// MemoryMB caps each environment's linear memory (AWS_LAMBDA_FUNCTION_MEMORY_SIZE). Default 128.
	MemoryMB int
	// Timeout bounds each invocation. Default 3 s, Lambda's default.
	Timeout time.Duration
	// InitTimeout bounds the INIT phase. Default 10 s, Lambda's on-demand limit.
	InitTimeout time.Duration
	// Env holds the user's environment variables; reserved Lambda keys cannot be replaced.
	Env map[string]string
	// Region and Account go into ARNs and AWS_REGION. Defaults us-east-1 and 000000000000.
	Region, Account string
	// CacheDir holds wazero's compilation cache and instrumented modules. Empty: no disk cache.
	CacheDir string
	// Meter chooses how deadlines are enforced. The zero value, MeterInstrument, is the only
	// one for real runs; the others exist to measure it.
	Meter Meter
	// NoMemoryReuse gives every environment a fresh linear memory instead of a zeroed one that an
	// ended environment left (see mmapAllocator). Only for measuring what reuse saves.
	NoMemoryReuse bool
	// Objects is the object I/O policy and stores (wasmap_object_v1), shared by all
	// environments; the caller closes it after the Function. Nil: every object call is ENOTSUP.
	Objects *objectio.Access
	// Extensions run beside the function in every environment, each instance in its own
	// goroutine (extensions.go; at most abi.MaxExtensions). Empty: none, and the warm path
	// pays nothing for them.
	Extensions []Extension
	// LogFormat is Lambda's LoggingConfig.LogFormat for the log stream given to Queue.Log:
	// "Text" (the default) or "JSON". With "JSON" the function also gets
	// AWS_LAMBDA_LOG_FORMAT=JSON and its log import writes JSON records.
	LogFormat string
}

// Log formats of Config.LogFormat.
const (
	LogFormatText = "Text"
	LogFormatJSON = "JSON"
)

func (c *Config) defaults() error {
	if c.Name == "" {
		return errors.New("function name is empty")
	}
	if c.MemoryMB == 0 {
		c.MemoryMB = 128
	}
	if c.MemoryMB < 1 || c.MemoryMB > 65536 {
		return fmt.Errorf("memory %d MB is out of range (1-65536)", c.MemoryMB)
	}
	if c.Timeout == 0 {
		c.Timeout = 3 * time.Second
	}
	if c.Timeout < 0 {
		return fmt.Errorf("timeout %v is negative", c.Timeout)
	}
	if c.InitTimeout == 0 {
		c.InitTimeout = 10 * time.Second
	}
	if c.Region == "" {
		c.Region = "us-east-1"
	}
	if c.Account == "" {
		c.Account = "000000000000"
	}
	switch c.LogFormat {
	case "":
		c.LogFormat = LogFormatText
	case LogFormatText, LogFormatJSON:
	default:
		return fmt.Errorf("log format %q is neither %s nor %s", c.LogFormat, LogFormatText, LogFormatJSON)
	}
	return checkExtensions(c.Extensions)
}

// Meter is a way to enforce deadlines.
type Meter int

const (
	// MeterInstrument rewrites the module at load time to check its deadline at loop headers
	// and calling functions' entries (see RATIONALE.md).
	MeterInstrument Meter = iota
	// MeterContextDone uses wazero's WithCloseOnContextDone instead: 5-50x slower, and a
	// spinning guest is stopped only when its context is cancelled, which Serve never does.
	MeterContextDone
	// MeterNone enforces nothing: a spinning guest runs forever and stalls the process at the
	// next garbage collection. For baselines in benchmarks only.
	MeterNone
)

// ARN returns the function's ARN, as in the invocation context's invokedFunctionArn.
func (c *Config) ARN() string {
	return "arn:aws:lambda:" + c.Region + ":" + c.Account + ":function:" + c.Name
}

// Function is a compiled function module. It is goroutine-safe: any number of environments may
// serve from it at once. Close it after every environment has ended.
type Function struct {
	cfg      Config
	rt       wazero.Runtime
	compiled wazero.CompiledModule
	arn      string
	arnJSON  []byte // arn as a JSON string
	env      [][2]string
	alloc    allocator            // linear memories, reused across environments; nil: wazero's
	extRT    wazero.Runtime       // the extensions' runtime; nil without extensions
	exts     []*compiledExtension // Config.Extensions, compiled in extRT
	// InitialMemoryBytes is the module's declared initial linear memory.
	InitialMemoryBytes uint64
	// ExtensionsInitialMemoryBytes is the extension modules' declared initial linear memories,
	// summed: what each environment's extension instances need beside the function.
	ExtensionsInitialMemoryBytes uint64
	// LoadDuration is how long instrumenting and compiling took.
	LoadDuration time.Duration
}

// Load instruments (unless turned off) and compiles a function module, using the on-disk cache
// when cfg.CacheDir is set. The returned error names what is wrong with the module.
func Load(ctx context.Context, wasm []byte, cfg Config) (*Function, error) {
	start := time.Now()
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	if cfg.Meter == MeterInstrument {
		var err error
		wasm, err = instrumented(wasm, cfg.CacheDir)
		if err != nil {
			return nil, err
		}
	}
	rc := wazero.NewRuntimeConfig().WithMemoryLimitPages(uint32(cfg.MemoryMB) * 16)
	if cfg.Meter == MeterContextDone {
		rc = rc.WithCloseOnContextDone(true)
	}
	if cfg.CacheDir != "" {
		cache, err := wazero.NewCompilationCacheWithDir(filepath.Join(cfg.CacheDir, "wazero"))
		if err != nil {
			return nil, fmt.Errorf("compilation cache in %s: %w", cfg.CacheDir, err)
		}
		rc = rc.WithCompilationCache(cache)
	}
	rt := wazero.NewRuntimeWithConfig(ctx, rc)
	f := &Function{cfg: cfg, rt: rt, arn: cfg.ARN()}
	f.arnJSON = strconv.AppendQuote(nil, f.arn)
	if _, err := wasi_snapshot_preview1.Instantiate(ctx, rt); err != nil {
		rt.Close(ctx)
		return nil, err
	}
	if err := instantiateHost(ctx, rt); err != nil {
		rt.Close(ctx)
		return nil, err
	}
	compiled, err := rt.CompileModule(ctx, wasm)
	if err != nil {
		rt.Close(ctx)
		return nil, fmt.Errorf("compiling module: %w", err)
	}
	if err := checkImports(compiled); err != nil {
		rt.Close(ctx)
		return nil, err
	}
	if _, ok := compiled.ExportedFunctions()["_start"]; !ok {
		rt.Close(ctx)
		return nil, errors.New("module exports no _start: a function module is a command whose main loops on wasmap_runtime_v1.next (see abi/ABI.md)")
	}
	for _, m := range compiled.ExportedMemories() {
		if min := uint64(m.Min()) * 65536; min > f.InitialMemoryBytes {
			f.InitialMemoryBytes = min
		}
	}
	if len(compiled.ImportedMemories()) > 0 {
		rt.Close(ctx)
		return nil, errors.New("module imports a memory: function modules must define their own")
	}
	f.compiled = compiled
	keep := max(4, 2*runtime.NumCPU())
	if cfg.NoMemoryReuse {
		keep = 0
	}
	f.alloc = memoryAllocator(keep)
	f.env = logFormatEnv(objectEnv(lambdaEnv(&cfg), cfg.Objects), cfg.LogFormat)
	if err := f.loadExtensions(ctx, rc); err != nil {
		rt.Close(ctx)
		return nil, err
	}
	f.LoadDuration = time.Since(start)
	return f, nil
}

// Close releases the compiled modules and the runtimes.
func (f *Function) Close(ctx context.Context) error {
	err := f.rt.Close(ctx)
	if f.extRT != nil {
		if xerr := f.extRT.Close(ctx); err == nil {
			err = xerr
		}
	}
	if f.alloc != nil {
		f.alloc.Close()
	}
	return err
}

// Config returns the function's configuration with defaults applied.
func (f *Function) Config() Config { return f.cfg }

// instrumentVersion changes whenever the instrumentation's output changes, so cached copies of
// older rewrites are never used.
const instrumentVersion = "meter-v2"

func instrumented(wasm []byte, cacheDir string) ([]byte, error) {
	var path string
	if cacheDir != "" {
		sum := sha256.Sum256(wasm)
		path = filepath.Join(cacheDir, "instrumented", instrumentVersion+"-"+hex.EncodeToString(sum[:])+".wasm")
		if b, err := os.ReadFile(path); err == nil {
			return b, nil
		}
	}
	out, err := instrument.Instrument(wasm, instrument.Options{HookMemoryGrow: true})
	if err != nil {
		return nil, fmt.Errorf("instrumenting module: %w", err)
	}
	if path != "" {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err == nil {
			tmp := path + ".tmp" + strconv.Itoa(os.Getpid())
			if os.WriteFile(tmp, out, 0o644) == nil {
				_ = os.Rename(tmp, path)
			}
		}
	}
	return out, nil
}

// checkImports refuses a module whose imports this host cannot satisfy, naming each.
func checkImports(compiled wazero.CompiledModule) error {
	for _, fn := range compiled.ImportedFunctions() {
		mod, name, _ := fn.Import()
		switch mod {
		case abi.WASIModule, abi.MeterModule:
			continue
		case abi.RuntimeModule, abi.ObjectModule:
			sig, ok := abi.GuestModules[mod][name]
			if !ok {
				return fmt.Errorf("module imports %s.%s, which ABI v1 does not define", mod, name)
			}
			if !sig.Matches(fn.ParamTypes(), fn.ResultTypes()) {
				return fmt.Errorf("module imports %s.%s with a signature other than ABI v1's", mod, name)
			}
		default:
			return fmt.Errorf("module imports %s.%s: only %s, %s and %s are available", mod, name, abi.RuntimeModule, abi.ObjectModule, abi.WASIModule)
		}
	}
	return nil
}

// reserved are the Lambda variables a user's --env cannot replace.
var reserved = map[string]bool{
	"_HANDLER": true, "_X_AMZN_TRACE_ID": true, "AWS_REGION": true, "AWS_EXECUTION_ENV": true,
	"AWS_LAMBDA_FUNCTION_NAME": true, "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": true,
	"AWS_LAMBDA_FUNCTION_VERSION": true, "AWS_LAMBDA_INITIALIZATION_TYPE": true,
	"AWS_LAMBDA_LOG_GROUP_NAME": true, "AWS_LAMBDA_LOG_STREAM_NAME": true,
	"AWS_ACCESS_KEY_ID": true, "AWS_SECRET_ACCESS_KEY": true, "AWS_SESSION_TOKEN": true,
	"AWS_LAMBDA_RUNTIME_API": true, "LAMBDA_TASK_ROOT": true, "LAMBDA_RUNTIME_DIR": true,
}

// IsReserved reports whether key is a Lambda variable the user cannot set.
func IsReserved(key string) bool { return reserved[key] }

// lambdaEnv builds the environment every instance gets (the log stream name is per environment
// and added at instantiation).
func lambdaEnv(c *Config) [][2]string {
	env := [][2]string{
		{"AWS_LAMBDA_FUNCTION_NAME", c.Name},
		{"AWS_LAMBDA_FUNCTION_VERSION", "$LATEST"},
		{"AWS_LAMBDA_FUNCTION_MEMORY_SIZE", strconv.Itoa(c.MemoryMB)},
		{"AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/" + c.Name},
		{"AWS_REGION", c.Region},
		{"AWS_DEFAULT_REGION", c.Region},
		{"AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand"},
		{"AWS_LAMBDA_RUNTIME_API", "wasm"},
		{"TZ", ":UTC"},
		{"LANG", "en_US.UTF-8"},
	}
	seen := map[string]bool{}
	for _, kv := range env {
		seen[kv[0]] = true
	}
	keys := make([]string, 0, len(c.Env))
	for k := range c.Env {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if reserved[k] {
			continue
		}
		if seen[k] { // an overridable default (TZ, LANG, AWS_DEFAULT_REGION)
			for i := range env {
				if env[i][0] == k {
					env[i][1] = c.Env[k]
				}
			}
			continue
		}
		env = append(env, [2]string{k, c.Env[k]})
	}
	return env
}

// NumCPU is the default concurrency: one environment per CPU.
func NumCPU() int { return runtime.NumCPU() }
