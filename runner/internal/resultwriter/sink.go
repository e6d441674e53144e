package resultwriter

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
)

// Sink is where result objects go: a local folder, or an S3 bucket.
type Sink interface {
	// Destination is the manifest's DestinationBucket: the bucket name, or the absolute path of
	// a local folder. Destination + "/" + key names an object.
	Destination() string
	// Create starts a new object under key, a "/"-separated relative path. Nothing is visible
	// under key before the object's Commit.
	Create(key string) (Object, error)
}

// Object is an object being written. Its methods are called in this order: Write any number of
// times, Seal once, Commit once; Abort may be called at any point, and more than once.
type Object interface {
	io.Writer
	// Seal ends the writing: the content is flushed and durable, but not yet visible under its
	// key. (An S3 object uploads its last part.)
	Seal() error
	// Commit makes the sealed content visible under the key, atomically: a reader sees the whole
	// object or nothing. (A local file is renamed into place; an S3 upload is completed.)
	Commit() error
	// Abort discards the object: the content before Commit, the committed object after it. It
	// is best effort and returns the first error met.
	Abort() error
}

// DirSink writes objects as files under a local folder. Each file is written to a temporary
// file in its final folder (named ".<name>.tmp-<random>"), fsynced at Seal, renamed into place
// at Commit, and the folder is fsynced, so a crash leaves either the whole file or no file under
// the final name. DirSink is goroutine-safe; each Object is not.
type DirSink struct {
	dir string
}

// NewDirSink returns a sink writing under dir, which it creates if needed.
func NewDirSink(dir string) (*DirSink, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(abs, 0o755); err != nil {
		return nil, err
	}
	return &DirSink{dir: abs}, nil
}

// Destination returns the absolute path of the folder.
func (s *DirSink) Destination() string { return s.dir }

// Create creates the folders of key and a temporary file beside the final one.
func (s *DirSink) Create(key string) (Object, error) {
	rel := filepath.FromSlash(key)
	if !filepath.IsLocal(rel) || path.Clean(key) != key {
		return nil, fmt.Errorf("invalid object key %q", key)
	}
	final := filepath.Join(s.dir, rel)
	dir := filepath.Dir(final)
	if err := mkdirAllSynced(dir); err != nil {
		return nil, err
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(final)+".tmp-*")
	if err != nil {
		return nil, err
	}
	if err := f.Chmod(0o644); err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, err
	}
	return &fileObject{final: final, tmp: f.Name(), f: f, w: bufio.NewWriterSize(f, 256<<10)}, nil
}

type fileObject struct {
	final string
	tmp   string
	f     *os.File      // nil once closed
	w     *bufio.Writer // nil once sealed
	state int
	err   error // the first error of Write or Seal
}

const (
	objWriting = iota
	objSealed
	objCommitted
	objAborted
)

var errObjectState = errors.New("object method called out of order")

func (o *fileObject) Write(p []byte) (int, error) {
	if o.state != objWriting {
		return 0, errObjectState
	}
	if o.err != nil {
		return 0, o.err
	}
	n, err := o.w.Write(p)
	o.err = err
	return n, err
}

func (o *fileObject) Seal() error {
	if o.state != objWriting {
		return errObjectState
	}
	if o.err == nil {
		o.err = o.w.Flush()
	}
	if o.err == nil {
		o.err = o.f.Sync()
	}
	if err := o.f.Close(); o.err == nil {
		o.err = err
	}
	o.f, o.w = nil, nil
	if o.err != nil {
		return o.err
	}
	o.state = objSealed
	return nil
}

func (o *fileObject) Commit() error {
	if o.state != objSealed {
		return errObjectState
	}
	if err := os.Rename(o.tmp, o.final); err != nil {
		return err
	}
	o.state = objCommitted
	return syncDir(filepath.Dir(o.final))
}

func (o *fileObject) Abort() error {
	var err error
	switch o.state {
	case objWriting, objSealed:
		if o.f != nil {
			o.f.Close()
			o.f, o.w = nil, nil
		}
		if e := os.Remove(o.tmp); e != nil && !errors.Is(e, os.ErrNotExist) {
			err = e
		}
	case objCommitted:
		if e := os.Remove(o.final); e != nil && !errors.Is(e, os.ErrNotExist) {
			err = e
		} else {
			err = syncDir(filepath.Dir(o.final))
		}
	}
	o.state = objAborted
	return err
}

// mkdirAllSynced creates dir and its missing parents, fsyncing the parent of each folder it
// creates so that the new entries survive a crash.
func mkdirAllSynced(dir string) error {
	if fi, err := os.Stat(dir); err == nil && fi.IsDir() {
		return nil
	}
	parent := filepath.Dir(dir)
	if parent != dir {
		if err := mkdirAllSynced(parent); err != nil {
			return err
		}
	}
	if err := os.Mkdir(dir, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
		return err
	}
	return syncDir(parent)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
