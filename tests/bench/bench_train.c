/* bench_train.c - how close one core's training gets to its sgemm rate.
 *
 * For 784-256-10 on MNIST at each batch size given: seconds per epoch
 * (median over the epochs; an epoch is 50,000 training + 10,000 validation
 * examples), examples per second, achieved GFLOP/s, and single-thread sgemm
 * GFLOP/s on exactly the products one training step makes, with the ratio.
 * The sgemm rate is measured between the epochs (in the epoch callback), so
 * both figures see the same machine state; each is a median.
 * A benchmark, not a test: `make bench` (tests/bench/run.sh) runs it.
 *
 * With --config FILE it trains that config's model instead (its optimizer,
 * schedule and batch size; `make bench` passes configs/cnn.yaml) and prints
 * the median seconds per epoch alone.
 *
 * usage: bench_train DATA_DIR EPOCHS BATCH...
 *        bench_train --config FILE EPOCHS */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "data.h"
#include "train.h"

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

enum { IN = 784, HID = 256, OUT = 10 };

/* Multiply-adds of one training example (forward, dW, din of layer 2) and of
 * one evaluated example (forward only). */
static const double train_macs = 2.0 * (IN * HID + HID * OUT) + HID * OUT;
static const double eval_macs = IN * HID + HID * OUT;

/* GFLOP/s of the five sgemm calls of a training step at batch B (the weight
 * gradients added into their buffers, beta 1, as dense_backward does), repeated for
 * about `seconds`; median of 5 timings. */
static double sgemm_rate(int B, double seconds) {
    float *x = calloc((size_t)B * IN, 4), *w1 = calloc(HID * IN, 4), *h = calloc((size_t)B * HID, 4);
    float *w2 = calloc(OUT * HID, 4), *o = calloc((size_t)B * OUT, 4), *dw1 = calloc(HID * IN, 4);
    float *dw2 = calloc(OUT * HID, 4), *dh = calloc((size_t)B * HID, 4);
    for (int i = 0; i < B * IN; i++) x[i] = (float)(i % 255) / 255.0f;
    for (int i = 0; i < HID * IN; i++) w1[i] = 0.01f * (float)(i % 17);
    double t[5];
    for (int r = 0; r < 5; r++) {
        long steps = 0;
        double t0 = now(), t1;
        do {
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, B, HID, IN, 1, x, IN, w1, IN, 0, h, HID);
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, B, OUT, HID, 1, h, HID, w2, HID, 0, o, OUT);
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, OUT, HID, B, 1, o, OUT, h, HID, 1, dw2, HID);
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, B, HID, OUT, 1, o, OUT, w2, HID, 0, dh, HID);
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, HID, IN, B, 1, dh, HID, x, IN, 1, dw1, IN);
            steps++;
            t1 = now();
        } while (t1 - t0 < seconds / 5);
        t[r] = 2.0 * train_macs * B * steps / (t1 - t0) / 1e9;
    }
    qsort(t, 5, sizeof t[0], cmp_double);
    free(x); free(w1); free(h); free(w2); free(o); free(dw1); free(dw2); free(dh);
    return t[2];
}

enum { MAX_EPOCHS = 32 };
typedef struct { int n, batch; double s[MAX_EPOCHS], rate[MAX_EPOCHS]; } times;

/* After each epoch: note its time, then time sgemm at the same shapes
 * (batch 0: no sgemm timing). */
static int record(void *ctx, const train_epoch *e) {
    times *t = ctx;
    if (t->n < MAX_EPOCHS) {
        t->s[t->n] = e->seconds;
        t->rate[t->n++] = t->batch ? sgemm_rate(t->batch, 0.5) : 0.0;
    }
    return 0;
}

