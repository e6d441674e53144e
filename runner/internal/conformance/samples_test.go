package conformance_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wasmap/wasmap/runner"
	"github.com/wasmap/wasmap/runner/internal/guesttest"
)

// sampleDirs are the SDKs' samples: each upper-cases the files of a folder into the output
// location (see sdk/<lang>/sample).
var sampleDirs = map[string]string{
	guesttest.LangRust:           "sdk/rust/sample",
	guesttest.LangC:              "sdk/c/sample",
	guesttest.LangAssemblyScript: "sdk/assemblyscript/sample",
	guesttest.LangZig:            "sdk/zig/sample",
}

// TestSamples runs each SDK's sample over a folder through runner.Run, as `wasmap run -f
// upper.wasm -i data/ --output-prefix out/` does, and requires the same outputs and objects.
func TestSamples(t *testing.T) {
	for _, lang := range guesttest.Languages[1:] {
		t.Run(lang, func(t *testing.T) {
			wasm := guesttest.BuildLang(t, lang, sampleDirs[lang])
			root := t.TempDir()
			data, out := filepath.Join(root, "data"), filepath.Join(root, "out")
			for name, content := range map[string]string{"a.txt": "hello, world\n", "sub/b.txt": strings.Repeat("beta ", 30000)} {
				p := filepath.Join(data, name)
				os.MkdirAll(filepath.Dir(p), 0o755)
				if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			var stdout bytes.Buffer
			rep, err := runner.Run(context.Background(), runner.Job{
				ItemReader:     runner.ItemReader{Source: data},
				Functions:      []runner.Function{{Path: wasm, Name: "upper"}},
				OutputPrefix:   out,
				MaxConcurrency: 1,
				CacheDir:       cacheDir,
			}, runner.Options{Output: &stdout})
			if err != nil {
				t.Fatal(err)
			}
			if want := `[{"bytes":13,"key":"a.txt"},{"bytes":150000,"key":"sub/b.txt"}]`; rep.Status != runner.StatusSucceeded || strings.TrimSpace(stdout.String()) != want {
				t.Fatalf("status %s, output %s, want %s", rep.Status, stdout.String(), want)
			}
			for name, want := range map[string]string{"a.txt.upper": "HELLO, WORLD\n", "sub/b.txt.upper": strings.Repeat("BETA ", 30000)} {
				if got, err := os.ReadFile(filepath.Join(out, name)); err != nil || string(got) != want {
					t.Errorf("%s: %.40q, %v; want %.40q", name, got, err, want)
				}
			}
		})
	}
}
