/* optim.h - optimizers: one loop over the parameter block per step.
 *
 * Owns: SGD (plain, classical or Nesterov momentum), Adam and AdamW, and the
 * L2 term: l2 * w is added to the gradient of the weights (not the biases)
 * inside the step. AdamW's weight_decay is decoupled from it: w -= lr *
 * weight_decay * w, outside the adaptive step.
 * The step consumes net->grads and leaves them ready for the next
 * nn_backward, which adds into them: zeroed, or (classical momentum) holding
 * mu * velocity. Start from zeroed grads (nn_build gives them).
 * Does not own the learning-rate schedule (train.c). */
#ifndef SWEEP_OPTIM_H
#define SWEEP_OPTIM_H

#include <stddef.h>

#include "err.h"
#include "nn.h"

typedef enum { OPT_SGD, OPT_ADAM, OPT_ADAMW } optim_type;

typedef struct optim_cfg {
    optim_type type;
    double momentum;      /* sgd: 0 for plain SGD */
    int nesterov;         /* sgd: 1 for Nesterov momentum */
    double beta1, beta2;  /* adam, adamw */
    double eps;           /* adam, adamw */
    double weight_decay;  /* adamw: decoupled decay */
} optim_cfg;

typedef struct optim {
    optim_cfg cfg;
    float *m, *v;  /* Nesterov velocity or Adam's first moment, second moment:
                    * nparams each (classical momentum keeps v in net->grads) */
    size_t n;
    long t;        /* steps taken */
} optim;

int optim_init(optim *o, const optim_cfg *cfg, size_t nparams, sw_err *err);
void optim_free(optim *o);
/* One update of net->params from net->grads + l2 * weights, at learning
 * rate lr; leaves net->grads ready for the next nn_backward (see above). */
void optim_step(optim *o, nn_net *net, double lr, double l2);
/* "sgd", "momentum", "nesterov", "adam", "adamw" */
const char *optim_name(const optim_cfg *cfg);

#endif
