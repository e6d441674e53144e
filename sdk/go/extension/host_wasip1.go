//go:build wasip1

package extension

import "unsafe"

// The extension imports (ABI.md §9, §10). Pointers are offsets into the module's memory: the
// Go wasm port passes unsafe.Pointer as an i32. TestWasmImportsMatchABI checks these
// declarations against package abi.

//go:wasmimport wasmap_extension_v1 register
func extensionRegister(namePtr unsafe.Pointer, nameLen int32, bodyPtr unsafe.Pointer, bodyLen int32) int32

//go:wasmimport wasmap_extension_v1 next
func extensionNext() int64

//go:wasmimport wasmap_extension_v1 read
func extensionRead(ptr unsafe.Pointer, capacity int32) int32

//go:wasmimport wasmap_extension_v1 init_error
func extensionInitError(typePtr unsafe.Pointer, typeLen int32, ptr unsafe.Pointer, length int32) int32

//go:wasmimport wasmap_extension_v1 exit_error
func extensionExitError(typePtr unsafe.Pointer, typeLen int32, ptr unsafe.Pointer, length int32) int32

//go:wasmimport wasmap_telemetry_v1 subscribe
func telemetrySubscribe(ptr unsafe.Pointer, length int32) int32

//go:wasmimport wasmap_telemetry_v1 next
func telemetryNext() int64

//go:wasmimport wasmap_telemetry_v1 read
func telemetryRead(ptr unsafe.Pointer, capacity int32) int32

func init() { host = wasmHost{} }

// wasmHost is the extension API of the host that runs this module.
type wasmHost struct{}

func (wasmHost) register(name string, body []byte) int32 {
	return extensionRegister(unsafe.Pointer(unsafe.StringData(name)), int32(len(name)),
		unsafe.Pointer(unsafe.SliceData(body)), int32(len(body)))
}

func (wasmHost) next() int64 { return extensionNext() }

func (wasmHost) read(buf []byte) int32 {
	return extensionRead(unsafe.Pointer(unsafe.SliceData(buf)), int32(len(buf)))
}

func (wasmHost) initError(errorType string, body []byte) int32 {
	return extensionInitError(unsafe.Pointer(unsafe.StringData(errorType)), int32(len(errorType)),
		unsafe.Pointer(unsafe.SliceData(body)), int32(len(body)))
}

func (wasmHost) exitError(errorType string, body []byte) int32 {
	return extensionExitError(unsafe.Pointer(unsafe.StringData(errorType)), int32(len(errorType)),
		unsafe.Pointer(unsafe.SliceData(body)), int32(len(body)))
}

func (wasmHost) subscribe(body []byte) int32 {
	return telemetrySubscribe(unsafe.Pointer(unsafe.SliceData(body)), int32(len(body)))
}

func (wasmHost) telemetryNext() int64 { return telemetryNext() }

func (wasmHost) telemetryRead(buf []byte) int32 {
	return telemetryRead(unsafe.Pointer(unsafe.SliceData(buf)), int32(len(buf)))
}
