/*
 * prng.c - xoshiro256** (Blackman and Vigna, 2018), splitmix64 seeding.
 */
#include "prng.h"

#include <math.h>

#include "detmath.h"

static uint64_t splitmix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

void prng_seed(prng *rng, uint64_t seed, uint64_t stream)
{
    /* Hash (seed, stream) into a splitmix64 state: distinct streams of one
     * seed and equal streams of distinct seeds give unrelated sequences. */
    uint64_t state = seed;
    uint64_t mixed = splitmix64(&state) ^ (stream * 0xd1b54a32d192ed03ull);
    state = mixed;
    for (int i = 0; i < 4; i++) rng->s[i] = splitmix64(&state);
    /* All-zero is xoshiro's one bad state; splitmix64 never gives four zeros,
     * but keep the invariant obvious. */
    if ((rng->s[0] | rng->s[1] | rng->s[2] | rng->s[3]) == 0) rng->s[0] = 1;
}

static inline uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

uint64_t prng_next(prng *rng)
{
    uint64_t *s = rng->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

float prng_uniform(prng *rng)
{
    return (float)(prng_next(rng) >> 40) * 0x1.0p-24f;
}

void prng_fill_uniform(prng *rng, float *out, size_t n)
{
    uint64_t s0 = rng->s[0], s1 = rng->s[1], s2 = rng->s[2], s3 = rng->s[3];
    for (size_t i = 0; i < n; i++) {
        /* prng_next, then prng_uniform's conversion */
        const uint64_t result = rotl(s1 * 5, 7) * 9;
        const uint64_t t = s1 << 17;
        s2 ^= s0;
        s3 ^= s1;
        s1 ^= s2;
        s0 ^= s3;
        s2 ^= t;
        s3 = rotl(s3, 45);
        out[i] = (float)(result >> 40) * 0x1.0p-24f;
    }
    rng->s[0] = s0;
    rng->s[1] = s1;
    rng->s[2] = s2;
    rng->s[3] = s3;
}

uint32_t prng_below(prng *rng, uint32_t n)
{
    /* Lemire's multiply-shift with rejection. */
    uint64_t m = (uint64_t)(uint32_t)(prng_next(rng) >> 32) * n;
    uint32_t low = (uint32_t)m;
    if (low < n) {
        uint32_t threshold = (uint32_t)(-n) % n;
        while (low < threshold) {
            m = (uint64_t)(uint32_t)(prng_next(rng) >> 32) * n;
            low = (uint32_t)m;
        }
    }
    return (uint32_t)(m >> 32);
}

float prng_gaussian(prng *rng)
{
    double u, v, s;
    do {
        u = (double)(prng_next(rng) >> 11) * 0x1.0p-52 - 1.0; /* [-1, 1) */
        v = (double)(prng_next(rng) >> 11) * 0x1.0p-52 - 1.0;
        s = u * u + v * v;
    } while (s >= 1.0 || s == 0.0);
    return (float)(u * sqrt(-2.0 * det_log(s) / s)); /* sqrt is exact IEEE everywhere */
}
