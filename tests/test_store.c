/* test_store.c - Check suite for store.c: the schema, JSON from node trees,
 * sweeps, trials, claiming (dead and live claimers), epochs, finishing, the
 * results view, counts, and files store_open must refuse with a message
 * (garbage, someone else's database, a newer schema, read-only, a missing
 * folder, a lock held by another connection). Databases go into a fresh
 * mkdtemp directory that is removed afterwards. */
#include <check.h>
#include <ftw.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "store.h"
#include "test_util.h"

static void setup(void) { test_tmpdir_make("store"); }
static void teardown(void) { test_tmpdir_remove(); }

static store *open_ok(const char *path) {
    store *s = NULL;
    sw_err e = {0};
    int rc = store_open(&s, path, 0, &e);
    ck_assert_msg(rc == 0, "store_open(%s): %s", path, e.msg);
    ck_assert_ptr_nonnull(s);
    return s;
}

/* store_open must fail with ERR_INPUT and a one-line message that starts
 * with the path and contains `want`. */
static void open_fails(const char *path, const char *want) {
    store *s = (store *)1;
    sw_err e = {0};
    ck_assert_int_eq(store_open(&s, path, 0, &e), -1);
    ck_assert_ptr_null(s);
    ck_assert_int_eq(e.code, ERR_INPUT);
    ck_assert_msg(!strncmp(e.msg, path, strlen(path)), "message does not start with the path: %s", e.msg);
    ck_assert_msg(strstr(e.msg, want), "message lacks '%s': %s", want, e.msg);
    ck_assert_ptr_null(strchr(e.msg, '\n'));
}

/* First column of the first row of sql as an integer; -1 for NULL or no row. */
static long long q_int(sqlite3 *db, const char *sql) {
    sqlite3_stmt *st;
    ck_assert_msg(sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK, "%s: %s", sql, sqlite3_errmsg(db));
    long long v = -1;
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

static double q_real(sqlite3 *db, const char *sql) {
    sqlite3_stmt *st;
    ck_assert_msg(sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK, "%s: %s", sql, sqlite3_errmsg(db));
    double v = NAN;
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) v = sqlite3_column_double(st, 0);
    sqlite3_finalize(st);
    return v;
}

/* First column of the first row as text into buf ("NULL" for NULL, "" for no row). */
static const char *q_text(sqlite3 *db, const char *sql, char *buf) {
    sqlite3_stmt *st;
    ck_assert_msg(sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK, "%s: %s", sql, sqlite3_errmsg(db));
    buf[0] = '\0';
    if (sqlite3_step(st) == SQLITE_ROW) {
        const char *t = (const char *)sqlite3_column_text(st, 0);
        snprintf(buf, 512, "%s", t ? t : "NULL");
    }
    sqlite3_finalize(st);
    return buf;
}
#define Q_TEXT(db, sql) q_text((db), (sql), (char[512]){0})

static void exec_ok(sqlite3 *db, const char *sql) {
    ck_assert_msg(sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK, "%s: %s", sql, sqlite3_errmsg(db));
}

static store_trial trial_of(int trial, const char *params) {
    return (store_trial){.trial = trial, .params = params, .swept = "{\"train.lr.initial\":0.1}",
                         .hidden = "256", .epochs = 3, .batch_size = 32, .optimizer = "sgd",
                         .momentum = 0.9, .lr_schedule = "cosine", .lr = 0.1, .l2 = 0, .seed = 7};
}

/* A sweep with trials 0..n-1 whose params are {"t":<trial>,"tag":"<tag>"}. */
static int64_t sweep_with(store *s, const char *name, const char *tag, int n) {
    sw_err e = {0};
    int64_t id;
    ck_assert_msg(store_sweep(s, name, tag, "test", &id, &e) == 0, "%s", e.msg);
    store_trial t[16];
    char params[16][64];
    ck_assert_int_le(n, 16);
    for (int i = 0; i < n; i++) {
        snprintf(params[i], sizeof params[i], "{\"t\":%d,\"tag\":\"%s\"}", i, tag);
        t[i] = trial_of(i, params[i]);
    }
    int added = -1;
    ck_assert_msg(store_add_trials(s, id, t, n, &added, &e) == 0, "%s", e.msg);
    ck_assert_int_eq(added, n);
    return id;
}

static int claim(store *s, int64_t sweep, int64_t *run_id) {
    sw_err e = {0};
    int64_t id = -1;
    int trial = -1;
    int rc = store_claim(s, sweep, &id, &trial, &e);
    ck_assert_msg(rc >= 0, "%s", e.msg);
    if (run_id) *run_id = rc ? id : -1;
    return rc ? trial : -1;
}

static void finish(store *s, int64_t run_id, const char *status, const char *error) {
    sw_err e = {0};
    train_result r = {.best_epoch = 2, .best_val_acc = 0.9, .test_loss = 0.3, .test_acc = 0.91,
                      .train_seconds = 1.5};
    ck_assert_msg(store_finish(s, run_id, status, &r, error, &e) == 0, "%s", e.msg);
}

/* ---- schema ---- */

