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
	// ObjectModule is object I/O (ABI.md §8), imported by function modules that read or write
	// objects by key.
	ObjectModule = "wasmap_object_v1"
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

// Function names in ObjectModule (ABI.md §8). Handles are i32, offsets and results i64.
const (
	FuncObjectOpen   = "open"   // (name_ptr, name_len i32) -> i64 handle
	FuncObjectCreate = "create" // (name_ptr, name_len i32) -> i64 handle
	FuncObjectStat   = "stat"   // (name_ptr, name_len, ptr, cap i32) -> i64 JSON length
	FuncObjectSize   = "size"   // (handle i32) -> i64 size
	FuncObjectRead   = "read"   // (handle i32, offset i64, ptr, len i32) -> i64 bytes read
	FuncObjectWrite  = "write"  // (handle, ptr, len i32) -> i64 bytes written
	FuncObjectClose  = "close"  // (handle i32) -> i64 (0); commits a writer
	FuncObjectAbort  = "abort"  // (handle i32) -> i64 (0); discards a writer
)

// ObjectFuncs lists every function of ObjectModule with its signature.
var ObjectFuncs = map[string]Signature{
	FuncObjectOpen:   {[]ValType{I32, I32}, []ValType{I64}},
	FuncObjectCreate: {[]ValType{I32, I32}, []ValType{I64}},
	FuncObjectStat:   {[]ValType{I32, I32, I32, I32}, []ValType{I64}},
	FuncObjectSize:   {[]ValType{I32}, []ValType{I64}},
	FuncObjectRead:   {[]ValType{I32, I64, I32, I32}, []ValType{I64}},
	FuncObjectWrite:  {[]ValType{I32, I32, I32}, []ValType{I64}},
	FuncObjectClose:  {[]ValType{I32}, []ValType{I64}},
	FuncObjectAbort:  {[]ValType{I32}, []ValType{I64}},
}

// GuestModules maps each host module a function module may import to its functions: the
// table an import check looks a (module, name) pair up in. WASIModule is not in it (wazero
// defines WASI), nor MeterModule (guests never import it).
var GuestModules = map[string]map[string]Signature{
	RuntimeModule: RuntimeFuncs,
	ObjectModule:  ObjectFuncs,
}

// Object I/O limits and names (ABI.md §8).
const (
	// MaxObjectNameBytes is the longest object name, as S3 limits a key: longer is ENAMETOOLONG.
	MaxObjectNameBytes = 1024
	// MaxObjectIOBytes is the most one read or write call moves; the guest loops for more.
	MaxObjectIOBytes = 8 << 20
	// MaxObjectHandles is how many handles an environment may hold open at once (EMFILE beyond).
	MaxObjectHandles = 64
	// EnvOutputPrefix is the environment variable holding the output location as a URI ending
	// in "/" ("file:///abs/out/", "s3://bucket/prefix/"); unset when the run has none.
	EnvOutputPrefix = "WASMAP_OUTPUT_PREFIX"
	// EnvDefaultPrefix is the environment variable holding the location that plain keys are
	// resolved against (the item source's root), as a URI ending in "/".
	EnvDefaultPrefix = "WASMAP_DEFAULT_PREFIX"
)

// ObjectInfo is the JSON that FuncObjectStat returns, spelled as an s3:listObjectsV2 item
// (and as a folder source's items). LastModified is in whole seconds since the epoch.
type ObjectInfo struct {
	Etag         string `json:"Etag"`
	Key          string `json:"Key"`
	LastModified int64  `json:"LastModified"`
	Size         int64  `json:"Size"`
}

// Errno is a WASI preview 1 error number. Host functions return it negated.
type Errno int32

