/* sampler_grid.c - the cartesian product of every parameter's list, in the
 * order written: the first parameter changes slowest, the last fastest
 * (like nested loops). Trial k is k written in mixed radix. */
#include "sampler.h"

static int grid_count(const sampler *s) {
    long long n = 1;
    for (int i = 0; i < s->spec->nparams; i++) n *= s->spec->params[i].values->n;
    return (int)n;
}

static int grid_suggest(sampler *s, int k, const sampler_obs *obs, int nobs, node **values,
                        sw_err *err) {
    (void)obs, (void)nobs;
    const cfg_sweep *S = s->spec;
    for (int i = S->nparams - 1; i >= 0; i--) {
        const node *list = S->params[i].values;
        values[i] = node_clone(list->items[k % list->n]);
        k /= list->n;
        if (!values[i]) return err_set(err, ERR_INTERNAL, "out of memory");
    }
    return 0;
}

const sampler_ops sampler_grid_ops = {"grid", grid_count, 0, grid_suggest};
