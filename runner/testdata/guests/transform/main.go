// Command transform is a small JSON transform for the runner's benchmarks: it decodes a record
// into a struct, changes it and encodes the result, through lambda.Start as most functions do.
//
// Build: GOOS=wasip1 GOARCH=wasm go build -o transform.wasm .
//
// Input: {"id":1,"name":"ada lovelace","city":"london","note":"…"} (samples/uppercase/items.jsonl)
// Output: {"id":1,"name":"ADA LOVELACE","city":"london","note":"…","nameLength":12,"tags":["even"]}
package main

import (
	"context"
	"strings"
	"unicode/utf8"

	"github.com/wasmap/wasmap/sdk/go/lambda"
)

// Record is an input item.
type Record struct {
	ID   int    `json:"id"`
	Name string `json:"name"`
	City string `json:"city"`
	Note string `json:"note"`
}

// Result is the transformed item.
type Result struct {
	ID         int      `json:"id"`
	Name       string   `json:"name"`
	City       string   `json:"city"`
	Note       string   `json:"note"`
	NameLength int      `json:"nameLength"`
	Tags       []string `json:"tags"`
}

func transform(ctx context.Context, r Record) (Result, error) {
	tag := "odd"
	if r.ID%2 == 0 {
		tag = "even"
	}
	return Result{
		ID:         r.ID,
		Name:       strings.ToUpper(r.Name),
		City:       r.City,
		Note:       r.Note,
		NameLength: utf8.RuneCountInString(r.Name),
		Tags:       []string{tag},
	}, nil
}

func main() {
	lambda.Start(transform)
}
