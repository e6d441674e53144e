//! The Zig SDK's sample: for each file of a folder (an item {"Key","Size",…} of a folder
//! source), writes an upper-cased copy to the output location as <Key>.upper and responds
//! {"bytes":<size>,"key":<Key>}.
//!
//!   zig build-exe -target wasm32-wasi -O ReleaseSmall --mod wasmap::../src/wasmap.zig --deps wasmap main.zig
const std = @import("std");
const wasmap = @import("wasmap");

pub const panic = wasmap.panic;

fn handle(inv: *wasmap.Invocation) anyerror![]const u8 {
    const a = inv.arena;
    const key = (try wasmap.json.string(a, wasmap.json.get(inv.event, "Key"))) orelse
        return inv.fail(error.MissingKeyError, "the item has no Key: run over a folder");
    var r = wasmap.object.open(key) catch |err| return inv.failf(error.ObjectError, "{s}: {s}", .{ key, wasmap.object.errnoOf(err) });
    defer r.close();
    const name = try std.fmt.allocPrint(a, "{s}.upper", .{key});
    var w = wasmap.object.createOutput(a, name) catch |err| return inv.failf(error.ObjectError, "{s}: {s}", .{ key, wasmap.object.errnoOf(err) });
    errdefer w.abort();
    const buf = try a.alloc(u8, 64 << 10);
    var total: usize = 0;
    while (true) {
        const k = try r.read(buf);
        if (k == 0) break;
        for (buf[0..k]) |*c| c.* = std.ascii.toUpper(c.*);
        _ = try w.write(buf[0..k]);
        total += k;
    }
    try w.close(); // the object appears only now
    wasmap.log.print(.info, "{s}: {d} bytes", .{ key, total });
    var out = std.ArrayList(u8).init(a);
    try out.writer().print("{{\"bytes\":{d},\"key\":", .{total});
    try wasmap.json.quote(out.writer(), key);
    try out.append('}');
    return out.items;
}

pub fn main() void {
    wasmap.start(handle);
}
