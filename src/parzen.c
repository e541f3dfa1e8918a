/*
 * parzen.c - Gaussian Parzen-window log-likelihood, the paper's Table 1 protocol.
 *
 *   log p(x) = logmeanexp_i(-||x - s_i||^2 / (2 sigma^2)) - d log(sigma sqrt(2 pi))
 *
 * The squared distances come from ||x||^2 + ||s||^2 - 2 x.s, with the x.s for a
 * block of points against all samples in one gemm_nt call; that is where
 * most of the time goes (10k points x 10k samples x 784 is 7.8e10 multiply-adds).
 * The scratch is allocated per call, which is fine outside the training step.
 * Norms, distances and the log-mean-exp are double;
 * the dot products are float, and a distance that rounding makes negative is
 * clamped to 0. The log-mean-exp subtracts the largest term (the nearest
 * sample), so it neither overflows nor underflows to log(0).
 */
#include "gan.h"
#include "gan_internal.h" /* fits_in_memory */
#include "gemm.h"
#include "threads.h" /* par_gemm_nt: the dot products split across threads in the threads build */

#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

/* Points per gemm_nt call: the float block of dot products is this many rows
 * of n_samples (2.5 MiB for 10,000 samples). */
enum { POINT_BLOCK = 64 };

/* malloc(count * size), or NULL when the product overflows (wasm's size_t is 32 bits). */
static void *allocate_array(size_t count, size_t size)
{
    return count > SIZE_MAX / size ? NULL : malloc(count * size);
}

static double squared_norm(const float *x, uint32_t dim)
{
    double sum = 0.0;
    for (uint32_t k = 0; k < dim; k++) sum += (double)x[k] * (double)x[k];
    return sum;
}

/* log p(x) for each sigma, from x's dot products with every sample.
 * A function of its own, called once per point, for speed in wasm: V8 moves a
 * function to its optimising tier only between calls, so a loop that ran
 * inside one long call would stay in baseline code until the end. */
#if defined(__GNUC__) || defined(__clang__)
__attribute__((noinline))
#endif
static void score_point(const float *dot, double point_norm, const double *sample_norms,
                        uint32_t n_samples, uint32_t dim, const double *sigmas, int sigma_count,
                        double *distances, double *out)
{
    double nearest = INFINITY;
    for (uint32_t i = 0; i < n_samples; i++) {
        double d2 = point_norm + sample_norms[i] - 2.0 * (double)dot[i];
        if (d2 < 0.0) d2 = 0.0;
        distances[i] = d2;
        if (d2 < nearest) nearest = d2;
    }
    const double log_n = log((double)n_samples);
    const double half_log_2pi = 0.5 * log(2.0 * 3.14159265358979323846);
    for (int s = 0; s < sigma_count; s++) {
        const double scale = -0.5 / (sigmas[s] * sigmas[s]);
        double sum = 0.0; /* >= 1: the nearest sample contributes exp(0) */
        for (uint32_t i = 0; i < n_samples; i++) sum += exp((distances[i] - nearest) * scale);
        out[s] = nearest * scale + log(sum) - log_n - dim * (log(sigmas[s]) + half_log_2pi);
    }
}

