/*
 * test_parzen.c - gan_parzen_log_density against a direct double loop over
 * (x - s)^2, a closed form for one sample, a far-away point (where a naive
 * log(mean(exp)) gives -inf), and gan_parzen_evaluate's sigma grid, sigma
 * choice, test mean and standard error recomputed here from the reference.
 */
#include "gan.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"

static const double PI = 3.14159265358979323846;

static uint32_t rng_state = 88172645u;
static float pixel(void) /* in [0, 1), like MNIST */
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return (float)((double)rng_state / 4294967296.0);
}

/* The definition, in doubles, with the distance computed directly. */
static double reference_log_density(const float *samples, uint32_t n_samples, const float *x,
                                    uint32_t dim, double sigma)
{
    double max = -INFINITY;
    double *terms = malloc(n_samples * sizeof *terms);
    if (!terms) return NAN;
    for (uint32_t i = 0; i < n_samples; i++) {
        double d2 = 0.0;
        for (uint32_t k = 0; k < dim; k++) {
            const double diff = (double)x[k] - samples[(size_t)i * dim + k];
            d2 += diff * diff;
        }
        terms[i] = -d2 / (2.0 * sigma * sigma);
        if (terms[i] > max) max = terms[i];
    }
    double sum = 0.0;
    for (uint32_t i = 0; i < n_samples; i++) sum += exp(terms[i] - max);
    free(terms);
    return max + log(sum / n_samples) - dim * log(sigma * sqrt(2.0 * PI));
}

/* Float dot products inside: the error grows with |x|^2 / sigma^2. */
static int close_enough(double got, double want, uint32_t dim, double sigma)
{
    return fabs(got - want) <= 1e-6 * fabs(want) + 2e-6 * dim / (sigma * sigma);
}

static float *random_block(uint32_t rows, uint32_t dim)
{
    float *x = malloc((size_t)rows * dim * sizeof *x);
    if (x)
        for (size_t i = 0; i < (size_t)rows * dim; i++) x[i] = pixel();
    return x;
}

static void test_against_direct_loop(void)
{
    /* 70 points: more than one 64-point block inside. */
    const uint32_t n_samples = 53, n_points = 70, dim = 29;
    float *samples = random_block(n_samples, dim), *points = random_block(n_points, dim);
    double *got = malloc(n_points * sizeof *got);
    if (!samples || !points || !got) {
        CHECK(0, "out of memory");
        goto done;
    }
    const double sigmas[] = {0.1, 0.2, 0.5, 1.0, 3.0};
    for (size_t s = 0; s < sizeof sigmas / sizeof *sigmas; s++) {
        gan_status status = gan_parzen_log_density(samples, n_samples, points, n_points, dim,
                                                   sigmas[s], got);
        CHECK(status == GAN_OK, "status %d", (int)status);
        for (uint32_t p = 0; p < n_points; p++) {
            const double want = reference_log_density(samples, n_samples, points + p * dim, dim,
                                                      sigmas[s]);
            CHECK(close_enough(got[p], want, dim, sigmas[s]), "sigma %g point %u: %.9g vs %.9g",
                  sigmas[s], p, got[p], want);
        }
    }
done:
    free(samples);
    free(points);
    free(got);
}

static void test_closed_forms(void)
{
    /* One sample: log p(x) = -|x-s|^2 / (2 sigma^2) - d log(sigma sqrt(2 pi)). */
    const float s[3] = {0.0f, 1.0f, 2.0f}, x[3] = {1.0f, 1.0f, 0.0f}; /* |x-s|^2 = 5 */
    double ll = 0.0;
    CHECK(gan_parzen_log_density(s, 1, x, 1, 3, 0.5, &ll) == GAN_OK, "closed form");
    const double want = -5.0 / (2 * 0.25) - 3 * log(0.5 * sqrt(2 * PI));
    CHECK(fabs(ll - want) < 1e-9, "one sample: %.12g vs %.12g", ll, want);

    /* The point itself as the only sample: distance 0, never negative. */
    CHECK(gan_parzen_log_density(x, 1, x, 1, 3, 0.1, &ll) == GAN_OK, "self");
    CHECK(fabs(ll + 3 * log(0.1 * sqrt(2 * PI))) < 1e-9, "self: %.12g", ll);

    /* Far away at sigma 0.1: every exp(-|x-s|^2 / 2 sigma^2) underflows in a
     * naive sum. Two samples at distances^2 1e4 and 1e4 + 2 from x. */
    const float far_samples[2] = {100.0f, 100.01f}, origin[1] = {0.0f};
    CHECK(gan_parzen_log_density(far_samples, 2, origin, 1, 1, 0.1, &ll) == GAN_OK, "far");
    const double d0 = 100.0 * 100.0, d1 = (double)100.01f * 100.01f;
    const double want_far = -d0 / 0.02 + log((1.0 + exp(-(d1 - d0) / 0.02)) / 2.0) -
                            log(0.1 * sqrt(2 * PI));
    CHECK(isfinite(ll) && fabs(ll - want_far) < 1e-6 * fabs(want_far), "far: %.12g vs %.12g", ll,
          want_far);
}

