package execenv

import (
	"context"
	"encoding/json"
	"strconv"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"

	"github.com/wasmap/wasmap/abi"
)

// wasmap_extension_v1 (abi/ABI.md §9): one host function per Extensions API endpoint.
// Each finds its instance in the context that extInstance.run passed to InstantiateModule.

// maxRequestBytes caps the bodies an extension posts (register, errors, subscribe).
const maxRequestBytes = 64 << 10

// instantiateExtensionHost defines the extensions' host modules in their runtime:
// wasmap_extension_v1, wasmap_telemetry_v1, wasmap_object_v1 and the meter.
func instantiateExtensionHost(ctx context.Context, rt wazero.Runtime) error {
	i32, i64 := api.ValueTypeI32, api.ValueTypeI64
	b := rt.NewHostModuleBuilder(abi.ExtensionModule)
	def := func(b wazero.HostModuleBuilder, name string, fn api.GoModuleFunc, params, results []api.ValueType) {
		b.NewFunctionBuilder().WithGoModuleFunction(fn, params, results).Export(name)
	}
	def(b, abi.FuncExtensionRegister, hostExtRegister, []api.ValueType{i32, i32, i32, i32}, []api.ValueType{i32})
	def(b, abi.FuncExtensionNext, hostExtNext, nil, []api.ValueType{i64})
	def(b, abi.FuncExtensionRead, hostExtRead, []api.ValueType{i32, i32}, []api.ValueType{i32})
	def(b, abi.FuncExtensionInitError, hostExtInitError, []api.ValueType{i32, i32, i32, i32}, []api.ValueType{i32})
	def(b, abi.FuncExtensionExitError, hostExtExitError, []api.ValueType{i32, i32, i32, i32}, []api.ValueType{i32})
	if _, err := b.Instantiate(ctx); err != nil {
		return err
	}
	t := rt.NewHostModuleBuilder(abi.TelemetryModule)
	def(t, abi.FuncTelemetrySubscribe, hostTelemetrySubscribe, []api.ValueType{i32, i32}, []api.ValueType{i32})
	def(t, abi.FuncTelemetryNext, hostTelemetryNext, nil, []api.ValueType{i64})
	def(t, abi.FuncTelemetryRead, hostTelemetryRead, []api.ValueType{i32, i32}, []api.ValueType{i32})
	if _, err := t.Instantiate(ctx); err != nil {
		return err
	}
	if err := instantiateObjects(ctx, rt); err != nil {
		return err
	}
	m := rt.NewHostModuleBuilder(abi.MeterModule)
	def(m, abi.FuncYield, hostExtYield, nil, nil)
	def(m, abi.FuncMemoryGrow, hostExtMemoryGrow, []api.ValueType{i32}, []api.ValueType{i32})
	_, err := m.Instantiate(ctx)
	return err
}

// apiError renders a refused call's body, {"errorMessage","errorType"}, into dst.
func apiError(dst []byte, typ, msg string) []byte {
	dst = append(dst[:0], `{"errorMessage":`...)
	dst = appendJSONString(dst, msg)
	dst = append(dst, `,"errorType":`...)
	dst = appendJSONString(dst, typ)
	return append(dst, '}')
}

// stateError is RIE's message for a refused extension state transition.
func stateError(x *extInstance, to string) string {
	return "State transition from " + x.state.String() + " to " + to + " failed for extension " + x.ce.name + ". Error: " + ErrNotAllowed.Error()
}

