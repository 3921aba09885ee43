/* report.h - what a sweep database says, as text tables.
 *
 * Owns: the summary printed at the end of `sweep run` (the sweep's runs,
 * best first) and `sweep report DB` (best configurations averaged over
 * seeds, test accuracy per value of each swept parameter, counts by
 * status). Reads only; every number comes from SQL over the store. */
#ifndef SWEEP_REPORT_H
#define SWEEP_REPORT_H

#include <stdint.h>
#include <stdio.h>

#include "err.h"
#include "store.h"

/* "lr.initial=0.1 lr.schedule=step" from a swept JSON object (keys without
 * their section, lists as 512-256). */
void report_swept_text(sqlite3 *db, const char *json, char *buf, size_t size);

/* Mean and sample standard deviation (0 for one value) from the count, sum
 * and sum of squares that SQL aggregates give. */
void report_mean_std(int n, double s, double s2, double *mean, double *std);

/* The runs of one sweep, best test accuracy first; at most limit rows. */
int report_summary(store *st, int64_t sweep_id, FILE *out, int limit, sw_err *err);
/* The whole database: counts, best configurations, per-parameter tables. */
int report_db(store *st, FILE *out, int top, sw_err *err);

#endif
