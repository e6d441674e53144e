package object

import (
	"testing"

	"github.com/wasmap/wasmap/abi"
	"github.com/wasmap/wasmap/sdk/go/internal/abitest"
)

// TestWasmImportsMatchABI checks the //go:wasmimport declarations of the wasip1 build against
// package abi: module, names and signatures, and that every function of the module is declared.
func TestWasmImportsMatchABI(t *testing.T) {
	modules := map[string]map[string]abi.Signature{abi.ObjectModule: abi.ObjectFuncs}
	abitest.CheckAllImported(t, abitest.CheckImports(t, "host_wasip1.go", modules), modules)
}
