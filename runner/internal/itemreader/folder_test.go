package itemreader_test

import (
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wasmap/wasmap/runner/internal/itemreader"
)

// listing is a listObjectsV2 item (ASL reference §3.4).
type listing struct {
	Etag         string
	Key          string
	LastModified int64
	Size         int64
	StorageClass string
}

// makeTree creates the files (keys with "/" separators) under a new folder, each holding its own
// key, and returns the folder.
func makeTree(t *testing.T, keys ...string) string {
	t.Helper()
	dir := t.TempDir()
	for _, k := range keys {
		path := filepath.Join(dir, filepath.FromSlash(k))
		if strings.HasSuffix(k, "/") {
			if err := os.MkdirAll(path, 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(k), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// keys reads the folder and returns the items' keys, checking each item's shape.
func keys(t *testing.T, dir string, cfg itemreader.Config) []string {
	t.Helper()
	items, err := readAll(t, dir, cfg)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for i, it := range items {
		if it.Err != nil || it.Index != int64(i) || it.Line != 0 {
			t.Fatalf("item %d: %+v", i, it)
		}
		var l listing
		if err := json.Unmarshal(it.Value, &l); err != nil {
			t.Fatal(err)
		}
		out = append(out, l.Key)
	}
	n, err := itemreader.Count(t.Context(), dir, cfg)
	if err != nil || n != int64(len(out)) {
		t.Errorf("Count = %d, %v; want %d", n, err, len(out))
	}
	return out
}

func TestFolderOrder(t *testing.T) {
	// The walk must give byte-wise key order, which is not the order of the names per directory:
	// '-' < '.' < '/' < '0', so "a-c" < "a.b" < "a/b" < "a0", while the names sort "a" < "a-c".
	files := []string{"a/b", "a.b", "a-c", "a0", "a/b.c/d", "a/b-c", "A", "b/c/d/e", "b/c.d", "b/c-d", "b/c/d.e",
		"é", "z", "_", "a/\x7f", "aa/a", "a./x"}
	dir := makeTree(t, files...)
	got := keys(t, dir, itemreader.Config{})
	want := slices.Clone(files)
	slices.Sort(want) // Go compares strings byte by byte, as S3 orders keys
	if !slices.Equal(got, want) {
		t.Errorf("keys = %q\nwant   %q", got, want)
	}
	if want := []string{"A", "_", "a-c", "a./x", "a.b", "a/b", "a/b-c", "a/b.c/d", "a/\x7f", "a0", "aa/a"}; !slices.Equal(got[:len(want)], want) {
		t.Errorf("keys = %q\nwant   %q…", got, want)
	}
}

func TestFolderItem(t *testing.T) {
	dir := makeTree(t, "docs/readme.txt", "empty")
	if err := os.WriteFile(filepath.Join(dir, "empty"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	mtime := time.Unix(1668699881, 500_000_000) // the epoch seconds of AWS's doc example
	for _, k := range []string{"docs/readme.txt", "empty"} {
		if err := os.Chtimes(filepath.Join(dir, filepath.FromSlash(k)), mtime, mtime); err != nil {
			t.Fatal(err)
		}
	}
	items, err := readAll(t, dir, itemreader.Config{})
	if err != nil || len(items) != 2 {
		t.Fatal(items, err)
	}
	sum := md5.Sum([]byte("docs/readme.txt"))
	want := `{"Etag":"\"` + hex.EncodeToString(sum[:]) + `\"","Key":"docs/readme.txt","LastModified":1668699881,"Size":15,"StorageClass":"STANDARD"}`
	if string(items[0].Value) != want {
		t.Errorf("item = %s\nwant   %s", items[0].Value, want)
	}
	// Exactly the five keys, with these JSON types.
	var m map[string]any
	if err := json.Unmarshal(items[1].Value, &m); err != nil {
		t.Fatal(err)
	}
	wantMap := map[string]any{"Etag": `"d41d8cd98f00b204e9800998ecf8427e"`, "Key": "empty",
		"LastModified": float64(1668699881), "Size": float64(0), "StorageClass": "STANDARD"}
	if !mapsEqual(m, wantMap) {
		t.Errorf("item = %v, want %v", m, wantMap)
	}
}

func mapsEqual(a, b map[string]any) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func TestFolderBigFileEtag(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []struct {
		name string
		size int64
	}{{"at-limit", itemreader.EtagMD5Limit}, {"over-limit", itemreader.EtagMD5Limit + 1}} {
		file, err := os.Create(filepath.Join(dir, f.name))
		if err != nil {
			t.Fatal(err)
		}
		if err := file.Truncate(f.size); err != nil { // zeros
			t.Fatal(err)
		}
		file.Close()
	}
	items, err := readAll(t, dir, itemreader.Config{})
	if err != nil || len(items) != 2 {
		t.Fatal(items, err)
	}
	var at, over listing
	json.Unmarshal(items[0].Value, &at)
	json.Unmarshal(items[1].Value, &over)
	sum := md5.Sum(make([]byte, itemreader.EtagMD5Limit))
	if at.Key != "at-limit" || at.Etag != `"`+hex.EncodeToString(sum[:])+`"` || at.Size != itemreader.EtagMD5Limit {
		t.Errorf("at the limit: %+v, want the content MD5", at)
	}
	if over.Size != itemreader.EtagMD5Limit+1 || len(over.Etag) != 34 || over.Etag[0] != '"' || over.Etag[33] != '"' {
		t.Errorf("over the limit: %+v, want a quoted 32-digit Etag", over)
	}
	if _, err := hex.DecodeString(over.Etag[1:33]); err != nil {
		t.Errorf("Etag %q: %v", over.Etag, err)
	}
}

func TestFolderPrefix(t *testing.T) {
	dir := makeTree(t, "logs/2024/01.txt", "logs/2024/02.txt", "logs/2025/01.txt", "logs-old/x", "logs.txt",
		"data/a", "lo")
	tests := []struct {
		prefix string
		want   []string
	}{
		{"", []string{"data/a", "lo", "logs-old/x", "logs.txt", "logs/2024/01.txt", "logs/2024/02.txt", "logs/2025/01.txt"}},
		{"logs", []string{"logs-old/x", "logs.txt", "logs/2024/01.txt", "logs/2024/02.txt", "logs/2025/01.txt"}},
		{"logs/", []string{"logs/2024/01.txt", "logs/2024/02.txt", "logs/2025/01.txt"}},
		{"logs/2024/", []string{"logs/2024/01.txt", "logs/2024/02.txt"}},
		{"logs/2024/02", []string{"logs/2024/02.txt"}},
		{"logs/202", []string{"logs/2024/01.txt", "logs/2024/02.txt", "logs/2025/01.txt"}},
		{"lo", []string{"lo", "logs-old/x", "logs.txt", "logs/2024/01.txt", "logs/2024/02.txt", "logs/2025/01.txt"}},
		{"logs.txt", []string{"logs.txt"}},
		{"logs.txt/", nil}, // a file is not a folder
		{"nothing", nil},
		{"nothing/x", nil},
		{"logs//2024/", nil},
		{"./logs/", nil},
		{"logs/../logs/", nil},
		{"/logs/", nil},
	}
	for _, tt := range tests {
		t.Run(tt.prefix, func(t *testing.T) {
			if got := keys(t, dir, itemreader.Config{Prefix: tt.prefix}); !slices.Equal(got, tt.want) {
				t.Errorf("keys = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestFolderShapes(t *testing.T) {
	tests := []struct {
		name  string
		files []string
		want  []string
	}{
		{"empty folder", nil, nil},
		{"only empty folders", []string{"a/", "b/c/d/"}, nil},
		{"nested", []string{"1/2/3/4/5/6/7/8/9/f", "1/2/3/g", "1/h", "i"},
			[]string{"1/2/3/4/5/6/7/8/9/f", "1/2/3/g", "1/h", "i"}},
		{"empty folders beside files", []string{"a/", "a0", "b/", "b/x/", "b/x/y"}, []string{"a0", "b/x/y"}},
		{"names with spaces and quotes", []string{"a b/c \"d\".txt", "tab\there"}, []string{"a b/c \"d\".txt", "tab\there"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := keys(t, makeTree(t, tt.files...), itemreader.Config{}); !slices.Equal(got, tt.want) {
				t.Errorf("keys = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestFolderSymlinks(t *testing.T) {
	outside := makeTree(t, "secret")
	dir := makeTree(t, "data/real.txt", "sub/f")
	for link, target := range map[string]string{
		"link-in":      filepath.Join(dir, "data", "real.txt"),
		"link-rel":     "data/real.txt",
		"link-out":     filepath.Join(outside, "secret"),
		"link-out-rel": "../" + filepath.Base(outside) + "/secret",
		"link-dir":     filepath.Join(dir, "sub"),
		"link-loop":    ".",
		"dangling":     "missing",
	} {
		if err := os.Symlink(target, filepath.Join(dir, link)); err != nil {
			t.Skip("symbolic links:", err)
		}
	}
	want := []string{"data/real.txt", "link-in", "link-rel", "sub/f"}
	if got := keys(t, dir, itemreader.Config{}); !slices.Equal(got, want) {
		t.Errorf("keys = %q, want %q", got, want)
	}
	// The folder itself may be a link.
	link := filepath.Join(t.TempDir(), "link")
	if err := os.Symlink(dir, link); err != nil {
		t.Fatal(err)
	}
	if got := keys(t, link, itemreader.Config{}); !slices.Equal(got, want) {
		t.Errorf("through a link: keys = %q, want %q", got, want)
	}
	// A prefix does not go through a link either.
	if got := keys(t, dir, itemreader.Config{Prefix: "link-dir/"}); got != nil {
		t.Errorf("prefix through a link: keys = %q", got)
	}
}

func TestFolderMaxItems(t *testing.T) {
	dir := makeTree(t, "a", "b/c", "b/d", "e")
	for _, tt := range []struct {
		max  int64
		want []string
	}{{0, []string{"a", "b/c", "b/d", "e"}}, {2, []string{"a", "b/c"}}, {4, []string{"a", "b/c", "b/d", "e"}}, {9, []string{"a", "b/c", "b/d", "e"}}} {
		if got := keys(t, dir, itemreader.Config{MaxItems: tt.max}); !slices.Equal(got, tt.want) {
			t.Errorf("MaxItems %d: keys = %q, want %q", tt.max, got, tt.want)
		}
	}
}

func TestFolderErrors(t *testing.T) {
	dir := makeTree(t, "a")
	for _, tt := range []struct {
		name  string
		cfg   itemreader.Config
		cause string
	}{
		{"InputType", itemreader.Config{InputType: "JSON"},
			`InputType "JSON" does not apply to a folder, whose items are the listObjectsV2 entries of its files`},
		{"CSV settings", itemreader.Config{CSVDelimiter: "TAB"},
			"CSVHeaderLocation, CSVHeaders and CSVDelimiter do not apply to a folder"},
		{"negative MaxItems", itemreader.Config{MaxItems: -1}, "field MaxItems must be positive"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := itemreader.Open(dir, tt.cfg)
			if got := readerCause(t, err); got != tt.cause {
				t.Errorf("cause = %q, want %q", got, tt.cause)
			}
			_, err = itemreader.Count(t.Context(), dir, tt.cfg)
			if got := readerCause(t, err); got != tt.cause {
				t.Errorf("Count cause = %q, want %q", got, tt.cause)
			}
		})
	}
	t.Run("invalid UTF-8 name", func(t *testing.T) {
		dir := makeTree(t, "a", "b\xff", "c")
		items, err := readAll(t, dir, itemreader.Config{})
		if err != nil || len(items) != 3 {
			t.Fatal(items, err)
		}
		var ie *itemreader.ItemError
		if !errors.As(items[1].Err, &ie) || ie.Key != "b\xff" || items[1].Value != nil ||
			ie.Error() != `key "b\xff": the file name is not valid UTF-8, which an S3 key must be` {
			t.Errorf("item 1: %+v", items[1])
		}
	})
	t.Run("unreadable folder", func(t *testing.T) {
		if os.Geteuid() == 0 {
			t.Skip("root reads every folder")
		}
		dir := makeTree(t, "a", "locked/b", "z")
		locked := filepath.Join(dir, "locked")
		os.Chmod(locked, 0)
		defer os.Chmod(locked, 0o755)
		items, err := readAll(t, dir, itemreader.Config{})
		if cause := readerCause(t, err); len(items) != 1 || !strings.Contains(cause, locked) {
			t.Errorf("after %d items: %q", len(items), cause)
		}
	})
}
