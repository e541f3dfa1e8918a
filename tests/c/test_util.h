/*
 * test_util.h - the little the core's C tests and fuzz harnesses share: a
 * CHECK that reports and counts instead of stopping, the end-of-test
 * summary, and comparing models by their checkpoint bytes or parameters.
 *
 *     CHECK(status == GAN_OK, "create: %s", gan_status_string(status));
 *     ...
 *     return test_summary("test_config");
 */
#ifndef GAN_TEST_UTIL_H
#define GAN_TEST_UTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gan.h"

static int test_failures;

#define CHECK(cond, ...)                                                    \
    do {                                                                    \
        if (!(cond)) {                                                      \
            if (test_failures++ < 30) {                                     \
                fprintf(stderr, "%s:%d: FAILED %s: ", __FILE__, __LINE__, #cond); \
                fprintf(stderr, __VA_ARGS__);                               \
                fputc('\n', stderr);                                        \
            }                                                               \
        }                                                                   \
    } while (0)

static inline int test_summary(const char *name)
{
    if (test_failures) fprintf(stderr, "%s: %d check(s) failed\n", name, test_failures);
    else printf("%s: all checks passed\n", name);
    return test_failures ? 1 : 0;
}

/* The model's whole state as its checkpoint bytes, malloc'd (the caller
 * frees). A test cannot go on without them: a failed save aborts. */
static inline uint8_t *checkpoint_bytes(const gan *model, size_t *size)
{
    size_t written = 0;
    uint8_t *buf = NULL;
    if (gan_checkpoint_size(model, size) != GAN_OK || !(buf = malloc(*size)) ||
        gan_checkpoint_save(model, buf, *size, &written) != GAN_OK || written != *size) {
        fprintf(stderr, "checkpoint_bytes: saving the model failed\n");
        abort();
    }
    return buf;
}

/* 1 when the model's whole state is exactly these checkpoint bytes. */
static inline int has_checkpoint_state(const gan *model, const uint8_t *expected,
                                       size_t expected_size)
{
    size_t size;
    uint8_t *now = checkpoint_bytes(model, &size);
    int same = size == expected_size && memcmp(now, expected, size) == 0;
    free(now);
    return same;
}

/* 1 when both models' parameters (G and D) are the same bits. */
static inline int same_params(gan *a, gan *b)
{
    for (int which = 0; which < 2; which++) {
        float *pa, *pb;
        size_t na, nb;
        gan_parameters(a, (gan_network)which, &pa, &na);
        gan_parameters(b, (gan_network)which, &pb, &nb);
        if (na != nb || memcmp(pa, pb, na * sizeof(float)) != 0) return 0;
    }
    return 1;
}

/* xorshift32, scaled to [-1, 1): the tests' small uniform generator, one
 * state per test file so each file's numbers stay its own. */
static inline float xorshift_uniform(uint32_t *state)
{
    *state ^= *state << 13;
    *state ^= *state >> 17;
    *state ^= *state << 5;
    return (float)(*state >> 8) / 8388608.0f - 1.0f;
}

#endif /* GAN_TEST_UTIL_H */
