/* shards.c - merging shard databases into one, and their progress.
 *
 * Merge works on a copy: OUT.merging-PID beside OUT (a backup of OUT when
 * it exists, else a new database), with SQLite's journal off (the copy is
 * thrown away on any error, so it needs no rollback), filled shard by shard
 * through ATTACH and INSERT ... SELECT, synced, and renamed over OUT. A kill
 * at any moment leaves OUT as it was (and at worst a stale .merging-PID
 * file). The column lists come from PRAGMA table_info, so rows are copied
 * whole whatever the schema version adds; the only other SQL text built at
 * run time. */
#include "shards.h"

#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store.h"

/* How finished a run is: a merge replaces a trial's row only by a higher one. */
#define RANK(col) \
    "(CASE " col " WHEN 'done' THEN 3 WHEN 'pruned' THEN 3 WHEN 'diverged' THEN 3 " \
    "WHEN 'failed' THEN 2 WHEN 'stopped' THEN 1 WHEN 'running' THEN 1 ELSE 0 END)"

static int sql_fail(sqlite3 *db, const char *file, const char *what, sw_err *err) {
    int code = sqlite3_errcode(db);
    if (code == SQLITE_NOTADB)
        return err_set(err, ERR_INPUT, "%s is not a SQLite database: not a shard; pass the "
                       "NAME.shard-K-of-N.db files that sweep run --shard wrote", file);
    if (code == SQLITE_CORRUPT)
        return err_set(err, ERR_INPUT, "%s is a damaged SQLite database (%s): move it away and "
                       "run its shard again (sweep run --shard K/N starts it afresh)", file,
                       sqlite3_errmsg(db));
    if (code == SQLITE_FULL || code == SQLITE_IOERR)
        return err_set(err, ERR_INPUT, "%s: %s while %s; free some disk space and merge again",
                       file, sqlite3_errmsg(db), what);
    return err_set(err, ERR_INTERNAL, "%s: %s while %s", file, sqlite3_errmsg(db), what);
}

static int exec(sqlite3 *db, const char *sql, const char *file, const char *what, sw_err *err) {
    return sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0
                                                                 : sql_fail(db, file, what, err);
}

/* A statement with up to three integer and one text parameter (?1..?3, ?4). */
static sqlite3_stmt *prep(sqlite3 *db, const char *sql, const char *file, sw_err *err) {
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        sql_fail(db, file, "reading it", err);
        return NULL;
    }
    return st;
}

/* Run st to its end; its changes in *changes (if not NULL). Finalizes st. */
static int run(sqlite3 *db, sqlite3_stmt *st, const char *file, const char *what, int *changes,
               sw_err *err) {
    int rc = sqlite3_step(st);
    while (rc == SQLITE_ROW) rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) return sql_fail(db, file, what, err);
    if (changes) *changes = sqlite3_changes(db);
    return 0;
}

/* "a, b, c" of table's columns but skip (a comma-separated list), prefixed. */
static int columns(sqlite3 *db, const char *table, const char *skip, const char *prefix, char *buf,
                   size_t size, sw_err *err) {
    char sql[128];
    snprintf(sql, sizeof sql, "SELECT name FROM pragma_table_info('%s') ORDER BY cid", table);
    sqlite3_stmt *st = prep(db, sql, "the merged database", err);
    if (!st) return -1;
    size_t len = 0;
    buf[0] = '\0';
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *c = (const char *)sqlite3_column_text(st, 0);
        char probe[80];
        snprintf(probe, sizeof probe, ",%s,", c);
        char skips[256];
        snprintf(skips, sizeof skips, ",%s,", skip);
        if (strstr(skips, probe)) continue;
        len += (size_t)snprintf(buf + len, size - len, "%s%s%s", len ? ", " : "", prefix, c);
        if (len >= size) break;
    }
    sqlite3_finalize(st);
    if (len >= size || !len) return err_set(err, ERR_INTERNAL, "the columns of %s", table);
    return 0;
}

