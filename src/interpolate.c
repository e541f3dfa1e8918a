/*
 * interpolate.c - paths between two noise vectors, for the paper's Figure 3.
 *
 * Linear: (1 - t) z0 + t z1. Spherical (slerp): the great-circle path, which
 * keeps the norm typical of the prior in high dimensions where the straight
 * line cuts through the low-norm middle:
 *
 *   slerp(t) = sin((1 - t) omega) / sin omega * z0 + sin(t omega) / sin omega * z1,
 *   omega = angle between z0 and z1.
 *
 * When sin omega is tiny (parallel or opposite vectors, or a zero vector) slerp
 * is ill-conditioned, so that case falls back to linear. Weights are computed
 * in double; t = 0 and t = 1 give z0 and z1 exactly.
 */
#include "gan.h"
#include "gan_internal.h"

#include <math.h>

gan_status gan_interpolate(const float *z0, const float *z1, uint32_t dim, uint32_t steps,
                           int spherical, float *out)
{
    if (!z0 || !z1 || !out || dim == 0 || steps < 2) return GAN_ERR_INVALID_ARGUMENT;
    if (!fits_in_memory(steps, dim, sizeof(float))) return GAN_ERR_INVALID_ARGUMENT;

    double omega = 0.0, sin_omega = 0.0;
    if (spherical) {
        double dot = 0.0, norm0 = 0.0, norm1 = 0.0;
        for (uint32_t k = 0; k < dim; k++) {
            dot += (double)z0[k] * z1[k];
            norm0 += (double)z0[k] * z0[k];
            norm1 += (double)z1[k] * z1[k];
        }
        const double denominator = sqrt(norm0) * sqrt(norm1);
        if (denominator > 0.0) {
            double cosine = dot / denominator;
            if (cosine > 1.0) cosine = 1.0;
            if (cosine < -1.0) cosine = -1.0;
            omega = acos(cosine);
            sin_omega = sin(omega);
        }
    }
    const int use_slerp = spherical && sin_omega > 1e-6;

    for (uint32_t s = 0; s < steps; s++) {
        float *row = out + (size_t)s * dim;
        const double t = (double)s / (double)(steps - 1);
        double w0, w1;
        if (s == 0) {
            w0 = 1.0, w1 = 0.0;
        } else if (s == steps - 1) {
            w0 = 0.0, w1 = 1.0;
        } else if (use_slerp) {
            w0 = sin((1.0 - t) * omega) / sin_omega;
            w1 = sin(t * omega) / sin_omega;
        } else {
            w0 = 1.0 - t, w1 = t;
        }
        for (uint32_t k = 0; k < dim; k++) row[k] = (float)(w0 * z0[k] + w1 * z1[k]);
    }
    return GAN_OK;
}
