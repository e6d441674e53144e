package runner

import (
	"context"
	"os"
	"path/filepath"
	"strings"

	"github.com/wasmap/wasmap/runner/internal/execenv"
	"github.com/wasmap/wasmap/runner/internal/objectio"
)

// Extension is a Lambda extension module run beside the function in every execution
// environment (abi/ABI.md §9-12): it registers for INVOKE and SHUTDOWN events and may subscribe
// to the Telemetry API.
type Extension struct {
	// Path is the .wasm file.
	Path string `json:"Path"`
	// Name is the extension's name (default: the file name without .wasm); an instance that
	// registers with it is an external extension, as Lambda names them after their executable.
	Name string `json:"Name,omitempty"`
}

// runFolder is where the run keeps its files: the results folder's <map-run-id>/, else the log
// folder's, as a local path or an s3:// URI; "" when the run has neither.
func (j *Job) runFolder(store *storage, id string) string {
	if rw := j.ResultWriter; rw != nil {
		switch {
		case rw.Dir != "":
			return filepath.Join(rw.Dir, id)
		case rw.Bucket != "":
			if dir, ok := store.local(rw.Bucket); ok {
				return filepath.Join(dir, filepath.FromSlash(rw.Prefix), id)
			}
			prefix := rw.Prefix
			if prefix != "" && !strings.HasSuffix(prefix, "/") {
				prefix += "/"
			}
			return "s3://" + rw.Bucket + "/" + prefix + id
		}
	}
	if j.LogDir != "" {
		return filepath.Join(j.LogDir, id)
	}
	return ""
}

// loadExtensions reads the Job's extension modules and gives each its output location,
// <run folder>/extensions/<name>/, for its object I/O. The Accesses are the caller's to close.
func loadExtensions(ctx context.Context, j *Job, store *storage, id string) ([]execenv.Extension, []*objectio.Access, error) {
	var exts []execenv.Extension
	var access []*objectio.Access
	fail := func(err error) ([]execenv.Extension, []*objectio.Access, error) {
		for _, a := range access {
			a.Close()
		}
		return nil, nil, err
	}
	folder := j.runFolder(store, id)
	for i, x := range j.Extensions {
		wasm, err := os.ReadFile(x.Path)
		if err != nil {
			return fail(invalid("Extensions", "%v", err))
		}
		name := x.Name
		if name == "" {
			name = strings.TrimSuffix(filepath.Base(x.Path), ".wasm")
		}
		ext := execenv.Extension{Name: name, Wasm: wasm}
		if folder != "" {
			out := folder + "/extensions/" + name + "/"
			if !isS3(folder) {
				out = filepath.Join(folder, "extensions", name) + string(filepath.Separator)
			}
			a, err := objectio.NewAccess(ctx, objectio.Config{Output: out,
				Openers: map[string]objectio.Opener{objectio.SchemeS3: store.opener()}})
			if err != nil {
				return fail(invalid("Extensions", "extension %d (%s): output %s: %v", i, name, out, err))
			}
			access = append(access, a)
			ext.Objects = a
		}
		exts = append(exts, ext)
	}
	return exts, access, nil
}
