/*
 * wasmap.h: the wasmap C SDK, the guest side of wasmap ABI v1 (abi/ABI.md) for C and C++.
 *
 *   #include "wasmap.h"
 *
 *   static void handle(wasmap_invocation *inv, void *user) {
 *       size_t n;
 *       const char *event = wasmap_event(inv, &n);       // the item, compact JSON
 *       wasmap_respond(inv, event, n);                   // echo it
 *   }
 *
 *   int main(void) { return wasmap_start(handle, NULL); }
 *
 * Build for wasm32-wasi with Debian's clang and wasi-libc:
 *
 *   clang --target=wasm32-wasi -O2 -I sdk/c/include sdk/c/src/wasmap.c main.c -o fn.wasm
 *
 * Conventions: strings are NUL-terminated UTF-8 unless a length is given; functions that can
 * fail return 0 (or a count) on success and a negated errno (-WASMAP_ENOENT, ...) on failure,
 * as the ABI's imports do. The SDK is not thread-safe (a wasm32-wasi module has one thread).
 */
#ifndef WASMAP_H
#define WASMAP_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- errnos (WASI preview 1 numbering, ABI.md section 5) ---- */
enum {
    WASMAP_E2BIG = 1,
    WASMAP_EACCES = 2,
    WASMAP_EALREADY = 7,
    WASMAP_EBADF = 8,
    WASMAP_ECANCELED = 11,
    WASMAP_EFAULT = 21,
    WASMAP_EINVAL = 28,
    WASMAP_EIO = 29,
    WASMAP_EISDIR = 31,
    WASMAP_EMFILE = 33,
    WASMAP_ENAMETOOLONG = 37,
    WASMAP_ENOENT = 44,
    WASMAP_ENOSPC = 51,
    WASMAP_ENOTDIR = 54,
    WASMAP_ENOTSUP = 58,
};

/* The errno's name, "ENOENT" (e positive or negative); "" for a number ABI v1 does not use. */
const char *wasmap_errno_name(int e);

/* ---- the runtime (wasmap_runtime_v1, ABI.md section 3) ---- */

/* The invocation context (Lambda's /next headers). Strings live until the handler returns. */
typedef struct wasmap_context {
    const char *request_id;           /* a UUID */
    int64_t deadline_ms;              /* wall-clock epoch ms at which the invocation times out */
    const char *invoked_function_arn; /* arn:aws:lambda:<region>:<account>:function:<name> */
    const char *trace_id;             /* X-Ray style trace header; may be "" */
    const char *client_context;       /* raw JSON, or NULL when absent */
} wasmap_context;

/* One invocation, valid during the handler's call. */
typedef struct wasmap_invocation wasmap_invocation;

/* A handler: reads the event, posts a response or an error. A handler that posts nothing
 * responds null. */
typedef void (*wasmap_handler)(wasmap_invocation *inv, void *user);

/* Runs handler on every invocation until the host shuts the environment down, then returns 0
 * (return it from main). Code before it is the function's init: it runs once per execution
 * environment, and globals stay warm across invocations. A Runtime API failure the ABI does not
 * allow for ends the process with status 1. stdout is made line-buffered, so that each line is
 * a log record when it is written. */
int wasmap_start(wasmap_handler handler, void *user);

/* The event: the item (or batch) as compact JSON, NUL-terminated; *len gets its length. */
const char *wasmap_event(const wasmap_invocation *inv, size_t *len);

/* The invocation context. */
const wasmap_context *wasmap_invocation_context(const wasmap_invocation *inv);

/* Milliseconds left before the current deadline (the invocation's; during init, the init
 * phase's). Never negative. */
int64_t wasmap_remaining_ms(void);

/* Posts the response: len bytes of JSON. The host copies them at once. Returns 0, or -errno:
 * -WASMAP_E2BIG (over 6291556 bytes: the invocation failed with Function.ResponseSizeTooLarge)
 * or -WASMAP_EALREADY (already posted). */
int wasmap_respond(wasmap_invocation *inv, const void *json, size_t len);
int wasmap_respond_str(wasmap_invocation *inv, const char *json);

/* Fails the invocation with {"errorMessage":<printf(fmt, ...)>,"errorType":error_type}, and
 * logs that body to stderr. error_type is what a Step Functions Retry or Catch matches. The
 * environment stays warm. Returns as wasmap_respond. */
