/* sweep.c - expanding a config into trials. See sweep.h. */
#include "sweep.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sampler.h"

void sweep_plan_free(sweep_plan *p) {
    for (int i = 0; i < p->ntrials && p->trials; i++) node_free(p->trials[i].swept);
    free(p->trials);
    p->trials = NULL;
    p->ntrials = 0;
}

/* Resolve the base tree with trial t's values put in. */
static int resolve_trial(sweep_trial *t, const cfg_file *c, sw_err *err) {
    node *tree = node_clone(c->root);
    if (!tree) return err_set(err, ERR_INTERNAL, "out of memory");
    int rc = 0;
    for (int i = 0; i < t->swept->n && !rc; i++)
        rc = node_set(tree, t->swept->keys[i]->str, node_clone(t->swept->items[i]), err);
    if (!rc) rc = cfg_resolve(&t->cfg, tree, c->name, err);
    node_free(tree);
    if (rc) {
        char desc[512];
        sweep_describe(t, desc, sizeof desc);
        return err_prefix(err, "%s: trial %d (%s)", c->path, t->index, desc);
    }
    return 0;
}

int sweep_plan_make(sweep_plan *p, const cfg_file *c, sw_err *err) {
    memset(p, 0, sizeof *p);
    if (!c->sweep.present) {
        p->trials = calloc(1, sizeof *p->trials);
        if (!p->trials || !(p->trials[0].swept = node_new_map())) {
            free(p->trials);
            return err_set(err, ERR_INTERNAL, "out of memory");
        }
        p->ntrials = 1;
        p->trials[0].cfg = c->base;
        return 0;
    }
    sampler s;
    if (sampler_init(&s, &c->sweep, err)) return -1;
    int n = s.ops->count(&s);
    if (n < 0) {
        sampler_free(&s);
        return err_set(err, ERR_INTERNAL, "sampler %s has no fixed trial count", s.ops->name);
    }
    p->trials = calloc((size_t)n, sizeof *p->trials);
    if (!p->trials) {
        sampler_free(&s);
        return err_set(err, ERR_INTERNAL, "out of memory for %d trials", n);
    }
    node *values[CFG_MAX_PARAMS];
    int rc = 0;
    p->adaptive = s.ops->adaptive;
    if (p->adaptive) {
        /* Values come later (sweep_plan_set); meanwhile the base settings. */
        p->ntrials = n;
        for (int k = 0; k < n; k++) {
            p->trials[k].index = k;
            p->trials[k].cfg = c->base;
        }
        sampler_free(&s);
        return 0;
    }
    for (int k = 0; k < n && !rc; k++) {
        sweep_trial *t = &p->trials[k];
        t->index = k;
        p->ntrials = k + 1;
        if (!(t->swept = node_new_map()) || s.ops->suggest(&s, k, NULL, 0, values, err)) {
            rc = t->swept ? -1 : err_set(err, ERR_INTERNAL, "out of memory");
            break;
        }
        for (int i = 0; i < c->sweep.nparams; i++)
            if (node_append(t->swept, c->sweep.params[i].path, values[i]) && !rc)
                rc = err_set(err, ERR_INTERNAL, "out of memory");
        if (!rc) rc = resolve_trial(t, c, err);
    }
    sampler_free(&s);
    if (rc) sweep_plan_free(p);
    return rc;
}

const char *sweep_short_key(const char *path) {
    static const char *const sections[] = {"train.", "model.", "data.", NULL};
    for (int i = 0; sections[i]; i++)
        if (!strncmp(path, sections[i], strlen(sections[i]))) return path + strlen(sections[i]);
    return path;
}

/* A value as short text: a scalar as written, a list joined by '-'
 * (model.hidden: 512-256), a mapping as key:value pairs joined by ','
 * (train.optimizer: type:sgd,momentum:0.9); deeper levels as {..}. */
