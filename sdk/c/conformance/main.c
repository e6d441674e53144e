/* The C conformance module: the behaviours of runner/internal/conformance (protocol in its
 * doc.go), written with this SDK; the suite requires the same results as every other SDK's.
 *
 * Build: clang --target=wasm32-wasi -O2 -I ../include ../src/wasmap.c main.c -o conformance.wasm */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wasmap.h"

static int64_t invocations;

/* field returns the decoded string member k of the event (malloc'd; "" when absent). */
static char *field(const char *ev, size_t n, const char *k) {
    const char *v;
    size_t vl;
    char *s = NULL;
    if (wasmap_json_get(ev, n, k, &v, &vl))
        s = wasmap_json_string(v, vl, NULL);
    return s ? s : calloc(1, 1);
}

static int64_t num(const char *ev, size_t n, const char *k) {
    const char *v;
    size_t vl;
    int64_t x = 0;
    if (wasmap_json_get(ev, n, k, &v, &vl))
        wasmap_json_int(v, vl, &x);
    return x;
}

static void quoted(wasmap_buf *b, const char *s) { wasmap_buf_json_string(b, s, strlen(s)); }

/* objects runs an object op into out; returns 0 or -errno. */
static int objects(const char *op, const char *ev, size_t n, wasmap_buf *out) {
    int rc = 0;
    char *key = field(ev, n, "key"), *from = field(ev, n, "from"), *to = field(ev, n, "to"), *data = field(ev, n, "data");
    wasmap_object r, w;
    if (!strcmp(op, "open")) {
        if ((rc = wasmap_object_open(key, &r)) == 0) {
            wasmap_buf_printf(out, "{\"size\":%lld}", (long long)r.size);
            wasmap_object_close(&r);
        }
    } else if (!strcmp(op, "stat")) {
        wasmap_object_info info;
        if ((rc = wasmap_object_stat(key, &info)) == 0) {
            wasmap_buf_puts(out, "{\"Etag\":");
            quoted(out, info.etag ? info.etag : "");
            wasmap_buf_puts(out, ",\"Key\":");
            quoted(out, info.key ? info.key : "");
            wasmap_buf_printf(out, ",\"LastModified\":%lld,\"Size\":%lld}", (long long)info.last_modified, (long long)info.size);
            wasmap_object_info_free(&info);
        }
    } else if (!strcmp(op, "read")) {
        if ((rc = wasmap_object_open(key, &r)) == 0) {
            size_t len = (size_t)num(ev, n, "len"), got = 0;
            int64_t off = num(ev, n, "offset");
            char *buf = malloc(len + 1);
            while (got < len) {
                int64_t k = wasmap_object_read(&r, off + (int64_t)got, buf + got, len - got);
                if (k < 0) {
                    rc = (int)k;
                    break;
                }
                if (k == 0)
                    break;
                got += (size_t)k;
            }
            if (rc == 0) {
                wasmap_buf_puts(out, "{\"data\":");
                wasmap_buf_json_string(out, buf, got);
                wasmap_buf_printf(out, ",\"n\":%zu}", got);
            }
            free(buf);
            wasmap_object_close(&r);
        }
    } else if (!strcmp(op, "copy")) {
        if ((rc = wasmap_object_open(from, &r)) == 0) {
            if ((rc = wasmap_object_create_output(to, &w)) == 0) {
                char buf[4096];
                int64_t total = 0;
                for (;;) {
                    int64_t k = wasmap_object_read(&r, total, buf, sizeof buf);
                    if (k <= 0) {
                        rc = (int)k;
                        break;
                    }
                    int64_t wk = wasmap_object_write(&w, buf, (size_t)k);
                    if (wk < 0) {
                        rc = (int)wk;
                        break;
                    }
                    total += k;
                }
                if (rc == 0)
                    rc = wasmap_object_close(&w);
                else
                    wasmap_object_abort(&w);
                if (rc == 0)
                    wasmap_buf_printf(out, "{\"bytes\":%lld}", (long long)total);
            }
            wasmap_object_close(&r);
        }
    } else { /* write, leak */
        if ((rc = wasmap_object_create_output(to, &w)) == 0) {
            int64_t k = wasmap_object_write(&w, data, strlen(data));
            if (k < 0)
                rc = (int)k;
            else if (!strcmp(op, "write"))
                rc = wasmap_object_close(&w);
            /* leak: never closed, the host discards it */
            if (rc == 0)
                wasmap_buf_printf(out, "{\"bytes\":%zu}", strlen(data));
        }
    }
    free(key);
    free(from);
    free(to);
    free(data);
    return rc;
}