START_TEST(test_schema_created) {
    store *s = open_ok(P("schema.db"));
    sqlite3 *db = store_handle(s);
    ck_assert_int_eq(q_int(db, "PRAGMA user_version"), STORE_SCHEMA_VERSION);
    ck_assert_str_eq(Q_TEXT(db, "PRAGMA journal_mode"), "wal");
    ck_assert_int_eq(q_int(db, "PRAGMA foreign_keys"), 1);
    ck_assert_int_eq(q_int(db, "SELECT count(*) FROM sqlite_master WHERE type = 'table' "
                               "AND name IN ('sweeps', 'runs', 'epochs')"), 3);
    ck_assert_int_eq(q_int(db, "SELECT count(*) FROM sqlite_master WHERE type = 'view' AND name = 'results'"), 1);
    ck_assert_int_eq(q_int(db, "SELECT count(*) FROM sqlite_master WHERE type = 'index' "
                               "AND name IN ('runs_params', 'runs_claim')"), 2);
    /* The columns the view promises. */
    ck_assert_int_eq(q_int(db, "SELECT count(*) FROM pragma_table_info('results') WHERE name IN "
                               "('sweep', 'run_id', 'trial', 'hidden', 'test_acc', 'seconds', 'params')"), 7);
    /* store_schema_sql() is the text the database was made from. */
    const char *schema = store_schema_sql();
    sqlite3_stmt *st;
    ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL", -1, &st, NULL),
                     SQLITE_OK);
    int n = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *sql = (const char *)sqlite3_column_text(st, 0);
        ck_assert_msg(strstr(schema, sql), "not in store_schema_sql(): %s", sql);
        n++;
    }
    sqlite3_finalize(st);
    ck_assert_int_eq(n, 6);
    ck_assert_ptr_nonnull(strstr(schema, "-- A run: "));
    store_close(s);
}
END_TEST

START_TEST(test_reopen_keeps_data) {
    store *s = open_ok(P("reopen.db"));
    int64_t sw = sweep_with(s, "reopen", "a", 3);
    store_close(s);
    s = open_ok(P("reopen.db"));
    store_counts c;
    sw_err e = {0};
    ck_assert_int_eq(store_counts_get(s, sw, &c, &e), 0);
    ck_assert_int_eq(c.pending, 3);
    int64_t again;
    ck_assert_int_eq(store_sweep(s, "reopen", "a", "test", &again, &e), 0);
    ck_assert_int_eq(again, sw);
    store_close(s);

    /* An empty file becomes a new database. */
    FILE *f = fopen(P("empty.db"), "w");
    ck_assert_ptr_nonnull(f);
    fclose(f);
    s = open_ok(P("empty.db"));
    ck_assert_int_eq(q_int(store_handle(s), "SELECT count(*) FROM runs"), 0);
    ck_assert_int_eq(q_int(store_handle(s), "PRAGMA user_version"), STORE_SCHEMA_VERSION);
    store_close(s);
    store_close(NULL);
}
END_TEST

/* ---- JSON ---- */

static void json_is(store *s, const char *yaml, const char *want) {
    node *n = NULL;
    sw_err e = {0};
    ck_assert_msg(node_parse_string(&n, yaml, strlen(yaml), "test.yaml", &e) == 0, "%s", e.msg);
    char *got = NULL;
    ck_assert_msg(store_json(s, n, &got, &e) == 0, "%s", e.msg);
    ck_assert_str_eq(got, want);
    /* SQLite agrees it is JSON, and re-minifying it changes nothing. */
    sqlite3_stmt *st;
    ck_assert_int_eq(sqlite3_prepare_v2(store_handle(s), "SELECT json_valid(?1), json(?1)", -1, &st, NULL),
                     SQLITE_OK);
    sqlite3_bind_text(st, 1, got, -1, SQLITE_STATIC);
    ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
    ck_assert_int_eq(sqlite3_column_int(st, 0), 1);
    ck_assert_str_eq((const char *)sqlite3_column_text(st, 1), got);
    sqlite3_finalize(st);
    free(got);
    node_free(n);
}

START_TEST(test_json) {
    store *s = open_ok(P("json.db"));
    json_is(s,
            "a: 1\n"
            "b: -2.5\n"
            "c: \"3\"\n"
            "d: '4.0'\n"
            "e: true\n"
            "f: False\n"
            "g: null\n"
            "h: ~\n"
            "i:\n"
            "j: [1, two, \"three\", [], {}]\n"
            "k: {x: {y: [1.0e-3, 1e3, 1.0, +7]}}\n"
            "train.lr.initial: 0.1\n"
            "'q\"uo\\te': x\n"
            "\"é ☃\": \"héllo ☃\\t\\u0001\"\n"
            "yes: no\n"
            "\"true\": \"null\"\n"
            "big: 123456789012345678901\n"
            "hex: 0x10\n"
            "inf: .inf\n",
            "{\"a\":1,\"b\":-2.5,\"c\":\"3\",\"d\":\"4.0\",\"e\":true,\"f\":false,\"g\":null,\"h\":null,"
            "\"i\":null,\"j\":[1,\"two\",\"three\",[],{}],\"k\":{\"x\":{\"y\":[0.001,1000.0,1.0,7]}},"
            "\"train.lr.initial\":0.1,\"q\\\"uo\\\\te\":\"x\",\"é ☃\":\"héllo ☃\\t\\u0001\","
            "\"yes\":\"no\",\"true\":\"null\",\"big\":1.23456789012346e+20,\"hex\":\"0x10\",\"inf\":\".inf\"}");
    /* Canonical: the same values written differently give the same text. */
    json_is(s, "{lr: 1.50, n: 007, l: [ 1 ,2 ]}", "{\"lr\":1.5,\"n\":7,\"l\":[1,2]}");
    json_is(s, "lr: 1.5\nn: 7\nl:\n  - 1\n  - 2\n", "{\"lr\":1.5,\"n\":7,\"l\":[1,2]}");
    /* Keys stay in tree order, not sorted. */
    json_is(s, "z: 1\na: 2\nm: 3\n", "{\"z\":1,\"a\":2,\"m\":3}");
    /* Not only mappings at the top. */
    json_is(s, "[{a: [null]}, {}]", "[{\"a\":[null]},{}]");
    json_is(s, "plain text", "\"plain text\"");
    json_is(s, "'12'", "\"12\"");
    json_is(s, "-3", "-3");
    /* An empty document is null. */
    char *got = NULL;
    sw_err e = {0};
    ck_assert_int_eq(store_json(s, NULL, &got, &e), 0);
    ck_assert_str_eq(got, "null");
    free(got);
    store_close(s);
}
END_TEST

