package itemreader

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"

	"github.com/wasmap/wasmap/runner/internal/s3x"
)

// Input types accepted by Config.InputType, compared without regard to case, so the ASL spellings
// "CSV", "JSON" and "JSONL" work too.
const (
	TypeCSV   = "csv"
	TypeJSON  = "json"
	TypeJSONL = "jsonl"
)

// CSV header locations accepted by Config.CSVHeaderLocation (any case; "" means FIRST_ROW).
const (
	CSVHeaderFirstRow = "FIRST_ROW" // the first row of the file holds the headers
	CSVHeaderGiven    = "GIVEN"     // Config.CSVHeaders holds them; every row is data
)

// MaxItemBytes is the longest JSON Lines line (not counting its line ending), JSON array element
// (as written, before compaction) or CSV row (as written, quotes included, without its line
// ending) that can be an item. A longer one is an item whose Err wraps [ErrItemTooLong]; it is
// skipped without being held in memory, and without being checked.
const MaxItemBytes = 8 << 20

// MaxCSVHeaderBytes is the longest CSV header row: "Step Functions supports CSV headers of up to
// 10 KiB" (ASL reference §3.1). It is measured as written, without the line ending; CSVHeaders
// given in the Config are measured joined by the delimiter. A longer header is a *ReaderError.
const MaxCSVHeaderBytes = 10 << 10

// bufSize is the size of the read buffers: one over the file and, for a compressed file, one
// over the decompressed stream.
const bufSize = 1 << 20

var (
	gzipMagic = []byte{0x1f, 0x8b}
	zstdMagic = []byte{0x28, 0xb5, 0x2f, 0xfd}
	utf8BOM   = []byte{0xef, 0xbb, 0xbf}
)

// Config selects how a source is read. The field names are those of the ASL ReaderConfig.
type Config struct {
	// InputType is "csv", "json", "jsonl" (any case) or "" to detect: by the file extension
	// (.csv, .json, .jsonl, .ndjson, each optionally followed by .gz, .zst or .zstd), else by the
	// first non-space byte of the content ('[' means JSON, anything else JSON Lines; a CSV file
	// is never detected from its content). It must be "" for a folder.
	InputType string
	// MaxItems limits the read to the first MaxItems items (data rows for CSV: a header row is
	// not counted); 0 means all. A negative value is a ReaderError with cause "field MaxItems must
	// be positive", as AWS reports it.
	MaxItems int64
	// CSVHeaderLocation is FIRST_ROW (the default when "") or GIVEN, in any case. CSV only.
	CSVHeaderLocation string
	// CSVHeaders are the column names with GIVEN; at least one is required, and only with GIVEN.
	// Duplicates fail with cause "CSV headers cannot contain duplicates.", as AWS reports it.
	CSVHeaders []string
	// CSVDelimiter is COMMA (the default when ""), PIPE, SEMICOLON, SPACE or TAB, in any case.
	// CSV only.
	CSVDelimiter string
	// Prefix keeps, for a folder source, only the files whose key (path relative to the folder,
	// with "/" separators) starts with it, as listObjectsV2's Prefix does. Folder only.
	Prefix string
}

// settings is a validated Config.
type settings struct {
	typ       string // normalised input type; "" when it must be detected
	delim     byte   // CSV delimiter
	given     bool   // CSV headers come from the Config
	headers   []string
	csvFields bool // one of the CSV fields is set
}

var csvDelimiters = map[string]byte{"COMMA": ',', "PIPE": '|', "SEMICOLON": ';', "SPACE": ' ', "TAB": '\t'}

