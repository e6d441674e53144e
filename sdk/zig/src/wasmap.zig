//! The wasmap Zig SDK: the guest side of wasmap ABI v1 (abi/ABI.md) for Zig 0.11.
//!
//!     const std = @import("std");
//!     const wasmap = @import("wasmap");
//!     pub const panic = wasmap.panic; // a panic fails the invocation (see panic)
//!
//!     fn handle(inv: *wasmap.Invocation) anyerror![]const u8 {
//!         return inv.event; // echo the event
//!     }
//!
//!     pub fn main() void {
//!         wasmap.start(handle);
//!     }
//!
//! Build: zig build-exe -target wasm32-wasi -O ReleaseSmall \
//!            --mod wasmap::sdk/zig/src/wasmap.zig --deps wasmap main.zig
const std = @import("std");

// ---- the raw imports (ABI.md sections 3 and 8) ----

/// The raw imports of wasmap_runtime_v1 and wasmap_object_v1. Pointers are offsets into the
/// module's memory; results >= 0 are success, negative results -errno.
pub const sys = struct {
    /// wasmap_runtime_v1 (section 3).
    pub const runtime = struct {
        pub extern "wasmap_runtime_v1" fn next() i64;
        pub extern "wasmap_runtime_v1" fn event_read(ptr: [*]u8, cap: i32) i32;
        pub extern "wasmap_runtime_v1" fn context_read(ptr: [*]u8, cap: i32) i32;
        pub extern "wasmap_runtime_v1" fn respond(ptr: [*]const u8, len: i32) i32;
        pub extern "wasmap_runtime_v1" fn respond_error(type_ptr: [*]const u8, type_len: i32, ptr: [*]const u8, len: i32) i32;
        pub extern "wasmap_runtime_v1" fn init_error(type_ptr: [*]const u8, type_len: i32, ptr: [*]const u8, len: i32) i32;
        pub extern "wasmap_runtime_v1" fn log(level: i32, ptr: [*]const u8, len: i32) i32;
        pub extern "wasmap_runtime_v1" fn remaining_ms() i64;
    };
    /// wasmap_object_v1 (section 8).
    pub const object = struct {
        pub extern "wasmap_object_v1" fn open(name_ptr: [*]const u8, name_len: i32) i64;
        pub extern "wasmap_object_v1" fn create(name_ptr: [*]const u8, name_len: i32) i64;
        pub extern "wasmap_object_v1" fn stat(name_ptr: [*]const u8, name_len: i32, ptr: [*]u8, cap: i32) i64;
        pub extern "wasmap_object_v1" fn size(handle: i32) i64;
        pub extern "wasmap_object_v1" fn read(handle: i32, offset: i64, ptr: [*]u8, len: i32) i64;
        pub extern "wasmap_object_v1" fn write(handle: i32, ptr: [*]const u8, len: i32) i64;
        pub extern "wasmap_object_v1" fn close(handle: i32) i64;
        pub extern "wasmap_object_v1" fn abort(handle: i32) i64;
    };
};

/// WASI errnos used by ABI v1 (ABI.md section 5).
pub const Errno = enum(i32) {
    E2BIG = 1,
    EACCES = 2,
    EALREADY = 7,
    EBADF = 8,
    ECANCELED = 11,
    EFAULT = 21,
    EINVAL = 28,
    EIO = 29,
    EISDIR = 31,
    EMFILE = 33,
    ENAMETOOLONG = 37,
    ENOENT = 44,
    ENOSPC = 51,
    ENOTDIR = 54,
    ENOTSUP = 58,
    _,
};

/// The errno's name, "ENOENT" (e positive or negative); "" for a number ABI v1 does not use.
pub fn errnoName(e: i64) []const u8 {
    const v: i32 = @intCast(if (e < 0) -e else e);
    inline for (@typeInfo(Errno).Enum.fields) |f| {
        if (f.value == v) return f.name;
    }
    return "";
}

fn len32(n: usize) i32 {
    return @intCast(@min(n, std.math.maxInt(i32)));
}

const response_limit = 6291556;
const max_io: usize = 8 << 20;

// ---- JSON ----

