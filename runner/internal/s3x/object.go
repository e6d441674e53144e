package s3x

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// Info describes an object, as HeadObject gives it.
type Info struct {
	Bucket string
	Key    string
	Size   int64
	// ETag is quoted, as S3 gives it: "\"<32 hex digits>\"" for an object uploaded in one
	// part.
	ETag         string
	LastModified time.Time
	// StorageClass is "STANDARD" when S3 gives none (HeadObject omits it for STANDARD).
	StorageClass string
}

// Stat describes the object at bucket/key with HeadObject. A HEAD response has no body, so
// S3's error code is lost (404 could be the bucket or the key; 403 a denial or bad
// credentials): when it fails with 400, 403 or 404, Stat asks again with a one-byte GetObject,
// whose error names the cause, and returns that.
func Stat(ctx context.Context, api API, bucket, key string) (Info, error) {
	out, err := api.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &bucket, Key: &key})
	if err != nil {
		return Info{}, headError(ctx, api, err, "HeadObject", bucket, key)
	}
	info := Info{Bucket: bucket, Key: key, Size: aws.ToInt64(out.ContentLength), ETag: quoteETag(aws.ToString(out.ETag)),
		LastModified: aws.ToTime(out.LastModified), StorageClass: string(out.StorageClass)}
	if info.StorageClass == "" {
		info.StorageClass = "STANDARD"
	}
	return info, nil
}

// headError describes a failed HEAD request, asking GetObject for the error code it lacks.
func headError(ctx context.Context, api API, err error, op, bucket, key string) error {
	d := Describe(err, op, bucket, key).(*Error)
	if d.Code != "NotFound" && d.Code != "Forbidden" && d.Code != "HTTP 400" {
		return d
	}
	out, gerr := api.GetObject(ctx, &s3.GetObjectInput{Bucket: &bucket, Key: &key, Range: aws.String("bytes=0-0")})
	if gerr == nil {
		out.Body.Close()
		return d
	}
	g := Describe(gerr, "GetObject", bucket, key).(*Error)
	if g.Code == "" || g.Code == "NotFound" || g.Code == "Forbidden" || strings.HasPrefix(g.Code, "HTTP ") {
		return d
	}
	if g.Code == "InvalidRange" { // an empty object, and the HEAD failed for another reason
		return d
	}
	g.Op = op
	return g
}

// quoteETag returns the ETag with the quotes S3 puts around it, adding them if a server left
// them out.
func quoteETag(etag string) string {
	if etag == "" || strings.HasPrefix(etag, `"`) {
		return etag
	}
	return `"` + etag + `"`
}

// Read-ahead sizes of an [Object].
const (
	// MinRead is the smallest GET for a read that does not continue the previous one.
	MinRead = 64 << 10
	// ReadAhead is the first block of a sequential read, fetched when a read starts where the
	// previous one ended (or at 0); each following block is twice as large, up to
	// MaxReadAhead.
	ReadAhead = 1 << 20
	// MaxReadAhead is the largest block. A sequential stream holds at most two: the one being
	// read and the next one, fetched in the background.
	MaxReadAhead = 8 << 20
)

// bodyAttempts is how many times a block whose body breaks off is asked for again.
const bodyAttempts = 3

// Object is an S3 object open for ranged reads: a ReaderAt over GetObject with a Range,
// fixed at Open to the size and ETag that HeadObject gave (every GET carries If-Match, so an
// object replaced in the meantime is an error, never a mix of two versions).
//
// Reads that follow each other (a read starting where the previous one ended, or at 0) are
// served from blocks of ReadAhead bytes, doubling up to MaxReadAhead; from the second such read
// on, the next block is fetched in the background while the current one is read: a stream costs
// one GET per block and two blocks of memory at most, whatever the object's size, and reading
// only an object's first bytes costs one block. A read that jumps fetches what it needs, at
// least MinRead bytes, and starts no read-ahead; a read at least as large as the block is
// fetched straight into the caller's buffer.
//
// ReadAt is safe to call from several goroutines, but they take turns; p is not kept after
// ReadAt returns. Close cancels the read-ahead and releases the buffers.
type Object struct {
	api  API
	info Info

	ctx    context.Context // cancelled by Close
	cancel context.CancelFunc

	mu      sync.Mutex
	closed  bool
	cur     *block // the block last read from, or nil
	ahead   *block // the read-ahead, in flight or done, or nil
	window  int64  // the size of the next sequential block
	lastEnd int64  // where the previous read ended
	spare   []byte // a buffer to reuse
}

