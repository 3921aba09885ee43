/* pruner.h - early termination: after each epoch, does a trial go on?
 *
 * Owns: the history of reported scores (trial x epoch, higher is better:
 * val_acc, or -val_loss), which earlier results each decision waits for,
 * and the rules - none, ASHA, Hyperband, median - behind one table of
 * functions (pruner_asha.c, pruner_median.c).
 *
 * Determinism: the decision for trial t after epoch e reads only scores at
 * epoch e of trials before t (in trial order) that compete with t.
 * pruner_ready says when all of those are known (each has reached epoch e
 * or ended before it); the scheduler holds t's verdict until then. So a
 * sweep makes the same decisions whatever the machine's speed, and a
 * resumed sweep, replaying the database into the history, makes them again.
 * Called by the scheduler; the tests drive it with scripted scores. */
#ifndef SWEEP_PRUNER_H
#define SWEEP_PRUNER_H

#include <stdint.h>

#include "config.h"
#include "err.h"

typedef struct pruner pruner;

typedef struct pruner_ops {
    const char *name;
    /* 1 if trial t faces a decision after epoch e. */
    int (*decides_at)(const pruner *p, int t, int e);
    /* 1 if trial s's scores count in trial t's decisions (s < t). */
    int (*competes)(const pruner *p, int t, int s);
    /* 1: stop t after e. Called when decides_at and pruner_ready hold. */
    int (*decide)(const pruner *p, int t, int e);
} pruner_ops;

#define PRUNER_MAX_BRACKETS 32

struct pruner {
    const pruner_ops *ops;
    cfg_early_stop cfg;
    int max_epochs;                        /* train.epochs: the last epoch never decides */
    char name[128];                        /* the sweep's: Hyperband hashes it with the trial */
    int nbrackets;                         /* hyperband */
    int budget[PRUNER_MAX_BRACKETS], total_budget;
    int cap;                               /* trials the history has room for */
    int *reached;                          /* (cap) last epoch reported; 0: none */
    int *ended;                            /* (cap) 1: no more epochs will come */
    double *score;                         /* (cap, max_epochs): [t * max_epochs + e - 1] */
};

/* For cfg->type (STOP_NONE gives a pruner that never stops a trial). */
int pruner_init(pruner *p, const cfg_early_stop *cfg, int max_epochs, const char *sweep_name,
                sw_err *err);
void pruner_free(pruner *p);

/* Higher is better: val_acc, or -val_loss; NaN stays NaN. */
double pruner_score(stop_metric m, double val_acc, double val_loss);

/* History. Trials may arrive in any order; the history grows as needed. */
int pruner_report(pruner *p, int t, int e, double score, sw_err *err);
void pruner_end(pruner *p, int t);      /* done, pruned, diverged or failed */
void pruner_restart(pruner *p, int t);  /* trained again from the start */

/* 1 when every input of t's decision after epoch e is known. */
int pruner_ready(const pruner *p, int t, int e);
/* 1: stop t after epoch e (0 when no decision is due there). */
int pruner_decide(const pruner *p, int t, int e);
/* Hyperband: t's bracket (0 = the most aggressive); 0 for the others. */
int pruner_bracket(const pruner *p, int t);

/* For the pruner_*.c files: trial t's score at epoch e, NaN if none. */
double pruner_at(const pruner *p, int t, int e);

extern const pruner_ops pruner_none_ops, pruner_asha_ops, pruner_hyperband_ops,
    pruner_median_ops;

#endif
