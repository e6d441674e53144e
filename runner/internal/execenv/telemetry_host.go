package execenv

import (
	"context"
	"encoding/json"

	"github.com/tetratelabs/wazero/api"

	"github.com/wasmap/wasmap/abi"
)

// wasmap_telemetry_v1 (abi/ABI.md §10): Lambda's PUT /telemetry, and a pull in place of its
// HTTP push.

// hostTelemetrySubscribe: subscribe(ptr, len) -> i32, the length of the response body
// ("OK", a JSON string; or the error), read with read.
func hostTelemetrySubscribe(ctx context.Context, mod api.Module, stack []uint64) {
	x := extOf(ctx)
	x.noteMemory(mod)
	ptr, n := uint32(stack[0]), uint32(stack[1])
	if n > maxRequestBytes {
		stack[0] = errno(abi.E2BIG)
		return
	}
	body, ok := mod.Memory().Read(ptr, n)
	if !ok {
		stack[0] = errno(abi.EFAULT)
		return
	}
	var req abi.TelemetrySubscription
	if err := json.Unmarshal(body, &req); err != nil {
		x.tbody = apiError(x.tbody, abi.ErrTelemetryValidation, err.Error())
		stack[0] = errno(abi.EINVAL)
		return
	}
	lc := x.lc
	lc.mu.Lock()
	code, typ, msg := lc.subscribe(x, &req)
	lc.mu.Unlock()
	if code != 0 {
		x.tbody = apiError(x.tbody, typ, msg)
		stack[0] = errno(code)
		return
	}
	x.tbody = append(x.tbody[:0], `"OK"`...)
	stack[0] = uint64(uint32(len(x.tbody)))
}

// hostTelemetryNext: next() -> i64, the length of the next batch (a JSON array of events).
func hostTelemetryNext(ctx context.Context, mod api.Module, stack []uint64) {
	stack[0] = extOf(ctx).wait(ctx, mod, true)
}

// hostTelemetryRead: read(ptr, cap) -> i32, the last batch or response body of this module.
func hostTelemetryRead(ctx context.Context, mod api.Module, stack []uint64) {
	x := extOf(ctx)
	stack[0] = readOut(mod, x.tbody, uint32(stack[0]), uint32(stack[1]))
}