/* The first line where two config texts differ, for the refusal. */
static void first_difference(const char *a, const char *b, char *buf, size_t size) {
    int line = 1;
    size_t i = 0, start = 0;
    for (; a[i] && a[i] == b[i]; i++)
        if (a[i] == '\n') line++, start = i + 1;
    int la = (int)strcspn(a + start, "\n"), lb = (int)strcspn(b + start, "\n");
    snprintf(buf, size, "line %d: '%.*s' against '%.*s'", line, la > 60 ? 60 : la, a + start,
             lb > 60 ? 60 : lb, b + start);
}

typedef struct merge_ctx {
    sqlite3 *db;
    const char *out;
    char run_cols[2048], run_sel[2048], ep_cols[512], ep_sel[512];
    char *config, *config_file;  /* the first shard's resolved config, and its file */
    int64_t main_id;             /* the sweeps row in the merged database */
    int merged_n;                /* its N from earlier merges ('*' '/N'), 0 if none */
    int nshards;                 /* N of K/N, 0 until a shard says */
    int *seen, *trials;          /* per K: merged here, and its trial count */
    int created;                 /* the merged sweeps row is new (not in OUT before) */
} merge_ctx;

/* The sweeps row for the shard's sweep in the merged database. */
static int main_sweep(merge_ctx *m, int64_t shard_id, const char *file, sw_err *err) {
    sqlite3_stmt *st = prep(m->db, "SELECT m.id, m.shard FROM main.sweeps m JOIN sh.sweeps s ON "
                            "s.id = ?1 AND m.name = s.name AND m.config = s.config ORDER BY m.id "
                            "LIMIT 1", file, err);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, shard_id);
    int rc = sqlite3_step(st);
    m->merged_n = 0;
    if (rc == SQLITE_ROW) {
        m->main_id = sqlite3_column_int64(st, 0);
        const char *shard = (const char *)sqlite3_column_text(st, 1);
        if (shard) sscanf(shard, "*/%d", &m->merged_n);
    }
    sqlite3_finalize(st);
    if (rc == SQLITE_ROW) return 0;
    if (rc != SQLITE_DONE) return sql_fail(m->db, file, "reading its sweep", err);
    if (!(st = prep(m->db, "INSERT INTO main.sweeps(name, config, created_at, host, version) "
                    "SELECT name, config, created_at, host, version FROM sh.sweeps WHERE id = ?1",
                    file, err)))
        return -1;
    sqlite3_bind_int64(st, 1, shard_id);
    if (run(m->db, st, file, "adding its sweep", NULL, err)) return -1;
    m->main_id = sqlite3_last_insert_rowid(m->db);
    m->created = 1;
    return 0;
}

/* Note shard "K/N" with `trials` trials as merged. Shards of another N
 * than those merged before, here or into out earlier (a merged sweeps row's
 * shard is '*' and the N, as in '*' '/4'), are refused: with TPE or early
 * termination they are another search, whose trials would be taken for the
 * ones already merged. */
static int note_shard(merge_ctx *m, const char *shard, int trials, const char *file, sw_err *err) {
    int k, n;
    if (!shard || sscanf(shard, "%d/%d", &k, &n) != 2 || n < 1 || k < 0 || k >= n) return 0;
    if (m->nshards && n != m->nshards)
        return err_set(err, ERR_INPUT, "%s is shard %s, but the shards before it are of %d: merge "
                       "the shards of one run of sweep slurm --tasks N (or --shard K/N) at a time",
                       file, shard, m->nshards);
    if (m->merged_n && m->merged_n != n)
        return err_set(err, ERR_INPUT, "%s is shard %s, but %s holds this sweep merged from %d "
                       "shards: merge the shards of one run of sweep slurm --tasks N into one "
                       "file (these into another)", file, shard, m->out, m->merged_n);
    if (!m->nshards) {
        m->nshards = n;
        m->seen = calloc((size_t)n, sizeof *m->seen);
        m->trials = calloc((size_t)n, sizeof *m->trials);
        if (!m->seen || !m->trials) return err_set(err, ERR_INTERNAL, "out of memory (%s)", file);
    }
    m->seen[k] = 1;
    m->trials[k] = trials;
    return 0;
}

