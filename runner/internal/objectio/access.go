package objectio

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// Config declares what a run's modules may reach. Locations are strings as a user writes
// them: a local path ("./data/", "/srv/out", relative to the working directory), a
// "file:///abs/path" URI, or "s3://bucket/prefix".
type Config struct {
	// Items is the item source: a local folder or file, or an S3 prefix. Modules may read under
	// it (a file source: that file only). Its root is the default location that plain keys
	// resolve against: the folder; a file's folder; an S3 source's bucket. Empty: none.
	Items string
	// Reads are further locations modules may read (--read-prefix): local folders or files
	// (which must exist), or S3 prefixes.
	Reads []string
	// Output is the one location modules may create objects under (--output-prefix): a local
	// folder, created if missing, or an S3 prefix. Empty: modules cannot write.
	Output string
	// Openers open the stores of schemes other than "file", by scheme (SchemeS3). A location
	// whose scheme has no Opener is accepted, and every open under it fails with ErrNoStore.
	Openers map[string]Opener
}

// Access is a run's object policy and the stores behind it. It is immutable once built and
// goroutine-safe. Close it after every environment has ended.
type Access struct {
	def    *Location // the default location (a folder), or nil
	items  *grant    // the item source, or nil
	reads  []*grant  // declared read locations
	output *grant    // the output location, or nil
	stores []Store   // to close
}

// grant is a location with the store of the folder that holds it.
type grant struct {
	loc    Location
	root   Location // loc's folder: keys given to store are relative to it
	store  Store    // nil when no Opener serves the scheme
	reason error    // why store is nil
}

// Target is what a name resolves to.
type Target struct {
	// Name is the object's canonical URI ("file:///srv/data/a.txt", "s3://b/p/a.txt").
	Name string
	// Location is the granting location: the declared location the access is allowed by.
	Location Location
	// Key is the object's key relative to Location's folder: what its Store is given.
	Key string

	g *grant
}

// NewAccess checks the locations of cfg, creates a local output folder, and opens a store for
// each location. The error names the location at fault.
func NewAccess(ctx context.Context, cfg Config) (*Access, error) {
	a := &Access{}
	fail := func(err error) (*Access, error) {
		a.Close()
		return nil, err
	}
	if cfg.Output != "" {
		loc, err := locate(cfg.Output, true)
		if err != nil {
			return fail(fmt.Errorf("output location %s: %w", cfg.Output, err))
		}
		if a.output, err = a.grant(ctx, loc, cfg.Openers); err != nil {
			return fail(fmt.Errorf("output location %s: %w", cfg.Output, err))
		}
	}
	if cfg.Items != "" {
		loc, err := locate(cfg.Items, false)
		if err != nil {
			return fail(fmt.Errorf("item source %s: %w", cfg.Items, err))
		}
		if a.output != nil && (a.output.loc == loc || a.output.loc.contains(loc.String())) {
			return fail(fmt.Errorf("the output location %s holds the item source %s: outputs would be read as inputs", a.output.loc, loc))
		}
		if a.items, err = a.grant(ctx, loc, cfg.Openers); err != nil {
			return fail(fmt.Errorf("item source %s: %w", cfg.Items, err))
		}
		def := loc.parent()
		if loc.Scheme == SchemeS3 {
			def.Path = ""
		}
		a.def = &def
	}
	for _, r := range cfg.Reads {
		loc, err := locate(r, false)
		if err != nil {
			return fail(fmt.Errorf("read location %s: %w", r, err))
		}
		g, err := a.grant(ctx, loc, cfg.Openers)
		if err != nil {
			return fail(fmt.Errorf("read location %s: %w", r, err))
		}
		a.reads = append(a.reads, g)
	}
	return a, nil
}

// locate turns a user's location string into a canonical Location. A local output folder is
// created if missing.
func locate(s string, output bool) (Location, error) {
	if scheme, rest, ok := splitScheme(s); ok {
		switch scheme {
		case SchemeS3:
			bucket, prefix, _ := strings.Cut(rest, "/")
			if bucket == "" || strings.ContainsAny(bucket, "\x00") {
				return Location{}, errors.New("an S3 location is s3://bucket or s3://bucket/prefix")
			}
			prefix = strings.TrimSuffix(prefix, "/")
			if prefix != "" {
				if err := checkKey(prefix); err != nil {
					return Location{}, err
				}
				prefix += "/"
			}
			return Location{Scheme: SchemeS3, Bucket: bucket, Path: prefix}, nil
		case SchemeFile:
			if !strings.HasPrefix(rest, "/") {
				return Location{}, errors.New("a file URI is file:///absolute/path")
			}
			s = filepath.FromSlash(rest)
		default:
			return Location{}, fmt.Errorf("scheme %q is not supported (file paths and s3:// are)", scheme)
		}
	}
	abs, err := filepath.Abs(s)
	if err != nil {
		return Location{}, err
	}
	if output {
		if err := os.MkdirAll(abs, 0o755); err != nil {
			return Location{}, err
		}
	}
	real, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return Location{}, err
	}
	fi, err := os.Stat(real)
	if err != nil {
		return Location{}, err
	}
	p := filepath.ToSlash(real)
	switch {
	case fi.IsDir():
		if !strings.HasSuffix(p, "/") {
			p += "/"
		}
	case output:
		return Location{}, errors.New("not a folder")
	case !fi.Mode().IsRegular():
		return Location{}, errors.New("neither a folder nor a regular file")
	}
	return Location{Scheme: SchemeFile, Path: p}, nil
}

