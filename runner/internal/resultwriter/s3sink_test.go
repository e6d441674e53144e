package resultwriter_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/wasmap/wasmap/runner/internal/resultwriter"
	"github.com/wasmap/wasmap/runner/internal/s3test"
	"github.com/wasmap/wasmap/runner/internal/s3x"
)

// commits records the keys made visible, in order: PutObject and CompleteMultipartUpload.
type commits struct {
	*s3.Client
	mu    sync.Mutex
	keys  []string
	parts int
}

func (c *commits) add(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.keys = append(c.keys, key)
}

func (c *commits) PutObject(ctx context.Context, in *s3.PutObjectInput, opts ...func(*s3.Options)) (*s3.PutObjectOutput, error) {
	out, err := c.Client.PutObject(ctx, in, opts...)
	if err == nil {
		c.add(aws.ToString(in.Key))
	}
	return out, err
}

func (c *commits) UploadPart(ctx context.Context, in *s3.UploadPartInput, opts ...func(*s3.Options)) (*s3.UploadPartOutput, error) {
	c.mu.Lock()
	c.parts++
	c.mu.Unlock()
	return c.Client.UploadPart(ctx, in, opts...)
}

func (c *commits) CompleteMultipartUpload(ctx context.Context, in *s3.CompleteMultipartUploadInput, opts ...func(*s3.Options)) (*s3.CompleteMultipartUploadOutput, error) {
	out, err := c.Client.CompleteMultipartUpload(ctx, in, opts...)
	if err == nil {
		c.add(aws.ToString(in.Key))
	}
	return out, err
}

// results adds the same records to w: 2,600 SUCCEEDED ones of about 4 KiB (10 MiB in all) and
// 3 FAILED ones.
func results(t *testing.T, w *resultwriter.Writer) {
	t.Helper()
	pad := strings.Repeat("x", 4000)
	for i := range 2600 {
		r := resultwriter.Record{Status: resultwriter.StatusSucceeded, Name: fmt.Sprintf("exec-%d", i),
			Input: fmt.Sprintf(`{"i":%d}`, i), Output: fmt.Sprintf(`{"i":%d,"pad":%q}`, i, pad)}
		if i%1000 == 999 {
			r = resultwriter.Record{Status: resultwriter.StatusFailed, Name: fmt.Sprintf("exec-%d", i),
				Input: fmt.Sprintf(`{"i":%d}`, i), Error: "Boom", Cause: "it broke"}
		}
		if err := w.Add(r); err != nil {
			t.Fatal(err)
		}
	}
}