/* Copy the runs and epochs of the attached shard's sweep shard_id. */
static int copy_rows(merge_ctx *m, int64_t shard_id, const char *file, int *runs, int *epochs,
                     int *unfinished, sw_err *err) {
    char sql[6144];
    sqlite3_stmt *st;
    int n;
    if (exec(m->db, "DELETE FROM temp.pick", file, "merging", err)) return -1;
    if (!(st = prep(m->db, "INSERT INTO temp.pick(trial) SELECT r.trial FROM sh.runs r "
                    "LEFT JOIN main.runs m ON m.sweep_id = ?1 AND m.trial = r.trial "
                    "WHERE r.sweep_id = ?2 AND (m.id IS NULL OR " RANK("r.status") " > "
                    RANK("m.status") ")", file, err)))
        return -1;
    sqlite3_bind_int64(st, 1, m->main_id);
    sqlite3_bind_int64(st, 2, shard_id);
    if (run(m->db, st, file, "choosing its runs", NULL, err)) return -1;
    static const char *const clear[] = {
        "DELETE FROM main.epochs WHERE run_id IN (SELECT id FROM main.runs WHERE sweep_id = ?1 "
        "AND trial IN (SELECT trial FROM temp.pick))",
        "DELETE FROM main.runs WHERE sweep_id = ?1 AND trial IN (SELECT trial FROM temp.pick)"};
    for (int i = 0; i < 2; i++) {
        if (!(st = prep(m->db, clear[i], file, err))) return -1;
        sqlite3_bind_int64(st, 1, m->main_id);
        if (run(m->db, st, file, "replacing less finished runs", NULL, err)) return -1;
    }
    snprintf(sql, sizeof sql, "INSERT INTO main.runs(sweep_id, %s) SELECT ?1, %s FROM sh.runs r "
             "WHERE r.sweep_id = ?2 AND r.trial IN (SELECT trial FROM temp.pick) ORDER BY r.trial",
             m->run_cols, m->run_sel);
    if (!(st = prep(m->db, sql, file, err))) return -1;
    sqlite3_bind_int64(st, 1, m->main_id);
    sqlite3_bind_int64(st, 2, shard_id);
    if (run(m->db, st, file, "copying its runs", runs, err)) return -1;
    snprintf(sql, sizeof sql, "INSERT INTO main.epochs(run_id, %s) SELECT m.id, %s "
             "FROM sh.runs r JOIN sh.epochs e ON e.run_id = r.id "
             "JOIN main.runs m ON m.sweep_id = ?1 AND m.trial = r.trial "
             "WHERE r.sweep_id = ?2 AND r.trial IN (SELECT trial FROM temp.pick) "
             "ORDER BY m.id, e.epoch", m->ep_cols, m->ep_sel);
    if (!(st = prep(m->db, sql, file, err))) return -1;
    sqlite3_bind_int64(st, 1, m->main_id);
    sqlite3_bind_int64(st, 2, shard_id);
    if (run(m->db, st, file, "copying its epochs", epochs, err)) return -1;
    if (!(st = prep(m->db, "SELECT count(*) FROM sh.runs WHERE sweep_id = ?1 AND status IN "
                    "('pending', 'running', 'stopped')", file, err)))
        return -1;
    sqlite3_bind_int64(st, 1, shard_id);
    n = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
    sqlite3_finalize(st);
    *unfinished += n;
    return 0;
}

