// Package s3test runs a real S3 server for tests: versitygw (the Versity S3 Gateway, Apache-2.0)
// over a temporary folder, which checks request signatures like S3 does.
//
//	srv := s3test.Start(t)
//	client := srv.Client(t)
//	srv.CreateBucket(t, "items")
//	srv.PutObject(t, "items", "a.json", []byte(`[1,2]`))
//
// # The binary
//
// Start looks for versitygw on PATH, then in $GOBIN or $(go env GOPATH)/bin. When it is
// nowhere, it runs `go install github.com/versity/versitygw/cmd/versitygw@v1.8.0` once per
// machine (it says so in the test log: the first build takes a few minutes), under a file lock
// in the temporary folder so that test packages run in parallel do not build it twice.
//
// # The server
//
// Each Start runs its own server: `versitygw --port 127.0.0.1:PORT posix DIR`, with the root
// credentials in ROOT_ACCESS_KEY and ROOT_SECRET_KEY, on a free loopback port and a t.TempDir()
// root, and waits until its health endpoint answers. It is stopped (SIGTERM, then SIGKILL after
// 5 s) at the test's cleanup. Its log is in the test log when the test fails.
//
// StartDir runs one on a given folder, and Cached on a folder kept under the user cache folder
// between runs, filled once: benchmarks use it for datasets that take minutes to upload.
// Launch runs one outside tests: the command s3local (cmd/s3local) serves a folder for demos.
package s3test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/wasmap/wasmap/runner/internal/s3x"
)

// Module is the versitygw version the tests run.
const Module = "github.com/versity/versitygw/cmd/versitygw@v1.8.0"

// Credentials of the server's root user, and its region.
const (
	AccessKey = "wasmaptestaccess"
	SecretKey = "wasmaptestsecret0123456789"
	Region    = "us-east-1"
)

// Server is a running versitygw.
type Server struct {
	// Endpoint is the server's URL, "http://127.0.0.1:PORT".
	Endpoint string
	// Dir is the root folder: one subfolder per bucket, one file per object.
	Dir string

	cmd  *exec.Cmd
	log  *syncBuffer
	done chan struct{}
}

// Start starts a server for t and stops it when t ends. It fails t if versitygw cannot be
// found, installed or started.
func Start(t testing.TB) *Server {
	t.Helper()
	return StartDir(t, t.TempDir())
}

// StartDir is Start with the root folder dir, which outlives t: a benchmark keeps a populated
// server's folder between runs this way. Only one server may run on a folder at a time.
func StartDir(t testing.TB, dir string) *Server {
	t.Helper()
	bin := Binary(t)
	var lastErr error
	for range 3 { // a free port can be taken between the probe and the server's listen
		srv, err := start(bin, dir, "")
		if err == nil {
			t.Cleanup(func() {
				srv.stop()
				if t.Failed() {
					t.Logf("s3test: versitygw log:\n%s", srv.log.String())
				}
			})
			return srv
		}
		lastErr = err
	}
	t.Fatalf("s3test: %v", lastErr)
	return nil
}

// Launch starts a server on dir outside a test, for commands: on addr ("127.0.0.1:7070"; ""
// for a free loopback port), installing versitygw first if need be (logf tells about it). The
// caller stops it with Stop.
func Launch(dir, addr string, logf func(format string, args ...any)) (*Server, error) {
	bin, err := Install(logf)
	if err != nil {
		return nil, err
	}
	if addr != "" {
		// Another server there would answer the health check in this one's place.
		l, err := net.Listen("tcp", addr)
		if err != nil {
			return nil, fmt.Errorf("cannot listen on %s (another server there?): %w", addr, err)
		}
		l.Close()
	}
	return start(bin, dir, addr)
}

func start(bin, dir, addr string) (*Server, error) {
	if addr == "" {
		port, err := freePort()
		if err != nil {
			return nil, err
		}
		addr = fmt.Sprintf("127.0.0.1:%d", port)
	}
	cmd := exec.Command(bin, "--port", addr, "--health", "/healthz", "--keep-alive", "--quiet", "posix", dir)
	cmd.Env = append(os.Environ(), "ROOT_ACCESS_KEY="+AccessKey, "ROOT_SECRET_KEY="+SecretKey)
	log := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	srv := &Server{Endpoint: "http://" + addr, Dir: dir, cmd: cmd, log: log, done: make(chan struct{})}
	go func() {
		cmd.Wait()
		close(srv.done)
	}()
	deadline := time.Now().Add(30 * time.Second)
	hc := &http.Client{Timeout: time.Second}
	for {
		resp, err := hc.Get(srv.Endpoint + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return srv, nil
			}
		}
		select {
		case <-srv.done:
			return nil, fmt.Errorf("versitygw exited at start (%v):\n%s", cmd.ProcessState, log.String())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			srv.stop()
			return nil, fmt.Errorf("versitygw did not answer on %s within 30 s:\n%s", addr, log.String())
		}
	}
}

