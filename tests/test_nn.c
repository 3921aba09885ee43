/* test_nn.c - the network: gradients against finite differences, a stable
 * softmax, L2, shape errors, and the optimizers' update rules. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nn.h"
#include "optim.h"

/* Hash of which hidden activations are positive and which inputs won each
 * max-pooling window: a finite difference is only valid when both sides see
 * the same ReLU pattern and the same winners. */
static unsigned long relu_pattern(const nn_net *net, int B) {
    unsigned long h = 1469598103934665603UL;
    for (int l = 1; l < net->nlayers; l++)
        for (size_t i = 0; i < (size_t)B * net->layers[l - 1].out_size; i++)
            h = (h ^ (net->acts[l][i] > 0.0f)) * 1099511628211UL;
    for (int l = 0; l < net->nlayers; l++)
        if (net->layers[l].ops == &layer_maxpool_ops)
            for (size_t i = 0; i < (size_t)B * net->layers[l].out_size; i++)
                h = (h ^ (unsigned long)((const int *)net->layers[l].scratch)[i]) * 1099511628211UL;
    return h;
}

/* Mean loss of the net on (x, y) plus the L2 penalty: the objective whose
 * gradient nn_backward plus optim_step's L2 term must give. */
static double objective(nn_net *net, const float *x, const int *y, int B, double l2) {
    rng_seed(&net->rng, 99, 2); /* the same dropout masks on every call */
    const float *logits = nn_forward(net, x, B, 1);
    double loss = nn_softmax_xent(NULL, logits, y, B, net->classes, NULL) / B;
    double sq = 0.0;
    for (int k = 0; k < net->ntensors; k++)
        if (net->tensors[k].decay)
            for (size_t i = 0; i < net->tensors[k].n; i++) {
                double w = net->params[net->tensors[k].off + i];
                sq += w * w;
            }
    return loss + 0.5 * l2 * sq;
}

/* Compare every analytic gradient with a central difference. */
static void gradient_check(const layer_spec *specs, int n, nn_shape in, int classes, double l2) {
    enum { B = 5 };
    nn_net net;
    sw_err err;
    ck_assert_int_eq(nn_build(&net, specs, n, in, classes, B, &err), 0);
    nn_init(&net, 7);
    size_t dim = (size_t)in.c * in.h * in.w;
    float *x = malloc(sizeof(float) * B * dim);
    int y[B];
    rng r;
    rng_seed(&r, 3, 0);
    for (size_t i = 0; i < B * dim; i++) x[i] = (float)rng_uniform(&r);
    for (int i = 0; i < B; i++) y[i] = (int)rng_below(&r, (uint64_t)classes);
    /* Biases away from zero so no ReLU sits on its kink. */
    for (int k = 0; k < net.ntensors; k++)
        if (!net.tensors[k].decay)
            for (size_t i = 0; i < net.tensors[k].n; i++)
                net.params[net.tensors[k].off + i] = 0.1f * (float)rng_normal(&r);

    float *dl = malloc(sizeof(float) * B * (size_t)classes);
    rng_seed(&net.rng, 99, 2);
    const float *logits = nn_forward(&net, x, B, 1);
    nn_softmax_xent(dl, logits, y, B, classes, NULL);
    nn_backward(&net, dl, B);
    /* One plain SGD step at lr 1 moves the params by exactly the gradient
     * the optimizer uses, L2 included; then the grads must be zeroed. */
    float *analytic = malloc(sizeof(float) * net.nparams);
    memcpy(analytic, net.params, sizeof(float) * net.nparams);
    optim o;
    ck_assert_int_eq(optim_init(&o, &(optim_cfg){.type = OPT_SGD}, net.nparams, &err), 0);
    optim_step(&o, &net, 1.0, l2);
    optim_free(&o);
    for (size_t i = 0; i < net.nparams; i++) {
        float moved = analytic[i] - net.params[i];
        net.params[i] = analytic[i];
        analytic[i] = moved;
        ck_assert_float_eq(net.grads[i], 0.0f);
    }

    double worst = 0.0;
    int skipped = 0;
    objective(&net, x, y, B, l2);
    unsigned long base = relu_pattern(&net, B);
    for (size_t i = 0; i < net.nparams; i++) {
        float w = net.params[i];
        double numeric = NAN;
        for (double h = 1e-2; h > 1e-4 && isnan(numeric); h /= 4) {
            net.params[i] = w + (float)h;
            double up = objective(&net, x, y, B, l2);
            unsigned long pu = relu_pattern(&net, B);
            net.params[i] = w - (float)h;
            double down = objective(&net, x, y, B, l2);
            unsigned long pd = relu_pattern(&net, B);
            net.params[i] = w;
            if (pu == base && pd == base) numeric = (up - down) / (2 * h);
        }
        if (isnan(numeric)) { skipped++; continue; } /* sits on a ReLU kink */
        double diff = fabs(numeric - analytic[i]) / (fabs(numeric) + fabs(analytic[i]) + 1e-3);
        if (diff > worst) worst = diff;
        ck_assert_msg(diff < 2e-2, "param %zu: analytic %g numeric %g", i, analytic[i], numeric);
    }
    ck_assert(worst < 2e-2);
    ck_assert_msg(skipped * 20 < (int)net.nparams, "%d of %zu params skipped", skipped, net.nparams);
    free(analytic);
    free(dl);
    free(x);
    nn_free(&net);
}

