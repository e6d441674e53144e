package itemreader

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// EtagMD5Limit is the largest file whose Etag is the MD5 of its content, as S3 gives for an
// object uploaded in one part. A larger file gets an opaque Etag, the MD5 of its key, size and
// modification time, so that listing a folder of big files does not read them all.
const EtagMD5Limit = 8 << 20

// folderReader yields one listObjectsV2-like item per file of a folder, in key order.
type folderReader struct {
	stopped
	w     *walker
	max   int64
	index int64
	buf   []byte // for hashing
}

func newFolderReader(path, prefix string, maxItems int64) (*folderReader, error) {
	w, err := newWalker(path, prefix)
	if err != nil {
		return nil, err
	}
	return &folderReader{w: w, max: maxItems}, nil
}

func (r *folderReader) Next() (Item, error) {
	if err := r.check(); err != nil {
		return Item{}, err
	}
	if r.max > 0 && r.index >= r.max {
		r.err = io.EOF
		return Item{}, io.EOF
	}
	for {
		e, err := r.w.next()
		if err != nil {
			r.err = err
			return Item{}, err
		}
		v, err := r.entry(e)
		if errors.Is(err, fs.ErrNotExist) {
			continue // removed since the folder was read
		}
		it := Item{Index: r.index, Value: v}
		r.index++
		if err != nil {
			it.Value, it.Err = nil, &ItemError{Key: e.key, Reason: err.Error(), Err: err}
		}
		return it, nil
	}
}

// entry returns the listObjectsV2 entry of a file:
//
//	{"Etag":"\"<32 hex digits>\"","Key":"<key>","LastModified":<epoch seconds>,"Size":<bytes>,"StorageClass":"STANDARD"}
func (r *folderReader) entry(e fileEntry) ([]byte, error) {
	if !utf8.ValidString(e.key) {
		return nil, errors.New("the file name is not valid UTF-8, which an S3 key must be")
	}
	fi, err := os.Stat(e.path)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fs.ErrNotExist // replaced since the folder was read
	}
	var sum [md5.Size]byte
	if fi.Size() <= EtagMD5Limit {
		f, err := os.Open(e.path)
		if err != nil {
			return nil, err
		}
		if r.buf == nil {
			r.buf = make([]byte, 64<<10)
		}
		h := md5.New()
		_, err = io.CopyBuffer(h, f, r.buf)
		f.Close()
		if err != nil {
			return nil, err
		}
		h.Sum(sum[:0])
	} else {
		sum = md5.Sum(fmt.Appendf(nil, "%s\x00%d\x00%d", e.key, fi.Size(), fi.ModTime().UnixNano()))
	}
	v := make([]byte, 0, 128+len(e.key))
	v = append(v, `{"Etag":"\"`...)
	v = hex.AppendEncode(v, sum[:])
	v = append(v, `\"","Key":`...)
	v = appendJSONString(v, e.key)
	v = append(v, `,"LastModified":`...)
	v = strconv.AppendInt(v, fi.ModTime().Unix(), 10)
	v = append(v, `,"Size":`...)
	v = strconv.AppendInt(v, fi.Size(), 10)
	v = append(v, `,"StorageClass":"STANDARD"}`...)
	return v, nil
}

func (r *folderReader) Close() error {
	if !r.closed {
		r.closed = true
		r.w.stack = nil
	}
	return nil
}

func countFolder(ctx context.Context, path, prefix string, maxItems int64) (int64, error) {
	w, err := newWalker(path, prefix)
	if err != nil {
		return 0, err
	}
	var n int64
	for maxItems == 0 || n < maxItems {
		if n%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return n, err
			}
		}
		if _, err := w.next(); err == io.EOF {
			break
		} else if err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// walker lists the files of a folder in key order: the byte-wise order of their paths relative
// to the folder, with "/" separators, as S3 lists keys. It reads one directory at a time and
// sorts its entries, a directory as its name followed by "/": then the depth-first walk is in
// key order ("a-c" < "a.b" < "a/b", while the names sort "a" < "a-c" < "a.b"). Memory holds the
// entries of the directories on the current path, not the whole tree.
type walker struct {
	root   string // the folder, with symbolic links resolved
	prefix string
	stack  []*dirFrame
}

type dirFrame struct {
	key  string // key of the directory: "" for the root, else ending in "/"
	ents []dirEnt
	next int
}

