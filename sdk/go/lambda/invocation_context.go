package lambda

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"unsafe"

	"github.com/wasmap/wasmap/sdk/go/lambdacontext"
)

// invocationContext is the context JSON of one invocation (ABI.md §3, context_read).
type invocationContext struct {
	requestID          string
	deadlineMs         int64
	invokedFunctionArn string
	traceID            string
	// Raw JSON of the optional objects; nil when absent or null.
	clientContext   []byte
	cognitoIdentity []byte
	// tenantID and cognitoIdentity are not in ABI v1; they are read if a host sends them, under
	// the names of the Runtime API headers.
	tenantID string
}

// contextParser parses context JSON. It remembers the last function ARN and trace id, which are
// usually the same for every invocation, so parsing them allocates nothing.
//
// A contextParser is not goroutine-safe.
type contextParser struct {
	arn, traceID string
}

// parse fills ic from b. The host writes a flat object with known keys (ABI.md §3), which a
// hand-written scanner reads without allocating more than the request id; anything else (other
// keys, escapes, a clientContext, white space in odd places) goes through encoding/json. Errors
// have aws-lambda-go's messages.
func (p *contextParser) parse(b []byte, ic *invocationContext) error {
	return p.parseFor(b, ic, nil)
}

// contextText holds the bytes of the strings of one invocation's context that change every time:
// the request id (a UUID as the host makes it) and the trace id (74 bytes from wasmap, more with
// an X-Ray Lineage). It is part of the invocation's context object, which is allocated anyway;
// in wasm, where an allocation costs a few hundred ns, that saves two. Its bytes are written
// once, before the handler runs, and never again.
type contextText struct {
	requestID [36]byte
	traceID   [96]byte
}

// parseFor is parse for the invoke loop: the request id and a changed trace id read by the
// fastest path are copied into text when they fit, rather than into strings of their own.
func (p *contextParser) parseFor(b []byte, ic *invocationContext, text *contextText) error {
	if p.scanCanonical(b, ic, text) {
		return nil
	}
	*ic = invocationContext{}
	if p.scan(b, ic) {
		return nil
	}
	*ic = invocationContext{}
	return p.parseJSON(b, ic)
}

// The keys of the context JSON as the host writes it (ABI.md §3), with the punctuation around
// them.
const (
	canonicalRequestID = `{"requestId":"`
	canonicalDeadline  = `","deadlineMs":`
	canonicalArn       = `,"invokedFunctionArn":"`
	canonicalTraceID   = `","traceId":"`
	canonicalEnd       = `"}`
)

// scanCanonical is the fastest path, for the context exactly as the host writes it: the four
// keys in order, no white space, plain strings. It reports false, leaving ic unchanged, for
// anything else. In wasm, where every byte and every call counts, it costs a fraction of scan.
func (p *contextParser) scanCanonical(b []byte, ic *invocationContext, text *contextText) bool {
	if !hasPrefixAt(b, 0, canonicalRequestID) {
		return false
	}
	start := len(canonicalRequestID)
	i := plainEnd(b, start)
	requestID := b[start:i]
	if !hasPrefixAt(b, i, canonicalDeadline) {
		return false
	}
	deadline, i, ok := scanInt(b, i+len(canonicalDeadline))
	if !ok || !hasPrefixAt(b, i, canonicalArn) {
		return false
	}
	var idBuf, traceBuf []byte
	if text != nil {
		idBuf, traceBuf = text.requestID[:], text.traceID[:]
	}
	arn, i, ok := scanCanonicalString(b, i+len(canonicalArn), &p.arn, nil)
	if !ok || !hasPrefixAt(b, i, canonicalTraceID) {
		return false
	}
	traceID, i, ok := scanCanonicalString(b, i+len(canonicalTraceID), &p.traceID, traceBuf)
	if !ok || i+len(canonicalEnd) != len(b) || !hasPrefixAt(b, i, canonicalEnd) {
		return false
	}
	*ic = invocationContext{
		requestID:          stringIn(requestID, idBuf),
		deadlineMs:         deadline,
		invokedFunctionArn: arn,
		traceID:            traceID,
	}
	return true
}

// stringIn is string(b), in buf if b fits (buf is never written again).
func stringIn(b, buf []byte) string {
	if len(b) == 0 || len(b) > len(buf) {
		return string(b)
	}
	return unsafe.String(&buf[0], copy(buf, b))
}

// hasPrefixAt reports whether b[i:] starts with prefix.
func hasPrefixAt(b []byte, i int, prefix string) bool {
	return equalAt(b, i, unsafe.Slice(unsafe.StringData(prefix), len(prefix)))
}

