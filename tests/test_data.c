/* test_data.c - Check suite for data.c: IDX round trips (raw and gzip), a
 * corpus of broken files that must each be rejected with the right message and
 * byte offset, loading sets and directories, the split and the batches.
 * Files go into a fresh mkdtemp directory that is removed afterwards. */
#include <check.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "data.h"
#include "test_util.h"

static void setup(void) { test_tmpdir_make("data"); }
static void teardown(void) { test_tmpdir_remove(); }

static void write_raw(const char *path, const void *buf, size_t n) {
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(buf, 1, n, f), n);
    ck_assert_int_eq(fclose(f), 0);
}

/* A string literal's bytes, without its NUL. */
#define WRITE_LIT(path, lit) write_raw((path), (lit), sizeof(lit) - 1)

static void write_gz(const char *path, const void *buf, size_t n) {
    gzFile g = gzopen(path, "wb");
    ck_assert_ptr_nonnull(g);
    ck_assert_int_eq(gzwrite(g, buf, (unsigned)n), (int)n);
    ck_assert_int_eq(gzclose(g), Z_OK);
}

/* Whole file into a malloc'd buffer. */
static unsigned char *slurp(const char *path, size_t *n) {
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    unsigned char *buf = malloc(1 << 20);
    *n = fread(buf, 1, 1 << 20, f);
    fclose(f);
    return buf;
}

/* An IDX of the given dims with bytes (seed + 7*i) & 255. */
static data_idx make_idx(int ndim, const int *dims, int seed) {
    data_idx x = {.ndim = ndim, .size = 1};
    for (int k = 0; k < ndim; k++) {
        x.dims[k] = dims[k];
        x.size *= (size_t)dims[k];
    }
    x.bytes = malloc(x.size);
    for (size_t i = 0; i < x.size; i++) x.bytes[i] = (uint8_t)(seed + 7 * i);
    return x;
}

static void write_idx(const char *path, int ndim, const int *dims, int seed, int gz) {
    data_idx x = make_idx(ndim, dims, seed);
    sw_err e = {0};
    ck_assert_msg(data_idx_write(path, &x, gz, &e) == 0, "%s", e.msg);
    data_idx_free(&x);
}

static void write_labels(const char *path, const uint8_t *labels, int n, int gz) {
    data_idx x = {.ndim = 1, .dims = {n}, .size = (size_t)n, .bytes = (uint8_t *)labels};
    sw_err e = {0};
    ck_assert_msg(data_idx_write(path, &x, gz, &e) == 0, "%s", e.msg);
}

/* The message is one line, starts with "path: " and holds each phrase. */
static void check_msg(const sw_err *e, const char *path, const char *p1, const char *p2) {
    ck_assert_int_eq(e->code, ERR_INPUT);
    ck_assert_ptr_null(strchr(e->msg, '\n'));
    if (path) {
        ck_assert_msg(strncmp(e->msg, path, strlen(path)) == 0 && e->msg[strlen(path)] == ':',
                      "message does not start with the path: %s", e->msg);
    }
    if (p1) ck_assert_msg(strstr(e->msg, p1), "no '%s' in: %s", p1, e->msg);
    if (p2) ck_assert_msg(strstr(e->msg, p2), "no '%s' in: %s", p2, e->msg);
}

/* data_idx_read must fail on path with a message holding both phrases. */
static void expect_read_error(const char *path, const char *p1, const char *p2) {
    data_idx x;
    sw_err e = {0};
    memset(&x, 0xAB, sizeof x);
    ck_assert_int_eq(data_idx_read(&x, path, &e), -1);
    ck_assert_ptr_null(x.bytes);
    ck_assert_uint_eq(x.size, 0);
    check_msg(&e, path, p1, p2);
}

static const int D3[3] = {2, 3, 4};  /* 24 data bytes after a 16-byte header */

/* ---- round trips ---- */

