/* layer_dense.c - fully connected layer: out = in . W^T + b, optionally ReLU'd.
 *
 * Parameters: W (units, in_size) then b (units), as in llm.c's matmul. The
 * products go through CBLAS; bias and ReLU are one fused pass. Any input shape
 * is flattened (the flatten before the first dense layer is implied). */
#include <cblas.h>
#include <math.h>

#include "nn.h"

static int dense_setup(nn_layer *L, sw_err *err) {
    if (L->spec.units < 1) return err_set(err, ERR_INPUT, "dense layer needs units >= 1");
    size_t oc = (size_t)L->spec.units, c = L->in_size;
    L->out = (nn_shape){L->spec.units, 1, 1, 1};
    L->nparams = oc * c + oc;
    L->ntensors = 2;
    L->tensors[0] = (nn_tensor){0, oc * c, 1};   /* W: decays */
    L->tensors[1] = (nn_tensor){oc * c, oc, 0};  /* b: does not */
    return 0;
}

/* He (Kaiming) normal: std = sqrt(2 / fan_in); biases zero. */
static void dense_init(nn_layer *L, rng *r) {
    size_t oc = (size_t)L->spec.units, c = L->in_size;
    float std = (float)sqrt(2.0 / (double)c);
    for (size_t i = 0; i < oc * c; i++) L->params[i] = std * (float)rng_normal(r);
    for (size_t i = 0; i < oc; i++) L->params[oc * c + i] = 0.0f;
}

/* in is (B,C), W is (OC,C), b is (OC), out is (B,OC) */
static void dense_forward(nn_layer *L, float *out, const float *in, int B, int train) {
    (void)train;
    int oc = L->spec.units, c = (int)L->in_size;
    const float *W = L->params, *b = L->params + (size_t)oc * c;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, B, oc, c, 1.0f, in, c, W, c, 0.0f, out,
                oc);
    for (int i = 0; i < B; i++) {
        float *o = out + (size_t)i * oc;
        if (L->relu)
            for (int j = 0; j < oc; j++) { float v = o[j] + b[j]; o[j] = v > 0.0f ? v : 0.0f; }
        else
            for (int j = 0; j < oc; j++) o[j] += b[j];
    }
}

/* dout is (B,OC) (masked in place by the fused ReLU), in is (B,C), out is
 * (B,OC); dW (OC,C) += dout^T . in, db (OC) += column sums, din (B,C) = dout . W */
static void dense_backward(nn_layer *L, float *din, float *dout, const float *in,
                           const float *out, int B) {
    int oc = L->spec.units, c = (int)L->in_size;
    const float *W = L->params;
    float *dW = L->grads, *db = L->grads + (size_t)oc * c;
    for (int i = 0; i < B; i++) {
        float *d = dout + (size_t)i * oc;
        const float *o = out + (size_t)i * oc;
        if (L->relu)
            for (int j = 0; j < oc; j++) { if (o[j] <= 0.0f) d[j] = 0.0f; db[j] += d[j]; }
        else
            for (int j = 0; j < oc; j++) db[j] += d[j];
    }
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, oc, c, B, 1.0f, dout, oc, in, c, 1.0f, dW,
                c);
    if (din)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, B, c, oc, 1.0f, dout, oc, W, c,
                    0.0f, din, c);
}

const nn_layer_ops layer_dense_ops = {"dense", dense_setup, dense_init, dense_forward,
                                      dense_backward};
