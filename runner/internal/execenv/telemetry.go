package execenv

import (
	"strconv"
	"time"

	"github.com/wasmap/wasmap/abi"
)

// The Telemetry API (abi/ABI.md §10). Events are rendered once, in Lambda's schema
// ({"time","type","record"}), and copied into the buffer of every subscription whose types
// take them. A subscriber pulls batches: wasmap_telemetry_v1.next returns one when the
// buffering limits say it is due (maxItems events, maxBytes bytes, or the oldest event
// timeoutMs old), and only while the environment is not frozen (between invocations Lambda
// freezes the sandbox, and nothing is delivered); from SHUTDOWN on, whatever is buffered is due
// at once. Subscribers that fall behind lose events, counted in platform.logsDropped.

// Telemetry types, as bits of a subscription's types.
const (
	tPlatform uint8 = 1 << iota
	tFunction
	tExtension
)

// dropFactor bounds a subscription's buffer: past dropFactor times its maxItems or maxBytes,
// new events are dropped.
const dropFactor = 4

// maxInitEventBytes bounds the events kept during INIT for subscriptions still to come.
const maxInitEventBytes = 1 << 20

// eventQueue holds rendered events in order, in one buffer.
type eventQueue struct {
	buf   []byte
	ends  []int   // each event's end in buf
	at    []int64 // each event's arrival, ns since the environment's base
	kinds []uint8
}

func (q *eventQueue) len() int { return len(q.ends) }

func (q *eventQueue) push(ev []byte, kind uint8, at int64) {
	q.buf = append(q.buf, ev...)
	q.ends = append(q.ends, len(q.buf))
	q.at = append(q.at, at)
	q.kinds = append(q.kinds, kind)
}

// event returns the i-th event; valid until the queue changes.
func (q *eventQueue) event(i int) []byte {
	start := 0
	if i > 0 {
		start = q.ends[i-1]
	}
	return q.buf[start:q.ends[i]]
}

// drop removes the first n events.
func (q *eventQueue) drop(n int) {
	if n == 0 {
		return
	}
	cut := q.ends[n-1]
	q.buf = q.buf[:copy(q.buf, q.buf[cut:])]
	q.ends = q.ends[:copy(q.ends, q.ends[n:])]
	for i := range q.ends {
		q.ends[i] -= cut
	}
	q.at = q.at[:copy(q.at, q.at[n:])]
	q.kinds = q.kinds[:copy(q.kinds, q.kinds[n:])]
}

// subscription is an extension's telemetry subscription. Guarded by lifecycle.mu.
type subscription struct {
	x         *extInstance
	types     uint8
	typeNames []string
	maxItems  int
	maxBytes  int
	timeout   int64 // ns

	q            eventQueue
	dropRecords  int
	dropBytes    int
	subscribedAt time.Time
}

// add buffers an event the subscription takes, or counts it dropped when the buffer is full,
// and wakes the subscriber when a batch may have become due.
func (s *subscription) add(ev []byte, kind uint8, at int64) {
	if s.types&kind == 0 {
		return
	}
	if s.q.len() >= dropFactor*s.maxItems || len(s.q.buf)+len(ev) > dropFactor*s.maxBytes {
		s.dropRecords++
		s.dropBytes += len(ev)
		return
	}
	s.q.push(ev, kind, at)
	if n := s.q.len(); n == 1 || n == s.maxItems || len(s.q.buf) >= s.maxBytes {
		s.x.poke()
	}
}

// due reports whether a batch is due now.
func (s *subscription) due(lc *lifecycle, now int64) bool {
	if s.q.len() == 0 || (lc.frozen && !lc.shutting) {
		return false
	}
	return lc.shutting || s.q.len() >= s.maxItems || len(s.q.buf) >= s.maxBytes || now-s.q.at[0] >= s.timeout
}

// untilDue returns how long until the buffered events are due by age, if they will be.
func (s *subscription) untilDue(lc *lifecycle, now int64) (int64, bool) {
	if s.q.len() == 0 || (lc.frozen && !lc.shutting) {
		return 0, false
	}
	return max(s.q.at[0]+s.timeout-now, 1), true
}

// take renders the next batch, a JSON array, into dst and removes its events: at most
// maxItems events, and events only while the batch is under maxBytes (so a batch exceeds
// maxBytes by less than one event). A platform.logsDropped event comes first when events were
// dropped and the subscription takes platform events.
func (s *subscription) take(lc *lifecycle, dst []byte, now int64) []byte {
	dst = append(dst, '[')
	n, items, size := 0, 0, 0
	if s.dropRecords > 0 {
		if s.types&tPlatform != 0 {
			start := len(dst)
			dst = append(dst, `{"time":"`...)
			dst = appendTime(dst, lc.e.base.Add(time.Duration(now)))
			dst = append(dst, `","type":"platform.logsDropped","record":{"reason":"Consumer seems to have fallen behind as it has not acknowledged receipt of logs.","droppedRecords":`...)
			dst = strconv.AppendInt(dst, int64(s.dropRecords), 10)
			dst = append(dst, `,"droppedBytes":`...)
			dst = strconv.AppendInt(dst, int64(s.dropBytes), 10)
			dst = append(dst, `}}`...)
			items, size = 1, len(dst)-start
		}
		s.dropRecords, s.dropBytes = 0, 0
	}
	for n < s.q.len() && items < s.maxItems && size < s.maxBytes {
		ev := s.q.event(n)
		if items > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, ev...)
		size += len(ev)
		items++
		n++
	}
	s.q.drop(n)
	return append(dst, ']')
}

