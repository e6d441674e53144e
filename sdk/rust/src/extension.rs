//! Lambda extensions as wasmap extension modules: the guest side of the Extensions API and the
//! Telemetry API (`wasmap_extension_v1` and `wasmap_telemetry_v1`, ABI.md §9–§11), as the Go
//! SDK's `extension` package.
//!
//! An extension is a program of its own, given to a run with `wasmap run --extension EXT.wasm`.
//! Every execution environment runs one instance of it beside the function, through the
//! environment's life: it registers during INIT, then loops on [`Extension::next_event`], which
//! returns INVOKE before each invocation the extension registered for and SHUTDOWN once, when
//! the environment ends.
//!
//! ```ignore
//! use wasmap::extension::{self, EventType, Extension};
//!
//! fn main() -> Result<(), extension::Error> {
//!     let mut ext = Extension::register(&extension::name(), &[EventType::Invoke, EventType::Shutdown])?;
//!     while let Some(ev) = ext.next_event()? {
//!         match ev.event_type {
//!             EventType::Invoke => println!("invocation {} until {}", ev.request_id, ev.deadline_ms),
//!             EventType::Shutdown => println!("shutdown: {}", ev.shutdown_reason),
//!         }
//!     }
//!     Ok(())
//! }
//! ```
//!
//! # Telemetry
//!
//! [`Extension::subscribe_telemetry`] (during INIT, before the first `next_event`) subscribes to
//! the platform's events, the function's log lines and the extensions' log lines. Lambda pushes
//! batches to an HTTP listener; a wasm module has one thread, so here `next_event` itself hands
//! each batch to the subscription's handler when it is due, and goes on waiting. The environment
//! is frozen between invocations, so batches come during invocations, and the last ones after
//! SHUTDOWN: call [`Extension::flush_telemetry`] when SHUTDOWN arrives.
//!
//! # Timing
//!
//! An invocation's phase ends when the function has responded and every extension registered
//! for INVOKE is back in `next_event`: work done after INVOKE delays the environment's next
//! invocation (Lambda's PostRuntimeExtensionsDuration) but not the invocation's result. After
//! SHUTDOWN an extension has until `deadline_ms` (2 s) before it is stopped.
//!
//! An extension's stdout and stderr (`println!`, `eprintln!`) are its log lines, in the
//! environment's log stream. Object I/O ([`crate::object`]) writes under the extension's own
//! output location, `<run folder>/extensions/<name>/`.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::{json, sys};

/// An event an extension registers for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventType {
    /// Before each invocation.
    Invoke,
    /// Once, when the environment ends (external extensions only).
    Shutdown,
}

impl EventType {
    /// The name on Lambda's wire: "INVOKE", "SHUTDOWN".
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::Invoke => "INVOKE",
            EventType::Shutdown => "SHUTDOWN",
        }
    }
}

/// The shutdown reasons, lower-case as Lambda sends them (`Event::shutdown_reason`).
pub mod reason {
    /// No more work, or the run was stopped.
    pub const SPINDOWN: &str = "spindown";
    /// An invocation timed out: the environment is recycled.
    pub const TIMEOUT: &str = "timeout";
    /// A crash: the environment is recycled.
    pub const FAILURE: &str = "failure";
}

/// What `register` learns about the function.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RegisterResponse {
    pub function_name: String,
    /// `$LATEST`.
    pub function_version: String,
    pub handler: String,
}

/// An INVOKE event's X-Ray trace header.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Tracing {
    /// `X-Amzn-Trace-Id`.
    pub trace_type: String,
    pub value: String,
}

/// An event from [`Extension::next_event`], as Lambda's Extensions API sends it. An INVOKE event
/// never carries the invocation's payload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    pub event_type: EventType,
    /// Epoch milliseconds: the invocation's deadline, or the end of the shutdown budget.
    pub deadline_ms: i64,
    /// INVOKE: the invocation's request id.
    pub request_id: String,
    /// INVOKE: `arn:aws:lambda:<region>:<account>:function:<name>`.
    pub invoked_function_arn: String,
    /// INVOKE: the trace header.
    pub tracing: Option<Tracing>,
    /// SHUTDOWN: `spindown`, `timeout` or `failure` (see [`reason`]).
    pub shutdown_reason: String,
}

