package itemreader

import (
	"bytes"
	"fmt"
	"io"
)

// csvReader yields one item per data row of a CSV source: a JSON object that maps each header
// to the row's field in that column, as a string.
type csvReader struct {
	stopped
	p     csvParser
	keys  [][]byte // each header as a JSON string followed by ':', in header order
	out   []byte   // the item being built, before it is copied to its exact size
	max   int64
	index int64
}

// newCSVReader reads the header row, unless the headers are given, and checks the headers.
func newCSVReader(src *source, s settings, maxItems int64) (*csvReader, error) {
	r := &csvReader{p: newCSVParser(src, s.delim, false), max: maxItems}
	headers := s.headers
	if !s.given {
		var err error
		if headers, err = r.p.readHeader(); err != nil {
			return nil, err
		}
	}
	r.keys = make([][]byte, len(headers))
	for i, h := range headers {
		r.keys[i] = append(appendJSONString(nil, h), ':')
	}
	return r, nil
}

func (r *csvReader) Next() (Item, error) {
	if err := r.check(); err != nil {
		return Item{}, err
	}
	if r.max > 0 && r.index >= r.max {
		r.err = io.EOF
		return Item{}, io.EOF
	}
	ok, err := r.p.readRecord(MaxItemBytes)
	if err == nil && !ok {
		err = io.EOF
	}
	if err != nil {
		r.err = err
		return Item{}, err
	}
	it := Item{Index: r.index, Line: r.p.start}
	r.index++
	switch {
	case r.p.tooLong:
		it.Err = &ItemError{Line: r.p.start, Reason: fmt.Sprintf("item is longer than the limit of %d bytes", MaxItemBytes), Err: ErrItemTooLong}
	case r.p.misplaced != "":
		it.Err = &ItemError{Line: r.p.start, Reason: r.p.misplaced, Err: ErrCSVQuote}
	default:
		it.Value = r.object()
	}
	return it, nil
}

// object returns the current row as a JSON object: missing trailing fields are "", extra fields
// are dropped.
func (r *csvReader) object() []byte {
	p := &r.p
	out := append(r.out[:0], '{')
	prev := 0
	for i, k := range r.keys {
		if i > 0 {
			out = append(out, ',')
		}
		out = append(out, k...)
		if i < len(p.ends) {
			out = appendJSONString(out, p.buf[prev:p.ends[i]])
			prev = p.ends[i]
		} else {
			out = append(out, '"', '"')
		}
	}
	out = append(out, '}')
	if cap(out) <= 4*bufSize {
		r.out = out
	}
	return append([]byte(nil), out...)
}

func (r *csvReader) Close() error {
	if r.closed {
		return nil
	}
	r.closed = true
	r.p.buf, r.p.ends = nil, nil
	return r.p.src.Close()
}

// checkHeaders fails on duplicate headers with the cause AWS gives.
func checkHeaders(headers []string) error {
	seen := make(map[string]bool, len(headers))
	for _, h := range headers {
		if seen[h] {
			return &ReaderError{Cause: CauseDuplicateCSVHeaders}
		}
		seen[h] = true
	}
	return nil
}

// The states of csvParser.
const (
	csvFieldStart    = iota // at the start of a field
	csvUnquoted             // in a field that does not start with a quote
	csvQuoted               // in a quoted field
	csvQuoteInQuoted        // after a quote in a quoted field: the closing one, or half of ""
)

