/* data.c - IDX files in, uint8 image/label sets and float batches out.
 *
 * Owns: reading IDX files (raw, or gzip'd with any number of members, told
 * apart by the 1f 8b magic and never by the name) and checking every header
 * field against the bytes that follow; writing IDX files for tests and tools;
 * pairing an image file with a label file into a data_set; the seeded
 * train/validation split; turning a list of example indices into a float batch.
 *
 * Invariants kept for every data_idx and data_set handed out:
 *   - the data length equals the product of the dimensions exactly (no
 *     truncation, no trailing bytes, gzip CRC and length checked);
 *   - every dimension is > 0 and the product is below 2^31, so (size_t) index
 *     arithmetic never overflows and n, c, h, w, dim all fit in an int;
 *   - images are stored as in the file, channels last: (n, h, w, c), uint8;
 *   - every label is < classes.
 * A failure leaves the output zeroed (safe to free) and one line in err:
 * "PATH: what is wrong (at byte N)" plus a fix where there is one; offsets in
 * gzip'd files count bytes of the decompressed data.
 *
 * Called by train.c (data_load_dir, data_split, data_batch once per mini-
 * batch), by `sweep eval`, and by tests that write tiny IDX files. Does not
 * download anything: scripts/fetch-data.sh does. */
#include "data.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include "rng.h"

/* Largest data block we accept: 2^31 - 1 bytes keeps every count an int. */
#define DATA_MAX_BYTES ((uint64_t)INT32_MAX)
/* Stream number of the split's rng, so it never shares numbers with init or
 * shuffling seeded from the same run seed. ("split" in ASCII.) */
#define DATA_SPLIT_STREAM 0x73706c6974ULL
/* How many trailing bytes we count before saying "more than". */
#define DATA_TRAILING_CAP ((size_t)1 << 20)

/* ---- a byte source: a raw file, or the inflated bytes of a gzip file ---- */

typedef struct reader {
    const char *path;
    FILE *f;
    int gz;                  /* 1: the file is gzip; bytes come from inflate */
    int gz_end;              /* inflate finished the last member */
    int zs_live;             /* zs needs inflateEnd */
    z_stream zs;
    size_t out;              /* bytes delivered so far (decompressed for gzip) */
    size_t file_pos;         /* bytes taken from the file so far */
    size_t next, avail;      /* file bytes not yet consumed: inbuf[next .. next+avail) */
    unsigned char inbuf[1 << 16];
} reader;

/* What to run when a file is missing or damaged. */
static const char *fix_hint(const char *path) {
    return strstr(path, "fashion") ? "; run `make data-fashion` to download it again"
                                   : "; run `make data` to download it again";
}

/* " of the decompressed data" for gzip'd files, "" for raw ones. */
static const char *where(const reader *r) { return r->gz ? " of the decompressed data" : ""; }

/* Move unread input to the front and read more after it. Returns 0 (maybe
 * nothing more: end of file) or -1 on a read error. */
static int rd_fill(reader *r, sw_err *err) {
    if (r->avail && r->next) memmove(r->inbuf, r->inbuf + r->next, r->avail);
    r->next = 0;
    size_t got = fread(r->inbuf + r->avail, 1, sizeof r->inbuf - r->avail, r->f);
    r->avail += got;
    r->file_pos += got;
    if (got == 0 && ferror(r->f))
        return err_set(err, ERR_INPUT, "%s: read error: %s (at byte %zu of the file)", r->path,
                       strerror(errno), r->file_pos);
    return 0;
}

/* Open path and look at its first bytes to learn whether it is gzip. */
static int rd_open(reader *r, const char *path, sw_err *err) {
    memset(r, 0, offsetof(reader, inbuf));
    r->path = path;
    r->f = fopen(path, "rb");
    if (!r->f) {
        int e = errno;
        return err_set(err, ERR_INPUT, "%s: cannot open: %s%s", path, strerror(e),
                       e == ENOENT ? fix_hint(path) : "");
    }
    struct stat st;
    if (fstat(fileno(r->f), &st) == 0 && S_ISDIR(st.st_mode))
        return err_set(err, ERR_INPUT, "%s: is a directory, not an IDX file (at byte 0)", path);
    if (rd_fill(r, err)) return -1;
    if (r->avail >= 2 && r->inbuf[0] == 0x1f && r->inbuf[1] == 0x8b) {
        r->gz = 1;
        /* 16 + MAX_WBITS: expect a gzip wrapper and check its CRC-32 and length. */
        if (inflateInit2(&r->zs, 16 + MAX_WBITS) != Z_OK)
            return err_set(err, ERR_INTERNAL, "%s: cannot start zlib: out of memory", path);
        r->zs_live = 1;
    }
    return 0;
}

