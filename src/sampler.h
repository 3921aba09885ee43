/* sampler.h - where trials' values come from: grid, random, TPE, behind one
 * small table of functions.
 *
 * A sampler turns the sweep section into values for trial k: one new node
 * per swept parameter, in the order the parameters are written. Grid and
 * random ignore results; TPE (adaptive) learns from the observations the
 * caller hands it - the caller decides which ones (the scheduler: exactly
 * those its determinism rule allows). Same spec, same k, same observations,
 * same values, on any machine. Called by sweep.c and sched.c. */
#ifndef SWEEP_SAMPLER_H
#define SWEEP_SAMPLER_H

#include "config.h"
#include "err.h"
#include "node.h"

typedef struct sampler sampler;

/* What an earlier trial tells an adaptive sampler. */
typedef enum { OBS_DONE, OBS_PRUNED, OBS_RUNNING } obs_state;
typedef struct sampler_obs {
    int trial;
    obs_state state;
    double score;          /* done: its objective, higher is better */
    int last_epoch;        /* pruned: how far it got ... */
    double last_score;     /* ... and its score there */
    node *const *values;   /* its value of each parameter, in the spec's order */
} sampler_obs;

typedef struct sampler_ops {
    const char *name;
    /* Number of trials. */
    int (*count)(const sampler *s);
    /* 1 if it learns from results: the caller then asks for trial k only
     * when the results it is to use are in. */
    int adaptive;
    /* values[i] gets a new node for parameter i of trial k (caller frees),
     * from obs[0..nobs) (ignored unless adaptive). */
    int (*suggest)(sampler *s, int k, const sampler_obs *obs, int nobs, node **values,
                   sw_err *err);
} sampler_ops;

struct sampler {
    const sampler_ops *ops;
    const cfg_sweep *spec;
    void *state;  /* the sampler's own, freed by sampler_free */
};

/* The sampler for spec->method. */
int sampler_init(sampler *s, const cfg_sweep *spec, sw_err *err);
void sampler_free(sampler *s);

extern const sampler_ops sampler_grid_ops, sampler_random_ops, sampler_tpe_ops;

/* v to four significant digits, kept inside [lo, hi]: how drawn numbers are
 * written (random search and TPE). */
double sampler_round4(double v, double lo, double hi);

/* The random draw of trial k (random search, and TPE's start-up trials). */
int sampler_random_draw(const cfg_sweep *S, int k, node **values, sw_err *err);

#endif