/// The little JSON a handler needs: find a member of an object (raw bytes, no copy), decode a
/// string or an integer, quote a string as Go's encoding/json does (so that every SDK's error
/// JSON is the same bytes). It accepts any valid JSON; it does not validate a whole document.
pub const json = struct {
    fn isWs(c: u8) bool {
        return c == ' ' or c == '\t' or c == '\n' or c == '\r';
    }
    fn skipWs(b: []const u8, from: usize) usize {
        var i = from;
        while (i < b.len and isWs(b[i])) i += 1;
        return i;
    }
    fn skipString(b: []const u8, from: usize) ?usize {
        var i = from + 1;
        while (i < b.len) : (i += 1) {
            if (b[i] == '\\') {
                i += 1;
            } else if (b[i] == '"') return i + 1;
        }
        return null;
    }
    fn skipValue(b: []const u8, from: usize) ?usize {
        if (from >= b.len) return null;
        const c = b[from];
        if (c == '"') return skipString(b, from);
        if (c == '{' or c == '[') {
            var depth: usize = 0;
            var i = from;
            while (i < b.len) {
                const d = b[i];
                if (d == '"') {
                    i = skipString(b, i) orelse return null;
                    continue;
                }
                if (d == '{' or d == '[') depth += 1 else if (d == '}' or d == ']') {
                    depth -= 1;
                    if (depth == 0) return i + 1;
                }
                i += 1;
            }
            return null;
        }
        var j = from;
        while (j < b.len and !(b[j] == ',' or b[j] == '}' or b[j] == ']' or isWs(b[j]))) j += 1;
        return if (j > from) j else null;
    }

    /// The raw JSON of the top-level member `key` of the object `obj`, or null.
    pub fn get(obj: []const u8, key: []const u8) ?[]const u8 {
        var i = skipWs(obj, 0);
        if (i >= obj.len or obj[i] != '{') return null;
        i = skipWs(obj, i + 1);
        if (i < obj.len and obj[i] == '}') return null;
        while (true) {
            if (i >= obj.len or obj[i] != '"') return null;
            const kstart = i;
            const kend = skipString(obj, i) orelse return null;
            i = skipWs(obj, kend);
            if (i >= obj.len or obj[i] != ':') return null;
            const vstart = skipWs(obj, i + 1);
            const vend = skipValue(obj, vstart) orelse return null;
            const raw_key = obj[kstart + 1 .. kend - 1];
            var match = std.mem.eql(u8, raw_key, key);
            if (!match and std.mem.indexOfScalar(u8, raw_key, '\\') != null) {
                var buf: [256]u8 = undefined;
                var fba = std.heap.FixedBufferAllocator.init(&buf);
                if (string(fba.allocator(), obj[kstart..kend])) |s| {
                    match = s != null and std.mem.eql(u8, s.?, key);
                } else |_| {}
            }
            if (match) return obj[vstart..vend];
            i = skipWs(obj, vend);
            if (i >= obj.len or obj[i] != ',') return null;
            i = skipWs(obj, i + 1);
        }
    }

    fn hex4(b: []const u8, i: usize) ?u21 {
        if (i + 4 > b.len) return null;
        return std.fmt.parseInt(u21, b[i .. i + 4], 16) catch null;
    }

    /// Decodes a JSON string (quotes included), allocated with `a`; null if `raw` is not one.
    pub fn string(a: std.mem.Allocator, raw0: ?[]const u8) !?[]u8 {
        const raw = std.mem.trim(u8, raw0 orelse return null, " \t\r\n");
        if (raw.len < 2 or raw[0] != '"' or raw[raw.len - 1] != '"') return null;
        const body = raw[1 .. raw.len - 1];
        if (std.mem.indexOfScalar(u8, body, '\\') == null) return try a.dupe(u8, body); // no escapes
        var out = try std.ArrayList(u8).initCapacity(a, body.len);
        var i: usize = 0;
        while (i < body.len) {
            const c = body[i];
            if (c != '\\') {
                out.appendAssumeCapacity(c);
                i += 1;
                continue;
            }
            if (i + 1 >= body.len) return null;
            const x = body[i + 1];
            i += 2;
            switch (x) {
                '"', '\\', '/' => out.appendAssumeCapacity(x),
                'b' => out.appendAssumeCapacity(8),
                'f' => out.appendAssumeCapacity(12),
                'n' => out.appendAssumeCapacity('\n'),
                'r' => out.appendAssumeCapacity('\r'),
                't' => out.appendAssumeCapacity('\t'),
                'u' => {
                    const hi = hex4(body, i) orelse return null;
                    i += 4;
                    var r: u21 = hi;
                    if (hi >= 0xD800 and hi < 0xDC00) {
                        const lo = if (i + 1 < body.len and body[i] == '\\' and body[i + 1] == 'u') hex4(body, i + 2) else null;
                        if (lo != null and lo.? >= 0xDC00 and lo.? < 0xE000) {
                            r = 0x10000 + ((hi - 0xD800) << 10) + (lo.? - 0xDC00);
                            i += 6;
                        } else r = 0xFFFD;
                    } else if (hi >= 0xDC00 and hi < 0xE000) r = 0xFFFD;
                    var u: [4]u8 = undefined;
                    const n = std.unicode.utf8Encode(r, &u) catch return null;
                    out.appendSliceAssumeCapacity(u[0..n]);
                },
                else => return null,
            }
        }
        return try out.toOwnedSlice();
    }

    /// Decodes a JSON integer; null for anything else.
    pub fn integer(raw: ?[]const u8) ?i64 {
        return std.fmt.parseInt(i64, std.mem.trim(u8, raw orelse return null, " \t\r\n"), 10) catch null;
    }

    /// Appends `s` as a JSON string, quotes included, escaped as Go's json.Marshal escapes: <, >
    /// and & as \u003c \u003e \u0026, U+2028/U+2029 escaped, invalid UTF-8 as \ufffd.
    pub fn quote(w: anytype, s: []const u8) !void {
        const hex = "0123456789abcdef";
        try w.writeByte('"');
        var i: usize = 0;
        while (i < s.len) {
            const c = s[i];
            if (c >= 0x80) {
                const size = std.unicode.utf8ByteSequenceLength(c) catch 0;
                const ok = size > 0 and i + size <= s.len and std.unicode.utf8ValidateSlice(s[i .. i + size]);
                if (!ok) {
                    try w.writeAll("\\ufffd");
                    i += 1;
                    continue;
                }
                const r = std.unicode.utf8Decode(s[i .. i + size]) catch 0xFFFD;
                if (r == 0x2028) try w.writeAll("\\u2028") else if (r == 0x2029) try w.writeAll("\\u2029") else try w.writeAll(s[i .. i + size]);
                i += size;
                continue;
            }
            switch (c) {
                '"' => try w.writeAll("\\\""),
                '\\' => try w.writeAll("\\\\"),
                8 => try w.writeAll("\\b"),
                12 => try w.writeAll("\\f"),
                '\n' => try w.writeAll("\\n"),
                '\r' => try w.writeAll("\\r"),
                '\t' => try w.writeAll("\\t"),
                else => if (c < 0x20 or c == '<' or c == '>' or c == '&') {
                    try w.writeAll("\\u00");
                    try w.writeByte(hex[c >> 4]);
                    try w.writeByte(hex[c & 15]);
                } else try w.writeByte(c),
            }
            i += 1;
        }
        try w.writeByte('"');
    }
};

