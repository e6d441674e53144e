//! The raw imports of wasmap ABI v1: `wasmap_runtime_v1` (ABI.md §3), `wasmap_object_v1`
//! (§8), and for extension modules `wasmap_extension_v1` (§9) and `wasmap_telemetry_v1` (§10).
//! A module imports only what it calls: a function module never imports the extension modules,
//! an extension module never imports `wasmap_runtime_v1`. Pointers are offsets into the module's memory (an `i32` on wasm32); results `>= 0` are
//! success, negative results are `-errno` (§5).
//!
//! Outside wasm32 the functions exist (so that code using the SDK type-checks and unit-tests
//! natively) and answer `-ENOTSUP`, as a host without the call would.

/// WASI preview 1 errnos used by ABI v1 (ABI.md §5).
pub mod errno {
    pub const E2BIG: i32 = 1;
    pub const EACCES: i32 = 2;
    pub const EALREADY: i32 = 7;
    pub const EBADF: i32 = 8;
    pub const ECANCELED: i32 = 11;
    pub const EFAULT: i32 = 21;
    pub const EINTR: i32 = 27;
    pub const EINVAL: i32 = 28;
    pub const EIO: i32 = 29;
    pub const EISDIR: i32 = 31;
    pub const EMFILE: i32 = 33;
    pub const ENAMETOOLONG: i32 = 37;
    pub const ENOENT: i32 = 44;
    pub const ENOSPC: i32 = 51;
    pub const ENOTDIR: i32 = 54;
    pub const ENOTSUP: i32 = 58;
    pub const EPERM: i32 = 63;

    /// The errno's name, "ENOENT"; "" for a number ABI v1 does not use.
    pub fn name(e: i32) -> &'static str {
        match e {
            E2BIG => "E2BIG",
            EACCES => "EACCES",
            EALREADY => "EALREADY",
            EBADF => "EBADF",
            ECANCELED => "ECANCELED",
            EFAULT => "EFAULT",
            EINTR => "EINTR",
            EINVAL => "EINVAL",
            EIO => "EIO",
            EISDIR => "EISDIR",
            EMFILE => "EMFILE",
            ENAMETOOLONG => "ENAMETOOLONG",
            ENOENT => "ENOENT",
            ENOSPC => "ENOSPC",
            ENOTDIR => "ENOTDIR",
            ENOTSUP => "ENOTSUP",
            EPERM => "EPERM",
            _ => "",
        }
    }
}

#[cfg(target_arch = "wasm32")]
mod imports {
    #[link(wasm_import_module = "wasmap_runtime_v1")]
    extern "C" {
        #[link_name = "next"]
        pub fn runtime_next() -> i64;
        #[link_name = "event_read"]
        pub fn runtime_event_read(ptr: *mut u8, cap: i32) -> i32;
        #[link_name = "context_read"]
        pub fn runtime_context_read(ptr: *mut u8, cap: i32) -> i32;
        #[link_name = "respond"]
        pub fn runtime_respond(ptr: *const u8, len: i32) -> i32;
        #[link_name = "respond_error"]
        pub fn runtime_respond_error(type_ptr: *const u8, type_len: i32, ptr: *const u8, len: i32) -> i32;
        #[link_name = "init_error"]
        pub fn runtime_init_error(type_ptr: *const u8, type_len: i32, ptr: *const u8, len: i32) -> i32;
        #[link_name = "log"]
        pub fn runtime_log(level: i32, ptr: *const u8, len: i32) -> i32;
        #[link_name = "remaining_ms"]
        pub fn runtime_remaining_ms() -> i64;
    }

    #[link(wasm_import_module = "wasmap_object_v1")]
    extern "C" {
        #[link_name = "open"]
        pub fn object_open(name_ptr: *const u8, name_len: i32) -> i64;
        #[link_name = "create"]
        pub fn object_create(name_ptr: *const u8, name_len: i32) -> i64;
        #[link_name = "stat"]
        pub fn object_stat(name_ptr: *const u8, name_len: i32, ptr: *mut u8, cap: i32) -> i64;
        #[link_name = "size"]
        pub fn object_size(handle: i32) -> i64;
        #[link_name = "read"]
        pub fn object_read(handle: i32, offset: i64, ptr: *mut u8, len: i32) -> i64;
        #[link_name = "write"]
        pub fn object_write(handle: i32, ptr: *const u8, len: i32) -> i64;
        #[link_name = "close"]
        pub fn object_close(handle: i32) -> i64;
        #[link_name = "abort"]
        pub fn object_abort(handle: i32) -> i64;
    }