impl Event {
    /// `deadline_ms` as a time.
    pub fn deadline(&self) -> SystemTime {
        UNIX_EPOCH + Duration::from_millis(self.deadline_ms.max(0) as u64)
    }
}

/// A call the host refused (with Lambda's error name and message), or a response the SDK could
/// not read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    /// "register", "next", "init_error", "exit_error", "subscribe", "telemetry_next", "read".
    pub op: &'static str,
    /// The ABI's errno (`sys::errno`), 0 for an unreadable response.
    pub errno: i32,
    /// Lambda's errorType, e.g. `Extension.InvalidEventType`; may be empty.
    pub error_type: String,
    /// Lambda's errorMessage; may be empty.
    pub message: String,
}

impl Error {
    /// The errno's name: "EPERM".
    pub fn errno_name(&self) -> String {
        match sys::errno::name(self.errno) {
            "" => format!("errno {}", self.errno),
            n => n.to_owned(),
        }
    }
}

impl fmt::Display for Error {
    /// "extension register: EINVAL: Extension.InvalidEventType: FOO: ErrorInvalidEventType", as
    /// the Go SDK's Error.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "extension {}: ", self.op)?;
        if self.errno != 0 {
            write!(f, "{}", self.errno_name())?;
            if !self.error_type.is_empty() {
                write!(f, ": {}", self.error_type)?;
            }
            if !self.message.is_empty() {
                write!(f, ": {}", self.message)?;
            }
            return Ok(());
        }
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

/// The extension's name as wasmap launched it (its file name without `.wasm`, `argv[0]`):
/// registering with it makes the extension external, able to take SHUTDOWN.
pub fn name() -> String {
    let arg = std::env::args().next().unwrap_or_default();
    let base = arg.rsplit('/').next().unwrap_or("");
    base.strip_suffix(".wasm").unwrap_or(base).to_owned()
}

/// A stream of telemetry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TelemetryType {
    /// `platform.*` events: INIT, invocations, reports.
    Platform,
    /// The function's log lines.
    Function,
    /// The extensions' log lines.
    Extension,
}

impl TelemetryType {
    pub fn as_str(self) -> &'static str {
        match self {
            TelemetryType::Platform => "platform",
            TelemetryType::Function => "function",
            TelemetryType::Extension => "extension",
        }
    }
}

/// The schemaVersion of a subscription that names none.
pub const DEFAULT_SCHEMA: &str = "2022-12-13";

/// When a batch is due: when it holds `max_items` events (1 000–10 000, default 10 000) or
/// `max_bytes` bytes (262 144–1 048 576, default 262 144), or its oldest event is `timeout_ms`
/// old (25–30 000, default 1 000). Zero fields take the defaults.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Buffering {
    pub max_items: u32,
    pub max_bytes: u32,
    pub timeout_ms: u32,
}

/// A subscription request: `PUT /2022-07-01/telemetry` without the destination (batches come
/// through `next_event`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Subscription {
    pub types: Vec<TelemetryType>,
    pub buffering: Buffering,
    /// [`DEFAULT_SCHEMA`] when empty.
    pub schema_version: String,
}

impl Subscription {
    /// The request body, as the Go SDK writes it.
    fn to_json(&self) -> String {
        let schema = if self.schema_version.is_empty() { DEFAULT_SCHEMA } else { &self.schema_version };
        let mut s = String::from("{\"schemaVersion\":");
        json::push_quoted(&mut s, schema);
        s.push_str(",\"types\":[");
        for (i, t) in self.types.iter().enumerate() {
            if i > 0 {
                s.push(',');
            }
            s.push('"');
            s.push_str(t.as_str());
            s.push('"');
        }
        s.push(']');
        let b = self.buffering;
        if b != Buffering::default() {
            s.push_str(",\"buffering\":{");
            let mut sep = "";
            for (k, v) in [("maxItems", b.max_items), ("maxBytes", b.max_bytes), ("timeoutMs", b.timeout_ms)] {
                if v != 0 {
                    s.push_str(&format!("{}\"{}\":{}", sep, k, v));
                    sep = ",";
                }
            }
            s.push('}');
        }
        s.push('}');
        s
    }
}

