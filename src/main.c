/* main.c - the `sweep` command: a table of subcommands, each with its usage.
 *
 * `sweep FILE.yaml ...` is short for `sweep run FILE.yaml ...`. The data flow
 * of a run: config.c (file -> validated settings) -> sweep.c (trials) ->
 * sched.c (data, workers, training) -> store.c (SQLite) -> report.c. Errors
 * come back as sw_err values; main prints the one line and exits with its
 * code (2 for bad input, 1 otherwise, 128+N after signal N). */
#include <cblas.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ckpt.h"
#include "config.h"
#include "paths.h"
#include "plot.h"
#include "report.h"
#include "sched.h"
#include "shards.h"
#include "slurm.h"
#include "store.h"
#include "sweep.h"

#define SWEEP_VERSION "0.2.0"

typedef struct command {
    const char *name;
    int (*fn)(int argc, char **argv, sw_err *err);
    const char *summary;
    const char *usage;
} command;

static const char run_usage[] =
    "usage: sweep run FILE.yaml [options] [KEY=VALUE ...]\n"
    "       sweep FILE.yaml [options] [KEY=VALUE ...]\n"
    "\n"
    "Train one network per trial of the config's sweep (one run if it has no sweep\n"
    "section), log every epoch to the sweep's SQLite database, and print a summary,\n"
    "best first. Trials already done in the database are skipped; trials a crash or\n"
    "an interrupt left unfinished, and trials that failed, are trained again.\n"
    "\n"
    "options:\n"
    "  -j N          train N trials at once, one worker process (one core) each\n"
    "  --db PATH     the database (default: experiments/NAME.db, with --shard\n"
    "                experiments/NAME.shard-K-of-N.db)\n"
    "  --shard K/N   train only shard K (from 0) of N: the trials of grid and random\n"
    "                search dealt by expected cost; with tpe, a search of its own\n"
    "                (sweep merge joins the shards' databases)\n"
    "  --dry-run     list the trials and exit\n"
    "  -v            a line per epoch even when stderr is not a terminal\n"
    "  --save        write each run's best parameters to experiments/NAME/runs/RUN_ID.ckpt\n"
    "                (the same as train.save=best); sweep eval reads them\n"
    "  KEY=VALUE     override a config key, e.g. train.epochs=3 'model.hidden=[128]'\n";

/* The resolved config as YAML: every key with its value, and the sweep section. */
static char *resolved_yaml(const cfg_file *c, sw_err *err) {
    node *root = cfg_to_node(&c->base, 1);
    if (!root) {
        err_set(err, ERR_INTERNAL, "out of memory");
        return NULL;
    }
    const node *sw = node_get(c->root, "sweep");
    if (sw) node_append(root, "sweep", node_clone(sw));
    char *text = node_emit(root, err);
    node_free(root);
    return text;
}

/* experiments/NAME.db, creating experiments/ if needed. */
/* experiments/NAME.db (shard K of N: experiments/NAME.shard-K-of-N.db). */
static int default_db(char *path, size_t size, const char *name, int k, int n, sw_err *err) {
    if (mkdir("experiments", 0777) && errno != EEXIST)
        return err_set(err, ERR_INPUT, "cannot create experiments/: %s; pass --db PATH",
                       strerror(errno));
    if (n) snprintf(path, size, "experiments/%s.shard-%d-of-%d.db", name, k, n);
    else snprintf(path, size, "experiments/%s.db", name);
    return 0;
}


static int parse_int_arg(const char *s, int lo, int hi, int *out) {
    char *end;
    long v = strtol(s, &end, 10);
    if (!*s || *end || v < lo || v > hi) return -1;
    *out = (int)v;
    return 0;
}

typedef struct run_args {
    const char *file, *db;
    int jobs, dry, verbose, nover;
    int shard_k, shard_n;  /* --shard K/N; shard_n 0: the whole sweep */
    char **over;
} run_args;

