/* wasmap.c: the wasmap C SDK (see include/wasmap.h). */
#define _POSIX_C_SOURCE 200809L /* setenv */
#include "wasmap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wasi/api.h>

#define MAX_IO (8 << 20)
#define RESPONSE_LIMIT 6291556

struct wasmap_invocation {
    char *event;
    size_t event_len;
    wasmap_context ctx;
    bool posted;
};

static bool in_handler;
static wasmap_invocation *current;

const char *wasmap_errno_name(int e) {
    switch (e < 0 ? -e : e) {
    case WASMAP_E2BIG: return "E2BIG";
    case WASMAP_EACCES: return "EACCES";
    case WASMAP_EALREADY: return "EALREADY";
    case WASMAP_EBADF: return "EBADF";
    case WASMAP_ECANCELED: return "ECANCELED";
    case WASMAP_EFAULT: return "EFAULT";
    case WASMAP_EINTR: return "EINTR";
    case WASMAP_EINVAL: return "EINVAL";
    case WASMAP_EIO: return "EIO";
    case WASMAP_EISDIR: return "EISDIR";
    case WASMAP_EMFILE: return "EMFILE";
    case WASMAP_ENAMETOOLONG: return "ENAMETOOLONG";
    case WASMAP_ENOENT: return "ENOENT";
    case WASMAP_ENOSPC: return "ENOSPC";
    case WASMAP_ENOTDIR: return "ENOTDIR";
    case WASMAP_ENOTSUP: return "ENOTSUP";
    case WASMAP_EPERM: return "EPERM";
    }
    return "";
}

/* ---- buffers ---- */

static void *xrealloc(void *p, size_t n) {
    void *q = realloc(p, n);
    if (!q) {
        fputs("wasmap: out of memory\n", stderr);
        abort();
    }
    return q;
}

static void buf_grow(wasmap_buf *b, size_t extra) {
    if (b->len + extra + 1 <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < b->len + extra + 1)
        cap *= 2;
    b->data = xrealloc(b->data, cap);
    b->cap = cap;
}

void wasmap_buf_append(wasmap_buf *b, const void *p, size_t n) {
    buf_grow(b, n);
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = 0;
}

void wasmap_buf_puts(wasmap_buf *b, const char *s) { wasmap_buf_append(b, s, strlen(s)); }

static void buf_vprintf(wasmap_buf *b, const char *fmt, va_list ap) {
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0)
        return;
    buf_grow(b, (size_t)n);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
}

void wasmap_buf_printf(wasmap_buf *b, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    buf_vprintf(b, fmt, ap);
    va_end(ap);
}

void wasmap_buf_reset(wasmap_buf *b) {
    b->len = 0;
    if (b->data)
        b->data[0] = 0;
}

