/* plot.c - from a sweep database to gnuplot charts. See plot.h.
 *
 * The pipeline: open the database read-only -> group the runs (a group is
 * the runs of one sweep that differ only in train.seed) -> write DATADIR/
 * {meta.gp, curves.tsv, markers.tsv, param_K.tsv, heat.tsv, sched.tsv,
 * cost.tsv, cost_other.tsv, history_*.tsv, parallel.tsv} -> run `gnuplot -e "datadir=...; out=..."
 * plots/CHART.gp` once per chart and format. Missing values are written
 * as '?', which the scripts declare as gnuplot's missing-data marker, so no
 * NaN reaches a chart. Labels are quoted for gnuplot's columnheader; a
 * double quote inside one becomes a single quote. At most MAX_GROUPS groups
 * are drawn (the best by mean test accuracy); the title says so. */
#include "plot.h"

#include <errno.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "paths.h"
#include "report.h"
#include "store.h"
#include "sweep.h"

#define MAX_GROUPS 12
#define MAX_PARAMS 16
#define MAX_VALUES 64

typedef struct group {
    int64_t sweep_id;
    char *key;          /* swept JSON without train.seed */
    char label[256];
    double score;       /* mean test accuracy, -1 if none */
    int first_trial;
} group;

static int by_trial(const void *x, const void *y) {
    const struct group *a = x, *b = y;
    if (a->sweep_id != b->sweep_id) return a->sweep_id < b->sweep_id ? -1 : 1;
    return (a->first_trial > b->first_trial) - (a->first_trial < b->first_trial);
}

typedef struct plot_ctx {
    sqlite3 *db;
    const char *dbpath;
    char name[256];
    char datadir[1100], outdir[1024], scripts[1100];
    int ngroups, ntotal_groups, nsweeps;
    group groups[MAX_GROUPS];
    int nparams;
    char params[MAX_PARAMS][128];
    int heat;
    const plot_opts *o;
} plot_ctx;

static int sql_fail(plot_ctx *c, sw_err *err, const char *what) {
    return err_set(err, ERR_INTERNAL, "%s: %s: %s", c->dbpath, what, sqlite3_errmsg(c->db));
}

static sqlite3_stmt *prep(plot_ctx *c, const char *sql, sw_err *err) {
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(c->db, sql, -1, &q, NULL) != SQLITE_OK) sql_fail(c, err, "query");
    return q;
}

static FILE *open_data(plot_ctx *c, const char *file, sw_err *err) {
    char path[1300];
    snprintf(path, sizeof path, "%s/%s", c->datadir, file);
    FILE *f = fopen(path, "w");
    if (!f) err_set(err, ERR_INPUT, "%s: %s; pass another -o DIR", path, strerror(errno));
    return f;
}

/* A value column: the number, or '?' for NULL. scale: 100 for percentages. */
static void put_num(FILE *f, sqlite3_stmt *q, int col, double scale) {
    if (sqlite3_column_type(q, col) == SQLITE_NULL || !isfinite(sqlite3_column_double(q, col)))
        fputs("\t?", f);
    else
        fprintf(f, "\t%.6g", scale * sqlite3_column_double(q, col));
}

/* "text" for gnuplot's data files: no double quotes or line breaks inside. */
static void put_quoted(FILE *f, const char *s) {
    fputc('"', f);
    for (; s && *s; s++) fputc(*s == '"' ? '\'' : *s == '\n' || *s == '\t' ? ' ' : *s, f);
    fputc('"', f);
}

/* 'text' for gnuplot commands: a single quote is written twice. */
static void put_gp_string(FILE *f, const char *name, const char *s) {
    fprintf(f, "%s = '", name);
    for (; s && *s; s++) {
        if (*s == '\'') fputc('\'', f);
        fputc(*s == '\n' ? ' ' : *s, f);
    }
    fputs("'\n", f);
}

/* ---- finding things ---- */

static int find_gnuplot(char *out, size_t size) {
    const char *path = getenv("PATH");
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", path ? path : "/usr/bin:/bin");
    for (char *dir = strtok(buf, ":"); dir; dir = strtok(NULL, ":")) {
        snprintf(out, size, "%s/gnuplot", dir);
        if (!access(out, X_OK)) return 0;
    }
    return -1;
}

static int find_scripts(char *out, size_t size, const char *given) {
    char probe[1200];
    const char *env = getenv("SWEEP_PLOTS");
    const char *cands[3] = {given, env, "plots"};
    for (int i = 0; i < 3; i++) {
        if (!cands[i]) continue;
        snprintf(probe, sizeof probe, "%s/common.gp", cands[i]);
        if (!access(probe, R_OK)) {
            snprintf(out, size, "%s", cands[i]);
            return 0;
        }
    }
    char exe[1024];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash) *slash = '\0';
        snprintf(probe, sizeof probe, "%s/plots/common.gp", exe);
        if (!access(probe, R_OK)) {
            snprintf(out, size, "%s/plots", exe);
            return 0;
        }
    }
    return -1;
}

/* ---- running gnuplot ---- */

/* Run script with datadir and out set (and extra -e text); 0 when the
 * output file exists and is not empty. */
static int run_gnuplot(plot_ctx *c, const char *gnuplot, const char *script, const char *out,
                       const char *extra, sw_err *err) {
    char expr[4096], spath[1200], logpath[1300];
    snprintf(expr, sizeof expr, "datadir='%s'; out='%s'; %s", c->datadir, out, extra ? extra : "");
    snprintf(spath, sizeof spath, "%s/%s", c->scripts, script);
    snprintf(logpath, sizeof logpath, "%s/gnuplot.log", c->datadir);
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) return err_set(err, ERR_INTERNAL, "cannot run gnuplot: %s", strerror(errno));
    if (pid == 0) {
        FILE *log = freopen(logpath, "a", stderr);
        (void)log;
        if (!freopen("/dev/null", "w", stdout)) _exit(127);
        execl(gnuplot, "gnuplot", "-e", expr, spath, (char *)NULL);
        _exit(127);
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
    struct stat st;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || stat(out, &st) || st.st_size == 0)
        return err_set(err, ERR_INTERNAL, "gnuplot failed on %s for %s; its messages are in %s",
                       spath, out, logpath);
    return 0;
}

