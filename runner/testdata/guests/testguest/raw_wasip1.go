//go:build wasip1

package main

import "unsafe"

// Raw Runtime API imports (ABI.md §3), for the ops that must go around the SDK. The SDK imports
// some of the same functions; the module then has one import entry per declaration.

//go:wasmimport wasmap_runtime_v1 next
func rawNext() int64

//go:wasmimport wasmap_runtime_v1 event_read
func rawEventRead(ptr unsafe.Pointer, capacity int32) int32

//go:wasmimport wasmap_runtime_v1 context_read
func rawContextRead(ptr unsafe.Pointer, capacity int32) int32

//go:wasmimport wasmap_runtime_v1 respond
func rawRespond(ptr unsafe.Pointer, length int32) int32

//go:wasmimport wasmap_runtime_v1 init_error
func rawInitError(typePtr unsafe.Pointer, typeLen int32, ptr unsafe.Pointer, length int32) int32

//go:wasmimport wasmap_runtime_v1 log
func rawLog(level int32, ptr unsafe.Pointer, length int32) int32

//go:wasmimport wasmap_runtime_v1 remaining_ms
func rawRemainingMs() int64

func ptr(b []byte) unsafe.Pointer { return unsafe.Pointer(unsafe.SliceData(b)) }

func next() int64                  { return rawNext() }
func eventRead(buf []byte) int32   { return rawEventRead(ptr(buf), int32(len(buf))) }
func contextRead(buf []byte) int32 { return rawContextRead(ptr(buf), int32(len(buf))) }
func respond(body []byte) int32    { return rawRespond(ptr(body), int32(len(body))) }
func remainingMs() int64           { return rawRemainingMs() }

func initError(errorType, body string) int32 {
	t, b := []byte(errorType), []byte(body)
	return rawInitError(ptr(t), int32(len(t)), ptr(b), int32(len(b)))
}

func logLine(level int32, line string) int32 {
	b := []byte(line)
	return rawLog(level, ptr(b), int32(len(b)))
}
