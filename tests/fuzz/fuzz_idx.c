/* fuzz_idx.c - libFuzzer target: an IDX file through data_idx_read.
 *
 * The first input byte picks the path: even, the rest of the input is the
 * file as is (raw IDX, or anything that happens to start with the gzip magic);
 * odd, the rest is gzip-compressed first, so the decompressed stream is what
 * the fuzzer controls. The file is a memfd read by its /proc path. On success
 * the result must be self-consistent (size = product of dims). Built by
 * `make fuzz`. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <zlib.h>

#include "data.h"

static int memfd = -1;
static char path[64];

static size_t gzip_bytes(uint8_t *out, size_t cap, const uint8_t *in, size_t n) {
    z_stream z;
    memset(&z, 0, sizeof z);
    if (deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) abort();
    z.next_in = (Bytef *)in;
    z.avail_in = (uInt)n;
    z.next_out = out;
    z.avail_out = (uInt)cap;
    if (deflate(&z, Z_FINISH) != Z_STREAM_END) abort();
    size_t len = cap - z.avail_out;
    deflateEnd(&z);
    return len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    if (memfd < 0) {
        memfd = memfd_create("fuzz_idx", 0);
        if (memfd < 0) abort();
        snprintf(path, sizeof path, "/proc/self/fd/%d", memfd);
    }
    const uint8_t *body = data + 1;
    size_t blen = size - 1;
    uint8_t *gz = NULL;
    if (data[0] & 1) {
        size_t cap = compressBound((uLong)blen) + 64;
        gz = malloc(cap);
        blen = gzip_bytes(gz, cap, body, blen);
        body = gz;
    }
    if (ftruncate(memfd, 0) || (blen && pwrite(memfd, body, blen, 0) != (ssize_t)blen)) abort();
    free(gz);

    data_idx idx;
    sw_err err = {0};
    if (data_idx_read(&idx, path, &err) == 0) {
        size_t prod = 1;
        if (idx.ndim < 1 || idx.ndim > 4) abort();
        for (int k = 0; k < idx.ndim; k++) {
            if (idx.dims[k] < 0) abort();
            prod *= (size_t)idx.dims[k];
        }
        if (prod != idx.size) abort();
        volatile uint8_t sink = 0;
        for (size_t i = 0; i < idx.size; i++) sink ^= idx.bytes[i];
        (void)sink;
        data_idx_free(&idx);
    } else if (!err.msg[0]) {
        fprintf(stderr, "data_idx_read failed without a message\n");
        abort();
    }
    return 0;
}
