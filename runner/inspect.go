package runner

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"

	"github.com/wasmap/wasmap/abi"
)

// ModuleInfo describes a module's imports and exports and whether it fits ABI v1.
type ModuleInfo struct {
	Imports []string // "module.name(params) -> results"
	Exports []string
	// Kind is "function" or "extension": a module importing wasmap_extension_v1 is an
	// extension module, checked against the imports extensions get.
	Kind    string
	FitsABI bool
	// Problems says why the module does not fit, one line each.
	Problems []string
}

// Inspect compiles wasm (without running it) and checks its imports and exports against ABI v1.
// The error is for bytes that are not a valid module.
func Inspect(ctx context.Context, wasm []byte) (*ModuleInfo, error) {
	rt := wazero.NewRuntime(ctx)
	defer rt.Close(ctx)
	m, err := rt.CompileModule(ctx, wasm)
	if err != nil {
		return nil, err
	}
	info := &ModuleInfo{Kind: "function"}
	allowed := abi.GuestModules
	for _, f := range m.ImportedFunctions() {
		if mod, _, _ := f.Import(); mod == abi.ExtensionModule {
			info.Kind, allowed = "extension", abi.ExtensionGuestModules
		}
	}
	for _, f := range m.ImportedFunctions() {
		mod, name, _ := f.Import()
		info.Imports = append(info.Imports, fmt.Sprintf("%s.%s%s", mod, name, sig(f)))
		switch _, known := allowed[mod]; {
		case known:
			want, ok := allowed[mod][name]
			if !ok {
				info.Problems = append(info.Problems, fmt.Sprintf("imports %s.%s, which ABI v1 does not define", mod, name))
			} else if !want.Matches(f.ParamTypes(), f.ResultTypes()) {
				info.Problems = append(info.Problems, fmt.Sprintf("imports %s.%s%s; ABI v1 says %s", mod, name, sig(f), abiSig(want)))
			}
		case mod == abi.WASIModule:
		case mod == abi.MeterModule:
			info.Problems = append(info.Problems, fmt.Sprintf("imports %s.%s: that module is inserted by the runner, guests must not import it", mod, name))
		default:
			var names []string
			for m := range allowed {
				names = append(names, m)
			}
			sort.Strings(names)
			info.Problems = append(info.Problems, fmt.Sprintf("imports %s.%s: %s module may import only %s and %s", mod, name, article(info.Kind), strings.Join(names, ", "), abi.WASIModule))
		}
	}
	for _, mem := range m.ImportedMemories() {
		mod, name, _ := mem.Import()
		info.Imports = append(info.Imports, fmt.Sprintf("%s.%s (memory)", mod, name))
		info.Problems = append(info.Problems, "imports a memory: function modules must define and export their own")
	}
	for name, f := range m.ExportedFunctions() {
		info.Exports = append(info.Exports, name+sig(f))
	}
	for name := range m.ExportedMemories() {
		info.Exports = append(info.Exports, name+" (memory)")
	}
	sort.Strings(info.Exports)
	if _, ok := m.ExportedFunctions()["_start"]; !ok {
		info.Problems = append(info.Problems, "exports no _start: a function module is a command whose main loops on wasmap_runtime_v1.next")
	}
	if _, ok := m.ExportedMemories()["memory"]; !ok {
		info.Problems = append(info.Problems, `exports no memory named "memory"`)
	}
	loop := abi.RuntimeModule
	if info.Kind == "extension" {
		loop = abi.ExtensionModule
	}
	uses := false
	for _, f := range m.ImportedFunctions() {
		if mod, name, _ := f.Import(); mod == loop && name == abi.FuncNext {
			uses = true
		}
	}
	if !uses {
		info.Problems = append(info.Problems, fmt.Sprintf("does not import %s.next, so it can never receive an event", loop))
	}
	info.FitsABI = len(info.Problems) == 0
	return info, nil
}

// String renders the report that `wasmap inspect` prints.
func (i *ModuleInfo) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "imports (%d):\n", len(i.Imports))
	for _, s := range i.Imports {
		fmt.Fprintf(&b, "  %s\n", s)
	}
	fmt.Fprintf(&b, "exports (%d):\n", len(i.Exports))
	for _, s := range i.Exports {
		fmt.Fprintf(&b, "  %s\n", s)
	}
	if i.FitsABI {
		fmt.Fprintf(&b, "fits ABI v1 as %s module: yes\n", article(i.Kind))
	} else {
		fmt.Fprintf(&b, "fits ABI v1 as %s module: no\n", article(i.Kind))
		for _, p := range i.Problems {
			fmt.Fprintf(&b, "  - %s\n", p)
		}
	}
	return b.String()
}

func sig(f api.FunctionDefinition) string {
	return "(" + types(f.ParamTypes()) + ") -> (" + types(f.ResultTypes()) + ")"
}

func abiSig(s abi.Signature) string {
	p := make([]api.ValueType, len(s.Params))
	for i, v := range s.Params {
		p[i] = byte(v)
	}
	r := make([]api.ValueType, len(s.Results))
	for i, v := range s.Results {
		r[i] = byte(v)
	}
	return "(" + types(p) + ") -> (" + types(r) + ")"
}

func types(ts []api.ValueType) string {
	s := make([]string, len(ts))
	for i, t := range ts {
		s[i] = api.ValueTypeName(t)
	}
	return strings.Join(s, ", ")
}

func article(kind string) string {
	if strings.HasPrefix(kind, "e") {
		return "an " + kind
	}
	return "a " + kind
}
