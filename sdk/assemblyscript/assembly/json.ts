// The little JSON a handler needs: find a member of an object, decode a string or an integer,
// quote a string. It works on the UTF-8 bytes the host sends (no conversion of a large event to
// a string), and accepts any valid JSON; it does not validate a whole document.

@inline function isWs(c: u8): bool {
  return c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D;
}

function skipWs(b: Uint8Array, i: i32): i32 {
  while (i < b.length && isWs(b[i])) i++;
  return i;
}

// Returns the index past the string at b[i], or -1.
function skipString(b: Uint8Array, i: i32): i32 {
  for (i++; i < b.length; i++) {
    const c = b[i];
    if (c == 0x5C) i++;
    else if (c == 0x22) return i + 1;
  }
  return -1;
}

// Returns the index past the value at b[i], or -1.
function skipValue(b: Uint8Array, i: i32): i32 {
  if (i >= b.length) return -1;
  const c = b[i];
  if (c == 0x22) return skipString(b, i);
  if (c == 0x7B || c == 0x5B) {
    let depth = 0;
    while (i < b.length) {
      const d = b[i];
      if (d == 0x22) {
        i = skipString(b, i);
        if (i < 0) return -1;
        continue;
      }
      if (d == 0x7B || d == 0x5B) depth++;
      else if (d == 0x7D || d == 0x5D) {
        if (--depth == 0) return i + 1;
      }
      i++;
    }
    return -1;
  }
  let j = i;
  while (j < b.length) {
    const d = b[j];
    if (d == 0x2C || d == 0x7D || d == 0x5D || isWs(d)) break;
    j++;
  }
  return j > i ? j : -1;
}

// keyEquals reports whether obj[start:end) (a key's raw bytes, between its quotes) is key,
// comparing an ASCII key without encoding it.
function keyEquals(obj: Uint8Array, start: i32, end: i32, key: string): bool {
  let ascii = true;
  for (let j = 0; j < key.length; j++) if (key.charCodeAt(j) >= 0x80) { ascii = false; break; }
  if (ascii) {
    if (end - start != key.length) return false;
    for (let j = 0; j < key.length; j++) if (<i32>obj[start + j] != key.charCodeAt(j)) return false;
    return true;
  }
  const k = Uint8Array.wrap(String.UTF8.encode(key));
  if (end - start != k.length) return false;
  for (let j = 0; j < k.length; j++) if (obj[start + j] != k[j]) return false;
  return true;
}

// Members walks the top-level members of an object without copying:
//
//   const m = new json.Members(obj);
//   while (m.next()) if (m.keyIs("id")) use(m.value());
export class Members {
  private obj: Uint8Array;
  private i: i32;
  private done: bool = false;
  keyStart: i32 = 0;
  keyEnd: i32 = 0;
  valueStart: i32 = 0;
  valueEnd: i32 = 0;

  constructor(obj: Uint8Array) {
    this.obj = obj;
    const i = skipWs(obj, 0);
    this.done = i >= obj.length || obj[i] != 0x7B;
    this.i = this.done ? 0 : skipWs(obj, i + 1);
  }

  // Moves to the next member; false at the end of the object or at a malformed member.
  next(): bool {
    if (this.done) return false;
    const obj = this.obj;
    let i = this.i;
    if (i >= obj.length || obj[i] != 0x22) { this.done = true; return false; }
    const kend = skipString(obj, i);
    if (kend < 0) { this.done = true; return false; }
    this.keyStart = i + 1;
    this.keyEnd = kend - 1;
    i = skipWs(obj, kend);
    if (i >= obj.length || obj[i] != 0x3A) { this.done = true; return false; }
    const vstart = skipWs(obj, i + 1);
    const vend = skipValue(obj, vstart);
    if (vend < 0) { this.done = true; return false; }
    this.valueStart = vstart;
    this.valueEnd = vend;
    i = skipWs(obj, vend);
    if (i < obj.length && obj[i] == 0x2C) this.i = skipWs(obj, i + 1);
    else this.done = true;
    return true;
  }

  // Whether the current member's raw key is key (escaped keys are compared raw).
  keyIs(key: string): bool {
    return keyEquals(this.obj, this.keyStart, this.keyEnd, key);
  }

  // The current member's raw JSON value (a view).
  value(): Uint8Array {
    return this.obj.subarray(this.valueStart, this.valueEnd);
  }
}

// Elements walks the elements of an array without copying:
//
//   const e = new Elements(arr);
//   while (e.next()) use(e.value());
export class Elements {
  private arr: Uint8Array;
  private i: i32;
  private done: bool = false;
  valueStart: i32 = 0;
  valueEnd: i32 = 0;
  // Set when the array is malformed (next then returned false before its end).
  malformed: bool = false;