static void rd_close(reader *r) {
    if (r->zs_live) inflateEnd(&r->zs);
    if (r->f) fclose(r->f);
    r->zs_live = 0;
    r->f = NULL;
}

/* Inflate up to n bytes into dst; *got < n only at the true end of the data.
 * Fails on corrupt or truncated gzip, and on non-gzip bytes after a member. */
static int rd_inflate(reader *r, unsigned char *dst, size_t n, size_t *got, sw_err *err) {
    size_t done = 0;
    while (done < n && !r->gz_end) {
        if (r->avail == 0) {
            if (rd_fill(r, err)) return -1;
            if (r->avail == 0)
                return err_set(err, ERR_INPUT,
                               "%s: gzip stream ends early: the file is truncated (at byte %zu of "
                               "the decompressed data)%s",
                               r->path, r->out + done, fix_hint(r->path));
        }
        size_t chunk = n - done < ((size_t)1 << 30) ? n - done : ((size_t)1 << 30);
        r->zs.next_in = r->inbuf + r->next;
        r->zs.avail_in = (uInt)r->avail;
        r->zs.next_out = dst + done;
        r->zs.avail_out = (uInt)chunk;
        int rc = inflate(&r->zs, Z_NO_FLUSH);
        size_t used = r->avail - r->zs.avail_in;
        r->next += used;
        r->avail -= used;
        done += chunk - r->zs.avail_out;
        if (rc == Z_STREAM_END) {
            /* Another member may follow (as `cat a.gz b.gz` makes); anything else is junk. */
            if (r->avail < 2 && rd_fill(r, err)) return -1;
            if (r->avail == 0) {
                r->gz_end = 1;
            } else if (r->avail >= 2 && r->inbuf[r->next] == 0x1f && r->inbuf[r->next + 1] == 0x8b) {
                inflateReset(&r->zs);
            } else {
                return err_set(err, ERR_INPUT,
                               "%s: bytes after the end of the gzip stream are not gzip data (at "
                               "byte %zu of the file)%s",
                               r->path, r->file_pos - r->avail, fix_hint(r->path));
            }
        } else if (rc == Z_DATA_ERROR || rc == Z_NEED_DICT) {
            return err_set(err, ERR_INPUT,
                           "%s: corrupt gzip data: %s (at byte %zu of the decompressed data)%s",
                           r->path, r->zs.msg ? r->zs.msg : "bad stream", r->out + done,
                           fix_hint(r->path));
        } else if (rc == Z_MEM_ERROR) {
            return err_set(err, ERR_INTERNAL, "%s: zlib ran out of memory", r->path);
        } else if (rc != Z_OK && rc != Z_BUF_ERROR) {
            return err_set(err, ERR_INTERNAL, "%s: zlib error %d", r->path, rc);
        }
    }
    *got = done;
    return 0;
}

/* Read up to n bytes into dst; *got < n means the data ended there. */
static int rd_read(reader *r, void *dst, size_t n, size_t *got, sw_err *err) {
    size_t done = 0;
    if (r->gz) {
        if (rd_inflate(r, dst, n, &done, err)) return -1;
    } else {
        size_t k = r->avail < n ? r->avail : n;
        memcpy(dst, r->inbuf + r->next, k);
        r->next += k;
        r->avail -= k;
        done = k;
        if (done < n) {
            size_t m = fread((unsigned char *)dst + done, 1, n - done, r->f);
            r->file_pos += m;
            done += m;
            if (done < n && ferror(r->f))
                return err_set(err, ERR_INPUT, "%s: read error: %s (at byte %zu)", r->path,
                               strerror(errno), r->out + done);
        }
    }
    r->out += done;
    *got = done;
    return 0;
}

/* ---- IDX ---- */

