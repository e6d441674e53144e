package extension

import (
	"go/ast"
	"go/parser"
	"go/token"
	"slices"
	"strings"
	"testing"

	"github.com/wasmap/wasmap/abi"
)

// TestWasmImportsMatchABI checks the //go:wasmimport declarations of the wasip1 build against
// package abi: modules, names and signatures (unsafe.Pointer and int32 are i32, int64 is i64),
// and that every function of both modules is declared.
func TestWasmImportsMatchABI(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "host_wasip1.go", nil, parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	valType := func(e ast.Expr) abi.ValType {
		s := "?"
		switch e := e.(type) {
		case *ast.Ident:
			s = e.Name
		case *ast.SelectorExpr:
			if x, ok := e.X.(*ast.Ident); ok {
				s = x.Name + "." + e.Sel.Name
			}
		}
		switch s {
		case "int32", "uint32", "unsafe.Pointer":
			return abi.I32
		case "int64", "uint64":
			return abi.I64
		}
		t.Errorf("type %s cannot cross the boundary", s)
		return 0
	}
	modules := map[string]map[string]abi.Signature{abi.ExtensionModule: abi.ExtensionFuncs, abi.TelemetryModule: abi.TelemetryFuncs}
	seen := map[string]bool{}
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
			funcs, ok := modules[fields[1]]
			if !ok {
				t.Errorf("%s imports from %s", fn.Name, fields[1])
				continue
			}
			want, ok := funcs[fields[2]]
			if !ok {
				t.Errorf("%s imports %s.%s, which ABI v1 lacks", fn.Name, fields[1], fields[2])
				continue
			}
			seen[fields[1]+"."+fields[2]] = true
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
			if !slices.Equal(got.Params, want.Params) || !slices.Equal(got.Results, want.Results) {
				t.Errorf("%s.%s: signature %v, ABI says %v", fields[1], fields[2], got, want)
			}
		}
	}
	for mod, funcs := range modules {
		for name := range funcs {
			if !seen[mod+"."+name] {
				t.Errorf("%s.%s is not declared", mod, name)
			}
		}
	}
}