  constructor(arr: Uint8Array) {
    this.arr = arr;
    const i = skipWs(arr, 0);
    this.done = i >= arr.length || arr[i] != 0x5B;
    this.malformed = this.done;
    this.i = this.done ? 0 : skipWs(arr, i + 1);
    if (!this.done && this.i < arr.length && arr[this.i] == 0x5D) this.done = true;
  }

  // Moves to the next element; false at the end of the array or at a malformed element.
  next(): bool {
    if (this.done) return false;
    const arr = this.arr;
    const end = skipValue(arr, this.i);
    if (end < 0) { this.done = this.malformed = true; return false; }
    this.valueStart = this.i;
    this.valueEnd = end;
    const i = skipWs(arr, end);
    if (i < arr.length && arr[i] == 0x2C) this.i = skipWs(arr, i + 1);
    else {
      this.done = true;
      this.malformed = !(i < arr.length && arr[i] == 0x5D);
    }
    return true;
  }

  // The current element's raw JSON (a view).
  value(): Uint8Array {
    return this.arr.subarray(this.valueStart, this.valueEnd);
  }
}

export namespace json {
  // get returns the raw JSON of the top-level member key of the object obj (a view, no copy),
  // or null.
  export function get(obj: Uint8Array, key: string): Uint8Array | null {
    let i = skipWs(obj, 0);
    if (i >= obj.length || obj[i] != 0x7B) return null;
    i = skipWs(obj, i + 1);
    if (i < obj.length && obj[i] == 0x7D) return null;
    while (true) {
      if (i >= obj.length || obj[i] != 0x22) return null;
      const kstart = i;
      const kend = skipString(obj, i);
      if (kend < 0) return null;
      i = skipWs(obj, kend);
      if (i >= obj.length || obj[i] != 0x3A) return null;
      const vstart = skipWs(obj, i + 1);
      const vend = skipValue(obj, vstart);
      if (vend < 0) return null;
      let match = keyEquals(obj, kstart + 1, kend - 1, key);
      if (!match) {
        let escaped = false;
        for (let j = kstart; j < kend; j++) if (obj[j] == 0x5C) escaped = true;
        if (escaped) {
          const s = str(obj.subarray(kstart, kend));
          match = s != null && s == key;
        }
      }
      if (match) return obj.subarray(vstart, vend);
      i = skipWs(obj, vend);
      if (i >= obj.length || obj[i] != 0x2C) return null;
      i = skipWs(obj, i + 1);
    }
  }

  // str decodes a JSON string (quotes included), or returns null.
  export function str(raw: Uint8Array | null): string | null {
    if (raw == null) return null;
    let s = skipWs(raw, 0);
    let e = raw.length;
    while (e > s && isWs(raw[e - 1])) e--;
    if (e - s < 2 || raw[s] != 0x22 || raw[e - 1] != 0x22) return null;
    const body = raw.subarray(s + 1, e - 1);
    let plain = true;
    for (let i = 0; i < body.length; i++) if (body[i] == 0x5C) { plain = false; break; }
    if (plain) return String.UTF8.decodeUnsafe(body.dataStart, body.length);
    // Unescape into UTF-8, then decode.
    const out = new Uint8Array(body.length);
    let n = 0;
    for (let i = 0; i < body.length;) {
      const c = body[i];
      if (c != 0x5C) { out[n++] = c; i++; continue; }
      if (i + 1 >= body.length) return null;
      const x = body[i + 1];
      i += 2;
      if (x == 0x22 || x == 0x5C || x == 0x2F) out[n++] = x;
      else if (x == 0x62) out[n++] = 0x08;
      else if (x == 0x66) out[n++] = 0x0C;
      else if (x == 0x6E) out[n++] = 0x0A;
      else if (x == 0x72) out[n++] = 0x0D;
      else if (x == 0x74) out[n++] = 0x09;
      else if (x == 0x75) {
        const hi = hex4(body, i);
        if (hi < 0) return null;
        i += 4;
        let r = hi;
        if (hi >= 0xD800 && hi < 0xDC00) {
          const lo = i + 1 < body.length && body[i] == 0x5C && body[i + 1] == 0x75 ? hex4(body, i + 2) : -1;
          if (lo >= 0xDC00 && lo < 0xE000) {
            r = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
            i += 6;
          } else r = 0xFFFD;
        } else if (hi >= 0xDC00 && hi < 0xE000) r = 0xFFFD;
        n = putRune(out, n, r);
      } else return null;
    }
    return String.UTF8.decodeUnsafe(out.dataStart, n);
  }

