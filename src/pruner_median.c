/* pruner_median.c - the median rule (Golovin et al., 2017; Optuna's
 * MedianPruner): after epoch e >= warmup_epochs, stop trial t if its best
 * score so far is below the median of the scores at epoch e of the earlier
 * trials that reached it; no decision until startup_trials earlier trials
 * have a score there. Unlike Optuna, which takes completed trials only
 * (whatever has finished by then), the earlier trials count as soon as they
 * reach epoch e: that is what keeps decisions independent of timing. */
#include <math.h>
#include <stdlib.h>

#include "pruner.h"

static int median_decides(const pruner *p, int t, int e) {
    (void)t;
    return e >= p->cfg.warmup_epochs && e >= 1;
}

static int median_competes(const pruner *p, int t, int s) { (void)p, (void)t, (void)s; return 1; }

static int cmp_asc(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int median_decide(const pruner *p, int t, int e) {
    double best = NAN;
    for (int k = 1; k <= e; k++) {
        double x = pruner_at(p, t, k);
        if (!isnan(x) && (isnan(best) || x > best)) best = x;
    }
    if (isnan(best)) return 1;
    double *v = malloc(sizeof(double) * (size_t)(t + 1));
    if (!v) return 0;
    int n = 0;
    for (int s = 0; s < t; s++) {
        double x = pruner_at(p, s, e);
        if (!isnan(x)) v[n++] = x;
    }
    int stop = 0;
    if (n > 0 && n >= p->cfg.startup_trials) {
        qsort(v, (size_t)n, sizeof *v, cmp_asc);
        double med = n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
        stop = best < med;
    }
    free(v);
    return stop;
}

const pruner_ops pruner_median_ops = {"median", median_decides, median_competes, median_decide};
