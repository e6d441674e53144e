// Lambda extensions as wasmap extension modules: the guest side of the Extensions API and the
// Telemetry API (wasmap_extension_v1 and wasmap_telemetry_v1, ABI.md sections 9-11), as the Go
// SDK's extension package.
//
// An extension is a program of its own, given to a run with `wasmap run --extension EXT.wasm`.
// Every execution environment runs one instance of it beside the function: it registers during
// INIT, then loops on nextEvent(), which returns INVOKE before each invocation the extension
// registered for and SHUTDOWN once, when the environment ends. Its stdout and stderr
// (console.log) are its log lines; object I/O writes under its own output location,
// <run folder>/extensions/<name>/.
//
// AssemblyScript has no exceptions: a failed call returns false (or null) and sets the
// extension's error, with Lambda's errorType and errorMessage. An extension module must not call
// the function-side runtime (start, log, initError, remainingMs): an extension may not import
// wasmap_runtime_v1.

import {
  extension_register, extension_next, extension_read, extension_init_error, extension_exit_error,
  telemetry_subscribe, telemetry_next, telemetry_read, Errno, errnoName,
} from "./env";
import { json, Members, Elements } from "./json";
import { errorJSON } from "./runtime";

// The events an extension registers for.
export enum EventType {
  // Before each invocation.
  INVOKE = 1,
  // Once, when the environment ends (external extensions only).
  SHUTDOWN = 2,
}

// The shutdown reasons, lower-case as Lambda sends them (Event.shutdownReason).
export namespace ShutdownReason {
  // No more work, or the run was stopped.
  export const SPINDOWN = "spindown";
  // An invocation timed out: the environment is recycled.
  export const TIMEOUT = "timeout";
  // A crash: the environment is recycled.
  export const FAILURE = "failure";
}

// What register learns about the function.
export class RegisterResponse {
  functionName: string = "";
  // $LATEST
  functionVersion: string = "";
  handler: string = "";
}

// An INVOKE event's X-Ray trace header.
export class Tracing {
  // X-Amzn-Trace-Id
  type: string = "";
  value: string = "";
}

// An event from nextEvent(), as Lambda's Extensions API sends it (never the invocation's
// payload).
export class Event {
  eventType: EventType = EventType.INVOKE;
  // Epoch milliseconds: the invocation's deadline, or the end of the shutdown budget.
  deadlineMs: i64 = 0;
  // INVOKE: the invocation's request id.
  requestId: string = "";
  // INVOKE: arn:aws:lambda:<region>:<account>:function:<name>
  invokedFunctionArn: string = "";
  // INVOKE: the trace header.
  tracing: Tracing | null = null;
  // SHUTDOWN: "spindown", "timeout" or "failure".
  shutdownReason: string = "";
}

// A call the host refused, with Lambda's error name and message, or a response the SDK could
// not read (errno 0).
export class ExtensionError {
  // "register", "next", "init_error", "exit_error", "subscribe", "telemetry_next", "read"
  op: string = "";
  // The ABI's errno, positive (Errno.EINVAL).
  errno: i32 = 0;
  // Lambda's errorType, e.g. Extension.InvalidEventType; may be "".
  errorType: string = "";
  // Lambda's errorMessage; may be "".
  message: string = "";

  // "extension register: EINVAL: Extension.InvalidEventType: ...", as the Go SDK's Error.
  toString(): string {
    if (this.errno == 0) return "extension " + this.op + ": " + this.message;
    let name = errnoName(this.errno);
    if (name.length == 0) name = "errno " + this.errno.toString();
    let s = "extension " + this.op + ": " + name;
    if (this.errorType.length > 0) s += ": " + this.errorType;
    if (this.message.length > 0) s += ": " + this.message;
    return s;
  }
}

// The extension's name as wasmap launched it (its file name without .wasm, argv[0]):
// registering with it makes the extension external, able to take SHUTDOWN.
export function extensionName(): string {
  const argv = process.argv;
  if (argv.length == 0) return "";
  let name = argv[0];
  const slash = name.lastIndexOf("/");
  if (slash >= 0) name = name.substring(slash + 1);
  if (name.endsWith(".wasm")) name = name.substring(0, name.length - 5);
  return name;
}

// Telemetry streams, for TelemetrySubscription.types.
export enum TelemetryType {
  // platform.* events: INIT, invocations, reports.
  PLATFORM = 1,
  // The function's log lines.
  FUNCTION = 2,
  // The extensions' log lines.
  EXTENSION = 3,
}

function telemetryTypeName(t: TelemetryType): string {
  if (t == TelemetryType.PLATFORM) return "platform";
  if (t == TelemetryType.FUNCTION) return "function";
  return "extension";
}

// The schemaVersion of a subscription that names none.
export const DEFAULT_SCHEMA = "2022-12-13";

