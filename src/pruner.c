/* pruner.c - the history and the waiting rule shared by every pruner. See
 * pruner.h. */
#include "pruner.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

static int none_decides(const pruner *p, int t, int e) { (void)p, (void)t, (void)e; return 0; }
static int none_competes(const pruner *p, int t, int s) { (void)p, (void)t, (void)s; return 0; }
static int none_decide(const pruner *p, int t, int e) { (void)p, (void)t, (void)e; return 0; }
const pruner_ops pruner_none_ops = {"none", none_decides, none_competes, none_decide};

static const pruner_ops *const pruners[] = {
    [STOP_NONE] = &pruner_none_ops, [STOP_ASHA] = &pruner_asha_ops,
    [STOP_HYPERBAND] = &pruner_hyperband_ops, [STOP_MEDIAN] = &pruner_median_ops,
};

/* Hyperband's brackets, as Optuna sizes them: B = 1 + floor(log_eta(R / r))
 * brackets (counted in integers, so R = r * eta^k gives k + 1); bracket b
 * starts its first rung at r * eta^b and gets a share of the trials
 * proportional to ceil(B * eta^s / (s + 1)), s = B - 1 - b. */
static void hyperband_brackets(pruner *p) {
    long r = p->cfg.min_epochs, eta = p->cfg.reduction, R = p->max_epochs;
    int B = 1;
    for (long step = r * eta; step <= R && B < PRUNER_MAX_BRACKETS; step *= eta) B++;
    p->nbrackets = B;
    p->total_budget = 0;
    for (int b = 0; b < B; b++) {
        int s = B - 1 - b;
        double pw = pow((double)eta, s);
        p->budget[b] = (int)ceil(B * pw / (s + 1));
        p->total_budget += p->budget[b];
    }
}

int pruner_init(pruner *p, const cfg_early_stop *cfg, int max_epochs, const char *sweep_name,
                sw_err *err) {
    memset(p, 0, sizeof *p);
    p->cfg = *cfg;
    p->ops = pruners[cfg->type];
    p->max_epochs = max_epochs > 0 ? max_epochs : 1;
    snprintf(p->name, sizeof p->name, "%s", sweep_name);
    if (cfg->type == STOP_HYPERBAND) hyperband_brackets(p);
    (void)err;
    return 0;
}

void pruner_free(pruner *p) {
    free(p->reached);
    free(p->ended);
    free(p->score);
    memset(p, 0, sizeof *p);
}

double pruner_score(stop_metric m, double val_acc, double val_loss) {
    return m == METRIC_VAL_LOSS ? -val_loss : val_acc;
}

static int grow(pruner *p, int t, sw_err *err) {
    if (t < p->cap) return 0;
    int cap = p->cap ? p->cap : 64;
    while (cap <= t) cap *= 2;
    size_t E = (size_t)p->max_epochs;
    int *reached = realloc(p->reached, sizeof(int) * (size_t)cap);
    if (reached) p->reached = reached;
    int *ended = reached ? realloc(p->ended, sizeof(int) * (size_t)cap) : NULL;
    if (ended) p->ended = ended;
    double *score = ended ? realloc(p->score, sizeof(double) * (size_t)cap * E) : NULL;
    if (!score) return err_set(err, ERR_INTERNAL, "out of memory for the pruner's history");
    p->score = score;
    for (int i = p->cap; i < cap; i++) {
        p->reached[i] = 0;
        p->ended[i] = 0;
        for (size_t e = 0; e < E; e++) p->score[(size_t)i * E + e] = NAN;
    }
    p->cap = cap;
    return 0;
}

int pruner_report(pruner *p, int t, int e, double score, sw_err *err) {
    if (t < 0 || e < 1 || e > p->max_epochs) return 0; /* beyond the history: never decides */
    if (grow(p, t, err)) return -1;
    p->score[(size_t)t * p->max_epochs + (size_t)(e - 1)] = score;
    if (e > p->reached[t]) p->reached[t] = e;
    return 0;
}

void pruner_end(pruner *p, int t) {
    if (t >= 0 && !grow(p, t, NULL)) p->ended[t] = 1;
}

void pruner_restart(pruner *p, int t) {
    if (t < 0 || t >= p->cap) return;
    p->reached[t] = 0;
    p->ended[t] = 0;
    for (int e = 0; e < p->max_epochs; e++) p->score[(size_t)t * p->max_epochs + (size_t)e] = NAN;
}

int pruner_ready(const pruner *p, int t, int e) {
    for (int s = 0; s < t; s++) {
        if (!p->ops->competes(p, t, s)) continue;
        int reached = s < p->cap ? p->reached[s] : 0, ended = s < p->cap ? p->ended[s] : 0;
        if (reached < e && !ended) return 0;
    }
    return 1;
}

int pruner_decide(const pruner *p, int t, int e) {
    if (e >= p->max_epochs || !p->ops->decides_at(p, t, e)) return 0;
    return p->ops->decide(p, t, e);
}

int pruner_bracket(const pruner *p, int t) {
    if (p->cfg.type != STOP_HYPERBAND || p->total_budget <= 0) return 0;
    char key[160];
    snprintf(key, sizeof key, "%s_%d", p->name, t);
    uLong h = crc32(0L, (const Bytef *)key, (uInt)strlen(key));
    long n = (long)(h % (uLong)p->total_budget);
    for (int b = 0; b < p->nbrackets; b++) {
        n -= p->budget[b];
        if (n < 0) return b;
    }
    return p->nbrackets - 1;
}

double pruner_at(const pruner *p, int t, int e) {
    if (t < 0 || t >= p->cap || e < 1 || e > p->max_epochs) return NAN;
    return p->score[(size_t)t * p->max_epochs + (size_t)(e - 1)];
}
