//! The runtime: [`start`] loops on the host's Runtime API (`wasmap_runtime_v1`, ABI.md §3),
//! running a handler once per invocation, as `lambda_runtime::run` or the Go SDK's
//! `lambda.Start` do.
//!
//! Code before `start` is the function's init: it runs once per execution environment (the
//! cold start), and whatever it builds stays warm for later invocations.
//!
//! # Outcomes
//!
//! - `Ok(body)`: `body` is posted as the response; it must be JSON (the host fails the
//!   invocation with `Runtime.MalformedResponse` otherwise).
//! - `Err(error)`: `{"errorMessage":…,"errorType":…}` is posted (and logged to stderr), so
//!   Step Functions sees `errorType` as the item's `Error`. The environment stays warm.
//! - A panic: reported as the Go SDK reports a `panic("message")`,
//!   `{"errorMessage":"<message>","errorType":"string"}`; then the process exits with status 1
//!   and the host recycles the environment. (The default panic message also goes to stderr.)

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::{json, sys};

/// The metadata of one invocation: the invocation context the host sends with each event
/// (ABI.md §3, Lambda's `/next` headers).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Context {
    /// The invocation's request id, a UUID (Lambda-Runtime-Aws-Request-Id).
    pub request_id: String,
    /// Wall-clock epoch milliseconds at which the invocation times out.
    pub deadline_ms: i64,
    /// `arn:aws:lambda:<region>:<account>:function:<name>`.
    pub invoked_function_arn: String,
    /// The X-Ray style trace header; may be empty. Also in the environment as `_X_AMZN_TRACE_ID`.
    pub trace_id: String,
    /// The client context's raw JSON, when the invocation has one.
    pub client_context: Option<String>,
}

impl Context {
    /// Parses the context JSON, in one pass. Keys may come in any order; unknown keys are
    /// ignored.
    pub fn parse(raw: &[u8]) -> Result<Context, Error> {
        let mut c = Context::default();
        let mut deadline = None;
        let s = |v: &[u8]| json::string(v).unwrap_or_default();
        json::members(raw, |k, v| match k {
            b"requestId" => c.request_id = s(v),
            b"deadlineMs" => deadline = json::int(v),
            b"invokedFunctionArn" => c.invoked_function_arn = s(v),
            b"traceId" => c.trace_id = s(v),
            b"clientContext" if v != b"null" => c.client_context = Some(String::from_utf8_lossy(v).into_owned()),
            _ => {}
        });
        c.deadline_ms = deadline
            .ok_or_else(|| Error::new("Runtime.InvalidContext", "failed to parse deadline: the invocation context has no deadlineMs"))?;
        Ok(c)
    }

    /// The deadline as a time.
    pub fn deadline(&self) -> SystemTime {
        UNIX_EPOCH + Duration::from_millis(self.deadline_ms.max(0) as u64)
    }

    /// Time left before the deadline, as the host counts it (the `remaining_ms` import: Lambda's
    /// `getRemainingTimeInMillis`).
    pub fn remaining(&self) -> Duration {
        Duration::from_millis(remaining_ms().max(0) as u64)
    }
}

/// Milliseconds left before the current deadline: the invocation's, or the init phase's during
/// init. Never negative.
pub fn remaining_ms() -> i64 {
    sys::remaining_ms()
}

/// The function's configuration, from the environment Lambda (and wasmap) sets (ABI.md §6).
pub mod function {
    fn var(k: &str) -> String {
        std::env::var(k).unwrap_or_default()
    }
    /// `AWS_LAMBDA_FUNCTION_NAME`.
    pub fn name() -> String { var("AWS_LAMBDA_FUNCTION_NAME") }
    /// `AWS_LAMBDA_FUNCTION_VERSION` (`$LATEST`).
    pub fn version() -> String { var("AWS_LAMBDA_FUNCTION_VERSION") }
    /// `AWS_LAMBDA_FUNCTION_MEMORY_SIZE`, 0 when absent.
    pub fn memory_limit_mb() -> u32 { var("AWS_LAMBDA_FUNCTION_MEMORY_SIZE").parse().unwrap_or(0) }
    /// `AWS_LAMBDA_LOG_GROUP_NAME`.
    pub fn log_group_name() -> String { var("AWS_LAMBDA_LOG_GROUP_NAME") }
    /// `AWS_LAMBDA_LOG_STREAM_NAME`: this execution environment's log stream.
    pub fn log_stream_name() -> String { var("AWS_LAMBDA_LOG_STREAM_NAME") }
}

/// A failed invocation: posted as `{"errorMessage":message,"errorType":error_type}`.
///
/// Any `std::error::Error` converts into one (so `?` works in a handler); its `errorType` is
/// the last segment of its type's name (`std::io::Error` gives `Error`, a `ParseIntError`
/// gives `ParseIntError`), as the Go SDK names an error by its type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    pub error_type: String,
    pub message: String,
}

impl Error {
    /// An error with the given `errorType` (what a Step Functions Retry or Catch matches) and
    /// message.
    pub fn new(error_type: impl Into<String>, message: impl Into<String>) -> Error {
        Error { error_type: error_type.into(), message: message.into() }
    }

    /// The error JSON: `{"errorMessage":…,"errorType":…}`, escaped as the Go SDK escapes it.
    pub fn to_json(&self) -> String {
        let mut s = String::with_capacity(self.message.len() + self.error_type.len() + 32);
        s.push_str("{\"errorMessage\":");
        json::push_quoted(&mut s, &self.message);
        s.push_str(",\"errorType\":");
        json::push_quoted(&mut s, &self.error_type);
        s.push('}');
        s
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.error_type, self.message)
    }
}

