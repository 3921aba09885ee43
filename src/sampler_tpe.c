/* sampler_tpe.c - the Tree-structured Parzen Estimator (Bergstra et al.,
 * 2011), as Optuna's TPESampler does it in its default, independent mode.
 *
 * The first startup_trials trials are random search's own draws. After that,
 * for each parameter on its own: the finished trials are split into the best
 * gamma(n) = min(ceil(n / 10), 25) ("below"; done trials by score, then
 * pruned ones, those that got further first) and the rest ("above", with the
 * trials still running, which counts them as bad: a constant liar, so
 * parallel trials spread out). Each group gives a Parzen estimator: one
 * truncated normal per observation (bandwidth: the larger gap to its
 * neighbours, clipped to [range / min(100, m + 2), range]) plus a prior
 * (centre of the range, width the range), weighted by recency past 25
 * observations. 24 candidates drawn from the below estimator l; the one with
 * the largest log l(x) - log g(x) is the value. Log-uniform parameters are
 * modelled in log space, integers as discrete masses, lists as categories.
 * Trial k draws from its own stream of sweep.seed, so the same observations
 * give the same suggestion.
 *
 * sweep.multivariate: true models the parameters jointly, as Optuna's
 * TPESampler(multivariate=True): each observation is one kernel over all of
 * them (a product of the per-parameter kernels; bandwidth 0.2 * range *
 * m^(-1/(d+4)) for d parameters and m observations, clipped as above), a
 * candidate draws every parameter from one kernel, and candidates are ranked
 * by the joint densities, so interactions (learning rate with momentum)
 * are learnt. Observations missing a parameter's value are left out. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rng.h"
#include "sampler.h"

#define CANDIDATES 24
#define PRIOR_WEIGHT 1.0

static int tpe_count(const sampler *s) { return s->spec->trials; }

/* ---- the normal distribution ---- */

static double Phi(double z) { return 0.5 * erfc(-z / M_SQRT2); }

