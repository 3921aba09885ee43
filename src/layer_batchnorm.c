/* layer_batchnorm.c - batch normalisation: per feature after a dense layer,
 * per channel after a conv layer. With channels last both are the same
 * thing: the input is R rows of C values (R = B for a flat input, B*H*W for
 * an image) normalised column by column.
 *
 * Training: y = gamma * (x - mean) / sqrt(var + eps) + beta with the batch's
 * mean and (biased) variance; the running averages move by `momentum`
 * toward them (the variance's unbiased form, as PyTorch does):
 *   running = (1 - momentum) * running + momentum * batch.
 * Evaluation uses the running averages. Parameters: gamma (C), beta (C),
 * neither decays under L2. State: running mean (C), running variance (C).
 * A ReLU right after it is fused (L->relu): y = max(0, ...), and backward
 * first zeroes the gradient where y was 0.
 * Scratch: per-channel sums (2C doubles) and 1/std (C), then x-hat (B, in). */
#include <math.h>
#include <string.h>

#include "nn.h"

typedef struct bn_scratch {
    double *s1, *s2;  /* (C) sums */
    float *inv;       /* (C) 1 / sqrt(var + eps) of the last training batch */
    float *xhat;      /* (R, C) */
} bn_scratch;

static bn_scratch scratch_of(const nn_layer *L) {
    size_t C = (size_t)L->in.c;
    bn_scratch s;
    s.s1 = (double *)L->scratch;
    s.s2 = s.s1 + C;
    s.inv = (float *)(s.s2 + C);
    s.xhat = L->scratch + ((4 * C + C + 15) & ~(size_t)15);
    return s;
}

static double momentum_of(const nn_layer *L) { return L->spec.momentum > 0 ? L->spec.momentum : 0.1; }
static double eps_of(const nn_layer *L) { return L->spec.eps > 0 ? L->spec.eps : 1e-5; }

static int bn_setup(nn_layer *L, sw_err *err) {
    if (L->spec.momentum < 0 || L->spec.momentum > 1)
        return err_set(err, ERR_INPUT, "batchnorm momentum must be in (0, 1], got %g",
                       L->spec.momentum);
    if (L->spec.eps < 0) return err_set(err, ERR_INPUT, "batchnorm eps must be > 0");
    size_t C = (size_t)L->in.c;
    L->out = L->in;
    L->nparams = 2 * C;
    L->ntensors = 2;
    L->tensors[0] = (nn_tensor){0, C, 0};  /* gamma */
    L->tensors[1] = (nn_tensor){C, C, 0};  /* beta */
    L->nstate = 2 * C;
    L->scratch_per_ex = L->in_size;
    L->scratch_extra = (5 * C + 15) & ~(size_t)15;
    return 0;
}

static void bn_init(nn_layer *L, rng *r) {
    (void)r;
    size_t C = (size_t)L->in.c;
    for (size_t c = 0; c < C; c++) {
        L->params[c] = 1.0f;      /* gamma */
        L->params[C + c] = 0.0f;  /* beta */
        L->state[c] = 0.0f;       /* running mean */
        L->state[C + c] = 1.0f;   /* running variance */
    }
}

/* in, out are (R, C) with R = B * in_size / C */
static void bn_forward(nn_layer *L, float *out, const float *in, int B, int train) {
    size_t C = (size_t)L->in.c, R = (size_t)B * L->in_size / C;
    const float *gamma = L->params, *beta = L->params + C;
    float *rmean = L->state, *rvar = L->state + C;
    float eps = (float)eps_of(L);
    bn_scratch s = scratch_of(L);
    if (!train) {
        /* y = x * scale + shift, the two kept where the sums go in training. */
        float *scale = (float *)s.s1, *shift = scale + C;
        for (size_t c = 0; c < C; c++) {
            scale[c] = gamma[c] / sqrtf(rvar[c] + eps);
            shift[c] = beta[c] - rmean[c] * scale[c];
        }
        for (size_t r = 0; r < R; r++) {
            const float *x = in + r * C;
            float *y = out + r * C;
            for (size_t c = 0; c < C; c++) y[c] = x[c] * scale[c] + shift[c];
            if (L->relu)
                for (size_t c = 0; c < C; c++) y[c] = y[c] > 0.0f ? y[c] : 0.0f;
        }
        return;
    }
    memset(s.s1, 0, 2 * C * sizeof(double));
    for (size_t r = 0; r < R; r++) {
        const float *x = in + r * C;
        for (size_t c = 0; c < C; c++) s.s1[c] += x[c];
    }
    for (size_t c = 0; c < C; c++) s.s1[c] /= (double)R;  /* mean */
    for (size_t r = 0; r < R; r++) {
        const float *x = in + r * C;
        for (size_t c = 0; c < C; c++) { double dx = x[c] - s.s1[c]; s.s2[c] += dx * dx; }
    }
    double m = momentum_of(L);
    for (size_t c = 0; c < C; c++) {
        double var = s.s2[c] / (double)R;
        s.inv[c] = (float)(1.0 / sqrt(var + eps));
        double unbiased = R > 1 ? var * (double)R / (double)(R - 1) : var;
        rmean[c] = (float)((1 - m) * rmean[c] + m * s.s1[c]);
        rvar[c] = (float)((1 - m) * rvar[c] + m * unbiased);
    }
    for (size_t r = 0; r < R; r++) {
        const float *x = in + r * C;
        float *xh = s.xhat + r * C, *y = out + r * C;
        for (size_t c = 0; c < C; c++) {
            xh[c] = (float)(x[c] - s.s1[c]) * s.inv[c];
            y[c] = gamma[c] * xh[c] + beta[c];
        }
        if (L->relu)
            for (size_t c = 0; c < C; c++) y[c] = y[c] > 0.0f ? y[c] : 0.0f;
    }
}

/* dout is (R, C); dgamma += sum(dy * xhat), dbeta += sum(dy);
 * din = gamma * inv / R * (R * dy - sum(dy) - xhat * sum(dy * xhat)) */
static void bn_backward(nn_layer *L, float *din, float *dout, const float *in, const float *out,
                        int B) {
    (void)in;
    size_t C = (size_t)L->in.c, R = (size_t)B * L->in_size / C;
    if (L->relu)
        for (size_t i = 0; i < R * C; i++) dout[i] = out[i] > 0.0f ? dout[i] : 0.0f;
    const float *gamma = L->params;
    float *dgamma = L->grads, *dbeta = L->grads + C;
    bn_scratch s = scratch_of(L);
    memset(s.s1, 0, 2 * C * sizeof(double));
    for (size_t r = 0; r < R; r++) {
        const float *dy = dout + r * C, *xh = s.xhat + r * C;
        for (size_t c = 0; c < C; c++) { s.s1[c] += dy[c]; s.s2[c] += (double)dy[c] * xh[c]; }
    }
    for (size_t c = 0; c < C; c++) {
        dbeta[c] += (float)s.s1[c];
        dgamma[c] += (float)s.s2[c];
    }
    if (!din) return;
    for (size_t c = 0; c < C; c++) { s.s1[c] /= (double)R; s.s2[c] /= (double)R; }
    for (size_t r = 0; r < R; r++) {
        const float *dy = dout + r * C, *xh = s.xhat + r * C;
        float *dx = din + r * C;
        for (size_t c = 0; c < C; c++)
            dx[c] = gamma[c] * s.inv[c] * (dy[c] - (float)s.s1[c] - xh[c] * (float)s.s2[c]);
    }
}

const nn_layer_ops layer_batchnorm_ops = {"batchnorm", bn_setup, bn_init, bn_forward, bn_backward};
