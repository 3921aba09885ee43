/* config.c - the meaning of every config key. See config.h.
 *
 * The schema is a set of key tables, one per mapping (top level, data, model,
 * train, train.optimizer, train.lr). Each entry says the key's kind, where its
 * value goes in run_cfg, and its range. Resolving walks the tree against the
 * tables: an unknown key gets a did-you-mean, a bad value its file:line:col
 * and the accepted range. Defaults are filled in before the walk, so a tree
 * only holds what the user wrote. Called by main.c and the sweep runner. */
#include "config.h"

#include <ctype.h>
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

typedef enum { K_INT, K_U64, K_DOUBLE, K_BOOL, K_STR, K_ENUM, K_MAP, K_HIDDEN, K_LAYERS, K_SKIP } key_kind;

/* Bounds: lo/hi inclusive unless lo_open/hi_open. */
typedef struct key_def {
    const char *name;
    key_kind kind;
    size_t off;                   /* into run_cfg (into layer_spec for layer keys) */
    double lo, hi;
    int lo_open, hi_open;
    const char *const *choices;   /* K_ENUM: NULL-terminated; value stored as int index */
    const struct key_def *sub;    /* K_MAP */
    size_t size;                  /* K_STR: buffer size */
} key_def;

#define OFF(f) offsetof(run_cfg, f)
#define NAME_CHARS "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-"
#define END {NULL, K_SKIP, 0, 0, 0, 0, 0, NULL, NULL, 0}

static const char *const datasets[] = {"mnist", "fashion-mnist", "idx", NULL};
static const char *const optimizers[] = {"sgd", "adam", "adamw", NULL};
static const char *const schedules[] = {"constant", "step", "exponential", "cosine", NULL};
static const char *const saves[] = {"none", "best", NULL};

static const key_def data_keys[] = {
    {"dataset", K_STR, OFF(data.dataset), 0, 0, 0, 0, datasets, NULL, sizeof(((run_cfg *)0)->data.dataset)},
    {"dir", K_STR, OFF(data.dir), 0, 0, 0, 0, NULL, NULL, sizeof(((run_cfg *)0)->data.dir)},
    {"validation", K_INT, OFF(data.validation), 0, 1e9, 0, 0, NULL, NULL, 0},
    {"limit", K_INT, OFF(data.limit), 0, 1e9, 0, 0, NULL, NULL, 0},
    {"classes", K_INT, OFF(data.classes), 0, 256, 0, 0, NULL, NULL, 0},
    {"split_seed", K_U64, OFF(data.split_seed), 0, 0, 0, 0, NULL, NULL, 0},
    END};

static const key_def model_keys[] = {
    {"hidden", K_HIDDEN, OFF(model), 1, 1 << 16, 0, 0, NULL, NULL, 0},
    {"dropout", K_DOUBLE, OFF(model.dropout), 0, 1, 0, 1, NULL, NULL, 0},
    {"batch_norm", K_BOOL, OFF(model.batch_norm), 0, 0, 0, 0, NULL, NULL, 0},
    {"layers", K_LAYERS, OFF(model), 0, 0, 0, 0, NULL, NULL, 0},
    END};

/* Entries of model.layers: one key table per layer type, offsets into
 * layer_spec, in layer_type order. */
#define LOFF(f) offsetof(layer_spec, f)
static const char *const layer_types[] = {"dense", "relu", "dropout", "batchnorm", "conv",
                                          "maxpool", NULL};
static const char *const paddings[] = {"valid", "same", NULL}; /* index = layer_spec.same */
#define TYPE_KEY {"type", K_ENUM, LOFF(type), 0, 0, 0, 0, layer_types, NULL, 0}
static const key_def dense_keys[] = {
    TYPE_KEY, {"units", K_INT, LOFF(units), 1, 1 << 16, 0, 0, NULL, NULL, 0}, END};
static const key_def relu_keys[] = {TYPE_KEY, END};
static const key_def dropout_keys[] = {
    TYPE_KEY, {"rate", K_DOUBLE, LOFF(rate), 0, 1, 0, 1, NULL, NULL, 0}, END};
static const key_def batchnorm_keys[] = {
    TYPE_KEY,
    {"momentum", K_DOUBLE, LOFF(momentum), 0, 1, 1, 0, NULL, NULL, 0},
    {"eps", K_DOUBLE, LOFF(eps), 0, 1, 1, 1, NULL, NULL, 0},
    END};
static const key_def conv_keys[] = {
    TYPE_KEY,
    {"filters", K_INT, LOFF(filters), 1, 4096, 0, 0, NULL, NULL, 0},
    {"kernel", K_INT, LOFF(kernel), 1, 31, 0, 0, NULL, NULL, 0},
    {"padding", K_ENUM, LOFF(same), 0, 0, 0, 0, paddings, NULL, 0},
    END};
static const key_def maxpool_keys[] = {
    TYPE_KEY, {"size", K_INT, LOFF(size), 1, 64, 0, 0, NULL, NULL, 0}, END};
static const key_def *const layer_keys[LAYER__COUNT] = {
    dense_keys, relu_keys, dropout_keys, batchnorm_keys, conv_keys, maxpool_keys};
/* Keys a layer of each type must have (the others have defaults). */
static const char *const layer_required[LAYER__COUNT][3] = {
    [LAYER_DENSE] = {"units"}, [LAYER_DROPOUT] = {"rate"}, [LAYER_CONV] = {"filters", "kernel"}};

static layer_spec layer_defaults(layer_type t) {
    layer_spec s = {.type = t, .same = 1, .size = 2, .momentum = 0.1, .eps = 1e-5};
    return s;
}

static const key_def optimizer_keys[] = {
    {"type", K_ENUM, OFF(train.optimizer.type), 0, 0, 0, 0, optimizers, NULL, 0},
    {"momentum", K_DOUBLE, OFF(train.optimizer.momentum), 0, 1, 0, 1, NULL, NULL, 0},
    {"nesterov", K_BOOL, OFF(train.optimizer.nesterov), 0, 0, 0, 0, NULL, NULL, 0},
    {"beta1", K_DOUBLE, OFF(train.optimizer.beta1), 0, 1, 0, 1, NULL, NULL, 0},
    {"beta2", K_DOUBLE, OFF(train.optimizer.beta2), 0, 1, 0, 1, NULL, NULL, 0},
    {"eps", K_DOUBLE, OFF(train.optimizer.eps), 0, 1, 1, 0, NULL, NULL, 0},
    {"weight_decay", K_DOUBLE, OFF(train.optimizer.weight_decay), 0, 1, 0, 0, NULL, NULL, 0},
    END};