// csvParser splits CSV content into rows (RFC 4180). It reads through the source's buffer, so a
// row is never longer in memory than its fields (at most MaxItemBytes plus one read buffer).
//
// A row ends at "\n" or "\r\n" outside quotes, or at the end of the content (a final "\r" is a
// line ending too). An empty line is skipped. A quote starts a quoted field only at the start of
// a field; in a quoted field, "" is a quote and anything (delimiters, line endings) is data. A
// misplaced quote (in an unquoted field, or followed by something other than a delimiter or a
// line ending after a closing quote) makes the row fail but does not change where it ends: the
// parse goes on as if the quote were an ordinary character. A lone "\r" is data.
type csvParser struct {
	src     *source
	delim   byte
	stop    [256]bool // bytes that end a run of an unquoted field
	discard bool      // counting only: the fields are not kept

	pos       int64 // offset, in the content after any byte order mark, of the next unread byte
	line      int64 // 1-based line of the next unread byte
	lineStart int64 // offset of the start of that line

	// The current row.
	start     int64  // its first line
	buf       []byte // its fields, unquoted, one after the other
	ends      []int  // the end of each field in buf
	limit     int    // the longest row allowed
	tooLong   bool   // it is longer than the limit: buf is not kept
	misplaced string // the first misplaced quote, e.g. "bare quote in an unquoted field at column 3"
}

func newCSVParser(src *source, delim byte, discard bool) csvParser {
	p := csvParser{src: src, delim: delim, discard: discard, line: 1}
	for _, c := range []byte{delim, '"', '\r', '\n'} {
		p.stop[c] = true
	}
	return p
}

// readHeader reads the first row as the headers. It returns nil headers if there is no row.
func (p *csvParser) readHeader() ([]string, error) {
	ok, err := p.readRecord(MaxCSVHeaderBytes)
	switch {
	case err != nil || !ok:
		return nil, err
	case p.tooLong:
		return nil, &ReaderError{Cause: headerTooLong}
	case p.misplaced != "":
		return nil, readerErrorf(ErrCSVQuote, "invalid CSV header row at line %d: %s", p.start, p.misplaced)
	}
	headers := make([]string, len(p.ends))
	prev := 0
	for i, end := range p.ends {
		headers[i] = string(p.buf[prev:end])
		prev = end
	}
	return headers, checkHeaders(headers)
}