/* ---- sweeps, trials, claims ---- */

START_TEST(test_sweep_find_or_create) {
    store *s = open_ok(P("sweep.db"));
    sw_err e = {0};
    int64_t a, b, c, d;
    ck_assert_int_eq(store_sweep(s, "lr", "train: {epochs: 3}\n", "1.0", &a, &e), 0);
    ck_assert_int_eq(store_sweep(s, "lr", "train: {epochs: 3}\n", "1.1", &b, &e), 0);
    ck_assert_int_eq(store_sweep(s, "lr", "train: {epochs: 4}\n", "1.0", &c, &e), 0);
    ck_assert_int_eq(store_sweep(s, "lr2", "train: {epochs: 3}\n", NULL, &d, &e), 0);
    ck_assert_int_eq(a, b);
    ck_assert_int_ne(a, c);
    ck_assert_int_ne(a, d);
    ck_assert_int_ne(c, d);
    sqlite3 *db = store_handle(s);
    ck_assert_int_eq(q_int(db, "SELECT count(*) FROM sweeps"), 3);
    ck_assert_str_eq(Q_TEXT(db, "SELECT version FROM sweeps ORDER BY id LIMIT 1"), "1.0");
    ck_assert_str_eq(Q_TEXT(db, "SELECT coalesce(version, 'none') FROM sweeps WHERE name = 'lr2'"), "none");
    ck_assert_int_eq(q_int(db, "SELECT count(*) FROM sweeps WHERE length(host) > 0 "
                               "AND created_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T"
                               "[0-9][0-9]:[0-9][0-9]:[0-9][0-9]Z'"), 3);
    store_close(s);
}
END_TEST

START_TEST(test_add_trials) {
    store *s = open_ok(P("trials.db"));
    sqlite3 *db = store_handle(s);
    sw_err e = {0};
    int64_t a = sweep_with(s, "a", "A", 3);
    /* Again: every trial has its row already. */
    store_trial t[4] = {trial_of(0, "{\"other\":1}"), trial_of(1, "x"), trial_of(2, "y")};
    int added = -1;
    ck_assert_int_eq(store_add_trials(s, a, t, 3, &added, &e), 0);
    ck_assert_int_eq(added, 0);
    ck_assert_int_eq(q_int(db, "SELECT count(*) FROM runs"), 3);
    ck_assert_str_eq(Q_TEXT(db, "SELECT params FROM runs WHERE trial = 0"), "{\"t\":0,\"tag\":\"A\"}");
    ck_assert_str_eq(Q_TEXT(db, "SELECT status || ' ' || hidden || ' ' || epochs || ' ' || batch_size || ' ' || "
                                "optimizer || ' ' || momentum || ' ' || lr_schedule || ' ' || lr || ' ' || l2 "
                                "|| ' ' || seed || ' ' || swept FROM runs WHERE trial = 1"),
                     "pending 256 3 32 sgd 0.9 cosine 0.1 0.0 7 {\"train.lr.initial\":0.1}");
    ck_assert_int_eq(q_int(db, "SELECT count(*) FROM runs WHERE claimed_by IS NULL AND started_at IS NULL"), 3);

    /* Trial 0 of A is done; trial 1 of A is only pending. A second sweep with
     * the same params skips trial 0's but not trial 1's. */
    int64_t run0;
    ck_assert_int_eq(claim(s, a, &run0), 0);
    finish(s, run0, "done", NULL);
    int64_t b;
    ck_assert_int_eq(store_sweep(s, "b", "B", NULL, &b, &e), 0);
    t[0] = trial_of(0, "{\"t\":0,\"tag\":\"A\"}");
    t[1] = trial_of(1, "{\"t\":1,\"tag\":\"A\"}");
    t[2] = trial_of(2, "{\"new\":true}");
    t[3] = trial_of(3, "{\"t\":0,\"tag\":\"A\"}");
    ck_assert_int_eq(store_add_trials(s, b, t, 4, &added, &e), 0);
    ck_assert_int_eq(added, 2);
    char sql[128];
    snprintf(sql, sizeof sql, "SELECT group_concat(trial) FROM (SELECT trial FROM runs WHERE sweep_id = %lld "
             "ORDER BY trial)", (long long)b);
    ck_assert_str_eq(Q_TEXT(db, sql), "1,2");
    /* A failed or diverged run does not count as trained. */
    ck_assert_int_eq(claim(s, a, &run0), 1);
    finish(s, run0, "diverged", NULL);
    t[0] = trial_of(5, "{\"t\":1,\"tag\":\"A\"}");
    ck_assert_int_eq(store_add_trials(s, b, t, 1, &added, &e), 0);
    ck_assert_int_eq(added, 1);
    /* No trials: nothing to do. */
    ck_assert_int_eq(store_add_trials(s, b, t, 0, &added, &e), 0);
    ck_assert_int_eq(added, 0);
    store_close(s);
}
END_TEST