/* 1: --help printed; 0: parsed; -1: error. */
static int parse_run_args(run_args *a, int argc, char **argv, sw_err *err) {
    for (int i = 1; i < argc; i++) {
        const char *s = argv[i];
        if (!strcmp(s, "-h") || !strcmp(s, "--help")) {
            fputs(run_usage, stdout);
            return 1;
        } else if (!strcmp(s, "-j") || !strcmp(s, "--jobs") || (!strncmp(s, "-j", 2) && s[2])) {
            const char *v = s[1] == 'j' && s[2] ? s + 2 : i + 1 < argc ? argv[++i] : "";
            if (parse_int_arg(v, 1, 64, &a->jobs))
                return err_set(err, ERR_INPUT, "sweep run: -j needs a number of workers from 1 to 64");
        } else if (!strcmp(s, "--db")) {
            if (i + 1 >= argc) return err_set(err, ERR_INPUT, "sweep run: --db needs a path");
            a->db = argv[++i];
        } else if (!strcmp(s, "--shard")) {
            const char *v = i + 1 < argc ? argv[++i] : "";
            char *slash = strchr(v, '/'), kbuf[16];
            if (!slash || (size_t)(slash - v) >= sizeof kbuf) a->shard_n = 0;
            else {
                memcpy(kbuf, v, (size_t)(slash - v));
                kbuf[slash - v] = '\0';
                if (parse_int_arg(slash + 1, 1, SHARDS_MAX, &a->shard_n) ||
                    parse_int_arg(kbuf, 0, a->shard_n - 1, &a->shard_k))
                    a->shard_n = 0;
            }
            if (!a->shard_n)
                return err_set(err, ERR_INPUT, "sweep run: --shard needs K/N with 0 <= K < N, "
                               "e.g. --shard 0/4 (got '%s')", v);
        } else if (!strcmp(s, "--dry-run")) {
            a->dry = 1;
        } else if (!strcmp(s, "-v") || !strcmp(s, "--verbose")) {
            a->verbose = 1;
        } else if (!strcmp(s, "--save")) {
            a->over[a->nover++] = "train.save=best";
        } else if (s[0] == '-') {
            return err_set(err, ERR_INPUT, "sweep run: unknown option '%s'; see sweep run --help", s);
        } else if (strchr(s, '=')) {
            a->over[a->nover++] = argv[i];
        } else if (!a->file) {
            a->file = s;
        } else {
            return err_set(err, ERR_INPUT,
                           "sweep run: one config file at a time (got '%s' and '%s')", a->file, s);
        }
    }
    if (!a->file) return err_set(err, ERR_INPUT, "sweep run: which config? usage: sweep run FILE.yaml");
    return 0;
}

static void print_trials(const cfg_file *cfg, const sweep_plan *plan, const run_args *a) {
    if (a->shard_n)
        printf("%s shard %d/%d: %d trial%s\n", cfg->name, a->shard_k, a->shard_n, plan->ntrials,
               plan->ntrials == 1 ? "" : "s");
    else
        printf("%s: %d trial%s\n", cfg->name, plan->ntrials, plan->ntrials == 1 ? "" : "s");
    if (plan->adaptive) {
        printf("(method %s: the first %d are random search's draws; each later one is chosen "
               "from the results before it)\n", "tpe", cfg->sweep.startup_trials);
        return;
    }
    for (int k = 0; k < plan->ntrials; k++) {
        char desc[512];
        sweep_describe(&plan->trials[k], desc, sizeof desc);
        printf("%5d  %s\n", plan->trials[k].index, desc[0] ? desc : "(the base config)");
    }
}