// A subscription request: PUT /2022-07-01/telemetry without the destination. A batch is due
// when it holds maxItems events (1 000-10 000, default 10 000) or maxBytes bytes
// (262 144-1 048 576, default 262 144), or its oldest event is timeoutMs old (25-30 000,
// default 1 000); 0 takes the default.
export class TelemetrySubscription {
  types: TelemetryType[] = [];
  maxItems: i32 = 0;
  maxBytes: i32 = 0;
  timeoutMs: i32 = 0;
  // DEFAULT_SCHEMA when "".
  schemaVersion: string = "";

  // The request body, as the Go SDK writes it.
  toJSON(): string {
    let s = "{\"schemaVersion\":" + json.quote(this.schemaVersion.length > 0 ? this.schemaVersion : DEFAULT_SCHEMA) + ",\"types\":[";
    for (let i = 0; i < this.types.length; i++) {
      if (i > 0) s += ",";
      s += "\"" + telemetryTypeName(this.types[i]) + "\"";
    }
    s += "]";
    if (this.maxItems != 0 || this.maxBytes != 0 || this.timeoutMs != 0) {
      let sep = "";
      s += ",\"buffering\":{";
      if (this.maxItems != 0) { s += "\"maxItems\":" + this.maxItems.toString(); sep = ","; }
      if (this.maxBytes != 0) { s += sep + "\"maxBytes\":" + this.maxBytes.toString(); sep = ","; }
      if (this.timeoutMs != 0) s += sep + "\"timeoutMs\":" + this.timeoutMs.toString();
      s += "}";
    }
    return s + "}";
  }
}

// The metrics of platform.report.
export class ReportMetrics {
  durationMs: f64 = 0;
  billedDurationMs: i64 = 0;
  memorySizeMB: i64 = 0;
  maxMemoryUsedMB: i64 = 0;
  // Cold starts only: hasInitDuration says whether it is there.
  hasInitDuration: bool = false;
  initDurationMs: f64 = 0;
}

// The record of platform.report: one per invocation.
export class ReportRecord {
  requestId: string = "";
  // success, error, failure, timeout
  status: string = "";
  errorType: string = "";
  metrics: ReportMetrics = new ReportMetrics();
}

// The record of platform.initStart: one per environment. instanceId is the environment's log
// stream name.
export class InitStartRecord {
  initializationType: string = "";
  phase: string = "";
  functionName: string = "";
  functionVersion: string = "";
  instanceId: string = "";
  instanceMaxMemory: i64 = 0;
}

function str(raw: Uint8Array | null): string {
  const s = json.str(raw);
  return s == null ? "" : s;
}

// One event of a telemetry batch, in Lambda's telemetry schema.
export class TelemetryEvent {
  // When the host generated the event: RFC 3339, UTC, milliseconds ("2026-01-02T03:04:05.678Z").
  time: string = "";
  // "platform.report", "function", ...
  type: string = "";
  // The record's raw JSON (UTF-8): an object for platform events; for log lines a JSON string.
  record: Uint8Array = new Uint8Array(0);

  // Decodes a platform.report event; null for another type.
  report(): ReportRecord | null {
    if (this.type != "platform.report") return null;
    const r = new ReportRecord();
    const m = new Members(this.record);
    while (m.next()) {
      if (m.keyIs("requestId")) r.requestId = str(m.value());
      else if (m.keyIs("status")) r.status = str(m.value());
      else if (m.keyIs("errorType")) r.errorType = str(m.value());
      else if (m.keyIs("metrics")) {
        const x = new Members(m.value());
        const mt = r.metrics;
        while (x.next()) {
          if (x.keyIs("durationMs")) mt.durationMs = json.number(x.value());
          else if (x.keyIs("billedDurationMs")) mt.billedDurationMs = json.integer(x.value());
          else if (x.keyIs("memorySizeMB")) mt.memorySizeMB = json.integer(x.value());
          else if (x.keyIs("maxMemoryUsedMB")) mt.maxMemoryUsedMB = json.integer(x.value());
          else if (x.keyIs("initDurationMs")) { mt.initDurationMs = json.number(x.value()); mt.hasInitDuration = true; }
        }
      }
    }
    return r;
  }

  // Decodes a platform.initStart event; null for another type.
  initStart(): InitStartRecord | null {
    if (this.type != "platform.initStart") return null;
    const r = new InitStartRecord();
    const m = new Members(this.record);
    while (m.next()) {
      if (m.keyIs("initializationType")) r.initializationType = str(m.value());
      else if (m.keyIs("phase")) r.phase = str(m.value());
      else if (m.keyIs("functionName")) r.functionName = str(m.value());
      else if (m.keyIs("functionVersion")) r.functionVersion = str(m.value());
      else if (m.keyIs("instanceId")) r.instanceId = str(m.value());
      else if (m.keyIs("instanceMaxMemory")) r.instanceMaxMemory = json.integer(m.value());
    }
    return r;
  }

