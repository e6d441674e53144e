//go:build !wasip1

package lambda_test

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/wasmap/wasmap/sdk/go/lambda"
)

// Outside wasm, Start fails at once like aws-lambda-go without its environment: log.Fatal with a
// message saying how to build the module.
func TestStartOutsideWasm(t *testing.T) {
	if os.Getenv("LAMBDA_TEST_START") == "1" {
		lambda.Start(func() {})
		os.Exit(0) // not reached
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestStartOutsideWasm$")
	cmd.Env = append(os.Environ(), "LAMBDA_TEST_START=1")
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
		t.Fatalf("Start exited with %v, want status 1; output:\n%s", err, out)
	}
	for _, want := range []string{"wasmap_runtime_v1", "GOOS=wasip1 GOARCH=wasm"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}
