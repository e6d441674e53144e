package execenv

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"

	"github.com/wasmap/wasmap/abi"
	"github.com/wasmap/wasmap/runner/internal/objectio"
)

// Object I/O: wasmap_object_v1 (abi/ABI.md §8). The policy and the stores are Config.Objects
// (an *objectio.Access shared by every environment); the handles are the environment's own.
//
// Handles live in one phase of the environment: INIT, or one invocation until its result is
// recorded. releaseObjects ends them all at each boundary (the invocation's response, error or
// failure; every next; the environment's end): readers are closed and writers aborted, so an
// invocation that fails, or forgets to close, leaves no partial object, and once a Task is
// handed to Queue.Done its outputs are final.

// objectTable holds an environment's open handles. Only the environment's goroutine uses it.
type objectTable struct {
	open map[int32]*objectHandle
	next int32 // the last handle given; handles are never reused within an environment
}

// objectHandle is an open reader or writer.
type objectHandle struct {
	r       objectio.Reader
	w       objectio.Writer
	written int64
	failed  bool // a write failed: close must not commit
}

// instantiateObjects defines wasmap_object_v1 in rt.
func instantiateObjects(ctx context.Context, rt wazero.Runtime) error {
	i32, i64 := api.ValueTypeI32, api.ValueTypeI64
	b := rt.NewHostModuleBuilder(abi.ObjectModule)
	def := func(name string, fn api.GoModuleFunc, params ...api.ValueType) {
		b.NewFunctionBuilder().WithGoModuleFunction(fn, params, []api.ValueType{i64}).Export(name)
	}
	def(abi.FuncObjectOpen, hostObjectOpen, i32, i32)
	def(abi.FuncObjectCreate, hostObjectCreate, i32, i32)
	def(abi.FuncObjectStat, hostObjectStat, i32, i32, i32, i32)
	def(abi.FuncObjectSize, hostObjectSize, i32)
	def(abi.FuncObjectRead, hostObjectRead, i32, i64, i32, i32)
	def(abi.FuncObjectWrite, hostObjectWrite, i32, i32, i32)
	def(abi.FuncObjectClose, hostObjectClose, i32)
	def(abi.FuncObjectAbort, hostObjectAbort, i32)
	_, err := b.Instantiate(ctx)
	return err
}

// objectEnv replaces any WASMAP_OUTPUT_PREFIX and WASMAP_DEFAULT_PREFIX of env (the user's
// cannot stand) with the run's.
func objectEnv(env [][2]string, acc *objectio.Access) [][2]string {
	out := env[:0:0]
	for _, kv := range env {
		if kv[0] != abi.EnvOutputPrefix && kv[0] != abi.EnvDefaultPrefix {
			out = append(out, kv)
		}
	}
	if acc != nil {
		if p := acc.DefaultPrefix(); p != "" {
			out = append(out, [2]string{abi.EnvDefaultPrefix, p})
		}
		if p := acc.OutputPrefix(); p != "" {
			out = append(out, [2]string{abi.EnvOutputPrefix, p})
		}
	}
	return out
}

// releaseObjects ends every open handle: readers are closed, writers aborted.
func (e *environment) releaseObjects() {
	for h, oh := range e.objects.open {
		if oh.w != nil {
			_ = oh.w.Abort()
		} else {
			_ = oh.r.Close()
		}
		delete(e.objects.open, h)
	}
}

// objectCall starts a host call: it returns the run's Access, or the errno to return when
// there is none (ENOTSUP).
func objectCall(ctx context.Context) (*environment, *objectio.Access, abi.Errno) {
	e := envOf(ctx)
	if e.f.cfg.Objects == nil {
		return e, nil, abi.ENOTSUP
	}
	return e, e.f.cfg.Objects, 0
}

