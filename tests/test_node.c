/* test_node.c - the YAML tree: marks, every rejection with its exact place,
 * strict scalars, paths, overrides, clones, emitting; then a corpus of broken
 * files (tests/bad_yaml/, each naming its expected error on line 1) and
 * mangled inputs that must fail cleanly, never crash. */
#include <check.h>
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "node.h"

/* ---- helpers ---- */

static node *parse_ok(const char *text) {
    node *n = NULL;
    sw_err e = {0};
    int rc = node_parse_string(&n, text, strlen(text), "x.yaml", &e);
    ck_assert_msg(rc == 0, "parse failed: %s\n--- input:\n%s", e.msg, text);
    return n;
}

/* The parse fails; its message starts with `where` ("x.yaml:L:C: ") and
 * contains `phrase`. */
static void parse_fails_len(const char *text, size_t len, const char *where, const char *phrase) {
    node *n = (node *)1;
    sw_err e = {0};
    int rc = node_parse_string(&n, text, len, "x.yaml", &e);
    ck_assert_msg(rc == -1, "parse of %.60s... succeeded; expected %s%s", text, where, phrase);
    ck_assert_ptr_null(n);
    ck_assert_int_eq(e.code, ERR_INPUT);
    ck_assert_msg(!strncmp(e.msg, where, strlen(where)), "message '%s' does not start with '%s'", e.msg, where);
    ck_assert_msg(strstr(e.msg, phrase), "message '%s' lacks '%s'", e.msg, phrase);
    ck_assert_msg(!strchr(e.msg, '\n'), "message '%s' is not one line", e.msg);
}

static void parse_fails(const char *text, const char *where, const char *phrase) {
    parse_fails_len(text, strlen(text), where, phrase);
}

static void assert_mark(const node *n, int line, int col) {
    ck_assert_ptr_nonnull(n);
    ck_assert_msg(n->line == line && n->col == col, "node '%s' at %d:%d, expected %d:%d",
                  n->str ? n->str : "(collection)", n->line, n->col, line, col);
}

/* Same kinds, texts, plain flags, keys, in the same order. */
static int same_tree(const node *a, const node *b, int check_plain) {
    if (!a || !b) return a == b;
    if (a->kind != b->kind || a->n != b->n) return 0;
    if (a->kind == NODE_SCALAR)
        return !strcmp(a->str, b->str) && (!check_plain || a->plain == b->plain);
    for (int i = 0; i < a->n; i++) {
        if (a->kind == NODE_MAP && !same_tree(a->keys[i], b->keys[i], check_plain)) return 0;
        if (!same_tree(a->items[i], b->items[i], check_plain)) return 0;
    }
    return 1;
}

static char *repeat(const char *s, int times) {
    size_t len = strlen(s);
    char *out = malloc(len * (size_t)times + 1);
    for (int i = 0; i < times; i++) memcpy(out + len * (size_t)i, s, len);
    out[len * (size_t)times] = '\0';
    return out;
}

static const char *config_text =
    "# a sweep\n"
    "name: mnist-mlp\n"
    "model:\n"
    "  hidden: [128, 64]\n"
    "  activation: relu\n"
    "train:\n"
    "  epochs: 3\n"
    "  lr:\n"
    "    initial: 0.1\n"
    "    schedule: \"cosine\"\n"
    "  layers:\n"
    "    - type: dense\n"
    "      units: 10\n"
    "    - type: dropout\n"
    "note: |\n"
    "  two\n"
    "  lines\n"
    "empty:\n";

/* ---- parsing ---- */

START_TEST(test_parse_config) {
    node *root = parse_ok(config_text);
    ck_assert_int_eq(root->kind, NODE_MAP);
    ck_assert_int_eq(root->n, 5);
    assert_mark(root, 2, 1);
    ck_assert_str_eq(root->file, "x.yaml");
    ck_assert_str_eq(root->keys[0]->str, "name");
    assert_mark(root->keys[0], 2, 1);
    assert_mark(root->items[0], 2, 7);
    ck_assert_int_eq(root->items[0]->plain, 1);

    node *hidden = node_at(root, "model.hidden");
    ck_assert_int_eq(hidden->kind, NODE_SEQ);
    ck_assert_int_eq(hidden->n, 2);
    assert_mark(hidden, 4, 11);
    assert_mark(hidden->items[1], 4, 17);
    ck_assert_str_eq(node_at(root, "model.hidden.1")->str, "64");

    assert_mark(node_at(root, "train.epochs"), 7, 11);
    node *sched = node_at(root, "train.lr.schedule");
    ck_assert_str_eq(sched->str, "cosine");
    ck_assert_int_eq(sched->plain, 0);
    assert_mark(sched, 10, 15);
    node *units = node_at(root, "train.layers.0.units");
    ck_assert_str_eq(units->str, "10");
    assert_mark(units, 13, 14);
    assert_mark(node_at(root, "train.layers.1"), 14, 7);
    ck_assert_str_eq(node_at(root, "train.layers.1.type")->str, "dropout");

    node *note = node_get(root, "note");
    ck_assert_str_eq(note->str, "two\nlines\n");
    ck_assert_int_eq(note->plain, 0);
    ck_assert(node_is_null(node_get(root, "empty")));

    ck_assert_ptr_null(node_at(root, "train.layers.2"));
    ck_assert_ptr_null(node_at(root, "train.nope"));
    ck_assert_ptr_null(node_at(root, "name.x"));
    ck_assert_ptr_null(node_get(hidden, "0"));
    ck_assert_ptr_eq(node_at(root, ""), root);
    node_free(root);
}
END_TEST