/// One event of a telemetry batch, in Lambda's telemetry schema.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TelemetryEvent {
    /// When the host generated the event: RFC 3339, UTC, milliseconds
    /// (`2026-01-02T03:04:05.678Z`).
    pub time: String,
    /// `platform.report`, `function`, …
    pub event_type: String,
    /// The record's raw JSON: an object for platform events; for log lines a JSON string (or,
    /// with the JSON log format, the line's own object when it is one).
    pub record: String,
}

/// The metrics of `platform.report`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ReportMetrics {
    pub duration_ms: f64,
    pub billed_duration_ms: i64,
    pub memory_size_mb: i64,
    pub max_memory_used_mb: i64,
    /// Cold starts only.
    pub init_duration_ms: Option<f64>,
}

/// The record of `platform.report`: one per invocation.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ReportRecord {
    pub request_id: String,
    /// `success`, `error`, `failure`, `timeout`.
    pub status: String,
    pub error_type: String,
    pub metrics: ReportMetrics,
}

/// The record of `platform.initStart`: one per environment. `instance_id` is the environment's
/// log stream name.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct InitStartRecord {
    pub initialization_type: String,
    pub phase: String,
    pub function_name: String,
    pub function_version: String,
    pub instance_id: String,
    pub instance_max_memory: i64,
}

fn str_of(v: &[u8]) -> String {
    json::string(v).unwrap_or_default()
}

impl TelemetryEvent {
    /// Decodes a `platform.report` event.
    pub fn report(&self) -> Option<ReportRecord> {
        if self.event_type != "platform.report" {
            return None;
        }
        let mut r = ReportRecord::default();
        let ok = json::members(self.record.as_bytes(), |k, v| match k {
            b"requestId" => r.request_id = str_of(v),
            b"status" => r.status = str_of(v),
            b"errorType" => r.error_type = str_of(v),
            b"metrics" => {
                json::members(v, |k, v| match k {
                    b"durationMs" => r.metrics.duration_ms = json::float(v).unwrap_or(0.0),
                    b"billedDurationMs" => r.metrics.billed_duration_ms = json::int(v).unwrap_or(0),
                    b"memorySizeMB" => r.metrics.memory_size_mb = json::int(v).unwrap_or(0),
                    b"maxMemoryUsedMB" => r.metrics.max_memory_used_mb = json::int(v).unwrap_or(0),
                    b"initDurationMs" => r.metrics.init_duration_ms = json::float(v),
                    _ => {}
                });
            }
            _ => {}
        });
        ok.then(|| r)
    }

    /// Decodes a `platform.initStart` event.
    pub fn init_start(&self) -> Option<InitStartRecord> {
        if self.event_type != "platform.initStart" {
            return None;
        }
        let mut r = InitStartRecord::default();
        let ok = json::members(self.record.as_bytes(), |k, v| match k {
            b"initializationType" => r.initialization_type = str_of(v),
            b"phase" => r.phase = str_of(v),
            b"functionName" => r.function_name = str_of(v),
            b"functionVersion" => r.function_version = str_of(v),
            b"instanceId" => r.instance_id = str_of(v),
            b"instanceMaxMemory" => r.instance_max_memory = json::int(v).unwrap_or(0),
            _ => {}
        });
        ok.then(|| r)
    }

    /// A `function` or `extension` log record as text (a JSON log record: its JSON).
    pub fn line(&self) -> Option<String> {
        if self.event_type != "function" && self.event_type != "extension" {
            return None;
        }
        Some(json::string(self.record.as_bytes()).unwrap_or_else(|| self.record.clone()))
    }
}

