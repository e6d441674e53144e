//go:build wasip1

package main

import "unsafe"

// Raw object imports (ABI.md §8), to call them with arguments the SDK never passes.

//go:wasmimport wasmap_object_v1 open
func rawOpen(namePtr unsafe.Pointer, nameLen int32) int64

//go:wasmimport wasmap_object_v1 stat
func rawStat(namePtr unsafe.Pointer, nameLen int32, ptr unsafe.Pointer, capacity int32) int64

//go:wasmimport wasmap_object_v1 size
func rawSize(handle int32) int64

//go:wasmimport wasmap_object_v1 read
func rawRead(handle int32, offset int64, ptr unsafe.Pointer, length int32) int64

//go:wasmimport wasmap_object_v1 write
func rawWrite(handle int32, ptr unsafe.Pointer, length int32) int64

//go:wasmimport wasmap_object_v1 close
func rawClose(handle int32) int64

// The same imports with addresses as plain integers, to pass one outside memory.

//go:wasmimport wasmap_object_v1 open
func rawOpenAddr(namePtr, nameLen int32) int64

//go:wasmimport wasmap_object_v1 stat
func rawStatAddr(namePtr unsafe.Pointer, nameLen int32, ptr, capacity int32) int64

//go:wasmimport wasmap_object_v1 read
func rawReadAddr(handle int32, offset int64, ptr, length int32) int64

//go:wasmimport wasmap_runtime_v1 respond
func rawRespond(ptr unsafe.Pointer, length int32) int32

// openAfterRespond posts a response around the SDK, then tries to open key.
func openAfterRespond(key string) int64 {
	body := []byte(`{"raw":true}`)
	rawRespond(unsafe.Pointer(unsafe.SliceData(body)), int32(len(body)))
	name := []byte(key)
	return rawOpen(unsafe.Pointer(unsafe.SliceData(name)), int32(len(name)))
}

// outside is an address past any memory a guest of the tests has (4 GiB - 4 KiB, as an i32).
const outside int32 = -4096

// rawCases opens key (which must exist and hold at least 1 byte) and returns each bad call's
// result: negated errnos.
func rawCases(key string) map[string]int64 {
	name := []byte(key)
	p := unsafe.Pointer(unsafe.SliceData(name))
	buf := make([]byte, 16)
	b := unsafe.Pointer(unsafe.SliceData(buf))
	res := map[string]int64{}
	res["open-fault"] = rawOpenAddr(outside, 16)
	res["stat-fault"] = rawStatAddr(p, int32(len(name)), outside, 1<<10)
	res["stat-small"] = rawStat(p, int32(len(name)), b, 0) // the size, nothing copied
	res["read-badf"] = rawRead(12345, 0, b, 16)
	res["size-badf"] = rawSize(12345)
	res["close-badf"] = rawClose(12345)
	h := rawOpen(p, int32(len(name)))
	res["open"] = h
	if h > 0 {
		res["read-fault"] = rawReadAddr(int32(h), 0, outside, 16)
		res["read-negative"] = rawRead(int32(h), -1, b, 16)
		res["read-past-end"] = rawRead(int32(h), 1<<40, b, 16)
		res["read-zero"] = rawRead(int32(h), 0, b, 0)
		res["write-reader"] = rawWrite(int32(h), b, 1)
		res["close"] = rawClose(int32(h))
		res["close-again"] = rawClose(int32(h))
	}
	return res
}
