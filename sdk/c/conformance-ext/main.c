/* The C extension conformance module: the extension behaviours of runner/internal/conformance
 * (protocol in its doc.go), written with this SDK; the suite requires the same results as every
 * other SDK's.
 *
 * Build: sdk/c/build.sh confext.wasm conformance-ext/main.c */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wasmap.h"

/* refused reports the call the host refused: REFUSED <op> <ERRNO> <errorType> <errorMessage>. */
static void refused(void) {
    const wasmap_extension_error *e = wasmap_extension_last_error();
    printf("confext: REFUSED %s %s %s %s\n", e->op, wasmap_errno_name(e->code), e->error_type, e->message);
}

/* must ends the module on an unexpected failure. */
static void must(int rc) {
    if (rc < 0) {
        const wasmap_extension_error *e = wasmap_extension_last_error();
        printf("confext: ERROR %s %s %s %s\n", e ? e->op : "?", wasmap_errno_name(rc), e ? e->error_type : "", e ? e->message : "");
        exit(1);
    }
}

struct counts {
    int reports, lines, events;
};

static void on_batch(const wasmap_telemetry_event *evs, size_t n, void *user) {
    struct counts *c = user;
    for (size_t i = 0; i < n; i++) {
        const wasmap_telemetry_event *ev = &evs[i];
        c->events++;
        if (!*ev->time)
            printf("confext: ERROR event %s has no time\n", ev->type);
        wasmap_init_start_record is;
        if (wasmap_telemetry_init_start(ev, &is)) {
            printf("confext: INITSTART %s %s %s %s\n", is.function_name, is.function_version, is.phase, is.instance_id);
            wasmap_init_start_record_free(&is);
        }
        wasmap_report_record r;
        if (wasmap_telemetry_report(ev, &r)) {
            c->reports++;
            printf("confext: REPORT %s %s %lld %s\n", r.request_id, r.status, (long long)r.memory_size_mb, r.has_init_duration ? "cold" : "warm");
            wasmap_report_record_free(&r);
        }
        char *line = wasmap_telemetry_line(ev);
        if (line) {
            c->lines++;
            printf("confext: LINE %s\n", line);
            free(line);
        }
    }
}

int main(void) {
    const char *mode = getenv("CONFEXT_MODE");
    mode = mode ? mode : "";
    const char *name = wasmap_extension_name();
    wasmap_extension *ext = NULL, *other = NULL;

    /* Refusals: an empty name, SHUTDOWN for an internal extension. */
    if (wasmap_extension_register("", WASMAP_EVENT_INVOKE, &other) < 0)
        refused();
    char internal[256];
    snprintf(internal, sizeof internal, "%s-internal", name);
    if (wasmap_extension_register(internal, WASMAP_EVENT_SHUTDOWN, &other) < 0)
        refused();
    must(wasmap_extension_register(name, WASMAP_EVENT_INVOKE | WASMAP_EVENT_SHUTDOWN, &ext));
    const wasmap_extension_info *info = wasmap_extension_get_info(ext);
    printf("confext: REGISTERED %s %s %s %s\n", name, info->function_name, info->function_version, info->handler);
    if (wasmap_extension_register(name, WASMAP_EVENT_INVOKE, &other) < 0)
        refused();

    if (!strcmp(mode, "init-error")) {
        printf("confext: INIT_ERROR\n");
        must(wasmap_extension_init_error(ext, "Extension.ConfigInvalid", "conformance: extension init failed on purpose"));
        return 0;
    }
    if (!strcmp(mode, "exit-error")) {
        printf("confext: EXIT_ERROR\n");
        must(wasmap_extension_exit_error(ext, "Extension.Broken", "conformance: extension broken on purpose"));
        return 0;
    }

    if (wasmap_extension_exit_error(ext, "", "") < 0)
        refused();
    static struct counts counts;
    wasmap_buffering bad = {.max_items = 5};
    if (wasmap_telemetry_subscribe(ext, WASMAP_TELEMETRY_PLATFORM, &bad, on_batch, &counts) < 0)
        refused();
    wasmap_buffering buffering = {.max_items = 1000, .max_bytes = 262144, .timeout_ms = 25};
    must(wasmap_telemetry_subscribe(ext, WASMAP_TELEMETRY_PLATFORM | WASMAP_TELEMETRY_FUNCTION, &buffering, on_batch, &counts));
    printf("confext: SUBSCRIBED\n");

    int invokes = 0, rc;
    wasmap_extension_event ev;
    while ((rc = wasmap_extension_next(ext, &ev)) == 0) {
        if (ev.event_type == WASMAP_EVENT_INVOKE) {
            invokes++;
            printf("confext: INVOKE %s %lld %s %s %s\n", ev.request_id, (long long)ev.deadline_ms, ev.invoked_function_arn,
                   *ev.tracing_type ? ev.tracing_type : "-", ev.tracing_value);
            continue;
        }
        printf("confext: SHUTDOWN %s %lld\n", ev.shutdown_reason, (long long)ev.deadline_ms);
        must(wasmap_telemetry_flush(ext));
        wasmap_buf summary = {0};
        wasmap_buf_printf(&summary, "{\"events\":%d,\"invokes\":%d,\"lines\":%d,\"reports\":%d,\"shutdownReason\":\"%s\"}",
                          counts.events, invokes, counts.lines, counts.reports, ev.shutdown_reason);
        wasmap_object w;
        must(wasmap_object_create_output("summary.json", &w));
        must((int)wasmap_object_write(&w, summary.data, summary.len));
        must(wasmap_object_close(&w));
        printf("confext: SUMMARY %s\n", summary.data);
        wasmap_buf_free(&summary);
        /* After SHUTDOWN and the flush, next answers ECANCELED: no more events. */
        if ((rc = wasmap_extension_next(ext, &ev)) != -WASMAP_ECANCELED)
            printf("confext: ERROR next after SHUTDOWN: %s\n", wasmap_errno_name(rc));
        printf("confext: DONE\n");
        wasmap_extension_free(ext);
        return 0;
    }
    must(rc);
    printf("confext: ERROR next ended before SHUTDOWN\n");
    return 1;
}
