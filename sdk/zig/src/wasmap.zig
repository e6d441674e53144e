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

// ---- the raw imports (ABI.md sections 3, 8, 9 and 10) ----

/// The raw imports of wasmap_runtime_v1, wasmap_object_v1, wasmap_extension_v1 and
/// wasmap_telemetry_v1. A module imports only the functions it calls. Pointers are offsets into the
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
    /// wasmap_extension_v1 (section 9): extension modules only.
    pub const ext = struct {
        pub extern "wasmap_extension_v1" fn register(name_ptr: [*]const u8, name_len: i32, body_ptr: [*]const u8, body_len: i32) i32;
        pub extern "wasmap_extension_v1" fn next() i64;
        pub extern "wasmap_extension_v1" fn read(ptr: [*]u8, cap: i32) i32;
        pub extern "wasmap_extension_v1" fn init_error(type_ptr: [*]const u8, type_len: i32, ptr: [*]const u8, len: i32) i32;
        pub extern "wasmap_extension_v1" fn exit_error(type_ptr: [*]const u8, type_len: i32, ptr: [*]const u8, len: i32) i32;
    };
    /// wasmap_telemetry_v1 (section 10): extension modules only.
    pub const telemetry = struct {
        pub extern "wasmap_telemetry_v1" fn subscribe(ptr: [*]const u8, len: i32) i32;
        pub extern "wasmap_telemetry_v1" fn next() i64;
        pub extern "wasmap_telemetry_v1" fn read(ptr: [*]u8, cap: i32) i32;
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
    EINTR = 27,
    EINVAL = 28,
    EIO = 29,
    EISDIR = 31,
    EMFILE = 33,
    ENAMETOOLONG = 37,
    ENOENT = 44,
    ENOSPC = 51,
    ENOTDIR = 54,
    ENOTSUP = 58,
    EPERM = 63,
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

    /// Iterates over the elements of a JSON array (raw JSON, no copy):
    ///
    ///     var it = json.elements(arr);
    ///     while (it.next()) |el| use(el);
    ///     if (it.malformed) ...
    pub fn elements(arr: []const u8) Elements {
        const i = skipWs(arr, 0);
        if (i >= arr.len or arr[i] != '[') return .{ .arr = arr, .i = arr.len, .done = true, .malformed = true };
        const j = skipWs(arr, i + 1);
        return .{ .arr = arr, .i = j, .done = j < arr.len and arr[j] == ']' };
    }

    pub const Elements = struct {
        arr: []const u8,
        i: usize,
        done: bool = false,
        /// Set when the array turned out malformed (next then returned null before its end).
        malformed: bool = false,

        pub fn next(self: *Elements) ?[]const u8 {
            if (self.done) return null;
            const end = skipValue(self.arr, self.i) orelse {
                self.done = true;
                self.malformed = true;
                return null;
            };
            const v = self.arr[self.i..end];
            const k = skipWs(self.arr, end);
            if (k < self.arr.len and self.arr[k] == ',') {
                self.i = skipWs(self.arr, k + 1);
            } else {
                self.done = true;
                self.malformed = !(k < self.arr.len and self.arr[k] == ']');
            }
            return v;
        }
    };

    /// Decodes a JSON number (an integer, a fraction, an exponent); null for anything else.
    pub fn number(raw: ?[]const u8) ?f64 {
        const t = std.mem.trim(u8, raw orelse return null, " \t\r\n");
        if (t.len == 0 or !(std.ascii.isDigit(t[0]) or t[0] == '-')) return null;
        for (t) |c| if (!(std.ascii.isDigit(c) or c == '-' or c == '+' or c == '.' or c == 'e' or c == 'E')) return null;
        return std.fmt.parseFloat(f64, t) catch null;
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

// ---- extensions (wasmap_extension_v1, wasmap_telemetry_v1, ABI.md sections 9-11) ----

/// Lambda extensions as wasmap extension modules, as the Go SDK's extension package. An
/// extension is a program of its own (`wasmap run --extension EXT.wasm`): every execution
/// environment runs one instance of it beside the function. It registers during INIT, then
/// loops on `next`, which returns INVOKE before each invocation the extension registered for and
/// SHUTDOWN once, when the environment ends:
///
///     pub fn main() !void {
///         var ext = try wasmap.extension.Extension.register(std.heap.page_allocator,
///             wasmap.extension.name(), &.{ .INVOKE, .SHUTDOWN });
///         defer ext.deinit();
///         while (try ext.next()) |ev| switch (ev.event_type) {
///             .INVOKE => std.debug.print("invocation {s}\n", .{ev.request_id}),
///             .SHUTDOWN => std.debug.print("shutdown: {s}\n", .{ev.shutdown_reason}),
///         };
///     }
///
/// An extension's stdout and stderr are its log lines; object I/O writes under its own output
/// location, <run folder>/extensions/<name>/. A refused call returns an error, and lastError()
/// says why, with Lambda's errorType and errorMessage. An extension module must not call the
/// function-side runtime (start, log, initError, remainingMs, `pub const panic = wasmap.panic`):
/// an extension may not import wasmap_runtime_v1.
pub const extension = struct {
    /// The events an extension registers for.
    pub const EventType = enum {
        /// Before each invocation.
        INVOKE,
        /// Once, when the environment ends (external extensions only).
        SHUTDOWN,
    };

    /// An INVOKE event's X-Ray trace header.
    pub const Tracing = struct {
        /// "X-Amzn-Trace-Id".
        trace_type: []const u8,
        value: []const u8,
    };

    /// An event from `next`, as Lambda's Extensions API sends it (never the invocation's
    /// payload). Strings live until the next call of `next`.
    pub const Event = struct {
        event_type: EventType,
        /// Epoch milliseconds: the invocation's deadline, or the end of the shutdown budget.
        deadline_ms: i64,
        /// INVOKE: the invocation's request id.
        request_id: []const u8 = "",
        /// INVOKE: arn:aws:lambda:<region>:<account>:function:<name>
        invoked_function_arn: []const u8 = "",
        /// INVOKE: the trace header.
        tracing: ?Tracing = null,
        /// SHUTDOWN: "spindown", "timeout" or "failure".
        shutdown_reason: []const u8 = "",
    };

    /// What register learns about the function.
    pub const RegisterResponse = struct {
        function_name: []const u8 = "",
        /// $LATEST
        function_version: []const u8 = "",
        handler: []const u8 = "",
    };

    /// The errors of the extension API; lastError() has the details of the last one.
    pub const Error = error{
        InvalidArgument, // EINVAL
        NotPermitted, // EPERM
        TooBig, // E2BIG
        Fault, // EFAULT
        NotSupported, // ENOTSUP
        Unexpected, // another errno
        Unreadable, // a response the SDK could not read
        OutOfMemory,
    };

    /// The last failed call: op is "register", "next", "init_error", "exit_error", "subscribe",
    /// "telemetry_next" or "read"; errno the ABI's (positive; 0 for an unreadable response);
    /// error_type and message Lambda's ("" when the refusal has no body).
    pub const Failure = struct {
        op: []const u8 = "",
        errno: i32 = 0,
        error_type: []const u8 = "",
        message: []const u8 = "",
    };

    var last: Failure = .{};
    var last_buf: [4096]u8 = undefined;

    /// The last failed call of the extension API (valid until the next failure).
    pub fn lastError() Failure {
        return last;
    }

    fn fail(op: []const u8, errno: i32, error_type: []const u8, message: []const u8) Error {
        const t = @min(error_type.len, last_buf.len / 4);
        const m = @min(message.len, last_buf.len - t);
        @memcpy(last_buf[0..t], error_type[0..t]);
        @memcpy(last_buf[t .. t + m], message[0..m]);
        last = .{ .op = op, .errno = errno, .error_type = last_buf[0..t], .message = last_buf[t .. t + m] };
        if (errno == 0) return error.Unreadable;
        const e: Errno = @enumFromInt(errno);
        return switch (e) {
            .EINVAL => error.InvalidArgument,
            .EPERM => error.NotPermitted,
            .E2BIG => error.TooBig,
            .EFAULT => error.Fault,
            .ENOTSUP => error.NotSupported,
            else => error.Unexpected,
        };
    }

    var name_cache: ?[]const u8 = null;

    /// The extension's name as wasmap launched it (its file name without .wasm, argv[0]):
    /// registering with it makes the extension external, able to take SHUTDOWN.
    pub fn name() []const u8 {
        if (name_cache) |n| return n;
        const args = std.process.argsAlloc(std.heap.page_allocator) catch return "";
        if (args.len == 0) return "";
        var n: []const u8 = args[0];
        if (std.mem.lastIndexOfScalar(u8, n, '/')) |i| n = n[i + 1 ..];
        if (std.mem.endsWith(u8, n, ".wasm")) n = n[0 .. n.len - 5];
        name_cache = n;
        return n;
    }

    /// Telemetry streams.
    pub const TelemetryType = enum {
        /// platform.* events: INIT, invocations, reports.
        platform,
        /// The function's log lines.
        function,
        /// The extensions' log lines.
        extension,
    };

    /// The schemaVersion of a subscription that names none.
    pub const default_schema = "2022-12-13";

    /// A subscription request: PUT /2022-07-01/telemetry without the destination. A batch is
    /// due when it holds max_items events (1 000-10 000, default 10 000) or max_bytes bytes
    /// (262 144-1 048 576, default 262 144), or its oldest event is timeout_ms old (25-30 000,
    /// default 1 000); 0 takes the default.
    pub const Subscription = struct {
        types: []const TelemetryType,
        max_items: u32 = 0,
        max_bytes: u32 = 0,
        timeout_ms: u32 = 0,
        schema_version: []const u8 = default_schema,

        /// The request body, as the Go SDK writes it.
        pub fn writeJSON(self: Subscription, w: anytype) !void {
            try w.writeAll("{\"schemaVersion\":");
            try json.quote(w, self.schema_version);
            try w.writeAll(",\"types\":[");
            for (self.types, 0..) |t, i| {
                if (i > 0) try w.writeByte(',');
                try w.print("\"{s}\"", .{@tagName(t)});
            }
            try w.writeByte(']');
            if (self.max_items != 0 or self.max_bytes != 0 or self.timeout_ms != 0) {
                var sep: []const u8 = "";
                try w.writeAll(",\"buffering\":{");
                if (self.max_items != 0) {
                    try w.print("\"maxItems\":{d}", .{self.max_items});
                    sep = ",";
                }
                if (self.max_bytes != 0) {
                    try w.print("{s}\"maxBytes\":{d}", .{ sep, self.max_bytes });
                    sep = ",";
                }
                if (self.timeout_ms != 0) try w.print("{s}\"timeoutMs\":{d}", .{ sep, self.timeout_ms });
                try w.writeByte('}');
            }
            try w.writeByte('}');
        }
    };

    /// The metrics of platform.report.
    pub const ReportMetrics = struct {
        duration_ms: f64 = 0,
        billed_duration_ms: i64 = 0,
        memory_size_mb: i64 = 0,
        max_memory_used_mb: i64 = 0,
        /// Cold starts only.
        init_duration_ms: ?f64 = null,
    };

    /// The record of platform.report: one per invocation.
    pub const ReportRecord = struct {
        request_id: []const u8 = "",
        /// success, error, failure, timeout
        status: []const u8 = "",
        error_type: []const u8 = "",
        metrics: ReportMetrics = .{},
    };

    /// The record of platform.initStart: one per environment. instance_id is the environment's
    /// log stream name.
    pub const InitStartRecord = struct {
        initialization_type: []const u8 = "",
        phase: []const u8 = "",
        function_name: []const u8 = "",
        function_version: []const u8 = "",
        instance_id: []const u8 = "",
        instance_max_memory: i64 = 0,
    };

    fn str(a: std.mem.Allocator, raw: ?[]const u8) []const u8 {
        const s = json.string(a, raw) catch return "";
        return s orelse "";
    }

    /// One event of a telemetry batch, in Lambda's telemetry schema. Valid during the handler's
    /// call; `arena` (reset after the batch) holds what the decoders allocate.
    pub const TelemetryEvent = struct {
        /// When the host generated the event: RFC 3339, UTC, milliseconds.
        time: []const u8,
        /// "platform.report", "function", ...
        event_type: []const u8,
        /// The record's raw JSON: an object for platform events; for log lines a JSON string.
        record: []const u8,
        arena: std.mem.Allocator,

        /// Decodes a platform.report event; null for another type.
        pub fn report(self: TelemetryEvent) ?ReportRecord {
            if (!std.mem.eql(u8, self.event_type, "platform.report")) return null;
            const a = self.arena;
            const m = json.get(self.record, "metrics") orelse "{}";
            return .{
                .request_id = str(a, json.get(self.record, "requestId")),
                .status = str(a, json.get(self.record, "status")),
                .error_type = str(a, json.get(self.record, "errorType")),
                .metrics = .{
                    .duration_ms = json.number(json.get(m, "durationMs")) orelse 0,
                    .billed_duration_ms = json.integer(json.get(m, "billedDurationMs")) orelse 0,
                    .memory_size_mb = json.integer(json.get(m, "memorySizeMB")) orelse 0,
                    .max_memory_used_mb = json.integer(json.get(m, "maxMemoryUsedMB")) orelse 0,
                    .init_duration_ms = json.number(json.get(m, "initDurationMs")),
                },
            };
        }

        /// Decodes a platform.initStart event; null for another type.
        pub fn initStart(self: TelemetryEvent) ?InitStartRecord {
            if (!std.mem.eql(u8, self.event_type, "platform.initStart")) return null;
            const a = self.arena;
            const r = self.record;
            return .{
                .initialization_type = str(a, json.get(r, "initializationType")),
                .phase = str(a, json.get(r, "phase")),
                .function_name = str(a, json.get(r, "functionName")),
                .function_version = str(a, json.get(r, "functionVersion")),
                .instance_id = str(a, json.get(r, "instanceId")),
                .instance_max_memory = json.integer(json.get(r, "instanceMaxMemory")) orelse 0,
            };
        }

        /// A function or extension log record as text (a JSON log record: its JSON); null for
        /// another type.
        pub fn line(self: TelemetryEvent) ?[]const u8 {
            if (!std.mem.eql(u8, self.event_type, "function") and !std.mem.eql(u8, self.event_type, "extension")) return null;
            const s = json.string(self.arena, self.record) catch return self.record;
            return s orelse self.record;
        }
    };

    const BatchHandler = struct {
        context: *anyopaque,
        call: *const fn (context: *anyopaque, batch: []const TelemetryEvent) void,
    };

    /// A registered extension. One thread, the main loop, uses it.
    pub const Extension = struct {
        allocator: std.mem.Allocator,
        /// The register response: the function's name, version and handler.
        info: RegisterResponse = .{},
        buf: []u8 = &.{},
        tbuf: []u8 = &.{},
        /// Holds the current event's strings (reset by next) and the register response.
        event_arena: std.heap.ArenaAllocator,
        info_arena: std.heap.ArenaAllocator,
        on_batch: ?BatchHandler = null,

        /// Registers the extension for events, during INIT: POST /extension/register. With a
        /// name other than name() the extension is internal, and may not register for
        /// SHUTDOWN. No events is a telemetry-only extension, stopped without SHUTDOWN when the
        /// environment ends. stdout is unbuffered in Zig: each line written is a log record.
        pub fn register(a: std.mem.Allocator, ext_name: []const u8, events: []const EventType) Error!Extension {
            var x = Extension{ .allocator = a, .event_arena = std.heap.ArenaAllocator.init(a), .info_arena = std.heap.ArenaAllocator.init(a) };
            errdefer x.deinit();
            var body = std.ArrayList(u8).init(a);
            defer body.deinit();
            const w = body.writer();
            try w.writeAll("{\"events\":[");
            for (events, 0..) |e, i| {
                if (i > 0) try w.writeByte(',');
                try w.print("\"{s}\"", .{@tagName(e)});
            }
            try w.writeAll("]}");
            const rc = sys.ext.register(ext_name.ptr, len32(ext_name.len), body.items.ptr, len32(body.items.len));
            if (rc < 0) return x.refused("register", -rc, false);
            const raw = try x.read(false, @intCast(rc));
            if (raw.len == 0 or raw[0] != '{') return unreadable("register", raw);
            const ia = x.info_arena.allocator();
            x.info = .{
                .function_name = str(ia, json.get(raw, "functionName")),
                .function_version = str(ia, json.get(raw, "functionVersion")),
                .handler = str(ia, json.get(raw, "handler")),
            };
            return x;
        }

        pub fn deinit(self: *Extension) void {
            self.allocator.free(self.buf);
            self.allocator.free(self.tbuf);
            self.event_arena.deinit();
            self.info_arena.deinit();
            self.buf = &.{};
            self.tbuf = &.{};
        }

        /// Blocks until the next event: GET /extension/event/next. Telemetry batches that
        /// become due meanwhile go to the subscription's handler, and the wait goes on. Returns
        /// null after SHUTDOWN (and once no telemetry is left): return from main.
        pub fn next(self: *Extension) Error!?Event {
            while (true) {
                const n = sys.ext.next();
                if (n == -@intFromEnum(Errno.EINTR)) {
                    _ = try self.deliverBatch();
                    continue;
                }
                if (n == -@intFromEnum(Errno.ECANCELED)) return null;
                if (n < 0) return self.refused("next", @intCast(-n), false);
                const raw = try self.read(false, @intCast(n));
                _ = self.event_arena.reset(.retain_capacity);
                const a = self.event_arena.allocator();
                const t = json.get(raw, "eventType") orelse "";
                const event_type: EventType = if (std.mem.eql(u8, t, "\"INVOKE\""))
                    .INVOKE
                else if (std.mem.eql(u8, t, "\"SHUTDOWN\""))
                    .SHUTDOWN
                else
                    return unreadable("next", raw);
                const tracing: ?Tracing = if (json.get(raw, "tracing")) |tr| .{
                    .trace_type = str(a, json.get(tr, "type")),
                    .value = str(a, json.get(tr, "value")),
                } else null;
                return .{
                    .event_type = event_type,
                    .deadline_ms = json.integer(json.get(raw, "deadlineMs")) orelse 0,
                    .request_id = str(a, json.get(raw, "requestId")),
                    .invoked_function_arn = str(a, json.get(raw, "invokedFunctionArn")),
                    .tracing = tracing,
                    .shutdown_reason = str(a, json.get(raw, "shutdownReason")),
                };
            }
        }

        /// Reports that the extension failed to initialise (POST /extension/init/error), before
        /// its first `next`: the environment's INIT fails with Extension.InitError. error_type
        /// is Lambda's Lambda-Extension-Function-Error-Type, e.g. "Extension.ConfigInvalid".
        /// main should then return.
        pub fn initError(self: *Extension, error_type: []const u8, message: []const u8) Error!void {
            return self.postError("init_error", error_type, message, sys.ext.init_error);
        }

        /// Reports that the extension failed and will exit (POST /extension/exit/error): the
        /// current invocation, or INIT, fails with Extension.ExitError.
        pub fn exitError(self: *Extension, error_type: []const u8, message: []const u8) Error!void {
            return self.postError("exit_error", error_type, message, sys.ext.exit_error);
        }

        fn postError(self: *Extension, op: []const u8, error_type: []const u8, message: []const u8, comptime call: anytype) Error!void {
            const body = try errorJSON(self.allocator, error_type, message);
            defer self.allocator.free(body);
            const rc = call(error_type.ptr, len32(error_type.len), body.ptr, len32(body.len));
            if (rc < 0) return self.refused(op, -rc, false);
        }

        /// Subscribes to telemetry (during INIT: after register, before the first `next`) and
        /// sets the handler that gets each batch, in order, from `next` and `flushTelemetry`:
        /// `handler(context, batch)`, context a pointer (the handler's state). Events since the
        /// environment started are in the first batches. Calling it again replaces the
        /// subscription's types, buffering and handler.
        pub fn subscribeTelemetry(self: *Extension, sub: Subscription, context: anytype, comptime handler: fn (@TypeOf(context), []const TelemetryEvent) void) Error!void {
            const Ctx = @TypeOf(context);
            const wrap = struct {
                fn call(p: *anyopaque, batch: []const TelemetryEvent) void {
                    handler(@as(Ctx, @ptrCast(@alignCast(p))), batch);
                }
            };
            var body = std.ArrayList(u8).init(self.allocator);
            defer body.deinit();
            try sub.writeJSON(body.writer());
            const rc = sys.telemetry.subscribe(body.items.ptr, len32(body.items.len));
            if (rc < 0) return self.refused("subscribe", -rc, true);
            self.on_batch = .{ .context = @ptrCast(context), .call = wrap.call };
        }

        /// Hands every batch still buffered to the handler. Call it after SHUTDOWN, when all
        /// that is buffered is due at once; before SHUTDOWN it waits for the next batch.
        pub fn flushTelemetry(self: *Extension) Error!void {
            if (self.on_batch == null) return;
            while (try self.deliverBatch()) {}
        }

        /// Takes the due batch and hands it to the handler; false when there was none to take
        /// (an event is waiting, or telemetry has ended).
        fn deliverBatch(self: *Extension) Error!bool {
            const n = sys.telemetry.next();
            if (n == -@intFromEnum(Errno.EINTR) or n == -@intFromEnum(Errno.ECANCELED)) return false;
            if (n < 0) return self.refused("telemetry_next", @intCast(-n), true);
            const raw = try self.read(true, @intCast(n));
            var arena = std.heap.ArenaAllocator.init(self.allocator);
            defer arena.deinit();
            const a = arena.allocator();
            var batch = std.ArrayList(TelemetryEvent).init(a);
            var it = json.elements(raw);
            while (it.next()) |el| {
                try batch.append(.{
                    .time = str(a, json.get(el, "time")),
                    .event_type = str(a, json.get(el, "type")),
                    .record = json.get(el, "record") orelse "null",
                    .arena = a,
                });
            }
            if (it.malformed) return unreadable("telemetry_next", raw);
            if (self.on_batch) |h| h.call(h.context, batch.items);
            return true;
        }

        /// Reads the module's last response body (of length n) into its buffer, growing it.
        fn read(self: *Extension, telemetry: bool, hint: usize) Error![]const u8 {
            const buf = if (telemetry) &self.tbuf else &self.buf;
            var n = @max(hint, if (telemetry) @as(usize, 64 << 10) else 1024);
            while (true) {
                if (n > buf.*.len) {
                    self.allocator.free(buf.*);
                    buf.* = &.{};
                    buf.* = try self.allocator.alloc(u8, std.mem.alignForward(usize, n, 4096));
                }
                const got = if (telemetry) sys.telemetry.read(buf.*.ptr, len32(buf.*.len)) else sys.ext.read(buf.*.ptr, len32(buf.*.len));
                if (got < 0) return fail("read", -got, "", "");
                const g: usize = @intCast(got);
                if (g <= buf.*.len) return buf.*[0..g];
                n = g;
            }
        }

        /// The error of a refused call, from its errno and the error body.
        fn refused(self: *Extension, op: []const u8, errno: i32, telemetry: bool) Error {
            if (errno == @intFromEnum(Errno.EFAULT) or errno == @intFromEnum(Errno.E2BIG)) return fail(op, errno, "", "");
            const raw = self.read(telemetry, 0) catch return fail(op, errno, "", "");
            var mem: [4096]u8 = undefined;
            var fba = std.heap.FixedBufferAllocator.init(&mem);
            const a = fba.allocator();
            return fail(op, errno, str(a, json.get(raw, "errorType")), str(a, json.get(raw, "errorMessage")));
        }
    };

    fn unreadable(op: []const u8, raw: []const u8) Error {
        var buf: [256]u8 = undefined;
        const msg = std.fmt.bufPrint(&buf, "unreadable response {s}", .{raw[0..@min(raw.len, 200)]}) catch "unreadable response";
        return fail(op, 0, "", msg);
    }
};