START_TEST(test_roundtrip_raw_and_gzip) {
    static const int dims[4][4] = {{5}, {3, 7}, {2, 3, 4}, {2, 2, 3, 5}};
    for (int gz = 0; gz <= 1; gz++)
        for (int nd = 1; nd <= 4; nd++) {
            const char *path = P(gz ? "rt.gz" : "rt");
            data_idx x = make_idx(nd, dims[nd - 1], nd * 10 + gz), y;
            sw_err e = {0};
            ck_assert_msg(data_idx_write(path, &x, gz, &e) == 0, "%s", e.msg);
            size_t n;
            unsigned char *raw = slurp(path, &n);
            if (gz) {
                ck_assert(raw[0] == 0x1f && raw[1] == 0x8b);
            } else {
                ck_assert_uint_eq(n, 4 + 4 * (size_t)nd + x.size);
                ck_assert(raw[0] == 0 && raw[1] == 0 && raw[2] == 8 && raw[3] == nd);
                ck_assert_int_eq(raw[4 + 3], dims[nd - 1][0]);  /* big-endian count */
            }
            free(raw);
            ck_assert_msg(data_idx_read(&y, path, &e) == 0, "%s", e.msg);
            ck_assert_int_eq(y.ndim, nd);
            for (int k = 0; k < nd; k++) ck_assert_int_eq(y.dims[k], dims[nd - 1][k]);
            ck_assert_uint_eq(y.size, x.size);
            ck_assert_mem_eq(y.bytes, x.bytes, x.size);
            data_idx_free(&x);
            data_idx_free(&y);
            ck_assert_ptr_null(y.bytes);
        }
}
END_TEST

START_TEST(test_gzip_detected_by_magic_not_name) {
    data_idx y;
    sw_err e = {0};
    write_idx(P("gz-without-suffix"), 3, D3, 1, 1);
    write_idx(P("raw-with-suffix.gz"), 3, D3, 1, 0);
    ck_assert_msg(data_idx_read(&y, P("gz-without-suffix"), &e) == 0, "%s", e.msg);
    ck_assert_uint_eq(y.size, 24);
    data_idx_free(&y);
    ck_assert_msg(data_idx_read(&y, P("raw-with-suffix.gz"), &e) == 0, "%s", e.msg);
    ck_assert_uint_eq(y.size, 24);
    data_idx_free(&y);
}
END_TEST

START_TEST(test_gzip_multi_member) {
    /* `cat head.gz body.gz` is one valid gzip file. */
    unsigned char file[16 + 24];
    data_idx x = make_idx(3, D3, 3), y;
    unsigned char head[16] = {0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4};
    memcpy(file, head, 16);
    memcpy(file + 16, x.bytes, 24);
    write_gz(P("a.gz"), file, 16);
    write_gz(P("b.gz"), file + 16, 24);
    size_t na, nb;
    unsigned char *a = slurp(P("a.gz"), &na), *b = slurp(P("b.gz"), &nb);
    a = realloc(a, na + nb);
    memcpy(a + na, b, nb);
    write_raw(P("ab.gz"), a, na + nb);
    sw_err e = {0};
    ck_assert_msg(data_idx_read(&y, P("ab.gz"), &e) == 0, "%s", e.msg);
    ck_assert_mem_eq(y.bytes, x.bytes, 24);
    data_idx_free(&y);
    data_idx_free(&x);
    free(a);
    free(b);
}
END_TEST

START_TEST(test_write_errors) {
    data_idx x = make_idx(3, D3, 1);
    sw_err e = {0};
    for (int gz = 0; gz <= 1; gz++) {
        ck_assert_int_eq(data_idx_write(P("no-dir/x"), &x, gz, &e), -1);
        ck_assert_msg(strstr(e.msg, "no-dir/x: cannot create"), "%s", e.msg);
        if (access("/dev/full", W_OK) == 0) {
            ck_assert_int_eq(data_idx_write("/dev/full", &x, gz, &e), -1);
            ck_assert_msg(strstr(e.msg, "/dev/full: write failed"), "%s", e.msg);
        }
    }
    x.size--;  /* size no longer the product of dims */
    ck_assert_int_eq(data_idx_write(P("bad"), &x, 0, &e), -1);
    ck_assert_int_eq(e.code, ERR_INTERNAL);
    x.size++;
    data_idx_free(&x);
}
END_TEST

