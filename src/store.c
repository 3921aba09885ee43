/* store.c - the results database: one SQLite file, its schema and its rows.
 *
 * Owns: opening (and diagnosing) the file, creating the schema in one
 * transaction and checking its version (PRAGMA user_version), the sweeps,
 * runs and epochs rows, claiming trials, and turning node trees into JSON
 * with SQLite's own json functions (so escaping and number formatting are
 * SQLite's, and the same tree always gives the same text).
 *
 * Invariants:
 *  - Every value reaches SQLite as a bound parameter; the only SQL built at
 *    run time is `PRAGMA user_version = <STORE_SCHEMA_VERSION>`.
 *  - Every write is in a transaction: BEGIN IMMEDIATE for the multi-statement
 *    ones (so two processes never both read-then-write the same rows), the
 *    implicit one of a single statement otherwise (an epoch row, a finish).
 *  - A run row is claimed by "host:pid" of the process that set it running.
 *    A claim takes the lowest pending or stopped trial, or a running one whose
 *    claimer ran on this host and is gone; never a done, diverged, pruned or
 *    failed one (a failure, a worker crash included, is recorded, not retried
 *    forever). Claiming clears the run's results and epoch rows.
 *  - Cached statements are reset right after use, so none holds a read
 *    snapshot between calls.
 *  - Errors are one line that starts with the database path; faults the user
 *    can fix (not a database, someone else's database, a newer schema, not
 *    writable, locked) have code ERR_INPUT and say what to do.
 *
 * The busy timeout is 10 s; the environment variable SWEEP_BUSY_TIMEOUT_MS
 * overrides it (tests use a short one).
 *
 * Adding a schema version: bump STORE_SCHEMA_VERSION, change schema_sql for
 * new files, and add the step from the old version in check_schema().
 *
 * Called by the scheduler's parent process (sweep.c, sched.c); report.c and
 * plot.c read through store_handle(). Workers never open the database. */
#include "store.h"

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#define BUSY_TIMEOUT_MS 10000
#define NOW "strftime('%Y-%m-%dT%H:%M:%SZ','now')"
#define STR_(x) #x
#define STR(x) STR_(x)

/* The view alone too: migrations recreate it. Version 2's, for the step 1 -> 2. */
#define RESULTS_VIEW_V2 \
    "CREATE VIEW results AS\n" \
    "    SELECT s.name AS sweep, r.sweep_id, r.id AS run_id, r.trial, r.hidden, r.epochs, r.batch_size,\n" \
    "           r.optimizer, r.momentum, r.lr_schedule, r.lr, r.l2, r.seed, r.swept, r.params,\n" \
    "           r.best_epoch, r.best_val_acc, r.test_loss, r.test_acc, r.train_seconds AS seconds\n" \
    "    FROM runs r JOIN sweeps s ON s.id = r.sweep_id\n" \
    "    WHERE r.status = 'done';\n"

#define RESULTS_VIEW \
    "-- A result: one done run, with its sweep's name.\n" \
    "CREATE VIEW results AS\n" \
    "    SELECT s.name AS sweep, r.sweep_id, r.id AS run_id, r.trial, r.model, r.hidden, r.epochs,\n" \
    "           r.batch_size,\n" \
    "           r.optimizer, r.momentum, r.lr_schedule, r.lr, r.l2, r.seed, r.swept, r.params,\n" \
    "           r.best_epoch, r.best_val_acc, r.test_loss, r.test_acc, r.train_seconds AS seconds\n" \
    "    FROM runs r JOIN sweeps s ON s.id = r.sweep_id\n" \
    "    WHERE r.status = 'done';\n"

