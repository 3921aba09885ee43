/* sweep.h - the trials of a config: its sweep section expanded.
 *
 * Owns: turning a loaded config and its sampler into trials, each with the
 * values it sweeps and its resolved run settings; a config without a sweep
 * section is one trial. Every trial is resolved (and so validated) here,
 * before any data is read or any database is touched.
 * Called by main.c; the scheduler (sched.c) runs the trials. */
#ifndef SWEEP_SWEEP_H
#define SWEEP_SWEEP_H

#include "config.h"
#include "err.h"
#include "node.h"

typedef struct trial {
    int index;      /* 0-based trial number in the sweep (a shard's plan holds some of them) */
    node *swept;    /* mapping: swept key path -> value, in the sweep's order */
    run_cfg cfg;    /* the base config with those values, resolved */
} sweep_trial;

typedef struct sweep_plan {
    int ntrials;
    sweep_trial *trials;
    /* An adaptive sampler (TPE) suggests trial k only when the results it
     * learns from are in: trials[k] holds the base config and no swept
     * values (swept == NULL) until sweep_plan_set gives them. */
    int adaptive;
} sweep_plan;

int sweep_plan_make(sweep_plan *p, const cfg_file *c, sw_err *err);
/* Give trial k its swept values (a mapping: key path -> value; taken over)
 * and resolve its settings. */
int sweep_plan_set(sweep_plan *p, const cfg_file *c, int k, node *swept, sw_err *err);
void sweep_plan_free(sweep_plan *p);

/* Keep only shard K of N (K from 0) of the plan's trials; each keeps its
 * number in the sweep (trials[j].index, ascending) and kept[j] (if not NULL,
 * room for ntrials) gets its old position.
 * - grid, random: the trial list is cut by expected cost (cost[k], for every
 *   trial): trials in order of cost, highest first (ties: lower number
 *   first), each to the shard with the least cost so far (ties: the lower
 *   shard). Equal costs deal the trials round robin: trial k to shard k mod N.
 * - adaptive (tpe): shard K runs its own search of the trials numbered
 *   K, K+N, K+2N, ... below the sweep's count; cost is not read. */
int sweep_plan_shard(sweep_plan *p, const double *cost, int K, int N, int *kept, sw_err *err);
/* The position in the plan of the trial numbered `trial`, or -1. */
int sweep_plan_local(const sweep_plan *p, int trial);

/* "lr.initial=0.1 lr.schedule=step seed=2": the swept values, keys without
 * their section (sweep_short_key), for progress lines and tables. */
const char *sweep_short_key(const char *path);
void sweep_describe(const sweep_trial *t, char *buf, size_t size);

#endif
