/* test_util.h - helpers shared by the Check suites. */
#ifndef SWEEP_TEST_UTIL_H
#define SWEEP_TEST_UTIL_H

#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"

/* Load a config from text, through a temp file named /tmp/sweep-cfg-XXXXXX
 * (error messages start with that path). */
static inline int load_config_text(cfg_file *c, const char *text, char *const *over, int nover,
                                   sw_err *err) {
    char path[] = "/tmp/sweep-cfg-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    int rc = cfg_load(c, path, over, nover, err);
    unlink(path);
    return rc;
}

#endif
