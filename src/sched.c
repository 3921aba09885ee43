/* sched.c - workers, pipes, claims and progress. See sched.h.
 *
 * The protocol on each worker's two pipes is fixed-size messages:
 *   parent -> worker: ASSIGN(trial, run_id) | VERDICT(go on / stop) | QUIT
 *   worker -> parent: EPOCH(metrics), then waits for a VERDICT;
 *                     DONE(result) | FAIL(error text)
 * A worker that dies (killed, crashed) closes its pipe: the parent records
 * its run as failed and starts another worker. Workers ignore SIGINT and
 * SIGTERM (a terminal's Ctrl-C reaches the whole group): the parent decides,
 * marks the runs in flight stopped, kills the workers and returns. Workers
 * also die with the parent (PR_SET_PDEATHSIG), so none trains on unseen. */
#include "sched.h"

#include "ckpt.h"
#include "pruner.h"
#include "sampler.h"

#include <errno.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum { MSG_ASSIGN, MSG_VERDICT, MSG_QUIT, MSG_EPOCH, MSG_DONE, MSG_FAIL };

typedef struct msg {
    int type;
    int trial;
    int64_t run_id;
    int verdict;          /* VERDICT: 0 go on, else a train_status */
    train_epoch epoch;    /* EPOCH */
    train_result result;  /* DONE (best_params is never sent) */
    run_cfg cfg;          /* ASSIGN: the trial's settings (an adaptive plan's later
                           * trials get theirs after the worker was forked) */
    char error[1024];     /* FAIL */
} msg;

/* ---- data ---- */

void sched_free(sched *s) {
    for (int i = 0; i < s->ndatasets; i++) {
        data_free(&s->datasets[i].train);
        data_free(&s->datasets[i].test);
    }
    free(s->datasets);
    free(s->trial_dataset);
    memset(s, 0, sizeof *s);
}

