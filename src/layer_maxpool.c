/* layer_maxpool.c - max pooling over size x size windows with stride size
 * (2x2 halves each side; a leftover row or column is dropped, as in PyTorch).
 *
 * in is (B, H, W, C), out is (B, H/s, W/s, C). Forward notes, per output,
 * which input won (its offset within the example, first one on a tie) in
 * scratch; backward sends each gradient back to that input. */
#include <stdint.h>
#include <string.h>

#include "nn.h"

static int maxpool_setup(nn_layer *L, sw_err *err) {
    int s = L->spec.size;
    if (L->in.flat)
        return err_set(err, ERR_INPUT,
                       "a maxpool layer needs an image (height x width x channels), but its "
                       "input is the flat output of a dense layer (%d values); pool before the "
                       "first dense layer", L->in.c);
    if (s < 1) return err_set(err, ERR_INPUT, "maxpool layer needs size >= 1");
    if (s > L->in.h || s > L->in.w)
        return err_set(err, ERR_INPUT, "pool size %d is larger than its %dx%d input", s, L->in.h,
                       L->in.w);
    L->out = (nn_shape){L->in.c, L->in.h / s, L->in.w / s, 0};
    L->scratch_per_ex = (size_t)L->out.c * L->out.h * L->out.w; /* int32 winners */
    return 0;
}

/* ov, wv are (C): keep the larger of ov and v (C values at offset at), and
 * which input it was; strictly larger, so the first of equals stays. */
static void take_max(float *restrict ov, int32_t *restrict wv, const float *restrict v, int at,
                     int C) {
    for (int c = 0; c < C; c++) {
        int better = v[c] > ov[c];
        ov[c] = better ? v[c] : ov[c];
        wv[c] = better ? at + c : wv[c];
    }
}

/* in is (B,H,W,C), out is (B,Ho,Wo,C), winners is (B,Ho,Wo,C) */
static void maxpool_forward(nn_layer *L, float *out, const float *in, int B, int train) {
    (void)train;
    int s = L->spec.size, W = L->in.w, C = L->in.c, Ho = L->out.h, Wo = L->out.w;
    int32_t *win = (int32_t *)L->scratch;
    for (int e = 0; e < B; e++) {
        const float *img = in + (size_t)e * L->in_size;
        float *o = out + (size_t)e * L->out_size;
        int32_t *wn = win + (size_t)e * L->out_size;
        for (int oy = 0; oy < Ho; oy++)
            for (int ox = 0; ox < Wo; ox++) {
                float *ov = o + ((size_t)oy * Wo + ox) * C;
                int32_t *wv = wn + ((size_t)oy * Wo + ox) * C;
                int first = (oy * s * W + ox * s) * C;
                for (int c = 0; c < C; c++) { ov[c] = img[first + c]; wv[c] = first + c; }
                for (int dy = 0; dy < s; dy++)
                    for (int dx = dy ? 0 : 1; dx < s; dx++) {
                        int at = ((oy * s + dy) * W + ox * s + dx) * C;
                        take_max(ov, wv, img + at, at, C);
                    }
            }
    }
}

/* din (B,H,W,C) = dout scattered to the winners, zeros elsewhere */
static void maxpool_backward(nn_layer *L, float *din, float *dout, const float *in,
                             const float *out, int B) {
    (void)in; (void)out;
    if (!din) return;
    const int32_t *win = (const int32_t *)L->scratch;
    memset(din, 0, (size_t)B * L->in_size * sizeof(float));
    for (int e = 0; e < B; e++) {
        float *d = din + (size_t)e * L->in_size;
        const float *g = dout + (size_t)e * L->out_size;
        const int32_t *wn = win + (size_t)e * L->out_size;
        for (size_t i = 0; i < L->out_size; i++) d[wn[i]] += g[i];
    }
}

const nn_layer_ops layer_maxpool_ops = {"maxpool", maxpool_setup, NULL, maxpool_forward,
                                        maxpool_backward};