/* Open the store, register the sweep and its trials, train, summarise. */
static int run_plan(const cfg_file *cfg, const sweep_plan *plan, sched *sc, const run_args *a,
                    sw_err *err) {
    char dbpath[1200];
    char shard[32] = "";
    if (a->shard_n) snprintf(shard, sizeof shard, "%d/%d", a->shard_k, a->shard_n);
    if (a->db) snprintf(dbpath, sizeof dbpath, "%s", a->db);
    else if (default_db(dbpath, sizeof dbpath, cfg->name, a->shard_k, a->shard_n, err)) return -1;
    char *yaml = resolved_yaml(cfg, err);
    if (!yaml) return -1;
    store *st = NULL;
    int64_t sweep_id = 0;
    int added = 0, retried = 0, signo = 0, rc;
    store_counts cnt;
    if ((rc = store_open(&st, dbpath, 0, err)) ||
        (a->shard_n && (rc = store_exclusive(st, err))) ||
        (rc = store_sweep(st, cfg->name, yaml, SWEEP_VERSION, &sweep_id, err)) ||
        (rc = store_sweep_shard(st, sweep_id, shard[0] ? shard : NULL, plan->ntrials, err)) ||
        (rc = sched_add_trials(sc, st, sweep_id, 0, plan->ntrials, &added, err)) ||
        (rc = store_retry_failed(st, sweep_id, &retried, err)) ||
        (rc = store_counts_get(st, sweep_id, &cnt, err)))
        goto out;
    int rows = cnt.pending + cnt.running + cnt.done + cnt.failed + cnt.diverged + cnt.stopped +
               cnt.pruned;
    /* An adaptive plan adds its trials one by one: all not ended are to train. */
    int to_train = plan->adaptive ? plan->ntrials - cnt.done - cnt.pruned - cnt.diverged
                                  : cnt.pending + cnt.stopped + cnt.running;
    fprintf(stderr, "%s%s%s: %d trial%s, %d to train with %d worker%s; results in %s\n",
            cfg->name, shard[0] ? " shard " : "", shard, plan->ntrials, plan->ntrials == 1 ? "" : "s",
            to_train < 0 ? 0 : to_train, a->jobs, a->jobs == 1 ? "" : "s", dbpath);
    if (plan->ntrials > rows && !plan->adaptive)
        fprintf(stderr, "%d trial(s) already done in an earlier sweep of this database (same "
                "settings): sweep report %s shows them\n", plan->ntrials - rows, dbpath);
    int saving = 0;
    for (int k = 0; k < plan->ntrials; k++) saving |= plan->trials[k].cfg.train.save_best;
    if (saving && (paths_beside_db(sc->ckpt_dir, sizeof sc->ckpt_dir, dbpath, "runs") ||
                   paths_mkdirs(sc->ckpt_dir))) {
        rc = err_set(err, ERR_INPUT, "%s: cannot make the checkpoint folder: %s", sc->ckpt_dir,
                     strerror(errno));
        goto out;
    }
    sched_opts so = {.jobs = a->jobs, .progress = a->verbose || isatty(STDERR_FILENO)};
    if ((rc = sched_run(sc, st, sweep_id, &so, &signo, err))) goto out;
    if (a->verbose && sc->run_seconds > 0)
        fprintf(stderr, "sweep: %d trial%s in %.2f s (%.0f trials/hour); database calls %.3f s "
                "(%.2f%%); workers waited %.2f s for earlier results (%.1f%% of worker time); "
                "worker peak RSS %.1f MB\n", sc->trials_ended,
                sc->trials_ended == 1 ? "" : "s", sc->run_seconds,
                3600.0 * sc->trials_ended / sc->run_seconds, sc->store_seconds,
                100.0 * sc->store_seconds / sc->run_seconds, sc->wait_seconds,
                100.0 * sc->wait_seconds / (sc->run_seconds * a->jobs), sc->worker_peak_kb / 1024.0);
    rc = report_summary(st, sweep_id, stdout, 20, err);
    if (saving && !rc) printf("checkpoints: %s/RUN_ID.ckpt (sweep eval FILE)\n", sc->ckpt_dir);
    if (!rc && !signo && !store_counts_get(st, sweep_id, &cnt, err) && cnt.failed)
        rc = err_set(err, ERR_INTERNAL,
                     "%d trial%s failed; the reasons: sqlite3 %s \"SELECT trial, error FROM runs "
                     "WHERE status = 'failed'\"; the next run tries them again", cnt.failed,
                     cnt.failed == 1 ? "" : "s", dbpath);
    if (signo) {
        fprintf(stderr, "sweep: runs in flight are marked stopped; the same command trains "
                "them again\n");
        rc = err_set(err, 128 + signo, "interrupted by %s", strsignal(signo));
    }
out:
    store_close(st);
    free(yaml);
    return rc;
}