START_TEST(test_claim_order_and_finish) {
    store *s = open_ok(P("claim.db"));
    sqlite3 *db = store_handle(s);
    sw_err e = {0};
    int64_t sw;
    ck_assert_int_eq(store_sweep(s, "c", "C", NULL, &sw, &e), 0);
    store_trial t[3] = {trial_of(2, "p2"), trial_of(0, "p0"), trial_of(1, "p1")};
    int added;
    ck_assert_int_eq(store_add_trials(s, sw, t, 3, &added, &e), 0);
    int64_t other = sweep_with(s, "other", "O", 2);

    int64_t r0, r1, r2, r;
    ck_assert_int_eq(claim(s, sw, &r0), 0);
    ck_assert_int_eq(claim(s, sw, &r1), 1);
    ck_assert_int_eq(claim(s, sw, &r2), 2);
    ck_assert_int_eq(claim(s, sw, &r), -1);  /* all running, claimers alive */
    ck_assert_int_eq(q_int(db, "SELECT count(*) FROM runs WHERE status = 'pending'"), 2);  /* the other sweep */

    char me[300], host[256] = {0}, sql[256];
    gethostname(host, sizeof host - 1);
    snprintf(me, sizeof me, "%s:%ld", host, (long)getpid());
    snprintf(sql, sizeof sql, "SELECT claimed_by FROM runs WHERE id = %lld", (long long)r1);
    ck_assert_str_eq(Q_TEXT(db, sql), me);
    snprintf(sql, sizeof sql, "SELECT count(*) FROM runs WHERE id = %lld AND started_at LIKE '____-__-__T%%Z'",
             (long long)r1);
    ck_assert_int_eq(q_int(db, sql), 1);

    /* Finished runs stay finished, except stopped ones, which run again from scratch. */
    finish(s, r0, "done", NULL);
    finish(s, r1, "stopped", NULL);
    finish(s, r2, "failed", "worker died: signal 11");
    train_epoch ep = {.epoch = 1, .lr = 0.1, .train_loss = 1, .train_acc = 0.5, .val_loss = 1, .val_acc = 0.5,
                      .seconds = 1};
    ck_assert_int_eq(store_epoch(s, r1, &ep, &e), 0);
    ck_assert_int_eq(claim(s, sw, &r), 1);
    ck_assert_int_eq(r, r1);
    snprintf(sql, sizeof sql, "SELECT count(*) FROM epochs WHERE run_id = %lld", (long long)r1);
    ck_assert_int_eq(q_int(db, sql), 0);
    snprintf(sql, sizeof sql, "SELECT count(*) FROM runs WHERE id = %lld AND status = 'running' AND finished_at IS "
             "NULL AND best_epoch IS NULL AND test_acc IS NULL AND train_seconds IS NULL AND error IS NULL",
             (long long)r1);
    ck_assert_int_eq(q_int(db, sql), 1);
    ck_assert_int_eq(claim(s, sw, &r), -1);  /* done, running, failed by a crash */
    finish(s, r1, "pruned", NULL);
    ck_assert_int_eq(claim(s, sw, &r), -1);

    ck_assert_int_eq(claim(s, other, &r), 0);
    ck_assert_int_eq(claim(s, 999, &r), -1);  /* no such sweep: nothing to claim */
    store_close(s);
}
END_TEST

