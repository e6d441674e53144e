package lambda

import (
	"encoding/json"
	"fmt"
	"reflect"
	"runtime"
	"strings"

	"github.com/wasmap/wasmap/sdk/go/lambda/messages"
)

// invokeError is the error JSON of an error a handler returned: its message and the name of its
// type, pointers dereferenced (errors.New gives "errorString"). A messages.InvokeResponse_Error
// is used as it is.
func invokeError(err error) *messages.InvokeResponse_Error {
	switch e := err.(type) {
	case messages.InvokeResponse_Error:
		return &e
	case *messages.InvokeResponse_Error:
		if e != nil {
			return e
		}
	}
	return &messages.InvokeResponse_Error{Message: errorMessage(err), Type: typeName(err)}
}

// errorMessage is err.Error(), or a description of the panic when Error panics (a method on a
// nil pointer, typically): reporting an error must not itself fail.
func errorMessage(err error) (msg string) {
	defer func() {
		if v := recover(); v != nil {
			msg = fmt.Sprintf("%T.Error() panicked: %v", err, v)
		}
	}()
	return err.Error()
}

// typeName is the name of v's type with one level of pointer removed, "" for an unnamed type.
func typeName(v any) string {
	t := reflect.TypeOf(v)
	if t == nil {
		return ""
	}
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t.Name()
}

// panicError is the error JSON of a recovered panic: fmt.Sprint of the value, the value's type
// name and the stack of the panicking goroutine from the panic down to the handler. The process
// must exit after reporting it.
func panicError(v any, stack []*messages.InvokeResponse_Error_StackFrame) *messages.InvokeResponse_Error {
	return &messages.InvokeResponse_Error{
		Message:    fmt.Sprint(v),
		Type:       typeName(v),
		StackTrace: stack,
		ShouldExit: true,
	}
}

// sdkPrefix is the prefix of this package's function names.
var sdkPrefix = reflect.TypeFor[handler]().PkgPath() + "."

// isSDKFrame reports whether a function is one of the SDK's that call the handler (or decode its
// event); a stack trace stops at the first of them, or at package reflect.
func isSDKFrame(function string) bool {
	if strings.HasPrefix(function, "reflect.") {
		return true
	}
	name, ok := strings.CutPrefix(function, sdkPrefix)
	if !ok {
		return false
	}
	for _, p := range []string{"reflectHandler.", "directHandler.", "newTypedHandler[", "userHandler.", "decodeEvent", "(*invokeLoop).", "(*output)."} {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

const maxStackFrames = 64

// panicStack returns the frames of the current panic, innermost first. It must be called from
// the deferred function that recovers.
func panicStack() []*messages.InvokeResponse_Error_StackFrame {
	pcs := make([]uintptr, maxStackFrames+16)
	pcs = pcs[:runtime.Callers(1, pcs)]
	frames := runtime.CallersFrames(pcs)
	var stack []*messages.InvokeResponse_Error_StackFrame
	afterPanic := false
	for {
		f, more := frames.Next()
		switch {
		case !afterPanic:
			afterPanic = f.Function == "runtime.gopanic"
		case len(stack) == 0 && strings.HasPrefix(f.Function, "runtime."):
			// runtime.panicmem, runtime.sigpanic and the like: how the panic began, not where.
		case isSDKFrame(f.Function):
			return stack
		default:
			stack = append(stack, stackFrame(f))
			if len(stack) == maxStackFrames {
				return stack
			}
		}
		if !more {
			return stack
		}
	}
}

// stackFrame names a frame the way aws-lambda-go does: the file as <import path>/<file name> and
// the function without its package path.
func stackFrame(f runtime.Frame) *messages.InvokeResponse_Error_StackFrame {
	pkg, label := splitFuncName(f.Function)
	path := f.File
	if pkg != "" {
		path = pkg + "/" + path[strings.LastIndexByte(path, '/')+1:]
	}
	return &messages.InvokeResponse_Error_StackFrame{Path: path, Line: int32(f.Line), Label: label}
}

// splitFuncName splits "example.com/a/b.(*T).M" into "example.com/a/b" and "(*T).M".
func splitFuncName(name string) (pkg, label string) {
	slash := strings.LastIndexByte(name, '/') + 1
	dot := strings.IndexByte(name[slash:], '.')
	if dot < 0 {
		return "", name
	}
	return name[:slash+dot], name[slash+dot+1:]
}

// marshalError encodes an error JSON. It cannot fail: every field is a string or a number.
func marshalError(e *messages.InvokeResponse_Error) []byte {
	b, err := json.Marshal(e)
	if err != nil {
		b, _ = json.Marshal(messages.InvokeResponse_Error{Message: err.Error(), Type: typeName(err)})
	}
	return b
}