// ---- the runtime ----

/// The invocation context (Lambda's /next headers, ABI.md section 3). Strings live until the
/// handler returns.
pub const Context = struct {
    /// The invocation's request id, a UUID.
    request_id: []const u8 = "",
    /// Wall-clock epoch milliseconds at which the invocation times out.
    deadline_ms: i64 = 0,
    /// arn:aws:lambda:<region>:<account>:function:<name>
    invoked_function_arn: []const u8 = "",
    /// The X-Ray style trace header; may be "".
    trace_id: []const u8 = "",
    /// The client context's raw JSON, or null.
    client_context: ?[]const u8 = null,

    /// Milliseconds left before the deadline, as the host counts them.
    pub fn remainingMs(_: *const Context) i64 {
        return sys.runtime.remaining_ms();
    }
};

/// Milliseconds left before the current deadline: the invocation's, or the init phase's.
pub fn remainingMs() i64 {
    return sys.runtime.remaining_ms();
}

/// One invocation, valid during the handler's call.
pub const Invocation = struct {
    /// The event: the item (or batch) as compact JSON.
    event: []const u8,
    ctx: Context,
    /// An arena freed when the invocation ends: allocate the response and anything else here.
    arena: std.mem.Allocator,
    error_message: ?[]const u8 = null,

    /// Returns err after setting the error message: `return inv.fail(error.OrderInvalid, "…")`
    /// fails the invocation with {"errorMessage":"…","errorType":"OrderInvalid"}.
    pub fn fail(self: *Invocation, err: anyerror, message: []const u8) anyerror {
        self.error_message = self.arena.dupe(u8, message) catch message;
        return err;
    }

    /// fail with a formatted message.
    pub fn failf(self: *Invocation, err: anyerror, comptime fmt: []const u8, args: anytype) anyerror {
        self.error_message = std.fmt.allocPrint(self.arena, fmt, args) catch fmt;
        return err;
    }
};