/* ---- the corpus of broken files ---- */

START_TEST(test_reject_bad_magic) {
    WRITE_LIT(P("zip"), "PK\x03\x04 not an idx file at all");
    expect_read_error(P("zip"), "not an IDX file", "(at byte 0)");
    WRITE_LIT(P("magic1"), "\x00\x01\x08\x01\x00\x00\x00\x01\x05");
    expect_read_error(P("magic1"), "not an IDX file", "(at byte 1)");
}
END_TEST

START_TEST(test_reject_unsupported_type) {
    WRITE_LIT(P("float"), "\x00\x00\x0d\x01\x00\x00\x00\x01\x00\x00\x80\x3f");
    expect_read_error(P("float"), "unsupported IDX data type 0x0d (32-bit float)", "(at byte 2)");
    WRITE_LIT(P("weird"), "\x00\x00\x42\x01\x00\x00\x00\x01\x00");
    expect_read_error(P("weird"), "type 0x42", "(at byte 2)");
}
END_TEST

START_TEST(test_reject_bad_ndim) {
    WRITE_LIT(P("nd0"), "\x00\x00\x08\x00\x07");
    expect_read_error(P("nd0"), "dimension count 0", "(at byte 3)");
    WRITE_LIT(P("nd5"), "\x00\x00\x08\x05\x00\x00\x00\x01");
    expect_read_error(P("nd5"), "dimension count 5", "(at byte 3)");
}
END_TEST

START_TEST(test_reject_truncated_header) {
    WRITE_LIT(P("short2"), "\x00\x00");
    expect_read_error(P("short2"), "ends inside the IDX header", "(at byte 2)");
    static const char h6[] = "\x00\x00\x08\x03\x00\x00";  /* 3-D header cut after 6 bytes */
    WRITE_LIT(P("short6"), h6);
    expect_read_error(P("short6"), "ends inside the IDX header", "(at byte 6)");
    write_gz(P("short6.gz"), h6, sizeof h6 - 1);
    expect_read_error(P("short6.gz"), "ends inside the IDX header",
                      "(at byte 6 of the decompressed data)");
}
END_TEST

START_TEST(test_reject_zero_and_huge_dims) {
    WRITE_LIT(P("n0"), "\x00\x00\x08\x03\x00\x00\x00\x00\x00\x00\x00\x1c\x00\x00\x00\x1c");
    expect_read_error(P("n0"), "empty data set", "(at byte 4)");
    WRITE_LIT(P("w0"), "\x00\x00\x08\x03\x00\x00\x00\x01\x00\x00\x00\x1c\x00\x00\x00\x00");
    expect_read_error(P("w0"), "dimension 3 of 3 is 0", "(at byte 12)");
    /* 65536 * 65536 bytes: over the limit, and no 4 GiB allocation attempted. */
    WRITE_LIT(P("huge"), "\x00\x00\x08\x02\x00\x01\x00\x00\x00\x01\x00\x00");
    expect_read_error(P("huge"), "2^31-byte limit", "(at byte 8)");
    WRITE_LIT(P("huge1"), "\x00\x00\x08\x01\xff\xff\xff\xff");
    expect_read_error(P("huge1"), "2^31-byte limit", "(at byte 4)");
}
END_TEST

