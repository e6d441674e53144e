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
)

// Input types accepted by Config.InputType, compared without regard to case, so the ASL spellings
// "JSON" and "JSONL" work too.
const (
	TypeJSON  = "json"
	TypeJSONL = "jsonl"
)

// MaxItemBytes is the longest JSON Lines line (not counting its line ending) or JSON array element
// (as written, before compaction) that can be an item. A longer one is an item whose Err wraps
// [ErrItemTooLong]; it is skipped without being held in memory, and without being checked.
const MaxItemBytes = 8 << 20

// bufSize is the size of the read buffers: one over the file and, for a compressed file, one
// over the decompressed stream.
const bufSize = 1 << 20

var (
	gzipMagic = []byte{0x1f, 0x8b}
	zstdMagic = []byte{0x28, 0xb5, 0x2f, 0xfd}
	utf8BOM   = []byte{0xef, 0xbb, 0xbf}
)

// Config selects how a source is read.
type Config struct {
	// InputType is "json", "jsonl" (any case) or "" to detect: by the file extension (.json,
	// .jsonl, .ndjson, each optionally followed by .gz, .zst or .zstd), else by the first
	// non-space byte of the content ('[' means JSON, anything else JSON Lines).
	InputType string
	// MaxItems limits the read to the first MaxItems items; 0 means all. A negative value is a
	// ReaderError with cause "field MaxItems must be positive", as AWS reports it.
	MaxItems int64
}

// validate returns the normalised input type ("" when it must be detected).
func (c Config) validate() (string, error) {
	if c.MaxItems < 0 {
		return "", &ReaderError{Cause: CauseNegativeMaxItems}
	}
	t := strings.ToLower(c.InputType)
	switch t {
	case "", TypeJSON, TypeJSONL:
		return t, nil
	}
	return "", &ReaderError{Cause: fmt.Sprintf("unsupported InputType %q: want JSON, JSONL or empty to detect", c.InputType)}
}

// source is an open file, decompressed if need be, positioned after any UTF-8 byte order mark.
type source struct {
	path string
	f    *os.File
	dec  io.Closer     // the decompressor, nil when the file is not compressed
	r    *bufio.Reader // the decompressed content
	base int64         // bytes of the content skipped before r (the byte order mark)
}

func openSource(path string) (*source, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, &ReaderError{Cause: err.Error(), Err: err} // "open <path>: <reason>"
	}
	s := &source{path: path, f: f}
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
	if errors.As(err, &pe) {
		return &ReaderError{Cause: err.Error(), Err: err} // already names the path
	}
	return readerErrorf(err, "read %s: %v", s.path, err)
}

func (s *source) Close() error {
	if s.dec != nil {
		s.dec.Close()
	}
	return s.f.Close()
}

// detectType chooses JSON or JSON Lines from the file name, else from the first non-space byte.
func (s *source) detectType() (string, error) {
	name := strings.ToLower(filepath.Base(s.path))
	for _, suffix := range []string{".gz", ".zst", ".zstd"} {
		if n, ok := strings.CutSuffix(name, suffix); ok {
			name = n
			break
		}
	}
	switch filepath.Ext(name) {
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
// called to describe a fatal error. It returns 0, 0 if the file cannot be read again.
func position(path string, off int64) (line, col int64) {
	s, err := openSource(path)
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
