package execenv

import (
	"bytes"
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/wasmap/wasmap/abi"
)

// The log stream (Queue.Log) and the platform's telemetry records (reference §5.3, §6).
//
// Text format (Lambda's default), one line per CloudWatch event:
//
//	EXTENSION⇥Name: telemetry⇥State: Ready⇥Events: [INVOKE, SHUTDOWN]      end of INIT, per extension
//	TELEMETRY⇥Name: telemetry⇥State: Subscribed⇥Types: [Platform]           end of INIT, per subscription
//	INIT_REPORT Init Duration: 12.34 ms⇥Phase: init⇥Status: error⇥Error Type: Extension.Crash   (failures only)
//	START RequestId: <id> Version: $LATEST
//	<the function's and the extensions' lines, as written>
//	END RequestId: <id>
//	REPORT RequestId: <id>⇥Duration: 1.23 ms⇥Billed Duration: 2 ms⇥Memory Size: 128 MB⇥Max Memory Used: 3 MB⇥[Init Duration: 4.56 ms⇥][Status: timeout⇥ | Status: error⇥Error Type: <type>⇥]
//
// JSON format: the platform's lines become telemetry events, {"time","type","record"}, as at
// Lambda's default system level INFO: platform.initStart, platform.extension,
// platform.telemetrySubscription, platform.start, platform.report, and platform.initReport for
// a failed INIT. The function's and extensions' lines pass through as written (a custom
// runtime's output is not re-encoded); the function's log import writes JSON records.

// flushBytes is how much of the stream gathers before Queue.Log gets it mid-phase.
const flushBytes = 64 << 10

// maxLineBytes splits a longer line (Lambda's 256 KiB record limit).
const maxLineBytes = 256 << 10

// flush hands the gathered stream to Queue.Log. Called with mu held (when shared).
func (lc *lifecycle) flush() {
	if lc.logFn != nil && len(lc.chunk) > 0 {
		lc.logFn(lc.e.id, lc.e.stream, lc.chunk)
		lc.chunk = lc.chunk[:0]
	}
}

// flushCarries ends every unfinished line.
func (lc *lifecycle) flushCarries() {
	if len(lc.fnCarry) > 0 {
		lc.line(nil, lc.fnCarry)
		lc.fnCarry = lc.fnCarry[:0]
	}
	for _, x := range lc.exts {
		if len(x.carry) > 0 {
			lc.line(x, x.carry)
			x.carry = x.carry[:0]
		}
	}
}

// functionLog takes the function's stdout and stderr (and its log import).
func (lc *lifecycle) functionLog(p []byte) {
	lc.lock()
	if lc.logFn != nil || lc.wantEvents() {
		lc.lines(&lc.fnCarry, p, nil)
	}
	lc.unlock()
}

// lines splits p into whole lines, keeping an unfinished one in *carry, and emits each as
// the function's (x nil) or extension x's.
func (lc *lifecycle) lines(carry *[]byte, p []byte, x *extInstance) {
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			*carry = append(*carry, p...)
			if len(*carry) >= maxLineBytes {
				lc.line(x, *carry)
				*carry = (*carry)[:0]
			}
			return
		}
		line := p[:i]
		if len(*carry) > 0 {
			*carry = append(*carry, line...)
			line = *carry
		}
		lc.line(x, line)
		*carry = (*carry)[:0]
		p = p[i+1:]
	}
}

// line emits one log line: to the stream as written, and to telemetry as a function or
// extension record.
func (lc *lifecycle) line(x *extInstance, line []byte) {
	if lc.logFn != nil {
		lc.chunk = append(append(lc.chunk, line...), '\n')
		if len(lc.chunk) >= flushBytes {
			lc.flush()
		}
	}
	if lc.wantEvents() {
		kind, typ := tFunction, "function"
		if x != nil {
			kind, typ = tExtension, "extension"
		}
		lc.rec = appendLogRecord(lc.rec[:0], line, lc.json)
		lc.emit(typ, kind, true, false)
	}
}

// appendLogRecord renders a log line as a telemetry record: a JSON string, or with the JSON
// format a line that is a JSON object as itself.
func appendLogRecord(b, line []byte, jsonFormat bool) []byte {
	if jsonFormat {
		if t := bytes.TrimSpace(line); len(t) > 0 && t[0] == '{' && json.Valid(t) {
			return append(b, t...)
		}
	}
	return appendJSONString(b, string(line))
}

// wants reports where a platform event goes: to telemetry, to the JSON stream (when inStream).
func (lc *lifecycle) wants(inStream bool) (tele, stream bool) {
	return lc.wantEvents(), inStream && lc.json && lc.logFn != nil
}

