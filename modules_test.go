package wasmap_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestNestedModules runs the tests of the Go modules nested in this repository (the guest SDK,
// the samples, the plugins), which `go test ./...` at the root does not reach, so that one
// command tests everything. Guest modules are also vetted for their real target, GOOS=wasip1 GOARCH=wasm.
func TestNestedModules(t *testing.T) {
	modules := []string{"sdk/go", "samples/uppercase", "samples/lambda-port", "samples/wordcount", "samples/images",
		"runner/testdata/guests/testguest", "runner/testdata/guests/transform", "runner/testdata/guests/objguest",
		"runner/testdata/guests/extguest", "plugins/telemetry", "runner/internal/conformance/testdata/go", "runner/internal/conformance/testdata/go-ext"}
	for _, m := range modules {
		t.Run(m, func(t *testing.T) {
			if _, err := os.Stat(filepath.Join(m, "go.mod")); err != nil {
				t.Fatal(err)
			}
			run(t, m, nil, "test", "-count=1", "./...")
			run(t, m, []string{"GOOS=wasip1", "GOARCH=wasm"}, "vet", "./...")
		})
	}
}

func run(t *testing.T, dir string, env []string, args ...string) {
	t.Helper()
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	cmd.Env = append(append(os.Environ(), "GOWORK=off"), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go %v in %s (%v): %v\n%s", args, dir, env, err, out)
	}
	t.Logf("go %v in %s:\n%s", args, dir, out)
}
