package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/urfave/cli/v3"

	"github.com/wasmap/wasmap/runner/internal/guesttest"
)

// cliRun runs `wasmap ARGS…` in-process with the new and run commands and returns stdout,
// stderr and the exit status.
func cliRun(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := exitOK
	app := &cli.Command{
		Name:      "wasmap",
		Writer:    &stderr,
		ErrWriter: &stderr,
		OnUsageError: func(ctx context.Context, cmd *cli.Command, err error, isSubcommand bool) error {
			return usageError{err}
		},
		Commands: []*cli.Command{newProjectCommand(&stdout), runCommand(&stdout, &stderr, &code)},
	}
	if err := app.Run(context.Background(), append([]string{"wasmap"}, args...)); err != nil {
		stderr.WriteString("wasmap: " + err.Error() + "\n")
		if code == exitOK {
			code = exitUsage
		}
	}
	return stdout.String(), stderr.String(), code
}

// TestNewProjectsBuildAndRun generates a project in each language, builds it with its own
// build.sh and runs it on its items.jsonl through `wasmap run`.
func TestNewProjectsBuildAndRun(t *testing.T) {
	root := guesttest.Root()
	want := `[{"greeting":"Hello, ada!"},{"greeting":"Hello, grace!"},{"greeting":"Hello, edsger!"}]`
	for _, lang := range guesttest.Languages {
		t.Run(lang, func(t *testing.T) {
			switch lang { // the toolchain: skipped with the install command when missing
			case guesttest.LangRust:
				guesttest.Rustc(t)
			case guesttest.LangC:
				guesttest.Clang(t)
			case guesttest.LangAssemblyScript:
				guesttest.Asc(t)
			case guesttest.LangZig:
				guesttest.Zig(t)
			}
			dir := filepath.Join(t.TempDir(), "hello-"+lang)
			stdout, stderr, code := cliRun(t, "new", "--lang", lang, "--sdk", root, dir)
			if code != 0 {
				t.Fatalf("wasmap new: exit %d\n%s", code, stderr)
			}
			if !strings.Contains(stdout, "./build.sh && wasmap run -f hello-"+lang+".wasm -i items.jsonl") {
				t.Errorf("wasmap new printed %q, want the next steps", stdout)
			}
			for _, f := range []string{"README.md", "build.sh", "items.jsonl", ".gitignore"} {
				if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
					t.Errorf("the project lacks %s: %v", f, err)
				}
			}
			readme, _ := os.ReadFile(filepath.Join(dir, "README.md"))
			if !strings.Contains(string(readme), "# hello-"+lang) || strings.Contains(string(readme), "<%") {
				t.Errorf("README.md:\n%s", readme)
			}
			build := exec.Command("bash", "build.sh")
			build.Dir = dir
			build.Env = append(os.Environ(), "GOWORK=off")
			if out, err := build.CombinedOutput(); err != nil {
				t.Fatalf("build.sh: %v\n%s", err, out)
			}
			wasm := filepath.Join(dir, "hello-"+lang+".wasm")
			stdout, stderr, code = cliRun(t, "run", "-f", wasm, "-i", filepath.Join(dir, "items.jsonl"),
				"--cache-dir", filepath.Join(t.TempDir(), "cache"), "--progress", "none", "--max-concurrency", "1")
			if code != 0 || strings.TrimSpace(stdout) != want {
				t.Fatalf("wasmap run: exit %d, stdout %s, want %s\n%s", code, stdout, want, stderr)
			}
		})
	}
}

func TestNewProjectRefusals(t *testing.T) {
	root := guesttest.Root()
	full := t.TempDir()
	os.WriteFile(filepath.Join(full, "x"), nil, 0o644)
	for _, tt := range []struct {
		name string
		args []string
		want string
	}{
		{"no lang", []string{"new", "p"}, `"lang" not set`},
		{"unknown lang", []string{"new", "--lang", "cobol", filepath.Join(t.TempDir(), "p")}, `--lang "cobol"`},
		{"bad name", []string{"new", "--lang", "c", "--sdk", root, filepath.Join(t.TempDir(), "a b")}, "not a function name"},
		{"not empty", []string{"new", "--lang", "c", "--sdk", root, full}, "not empty"},
		{"no checkout", []string{"new", "--lang", "c", "--sdk", t.TempDir(), filepath.Join(t.TempDir(), "p")}, "not a wasmap checkout"},
		{"two names", []string{"new", "--lang", "c", "a", "b"}, "one argument"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, stderr, code := cliRun(t, tt.args...)
			if code != exitUsage || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d, stderr %q, want %d and %q", code, stderr, exitUsage, tt.want)
			}
		})
	}
}

// TestNewFindsTheCheckout: inside a checkout (here, the tests' working folder) --sdk is not
// needed.
func TestNewFindsTheCheckout(t *testing.T) {
	got, err := findCheckout("")
	if err != nil {
		t.Fatal(err)
	}
	want, _ := filepath.EvalSymlinks(guesttest.Root())
	if got != want {
		t.Errorf("findCheckout = %s, want %s", got, want)
	}
	if got, err := findCheckout(filepath.Join(want, "sdk")); err != nil || got != want {
		t.Errorf("findCheckout(sdk/) = %s, %v; want %s", got, err, want)
	}
}