START_TEST(test_reject_truncated_data) {
    data_idx x = make_idx(3, D3, 5);
    sw_err e = {0};
    ck_assert(data_idx_write(P("full"), &x, 0, &e) == 0);
    size_t n;
    unsigned char *raw = slurp(P("full"), &n);
    ck_assert_uint_eq(n, 40);
    write_raw(P("cut"), raw, 36);
    expect_read_error(P("cut"), "promises 24 data bytes after the 16-byte header but only 20",
                      "(data ends at byte 36)");
    expect_read_error(P("cut"), "make data", NULL);
    write_gz(P("cut.gz"), raw, 36);  /* a valid gzip of a truncated IDX */
    expect_read_error(P("cut.gz"), "but only 20 are there",
                      "(data ends at byte 36 of the decompressed data)");
    write_raw(P("headonly"), raw, 16);
    expect_read_error(P("headonly"), "but only 0 are there", "(data ends at byte 16)");
    free(raw);
    data_idx_free(&x);
}
END_TEST

START_TEST(test_reject_trailing_bytes) {
    data_idx x = make_idx(3, D3, 5);
    sw_err e = {0};
    ck_assert(data_idx_write(P("full"), &x, 0, &e) == 0);
    size_t n;
    unsigned char *raw = slurp(P("full"), &n);
    memcpy(raw + 40, "xyz", 3);
    write_raw(P("long"), raw, 43);
    expect_read_error(P("long"), "3 extra bytes after the data", "(at byte 40)");
    write_gz(P("long.gz"), raw, 43);
    expect_read_error(P("long.gz"), "3 extra bytes", "(at byte 40 of the decompressed data)");
    free(raw);
    data_idx_free(&x);
}
END_TEST

START_TEST(test_reject_empty_file) {
    WRITE_LIT(P("empty"), "");
    expect_read_error(P("empty"), "empty file", "(at byte 0)");
    write_gz(P("empty.gz"), "", 0);
    expect_read_error(P("empty.gz"), "decompresses to nothing",
                      "(at byte 0 of the decompressed data)");
}
END_TEST

START_TEST(test_reject_corrupt_gzip) {
    /* A valid 10-byte gzip header, then bytes that are no deflate stream. */
    static const unsigned char bad[] = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3,
                                        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    write_raw(P("garbage.gz"), bad, sizeof bad);
    expect_read_error(P("garbage.gz"), "corrupt gzip data",
                      "(at byte 0 of the decompressed data)");
    /* Bad compression method in the header. */
    WRITE_LIT(P("method.gz"), "\x1f\x8b\x07\x00\x00\x00\x00\x00\x00\x03\x01\x02");
    expect_read_error(P("method.gz"), "corrupt gzip data", "of the decompressed data)");
    /* A flipped bit in the CRC-32 trailer: the data inflates, the check fails. */
    write_idx(P("ok.gz"), 3, D3, 9, 1);
    size_t n;
    unsigned char *z = slurp(P("ok.gz"), &n);
    z[n - 8] ^= 1;
    write_raw(P("crc.gz"), z, n);
    expect_read_error(P("crc.gz"), "corrupt gzip data: incorrect data check",
                      "(at byte 40 of the decompressed data)");
    /* Junk after the end of the stream. */
    z[n - 8] ^= 1;
    unsigned char *j = malloc(n + 4);
    memcpy(j, z, n);
    memcpy(j + n, "junk", 4);
    write_raw(P("junk.gz"), j, n + 4);
    char at[64];
    snprintf(at, sizeof at, "(at byte %zu of the file)", n);
    expect_read_error(P("junk.gz"), "not gzip data", at);
    free(j);
    free(z);
}
END_TEST

START_TEST(test_reject_truncated_gzip) {
    write_idx(P("ok.gz"), 3, D3, 9, 1);
    size_t n;
    unsigned char *z = slurp(P("ok.gz"), &n);
    write_raw(P("notrailer.gz"), z, n - 8);  /* all the data, no CRC/length */
    expect_read_error(P("notrailer.gz"), "gzip stream ends early",
                      "(at byte 40 of the decompressed data)");
    write_raw(P("half.gz"), z, 12);
    expect_read_error(P("half.gz"), "gzip stream ends early", "of the decompressed data)");
    expect_read_error(P("half.gz"), "make data", NULL);
    free(z);
}
END_TEST

START_TEST(test_reject_directory_and_missing) {
    expect_read_error(test_tmpdir, "is a directory", NULL);
    expect_read_error(P("no-such-file"), "No such file or directory", "make data");
}
END_TEST