static const key_def lr_keys[] = {
    {"schedule", K_ENUM, OFF(train.lr.schedule), 0, 0, 0, 0, schedules, NULL, 0},
    {"initial", K_DOUBLE, OFF(train.lr.initial), 0, 100, 1, 0, NULL, NULL, 0},
    {"factor", K_DOUBLE, OFF(train.lr.factor), 0, 1, 1, 0, NULL, NULL, 0},
    {"every", K_INT, OFF(train.lr.every), 1, 1e6, 0, 0, NULL, NULL, 0},
    {"gamma", K_DOUBLE, OFF(train.lr.gamma), 0, 1, 1, 0, NULL, NULL, 0},
    {"min", K_DOUBLE, OFF(train.lr.min), 0, 100, 0, 0, NULL, NULL, 0},
    {"warmup", K_INT, OFF(train.lr.warmup), 0, 1e6, 0, 0, NULL, NULL, 0},
    END};

static const key_def train_keys[] = {
    {"epochs", K_INT, OFF(train.epochs), 1, 1e6, 0, 0, NULL, NULL, 0},
    {"batch_size", K_INT, OFF(train.batch_size), 1, 1e7, 0, 0, NULL, NULL, 0},
    {"optimizer", K_MAP, 0, 0, 0, 0, 0, NULL, optimizer_keys, 0},
    {"lr", K_MAP, 0, 0, 0, 0, 0, NULL, lr_keys, 0},
    {"l2", K_DOUBLE, OFF(train.l2), 0, 10, 0, 0, NULL, NULL, 0},
    {"seed", K_U64, OFF(train.seed), 0, 0, 0, 0, NULL, NULL, 0},
    {"patience", K_INT, OFF(train.patience), 0, 1e6, 0, 0, NULL, NULL, 0},
    {"save", K_ENUM, OFF(train.save_best), 0, 0, 0, 0, saves, NULL, 0},
    END};

static const key_def top_keys[] = {
    {"name", K_STR, OFF(name), 0, 0, 0, 0, NULL, NULL, sizeof(((run_cfg *)0)->name)},
    {"data", K_MAP, 0, 0, 0, 0, 0, NULL, data_keys, 0},
    {"model", K_MAP, 0, 0, 0, 0, 0, NULL, model_keys, 0},
    {"train", K_MAP, 0, 0, 0, 0, 0, NULL, train_keys, 0},
    {"sweep", K_SKIP, 0, 0, 0, 0, 0, NULL, NULL, 0},
    END};

static void set_defaults(run_cfg *c) {
    memset(c, 0, sizeof *c);
    snprintf(c->data.dataset, sizeof c->data.dataset, "mnist");
    c->data.validation = 10000;
    c->data.classes = 0; /* from the labels: max + 1 */
    c->data.split_seed = 1;
    c->model.nhidden = 1;
    c->model.hidden[0] = 256;
    c->train.epochs = 10;
    c->train.batch_size = 128;
    c->train.optimizer = (optim_cfg){OPT_SGD, 0.0, 0, 0.9, 0.999, 1e-8, 0.01};
    c->train.lr = (lr_cfg){LR_CONSTANT, 0.1, 0.5, 5, 0.95, 0.0, 0};
    c->train.seed = 1;
}

