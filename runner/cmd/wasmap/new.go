package main

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"text/template"

	"github.com/urfave/cli/v3"
)

// templates are the projects `wasmap new` generates, one folder per language, plus common/
// (items.jsonl and the README text every project shares). Every file ends in .tmpl, so that
// the Go template is not a package of this module and go.mod.tmpl does not make a nested
// module; "gitignore.tmpl" becomes ".gitignore". Templates use <% %> as delimiters: {{ }} is
// common in Rust and Zig format strings.
//
//go:embed templates
var templates embed.FS

// newLanguages maps the --lang values to template folders and names.
var newLanguages = map[string]struct{ dir, name string }{
	"go":             {"go", "Go"},
	"rust":           {"rust", "Rust"},
	"c":              {"c", "C"},
	"as":             {"as", "AssemblyScript"},
	"assemblyscript": {"as", "AssemblyScript"},
	"zig":            {"zig", "Zig"},
}

// functionName is a Lambda function name: letters, digits, hyphens and underscores, 1 to 64.
var functionName = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// newProjectCommand is `wasmap new`: it scaffolds a function module project that builds and runs
// as generated.
func newProjectCommand(stdout io.Writer) *cli.Command {
	return &cli.Command{
		Name:      "new",
		Usage:     "create a function module project in Go, Rust, C, AssemblyScript or Zig",
		ArgsUsage: "NAME",
		Description: `Creates the folder NAME holding a function module project for the language of --lang: a
handler that greets each item ({"name":"ada"} -> {"greeting":"Hello, ada!"}), a build script
(build.sh, which writes NAME.wasm), a few items (items.jsonl) and a README. It builds and runs
as generated:

  wasmap new --lang rust hello
  cd hello && ./build.sh && wasmap run -f hello.wasm -i items.jsonl

NAME's last element is the function name (letters, digits, - and _). The project uses the SDK
of a wasmap checkout in place (sdk/<lang>): --sdk names the checkout; by default it is found
from $WASMAP_SDK, the current folder and its parents, or the source this wasmap was built from.
Toolchains: Go (GOOS=wasip1); Debian's rustc with libstd-rust-dev-wasm32; Debian's clang, lld,
wasi-libc and libclang-rt-14-dev-wasm32; the SDK's npm packages for AssemblyScript and Zig 0.11
(bash sdk/install-toolchains.sh installs them all).`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "lang", Aliases: []string{"l"}, Usage: "the `LANGUAGE`: go, rust, c, as (AssemblyScript) or zig", Required: true},
			&cli.StringFlag{Name: "sdk", Usage: "the wasmap checkout (the `DIR` holding abi/ and sdk/) whose SDK the project uses", TakesFile: true},
		},
		Action: func(ctx context.Context, cmd *cli.Command) error {
			if cmd.Args().Len() != 1 {
				return usageError{errors.New("new takes one argument: the project's folder, NAME")}
			}
			lang, ok := newLanguages[strings.ToLower(cmd.String("lang"))]
			if !ok {
				return usageError{fmt.Errorf("--lang %q: use go, rust, c, as or zig", cmd.String("lang"))}
			}
			root, err := findCheckout(cmd.String("sdk"))
			if err != nil {
				return usageError{err}
			}
			dir := cmd.Args().First()
			files, err := scaffold(dir, lang.dir, root)
			if err != nil {
				return usageError{err}
			}
			name := filepath.Base(dir)
			fmt.Fprintf(stdout, "created %s, a %s function module project: %s\n", dir, lang.name, strings.Join(files, ", "))
			fmt.Fprintf(stdout, "build and run it:\n  cd %s && ./build.sh && wasmap run -f %s.wasm -i items.jsonl\n", dir, name)
			return nil
		},
	}
}

// projectData is what the templates see.
type projectData struct {
	Name  string // the function name, also the module's file name
	Crate string // Name as a Rust crate name
	Root  string // the wasmap checkout, absolute
}

