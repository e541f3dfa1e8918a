/*
 * gemm_avx2.c - the native engine's GEMM on x86-64 with AVX2: 8-float
 * vectors, multiply then add, never fused. Compiled on its own with
 * -mavx2 -mno-fma -ffp-contract=off (CMakeLists.txt), so no instruction in
 * this file can fuse a product into a sum, and called only when the CPU has
 * AVX2 (gemm_portable.c asks at run time; the portable kernels otherwise).
 *
 * The scheme of gemm_wasm_simd.c with twice the width: a 4x16 block of C in
 * eight 8-float accumulators, per k two vectors of a packed 16-column panel
 * of B times four broadcast elements of A; a 4x8 kernel for panels of 8
 * columns (the edges of column splits, threads.c). Every C element is still
 * the sequential sum of gemm.h (vectors run across columns, never across k),
 * so the results are the scalar reference's bits, and the wasm builds'.
 */
#include "gemm.h"

#ifdef GEMM_HAVE_AVX2
#include <immintrin.h>

#if defined(__FMA__) || defined(__FP_FAST_FMAF)
#error "gemm_avx2.c must be compiled without FMA (-mno-fma): the sums must round each product"
#endif

enum { MR = 4, NR = 16, KC = 256 };

/* panel[k][0..15] = B[k][0..16). */
static void pack_rows_full(int kc, const float *B, int ldb, float *panel)
{
    for (int k = 0; k < kc; k++) {
        const float *b = B + (long)k * ldb;
        _mm256_store_ps(panel + k * NR, _mm256_loadu_ps(b));
        _mm256_store_ps(panel + k * NR + 8, _mm256_loadu_ps(b + 8));
    }
}

/* 8x8 transpose of rows r[0..7] into columns, stored at out, out + stride, ... */
static inline void transpose8(__m256 r0, __m256 r1, __m256 r2, __m256 r3, __m256 r4, __m256 r5,
                              __m256 r6, __m256 r7, float *out, int stride)
{
    const __m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1);
    const __m256 t2 = _mm256_unpacklo_ps(r2, r3), t3 = _mm256_unpackhi_ps(r2, r3);
    const __m256 t4 = _mm256_unpacklo_ps(r4, r5), t5 = _mm256_unpackhi_ps(r4, r5);
    const __m256 t6 = _mm256_unpacklo_ps(r6, r7), t7 = _mm256_unpackhi_ps(r6, r7);
    const __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xee);
    const __m256 u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xee);
    const __m256 u4 = _mm256_shuffle_ps(t4, t6, 0x44), u5 = _mm256_shuffle_ps(t4, t6, 0xee);
    const __m256 u6 = _mm256_shuffle_ps(t5, t7, 0x44), u7 = _mm256_shuffle_ps(t5, t7, 0xee);
    _mm256_store_ps(out + 0 * stride, _mm256_permute2f128_ps(u0, u4, 0x20));
    _mm256_store_ps(out + 1 * stride, _mm256_permute2f128_ps(u1, u5, 0x20));
    _mm256_store_ps(out + 2 * stride, _mm256_permute2f128_ps(u2, u6, 0x20));
    _mm256_store_ps(out + 3 * stride, _mm256_permute2f128_ps(u3, u7, 0x20));
    _mm256_store_ps(out + 4 * stride, _mm256_permute2f128_ps(u0, u4, 0x31));
    _mm256_store_ps(out + 5 * stride, _mm256_permute2f128_ps(u1, u5, 0x31));
    _mm256_store_ps(out + 6 * stride, _mm256_permute2f128_ps(u2, u6, 0x31));
    _mm256_store_ps(out + 7 * stride, _mm256_permute2f128_ps(u3, u7, 0x31));
}

/* panel[k][j] = B[j][k] for j < 16: 8x8 transposes, a scalar tail for kc % 8. */
static void pack_transposed_full(int kc, const float *B, int ldb, float *panel)
{
    int k = 0;
    for (; k + 8 <= kc; k += 8) {
        for (int half = 0; half < 2; half++) {
            const float *b = B + (long)(8 * half) * ldb + k;
            transpose8(_mm256_loadu_ps(b), _mm256_loadu_ps(b + ldb),
                       _mm256_loadu_ps(b + 2 * (long)ldb), _mm256_loadu_ps(b + 3 * (long)ldb),
                       _mm256_loadu_ps(b + 4 * (long)ldb), _mm256_loadu_ps(b + 5 * (long)ldb),
                       _mm256_loadu_ps(b + 6 * (long)ldb), _mm256_loadu_ps(b + 7 * (long)ldb),
                       panel + k * NR + 8 * half, NR);
        }
    }
    for (; k < kc; k++) {
        for (int j = 0; j < NR; j++) panel[k * NR + j] = B[(long)j * ldb + k];
    }
}