// objectName starts a call that names an object: it checks the phase (INIT, or an invocation
// not yet answered) and reads the name.
func objectName(mod api.Module, e *environment, ptr, n uint32) (string, abi.Errno) {
	if e.initialized && (!e.invoking || e.cur == nil) {
		return "", abi.EINVAL
	}
	if n > abi.MaxObjectNameBytes {
		return "", abi.ENAMETOOLONG
	}
	b, ok := mod.Memory().Read(ptr, n)
	if !ok {
		return "", abi.EFAULT
	}
	return string(b), 0
}

// add registers a handle, or returns EMFILE.
func (t *objectTable) add(h *objectHandle) int32 {
	if t.open == nil {
		t.open = make(map[int32]*objectHandle)
	}
	for {
		t.next++
		if t.next <= 0 {
			t.next = 1
		}
		if _, used := t.open[t.next]; !used {
			t.open[t.next] = h
			return t.next
		}
	}
}

// hostObjectOpen: open(name_ptr, name_len) -> i64 handle.
func hostObjectOpen(ctx context.Context, mod api.Module, stack []uint64) {
	newHandle(ctx, mod, stack, func(acc *objectio.Access, name string) (*objectHandle, error) {
		r, err := acc.Open(ctx, name)
		return &objectHandle{r: r}, err
	})
}

// hostObjectCreate: create(name_ptr, name_len) -> i64 handle.
func hostObjectCreate(ctx context.Context, mod api.Module, stack []uint64) {
	newHandle(ctx, mod, stack, func(acc *objectio.Access, name string) (*objectHandle, error) {
		w, err := acc.Create(ctx, name)
		return &objectHandle{w: w}, err
	})
}

// newHandle is open and create: it reads the name at (stack[0], stack[1]), refuses a call past
// the handle limit, and stores what make opens as a new handle, returned in stack[0] (or the
// negative errno).
func newHandle(ctx context.Context, mod api.Module, stack []uint64, make func(*objectio.Access, string) (*objectHandle, error)) {
	e, acc, code := objectCall(ctx)
	if code != 0 {
		stack[0] = errno64(code)
		return
	}
	name, code := objectName(mod, e, uint32(stack[0]), uint32(stack[1]))
	if code == 0 && len(e.objects.open) >= abi.MaxObjectHandles {
		code = abi.EMFILE
	}
	if code != 0 {
		stack[0] = errno64(code)
		return
	}
	h, err := make(acc, name)
	if err != nil {
		stack[0] = errno64(objectio.Errno(err))
		return
	}
	stack[0] = uint64(e.objects.add(h))
}

