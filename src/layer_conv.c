/* layer_conv.c - 2-D convolution, stride 1, padding 'same' (odd kernels) or
 * 'valid', through im2col and CBLAS sgemm, optionally ReLU'd.
 *
 * Activations are channels last: in is (B, H, W, C), out is (B, Ho, Wo, F).
 * Parameters: W (F, K*K*C), each row ordered (ky, kx, c), then b (F).
 * The examples go through in chunks: a chunk's im2col matrix,
 * (nb*Ho*Wo, K*K*C), fills the layer's scratch (about CONV_CHUNK floats), and
 * one sgemm turns it into the chunk's output rows. Backward builds the same
 * matrix again rather than keeping one per example (the product costs K*K*C
 * times more than the copy), and reuses it for d(col). */
#include <cblas.h>
#include <math.h>
#include <string.h>

#include "nn.h"

#define CONV_CHUNK ((size_t)1 << 20) /* floats of im2col per chunk: 4 MB */

typedef struct conv_dims {
    int H, W, C, F, K, pad, Ho, Wo;
    size_t ckk;   /* K*K*C: one im2col row */
    size_t npix;  /* Ho*Wo: output pixels per example */
    int nb;       /* examples per chunk */
} conv_dims;

static conv_dims dims_of(const nn_layer *L) {
    conv_dims d;
    d.H = L->in.h; d.W = L->in.w; d.C = L->in.c;
    d.F = L->spec.filters; d.K = L->spec.kernel;
    d.pad = L->spec.same ? (d.K - 1) / 2 : 0;
    d.Ho = d.H + 2 * d.pad - d.K + 1;
    d.Wo = d.W + 2 * d.pad - d.K + 1;
    d.ckk = (size_t)d.K * d.K * d.C;
    d.npix = (size_t)d.Ho * d.Wo;
    size_t per = d.npix * d.ckk;
    size_t nb = per < CONV_CHUNK ? CONV_CHUNK / per : 1;
    int mb = L->net->max_batch > 0 ? L->net->max_batch : 1;
    d.nb = nb < (size_t)mb ? (int)nb : mb;
    return d;
}

static int conv_setup(nn_layer *L, sw_err *err) {
    const layer_spec *s = &L->spec;
    if (L->in.flat)
        return err_set(err, ERR_INPUT,
                       "a conv layer needs an image (height x width x channels), but its input "
                       "is the flat output of a dense layer (%d values); put conv layers before "
                       "the first dense layer", L->in.c);
    if (s->filters < 1) return err_set(err, ERR_INPUT, "conv layer needs filters >= 1");
    if (s->kernel < 1) return err_set(err, ERR_INPUT, "conv layer needs kernel >= 1");
    if (s->kernel > L->in.h || s->kernel > L->in.w)
        return err_set(err, ERR_INPUT, "kernel %d is larger than its %dx%d input", s->kernel,
                       L->in.h, L->in.w);
    if (s->same && s->kernel % 2 == 0)
        return err_set(err, ERR_INPUT,
                       "padding 'same' needs an odd kernel (1, 3, 5, ...), got %d; or use "
                       "padding 'valid'", s->kernel);
    conv_dims d = dims_of(L);
    L->out = (nn_shape){d.F, d.Ho, d.Wo, 0};
    L->nparams = (size_t)d.F * d.ckk + (size_t)d.F;
    L->ntensors = 2;
    L->tensors[0] = (nn_tensor){0, (size_t)d.F * d.ckk, 1};  /* W: decays */
    L->tensors[1] = (nn_tensor){(size_t)d.F * d.ckk, (size_t)d.F, 0};
    L->scratch_extra = (size_t)d.nb * d.npix * d.ckk;
    return 0;
}

/* He (Kaiming) normal: std = sqrt(2 / fan_in), fan_in = K*K*C; biases zero. */
static void conv_init(nn_layer *L, rng *r) {
    conv_dims d = dims_of(L);
    float std = (float)sqrt(2.0 / (double)d.ckk);
    size_t nw = (size_t)d.F * d.ckk;
    for (size_t i = 0; i < nw; i++) L->params[i] = std * (float)rng_normal(r);
    for (int i = 0; i < d.F; i++) L->params[nw + i] = 0.0f;
}

/* Short runs (a 5-wide window of one channel is 5 floats): a plain loop
 * beats a call to memcpy or memset. */
static inline void copy_floats(float *restrict dst, const float *restrict src, size_t n) {
    for (size_t i = 0; i < n; i++) dst[i] = src[i];
}
static inline void zero_floats(float *dst, size_t n) {
    for (size_t i = 0; i < n; i++) dst[i] = 0.0f;
}

/* in is (n, H, W, C); col is (n*Ho*Wo, K*K*C): row (e, oy, ox) holds the
 * K x K x C window at (oy - pad, ox - pad), zeros outside the image. */