/* Check the attached shard and copy its rows. */
static int merge_shard(merge_ctx *m, const char *file, FILE *msg, sw_err *err) {
    sqlite3_stmt *st = prep(m->db, "SELECT (SELECT group_concat(name, ', ') FROM sh.sqlite_master "
                            "WHERE type = 'table'), (SELECT count(*) FROM sh.sqlite_master WHERE "
                            "type = 'table' AND name IN ('sweeps', 'runs', 'epochs'))", file, err);
    if (!st) return -1;
    if (sqlite3_step(st) != SQLITE_ROW) {
        sqlite3_finalize(st);
        return sql_fail(m->db, file, "reading it", err);
    }
    const char *tables = (const char *)sqlite3_column_text(st, 0);
    int ours = sqlite3_column_int(st, 1), version = -1;
    sqlite3_stmt *v = ours >= 3 ? prep(m->db, "PRAGMA sh.user_version", file, err) : NULL;
    if (v && sqlite3_step(v) == SQLITE_ROW) version = sqlite3_column_int(v, 0);
    sqlite3_finalize(v);
    if (ours >= 3 && version < 0) {
        sqlite3_finalize(st);
        return v ? sql_fail(m->db, file, "reading its schema version", err) : -1;
    }
    int rc = 0;
    if (ours < 3)
        rc = err_set(err, ERR_INPUT, "%s is %s, not a sweep database (tables: %s); pass the "
                     "NAME.shard-K-of-N.db files that sweep run --shard wrote", file,
                     tables ? "a SQLite database" : "an empty SQLite file", tables ? tables : "none");
    else if (version > STORE_SCHEMA_VERSION)
        rc = err_set(err, ERR_INPUT, "%s has schema version %d, this sweep merges version %d: "
                     "merge it with the newer sweep that wrote it", file, version,
                     STORE_SCHEMA_VERSION);
    else if (version != STORE_SCHEMA_VERSION)
        rc = err_set(err, ERR_INPUT, "%s has schema version %d, this sweep merges version %d: "
                     "merge it with the sweep that wrote it, or open it once with this one "
                     "(sweep report %s) to migrate it", file, version, STORE_SCHEMA_VERSION, file);
    sqlite3_finalize(st);
    if (rc) return rc;

    if (!(st = prep(m->db, "SELECT id, name, config, shard, coalesce(trials, 0) FROM sh.sweeps "
                    "ORDER BY id", file, err)))
        return -1;
    int nsweeps = 0, runs = 0, epochs = 0, unfinished = 0;
    char label[64] = "";
    while (!rc && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(st, 0);
        const char *config = (const char *)sqlite3_column_text(st, 2);
        const char *shard = (const char *)sqlite3_column_text(st, 3);
        if (!config) config = "";
        if (!m->config) {
            m->config = strdup(config);
            m->config_file = strdup(file);
            if (!m->config || !m->config_file) {
                sqlite3_finalize(st);
                return err_set(err, ERR_INTERNAL, "out of memory");
            }
        } else if (strcmp(m->config, config)) {
            char diff[256];
            first_difference(config, m->config, diff, sizeof diff);
            sqlite3_finalize(st);
            if (nsweeps)
                return err_set(err, ERR_INPUT, "%s holds two sweeps: its config changed between "
                               "runs of this shard (at %s); a merge takes one sweep per file: run "
                               "the shard again into a new file (--db) and merge that", file, diff);
            return err_set(err, ERR_INPUT, "%s is a shard of another sweep than %s (its resolved "
                           "config differs at %s); merge the shards of one sweep only", file,
                           m->config_file, diff);
        }
        int r = 0, e = 0;
        if (shard) snprintf(label, sizeof label, "shard %s", shard);
        rc = main_sweep(m, id, file, err) || note_shard(m, shard, sqlite3_column_int(st, 4), file, err) ||
             copy_rows(m, id, file, &r, &e, &unfinished, err) ? -1 : 0;
        runs += r;
        epochs += e;
        nsweeps++;
    }
    sqlite3_finalize(st);
    if (rc < 0) return -1;
    if (rc != SQLITE_DONE) return sql_fail(m->db, file, "reading its sweeps", err);
    if (!nsweeps) {
        fprintf(msg, "%s: no sweep in it yet (its task has not trained anything); skipped\n", file);
        return 0;
    }
    fprintf(msg, "%s: %s%s%d run%s and %d epoch rows added", file, label, label[0] ? ", " : "",
            runs, runs == 1 ? "" : "s", epochs);
    if (unfinished)
        fprintf(msg, "; %d of its trials are not finished (merge again when its task is)",
                unfinished);
    fputc('\n', msg);
    return 0;
}

