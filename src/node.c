/* node.c - YAML text <-> a tree of nodes that remember file:line:column.
 *
 * Owns: building the tree from libyaml's event API (never hand-parsing YAML),
 * the strict scalar conversions, dotted-path lookup and replacement,
 * command-line overrides, cloning, and emitting the tree with libyaml's
 * emitter. Called by config.c, which gives the keys their meaning; nothing
 * here knows what "train" or "epochs" is.
 *
 * Invariants:
 *  - A node owns its str, keys and items; one node_free releases a tree. Trees
 *    share nothing: an alias is a clone of its anchor's subtree.
 *  - node.file points into a process-wide table of interned names (or at the
 *    static "<generated>"), never into a tree, so clones stay valid after the
 *    original is freed. The table is freed at exit. It is not locked: parse
 *    from one thread at a time (sweep's workers are processes).
 *  - A parsed tree has unique scalar keys in every mapping, at most 64 nested
 *    collections, and its aliases expanded to at most 100000 nodes.
 *  - Marks are 1-based; columns count characters, as libyaml's marks do.
 *  - Every error is one line, "FILE:LINE:COL: what is wrong; how to fix it",
 *    with code ERR_INPUT (ERR_INTERNAL only for out of memory).
 *
 * Deliberately not here: schema, defaults, merge keys ('<<' is just a key that
 * config.c will report as unknown), YAML 1.1 typing (yes/no/on/off, octal). */
#include "node.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#define MAX_DEPTH 64               /* nested collections */
#define MAX_ALIAS_NODES 100000L    /* nodes created by expanding aliases */
#define MAX_FILE_BYTES (64L << 20) /* a config is never this big */
#define GENERATED "<generated>"    /* file of nodes made by node_new_scalar */
#define CORE_TAG "tag:yaml.org,2002:"

/* ---- interned file names ---- */

typedef struct name_ent {
    struct name_ent *next;
    char s[];
} name_ent;

static name_ent *names;

static void names_free(void) {
    while (names) {
        name_ent *next = names->next;
        free(names);
        names = next;
    }
}

static const char *intern(const char *s) {
    static int registered;
    for (name_ent *e = names; e; e = e->next)
        if (!strcmp(e->s, s)) return e->s;
    size_t len = strlen(s);
    name_ent *e = malloc(sizeof *e + len + 1);
    if (!e) return NULL;
    if (!registered) registered = !atexit(names_free);
    memcpy(e->s, s, len + 1);
    e->next = names;
    names = e;
    return e->s;
}

/* ---- text helpers ---- */

/* Length of the valid UTF-8 sequence at p (1..4), or 0 if it is not one. */
static size_t utf8_len(const unsigned char *p) {
    size_t n = p[0] < 0x80 ? 1 : (p[0] & 0xE0) == 0xC0 ? 2 : (p[0] & 0xF0) == 0xE0 ? 3 : (p[0] & 0xF8) == 0xF0 ? 4 : 0;
    for (size_t i = 1; i < n; i++)
        if ((p[i] & 0xC0) != 0x80) return 0;
    return n;
}

/* Copy s into dst for a one-line message: at most max_chars characters, then
 * "..."; control characters and bytes that are not UTF-8 escaped. */
static void show_text(char *dst, size_t size, const char *s, int max_chars) {
    const unsigned char *p = (const unsigned char *)s;
    size_t o = 0;
    if (!size) return;
    for (int chars = 0; *p; chars++) {
        if (chars == max_chars) {
            if (o + 4 <= size) memcpy(dst + o, "...", 3), o += 3;
            break;
        }
        char esc[8];
        size_t k = utf8_len(p), used = k ? k : 1;
        if (*p == '\n') memcpy(esc, "\\n", k = 2);
        else if (*p == '\t') memcpy(esc, "\\t", k = 2);
        else if (*p == '\r') memcpy(esc, "\\r", k = 2);
        else if (*p < 0x20 || *p == 0x7F || !k) k = (size_t)snprintf(esc, sizeof esc, "\\x%02X", *p);
        else memcpy(esc, p, k);
        if (o + k + 1 > size) break;
        memcpy(dst + o, esc, k);
        o += k;
        p += used;
    }
    dst[o] = '\0';
}

/* Bytes of the line break at t[i] as libyaml counts them (\r\n, \r, \n,
 * NEL, LS, PS), 0 if none. */
static size_t break_len(const unsigned char *t, size_t len, size_t i) {
    if (t[i] == '\r') return i + 1 < len && t[i + 1] == '\n' ? 2 : 1;
    if (t[i] == '\n') return 1;
    if (t[i] == 0xC2 && i + 1 < len && t[i + 1] == 0x85) return 2;
    if (t[i] == 0xE2 && i + 2 < len && t[i + 1] == 0x80 && (t[i + 2] == 0xA8 || t[i + 2] == 0xA9)) return 3;
    return 0;
}

/* Byte offset where 0-based line `line0` starts (len if there is none). */
static size_t line_start(const unsigned char *t, size_t len, size_t line0) {
    size_t i = 0;
    while (line0 > 0 && i < len) {
        size_t brk = break_len(t, len, i);
        if (brk) line0--;
        i += brk ? brk : 1;
    }
    return i;
}

/* 0-based line and character column of byte offset off (reader errors give
 * an offset, not a mark). */
static void offset_mark(const unsigned char *t, size_t len, size_t off, size_t *line, size_t *col) {
    size_t l = 0, start = 0, i = 0, c = 0;
    if (off > len) off = len;
    while (i < off) {
        size_t brk = break_len(t, len, i);
        i += brk ? brk : 1;
        if (brk && i <= off) l++, start = i;
    }
    for (i = start; i < off; i++)
        if ((t[i] & 0xC0) != 0x80) c++;
    *line = l;
    *col = c;
}

/* ---- nodes ---- */

