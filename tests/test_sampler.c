/* test_sampler.c - TPE against random search on a cheap synthetic objective
 * (no training: the objective scores the parameters directly), and TPE's
 * handling of the observation list: start-up trials are random search's,
 * the same observations give the same suggestion, every kind of parameter
 * stays in its range; the multivariate model on an objective whose
 * parameters interact. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "sampler.h"
#include "test_util.h"

static const char *space_yaml =
    "sweep:\n"
    "  method: tpe\n"
    "  trials: 40\n"
    "  startup_trials: 10\n"
    "  parameters:\n"
    "    train.lr.initial: {min: 1.0e-4, max: 1.0, distribution: log_uniform}\n"
    "    train.optimizer.momentum: {min: 0.0, max: 0.99}\n"
    "    train.batch_size: [32, 64, 128, 256]\n"
    "    train.epochs: {min: 16, max: 512, distribution: int}\n";

/* The four parameters of space_yaml, as numbers. */
static void unpack(node *const *v, double *lr, double *mom, double *batch, double *units) {
    node_to_double(v[0], lr);
    node_to_double(v[1], mom);
    node_to_double(v[2], batch);
    node_to_double(v[3], units);
}

/* Best (0) at lr 0.05, momentum 0.9, batch 64, 200 units. */
static double objective(node *const *v) {
    double lr, mom, batch, units;
    unpack(v, &lr, &mom, &batch, &units);
    double a = log10(lr) - log10(0.05), b = mom - 0.9, c = (units - 200) / 300;
    return -a * a - 4 * b * b - (batch != 64) * 0.3 - c * c;
}

/* Best (0) on a ridge: lr / (1 - momentum) = 0.5 (the effective step size
 * of SGD with momentum), batch 64; units barely matter. What one parameter
 * should be depends on another: the case for modelling them jointly. */
static double ridge(node *const *v) {
    double lr, mom, batch, units;
    unpack(v, &lr, &mom, &batch, &units);
    double a = log10(lr / (1 - mom)) - log10(0.5), c = (units - 200) / 1000;
    return -4 * a * a - (batch != 64) * 0.1 - c * c;
}

static double (*score)(node *const *v) = objective;

/* Best objective after n trials of a search, each trial seeing all earlier. */
static double search(const cfg_sweep *S, int adaptive, int n) {
    sampler smp;
    ck_assert_int_eq(sampler_init(&smp, S, NULL), 0);
    sampler_obs *obs = calloc((size_t)n, sizeof *obs);
    node **vals = calloc((size_t)n * S->nparams, sizeof *vals);
    double best = -INFINITY;
    sw_err err;
    for (int k = 0; k < n; k++) {
        node **v = vals + (size_t)k * S->nparams;
        int rc = adaptive ? smp.ops->suggest(&smp, k, obs, k, v, &err)
                          : sampler_random_draw(S, k, v, &err);
        ck_assert_msg(rc == 0, "%s", err.msg);
        double f = score(v);
        obs[k] = (sampler_obs){k, OBS_DONE, f, 0, NAN, v};
        if (f > best) best = f;
    }
    for (int i = 0; i < n * S->nparams; i++) node_free(vals[i]);
    free(vals);
    free(obs);
    sampler_free(&smp);
    return best;
}

START_TEST(test_tpe_beats_random) {
    cfg_file c;
    sw_err err;
    ck_assert_msg(load_config_text(&c, space_yaml, NULL, 0, &err) == 0, "%s", err.msg);
    double tpe = 0, rnd = 0;
    int wins = 0;
    enum { SEEDS = 12 };
    for (int seed = 0; seed < SEEDS; seed++) {
        c.sweep.seed = (uint64_t)seed;
        double a = search(&c.sweep, 1, 40), b = search(&c.sweep, 0, 40);
        tpe += a / SEEDS;
        rnd += b / SEEDS;
        wins += a > b;
    }
    ck_assert_msg(tpe > rnd, "mean best after 40 trials: tpe %.4f, random %.4f", tpe, rnd);
    ck_assert_msg(wins >= SEEDS / 2, "tpe better on %d of %d seeds", wins, SEEDS);
    if (getenv("SHOW_TPE")) printf("tpe %.4f random %.4f, tpe better on %d of %d seeds\n", tpe, rnd, wins, SEEDS);
    cfg_free(&c);
}
END_TEST

/* sweep.multivariate on the ridge: better than random search, and than
 * the independent model, on average over seeds. */
