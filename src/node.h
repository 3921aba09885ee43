/* node.h - a YAML document as a tree of nodes that remember where they were.
 *
 * Owns: parsing YAML (libyaml's event API) into scalar/sequence/mapping nodes
 * with file:line:column marks; strict scalar conversion (int, double, bool);
 * lookup and replacement by dotted path ("train.lr.initial",
 * "model.layers.0.filters"); Hydra-style command-line overrides
 * ("train.epochs=3"); cloning; emitting YAML back (libyaml's emitter).
 * Does not know what any key means: config.c gives keys their meaning. */
#ifndef SWEEP_NODE_H
#define SWEEP_NODE_H

#include <stddef.h>

#include "err.h"

typedef enum { NODE_SCALAR, NODE_SEQ, NODE_MAP } node_kind;

typedef struct node {
    node_kind kind;
    const char *file;     /* name for messages: a path, or "command line" for overrides */
    int line, col;        /* 1-based start of the node */
    char *str;            /* SCALAR: its text (NUL-terminated, UTF-8) */
    int plain;            /* SCALAR: 1 if written unquoted (may be a number, bool or null) */
    int n;                /* SEQ, MAP: number of items */
    struct node **items;  /* SEQ: the items; MAP: the values */
    struct node **keys;   /* MAP: the keys, scalar nodes with their own marks */
} node;

/* Parse a file or a buffer holding exactly one YAML document. An empty
 * document gives *out == NULL and success. Rejected with file:line:col: syntax
 * errors, tabs, invalid UTF-8, duplicate keys, non-scalar keys, more than one
 * document, nesting deeper than 64, aliases that would expand past 100000
 * nodes. The file name is copied; nodes keep a pointer to that copy. */
int node_parse_file(node **out, const char *path, sw_err *err);
int node_parse_string(node **out, const char *text, size_t len, const char *name, sw_err *err);

/* Strict scalar conversions; 0 on success, -1 (no message) on a mismatch.
 * Numbers: plain decimal YAML numbers only (no hex, no nan/inf, no quotes);
 * ints must fit in long long; bools: true/false (plain). */
int node_to_ll(const node *n, long long *out);
int node_to_double(const node *n, double *out);
int node_to_bool(const node *n, int *out);
/* 1 for a plain `null`, `~` or empty scalar. */
int node_is_null(const node *n);
/* "a mapping", "a list", "a number", "the string 'abc'" ... for messages. */
const char *node_describe(const node *n, char *buf, size_t size);

/* Child of a mapping by key, or NULL (also NULL when map is not a mapping). */
node *node_get(const node *map, const char *key);
/* Node at a dotted path; numeric segments index sequences. NULL if absent. */
node *node_at(const node *root, const char *path);
/* Put value at path, replacing what is there (freed) or adding the last key
 * to an existing mapping; missing intermediate mappings are created. Takes
 * ownership of value (also on failure). Fails when a segment crosses a
 * scalar, or indexes a sequence out of range. */
int node_set(node *root, const char *path, node *value, sw_err *err);
/* Apply "dotted.path=YAML value" (e.g. "model.hidden=[128]") to root. Errors
 * name the override and the column. */
int node_override(node *root, const char *assignment, sw_err *err);

node *node_new_scalar(const char *s, int plain);
/* Plain scalars for numbers: the shortest text that reads back exactly
 * (doubles always show a '.' or an exponent). */
node *node_new_double(double v);
/* An empty mapping, and appending key: value to one (no duplicate check:
 * keys may hold dots). Takes ownership of value, also on failure. */
node *node_new_map(void);
int node_append(node *map, const char *key, node *value);
/* An empty sequence, and appending to one. Takes ownership of value. */
node *node_new_seq(void);
int node_push(node *seq, node *value);
node *node_new_int(long long v);
node *node_clone(const node *n);
void node_free(node *n);

/* The tree as YAML text (block style, keys in their order); malloc'd. */
char *node_emit(const node *n, sw_err *err);

#endif