static int where_err(sw_err *err, const cfg_file *c, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int where_err(sw_err *err, const cfg_file *c, const char *path, const char *fmt, ...) {
    const node *w = cfg_where(c, path);
    char text[800];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    return err_set(err, ERR_INPUT, "%s:%d:%d: %s", w->file, w->line, w->col, text);
}

/* Trial k's layers against its data's image shape and classes: a layer that
 * cannot follow the one before it is an error at its place in the config. */
static int check_model(const sched *s, int k, sw_err *err) {
    const run_cfg *rc = &s->plan->trials[k].cfg;
    const data_set *tr = &s->datasets[s->trial_dataset[k]].train;
    layer_spec L[CFG_MAX_LAYERS];
    int nl = cfg_layers(&rc->model, tr->classes, L, CFG_MAX_LAYERS), bad = 0;
    sw_err e = {0, ""};
    if (!nn_check(L, nl, (nn_shape){tr->c, tr->h, tr->w, 0}, tr->classes, &bad, &e)) return 0;
    if (e.code != ERR_INPUT) return err_set(err, e.code, "%s", e.msg);
    char path[64], desc[256];
    if (rc->model.nlayers > 0) snprintf(path, sizeof path, "model.layers.%d", bad);
    else snprintf(path, sizeof path, "model");
    sweep_describe(&s->plan->trials[k], desc, sizeof desc);
    return where_err(err, s->cfg, path, "%s%s%s%s: %s (the data: %dx%dx%d images, %d classes)", path,
                     desc[0] ? " (trial " : "", desc, desc[0] ? ")" : "", e.msg, tr->h, tr->w,
                     tr->c, tr->classes);
}

int sched_prepare(sched *s, const cfg_file *cfg, sweep_plan *plan, sw_err *err) {
    memset(s, 0, sizeof *s);
    s->cfg = cfg;
    s->plan = plan;
    s->datasets = calloc((size_t)plan->ntrials, sizeof *s->datasets);
    s->trial_dataset = calloc((size_t)plan->ntrials, sizeof(int));
    if (!s->datasets || !s->trial_dataset) {
        sched_free(s);
        return err_set(err, ERR_INTERNAL, "out of memory");
    }
    for (int k = 0; k < plan->ntrials; k++) {
        const run_cfg *rc = &plan->trials[k].cfg;
        int d = 0;
        while (d < s->ndatasets && (strcmp(s->datasets[d].dir, rc->data.dir) ||
                                    s->datasets[d].classes != rc->data.classes))
            d++;
        if (d == s->ndatasets) {
            sched_dataset *D = &s->datasets[d];
            snprintf(D->dir, sizeof D->dir, "%s", rc->data.dir);
            D->classes = rc->data.classes;
            if (data_load_dir(&D->train, &D->test, D->dir, D->classes, err)) {
                sched_free(s);
                return -1;
            }
            s->ndatasets++;
        }
        s->trial_dataset[k] = d;
        const data_set *tr = &s->datasets[d].train;
        int n = rc->data.limit > 0 && rc->data.limit < tr->n ? rc->data.limit : tr->n;
        int rcode = 0;
        if (rc->data.validation >= n)
            rcode = where_err(err, cfg, "data.validation",
                              "data.validation (%d) must be smaller than the %d training "
                              "examples of %s", rc->data.validation, n, rc->data.dir);
        else if (rc->train.batch_size > n - rc->data.validation)
            rcode = where_err(err, cfg, "train.batch_size",
                              "train.batch_size (%d) is larger than the %d training examples "
                              "left after validation", rc->train.batch_size,
                              n - rc->data.validation);
        else
            rcode = check_model(s, k, err);
        if (rcode) {
            sched_free(s);
            return -1;
        }
    }
    return 0;
}

void sched_model_text(const sched *s, int k, char *hidden, char *model, size_t size) {
    const run_cfg *rc = &s->plan->trials[k].cfg;
    layer_spec L[CFG_MAX_LAYERS];
    int nl = cfg_layers(&rc->model, s->datasets[s->trial_dataset[k]].train.classes, L,
                        CFG_MAX_LAYERS);
    cfg_hidden_text(L, nl, hidden, size);
    nn_describe(L, nl, model, size);
}

/* The expected cost of one epoch of trial k: training examples x
 * multiply-adds of one example's forward pass. */
static double trial_cost(const sched *s, int k) {
    const run_cfg *r = &s->plan->trials[k].cfg;
    const data_set *tr = &s->datasets[s->trial_dataset[k]].train;
    layer_spec L[CFG_MAX_LAYERS];
    int nl = cfg_layers(&r->model, tr->classes, L, CFG_MAX_LAYERS);
    int ex = (r->data.limit > 0 && r->data.limit < tr->n ? r->data.limit : tr->n) -
             r->data.validation;
    return (double)ex * nn_madds(L, nl, (nn_shape){tr->c, tr->h, tr->w, 0}, tr->classes);
}

int sched_shard(sched *s, int K, int N, sw_err *err) {
    int n = s->plan->ntrials, rc;
    double *cost = calloc((size_t)n + 1, sizeof *cost);
    int *kept = calloc((size_t)n + 1, sizeof *kept);
    if (!cost || !kept) {
        free(cost);
        free(kept);
        return err_set(err, ERR_INTERNAL, "out of memory");
    }
    for (int k = 0; k < n; k++) cost[k] = s->plan->trials[k].cfg.train.epochs * trial_cost(s, k);
    if (!(rc = sweep_plan_shard(s->plan, cost, K, N, kept, err)))
        for (int j = 0; j < s->plan->ntrials; j++) s->trial_dataset[j] = s->trial_dataset[kept[j]];
    free(cost);
    free(kept);
    return rc;
}

int sched_add_trials(const sched *sc, store *st, int64_t sweep_id, int from, int to, int *added,
                     sw_err *err) {
    const sweep_plan *plan = sc->plan;
    int n = to - from, rc = 0, m = 0;
    *added = 0;
    if (n <= 0) return 0;
    store_trial *t = calloc((size_t)n, sizeof *t);
    char **texts = calloc((size_t)n * 4, sizeof *texts);
    if (!t || !texts) {
        free(t);
        free(texts);
        return err_set(err, ERR_INTERNAL, "out of memory");
    }
    for (int k = from; k < to && !rc; k++) {
        if (!plan->trials[k].swept) continue; /* adaptive: not suggested yet */
        const run_cfg *r = &plan->trials[k].cfg;
        node *full = cfg_to_node(r, 0);
        rc = !full ? err_set(err, ERR_INTERNAL, "out of memory")
                   : store_json(st, full, &texts[4 * m], err);
        node_free(full);
        if (!rc) rc = store_json(st, plan->trials[k].swept, &texts[4 * m + 1], err);
        if (rc) break;
        if (!(texts[4 * m + 2] = malloc(256)) || !(texts[4 * m + 3] = malloc(256))) {
            rc = err_set(err, ERR_INTERNAL, "out of memory");
            break;
        }
        sched_model_text(sc, k, texts[4 * m + 2], texts[4 * m + 3], 256);
        t[m] = (store_trial){.trial = plan->trials[k].index, .params = texts[4 * m], .swept = texts[4 * m + 1],
                             .hidden = texts[4 * m + 2], .model = texts[4 * m + 3],
                             .epochs = r->train.epochs,
                             .batch_size = r->train.batch_size,
                             .optimizer = optim_name(&r->train.optimizer),
                             .momentum = r->train.optimizer.momentum,
                             .lr_schedule = train_schedule_name(r->train.lr.schedule),
                             .lr = r->train.lr.initial, .l2 = r->train.l2,
                             .seed = (int64_t)r->train.seed};
        m++;
    }
    if (!rc) rc = store_add_trials(st, sweep_id, t, m, added, err);
    for (int i = 0; i < 4 * n; i++) free(texts[i]);
    free(texts);
    free(t);
    return rc;
}

/* ---- pipes ---- */

static int write_msg(int fd, const msg *m) {
    const char *p = (const char *)m;
    size_t left = sizeof *m;
    while (left) {
        ssize_t w = write(fd, p, left);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return -1;
        p += w;
        left -= (size_t)w;
    }
    return 0;
}

/* 0 on a whole message, -1 on EOF or error. */
static int read_msg(int fd, msg *m) {
    char *p = (char *)m;
    size_t left = sizeof *m;
    while (left) {
        ssize_t r = read(fd, p, left);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return -1;
        p += r;
        left -= (size_t)r;
    }
    return 0;
}

/* ---- the worker ---- */

typedef struct worker_ctx {
    int in, out, trial;
    int64_t run_id;
    long delay_seed;
    run_cfg cfg;  /* the trial's settings, from ASSIGN */
} worker_ctx;

static int worker_epoch(void *ctx, const train_epoch *e) {
    worker_ctx *w = ctx;
    /* Test hook: SWEEP_TEST_EPOCH_DELAY=SEED makes each report late by a
     * pseudo-random 0-39 ms, so tests can check that decisions do not
     * depend on timing. */
    if (w->delay_seed) {
        unsigned long h = (unsigned long)w->delay_seed * 2654435761UL ^
                          (unsigned long)(w->trial * 40503 + e->epoch) * 2246822519UL;
        h ^= h >> 15;
        struct timespec ts = {0, (long)(h % 40) * 1000000L};
        nanosleep(&ts, NULL);
    }
    msg m = {.type = MSG_EPOCH, .trial = w->trial, .run_id = w->run_id, .epoch = *e};
    if (write_msg(w->out, &m) || read_msg(w->in, &m) || m.type != MSG_VERDICT) _exit(3);
    return m.verdict;
}

/* s->ckpt_dir/RUN_ID.ckpt from the run's best parameters, if it kept them. */
static int save_checkpoint(const sched *s, const worker_ctx *w, const train_result *r,
                           sw_err *err) {
    if (!r->best_params) return 0;
    const run_cfg *rc = &w->cfg;
    const data_set *tr = &s->datasets[s->trial_dataset[w->trial]].train;
    node *tree = cfg_to_node(rc, 1);
    char *yaml = tree ? node_emit(tree, err) : NULL;
    node_free(tree);
    if (!yaml) return err_set(err, ERR_INTERNAL, "out of memory writing the checkpoint");
    ckpt c = {yaml, {tr->c, tr->h, tr->w, 0}, tr->classes, r->best_nparams,
              r->best_size - r->best_nparams, r->best_params, r->best_params + r->best_nparams};
    char path[1200];
    snprintf(path, sizeof path, "%s/%lld.ckpt", s->ckpt_dir, (long long)w->run_id);
    int rc2 = ckpt_write(path, &c, err);
    free(yaml);
    return rc2;
}

static void worker_train(const sched *s, worker_ctx *w) {
    const run_cfg *rc = &w->cfg;
    const sched_dataset *D = &s->datasets[s->trial_dataset[w->trial]];
    int n = rc->data.limit > 0 && rc->data.limit < D->train.n ? rc->data.limit : D->train.n;
    msg m = {.trial = w->trial, .run_id = w->run_id};
    int *tr = malloc(sizeof(int) * (size_t)n), *va = malloc(sizeof(int) * (size_t)n);
    sw_err err = {0, ""};
    if (!tr || !va) {
        m.type = MSG_FAIL;
        snprintf(m.error, sizeof m.error, "out of memory for the split");
    } else {
        data_split(tr, va, n, rc->data.validation, rc->data.split_seed);
        train_data d = {&D->train, tr, n - rc->data.validation, va, rc->data.validation, &D->test};
        layer_spec L[CFG_MAX_LAYERS];
        int nl = cfg_layers(&rc->model, D->train.classes, L, CFG_MAX_LAYERS);
        if (train_run(&m.result, &rc->train, L, nl, &d, worker_epoch, w, rc->train.save_best,
                      &err) ||
            save_checkpoint(s, w, &m.result, &err)) {
            m.type = MSG_FAIL;
            snprintf(m.error, sizeof m.error, "%s", err.msg);
        } else {
            m.type = MSG_DONE;
        }
        free(m.result.best_params);
        m.result.best_params = NULL;
    }
    free(tr);
    free(va);
    if (write_msg(w->out, &m)) _exit(3);
}

static void worker_main(const sched *s, int in, int out) {
    signal(SIGINT, SIG_IGN);
    signal(SIGTERM, SIG_IGN);
    signal(SIGHUP, SIG_IGN);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    const char *delay = getenv("SWEEP_TEST_EPOCH_DELAY");
    static worker_ctx w; /* static: run_cfg is large */
    w = (worker_ctx){.in = in, .out = out, .delay_seed = delay ? atol(delay) : 0};
    msg m;
    while (!read_msg(in, &m) && m.type == MSG_ASSIGN) {
        w.trial = m.trial;
        w.run_id = m.run_id;
        w.cfg = m.cfg;
        worker_train(s, &w);
    }
    _exit(0);
}

/* ---- the parent ---- */

typedef struct slot {
    pid_t pid;
    int to, from;     /* pipe ends: parent writes to, reads from */
    int busy;         /* has a trial */
    int trial;
    int64_t run_id;
    int epochs_done;
    double best_val;
    int waiting;      /* reported epoch `waiting` and awaits its verdict */
    int finishing;    /* reached the sweep's target: ends as done */
    int goes_on;      /* will train another epoch: assigned, or told to go on */
    double since;     /* when it began to wait: for a verdict, or (idle) for a trial */
} slot;

static volatile sig_atomic_t got_signal;
static void on_signal(int sig) { got_signal = sig; }

static int spawn(slot *w, const sched *s, slot *slots, int nslots) {
    int down[2], up[2];
    if (pipe(down)) return -1;
    if (pipe(up)) {
        close(down[0]); close(down[1]);
        return -1;
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        close(down[0]); close(down[1]); close(up[0]); close(up[1]);
        return -1;
    }
    if (pid == 0) {
        close(down[1]);
        close(up[0]);
        for (int i = 0; i < nslots; i++)
            if (slots[i].pid > 0) { close(slots[i].to); close(slots[i].from); }
        worker_main(s, down[0], up[1]);
    }
    close(down[0]);
    close(up[1]);
    memset(w, 0, sizeof *w);
    w->pid = pid;
    w->to = down[1];
    w->from = up[0];
    return 0;
}

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Reap a worker; its peak RSS goes into s->worker_peak_kb. */
static void reap(sched *s, pid_t pid, int *status) {
    struct rusage ru;
    int st = 0;
    if (wait4(pid, &st, 0, &ru) == pid && ru.ru_maxrss > s->worker_peak_kb)
        s->worker_peak_kb = ru.ru_maxrss;
    if (status) *status = st;
}

static void retire(sched *s, slot *w, int kill_it) {
    if (w->pid <= 0) return;
    if (kill_it) kill(w->pid, SIGKILL);
    close(w->to);
    close(w->from);
    reap(s, w->pid, NULL);
    w->pid = 0;
    w->busy = 0;
}

static void fmt_duration(char *buf, size_t size, double s) {
    if (!isfinite(s) || s < 0) snprintf(buf, size, "?");
    else if (s < 60) snprintf(buf, size, "%.0fs", s);
    else if (s < 3600) snprintf(buf, size, "%dm%02ds", (int)s / 60, (int)s % 60);
    else snprintf(buf, size, "%dh%02dm", (int)s / 3600, ((int)s % 3600) / 60);
}

typedef struct progress {
    int on;
    int total, finished;     /* trials of this plan, and how many ended */
    long epochs_left;        /* of trials not ended */
    long epochs_seen;
    double epoch_seconds;    /* sum over epochs_seen */
    int jobs;
} progress;

static void eta_text(const progress *p, char *buf, size_t size) {
    if (!p->epochs_seen) { snprintf(buf, size, "?"); return; }
    double per = p->epoch_seconds / (double)p->epochs_seen;
    fmt_duration(buf, size, per * (double)p->epochs_left / p->jobs);
}

/* ---- early termination ---- */

/* What the scheduler knows of each trial's outcome, for an adaptive sampler
 * (and the pruner's history, kept in the pruner). */
typedef struct outcome {
    int ended;           /* done, pruned, diverged or failed (or skipped) */
    obs_state state;     /* OBS_DONE or OBS_PRUNED when it counts */
    int counts;          /* 1 if the sampler learns from it (not failed, not skipped) */
    double best;         /* best validation accuracy (NaN: diverged) */
    int last_epoch;      /* epochs reported */
    double last_score;
    int partial;         /* ended inside epoch last_epoch + 1 (diverged, failed) */
} outcome;

typedef struct replay_ctx { pruner *pr; outcome *out; int n; const sweep_plan *plan; } replay_ctx;

static void replay(void *ctx, int trial, int epoch, double val_acc, double val_loss,
                   const char *status) {
    replay_ctx *r = ctx;
    if ((trial = sweep_plan_local(r->plan, trial)) < 0) return; /* not this shard's */
    if (epoch > 0) {
        pruner_report(r->pr, trial, epoch, pruner_score(r->pr->cfg.metric, val_acc, val_loss), NULL);
        if (trial >= 0 && trial < r->n) {
            r->out[trial].last_epoch = epoch;
            r->out[trial].last_score = val_acc;
        }
        return;
    }
    pruner_end(r->pr, trial);
    if (trial < 0 || trial >= r->n) return;
    outcome *o = &r->out[trial];
    o->ended = 1;
    o->counts = status && strcmp(status, "failed");
    o->state = status && !strcmp(status, "pruned") ? OBS_PRUNED : OBS_DONE;
    o->best = status && !strcmp(status, "diverged") ? NAN : val_acc;
    o->partial = status && (!strcmp(status, "diverged") || !strcmp(status, "failed"));
}

/* An adaptive plan learns the values of trials already in the database. */
typedef struct swept_ctx { sched *s; } swept_ctx;

static int take_swept(void *ctx, int trial, const char *json, sw_err *err) {
    sched *s = ((swept_ctx *)ctx)->s;
    int k = sweep_plan_local(s->plan, trial);
    if (k < 0 || !json) return 0;
    node *m = NULL;
    if (node_parse_string(&m, json, strlen(json), "the database", err)) return -1;
    if (!m || m->kind != NODE_MAP) {
        node_free(m);
        return err_set(err, ERR_INPUT, "trial %d's swept values in the database are not a mapping", trial);
    }
    return sweep_plan_set(s->plan, s->cfg, k, m, err);
}

/* ---- the virtual clock of an adaptive sweep ----
 *
 * Which results trial k of a TPE sweep learns from must not depend on the
 * machine's speed, yet waiting until every earlier trial has ended leaves
 * workers idle while a long trial finishes. So the trials are also laid out
 * on a virtual clock: j virtual workers (j = -j) take the trials in order,
 * each epoch of trial t lasting cost[t] (its examples x multiply-adds, the
 * shards' expected cost). Trial k starts at V_k on the virtual worker that
 * frees first (ties: the lower one) and learns from the trials that ended on
 * the clock by then (ties: those of lower virtual workers); the others count
 * as running. A trial that ends inside an epoch (diverged, failed) ends at
 * that epoch's end. Placing trial k needs only this: the trial that frees
 * the first virtual worker has really ended, and each trial still training
 * has got far enough that it cannot end before. When the costs follow the
 * real times, nobody waits. */
typedef struct vclock {
    int j;          /* virtual workers */
    int placed;     /* trials [0, placed) are on the clock */
    int *last;      /* (j): each virtual worker's latest trial, -1 none */
    int *worker;    /* (ntrials) */
    double *start;  /* (ntrials): V_k */
    double *cost;   /* (ntrials): of one epoch; set when the trial has values */
} vclock;

static int vclock_init(vclock *vc, int j, int n) {
    vc->j = j;
    vc->placed = 0;
    vc->last = malloc(sizeof(int) * (size_t)j);
    vc->worker = calloc((size_t)n + 1, sizeof(int));
    vc->start = calloc((size_t)n + 1, sizeof(double));
    vc->cost = calloc((size_t)n + 1, sizeof(double));
    if (!vc->last || !vc->worker || !vc->start || !vc->cost) return -1;
    for (int i = 0; i < j; i++) vc->last[i] = -1;
    return 0;
}

static void vclock_free(vclock *vc) {
    free(vc->last);
    free(vc->worker);
    free(vc->start);
    free(vc->cost);
}

/* Where trial t ends on the clock (ended), or the earliest it can (not):
 * a trial told to go on after its last epoch ends at least one epoch later,
 * unless patience may stop it first. */
static double vclock_end(const vclock *vc, const sched *s, const outcome *out, const slot *slots,
                         int nslots, int t) {
    int e = out[t].last_epoch;
    if (out[t].ended) return vc->start[t] + vc->cost[t] * (e + out[t].partial);
    const train_cfg *tc = &s->plan->trials[t].cfg.train;
    for (int i = 0; i < nslots; i++)
        if (slots[i].busy && slots[i].trial == t && slots[i].goes_on && !slots[i].finishing &&
            e < tc->epochs && tc->patience == 0)
            e++;
    return vc->start[t] + vc->cost[t] * e;
}

/* Put the next trials on the clock, up to trial `upto`, as far as what has
 * happened allows. */
static void vclock_place(vclock *vc, const sched *s, const outcome *out, const slot *slots,
                         int nslots, int upto) {
    while (vc->placed <= upto && vc->placed < s->plan->ntrials) {
        int k = vc->placed, best = -1;
        double bt = 0;
        for (int w = 0; w < vc->j && best < 0; w++)
            if (vc->last[w] < 0) best = w;  /* the first trials: one per virtual worker */
        if (best >= 0) {
            vc->worker[k] = best;
            vc->start[k] = 0;
            vc->last[best] = k;
            vc->placed++;
            continue;
        }
        for (int w = 0; w < vc->j; w++) {
            int t = vc->last[w];
            if (!out[t].ended) continue;
            double T = vclock_end(vc, s, out, slots, nslots, t);
            if (best < 0 || T < bt) best = w, bt = T;
        }
        if (best < 0) return;
        for (int w = 0; w < vc->j; w++) {
            int t = vc->last[w];
            if (out[t].ended) continue;
            double L = vclock_end(vc, s, out, slots, nslots, t);
            if (L < bt || (L == bt && w < best)) return;  /* it may still end first */
        }
        vc->worker[k] = best;
        vc->start[k] = bt;
        vc->last[best] = k;
        vc->placed++;
    }
}

/* Does trial k (placed) learn trial t's result? */
static int vclock_sees(const vclock *vc, const sched *s, const outcome *out, int k, int t) {
    if (!out[t].ended) return 0;
    double T = vclock_end(vc, s, out, NULL, 0, t);
    return T < vc->start[k] || (T == vc->start[k] && vc->worker[t] <= vc->worker[k]);
}

/* Trial k's values can be drawn: they do not depend on results (a start-up
 * trial), or k is on the clock. */
static int suggest_ready(const vclock *vc, const cfg_sweep *S, int k) {
    int startup = S->startup_trials > 0 ? S->startup_trials : 10;
    return k < startup || vc->placed > k;
}

/* Ask the sampler for trial k's values and add its row. *added: 0 when an
 * equal trial is already done in the database (then k counts as ended). */
static int suggest_trial(sched *s, store *st, int64_t sweep_id, const outcome *out, vclock *vc,
                         int k, int *added, sw_err *err) {
    const cfg_sweep *S = &s->cfg->sweep;
    sampler smp;
    if (sampler_init(&smp, S, err)) return -1;
    sampler_obs *obs = calloc((size_t)(k ? k : 1), sizeof *obs);
    node *v[CFG_MAX_PARAMS] = {0}, **vals = calloc((size_t)(k ? k : 1) * S->nparams, sizeof *vals);
    int nobs = 0, rc = 0;
    if (!obs || !vals) rc = err_set(err, ERR_INTERNAL, "out of memory");
    for (int t = 0; t < k && !rc; t++) {
        const sweep_trial *tr = &s->plan->trials[t];
        int running = vc->placed > k ? !vclock_sees(vc, s, out, k, t) : 1;
        if (!tr->swept || (!running && !out[t].counts)) continue;
        for (int i = 0; i < S->nparams; i++) {
            const node *x = node_get(tr->swept, S->params[i].path);
            vals[(size_t)nobs * S->nparams + i] = (node *)x;
        }
        obs[nobs] = (sampler_obs){t, running ? OBS_RUNNING : out[t].state, out[t].best,
                                  out[t].last_epoch, out[t].last_score,
                                  vals + (size_t)nobs * S->nparams};
        nobs++;
    }
    node *m = rc ? NULL : node_new_map();
    if (!rc && !m) rc = err_set(err, ERR_INTERNAL, "out of memory");
    if (!rc) rc = smp.ops->suggest(&smp, k, obs, nobs, v, err);
    for (int i = 0; i < S->nparams && !rc; i++) {
        if (node_append(m, S->params[i].path, v[i])) rc = err_set(err, ERR_INTERNAL, "out of memory");
        v[i] = NULL;
    }
    for (int i = 0; i < S->nparams; i++) node_free(v[i]);
    free(obs);
    free(vals);
    sampler_free(&smp);
    if (rc) {
        node_free(m);
        return -1;
    }
    if (sweep_plan_set(s->plan, s->cfg, k, m, err)) return -1;
    s->trial_dataset[k] = s->trial_dataset[0];
    vc->cost[k] = trial_cost(s, k);
    return sched_add_trials(s, st, sweep_id, k, k + 1, added, err);
}

/* Could trial t's inputs at epoch e still come? Only from an earlier,
 * competing trial one of our workers is training. (Another process sharing
 * the database may hold one too: then we decide with what we have.) */
static int may_still_come(const pruner *pr, const slot *slots, int nslots, int t, int e) {
    for (int j = 0; j < nslots; j++) {
        int s = slots[j].trial;
        if (slots[j].busy && s < t && pr->ops->competes(pr, t, s) &&
            (s >= pr->cap || (pr->reached[s] < e && !pr->ended[s])))
            return 1;
    }
    return 0;
}

/* Answer every worker whose verdict can now be given. */
static void give_verdicts(sched *s, const pruner *pr, slot *slots, int nslots) {
    for (int i = 0; i < nslots; i++) {
        slot *w = &slots[i];
        if (!w->busy || !w->waiting) continue;
        int t = w->trial, e = w->waiting;
        int verdict = 0;
        if (e < s->plan->trials[t].cfg.train.epochs && pr->ops->decides_at(pr, t, e)) {
            if (!pruner_ready(pr, t, e) && may_still_come(pr, slots, nslots, t, e)) continue;
            verdict = pruner_decide(pr, t, e) ? TRAIN_PRUNED : 0;
        }
        msg v = {.type = MSG_VERDICT, .verdict = verdict};
        write_msg(w->to, &v);
        w->waiting = 0;
        w->goes_on = verdict == 0;
        s->wait_seconds += now_seconds() - w->since;
    }
}

/* The most epochs any trial can have (an adaptive plan's later trials may
 * take any value of a swept train.epochs). */
static int max_epochs(const sweep_plan *plan, const cfg_sweep *S) {
    int m = 1;
    for (int k = 0; k < plan->ntrials; k++)
        if (plan->trials[k].cfg.train.epochs > m) m = plan->trials[k].cfg.train.epochs;
    for (int i = 0; S->present && i < S->nparams; i++) {
        const cfg_param *P = &S->params[i];
        if (strcmp(P->path, "train.epochs")) continue;
        if (!P->values && P->max > m) m = (int)P->max;
        for (int j = 0; P->values && j < P->values->n; j++) {
            double v;
            if (!node_to_double(P->values->items[j], &v) && v > m) m = (int)v;
        }
    }
    return m;
}

/* What one sched_run keeps between events. */
typedef struct run_ctx {
    sched *s;
    store *st;
    int64_t sweep_id;
    const cfg_sweep *S;
    const cfg_early_stop *es;
    slot *slots;
    int nslots;
    pruner pr;         /* its history: what ended runs of this sweep reported */
    outcome *out;      /* (ntrials) */
    vclock vc;
    int next_k;        /* adaptive: trials [0, next_k) have values; the rest come one by one */
    int more;          /* the store may still hold trials to claim */
    int ending;        /* the budget is spent or the target reached */
    double deadline;   /* of the budget, INFINITY without one */
    int has_target;
    progress p;
} run_ctx;

static const cfg_early_stop no_early_stop = {STOP_NONE, METRIC_VAL_ACC, 1, 3, 2, 5};

static void run_free(run_ctx *r) {
    free(r->slots);
    free(r->out);
    vclock_free(&r->vc);
    pruner_free(&r->pr);
}

/* The state of a (possibly resumed) sweep: the pruner's history and the
 * trials' outcomes replayed from the database, an adaptive plan's values. */
static int run_start(run_ctx *r, sched *s, store *st, int64_t sweep_id, const sched_opts *o,
                     double t_start, sw_err *err) {
    memset(r, 0, sizeof *r);
    r->s = s;
    r->st = st;
    r->sweep_id = sweep_id;
    r->S = &s->cfg->sweep;
    r->es = r->S->present ? &r->S->early_stop : &no_early_stop;
    r->nslots = o->jobs;
    r->more = 1;
    int n = s->plan->ntrials;
    r->slots = calloc((size_t)r->nslots, sizeof *r->slots);
    r->out = calloc((size_t)n + 1, sizeof *r->out);
    if (!r->slots || !r->out || vclock_init(&r->vc, r->nslots, n)) {
        free(r->slots);
        free(r->out);
        vclock_free(&r->vc);
        return err_set(err, ERR_INTERNAL, "out of memory");
    }
    if (pruner_init(&r->pr, r->es, max_epochs(s->plan, r->S), s->cfg->name, err)) {
        free(r->slots);
        free(r->out);
        vclock_free(&r->vc);
        return -1;
    }
    replay_ctx rctx = {&r->pr, r->out, n, s->plan};
    swept_ctx sctx = {s};
    store_counts cnt;
    if (store_history(st, sweep_id, replay, &rctx, err) ||
        (s->plan->adaptive && store_swept(st, sweep_id, take_swept, &sctx, err)) ||
        store_counts_get(st, sweep_id, &cnt, err)) {
        run_free(r);
        return -1;
    }
    while (s->plan->adaptive && r->next_k < n && s->plan->trials[r->next_k].swept) r->next_k++;
    for (int k = 0; k < r->next_k; k++) r->vc.cost[k] = trial_cost(s, k);
    r->deadline = r->S->present && r->S->budget_seconds > 0 ? t_start + r->S->budget_seconds
                                                             : INFINITY;
    r->has_target = r->S->present && !isnan(r->S->target_value);
    progress *p = &r->p;
    *p = (progress){.on = o->progress, .total = n, .jobs = r->nslots};
    for (int k = 0; k < n; k++) p->epochs_left += s->plan->trials[k].cfg.train.epochs;
    p->finished = cnt.done + cnt.diverged + cnt.failed + cnt.pruned;
    p->epochs_left = (long)((double)p->epochs_left * (p->total - p->finished) / (p->total ? p->total : 1));
    return 0;
}

/* Start trial tk (its run claimed as run_id) on the idle worker w. */
static int start_trial(run_ctx *r, slot *w, int tk, int64_t run_id, sw_err *err) {
    sched *s = r->s;
    double idle = w->since > 0 ? now_seconds() - w->since : 0;
    static msg m; /* static: run_cfg is large */
    m = (msg){.type = MSG_ASSIGN, .trial = tk, .run_id = run_id};
    m.cfg = s->plan->trials[tk].cfg;
    int bad = (w->pid <= 0 && spawn(w, s, r->slots, r->nslots));
    if (!bad && write_msg(w->to, &m)) {
        /* The idle worker died: start another and hand it the trial. */
        retire(s, w, 1);
        bad = spawn(w, s, r->slots, r->nslots) || write_msg(w->to, &m);
    }
    if (bad) {
        store_finish(r->st, run_id, "stopped", NULL, "could not start a worker", NULL);
        return err_set(err, ERR_INTERNAL, "cannot start a worker: %s", strerror(errno));
    }
    pruner_restart(&r->pr, tk);
    s->wait_seconds += idle;
    w->since = 0;
    w->busy = 1;
    w->trial = tk;
    w->run_id = run_id;
    w->epochs_done = 0;
    w->best_val = 0;
    w->waiting = 0;
    w->finishing = 0;
    w->goes_on = 1;
    return 0;
}

/* Give each idle worker a trial: the next one the store has, or (adaptive)
 * the next one the sampler suggests once the results it learns from are in. */
static int assign_trials(run_ctx *r, sw_err *err) {
    sched *s = r->s;
    for (int i = 0; i < r->nslots && r->more && !r->ending && !got_signal; i++) {
        slot *w = &r->slots[i];
        if (w->busy) continue;
        int64_t run_id;
        int tk;
        double ts = now_seconds();
        int got = store_claim(r->st, r->sweep_id, &run_id, &tk, err);
        s->store_seconds += now_seconds() - ts;
        if (got < 0) return -1;
        if (got == 0 && s->plan->adaptive && r->next_k < s->plan->ntrials) {
            vclock_place(&r->vc, s, r->out, r->slots, r->nslots, r->next_k);
            if (!suggest_ready(&r->vc, r->S, r->next_k)) {
                for (int j = 0; j < r->nslots; j++)
                    if (!r->slots[j].busy && r->slots[j].since == 0) r->slots[j].since = now_seconds();
                return 0;
            }
            int added = 0;
            ts = now_seconds();
            int bad = suggest_trial(s, r->st, r->sweep_id, r->out, &r->vc, r->next_k, &added, err);
            s->store_seconds += now_seconds() - ts;
            if (bad) return -1;
            if (!added) r->out[r->next_k].ended = 1; /* the same trial is done already */
            r->next_k++;
            i--; /* claim it for this worker */
            continue;
        }
        if (got == 0) {
            r->more = 0;
            return 0;
        }
        if ((tk = sweep_plan_local(s->plan, tk)) < 0) { /* a row this plan does not know */
            if (store_finish(r->st, run_id, "failed", NULL, "trial not in this config", err))
                return -1;
            continue;
        }
        if (start_trial(r, w, tk, run_id, err)) return -1;
    }
    return 0;
}

static int busy_workers(const run_ctx *r) {
    int busy = 0;
    for (int i = 0; i < r->nslots; i++) busy += r->slots[i].busy;
    return busy;
}

/* Budget spent or target reached: the runs in flight stop (the same command
 * trains them again); one that reached the target ends as done. */
static void stop_in_flight(run_ctx *r) {
    for (int i = 0; i < r->nslots; i++) {
        slot *w = &r->slots[i];
        if (!w->busy || w->finishing) continue;
        retire(r->s, w, 1);
        r->out[w->trial].ended = 1;
        store_finish(r->st, w->run_id, "stopped", NULL,
                     now_seconds() >= r->deadline ? "the sweep's time budget ran out"
                                                  : "the sweep reached its target", NULL);
    }
}

/* The worker w died: its trial failed; the next trial gets a new worker. */
static int worker_died(run_ctx *r, slot *w, sw_err *err) {
    sched *s = r->s;
    const sweep_trial *t = &s->plan->trials[w->trial];
    int status = 0;
    close(w->to);
    close(w->from);
    reap(s, w->pid, &status);
    w->pid = 0;
    w->busy = 0;
    char why[128];
    if (WIFSIGNALED(status))
        snprintf(why, sizeof why, "worker died: signal %d (%s)", WTERMSIG(status),
                 strsignal(WTERMSIG(status)));
    else
        snprintf(why, sizeof why, "worker died: exit status %d", WEXITSTATUS(status));
    pruner_end(&r->pr, w->trial);
    outcome *oc = &r->out[w->trial];
    oc->ended = 1;
    oc->counts = 0;
    oc->partial = 1;
    give_verdicts(s, &r->pr, r->slots, r->nslots);
    if (store_finish(r->st, w->run_id, "failed", NULL, why, err)) return -1;
    r->p.finished++;
    s->trials_ended++;
    r->p.epochs_left -= t->cfg.train.epochs - w->epochs_done;
    fprintf(stderr, "sweep: trial %d failed: %s\n", t->index, why);
    return 0;
}

/* An epoch from w: the verdict first (when its inputs are known: the worker
 * trains on while the epoch is written), then the row, then progress. */
static int on_epoch(run_ctx *r, slot *w, const msg *m, sw_err *err) {
    sched *s = r->s;
    const cfg_sweep *S = r->S;
    const sweep_trial *t = &s->plan->trials[w->trial];
    const train_epoch *e = &m->epoch;
    pruner_report(&r->pr, w->trial, e->epoch, pruner_score(r->es->metric, e->val_acc, e->val_loss),
                  NULL);
    r->out[w->trial].last_epoch = e->epoch;
    r->out[w->trial].last_score = e->val_acc;
    w->waiting = e->epoch;
    w->goes_on = 0;
    w->since = now_seconds();
    if (r->has_target && !r->ending &&
        (S->target_metric == METRIC_VAL_LOSS ? e->val_loss <= S->target_value
                                             : e->val_acc >= S->target_value)) {
        /* The target: this run ends now as done; the sweep ends. */
        msg v = {.type = MSG_VERDICT, .verdict = TRAIN_FINISH};
        write_msg(w->to, &v);
        w->waiting = 0;
        w->finishing = 1;
        r->ending = 1;
        if (r->p.on)
            fprintf(stderr, "sweep: trial %d reached the target (%s %g) in epoch %d\n", t->index,
                    S->target_metric == METRIC_VAL_LOSS ? "val_loss" : "val_acc", S->target_value,
                    e->epoch);
    }
    give_verdicts(s, &r->pr, r->slots, r->nslots);
    double ts = now_seconds();
    int bad = store_epoch(r->st, w->run_id, e, err);
    s->store_seconds += now_seconds() - ts;
    if (bad) return -1;
    progress *p = &r->p;
    w->epochs_done++;
    p->epochs_left--;
    p->epochs_seen++;
    p->epoch_seconds += e->seconds;
    if (e->val_acc > w->best_val) w->best_val = e->val_acc;
    if (p->on) {
        char desc[256], eta[32], val[32] = "-", best[32] = "-";
        if (isfinite(e->val_acc)) {
            snprintf(val, sizeof val, "%.2f%%", 100 * e->val_acc);
            snprintf(best, sizeof best, "%.2f%%", 100 * w->best_val);
        }
        sweep_describe(t, desc, sizeof desc);
        eta_text(p, eta, sizeof eta);
        fprintf(stderr,
                "[%d/%d done, ETA %s] trial %d%s%s%s epoch %d/%d  loss %.4f  val "
                "%s  best %s  %.1fs\n",
                p->finished, p->total, eta, t->index, desc[0] ? " (" : "", desc,
                desc[0] ? ")" : "", e->epoch, t->cfg.train.epochs, e->train_loss, val, best,
                e->seconds);
    }
    return 0;
}

/* w's trial ended (MSG_DONE) or failed (MSG_FAIL): its row and outcome. */
static int on_result(run_ctx *r, slot *w, const msg *m, sw_err *err) {
    sched *s = r->s;
    const sweep_trial *t = &s->plan->trials[w->trial];
    pruner_end(&r->pr, w->trial);
    outcome *oc = &r->out[w->trial];
    oc->ended = 1;
    oc->counts = m->type == MSG_DONE && m->result.status != TRAIN_STOPPED;
    oc->state = m->result.status == TRAIN_PRUNED ? OBS_PRUNED : OBS_DONE;
    oc->best = m->result.status == TRAIN_DIVERGED ? NAN : m->result.best_val_acc;
    oc->partial = m->type == MSG_FAIL || m->result.status == TRAIN_DIVERGED;
    w->waiting = 0;
    give_verdicts(s, &r->pr, r->slots, r->nslots);
    const char *status = m->type == MSG_FAIL ? "failed" : train_status_name(m->result.status);
    int ok = m->type == MSG_DONE;
    char why[160];
    snprintf(why, sizeof why, "diverged in epoch %d: a batch loss was NaN, infinite "
             "or above 100 log(classes)", m->result.diverged_epoch);
    const char *error = !ok ? m->error : m->result.status == TRAIN_DIVERGED ? why : NULL;
    double ts = now_seconds();
    int bad = store_finish(r->st, w->run_id, status, ok ? &m->result : NULL, error, err);
    s->store_seconds += now_seconds() - ts;
    if (bad) return -1;
    r->p.finished++;
    s->trials_ended++;
    r->p.epochs_left -= t->cfg.train.epochs - w->epochs_done;
    w->busy = 0;
    if (!ok)
        fprintf(stderr, "sweep: trial %d failed: %s\n", t->index, m->error);
    else if (!r->p.on)
        return 0;
    else if (m->result.status == TRAIN_DIVERGED)
        fprintf(stderr, "trial %d diverged in epoch %d\n", t->index, m->result.diverged_epoch);
    else if (m->result.status == TRAIN_PRUNED)
        fprintf(stderr, "trial %d pruned after epoch %d (best val %.2f%%)\n", t->index,
                m->result.epochs_run, 100 * m->result.best_val_acc);
    else
        fprintf(stderr, "trial %d %s: test %.2f%% (best epoch %d, %.1f s)\n", t->index, status,
                100 * m->result.test_acc, m->result.best_epoch, m->result.train_seconds);
    return 0;
}

/* Wait (until the budget's deadline at most) for the busy workers' messages
 * and handle them. */
static int handle_messages(run_ctx *r, sw_err *err) {
    struct pollfd fds[64];
    int nf = 0, map[64];
    for (int i = 0; i < r->nslots && nf < 64; i++)
        if (r->slots[i].busy) {
            fds[nf] = (struct pollfd){r->slots[i].from, POLLIN, 0};
            map[nf++] = i;
        }
    double left = r->deadline - now_seconds();
    int n = poll(fds, (nfds_t)nf, left < 0.5 ? (left > 0 ? (int)(left * 1000) + 1 : 0) : 500);
    if (n < 0 && errno != EINTR) return err_set(err, ERR_INTERNAL, "poll: %s", strerror(errno));
    for (int f = 0; f < nf && n > 0 && !got_signal; f++) {
        if (!(fds[f].revents & (POLLIN | POLLHUP | POLLERR))) continue;
        slot *w = &r->slots[map[f]];
        msg m;
        int bad = read_msg(w->from, &m) ? worker_died(r, w, err)
                  : m.type == MSG_EPOCH ? on_epoch(r, w, &m, err)
                  : m.type == MSG_DONE || m.type == MSG_FAIL ? on_result(r, w, &m, err) : 0;
        if (bad) return -1;
    }
    return 0;
}

/* After a signal or an error: keep a result that arrived with it, mark the
 * runs still in flight stopped (they start afresh next time), end the workers. */
static void run_stop(run_ctx *r, int rc) {
    for (int i = 0; got_signal && !rc && i < r->nslots; i++) {
        slot *w = &r->slots[i];
        struct pollfd pf = {w->from, POLLIN, 0};
        msg m;
        while (w->busy && poll(&pf, 1, 0) == 1 && (pf.revents & POLLIN) && !read_msg(w->from, &m)) {
            if (m.type == MSG_EPOCH) {
                store_epoch(r->st, w->run_id, &m.epoch, NULL);
            } else if (m.type == MSG_DONE && m.result.status != TRAIN_DIVERGED) {
                store_finish(r->st, w->run_id, train_status_name(m.result.status), &m.result, NULL,
                             NULL);
                w->busy = 0;
            } else {
                break;
            }
        }
    }
    for (int i = 0; (got_signal || rc) && i < r->nslots; i++)
        if (r->slots[i].busy) {
            char why[64];
            snprintf(why, sizeof why, "interrupted by %s",
                     got_signal ? strsignal(got_signal) : "an error");
            store_finish(r->st, r->slots[i].run_id, "stopped", NULL, why, NULL);
        }
    for (int i = 0; i < r->nslots; i++) {
        if (r->slots[i].pid > 0 && !r->slots[i].busy && !got_signal && !rc) {
            msg q = {.type = MSG_QUIT};
            write_msg(r->slots[i].to, &q);
            retire(r->s, &r->slots[i], 0);
        } else {
            retire(r->s, &r->slots[i], 1);
        }
    }
}

int sched_run(sched *s, store *st, int64_t sweep_id, const sched_opts *o, int *signo,
              sw_err *err) {
    *signo = 0;
    got_signal = 0;
    double t_start = now_seconds();
    s->store_seconds = 0;
    s->wait_seconds = 0;
    s->worker_peak_kb = 0;
    s->trials_ended = 0;
    run_ctx r;
    if (run_start(&r, s, st, sweep_id, o, t_start, err)) return -1;
    struct sigaction sa = {0}, old_int, old_term, old_hup, old_pipe;
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    sigaction(SIGHUP, &sa, &old_hup);
    struct sigaction ign = {0};
    ign.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &ign, &old_pipe);

    int rc = 0;
    for (;;) {
        if (!r.ending && now_seconds() >= r.deadline) {
            r.ending = 1;
            if (r.p.on) fprintf(stderr, "sweep: the budget of %g s is spent\n", r.S->budget_seconds);
        }
        if ((rc = assign_trials(&r, err)) || got_signal || !busy_workers(&r)) break;
        if (r.ending) {
            stop_in_flight(&r);
            if (!busy_workers(&r)) break;
        }
        if ((rc = handle_messages(&r, err))) break;
    }
    run_stop(&r, rc);
    run_free(&r);
    s->run_seconds = now_seconds() - t_start;
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    sigaction(SIGHUP, &old_hup, NULL);
    sigaction(SIGPIPE, &old_pipe, NULL);
    if (got_signal && !rc) *signo = got_signal;
    return rc;
}