/// A handler returns the response JSON (allocated in inv.arena, or static, or a slice of the
/// event) or an error: the error's name is the errorType, and the message inv.fail set (the
/// error's name when none).
pub const Handler = *const fn (inv: *Invocation) anyerror![]const u8;

var in_handler = false;

fn stderrWrite(s: []const u8) void {
    std.io.getStdErr().writeAll(s) catch {};
}

fn fatal(call: []const u8, rc: i64) noreturn {
    var buf: [128]u8 = undefined;
    stderrWrite(std.fmt.bufPrint(&buf, "wasmap: wasmap_runtime_v1.{s} failed: {s}\n", .{ call, errnoName(rc) }) catch "wasmap: fatal\n");
    std.process.exit(1);
}

/// The error JSON {"errorMessage":…,"errorType":…}, escaped as the Go SDK escapes it.
pub fn errorJSON(a: std.mem.Allocator, error_type: []const u8, message: []const u8) ![]u8 {
    var out = std.ArrayList(u8).init(a);
    const w = out.writer();
    try w.writeAll("{\"errorMessage\":");
    try json.quote(w, message);
    try w.writeAll(",\"errorType\":");
    try json.quote(w, error_type);
    try w.writeAll("}");
    return out.toOwnedSlice();
}

fn postError(error_type: []const u8, message: []const u8) void {
    const body = errorJSON(std.heap.page_allocator, error_type, message) catch return;
    defer std.heap.page_allocator.free(body);
    stderrWrite(body);
    stderrWrite("\n");
    checkPost("respond_error", sys.runtime.respond_error("", 0, body.ptr, len32(body.len)), body.len);
}

/// E2BIG (Function.ResponseSizeTooLarge) and EALREADY: the host already settled the
/// invocation; log and carry on. Anything else is fatal.
fn checkPost(call: []const u8, rc: i32, size: usize) void {
    if (rc >= 0) return;
    var buf: [256]u8 = undefined;
    if (rc == -@intFromEnum(Errno.E2BIG)) {
        stderrWrite(std.fmt.bufPrint(&buf, "wasmap: the response ({d} bytes) is over the limit of {d} bytes: the invocation failed with Function.ResponseSizeTooLarge\n", .{ size, response_limit }) catch "");
    } else if (rc == -@intFromEnum(Errno.EALREADY)) {
        stderrWrite(std.fmt.bufPrint(&buf, "wasmap: {s}: the invocation already has an outcome; this one was dropped\n", .{call}) catch "");
    } else fatal(call, rc);
}

fn readInto(buf: *[]u8, hint: usize, comptime read: anytype, call: []const u8) usize {
    const a = std.heap.page_allocator;
    if (hint > buf.len) {
        a.free(buf.*);
        buf.* = a.alloc(u8, std.mem.alignForward(usize, hint, 4096)) catch fatal(call, -@intFromEnum(Errno.EFAULT));
    }
    while (true) {
        const n = read(buf.ptr, len32(buf.len));
        if (n < 0) fatal(call, n);
        const un: usize = @intCast(n);
        if (un <= buf.len) return un;
        a.free(buf.*);
        buf.* = a.alloc(u8, std.mem.alignForward(usize, un, 4096)) catch fatal(call, -@intFromEnum(Errno.EFAULT));
    }
}

