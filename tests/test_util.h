/* test_util.h - helpers shared by the Check suites. */
#ifndef SWEEP_TEST_UTIL_H
#define SWEEP_TEST_UTIL_H

#include <check.h>
#include <ftw.h>
#include <stdio.h>
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

/* A temp folder per suite: test_tmpdir_make in an unchecked setup fixture
 * (run in the parent, so the folder goes even when a test fails),
 * test_tmpdir_remove in its teardown. */
static char test_tmpdir[64] __attribute__((unused));

static inline int test_rm_entry(const char *p, const struct stat *sb, int flag, struct FTW *ftw) {
    (void)sb, (void)flag, (void)ftw;
    return remove(p);
}

static inline void test_tmpdir_make(const char *what) {
    snprintf(test_tmpdir, sizeof test_tmpdir, "/tmp/sweep-test-%s-XXXXXX", what);
    if (!mkdtemp(test_tmpdir)) abort();
}

static inline void test_tmpdir_remove(void) {
    nftw(test_tmpdir, test_rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* P("name") is test_tmpdir/name, valid until the end of the enclosing block. */
static inline const char *test_tpath(const char *name, char *buf) {
    snprintf(buf, 512, "%s/%s", test_tmpdir, name);
    return buf;
}
#define P(name) test_tpath((name), (char[512]){0})

#endif