  // A function or extension log record as text (a JSON log record: its JSON); null for another
  // type.
  line(): string | null {
    if (this.type != "function" && this.type != "extension") return null;
    const s = json.str(this.record);
    return s != null ? s : String.UTF8.decodeUnsafe(this.record.dataStart, this.record.length);
  }
}

// Gets each telemetry batch, in order. AssemblyScript functions cannot capture locals: keep
// state in globals.
export type TelemetryHandler = (batch: TelemetryEvent[]) => void;

function encode(s: string): Uint8Array {
  return Uint8Array.wrap(String.UTF8.encode(s));
}

// A registered extension (register it with Extension.register).
export class Extension {
  // The register response: the function's name, version and handler.
  info: RegisterResponse = new RegisterResponse();
  // The name the extension registered with.
  name: string = "";
  // The last failure (null when the last call succeeded, or nextEvent ended with SHUTDOWN).
  error: ExtensionError | null = null;
  private buf: Uint8Array = new Uint8Array(1024);
  private tbuf: Uint8Array = new Uint8Array(64 << 10);
  private onBatch: TelemetryHandler | null = null;

  // Registers the extension for events, during INIT: POST /extension/register. With a name
  // other than extensionName() the extension is internal, and may not register for SHUTDOWN.
  // No events is a telemetry-only extension, stopped without SHUTDOWN when the environment
  // ends. Check .ok (or .error) before using it.
  static register(name: string, events: EventType[]): Extension {
    const x = new Extension();
    x.name = name;
    let body = "{\"events\":[";
    for (let i = 0; i < events.length; i++) {
      if (i > 0) body += ",";
      body += events[i] == EventType.SHUTDOWN ? "\"SHUTDOWN\"" : "\"INVOKE\"";
    }
    body += "]}";
    const n = encode(name);
    const b = encode(body);
    const rc = extension_register(n.dataStart, n.length, b.dataStart, b.length);
    if (rc < 0) { x.refused("register", -rc, false); return x; }
    const got = x.read(false, rc);
    if (got < 0) return x;
    const raw = x.buf.subarray(0, got);
    const m = new Members(raw);
    let members = 0;
    while (m.next()) {
      members++;
      if (m.keyIs("functionName")) x.info.functionName = str(m.value());
      else if (m.keyIs("functionVersion")) x.info.functionVersion = str(m.value());
      else if (m.keyIs("handler")) x.info.handler = str(m.value());
    }
    if (members == 0) x.unreadable("register", raw);
    return x;
  }

  // Whether the last call succeeded.
  get ok(): bool { return this.error == null; }

  // Blocks until the next event: GET /extension/event/next. Telemetry batches that become due
  // meanwhile go to the subscription's handler, and the wait goes on. Returns null after
  // SHUTDOWN (error null: return from the top level) or on a failure (error set).
  nextEvent(): Event | null {
    this.error = null;
    while (true) {
      const n = extension_next();
      if (n >= 0) {
        const got = this.read(false, <i32>n);
        if (got < 0) return null;
        return this.parseEvent(this.buf.subarray(0, got));
      }
      if (n == -Errno.EINTR) {
        if (this.deliverBatch() < 0) return null;
        continue;
      }
      if (n == -Errno.ECANCELED) return null;
      this.refused("next", <i32>-n, false);
      return null;
    }
  }

  // Reports that the extension failed to initialise (POST /extension/init/error), before its
  // first nextEvent: the environment's INIT fails with Extension.InitError. errorType is
  // Lambda's Lambda-Extension-Function-Error-Type, e.g. "Extension.ConfigInvalid". The module
  // should then return from its top level. False (and error set) if the host refused.
  initError(errorType: string, message: string): bool {
    const t = encode(errorType);
    const b = encode(errorJSON(errorType, message));
    const rc = extension_init_error(t.dataStart, t.length, b.dataStart, b.length);
    if (rc < 0) { this.refused("init_error", -rc, false); return false; }
    this.error = null;
    return true;
  }

  // Reports that the extension failed and will exit (POST /extension/exit/error): the current
  // invocation, or INIT, fails with Extension.ExitError.
  exitError(errorType: string, message: string): bool {
    const t = encode(errorType);
    const b = encode(errorJSON(errorType, message));
    const rc = extension_exit_error(t.dataStart, t.length, b.dataStart, b.length);
    if (rc < 0) { this.refused("exit_error", -rc, false); return false; }
    this.error = null;
    return true;
  }