void wasmap_buf_free(wasmap_buf *b) {
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

/* decode_utf8 decodes one rune at s[0:n) as Go's utf8.DecodeRune does: *size gets its length,
 * and an invalid sequence is (-1, 1). */
static int32_t decode_utf8(const unsigned char *s, size_t n, size_t *size) {
    *size = 1;
    unsigned char c = s[0];
    if (c < 0x80)
        return c;
    int need;
    int32_t r, min;
    if (c >= 0xC2 && c <= 0xDF) { need = 1; r = c & 0x1F; min = 0x80; }
    else if (c >= 0xE0 && c <= 0xEF) { need = 2; r = c & 0x0F; min = 0x800; }
    else if (c >= 0xF0 && c <= 0xF4) { need = 3; r = c & 0x07; min = 0x10000; }
    else return -1;
    if ((size_t)need >= n)
        return -1;
    for (int i = 1; i <= need; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return -1;
        r = (r << 6) | (s[i] & 0x3F);
    }
    if (r < min || r > 0x10FFFF || (r >= 0xD800 && r <= 0xDFFF))
        return -1;
    *size = (size_t)need + 1;
    return r;
}

void wasmap_buf_json_string(wasmap_buf *b, const char *str, size_t n) {
    static const char hex[] = "0123456789abcdef";
    const unsigned char *s = (const unsigned char *)str;
    wasmap_buf_append(b, "\"", 1);
    size_t i = 0;
    while (i < n) {
        unsigned char c = s[i];
        char esc[7] = {'\\', 'u', '0', '0', 0, 0, 0};
        if (c >= 0x80) {
            size_t size;
            int32_t r = decode_utf8(s + i, n - i, &size);
            if (r < 0)
                wasmap_buf_append(b, "\\ufffd", 6);
            else if (r == 0x2028 || r == 0x2029)
                wasmap_buf_append(b, r == 0x2028 ? "\\u2028" : "\\u2029", 6);
            else
                wasmap_buf_append(b, s + i, size);
            i += size;
            continue;
        }
        switch (c) {
        case '"': wasmap_buf_append(b, "\\\"", 2); break;
        case '\\': wasmap_buf_append(b, "\\\\", 2); break;
        case '\b': wasmap_buf_append(b, "\\b", 2); break;
        case '\f': wasmap_buf_append(b, "\\f", 2); break;
        case '\n': wasmap_buf_append(b, "\\n", 2); break;
        case '\r': wasmap_buf_append(b, "\\r", 2); break;
        case '\t': wasmap_buf_append(b, "\\t", 2); break;
        default:
            if (c < 0x20 || c == '<' || c == '>' || c == '&') {
                esc[4] = hex[c >> 4];
                esc[5] = hex[c & 0xF];
                wasmap_buf_append(b, esc, 6);
            } else {
                wasmap_buf_append(b, &c, 1);
            }
        }
        i++;
    }
    wasmap_buf_append(b, "\"", 1);
}

/* ---- JSON ---- */

static size_t skip_ws(const char *s, size_t n, size_t i) {
    while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r'))
        i++;
    return i;
}

/* skip_string returns the index past the string at s[i], or 0 if unterminated. */
static size_t skip_string(const char *s, size_t n, size_t i) {
    for (i++; i < n; i++) {
        if (s[i] == '\\')
            i++;
        else if (s[i] == '"')
            return i + 1;
    }
    return 0;
}

/* skip_value returns the index past the value at s[i], or 0 if malformed. */
static size_t skip_value(const char *s, size_t n, size_t i) {
    if (i >= n)
        return 0;
    if (s[i] == '"')
        return skip_string(s, n, i);
    if (s[i] == '{' || s[i] == '[') {
        int depth = 0;
        while (i < n) {
            char c = s[i];
            if (c == '"') {
                i = skip_string(s, n, i);
                if (!i)
                    return 0;
                continue;
            }
            if (c == '{' || c == '[')
                depth++;
            else if (c == '}' || c == ']') {
                if (--depth == 0)
                    return i + 1;
            }
            i++;
        }
        return 0;
    }
    size_t j = i;
    while (j < n && !strchr(",}] \t\n\r", s[j]))
        j++;
    return j > i ? j : 0;
}

bool wasmap_json_get(const char *s, size_t n, const char *key, const char **val, size_t *vlen) {
    size_t klen = strlen(key);
    size_t i = skip_ws(s, n, 0);
    if (i >= n || s[i] != '{')
        return false;
    i = skip_ws(s, n, i + 1);
    if (i < n && s[i] == '}')
        return false;
    for (;;) {
        if (i >= n || s[i] != '"')
            return false;
        size_t kend = skip_string(s, n, i);
        if (!kend)
            return false;
        size_t kstart = i;
        i = skip_ws(s, n, kend);
        if (i >= n || s[i] != ':')
            return false;
        size_t vstart = skip_ws(s, n, i + 1);
        size_t vend = skip_value(s, n, vstart);
        if (!vend)
            return false;
        bool match = kend - kstart == klen + 2 && memcmp(s + kstart + 1, key, klen) == 0;
        if (!match && memchr(s + kstart, '\\', kend - kstart)) {
            size_t dl;
            char *d = wasmap_json_string(s + kstart, kend - kstart, &dl);
            match = d && dl == klen && memcmp(d, key, klen) == 0;
            free(d);
        }
        if (match) {
            *val = s + vstart;
            *vlen = vend - vstart;
            return true;
        }
        i = skip_ws(s, n, vend);
        if (i >= n || s[i] != ',')
            return false;
        i = skip_ws(s, n, i + 1);
    }
}

static int hex4(const char *s, size_t n, size_t i) {
    if (i + 4 > n)
        return -1;
    int v = 0;
    for (size_t k = i; k < i + 4; k++) {
        char c = s[k];
        v <<= 4;
        if (c >= '0' && c <= '9') v |= c - '0';
        else if (c >= 'a' && c <= 'f') v |= c - 'a' + 10;
        else if (c >= 'A' && c <= 'F') v |= c - 'A' + 10;
        else return -1;
    }
    return v;
}

static void put_rune(wasmap_buf *b, int32_t r) {
    unsigned char u[4];
    size_t n;
    if (r < 0x80) { u[0] = (unsigned char)r; n = 1; }
    else if (r < 0x800) { u[0] = 0xC0 | (r >> 6); u[1] = 0x80 | (r & 0x3F); n = 2; }
    else if (r < 0x10000) { u[0] = 0xE0 | (r >> 12); u[1] = 0x80 | ((r >> 6) & 0x3F); u[2] = 0x80 | (r & 0x3F); n = 3; }
    else { u[0] = 0xF0 | (r >> 18); u[1] = 0x80 | ((r >> 12) & 0x3F); u[2] = 0x80 | ((r >> 6) & 0x3F); u[3] = 0x80 | (r & 0x3F); n = 4; }
    wasmap_buf_append(b, u, n);
}

char *wasmap_json_string(const char *raw, size_t n, size_t *out_len) {
    size_t start = skip_ws(raw, n, 0), end = n;
    while (end > start && strchr(" \t\n\r", raw[end - 1]))
        end--;
    if (end - start < 2 || raw[start] != '"' || raw[end - 1] != '"')
        return NULL;
    if (!memchr(raw + start + 1, '\\', end - start - 2)) { /* no escapes: a copy */
        size_t len = end - start - 2;
        char *s = xrealloc(NULL, len + 1);
        memcpy(s, raw + start + 1, len);
        s[len] = 0;
        if (out_len)
            *out_len = len;
        return s;
    }
    wasmap_buf b = {0};
    buf_grow(&b, end - start);
    wasmap_buf_append(&b, "", 0);
    for (size_t i = start + 1; i < end - 1;) {
        char c = raw[i];
        if (c != '\\') {
            wasmap_buf_append(&b, &c, 1);
            i++;
            continue;
        }
        if (i + 1 >= end - 1) {
            wasmap_buf_free(&b);
            return NULL;
        }
        char e = raw[i + 1];
        i += 2;
        switch (e) {
        case '"': wasmap_buf_append(&b, "\"", 1); break;
        case '\\': wasmap_buf_append(&b, "\\", 1); break;
        case '/': wasmap_buf_append(&b, "/", 1); break;
        case 'b': wasmap_buf_append(&b, "\b", 1); break;
        case 'f': wasmap_buf_append(&b, "\f", 1); break;
        case 'n': wasmap_buf_append(&b, "\n", 1); break;
        case 'r': wasmap_buf_append(&b, "\r", 1); break;
        case 't': wasmap_buf_append(&b, "\t", 1); break;
        case 'u': {
            int hi = hex4(raw, end - 1, i);
            if (hi < 0) {
                wasmap_buf_free(&b);
                return NULL;
            }
            i += 4;
            int32_t r = hi;
            if (hi >= 0xD800 && hi < 0xDC00) {
                int lo = (i + 1 < end - 1 && raw[i] == '\\' && raw[i + 1] == 'u') ? hex4(raw, end - 1, i + 2) : -1;
                if (lo >= 0xDC00 && lo < 0xE000) {
                    r = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
                    i += 6;
                } else {
                    r = 0xFFFD;
                }
            } else if (hi >= 0xDC00 && hi < 0xE000) {
                r = 0xFFFD;
            }
            put_rune(&b, r);
            break;
        }
        default:
            wasmap_buf_free(&b);
            return NULL;
        }
    }
    if (out_len)
        *out_len = b.len;
    return b.data;
}

bool wasmap_json_int(const char *raw, size_t n, int64_t *out) {
    size_t i = skip_ws(raw, n, 0);
    bool neg = i < n && raw[i] == '-';
    if (neg)
        i++;
    size_t digits = 0;
    int64_t v = 0;
    for (; i < n && raw[i] >= '0' && raw[i] <= '9'; i++, digits++) {
        if (digits >= 18)
            return false;
        v = v * 10 + (raw[i] - '0');
    }
    if (!digits || skip_ws(raw, n, i) != n)
        return false;
    *out = neg ? -v : v;
    return true;
}

/* ---- the runtime ---- */

static void write_stderr_line(const char *s, size_t n) {
    fwrite(s, 1, n, stderr);
    fputc('\n', stderr);
    fflush(stderr);
}

static _Noreturn void fatal(const char *call, int64_t rc) {
    fflush(stdout);
    fprintf(stderr, "wasmap: wasmap_runtime_v1.%s failed: %s\n", call, wasmap_errno_name((int)-rc));
    exit(1);
}

static void error_body(wasmap_buf *b, const char *error_type, const char *msg, size_t msg_len) {
    wasmap_buf_puts(b, "{\"errorMessage\":");
    wasmap_buf_json_string(b, msg, msg_len);
    wasmap_buf_puts(b, ",\"errorType\":");
    wasmap_buf_json_string(b, error_type, strlen(error_type));
    wasmap_buf_puts(b, "}");
}

/* check_post handles respond's or respond_error's result: E2BIG and EALREADY mean the host has
 * settled the invocation (logged; the loop carries on); anything else is fatal. */
static int check_post(const char *call, int32_t rc, size_t size) {
    if (rc >= 0)
        return 0;
    if (-rc == WASMAP_E2BIG) {
        fflush(stdout);
        fprintf(stderr, "wasmap: the response (%zu bytes) is over the limit of %d bytes: the invocation failed with Function.ResponseSizeTooLarge\n",
                size, RESPONSE_LIMIT);
    } else if (-rc == WASMAP_EALREADY) {
        fflush(stdout);
        fprintf(stderr, "wasmap: %s: the invocation already has an outcome; this one was dropped\n", call);
    } else {
        fatal(call, rc);
    }
    return rc;
}

int wasmap_respond(wasmap_invocation *inv, const void *json, size_t len) {
    inv->posted = true;
    return check_post("respond", wasmap_sys_respond(json, (int32_t)len), len);
}

int wasmap_respond_str(wasmap_invocation *inv, const char *json) { return wasmap_respond(inv, json, strlen(json)); }

static int post_error(wasmap_invocation *inv, const char *error_type, const char *msg, size_t msg_len) {
    wasmap_buf b = {0};
    error_body(&b, error_type, msg, msg_len);
    fflush(stdout);
    write_stderr_line(b.data, b.len);
    if (inv)
        inv->posted = true;
    int rc = check_post("respond_error", wasmap_sys_respond_error("", 0, b.data, (int32_t)b.len), b.len);
    wasmap_buf_free(&b);
    return rc;
}

int wasmap_fail(wasmap_invocation *inv, const char *error_type, const char *fmt, ...) {
    wasmap_buf msg = {0};
    wasmap_buf_append(&msg, "", 0);
    va_list ap;
    va_start(ap, fmt);
    buf_vprintf(&msg, fmt, ap);
    va_end(ap);
    int rc = post_error(inv, error_type, msg.data, msg.len);
    wasmap_buf_free(&msg);
    return rc;
}

void wasmap_panic(const char *fmt, ...) {
    wasmap_buf msg = {0};
    wasmap_buf_append(&msg, "", 0);
    va_list ap;
    va_start(ap, fmt);
    buf_vprintf(&msg, fmt, ap);
    va_end(ap);
    if (in_handler) {
        post_error(current, "string", msg.data, msg.len);
    } else {
        fflush(stdout);
        fprintf(stderr, "panic: %s\n", msg.data);
    }
    exit(1);
}

int wasmap_init_error(const char *error_type, const char *message) {
    wasmap_buf b = {0};
    error_body(&b, error_type, message, strlen(message));
    fflush(stdout);
    write_stderr_line(b.data, b.len);
    int32_t rc = wasmap_sys_init_error("", 0, b.data, (int32_t)b.len);
    wasmap_buf_free(&b);
    return rc < 0 ? rc : 0;
}

int64_t wasmap_remaining_ms(void) { return wasmap_sys_remaining_ms(); }

const char *wasmap_event(const wasmap_invocation *inv, size_t *len) {
    if (len)
        *len = inv->event_len;
    return inv->event;
}

const wasmap_context *wasmap_invocation_context(const wasmap_invocation *inv) { return &inv->ctx; }

typedef int32_t (*read_fn)(void *, int32_t);

/* read_into reads the event or the context into *buf (capacity *cap, kept NUL-terminated),
 * growing it as ABI.md section 2 says. */
static size_t read_into(char **buf, size_t *cap, size_t hint, read_fn read, const char *call) {
    if (hint + 1 > *cap) {
        *cap = (hint + 1 + 4095) & ~(size_t)4095;
        *buf = xrealloc(*buf, *cap);
    }
    for (;;) {
        int32_t n = read(*buf, (int32_t)(*cap - 1));
        if (n < 0)
            fatal(call, n);
        if ((size_t)n <= *cap - 1) {
            (*buf)[n] = 0;
            return (size_t)n;
        }
        *cap = ((size_t)n + 1 + 4095) & ~(size_t)4095;
        *buf = xrealloc(*buf, *cap);
    }
}

/* parse_context reads the context JSON in one pass over its members (keys in any order, unknown
 * keys ignored). Returns -1 without deadlineMs. */
static int parse_context(const char *s, size_t n, wasmap_context *c) {
    bool have_deadline = false;
    size_t i = skip_ws(s, n, 0);
    if (i >= n || s[i] != '{')
        return -1;
    i = skip_ws(s, n, i + 1);
    while (i < n && s[i] == '"') {
        size_t kend = skip_string(s, n, i);
        if (!kend)
            break;
        const char *k = s + i + 1;
        size_t kl = kend - i - 2;
        i = skip_ws(s, n, kend);
        if (i >= n || s[i] != ':')
            break;
        size_t vstart = skip_ws(s, n, i + 1), vend = skip_value(s, n, vstart);
        if (!vend)
            break;
        const char *v = s + vstart;
        size_t vl = vend - vstart;
#define KEY(name) (kl == sizeof name - 1 && memcmp(k, name, kl) == 0)
        if (KEY("requestId") && !c->request_id)
            c->request_id = wasmap_json_string(v, vl, NULL);
        else if (KEY("deadlineMs"))
            have_deadline = wasmap_json_int(v, vl, &c->deadline_ms);
        else if (KEY("invokedFunctionArn") && !c->invoked_function_arn)
            c->invoked_function_arn = wasmap_json_string(v, vl, NULL);
        else if (KEY("traceId") && !c->trace_id)
            c->trace_id = wasmap_json_string(v, vl, NULL);
        else if (KEY("clientContext") && !c->client_context && !(vl == 4 && memcmp(v, "null", 4) == 0)) {
            char *cc = xrealloc(NULL, vl + 1);
            memcpy(cc, v, vl);
            cc[vl] = 0;
            c->client_context = cc;
        }
#undef KEY
        i = skip_ws(s, n, vend);
        if (i >= n || s[i] != ',')
            break;
        i = skip_ws(s, n, i + 1);
    }
    const char **strs[] = {&c->request_id, &c->invoked_function_arn, &c->trace_id};
    for (size_t j = 0; j < sizeof strs / sizeof strs[0]; j++) {
        if (!*strs[j]) {
            char *e = xrealloc(NULL, 1);
            e[0] = 0;
            *strs[j] = e;
        }
    }
    return have_deadline ? 0 : -1;
}

static void free_context(wasmap_context *c) {
    free((char *)c->request_id);
    free((char *)c->invoked_function_arn);
    free((char *)c->trace_id);
    free((char *)c->client_context);
    memset(c, 0, sizeof *c);
}

int wasmap_start(wasmap_handler handler, void *user) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    size_t event_cap = 16 << 10, ctx_cap = 512;
    char *event = xrealloc(NULL, event_cap);
    char *ctx = xrealloc(NULL, ctx_cap);
    wasmap_invocation inv = {0};
    for (;;) {
        int64_t n = wasmap_sys_next();
        if (n == -WASMAP_ECANCELED)
            break;
        if (n < 0)
            fatal("next", n);
        inv.event_len = read_into(&event, &event_cap, (size_t)n, wasmap_sys_event_read, "event_read");
        inv.event = event;
        size_t cl = read_into(&ctx, &ctx_cap, 0, wasmap_sys_context_read, "context_read");
        inv.posted = false;
        if (parse_context(ctx, cl, &inv.ctx) < 0) {
            static const char msg[] = "failed to parse deadline: the invocation context has no deadlineMs";
            post_error(&inv, "Runtime.InvalidContext", msg, sizeof msg - 1);
            free_context(&inv.ctx);
            continue;
        }
        setenv("_X_AMZN_TRACE_ID", inv.ctx.trace_id, 1);
        current = &inv;
        in_handler = true;
        handler(&inv, user);
        in_handler = false;
        current = NULL;
        fflush(stdout);
        if (!inv.posted)
            wasmap_respond(&inv, "null", 4);
        free_context(&inv.ctx);
    }
    fflush(stdout);
    free(event);
    free(ctx);
    return 0;
}