// TestS3Sink writes a run's results to S3 and to a folder: the same objects, the large file
// in a multipart upload, the manifest last.
func TestS3Sink(t *testing.T) {
	ctx := context.Background()
	srv := s3test.Start(t)
	srv.CreateBucket(t, "results")
	api := &commits{Client: srv.Client(t)}
	cfg := resultwriter.Config{Prefix: "mapJobs", MapRunID: runID, MapRunArn: runArn, MaxFileBytes: 8 << 20}

	s3cfg := cfg
	s3cfg.Sink = resultwriter.NewS3Sink(ctx, api, "results", resultwriter.S3SinkOptions{PartSize: s3x.MinPartSize})
	w, err := resultwriter.New(s3cfg)
	if err != nil {
		t.Fatal(err)
	}
	results(t, w)
	m, err := w.Close()
	if err != nil {
		t.Fatal(err)
	}
	if d := w.Details(); d.Bucket != "results" || d.Key != "mapJobs/"+runID+"/manifest.json" {
		t.Errorf("Details %+v", d)
	}

	dircfg := cfg
	dircfg.Dir = t.TempDir()
	dw, err := resultwriter.New(dircfg)
	if err != nil {
		t.Fatal(err)
	}
	results(t, dw)
	dm, err := dw.Close()
	if err != nil {
		t.Fatal(err)
	}
	local := tree(t, dircfg.Dir)

	if m.DestinationBucket != "results" {
		t.Errorf("DestinationBucket %q", m.DestinationBucket)
	}
	dm.DestinationBucket = "results"
	mj, _ := json.Marshal(m)
	dmj, _ := json.Marshal(dm)
	if string(mj) != string(dmj) {
		t.Errorf("manifests differ:\nS3     %s\nfolder %s", mj, dmj)
	}
	keys := srv.Keys(t, "results", "")
	if !slices.Equal(keys, names(local)) {
		t.Fatalf("S3 keys %v, folder files %v", keys, names(local))
	}
	for _, k := range keys {
		got := string(srv.GetObject(t, "results", k))
		want := local[k]
		if strings.HasSuffix(k, "manifest.json") {
			want = strings.Replace(want, `"DestinationBucket":`+mustJSON(dircfg.Dir), `"DestinationBucket":"results"`, 1)
		}
		if got != want {
			t.Errorf("%s: %d bytes in S3, %d in the folder, different", k, len(got), len(want))
		}
	}
	if len(m.ResultFiles.Succeeded) != 2 || m.ResultFiles.Succeeded[0].Size <= s3x.MinPartSize {
		t.Errorf("want 2 SUCCEEDED files, the first larger than a part: %+v", m.ResultFiles.Succeeded)
	}
	if api.parts < 2 {
		t.Errorf("%d parts uploaded: the large file was not a multipart upload", api.parts)
	}
	if last := api.keys[len(api.keys)-1]; last != "mapJobs/"+runID+"/manifest.json" || len(api.keys) != len(keys) {
		t.Errorf("commit order %v: want each object once, the manifest last", api.keys)
	}
	if ups := srv.Uploads(t, "results"); len(ups) != 0 {
		t.Errorf("uploads left: %v", ups)
	}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// TestS3SinkAbort checks that an aborted Writer leaves nothing: neither objects nor parts.
func TestS3SinkAbort(t *testing.T) {
	ctx := context.Background()
	srv := s3test.Start(t)
	srv.CreateBucket(t, "results")
	w, err := resultwriter.New(resultwriter.Config{MapRunID: runID, MapRunArn: runArn, MaxFileBytes: 6 << 20,
		Sink: resultwriter.NewS3Sink(ctx, srv.Client(t), "results", resultwriter.S3SinkOptions{PartSize: s3x.MinPartSize})})
	if err != nil {
		t.Fatal(err)
	}
	results(t, w) // the first SUCCEEDED file is sealed and its successor is under way
	if err := w.Abort(); err != nil {
		t.Fatal(err)
	}
	if keys := srv.Keys(t, "results", ""); len(keys) != 0 {
		t.Errorf("objects left: %v", keys)
	}
	if ups := srv.Uploads(t, "results"); len(ups) != 0 {
		t.Errorf("uploads left: %v", ups)
	}
}

// TestS3SinkErrors checks that S3's failures are WriterErrors naming the bucket and key.
func TestS3SinkErrors(t *testing.T) {
	ctx := context.Background()
	srv := s3test.Start(t)
	srv.CreateBucket(t, "results")
	for _, tc := range []struct {
		name   string
		api    s3x.API
		bucket string
		want   string
	}{
		{"missing bucket", srv.Client(t), "nobucket", `s3://nobucket/` + runID + `/SUCCEEDED_0.json: no such bucket "nobucket" (NoSuchBucket)`},
		{"wrong secret", srv.ClientWith(t, srv.Config(s3test.AccessKey, "wrong")), "results", "s3://results/" + runID + "/SUCCEEDED_0.json: the request signature does not match (SignatureDoesNotMatch)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w, err := resultwriter.New(resultwriter.Config{MapRunID: runID, Sink: resultwriter.NewS3Sink(ctx, tc.api, tc.bucket, resultwriter.S3SinkOptions{})})
			if err != nil {
				t.Fatal(err)
			}
			if err := w.Add(resultwriter.Record{Status: resultwriter.StatusSucceeded, Output: "1"}); err != nil {
				t.Fatal(err)
			}
			_, err = w.Close()
			if cause := writerCause(t, err); !strings.Contains(cause, tc.want) {
				t.Errorf("Close: %q, want it to contain %q", cause, tc.want)
			}
			err = s3x.CheckBucket(ctx, tc.api, tc.bucket)
			if err == nil || !strings.Contains(err.Error(), strings.SplitN(tc.want, ": ", 2)[1]) {
				t.Errorf("CheckBucket: %v", err)
			}
		})
	}
	if err := s3x.CheckBucket(ctx, srv.Client(t), "results"); err != nil {
		t.Errorf("CheckBucket of an existing bucket: %v", err)
	}
}
