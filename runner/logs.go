package runner

import (
	"bufio"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/wasmap/wasmap/abi"
	"github.com/wasmap/wasmap/runner/internal/execenv"
)

// logStreams writes one log file per execution environment, as CloudWatch keeps one log stream
// per environment: START, the function's lines, END and REPORT for each invocation, in
// Lambda's text format. Files are DIR/<yyyy>/<mm>/<dd>/[$LATEST]<hex>.log, the stream's name.
//
// write is called from environment goroutines; each environment writes only its own stream.
type logStreams struct {
	dir      string
	memoryMB int

	mu      sync.Mutex
	streams map[int]*logStream
	err     error
}

type logStream struct {
	f *os.File
	w *bufio.Writer
}

func newLogStreams(dir string, memoryMB int) *logStreams {
	return &logStreams{dir: dir, memoryMB: memoryMB, streams: map[int]*logStream{}}
}

// write appends one invocation to its environment's stream.
func (l *logStreams) write(t *execenv.Task) {
	l.mu.Lock()
	s, ok := l.streams[t.Env]
	if !ok {
		s = l.open(t.LogStream)
		l.streams[t.Env] = s
	}
	l.mu.Unlock()
	if s == nil {
		return
	}
	w := s.w
	fmt.Fprintf(w, "START RequestId: %s Version: $LATEST\n", t.RequestID)
	if len(t.Logs) > 0 {
		w.Write(t.Logs)
		if t.Logs[len(t.Logs)-1] != '\n' {
			w.WriteByte('\n')
		}
	}
	if t.LogsDropped > 0 {
		fmt.Fprintf(w, "wasmap: %d bytes of this invocation's logs were dropped (over 1 MiB)\n", t.LogsDropped)
	}
	fmt.Fprintf(w, "END RequestId: %s\n", t.RequestID)
	w.WriteString(reportLine(t, l.memoryMB))
	w.WriteByte('\n')
}

// reportLine renders Lambda's REPORT line: TAB-separated fields with a trailing TAB; Billed
// Duration is ceil(Duration + Init Duration) in ms; Status appears for timeouts and crashes.
func reportLine(t *execenv.Task, memoryMB int) string {
	dur := float64(t.Duration().Nanoseconds()) / 1e6
	initMs := float64(t.InitDuration.Nanoseconds()) / 1e6
	var b strings.Builder
	fmt.Fprintf(&b, "REPORT RequestId: %s\tDuration: %.2f ms\tBilled Duration: %d ms\tMemory Size: %d MB\tMax Memory Used: %d MB\t",
		t.RequestID, dur, int64(math.Ceil(dur+initMs)), memoryMB, (t.MaxMemory+(1<<20)-1)>>20)
	if t.ColdStart {
		fmt.Fprintf(&b, "Init Duration: %.2f ms\t", initMs)
	}
	if e := t.Err; e != nil && e.Recycled {
		if e.Type == abi.ErrSandboxTimedout {
			b.WriteString("Status: timeout\t")
		} else {
			fmt.Fprintf(&b, "Status: error\tError Type: %s\t", e.Type)
		}
	}
	return b.String()
}

func (l *logStreams) open(stream string) *logStream {
	path := filepath.Join(l.dir, filepath.FromSlash(stream)+".log")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		l.err = err
		return nil
	}
	f, err := os.Create(path)
	if err != nil {
		l.err = err
		return nil
	}
	return &logStream{f: f, w: bufio.NewWriterSize(f, 32<<10)}
}

// closeEnv flushes and closes an environment's stream when the environment has ended.
func (l *logStreams) closeEnv(env int) {
	l.mu.Lock()
	s := l.streams[env]
	delete(l.streams, env)
	l.mu.Unlock()
	if s != nil {
		s.w.Flush()
		s.f.Close()
	}
}
