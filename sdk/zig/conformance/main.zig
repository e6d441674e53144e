//! The Zig conformance module: the behaviours of runner/internal/conformance (protocol in its
//! doc.go), written with this SDK; the suite requires the same results as every other SDK's.
//!
//! Build: zig build-exe -target wasm32-wasi -O ReleaseSmall \
//!            --mod wasmap::../src/wasmap.zig --deps wasmap main.zig
const std = @import("std");
const wasmap = @import("wasmap");
const json = wasmap.json;
const object = wasmap.object;

pub const panic = wasmap.panic;

var invocations: i64 = 0;

fn field(inv: *wasmap.Invocation, k: []const u8) []const u8 {
    const s = json.string(inv.arena, json.get(inv.event, k)) catch return "";
    return s orelse "";
}

fn num(inv: *wasmap.Invocation, k: []const u8) i64 {
    return json.integer(json.get(inv.event, k)) orelse 0;
}

fn objects(inv: *wasmap.Invocation, op: []const u8, w: anytype) !void {
    const a = inv.arena;
    if (std.mem.eql(u8, op, "open")) {
        var r = try object.open(field(inv, "key"));
        defer r.close();
        try w.print("{{\"size\":{d}}}", .{r.size});
    } else if (std.mem.eql(u8, op, "stat")) {
        const i = try object.stat(a, field(inv, "key"));
        try w.writeAll("{\"Etag\":");
        try json.quote(w, i.etag);
        try w.writeAll(",\"Key\":");
        try json.quote(w, i.key);
        try w.print(",\"LastModified\":{d},\"Size\":{d}}}", .{ i.last_modified, i.size });
    } else if (std.mem.eql(u8, op, "read")) {
        var r = try object.open(field(inv, "key"));
        defer r.close();
        const buf = try a.alloc(u8, @intCast(num(inv, "len")));
        const off: u64 = @intCast(num(inv, "offset"));
        var n: usize = 0;
        while (n < buf.len) {
            const k = try r.readAt(buf[n..], off + n);
            if (k == 0) break;
            n += k;
        }
        try w.writeAll("{\"data\":");
        try json.quote(w, buf[0..n]);
        try w.print(",\"n\":{d}}}", .{n});
    } else if (std.mem.eql(u8, op, "copy")) {
        var r = try object.open(field(inv, "from"));
        defer r.close();
        var out = try object.createOutput(a, field(inv, "to"));
        errdefer out.abort();
        var buf: [4096]u8 = undefined;
        var total: u64 = 0;
        while (true) {
            const k = try r.read(&buf);
            if (k == 0) break;
            _ = try out.write(buf[0..k]);
            total += k;
        }
        try out.close();
        try w.print("{{\"bytes\":{d}}}", .{total});
    } else { // write, leak
        const data = field(inv, "data");
        var out = try object.createOutput(a, field(inv, "to"));
        _ = try out.write(data);
        if (std.mem.eql(u8, op, "write")) try out.close(); // leak: never closed, the host discards it
        try w.print("{{\"bytes\":{d}}}", .{data.len});
    }
}

fn handle(inv: *wasmap.Invocation) anyerror![]const u8 {
    invocations += 1;
    const a = inv.arena;
    const op = field(inv, "op");
    var out = std.ArrayList(u8).init(a);
    const w = out.writer();
    if (std.mem.eql(u8, op, "echo")) return json.get(inv.event, "value") orelse "null";
    if (std.mem.eql(u8, op, "counter")) return std.fmt.allocPrint(a, "{d}", .{invocations});
    if (std.mem.eql(u8, op, "error")) return inv.fail(error.ConformanceError, field(inv, "message"));
    if (std.mem.eql(u8, op, "panic")) @panic(field(inv, "message"));
    if (std.mem.eql(u8, op, "trap")) @trap();
    if (std.mem.eql(u8, op, "big")) {
        const size: usize = @intCast(@max(num(inv, "bytes"), 2));
        const b = try a.alloc(u8, size);
        @memset(b, 'x');
        b[0] = '"';
        b[size - 1] = '"';
        return b;
    }
    if (std.mem.eql(u8, op, "context")) {
        try w.print("{{\"deadlineMs\":{d},\"functionName\":", .{inv.ctx.deadline_ms});
        try json.quote(w, wasmap.function.name());
        try w.writeAll(",\"invokedFunctionArn\":");
        try json.quote(w, inv.ctx.invoked_function_arn);
        try w.print(",\"memoryMB\":{d},\"remainingMs\":{d},\"requestId\":", .{ wasmap.function.memoryLimitMB(), inv.ctx.remainingMs() });
        try json.quote(w, inv.ctx.request_id);
        try w.writeAll(",\"traceId\":");
        try json.quote(w, inv.ctx.trace_id);
        try w.writeAll("}");
        return out.items;
    }
    if (std.mem.eql(u8, op, "log")) {
        const m = field(inv, "message");
        wasmap.log.trace(m);
        wasmap.log.debug(m);
        wasmap.log.info(m);
        wasmap.log.warn(m);
        wasmap.log.err(m);
        wasmap.log.fatal(m);
        try std.io.getStdOut().writer().print("stdout: {s}\n", .{m});
        try std.io.getStdErr().writer().print("stderr: {s}\n", .{m});
        return "8";
    }
    if (std.mem.eql(u8, op, "field")) {
        const doc = json.get(inv.event, "doc");
        const raw = if (doc) |d| json.get(d, field(inv, "key")) else null;
        if (raw) |r| {
            if (json.integer(r)) |n| try w.print("{{\"int\":{d},\"raw\":", .{n}) else try w.writeAll("{\"int\":null,\"raw\":");
            try json.quote(w, r);
            try w.writeAll(",\"string\":");
            if (try json.string(a, r)) |str| try json.quote(w, str) else try w.writeAll("null");
            try w.writeAll("}");
        } else try w.writeAll("{\"int\":null,\"raw\":null,\"string\":null}");
        return out.items;
    }
    const object_ops = [_][]const u8{ "open", "stat", "read", "copy", "write", "leak" };
    for (object_ops) |o| {
        if (std.mem.eql(u8, op, o)) {
            objects(inv, op, w) catch |err| {
                out.clearRetainingCapacity();
                try w.writeAll("{\"err\":");
                try json.quote(w, object.errnoOf(err));
                try w.writeAll("}");
            };
            return out.items;
        }
    }
    return inv.failf(error.UnknownOpError, "unknown op: {s}", .{op});
}

pub fn main() void {
    if (std.mem.eql(u8, wasmap.getenv("CONFORMANCE_INIT"), "fail")) {
        wasmap.initError("InitFailure", "conformance: init failed on purpose") catch {};
        return;
    }
    wasmap.start(handle);
}