func (s *Server) stop() {
	select {
	case <-s.done:
		return
	default:
	}
	_ = s.cmd.Process.Signal(os.Interrupt)
	select {
	case <-s.done:
	case <-time.After(5 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
	}
}

// Stop stops the server now (to test a server that went away). Cleanup does it otherwise.
func (s *Server) Stop() { s.stop() }

// Done is closed when the server's process has exited.
func (s *Server) Done() <-chan struct{} { return s.done }

// Log returns what the server has printed.
func (s *Server) Log() string { return s.log.String() }

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Config returns the s3x configuration of a client of the server with the given credentials
// (path-style addressing, 3 attempts).
func (s *Server) Config(accessKey, secretKey string) s3x.Config {
	return s3x.Config{Region: Region, EndpointURL: s.Endpoint, PathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider(accessKey, secretKey, "")}
}

// Client returns a client of the server with the root credentials.
func (s *Server) Client(t testing.TB) *s3.Client {
	t.Helper()
	return s.ClientWith(t, s.Config(AccessKey, SecretKey))
}

// ClientWith returns a client built by s3x.NewClient from cfg.
func (s *Server) ClientWith(t testing.TB, cfg s3x.Config) *s3.Client {
	t.Helper()
	c, err := s3x.NewClient(context.Background(), cfg)
	if err != nil {
		t.Fatalf("s3test: client: %v", err)
	}
	return c
}

// Env returns the environment variables that point the standard AWS configuration at the
// server: AWS_ENDPOINT_URL_S3, the root credentials and the region. AWS_CONFIG_FILE and
// AWS_SHARED_CREDENTIALS_FILE are set to files that do not exist, so that the machine's own
// profiles play no part.
func (s *Server) Env() map[string]string {
	return map[string]string{
		"AWS_ENDPOINT_URL_S3":         s.Endpoint,
		"AWS_ACCESS_KEY_ID":           AccessKey,
		"AWS_SECRET_ACCESS_KEY":       SecretKey,
		"AWS_REGION":                  Region,
		"AWS_CONFIG_FILE":             filepath.Join(s.Dir, ".no-aws-config"),
		"AWS_SHARED_CREDENTIALS_FILE": filepath.Join(s.Dir, ".no-aws-credentials"),
	}
}

// SetEnv sets Env's variables for the rest of the test (t.Setenv: not with t.Parallel), and
// clears AWS_PROFILE, AWS_SESSION_TOKEN and AWS_ENDPOINT_URL.
func (s *Server) SetEnv(t *testing.T) {
	for _, k := range []string{"AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "AWS_DEFAULT_REGION"} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	for k, v := range s.Env() {
		t.Setenv(k, v)
	}
}

// CreateBucket creates a bucket.
func (s *Server) CreateBucket(t testing.TB, bucket string) {
	t.Helper()
	if _, err := s.Client(t).CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: &bucket}); err != nil {
		t.Fatalf("s3test: create bucket %s: %v", bucket, err)
	}
}

// PutObject stores body at bucket/key.
func (s *Server) PutObject(t testing.TB, bucket, key string, body []byte) {
	t.Helper()
	if err := PutObject(context.Background(), s.Client(t), bucket, key, body); err != nil {
		t.Fatalf("s3test: %v", err)
	}
}

// PutObject stores body at bucket/key with client.
func PutObject(ctx context.Context, client *s3.Client, bucket, key string, body []byte) error {
	_, err := client.PutObject(ctx, &s3.PutObjectInput{Bucket: &bucket, Key: &key, Body: bytes.NewReader(body),
		ContentLength: aws.Int64(int64(len(body)))})
	return s3x.Describe(err, "PutObject", bucket, key)
}

