//go:build !wasip1

package main

// Outside wasm there is no Runtime API: these stubs only let tools (vet, gopls) load the package
// natively. lambda.Start fails first anyway.

func unavailable() { panic("testguest runs only as a wasm module under wasmap") }

func next() int64                         { unavailable(); return 0 }
func eventRead([]byte) int32              { unavailable(); return 0 }
func contextRead([]byte) int32            { unavailable(); return 0 }
func respond([]byte) int32                { unavailable(); return 0 }
func remainingMs() int64                  { unavailable(); return 0 }
func initError(string, string) int32      { unavailable(); return 0 }
func logLine(level int32, _ string) int32 { unavailable(); return 0 }