/* ---- groups ---- */

static void free_groups(plot_ctx *c) {
    for (int i = 0; i < c->ngroups; i++) free(c->groups[i].key);
    c->ngroups = 0;
}

#define GROUP_KEY "json_remove(coalesce(r.swept, '{}'), '$.\"train.seed\"')"

/* The groups to draw: the MAX_GROUPS best by mean test accuracy, shown in
 * sweep and trial order. */
static int load_groups(plot_ctx *c, sw_err *err) {
    sqlite3_stmt *q = prep(c,
                           "SELECT r.sweep_id, " GROUP_KEY " AS g, min(r.trial), "
                           "avg(CASE WHEN r.status = 'done' THEN r.test_acc END) AS score, "
                           "count(*) OVER () FROM runs r "
                           "WHERE EXISTS (SELECT 1 FROM epochs e WHERE e.run_id = r.id) "
                           "OR r.status = 'done' GROUP BY r.sweep_id, g "
                           "ORDER BY score IS NULL, score DESC, r.sweep_id, min(r.trial)", err);
    if (!q) return -1;
    while (sqlite3_step(q) == SQLITE_ROW) {
        c->ntotal_groups = sqlite3_column_int(q, 4);
        if (c->ngroups == MAX_GROUPS) continue;
        group *g = &c->groups[c->ngroups];
        g->sweep_id = sqlite3_column_int64(q, 0);
        const char *key = (const char *)sqlite3_column_text(q, 1);
        if (!(g->key = strdup(key ? key : "{}"))) break;
        g->score = sqlite3_column_type(q, 3) == SQLITE_NULL ? -1 : sqlite3_column_double(q, 3);
        g->first_trial = sqlite3_column_int(q, 2);
        c->ngroups++;
    }
    sqlite3_finalize(q);
    /* Draw them in trial order, so colours follow the sweep's own order. */
    qsort(c->groups, (size_t)c->ngroups, sizeof c->groups[0], by_trial);
    for (int i = 0; i < c->ngroups; i++) {
        char text[200];
        report_swept_text(c->db, c->groups[i].key, text, sizeof text);
        if (c->nsweeps > 1)
            snprintf(c->groups[i].label, sizeof c->groups[i].label, "#%lld %s",
                     (long long)c->groups[i].sweep_id, text[0] ? text : "base config");
        else
            snprintf(c->groups[i].label, sizeof c->groups[i].label, "%s",
                     text[0] ? text : c->name);
    }
    return 0;
}

static int group_of(const plot_ctx *c, int64_t sweep_id, const char *key) {
    for (int i = 0; i < c->ngroups; i++)
        if (c->groups[i].sweep_id == sweep_id && key && !strcmp(c->groups[i].key, key)) return i;
    return -1;
}

/* ---- data files ---- */

static int write_curves(plot_ctx *c, sw_err *err) {
    FILE *f = open_data(c, "curves.tsv", err);
    if (!f) return -1;
    sqlite3_stmt *q = prep(c,
                           "SELECT e.epoch, avg(e.val_acc), min(e.val_acc), max(e.val_acc), "
                           "avg(e.train_loss), min(e.train_loss), max(e.train_loss), "
                           "avg(e.val_loss), min(e.val_loss), max(e.val_loss), count(*) "
                           "FROM epochs e JOIN runs r ON r.id = e.run_id "
                           "WHERE r.sweep_id = ? AND " GROUP_KEY " = ? "
                           "GROUP BY e.epoch ORDER BY e.epoch", err);
    if (!q) { fclose(f); return -1; }
    for (int i = 0; i < c->ngroups; i++) {
        if (i) fputs("\n\n", f);
        put_quoted(f, c->groups[i].label);
        fputs("\tmean_val_acc\tmin\tmax\ttrain_loss\tmin\tmax\tval_loss\tmin\tmax\truns\n", f);
        sqlite3_bind_int64(q, 1, c->groups[i].sweep_id);
        sqlite3_bind_text(q, 2, c->groups[i].key, -1, SQLITE_STATIC);
        while (sqlite3_step(q) == SQLITE_ROW) {
            fprintf(f, "%d", sqlite3_column_int(q, 0));
            for (int k = 1; k <= 9; k++) put_num(f, q, k, k <= 3 ? 100 : 1);
            fprintf(f, "\t%d\n", sqlite3_column_int(q, 10));
        }
        sqlite3_reset(q);
    }
    sqlite3_finalize(q);
    return fclose(f) ? err_set(err, ERR_INTERNAL, "writing curves.tsv failed") : 0;
}

/* Runs that ended otherwise than done, at their last epoch. Returns how
 * many lines were written, or -1. */