// grant opens the store of loc's folder, sharing one with an earlier location of the same
// folder.
func (a *Access) grant(ctx context.Context, loc Location, openers map[string]Opener) (*grant, error) {
	g := &grant{loc: loc, root: loc.parent()}
	for _, o := range append([]*grant{a.output, a.items}, a.reads...) {
		if o != nil && o.root == g.root {
			g.store, g.reason = o.store, o.reason
			return g, nil
		}
	}
	var err error
	switch {
	case loc.Scheme == SchemeFile:
		g.store, err = OpenDir(filepath.FromSlash(g.root.Path))
	case openers[loc.Scheme] != nil:
		g.store, err = openers[loc.Scheme](ctx, g.root)
	default:
		g.reason = fmt.Errorf("%w: this run has no %s store for %s", ErrNoStore, loc.Scheme, g.root)
	}
	if err != nil {
		return nil, err
	}
	if g.store != nil {
		a.stores = append(a.stores, g.store)
	}
	return g, nil
}

// Close closes the stores that implement io.Closer. Readers and writers still open are the
// caller's to close first.
func (a *Access) Close() error {
	var errs []error
	for _, s := range a.stores {
		if c, ok := s.(io.Closer); ok {
			errs = append(errs, c.Close())
		}
	}
	a.stores = nil
	return errors.Join(errs...)
}

// DefaultPrefix is the URI, ending in "/", that plain keys resolve against; "" when the run
// has no item source.
func (a *Access) DefaultPrefix() string {
	if a.def == nil {
		return ""
	}
	return a.def.String()
}

// OutputPrefix is the output location's URI, ending in "/"; "" when modules cannot write.
func (a *Access) OutputPrefix() string {
	if a.output == nil {
		return ""
	}
	return a.output.loc.String()
}

// Resolve applies the naming rules and the policy to name, for writing (create) or reading
// (open, stat):
//
//   - a write is allowed under the output location only;
//   - a read is allowed under a declared read location, or under the item source but not
//     under the output location.
//
// The error wraps ErrInvalidName, ErrNameTooLong, ErrDenied or ErrNoStore.
func (a *Access) Resolve(name string, write bool) (Target, error) {
	n, err := canonical(name, a.def)
	if err != nil {
		return Target{}, err
	}
	var g *grant
	if write {
		if a.output != nil && a.output.loc.contains(n) {
			g = a.output
		}
	} else {
		for _, r := range a.reads { // the deepest declared location that holds n
			if r.loc.contains(n) && (g == nil || len(r.loc.Path) > len(g.loc.Path)) {
				g = r
			}
		}
		if g == nil && a.items != nil && a.items.loc.contains(n) && (a.output == nil || !a.output.loc.contains(n)) {
			g = a.items
		}
	}
	if g == nil {
		what := "read"
		if write {
			what = "write"
		}
		return Target{}, fmt.Errorf("%w: %s is outside the locations this run lets modules %s", ErrDenied, n, what)
	}
	if g.store == nil {
		return Target{}, g.reason
	}
	return Target{Name: n, Location: g.loc, Key: n[len(g.root.String()):], g: g}, nil
}

// Open resolves name for reading and opens it.
func (a *Access) Open(ctx context.Context, name string) (Reader, error) {
	t, err := a.Resolve(name, false)
	if err != nil {
		return nil, err
	}
	return t.g.store.Open(ctx, t.Key)
}

// Stat resolves name for reading and describes it.
func (a *Access) Stat(ctx context.Context, name string) (Info, error) {
	t, err := a.Resolve(name, false)
	if err != nil {
		return Info{}, err
	}
	return t.g.store.Stat(ctx, t.Key)
}

// Create resolves name for writing and starts a new object there.
func (a *Access) Create(ctx context.Context, name string) (Writer, error) {
	t, err := a.Resolve(name, true)
	if err != nil {
		return nil, err
	}
	return t.g.store.Create(ctx, t.Key)
}
