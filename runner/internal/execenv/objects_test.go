package execenv_test

import (
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wasmap/wasmap/abi"
	"github.com/wasmap/wasmap/runner/internal/execenv"
	"github.com/wasmap/wasmap/runner/internal/guesttest"
	"github.com/wasmap/wasmap/runner/internal/objectio"
)

const objGuest = "runner/testdata/guests/objguest"

// objTree makes a run's folders, links resolved:
//
//	data/a.txt, data/sub/b.txt     the item source
//	data/out/old.txt               the output location, nested in the item source
//	data/link-out → ../secret.txt  a link leading outside
//	secret.txt
func objTree(t *testing.T) string {
	t.Helper()
	root, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for name, content := range map[string]string{
		"data/a.txt": "hello, object world\n", "data/sub/b.txt": "beta\n",
		"data/out/old.txt": "old\n", "secret.txt": "secret\n",
	} {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("../secret.txt", filepath.Join(root, "data", "link-out")); err != nil {
		t.Fatal(err)
	}
	return root
}

// objFunction loads objguest with an Access over cfg (nil cfg: no Access).
func objFunction(t *testing.T, cfg *objectio.Config, ecfg execenv.Config) *execenv.Function {
	t.Helper()
	wasm, err := os.ReadFile(guesttest.Build(t, objGuest))
	if err != nil {
		t.Fatal(err)
	}
	if cfg != nil {
		acc, err := objectio.NewAccess(context.Background(), *cfg)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { acc.Close() })
		ecfg.Objects = acc
	}
	ecfg.Name = "objguest"
	if ecfg.Timeout == 0 {
		ecfg.Timeout = 20 * time.Second
	}
	return load(t, wasm, ecfg)
}

// outputs runs events in one environment and decodes each response; a failed invocation
// decodes as {"errorType": …}.
func outputs(t *testing.T, f *execenv.Function, events ...string) []map[string]any {
	t.Helper()
	tasks, _ := invoke(t, f, events...)
	if len(tasks) != len(events) {
		t.Fatalf("%d results for %d events", len(tasks), len(events))
	}
	out := make([]map[string]any, len(tasks))
	for i, tk := range tasks {
		if tk.Err != nil {
			out[i] = map[string]any{"errorType": tk.Err.Type}
			continue
		}
		if err := json.Unmarshal(tk.Output, &out[i]); err != nil {
			t.Fatalf("event %s: %v: %s", events[i], err, tk.Output)
		}
	}
	return out
}

func ev(fields ...any) string {
	m := map[string]any{}
	for i := 0; i < len(fields); i += 2 {
		m[fields[i].(string)] = fields[i+1]
	}
	b, _ := json.Marshal(m)
	return string(b)
}

