package execenv

import (
	"context"
	"encoding/json"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"

	"github.com/wasmap/wasmap/abi"
)

// instantiateHost defines wasmap_runtime_v1 and wasmap_meter_v1 in rt. Each host function finds
// its environment in the context that Serve passed to InstantiateModule.
func instantiateHost(ctx context.Context, rt wazero.Runtime) error {
	i32, i64 := api.ValueTypeI32, api.ValueTypeI64
	b := rt.NewHostModuleBuilder(abi.RuntimeModule)
	def := func(name string, fn api.GoModuleFunc, params, results []api.ValueType) {
		b.NewFunctionBuilder().WithGoModuleFunction(fn, params, results).Export(name)
	}
	def(abi.FuncNext, hostNext, nil, []api.ValueType{i64})
	def(abi.FuncEventRead, hostEventRead, []api.ValueType{i32, i32}, []api.ValueType{i32})
	def(abi.FuncContextRead, hostContextRead, []api.ValueType{i32, i32}, []api.ValueType{i32})
	def(abi.FuncRespond, hostRespond, []api.ValueType{i32, i32}, []api.ValueType{i32})
	def(abi.FuncRespondError, hostRespondError, []api.ValueType{i32, i32, i32, i32}, []api.ValueType{i32})
	def(abi.FuncInitError, hostInitError, []api.ValueType{i32, i32, i32, i32}, []api.ValueType{i32})
	def(abi.FuncLog, hostLog, []api.ValueType{i32, i32, i32}, []api.ValueType{i32})
	def(abi.FuncRemainingMs, hostRemainingMs, nil, []api.ValueType{i64})
	if _, err := b.Instantiate(ctx); err != nil {
		return err
	}
	if err := instantiateObjects(ctx, rt); err != nil {
		return err
	}
	m := rt.NewHostModuleBuilder(abi.MeterModule)
	m.NewFunctionBuilder().WithGoModuleFunction(api.GoModuleFunc(hostYield), nil, nil).Export(abi.FuncYield)
	m.NewFunctionBuilder().WithGoModuleFunction(api.GoModuleFunc(hostMemoryGrow), []api.ValueType{i32}, []api.ValueType{i32}).Export(abi.FuncMemoryGrow)
	_, err := m.Instantiate(ctx)
	return err
}

func envOf(ctx context.Context) *environment { return ctx.Value(envKey{}).(*environment) }

func errno(e abi.Errno) uint64 { return uint64(uint32(-int32(e))) }

func errno64(e abi.Errno) uint64 { return uint64(-int64(e)) }

// hostNext: next() -> i64.
func hostNext(ctx context.Context, mod api.Module, stack []uint64) {
	e := envOf(ctx)
	e.mod = mod
	e.releaseObjects()
	if e.invoking && e.cur != nil {
		e.fail(&Error{Type: abi.ErrInvalidStateTransition, Cause: `{"errorType":"InvalidStateTransition","errorMessage":"State transition from Running to Ready failed for runtime. Error: next called before a response"}`})
	}
	if e.lc != nil && !e.lc.runtimeNext() { // extensions not back, or failed: recycle
		e.invoking = false
		e.shutdown = true
		stack[0] = errno64(abi.ECANCELED)
		return
	}
	e.invoking = false
	if !e.initialized {
		e.initialized = true
		e.initDur = time.Since(e.initStart)
	}
	if e.shutdown || e.abort.Load() {
		e.shutdown = true
		stack[0] = errno64(abi.ECANCELED)
		return
	}
	e.deadline = 1<<62 - 1 // frozen between invocations
	t, ok := e.take()
	if !ok || e.abort.Load() {
		if ok { // aborted while waiting: give the task back unrun
			e.begin(t)
			e.fail(e.abortError())
		}
		e.shutdown = true
		stack[0] = errno64(abi.ECANCELED)
		return
	}
	e.begin(t)
	if e.lc != nil {
		e.lc.deliverInvoke()
	}
	stack[0] = uint64(len(t.Event))
}

