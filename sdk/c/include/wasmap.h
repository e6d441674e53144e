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
 * An extension module (ABI.md section 9) uses wasmap_extension_register and
 * wasmap_extension_next instead of wasmap_start: see "extensions" below.
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
    WASMAP_EINTR = 27,
    WASMAP_EINVAL = 28,
    WASMAP_EIO = 29,
    WASMAP_EISDIR = 31,
    WASMAP_EMFILE = 33,
    WASMAP_ENAMETOOLONG = 37,
    WASMAP_ENOENT = 44,
    WASMAP_ENOSPC = 51,
    WASMAP_ENOTDIR = 54,
    WASMAP_ENOTSUP = 58,
    WASMAP_EPERM = 63,
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

/* ---- extensions (wasmap_extension_v1, wasmap_telemetry_v1, ABI.md sections 9-11) ----
 *
 * A Lambda extension is a program of its own (main registers, then loops on
 * wasmap_extension_next), given to a run with `wasmap run --extension EXT.wasm`. Every execution
 * environment runs one instance of it beside the function: INVOKE comes before each invocation
 * the extension registered for, SHUTDOWN once, when the environment ends. Its stdout and stderr
 * are its log lines; object I/O writes under its own output location,
 * <run folder>/extensions/<name>/.
 *
 * A refused call returns -errno, and wasmap_extension_last_error() says why, with Lambda's
 * errorType and errorMessage. An extension module must not call the function-side runtime
 * (wasmap_start, wasmap_panic, wasmap_log, wasmap_init_error, wasmap_remaining_ms): an extension
 * may not import wasmap_runtime_v1. */

/* Events, for wasmap_extension_register's bit set and wasmap_extension_event.event_type. */
typedef enum wasmap_event_type {
    WASMAP_EVENT_INVOKE = 1,   /* before each invocation */
    WASMAP_EVENT_SHUTDOWN = 2, /* once, when the environment ends (external extensions only) */
} wasmap_event_type;

/* An event from wasmap_extension_next, as Lambda's Extensions API sends it (never the
 * invocation's payload). Strings are "" when absent and live until the next call of
 * wasmap_extension_next. */
typedef struct wasmap_extension_event {
    wasmap_event_type event_type;
    int64_t deadline_ms;              /* epoch ms: the invocation's deadline, or the end of the shutdown budget */
    const char *request_id;           /* INVOKE */
    const char *invoked_function_arn; /* INVOKE */
    const char *tracing_type;         /* INVOKE: "X-Amzn-Trace-Id" */
    const char *tracing_value;        /* INVOKE: "Root=1-...;Parent=...;Sampled=0" */
    const char *shutdown_reason;      /* SHUTDOWN: "spindown", "timeout" or "failure" */
} wasmap_extension_event;

/* What register learns about the function. */
typedef struct wasmap_extension_info {
    const char *function_name;
    const char *function_version; /* $LATEST */
    const char *handler;
} wasmap_extension_info;

/* The last refused call: op is "register", "next", "init_error", "exit_error", "subscribe",
 * "telemetry_next" or "read"; code the errno (positive; 0 for a response the SDK could not
 * read); error_type and message Lambda's ("" when the refusal has no body). */
typedef struct wasmap_extension_error {
    const char *op;
    int code;
    const char *error_type;
    const char *message;
} wasmap_extension_error;

/* A registered extension. */
typedef struct wasmap_extension wasmap_extension;

/* The extension's name as wasmap launched it (its file name without .wasm, argv[0]):
 * registering with it makes the extension external, able to take SHUTDOWN. */
const char *wasmap_extension_name(void);

/* Registers for events (a bit set of wasmap_event_type; 0: none, a telemetry-only extension),
 * during INIT: POST /extension/register. With a name other than wasmap_extension_name() the
 * extension is internal and may not take SHUTDOWN. Returns 0 and sets *ext, or -errno. stdout
 * is made line-buffered, so that each line is a log record when it is written. */
int wasmap_extension_register(const char *name, unsigned events, wasmap_extension **ext);

/* The register response. */
const wasmap_extension_info *wasmap_extension_get_info(const wasmap_extension *ext);

/* Blocks until the next event (GET /extension/event/next) and fills *ev. Telemetry batches that
 * become due meanwhile go to the subscription's handler, and the wait goes on. Returns 0, or
 * -WASMAP_ECANCELED after SHUTDOWN (no more events: return from main), or another -errno. */
int wasmap_extension_next(wasmap_extension *ext, wasmap_extension_event *ev);

/* POST /extension/init/error, before the first wasmap_extension_next: the environment's INIT
 * fails with Extension.InitError. error_type is Lambda's Lambda-Extension-Function-Error-Type
 * (e.g. "Extension.ConfigInvalid"); the body is {"errorMessage":message,"errorType":error_type}.
 * main should then return. Returns 0 or -errno. */
int wasmap_extension_init_error(wasmap_extension *ext, const char *error_type, const char *message);

/* POST /extension/exit/error: the current invocation, or INIT, fails with Extension.ExitError.
 * main should then return. Returns 0 or -errno. */
int wasmap_extension_exit_error(wasmap_extension *ext, const char *error_type, const char *message);

/* Releases the extension. */
void wasmap_extension_free(wasmap_extension *ext);

