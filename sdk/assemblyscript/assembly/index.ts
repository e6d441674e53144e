// The wasmap AssemblyScript SDK: the guest side of wasmap ABI v1 (abi/ABI.md). See README.md.
export { Context, Response, Handler, start, remainingMs, initError, errorJSON, fn, log, wasmapAbort } from "./runtime";
export { json, Members } from "./json";
export { Reader, Writer, ObjectInfo, stat, outputPrefix, defaultPrefix } from "./object";
export { Errno, errnoName } from "./env";