// Errnos used by ABI v1 (WASI preview 1 numbering).
const (
	E2BIG        Errno = 1
	EACCES       Errno = 2
	EALREADY     Errno = 7
	EBADF        Errno = 8
	ECANCELED    Errno = 11
	EFAULT       Errno = 21
	EINVAL       Errno = 28
	EIO          Errno = 29
	EISDIR       Errno = 31
	EMFILE       Errno = 33
	ENAMETOOLONG Errno = 37
	ENOENT       Errno = 44
	ENOSPC       Errno = 51
	ENOTDIR      Errno = 54
	ENOTSUP      Errno = 58
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

// Extension modules (ABI.md §9, §10). An extension module is a WASI command, like a function
// module, that imports these instead of RuntimeModule.
const (
	// ExtensionModule is the Extensions API (/2020-01-01/extension), imported by extension
	// modules.
	ExtensionModule = "wasmap_extension_v1"
	// TelemetryModule is the Telemetry API (/2022-07-01/telemetry), imported by extension
	// modules that subscribe to telemetry.
	TelemetryModule = "wasmap_telemetry_v1"
)

// Function names in ExtensionModule (ABI.md §9).
const (
	FuncExtensionRegister  = "register"   // (name_ptr, name_len, body_ptr, body_len i32) -> i32
	FuncExtensionNext      = "next"       // () -> i64
	FuncExtensionRead      = "read"       // (ptr, cap i32) -> i32
	FuncExtensionInitError = "init_error" // (type_ptr, type_len, ptr, len i32) -> i32
	FuncExtensionExitError = "exit_error" // (type_ptr, type_len, ptr, len i32) -> i32
)

// ExtensionFuncs lists every function of ExtensionModule with its signature.
var ExtensionFuncs = map[string]Signature{
	FuncExtensionRegister:  {[]ValType{I32, I32, I32, I32}, []ValType{I32}},
	FuncExtensionNext:      {nil, []ValType{I64}},
	FuncExtensionRead:      {[]ValType{I32, I32}, []ValType{I32}},
	FuncExtensionInitError: {[]ValType{I32, I32, I32, I32}, []ValType{I32}},
	FuncExtensionExitError: {[]ValType{I32, I32, I32, I32}, []ValType{I32}},
}

// Function names in TelemetryModule (ABI.md §10).
const (
	FuncTelemetrySubscribe = "subscribe" // (ptr, len i32) -> i32
	FuncTelemetryNext      = "next"      // () -> i64
	FuncTelemetryRead      = "read"      // (ptr, cap i32) -> i32
)

// TelemetryFuncs lists every function of TelemetryModule with its signature.
var TelemetryFuncs = map[string]Signature{
	FuncTelemetrySubscribe: {[]ValType{I32, I32}, []ValType{I32}},
	FuncTelemetryNext:      {nil, []ValType{I64}},
	FuncTelemetryRead:      {[]ValType{I32, I32}, []ValType{I32}},
}

// ExtensionGuestModules maps each host module an extension module may import to its
// functions, as GuestModules does for function modules. Extensions do not get RuntimeModule.
var ExtensionGuestModules = map[string]map[string]Signature{
	ExtensionModule: ExtensionFuncs,
	TelemetryModule: TelemetryFuncs,
	ObjectModule:    ObjectFuncs,
}

// Extension limits and names (ABI.md §9).
const (
	// MaxExtensions is how many extensions a function may have (Lambda's limit).
	MaxExtensions = 10
	// EventInvoke and EventShutdown are the events an extension registers for.
	EventInvoke   = "INVOKE"
	EventShutdown = "SHUTDOWN"
	// Shutdown reasons, lower-case as on Lambda's wire.
	ShutdownSpindown = "spindown"
	ShutdownTimeout  = "timeout"
	ShutdownFailure  = "failure"
)

// Shutdown budgets (ABI.md §11.4): the time extensions get after SHUTDOWN is sent.
const (
	ShutdownBudgetExternalMs = 2000 // with at least one external extension
	ShutdownBudgetInternalMs = 500  // with internal extensions only
)

// ExtensionRegisterRequest is the body of FuncExtensionRegister.
type ExtensionRegisterRequest struct {
	Events []string `json:"events"`
}

// ExtensionRegisterResponse is the body FuncExtensionRegister answers with.
type ExtensionRegisterResponse struct {
	FunctionName    string `json:"functionName"`
	FunctionVersion string `json:"functionVersion"`
	Handler         string `json:"handler"`
}

// Tracing is the X-Ray trace header of an INVOKE event and of telemetry records.
type Tracing struct {
	SpanID string `json:"spanId,omitempty"`
	Type   string `json:"type"`
	Value  string `json:"value"`
}

// ExtensionEvent is the JSON FuncExtensionNext returns: an INVOKE event
// {"eventType","deadlineMs","requestId","invokedFunctionArn","tracing"} or a SHUTDOWN event
// {"eventType","deadlineMs","shutdownReason"}, keys in that order.
type ExtensionEvent struct {
	EventType          string   `json:"eventType"`
	DeadlineMs         int64    `json:"deadlineMs"`
	RequestID          string   `json:"requestId,omitempty"`
	InvokedFunctionArn string   `json:"invokedFunctionArn,omitempty"`
	Tracing            *Tracing `json:"tracing,omitempty"`
	ShutdownReason     string   `json:"shutdownReason,omitempty"`
}

// Telemetry API names and limits (ABI.md §10).
const (
	TelemetryPlatform  = "platform"
	TelemetryFunction  = "function"
	TelemetryExtension = "extension"

	// Buffering ranges and defaults (Lambda's; not the swapped ones of an old reference page).
	TelemetryMinItems         = 1000
	TelemetryMaxItems         = 10000
	TelemetryDefaultItems     = 10000
	TelemetryMinBytes         = 262144
	TelemetryMaxBytes         = 1048576
	TelemetryDefaultBytes     = 262144
	TelemetryMinTimeoutMs     = 25
	TelemetryMaxTimeoutMs     = 30000
	TelemetryDefaultTimeoutMs = 1000
)

// TelemetrySchemaVersions are the schemaVersion values a subscription may name.
var TelemetrySchemaVersions = []string{"2022-07-01", "2022-12-13", "2025-01-29"}

// TelemetrySubscription is the body of FuncTelemetrySubscribe: Lambda's PUT /telemetry body.
// Destination is accepted and ignored: batches are pulled with FuncTelemetryNext.
type TelemetrySubscription struct {
	SchemaVersion string              `json:"schemaVersion"`
	Types         []string            `json:"types"`
	Buffering     *TelemetryBuffering `json:"buffering,omitempty"`
	Destination   *struct {
		Protocol string `json:"protocol"`
		URI      string `json:"URI,omitempty"`
		Port     int    `json:"port,omitempty"`
	} `json:"destination,omitempty"`
}

// TelemetryBuffering is a subscription's buffering configuration; zero fields take defaults.
type TelemetryBuffering struct {
	MaxItems  int `json:"maxItems,omitempty"`
	MaxBytes  int `json:"maxBytes,omitempty"`
	TimeoutMs int `json:"timeoutMs,omitempty"`
}

// Extension and telemetry error names, as Lambda's Extensions and Telemetry APIs and its
// platform report them.
const (
	ErrExtensionCrash                      = "Extension.Crash"
	ErrExtensionInitError                  = "Extension.InitError"
	ErrExtensionExitError                  = "Extension.ExitError"
	ErrExtensionLaunchError                = "Extension.LaunchError"
	ErrExtensionInvalidExtensionName       = "Extension.InvalidExtensionName"
	ErrExtensionInvalidEventType           = "Extension.InvalidEventType"
	ErrExtensionRegistrationClosed         = "Extension.RegistrationClosed"
	ErrExtensionInvalidExtensionState      = "Extension.InvalidExtensionState"
	ErrExtensionTooManyExtensions          = "Extension.TooManyExtensions"
	ErrExtensionMissingHeader              = "Extension.MissingHeader"
	ErrExtensionUnknownExtensionIdentifier = "Extension.UnknownExtensionIdentifier"
	ErrInvalidRequestFormat                = "InvalidRequestFormat"
	ErrTelemetryValidation                 = "ValidationError"
	ErrTelemetrySubscriptionClosed         = "Telemetry.SubscriptionClosed"
)

// Errnos of the extension modules, in addition to those above (WASI preview 1 numbering).
const (
	// EINTR: a blocking next was interrupted because the other kind of delivery is waiting
	// (a telemetry batch for FuncExtensionNext, an event for FuncTelemetryNext).
	EINTR Errno = 27
	// EPERM: the call is not allowed in the caller's current state (Lambda's 403 state errors).
	EPERM Errno = 63
)

// EnvLogFormat is Lambda's log format variable, "JSON" when the JSON format is chosen.
const EnvLogFormat = "AWS_LAMBDA_LOG_FORMAT"
