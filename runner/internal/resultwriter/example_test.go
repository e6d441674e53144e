package resultwriter_test

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/wasmap/wasmap/runner/internal/resultwriter"
)

func Example() {
	dir, _ := os.MkdirTemp("", "resultwriter-example-")
	defer os.RemoveAll(dir)

	w, err := resultwriter.New(resultwriter.Config{
		Dir:       dir,
		MapRunID:  "4977ded7-b097-3bee-81e1-7863c5660f29",
		MapRunArn: "arn:aws:states:us-east-2:123456789012:mapRun:MyStateMachine/Map:4977ded7-b097-3bee-81e1-7863c5660f29",
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer w.Abort() // discards everything unless Close succeeded

	w.Add(resultwriter.Record{Name: "alpha", Status: resultwriter.StatusSucceeded, Input: `"alpha"`, Output: `{"len":5}`})
	w.Add(resultwriter.Record{Name: "bravo", Status: resultwriter.StatusFailed, Input: `"bravo"`, Error: "States.TaskFailed", Cause: "no"})
	m, err := w.Close()
	if err != nil {
		fmt.Println(err)
		return
	}

	for _, f := range append(m.ResultFiles.Failed, m.ResultFiles.Succeeded...) {
		b, _ := os.ReadFile(filepath.Join(m.DestinationBucket, f.Key))
		fmt.Printf("%s (%d bytes):\n%s\n", f.Key, f.Size, b)
	}
	fmt.Println("manifest:", w.Details().Key)
	// Output:
	// 4977ded7-b097-3bee-81e1-7863c5660f29/FAILED_0.json (147 bytes):
	// [{"Cause":"no","Error":"States.TaskFailed","Input":"\"bravo\"","InputDetails":{"Included":true},"Name":"bravo","RedriveCount":0,"Status":"FAILED"}]
	// 4977ded7-b097-3bee-81e1-7863c5660f29/SUCCEEDED_0.json (166 bytes):
	// [{"Input":"\"alpha\"","InputDetails":{"Included":true},"Name":"alpha","Output":"{\"len\":5}","OutputDetails":{"Included":true},"RedriveCount":0,"Status":"SUCCEEDED"}]
	// manifest: 4977ded7-b097-3bee-81e1-7863c5660f29/manifest.json
}