type BatchHandler = Box<dyn FnMut(&[TelemetryEvent])>;

/// A registered extension. One thread, the main loop, uses it.
pub struct Extension {
    name: String,
    info: RegisterResponse,
    buf: Vec<u8>,
    tbuf: Vec<u8>,
    on_batch: Option<BatchHandler>,
}

impl Extension {
    /// Registers the extension for `events`, during INIT: `POST /extension/register`. With a
    /// name other than [`name()`] the extension is internal, and may not register for
    /// SHUTDOWN. No events at all is a telemetry-only extension, stopped without SHUTDOWN when
    /// the environment ends.
    pub fn register(name: &str, events: &[EventType]) -> Result<Extension, Error> {
        let mut body = String::from("{\"events\":[");
        for (i, e) in events.iter().enumerate() {
            if i > 0 {
                body.push(',');
            }
            body.push('"');
            body.push_str(e.as_str());
            body.push('"');
        }
        body.push_str("]}");
        let mut x = Extension { name: name.to_owned(), info: RegisterResponse::default(), buf: vec![0; 1024], tbuf: vec![0; 64 << 10], on_batch: None };
        let n = sys::extension_register(name, body.as_bytes());
        if n < 0 {
            return Err(x.refused("register", -n, false));
        }
        let b = x.read(false, n as usize)?;
        let mut info = RegisterResponse::default();
        let ok = json::members(b, |k, v| match k {
            b"functionName" => info.function_name = str_of(v),
            b"functionVersion" => info.function_version = str_of(v),
            b"handler" => info.handler = str_of(v),
            _ => {}
        });
        if !ok {
            return Err(unreadable("register", b));
        }
        x.info = info;
        Ok(x)
    }

    /// The name the extension registered with.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The register response: the function's name, version and handler.
    pub fn info(&self) -> &RegisterResponse {
        &self.info
    }

    /// Blocks until the next event: `GET /extension/event/next`. Telemetry batches that become
    /// due meanwhile go to the subscription's handler and the wait goes on. After SHUTDOWN (and
    /// once no telemetry is left) it returns `Ok(None)`: return from `main`.
    pub fn next_event(&mut self) -> Result<Option<Event>, Error> {
        loop {
            let n = sys::extension_next();
            if n >= 0 {
                let b = self.read(false, n as usize)?;
                return parse_event(b).map(Some).ok_or_else(|| unreadable("next", b));
            }
            match (-n) as i32 {
                sys::errno::EINTR => {
                    self.deliver_batch()?;
                }
                sys::errno::ECANCELED => return Ok(None),
                e => return Err(self.refused("next", e, false)),
            }
        }
    }

    /// Reports that the extension failed to initialise (`POST /extension/init/error`), before
    /// its first `next_event`: the environment's INIT fails with `Extension.InitError`.
    /// `error_type` is Lambda's `Lambda-Extension-Function-Error-Type`, e.g.
    /// `Extension.ConfigInvalid`. The extension should then return from `main`.
    pub fn init_error(&mut self, error_type: &str, message: &str) -> Result<(), Error> {
        self.post_error("init_error", error_type, message, sys::extension_init_error)
    }

    /// Reports that the extension failed and will exit (`POST /extension/exit/error`): the
    /// current invocation, or INIT, fails with `Extension.ExitError`.
    pub fn exit_error(&mut self, error_type: &str, message: &str) -> Result<(), Error> {
        self.post_error("exit_error", error_type, message, sys::extension_exit_error)
    }

    fn post_error(&mut self, op: &'static str, error_type: &str, message: &str, call: fn(&[u8], &[u8]) -> i32) -> Result<(), Error> {
        let body = crate::lambda::Error::new(error_type, message).to_json();
        let n = call(error_type.as_bytes(), body.as_bytes());
        if n < 0 {
            return Err(self.refused(op, -n, false));
        }
        Ok(())
    }

