//go:build !(linux || darwin || freebsd)

package execenv

// memoryAllocator returns nil: wazero's default allocator.
func memoryAllocator(int) allocator { return nil }
