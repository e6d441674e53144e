package s3test

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// Cached starts a server on a folder kept between runs, for benchmarks whose data takes long
// to upload: $(os.UserCacheDir)/wasmap/s3test/<name> (os.TempDir when there is no user cache
// folder). The first time, and whenever an earlier populate did not finish, the folder is
// emptied and populate fills it through the server; later runs reuse it as it is. name should
// say what populate makes ("list-100000"): change it when populate changes.
//
// One process at a time uses a given name: a second one waits (a file lock) until the first
// ends. The server is stopped when t ends; the folder stays. Remove it to start afresh.
func Cached(t testing.TB, name string, populate func(*Server)) *Server {
	t.Helper()
	base, err := os.UserCacheDir()
	if err != nil {
		base = os.TempDir()
	}
	dir := filepath.Join(base, "wasmap", "s3test", name)
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		t.Fatalf("s3test: %v", err)
	}
	unlock, err := lockFile(dir + ".lock")
	if err != nil {
		t.Fatalf("s3test: lock %s: %v", dir, err)
	}
	t.Cleanup(unlock) // registered first, so it runs after the server's stop
	done := dir + ".complete"
	if _, err := os.Stat(done); err == nil {
		return StartDir(t, dir)
	}
	if err := os.RemoveAll(dir); err != nil {
		t.Fatalf("s3test: %v", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatalf("s3test: %v", err)
	}
	srv := StartDir(t, dir)
	begin := time.Now()
	populate(srv)
	if t.Failed() {
		return srv
	}
	t.Logf("s3test: populated %s in %v; later runs reuse it", dir, time.Since(begin).Round(time.Millisecond))
	if err := os.WriteFile(done, []byte(time.Now().Format(time.RFC3339)+"\n"), 0o644); err != nil {
		t.Fatalf("s3test: %v", err)
	}
	return srv
}