static void handle(wasmap_invocation *inv, void *user) {
    (void)user;
    invocations++;
    size_t n;
    const char *ev = wasmap_event(inv, &n);
    const wasmap_context *ctx = wasmap_invocation_context(inv);
    char *op = field(ev, n, "op");
    wasmap_buf out = {0};
    const char *v;
    size_t vl;

    if (!strcmp(op, "echo")) {
        if (wasmap_json_get(ev, n, "value", &v, &vl))
            wasmap_respond(inv, v, vl);
        else
            wasmap_respond_str(inv, "null");
    } else if (!strcmp(op, "counter")) {
        wasmap_buf_printf(&out, "%lld", (long long)invocations);
        wasmap_respond(inv, out.data, out.len);
    } else if (!strcmp(op, "error")) {
        char *m = field(ev, n, "message");
        wasmap_fail(inv, "ConformanceError", "%s", m);
        free(m);
    } else if (!strcmp(op, "panic")) {
        char *m = field(ev, n, "message");
        wasmap_panic("%s", m);
    } else if (!strcmp(op, "trap")) {
        __builtin_trap();
    } else if (!strcmp(op, "big")) {
        size_t size = (size_t)num(ev, n, "bytes");
        if (size < 2)
            size = 2;
        char *b = malloc(size);
        memset(b, 'x', size);
        b[0] = b[size - 1] = '"';
        wasmap_respond(inv, b, size);
        free(b);
    } else if (!strcmp(op, "context")) {
        wasmap_buf_printf(&out, "{\"deadlineMs\":%lld,\"functionName\":", (long long)ctx->deadline_ms);
        quoted(&out, wasmap_function_name());
        wasmap_buf_puts(&out, ",\"invokedFunctionArn\":");
        quoted(&out, ctx->invoked_function_arn);
        wasmap_buf_printf(&out, ",\"memoryMB\":%d,\"remainingMs\":%lld,\"requestId\":", wasmap_memory_limit_mb(),
                          (long long)wasmap_remaining_ms());
        quoted(&out, ctx->request_id);
        wasmap_buf_puts(&out, ",\"traceId\":");
        quoted(&out, ctx->trace_id);
        wasmap_buf_puts(&out, "}");
        wasmap_respond(inv, out.data, out.len);
    } else if (!strcmp(op, "log")) {
        char *m = field(ev, n, "message");
        for (int level = WASMAP_TRACE; level <= WASMAP_FATAL; level++)
            wasmap_log((wasmap_level)level, "%s", m);
        printf("stdout: %s\n", m);
        fprintf(stderr, "stderr: %s\n", m);
        free(m);
        wasmap_respond_str(inv, "8");
    } else if (!strcmp(op, "field")) {
        const char *doc, *raw = NULL;
        size_t dl, rl = 0;
        char *key = field(ev, n, "key");
        bool found = wasmap_json_get(ev, n, "doc", &doc, &dl) && wasmap_json_get(doc, dl, key, &raw, &rl);
        int64_t x;
        if (found && wasmap_json_int(raw, rl, &x))
            wasmap_buf_printf(&out, "{\"int\":%lld,\"raw\":", (long long)x);
        else
            wasmap_buf_puts(&out, "{\"int\":null,\"raw\":");
        if (found)
            wasmap_buf_json_string(&out, raw, rl);
        else
            wasmap_buf_puts(&out, "null");
        wasmap_buf_puts(&out, ",\"string\":");
        size_t sl;
        char *str = found ? wasmap_json_string(raw, rl, &sl) : NULL;
        if (str)
            wasmap_buf_json_string(&out, str, sl);
        else
            wasmap_buf_puts(&out, "null");
        wasmap_buf_puts(&out, "}");
        free(str);
        free(key);
        wasmap_respond(inv, out.data, out.len);
    } else if (!strcmp(op, "open") || !strcmp(op, "stat") || !strcmp(op, "read") || !strcmp(op, "copy") ||
               !strcmp(op, "write") || !strcmp(op, "leak")) {
        int rc = objects(op, ev, n, &out);
        if (rc < 0) {
            wasmap_buf_reset(&out);
            wasmap_buf_puts(&out, "{\"err\":");
            quoted(&out, wasmap_errno_name(rc));
            wasmap_buf_puts(&out, "}");
        }
        wasmap_respond(inv, out.data, out.len);
    } else {
        wasmap_fail(inv, "UnknownOpError", "unknown op: %s", op);
    }
    wasmap_buf_free(&out);
    free(op);
}

int main(void) {
    const char *mode = getenv("CONFORMANCE_INIT");
    if (mode && !strcmp(mode, "fail")) {
        wasmap_init_error("InitFailure", "conformance: init failed on purpose");
        return 0;
    }
    return wasmap_start(handle, NULL);
}
