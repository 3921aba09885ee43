/* store.h - the results database: one SQLite file per sweep.
 *
 * Owns: the schema (created, versioned with PRAGMA user_version, migrated),
 * WAL mode and the busy timeout, sweeps/runs/epochs rows, claiming trials
 * so that several processes can share one sweep, and JSON built with
 * SQLite's json functions. Every value is a bound parameter. Only the
 * scheduler's parent process writes; workers never open the database.
 * Does not own what a trial is (sweep.c) or how results are shown (report.c). */
#ifndef SWEEP_STORE_H
#define SWEEP_STORE_H

#include <sqlite3.h>
#include <stdint.h>

#include "err.h"
#include "node.h"
#include "train.h"

#define STORE_SCHEMA_VERSION 4

typedef struct store store;

/* Open or create the database at path (its folder must exist). A new file
 * gets the schema; an existing one must be a sweep database of this or an
 * older, migratable schema version. Errors name the file and the fix: not
 * writable, not a SQLite file, not a sweep database, newer schema. With
 * readonly, nothing is created or changed (for reports of a read-only file). */
int store_open(store **out, const char *path, int readonly, sw_err *err);
void store_close(store *s);
sqlite3 *store_handle(store *s);   /* for read-only queries (report.c, plots) */
const char *store_schema_sql(void);  /* the CREATE statements, for `sweep schema` */

/* JSON text of a node tree, built by SQLite's json functions: mappings
 * become objects (keys in order), lists arrays, plain scalars numbers, true,
 * false or null when they read as such, everything else strings. malloc'd. */
int store_json(store *s, const node *n, char **out, sw_err *err);

/* The sweeps row with this name and config text, created if missing. */
int store_sweep(store *s, const char *name, const char *config, const char *version,
                int64_t *sweep_id, sw_err *err);

/* Record what the sweeps row's file holds: shard "K/N" (NULL: the whole
 * sweep) and its number of trials. */
int store_sweep_shard(store *s, int64_t sweep_id, const char *shard, int trials, sw_err *err);

/* What a runs row is made from; strings are copied. */
typedef struct store_trial {
    int trial;                 /* 0-based number within the sweep */
    const char *params;        /* JSON of the trial's full resolved config */
    const char *swept;         /* JSON object: swept key path -> value */
    const char *hidden;        /* dense hidden sizes: "256", "512-256" */
    const char *model;         /* the whole model: "256-do0.2", "conv32k5-pool2-512" */
    int epochs, batch_size;
    const char *optimizer;     /* optim_name() */
    double momentum;
    const char *lr_schedule;
    double lr, l2;
    int64_t seed;
} store_trial;

/* In one transaction, add a `pending` run for each trial that has no row in
 * this sweep yet. A trial whose params equal those of a `done` run anywhere
 * in the database is not added: it was trained already. *added gets the
 * number of rows added. */
int store_add_trials(store *s, int64_t sweep_id, const store_trial *t, int n, int *added,
                     sw_err *err);

/* In one IMMEDIATE transaction, claim the lowest-numbered trial of the sweep
 * that is pending, stopped, or running under a process of this host that no
 * longer exists (a crashed sweep); failed runs are not retried. Set it running,
 * claimed_by "host:pid", started_at now, clear its results, delete its epoch
 * rows. Returns 1 and fills *run_id and *trial, or 0 when nothing is left. */
int store_claim(store *s, int64_t sweep_id, int64_t *run_id, int *trial, sw_err *err);

/* This process is the only one training the sweep in this file (a shard's
 * task: Slurm runs it once at a time, maybe requeued on another node), so a
 * row left running by any other process, on any host, is claimed again. The
 * file leaves WAL mode for SQLite's rollback journal: WAL needs every reader
 * on the writer's host, and `sweep status` reads shards from a login node. */
int store_exclusive(store *s, sw_err *err);

/* One epoch row, in its own transaction (a crash loses at most this epoch).
 * Non-finite numbers are stored as NULL. */
int store_epoch(store *s, int64_t run_id, const train_epoch *e, sw_err *err);

/* End a run: status is "done", "diverged", "failed", "stopped" or "pruned";
 * r may be NULL (failed before training); error may be NULL. NaN -> NULL. */
int store_finish(store *s, int64_t run_id, const char *status, const train_result *r,
                 const char *error, sw_err *err);

/* Set the sweep's failed runs back to pending: each `sweep run` tries them
 * once more (within one invocation a failed run is not retried). */
int store_retry_failed(store *s, int64_t sweep_id, int *n, sw_err *err);

/* What the sweep's ended runs (done, pruned, diverged, failed) reported, for
 * a pruner and a sampler to rebuild their state on resume: fn(ctx, trial,
 * epoch, val_acc, val_loss, NULL) for every epoch row in trial then epoch
 * order (NULL -> NaN), then fn(ctx, trial, 0, best_val_acc, NaN, status)
 * once per ended run. */
typedef void (*store_history_fn)(void *ctx, int trial, int epoch, double val_acc, double val_loss,
                                 const char *status);
int store_history(store *s, int64_t sweep_id, store_history_fn fn, void *ctx, sw_err *err);
/* fn(ctx, trial, swept JSON) for every run of the sweep, in trial order. */
typedef int (*store_swept_fn)(void *ctx, int trial, const char *swept, sw_err *err);
int store_swept(store *s, int64_t sweep_id, store_swept_fn fn, void *ctx, sw_err *err);

/* Counts of the sweep's runs by status. */
typedef struct store_counts { int pending, running, done, failed, diverged, stopped, pruned; } store_counts;
int store_counts_get(store *s, int64_t sweep_id, store_counts *c, sw_err *err);

#endif
