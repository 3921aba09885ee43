/* rng.h - the project's own seeded random numbers (xoshiro256**, seeded by
 * splitmix64). Results never depend on libc's rand(), so a seed means the same
 * numbers on every machine. One rng per consumer (init, shuffle, dropout,
 * sampler), each seeded from a run seed and a stream number. */
#ifndef SWEEP_RNG_H
#define SWEEP_RNG_H

#include <stdint.h>

typedef struct rng { uint64_t s[4]; } rng;

/* Seed from (seed, stream): different streams of one seed are independent. */
void rng_seed(rng *r, uint64_t seed, uint64_t stream);
uint64_t rng_u64(rng *r);
/* Uniform in [0, 1) with 53 random bits. */
double rng_uniform(rng *r);
/* Uniform integer in [0, n), unbiased; n >= 1. */
uint64_t rng_below(rng *r, uint64_t n);
/* Standard normal (Box-Muller, no cached spare: the stream stays simple). */
double rng_normal(rng *r);
/* Fisher-Yates shuffle of idx[0..n). */
void rng_shuffle(rng *r, int *idx, int n);

#endif