static const char schema_sql[] =
    "-- sweep results database, schema version " STR(STORE_SCHEMA_VERSION) " (PRAGMA user_version).\n"
    "-- Times are UTC ISO-8601 text; accuracies are fractions in [0,1]; losses in nats.\n"
    "\n"
    "-- A sweep: one config (its YAML text) run under a name.\n"
    "CREATE TABLE sweeps (\n"
    "    id          INTEGER PRIMARY KEY,\n"
    "    name        TEXT NOT NULL,\n"
    "    config      TEXT NOT NULL,\n"
    "    created_at  TEXT NOT NULL,\n"
    "    host        TEXT,\n"
    "    version     TEXT,          -- of the sweep program that created it\n"
    "    shard       TEXT,          -- \"K/N\": this file holds shard K of N (sweep run --shard);\n"
    "                               -- \"*/N\": merged from N shards (sweep merge);\n"
    "                               -- NULL: the whole sweep\n"
    "    trials      INTEGER        -- trials of this sweep (of the shard), run or not\n"
    ");\n"
    "\n"
    "-- A run: one trial of a sweep, its settings, its state and its results.\n"
    "CREATE TABLE runs (\n"
    "    id             INTEGER PRIMARY KEY,\n"
    "    sweep_id       INTEGER NOT NULL REFERENCES sweeps(id),\n"
    "    trial          INTEGER NOT NULL,  -- 0-based within the sweep\n"
    "    params         TEXT NOT NULL,     -- JSON: the trial's full resolved config\n"
    "    swept          TEXT,              -- JSON: swept key path -> value\n"
    "    hidden         TEXT,              -- dense hidden layer sizes, \"512-256\"\n"
    "    model          TEXT,              -- the model, \"256-do0.2\", \"conv32k5-pool2-512\"\n"
    "    epochs         INTEGER,\n"
    "    batch_size     INTEGER,\n"
    "    optimizer      TEXT,\n"
    "    momentum       REAL,\n"
    "    lr_schedule    TEXT,\n"
    "    lr             REAL,              -- initial learning rate\n"
    "    l2             REAL,\n"
    "    seed           INTEGER,\n"
    "    status         TEXT NOT NULL,     -- pending running done failed diverged stopped pruned\n"
    "    best_epoch     INTEGER,           -- epoch of the best validation accuracy\n"
    "    best_val_acc   REAL,\n"
    "    test_loss      REAL,              -- test set, with the best epoch's parameters\n"
    "    test_acc       REAL,\n"
    "    train_seconds  REAL,\n"
    "    started_at     TEXT,\n"
    "    finished_at    TEXT,\n"
    "    error          TEXT,\n"
    "    claimed_by     TEXT,              -- host:pid of the process that ran it\n"
    "    UNIQUE (sweep_id, trial)\n"
    ");\n"
    "\n"
    "-- An epoch: one completed epoch of a run.\n"
    "CREATE TABLE epochs (\n"
    "    run_id      INTEGER NOT NULL REFERENCES runs(id),\n"
    "    epoch       INTEGER NOT NULL,  -- from 1\n"
    "    lr          REAL,\n"
    "    train_loss  REAL,\n"
    "    train_acc   REAL,\n"
    "    val_loss    REAL,\n"
    "    val_acc     REAL,\n"
    "    seconds     REAL,\n"
    "    PRIMARY KEY (run_id, epoch)\n"
    ");\n"
    "\n"
    "-- Finding a done run with the same params; claiming a sweep's next trial.\n"
    "CREATE INDEX runs_params ON runs(params, status);\n"
    "CREATE INDEX runs_claim ON runs(sweep_id, status, trial);\n"
    "\n"
    RESULTS_VIEW;

/* Cached statements, prepared on first use. */
enum {
    Q_JSON_QUOTE, Q_JSON_BOOL, Q_JSON_APPEND, Q_JSON_PAIR, Q_JSON_OBJECT,
    Q_SWEEP_FIND, Q_SWEEP_ADD, Q_SWEEP_SHARD, Q_TRIAL_ADD, Q_CLAIM_FIND, Q_CLAIM_SET, Q_EPOCHS_CLEAR,
    Q_EPOCH_PUT, Q_FINISH, Q_COUNTS, Q_COUNT
};

static const char *const query_sql[Q_COUNT] = {
    [Q_JSON_QUOTE] = "SELECT json_quote(?1)",
    [Q_JSON_BOOL] = "SELECT json(iif(?1, 'true', 'false'))",
    [Q_JSON_APPEND] = "SELECT json_insert(?1, '$[#]', json(?2))",
    /* A mapping is first a list of [key, value] pairs, then one object:
     * json_object() takes any key text, where a '$."key"' path cannot hold
     * every key (SQLite 3.40 does not unescape quotes in paths). */
    [Q_JSON_PAIR] = "SELECT json_insert(?1, '$[#]', json_array(?2, json(?3)))",
    [Q_JSON_OBJECT] = "SELECT json_group_object(p.value ->> 0, p.value -> 1) FROM json_each(?1) p",
    [Q_SWEEP_FIND] = "SELECT id FROM sweeps WHERE name = ?1 AND config = ?2 ORDER BY id LIMIT 1",
    [Q_SWEEP_SHARD] = "UPDATE sweeps SET shard = ?1, trials = ?2 WHERE id = ?3",
    [Q_SWEEP_ADD] = "INSERT INTO sweeps(name, config, created_at, host, version) "
                    "VALUES (?1, ?2, " NOW ", ?3, ?4)",
    [Q_TRIAL_ADD] = "INSERT INTO runs(sweep_id, trial, params, swept, hidden, epochs, batch_size, "
                    "optimizer, momentum, lr_schedule, lr, l2, seed, model, status) "
                    "SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, 'pending' "
                    "WHERE NOT EXISTS (SELECT 1 FROM runs WHERE sweep_id = ?1 AND trial = ?2) "
                    "AND NOT EXISTS (SELECT 1 FROM runs WHERE params = ?3 AND status = 'done')",
    [Q_CLAIM_FIND] = "SELECT id, trial, status, claimed_by FROM runs "
                     "WHERE sweep_id = ?1 AND status IN ('pending', 'stopped', 'running') ORDER BY trial",
    [Q_CLAIM_SET] = "UPDATE runs SET status = 'running', claimed_by = ?2, started_at = " NOW ", "
                    "finished_at = NULL, best_epoch = NULL, best_val_acc = NULL, test_loss = NULL, "
                    "test_acc = NULL, train_seconds = NULL, error = NULL WHERE id = ?1",
    [Q_EPOCHS_CLEAR] = "DELETE FROM epochs WHERE run_id = ?1",
    [Q_EPOCH_PUT] = "INSERT OR REPLACE INTO epochs(run_id, epoch, lr, train_loss, train_acc, val_loss, "
                    "val_acc, seconds) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    [Q_FINISH] = "UPDATE runs SET status = ?2, best_epoch = ?3, best_val_acc = ?4, test_loss = ?5, "
                 "test_acc = ?6, train_seconds = ?7, finished_at = " NOW ", error = ?8 WHERE id = ?1",
    [Q_COUNTS] = "SELECT status, count(*) FROM runs WHERE sweep_id = ?1 GROUP BY status",
};