START_TEST(test_tpe_multivariate) {
    cfg_file c;
    sw_err err;
    ck_assert_msg(load_config_text(&c, space_yaml, NULL, 0, &err) == 0, "%s", err.msg);
    score = ridge;
    double joint = 0, indep = 0, rnd = 0;
    int wins = 0;
    enum { SEEDS = 12, N = 40 };
    for (int seed = 0; seed < SEEDS; seed++) {
        c.sweep.seed = (uint64_t)seed;
        c.sweep.multivariate = 1;
        double a = search(&c.sweep, 1, N);
        c.sweep.multivariate = 0;
        double b = search(&c.sweep, 1, N), r = search(&c.sweep, 0, N);
        joint += a / SEEDS;
        indep += b / SEEDS;
        rnd += r / SEEDS;
        wins += a > r;
    }
    score = objective;
    if (getenv("SHOW_TPE"))
        printf("ridge: multivariate %.4f independent %.4f random %.4f, multivariate better than "
               "random on %d of %d seeds\n", joint, indep, rnd, wins, SEEDS);
    ck_assert_msg(joint > rnd && joint > indep, "mean best after %d trials: multivariate %.4f, "
                  "independent %.4f, random %.4f", N, joint, indep, rnd);
    ck_assert_msg(wins >= SEEDS / 2, "multivariate better than random on %d of %d seeds", wins, SEEDS);
    cfg_free(&c);
}
END_TEST

/* Start-up trials, determinism and ranges, in either mode. */
static void check_suggestions(int multivariate) {
    cfg_file c;
    sw_err err;
    ck_assert_int_eq(load_config_text(&c, space_yaml, NULL, 0, &err), 0);
    c.sweep.multivariate = multivariate;
    const cfg_sweep *S = &c.sweep;
    sampler smp;
    ck_assert_int_eq(sampler_init(&smp, S, NULL), 0);
    node *a[4], *b[4];
    /* Before startup_trials results: random search's trial k. */
    ck_assert_int_eq(smp.ops->suggest(&smp, 3, NULL, 0, a, &err), 0);
    ck_assert_int_eq(sampler_random_draw(S, 3, b, &err), 0);
    for (int i = 0; i < 4; i++) {
        ck_assert_str_eq(a[i]->str, b[i]->str);
        node_free(a[i]);
        node_free(b[i]);
    }
    /* Twelve results (three of them pruned, two still running). */
    enum { N = 14 };
    sampler_obs obs[N];
    node *vals[N][4];
    for (int k = 0; k < N; k++) {
        ck_assert_int_eq(sampler_random_draw(S, k, vals[k], &err), 0);
        obs_state st = k >= 12 ? OBS_RUNNING : k % 4 == 1 ? OBS_PRUNED : OBS_DONE;
        obs[k] = (sampler_obs){k, st, objective(vals[k]), 2, -1.0, vals[k]};
    }
    for (int rep = 0; rep < 2; rep++) {
        node **v = rep ? b : a;
        ck_assert_int_eq(smp.ops->suggest(&smp, 20, obs, N, v, &err), 0);
    }
    for (int i = 0; i < 4; i++) ck_assert_str_eq(a[i]->str, b[i]->str);
    double lr, mom, batch, units;
    ck_assert_int_eq(node_to_double(a[0], &lr), 0);
    ck_assert_int_eq(node_to_double(a[1], &mom), 0);
    ck_assert_int_eq(node_to_double(a[2], &batch), 0);
    ck_assert_int_eq(node_to_double(a[3], &units), 0);
    ck_assert(lr >= 1e-4 && lr <= 1.0);
    ck_assert(mom >= 0 && mom <= 0.99);
    ck_assert(batch == 32 || batch == 64 || batch == 128 || batch == 256);
    ck_assert(units >= 16 && units <= 512 && units == floor(units));
    ck_assert_ptr_null(strchr(a[3]->str, '.')); /* an integer parameter stays an integer */
    /* Another trial number draws other candidates. */
    for (int i = 0; i < 4; i++) node_free(b[i]);
    ck_assert_int_eq(smp.ops->suggest(&smp, 21, obs, N, b, &err), 0);
    int same = 1;
    for (int i = 0; i < 4; i++) same &= !strcmp(a[i]->str, b[i]->str);
    ck_assert(!same);
    for (int i = 0; i < 4; i++) { node_free(a[i]); node_free(b[i]); }
    for (int k = 0; k < N; k++)
        for (int i = 0; i < 4; i++) node_free(vals[k][i]);
    sampler_free(&smp);
    cfg_free(&c);
}

START_TEST(test_tpe_startup_and_determinism) { check_suggestions(0); }
END_TEST

START_TEST(test_tpe_multivariate_startup_and_determinism) { check_suggestions(1); }
END_TEST

Suite *sampler_suite(void) {
    Suite *s = suite_create("sampler");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_tpe_beats_random);
    tcase_add_test(tc, test_tpe_multivariate);
    tcase_add_test(tc, test_tpe_startup_and_determinism);
    tcase_add_test(tc, test_tpe_multivariate_startup_and_determinism);
    suite_add_tcase(s, tc);
    return s;
}
