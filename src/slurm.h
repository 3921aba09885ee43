/* slurm.h - a sweep as a Slurm job array (sweep slurm).
 *
 * Owns: the two batch scripts of a sweep - sweep.sbatch, a job array whose
 * task K checks the data and runs `sweep run --shard K/N` into its own
 * SQLite file, and merge.sbatch, which joins the shards with `sweep merge` -
 * with absolute paths throughout, and submitting them with sbatch (the merge
 * depending on the whole array). Knows nothing of training; main.c hands it
 * the config's paths. */
#ifndef SWEEP_SLURM_H
#define SWEEP_SLURM_H

#include <stdio.h>

#include "err.h"

typedef struct slurm_data {
    char dataset[32];   /* mnist | fashion-mnist | idx */
    char dir[4096];     /* absolute */
} slurm_data;

typedef struct slurm_opts {
    const char *name;        /* the sweep's name */
    const char *config;      /* absolute path of the config file */
    char *const *over;       /* KEY=VALUE overrides, passed on to every task */
    int nover;
    int tasks;               /* N */
    int cpus;                /* --cpus-per-task: each task's -j */
    const char *partition, *time, *mem;  /* NULL: the cluster's defaults */
    const slurm_data *data;  /* the data folders the trials read */
    int ndata;
    int submit;              /* run sbatch */
} slurm_opts;

/* Check the options' values; errors name the option and the fix. */
int slurm_check(const slurm_opts *o, sw_err *err);

/* Write experiments/NAME/slurm/{sweep,merge}.sbatch under the absolute
 * folder `experiments`, then print (to out) what was written and either the
 * two sbatch command lines or, with o->submit, the job ids sbatch gave and
 * how to watch them. */
int slurm_write(const slurm_opts *o, const char *experiments, FILE *out, sw_err *err);

#endif