// hostEventRead: event_read(ptr, cap) -> i32.
func hostEventRead(ctx context.Context, mod api.Module, stack []uint64) {
	e := envOf(ctx)
	if e.cur == nil {
		stack[0] = errno(abi.EINVAL)
		return
	}
	stack[0] = readOut(mod, e.cur.Event, uint32(stack[0]), uint32(stack[1]))
}

// hostContextRead: context_read(ptr, cap) -> i32.
func hostContextRead(ctx context.Context, mod api.Module, stack []uint64) {
	e := envOf(ctx)
	if !e.invoking {
		stack[0] = errno(abi.EINVAL)
		return
	}
	stack[0] = readOut(mod, e.ctxJSON, uint32(stack[0]), uint32(stack[1]))
}

// readOut implements the ABI's read rule: copy only when the value fits, return its size.
func readOut(mod api.Module, v []byte, ptr, capacity uint32) uint64 {
	if uint32(len(v)) <= capacity {
		if !mod.Memory().Write(ptr, v) {
			return errno(abi.EFAULT)
		}
	}
	return uint64(uint32(len(v)))
}

// answerable checks that an invocation can take a response now.
func answerable(e *environment) (abi.Errno, bool) {
	if !e.invoking {
		return abi.EINVAL, false
	}
	if e.cur == nil {
		return abi.EALREADY, false
	}
	return 0, true
}

// hostRespond: respond(ptr, len) -> i32.
func hostRespond(ctx context.Context, mod api.Module, stack []uint64) {
	e := envOf(ctx)
	if code, ok := answerable(e); !ok {
		stack[0] = errno(code)
		return
	}
	ptr, n := uint32(stack[0]), uint32(stack[1])
	if n > abi.MaxResponseBytes {
		e.fail(&Error{Type: abi.ErrResponseSizeTooLarge, Cause: `{"errorMessage":"Response payload size exceeded maximum allowed payload size (6291556 bytes).","errorType":"Function.ResponseSizeTooLarge"}`})
		stack[0] = errno(abi.E2BIG)
		return
	}
	b, ok := mod.Memory().Read(ptr, n)
	if !ok {
		stack[0] = errno(abi.EFAULT)
		return
	}
	if !json.Valid(b) {
		e.fail(&Error{Type: abi.ErrRuntimeMalformedResponse, Cause: errorBody(abi.ErrRuntimeMalformedResponse,
			"RequestId: %s Error: the function's response is not JSON: "+quoteStart(b))})
		stack[0] = 0
		return
	}
	e.cur.Output = append([]byte(nil), b...)
	e.complete()
	stack[0] = 0
}

// quoteStart shows the beginning of a bad response in an error message.
func quoteStart(b []byte) string {
	if len(b) > 64 {
		b = b[:64]
	}
	q, _ := json.Marshal(string(b))
	return string(q)
}

// hostRespondError: respond_error(type_ptr, type_len, ptr, len) -> i32.
func hostRespondError(ctx context.Context, mod api.Module, stack []uint64) {
	e := envOf(ctx)
	if code, ok := answerable(e); !ok {
		stack[0] = errno(code)
		return
	}
	typ, body, code := readErr(mod, stack)
	if code != 0 {
		if code == abi.E2BIG {
			e.fail(&Error{Type: abi.ErrResponseSizeTooLarge, Cause: `{"errorMessage":"Response payload size exceeded maximum allowed payload size (6291556 bytes).","errorType":"Function.ResponseSizeTooLarge"}`})
		}
		stack[0] = errno(code)
		return
	}
	if e.lc != nil {
		e.lc.errorHeader(typ)
	}
	e.fail(functionError(body))
	stack[0] = 0
}

