/* report.c - text tables from the store. See report.h.
 *
 * Swept values live in runs.swept, a JSON object keyed by dotted config
 * path; SQLite's json_each spreads it into rows, so grouping by a parameter
 * is a GROUP BY. Keys are shown without their section ("train.lr.initial"
 * -> "lr.initial"). */
#include "report.h"

#include "sweep.h"

#include <math.h>
#include <string.h>

static int sql_err(sw_err *err, sqlite3 *db, const char *what) {
    return err_set(err, ERR_INTERNAL, "%s: %s", what, sqlite3_errmsg(db));
}

void report_swept_text(sqlite3 *db, const char *json, char *buf, size_t size) {
    buf[0] = '\0';
    if (!json) return;
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(db,
                           "SELECT s.key, CASE s.type "
                           "WHEN 'array' THEN replace(replace(replace(s.value, '[', ''), ']', ''), ',', '-') "
                           "WHEN 'object' THEN (SELECT group_concat(m.key || ':' || CASE m.type "
                           "  WHEN 'array' THEN replace(replace(replace(m.value, '[', ''), ']', ''), ',', '-') "
                           "  WHEN 'object' THEN '{..}' ELSE m.value END, ',') FROM json_each(s.value) m) "
                           "ELSE s.value END "
                           "FROM json_each(?) s", -1, &q, NULL) != SQLITE_OK)
        return;
    sqlite3_bind_text(q, 1, json, -1, SQLITE_STATIC);
    size_t len = 0;
    while (sqlite3_step(q) == SQLITE_ROW && len < size) {
        const char *key = (const char *)sqlite3_column_text(q, 0);
        const char *val = (const char *)sqlite3_column_text(q, 1);
        len += (size_t)snprintf(buf + len, size - len, "%s%s=%s", len ? " " : "",
                                key ? sweep_short_key(key) : "?", val ? val : "null");
    }
    sqlite3_finalize(q);
}

static void pct(char *buf, size_t size, sqlite3_stmt *q, int col) {
    if (sqlite3_column_type(q, col) == SQLITE_NULL) snprintf(buf, size, "-");
    else snprintf(buf, size, "%.2f%%", 100 * sqlite3_column_double(q, col));
}

int report_summary(store *st, int64_t sweep_id, FILE *out, int limit, sw_err *err) {
    sqlite3 *db = store_handle(st);
    sqlite3_stmt *q;
    const char *sql =
        "SELECT trial, swept, status, best_epoch, best_val_acc, test_acc, train_seconds, "
        "count(*) OVER () FROM runs WHERE sweep_id = ? "
        "ORDER BY status = 'done' DESC, test_acc DESC NULLS LAST, trial LIMIT ?";
    if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) != SQLITE_OK)
        return sql_err(err, db, "summary query");
    sqlite3_bind_int64(q, 1, sweep_id);
    sqlite3_bind_int(q, 2, limit);
    int rows = 0, total = 0;
    while (sqlite3_step(q) == SQLITE_ROW) {
        if (!rows++)
            fprintf(out, "%5s  %-9s %5s %8s %8s %8s  %s\n", "trial", "status", "best", "val",
                    "test", "seconds", "settings");
        char swept[512], val[16], test[16], best[16] = "-", secs[16] = "-";
        report_swept_text(db, (const char *)sqlite3_column_text(q, 1), swept, sizeof swept);
        pct(val, sizeof val, q, 4);
        pct(test, sizeof test, q, 5);
        if (sqlite3_column_type(q, 3) != SQLITE_NULL)
            snprintf(best, sizeof best, "%d", sqlite3_column_int(q, 3));
        if (sqlite3_column_type(q, 6) != SQLITE_NULL)
            snprintf(secs, sizeof secs, "%.1f", sqlite3_column_double(q, 6));
        fprintf(out, "%5d  %-9s %5s %8s %8s %8s  %s\n", sqlite3_column_int(q, 0),
                (const char *)sqlite3_column_text(q, 2), best, val, test, secs, swept);
        total = sqlite3_column_int(q, 7);
    }
    sqlite3_finalize(q);
    if (total > rows) fprintf(out, "(%d more: sweep report shows them all)\n", total - rows);
    return 0;
}