START_TEST(test_parse_empty) {
    const char *empties[] = {"", "\n\n", "# only\n# comments\n", "---\n", "--- # nothing\n...\n", "\xEF\xBB\xBF"};
    for (size_t i = 0; i < sizeof empties / sizeof empties[0]; i++) {
        node *n = (node *)1;
        sw_err e = {0};
        ck_assert_int_eq(node_parse_string(&n, empties[i], strlen(empties[i]), "x.yaml", &e), 0);
        ck_assert_ptr_null(n);
    }
    node *n = parse_ok("~\n"); /* a null document is not an empty one */
    ck_assert(node_is_null(n));
    node_free(n);
}
END_TEST

START_TEST(test_syntax_errors) {
    parse_fails("a: b: c\n", "x.yaml:1:5: ",
                "mapping values are not allowed here (check the indentation or quote the value)");
    parse_fails("train:\n  epochs: 3\n lr: 0.1\n", "x.yaml:3:2: ", "did not find expected key");
    parse_fails("a: [1, 2\n", "x.yaml:2:1: ", "did not find expected ',' or ']'");
    parse_fails("a: [1, 2", "x.yaml:1:9: ", "close the list");
    parse_fails("name: \"unclosed\n", "x.yaml:2:1: ", "unterminated quoted string (started at 1:7)");
    parse_fails("a: @x\n", "x.yaml:1:4: ", "'@' cannot start a value");
    parse_fails("a: \"\\q\"\n", "x.yaml:1:5: ", "unknown escape");
    parse_fails("a: \"x\\0y\"\n", "x.yaml:1:4: ", "NUL");
    parse_fails("a: 1\n...\nb: 2\n", "x.yaml:3:1: ", "one document");
}
END_TEST

START_TEST(test_tabs) {
    parse_fails("train:\n\tepochs: 3\n", "x.yaml:2:1: ", "tabs are not allowed for indentation; use spaces");
    parse_fails("train:\n  a: 1\n  \tb: 2\n", "x.yaml:3:3: ", "tabs are not allowed for indentation");
    parse_fails("a: |\n  x\n\ty\n", "x.yaml:3:1: ", "tabs are not allowed for indentation");
    parse_fails("- \tx\n", "x.yaml:1:3: ", "a tab is not allowed here; use spaces");
    /* tabs as separation are fine */
    node *n = parse_ok("a:\t1   # c\nb: [1,\t2]\n");
    ck_assert_str_eq(node_at(n, "b.1")->str, "2");
    node_free(n);
}
END_TEST

START_TEST(test_invalid_utf8) {
    parse_fails("a: 1\nb: \xFF\n", "x.yaml:2:4: ", "invalid UTF-8");
    parse_fails("a: 1\nname: caf\xE9\n", "x.yaml:2:10: ", "invalid UTF-8");
    /* columns count characters: two 2-byte characters before the bad byte */
    parse_fails("k: \xC3\xA9\xC3\xA9\x80\n", "x.yaml:1:6: ", "invalid UTF-8");
    parse_fails("a: b\xC3", "x.yaml:1:5: ", "incomplete UTF-8");
    parse_fails("a:\r\n  b: \x01\r\n", "x.yaml:2:6: ", "control character 0x01");
    parse_fails_len("a: 1\nb\0: 2\n", 12, "x.yaml:2:2: ", "control character 0x00");
    /* a UTF-16 BOM is not UTF-8 */
    parse_fails_len("\xFF\xFE" "a\0:\0 \0" "1\0", 10, "x.yaml:1:1: ", "invalid UTF-8");
    node *n = parse_ok("\xEF\xBB\xBFname: \xE2\x82\xAC\n");
    ck_assert_str_eq(node_get(n, "name")->str, "\xE2\x82\xAC");
    node_free(n);
}
END_TEST

START_TEST(test_duplicate_keys) {
    parse_fails("train:\n  epochs: 3\n  lr: 0.1\n  epochs: 4\n", "x.yaml:4:3: ",
                "duplicate key 'epochs' (first defined at 2:3)");
    parse_fails("{a: 1, b: 2, a: 3}\n", "x.yaml:1:14: ", "duplicate key 'a' (first defined at 1:2)");
    parse_fails("a: 1\n'a': 2\n", "x.yaml:2:1: ", "duplicate key 'a' (first defined at 1:1)");
    /* many keys: the table of seen keys grows */
    char *big = malloc(300 * 16 + 64), *p = big;
    for (int i = 0; i < 300; i++) p += sprintf(p, "key%d: %d\n", i, i);
    node *n = parse_ok(big);
    ck_assert_int_eq(n->n, 300);
    ck_assert_str_eq(node_get(n, "key299")->str, "299");
    node_free(n);
    sprintf(p, "key17: again\n");
    parse_fails(big, "x.yaml:301:1: ", "duplicate key 'key17' (first defined at 18:1)");
    free(big);
    /* the same key in different mappings is fine */
    n = parse_ok("a: {x: 1}\nb: {x: 2}\n");
    node_free(n);
}
END_TEST

START_TEST(test_nonscalar_keys) {
    parse_fails("[a, b]: 1\n", "x.yaml:1:1: ", "a mapping key must be a plain name, not a list");
    parse_fails("a: 1\n? {b: 1}\n: 2\n", "x.yaml:2:3: ", "not a mapping");
    parse_fails("a: &l [1]\n*l : 2\n", "x.yaml:2:1: ", "not a list");
}
END_TEST