static node *node_alloc(node_kind kind, const char *file, int line, int col) {
    node *n = calloc(1, sizeof *n);
    if (!n) return NULL;
    n->kind = kind;
    n->file = file;
    n->line = line;
    n->col = col;
    return n;
}

node *node_new_scalar(const char *s, int plain) {
    node *n = node_alloc(NODE_SCALAR, GENERATED, 0, 0);
    if (!n) return NULL;
    if (!(n->str = strdup(s ? s : ""))) {
        free(n);
        return NULL;
    }
    n->plain = plain != 0;
    return n;
}

node *node_new_map(void) { return node_alloc(NODE_MAP, GENERATED, 0, 0); }

int node_append(node *map, const char *key, node *value) {
    node *k = node_new_scalar(key, 1);
    node **keys = k ? realloc(map->keys, sizeof(node *) * (size_t)(map->n + 1)) : NULL;
    if (keys) map->keys = keys;
    node **items = keys ? realloc(map->items, sizeof(node *) * (size_t)(map->n + 1)) : NULL;
    if (!items) {
        node_free(k);
        node_free(value);
        return -1;
    }
    map->items = items;
    map->keys[map->n] = k;
    map->items[map->n++] = value;
    return 0;
}

node *node_new_seq(void) { return node_alloc(NODE_SEQ, GENERATED, 0, 0); }

int node_push(node *seq, node *value) {
    node **items = value ? realloc(seq->items, sizeof(node *) * (size_t)(seq->n + 1)) : NULL;
    if (!items) {
        node_free(value);
        return -1;
    }
    seq->items = items;
    seq->items[seq->n++] = value;
    return 0;
}

node *node_new_double(double v) {
    char buf[32];
    /* The shortest text that reads back as the same double; always with a
     * '.' or an exponent, so it stays a float in YAML and JSON. */
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, sizeof buf, "%.*g", prec, v);
        if (strtod(buf, NULL) == v) break;
    }
    if (!strpbrk(buf, ".eE") && strlen(buf) + 2 < sizeof buf) strcat(buf, ".0");
    return node_new_scalar(buf, 1);
}

node *node_new_int(long long v) {
    char buf[32];
    snprintf(buf, sizeof buf, "%lld", v);
    return node_new_scalar(buf, 1);
}

void node_free(node *n) {
    if (!n) return;
    for (int i = 0; i < n->n; i++) {
        node_free(n->items[i]);
        if (n->keys) node_free(n->keys[i]);
    }
    free(n->items);
    free(n->keys);
    free(n->str);
    free(n);
}

node *node_clone(const node *n) {
    if (!n) return NULL;
    node *c = node_alloc(n->kind, n->file, n->line, n->col);
    if (!c) return NULL;
    c->plain = n->plain;
    if (n->str && !(c->str = strdup(n->str))) goto fail;
    if (n->n > 0) {
        if (!(c->items = calloc((size_t)n->n, sizeof *c->items))) goto fail;
        if (n->keys && !(c->keys = calloc((size_t)n->n, sizeof *c->keys))) goto fail;
        for (int i = 0; i < n->n; i++) {
            c->n = i + 1; /* so node_free sees what was cloned so far */
            c->items[i] = node_clone(n->items[i]);
            if (!c->items[i]) goto fail;
            if (n->keys && !(c->keys[i] = node_clone(n->keys[i]))) goto fail;
        }
    }
    return c;
fail:
    node_free(c);
    return NULL;
}

/* ---- string -> index tables (duplicate keys, anchors) ---- */

/* Open addressing; a slot holds entry index + 1, 0 when empty. Entries'
 * names come from a callback so the table stores no strings. */
typedef const char *(*name_fn)(const void *ctx, int i);
typedef struct {
    int *slot;
    size_t cap, used;
} itab;

static size_t hash_str(const char *s) {
    uint64_t h = 1469598103934665603ULL;
    while (*s) h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
    return (size_t)h;
}

/* The slot holding s, or the empty slot where it would go. t->cap > 0. */
static int *itab_slot(const itab *t, const char *s, name_fn name, const void *ctx) {
    size_t mask = t->cap - 1, i = hash_str(s) & mask;
    while (t->slot[i] && strcmp(name(ctx, t->slot[i] - 1), s)) i = (i + 1) & mask;
    return &t->slot[i];
}

/* Room for one more entry (load <= 1/2). */
static int itab_reserve(itab *t, name_fn name, const void *ctx) {
    if ((t->used + 1) * 2 <= t->cap) return 0;
    itab big = {NULL, t->cap ? t->cap * 2 : 16, t->used};
    if (!(big.slot = calloc(big.cap, sizeof *big.slot))) return -1;
    for (size_t i = 0; i < t->cap; i++)
        if (t->slot[i]) *itab_slot(&big, name(ctx, t->slot[i] - 1), name, ctx) = t->slot[i];
    free(t->slot);
    *t = big;
    return 0;
}

/* ---- building the tree from events ---- */

typedef struct {
    node *n;      /* the open collection (already in the tree) */
    int cap;      /* room in n->items (and n->keys) */
    node *key;    /* MAP: key waiting for its value (owned here) */
    int anchor;   /* index in builder.anchors, or -1 */
    itab keyset;  /* MAP: the keys so far */
} frame;

typedef struct {
    char *name;
    node *n;   /* in the tree, not owned */
    int done;  /* the node is complete (an alias to it inside itself is a loop) */
} anchor;

typedef struct {
    const char *file; /* interned */
    const unsigned char *text;
    size_t len;
    frame stack[MAX_DEPTH];
    int depth;
    anchor *anchors;
    int nanchors, canchors;
    itab anchor_tab;
    long alias_nodes;
    int docs;
    int shift; /* added to columns on line 1 (an override's value sits after "path=") */
    node *root;
    /* the error: line 0 when it has no place (out of memory) */
    int code, line, col;
    char msg[900];
} builder;

