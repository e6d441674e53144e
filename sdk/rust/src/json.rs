//! The little JSON a handler needs without crates: find a field of an object, decode a string or
//! an integer, and quote a string. It reads the compact JSON the host sends and any other valid
//! JSON; it does not validate a whole document.
//!
//! `quote` escapes as Go's `encoding/json` does (`json.Marshal`), so that the error JSON of every
//! wasmap SDK is byte for byte the same: `"` `\` and control characters, `\b \f \n \r \t` in
//! short form, `<` `>` `&` as `\u003c \u003e \u0026`, U+2028 and U+2029 as `\u2028 \u2029`.

/// Calls `f(raw_key, raw_value)` for each top-level member of the object `obj`, in order, with
/// the key's raw bytes between its quotes (escapes not decoded) and the value's raw JSON. Stops
/// at the end of the object or at the first malformed member; returns false if `obj` is not an
/// object or is malformed.
pub fn members<'a>(obj: &'a [u8], mut f: impl FnMut(&'a [u8], &'a [u8])) -> bool {
    let mut i = skip_ws(obj, 0);
    if obj.get(i) != Some(&b'{') {
        return false;
    }
    i = skip_ws(obj, i + 1);
    if obj.get(i) == Some(&b'}') {
        return true;
    }
    loop {
        if obj.get(i) != Some(&b'"') {
            return false;
        }
        let kend = match skip_string(obj, i) {
            Some(k) => k,
            None => return false,
        };
        let key = &obj[i + 1..kend - 1];
        i = skip_ws(obj, kend);
        if obj.get(i) != Some(&b':') {
            return false;
        }
        let vstart = skip_ws(obj, i + 1);
        let vend = match skip_value(obj, vstart) {
            Some(v) => v,
            None => return false,
        };
        f(key, &obj[vstart..vend]);
        i = skip_ws(obj, vend);
        match obj.get(i) {
            Some(b',') => i = skip_ws(obj, i + 1),
            Some(b'}') => return true,
            _ => return false,
        }
    }
}

/// Calls `f(raw_value)` for each element of the array `arr`, in order. Stops at the end of the
/// array or at the first malformed element; returns false if `arr` is not an array or is
/// malformed.
pub fn elements<'a>(arr: &'a [u8], mut f: impl FnMut(&'a [u8])) -> bool {
    let mut i = skip_ws(arr, 0);
    if arr.get(i) != Some(&b'[') {
        return false;
    }
    i = skip_ws(arr, i + 1);
    if arr.get(i) == Some(&b']') {
        return true;
    }
    loop {
        let end = match skip_value(arr, i) {
            Some(e) => e,
            None => return false,
        };
        f(&arr[i..end]);
        i = skip_ws(arr, end);
        match arr.get(i) {
            Some(b',') => i = skip_ws(arr, i + 1),
            Some(b']') => return true,
            _ => return false,
        }
    }
}

/// Returns the raw JSON of the member `key` of the object `obj` (a top-level member only), or
/// `None` when `obj` is not an object or has no such member. The first member of that name wins.
pub fn get<'a>(obj: &'a [u8], key: &str) -> Option<&'a [u8]> {
    let mut i = skip_ws(obj, 0);
    if obj.get(i) != Some(&b'{') {
        return None;
    }
    i = skip_ws(obj, i + 1);
    if obj.get(i) == Some(&b'}') {
        return None;
    }
    loop {
        let kstart = i;
        let kend = skip_value(obj, kstart)?;
        if obj.get(kstart) != Some(&b'"') {
            return None;
        }
        i = skip_ws(obj, kend);
        if obj.get(i) != Some(&b':') {
            return None;
        }
        let vstart = skip_ws(obj, i + 1);
        let vend = skip_value(obj, vstart)?;
        let raw_key = &obj[kstart..kend];
        if raw_key.len() == key.len() + 2 && &raw_key[1..raw_key.len() - 1] == key.as_bytes()
            || (raw_key.contains(&b'\\') && string(raw_key).as_deref() == Some(key))
        {
            return Some(&obj[vstart..vend]);
        }
        i = skip_ws(obj, vend);
        match obj.get(i) {
            Some(b',') => i = skip_ws(obj, i + 1),
            _ => return None,
        }
    }
}

/// Decodes a JSON string (quotes included in `raw`); `None` if `raw` is not one. Invalid
/// surrogates become U+FFFD, as in Go.
pub fn string(raw: &[u8]) -> Option<String> {
    let raw = trim(raw);
    if raw.len() < 2 || raw[0] != b'"' || raw[raw.len() - 1] != b'"' {
        return None;
    }
    let body = &raw[1..raw.len() - 1];
    if !body.contains(&b'\\') {
        return std::str::from_utf8(body).ok().map(str::to_owned);
    }
    let mut out: Vec<u8> = Vec::with_capacity(body.len());
    let mut i = 0;
    while i < body.len() {
        let c = body[i];
        if c != b'\\' {
            out.push(c);
            i += 1;
            continue;
        }
        let e = *body.get(i + 1)?;
        i += 2;
        let ch = match e {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let hi = hex4(body.get(i..i + 4)?)?;
                i += 4;
                if (0xD800..0xDC00).contains(&hi) && body.get(i) == Some(&b'\\') && body.get(i + 1) == Some(&b'u') {
                    let lo = body.get(i + 2..i + 6).and_then(hex4);
                    match lo {
                        Some(lo) if (0xDC00..0xE000).contains(&lo) => {
                            i += 6;
                            char::from_u32(0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)).unwrap_or('\u{FFFD}')
                        }
                        _ => '\u{FFFD}',
                    }
                } else {
                    char::from_u32(hi).unwrap_or('\u{FFFD}')
                }
            }
            _ => return None,
        };
        let mut b = [0u8; 4];
        out.extend_from_slice(ch.encode_utf8(&mut b).as_bytes());
    }
    String::from_utf8(out).ok()
}