START_TEST(test_two_documents) {
    parse_fails("epochs: 3\n---\nepochs: 4\n", "x.yaml:2:1: ", "a second YAML document");
    parse_fails("--- 1\n--- 2\n", "x.yaml:2:1: ", "one document");
    node *n = parse_ok("---\nepochs: 3\n...\n");
    ck_assert_str_eq(node_get(n, "epochs")->str, "3");
    node_free(n);
}
END_TEST

START_TEST(test_depth) {
    char *open = repeat("[", 64), *close = repeat("]", 64);
    char text[200];
    snprintf(text, sizeof text, "%s1%s\n", open, close);
    node *n = parse_ok(text);
    const node *cur = n;
    for (int i = 0; i < 63; i++) cur = cur->items[0];
    ck_assert_str_eq(cur->items[0]->str, "1");
    node_free(n);
    snprintf(text, sizeof text, "[%s1%s]\n", open, close);
    parse_fails(text, "x.yaml:1:65: ", "nesting deeper than 64 levels");
    /* block style: the root mapping counts as a level */
    char block[8000] = "", *p = block;
    for (int i = 0; i < 65; i++) p += sprintf(p, "%*sk:\n", 2 * i, "");
    parse_fails(block, "x.yaml:65:", "nesting deeper than 64");
    free(open);
    free(close);
    /* an alias cannot smuggle depth in */
    char *a = repeat("[", 40), *b = repeat("]", 40);
    char *inner = repeat("[", 30), *inner_close = repeat("]", 30);
    char deep[400];
    snprintf(deep, sizeof deep, "- &x %s1%s\n- %s*x%s\n", a, b, inner, inner_close);
    parse_fails(deep, "x.yaml:2:", "deeper than 64");
    free(a), free(b), free(inner), free(inner_close);
}
END_TEST

START_TEST(test_aliases) {
    node *n = parse_ok("base: &b {lr: 0.1, tags: [x]}\nrun: *b\ns: &s hi\nt: *s\n");
    node *base = node_get(n, "base"), *run = node_get(n, "run");
    ck_assert(same_tree(base, run, 1));
    ck_assert_ptr_ne(base, run); /* a copy, not shared */
    ck_assert_ptr_ne(base->items[1], run->items[1]);
    assert_mark(run, 2, 6);                   /* the copy is where the alias is */
    assert_mark(run->items[0], 1, 15);        /* its insides keep their places */
    ck_assert_str_eq(node_get(n, "t")->str, "hi");
    node_free(n);

    /* an anchor may be redefined: later aliases see the new one */
    n = parse_ok("a: &x 1\nb: &x 2\nc: *x\n");
    ck_assert_str_eq(node_get(n, "c")->str, "2");
    node_free(n);

    parse_fails("a: *nope\n", "x.yaml:1:4: ", "unknown alias '*nope'");
    parse_fails("a: *x\nb: &x 1\n", "x.yaml:1:4: ", "unknown alias '*x'");
    parse_fails("a: &x [1, *x]\n", "x.yaml:1:11: ", "alias '*x' is inside the node it refers to");
    parse_fails("a: &x {b: {c: *x}}\n", "x.yaml:1:15: ", "inside the node");
    /* merge keys are plain keys here; config.c reports them */
    n = parse_ok("b: &b {x: 1}\nc:\n  <<: *b\n  y: 2\n");
    ck_assert_str_eq(node_at(n, "c.<<.x")->str, "1");
    node_free(n);
}
END_TEST

START_TEST(test_billion_laughs) {
    const char *lol =
        "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
        "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
        "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
        "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
        "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
        "f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
        "g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]\n"
        "h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g]\n"
        "i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h]\n";
    /* a..d expand to 9*10 + 9*91 + 9*820 = 8298 nodes; e adds 9*7381 =
     * 66429 (74727 in all); f's first alias needs 66430 more: too many */
    parse_fails(lol, "x.yaml:6:8: ", "aliases expand to more than 100000 nodes");
    node *n = parse_ok("a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
                       "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
                       "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
                       "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
                       "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]\n");
    ck_assert_str_eq(node_at(n, "e.8.8.8.8.8")->str, "lol");
    node_free(n);
    /* many small aliases add up too */
    char *many = malloc(20 * 110000 + 100), *p = many;
    p += sprintf(p, "x: &x 1\nl:\n");
    for (int i = 0; i < 100001; i++) p += sprintf(p, "- *x\n");
    parse_fails(many, "x.yaml:100003:3: ", "more than 100000 nodes");
    free(many);
}
END_TEST

START_TEST(test_tags) {
    node *n = parse_ok("a: !!str 5\nb: ! 6\nc: !!map {x: 1}\nd: !!seq [1]\n");
    ck_assert_int_eq(node_get(n, "a")->plain, 0);
    ck_assert_int_eq(node_get(n, "b")->plain, 0);
    ck_assert_int_eq(node_to_ll(node_get(n, "a"), &(long long){0}), -1);
    ck_assert_int_eq(node_get(n, "c")->kind, NODE_MAP);
    node_free(n);
    parse_fails("a: !!int 5\n", "x.yaml:1:4: ", "unsupported tag '!!int'");
    parse_fails("a: !!python/object:os.system x\n", "x.yaml:1:4: ", "unsupported tag '!!python/object:os.system'");
    parse_fails("a: !local 1\n", "x.yaml:1:4: ", "unsupported tag '!local'");
    parse_fails("a: !!str [1]\n", "x.yaml:1:4: ", "unsupported tag '!!str'");
    parse_fails("a: !x!y 1\n", "x.yaml:1:4: ", "undefined tag handle");
}
END_TEST