type block struct {
	off    int64
	buf    []byte // the bytes [off, off+len(buf)); valid once done is closed and err is nil
	err    error
	done   chan struct{}
	cancel context.CancelFunc
}

func (b *block) end() int64           { return b.off + int64(len(b.buf)) }
func (b *block) holds(off int64) bool { return b.off <= off && off < b.end() }

// OpenObject opens the object at bucket/key for ranged reads. Its errors are Stat's. The
// Object's requests use ctx (without its deadline or cancellation ending the Object's life
// sooner than ctx does): cancelling ctx fails the reads under way and those after it.
func OpenObject(ctx context.Context, api API, bucket, key string) (*Object, error) {
	info, err := Stat(ctx, api, bucket, key)
	if err != nil {
		return nil, err
	}
	octx, cancel := context.WithCancel(ctx)
	return &Object{api: api, info: info, ctx: octx, cancel: cancel, window: ReadAhead}, nil
}

// Info describes the object as it was at Open.
func (o *Object) Info() Info { return o.info }

// Size is the object's size at Open.
func (o *Object) Size() int64 { return o.info.Size }

// ReadAt reads len(p) bytes at off, as io.ReaderAt: fewer only at the end of the object (with
// io.EOF) or on an error, an *Error. A negative off wraps fs.ErrInvalid; after Close, ReadAt
// returns an error wrapping fs.ErrClosed.
func (o *Object) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, &fs.PathError{Op: "read", Path: URI(o.info.Bucket, o.info.Key), Err: fmt.Errorf("%w: negative offset %d", fs.ErrInvalid, off)}
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.closed {
		return 0, &fs.PathError{Op: "read", Path: URI(o.info.Bucket, o.info.Key), Err: fs.ErrClosed}
	}
	if off >= o.info.Size {
		return 0, io.EOF
	}
	want := int(min(int64(len(p)), o.info.Size-off))
	seq := off == o.lastEnd  // continues the previous read (or starts at 0): blocks grow
	stream := seq && off > 0 // a second read in a row: read ahead
	n := 0
	for n < want {
		pos := off + int64(n)
		rest := p[n:want]
		switch {
		case o.cur != nil && o.cur.holds(pos):
			n += copy(rest, o.cur.buf[pos-o.cur.off:])
		case o.ahead != nil && o.ahead.holds(pos):
			b := o.ahead
			<-b.done
			o.ahead = nil
			if b.err != nil {
				o.recycle(b)
				return n, b.err
			}
			o.recycle(o.cur)
			o.cur = b
			o.grow()
			o.readAhead(b.end())
		default:
			o.dropAhead()
			size := int64(max(len(rest), MinRead))
			if seq {
				size = max(o.window, int64(len(rest)))
			} else {
				o.window = ReadAhead
			}
			size = min(size, o.info.Size-pos)
			if int64(len(rest)) >= size { // the caller's buffer is the block
				if err := o.get(o.ctx, pos, rest); err != nil {
					return n, err
				}
				n += len(rest)
				if seq {
					o.grow()
				}
				if stream {
					o.readAhead(pos + int64(len(rest)))
				}
				continue
			}
			b := o.newBlock(pos, size)
			b.err = o.get(o.ctx, pos, b.buf)
			close(b.done)
			if b.err != nil {
				o.recycle(b)
				return n, b.err
			}
			o.recycle(o.cur)
			o.cur = b
			if seq {
				o.grow()
			}
		}
	}
	o.lastEnd = off + int64(want)
	if stream && o.cur != nil && o.cur.holds(o.lastEnd-1) { // served from the current block
		o.readAhead(o.cur.end())
	}
	if want < len(p) {
		return want, io.EOF
	}
	return want, nil
}

func (o *Object) grow() { o.window = min(2*o.window, MaxReadAhead) }

// newBlock returns a block for [off, off+size), reusing the spare buffer if it is large
// enough.
func (o *Object) newBlock(off, size int64) *block {
	var buf []byte
	if int64(cap(o.spare)) >= size {
		buf, o.spare = o.spare[:size], nil
	} else {
		buf = make([]byte, size)
	}
	return &block{off: off, buf: buf, done: make(chan struct{}), cancel: func() {}}
}

