/* nn.c - building and running a network of layers. See nn.h.
 *
 * Invariants: net->layers[i].in is net->layers[i-1].out; every layer's
 * params/grads/state are disjoint views into the net's blocks, in layer order;
 * activation buffer i+1 is layer i's output and is kept until backward, which
 * needs it. Nothing is allocated after nn_build. Called by train.c. */
#include "nn.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const nn_layer_ops *const layer_ops[LAYER__COUNT] = {
    [LAYER_DENSE] = &layer_dense_ops,
    [LAYER_RELU] = &layer_relu_ops,
    [LAYER_DROPOUT] = &layer_dropout_ops,
    [LAYER_BATCHNORM] = &layer_batchnorm_ops,
    [LAYER_CONV] = &layer_conv_ops,
    [LAYER_MAXPOOL] = &layer_maxpool_ops,
};

static const char *const layer_names[LAYER__COUNT] = {
    [LAYER_DENSE] = "dense", [LAYER_RELU] = "relu", [LAYER_DROPOUT] = "dropout",
    [LAYER_BATCHNORM] = "batchnorm", [LAYER_CONV] = "conv", [LAYER_MAXPOOL] = "maxpool",
};

static size_t shape_size(nn_shape s) { return (size_t)s.c * s.h * s.w; }

const char *nn_layer_name(layer_type t) {
    return (unsigned)t < LAYER__COUNT ? layer_names[t] : "?";
}

/* Scratch offsets are kept at multiples of 16 floats (64 bytes). */
static size_t round16(size_t n) { return (n + 15) & ~(size_t)15; }

void nn_free(nn_net *net) {
    if (!net) return;
    if (net->acts)
        for (int i = 1; i <= net->nlayers; i++) free(net->acts[i]);
    free(net->acts);
    free(net->dbuf[0]);
    free(net->dbuf[1]);
    free(net->scratch);
    free(net->params);
    free(net->grads);
    free(net->state);
    free(net->tensors);
    free(net->layers);
    memset(net, 0, sizeof *net);
}

/* Shapes, sizes and fusion: fills net->layers (calloc'd by the caller) and
 * sums what the blocks need; allocates nothing. On an ERR_INPUT failure
 * net->bad_layer is the spec at fault. */
typedef struct net_sizes { size_t np, ns, nscratch, largest; int nt; } net_sizes;

static int setup_layers(nn_net *net, const layer_spec *specs, int nspecs, net_sizes *z,
                        sw_err *err) {
    nn_shape cur = net->input;
    *z = (net_sizes){0, 0, 0, shape_size(cur), 0};
    for (int i = 0; i < nspecs; i++) {
        const layer_spec *s = &specs[i];
        net->bad_layer = i;
        if ((unsigned)s->type >= LAYER__COUNT || !layer_ops[s->type])
            return err_set(err, ERR_INPUT, "layer %d: type '%s' is not supported yet", i + 1,
                           (unsigned)s->type < LAYER__COUNT ? layer_names[s->type] : "?");
        nn_layer *L = &net->layers[net->nlayers];
        L->ops = layer_ops[s->type];
        L->spec = *s;
        L->in = cur;
        L->in_size = shape_size(cur);
        L->net = net;
        if (L->ops->setup(L, err)) return err_prefix(err, "layer %d (%s)", i + 1, layer_names[s->type]);
        if ((s->type == LAYER_DENSE || s->type == LAYER_CONV || s->type == LAYER_BATCHNORM) &&
            i + 1 < nspecs && specs[i + 1].type == LAYER_RELU) {
            L->relu = 1;
            i++;
        }
        L->out_size = shape_size(L->out);
        z->np += L->nparams;
        z->ns += L->nstate;
        z->nscratch += round16(L->scratch_per_ex * (size_t)net->max_batch + L->scratch_extra);
        z->nt += L->ntensors;
        if (L->out_size > z->largest) z->largest = L->out_size;
        cur = L->out;
        net->nlayers++;
    }
    if (net->nlayers == 0 || shape_size(cur) != (size_t)net->classes) {
        net->bad_layer = nspecs - 1;
        return err_set(err, ERR_INPUT,
                       "the last layer has %zu outputs but the data has %d classes; end the "
                       "model with a dense layer of %d units",
                       net->nlayers ? shape_size(cur) : 0, net->classes, net->classes);
    }
    return 0;
}