__attribute__((format(printf, 4, 5)))
static int fail(builder *b, int line0, int col0, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(b->msg, sizeof b->msg, fmt, ap);
    va_end(ap);
    b->code = ERR_INPUT;
    b->line = line0 + 1;
    b->col = col0 + 1 + (line0 == 0 ? b->shift : 0);
    return -1;
}

static int oom(builder *b) {
    snprintf(b->msg, sizeof b->msg, "out of memory while parsing YAML");
    b->code = ERR_INTERNAL;
    b->line = b->col = 0;
    return -1;
}

static const char *key_name(const void *ctx, int i) { return ((const node *)ctx)->keys[i]->str; }
static const char *anchor_name(const void *ctx, int i) { return ((const builder *)ctx)->anchors[i].name; }

static const char *kind_name(const node *n) {
    return n->kind == NODE_MAP ? "a mapping" : n->kind == NODE_SEQ ? "a list" : "a scalar";
}

/* Attach child to the open collection (or make it the root). Takes ownership
 * of child: on failure it is freed unless already attached. */
static int attach(builder *b, node *child) {
    if (b->depth == 0) {
        b->root = child;
        return 0;
    }
    frame *f = &b->stack[b->depth - 1];
    node *p = f->n;
    if (p->kind == NODE_MAP && !f->key) {
        if (child->kind != NODE_SCALAR) {
            fail(b, child->line - 1, child->col - 1,
                 "a mapping key must be a plain name, not %s; write 'name: value'", kind_name(child));
            node_free(child);
            return -1;
        }
        if (f->keyset.cap) {
            int *s = itab_slot(&f->keyset, child->str, key_name, p);
            if (*s) {
                const node *first = p->keys[*s - 1];
                char shown[128];
                show_text(shown, sizeof shown, child->str, 40);
                fail(b, child->line - 1, child->col - 1,
                     "duplicate key '%s' (first defined at %d:%d); remove one of them", shown, first->line,
                     first->col + (first->line == 1 ? b->shift : 0));
                node_free(child);
                return -1;
            }
        }
        f->key = child;
        return 0;
    }
    if (p->n == f->cap) {
        int cap = f->cap ? f->cap * 2 : 4;
        node **items = realloc(p->items, (size_t)cap * sizeof *items);
        if (items) p->items = items;
        if (items && p->kind == NODE_MAP) {
            node **keys = realloc(p->keys, (size_t)cap * sizeof *keys);
            if (keys) p->keys = keys;
            else items = NULL;
        }
        if (!items) {
            node_free(child);
            return oom(b);
        }
        f->cap = cap;
    }
    p->items[p->n] = child;
    if (p->kind == NODE_MAP) {
        p->keys[p->n] = f->key;
        f->key = NULL;
    }
    p->n++;
    if (p->kind == NODE_MAP) {
        if (itab_reserve(&f->keyset, key_name, p)) return oom(b);
        *itab_slot(&f->keyset, p->keys[p->n - 1]->str, key_name, p) = p->n;
        f->keyset.used++;
    }
    return 0;
}

static int add_anchor(builder *b, const yaml_char_t *name, node *n, int done) {
    if (!name) return -1;
    if (b->nanchors == b->canchors) {
        int cap = b->canchors ? b->canchors * 2 : 8;
        anchor *a = realloc(b->anchors, (size_t)cap * sizeof *a);
        if (!a) return oom(b);
        b->anchors = a;
        b->canchors = cap;
    }
    anchor *a = &b->anchors[b->nanchors];
    if (!(a->name = strdup((const char *)name))) return oom(b);
    a->n = n;
    a->done = done;
    b->nanchors++;
    if (itab_reserve(&b->anchor_tab, anchor_name, b)) return oom(b);
    int *s = itab_slot(&b->anchor_tab, a->name, anchor_name, b);
    if (!*s) b->anchor_tab.used++;
    *s = b->nanchors; /* a redefined anchor: later aliases see the new node */
    return b->nanchors - 1;
}

/* Explicit tags: !!str (or the non-specific '!') makes a scalar a string;
 * !!map/!!seq on the matching collection are harmless; anything else is
 * refused rather than silently ignored. */
static int check_tag(builder *b, const yaml_char_t *tag, node_kind kind, yaml_mark_t m, int *force_str) {
    if (!tag) return 0;
    const char *t = (const char *)tag;
    if (!strcmp(t, "!") || (kind == NODE_SCALAR && !strcmp(t, CORE_TAG "str"))) {
        *force_str = 1;
        return 0;
    }
    if ((kind == NODE_MAP && !strcmp(t, CORE_TAG "map")) || (kind == NODE_SEQ && !strcmp(t, CORE_TAG "seq")))
        return 0;
    char shown[128];
    if (!strncmp(t, CORE_TAG, strlen(CORE_TAG))) {
        char bang[128];
        snprintf(bang, sizeof bang, "!!%s", t + strlen(CORE_TAG));
        show_text(shown, sizeof shown, bang, 40);
    } else {
        show_text(shown, sizeof shown, t, 40);
    }
    return fail(b, (int)m.line, (int)m.column,
                "unsupported tag '%s'; remove it (the config gives values their types; !!str or quotes make a string)",
                shown);
}

static node *event_node(builder *b, node_kind kind, yaml_mark_t m) {
    node *n = node_alloc(kind, b->file, (int)m.line + 1, (int)m.column + 1);
    if (!n) oom(b);
    return n;
}

