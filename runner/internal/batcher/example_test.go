package batcher_test

import (
	"encoding/json"
	"fmt"

	"github.com/wasmap/wasmap/runner/internal/batcher"
)

func Example() {
	b, err := batcher.New(batcher.Config{
		MaxItemsPerBatch: 2,
		BatchInput:       json.RawMessage(`{"factor": 10}`),
	}, func(batch batcher.Batch) error {
		fmt.Printf("items %d..%d: %s\n", batch.FirstIndex, batch.FirstIndex+batch.Count-1, batch.Input)
		return nil
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, item := range []string{`{"n":1}`, `{"n":2}`, `{"n":3}`} {
		if err := b.Add(json.RawMessage(item)); err != nil {
			fmt.Println(err)
		}
	}
	if err := b.Close(); err != nil {
		fmt.Println(err)
	}
	// Output:
	// items 0..1: {"BatchInput":{"factor":10},"Items":[{"n":1},{"n":2}]}
	// items 2..2: {"BatchInput":{"factor":10},"Items":[{"n":3}]}
}

func ExampleConfig_Validate() {
	fmt.Println(batcher.Config{}.Validate())
	// Output:
	// invalid ItemBatcher: MaxItemsPerBatch or MaxInputBytesPerBatch (or their Path forms) is required
}