static int write_markers(plot_ctx *c, sw_err *err) {
    FILE *f = open_data(c, "markers.tsv", err);
    if (!f) return -1;
    sqlite3_stmt *q = prep(c,
                           "SELECT r.sweep_id, " GROUP_KEY ", e.epoch, e.val_acc, e.train_loss, "
                           "e.val_loss, r.status FROM runs r JOIN epochs e ON e.run_id = r.id "
                           "AND e.epoch = (SELECT max(epoch) FROM epochs WHERE run_id = r.id) "
                           "WHERE r.status IN ('diverged', 'stopped', 'pruned', 'failed') "
                           "ORDER BY r.id", err);
    if (!q) { fclose(f); return -1; }
    int n = 0;
    while (sqlite3_step(q) == SQLITE_ROW) {
        int g = group_of(c, sqlite3_column_int64(q, 0), (const char *)sqlite3_column_text(q, 1));
        if (g < 0) continue;
        fprintf(f, "%d\t%d", g, sqlite3_column_int(q, 2));
        put_num(f, q, 3, 100);
        put_num(f, q, 4, 1);
        put_num(f, q, 5, 1);
        fprintf(f, "\t%s\n", sqlite3_column_text(q, 6));
        n++;
    }
    sqlite3_finalize(q);
    return fclose(f) ? err_set(err, ERR_INTERNAL, "writing markers.tsv failed") : n;
}

/* Swept keys other than the seed, in the order they first appear. */
static int load_params(plot_ctx *c, sw_err *err) {
    sqlite3_stmt *q = prep(c,
                           "SELECT j.key FROM runs r, json_each(r.swept) j "
                           "WHERE j.key != 'train.seed' GROUP BY j.key ORDER BY min(r.id), min(j.id)",
                           err);
    if (!q) return -1;
    while (sqlite3_step(q) == SQLITE_ROW && c->nparams < MAX_PARAMS)
        snprintf(c->params[c->nparams++], sizeof c->params[0], "%s",
                 (const char *)sqlite3_column_text(q, 0));
    sqlite3_finalize(q);
    return 0;
}

/* A swept value as text for tics: arrays as 512-256. */
#define VALUE_TEXT(path) \
    "CASE WHEN json_type(r.swept, " path ") = 'array' THEN replace(replace(replace(" \
    "json_extract(r.swept, " path "), '[', ''), ']', ''), ',', '-') " \
    "ELSE CAST(json_extract(r.swept, " path ") AS TEXT) END"

typedef struct axis {
    int n, numeric, log, cat;
    char values[MAX_VALUES][64];
    double num[MAX_VALUES];
} axis;

/* The distinct values of parameter p among done runs, ordered. */
static int load_axis(plot_ctx *c, const char *p, axis *a, sw_err *err) {
    char path[160];
    snprintf(path, sizeof path, "$.\"%s\"", p);
    sqlite3_stmt *q = prep(c,
                           "SELECT " VALUE_TEXT("?1") " AS v, json_type(r.swept, ?1) AS t, "
                           "json_extract(r.swept, ?1) FROM runs r WHERE r.status = 'done' "
                           "AND t IS NOT NULL GROUP BY v ORDER BY t IN ('integer', 'real') DESC, "
                           "json_extract(r.swept, ?1), v", err);
    if (!q) return -1;
    sqlite3_bind_text(q, 1, path, -1, SQLITE_TRANSIENT);
    memset(a, 0, sizeof *a);
    a->numeric = 1;
    while (sqlite3_step(q) == SQLITE_ROW && a->n < MAX_VALUES) {
        const char *t = (const char *)sqlite3_column_text(q, 1);
        snprintf(a->values[a->n], sizeof a->values[0], "%s", (const char *)sqlite3_column_text(q, 0));
        if (!t || (strcmp(t, "integer") && strcmp(t, "real"))) a->numeric = 0;
        else a->num[a->n] = sqlite3_column_double(q, 2);
        a->n++;
    }
    sqlite3_finalize(q);
    /* Numbers spanning 20x or more get a log axis; with a zero among them,
     * evenly spaced categories read better than a squashed linear axis. */
    double lo = INFINITY, hi = 0;
    int zero = 0;
    for (int i = 0; a->numeric && i < a->n; i++) {
        if (a->num[i] <= 0) zero = 1;
        else if (a->num[i] < lo) lo = a->num[i];
        if (a->num[i] > hi) hi = a->num[i];
    }
    int wide = a->numeric && a->n > 1 && lo < INFINITY && hi / lo >= 20;
    a->log = wide && !zero;
    a->cat = !a->numeric || (wide && zero);
    return 0;
}

static int axis_index(const axis *a, const char *v) {
    for (int i = 0; v && i < a->n; i++)
        if (!strcmp(a->values[i], v)) return i;
    return -1;
}

/* param_K.tsv: one block per combination of the other swept keys. */
static int write_param(plot_ctx *c, int k, const axis *a, sw_err *err) {
    char file[32], path[160];
    snprintf(file, sizeof file, "param_%d.tsv", k + 1);
    snprintf(path, sizeof path, "$.\"%s\"", c->params[k]);
    FILE *f = open_data(c, file, err);
    if (!f) return -1;
    sqlite3_stmt *q = prep(c,
                           "SELECT json_remove(r.swept, '$.\"train.seed\"', ?1) AS others, "
                           VALUE_TEXT("?1") " AS v, sum(r.test_acc), "
                           "sum(r.test_acc * r.test_acc), min(r.test_acc), max(r.test_acc), "
                           "count(*), r.sweep_id FROM runs r WHERE r.status = 'done' "
                           "AND r.test_acc IS NOT NULL AND json_type(r.swept, ?1) IS NOT NULL "
                           "GROUP BY r.sweep_id, others, v ORDER BY r.sweep_id, others, "
                           "json_extract(r.swept, ?1)", err);
    if (!q) { fclose(f); return -1; }
    sqlite3_bind_text(q, 1, path, -1, SQLITE_TRANSIENT);
    char last[1024] = "";
    int blocks = 0;
    while (sqlite3_step(q) == SQLITE_ROW) {
        const char *others = (const char *)sqlite3_column_text(q, 0);
        char key[1024];
        snprintf(key, sizeof key, "%lld %s", (long long)sqlite3_column_int64(q, 7),
                 others ? others : "");
        if (strcmp(key, last)) {
            if (blocks++) fputs("\n\n", f);
            if (blocks > MAX_GROUPS) break;
            char label[256];
            report_swept_text(c->db, others, label, sizeof label);
            put_quoted(f, label[0] ? label : "all runs");
            fputs("\tmean_test_acc\tstd\tmin\tmax\truns\ttic\n", f);
            snprintf(last, sizeof last, "%s", key);
        }
        const char *v = (const char *)sqlite3_column_text(q, 1);
        int n = sqlite3_column_int(q, 6);
        double mean, std;
        report_mean_std(n, sqlite3_column_double(q, 2), sqlite3_column_double(q, 3), &mean, &std);
        int idx = axis_index(a, v);
        if (a->cat) fprintf(f, "%d", idx);
        else fprintf(f, "%s", v);
        fprintf(f, "\t%.6g\t%.6g", 100 * mean, 100 * std);
        put_num(f, q, 4, 100);
        put_num(f, q, 5, 100);
        fprintf(f, "\t%d\t", n);
        put_quoted(f, v);
        fputc('\n', f);
    }
    sqlite3_finalize(q);
    return fclose(f) ? err_set(err, ERR_INTERNAL, "writing %s failed", file) : 0;
}