    #[link(wasm_import_module = "wasmap_extension_v1")]
    extern "C" {
        #[link_name = "register"]
        pub fn extension_register(name_ptr: *const u8, name_len: i32, body_ptr: *const u8, body_len: i32) -> i32;
        #[link_name = "next"]
        pub fn extension_next() -> i64;
        #[link_name = "read"]
        pub fn extension_read(ptr: *mut u8, cap: i32) -> i32;
        #[link_name = "init_error"]
        pub fn extension_init_error(type_ptr: *const u8, type_len: i32, ptr: *const u8, len: i32) -> i32;
        #[link_name = "exit_error"]
        pub fn extension_exit_error(type_ptr: *const u8, type_len: i32, ptr: *const u8, len: i32) -> i32;
    }

    #[link(wasm_import_module = "wasmap_telemetry_v1")]
    extern "C" {
        #[link_name = "subscribe"]
        pub fn telemetry_subscribe(ptr: *const u8, len: i32) -> i32;
        #[link_name = "next"]
        pub fn telemetry_next() -> i64;
        #[link_name = "read"]
        pub fn telemetry_read(ptr: *mut u8, cap: i32) -> i32;
    }
}

#[cfg(not(target_arch = "wasm32"))]
#[allow(clippy::missing_safety_doc)]
mod imports {
    const NOTSUP: i32 = -super::errno::ENOTSUP;
    pub unsafe fn runtime_next() -> i64 { NOTSUP as i64 }
    pub unsafe fn runtime_event_read(_: *mut u8, _: i32) -> i32 { NOTSUP }
    pub unsafe fn runtime_context_read(_: *mut u8, _: i32) -> i32 { NOTSUP }
    pub unsafe fn runtime_respond(_: *const u8, _: i32) -> i32 { NOTSUP }
    pub unsafe fn runtime_respond_error(_: *const u8, _: i32, _: *const u8, _: i32) -> i32 { NOTSUP }
    pub unsafe fn runtime_init_error(_: *const u8, _: i32, _: *const u8, _: i32) -> i32 { NOTSUP }
    pub unsafe fn runtime_log(_: i32, _: *const u8, _: i32) -> i32 { NOTSUP }
    pub unsafe fn runtime_remaining_ms() -> i64 { 0 }
    pub unsafe fn object_open(_: *const u8, _: i32) -> i64 { NOTSUP as i64 }
    pub unsafe fn object_create(_: *const u8, _: i32) -> i64 { NOTSUP as i64 }
    pub unsafe fn object_stat(_: *const u8, _: i32, _: *mut u8, _: i32) -> i64 { NOTSUP as i64 }
    pub unsafe fn object_size(_: i32) -> i64 { NOTSUP as i64 }
    pub unsafe fn object_read(_: i32, _: i64, _: *mut u8, _: i32) -> i64 { NOTSUP as i64 }
    pub unsafe fn object_write(_: i32, _: *const u8, _: i32) -> i64 { NOTSUP as i64 }
    pub unsafe fn object_close(_: i32) -> i64 { NOTSUP as i64 }
    pub unsafe fn object_abort(_: i32) -> i64 { NOTSUP as i64 }
    pub unsafe fn extension_register(_: *const u8, _: i32, _: *const u8, _: i32) -> i32 { NOTSUP }
    pub unsafe fn extension_next() -> i64 { NOTSUP as i64 }
    pub unsafe fn extension_read(_: *mut u8, _: i32) -> i32 { NOTSUP }
    pub unsafe fn extension_init_error(_: *const u8, _: i32, _: *const u8, _: i32) -> i32 { NOTSUP }
    pub unsafe fn extension_exit_error(_: *const u8, _: i32, _: *const u8, _: i32) -> i32 { NOTSUP }
    pub unsafe fn telemetry_subscribe(_: *const u8, _: i32) -> i32 { NOTSUP }
    pub unsafe fn telemetry_next() -> i64 { NOTSUP as i64 }
    pub unsafe fn telemetry_read(_: *mut u8, _: i32) -> i32 { NOTSUP }
}

// Safe wrappers: each passes a slice the host reads or writes only during the call (ABI.md §2).

/// `next() -> i64`: blocks until the next invocation; its event's length, or `-ECANCELED`.
pub fn next() -> i64 { unsafe { imports::runtime_next() } }
/// `event_read(ptr, cap) -> i32`: the event's length; copied into `buf` only if it fits.
pub fn event_read(buf: &mut [u8]) -> i32 { unsafe { imports::runtime_event_read(buf.as_mut_ptr(), len32(buf.len())) } }
/// `context_read(ptr, cap) -> i32`: the context JSON's length; copied only if it fits.
pub fn context_read(buf: &mut [u8]) -> i32 { unsafe { imports::runtime_context_read(buf.as_mut_ptr(), len32(buf.len())) } }
/// `respond(ptr, len) -> i32`: posts the invocation's JSON result.
pub fn respond(body: &[u8]) -> i32 { unsafe { imports::runtime_respond(body.as_ptr(), len32(body.len())) } }
/// `respond_error(type_ptr, type_len, ptr, len) -> i32`: posts the invocation's error JSON.
pub fn respond_error(error_type: &[u8], body: &[u8]) -> i32 {
    unsafe { imports::runtime_respond_error(error_type.as_ptr(), len32(error_type.len()), body.as_ptr(), len32(body.len())) }
}
/// `init_error(type_ptr, type_len, ptr, len) -> i32`: reports an init failure.
pub fn init_error(error_type: &[u8], body: &[u8]) -> i32 {
    unsafe { imports::runtime_init_error(error_type.as_ptr(), len32(error_type.len()), body.as_ptr(), len32(body.len())) }
}
/// `log(level, ptr, len) -> i32`: one log record.
pub fn log(level: i32, msg: &[u8]) -> i32 { unsafe { imports::runtime_log(level, msg.as_ptr(), len32(msg.len())) } }
/// `remaining_ms() -> i64`: milliseconds left before the current deadline.
pub fn remaining_ms() -> i64 { unsafe { imports::runtime_remaining_ms() } }