static int attach_merge(merge_ctx *m, const char *file, FILE *msg, sw_err *err) {
    struct stat sb;
    int missing = stat(file, &sb) != 0 ? errno : 0;
    if (missing || !S_ISREG(sb.st_mode))
        return err_set(err, ERR_INPUT, "%s: %s; pass the shard databases that sweep run --shard "
                       "wrote", file, missing == ENOENT ? "no such file"
                                      : missing ? strerror(missing) : "not a regular file");
    sqlite3_stmt *st = prep(m->db, "ATTACH DATABASE ?1 AS sh", file, err);
    if (!st) return -1;
    sqlite3_bind_text(st, 1, file, -1, SQLITE_TRANSIENT);
    if (run(m->db, st, file, "opening it", NULL, err)) return -1;
    int rc = exec(m->db, "BEGIN", file, "merging", err) || merge_shard(m, file, msg, err) ||
             exec(m->db, "COMMIT", file, "merging", err) ? -1 : 0;
    if (rc) sqlite3_exec(m->db, "ROLLBACK", NULL, NULL, NULL);
    sqlite3_exec(m->db, "DETACH DATABASE sh", NULL, NULL, NULL);
    return rc;
}

/* path's -wal, -shm and -journal files too. */
static void remove_db(const char *path) {
    static const char *const ext[] = {"", "-wal", "-shm", "-journal"};
    for (int i = 0; i < 4; i++) {
        char p[PATH_MAX + 400];
        snprintf(p, sizeof p, "%s%s", path, ext[i]);
        unlink(p);
    }
}

/* fsync path (a file, or a folder). */
static void sync_path(const char *path) {
    int fd = open(path, O_RDONLY);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
}

/* err's message with every `from` replaced by `to` (the copy's name by OUT's). */
static void rename_in_message(sw_err *err, const char *from, const char *to) {
    char buf[sizeof err->msg];
    const char *p = err->msg, *hit;
    size_t len = 0;
    while ((hit = strstr(p, from)) && len < sizeof buf) {
        len += (size_t)snprintf(buf + len, sizeof buf - len, "%.*s%s", (int)(hit - p), p, to);
        p = hit + strlen(from);
    }
    if (len < sizeof buf) snprintf(buf + len, sizeof buf - len, "%s", p);
    snprintf(err->msg, sizeof err->msg, "%s", buf);
}

/* The copy to work on: a backup of out when it exists (read through a plain
 * connection: out itself is not changed), else an empty file. */
static int start_copy(const char *out, const char *tmp, sw_err *err) {
    remove_db(tmp);
    if (access(out, F_OK)) return 0;
    sqlite3 *src = NULL, *dst = NULL;
    int rc = sqlite3_open_v2(out, &src, SQLITE_OPEN_READWRITE, NULL);
    if (rc == SQLITE_OK) sqlite3_busy_timeout(src, 10000);
    if (rc == SQLITE_OK) rc = sqlite3_open(tmp, &dst);
    sqlite3_backup *b = rc == SQLITE_OK ? sqlite3_backup_init(dst, "main", src, "main") : NULL;
    if (b) {
        while ((rc = sqlite3_backup_step(b, -1)) == SQLITE_OK || rc == SQLITE_BUSY ||
               rc == SQLITE_LOCKED)
            sqlite3_sleep(50);
        sqlite3_backup_finish(b);
        if (rc == SQLITE_DONE) rc = SQLITE_OK;
    } else if (rc == SQLITE_OK) {
        rc = sqlite3_errcode(dst);
    }
    sqlite3_close(src);
    sqlite3_close(dst);
    if (rc == SQLITE_OK) return 0;
    remove_db(tmp);
    if (rc == SQLITE_NOTADB)
        return err_set(err, ERR_INPUT, "%s is not a SQLite database; merge into another file", out);
    return err_set(err, ERR_INPUT, "%s: cannot read it to merge into (%s)", out, sqlite3_errstr(rc));
}

/* Put the finished copy in out's place. An existing out is first taken out
 * of WAL mode (its -wal file would otherwise be read as the new file's) and
 * held locked until the rename. */
