/* shards.h - the databases of a sweep run in shards (sweep run --shard K/N):
 * joining them into one (sweep merge) and their progress (sweep status).
 *
 * Owns: checking that files are shards of one sweep (same resolved config,
 * same schema version, sweep databases at all), copying their runs and
 * epochs rows into one database so that it is either complete or untouched,
 * and counting their trials by state. Rows are written through SQLite
 * (ATTACH and INSERT ... SELECT); the schema is store.c's.
 * Called by main.c. */
#ifndef SWEEP_SHARDS_H
#define SWEEP_SHARDS_H

#include <stdio.h>

#include "err.h"

/* The most shards a sweep runs in (--shard K/N, sweep slurm --tasks N). */
#define SHARDS_MAX 100000

/* Merge the shard databases paths[0..n) into out (created if missing).
 * A trial already in out is replaced only by a more finished run of it
 * (ended > failed > stopped or running > pending), so merging a shard twice
 * adds nothing. The work is done on a copy beside out, renamed over it at
 * the end: out is either as it was or complete. Refused, naming the file:
 * not a SQLite file, not a sweep database, another schema version, a
 * different resolved config than the first shard. One line per shard on msg. */
int shards_merge(const char *out, char *const *paths, int n, FILE *msg, sw_err *err);

/* Progress of a sweep across shard databases (paths may be glob patterns):
 * per shard done, pruned, diverged, failed, running and pending trials, the
 * shards with no database yet (from the NAME.shard-K-of-N.db names), totals.
 * *bad gets 1 when a shard has failed trials or cannot be read. */
int shards_status(char *const *paths, int n, FILE *out, int *bad, sw_err *err);

#endif
