package extension

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/wasmap/wasmap/abi"
)

// TelemetryType is a stream of telemetry an extension subscribes to.
type TelemetryType string

// The telemetry streams.
const (
	Platform      TelemetryType = abi.TelemetryPlatform  // platform.* events: INIT, invocations, reports
	FunctionLogs  TelemetryType = abi.TelemetryFunction  // the function's log lines
	ExtensionLogs TelemetryType = abi.TelemetryExtension // the extensions' log lines
)

// DefaultSchema is the schemaVersion of a subscription that names none.
const DefaultSchema = "2022-12-13"

const (
	platformReport  = "platform.report"
	platformInitStr = "platform.initStart"
)

// Buffering says when a batch is due: when it holds MaxItems events (1 000–10 000, default
// 10 000) or MaxBytes bytes (262 144–1 048 576, default 262 144), or its oldest event is
// TimeoutMs old (25–30 000, default 1 000). Zero fields take the defaults.
type Buffering struct {
	MaxItems  int
	MaxBytes  int
	TimeoutMs int
}

// TelemetrySubscription is a subscription request: PUT /2022-07-01/telemetry without the
// destination (batches come through NextEvent).
type TelemetrySubscription struct {
	Types     []TelemetryType
	Buffering Buffering
	// SchemaVersion is DefaultSchema when empty.
	SchemaVersion string
}

// TelemetryEvent is one event of a batch, in Lambda's telemetry schema. Record is an object
// for platform events; for log lines a JSON string (or, with the JSON log format, the line's
// own object when it is one).
type TelemetryEvent struct {
	Time   time.Time       `json:"time"`
	Type   string          `json:"type"`
	Record json.RawMessage `json:"record"`
}

// ReportMetrics are the metrics of platform.report.
type ReportMetrics struct {
	DurationMs       float64  `json:"durationMs"`
	BilledDurationMs int64    `json:"billedDurationMs"`
	MemorySizeMB     int      `json:"memorySizeMB"`
	MaxMemoryUsedMB  int      `json:"maxMemoryUsedMB"`
	InitDurationMs   *float64 `json:"initDurationMs,omitempty"` // cold starts only
}

// ReportRecord is the record of platform.report: one per invocation.
type ReportRecord struct {
	RequestID string        `json:"requestId"`
	Status    string        `json:"status"` // success, error, failure, timeout
	ErrorType string        `json:"errorType,omitempty"`
	Metrics   ReportMetrics `json:"metrics"`
}

// InitStartRecord is the record of platform.initStart: one per environment. InstanceID is
// the environment's log stream name.
type InitStartRecord struct {
	InitializationType string `json:"initializationType"`
	Phase              string `json:"phase"`
	FunctionName       string `json:"functionName"`
	FunctionVersion    string `json:"functionVersion"`
	InstanceID         string `json:"instanceId"`
	InstanceMaxMemory  int64  `json:"instanceMaxMemory"`
}

// Report decodes a platform.report event.
func (e TelemetryEvent) Report() (ReportRecord, bool) {
	var r ReportRecord
	if e.Type != platformReport || json.Unmarshal(e.Record, &r) != nil {
		return r, false
	}
	return r, true
}

// InitStart decodes a platform.initStart event.
func (e TelemetryEvent) InitStart() (InitStartRecord, bool) {
	var r InitStartRecord
	if e.Type != platformInitStr || json.Unmarshal(e.Record, &r) != nil {
		return r, false
	}
	return r, true
}

// Line returns a function or extension log record as text.
func (e TelemetryEvent) Line() (string, bool) {
	var s string
	if e.Type != abi.TelemetryFunction && e.Type != abi.TelemetryExtension {
		return "", false
	}
	if json.Unmarshal(e.Record, &s) != nil {
		return string(e.Record), true // a JSON log record
	}
	return s, true
}

// SubscribeTelemetry subscribes to telemetry (during INIT: after Register, before the first
// NextEvent), and sets the handler that gets each batch, in order, from NextEvent and
// FlushTelemetry. Events since the environment started are in the first batches. Calling it
// again replaces the subscription's types, buffering and handler.
func (c *Client) SubscribeTelemetry(s TelemetrySubscription, handle func([]TelemetryEvent)) error {
	if host == nil {
		return ErrNoHost
	}
	if handle == nil {
		return fmt.Errorf("extension subscribe: the handler is nil")
	}
	req := abi.TelemetrySubscription{SchemaVersion: s.SchemaVersion}
	if req.SchemaVersion == "" {
		req.SchemaVersion = DefaultSchema
	}
	for _, t := range s.Types {
		req.Types = append(req.Types, string(t))
	}
	if b := s.Buffering; b != (Buffering{}) {
		req.Buffering = &abi.TelemetryBuffering{MaxItems: b.MaxItems, MaxBytes: b.MaxBytes, TimeoutMs: b.TimeoutMs}
	}
	body, _ := json.Marshal(req)
	if n := host.subscribe(body); n < 0 {
		return c.refused("subscribe", abi.Errno(-n), true)
	}
	c.onBatch = handle
	return nil
}

// FlushTelemetry hands every batch still buffered to the handler. Call it after SHUTDOWN,
// when all that is buffered is due at once; before SHUTDOWN it waits for the next batch.
func (c *Client) FlushTelemetry() error {
	if host == nil {
		return ErrNoHost
	}
	if c.onBatch == nil {
		return nil
	}
	for {
		more, err := c.deliverBatch()
		if err != nil || !more {
			return err
		}
	}
}

// deliverBatch takes the due batch and hands it to the handler. It reports false when there
// is none to take (an event is waiting instead, or telemetry has ended).
func (c *Client) deliverBatch() (bool, error) {
	n := host.telemetryNext()
	switch {
	case n >= 0:
	case abi.Errno(-n) == abi.EINTR, abi.Errno(-n) == abi.ECANCELED:
		return false, nil
	default:
		return false, c.refused("telemetry_next", abi.Errno(-n), true)
	}
	b, err := c.read(true, n)
	if err != nil {
		return false, err
	}
	var batch []TelemetryEvent
	if err := json.Unmarshal(b, &batch); err != nil {
		return false, fmt.Errorf("extension telemetry batch: %w", err)
	}
	if c.onBatch != nil {
		c.onBatch(batch)
	}
	return true, nil
}