/* Inverse of Phi (Acklam's rational approximation, one Newton step). */
static double Phi_inv(double p) {
    static const double a[] = {-3.969683028665376e+01, 2.209460984245205e+02,
                               -2.759285104469687e+02, 1.383577518672690e+02,
                               -3.066479806614716e+01, 2.506628277459239e+00};
    static const double b[] = {-5.447609879822406e+01, 1.615858368580409e+02,
                               -1.556989798598866e+02, 6.680131188771972e+01,
                               -1.328068155288572e+01};
    static const double c[] = {-7.784894002430293e-03, -3.223964580411365e-01,
                               -2.400758277161838e+00, -2.549732539343734e+00,
                               4.374664141464968e+00, 2.938163982698783e+00};
    static const double d[] = {7.784695709041462e-03, 3.224671290700398e-01,
                               2.445134137142996e+00, 3.754408661907416e+00};
    if (p <= 0) return -INFINITY;
    if (p >= 1) return INFINITY;
    double q, x;
    if (p < 0.02425) {
        q = sqrt(-2 * log(p));
        x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
            ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
    } else if (p > 1 - 0.02425) {
        q = sqrt(-2 * log(1 - p));
        x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
            ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
    } else {
        q = p - 0.5;
        double r = q * q;
        x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
            (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
    }
    double e = Phi(x) - p; /* one Newton step */
    return x - e * sqrt(2 * M_PI) * exp(x * x / 2);
}

/* ---- one parameter's space ---- */

typedef struct space {
    int ncat;         /* > 0: a list of values, modelled as categories */
    int is_int, log;  /* numeric: integer, log scale */
    double lo, hi;    /* numeric, in model space: log if log, widened by 1/2 if integer */
} space;

static space space_of(const cfg_param *P) {
    space sp = {0, 0, 0, 0, 0};
    if (P->values) {
        sp.ncat = P->values->n;
        return sp;
    }
    sp.is_int = P->dist == DIST_INT;
    sp.log = P->dist == DIST_LOG_UNIFORM;
    sp.lo = sp.is_int ? P->min - 0.5 : sp.log ? log(P->min) : P->min;
    sp.hi = sp.is_int ? P->max + 0.5 : sp.log ? log(P->max) : P->max;
    return sp;
}

static int node_equal(const node *a, const node *b) {
    if (a->kind != b->kind || a->n != b->n) return 0;
    if (a->kind == NODE_SCALAR) {
        double x, y;
        if (!node_to_double(a, &x) && !node_to_double(b, &y)) return x == y;
        return !strcmp(a->str, b->str);
    }
    for (int i = 0; i < a->n; i++) {
        if (a->kind == NODE_MAP && strcmp(a->keys[i]->str, b->keys[i]->str)) return 0;
        if (!node_equal(a->items[i], b->items[i])) return 0;
    }
    return 1;
}

/* An observed value in model space (category index for lists); NaN if it
 * is not one of the parameter's values. */
static double model_value(const cfg_param *P, const space *sp, const node *v) {
    if (sp->ncat) {
        for (int c = 0; c < sp->ncat; c++)
            if (node_equal(P->values->items[c], v)) return c;
        return NAN;
    }
    double x;
    if (node_to_double(v, &x)) return NAN;
    return sp->log ? (x > 0 ? log(x) : NAN) : x;
}

/* ---- a Parzen estimator over one parameter ---- */

typedef struct parzen {
    int m;              /* observations; component m is the prior */
    double *w;          /* (m+1) log weights */
    double *mu, *sigma; /* numeric: (m+1) */
    double *logz;       /* numeric: (m+1) log of the mass inside [lo, hi] */
    int *cat;           /* categorical: (m) observed index */
} parzen;

static void parzen_free(parzen *pz) {
    free(pz->w); free(pz->mu); free(pz->sigma); free(pz->logz); free(pz->cat);
}

/* x are the m observations in model space, in trial order. bw > 0: every
 * observation's bandwidth is bw * range (clipped), as multivariate TPE does;
 * else the neighbour gaps. */
static int parzen_build(parzen *pz, const space *sp, const double *x, int m, double bw) {
    memset(pz, 0, sizeof *pz);
    pz->m = m;
    pz->w = malloc(sizeof(double) * (size_t)(m + 1));
    pz->mu = malloc(sizeof(double) * (size_t)(m + 1));
    pz->sigma = malloc(sizeof(double) * (size_t)(m + 1));
    pz->logz = malloc(sizeof(double) * (size_t)(m + 1));
    pz->cat = malloc(sizeof(int) * (size_t)(m + 1));
    if (!pz->w || !pz->mu || !pz->sigma || !pz->logz || !pz->cat) return -1;
    /* Weights: the newest 25 count fully, older ones ramp up from 1/m. */
    double total = PRIOR_WEIGHT;
    for (int j = 0; j < m; j++) {
        double wj = 1.0;
        if (m >= 25 && j < m - 25) wj = m - 25 > 1 ? 1.0 / m + (1.0 - 1.0 / m) * j / (m - 26.0) : 1.0 / m;
        pz->w[j] = wj;
        total += wj;
    }
    pz->w[m] = PRIOR_WEIGHT;
    for (int j = 0; j <= m; j++) pz->w[j] = log(pz->w[j] / total);
    if (sp->ncat) {
        for (int j = 0; j < m; j++) pz->cat[j] = (int)x[j];
        return 0;
    }
    double lo = sp->lo, hi = sp->hi, range = hi - lo;
    int *order = malloc(sizeof(int) * (size_t)(m ? m : 1));
    if (!order) return -1;
    for (int j = 0; j < m; j++) {
        pz->mu[j] = x[j];
        order[j] = j;
    }
    for (int a = 1; a < m && bw <= 0; a++) /* insertion sort by mu, stable: for the gaps */
        for (int b = a; b > 0 && pz->mu[order[b - 1]] > pz->mu[order[b]]; b--) {
            int t = order[b]; order[b] = order[b - 1]; order[b - 1] = t;
        }
    double minsig = range / (m + 2 < 100 ? m + 2 : 100);
    for (int p = 0; p < m; p++) {
        double sg = bw * range;
        if (bw <= 0) {
            double mu = pz->mu[order[p]];
            double left = mu - (p > 0 ? pz->mu[order[p - 1]] : lo);
            double right = (p < m - 1 ? pz->mu[order[p + 1]] : hi) - mu;
            sg = m == 1 ? fmax(left, right) : p == 0 ? right : p == m - 1 ? left : fmax(left, right);
        }
        pz->sigma[order[p]] = fmin(fmax(sg, minsig), range);
    }
    free(order);
    pz->mu[m] = 0.5 * (lo + hi);
    pz->sigma[m] = range;
    for (int j = 0; j <= m; j++) {
        double z = Phi((hi - pz->mu[j]) / pz->sigma[j]) - Phi((lo - pz->mu[j]) / pz->sigma[j]);
        pz->logz[j] = log(z > 1e-300 ? z : 1e-300);
    }
    return 0;
}

/* log density (or mass) of x in model space under component j alone */
static double comp_logp(const parzen *pz, const space *sp, int j, double x) {
    if (sp->ncat) {
        double k = sp->ncat, pw = PRIOR_WEIGHT / (pz->m + 1);
        return j == pz->m ? -log(k) : log((pw + (pz->cat[j] == (int)x)) / (k * pw + 1));
    }
    if (sp->is_int) {
        double a = Phi((x - 0.5 - pz->mu[j]) / pz->sigma[j]), b = Phi((x + 0.5 - pz->mu[j]) / pz->sigma[j]);
        return log(b - a > 1e-300 ? b - a : 1e-300) - pz->logz[j];
    }
    double z = (x - pz->mu[j]) / pz->sigma[j];
    return -0.5 * z * z - 0.5 * log(2 * M_PI) - log(pz->sigma[j]) - pz->logz[j];
}

/* log of sum_j exp(w_j + sum_p comp_logp(pz[p], j, x[p])) over the np
 * parameters' estimators (one observation set: their m and w agree). */
static double joint_logp(const parzen *pz, const space *sp, int np, const double *x) {
    int m = pz[0].m;
    double mx = -INFINITY, *lp = malloc(sizeof(double) * (size_t)(m + 1));
    if (!lp) return -INFINITY;
    for (int j = 0; j <= m; j++) {
        lp[j] = pz[0].w[j];
        for (int p = 0; p < np; p++) lp[j] += comp_logp(&pz[p], &sp[p], j, x[p]);
        if (lp[j] > mx) mx = lp[j];
    }
    double sum = 0;
    for (int j = 0; j <= m; j++) sum += exp(lp[j] - mx);
    free(lp);
    return mx + log(sum);
}

/* log density (or mass) of x in model space */
static double parzen_logp(const parzen *pz, const space *sp, double x) {
    return joint_logp(pz, sp, 1, &x);
}

/* A component of the estimator, by weight. */
static int parzen_pick(const parzen *pz, rng *r) {
    double u = rng_uniform(r), acc = 0;
    for (int i = 0; i <= pz->m; i++) {
        acc += exp(pz->w[i]);
        if (u < acc) return i;
    }
    return pz->m;
}

/* A draw from component j, in model space (integers rounded). */
static double comp_draw(const parzen *pz, const space *sp, int j, rng *r) {
    if (sp->ncat) {
        int k = sp->ncat;
        if (j == pz->m) return (double)rng_below(r, (uint64_t)k);
        double pw = PRIOR_WEIGHT / (pz->m + 1), norm = k * pw + 1, v = rng_uniform(r) * norm;
        for (int c = 0; c < k; c++) {
            v -= pw + (c == pz->cat[j]);
            if (v < 0) return c;
        }
        return k - 1;
    }
    double a = Phi((sp->lo - pz->mu[j]) / pz->sigma[j]), b = Phi((sp->hi - pz->mu[j]) / pz->sigma[j]);
    double x = pz->mu[j] + pz->sigma[j] * Phi_inv(a + rng_uniform(r) * (b - a));
    x = fmin(fmax(x, sp->lo), sp->hi);
    if (sp->is_int) x = fmin(fmax(round(x), sp->lo + 0.5), sp->hi - 0.5);
    return x;
}

/* A draw from the estimator, in model space (integers rounded). */
static double parzen_draw(const parzen *pz, const space *sp, rng *r) {
    int j = parzen_pick(pz, r);
    return comp_draw(pz, sp, j, r);
}

/* ---- suggesting ---- */

typedef struct ranked { int idx; double k1, k2; int trial; } ranked;

static int cmp_ranked(const void *a, const void *b) {
    const ranked *x = a, *y = b;
    if (x->k1 != y->k1) return x->k1 < y->k1 ? -1 : 1;
    if (x->k2 != y->k2) return x->k2 < y->k2 ? -1 : 1;
    return x->trial - y->trial;
}

static int cmp_trial(const void *a, const void *b) {
    const ranked *x = a, *y = b;
    return x->trial - y->trial;
}

/* below[i] = 1 for the observations in the best gamma(n). */
static void split(const sampler_obs *obs, int nobs, int *below) {
    int n = 0;
    for (int i = 0; i < nobs; i++) {
        below[i] = 0;
        n += obs[i].state != OBS_RUNNING;
    }
    int nb = (n + 9) / 10;
    if (nb > 25) nb = 25;
    ranked *rk = malloc(sizeof(ranked) * (size_t)(nobs ? nobs : 1));
    if (!rk) return;
    int c = 0;
    for (int i = 0; i < nobs; i++)
        if (obs[i].state == OBS_DONE)
            rk[c++] = (ranked){i, isnan(obs[i].score) ? INFINITY : -obs[i].score, 0, obs[i].trial};
    qsort(rk, (size_t)c, sizeof *rk, cmp_ranked);
    int take = nb < c ? nb : c;
    for (int i = 0; i < take; i++) below[rk[i].idx] = 1;
    nb -= take;
    c = 0;
    for (int i = 0; i < nobs; i++)
        if (obs[i].state == OBS_PRUNED)
            rk[c++] = (ranked){i, -(double)obs[i].last_epoch,
                               isnan(obs[i].last_score) ? INFINITY : -obs[i].last_score, obs[i].trial};
    qsort(rk, (size_t)c, sizeof *rk, cmp_ranked);
    for (int i = 0; i < nb && i < c; i++) below[rk[i].idx] = 1;
    free(rk);
}

/* values[p] from the model-space value x of parameter p. */
static int put_value(const cfg_param *P, const space *sp, double x, node **value, sw_err *err) {
    if (sp->ncat) *value = node_clone(P->values->items[(int)x]);
    else if (sp->is_int) *value = node_new_int((long long)x);
    else *value = node_new_double(sampler_round4(sp->log ? exp(x) : x, P->min, P->max));
    return *value ? 0 : err_set(err, ERR_INTERNAL, "out of memory");
}

/* All parameters at once (sweep.multivariate): ord is the observations in
 * trial order, below[] the split. */
static int suggest_joint(const cfg_sweep *S, const sampler_obs *obs, int nobs, const ranked *ord,
                         const int *below, rng *r, node **values, sw_err *err) {
    int np = S->nparams, mb = 0, ma = 0, rc = 0;
    space sp[CFG_MAX_PARAMS];
    parzen l[CFG_MAX_PARAMS], g[CFG_MAX_PARAMS];
    memset(l, 0, sizeof l);
    memset(g, 0, sizeof g);
    double *xb = malloc(sizeof(double) * (size_t)(nobs ? nobs : 1) * (size_t)np);
    double *xa = malloc(sizeof(double) * (size_t)(nobs ? nobs : 1) * (size_t)np);
    if (!xb || !xa) rc = err_set(err, ERR_INTERNAL, "out of memory in the TPE sampler");
    for (int p = 0; p < np; p++) sp[p] = space_of(&S->params[p]);
    /* xb[p * nobs + j]: parameter p of the j-th below observation with every value */
    for (int o = 0; o < nobs && !rc; o++) {
        int i = ord[o].idx, ok = 1;
        double v[CFG_MAX_PARAMS];
        for (int p = 0; p < np && ok; p++)
            ok = !isnan(v[p] = model_value(&S->params[p], &sp[p], obs[i].values[p]));
        if (!ok) continue;
        double *dst = below[i] ? xb : xa;
        int j = below[i] ? mb++ : ma++;
        for (int p = 0; p < np; p++) dst[p * nobs + j] = v[p];
    }
    double bwb = 0.2 * pow(mb > 1 ? mb : 1, -1.0 / (np + 4));
    double bwa = 0.2 * pow(ma > 1 ? ma : 1, -1.0 / (np + 4));
    for (int p = 0; p < np && !rc; p++)
        if (parzen_build(&l[p], &sp[p], xb + p * nobs, mb, bwb) ||
            parzen_build(&g[p], &sp[p], xa + p * nobs, ma, bwa))
            rc = err_set(err, ERR_INTERNAL, "out of memory in the TPE sampler");
    double best[CFG_MAX_PARAMS], x[CFG_MAX_PARAMS], best_score = -INFINITY;
    for (int c = 0; c < CANDIDATES && !rc; c++) {
        int j = parzen_pick(&l[0], r);
        for (int p = 0; p < np; p++) x[p] = comp_draw(&l[p], &sp[p], j, r);
        double sc = joint_logp(l, sp, np, x) - joint_logp(g, sp, np, x);
        if (c == 0 || sc > best_score) {
            best_score = sc;
            memcpy(best, x, sizeof(double) * (size_t)np);
        }
    }
    for (int p = 0; p < np && !rc; p++) rc = put_value(&S->params[p], &sp[p], best[p], &values[p], err);
    for (int p = 0; p < np; p++) {
        parzen_free(&l[p]);
        parzen_free(&g[p]);
    }
    free(xb);
    free(xa);
    return rc;
}

static int tpe_suggest(sampler *s, int k, const sampler_obs *obs, int nobs, node **values,
                       sw_err *err) {
    const cfg_sweep *S = s->spec;
    int finished = 0;
    for (int i = 0; i < nobs; i++) finished += obs[i].state != OBS_RUNNING;
    int startup = S->startup_trials > 0 ? S->startup_trials : 10;
    if (finished < startup) return sampler_random_draw(S, k, values, err);

    int *below = malloc(sizeof(int) * (size_t)nobs);
    double *xb = malloc(sizeof(double) * (size_t)nobs), *xa = malloc(sizeof(double) * (size_t)nobs);
    ranked *ord = malloc(sizeof(ranked) * (size_t)nobs);
    if (!below || !xb || !xa || !ord) {
        free(below); free(xb); free(xa); free(ord);
        return err_set(err, ERR_INTERNAL, "out of memory in the TPE sampler");
    }
    split(obs, nobs, below);
    for (int i = 0; i < nobs; i++) ord[i] = (ranked){i, 0, 0, obs[i].trial};
    qsort(ord, (size_t)nobs, sizeof *ord, cmp_trial);
    rng r;
    rng_seed(&r, S->seed, S->stream + 5000 + (uint64_t)k);
    int rc = 0;
    if (S->multivariate) {
        rc = suggest_joint(S, obs, nobs, ord, below, &r, values, err);
        free(below); free(xb); free(xa); free(ord);
        return rc;
    }
    for (int p = 0; p < S->nparams && !rc; p++) {
        const cfg_param *P = &S->params[p];
        space sp = space_of(P);
        int mb = 0, ma = 0;
        for (int o = 0; o < nobs; o++) {
            int i = ord[o].idx;
            double v = model_value(P, &sp, obs[i].values[p]);
            if (isnan(v)) continue;
            if (below[i]) xb[mb++] = v;
            else xa[ma++] = v;
        }
        parzen l, g;
        if (parzen_build(&l, &sp, xb, mb, 0) || parzen_build(&g, &sp, xa, ma, 0)) {
            rc = err_set(err, ERR_INTERNAL, "out of memory in the TPE sampler");
        } else {
            double best = NAN, best_score = -INFINITY;
            for (int c = 0; c < CANDIDATES; c++) {
                double x = parzen_draw(&l, &sp, &r);
                double sc = parzen_logp(&l, &sp, x) - parzen_logp(&g, &sp, x);
                if (c == 0 || sc > best_score) { best = x; best_score = sc; }
            }
            rc = put_value(P, &sp, best, &values[p], err);
        }
        parzen_free(&l);
        parzen_free(&g);
    }
    free(below); free(xb); free(xa); free(ord);
    return rc;
}

const sampler_ops sampler_tpe_ops = {"tpe", tpe_count, 1, tpe_suggest};