/* The last refused call of the extension API (NULL before any). Valid until the next refusal. */
const wasmap_extension_error *wasmap_extension_last_error(void);

/* ---- telemetry (wasmap_telemetry_v1) ---- */

/* Telemetry streams, a bit set. */
enum {
    WASMAP_TELEMETRY_PLATFORM = 1,  /* platform.* events: INIT, invocations, reports */
    WASMAP_TELEMETRY_FUNCTION = 2,  /* the function's log lines */
    WASMAP_TELEMETRY_EXTENSION = 4, /* the extensions' log lines */
};

/* When a batch is due: when it holds max_items events (1 000-10 000, default 10 000) or
 * max_bytes bytes (262 144-1 048 576, default 262 144), or its oldest event is timeout_ms old
 * (25-30 000, default 1 000). 0 fields take the defaults. */
typedef struct wasmap_buffering {
    int max_items;
    int max_bytes;
    int timeout_ms;
} wasmap_buffering;

/* One event of a batch, in Lambda's telemetry schema. Valid during the handler's call. */
typedef struct wasmap_telemetry_event {
    const char *time;   /* RFC 3339, UTC, milliseconds: "2026-01-02T03:04:05.678Z" */
    const char *type;   /* "platform.report", "function", ... */
    const char *record; /* the record's raw JSON (record_len bytes, NUL-terminated): an object
                         * for platform events; for log lines a JSON string */
    size_t record_len;
} wasmap_telemetry_event;

/* Gets each batch, n events in order. */
typedef void (*wasmap_telemetry_handler)(const wasmap_telemetry_event *events, size_t n, void *user);

/* Subscribes to telemetry (PUT /2022-07-01/telemetry) with schema version 2022-12-13, during
 * INIT (after register, before the first wasmap_extension_next): types is a bit set of
 * WASMAP_TELEMETRY_*, buffering NULL for the defaults. Sets the handler that gets each batch
 * from wasmap_extension_next and wasmap_telemetry_flush. Events since the environment started
 * are in the first batches. Calling it again replaces the subscription. Returns 0 or -errno. */
int wasmap_telemetry_subscribe(wasmap_extension *ext, unsigned types, const wasmap_buffering *buffering,
                               wasmap_telemetry_handler handler, void *user);

/* Hands every batch still buffered to the handler. Call it after SHUTDOWN, when all that is
 * buffered is due at once. Returns 0 or -errno. */
int wasmap_telemetry_flush(wasmap_extension *ext);

/* The record of platform.report. Strings are malloc'd ("" when absent): free with
 * wasmap_report_record_free. */
typedef struct wasmap_report_record {
    char *request_id;
    char *status; /* success, error, failure, timeout */
    char *error_type;
    double duration_ms;
    int64_t billed_duration_ms;
    int64_t memory_size_mb;
    int64_t max_memory_used_mb;
    bool has_init_duration; /* cold starts only */
    double init_duration_ms;
} wasmap_report_record;

/* The record of platform.initStart; instance_id is the environment's log stream name. */
typedef struct wasmap_init_start_record {
    char *initialization_type;
    char *phase;
    char *function_name;
    char *function_version;
    char *instance_id;
    int64_t instance_max_memory;
} wasmap_init_start_record;

/* Decode a platform.report or platform.initStart event: false for another type. */
bool wasmap_telemetry_report(const wasmap_telemetry_event *ev, wasmap_report_record *r);
void wasmap_report_record_free(wasmap_report_record *r);
bool wasmap_telemetry_init_start(const wasmap_telemetry_event *ev, wasmap_init_start_record *r);
void wasmap_init_start_record_free(wasmap_init_start_record *r);
/* A function or extension log record as text (malloc'd; a JSON log record: its JSON); NULL for
 * another type. */
char *wasmap_telemetry_line(const wasmap_telemetry_event *ev);

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

WASMAP_IMPORT("wasmap_extension_v1", "register")
int32_t wasmap_sys_extension_register(const void *name, int32_t name_len, const void *body, int32_t body_len);
WASMAP_IMPORT("wasmap_extension_v1", "next") int64_t wasmap_sys_extension_next(void);
WASMAP_IMPORT("wasmap_extension_v1", "read") int32_t wasmap_sys_extension_read(void *ptr, int32_t cap);
WASMAP_IMPORT("wasmap_extension_v1", "init_error")
int32_t wasmap_sys_extension_init_error(const void *type_ptr, int32_t type_len, const void *ptr, int32_t len);
WASMAP_IMPORT("wasmap_extension_v1", "exit_error")
int32_t wasmap_sys_extension_exit_error(const void *type_ptr, int32_t type_len, const void *ptr, int32_t len);

WASMAP_IMPORT("wasmap_telemetry_v1", "subscribe") int32_t wasmap_sys_telemetry_subscribe(const void *ptr, int32_t len);
WASMAP_IMPORT("wasmap_telemetry_v1", "next") int64_t wasmap_sys_telemetry_next(void);
WASMAP_IMPORT("wasmap_telemetry_v1", "read") int32_t wasmap_sys_telemetry_read(void *ptr, int32_t cap);

#ifdef __cplusplus
}
#endif

#endif /* WASMAP_H */
