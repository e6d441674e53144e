// Command objguest is the runner's test function for object I/O (wasmap_object_v1): each event
// chooses what it does with the SDK's object package.
//
// Build: GOOS=wasip1 GOARCH=wasm go build -o objguest.wasm .
//
// Events are {"op":"<op>", …}. "to" names are created with object.Create, or with
// object.CreateOutput when "output" is true. A failed object call does not fail the
// invocation: the op responds {"err":"<ERRNO>","msg":"<error text>"} instead.
//
//	env                                  responds {"output":OutputPrefix(),"default":DefaultPrefix()}
//	open        {"key"}                  opens and closes key, responds {"size"}
//	read        {"key","offset","len"}   ReadAt of len bytes at offset: {"data","n","eof","size"}
//	stream      {"key","buf"}            Read to the end through a buf-byte buffer (default 64 KiB),
//	                                     hashing: {"sha256","bytes","reads"}
//	stat        {"key"}                  {"Key","Size","Etag","LastModified"} (LastModified in epoch s)
//	write       {"to","data","output"}   creates, writes data, closes: {"bytes"}
//	copy        {"from","to","output"}   streams from into to with a 64 KiB buffer, closes: {"bytes"}
//	leak-writer {"to","data","output"}   creates and writes, never closes: {"bytes"}
//	fail-writer {"to","data","output"}   creates and writes, then fails the invocation (errorType
//	                                     "WriteFailedError") without closing
//	abort       {"to","data","output"}   creates, writes, aborts: {}
//	cap         {"key"}                  opens key until an open fails, keeping all: {"opened","err"}
//	keep        {"key"}                  opens key into a global Reader (never closed): {}
//	use-kept                             reads from the kept Reader: {"err":…} once the host closed it
//	raw         {"key"}                  calls the imports with bad arguments: {"<case>":result,…}
//	open-after-respond {"key"}           responds {"raw":true} through the raw respond import, then
//	                                     calls the raw open import and keeps its result; the SDK's own
//	                                     response then gets EALREADY and is dropped
//	after-respond                        responds {"open":<the kept result>}
//	init                                 responds {"open":<the init open's result>} and reads from the
//	                                     Reader opened during init: {"err":…} once the host closed it
//
// OBJGUEST_INIT_KEY in the environment names an object that init (before the first next) opens
// and keeps.
package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/wasmap/wasmap/sdk/go/lambda"
	"github.com/wasmap/wasmap/sdk/go/object"
)

// Event is the guest's event.
type Event struct {
	Op     string `json:"op"`
	Key    string `json:"key"`
	From   string `json:"from"`
	To     string `json:"to"`
	Data   string `json:"data"`
	Output bool   `json:"output"`
	Offset int64  `json:"offset"`
	Len    int    `json:"len"`
	Buf    int    `json:"buf"`
}

// WriteFailedError is the error of the fail-writer op.
type WriteFailedError struct{}

func (*WriteFailedError) Error() string { return "objguest: failing with a writer open" }

var (
	kept         *object.Reader
	afterRespond int64
	initReader   *object.Reader
	initErr      error
)

func main() {
	if key := os.Getenv("OBJGUEST_INIT_KEY"); key != "" {
		initReader, initErr = object.Open(key)
	}
	lambda.Start(handle)
}

func handle(ctx context.Context, ev Event) (any, error) {
	res, err := run(ev)
	var wf *WriteFailedError
	if errors.As(err, &wf) {
		return nil, err
	}
	if err != nil {
		return map[string]string{"err": errnoName(err), "msg": err.Error()}, nil
	}
	return res, nil
}

// errnoName is the ERRNO in an object.Errno's text "meaning (ERRNO)".
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

func create(ev Event) (*object.Writer, error) {
	if ev.Output {
		return object.CreateOutput(ev.To)
	}
	return object.Create(ev.To)
}

func run(ev Event) (any, error) {
	switch ev.Op {
	case "env":
		return map[string]string{"output": object.OutputPrefix(), "default": object.DefaultPrefix()}, nil
	case "open":
		r, err := object.Open(ev.Key)
		if err != nil {
			return nil, err
		}
		defer r.Close()
		return map[string]int64{"size": r.Size()}, nil
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
		return map[string]any{"data": string(buf[:n]), "n": n, "eof": err == io.EOF, "size": r.Size()}, nil
	case "stream":
		r, err := object.Open(ev.Key)
		if err != nil {
			return nil, err
		}
		defer r.Close()
		if ev.Buf <= 0 {
			ev.Buf = 64 << 10
		}
		buf := make([]byte, ev.Buf)
		h := sha256.New()
		var total int64
		reads := 0
		for {
			n, err := r.Read(buf)
			h.Write(buf[:n])
			total += int64(n)
			reads++
			if err == io.EOF {
				break
			}
			if err != nil {
				return nil, err
			}
		}
		return map[string]any{"sha256": hex.EncodeToString(h.Sum(nil)), "bytes": total, "reads": reads}, nil
	case "stat":
		info, err := object.Stat(ev.Key)
		if err != nil {
			return nil, err
		}
		return map[string]any{"Key": info.Key, "Size": info.Size, "Etag": info.ETag, "LastModified": info.LastModified.Unix()}, nil
	case "write", "leak-writer", "fail-writer", "abort":
		w, err := create(ev)
		if err != nil {
			return nil, err
		}
		n, err := io.WriteString(w, ev.Data)
		if err != nil {
			return nil, err
		}
		switch ev.Op {
		case "write":
			err = w.Close()
		case "fail-writer":
			return nil, &WriteFailedError{}
		case "abort":
			err = w.Abort()
		}
		return map[string]int{"bytes": n}, err
	case "copy":
		r, err := object.Open(ev.From)
		if err != nil {
			return nil, err
		}
		defer r.Close()
		w, err := create(ev)
		if err != nil {
			return nil, err
		}
		defer w.Abort()
		n, err := io.CopyBuffer(w, r, make([]byte, 64<<10))
		if err != nil {
			return nil, err
		}
		return map[string]int64{"bytes": n}, w.Close()
	case "cap":
		opened := 0
		for opened < 1000 {
			if _, err := object.Open(ev.Key); err != nil {
				return map[string]any{"opened": opened, "err": errnoName(err)}, nil
			}
			opened++
		}
		return map[string]any{"opened": opened}, nil
	case "keep":
		r, err := object.Open(ev.Key)
		if err != nil {
			return nil, err
		}
		kept = r
		return map[string]any{}, nil
	case "use-kept":
		if kept == nil {
			return nil, errors.New("objguest: nothing kept")
		}
		_, err := kept.ReadAt(make([]byte, 1), 0)
		return map[string]any{}, err
	case "raw":
		return rawCases(ev.Key), nil
	case "open-after-respond":
		afterRespond = openAfterRespond(ev.Key)
		return nil, nil
	case "after-respond":
		return map[string]int64{"open": afterRespond}, nil
	case "init":
		if initErr != nil {
			return nil, initErr
		}
		if initReader == nil {
			return nil, errors.New("objguest: OBJGUEST_INIT_KEY is not set")
		}
		_, err := initReader.ReadAt(make([]byte, 1), 0)
		return map[string]any{}, err
	}
	return nil, fmt.Errorf("objguest: unknown op %q", ev.Op)
}