int wasmap_fail(wasmap_invocation *inv, const char *error_type, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* C's panic: inside a handler, posts {"errorMessage":<message>,"errorType":"string"} (as the Go
 * SDK reports panic("message")); then exits with status 1 and the host recycles the
 * environment. abort() and a failed assert() trap instead (Runtime.ExitError). */
__attribute__((noreturn, format(printf, 1, 2))) void wasmap_panic(const char *fmt, ...);

/* Reports an init failure (before wasmap_start): {"errorMessage":message,"errorType":type}.
 * main should then return. Returns 0 or -errno (-WASMAP_EALREADY after init). */
int wasmap_init_error(const char *error_type, const char *message);

/* The function's configuration, from Lambda's environment variables (ABI.md section 6); ""
 * (0) when unset. */
const char *wasmap_function_name(void);    /* AWS_LAMBDA_FUNCTION_NAME */
const char *wasmap_function_version(void); /* AWS_LAMBDA_FUNCTION_VERSION */
int wasmap_memory_limit_mb(void);          /* AWS_LAMBDA_FUNCTION_MEMORY_SIZE */
const char *wasmap_log_group_name(void);   /* AWS_LAMBDA_LOG_GROUP_NAME */
const char *wasmap_log_stream_name(void);  /* AWS_LAMBDA_LOG_STREAM_NAME */

/* ---- logging ---- */

/* Lambda's application log levels. */
typedef enum wasmap_level {
    WASMAP_TRACE = 0,
    WASMAP_DEBUG = 1,
    WASMAP_INFO = 2,
    WASMAP_WARN = 3,
    WASMAP_ERROR = 4,
    WASMAP_FATAL = 5,
} wasmap_level;

/* Writes one record, "[LEVEL] message", to the function's log stream (over 256 KiB is
 * truncated). Returns 0 or -errno. printf to stdout or stderr also logs: each line a record. */
