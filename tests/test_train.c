/* test_train.c - schedules, determinism, learning and divergence of train.c
 * on small generated data. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "train.h"

START_TEST(test_schedules) {
    lr_cfg c = {.schedule = LR_CONSTANT, .initial = 0.1, .factor = 0.5, .every = 3,
                .gamma = 0.9, .min = 0.01};
    ck_assert_double_eq_tol(train_lr(&c, 1, 10), 0.1, 1e-12);
    ck_assert_double_eq_tol(train_lr(&c, 10, 10), 0.1, 1e-12);
    c.schedule = LR_STEP;  /* epochs 1-3: 0.1, 4-6: 0.05, 7-9: 0.025 */
    ck_assert_double_eq_tol(train_lr(&c, 3, 10), 0.1, 1e-12);
    ck_assert_double_eq_tol(train_lr(&c, 4, 10), 0.05, 1e-12);
    ck_assert_double_eq_tol(train_lr(&c, 9, 10), 0.025, 1e-12);
    ck_assert_double_eq_tol(train_lr(&c, 10, 10), 0.0125, 1e-12);
    c.schedule = LR_EXPONENTIAL;
    ck_assert_double_eq_tol(train_lr(&c, 1, 10), 0.1, 1e-12);
    ck_assert_double_eq_tol(train_lr(&c, 3, 10), 0.1 * 0.81, 1e-12);
    c.schedule = LR_COSINE;  /* t = e-1 over T = 10 */
    ck_assert_double_eq_tol(train_lr(&c, 1, 10), 0.1, 1e-12);
    ck_assert_double_eq_tol(train_lr(&c, 6, 10), 0.01 + 0.09 * 0.5, 1e-12);
    ck_assert_double_eq_tol(train_lr(&c, 10, 10),
                            0.01 + 0.09 * 0.5 * (1 + cos(M_PI * 0.9)), 1e-12);
}
END_TEST

START_TEST(test_schedules_warmup) {
    lr_cfg c = {.schedule = LR_STEP, .initial = 0.3, .factor = 0.1, .every = 2, .warmup = 2};
    ck_assert_double_eq_tol(train_lr(&c, 1, 8), 0.1, 1e-12);   /* 0.3 * 1/3 */
    ck_assert_double_eq_tol(train_lr(&c, 2, 8), 0.2, 1e-12);   /* 0.3 * 2/3 */
    ck_assert_double_eq_tol(train_lr(&c, 3, 8), 0.3, 1e-12);   /* schedule t=0 */
    ck_assert_double_eq_tol(train_lr(&c, 4, 8), 0.3, 1e-12);   /* t=1 */
    ck_assert_double_eq_tol(train_lr(&c, 5, 8), 0.03, 1e-12);  /* t=2 */
    c.schedule = LR_COSINE;  /* after warm-up: T = 6 */
    ck_assert_double_eq_tol(train_lr(&c, 3, 8), 0.3, 1e-12);
    ck_assert_double_eq_tol(train_lr(&c, 6, 8), 0.15, 1e-12);  /* t=3 of 6 */
    c.schedule = LR_EXPONENTIAL;
    c.gamma = 0.5;
    ck_assert_double_eq_tol(train_lr(&c, 2, 8), 0.2, 1e-12);
    ck_assert_double_eq_tol(train_lr(&c, 5, 8), 0.075, 1e-12);
    c.schedule = LR_CONSTANT;
    ck_assert_double_eq_tol(train_lr(&c, 1, 8), 0.1, 1e-12);
    ck_assert_double_eq_tol(train_lr(&c, 8, 8), 0.3, 1e-12);
}
END_TEST

/* A separable problem: class k images are bright in column block k. 4x4
 * images, 4 classes, noise on every pixel. */
static void make_blocks(data_set *ds, int n, uint64_t seed) {
    memset(ds, 0, sizeof *ds);
    ds->n = n; ds->c = 1; ds->h = 4; ds->w = 4; ds->dim = 16; ds->classes = 4;
    ds->images = malloc((size_t)n * 16);
    ds->labels = malloc((size_t)n);
    rng r;
    rng_seed(&r, seed, 9);
    for (int i = 0; i < n; i++) {
        int k = (int)rng_below(&r, 4);
        ds->labels[i] = (uint8_t)k;
        for (int p = 0; p < 16; p++) {
            int bright = p % 4 == k;
            ds->images[i * 16 + p] = (uint8_t)(bright ? 150 + rng_below(&r, 100) : rng_below(&r, 100));
        }
    }
}

