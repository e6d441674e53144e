// The wasmap AssemblyScript SDK: the guest side of wasmap ABI v1 (abi/ABI.md). See README.md.
export { Context, Response, Handler, start, remainingMs, initError, errorJSON, fn, log, wasmapAbort } from "./runtime";
export { json, Members, Elements } from "./json";
export { Reader, Writer, ObjectInfo, stat, outputPrefix, defaultPrefix } from "./object";
export { Errno, errnoName } from "./env";
export {
  Extension, ExtensionError, Event, EventType, Tracing, RegisterResponse, ShutdownReason, extensionName,
  TelemetrySubscription, TelemetryType, TelemetryEvent, TelemetryHandler, ReportRecord, ReportMetrics, InitStartRecord,
  DEFAULT_SCHEMA,
} from "./extension";
