/* plot.h - charts of a sweep database, drawn by gnuplot.
 *
 * Owns: the queries that turn a database into small data files (curves,
 * per-parameter tables, heatmap, schedules, cost) plus meta.gp, and running
 * the scripts under plots/ on them for PNG and SVG. The scripts are the
 * user-editable part; plots/README.md documents the data files they read.
 * Reads the database only. */
#ifndef SWEEP_PLOT_H
#define SWEEP_PLOT_H

#include "err.h"

typedef struct plot_opts {
    const char *outdir;   /* NULL: next to the database, experiments/NAME/plots */
    const char *scripts;  /* NULL: $SWEEP_PLOTS, ./plots, or plots/ beside the binary */
    int verbose;
} plot_opts;

/* Draw every chart of db; prints the paths of the files written. Errors:
 * gnuplot missing (ERR_INPUT, with the apt-get line), no finished runs. */
int plot_db(const char *db, const plot_opts *o, sw_err *err);
/* Overlay the best configurations of two databases. */
int plot_compare(const char *db_a, const char *db_b, const plot_opts *o, sw_err *err);

#endif