struct store {
    sqlite3 *db;
    char *path;
    char host[256];
    int busy_ms;
    int exclusive;  /* store_exclusive: other processes' running rows are leftovers */
    sqlite3_stmt *q[Q_COUNT];
};

/* ---- errors ---- */

/* The folder part of path, into buf. */
static const char *folder_of(const char *path, char *buf, size_t size) {
    snprintf(buf, size, "%s", path);
    return dirname(buf);
}

/* err from a failed SQLite call (rc) while doing `what`: the user-fixable
 * cases get their own message and ERR_INPUT. Returns -1. */
static int db_fail(store *s, int rc, const char *what, sw_err *err) {
    const char *p = s->path, *msg = s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc);
    char dirbuf[PATH_MAX];
    struct stat st;
    switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return err_set(err, ERR_INPUT,
                       "%s is locked by another process (waited %g s); let it finish or pass another --db", p,
                       s->busy_ms / 1000.0);
    case SQLITE_NOTADB:
        return err_set(err, ERR_INPUT, "%s is not a SQLite database; move it away or pass another --db", p);
    case SQLITE_CORRUPT:
        return err_set(err, ERR_INPUT, "%s is a damaged SQLite database (%s); move it away or pass another --db",
                       p, msg);
    case SQLITE_READONLY: {
        const char *dir = folder_of(p, dirbuf, sizeof dirbuf);
        if (access(p, W_OK))
            return err_set(err, ERR_INPUT, "%s is read-only; make it writable or pass another --db", p);
        if (access(dir, W_OK | X_OK))
            return err_set(err, ERR_INPUT,
                           "%s cannot be written: folder %s is not writable (SQLite keeps -wal and -shm files next "
                           "to the database); pass another --db",
                           p, dir);
        return err_set(err, ERR_INPUT, "%s is read-only (%s); pass another --db", p, msg);
    }
    case SQLITE_CANTOPEN: {
        const char *dir = folder_of(p, dirbuf, sizeof dirbuf);
        if (stat(dir, &st) || !S_ISDIR(st.st_mode))
            return err_set(err, ERR_INPUT,
                           "%s cannot be opened: folder %s does not exist; create it or pass another --db", p, dir);
        if (access(dir, W_OK | X_OK))
            return err_set(err, ERR_INPUT,
                           "%s cannot be opened: folder %s is not writable (SQLite needs to create files next to "
                           "the database); pass another --db",
                           p, dir);
        if (!stat(p, &st) && S_ISDIR(st.st_mode))
            return err_set(err, ERR_INPUT, "%s cannot be opened: it is a folder; pass a file to --db", p);
        int e = s->db ? sqlite3_system_errno(s->db) : 0;
        return err_set(err, ERR_INPUT, "%s cannot be opened (%s); pass another --db", p, e ? strerror(e) : msg);
    }
    default:
        return err_set(err, ERR_INTERNAL, "%s: %s: %s", p, what, msg);
    }
}

/* ---- statements and transactions ---- */

/* The cached statement q, ready to bind (NULL and err set on failure). */
static sqlite3_stmt *query(store *s, int q, sw_err *err) {
    if (!s->q[q]) {
        int rc = sqlite3_prepare_v3(s->db, query_sql[q], -1, SQLITE_PREPARE_PERSISTENT, &s->q[q], NULL);
        if (rc != SQLITE_OK) {
            db_fail(s, rc, "preparing a statement", err);
            return NULL;
        }
    }
    return s->q[q];
}

