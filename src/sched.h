/* sched.h - running a sweep's trials in worker processes.
 *
 * Owns: loading each data set the trials need (once, before the workers
 * fork, so they share it), checking the trials against the data, the worker
 * processes and their pipes, claiming trials in the store, writing each
 * reported epoch and result, progress lines, and SIGINT/SIGTERM. The parent
 * is the only process that writes the database; a worker trains one trial
 * at a time, reports each epoch and waits for a verdict (go on or stop), so
 * a pruner can be added without touching the workers. */
#ifndef SWEEP_SCHED_H
#define SWEEP_SCHED_H

#include <stdint.h>

#include "config.h"
#include "data.h"
#include "store.h"
#include "sweep.h"

typedef struct sched_dataset {
    char dir[1024];
    int classes;       /* as configured (0: inferred) */
    data_set train, test;
} sched_dataset;

typedef struct sched {
    const cfg_file *cfg;
    sweep_plan *plan;  /* adaptive plans get their trials' values as the sweep goes */
    int ndatasets;
    sched_dataset *datasets;
    int *trial_dataset;  /* (ntrials): index into datasets */
    char ckpt_dir[1100]; /* where train.save: best writes RUN_ID.ckpt; set before sched_run */
    /* What the last sched_run measured. */
    double run_seconds;    /* wall time of sched_run */
    double store_seconds;  /* of it, spent in database calls (claims, epochs, results) */
    double wait_seconds;   /* worker time spent waiting for earlier results (the price
                            * of decisions that do not depend on timing) */
    long worker_peak_kb;   /* largest peak RSS of a worker (the kernel's ru_maxrss) */
    int trials_ended;      /* trials that ended (done, diverged, failed) */
} sched;

typedef struct sched_opts {
    int jobs;      /* worker processes, >= 1 */
    int progress;  /* print a line per epoch on stderr */
} sched_opts;

/* Load the data of every trial and check each trial against it (validation
 * size, batch size, classes): input errors name the config place. */
int sched_prepare(sched *s, const cfg_file *cfg, sweep_plan *plan, sw_err *err);
void sched_free(sched *s);

/* Keep only shard K of N of the plan's trials (sweep_plan_shard), the
 * expected cost of a trial being its epochs x training examples x
 * multiply-adds per example (nn_madds). After sched_prepare. */
int sched_shard(sched *s, int K, int N, sw_err *err);

/* Texts of trial k's model for the runs table: the dense hidden sizes
 * ("512-256") and the whole model ("conv32k5-pool2-512-do0.5"). */
void sched_model_text(const sched *s, int k, char *hidden, char *model, size_t size);

/* Add trials [from, to) of the plan that have values to the store as
 * pending runs (store_add_trials' rules); *added gets how many rows. */
int sched_add_trials(const sched *s, store *st, int64_t sweep_id, int from, int to, int *added,
                     sw_err *err);

/* Train every claimable trial of the sweep with o->jobs workers. Returns 0
 * when the sweep ran out of trials; on SIGINT/SIGTERM it marks the runs in
 * flight stopped and returns 128 + the signal number in *signo. */
int sched_run(sched *s, store *st, int64_t sweep_id, const sched_opts *o, int *signo,
              sw_err *err);

#endif
