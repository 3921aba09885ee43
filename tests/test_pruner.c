/* test_pruner.c - early termination on scripted sequences of scores: ASHA
 * rung promotions (ties, fewer competitors than the reduction factor),
 * Hyperband's brackets, the median rule, and the waiting rule that keeps
 * decisions independent of timing. */
#include <check.h>
#include <math.h>

#include "pruner.h"

static pruner make(stop_type type, int min_epochs, int reduction, int max_epochs) {
    cfg_early_stop c = {type, METRIC_VAL_ACC, min_epochs, reduction, 2, 2};
    pruner p;
    ck_assert_int_eq(pruner_init(&p, &c, max_epochs, "demo", NULL), 0);
    return p;
}

/* Trial t reports score v at epoch e; returns the decision (1 = stop). */
static int step(pruner *p, int t, int e, double v) {
    ck_assert_int_eq(pruner_report(p, t, e, v, NULL), 0);
    ck_assert_msg(pruner_ready(p, t, e), "trial %d epoch %d not ready", t, e);
    return pruner_decide(p, t, e);
}

START_TEST(test_asha_rungs) {
    pruner p = make(STOP_ASHA, 1, 3, 10);
    /* rungs at epochs 1, 3, 9; never at the last epoch */
    ck_assert(p.ops->decides_at(&p, 0, 1) && p.ops->decides_at(&p, 0, 3) && p.ops->decides_at(&p, 0, 9));
    ck_assert(!p.ops->decides_at(&p, 0, 2) && !p.ops->decides_at(&p, 0, 4));
    ck_assert_int_eq(pruner_decide(&p, 0, 10), 0);
    /* Rung 1, trials in order: with n competitors (itself included), the one
     * at place max(0, n/3 - 1) of the sorted scores is the bar. */
    const double s[] = {0.5, 0.6, 0.4, 0.7, 0.3, 0.8, 0.65, 0.7};
    const int want[] = {0, 0, 1, 0, 1, 0, 1, 0}; /* 0.7 ties the bar at n = 8: goes on */
    for (int t = 0; t < 8; t++) {
        ck_assert_msg(step(&p, t, 1, s[t]) == want[t], "trial %d", t);
        if (want[t]) pruner_end(&p, t);
    }
    /* Between rungs: never stopped, however bad. */
    ck_assert_int_eq(step(&p, 0, 2, 0.0), 0);
    /* Rung 3 sees only the trials that got there: 0 and 1 so far. */
    ck_assert_int_eq(step(&p, 0, 3, 0.9), 0);
    ck_assert_int_eq(step(&p, 1, 2, 0.1), 0);
    ck_assert_int_eq(step(&p, 1, 3, 0.85), 1); /* n = 2 < 3: must be the best */
    /* A NaN score is stopped. */
    pruner_end(&p, 1);
    ck_assert_int_eq(step(&p, 3, 2, 0.5), 0);
    ck_assert_int_eq(step(&p, 3, 3, NAN), 1);
    pruner_free(&p);
}
END_TEST

START_TEST(test_waiting_rule) {
    pruner p = make(STOP_ASHA, 1, 3, 10);
    ck_assert_int_eq(pruner_report(&p, 0, 1, 0.5, NULL), 0);
    ck_assert_int_eq(pruner_report(&p, 2, 1, 0.9, NULL), 0);
    /* Trial 2's decision at epoch 1 needs trial 1's score there. */
    ck_assert_int_eq(pruner_ready(&p, 2, 1), 0);
    ck_assert_int_eq(pruner_report(&p, 1, 1, 0.7, NULL), 0);
    ck_assert_int_eq(pruner_ready(&p, 2, 1), 1);
    /* At epoch 3 it needs 0 and 1 to get there or end. */
    ck_assert_int_eq(pruner_ready(&p, 2, 3), 0);
    pruner_end(&p, 0);
    ck_assert_int_eq(pruner_ready(&p, 2, 3), 0);
    pruner_end(&p, 1);
    ck_assert_int_eq(pruner_ready(&p, 2, 3), 1);
    /* Trained again from the start: its old scores are gone. */
    pruner_restart(&p, 1);
    ck_assert_int_eq(pruner_ready(&p, 2, 1), 0);
    ck_assert(isnan(pruner_at(&p, 1, 1)));
    pruner_free(&p);
}
END_TEST

