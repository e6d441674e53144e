package runner

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"

	"github.com/wasmap/wasmap/runner/internal/itemreader"
	"github.com/wasmap/wasmap/runner/internal/objectio"
	"github.com/wasmap/wasmap/runner/internal/resultwriter"
	"github.com/wasmap/wasmap/runner/internal/s3x"
)

// storage resolves a run's locations: local paths, and s3://bucket/key URIs, which a local
// folder serves when Job.Buckets maps the bucket, and S3 otherwise. The S3 client is made on
// first use, so a run that touches no bucket needs no AWS configuration.
type storage struct {
	ctx  context.Context
	job  *Job
	once sync.Once
	api  s3x.API
	err  error
}

// isS3 reports whether a location is an s3:// URI.
func isS3(loc string) bool { return strings.HasPrefix(loc, "s3://") }

// client returns the S3 client, made from the Job's AWS settings and the standard AWS
// configuration (credential chain, profiles, AWS_REGION, AWS_ENDPOINT_URL_S3).
func (s *storage) client() (s3x.API, error) {
	s.once.Do(func() {
		a := s.job.AWS
		s.api, s.err = s3x.NewClient(s.ctx, s3x.Config{Profile: a.Profile, EndpointURL: a.EndpointURL, PathStyle: a.PathStyle})
	})
	return s.api, s.err
}

// local returns the folder that serves bucket, if Job.Buckets maps it.
func (s *storage) local(bucket string) (string, bool) {
	dir, ok := s.job.Buckets[bucket]
	return dir, ok
}

// localPath is the file or folder that serves s3://bucket/key from the mapped folder dir.
func localPath(dir, key string) (string, error) {
	if !localKey(key) {
		return "", fmt.Errorf("the key %q leaves the bucket's folder", key)
	}
	if key == "" {
		return dir, nil
	}
	return filepath.Join(dir, filepath.FromSlash(key)), nil
}

// itemSource says where an item source is: a local path (a plain path, or the folder that
// serves a mapped bucket), else an S3 bucket and key. A listing's key prefix moves into
// cfg.Prefix for a local folder.
func (s *storage) itemSource(src string, cfg itemreader.Config) (path, bucket, key string, _ itemreader.Config, err error) {
	if !isS3(src) {
		return src, "", "", cfg, nil
	}
	if bucket, key, err = s3x.ParseURI(src); err != nil {
		return "", "", "", cfg, err
	}
	dir, ok := s.local(bucket)
	if !ok {
		return "", bucket, key, cfg, nil
	}
	if key == "" || strings.HasSuffix(key, "/") { // a listing
		cfg.Prefix = key + cfg.Prefix
		key = ""
	}
	path, err = localPath(dir, key)
	return path, "", "", cfg, err
}

// openItems opens the item source. An s3:// source is a listing when its key is empty or ends
// in "/", else one object.
func (s *storage) openItems(src string, cfg itemreader.Config) (itemreader.Reader, error) {
	path, bucket, key, cfg, err := s.itemSource(src, cfg)
	if err != nil {
		return nil, &itemreader.ReaderError{Cause: err.Error(), Err: err}
	}
	if path != "" {
		return itemreader.Open(path, cfg)
	}
	api, err := s.client()
	if err != nil {
		return nil, &itemreader.ReaderError{Cause: err.Error(), Err: err}
	}
	return itemreader.OpenS3(s.ctx, api, bucket, key, cfg)
}

// countItems counts the item source, for progress and the tolerated percentage.
func (s *storage) countItems(ctx context.Context, src string, cfg itemreader.Config) (int64, error) {
	path, bucket, key, cfg, err := s.itemSource(src, cfg)
	if err != nil {
		return 0, err
	}
	if path != "" {
		return itemreader.Count(ctx, path, cfg)
	}
	api, err := s.client()
	if err != nil {
		return 0, err
	}
	return itemreader.CountS3(ctx, api, bucket, key, cfg)
}

// resultSink is where a ResultWriter with a Bucket writes: the mapped folder (named after the
// bucket in the manifest, as S3 would be), or S3.
func (s *storage) resultSink(bucket string) (resultwriter.Sink, error) {
	if dir, ok := s.local(bucket); ok {
		sink, err := resultwriter.NewDirSink(dir)
		if err != nil {
			return nil, err
		}
		return namedSink{sink, bucket}, nil
	}
	api, err := s.client()
	if err != nil {
		return nil, err
	}
	return resultwriter.NewS3Sink(s.ctx, api, bucket, resultwriter.S3SinkOptions{}), nil
}

// namedSink is a local folder standing for a bucket: the manifest names the bucket.
type namedSink struct {
	resultwriter.Sink
	bucket string
}

func (n namedSink) Destination() string { return n.bucket }

// opener serves s3:// locations to object I/O: mapped buckets from their folders, others from
// S3.
func (s *storage) opener() objectio.Opener {
	local := objectio.LocalBuckets(s.job.Buckets)
	return func(ctx context.Context, folder objectio.Location) (objectio.Store, error) {
		if _, ok := s.local(folder.Bucket); ok {
			return local(ctx, folder)
		}
		api, err := s.client()
		if err != nil {
			return nil, err
		}
		return objectio.S3Opener(api)(ctx, folder)
	}
}