  // integer decodes a JSON integer, or returns def.
  export function integer(raw: Uint8Array | null, def: i64 = 0): i64 {
    if (raw == null) return def;
    let i = skipWs(raw, 0);
    let e = raw.length;
    while (e > i && isWs(raw[e - 1])) e--;
    const neg = i < e && raw[i] == 0x2D;
    if (neg) i++;
    if (i >= e || e - i > 18) return def;
    let v: i64 = 0;
    for (; i < e; i++) {
      const c = raw[i];
      if (c < 0x30 || c > 0x39) return def;
      v = v * 10 + <i64>(c - 0x30);
    }
    return neg ? -v : v;
  }

  // number decodes a JSON number (an integer, a fraction, an exponent), or returns def.
  export function number(raw: Uint8Array | null, def: f64 = 0): f64 {
    if (raw == null) return def;
    let i = skipWs(raw, 0);
    let e = raw.length;
    while (e > i && isWs(raw[e - 1])) e--;
    if (i >= e) return def;
    for (let j = i; j < e; j++) {
      const c = raw[j];
      if (!((c >= 0x30 && c <= 0x39) || c == 0x2D || c == 0x2B || c == 0x2E || c == 0x65 || c == 0x45)) return def;
    }
    const c0 = raw[i];
    if (!((c0 >= 0x30 && c0 <= 0x39) || c0 == 0x2D)) return def;
    return parseFloat(String.UTF8.decodeUnsafe(raw.dataStart + <usize>i, e - i));
  }

  // quote returns s as a JSON string, quotes included, escaped as Go's json.Marshal escapes:
  // <, > and & as \u003c \u003e \u0026, U+2028 and U+2029 escaped, a lone surrogate as \ufffd.
  export function quote(s: string): string {
    const hex = "0123456789abcdef";
    let out = "\"";
    let start = 0;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      let esc: string | null = null;
      if (c == 0x22) esc = "\\\"";
      else if (c == 0x5C) esc = "\\\\";
      else if (c == 0x08) esc = "\\b";
      else if (c == 0x0C) esc = "\\f";
      else if (c == 0x0A) esc = "\\n";
      else if (c == 0x0D) esc = "\\r";
      else if (c == 0x09) esc = "\\t";
      else if (c < 0x20 || c == 0x3C || c == 0x3E || c == 0x26 || c == 0x2028 || c == 0x2029) {
        esc = "\\u" + hex.charAt((c >> 12) & 15) + hex.charAt((c >> 8) & 15) + hex.charAt((c >> 4) & 15) + hex.charAt(c & 15);
      } else if (c >= 0xD800 && c < 0xDC00) {
        const d = i + 1 < s.length ? s.charCodeAt(i + 1) : 0;
        if (d >= 0xDC00 && d < 0xE000) { i++; continue; }
        esc = "\\ufffd";
      } else if (c >= 0xDC00 && c < 0xE000) {
        esc = "\\ufffd";
      }
      if (esc != null) {
        out += s.substring(start, i) + esc;
        start = i + 1;
      }
    }
    return out + s.substring(start) + "\"";
  }
}

function hex4(b: Uint8Array, i: i32): i32 {
  if (i + 4 > b.length) return -1;
  let v = 0;
  for (let k = i; k < i + 4; k++) {
    const c = <i32>b[k];
    v <<= 4;
    if (c >= 0x30 && c <= 0x39) v |= c - 0x30;
    else if (c >= 0x61 && c <= 0x66) v |= c - 0x61 + 10;
    else if (c >= 0x41 && c <= 0x46) v |= c - 0x41 + 10;
    else return -1;
  }
  return v;
}

function putRune(out: Uint8Array, n: i32, r: i32): i32 {
  if (r < 0x80) { out[n++] = <u8>r; }
  else if (r < 0x800) { out[n++] = <u8>(0xC0 | (r >> 6)); out[n++] = <u8>(0x80 | (r & 0x3F)); }
  else if (r < 0x10000) {
    out[n++] = <u8>(0xE0 | (r >> 12)); out[n++] = <u8>(0x80 | ((r >> 6) & 0x3F)); out[n++] = <u8>(0x80 | (r & 0x3F));
  } else {
    out[n++] = <u8>(0xF0 | (r >> 18)); out[n++] = <u8>(0x80 | ((r >> 12) & 0x3F));
    out[n++] = <u8>(0x80 | ((r >> 6) & 0x3F)); out[n++] = <u8>(0x80 | (r & 0x3F));
  }
  return n;
}