/* nn_check's work; *madds (if not NULL) gets the multiply-adds of one
 * example's forward pass: a dense layer's weights, a conv layer's weights at
 * every output position, one per output for the others. */
static int check_layers(const layer_spec *specs, int nspecs, nn_shape input, int classes, int *bad,
                        double *madds, sw_err *err) {
    nn_net net;
    memset(&net, 0, sizeof net);
    net.input = input;
    net.classes = classes;
    net.max_batch = 1;
    net.layers = calloc(nspecs > 0 ? (size_t)nspecs : 1, sizeof *net.layers);
    if (!net.layers) return err_set(err, ERR_INTERNAL, "out of memory checking the network");
    net_sizes z;
    int rc = setup_layers(&net, specs, nspecs, &z, err);
    if (rc && bad) *bad = net.bad_layer;
    if (!rc && madds) {
        *madds = 0;
        for (int i = 0; i < net.nlayers; i++) {
            const nn_layer *L = &net.layers[i];
            *madds += L->spec.type == LAYER_CONV ? (double)L->nparams * L->out.h * L->out.w
                      : L->spec.type == LAYER_DENSE ? (double)L->nparams
                                                    : (double)L->out_size;
        }
    }
    free(net.layers);
    return rc;
}

int nn_check(const layer_spec *specs, int nspecs, nn_shape input, int classes, int *bad,
             sw_err *err) {
    return check_layers(specs, nspecs, input, classes, bad, NULL, err);
}

double nn_madds(const layer_spec *specs, int nspecs, nn_shape input, int classes) {
    double m = 0;
    sw_err e = {0, ""};
    return check_layers(specs, nspecs, input, classes, NULL, &m, &e) ? 0 : m;
}

int nn_build(nn_net *net, const layer_spec *specs, int nspecs, nn_shape input, int classes,
             int max_batch, sw_err *err) {
    memset(net, 0, sizeof *net);
    net->input = input;
    net->classes = classes;
    net->max_batch = max_batch;
    net->layers = calloc(nspecs > 0 ? (size_t)nspecs : 1, sizeof *net->layers);
    if (!net->layers) return err_set(err, ERR_INTERNAL, "out of memory building the network");
    net_sizes z;
    if (setup_layers(net, specs, nspecs, &z, err)) {
        int bad = net->bad_layer;
        nn_free(net);
        net->bad_layer = bad;
        return -1;
    }
    size_t np = z.np, ns = z.ns, nscratch = z.nscratch, largest = z.largest;
    int nt = z.nt;

    /* One block each for params, grads, state, scratch; buffers per layer. */
    size_t mb = (size_t)max_batch;
    net->nparams = np;
    net->nstate = ns;
    net->ntensors = nt;
    net->params = calloc(np ? np : 1, sizeof(float));
    net->grads = calloc(np ? np : 1, sizeof(float));
    net->state = calloc(ns ? ns : 1, sizeof(float));
    net->scratch = nscratch ? aligned_alloc(64, nscratch * sizeof(float)) : malloc(64);
    if (net->scratch) memset(net->scratch, 0, nscratch * sizeof(float));
    net->tensors = calloc(nt ? (size_t)nt : 1, sizeof(nn_tensor));
    net->acts = calloc((size_t)net->nlayers + 1, sizeof(float *));
    net->dbuf[0] = malloc(largest * mb * sizeof(float));
    net->dbuf[1] = malloc(largest * mb * sizeof(float));
    int ok = net->params && net->grads && net->state && net->scratch && net->tensors &&
             net->acts && net->dbuf[0] && net->dbuf[1];
    size_t po = 0, so = 0, co = 0;
    int ti = 0;
    for (int i = 0; ok && i < net->nlayers; i++) {
        nn_layer *L = &net->layers[i];
        L->params = net->params + po;
        L->grads = net->grads + po;
        L->state = net->state + so;
        L->scratch = net->scratch + co;
        for (int t = 0; t < L->ntensors; t++) {
            net->tensors[ti] = L->tensors[t];
            net->tensors[ti++].off += po;
        }
        po += L->nparams;
        so += L->nstate;
        co += round16(L->scratch_per_ex * mb + L->scratch_extra);
        net->acts[i + 1] = malloc(L->out_size * mb * sizeof(float));
        ok = net->acts[i + 1] != NULL;
    }
    if (!ok) {
        nn_free(net);
        return err_set(err, ERR_INTERNAL, "out of memory allocating the network (batch %d)",
                       max_batch);
    }
    return 0;
}