/* Step a statement that returns no rows, then reset it. */
static int run(store *s, sqlite3_stmt *st, const char *what, sw_err *err) {
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : db_fail(s, rc, what, err);
}

static int exec(store *s, const char *sql, const char *what, sw_err *err) {
    int rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);
    return rc == SQLITE_OK ? 0 : db_fail(s, rc, what, err);
}

static int begin(store *s, const char *what, sw_err *err) { return exec(s, "BEGIN IMMEDIATE", what, err); }

static int commit(store *s, const char *what, sw_err *err) { return exec(s, "COMMIT", what, err); }

/* Undo an open transaction (SQLite may have rolled it back already). */
static void rollback(store *s) {
    if (!sqlite3_get_autocommit(s->db)) sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
}

static int bind_text(sqlite3_stmt *st, int i, const char *v) {
    return v ? sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT) : sqlite3_bind_null(st, i);
}

/* Non-finite numbers are stored as NULL. */
static int bind_real(sqlite3_stmt *st, int i, double v) {
    return isfinite(v) ? sqlite3_bind_double(st, i, v) : sqlite3_bind_null(st, i);
}

/* ---- opening ---- */

static int busy_timeout_ms(void) {
    const char *v = getenv("SWEEP_BUSY_TIMEOUT_MS");
    if (!v || !*v) return BUSY_TIMEOUT_MS;
    char *end;
    errno = 0;
    long ms = strtol(v, &end, 10);
    if (errno || *end || ms < 0 || ms > INT_MAX) return BUSY_TIMEOUT_MS;
    return (int)ms;
}

/* What the file holds: user_version, how many schema objects, which of our
 * tables, and the names of its tables (for the message). */
typedef struct db_shape {
    int version, objects, ours;
    char tables[200];
} db_shape;

static int read_shape(store *s, db_shape *d, sw_err *err) {
    static const char *const sql[2] = {
        "PRAGMA user_version",
        "SELECT count(*), "
        "count(*) FILTER (WHERE type = 'table' AND name IN ('sweeps', 'runs', 'epochs')), "
        "group_concat(name, ', ') FILTER (WHERE type = 'table' AND name NOT LIKE 'sqlite!_%' ESCAPE '!') "
        "FROM sqlite_master",
    };
    memset(d, 0, sizeof *d);
    for (int i = 0; i < 2; i++) {
        sqlite3_stmt *st;
        int rc = sqlite3_prepare_v2(s->db, sql[i], -1, &st, NULL);
        if (rc == SQLITE_OK) rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            if (i == 0) {
                d->version = sqlite3_column_int(st, 0);
            } else {
                d->objects = sqlite3_column_int(st, 0);
                d->ours = sqlite3_column_int(st, 1);
                const char *t = (const char *)sqlite3_column_text(st, 2);
                snprintf(d->tables, sizeof d->tables, "%s", t ? t : "");
                size_t len = strlen(d->tables);
                if (len == sizeof d->tables - 1) memcpy(d->tables + len - 3, "...", 3);
            }
            rc = SQLITE_OK;
        }
        sqlite3_finalize(st);
        if (rc != SQLITE_OK) return db_fail(s, rc, "reading the schema", err);
    }
    return 0;
}

/* Create the schema in an empty file, or check that the file holds ours, in
 * one IMMEDIATE transaction (two processes opening a new file at once must
 * not both create it). */