// wantEvents reports whether events must be rendered for telemetry: there is a subscriber,
// or INIT is open and an extension may still subscribe. Called with mu held (when shared).
func (lc *lifecycle) wantEvents() bool { return len(lc.subs) > 0 || (lc.initOpen && lc.shared) }

// publish hands a rendered event to the subscribers, and keeps it for later ones during INIT.
func (lc *lifecycle) publish(kind uint8, ev []byte) {
	now := lc.e.now()
	if lc.initOpen && lc.shared && len(lc.initEvents.buf)+len(ev) <= maxInitEventBytes {
		lc.initEvents.push(ev, kind, now)
	}
	for _, s := range lc.subs {
		s.add(ev, kind, now)
	}
}

// thaw lets telemetry flow again (an invocation starts) and wakes the subscribers.
func (lc *lifecycle) thaw() {
	lc.frozen = false
	for _, s := range lc.subs {
		if s.q.len() > 0 {
			s.x.poke()
		}
	}
}

// subscribe validates and applies a subscription request. It returns the errno and the
// Lambda error to refuse it with, or 0. Called with mu held.
func (lc *lifecycle) subscribe(x *extInstance, req *abi.TelemetrySubscription) (abi.Errno, string, string) {
	if !x.state.isRegistered() {
		return abi.EPERM, abi.ErrExtensionUnknownExtensionIdentifier, "Unknown extension " + x.ce.name + ": it has not registered"
	}
	if !lc.initOpen {
		return abi.EPERM, abi.ErrTelemetrySubscriptionClosed, "Telemetry API subscription is closed"
	}
	valid := false
	for _, v := range abi.TelemetrySchemaVersions {
		valid = valid || req.SchemaVersion == v
	}
	if !valid {
		return abi.EINVAL, abi.ErrTelemetryValidation, "schemaVersion " + strconv.Quote(req.SchemaVersion) + " is not one of 2022-07-01, 2022-12-13, 2025-01-29"
	}
	if len(req.Types) == 0 {
		return abi.EINVAL, abi.ErrTelemetryValidation, "types must name at least one of platform, function, extension"
	}
	var types uint8
	for _, t := range req.Types {
		switch t {
		case abi.TelemetryPlatform:
			types |= tPlatform
		case abi.TelemetryFunction:
			types |= tFunction
		case abi.TelemetryExtension:
			types |= tExtension
		default:
			return abi.EINVAL, abi.ErrTelemetryValidation, "types: " + strconv.Quote(t) + " is not one of platform, function, extension"
		}
	}
	b := abi.TelemetryBuffering{MaxItems: abi.TelemetryDefaultItems, MaxBytes: abi.TelemetryDefaultBytes, TimeoutMs: abi.TelemetryDefaultTimeoutMs}
	if r := req.Buffering; r != nil {
		if r.MaxItems != 0 {
			b.MaxItems = r.MaxItems
		}
		if r.MaxBytes != 0 {
			b.MaxBytes = r.MaxBytes
		}
		if r.TimeoutMs != 0 {
			b.TimeoutMs = r.TimeoutMs
		}
	}
	for _, c := range []struct {
		name           string
		v, least, most int
	}{
		{"buffering.maxItems", b.MaxItems, abi.TelemetryMinItems, abi.TelemetryMaxItems},
		{"buffering.maxBytes", b.MaxBytes, abi.TelemetryMinBytes, abi.TelemetryMaxBytes},
		{"buffering.timeoutMs", b.TimeoutMs, abi.TelemetryMinTimeoutMs, abi.TelemetryMaxTimeoutMs},
	} {
		if c.v < c.least || c.v > c.most {
			return abi.EINVAL, abi.ErrTelemetryValidation, c.name + " " + strconv.Itoa(c.v) + " is outside " + strconv.Itoa(c.least) + "-" + strconv.Itoa(c.most)
		}
	}
	s, fresh := x.sub, x.sub == nil
	if fresh {
		s = &subscription{x: x, subscribedAt: time.Now()}
		x.sub = s
		lc.subs = append(lc.subs, s)
	}
	s.types = types
	s.typeNames = append([]string(nil), req.Types...)
	s.maxItems, s.maxBytes, s.timeout = b.MaxItems, b.MaxBytes, int64(b.TimeoutMs)*int64(time.Millisecond)
	if fresh {
		for i := 0; i < lc.initEvents.len(); i++ { // what happened before the subscription
			s.add(lc.initEvents.event(i), lc.initEvents.kinds[i], lc.initEvents.at[i])
		}
	}
	return 0, "", ""
}
