package lambda

import (
	"testing"

	"github.com/wasmap/wasmap/abi"
	"github.com/wasmap/wasmap/sdk/go/internal/abitest"
)

// TestWasmImportsMatchABI checks the //go:wasmimport declarations of the wasip1 build against
// package abi: module, names and signatures (unsafe.Pointer and int32 are i32, int64 is i64).
func TestWasmImportsMatchABI(t *testing.T) {
	seen := abitest.CheckImports(t, "runtime_wasip1.go", map[string]map[string]abi.Signature{abi.RuntimeModule: abi.RuntimeFuncs})
	if len(seen) != 5 {
		t.Errorf("found %d imports, want 5 (next, event_read, context_read, respond, respond_error)", len(seen))
	}
}