  // Subscribes to telemetry (during INIT: after register, before the first nextEvent) and sets
  // the handler that gets each batch, in order, from nextEvent and flushTelemetry. Events since
  // the environment started are in the first batches. Calling it again replaces the
  // subscription's types, buffering and handler.
  subscribeTelemetry(sub: TelemetrySubscription, handler: TelemetryHandler): bool {
    const b = encode(sub.toJSON());
    const rc = telemetry_subscribe(b.dataStart, b.length);
    if (rc < 0) { this.refused("subscribe", -rc, true); return false; }
    this.onBatch = handler;
    this.error = null;
    return true;
  }

  // Hands every batch still buffered to the handler. Call it after SHUTDOWN, when all that is
  // buffered is due at once; before SHUTDOWN it waits for the next batch.
  flushTelemetry(): bool {
    this.error = null;
    if (this.onBatch == null) return true;
    while (true) {
      const rc = this.deliverBatch();
      if (rc < 0) return false;
      if (rc == 0) return true;
    }
  }

  // Takes the due batch and hands it to the handler: 1 when it did, 0 when there was none to
  // take (an event is waiting, or telemetry has ended), -1 on a failure (error set).
  private deliverBatch(): i32 {
    const n = telemetry_next();
    if (n == -Errno.EINTR || n == -Errno.ECANCELED) return 0;
    if (n < 0) { this.refused("telemetry_next", <i32>-n, true); return -1; }
    const got = this.read(true, <i32>n);
    if (got < 0) return -1;
    const raw = this.tbuf.subarray(0, got);
    const batch = new Array<TelemetryEvent>();
    const e = new Elements(raw);
    while (e.next()) {
      const ev = new TelemetryEvent();
      const m = new Members(e.value());
      while (m.next()) {
        if (m.keyIs("time")) ev.time = str(m.value());
        else if (m.keyIs("type")) ev.type = str(m.value());
        else if (m.keyIs("record")) ev.record = m.value().slice();
      }
      batch.push(ev);
    }
    if (e.malformed) { this.unreadable("telemetry_next", raw); return -1; }
    const h = this.onBatch;
    if (h != null) h(batch);
    return 1;
  }

  private parseEvent(raw: Uint8Array): Event | null {
    const ev = new Event();
    let type = "";
    const m = new Members(raw);
    while (m.next()) {
      if (m.keyIs("eventType")) type = str(m.value());
      else if (m.keyIs("deadlineMs")) ev.deadlineMs = json.integer(m.value());
      else if (m.keyIs("requestId")) ev.requestId = str(m.value());
      else if (m.keyIs("invokedFunctionArn")) ev.invokedFunctionArn = str(m.value());
      else if (m.keyIs("shutdownReason")) ev.shutdownReason = str(m.value());
      else if (m.keyIs("tracing")) {
        const t = new Tracing();
        const x = new Members(m.value());
        while (x.next()) {
          if (x.keyIs("type")) t.type = str(x.value());
          else if (x.keyIs("value")) t.value = str(x.value());
        }
        ev.tracing = t;
      }
    }
    if (type == "INVOKE") ev.eventType = EventType.INVOKE;
    else if (type == "SHUTDOWN") ev.eventType = EventType.SHUTDOWN;
    else { this.unreadable("next", raw); return null; }
    return ev;
  }

  // Reads the module's last response body (of length n) into its buffer, growing it: the
  // length, or -1 (error set).
  private read(telemetry: bool, n: i32): i32 {
    while (true) {
      let buf = telemetry ? this.tbuf : this.buf;
      if (n > buf.length) {
        buf = new Uint8Array((n + 4095) & ~4095);
        if (telemetry) this.tbuf = buf; else this.buf = buf;
      }
      const got = telemetry ? telemetry_read(buf.dataStart, buf.length) : extension_read(buf.dataStart, buf.length);
      if (got < 0) {
        const e = new ExtensionError();
        e.op = "read";
        e.errno = -got;
        this.error = e;
        return -1;
      }
      if (got <= buf.length) return got;
      n = got;
    }
  }

  // Sets the error of a refused call from its errno and the error body.
  private refused(op: string, errno: i32, telemetry: bool): void {
    const e = new ExtensionError();
    e.op = op;
    e.errno = errno;
    if (errno != Errno.EFAULT && errno != Errno.E2BIG) {
      const got = this.read(telemetry, 0);
      if (got >= 0) {
        const raw = (telemetry ? this.tbuf : this.buf).subarray(0, got);
        e.errorType = str(json.get(raw, "errorType"));
        e.message = str(json.get(raw, "errorMessage"));
      }
    }
    this.error = e;
  }

  private unreadable(op: string, raw: Uint8Array): void {
    const e = new ExtensionError();
    e.op = op;
    const n: i32 = raw.length < 200 ? raw.length : 200;
    e.message = "unreadable response " + String.UTF8.decodeUnsafe(raw.dataStart, <usize>n);
    this.error = e;
  }
}
