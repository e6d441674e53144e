package batcher_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/wasmap/wasmap/runner/internal/batcher"
)

// run feeds items to a new Batcher and returns the batches as "first+count:input" strings.
func run(t *testing.T, cfg batcher.Config, items []string) []string {
	t.Helper()
	var got []string
	b, err := batcher.New(cfg, func(batch batcher.Batch) error {
		got = append(got, fmt.Sprintf("%d+%d:%s", batch.FirstIndex, batch.Count, batch.Input))
		return nil
	})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	for i, it := range items {
		if err := b.Add(json.RawMessage(it)); err != nil {
			t.Fatalf("Add(%d): %v", i, err)
		}
	}
	if err := b.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	return got
}

// item returns a JSON string item whose text is n bytes long.
func item(n int) string { return `"` + strings.Repeat("x", n-2) + `"` }

// TestBatches has one row per rule. REC rows are behaviours recorded against AWS (ASL reference
// §5); "doc IB" is the AWS ItemBatcher page.
func TestBatches(t *testing.T) {
	tests := []struct {
		name  string
		cfg   batcher.Config
		items []string
		want  []string
	}{
		{
			name:  "REC itembatcher_path_variables: two items per batch give {\"Items\":[i0,i1]},{\"Items\":[i2,i3]}",
			cfg:   batcher.Config{MaxItemsPerBatch: 2},
			items: []string{`"i0"`, `"i1"`, `"i2"`, `"i3"`},
			want:  []string{`0+2:{"Items":["i0","i1"]}`, `2+2:{"Items":["i2","i3"]}`},
		},
		{
			name: "doc IB: a batch of two items",
			cfg:  batcher.Config{MaxItemsPerBatch: 2},
			items: []string{
				`{"verdict":"true","statement_date":"6/11/2008","statement_source":"speech"}`,
				`{"verdict":"false","statement_date":"6/7/2022","statement_source":"television"}`,
			},
			want: []string{`0+2:{"Items":[{"verdict":"true","statement_date":"6/11/2008","statement_source":"speech"},{"verdict":"false","statement_date":"6/7/2022","statement_source":"television"}]}`},
		},
		{
			name:  "REC: BatchInput comes first when it is set",
			cfg:   batcher.Config{MaxItemsPerBatch: 2, BatchInput: json.RawMessage(`{"BatchTimestamp":"2024-01-01T00:00:00Z"}`)},
			items: []string{`1`, `2`, `3`},
			want: []string{
				`0+2:{"BatchInput":{"BatchTimestamp":"2024-01-01T00:00:00Z"},"Items":[1,2]}`,
				`2+1:{"BatchInput":{"BatchTimestamp":"2024-01-01T00:00:00Z"},"Items":[3]}`,
			},
		},
		{
			name:  "BatchInput null is written; nil means no key",
			cfg:   batcher.Config{MaxItemsPerBatch: 5, BatchInput: json.RawMessage(`null`)},
			items: []string{`1`},
			want:  []string{`0+1:{"BatchInput":null,"Items":[1]}`},
		},
		{
			name:  "the last, partial batch is emitted by Close",
			cfg:   batcher.Config{MaxItemsPerBatch: 2},
			items: []string{`0`, `1`, `2`, `3`, `4`},
			want:  []string{`0+2:{"Items":[0,1]}`, `2+2:{"Items":[2,3]}`, `4+1:{"Items":[4]}`},
		},
		{
			name:  "MaxItemsPerBatch 1: one item per child, still in the envelope",
			cfg:   batcher.Config{MaxItemsPerBatch: 1},
			items: []string{`{"a":1}`, `{"a":2}`},
			want:  []string{`0+1:{"Items":[{"a":1}]}`, `1+1:{"Items":[{"a":2}]}`},
		},
		{
			name:  "no items, no batch",
			cfg:   batcher.Config{MaxItemsPerBatch: 3},
			items: nil,
			want:  nil,
		},
		{
			name:  "items are compacted",
			cfg:   batcher.Config{MaxItemsPerBatch: 3},
			items: []string{"{ \"a\" : \"x y\" ,\n \"b\" : [ 1 ] }"},
			want:  []string{`0+1:{"Items":[{"a":"x y","b":[1]}]}`},
		},
		{
			// {"Items":[ is 10 bytes and ]} 2: two 10-byte items and a comma make 33.
			name:  "byte limit counts the whole child input: exactly at the limit",
			cfg:   batcher.Config{MaxInputBytesPerBatch: 33},
			items: []string{item(10), item(10), item(10)},
			want:  []string{`0+2:{"Items":[` + item(10) + `,` + item(10) + `]}`, `2+1:{"Items":[` + item(10) + `]}`},
		},
		{
			name:  "byte limit: one byte less moves the second item to the next batch",
			cfg:   batcher.Config{MaxInputBytesPerBatch: 32},
			items: []string{item(10), item(10)},
			want:  []string{`0+1:{"Items":[` + item(10) + `]}`, `1+1:{"Items":[` + item(10) + `]}`},
		},
		{
			// {"BatchInput":{},"Items":[ is 26 bytes: one item makes 38, two 49 (without BatchInput, 33).
			name:  "byte limit counts BatchInput",
			cfg:   batcher.Config{MaxInputBytesPerBatch: 48, BatchInput: json.RawMessage(`{ }`)},
			items: []string{item(10), item(10)},
			want:  []string{`0+1:{"BatchInput":{},"Items":[` + item(10) + `]}`, `1+1:{"BatchInput":{},"Items":[` + item(10) + `]}`},
		},
		{
			name:  "both limits: the first reached closes the batch",
			cfg:   batcher.Config{MaxItemsPerBatch: 3, MaxInputBytesPerBatch: 100},
			items: []string{`1`, `2`, `3`, item(40), item(40), item(40)},
			want: []string{
				`0+3:{"Items":[1,2,3]}`,
				`3+2:{"Items":[` + item(40) + `,` + item(40) + `]}`,
				`5+1:{"Items":[` + item(40) + `]}`,
			},
		},
		{
			name:  "an item alone over MaxInputBytesPerBatch goes alone in its batch",
			cfg:   batcher.Config{MaxInputBytesPerBatch: 20},
			items: []string{`1`, item(50), `2`},
			want:  []string{`0+1:{"Items":[1]}`, `1+1:{"Items":[` + item(50) + `]}`, `2+1:{"Items":[2]}`},
		},
		{
			name:  "with MaxItemsPerBatch alone, a batch is closed before it passes 256 KiB",
			cfg:   batcher.Config{MaxItemsPerBatch: 10},
			items: []string{item(100_000), item(100_000), item(100_000)},
			want: []string{
				`0+2:{"Items":[` + item(100_000) + `,` + item(100_000) + `]}`,
				`2+1:{"Items":[` + item(100_000) + `]}`,
			},
		},
		{
			name:  "MaxInputBytesPerBatch above 256 KiB is lowered to 256 KiB",
			cfg:   batcher.Config{MaxInputBytesPerBatch: 10 << 20},
			items: []string{item(200_000), item(200_000)},
			want:  []string{`0+1:{"Items":[` + item(200_000) + `]}`, `1+1:{"Items":[` + item(200_000) + `]}`},
		},
		{
			// 10 + 262132 + 2 = 262144 bytes exactly.
			name:  "a child input of exactly 256 KiB is allowed",
			cfg:   batcher.Config{MaxItemsPerBatch: 1},
			items: []string{item(batcher.MaxPayloadBytes - 12)},
			want:  []string{`0+1:{"Items":[` + item(batcher.MaxPayloadBytes-12) + `]}`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := run(t, tt.cfg, tt.items)
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("got  %s\nwant %s", short(got), short(tt.want))
			}
			for _, g := range got {
				in := g[strings.IndexByte(g, ':')+1:]
				if !json.Valid([]byte(in)) {
					t.Errorf("invalid JSON: %.80s", in)
				}
				if limit := tt.cfg.MaxInputBytesPerBatch; limit > 0 && int64(len(in)) > limit && strings.Count(in, `"x`) > 1 {
					t.Errorf("a batch of several items is %d bytes, over %d", len(in), limit)
				}
			}
		})
	}
}