static const layer_spec mlp2[] = {
    {.type = LAYER_DENSE, .units = 7}, {.type = LAYER_RELU},
    {.type = LAYER_DENSE, .units = 5}, {.type = LAYER_RELU},
    {.type = LAYER_DENSE, .units = 3},
};

START_TEST(test_gradcheck_mlp) { gradient_check(mlp2, 5, (nn_shape){6, 1, 1, 0}, 3, 0.0); }
END_TEST

START_TEST(test_gradcheck_mlp_l2) { gradient_check(mlp2, 5, (nn_shape){6, 1, 1, 0}, 3, 0.05); }
END_TEST

/* A standalone ReLU (not fused: it follows dropout with rate 0). */
START_TEST(test_gradcheck_unfused) {
    const layer_spec s[] = {
        {.type = LAYER_DENSE, .units = 6}, {.type = LAYER_DROPOUT, .rate = 0.0},
        {.type = LAYER_RELU}, {.type = LAYER_DENSE, .units = 4},
    };
    gradient_check(s, 4, (nn_shape){1, 2, 3, 0}, 4, 0.01);
}
END_TEST

/* Convolutions with both paddings and several channel counts; the second
 * conv's input gradient is checked through the first conv's parameters. */
START_TEST(test_gradcheck_conv) {
    const layer_spec same[] = {
        {.type = LAYER_CONV, .filters = 3, .kernel = 3, .same = 1}, {.type = LAYER_RELU},
        {.type = LAYER_DENSE, .units = 3},
    };
    gradient_check(same, 3, (nn_shape){2, 5, 4, 0}, 3, 0.0);
    const layer_spec two[] = {
        {.type = LAYER_CONV, .filters = 2, .kernel = 3, .same = 0}, {.type = LAYER_RELU},
        {.type = LAYER_CONV, .filters = 4, .kernel = 3, .same = 1},
        {.type = LAYER_DENSE, .units = 4},
    };
    gradient_check(two, 4, (nn_shape){1, 6, 7, 0}, 4, 0.01);
    const layer_spec wide[] = {
        {.type = LAYER_CONV, .filters = 5, .kernel = 1, .same = 1},
        {.type = LAYER_CONV, .filters = 2, .kernel = 5, .same = 1}, {.type = LAYER_RELU},
        {.type = LAYER_DENSE, .units = 2},
    };
    gradient_check(wide, 4, (nn_shape){3, 5, 5, 0}, 2, 0.0);
}
END_TEST

/* Max pooling between convolutions (random inputs: no ties). */
START_TEST(test_gradcheck_maxpool) {
    const layer_spec s[] = {
        {.type = LAYER_CONV, .filters = 3, .kernel = 3, .same = 1},
        {.type = LAYER_MAXPOOL, .size = 2},
        {.type = LAYER_CONV, .filters = 2, .kernel = 3, .same = 1}, {.type = LAYER_RELU},
        {.type = LAYER_MAXPOOL, .size = 2},
        {.type = LAYER_DENSE, .units = 3},
    };
    gradient_check(s, 6, (nn_shape){2, 9, 8, 0}, 3, 0.0);
}
END_TEST