func TestObjectsRead(t *testing.T) {
	root := objTree(t)
	data, out := filepath.Join(root, "data"), filepath.Join(root, "data", "out")
	f := objFunction(t, &objectio.Config{Items: data, Output: out}, execenv.Config{})
	uri := "file://" + filepath.ToSlash(root)
	sum := md5.Sum([]byte("hello, object world\n"))
	fi, _ := os.Stat(filepath.Join(data, "a.txt"))
	res := outputs(t, f,
		ev("op", "env"),
		ev("op", "read", "key", "a.txt", "offset", 7, "len", 6),
		ev("op", "read", "key", "a.txt", "offset", 14, "len", 100),
		ev("op", "read", "key", uri+"/data/sub/b.txt", "offset", 0, "len", 2),
		ev("op", "read", "key", "a.txt", "offset", 1000, "len", 1),
		ev("op", "stat", "key", "a.txt"),
		ev("op", "open", "key", "sub/b.txt"),
		ev("op", "open", "key", "missing.txt"),
		ev("op", "open", "key", "sub"),
		ev("op", "raw", "key", "a.txt"),
	)
	want := []map[string]any{
		{"output": uri + "/data/out/", "default": uri + "/data/"},
		{"data": "object", "n": 6.0, "eof": false, "size": 20.0},
		{"data": "world\n", "n": 6.0, "eof": true, "size": 20.0},
		{"data": "be", "n": 2.0, "eof": false, "size": 5.0},
		{"data": "", "n": 0.0, "eof": true, "size": 20.0},
		{"Key": "a.txt", "Size": 20.0, "Etag": `"` + hex.EncodeToString(sum[:]) + `"`, "LastModified": float64(fi.ModTime().Unix())},
		{"size": 5.0},
		{"err": "ENOENT"},
		{"err": "EISDIR"},
		{
			"open-fault":    float64(-abi.EFAULT),
			"stat-fault":    float64(-abi.EFAULT),
			"stat-small":    float64(len(`{"Etag":"\"` + hex.EncodeToString(sum[:]) + `\"","Key":"a.txt","LastModified":` + fmt.Sprint(fi.ModTime().Unix()) + `,"Size":20}`)),
			"read-badf":     float64(-abi.EBADF),
			"size-badf":     float64(-abi.EBADF),
			"close-badf":    float64(-abi.EBADF),
			"open":          -1, // any handle > 0
			"read-fault":    float64(-abi.EFAULT),
			"read-negative": float64(-abi.EINVAL),
			"read-past-end": 0.0,
			"read-zero":     0.0,
			"write-reader":  float64(-abi.EBADF),
			"close":         0.0,
			"close-again":   float64(-abi.EBADF),
		},
	}
	for i := range want {
		got := res[i]
		delete(got, "msg")
		if h, ok := got["open"].(float64); ok && h > 0 {
			got["open"] = -1
		}
		if fmt.Sprint(got) != fmt.Sprint(want[i]) {
			t.Errorf("event %d:\n got %v\nwant %v", i, got, want[i])
		}
	}
}

// TestObjectsStreamLarge streams a 64 MiB object through a 64 KiB buffer: the guest's memory
// stays far below the object's size.
func TestObjectsStreamLarge(t *testing.T) {
	dir := t.TempDir()
	big := make([]byte, 64<<20)
	rng := rand.NewChaCha8([32]byte{1})
	_, _ = rng.Read(big)
	if err := os.WriteFile(filepath.Join(dir, "big.bin"), big, 0o644); err != nil {
		t.Fatal(err)
	}
	want := sha256.Sum256(big)
	big = nil
	f := objFunction(t, &objectio.Config{Items: dir}, execenv.Config{MemoryMB: 32})
	start := time.Now()
	tasks, _ := invoke(t, f, ev("op", "stream", "key", "big.bin", "buf", 64<<10))
	if tasks[0].Err != nil {
		t.Fatal(tasks[0].Err)
	}
	var got struct {
		SHA256 string `json:"sha256"`
		Bytes  int64  `json:"bytes"`
		Reads  int    `json:"reads"`
	}
	json.Unmarshal(tasks[0].Output, &got)
	if got.SHA256 != hex.EncodeToString(want[:]) || got.Bytes != 64<<20 || got.Reads != 1025 {
		t.Errorf("stream = %+v, want sha256 %x over %d bytes in 1025 reads", got, want, 64<<20)
	}
	if tasks[0].MaxMemory > 16<<20 {
		t.Errorf("guest memory %d MiB while streaming 64 MiB", tasks[0].MaxMemory>>20)
	}
	t.Logf("64 MiB streamed and hashed in %v, guest memory %d MiB", time.Since(start), tasks[0].MaxMemory>>20)
}

