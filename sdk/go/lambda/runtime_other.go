//go:build !wasip1

package lambda

import (
	"errors"

	"github.com/wasmap/wasmap/abi"
)

// errNoRuntime is Start's fatal error outside wasm, the counterpart of aws-lambda-go's
// "expected AWS Lambda environment variables … are not defined".
var errNoRuntime = errors.New("expected the wasmap Runtime API (wasm imports from " + abi.RuntimeModule +
	"), which only a WebAssembly build has: build with GOOS=wasip1 GOARCH=wasm and run the module under wasmap")

func newRuntime() (runtimeAPI, error) { return nil, errNoRuntime }
