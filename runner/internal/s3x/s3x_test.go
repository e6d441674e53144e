package s3x_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/wasmap/wasmap/runner/internal/s3test"
	"github.com/wasmap/wasmap/runner/internal/s3x"
)

var ctx = context.Background()

// data returns n deterministic bytes.
func data(n int, seed uint64) []byte {
	b := make([]byte, n)
	rand.NewChaCha8([32]byte{byte(seed), byte(seed >> 8)}).Read(b)
	return b
}

func TestParseURI(t *testing.T) {
	for _, tc := range []struct{ uri, bucket, key, err string }{
		{"s3://b/k/x.json", "b", "k/x.json", ""},
		{"s3://b/prefix/", "b", "prefix/", ""},
		{"s3://b", "b", "", ""},
		{"s3://b/", "b", "", ""},
		{"s3:///k", "", "", "has no bucket"},
		{"/local/path", "", "", "not an S3 URI"},
	} {
		b, k, err := s3x.ParseURI(tc.uri)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("ParseURI(%q) error = %v, want %q", tc.uri, err, tc.err)
			}
			continue
		}
		if err != nil || b != tc.bucket || k != tc.key {
			t.Errorf("ParseURI(%q) = %q, %q, %v; want %q, %q", tc.uri, b, k, err, tc.bucket, tc.key)
		}
	}
}

// TestErrors checks that the usual failures name the bucket and key and keep the SDK's error.
func TestErrors(t *testing.T) {
	srv := s3test.Start(t)
	srv.CreateBucket(t, "data")
	srv.PutObject(t, "data", "a.json", []byte(`[1]`))
	good := srv.Client(t)
	badKey := srv.ClientWith(t, srv.Config("nosuchaccesskey", s3test.SecretKey))
	badSecret := srv.ClientWith(t, srv.Config(s3test.AccessKey, "not-the-secret"))

	for _, tc := range []struct {
		name        string
		client      *s3.Client
		bucket, key string
		want        []string // substrings of the message
		code        string
		is          error
	}{
		{"missing key", good, "data", "missing.json", []string{"s3://data/missing.json", `no such key "missing.json"`, "NoSuchKey"}, "NoSuchKey", fs.ErrNotExist},
		{"missing bucket", good, "nobucket", "a.json", []string{"s3://nobucket/a.json", `no such bucket "nobucket"`, "NoSuchBucket"}, "NoSuchBucket", fs.ErrNotExist},
		// AWS says InvalidAccessKeyId; versitygw says XAdminUserNotFound.
		{"unknown access key", badKey, "data", "a.json", []string{"s3://data/a.json", "does not know this access key ID", "check the credentials"}, "XAdminUserNotFound", fs.ErrPermission},
		{"wrong secret", badSecret, "data", "a.json", []string{"s3://data/a.json", "SignatureDoesNotMatch", "secret access key"}, "SignatureDoesNotMatch", fs.ErrPermission},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, op := range []string{"open", "stat", "list"} {
				var err error
				switch op {
				case "open":
					var o *s3x.Object
					if o, err = s3x.OpenObject(ctx, tc.client, tc.bucket, tc.key); err == nil {
						o.Close()
					}
				case "stat":
					_, err = s3x.Stat(ctx, tc.client, tc.bucket, tc.key)
				case "list":
					if tc.code == "NoSuchKey" {
						continue // a listing of a missing prefix is empty
					}
					_, err = tc.client.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: &tc.bucket, Prefix: &tc.key})
					err = s3x.Describe(err, "ListObjectsV2", tc.bucket, tc.key)
				}
				if err == nil {
					t.Fatalf("%s: no error", op)
				}
				for _, w := range tc.want {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("%s: error %q lacks %q", op, err, w)
					}
				}
				var se *s3x.Error
				if !errors.As(err, &se) || se.Code != tc.code {
					t.Errorf("%s: error %#v: want an *s3x.Error with code %s", op, err, tc.code)
				}
				var ae smithy.APIError
				if !errors.As(err, &ae) || ae.ErrorCode() != tc.code {
					t.Errorf("%s: errors.As(smithy.APIError) fails or has another code: %v", op, err)
				}
				if !errors.Is(err, tc.is) {
					t.Errorf("%s: errors.Is(%v) is false for %v", op, tc.is, err)
				}
			}
		})
	}
	t.Run("typed", func(t *testing.T) {
		_, err := s3x.OpenObject(ctx, good, "data", "missing.json")
		var nsk *types.NoSuchKey
		if !errors.As(err, &nsk) {
			t.Errorf("errors.As(*types.NoSuchKey) fails for %v", err)
		}
	})
}