void nn_init(nn_net *net, uint64_t seed) {
    rng r;
    rng_seed(&r, seed, 1);
    for (int i = 0; i < net->nlayers; i++)
        if (net->layers[i].ops->init) net->layers[i].ops->init(&net->layers[i], &r);
    rng_seed(&net->rng, seed, 2);
}

const float *nn_forward(nn_net *net, const float *x, int B, int train) {
    net->acts[0] = (float *)x; /* read only: backward never writes acts[0] */
    for (int i = 0; i < net->nlayers; i++)
        net->layers[i].ops->forward(&net->layers[i], net->acts[i + 1], net->acts[i], B, train);
    return net->acts[net->nlayers];
}

void nn_backward(nn_net *net, float *dlogits, int B) {
    float *dout = dlogits;
    for (int i = net->nlayers - 1; i >= 0; i--) {
        float *din = i > 0 ? net->dbuf[(net->nlayers - i) & 1] : NULL;
        nn_layer *L = &net->layers[i];
        L->ops->backward(L, din, dout, net->acts[i], net->acts[i + 1], B);
        dout = din;
    }
}

void nn_zero_grads(nn_net *net) { memset(net->grads, 0, net->nparams * sizeof(float)); }

/* logits is (B,C), y is (B), dlogits is (B,C): (softmax - onehot) / B.
 * Float exponentials (one per logit), the loss summed in double. */
double nn_softmax_xent(float *dlogits, const float *logits, const int *y, int B, int C,
                       int *correct) {
    double loss = 0.0;
    int hits = 0;
    float invB = 1.0f / (float)B;
    for (int i = 0; i < B; i++) {
        const float *z = logits + (size_t)i * C;
        float mx = z[0];
        int arg = 0;
        for (int j = 1; j < C; j++)
            if (z[j] > mx) { mx = z[j]; arg = j; }
        float *d = dlogits ? dlogits + (size_t)i * C : NULL;
        float sum = 0.0f;
        for (int j = 0; j < C; j++) {
            float e = expf(z[j] - mx);
            sum += e;
            if (d) d[j] = e;
        }
        loss += (double)logf(sum) + (double)(mx - z[y[i]]);
        hits += arg == y[i];
        if (d) {
            float scale = invB / sum;
            for (int j = 0; j < C; j++) d[j] *= scale;
            d[y[i]] -= invB;
        }
    }
    if (correct) *correct = hits;
    return loss;
}

void nn_describe(const layer_spec *specs, int nspecs, char *buf, size_t size) {
    size_t len = 0;
    buf[0] = '\0';
    /* The last dense layer is the classifier: not part of the description. */
    int last_dense = -1;
    for (int i = 0; i < nspecs; i++)
        if (specs[i].type == LAYER_DENSE) last_dense = i;
    for (int i = 0; i < nspecs && len < size; i++) {
        const layer_spec *s = &specs[i];
        char tok[64] = "";
        switch (s->type) {
        case LAYER_DENSE: if (i != last_dense) snprintf(tok, sizeof tok, "%d", s->units); break;
        case LAYER_DROPOUT: snprintf(tok, sizeof tok, "do%g", s->rate); break;
        case LAYER_BATCHNORM: snprintf(tok, sizeof tok, "bn"); break;
        case LAYER_CONV:
            snprintf(tok, sizeof tok, "conv%dk%d%s", s->filters, s->kernel, s->same ? "" : "v");
            break;
        case LAYER_MAXPOOL: snprintf(tok, sizeof tok, "pool%d", s->size); break;
        default: break;
        }
        if (!tok[0]) continue;
        len += (size_t)snprintf(buf + len, size - len, "%s%s", len ? "-" : "", tok);
    }
    if (!buf[0]) snprintf(buf, size, "linear");
}