// emit wraps lc.rec as the record of an event of type typ, now, and hands it out.
func (lc *lifecycle) emit(typ string, kind uint8, tele, stream bool) {
	b := append(lc.scratch[:0], `{"time":"`...)
	b = appendTime(b, time.Now())
	b = append(b, `","type":"`...)
	b = append(b, typ...)
	b = append(b, `","record":`...)
	b = append(b, lc.rec...)
	b = append(b, '}')
	lc.scratch = b
	if tele {
		lc.publish(kind, b)
	}
	if stream {
		lc.chunk = append(append(lc.chunk, b...), '\n')
	}
}

func appendTime(b []byte, t time.Time) []byte {
	return t.UTC().AppendFormat(b, "2006-01-02T15:04:05.000Z")
}

// appendMs appends d in milliseconds with prec decimals.
func appendMs(b []byte, d time.Duration, prec int) []byte {
	return strconv.AppendFloat(b, float64(d)/1e6, 'f', prec, 64)
}

// appendJSONString appends s as a JSON string; invalid UTF-8 becomes U+FFFD.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&15])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i++
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

const initHead = `{"initializationType":"on-demand","phase":"init"`

// emitInitStart: platform.initStart.
func (lc *lifecycle) emitInitStart() {
	tele, stream := lc.wants(true)
	if !tele && !stream {
		return
	}
	b := append(lc.rec[:0], initHead...)
	b = append(b, `,"functionName":`...)
	b = appendJSONString(b, lc.f.cfg.Name)
	b = append(b, `,"functionVersion":"$LATEST","instanceId":`...)
	b = appendJSONString(b, lc.e.stream)
	b = append(b, `,"instanceMaxMemory":`...)
	b = strconv.AppendInt(b, int64(lc.f.cfg.MemoryMB)<<20, 10)
	lc.rec = append(b, '}')
	lc.emit("platform.initStart", tPlatform, tele, stream)
}

// appendStatus appends ,"status":s and ,"errorType":t when t is set.
func appendStatus(b []byte, status, errType string) []byte {
	b = append(b, `,"status":"`...)
	b = append(b, status...)
	b = append(b, '"')
	if errType != "" {
		b = append(b, `,"errorType":`...)
		b = appendJSONString(b, errType)
	}
	return b
}

// emitInitRuntimeDone: platform.initRuntimeDone.
func (lc *lifecycle) emitInitRuntimeDone(status, errType string) {
	tele, _ := lc.wants(false)
	if !tele {
		return
	}
	b := append(lc.rec[:0], initHead...)
	lc.rec = append(appendStatus(b, status, errType), '}')
	lc.emit("platform.initRuntimeDone", tPlatform, true, false)
}

// emitInitReport: platform.initReport; in the stream, INIT_REPORT for a failed INIT only.
func (lc *lifecycle) emitInitReport(status, errType string, d time.Duration) {
	tele, stream := lc.wants(status != "success")
	if tele || stream {
		b := append(lc.rec[:0], initHead...)
		b = appendStatus(b, status, errType)
		b = append(b, `,"metrics":{"durationMs":`...)
		b = appendMs(b, d, 3)
		lc.rec = append(b, `}}`...)
		lc.emit("platform.initReport", tPlatform, tele, stream)
	}
	if status != "success" && lc.logFn != nil && !lc.json {
		b := append(lc.chunk, "INIT_REPORT Init Duration: "...)
		b = appendMs(b, d, 2)
		b = append(b, " ms\tPhase: init\tStatus: "...)
		b = append(b, status...)
		if errType != "" {
			b = append(b, "\tError Type: "...)
			b = append(b, errType...)
		}
		lc.chunk = append(b, '\n')
	}
}

