//go:build !wasip1

package main

// Outside wasm there are no object imports: this stub only lets tools load the package natively.

func rawCases(string) map[string]int64 { panic("objguest runs only as a wasm module under wasmap") }

func openAfterRespond(string) int64 { panic("objguest runs only as a wasm module under wasmap") }
