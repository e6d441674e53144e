package itemreader

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"strings"

	"github.com/wasmap/wasmap/runner/internal/s3x"
)

// TypeManifest is the InputType (ASL "MANIFEST", any case) of an S3 Inventory manifest, for
// S3 sources only ([OpenS3]): the object is the manifest.json of an inventory report, and the
// items are the rows of the CSV data files it lists, file after file in the manifest's order,
// row after row. Each item is a JSON object that maps the columns the manifest's fileSchema
// names, in its order, to the row's fields, all strings, as a CSV row with GIVEN headers is
// read (ASL reference §3.3):
//
//	fileSchema "Bucket, Key, Size, LastModifiedDate, ETag" and the row
//	"source","dir/my%20file.txt","20","2024-01-02T03:04:05.000Z","0cc175b9c0f1b6a831c399e269772661"
//	give {"Bucket":"source","Key":"dir/my file.txt","Size":"20","LastModifiedDate":"2024-01-02T03:04:05.000Z","ETag":"0cc175b9c0f1b6a831c399e269772661"}
//
// # Notes
//
// AWS documents the inventory format (Amazon S3 User Guide: "Inventory manifest", "Inventory
// list") but not the items Step Functions makes of it ◌. The choices are:
//   - The Key column is URL-decoded (url.QueryUnescape), since S3 Inventory URL-encodes the
//     keys of CSV inventories and a child needs the real key; a Key that does not decode is an
//     item error. The other columns are kept as written, Size included (a string, as every CSV
//     field is).
//   - The data files are read from the bucket of the manifest's destinationBucket (an ARN,
//     "arn:aws:s3:::bucket"; the manifest's own bucket when it is empty), gzip-compressed or
//     not (detected). Their checksums (MD5checksum) are not checked.
//   - Only fileFormat "CSV" is read: ORC and Parquet inventories are a ReaderError. Neither
//     ReaderConfig's CSV settings nor a Prefix apply (a ReaderError).
//   - MaxItems counts rows across the files; a data file that is missing or unreadable is
//     fatal (a ReaderError naming it), as a broken source is.
const TypeManifest = "manifest"

// maxManifestBytes is the largest manifest.json read.
const maxManifestBytes = 16 << 20

// inventory is an S3 Inventory manifest.json (Amazon S3 User Guide, "Inventory manifest"):
//
//	{"sourceBucket": "example-source-bucket",
//	 "destinationBucket": "arn:aws:s3:::example-inventory-destination-bucket",
//	 "version": "2016-11-30", "creationTimestamp": "1514944800000",
//	 "fileFormat": "CSV",
//	 "fileSchema": "Bucket, Key, VersionId, IsLatest, IsDeleteMarker, Size, LastModifiedDate, ETag, StorageClass",
//	 "files": [{"key": "Inventory/example-source-bucket/2016-11-06T21-32Z/files/939c….csv.gz",
//	            "size": 2147483647, "MD5checksum": "f11166069f1990abeb9c97ace9cdfabc"}]}
type inventory struct {
	SourceBucket      string `json:"sourceBucket"`
	DestinationBucket string `json:"destinationBucket"`
	FileFormat        string `json:"fileFormat"`
	FileSchema        string `json:"fileSchema"`
	Files             []struct {
		Key string `json:"key"`
	} `json:"files"`
}

// manifest is a validated inventory: where its data files are and their columns.
type manifest struct {
	bucket  string   // the bucket of the data files
	keys    []string // the data files
	columns []string
	keyCol  int // the index of the Key column, or -1
}

// readManifest reads and checks the manifest at bucket/key. Only CSV inventories are read (ORC
// and Parquet are not supported).
func readManifest(ctx context.Context, api s3x.API, bucket, key string, cfg Config) (*manifest, error) {
	c := cfg
	c.InputType = ""
	s, err := c.validate()
	if err != nil {
		return nil, err
	}
	if s.csvFields || cfg.Prefix != "" {
		return nil, &ReaderError{Cause: "CSVHeaderLocation, CSVHeaders, CSVDelimiter and Prefix do not apply to a MANIFEST source, whose columns are its fileSchema"}
	}
	uri := s3x.URI(bucket, key)
	o, err := s3x.OpenObject(ctx, api, bucket, key)
	if err != nil {
		return nil, &ReaderError{Cause: err.Error(), Err: err}
	}
	defer o.Close()
	if o.Size() > maxManifestBytes {
		return nil, &ReaderError{Cause: fmt.Sprintf("manifest %s is %d bytes, over the limit of %d", uri, o.Size(), maxManifestBytes)}
	}
	body, err := io.ReadAll(o.Reader())
	if err != nil {
		return nil, &ReaderError{Cause: err.Error(), Err: err}
	}
	var inv inventory
	if err := json.Unmarshal(body, &inv); err != nil {
		return nil, readerErrorf(err, "manifest %s is not an S3 Inventory manifest.json: %v", uri, err)
	}
	if !strings.EqualFold(inv.FileFormat, "CSV") {
		return nil, &ReaderError{Cause: fmt.Sprintf("manifest %s: fileFormat %q is not supported: only CSV inventories are", uri, inv.FileFormat)}
	}
	m := &manifest{bucket: bucket, keyCol: -1}
	if d := inv.DestinationBucket; d != "" {
		if i := strings.Index(d, ":::"); strings.HasPrefix(d, "arn:") && i >= 0 {
			d = d[i+3:]
		}
		m.bucket = d
	}
	for i, c := range strings.Split(inv.FileSchema, ",") {
		c = strings.TrimSpace(c)
		m.columns = append(m.columns, c)
		if c == "Key" {
			m.keyCol = i
		}
	}
	if len(m.columns) == 0 || m.columns[0] == "" {
		return nil, &ReaderError{Cause: fmt.Sprintf("manifest %s has no fileSchema", uri)}
	}
	if err := checkHeaders(m.columns); err != nil {
		return nil, err
	}
	for _, f := range inv.Files {
		if f.Key == "" {
			return nil, &ReaderError{Cause: fmt.Sprintf("manifest %s lists a file without a key", uri)}
		}
		m.keys = append(m.keys, f.Key)
	}
	return m, nil
}

