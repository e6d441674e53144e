// Package conformance is the cross-language conformance suite of wasmap's SDKs: one module per
// SDK (Go, Rust, C, AssemblyScript, Zig), built from source by the tests, runs the same events
// in real execution environments (package execenv), and every language must give the same
// results as the Go SDK, the reference, as well as the values the ABI prescribes.
//
// The package has only tests: conformance_test.go (the behaviours), samples_test.go (each
// SDK's sample over a folder through runner.Run) and bench_test.go (warm per-item time and cold
// start of the same JSON echo in every language):
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
package conformance