static const char *env_or_empty(const char *k) {
    const char *v = getenv(k);
    return v ? v : "";
}

const char *wasmap_function_name(void) { return env_or_empty("AWS_LAMBDA_FUNCTION_NAME"); }
const char *wasmap_function_version(void) { return env_or_empty("AWS_LAMBDA_FUNCTION_VERSION"); }
int wasmap_memory_limit_mb(void) { return atoi(env_or_empty("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")); }
const char *wasmap_log_group_name(void) { return env_or_empty("AWS_LAMBDA_LOG_GROUP_NAME"); }
const char *wasmap_log_stream_name(void) { return env_or_empty("AWS_LAMBDA_LOG_STREAM_NAME"); }

/* ---- logging ---- */

int wasmap_log_bytes(wasmap_level level, const void *msg, size_t len) {
    fflush(stdout); /* keep the stream's order */
    return wasmap_sys_log((int32_t)level, msg, (int32_t)len);
}

int wasmap_log(wasmap_level level, const char *fmt, ...) {
    wasmap_buf b = {0};
    wasmap_buf_append(&b, "", 0);
    va_list ap;
    va_start(ap, fmt);
    buf_vprintf(&b, fmt, ap);
    va_end(ap);
    int rc = wasmap_log_bytes(level, b.data, b.len);
    wasmap_buf_free(&b);
    return rc;
}

