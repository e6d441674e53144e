package itemreader

import (
	"bytes"
	"context"
	"io"
)

// Count counts the items of the source at path without parsing them, capped at cfg.MaxItems when
// that is positive. It is meant to run beside the real read, to give a progress display a total.
//
// For JSON Lines it counts the lines that are not blank, so a line that is not JSON counts (it is
// an item that fails). For JSON it counts the elements of the top-level array with a byte scanner
// that follows strings, escapes and nesting but does not check the syntax: a file Count accepts
// may still fail in [Reader.Next]. For CSV it counts the data rows as the reader splits them
// (quoted line endings included), rows that fail included. For a folder it counts the files that
// would be listed, without reading them. Count returns the errors Open would return (as
// *ReaderError), a *ReaderError when a JSON array or a CSV quoted field is not closed, and
// ctx.Err() if ctx ends first.
func Count(ctx context.Context, path string, cfg Config) (int64, error) {
	src, s, typ, err := open(path, cfg)
	if err != nil {
		return 0, err
	}
	if src == nil {
		return countFolder(ctx, path, cfg.Prefix, cfg.MaxItems)
	}
	return countSource(ctx, src, s, typ, cfg.MaxItems)
}

// countSource counts the items of src, of type typ, and closes it.
func countSource(ctx context.Context, src *source, s settings, typ string, maxItems int64) (int64, error) {
	defer src.Close()
	if typ == TypeCSV {
		return countCSV(ctx, src, s, maxItems)
	}
	c := counter{ctx: ctx, src: src, max: maxItems, buf: make([]byte, bufSize)}
	if typ == TypeJSON {
		return c.json()
	}
	return c.jsonl()
}

// countCSV reads the headers as the reader does, then counts the rows with a parser that keeps
// nothing.
func countCSV(ctx context.Context, src *source, s settings, maxItems int64) (int64, error) {
	r, err := newCSVReader(src, s, maxItems)
	if err != nil {
		return 0, err
	}
	r.p.discard = true
	var n int64
	for maxItems == 0 || n < maxItems {
		if n%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return n, err
			}
		}
		ok, err := r.p.readRecord(MaxItemBytes)
		if err != nil || !ok {
			return n, err
		}
		n++
	}
	return n, nil
}

type counter struct {
	ctx context.Context
	src *source
	max int64
	n   int64
	buf []byte
}

// read returns the next chunk of the content, or io.EOF, ctx.Err() or a *ReaderError.
func (c *counter) read() ([]byte, error) {
	if err := c.ctx.Err(); err != nil {
		return nil, err
	}
	n, err := io.ReadAtLeast(c.src.r, c.buf, len(c.buf)/2)
	if err == io.ErrUnexpectedEOF || err == io.EOF && n > 0 {
		err = nil
	}
	if err != nil && err != io.EOF {
		return nil, c.src.readError(err)
	}
	return c.buf[:n], err
}

// add counts one item and reports whether MaxItems is reached.
func (c *counter) add() bool {
	c.n++
	return c.max > 0 && c.n >= c.max
}

func (c *counter) jsonl() (int64, error) {
	content := false // the current line has a byte that is not white space
	for {
		b, err := c.read()
		if err == io.EOF {
			if content {
				c.add()
			}
			return c.n, nil
		}
		if err != nil {
			return c.n, err
		}
		for len(b) > 0 {
			if !content {
				i := 0
				for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r') {
					i++
				}
				if i == len(b) {
					break
				}
				if b[i] == '\n' {
					b = b[i+1:]
					continue
				}
				content = true
				b = b[i:]
			}
			j := bytes.IndexByte(b, '\n')
			if j < 0 {
				break
			}
			content = false
			if c.add() {
				return c.n, nil
			}
			b = b[j+1:]
		}
	}
}

func (c *counter) json() (int64, error) {
	var (
		started  bool // the opening bracket was seen
		depth    int  // 1 = directly inside the top-level array
		inString bool
		escaped  bool // the previous byte was a backslash inside a string
		expect   bool // directly inside the array, after '[' or ',': the next value is an element
	)
	for {
		b, err := c.read()
		if err == io.EOF {
			if !started {
				return 0, readerErrorf(io.ErrUnexpectedEOF, "invalid JSON at byte offset %d: unexpected end of JSON input", c.src.base)
			}
			return c.n, readerErrorf(io.ErrUnexpectedEOF, "invalid JSON: unexpected end of JSON input inside the top-level array")
		}
		if err != nil {
			return c.n, err
		}
		for i := 0; i < len(b); {
			if inString {
				var closed bool
				i, closed, escaped = scanString(b, i, escaped)
				inString = !closed
				continue
			}
			if started && !(depth == 1 && expect) {
				if i = skipPlain(b, i, depth == 1); i == len(b) {
					break
				}
			}
			ch := b[i]
			i++
			if !started {
				if isSpace(ch) {
					continue
				}
				if ch != '[' {
					return 0, &ReaderError{Cause: CauseNotAnArray}
				}
				started, depth, expect = true, 1, true
				continue
			}
			switch ch {
			case ' ', '\t', '\n', '\r':
				continue
			case ',':
				if depth == 1 {
					expect = true
				}
				continue
			case ']', '}':
				if depth--; depth == 0 {
					return c.n, nil
				}
				continue
			}
			if depth == 1 && expect {
				expect = false
				if c.add() {
					return c.n, nil
				}
			}
			switch ch {
			case '"':
				inString = true
			case '[', '{':
				depth++
			}
		}
	}
}
