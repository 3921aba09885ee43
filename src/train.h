/* train.h - one run: epochs of mini-batch training, validation, the best
 * checkpoint, and the test evaluation.
 *
 * Owns: the learning-rate schedule, the epoch loop (shuffle, batches,
 * optimizer steps), divergence detection, patience, keeping the parameters
 * of the best validation-accuracy epoch and evaluating the test set with them.
 * Reports each epoch through a callback that can end the run (the scheduler's
 * pruner, a signal). Does not own where results go (store.c) or the data
 * files (data.c). Deterministic: same inputs and seed, same bits. */
#ifndef SWEEP_TRAIN_H
#define SWEEP_TRAIN_H

#include <stdint.h>

#include "data.h"
#include "err.h"
#include "nn.h"
#include "optim.h"

typedef enum { LR_CONSTANT, LR_STEP, LR_EXPONENTIAL, LR_COSINE } lr_schedule;

typedef struct lr_cfg {
    lr_schedule schedule;
    double initial;  /* learning rate after warm-up, before decay */
    double factor;   /* step: multiply by factor ... */
    int every;       /* step: ... every `every` epochs */
    double gamma;    /* exponential: multiply by gamma each epoch */
    double min;      /* cosine: the floor it anneals to */
    int warmup;      /* epochs of linear warm-up before the schedule starts */
} lr_cfg;

typedef struct train_cfg {
    int epochs;
    int batch_size;
    optim_cfg optimizer;
    lr_cfg lr;
    double l2;      /* L2 on weights, added to the gradient */
    uint64_t seed;  /* initialisation, shuffling, dropout */
    int patience;   /* end after this many epochs without a better val_acc; 0: never */
    int save_best;  /* write the best epoch's checkpoint (not part of a trial's identity) */
} train_cfg;

/* The data of one run: the train/validation split is a list of indices into
 * `train`; `test` is used once, at the end. */
typedef struct train_data {
    const data_set *train;
    const int *train_idx;
    int n_train;
    const int *val_idx;
    int n_val;
    const data_set *test;
} train_data;

typedef struct train_epoch {
    int epoch;             /* from 1 */
    double lr;
    double train_loss;     /* mean cross-entropy over the epoch's batches (nats, no L2 term) */
    double train_acc;      /* fraction in [0,1], as trained (dropout on) */
    double val_loss, val_acc;
    double seconds;        /* wall time of the epoch: training and validation */
} train_epoch;

typedef enum { TRAIN_DONE, TRAIN_DIVERGED, TRAIN_STOPPED, TRAIN_PRUNED } train_status;

/* Called after each epoch; returns 0 to go on, TRAIN_STOPPED or TRAIN_PRUNED
 * to end the run with that status, or TRAIN_FINISH to end it now as done
 * (the sweep reached its target). The test set is evaluated with the best
 * checkpoint, except for a pruned run. */
#define TRAIN_FINISH 100
typedef int (*train_epoch_fn)(void *ctx, const train_epoch *e);

typedef struct train_result {
    train_status status;
    int epochs_run;       /* epochs completed */
    int best_epoch;       /* 0 if no epoch completed */
    double best_val_acc;
    double test_loss, test_acc;  /* with the best checkpoint; NAN if no epoch completed */
    int diverged_epoch;   /* the epoch whose loss became NaN/inf, else 0 */
    double train_seconds; /* whole run, test evaluation included */
    float *best_params;   /* if keep_best: the checkpoint (params then state), caller frees */
    size_t best_size;     /* floats in best_params */
    size_t best_nparams;  /* of them, parameters; the rest is state */
} train_result;

/* Learning rate for epoch (from 1) of a run of `epochs` epochs. Epoch
 * e <= warmup gets initial * e/(warmup+1); then, with t = e-warmup-1 and
 * T = epochs-warmup: constant: initial; step: initial * factor^floor(t/every);
 * exponential: initial * gamma^t; cosine: min + (initial-min)(1+cos(pi t/T))/2. */
double train_lr(const lr_cfg *c, int epoch, int epochs);
const char *train_schedule_name(lr_schedule s);
const char *train_status_name(train_status s);

/* Train a network of `layers` on d. fn may be NULL. keep_best: hand the best
 * checkpoint back in res->best_params. Errors only for resources or bad
 * shapes; divergence is a status, not an error. */
int train_run(train_result *res, const train_cfg *tc, const layer_spec *layers, int nlayers,
              const train_data *d, train_epoch_fn fn, void *ctx, int keep_best, sw_err *err);

/* Mean loss and accuracy of net on examples idx[0..n) of ds (eval mode);
 * x, y are (net->max_batch, dim) and (net->max_batch) work buffers. */
void train_evaluate(nn_net *net, const data_set *ds, const int *idx, int n, float *x, int *y,
                    double *loss, double *acc);

#endif