static int on_scalar(builder *b, const yaml_event_t *ev) {
    int force_str = 0;
    if (check_tag(b, ev->data.scalar.tag, NODE_SCALAR, ev->start_mark, &force_str)) return -1;
    size_t len = ev->data.scalar.length;
    if (memchr(ev->data.scalar.value, 0, len))
        return fail(b, (int)ev->start_mark.line, (int)ev->start_mark.column,
                    "strings may not contain NUL characters (\\0); remove it");
    node *n = event_node(b, NODE_SCALAR, ev->start_mark);
    if (!n) return -1;
    if (!(n->str = malloc(len + 1))) {
        free(n);
        return oom(b);
    }
    memcpy(n->str, ev->data.scalar.value, len);
    n->str[len] = '\0';
    n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && !force_str;
    if (attach(b, n)) return -1;
    if (ev->data.scalar.anchor && add_anchor(b, ev->data.scalar.anchor, n, 1) < 0) return -1;
    return 0;
}

static int on_start(builder *b, const yaml_event_t *ev, node_kind kind) {
    yaml_mark_t m = ev->start_mark;
    const yaml_char_t *tag = kind == NODE_MAP ? ev->data.mapping_start.tag : ev->data.sequence_start.tag;
    const yaml_char_t *anc = kind == NODE_MAP ? ev->data.mapping_start.anchor : ev->data.sequence_start.anchor;
    int unused = 0;
    if (b->depth == MAX_DEPTH)
        return fail(b, (int)m.line, (int)m.column,
                    "nesting deeper than %d levels; flatten the structure", MAX_DEPTH);
    if (check_tag(b, tag, kind, m, &unused)) return -1;
    node *n = event_node(b, kind, m);
    if (!n || attach(b, n)) return -1;
    int a = -1;
    if (anc && (a = add_anchor(b, anc, n, 0)) < 0) return -1;
    b->stack[b->depth++] = (frame){n, 0, NULL, a, {NULL, 0, 0}};
    return 0;
}

static void on_end(builder *b) {
    frame *f = &b->stack[--b->depth];
    free(f->keyset.slot);
    if (f->anchor >= 0) b->anchors[f->anchor].done = 1;
}

/* Nodes in n (keys included), counting stops past limit; *height is the
 * number of nested collections in n. */
static long measure(const node *n, long limit, int *height) {
    long count = 1;
    int h = 0;
    if (n->kind != NODE_SCALAR) {
        for (int i = 0; i < n->n && count <= limit; i++) {
            int ch;
            count += measure(n->items[i], limit - count, &ch) + (n->keys != NULL);
            if (ch > h) h = ch;
        }
        h++;
    }
    *height = h;
    return count;
}

static int on_alias(builder *b, const yaml_event_t *ev) {
    yaml_mark_t m = ev->start_mark;
    const char *name = (const char *)ev->data.alias.anchor;
    char shown[128];
    show_text(shown, sizeof shown, name, 40);
    int *s = b->anchor_tab.cap ? itab_slot(&b->anchor_tab, name, anchor_name, b) : NULL;
    if (!s || !*s)
        return fail(b, (int)m.line, (int)m.column,
                    "unknown alias '*%s'; define the anchor '&%s' before using it", shown, shown);
    const anchor *a = &b->anchors[*s - 1];
    if (!a->done)
        return fail(b, (int)m.line, (int)m.column,
                    "alias '*%s' is inside the node it refers to; an alias cannot contain itself", shown);
    int height;
    long size = measure(a->n, MAX_ALIAS_NODES - b->alias_nodes, &height);
    if ((b->alias_nodes += size) > MAX_ALIAS_NODES)
        return fail(b, (int)m.line, (int)m.column,
                    "aliases expand to more than %ld nodes; use fewer or smaller aliases", MAX_ALIAS_NODES);
    if (b->depth + height > MAX_DEPTH)
        return fail(b, (int)m.line, (int)m.column,
                    "alias '*%s' makes the nesting deeper than %d levels", shown, MAX_DEPTH);
    node *c = node_clone(a->n);
    if (!c) return oom(b);
    c->line = (int)m.line + 1; /* the copy is where the alias is */
    c->col = (int)m.column + 1;
    return attach(b, c);
}

/* libyaml's messages, made to say what to do. NULL `say` keeps libyaml's. */
static const struct {
    const char *problem, *context, *say, *hint;
} hints[] = {
    {"mapping values are not allowed in this context", NULL,
     "mapping values are not allowed here", "(check the indentation or quote the value)"},
    {"found unexpected end of stream", "while scanning a quoted scalar",
     "unterminated quoted string", "; add the closing quote"},
    {"did not find expected key", NULL, NULL, "; check the indentation"},
    {"did not find expected '-' indicator", NULL, NULL, "; check the indentation"},
    {"block sequence entries are not allowed in this context", NULL,
     "a '- ' list item is not allowed here", "(check the indentation)"},
    {"could not find expected ':'", NULL, NULL, "; a key and its ':' must be on one line"},
    {"did not find expected ',' or ']'", NULL, NULL, "; close the list with ']'"},
    {"did not find expected ',' or '}'", NULL, NULL, "; close the mapping with '}'"},
    {"did not find expected node content", NULL, NULL, "; a value is missing or starts with a reserved character"},
    {"found unknown escape character", NULL, NULL,
     "; in double quotes write \\\\ for a backslash, or use single quotes"},
    {"found incompatible YAML document", NULL, NULL, "; remove the %YAML line or make it %YAML 1.2"},
    {"did not find expected <document start>", NULL,
     "content after the end of the document ('...')", "; a config file holds one document"},
};

