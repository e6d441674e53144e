//! Object I/O (`wasmap_object_v1`, ABI.md §8): read and write objects by name, as
//! `std::io::Read + Seek` and `std::io::Write`.
//!
//! ```ignore
//! use std::io::{Read, Write};
//! let mut r = wasmap::object::open("poems/the-tyger.txt")?;
//! let mut text = String::new();
//! r.read_to_string(&mut text)?;
//! let mut w = wasmap::object::create_output("the-tyger.upper.txt")?;
//! w.write_all(text.to_uppercase().as_bytes())?;
//! w.close()?; // the object appears, whole, only now
//! ```
//!
//! A name is a plain key (`images/a.jpg`, resolved against [`default_prefix`]) or a URI
//! (`file:///abs/path`, `s3://bucket/key`). The run decides what a module may reach: reads under
//! the item source and `--read-prefix` locations, writes under `--output-prefix` only.
//!
//! Readers and writers belong to the invocation that opened them (or to init): when its result
//! is recorded the host closes the readers and discards the writers not closed. A [`Writer`]
//! dropped without [`Writer::close`] is aborted: nothing appears.
//!
//! Errors are `std::io::Error`s whose inner error is an [`Errno`] (see [`errno_of`]); their
//! kinds: `EACCES` PermissionDenied, `ENOENT` NotFound, `EINVAL`/`ENAMETOOLONG` InvalidInput,
//! `ENOTSUP` Unsupported, others Other.

use std::fmt;
use std::io;

use crate::{json, sys};

/// The most one read or write call moves (8 MiB); the SDK loops for more.
pub const MAX_IO: usize = 8 << 20;

/// A failed object call's errno (WASI numbering, ABI.md §5).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Errno(pub i32);

impl Errno {
    /// The errno's name: "ENOENT".
    pub fn name(self) -> &'static str {
        sys::errno::name(self.0)
    }
    fn meaning(self) -> &'static str {
        use sys::errno::*;
        match self.0 {
            EACCES => "permission denied",
            EBADF => "bad or stale handle",
            EFAULT => "buffer outside memory",
            EINVAL => "invalid argument",
            EIO => "input/output error",
            EISDIR => "is a folder",
            EMFILE => "too many open objects",
            ENAMETOOLONG => "name too long",
            ENOENT => "no such object",
            ENOSPC => "no space left",
            ENOTDIR => "not a folder",
            ENOTSUP => "not supported by this host",
            _ => "error",
        }
    }
    fn kind(self) -> io::ErrorKind {
        use sys::errno::*;
        match self.0 {
            EACCES => io::ErrorKind::PermissionDenied,
            ENOENT => io::ErrorKind::NotFound,
            EINVAL | ENAMETOOLONG => io::ErrorKind::InvalidInput,
            ENOTSUP => io::ErrorKind::Unsupported,
            _ => io::ErrorKind::Other,
        }
    }
}

impl fmt::Display for Errno {
    /// "no such object (ENOENT)", as the Go SDK's Errno.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            "" => write!(f, "errno {}", self.0),
            n => write!(f, "{} ({})", self.meaning(), n),
        }
    }
}

impl std::error::Error for Errno {}

/// The [`Errno`] inside an error returned by this module, if any.
pub fn errno_of(e: &io::Error) -> Option<Errno> {
    e.get_ref().and_then(|inner| inner.downcast_ref::<Errno>()).copied()
}

fn err(rc: i64) -> io::Error {
    let e = Errno((-rc) as i32);
    io::Error::new(e.kind(), e)
}

/// The output location as a URI ending in `/` (`WASMAP_OUTPUT_PREFIX`), or "" when the run
/// declares none.
pub fn output_prefix() -> String {
    std::env::var("WASMAP_OUTPUT_PREFIX").unwrap_or_default()
}

/// The location plain keys resolve against (`WASMAP_DEFAULT_PREFIX`), a URI ending in `/`.
pub fn default_prefix() -> String {
    std::env::var("WASMAP_DEFAULT_PREFIX").unwrap_or_default()
}

/// An object's description, as an S3 listObjectsV2 entry.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Info {
    /// The key in its location.
    pub key: String,
    pub size: i64,
    /// Quoted, as S3 gives it.
    pub etag: String,
    /// Seconds since the epoch.
    pub last_modified: i64,
    /// The description's JSON as the host wrote it.
    pub json: String,
}

/// Describes the named object (needs read access).
pub fn stat(name: &str) -> io::Result<Info> {
    let mut buf = vec![0u8; 2048];
    loop {
        let n = sys::object_stat(name, &mut buf);
        if n < 0 {
            return Err(err(n));
        }
        if n as usize > buf.len() {
            buf.resize(n as usize, 0);
            continue;
        }
        let raw = &buf[..n as usize];
        let s = |k| json::get(raw, k).and_then(json::string).unwrap_or_default();
        let i = |k| json::get(raw, k).and_then(json::int).unwrap_or_default();
        return Ok(Info {
            key: s("Key"),
            size: i("Size"),
            etag: s("Etag"),
            last_modified: i("LastModified"),
            json: String::from_utf8_lossy(raw).into_owned(),
        });
    }
}