static int cmd_run(int argc, char **argv, sw_err *err) {
    run_args a = {.jobs = 1};
    if (!(a.over = calloc((size_t)argc + 1, sizeof *a.over)))
        return err_set(err, ERR_INTERNAL, "out of memory");
    int rc = parse_run_args(&a, argc, argv, err);
    cfg_file cfg;
    if (rc || (rc = cfg_load(&cfg, a.file, a.over, a.nover, err))) {
        free(a.over);
        return rc > 0 ? 0 : -1;
    }
    free(a.over);
    sweep_plan plan;
    if (sweep_plan_make(&plan, &cfg, err)) {
        cfg_free(&cfg);
        return -1;
    }
    /* Shard K of an adaptive sweep draws from streams of its own. */
    if (a.shard_n && plan.adaptive) cfg.sweep.stream = (uint64_t)a.shard_k << 32;
    sched sc;
    int prepared = 0;
    if (a.shard_n || !a.dry) {  /* a shard's trials depend on their cost: the data's shape */
        rc = sched_prepare(&sc, &cfg, &plan, err);
        prepared = !rc;
        if (!rc && a.shard_n) rc = sched_shard(&sc, a.shard_k, a.shard_n, err);
    }
    if (!rc && a.dry) print_trials(&cfg, &plan, &a);
    else if (!rc) rc = run_plan(&cfg, &plan, &sc, &a, err);
    if (prepared) sched_free(&sc);
    sweep_plan_free(&plan);
    cfg_free(&cfg);
    return rc;
}

static const char schema_usage[] =
    "usage: sweep schema\n\nPrint the SQL schema of sweep databases.\n";

static int cmd_schema(int argc, char **argv, sw_err *err) {
    (void)err;
    if (argc > 1 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
        fputs(schema_usage, stdout);
        return 0;
    }
    fputs(store_schema_sql(), stdout);
    return 0;
}

static const char report_usage[] =
    "usage: sweep report DB [--top N]\n\n"
    "Print a sweep database's counts, its best configurations (test accuracy mean +- std\n"
    "over seeds) and, for each swept parameter, test accuracy per value.\n";

static int cmd_report(int argc, char **argv, sw_err *err) {
    const char *db = NULL;
    int top = 10;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            fputs(report_usage, stdout);
            return 0;
        } else if (!strcmp(argv[i], "--top")) {
            if (i + 1 >= argc || parse_int_arg(argv[++i], 1, 1000000, &top))
                return err_set(err, ERR_INPUT, "sweep report: --top needs a positive number");
        } else if (argv[i][0] == '-') {
            return err_set(err, ERR_INPUT, "sweep report: unknown option '%s'", argv[i]);
        } else {
            db = argv[i];
        }
    }
    if (!db) return err_set(err, ERR_INPUT, "sweep report: which database? usage: sweep report DB");
    if (access(db, F_OK))
        return err_set(err, ERR_INPUT, "%s: no such database; run a sweep first", db);
    store *st;
    /* Read-only unless we may write: then an older schema is migrated. */
    if (store_open(&st, db, access(db, W_OK) != 0, err)) return -1;
    int rc = report_db(st, stdout, top, err);
    store_close(st);
    return rc;
}