static int replace_out(const char *out, const char *tmp, sw_err *err) {
    sqlite3 *db = NULL;
    int rc = 0;
    if (!access(out, F_OK)) {
        char mode[16] = "";
        sqlite3_stmt *st = NULL;
        if (sqlite3_open_v2(out, &db, SQLITE_OPEN_READWRITE, NULL) == SQLITE_OK &&
            sqlite3_busy_timeout(db, 10000) == SQLITE_OK &&
            sqlite3_prepare_v2(db, "PRAGMA journal_mode = DELETE", -1, &st, NULL) == SQLITE_OK &&
            sqlite3_step(st) == SQLITE_ROW)
            snprintf(mode, sizeof mode, "%s", (const char *)sqlite3_column_text(st, 0));
        sqlite3_finalize(st);
        if (strcmp(mode, "delete") ||
            sqlite3_exec(db, "BEGIN EXCLUSIVE", NULL, NULL, NULL) != SQLITE_OK)
            rc = err_set(err, ERR_INPUT, "%s is open in another process (a sweep run or report, an "
                         "sqlite3 shell?); close it and merge again", out);
    } else {
        char p[PATH_MAX + 64];  /* files a deleted out may have left */
        snprintf(p, sizeof p, "%s-wal", out);
        unlink(p);
        snprintf(p, sizeof p, "%s-shm", out);
        unlink(p);
        snprintf(p, sizeof p, "%s-journal", out);
        unlink(p);
    }
    if (!rc) {
        sync_path(tmp);
        if (rename(tmp, out))
            rc = err_set(err, ERR_INPUT, "%s: cannot rename %s to it: %s", out, tmp, strerror(errno));
    }
    sqlite3_close(db);  /* its lock was on the old file */
    return rc;
}

/* The merge itself, under the lock. */
static int merge_locked(const char *out, const char *tmp, char *const *paths, int n, FILE *msg,
                        sw_err *err) {
    if (start_copy(out, tmp, err)) return -1;
    store *s = NULL;
    merge_ctx m;
    memset(&m, 0, sizeof m);
    m.out = out;
    int rc = store_open(&s, tmp, 0, err);
    if (rc) rename_in_message(err, tmp, out);
    if (!rc) {
        m.db = store_handle(s);
        rc = exec(m.db, "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; "
                  "PRAGMA temp_store = MEMORY; PRAGMA cache_size = -65536; "
                  "CREATE TEMP TABLE pick(trial INTEGER PRIMARY KEY)", out, "starting", err) ||
             columns(m.db, "runs", "id,sweep_id", "", m.run_cols, sizeof m.run_cols, err) ||
             columns(m.db, "runs", "id,sweep_id", "r.", m.run_sel, sizeof m.run_sel, err) ||
             columns(m.db, "epochs", "run_id", "", m.ep_cols, sizeof m.ep_cols, err) ||
             columns(m.db, "epochs", "run_id", "e.", m.ep_sel, sizeof m.ep_sel, err) ? -1 : 0;
    }
    for (int i = 0; i < n && !rc; i++) rc = attach_merge(&m, paths[i], msg, err);
    if (!rc && m.nshards) {
        /* The merged sweep is of N shards from now on (see note_shard). */
        sqlite3_stmt *st = prep(m.db, "UPDATE sweeps SET shard = '*/' || ?1 WHERE id = ?2 AND "
                                "shard IS NULL", out, err);
        if (st) {
            sqlite3_bind_int(st, 1, m.nshards);
            sqlite3_bind_int64(st, 2, m.main_id);
        }
        rc = st ? run(m.db, st, out, "recording the shards", NULL, err) : -1;
    }
    if (!rc && m.nshards) {
        /* All N shards merged here: the merged sweep's trial count. */
        int all = 1, total = 0;
        for (int k = 0; k < m.nshards; k++) all &= m.seen[k], total += m.trials[k];
        sqlite3_stmt *st = all ? prep(m.db, "UPDATE sweeps SET trials = ?1 WHERE id = ?2", out, err)
                               : NULL;
        if (st) {
            sqlite3_bind_int(st, 1, total);
            sqlite3_bind_int64(st, 2, m.main_id);
            rc = run(m.db, st, out, "counting trials", NULL, err);
        } else if (all) {
            rc = -1;
        } else if (m.created) {
            fprintf(msg, "%s: not all %d shards are merged yet:", out, m.nshards);
            for (int k = 0; k < m.nshards; k++)
                if (!m.seen[k]) fprintf(msg, " %d", k);
            fprintf(msg, " missing\n");
        }
    }
    if (!rc) rc = exec(m.db, "PRAGMA journal_mode = DELETE", out, "finishing", err);
    store_close(s);
    free(m.config);
    free(m.config_file);
    free(m.seen);
    free(m.trials);
    if (!rc) rc = replace_out(out, tmp, err);
    if (rc) {
        remove_db(tmp);
        return -1;
    }
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", out);
    char *slash = strrchr(dir, '/');
    if (slash) *slash = '\0';
    sync_path(slash ? dir : ".");
    return 0;
}