START_TEST(test_long_line) {
    size_t len = 1 << 20;
    char *text = malloc(len + 16);
    memcpy(text, "a: ", 3);
    memset(text + 3, 'x', len);
    memcpy(text + 3 + len, "\nb: 1\n", 7);
    node *n = parse_ok(text);
    ck_assert_uint_eq(strlen(node_get(n, "a")->str), len);
    assert_mark(node_get(n, "b"), 2, 4);
    node_free(n);
    /* a 1 MB key is more than libyaml allows a simple key: a clean error */
    memset(text, 'k', len);
    memcpy(text + len, ": 1\n", 5);
    parse_fails(text, "x.yaml:1:", "mapping values are not allowed here");
    /* 1 MB of brackets stops at the depth limit */
    memset(text, '[', len);
    text[len] = '\0';
    parse_fails(text, "x.yaml:1:65: ", "nesting deeper than 64");
    /* 1 MB quoted string on one line */
    text[0] = '"';
    memset(text + 1, 'q', len - 2);
    text[len - 1] = '"';
    n = parse_ok(text);
    ck_assert_uint_eq(strlen(n->str), len - 2);
    node_free(n);
    free(text);
}
END_TEST

START_TEST(test_parse_file) {
    char path[] = "/tmp/test_node_XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    const char *text = "a: 1\nb: [x, y]\n";
    ck_assert_int_eq(write(fd, text, strlen(text)), (int)strlen(text));
    close(fd);
    node *n = NULL;
    sw_err e = {0};
    ck_assert_int_eq(node_parse_file(&n, path, &e), 0);
    ck_assert_str_eq(n->file, path);
    assert_mark(node_at(n, "b.1"), 2, 8);
    node *c = node_clone(node_get(n, "b"));
    node_free(n);
    ck_assert_str_eq(c->file, path); /* the name outlives the tree it came from */
    ck_assert_str_eq(c->items[0]->file, path);
    node_free(c);
    unlink(path);
    ck_assert_int_eq(node_parse_file(&n, path, &e), -1);
    ck_assert_ptr_null(n);
    ck_assert_int_eq(e.code, ERR_INPUT);
    ck_assert_msg(strstr(e.msg, path) && strstr(e.msg, "cannot open"), "%s", e.msg);
    ck_assert_int_eq(node_parse_file(&n, "/tmp", &e), -1);
    ck_assert_msg(strstr(e.msg, "cannot read"), "%s", e.msg);
}
END_TEST

/* Every file in tests/bad_yaml names its error on line 1:
 * "# expect: LINE:COL: phrase". */
START_TEST(test_bad_yaml_corpus) {
    char dir[512];
    snprintf(dir, sizeof dir, "%s", __FILE__);
    char *slash = strrchr(dir, '/');
    snprintf(slash ? slash + 1 : dir, sizeof dir - (size_t)(slash ? slash + 1 - dir : 0), "bad_yaml");
    DIR *d = opendir(dir);
    ck_assert_msg(d != NULL, "cannot open %s (run the tests from the repository root)", dir);
    int files = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        size_t len = strlen(de->d_name);
        if (len < 6 || strcmp(de->d_name + len - 5, ".yaml")) continue;
        char path[1024], line[256], where[1100];
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        FILE *f = fopen(path, "rb");
        ck_assert_ptr_nonnull(f);
        ck_assert_ptr_nonnull(fgets(line, sizeof line, f));
        fclose(f);
        int l, c, at = 0;
        ck_assert_msg(sscanf(line, "# expect: %d:%d: %n", &l, &c, &at) == 2 && at > 0, "%s: no expect line", path);
        line[strcspn(line, "\n")] = '\0';
        snprintf(where, sizeof where, "%s:%d:%d: ", path, l, c);
        node *n = (node *)1;
        sw_err e = {0};
        ck_assert_msg(node_parse_file(&n, path, &e) == -1, "%s parsed", path);
        ck_assert_ptr_null(n);
        ck_assert_int_eq(e.code, ERR_INPUT);
        ck_assert_msg(!strncmp(e.msg, where, strlen(where)) && strstr(e.msg, line + at),
                      "%s: got '%s', expected '%s%s'", de->d_name, e.msg, where, line + at);
        files++;
    }
    closedir(d);
    ck_assert_int_ge(files, 10);
}
END_TEST

/* ---- scalars ---- */

static node *scalar(const char *s, int plain) { return node_new_scalar(s, plain); }

START_TEST(test_to_ll) {
    const struct { const char *s; long long v; } good[] = {
        {"0", 0}, {"42", 42}, {"-7", -7}, {"+3", 3}, {"007", 7},
        {"9223372036854775807", 9223372036854775807LL}, {"-9223372036854775808", -9223372036854775807LL - 1},
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        node *n = scalar(good[i].s, 1);
        long long v = -1;
        ck_assert_msg(node_to_ll(n, &v) == 0 && v == good[i].v, "%s", good[i].s);
        node_free(n);
    }
    const char *bad[] = {"", "-", "+", "1.0", "1e3", "0x10", "1_000", " 1", "1 ", "9223372036854775808",
                         "-9223372036854775809", "99999999999999999999999", "one", "--1", ".5", "0o17"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        node *n = scalar(bad[i], 1);
        long long v = 123;
        ck_assert_msg(node_to_ll(n, &v) == -1, "'%s' accepted", bad[i]);
        ck_assert_int_eq(v, 123);
        node_free(n);
    }
    node *q = parse_ok("a: \"1\"\nb: '2'\nc: [1]\n");
    long long v;
    ck_assert_int_eq(node_to_ll(node_get(q, "a"), &v), -1);
    ck_assert_int_eq(node_to_ll(node_get(q, "b"), &v), -1);
    ck_assert_int_eq(node_to_ll(node_get(q, "c"), &v), -1);
    ck_assert_int_eq(node_to_ll(NULL, &v), -1);
    node_free(q);
}
END_TEST

