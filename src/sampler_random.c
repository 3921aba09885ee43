/* sampler_random.c - independent draws. Trial k draws from its own stream
 * (sweep.seed, k), so trial k's values do not depend on how many trials
 * there are, on the order they run in, or on the shard that runs them.
 * Lists: uniform choice; {min, max}: uniform, log-uniform, or an integer
 * uniform on [min, max]. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "rng.h"
#include "sampler.h"

/* Four significant digits read better in reports and lose nothing a
 * search can tell apart; clamped so rounding stays inside [lo, hi]. */
double sampler_round4(double v, double lo, double hi) {
    char buf[32];
    snprintf(buf, sizeof buf, "%.4g", v);
    double r = strtod(buf, NULL);
    return r < lo ? lo : r > hi ? hi : r;
}

static int random_count(const sampler *s) { return s->spec->trials; }

int sampler_random_draw(const cfg_sweep *S, int k, node **values, sw_err *err) {
    rng r;
    rng_seed(&r, S->seed, S->stream + 1000 + (uint64_t)k);
    for (int i = 0; i < S->nparams; i++) {
        const cfg_param *P = &S->params[i];
        if (P->values) {
            values[i] = node_clone(P->values->items[rng_below(&r, (uint64_t)P->values->n)]);
        } else if (P->dist == DIST_INT) {
            long long lo = (long long)P->min, hi = (long long)P->max;
            values[i] = node_new_int(lo + (long long)rng_below(&r, (uint64_t)(hi - lo + 1)));
        } else if (P->dist == DIST_LOG_UNIFORM) {
            double u = rng_uniform(&r);
            double v = exp(log(P->min) + u * (log(P->max) - log(P->min)));
            values[i] = node_new_double(sampler_round4(v, P->min, P->max));
        } else {
            double v = P->min + rng_uniform(&r) * (P->max - P->min);
            values[i] = node_new_double(sampler_round4(v, P->min, P->max));
        }
        if (!values[i]) return err_set(err, ERR_INTERNAL, "out of memory");
    }
    return 0;
}

static int random_suggest(sampler *s, int k, const sampler_obs *obs, int nobs, node **values,
                          sw_err *err) {
    (void)obs, (void)nobs;
    return sampler_random_draw(s->spec, k, values, err);
}

const sampler_ops sampler_random_ops = {"random", random_count, 0, random_suggest};
