package itemreader_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"

	"github.com/wasmap/wasmap/runner/internal/itemreader"
	"github.com/wasmap/wasmap/runner/internal/s3test"
	"github.com/wasmap/wasmap/runner/internal/s3x"
)

// listCounter counts ListObjectsV2 calls.
type listCounter struct {
	*s3.Client
	lists atomic.Int64
}

func (c *listCounter) ListObjectsV2(ctx context.Context, in *s3.ListObjectsV2Input, opts ...func(*s3.Options)) (*s3.ListObjectsV2Output, error) {
	c.lists.Add(1)
	return c.Client.ListObjectsV2(ctx, in, opts...)
}

// readS3 reads every item of an S3 source; err is the error that ended the read (nil for EOF).
func readS3(t *testing.T, api s3x.API, bucket, key string, cfg itemreader.Config) ([]itemreader.Item, error) {
	t.Helper()
	r, err := itemreader.OpenS3(context.Background(), api, bucket, key, cfg)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	var items []itemreader.Item
	for {
		it, err := r.Next()
		if err == io.EOF {
			return items, nil
		}
		if err != nil {
			return items, err
		}
		items = append(items, it)
	}
}

// TestS3Listing lists 2,500 objects: three pages of ListObjectsV2.
func TestS3Listing(t *testing.T) {
	ctx := context.Background()
	srv := s3test.Start(t)
	srv.CreateBucket(t, "many")
	client := srv.Client(t)
	const n = 2500
	keys := make(chan string)
	var wg sync.WaitGroup
	var failed atomic.Value
	for range 16 {
		wg.Go(func() {
			for k := range keys {
				if err := s3test.PutObject(ctx, client, "many", k, []byte(k)); err != nil {
					failed.Store(err)
				}
			}
		})
	}
	begin := time.Now()
	for i := range n {
		keys <- fmt.Sprintf("items/%05d.txt", i)
	}
	keys <- "other/x.txt"
	keys <- "items.txt"
	close(keys)
	wg.Wait()
	if err := failed.Load(); err != nil {
		t.Fatal(err)
	}
	t.Logf("put %d objects in %v", n+2, time.Since(begin).Round(time.Millisecond))

	api := &listCounter{Client: client}
	items, err := readS3(t, api, "many", "items/", itemreader.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != n {
		t.Fatalf("%d items, want %d", len(items), n)
	}
	if got := api.lists.Load(); got != 3 {
		t.Errorf("%d ListObjectsV2 calls, want 3 pages", got)
	}
	for i, it := range items {
		var e struct {
			Etag, Key, StorageClass string
			LastModified, Size      int64
		}
		if err := json.Unmarshal(it.Value, &e); err != nil || it.Err != nil || it.Index != int64(i) {
			t.Fatalf("item %d: %s, %v, %v", i, it.Value, err, it.Err)
		}
		key := fmt.Sprintf("items/%05d.txt", i)
		if e.Key != key || e.Size != int64(len(key)) || e.StorageClass != "STANDARD" || len(e.Etag) != 34 ||
			time.Since(time.Unix(e.LastModified, 0)) > time.Hour {
			t.Fatalf("item %d: %s", i, it.Value)
		}
		if i == 0 && !bytes.HasPrefix(it.Value, []byte(`{"Etag":"\"`)) {
			t.Errorf("item shape: %s", it.Value)
		}
	}

	// MaxItems stops early, in the middle of a page; the Prefix narrows the listing.
	for _, tc := range []struct {
		key  string
		cfg  itemreader.Config
		want int
	}{
		{"items/", itemreader.Config{MaxItems: 1200}, 1200},
		{"items/", itemreader.Config{Prefix: "01"}, 1000},
		{"", itemreader.Config{Prefix: "items"}, n + 1},
		{"", itemreader.Config{}, n + 2},
		{"none/", itemreader.Config{}, 0},
	} {
		items, err := readS3(t, client, "many", tc.key, tc.cfg)
		if err != nil || len(items) != tc.want {
			t.Errorf("%q %+v: %d items, %v; want %d", tc.key, tc.cfg, len(items), err, tc.want)
		}
		c, err := itemreader.CountS3(ctx, client, "many", tc.key, tc.cfg)
		if err != nil || c != int64(tc.want) {
			t.Errorf("%q %+v: CountS3 = %d, %v; want %d", tc.key, tc.cfg, c, err, tc.want)
		}
	}
}

// TestS3ListingMatchesFolder uploads a folder to a bucket and compares the two listings, byte
// for byte, once the files carry S3's modification times.
func TestS3ListingMatchesFolder(t *testing.T) {
	srv := s3test.Start(t)
	srv.CreateBucket(t, "tree")
	client := srv.Client(t)
	dir := t.TempDir()
	files := map[string]string{
		"a.json": `[1,2]`, "a-c/x.txt": "x", "a.b": "", "a/b/c.txt": "deep\n", "z \"quoted\".txt": "q",
		"big.bin": strings.Repeat("0123456789", 100_000), "é/ü.txt": "unicode",
	}
	for k, v := range files {
		os.MkdirAll(filepath.Join(dir, filepath.Dir(k)), 0o755)
		if err := os.WriteFile(filepath.Join(dir, k), []byte(v), 0o644); err != nil {
			t.Fatal(err)
		}
		srv.PutObject(t, "tree", k, []byte(v))
	}
	s3Items, err := readS3(t, client, "tree", "", itemreader.Config{})
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range s3Items {
		var e struct {
			Key          string
			LastModified int64
		}
		json.Unmarshal(it.Value, &e)
		mt := time.Unix(e.LastModified, 0)
		if err := os.Chtimes(filepath.Join(dir, e.Key), mt, mt); err != nil {
			t.Fatal(err)
		}
	}
	local, err := readAll(t, dir, itemreader.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if len(local) != len(files) || len(s3Items) != len(files) {
		t.Fatalf("%d local items, %d S3 items, want %d", len(local), len(s3Items), len(files))
	}
	for i := range local {
		if !bytes.Equal(local[i].Value, s3Items[i].Value) {
			t.Errorf("item %d:\nfolder %s\nS3     %s", i, local[i].Value, s3Items[i].Value)
		}
	}
}

func compress(t *testing.T, content, comp string) []byte {
	t.Helper()
	var buf bytes.Buffer
	switch comp {
	case "":
		return []byte(content)
	case "gzip":
		w := gzip.NewWriter(&buf)
		io.WriteString(w, content)
		w.Close()
	case "zstd":
		w, _ := zstd.NewWriter(&buf)
		io.WriteString(w, content)
		w.Close()
	}
	return buf.Bytes()
}

// TestS3Object reads objects of every type and compression and compares their items and
// counts with the same content read from a local file.
func TestS3Object(t *testing.T) {
	ctx := context.Background()
	srv := s3test.Start(t)
	srv.CreateBucket(t, "obj")
	client := srv.Client(t)
	dir := t.TempDir()
	var big strings.Builder
	big.WriteString("[")
	for i := range 200_000 { // about 6 MB: several blocks of read-ahead
		if i > 0 {
			big.WriteString(",\n")
		}
		fmt.Fprintf(&big, `{"i":%d,"s":"item %d"}`, i, i)
	}
	big.WriteString("]")
	for _, tc := range []struct {
		name, content string
		cfg           itemreader.Config
	}{
		{"a.json", `[{"a":1}, 2, "three", [4]]`, itemreader.Config{}},
		{"a.jsonl", "{\"a\":1}\n\n2\nnot json\n[4]", itemreader.Config{}},
		{"a.csv", "h1,h2\n1,2\n\"x,y\",z\n", itemreader.Config{}},
		{"data", "c1|c2\n1|2\n", itemreader.Config{InputType: "CSV", CSVDelimiter: "PIPE"}},
		{"big.json", big.String(), itemreader.Config{}},
		{"big.json", big.String(), itemreader.Config{MaxItems: 10}},
	} {
		for _, comp := range []string{"", "gzip", "zstd"} {
			key := tc.name
			if comp != "" {
				key += map[string]string{"gzip": ".gz", "zstd": ".zst"}[comp]
			}
			body := compress(t, tc.content, comp)
			srv.PutObject(t, "obj", key, body)
			path := filepath.Join(dir, key)
			os.WriteFile(path, body, 0o644)

			want, werr := readAll(t, path, tc.cfg)
			got, gerr := readS3(t, client, "obj", key, tc.cfg)
			if werr != nil || gerr != nil {
				t.Fatalf("%s: local %v, S3 %v", key, werr, gerr)
			}
			if len(got) != len(want) {
				t.Fatalf("%s: %d items, want %d", key, len(got), len(want))
			}
			for i := range want {
				if !bytes.Equal(got[i].Value, want[i].Value) || got[i].Line != want[i].Line || (got[i].Err == nil) != (want[i].Err == nil) {
					t.Fatalf("%s item %d: %s %v, want %s %v", key, i, got[i].Value, got[i].Err, want[i].Value, want[i].Err)
				}
			}
			wc, _ := itemreader.Count(ctx, path, tc.cfg)
			gc, err := itemreader.CountS3(ctx, client, "obj", key, tc.cfg)
			if err != nil || gc != wc {
				t.Errorf("%s: CountS3 = %d, %v; Count = %d", key, gc, err, wc)
			}
		}
	}

	// A syntax error is located as in a local file: the object is read again up to it.
	srv.PutObject(t, "obj", "bad.json", []byte("[1,\n2,\n  }]"))
	_, err := readS3(t, client, "obj", "bad.json", itemreader.Config{})
	if err == nil || err.Error() != "invalid JSON at byte offset 9 (line 3, column 3): invalid character '}' looking for beginning of value" {
		t.Errorf("syntax error: %v", err)
	}
	srv.PutObject(t, "obj", "object.json", []byte(`{"a":1}`))
	if _, err := readS3(t, client, "obj", "object.json", itemreader.Config{}); err == nil || err.Error() != itemreader.CauseNotAnArray {
		t.Errorf("not an array: %v", err)
	}
	if _, err := readS3(t, client, "obj", "a.json", itemreader.Config{Prefix: "x"}); err == nil {
		t.Error("a Prefix with an object is accepted")
	}
	if _, err := readS3(t, client, "obj", "dir/", itemreader.Config{InputType: "JSON"}); err == nil {
		t.Error("an InputType with a listing is accepted")
	}
}

// TestS3Errors checks that S3's failures are ReaderErrors naming the bucket and key.
func TestS3Errors(t *testing.T) {
	ctx := context.Background()
	srv := s3test.Start(t)
	srv.CreateBucket(t, "err")
	srv.PutObject(t, "err", "a.json", []byte(`[1]`))
	good := srv.Client(t)
	bad := srv.ClientWith(t, srv.Config(s3test.AccessKey, "wrong-secret"))
	for _, tc := range []struct {
		name        string
		api         s3x.API
		bucket, key string
		want        string
	}{
		{"missing key", good, "err", "missing.json", `s3://err/missing.json: no such key "missing.json" in bucket "err" (NoSuchKey)`},
		{"missing bucket, object", good, "nobucket", "a.json", `s3://nobucket/a.json: no such bucket "nobucket" (NoSuchBucket)`},
		{"missing bucket, listing", good, "nobucket", "in/", `s3://nobucket/in/: no such bucket "nobucket" (NoSuchBucket)`},
		{"wrong secret, object", bad, "err", "a.json", "s3://err/a.json: the request signature does not match (SignatureDoesNotMatch)"},
		{"wrong secret, listing", bad, "err", "", "s3://err/: the request signature does not match (SignatureDoesNotMatch)"},
	} {
		for _, count := range []bool{false, true} {
			var err error
			if count {
				_, err = itemreader.CountS3(ctx, tc.api, tc.bucket, tc.key, itemreader.Config{})
			} else {
				_, err = itemreader.OpenS3(ctx, tc.api, tc.bucket, tc.key, itemreader.Config{})
			}
			var re *itemreader.ReaderError
			if !errors.As(err, &re) || re.Name() != "States.ItemReaderFailed" || !strings.HasPrefix(err.Error(), tc.want) {
				t.Errorf("%s (count %v): %v\nwant a ReaderError starting with %q", tc.name, count, err, tc.want)
			}
			var se *s3x.Error
			if !errors.As(err, &se) {
				t.Errorf("%s: no *s3x.Error in %v", tc.name, err)
			}
		}
	}
}

// TestS3Manifest reads an S3 Inventory: a manifest.json and two gzipped CSV data files.
func TestS3Manifest(t *testing.T) {
	ctx := context.Background()
	srv := s3test.Start(t)
	srv.CreateBucket(t, "inventory")
	client := srv.Client(t)
	row := func(key string, size int) string {
		return fmt.Sprintf("\"source\",\"%s\",\"%d\",\"2024-01-02T03:04:05.000Z\",\"0cc175b9c0f1b6a831c399e269772661\"\n", key, size)
	}
	srv.PutObject(t, "inventory", "inv/data/1.csv.gz", compress(t, row("a.json", 10)+row("dir%2Fwith%20space%2Bplus.txt", 20), "gzip"))
	srv.PutObject(t, "inventory", "inv/data/2.csv.gz", compress(t, row("z.bin", 30), "gzip"))
	manifest := `{
  "sourceBucket": "source",
  "destinationBucket": "arn:aws:s3:::inventory",
  "version": "2016-11-30",
  "creationTimestamp": "1514944800000",
  "fileFormat": "CSV",
  "fileSchema": "Bucket, Key, Size, LastModifiedDate, ETag",
  "files": [
    {"key": "inv/data/1.csv.gz", "size": 100, "MD5checksum": "f11166069f1990abeb9c97ace9cdfabc"},
    {"key": "inv/data/2.csv.gz", "size": 100, "MD5checksum": "f11166069f1990abeb9c97ace9cdfabc"}
  ]
}`
	srv.PutObject(t, "inventory", "inv/manifest.json", []byte(manifest))

	items, err := readS3(t, client, "inventory", "inv/manifest.json", itemreader.Config{InputType: "MANIFEST"})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, it := range items {
		if it.Err != nil {
			t.Errorf("item %d: %v", it.Index, it.Err)
		}
		got = append(got, fmt.Sprintf("%d %s", it.Index, it.Value))
	}
	want := []string{
		`0 {"Bucket":"source","Key":"a.json","Size":"10","LastModifiedDate":"2024-01-02T03:04:05.000Z","ETag":"0cc175b9c0f1b6a831c399e269772661"}`,
		`1 {"Bucket":"source","Key":"dir/with space+plus.txt","Size":"20","LastModifiedDate":"2024-01-02T03:04:05.000Z","ETag":"0cc175b9c0f1b6a831c399e269772661"}`,
		`2 {"Bucket":"source","Key":"z.bin","Size":"30","LastModifiedDate":"2024-01-02T03:04:05.000Z","ETag":"0cc175b9c0f1b6a831c399e269772661"}`,
	}
	if !slices.Equal(got, want) {
		t.Errorf("items:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for _, max := range []int64{0, 2} {
		cfg := itemreader.Config{InputType: "manifest", MaxItems: max}
		items, _ := readS3(t, client, "inventory", "inv/manifest.json", cfg)
		n, err := itemreader.CountS3(ctx, client, "inventory", "inv/manifest.json", cfg)
		wantN := int64(3)
		if max > 0 {
			wantN = max
		}
		if err != nil || n != wantN || int64(len(items)) != wantN {
			t.Errorf("MaxItems %d: CountS3 %d, %v, %d items; want %d", max, n, err, len(items), wantN)
		}
	}

	srv.PutObject(t, "inventory", "orc/manifest.json", []byte(`{"fileFormat":"ORC","fileSchema":"struct<bucket:string>","files":[]}`))
	if _, err := readS3(t, client, "inventory", "orc/manifest.json", itemreader.Config{InputType: "MANIFEST"}); err == nil || !strings.Contains(err.Error(), "only CSV") {
		t.Errorf("ORC manifest: %v", err)
	}
	srv.PutObject(t, "inventory", "bad/manifest.json", []byte(`{"fileFormat":"CSV","fileSchema":"Key","files":[{"key":"missing.csv.gz"}]}`))
	if _, err := readS3(t, client, "inventory", "bad/manifest.json", itemreader.Config{InputType: "MANIFEST"}); err == nil || !strings.Contains(err.Error(), `s3://inventory/missing.csv.gz: no such key`) {
		t.Errorf("manifest with a missing data file: %v", err)
	}
}