// scanCanonicalString reads plain string contents at b[i] up to the closing quote (not
// consumed). It returns *last when they are the same (no allocation); otherwise they become
// *last, in buf if they fit.
func scanCanonicalString(b []byte, i int, last *string, buf []byte) (string, int, bool) {
	if n := len(*last); i+n < len(b) && b[i+n] == '"' && equalAt(b, i, unsafe.Slice(unsafe.StringData(*last), n)) {
		return *last, i + n, true
	}
	start := i
	if i = plainEnd(b, i); i >= len(b) || b[i] != '"' {
		return "", i, false
	}
	*last = stringIn(b[start:i], buf)
	return *last, i, true
}

// plainEnd returns the index of the first byte at or after b[i] that is not plain (len(b) if
// none). It tests eight bytes at a time: a byte at a time costs several nanoseconds in wasm.
func plainEnd(b []byte, i int) int {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	for ; i+8 <= len(b); i += 8 {
		x := binary.LittleEndian.Uint64(b[i:])
		q := x ^ (ones * '"')
		s := x ^ (ones * '\\')
		// A byte >= 0x80, < 0x20, '"' or '\\' sets its high bit in bad (the usual "has a zero
		// byte" and "has a byte less than n" tests; the latter is exact for bytes < 0x80).
		if bad := x | ((x - ones*0x20) &^ x) | ((q - ones) &^ q) | ((s - ones) &^ s); bad&highs != 0 {
			break
		}
	}
	for i < len(b) && plain[b[i]] {
		i++
	}
	return i
}

// equalAt reports whether b[i:] starts with s, comparing eight bytes at a time (memequal goes a
// byte at a time in wasm). s is only read.
func equalAt(b []byte, i int, s []byte) bool {
	if i < 0 || i > len(b) || len(b)-i < len(s) {
		return false
	}
	b = b[i : i+len(s)]
	for len(s) >= 8 {
		if binary.LittleEndian.Uint64(b) != binary.LittleEndian.Uint64(s) {
			return false
		}
		b, s = b[8:], s[8:]
	}
	for j := range s {
		if b[j] != s[j] {
			return false
		}
	}
	return true
}

// scan is the fast path. It reports false, leaving ic partly filled, for anything it does not
// handle; the caller then uses parseJSON.
func (p *contextParser) scan(b []byte, ic *invocationContext) bool {
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		return false
	}
	haveDeadline := false
	for i++; ; i++ {
		key, j, ok := scanKey(b, skipSpace(b, i))
		if !ok {
			return false
		}
		i = skipSpace(b, j)
		if i >= len(b) || b[i] != ':' {
			return false
		}
		i = skipSpace(b, i+1)
		switch string(key) {
		case "requestId":
			var s []byte
			if s, i, ok = scanString(b, i); !ok {
				return false
			}
			ic.requestID = string(s)
		case "invokedFunctionArn":
			if ic.invokedFunctionArn, i, ok = scanKnownString(b, i, &p.arn); !ok {
				return false
			}
		case "traceId":
			if ic.traceID, i, ok = scanKnownString(b, i, &p.traceID); !ok {
				return false
			}
		case "deadlineMs":
			if ic.deadlineMs, i, ok = scanInt(b, i); !ok {
				return false
			}
			haveDeadline = true
		default:
			return false
		}
		i = skipSpace(b, i)
		if i >= len(b) {
			return false
		}
		if b[i] == '}' {
			return haveDeadline && skipSpace(b, i+1) == len(b)
		}
		if b[i] != ',' {
			return false
		}
	}
}

// scanKnownString is scanString for a value that is usually *last: it compares before it scans,
// and returns *last (no allocation) when the value is the same.
func scanKnownString(b []byte, i int, last *string) (string, int, bool) {
	if n := len(*last); i+n+1 < len(b) && b[i] == '"' && b[i+n+1] == '"' && string(b[i+1:i+n+1]) == *last {
		return *last, i + n + 2, true
	}
	s, j, ok := scanString(b, i)
	if !ok {
		return "", i, false
	}
	return intern(last, s), j, true
}

// intern returns string(s), reusing *last when it holds the same text.
func intern(last *string, s []byte) string {
	if string(s) != *last {
		*last = string(s)
	}
	return *last
}

