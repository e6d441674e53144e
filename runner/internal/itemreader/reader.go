package itemreader

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
)

// Item is one element of the source.
type Item struct {
	Index int64           // 0-based position among items (what $$.Map.Item.Index will be)
	Value json.RawMessage // compact JSON of the item; nil when Err != nil. Owned by the caller.
	Line  int64           // 1-based line for JSON Lines, first line of the row for CSV; else 0
	Err   error           // a per-item problem (an *ItemError): the item fails, the run goes on
}

// Reader yields the items of a source in order.
//
// Next returns the next item, io.EOF after the last one (or after MaxItems items), or a fatal
// error, a *ReaderError, after which every call returns that same error. Close releases the file;
// Next after Close returns ErrClosed. A Reader is not goroutine-safe.
type Reader interface {
	Next() (Item, error)
	Close() error
}

// Open opens the file or folder at path and returns a Reader of its items.
//
// A folder yields one item per file, shaped like an S3 listObjectsV2 entry (see the package
// documentation). A file is read as CSV, JSON or JSON Lines, by Config.InputType or detected.
//
// Every error is a *ReaderError: an invalid Config (a negative MaxItems, an unknown InputType,
// CSV settings for a source that is not CSV, duplicate CSV headers, …), a file that cannot be
// opened (the cause names the path and the reason, e.g. "open data.json: no such file or
// directory"), a corrupt compressed stream, a JSON source that is not a top-level array (cause
// "Attempting to map over non-iterable node."), or a CSV header row that is too long, has
// duplicates or a misplaced quote. A syntax error after that is reported by Next.
func Open(path string, cfg Config) (Reader, error) {
	src, s, typ, err := open(path, cfg)
	if err != nil || src == nil {
		if err != nil {
			return nil, err
		}
		return newFolderReader(path, cfg.Prefix, cfg.MaxItems)
	}
	return newReader(src, s, typ, cfg.MaxItems)
}

// newReader returns the reader of typ over src. It closes src on error.
func newReader(src *source, s settings, typ string, maxItems int64) (Reader, error) {
	var r Reader
	var err error
	switch typ {
	case TypeJSON:
		r, err = newJSONReader(src, maxItems)
	case TypeCSV:
		r, err = newCSVReader(src, s, maxItems)
	default:
		r = newJSONLReader(src, maxItems)
	}
	if err != nil {
		src.Close()
		return nil, err
	}
	return r, nil
}

// OpenJSON streams the items of data, a JSON array held in memory: a Map state's items taken
// from its input with ItemsPath. name stands for the array in error messages. maxItems is
// ReaderConfig.MaxItems (0: all). The Reader does not modify data.
func OpenJSON(name string, data []byte, maxItems int64) (Reader, error) {
	if _, err := (Config{MaxItems: maxItems}).validate(); err != nil {
		return nil, err
	}
	src := &source{path: name, r: bufio.NewReaderSize(bytes.NewReader(data), min(max(len(data), 16), bufSize))}
	return newJSONReader(src, maxItems)
}

// open validates cfg and opens the file at path, detecting its type if need be. For a folder it
// returns a nil source and no error.
func open(path string, cfg Config) (src *source, s settings, typ string, err error) {
	if s, err = cfg.validate(); err != nil {
		return nil, s, "", err
	}
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return nil, s, "", cfg.checkFolder(s)
	}
	if src, err = openSource(path); err != nil {
		return nil, s, "", err
	}
	if typ, err = detect(src, cfg, s); err != nil {
		return nil, s, "", err
	}
	return src, s, typ, nil
}

// detect returns the input type of src, detecting it if cfg does not give it, and checks cfg
// against it. It closes src on error.
func detect(src *source, cfg Config, s settings) (typ string, err error) {
	typ = s.typ
	if typ == "" {
		typ, err = src.detectType()
	}
	if err == nil {
		err = cfg.checkType(s, typ)
	}
	if err != nil {
		src.Close()
		return "", err
	}
	return typ, nil
}

// stopped handles the calls after a fatal error, after the last item or after Close.
type stopped struct {
	closed bool
	err    error // sticky: io.EOF or a *ReaderError
}

func (s *stopped) check() error {
	if s.closed {
		return ErrClosed
	}
	return s.err
}
