/*
 * simd128.h - the 128-bit SIMD the elementwise kernels are written in
 * (network.c, optimizer.c): wasm_simd128.h in the SIMD wasm build, and
 * natively the same intrinsics on GCC/Clang vector extensions (SSE2 on
 * x86-64, NEON on arm64), so the native engine runs the same lanes as the
 * SIMD wasm build. GAN_SIMD128 says whether they exist in this build.
 *
 * Every function here is lane-wise IEEE arithmetic, comparison or bit
 * selection, as in wasm: each lane's result is the scalar code's bits
 * (square roots and divisions are correctly rounded in both; native builds
 * never contract a multiply into an add, CMakeLists.txt). Only the
 * intrinsics the core uses are defined.
 */
#ifndef GAN_SIMD128_H
#define GAN_SIMD128_H

#if defined(__wasm_simd128__)
#include <wasm_simd128.h>
#define GAN_SIMD128 1
#elif !defined(__wasm__) && (defined(__GNUC__) || defined(__clang__))
#define GAN_SIMD128 1
#include <stdint.h>
#include <string.h>

typedef int32_t v128_t __attribute__((vector_size(16)));
typedef float gan_f32x4 __attribute__((vector_size(16)));
typedef double gan_f64x2 __attribute__((vector_size(16)));
typedef int64_t gan_i64x2 __attribute__((vector_size(16)));

#define F32(v) ((gan_f32x4)(v))
#define F64(v) ((gan_f64x2)(v))
#define V128(v) ((v128_t)(v))

static inline v128_t wasm_v128_load(const void *p) { v128_t v; memcpy(&v, p, sizeof v); return v; }
static inline void wasm_v128_store(void *p, v128_t v) { memcpy(p, &v, sizeof v); }
static inline v128_t wasm_f32x4_splat(float x) { return V128(((gan_f32x4){x, x, x, x})); }
static inline v128_t wasm_i32x4_splat(int32_t x) { return (v128_t){x, x, x, x}; }
static inline v128_t wasm_f64x2_splat(double x) { return V128(((gan_f64x2){x, x})); }
static inline v128_t wasm_f32x4_make(float a, float b, float c, float d) { return V128(((gan_f32x4){a, b, c, d})); }
static inline v128_t wasm_f32x4_add(v128_t a, v128_t b) { return V128(F32(a) + F32(b)); }
static inline v128_t wasm_f32x4_sub(v128_t a, v128_t b) { return V128(F32(a) - F32(b)); }
static inline v128_t wasm_f32x4_mul(v128_t a, v128_t b) { return V128(F32(a) * F32(b)); }
static inline v128_t wasm_f32x4_div(v128_t a, v128_t b) { return V128(F32(a) / F32(b)); }
static inline v128_t wasm_f32x4_neg(v128_t a) { return V128(-F32(a)); }
static inline v128_t wasm_f32x4_sqrt(v128_t a)
{
    gan_f32x4 x = F32(a);
    for (int i = 0; i < 4; i++) x[i] = __builtin_sqrtf(x[i]);
    return V128(x);
}
static inline v128_t wasm_f32x4_gt(v128_t a, v128_t b) { return V128(F32(a) > F32(b)); }
static inline v128_t wasm_f32x4_lt(v128_t a, v128_t b) { return V128(F32(a) < F32(b)); }
static inline v128_t wasm_f32x4_ne(v128_t a, v128_t b) { return V128(F32(a) != F32(b)); }
static inline v128_t wasm_f32x4_ge(v128_t a, v128_t b) { return V128(F32(a) >= F32(b)); }
static inline v128_t wasm_i32x4_eq(v128_t a, v128_t b) { return V128(a == b); }
static inline v128_t wasm_i32x4_add(v128_t a, v128_t b) { return V128((uint32_t __attribute__((vector_size(16))))a + (uint32_t __attribute__((vector_size(16))))b); }
static inline v128_t wasm_i32x4_sub(v128_t a, v128_t b) { return V128((uint32_t __attribute__((vector_size(16))))a - (uint32_t __attribute__((vector_size(16))))b); }
static inline v128_t wasm_i32x4_shl(v128_t a, int n) { return V128((uint32_t __attribute__((vector_size(16))))a << n); }
static inline v128_t wasm_i32x4_shr(v128_t a, int n) { return a >> n; } /* arithmetic, as GCC and Clang do for signed */
static inline v128_t wasm_u32x4_shr(v128_t a, int n) { return V128((uint32_t __attribute__((vector_size(16))))a >> n); }
static inline v128_t wasm_v128_andnot(v128_t a, v128_t b) { return a & ~b; }
static inline v128_t wasm_f32x4_convert_i32x4(v128_t a) { return V128(((gan_f32x4){(float)a[0], (float)a[1], (float)a[2], (float)a[3]})); }
/* Saturating, NaN to 0, as wasm's i32x4.trunc_sat_f32x4_s (C's cast would be undefined out of range). */
static inline v128_t wasm_i32x4_trunc_sat_f32x4(v128_t a)
{
    const gan_f32x4 x = F32(a);
    v128_t r;
    for (int i = 0; i < 4; i++)
        r[i] = x[i] != x[i] ? 0 : x[i] >= 2147483648.0f ? INT32_MAX : x[i] < -2147483648.0f ? INT32_MIN : (int32_t)x[i];
    return r;
}
static inline v128_t wasm_v128_and(v128_t a, v128_t b) { return a & b; }
static inline v128_t wasm_v128_or(v128_t a, v128_t b) { return a | b; }
static inline v128_t wasm_v128_bitselect(v128_t a, v128_t b, v128_t mask) { return (a & mask) | (b & ~mask); }
static inline int wasm_v128_any_true(v128_t a) { return (a[0] | a[1] | a[2] | a[3]) != 0; }
static inline float wasm_f32x4_extract_lane_(v128_t a, int i) { return F32(a)[i]; }
static inline double wasm_f64x2_extract_lane_(v128_t a, int i) { return F64(a)[i]; }
#define wasm_f32x4_extract_lane(a, i) wasm_f32x4_extract_lane_((a), (i))
#define wasm_f64x2_extract_lane(a, i) wasm_f64x2_extract_lane_((a), (i))
static inline v128_t wasm_f64x2_add(v128_t a, v128_t b) { return V128(F64(a) + F64(b)); }
static inline v128_t wasm_f64x2_mul(v128_t a, v128_t b) { return V128(F64(a) * F64(b)); }
static inline v128_t wasm_f64x2_promote_low_f32x4(v128_t a)
{
    const gan_f32x4 x = F32(a);
    return V128(((gan_f64x2){(double)x[0], (double)x[1]}));
}
static inline v128_t wasm_i64x2_shuffle_(v128_t a, v128_t b, int i, int j)
{
    const gan_i64x2 x = (gan_i64x2)a, y = (gan_i64x2)b;
    return V128(((gan_i64x2){i < 2 ? x[i] : y[i - 2], j < 2 ? x[j] : y[j - 2]}));
}
#define wasm_i64x2_shuffle(a, b, i, j) wasm_i64x2_shuffle_((a), (b), (i), (j))

#undef F32
#undef F64
#undef V128
#endif

#endif /* GAN_SIMD128_H */
