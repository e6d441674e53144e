package objectio

import (
	"context"
	"errors"
	"io/fs"

	"github.com/wasmap/wasmap/runner/internal/s3x"
)

// S3Opener is an Opener for SchemeS3 that serves locations from S3 through api (an *s3.Client
// from s3x.NewClient). A location's Store reaches the keys under its prefix, in its bucket:
//
//   - Stat is a HeadObject. Info.Key is the full key in the bucket; ETag and LastModified
//     are S3's.
//   - Open is a HeadObject, which fixes the size and the ETag; reads are ranged GetObjects
//     with read-ahead (see s3x.Object): a guest streaming an object through a 64 KiB buffer
//     costs one GET per block of 1 to 8 MiB, and at most 16 MiB of memory.
//   - Create is an s3x.Upload: bytes are buffered one part at a time (8 MiB parts, 2 in
//     flight), a multipart upload is created when a second part is needed, Close completes it
//     (a PutObject for an object of one part) and Abort aborts it: nothing is visible before
//     Close.
//
// Errors are *s3x.Error, which match fs.ErrNotExist (NoSuchKey, NoSuchBucket) and
// fs.ErrPermission (AccessDenied, bad credentials), so that Errno gives ENOENT and EACCES. S3
// has no folders: a key that is only a prefix of others is ENOENT, not EISDIR.
//
// Opening a location sends no request: a missing bucket shows at the first access.
func S3Opener(api s3x.API) Opener {
	return func(ctx context.Context, folder Location) (Store, error) {
		if folder.Scheme != SchemeS3 || folder.Bucket == "" || !folder.Folder() {
			return nil, errors.New("S3Opener needs an s3:// folder location")
		}
		return &S3Store{api: api, bucket: folder.Bucket, prefix: folder.Path}, nil
	}
}

// S3Store is the Store of an S3 location: the keys under a prefix of a bucket. It is
// goroutine-safe.
type S3Store struct {
	api    s3x.API
	bucket string
	prefix string // "" or ending in "/"
}

// Stat describes the object at key with HeadObject.
func (s *S3Store) Stat(ctx context.Context, key string) (Info, error) {
	info, err := s3x.Stat(ctx, s.api, s.bucket, s.prefix+key)
	if err != nil {
		return Info{}, err
	}
	return Info{Key: info.Key, Size: info.Size, ETag: info.ETag, LastModified: info.LastModified}, nil
}

// Open opens the object at key for ranged reads with read-ahead.
func (s *S3Store) Open(ctx context.Context, key string) (Reader, error) {
	o, err := s3x.OpenObject(ctx, s.api, s.bucket, s.prefix+key)
	if err != nil {
		return nil, err
	}
	return o, nil
}

// Create starts a multipart upload of key, completed at Close.
func (s *S3Store) Create(ctx context.Context, key string) (Writer, error) {
	return &s3Writer{u: s3x.NewUpload(ctx, s.api, s.bucket, s.prefix+key, s3x.UploadOptions{})}, nil
}

// s3Writer is an Upload as a Writer: Close seals and commits.
type s3Writer struct {
	u    *s3x.Upload
	done bool
}

func (w *s3Writer) Write(p []byte) (int, error) {
	if w.done {
		return 0, fs.ErrClosed
	}
	return w.u.Write(p)
}

func (w *s3Writer) Close() error {
	if w.done {
		return fs.ErrClosed
	}
	w.done = true
	err := w.u.Seal()
	if err == nil {
		err = w.u.Commit()
	}
	if err != nil {
		_ = w.u.Abort()
	}
	return err
}

func (w *s3Writer) Abort() error {
	if w.done {
		return nil
	}
	w.done = true
	return w.u.Abort()
}