static const char plot_usage[] =
    "usage: sweep plot DB [-o DIR]\n"
    "       sweep plot --compare A.db B.db [-o DIR]\n"
    "\n"
    "Draw a sweep database's charts with gnuplot, as PNG and SVG, into\n"
    "experiments/NAME/plots/ (or DIR) and print their paths: learning curves,\n"
    "test accuracy per swept parameter, a heatmap for two swept parameters, the\n"
    "learning-rate schedules, cost against benefit, and an overview page. The\n"
    "data files and the scripts (plots/*.gp) are there to rerun or change.\n"
    "--compare overlays the best configurations of two sweeps.\n";

static int cmd_plot(int argc, char **argv, sw_err *err) {
    const char *dbs[2] = {NULL, NULL};
    int ndb = 0, compare = 0;
    plot_opts o = {0};
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            fputs(plot_usage, stdout);
            return 0;
        } else if (!strcmp(argv[i], "-o")) {
            if (i + 1 >= argc) return err_set(err, ERR_INPUT, "sweep plot: -o needs a folder");
            o.outdir = argv[++i];
        } else if (!strcmp(argv[i], "--compare")) {
            compare = 1;
        } else if (argv[i][0] == '-') {
            return err_set(err, ERR_INPUT, "sweep plot: unknown option '%s'; see sweep plot --help",
                           argv[i]);
        } else if (ndb < 2) {
            dbs[ndb++] = argv[i];
        } else {
            return err_set(err, ERR_INPUT, "sweep plot: too many databases; see sweep plot --help");
        }
    }
    if (compare && ndb != 2)
        return err_set(err, ERR_INPUT, "sweep plot --compare needs two databases: A.db B.db");
    if (!compare && ndb != 1)
        return err_set(err, ERR_INPUT, "sweep plot: which database? usage: sweep plot DB [-o DIR]");
    return compare ? plot_compare(dbs[0], dbs[1], &o, err) : plot_db(dbs[0], &o, err);
}

static const char eval_usage[] =
    "usage: sweep eval CKPT [--data DIR]\n\n"
    "Load a checkpoint written by sweep run --save (experiments/NAME/runs/RUN_ID.ckpt)\n"
    "and print its test loss and accuracy on the test set of the data it was trained\n"
    "on, or of the four IDX files in DIR.\n";

static int cmd_eval(int argc, char **argv, sw_err *err) {
    const char *path = NULL, *dir = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            fputs(eval_usage, stdout);
            return 0;
        } else if (!strcmp(argv[i], "--data")) {
            if (i + 1 >= argc) return err_set(err, ERR_INPUT, "sweep eval: --data needs a folder");
            dir = argv[++i];
        } else if (argv[i][0] == '-') {
            return err_set(err, ERR_INPUT, "sweep eval: unknown option '%s'", argv[i]);
        } else {
            path = argv[i];
        }
    }
    if (!path) return err_set(err, ERR_INPUT, "sweep eval: which checkpoint? usage: sweep eval CKPT");
    ckpt c;
    if (ckpt_read(&c, path, err)) return -1;
    node *root = NULL;
    run_cfg rc;
    data_set tr = {0}, te = {0};
    nn_net net = {0};
    int ret = -1;
    if (node_parse_string(&root, c.config, strlen(c.config), path, err) ||
        cfg_resolve(&rc, root, "eval", err)) {
        err_prefix(err, "%s: the checkpoint's config does not load", path);
        goto out;
    }
    if (!dir) dir = rc.data.dir;
    if (data_load_dir(&tr, &te, dir, c.classes, err)) goto out;
    if (te.c != c.input.c || te.h != c.input.h || te.w != c.input.w) {
        err_set(err, ERR_INPUT, "%s: the checkpoint's network takes %dx%dx%d images but the test "
                "images in %s are %dx%dx%d", path, c.input.h, c.input.w, c.input.c, dir, te.h,
                te.w, te.c);
        goto out;
    }
    layer_spec L[CFG_MAX_LAYERS];
    int nl = cfg_layers(&rc.model, c.classes, L, CFG_MAX_LAYERS);
    if (nn_build(&net, L, nl, c.input, c.classes, 256, err)) {
        err_prefix(err, "%s", path);
        goto out;
    }
    if (net.nparams != c.nparams || net.nstate != c.nstate) {
        err_set(err, ERR_INPUT, "%s: the checkpoint holds %zu parameters and %zu state values but "
                "its model (%s) needs %zu and %zu: it does not match its own config", path,
                c.nparams, c.nstate, "see its config", net.nparams, net.nstate);
        goto out;
    }
    memcpy(net.params, c.params, c.nparams * sizeof(float));
    memcpy(net.state, c.state, c.nstate * sizeof(float));
    float *x = malloc((size_t)256 * te.dim * sizeof(float));
    int *y = malloc(256 * sizeof(int)), *idx = malloc((size_t)te.n * sizeof(int));
    if (!x || !y || !idx) {
        free(x); free(y); free(idx);
        err_set(err, ERR_INTERNAL, "out of memory");
        goto out;
    }
    for (int i = 0; i < te.n; i++) idx[i] = i;
    double loss, acc;
    train_evaluate(&net, &te, idx, te.n, x, y, &loss, &acc);
    free(x); free(y); free(idx);
    char model[256];
    nn_describe(L, nl, model, sizeof model);
    printf("%s: model %s, test loss %.4f, test accuracy %.2f%% (%d examples in %s)\n", path,
           model, loss, 100 * acc, te.n, dir);
    ret = 0;
