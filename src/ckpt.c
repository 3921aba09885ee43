/* ckpt.c - checkpoint files. See ckpt.h for the format.
 *
 * Integers and floats are written byte by byte in little-endian order, so a
 * file means the same on any machine. The whole file is read into memory,
 * checked (length against the header's sizes first, then the CRC), then
 * decoded. Called by the workers (writing, when train.save is best) and by
 * `sweep eval` (reading). */
#include "ckpt.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define MAGIC "SWEEPCKP"
#define HEADER 48

static void put32(unsigned char *p, uint32_t v) {
    for (int i = 0; i < 4; i++) p[i] = (unsigned char)(v >> (8 * i));
}
static void put64(unsigned char *p, uint64_t v) {
    for (int i = 0; i < 8; i++) p[i] = (unsigned char)(v >> (8 * i));
}
static uint32_t get32(const unsigned char *p) {
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) v |= (uint32_t)p[i] << (8 * i);
    return v;
}
static uint64_t get64(const unsigned char *p) {
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) v |= (uint64_t)p[i] << (8 * i);
    return v;
}

/* n floats to/from little-endian bytes */
static void put_floats(unsigned char *p, const float *f, size_t n) {
    for (size_t i = 0; i < n; i++) {
        uint32_t u;
        memcpy(&u, &f[i], 4);
        put32(p + 4 * i, u);
    }
}
static void get_floats(float *f, const unsigned char *p, size_t n) {
    for (size_t i = 0; i < n; i++) {
        uint32_t u = get32(p + 4 * i);
        memcpy(&f[i], &u, 4);
    }
}

int ckpt_write(const char *path, const ckpt *c, sw_err *err) {
    size_t L = strlen(c->config);
    size_t size = HEADER + L + 4 * (c->nparams + c->nstate) + 4;
    unsigned char *buf = malloc(size);
    if (!buf) return err_set(err, ERR_INTERNAL, "%s: out of memory writing the checkpoint", path);
    memcpy(buf, MAGIC, 8);
    put32(buf + 8, CKPT_VERSION);
    put32(buf + 12, (uint32_t)L);
    put32(buf + 16, (uint32_t)c->input.c);
    put32(buf + 20, (uint32_t)c->input.h);
    put32(buf + 24, (uint32_t)c->input.w);
    put32(buf + 28, (uint32_t)c->classes);
    put64(buf + 32, c->nparams);
    put64(buf + 40, c->nstate);
    memcpy(buf + HEADER, c->config, L);
    put_floats(buf + HEADER + L, c->params, c->nparams);
    put_floats(buf + HEADER + L + 4 * c->nparams, c->state, c->nstate);
    put32(buf + size - 4, (uint32_t)crc32(0L, buf, (uInt)(size - 4)));
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "wb");
    int ok = f && fwrite(buf, 1, size, f) == size;
    ok = f && fclose(f) == 0 && ok;
    free(buf);
    if (!ok || rename(tmp, path)) {
        int e = errno;
        remove(tmp);
        return err_set(err, ERR_INPUT, "%s: cannot write the checkpoint: %s", path, strerror(e));
    }
    return 0;
}

void ckpt_free(ckpt *c) {
    if (!c) return;
    free(c->config);
    free(c->params);
    free(c->state);
    memset(c, 0, sizeof *c);
}

int ckpt_read(ckpt *out, const char *path, sw_err *err) {
    memset(out, 0, sizeof *out);
    FILE *f = fopen(path, "rb");
    if (!f) return err_set(err, ERR_INPUT, "%s: cannot open the checkpoint: %s", path, strerror(errno));
    unsigned char *buf = NULL;
    size_t size = 0;
    long end = -1;
    if (fseek(f, 0, SEEK_END) == 0) end = ftell(f);
    if (end < 0 || fseek(f, 0, SEEK_SET) != 0) {
        fclose(f);
        return err_set(err, ERR_INPUT, "%s: cannot read the checkpoint (not a regular file?)", path);
    }
    size = (size_t)end;
    buf = malloc(size ? size : 1);
    if (!buf || fread(buf, 1, size, f) != size) {
        fclose(f);
        free(buf);
        return err_set(err, ERR_INPUT, "%s: cannot read the checkpoint", path);
    }
    fclose(f);
    int rc = -1;
    if (size < 8 || memcmp(buf, MAGIC, 8)) {
        err_set(err, ERR_INPUT, "%s: not a sweep checkpoint (it does not start with %s)", path, MAGIC);
        goto done;
    }
    if (size < HEADER + 4) {
        err_set(err, ERR_INPUT, "%s: truncated checkpoint: %zu bytes, the header alone is %d",
                path, size, HEADER + 4);
        goto done;
    }
    uint32_t version = get32(buf + 8);
    if (version != CKPT_VERSION) {
        err_set(err, ERR_INPUT, "%s: checkpoint format version %u; this sweep reads version %d%s",
                path, version, CKPT_VERSION, version > CKPT_VERSION ? " (upgrade sweep)" : "");
        goto done;
    }
    uint64_t L = get32(buf + 12), np = get64(buf + 32), ns = get64(buf + 40);
    /* Sizes first, so a damaged count cannot make us read past the end. */
    if (np > size || ns > size || L > size ||
        HEADER + L + 4 * (np + ns) + 4 != (uint64_t)size) {
        err_set(err, ERR_INPUT,
                "%s: truncated or damaged checkpoint: %zu bytes, but its header describes %llu",
                path, size, (unsigned long long)(HEADER + L + 4 * (np + ns) + 4));
        goto done;
    }
    uint32_t want = get32(buf + size - 4), got = (uint32_t)crc32(0L, buf, (uInt)(size - 4));
    if (want != got) {
        err_set(err, ERR_INPUT, "%s: checksum mismatch (stored %08x, computed %08x): the file "
                "is damaged", path, want, got);
        goto done;
    }
    out->input = (nn_shape){(int)get32(buf + 16), (int)get32(buf + 20), (int)get32(buf + 24), 0};
    out->classes = (int)get32(buf + 28);
    out->nparams = np;
    out->nstate = ns;
    out->config = malloc(L + 1);
    out->params = malloc(np ? 4 * np : 1);
    out->state = malloc(ns ? 4 * ns : 1);
    if (!out->config || !out->params || !out->state) {
        ckpt_free(out);
        err_set(err, ERR_INTERNAL, "%s: out of memory reading the checkpoint", path);
        goto done;
    }
    memcpy(out->config, buf + HEADER, L);
    out->config[L] = '\0';
    get_floats(out->params, buf + HEADER + L, np);
    get_floats(out->state, buf + HEADER + L + 4 * np, ns);
    rc = 0;
done:
    free(buf);
    return rc;
}
