package itemreader_test

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/wasmap/wasmap/runner/internal/itemreader"
	"github.com/wasmap/wasmap/runner/internal/s3test"
)

var s3ListKeys = flag.Int("s3list.keys", 100_000, "objects in BenchmarkS3List's bucket")

// s3ListKey is object i of BenchmarkS3List's bucket: 1,000 keys per "folder", as a dataset
// partitioned by day or by batch is.
func s3ListKey(i int) string { return fmt.Sprintf("keys/%03d/item-%06d.json", i/1000, i) }

// s3ListTurn counts BenchmarkS3List's iterations across -count runs: who goes first alternates.
var s3ListTurn int

// BenchmarkS3List lists a prefix of 100,000 keys (-s3list.keys) in a local versitygw, through
// the runner's listing reader (itemreader.OpenS3, every item built as its JSON) and through a
// plain SDK ListObjectsV2 paginator loop, and reports items/s of each and their ratio
// (reader/paginator). Each iteration lists the prefix both ways, in turns (who goes first
// alternates, across -count runs too), so that a noisy machine slows both alike: use
// -benchtime 1x and an even -count, 6.
//
// The bucket is uploaded once (16 PutObjects at a time, logged with its duration) and kept
// under the user cache folder for later runs (s3test.Cached).
func BenchmarkS3List(b *testing.B) {
	n := *s3ListKeys
	srv := s3test.Cached(b, fmt.Sprintf("list-%d", n), func(srv *s3test.Server) {
		populateList(b, srv, n)
	})
	client := srv.Client(b)
	ctx := context.Background()
	reader := func() int {
		r, err := itemreader.OpenS3(ctx, client, "list", "keys/", itemreader.Config{})
		if err != nil {
			b.Fatal(err)
		}
		defer r.Close()
		items := 0
		for {
			it, err := r.Next()
			if err == io.EOF {
				return items
			}
			if err != nil || len(it.Value) == 0 {
				b.Fatal(err)
			}
			items++
		}
	}
	paginator := func() int {
		items := 0
		p := s3.NewListObjectsV2Paginator(client, &s3.ListObjectsV2Input{Bucket: aws.String("list"), Prefix: aws.String("keys/")})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				b.Fatal(err)
			}
			for _, o := range page.Contents {
				if aws.ToString(o.Key) == "" {
					b.Fatal("an object without a key")
				}
				items++
			}
		}
		return items
	}
	var readerTime, paginatorTime time.Duration
	timed := func(list func() int, d *time.Duration) {
		begin := time.Now()
		if items := list(); items != n {
			b.Fatalf("listed %d items, want %d", items, n)
		}
		*d += time.Since(begin)
	}
	i := 0
	for b.Loop() {
		if (s3ListTurn+i)%2 == 0 {
			timed(reader, &readerTime)
			timed(paginator, &paginatorTime)
		} else {
			timed(paginator, &paginatorTime)
			timed(reader, &readerTime)
		}
		i++
	}
	s3ListTurn += i
	r, p := float64(n*i)/readerTime.Seconds(), float64(n*i)/paginatorTime.Seconds()
	b.ReportMetric(r, "reader-items/s")
	b.ReportMetric(p, "paginator-items/s")
	b.ReportMetric(r/p, "ratio")
}

// cannedPages answers ListObjectsV2 with pages made in advance, without a server.
type cannedPages struct {
	*s3.Client // the other methods, never called
	pages      [][]types.Object
}

func (c *cannedPages) ListObjectsV2(ctx context.Context, in *s3.ListObjectsV2Input, opts ...func(*s3.Options)) (*s3.ListObjectsV2Output, error) {
	i := 0
	if in.ContinuationToken != nil {
		i, _ = strconv.Atoi(*in.ContinuationToken)
	}
	out := &s3.ListObjectsV2Output{Contents: c.pages[i], IsTruncated: aws.Bool(i+1 < len(c.pages))}
	if i+1 < len(c.pages) {
		out.NextContinuationToken = aws.String(strconv.Itoa(i + 1))
	}
	return out, nil
}

// BenchmarkS3ListReaderCPU is the listing reader's own cost: BenchmarkS3List's 100,000 keys
// from pages made in advance, so that only building the items is measured.
func BenchmarkS3ListReaderCPU(b *testing.B) {
	const n = 100_000
	api := &cannedPages{}
	now := time.Now()
	for i := 0; i < n; i++ {
		if i%1000 == 0 {
			api.pages = append(api.pages, nil)
		}
		api.pages[i/1000] = append(api.pages[i/1000], types.Object{Key: aws.String(s3ListKey(i)),
			ETag: aws.String(`"d41d8cd98f00b204e9800998ecf8427e"`), Size: aws.Int64(0), LastModified: &now})
	}
	for b.Loop() {
		r, err := itemreader.OpenS3(context.Background(), api, "list", "keys/", itemreader.Config{})
		if err != nil {
			b.Fatal(err)
		}
		items := 0
		for {
			if _, err := r.Next(); err == io.EOF {
				break
			} else if err != nil {
				b.Fatal(err)
			}
			items++
		}
		if items != n {
			b.Fatalf("%d items", items)
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "items/s")
}

// populateList puts n empty objects into the bucket "list", 16 at a time.
func populateList(b *testing.B, srv *s3test.Server, n int) {
	srv.CreateBucket(b, "list")
	client := srv.Client(b)
	begin := time.Now()
	var next atomic.Int64
	var wg sync.WaitGroup
	var once sync.Once
	var firstErr error
	for range 16 {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < n; i = int(next.Add(1) - 1) {
				if err := s3test.PutObject(context.Background(), client, "list", s3ListKey(i), nil); err != nil {
					once.Do(func() { firstErr = err })
					return
				}
				if i > 0 && i%20000 == 0 {
					b.Logf("populating: %d objects in %v", i, time.Since(begin).Round(time.Second))
				}
			}
		})
	}
	wg.Wait()
	if firstErr != nil {
		b.Fatal(firstErr)
	}
	d := time.Since(begin)
	b.Logf("populated %d objects in %v: %.0f PutObjects/s", n, d.Round(time.Millisecond), float64(n)/d.Seconds())
}