/* Every prefix of a valid file is rejected; every one-byte change either reads
 * or is rejected with a proper message. Run under valgrind, this is where an
 * off-by-one in the reader would show. */
START_TEST(test_corpus_prefixes_and_flips) {
    for (int gz = 0; gz <= 1; gz++) {
        write_idx(P("base"), 3, D3, 11, gz);
        size_t n;
        unsigned char *b = slurp(P("base"), &n);
        const char *path = P("mutant");
        for (size_t k = 0; k < n; k++) {
            write_raw(path, b, k);
            data_idx x;
            sw_err e = {0};
            ck_assert_int_eq(data_idx_read(&x, path, &e), -1);
            check_msg(&e, path, "byte", NULL);
        }
        for (size_t k = 0; k < n; k++)
            for (int bit = 0; bit < 8; bit += 3) {
                b[k] ^= (unsigned char)(1 << bit);
                write_raw(path, b, n);
                data_idx x;
                sw_err e = {0};
                if (data_idx_read(&x, path, &e) == 0) {
                    ck_assert_uint_eq(x.size, 24);
                    data_idx_free(&x);
                } else {
                    ck_assert_ptr_null(x.bytes);
                    ck_assert_msg(e.code == ERR_INPUT || e.code == ERR_INTERNAL, "%s", e.msg);
                    check_msg(&e, path, NULL, NULL);
                }
                b[k] ^= (unsigned char)(1 << bit);
            }
        free(b);
    }
}
END_TEST

/* ---- data_load and data_load_dir ---- */

START_TEST(test_load_3d) {
    static const int dims[3] = {3, 2, 2};
    static const uint8_t lab[3] = {4, 0, 2};
    write_idx(P("img"), 3, dims, 1, 0);
    write_labels(P("lab.gz"), lab, 3, 1);
    data_set ds;
    sw_err e = {0};
    ck_assert_msg(data_load(&ds, P("img"), P("lab.gz"), 0, &e) == 0, "%s", e.msg);
    ck_assert_int_eq(ds.n, 3);
    ck_assert_int_eq(ds.c, 1);
    ck_assert_int_eq(ds.h, 2);
    ck_assert_int_eq(ds.w, 2);
    ck_assert_int_eq(ds.dim, 4);
    ck_assert_int_eq(ds.classes, 5);
    ck_assert_mem_eq(ds.labels, lab, 3);
    for (int i = 0; i < 12; i++) ck_assert_int_eq(ds.images[i], (uint8_t)(1 + 7 * i));
    data_free(&ds);
    ck_assert_ptr_null(ds.images);
    ck_assert_msg(data_load(&ds, P("img"), P("lab.gz"), 10, &e) == 0, "%s", e.msg);
    ck_assert_int_eq(ds.classes, 10);
    data_free(&ds);
}
END_TEST

START_TEST(test_load_4d_channels_last) {
    /* 2 images, 2x3 pixels, 3 channels; file order (n, h, w, c). */
    static const int dims[4] = {2, 2, 3, 3};
    static const uint8_t lab[2] = {1, 0};
    data_idx x = {.ndim = 4, .dims = {2, 2, 3, 3}, .size = 36};
    uint8_t px[36];
    for (int i = 0; i < 2; i++)
        for (int r = 0; r < 2; r++)
            for (int c = 0; c < 3; c++)
                for (int ch = 0; ch < 3; ch++)
                    px[((i * 2 + r) * 3 + c) * 3 + ch] = (uint8_t)(100 * i + 30 * ch + 10 * r + c);
    x.bytes = px;
    sw_err e = {0};
    ck_assert(data_idx_write(P("img4.gz"), &x, 1, &e) == 0);
    write_labels(P("lab"), lab, 2, 0);
    data_set ds;
    ck_assert_msg(data_load(&ds, P("img4.gz"), P("lab"), 0, &e) == 0, "%s", e.msg);
    ck_assert_int_eq(ds.c, dims[3]);
    ck_assert_int_eq(ds.h, dims[1]);
    ck_assert_int_eq(ds.w, dims[2]);
    ck_assert_int_eq(ds.dim, 18);
    ck_assert_int_eq(ds.classes, 2);
    for (int i = 0; i < 2; i++)
        for (int r = 0; r < 2; r++)
            for (int c = 0; c < 3; c++)
                for (int ch = 0; ch < 3; ch++)
                    ck_assert_int_eq(ds.images[i * 18 + (r * 3 + c) * 3 + ch],
                                     100 * i + 30 * ch + 10 * r + c);
    data_free(&ds);
}
END_TEST

