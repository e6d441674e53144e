package s3x

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// Upload sizes.
const (
	// DefaultPartSize is the size of the first 1,000 parts of a multipart upload. Each further
	// 1,000 parts are twice as large as the previous ones (S3 takes at most 10,000 parts, of
	// different sizes if need be): 8 MiB parts reach 8 GB, and the doubling goes past S3's
	// 5 TiB limit on an object.
	DefaultPartSize = 8 << 20
	// MinPartSize is S3's smallest part, the last excepted: a smaller PartSize makes AWS
	// refuse the completion (EntityTooSmall); some S3-compatible servers accept it.
	MinPartSize = 5 << 20
	// maxPartSize is S3's largest part.
	maxPartSize = 5 << 30
	// DefaultConcurrency is the number of parts an upload sends at once.
	DefaultConcurrency = 2
)

// cleanupTimeout bounds the AbortMultipartUpload and DeleteObject of an Abort, which run even
// when the upload's context is cancelled.
const cleanupTimeout = 30 * time.Second

// UploadOptions tunes an Upload. The zero value is the defaults.
type UploadOptions struct {
	// PartSize is the size of the first 1,000 parts; 0 means DefaultPartSize.
	PartSize int64
	// Concurrency is the number of parts sent at once; 0 means DefaultConcurrency. Write
	// blocks while that many parts are in flight and the next one is full.
	Concurrency int
	// ContentType is the object's Content-Type; "" leaves S3's default.
	ContentType string
}

// Upload writes one object. Its methods follow resultwriter.Object: Write any number of times,
// Seal once, Commit once; Abort at any point. Nothing is visible at the key before Commit, and
// Commit makes the whole object visible at once.
//
// The content is buffered in memory one part at a time. An object that fits in one part is
// sent by a single PutObject at Commit. A larger one is a multipart upload: it is created when
// the first part is full and more bytes follow, each full part is sent in the background
// (Concurrency at a time), Seal sends the last part and waits for all of them, and Commit
// completes the upload. Abort aborts the multipart upload (S3 then frees its parts), or,
// after Commit, deletes the object.
//
// Memory: the part being filled (grown as bytes come, so a small object costs what it holds)
// plus up to Concurrency parts in flight. An Upload is not goroutine-safe.
type Upload struct {
	api    API
	bucket string
	key    string
	opts   UploadOptions
	crc    bool // declare and send CRC32 checksums on the multipart upload

	ctx    context.Context // cancelled by Abort
	cancel context.CancelFunc

	buf      []byte // the part being filled
	part     int32  // the number of the last part sent
	uploadID *string
	size     int64
	state    int

	slots chan struct{} // one per part in flight
	free  chan []byte   // buffers of parts sent, to reuse
	wg    sync.WaitGroup

	mu    sync.Mutex
	parts []types.CompletedPart
	err   error // the first error of a part
}

const (
	upWriting = iota
	upSealed
	upCommitted
	upAborted
)

// NewUpload starts an upload of bucket/key. It sends nothing yet. Its requests use ctx;
// cancelling ctx fails them.
func NewUpload(ctx context.Context, api API, bucket, key string, opts UploadOptions) *Upload {
	if opts.PartSize <= 0 {
		opts.PartSize = DefaultPartSize
	}
	if opts.Concurrency <= 0 {
		opts.Concurrency = DefaultConcurrency
	}
	uctx, cancel := context.WithCancel(ctx)
	return &Upload{api: api, bucket: bucket, key: key, opts: opts, crc: sendsChecksums(api), ctx: uctx, cancel: cancel,
		slots: make(chan struct{}, opts.Concurrency), free: make(chan []byte, opts.Concurrency+1)}
}

// Size is the number of bytes written.
func (u *Upload) Size() int64 { return u.size }

// partSize is the size of part number n (1-based).
func (u *Upload) partSize(n int32) int {
	s := u.opts.PartSize << ((n - 1) / 1000)
	return int(min(s, maxPartSize))
}

func (u *Upload) stateError(op string) error {
	return &fs.PathError{Op: op, Path: URI(u.bucket, u.key), Err: fs.ErrClosed}
}

// failed returns the first error of a part sent in the background.
func (u *Upload) failed() error {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.err
}

func (u *Upload) fail(err error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.err == nil {
		u.err = err
	}
}

// Write appends p to the object. p is copied; it is not kept. After an error, the upload can
// only be aborted.
func (u *Upload) Write(p []byte) (int, error) {
	if u.state != upWriting {
		return 0, u.stateError("write")
	}
	if err := u.failed(); err != nil {
		return 0, err
	}
	n := 0
	for n < len(p) {
		limit := u.partSize(u.part + 1)
		if len(u.buf) == limit {
			if err := u.send(); err != nil {
				u.size += int64(n)
				return n, err
			}
			limit = u.partSize(u.part + 1)
		}
		k := min(limit-len(u.buf), len(p)-n)
		if len(u.buf)+k > cap(u.buf) {
			u.buf = u.grow(len(u.buf)+k, limit)
		}
		u.buf = append(u.buf, p[n:n+k]...)
		n += k
	}
	u.size += int64(n)
	return n, nil
}

// grow returns u.buf with room for need bytes: a reused buffer of a part sent, or twice the
// capacity, at most limit.
func (u *Upload) grow(need, limit int) []byte {
	select {
	case b := <-u.free:
		if cap(b) >= need {
			return append(b[:0], u.buf...)
		}
	default:
	}
	b := make([]byte, len(u.buf), min(max(need, 2*cap(u.buf), 64<<10), limit))
	copy(b, u.buf)
	return b
}