// settings returns the CSV settings of the data files: no header row, the fileSchema's columns.
func (m *manifest) settings() settings {
	return settings{typ: TypeCSV, delim: ',', given: true, headers: m.columns}
}

func openManifest(ctx context.Context, api s3x.API, bucket, key string, cfg Config) (Reader, error) {
	m, err := readManifest(ctx, api, bucket, key, cfg)
	if err != nil {
		return nil, err
	}
	return &manifestReader{ctx: ctx, api: api, m: m, max: cfg.MaxItems}, nil
}

func countManifest(ctx context.Context, api s3x.API, bucket, key string, cfg Config) (int64, error) {
	m, err := readManifest(ctx, api, bucket, key, cfg)
	if err != nil {
		return 0, err
	}
	var n int64
	for _, k := range m.keys {
		src, err := openS3Source(ctx, api, m.bucket, k)
		if err != nil {
			return n, err
		}
		max := int64(0)
		if cfg.MaxItems > 0 {
			max = cfg.MaxItems - n
		}
		c, err := countSource(ctx, src, m.settings(), TypeCSV, max)
		n += c
		if err != nil || cfg.MaxItems > 0 && n >= cfg.MaxItems {
			return n, err
		}
	}
	return n, nil
}

// manifestReader yields the rows of an inventory's data files, in the manifest's order.
type manifestReader struct {
	stopped
	ctx   context.Context
	api   s3x.API
	m     *manifest
	next  int        // the next data file to open
	cur   *csvReader // the data file being read, or nil
	max   int64
	index int64
}

func (r *manifestReader) Next() (Item, error) {
	if err := r.check(); err != nil {
		return Item{}, err
	}
	if r.max > 0 && r.index >= r.max {
		return Item{}, r.stop(io.EOF)
	}
	for {
		if r.cur == nil {
			if r.next == len(r.m.keys) {
				return Item{}, r.stop(io.EOF)
			}
			src, err := openS3Source(r.ctx, r.api, r.m.bucket, r.m.keys[r.next])
			if err != nil {
				return Item{}, r.stop(err)
			}
			r.next++
			if r.cur, err = newCSVReader(src, r.m.settings(), 0); err != nil {
				src.Close()
				return Item{}, r.stop(err)
			}
		}
		it, err := r.cur.Next()
		if err == io.EOF {
			r.cur.Close()
			r.cur = nil
			continue
		}
		if err != nil {
			return Item{}, r.stop(err)
		}
		it.Index = r.index
		r.index++
		if it.Err == nil && r.m.keyCol >= 0 {
			it.Value, it.Err = r.decodeKey(it)
		}
		return it, nil
	}
}

// decodeKey rebuilds the row with its Key column URL-decoded: S3 Inventory encodes the keys of
// CSV inventories.
func (r *manifestReader) decodeKey(it Item) ([]byte, error) {
	p := &r.cur.p
	if r.m.keyCol >= len(p.ends) {
		return it.Value, nil
	}
	start := 0
	if r.m.keyCol > 0 {
		start = p.ends[r.m.keyCol-1]
	}
	raw := string(p.buf[start:p.ends[r.m.keyCol]])
	if !strings.ContainsAny(raw, "%+") {
		return it.Value, nil
	}
	key, err := url.QueryUnescape(raw)
	if err != nil {
		return nil, &ItemError{Line: it.Line, Reason: fmt.Sprintf("the Key %q is not URL-encoded: %v", raw, err), Err: err}
	}
	out := []byte{'{'}
	prev := 0
	for i, k := range r.cur.keys {
		if i > 0 {
			out = append(out, ',')
		}
		out = append(out, k...)
		switch {
		case i == r.m.keyCol:
			out = appendJSONString(out, key)
			prev = p.ends[i]
		case i < len(p.ends):
			out = appendJSONString(out, p.buf[prev:p.ends[i]])
			prev = p.ends[i]
		default:
			out = append(out, '"', '"')
		}
	}
	return append(out, '}'), nil
}

func (r *manifestReader) stop(err error) error {
	r.err = err
	if r.cur != nil {
		r.cur.Close()
		r.cur = nil
	}
	return err
}

func (r *manifestReader) Close() error {
	if !r.closed {
		r.closed = true
		if r.cur != nil {
			r.cur.Close()
			r.cur = nil
		}
	}
	return nil
}