// functionError applies Step Functions' rule for a Lambda function error: Error is the body's
// errorType and Cause the body; without an errorType, Lambda.Unknown.
func functionError(body []byte) *Error {
	var probe struct {
		ErrorType *string `json:"errorType"`
	}
	if json.Unmarshal(body, &probe) == nil && probe.ErrorType != nil && *probe.ErrorType != "" {
		return &Error{Type: *probe.ErrorType, Cause: string(body)}
	}
	return &Error{Type: abi.ErrLambdaUnknown, Cause: "The cause could not be determined because Lambda did not return an error type. Returned payload: " + string(body)}
}

func readErr(mod api.Module, stack []uint64) (typ, body []byte, code abi.Errno) {
	tp, tl, bp, bl := uint32(stack[0]), uint32(stack[1]), uint32(stack[2]), uint32(stack[3])
	if bl > abi.MaxResponseBytes || tl > 1024 {
		return nil, nil, abi.E2BIG
	}
	t, ok1 := mod.Memory().Read(tp, tl)
	b, ok2 := mod.Memory().Read(bp, bl)
	if !ok1 || !ok2 {
		return nil, nil, abi.EFAULT
	}
	return append([]byte(nil), t...), append([]byte(nil), b...), 0
}

// hostInitError: init_error(type_ptr, type_len, ptr, len) -> i32.
func hostInitError(ctx context.Context, mod api.Module, stack []uint64) {
	e := envOf(ctx)
	if e.initialized || e.initErr != nil {
		stack[0] = errno(abi.EALREADY)
		return
	}
	_, body, code := readErr(mod, stack)
	if code != 0 {
		stack[0] = errno(code)
		return
	}
	fe := functionError(body)
	if fe.Type == abi.ErrLambdaUnknown {
		fe = &Error{Type: abi.ErrRuntimeUnknown, Cause: string(body)}
	}
	e.initErr = fe
	stack[0] = 0
}

// hostLog: log(level, ptr, len) -> i32.
func hostLog(ctx context.Context, mod api.Module, stack []uint64) {
	e := envOf(ctx)
	level, ptr, n := int32(stack[0]), uint32(stack[1]), uint32(stack[2])
	if level < abi.LevelTrace || level > abi.LevelFatal {
		stack[0] = errno(abi.EINVAL)
		return
	}
	if n > 256<<10 {
		n = 256 << 10
	}
	b, ok := mod.Memory().Read(ptr, n)
	if !ok {
		stack[0] = errno(abi.EFAULT)
		return
	}
	w := logWriter{e}
	if e.f.cfg.LogFormat == LogFormatJSON {
		w.Write(e.jsonLogRecord(level, b))
		stack[0] = 0
		return
	}
	w.Write([]byte(levelNames[level]))
	w.Write(b)
	if len(b) == 0 || b[len(b)-1] != '\n' {
		w.Write([]byte{'\n'})
	}
	stack[0] = 0
}

var levelNames = [...]string{"[TRACE] ", "[DEBUG] ", "[INFO] ", "[WARN] ", "[ERROR] ", "[FATAL] "}

// hostRemainingMs: remaining_ms() -> i64.
func hostRemainingMs(ctx context.Context, mod api.Module, stack []uint64) {
	e := envOf(ctx)
	left := (e.deadline - e.now()) / int64(time.Millisecond)
	stack[0] = uint64(max(left, 0))
}

// hostYield: the meter's periodic check. It ends the guest's call when the deadline has passed
// or the run was aborted. It never blocks.
func hostYield(ctx context.Context, mod api.Module, stack []uint64) {
	e := envOf(ctx)
	if e.abort.Load() {
		e.stop(ctx, mod, faultAborted)
	}
	if e.now() > e.deadline {
		e.stop(ctx, mod, faultTimeout)
	}
}

// hostMemoryGrow: memory.grow on memory 0, recording a failure as out of memory.
func hostMemoryGrow(ctx context.Context, mod api.Module, stack []uint64) {
	prev, ok := mod.Memory().Grow(uint32(stack[0]))
	if !ok {
		envOf(ctx).oom = true
		stack[0] = uint64(uint32(0xffffffff))
		return
	}
	stack[0] = uint64(prev)
}