// readRecord reads the next row into start, buf, ends, tooLong and misplaced. limit is the
// longest row, as written without its line ending. It returns false at the end of the content,
// and a *ReaderError for a read error or a quoted field still open at the end of the content.
func (p *csvParser) readRecord(limit int) (bool, error) {
	if cap(p.buf) > 4*bufSize {
		p.buf = nil
	}
	p.buf, p.ends, p.tooLong, p.misplaced, p.limit = p.buf[:0], p.ends[:0], false, "", limit
	p.start = p.line
	var (
		recStart  = p.pos // offset of the row's first byte
		state     = csvFieldStart
		quoteLine int64 // where the open quoted field starts
		quoteCol  int64
		need      = 1 // bytes to look at: 2 to see what follows a "\r"
	)
	for {
		b, err := p.peek(need)
		if err != nil {
			return false, err
		}
		if len(b) == 0 {
			switch {
			case state == csvQuoted:
				return false, readerErrorf(io.ErrUnexpectedEOF,
					"invalid CSV: the quoted field that starts at line %d, column %d is not closed at the end of the file",
					quoteLine, quoteCol)
			case p.pos == recStart:
				return false, nil
			}
			return true, p.endRecord(p.pos, recStart, limit)
		}
		eof := len(b) < need
		need = 1
		i := 0
		end := int64(-1) // offset of the row's line ending, once found
	scan:
		for i < len(b) {
			switch state {
			case csvFieldStart:
				if b[i] == '"' {
					state = csvQuoted
					quoteLine, quoteCol = p.line, p.pos+int64(i)-p.lineStart+1
					i++
					continue
				}
				state = csvUnquoted
				fallthrough
			case csvUnquoted:
				j := i
				for j < len(b) && !p.stop[b[j]] {
					j++
				}
				p.add(b[i:j])
				if i = j; i == len(b) {
					break scan
				}
				switch c := b[i]; c {
				case p.delim:
					p.endField()
					state = csvFieldStart
					i++
				case '"':
					p.misplace(i, "bare quote in an unquoted field")
					p.add(b[i : i+1])
					i++
				case '\n':
					end = p.pos + int64(i)
					i++
					p.newLine(i)
					break scan
				case '\r':
					switch {
					case i+1 < len(b) && b[i+1] == '\n':
						end = p.pos + int64(i)
						i += 2
						p.newLine(i)
						break scan
					case i+1 < len(b):
						p.add(b[i : i+1]) // a lone "\r" is data
						i++
					case eof: // a final "\r" ends the row
						end = p.pos + int64(i)
						i++
						break scan
					default:
						need = 2
						break scan
					}
				}
			case csvQuoted:
				j := bytes.IndexByte(b[i:], '"')
				stop := len(b)
				if j >= 0 {
					stop = i + j
				}
				seg := b[i:stop]
				if k := bytes.LastIndexByte(seg, '\n'); k >= 0 {
					p.line += int64(bytes.Count(seg, []byte{'\n'}))
					p.lineStart = p.pos + int64(i+k+1)
				}
				p.add(seg)
				if j < 0 {
					i = len(b)
					break scan
				}
				i = stop + 1
				state = csvQuoteInQuoted
			case csvQuoteInQuoted:
				switch c := b[i]; c {
				case '"':
					p.add(b[i : i+1])
					state = csvQuoted
					i++
				case p.delim:
					p.endField()
					state = csvFieldStart
					i++
				case '\n':
					end = p.pos + int64(i)
					i++
					p.newLine(i)
					break scan
				case '\r':
					switch {
					case i+1 < len(b) && b[i+1] == '\n':
						end = p.pos + int64(i)
						i += 2
						p.newLine(i)
						break scan
					case i+1 < len(b):
						p.misplace(i, "unexpected character after the closing quote of a field")
						state = csvUnquoted
					case eof:
						end = p.pos + int64(i)
						i++
						break scan
					default:
						need = 2
						break scan
					}
				default:
					p.misplace(i, "unexpected character after the closing quote of a field")
					state = csvUnquoted
				}
			}
		}
		if _, err := p.src.r.Discard(i); err != nil {
			return false, p.src.readError(err)
		}
		p.pos += int64(i)
		if end < 0 {
			continue
		}
		if end == recStart { // an empty line: not a row
			p.ends = p.ends[:0]
			p.start, recStart, state = p.line, p.pos, csvFieldStart
			continue
		}
		return true, p.endRecord(end, recStart, limit)
	}
}

// peek returns the buffered content, reading more if fewer than need bytes are buffered; it
// returns fewer than need bytes only at the end of the content.
func (p *csvParser) peek(need int) ([]byte, error) {
	b, err := p.src.r.Peek(max(p.src.r.Buffered(), need))
	if err != nil && err != io.EOF {
		return nil, p.src.readError(err)
	}
	return b, nil
}

func (p *csvParser) add(b []byte) {
	if p.discard || p.tooLong {
		return
	}
	if len(p.buf)+len(b) > p.limit { // the row as written is longer still
		p.tooLong, p.buf = true, p.buf[:0]
		return
	}
	p.buf = append(p.buf, b...)
}

func (p *csvParser) endField() { p.ends = append(p.ends, len(p.buf)) }

// endRecord ends the last field of a row whose line ending (or the end of the content) is at
// offset end.
func (p *csvParser) endRecord(end, recStart int64, limit int) error {
	p.endField()
	if end-recStart > int64(limit) {
		p.tooLong, p.buf = true, p.buf[:0]
	}
	return nil
}

// newLine records that the line ending just consumed ends at buffer index i.
func (p *csvParser) newLine(i int) {
	p.line++
	p.lineStart = p.pos + int64(i)
}

// misplace records the first misplaced quote of the row, at buffer index i.
func (p *csvParser) misplace(i int, reason string) {
	if p.misplaced != "" || p.discard {
		return
	}
	col := p.pos + int64(i) - p.lineStart + 1
	if p.line == p.start {
		p.misplaced = fmt.Sprintf("%s at column %d", reason, col)
	} else {
		p.misplaced = fmt.Sprintf("%s at line %d, column %d", reason, p.line, col)
	}
}
