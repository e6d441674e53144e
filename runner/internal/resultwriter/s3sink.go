package resultwriter

import (
	"context"
	"fmt"
	"path"
	"strings"

	"github.com/wasmap/wasmap/runner/internal/s3x"
)

// S3SinkOptions tunes an S3Sink. The zero value is the defaults.
type S3SinkOptions struct {
	// PartSize is the size of the multipart uploads' parts: a result file larger than it is
	// uploaded in parts, one smaller in one PutObject. 0 means s3x.DefaultPartSize (8 MiB);
	// S3 needs at least s3x.MinPartSize (5 MiB).
	PartSize int64
	// Concurrency is the number of parts each file sends at once; 0 means
	// s3x.DefaultConcurrency (2).
	Concurrency int
}

// S3Sink writes the result objects to an S3 bucket through an s3x.API (an *s3.Client from
// s3x.NewClient), in the same layout as a DirSink: the Writer's keys, Prefix included, are the
// objects' keys, and the manifest's DestinationBucket is the bucket's name.
//
// Each object is an s3x.Upload: its bytes are buffered one part at a time; a file larger than
// a part is a multipart upload whose parts go out while the file is written, sealed by
// uploading the last part, and committed by completing the upload; a smaller file is one
// PutObject at commit. Nothing is visible under a key before its commit, and the Writer
// commits manifest.json last, so a manifest in the bucket means every file it lists is there.
// An aborted Writer aborts its multipart uploads and deletes the files it had committed.
//
// Memory per open file: the part being filled and up to Concurrency parts in flight. S3
// errors are *s3x.Error, naming the bucket and key, inside the Writer's *WriterError
// (States.ResultWriterFailed). S3Sink is goroutine-safe; each Object is not.
type S3Sink struct {
	ctx    context.Context
	api    s3x.API
	bucket string
	opts   s3x.UploadOptions
}

// NewS3Sink returns a sink writing to bucket. Its requests use ctx. It sends nothing: a
// missing bucket or refused credentials show at the first upload (when a file passes a part or
// at its commit); s3x.CheckBucket finds them before the run.
func NewS3Sink(ctx context.Context, api s3x.API, bucket string, opts S3SinkOptions) *S3Sink {
	return &S3Sink{ctx: ctx, api: api, bucket: bucket,
		opts: s3x.UploadOptions{PartSize: opts.PartSize, Concurrency: opts.Concurrency, ContentType: "application/json"}}
}

// Destination returns the bucket's name.
func (s *S3Sink) Destination() string { return s.bucket }

// Create starts the upload of key.
func (s *S3Sink) Create(key string) (Object, error) {
	if key == "" || strings.HasPrefix(key, "/") || path.Clean(key) != key {
		return nil, fmt.Errorf("invalid object key %q", key)
	}
	return s3x.NewUpload(s.ctx, s.api, s.bucket, key, s.opts), nil
}