START_TEST(test_to_double) {
    const struct { const char *s; double v; } good[] = {
        {"0", 0}, {"1.5", 1.5}, {"-2", -2}, {"+.5", 0.5}, {".5", 0.5}, {"1.", 1}, {"1e3", 1000},
        {"1E-3", 0.001}, {"-1.25e+2", -125}, {"3e0", 3}, {"1e-400", 0}, {"1.7976931348623157e308", 1.7976931348623157e308},
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        node *n = scalar(good[i].s, 1);
        double v = -1;
        ck_assert_msg(node_to_double(n, &v) == 0 && v == good[i].v, "%s", good[i].s);
        node_free(n);
    }
    const char *bad[] = {"", ".", "-", "+.", "1e", "1e+", "e3", ".e3", "1e400", "-1e400", "2e308", ".nan", ".NaN",
                         ".inf", "-.inf", "nan", "inf", "infinity", "0x10", "0x1p3", "1,5", "1_000.0", " 1", "1 ",
                         "1.5.2", "1e3.5", "--1", "1d", "true"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        node *n = scalar(bad[i], 1);
        double v = 123;
        ck_assert_msg(node_to_double(n, &v) == -1, "'%s' accepted", bad[i]);
        ck_assert(v == 123);
        node_free(n);
    }
    node *q = scalar("1.5", 0);
    double v;
    ck_assert_int_eq(node_to_double(q, &v), -1);
    node_free(q);
}
END_TEST

START_TEST(test_bool_null) {
    const char *t[] = {"true", "True", "TRUE"}, *f[] = {"false", "False", "FALSE"};
    for (int i = 0; i < 3; i++) {
        node *a = scalar(t[i], 1), *b = scalar(f[i], 1);
        int v = -1;
        ck_assert(node_to_bool(a, &v) == 0 && v == 1);
        ck_assert(node_to_bool(b, &v) == 0 && v == 0);
        node_free(a), node_free(b);
    }
    const char *bad[] = {"yes", "no", "on", "off", "tRUE", "1", "0", "y", ""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        node *n = scalar(bad[i], 1);
        int v;
        ck_assert_msg(node_to_bool(n, &v) == -1, "'%s' accepted", bad[i]);
        node_free(n);
    }
    node *q = scalar("true", 0);
    int v;
    ck_assert_int_eq(node_to_bool(q, &v), -1);
    node_free(q);

    const char *nulls[] = {"null", "Null", "NULL", "~", ""};
    for (size_t i = 0; i < 5; i++) {
        node *n = scalar(nulls[i], 1), *s = scalar(nulls[i], 0);
        ck_assert_msg(node_is_null(n), "'%s'", nulls[i]);
        ck_assert(!node_is_null(s));
        node_free(n), node_free(s);
    }
    node *nn = scalar("nULL", 1);
    ck_assert(!node_is_null(nn));
    node_free(nn);
    node *doc = parse_ok("a:\nb: ~\nc: ''\nd: [1]\n");
    ck_assert(node_is_null(node_get(doc, "a")));
    ck_assert(node_is_null(node_get(doc, "b")));
    ck_assert(!node_is_null(node_get(doc, "c")));
    ck_assert(!node_is_null(node_get(doc, "d")));
    node_free(doc);
}
END_TEST

START_TEST(test_describe) {
    char buf[128];
    node *doc = parse_ok("m: {a: 1}\nl: [1]\nn: ~\nf: 1.5\ni: 3\ns: abc\nq: \"7\"\nb: True\nnl: \"a\\nb\"\n"
                         "long: aaaaaaaaaabbbbbbbbbbccccccccccddddddddddeeeeeeeeee\n"
                         "u: \xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9"
                         "\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9"
                         "\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9"
                         "\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9"
                         "\xC3\xA9\xC3\xA9\n");
    ck_assert_str_eq(node_describe(node_get(doc, "m"), buf, sizeof buf), "a mapping");
    ck_assert_str_eq(node_describe(node_get(doc, "l"), buf, sizeof buf), "a list");
    ck_assert_str_eq(node_describe(node_get(doc, "n"), buf, sizeof buf), "null");
    ck_assert_str_eq(node_describe(node_get(doc, "f"), buf, sizeof buf), "a number (1.5)");
    ck_assert_str_eq(node_describe(node_get(doc, "i"), buf, sizeof buf), "a number (3)");
    ck_assert_str_eq(node_describe(node_get(doc, "s"), buf, sizeof buf), "the string 'abc'");
    ck_assert_str_eq(node_describe(node_get(doc, "q"), buf, sizeof buf), "the string '7'");
    ck_assert_str_eq(node_describe(node_get(doc, "b"), buf, sizeof buf), "true");
    ck_assert_str_eq(node_describe(node_get(doc, "nl"), buf, sizeof buf), "the string 'a\\nb'");
    ck_assert_str_eq(node_describe(node_get(doc, "long"), buf, sizeof buf),
                     "the string 'aaaaaaaaaabbbbbbbbbbccccccccccdddddddddd...'");
    const char *u = node_describe(node_get(doc, "u"), buf, sizeof buf);
    ck_assert_uint_eq(strlen(u), strlen("the string '") + 40 * 2 + strlen("...'"));
    char small[8];
    ck_assert_str_eq(node_describe(node_get(doc, "s"), small, sizeof small), "the str");
    ck_assert_str_eq(node_describe(NULL, buf, sizeof buf), "null");
    node_free(doc);
}
END_TEST