// GetObject returns the content of bucket/key.
func (s *Server) GetObject(t testing.TB, bucket, key string) []byte {
	t.Helper()
	out, err := s.Client(t).GetObject(context.Background(), &s3.GetObjectInput{Bucket: &bucket, Key: &key})
	if err != nil {
		t.Fatalf("s3test: %v", s3x.Describe(err, "GetObject", bucket, key))
	}
	defer out.Body.Close()
	var b bytes.Buffer
	if _, err := b.ReadFrom(out.Body); err != nil {
		t.Fatalf("s3test: read s3://%s/%s: %v", bucket, key, err)
	}
	return b.Bytes()
}

// Keys lists the keys of a bucket under prefix.
func (s *Server) Keys(t testing.TB, bucket, prefix string) []string {
	t.Helper()
	var keys []string
	p := s3.NewListObjectsV2Paginator(s.Client(t), &s3.ListObjectsV2Input{Bucket: &bucket, Prefix: &prefix})
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatalf("s3test: %v", s3x.Describe(err, "ListObjectsV2", bucket, prefix))
		}
		for _, o := range page.Contents {
			keys = append(keys, aws.ToString(o.Key))
		}
	}
	return keys
}

// Uploads lists the multipart uploads in progress in a bucket, as "key" strings.
func (s *Server) Uploads(t testing.TB, bucket string) []string {
	t.Helper()
	out, err := s.Client(t).ListMultipartUploads(context.Background(), &s3.ListMultipartUploadsInput{Bucket: &bucket})
	if err != nil {
		t.Fatalf("s3test: %v", s3x.Describe(err, "ListMultipartUploads", bucket, ""))
	}
	var keys []string
	for _, u := range out.Uploads {
		keys = append(keys, aws.ToString(u.Key))
	}
	return keys
}

var (
	binOnce sync.Once
	binPath string
	binErr  error
)

// Binary returns the path of versitygw, installing it if need be (see the package
// documentation). It fails t if it cannot.
func Binary(t testing.TB) string {
	t.Helper()
	p, err := Install(t.Logf)
	if err != nil {
		t.Fatalf("s3test: %v", err)
	}
	return p
}

// Install is Binary outside a test: it returns the path of versitygw, installing it if need
// be, and tells logf when it does.
func Install(logf func(format string, args ...any)) (string, error) {
	binOnce.Do(func() { binPath, binErr = findOrInstall(logf) })
	return binPath, binErr
}

func findOrInstall(logf func(format string, args ...any)) (string, error) {
	if p := find(); p != "" {
		return p, nil
	}
	unlock, err := lockFile(filepath.Join(os.TempDir(), "wasmap-s3test-versitygw.lock"))
	if err != nil {
		return "", fmt.Errorf("lock for installing versitygw: %w", err)
	}
	defer unlock()
	if p := find(); p != "" { // installed by another package while this one waited
		return p, nil
	}
	logf("s3test: versitygw is not installed: running go install %s (this takes a few minutes the first time)", Module)
	begin := time.Now()
	cmd := exec.Command("go", "install", Module)
	cmd.Dir = os.TempDir() // outside any module
	cmd.Env = append(os.Environ(), "GOFLAGS=")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go install %s: %v\n%s", Module, err, out)
	}
	logf("s3test: installed versitygw in %v", time.Since(begin).Round(time.Second))
	if p := find(); p != "" {
		return p, nil
	}
	return "", errors.New("go install succeeded but versitygw is neither on PATH nor in GOBIN or GOPATH/bin")
}

// find returns the path of versitygw on PATH, in GOBIN or in GOPATH/bin; "" if none.
func find() string {
	if p, err := exec.LookPath("versitygw"); err == nil {
		return p
	}
	out, err := exec.Command("go", "env", "GOBIN", "GOPATH").Output()
	if err != nil {
		return ""
	}
	lines := strings.Split(string(out), "\n") // GOBIN's line may be empty
	var dirs []string
	if len(lines) > 0 && strings.TrimSpace(lines[0]) != "" {
		dirs = append(dirs, strings.TrimSpace(lines[0]))
	}
	if len(lines) > 1 {
		for _, gp := range filepath.SplitList(strings.TrimSpace(lines[1])) {
			dirs = append(dirs, filepath.Join(gp, "bin"))
		}
	}
	for _, d := range dirs {
		p := filepath.Join(d, "versitygw")
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
			return p
		}
	}
	return ""
}

// syncBuffer is a bytes.Buffer safe for the server's two output streams.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
