package itemreader

import (
	"context"
	"io"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/wasmap/wasmap/runner/internal/s3x"
)

// maxRereadBytes is how far into an S3 object a JSON syntax error may be for the reader to read
// the object again up to it, to give its line and column.
const maxRereadBytes = 64 << 20

// OpenS3 opens an S3 item source through api (an *s3.Client from s3x.NewClient): the items of
// one object, or one item per object of a listing.
//
// A key that is empty or ends in "/" is a listing, like an s3:listObjectsV2 ItemReader: every
// object whose key starts with key + cfg.Prefix, every page of ListObjectsV2, in S3's order
// (the byte-wise order of the keys). Each item is shaped exactly as a folder's (see the
// package documentation):
//
//	{"Etag":"\"<md5 hex>\"","Key":"<key>","LastModified":<epoch seconds>,"Size":<bytes>,"StorageClass":"STANDARD"}
//
// with S3's values: Etag as S3 gives it, quoted (the MD5 of the content for an object uploaded
// in one part), Key the full key in the bucket, LastModified in whole seconds, StorageClass
// S3's ("STANDARD" when it gives none). A folder listed as a local source and the same files
// uploaded to a bucket's root give the same items, byte for byte, once the files' modification
// times are S3's.
//
// Any other key is one object, read like a local file (CSV, JSON or JSON Lines by
// cfg.InputType, else by the key's extension, else by the content; gzip and zstd detected by
// their magic bytes), streamed with ranged GETs and read-ahead: memory does not grow with the
// object (see s3x.Object). cfg.Prefix must be empty.
//
// With cfg.InputType "manifest" (any case), the object is an S3 Inventory manifest.json whose
// items are the rows of its data files: see [TypeManifest].
//
// Every error is a *ReaderError; those of S3 wrap an *s3x.Error, whose text names the bucket
// and key ("s3://bucket/key: no such key …", "… access denied …", "… the request signature
// does not match …"). A listing of a missing bucket fails at its first page, in OpenS3.
func OpenS3(ctx context.Context, api s3x.API, bucket, key string, cfg Config) (Reader, error) {
	if isListing(key) {
		s, err := cfg.validate()
		if err == nil {
			err = cfg.checkFolder(s)
		}
		if err != nil {
			return nil, err
		}
		r := &s3ListReader{ctx: ctx, api: api, bucket: bucket, prefix: key + cfg.Prefix, max: cfg.MaxItems}
		if err := r.fetch(); err != nil { // fail now on a missing bucket or bad credentials
			return nil, err
		}
		return r, nil
	}
	if isManifest(cfg) {
		return openManifest(ctx, api, bucket, key, cfg)
	}
	src, s, typ, err := openS3(ctx, api, bucket, key, cfg)
	if err != nil {
		return nil, err
	}
	return newReader(src, s, typ, cfg.MaxItems)
}

// CountS3 counts the items of an S3 source as [Count] does a local one, capped at cfg.MaxItems
// when that is positive: a listing counts its keys (one ListObjectsV2 per 1,000 keys), an
// object is read once more, as a stream, and its items counted without being parsed; a
// manifest sums the rows of its data files. Errors are OpenS3's, and ctx.Err() if ctx ends
// first.
func CountS3(ctx context.Context, api s3x.API, bucket, key string, cfg Config) (int64, error) {
	if isListing(key) {
		s, err := cfg.validate()
		if err == nil {
			err = cfg.checkFolder(s)
		}
		if err != nil {
			return 0, err
		}
		r := &s3ListReader{ctx: ctx, api: api, bucket: bucket, prefix: key + cfg.Prefix, max: cfg.MaxItems}
		var n int64
		for {
			if err := r.fetch(); err != nil {
				return n, err
			}
			n += int64(len(r.page))
			if cfg.MaxItems > 0 && n >= cfg.MaxItems {
				return cfg.MaxItems, nil
			}
			if r.last {
				return n, nil
			}
		}
	}
	if isManifest(cfg) {
		return countManifest(ctx, api, bucket, key, cfg)
	}
	src, s, typ, err := openS3(ctx, api, bucket, key, cfg)
	if err != nil {
		return 0, err
	}
	return countSource(ctx, src, s, typ, cfg.MaxItems)
}