/* ---- paths ---- */

START_TEST(test_at_set) {
    node *root = parse_ok("model:\n  layers:\n    - {type: dense, units: 64}\n    - {type: dense, units: 10}\n"
                          "train: {epochs: 3}\nopt:\n");
    ck_assert_str_eq(node_at(root, "model.layers.1.units")->str, "10");
    ck_assert_ptr_null(node_at(root, "model.layers.01.units"));
    ck_assert_ptr_null(node_at(root, "model.layers.-1"));
    ck_assert_ptr_null(node_at(root, "model..layers"));
    ck_assert_ptr_null(node_at(root, "model.layers."));
    ck_assert_ptr_null(node_at(NULL, "a"));
    sw_err e = {0};

    /* replace inside a sequence item */
    node *v = node_new_scalar("128", 1);
    ck_assert_int_eq(node_set(root, "model.layers.0.units", v, &e), 0);
    ck_assert_ptr_eq(node_at(root, "model.layers.0.units"), v);
    /* replace a whole sequence item; the old subtree is freed (valgrind) */
    node *item = parse_ok("{type: dropout, p: 0.5}");
    ck_assert_int_eq(node_set(root, "model.layers.1", item, &e), 0);
    ck_assert_str_eq(node_at(root, "model.layers.1.p")->str, "0.5");
    ck_assert_int_eq(node_at(root, "model.layers")->n, 2);
    /* add a key, and create missing mappings, marked like the value */
    v = node_new_scalar("0.9", 1);
    v->file = "cli";
    v->line = 1;
    v->col = 9;
    ck_assert_int_eq(node_set(root, "train.opt.beta.first", v, &e), 0);
    node *beta = node_at(root, "train.opt.beta");
    ck_assert_int_eq(beta->kind, NODE_MAP);
    ck_assert_str_eq(beta->file, "cli");
    assert_mark(beta, 1, 9);
    node *train = node_get(root, "train");
    ck_assert_str_eq(train->keys[1]->str, "opt");
    assert_mark(train->keys[1], 1, 9);
    ck_assert_int_eq(node_set(root, "new", node_new_scalar("x", 0), &e), 0);
    ck_assert_str_eq(root->keys[root->n - 1]->str, "new");
    /* a null becomes a mapping */
    ck_assert_int_eq(node_set(root, "opt.name", node_new_scalar("sgd", 1), &e), 0);
    ck_assert_str_eq(node_at(root, "opt.name")->str, "sgd");

    /* failures free the value (valgrind) */
    ck_assert_int_eq(node_set(root, "model.layers.2", node_new_scalar("x", 1), &e), -1);
    ck_assert_msg(!strncmp(e.msg, "x.yaml:3:5: ", 12) && strstr(e.msg, "index 2 is out of range (the list has 2 items)"),
                  "%s", e.msg);
    ck_assert_int_eq(node_set(root, "model.layers.first", node_new_scalar("x", 1), &e), -1);
    ck_assert_msg(strstr(e.msg, "'first' is not an index"), "%s", e.msg);
    ck_assert_int_eq(node_set(root, "train.epochs.max", node_new_scalar("x", 1), &e), -1);
    ck_assert_msg(!strncmp(e.msg, "x.yaml:5:17: ", 13) && strstr(e.msg, "'train.epochs' is a number (3)"), "%s",
                  e.msg);
    ck_assert_int_eq(node_set(root, "a..b", node_new_scalar("x", 1), &e), -1);
    ck_assert_int_eq(node_set(root, "", node_new_scalar("x", 1), &e), -1);
    ck_assert_int_eq(node_set(NULL, "a", node_new_scalar("x", 1), &e), -1);
    ck_assert_int_eq(node_set(root, "a", NULL, &e), -1);
    node *s = parse_ok("just text");
    ck_assert_int_eq(node_set(s, "a", node_new_scalar("x", 1), &e), -1);
    ck_assert_msg(strstr(e.msg, "the document is the string 'just text'"), "%s", e.msg);
    node_free(s);
    node_free(root);
}
END_TEST

/* ---- overrides ---- */

static void override_fails(node *root, const char *assignment, const char *phrase) {
    sw_err e = {0};
    char head[300];
    snprintf(head, sizeof head, "command line: override '%s': ", assignment);
    ck_assert_msg(node_override(root, assignment, &e) == -1, "'%s' accepted", assignment);
    ck_assert_int_eq(e.code, ERR_INPUT);
    ck_assert_msg(!strncmp(e.msg, head, strlen(head)), "'%s' does not start with '%s'", e.msg, head);
    ck_assert_msg(strstr(e.msg, phrase), "'%s' lacks '%s'", e.msg, phrase);
}