START_TEST(test_hyperband_brackets) {
    /* r = 1, eta = 3, 27 epochs: 4 brackets, first rungs 1, 3, 9, 27 (the
     * last never decides), shares ceil(4*27/4), ceil(4*9/3), ceil(4*3/2), 4. */
    pruner p = make(STOP_HYPERBAND, 1, 3, 27);
    ck_assert_int_eq(p.nbrackets, 4);
    ck_assert_int_eq(p.budget[0], 27);
    ck_assert_int_eq(p.budget[1], 12);
    ck_assert_int_eq(p.budget[2], 6);
    ck_assert_int_eq(p.budget[3], 4);
    int count[4] = {0};
    for (int t = 0; t < 4900; t++) count[pruner_bracket(&p, t)]++;
    ck_assert_msg(count[0] > 2300 && count[0] < 3100, "bracket 0: %d of 4900", count[0]);
    ck_assert_msg(count[3] > 250 && count[3] < 560, "bracket 3: %d of 4900", count[3]);
    ck_assert_int_eq(pruner_bracket(&p, 17), pruner_bracket(&p, 17));
    /* Find two trials of bracket 1 and one of bracket 0 before them. */
    int a = -1, b = -1, z = -1;
    for (int t = 0; t < 200 && b < 0; t++) {
        int br = pruner_bracket(&p, t);
        if (br == 0 && z < 0 && a < 0) z = t;
        else if (br == 1 && a < 0 && z >= 0) a = t;
        else if (br == 1 && a >= 0) b = t;
    }
    ck_assert(z >= 0 && a > z && b > a);
    ck_assert(!p.ops->decides_at(&p, a, 1) && p.ops->decides_at(&p, a, 3) && p.ops->decides_at(&p, a, 9));
    ck_assert(p.ops->decides_at(&p, z, 1));
    ck_assert(!p.ops->competes(&p, a, z) && p.ops->competes(&p, b, a));
    /* Bracket 1's rung at epoch 3: trial z (another bracket) neither counts nor is waited for. */
    ck_assert_int_eq(pruner_report(&p, z, 3, 0.99, NULL), 0);
    for (int t = 0; t < b; t++)
        if (t != a && t != z) pruner_end(&p, t);
    ck_assert_int_eq(step(&p, a, 3, 0.5), 0); /* alone in its bracket: the best */
    ck_assert_int_eq(step(&p, b, 3, 0.4), 1); /* n = 2: must beat 0.5 */
    pruner_free(&p);
}
END_TEST

START_TEST(test_median_rule) {
    /* warmup 2 epochs, 2 earlier trials needed */
    pruner p = make(STOP_MEDIAN, 1, 3, 10);
    ck_assert_int_eq(step(&p, 0, 2, 0.1), 0); /* no earlier trials */
    ck_assert_int_eq(step(&p, 1, 2, 0.2), 0); /* one */
    ck_assert_int_eq(pruner_report(&p, 0, 3, 0.5, NULL), 0);
    ck_assert_int_eq(pruner_report(&p, 1, 3, 0.7, NULL), 0);
    ck_assert_int_eq(pruner_decide(&p, 2, 1), 0);         /* warm-up */
    ck_assert_int_eq(pruner_report(&p, 2, 1, 0.55, NULL), 0);
    ck_assert_int_eq(step(&p, 2, 2, 0.3), 0);  /* best 0.55 vs median(0.1, 0.2) */
    ck_assert_int_eq(step(&p, 2, 3, 0.59), 1); /* best 0.59 < median(0.5, 0.7) = 0.6 */
    ck_assert_int_eq(step(&p, 3, 2, 0.3), 0);  /* median of 0.1, 0.2, 0.3 is 0.2 */
    ck_assert_int_eq(pruner_ready(&p, 3, 3), 1);
    ck_assert_int_eq(step(&p, 3, 3, 0.59), 0); /* best 0.59 vs median(0.5, 0.7, 0.59) = 0.59: not below */
    pruner_free(&p);
}
END_TEST

START_TEST(test_val_loss_metric) {
    ck_assert_double_eq(pruner_score(METRIC_VAL_LOSS, 0.9, 0.25), -0.25);
    ck_assert_double_eq(pruner_score(METRIC_VAL_ACC, 0.9, 0.25), 0.9);
    pruner p = make(STOP_NONE, 1, 3, 10);
    ck_assert_int_eq(step(&p, 0, 1, 0.1), 0);
    ck_assert_int_eq(step(&p, 5, 1, 0.0), 0);
    pruner_free(&p);
}
END_TEST

Suite *pruner_suite(void) {
    Suite *s = suite_create("pruner");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_asha_rungs);
    tcase_add_test(tc, test_waiting_rule);
    tcase_add_test(tc, test_hyperband_brackets);
    tcase_add_test(tc, test_median_rule);
    tcase_add_test(tc, test_val_loss_metric);
    suite_add_tcase(s, tc);
    return s;
}
