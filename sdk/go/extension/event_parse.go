package extension

import (
	"bytes"
	"encoding/json"
	"strconv"
)

// eventParser reads the event JSON of next. encoding/json's reflection costs tens of
// microseconds per event in wasm, on every invocation of an INVOKE extension; the host writes
// a flat object (ABI.md §9.3) that a small scanner reads in a fraction of that. Anything it
// does not expect (escapes, white space, other value types) goes through encoding/json. It
// remembers the last ARN and trace header so that unchanged ones allocate nothing.
type eventParser struct {
	arn, traceType string
}

func (p *eventParser) parse(b []byte, ev *Event) error {
	*ev = Event{}
	if p.scan(b, ev) {
		return nil
	}
	*ev = Event{}
	return json.Unmarshal(b, ev)
}

// scan reads {"key":value,...} where each value is a string without escapes, an integer, or
// (for "tracing") such an object of strings. It reports false when b is anything else.
func (p *eventParser) scan(b []byte, ev *Event) bool {
	if len(b) < 2 || b[0] != '{' || b[len(b)-1] != '}' {
		return false
	}
	b = b[1 : len(b)-1]
	for len(b) > 0 {
		key, rest, ok := scanString(b)
		if !ok || len(rest) == 0 || rest[0] != ':' {
			return false
		}
		b = rest[1:]
		if len(b) == 0 {
			return false
		}
		switch {
		case b[0] == '"':
			var v []byte
			if v, b, ok = scanString(b); !ok {
				return false
			}
			switch string(key) {
			case "eventType":
				ev.EventType = EventType(p.intern(v))
			case "requestId":
				ev.RequestID = string(v)
			case "invokedFunctionArn":
				if string(v) != p.arn {
					p.arn = string(v)
				}
				ev.InvokedFunctionArn = p.arn
			case "shutdownReason":
				ev.ShutdownReason = ShutdownReason(p.intern(v))
			}
		case b[0] == '{' && string(key) == "tracing":
			end := bytes.IndexByte(b, '}')
			if end < 0 {
				return false
			}
			t := &Tracing{}
			if !p.scanTracing(b[1:end], t) {
				return false
			}
			ev.Tracing = t
			b = b[end+1:]
		default:
			end := bytes.IndexAny(b, ",}")
			if end < 0 {
				end = len(b)
			}
			n, err := strconv.ParseInt(string(b[:end]), 10, 64)
			if err != nil {
				return false
			}
			if string(key) == "deadlineMs" {
				ev.DeadlineMs = n
			}
			b = b[end:]
		}
		if len(b) > 0 {
			if b[0] != ',' {
				return false
			}
			b = b[1:]
		}
	}
	return ev.EventType != ""
}

func (p *eventParser) scanTracing(b []byte, t *Tracing) bool {
	for len(b) > 0 {
		key, rest, ok := scanString(b)
		if !ok || len(rest) == 0 || rest[0] != ':' {
			return false
		}
		var v []byte
		if v, b, ok = scanString(rest[1:]); !ok {
			return false
		}
		switch string(key) {
		case "type":
			if string(v) != p.traceType {
				p.traceType = string(v)
			}
			t.Type = p.traceType
		case "value":
			t.Value = string(v)
		}
		if len(b) > 0 {
			if b[0] != ',' {
				return false
			}
			b = b[1:]
		}
	}
	return true
}

// intern returns the constant for the few values events repeat.
func (p *eventParser) intern(v []byte) string {
	switch string(v) {
	case "INVOKE":
		return "INVOKE"
	case "SHUTDOWN":
		return "SHUTDOWN"
	case "spindown":
		return "spindown"
	case "timeout":
		return "timeout"
	case "failure":
		return "failure"
	}
	return string(v)
}

// scanString reads a JSON string without escapes at the start of b.
func scanString(b []byte) (s, rest []byte, ok bool) {
	if len(b) == 0 || b[0] != '"' {
		return nil, nil, false
	}
	end := bytes.IndexByte(b[1:], '"')
	if end < 0 {
		return nil, nil, false
	}
	s = b[1 : 1+end]
	if bytes.IndexByte(s, '\\') >= 0 {
		return nil, nil, false
	}
	return s, b[2+end:], true
}