typedef struct { int n; train_epoch e[64]; } epoch_log;

static int log_epoch(void *ctx, const train_epoch *e) {
    epoch_log *log = ctx;
    log->e[log->n++] = *e;
    return 0;
}

static train_cfg tiny_cfg(void) {
    train_cfg tc = {.epochs = 5, .batch_size = 16, .seed = 42, .l2 = 1e-4};
    tc.optimizer = (optim_cfg){.type = OPT_SGD, .momentum = 0.9};
    tc.lr = (lr_cfg){.schedule = LR_COSINE, .initial = 0.05};
    return tc;
}

static const layer_spec hidden8[] = {
    {.type = LAYER_DENSE, .units = 8}, {.type = LAYER_RELU}, {.type = LAYER_DENSE, .units = 4}};

static void run_layers(epoch_log *log, train_result *res, const train_cfg *tc,
                       const layer_spec *L, int nl, const data_set *tr, const data_set *te) {
    int n = tr->n, nval = n / 5;
    int *ti = malloc(sizeof(int) * n), *vi = malloc(sizeof(int) * n);
    data_split(ti, vi, n, nval, 5);
    train_data d = {tr, ti, n - nval, vi, nval, te};
    sw_err err;
    memset(log, 0, sizeof *log);
    ck_assert_msg(train_run(res, tc, L, nl, &d, log_epoch, log, 0, &err) == 0, "%s", err.msg);
    free(ti);
    free(vi);
}

static void run_tiny(epoch_log *log, train_result *res, const train_cfg *tc, const data_set *tr,
                     const data_set *te) {
    run_layers(log, res, tc, hidden8, 3, tr, te);
}

START_TEST(test_learns_separable) {
    data_set tr, te;
    make_blocks(&tr, 500, 1);
    make_blocks(&te, 200, 2);
    train_cfg tc = tiny_cfg();
    tc.epochs = 20;
    epoch_log log;
    train_result res;
    run_tiny(&log, &res, &tc, &tr, &te);
    ck_assert_int_eq(res.status, TRAIN_DONE);
    ck_assert_int_eq(log.n, 20);
    ck_assert_double_eq(log.e[19].train_acc, 1.0);
    ck_assert(log.e[19].train_loss < log.e[0].train_loss);
    ck_assert(res.test_acc >= 0.99);
    ck_assert(res.best_epoch >= 1 && res.best_epoch <= 20);
    ck_assert_double_eq(res.best_val_acc, log.e[res.best_epoch - 1].val_acc);
    data_free(&tr);
    data_free(&te);
}
END_TEST

START_TEST(test_deterministic) {
    data_set tr, te;
    make_blocks(&tr, 300, 1);
    make_blocks(&te, 100, 2);
    train_cfg tc = tiny_cfg();
    epoch_log a, b;
    train_result ra, rb;
    run_tiny(&a, &ra, &tc, &tr, &te);
    run_tiny(&b, &rb, &tc, &tr, &te);
    ck_assert_int_eq(a.n, b.n);
    for (int i = 0; i < a.n; i++) {
        ck_assert(a.e[i].train_loss == b.e[i].train_loss);
        ck_assert(a.e[i].val_loss == b.e[i].val_loss);
        ck_assert(a.e[i].val_acc == b.e[i].val_acc);
    }
    ck_assert(ra.test_loss == rb.test_loss);
    /* A different seed gives a different run. */
    tc.seed = 43;
    run_tiny(&b, &rb, &tc, &tr, &te);
    ck_assert(a.e[0].train_loss != b.e[0].train_loss);
    data_free(&tr);
    data_free(&te);
}
END_TEST

/* Dropout and batch norm (and conv, pooling, Adam): the same seed gives the
 * same numbers to the last bit, and the network learns. */