func TestObjectsWrite(t *testing.T) {
	root := objTree(t)
	data, out := filepath.Join(root, "data"), filepath.Join(root, "data", "out")
	f := objFunction(t, &objectio.Config{Items: data, Output: out}, execenv.Config{})
	res := outputs(t, f,
		ev("op", "write", "to", "r/one.json", "data", `{"n":1}`, "output", true),
		ev("op", "write", "to", "out/two.txt", "data", "two"), // the output location by plain key
		ev("op", "copy", "from", "a.txt", "to", "a.copy", "output", true),
		ev("op", "leak-writer", "to", "leaked.txt", "data", "partial", "output", true),
		ev("op", "fail-writer", "to", "failed.txt", "data", "partial", "output", true),
		ev("op", "abort", "to", "aborted.txt", "data", "partial", "output", true),
		ev("op", "write", "to", "old.txt", "data", "new\n", "output", true), // replaces
	)
	want := []string{`map[bytes:7]`, `map[bytes:3]`, `map[bytes:20]`, `map[bytes:7]`, `map[errorType:WriteFailedError]`, `map[bytes:7]`, `map[bytes:4]`}
	for i := range want {
		if fmt.Sprint(res[i]) != want[i] {
			t.Errorf("event %d: %v, want %s", i, res[i], want[i])
		}
	}
	files := map[string]string{}
	filepath.WalkDir(out, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			b, _ := os.ReadFile(p)
			rel, _ := filepath.Rel(out, p)
			files[filepath.ToSlash(rel)] = string(b)
		}
		return nil
	})
	wantFiles := map[string]string{"r/one.json": `{"n":1}`, "two.txt": "two", "a.copy": "hello, object world\n", "old.txt": "new\n"}
	if fmt.Sprint(files) != fmt.Sprint(wantFiles) {
		t.Errorf("output folder holds %v, want %v (no leaked, failed, aborted or temporary file)", files, wantFiles)
	}
}

func TestObjectsEscapes(t *testing.T) {
	root := objTree(t)
	data, out := filepath.Join(root, "data"), filepath.Join(root, "data", "out")
	f := objFunction(t, &objectio.Config{Items: data, Output: out, Reads: []string{"s3://bucket/in"}}, execenv.Config{})
	uri := "file://" + filepath.ToSlash(root)
	tests := []struct{ event, errno string }{
		{ev("op", "open", "key", "../secret.txt"), "EACCES"},
		{ev("op", "open", "key", "sub/../../secret.txt"), "EACCES"},
		{ev("op", "open", "key", "/etc/passwd"), "EACCES"},
		{ev("op", "open", "key", uri+"/secret.txt"), "EACCES"},
		{ev("op", "open", "key", uri+"/data/../secret.txt"), "EACCES"},
		{ev("op", "open", "key", "file:///etc/passwd"), "EACCES"},
		{ev("op", "open", "key", "link-out"), "EACCES"},                // a link leading outside
		{ev("op", "stat", "key", "link-out"), "EACCES"},                //
		{ev("op", "open", "key", "out/old.txt"), "EACCES"},             // the output is not readable
		{ev("op", "stat", "key", uri+"/data/out/old.txt"), "EACCES"},   //
		{ev("op", "write", "to", "a.txt", "data", "x"), "EACCES"},      // the items are not writable
		{ev("op", "write", "to", uri+"/x.txt", "data", "x"), "EACCES"}, //
		{ev("op", "write", "to", "../x.txt", "data", "x", "output", true), "EACCES"},
		{ev("op", "write", "to", "/tmp/x.txt", "data", "x"), "EACCES"},
		{ev("op", "open", "key", "s3://bucket/in/k"), "ENOTSUP"}, // declared, but no S3 store
		{ev("op", "open", "key", "s3://other/k"), "EACCES"},
		{ev("op", "open", "key", "a\x00b"), "EINVAL"},
		{ev("op", "open", "key", ""), "EINVAL"},
		{ev("op", "open", "key", strings.Repeat("k", 1025)), "ENAMETOOLONG"},
	}
	events := make([]string, len(tests))
	for i, tt := range tests {
		events[i] = tt.event
	}
	res := outputs(t, f, events...)
	for i, tt := range tests {
		if res[i]["err"] != tt.errno {
			t.Errorf("%s: %v, want %s", tt.event, res[i], tt.errno)
		}
	}
	if _, err := os.Stat(filepath.Join(root, "x.txt")); err == nil {
		t.Errorf("a write escaped")
	}
}

// TestObjectsHandles checks the cap on open handles and that the host ends every handle with
// the invocation that opened it.
func TestObjectsHandles(t *testing.T) {
	root := objTree(t)
	f := objFunction(t, &objectio.Config{Items: filepath.Join(root, "data")}, execenv.Config{})
	res := outputs(t, f,
		ev("op", "cap", "key", "a.txt"),
		ev("op", "cap", "key", "a.txt"), // the 64 leaked handles were closed in between
		ev("op", "keep", "key", "a.txt"),
		ev("op", "use-kept"),
	)
	for i, want := range []string{
		fmt.Sprintf("map[err:EMFILE opened:%d]", abi.MaxObjectHandles),
		fmt.Sprintf("map[err:EMFILE opened:%d]", abi.MaxObjectHandles),
		"map[]",
		"EBADF",
	} {
		got := fmt.Sprint(res[i])
		if i == 3 {
			got = fmt.Sprint(res[i]["err"])
		}
		if got != want {
			t.Errorf("event %d: %v, want %s", i, res[i], want)
		}
	}
}

