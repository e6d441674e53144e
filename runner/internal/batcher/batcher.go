package batcher

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/wasmap/wasmap/runner/internal/jsonx"
)

// MaxPayloadBytes is the payload limit of a child execution's input: 256 KiB (ASL reference §13).
const MaxPayloadBytes = 256 * 1024

// ErrorDataLimitExceeded is the ASL error name of a child input over MaxPayloadBytes.
const ErrorDataLimitExceeded = "States.DataLimitExceeded"

// ErrConfig is wrapped by every error of Config.Validate.
var ErrConfig = errors.New("invalid ItemBatcher")

// Config is an ItemBatcher with its path values already resolved.
type Config struct {
	// MaxItemsPerBatch is the most items a batch holds; 0 means no item limit.
	MaxItemsPerBatch int64
	// MaxInputBytesPerBatch is the most bytes of a batch's child input (see the package notes);
	// 0 means no limit other than MaxPayloadBytes.
	MaxInputBytesPerBatch int64
	// BatchInput is fixed JSON added to every batch; nil means no "BatchInput" key.
	BatchInput json.RawMessage
}

// Validate checks that at least one limit is given and that the given ones are at least 1, and
// that BatchInput is valid JSON that leaves room for an item under 256 KiB.
func (c Config) Validate() error {
	_, err := c.prefix()
	return err
}

// prefix validates c and returns the start of every child input.
func (c Config) prefix() ([]byte, error) {
	switch {
	case c.MaxItemsPerBatch == 0 && c.MaxInputBytesPerBatch == 0:
		return nil, fmt.Errorf("%w: MaxItemsPerBatch or MaxInputBytesPerBatch (or their Path forms) is required", ErrConfig)
	case c.MaxItemsPerBatch < 0:
		return nil, fmt.Errorf("%w: MaxItemsPerBatch must be at least 1, got %d", ErrConfig, c.MaxItemsPerBatch)
	case c.MaxInputBytesPerBatch < 0:
		return nil, fmt.Errorf("%w: MaxInputBytesPerBatch must be at least 1, got %d", ErrConfig, c.MaxInputBytesPerBatch)
	}
	if c.BatchInput == nil {
		return []byte(`{"Items":[`), nil
	}
	var buf bytes.Buffer
	buf.WriteString(`{"BatchInput":`)
	if err := json.Compact(&buf, c.BatchInput); err != nil {
		return nil, fmt.Errorf("%w: BatchInput is not valid JSON: %v", ErrConfig, err)
	}
	buf.WriteString(`,"Items":[`)
	if buf.Len()+len(`0]}`) > MaxPayloadBytes {
		return nil, fmt.Errorf("%w: BatchInput is %d bytes: no item fits in a child input of 256 KiB (%d bytes)",
			ErrConfig, buf.Len()-len(`{"BatchInput":,"Items":[`), MaxPayloadBytes)
	}
	return buf.Bytes(), nil
}

// Batch is one child input and the items it holds: indexes FirstIndex … FirstIndex+Count-1.
type Batch struct {
	FirstIndex int64
	Count      int64
	// Input is the child input, {"BatchInput":…,"Items":[…]}: compact JSON that the receiver
	// owns.
	Input json.RawMessage
}

// DataLimitError is an item whose batch, alone, is over MaxPayloadBytes. Error names the item
// and the sizes; Name is "States.DataLimitExceeded".
type DataLimitError struct {
	Index int64 // the item's index
	Bytes int64 // the size of the child input it would need
}

func (e *DataLimitError) Error() string {
	return fmt.Sprintf("item %d: the batch input holding it alone would be %d bytes, over the payload limit of 256 KiB (%d bytes)",
		e.Index, e.Bytes, MaxPayloadBytes)
}

// Name returns the ASL error name, "States.DataLimitExceeded".
func (e *DataLimitError) Name() string { return ErrorDataLimitExceeded }

// Batcher groups items into batches. Create it with New.
type Batcher struct {
	prefix   []byte
	maxItems int64
	maxBytes int64 // effective: never above MaxPayloadBytes
	emit     func(Batch) error

	buf   []byte // the batch being filled, without its closing "]}"
	first int64  // index of its first item
	count int64  // items in it
	next  int64  // index of the next item
}

// New returns a Batcher for cfg that calls emit with every batch, in item order, as soon as the
// batch is complete. emit owns the Batch; an error it returns is returned by the Add or Close
// that called it.
func New(cfg Config, emit func(Batch) error) (*Batcher, error) {
	prefix, err := cfg.prefix()
	if err != nil {
		return nil, err
	}
	maxBytes := int64(MaxPayloadBytes)
	if cfg.MaxInputBytesPerBatch > 0 && cfg.MaxInputBytesPerBatch < maxBytes {
		maxBytes = cfg.MaxInputBytesPerBatch
	}
	return &Batcher{prefix: prefix, maxItems: cfg.MaxItemsPerBatch, maxBytes: maxBytes, emit: emit}, nil
}

// Add appends the next item; items are numbered 0, 1, 2, … in the order of Add calls. It
// emits the current batch first if the item does not fit in it, and emits the batch holding the
// item if that batch is then full. An item that cannot fit under 256 KiB even alone gives a
// *DataLimitError: it is not added, but it keeps its index, and the Batcher remains usable.
func (b *Batcher) Add(item json.RawMessage) error {
	index := b.next
	b.next++
	if b.count == 0 {
		b.buf = append(b.buf[:0], b.prefix...)
		b.first = index
	}
	mark := len(b.buf)
	if b.count > 0 {
		b.buf = append(b.buf, ',')
	}
	b.buf = jsonx.AppendCompact(b.buf, item)
	size := int64(len(b.buf) + len("]}"))
	if size > b.maxBytes && b.count > 0 {
		// The item does not fit: emit the batch without it and start a new one with it.
		compacted := append([]byte(nil), b.buf[mark+1:]...)
		b.buf = b.buf[:mark]
		if err := b.flush(); err != nil {
			return err
		}
		b.buf = append(append(b.buf[:0], b.prefix...), compacted...)
		b.first = index
		size = int64(len(b.buf) + len("]}"))
	}
	if size > MaxPayloadBytes {
		// Only an item alone gets here (a batch with items was flushed above), so the batches
		// stay runs of consecutive indexes.
		b.buf = b.buf[:0]
		return &DataLimitError{Index: index, Bytes: size}
	}
	b.count++
	// Full: the item limit is reached, or no item (at least one byte and a comma) would fit.
	if b.count == b.maxItems || size+2 > b.maxBytes {
		return b.flush()
	}
	return nil
}

// Close emits the last batch, if it holds any item. A Batcher may not be used after Close.
func (b *Batcher) Close() error {
	if b.count == 0 {
		return nil
	}
	return b.flush()
}

// Items returns how many items Add has numbered so far.
func (b *Batcher) Items() int64 { return b.next }

// flush emits the current batch, which holds at least one item.
func (b *Batcher) flush() error {
	input := make([]byte, len(b.buf)+2)
	copy(input, b.buf)
	copy(input[len(b.buf):], "]}")
	batch := Batch{FirstIndex: b.first, Count: b.count, Input: input}
	b.buf = b.buf[:0]
	b.count = 0
	return b.emit(batch)
}