/* ---- object I/O ---- */

const char *wasmap_output_prefix(void) { return env_or_empty("WASMAP_OUTPUT_PREFIX"); }
const char *wasmap_default_prefix(void) { return env_or_empty("WASMAP_DEFAULT_PREFIX"); }

int wasmap_object_open(const char *name, wasmap_object *obj) {
    int64_t h = wasmap_sys_object_open(name, (int32_t)strlen(name));
    if (h < 0)
        return (int)h;
    int64_t size = wasmap_sys_object_size((int32_t)h);
    if (size < 0) {
        wasmap_sys_object_close((int32_t)h);
        return (int)size;
    }
    obj->handle = (int32_t)h;
    obj->size = size;
    return 0;
}

int wasmap_object_create(const char *name, wasmap_object *obj) {
    int64_t h = wasmap_sys_object_create(name, (int32_t)strlen(name));
    if (h < 0)
        return (int)h;
    obj->handle = (int32_t)h;
    obj->size = 0;
    return 0;
}

int wasmap_object_create_output(const char *name, wasmap_object *obj) {
    const char *prefix = wasmap_output_prefix();
    if (!*prefix)
        return -WASMAP_EACCES;
    wasmap_buf b = {0};
    wasmap_buf_puts(&b, prefix);
    wasmap_buf_puts(&b, name);
    int rc = wasmap_object_create(b.data, obj);
    wasmap_buf_free(&b);
    return rc;
}