START_TEST(test_claim_dead_and_live_claimers) {
    /* A pid that is certainly gone: a child that exited and was reaped. */
    pid_t child = fork();
    ck_assert_int_ge(child, 0);
    if (child == 0) _exit(0);
    ck_assert_int_eq(waitpid(child, NULL, 0), child);

    store *s = open_ok(P("dead.db"));
    sqlite3 *db = store_handle(s);
    int64_t sw = sweep_with(s, "d", "D", 4);

    /* Trial 0: claimed by another handle of this (live) process. */
    store *s2 = open_ok(P("dead.db"));
    int64_t r0;
    ck_assert_int_eq(claim(s2, sw, &r0), 0);
    store_close(s2);

    char host[256] = {0}, sql[1024];
    gethostname(host, sizeof host - 1);
    /* Trial 1: running under the dead pid on this host; trial 2: the same
     * pid on another host, which this host cannot check. */
    snprintf(sql, sizeof sql,
             "UPDATE runs SET status = 'running', claimed_by = '%s:%ld', started_at = 'x', error = 'old' "
             "WHERE trial = 1; UPDATE runs SET status = 'running', claimed_by = 'elsewhere-%s:%ld' WHERE trial = 2",
             host, (long)child, host, (long)child);
    exec_ok(db, sql);
    sw_err e = {0};
    snprintf(sql, sizeof sql, "SELECT id FROM runs WHERE trial = 1");
    train_epoch ep = {.epoch = 1, .lr = 0.1, .train_loss = 1, .train_acc = 0.5, .val_loss = 1, .val_acc = 0.5,
                      .seconds = 1};
    ck_assert_int_eq(store_epoch(s, q_int(db, sql), &ep, &e), 0);

    int64_t r;
    ck_assert_int_eq(claim(s, sw, &r), 1);
    ck_assert_int_eq(r, q_int(db, sql));
    ck_assert_int_eq(q_int(db, "SELECT count(*) FROM runs WHERE trial = 1 AND error IS NULL AND started_at != 'x'"),
                     1);
    ck_assert_int_eq(q_int(db, "SELECT count(*) FROM epochs"), 0);
    ck_assert_int_eq(claim(s, sw, &r), 3);
    ck_assert_int_eq(claim(s, sw, &r), -1);
    store_close(s);
}
END_TEST

/* ---- epochs, finishing, results ---- */

START_TEST(test_epochs) {
    store *s = open_ok(P("epochs.db"));
    sqlite3 *db = store_handle(s);
    sw_err e = {0};
    int64_t sw = sweep_with(s, "e", "E", 1), run;
    ck_assert_int_eq(claim(s, sw, &run), 0);
    train_epoch ep = {.epoch = 1, .lr = 0.1, .train_loss = 0.5, .train_acc = 0.8, .val_loss = 0.4, .val_acc = 0.85,
                      .seconds = 2.5};
    ck_assert_int_eq(store_epoch(s, run, &ep, &e), 0);
    ep.epoch = 2;
    ck_assert_int_eq(store_epoch(s, run, &ep, &e), 0);
    ep = (train_epoch){.epoch = 1, .lr = 0.05, .train_loss = NAN, .train_acc = 0.1, .val_loss = INFINITY,
                       .val_acc = 0.2, .seconds = -INFINITY};
    ck_assert_int_eq(store_epoch(s, run, &ep, &e), 0);
    ck_assert_int_eq(q_int(db, "SELECT count(*) FROM epochs"), 2);
    ck_assert_str_eq(Q_TEXT(db, "SELECT quote(lr) || ' ' || quote(train_loss) || ' ' || quote(train_acc) || ' ' || "
                                "quote(val_loss) || ' ' || quote(val_acc) || ' ' || quote(seconds) "
                                "FROM epochs WHERE epoch = 1"),
                     "0.05 NULL 0.1 NULL 0.2 NULL");
    ck_assert_double_eq(q_real(db, "SELECT val_acc FROM epochs WHERE epoch = 2"), 0.85);
    /* The foreign key holds. */
    ck_assert_int_eq(store_epoch(s, 12345, &ep, &e), -1);
    ck_assert_ptr_nonnull(strstr(e.msg, "FOREIGN KEY"));
    ck_assert_ptr_nonnull(strstr(e.msg, P("epochs.db")));
    store_close(s);
}
END_TEST

START_TEST(test_finish) {
    store *s = open_ok(P("finish.db"));
    sqlite3 *db = store_handle(s);
    sw_err e = {0};
    int64_t sw = sweep_with(s, "f", "F", 3), r0, r1, r2;
    ck_assert_int_eq(claim(s, sw, &r0), 0);
    ck_assert_int_eq(claim(s, sw, &r1), 1);
    ck_assert_int_eq(claim(s, sw, &r2), 2);
    train_result r = {.best_epoch = 0, .best_val_acc = NAN, .test_loss = NAN, .test_acc = NAN,
                      .train_seconds = 0.25};
    ck_assert_int_eq(store_finish(s, r0, "diverged", &r, NULL, &e), 0);
    ck_assert_int_eq(store_finish(s, r1, "failed", NULL, "out of memory", &e), 0);
    r = (train_result){.best_epoch = 7, .best_val_acc = 0.98, .test_loss = 0.06, .test_acc = 0.981,
                       .train_seconds = 16.5};
    ck_assert_int_eq(store_finish(s, r2, "done", &r, NULL, &e), 0);

    ck_assert_str_eq(Q_TEXT(db, "SELECT status || ' ' || quote(best_epoch) || ' ' || quote(best_val_acc) || ' ' || "
                                "quote(test_loss) || ' ' || quote(test_acc) || ' ' || train_seconds || ' ' || "
                                "quote(error) FROM runs WHERE trial = 0"),
                     "diverged NULL NULL NULL NULL 0.25 NULL");
    ck_assert_str_eq(Q_TEXT(db, "SELECT status || ' ' || quote(best_epoch) || ' ' || quote(train_seconds) || ' ' || "
                                "error FROM runs WHERE trial = 1"),
                     "failed NULL NULL out of memory");
    ck_assert_str_eq(Q_TEXT(db, "SELECT status || ' ' || best_epoch || ' ' || best_val_acc || ' ' || test_loss || ' ' "
                                "|| test_acc || ' ' || train_seconds FROM runs WHERE trial = 2"),
                     "done 7 0.98 0.06 0.981 16.5");
    ck_assert_int_eq(q_int(db, "SELECT count(*) FROM runs WHERE finished_at LIKE '____-__-__T__:__:__Z' "
                               "AND claimed_by IS NOT NULL"), 3);
    /* No such run. */
    ck_assert_int_eq(store_finish(s, 999, "done", &r, NULL, &e), -1);
    ck_assert_ptr_nonnull(strstr(e.msg, "no run 999"));
    store_close(s);
}
END_TEST