/// Decodes a JSON integer; `None` for anything else (a fraction, an exponent, a string).
pub fn int(raw: &[u8]) -> Option<i64> {
    std::str::from_utf8(trim(raw)).ok()?.parse().ok()
}

/// Decodes a JSON number (an integer, a fraction, an exponent); `None` for anything else.
pub fn float(raw: &[u8]) -> Option<f64> {
    let t = trim(raw);
    if t.first().map_or(true, |c| !(c.is_ascii_digit() || *c == b'-')) {
        return None; // Rust's parser also takes "inf", "NaN", "+1": JSON does not
    }
    std::str::from_utf8(t).ok()?.parse().ok()
}

/// Returns `s` as a JSON string, quotes included, escaped as Go's `json.Marshal` does.
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    push_quoted(&mut out, s);
    out
}

/// Appends `s` to `out` as a JSON string (see [`quote`]).
pub fn push_quoted(out: &mut String, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' | '\u{0}'..='\u{1f}' => {
                let n = c as u32;
                out.push_str("\\u");
                for shift in [12, 8, 4, 0] {
                    out.push(HEX[((n >> shift) & 0xF) as usize] as char);
                }
            }
            _ => out.push(c),
        }
    }
    out.push('"');
}

fn hex4(b: &[u8]) -> Option<u32> {
    let mut n = 0u32;
    for &c in b {
        n = n * 16 + (c as char).to_digit(16)?;
    }
    Some(n)
}

fn trim(b: &[u8]) -> &[u8] {
    let start = skip_ws(b, 0);
    let mut end = b.len();
    while end > start && matches!(b[end - 1], b' ' | b'\t' | b'\n' | b'\r') {
        end -= 1;
    }
    &b[start..end]
}

fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && matches!(b[i], b' ' | b'\t' | b'\n' | b'\r') {
        i += 1;
    }
    i
}

/// Returns the index just past the JSON value starting at `b[i]`.
fn skip_value(b: &[u8], i: usize) -> Option<usize> {
    match *b.get(i)? {
        b'"' => skip_string(b, i),
        b'{' | b'[' => {
            let mut depth = 0usize;
            let mut j = i;
            while j < b.len() {
                match b[j] {
                    b'"' => {
                        j = skip_string(b, j)?;
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return Some(j + 1);
                        }
                    }
                    _ => {}
                }
                j += 1;
            }
            None
        }
        _ => {
            let mut j = i;
            while j < b.len() && !matches!(b[j], b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r') {
                j += 1;
            }
            if j == i {
                None
            } else {
                Some(j)
            }
        }
    }
}

fn skip_string(b: &[u8], i: usize) -> Option<usize> {
    let mut j = i + 1;
    while j < b.len() {
        match b[j] {
            b'\\' => j += 2,
            b'"' => return Some(j + 1),
            _ => j += 1,
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields() {
        let doc = br#" {"a" : [1,{"x":"}"}], "b":"q\"uo\u00e9\ud83d\ude00", "c":-42 ,"d":{"e":1}} "#;
        assert_eq!(get(doc, "a"), Some(&br#"[1,{"x":"}"}]"#[..]));
        assert_eq!(string(get(doc, "b").unwrap()).unwrap(), "q\"uo\u{e9}\u{1F600}");
        assert_eq!(int(get(doc, "c").unwrap()), Some(-42));
        assert_eq!(get(doc, "d"), Some(&br#"{"e":1}"#[..]));
        assert_eq!(get(doc, "e"), None);
        assert_eq!(get(b"[1]", "a"), None);
        let mut keys = Vec::new();
        assert!(members(doc, |k, _| keys.push(k.to_vec())));
        assert_eq!(keys, vec![b"a".to_vec(), b"b".to_vec(), b"c".to_vec(), b"d".to_vec()]);
        let mut els = Vec::new();
        assert!(elements(br#" [1, "a]", {"b":[2]} ,[]] "#, |v| els.push(v.to_vec())));
        assert_eq!(els, vec![b"1".to_vec(), br#""a]""#.to_vec(), br#"{"b":[2]}"#.to_vec(), b"[]".to_vec()]);
        assert!(elements(b"[]", |_| panic!("no elements")));
        assert!(!elements(b"{}", |_| {}));
        assert_eq!(float(b"1.25e2"), Some(125.0));
        assert_eq!(float(b"-3"), Some(-3.0));
        assert_eq!(float(b"\"1\""), None);
        assert_eq!(float(b"inf"), None);
    }

    #[test]
    fn quoting() {
        assert_eq!(quote("a\"b\\c\n\t\u{1}<>&\u{2028}é\u{8}\u{c}"), r#""a\"b\\c\n\t\u0001\u003c\u003e\u0026\u2028é\b\f""#);
    }
}
