package runner

import (
	"bufio"
	"os"
	"path/filepath"
	"sync"
)

// logStreams writes one log file per execution environment, as CloudWatch keeps one log stream
// per environment. Files are DIR/<yyyy>/<mm>/<dd>/[$LATEST]<hex>.log, the stream's name.
//
// append is called from environment goroutines; each environment writes only its own stream.
type logStreams struct {
	dir string

	mu      sync.Mutex
	streams map[int]*logStream
	err     error
}

type logStream struct {
	f *os.File
	w *bufio.Writer
}

func newLogStreams(dir string) *logStreams {
	return &logStreams{dir: dir, streams: map[int]*logStream{}}
}

// append adds whole log lines to an environment's stream: execenv's Queue.Log, which renders
// START, the function's and extensions' lines, END and REPORT in Lambda's format (text or JSON).
// Calls for one environment never overlap.
func (l *logStreams) append(env int, stream string, events []byte) {
	l.mu.Lock()
	s, ok := l.streams[env]
	if !ok {
		s = l.open(stream)
		l.streams[env] = s
	}
	l.mu.Unlock()
	if s != nil {
		s.w.Write(events)
	}
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
