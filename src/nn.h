/* nn.h - the network: a list of layers, each a forward/backward pair.
 *
 * Owns: building a network from layer specs and an input shape (shapes are
 * inferred and checked), He initialisation, forward and backward passes,
 * softmax + cross-entropy. All trainable parameters live in one contiguous
 * block (net->params) with gradients mirroring it (net->grads); non-trained
 * state such as batch-norm running averages lives in a second block
 * (net->state). A checkpoint is the two blocks; an optimizer step is one loop
 * over net->tensors. Layers plug in through nn_layer_ops (see layer_*.c):
 * adding a layer type adds a file and a row in nn.c's table.
 * Does not own: the optimizer (optim.c), the training loop (train.c). */
#ifndef SWEEP_NN_H
#define SWEEP_NN_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "rng.h"

typedef enum {
    LAYER_DENSE, LAYER_RELU, LAYER_DROPOUT, LAYER_BATCHNORM, LAYER_CONV, LAYER_MAXPOOL,
    LAYER__COUNT
} layer_type;

/* What a config asks for; fields not used by the type are ignored. */
typedef struct layer_spec {
    layer_type type;
    int units;            /* dense: outputs */
    int filters, kernel;  /* conv: output channels, square kernel size */
    int same;             /* conv: 1 = 'same' padding, 0 = 'valid' */
    int size;             /* maxpool: window and stride */
    double rate;          /* dropout: probability of zeroing, [0,1) */
    double momentum, eps; /* batchnorm: running-average momentum, epsilon (0: 0.1, 1e-5) */
} layer_spec;

/* Per-example shape. Activations are stored channels last, (h, w, c), as
 * the IDX files hold images; the output of a dense layer is flat: {n, 1, 1}
 * with flat = 1, and conv or pooling cannot follow it. */
typedef struct nn_shape { int c, h, w, flat; } nn_shape;

/* A run of parameters the optimizer treats alike; decay: L2 applies (weights). */
typedef struct nn_tensor { size_t off, n; int decay; } nn_tensor;

#define NN_MAX_LAYER_TENSORS 4

typedef struct nn_layer nn_layer;
typedef struct nn_net nn_net;

typedef struct nn_layer_ops {
    const char *name;
    /* From L->spec and L->in: set L->out, L->nparams, L->tensors (offsets
     * relative to the layer's params), L->nstate, and the scratch it needs:
     * L->scratch_per_ex floats per example plus L->scratch_extra floats.
     * L->net->max_batch is set. Fails when the layer cannot follow its input. */
    int (*setup)(nn_layer *L, sw_err *err);
    /* Initialise L->params (and L->state) from r. NULL: nothing to do. */
    void (*init)(nn_layer *L, rng *r);
    /* in is (B, in_size), out is (B, out_size). train: 1 in training mode. */
    void (*forward)(nn_layer *L, float *out, const float *in, int B, int train);
    /* dout is (B, out_size) and may be overwritten; din is (B, in_size) or
     * NULL for the first layer; in/out are this layer's forward buffers.
     * Adds its gradient into L->grads (the optimizer readies them). */
    void (*backward)(nn_layer *L, float *din, float *dout, const float *in, const float *out,
                     int B);
} nn_layer_ops;

struct nn_layer {
    const nn_layer_ops *ops;
    layer_spec spec;
    nn_shape in, out;
    size_t in_size, out_size;       /* c*h*w of in and out */
    int relu;                       /* dense/conv/batchnorm: ReLU fused into the output */
    size_t nparams, nstate, scratch_per_ex, scratch_extra;
    int ntensors;
    nn_tensor tensors[NN_MAX_LAYER_TENSORS];
    float *params, *grads, *state;  /* views into the net's blocks */
    float *scratch;                 /* max_batch * scratch_per_ex + scratch_extra, 64-byte aligned */
    nn_net *net;
};

struct nn_net {
    int nlayers;
    nn_layer *layers;
    nn_shape input;
    int classes;
    int max_batch;
    float *params, *grads;  /* nparams each */
    size_t nparams;
    float *state;           /* nstate: saved with params, not trained */
    size_t nstate;
    nn_tensor *tensors;     /* offsets into params */
    int ntensors;
    float **acts;           /* nlayers+1 buffers, (max_batch, size): acts[0] is the input */
    float *dbuf[2];         /* gradient ping-pong, (max_batch, largest size) */
    float *scratch;         /* every layer's scratch, one allocation */
    rng rng;                /* dropout masks: seeded by nn_init */
    int bad_layer;          /* after nn_build failed with ERR_INPUT: the spec at fault */
};

/* Build from specs for inputs of shape `input` and `classes` outputs, for
 * batches up to max_batch. A dense, conv or batchnorm layer followed by ReLU
 * gets the ReLU fused. Fails (ERR_INPUT) when a layer cannot follow the one before it
 * or the last layer's size is not `classes`. */
int nn_build(nn_net *net, const layer_spec *specs, int nspecs, nn_shape input, int classes,
             int max_batch, sw_err *err);
void nn_free(nn_net *net);
/* Only the checks of nn_build; *bad gets the index of the spec at fault. */
int nn_check(const layer_spec *specs, int nspecs, nn_shape input, int classes, int *bad,
             sw_err *err);
/* Multiply-adds of one example's forward pass (0 if the layers do not fit):
 * the expected cost of a trial is this times examples times epochs. */
double nn_madds(const layer_spec *specs, int nspecs, nn_shape input, int classes);
/* He initialisation of every layer from seed; also seeds the dropout stream. */
void nn_init(nn_net *net, uint64_t seed);

/* x is (B, input size); returns the logits, (B, classes), owned by net. */
const float *nn_forward(nn_net *net, const float *x, int B, int train);
/* After nn_forward(train=1): dlogits is (B, classes), overwritten. Adds
 * d(loss)/d(params) into net->grads, which nn_build zeroes and optim_step
 * readies for the next batch; nn_zero_grads starts afresh. */
void nn_backward(nn_net *net, float *dlogits, int B);
void nn_zero_grads(nn_net *net);

/* Softmax + cross-entropy of logits (B, C) against labels y (B), stable for
 * any finite logits. Returns the summed loss (nats); *correct gets the number
 * of argmax hits. If dlogits is not NULL it gets d(mean loss)/d(logits). */
double nn_softmax_xent(float *dlogits, const float *logits, const int *y, int B, int C,
                       int *correct);

/* Readable model text, e.g. "256", "512-256", "conv32k5-pool2-512-do0.5". */
void nn_describe(const layer_spec *specs, int nspecs, char *buf, size_t size);

/* Layer tables (layer_*.c). */
extern const nn_layer_ops layer_dense_ops, layer_relu_ops, layer_dropout_ops, layer_batchnorm_ops,
    layer_conv_ops, layer_maxpool_ops;
/* "dense", "relu", "dropout", "batchnorm", "conv", "maxpool" */
const char *nn_layer_name(layer_type t);

#endif