/// Runs handler on every invocation until the host shuts the environment down, then returns
/// (main returns: exit status 0). Code before it is the function's init: it runs once per
/// execution environment, and globals stay warm across invocations. A Runtime API failure the
/// ABI does not allow for ends the process with status 1.
pub fn start(handler: Handler) void {
    const pa = std.heap.page_allocator;
    var event = pa.alloc(u8, 16 << 10) catch fatal("next", -@intFromEnum(Errno.EFAULT));
    var context = pa.alloc(u8, 512) catch fatal("next", -@intFromEnum(Errno.EFAULT));
    var arena = std.heap.ArenaAllocator.init(pa);
    defer arena.deinit();
    while (true) {
        const n = sys.runtime.next();
        if (n == -@intFromEnum(Errno.ECANCELED)) return;
        if (n < 0) fatal("next", n);
        const ev_len = readInto(&event, @intCast(n), sys.runtime.event_read, "event_read");
        const ctx_len = readInto(&context, 0, sys.runtime.context_read, "context_read");
        _ = arena.reset(.retain_capacity);
        const a = arena.allocator();
        const raw = context[0..ctx_len];
        const deadline = json.integer(json.get(raw, "deadlineMs")) orelse {
            postError("Runtime.InvalidContext", "failed to parse deadline: the invocation context has no deadlineMs");
            continue;
        };
        var inv = Invocation{
            .event = event[0..ev_len],
            .ctx = .{
                .deadline_ms = deadline,
                .request_id = contextString(a, raw, "requestId"),
                .invoked_function_arn = contextString(a, raw, "invokedFunctionArn"),
                .trace_id = contextString(a, raw, "traceId"),
                .client_context = if (json.get(raw, "clientContext")) |cc| (if (std.mem.eql(u8, cc, "null")) null else cc) else null,
            },
            .arena = a,
        };
        in_handler = true;
        const result = handler(&inv);
        in_handler = false;
        if (result) |body| {
            checkPost("respond", sys.runtime.respond(body.ptr, len32(body.len)), body.len);
        } else |err| {
            postError(@errorName(err), inv.error_message orelse @errorName(err));
        }
    }
}

fn contextString(a: std.mem.Allocator, raw: []const u8, key: []const u8) []const u8 {
    const s = json.string(a, json.get(raw, key)) catch return "";
    return s orelse "";
}

/// Zig's panic, for the root file: `pub const panic = wasmap.panic;`. Inside a handler it posts
/// {"errorMessage":<msg>,"errorType":"string"} (as the Go SDK reports panic("msg")); it prints
/// "panic: <msg>" to stderr and exits with status 1: the host recycles the environment.
pub fn panic(msg: []const u8, _: ?*std.builtin.StackTrace, _: ?usize) noreturn {
    stderrWrite("panic: ");
    stderrWrite(msg);
    stderrWrite("\n");
    if (in_handler) {
        in_handler = false;
        postError("string", msg);
    }
    std.process.exit(1);
}

/// Reports an init failure (before start): {"errorMessage":message,"errorType":error_type}.
/// main should then return.
pub fn initError(error_type: []const u8, message: []const u8) !void {
    const body = try errorJSON(std.heap.page_allocator, error_type, message);
    defer std.heap.page_allocator.free(body);
    stderrWrite(body);
    stderrWrite("\n");
    const rc = sys.runtime.init_error("", 0, body.ptr, len32(body.len));
    if (rc < 0) return error.InitErrorRefused;
}

// ---- the function's configuration ----

var env_map: ?std.process.EnvMap = null;

/// An environment variable ("" when unset). The environment is read once.
pub fn getenv(key: []const u8) []const u8 {
    if (env_map == null) env_map = std.process.getEnvMap(std.heap.page_allocator) catch return "";
    return env_map.?.get(key) orelse "";
}

/// The function's configuration, from Lambda's environment variables (ABI.md section 6).
pub const function = struct {
    pub fn name() []const u8 {
        return getenv("AWS_LAMBDA_FUNCTION_NAME");
    }
    pub fn version() []const u8 {
        return getenv("AWS_LAMBDA_FUNCTION_VERSION");
    }
    pub fn memoryLimitMB() u32 {
        return std.fmt.parseInt(u32, getenv("AWS_LAMBDA_FUNCTION_MEMORY_SIZE"), 10) catch 0;
    }
    pub fn logGroupName() []const u8 {
        return getenv("AWS_LAMBDA_LOG_GROUP_NAME");
    }
    pub fn logStreamName() []const u8 {
        return getenv("AWS_LAMBDA_LOG_STREAM_NAME");
    }
};

// ---- logging ----

