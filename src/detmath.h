/*
 * detmath.h - exp and log written out in IEEE arithmetic (+ - * / and sqrt
 * only), so every build computes the same bits.
 *
 * Why not libm: glibc's expf and Emscripten's musl expf round differently in
 * the last place, and the GEMM kernels are bit-identical across builds (see
 * gemm.h). With these, a training run gives the same bits natively, in wasm
 * scalar and in wasm SIMD, and the native golden test also pins the wasm
 * builds. Accuracy is a few ulp, plenty for training.
 *
 * Native builds must not contract a*b+c into FMA: CMake compiles as ISO C11
 * (-std=c11), for which GCC defaults to -ffp-contract=off; wasm has no FMA.
 */
#ifndef GAN_DETMATH_H
#define GAN_DETMATH_H

#include <math.h> /* INFINITY and NAN only; no libm calls */
#include <stdint.h>
#include <string.h>

/* e^x in float. Overflows to +inf above ~88.7 and flushes to 0 below ~-87.3. */
static inline float det_expf(float x)
{
    if (!(x < 88.72283f)) return x != x ? x : INFINITY; /* NaN stays NaN */
    if (x < -87.33654f) return 0.0f;
    /* x = n ln2 + r, |r| <= ln2/2; ln2 split so n*ln2_hi is exact. */
    float t = x * 1.44269504f;
    int32_t n = (int32_t)(t >= 0.0f ? t + 0.5f : t - 0.5f);
    float r = (x - (float)n * 0.693145752f) - (float)n * 1.42860677e-06f;
    float p = 1.0f + r * (1.0f + r * (0.5f + r * (1.6666667e-1f + r * (4.1666668e-2f +
              r * (8.3333338e-3f + r * (1.3888889e-3f + r * 1.9841270e-4f))))));
    /* p * 2^n, in two halves so n = -126..127 never builds a bad exponent. */
    int32_t n1 = n / 2, n2 = n - n1;
    uint32_t b1 = (uint32_t)(n1 + 127) << 23, b2 = (uint32_t)(n2 + 127) << 23;
    float s1, s2;
    memcpy(&s1, &b1, 4);
    memcpy(&s2, &b2, 4);
    return p * s1 * s2;
}

#include "simd128.h"
#ifdef GAN_SIMD128

/* det_expf on four lanes: every lane runs det_expf's operations in its order
 * (the same IEEE multiplies, adds and conversions), so each lane's bits equal
 * det_expf's. All lanes take the polynomial path; the overflow, underflow and
 * NaN lanes are replaced at the end (the saturating conversion cannot trap). */
static inline v128_t det_expf_f32x4(v128_t x)
{
    const v128_t t = wasm_f32x4_mul(x, wasm_f32x4_splat(1.44269504f));
    const v128_t half = wasm_f32x4_splat(0.5f);
    const v128_t rounded = wasm_v128_bitselect(wasm_f32x4_add(t, half), wasm_f32x4_sub(t, half),
                                               wasm_f32x4_ge(t, wasm_f32x4_splat(0.0f)));
    const v128_t n = wasm_i32x4_trunc_sat_f32x4(rounded);
    const v128_t nf = wasm_f32x4_convert_i32x4(n);
    const v128_t r = wasm_f32x4_sub(wasm_f32x4_sub(x, wasm_f32x4_mul(nf, wasm_f32x4_splat(0.693145752f))),
                                    wasm_f32x4_mul(nf, wasm_f32x4_splat(1.42860677e-06f)));
    v128_t p = wasm_f32x4_add(wasm_f32x4_splat(1.3888889e-3f), wasm_f32x4_mul(r, wasm_f32x4_splat(1.9841270e-4f)));
    p = wasm_f32x4_add(wasm_f32x4_splat(8.3333338e-3f), wasm_f32x4_mul(r, p));
    p = wasm_f32x4_add(wasm_f32x4_splat(4.1666668e-2f), wasm_f32x4_mul(r, p));
    p = wasm_f32x4_add(wasm_f32x4_splat(1.6666667e-1f), wasm_f32x4_mul(r, p));
    p = wasm_f32x4_add(half, wasm_f32x4_mul(r, p));
    p = wasm_f32x4_add(wasm_f32x4_splat(1.0f), wasm_f32x4_mul(r, p));
    p = wasm_f32x4_add(wasm_f32x4_splat(1.0f), wasm_f32x4_mul(r, p));
    /* n / 2 rounded toward zero, as C's division: (n + sign bit) >> 1 */
    const v128_t n1 = wasm_i32x4_shr(wasm_i32x4_add(n, wasm_u32x4_shr(n, 31)), 1);
    const v128_t n2 = wasm_i32x4_sub(n, n1);
    const v128_t bias = wasm_i32x4_splat(127);
    const v128_t s1 = wasm_i32x4_shl(wasm_i32x4_add(n1, bias), 23);
    const v128_t s2 = wasm_i32x4_shl(wasm_i32x4_add(n2, bias), 23);
    v128_t y = wasm_f32x4_mul(wasm_f32x4_mul(p, s1), s2);
    /* !(x < 88.72283f): x itself if NaN, else +inf; x < -87.33654f: 0 */
    const v128_t nan = wasm_f32x4_ne(x, x);
    const v128_t big = wasm_v128_bitselect(x, wasm_f32x4_splat(INFINITY), nan);
    y = wasm_v128_bitselect(y, big, wasm_f32x4_lt(x, wasm_f32x4_splat(88.72283f)));
    return wasm_v128_andnot(y, wasm_f32x4_lt(x, wasm_f32x4_splat(-87.33654f)));
}
#endif /* GAN_SIMD128 */