// scaffold writes the project for the template folder lang into dir and returns the files it
// wrote, relative to dir. dir must not exist, or be empty.
func scaffold(dir, lang, root string) ([]string, error) {
	name := filepath.Base(filepath.Clean(dir))
	if !functionName.MatchString(name) {
		return nil, fmt.Errorf("%q is not a function name: use 1 to 64 letters, digits, - and _", name)
	}
	if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 {
		return nil, fmt.Errorf("%s exists and is not empty", dir)
	}
	data := projectData{Name: name, Crate: strings.ToLower(strings.ReplaceAll(name, "-", "_")), Root: root}
	commonText, err := templates.ReadFile("templates/common/common.tmpl")
	if err != nil {
		return nil, err
	}
	common, err := template.New("common.tmpl").Delims("<%", "%>").Option("missingkey=error").Parse(string(commonText))
	if err != nil {
		return nil, err
	}
	type file struct {
		src, dst string
	}
	files := []file{{"templates/common/items.jsonl.tmpl", "items.jsonl"}}
	base := "templates/" + lang
	err = fs.WalkDir(templates, base, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel := strings.TrimSuffix(strings.TrimPrefix(p, base+"/"), ".tmpl")
		if path.Base(rel) == "gitignore" {
			rel = path.Join(path.Dir(rel), ".gitignore")
		}
		files = append(files, file{p, rel})
		return nil
	})
	if err != nil {
		return nil, err
	}
	var written []string
	for _, f := range files {
		src, err := templates.ReadFile(f.src)
		if err != nil {
			return nil, err
		}
		t, err := common.Clone()
		if err != nil {
			return nil, err
		}
		if t, err = t.New(f.dst).Parse(string(src)); err != nil {
			return nil, fmt.Errorf("template %s: %w", f.src, err)
		}
		var out bytes.Buffer
		if err := t.Execute(&out, data); err != nil {
			return nil, fmt.Errorf("template %s: %w", f.src, err)
		}
		dst := filepath.Join(dir, filepath.FromSlash(f.dst))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return nil, err
		}
		mode := os.FileMode(0o644)
		if strings.HasSuffix(f.dst, ".sh") {
			mode = 0o755
		}
		if err := os.WriteFile(dst, out.Bytes(), mode); err != nil {
			return nil, err
		}
		written = append(written, f.dst)
	}
	slices.Sort(written)
	return written, nil
}

// findCheckout returns the wasmap checkout whose SDKs a new project uses: flag (the checkout
// or its sdk/ folder), else $WASMAP_SDK, else the current folder or a parent, else the source
// tree this binary was built from.
func findCheckout(flag string) (string, error) {
	try := func(dir string) (string, bool) {
		if dir == "" {
			return "", false
		}
		abs, err := filepath.Abs(dir)
		if err != nil {
			return "", false
		}
		for _, d := range []string{abs, filepath.Dir(abs)} { // the checkout, or its sdk/ folder
			if isCheckout(d) {
				if r, err := filepath.EvalSymlinks(d); err == nil {
					return r, true
				}
				return d, true
			}
		}
		return "", false
	}
	if flag != "" {
		if r, ok := try(flag); ok {
			return r, nil
		}
		return "", fmt.Errorf("--sdk %s: not a wasmap checkout (no abi/ABI.md and sdk/go)", flag)
	}
	if r, ok := try(os.Getenv("WASMAP_SDK")); ok {
		return r, nil
	}
	if wd, err := os.Getwd(); err == nil {
		for d := wd; ; d = filepath.Dir(d) {
			if isCheckout(d) {
				return d, nil
			}
			if filepath.Dir(d) == d {
				break
			}
		}
	}
	if _, file, _, ok := runtime.Caller(0); ok { // runner/cmd/wasmap/new.go in the checkout
		if r, ok := try(filepath.Join(filepath.Dir(file), "..", "..", "..")); ok {
			return r, nil
		}
	}
	return "", errors.New("cannot find the wasmap SDK: run wasmap new inside a wasmap checkout, or pass --sdk DIR (or set WASMAP_SDK)")
}

func isCheckout(dir string) bool {
	for _, p := range []string{"abi/ABI.md", "sdk/go/go.mod"} {
		if _, err := os.Stat(filepath.Join(dir, p)); err != nil {
			return false
		}
	}
	return true
}
