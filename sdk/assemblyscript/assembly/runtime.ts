// The runtime: start() loops on the host's Runtime API (wasmap_runtime_v1, ABI.md section 3),
// running a handler once per invocation.

import {
  runtime_next, runtime_event_read, runtime_context_read, runtime_respond, runtime_respond_error,
  runtime_init_error, runtime_log, runtime_remaining_ms, Errno, errnoName,
} from "./env";
import { json, Members } from "./json";

// The invocation context (Lambda's /next headers, ABI.md section 3).
export class Context {
  // The invocation's request id, a UUID.
  requestId: string = "";
  // Wall-clock epoch milliseconds at which the invocation times out.
  deadlineMs: i64 = 0;
  // arn:aws:lambda:<region>:<account>:function:<name>
  invokedFunctionArn: string = "";
  // The X-Ray style trace header; may be "".
  traceId: string = "";
  // The client context's raw JSON, or null.
  clientContext: string | null = null;

  // Milliseconds left before the deadline, as the host counts them (never negative).
  remainingMs(): i64 {
    return runtime_remaining_ms();
  }

  // Parses the context JSON in one pass (keys in any order, unknown keys ignored); null
  // without deadlineMs.
  static parse(raw: Uint8Array): Context | null {
    const c = new Context();
    let haveDeadline = false;
    const m = new Members(raw);
    while (m.next()) {
      if (m.keyIs("requestId")) c.requestId = stringValue(m.value());
      else if (m.keyIs("deadlineMs")) { c.deadlineMs = json.integer(m.value()); haveDeadline = true; }
      else if (m.keyIs("invokedFunctionArn")) c.invokedFunctionArn = stringValue(m.value());
      else if (m.keyIs("traceId")) c.traceId = stringValue(m.value());
      else if (m.keyIs("clientContext")) {
        const v = m.value();
        if (!(v.length == 4 && v[0] == 0x6E)) c.clientContext = String.UTF8.decodeUnsafe(v.dataStart, v.length);
      }
    }
    return haveDeadline ? c : null;
  }
}

function stringValue(raw: Uint8Array): string {
  const s = json.str(raw);
  return s == null ? "" : s;
}

// Milliseconds left before the current deadline: the invocation's, or the init phase's.
export function remainingMs(): i64 {
  return runtime_remaining_ms();
}

// A handler's outcome: a JSON response, or an error.
export class Response {
  body: Uint8Array | null = null;
  errorType: string = "";
  errorMessage: string = "";

  // A response whose body is the JSON text json.
  static json(text: string): Response {
    const r = new Response();
    r.body = Uint8Array.wrap(String.UTF8.encode(text));
    return r;
  }

  // A response whose body is these bytes of JSON (the event's own bytes, for one).
  static bytes(body: Uint8Array): Response {
    const r = new Response();
    r.body = body;
    return r;
  }

  // A failed invocation: {"errorMessage":message,"errorType":errorType}; errorType is what a
  // Step Functions Retry or Catch matches. The environment stays warm.
  static error(errorType: string, message: string): Response {
    const r = new Response();
    r.errorType = errorType;
    r.errorMessage = message;
    return r;
  }

  get isError(): bool {
    return this.body == null;
  }
}

// The error JSON, escaped as the Go SDK escapes it.
export function errorJSON(errorType: string, message: string): string {
  return "{\"errorMessage\":" + json.quote(message) + ",\"errorType\":" + json.quote(errorType) + "}";
}

// A handler gets the event (the item, compact JSON, as UTF-8 bytes; valid until it returns) and
// the invocation's context.
export type Handler = (event: Uint8Array, ctx: Context) => Response;

// Set while a handler runs: an abort then fails the invocation.
let inHandler = false;

// What an abort inside a handler does besides exiting: start() makes it post the invocation's
// error. It is a variable so that a module that never calls start (an extension module) does
// not import the Runtime API through abort.
let onHandlerAbort: (message: string) => void = (message: string): void => {};

// Runs handler on every invocation until the host shuts the environment down, then returns
// (the module's _start ends with status 0). Code before it is the function's init: it runs once
// per execution environment, and globals stay warm across invocations.
export function start(handler: Handler): void {
  onHandlerAbort = (message: string): void => { postError("string", message); };
  let event = new Uint8Array(16 << 10);
  let context = new Uint8Array(512);
  while (true) {
    const n = runtime_next();
    if (n == -Errno.ECANCELED) return;
    if (n < 0) fatal("next", n);
    if (<i32>n > event.length) event = new Uint8Array(roundUp(<i32>n));
    let evLen = 0;
    while (true) {
      evLen = runtime_event_read(event.dataStart, event.length);
      if (evLen < 0) fatal("event_read", evLen);
      if (evLen <= event.length) break;
      event = new Uint8Array(roundUp(evLen));
    }
    let ctxLen = 0;
    while (true) {
      ctxLen = runtime_context_read(context.dataStart, context.length);
      if (ctxLen < 0) fatal("context_read", ctxLen);
      if (ctxLen <= context.length) break;
      context = new Uint8Array(roundUp(ctxLen));
    }
    const ctx = Context.parse(context.subarray(0, ctxLen));
    if (ctx == null) {
      postError("Runtime.InvalidContext", "failed to parse deadline: the invocation context has no deadlineMs");
      continue;
    }
    inHandler = true;
    const res = handler(event.subarray(0, evLen), ctx);
    inHandler = false;
    const body = res.body;
    if (body == null) {
      postError(res.errorType, res.errorMessage);
    } else {
      checkPost("respond", runtime_respond(body.dataStart, body.length), body.length);
    }
  }
}

