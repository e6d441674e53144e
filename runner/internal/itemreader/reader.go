package itemreader

import "encoding/json"

// Item is one element of the source.
type Item struct {
	Index int64           // 0-based position among items (what $$.Map.Item.Index will be)
	Value json.RawMessage // compact JSON of the item; nil when Err != nil. Owned by the caller.
	Line  int64           // 1-based line for JSON Lines (0 for a JSON array)
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

// Open opens the file at path and returns a Reader of its items.
//
// Every error is a *ReaderError: a negative MaxItems, an unknown InputType, a file that cannot be
// opened (the cause names the path and the reason, e.g. "open data.json: no such file or
// directory"), a corrupt compressed stream, or a JSON source that is not a top-level array (cause
// "Attempting to map over non-iterable node."). A JSON syntax error after the opening bracket is
// reported by Next.
func Open(path string, cfg Config) (Reader, error) {
	typ, err := cfg.validate()
	if err != nil {
		return nil, err
	}
	src, err := openSource(path)
	if err != nil {
		return nil, err
	}
	if typ == "" {
		if typ, err = src.detectType(); err != nil {
			src.Close()
			return nil, err
		}
	}
	if typ == TypeJSON {
		r, err := newJSONReader(src, cfg.MaxItems)
		if err != nil {
			src.Close()
			return nil, err
		}
		return r, nil
	}
	return newJSONLReader(src, cfg.MaxItems), nil
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