START_TEST(test_load_rejects_bad_label) {
    static const int dims[3] = {3, 2, 2};
    static const uint8_t lab[3] = {1, 2, 12};
    write_idx(P("img"), 3, dims, 1, 0);
    write_labels(P("lab"), lab, 3, 0);
    write_labels(P("lab.gz"), lab, 3, 1);
    data_set ds;
    sw_err e = {0};
    memset(&ds, 0x55, sizeof ds);
    ck_assert_int_eq(data_load(&ds, P("img"), P("lab"), 10, &e), -1);
    ck_assert_ptr_null(ds.images);
    ck_assert_ptr_null(ds.labels);
    check_msg(&e, P("lab"), "label 12 of example 2 is not below classes=10", "(at byte 10)");
    ck_assert_int_eq(data_load(&ds, P("img"), P("lab.gz"), 10, &e), -1);
    check_msg(&e, P("lab.gz"), "label 12 of example 2",
              "(at byte 10 of the decompressed data)");
    ck_assert_int_eq(data_load(&ds, P("img"), P("lab"), 13, &e), 0);
    data_free(&ds);
}
END_TEST

START_TEST(test_load_rejects_count_mismatch_and_ndim) {
    static const int dims[3] = {3, 2, 2};
    static const uint8_t lab[2] = {1, 2};
    write_idx(P("img"), 3, dims, 1, 0);
    write_labels(P("lab"), lab, 2, 0);
    data_set ds;
    sw_err e = {0};
    ck_assert_int_eq(data_load(&ds, P("img"), P("lab"), 10, &e), -1);
    check_msg(&e, P("lab"), ": 2 labels", "has 3 images");
    ck_assert_msg(strstr(e.msg, P("img")), "no image path in: %s", e.msg);
    ck_assert_msg(strstr(e.msg, "(at byte 4)"), "no offset in: %s", e.msg);
    /* Swapped files: labels as images and images as labels. */
    ck_assert_int_eq(data_load(&ds, P("lab"), P("img"), 10, &e), -1);
    check_msg(&e, P("lab"), "this one has 1", "(at byte 3)");
    ck_assert_int_eq(data_load(&ds, P("img"), P("img"), 10, &e), -1);
    check_msg(&e, P("img"), "a label file has 1 dimension", "(at byte 3)");
    /* Errors from the reader come through, for either file. */
    ck_assert_int_eq(data_load(&ds, P("img"), P("nope"), 10, &e), -1);
    check_msg(&e, P("nope"), "No such file", NULL);
    ck_assert_int_eq(data_load(&ds, test_tmpdir, P("lab"), 10, &e), -1);
    check_msg(&e, test_tmpdir, "is a directory", NULL);
}
END_TEST

/* Writes the four standard files into dir; the image files gzip'd. */
static void write_dir(const char *dir, int ntrain, int ntest, int test_w) {
    char p[600];
    uint8_t lab[16];
    for (int i = 0; i < 16; i++) lab[i] = (uint8_t)(i % 3);
    int dtrain[3] = {ntrain, 4, 5}, dtest[3] = {ntest, 4, test_w};
    mkdir(dir, 0700);
    snprintf(p, sizeof p, "%s/train-images-idx3-ubyte.gz", dir);
    write_idx(p, 3, dtrain, 2, 1);
    snprintf(p, sizeof p, "%s/train-labels-idx1-ubyte.gz", dir);
    write_labels(p, lab, ntrain, 1);
    snprintf(p, sizeof p, "%s/t10k-images-idx3-ubyte.gz", dir);
    write_idx(p, 3, dtest, 3, 1);
    snprintf(p, sizeof p, "%s/t10k-labels-idx1-ubyte", dir);  /* raw: both kinds in one dir */
    write_labels(p, lab + 1, ntest, 0);
}

