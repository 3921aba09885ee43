/* optim.c - see optim.h. The update formulas follow PyTorch's, so results
 * can be compared with it:
 *   sgd:      v = mu*v + g; w -= lr * (nesterov ? g + mu*v : v)
 *   adam(w):  m = b1*m + (1-b1)*g; v = b2*v + (1-b2)*g^2;
 *             w -= lr * (m/(1-b1^t)) / (sqrt(v/(1-b2^t)) + eps)
 *             adamw first does w -= lr*wd*w on decaying tensors. */
#include "optim.h"

#include <math.h>
#include <stdlib.h>

int optim_init(optim *o, const optim_cfg *cfg, size_t nparams, sw_err *err) {
    o->cfg = *cfg;
    o->n = nparams;
    o->t = 0;
    o->m = o->v = NULL;
    int need_m = cfg->type != OPT_SGD || cfg->momentum != 0.0;
    int need_v = cfg->type != OPT_SGD;
    if (need_m && !(o->m = calloc(nparams, sizeof(float))))
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

/* w, g, m are (n): one tensor's slice */
static void sgd_update(float *w, const float *g, float *m, size_t n, float lr, float mu,
                       int nesterov) {
    if (!m) {
        for (size_t i = 0; i < n; i++) w[i] -= lr * g[i];
        return;
    }
    for (size_t i = 0; i < n; i++) {
        m[i] = mu * m[i] + g[i];
        w[i] -= lr * (nesterov ? g[i] + mu * m[i] : m[i]);
    }
}

/* w, g, m, v are (n); c1, c2 are the bias corrections 1-b1^t, 1-b2^t */
static void adam_update(float *w, const float *g, float *m, float *v, size_t n, float lr, float wd,
                        const optim_cfg *c, double c1, double c2) {
    float b1 = (float)c->beta1, b2 = (float)c->beta2, eps = (float)c->eps;
    float a = (float)(lr / c1), rc2 = (float)(1.0 / c2);
    for (size_t i = 0; i < n; i++) {
        if (wd != 0.0f) w[i] -= lr * wd * w[i];
        float gi = g[i];
        m[i] = b1 * m[i] + (1.0f - b1) * gi;
        v[i] = b2 * v[i] + (1.0f - b2) * gi * gi;
        w[i] -= a * m[i] / (sqrtf(v[i] * rc2) + eps);
    }
}

void optim_step(optim *o, nn_net *net, double lr) {
    o->t++;
    const optim_cfg *c = &o->cfg;
    double c1 = 1.0 - pow(c->beta1, (double)o->t), c2 = 1.0 - pow(c->beta2, (double)o->t);
    for (int k = 0; k < net->ntensors; k++) {
        const nn_tensor *T = &net->tensors[k];
        float *w = net->params + T->off, *g = net->grads + T->off;
        float *m = o->m ? o->m + T->off : NULL, *v = o->v ? o->v + T->off : NULL;
        if (c->type == OPT_SGD) {
            sgd_update(w, g, m, T->n, (float)lr, (float)c->momentum, c->nesterov);
        } else {
            float wd = c->type == OPT_ADAMW && T->decay ? (float)c->weight_decay : 0.0f;
            adam_update(w, g, m, v, T->n, (float)lr, wd, c, c1, c2);
        }
    }
}