function roundUp(n: i32): i32 {
  return (n + 4095) & ~4095;
}

// Posts an error JSON for the current invocation and logs it to stderr.
function postError(errorType: string, message: string): void {
  const body = Uint8Array.wrap(String.UTF8.encode(errorJSON(errorType, message)));
  writeStderr(body);
  writeStderrString("\n");
  checkPost("respond_error", runtime_respond_error(0, 0, body.dataStart, body.length), body.length);
}

// E2BIG (Function.ResponseSizeTooLarge) and EALREADY mean the host already settled the
// invocation: log and carry on. Anything else is fatal.
function checkPost(call: string, rc: i32, size: i32): void {
  if (rc >= 0) return;
  if (rc == -Errno.E2BIG) {
    writeStderrString("wasmap: the response (" + size.toString() +
      " bytes) is over the limit of 6291556 bytes: the invocation failed with Function.ResponseSizeTooLarge\n");
  } else if (rc == -Errno.EALREADY) {
    writeStderrString("wasmap: " + call + ": the invocation already has an outcome; this one was dropped\n");
  } else {
    fatal(call, rc);
  }
}

function fatal(call: string, rc: i64): void {
  writeStderrString("wasmap: wasmap_runtime_v1." + call + " failed: " + errnoName(rc) + "\n");
  process.exit(1);
}

function writeStderr(b: Uint8Array): void {
  process.stderr.write(b.buffer.slice(b.byteOffset, b.byteOffset + b.length));
}

function writeStderrString(s: string): void {
  process.stderr.write(s);
}

// Reports an init failure (before start): {"errorMessage":message,"errorType":errorType}. The
// module should then return from its top level. Returns 0 or -errno (-EALREADY after init).
export function initError(errorType: string, message: string): i32 {
  const body = Uint8Array.wrap(String.UTF8.encode(errorJSON(errorType, message)));
  writeStderr(body);
  writeStderrString("\n");
  const rc = runtime_init_error(0, 0, body.dataStart, body.length);
  return rc < 0 ? rc : 0;
}

// The function's configuration, from Lambda's environment variables (ABI.md section 6).
export namespace fn {
  function env(k: string): string {
    return process.env.has(k) ? process.env.get(k) : "";
  }
  export function name(): string { return env("AWS_LAMBDA_FUNCTION_NAME"); }
  export function version(): string { return env("AWS_LAMBDA_FUNCTION_VERSION"); }
  export function memoryLimitMB(): i32 { return I32.parseInt(env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")); }
  export function logGroupName(): string { return env("AWS_LAMBDA_LOG_GROUP_NAME"); }
  export function logStreamName(): string { return env("AWS_LAMBDA_LOG_STREAM_NAME"); }
}

// Log records at Lambda's application levels (the log import): "[LEVEL] message" in the
// function's log stream. console.log (stdout) also logs, each line a record.
export namespace log {
  export const TRACE: i32 = 0;
  export const DEBUG: i32 = 1;
  export const INFO: i32 = 2;
  export const WARN: i32 = 3;
  export const ERROR: i32 = 4;
  export const FATAL: i32 = 5;

  // Writes one record at level; returns 0 or -errno.
  export function write(level: i32, message: string): i32 {
    const b = String.UTF8.encode(message);
    return runtime_log(level, changetype<usize>(b), b.byteLength);
  }
  export function trace(message: string): void { write(TRACE, message); }
  export function debug(message: string): void { write(DEBUG, message); }
  export function info(message: string): void { write(INFO, message); }
  export function warn(message: string): void { write(WARN, message); }
  export function error(message: string): void { write(ERROR, message); }
  export function fatal(message: string): void { write(FATAL, message); }
}

// AssemblyScript's abort (abort(), a failed assert, throw, an out-of-bounds index), installed
// by asconfig.json. Inside a handler it posts {"errorMessage":message,"errorType":"string"}, as
// the Go SDK reports panic("message"); it prints "abort: message in file(line:col)" to stderr
// and exits with status 1: the host recycles the environment. (In an extension module, which
// never calls start, it only prints and exits: Extension.Crash.)
export function wasmapAbort(message: string | null = null, fileName: string | null = null, line: u32 = 0, column: u32 = 0): void {
  const msg = message == null ? "" : message;
  const where = fileName == null ? "" : fileName;
  writeStderrString("abort: " + msg + " in " + where + "(" + line.toString() + ":" + column.toString() + ")\n");
  if (inHandler) {
    inHandler = false;
    onHandlerAbort(msg);
  }
  process.exit(1);
}