// hostExtRegister: register(name_ptr, name_len, body_ptr, body_len) -> i32, the length of
// the response body (read it with read).
func hostExtRegister(ctx context.Context, mod api.Module, stack []uint64) {
	x := extOf(ctx)
	x.noteMemory(mod)
	np, nl, bp, bl := uint32(stack[0]), uint32(stack[1]), uint32(stack[2]), uint32(stack[3])
	if nl > 1024 || bl > maxRequestBytes {
		stack[0] = errno(abi.E2BIG)
		return
	}
	nb, ok1 := mod.Memory().Read(np, nl)
	body, ok2 := mod.Memory().Read(bp, bl)
	if !ok1 || !ok2 {
		stack[0] = errno(abi.EFAULT)
		return
	}
	name := string(nb)
	lc := x.lc
	lc.mu.Lock()
	defer lc.mu.Unlock()
	refuse := func(code abi.Errno, typ, msg string) {
		x.body = apiError(x.body, typ, msg)
		stack[0] = errno(code)
	}
	if name == "" {
		refuse(abi.EINVAL, abi.ErrExtensionInvalidExtensionName, "Empty extension name")
		return
	}
	if !lc.initOpen {
		refuse(abi.EPERM, abi.ErrExtensionRegistrationClosed, "Extension registration closed already")
		return
	}
	var req struct {
		Events            []string        `json:"events"`
		ConfigurationKeys json.RawMessage `json:"configurationKeys"`
	}
	if len(body) > 0 {
		if err := json.Unmarshal(body, &req); err != nil {
			refuse(abi.EINVAL, abi.ErrInvalidRequestFormat, err.Error())
			return
		}
	}
	if req.ConfigurationKeys != nil {
		refuse(abi.EINVAL, abi.ErrInvalidRequestFormat, "configurationKeys are deprecated; use environment variables instead")
		return
	}
	internal := name != x.ce.name
	var events uint8
	for _, ev := range req.Events {
		switch {
		case ev == abi.EventInvoke:
			events |= evInvoke
		case ev == abi.EventShutdown && internal:
			refuse(abi.EINVAL, abi.ErrExtensionInvalidEventType, "SHUTDOWN: ShutdownEventNotSupportedForInternalExtension")
			return
		case ev == abi.EventShutdown:
			events |= evShutdown
		default:
			refuse(abi.EINVAL, abi.ErrExtensionInvalidEventType, ev+": ErrorInvalidEventType")
			return
		}
	}
	for _, y := range lc.exts {
		if y != x && y.state.isRegistered() && y.name == name {
			refuse(abi.EPERM, abi.ErrExtensionInvalidExtensionState, "Extension with this name already registered")
			return
		}
	}
	if !x.setState(extState.register) {
		refuse(abi.EPERM, abi.ErrExtensionInvalidExtensionState, stateError(x, "Registered"))
		return
	}
	x.name, x.internal, x.events = name, internal, events
	lc.signal()
	b := append(x.body[:0], `{"functionName":`...)
	b = appendJSONString(b, lc.f.cfg.Name)
	b = append(b, `,"functionVersion":"$LATEST","handler":`...)
	b = appendJSONString(b, lc.f.cfg.Name)
	x.body = append(b, '}')
	stack[0] = uint64(uint32(len(x.body)))
}

// hostExtNext: next() -> i64, the length of the event JSON.
func hostExtNext(ctx context.Context, mod api.Module, stack []uint64) {
	stack[0] = extOf(ctx).wait(ctx, mod, false)
}

// hostExtRead: read(ptr, cap) -> i32, the last response body of this module.
func hostExtRead(ctx context.Context, mod api.Module, stack []uint64) {
	x := extOf(ctx)
	stack[0] = readOut(mod, x.body, uint32(stack[0]), uint32(stack[1]))
}

// hostExtInitError: init_error(type_ptr, type_len, ptr, len) -> i32.
func hostExtInitError(ctx context.Context, mod api.Module, stack []uint64) {
	extError(ctx, mod, stack, true)
}

// hostExtExitError: exit_error(type_ptr, type_len, ptr, len) -> i32.
func hostExtExitError(ctx context.Context, mod api.Module, stack []uint64) {
	extError(ctx, mod, stack, false)
}

// extError posts init_error or exit_error: the environment's INIT, or its current
// invocation, fails with Extension.InitError or Extension.ExitError.
func extError(ctx context.Context, mod api.Module, stack []uint64, init bool) {
	x := extOf(ctx)
	x.noteMemory(mod)
	tp, tl, bp, bl := uint32(stack[0]), uint32(stack[1]), uint32(stack[2]), uint32(stack[3])
	if tl > 1024 || bl > maxRequestBytes {
		stack[0] = errno(abi.E2BIG)
		return
	}
	tb, ok1 := mod.Memory().Read(tp, tl)
	_, ok2 := mod.Memory().Read(bp, bl)
	if !ok1 || !ok2 {
		stack[0] = errno(abi.EFAULT)
		return
	}
	lc := x.lc
	lc.mu.Lock()
	defer lc.mu.Unlock()
	if len(tb) == 0 {
		x.body = apiError(x.body, abi.ErrExtensionMissingHeader, "Lambda-Extension-Function-Error-Type not found")
		stack[0] = errno(abi.EINVAL)
		return
	}
	if !x.state.isRegistered() {
		x.body = apiError(x.body, abi.ErrExtensionUnknownExtensionIdentifier, "Unknown extension "+x.ce.name+": it has not registered")
		stack[0] = errno(abi.EPERM)
		return
	}
	typ, to, t := abi.ErrExtensionInitError, "InitError", extState.initError
	if !init {
		typ, to, t = abi.ErrExtensionExitError, "ExitError", extState.exitError
	}
	if !x.setState(t) {
		x.body = apiError(x.body, abi.ErrExtensionInvalidExtensionState, stateError(x, to))
		stack[0] = errno(abi.EPERM)
		return
	}
	x.errType = string(tb)
	verb := "an init error"
	if !init {
		verb = "an exit error"
	}
	lc.fail(&lcFailure{reason: abi.ShutdownFailure, status: "error", err: &Error{Type: typ, Recycled: true,
		Cause: errorBody(typ, "RequestId: %s Error: Extension "+x.ce.name+" reported "+verb+": "+x.errType)}})
	x.body = append(x.body[:0], `{"status":"OK"}`...)
	stack[0] = uint64(uint32(len(x.body)))
}

