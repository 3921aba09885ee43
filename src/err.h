/* err.h - errors as values.
 *
 * Every fallible function takes an `sw_err *` last and returns 0 on success or
 * -1 on failure, after filling the error with one line that names the file,
 * the place and the fix. Nothing below main() prints an error; main prints
 * err.msg and exits with err.code (2: bad input such as a config or data file,
 * 1: anything else). */
#ifndef SWEEP_ERR_H
#define SWEEP_ERR_H

enum { ERR_INTERNAL = 1, ERR_INPUT = 2 };

typedef struct sw_err {
    int code;        /* exit status main() should use */
    char msg[1024];  /* one line, no trailing newline */
} sw_err;

/* Fill *e (if not NULL) with code and a printf-style message; returns -1 so
 * callers can write `return err_set(e, ERR_INPUT, "...")`. */
int err_set(sw_err *e, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Prefix an existing message: "<prefix>: <old message>"; returns -1. */
int err_prefix(sw_err *e, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
