//! The Rust conformance module: the behaviours of runner/internal/conformance, written with
//! this SDK. Every SDK has the same module (the protocol is in
//! runner/internal/conformance/doc.go); the suite requires identical results from all.
//!
//! Build: sdk/rust/build.sh conformance/main.rs conformance.wasm

use std::io::{Read, Write};
use std::sync::atomic::{AtomicI64, Ordering};

use wasmap::lambda::{self, function, Context, Error};
use wasmap::{json, log, object};

static INVOCATIONS: AtomicI64 = AtomicI64::new(0);

fn main() {
    if std::env::var("CONFORMANCE_INIT").as_deref() == Ok("fail") {
        let _ = lambda::init_error(&Error::new("InitFailure", "conformance: init failed on purpose"));
        return;
    }
    lambda::start(handle)
}

fn field(ev: &[u8], k: &str) -> String {
    json::get(ev, k).and_then(json::string).unwrap_or_default()
}

fn num(ev: &[u8], k: &str) -> i64 {
    json::get(ev, k).and_then(json::int).unwrap_or(0)
}

fn handle(ev: &[u8], ctx: &Context) -> Result<Vec<u8>, Error> {
    let n = INVOCATIONS.fetch_add(1, Ordering::Relaxed) + 1;
    let op = field(ev, "op");
    match op.as_str() {
        "echo" => Ok(json::get(ev, "value").unwrap_or(b"null").to_vec()),
        "counter" => Ok(n.to_string().into_bytes()),
        "error" => Err(Error::new("ConformanceError", field(ev, "message"))),
        "panic" => panic!("{}", field(ev, "message")),
        "trap" => core::arch::wasm32::unreachable(),
        "big" => {
            let size = num(ev, "bytes").max(2) as usize;
            let mut b = vec![b'x'; size];
            b[0] = b'"';
            b[size - 1] = b'"';
            Ok(b)
        }
        "context" => Ok(format!(
            "{{\"deadlineMs\":{},\"functionName\":{},\"invokedFunctionArn\":{},\"memoryMB\":{},\"remainingMs\":{},\"requestId\":{},\"traceId\":{}}}",
            ctx.deadline_ms,
            json::quote(&function::name()),
            json::quote(&ctx.invoked_function_arn),
            function::memory_limit_mb(),
            ctx.remaining().as_millis(),
            json::quote(&ctx.request_id),
            json::quote(&ctx.trace_id),
        )
        .into_bytes()),
        "log" => {
            let m = field(ev, "message");
            log::trace(&m);
            log::debug(&m);
            log::info(&m);
            log::warn(&m);
            log::error(&m);
            log::fatal(&m);
            println!("stdout: {}", m);
            eprintln!("stderr: {}", m);
            Ok(b"8".to_vec())
        }
        "field" => {
            let raw = json::get(ev, "doc").and_then(|d| json::get(d, &field(ev, "key")));
            let opt = |v: Option<String>| v.map(|s| json::quote(&s)).unwrap_or_else(|| "null".to_owned());
            Ok(format!(
                "{{\"int\":{},\"raw\":{},\"string\":{}}}",
                raw.and_then(json::int).map(|n| n.to_string()).unwrap_or_else(|| "null".to_owned()),
                opt(raw.map(|r| String::from_utf8_lossy(r).into_owned())),
                opt(raw.and_then(json::string)),
            )
            .into_bytes())
        }
        "open" | "stat" | "read" | "copy" | "write" | "leak" => Ok(objects(&op, ev).unwrap_or_else(|e| {
            let name = object::errno_of(&e).map(|e| e.name()).unwrap_or("?");
            format!("{{\"err\":{}}}", json::quote(name))
        })
        .into_bytes()),
        _ => Err(Error::new("UnknownOpError", format!("unknown op: {}", op))),
    }
}

fn objects(op: &str, ev: &[u8]) -> std::io::Result<String> {
    match op {
        "open" => {
            let r = object::open(&field(ev, "key"))?;
            Ok(format!("{{\"size\":{}}}", r.size()))
        }
        "stat" => {
            let i = object::stat(&field(ev, "key"))?;
            Ok(format!(
                "{{\"Etag\":{},\"Key\":{},\"LastModified\":{},\"Size\":{}}}",
                json::quote(&i.etag),
                json::quote(&i.key),
                i.last_modified,
                i.size
            ))
        }
        "read" => {
            let r = object::open(&field(ev, "key"))?;
            let mut buf = vec![0u8; num(ev, "len") as usize];
            let mut n = 0;
            while n < buf.len() {
                let k = r.read_at(&mut buf[n..], num(ev, "offset") as u64 + n as u64)?;
                if k == 0 {
                    break;
                }
                n += k;
            }
            Ok(format!("{{\"data\":{},\"n\":{}}}", json::quote(&String::from_utf8_lossy(&buf[..n])), n))
        }
        "copy" => {
            let mut r = object::open(&field(ev, "from"))?;
            let mut w = object::create_output(&field(ev, "to"))?;
            let mut buf = vec![0u8; 4096];
            let mut total = 0u64;
            loop {
                let k = r.read(&mut buf)?;
                if k == 0 {
                    break;
                }
                w.write_all(&buf[..k])?;
                total += k as u64;
            }
            w.close()?;
            Ok(format!("{{\"bytes\":{}}}", total))
        }
        _ => {
            // write, leak
            let data = field(ev, "data");
            let mut w = object::create_output(&field(ev, "to"))?;
            w.write_all(data.as_bytes())?;
            if op == "write" {
                w.close()?;
            } else {
                std::mem::forget(w); // never closed: the host discards it
            }
            Ok(format!("{{\"bytes\":{}}}", data.len()))
        }
    }
}