out:
    nn_free(&net);
    data_free(&tr);
    data_free(&te);
    node_free(root);
    ckpt_free(&c);
    return ret;
}

static const char merge_usage[] =
    "usage: sweep merge OUT.db SHARD.db...\n"
    "\n"
    "Join the databases of a sweep run in shards (sweep run --shard K/N) into OUT.db\n"
    "(created if missing), which sweep report, sweep plot and sqlite3 then read.\n"
    "Shards of another config, of another schema version, or files that are not\n"
    "sweep databases are refused. A trial already in OUT.db is replaced only by a\n"
    "more finished run of it, so merging a shard twice adds nothing. The merge is\n"
    "done on a copy renamed over OUT.db at the end: interrupted, OUT.db is as it was.\n";

static int cmd_merge(int argc, char **argv, sw_err *err) {
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            fputs(merge_usage, stdout);
            return 0;
        }
        if (argv[i][0] == '-')
            return err_set(err, ERR_INPUT, "sweep merge: unknown option '%s'; see sweep merge --help",
                           argv[i]);
    }
    if (argc < 3)
        return err_set(err, ERR_INPUT, "sweep merge: which files? usage: sweep merge OUT.db "
                       "SHARD.db...");
    if (shards_merge(argv[1], argv + 2, argc - 2, stdout, err)) return -1;
    printf("merged %d shard file%s into %s (sweep report %s)\n", argc - 2, argc == 3 ? "" : "s",
           argv[1], argv[1]);
    return 0;
}

static const char status_usage[] =
    "usage: sweep status DB-or-PATTERN...\n"
    "\n"
    "How far a sweep run in shards has got: per shard database, its trials done,\n"
    "pruned, diverged, failed, running and pending, and the shards that have no\n"
    "database yet. Quote a pattern to let sweep expand it:\n"
    "  sweep status 'experiments/NAME.shard-*-of-4.db'\n"
    "Exits 1 when a shard has failed trials or cannot be read.\n";

static int cmd_status(int argc, char **argv, sw_err *err) {
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            fputs(status_usage, stdout);
            return 0;
        }
        if (argv[i][0] == '-')
            return err_set(err, ERR_INPUT, "sweep status: unknown option '%s'", argv[i]);
    }
    if (argc < 2)
        return err_set(err, ERR_INPUT, "sweep status: which databases? usage: sweep status "
                       "'experiments/NAME.shard-*-of-N.db'");
    int bad = 0;
    if (shards_status(argv + 1, argc - 1, stdout, &bad, err)) return -1;
    return bad ? err_set(err, ERR_INTERNAL, "a shard failed or cannot be read (see above)") : 0;
}

