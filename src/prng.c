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

/* x^(2^k) mod P(x), k = PRNG_JUMP_MIN_LOG2 .. PRNG_JUMP_MAX_LOG2, with P the
 * minimal polynomial of xoshiro256's state transition: bit b of word w is
 * the coefficient of x^(64 w + b), the convention of the authors' jump()
 * (which these reproduce for 2^128). Printed by build-scripts/xoshiro-jump.py;
 * tests/c/test_threads.c checks each against 2^k steps. */
static const uint64_t jumps[PRNG_JUMP_MAX_LOG2 - PRNG_JUMP_MIN_LOG2 + 1][4] = {
    {0x4f20eb915e780231ull, 0x3886af219b885248ull, 0x023ecbee3f717fceull, 0x3cec2c375bef249cull}, /* 2^14 */
    {0x449b3ae793888c8cull, 0xc3ce2f061f077568ull, 0xa69393ac0d837e54ull, 0x1a9dcf944ae47603ull}, /* 2^15 */
    {0x7e89ac5ca2fbf2c7ull, 0x92ae7ca370c0bf6bull, 0xef43beaa06f02fb8ull, 0xd87f8ce230817a21ull}, /* 2^16 */
    {0x6c4adbe18e29df8aull, 0x54adade3697d477full, 0xf0c168649cdba61full, 0xbd53027696368bbbull}, /* 2^17 */
    {0x1a673fecf40e36b8ull, 0xf2c602feb5ed002bull, 0x1ea49b5067452594ull, 0xf78a97c0d882cd37ull}, /* 2^18 */
    {0xef4606da56224c47ull, 0x770323eab8d437bdull, 0x590923d02ec52531ull, 0x1639a36e0968e3c5ull}, /* 2^19 */
    {0x31d9d05c5d95f3cdull, 0x7cde241817a3ce0full, 0x2f679f694a74c76aull, 0x8b3919a9d298a415ull}, /* 2^20 */
    {0x6b6622ae9590047aull, 0xeace6d3840b79fefull, 0xd9b36372fd70ec83ull, 0x624eb7b63c322e71ull}, /* 2^21 */
    {0x1b91fd9ba98d9e23ull, 0xeb2c7e29d3c33d2eull, 0xcebbfd2ef4e9aff4ull, 0x2bac5517c9469796ull}, /* 2^22 */
    {0x01f356e6083fe109ull, 0xba0ffb6562a3a28aull, 0x657a6b736317866bull, 0xfb678bd3e5dac186ull}, /* 2^23 */
};

void prng_jump(prng *rng, int log2_draws)
{
    if (log2_draws < PRNG_JUMP_MIN_LOG2 || log2_draws > PRNG_JUMP_MAX_LOG2) return;
    const uint64_t *poly = jumps[log2_draws - PRNG_JUMP_MIN_LOG2];
    uint64_t t[4] = {0, 0, 0, 0};
    for (int w = 0; w < 4; w++) {
        for (int b = 0; b < 64; b++) {
            if (poly[w] >> b & 1) {
                t[0] ^= rng->s[0];
                t[1] ^= rng->s[1];
                t[2] ^= rng->s[2];
                t[3] ^= rng->s[3];
            }
            prng_next(rng);
        }
    }
    for (int i = 0; i < 4; i++) rng->s[i] = t[i];
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