int wasmap_object_stat(const char *name, wasmap_object_info *info) {
    memset(info, 0, sizeof *info);
    size_t cap = 2048;
    char *buf = xrealloc(NULL, cap);
    int64_t n;
    for (;;) {
        n = wasmap_sys_object_stat(name, (int32_t)strlen(name), buf, (int32_t)(cap - 1));
        if (n < 0) {
            free(buf);
            return (int)n;
        }
        if ((size_t)n <= cap - 1)
            break;
        cap = (size_t)n + 1;
        buf = xrealloc(buf, cap);
    }
    buf[n] = 0;
    info->json = buf;
    const char *v;
    size_t vl;
    if (wasmap_json_get(buf, (size_t)n, "Key", &v, &vl))
        info->key = wasmap_json_string(v, vl, NULL);
    if (wasmap_json_get(buf, (size_t)n, "Etag", &v, &vl))
        info->etag = wasmap_json_string(v, vl, NULL);
    if (wasmap_json_get(buf, (size_t)n, "Size", &v, &vl))
        wasmap_json_int(v, vl, &info->size);
    if (wasmap_json_get(buf, (size_t)n, "LastModified", &v, &vl))
        wasmap_json_int(v, vl, &info->last_modified);
    return 0;
}

void wasmap_object_info_free(wasmap_object_info *info) {
    free(info->key);
    free(info->etag);
    free(info->json);
    memset(info, 0, sizeof *info);
}

int64_t wasmap_object_read(const wasmap_object *obj, int64_t offset, void *buf, size_t len) {
    if (len > MAX_IO)
        len = MAX_IO;
    return wasmap_sys_object_read(obj->handle, offset, buf, (int32_t)len);
}

int64_t wasmap_object_write(wasmap_object *obj, const void *buf, size_t len) {
    const char *p = buf;
    size_t done = 0;
    while (done < len) {
        size_t chunk = len - done > MAX_IO ? MAX_IO : len - done;
        int64_t k = wasmap_sys_object_write(obj->handle, p + done, (int32_t)chunk);
        if (k < 0)
            return k;
        if (k == 0)
            return -WASMAP_EIO;
        done += (size_t)k;
        obj->size += k;
    }
    return (int64_t)len;
}

int wasmap_object_close(wasmap_object *obj) { return (int)wasmap_sys_object_close(obj->handle); }

int wasmap_object_abort(wasmap_object *obj) { return (int)wasmap_sys_object_abort(obj->handle); }

/* ---- extensions ---- */

struct wasmap_extension {
    wasmap_extension_info info;
    char *buf, *tbuf; /* the last response bodies of the two modules */
    size_t cap, tcap;
    char *ev_strings[5]; /* the current event's strings */
    wasmap_telemetry_handler on_batch;
    void *user;
};

static wasmap_extension_error last_error;
static bool have_last_error;