START_TEST(test_override) {
    node *root = parse_ok("model:\n  hidden: [64]\ntrain:\n  epochs: 10\n  lr: 0.1\n");
    sw_err e = {0};
    ck_assert_int_eq(node_override(root, "train.epochs=3", &e), 0);
    node *ep = node_at(root, "train.epochs");
    ck_assert_str_eq(ep->str, "3");
    ck_assert_int_eq(ep->plain, 1);
    ck_assert_str_eq(ep->file, "command line");
    assert_mark(ep, 1, 14); /* the column within the override */

    ck_assert_int_eq(node_override(root, "model.hidden=[128, 32]", &e), 0);
    node *h = node_at(root, "model.hidden");
    ck_assert_int_eq(h->kind, NODE_SEQ);
    ck_assert_int_eq(h->n, 2);
    assert_mark(h, 1, 14);
    assert_mark(h->items[1], 1, 20);

    ck_assert_int_eq(node_override(root, "model.hidden.0=256", &e), 0);
    ck_assert_str_eq(node_at(root, "model.hidden.0")->str, "256");
    ck_assert_int_eq(node_override(root, "train.name='a=b'", &e), 0);
    ck_assert_str_eq(node_at(root, "train.name")->str, "a=b");
    ck_assert_int_eq(node_at(root, "train.name")->plain, 0);
    ck_assert_int_eq(node_override(root, "data.augment.flip={p: 0.5}", &e), 0); /* new keys */
    ck_assert_str_eq(node_at(root, "data.augment.flip.p")->str, "0.5");
    assert_mark(node_at(root, "data.augment"), 1, 19);
    ck_assert_int_eq(node_override(root, "train.lr=", &e), 0);
    ck_assert(node_is_null(node_at(root, "train.lr")));
    assert_mark(node_at(root, "train.lr"), 1, 10);
    ck_assert_int_eq(node_override(root, "train.note=a b # c", &e), 0);
    ck_assert_str_eq(node_at(root, "train.note")->str, "a b");

    override_fails(root, "train.epochs", "expected dotted.path=value");
    override_fails(root, "=3", "column 1: the path before '=' is empty");
    override_fails(root, "train..epochs=3", "column 7: empty path segment");
    override_fails(root, ".epochs=3", "column 1: empty path segment");
    override_fails(root, "train.=3", "column 7: empty path segment");
    override_fails(root, "train.ep-ochs=3", "column 9: '-' cannot be in a path");
    override_fails(root, "train epochs=3", "column 6: ' ' cannot be in a path");
    override_fails(root, "train.epochs=[", "column 15: did not find expected node content");
    override_fails(root, "train.epochs=[1, 2", "column 19: did not find expected ',' or ']'");
    override_fails(root, "train.epochs=a: b: c", "column 18: mapping values are not allowed here");
    override_fails(root, "train.epochs=*x", "column 14: unknown alias");
    override_fails(root, "train.epochs=\"x", "unterminated quoted string (started at 1:14)");
    ck_assert_int_eq(node_override(root, "train.epochs=\xFF", &e), -1);
    ck_assert_str_eq(e.msg, "command line: override 'train.epochs=\\xFF': column 14: invalid UTF-8 (invalid leading "
                            "UTF-8 octet 0xFF at byte 13); save the file as UTF-8");
    ck_assert_int_eq(node_override(root, "train.epochs=1\n---\n2", &e), -1);
    ck_assert_msg(strstr(e.msg, "override 'train.epochs=1\\n---\\n2': line 2, column 1 of the value: a second YAML"),
                  "%s", e.msg);
    override_fails(root, "train.epochs.max=3", "'train.epochs' is a number (3)");
    override_fails(root, "model.hidden.5=3", "index 5 is out of range");
    ck_assert_str_eq(node_at(root, "train.epochs")->str, "3"); /* failures change nothing */

    node *scalar_root = node_new_scalar("x", 1);
    ck_assert_int_eq(node_override(scalar_root, "a=1", &e), -1);
    node_free(scalar_root);
    ck_assert_int_eq(node_override(NULL, "a=1", &e), -1);
    ck_assert_msg(strstr(e.msg, "the document is empty"), "%s", e.msg);
    node_free(root);
}
END_TEST

/* ---- clone, emit ---- */

START_TEST(test_clone) {
    node *a = parse_ok(config_text);
    node *b = node_clone(a);
    ck_assert(same_tree(a, b, 1));
    ck_assert_ptr_ne(a->items[1], b->items[1]);
    assert_mark(node_at(b, "train.lr.initial"), 9, 14);
    sw_err e = {0};
    ck_assert_int_eq(node_override(b, "train.epochs=99", &e), 0);
    ck_assert_str_eq(node_at(a, "train.epochs")->str, "3");
    node_free(a);
    ck_assert_str_eq(node_at(b, "train.epochs")->str, "99");
    ck_assert_str_eq(node_at(b, "model.activation")->file, "x.yaml");
    node_free(b);
    ck_assert_ptr_null(node_clone(NULL));
    node *s = node_new_scalar(NULL, 1);
    ck_assert_str_eq(s->str, "");
    node *t = node_clone(s);
    ck_assert(node_is_null(t));
    node_free(s), node_free(t);
}
END_TEST

static void round_trip(const char *text) {
    node *a = parse_ok(text);
    sw_err e = {0};
    char *out = node_emit(a, &e);
    ck_assert_msg(out != NULL, "%s", e.msg);
    node *b = NULL;
    int rc = node_parse_string(&b, out, strlen(out), "emitted", &e);
    ck_assert_msg(rc == 0, "re-parse failed: %s\n--- emitted:\n%s", e.msg, out);
    ck_assert_msg(same_tree(a, b, 1), "round trip changed the tree:\n--- in:\n%s\n--- out:\n%s", text, out);
    free(out);
    node_free(a);
    node_free(b);
}

