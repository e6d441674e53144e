//go:build darwin || freebsd

package execenv

import "syscall"

// reserveProt is how memory is reserved: readable and writable at once (MAP_NORESERVE keeps the
// untouched pages free), so commit has nothing to do.
const reserveProt = syscall.PROT_READ | syscall.PROT_WRITE

func commit([]byte) error { return nil }
