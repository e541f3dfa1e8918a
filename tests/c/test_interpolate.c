/*
 * test_interpolate.c - gan_interpolate: exact endpoints, evenly spaced linear
 * steps, slerp on orthogonal vectors (unit norm kept, equal angles), the
 * linear fallback for parallel, opposite and zero vectors, and bad arguments.
 */
#include "gan.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "test_util.h"

enum { DIM = 5, STEPS = 7 };

static double norm(const float *x, int n)
{
    double s = 0.0;
    for (int i = 0; i < n; i++) s += (double)x[i] * x[i];
    return sqrt(s);
}

static void test_linear(void)
{
    const float z0[DIM] = {1.0f, -2.0f, 0.5f, 3.0f, 0.1f};
    const float z1[DIM] = {-1.0f, 4.0f, 0.25f, 3.0f, -0.7f};
    float out[STEPS * DIM];
    CHECK(gan_interpolate(z0, z1, DIM, STEPS, 0, out) == GAN_OK, "linear");
    CHECK(memcmp(out, z0, sizeof z0) == 0, "first step is z0");
    CHECK(memcmp(out + (STEPS - 1) * DIM, z1, sizeof z1) == 0, "last step is z1");
    for (int s = 0; s < STEPS; s++) {
        const double t = (double)s / (STEPS - 1);
        for (int k = 0; k < DIM; k++) {
            const double want = (1 - t) * z0[k] + t * z1[k];
            CHECK(fabs(out[s * DIM + k] - want) < 1e-6, "linear step %d [%d]: %g vs %g", s, k,
                  out[s * DIM + k], want);
        }
    }
    float two[2 * DIM];
    CHECK(gan_interpolate(z0, z1, DIM, 2, 0, two) == GAN_OK, "two steps");
    CHECK(memcmp(two, z0, sizeof z0) == 0 && memcmp(two + DIM, z1, sizeof z1) == 0,
          "two steps are the endpoints");
}

static void test_spherical(void)
{
    /* Orthogonal unit vectors: slerp walks the quarter circle in equal angles. */
    const double half_pi = 1.57079632679489661923;
    const float e0[2] = {1.0f, 0.0f}, e1[2] = {0.0f, 1.0f};
    float out[STEPS * 2];
    CHECK(gan_interpolate(e0, e1, 2, STEPS, 1, out) == GAN_OK, "slerp");
    CHECK(memcmp(out, e0, sizeof e0) == 0 && memcmp(out + (STEPS - 1) * 2, e1, sizeof e1) == 0,
          "slerp endpoints exact");
    for (int s = 0; s < STEPS; s++) {
        const double angle = (double)s / (STEPS - 1) * half_pi;
        CHECK(fabs(out[2 * s] - cos(angle)) < 1e-6 && fabs(out[2 * s + 1] - sin(angle)) < 1e-6,
              "slerp step %d: (%g, %g), want angle %g", s, out[2 * s], out[2 * s + 1], angle);
        CHECK(fabs(norm(out + 2 * s, 2) - 1.0) < 1e-6, "slerp step %d leaves the circle", s);
    }

    /* Different norms, 5 dimensions: endpoints exact, the middle differs from linear. */
    const float z0[DIM] = {1.0f, -2.0f, 0.5f, 3.0f, 0.1f};
    const float z1[DIM] = {-1.0f, 4.0f, 0.25f, 3.0f, -0.7f};
    float slerp[STEPS * DIM], linear[STEPS * DIM];
    CHECK(gan_interpolate(z0, z1, DIM, STEPS, 1, slerp) == GAN_OK, "slerp 5-d");
    CHECK(gan_interpolate(z0, z1, DIM, STEPS, 0, linear) == GAN_OK, "linear 5-d");
    CHECK(memcmp(slerp, z0, sizeof z0) == 0, "slerp first step is z0");
    CHECK(memcmp(slerp + (STEPS - 1) * DIM, z1, sizeof z1) == 0, "slerp last step is z1");
    CHECK(norm(slerp + 3 * DIM, DIM) > norm(linear + 3 * DIM, DIM) + 0.1,
          "slerp's middle keeps more norm than the chord");
}

static void test_fallbacks(void)
{
    /* Parallel, opposite, or a zero vector: spherical falls back to linear. */
    const float z0[DIM] = {1.0f, -2.0f, 0.5f, 3.0f, 0.1f};
    float parallel[DIM], opposite[DIM], zero[DIM] = {0};
    for (int k = 0; k < DIM; k++) {
        parallel[k] = 2.0f * z0[k];
        opposite[k] = -z0[k];
    }
    const float *others[] = {parallel, opposite, zero};
    for (int o = 0; o < 3; o++) {
        float slerp[STEPS * DIM], linear[STEPS * DIM];
        CHECK(gan_interpolate(z0, others[o], DIM, STEPS, 1, slerp) == GAN_OK, "fallback %d", o);
        CHECK(gan_interpolate(z0, others[o], DIM, STEPS, 0, linear) == GAN_OK, "linear %d", o);
        CHECK(memcmp(slerp, linear, sizeof slerp) == 0, "case %d: not the linear path", o);
        for (int i = 0; i < STEPS * DIM; i++) CHECK(isfinite(slerp[i]), "case %d: non-finite", o);
    }
}

static void test_bad_arguments(void)
{
    const float z[DIM] = {0};
    float out[STEPS * DIM];
    out[0] = 42.0f;
    CHECK(gan_interpolate(z, z, DIM, 1, 0, out) == GAN_ERR_INVALID_ARGUMENT, "1 step");
    CHECK(gan_interpolate(z, z, DIM, 0, 1, out) == GAN_ERR_INVALID_ARGUMENT, "0 steps");
    CHECK(gan_interpolate(NULL, z, DIM, 3, 0, out) == GAN_ERR_INVALID_ARGUMENT, "NULL z0");
    CHECK(gan_interpolate(z, NULL, DIM, 3, 0, out) == GAN_ERR_INVALID_ARGUMENT, "NULL z1");
    CHECK(gan_interpolate(z, z, DIM, 3, 0, NULL) == GAN_ERR_INVALID_ARGUMENT, "NULL out");
    CHECK(gan_interpolate(z, z, 0, 3, 0, out) == GAN_ERR_INVALID_ARGUMENT, "dim 0");
    CHECK(out[0] == 42.0f, "output written on error");
}

int main(void)
{
    test_linear();
    test_spherical();
    test_fallbacks();
    test_bad_arguments();
    return test_summary("test_interpolate");
}
