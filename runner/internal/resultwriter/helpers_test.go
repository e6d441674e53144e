package resultwriter_test

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/wasmap/wasmap/runner/internal/resultwriter"
)

const (
	runID  = "0f6a2c54-5b8e-4c1d-9d7a-3e2f1b0c9a87"
	runArn = "arn:aws:states:us-east-1:123456789012:mapRun:orders/Map:" + runID
)

// tree returns the files under dir, relative and "/"-separated, with their contents.
func tree(t *testing.T, dir string) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		rel, _ := filepath.Rel(dir, path)
		files[filepath.ToSlash(rel)] = string(b)
		return err
	})
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Fatal(err)
	}
	return files
}

func names(files map[string]string) []string {
	var out []string
	for name := range files {
		out = append(out, name)
	}
	sort.Strings(out)
	return out
}

// memSink keeps objects in memory and can be told to fail.
type memSink struct {
	mu        sync.Mutex
	committed map[string][]byte
	live      int                       // objects created and not yet committed or aborted
	failOn    func(op, key string) bool // op: "create", "write", "seal", "commit"
}

func newMemSink() *memSink { return &memSink{committed: map[string][]byte{}} }

func (s *memSink) Destination() string { return "result-bucket" }

func (s *memSink) fail(op, key string) error {
	if s.failOn != nil && s.failOn(op, key) {
		return fmt.Errorf("injected %s failure", op)
	}
	return nil
}

func (s *memSink) Create(key string) (resultwriter.Object, error) {
	if err := s.fail("create", key); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.live++
	return &memObject{sink: s, key: key}, nil
}

type memObject struct {
	sink      *memSink
	key       string
	buf       bytes.Buffer
	committed bool
	done      bool
}

func (o *memObject) Write(p []byte) (int, error) {
	if err := o.sink.fail("write", o.key); err != nil {
		return 0, err
	}
	return o.buf.Write(p)
}

func (o *memObject) Seal() error { return o.sink.fail("seal", o.key) }

func (o *memObject) Commit() error {
	if err := o.sink.fail("commit", o.key); err != nil {
		return err
	}
	o.sink.mu.Lock()
	defer o.sink.mu.Unlock()
	o.sink.committed[o.key] = o.buf.Bytes()
	o.sink.live--
	o.committed, o.done = true, true
	return nil
}

func (o *memObject) Abort() error {
	o.sink.mu.Lock()
	defer o.sink.mu.Unlock()
	if o.committed {
		delete(o.sink.committed, o.key)
		o.committed = false
	} else if !o.done {
		o.sink.live--
	}
	o.done = true
	return nil
}

func writerCause(t *testing.T, err error) string {
	t.Helper()
	var we *resultwriter.WriterError
	if !errors.As(err, &we) {
		t.Fatalf("error %v (%T) is not a *WriterError", err, err)
	}
	if we.Name() != "States.ResultWriterFailed" || we.Error() != we.Cause {
		t.Fatalf("Name() = %q, Error() = %q, Cause = %q", we.Name(), we.Error(), we.Cause)
	}
	return we.Cause
}

func hasTemp(files map[string]string) bool {
	for name := range files {
		if strings.Contains(name, ".tmp-") {
			return true
		}
	}
	return false
}

func mapKeys[V any](m map[string]V) []string {
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
