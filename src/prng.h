/*
 * prng.h - the core's only source of randomness: xoshiro256** seeded through
 * splitmix64, with uniform and Gaussian draws built from integer operations,
 * IEEE arithmetic and det_log (detmath.h), so a seed gives the same numbers
 * natively and in wasm.
 *
 * Streams: one 64-bit seed feeds several independent generators (weights,
 * training noise and dropout, data order, sample noise) by hashing the seed
 * with a stream number, so changing how many numbers one consumer draws never
 * shifts another's.
 */
#ifndef GAN_PRNG_H
#define GAN_PRNG_H

#include <stddef.h>
#include <stdint.h>

typedef struct prng {
    uint64_t s[4];
} prng;

enum {
    PRNG_STREAM_INIT = 1,     /* weight initialisation */
    PRNG_STREAM_TRAIN = 2,    /* training noise and dropout masks */
    PRNG_STREAM_DATA = 3,     /* per-epoch data permutation (mixed with the epoch) */
    PRNG_STREAM_SAMPLE = 4,   /* gan_sample_noise */
    PRNG_STREAM_CALIBRATE = 5 /* the noise behind batch normalisation's sampling statistics */
};

void prng_seed(prng *rng, uint64_t seed, uint64_t stream);
uint64_t prng_next(prng *rng);
/* Uniform in [0, 1) with 24 random bits. */
float prng_uniform(prng *rng);
/* out[i] = prng_uniform(rng) for i = 0 .. n-1, in order: the same numbers as
 * n calls, faster (the state stays in registers). */
void prng_fill_uniform(prng *rng, float *out, size_t n);
/* Jumps: the state after 2^log2_draws more draws (PRNG_JUMP_MIN_LOG2 ..
 * PRNG_JUMP_MAX_LOG2), in 256 steps of the generator: where a long fill
 * starts its later parts, so threads can draw them at once with the same
 * numbers. */
enum { PRNG_JUMP_MIN_LOG2 = 14, PRNG_JUMP_MAX_LOG2 = 23 };
void prng_jump(prng *rng, int log2_draws);
/* Uniform integer in [0, n), n >= 1, without modulo bias. */
uint32_t prng_below(prng *rng, uint32_t n);
/* Standard normal (Marsaglia's polar method). */
float prng_gaussian(prng *rng);

#endif /* GAN_PRNG_H */