/// Opens the named object for reading.
pub fn open(name: &str) -> io::Result<Reader> {
    let h = sys::object_open(name);
    if h < 0 {
        return Err(err(h));
    }
    let size = sys::object_size(h as i32);
    if size < 0 {
        sys::object_close(h as i32);
        return Err(err(size));
    }
    Ok(Reader { handle: h as i32, size: size as u64, pos: 0, closed: false })
}

/// Creates a new object (needs write access: under the output location).
pub fn create(name: &str) -> io::Result<Writer> {
    let h = sys::object_create(name);
    if h < 0 {
        return Err(err(h));
    }
    Ok(Writer { handle: h as i32, done: false })
}

/// Creates `output_prefix() + name`; `PermissionDenied` when the run declares no output location.
pub fn create_output(name: &str) -> io::Result<Writer> {
    let prefix = output_prefix();
    if prefix.is_empty() {
        return Err(io::Error::new(io::ErrorKind::PermissionDenied, "the run declares no output location (wasmap run --output-prefix)"));
    }
    create(&(prefix + name))
}

/// Reads one object: `Read` and `Seek` share an offset; [`Reader::read_at`] keeps none. The size
/// is fixed at open. Dropping it closes it.
#[derive(Debug)]
pub struct Reader {
    handle: i32,
    size: u64,
    pos: u64,
    closed: bool,
}

impl Reader {
    /// The object's size in bytes.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// One read call at `offset`: up to `buf.len()` bytes (at most 8 MiB), 0 at the end.
    pub fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize> {
        if self.closed {
            return Err(err(-(sys::errno::EBADF as i64)));
        }
        let n = buf.len().min(MAX_IO);
        let k = sys::object_read(self.handle, offset as i64, &mut buf[..n]);
        if k < 0 {
            return Err(err(k));
        }
        Ok(k as usize)
    }

    /// Closes the reader now (dropping it does the same, ignoring errors).
    pub fn close(mut self) -> io::Result<()> {
        self.closed = true;
        match sys::object_close(self.handle) {
            rc if rc < 0 => Err(err(rc)),
            _ => Ok(()),
        }
    }
}

impl io::Read for Reader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        let n = self.read_at(buf, self.pos)?;
        self.pos += n as u64;
        Ok(n)
    }
}

impl io::Seek for Reader {
    fn seek(&mut self, from: io::SeekFrom) -> io::Result<u64> {
        let pos = match from {
            io::SeekFrom::Start(n) => Some(n),
            io::SeekFrom::Current(d) => self.pos.checked_add_signed_compat(d),
            io::SeekFrom::End(d) => self.size.checked_add_signed_compat(d),
        };
        match pos {
            Some(p) => {
                self.pos = p;
                Ok(p)
            }
            None => Err(io::Error::new(io::ErrorKind::InvalidInput, "seek before the start of the object")),
        }
    }
}

trait AddSigned {
    fn checked_add_signed_compat(self, d: i64) -> Option<u64>;
}

impl AddSigned for u64 {
    fn checked_add_signed_compat(self, d: i64) -> Option<u64> {
        if d >= 0 {
            self.checked_add(d as u64)
        } else {
            self.checked_sub(d.unsigned_abs())
        }
    }
}

impl Drop for Reader {
    fn drop(&mut self) {
        if !self.closed {
            sys::object_close(self.handle);
        }
    }
}

/// Writes one new object, sequentially. Nothing is visible until [`Writer::close`] succeeds;
/// a Writer dropped before that is aborted. Writes are not buffered: wrap it in a
/// `std::io::BufWriter` for many small ones (and call `into_inner()?.close()`).
#[derive(Debug)]
pub struct Writer {
    handle: i32,
    done: bool,
}

impl Writer {
    /// Commits the object: it appears whole, at once.
    pub fn close(mut self) -> io::Result<()> {
        self.done = true;
        match sys::object_close(self.handle) {
            rc if rc < 0 => Err(err(rc)),
            _ => Ok(()),
        }
    }

    /// Discards the object: nothing appears.
    pub fn abort(mut self) -> io::Result<()> {
        self.done = true;
        match sys::object_abort(self.handle) {
            rc if rc < 0 => Err(err(rc)),
            _ => Ok(()),
        }
    }
}

impl io::Write for Writer {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        let n = buf.len().min(MAX_IO);
        let k = sys::object_write(self.handle, &buf[..n]);
        if k < 0 {
            return Err(err(k));
        }
        Ok(k as usize)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        if !self.done {
            sys::object_abort(self.handle);
        }
    }
}