/* Levenshtein distance, for did-you-mean; strings are short keys. */
static int edit_distance(const char *a, const char *b) {
    size_t la = strlen(a), lb = strlen(b);
    if (la > 63 || lb > 63) return 99;
    int prev[64], cur[64];
    for (size_t j = 0; j <= lb; j++) prev[j] = (int)j;
    for (size_t i = 1; i <= la; i++) {
        cur[0] = (int)i;
        for (size_t j = 1; j <= lb; j++) {
            int sub = prev[j - 1] + (a[i - 1] != b[j - 1]);
            int del = prev[j] + 1, ins = cur[j - 1] + 1;
            cur[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
        }
        memcpy(prev, cur, sizeof(int) * (lb + 1));
    }
    return prev[lb];
}

static int bad_value(sw_err *err, const node *n, const char *path, const char *expect) {
    char d[96];
    return err_set(err, ERR_INPUT, "%s:%d:%d: %s must be %s, got %s", n->file, n->line, n->col,
                   path, expect, node_describe(n, d, sizeof d));
}

static void range_text(const key_def *k, char *buf, size_t size) {
    if (k->kind == K_INT)
        snprintf(buf, size, "an integer from %.0f to %.0f", k->lo, k->hi);
    else
        snprintf(buf, size, "a number %s %g and %s %g", k->lo_open ? ">" : ">=", k->lo,
                 k->hi_open ? "<" : "<=", k->hi);
}

static int in_range(const key_def *k, double v) {
    if (k->lo_open ? !(v > k->lo) : !(v >= k->lo)) return 0;
    if (k->hi_open ? !(v < k->hi) : !(v <= k->hi)) return 0;
    return 1;
}

static int resolve_map(char *base, const node *map, const key_def *keys, const char *prefix,
                       sw_err *err);
static int resolve_layers(model_cfg *m, const node *v, const char *path, sw_err *err);

/* Set the field k describes, at base + k->off, from v. */
static int resolve_value(char *base, const node *v, const key_def *k, const char *path,
                         sw_err *err) {
    char expect[128];
    switch (k->kind) {
    case K_SKIP: return 0;
    case K_MAP:
        if (v->kind != NODE_MAP && !node_is_null(v))
            return bad_value(err, v, path, "a mapping of keys");
        return v->kind == NODE_MAP ? resolve_map(base, v, k->sub, path, err) : 0;
    case K_LAYERS: return resolve_layers((model_cfg *)(base + k->off), v, path, err);
    case K_INT: {
        long long x;
        range_text(k, expect, sizeof expect);
        if (node_to_ll(v, &x) || !in_range(k, (double)x)) return bad_value(err, v, path, expect);
        *(int *)(base + k->off) = (int)x;
        return 0;
    }
    case K_U64: {
        long long x;
        if (node_to_ll(v, &x) || x < 0)
            return bad_value(err, v, path, "an integer from 0 to 9223372036854775807");
        *(uint64_t *)(base + k->off) = (uint64_t)x;
        return 0;
    }
    case K_DOUBLE: {
        double x;
        range_text(k, expect, sizeof expect);
        if (node_to_double(v, &x) || !in_range(k, x)) return bad_value(err, v, path, expect);
        *(double *)(base + k->off) = x;
        return 0;
    }
    case K_BOOL: {
        int x;
        if (node_to_bool(v, &x)) return bad_value(err, v, path, "true or false");
        *(int *)(base + k->off) = x;
        return 0;
    }
    case K_STR:
    case K_ENUM: {
        if (v->kind != NODE_SCALAR || node_is_null(v) || !v->str[0])
            return bad_value(err, v, path, "a non-empty string");
        if (k->choices) {
            int found = -1;
            size_t len = 0;
            expect[0] = '\0';
            for (int i = 0; k->choices[i]; i++) {
                if (!strcmp(v->str, k->choices[i])) found = i;
                len += (size_t)snprintf(expect + len, sizeof expect - len, "%s%s",
                                        i ? (k->choices[i + 1] ? ", " : " or ") : "one of ",
                                        k->choices[i]);
            }
            if (found < 0) return bad_value(err, v, path, expect);
            if (k->kind == K_ENUM) {
                *(int *)(base + k->off) = found;
                return 0;
            }
        }
        if (strlen(v->str) >= k->size) {
            snprintf(expect, sizeof expect, "at most %zu characters long", k->size - 1);
            return bad_value(err, v, path, expect);
        }
        memcpy(base + k->off, v->str, strlen(v->str) + 1);
        return 0;
    }
    case K_HIDDEN: {
        model_cfg *m = (model_cfg *)(base + k->off);
        if (v->kind != NODE_SEQ)
            return bad_value(err, v, path, "a list of layer sizes such as [256] or [512, 256]");
        if (v->n > CFG_MAX_HIDDEN) {
            snprintf(expect, sizeof expect, "a list of at most %d layer sizes", CFG_MAX_HIDDEN);
            return bad_value(err, v, path, expect);
        }
        for (int i = 0; i < v->n; i++) {
            long long x;
            if (node_to_ll(v->items[i], &x) || x < k->lo || x > k->hi) {
                char ipath[300];
                snprintf(ipath, sizeof ipath, "%s[%d]", path, i);
                snprintf(expect, sizeof expect, "a layer size from %.0f to %.0f", k->lo, k->hi);
                return bad_value(err, v->items[i], ipath, expect);
            }
            m->hidden[i] = (int)x;
        }
        m->nhidden = v->n;
        return 0;
    }
    }
    return 0;
}

/* The entry of keys named by key, or NULL with an error that offers the
 * closest known key (or lists them all). */
static const key_def *lookup_key(const key_def *keys, const node *key, const char *prefix,
                                 sw_err *err) {
    for (const key_def *d = keys; d->name; d++)
        if (!strcmp(d->name, key->str)) return d;
    const char *best = NULL;
    int bestd = 99;
    for (const key_def *d = keys; d->name; d++) {
        int dist = edit_distance(key->str, d->name);
        if (dist < bestd) { bestd = dist; best = d->name; }
    }
    char hint[512] = "";
    size_t len = 0;
    if (best && bestd <= 2 + (int)strlen(key->str) / 4) {
        snprintf(hint, sizeof hint, "; did you mean '%s'?", best);
    } else {
        len += (size_t)snprintf(hint, sizeof hint, "; known keys%s%s:", prefix[0] ? " of " : "",
                                prefix);
        for (const key_def *d = keys; d->name && len < sizeof hint; d++)
            len += (size_t)snprintf(hint + len, sizeof hint - len, " %s", d->name);
    }
    err_set(err, ERR_INPUT, "%s:%d:%d: unknown key '%s%s%s'%s", key->file, key->line, key->col,
            prefix, prefix[0] ? "." : "", key->str, hint);
    return NULL;
}

static int resolve_map(char *base, const node *map, const key_def *keys, const char *prefix,
                       sw_err *err) {
    for (int i = 0; i < map->n; i++) {
        const key_def *k = lookup_key(keys, map->keys[i], prefix, err);
        if (!k) return -1;
        char path[256];
        snprintf(path, sizeof path, "%s%s%s", prefix, prefix[0] ? "." : "", k->name);
        if (resolve_value(base, map->items[i], k, path, err)) return -1;
    }
    return 0;
}

/* model.layers: a list of {type: ..., key: value} mappings. */
static int resolve_layers(model_cfg *m, const node *v, const char *path, sw_err *err) {
    char expect[160];
    if (v->kind != NODE_SEQ || v->n == 0)
        return bad_value(err, v, path,
                         "a list of layers such as [{type: dense, units: 256}, {type: relu}, "
                         "{type: dense, units: 10}]");
    if (v->n > CFG_MAX_SPEC) {
        snprintf(expect, sizeof expect, "a list of at most %d layers", CFG_MAX_SPEC);
        return bad_value(err, v, path, expect);
    }
    for (int i = 0; i < v->n; i++) {
        const node *item = v->items[i];
        char ipath[300];
        snprintf(ipath, sizeof ipath, "%s.%d", path, i);
        if (item->kind != NODE_MAP)
            return bad_value(err, item, ipath, "a mapping such as {type: conv, filters: 32, kernel: 5}");
        const node *t = node_get(item, "type");
        if (!t)
            return err_set(err, ERR_INPUT,
                           "%s:%d:%d: %s needs a type: dense, relu, dropout, batchnorm, conv or "
                           "maxpool", item->file, item->line, item->col, ipath);
        layer_spec spec;
        char tpath[320];
        snprintf(tpath, sizeof tpath, "%s.type", ipath);
        if (resolve_value((char *)&spec, t, &dense_keys[0], tpath, err)) return -1;
        layer_type type = spec.type;
        spec = layer_defaults(type);
        if (resolve_map((char *)&spec, item, layer_keys[type], ipath, err)) return -1;
        for (int r = 0; r < 3 && layer_required[type][r]; r++)
            if (!node_get(item, layer_required[type][r]))
                return err_set(err, ERR_INPUT, "%s:%d:%d: %s: a %s layer needs '%s'", item->file,
                               item->line, item->col, ipath, layer_types[type],
                               layer_required[type][r]);
        m->layers[i] = spec;
    }
    m->nlayers = v->n;
    return 0;
}

int cfg_resolve(run_cfg *out, const node *root, const char *default_name, sw_err *err) {
    set_defaults(out);
    snprintf(out->name, sizeof out->name, "%s", default_name);
    if (root && root->kind != NODE_MAP)
        return bad_value(err, root, "the config", "a mapping with keys such as data, model, train");
    if (root && resolve_map((char *)out, root, top_keys, "", err)) return -1;
    /* The name becomes a file name under experiments/: keep it to a safe set. */
    const char *nm = out->name;
    if (!(isalnum((unsigned char)nm[0]) && strspn(nm, NAME_CHARS) == strlen(nm))) {
        const node *nn = node_get(root, "name");
        if (nn)
            return err_set(err, ERR_INPUT,
                           "%s:%d:%d: name '%s' must start with a letter or digit and hold only "
                           "letters, digits, '.', '_' and '-' (it names the database file)",
                           nn->file, nn->line, nn->col, nm);
        for (char *q = out->name; *q; q++)
            if (!strchr(NAME_CHARS, *q)) *q = '_';
        if (!isalnum((unsigned char)out->name[0])) out->name[0] = 'x';
    }
    /* Cross-key checks. */
    if (!out->data.dir[0])
        snprintf(out->data.dir, sizeof out->data.dir, "data/%s", out->data.dataset);
    const node *n;
    if (!strcmp(out->data.dataset, "idx") && !node_at(root, "data.dir")) {
        n = node_at(root, "data.dataset");
        return err_set(err, ERR_INPUT,
                       "%s:%d:%d: data.dir is required with dataset 'idx': name the folder "
                       "holding the four IDX files", n->file, n->line, n->col);
    }
    if (out->train.lr.warmup >= out->train.epochs && out->train.lr.warmup > 0) {
        n = node_at(root, "train.lr.warmup");
        return err_set(err, ERR_INPUT,
                       "%s:%d:%d: train.lr.warmup (%d) must be less than train.epochs (%d)",
                       n->file, n->line, n->col, out->train.lr.warmup, out->train.epochs);
    }
    if (out->train.lr.schedule == LR_COSINE && out->train.lr.min >= out->train.lr.initial &&
        (n = node_at(root, "train.lr.min")))
        return err_set(err, ERR_INPUT,
                       "%s:%d:%d: train.lr.min (%g) must be below train.lr.initial (%g)",
                       n->file, n->line, n->col, out->train.lr.min, out->train.lr.initial);
    if (node_at(root, "model.layers"))
        for (const char *const *k = (const char *const[]){"hidden", "dropout", "batch_norm", NULL};
             *k; k++) {
            char kp[32];
            snprintf(kp, sizeof kp, "model.%s", *k);
            if ((n = node_at(root, kp)))
                return err_set(err, ERR_INPUT,
                               "%s:%d:%d: %s cannot be used with model.layers: the list is the "
                               "whole model (add the layers you want to it instead)",
                               n->file, n->line, n->col, kp);
        }
    if (out->train.optimizer.nesterov && out->train.optimizer.momentum == 0.0 &&
        (n = node_at(root, "train.optimizer.nesterov")))
        return err_set(err, ERR_INPUT,
                       "%s:%d:%d: train.optimizer.nesterov needs a momentum above 0", n->file,
                       n->line, n->col);
    return 0;
}

/* ---- the full resolved tree ---- */

static int put(node *root, const char *path, node *v) { return node_set(root, path, v, NULL); }

/* One entry of model.layers as a mapping: its type and every key of that type. */
static node *layer_node(const layer_spec *s) {
    node *m = node_new_map();
    const char *base = (const char *)s;
    for (const key_def *k = layer_keys[s->type]; m && k->name; k++) {
        const void *p = base + k->off;
        node *v = k->kind == K_INT      ? node_new_int(*(const int *)p)
                  : k->kind == K_DOUBLE ? node_new_double(*(const double *)p)
                                        : node_new_scalar(k->choices[*(const int *)p], 1);
        if (node_append(m, k->name, v)) {
            node_free(m);
            return NULL;
        }
    }
    return m;
}

static void to_node_map(node *root, const run_cfg *c, const key_def *keys, const char *prefix,
                        int with_name) {
    const char *base = (const char *)c;
    for (const key_def *k = keys; k->name; k++) {
        if (!with_name && keys == top_keys && !strcmp(k->name, "name")) continue;
        /* Saving a checkpoint does not change the training: not part of its identity. */
        if (!with_name && keys == train_keys && !strcmp(k->name, "save")) continue;
        /* The model is either the short form or the list, never both. */
        if (keys == model_keys && (c->model.nlayers > 0) != (k->kind == K_LAYERS)) continue;
        char path[256];
        snprintf(path, sizeof path, "%s%s%s", prefix, prefix[0] ? "." : "", k->name);
        const void *p = base + k->off;
        switch (k->kind) {
        case K_SKIP: break;
        case K_MAP: to_node_map(root, c, k->sub, path, with_name); break;
        case K_INT: put(root, path, node_new_int(*(const int *)p)); break;
        case K_U64: put(root, path, node_new_int((long long)*(const uint64_t *)p)); break;
        case K_DOUBLE: put(root, path, node_new_double(*(const double *)p)); break;
        case K_BOOL: put(root, path, node_new_scalar(*(const int *)p ? "true" : "false", 1)); break;
        case K_STR: put(root, path, node_new_scalar((const char *)p, 0)); break;
        case K_ENUM: put(root, path, node_new_scalar(k->choices[*(const int *)p], 1)); break;
        case K_LAYERS: {
            node *seq = node_new_seq();
            for (int i = 0; seq && i < c->model.nlayers; i++)
                if (node_push(seq, layer_node(&c->model.layers[i]))) seq = NULL;
            if (seq) put(root, path, seq);
            break;
        }
        case K_HIDDEN: {
            const model_cfg *m = p;
            char text[CFG_MAX_HIDDEN * 12 + 4] = "[";
            size_t len = 1;
            for (int i = 0; i < m->nhidden; i++)
                len += (size_t)snprintf(text + len, sizeof text - len, "%s%d", i ? ", " : "",
                                        m->hidden[i]);
            snprintf(text + len, sizeof text - len, "]");
            node *seq = NULL;
            if (!node_parse_string(&seq, text, strlen(text), "<generated>", NULL))
                put(root, path, seq);
            break;
        }
        }
    }
}

node *cfg_to_node(const run_cfg *c, int with_name) {
    node *root = NULL;
    if (node_parse_string(&root, "{}", 2, "<generated>", NULL)) return NULL;
    to_node_map(root, c, top_keys, "", with_name);
    return root;
}

static const key_def *find_path(const char *path, const node *where, sw_err *err);

int cfg_check_path(const char *path, const node *where, sw_err *err) {
    return find_path(path, where, err) ? 0 : -1;
}

/* The schema entry a swept path sets, or NULL with an error at `where`. */
static const key_def *find_path(const char *path, const node *where, sw_err *err) {
    const key_def *table = top_keys;
    char prefix[256] = "", seg[128];
    const char *p = path;
    for (;;) {
        size_t n = strcspn(p, ".");
        if (n == 0 || n >= sizeof seg || strlen(prefix) + n + 2 > sizeof prefix)
        {
            err_set(err, ERR_INPUT, "%s:%d:%d: '%s' is not a config key", where->file,
                    where->line, where->col, path);
            return NULL;
        }
        memcpy(seg, p, n);
        seg[n] = '\0';
        const char *rest = p[n] ? p + n + 1 : NULL;
        node fake = *where;
        fake.str = seg;
        const key_def *k = lookup_key(table, &fake, prefix, err);
        if (!k) return NULL;
        size_t len = strlen(prefix);
        snprintf(prefix + len, sizeof prefix - len, "%s%s", len ? "." : "", seg);
        if (k->kind == K_SKIP || !strcmp(prefix, "name")) {
            err_set(err, ERR_INPUT, "%s:%d:%d: '%s' cannot be swept", where->file, where->line,
                    where->col, prefix);
            return NULL;
        }
        if (k->kind == K_MAP) {
            /* A whole section is swept with mappings as its values (each
             * replaces the section): train.optimizer: [{type: sgd}, {type: adam}]. */
            if (!rest) return k;
            table = k->sub;
            p = rest;
            continue;
        }
        if (rest && k->kind == K_LAYERS) {
            /* model.layers.N.KEY: KEY must be a key of some layer type (its
             * value is checked against the layer's type in each trial). */
            size_t nd = strspn(rest, "0123456789");
            const char *key = rest[nd] == '.' ? rest + nd + 1 : NULL;
            const key_def *known = NULL;
            for (int t = 0; key && nd && !known && t < LAYER__COUNT; t++)
                for (const key_def *d = layer_keys[t]; d->name; d++)
                    if (!strcmp(d->name, key) && strcmp(key, "type")) known = d;
            if (!known) {
                err_set(err, ERR_INPUT,
                        "%s:%d:%d: '%s' is not a layer key; sweep model.layers.N.KEY with KEY "
                        "one of units, rate, momentum, eps, filters, kernel, padding, size",
                        where->file, where->line, where->col, path);
                return NULL;
            }
            return known;
        }
        if (rest && !(k->kind == K_HIDDEN && rest[0] && strspn(rest, "0123456789") == strlen(rest))) {
            err_set(err, ERR_INPUT, "%s:%d:%d: '%s' has no key '%s'", where->file, where->line,
                    where->col, prefix, rest);
            return NULL;
        }
        return k;
    }
}

int cfg_layers(const model_cfg *m, int classes, layer_spec *out, int max) {
    int n = 0;
    if (m->nlayers > 0) {
        for (int i = 0; i < m->nlayers && n < max; i++) out[n++] = m->layers[i];
        return n;
    }
    for (int i = 0; i < m->nhidden && n + 5 <= max; i++) {
        out[n++] = (layer_spec){.type = LAYER_DENSE, .units = m->hidden[i]};
        if (m->batch_norm) out[n++] = layer_defaults(LAYER_BATCHNORM);
        out[n++] = (layer_spec){.type = LAYER_RELU};
        if (m->dropout > 0.0) out[n++] = (layer_spec){.type = LAYER_DROPOUT, .rate = m->dropout};
    }
    out[n++] = (layer_spec){.type = LAYER_DENSE, .units = classes};
    return n;
}

void cfg_hidden_text(const layer_spec *L, int n, char *buf, size_t size) {
    size_t len = 0;
    int last = -1;
    buf[0] = '\0';
    for (int i = 0; i < n; i++)
        if (L[i].type == LAYER_DENSE) last = i;
    for (int i = 0; i < last && len < size; i++)
        if (L[i].type == LAYER_DENSE)
            len += (size_t)snprintf(buf + len, size - len, "%s%d", len ? "-" : "", L[i].units);
}

static void base_name(char *out, size_t size, const char *path) {
    const char *s = strrchr(path, '/');
    s = s ? s + 1 : path;
    size_t len = strlen(s);
    if (len > 5 && !strcmp(s + len - 5, ".yaml")) len -= 5;
    else if (len > 4 && !strcmp(s + len - 4, ".yml")) len -= 4;
    if (len >= size) len = size - 1;
    memcpy(out, s, len);
    out[len] = '\0';
}

/* ---- the sweep section ---- */

static const key_def sweep_keys[] = {
    {"method", K_SKIP, 0, 0, 0, 0, 0, NULL, NULL, 0},
    {"trials", K_SKIP, 0, 0, 0, 0, 0, NULL, NULL, 0},
    {"seed", K_SKIP, 0, 0, 0, 0, 0, NULL, NULL, 0},
    {"parameters", K_SKIP, 0, 0, 0, 0, 0, NULL, NULL, 0},
    {"early_stop", K_SKIP, 0, 0, 0, 0, 0, NULL, NULL, 0},
    {"startup_trials", K_SKIP, 0, 0, 0, 0, 0, NULL, NULL, 0},
    {"multivariate", K_SKIP, 0, 0, 0, 0, 0, NULL, NULL, 0},
    {"budget", K_SKIP, 0, 0, 0, 0, 0, NULL, NULL, 0},
    {"target", K_SKIP, 0, 0, 0, 0, 0, NULL, NULL, 0},
    END};
static const key_def budget_keys[] = {{"seconds", K_SKIP, 0, 0, 0, 0, 0, NULL, NULL, 0}, END};
static const key_def target_keys[] = {
    {"metric", K_SKIP, 0, 0, 0, 0, 0, NULL, NULL, 0},
    {"value", K_SKIP, 0, 0, 0, 0, 0, NULL, NULL, 0},
    END};
static const key_def early_stop_keys[] = {
    {"type", K_SKIP, 0, 0, 0, 0, 0, NULL, NULL, 0},
    {"metric", K_SKIP, 0, 0, 0, 0, 0, NULL, NULL, 0},
    {"min_epochs", K_SKIP, 0, 0, 0, 0, 0, NULL, NULL, 0},
    {"reduction", K_SKIP, 0, 0, 0, 0, 0, NULL, NULL, 0},
    {"warmup_epochs", K_SKIP, 0, 0, 0, 0, 0, NULL, NULL, 0},
    {"startup_trials", K_SKIP, 0, 0, 0, 0, 0, NULL, NULL, 0},
    END};
static const char *const stop_types[] = {"none", "asha", "hyperband", "median", NULL};
static const char *const stop_metrics[] = {"val_acc", "val_loss", NULL};
static const key_def range_keys[] = {
    {"values", K_SKIP, 0, 0, 0, 0, 0, NULL, NULL, 0},
    {"min", K_SKIP, 0, 0, 0, 0, 0, NULL, NULL, 0},
    {"max", K_SKIP, 0, 0, 0, 0, 0, NULL, NULL, 0},
    {"distribution", K_SKIP, 0, 0, 0, 0, 0, NULL, NULL, 0},
    END};
static const char *const methods[] = {"grid", "random", "tpe", NULL};
static const char *const dists[] = {"uniform", "log_uniform", "int", NULL};

#define MAX_TRIALS 100000

/* Index of v's text in choices, or -1 with an error listing them. */
static int choose(const node *v, const char *path, const char *const *choices, sw_err *err) {
    char expect[128] = "one of";
    size_t len = strlen(expect);
    for (int i = 0; choices[i]; i++) {
        if (v->kind == NODE_SCALAR && !strcmp(v->str, choices[i])) return i;
        len += (size_t)snprintf(expect + len, sizeof expect - len, "%s %s", i ? "," : "",
                                choices[i]);
    }
    bad_value(err, v, path, expect);
    return -1;
}

/* Does the base tree accept value at path? Checks it in place, so an error
 * points at the value in the sweep section. */
static int check_value(const cfg_file *c, const char *path, const node *value, sw_err *err) {
    node *t = node_clone(c->root);
    run_cfg tmp;
    int rc = t ? node_set(t, path, node_clone(value), err) : -1;
    if (!rc) rc = cfg_resolve(&tmp, t, c->name, err);
    node_free(t);
    return rc;
}

static int parse_param(cfg_file *c, cfg_param *P, const node *key, const node *v, sw_err *err) {
    char where[200];
    snprintf(where, sizeof where, "sweep.parameters.%s", key->str);
    memset(P, 0, sizeof *P);
    if (strlen(key->str) >= sizeof P->path)
        return err_set(err, ERR_INPUT, "%s:%d:%d: key path too long", key->file, key->line, key->col);
    snprintf(P->path, sizeof P->path, "%s", key->str);
    P->key = key;
    const key_def *def = find_path(P->path, key, err);
    if (!def) return -1;
    const node *values = NULL, *min = NULL, *max = NULL, *dist = NULL;
    if (v->kind == NODE_SEQ) {
        values = v;
    } else if (v->kind == NODE_MAP) {
        for (int i = 0; i < v->n; i++) {
            const key_def *k = lookup_key(range_keys, v->keys[i], where, err);
            if (!k) return -1;
            const node *x = v->items[i];
            if (!strcmp(k->name, "values")) values = x;
            else if (!strcmp(k->name, "min")) min = x;
            else if (!strcmp(k->name, "max")) max = x;
            else dist = x;
        }
        if (values && (min || max || dist))
            return err_set(err, ERR_INPUT, "%s:%d:%d: %s: give either values or min/max, not both",
                           v->file, v->line, v->col, where);
        if (!values && (!min || !max))
            return err_set(err, ERR_INPUT, "%s:%d:%d: %s needs both min and max (or values: [...])",
                           v->file, v->line, v->col, where);
        if (values && values->kind != NODE_SEQ)
            return bad_value(err, values, where, "a list of values");
    } else {
        return bad_value(err, v, where, "a list of values, {values: [...]} or {min, max, distribution}");
    }
    if (values) {
        if (values->n == 0)
            return err_set(err, ERR_INPUT, "%s:%d:%d: %s is an empty list; give at least one value",
                           values->file, values->line, values->col, where);
        P->values = values;
        for (int i = 0; i < values->n; i++)
            if (check_value(c, P->path, values->items[i], err)) return -1;
        return 0;
    }
    if (c->sweep.method == SWEEP_GRID)
        return err_set(err, ERR_INPUT,
                       "%s:%d:%d: %s: method grid needs a list of values; ranges are for methods "
                       "random and tpe", v->file, v->line, v->col, where);
    P->dist = DIST_UNIFORM;
    if (dist) {
        int d = choose(dist, "distribution", dists, err);
        if (d < 0) return -1;
        P->dist = (param_dist)d;
    }
    if (def->kind != K_INT && def->kind != K_U64 && def->kind != K_DOUBLE)
        return err_set(err, ERR_INPUT, "%s:%d:%d: %s takes no range; list its values instead",
                       v->file, v->line, v->col, where);
    if ((def->kind == K_INT || def->kind == K_U64) && P->dist != DIST_INT)
        return err_set(err, ERR_INPUT,
                       "%s:%d:%d: %s takes whole numbers: use distribution: int", v->file,
                       v->line, v->col, where);
    if (node_to_double(min, &P->min)) return bad_value(err, min, "min", "a number");
    if (node_to_double(max, &P->max)) return bad_value(err, max, "max", "a number");
    if (!(P->min < P->max))
        return err_set(err, ERR_INPUT, "%s:%d:%d: %s: min (%g) must be below max (%g)", min->file,
                       min->line, min->col, where, P->min, P->max);
    if (P->dist == DIST_LOG_UNIFORM && P->min <= 0)
        return err_set(err, ERR_INPUT, "%s:%d:%d: %s: log_uniform needs min > 0", min->file,
                       min->line, min->col, where);
    long long lo, hi;
    if (P->dist == DIST_INT && (node_to_ll(min, &lo) || node_to_ll(max, &hi)))
        return err_set(err, ERR_INPUT, "%s:%d:%d: %s: distribution int needs integer min and max",
                       min->file, min->line, min->col, where);
    return check_value(c, P->path, min, err) || check_value(c, P->path, max, err) ? -1 : 0;
}

/* sweep.early_stop: {type: asha, min_epochs: 1, reduction: 3, metric: val_acc} ... */
static int parse_early_stop(cfg_early_stop *E, const node *v, sw_err *err) {
    *E = (cfg_early_stop){STOP_NONE, METRIC_VAL_ACC, 1, 3, 2, 5};
    if (v->kind != NODE_MAP)
        return bad_value(err, v, "sweep.early_stop",
                         "a mapping such as {type: asha, min_epochs: 1, reduction: 3}");
    const node *type = node_get(v, "type");
    if (!type)
        return err_set(err, ERR_INPUT, "%s:%d:%d: sweep.early_stop needs a type: asha, hyperband, "
                       "median or none", v->file, v->line, v->col);
    for (int i = 0; i < v->n; i++) {
        const key_def *k = lookup_key(early_stop_keys, v->keys[i], "sweep.early_stop", err);
        if (!k) return -1;
        const node *x = v->items[i];
        char path[64];
        snprintf(path, sizeof path, "sweep.early_stop.%s", k->name);
        long long n = 0;
        int choice;
        if (!strcmp(k->name, "type")) {
            if ((choice = choose(x, path, stop_types, err)) < 0) return -1;
            E->type = (stop_type)choice;
        } else if (!strcmp(k->name, "metric")) {
            if ((choice = choose(x, path, stop_metrics, err)) < 0) return -1;
            E->metric = (stop_metric)choice;
        } else if (!strcmp(k->name, "reduction")) {
            if (node_to_ll(x, &n) || n < 2 || n > 100)
                return bad_value(err, x, path, "an integer from 2 to 100");
            E->reduction = (int)n;
        } else {
            if (node_to_ll(x, &n) || n < (strcmp(k->name, "min_epochs") ? 0 : 1) || n > 1000000)
                return bad_value(err, x, path, strcmp(k->name, "min_epochs")
                                                   ? "an integer from 0 to 1000000"
                                                   : "an integer from 1 to 1000000");
            if (!strcmp(k->name, "min_epochs")) E->min_epochs = (int)n;
            else if (!strcmp(k->name, "warmup_epochs")) E->warmup_epochs = (int)n;
            else E->startup_trials = (int)n;
        }
    }
    /* A key that the chosen type does not use is a mistake worth naming. */
    static const char *const uses[][3] = {
        [STOP_NONE] = {NULL}, [STOP_ASHA] = {"min_epochs", "reduction"},
        [STOP_HYPERBAND] = {"min_epochs", "reduction"},
        [STOP_MEDIAN] = {"warmup_epochs", "startup_trials"}};
    for (int i = 0; i < v->n; i++) {
        const char *key = v->keys[i]->str;
        if (!strcmp(key, "type") || !strcmp(key, "metric")) continue;
        int ok = 0;
        for (int j = 0; j < 3 && uses[E->type][j]; j++) ok |= !strcmp(uses[E->type][j], key);
        if (!ok)
            return err_set(err, ERR_INPUT, "%s:%d:%d: sweep.early_stop.%s does not apply to type %s",
                           v->keys[i]->file, v->keys[i]->line, v->keys[i]->col, key,
                           stop_types[E->type]);
    }
    return 0;
}

/* sweep.budget: {seconds: S} and sweep.target: {metric: val_acc, value: V}. */
static int parse_budget(cfg_sweep *S, const node *v, sw_err *err) {
    if (v->kind != NODE_MAP || !node_get(v, "seconds"))
        return bad_value(err, v, "sweep.budget", "a mapping such as {seconds: 300}");
    for (int i = 0; i < v->n; i++)
        if (!lookup_key(budget_keys, v->keys[i], "sweep.budget", err)) return -1;
    const node *x = node_get(v, "seconds");
    if (node_to_double(x, &S->budget_seconds) || !(S->budget_seconds > 0) ||
        S->budget_seconds > 1e9)
        return bad_value(err, x, "sweep.budget.seconds", "a number of seconds > 0");
    return 0;
}

static int parse_target(cfg_sweep *S, const node *v, sw_err *err) {
    if (v->kind != NODE_MAP || !node_get(v, "value"))
        return bad_value(err, v, "sweep.target", "a mapping such as {metric: val_acc, value: 0.982}");
    for (int i = 0; i < v->n; i++)
        if (!lookup_key(target_keys, v->keys[i], "sweep.target", err)) return -1;
    const node *m = node_get(v, "metric"), *x = node_get(v, "value");
    int choice = m ? choose(m, "sweep.target.metric", stop_metrics, err) : METRIC_VAL_ACC;
    if (choice < 0) return -1;
    S->target_metric = (stop_metric)choice;
    if (node_to_double(x, &S->target_value) || !isfinite(S->target_value) ||
        S->target_value < 0 || (choice == METRIC_VAL_ACC && S->target_value > 1))
        return bad_value(err, x, "sweep.target.value",
                         choice == METRIC_VAL_ACC ? "an accuracy from 0 to 1" : "a loss >= 0");
    return 0;
}

static int parse_sweep(cfg_file *c, const node *sw, sw_err *err) {
    cfg_sweep *S = &c->sweep;
    S->present = 1;
    if (sw->kind != NODE_MAP)
        return bad_value(err, sw, "sweep", "a mapping with method and parameters");
    const node *params = NULL, *trials = NULL, *startup = NULL, *multi = NULL;
    S->startup_trials = 10;
    S->target_value = NAN;
    for (int i = 0; i < sw->n; i++) {
        const key_def *k = lookup_key(sweep_keys, sw->keys[i], "sweep", err);
        if (!k) return -1;
        const node *v = sw->items[i];
        long long x;
        if (!strcmp(k->name, "method")) {
            int m = choose(v, "sweep.method", methods, err);
            if (m < 0) return -1;
            S->method = (sweep_method)m;
        } else if (!strcmp(k->name, "trials")) {
            if (node_to_ll(v, &x) || x < 1 || x > MAX_TRIALS)
                return bad_value(err, v, "sweep.trials", "an integer from 1 to 100000");
            S->trials = (int)x;
            trials = v;
        } else if (!strcmp(k->name, "seed")) {
            if (node_to_ll(v, &x) || x < 0)
                return bad_value(err, v, "sweep.seed", "an integer from 0 to 9223372036854775807");
            S->seed = (uint64_t)x;
        } else if (!strcmp(k->name, "early_stop")) {
            if (parse_early_stop(&S->early_stop, v, err)) return -1;
        } else if (!strcmp(k->name, "budget")) {
            if (parse_budget(S, v, err)) return -1;
        } else if (!strcmp(k->name, "target")) {
            if (parse_target(S, v, err)) return -1;
        } else if (!strcmp(k->name, "startup_trials")) {
            if (node_to_ll(v, &x) || x < 1 || x > MAX_TRIALS)
                return bad_value(err, v, "sweep.startup_trials", "an integer from 1 to 100000");
            S->startup_trials = (int)x;
            startup = v;
        } else if (!strcmp(k->name, "multivariate")) {
            if (node_to_bool(v, &S->multivariate))
                return bad_value(err, v, "sweep.multivariate", "true or false");
            multi = v;
        } else {
            if (v->kind != NODE_MAP)
                return bad_value(err, v, "sweep.parameters",
                                 "a mapping of config keys to values, e.g. train.lr.initial: [0.01, 0.1]");
            params = v;
        }
    }
    if (!params || params->n == 0)
        return err_set(err, ERR_INPUT,
                       "%s:%d:%d: sweep.parameters is missing or empty: name at least one key "
                       "to sweep, e.g. train.lr.initial: [0.01, 0.1]", sw->file, sw->line, sw->col);
    if (S->method != SWEEP_GRID && !trials)
        return err_set(err, ERR_INPUT, "%s:%d:%d: sweep.trials is required with method %s",
                       sw->file, sw->line, sw->col, methods[S->method]);
    if (startup && S->method != SWEEP_TPE)
        return err_set(err, ERR_INPUT, "%s:%d:%d: sweep.startup_trials is for method tpe",
                       startup->file, startup->line, startup->col);
    if (multi && S->method != SWEEP_TPE)
        return err_set(err, ERR_INPUT, "%s:%d:%d: sweep.multivariate is for method tpe",
                       multi->file, multi->line, multi->col);
    if (S->method == SWEEP_GRID && trials)
        return err_set(err, ERR_INPUT,
                       "%s:%d:%d: sweep.trials is for methods random and tpe; a grid has one "
                       "trial per combination", trials->file, trials->line, trials->col);
    for (int i = 0; S->method == SWEEP_TPE && i < params->n; i++)
        if (!strncmp(params->keys[i]->str, "data", 4) &&
            (params->keys[i]->str[4] == '.' || !params->keys[i]->str[4]))
            return err_set(err, ERR_INPUT, "%s:%d:%d: method tpe cannot sweep the data section "
                           "(every trial learns from the others on the same data)",
                           params->keys[i]->file, params->keys[i]->line, params->keys[i]->col);
    if (params->n > CFG_MAX_PARAMS)
        return err_set(err, ERR_INPUT, "%s:%d:%d: at most %d swept parameters", params->file,
                       params->line, params->col, CFG_MAX_PARAMS);
    double product = 1;
    for (int i = 0; i < params->n; i++) {
        if (parse_param(c, &S->params[i], params->keys[i], params->items[i], err)) return -1;
        S->nparams++;
        if (S->params[i].values) product *= S->params[i].values->n;
    }
    if (S->method == SWEEP_GRID && product > MAX_TRIALS)
        return err_set(err, ERR_INPUT, "%s:%d:%d: the grid has %.0f trials, more than %d",
                       params->file, params->line, params->col, product, MAX_TRIALS);
    return 0;
}

const node *cfg_where(const cfg_file *c, const char *path) {
    for (int i = 0; i < c->sweep.nparams; i++)
        if (!strcmp(c->sweep.params[i].path, path)) return c->sweep.params[i].key;
    const node *n = node_at(c->root, path);
    return n ? n : c->root;
}

/* "sweep.parameters.KEY=VALUE": KEY is one swept key path (it has dots of
 * its own), so it replaces or adds that entry of sweep.parameters. */
#define PARAMS_PREFIX "sweep.parameters."

static int override_param(node *root, const char *assignment, sw_err *err) {
    const char *key = assignment + strlen(PARAMS_PREFIX), *eq = strchr(key, '=');
    char name[256], one[4096];
    if (!eq || eq == key || (size_t)(eq - key) >= sizeof name || strlen(eq) + 2 > sizeof one)
        return err_set(err, ERR_INPUT, "command line: override '%s' needs a key and a value",
                       assignment);
    memcpy(name, key, (size_t)(eq - key));
    name[eq - key] = '\0';
    /* Parse the value on its own, as an override of a one-segment key as
     * long as the whole path, so columns in messages match what was typed. */
    node *tmp = NULL;
    size_t plen = (size_t)(eq - assignment);
    memset(one, 'v', plen);
    snprintf(one + plen, sizeof one - plen, "%s", eq);
    if (node_parse_string(&tmp, "{}", 2, "command line", err) || node_override(tmp, one, err)) {
        node_free(tmp);
        const char *col = strstr(err->msg, "': column ");
        if (col) {
            char rest[sizeof err->msg];
            snprintf(rest, sizeof rest, "%s", col + 3);
            err_set(err, ERR_INPUT, "command line: override '%s': %s", assignment, rest);
        }
        return -1;
    }
    node *value = tmp->items[0];
    tmp->items[0] = NULL;
    node_free(tmp);
    node *params = node_at(root, "sweep.parameters");
    if (!params) {
        node *map = node_new_map();
        if (!map || node_set(root, "sweep.parameters", map, err)) {
            node_free(value);
            return map ? -1 : err_set(err, ERR_INTERNAL, "out of memory");
        }
        params = node_at(root, "sweep.parameters");
    }
    if (params->kind != NODE_MAP) {
        node_free(value);
        return err_set(err, ERR_INPUT, "%s:%d:%d: sweep.parameters must be a mapping", params->file,
                       params->line, params->col);
    }
    for (int i = 0; i < params->n; i++)
        if (!strcmp(params->keys[i]->str, name)) {
            node_free(params->items[i]);
            params->items[i] = value;
            return 0;
        }
    if (node_append(params, name, value)) return err_set(err, ERR_INTERNAL, "out of memory");
    /* The new key is where it was typed. */
    node *k = params->keys[params->n - 1];
    k->file = "command line";
    k->line = 1;
    k->col = (int)strlen(PARAMS_PREFIX) + 1;
    return 0;
}

int cfg_load(cfg_file *c, const char *path, char *const *overrides, int noverrides, sw_err *err) {
    memset(c, 0, sizeof *c);
    snprintf(c->path, sizeof c->path, "%s", path);
    if (node_parse_file(&c->root, path, err)) return -1;
    if (!c->root && node_parse_string(&c->root, "{}", 2, path, err)) return -1; /* empty file */
    if (c->root->kind != NODE_MAP) {
        bad_value(err, c->root, "the config", "a mapping with keys such as data, model, train");
        cfg_free(c);
        return -1;
    }
    for (int i = 0; i < noverrides; i++)
        if (strncmp(overrides[i], PARAMS_PREFIX, strlen(PARAMS_PREFIX))
                ? node_override(c->root, overrides[i], err)
                : override_param(c->root, overrides[i], err)) {
            cfg_free(c);
            return -1;
        }
    char def[128];
    base_name(def, sizeof def, path);
    if (cfg_resolve(&c->base, c->root, def, err)) {
        cfg_free(c);
        return -1;
    }
    snprintf(c->name, sizeof c->name, "%s", c->base.name);
    const node *sw = node_get(c->root, "sweep");
    if (sw && !node_is_null(sw) && parse_sweep(c, sw, err)) {
        cfg_free(c);
        return -1;
    }
    return 0;
}

void cfg_free(cfg_file *c) {
    node_free(c->root);
    c->root = NULL;
}