/* Batch norm in training mode, per feature after dense and per channel after conv. */
START_TEST(test_gradcheck_batchnorm) {
    const layer_spec flat[] = {
        {.type = LAYER_DENSE, .units = 6}, {.type = LAYER_BATCHNORM}, {.type = LAYER_RELU},
        {.type = LAYER_DENSE, .units = 3},
    };
    gradient_check(flat, 4, (nn_shape){5, 1, 1, 0}, 3, 0.01);
    const layer_spec conv[] = {
        {.type = LAYER_CONV, .filters = 3, .kernel = 3, .same = 1}, {.type = LAYER_BATCHNORM},
        {.type = LAYER_RELU}, {.type = LAYER_DENSE, .units = 3},
    };
    gradient_check(conv, 4, (nn_shape){2, 4, 4, 0}, 3, 0.0);
}
END_TEST

/* Dropout with a fixed mask (the objective reseeds the stream), and every
 * layer type in one network. */
START_TEST(test_gradcheck_mixed) {
    const layer_spec drop[] = {
        {.type = LAYER_DENSE, .units = 8}, {.type = LAYER_RELU},
        {.type = LAYER_DROPOUT, .rate = 0.3}, {.type = LAYER_DENSE, .units = 3},
    };
    gradient_check(drop, 4, (nn_shape){5, 1, 1, 0}, 3, 0.0);
    const layer_spec all[] = {
        {.type = LAYER_CONV, .filters = 3, .kernel = 3, .same = 1}, {.type = LAYER_BATCHNORM},
        {.type = LAYER_RELU}, {.type = LAYER_MAXPOOL, .size = 2},
        {.type = LAYER_CONV, .filters = 4, .kernel = 3, .same = 0}, {.type = LAYER_RELU},
        {.type = LAYER_DENSE, .units = 6}, {.type = LAYER_BATCHNORM}, {.type = LAYER_RELU},
        {.type = LAYER_DROPOUT, .rate = 0.25}, {.type = LAYER_DENSE, .units = 3},
    };
    gradient_check(all, 11, (nn_shape){2, 8, 8, 0}, 3, 0.01);
}
END_TEST

/* Running averages after two known batches (momentum 0.5), and evaluation
 * mode normalising with them rather than with the batch. */
START_TEST(test_batchnorm_running_stats) {
    const layer_spec s[] = {{.type = LAYER_BATCHNORM, .momentum = 0.5},
                            {.type = LAYER_DENSE, .units = 2}};
    nn_net net;
    sw_err err;
    ck_assert_int_eq(nn_build(&net, s, 2, (nn_shape){2, 1, 1, 0}, 2, 2, &err), 0);
    nn_init(&net, 1);
    float b1[] = {1, 2, 3, 6}, b2[] = {0, 0, 2, 2};
    nn_forward(&net, b1, 2, 1); /* mean (2, 4), unbiased var (2, 8) */
    ck_assert_float_eq_tol(net.state[0], 1.0f, 1e-6);
    ck_assert_float_eq_tol(net.state[1], 2.0f, 1e-6);
    ck_assert_float_eq_tol(net.state[2], 1.5f, 1e-6);
    ck_assert_float_eq_tol(net.state[3], 4.5f, 1e-6);
    /* Training mode normalises with the batch: outputs are -1 and +1. */
    ck_assert_float_eq_tol(net.acts[1][0], -1.0f, 1e-4);
    ck_assert_float_eq_tol(net.acts[1][3], 1.0f, 1e-4);
    nn_forward(&net, b2, 2, 1); /* mean (1, 1), unbiased var (2, 2) */
    ck_assert_float_eq_tol(net.state[0], 1.0f, 1e-6);
    ck_assert_float_eq_tol(net.state[1], 1.5f, 1e-6);
    ck_assert_float_eq_tol(net.state[2], 1.75f, 1e-6);
    ck_assert_float_eq_tol(net.state[3], 3.25f, 1e-6);
    float x[] = {1.0f, 1.5f, 2.75f, 3.25f};
    nn_forward(&net, x, 2, 0);
    ck_assert_float_eq_tol(net.acts[1][0], 0.0f, 1e-6);
    ck_assert_float_eq_tol(net.acts[1][1], 0.0f, 1e-6);
    ck_assert_float_eq_tol(net.acts[1][2], 1.75f / sqrtf(1.75f + 1e-5f), 1e-5);
    ck_assert_float_eq_tol(net.acts[1][3], 1.75f / sqrtf(3.25f + 1e-5f), 1e-5);
    /* Evaluation leaves the running averages alone. */
    ck_assert_float_eq_tol(net.state[0], 1.0f, 1e-6);
    ck_assert_float_eq_tol(net.state[3], 3.25f, 1e-6);
    nn_free(&net);
}
END_TEST