START_TEST(test_emit) {
    node *n = parse_ok("b: 1\na: [x, 'y']\nc: {d: ~, e: ''}\n");
    sw_err e = {0};
    char *out = node_emit(n, &e);
    ck_assert_str_eq(out, "b: 1\na:\n- x\n- 'y'\nc:\n  d: ~\n  e: ''\n");
    free(out);
    node_free(n);

    round_trip(config_text);
    round_trip("a: \"1\"\nb: '1.5'\nc: \"true\"\nd: \"null\"\ne: \"\"\nf:\ng: ~\nh: 'a: b'\ni: \"#x\"\n"
               "j: \"- x\"\nk: \"tab\\there\"\nl: \"line\\nbreak\"\nm: \"trailing\\n\\n\"\nn: \" lead\"\n"
               "o: \"\\u00e9\\u20ac\"\np: \"\\x01ctl\"\nq: \"'\\\"\"\nr: |-\n  no newline\n");
    round_trip("- []\n- {}\n- [[1, [2, [3]]]]\n- {a: {b: {c: [d]}}}\n- \"\"\n- !!str 12\n");
    round_trip("? \"a very long key that goes on and on and on and on and on and on and on and on and on and on "
               "and on and on and on and on and on\"\n: 1\n\"key: with colon\": 2\n\"\": 3\n");
    round_trip("scalar at the root\n");
    round_trip("\"quoted root\"\n");
    round_trip("- x: 1\n  y: [1, 2]\n- - a\n  - b\n");

    /* plain text that cannot stay plain gets quoted */
    n = node_new_scalar("a: b # c", 1);
    out = node_emit(n, &e);
    node *back = NULL;
    ck_assert_int_eq(node_parse_string(&back, out, strlen(out), "emitted", &e), 0);
    ck_assert_str_eq(back->str, "a: b # c");
    free(out);
    node_free(back);
    node_free(n);

    out = node_emit(NULL, &e);
    ck_assert_str_eq(out, "");
    free(out);
}
END_TEST

/* ---- mangled inputs: every result is a tree or a one-line placed error ---- */

static uint64_t fuzz_state = 0x9E3779B97F4A7C15ULL;
static uint64_t fuzz_next(void) {
    fuzz_state ^= fuzz_state << 13;
    fuzz_state ^= fuzz_state >> 7;
    fuzz_state ^= fuzz_state << 17;
    return fuzz_state;
}

static void survive(const char *text, size_t len) {
    node *n = (node *)1;
    sw_err e = {0};
    if (node_parse_string(&n, text, len, "f.yaml", &e)) {
        ck_assert_ptr_null(n);
        int l = 0, c = 0;
        ck_assert_msg(sscanf(e.msg, "f.yaml:%d:%d: ", &l, &c) == 2 && l >= 1 && c >= 1, "unplaced error: %s", e.msg);
        ck_assert_msg(!strchr(e.msg, '\n'), "multi-line error: %s", e.msg);
        return;
    }
    /* what parses, emits and parses back the same (plain flags aside) */
    char *out = node_emit(n, &e);
    ck_assert_msg(out != NULL, "emit failed: %s", e.msg);
    node *b = NULL;
    ck_assert_msg(node_parse_string(&b, out, strlen(out), "emitted", &e) == 0, "re-parse: %s\n%s", e.msg, out);
    ck_assert_msg(same_tree(n, b, 0), "round trip changed the tree:\n%s", out);
    free(out);
    node_free(b);
    node_free(n);
}

START_TEST(test_mangled_inputs) {
    size_t len = strlen(config_text);
    char *buf = malloc(len + 1);
    for (size_t cut = 0; cut <= len; cut++) survive(config_text, cut); /* truncated files */
    static const char alphabet[] = "ab1 :-[]{},'\"&*!|>#?\n\n\t\\.~%@`\xC3\xA9\xFF\x80\x01";
    for (int round = 0; round < 3000; round++) {
        memcpy(buf, config_text, len + 1);
        int edits = 1 + (int)(fuzz_next() % 4);
        for (int k = 0; k < edits; k++)
            buf[fuzz_next() % len] = alphabet[fuzz_next() % (sizeof alphabet - 1)];
        survive(buf, len);
    }
    char noise[256];
    for (int round = 0; round < 3000; round++) {
        size_t n = fuzz_next() % sizeof noise;
        for (size_t i = 0; i < n; i++)
            noise[i] = round % 2 ? (char)(fuzz_next() & 0xFF) : alphabet[fuzz_next() % (sizeof alphabet - 1)];
        survive(noise, n);
    }
    free(buf);
}
END_TEST

Suite *node_suite(void) {
    Suite *s = suite_create("node");
    TCase *t = tcase_create("parse");
    tcase_set_timeout(t, 60);
    tcase_add_test(t, test_parse_config);
    tcase_add_test(t, test_parse_empty);
    tcase_add_test(t, test_syntax_errors);
    tcase_add_test(t, test_tabs);
    tcase_add_test(t, test_invalid_utf8);
    tcase_add_test(t, test_duplicate_keys);
    tcase_add_test(t, test_nonscalar_keys);
    tcase_add_test(t, test_two_documents);
    tcase_add_test(t, test_depth);
    tcase_add_test(t, test_aliases);
    tcase_add_test(t, test_billion_laughs);
    tcase_add_test(t, test_tags);
    tcase_add_test(t, test_long_line);
    tcase_add_test(t, test_parse_file);
    tcase_add_test(t, test_bad_yaml_corpus);
    suite_add_tcase(s, t);

    t = tcase_create("scalars");
    tcase_add_test(t, test_to_ll);
    tcase_add_test(t, test_to_double);
    tcase_add_test(t, test_bool_null);
    tcase_add_test(t, test_describe);
    suite_add_tcase(s, t);

    t = tcase_create("tree");
    tcase_set_timeout(t, 60);
    tcase_add_test(t, test_at_set);
    tcase_add_test(t, test_override);
    tcase_add_test(t, test_clone);
    tcase_add_test(t, test_emit);
    tcase_add_test(t, test_mangled_inputs);
    suite_add_tcase(s, t);
    return s;
}