static int parser_error(builder *b, const yaml_parser_t *p) {
    if (p->error == YAML_MEMORY_ERROR) return oom(b);
    const char *problem = p->problem ? p->problem : "unknown error";
    if (p->error == YAML_READER_ERROR) {
        size_t line, col, byte = p->problem_offset + (size_t)b->shift;
        offset_mark(b->text, b->len, p->problem_offset, &line, &col);
        if (strstr(problem, "UTF-8") || strstr(problem, "Unicode")) {
            if (p->problem_value >= 0)
                return fail(b, (int)line, (int)col, "invalid UTF-8 (%s 0x%02X at byte %zu); save the file as UTF-8",
                            problem, (unsigned)p->problem_value, byte);
            return fail(b, (int)line, (int)col, "invalid UTF-8 (%s at byte %zu); save the file as UTF-8", problem,
                        byte);
        }
        if (strstr(problem, "control characters"))
            return fail(b, (int)line, (int)col,
                        "control character 0x%02X is not allowed; remove it or write it as an escape in a "
                        "double-quoted string",
                        (unsigned)p->problem_value);
        return fail(b, (int)line, (int)col, "%s (at byte %zu)", problem, byte);
    }
    /* scanner and parser errors have marks */
    yaml_mark_t m = p->problem_mark, cm = p->context_mark;
    int same_place = cm.line == m.line && cm.column == m.column;
    size_t at = line_start(b->text, b->len, m.line), lstart = at;
    for (size_t c = 0; c < m.column && at < b->len; c++)
        for (at++; at < b->len && (b->text[at] & 0xC0) == 0x80; at++) {}
    if (at >= b->len) { /* libyaml puts the end of the stream on a line of its own */
        size_t line, col;
        offset_mark(b->text, b->len, b->len, &line, &col);
        m.line = line;
        m.column = col;
    }
    if ((at < b->len && b->text[at] == '\t') || strstr(problem, "tab character")) {
        int indent = 1;
        for (size_t i = lstart; i < at; i++)
            if (b->text[i] != ' ' && b->text[i] != '\t') indent = 0;
        if (indent)
            return fail(b, (int)m.line, (int)m.column, "tabs are not allowed for indentation; use spaces");
        return fail(b, (int)m.line, (int)m.column, "a tab is not allowed here; use spaces");
    }
    if (!strcmp(problem, "found character that cannot start any token")) {
        char c[16] = "?";
        if (at < b->len) {
            char one[5] = {0}; /* NUL-padded: utf8_len must not read past the text */
            memcpy(one, b->text + at, b->len - at < 4 ? b->len - at : 4);
            one[utf8_len((const unsigned char *)one) > 1 ? utf8_len((const unsigned char *)one) : 1] = '\0';
            show_text(c, sizeof c, one, 1);
        }
        return fail(b, (int)m.line, (int)m.column,
                    "'%s' cannot start a value (it is reserved in YAML); quote the value", c);
    }
    const char *say = problem, *hint = "";
    int matched_context = 0;
    for (size_t i = 0; i < sizeof hints / sizeof hints[0]; i++)
        if (!strcmp(problem, hints[i].problem) &&
            (!hints[i].context || (p->context && !strcmp(p->context, hints[i].context)))) {
            if (hints[i].say) say = hints[i].say;
            hint = hints[i].hint;
            matched_context = hints[i].context != NULL;
            break;
        }
    char ctx[256] = "";
    if (p->context && !same_place) {
        const char *c = p->context;
        if (!strncmp(c, "while ", 6)) c += 6;
        if (matched_context) c = ""; /* `say` already tells what it was */
        snprintf(ctx, sizeof ctx, " (%s%sstarted at %zu:%zu)", c, *c ? " " : "", cm.line + 1,
                 cm.column + 1 + (cm.line == 0 ? (size_t)b->shift : 0));
    }
    return fail(b, (int)m.line, (int)m.column, "%s%s%s%s", say, ctx, *hint == '(' ? " " : "", hint);
}

/* The parse proper. On failure b->line/col/msg/code say why. */
static int build(builder *b, node **out) {
    yaml_parser_t p;
    int rc = 0, done = 0;
    *out = NULL;
    if (!yaml_parser_initialize(&p)) return oom(b);
    yaml_parser_set_input_string(&p, b->text, b->len);
    yaml_parser_set_encoding(&p, YAML_UTF8_ENCODING);
    while (!rc && !done) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&p, &ev)) {
            rc = parser_error(b, &p);
            break;
        }
        switch (ev.type) {
        case YAML_DOCUMENT_START_EVENT:
            if (b->docs++)
                rc = fail(b, (int)ev.start_mark.line, (int)ev.start_mark.column,
                          "a second YAML document starts here; a config file holds one document "
                          "(remove the '---' and what follows, or split the file)");
            break;
        case YAML_SCALAR_EVENT: rc = on_scalar(b, &ev); break;
        case YAML_SEQUENCE_START_EVENT: rc = on_start(b, &ev, NODE_SEQ); break;
        case YAML_MAPPING_START_EVENT: rc = on_start(b, &ev, NODE_MAP); break;
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT: on_end(b); break;
        case YAML_ALIAS_EVENT: rc = on_alias(b, &ev); break;
        case YAML_STREAM_END_EVENT: done = 1; break;
        default: break;
        }
        yaml_event_delete(&ev);
    }
    yaml_parser_delete(&p);
    while (b->depth > 0) {
        frame *f = &b->stack[--b->depth];
        node_free(f->key);
        free(f->keyset.slot);
    }
    for (int i = 0; i < b->nanchors; i++) free(b->anchors[i].name);
    free(b->anchors);
    free(b->anchor_tab.slot);
    if (rc) {
        node_free(b->root);
        return -1;
    }
    node *r = b->root;
    if (r && r->kind == NODE_SCALAR && r->plain && !r->str[0]) { /* "---" with nothing after it */
        node_free(r);
        r = NULL;
    }
    *out = r;
    return 0;
}

/* Parse, leaving the error's parts in b (for node_override's wording). */
static int parse_text(builder *b, node **out, const char *text, size_t len, const char *name, int shift) {
    memset(b, 0, sizeof *b);
    b->shift = shift;
    *out = NULL;
    b->text = (const unsigned char *)(text ? text : "");
    b->len = text ? len : 0;
    if (!(b->file = intern(name ? name : "<string>"))) return oom(b);
    return build(b, out);
}