// emitExtensionStates: platform.extension per extension and platform.telemetrySubscription
// per subscription, at the end of INIT; EXTENSION and TELEMETRY lines in the stream.
func (lc *lifecycle) emitExtensionStates() {
	tele, stream := lc.wants(true)
	text := lc.logFn != nil && !lc.json
	for _, x := range lc.exts {
		name := x.name
		if name == "" {
			name = x.ce.name
		}
		var events []string
		if x.events&evInvoke != 0 {
			events = append(events, abi.EventInvoke)
		}
		if x.events&evShutdown != 0 {
			events = append(events, abi.EventShutdown)
		}
		if tele || stream {
			b := append(lc.rec[:0], `{"name":`...)
			b = appendJSONString(b, name)
			b = append(b, `,"state":"`...)
			b = append(b, x.state.String()...)
			b = append(b, `","events":[`...)
			for i, ev := range events {
				if i > 0 {
					b = append(b, ',')
				}
				b = appendJSONString(b, ev)
			}
			b = append(b, ']')
			if x.errType != "" {
				b = append(b, `,"errorType":`...)
				b = appendJSONString(b, x.errType)
			}
			lc.rec = append(b, '}')
			lc.emit("platform.extension", tPlatform, tele, stream)
		}
		if text {
			lc.chunk = append(lc.chunk, "EXTENSION\tName: "+name+"\tState: "+x.state.String()+"\tEvents: ["+strings.Join(events, ", ")+"]\n"...)
		}
	}
	for _, s := range lc.subs {
		name := s.x.name
		if tele || stream {
			b := append(lc.rec[:0], `{"name":`...)
			b = appendJSONString(b, name)
			b = append(b, `,"state":"Subscribed","types":[`...)
			for i, t := range s.typeNames {
				if i > 0 {
					b = append(b, ',')
				}
				b = appendJSONString(b, t)
			}
			lc.rec = append(b, `]}`...)
			lc.emit("platform.telemetrySubscription", tPlatform, tele, stream)
		}
		if text {
			types := slices.Clone(s.typeNames)
			for i, t := range types {
				types[i] = strings.ToUpper(t[:1]) + t[1:]
			}
			lc.chunk = append(lc.chunk, "TELEMETRY\tName: "+name+"\tState: Subscribed\tTypes: ["+strings.Join(types, ", ")+"]\n"...)
		}
	}
}

// appendTracing appends ,"tracing":{…} for the invocation's trace header.
func (lc *lifecycle) appendTracing(b []byte) []byte {
	trace := traceOf(lc.e.ctxJSON) // the current invocation's, until the next begins
	if len(trace) == 0 {
		return b
	}
	b = append(b, `,"tracing":{"type":"X-Amzn-Trace-Id","value":"`...)
	b = append(b, trace...)
	return append(b, `"}`...)
}

// emitStart: platform.start, and START in the text stream.
func (lc *lifecycle) emitStart() {
	inv := &lc.inv
	if tele, stream := lc.wants(true); tele || stream {
		b := append(lc.rec[:0], `{"requestId":"`...)
		b = append(b, inv.requestID...)
		b = append(b, `","functionArn":`...)
		b = append(b, lc.f.arnJSON...)
		b = append(b, `,"version":"$LATEST"`...)
		b = lc.appendTracing(b)
		lc.rec = append(b, '}')
		lc.emit("platform.start", tPlatform, tele, stream)
	}
	if lc.logFn != nil && !lc.json {
		b := append(lc.chunk, "START RequestId: "...)
		b = append(b, inv.requestID...)
		lc.chunk = append(b, " Version: $LATEST\n"...)
	}
}

// emitRuntimeDone: platform.runtimeDone, when the function is back in next (or has ended).
func (lc *lifecycle) emitRuntimeDone() {
	tele, _ := lc.wants(false)
	if !tele {
		return
	}
	inv := &lc.inv
	b := append(lc.rec[:0], `{"requestId":"`...)
	b = append(b, inv.requestID...)
	b = append(b, '"')
	status, typ := inv.status, inv.errType
	if status == "" {
		status = "success"
	}
	b = appendStatus(b, status, typ)
	b = lc.appendTracing(b)
	if inv.answered && inv.status == "success" {
		b = append(b, `,"spans":[{"name":"responseLatency","start":"`...)
		b = appendTime(b, inv.start)
		b = append(b, `","durationMs":`...)
		b = appendMs(b, inv.responded.Sub(inv.start), 3)
		b = append(b, `},{"name":"responseDuration","start":"`...)
		b = appendTime(b, inv.responded)
		b = append(b, `","durationMs":0.0}]`...)
	}
	b = append(b, `,"metrics":{"durationMs":`...)
	b = appendMs(b, inv.doneAt.Sub(inv.start), 3)
	b = append(b, `,"producedBytes":`...)
	b = strconv.AppendInt(b, int64(inv.produced), 10)
	lc.rec = append(b, `}}`...)
	lc.emit("platform.runtimeDone", tPlatform, true, false)
}

