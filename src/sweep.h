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
    int index;      /* 0-based trial number */
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

/* "lr.initial=0.1 lr.schedule=step seed=2": the swept values, keys without
 * their section (sweep_short_key), for progress lines and tables. */
const char *sweep_short_key(const char *path);
void sweep_describe(const sweep_trial *t, char *buf, size_t size);

#endif