static int builder_err(const builder *b, sw_err *err) {
    if (b->line) return err_set(err, b->code, "%s:%d:%d: %s", b->file, b->line, b->col, b->msg);
    return err_set(err, b->code, "%s: %s", b->file ? b->file : "YAML", b->msg);
}

int node_parse_string(node **out, const char *text, size_t len, const char *name, sw_err *err) {
    builder *b = malloc(sizeof *b);
    if (!b) {
        *out = NULL;
        return err_set(err, ERR_INTERNAL, "%s: out of memory", name ? name : "YAML");
    }
    int rc = parse_text(b, out, text, len, name, 0);
    if (rc) builder_err(b, err);
    free(b);
    return rc;
}

int node_parse_file(node **out, const char *path, sw_err *err) {
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) return err_set(err, ERR_INPUT, "%s: cannot open: %s", path, strerror(errno));
    char *buf = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (len == cap) {
            cap = cap ? cap * 2 : 1 << 16;
            if (cap > (size_t)MAX_FILE_BYTES + 1) cap = (size_t)MAX_FILE_BYTES + 1;
            char *nb = realloc(buf, cap);
            if (!nb) {
                free(buf);
                fclose(f);
                return err_set(err, ERR_INTERNAL, "%s: out of memory", path);
            }
            buf = nb;
        }
        size_t got = fread(buf + len, 1, cap - len, f);
        len += got;
        if (len > (size_t)MAX_FILE_BYTES) {
            free(buf);
            fclose(f);
            return err_set(err, ERR_INPUT, "%s: larger than %ld MB; is this really a config file?", path,
                           MAX_FILE_BYTES >> 20);
        }
        if (got == 0) break;
    }
    int bad = ferror(f);
    int saved = errno;
    fclose(f);
    if (bad) {
        free(buf);
        return err_set(err, ERR_INPUT, "%s: cannot read: %s", path, strerror(saved));
    }
    int rc = node_parse_string(out, buf, len, path, err);
    free(buf);
    return rc;
}

/* ---- scalars ---- */

static int is_digit(char c) { return c >= '0' && c <= '9'; }

static int is_plain_scalar(const node *n) { return n && n->kind == NODE_SCALAR && n->plain && n->str; }

int node_to_ll(const node *n, long long *out) {
    if (!is_plain_scalar(n)) return -1;
    const char *p = n->str;
    if (*p == '+' || *p == '-') p++;
    if (!*p) return -1;
    for (const char *q = p; *q; q++)
        if (!is_digit(*q)) return -1;
    errno = 0;
    char *end;
    long long v = strtoll(n->str, &end, 10);
    if (errno || *end) return -1;
    *out = v;
    return 0;
}

/* YAML 1.2 core float: [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?
 * (no .inf/.nan: a config never needs them, and they hide mistakes). */
int node_to_double(const node *n, double *out) {
    if (!is_plain_scalar(n)) return -1;
    const char *p = n->str;
    int whole = 0, frac = 0;
    if (*p == '+' || *p == '-') p++;
    while (is_digit(*p)) p++, whole++;
    if (*p == '.') {
        p++;
        while (is_digit(*p)) p++, frac++;
    }
    if (!whole && !frac) return -1;
    if (*p == 'e' || *p == 'E') {
        int exp = 0;
        p++;
        if (*p == '+' || *p == '-') p++;
        while (is_digit(*p)) p++, exp++;
        if (!exp) return -1;
    }
    if (*p) return -1;
    char *end;
    double v = strtod(n->str, &end);
    if (*end || isinf(v) || isnan(v)) return -1;
    *out = v;
    return 0;
}

int node_to_bool(const node *n, int *out) {
    if (!is_plain_scalar(n)) return -1;
    const char *s = n->str;
    if (!strcmp(s, "true") || !strcmp(s, "True") || !strcmp(s, "TRUE")) return *out = 1, 0;
    if (!strcmp(s, "false") || !strcmp(s, "False") || !strcmp(s, "FALSE")) return *out = 0, 0;
    return -1;
}

int node_is_null(const node *n) {
    if (!is_plain_scalar(n)) return 0;
    const char *s = n->str;
    return !*s || !strcmp(s, "~") || !strcmp(s, "null") || !strcmp(s, "Null") || !strcmp(s, "NULL");
}

/* snprintf for text that may be cut short on purpose. */
__attribute__((format(printf, 3, 4)))
static void put(char *buf, size_t size, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, size, fmt, ap);
    va_end(ap);
}

const char *node_describe(const node *n, char *buf, size_t size) {
    char shown[200];
    double d;
    int v;
    if (!buf || !size) return "";
    if (!n || node_is_null(n)) snprintf(buf, size, "null");
    else if (n->kind == NODE_MAP) snprintf(buf, size, "a mapping");
    else if (n->kind == NODE_SEQ) snprintf(buf, size, "a list");
    else if (!node_to_bool(n, &v)) snprintf(buf, size, "%s", v ? "true" : "false");
    else if (!node_to_double(n, &d)) {
        show_text(shown, sizeof shown, n->str, 40);
        put(buf, size, "a number (%s)", shown);
    } else {
        show_text(shown, sizeof shown, n->str ? n->str : "", 40);
        put(buf, size, "the string '%s'", shown);
    }
    return buf;
}

/* ---- paths ---- */

node *node_get(const node *map, const char *key) {
    if (!map || map->kind != NODE_MAP || !key) return NULL;
    for (int i = 0; i < map->n; i++)
        if (!strcmp(map->keys[i]->str, key)) return map->items[i];
    return NULL;
}

/* A sequence index: digits only, no sign, no leading zeros beyond "0". */
static int seg_index(const char *seg, size_t len) {
    if (!len || len > 9 || (len > 1 && seg[0] == '0')) return -1;
    int v = 0;
    for (size_t i = 0; i < len; i++) {
        if (!is_digit(seg[i])) return -1;
        v = v * 10 + (seg[i] - '0');
    }
    return v;
}

