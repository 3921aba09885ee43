/* fuzz_config.c - libFuzzer target: a config file through cfg_load.
 *
 * The input up to its first NUL byte is the YAML file (written to a memfd
 * and loaded by path, so the whole cfg_load path runs: node_parse_file,
 * overrides, cfg_resolve, the sweep section); the NUL-separated strings after
 * it (at most 4) are command-line overrides. On success the tree is emitted
 * back, the resolved config turned into a tree, and the sampler asked for its
 * first trials. Built by `make fuzz`. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "config.h"
#include "node.h"
#include "sampler.h"

static int memfd = -1;
static char path[64];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (memfd < 0) {
        memfd = memfd_create("fuzz_config.yaml", 0);
        if (memfd < 0) abort();
        snprintf(path, sizeof path, "/proc/self/fd/%d", memfd);
    }
    const uint8_t *nul = memchr(data, 0, size);
    size_t ylen = nul ? (size_t)(nul - data) : size;
    if (ftruncate(memfd, 0) || (ylen && pwrite(memfd, data, ylen, 0) != (ssize_t)ylen)) abort();

    /* Overrides: NUL-terminated copies of the strings after the first NUL. */
    char *ovr[4];
    int novr = 0;
    char *tail = NULL;
    if (nul) {
        size_t tlen = size - ylen - 1;
        tail = malloc(tlen + 1);
        memcpy(tail, nul + 1, tlen);
        tail[tlen] = 0;
        for (char *p = tail; p <= tail + tlen && novr < 4; p += strlen(p) + 1) ovr[novr++] = p;
    }

    cfg_file c;
    sw_err err = {0};
    if (cfg_load(&c, path, ovr, novr, &err) == 0) {
        char *y = node_emit(c.root, &err);
        free(y);
        node *t = cfg_to_node(&c.base, 1);
        if (t) {
            y = node_emit(t, &err);
            free(y);
            node_free(t);
        }
        layer_spec layers[CFG_MAX_LAYERS];
        cfg_layers(&c.base.model, 10, layers, CFG_MAX_LAYERS);
        if (c.sweep.present) {
            sampler s;
            if (sampler_init(&s, &c.sweep, &err) == 0) {
                int n = s.ops->count(&s);
                for (int k = 0; k < 3 && (n < 0 || k < n); k++) {
                    node *vals[CFG_MAX_PARAMS] = {0};
                    if (s.ops->suggest(&s, k, vals, &err)) break;
                    for (int i = 0; i < c.sweep.nparams; i++) node_free(vals[i]);
                }
                sampler_free(&s);
            }
        }
        cfg_free(&c);
    } else if (!err.msg[0] || (err.code != ERR_INPUT && err.code != ERR_INTERNAL)) {
        /* Every failure must say why. */
        fprintf(stderr, "cfg_load failed without a message (code %d)\n", err.code);
        abort();
    }
    free(tail);
    return 0;
}