static int check_schema(store *s, int readonly, sw_err *err) {
    if (exec(s, readonly ? "BEGIN" : "BEGIN IMMEDIATE", "opening", err)) return -1;
    db_shape d;
    if (read_shape(s, &d, err)) goto fail;
    if (readonly && d.objects == 0) {
        err_set(err, ERR_INPUT, "%s is empty: not a sweep database yet; run a sweep first", s->path);
        goto fail;
    }
    if (d.objects == 0 && d.version <= STORE_SCHEMA_VERSION) {
        if (exec(s, schema_sql, "creating the schema", err) ||
            exec(s, "PRAGMA user_version = " STR(STORE_SCHEMA_VERSION), "creating the schema", err))
            goto fail;
    } else if (d.ours == 0 || (d.version <= STORE_SCHEMA_VERSION && (d.ours < 3 || d.version < 1))) {
        err_set(err, ERR_INPUT,
                "%s is a SQLite database but not a sweep database (tables: %s); pass another --db",
                s->path, d.tables[0] ? d.tables : "none");
        goto fail;
    } else if (d.version > STORE_SCHEMA_VERSION) {
        err_set(err, ERR_INPUT,
                "%s was written by a newer sweep (schema version %d; this one knows up to %d); "
                "upgrade sweep or pass another --db",
                s->path, d.version, STORE_SCHEMA_VERSION);
        goto fail;
    }
    /* Migrations, oldest first, in the same transaction. */
    if (d.version < STORE_SCHEMA_VERSION && readonly) {
        err_set(err, ERR_INPUT,
                "%s has schema version %d and is read-only; make it writable once to migrate it to %d",
                s->path, d.version, STORE_SCHEMA_VERSION);
        goto fail;
    }
    if (d.version == 1) { /* 1 -> 2: the results view gains sweep_id */
        if (exec(s, "DROP VIEW IF EXISTS results;" RESULTS_VIEW_V2 "PRAGMA user_version = 2;",
                 "migrating the schema from version 1", err))
            goto fail;
        d.version = 2;
    }
    if (d.version == 2) { /* 2 -> 3: runs gain model (version 2 kept it in hidden) */
        if (exec(s, "ALTER TABLE runs ADD COLUMN model TEXT; UPDATE runs SET model = hidden;"
                    "DROP VIEW IF EXISTS results;" RESULTS_VIEW "PRAGMA user_version = 3;",
                 "migrating the schema from version 2", err))
            goto fail;
        d.version = 3;
    }
    if (d.version == 3) { /* 3 -> 4: sweeps gain shard and trials */
        if (exec(s, "ALTER TABLE sweeps ADD COLUMN shard TEXT;"
                    "ALTER TABLE sweeps ADD COLUMN trials INTEGER; PRAGMA user_version = 4;",
                 "migrating the schema from version 3", err))
            goto fail;
    }
    if (commit(s, "opening", err)) goto fail;
    return 0;
fail:
    rollback(s);
    return -1;
}

int store_open(store **out, const char *path, int readonly, sw_err *err) {
    *out = NULL;
    store *s = calloc(1, sizeof *s);
    if (!s || !(s->path = strdup(path))) {
        free(s);
        return err_set(err, ERR_INTERNAL, "%s: out of memory", path);
    }
    if (gethostname(s->host, sizeof s->host - 1)) snprintf(s->host, sizeof s->host, "unknown");
    s->busy_ms = busy_timeout_ms();

    /* SQLite takes a file shorter than its header for an empty database and
     * would overwrite it: refuse any non-empty file without the magic. */
    int rc = SQLITE_OK;
    FILE *f = fopen(path, "rb");
    if (f) {
        char head[16];
        size_t got = fread(head, 1, sizeof head, f);
        fclose(f);
        if (got > 0 && (got < sizeof head || memcmp(head, "SQLite format 3", sizeof head))) {
            rc = SQLITE_NOTADB;
            goto fail_rc;
        }
    }
    rc = sqlite3_open_v2(path, &s->db,
                         readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                         NULL);
    if (rc != SQLITE_OK) goto fail_rc;
    sqlite3_extended_result_codes(s->db, 1);
    sqlite3_busy_timeout(s->db, s->busy_ms);
    if (readonly) {
        if (check_schema(s, 1, err)) goto fail;
        *out = s;
        return 0;
    }
    /* SQLite falls back to read-only for a write-protected file. */
    if (sqlite3_db_readonly(s->db, "main") == 1) {
        rc = SQLITE_READONLY;
        goto fail_rc;
    }
    /* The first statement reads the file: not-a-database shows up here. */
    /* Check (or create) the schema first, so a file that is not ours is
     * refused untouched: switching to WAL rewrites the header. The first
     * read shows a file that is not a database. */
    if (check_schema(s, 0, err)) goto fail;
    /* Switching to WAL needs an exclusive lock, and SQLite does not wait on
     * its busy handler for it when another process is opening the same new
     * file: retry for the busy timeout ourselves. */
    for (int waited = 0;; waited += 20) {
        rc = sqlite3_exec(s->db, "PRAGMA journal_mode=WAL", NULL, NULL, NULL);
        if ((rc & 0xff) != SQLITE_BUSY || waited >= s->busy_ms) break;
        usleep(20000);
    }
    if (rc != SQLITE_OK) goto fail_rc;
    if (exec(s, "PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON", "opening", err)) goto fail;
    *out = s;
    return 0;
fail_rc:
    db_fail(s, rc, "opening", err);
fail:
    store_close(s);
    return -1;
}

void store_close(store *s) {
    if (!s) return;
    for (int i = 0; i < Q_COUNT; i++) sqlite3_finalize(s->q[i]);
    sqlite3_close(s->db);
    free(s->path);
    free(s);
}

sqlite3 *store_handle(store *s) { return s->db; }

const char *store_schema_sql(void) { return schema_sql; }

/* ---- JSON ---- */