type dirEnt struct {
	name string
	typ  fs.FileMode // the type bits
}

// sortByte returns the byte at i of the entry's name followed, for a directory, by "/"; -1 past
// the end.
func (e dirEnt) sortByte(i int) int {
	switch {
	case i < len(e.name):
		return int(e.name[i])
	case i == len(e.name) && e.typ.IsDir():
		return '/'
	}
	return -1
}

func compareEnts(a, b dirEnt) int {
	n := min(len(a.name), len(b.name))
	if c := strings.Compare(a.name[:n], b.name[:n]); c != 0 {
		return c
	}
	return a.sortByte(n) - b.sortByte(n)
}

// fileEntry is one file of the listing.
type fileEntry struct {
	key  string
	path string // a regular file, or a symbolic link to one inside the folder
}

func newWalker(path, prefix string) (*walker, error) {
	root, err := filepath.EvalSymlinks(path)
	if err != nil {
		return nil, &ReaderError{Cause: err.Error(), Err: err}
	}
	w := &walker{root: root, prefix: prefix}
	// Start from the deepest directory the prefix names: "logs/2024/x" starts at logs/2024/. Each
	// of its components must be a directory, not a symbolic link, or nothing can match.
	dir := prefix[:strings.LastIndexByte(prefix, '/')+1]
	if dir != "" {
		d := ""
		for name := range strings.SplitSeq(strings.TrimSuffix(dir, "/"), "/") {
			if name == "" || name == "." || name == ".." {
				return w, nil // no key has such a component
			}
			d += name + "/"
			fi, err := os.Lstat(w.path(d))
			if errors.Is(err, fs.ErrNotExist) || err == nil && !fi.IsDir() {
				return w, nil
			}
			if err != nil {
				return nil, &ReaderError{Cause: err.Error(), Err: err}
			}
		}
	}
	if err := w.push(dir); err != nil {
		return nil, err
	}
	return w, nil
}

// path returns the file path of a key.
func (w *walker) path(key string) string {
	return filepath.Join(w.root, filepath.FromSlash(key))
}

// push reads and sorts the directory with the given key.
func (w *walker) push(key string) error {
	f, err := os.Open(w.path(key))
	if err != nil {
		return &ReaderError{Cause: err.Error(), Err: err}
	}
	defer f.Close()
	var ents []dirEnt
	for {
		batch, err := f.ReadDir(1024)
		for _, d := range batch {
			ents = append(ents, dirEnt{d.Name(), d.Type()})
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return &ReaderError{Cause: err.Error(), Err: err}
		}
	}
	slices.SortFunc(ents, compareEnts)
	w.stack = append(w.stack, &dirFrame{key: key, ents: ents})
	return nil
}

// next returns the next file, io.EOF after the last one, or a *ReaderError when a directory
// cannot be read.
func (w *walker) next() (fileEntry, error) {
	for len(w.stack) > 0 {
		f := w.stack[len(w.stack)-1]
		if f.next == len(f.ents) {
			w.stack[len(w.stack)-1] = nil
			w.stack = w.stack[:len(w.stack)-1]
			continue
		}
		e := f.ents[f.next]
		f.next++
		key := f.key + e.name
		switch {
		case e.typ.IsDir():
			dir := key + "/"
			if strings.HasPrefix(dir, w.prefix) || strings.HasPrefix(w.prefix, dir) {
				if err := w.push(dir); err != nil {
					return fileEntry{}, err
				}
			}
		case !strings.HasPrefix(key, w.prefix):
		case e.typ.IsRegular():
			return fileEntry{key, w.path(key)}, nil
		case e.typ&fs.ModeSymlink != 0:
			if w.linksToFile(w.path(key)) {
				return fileEntry{key, w.path(key)}, nil
			}
		}
	}
	return fileEntry{}, io.EOF
}

// linksToFile reports whether the symbolic link at path leads to a regular file inside the
// folder. Links to directories are not followed; links that lead outside are not listed.
func (w *walker) linksToFile(path string) bool {
	target, err := filepath.EvalSymlinks(path)
	if err != nil {
		return false
	}
	rel, err := filepath.Rel(w.root, target)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return false
	}
	fi, err := os.Stat(target)
	return err == nil && fi.Mode().IsRegular()
}
