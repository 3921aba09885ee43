/* ckpt.h - checkpoint files: a trained network's parameters and the config
 * that built it, in one versioned binary file with a checksum.
 *
 * Owns: the file format (below), writing it atomically (a temporary file
 * renamed into place) and reading it back with every field checked. Does not
 * own building the network or evaluating it (main.c's `sweep eval`).
 *
 * Format, version 1, all integers little-endian:
 *   offset  size  field
 *   0       8     magic "SWEEPCKP"
 *   8       4     format version (1)
 *   12      4     config length L in bytes
 *   16      4     input channels     20  4  input rows    24  4  input cols
 *   28      4     classes
 *   32      8     parameter count P  40  8  state count S (batch-norm averages)
 *   48      L     the run's resolved config, YAML text (not NUL-terminated)
 *   48+L    4P    parameters, float32 (IEEE 754, little-endian), layer order
 *   ...     4S    state, float32
 *   end-4   4     CRC-32 (zlib's) of every byte before it */
#ifndef SWEEP_CKPT_H
#define SWEEP_CKPT_H

#include <stddef.h>

#include "err.h"
#include "nn.h"

#define CKPT_VERSION 1

typedef struct ckpt {
    char *config;        /* YAML text, NUL-terminated */
    nn_shape input;      /* flat = 0 */
    int classes;
    size_t nparams, nstate;
    float *params;       /* nparams */
    float *state;        /* nstate */
} ckpt;

/* Write path (through path.tmp, renamed). */
int ckpt_write(const char *path, const ckpt *c, sw_err *err);
/* Read and check path: magic, version, sizes against the file's length,
 * checksum. Errors name the file and what is wrong. */
int ckpt_read(ckpt *out, const char *path, sw_err *err);
void ckpt_free(ckpt *c);

#endif
