package itemreader

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// jsonReader streams the elements of a top-level JSON array.
//
// It splits the array itself, with a byte scanner that follows strings and nesting, and checks
// each element with validCompact. On a syntax error it asks json.Unmarshal, on that element alone,
// for the reason and the offset, which it turns into an offset of the whole content. The elements
// are never all in memory: buf holds the unread content and the element being read.
type jsonReader struct {
	stopped
	src   *source
	buf   []byte // content from byte offset off; buf[pos:] is not consumed yet
	pos   int
	off   int64 // offset of buf[0] in the decompressed content, after any byte order mark
	eof   bool  // the source is exhausted: buf holds all that is left
	state int
	max   int64
	index int64
}

const (
	stateFirst = iota // after '['
	stateNext         // after an element
	stateDone         // after ']'
)

func newJSONReader(src *source, maxItems int64) (*jsonReader, error) {
	r := &jsonReader{src: src, buf: make([]byte, 0, bufSize), max: maxItems}
	c, err := r.skipSpace()
	if err != nil {
		return nil, err
	}
	if c != '[' {
		if strings.IndexByte(`{"-0123456789tfn`, c) >= 0 {
			return nil, &ReaderError{Cause: CauseNotAnArray}
		}
		return nil, r.errorAt(r.pos, fmt.Sprintf("invalid character %s looking for beginning of value", quoteChar(c)), nil)
	}
	r.pos++
	return r, nil
}

func (r *jsonReader) Next() (Item, error) {
	if err := r.check(); err != nil {
		return Item{}, err
	}
	if r.max > 0 && r.index >= r.max {
		r.err = io.EOF
		return Item{}, io.EOF
	}
	it, err := r.next()
	if err != nil {
		r.err = err
		return Item{}, err
	}
	return it, nil
}

func (r *jsonReader) next() (Item, error) {
	c, err := r.skipSpace()
	if err != nil {
		if err == io.EOF && r.state == stateDone {
			return Item{}, io.EOF
		}
		return Item{}, err
	}
	switch r.state {
	case stateDone:
		return Item{}, r.errorAt(r.pos, fmt.Sprintf("invalid character %s after top-level value", quoteChar(c)), nil)
	case stateFirst:
		if c == ']' {
			r.pos++
			r.state = stateDone
			return r.next()
		}
	case stateNext:
		switch c {
		case ']':
			r.pos++
			r.state = stateDone
			return r.next()
		case ',':
			r.pos++
			if c, err = r.skipSpace(); err != nil {
				return Item{}, err
			}
		default:
			return Item{}, r.errorAt(r.pos, fmt.Sprintf("invalid character %s after array element", quoteChar(c)), nil)
		}
	}
	if c == ']' || c == ',' || c == '}' {
		return Item{}, r.errorAt(r.pos, fmt.Sprintf("invalid character %s looking for beginning of value", quoteChar(c)), nil)
	}
	r.state = stateNext
	start := r.off + int64(r.pos)
	elem, err := r.scanElement()
	if err != nil {
		return Item{}, err
	}
	defer r.shrink()
	it := Item{Index: r.index}
	r.index++
	if elem == nil {
		it.Err = &ItemError{Offset: start + r.src.base, Reason: fmt.Sprintf("item is longer than the limit of %d bytes", MaxItemBytes), Err: ErrItemTooLong}
		return it, nil
	}
	v, ok := validCompact(make([]byte, 0, len(elem)), elem)
	if !ok {
		return Item{}, r.elementError(start, elem)
	}
	it.Value = v
	return it, nil
}

// scanElement consumes the element that starts at buf[pos] and returns it; the slice is valid
// until the next read. It returns nil for an element longer than MaxItemBytes, which it skips
// without keeping it. The element ends at its closing quote or bracket, or for a number or a
// literal at the next white space, ',', ']' or '}' (or the end of the content).
func (r *jsonReader) scanElement() ([]byte, error) {
	var (
		start     = r.pos
		i         = r.pos
		depth     = 0
		inString  = false
		escaped   = false
		primitive = strings.IndexByte(`"[{`, r.buf[r.pos]) < 0
		skipped   = false // the element is too long: its bytes are dropped as they are scanned
	)
	for {
		b := r.buf
		if primitive {
			for i < len(b) && !isPrimitiveEnd(b[i]) {
				i++
			}
			if i < len(b) {
				return r.element(start, i, skipped)
			}
		} else {
			for i < len(b) {
				if !inString {
					if i = skipPlain(b, i, false); i == len(b) {
						break
					}
				}
				if inString {
					var closed bool
					i, closed, escaped = scanString(b, i, escaped)
					if closed {
						inString = false
						if depth == 0 {
							return r.element(start, i, skipped)
						}
					}
					continue
				}
				switch b[i] {
				case '"':
					inString = true
				case '[', '{':
					depth++
				case ']', '}':
					if depth--; depth == 0 {
						return r.element(start, i+1, skipped)
					}
				}
				i++
			}
		}
		if r.eof {
			if primitive {
				return r.element(start, i, skipped)
			}
			if skipped {
				r.pos = i
				return nil, r.errorAt(i, "unexpected end of JSON input", io.ErrUnexpectedEOF)
			}
			return nil, r.elementError(r.off+int64(start), b[start:i])
		}
		keep := start
		if skipped || i-start > MaxItemBytes {
			skipped, keep = true, i
		}
		shift, err := r.fill(keep)
		if err != nil {
			return nil, err
		}
		start, i = start-shift, i-shift
	}
}

