/* optim.c - see optim.h. The update formulas follow PyTorch's, so results
 * can be compared with it (g includes L2: g = dL/dw + l2*w on weights):
 *   sgd:      v = mu*v + g; w -= lr * (nesterov ? g + mu*v : v)
 *   adam(w):  m = b1*m + (1-b1)*g; v = b2*v + (1-b2)*g^2;
 *             w -= lr * (m/(1-b1^t)) / (sqrt(v/(1-b2^t)) + eps)
 *             adamw first does w -= lr*wd*w on decaying tensors.
 *
 * Each step is one pass over params and grads (the L2 term, the update and
 * readying the grads are fused): at 784-256-10 the separate passes cost more
 * than the small matrix products. For classical momentum the grads block IS
 * the velocity: the step leaves mu*v in it and the next backward adds g, so
 * no extra buffer and no zeroing pass. */
#include "optim.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Classical momentum keeps its velocity in net->grads; Nesterov needs g and
 * v apart, so it keeps v in o->m. */
static int uses_m(const optim_cfg *c) {
    return c->type != OPT_SGD || (c->momentum != 0.0 && c->nesterov);
}

int optim_init(optim *o, const optim_cfg *cfg, size_t nparams, sw_err *err) {
    o->cfg = *cfg;
    o->n = nparams;
    o->t = 0;
    o->m = o->v = NULL;
    int need_v = cfg->type != OPT_SGD;
    if (uses_m(cfg) && !(o->m = calloc(nparams, sizeof(float))))
        return err_set(err, ERR_INTERNAL, "out of memory for the optimizer");
    if (need_v && !(o->v = calloc(nparams, sizeof(float)))) {
        free(o->m);
        return err_set(err, ERR_INTERNAL, "out of memory for the optimizer");
    }
    return 0;
}

void optim_free(optim *o) {
    free(o->m);
    free(o->v);
    o->m = o->v = NULL;
}

const char *optim_name(const optim_cfg *cfg) {
    switch (cfg->type) {
    case OPT_ADAM: return "adam";
    case OPT_ADAMW: return "adamw";
    default: return cfg->momentum == 0.0 ? "sgd" : cfg->nesterov ? "nesterov" : "momentum";
    }
}

/* w, G are (n): one tensor's slice; G holds mu*v_old + dL/dw on entry and
 * mu*v_new on return (plain SGD: mu = 0, so G is zeroed). */
static void momentum_update(float *restrict w, float *restrict G, size_t n, float lr, float mu,
                            float l2) {
    for (size_t i = 0; i < n; i++) {
        float v = G[i] + l2 * w[i];
        w[i] -= lr * v;
        G[i] = mu * v;
    }
}

/* w, G, m are (n); G holds dL/dw and is zeroed; m is the velocity. */
static void nesterov_update(float *restrict w, float *restrict G, float *restrict m, size_t n,
                            float lr, float mu, float l2) {
    for (size_t i = 0; i < n; i++) {
        float g = G[i] + l2 * w[i];
        m[i] = mu * m[i] + g;
        w[i] -= lr * (g + mu * m[i]);
        G[i] = 0.0f;
    }
}

/* w, G, m, v are (n); G holds dL/dw and is zeroed; c1, c2 are the bias
 * corrections 1-b1^t, 1-b2^t; wd is AdamW's decoupled decay (0 for Adam). */
static void adam_update(float *restrict w, float *restrict G, float *restrict m, float *restrict v,
                        size_t n, float lr, float wd, float l2, const optim_cfg *c, double c1,
                        double c2) {
    float b1 = (float)c->beta1, b2 = (float)c->beta2, eps = (float)c->eps;
    float a = (float)(lr / c1), rc2 = (float)(1.0 / c2), shrink = 1.0f - lr * wd;
    for (size_t i = 0; i < n; i++) {
        float g = G[i] + l2 * w[i];
        float wi = w[i] * shrink;
        m[i] = b1 * m[i] + (1.0f - b1) * g;
        v[i] = b2 * v[i] + (1.0f - b2) * g * g;
        w[i] = wi - a * m[i] / (sqrtf(v[i] * rc2) + eps);
        G[i] = 0.0f;
    }
}

void optim_step(optim *o, nn_net *net, double lr, double l2) {
    o->t++;
    const optim_cfg *c = &o->cfg;
    double c1 = 1.0 - pow(c->beta1, (double)o->t), c2 = 1.0 - pow(c->beta2, (double)o->t);
    float mu = (float)c->momentum;
    for (int k = 0; k < net->ntensors; k++) {
        const nn_tensor *T = &net->tensors[k];
        float *w = net->params + T->off, *G = net->grads + T->off;
        float *m = o->m ? o->m + T->off : NULL, *v = o->v ? o->v + T->off : NULL;
        float decay = T->decay ? (float)l2 : 0.0f;
        if (c->type != OPT_SGD) {
            float wd = c->type == OPT_ADAMW && T->decay ? (float)c->weight_decay : 0.0f;
            adam_update(w, G, m, v, T->n, (float)lr, wd, decay, c, c1, c2);
        } else if (m) {
            nesterov_update(w, G, m, T->n, (float)lr, mu, decay);
        } else {
            momentum_update(w, G, T->n, (float)lr, mu, decay);
        }
    }
}