// recycle keeps b's buffer as the spare if it is larger than the spare.
func (o *Object) recycle(b *block) {
	if b != nil && cap(b.buf) > cap(o.spare) {
		o.spare = b.buf[:0]
	}
}

// readAhead starts fetching the block at pos in the background, unless pos is the end.
func (o *Object) readAhead(pos int64) {
	if pos >= o.info.Size || o.ahead != nil {
		return
	}
	b := o.newBlock(pos, min(o.window, o.info.Size-pos))
	ctx, cancel := context.WithCancel(o.ctx)
	b.cancel = cancel
	o.ahead = b
	go func() {
		b.err = o.get(ctx, b.off, b.buf)
		cancel()
		close(b.done)
	}()
}

// dropAhead cancels the read-ahead and waits for it to end, so that its buffer can be reused.
func (o *Object) dropAhead() {
	if b := o.ahead; b != nil {
		b.cancel()
		<-b.done
		o.ahead = nil
		o.recycle(b)
	}
}

// get fills buf with the bytes at off, asking again from where a body broke off.
func (o *Object) get(ctx context.Context, off int64, buf []byte) error {
	bucket, key := o.info.Bucket, o.info.Key
	var err error
	for attempt := 0; attempt < bodyAttempts && len(buf) > 0; attempt++ {
		in := &s3.GetObjectInput{Bucket: &bucket, Key: &key,
			Range: aws.String("bytes=" + strconv.FormatInt(off, 10) + "-" + strconv.FormatInt(off+int64(len(buf))-1, 10))}
		if o.info.ETag != "" {
			in.IfMatch = aws.String(o.info.ETag)
		}
		out, gerr := o.api.GetObject(ctx, in)
		if gerr != nil {
			return Describe(gerr, "GetObject", bucket, key)
		}
		if cr := aws.ToString(out.ContentRange); !strings.HasPrefix(cr, "bytes "+strconv.FormatInt(off, 10)+"-") &&
			!(off == 0 && cr == "" && aws.ToInt64(out.ContentLength) == o.info.Size) {
			out.Body.Close()
			return &Error{Op: "GetObject", Bucket: bucket, Key: key, Err: fmt.Errorf("the server answered a ranged read at %d with Content-Range %q", off, cr)}
		}
		var n int
		n, err = io.ReadFull(out.Body, buf)
		out.Body.Close()
		off, buf = off+int64(n), buf[n:]
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			break
		}
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		err = fmt.Errorf("the object ended %d bytes early: %w", len(buf), io.ErrUnexpectedEOF)
	}
	if cerr := ctx.Err(); cerr != nil {
		err = cerr
	}
	return &Error{Op: "GetObject", Bucket: bucket, Key: key, Err: fmt.Errorf("reading the body: %w", err)}
}

// Close cancels the read-ahead and releases the buffers. Close after Close returns nil.
func (o *Object) Close() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.closed {
		return nil
	}
	o.closed = true
	o.cancel()
	o.dropAhead()
	o.cur, o.spare = nil, nil
	return nil
}

// Reader returns a sequential io.Reader over the whole object. It shares the Object's
// read-ahead; it is not goroutine-safe.
func (o *Object) Reader() io.Reader { return io.NewSectionReader(o, 0, o.info.Size) }

// CheckBucket asks S3 whether the bucket exists and the credentials may use it (HeadBucket),
// so that a run can fail before it starts. The error is an *Error: NoSuchBucket, AccessDenied,
// InvalidAccessKeyId, SignatureDoesNotMatch, … named as S3 would (a HEAD response has no body:
// the code is asked again with a ListObjectsV2 of one key when it is missing).
func CheckBucket(ctx context.Context, api API, bucket string) error {
	_, err := api.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: &bucket})
	if err == nil {
		return nil
	}
	d := Describe(err, "HeadBucket", bucket, "").(*Error)
	if d.Code != "NotFound" && d.Code != "Forbidden" && d.Code != "HTTP 400" {
		return d
	}
	_, lerr := api.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: &bucket, MaxKeys: aws.Int32(1)})
	if lerr == nil {
		return d
	}
	l := Describe(lerr, "ListObjectsV2", bucket, "").(*Error)
	if l.Code == "" || l.Code == "NotFound" || l.Code == "Forbidden" || strings.HasPrefix(l.Code, "HTTP ") {
		return d
	}
	l.Op = "HeadBucket"
	return l
}