static double median(double *v, int n) {
    qsort(v, (size_t)n, sizeof v[0], cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* The model, optimizer, schedule and batch size of a config file, for
 * `epochs` epochs on its data (loaded and split as sweep would). */
static int bench_config(const char *file, int epochs) {
    cfg_file cfg;
    sw_err err;
    if (cfg_load(&cfg, file, NULL, 0, &err)) {
        fprintf(stderr, "bench_train: %s\n", err.msg);
        return 2;
    }
    run_cfg *rc = &cfg.base;
    data_set tr, te;
    if (data_load_dir(&tr, &te, rc->data.dir, rc->data.classes, &err)) {
        fprintf(stderr, "bench_train: %s\n", err.msg);
        cfg_free(&cfg);
        return 2;
    }
    int nval = rc->data.validation;
    int *ti = malloc(sizeof(int) * (size_t)tr.n), *vi = malloc(sizeof(int) * (size_t)tr.n);
    data_split(ti, vi, tr.n, nval, rc->data.split_seed);
    train_data d = {&tr, ti, tr.n - nval, vi, nval, &te};
    layer_spec L[CFG_MAX_LAYERS];
    int nl = cfg_layers(&rc->model, tr.classes, L, CFG_MAX_LAYERS);
    char model[256];
    nn_describe(L, nl, model, sizeof model);
    train_cfg tc = rc->train;
    tc.epochs = epochs;
    times t = {.batch = 0};
    train_result res;
    int code = 0;
    if (train_run(&res, &tc, L, nl, &d, record, &t, 0, &err)) {
        fprintf(stderr, "bench_train: %s\n", err.msg);
        code = 1;
    } else {
        printf("%s (%s), batch %d: median %.3f s/epoch over %d epochs of %d train + %d "
               "validation examples\n", file, model, tc.batch_size, median(t.s, t.n), t.n,
               d.n_train, d.n_val);
    }
    free(ti); free(vi);
    data_free(&tr); data_free(&te);
    cfg_free(&cfg);
    return code;
}

int main(int argc, char **argv) {
    openblas_set_num_threads(1);
    if (argc == 4 && !strcmp(argv[1], "--config")) return bench_config(argv[2], atoi(argv[3]));
    if (argc < 4) {
        fprintf(stderr, "usage: bench_train DATA_DIR EPOCHS BATCH...\n");
        return 2;
    }
    const char *dir = argv[1];
    int epochs = atoi(argv[2]);
    if (epochs < 1 || epochs > MAX_EPOCHS) {
        fprintf(stderr, "bench_train: EPOCHS must be 1..%d\n", MAX_EPOCHS);
        return 2;
    }
    openblas_set_num_threads(1);
    sw_err err;
    data_set tr, te;
    if (data_load_dir(&tr, &te, dir, 10, &err)) {
        fprintf(stderr, "bench_train: %s\n", err.msg);
        return 2;
    }
    int *ti = malloc(sizeof(int) * (size_t)tr.n), *vi = malloc(sizeof(int) * (size_t)tr.n);
    data_split(ti, vi, tr.n, 10000, 1);
    train_data d = {&tr, ti, tr.n - 10000, vi, 10000, &te};
    layer_spec L[] = {{.type = LAYER_DENSE, .units = HID}, {.type = LAYER_RELU},
                      {.type = LAYER_DENSE, .units = OUT}};
    double epoch_gflop = (d.n_train * train_macs + d.n_val * eval_macs) * 2 / 1e9;
    printf("784-256-10 on one core, %d train + %d validation examples per epoch (%.1f GFLOP)\n",
           d.n_train, d.n_val, epoch_gflop);
    printf("%6s %12s %12s %12s %14s %8s\n", "batch", "s/epoch", "examples/s", "GFLOP/s",
           "sgemm GFLOP/s", "ratio");
    for (int b = 3; b < argc; b++) {
        int batch = atoi(argv[b]);
        train_cfg tc = {.epochs = epochs, .batch_size = batch, .seed = 1, .l2 = 1e-4};
        tc.optimizer = (optim_cfg){.type = OPT_SGD, .momentum = 0.9};
        tc.lr = (lr_cfg){.schedule = LR_CONSTANT, .initial = 0.05};
        times t = {.batch = batch};
        train_result res;
        if (train_run(&res, &tc, L, 3, &d, record, &t, 0, &err)) {
            fprintf(stderr, "bench_train: %s\n", err.msg);
            return 1;
        }
        double med = median(t.s, t.n), rate = median(t.rate, t.n), gf = epoch_gflop / med;
        printf("%6d %12.3f %12.0f %12.1f %14.1f %7.0f%%\n", batch, med, d.n_train / med, gf,
               rate, 100 * gf / rate);
        fflush(stdout);
    }
    free(ti); free(vi);
    data_free(&tr); data_free(&te);
    return 0;
}