/* Shapes that cannot follow each other fail nn_build with their message. */
START_TEST(test_shape_errors) {
    static const struct {
        layer_spec s[3];
        int n;
        nn_shape in;
        const char *msg;
    } cases[] = {
        {{{.type = LAYER_DENSE, .units = 8}, {.type = LAYER_CONV, .filters = 2, .kernel = 1, .same = 1},
          {.type = LAYER_DENSE, .units = 2}}, 3, {1, 4, 4, 0}, "follows|flat output of a dense"},
        {{{.type = LAYER_DENSE, .units = 8}, {.type = LAYER_MAXPOOL, .size = 2},
          {.type = LAYER_DENSE, .units = 2}}, 3, {1, 4, 4, 0}, "flat output of a dense"},
        {{{.type = LAYER_CONV, .filters = 2, .kernel = 5, .same = 0}, {.type = LAYER_DENSE, .units = 2}},
         2, {1, 4, 4, 0}, "kernel 5 is larger than its 4x4 input"},
        {{{.type = LAYER_CONV, .filters = 2, .kernel = 4, .same = 1}, {.type = LAYER_DENSE, .units = 2}},
         2, {1, 8, 8, 0}, "odd kernel"},
        {{{.type = LAYER_MAXPOOL, .size = 3}, {.type = LAYER_DENSE, .units = 2}},
         2, {1, 2, 5, 0}, "pool size 3 is larger than its 2x5 input"},
        {{{.type = LAYER_CONV, .filters = 2, .kernel = 3, .same = 1}}, 1, {1, 4, 4, 0},
         "32 outputs but the data has 2 classes"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        nn_net net;
        sw_err err = {0, ""};
        ck_assert_int_eq(nn_build(&net, cases[k].s, cases[k].n, cases[k].in, 2, 4, &err), -1);
        ck_assert_int_eq(err.code, ERR_INPUT);
        const char *want = strchr(cases[k].msg, '|') ? strchr(cases[k].msg, '|') + 1 : cases[k].msg;
        ck_assert_msg(strstr(err.msg, want), "case %zu: %s", k, err.msg);
    }
}
END_TEST

START_TEST(test_relu_fused) {
    nn_net net;
    sw_err err;
    ck_assert_int_eq(nn_build(&net, mlp2, 5, (nn_shape){6, 1, 1, 0}, 3, 4, &err), 0);
    ck_assert_int_eq(net.nlayers, 3);
    ck_assert_int_eq(net.layers[0].relu, 1);
    ck_assert_int_eq(net.layers[2].relu, 0);
    ck_assert_uint_eq(net.nparams, 6 * 7 + 7 + 7 * 5 + 5 + 5 * 3 + 3);
    nn_free(&net);
}
END_TEST

START_TEST(test_softmax_extreme) {
    float logits[2 * 3] = {1000, -1000, 0, -1000, -1000, 1000};
    int y[2] = {1, 2};
    float d[6];
    int correct;
    double loss = nn_softmax_xent(d, logits, y, 2, 3, &correct);
    ck_assert(isfinite(loss));
    ck_assert_double_eq_tol(loss, 2000.0, 1e-6); /* first row: 2000 nats; second: ~0 */
    ck_assert_int_eq(correct, 1);
    for (int i = 0; i < 6; i++) ck_assert(isfinite(d[i]));
    ck_assert_float_eq_tol(d[0], 0.5f, 1e-6);   /* (p=1 - 0)/B */
    ck_assert_float_eq_tol(d[1], -0.5f, 1e-6);  /* (p=0 - 1)/B */
    ck_assert_float_eq_tol(d[5], 0.0f, 1e-6);
}
END_TEST

START_TEST(test_softmax_uniform) {
    float logits[4] = {0, 0, 0, 0};
    int y[1] = {2};
    double loss = nn_softmax_xent(NULL, logits, y, 1, 4, NULL);
    ck_assert_double_eq_tol(loss, log(4.0), 1e-6);  /* float exponentials */
}
END_TEST

START_TEST(test_last_layer_must_match_classes) {
    nn_net net;
    sw_err err;
    ck_assert_int_eq(nn_build(&net, mlp2, 5, (nn_shape){6, 1, 1, 0}, 10, 4, &err), -1);
    ck_assert_int_eq(err.code, ERR_INPUT);
    ck_assert_msg(strstr(err.msg, "3 outputs but the data has 10 classes"), "%s", err.msg);
}
END_TEST

START_TEST(test_describe) {
    char buf[128];
    nn_describe(mlp2, 5, buf, sizeof buf);
    ck_assert_str_eq(buf, "7-5");
    const layer_spec one[] = {{.type = LAYER_DENSE, .units = 256}, {.type = LAYER_RELU},
                              {.type = LAYER_DROPOUT, .rate = 0.2},
                              {.type = LAYER_DENSE, .units = 10}};
    nn_describe(one, 4, buf, sizeof buf);
    ck_assert_str_eq(buf, "256-do0.2");
}
END_TEST

/* One weight, one bias; grads set by hand; compare with hand-computed steps. */
static void setup_tiny(nn_net *net) {
    static const layer_spec s[] = {{.type = LAYER_DENSE, .units = 1}};
    sw_err err;
    ck_assert_int_eq(nn_build(net, s, 1, (nn_shape){1, 1, 1, 0}, 1, 1, &err), 0);
    net->params[0] = 1.0f;  /* w */
    net->params[1] = 0.5f;  /* b */
}

START_TEST(test_sgd_momentum_steps) {
    nn_net net;
    setup_tiny(&net);
    optim o;
    optim_cfg c = {.type = OPT_SGD, .momentum = 0.9};
    ck_assert_int_eq(optim_init(&o, &c, net.nparams, NULL), 0);
    for (int step = 0; step < 2; step++) {
        net.grads[0] += 0.2f;  /* as nn_backward does: adds into the grads */
        net.grads[1] += 0.1f;
        optim_step(&o, &net, 0.1, 0.5);  /* w's grad += 0.5 * w; b has no L2 */
    }
    /* step 1: g=0.2+0.5=0.7, v=0.7, w=1-0.07=0.93; b: v=0.1, b=0.49
     * step 2: g=0.2+0.465=0.665, v=0.63+0.665=1.295, w=0.93-0.1295=0.8005;
     *         b: v=0.09+0.1=0.19, b=0.49-0.019=0.471 */
    ck_assert_float_eq_tol(net.params[0], 0.8005f, 1e-6);
    ck_assert_float_eq_tol(net.params[1], 0.471f, 1e-6);
    optim_free(&o);
    nn_free(&net);
}
END_TEST

START_TEST(test_nesterov_step) {
    nn_net net;
    setup_tiny(&net);
    optim o;
    optim_cfg c = {.type = OPT_SGD, .momentum = 0.9, .nesterov = 1};
    optim_init(&o, &c, net.nparams, NULL);
    net.grads[0] = 0.2f; net.grads[1] = 0.0f;
    optim_step(&o, &net, 0.1, 0.0);  /* v=0.2; w -= 0.1*(0.2+0.18) */
    ck_assert_float_eq_tol(net.params[0], 1.0f - 0.038f, 1e-6);
    ck_assert_float_eq(net.grads[0], 0.0f);
    net.grads[0] += 0.1f;
    optim_step(&o, &net, 0.1, 0.0);  /* v=0.18+0.1=0.28; w -= 0.1*(0.1+0.252) */
    ck_assert_float_eq_tol(net.params[0], 1.0f - 0.038f - 0.0352f, 1e-6);
    optim_free(&o);
    nn_free(&net);
}
END_TEST

START_TEST(test_adam_adamw_steps) {
    for (int t = 0; t < 2; t++) {
        nn_net net;
        setup_tiny(&net);
        optim o;
        optim_cfg c = {.type = t ? OPT_ADAMW : OPT_ADAM, .beta1 = 0.9, .beta2 = 0.999,
                       .eps = 1e-8, .weight_decay = 0.1};
        optim_init(&o, &c, net.nparams, NULL);
        net.grads[0] = 0.2f; net.grads[1] = 0.1f;
        optim_step(&o, &net, 0.01, 0.0);
        ck_assert_float_eq(net.grads[0], 0.0f);
        /* step 1: m_hat = g, v_hat = g^2, so each moves by lr * g/|g| = 0.01;
         * adamw first scales w by (1 - 0.01*0.1). */
        float w1 = t ? 1.0f * (1 - 0.001f) - 0.01f : 0.99f;
        ck_assert_float_eq_tol(net.params[0], w1, 1e-6);
        ck_assert_float_eq_tol(net.params[1], 0.49f, 1e-6);
        net.grads[0] += 0.4f;
        optim_step(&o, &net, 0.01, 0.0);
        /* step 2: m = 0.9*0.02+0.04 = 0.058, m_hat = 0.058/0.19; v = 0.999*4e-5*... */
        double m = 0.9 * 0.1 * 0.2 + 0.1 * 0.4, v = 0.999 * 0.001 * 0.04 + 0.001 * 0.16;
        double mh = m / (1 - 0.81), vh = v / (1 - 0.999 * 0.999);
        double w2 = (t ? w1 * (1 - 0.001) : w1) - 0.01 * mh / (sqrt(vh) + 1e-8);
        ck_assert_float_eq_tol(net.params[0], (float)w2, 1e-6);
        optim_free(&o);
        nn_free(&net);
    }
}
END_TEST

START_TEST(test_dropout_eval_identity_and_scale) {
    const layer_spec s[] = {{.type = LAYER_DROPOUT, .rate = 0.5}, {.type = LAYER_DENSE, .units = 2}};
    nn_net net;
    sw_err err;
    ck_assert_int_eq(nn_build(&net, s, 2, (nn_shape){1000, 1, 1, 0}, 2, 1, &err), 0);
    nn_init(&net, 1);
    float x[1000];
    for (int i = 0; i < 1000; i++) x[i] = 1.0f;
    nn_forward(&net, x, 1, 0);
    for (int i = 0; i < 1000; i++) ck_assert_float_eq(net.acts[1][i], 1.0f);
    nn_forward(&net, x, 1, 1);
    int zeros = 0;
    for (int i = 0; i < 1000; i++) {
        ck_assert(net.acts[1][i] == 0.0f || net.acts[1][i] == 2.0f);
        zeros += net.acts[1][i] == 0.0f;
    }
    ck_assert(zeros > 400 && zeros < 600);
    nn_free(&net);
}
END_TEST

Suite *nn_suite(void) {
    Suite *s = suite_create("nn");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_gradcheck_mlp);
    tcase_add_test(tc, test_gradcheck_mlp_l2);
    tcase_add_test(tc, test_gradcheck_conv);
    tcase_add_test(tc, test_gradcheck_maxpool);
    tcase_add_test(tc, test_gradcheck_batchnorm);
    tcase_add_test(tc, test_gradcheck_mixed);
    tcase_add_test(tc, test_batchnorm_running_stats);
    tcase_add_test(tc, test_shape_errors);
    tcase_add_test(tc, test_gradcheck_unfused);
    tcase_add_test(tc, test_relu_fused);
    tcase_add_test(tc, test_softmax_extreme);
    tcase_add_test(tc, test_softmax_uniform);
    tcase_add_test(tc, test_last_layer_must_match_classes);
    tcase_add_test(tc, test_describe);
    tcase_add_test(tc, test_sgd_momentum_steps);
    tcase_add_test(tc, test_nesterov_step);
    tcase_add_test(tc, test_adam_adamw_steps);
    tcase_add_test(tc, test_dropout_eval_identity_and_scale);
    suite_add_tcase(s, tc);
    return s;
}