func short(list []string) string {
	var out []string
	for _, s := range list {
		if len(s) > 120 {
			s = fmt.Sprintf("%s…(%d bytes)", s[:120], len(s))
		}
		out = append(out, s)
	}
	return strings.Join(out, "\n     ")
}

// TestDataLimitExceeded: an item that cannot fit under 256 KiB even alone is refused with
// States.DataLimitExceeded naming it; the batches before and after it are intact.
func TestDataLimitExceeded(t *testing.T) {
	var got []string
	b, err := batcher.New(batcher.Config{MaxItemsPerBatch: 3}, func(batch batcher.Batch) error {
		got = append(got, fmt.Sprintf("%d+%d:%.30s", batch.FirstIndex, batch.Count, batch.Input))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Add(json.RawMessage(`"a"`)); err != nil {
		t.Fatal(err)
	}
	err = b.Add(json.RawMessage(item(batcher.MaxPayloadBytes - 11)))
	var dle *batcher.DataLimitError
	if !errors.As(err, &dle) {
		t.Fatalf("got %v, want *DataLimitError", err)
	}
	if dle.Name() != "States.DataLimitExceeded" || dle.Index != 1 || dle.Bytes != batcher.MaxPayloadBytes+1 {
		t.Errorf("got %s %+v", dle.Name(), dle)
	}
	if want := "item 1: the batch input holding it alone would be 262145 bytes, over the payload limit of 256 KiB (262144 bytes)"; err.Error() != want {
		t.Errorf("got  %s\nwant %s", err, want)
	}
	for _, it := range []string{`"c"`, `"d"`} {
		if err := b.Add(json.RawMessage(it)); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	want := []string{`0+1:{"Items":["a"]}`, `2+2:{"Items":["c","d"]}`}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got  %v\nwant %v", got, want)
	}
	if b.Items() != 4 {
		t.Errorf("Items() = %d, want 4", b.Items())
	}
}

func TestConfigErrors(t *testing.T) {
	tests := []struct {
		name string
		cfg  batcher.Config
		want string
	}{
		{"no limit", batcher.Config{BatchInput: json.RawMessage(`{}`)}, "invalid ItemBatcher: MaxItemsPerBatch or MaxInputBytesPerBatch (or their Path forms) is required"},
		{"negative items", batcher.Config{MaxItemsPerBatch: -1}, "invalid ItemBatcher: MaxItemsPerBatch must be at least 1, got -1"},
		{"negative bytes", batcher.Config{MaxItemsPerBatch: 1, MaxInputBytesPerBatch: -5}, "invalid ItemBatcher: MaxInputBytesPerBatch must be at least 1, got -5"},
		{"BatchInput not JSON", batcher.Config{MaxItemsPerBatch: 1, BatchInput: json.RawMessage(`{`)}, "invalid ItemBatcher: BatchInput is not valid JSON: unexpected end of JSON input"},
		{"BatchInput leaves no room", batcher.Config{MaxItemsPerBatch: 1, BatchInput: json.RawMessage(item(batcher.MaxPayloadBytes))}, "invalid ItemBatcher: BatchInput is 262144 bytes: no item fits in a child input of 256 KiB (262144 bytes)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			if !errors.Is(err, batcher.ErrConfig) || err.Error() != tt.want {
				t.Errorf("Validate: got  %v\nwant %s", err, tt.want)
			}
			if _, err := batcher.New(tt.cfg, func(batcher.Batch) error { return nil }); err == nil {
				t.Error("New accepted the config")
			}
		})
	}
	for _, ok := range []batcher.Config{{MaxItemsPerBatch: 1}, {MaxInputBytesPerBatch: 1}} {
		if err := ok.Validate(); err != nil {
			t.Errorf("%+v: %v", ok, err)
		}
	}
}