    /// Subscribes to telemetry (during INIT: after `register`, before the first `next_event`),
    /// and sets the handler that gets each batch, in order, from `next_event` and
    /// `flush_telemetry`. Events since the environment started are in the first batches.
    /// Calling it again replaces the subscription's types, buffering and handler.
    pub fn subscribe_telemetry<F>(&mut self, sub: &Subscription, handler: F) -> Result<(), Error>
    where
        F: FnMut(&[TelemetryEvent]) + 'static,
    {
        let n = sys::telemetry_subscribe(sub.to_json().as_bytes());
        if n < 0 {
            return Err(self.refused("subscribe", -n, true));
        }
        self.on_batch = Some(Box::new(handler));
        Ok(())
    }

    /// Hands every batch still buffered to the handler. Call it after SHUTDOWN, when all that
    /// is buffered is due at once; before SHUTDOWN it waits for the next batch.
    pub fn flush_telemetry(&mut self) -> Result<(), Error> {
        if self.on_batch.is_none() {
            return Ok(());
        }
        while self.deliver_batch()? {}
        Ok(())
    }

    /// Takes the due batch and hands it to the handler; false when there is none to take (an
    /// event is waiting instead, or telemetry has ended).
    fn deliver_batch(&mut self) -> Result<bool, Error> {
        let n = sys::telemetry_next();
        if n < 0 {
            return match (-n) as i32 {
                sys::errno::EINTR | sys::errno::ECANCELED => Ok(false),
                e => Err(self.refused("telemetry_next", e, true)),
            };
        }
        let b = self.read(true, n as usize)?;
        let batch = parse_batch(b).ok_or_else(|| unreadable("telemetry_next", b))?;
        if let Some(h) = self.on_batch.as_mut() {
            h(&batch);
        }
        Ok(true)
    }

    /// Reads the module's last response body (of length n) into its buffer, growing it.
    fn read(&mut self, telemetry: bool, mut n: usize) -> Result<&[u8], Error> {
        let buf = if telemetry { &mut self.tbuf } else { &mut self.buf };
        loop {
            if n > buf.len() {
                buf.resize((n + 4095) & !4095, 0);
            }
            let got = if telemetry { sys::telemetry_read(buf) } else { sys::extension_read(buf) };
            if got < 0 {
                return Err(Error { op: "read", errno: -got, error_type: String::new(), message: String::new() });
            }
            let got = got as usize;
            if got <= buf.len() {
                return Ok(&buf[..got]);
            }
            n = got;
        }
    }

    /// The error of a refused call, from its errno and the error body.
    fn refused(&mut self, op: &'static str, errno: i32, telemetry: bool) -> Error {
        let mut e = Error { op, errno, error_type: String::new(), message: String::new() };
        if errno == sys::errno::EFAULT || errno == sys::errno::E2BIG {
            return e;
        }
        if let Ok(b) = self.read(telemetry, 0) {
            json::members(b, |k, v| match k {
                b"errorType" => e.error_type = str_of(v),
                b"errorMessage" => e.message = str_of(v),
                _ => {}
            });
        }
        e
    }
}

fn unreadable(op: &'static str, b: &[u8]) -> Error {
    let s = String::from_utf8_lossy(&b[..b.len().min(200)]).into_owned();
    Error { op, errno: 0, error_type: String::new(), message: format!("unreadable response {}", s) }
}

/// Parses next's event JSON.
fn parse_event(b: &[u8]) -> Option<Event> {
    let mut event_type = None;
    let mut ev = Event {
        event_type: EventType::Invoke,
        deadline_ms: 0,
        request_id: String::new(),
        invoked_function_arn: String::new(),
        tracing: None,
        shutdown_reason: String::new(),
    };
    let ok = json::members(b, |k, v| match k {
        b"eventType" => {
            event_type = match v {
                b"\"INVOKE\"" => Some(EventType::Invoke),
                b"\"SHUTDOWN\"" => Some(EventType::Shutdown),
                _ => None,
            }
        }
        b"deadlineMs" => ev.deadline_ms = json::int(v).unwrap_or(0),
        b"requestId" => ev.request_id = str_of(v),
        b"invokedFunctionArn" => ev.invoked_function_arn = str_of(v),
        b"shutdownReason" => ev.shutdown_reason = str_of(v),
        b"tracing" => {
            let mut t = Tracing::default();
            if json::members(v, |k, v| match k {
                b"type" => t.trace_type = str_of(v),
                b"value" => t.value = str_of(v),
                _ => {}
            }) {
                ev.tracing = Some(t);
            }
        }
        _ => {}
    });
    ev.event_type = event_type?;
    ok.then(|| ev)
}