/* Step a statement that returns one text: a malloc'd copy, or NULL. */
static char *text_of(store *s, sqlite3_stmt *st, sw_err *err) {
    char *out = NULL;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        const char *t = (const char *)sqlite3_column_text(st, 0);
        if (!(out = strdup(t ? t : "null"))) err_set(err, ERR_INTERNAL, "out of memory");
    } else {
        db_fail(s, rc, "building JSON", err);
    }
    sqlite3_reset(st);
    return out;
}

static char *json_scalar(store *s, const node *n, sw_err *err) {
    long long ll;
    double d;
    int b;
    sqlite3_stmt *st;
    if (n && n->plain && !node_to_bool(n, &b)) {
        if (!(st = query(s, Q_JSON_BOOL, err))) return NULL;
        sqlite3_bind_int(st, 1, b);
        return text_of(s, st, err);
    }
    if (!(st = query(s, Q_JSON_QUOTE, err))) return NULL;
    if (!n || node_is_null(n)) sqlite3_bind_null(st, 1);
    else if (!node_to_ll(n, &ll)) sqlite3_bind_int64(st, 1, ll);
    else if (!node_to_double(n, &d)) sqlite3_bind_double(st, 1, d);
    else bind_text(st, 1, n->str ? n->str : "");
    return text_of(s, st, err);
}

/* JSON of the tree at n, malloc'd, or NULL with err set. */
static char *json_node(store *s, const node *n, sw_err *err) {
    if (!n || n->kind == NODE_SCALAR) return json_scalar(s, n, err);
    char *acc = strdup("[]");
    if (!acc) {
        err_set(err, ERR_INTERNAL, "out of memory");
        return NULL;
    }
    for (int i = 0; i < n->n && acc; i++) {
        char *item = json_node(s, n->items[i], err);
        sqlite3_stmt *st = item ? query(s, n->kind == NODE_MAP ? Q_JSON_PAIR : Q_JSON_APPEND, err) : NULL;
        char *next = NULL;
        if (st) {
            bind_text(st, 1, acc);
            if (n->kind == NODE_MAP) {
                bind_text(st, 2, n->keys[i]->str);
                bind_text(st, 3, item);
            } else {
                bind_text(st, 2, item);
            }
            next = text_of(s, st, err);
        }
        free(item);
        free(acc);
        acc = next;
    }
    if (acc && n->kind == NODE_MAP) {
        sqlite3_stmt *st = query(s, Q_JSON_OBJECT, err);
        char *obj = NULL;
        if (st) {
            bind_text(st, 1, acc);
            obj = text_of(s, st, err);
        }
        free(acc);
        acc = obj;
    }
    return acc;
}

int store_json(store *s, const node *n, char **out, sw_err *err) {
    *out = json_node(s, n, err);
    return *out ? 0 : -1;
}

/* ---- sweeps and runs ---- */

int store_sweep(store *s, const char *name, const char *config, const char *version,
                int64_t *sweep_id, sw_err *err) {
    sqlite3_stmt *find = query(s, Q_SWEEP_FIND, err), *add = query(s, Q_SWEEP_ADD, err);
    if (!find || !add || begin(s, "finding the sweep", err)) return -1;
    bind_text(find, 1, name);
    bind_text(find, 2, config);
    int rc = sqlite3_step(find);
    if (rc == SQLITE_ROW) *sweep_id = sqlite3_column_int64(find, 0);
    sqlite3_reset(find);
    if (rc == SQLITE_DONE) {
        bind_text(add, 1, name);
        bind_text(add, 2, config);
        bind_text(add, 3, s->host);
        bind_text(add, 4, version);
        if (run(s, add, "adding the sweep", err)) goto fail;
        *sweep_id = sqlite3_last_insert_rowid(s->db);
    } else if (rc != SQLITE_ROW) {
        db_fail(s, rc, "finding the sweep", err);
        goto fail;
    }
    if (commit(s, "adding the sweep", err)) goto fail;
    return 0;
fail:
    rollback(s);
    return -1;
}

int store_sweep_shard(store *s, int64_t sweep_id, const char *shard, int trials, sw_err *err) {
    sqlite3_stmt *st = query(s, Q_SWEEP_SHARD, err);
    if (!st) return -1;
    bind_text(st, 1, shard);
    sqlite3_bind_int(st, 2, trials);
    sqlite3_bind_int64(st, 3, sweep_id);
    return run(s, st, "recording the shard", err);
}

