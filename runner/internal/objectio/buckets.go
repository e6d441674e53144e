package objectio

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// LocalBuckets is an Opener for SchemeS3 that serves buckets from local folders (wasmap run
// --bucket NAME=DIR): dirs maps a bucket name to its folder, an object's key being its path
// in the folder. Info.Key is the full key in the bucket, as with S3 ("s3://b/in/x" is "in/x").
// A location's store is rooted at its prefix's folder, so symbolic links cannot lead out of
// the prefix (S3 has none); that folder is made on the first Create, and before it exists
// every read is ENOENT. A location in a bucket dirs lacks is an error of NewAccess.
func LocalBuckets(dirs map[string]string) Opener {
	return func(ctx context.Context, folder Location) (Store, error) {
		dir, ok := dirs[folder.Bucket]
		if !ok {
			return nil, fmt.Errorf("no local folder serves bucket %q", folder.Bucket)
		}
		real, err := filepath.EvalSymlinks(dir)
		if err != nil {
			return nil, err
		}
		if folder.Path == "" {
			return OpenDir(real)
		}
		return &prefixStore{bucketDir: real, prefix: folder.Path}, nil
	}
}

// prefixStore is the DirStore of a prefix's folder in a bucket folder, opened when first
// needed.
type prefixStore struct {
	bucketDir string
	prefix    string // ending in "/"

	mu sync.Mutex
	s  *DirStore
}

// store opens the prefix's folder through the bucket's os.Root (a link on the way cannot
// lead outside the bucket), making it first when create is set.
func (p *prefixStore) store(create bool) (*DirStore, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.s != nil {
		return p.s, nil
	}
	br, err := os.OpenRoot(p.bucketDir)
	if err != nil {
		return nil, err
	}
	defer br.Close()
	probeEscape(br)
	sub := strings.TrimSuffix(p.prefix, "/")
	if create {
		if err := br.MkdirAll(sub, 0o755); err != nil {
			return nil, denied("create", p.prefix, err)
		}
	}
	r, err := br.OpenRoot(sub)
	if err != nil {
		return nil, denied("open", p.prefix, err)
	}
	dir := filepath.Join(p.bucketDir, filepath.FromSlash(sub))
	if real, err := filepath.EvalSymlinks(dir); err == nil {
		dir = real
	}
	p.s = &DirStore{root: r, dir: dir, prefix: p.prefix}
	return p.s, nil
}

func (p *prefixStore) Stat(ctx context.Context, key string) (Info, error) {
	s, err := p.store(false)
	if err != nil {
		return Info{}, err
	}
	return s.Stat(ctx, key)
}

func (p *prefixStore) Open(ctx context.Context, key string) (Reader, error) {
	s, err := p.store(false)
	if err != nil {
		return nil, err
	}
	return s.Open(ctx, key)
}

func (p *prefixStore) Create(ctx context.Context, key string) (Writer, error) {
	s, err := p.store(true)
	if err != nil {
		return nil, err
	}
	return s.Create(ctx, key)
}

func (p *prefixStore) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.s == nil {
		return nil
	}
	return p.s.Close()
}