/// Log records at Lambda's application levels (the log import): "[LEVEL] message" in the
/// function's log stream. Writing to stdout also logs, each line a record.
pub const log = struct {
    pub const Level = enum(i32) { trace = 0, debug = 1, info = 2, warn = 3, err = 4, fatal = 5 };

    /// Writes one record; false if the host refused it.
    pub fn write(level: Level, msg: []const u8) bool {
        return sys.runtime.log(@intFromEnum(level), msg.ptr, len32(msg.len)) >= 0;
    }
    /// Writes one formatted record (up to 4 KiB; longer is truncated).
    pub fn print(level: Level, comptime fmt: []const u8, args: anytype) void {
        var buf: [4096]u8 = undefined;
        const s = std.fmt.bufPrint(&buf, fmt, args) catch &buf;
        _ = write(level, s);
    }
    pub fn trace(msg: []const u8) void {
        _ = write(.trace, msg);
    }
    pub fn debug(msg: []const u8) void {
        _ = write(.debug, msg);
    }
    pub fn info(msg: []const u8) void {
        _ = write(.info, msg);
    }
    pub fn warn(msg: []const u8) void {
        _ = write(.warn, msg);
    }
    pub fn err(msg: []const u8) void {
        _ = write(.err, msg);
    }
    pub fn fatal(msg: []const u8) void {
        _ = write(.fatal, msg);
    }
};

/// A std.log backend: `pub const std_options = struct { pub const logFn = wasmap.logFn; };` in
/// the root file sends std.log.info(…) and friends to the log import at the matching level.
pub fn logFn(comptime level: std.log.Level, comptime scope: @TypeOf(.EnumLiteral), comptime format: []const u8, args: anytype) void {
    const prefix = if (scope == .default) "" else "(" ++ @tagName(scope) ++ ") ";
    const l: log.Level = switch (level) {
        .err => .err,
        .warn => .warn,
        .info => .info,
        .debug => .debug,
    };
    log.print(l, prefix ++ format, args);
}

// ---- object I/O (wasmap_object_v1, ABI.md section 8) ----