START_TEST(test_load_dir) {
    const char *dir = P("mnist");
    write_dir(dir, 6, 2, 5);
    data_set tr, te;
    sw_err e = {0};
    ck_assert_msg(data_load_dir(&tr, &te, dir, 0, &e) == 0, "%s", e.msg);
    ck_assert_int_eq(tr.n, 6);
    ck_assert_int_eq(te.n, 2);
    ck_assert_int_eq(tr.dim, 20);
    ck_assert_int_eq(te.dim, 20);
    ck_assert_int_eq(tr.classes, 3);
    ck_assert_int_eq(te.classes, 3);
    ck_assert_int_eq(te.labels[1], 2);
    data_free(&tr);
    data_free(&te);
    ck_assert_msg(data_load_dir(&tr, &te, dir, 10, &e) == 0, "%s", e.msg);
    ck_assert_int_eq(te.classes, 10);
    data_free(&tr);
    data_free(&te);
}
END_TEST

START_TEST(test_load_dir_errors) {
    data_set tr, te;
    sw_err e = {0};
    char p[600];
    /* Missing: the message names both paths tried and the make target. */
    const char *dir = P("half");
    write_dir(dir, 6, 2, 5);
    snprintf(p, sizeof p, "%s/t10k-images-idx3-ubyte.gz", dir);
    unlink(p);
    ck_assert_int_eq(data_load_dir(&tr, &te, dir, 0, &e), -1);
    ck_assert_ptr_null(tr.images);
    check_msg(&e, NULL, "make data", "t10k-images-idx3-ubyte.gz");
    snprintf(p, sizeof p, "%s/t10k-images-idx3-ubyte:", dir);
    ck_assert_msg(strstr(e.msg, p), "no raw path in: %s", e.msg);
    /* Test images of another shape. */
    dir = P("shape");
    write_dir(dir, 6, 2, 4);
    ck_assert_int_eq(data_load_dir(&tr, &te, dir, 0, &e), -1);
    ck_assert_ptr_null(tr.images);
    ck_assert_ptr_null(te.images);
    check_msg(&e, NULL, "test images are 1x4x4", "1x4x5");
    /* A test label beyond the train set's classes (train labels 0..2, so 3 classes). */
    dir = P("labels");
    write_dir(dir, 3, 3, 5);
    uint8_t bad[3] = {0, 1, 3};
    snprintf(p, sizeof p, "%s/t10k-labels-idx1-ubyte", dir);
    write_labels(p, bad, 3, 0);
    ck_assert_int_eq(data_load_dir(&tr, &te, dir, 0, &e), -1);
    check_msg(&e, p, "label 3 of example 2 is not below classes=3", "(at byte 10)");
    ck_assert_int_eq(data_load_dir(&tr, &te, P("fashion-none"), 0, &e), -1);
    check_msg(&e, NULL, "make data-fashion", NULL);
}
END_TEST

/* ---- split and batch ---- */