/* Where the child named seg[0..len) of n is held, or NULL. */
static node **child_slot(const node *n, const char *seg, size_t len) {
    if (n->kind == NODE_MAP) {
        for (int i = 0; i < n->n; i++)
            if (strlen(n->keys[i]->str) == len && !memcmp(n->keys[i]->str, seg, len)) return &n->items[i];
    } else if (n->kind == NODE_SEQ) {
        int i = seg_index(seg, len);
        if (i >= 0 && i < n->n) return &n->items[i];
    }
    return NULL;
}

node *node_at(const node *root, const char *path) {
    if (!root || !path) return NULL;
    const node *cur = root;
    const char *seg = path;
    if (!*path) return (node *)root;
    for (;;) {
        const char *dot = strchr(seg, '.');
        size_t len = dot ? (size_t)(dot - seg) : strlen(seg);
        node **slot = child_slot(cur, seg, len);
        if (!slot) return NULL;
        cur = *slot;
        if (!dot) return (node *)cur;
        seg = dot + 1;
    }
}

/* "file:line:col: " for a node, or "" when it has no place. */
static const char *where(const node *n, char *buf, size_t size) {
    if (n && n->file && n->line > 0) snprintf(buf, size, "%s:%d:%d: ", n->file, n->line, n->col);
    else buf[0] = '\0';
    return buf;
}

/* Append key seg[0..len) -> value to mapping m (takes ownership of value). */
static int map_append(node *m, const char *seg, size_t len, node *value) {
    node *k = node_alloc(NODE_SCALAR, value->file, value->line, value->col);
    if (!k || !(k->str = strndup(seg, len))) {
        free(k);
        node_free(value);
        return -1;
    }
    k->plain = 1;
    node **items = realloc(m->items, (size_t)(m->n + 1) * sizeof *items);
    if (items) m->items = items;
    node **keys = items ? realloc(m->keys, (size_t)(m->n + 1) * sizeof *keys) : NULL;
    if (!keys) {
        node_free(k);
        node_free(value);
        return -1;
    }
    m->keys = keys;
    m->items[m->n] = value;
    m->keys[m->n] = k;
    m->n++;
    return 0;
}

/* A null scalar becomes an empty mapping in place, keeping its place. */
static void null_to_map(node *n) {
    free(n->str);
    n->str = NULL;
    n->plain = 0;
    n->kind = NODE_MAP;
}

int node_set(node *root, const char *path, node *value, sw_err *err) {
    char loc[512], what[128];
    if (!value) return err_set(err, ERR_INTERNAL, "node_set: no value for '%s'", path ? path : "");
    if (!root) {
        node_free(value);
        return err_set(err, ERR_INPUT, "cannot set '%s': the document is empty", path ? path : "");
    }
    if (!path || !*path) {
        node_free(value);
        return err_set(err, ERR_INPUT, "cannot set an empty path");
    }
    node *cur = root;
    const char *seg = path;
    for (;;) {
        const char *dot = strchr(seg, '.');
        size_t len = dot ? (size_t)(dot - seg) : strlen(seg);
        int at = (int)(seg - path); /* path[0..at) names cur */
        if (!len) {
            node_free(value);
            return err_set(err, ERR_INPUT, "cannot set '%s': empty segment at character %d", path, at + 1);
        }
        if (node_is_null(cur)) null_to_map(cur);
        if (cur->kind == NODE_SCALAR) {
            where(cur, loc, sizeof loc);
            node_describe(cur, what, sizeof what);
            node_free(value);
            if (!at)
                return err_set(err, ERR_INPUT, "%scannot set '%s': the document is %s, not a mapping", loc, path,
                               what);
            return err_set(err, ERR_INPUT, "%scannot set '%s': '%.*s' is %s, not a mapping or list", loc, path,
                           at - 1, path, what);
        }
        node **slot = child_slot(cur, seg, len);
        if (!slot && cur->kind == NODE_SEQ) {
            int i = seg_index(seg, len);
            where(cur, loc, sizeof loc);
            node_free(value);
            if (i < 0)
                return err_set(err, ERR_INPUT, "%scannot set '%s': '%.*s' is not an index into the list", loc,
                               path, (int)len, seg);
            return err_set(err, ERR_INPUT, "%scannot set '%s': index %d is out of range (the list has %d item%s)",
                           loc, path, i, cur->n, cur->n == 1 ? "" : "s");
        }
        if (!dot) {
            if (slot) {
                node_free(*slot);
                *slot = value;
                return 0;
            }
            if (map_append(cur, seg, len, value)) return err_set(err, ERR_INTERNAL, "out of memory");
            return 0;
        }
        if (!slot) { /* a missing intermediate mapping */
            node *m = node_alloc(NODE_MAP, value->file, value->line, value->col);
            if (!m) {
                node_free(value);
                return err_set(err, ERR_INTERNAL, "out of memory");
            }
            if (map_append(cur, seg, len, m)) {
                node_free(value);
                return err_set(err, ERR_INTERNAL, "out of memory");
            }
            slot = &cur->items[cur->n - 1];
        }
        cur = *slot;
        seg = dot + 1;
    }
}

/* ---- overrides ---- */

static int path_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '_';
}

/* Columns of the value's first line move right by off (its place in the
 * override text). */
static void shift_cols(node *n, int off) {
    if (!n) return;
    if (n->line == 1) n->col += off;
    for (int i = 0; i < n->n; i++) {
        shift_cols(n->items[i], off);
        if (n->keys) shift_cols(n->keys[i], off);
    }
}

