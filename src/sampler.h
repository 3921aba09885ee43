/* sampler.h - where trials' values come from: grid, random (TPE later),
 * behind one small table of functions.
 *
 * A sampler turns the sweep section into values for trial k: one new node
 * per swept parameter, in the order the parameters are written. Grid and
 * random know every trial up front (count >= 0) and ignore results; an
 * adaptive sampler reports count -1 and learns through observe. Same spec,
 * same k, same values, on any machine. Called by sweep.c. */
#ifndef SWEEP_SAMPLER_H
#define SWEEP_SAMPLER_H

#include "config.h"
#include "err.h"
#include "node.h"

typedef struct sampler sampler;

typedef struct sampler_ops {
    const char *name;
    /* Number of trials, or -1 when it depends on results. */
    int (*count)(const sampler *s);
    /* values[i] gets a new node for parameter i of trial k (caller frees). */
    int (*suggest)(sampler *s, int k, node **values, sw_err *err);
    /* Result of trial k (higher is better); NULL for samplers that ignore it. */
    void (*observe)(sampler *s, int k, node *const *values, double score);
} sampler_ops;

struct sampler {
    const sampler_ops *ops;
    const cfg_sweep *spec;
    void *state;  /* the sampler's own, freed by sampler_free */
};

/* The sampler for spec->method. */
int sampler_init(sampler *s, const cfg_sweep *spec, sw_err *err);
void sampler_free(sampler *s);

extern const sampler_ops sampler_grid_ops, sampler_random_ops;

#endif
