/* train.c - one run. See train.h.
 *
 * The epoch: shuffle the training indices (seeded stream 3), then for each
 * mini-batch convert its uint8 images to floats, forward, softmax + loss,
 * backward, one optimizer step. The last batch of an epoch may be smaller.
 * Then evaluate the validation indices in eval mode. A batch whose mean loss
 * is not finite, or above 100 log(classes), ends the run as diverged. The best epoch's params and state are
 * copied aside; the test set is evaluated with them. Nothing is allocated
 * inside the epoch loop. Called by the sweep runner and the tests. */
#include "train.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

const char *train_schedule_name(lr_schedule s) {
    switch (s) {
    case LR_STEP: return "step";
    case LR_EXPONENTIAL: return "exponential";
    case LR_COSINE: return "cosine";
    default: return "constant";
    }
}

const char *train_status_name(train_status s) {
    switch (s) {
    case TRAIN_DIVERGED: return "diverged";
    case TRAIN_STOPPED: return "stopped";
    case TRAIN_PRUNED: return "pruned";
    default: return "done";
    }
}

double train_lr(const lr_cfg *c, int epoch, int epochs) {
    if (epoch <= c->warmup) return c->initial * epoch / (c->warmup + 1.0);
    int t = epoch - c->warmup - 1, T = epochs - c->warmup;
    switch (c->schedule) {
    case LR_STEP: return c->initial * pow(c->factor, (double)(t / (c->every > 0 ? c->every : 1)));
    case LR_EXPONENTIAL: return c->initial * pow(c->gamma, (double)t);
    case LR_COSINE:
        return c->min + (c->initial - c->min) * 0.5 * (1.0 + cos(M_PI * t / (T > 0 ? T : 1)));
    default: return c->initial;
    }
}

void train_evaluate(nn_net *net, const data_set *ds, const int *idx, int n, float *x, int *y,
                    double *loss, double *acc) {
    double sum = 0.0;
    long hits = 0;
    for (int i = 0; i < n; i += net->max_batch) {
        int B = n - i < net->max_batch ? n - i : net->max_batch;
        data_batch(x, y, ds, idx + i, B);
        const float *logits = nn_forward(net, x, B, 0);
        int correct;
        sum += nn_softmax_xent(NULL, logits, y, B, net->classes, &correct);
        hits += correct;
    }
    *loss = n ? sum / n : NAN;
    *acc = n ? (double)hits / n : NAN;
}

