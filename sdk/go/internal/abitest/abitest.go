// Package abitest checks a package's //go:wasmimport declarations against package abi, for the
// SDK's tests.
package abitest

import (
	"go/ast"
	"go/parser"
	"go/token"
	"slices"
	"strings"
	"testing"

	"github.com/wasmap/wasmap/abi"
)

// CheckImports parses file and checks each //go:wasmimport declaration in it: its module is one
// of modules, its name one of that module's functions, and its Go signature ABI v1's
// (unsafe.Pointer, int32 and uint32 are i32; int64 and uint64 are i64). It returns the imports
// seen, as "module.name".
func CheckImports(t testing.TB, file string, modules map[string]map[string]abi.Signature) map[string]bool {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), file, nil, parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
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
					got.Params = append(got.Params, valType(t, p.Type))
				}
			}
			if fn.Type.Results != nil {
				for _, r := range fn.Type.Results.List {
					got.Results = append(got.Results, valType(t, r.Type))
				}
			}
			if !slices.Equal(got.Params, want.Params) || !slices.Equal(got.Results, want.Results) {
				t.Errorf("%s.%s: signature %v, ABI says %v", fields[1], fields[2], got, want)
			}
		}
	}
	return seen
}

// CheckAllImported checks that seen (from CheckImports) holds every function of modules.
func CheckAllImported(t testing.TB, seen map[string]bool, modules map[string]map[string]abi.Signature) {
	t.Helper()
	for mod, funcs := range modules {
		for name := range funcs {
			if !seen[mod+"."+name] {
				t.Errorf("%s.%s is not declared", mod, name)
			}
		}
	}
}

func valType(t testing.TB, e ast.Expr) abi.ValType {
	switch s := typeName(e); s {
	case "int32", "uint32", "unsafe.Pointer":
		return abi.I32
	case "int64", "uint64":
		return abi.I64
	default:
		t.Errorf("type %s cannot cross the boundary", s)
		return 0
	}
}

func typeName(e ast.Expr) string {
	switch e := e.(type) {
	case *ast.Ident:
		return e.Name
	case *ast.SelectorExpr:
		return typeName(e.X) + "." + e.Sel.Name
	}
	return "?"
}