static int write_heat(plot_ctx *c, const axis *ax, const axis *ay, sw_err *err) {
    FILE *f = open_data(c, "heat.tsv", err);
    if (!f) return -1;
    char px[160], py[160];
    snprintf(px, sizeof px, "$.\"%s\"", c->params[0]);
    snprintf(py, sizeof py, "$.\"%s\"", c->params[1]);
    sqlite3_stmt *q = prep(c,
                           "SELECT " VALUE_TEXT("?1") " AS x, " VALUE_TEXT("?2") " AS y, "
                           "avg(r.test_acc), count(*) FROM runs r WHERE r.status = 'done' "
                           "AND r.test_acc IS NOT NULL GROUP BY x, y", err);
    if (!q) { fclose(f); return -1; }
    sqlite3_bind_text(q, 1, px, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(q, 2, py, -1, SQLITE_TRANSIENT);
    while (sqlite3_step(q) == SQLITE_ROW) {
        const char *x = (const char *)sqlite3_column_text(q, 0);
        const char *y = (const char *)sqlite3_column_text(q, 1);
        int xi = axis_index(ax, x), yi = axis_index(ay, y);
        if (xi < 0 || yi < 0) continue;
        fprintf(f, "%d\t%d\t%.6g\t", xi, yi, 100 * sqlite3_column_double(q, 2));
        put_quoted(f, x);
        fputc('\t', f);
        put_quoted(f, y);
        fprintf(f, "\t%d\n", sqlite3_column_int(q, 3));
    }
    sqlite3_finalize(q);
    return fclose(f) ? err_set(err, ERR_INTERNAL, "writing heat.tsv failed") : 0;
}

/* One block per distinct learning-rate setting, from its longest run. */
static int write_schedules(plot_ctx *c, sw_err *err) {
    FILE *f = open_data(c, "sched.tsv", err);
    if (!f) return -1;
    sqlite3_stmt *q = prep(c,
                           "SELECT l, id, json_extract(l, '$.schedule'), json_extract(l, '$.initial'), "
                           "json_extract(l, '$.warmup'), json_extract(l, '$.factor'), "
                           "json_extract(l, '$.every'), json_extract(l, '$.gamma'), "
                           "json_extract(l, '$.min') FROM (SELECT json_extract(r.params, '$.train.lr') l, "
                           "r.id, row_number() OVER (PARTITION BY json_extract(r.params, "
                           "'$.train.lr'), r.epochs ORDER BY (SELECT count(*) FROM epochs "
                           "WHERE run_id = r.id) DESC, r.id) rn FROM runs r WHERE EXISTS "
                           "(SELECT 1 FROM epochs WHERE run_id = r.id)) WHERE rn = 1 ORDER BY id",
                           err);
    sqlite3_stmt *e = prep(c, "SELECT epoch, lr FROM epochs WHERE run_id = ? ORDER BY epoch", err);
    if (!q || !e) {
        sqlite3_finalize(q);
        sqlite3_finalize(e);
        fclose(f);
        return -1;
    }
    int n = 0;
    while (sqlite3_step(q) == SQLITE_ROW && n < MAX_GROUPS) {
        const char *s = (const char *)sqlite3_column_text(q, 2);
        char label[256], extra[96] = "";
        if (s && !strcmp(s, "step"))
            snprintf(extra, sizeof extra, ", x%g every %d", sqlite3_column_double(q, 5),
                     sqlite3_column_int(q, 6));
        else if (s && !strcmp(s, "exponential"))
            snprintf(extra, sizeof extra, ", x%g per epoch", sqlite3_column_double(q, 7));
        else if (s && !strcmp(s, "cosine") && sqlite3_column_double(q, 8) > 0)
            snprintf(extra, sizeof extra, " to %g", sqlite3_column_double(q, 8));
        int warm = sqlite3_column_int(q, 4);
        char wtext[48] = "";
        if (warm) snprintf(wtext, sizeof wtext, ", warm-up %d", warm);
        snprintf(label, sizeof label, "%s from %g%s%s", s ? s : "?", sqlite3_column_double(q, 3),
                 extra, wtext);
        if (n++) fputs("\n\n", f);
        put_quoted(f, label);
        fputs("\tlr\n", f);
        sqlite3_bind_int64(e, 1, sqlite3_column_int64(q, 1));
        while (sqlite3_step(e) == SQLITE_ROW) {
            fprintf(f, "%d", sqlite3_column_int(e, 0));
            put_num(f, e, 1, 1);
            fputc('\n', f);
        }
        sqlite3_reset(e);
    }
    sqlite3_finalize(q);
    sqlite3_finalize(e);
    if (fclose(f)) return err_set(err, ERR_INTERNAL, "writing sched.tsv failed");
    return n;
}

/* cost.tsv: done runs per group; cost_other.tsv: the rest that ended. */
static int write_cost(plot_ctx *c, sw_err *err) {
    FILE *f = open_data(c, "cost.tsv", err), *o = f ? open_data(c, "cost_other.tsv", err) : NULL;
    if (!f || !o) {
        if (f) fclose(f);
        return -1;
    }
    sqlite3_stmt *q = prep(c,
                           "SELECT r.train_seconds, r.test_acc, r.trial FROM runs r "
                           "WHERE r.sweep_id = ? AND " GROUP_KEY " = ? AND r.status = 'done' "
                           "AND r.test_acc IS NOT NULL ORDER BY r.trial", err);
    sqlite3_stmt *other = prep(c,
                               "SELECT coalesce(r.train_seconds, (SELECT sum(seconds) FROM epochs "
                               "WHERE run_id = r.id), 0), r.status, r.trial FROM runs r WHERE "
                               "r.status IN ('diverged', 'stopped', 'pruned', 'failed') ORDER BY r.id",
                               err);
    if (!q || !other) {
        sqlite3_finalize(q);
        sqlite3_finalize(other);
        fclose(f);
        fclose(o);
        return -1;
    }
    for (int i = 0; i < c->ngroups; i++) {
        if (i) fputs("\n\n", f);
        put_quoted(f, c->groups[i].label);
        fputs("\ttest_acc\ttrial\n", f);
        sqlite3_bind_int64(q, 1, c->groups[i].sweep_id);
        sqlite3_bind_text(q, 2, c->groups[i].key, -1, SQLITE_STATIC);
        while (sqlite3_step(q) == SQLITE_ROW) {
            fprintf(f, "%.6g", sqlite3_column_double(q, 0));
            put_num(f, q, 1, 100);
            fprintf(f, "\t%d\n", sqlite3_column_int(q, 2));
        }
        sqlite3_reset(q);
    }
    while (sqlite3_step(other) == SQLITE_ROW)
        fprintf(o, "%.6g\t%s\t%d\n", sqlite3_column_double(other, 0),
                (const char *)sqlite3_column_text(other, 1), sqlite3_column_int(other, 2));
    sqlite3_finalize(q);
    sqlite3_finalize(other);
    int bad = fclose(f) | fclose(o);
    return bad ? err_set(err, ERR_INTERNAL, "writing cost.tsv failed") : 0;
}

/* ---- the whole thing ---- */

/* history_trial.tsv, history_time.tsv: every ended run's best validation
 * accuracy (%) and status (0 done, 1 pruned, 2 diverged or failed), with
 * the best so far, in trial order and in order of finishing (seconds since
 * the sweep's first run started). Returns the number of runs. */
static int write_history(plot_ctx *c, sw_err *err) {
    static const char *const files[2] = {"history_trial.tsv", "history_time.tsv"};
    static const char *const sql[2] = {
        "SELECT r.trial, r.best_val_acc, r.status FROM runs r "
        "WHERE r.status IN ('done', 'pruned', 'diverged', 'failed') "
        "ORDER BY r.sweep_id, r.trial",
        "SELECT (julianday(r.finished_at) - (SELECT min(julianday(started_at)) FROM runs)) * 86400, "
        "r.best_val_acc, r.status FROM runs r "
        "WHERE r.status IN ('done', 'pruned', 'diverged', 'failed') AND r.finished_at IS NOT NULL "
        "ORDER BY r.finished_at, r.trial",
    };
    int n = 0;
    for (int i = 0; i < 2; i++) {
        FILE *f = open_data(c, files[i], err);
        if (!f) return -1;
        sqlite3_stmt *q = prep(c, sql[i], err);
        if (!q) { fclose(f); return -1; }
        fprintf(f, "%s\tbest_val_acc\tstatus\tbest_so_far\n", i ? "seconds" : "trial");
        double best = NAN;
        int rows = 0;
        while (sqlite3_step(q) == SQLITE_ROW) {
            const char *st = (const char *)sqlite3_column_text(q, 2);
            int code = !strcmp(st, "done") ? 0 : !strcmp(st, "pruned") ? 1 : 2;
            double v = sqlite3_column_type(q, 1) == SQLITE_NULL ? NAN : 100 * sqlite3_column_double(q, 1);
            if (!isnan(v) && (isnan(best) || v > best)) best = v;
            fprintf(f, "%.6g\t", sqlite3_column_double(q, 0));
            if (isnan(v)) fputs("?", f);
            else fprintf(f, "%.6g", v);
            fprintf(f, "\t%d\t", code);
            if (isnan(best)) fputs("?\n", f);
            else fprintf(f, "%.6g\n", best);
            rows++;
        }
        sqlite3_finalize(q);
        if (fclose(f)) return err_set(err, ERR_INTERNAL, "writing %s failed", files[i]);
        n = rows;
    }
    return n;
}

/* A colour from red (t = 0) through yellow to green (t = 1), as 0xRRGGBB. */
static int ramp(double t) {
    static const int stops[3][3] = {{0xd7, 0x30, 0x27}, {0xfe, 0xe0, 0x8b}, {0x1a, 0x98, 0x50}};
    t = t < 0 ? 0 : t > 1 ? 1 : t;
    int k = t < 0.5 ? 0 : 1;
    double u = (t - 0.5 * k) * 2;
    int rgb = 0;
    for (int ch = 0; ch < 3; ch++)
        rgb = rgb << 8 | (int)(stops[k][ch] + u * (stops[k + 1][ch] - stops[k][ch]) + 0.5);
    return rgb;
}

/* parallel.tsv: one row per done or pruned run: each swept parameter's value
 * (log10 on a log axis, the value's index on a category axis), best
 * validation accuracy (%), its colour (0xRRGGBB: red to green over the done
 * runs, grey for pruned ones) and trial. Pruned runs first, then the done
 * ones from worst to best, so the best are drawn on top. */
static int write_parallel(plot_ctx *c, const axis *axes, FILE *meta, sw_err *err) {
    FILE *f = open_data(c, "parallel.tsv", err);
    if (!f) return -1;
    double lo = 0, hi = 1;
    sqlite3_stmt *r = prep(c, "SELECT min(best_val_acc), max(best_val_acc) FROM runs WHERE status = 'done'", err);
    if (r && sqlite3_step(r) == SQLITE_ROW && sqlite3_column_type(r, 0) != SQLITE_NULL) {
        lo = 100 * sqlite3_column_double(r, 0);
        hi = 100 * sqlite3_column_double(r, 1);
    }
    sqlite3_finalize(r);
    sqlite3_stmt *q = prep(c, "SELECT r.swept, r.best_val_acc, r.status = 'pruned', r.trial FROM runs r "
                              "WHERE r.status IN ('done', 'pruned') AND r.best_val_acc IS NOT NULL "
                              "ORDER BY r.status = 'done', r.best_val_acc", err);
    if (!q) { fclose(f); return -1; }
    sqlite3_stmt *v = prep(c, "SELECT " VALUE_TEXT("?2") ", json_extract(r.swept, ?2) "
                              "FROM (SELECT ?1 AS swept) r", err);
    if (!v) { sqlite3_finalize(q); fclose(f); return -1; }
    int rows = 0;
    while (sqlite3_step(q) == SQLITE_ROW) {
        const char *swept = (const char *)sqlite3_column_text(q, 0);
        for (int k = 0; k < c->nparams; k++) {
            char path[160];
            snprintf(path, sizeof path, "$.\"%s\"", c->params[k]);
            sqlite3_bind_text(v, 1, swept, -1, SQLITE_TRANSIENT);
            sqlite3_bind_text(v, 2, path, -1, SQLITE_TRANSIENT);
            if (sqlite3_step(v) == SQLITE_ROW && sqlite3_column_type(v, 1) != SQLITE_NULL) {
                const char *text = (const char *)sqlite3_column_text(v, 0);
                double x = sqlite3_column_double(v, 1);
                if (axes[k].cat) fprintf(f, "%d\t", axis_index(&axes[k], text));
                else if (axes[k].log && x > 0) fprintf(f, "%.6g\t", log10(x));
                else fprintf(f, "%.6g\t", x);
            } else {
                fputs("?\t", f);
            }
            sqlite3_reset(v);
        }
        double acc = 100 * sqlite3_column_double(q, 1);
        int pruned = sqlite3_column_int(q, 2);
        fprintf(f, "%.6g\t%d\t%d\n", acc, pruned ? 0xc8c8c8 : ramp(hi > lo ? (acc - lo) / (hi - lo) : 1),
                sqlite3_column_int(q, 3));
        rows++;
    }
    sqlite3_finalize(v);
    sqlite3_finalize(q);
    /* Category axes get their values as tic labels. */
    for (int k = 0; k < c->nparams; k++) {
        fprintf(meta, "par_log_%d = %d\npar_cat_%d = %d\n", k + 1, axes[k].log, k + 1, axes[k].cat);
        char name[32];
        snprintf(name, sizeof name, "par_tics_%d", k + 1);
        char tics[2048] = "";
        size_t len = 0;
        for (int i = 0; axes[k].cat && i < axes[k].n && len < sizeof tics - 80; i++)
            len += (size_t)snprintf(tics + len, sizeof tics - len, "%s\"%s\" %d", i ? ", " : "(",
                                    axes[k].values[i], i);
        if (len) snprintf(tics + len, sizeof tics - len, ")");
        put_gp_string(meta, name, tics);
    }
    fprintf(meta, "nparallel = %d\npar_acc_lo = %.6g\npar_acc_hi = %.6g\n", rows, lo, hi);
    return fclose(f) ? err_set(err, ERR_INTERNAL, "writing parallel.tsv failed") : 0;
}

static int open_db(plot_ctx *c, const char *db, store **st, sw_err *err) {
    if (access(db, F_OK))
        return err_set(err, ERR_INPUT, "%s: no such database; run a sweep first", db);
    if (store_open(st, db, access(db, W_OK) != 0, err)) return -1;
    c->db = store_handle(*st);
    c->dbpath = db;
    sqlite3_stmt *q = prep(c, "SELECT (SELECT name FROM sweeps ORDER BY id DESC LIMIT 1), "
                              "(SELECT count(*) FROM sweeps), "
                              "(SELECT count(*) FROM runs WHERE status = 'done')", err);
    if (!q) return -1;
    int done = 0;
    if (sqlite3_step(q) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(q, 0);
        snprintf(c->name, sizeof c->name, "%s", name ? name : "sweep");
        c->nsweeps = sqlite3_column_int(q, 1);
        done = sqlite3_column_int(q, 2);
    }
    sqlite3_finalize(q);
    if (!done)
        return err_set(err, ERR_INPUT,
                       "%s has no finished runs yet: nothing to plot; run or finish the sweep "
                       "first (sweep run CONFIG --db %s)", db, db);
    return 0;
}

static int prepare_dirs(plot_ctx *c, const char *outdir, sw_err *err) {
    snprintf(c->outdir, sizeof c->outdir, "%s", outdir);
    snprintf(c->datadir, sizeof c->datadir, "%s/data", c->outdir);
    if (paths_mkdirs(c->datadir))
        return err_set(err, ERR_INPUT, "cannot create %s: %s; pass another -o DIR", c->datadir,
                       strerror(errno));
    char log[1300];
    snprintf(log, sizeof log, "%s/gnuplot.log", c->datadir);
    unlink(log);
    return 0;
}

static int setup(plot_ctx *c, const plot_opts *o, char *gnuplot, size_t gsize, sw_err *err) {
    memset(c, 0, sizeof *c);
    c->o = o;
    if (find_gnuplot(gnuplot, gsize))
        return err_set(err, ERR_INPUT,
                       "gnuplot is not installed; install it with: sudo apt-get install gnuplot-nox");
    if (find_scripts(c->scripts, sizeof c->scripts, o->scripts))
        return err_set(err, ERR_INPUT,
                       "cannot find the gnuplot scripts (plots/common.gp); run sweep from the "
                       "repository folder or set SWEEP_PLOTS=/path/to/plots");
    return 0;
}

/* Render script to NAME.png and NAME.svg; print the paths. */
static int render(plot_ctx *c, const char *gnuplot, const char *script, const char *name,
                  const char *extra, sw_err *err) {
    static const char *const exts[] = {"png", "svg"};
    for (int i = 0; i < 2; i++) {
        char out[1300];
        snprintf(out, sizeof out, "%s/%s.%s", c->outdir, name, exts[i]);
        if (run_gnuplot(c, gnuplot, script, out, extra, err)) return -1;
        printf("%s\n", out);
    }
    return 0;
}

int plot_db(const char *db, const plot_opts *o, sw_err *err) {
    plot_ctx c;
    char gnuplot[1100];
    if (setup(&c, o, gnuplot, sizeof gnuplot, err)) return -1;
    store *st = NULL;
    int rc = open_db(&c, db, &st, err);
    char outdir[1024];
    if (o->outdir) snprintf(outdir, sizeof outdir, "%s", o->outdir);
    else if (!rc && paths_beside_db(outdir, sizeof outdir, db, "plots"))
        rc = err_set(err, ERR_INPUT, "%s: path too long for the chart folder; pass -o DIR", db);
    axis axes[MAX_PARAMS];
    int nmarkers = 0, nsched = 0;
    if (!rc) rc = prepare_dirs(&c, outdir, err);
    if (!rc) rc = load_groups(&c, err);
    if (!rc) rc = write_curves(&c, err);
    if (!rc && (nmarkers = write_markers(&c, err)) < 0) rc = -1;
    if (!rc) rc = load_params(&c, err);
    for (int k = 0; !rc && k < c.nparams; k++)
        rc = load_axis(&c, c.params[k], &axes[k], err) || write_param(&c, k, &axes[k], err);
    c.heat = c.nparams == 2;
    if (!rc && c.heat) rc = write_heat(&c, &axes[0], &axes[1], err);
    if (!rc && (nsched = write_schedules(&c, err)) < 0) rc = -1;
    if (!rc) rc = write_cost(&c, err);
    int nhistory = 0;
    if (!rc && (nhistory = write_history(&c, err)) < 0) rc = -1;
    /* meta.gp: what the scripts need to know. */
    FILE *m = rc ? NULL : open_data(&c, "meta.gp", err);
    if (!rc && !m) rc = -1;
    if (m) {
        sqlite3_stmt *q = prep(&c, "SELECT sum(status = 'done'), sum(status = 'diverged'), "
                                   "sum(status = 'stopped'), sum(status = 'pruned'), "
                                   "sum(status = 'failed') FROM runs", err);
        int counts[5] = {0};
        if (q && sqlite3_step(q) == SQLITE_ROW)
            for (int i = 0; i < 5; i++) counts[i] = sqlite3_column_int(q, i);
        sqlite3_finalize(q);
        char title[400];
        if (c.ntotal_groups > c.ngroups)
            snprintf(title, sizeof title, "%s (best %d of %d configurations)", c.name, c.ngroups,
                     c.ntotal_groups);
        else
            snprintf(title, sizeof title, "%s", c.name);
        put_gp_string(m, "sweep", title);
        fprintf(m, "ngroups = %d\nnparams = %d\n", c.ngroups, c.nparams);
        for (int k = 0; k < c.nparams; k++) {
            char v[32], file[128];
            snprintf(v, sizeof v, "param_name_%d", k + 1);
            put_gp_string(m, v, sweep_short_key(c.params[k]));
            snprintf(file, sizeof file, "%s", c.params[k]);
            for (char *p = file; *p; p++)
                if (*p == '.') *p = '_';
            snprintf(v, sizeof v, "param_file_%d", k + 1);
            put_gp_string(m, v, file);
            fprintf(m, "param_log_%d = %d\nparam_cat_%d = %d\n", k + 1, axes[k].log, k + 1,
                    axes[k].cat);
        }
        fprintf(m, "heat = %d\nnhistory = %d\n", c.heat, nhistory);
        if (write_parallel(&c, axes, m, err)) rc = -1;
        if (c.heat) {
            put_gp_string(m, "heat_x", sweep_short_key(c.params[0]));
            put_gp_string(m, "heat_y", sweep_short_key(c.params[1]));
        }
        sqlite3_stmt *ns = prep(&c, "SELECT max(n) FROM (SELECT count(*) n FROM runs r "
                                    "GROUP BY r.sweep_id, " GROUP_KEY ")", err);
        fprintf(m, "nseeds_max = %d\n", ns && sqlite3_step(ns) == SQLITE_ROW ? sqlite3_column_int(ns, 0) : 1);
        sqlite3_finalize(ns);
        fprintf(m, "nsched = %d\nndone = %d\nn_diverged = %d\nn_stopped = %d\nn_pruned = %d\n"
                   "n_failed = %d\nnmarkers = %d\n",
                nsched, counts[0], counts[1], counts[2], counts[3], counts[4], nmarkers);
        if (fclose(m)) rc = err_set(err, ERR_INTERNAL, "writing meta.gp failed");
    }
    /* The charts. */
    if (!rc) rc = render(&c, gnuplot, "curves_acc.gp", "curves_acc", NULL, err);
    if (!rc) rc = render(&c, gnuplot, "curves_loss.gp", "curves_loss", NULL, err);
    for (int k = 0; !rc && k < c.nparams; k++) {
        char name[160], extra[32];
        snprintf(name, sizeof name, "param_%s", c.params[k]);
        for (char *p = name; *p; p++)
            if (*p == '.') *p = '_';
        snprintf(extra, sizeof extra, "param=%d", k + 1);
        rc = render(&c, gnuplot, "param.gp", name, extra, err);
    }
    if (!rc && c.heat) rc = render(&c, gnuplot, "heatmap.gp", "heatmap", NULL, err);
    if (!rc && nsched > 0) rc = render(&c, gnuplot, "schedules.gp", "schedules", NULL, err);
    if (!rc) rc = render(&c, gnuplot, "cost.gp", "cost", NULL, err);
    if (!rc) rc = render(&c, gnuplot, "history.gp", "history", NULL, err);
    if (!rc && c.nparams >= 2) rc = render(&c, gnuplot, "parallel.gp", "parallel", NULL, err);
    if (!rc) rc = render(&c, gnuplot, "overview.gp", "overview", NULL, err);
    free_groups(&c);
    store_close(st);
    return rc;
}

/* compare.tsv: the n best configurations of one database, as blocks. */
static int compare_blocks(plot_ctx *c, FILE *f, const char *tag, int *blocks, sw_err *err) {
    int n = 0, used[MAX_GROUPS] = {0};
    while (n < 3) {
        int i = -1; /* the best group not drawn yet */
        for (int j = 0; j < c->ngroups; j++)
            if (!used[j] && c->groups[j].score >= 0 && (i < 0 || c->groups[j].score > c->groups[i].score))
                i = j;
        if (i < 0) break;
        used[i] = 1;
        sqlite3_stmt *q = prep(c,
                               "SELECT e.epoch, avg(e.val_acc), min(e.val_acc), max(e.val_acc) "
                               "FROM epochs e JOIN runs r ON r.id = e.run_id WHERE r.sweep_id = ? "
                               "AND " GROUP_KEY " = ? GROUP BY e.epoch ORDER BY e.epoch", err);
        if (!q) return -1;
        sqlite3_bind_int64(q, 1, c->groups[i].sweep_id);
        sqlite3_bind_text(q, 2, c->groups[i].key, -1, SQLITE_STATIC);
        if ((*blocks)++) fputs("\n\n", f);
        char label[400];
        snprintf(label, sizeof label, "%s: %s (test %.2f%%)", tag, c->groups[i].label,
                 100 * c->groups[i].score);
        put_quoted(f, label);
        fputs("\tmean_val_acc\tmin\tmax\n", f);
        while (sqlite3_step(q) == SQLITE_ROW) {
            fprintf(f, "%d", sqlite3_column_int(q, 0));
            for (int k = 1; k <= 3; k++) put_num(f, q, k, 100);
            fputc('\n', f);
        }
        sqlite3_finalize(q);
        n++;
    }
    return n;
}

int plot_compare(const char *db_a, const char *db_b, const plot_opts *o, sw_err *err) {
    plot_ctx a, b;
    char gnuplot[1100];
    if (setup(&a, o, gnuplot, sizeof gnuplot, err) || setup(&b, o, gnuplot, sizeof gnuplot, err))
        return -1;
    store *sa = NULL, *sb = NULL;
    int rc = open_db(&a, db_a, &sa, err);
    if (!rc) rc = open_db(&b, db_b, &sb, err);
    if (!rc) rc = load_groups(&a, err) || load_groups(&b, err);
    char outdir[1024];
    if (o->outdir) snprintf(outdir, sizeof outdir, "%s", o->outdir);
    else snprintf(outdir, sizeof outdir, "experiments/compare-%s-vs-%s", a.name, b.name);
    if (!rc) rc = prepare_dirs(&a, outdir, err);
    FILE *f = rc ? NULL : open_data(&a, "compare.tsv", err);
    int blocks = 0, na = 0, nb = 0;
    if (f) {
        if ((na = compare_blocks(&a, f, a.name, &blocks, err)) < 0 ||
            (nb = compare_blocks(&b, f, b.name, &blocks, err)) < 0)
            rc = -1;
        if (fclose(f) && !rc) rc = err_set(err, ERR_INTERNAL, "writing compare.tsv failed");
    } else {
        rc = -1;
    }
    FILE *m = rc ? NULL : open_data(&a, "meta.gp", err);
    if (m) {
        put_gp_string(m, "name_a", a.name);
        put_gp_string(m, "name_b", b.name);
        fprintf(m, "n_a = %d\nn_b = %d\n", na, nb);
        if (fclose(m)) rc = err_set(err, ERR_INTERNAL, "writing meta.gp failed");
    } else if (!rc) {
        rc = -1;
    }
    if (!rc) rc = render(&a, gnuplot, "compare.gp", "compare", NULL, err);
    free_groups(&a);
    free_groups(&b);
    store_close(sa);
    store_close(sb);
    return rc;
}