func TestEmitError(t *testing.T) {
	stop := errors.New("stop")
	b, _ := batcher.New(batcher.Config{MaxItemsPerBatch: 1}, func(batcher.Batch) error { return stop })
	if err := b.Add(json.RawMessage(`1`)); !errors.Is(err, stop) {
		t.Errorf("Add: got %v", err)
	}
	b, _ = batcher.New(batcher.Config{MaxItemsPerBatch: 2}, func(batcher.Batch) error { return stop })
	_ = b.Add(json.RawMessage(`1`))
	if err := b.Close(); !errors.Is(err, stop) {
		t.Errorf("Close: got %v", err)
	}
}

// TestBatchInputOwned: each Batch.Input is its own slice, unchanged by later batches.
func TestBatchInputOwned(t *testing.T) {
	var inputs []json.RawMessage
	b, _ := batcher.New(batcher.Config{MaxItemsPerBatch: 1}, func(batch batcher.Batch) error {
		inputs = append(inputs, batch.Input)
		return nil
	})
	for _, it := range []string{`"first"`, `"second"`} {
		_ = b.Add(json.RawMessage(it))
	}
	if string(inputs[0]) != `{"Items":["first"]}` || string(inputs[1]) != `{"Items":["second"]}` {
		t.Errorf("got %s %s", inputs[0], inputs[1])
	}
}

// TestItemCompaction: items are copied as json.Compact would write them.
func TestItemCompaction(t *testing.T) {
	items := []string{
		`1`, ` 1 `, `"a b"`, `"a\" b"`, `"a\\" `, `"a\\\" b" `, "[ 1 ,\n\t2 ]",
		`{ "k" : "v \\\\" , "x" : [ "\" ]" , { } ] }`, `"é \u00e9 ✓"`, `{"a":"\\"}`, ` [ ] `,
	}
	got := run(t, batcher.Config{MaxItemsPerBatch: int64(len(items))}, items)
	var want bytes.Buffer
	_ = json.Compact(&want, []byte("["+strings.Join(items, ",")+"]"))
	if len(got) != 1 || got[0] != fmt.Sprintf("0+%d:{\"Items\":%s}", len(items), want.String()) {
		t.Errorf("got  %v\nwant %s", got, want.String())
	}
}