// wait is next, of either module: the instance waits for its next event. Lifecycle events
// come first from the extension module's next, telemetry batches from the telemetry
// module's; the other kind interrupts the wait with EINTR. The instance stays in Lambda's
// "in /event/next" across an EINTR. After SHUTDOWN, once nothing is left, ECANCELED.
func (x *extInstance) wait(ctx context.Context, mod api.Module, telemetry bool) uint64 {
	x.noteMemory(mod)
	lc := x.lc
	lc.mu.Lock()
	if telemetry && x.sub == nil {
		lc.mu.Unlock()
		x.tbody = apiError(x.tbody, abi.ErrTelemetryValidation, "no telemetry subscription")
		return errno64(abi.EINVAL)
	}
	prev := x.state
	if !x.setState(extState.next) {
		msg, typ := stateError(x, "Ready"), abi.ErrExtensionInvalidExtensionState
		if !x.state.isRegistered() {
			msg, typ = "Unknown extension "+x.ce.name+": it has not registered", abi.ErrExtensionUnknownExtensionIdentifier
		}
		lc.mu.Unlock()
		if telemetry {
			x.tbody = apiError(x.tbody, typ, msg)
		} else {
			x.body = apiError(x.body, typ, msg)
		}
		return errno64(abi.EPERM)
	}
	if prev != x.state {
		x.readyAt = time.Now()
		lc.signal()
	}
	for {
		if x.killed.Load() {
			lc.mu.Unlock()
			x.terminate(ctx, mod)
		}
		now := lc.e.now()
		batch := x.sub != nil && x.sub.due(lc, now)
		switch {
		case !telemetry && x.pending:
			x.pending = false
			x.body, x.pendBuf = x.pendBuf, x.body[:0]
			x.setState(extState.dispatch)
			lc.mu.Unlock()
			return uint64(len(x.body))
		case telemetry && batch:
			x.tbody = x.sub.take(lc, x.tbody[:0], now)
			lc.mu.Unlock()
			return uint64(len(x.tbody))
		case batch || x.pending:
			lc.mu.Unlock()
			return errno64(abi.EINTR)
		case x.shutdownSent && (x.sub == nil || x.sub.q.len() == 0):
			lc.mu.Unlock()
			return errno64(abi.ECANCELED)
		}
		var timer <-chan time.Time
		if x.sub != nil {
			if d, ok := x.sub.untilDue(lc, now); ok {
				x.timer.Reset(time.Duration(d))
				timer = x.timer.C
			}
		}
		lc.mu.Unlock()
		select {
		case <-x.wake:
		case <-timer:
		case <-x.stop:
		}
		if timer != nil {
			x.timer.Stop()
		}
		lc.mu.Lock()
	}
}

// noteMemory records the instance's linear memory for Max Memory Used.
func (x *extInstance) noteMemory(mod api.Module) {
	x.mem.Store(uint64(mod.Memory().Size()))
}

// hostExtYield: the meter's check. It ends the instance when it was killed or overran its
// deadline (the end of the shutdown budget).
func hostExtYield(ctx context.Context, mod api.Module, stack []uint64) {
	x := extOf(ctx)
	if x.killed.Load() || x.lc.e.now() > x.deadline.Load() {
		x.terminate(ctx, mod)
	}
}

// hostExtMemoryGrow: memory.grow on memory 0 of an extension.
func hostExtMemoryGrow(ctx context.Context, mod api.Module, stack []uint64) {
	x := extOf(ctx)
	prev, ok := mod.Memory().Grow(uint32(stack[0]))
	if !ok {
		x.oom = true
		stack[0] = uint64(uint32(0xffffffff))
		return
	}
	x.mem.Store(uint64(mod.Memory().Size()))
	stack[0] = uint64(prev)
}

// appendInvokeEvent renders the current invocation's INVOKE event. Called with mu held.
func (lc *lifecycle) appendInvokeEvent(b []byte) []byte {
	inv := &lc.inv
	b = append(b, `{"eventType":"INVOKE","deadlineMs":`...)
	b = strconv.AppendInt(b, inv.start.Add(lc.f.cfg.Timeout).UnixMilli(), 10)
	b = append(b, `,"requestId":"`...)
	b = append(b, inv.requestID...)
	b = append(b, `","invokedFunctionArn":`...)
	b = append(b, lc.f.arnJSON...)
	b = lc.appendTracing(b)
	return append(b, '}')
}

// appendShutdownEvent renders a SHUTDOWN event.
func appendShutdownEvent(b []byte, reason string, deadline time.Time) []byte {
	b = append(b, `{"eventType":"SHUTDOWN","deadlineMs":`...)
	b = strconv.AppendInt(b, deadline.UnixMilli(), 10)
	b = append(b, `,"shutdownReason":"`...)
	b = append(b, reason...)
	return append(b, `"}`...)
}