// validate checks the Config alone, before anything is read.
func (c Config) validate() (settings, error) {
	s := settings{delim: ','}
	if c.MaxItems < 0 {
		return s, &ReaderError{Cause: CauseNegativeMaxItems}
	}
	s.typ = strings.ToLower(c.InputType)
	switch s.typ {
	case "", TypeCSV, TypeJSON, TypeJSONL:
	default:
		return s, &ReaderError{Cause: fmt.Sprintf("unsupported InputType %q: want CSV, JSON, JSONL or empty to detect", c.InputType)}
	}
	s.csvFields = c.CSVHeaderLocation != "" || c.CSVHeaders != nil || c.CSVDelimiter != ""
	switch strings.ToUpper(c.CSVHeaderLocation) {
	case "", CSVHeaderFirstRow:
		if c.CSVHeaders != nil {
			return s, &ReaderError{Cause: "CSVHeaders can only be given with CSVHeaderLocation GIVEN"}
		}
	case CSVHeaderGiven:
		if len(c.CSVHeaders) == 0 {
			return s, &ReaderError{Cause: "CSVHeaders is required when CSVHeaderLocation is GIVEN"}
		}
		if err := checkHeaders(c.CSVHeaders); err != nil {
			return s, err
		}
		s.given, s.headers = true, c.CSVHeaders
	default:
		return s, &ReaderError{Cause: fmt.Sprintf("unsupported CSVHeaderLocation %q: want FIRST_ROW or GIVEN", c.CSVHeaderLocation)}
	}
	if c.CSVDelimiter != "" {
		d, ok := csvDelimiters[strings.ToUpper(c.CSVDelimiter)]
		if !ok {
			return s, &ReaderError{Cause: fmt.Sprintf("unsupported CSVDelimiter %q: want COMMA, PIPE, SEMICOLON, SPACE or TAB", c.CSVDelimiter)}
		}
		s.delim = d
	}
	if s.given {
		n := len(s.headers) - 1 // the delimiters
		for _, h := range s.headers {
			n += len(h)
		}
		if n > MaxCSVHeaderBytes {
			return s, &ReaderError{Cause: headerTooLong}
		}
	}
	return s, nil
}

// checkType checks the Config against the input type, once it is known.
func (c Config) checkType(s settings, typ string) error {
	if c.Prefix != "" {
		return &ReaderError{Cause: "Prefix applies only to a folder source"}
	}
	if s.csvFields && typ != TypeCSV {
		return &ReaderError{Cause: fmt.Sprintf("CSVHeaderLocation, CSVHeaders and CSVDelimiter apply only to CSV, not to %s", strings.ToUpper(typ))}
	}
	return nil
}

// checkFolder checks the Config for a folder source.
func (c Config) checkFolder(s settings) error {
	if s.typ != "" {
		return &ReaderError{Cause: fmt.Sprintf("InputType %q does not apply to a folder, whose items are the listObjectsV2 entries of its files", c.InputType)}
	}
	if s.csvFields {
		return &ReaderError{Cause: "CSVHeaderLocation, CSVHeaders and CSVDelimiter do not apply to a folder"}
	}
	return nil
}

// source is an open file or S3 object, decompressed if need be, positioned after any UTF-8 byte
// order mark.
type source struct {
	path string        // the file's path, or the object's s3:// URI
	f    io.Closer     // the file or object
	dec  io.Closer     // the decompressor, nil when the file is not compressed
	r    *bufio.Reader // the decompressed content
	base int64         // bytes of the content skipped before r (the byte order mark)
	// reopen opens the content again from its start, to find the line of an error; nil for a
	// file (os.Open(path)).
	reopen func() (io.ReadCloser, error)
}

func openSource(path string) (*source, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, &ReaderError{Cause: err.Error(), Err: err} // "open <path>: <reason>"
	}
	return newSource(path, f, nil)
}

