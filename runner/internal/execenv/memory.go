package execenv

import "github.com/tetratelabs/wazero/experimental"

// allocator gives environments their linear memories and may keep ended ones for reuse.
type allocator interface {
	experimental.MemoryAllocator
	// Close returns kept memories to the system.
	Close()
}
