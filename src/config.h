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
#define CFG_MAX_LAYERS 64

typedef struct data_cfg {
    char dataset[32];     /* mnist | fashion-mnist | idx */
    char dir[1024];       /* folder of the four IDX files */
    int validation;       /* examples held out of the training set */
    int limit;            /* use only the first `limit` training examples; 0: all */
    int classes;          /* labels must be below this; 0: max label + 1 */
    uint64_t split_seed;  /* which examples are held out */
} data_cfg;

typedef struct model_cfg {
    int nhidden;
    int hidden[CFG_MAX_HIDDEN];  /* MLP hidden sizes, input to output */
    double dropout;              /* after each hidden ReLU; 0: none */
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

/* Layers of the model for `classes` outputs; returns their count (<= max). */
int cfg_layers(const model_cfg *m, int classes, layer_spec *out, int max);

/* A loaded config file: the tree with overrides applied. */
typedef struct cfg_file {
    char path[1024];
    char name[128];   /* `name:` or the file's base name without .yaml */
    node *root;       /* never NULL after cfg_load */
    run_cfg base;     /* the tree resolved */
} cfg_file;

/* Read path, apply the "a.b=value" overrides in order, validate. */
int cfg_load(cfg_file *c, const char *path, char *const *overrides, int noverrides, sw_err *err);
void cfg_free(cfg_file *c);

#endif
