/* test_ckpt.c - checkpoint files: a round trip keeps every bit, and damaged
 * files (flipped byte, truncated, another file, another version) are
 * refused with their own message. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ckpt.h"
#include "test_util.h"

static float params[5] = {1.0f, -2.5f, 3.25e-8f, 0.0f, -0.0f};
static float state[2] = {0.5f, 1e30f};

static void write_sample(const char *path) {
    ckpt c = {"model: {hidden: [4]}\n", {1, 28, 28, 0}, 10, 5, 2, params, state};
    sw_err e = {0, ""};
    ck_assert_msg(ckpt_write(path, &c, &e) == 0, "%s", e.msg);
}

static long file_size(const char *path) {
    FILE *f = fopen(path, "rb");
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fclose(f);
    return n;
}

static void rewrite(const char *path, long at, unsigned char byte, long truncate_to) {
    FILE *f = fopen(path, "rb");
    long n = file_size(path);
    unsigned char *b = malloc((size_t)n);
    ck_assert_int_eq(fread(b, 1, (size_t)n, f), n);
    fclose(f);
    if (at >= 0) b[at] ^= byte;
    f = fopen(path, "wb");
    fwrite(b, 1, (size_t)(truncate_to >= 0 ? truncate_to : n), f);
    fclose(f);
    free(b);
}

static void read_fails(const char *path, const char *want) {
    ckpt c;
    sw_err e = {0, ""};
    ck_assert_int_eq(ckpt_read(&c, path, &e), -1);
    ck_assert_int_eq(e.code, ERR_INPUT);
    ck_assert_msg(strstr(e.msg, want), "wanted '%s' in: %s", want, e.msg);
    ck_assert_ptr_null(c.params);
}

START_TEST(test_round_trip) {
    const char *path = P("a.ckpt");
    write_sample(path);
    ck_assert_int_eq(file_size(path), 48 + 21 + 4 * 7 + 4);
    ckpt c;
    sw_err e = {0, ""};
    ck_assert_msg(ckpt_read(&c, path, &e) == 0, "%s", e.msg);
    ck_assert_str_eq(c.config, "model: {hidden: [4]}\n");
    ck_assert_int_eq(c.input.c, 1);
    ck_assert_int_eq(c.input.h, 28);
    ck_assert_int_eq(c.input.w, 28);
    ck_assert_int_eq(c.classes, 10);
    ck_assert_uint_eq(c.nparams, 5);
    ck_assert_uint_eq(c.nstate, 2);
    ck_assert_int_eq(memcmp(c.params, params, sizeof params), 0); /* bits, -0.0 included */
    ck_assert_int_eq(memcmp(c.state, state, sizeof state), 0);
    ckpt_free(&c);
}
END_TEST

START_TEST(test_damaged) {
    const char *path = P("b.ckpt");
    write_sample(path);
    rewrite(path, 80, 0x10, -1); /* a parameter byte */
    read_fails(path, "checksum mismatch");
    write_sample(path);
    rewrite(path, -1, 0, file_size(path) - 3);
    read_fails(path, "truncated or damaged checkpoint");
    write_sample(path);
    rewrite(path, 33, 0x01, -1); /* the parameter count */
    read_fails(path, "truncated or damaged checkpoint");
    write_sample(path);
    rewrite(path, 8, 0x02, -1); /* version 3 */
    read_fails(path, "checkpoint format version 3; this sweep reads version 1 (upgrade sweep)");
    write_sample(path);
    rewrite(path, -1, 0, 20);
    read_fails(path, "truncated checkpoint");
    write_sample(path);
    rewrite(path, 0, 0x20, -1);
    read_fails(path, "not a sweep checkpoint");
    read_fails(P("missing.ckpt"), "cannot open the checkpoint");
}
END_TEST

static void setup(void) { test_tmpdir_make("ckpt"); }
static void teardown(void) { test_tmpdir_remove(); }

Suite *ckpt_suite(void) {
    Suite *s = suite_create("ckpt");
    TCase *tc = tcase_create("core");
    tcase_add_unchecked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_round_trip);
    tcase_add_test(tc, test_damaged);
    suite_add_tcase(s, tc);
    return s;
}
