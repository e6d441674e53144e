//go:build !wasip1

package main

// Outside wasm there is no Runtime API: these stubs only let tools load the package natively
// (lambda.Start fails first).

func initError(string) int32        { return -58 } // ENOTSUP
func logRecord(int32, string) int32 { return -58 }
func remainingMs() int64            { return 0 }
