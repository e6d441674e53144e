// Package guesttest builds wasm guests from source for the runner's tests and benchmarks.
//
// Go guests are compiled with the Go toolchain that runs the tests (GOOS=wasip1 GOARCH=wasm);
// text-format guests are assembled with wat2wasm from Debian's wabt package. A missing tool skips
// the test with a message on a developer's machine and fails it when CI=true, where .ci/run must
// have installed it.
package guesttest

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
)

var (
	mu    sync.Mutex
	built = map[string]string{}
)

// Root returns the repository root (the folder holding the top-level go.mod).
func Root() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "..")
}

// Build compiles the Go guest whose main package is in dir (relative to the repository root, or
// absolute; the folder has its own go.mod) and returns the path of the .wasm file. Builds are
// cached for the life of the process. Build is goroutine-safe.
func Build(tb testing.TB, dir string) string {
	tb.Helper()
	if !filepath.IsAbs(dir) {
		dir = filepath.Join(Root(), dir)
	}
	mu.Lock()
	defer mu.Unlock()
	if p, ok := built[dir]; ok {
		return p
	}
	goBin := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(goBin); err != nil {
		goBin = "go"
	}
	sum := sha256.Sum256([]byte(dir))
	out := filepath.Join(os.TempDir(), "wasmap-guests-"+hex.EncodeToString(sum[:6])+"-"+filepath.Base(dir)+".wasm")
	cmd := exec.Command(goBin, "build", "-trimpath", "-o", out, ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm", "GOWORK=off", "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("building guest %s: %v\n%s", dir, err, b)
	}
	built[dir] = out
	return out
}

// WAT assembles a WebAssembly text module with wat2wasm and returns the binary.
func WAT(tb testing.TB, src string) []byte {
	tb.Helper()
	tool := Need(tb, "wat2wasm", "wabt")
	d := tb.TempDir()
	in := filepath.Join(d, "m.wat")
	out := filepath.Join(d, "m.wasm")
	if err := os.WriteFile(in, []byte(src), 0o644); err != nil {
		tb.Fatal(err)
	}
	if b, err := exec.Command(tool, "--enable-all", in, "-o", out).CombinedOutput(); err != nil {
		tb.Fatalf("wat2wasm: %v\n%s", err, b)
	}
	bin, err := os.ReadFile(out)
	if err != nil {
		tb.Fatal(err)
	}
	return bin
}

// Need returns the path of an external tool, skipping the test when it is missing on a
// developer's machine and failing it under CI=true. pkg names the Debian package to install.
func Need(tb testing.TB, tool, pkg string) string {
	tb.Helper()
	p, err := exec.LookPath(tool)
	if err == nil {
		return p
	}
	if os.Getenv("CI") == "true" {
		tb.Fatalf("%s is missing: .ci/run must install it (apt-get install %s)", tool, pkg)
	}
	tb.Skipf("%s is missing: apt-get install %s to run this test", tool, pkg)
	return ""
}