static size_t value_text(const node *v, char *buf, size_t size, int depth) {
    size_t len = 0;
    buf[0] = '\0';
    if (v->kind == NODE_SCALAR) return (size_t)snprintf(buf, size, "%s", v->str);
    if (depth > 1) return (size_t)snprintf(buf, size, "{..}");
    for (int j = 0; j < v->n && len + 1 < size; j++) {
        if (j) len += (size_t)snprintf(buf + len, size - len, "%s", v->kind == NODE_SEQ ? "-" : ",");
        if (v->kind == NODE_MAP && len + 1 < size)
            len += (size_t)snprintf(buf + len, size - len, "%s:", v->keys[j]->str);
        if (len + 1 < size) len += value_text(v->items[j], buf + len, size - len, depth + 1);
    }
    return len < size ? len : size - 1;
}

void sweep_describe(const sweep_trial *t, char *buf, size_t size) {
    size_t len = 0;
    buf[0] = '\0';
    if (!t->swept) return;
    for (int i = 0; i < t->swept->n && len < size; i++) {
        const char *key = sweep_short_key(t->swept->keys[i]->str);
        char val[128];
        value_text(t->swept->items[i], val, sizeof val, 0);
        len += (size_t)snprintf(buf + len, size - len, "%s%s=%s", i ? " " : "", key, val);
    }
}

int sweep_plan_set(sweep_plan *p, const cfg_file *c, int k, node *swept, sw_err *err) {
    if (k < 0 || k >= p->ntrials) {
        node_free(swept);
        return err_set(err, ERR_INTERNAL, "trial %d is not in the plan", k);
    }
    sweep_trial *t = &p->trials[k];
    node_free(t->swept);
    t->swept = swept;
    return resolve_trial(t, c, err);
}

typedef struct costed { int k; double cost; } costed;

static int by_cost(const void *a, const void *b) {
    const costed *x = a, *y = b;
    if (x->cost != y->cost) return x->cost < y->cost ? 1 : -1;
    return x->k - y->k;
}

int sweep_plan_shard(sweep_plan *p, const double *cost, int K, int N, int *kept, sw_err *err) {
    if (N < 1 || K < 0 || K >= N)
        return err_set(err, ERR_INTERNAL, "shard %d/%d does not exist", K, N);
    int n = p->ntrials, m = 0;
    char *mine = calloc((size_t)n + 1, 1);
    if (!mine) return err_set(err, ERR_INTERNAL, "out of memory");
    if (p->adaptive) {
        /* Its own search: local trial j is the sweep's trial j*N + K. */
        for (int j = 0; j * N + K < n; j++) mine[j] = 1;
    } else {
        /* Longest first onto the least loaded shard (ties: the lower shard). */
        costed *c = calloc((size_t)n + 1, sizeof *c);
        double *load = calloc((size_t)N, sizeof *load);
        if (!c || !load) {
            free(c); free(load); free(mine);
            return err_set(err, ERR_INTERNAL, "out of memory");
        }
        for (int k = 0; k < n; k++) c[k] = (costed){k, cost[k]};
        qsort(c, (size_t)n, sizeof *c, by_cost);
        for (int i = 0; i < n; i++) {
            int best = 0;
            for (int s = 1; s < N; s++)
                if (load[s] < load[best]) best = s;
            load[best] += c[i].cost;
            if (best == K) mine[c[i].k] = 1;
        }
        free(c);
        free(load);
    }
    for (int k = 0; k < n; k++) {
        if (!mine[k]) {
            node_free(p->trials[k].swept);
            continue;
        }
        if (p->adaptive) p->trials[k].index = k * N + K;
        if (kept) kept[m] = k;
        p->trials[m++] = p->trials[k];
    }
    p->ntrials = m;
    free(mine);
    return 0;
}

int sweep_plan_local(const sweep_plan *p, int trial) {
    int lo = 0, hi = p->ntrials - 1;
    while (lo <= hi) {
        int mid = lo + (hi - lo) / 2, t = p->trials[mid].index;
        if (t == trial) return mid;
        if (t < trial) lo = mid + 1;
        else hi = mid - 1;
    }
    return -1;
}