static void test_evaluate(void)
{
    const uint32_t n_samples = 40, n_validation = 30, n_test = 25, dim = 12;
    float *samples = random_block(n_samples, dim);
    float *validation = random_block(n_validation, dim), *test = random_block(n_test, dim);
    double *ll = malloc(n_test * sizeof *ll);
    if (!samples || !validation || !test || !ll) {
        CHECK(0, "out of memory");
        goto done;
    }
    gan_parzen_result r;
    CHECK(gan_parzen_evaluate(samples, n_samples, validation, n_validation, test, n_test, dim,
                              &r) == GAN_OK,
          "evaluate");

    /* The grid: 10 values, log-spaced from 0.1 to 1. */
    CHECK(fabs(r.sigmas[0] - 0.1) < 1e-15 && fabs(r.sigmas[GAN_PARZEN_SIGMA_COUNT - 1] - 1.0) < 1e-15,
          "grid ends %g %g", r.sigmas[0], r.sigmas[GAN_PARZEN_SIGMA_COUNT - 1]);
    for (int s = 1; s < GAN_PARZEN_SIGMA_COUNT; s++)
        CHECK(fabs(log(r.sigmas[s] / r.sigmas[s - 1]) - log(10.0) / 9) < 1e-12, "grid step %d", s);

    /* Validation means, recomputed; the choice is their argmax. */
    int best = 0;
    for (int s = 0; s < GAN_PARZEN_SIGMA_COUNT; s++) {
        double sum = 0.0;
        for (uint32_t p = 0; p < n_validation; p++)
            sum += reference_log_density(samples, n_samples, validation + p * dim, dim, r.sigmas[s]);
        CHECK(close_enough(r.validation_mean[s], sum / n_validation, dim, r.sigmas[s]),
              "validation mean at sigma %g: %.9g vs %.9g", r.sigmas[s], r.validation_mean[s],
              sum / n_validation);
        if (r.validation_mean[s] > r.validation_mean[best]) best = s;
    }
    CHECK(r.sigma == r.sigmas[best], "chose sigma %g, argmax is %g", r.sigma, r.sigmas[best]);
    /* With 12 dimensions of uniform pixels and 40 samples the optimum is inside the grid. */
    CHECK(best > 0 && best < GAN_PARZEN_SIGMA_COUNT - 1, "best sigma index %d at an edge", best);

    /* Test mean and standard error (population std / sqrt(N)). */
    double mean = 0.0;
    for (uint32_t p = 0; p < n_test; p++) {
        ll[p] = reference_log_density(samples, n_samples, test + p * dim, dim, r.sigma);
        mean += ll[p];
    }
    mean /= n_test;
    double squares = 0.0;
    for (uint32_t p = 0; p < n_test; p++) squares += (ll[p] - mean) * (ll[p] - mean);
    const double std_error = sqrt(squares / n_test) / sqrt((double)n_test);
    CHECK(close_enough(r.mean, mean, dim, r.sigma), "test mean %.9g vs %.9g", r.mean, mean);
    CHECK(fabs(r.std_error - std_error) <= 1e-4 * std_error, "std error %.9g vs %.9g",
          r.std_error, std_error);

    /* Bad arguments: an error status, the result untouched. */
    gan_parzen_result untouched;
    memset(&untouched, 0x5a, sizeof untouched);
    gan_parzen_result copy = untouched;
    CHECK(gan_parzen_evaluate(NULL, n_samples, validation, n_validation, test, n_test, dim,
                              &untouched) == GAN_ERR_INVALID_ARGUMENT, "NULL samples");
    CHECK(gan_parzen_evaluate(samples, 0, validation, n_validation, test, n_test, dim,
                              &untouched) == GAN_ERR_INVALID_ARGUMENT, "no samples");
    CHECK(gan_parzen_evaluate(samples, n_samples, validation, 0, test, n_test, dim,
                              &untouched) == GAN_ERR_INVALID_ARGUMENT, "no validation");
    CHECK(gan_parzen_evaluate(samples, n_samples, validation, n_validation, test, n_test, 0,
                              &untouched) == GAN_ERR_INVALID_ARGUMENT, "dim 0");
    CHECK(memcmp(&untouched, &copy, sizeof copy) == 0, "result written on error");
done:
    free(samples);
    free(validation);
    free(test);
    free(ll);
}

static void test_bad_arguments(void)
{
    const float s[2] = {0.0f, 1.0f};
    double ll = 7.0;
    CHECK(gan_parzen_log_density(s, 1, s, 1, 2, 0.0, &ll) == GAN_ERR_INVALID_ARGUMENT, "sigma 0");
    CHECK(gan_parzen_log_density(s, 1, s, 1, 2, -1.0, &ll) == GAN_ERR_INVALID_ARGUMENT, "sigma < 0");
    CHECK(gan_parzen_log_density(s, 1, s, 1, 2, NAN, &ll) == GAN_ERR_INVALID_ARGUMENT, "sigma NaN");
    CHECK(gan_parzen_log_density(s, 1, s, 1, 2, INFINITY, &ll) == GAN_ERR_INVALID_ARGUMENT, "sigma inf");
    CHECK(gan_parzen_log_density(NULL, 1, s, 1, 2, 1.0, &ll) == GAN_ERR_INVALID_ARGUMENT, "NULL");
    CHECK(gan_parzen_log_density(s, 0, s, 1, 2, 1.0, &ll) == GAN_ERR_INVALID_ARGUMENT, "0 samples");
    CHECK(gan_parzen_log_density(s, 1, s, 1, 0, 1.0, &ll) == GAN_ERR_INVALID_ARGUMENT, "dim 0");
    CHECK(gan_parzen_log_density(s, 1, s, 1, 2, 1.0, NULL) == GAN_ERR_INVALID_ARGUMENT, "NULL out");
    CHECK(ll == 7.0, "output written on error");
    CHECK(gan_parzen_log_density(s, 1, s, 0, 2, 1.0, &ll) == GAN_OK && ll == 7.0, "0 points");
}

int main(void)
{
    test_against_direct_loop();
    test_closed_forms();
    test_evaluate();
    test_bad_arguments();
    return test_summary("test_parzen");
}
