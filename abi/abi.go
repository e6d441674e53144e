// Package abi holds the names, numbers and JSON shapes of wasmap's host–guest contract, ABI v1.
//
// ABI.md beside this file is the normative text; this package mirrors it for Go code on both
// sides (the runner and sdk/go). It has no dependencies and imports neither side.
package abi

// Import module names. The version is part of the name: a change of any signature is a new module.
const (
	// RuntimeModule is the Runtime API, imported by function modules.
	RuntimeModule = "wasmap_runtime_v1"
	// MeterModule is inserted by the runner's load-time instrumentation; guests never import it.
	MeterModule = "wasmap_meter_v1"
	// WASIModule is WASI preview 1.
	WASIModule = "wasi_snapshot_preview1"
)

// Function names in RuntimeModule.
const (
	FuncNext         = "next"          // () -> i64
	FuncEventRead    = "event_read"    // (ptr, cap i32) -> i32
	FuncContextRead  = "context_read"  // (ptr, cap i32) -> i32
	FuncRespond      = "respond"       // (ptr, len i32) -> i32
	FuncRespondError = "respond_error" // (type_ptr, type_len, ptr, len i32) -> i32
	FuncInitError    = "init_error"    // (type_ptr, type_len, ptr, len i32) -> i32
	FuncLog          = "log"           // (level, ptr, len i32) -> i32
	FuncRemainingMs  = "remaining_ms"  // () -> i64
)

// Function names in MeterModule.
const (
	FuncYield      = "yield"       // () -> ()
	FuncMemoryGrow = "memory_grow" // (delta i32) -> i32
)

// ValType is a wasm value type as used in signatures below.
type ValType byte

// Value types that cross the boundary.
const (
	I32 ValType = 0x7f
	I64 ValType = 0x7e
)

// Signature is a host function's parameter and result types.
type Signature struct {
	Params  []ValType
	Results []ValType
}

// Matches reports whether wasm parameter and result types (as wazero's api.ValueType bytes)
// are exactly this signature.
func (s Signature) Matches(params, results []byte) bool {
	if len(s.Params) != len(params) || len(s.Results) != len(results) {
		return false
	}
	for i, p := range params {
		if byte(s.Params[i]) != p {
			return false
		}
	}
	for i, r := range results {
		if byte(s.Results[i]) != r {
			return false
		}
	}
	return true
}

// RuntimeFuncs lists every function of RuntimeModule with its signature.
var RuntimeFuncs = map[string]Signature{
	FuncNext:         {nil, []ValType{I64}},
	FuncEventRead:    {[]ValType{I32, I32}, []ValType{I32}},
	FuncContextRead:  {[]ValType{I32, I32}, []ValType{I32}},
	FuncRespond:      {[]ValType{I32, I32}, []ValType{I32}},
	FuncRespondError: {[]ValType{I32, I32, I32, I32}, []ValType{I32}},
	FuncInitError:    {[]ValType{I32, I32, I32, I32}, []ValType{I32}},
	FuncLog:          {[]ValType{I32, I32, I32}, []ValType{I32}},
	FuncRemainingMs:  {nil, []ValType{I64}},
}

// Errno is a WASI preview 1 error number. Host functions return it negated.
type Errno int32

// Errnos used by ABI v1 (WASI preview 1 numbering).
const (
	E2BIG     Errno = 1
	EACCES    Errno = 2
	EALREADY  Errno = 7
	ECANCELED Errno = 11
	EFAULT    Errno = 21
	EINVAL    Errno = 28
	ENOTSUP   Errno = 58
)

// Log levels for FuncLog: Lambda's application levels.
const (
	LevelTrace int32 = iota
	LevelDebug
	LevelInfo
	LevelWarn
	LevelError
	LevelFatal
)

// Payload limits, from Lambda's synchronous invocation limits.
const (
	// MaxEventBytes is the largest event a function receives (6 MiB).
	MaxEventBytes = 6291456
	// MaxResponseBytes is the largest response a function may post (6 MiB + 100).
	MaxResponseBytes = 6291556
)

// InvocationContext is the JSON that FuncContextRead returns.
type InvocationContext struct {
	RequestID          string         `json:"requestId"`
	DeadlineMs         int64          `json:"deadlineMs"`
	InvokedFunctionArn string         `json:"invokedFunctionArn"`
	TraceID            string         `json:"traceId"`
	ClientContext      map[string]any `json:"clientContext,omitempty"`
}

// ErrorResponse is the error JSON of FuncRespondError and FuncInitError. Hosts pass bodies
// through unchanged; this type is what they build when they make one themselves.
type ErrorResponse struct {
	ErrorMessage string   `json:"errorMessage"`
	ErrorType    string   `json:"errorType"`
	StackTrace   []string `json:"stackTrace,omitempty"`
}

// Error names the runner reports, as Lambda and wasmap name them.
const (
	ErrSandboxTimedout          = "Sandbox.Timedout"
	ErrRuntimeExitError         = "Runtime.ExitError"
	ErrRuntimeOutOfMemory       = "Runtime.OutOfMemory"
	ErrRuntimeUnknown           = "Runtime.Unknown"
	ErrFunctionUnknown          = "Function.Unknown"
	ErrResponseSizeTooLarge     = "Function.ResponseSizeTooLarge"
	ErrRuntimeMalformedResponse = "Runtime.MalformedResponse"
	ErrInvalidStateTransition   = "InvalidStateTransition"
	ErrLambdaUnknown            = "Lambda.Unknown"
)