// TestObjectsWithoutAccess: with no Config.Objects every call is ENOTSUP, and the user cannot
// fake the prefixes through the environment.
func TestObjectsWithoutAccess(t *testing.T) {
	root := objTree(t)
	f := objFunction(t, nil, execenv.Config{Env: map[string]string{abi.EnvOutputPrefix: "file:///tmp/", "OTHER": "x"}})
	res := outputs(t, f,
		ev("op", "env"),
		ev("op", "open", "key", "a.txt"),
		ev("op", "stat", "key", "a.txt"),
		ev("op", "write", "to", "file://"+filepath.ToSlash(root)+"/x", "data", "x"),
		ev("op", "write", "to", "x", "data", "x", "output", true),
	)
	for i, want := range []string{"map[default: output:]", "ENOTSUP", "ENOTSUP", "ENOTSUP", "?"} {
		got := fmt.Sprint(res[i]["err"])
		if i == 0 {
			got = fmt.Sprint(res[i])
		}
		if got != want {
			t.Errorf("event %d: %v, want %s", i, res[i], want)
		}
	}
	if !strings.Contains(fmt.Sprint(res[4]["msg"]), "no output location") {
		t.Errorf("CreateOutput without an output location: %v", res[4])
	}
	if ents, _ := os.ReadDir(root); !slices.ContainsFunc(ents, func(e os.DirEntry) bool { return e.Name() == "data" }) || len(ents) != 2 {
		t.Errorf("the run's folder changed: %v", ents)
	}
}

// TestObjectsPhases: handles opened during init end at the first next, and an invocation that
// has its result cannot open anything more.
func TestObjectsPhases(t *testing.T) {
	root := objTree(t)
	f := objFunction(t, &objectio.Config{Items: filepath.Join(root, "data")},
		execenv.Config{Env: map[string]string{"OBJGUEST_INIT_KEY": "a.txt"}})
	tasks, _ := invoke(t, f, ev("op", "init"), ev("op", "open-after-respond", "key", "a.txt"), ev("op", "after-respond"))
	for i, want := range []string{`{"err":"EBADF","msg":"read a.txt: bad or stale handle (EBADF)"}`, `{"raw":true}`,
		fmt.Sprintf(`{"open":%d}`, -abi.EINVAL)} {
		if tasks[i].Err != nil || string(tasks[i].Output) != want {
			t.Errorf("task %d: %s %v, want %s", i, tasks[i].Output, tasks[i].Err, want)
		}
	}
}

// TestObjectsConcurrent has four environments share one Access, each copying objects into the
// output location at once.
func TestObjectsConcurrent(t *testing.T) {
	root := objTree(t)
	out := filepath.Join(root, "out")
	f := objFunction(t, &objectio.Config{Items: filepath.Join(root, "data"), Output: out}, execenv.Config{})
	const n = 40
	work := make(chan *execenv.Task, n)
	for i := range n {
		work <- &execenv.Task{Index: int64(i), Event: []byte(ev("op", "copy", "from", "a.txt", "to", fmt.Sprintf("c/%02d.txt", i), "output", true))}
	}
	close(work)
	var mu sync.Mutex
	failed := 0
	var wg sync.WaitGroup
	for id := range 4 {
		wg.Go(func() {
			f.Serve(context.Background(), id, execenv.Queue{Work: work, Done: func(tk *execenv.Task) {
				if tk.Err != nil || string(tk.Output) != `{"bytes":20}` {
					mu.Lock()
					failed++
					mu.Unlock()
				}
			}})
		})
	}
	wg.Wait()
	ents, _ := os.ReadDir(filepath.Join(out, "c"))
	if failed != 0 || len(ents) != n {
		t.Errorf("%d failed, %d objects written, want 0 and %d", failed, len(ents), n)
	}
}