int shards_merge(const char *out, char *const *paths, int n, FILE *msg, sw_err *err) {
    char outreal[PATH_MAX];
    int have_out = realpath(out, outreal) != NULL;
    if (have_out && access(out, W_OK))
        return err_set(err, ERR_INPUT, "%s is not writable (%s); make it writable (chmod u+w) or "
                       "merge into another file", out, strerror(errno));
    for (int i = 0; i < n && have_out; i++) {
        char a[PATH_MAX];
        if (realpath(paths[i], a) && !strcmp(a, outreal))
            return err_set(err, ERR_INPUT, "%s is both the output and a shard; merge into a new "
                           "file", out);
    }
    /* One merge into out at a time (two would each drop the other's rows):
     * an fcntl lock on OUT.lock, which also holds across NFS. */
    char lock[PATH_MAX + 16], tmp[PATH_MAX + 300], host[256] = "host";
    snprintf(lock, sizeof lock, "%s.lock", out);
    int fd = open(lock, O_RDWR | O_CREAT, 0644);
    if (fd < 0)
        return err_set(err, ERR_INPUT, "%s: cannot create the merge's lock file: %s; is the folder "
                       "writable?", lock, strerror(errno));
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
    int locked = !fcntl(fd, F_SETLK, &fl);
    if (!locked && (errno == EACCES || errno == EAGAIN)) {
        fprintf(msg, "%s: another merge into it is running; waiting for it to end\n", out);
        fflush(msg);
        while (!(locked = !fcntl(fd, F_SETLKW, &fl)) && errno == EINTR) {}
    }
    if (!locked) {
        int e = errno;
        close(fd);
        return err_set(err, ERR_INPUT, "%s: cannot lock it (%s), so two merges could overwrite "
                       "each other; merge into a file on a local disk or one with working locks",
                       lock, strerror(e));
    }
    gethostname(host, sizeof host - 1);
    snprintf(tmp, sizeof tmp, "%s.merging-%s-%ld", out, host, (long)getpid());
    int rc = merge_locked(out, tmp, paths, n, msg, err);
    close(fd);  /* releases the lock */
    return rc;
}

/* ---- status ---- */

typedef struct shard_row {
    char path[PATH_MAX];
    int k, n;           /* from the sweeps row (or the name); n 0: not a shard */
    int readable;
} shard_row;

/* K and N from "NAME.shard-K-of-N.db"; prefix gets the path up to ".shard-". */
static int parse_name(const char *path, int *k, int *n, char *prefix, size_t size) {
    const char *p = strstr(path, ".shard-");
    if (!p) return 0;
    char tail[8];
    if (sscanf(p, ".shard-%d-of-%d%7s", k, n, tail) != 3 || strcmp(tail, ".db") || *n < 1 ||
        *n > SHARDS_MAX || *k < 0 || *k >= *n)
        return 0;
    snprintf(prefix, size, "%.*s", (int)(p - path), path);
    return 1;
}