int store_add_trials(store *s, int64_t sweep_id, const store_trial *t, int n, int *added,
                     sw_err *err) {
    *added = 0;
    sqlite3_stmt *st = query(s, Q_TRIAL_ADD, err);
    if (!st || begin(s, "adding trials", err)) return -1;
    int count = 0;
    for (int i = 0; i < n; i++) {
        sqlite3_bind_int64(st, 1, sweep_id);
        sqlite3_bind_int(st, 2, t[i].trial);
        bind_text(st, 3, t[i].params);
        bind_text(st, 4, t[i].swept);
        bind_text(st, 5, t[i].hidden);
        sqlite3_bind_int(st, 6, t[i].epochs);
        sqlite3_bind_int(st, 7, t[i].batch_size);
        bind_text(st, 8, t[i].optimizer);
        bind_real(st, 9, t[i].momentum);
        bind_text(st, 10, t[i].lr_schedule);
        bind_real(st, 11, t[i].lr);
        bind_real(st, 12, t[i].l2);
        sqlite3_bind_int64(st, 13, t[i].seed);
        bind_text(st, 14, t[i].model);
        if (run(s, st, "adding trials", err)) goto fail;
        count += sqlite3_changes(s->db);
    }
    if (commit(s, "adding trials", err)) goto fail;
    *added = count;
    return 0;
fail:
    rollback(s);
    return -1;
}

/* 1 if claimed_by ("host:pid") names a process of this host that is gone. */
static int claimer_gone(const store *s, const char *claimed_by) {
    const char *colon = claimed_by ? strrchr(claimed_by, ':') : NULL;
    if (!colon || (size_t)(colon - claimed_by) != strlen(s->host) ||
        strncmp(claimed_by, s->host, (size_t)(colon - claimed_by)))
        return 0;
    char *end;
    errno = 0;
    long pid = strtol(colon + 1, &end, 10);
    if (errno || *end || end == colon + 1 || pid <= 0 || (long)(pid_t)pid != pid) return 0;
    return kill((pid_t)pid, 0) == -1 && errno == ESRCH;
}

int store_exclusive(store *s, sw_err *err) {
    s->exclusive = 1;
    return exec(s, "PRAGMA journal_mode = DELETE; PRAGMA synchronous = FULL", "leaving WAL mode",
                err);
}

int store_claim(store *s, int64_t sweep_id, int64_t *run_id, int *trial, sw_err *err) {
    char me[sizeof s->host + 24];
    snprintf(me, sizeof me, "%s:%ld", s->host, (long)getpid());
    sqlite3_stmt *find = query(s, Q_CLAIM_FIND, err), *set = query(s, Q_CLAIM_SET, err),
                 *clear = query(s, Q_EPOCHS_CLEAR, err);
    if (!find || !set || !clear || begin(s, "claiming a trial", err)) return -1;
    int64_t id = 0;
    int tr = 0, found = 0, rc = SQLITE_DONE;
    sqlite3_bind_int64(find, 1, sweep_id);
    while (!found && (rc = sqlite3_step(find)) == SQLITE_ROW) {
        const char *status = (const char *)sqlite3_column_text(find, 2);
        const char *by = (const char *)sqlite3_column_text(find, 3);
        found = strcmp(status, "running") || claimer_gone(s, by) ||
                (s->exclusive && (!by || strcmp(by, me)));
        if (found) {
            id = sqlite3_column_int64(find, 0);
            tr = sqlite3_column_int(find, 1);
        }
    }
    sqlite3_reset(find);
    if (!found && rc != SQLITE_DONE) {
        db_fail(s, rc, "claiming a trial", err);
        goto fail;
    }
    if (found) {
        sqlite3_bind_int64(set, 1, id);
        bind_text(set, 2, me);
        sqlite3_bind_int64(clear, 1, id);
        if (run(s, set, "claiming a trial", err) || run(s, clear, "claiming a trial", err)) goto fail;
    }
    if (commit(s, "claiming a trial", err)) goto fail;
    if (found) {
        *run_id = id;
        *trial = tr;
    }
    return found;
fail:
    rollback(s);
    return -1;
}

int store_epoch(store *s, int64_t run_id, const train_epoch *e, sw_err *err) {
    sqlite3_stmt *st = query(s, Q_EPOCH_PUT, err);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, run_id);
    sqlite3_bind_int(st, 2, e->epoch);
    bind_real(st, 3, e->lr);
    bind_real(st, 4, e->train_loss);
    bind_real(st, 5, e->train_acc);
    bind_real(st, 6, e->val_loss);
    bind_real(st, 7, e->val_acc);
    bind_real(st, 8, e->seconds);
    return run(s, st, "saving an epoch", err);
}

