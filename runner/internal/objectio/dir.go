package objectio

import (
	"context"
	"crypto/md5"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
)

// EtagMD5Limit is the largest file whose ETag is the MD5 of its content. It and the ETag rule
// are the folder item source's (runner/internal/itemreader), so that Stat agrees with the item.
const EtagMD5Limit = 8 << 20

// DirStore is a Store over a local folder. Every access goes through an os.Root, so neither a
// key nor a symbolic link reaches outside the folder. Symbolic links inside the folder are
// followed, absolute ones included, as long as they lead to a place inside it.
//
// Writes go to a hidden temporary file (".wasmap-<random>.tmp") in the key's folder, renamed
// to the key on Close: readers never see a partial object, and an aborted writer leaves
// nothing (a process killed mid-write may leave the temporary file). Close does not fsync.
// Create makes the key's folders as needed.
type DirStore struct {
	root   *os.Root
	dir    string // the folder, symbolic links resolved
	prefix string // prepended to keys in Info.Key and the ETag (LocalBuckets' prefixes)
}

// OpenDir opens the folder dir as a Store.
func OpenDir(dir string) (*DirStore, error) {
	real, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return nil, err
	}
	r, err := os.OpenRoot(real)
	if err != nil {
		return nil, err
	}
	probeEscape(r)
	return &DirStore{root: r, dir: real}, nil
}

// Close releases the folder.
func (s *DirStore) Close() error { return s.root.Close() }

// errEscapes is os.Root's unexported "path escapes from parent" error, found by asking for "..".
var (
	errEscapes error
	probeOnce  sync.Once
)

func probeEscape(r *os.Root) {
	probeOnce.Do(func() {
		_, err := r.Stat("..")
		var pe *fs.PathError
		if errors.As(err, &pe) {
			errEscapes = pe.Err
		}
	})
}

func escapes(err error) bool { return errEscapes != nil && errors.Is(err, errEscapes) }

// denied rewrites an escape error as ErrDenied and ENOTDIR (a file where a folder is
// expected: no such object) as fs.ErrNotExist, keeping the key, not the host's path.
func denied(op, key string, err error) error {
	switch {
	case err == nil:
		return nil
	case escapes(err):
		return &fs.PathError{Op: op, Path: key, Err: ErrDenied}
	case errors.Is(err, syscall.ENOTDIR):
		return &fs.PathError{Op: op, Path: key, Err: fs.ErrNotExist}
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return &fs.PathError{Op: op, Path: key, Err: pe.Err}
	}
	return err
}

// follow retries a read that os.Root refused as escaping: an absolute symbolic link (which
// os.Root never follows) may still lead inside the folder. It resolves key's links and, when
// the target is inside, returns the target's key; the retry goes through the Root again, so a
// link changed in between cannot escape either.
func (s *DirStore) follow(key string, err error) (string, bool) {
	if !escapes(err) {
		return "", false
	}
	real, lerr := filepath.EvalSymlinks(filepath.Join(s.dir, filepath.FromSlash(key)))
	if lerr != nil {
		return "", false
	}
	rel, lerr := filepath.Rel(s.dir, real)
	if lerr != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) || filepath.IsAbs(rel) {
		return "", false
	}
	return filepath.ToSlash(rel), true
}

// Stat describes the regular file at key. The ETag is the folder item source's: the MD5 of
// the content up to EtagMD5Limit bytes, else the MD5 of the key, size and modification time.
func (s *DirStore) Stat(ctx context.Context, key string) (Info, error) {
	fi, err := s.root.Stat(key)
	if real, ok := s.follow(key, err); ok {
		fi, err = s.root.Stat(real)
	}
	if err != nil {
		return Info{}, denied("stat", key, err)
	}
	if fi.IsDir() {
		return Info{}, &fs.PathError{Op: "stat", Path: key, Err: syscall.EISDIR}
	}
	if !fi.Mode().IsRegular() {
		return Info{}, &fs.PathError{Op: "stat", Path: key, Err: ErrDenied}
	}
	var sum [md5.Size]byte
	if fi.Size() <= EtagMD5Limit {
		r, err := s.Open(ctx, key)
		if err != nil {
			return Info{}, err
		}
		h := md5.New()
		_, err = io.Copy(h, io.NewSectionReader(r, 0, r.Size()))
		r.Close()
		if err != nil {
			return Info{}, denied("stat", key, err)
		}
		h.Sum(sum[:0])
	} else {
		sum = md5.Sum(fmt.Appendf(nil, "%s\x00%d\x00%d", s.prefix+key, fi.Size(), fi.ModTime().UnixNano()))
	}
	return Info{Key: s.prefix + key, Size: fi.Size(), ETag: `"` + hex.EncodeToString(sum[:]) + `"`, LastModified: fi.ModTime()}, nil
}