const wasmap_extension_error *wasmap_extension_last_error(void) { return have_last_error ? &last_error : NULL; }

static char *dup_str(const char *s) {
    size_t n = strlen(s);
    char *d = xrealloc(NULL, n + 1);
    memcpy(d, s, n + 1);
    return d;
}

/* get_str decodes the string member key of the object s[0:n) (malloc'd; "" when absent). */
static char *get_str(const char *s, size_t n, const char *key) {
    const char *v;
    size_t vl;
    char *r = NULL;
    if (wasmap_json_get(s, n, key, &v, &vl))
        r = wasmap_json_string(v, vl, NULL);
    return r ? r : dup_str("");
}

static int64_t get_int(const char *s, size_t n, const char *key) {
    const char *v;
    size_t vl;
    int64_t x = 0;
    if (wasmap_json_get(s, n, key, &v, &vl))
        wasmap_json_int(v, vl, &x);
    return x;
}

static bool get_float(const char *s, size_t n, const char *key, double *out) {
    const char *v;
    size_t vl;
    if (!wasmap_json_get(s, n, key, &v, &vl) || vl == 0 || vl > 63 || !(v[0] == '-' || (v[0] >= '0' && v[0] <= '9')))
        return false;
    char tmp[64], *end;
    memcpy(tmp, v, vl);
    tmp[vl] = 0;
    *out = strtod(tmp, &end);
    return *end == 0;
}

const char *wasmap_extension_name(void) {
    static char *name;
    if (name)
        return name;
    __wasi_size_t argc = 0, size = 0;
    if (__wasi_args_sizes_get(&argc, &size) != 0 || argc == 0) {
        name = dup_str("");
        return name;
    }
    char **argv = xrealloc(NULL, argc * sizeof *argv);
    char *buf = xrealloc(NULL, size + 1);
    if (__wasi_args_get((uint8_t **)argv, (uint8_t *)buf) != 0) {
        free(argv);
        free(buf);
        name = dup_str("");
        return name;
    }
    const char *base = strrchr(argv[0], '/');
    base = base ? base + 1 : argv[0];
    size_t n = strlen(base);
    if (n >= 5 && strcmp(base + n - 5, ".wasm") == 0)
        n -= 5;
    name = xrealloc(NULL, n + 1);
    memcpy(name, base, n);
    name[n] = 0;
    free(argv);
    free(buf);
    return name;
}

/* ext_read fetches the module's last response body (of length hint) into the extension's
 * buffer, NUL-terminated; returns its length or -errno. */
static int64_t ext_read(char **buf, size_t *cap, size_t hint, bool telemetry) {
    if (hint + 1 > *cap) {
        *cap = (hint + 1 + 4095) & ~(size_t)4095;
        *buf = xrealloc(*buf, *cap);
    }
    for (;;) {
        int32_t n = telemetry ? wasmap_sys_telemetry_read(*buf, (int32_t)(*cap - 1)) : wasmap_sys_extension_read(*buf, (int32_t)(*cap - 1));
        if (n < 0)
            return n;
        if ((size_t)n <= *cap - 1) {
            (*buf)[n] = 0;
            return n;
        }
        *cap = ((size_t)n + 1 + 4095) & ~(size_t)4095;
        *buf = xrealloc(*buf, *cap);
    }
}

static void set_error(const char *op, int code, char *error_type, char *message) {
    if (have_last_error) {
        free((char *)last_error.error_type);
        free((char *)last_error.message);
    }
    last_error.op = op;
    last_error.code = code;
    last_error.error_type = error_type ? error_type : dup_str("");
    last_error.message = message ? message : dup_str("");
    have_last_error = true;
}

/* refused records the refusal of op (rc = -errno) with the error body the host kept, and
 * returns rc. */
static int refused(const char *op, int64_t rc, char **buf, size_t *cap, bool telemetry) {
    int code = (int)-rc;
    char *type = NULL, *msg = NULL;
    if (code != WASMAP_EFAULT && code != WASMAP_E2BIG) {
        int64_t n = ext_read(buf, cap, 0, telemetry);
        if (n >= 0) {
            type = get_str(*buf, (size_t)n, "errorType");
            msg = get_str(*buf, (size_t)n, "errorMessage");
        }
    }
    set_error(op, code, type, msg);
    return (int)rc;
}

static int read_failed(int64_t rc) {
    set_error("read", (int)-rc, NULL, NULL);
    return (int)rc;
}

static int unreadable(const char *op, const char *body, size_t n) {
    wasmap_buf m = {0};
    wasmap_buf_puts(&m, "unreadable response ");
    wasmap_buf_append(&m, body, n > 200 ? 200 : n);
    set_error(op, 0, NULL, m.data);
    return -WASMAP_EINVAL;
}

static void put_list(wasmap_buf *b, const char *const *names, unsigned bits, unsigned count) {
    const char *sep = "";
    wasmap_buf_puts(b, "[");
    for (unsigned i = 0; i < count; i++) {
        if (bits & (1u << i)) {
            wasmap_buf_printf(b, "%s\"%s\"", sep, names[i]);
            sep = ",";
        }
    }
    wasmap_buf_puts(b, "]");
}