// send starts sending the full buffer as the next part, creating the multipart upload first.
func (u *Upload) send() error {
	if u.uploadID == nil {
		in := &s3.CreateMultipartUploadInput{Bucket: &u.bucket, Key: &u.key}
		if u.opts.ContentType != "" {
			in.ContentType = &u.opts.ContentType
		}
		if u.crc {
			in.ChecksumAlgorithm = types.ChecksumAlgorithmCrc32
		}
		out, err := u.api.CreateMultipartUpload(u.ctx, in)
		if err != nil {
			err = Describe(err, "CreateMultipartUpload", u.bucket, u.key)
			u.fail(err)
			return err
		}
		u.uploadID = out.UploadId
	}
	select {
	case u.slots <- struct{}{}:
	case <-u.ctx.Done():
		err := Describe(u.ctx.Err(), "UploadPart", u.bucket, u.key)
		u.fail(err)
		return err
	}
	if err := u.failed(); err != nil {
		<-u.slots
		return err
	}
	u.part++
	num, data := u.part, u.buf
	u.buf = nil
	u.wg.Add(1)
	go func() {
		defer u.wg.Done()
		defer func() { <-u.slots }()
		in := &s3.UploadPartInput{Bucket: &u.bucket, Key: &u.key, UploadId: u.uploadID, PartNumber: aws.Int32(num),
			Body: bytes.NewReader(data), ContentLength: aws.Int64(int64(len(data)))}
		if u.crc {
			in.ChecksumAlgorithm = types.ChecksumAlgorithmCrc32
		}
		out, err := u.api.UploadPart(u.ctx, in)
		if err != nil {
			u.fail(Describe(err, "UploadPart", u.bucket, u.key))
			return
		}
		u.mu.Lock()
		u.parts = append(u.parts, types.CompletedPart{PartNumber: aws.Int32(num), ETag: out.ETag, ChecksumCRC32: out.ChecksumCRC32})
		u.mu.Unlock()
		select {
		case u.free <- data[:0]:
		default:
		}
	}()
	return nil
}

// Seal ends the writing. A multipart upload sends its last part and waits for every part: the
// content is then stored, not yet visible. An object of one part is kept for Commit.
func (u *Upload) Seal() error {
	if u.state != upWriting {
		return u.stateError("seal")
	}
	if err := u.failed(); err != nil {
		return err
	}
	if u.uploadID != nil && len(u.buf) > 0 {
		if err := u.send(); err != nil {
			u.wg.Wait()
			return err
		}
	}
	u.wg.Wait()
	if err := u.failed(); err != nil {
		return err
	}
	u.state = upSealed
	return nil
}

// Commit makes the sealed object visible at its key: a PutObject of its one part, or the
// completion of the multipart upload. On failure nothing is visible (Abort cleans up).
func (u *Upload) Commit() error {
	if u.state != upSealed {
		return u.stateError("commit")
	}
	if u.uploadID == nil {
		in := &s3.PutObjectInput{Bucket: &u.bucket, Key: &u.key, Body: bytes.NewReader(u.buf), ContentLength: aws.Int64(int64(len(u.buf)))}
		if u.opts.ContentType != "" {
			in.ContentType = &u.opts.ContentType
		}
		if _, err := u.api.PutObject(u.ctx, in); err != nil {
			return Describe(err, "PutObject", u.bucket, u.key)
		}
	} else {
		slices.SortFunc(u.parts, func(a, b types.CompletedPart) int { return int(*a.PartNumber - *b.PartNumber) })
		if _, err := u.api.CompleteMultipartUpload(u.ctx, &s3.CompleteMultipartUploadInput{Bucket: &u.bucket, Key: &u.key,
			UploadId: u.uploadID, MultipartUpload: &types.CompletedMultipartUpload{Parts: u.parts}}); err != nil {
			return Describe(err, "CompleteMultipartUpload", u.bucket, u.key)
		}
	}
	u.state = upCommitted
	u.buf, u.parts = nil, nil
	u.drain()
	u.cancel()
	return nil
}

// Abort discards the object: the parts sent before Commit (the multipart upload is aborted),
// the object itself after Commit. It runs even if the upload's context is cancelled, for at
// most 30 s. Abort after Abort returns nil.
func (u *Upload) Abort() error {
	var err error
	switch u.state {
	case upWriting, upSealed:
		u.cancel()
		u.wg.Wait()
		if u.uploadID != nil {
			ctx, cancel := context.WithTimeout(context.WithoutCancel(u.ctx), cleanupTimeout)
			_, err = u.api.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: &u.bucket, Key: &u.key, UploadId: u.uploadID})
			cancel()
			err = Describe(err, "AbortMultipartUpload", u.bucket, u.key)
		}
	case upCommitted:
		ctx, cancel := context.WithTimeout(context.WithoutCancel(u.ctx), cleanupTimeout)
		_, err = u.api.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &u.bucket, Key: &u.key})
		cancel()
		err = Describe(err, "DeleteObject", u.bucket, u.key)
	}
	u.state = upAborted
	u.buf, u.parts = nil, nil
	u.drain()
	if err != nil && errors.Is(err, fs.ErrNotExist) {
		return nil // nothing left to discard
	}
	return err
}

func (u *Upload) drain() {
	for {
		select {
		case <-u.free:
		default:
			return
		}
	}
}

// String returns the upload's URI, for messages.
func (u *Upload) String() string { return fmt.Sprintf("upload of %s", URI(u.bucket, u.key)) }