#define MUL_ADD(c, a, b) c = _mm256_add_ps(c, _mm256_mul_ps(a, b))

/* C[4][16] (= or +=) sum_k A(r,k) * panel[k][0..15], A(r,k) = a_r[k * a_step]. */
static inline __attribute__((always_inline)) void kernel_full(
    int kc, const float *a0, const float *a1, const float *a2, const float *a3, int a_step,
    const float *panel, float *c, int ldc, int load_c)
{
    __m256 c00, c01, c10, c11, c20, c21, c30, c31;
    if (load_c) {
        c00 = _mm256_loadu_ps(c), c01 = _mm256_loadu_ps(c + 8);
        c10 = _mm256_loadu_ps(c + ldc), c11 = _mm256_loadu_ps(c + ldc + 8);
        c20 = _mm256_loadu_ps(c + 2 * ldc), c21 = _mm256_loadu_ps(c + 2 * ldc + 8);
        c30 = _mm256_loadu_ps(c + 3 * ldc), c31 = _mm256_loadu_ps(c + 3 * ldc + 8);
    } else {
        c00 = c01 = c10 = c11 = c20 = c21 = c30 = c31 = _mm256_setzero_ps();
    }
    for (int k = 0; k < kc; k++) {
        const __m256 b0 = _mm256_load_ps(panel), b1 = _mm256_load_ps(panel + 8);
        panel += NR;
        __m256 a = _mm256_broadcast_ss(a0);
        MUL_ADD(c00, a, b0);
        MUL_ADD(c01, a, b1);
        a = _mm256_broadcast_ss(a1);
        MUL_ADD(c10, a, b0);
        MUL_ADD(c11, a, b1);
        a = _mm256_broadcast_ss(a2);
        MUL_ADD(c20, a, b0);
        MUL_ADD(c21, a, b1);
        a = _mm256_broadcast_ss(a3);
        MUL_ADD(c30, a, b0);
        MUL_ADD(c31, a, b1);
        a0 += a_step, a1 += a_step, a2 += a_step, a3 += a_step;
    }
    _mm256_storeu_ps(c, c00), _mm256_storeu_ps(c + 8, c01);
    _mm256_storeu_ps(c + ldc, c10), _mm256_storeu_ps(c + ldc + 8, c11);
    _mm256_storeu_ps(c + 2 * ldc, c20), _mm256_storeu_ps(c + 2 * ldc + 8, c21);
    _mm256_storeu_ps(c + 3 * ldc, c30), _mm256_storeu_ps(c + 3 * ldc + 8, c31);
}

/* The left 8 columns of a panel (stride NR): C[4][8]. */
#define GEMM_HALF_KERNEL 1
static inline __attribute__((always_inline)) void kernel_half(
    int kc, const float *a0, const float *a1, const float *a2, const float *a3, int a_step,
    const float *panel, float *c, int ldc, int load_c)
{
    __m256 c0, c1, c2, c3;
    if (load_c) {
        c0 = _mm256_loadu_ps(c), c1 = _mm256_loadu_ps(c + ldc);
        c2 = _mm256_loadu_ps(c + 2 * ldc), c3 = _mm256_loadu_ps(c + 3 * ldc);
    } else {
        c0 = c1 = c2 = c3 = _mm256_setzero_ps();
    }
    for (int k = 0; k < kc; k++) {
        const __m256 b = _mm256_load_ps(panel);
        panel += NR;
        MUL_ADD(c0, _mm256_broadcast_ss(a0), b);
        MUL_ADD(c1, _mm256_broadcast_ss(a1), b);
        MUL_ADD(c2, _mm256_broadcast_ss(a2), b);
        MUL_ADD(c3, _mm256_broadcast_ss(a3), b);
        a0 += a_step, a1 += a_step, a2 += a_step, a3 += a_step;
    }
    _mm256_storeu_ps(c, c0), _mm256_storeu_ps(c + ldc, c1);
    _mm256_storeu_ps(c + 2 * ldc, c2), _mm256_storeu_ps(c + 3 * ldc, c3);
}

#define GEMM_NAME(layout) gemm_##layout##_avx2
#include "gemm_driver.h"

#else
typedef int gemm_avx2_unused; /* ISO C wants a declaration in every file */
#endif /* GEMM_HAVE_AVX2 */