int wasmap_extension_register(const char *name, unsigned events, wasmap_extension **out) {
    static const char *const names[] = {"INVOKE", "SHUTDOWN"};
    setvbuf(stdout, NULL, _IOLBF, 0);
    *out = NULL;
    wasmap_buf body = {0};
    wasmap_buf_puts(&body, "{\"events\":");
    put_list(&body, names, events, 2);
    wasmap_buf_puts(&body, "}");
    wasmap_extension *x = calloc(1, sizeof *x);
    if (!x)
        abort();
    int32_t rc = wasmap_sys_extension_register(name, (int32_t)strlen(name), body.data, (int32_t)body.len);
    wasmap_buf_free(&body);
    if (rc < 0) {
        rc = refused("register", rc, &x->buf, &x->cap, false);
        wasmap_extension_free(x);
        return rc;
    }
    int64_t n = ext_read(&x->buf, &x->cap, (size_t)rc, false);
    if (n < 0 || x->buf[0] != '{') {
        rc = n < 0 ? read_failed(n) : unreadable("register", x->buf, (size_t)n);
        wasmap_extension_free(x);
        return rc;
    }
    x->info.function_name = get_str(x->buf, (size_t)n, "functionName");
    x->info.function_version = get_str(x->buf, (size_t)n, "functionVersion");
    x->info.handler = get_str(x->buf, (size_t)n, "handler");
    *out = x;
    return 0;
}

const wasmap_extension_info *wasmap_extension_get_info(const wasmap_extension *ext) { return &ext->info; }

void wasmap_extension_free(wasmap_extension *x) {
    if (!x)
        return;
    free((char *)x->info.function_name);
    free((char *)x->info.function_version);
    free((char *)x->info.handler);
    for (size_t i = 0; i < sizeof x->ev_strings / sizeof x->ev_strings[0]; i++)
        free(x->ev_strings[i]);
    free(x->buf);
    free(x->tbuf);
    free(x);
}

/* deliver_batch takes the due batch and hands it to the handler: 1 when it did, 0 when there
 * was none to take (an event is waiting, or telemetry has ended), or -errno. */
static int deliver_batch(wasmap_extension *x) {
    int64_t n = wasmap_sys_telemetry_next();
    if (n == -WASMAP_EINTR || n == -WASMAP_ECANCELED)
        return 0;
    if (n < 0)
        return refused("telemetry_next", n, &x->tbuf, &x->tcap, true);
    n = ext_read(&x->tbuf, &x->tcap, (size_t)n, true);
    if (n < 0)
        return read_failed(n);
    const char *s = x->tbuf;
    size_t len = (size_t)n, count = 0, cap = 16;
    wasmap_telemetry_event *evs = xrealloc(NULL, cap * sizeof *evs);
    size_t i = skip_ws(s, len, 0);
    bool ok = i < len && s[i] == '[';
    if (ok)
        i = skip_ws(s, len, i + 1);
    while (ok && i < len && s[i] != ']') {
        size_t end = skip_value(s, len, i);
        if (!end || s[i] != '{') {
            ok = false;
            break;
        }
        if (count == cap) {
            cap *= 2;
            evs = xrealloc(evs, cap * sizeof *evs);
        }
        wasmap_telemetry_event *e = &evs[count++];
        e->time = get_str(s + i, end - i, "time");
        e->type = get_str(s + i, end - i, "type");
        const char *v;
        size_t vl = 0;
        char *rec = NULL;
        if (wasmap_json_get(s + i, end - i, "record", &v, &vl)) {
            rec = xrealloc(NULL, vl + 1);
            memcpy(rec, v, vl);
            rec[vl] = 0;
        }
        e->record = rec ? rec : dup_str("null");
        e->record_len = rec ? vl : 4;
        i = skip_ws(s, len, end);
        if (i < len && s[i] == ',')
            i = skip_ws(s, len, i + 1);
        else if (!(i < len && s[i] == ']'))
            ok = false;
    }
    int rc = 1;
    if (!ok)
        rc = unreadable("telemetry_next", s, len);
    else if (x->on_batch)
        x->on_batch(evs, count, x->user);
    for (size_t k = 0; k < count; k++) {
        free((char *)evs[k].time);
        free((char *)evs[k].type);
        free((char *)evs[k].record);
    }
    free(evs);
    return rc;
}

int wasmap_extension_next(wasmap_extension *x, wasmap_extension_event *ev) {
    for (;;) {
        int64_t n = wasmap_sys_extension_next();
        if (n == -WASMAP_EINTR) {
            int rc = deliver_batch(x);
            if (rc < 0)
                return rc;
            continue;
        }
        if (n == -WASMAP_ECANCELED)
            return (int)n;
        if (n < 0)
            return refused("next", n, &x->buf, &x->cap, false);
        n = ext_read(&x->buf, &x->cap, (size_t)n, false);
        if (n < 0)
            return read_failed(n);
        const char *s = x->buf;
        size_t len = (size_t)n;
        char *type = get_str(s, len, "eventType");
        wasmap_event_type t = !strcmp(type, "INVOKE") ? WASMAP_EVENT_INVOKE : !strcmp(type, "SHUTDOWN") ? WASMAP_EVENT_SHUTDOWN : 0;
        free(type);
        if (!t)
            return unreadable("next", s, len);
        for (size_t i = 0; i < sizeof x->ev_strings / sizeof x->ev_strings[0]; i++)
            free(x->ev_strings[i]);
        const char *tr;
        size_t trl = 0;
        bool tracing = wasmap_json_get(s, len, "tracing", &tr, &trl);
        x->ev_strings[0] = get_str(s, len, "requestId");
        x->ev_strings[1] = get_str(s, len, "invokedFunctionArn");
        x->ev_strings[2] = tracing ? get_str(tr, trl, "type") : dup_str("");
        x->ev_strings[3] = tracing ? get_str(tr, trl, "value") : dup_str("");
        x->ev_strings[4] = get_str(s, len, "shutdownReason");
        ev->event_type = t;
        ev->deadline_ms = get_int(s, len, "deadlineMs");
        ev->request_id = x->ev_strings[0];
        ev->invoked_function_arn = x->ev_strings[1];
        ev->tracing_type = x->ev_strings[2];
        ev->tracing_value = x->ev_strings[3];
        ev->shutdown_reason = x->ev_strings[4];
        return 0;
    }
}

