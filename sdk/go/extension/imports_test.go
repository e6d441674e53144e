package extension

import (
	"testing"

	"github.com/wasmap/wasmap/abi"
	"github.com/wasmap/wasmap/sdk/go/internal/abitest"
)

// TestWasmImportsMatchABI checks the //go:wasmimport declarations of the wasip1 build against
// package abi: modules, names and signatures, and that every function of both modules is
// declared.
func TestWasmImportsMatchABI(t *testing.T) {
	modules := map[string]map[string]abi.Signature{abi.ExtensionModule: abi.ExtensionFuncs, abi.TelemetryModule: abi.TelemetryFuncs}
	abitest.CheckAllImported(t, abitest.CheckImports(t, "host_wasip1.go", modules), modules)
}