// TestEnvironment checks that the standard configuration reaches the server from environment
// variables alone (AWS_ENDPOINT_URL_S3 is read by the SDK), and that Config.EndpointURL wins
// over it.
func TestEnvironment(t *testing.T) {
	srv := s3test.Start(t)
	srv.CreateBucket(t, "env")
	srv.PutObject(t, "env", "k", []byte("hello"))
	srv.SetEnv(t)

	c, err := s3x.NewClient(ctx, s3x.Config{PathStyle: true})
	if err != nil {
		t.Fatal(err)
	}
	if info, err := s3x.Stat(ctx, c, "env", "k"); err != nil || info.Size != 5 {
		t.Fatalf("Stat through AWS_ENDPOINT_URL_S3 = %+v, %v", info, err)
	}

	t.Setenv("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:1")
	c, err = s3x.NewClient(ctx, s3x.Config{PathStyle: true, EndpointURL: srv.Endpoint, MaxAttempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s3x.Stat(ctx, c, "env", "k"); err != nil {
		t.Fatalf("Config.EndpointURL does not override AWS_ENDPOINT_URL_S3: %v", err)
	}

	if _, err := s3x.NewClient(ctx, s3x.Config{EndpointURL: "127.0.0.1:7070"}); err == nil {
		t.Error("an endpoint without a scheme is accepted")
	}

	// A profile of the shared files gives the region, the endpoint and the credentials.
	dir := t.TempDir()
	conf := filepath.Join(dir, "config")
	creds := filepath.Join(dir, "credentials")
	os.WriteFile(conf, []byte("[profile wasmaptest]\nregion = us-east-1\nendpoint_url = "+srv.Endpoint+"\n"), 0o600)
	os.WriteFile(creds, []byte("[wasmaptest]\naws_access_key_id = "+s3test.AccessKey+"\naws_secret_access_key = "+s3test.SecretKey+"\n"), 0o600)
	for _, k := range []string{"AWS_ENDPOINT_URL_S3", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION"} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	t.Setenv("AWS_CONFIG_FILE", conf)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", creds)
	c, err = s3x.NewClient(ctx, s3x.Config{Profile: "wasmaptest", PathStyle: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s3x.Stat(ctx, c, "env", "k"); err != nil {
		t.Fatalf("through the profile: %v", err)
	}
	if _, err := s3x.NewClient(ctx, s3x.Config{Profile: "nosuchprofile"}); err == nil {
		t.Error("a missing profile is accepted")
	}
}

// TestRetry puts a proxy that answers 503 SlowDown to the first requests between the client
// and the server: the SDK retries them.
func TestRetry(t *testing.T) {
	srv := s3test.Start(t)
	srv.CreateBucket(t, "rrr")
	srv.PutObject(t, "rrr", "k", []byte("retried"))
	target, _ := url.Parse(srv.Endpoint)
	var failures, requests atomic.Int64
	rp := httputil.NewSingleHostReverseProxy(target)
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		if failures.Add(-1) >= 0 {
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(http.StatusServiceUnavailable)
			io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>`)
			return
		}
		rp.ServeHTTP(w, r) // the Host header is kept, so the signature still matches
	}))
	defer proxy.Close()
	cfg := srv.Config(s3test.AccessKey, s3test.SecretKey)
	cfg.EndpointURL = proxy.URL

	failures.Store(2)
	c := srv.ClientWith(t, cfg) // 3 attempts: the SDK's default
	o, err := s3x.OpenObject(ctx, c, "rrr", "k")
	if err != nil {
		t.Fatalf("2 SlowDown answers then success: %v", err)
	}
	b, err := io.ReadAll(o.Reader())
	o.Close()
	if err != nil || string(b) != "retried" {
		t.Fatalf("read %q, %v", b, err)
	}
	if n := requests.Load(); n != 4 { // HEAD ×3, GET
		t.Errorf("%d requests, want 4 (3 attempts of the HEAD, then the GET)", n)
	}

	failures.Store(1 << 20)
	cfg.MaxAttempts = 2
	requests.Store(0)
	_, err = s3x.Stat(ctx, srv.ClientWith(t, cfg), "rrr", "k")
	// A HEAD response has no body: the code is the status's.
	if err == nil || !strings.Contains(err.Error(), "s3://rrr/k: HeadObject: ServiceUnavailable") || !strings.Contains(err.Error(), "after 2 attempts") {
		t.Errorf("after 2 attempts: %v", err)
	}
	if n := requests.Load(); n != 2 {
		t.Errorf("%d requests, want 2", n)
	}
	requests.Store(0)
	failures.Store(1 << 20)
	_, err = srv.ClientWith(t, cfg).ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("rrr")})
	err = s3x.Describe(err, "ListObjectsV2", "rrr", "")
	if err == nil || err.Error() != "s3://rrr/: ListObjectsV2: SlowDown: Please reduce your request rate. (after 2 attempts)" {
		t.Errorf("listing after 2 attempts: %v", err)
	}
}

// counting counts the GetObject calls of a client.
type counting struct {
	*s3.Client
	gets atomic.Int64
}

func (c *counting) GetObject(ctx context.Context, in *s3.GetObjectInput, opts ...func(*s3.Options)) (*s3.GetObjectOutput, error) {
	c.gets.Add(1)
	return c.Client.GetObject(ctx, in, opts...)
}

// TestObjectReads checks ranged reads against the content, and that a stream costs one GET per
// block.
func TestObjectReads(t *testing.T) {
	srv := s3test.Start(t)
	srv.CreateBucket(t, "obj")
	const size = 40<<20 + 12345
	content := data(size, 1)
	srv.PutObject(t, "obj", "big", content)
	srv.PutObject(t, "obj", "empty", nil)
	api := &counting{Client: srv.Client(t)}

	o, err := s3x.OpenObject(ctx, api, "obj", "big")
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	if o.Size() != size || o.Info().ETag == "" || o.Info().StorageClass != "STANDARD" {
		t.Fatalf("info %+v", o.Info())
	}

	// The first bytes alone cost one block, without read-ahead.
	if _, err := o.ReadAt(make([]byte, 100), 0); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond)
	if n := api.gets.Swap(0); n != 1 {
		t.Errorf("reading 100 bytes took %d GETs, want 1", n)
	}

	// A stream with a 64 KiB buffer: blocks of 1, 2, 4, 8, 8, … MiB.
	got, err := io.ReadAll(io.NewSectionReader(o, 0, size))
	if err != nil || !bytes.Equal(got, content) {
		t.Fatalf("stream: %v, equal %v", err, bytes.Equal(got, content))
	}
	if n := api.gets.Load(); n > 10 {
		t.Errorf("the stream took %d GETs, want at most 10 (1+2+4+8+8+8+8+… MiB)", n)
	}

	// Random reads, of every size, at every kind of place.
	r := rand.New(rand.NewPCG(1, 2))
	buf := make([]byte, 10<<20)
	for i := range 200 {
		off := r.Int64N(size + 100)
		n := r.IntN(len(buf))
		if i%3 == 0 {
			n = r.IntN(100)
		}
		got, err := o.ReadAt(buf[:n], off)
		want := content[min(off, size):min(off+int64(n), size)]
		if got != len(want) || !bytes.Equal(buf[:got], want) {
			t.Fatalf("ReadAt(%d bytes, %d) = %d, %v: want %d bytes", n, off, got, err, len(want))
		}
		if got < n && err != io.EOF {
			t.Fatalf("ReadAt(%d bytes, %d) = %d, %v: want io.EOF", n, off, got, err)
		}
	}
	if _, err := o.ReadAt(buf, -1); !errors.Is(err, fs.ErrInvalid) {
		t.Errorf("negative offset: %v", err)
	}
	o.Close()
	if _, err := o.ReadAt(buf[:1], 0); !errors.Is(err, fs.ErrClosed) {
		t.Errorf("after Close: %v", err)
	}

	e, err := s3x.OpenObject(ctx, api, "obj", "empty")
	if err != nil {
		t.Fatal(err)
	}
	if n, err := e.ReadAt(buf[:10], 0); n != 0 || err != io.EOF {
		t.Errorf("empty object: %d, %v", n, err)
	}
	e.Close()
}

// TestObjectChanged checks that an object replaced after Open is an error, not a mix.
func TestObjectChanged(t *testing.T) {
	srv := s3test.Start(t)
	srv.CreateBucket(t, "ccc")
	srv.PutObject(t, "ccc", "k", data(3<<20, 1))
	o, err := s3x.OpenObject(ctx, srv.Client(t), "ccc", "k")
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	srv.PutObject(t, "ccc", "k", data(3<<20, 2))
	_, err = o.ReadAt(make([]byte, 100), 1<<20)
	if err == nil || !strings.Contains(err.Error(), "s3://ccc/k") {
		t.Fatalf("read after the object changed: %v", err)
	}
	t.Log(err)
}

func TestUpload(t *testing.T) {
	srv := s3test.Start(t)
	srv.CreateBucket(t, "upl")
	client := srv.Client(t)
	opts := s3x.UploadOptions{PartSize: s3x.MinPartSize}
	visible := func(key string) bool {
		_, err := s3x.Stat(ctx, client, "upl", key)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			t.Fatal(err)
		}
		return err == nil
	}
	write := func(u *s3x.Upload, content []byte) {
		t.Helper()
		for b := content; len(b) > 0; {
			n := min(len(b), 777_777)
			if _, err := u.Write(b[:n]); err != nil {
				t.Fatal(err)
			}
			b = b[n:]
		}
	}

	for _, size := range []int{0, 1, s3x.MinPartSize, s3x.MinPartSize + 1, 12<<20 + 3} {
		content := data(size, uint64(size))
		u := s3x.NewUpload(ctx, client, "upl", "obj", opts)
		write(u, content)
		if err := u.Seal(); err != nil {
			t.Fatalf("%d bytes: Seal: %v", size, err)
		}
		if visible("obj") {
			t.Fatalf("%d bytes: visible before Commit", size)
		}
		if err := u.Commit(); err != nil {
			t.Fatalf("%d bytes: Commit: %v", size, err)
		}
		if got := srv.GetObject(t, "upl", "obj"); !bytes.Equal(got, content) {
			t.Fatalf("%d bytes: got %d bytes back, not the same", size, len(got))
		}
		if u.Size() != int64(size) {
			t.Errorf("Size %d, want %d", u.Size(), size)
		}
		if err := u.Abort(); err != nil { // after Commit: deletes
			t.Fatal(err)
		}
		if visible("obj") {
			t.Fatalf("%d bytes: still there after Abort", size)
		}
	}

	// Abort before Commit leaves nothing, not even the parts.
	u := s3x.NewUpload(ctx, client, "upl", "aborted", opts)
	write(u, data(11<<20, 9))
	if err := u.Seal(); err != nil {
		t.Fatal(err)
	}
	if ups := srv.Uploads(t, "upl"); len(ups) != 1 {
		t.Errorf("uploads in progress: %v, want the one", ups)
	}
	if err := u.Abort(); err != nil {
		t.Fatal(err)
	}
	if visible("aborted") {
		t.Error("aborted object is visible")
	}
	if ups := srv.Uploads(t, "upl"); len(ups) != 0 {
		t.Errorf("uploads left after Abort: %v", ups)
	}
	if err := u.Abort(); err != nil {
		t.Errorf("second Abort: %v", err)
	}
	if _, err := u.Write([]byte("x")); !errors.Is(err, fs.ErrClosed) {
		t.Errorf("Write after Abort: %v", err)
	}

	// A missing bucket fails at the first request, naming it.
	u = s3x.NewUpload(ctx, client, "nobucket", "k", opts)
	write(u, []byte("small"))
	if err := u.Seal(); err != nil {
		t.Fatal(err)
	}
	if err := u.Commit(); err == nil || !strings.Contains(err.Error(), `no such bucket "nobucket"`) {
		t.Errorf("Commit to a missing bucket: %v", err)
	}
	u.Abort()
	u = s3x.NewUpload(ctx, client, "nobucket", "k", opts)
	_, err := u.Write(data(6<<20, 1))
	if err != nil {
		err = u.Seal()
	}
	if err == nil || !strings.Contains(err.Error(), "s3://nobucket/k") {
		t.Errorf("multipart upload to a missing bucket: %v", err)
	}
	u.Abort()
}

// TestUploadBadCredentials checks the error of an upload with a wrong secret.
func TestUploadBadCredentials(t *testing.T) {
	srv := s3test.Start(t)
	srv.CreateBucket(t, "upl")
	cfg := srv.Config(s3test.AccessKey, "wrong")
	cfg.Credentials = credentials.NewStaticCredentialsProvider(s3test.AccessKey, "wrong", "")
	u := s3x.NewUpload(ctx, srv.ClientWith(t, cfg), "upl", "k", s3x.UploadOptions{})
	u.Write([]byte("x"))
	u.Seal()
	err := u.Commit()
	if err == nil || !strings.Contains(err.Error(), "SignatureDoesNotMatch") || !strings.Contains(err.Error(), "s3://upl/k") {
		t.Errorf("Commit with a wrong secret: %v", err)
	}
}