func isListing(key string) bool { return key == "" || strings.HasSuffix(key, "/") }

func isManifest(cfg Config) bool { return strings.EqualFold(cfg.InputType, TypeManifest) }

// openS3 validates cfg and opens the object, detecting its type if need be.
func openS3(ctx context.Context, api s3x.API, bucket, key string, cfg Config) (*source, settings, string, error) {
	s, err := cfg.validate()
	if err != nil {
		return nil, s, "", err
	}
	src, err := openS3Source(ctx, api, bucket, key)
	if err != nil {
		return nil, s, "", err
	}
	typ, err := detect(src, cfg, s)
	if err != nil {
		return nil, s, "", err
	}
	return src, s, typ, nil
}

// openS3Source opens the object as a source named by its s3:// URI.
func openS3Source(ctx context.Context, api s3x.API, bucket, key string) (*source, error) {
	open := func() (io.ReadCloser, error) {
		o, err := s3x.OpenObject(ctx, api, bucket, key)
		if err != nil {
			return nil, &ReaderError{Cause: err.Error(), Err: err}
		}
		return objectStream{o.Reader(), o}, nil
	}
	f, err := open()
	if err != nil {
		return nil, err
	}
	return newSource(s3x.URI(bucket, key), f, open)
}

// objectStream reads an s3x.Object from its start.
type objectStream struct {
	io.Reader
	io.Closer
}

// s3ListReader yields one listObjectsV2 item per object of a listing, a page at a time.
type s3ListReader struct {
	stopped
	ctx    context.Context
	api    s3x.API
	bucket string
	prefix string
	max    int64
	index  int64

	token *string        // the continuation token of the next page
	page  []types.Object // the current page
	i     int            // the next entry of page
	last  bool           // page is the last one
}

// fetch reads the next page.
func (r *s3ListReader) fetch() error {
	out, err := r.api.ListObjectsV2(r.ctx, &s3.ListObjectsV2Input{Bucket: &r.bucket, Prefix: &r.prefix, ContinuationToken: r.token})
	if err != nil {
		err = s3x.Describe(err, "ListObjectsV2", r.bucket, r.prefix)
		return &ReaderError{Cause: err.Error(), Err: err}
	}
	r.page, r.i = out.Contents, 0
	r.token = out.NextContinuationToken
	r.last = !aws.ToBool(out.IsTruncated) || r.token == nil
	return nil
}

func (r *s3ListReader) Next() (Item, error) {
	if err := r.check(); err != nil {
		return Item{}, err
	}
	if r.max > 0 && r.index >= r.max {
		r.err = io.EOF
		return Item{}, io.EOF
	}
	for r.i == len(r.page) {
		if r.last {
			r.err = io.EOF
			return Item{}, io.EOF
		}
		if err := r.fetch(); err != nil {
			r.err = err
			return Item{}, err
		}
	}
	o := r.page[r.i]
	r.i++
	it := Item{Index: r.index, Value: listEntry(o)}
	r.index++
	return it, nil
}

// listEntry is the listObjectsV2 item of an object, in the folder reader's exact format.
func listEntry(o types.Object) []byte {
	key := aws.ToString(o.Key)
	etag := aws.ToString(o.ETag)
	if etag != "" && !strings.HasPrefix(etag, `"`) {
		etag = `"` + etag + `"`
	}
	class := string(o.StorageClass)
	if class == "" {
		class = "STANDARD"
	}
	v := make([]byte, 0, 128+len(key))
	v = append(v, `{"Etag":`...)
	v = appendJSONString(v, etag)
	v = append(v, `,"Key":`...)
	v = appendJSONString(v, key)
	v = append(v, `,"LastModified":`...)
	v = strconv.AppendInt(v, aws.ToTime(o.LastModified).Unix(), 10)
	v = append(v, `,"Size":`...)
	v = strconv.AppendInt(v, aws.ToInt64(o.Size), 10)
	v = append(v, `,"StorageClass":`...)
	v = appendJSONString(v, class)
	return append(v, '}')
}

func (r *s3ListReader) Close() error {
	if !r.closed {
		r.closed = true
		r.page = nil
	}
	return nil
}
