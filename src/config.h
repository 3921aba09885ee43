/* config.h - a YAML config file, validated, as the settings of one run plus
 * the sweep over them.
 *
 * Owns: the meaning of every key (types, ranges, defaults), did-you-mean for
 * unknown keys, command-line overrides, and turning a (possibly swept) tree
 * into a run_cfg. Errors carry file:line:column from the node marks.
 * Does not own YAML syntax (node.c) or expanding trials (sampler.c). */
#ifndef SWEEP_CONFIG_H
#define SWEEP_CONFIG_H

#include <stdint.h>

#include "err.h"
#include "node.h"
#include "nn.h"
#include "train.h"

#define CFG_MAX_HIDDEN 32
#define CFG_MAX_SPEC 24 /* entries of model.layers */
/* Room for any model's layer list: dense, batchnorm, relu, dropout per hidden layer. */
#define CFG_MAX_LAYERS (4 * CFG_MAX_HIDDEN + 1)

typedef struct data_cfg {
    char dataset[32];     /* mnist | fashion-mnist | idx */
    char dir[1024];       /* folder of the four IDX files */
    int validation;       /* examples held out of the training set */
    int limit;            /* use only the first `limit` training examples; 0: all */
    int classes;          /* labels must be below this; 0: max label + 1 */
    uint64_t split_seed;  /* which examples are held out */
} data_cfg;

/* The short form of an MLP (hidden, dropout, batch_norm), or the general
 * form: a list of layers (nlayers > 0), which is then the whole model. */
typedef struct model_cfg {
    int nhidden;
    int hidden[CFG_MAX_HIDDEN];  /* MLP hidden sizes, input to output */
    double dropout;              /* after each hidden ReLU; 0: none */
    int batch_norm;              /* before each hidden ReLU */
    int nlayers;                 /* model.layers; 0: the short form */
    layer_spec layers[CFG_MAX_SPEC];
} model_cfg;

typedef struct run_cfg {
    char name[128];
    data_cfg data;
    model_cfg model;
    train_cfg train;
} run_cfg;

/* Parse and validate a run config tree (the sweep section, if any, is not
 * looked at). Unset keys get their defaults; `name` defaults to default_name. */
int cfg_resolve(run_cfg *out, const node *root, const char *default_name, sw_err *err);

/* Layers of the model for `classes` outputs (the short form ends with a
 * dense layer of that size); returns their count (<= max). */
int cfg_layers(const model_cfg *m, int classes, layer_spec *out, int max);
/* The dense hidden sizes of a layer list, "512-256" ("" if none). */
void cfg_hidden_text(const layer_spec *L, int n, char *buf, size_t size);

/* The `sweep:` section. */
#define CFG_MAX_PARAMS 32

typedef enum { SWEEP_GRID, SWEEP_RANDOM, SWEEP_TPE } sweep_method;
typedef enum { DIST_UNIFORM, DIST_LOG_UNIFORM, DIST_INT } param_dist;

typedef struct cfg_param {
    char path[128];       /* dotted config key, e.g. "train.lr.initial" */
    const node *key;      /* where it is written, for messages */
    const node *values;   /* a list of values to choose from, or NULL for a range */
    double min, max;      /* range: bounds (inclusive) */
    param_dist dist;      /* range: how to draw */
} cfg_param;

/* sweep.early_stop: which pruner, on which metric. */
typedef enum { STOP_NONE, STOP_ASHA, STOP_HYPERBAND, STOP_MEDIAN } stop_type;
typedef enum { METRIC_VAL_ACC, METRIC_VAL_LOSS } stop_metric;

typedef struct cfg_early_stop {
    stop_type type;
    stop_metric metric;
    int min_epochs;       /* asha, hyperband: the first rung (epochs) */
    int reduction;        /* asha, hyperband: keep 1 in `reduction` at each rung */
    int warmup_epochs;    /* median: no decision before this epoch */
    int startup_trials;   /* median: no decision before this many earlier trials have a value */
} cfg_early_stop;

typedef struct cfg_sweep {
    int present;          /* the file has a sweep: section */
    cfg_early_stop early_stop;
    sweep_method method;
    int trials;           /* random, tpe: how many trials */
    int startup_trials;   /* tpe: random trials before the model takes over */
    int multivariate;     /* tpe: model the parameters jointly */
    double budget_seconds;   /* > 0: the sweep ends after this much wall time */
    stop_metric target_metric;
    double target_value;     /* not NaN: the sweep ends when an epoch reaches it */
    uint64_t seed;        /* random: the draws */
    uint64_t stream;      /* added to every draw's stream number: K << 32 for shard K of
                           * an adaptive sweep (its own search), else 0; not in the file */
    int nparams;
    cfg_param params[CFG_MAX_PARAMS];
} cfg_sweep;

/* A loaded config file: the tree with overrides applied. */
typedef struct cfg_file {
    char path[1024];
    char name[128];   /* `name:` or the file's base name without .yaml */
    node *root;       /* never NULL after cfg_load */
    run_cfg base;     /* the tree resolved */
    cfg_sweep sweep;  /* present == 0 for a single run */
} cfg_file;

/* The full resolved settings as a tree: every key of the schema with its
 * value, defaults included (the sweep section is not part of it). Without
 * the name, it is a trial's identity: two runs with equal trees are the
 * same training. */
node *cfg_to_node(const run_cfg *c, int with_name);
/* Where path is set, for messages: its swept values, else its key in the
 * file, else the top of the file. */
const node *cfg_where(const cfg_file *c, const char *path);
/* 0 if path names a config key that can be swept; else an error at `where`. */
int cfg_check_path(const char *path, const node *where, sw_err *err);

/* Read path, apply the "a.b=value" overrides in order, validate the run
 * settings and the sweep section (every swept value is checked in place). */
int cfg_load(cfg_file *c, const char *path, char *const *overrides, int noverrides, sw_err *err);
void cfg_free(cfg_file *c);

#endif
