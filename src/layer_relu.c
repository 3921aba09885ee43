/* layer_relu.c - ReLU on its own, for when it does not follow a dense or conv
 * layer directly (nn_build fuses it into those). Shape-preserving. */
#include "nn.h"

static int relu_setup(nn_layer *L, sw_err *err) {
    (void)err;
    L->out = L->in;
    return 0;
}

/* in, out are (B, n) */
static void relu_forward(nn_layer *L, float *out, const float *in, int B, int train) {
    (void)train;
    size_t n = (size_t)B * L->in_size;
    for (size_t i = 0; i < n; i++) out[i] = in[i] > 0.0f ? in[i] : 0.0f;
}

/* din = dout where the output was positive, else 0 */
static void relu_backward(nn_layer *L, float *din, float *dout, const float *in, const float *out,
                          int B) {
    (void)in;
    if (!din) return;
    size_t n = (size_t)B * L->in_size;
    for (size_t i = 0; i < n; i++) din[i] = out[i] > 0.0f ? dout[i] : 0.0f;
}

const nn_layer_ops layer_relu_ops = {"relu", relu_setup, NULL, relu_forward, relu_backward};
