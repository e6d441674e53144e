package extension

// hostAPI is wasmap_extension_v1 and wasmap_telemetry_v1 (ABI.md §9, §10) with Go strings
// and slices in place of (ptr, len) pairs. Results are the ABI's: >= 0 for success, a negated
// errno otherwise. The wasip1 build sets host to the wasm imports; elsewhere it is nil, and
// tests set a fake.
type hostAPI interface {
	register(name string, body []byte) int32
	next() int64
	read(buf []byte) int32
	initError(errorType string, body []byte) int32
	exitError(errorType string, body []byte) int32
	subscribe(body []byte) int32
	telemetryNext() int64
	telemetryRead(buf []byte) int32
}

var host hostAPI