/* out[p * sigma_count + s] = log p(points[p]) under sigmas[s], for every point. */
static gan_status parzen_log_densities(const float *samples, uint32_t n_samples,
                                       const float *points, uint32_t n_points, uint32_t dim,
                                       const double *sigmas, int sigma_count, double *out)
{
    if (!samples || !points || !out || n_samples == 0 || dim == 0)
        return GAN_ERR_INVALID_ARGUMENT;
    if (n_samples > INT_MAX || dim > INT_MAX) return GAN_ERR_INVALID_ARGUMENT;
    if (!fits_in_memory(n_samples, dim, sizeof(float)) || !fits_in_memory(n_points, dim, sizeof(float)) ||
        !fits_in_memory(n_points, (uint64_t)sigma_count, sizeof(double)))
        return GAN_ERR_INVALID_ARGUMENT;
    for (int s = 0; s < sigma_count; s++) {
        if (!(sigmas[s] > 0.0) || !isfinite(sigmas[s])) return GAN_ERR_INVALID_ARGUMENT;
    }
    if (n_points == 0) return GAN_OK;

    float *dots = allocate_array(n_samples, POINT_BLOCK * sizeof(float));
    double *sample_norms = allocate_array(n_samples, sizeof(double));
    double *distances = allocate_array(n_samples, sizeof(double));
    if (!dots || !sample_norms || !distances) {
        free(dots);
        free(sample_norms);
        free(distances);
        return GAN_ERR_OUT_OF_MEMORY;
    }

    for (uint32_t i = 0; i < n_samples; i++)
        sample_norms[i] = squared_norm(samples + (size_t)i * dim, dim);

    for (uint32_t p0 = 0; p0 < n_points; p0 += POINT_BLOCK) {
        const uint32_t block = n_points - p0 < POINT_BLOCK ? n_points - p0 : POINT_BLOCK;
        const float *x = points + (size_t)p0 * dim;
        par_gemm_nt((int)block, (int)n_samples, (int)dim, x, (int)dim, samples, (int)dim, dots,
                    (int)n_samples, 0);
        for (uint32_t p = 0; p < block; p++) {
            score_point(dots + (size_t)p * n_samples, squared_norm(x + (size_t)p * dim, dim),
                        sample_norms, n_samples, dim, sigmas, sigma_count, distances,
                        out + (size_t)(p0 + p) * sigma_count);
        }
    }
    free(dots);
    free(sample_norms);
    free(distances);
    return GAN_OK;
}

gan_status gan_parzen_log_density(const float *samples, uint32_t n_samples,
                                  const float *points, uint32_t n_points, uint32_t dim,
                                  double sigma, double *log_density)
{
    return parzen_log_densities(samples, n_samples, points, n_points, dim, &sigma, 1,
                                log_density);
}

gan_status gan_parzen_evaluate(const float *samples, uint32_t n_samples,
                               const float *validation, uint32_t n_validation,
                               const float *test, uint32_t n_test, uint32_t dim,
                               gan_parzen_result *result)
{
    if (!samples || !validation || !test || !result || n_samples == 0 || n_validation == 0 ||
        n_test == 0 || dim == 0)
        return GAN_ERR_INVALID_ARGUMENT;

    gan_parzen_result r;
    /* 10 values log-spaced over [0.1, 1]: 10^(-1 + i/9). */
    for (int s = 0; s < GAN_PARZEN_SIGMA_COUNT; s++)
        r.sigmas[s] = pow(10.0, -1.0 + (double)s / (GAN_PARZEN_SIGMA_COUNT - 1));

    /* One pass over the validation distances scores every sigma. */
    double *validation_ll = allocate_array(n_validation, GAN_PARZEN_SIGMA_COUNT * sizeof(double));
    if (!validation_ll) return GAN_ERR_OUT_OF_MEMORY;
    gan_status status = parzen_log_densities(samples, n_samples, validation, n_validation, dim,
                                             r.sigmas, GAN_PARZEN_SIGMA_COUNT, validation_ll);
    if (status != GAN_OK) {
        free(validation_ll);
        return status;
    }
    int best = 0;
    for (int s = 0; s < GAN_PARZEN_SIGMA_COUNT; s++) {
        double sum = 0.0;
        for (uint32_t p = 0; p < n_validation; p++)
            sum += validation_ll[(size_t)p * GAN_PARZEN_SIGMA_COUNT + s];
        r.validation_mean[s] = sum / n_validation;
        /* The first strict maximum; a NaN mean never wins. */
        if (r.validation_mean[s] > r.validation_mean[best] || isnan(r.validation_mean[best]))
            best = s;
    }
    free(validation_ll);
    r.sigma = r.sigmas[best];

    double *test_ll = allocate_array(n_test, sizeof(double));
    if (!test_ll) return GAN_ERR_OUT_OF_MEMORY;
    status = parzen_log_densities(samples, n_samples, test, n_test, dim, &r.sigma, 1, test_ll);
    if (status != GAN_OK) {
        free(test_ll);
        return status;
    }
    double sum = 0.0;
    for (uint32_t p = 0; p < n_test; p++) sum += test_ll[p];
    r.mean = sum / n_test;
    /* Population standard deviation (numpy's default, as in the authors' parzen_ll.py). */
    double squares = 0.0;
    for (uint32_t p = 0; p < n_test; p++) squares += (test_ll[p] - r.mean) * (test_ll[p] - r.mean);
    r.std_error = sqrt(squares / n_test) / sqrt((double)n_test);
    free(test_ll);
    *result = r;
    return GAN_OK;
}
