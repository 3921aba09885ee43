/* pruner_asha.c - asynchronous successive halving, and Hyperband as several
 * ASHA brackets.
 *
 * ASHA (Li et al., 2020; Optuna's SuccessiveHalvingPruner): rung k is epoch
 * r * eta^(b + k), r = min_epochs, eta = reduction, b the bracket (0 for
 * plain ASHA). At a rung, trial t's score there competes with the scores at
 * that epoch of the earlier trials that reached it (t itself counted once);
 * with n competitors sorted best first, t goes on if it is at least as good
 * as the one at place max(0, floor(n / eta) - 1): about the best 1 in eta
 * survive, and the best always does. A NaN score is stopped. Epochs between
 * rungs, and the last epoch, never decide.
 *
 * Hyperband (Li et al., 2018; Optuna's HyperbandPruner): brackets b = 0..B-1
 * with first rungs r * eta^b (pruner.c sizes them); a trial's bracket comes
 * from a CRC-32 of "SWEEP_TRIAL", so it does not depend on timing; trials
 * compete only within their bracket. (Samplers still see every trial.) */
#include <math.h>
#include <stdlib.h>

#include "pruner.h"

/* 1 if e is a rung of bracket b: e = r * eta^(b + k), k >= 0. */
static int is_rung(const pruner *p, int b, int e) {
    long step = p->cfg.min_epochs;
    for (int i = 0; i < b; i++) step *= p->cfg.reduction;
    while (step < e) step *= p->cfg.reduction;
    return step == e;
}

static int cmp_desc(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x < y) - (x > y);
}

static int asha_decides(const pruner *p, int t, int e) { return is_rung(p, pruner_bracket(p, t), e); }

static int asha_competes(const pruner *p, int t, int s) {
    return pruner_bracket(p, t) == pruner_bracket(p, s);
}

static int asha_decide(const pruner *p, int t, int e) {
    double v = pruner_at(p, t, e);
    if (isnan(v)) return 1;
    double *c = malloc(sizeof(double) * (size_t)(t + 1));
    if (!c) return 0; /* out of memory: let it train rather than guess */
    int n = 0;
    for (int s = 0; s < t; s++) {
        double x = pruner_at(p, s, e);
        if (p->ops->competes(p, t, s) && !isnan(x)) c[n++] = x;
    }
    c[n++] = v;
    qsort(c, (size_t)n, sizeof *c, cmp_desc);
    int i = n / p->cfg.reduction - 1;
    if (i < 0) i = 0;
    int stop = v < c[i];
    free(c);
    return stop;
}

const pruner_ops pruner_asha_ops = {"asha", asha_decides, asha_competes, asha_decide};
const pruner_ops pruner_hyperband_ops = {"hyperband", asha_decides, asha_competes, asha_decide};
