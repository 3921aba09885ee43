/* gen_data.c - writes a small MNIST-shaped IDX data set for the end-to-end
 * tests: 28x28 images, 10 classes, class k drawn as a bright bar at row band
 * k plus noise, so a small net learns it in a few epochs.
 *
 * usage: gen_data DIR N_TRAIN N_TEST [gz] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "data.h"
#include "rng.h"

static int write_set(const char *dir, const char *prefix, int n, int gz, uint64_t seed) {
    data_idx img = {3, {n, 28, 28, 0}, malloc((size_t)n * 784), (size_t)n * 784};
    data_idx lab = {1, {n, 0, 0, 0}, malloc((size_t)n), (size_t)n};
    rng r;
    rng_seed(&r, seed, 0);
    for (int i = 0; i < n; i++) {
        int k = (int)rng_below(&r, 10);
        lab.bytes[i] = (uint8_t)k;
        for (int p = 0; p < 784; p++) {
            int row = p / 28, band = 2 + k * 2 + (int)rng_below(&r, 2);
            int v = (int)rng_below(&r, 90);
            if (row == band && p % 28 > 4 && p % 28 < 24) v += 120;
            img.bytes[(size_t)i * 784 + p] = (uint8_t)v;
        }
    }
    char pi[1024], pl[1024];
    const char *ext = gz ? ".gz" : "";
    snprintf(pi, sizeof pi, "%s/%s-images-idx3-ubyte%s", dir, prefix, ext);
    snprintf(pl, sizeof pl, "%s/%s-labels-idx1-ubyte%s", dir, prefix, ext);
    sw_err err;
    int rc = data_idx_write(pi, &img, gz, &err) || data_idx_write(pl, &lab, gz, &err);
    if (rc) fprintf(stderr, "gen_data: %s\n", err.msg);
    free(img.bytes);
    free(lab.bytes);
    return rc;
}

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: gen_data DIR N_TRAIN N_TEST [gz]\n");
        return 2;
    }
    mkdir(argv[1], 0777);
    int gz = argc > 4 && !strcmp(argv[4], "gz");
    if (write_set(argv[1], "train", atoi(argv[2]), gz, 1)) return 1;
    if (write_set(argv[1], "t10k", atoi(argv[3]), gz, 2)) return 1;
    return 0;
}