START_TEST(test_results_and_counts) {
    store *s = open_ok(P("results.db"));
    sqlite3 *db = store_handle(s);
    sw_err e = {0};
    int64_t a = sweep_with(s, "alpha", "A", 7), b = sweep_with(s, "beta", "B", 2), r;
    const char *ends[] = {"done", "done", "failed", "diverged", "stopped", "pruned"};
    int64_t runs[6];
    for (int i = 0; i < 6; i++) ck_assert_int_eq(claim(s, a, &runs[i]), i);
    for (int i = 0; i < 6; i++) finish(s, runs[i], ends[i], NULL);
    /* The stopped trial 4 is claimed again before trial 6. */
    ck_assert_int_eq(claim(s, a, &r), 4);
    ck_assert_int_eq(claim(s, b, &r), 0);
    finish(s, r, "done", NULL);

    store_counts c;
    ck_assert_int_eq(store_counts_get(s, a, &c, &e), 0);
    ck_assert_int_eq(c.pending, 1);
    ck_assert_int_eq(c.running, 1);
    ck_assert_int_eq(c.done, 2);
    ck_assert_int_eq(c.failed, 1);
    ck_assert_int_eq(c.diverged, 1);
    ck_assert_int_eq(c.stopped, 0);
    ck_assert_int_eq(c.pruned, 1);
    ck_assert_int_eq(store_counts_get(s, b, &c, &e), 0);
    ck_assert_int_eq(c.pending + c.running + c.done, 2);
    ck_assert_int_eq(c.done, 1);
    ck_assert_int_eq(store_counts_get(s, 999, &c, &e), 0);
    ck_assert_int_eq(c.pending + c.running + c.done + c.failed + c.diverged + c.stopped + c.pruned, 0);

    ck_assert_int_eq(q_int(db, "SELECT count(*) FROM results"), 3);
    ck_assert_str_eq(Q_TEXT(db, "SELECT group_concat(sweep || '/' || trial, ' ') FROM "
                                "(SELECT * FROM results ORDER BY sweep, trial)"),
                     "alpha/0 alpha/1 beta/0");
    ck_assert_str_eq(Q_TEXT(db, "SELECT hidden || ' ' || optimizer || ' ' || best_epoch || ' ' || test_acc || ' ' || "
                                "seconds || ' ' || json_extract(params, '$.tag') FROM results WHERE sweep = 'beta'"),
                     "256 sgd 2 0.91 1.5 B");
    store_close(s);
}
END_TEST

/* ---- files store_open refuses ---- */

/* A version 1 file (its results view had no sweep_id) is migrated on a
 * read-write open, and refused with a message on a read-only one. */