int wasmap_log(wasmap_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int wasmap_log_bytes(wasmap_level level, const void *msg, size_t len);

/* ---- a growable byte buffer, for building JSON ---- */

typedef struct wasmap_buf {
    char *data; /* NUL-terminated; NULL while empty */
    size_t len;
    size_t cap;
} wasmap_buf;

void wasmap_buf_append(wasmap_buf *b, const void *p, size_t n);
void wasmap_buf_puts(wasmap_buf *b, const char *s);
void wasmap_buf_printf(wasmap_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends s (n bytes) as a JSON string, quotes included, escaped as Go's json.Marshal escapes:
 * <, > and & as \u003c \u003e \u0026, U+2028/U+2029 escaped, invalid UTF-8 as \ufffd. */
void wasmap_buf_json_string(wasmap_buf *b, const char *s, size_t n);
void wasmap_buf_reset(wasmap_buf *b);
void wasmap_buf_free(wasmap_buf *b);

/* ---- the little JSON a handler needs ---- */

/* Finds the top-level member key of the object json[0:len): *val and *vlen get its raw JSON.
 * Returns false when json is not an object or has no such member. */
bool wasmap_json_get(const char *json, size_t len, const char *key, const char **val, size_t *vlen);
/* Decodes the JSON string raw[0:len) (quotes included) into a malloc'd NUL-terminated string;
 * NULL when raw is not a string. *out_len (if not NULL) gets its length. */
char *wasmap_json_string(const char *raw, size_t len, size_t *out_len);
/* Decodes a JSON integer; false for anything else. */
bool wasmap_json_int(const char *raw, size_t len, int64_t *out);

/* ---- object I/O (wasmap_object_v1, ABI.md section 8) ---- */

/* An open object: a reader (size fixed at open) or a writer (size: bytes written). */
typedef struct wasmap_object {
    int32_t handle;
    int64_t size;
} wasmap_object;

/* An object's description, as an S3 listObjectsV2 entry. Strings are malloc'd: free with
 * wasmap_object_info_free. */
typedef struct wasmap_object_info {
    char *key;
    int64_t size;
    char *etag; /* quoted, as S3 gives it */
    int64_t last_modified; /* seconds since the epoch */
    char *json; /* the description as the host wrote it */
} wasmap_object_info;

/* The output location (WASMAP_OUTPUT_PREFIX), a URI ending in "/", or "" when the run has
 * none; the location plain keys resolve against (WASMAP_DEFAULT_PREFIX). */
const char *wasmap_output_prefix(void);
const char *wasmap_default_prefix(void);

/* Each returns 0 (or a count) or -errno: -WASMAP_EACCES outside what the run allows,
 * -WASMAP_ENOENT, -WASMAP_EINVAL for a bad name, -WASMAP_ENOTSUP without object I/O, ... */
int wasmap_object_open(const char *name, wasmap_object *obj);
int wasmap_object_create(const char *name, wasmap_object *obj);
/* wasmap_object_create(wasmap_output_prefix() + name); -WASMAP_EACCES without an output
 * location. */
int wasmap_object_create_output(const char *name, wasmap_object *obj);
int wasmap_object_stat(const char *name, wasmap_object_info *info);
void wasmap_object_info_free(wasmap_object_info *info);
/* One read at offset: up to len bytes (at most 8 MiB), 0 at the end. */
int64_t wasmap_object_read(const wasmap_object *obj, int64_t offset, void *buf, size_t len);
/* Appends all len bytes (looping over the 8 MiB limit); returns len or -errno. After a failed
 * write the writer cannot commit. */
int64_t wasmap_object_write(wasmap_object *obj, const void *buf, size_t len);
/* Releases the handle; a writer's object appears, whole, only now. */
int wasmap_object_close(wasmap_object *obj);
/* Releases the handle; a writer's bytes are discarded. */
int wasmap_object_abort(wasmap_object *obj);

/* ---- the raw imports ---- */

#define WASMAP_IMPORT(module, name) __attribute__((import_module(module), import_name(name)))

WASMAP_IMPORT("wasmap_runtime_v1", "next") int64_t wasmap_sys_next(void);
WASMAP_IMPORT("wasmap_runtime_v1", "event_read") int32_t wasmap_sys_event_read(void *ptr, int32_t cap);
WASMAP_IMPORT("wasmap_runtime_v1", "context_read") int32_t wasmap_sys_context_read(void *ptr, int32_t cap);
WASMAP_IMPORT("wasmap_runtime_v1", "respond") int32_t wasmap_sys_respond(const void *ptr, int32_t len);
WASMAP_IMPORT("wasmap_runtime_v1", "respond_error")
int32_t wasmap_sys_respond_error(const void *type_ptr, int32_t type_len, const void *ptr, int32_t len);
WASMAP_IMPORT("wasmap_runtime_v1", "init_error")
int32_t wasmap_sys_init_error(const void *type_ptr, int32_t type_len, const void *ptr, int32_t len);
WASMAP_IMPORT("wasmap_runtime_v1", "log") int32_t wasmap_sys_log(int32_t level, const void *ptr, int32_t len);
WASMAP_IMPORT("wasmap_runtime_v1", "remaining_ms") int64_t wasmap_sys_remaining_ms(void);

WASMAP_IMPORT("wasmap_object_v1", "open") int64_t wasmap_sys_object_open(const void *name, int32_t name_len);
WASMAP_IMPORT("wasmap_object_v1", "create") int64_t wasmap_sys_object_create(const void *name, int32_t name_len);
WASMAP_IMPORT("wasmap_object_v1", "stat")
int64_t wasmap_sys_object_stat(const void *name, int32_t name_len, void *ptr, int32_t cap);
WASMAP_IMPORT("wasmap_object_v1", "size") int64_t wasmap_sys_object_size(int32_t handle);
WASMAP_IMPORT("wasmap_object_v1", "read") int64_t wasmap_sys_object_read(int32_t handle, int64_t offset, void *ptr, int32_t len);
WASMAP_IMPORT("wasmap_object_v1", "write") int64_t wasmap_sys_object_write(int32_t handle, const void *ptr, int32_t len);
WASMAP_IMPORT("wasmap_object_v1", "close") int64_t wasmap_sys_object_close(int32_t handle);
WASMAP_IMPORT("wasmap_object_v1", "abort") int64_t wasmap_sys_object_abort(int32_t handle);

#ifdef __cplusplus
}
#endif

#endif /* WASMAP_H */