// internDecoded is intern for a string that encoding/json decoded. It becomes the last value only
// if it is plain: the fast paths compare raw JSON bytes with the last value, which an escaped
// string would match wrongly (the value a"b against the invalid JSON "a"b").
func internDecoded(last *string, s string) string {
	if s == *last {
		return *last
	}
	if plainEnd(unsafe.Slice(unsafe.StringData(s), len(s)), 0) == len(s) {
		*last = s
	}
	return s
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// scanKey reads the object key at b[i]: the bytes between its quotes, and the index after the
// closing quote. It does not check them: the caller compares them with the keys it knows, which
// an escaped or otherwise unusual key never equals.
func scanKey(b []byte, i int) ([]byte, int, bool) {
	if i >= len(b) || b[i] != '"' {
		return nil, i, false
	}
	n := bytes.IndexByte(b[i+1:], '"')
	if n < 0 {
		return nil, i, false
	}
	return b[i+1 : i+1+n], i + n + 2, true
}

// plain marks the bytes a string may hold on the fast path: printable ASCII other than '"' and
// '\\'. Escapes, control characters and non-ASCII text are left to encoding/json (which, for
// one, replaces invalid UTF-8).
var plain = func() (t [256]bool) {
	for c := 0x20; c < 0x80; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// scanString reads a JSON string of plain bytes at b[i] and returns its contents and the index
// after its closing quote.
func scanString(b []byte, i int) ([]byte, int, bool) {
	s, j, ok := scanKey(b, i)
	if !ok {
		return nil, i, false
	}
	for _, c := range s {
		if !plain[c] {
			return nil, i, false
		}
	}
	return s, j, true
}

// scanInt reads a JSON integer of at most 18 digits at b[i].
func scanInt(b []byte, i int) (int64, int, bool) {
	neg := i < len(b) && b[i] == '-'
	if neg {
		i++
	}
	start := i
	var n int64
	for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
		n = n*10 + int64(b[i]-'0')
	}
	digits := i - start
	if digits == 0 || digits > 18 || (digits > 1 && b[start] == '0') {
		return 0, i, false
	}
	if i < len(b) && (b[i] == '.' || b[i] == 'e' || b[i] == 'E') {
		return 0, i, false
	}
	if neg {
		n = -n
	}
	return n, i, true
}

// contextJSON is the context object as encoding/json reads it.
type contextJSON struct {
	RequestID          string          `json:"requestId"`
	DeadlineMs         json.RawMessage `json:"deadlineMs"`
	InvokedFunctionArn string          `json:"invokedFunctionArn"`
	TraceID            string          `json:"traceId"`
	ClientContext      json.RawMessage `json:"clientContext"`
	CognitoIdentity    json.RawMessage `json:"cognitoIdentity"`
	TenantID           string          `json:"tenantId"`
}

func (p *contextParser) parseJSON(b []byte, ic *invocationContext) error {
	var c contextJSON
	if err := json.Unmarshal(b, &c); err != nil {
		return fmt.Errorf("failed to parse invocation context: %v", err)
	}
	if len(c.DeadlineMs) == 0 || string(c.DeadlineMs) == "null" {
		return errors.New("failed to parse deadline: the invocation context has no deadlineMs")
	}
	ms, err := strconv.ParseInt(string(c.DeadlineMs), 10, 64)
	if err != nil {
		return fmt.Errorf("failed to parse deadline: %v", err)
	}
	*ic = invocationContext{
		requestID:          c.RequestID,
		deadlineMs:         ms,
		invokedFunctionArn: internDecoded(&p.arn, c.InvokedFunctionArn),
		traceID:            internDecoded(&p.traceID, c.TraceID),
		clientContext:      nonNull(c.ClientContext),
		cognitoIdentity:    nonNull(c.CognitoIdentity),
		tenantID:           c.TenantID,
	}
	return nil
}

func nonNull(raw json.RawMessage) []byte {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	return raw
}

// fillLambdaContext sets lc from the invocation context.
func (ic *invocationContext) fillLambdaContext(lc *lambdacontext.LambdaContext) error {
	*lc = lambdacontext.LambdaContext{
		AwsRequestID:       ic.requestID,
		InvokedFunctionArn: ic.invokedFunctionArn,
		TenantID:           ic.tenantID,
	}
	if ic.cognitoIdentity != nil {
		if err := json.Unmarshal(ic.cognitoIdentity, &lc.Identity); err != nil {
			return fmt.Errorf("failed to unmarshal cognito identity json: %v", err)
		}
	}
	if ic.clientContext != nil {
		cc, err := parseClientContext(ic.clientContext)
		if err != nil {
			return fmt.Errorf("failed to unmarshal client context json: %v", err)
		}
		lc.ClientContext = cc
	}
	return nil
}

// parseClientContext decodes a client context; a custom value that is not a string keeps its
// JSON text.
func parseClientContext(raw []byte) (lambdacontext.ClientContext, error) {
	var c struct {
		Client lambdacontext.ClientApplication `json:"client"`
		Env    map[string]string               `json:"env"`
		Custom map[string]json.RawMessage      `json:"custom"`
	}
	if err := json.Unmarshal(raw, &c); err != nil {
		return lambdacontext.ClientContext{}, err
	}
	cc := lambdacontext.ClientContext{Client: c.Client, Env: c.Env}
	if c.Custom != nil {
		cc.Custom = make(map[string]string, len(c.Custom))
		for k, v := range c.Custom {
			var s string
			if len(v) > 0 && v[0] == '"' && json.Unmarshal(v, &s) == nil {
				cc.Custom[k] = s
			} else {
				cc.Custom[k] = string(v)
			}
		}
	}
	return cc, nil
}
