/* err.c - see err.h. */
#include "err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int err_set(sw_err *e, int code, const char *fmt, ...) {
    if (!e) return -1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    va_end(ap);
    e->code = code;
    return -1;
}

int err_prefix(sw_err *e, const char *fmt, ...) {
    if (!e) return -1;
    char head[512], old[sizeof e->msg];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(head, sizeof head, fmt, ap);
    va_end(ap);
    memcpy(old, e->msg, sizeof old);
    /* head ": " old, truncated to fit */
    size_t cap = sizeof e->msg - 1, h = strlen(head), o = strnlen(old, sizeof old - 1);
    if (h > cap) h = cap;
    memcpy(e->msg, head, h);
    size_t len = h;
    for (const char *sep = ": "; *sep && len < cap; sep++) e->msg[len++] = *sep;
    if (o > cap - len) o = cap - len;
    memcpy(e->msg + len, old, o);
    e->msg[len + o] = '\0';
    return -1;
}