int store_finish(store *s, int64_t run_id, const char *status, const train_result *r,
                 const char *error, sw_err *err) {
    sqlite3_stmt *st = query(s, Q_FINISH, err);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, run_id);
    bind_text(st, 2, status);
    if (r && r->best_epoch > 0) sqlite3_bind_int(st, 3, r->best_epoch);
    else sqlite3_bind_null(st, 3);
    bind_real(st, 4, r ? r->best_val_acc : NAN);
    bind_real(st, 5, r ? r->test_loss : NAN);
    bind_real(st, 6, r ? r->test_acc : NAN);
    bind_real(st, 7, r ? r->train_seconds : NAN);
    bind_text(st, 8, error);
    if (run(s, st, "finishing a run", err)) return -1;
    if (sqlite3_changes(s->db) != 1)
        return err_set(err, ERR_INTERNAL, "%s: finishing a run: there is no run %lld", s->path, (long long)run_id);
    return 0;
}

int store_counts_get(store *s, int64_t sweep_id, store_counts *c, sw_err *err) {
    memset(c, 0, sizeof *c);
    sqlite3_stmt *st = query(s, Q_COUNTS, err);
    if (!st) return -1;
    static const struct { const char *name; size_t off; } field[] = {
        {"pending", offsetof(store_counts, pending)},   {"running", offsetof(store_counts, running)},
        {"done", offsetof(store_counts, done)},         {"failed", offsetof(store_counts, failed)},
        {"diverged", offsetof(store_counts, diverged)}, {"stopped", offsetof(store_counts, stopped)},
        {"pruned", offsetof(store_counts, pruned)},
    };
    sqlite3_bind_int64(st, 1, sweep_id);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *status = (const char *)sqlite3_column_text(st, 0);
        for (size_t i = 0; i < sizeof field / sizeof field[0]; i++)
            if (!strcmp(status, field[i].name))
                *(int *)((char *)c + field[i].off) = sqlite3_column_int(st, 1);
    }
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : db_fail(s, rc, "counting runs", err);
}

static double col_or_nan(sqlite3_stmt *st, int i) {
    return sqlite3_column_type(st, i) == SQLITE_NULL ? NAN : sqlite3_column_double(st, i);
}

int store_history(store *s, int64_t sweep_id, store_history_fn fn, void *ctx, sw_err *err) {
    static const char *const sql[2] = {
        "SELECT r.trial, e.epoch, e.val_acc, e.val_loss, NULL FROM runs r "
        "JOIN epochs e ON e.run_id = r.id "
        "WHERE r.sweep_id = ? AND r.status IN ('done', 'pruned', 'diverged', 'failed') "
        "ORDER BY r.trial, e.epoch",
        "SELECT trial, 0, best_val_acc, NULL, status FROM runs "
        "WHERE sweep_id = ? AND status IN ('done', 'pruned', 'diverged', 'failed') ORDER BY trial",
    };
    for (int q = 0; q < 2; q++) {
        sqlite3_stmt *st;
        int rc = sqlite3_prepare_v2(s->db, sql[q], -1, &st, NULL);
        if (rc != SQLITE_OK) return db_fail(s, rc, "reading the sweep's history", err);
        sqlite3_bind_int64(st, 1, sweep_id);
        while ((rc = sqlite3_step(st)) == SQLITE_ROW)
            fn(ctx, sqlite3_column_int(st, 0), sqlite3_column_int(st, 1), col_or_nan(st, 2),
               col_or_nan(st, 3), (const char *)sqlite3_column_text(st, 4));
        sqlite3_finalize(st);
        if (rc != SQLITE_DONE) return db_fail(s, rc, "reading the sweep's history", err);
    }
    return 0;
}

int store_swept(store *s, int64_t sweep_id, store_swept_fn fn, void *ctx, sw_err *err) {
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(s->db, "SELECT trial, swept FROM runs WHERE sweep_id = ? ORDER BY trial",
                                -1, &st, NULL);
    if (rc != SQLITE_OK) return db_fail(s, rc, "reading the sweep's trials", err);
    sqlite3_bind_int64(st, 1, sweep_id);
    int bad = 0;
    while (!bad && (rc = sqlite3_step(st)) == SQLITE_ROW)
        bad = fn(ctx, sqlite3_column_int(st, 0), (const char *)sqlite3_column_text(st, 1), err);
    sqlite3_finalize(st);
    if (bad) return -1;
    return rc == SQLITE_DONE ? 0 : db_fail(s, rc, "reading the sweep's trials", err);
}

int store_retry_failed(store *s, int64_t sweep_id, int *n, sw_err *err) {
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(s->db,
                                "UPDATE runs SET status = 'pending', claimed_by = NULL "
                                "WHERE sweep_id = ? AND status = 'failed'", -1, &st, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_bind_int64(st, 1, sweep_id);
        rc = sqlite3_step(st);
        sqlite3_finalize(st);
    }
    if (rc != SQLITE_DONE) return db_fail(s, rc, "retrying failed runs", err);
    *n = sqlite3_changes(s->db);
    return 0;
}
