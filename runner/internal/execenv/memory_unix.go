//go:build linux || darwin || freebsd

package execenv

import (
	"sync"
	"syscall"
	"unsafe"

	"github.com/tetratelabs/wazero/experimental"
)

// mmapAllocator backs each linear memory with an address range reserved once for the memory's
// maximum and committed as the guest grows it. Growing then never copies the memory (a Go
// guest grows its memory several times during init), and Free returns the pages to the system
// at once when an environment ends, instead of leaving a multi-megabyte slice to the garbage
// collector. Measured on a Go guest's cold start (BenchmarkColdStart): 10.6 ms, against 12-14 ms
// with wazero's default allocator and 14.5 ms when committing with mprotect (page by page
// faults under gVisor).
//
// The allocator also keeps the memories of ended environments, zeroed, for the next ones: a page
// touched for the first time costs a fault, and under gVisor faults dominate a cold start (a
// Go guest touches ~1,000-2,000 pages during INIT: 2-3 ms of faults, against ~0.2 ms to zero
// them again). MAP_POPULATE does not help there: the pages still fault on first touch.
type mmapAllocator struct {
	mu   sync.Mutex
	free []*mmapMemory // zeroed, committed up to their committed size
	keep int           // most memories kept
}

// newMemoryAllocator returns the allocator of one Function's environments; it keeps up to keep
// ended memories for reuse.
func newMemoryAllocator(keep int) *mmapAllocator { return &mmapAllocator{keep: keep} }

func (a *mmapAllocator) Allocate(_, max uint64) experimental.LinearMemory {
	if max == 0 || max > 1<<32 {
		return &sliceMemory{max: max}
	}
	a.mu.Lock()
	for i := len(a.free) - 1; i >= 0; i-- {
		if m := a.free[i]; uint64(len(m.buf)) == max {
			a.free = append(a.free[:i], a.free[i+1:]...)
			a.mu.Unlock()
			return m
		}
	}
	a.mu.Unlock()
	// Reserve 2 MiB more, so the memory can start on a huge-page boundary.
	raw, err := syscall.Mmap(-1, 0, int(max)+hugePage, reserveProt, syscall.MAP_PRIVATE|syscall.MAP_ANON|syscall.MAP_NORESERVE)
	if err != nil { // out of address space: fall back to the Go heap
		return &sliceMemory{max: max}
	}
	off := (hugePage - int(uintptr(unsafe.Pointer(&raw[0]))&(hugePage-1))) & (hugePage - 1)
	return &mmapMemory{raw: raw, buf: raw[off : off+int(max) : off+int(max)], pool: a}
}

// hugePage is the size of a transparent huge page on amd64 and arm64 Linux.
const hugePage = 2 << 20

// release takes back an ended environment's memory: zeroed and kept when there is room,
// returned to the system otherwise.
func (a *mmapAllocator) release(m *mmapMemory) bool {
	a.mu.Lock()
	room := len(a.free) < a.keep
	a.mu.Unlock()
	if !room {
		return false
	}
	clear(m.buf[:m.committed])
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.free) >= a.keep {
		return false
	}
	a.free = append(a.free, m)
	return true
}

// Close returns the kept memories to the system.
func (a *mmapAllocator) Close() {
	a.mu.Lock()
	free := a.free
	a.free = nil
	a.mu.Unlock()
	for _, m := range free {
		syscall.Munmap(m.raw)
	}
}

// sliceMemory is a linear memory on the Go heap, as wazero's default: growing copies.
type sliceMemory struct {
	buf []byte
	max uint64
}

func (m *sliceMemory) Reallocate(size uint64) []byte {
	if m.max != 0 && size > m.max {
		return nil
	}
	if size <= uint64(cap(m.buf)) {
		m.buf = m.buf[:size]
		return m.buf
	}
	b := make([]byte, size, size+size/4)
	copy(b, m.buf)
	m.buf = b
	return b
}

func (m *sliceMemory) Free() { m.buf = nil }

type mmapMemory struct {
	raw       []byte // the whole reservation
	buf       []byte // the memory: raw from a huge-page boundary
	committed uint64
	pool      *mmapAllocator
}

const pageSize = 64 << 10

func (m *mmapMemory) Reallocate(size uint64) []byte {
	if size > uint64(len(m.buf)) {
		return nil
	}
	if size > m.committed {
		end := (size + pageSize - 1) &^ (pageSize - 1)
		if end > uint64(len(m.buf)) {
			end = uint64(len(m.buf))
		}
		if err := commit(m.buf[m.committed:end]); err != nil {
			return nil
		}
		m.committed = end
	}
	return m.buf[:size:size]
}

func (m *mmapMemory) Free() {
	if m.buf == nil || m.pool.release(m) {
		return
	}
	syscall.Munmap(m.raw)
	m.buf, m.raw = nil, nil
}

// memoryAllocator returns the allocator of one Function's environments, or nil for wazero's
// default.
func memoryAllocator(keep int) allocator { return newMemoryAllocator(keep) }