static void im2col(float *restrict col, const float *restrict in, int n, const conv_dims *d) {
    size_t C = (size_t)d->C, rowlen = (size_t)d->K * C;
    for (int e = 0; e < n; e++) {
        const float *img = in + (size_t)e * d->H * d->W * C;
        for (int oy = 0; oy < d->Ho; oy++)
            for (int ox = 0; ox < d->Wo; ox++) {
                float *row = col + (((size_t)e * d->Ho + oy) * d->Wo + ox) * d->ckk;
                int x0 = ox - d->pad;
                /* Columns x0 .. x0+K-1 of an image row: the part inside is contiguous. */
                int lo = x0 < 0 ? -x0 : 0, hi = x0 + d->K > d->W ? d->W - x0 : d->K;
                for (int ky = 0; ky < d->K; ky++) {
                    float *dst = row + (size_t)ky * rowlen;
                    int iy = oy - d->pad + ky;
                    if (iy < 0 || iy >= d->H) {
                        zero_floats(dst, rowlen);
                        continue;
                    }
                    zero_floats(dst, (size_t)lo * C);
                    copy_floats(dst + (size_t)lo * C, img + ((size_t)iy * d->W + x0 + lo) * C,
                                (size_t)(hi - lo) * C);
                    zero_floats(dst + (size_t)hi * C, (size_t)(d->K - hi) * C);
                }
            }
    }
}

/* The adjoint of im2col: din (n, H, W, C) += every window of col. */
static void col2im(float *restrict din, const float *restrict col, int n, const conv_dims *d) {
    size_t C = (size_t)d->C, rowlen = (size_t)d->K * C;
    for (int e = 0; e < n; e++) {
        float *img = din + (size_t)e * d->H * d->W * C;
        for (int oy = 0; oy < d->Ho; oy++)
            for (int ox = 0; ox < d->Wo; ox++) {
                const float *row = col + (((size_t)e * d->Ho + oy) * d->Wo + ox) * d->ckk;
                int x0 = ox - d->pad;
                int lo = x0 < 0 ? -x0 : 0, hi = x0 + d->K > d->W ? d->W - x0 : d->K;
                for (int ky = 0; ky < d->K; ky++) {
                    int iy = oy - d->pad + ky;
                    if (iy < 0 || iy >= d->H) continue;
                    const float *src = row + (size_t)ky * rowlen + (size_t)lo * C;
                    float *dst = img + ((size_t)iy * d->W + x0 + lo) * C;
                    size_t len = (size_t)(hi - lo) * C;
                    for (size_t i = 0; i < len; i++) dst[i] += src[i];
                }
            }
    }
}

/* in is (B,H,W,C), out is (B,Ho,Wo,F): per chunk, out rows = col . W^T + b */
static void conv_forward(nn_layer *L, float *out, const float *in, int B, int train) {
    (void)train;
    conv_dims d = dims_of(L);
    const float *W = L->params, *b = L->params + (size_t)d.F * d.ckk;
    float *col = L->scratch;
    for (int s = 0; s < B; s += d.nb) {
        int n = B - s < d.nb ? B - s : d.nb;
        int rows = n * (int)d.npix;
        float *o = out + (size_t)s * L->out_size;
        im2col(col, in + (size_t)s * L->in_size, n, &d);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, rows, d.F, (int)d.ckk, 1.0f, col,
                    (int)d.ckk, W, (int)d.ckk, 0.0f, o, d.F);
        for (int i = 0; i < rows; i++) {
            float *r = o + (size_t)i * d.F;
            if (L->relu)
                for (int j = 0; j < d.F; j++) { float v = r[j] + b[j]; r[j] = v > 0.0f ? v : 0.0f; }
            else
                for (int j = 0; j < d.F; j++) r[j] += b[j];
        }
    }
}

/* dout is (B,Ho,Wo,F), masked in place by the fused ReLU; dW (F, KKC) +=
 * dout^T . col, db += column sums, din (B,H,W,C) = col2im(dout . W) */
static void conv_backward(nn_layer *L, float *din, float *dout, const float *in, const float *out,
                          int B) {
    conv_dims d = dims_of(L);
    const float *W = L->params;
    float *dW = L->grads, *db = L->grads + (size_t)d.F * d.ckk, *col = L->scratch;
    size_t rows_all = (size_t)B * d.npix;
    for (size_t i = 0; i < rows_all; i++) {
        float *g = dout + i * d.F;
        const float *o = out + i * d.F;
        if (L->relu)
            for (int j = 0; j < d.F; j++) { float v = o[j] > 0.0f ? g[j] : 0.0f; g[j] = v; db[j] += v; }
        else
            for (int j = 0; j < d.F; j++) db[j] += g[j];
    }
    if (din) memset(din, 0, (size_t)B * L->in_size * sizeof(float));
    for (int s = 0; s < B; s += d.nb) {
        int n = B - s < d.nb ? B - s : d.nb;
        int rows = n * (int)d.npix;
        const float *g = dout + (size_t)s * L->out_size;
        im2col(col, in + (size_t)s * L->in_size, n, &d);
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, d.F, (int)d.ckk, rows, 1.0f, g, d.F,
                    col, (int)d.ckk, 1.0f, dW, (int)d.ckk);
        if (din) {
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, rows, (int)d.ckk, d.F, 1.0f, g,
                        d.F, W, (int)d.ckk, 0.0f, col, (int)d.ckk);
            col2im(din + (size_t)s * L->in_size, col, n, &d);
        }
    }
}

const nn_layer_ops layer_conv_ops = {"conv", conv_setup, conv_init, conv_forward, conv_backward};