START_TEST(test_deterministic_dropout_batchnorm) {
    static const layer_spec L[] = {
        {.type = LAYER_CONV, .filters = 4, .kernel = 3, .same = 1}, {.type = LAYER_BATCHNORM},
        {.type = LAYER_RELU}, {.type = LAYER_MAXPOOL, .size = 2},
        {.type = LAYER_DENSE, .units = 8}, {.type = LAYER_BATCHNORM}, {.type = LAYER_RELU},
        {.type = LAYER_DROPOUT, .rate = 0.3}, {.type = LAYER_DENSE, .units = 4},
    };
    data_set tr, te;
    make_blocks(&tr, 300, 1);
    make_blocks(&te, 100, 2);
    train_cfg tc = tiny_cfg();
    tc.epochs = 8;
    tc.optimizer = (optim_cfg){.type = OPT_ADAM, .beta1 = 0.9, .beta2 = 0.999, .eps = 1e-8};
    tc.lr = (lr_cfg){.schedule = LR_CONSTANT, .initial = 0.01};
    epoch_log a, b;
    train_result ra, rb;
    run_layers(&a, &ra, &tc, L, 9, &tr, &te);
    run_layers(&b, &rb, &tc, L, 9, &tr, &te);
    ck_assert_int_eq(a.n, 8);
    ck_assert_int_eq(a.n, b.n);
    for (int i = 0; i < a.n; i++) {
        ck_assert(a.e[i].train_loss == b.e[i].train_loss);
        ck_assert(a.e[i].train_acc == b.e[i].train_acc);
        ck_assert(a.e[i].val_loss == b.e[i].val_loss);
    }
    ck_assert(ra.test_loss == rb.test_loss);
    ck_assert_msg(ra.test_acc >= 0.95, "test accuracy %g", ra.test_acc);
    tc.seed = 43; /* other init, other dropout masks */
    run_layers(&b, &rb, &tc, L, 9, &tr, &te);
    ck_assert(a.e[0].train_loss != b.e[0].train_loss);
    data_free(&tr);
    data_free(&te);
}
END_TEST

START_TEST(test_diverges) {
    data_set tr, te;
    make_blocks(&tr, 300, 1);
    make_blocks(&te, 100, 2);
    train_cfg tc = tiny_cfg();
    tc.lr = (lr_cfg){.schedule = LR_CONSTANT, .initial = 1e30};
    epoch_log log;
    train_result res;
    run_tiny(&log, &res, &tc, &tr, &te);
    ck_assert_int_eq(res.status, TRAIN_DIVERGED);
    ck_assert(res.diverged_epoch >= 1);
    ck_assert_int_eq(log.n, res.diverged_epoch - 1);
    for (int i = 0; i < log.n; i++) ck_assert(isfinite(log.e[i].train_loss));
    data_free(&tr);
    data_free(&te);
}
END_TEST

static int stop_at_2(void *ctx, const train_epoch *e) {
    (void)ctx;
    return e->epoch == 2 ? TRAIN_PRUNED : 0;
}

START_TEST(test_callback_stops_and_patience) {
    data_set tr, te;
    make_blocks(&tr, 300, 1);
    make_blocks(&te, 100, 2);
    train_cfg tc = tiny_cfg();
    int n = tr.n;
    int *ti = malloc(sizeof(int) * n), *vi = malloc(sizeof(int) * n);
    data_split(ti, vi, n, 60, 5);
    train_data d = {&tr, ti, n - 60, vi, 60, &te};
    train_result res;
    ck_assert_int_eq(train_run(&res, &tc, hidden8, 3, &d, stop_at_2, NULL, 1, NULL), 0);
    ck_assert_int_eq(res.status, TRAIN_PRUNED);
    ck_assert_int_eq(res.epochs_run, 2);
    ck_assert(isnan(res.test_acc)); /* a pruned run gets no test pass */
    ck_assert_ptr_nonnull(res.best_params);
    ck_assert_uint_eq(res.best_size, 16 * 8 + 8 + 8 * 4 + 4);
    free(res.best_params);
    /* lr 0: nothing improves after epoch 1, so patience 2 ends it after epoch 3. */
    tc.lr.initial = 1e-12;
    tc.lr.schedule = LR_CONSTANT;
    tc.patience = 2;
    tc.epochs = 10;
    ck_assert_int_eq(train_run(&res, &tc, hidden8, 3, &d, NULL, NULL, 0, NULL), 0);
    ck_assert_int_eq(res.epochs_run, 3);
    ck_assert_int_eq(res.best_epoch, 1);
    free(ti);
    free(vi);
    data_free(&tr);
    data_free(&te);
}
END_TEST

Suite *train_suite(void) {
    Suite *s = suite_create("train");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_schedules);
    tcase_add_test(tc, test_schedules_warmup);
    tcase_add_test(tc, test_learns_separable);
    tcase_add_test(tc, test_deterministic);
    tcase_add_test(tc, test_deterministic_dropout_batchnorm);
    tcase_add_test(tc, test_diverges);
    tcase_add_test(tc, test_callback_stops_and_patience);
    suite_add_tcase(s, tc);
    return s;
}