/// Object I/O: read and write objects by name. A name is a plain key (resolved against
/// defaultPrefix()) or a URI (file:///abs/path, s3://bucket/key); the run decides what a module
/// may reach. Readers and writers belong to the invocation that opened them: when its result is
/// recorded, the host closes the readers and discards the writers not closed.
pub const object = struct {
    pub const Error = error{
        AccessDenied, // EACCES
        BadHandle, // EBADF
        Fault, // EFAULT
        InvalidArgument, // EINVAL
        InputOutput, // EIO
        IsDir, // EISDIR
        TooManyOpen, // EMFILE
        NameTooLong, // ENAMETOOLONG
        NotFound, // ENOENT
        NoSpaceLeft, // ENOSPC
        NotDir, // ENOTDIR
        NotSupported, // ENOTSUP
        Unexpected,
    };

    fn fromErrno(rc: i64) Error {
        const v: i32 = @intCast(-rc);
        const e: Errno = @enumFromInt(v);
        return switch (e) {
            .EACCES => error.AccessDenied,
            .EBADF => error.BadHandle,
            .EFAULT => error.Fault,
            .EINVAL => error.InvalidArgument,
            .EIO => error.InputOutput,
            .EISDIR => error.IsDir,
            .EMFILE => error.TooManyOpen,
            .ENAMETOOLONG => error.NameTooLong,
            .ENOENT => error.NotFound,
            .ENOSPC => error.NoSpaceLeft,
            .ENOTDIR => error.NotDir,
            .ENOTSUP => error.NotSupported,
            else => error.Unexpected,
        };
    }

    /// The errno name of an object error: "ENOENT".
    pub fn errnoOf(err: anyerror) []const u8 {
        return switch (err) {
            error.AccessDenied => "EACCES",
            error.BadHandle => "EBADF",
            error.Fault => "EFAULT",
            error.InvalidArgument => "EINVAL",
            error.InputOutput => "EIO",
            error.IsDir => "EISDIR",
            error.TooManyOpen => "EMFILE",
            error.NameTooLong => "ENAMETOOLONG",
            error.NotFound => "ENOENT",
            error.NoSpaceLeft => "ENOSPC",
            error.NotDir => "ENOTDIR",
            error.NotSupported => "ENOTSUP",
            else => "?",
        };
    }

    /// The output location (WASMAP_OUTPUT_PREFIX), a URI ending in "/", or "".
    pub fn outputPrefix() []const u8 {
        return getenv("WASMAP_OUTPUT_PREFIX");
    }
    /// The location plain keys resolve against (WASMAP_DEFAULT_PREFIX).
    pub fn defaultPrefix() []const u8 {
        return getenv("WASMAP_DEFAULT_PREFIX");
    }

    /// An object's description, as an S3 listObjectsV2 entry (strings allocated with the
    /// allocator given to stat).
    pub const Info = struct {
        key: []const u8,
        size: i64,
        /// Quoted, as S3 gives it.
        etag: []const u8,
        /// Seconds since the epoch.
        last_modified: i64,
        /// The description as the host wrote it.
        json: []const u8,
    };

    /// Describes the named object (needs read access).
    pub fn stat(a: std.mem.Allocator, name: []const u8) !Info {
        var buf = try a.alloc(u8, 2048);
        while (true) {
            const n = sys.object.stat(name.ptr, len32(name.len), buf.ptr, len32(buf.len));
            if (n < 0) return fromErrno(n);
            const un: usize = @intCast(n);
            if (un > buf.len) {
                buf = try a.alloc(u8, un);
                continue;
            }
            const raw = buf[0..un];
            return .{
                .key = (try json.string(a, json.get(raw, "Key"))) orelse "",
                .etag = (try json.string(a, json.get(raw, "Etag"))) orelse "",
                .size = json.integer(json.get(raw, "Size")) orelse 0,
                .last_modified = json.integer(json.get(raw, "LastModified")) orelse 0,
                .json = raw,
            };
        }
    }

    /// Reads one object; its size is fixed at open.
    pub const Reader = struct {
        handle: i32,
        size: u64,
        offset: u64 = 0,

        /// One read at offset: up to buf.len bytes (at most 8 MiB), 0 at the end.
        pub fn readAt(self: *const Reader, buf: []u8, offset: u64) Error!usize {
            const n = @min(buf.len, max_io);
            const k = sys.object.read(self.handle, @intCast(offset), buf.ptr, len32(n));
            if (k < 0) return fromErrno(k);
            return @intCast(k);
        }

        /// Reads at the current offset and advances it; 0 at the end.
        pub fn read(self: *Reader, buf: []u8) Error!usize {
            if (buf.len == 0) return 0;
            const k = try self.readAt(buf, self.offset);
            self.offset += k;
            return k;
        }

        /// A std.io.Reader over the object.
        pub fn reader(self: *Reader) std.io.Reader(*Reader, Error, read) {
            return .{ .context = self };
        }

        pub fn close(self: *Reader) void {
            _ = sys.object.close(self.handle);
        }
    };

    /// Opens the named object for reading.
    pub fn open(name: []const u8) Error!Reader {
        const h = sys.object.open(name.ptr, len32(name.len));
        if (h < 0) return fromErrno(h);
        const size = sys.object.size(@intCast(h));
        if (size < 0) {
            _ = sys.object.close(@intCast(h));
            return fromErrno(size);
        }
        return .{ .handle = @intCast(h), .size = @intCast(size) };
    }

    /// Writes one new object. Nothing is visible until close succeeds.
    pub const Writer = struct {
        handle: i32,
        written: u64 = 0,

        /// Appends all of data (looping over the 8 MiB limit).
        pub fn write(self: *Writer, data: []const u8) Error!usize {
            var done: usize = 0;
            while (done < data.len) {
                const chunk = @min(data.len - done, max_io);
                const k = sys.object.write(self.handle, data.ptr + done, len32(chunk));
                if (k < 0) return fromErrno(k);
                if (k == 0) return error.InputOutput;
                done += @intCast(k);
            }
            self.written += data.len;
            return data.len;
        }

        /// A std.io.Writer over the object.
        pub fn writer(self: *Writer) std.io.Writer(*Writer, Error, write) {
            return .{ .context = self };
        }

        /// Commits the object: it appears whole, at once.
        pub fn close(self: *Writer) Error!void {
            const rc = sys.object.close(self.handle);
            if (rc < 0) return fromErrno(rc);
        }

        /// Discards the object.
        pub fn abort(self: *Writer) void {
            _ = sys.object.abort(self.handle);
        }
    };

    /// Creates a new object (needs write access: under the output location).
    pub fn create(name: []const u8) Error!Writer {
        const h = sys.object.create(name.ptr, len32(name.len));
        if (h < 0) return fromErrno(h);
        return .{ .handle = @intCast(h) };
    }

    /// Creates outputPrefix() ++ name; AccessDenied when the run has no output location.
    pub fn createOutput(a: std.mem.Allocator, name: []const u8) !Writer {
        const prefix = outputPrefix();
        if (prefix.len == 0) return error.AccessDenied;
        const full = try std.mem.concat(a, u8, &.{ prefix, name });
        defer a.free(full);
        return create(full);
    }
};