int train_run(train_result *res, const train_cfg *tc, const layer_spec *layers, int nlayers,
              const train_data *d, train_epoch_fn fn, void *ctx, int keep_best, sw_err *err) {
    double t0 = now_seconds();
    memset(res, 0, sizeof *res);
    res->test_loss = res->test_acc = NAN;
    const data_set *tr = d->train;
    int B = tc->batch_size;
    if (B < 1 || B > d->n_train)
        return err_set(err, ERR_INPUT, "batch size %d must be between 1 and the %d training examples",
                       B, d->n_train);
    int eval_B = B > 256 ? B : 256;
    nn_net net;
    nn_shape in = {tr->c, tr->h, tr->w, 0};
    if (nn_build(&net, layers, nlayers, in, tr->classes, eval_B, err)) return -1;
    nn_init(&net, tc->seed);
    optim opt;
    if (optim_init(&opt, &tc->optimizer, net.nparams, err)) {
        nn_free(&net);
        return -1;
    }
    size_t ckpt = net.nparams + net.nstate;
    float *x = malloc((size_t)eval_B * tr->dim * sizeof(float));
    int *y = malloc((size_t)eval_B * sizeof(int));
    float *dlogits = malloc((size_t)eval_B * net.classes * sizeof(float));
    int *order = malloc((size_t)d->n_train * sizeof(int));
    int *test_idx = malloc((size_t)(d->test ? d->test->n : 1) * sizeof(int));
    float *best = malloc((ckpt ? ckpt : 1) * sizeof(float));
    if (!x || !y || !dlogits || !order || !test_idx || !best) {
        free(x); free(y); free(dlogits); free(order); free(test_idx); free(best);
        optim_free(&opt);
        nn_free(&net);
        return err_set(err, ERR_INTERNAL, "out of memory for training buffers");
    }
    memcpy(order, d->train_idx, (size_t)d->n_train * sizeof(int));
    rng shuffle;
    rng_seed(&shuffle, tc->seed, 3);

    res->best_val_acc = -1.0;
    int since_best = 0;
    /* A mean batch loss above 100x that of guessing uniformly (log C) means
     * the weights blew up: such runs end up NaN or with every ReLU dead. */
    double diverge_at = 100.0 * log((double)net.classes > 1 ? net.classes : 2);
    for (int e = 1; e <= tc->epochs && res->status == TRAIN_DONE; e++) {
        double te = now_seconds();
        train_epoch ep = {.epoch = e, .lr = train_lr(&tc->lr, e, tc->epochs)};
        rng_shuffle(&shuffle, order, d->n_train);
        double loss_sum = 0.0;
        long hits = 0;
        for (int i = 0; i < d->n_train; i += B) {
            int b = d->n_train - i < B ? d->n_train - i : B;
            data_batch(x, y, tr, order + i, b);
            const float *logits = nn_forward(&net, x, b, 1);
            int correct;
            double l = nn_softmax_xent(dlogits, logits, y, b, net.classes, &correct);
            if (!isfinite(l) || l > diverge_at * b) {
                res->status = TRAIN_DIVERGED;
                res->diverged_epoch = e;
                break;
            }
            loss_sum += l;
            hits += correct;
            nn_backward(&net, dlogits, b);
            optim_step(&opt, &net, ep.lr, tc->l2);
        }
        if (res->status == TRAIN_DIVERGED) break;
        ep.train_loss = loss_sum / d->n_train;
        ep.train_acc = (double)hits / d->n_train;
        train_evaluate(&net, tr, d->val_idx, d->n_val, x, y, &ep.val_loss, &ep.val_acc);
        if (d->n_val && !isfinite(ep.val_loss)) {
            res->status = TRAIN_DIVERGED;
            res->diverged_epoch = e;
            break;
        }
        ep.seconds = now_seconds() - te;
        res->epochs_run = e;
        /* Without a validation set the last epoch is the best. */
        double score = d->n_val ? ep.val_acc : (double)e;
        if (score > res->best_val_acc || res->best_epoch == 0) {
            res->best_val_acc = score;
            res->best_epoch = e;
            memcpy(best, net.params, net.nparams * sizeof(float));
            memcpy(best + net.nparams, net.state, net.nstate * sizeof(float));
            since_best = 0;
        } else {
            since_best++;
        }
        if (fn) {
            int verdict = fn(ctx, &ep);
            if (verdict == TRAIN_FINISH) break;
            if (verdict) res->status = (train_status)verdict;
        }
        if (tc->patience > 0 && since_best >= tc->patience) break;
    }
    if (!d->n_val) res->best_val_acc = NAN;
    /* A pruned run is not worth a test pass: it lost to others on validation. */
    if (res->best_epoch > 0 && d->test && res->status != TRAIN_PRUNED) {
        memcpy(net.params, best, net.nparams * sizeof(float));
        memcpy(net.state, best + net.nparams, net.nstate * sizeof(float));
        for (int i = 0; i < d->test->n; i++) test_idx[i] = i;
        train_evaluate(&net, d->test, test_idx, d->test->n, x, y, &res->test_loss, &res->test_acc);
    }
    if (res->best_epoch == 0) res->best_val_acc = NAN;
    if (keep_best && res->best_epoch > 0) {
        res->best_params = best;
        res->best_size = ckpt;
        res->best_nparams = net.nparams;
        best = NULL;
    }
    free(x); free(y); free(dlogits); free(order); free(test_idx); free(best);
    optim_free(&opt);
    nn_free(&net);
    res->train_seconds = now_seconds() - t0;
    return 0;
}
