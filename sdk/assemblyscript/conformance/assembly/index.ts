// The AssemblyScript conformance module: the behaviours of runner/internal/conformance (protocol
// in its doc.go), written with this SDK; the suite requires the same results as every other
// SDK's. Build: see ../../README.md (the module imports the SDK as "wasmap").
import { Context, Response, start, initError, fn, log, json, Reader, Writer, stat, errnoName } from "wasmap";

let invocations: i64 = 0;

function field(ev: Uint8Array, k: string): string {
  const s = json.str(json.get(ev, k));
  return s == null ? "" : s;
}

function num(ev: Uint8Array, k: string): i64 {
  return json.integer(json.get(ev, k));
}

function errResult(e: i64): Response {
  return Response.json("{\"err\":" + json.quote(errnoName(e)) + "}");
}

function objects(op: string, ev: Uint8Array): Response {
  if (op == "open") {
    const r = Reader.open(field(ev, "key"));
    if (!r.ok) return errResult(r.errno);
    r.close();
    return Response.json("{\"size\":" + r.size.toString() + "}");
  }
  if (op == "stat") {
    const i = stat(field(ev, "key"));
    if (i.errno != 0) return errResult(i.errno);
    return Response.json("{\"Etag\":" + json.quote(i.etag) + ",\"Key\":" + json.quote(i.key) +
      ",\"LastModified\":" + i.lastModified.toString() + ",\"Size\":" + i.size.toString() + "}");
  }
  if (op == "read") {
    const r = Reader.open(field(ev, "key"));
    if (!r.ok) return errResult(r.errno);
    const buf = new Uint8Array(<i32>num(ev, "len"));
    const off = num(ev, "offset");
    let n = 0;
    while (n < buf.length) {
      const k = r.readAt(buf.subarray(n), off + n);
      if (k < 0) { r.close(); return errResult(k); }
      if (k == 0) break;
      n += <i32>k;
    }
    r.close();
    const data = String.UTF8.decodeUnsafe(buf.dataStart, n);
    return Response.json("{\"data\":" + json.quote(data) + ",\"n\":" + n.toString() + "}");
  }
  if (op == "copy") {
    const r = Reader.open(field(ev, "from"));
    if (!r.ok) return errResult(r.errno);
    const w = Writer.createOutput(field(ev, "to"));
    if (!w.ok) { r.close(); return errResult(w.errno); }
    const buf = new Uint8Array(4096);
    let total: i64 = 0;
    while (true) {
      const k = r.read(buf);
      if (k < 0) { w.abort(); r.close(); return errResult(k); }
      if (k == 0) break;
      const wk = w.write(buf.subarray(0, <i32>k));
      if (wk < 0) { w.abort(); r.close(); return errResult(wk); }
      total += k;
    }
    r.close();
    const rc = w.close();
    if (rc < 0) return errResult(rc);
    return Response.json("{\"bytes\":" + total.toString() + "}");
  }
  // write, leak
  const w = Writer.createOutput(field(ev, "to"));
  if (!w.ok) return errResult(w.errno);
  const k = w.writeString(field(ev, "data"));
  if (k < 0) return errResult(k);
  if (op == "write") {
    const rc = w.close();
    if (rc < 0) return errResult(rc);
  } // leak: never closed, the host discards it
  return Response.json("{\"bytes\":" + k.toString() + "}");
}

function handle(ev: Uint8Array, ctx: Context): Response {
  invocations++;
  const op = field(ev, "op");
  if (op == "echo") {
    const v = json.get(ev, "value");
    return v == null ? Response.json("null") : Response.bytes(v);
  }
  if (op == "counter") return Response.json(invocations.toString());
  if (op == "error") return Response.error("ConformanceError", field(ev, "message"));
  if (op == "panic") abort(field(ev, "message"));
  if (op == "trap") unreachable();
  if (op == "big") {
    let size = <i32>num(ev, "bytes");
    if (size < 2) size = 2;
    const b = new Uint8Array(size);
    b.fill(0x78);
    b[0] = 0x22;
    b[size - 1] = 0x22;
    return Response.bytes(b);
  }
  if (op == "context") {
    return Response.json("{\"deadlineMs\":" + ctx.deadlineMs.toString() +
      ",\"functionName\":" + json.quote(fn.name()) +
      ",\"invokedFunctionArn\":" + json.quote(ctx.invokedFunctionArn) +
      ",\"memoryMB\":" + fn.memoryLimitMB().toString() +
      ",\"remainingMs\":" + ctx.remainingMs().toString() +
      ",\"requestId\":" + json.quote(ctx.requestId) +
      ",\"traceId\":" + json.quote(ctx.traceId) + "}");
  }
  if (op == "log") {
    const m = field(ev, "message");
    log.trace(m);
    log.debug(m);
    log.info(m);
    log.warn(m);
    log.error(m);
    log.fatal(m);
    console.log("stdout: " + m);
    process.stderr.write("stderr: " + m + "\n");
    return Response.json("8");
  }
  if (op == "field") {
    const doc = json.get(ev, "doc");
    let raw: Uint8Array | null = null;
    if (doc != null) raw = json.get(doc, field(ev, "key"));
    if (raw == null) return Response.json("{\"int\":null,\"raw\":null,\"string\":null}");
    const v = json.integer(raw, 0);
    const isInt = v != 0 || json.integer(raw, 1) == 0;
    const str = json.str(raw);
    return Response.json("{\"int\":" + (isInt ? v.toString() : "null") +
      ",\"raw\":" + json.quote(String.UTF8.decodeUnsafe(raw.dataStart, raw.length)) +
      ",\"string\":" + (str == null ? "null" : json.quote(str)) + "}");
  }
  if (op == "open" || op == "stat" || op == "read" || op == "copy" || op == "write" || op == "leak") {
    return objects(op, ev);
  }
  return Response.error("UnknownOpError", "unknown op: " + op);
}

if (process.env.has("CONFORMANCE_INIT") && process.env.get("CONFORMANCE_INIT") == "fail") {
  initError("InitFailure", "conformance: init failed on purpose");
} else {
  start(handle);
}
