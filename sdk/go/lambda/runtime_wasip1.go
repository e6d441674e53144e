//go:build wasip1

package lambda

import "unsafe"

// The Runtime API imports (ABI.md §3). Pointers are offsets into the module's memory: the Go
// wasm port passes unsafe.Pointer as an i32. TestWasmImportsMatchABI checks these declarations
// against package abi.

//go:wasmimport wasmap_runtime_v1 next
func runtimeNext() int64

//go:wasmimport wasmap_runtime_v1 event_read
func runtimeEventRead(ptr unsafe.Pointer, capacity int32) int32

//go:wasmimport wasmap_runtime_v1 context_read
func runtimeContextRead(ptr unsafe.Pointer, capacity int32) int32

//go:wasmimport wasmap_runtime_v1 respond
func runtimeRespond(ptr unsafe.Pointer, length int32) int32

//go:wasmimport wasmap_runtime_v1 respond_error
func runtimeRespondError(typePtr unsafe.Pointer, typeLen int32, ptr unsafe.Pointer, length int32) int32

// wasmRuntime is the Runtime API of the host that runs this module.
type wasmRuntime struct{}

func newRuntime() (runtimeAPI, error) { return wasmRuntime{}, nil }

func (wasmRuntime) next() int64 { return runtimeNext() }

func (wasmRuntime) eventRead(buf []byte) int32 {
	return runtimeEventRead(unsafe.Pointer(unsafe.SliceData(buf)), int32(len(buf)))
}

func (wasmRuntime) contextRead(buf []byte) int32 {
	return runtimeContextRead(unsafe.Pointer(unsafe.SliceData(buf)), int32(len(buf)))
}

func (wasmRuntime) respond(body []byte) int32 {
	return runtimeRespond(unsafe.Pointer(unsafe.SliceData(body)), int32(len(body)))
}

func (wasmRuntime) respondError(errorType, body []byte) int32 {
	return runtimeRespondError(
		unsafe.Pointer(unsafe.SliceData(errorType)), int32(len(errorType)),
		unsafe.Pointer(unsafe.SliceData(body)), int32(len(body)))
}
