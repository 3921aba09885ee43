/* sampler.c - the table of samplers. See sampler.h. */
#include "sampler.h"

#include <stdlib.h>

static const sampler_ops *const samplers[] = {
    [SWEEP_GRID] = &sampler_grid_ops,
    [SWEEP_RANDOM] = &sampler_random_ops,
    [SWEEP_TPE] = &sampler_tpe_ops,
};

int sampler_init(sampler *s, const cfg_sweep *spec, sw_err *err) {
    s->spec = spec;
    s->state = NULL;
    s->ops = samplers[spec->method];
    if (!s->ops) return err_set(err, ERR_INTERNAL, "no sampler for method %d", (int)spec->method);
    return 0;
}

void sampler_free(sampler *s) {
    free(s->state);
    s->state = NULL;
}
