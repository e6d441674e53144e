package resultwriter

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
)

// Output types (WriterConfig.OutputType).
const (
	OutputJSON  = "JSON"  // each file is a JSON array of records
	OutputJSONL = "JSONL" // each file holds one record per line
)

// Transformations (WriterConfig.Transformation) of the SUCCEEDED records. FAILED and PENDING
// records are always NONE-shaped ("If a child workflow execution fails, Step Functions returns
// its execution result unchanged … equivalent to having set Transformation to NONE").
const (
	TransformNone    = "NONE"    // the whole record: the output unchanged plus the workflow metadata
	TransformCompact = "COMPACT" // only the child's output
	TransformFlatten = "FLATTEN" // only the output; an array output contributes its elements
)

// DefaultMaxFileBytes is the size past which a new result file is started, when
// Config.MaxFileBytes is 0: 5 GiB, the largest single S3 PUT (AWS: "about 5 GB" ◌).
const DefaultMaxFileBytes = 5 << 30

// Config describes a map run's result export.
type Config struct {
	// Dir is the local destination folder, used when Sink is nil. The manifest's
	// DestinationBucket is its absolute path.
	Dir string
	// Sink is the destination; nil means NewDirSink(Dir).
	Sink Sink
	// Prefix is prepended to every key (the ResultWriter's Prefix); a "/" is added after it when
	// it lacks one, as AWS does. Usually empty for a local folder.
	Prefix string
	// MapRunID names the folder of the run's files: the UUID at the end of the Map Run ARN.
	MapRunID string
	// MapRunArn is written to the manifest.
	MapRunArn string
	// MaxFileBytes starts a new file when the current one would pass it; 0 means
	// DefaultMaxFileBytes. A record larger than it goes alone in a file that passes it.
	MaxFileBytes int64
	// OutputType is OutputJSON (also "") or OutputJSONL.
	OutputType string
	// Transformation is TransformNone (also "", the default when exporting), TransformCompact
	// or TransformFlatten.
	Transformation string
}

// Manifest is manifest.json. The three lists are never nil, so they encode as [] when empty.
type Manifest struct {
	DestinationBucket string      `json:"DestinationBucket"`
	MapRunArn         string      `json:"MapRunArn"`
	ResultFiles       ResultFiles `json:"ResultFiles"`
}

// ResultFiles lists the result files by status, each in order of its number.
type ResultFiles struct {
	Failed    []ResultFile `json:"FAILED"`
	Pending   []ResultFile `json:"PENDING"`
	Succeeded []ResultFile `json:"SUCCEEDED"`
}

// ResultFile is one result file: its key, relative to DestinationBucket, and its size in bytes.
type ResultFile struct {
	Key  string `json:"Key"`
	Size int64  `json:"Size"`
}

// ResultWriterDetails is the "ResultWriterDetails" of the Map state's output when exporting:
// {"MapRunArn": …, "ResultWriterDetails": {"Bucket": …, "Key": "<Prefix>/<uuid>/manifest.json"}}.
type ResultWriterDetails struct {
	Bucket string `json:"Bucket"`
	Key    string `json:"Key"`
}

// Writer writes the result files of one map run. A Writer is not goroutine-safe.
//
// Records are written in the order of the Add calls. The usual pattern is
//
//	w, err := resultwriter.New(cfg)
//	…
//	defer w.Abort() // does nothing after a successful Close
//	for … { err = w.Add(rec) … }
//	manifest, err := w.Close()
//
// Every error is a *WriterError. After an error of Add, the Writer is failed: later calls
// return that error, and Close aborts.
type Writer struct {
	sink      Sink
	keyBase   string // "<Prefix>/<MapRunID>/"
	mapRunArn string
	maxBytes  int64
	jsonl     bool
	transform string

	open    [numKinds]*file
	files   []*file // every object created, in order; each is sealed, or open in `open`
	next    [numKinds]int
	buf     bytes.Buffer
	enc     *json.Encoder
	state   int
	failure error // the error that failed the Writer, in state failed
}

const (
	stateOpen = iota
	stateFailed
	stateClosed
	stateAborted
)

type file struct {
	kind    kind
	key     string
	obj     Object
	size    int64 // bytes written, closing bracket excluded
	records int64
	sealed  bool
}

