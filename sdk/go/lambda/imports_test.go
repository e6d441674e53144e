package lambda

import (
	"go/ast"
	"go/parser"
	"go/token"
	"strings"
	"testing"

	"github.com/wasmap/wasmap/abi"
)

// TestWasmImportsMatchABI checks the //go:wasmimport declarations of the wasip1 build against
// package abi: module, names and signatures (unsafe.Pointer and int32 are i32, int64 is i64).
func TestWasmImportsMatchABI(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "runtime_wasip1.go", nil, parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	valType := func(e ast.Expr) abi.ValType {
		switch s := types(e); s {
		case "int32", "uint32", "unsafe.Pointer":
			return abi.I32
		case "int64", "uint64":
			return abi.I64
		default:
			t.Errorf("type %s cannot cross the boundary", s)
			return 0
		}
	}
	found := 0
	for _, d := range f.Decls {
		fn, ok := d.(*ast.FuncDecl)
		if !ok || fn.Doc == nil {
			continue
		}
		for _, c := range fn.Doc.List {
			fields := strings.Fields(c.Text)
			if len(fields) != 3 || fields[0] != "//go:wasmimport" {
				continue
			}
			found++
			if fields[1] != abi.RuntimeModule {
				t.Errorf("%s imports from %s, want %s", fn.Name, fields[1], abi.RuntimeModule)
			}
			want, ok := abi.RuntimeFuncs[fields[2]]
			if !ok {
				t.Errorf("%s imports %s, which ABI v1 lacks", fn.Name, fields[2])
				continue
			}
			var got abi.Signature
			for _, p := range fn.Type.Params.List {
				for range max(1, len(p.Names)) {
					got.Params = append(got.Params, valType(p.Type))
				}
			}
			if fn.Type.Results != nil {
				for _, r := range fn.Type.Results.List {
					got.Results = append(got.Results, valType(r.Type))
				}
			}
			if !sameTypes(got.Params, want.Params) || !sameTypes(got.Results, want.Results) {
				t.Errorf("%s: signature %v, ABI says %v", fields[2], got, want)
			}
		}
	}
	if found != 5 {
		t.Errorf("found %d imports, want 5 (next, event_read, context_read, respond, respond_error)", found)
	}
}

func types(e ast.Expr) string {
	switch e := e.(type) {
	case *ast.Ident:
		return e.Name
	case *ast.SelectorExpr:
		return types(e.X) + "." + e.Sel.Name
	}
	return "?"
}

func sameTypes(a, b []abi.ValType) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