static const char slurm_usage[] =
    "usage: sweep slurm FILE.yaml --tasks N [options] [KEY=VALUE ...]\n"
    "\n"
    "Write experiments/NAME/slurm/sweep.sbatch, a Slurm job array of N tasks in which\n"
    "task K checks the data and runs sweep run FILE.yaml --shard K/N into its own\n"
    "database, experiments/NAME.shard-K-of-N.db, and merge.sbatch, a job that joins\n"
    "them into experiments/NAME.db with sweep merge. Paths in the scripts are\n"
    "absolute: run this from the folder the config's paths are relative to, on a\n"
    "file system the compute nodes share.\n"
    "\n"
    "options:\n"
    "  --tasks N            the array's size (required)\n"
    "  --cpus-per-task C    CPUs per task, each task's -j (default 1)\n"
    "  --partition P        --time HH:MM:SS        --mem M (e.g. 4G)\n"
    "                       passed to Slurm as #SBATCH lines (default: the cluster's)\n"
    "  --submit             submit both with sbatch (the merge after the whole array\n"
    "                       succeeded) and print the job ids\n"
    "  KEY=VALUE            an override, passed on to every task\n";

/* The absolute form of path (which may not exist yet); -1 if too long. */
static int absolute(const char *path, char *out, size_t size) {
    char cwd[4096];
    if (size >= PATH_MAX && realpath(path, out)) return 0;
    int n = path[0] == '/' || !getcwd(cwd, sizeof cwd) ? snprintf(out, size, "%s", path)
                                                        : snprintf(out, size, "%s/%s", cwd, path);
    return n < 0 || (size_t)n >= size ? -1 : 0;
}

static int cmd_slurm(int argc, char **argv, sw_err *err) {
    slurm_opts o = {.cpus = 1};
    const char *file = NULL;
    char **over = calloc((size_t)argc + 1, sizeof *over);
    if (!over) return err_set(err, ERR_INTERNAL, "out of memory");
    int nover = 0, rc = 0;
    for (int i = 1; i < argc && !rc; i++) {
        const char *s = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(s, "-h") || !strcmp(s, "--help")) {
            fputs(slurm_usage, stdout);
            free(over);
            return 0;
        } else if (!strcmp(s, "--submit")) {
            o.submit = 1;
        } else if (!strcmp(s, "--tasks") || !strcmp(s, "--cpus-per-task")) {
            int *dst = s[2] == 't' ? &o.tasks : &o.cpus;
            if (!v || parse_int_arg(v, 1, 1000000, dst))
                rc = err_set(err, ERR_INPUT, "sweep slurm: %s needs a positive number", s);
            i++;
        } else if (!strcmp(s, "--partition") || !strcmp(s, "--time") || !strcmp(s, "--mem")) {
            if (!v) rc = err_set(err, ERR_INPUT, "sweep slurm: %s needs a value", s);
            else if (s[2] == 'p') o.partition = v;
            else if (s[2] == 't') o.time = v;
            else o.mem = v;
            i++;
        } else if (s[0] == '-') {
            rc = err_set(err, ERR_INPUT, "sweep slurm: unknown option '%s'; see sweep slurm --help", s);
        } else if (strchr(s, '=')) {
            over[nover++] = argv[i];
        } else if (!file) {
            file = s;
        } else {
            rc = err_set(err, ERR_INPUT, "sweep slurm: one config file at a time (got '%s' and '%s')",
                         file, s);
        }
    }
    if (!rc && !file)
        rc = err_set(err, ERR_INPUT, "sweep slurm: which config? usage: sweep slurm FILE.yaml --tasks N");
    if (rc || slurm_check(&o, err)) {
        free(over);
        return -1;
    }
    cfg_file cfg;
    if (cfg_load(&cfg, file, over, nover, err)) {
        free(over);
        return -1;
    }
    sweep_plan plan;
    if (sweep_plan_make(&plan, &cfg, err)) {
        cfg_free(&cfg);
        free(over);
        return -1;
    }
    slurm_data *data = calloc((size_t)plan.ntrials + 1, sizeof *data);
    char config[4096], exp[4096];
    int nd = 0;
    for (int k = 0; data && k < plan.ntrials; k++) {
        slurm_data d;
        snprintf(d.dataset, sizeof d.dataset, "%s", plan.trials[k].cfg.data.dataset);
        if (absolute(plan.trials[k].cfg.data.dir, d.dir, sizeof d.dir)) {
            rc = err_set(err, ERR_INPUT, "%s: the path is too long", plan.trials[k].cfg.data.dir);
            break;
        }
        int j = 0;
        while (j < nd && strcmp(data[j].dir, d.dir)) j++;
        if (j == nd) data[nd++] = d;
    }
    if (!rc && absolute(file, config, sizeof config))
        rc = err_set(err, ERR_INPUT, "%s: the path is too long", file);
    if (rc) {
    } else if (!data) rc = err_set(err, ERR_INTERNAL, "out of memory");
    else if (mkdir("experiments", 0777) && errno != EEXIST)
        rc = err_set(err, ERR_INPUT, "cannot create experiments/: %s", strerror(errno));
    if (!rc && absolute("experiments", exp, sizeof exp))
        rc = err_set(err, ERR_INPUT, "the working folder's path is too long");
    if (!rc) {
        o.name = cfg.name;
        o.config = config;
        o.over = over;
        o.nover = nover;
        o.data = data;
        o.ndata = nd;
        rc = slurm_write(&o, exp, stdout, err);
    }
    free(data);
    sweep_plan_free(&plan);
    cfg_free(&cfg);
    free(over);
    return rc;
}