static int post_ext_error(wasmap_extension *x, const char *op, const char *error_type, const char *message,
                          int32_t (*call)(const void *, int32_t, const void *, int32_t)) {
    wasmap_buf b = {0};
    error_body(&b, error_type, message, strlen(message));
    int32_t rc = call(error_type, (int32_t)strlen(error_type), b.data, (int32_t)b.len);
    wasmap_buf_free(&b);
    return rc < 0 ? refused(op, rc, &x->buf, &x->cap, false) : 0;
}

int wasmap_extension_init_error(wasmap_extension *x, const char *error_type, const char *message) {
    return post_ext_error(x, "init_error", error_type, message, wasmap_sys_extension_init_error);
}

int wasmap_extension_exit_error(wasmap_extension *x, const char *error_type, const char *message) {
    return post_ext_error(x, "exit_error", error_type, message, wasmap_sys_extension_exit_error);
}

int wasmap_telemetry_subscribe(wasmap_extension *x, unsigned types, const wasmap_buffering *bf,
                               wasmap_telemetry_handler handler, void *user) {
    static const char *const names[] = {"platform", "function", "extension"};
    wasmap_buf b = {0};
    wasmap_buf_puts(&b, "{\"schemaVersion\":\"2022-12-13\",\"types\":");
    put_list(&b, names, types, 3);
    if (bf && (bf->max_items || bf->max_bytes || bf->timeout_ms)) {
        const char *sep = "";
        wasmap_buf_puts(&b, ",\"buffering\":{");
        if (bf->max_items) {
            wasmap_buf_printf(&b, "\"maxItems\":%d", bf->max_items);
            sep = ",";
        }
        if (bf->max_bytes) {
            wasmap_buf_printf(&b, "%s\"maxBytes\":%d", sep, bf->max_bytes);
            sep = ",";
        }
        if (bf->timeout_ms)
            wasmap_buf_printf(&b, "%s\"timeoutMs\":%d", sep, bf->timeout_ms);
        wasmap_buf_puts(&b, "}");
    }
    wasmap_buf_puts(&b, "}");
    int32_t rc = wasmap_sys_telemetry_subscribe(b.data, (int32_t)b.len);
    wasmap_buf_free(&b);
    if (rc < 0)
        return refused("subscribe", rc, &x->tbuf, &x->tcap, true);
    x->on_batch = handler;
    x->user = user;
    return 0;
}

int wasmap_telemetry_flush(wasmap_extension *x) {
    if (!x->on_batch)
        return 0;
    for (;;) {
        int rc = deliver_batch(x);
        if (rc <= 0)
            return rc;
    }
}

bool wasmap_telemetry_report(const wasmap_telemetry_event *ev, wasmap_report_record *r) {
    memset(r, 0, sizeof *r);
    if (strcmp(ev->type, "platform.report") != 0 || ev->record[0] != '{')
        return false;
    const char *s = ev->record, *m = "{}";
    size_t n = ev->record_len, ml = 2;
    r->request_id = get_str(s, n, "requestId");
    r->status = get_str(s, n, "status");
    r->error_type = get_str(s, n, "errorType");
    wasmap_json_get(s, n, "metrics", &m, &ml);
    get_float(m, ml, "durationMs", &r->duration_ms);
    r->billed_duration_ms = get_int(m, ml, "billedDurationMs");
    r->memory_size_mb = get_int(m, ml, "memorySizeMB");
    r->max_memory_used_mb = get_int(m, ml, "maxMemoryUsedMB");
    r->has_init_duration = get_float(m, ml, "initDurationMs", &r->init_duration_ms);
    return true;
}

void wasmap_report_record_free(wasmap_report_record *r) {
    free(r->request_id);
    free(r->status);
    free(r->error_type);
    memset(r, 0, sizeof *r);
}

bool wasmap_telemetry_init_start(const wasmap_telemetry_event *ev, wasmap_init_start_record *r) {
    memset(r, 0, sizeof *r);
    if (strcmp(ev->type, "platform.initStart") != 0 || ev->record[0] != '{')
        return false;
    const char *s = ev->record;
    size_t n = ev->record_len;
    r->initialization_type = get_str(s, n, "initializationType");
    r->phase = get_str(s, n, "phase");
    r->function_name = get_str(s, n, "functionName");
    r->function_version = get_str(s, n, "functionVersion");
    r->instance_id = get_str(s, n, "instanceId");
    r->instance_max_memory = get_int(s, n, "instanceMaxMemory");
    return true;
}

void wasmap_init_start_record_free(wasmap_init_start_record *r) {
    free(r->initialization_type);
    free(r->phase);
    free(r->function_name);
    free(r->function_version);
    free(r->instance_id);
    memset(r, 0, sizeof *r);
}

char *wasmap_telemetry_line(const wasmap_telemetry_event *ev) {
    if (strcmp(ev->type, "function") != 0 && strcmp(ev->type, "extension") != 0)
        return NULL;
    char *s = wasmap_json_string(ev->record, ev->record_len, NULL);
    return s ? s : dup_str(ev->record);
}