/* e^x in double, for losses and statistics. */
static inline double det_exp(double x)
{
    if (!(x < 709.0)) return x != x ? x : (double)INFINITY;
    if (x < -708.0) return 0.0;
    double t = x * 1.4426950408889634;
    int32_t n = (int32_t)(t >= 0.0 ? t + 0.5 : t - 0.5);
    double r = (x - (double)n * 6.93147180369123816490e-01) - (double)n * 1.90821492927058770002e-10;
    /* Taylor to r^13/13!: error below 1e-17 for |r| <= 0.347. */
    double p = 1.0 / 6227020800.0;
    static const double inverse_factorials[13] = {
        1.0 / 479001600.0, 1.0 / 39916800.0, 1.0 / 3628800.0, 1.0 / 362880.0, 1.0 / 40320.0,
        1.0 / 5040.0, 1.0 / 720.0, 1.0 / 120.0, 1.0 / 24.0, 1.0 / 6.0, 0.5, 1.0, 1.0};
    for (int i = 0; i < 13; i++) p = p * r + inverse_factorials[i];
    int32_t n1 = n / 2, n2 = n - n1;
    uint64_t b1 = (uint64_t)(n1 + 1023) << 52, b2 = (uint64_t)(n2 + 1023) << 52;
    double s1, s2;
    memcpy(&s1, &b1, 8);
    memcpy(&s2, &b2, 8);
    return p * s1 * s2;
}

/* 2 atanh(t) = log((1+t)/(1-t)) by its series, for |t| <= 1/3. */
static inline double det_atanh2_series(double t)
{
    double t2 = t * t, sum = 0.0;
    for (int k = 20; k >= 0; k--) sum = sum * t2 + 1.0 / (double)(2 * k + 1);
    return 2.0 * t * sum;
}

/* Natural log for finite x > 0 (normal or subnormal); -inf for 0, NaN below. */
static inline double det_log(double x)
{
    if (!(x >= 0.0)) return (double)NAN;
    if (x == 0.0) return -(double)INFINITY;
    if (x > 1.7976931348623157e308) return x;
    int32_t extra = 0;
    if (x < 2.2250738585072014e-308) { x *= 18014398509481984.0; extra = -54; } /* 2^54 */
    uint64_t bits;
    memcpy(&bits, &x, 8);
    int32_t e = (int32_t)((bits >> 52) & 0x7ff) - 1023 + extra;
    bits = (bits & 0x000fffffffffffffull) | 0x3ff0000000000000ull;
    double m;
    memcpy(&m, &bits, 8); /* [1, 2) */
    if (m > 1.4142135623730951) { m *= 0.5; e += 1; }
    return det_atanh2_series((m - 1.0) / (m + 1.0)) + (double)e * 0.69314718055994530942;
}

/* log(1 + a) for a >= 0 without cancellation when a is tiny. */
static inline double det_log1p(double a)
{
    if (a <= 1.0) return det_atanh2_series(a / (2.0 + a));
    return det_log(1.0 + a);
}

/* softplus(x) = log(1 + e^x), finite for every finite x. */
static inline double det_softplus(double x)
{
    return (x > 0.0 ? x : 0.0) + det_log1p(det_exp(x > 0.0 ? -x : x));
}

/* 1 / (1 + e^-x) without overflow. */
static inline double det_sigmoid(double x)
{
    if (x >= 0.0) return 1.0 / (1.0 + det_exp(-x));
    double e = det_exp(x);
    return e / (1.0 + e);
}

#endif /* GAN_DETMATH_H */
