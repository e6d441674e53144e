//! Log records at Lambda's application levels (the `log` import, ABI.md §3). Each call is one
//! record of the function's log stream, written as `[LEVEL] message`; a record over 256 KiB is
//! truncated. Printing to stdout or stderr (`println!`, `eprintln!`) is also logging: each line
//! is a record.
//!
//! ```ignore
//! wasmap::log::info("starting");
//! wasmap::log::warn(&format!("{} items skipped", n));
//! ```

use crate::sys;

/// Lambda's application log levels, numbered as the `log` import takes them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Trace = 0,
    Debug = 1,
    Info = 2,
    Warn = 3,
    Error = 4,
    Fatal = 5,
}

/// Writes one record at `level`. Returns false if the host refused it.
pub fn write(level: Level, msg: &str) -> bool {
    sys::log(level as i32, msg.as_bytes()) >= 0
}

pub fn trace(msg: &str) { write(Level::Trace, msg); }
pub fn debug(msg: &str) { write(Level::Debug, msg); }
pub fn info(msg: &str) { write(Level::Info, msg); }
pub fn warn(msg: &str) { write(Level::Warn, msg); }
pub fn error(msg: &str) { write(Level::Error, msg); }
pub fn fatal(msg: &str) { write(Level::Fatal, msg); }
