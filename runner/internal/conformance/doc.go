// Package conformance is the cross-language conformance suite of wasmap's SDKs: one module per
// SDK (Go, Rust, C, AssemblyScript, Zig), built from source by the tests, runs the same events
// in real execution environments (package execenv), and every language must give the same
// results as the Go SDK, the reference, as well as the values the ABI prescribes.
//
// The package has only tests: conformance_test.go (the behaviours), extensions_test.go (the
// extension behaviours, TestConformance/extensions), samples_test.go (each SDK's sample over a
// folder through runner.Run) and bench_test.go (warm per-item time and cold start of the same
// JSON echo in every language):
//
//	go test ./runner/internal/conformance
//	go test -run '^$' -bench Echo -benchtime 3000x -count 5 ./runner/internal/conformance
//
// # The modules
//
//	go    runner/internal/conformance/testdata/go   (sdk/go)
//	rust  sdk/rust/conformance                      (sdk/rust)
//	c     sdk/c/conformance                         (sdk/c)
//	as    sdk/assemblyscript/conformance            (sdk/assemblyscript)
//	zig   sdk/zig/conformance                       (sdk/zig)
//
// and the extension modules (Lambda extensions, abi/ABI.md §9–§12), one per SDK's extension API:
//
//	go    runner/internal/conformance/testdata/go-ext   (sdk/go/extension)
//	rust  sdk/rust/conformance-ext                      (wasmap::extension)
//	c     sdk/c/conformance-ext                         (wasmap_extension_*, wasmap_telemetry_*)
//	as    sdk/assemblyscript/conformance-ext            (Extension)
//	zig   sdk/zig/conformance-ext                       (wasmap.extension)
//
// A language whose toolchain is missing is skipped with the command that installs it
// (bash sdk/install-toolchains.sh); under CI=true it fails instead.
//
// # The protocol
//
// Each event is {"op":"<op>", …}. A module counts its invocations in a global (warm state).
// Responses are compact JSON with the keys in the order shown; strings are escaped as Go's
// encoding/json escapes them.
//
//	echo     {"value":V}            responds V byte for byte (null when absent)
//	counter                         responds the number of invocations of this environment
//	error    {"message":M}          fails: {"errorMessage":M,"errorType":"ConformanceError"}
//	panic    {"message":M}          the language's panic with M (Go panic, Rust panic!,
//	                                C wasmap_panic, AssemblyScript abort, Zig @panic): the
//	                                SDK posts {"errorMessage":M,"errorType":"string"} (Go's
//	                                name for a panic with a string), then the process exits
//	trap                            executes the unreachable instruction (Go: runtime.Breakpoint)
//	big      {"bytes":N}            responds a JSON string of exactly N bytes, quotes included
//	context                         responds {"deadlineMs","functionName","invokedFunctionArn",
//	                                "memoryMB","remainingMs","requestId","traceId"} from the
//	                                SDK's invocation context, function metadata and remaining time
//	log      {"message":M}          logs M through the SDK's logger at TRACE, DEBUG, INFO, WARN,
//	                                ERROR and FATAL, then prints "stdout: M" to stdout and
//	                                "stderr: M" to stderr; responds 8
//	field    {"doc","key"}          reads the member key of the object doc with the SDK's JSON
//	                                helpers: {"int":N,"raw":R,"string":S}, each null when the
//	                                member is missing or not one (raw: the member's raw JSON)
//	open     {"key"}                {"size":N}
//	stat     {"key"}                {"Etag","Key","LastModified","Size"}
//	read     {"key","offset","len"} reads up to len bytes at offset: {"data":D,"n":N}
//	copy     {"from","to"}          streams from into the output object to through a 4 KiB
//	                                buffer and closes it: {"bytes":N}
//	write    {"to","data"}          creates the output object to with data: {"bytes":N}
//	leak     {"to","data"}          the same, never closed: the host discards it
//
// An object op whose call fails responds {"err":"<ERRNO>"} (ENOENT, EACCES, …). Any other op
// fails with errorType "UnknownOpError". With CONFORMANCE_INIT=fail in the environment, init
// reports init_error {"errorMessage":"conformance: init failed on purpose","errorType":"InitFailure"}
// and main returns.
//
// # The extension protocol
//
// TestConformance/extensions runs items through runner.Run with a language's conformance
// function module and, beside it, the same language's extension module, named "confext"
// (results and log streams in a temporary folder, one environment at a time). The extension
// writes lines "confext: …" to stdout, which land in the environment's log stream; the suite
// compares them, normalised (request ids, deadlines, the trace header, the log stream's name;
// INVOKE lines, telemetry lines and SHUTDOWN, whose interleaving depends on timing, grouped in
// that order), with the Go module's and with what the ABI prescribes. In order:
//
//	REFUSED register EINVAL Extension.InvalidExtensionName Empty extension name
//	                                 register with "" and INVOKE
//	REFUSED register EINVAL Extension.InvalidEventType SHUTDOWN: ShutdownEventNotSupportedForInternalExtension
//	                                 register as "<name>-internal" with SHUTDOWN
//	REGISTERED <name> <functionName> <functionVersion> <handler>
//	                                 register with the SDK's extension name (argv[0]) for INVOKE
//	                                 and SHUTDOWN, and the register response
//	REFUSED register EPERM Extension.InvalidExtensionState State transition from Registered to Registered …
//	                                 register again
//
// A refusal is "REFUSED <op> <ERRNO> <errorType> <errorMessage>" from the SDK's error. Then, with
// CONFEXT_MODE=init-error: "INIT_ERROR", init_error with type Extension.ConfigInvalid, and
// return (every INIT fails with Extension.InitError); with CONFEXT_MODE=exit-error:
// "EXIT_ERROR", exit_error with type Extension.Broken, and return (INIT fails with
// Extension.ExitError). Otherwise:
//
//	REFUSED exit_error EINVAL Extension.MissingHeader …    exit_error with an empty type
//	REFUSED subscribe EINVAL ValidationError buffering.maxItems 5 is outside 1000-10000
//	SUBSCRIBED                       subscribed to platform and function telemetry, buffering
//	                                 {maxItems 1000, maxBytes 262144, timeoutMs 25}
//
// then loops on the SDK's next event, its telemetry handler writing, per event of each batch:
//
//	INITSTART <functionName> <functionVersion> <phase> <instanceId>       platform.initStart
//	REPORT <requestId> <status> <memorySizeMB> cold|warm                   platform.report
//	                                 (cold: the record has metrics.initDurationMs)
//	LINE <line>                      a function log record, decoded
//
// and per event:
//
//	INVOKE <requestId> <deadlineMs> <invokedFunctionArn> <tracing type> <tracing value>
//	SHUTDOWN <shutdownReason> <deadlineMs>
//	                                 then flushes telemetry, writes the object summary.json to its
//	                                 output location (<run folder>/extensions/confext/):
//	SUMMARY {"events":E,"invokes":I,"lines":L,"reports":R,"shutdownReason":S}
//	                                 the same JSON: telemetry events, INVOKEs, function lines,
//	                                 platform.reports, the reason; then calls next once more,
//	                                 which must report the end (ECANCELED), and
//	DONE
package conformance