int node_override(node *root, const char *assignment, sw_err *err) {
    char shown[256];
    const char *a = assignment ? assignment : "";
    show_text(shown, sizeof shown, a, 120);
    const char *eq = strchr(a, '=');
    if (!eq)
        return err_set(err, ERR_INPUT, "command line: override '%s': expected dotted.path=value (e.g. train.epochs=3)",
                       shown);
    int plen = (int)(eq - a);
    if (!plen)
        return err_set(err, ERR_INPUT, "command line: override '%s': column 1: the path before '=' is empty", shown);
    for (int i = 0; i <= plen; i++) {
        int end = i == plen;
        if (end || a[i] == '.') {
            if (i == 0 || a[i - 1] == '.')
                return err_set(err, ERR_INPUT,
                               "command line: override '%s': column %d: empty path segment; write a.b.c=value",
                               shown, i + 1);
        } else if (!path_char(a[i])) {
            char c[16];
            show_text(c, sizeof c, (char[]){a[i], 0}, 1);
            return err_set(err, ERR_INPUT,
                           "command line: override '%s': column %d: '%s' cannot be in a path; use letters, digits, "
                           "'_' and '.'",
                           shown, i + 1, c);
        }
    }
    int off = plen + 1; /* the value starts at column off + 1 */
    node *value;
    builder *b = malloc(sizeof *b);
    if (!b) return err_set(err, ERR_INTERNAL, "out of memory");
    if (parse_text(b, &value, eq + 1, strlen(eq + 1), "command line", off)) {
        if (b->line == 1)
            err_set(err, b->code, "command line: override '%s': column %d: %s", shown, b->col, b->msg);
        else if (b->line)
            err_set(err, b->code, "command line: override '%s': line %d, column %d of the value: %s", shown,
                    b->line, b->col, b->msg);
        else
            err_set(err, b->code, "command line: override '%s': %s", shown, b->msg);
        free(b);
        return -1;
    }
    const char *file = b->file;
    free(b);
    if (!value) { /* "a.b=" sets null */
        if (!(value = node_alloc(NODE_SCALAR, file, 1, off + 1)) || !(value->str = strdup(""))) {
            free(value);
            return err_set(err, ERR_INTERNAL, "out of memory");
        }
        value->plain = 1;
    } else {
        shift_cols(value, off);
    }
    char *path = strndup(a, (size_t)plen);
    if (!path) {
        node_free(value);
        return err_set(err, ERR_INTERNAL, "out of memory");
    }
    int rc = node_set(root, path, value, err);
    free(path);
    if (rc) return err_prefix(err, "command line: override '%s'", shown);
    return 0;
}

/* ---- emitting ---- */

typedef struct {
    char *buf;
    size_t len, cap;
} outbuf;

static int out_write(void *data, unsigned char *bytes, size_t size) {
    outbuf *o = data;
    if (o->len + size + 1 > o->cap) {
        size_t cap = o->cap ? o->cap : 256;
        while (cap < o->len + size + 1) cap *= 2;
        char *nb = realloc(o->buf, cap);
        if (!nb) return 0;
        o->buf = nb;
        o->cap = cap;
    }
    memcpy(o->buf + o->len, bytes, size);
    o->len += size;
    return 1;
}

static int emit_node(yaml_emitter_t *e, const node *n) {
    yaml_event_t ev;
    if (n->kind == NODE_SCALAR) {
        const char *s = n->str ? n->str : "";
        yaml_scalar_style_t style = n->plain ? YAML_PLAIN_SCALAR_STYLE
                                  : strchr(s, '\n') ? YAML_LITERAL_SCALAR_STYLE
                                                    : YAML_ANY_SCALAR_STYLE;
        /* plain_implicit = n->plain: the emitter quotes a plain scalar that
         * cannot be written plain, and always quotes a string */
        return yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)s, (int)strlen(s), n->plain, 1,
                                            style) &&
               yaml_emitter_emit(e, &ev);
    }
    int ok = n->kind == NODE_MAP
                 ? yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_MAPPING_STYLE)
                 : yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_SEQUENCE_STYLE);
    ok = ok && yaml_emitter_emit(e, &ev);
    for (int i = 0; ok && i < n->n; i++) {
        if (n->kind == NODE_MAP) ok = emit_node(e, n->keys[i]);
        ok = ok && emit_node(e, n->items[i]);
    }
    ok = ok && (n->kind == NODE_MAP ? yaml_mapping_end_event_initialize(&ev)
                                    : yaml_sequence_end_event_initialize(&ev));
    return ok && yaml_emitter_emit(e, &ev);
}

char *node_emit(const node *n, sw_err *err) {
    if (!n) {
        char *s = strdup("");
        if (!s) err_set(err, ERR_INTERNAL, "out of memory");
        return s;
    }
    yaml_emitter_t e;
    yaml_event_t ev;
    outbuf o = {NULL, 0, 0};
    if (!yaml_emitter_initialize(&e)) {
        err_set(err, ERR_INTERNAL, "out of memory");
        return NULL;
    }
    yaml_emitter_set_output(&e, out_write, &o);
    yaml_emitter_set_unicode(&e, 1);
    yaml_emitter_set_width(&e, -1); /* never fold long lines */
    yaml_emitter_set_indent(&e, 2);
    int ok = yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING) && yaml_emitter_emit(&e, &ev);
    ok = ok && yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1) && yaml_emitter_emit(&e, &ev);
    ok = ok && emit_node(&e, n);
    ok = ok && yaml_document_end_event_initialize(&ev, 1) && yaml_emitter_emit(&e, &ev);
    ok = ok && yaml_stream_end_event_initialize(&ev) && yaml_emitter_emit(&e, &ev);
    ok = ok && yaml_emitter_flush(&e);
    if (!ok || !out_write(&o, (unsigned char *)"", 0)) {
        err_set(err, ERR_INTERNAL, "cannot write YAML: %s", e.problem ? e.problem : "out of memory");
        yaml_emitter_delete(&e);
        free(o.buf);
        return NULL;
    }
    yaml_emitter_delete(&e);
    o.buf[o.len] = '\0';
    return o.buf;
}
