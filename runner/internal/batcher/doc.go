// Package batcher implements a Distributed Map's ItemBatcher (ASL reference §5): it groups items,
// already passed through the ItemSelector, into child inputs
//
//	{"Items":[i0,i1,…]}                      without BatchInput
//	{"BatchInput":{…},"Items":[i0,i1,…]}     with BatchInput
//
// in item order. A batch is emitted as soon as it is full (MaxItemsPerBatch items, or no room
// for another item under the byte limit), and Close emits the last, partial one. Each [Batch]
// records the indexes it holds (FirstIndex, Count) so that the runner counts items, not
// children: tolerance and itemCounts count items, executionCounts counts batches (§7, §8).
//
// A Batcher is not safe for concurrent use: one goroutine feeds it, in item order.
//
// # Notes
//
// Where the ASL reference is silent (§15 Q4, ◌), the choices are:
//   - MaxInputBytesPerBatch bounds len(Batch.Input): the exact bytes of the child input, including
//     the {"Items":[…]} envelope, the commas and the BatchInput. Counting everything guarantees
//     that the limit holds for what the child receives.
//   - The payload limit of a child input, [MaxPayloadBytes] (256 KiB), is always a byte limit:
//     a MaxInputBytesPerBatch above it is lowered to it, and with MaxItemsPerBatch alone a batch
//     is closed early rather than pass it (the CDK documents "no limits on the batch size under
//     the 256KB limit" when no byte limit is given).
//   - An item whose batch, alone, is over MaxInputBytesPerBatch but within 256 KiB goes alone in
//     its batch: a batch always holds at least one item, so one large item does not fail the run.
//   - An item whose batch, alone, is over 256 KiB cannot be sent: Add returns a *DataLimitError
//     (States.DataLimitExceeded, which the error-handling page lists for a state input over the
//     payload quota) naming the item's index, and does not add the item. The batches around it
//     are not affected; the runner decides whether the item or the run fails.
//   - Items are copied compacted (white space outside strings removed) and are not validated:
//     they come from the item reader or the selector, which have.
//   - BatchInput is compacted and validated once, by New. A nil BatchInput means no key; the
//     JSON null is written as "BatchInput":null.
package batcher
