//go:build !wasip1

// Command native does the images function's work in a plain Go loop, natively, as the baseline
// of its benchmark: it lists an S3 prefix and, with c workers, gets each image, decodes it,
// computes its stats and thumbnail with the same code (package picture), puts the thumbnail
// under an output prefix, and finally puts the records, a JSON array in listing order, at a
// results key.
//
//	go run ./cmd/native -items s3://photos/images/ -output-prefix s3://photos/native/ -results s3://photos/native/results.json
//
// stdout gets {"items":1000,"seconds":…,"itemsPerSecond":…}, timed from the first listing
// request to the results' upload.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/wasmap/wasmap/samples/images/internal/picture"
	"github.com/wasmap/wasmap/samples/images/internal/s3conn"
)

// thumbnailWidth is the images function's ThumbnailWidth.
const thumbnailWidth = 64

func main() {
	items := flag.String("items", "", "the images: s3://BUCKET/PREFIX/ (required)")
	output := flag.String("output-prefix", "", "where the thumbnails go: s3://BUCKET/PREFIX/ (required)")
	results := flag.String("results", "", "where the records go: s3://BUCKET/KEY (default: nowhere)")
	endpoint := flag.String("endpoint-url", "", "S3's endpoint URL (default: AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, else AWS's)")
	pathStyle := flag.Bool("path-style", false, "address S3 buckets in the URL path")
	workers := flag.Int("c", runtime.NumCPU(), "images processed at once")
	flag.Parse()
	if *items == "" || *output == "" || flag.NArg() > 0 || *workers < 1 {
		flag.Usage()
		os.Exit(2)
	}
	ctx := context.Background()
	c, err := s3conn.Client(ctx, *endpoint, *pathStyle)
	if err == nil {
		err = run(ctx, c, *items, *output, *results, *workers)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "native:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, c *s3.Client, items, output, results string, workers int) error {
	inBucket, inPrefix, err := s3conn.ParseURI(items)
	if err != nil {
		return err
	}
	outBucket, outPrefix, err := s3conn.ParseURI(output)
	if err != nil {
		return err
	}
	if outPrefix != "" && !strings.HasSuffix(outPrefix, "/") {
		outPrefix += "/"
	}
	begin := time.Now()
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)

	type job struct {
		i    int
		key  string
		size int64
	}
	jobs := make(chan job, 1000)
	var (
		mu   sync.Mutex
		recs []picture.Result
	)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			var thumb bytes.Buffer
			for j := range jobs {
				thumb.Reset()
				rec, err := process(ctx, c, inBucket, j.key, j.size, outBucket, outPrefix, &thumb)
				if err != nil {
					cancel(err)
					continue
				}
				mu.Lock()
				for len(recs) <= j.i {
					recs = append(recs, picture.Result{})
				}
				recs[j.i] = rec
				mu.Unlock()
			}
		})
	}
	n := 0
	p := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: &inBucket, Prefix: &inPrefix})
	for p.HasMorePages() && ctx.Err() == nil {
		page, err := p.NextPage(ctx)
		if err != nil {
			cancel(fmt.Errorf("list s3://%s/%s: %w", inBucket, inPrefix, err))
			break
		}
		for _, o := range page.Contents {
			jobs <- job{n, aws.ToString(o.Key), aws.ToInt64(o.Size)}
			n++
		}
	}
	close(jobs)
	wg.Wait()
	if err := context.Cause(ctx); err != nil {
		return err
	}
	if results != "" {
		bucket, key, err := s3conn.ParseURI(results)
		if err != nil {
			return err
		}
		b, err := json.Marshal(recs)
		if err != nil {
			return err
		}
		if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: &bucket, Key: &key, Body: bytes.NewReader(b),
			ContentLength: aws.Int64(int64(len(b)))}); err != nil {
			return fmt.Errorf("put %s: %w", results, err)
		}
	}
	secs := time.Since(begin).Seconds()
	return json.NewEncoder(os.Stdout).Encode(map[string]any{"items": n, "seconds": secs, "itemsPerSecond": float64(n) / secs})
}

// process is the images function's work on one image, natively.
func process(ctx context.Context, c *s3.Client, bucket, key string, size int64, outBucket, outPrefix string, thumb *bytes.Buffer) (picture.Result, error) {
	out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: &bucket, Key: &key})
	if err != nil {
		return picture.Result{}, fmt.Errorf("get s3://%s/%s: %w", bucket, key, err)
	}
	var buf bytes.Buffer
	buf.Grow(int(size) + bytes.MinRead)
	_, err = buf.ReadFrom(out.Body)
	out.Body.Close()
	jpg := buf.Bytes()
	if err != nil {
		return picture.Result{}, fmt.Errorf("get s3://%s/%s: %w", bucket, key, err)
	}
	if int64(len(jpg)) != size {
		return picture.Result{}, fmt.Errorf("s3://%s/%s: listed with %d bytes, has %d", bucket, key, size, len(jpg))
	}
	st, err := picture.Thumbnail(jpg, thumbnailWidth, thumb)
	if err != nil {
		return picture.Result{}, fmt.Errorf("%s: %w", key, err)
	}
	outKey := outPrefix + path.Base(key)
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: &outBucket, Key: &outKey, Body: bytes.NewReader(thumb.Bytes()),
		ContentLength: aws.Int64(int64(thumb.Len()))}); err != nil {
		return picture.Result{}, fmt.Errorf("put s3://%s/%s: %w", outBucket, outKey, err)
	}
	return picture.NewResult(key, size, st, "s3://"+outBucket+"/"+outKey, thumb.Len()), nil
}
