//! The Zig extension conformance module: the extension behaviours of
//! runner/internal/conformance (protocol in its doc.go), written with this SDK; the suite
//! requires the same results as every other SDK's.
//!
//! Build: sdk/zig/build.sh conformance-ext/main.zig confext.wasm
const std = @import("std");
const wasmap = @import("wasmap");
const extension = wasmap.extension;
const Extension = extension.Extension;

/// Writes one line, "confext: ...", in one write.
fn say(comptime fmt: []const u8, args: anytype) void {
    var buf: [4096]u8 = undefined;
    const s = std.fmt.bufPrint(&buf, "confext: " ++ fmt ++ "\n", args) catch return;
    std.io.getStdOut().writeAll(s) catch {};
}

/// Reports the call the host refused: REFUSED <op> <ERRNO> <errorType> <errorMessage>.
fn refused() void {
    const e = extension.lastError();
    say("REFUSED {s} {s} {s} {s}", .{ e.op, wasmap.errnoName(e.errno), e.error_type, e.message });
}

/// Ends the module on an unexpected error.
fn fatal(err: anyerror) noreturn {
    const e = extension.lastError();
    say("ERROR {s}: {s} {s} {s} {s}", .{ @errorName(err), e.op, wasmap.errnoName(e.errno), e.error_type, e.message });
    std.process.exit(1);
}

const Counts = struct { reports: u32 = 0, lines: u32 = 0, events: u32 = 0 };

fn onBatch(c: *Counts, batch: []const extension.TelemetryEvent) void {
    for (batch) |ev| {
        c.events += 1;
        if (ev.time.len == 0) say("ERROR event {s} has no time", .{ev.event_type});
        if (ev.initStart()) |r| say("INITSTART {s} {s} {s} {s}", .{ r.function_name, r.function_version, r.phase, r.instance_id });
        if (ev.report()) |r| {
            c.reports += 1;
            say("REPORT {s} {s} {d} {s}", .{ r.request_id, r.status, r.metrics.memory_size_mb, if (r.metrics.init_duration_ms != null) "cold" else "warm" });
        }
        if (ev.line()) |l| {
            c.lines += 1;
            say("LINE {s}", .{l});
        }
    }
}

fn noBatch(_: *Counts, _: []const extension.TelemetryEvent) void {}

pub fn main() void {
    const a = std.heap.page_allocator;
    const mode = wasmap.getenv("CONFEXT_MODE");
    const name = extension.name();

    // Refusals: an empty name, SHUTDOWN for an internal extension.
    if (Extension.register(a, "", &.{.INVOKE})) |_| {} else |_| refused();
    const internal = std.fmt.allocPrint(a, "{s}-internal", .{name}) catch fatal(error.OutOfMemory);
    if (Extension.register(a, internal, &.{.SHUTDOWN})) |_| {} else |_| refused();
    var ext = Extension.register(a, name, &.{ .INVOKE, .SHUTDOWN }) catch |err| fatal(err);
    defer ext.deinit();
    say("REGISTERED {s} {s} {s} {s}", .{ name, ext.info.function_name, ext.info.function_version, ext.info.handler });
    if (Extension.register(a, name, &.{.INVOKE})) |_| {} else |_| refused();

    if (std.mem.eql(u8, mode, "init-error")) {
        say("INIT_ERROR", .{});
        ext.initError("Extension.ConfigInvalid", "conformance: extension init failed on purpose") catch |err| fatal(err);
        return;
    }
    if (std.mem.eql(u8, mode, "exit-error")) {
        say("EXIT_ERROR", .{});
        ext.exitError("Extension.Broken", "conformance: extension broken on purpose") catch |err| fatal(err);
        return;
    }

    ext.exitError("", "") catch refused();
    var counts = Counts{};
    ext.subscribeTelemetry(.{ .types = &.{.platform}, .max_items = 5 }, &counts, noBatch) catch refused();
    ext.subscribeTelemetry(.{ .types = &.{ .platform, .function }, .max_items = 1000, .max_bytes = 262144, .timeout_ms = 25 }, &counts, onBatch) catch |err| fatal(err);
    say("SUBSCRIBED", .{});

    var invokes: u32 = 0;
    while (ext.next() catch |err| fatal(err)) |ev| {
        switch (ev.event_type) {
            .INVOKE => {
                invokes += 1;
                if (ev.tracing) |t| {
                    say("INVOKE {s} {d} {s} {s} {s}", .{ ev.request_id, ev.deadline_ms, ev.invoked_function_arn, t.trace_type, t.value });
                } else say("INVOKE {s} {d} {s} -", .{ ev.request_id, ev.deadline_ms, ev.invoked_function_arn });
            },
            .SHUTDOWN => {
                say("SHUTDOWN {s} {d}", .{ ev.shutdown_reason, ev.deadline_ms });
                ext.flushTelemetry() catch |err| fatal(err);
                const summary = std.fmt.allocPrint(a, "{{\"events\":{d},\"invokes\":{d},\"lines\":{d},\"reports\":{d},\"shutdownReason\":\"{s}\"}}", .{ counts.events, invokes, counts.lines, counts.reports, ev.shutdown_reason }) catch fatal(error.OutOfMemory);
                var w = wasmap.object.createOutput(a, "summary.json") catch |err| fatal(err);
                _ = w.write(summary) catch |err| fatal(err);
                w.close() catch |err| fatal(err);
                say("SUMMARY {s}", .{summary});
                // After SHUTDOWN and the flush, next answers ECANCELED: no more events.
                if (ext.next() catch |err| fatal(err)) |_| say("ERROR next after SHUTDOWN", .{});
                say("DONE", .{});
                return;
            },
        }
    }
    say("ERROR next ended before SHUTDOWN", .{});
    std.process.exit(1);
}
