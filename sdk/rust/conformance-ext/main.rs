//! The Rust extension conformance module: the extension behaviours of
//! runner/internal/conformance, written with this SDK's `extension` module. Every SDK has the
//! same module (the protocol is in runner/internal/conformance/doc.go); the suite requires
//! identical results from all.
//!
//! Build: sdk/rust/build.sh conformance-ext/main.rs confext.wasm

use std::cell::Cell;
use std::io::Write;
use std::rc::Rc;

use wasmap::extension::{self, Buffering, EventType, Extension, Subscription, TelemetryType};
use wasmap::object;

fn say(s: &str) {
    println!("confext: {}", s);
}

/// Reports a call the host refused: REFUSED <op> <ERRNO> <errorType> <errorMessage>.
fn refused(e: extension::Error) {
    say(&format!("REFUSED {} {} {} {}", e.op, e.errno_name(), e.error_type, e.message));
}

/// Ends the module on an unexpected error.
fn must<T, E: std::fmt::Display>(r: Result<T, E>) -> T {
    match r {
        Ok(v) => v,
        Err(e) => {
            say(&format!("ERROR {}", e));
            std::process::exit(1)
        }
    }
}

/// The counts the telemetry handler and the event loop share.
#[derive(Default)]
struct Counts {
    reports: Cell<u32>,
    lines: Cell<u32>,
    events: Cell<u32>,
}

fn bump(c: &Cell<u32>) {
    c.set(c.get() + 1);
}

fn main() {
    let mode = std::env::var("CONFEXT_MODE").unwrap_or_default();
    let name = extension::name();
    use EventType::{Invoke, Shutdown};

    // Refusals: an empty name, SHUTDOWN for an internal extension.
    if let Err(e) = Extension::register("", &[Invoke]) {
        refused(e);
    }
    if let Err(e) = Extension::register(&format!("{}-internal", name), &[Shutdown]) {
        refused(e);
    }
    let mut ext = must(Extension::register(&name, &[Invoke, Shutdown]));
    let info = ext.info().clone();
    say(&format!("REGISTERED {} {} {} {}", name, info.function_name, info.function_version, info.handler));
    if let Err(e) = Extension::register(&name, &[Invoke]) {
        refused(e);
    }

    match mode.as_str() {
        "init-error" => {
            say("INIT_ERROR");
            must(ext.init_error("Extension.ConfigInvalid", "conformance: extension init failed on purpose"));
            return;
        }
        "exit-error" => {
            say("EXIT_ERROR");
            must(ext.exit_error("Extension.Broken", "conformance: extension broken on purpose"));
            return;
        }
        _ => {}
    }

    if let Err(e) = ext.exit_error("", "") {
        refused(e);
    }
    let bad = Subscription { types: vec![TelemetryType::Platform], buffering: Buffering { max_items: 5, ..Buffering::default() }, ..Subscription::default() };
    if let Err(e) = ext.subscribe_telemetry(&bad, |_| {}) {
        refused(e);
    }
    let counts = Rc::new(Counts::default());
    let c = counts.clone();
    let sub = Subscription {
        types: vec![TelemetryType::Platform, TelemetryType::Function],
        buffering: Buffering { max_items: 1000, max_bytes: 262144, timeout_ms: 25 },
        ..Subscription::default()
    };
    must(ext.subscribe_telemetry(&sub, move |batch| {
        for ev in batch {
            bump(&c.events);
            if ev.time.is_empty() {
                say(&format!("ERROR event {} has no time", ev.event_type));
            }
            if let Some(r) = ev.init_start() {
                say(&format!("INITSTART {} {} {} {}", r.function_name, r.function_version, r.phase, r.instance_id));
            }
            if let Some(r) = ev.report() {
                bump(&c.reports);
                let cold = if r.metrics.init_duration_ms.is_some() { "cold" } else { "warm" };
                say(&format!("REPORT {} {} {} {}", r.request_id, r.status, r.metrics.memory_size_mb, cold));
            }
            if let Some(l) = ev.line() {
                bump(&c.lines);
                say(&format!("LINE {}", l));
            }
        }
    }));
    say("SUBSCRIBED");

    let mut invokes = 0;
    while let Some(ev) = must(ext.next_event()) {
        match ev.event_type {
            Invoke => {
                invokes += 1;
                let trace = match &ev.tracing {
                    Some(t) => format!("{} {}", t.trace_type, t.value),
                    None => "-".to_owned(),
                };
                say(&format!("INVOKE {} {} {} {}", ev.request_id, ev.deadline_ms, ev.invoked_function_arn, trace));
            }
            Shutdown => {
                say(&format!("SHUTDOWN {} {}", ev.shutdown_reason, ev.deadline_ms));
                must(ext.flush_telemetry());
                let summary = format!(
                    "{{\"events\":{},\"invokes\":{},\"lines\":{},\"reports\":{},\"shutdownReason\":\"{}\"}}",
                    counts.events.get(),
                    invokes,
                    counts.lines.get(),
                    counts.reports.get(),
                    ev.shutdown_reason
                );
                let mut w = must(object::create_output("summary.json"));
                must(w.write_all(summary.as_bytes()));
                must(w.close());
                say(&format!("SUMMARY {}", summary));
                // After SHUTDOWN and the flush, next answers ECANCELED: no more events.
                match ext.next_event() {
                    Ok(None) => {}
                    other => say(&format!("ERROR next_event after SHUTDOWN: {:?}", other)),
                }
                say("DONE");
                return;
            }
        }
    }
    say("ERROR next_event ended before SHUTDOWN");
    std::process::exit(1);
}