START_TEST(test_split) {
    enum { N = 1000, V = 137 };
    int tr[N], va[N], tr2[N], va2[N];
    data_split(tr, va, N, V, 42);
    data_split(tr2, va2, N, V, 42);
    ck_assert_mem_eq(tr, tr2, sizeof(int) * (N - V));
    ck_assert_mem_eq(va, va2, sizeof(int) * V);
    char seen[N] = {0};
    for (int i = 0; i < V; i++) {
        ck_assert(va[i] >= 0 && va[i] < N);
        if (i) ck_assert_int_lt(va[i - 1], va[i]);
        seen[va[i]]++;
    }
    for (int i = 0; i < N - V; i++) {
        ck_assert(tr[i] >= 0 && tr[i] < N);
        if (i) ck_assert_int_lt(tr[i - 1], tr[i]);
        seen[tr[i]]++;
    }
    for (int i = 0; i < N; i++) ck_assert_int_eq(seen[i], 1);  /* disjoint and covering */
    /* Not just the first V: spread over the range, and another seed differs. */
    ck_assert_int_gt(va[V - 1], N / 2);
    ck_assert_int_ne(va[V - 1], V - 1);
    data_split(tr2, va2, N, V, 43);
    ck_assert(memcmp(va, va2, sizeof(int) * V) != 0);
    /* Edges: no validation, all validation. */
    data_split(tr, va, N, 0, 42);
    for (int i = 0; i < N; i++) ck_assert_int_eq(tr[i], i);
    data_split(tr, va, N, N, 42);
    for (int i = 0; i < N; i++) ck_assert_int_eq(va[i], i);
}
END_TEST

START_TEST(test_batch) {
    uint8_t images[3 * 4] = {0, 255, 1, 128, 10, 20, 30, 40, 254, 3, 2, 1};
    uint8_t labels[3] = {7, 8, 9};
    data_set ds = {.images = images, .labels = labels, .n = 3, .c = 1, .h = 2, .w = 2,
                   .dim = 4, .classes = 10};
    int idx[4] = {2, 0, 2, 1}, y[4];
    float x[16];
    data_batch(x, y, &ds, idx, 4);
    for (int b = 0; b < 4; b++) {
        ck_assert_int_eq(y[b], labels[idx[b]]);
        for (int j = 0; j < 4; j++) {
            float want = images[idx[b] * 4 + j] / 255.0f;
            ck_assert_float_eq_tol(x[b * 4 + j], want, 1e-7f);
            ck_assert(x[b * 4 + j] >= 0.0f && x[b * 4 + j] <= 1.0f);
        }
    }
    ck_assert(x[4] == 0.0f);  /* pixel 0 of example 0 */
    ck_assert(x[5] == 1.0f);  /* 255 gives exactly 1 */
}
END_TEST

Suite *data_suite(void) {
    Suite *s = suite_create("data");
    TCase *tc = tcase_create("idx");
    tcase_add_unchecked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_roundtrip_raw_and_gzip);
    tcase_add_test(tc, test_gzip_detected_by_magic_not_name);
    tcase_add_test(tc, test_gzip_multi_member);
    tcase_add_test(tc, test_write_errors);
    tcase_add_test(tc, test_reject_bad_magic);
    tcase_add_test(tc, test_reject_unsupported_type);
    tcase_add_test(tc, test_reject_bad_ndim);
    tcase_add_test(tc, test_reject_truncated_header);
    tcase_add_test(tc, test_reject_zero_and_huge_dims);
    tcase_add_test(tc, test_reject_truncated_data);
    tcase_add_test(tc, test_reject_trailing_bytes);
    tcase_add_test(tc, test_reject_empty_file);
    tcase_add_test(tc, test_reject_corrupt_gzip);
    tcase_add_test(tc, test_reject_truncated_gzip);
    tcase_add_test(tc, test_reject_directory_and_missing);
    tcase_add_test(tc, test_corpus_prefixes_and_flips);
    suite_add_tcase(s, tc);

    tc = tcase_create("load");
    tcase_add_unchecked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_load_3d);
    tcase_add_test(tc, test_load_4d_channels_last);
    tcase_add_test(tc, test_load_rejects_bad_label);
    tcase_add_test(tc, test_load_rejects_count_mismatch_and_ndim);
    tcase_add_test(tc, test_load_dir);
    tcase_add_test(tc, test_load_dir_errors);
    suite_add_tcase(s, tc);

    tc = tcase_create("split_batch");
    tcase_add_test(tc, test_split);
    tcase_add_test(tc, test_batch);
    suite_add_tcase(s, tc);
    return s;
}
