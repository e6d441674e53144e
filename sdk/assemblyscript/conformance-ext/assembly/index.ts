// The AssemblyScript extension conformance module: the extension behaviours of
// runner/internal/conformance (protocol in its doc.go), written with this SDK; the suite
// requires the same results as every other SDK's. Build: see ../../README.md (the module imports
// the SDK as "wasmap").
import {
  Extension, Event, EventType, TelemetrySubscription, TelemetryType, TelemetryEvent, extensionName, errnoName, Writer,
} from "wasmap";

function say(s: string): void {
  console.log("confext: " + s);
}

// Reports the call the host refused: REFUSED <op> <ERRNO> <errorType> <errorMessage>.
function refused(x: Extension): void {
  const e = x.error;
  if (e == null) {
    say("ERROR the call was not refused");
    process.exit(1);
    return;
  }
  say("REFUSED " + e.op + " " + errnoName(e.errno) + " " + e.errorType + " " + e.message);
}

// Ends the module on an unexpected failure.
function must(x: Extension, ok: bool): void {
  if (ok) return;
  const e = x.error;
  say("ERROR " + (e == null ? "?" : e.toString()));
  process.exit(1);
}

// The counts the telemetry handler keeps (AssemblyScript functions cannot capture locals).
let reports = 0;
let lines = 0;
let events = 0;

function onBatch(batch: TelemetryEvent[]): void {
  for (let i = 0; i < batch.length; i++) {
    const ev = batch[i];
    events++;
    if (ev.time.length == 0) say("ERROR event " + ev.type + " has no time");
    const is = ev.initStart();
    if (is != null) say("INITSTART " + is.functionName + " " + is.functionVersion + " " + is.phase + " " + is.instanceId);
    const r = ev.report();
    if (r != null) {
      reports++;
      say("REPORT " + r.requestId + " " + r.status + " " + r.metrics.memorySizeMB.toString() + " " + (r.metrics.hasInitDuration ? "cold" : "warm"));
    }
    const l = ev.line();
    if (l != null) {
      lines++;
      say("LINE " + l);
    }
  }
}

function noBatch(batch: TelemetryEvent[]): void {}

function main(): void {
  const mode = process.env.has("CONFEXT_MODE") ? process.env.get("CONFEXT_MODE") : "";
  const name = extensionName();

  // Refusals: an empty name, SHUTDOWN for an internal extension.
  let other = Extension.register("", [EventType.INVOKE]);
  if (!other.ok) refused(other);
  other = Extension.register(name + "-internal", [EventType.SHUTDOWN]);
  if (!other.ok) refused(other);
  const ext = Extension.register(name, [EventType.INVOKE, EventType.SHUTDOWN]);
  must(ext, ext.ok);
  say("REGISTERED " + name + " " + ext.info.functionName + " " + ext.info.functionVersion + " " + ext.info.handler);
  other = Extension.register(name, [EventType.INVOKE]);
  if (!other.ok) refused(other);

  if (mode == "init-error") {
    say("INIT_ERROR");
    must(ext, ext.initError("Extension.ConfigInvalid", "conformance: extension init failed on purpose"));
    return;
  }
  if (mode == "exit-error") {
    say("EXIT_ERROR");
    must(ext, ext.exitError("Extension.Broken", "conformance: extension broken on purpose"));
    return;
  }

  if (!ext.exitError("", "")) refused(ext);
  const bad = new TelemetrySubscription();
  bad.types = [TelemetryType.PLATFORM];
  bad.maxItems = 5;
  if (!ext.subscribeTelemetry(bad, noBatch)) refused(ext);
  const sub = new TelemetrySubscription();
  sub.types = [TelemetryType.PLATFORM, TelemetryType.FUNCTION];
  sub.maxItems = 1000;
  sub.maxBytes = 262144;
  sub.timeoutMs = 25;
  must(ext, ext.subscribeTelemetry(sub, onBatch));
  say("SUBSCRIBED");

  let invokes = 0;
  while (true) {
    const ev = ext.nextEvent();
    if (ev == null) break;
    if (ev.eventType == EventType.INVOKE) {
      invokes++;
      const t = ev.tracing;
      say("INVOKE " + ev.requestId + " " + ev.deadlineMs.toString() + " " + ev.invokedFunctionArn + " " +
        (t == null ? "-" : t.type + " " + t.value));
      continue;
    }
    say("SHUTDOWN " + ev.shutdownReason + " " + ev.deadlineMs.toString());
    must(ext, ext.flushTelemetry());
    const summary = "{\"events\":" + events.toString() + ",\"invokes\":" + invokes.toString() + ",\"lines\":" +
      lines.toString() + ",\"reports\":" + reports.toString() + ",\"shutdownReason\":\"" + ev.shutdownReason + "\"}";
    const w = Writer.createOutput("summary.json");
    if (!w.ok || w.writeString(summary) < 0 || w.close() != 0) {
      say("ERROR summary.json: " + errnoName(w.errno));
      process.exit(1);
    }
    say("SUMMARY " + summary);
    // After SHUTDOWN and the flush, next answers ECANCELED: no more events.
    if (ext.nextEvent() != null || !ext.ok) say("ERROR nextEvent after SHUTDOWN");
    say("DONE");
    return;
  }
  must(ext, ext.ok);
  say("ERROR nextEvent ended before SHUTDOWN");
  process.exit(1);
}

main();