// reportInvocation ends the invocation's phase at end: platform.report, END and REPORT,
// the stream handed to Queue.Log, the Report to Queue.Report. freeze: the environment then
// waits for work, frozen.
func (lc *lifecycle) reportInvocation(end time.Time, post time.Duration, freeze bool) {
	inv := &lc.inv
	if !inv.active {
		return
	}
	inv.active = false
	if lf := lc.failed(); lf != nil && inv.status == "success" {
		inv.status, inv.errType, inv.recycled = lf.status, lf.err.Type, true
	}
	if inv.status == "" {
		inv.status = "success"
	}
	if inv.status == "timeout" {
		inv.errType = ""
	}
	if inv.doneAt.IsZero() {
		inv.doneAt = end
	}
	dur := end.Sub(inv.start)
	var initDur time.Duration
	if inv.cold {
		initDur = inv.initDur
	}
	billedMs := int64(math.Ceil(float64(dur+initDur) / 1e6))
	mem := lc.memoryUsed()
	memMB := (mem + (1 << 20) - 1) >> 20
	lc.lock()
	if len(lc.fnCarry) > 0 {
		lc.line(nil, lc.fnCarry)
		lc.fnCarry = lc.fnCarry[:0]
	}
	if tele, stream := lc.wants(true); tele || stream {
		b := append(lc.rec[:0], `{"requestId":"`...)
		b = append(b, inv.requestID...)
		b = append(b, `","metrics":{"durationMs":`...)
		b = appendMs(b, dur, 3)
		b = append(b, `,"billedDurationMs":`...)
		b = strconv.AppendInt(b, billedMs, 10)
		b = append(b, `,"memorySizeMB":`...)
		b = strconv.AppendInt(b, int64(lc.f.cfg.MemoryMB), 10)
		b = append(b, `,"maxMemoryUsedMB":`...)
		b = strconv.AppendUint(b, memMB, 10)
		if inv.cold {
			b = append(b, `,"initDurationMs":`...)
			b = appendMs(b, initDur, 3)
		}
		b = append(b, '}')
		b = appendStatus(b, inv.status, inv.errType)
		if lc.invokeExts {
			b = append(b, `,"spans":[{"name":"extensionOverhead","start":"`...)
			b = appendTime(b, inv.doneAt)
			b = append(b, `","durationMs":`...)
			b = appendMs(b, post, 3)
			b = append(b, `}]`...)
		}
		lc.rec = append(b, '}')
		lc.emit("platform.report", tPlatform, tele, stream)
	}
	if lc.logFn != nil && !lc.json {
		b := append(lc.chunk, "END RequestId: "...)
		b = append(b, inv.requestID...)
		b = append(b, "\nREPORT RequestId: "...)
		b = append(b, inv.requestID...)
		b = append(b, "\tDuration: "...)
		b = appendMs(b, dur, 2)
		b = append(b, " ms\tBilled Duration: "...)
		b = strconv.AppendInt(b, billedMs, 10)
		b = append(b, " ms\tMemory Size: "...)
		b = strconv.AppendInt(b, int64(lc.f.cfg.MemoryMB), 10)
		b = append(b, " MB\tMax Memory Used: "...)
		b = strconv.AppendUint(b, memMB, 10)
		b = append(b, " MB\t"...)
		if inv.cold {
			b = append(b, "Init Duration: "...)
			b = appendMs(b, initDur, 2)
			b = append(b, " ms\t"...)
		}
		if inv.recycled {
			if inv.status == "timeout" {
				b = append(b, "Status: timeout\t"...)
			} else {
				b = append(b, "Status: error\tError Type: "...)
				b = append(b, inv.errType...)
				b = append(b, '\t')
			}
		}
		lc.chunk = append(b, '\n')
	}
	lc.flush()
	if freeze {
		lc.frozen = true
	}
	lc.unlock()
	if lc.reportFn != nil {
		lc.report = Report{Env: lc.e.id, LogStream: lc.e.stream, RequestID: inv.requestID, Index: inv.index, Ref: inv.ref,
			Start: inv.start, RuntimeDuration: inv.doneAt.Sub(inv.start), PostRuntimeExtensionsDuration: post,
			Duration: dur, BilledDuration: time.Duration(billedMs) * time.Millisecond, ColdStart: inv.cold,
			InitDuration: initDur, MemorySizeMB: lc.f.cfg.MemoryMB, MaxMemoryUsed: mem,
			Status: inv.status, ErrorType: inv.errType}
		lc.reportFn(&lc.report)
	}
	inv.ref = nil
}

// jsonLogRecord renders a log import record in the JSON format, as Lambda's runtimes write
// them: {"timestamp","level","requestId","message"} and a newline.
func (e *environment) jsonLogRecord(level int32, msg []byte) []byte {
	msg = bytes.TrimSuffix(msg, []byte("\n"))
	b := append(make([]byte, 0, len(msg)+128), `{"timestamp":"`...)
	b = appendTime(b, time.Now())
	b = append(b, `","level":"`...)
	b = append(b, strings.Trim(levelNames[level], "[] ")...)
	b = append(b, '"')
	if e.cur != nil {
		b = append(b, `,"requestId":"`...)
		b = append(b, e.cur.RequestID...)
		b = append(b, '"')
	}
	b = append(b, `,"message":`...)
	b = appendJSONString(b, string(msg))
	return append(b, "}\n"...)
}