void report_mean_std(int n, double s, double s2, double *mean, double *std) {
    *mean = n ? s / n : NAN;
    double var = n > 1 ? (s2 - s * s / n) / (n - 1) : 0.0;
    *std = var > 0 ? sqrt(var) : 0.0;
}

int report_db(store *st, FILE *out, int top, sw_err *err) {
    sqlite3 *db = store_handle(st);
    sqlite3_stmt *q;
    /* Counts by status, per sweep. */
    if (sqlite3_prepare_v2(db,
                           "SELECT s.name, count(r.id), sum(r.status = 'done'), "
                           "sum(r.status = 'running'), sum(r.status = 'pending'), "
                           "sum(r.status = 'failed'), sum(r.status = 'diverged'), "
                           "sum(r.status = 'stopped'), sum(r.status = 'pruned'), "
                           "sum(r.train_seconds), "
                           /* What pruning saved: each pruned run's untrained epochs at
                            * its own mean epoch time. */
                           "sum(CASE WHEN r.status = 'pruned' THEN (r.epochs - "
                           "(SELECT count(*) FROM epochs e WHERE e.run_id = r.id)) * "
                           "(SELECT avg(e.seconds) FROM epochs e WHERE e.run_id = r.id) END), "
                           "sum(CASE WHEN r.status = 'pruned' THEN r.epochs - "
                           "(SELECT count(*) FROM epochs e WHERE e.run_id = r.id) END) "
                           "FROM sweeps s LEFT JOIN runs r ON r.sweep_id = s.id "
                           "GROUP BY s.id ORDER BY s.id", -1, &q, NULL) != SQLITE_OK)
        return sql_err(err, db, "report query");
    while (sqlite3_step(q) == SQLITE_ROW) {
        fprintf(out,
                "sweep %s: %d trials: %d done, %d running, %d pending, %d failed, %d diverged, "
                "%d stopped, %d pruned; %.0f s of training\n",
                sqlite3_column_text(q, 0), sqlite3_column_int(q, 1), sqlite3_column_int(q, 2),
                sqlite3_column_int(q, 3), sqlite3_column_int(q, 4), sqlite3_column_int(q, 5),
                sqlite3_column_int(q, 6), sqlite3_column_int(q, 7), sqlite3_column_int(q, 8),
                sqlite3_column_double(q, 9));
        if (sqlite3_column_int(q, 8) > 0)
            fprintf(out, "  early termination: %d epochs not trained, about %.0f s of training "
                    "saved\n", sqlite3_column_int(q, 11), sqlite3_column_double(q, 10));
    }
    sqlite3_finalize(q);

    /* The best single runs. */
    if (sqlite3_prepare_v2(db,
                           "SELECT sweep, trial, swept, best_epoch, best_val_acc, test_acc, seconds "
                           "FROM results WHERE test_acc IS NOT NULL ORDER BY test_acc DESC, "
                           "best_val_acc DESC LIMIT ?", -1, &q, NULL) != SQLITE_OK)
        return sql_err(err, db, "report query");
    sqlite3_bind_int(q, 1, top < 5 ? top : 5);
    for (int rows = 0; sqlite3_step(q) == SQLITE_ROW; rows++) {
        if (!rows)
            fprintf(out, "\nbest runs:\n%-12s %5s %5s %8s %8s %8s  %s\n", "sweep", "trial", "epoch",
                    "val", "test", "seconds", "settings");
        char swept[512];
        report_swept_text(db, (const char *)sqlite3_column_text(q, 2), swept, sizeof swept);
        fprintf(out, "%-12s %5d %5d %7.2f%% %7.2f%% %8.1f  %s\n", sqlite3_column_text(q, 0),
                sqlite3_column_int(q, 1), sqlite3_column_int(q, 3),
                100 * sqlite3_column_double(q, 4), 100 * sqlite3_column_double(q, 5),
                sqlite3_column_double(q, 6), swept);
    }
    sqlite3_finalize(q);

    /* Best configurations: runs of one sweep that differ only in train.seed
     * averaged. Several sweeps in one file are kept apart. */
    int nsweeps = 0;
    if (sqlite3_prepare_v2(db, "SELECT count(DISTINCT sweep_id) FROM results", -1, &q, NULL) ==
        SQLITE_OK) {
        if (sqlite3_step(q) == SQLITE_ROW) nsweeps = sqlite3_column_int(q, 0);
        sqlite3_finalize(q);
    }
    const char *best_sql =
        "SELECT json_remove(swept, '$.\"train.seed\"') AS cfg, count(*), sum(test_acc), "
        "sum(test_acc * test_acc), avg(best_val_acc), avg(seconds), max(test_acc), "
        "sweep || '#' || sweep_id FROM results WHERE test_acc IS NOT NULL "
        "GROUP BY sweep_id, cfg ORDER BY avg(test_acc) DESC LIMIT ?";
    if (sqlite3_prepare_v2(db, best_sql, -1, &q, NULL) != SQLITE_OK)
        return sql_err(err, db, "report query");
    sqlite3_bind_int(q, 1, top);
    int rows = 0;
    while (sqlite3_step(q) == SQLITE_ROW) {
        if (!rows++)
            fprintf(out, "\nbest configurations (test accuracy, mean +- std over seeds):\n"
                         "%4s %18s %9s %8s %8s  %s\n", "runs", "test", "max", "val", "seconds",
                    "settings");
        char swept[512];
        report_swept_text(db, (const char *)sqlite3_column_text(q, 0), swept, sizeof swept);
        double mean, std;
        int n = sqlite3_column_int(q, 1);
        report_mean_std(n, sqlite3_column_double(q, 2), sqlite3_column_double(q, 3), &mean, &std);
        fprintf(out, "%4d %10.2f +- %4.2f %8.2f%% %7.2f%% %8.1f  %s%s%s\n", n, 100 * mean,
                100 * std, 100 * sqlite3_column_double(q, 6), 100 * sqlite3_column_double(q, 4),
                sqlite3_column_double(q, 5), nsweeps > 1 ? (const char *)sqlite3_column_text(q, 7) : "",
                nsweeps > 1 ? ": " : "", swept[0] ? swept : "(one configuration)");
    }
    sqlite3_finalize(q);
    if (!rows) {
        fprintf(out, "no finished runs yet\n");
        return 0;
    }

    /* Each swept parameter: test accuracy per value. */
    const char *param_sql =
        "SELECT j.key, CASE WHEN j.type = 'array' THEN replace(replace(replace(j.value, '[', ''), "
        "']', ''), ',', '-') ELSE j.value END, count(*), sum(r.test_acc), "
        "sum(r.test_acc * r.test_acc), r.sweep || '#' || r.sweep_id "
        "FROM results r, json_each(r.swept) j "
        "WHERE r.test_acc IS NOT NULL GROUP BY r.sweep_id, j.key, j.value "
        "ORDER BY r.sweep_id, j.key, j.type, j.value";
    if (sqlite3_prepare_v2(db, param_sql, -1, &q, NULL) != SQLITE_OK)
        return sql_err(err, db, "report query");
    char last[512] = "";
    while (sqlite3_step(q) == SQLITE_ROW) {
        const char *key = (const char *)sqlite3_column_text(q, 0);
        const char *sw = (const char *)sqlite3_column_text(q, 5);
        if (!key || !sw) continue;
        char head[512];
        snprintf(head, sizeof head, "%s%s%s", nsweeps > 1 ? sw : "", nsweeps > 1 ? ": " : "", key);
        if (strcmp(head, last)) {
            fprintf(out, "\n%s (test accuracy over all runs with each value):\n", head);
            snprintf(last, sizeof last, "%s", head);
        }
        double mean, std;
        int n = sqlite3_column_int(q, 2);
        report_mean_std(n, sqlite3_column_double(q, 3), sqlite3_column_double(q, 4), &mean, &std);
        fprintf(out, "  %-16s %7.2f%% +- %.2f  (%d runs)\n", sqlite3_column_text(q, 1), 100 * mean,
                100 * std, n);
    }
    sqlite3_finalize(q);
    return 0;
}
