package objectio_test

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/wasmap/wasmap/abi"
	"github.com/wasmap/wasmap/runner/internal/objectio"
)

// tree makes this layout in a temporary folder and returns the folder (links resolved):
//
//	data/a.txt  data/sub/b.txt  data/out/old.txt (the nested output folder)
//	data/abs-in  → <root>/data/a.txt  (absolute link, inside)
//	data/rel-out → ../secret.txt      (relative link, outside)
//	data/abs-out → <root>/secret.txt  (absolute link, outside)
//	data/dir-out → ../extra           (link to a folder outside)
//	extra/e.txt  secret.txt  items.json
func tree(t *testing.T) string {
	t.Helper()
	root, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		"data/a.txt": "alpha\n", "data/sub/b.txt": "beta\n", "data/out/old.txt": "old\n",
		"extra/e.txt": "extra\n", "secret.txt": "secret\n", "items.json": "[1,2]\n",
	}
	for name, content := range files {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	links := map[string]string{
		"data/abs-in":  filepath.Join(root, "data/a.txt"),
		"data/rel-out": "../secret.txt",
		"data/abs-out": filepath.Join(root, "secret.txt"),
		"data/dir-out": "../extra",
	}
	for name, target := range links {
		if err := os.Symlink(target, filepath.Join(root, name)); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func newAccess(t *testing.T, cfg objectio.Config) *objectio.Access {
	t.Helper()
	a, err := objectio.NewAccess(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	return a
}

func TestResolve(t *testing.T) {
	root := tree(t)
	f := "file://" + filepath.ToSlash(root)
	a := newAccess(t, objectio.Config{
		Items:  filepath.Join(root, "data"),
		Reads:  []string{filepath.Join(root, "extra"), "s3://bucket/in"},
		Output: filepath.Join(root, "data", "out"),
	})
	if got, want := a.DefaultPrefix(), f+"/data/"; got != want {
		t.Errorf("DefaultPrefix = %q, want %q", got, want)
	}
	if got, want := a.OutputPrefix(), f+"/data/out/"; got != want {
		t.Errorf("OutputPrefix = %q, want %q", got, want)
	}
	tests := []struct {
		name  string
		write bool
		loc   string // the granting location, when allowed
		key   string
		errno abi.Errno
	}{
		{name: "a.txt", loc: f + "/data/", key: "a.txt"},
		{name: "sub/b.txt", loc: f + "/data/", key: "sub/b.txt"},
		{name: f + "/data/sub/b.txt", loc: f + "/data/", key: "sub/b.txt"},
		{name: f + "/extra/e.txt", loc: f + "/extra/", key: "e.txt"},
		{name: "nope.txt", loc: f + "/data/", key: "nope.txt"}, // resolves; Open says ENOENT
		{name: "out/x.json", write: true, loc: f + "/data/out/", key: "x.json"},
		{name: f + "/data/out/d/x.json", write: true, loc: f + "/data/out/", key: "d/x.json"},

		// The policy.
		{name: "out/old.txt", errno: abi.EACCES},           // the output is carved out of the items
		{name: f + "/data/out/old.txt", errno: abi.EACCES}, // however it is named
		{name: "a.txt", write: true, errno: abi.EACCES},    // items are read-only
		{name: f + "/extra/e.txt", write: true, errno: abi.EACCES},
		{name: f + "/secret.txt", errno: abi.EACCES},
		{name: f + "/data", errno: abi.EACCES},    // a folder is not an object in it
		{name: f + "/data2/x", errno: abi.EACCES}, // locations are folder-bounded
		{name: "out", write: true, errno: abi.EACCES},
		{name: "s3://bucket/other/k", errno: abi.EACCES},
		{name: "s3://bucket/in/k", write: true, errno: abi.EACCES},
		{name: "s3://bucket/in/k", errno: abi.ENOTSUP}, // allowed, but no S3 store in this run
		{name: "s3://bucket/inner/k", errno: abi.EACCES},

		// Escapes and malformed names.
		{name: "../secret.txt", errno: abi.EACCES},
		{name: "sub/../../secret.txt", errno: abi.EACCES},
		{name: "out/../../secret.txt", write: true, errno: abi.EACCES},
		{name: "..", errno: abi.EACCES},
		{name: "/etc/passwd", errno: abi.EACCES},
		{name: f + "/data/../secret.txt", errno: abi.EACCES},
		{name: "s3://bucket/in/../x", errno: abi.EACCES},
		{name: "s3://../x", errno: abi.EACCES},
		{name: "", errno: abi.EINVAL},
		{name: "a\x00b", errno: abi.EINVAL},
		{name: "\xff", errno: abi.EINVAL},
		{name: "./a.txt", errno: abi.EINVAL},
		{name: "sub//b.txt", errno: abi.EINVAL},
		{name: "sub/", errno: abi.EINVAL},
		{name: "file://host/etc/passwd", errno: abi.EINVAL},
		{name: "file:///", errno: abi.EINVAL},
		{name: "s3:///k", errno: abi.EINVAL},
		{name: "s3://bucket", errno: abi.EINVAL},
		{name: strings.Repeat("k", abi.MaxObjectNameBytes+1), errno: abi.ENAMETOOLONG},
		{name: "http://example.com/x", errno: abi.ENOTSUP},
		{name: "weird:name", loc: f + "/data/", key: "weird:name"}, // a plain key
	}
	for _, tt := range tests {
		got, err := a.Resolve(tt.name, tt.write)
		if errno := objectio.Errno(err); errno != tt.errno {
			t.Errorf("Resolve(%q, write=%v): errno %d (%v), want %d", tt.name, tt.write, errno, err, tt.errno)
			continue
		}
		if err == nil && (got.Location.String() != tt.loc || got.Key != tt.key) {
			t.Errorf("Resolve(%q, write=%v) = %s + %q, want %s + %q", tt.name, tt.write, got.Location, got.Key, tt.loc, tt.key)
		}
	}
}

// TestResolveSources covers the default location and grants of each kind of item source.
func TestResolveSources(t *testing.T) {
	root := tree(t)
	f := "file://" + filepath.ToSlash(root)
	tests := []struct {
		cfg     objectio.Config
		def     string
		allowed []string // readable names
		denied  []string
	}{
		{cfg: objectio.Config{Items: filepath.Join(root, "items.json")}, def: f + "/",
			allowed: []string{"items.json", f + "/items.json"}, denied: []string{"secret.txt", "data/a.txt"}},
		{cfg: objectio.Config{Items: filepath.Join(root, "items.json"), Reads: []string{filepath.Join(root, "data")}}, def: f + "/",
			allowed: []string{"items.json", "data/a.txt"}, denied: []string{"secret.txt"}},
		{cfg: objectio.Config{Items: "s3://bkt/pre/fix/"}, def: "s3://bkt/",
			allowed: nil, denied: []string{"pre/x", "s3://bkt/pre/x", "s3://other/pre/fix/x"}},
		// The output location declared as a read location too: outputs are readable.
		{cfg: objectio.Config{Items: filepath.Join(root, "data"), Output: filepath.Join(root, "data/out"), Reads: []string{filepath.Join(root, "data/out")}},
			def: f + "/data/", allowed: []string{"out/old.txt", "a.txt"}},
		// No item source: only URIs under declared locations.
		{cfg: objectio.Config{Reads: []string{"file://" + filepath.ToSlash(root) + "/extra"}}, def: "",
			allowed: []string{f + "/extra/e.txt"}, denied: []string{"e.txt"}},
	}
	for i, tt := range tests {
		a := newAccess(t, tt.cfg)
		if a.DefaultPrefix() != tt.def {
			t.Errorf("%d: DefaultPrefix = %q, want %q", i, a.DefaultPrefix(), tt.def)
		}
		for _, n := range tt.allowed {
			if _, err := a.Resolve(n, false); err != nil {
				t.Errorf("%d: Resolve(%q): %v", i, n, err)
			}
		}
		for _, n := range tt.denied {
			if _, err := a.Resolve(n, false); !errors.Is(err, objectio.ErrDenied) {
				t.Errorf("%d: Resolve(%q): %v, want ErrDenied", i, n, err)
			}
		}
	}
	if _, err := a3(root); err == nil {
		t.Errorf("an output location holding the item source is accepted")
	}
}

func a3(root string) (*objectio.Access, error) {
	return objectio.NewAccess(context.Background(), objectio.Config{Items: filepath.Join(root, "data"), Output: root})
}

func TestNewAccessErrors(t *testing.T) {
	root := tree(t)
	for _, cfg := range []objectio.Config{
		{Items: filepath.Join(root, "missing")},
		{Reads: []string{filepath.Join(root, "missing")}},
		{Output: filepath.Join(root, "secret.txt")}, // a file
		{Output: "gs://bucket/x"},
		{Output: "s3://"},
		{Output: "s3://b/../x"},
		{Items: filepath.Join(root, "data"), Output: filepath.Join(root, "data")},
	} {
		if a, err := objectio.NewAccess(context.Background(), cfg); err == nil {
			a.Close()
			t.Errorf("NewAccess(%+v) succeeded", cfg)
		}
	}
	// A missing output folder is created.
	out := filepath.Join(root, "new", "out")
	newAccess(t, objectio.Config{Output: out})
	if fi, err := os.Stat(out); err != nil || !fi.IsDir() {
		t.Errorf("output folder not created: %v", err)
	}
}

// fakeStore is an in-memory Store for the Opener test.
type fakeStore struct {
	folder objectio.Location
	objs   map[string]string
}

func (s *fakeStore) Stat(_ context.Context, key string) (objectio.Info, error) {
	v, ok := s.objs[key]
	if !ok {
		return objectio.Info{}, fs.ErrNotExist
	}
	return objectio.Info{Key: s.folder.Path + key, Size: int64(len(v))}, nil
}

func (s *fakeStore) Open(context.Context, string) (objectio.Reader, error) {
	return nil, errors.ErrUnsupported
}

func (s *fakeStore) Create(context.Context, string) (objectio.Writer, error) {
	return nil, errors.ErrUnsupported
}

func TestOpener(t *testing.T) {
	var opened []string
	a := newAccess(t, objectio.Config{Items: "s3://bkt/in", Output: "s3://bkt/out/",
		Openers: map[string]objectio.Opener{objectio.SchemeS3: func(_ context.Context, loc objectio.Location) (objectio.Store, error) {
			opened = append(opened, loc.String())
			return &fakeStore{folder: loc, objs: map[string]string{"k": "v"}}, nil
		}}})
	if strings.Join(opened, " ") != "s3://bkt/out/ s3://bkt/in/" {
		t.Errorf("opened %v", opened)
	}
	info, err := a.Stat(context.Background(), "in/k")
	if err != nil || info.Key != "in/k" || info.Size != 1 {
		t.Errorf("Stat = %+v, %v", info, err)
	}
	if _, err := a.Stat(context.Background(), "s3://bkt/in/nope"); objectio.Errno(err) != abi.ENOENT {
		t.Errorf("Stat(nope): %v", err)
	}
	if a.OutputPrefix() != "s3://bkt/out/" || a.DefaultPrefix() != "s3://bkt/" {
		t.Errorf("prefixes %q %q", a.OutputPrefix(), a.DefaultPrefix())
	}
}

func TestDirStore(t *testing.T) {
	root := tree(t)
	ctx := context.Background()
	a := newAccess(t, objectio.Config{Items: filepath.Join(root, "data"), Output: filepath.Join(root, "data", "out")})

	// Reads, ranged and whole.
	r, err := a.Open(ctx, "sub/b.txt")
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 10)
	if n, err := r.ReadAt(buf, 1); n != 4 || err != io.EOF || string(buf[:n]) != "eta\n" {
		t.Errorf("ReadAt(1) = %d %v %q", n, err, buf[:n])
	}
	if n, err := r.ReadAt(buf[:2], 0); n != 2 || err != nil || string(buf[:2]) != "be" {
		t.Errorf("ReadAt(0, 2) = %d %v", n, err)
	}
	if n, err := r.ReadAt(buf, 5); n != 0 || err != io.EOF {
		t.Errorf("ReadAt(end) = %d %v", n, err)
	}
	if _, err := r.ReadAt(buf, -1); objectio.Errno(err) != abi.EINVAL {
		t.Errorf("ReadAt(-1): %v", err)
	}
	if r.Size() != 5 {
		t.Errorf("Size = %d", r.Size())
	}
	r.Close()

	// Stat agrees with the folder item source.
	info, err := a.Stat(ctx, "a.txt")
	sum := md5.Sum([]byte("alpha\n"))
	if err != nil || info.Key != "a.txt" || info.Size != 6 || info.ETag != `"`+hex.EncodeToString(sum[:])+`"` {
		t.Errorf("Stat = %+v, %v", info, err)
	}

	// Links: an absolute one inside is followed; any that leads outside is refused.
	if info, err := a.Stat(ctx, "abs-in"); err != nil || info.Key != "abs-in" || info.Size != 6 {
		t.Errorf("Stat(abs-in) = %+v, %v", info, err)
	}
	if r, err := a.Open(ctx, "abs-in"); err != nil {
		t.Errorf("Open(abs-in): %v", err)
	} else {
		r.Close()
	}
	for _, name := range []string{"rel-out", "abs-out", "dir-out/e.txt"} {
		if _, err := a.Open(ctx, name); objectio.Errno(err) != abi.EACCES {
			t.Errorf("Open(%s): %v, want EACCES", name, err)
		}
		if _, err := a.Stat(ctx, name); objectio.Errno(err) != abi.EACCES {
			t.Errorf("Stat(%s): %v, want EACCES", name, err)
		}
	}
	for name, want := range map[string]abi.Errno{"nope": abi.ENOENT, "a.txt/x": abi.ENOENT, "sub": abi.EISDIR} {
		if _, err := a.Open(ctx, name); objectio.Errno(err) != want {
			t.Errorf("Open(%s): %v, want errno %d", name, err, want)
		}
	}
	if err := syscall.Mkfifo(filepath.Join(root, "data", "fifo"), 0o644); err == nil {
		if _, err := a.Open(ctx, "fifo"); objectio.Errno(err) != abi.EACCES {
			t.Errorf("Open(fifo): %v, want EACCES", err)
		}
	}

	// Writes appear whole on Close, and nothing of an aborted one.
	out := filepath.Join(root, "data", "out")
	w, err := a.Create(ctx, "out/d/e/x.json")
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte(`{"a":`))
	if _, err := os.Stat(filepath.Join(out, "d/e/x.json")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the object is visible before Close: %v", err)
	}
	w.Write([]byte(`1}`))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(out, "d/e/x.json")); string(b) != `{"a":1}` {
		t.Errorf("committed %q", b)
	}
	if err := w.Close(); objectio.Errno(err) != abi.EBADF {
		t.Errorf("second Close: %v", err)
	}
	if _, err := w.Write([]byte("x")); objectio.Errno(err) != abi.EBADF {
		t.Errorf("Write after Close: %v", err)
	}
	w, _ = a.Create(ctx, "out/old.txt")
	w.Write([]byte("partial"))
	if err := w.Abort(); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(out, "old.txt")); string(b) != "old\n" {
		t.Errorf("an aborted write replaced the object: %q", b)
	}
	if _, err := a.Create(ctx, "out/d"); objectio.Errno(err) != abi.EISDIR {
		t.Errorf("Create over a folder: %v", err)
	}
	if _, err := a.Create(ctx, "out/old.txt/x"); objectio.Errno(err) != abi.ENOTDIR {
		t.Errorf("Create under a file: %v", err)
	}
	if err := os.Symlink(filepath.Join(root, "extra"), filepath.Join(out, "escape")); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Create(ctx, "out/escape/x"); objectio.Errno(err) != abi.EACCES {
		t.Errorf("Create through a link outside: %v", err)
	}
	if _, err := os.Stat(filepath.Join(root, "extra", "x")); err == nil {
		t.Errorf("a write escaped the output folder")
	}
	ents, _ := os.ReadDir(out)
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	if got := strings.Join(names, " "); got != "d escape old.txt" {
		t.Errorf("output folder holds %s (temporary files left?)", got)
	}
}