/// `open(name) -> i64`: a read handle, or `-errno`.
pub fn object_open(name: &str) -> i64 { unsafe { imports::object_open(name.as_ptr(), len32(name.len())) } }
/// `create(name) -> i64`: a write handle, or `-errno`.
pub fn object_create(name: &str) -> i64 { unsafe { imports::object_create(name.as_ptr(), len32(name.len())) } }
/// `stat(name, ptr, cap) -> i64`: the description's length; copied only if it fits.
pub fn object_stat(name: &str, buf: &mut [u8]) -> i64 {
    unsafe { imports::object_stat(name.as_ptr(), len32(name.len()), buf.as_mut_ptr(), len32(buf.len())) }
}
/// `size(handle) -> i64`.
pub fn object_size(handle: i32) -> i64 { unsafe { imports::object_size(handle) } }
/// `read(handle, offset, ptr, len) -> i64`: bytes read into `buf`, 0 at the end.
pub fn object_read(handle: i32, offset: i64, buf: &mut [u8]) -> i64 {
    unsafe { imports::object_read(handle, offset, buf.as_mut_ptr(), len32(buf.len())) }
}
/// `write(handle, ptr, len) -> i64`: bytes appended.
pub fn object_write(handle: i32, buf: &[u8]) -> i64 { unsafe { imports::object_write(handle, buf.as_ptr(), len32(buf.len())) } }
/// `close(handle) -> i64`: releases the handle, committing a writer.
pub fn object_close(handle: i32) -> i64 { unsafe { imports::object_close(handle) } }
/// `abort(handle) -> i64`: releases the handle, discarding a writer.
pub fn object_abort(handle: i32) -> i64 { unsafe { imports::object_abort(handle) } }

/// `wasmap_extension_v1.register(name, body) -> i32`: the register response's length, or `-errno`.
pub fn extension_register(name: &str, body: &[u8]) -> i32 {
    unsafe { imports::extension_register(name.as_ptr(), len32(name.len()), body.as_ptr(), len32(body.len())) }
}
/// `wasmap_extension_v1.next() -> i64`: blocks until the next event; its length, or `-EINTR`
/// (a telemetry batch is due), `-ECANCELED` (after SHUTDOWN), `-EPERM`.
pub fn extension_next() -> i64 { unsafe { imports::extension_next() } }
/// `wasmap_extension_v1.read(ptr, cap) -> i32`: the last response body's length; copied only if
/// it fits.
pub fn extension_read(buf: &mut [u8]) -> i32 { unsafe { imports::extension_read(buf.as_mut_ptr(), len32(buf.len())) } }
/// `wasmap_extension_v1.init_error(type, body) -> i32`.
pub fn extension_init_error(error_type: &[u8], body: &[u8]) -> i32 {
    unsafe { imports::extension_init_error(error_type.as_ptr(), len32(error_type.len()), body.as_ptr(), len32(body.len())) }
}
/// `wasmap_extension_v1.exit_error(type, body) -> i32`.
pub fn extension_exit_error(error_type: &[u8], body: &[u8]) -> i32 {
    unsafe { imports::extension_exit_error(error_type.as_ptr(), len32(error_type.len()), body.as_ptr(), len32(body.len())) }
}
/// `wasmap_telemetry_v1.subscribe(body) -> i32`.
pub fn telemetry_subscribe(body: &[u8]) -> i32 { unsafe { imports::telemetry_subscribe(body.as_ptr(), len32(body.len())) } }
/// `wasmap_telemetry_v1.next() -> i64`: blocks until a batch is due; its length, or `-EINTR`
/// (an event is waiting), `-ECANCELED`, `-EINVAL` (no subscription).
pub fn telemetry_next() -> i64 { unsafe { imports::telemetry_next() } }
/// `wasmap_telemetry_v1.read(ptr, cap) -> i32`: the last batch's (or response's) length.
pub fn telemetry_read(buf: &mut [u8]) -> i32 { unsafe { imports::telemetry_read(buf.as_mut_ptr(), len32(buf.len())) } }

fn len32(n: usize) -> i32 { n.min(i32::MAX as usize) as i32 }
