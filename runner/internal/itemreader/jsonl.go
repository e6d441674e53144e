package itemreader

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
)

// jsonlReader yields one item per non-blank line.
type jsonlReader struct {
	stopped
	src   *source
	max   int64
	index int64
	line  int64  // lines read so far
	long  []byte // accumulates a line longer than the read buffer
}

func newJSONLReader(src *source, maxItems int64) *jsonlReader {
	return &jsonlReader{src: src, max: maxItems}
}

func (r *jsonlReader) Next() (Item, error) {
	if err := r.check(); err != nil {
		return Item{}, err
	}
	if r.max > 0 && r.index >= r.max {
		r.err = io.EOF
		return Item{}, io.EOF
	}
	for {
		line, tooLong, err := r.readLine()
		if err != nil {
			r.err = err
			return Item{}, err
		}
		r.line++
		if tooLong {
			return r.item(nil, &ItemError{
				Line:   r.line,
				Reason: fmt.Sprintf("item is longer than the limit of %d bytes", MaxItemBytes),
				Err:    ErrItemTooLong,
			}), nil
		}
		line = bytes.TrimFunc(line, isSpace[rune])
		if len(line) == 0 {
			continue // a blank line is not an item
		}
		v, ok := validCompact(make([]byte, 0, len(line)), line)
		if !ok {
			var raw json.RawMessage
			err := json.Unmarshal(line, &raw) // for the reason
			reason := "invalid JSON"
			if err != nil {
				reason = err.Error()
			}
			return r.item(nil, &ItemError{Line: r.line, Reason: reason, Err: err}), nil
		}
		return r.item(v, nil), nil
	}
}

func (r *jsonlReader) item(v json.RawMessage, err error) Item {
	it := Item{Index: r.index, Value: v, Line: r.line, Err: err}
	r.index++
	return it
}

// readLine returns the next line without its "\n". The slice is valid until the next call. A line
// longer than MaxItemBytes is skipped and reported by tooLong, unless it is all white space, which
// is a blank line. At the end of the content readLine returns io.EOF; any other error is a
// *ReaderError.
func (r *jsonlReader) readLine() (line []byte, tooLong bool, err error) {
	r.long = r.long[:0]
	for {
		frag, err := r.src.r.ReadSlice('\n')
		switch err {
		case nil, io.EOF:
			if err == nil {
				frag = frag[:len(frag)-1]
			} else if len(frag) == 0 && len(r.long) == 0 {
				return nil, false, io.EOF
			}
			line := frag
			if len(r.long) > 0 {
				r.long = append(r.long, frag...)
				line = r.long
			}
			return line, overLimit(line) && bytes.IndexFunc(line, notSpace) >= 0, nil
		case bufio.ErrBufferFull:
			if len(r.long)+len(frag) > MaxItemBytes+1 { // too long even without a final "\r"
				return r.skipLine(frag)
			}
			r.long = append(r.long, frag...)
		default:
			return nil, false, r.src.readError(err)
		}
	}
}

// overLimit reports whether a line, not counting a final "\r", is longer than MaxItemBytes.
func overLimit(line []byte) bool {
	n := len(line)
	if n > 0 && line[n-1] == '\r' {
		n--
	}
	return n > MaxItemBytes
}

// skipLine discards the rest of a line that is too long. frag is the part just read. It reports a
// blank line (nil, false) when every byte of the line was white space.
func (r *jsonlReader) skipLine(frag []byte) ([]byte, bool, error) {
	blank := bytes.IndexFunc(r.long, notSpace) < 0 && bytes.IndexFunc(frag, notSpace) < 0
	r.long = r.long[:0]
	if cap(r.long) > MaxItemBytes+1 {
		r.long = nil
	}
	for {
		frag, err := r.src.r.ReadSlice('\n')
		if blank && bytes.IndexFunc(frag, notSpace) >= 0 {
			blank = false
		}
		switch err {
		case nil, io.EOF:
			return nil, !blank, nil
		case bufio.ErrBufferFull:
		default:
			return nil, false, r.src.readError(err)
		}
	}
}

func notSpace(c rune) bool { return !isSpace(c) }

func (r *jsonlReader) Close() error {
	if r.closed {
		return nil
	}
	r.closed = true
	r.long = nil
	return r.src.Close()
}