static const command commands[] = {
    {"run", cmd_run, "train the trials of a config file, logging to SQLite", run_usage},
    {"report", cmd_report, "best configurations and per-parameter tables of a database", report_usage},
    {"plot", cmd_plot, "gnuplot charts of a database (PNG and SVG)", plot_usage},
    {"merge", cmd_merge, "join the databases of a sweep's shards into one", merge_usage},
    {"status", cmd_status, "progress of a sweep's shards", status_usage},
    {"slurm", cmd_slurm, "write (and submit) a Slurm job array and its merge job", slurm_usage},
    {"schema", cmd_schema, "print the database schema", schema_usage},
    {"eval", cmd_eval, "test loss and accuracy of a saved checkpoint", eval_usage},
};
#define NCOMMANDS (int)(sizeof commands / sizeof commands[0])

static void usage(FILE *f) {
    fprintf(f, "usage: sweep COMMAND [ARGS]   (sweep FILE.yaml is sweep run FILE.yaml)\n\n");
    for (int i = 0; i < NCOMMANDS; i++)
        fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\nsweep COMMAND --help shows a command's options; sweep --version its version.\n");
}

int main(int argc, char **argv) {
    openblas_set_num_threads(1); /* one core per run: parallelism is across runs */
    sw_err err = {0, ""};
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("sweep %s\n", SWEEP_VERSION);
        return 0;
    }
    const command *cmd = NULL;
    for (int i = 0; i < NCOMMANDS; i++)
        if (!strcmp(argv[1], commands[i].name)) cmd = &commands[i];
    int rc;
    if (cmd) rc = cmd->fn(argc - 1, argv + 1, &err);
    else if (strstr(argv[1], ".yaml") || strstr(argv[1], ".yml")) rc = cmd_run(argc, argv, &err);
    else {
        fprintf(stderr, "sweep: unknown command '%s'\n", argv[1]);
        usage(stderr);
        return 2;
    }
    if (rc) {
        fprintf(stderr, "sweep: %s\n", err.msg);
        return err.code ? err.code : 1;
    }
    return 0;
}