static const char *idx_type_name(int t) {
    switch (t) {
    case 0x08: return "unsigned byte";
    case 0x09: return "signed byte";
    case 0x0B: return "16-bit int";
    case 0x0C: return "32-bit int";
    case 0x0D: return "32-bit float";
    case 0x0E: return "64-bit float";
    default:   return "unknown type";
    }
}

static uint32_t be32(const unsigned char *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static int err_truncated(const reader *r, size_t header, size_t need, size_t have, sw_err *err) {
    return err_set(err, ERR_INPUT,
                   "%s: truncated: the header promises %zu data bytes after the %zu-byte header "
                   "but only %zu are there (data ends at byte %zu%s)%s",
                   r->path, need, header, have, header + have, where(r), fix_hint(r->path));
}

/* Header fields: magic, type, ndim, dims, and the data size they promise. */
static int idx_header(reader *r, data_idx *out, sw_err *err) {
    unsigned char h[4 + 4 * 4];
    size_t got;
    if (rd_read(r, h, 4, &got, err)) return -1;
    if (got == 0)
        return err_set(err, ERR_INPUT, "%s: %s, expected an IDX file (at byte 0%s)%s", r->path,
                       r->gz ? "gzip data decompresses to nothing" : "empty file (0 bytes)",
                       where(r), fix_hint(r->path));
    if (got < 4)
        return err_set(err, ERR_INPUT,
                       "%s: file ends inside the IDX header: %zu bytes, the magic alone needs 4 "
                       "(at byte %zu%s)%s",
                       r->path, got, got, where(r), fix_hint(r->path));
    if (h[0] != 0 || h[1] != 0)
        return err_set(err, ERR_INPUT,
                       "%s: not an IDX file: it starts %02x %02x %02x %02x, an IDX file starts "
                       "00 00 08 0N (at byte %d%s)",
                       r->path, h[0], h[1], h[2], h[3], h[0] != 0 ? 0 : 1, where(r));
    if (h[2] != 0x08)
        return err_set(err, ERR_INPUT,
                       "%s: unsupported IDX data type 0x%02x (%s); only 0x08 (unsigned byte) is "
                       "supported (at byte 2%s)",
                       r->path, h[2], idx_type_name(h[2]), where(r));
    int ndim = h[3];
    if (ndim < 1 || ndim > 4)
        return err_set(err, ERR_INPUT,
                       "%s: unsupported IDX dimension count %d, expected 1 to 4 (at byte 3%s)",
                       r->path, ndim, where(r));
    size_t hlen = 4 + 4 * (size_t)ndim;
    if (rd_read(r, h + 4, hlen - 4, &got, err)) return -1;
    if (got < hlen - 4)
        return err_set(err, ERR_INPUT,
                       "%s: file ends inside the IDX header: %zu bytes, a %d-dimensional header "
                       "needs %zu (at byte %zu%s)%s",
                       r->path, 4 + got, ndim, hlen, 4 + got, where(r), fix_hint(r->path));
    uint64_t size = 1;
    for (int k = 0; k < ndim; k++) {
        uint32_t d = be32(h + 4 + 4 * k);
        size_t at = 4 + 4 * (size_t)k;
        if (d == 0 && k == 0)
            return err_set(err, ERR_INPUT,
                           "%s: empty data set: the item count is 0 (at byte %zu%s)", r->path,
                           at, where(r));
        if (d == 0)
            return err_set(err, ERR_INPUT, "%s: dimension %d of %d is 0 (at byte %zu%s)",
                           r->path, k + 1, ndim, at, where(r));
        if (d > DATA_MAX_BYTES / size)
            return err_set(err, ERR_INPUT,
                           "%s: dimensions too large: the data would pass the 2^31-byte limit "
                           "at dimension %d (%u) (at byte %zu%s)",
                           r->path, k + 1, d, at, where(r));
        size *= d;
        out->dims[k] = (int)d;
    }
    out->ndim = ndim;
    out->size = (size_t)size;
    return 0;
}

void data_idx_free(data_idx *idx) {
    if (!idx) return;
    free(idx->bytes);
    memset(idx, 0, sizeof *idx);
}

/* Reads everything into *out; `gz` (may be NULL) says whether it was gzip. */
static int idx_read(data_idx *out, const char *path, int *gz, sw_err *err) {
    memset(out, 0, sizeof *out);
    reader *r = malloc(sizeof *r);
    if (!r) return err_set(err, ERR_INTERNAL, "%s: out of memory", path);
    int rc = -1;
    if (rd_open(r, path, err) || idx_header(r, out, err)) goto done;
    size_t hlen = 4 + 4 * (size_t)out->ndim;

    /* A raw file's size is known: a header promising more than is there is
     * caught before allocating for it. */
    struct stat st;
    if (!r->gz && fstat(fileno(r->f), &st) == 0 && S_ISREG(st.st_mode) &&
        (uint64_t)st.st_size < hlen + (uint64_t)out->size) {
        err_truncated(r, hlen, out->size, (size_t)st.st_size - hlen, err);
        goto done;
    }

    /* Grow the buffer as bytes arrive, so a lying gzip header cannot make us
     * allocate 2 GiB up front. */
    size_t cap = out->size < ((size_t)1 << 26) ? out->size : ((size_t)1 << 26), have = 0;
    out->bytes = malloc(cap);
    if (!out->bytes) {
        err_set(err, ERR_INTERNAL, "%s: out of memory for %zu bytes", path, cap);
        goto done;
    }
    for (;;) {
        size_t got;
        if (rd_read(r, out->bytes + have, cap - have, &got, err)) goto done;
        have += got;
        if (have < cap) {
            err_truncated(r, hlen, out->size, have, err);
            goto done;
        }
        if (cap == out->size) break;
        size_t ncap = cap * 2 < out->size ? cap * 2 : out->size;
        uint8_t *nb = realloc(out->bytes, ncap);
        if (!nb) {
            err_set(err, ERR_INTERNAL, "%s: out of memory for %zu bytes", path, ncap);
            goto done;
        }
        out->bytes = nb;
        cap = ncap;
    }

    /* Nothing may follow; reading to the end also checks the gzip trailer. */
    unsigned char scratch[4096];
    size_t extra = 0, got = sizeof scratch;
    while (got == sizeof scratch && extra < DATA_TRAILING_CAP) {
        if (rd_read(r, scratch, sizeof scratch, &got, err)) goto done;
        extra += got;
    }
    if (extra) {
        err_set(err, ERR_INPUT,
                "%s: %s%zu extra bytes after the data: the header promises exactly %zu bytes in "
                "all (at byte %zu%s)",
                path, got == sizeof scratch ? "more than " : "", extra, hlen + out->size,
                hlen + out->size, where(r));
        goto done;
    }
    if (gz) *gz = r->gz;
    rc = 0;
done:
    rd_close(r);
    free(r);
    if (rc) data_idx_free(out);
    return rc;
}

int data_idx_read(data_idx *out, const char *path, sw_err *err) {
    return idx_read(out, path, NULL, err);
}

int data_idx_write(const char *path, const data_idx *idx, int gzip, sw_err *err) {
    uint64_t size = 1;
    if (idx->ndim < 1 || idx->ndim > 4)
        return err_set(err, ERR_INTERNAL, "%s: cannot write an IDX file with %d dimensions", path,
                       idx->ndim);
    for (int k = 0; k < idx->ndim; k++) {
        if (idx->dims[k] <= 0)
            return err_set(err, ERR_INTERNAL, "%s: cannot write dimension %d = %d", path, k + 1,
                           idx->dims[k]);
        size *= (uint64_t)idx->dims[k];
        if (size > DATA_MAX_BYTES)
            return err_set(err, ERR_INTERNAL, "%s: data over the 2^31-byte limit", path);
    }
    if (size != idx->size || (size && !idx->bytes))
        return err_set(err, ERR_INTERNAL, "%s: size %zu does not match the dimensions (%llu)",
                       path, idx->size, (unsigned long long)size);

    unsigned char h[4 + 4 * 4] = {0, 0, 0x08, (unsigned char)idx->ndim};
    for (int k = 0; k < idx->ndim; k++) {
        uint32_t d = (uint32_t)idx->dims[k];
        h[4 + 4 * k] = (unsigned char)(d >> 24);
        h[5 + 4 * k] = (unsigned char)(d >> 16);
        h[6 + 4 * k] = (unsigned char)(d >> 8);
        h[7 + 4 * k] = (unsigned char)d;
    }
    size_t hlen = 4 + 4 * (size_t)idx->ndim;

    if (gzip) {
        errno = 0;
        gzFile g = gzopen(path, "wb");
        if (!g)
            return err_set(err, ERR_INPUT, "%s: cannot create: %s", path,
                           errno ? strerror(errno) : "out of memory");
        int ok = gzwrite(g, h, (unsigned)hlen) == (int)hlen &&
                 gzwrite(g, idx->bytes, (unsigned)idx->size) == (int)idx->size;
        char msg[256] = "";
        if (!ok) {
            int zerr = 0;
            const char *zmsg = gzerror(g, &zerr);
            snprintf(msg, sizeof msg, "%s", zerr == Z_ERRNO ? strerror(errno) : zmsg ? zmsg : "?");
        }
        if (gzclose(g) != Z_OK && ok) {
            ok = 0;
            snprintf(msg, sizeof msg, "%s", errno ? strerror(errno) : "gzclose failed");
        }
        if (!ok) return err_set(err, ERR_INPUT, "%s: write failed: %s", path, msg);
        return 0;
    }
    FILE *f = fopen(path, "wb");
    if (!f) return err_set(err, ERR_INPUT, "%s: cannot create: %s", path, strerror(errno));
    int ok = fwrite(h, 1, hlen, f) == hlen && fwrite(idx->bytes, 1, idx->size, f) == idx->size;
    int e = errno;
    if (fclose(f) != 0 && ok) {
        ok = 0;
        e = errno;
    }
    if (!ok) return err_set(err, ERR_INPUT, "%s: write failed: %s", path, strerror(e));
    return 0;
}

/* ---- image/label sets ---- */

void data_free(data_set *ds) {
    if (!ds) return;
    free(ds->images);
    free(ds->labels);
    memset(ds, 0, sizeof *ds);
}

int data_load(data_set *ds, const char *images_path, const char *labels_path, int classes,
              sw_err *err) {
    memset(ds, 0, sizeof *ds);
    if (classes < 0)
        return err_set(err, ERR_INTERNAL, "%s: classes must be 0 (take it from the labels) or "
                       "positive, not %d", labels_path, classes);
    data_idx im, lb;
    int lb_gz = 0;
    memset(&lb, 0, sizeof lb);
    if (idx_read(&im, images_path, NULL, err)) return -1;
    if (im.ndim != 3 && im.ndim != 4) {
        err_set(err, ERR_INPUT,
                "%s: an image file has 3 dimensions (n, rows, cols) or 4 (n, rows, cols, "
                "channels), this one has %d (at byte 3); is it a label file?",
                images_path, im.ndim);
        goto fail;
    }
    if (idx_read(&lb, labels_path, &lb_gz, err)) goto fail;
    if (lb.ndim != 1) {
        err_set(err, ERR_INPUT,
                "%s: a label file has 1 dimension (n), this one has %d (at byte 3); is it an "
                "image file?",
                labels_path, lb.ndim);
        goto fail;
    }
    if (im.dims[0] != lb.dims[0]) {
        err_set(err, ERR_INPUT,
                "%s: %d labels, but %s has %d images; the two files must be from the same set "
                "(at byte 4%s)",
                labels_path, lb.dims[0], images_path, im.dims[0],
                lb_gz ? " of the decompressed data" : "");
        goto fail;
    }
    int n = lb.dims[0], maxl = 0;
    for (int i = 0; i < n; i++) {
        int l = lb.bytes[i];
        if (classes > 0 && l >= classes) {
            err_set(err, ERR_INPUT,
                    "%s: label %d of example %d is not below classes=%d (at byte %d%s)",
                    labels_path, l, i, classes, 8 + i, lb_gz ? " of the decompressed data" : "");
            goto fail;
        }
        if (l > maxl) maxl = l;
    }
    int h = im.dims[1], w = im.dims[2], c = im.ndim == 4 ? im.dims[3] : 1;
    ds->images = im.bytes;
    ds->labels = lb.bytes;
    ds->n = n;
    ds->c = c;
    ds->h = h;
    ds->w = w;
    ds->dim = c * h * w;
    ds->classes = classes > 0 ? classes : maxl + 1;
    return 0;
fail:
    data_idx_free(&im);
    data_idx_free(&lb);
    return -1;
}

/* dir/name if it exists, else dir/name.gz if that does; else an error naming both. */
static int find_file(char *out, size_t size, const char *dir, const char *name, sw_err *err) {
    struct stat st;
    int k = snprintf(out, size, "%s/%s", dir, name);
    if (k < 0 || (size_t)k + 3 >= size)
        return err_set(err, ERR_INPUT, "%s: data directory path too long", dir);
    if (stat(out, &st) == 0 || errno != ENOENT) return 0;  /* data_idx_read says what is wrong */
    strcat(out, ".gz");
    if (stat(out, &st) == 0 || errno != ENOENT) return 0;
    return err_set(err, ERR_INPUT, "%s/%s: no such file, nor %s/%s.gz; run %s to download it",
                   dir, name, dir, name,
                   strstr(dir, "fashion") ? "`make data-fashion`"
                                          : "`make data` (or `make data-fashion` for Fashion-MNIST)");
}

int data_load_dir(data_set *train, data_set *test, const char *dir, int classes, sw_err *err) {
    char ti[4096], tl[4096], vi[4096], vl[4096];
    memset(train, 0, sizeof *train);
    memset(test, 0, sizeof *test);
    if (find_file(ti, sizeof ti, dir, "train-images-idx3-ubyte", err) ||
        find_file(tl, sizeof tl, dir, "train-labels-idx1-ubyte", err) ||
        find_file(vi, sizeof vi, dir, "t10k-images-idx3-ubyte", err) ||
        find_file(vl, sizeof vl, dir, "t10k-labels-idx1-ubyte", err))
        return -1;
    if (data_load(train, ti, tl, classes, err)) return -1;
    if (data_load(test, vi, vl, train->classes, err)) goto fail;
    if (test->c != train->c || test->h != train->h || test->w != train->w) {
        err_set(err, ERR_INPUT,
                "%s: test images are %dx%dx%d (channels x rows x cols) but the train images in %s "
                "are %dx%dx%d; both must come from the same data set",
                vi, test->c, test->h, test->w, ti, train->c, train->h, train->w);
        goto fail;
    }
    return 0;
fail:
    data_free(train);
    data_free(test);
    return -1;
}

/* ---- split and batches ---- */

static int cmp_int(const void *a, const void *b) {
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

/* train_idx is (n - n_val), val_idx is (n_val); n_val is clamped to 0..n. */
void data_split(int *train_idx, int *val_idx, int n, int n_val, uint64_t seed) {
    if (n <= 0) return;
    if (n_val < 0) n_val = 0;
    if (n_val > n) n_val = n;
    int *perm = malloc((size_t)n * sizeof *perm);
    if (!perm) abort();  /* a few hundred KiB; the void contract has no way to fail */
    for (int i = 0; i < n; i++) perm[i] = i;
    rng r;
    rng_seed(&r, seed, DATA_SPLIT_STREAM);
    rng_shuffle(&r, perm, n);
    memcpy(val_idx, perm, (size_t)n_val * sizeof *perm);
    free(perm);
    qsort(val_idx, (size_t)n_val, sizeof *val_idx, cmp_int);
    /* The training list is the complement, and comes out sorted. */
    for (int i = 0, v = 0, t = 0; i < n; i++) {
        if (v < n_val && val_idx[v] == i) v++;
        else train_idx[t++] = i;
    }
}

/* x is (B, dim) floats, y is (B). pixel * (1/255.0f) is within 1 ulp of
 * pixel / 255, gives exactly 0 and 1 at the ends, and vectorizes. */
void data_batch(float *restrict x, int *restrict y, const data_set *ds, const int *restrict idx,
                int B) {
    const float scale = 1.0f / 255.0f;
    const size_t dim = (size_t)ds->dim;
    const uint8_t *restrict images = ds->images;
    for (int b = 0; b < B; b++) {
        /* The rows are scattered over the whole set: ask for the next one
         * early, or every row starts with a wait on memory. */
        if (b + 1 < B) {
            const uint8_t *next = images + (size_t)idx[b + 1] * dim;
            for (size_t j = 0; j < dim; j += 64) __builtin_prefetch(next + j);
        }
        const uint8_t *restrict src = images + (size_t)idx[b] * dim;
        float *restrict dst = x + (size_t)b * dim;
        for (size_t j = 0; j < dim; j++) dst[j] = (float)src[j] * scale;
        y[b] = ds->labels[idx[b]];
    }
}