// TestBigReads reads a file bigger than the ETag limit in ranges.
func TestBigReads(t *testing.T) {
	dir := t.TempDir()
	data := bytes.Repeat([]byte("0123456789abcdef"), (objectio.EtagMD5Limit+4096)/16)
	if err := os.WriteFile(filepath.Join(dir, "big"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	a := newAccess(t, objectio.Config{Items: dir})
	info, err := a.Stat(context.Background(), "big")
	if err != nil || info.Size != int64(len(data)) || len(info.ETag) != 34 {
		t.Fatalf("Stat = %+v, %v", info, err)
	}
	r, err := a.Open(context.Background(), "big")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	got, err := io.ReadAll(io.NewSectionReader(r, 0, r.Size()))
	if err != nil || !bytes.Equal(got, data) {
		t.Errorf("read %d bytes, %v", len(got), err)
	}
}

func TestErrno(t *testing.T) {
	tests := []struct {
		err  error
		want abi.Errno
	}{
		{nil, 0},
		{objectio.ErrDenied, abi.EACCES},
		{fs.ErrPermission, abi.EACCES},
		{&fs.PathError{Op: "open", Path: "x", Err: syscall.EACCES}, abi.EACCES},
		{objectio.ErrNoStore, abi.ENOTSUP},
		{fs.ErrNotExist, abi.ENOENT},
		{fs.ErrClosed, abi.EBADF},
		{syscall.ENOSPC, abi.ENOSPC},
		{errors.New("network"), abi.EIO},
	}
	for _, tt := range tests {
		if got := objectio.Errno(tt.err); got != tt.want {
			t.Errorf("Errno(%v) = %d, want %d", tt.err, got, tt.want)
		}
	}
	if !errors.Is(objectio.ErrDenied, fs.ErrPermission) || !errors.Is(objectio.ErrNoStore, errors.ErrUnsupported) {
		t.Errorf("sentinels do not match their fs counterparts")
	}
}

func TestLocalBuckets(t *testing.T) {
	root := tree(t)
	ctx := context.Background()
	a := newAccess(t, objectio.Config{Items: "s3://bkt/data", Output: "s3://bkt/results/",
		Openers: map[string]objectio.Opener{objectio.SchemeS3: objectio.LocalBuckets(map[string]string{"bkt": root})}})
	if a.DefaultPrefix() != "s3://bkt/" || a.OutputPrefix() != "s3://bkt/results/" {
		t.Errorf("prefixes %q %q", a.DefaultPrefix(), a.OutputPrefix())
	}
	info, err := a.Stat(ctx, "data/sub/b.txt") // a plain key is a full key in the bucket
	if err != nil || info.Key != "data/sub/b.txt" || info.Size != 5 {
		t.Errorf("Stat = %+v, %v", info, err)
	}
	for name, want := range map[string]abi.Errno{
		"secret.txt": abi.EACCES, "s3://bkt/secret.txt": abi.EACCES, "data/rel-out": abi.EACCES,
		"data/../secret.txt": abi.EACCES, "s3://other/data/a.txt": abi.EACCES, "data/nope": abi.ENOENT,
	} {
		if _, err := a.Open(ctx, name); objectio.Errno(err) != want {
			t.Errorf("Open(%s): %v, want errno %d", name, err, want)
		}
	}
	// A read location whose folder does not exist: reads are ENOENT, nothing is made.
	b := newAccess(t, objectio.Config{Items: "s3://bkt/none/",
		Openers: map[string]objectio.Opener{objectio.SchemeS3: objectio.LocalBuckets(map[string]string{"bkt": root})}})
	if _, err := b.Open(ctx, "none/x"); objectio.Errno(err) != abi.ENOENT {
		t.Errorf("Open under a missing prefix folder: %v", err)
	}
	if _, err := os.Stat(filepath.Join(root, "none")); err == nil {
		t.Errorf("a read location's folder was made")
	}
	// The output folder is made on the first Create.
	if _, err := os.Stat(filepath.Join(root, "results")); err == nil {
		t.Errorf("the output folder exists before any Create")
	}
	w, err := a.Create(ctx, "s3://bkt/results/r.json")
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("{}"))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(root, "results", "r.json")); string(b) != "{}" {
		t.Errorf("wrote %q, %v", b, err)
	}
	if _, err := objectio.NewAccess(ctx, objectio.Config{Items: "s3://unknown/x",
		Openers: map[string]objectio.Opener{objectio.SchemeS3: objectio.LocalBuckets(nil)}}); err == nil {
		t.Errorf("a bucket with no folder is accepted")
	}
}