// New validates cfg and returns a Writer. It creates nothing in the destination until the first
// record.
func New(cfg Config) (*Writer, error) {
	w := &Writer{mapRunArn: cfg.MapRunArn, maxBytes: cfg.MaxFileBytes, sink: cfg.Sink}
	id := cfg.MapRunID
	if id == "" || id == "." || id == ".." || strings.ContainsAny(id, `/\`) {
		return nil, writerErrorf(nil, "invalid MapRunID %q: want one path segment, normally a UUID", id)
	}
	if w.maxBytes < 0 {
		return nil, writerErrorf(nil, "invalid MaxFileBytes %d", cfg.MaxFileBytes)
	}
	if w.maxBytes == 0 {
		w.maxBytes = DefaultMaxFileBytes
	}
	switch cfg.OutputType {
	case "", OutputJSON:
	case OutputJSONL:
		w.jsonl = true
	default:
		return nil, writerErrorf(nil, "invalid OutputType %q: want JSON or JSONL", cfg.OutputType)
	}
	switch w.transform = cfg.Transformation; w.transform {
	case "":
		w.transform = TransformNone
	case TransformNone, TransformCompact, TransformFlatten:
	default:
		return nil, writerErrorf(nil, "invalid Transformation %q: want NONE, COMPACT or FLATTEN", cfg.Transformation)
	}
	if w.sink == nil {
		if cfg.Dir == "" {
			return nil, writerErrorf(nil, "no destination: set Dir or Sink")
		}
		s, err := NewDirSink(cfg.Dir)
		if err != nil {
			return nil, writerErrorf(err, "result folder: %v", err)
		}
		w.sink = s
	}
	if p := cfg.Prefix; p != "" && !strings.HasSuffix(p, "/") {
		w.keyBase = p + "/"
	} else {
		w.keyBase = p
	}
	w.keyBase += id + "/"
	w.enc = json.NewEncoder(&w.buf)
	w.enc.SetEscapeHTML(false)
	return w, nil
}

// ManifestKey returns the key of manifest.json: "<Prefix>/<MapRunID>/manifest.json".
func (w *Writer) ManifestKey() string { return w.keyBase + "manifest.json" }

// Details returns the ResultWriterDetails of the Map state's output.
func (w *Writer) Details() ResultWriterDetails {
	return ResultWriterDetails{Bucket: w.sink.Destination(), Key: w.ManifestKey()}
}

// Add writes a record to the file of its Status: SUCCEEDED; FAILED (also TIMED_OUT and
// ABORTED); or PENDING. See Record for the fields Add fills or drops. With COMPACT or FLATTEN a
// SUCCEEDED record is written as its Output alone, which must be JSON text.
func (w *Writer) Add(r Record) error {
	if err := w.check(); err != nil {
		return err
	}
	k, ok := kindOf(r.Status)
	if !ok {
		return writerErrorf(nil, "record has an unknown Status %q", r.Status)
	}
	if r.Input != "" {
		r.InputDetails = included
	}
	if k == kindSucceeded {
		if r.Output == "" {
			r.Output = "null"
		}
		r.OutputDetails = included
	} else {
		r.Output, r.OutputDetails = "", nil
	}

	if k != kindSucceeded || w.transform == TransformNone {
		w.buf.Reset()
		if err := w.enc.Encode(&r); err != nil {
			return writerErrorf(err, "encode record: %v", err)
		}
		return w.write(k, bytes.TrimSuffix(w.buf.Bytes(), []byte{'\n'}))
	}
	out := []byte(r.Output)
	if t := bytes.TrimLeft(out, " \t\r\n"); w.transform == TransformFlatten && len(t) > 0 && t[0] == '[' {
		var elems []json.RawMessage
		if err := json.Unmarshal(out, &elems); err != nil {
			return writerErrorf(err, "record Output is not JSON: %v", err)
		}
		for _, e := range elems {
			if err := w.writeJSON(k, e); err != nil {
				return err
			}
		}
		return nil
	}
	return w.writeJSON(k, out)
}

// writeJSON writes the JSON text v, compacted.
func (w *Writer) writeJSON(k kind, v []byte) error {
	w.buf.Reset()
	if err := json.Compact(&w.buf, v); err != nil {
		return writerErrorf(err, "record Output is not JSON: %v", err)
	}
	return w.write(k, w.buf.Bytes())
}

// write appends one encoded element to the open file of kind k, starting a new file first when
// the element would take the current one past maxBytes.
func (w *Writer) write(k kind, elem []byte) error {
	f := w.open[k]
	if f != nil && f.records > 0 && f.size+w.cost(f, elem)+w.trailer() > w.maxBytes {
		if err := w.seal(f); err != nil {
			return w.fail(err)
		}
		f = nil
	}
	if f == nil {
		var err error
		if f, err = w.create(k); err != nil {
			return w.fail(err)
		}
	}
	var sep []byte
	switch {
	case w.jsonl:
	case f.records > 0:
		sep = []byte{','}
	}
	if _, err := f.obj.Write(sep); err != nil {
		return w.fail(writerErrorf(err, "write %s: %v", f.key, err))
	}
	if _, err := f.obj.Write(elem); err != nil {
		return w.fail(writerErrorf(err, "write %s: %v", f.key, err))
	}
	if w.jsonl {
		if _, err := f.obj.Write([]byte{'\n'}); err != nil {
			return w.fail(writerErrorf(err, "write %s: %v", f.key, err))
		}
	}
	f.size += w.cost(f, elem)
	f.records++
	return nil
}

// cost is the number of bytes elem adds to f: itself plus a comma or a newline.
func (w *Writer) cost(f *file, elem []byte) int64 {
	if w.jsonl || f.records > 0 {
		return int64(len(elem)) + 1
	}
	return int64(len(elem))
}

// trailer is the number of bytes written when a file is sealed: the closing bracket.
func (w *Writer) trailer() int64 {
	if w.jsonl {
		return 0
	}
	return 1
}

func (w *Writer) create(k kind) (*file, error) {
	key := w.keyBase + kindNames[k] + "_" + strconv.Itoa(w.next[k]) + ".json"
	obj, err := w.sink.Create(key)
	if err != nil {
		return nil, writerErrorf(err, "create %s: %v", key, err)
	}
	w.next[k]++
	f := &file{kind: k, key: key, obj: obj}
	w.open[k] = f
	w.files = append(w.files, f)
	if !w.jsonl {
		if _, err := obj.Write([]byte{'['}); err != nil {
			return nil, writerErrorf(err, "write %s: %v", key, err)
		}
		f.size = 1
	}
	return f, nil
}

func (w *Writer) seal(f *file) error {
	if !w.jsonl {
		if _, err := f.obj.Write([]byte{']'}); err != nil {
			return writerErrorf(err, "write %s: %v", f.key, err)
		}
		f.size++
	}
	if err := f.obj.Seal(); err != nil {
		return writerErrorf(err, "write %s: %v", f.key, err)
	}
	f.sealed = true
	w.open[f.kind] = nil
	return nil
}

// Close seals the open files, commits every result file, then writes manifest.json, and returns
// the manifest. If any step fails, Close aborts: it discards every object it wrote, committed
// ones included, and returns the error. Close after Close or Abort returns an error wrapping
// ErrClosed or ErrAborted.
func (w *Writer) Close() (Manifest, error) {
	if err := w.check(); err != nil {
		if w.state == stateFailed {
			w.Abort()
		}
		return Manifest{}, err
	}
	m := Manifest{
		DestinationBucket: w.sink.Destination(),
		MapRunArn:         w.mapRunArn,
		ResultFiles:       ResultFiles{Failed: []ResultFile{}, Pending: []ResultFile{}, Succeeded: []ResultFile{}},
	}
	lists := [numKinds]*[]ResultFile{&m.ResultFiles.Failed, &m.ResultFiles.Pending, &m.ResultFiles.Succeeded}
	for k := range numKinds {
		if f := w.open[k]; f != nil {
			if err := w.seal(f); err != nil {
				return Manifest{}, w.abortWith(err)
			}
		}
	}
	for _, f := range w.files {
		if err := f.obj.Commit(); err != nil {
			return Manifest{}, w.abortWith(writerErrorf(err, "commit %s: %v", f.key, err))
		}
		*lists[f.kind] = append(*lists[f.kind], ResultFile{Key: f.key, Size: f.size})
	}

	key := w.ManifestKey()
	body, err := json.Marshal(m)
	if err != nil {
		return Manifest{}, w.abortWith(writerErrorf(err, "encode manifest: %v", err))
	}
	obj, err := w.sink.Create(key)
	if err != nil {
		return Manifest{}, w.abortWith(writerErrorf(err, "create %s: %v", key, err))
	}
	w.files = append(w.files, &file{key: key, obj: obj})
	if _, err := obj.Write(body); err != nil {
		return Manifest{}, w.abortWith(writerErrorf(err, "write %s: %v", key, err))
	}
	if err := obj.Seal(); err != nil {
		return Manifest{}, w.abortWith(writerErrorf(err, "write %s: %v", key, err))
	}
	if err := obj.Commit(); err != nil {
		return Manifest{}, w.abortWith(writerErrorf(err, "commit %s: %v", key, err))
	}
	w.state = stateClosed
	w.files, w.open = nil, [numKinds]*file{}
	return m, nil
}

// Abort discards every object the Writer created, committed ones included, so that no result
// file is left under its final name. It returns the first error of the sink (a *WriterError),
// if any. Abort after a successful Close does nothing and returns nil; after Abort, nothing
// either.
func (w *Writer) Abort() error {
	if w.state == stateClosed || w.state == stateAborted {
		return nil
	}
	var first error
	for _, f := range w.files {
		if err := f.obj.Abort(); err != nil && first == nil {
			first = writerErrorf(err, "abort %s: %v", f.key, err)
		}
	}
	w.files, w.open = nil, [numKinds]*file{}
	w.state = stateAborted
	return first
}

// check returns the error for a call in a state other than open.
func (w *Writer) check() error {
	switch w.state {
	case stateFailed:
		return w.failure
	case stateClosed:
		return &WriterError{Cause: ErrClosed.Error(), Err: ErrClosed}
	case stateAborted:
		return &WriterError{Cause: ErrAborted.Error(), Err: ErrAborted}
	}
	return nil
}

// fail puts the Writer in the failed state and returns err.
func (w *Writer) fail(err error) error {
	w.state, w.failure = stateFailed, err
	return err
}

// abortWith aborts and returns err.
func (w *Writer) abortWith(err error) error {
	w.Abort()
	return err
}
