// Object I/O (wasmap_object_v1, ABI.md section 8): read and write objects by name.
//
// A name is a plain key ("images/a.jpg", resolved against defaultPrefix()) or a URI
// ("file:///abs/path", "s3://bucket/key"). The run decides what a module may reach: reads under
// the item source and --read-prefix locations, writes under --output-prefix only. Readers and
// writers belong to the invocation that opened them: when its result is recorded, the host
// closes the readers and discards the writers not closed.
//
// AssemblyScript has no exceptions: a failed call sets the object's errno (negative) instead;
// errnoName(errno) names it.

import {
  object_open, object_create, object_stat, object_size, object_read, object_write, object_close, object_abort, Errno,
} from "./env";
import { json } from "./json";

// The most one read or write call moves; the SDK loops for more.
const MAX_IO: i32 = 8 << 20;

function env(k: string): string {
  return process.env.has(k) ? process.env.get(k) : "";
}

// The output location (WASMAP_OUTPUT_PREFIX), a URI ending in "/", or "" when the run has none.
export function outputPrefix(): string { return env("WASMAP_OUTPUT_PREFIX"); }
// The location plain keys resolve against (WASMAP_DEFAULT_PREFIX).
export function defaultPrefix(): string { return env("WASMAP_DEFAULT_PREFIX"); }

// An object's description, as an S3 listObjectsV2 entry; errno is 0, or -errno when stat failed.
export class ObjectInfo {
  errno: i32 = 0;
  key: string = "";
  size: i64 = 0;
  // Quoted, as S3 gives it.
  etag: string = "";
  // Seconds since the epoch.
  lastModified: i64 = 0;
  // The description as the host wrote it.
  json: string = "";
}

// Describes the named object (needs read access).
export function stat(name: string): ObjectInfo {
  const info = new ObjectInfo();
  const n = String.UTF8.encode(name);
  let buf = new Uint8Array(2048);
  while (true) {
    const k = object_stat(changetype<usize>(n), n.byteLength, buf.dataStart, buf.length);
    if (k < 0) { info.errno = <i32>k; return info; }
    if (<i32>k <= buf.length) {
      const raw = buf.subarray(0, <i32>k);
      const key = json.str(json.get(raw, "Key"));
      const etag = json.str(json.get(raw, "Etag"));
      info.key = key == null ? "" : key;
      info.etag = etag == null ? "" : etag;
      info.size = json.integer(json.get(raw, "Size"));
      info.lastModified = json.integer(json.get(raw, "LastModified"));
      info.json = String.UTF8.decodeUnsafe(raw.dataStart, raw.length);
      return info;
    }
    buf = new Uint8Array(<i32>k);
  }
}

// Reader reads one object; its size is fixed at open. errno is 0, or -errno when open failed.
export class Reader {
  errno: i32 = 0;
  handle: i32 = 0;
  size: i64 = 0;
  offset: i64 = 0;

  // Opens the named object for reading.
  static open(name: string): Reader {
    const r = new Reader();
    const n = String.UTF8.encode(name);
    const h = object_open(changetype<usize>(n), n.byteLength);
    if (h < 0) { r.errno = <i32>h; return r; }
    const size = object_size(<i32>h);
    if (size < 0) { object_close(<i32>h); r.errno = <i32>size; return r; }
    r.handle = <i32>h;
    r.size = size;
    return r;
  }

  get ok(): bool { return this.errno == 0; }

  // One read at offset into buf: the bytes read (at most 8 MiB), 0 at the end, or -errno.
  readAt(buf: Uint8Array, offset: i64): i64 {
    const len = buf.length < MAX_IO ? buf.length : MAX_IO;
    return object_read(this.handle, offset, buf.dataStart, len);
  }

  // Reads at the current offset and advances it: the bytes read, 0 at the end, or -errno.
  read(buf: Uint8Array): i64 {
    const k = this.readAt(buf, this.offset);
    if (k > 0) this.offset += k;
    return k;
  }

  // Releases the object: 0 or -errno.
  close(): i32 { return <i32>object_close(this.handle); }
}

// Writer writes one new object. Nothing is visible until close() succeeds.
export class Writer {
  errno: i32 = 0;
  handle: i32 = 0;
  written: i64 = 0;

  // Creates a new object (needs write access: under the output location).
  static create(name: string): Writer {
    const w = new Writer();
    const n = String.UTF8.encode(name);
    const h = object_create(changetype<usize>(n), n.byteLength);
    if (h < 0) { w.errno = <i32>h; return w; }
    w.handle = <i32>h;
    return w;
  }

  // Creates outputPrefix() + name; errno -EACCES when the run has no output location.
  static createOutput(name: string): Writer {
    const prefix = outputPrefix();
    if (prefix.length == 0) {
      const w = new Writer();
      w.errno = -Errno.EACCES;
      return w;
    }
    return Writer.create(prefix + name);
  }

  get ok(): bool { return this.errno == 0; }

  // Appends all of data: its length, or -errno (the writer can then not commit).
  write(data: Uint8Array): i64 {
    let done = 0;
    while (done < data.length) {
      let chunk = data.length - done;
      if (chunk > MAX_IO) chunk = MAX_IO;
      const k = object_write(this.handle, data.dataStart + <usize>done, chunk);
      if (k < 0) return k;
      if (k == 0) return -Errno.EIO;
      done += <i32>k;
      this.written += k;
    }
    return data.length;
  }

  // Appends a string as UTF-8.
  writeString(s: string): i64 {
    return this.write(Uint8Array.wrap(String.UTF8.encode(s)));
  }

  // Commits the object: it appears whole, at once. 0 or -errno.
  close(): i32 { return <i32>object_close(this.handle); }

  // Discards the object. 0 or -errno.
  abort(): i32 { return <i32>object_abort(this.handle); }
}