/// Parses a telemetry batch: a JSON array of {"time","type","record"}.
fn parse_batch(b: &[u8]) -> Option<Vec<TelemetryEvent>> {
    let mut batch = Vec::new();
    let mut ok = true;
    let arr = json::elements(b, |el| {
        let mut ev = TelemetryEvent::default();
        ok &= json::members(el, |k, v| match k {
            b"time" => ev.time = str_of(v),
            b"type" => ev.event_type = str_of(v),
            b"record" => ev.record = String::from_utf8_lossy(v).into_owned(),
            _ => {}
        });
        batch.push(ev);
    });
    (arr && ok).then(|| batch)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events() {
        let ev = parse_event(br#"{"eventType":"INVOKE","deadlineMs":1596036240000,"requestId":"3da1f2dc","invokedFunctionArn":"arn:aws:lambda:us-east-1:000000000000:function:f","tracing":{"type":"X-Amzn-Trace-Id","value":"Root=1-a;Parent=b;Sampled=0"}}"#).unwrap();
        assert_eq!(ev.event_type, EventType::Invoke);
        assert_eq!(ev.deadline_ms, 1596036240000);
        assert_eq!(ev.request_id, "3da1f2dc");
        assert_eq!(ev.tracing.unwrap().value, "Root=1-a;Parent=b;Sampled=0");
        let ev = parse_event(br#"{"eventType":"SHUTDOWN","deadlineMs":1596036242000,"shutdownReason":"spindown"}"#).unwrap();
        assert_eq!((ev.event_type, ev.shutdown_reason.as_str()), (EventType::Shutdown, reason::SPINDOWN));
        assert!(parse_event(br#"{"eventType":"FOO"}"#).is_none());
    }

    #[test]
    fn batches() {
        let b = parse_batch(br#"[{"time":"2026-01-02T03:04:05.678Z","type":"platform.report","record":{"requestId":"r","metrics":{"durationMs":1.5,"billedDurationMs":2,"memorySizeMB":128,"maxMemoryUsedMB":8,"initDurationMs":3.25},"status":"success"}},{"time":"2026-01-02T03:04:05.679Z","type":"function","record":"a \"line\""}]"#).unwrap();
        assert_eq!(b.len(), 2);
        let r = b[0].report().unwrap();
        assert_eq!((r.request_id.as_str(), r.status.as_str(), r.metrics.memory_size_mb), ("r", "success", 128));
        assert_eq!(r.metrics.init_duration_ms, Some(3.25));
        assert_eq!(b[1].line().as_deref(), Some("a \"line\""));
        assert!(b[1].report().is_none());
    }

    #[test]
    fn bodies() {
        let s = Subscription { types: vec![TelemetryType::Platform], buffering: Buffering { timeout_ms: 25, ..Buffering::default() }, ..Subscription::default() };
        assert_eq!(s.to_json(), r#"{"schemaVersion":"2022-12-13","types":["platform"],"buffering":{"timeoutMs":25}}"#);
        let e = Error { op: "register", errno: sys::errno::EINVAL, error_type: "Extension.InvalidEventType".into(), message: "FOO: ErrorInvalidEventType".into() };
        assert_eq!(e.to_string(), "extension register: EINVAL: Extension.InvalidEventType: FOO: ErrorInvalidEventType");
    }

    #[test]
    fn outside_wasm() {
        let e = Extension::register("x", &[EventType::Invoke]).err().unwrap();
        assert_eq!(e.errno, sys::errno::ENOTSUP);
    }
}
