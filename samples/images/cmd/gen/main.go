//go:build !wasip1

// Command gen makes the images sample's dataset: n deterministic JPEG photos of 20-35 KB,
// dog-0000.jpg, dog-0001.jpg, …, uploaded to an S3 prefix (the bucket is created if missing)
// or written to a folder.
//
//	go run ./cmd/gen -n 1000 -to s3://photos/images/ [-endpoint-url URL] [-path-style]
//	go run ./cmd/gen -n 1000 -to /tmp/images
//
// S3 is reached with the standard AWS configuration, as by wasmap run. The same n gives the same
// bytes on every machine.
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/wasmap/wasmap/samples/images/internal/picture"
	"github.com/wasmap/wasmap/samples/images/internal/s3conn"
)

func main() {
	n := flag.Int("n", 1000, "number of photos")
	to := flag.String("to", "", "where to put them: s3://BUCKET/PREFIX/ or a folder (required)")
	endpoint := flag.String("endpoint-url", "", "S3's endpoint URL (default: AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, else AWS's)")
	pathStyle := flag.Bool("path-style", false, "address S3 buckets in the URL path")
	workers := flag.Int("c", 2*runtime.NumCPU(), "photos made and uploaded at once")
	flag.Parse()
	if *to == "" || flag.NArg() > 0 {
		flag.Usage()
		os.Exit(2)
	}
	if err := run(context.Background(), *n, *to, *endpoint, *pathStyle, *workers); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, n int, to, endpoint string, pathStyle bool, workers int) error {
	begin := time.Now()
	var put func(name string, b []byte) error
	if strings.HasPrefix(to, "s3://") {
		bucket, prefix, err := s3conn.ParseURI(to)
		if err != nil {
			return err
		}
		if prefix != "" && !strings.HasSuffix(prefix, "/") {
			prefix += "/"
		}
		c, err := s3conn.Client(ctx, endpoint, pathStyle)
		if err != nil {
			return err
		}
		if err := s3conn.EnsureBucket(ctx, c, bucket); err != nil {
			return err
		}
		put = func(name string, b []byte) error {
			_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: &bucket, Key: aws.String(prefix + name),
				Body: bytes.NewReader(b), ContentLength: aws.Int64(int64(len(b))), ContentType: aws.String("image/jpeg")})
			if err != nil {
				return fmt.Errorf("put s3://%s/%s%s: %w", bucket, prefix, name, err)
			}
			return nil
		}
	} else {
		if err := os.MkdirAll(to, 0o755); err != nil {
			return err
		}
		put = func(name string, b []byte) error { return os.WriteFile(filepath.Join(to, name), b, 0o644) }
	}

	sizes := make([]int, n)
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make([]error, max(1, workers))
	for w := range errs {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < n; i = int(next.Add(1) - 1) {
				b := picture.Generate(i)
				sizes[i] = len(b)
				if err := put(Name(i), b); err != nil {
					errs[w] = err
					return
				}
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	if n == 0 {
		return nil
	}
	total := 0
	for _, s := range sizes {
		total += s
	}
	slices.Sort(sizes)
	fmt.Printf("gen: %d photos, %.1f MB (%.1f to %.1f KB, median %.1f KB) in %s, to %s\n", n, float64(total)/1e6,
		float64(sizes[0])/1e3, float64(sizes[n-1])/1e3, float64(sizes[n/2])/1e3, time.Since(begin).Round(10*time.Millisecond), to)
	return nil
}

// Name is photo i's name: dog-0000.jpg, dog-0001.jpg, …
func Name(i int) string { return fmt.Sprintf("dog-%04d.jpg", i) }
