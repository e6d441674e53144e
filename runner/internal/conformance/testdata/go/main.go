// Command conformance is the Go conformance module: the behaviours of
// runner/internal/conformance (see its doc.go for the protocol) written with sdk/go, the
// reference the other SDKs' modules must match.
//
// Build: GOOS=wasip1 GOARCH=wasm go build -o conformance.wasm .
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"

	"github.com/wasmap/wasmap/sdk/go/lambda"
	"github.com/wasmap/wasmap/sdk/go/lambdacontext"
	"github.com/wasmap/wasmap/sdk/go/object"
)

// Event is the conformance event.
type Event struct {
	Op      string          `json:"op"`
	Value   json.RawMessage `json:"value"`
	Message string          `json:"message"`
	Bytes   int             `json:"bytes"`
	Key     string          `json:"key"`
	From    string          `json:"from"`
	To      string          `json:"to"`
	Data    string          `json:"data"`
	Offset  int64           `json:"offset"`
	Len     int             `json:"len"`
	Doc     json.RawMessage `json:"doc"`
}

// fieldReport is the "field" op's response: the member's raw JSON, its value as a string and
// as an integer, each null when it is not one.
type fieldReport struct {
	Int    *int64  `json:"int"`
	Raw    *string `json:"raw"`
	String *string `json:"string"`
}

// ConformanceError is the error of the "error" op.
type ConformanceError struct{ msg string }

func (e *ConformanceError) Error() string { return e.msg }

// UnknownOpError is the error of an op the module does not know.
type UnknownOpError struct{ op string }

func (e *UnknownOpError) Error() string { return "unknown op: " + e.op }

var invocations int

func main() {
	if os.Getenv("CONFORMANCE_INIT") == "fail" {
		initError(`{"errorMessage":"conformance: init failed on purpose","errorType":"InitFailure"}`)
		return
	}
	lambda.Start(handle)
}

type contextReport struct {
	DeadlineMs         int64  `json:"deadlineMs"`
	FunctionName       string `json:"functionName"`
	InvokedFunctionArn string `json:"invokedFunctionArn"`
	MemoryMB           int    `json:"memoryMB"`
	RemainingMs        int64  `json:"remainingMs"`
	RequestID          string `json:"requestId"`
	TraceID            string `json:"traceId"`
}

func handle(ctx context.Context, ev Event) (any, error) {
	invocations++
	switch ev.Op {
	case "echo":
		return ev.Value, nil
	case "counter":
		return invocations, nil
	case "error":
		return nil, &ConformanceError{ev.Message}
	case "panic":
		panic(ev.Message)
	case "trap":
		runtime.Breakpoint() // the wasm port's breakpoint is the unreachable instruction
		return nil, nil
	case "big":
		return strings.Repeat("x", max(ev.Bytes-2, 0)), nil
	case "context":
		lc, _ := lambdacontext.FromContext(ctx)
		deadline, _ := ctx.Deadline()
		trace, _ := ctx.Value("x-amzn-trace-id").(string)
		return contextReport{
			DeadlineMs:         deadline.UnixMilli(),
			FunctionName:       lambdacontext.FunctionName,
			InvokedFunctionArn: lc.InvokedFunctionArn,
			MemoryMB:           lambdacontext.MemoryLimitInMB,
			RemainingMs:        remainingMs(),
			RequestID:          lc.AwsRequestID,
			TraceID:            trace,
		}, nil
	case "log":
		for level := int32(0); level <= 5; level++ {
			logRecord(level, ev.Message)
		}
		fmt.Println("stdout: " + ev.Message)
		fmt.Fprintln(os.Stderr, "stderr: "+ev.Message)
		return 8, nil
	case "field":
		var r fieldReport
		var m map[string]json.RawMessage
		if json.Unmarshal(ev.Doc, &m) == nil {
			if raw, ok := m[ev.Key]; ok {
				s := string(raw)
				r.Raw = &s
				var str string
				if json.Unmarshal(raw, &str) == nil {
					r.String = &str
				}
				var n int64
				if json.Unmarshal(raw, &n) == nil {
					r.Int = &n
				}
			}
		}
		return r, nil
	case "open", "stat", "read", "copy", "write", "leak":
		res, err := objects(ev)
		if err != nil {
			return map[string]string{"err": errnoName(err)}, nil
		}
		return res, nil
	}
	return nil, &UnknownOpError{ev.Op}
}

// errnoName is the ERRNO of an object.Errno, whose text is "meaning (ERRNO)".
func errnoName(err error) string {
	var e object.Errno
	if !errors.As(err, &e) {
		return "?"
	}
	s := e.Error()
	if i := strings.LastIndexByte(s, '('); i >= 0 {
		return strings.TrimSuffix(s[i+1:], ")")
	}
	return s
}

type statReport struct {
	Etag         string `json:"Etag"`
	Key          string `json:"Key"`
	LastModified int64  `json:"LastModified"`
	Size         int64  `json:"Size"`
}

type readReport struct {
	Data string `json:"data"`
	N    int    `json:"n"`
}

func objects(ev Event) (any, error) {
	switch ev.Op {
	case "open":
		r, err := object.Open(ev.Key)
		if err != nil {
			return nil, err
		}
		defer r.Close()
		return map[string]int64{"size": r.Size()}, nil
	case "stat":
		i, err := object.Stat(ev.Key)
		if err != nil {
			return nil, err
		}
		return statReport{i.ETag, i.Key, i.LastModified.Unix(), i.Size}, nil
	case "read":
		r, err := object.Open(ev.Key)
		if err != nil {
			return nil, err
		}
		defer r.Close()
		buf := make([]byte, ev.Len)
		n, err := r.ReadAt(buf, ev.Offset)
		if err != nil && err != io.EOF {
			return nil, err
		}
		return readReport{string(buf[:n]), n}, nil
	case "copy":
		r, err := object.Open(ev.From)
		if err != nil {
			return nil, err
		}
		defer r.Close()
		w, err := object.CreateOutput(ev.To)
		if err != nil {
			return nil, err
		}
		defer w.Abort()
		n, err := io.CopyBuffer(struct{ io.Writer }{w}, struct{ io.Reader }{r}, make([]byte, 4096))
		if err != nil {
			return nil, err
		}
		return map[string]int64{"bytes": n}, w.Close()
	}
	// write, leak
	w, err := object.CreateOutput(ev.To)
	if err != nil {
		return nil, err
	}
	n, err := io.WriteString(w, ev.Data)
	if err != nil {
		return nil, err
	}
	if ev.Op == "write" {
		if err := w.Close(); err != nil {
			return nil, err
		}
	}
	return map[string]int{"bytes": n}, nil
}