// element consumes buf[start:end] and returns it, or nil if it was skipped.
func (r *jsonReader) element(start, end int, skipped bool) ([]byte, error) {
	r.pos = end
	if skipped || end-start > MaxItemBytes {
		return nil, nil
	}
	return r.buf[start:end], nil
}

func isPrimitiveEnd(c byte) bool {
	return c == ',' || c == ']' || c == '}' || c == ' ' || c == '\n' || c == '\r' || c == '\t'
}

// skipSpace skips white space and returns the next byte without consuming it, io.EOF at the end
// of the content, or a *ReaderError.
func (r *jsonReader) skipSpace() (byte, error) {
	for {
		for r.pos < len(r.buf) {
			if c := r.buf[r.pos]; !isSpace(c) {
				return c, nil
			}
			r.pos++
		}
		if r.eof {
			if r.state != stateDone {
				return 0, r.errorAt(r.pos, "unexpected end of JSON input", io.ErrUnexpectedEOF)
			}
			return 0, io.EOF
		}
		if _, err := r.fill(r.pos); err != nil {
			return 0, err
		}
	}
}

// fill drops buf[:keep] and reads more content after what is left, growing buf if it is full.
// It returns the number of bytes dropped (by which indexes into buf move down) and sets eof at
// the end of the content.
func (r *jsonReader) fill(keep int) (int, error) {
	if keep > 0 {
		n := copy(r.buf, r.buf[keep:])
		r.buf = r.buf[:n]
		r.off += int64(keep)
		r.pos -= keep
	}
	if len(r.buf) == cap(r.buf) {
		r.buf = append(r.buf, make([]byte, cap(r.buf))...)[:len(r.buf)]
	}
	n, err := r.src.r.Read(r.buf[len(r.buf):cap(r.buf)])
	r.buf = r.buf[:len(r.buf)+n]
	switch {
	case err == io.EOF:
		r.eof = true
	case err != nil:
		return keep, r.src.readError(err)
	}
	return keep, nil
}

// shrink gives back the memory of an element much larger than the usual buffer. The element
// must have been copied: buf[:pos] is dropped.
func (r *jsonReader) shrink() {
	if cap(r.buf) > 4*bufSize && len(r.buf)-r.pos < bufSize {
		nb := make([]byte, len(r.buf)-r.pos, bufSize)
		copy(nb, r.buf[r.pos:])
		r.off += int64(r.pos)
		r.buf, r.pos = nb, 0
	}
}

func (r *jsonReader) Close() error {
	if r.closed {
		return nil
	}
	r.closed = true
	r.buf = nil
	return r.src.Close()
}

// elementError describes the syntax error in the element elem that starts at content offset
// start. json.Unmarshal finds it and its offset; for a number or literal, the byte that ended
// the element is included, so that "tru]" reports the ']' as AWS-like parsers do.
func (r *jsonReader) elementError(start int64, elem []byte) error {
	in := elem
	if int64(r.pos) < int64(len(r.buf)) && r.off+int64(r.pos) == start+int64(len(elem)) && strings.IndexByte(`"[{`, elem[0]) < 0 {
		in = r.buf[int(start-r.off) : r.pos+1]
	}
	var raw json.RawMessage
	err := json.Unmarshal(in, &raw)
	var se *json.SyntaxError
	if !errors.As(err, &se) {
		return r.errorAt(int(start-r.off)+len(elem), "unexpected end of JSON input", io.ErrUnexpectedEOF)
	}
	off := start + se.Offset - 1 // Offset counts the offending byte
	reason := se.Error()
	if reason == "unexpected end of JSON input" {
		off++
	}
	reason = strings.Replace(reason, "after top-level value", "after array element", 1)
	return r.errorAtOffset(off, reason, err)
}

// errorAt returns the fatal error for a syntax error at buf[i].
func (r *jsonReader) errorAt(i int, reason string, err error) *ReaderError {
	return r.errorAtOffset(r.off+int64(i), reason, err)
}

// errorAtOffset returns the fatal error for a syntax error at offset off of the content after
// the byte order mark. The cause gives the offset in the file's (decompressed) content.
func (r *jsonReader) errorAtOffset(off int64, reason string, err error) *ReaderError {
	off += r.src.base
	line, col := r.src.position(off)
	if line == 0 {
		return readerErrorf(err, "invalid JSON at byte offset %d: %s", off, reason)
	}
	return readerErrorf(err, "invalid JSON at byte offset %d (line %d, column %d): %s", off, line, col, reason)
}

// quoteChar formats c as encoding/json does in its syntax errors.
func quoteChar(c byte) string {
	if c == '\'' {
		return `'\''`
	}
	if c == '"' {
		return `'"'`
	}
	s := fmt.Sprintf("%q", string(rune(c)))
	return "'" + s[1:len(s)-1] + "'"
}
