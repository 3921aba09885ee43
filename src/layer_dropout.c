/* layer_dropout.c - inverted dropout: in training, each value is zeroed with
 * probability `rate` and the rest scaled by 1/(1-rate); in evaluation it is
 * the identity. Masks come from the net's seeded stream, so runs stay bitwise
 * reproducible. The mask (0 or the scale) is kept in scratch for backward. */
#include "nn.h"

static int dropout_setup(nn_layer *L, sw_err *err) {
    if (!(L->spec.rate >= 0.0 && L->spec.rate < 1.0))
        return err_set(err, ERR_INPUT, "dropout rate must be in [0, 1), got %g", L->spec.rate);
    L->out = L->in;
    L->scratch_per_ex = L->in_size;
    return 0;
}

/* in, out, mask are (B, n) */
static void dropout_forward(nn_layer *L, float *out, const float *in, int B, int train) {
    size_t n = (size_t)B * L->in_size;
    float *mask = L->scratch;
    if (!train || L->spec.rate == 0.0) {
        for (size_t i = 0; i < n; i++) { out[i] = in[i]; mask[i] = 1.0f; }
        return;
    }
    /* 24-bit uniform draws: two per 64-bit number would change the stream with B. */
    uint32_t keep = (uint32_t)((1.0 - L->spec.rate) * 16777216.0);
    float scale = (float)(1.0 / (1.0 - L->spec.rate));
    for (size_t i = 0; i < n; i++) {
        uint32_t u = (uint32_t)(rng_u64(&L->net->rng) >> 40);
        mask[i] = u < keep ? scale : 0.0f;
        out[i] = in[i] * mask[i];
    }
}

static void dropout_backward(nn_layer *L, float *din, float *dout, const float *in,
                             const float *out, int B) {
    (void)in; (void)out;
    if (!din) return;
    size_t n = (size_t)B * L->in_size;
    for (size_t i = 0; i < n; i++) din[i] = dout[i] * L->scratch[i];
}

const nn_layer_ops layer_dropout_ops = {"dropout", dropout_setup, NULL, dropout_forward,
                                        dropout_backward};
