/* The C SDK's sample: for each file of a folder (an item {"Key","Size",...} of a folder source),
 * writes an upper-cased copy to the output location as <Key>.upper and responds
 * {"bytes":<size>,"key":<Key>}.
 *
 *   clang --target=wasm32-wasi -O2 -I ../include ../src/wasmap.c main.c -o upper.wasm
 *   wasmap run -f upper.wasm -i some/folder/ --output-prefix out/ */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "wasmap.h"

static void handle(wasmap_invocation *inv, void *user) {
    (void)user;
    size_t n;
    const char *item = wasmap_event(inv, &n), *raw;
    size_t raw_len;
    char *key = NULL;
    if (wasmap_json_get(item, n, "Key", &raw, &raw_len))
        key = wasmap_json_string(raw, raw_len, NULL);
    if (!key) {
        wasmap_fail(inv, "MissingKeyError", "the item has no Key: run over a folder");
        return;
    }
    wasmap_object in, out;
    wasmap_buf name = {0}, res = {0};
    static char buf[64 << 10]; /* not on the stack: wasm stacks are small */
    int64_t total = 0, k;
    int rc = wasmap_object_open(key, &in);
    if (rc < 0)
        goto fail;
    wasmap_buf_printf(&name, "%s.upper", key);
    if ((rc = wasmap_object_create_output(name.data, &out)) < 0) {
        wasmap_object_close(&in);
        goto fail;
    }
    while ((k = wasmap_object_read(&in, total, buf, sizeof buf)) > 0) {
        for (int64_t i = 0; i < k; i++)
            buf[i] = (char)toupper((unsigned char)buf[i]);
        if ((rc = (int)wasmap_object_write(&out, buf, (size_t)k)) < 0)
            break;
        total += k;
    }
    wasmap_object_close(&in);
    if (k < 0)
        rc = (int)k;
    if (rc < 0) {
        wasmap_object_abort(&out);
        goto fail;
    }
    if ((rc = wasmap_object_close(&out)) < 0) /* the object appears only now */
        goto fail;
    wasmap_log(WASMAP_INFO, "%s: %lld bytes", key, (long long)total);
    wasmap_buf_printf(&res, "{\"bytes\":%lld,\"key\":", (long long)total);
    wasmap_buf_json_string(&res, key, strlen(key));
    wasmap_buf_puts(&res, "}");
    wasmap_respond(inv, res.data, res.len);
    goto done;
fail:
    wasmap_fail(inv, "ObjectError", "%s: %s", key, wasmap_errno_name(rc));
done:
    wasmap_buf_free(&name);
    wasmap_buf_free(&res);
    free(key);
}

int main(void) { return wasmap_start(handle, NULL); }