START_TEST(test_migrate_from_v1) {
    const char *path = P("v1.db");
    store *s = open_ok(path);
    int64_t id;
    ck_assert_int_eq(store_sweep(s, "old", "cfg: 1", "0.1", &id, NULL), 0);
    store_close(s);
    sqlite3 *db;
    ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
    ck_assert_int_eq(sqlite3_exec(db,
                                  "DROP VIEW results; ALTER TABLE runs DROP COLUMN model; "
                                  "ALTER TABLE sweeps DROP COLUMN shard; "
                                  "ALTER TABLE sweeps DROP COLUMN trials; "
                                  "CREATE VIEW results AS SELECT s.name AS sweep, "
                                  "r.id AS run_id FROM runs r JOIN sweeps s ON s.id = r.sweep_id "
                                  "WHERE r.status = 'done'; PRAGMA user_version = 1;",
                                  NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    sw_err e = {0};
    ck_assert_int_eq(store_open(&s, path, 1, &e), -1);
    ck_assert_msg(strstr(e.msg, "schema version 1 and is read-only; make it writable once"), "%s", e.msg);
    s = open_ok(path);
    ck_assert_int_eq(q_int(store_handle(s), "PRAGMA user_version"), STORE_SCHEMA_VERSION);
    ck_assert_int_eq(q_int(store_handle(s), "SELECT count(sweep_id) FROM results"), 0);
    ck_assert_int_eq(q_int(store_handle(s), "SELECT count(*) FROM sweeps WHERE name = 'old'"), 1);
    store_close(s);
    ck_assert_int_eq(store_open(&s, path, 1, &e), 0); /* now read-only works */
    store_close(s);
}
END_TEST

/* Version 2 kept the model text in hidden: the step to 3 copies it into model. */
START_TEST(test_migrate_from_v2) {
    const char *path = P("v2.db");
    store *s = open_ok(path);
    int64_t id;
    ck_assert_int_eq(store_sweep(s, "old", "cfg: 1", "0.1", &id, NULL), 0);
    store_close(s);
    sqlite3 *db;
    ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
    ck_assert_int_eq(sqlite3_exec(db,
                                  "DROP VIEW results; ALTER TABLE runs DROP COLUMN model; "
                                  "ALTER TABLE sweeps DROP COLUMN shard; "
                                  "ALTER TABLE sweeps DROP COLUMN trials; "
                                  "INSERT INTO runs(sweep_id, trial, params, hidden, status) "
                                  "VALUES (1, 0, '{}', '256-do0.2', 'done'); "
                                  "CREATE VIEW results AS SELECT s.name AS sweep, r.sweep_id, "
                                  "r.id AS run_id, r.hidden FROM runs r JOIN sweeps s ON "
                                  "s.id = r.sweep_id WHERE r.status = 'done'; "
                                  "PRAGMA user_version = 2;",
                                  NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    s = open_ok(path);
    ck_assert_int_eq(q_int(store_handle(s), "PRAGMA user_version"), STORE_SCHEMA_VERSION);
    ck_assert_int_eq(q_int(store_handle(s), "SELECT count(*) FROM results WHERE model = '256-do0.2'"), 1);
    store_close(s);
}
END_TEST

/* Version 3 had no sweeps.shard and sweeps.trials: the step to 4 adds them,
 * empty, and store_sweep_shard fills them. */
START_TEST(test_migrate_from_v3) {
    const char *path = P("v3.db");
    store *s = open_ok(path);
    int64_t id;
    ck_assert_int_eq(store_sweep(s, "old", "cfg: 1", "0.1", &id, NULL), 0);
    store_close(s);
    sqlite3 *db;
    ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
    ck_assert_int_eq(sqlite3_exec(db, "ALTER TABLE sweeps DROP COLUMN shard; "
                                  "ALTER TABLE sweeps DROP COLUMN trials; PRAGMA user_version = 3;",
                                  NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    s = open_ok(path);
    ck_assert_int_eq(q_int(store_handle(s), "PRAGMA user_version"), STORE_SCHEMA_VERSION);
    ck_assert_int_eq(q_int(store_handle(s), "SELECT count(*) FROM sweeps WHERE shard IS NULL AND "
                                            "trials IS NULL"), 1);
    sw_err e = {0};
    ck_assert_int_eq(store_sweep_shard(s, id, "2/4", 7, &e), 0);
    ck_assert_int_eq(q_int(store_handle(s), "SELECT trials FROM sweeps WHERE shard = '2/4'"), 7);
    store_close(s);
}
END_TEST

START_TEST(test_open_not_a_database) {
    FILE *f = fopen(P("garbage.db"), "w");
    ck_assert_ptr_nonnull(f);
    for (int i = 0; i < 300; i++) fputs("this is not a database\n", f);
    fclose(f);
    open_fails(P("garbage.db"), " is not a SQLite database; move it away or pass another --db");
    /* A file shorter than SQLite's header, which SQLite itself would take
     * for an empty database and overwrite. */
    f = fopen(P("short.db"), "w");
    fputs("notes\n", f);
    fclose(f);
    open_fails(P("short.db"), " is not a SQLite database");
    f = fopen(P("short.db"), "r");
    char buf[16] = {0};
    ck_assert_ptr_nonnull(fgets(buf, sizeof buf, f));
    fclose(f);
    ck_assert_str_eq(buf, "notes\n");
    /* A folder. */
    ck_assert_int_eq(mkdir(P("folder.db"), 0755), 0);
    open_fails(P("folder.db"), "it is a folder");
}
END_TEST

START_TEST(test_open_foreign_database) {
    sqlite3 *db;
    ck_assert_int_eq(sqlite3_open(P("foreign.db"), &db), SQLITE_OK);
    exec_ok(db, "CREATE TABLE songs(title TEXT); CREATE TABLE artists(name TEXT); INSERT INTO songs VALUES ('x')");
    sqlite3_close(db);
    open_fails(P("foreign.db"), " is a SQLite database but not a sweep database (tables: songs, artists)");
    /* Untouched. */
    ck_assert_int_eq(sqlite3_open(P("foreign.db"), &db), SQLITE_OK);
    ck_assert_int_eq(q_int(db, "SELECT count(*) FROM sqlite_master"), 2);
    ck_assert_int_eq(q_int(db, "PRAGMA user_version"), 0);
    sqlite3_close(db);
    /* A database that has a `runs` table of its own but no version. */
    ck_assert_int_eq(sqlite3_open(P("foreign2.db"), &db), SQLITE_OK);
    exec_ok(db, "CREATE TABLE runs(x)");
    sqlite3_close(db);
    open_fails(P("foreign2.db"), "not a sweep database (tables: runs)");
}
END_TEST

START_TEST(test_open_newer_schema) {
    store *s = open_ok(P("newer.db"));
    store_close(s);
    sqlite3 *db;
    ck_assert_int_eq(sqlite3_open(P("newer.db"), &db), SQLITE_OK);
    exec_ok(db, "PRAGMA user_version = 99");
    sqlite3_close(db);
    open_fails(P("newer.db"), " was written by a newer sweep (schema version 99; this one knows up to 4); "
                              "upgrade sweep");
}
END_TEST

START_TEST(test_open_missing_folder) {
    open_fails(P("no/such/folder/x.db"), "folder");
    open_fails(P("no/such/folder/x.db"), "does not exist; create it or pass another --db");
}
END_TEST

/* Run open_fails(path, want) in a child that is not root (file permissions
 * do not bind root): as root the child becomes nobody. Skipped (with a note)
 * when that is not possible. */
static void open_fails_unprivileged(const char *path, const char *want) {
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        if (geteuid() == 0 && (setgid(65534) || setuid(65534))) _exit(77);
        if (geteuid() == 0) _exit(77);
        store *s;
        sw_err e = {0};
        int ok = store_open(&s, path, 0, &e) == -1 && e.code == ERR_INPUT && !strncmp(e.msg, path, strlen(path)) &&
                 strstr(e.msg, want);
        if (!ok) fprintf(stderr, "store_open(%s): got '%s', want '%s'\n", path, e.msg, want);
        _exit(ok ? 0 : 1);
    }
    int status;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert(WIFEXITED(status));
    if (WEXITSTATUS(status) == 77) {
        fprintf(stderr, "test_store: cannot drop root to check '%s'; skipped\n", want);
        return;
    }
    ck_assert_msg(WEXITSTATUS(status) == 0, "store_open(%s) did not fail with '%s'", path, want);
}

START_TEST(test_open_read_only) {
    ck_assert_int_eq(chmod(test_tmpdir, 0755), 0);
    ck_assert_int_eq(mkdir(P("ro"), 0755), 0);
    store *s = open_ok(P("ro/ro.db"));
    store_close(s);
    /* A write-protected file. */
    ck_assert_int_eq(chmod(P("ro/ro.db"), 0444), 0);
    open_fails_unprivileged(P("ro/ro.db"), " is read-only; make it writable or pass another --db");
    /* A writable file in a folder where SQLite cannot make its -wal file. */
    ck_assert_int_eq(chmod(P("ro/ro.db"), 0666), 0);
    open_fails_unprivileged(P("ro/ro.db"), "cannot be written: folder");
    /* A new file in a folder that is not writable. */
    open_fails_unprivileged(P("ro/new.db"), "cannot be opened: folder");
    ck_assert_int_eq(chmod(test_tmpdir, 0700), 0);
}
END_TEST

START_TEST(test_open_locked) {
    store *s = open_ok(P("locked.db"));
    int64_t sw = sweep_with(s, "l", "L", 2);
    store_close(s);
    sqlite3 *db;
    ck_assert_int_eq(sqlite3_open(P("locked.db"), &db), SQLITE_OK);
    exec_ok(db, "BEGIN EXCLUSIVE");
    setenv("SWEEP_BUSY_TIMEOUT_MS", "100", 1);
    open_fails(P("locked.db"), " is locked by another process (waited 0.1 s); let it finish or pass another --db");
    exec_ok(db, "COMMIT");
    /* Open first, then locked while claiming and adding. */
    s = open_ok(P("locked.db"));
    exec_ok(db, "BEGIN EXCLUSIVE");
    sw_err e = {0};
    int64_t run;
    int trial, added;
    ck_assert_int_eq(store_claim(s, sw, &run, &trial, &e), -1);
    ck_assert_int_eq(e.code, ERR_INPUT);
    ck_assert_ptr_nonnull(strstr(e.msg, "is locked by another process (waited 0.1 s)"));
    store_trial t = trial_of(5, "p");
    ck_assert_int_eq(store_add_trials(s, sw, &t, 1, &added, &e), -1);
    ck_assert_ptr_nonnull(strstr(e.msg, "is locked by another process"));
    exec_ok(db, "COMMIT");
    /* Free again. */
    ck_assert_int_eq(store_claim(s, sw, &run, &trial, &e), 1);
    ck_assert_int_eq(trial, 0);
    store_close(s);
    sqlite3_close(db);
    unsetenv("SWEEP_BUSY_TIMEOUT_MS");
}
END_TEST

Suite *store_suite(void) {
    Suite *s = suite_create("store");
    TCase *tc = tcase_create("rows");
    tcase_add_unchecked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_schema_created);
    tcase_add_test(tc, test_migrate_from_v1);
    tcase_add_test(tc, test_migrate_from_v2);
    tcase_add_test(tc, test_migrate_from_v3);
    tcase_add_test(tc, test_reopen_keeps_data);
    tcase_add_test(tc, test_json);
    tcase_add_test(tc, test_sweep_find_or_create);
    tcase_add_test(tc, test_add_trials);
    tcase_add_test(tc, test_claim_order_and_finish);
    tcase_add_test(tc, test_claim_dead_and_live_claimers);
    tcase_add_test(tc, test_epochs);
    tcase_add_test(tc, test_finish);
    tcase_add_test(tc, test_results_and_counts);
    suite_add_tcase(s, tc);

    tc = tcase_create("open_errors");
    tcase_add_unchecked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_open_not_a_database);
    tcase_add_test(tc, test_open_foreign_database);
    tcase_add_test(tc, test_open_newer_schema);
    tcase_add_test(tc, test_open_missing_folder);
    tcase_add_test(tc, test_open_read_only);
    tcase_add_test(tc, test_open_locked);
    suite_add_tcase(s, tc);
    return s;
}
