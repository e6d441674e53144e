//go:build wasip1

package object

import "unsafe"

// The object I/O imports (ABI.md §8). Pointers are offsets into the module's memory: the Go
// wasm port passes unsafe.Pointer as an i32. TestWasmImportsMatchABI checks these declarations
// against package abi.

//go:wasmimport wasmap_object_v1 open
func objectOpen(namePtr unsafe.Pointer, nameLen int32) int64

//go:wasmimport wasmap_object_v1 create
func objectCreate(namePtr unsafe.Pointer, nameLen int32) int64

//go:wasmimport wasmap_object_v1 stat
func objectStat(namePtr unsafe.Pointer, nameLen int32, ptr unsafe.Pointer, capacity int32) int64

//go:wasmimport wasmap_object_v1 size
func objectSize(handle int32) int64

//go:wasmimport wasmap_object_v1 read
func objectRead(handle int32, offset int64, ptr unsafe.Pointer, length int32) int64

//go:wasmimport wasmap_object_v1 write
func objectWrite(handle int32, ptr unsafe.Pointer, length int32) int64

//go:wasmimport wasmap_object_v1 close
func objectClose(handle int32) int64

//go:wasmimport wasmap_object_v1 abort
func objectAbort(handle int32) int64

func init() { host = wasmHost{} }

// wasmHost is wasmap_object_v1 of the host that runs this module.
type wasmHost struct{}

func (wasmHost) open(name string) int64 {
	return objectOpen(unsafe.Pointer(unsafe.StringData(name)), int32(len(name)))
}

func (wasmHost) create(name string) int64 {
	return objectCreate(unsafe.Pointer(unsafe.StringData(name)), int32(len(name)))
}

func (wasmHost) stat(name string, buf []byte) int64 {
	return objectStat(unsafe.Pointer(unsafe.StringData(name)), int32(len(name)),
		unsafe.Pointer(unsafe.SliceData(buf)), int32(len(buf)))
}

func (wasmHost) size(h int32) int64 { return objectSize(h) }

func (wasmHost) read(h int32, off int64, buf []byte) int64 {
	return objectRead(h, off, unsafe.Pointer(unsafe.SliceData(buf)), int32(len(buf)))
}

func (wasmHost) write(h int32, buf []byte) int64 {
	return objectWrite(h, unsafe.Pointer(unsafe.SliceData(buf)), int32(len(buf)))
}

func (wasmHost) close(h int32) int64 { return objectClose(h) }

func (wasmHost) abort(h int32) int64 { return objectAbort(h) }
