//go:build wasip1

package main

import "unsafe"

// The Go SDK has no API for init_error, the log levels or remaining_ms: raw imports (ABI.md §3).

//go:wasmimport wasmap_runtime_v1 init_error
func rawInitError(typePtr unsafe.Pointer, typeLen int32, ptr unsafe.Pointer, length int32) int32

//go:wasmimport wasmap_runtime_v1 log
func rawLog(level int32, ptr unsafe.Pointer, length int32) int32

//go:wasmimport wasmap_runtime_v1 remaining_ms
func rawRemainingMs() int64

func initError(body string) int32 {
	return rawInitError(nil, 0, unsafe.Pointer(unsafe.StringData(body)), int32(len(body)))
}

func logRecord(level int32, msg string) int32 {
	return rawLog(level, unsafe.Pointer(unsafe.StringData(msg)), int32(len(msg)))
}

func remainingMs() int64 { return rawRemainingMs() }
