// The raw imports of wasmap ABI v1 (abi/ABI.md): wasmap_runtime_v1 (section 3),
// wasmap_object_v1 (section 8), and for extension modules wasmap_extension_v1 (section 9) and
// wasmap_telemetry_v1 (section 10). A module imports only the functions it calls: asc compiles
// what is reachable. Pointers are offsets into the module's memory; results >= 0 are
// success, negative results are -errno (section 5).

// @ts-ignore: decorator
@external("wasmap_runtime_v1", "next")
export declare function runtime_next(): i64;
// @ts-ignore: decorator
@external("wasmap_runtime_v1", "event_read")
export declare function runtime_event_read(ptr: usize, cap: i32): i32;
// @ts-ignore: decorator
@external("wasmap_runtime_v1", "context_read")
export declare function runtime_context_read(ptr: usize, cap: i32): i32;
// @ts-ignore: decorator
@external("wasmap_runtime_v1", "respond")
export declare function runtime_respond(ptr: usize, len: i32): i32;
// @ts-ignore: decorator
@external("wasmap_runtime_v1", "respond_error")
export declare function runtime_respond_error(typePtr: usize, typeLen: i32, ptr: usize, len: i32): i32;
// @ts-ignore: decorator
@external("wasmap_runtime_v1", "init_error")
export declare function runtime_init_error(typePtr: usize, typeLen: i32, ptr: usize, len: i32): i32;
// @ts-ignore: decorator
@external("wasmap_runtime_v1", "log")
export declare function runtime_log(level: i32, ptr: usize, len: i32): i32;
// @ts-ignore: decorator
@external("wasmap_runtime_v1", "remaining_ms")
export declare function runtime_remaining_ms(): i64;

// @ts-ignore: decorator
@external("wasmap_object_v1", "open")
export declare function object_open(namePtr: usize, nameLen: i32): i64;
// @ts-ignore: decorator
@external("wasmap_object_v1", "create")
export declare function object_create(namePtr: usize, nameLen: i32): i64;
// @ts-ignore: decorator
@external("wasmap_object_v1", "stat")
export declare function object_stat(namePtr: usize, nameLen: i32, ptr: usize, cap: i32): i64;
// @ts-ignore: decorator
@external("wasmap_object_v1", "size")
export declare function object_size(handle: i32): i64;
// @ts-ignore: decorator
@external("wasmap_object_v1", "read")
export declare function object_read(handle: i32, offset: i64, ptr: usize, len: i32): i64;
// @ts-ignore: decorator
@external("wasmap_object_v1", "write")
export declare function object_write(handle: i32, ptr: usize, len: i32): i64;
// @ts-ignore: decorator
@external("wasmap_object_v1", "close")
export declare function object_close(handle: i32): i64;
// @ts-ignore: decorator
@external("wasmap_object_v1", "abort")
export declare function object_abort(handle: i32): i64;

// @ts-ignore: decorator
@external("wasmap_extension_v1", "register")
export declare function extension_register(namePtr: usize, nameLen: i32, bodyPtr: usize, bodyLen: i32): i32;
// @ts-ignore: decorator
@external("wasmap_extension_v1", "next")
export declare function extension_next(): i64;
// @ts-ignore: decorator
@external("wasmap_extension_v1", "read")
export declare function extension_read(ptr: usize, cap: i32): i32;
// @ts-ignore: decorator
@external("wasmap_extension_v1", "init_error")
export declare function extension_init_error(typePtr: usize, typeLen: i32, ptr: usize, len: i32): i32;
// @ts-ignore: decorator
@external("wasmap_extension_v1", "exit_error")
export declare function extension_exit_error(typePtr: usize, typeLen: i32, ptr: usize, len: i32): i32;

// @ts-ignore: decorator
@external("wasmap_telemetry_v1", "subscribe")
export declare function telemetry_subscribe(ptr: usize, len: i32): i32;
// @ts-ignore: decorator
@external("wasmap_telemetry_v1", "next")
export declare function telemetry_next(): i64;
// @ts-ignore: decorator
@external("wasmap_telemetry_v1", "read")
export declare function telemetry_read(ptr: usize, cap: i32): i32;

// WASI errnos used by ABI v1 (ABI.md section 5).
export namespace Errno {
  export const E2BIG: i32 = 1;
  export const EACCES: i32 = 2;
  export const EALREADY: i32 = 7;
  export const EBADF: i32 = 8;
  export const ECANCELED: i32 = 11;
  export const EFAULT: i32 = 21;
  export const EINTR: i32 = 27;
  export const EINVAL: i32 = 28;
  export const EIO: i32 = 29;
  export const EISDIR: i32 = 31;
  export const EMFILE: i32 = 33;
  export const ENAMETOOLONG: i32 = 37;
  export const ENOENT: i32 = 44;
  export const ENOSPC: i32 = 51;
  export const ENOTDIR: i32 = 54;
  export const ENOTSUP: i32 = 58;
  export const EPERM: i32 = 63;
}

// errnoName returns the errno's name, "ENOENT" (e positive or negative); "" for a number ABI v1
// does not use.
export function errnoName(e: i64): string {
  switch (<i32>(e < 0 ? -e : e)) {
    case 1: return "E2BIG";
    case 2: return "EACCES";
    case 7: return "EALREADY";
    case 8: return "EBADF";
    case 11: return "ECANCELED";
    case 21: return "EFAULT";
    case 27: return "EINTR";
    case 28: return "EINVAL";
    case 29: return "EIO";
    case 31: return "EISDIR";
    case 33: return "EMFILE";
    case 37: return "ENAMETOOLONG";
    case 44: return "ENOENT";
    case 51: return "ENOSPC";
    case 54: return "ENOTDIR";
    case 58: return "ENOTSUP";
    case 63: return "EPERM";
  }
  return "";
}
