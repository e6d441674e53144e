// The AssemblyScript SDK's sample: for each file of a folder (an item {"Key","Size",…} of a
// folder source), writes an upper-cased copy to the output location as <Key>.upper and responds
// {"bytes":<size>,"key":<Key>}. Build: see ../../README.md.
import { Context, Response, start, json, log, Reader, Writer, errnoName } from "wasmap";

function fail(key: string, errno: i64): Response {
  return Response.error("ObjectError", key + ": " + errnoName(errno));
}

function handle(item: Uint8Array, ctx: Context): Response {
  const key = json.str(json.get(item, "Key"));
  if (key == null) return Response.error("MissingKeyError", "the item has no Key: run over a folder");
  const r = Reader.open(key);
  if (!r.ok) return fail(key, r.errno);
  const w = Writer.createOutput(key + ".upper");
  if (!w.ok) { r.close(); return fail(key, w.errno); }
  const buf = new Uint8Array(64 << 10);
  let total: i64 = 0;
  while (true) {
    const k = r.read(buf);
    if (k < 0) { r.close(); w.abort(); return fail(key, k); }
    if (k == 0) break;
    for (let i = 0; i < <i32>k; i++) {
      const c = buf[i];
      if (c >= 0x61 && c <= 0x7A) buf[i] = c - 0x20;
    }
    const wk = w.write(buf.subarray(0, <i32>k));
    if (wk < 0) { r.close(); w.abort(); return fail(key, wk); }
    total += k;
  }
  r.close();
  const rc = w.close(); // the object appears only now
  if (rc < 0) return fail(key, rc);
  log.info(key + ": " + total.toString() + " bytes");
  return Response.json("{\"bytes\":" + total.toString() + ",\"key\":" + json.quote(key) + "}");
}

start(handle);