// newSource reads f, named path in errors, detecting its compression. It closes f on error.
func newSource(path string, f io.ReadCloser, reopen func() (io.ReadCloser, error)) (*source, error) {
	s := &source{path: path, f: f, reopen: reopen}
	fr := bufio.NewReaderSize(f, bufSize)
	magic, err := fr.Peek(len(zstdMagic))
	if err != nil && err != io.EOF {
		f.Close()
		return nil, s.readError(err)
	}
	switch {
	case bytes.HasPrefix(magic, gzipMagic):
		gz, err := gzip.NewReader(fr)
		if err != nil {
			f.Close()
			return nil, s.readError(err)
		}
		s.dec, s.r = gz, bufio.NewReaderSize(gz, bufSize)
	case bytes.HasPrefix(magic, zstdMagic):
		zd, err := zstd.NewReader(fr)
		if err != nil {
			f.Close()
			return nil, s.readError(err)
		}
		s.dec, s.r = zd.IOReadCloser(), bufio.NewReaderSize(zd, bufSize)
	default:
		s.r = fr
	}
	if b, err := s.r.Peek(len(utf8BOM)); bytes.Equal(b, utf8BOM) {
		s.r.Discard(len(utf8BOM))
		s.base = int64(len(utf8BOM))
	} else if err != nil && err != io.EOF {
		s.Close()
		return nil, s.readError(err)
	}
	return s, nil
}

// readError turns an error of the file or the decompressor into a ReaderError naming the path.
func (s *source) readError(err error) *ReaderError {
	var pe *fs.PathError
	var se *s3x.Error
	if errors.As(err, &pe) || errors.As(err, &se) {
		return &ReaderError{Cause: err.Error(), Err: err} // already names the path or the object
	}
	return readerErrorf(err, "read %s: %v", s.path, err)
}

func (s *source) Close() error {
	if s.dec != nil {
		s.dec.Close()
	}
	if s.f == nil {
		return nil
	}
	return s.f.Close()
}

// detectType chooses CSV, JSON or JSON Lines from the file name, else JSON or JSON Lines from the
// first non-space byte.
func (s *source) detectType() (string, error) {
	name := strings.ToLower(filepath.Base(s.path))
	for _, suffix := range []string{".gz", ".zst", ".zstd"} {
		if n, ok := strings.CutSuffix(name, suffix); ok {
			name = n
			break
		}
	}
	switch filepath.Ext(name) {
	case ".csv":
		return TypeCSV, nil
	case ".json":
		return TypeJSON, nil
	case ".jsonl", ".ndjson":
		return TypeJSONL, nil
	}
	for n := 64; ; n *= 2 {
		b, err := s.r.Peek(min(n, s.r.Size()))
		if i := bytes.IndexFunc(b, func(r rune) bool { return !isSpace(r) }); i >= 0 {
			if b[i] == '[' {
				return TypeJSON, nil
			}
			return TypeJSONL, nil
		}
		if err == io.EOF || err == bufio.ErrBufferFull || len(b) == s.r.Size() {
			return TypeJSONL, nil // empty or all white space: JSON Lines with no items
		}
		if err != nil {
			return "", s.readError(err)
		}
	}
}

func isSpace[T byte | rune](c T) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// position returns the 1-based line and column (in bytes) of byte offset off of the content,
// counted from the start of the file's decompressed content. It reads the file again: it is only
// called to describe a fatal error. It returns 0, 0 if the file cannot be read again, or if it is
// an S3 object and off is past maxRereadBytes.
func (src *source) position(off int64) (line, col int64) {
	var s *source
	var err error
	switch {
	case src.reopen == nil:
		s, err = openSource(src.path)
	case off > maxRereadBytes:
		return 0, 0
	default:
		var f io.ReadCloser
		if f, err = src.reopen(); err == nil {
			s, err = newSource(src.path, f, nil)
		}
	}
	if err != nil {
		return 0, 0
	}
	defer s.Close()
	line, lineStart := int64(1), int64(0)
	pos := s.base
	buf := make([]byte, 64<<10)
	for pos < off {
		n, err := s.r.Read(buf[:min(int64(len(buf)), off-pos)])
		for b := buf[:n]; ; {
			i := bytes.IndexByte(b, '\n')
			if i < 0 {
				break
			}
			line++
			lineStart = pos + int64(n-len(b)+i+1)
			b = b[i+1:]
		}
		pos += int64(n)
		if err != nil {
			break
		}
	}
	return line, off - lineStart + 1
}