int shards_status(char *const *args, int nargs, FILE *out, int *bad, sw_err *err) {
    glob_t g;
    memset(&g, 0, sizeof g);
    int flags = 0, rc = 0;
    for (int i = 0; i < nargs; i++) {
        int r = glob(args[i], flags | GLOB_NOCHECK, NULL, &g);
        if (r && r != GLOB_NOMATCH) {
            globfree(&g);
            return err_set(err, ERR_INTERNAL, "%s: cannot expand the pattern", args[i]);
        }
        flags = GLOB_APPEND;
    }
    *bad = 0;
    long tot[6] = {0};
    int files = 0, seen_n = 0;
    char prefix[PATH_MAX] = "";
    char *seen = NULL;
    fprintf(out, "%-7s %6s %6s %8s %6s %7s %7s  %s\n", "shard", "done", "pruned", "diverged",
            "failed", "running", "pending", "database");
    for (size_t i = 0; i < g.gl_pathc; i++) {
        const char *path = g.gl_pathv[i];
        int k = -1, n = 0;
        char pre[PATH_MAX];
        if (parse_name(path, &k, &n, pre, sizeof pre) && k < n) {
            if (!seen_n) {
                seen_n = n;
                snprintf(prefix, sizeof prefix, "%s", pre);
                seen = calloc((size_t)n, 1);
            }
            if (seen && n == seen_n && !strcmp(pre, prefix)) seen[k] = 1;
        }
        char label[32] = "?";
        if (n) snprintf(label, sizeof label, "%d/%d", k, n);
        store *s = NULL;
        sw_err e = {0, ""};
        if (access(path, F_OK)) {
            /* A pattern that matches nothing yet: no task has started. */
            int pattern = strpbrk(path, "*?[") != NULL;
            fprintf(out, "%-7s %s: %s\n", label, path,
                    pattern ? "no file matches yet (no task has written its database; is the "
                              "pattern right?)" : "no such file");
            if (!pattern) *bad = 1;
            continue;
        }
        if (store_open(&s, path, 1, &e)) {
            fprintf(out, "%-7s %s\n", label, e.msg);
            *bad = 1;
            continue;
        }
        sqlite3_stmt *st = NULL;
        sqlite3_prepare_v2(store_handle(s),
            "SELECT s.shard, coalesce(s.trials, 0), "
            "count(r.id) FILTER (WHERE r.status = 'done'), "
            "count(r.id) FILTER (WHERE r.status = 'pruned'), "
            "count(r.id) FILTER (WHERE r.status = 'diverged'), "
            "count(r.id) FILTER (WHERE r.status = 'failed'), "
            "count(r.id) FILTER (WHERE r.status = 'running'), "
            "count(r.id) FILTER (WHERE r.status IN ('pending', 'stopped')), count(r.id) "
            "FROM sweeps s LEFT JOIN runs r ON r.sweep_id = s.id GROUP BY s.id ORDER BY s.id",
            -1, &st, NULL);
        while (st && sqlite3_step(st) == SQLITE_ROW) {
            const char *shard = (const char *)sqlite3_column_text(st, 0);
            long c[6];
            for (int j = 0; j < 6; j++) c[j] = sqlite3_column_int(st, 2 + j);
            int trials = sqlite3_column_int(st, 1), rows = sqlite3_column_int(st, 8);
            if (trials > rows) c[5] += trials - rows; /* not suggested or added yet */
            fprintf(out, "%-7s %6ld %6ld %8ld %6ld %7ld %7ld  %s\n", shard ? shard : "-", c[0], c[1],
                    c[2], c[3], c[4], c[5], path);
            for (int j = 0; j < 6; j++) tot[j] += c[j];
            if (c[3]) {
                *bad = 1;
                fprintf(out, "        shard %s has %ld failed trial%s: sqlite3 %s \"SELECT trial, "
                        "error FROM runs WHERE status = 'failed'\"\n", shard ? shard : "-",
                        c[3], c[3] == 1 ? "" : "s", path);
            }
        }
        if (st && sqlite3_errcode(store_handle(s)) != SQLITE_DONE &&
            sqlite3_errcode(store_handle(s)) != SQLITE_OK) {
            fprintf(out, "%-7s %s: %s\n", "?", path, sqlite3_errmsg(store_handle(s)));
            *bad = 1;
        }
        sqlite3_finalize(st);
        store_close(s);
        files++;
    }
    for (int k = 0; seen && k < seen_n; k++)
        if (!seen[k])
            fprintf(out, "%d/%-5d no database yet (%s.shard-%d-of-%d.db): its task has not "
                    "started, or failed before training\n", k, seen_n, prefix, k, seen_n);
    fprintf(out, "%-7s %6ld %6ld %8ld %6ld %7ld %7ld  (%d database%s)\n", "all", tot[0], tot[1],
            tot[2], tot[3], tot[4], tot[5], files, files == 1 ? "" : "s");
    free(seen);
    globfree(&g);
    if (!files && !g.gl_pathc) rc = err_set(err, ERR_INPUT, "no database matches");
    return rc;
}