// Open opens the regular file at key. Anything else (a folder: EISDIR; a device, a pipe: a
// denial) is refused before it is opened, so that opening a FIFO cannot block.
func (s *DirStore) Open(ctx context.Context, key string) (Reader, error) {
	fi, err := s.root.Stat(key)
	if real, ok := s.follow(key, err); ok {
		key = real
		fi, err = s.root.Stat(real)
	}
	if err != nil {
		return nil, denied("open", key, err)
	}
	if fi.IsDir() {
		return nil, &fs.PathError{Op: "open", Path: key, Err: syscall.EISDIR}
	}
	if !fi.Mode().IsRegular() {
		return nil, &fs.PathError{Op: "open", Path: key, Err: ErrDenied}
	}
	f, err := s.root.Open(key)
	if err != nil {
		return nil, denied("open", key, err)
	}
	if fi, err = f.Stat(); err != nil || !fi.Mode().IsRegular() { // replaced in between
		f.Close()
		if err == nil {
			err = ErrDenied
		}
		return nil, denied("open", key, err)
	}
	return &fileReader{f: f, size: fi.Size()}, nil
}

type fileReader struct {
	f    *os.File
	size int64
}

func (r *fileReader) Size() int64 { return r.size }

func (r *fileReader) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, fmt.Errorf("%w: negative offset %d", fs.ErrInvalid, off)
	}
	if off >= r.size {
		return 0, io.EOF
	}
	short := false
	if rest := r.size - off; int64(len(p)) > rest {
		p, short = p[:rest], true
	}
	n, err := r.f.ReadAt(p, off)
	if err == nil && short {
		err = io.EOF
	}
	return n, err
}

func (r *fileReader) Close() error { return r.f.Close() }

// Create starts a new object at key, making its folders. A folder at key is EISDIR.
func (s *DirStore) Create(ctx context.Context, key string) (Writer, error) {
	dir := path.Dir(key)
	if dir != "." {
		if err := s.root.MkdirAll(dir, 0o755); err != nil {
			if errors.Is(err, syscall.ENOTDIR) || errors.Is(err, fs.ErrExist) {
				return nil, &fs.PathError{Op: "create", Path: key, Err: syscall.ENOTDIR}
			}
			return nil, denied("create", key, err)
		}
	}
	if fi, err := s.root.Lstat(key); err == nil && fi.IsDir() {
		return nil, &fs.PathError{Op: "create", Path: key, Err: syscall.EISDIR}
	}
	var rnd [8]byte
	_, _ = rand.Read(rnd[:])
	tmp := path.Join(dir, ".wasmap-"+hex.EncodeToString(rnd[:])+".tmp")
	f, err := s.root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return nil, denied("create", key, err)
	}
	return &fileWriter{s: s, f: f, tmp: tmp, key: key}, nil
}

type fileWriter struct {
	s        *DirStore
	f        *os.File
	tmp, key string
	done     bool
}

func (w *fileWriter) Write(p []byte) (int, error) {
	if w.done {
		return 0, &fs.PathError{Op: "write", Path: w.key, Err: fs.ErrClosed}
	}
	n, err := w.f.Write(p)
	return n, denied("write", w.key, err)
}

func (w *fileWriter) Close() error {
	if w.done {
		return &fs.PathError{Op: "close", Path: w.key, Err: fs.ErrClosed}
	}
	w.done = true
	err := w.f.Close()
	if err == nil {
		err = w.s.root.Rename(w.tmp, w.key)
	}
	if err != nil {
		_ = w.s.root.Remove(w.tmp)
		return denied("close", w.key, err)
	}
	return nil
}

func (w *fileWriter) Abort() error {
	if w.done {
		return nil
	}
	w.done = true
	w.f.Close()
	return denied("abort", w.key, w.s.root.Remove(w.tmp))
}