impl<E: std::error::Error> From<E> for Error {
    fn from(e: E) -> Error {
        let name = std::any::type_name::<E>();
        let name = name.split('<').next().unwrap_or(name);
        Error::new(name.rsplit("::").next().unwrap_or(name), e.to_string())
    }
}

/// Reports an init failure (`init_error`, ABI.md §3) with `{"errorMessage","errorType"}`; main
/// should then return. Fails with the errno name when the host refuses (after init:
/// `EALREADY`).
pub fn init_error(error: &Error) -> Result<(), &'static str> {
    let body = error.to_json();
    let _ = writeln_stderr(&body);
    match sys::init_error(b"", body.as_bytes()) {
        rc if rc >= 0 => Ok(()),
        rc => Err(sys::errno::name(-rc)),
    }
}

static IN_HANDLER: AtomicBool = AtomicBool::new(false);

/// Runs `handler` on every invocation until the host shuts the environment down, then returns
/// (main should return too: exit status 0).
///
/// `handler` gets the event (the item, compact JSON) and the invocation's [`Context`]; it
/// returns the response JSON (`String`, `Vec<u8>`, `&str`, …) or an [`Error`]. The event and
/// context buffers are reused from one invocation to the next.
///
/// A Runtime API failure the ABI does not allow for (the host refusing `next`) ends the process
/// with status 1.
pub fn start<F, R>(mut handler: F)
where
    F: FnMut(&[u8], &Context) -> Result<R, Error>,
    R: AsRef<[u8]>,
{
    install_panic_hook();
    let mut event: Vec<u8> = vec![0; 16 << 10];
    let mut context: Vec<u8> = vec![0; 512];
    let mut trace_env = None::<String>;
    loop {
        let n = sys::next();
        if n == -(sys::errno::ECANCELED as i64) {
            return;
        }
        if n < 0 {
            fatal("next", n);
        }
        let ev_len = read_into(&mut event, n as usize, sys::event_read, "event_read");
        let ctx_len = read_into(&mut context, 0, sys::context_read, "context_read");
        let outcome = match Context::parse(&context[..ctx_len]) {
            Err(e) => Err(e),
            Ok(ctx) => {
                if trace_env.as_deref() != Some(ctx.trace_id.as_str()) {
                    std::env::set_var("_X_AMZN_TRACE_ID", &ctx.trace_id);
                    trace_env = Some(ctx.trace_id.clone());
                }
                IN_HANDLER.store(true, Ordering::Relaxed);
                let r = handler(&event[..ev_len], &ctx);
                IN_HANDLER.store(false, Ordering::Relaxed);
                r
            }
        };
        match outcome {
            Ok(body) => {
                let body = body.as_ref();
                check_post("respond", sys::respond(body), body.len());
            }
            Err(e) => post_error(&e),
        }
    }
}

/// Posts an error JSON body for the current invocation and logs it to stderr.
fn post_error(e: &Error) {
    let body = e.to_json();
    let _ = writeln_stderr(&body);
    check_post("respond_error", sys::respond_error(b"", body.as_bytes()), body.len());
}

/// Reads the event or the context into buf, growing it (ABI.md §2: a read returns the full size
/// and copies only when it fits).
fn read_into(buf: &mut Vec<u8>, hint: usize, read: fn(&mut [u8]) -> i32, call: &str) -> usize {
    if hint > buf.len() {
        buf.resize(round_up(hint), 0);
    }
    loop {
        let n = read(&mut buf[..]);
        if n < 0 {
            fatal(call, n as i64);
        }
        let n = n as usize;
        if n <= buf.len() {
            return n;
        }
        buf.resize(round_up(n), 0);
    }
}

fn round_up(n: usize) -> usize {
    (n + 4095) & !4095
}

/// Handles respond's or respond_error's result. E2BIG (Function.ResponseSizeTooLarge) and
/// EALREADY mean the host already settled the invocation: log and carry on.
fn check_post(call: &str, rc: i32, size: usize) {
    if rc >= 0 {
        return;
    }
    match -rc {
        sys::errno::E2BIG => {
            let _ = writeln_stderr(&format!(
                "wasmap: the response ({} bytes) is over the limit of 6291556 bytes: the invocation failed with Function.ResponseSizeTooLarge",
                size
            ));
        }
        sys::errno::EALREADY => {
            let _ = writeln_stderr(&format!("wasmap: {}: the invocation already has an outcome; this one was dropped", call));
        }
        _ => fatal(call, rc as i64),
    }
}

fn fatal(call: &str, rc: i64) -> ! {
    let _ = writeln_stderr(&format!("wasmap: wasmap_runtime_v1.{} failed: {}", call, sys::errno::name(-rc as i32)));
    std::process::exit(1)
}

fn writeln_stderr(s: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut e = std::io::stderr().lock();
    e.write_all(s.as_bytes())?;
    e.write_all(b"\n")
}

/// After the default hook has printed the panic, a panic inside the handler is posted as the
/// invocation's error and the process exits with status 1 (the host recycles the environment).
fn install_panic_hook() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        default(info);
        if !IN_HANDLER.load(Ordering::Relaxed) {
            return; // init or the SDK itself: the abort that follows fails the environment
        }
        let payload = info.payload();
        let msg = if let Some(s) = payload.downcast_ref::<&str>() {
            (*s).to_owned()
        } else if let Some(s) = payload.downcast_ref::<String>() {
            s.clone()
        } else {
            "Box<dyn Any>".to_owned()
        };
        post_error(&Error::new("string", msg));
        std::process::exit(1);
    }));
}