// hostObjectStat: stat(name_ptr, name_len, ptr, cap) -> i64 JSON length, the JSON copied
// only when it fits.
func hostObjectStat(ctx context.Context, mod api.Module, stack []uint64) {
	e, acc, code := objectCall(ctx)
	if code != 0 {
		stack[0] = errno64(code)
		return
	}
	name, code := objectName(mod, e, uint32(stack[0]), uint32(stack[1]))
	if code != 0 {
		stack[0] = errno64(code)
		return
	}
	info, err := acc.Stat(ctx, name)
	if err != nil {
		stack[0] = errno64(objectio.Errno(err))
		return
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(abi.ObjectInfo{Etag: info.ETag, Key: info.Key, LastModified: info.LastModified.Unix(), Size: info.Size})
	v := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	if uint64(len(v)) <= uint64(uint32(stack[3])) && !mod.Memory().Write(uint32(stack[2]), v) {
		stack[0] = errno64(abi.EFAULT)
		return
	}
	stack[0] = uint64(len(v))
}

// handle looks up an open handle: EBADF when there is none.
// handleCall is objectCall for the functions that take a handle: the environment, and the open
// handle h or the errno that refuses the call.
func handleCall(ctx context.Context, h uint64) (*environment, *objectHandle, abi.Errno) {
	e, _, code := objectCall(ctx)
	if code != 0 {
		return e, nil, code
	}
	oh, code := e.handle(h)
	return e, oh, code
}

func (e *environment) handle(h uint64) (*objectHandle, abi.Errno) {
	oh := e.objects.open[int32(uint32(h))]
	if oh == nil {
		return nil, abi.EBADF
	}
	return oh, 0
}

// hostObjectSize: size(handle) -> i64: a reader's object size, or the bytes written so far.
func hostObjectSize(ctx context.Context, mod api.Module, stack []uint64) {
	_, oh, code := handleCall(ctx, stack[0])
	switch {
	case code != 0:
		stack[0] = errno64(code)
	case oh.r != nil:
		stack[0] = uint64(oh.r.Size())
	default:
		stack[0] = uint64(oh.written)
	}
}

// hostObjectRead: read(handle, offset, ptr, len) -> i64 bytes read, 0 at the end. It reads
// straight into the guest's buffer, at most abi.MaxObjectIOBytes per call.
func hostObjectRead(ctx context.Context, mod api.Module, stack []uint64) {
	_, oh, code := handleCall(ctx, stack[0])
	off, ptr, n := int64(stack[1]), uint32(stack[2]), uint32(stack[3])
	switch {
	case code != 0:
	case oh.r == nil:
		code = abi.EBADF // a writer
	case off < 0:
		code = abi.EINVAL
	}
	if code != 0 {
		stack[0] = errno64(code)
		return
	}
	buf, ok := mod.Memory().Read(ptr, n)
	if !ok {
		stack[0] = errno64(abi.EFAULT)
		return
	}
	buf = buf[:min(n, abi.MaxObjectIOBytes)]
	got, err := oh.r.ReadAt(buf, off)
	if got > 0 || err == nil || errors.Is(err, io.EOF) {
		stack[0] = uint64(got)
		return
	}
	stack[0] = errno64(objectio.Errno(err))
}

// hostObjectWrite: write(handle, ptr, len) -> i64 bytes written, at most
// abi.MaxObjectIOBytes per call. After a failed write the handle only closes, with EIO.
func hostObjectWrite(ctx context.Context, mod api.Module, stack []uint64) {
	_, oh, code := handleCall(ctx, stack[0])
	ptr, n := uint32(stack[1]), uint32(stack[2])
	switch {
	case code != 0:
	case oh.w == nil:
		code = abi.EBADF // a reader
	case oh.failed:
		code = abi.EIO
	}
	if code != 0 {
		stack[0] = errno64(code)
		return
	}
	buf, ok := mod.Memory().Read(ptr, n)
	if !ok {
		stack[0] = errno64(abi.EFAULT)
		return
	}
	buf = buf[:min(n, abi.MaxObjectIOBytes)]
	got, err := oh.w.Write(buf)
	oh.written += int64(got)
	if err != nil {
		oh.failed = true
		stack[0] = errno64(objectio.Errno(err))
		return
	}
	stack[0] = uint64(got)
}

// hostObjectClose: close(handle) -> i64: 0, or the errno of a commit that failed (nothing is
// then visible). The handle is gone either way.
func hostObjectClose(ctx context.Context, mod api.Module, stack []uint64) {
	e, oh, code := handleCall(ctx, stack[0])
	if code != 0 {
		stack[0] = errno64(code)
		return
	}
	delete(e.objects.open, int32(uint32(stack[0])))
	var err error
	switch {
	case oh.r != nil:
		err = oh.r.Close()
	case oh.failed:
		_ = oh.w.Abort()
		code = abi.EIO
	default:
		err = oh.w.Close()
	}
	if err != nil {
		code = objectio.Errno(err)
	}
	stack[0] = errno64(code)
}

// hostObjectAbort: abort(handle) -> i64: a writer's data is discarded; a reader is closed.
func hostObjectAbort(ctx context.Context, mod api.Module, stack []uint64) {
	e, oh, code := handleCall(ctx, stack[0])
	if code != 0 {
		stack[0] = errno64(code)
		return
	}
	delete(e.objects.open, int32(uint32(stack[0])))
	if oh.w != nil {
		_ = oh.w.Abort()
	} else {
		_ = oh.r.Close()
	}
	stack[0] = 0
}
