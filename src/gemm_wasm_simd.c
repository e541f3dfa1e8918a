/*
 * gemm_wasm_simd.c - GEMM with WebAssembly SIMD128 (f32x4 mul + add, no FMA).
 * Compiled only into the SIMD wasm build (-msimd128); defines the dispatching
 * gemm_nn/gemm_nt/gemm_tn there (GEMM_KERNEL_WASM_SIMD128 in gemm.h).
 *
 * One microkernel serves all three layouts: a 4x8 block of C held in eight
 * f32x4 accumulators, updated per k by two vectors of a packed B panel times
 * four broadcast elements of A. What differs per layout is only how A is
 * walked and how the B panel is packed:
 *
 *   nn: A(i,k) = A[i*lda + k]  (rows 4 pointers, step 1 per k);   panel = B rows
 *   tn: A(i,k) = A[k*lda + i]  (4 adjacent columns, step lda);     panel = B rows
 *   nt: A(i,k) = A[i*lda + k];  panel = 8 rows of B transposed (4x4 shuffles)
 *
 * The panel is KC x 8 floats on the stack (8 KiB), so calls keep no state and
 * concurrent calls on disjoint parts of C are safe (see gemm.h). Edges: a
 * partial panel is zero-padded and a partial C tile goes through a stack tile;
 * missing rows repeat row 0 of the tile and are not stored. Every C element is
 * still the sequential sum of gemm.h, so the results equal the scalar
 * reference bit for bit.
 */
#include "gemm.h"

#ifdef GEMM_KERNEL_WASM_SIMD128
#include <wasm_simd128.h>

enum { MR = 4, NR = 8, KC = 256 };

/* panel[k][0..7] = B[k][0..8). */
static void pack_rows_full(int kc, const float *B, int ldb, float *panel)
{
    for (int k = 0; k < kc; k++) {
        const float *b = B + (long)k * ldb;
        wasm_v128_store(panel + k * NR, wasm_v128_load(b));
        wasm_v128_store(panel + k * NR + 4, wasm_v128_load(b + 4));
    }
}

/* panel[k][j] = B[j][k] for j < 8: 4x4 shuffles, a scalar tail for kc % 4. */
static void pack_transposed_full(int kc, const float *B, int ldb, float *panel)
{
    int k = 0;
    for (; k + 4 <= kc; k += 4) {
        for (int half = 0; half < 2; half++) {
            const float *b = B + (long)(4 * half) * ldb + k;
            v128_t r0 = wasm_v128_load(b);
            v128_t r1 = wasm_v128_load(b + ldb);
            v128_t r2 = wasm_v128_load(b + 2 * (long)ldb);
            v128_t r3 = wasm_v128_load(b + 3 * (long)ldb);
            /* 4x4 transpose: t0 = r0[0] r1[0] r0[1] r1[1], ... */
            v128_t t0 = wasm_i32x4_shuffle(r0, r1, 0, 4, 1, 5);
            v128_t t1 = wasm_i32x4_shuffle(r2, r3, 0, 4, 1, 5);
            v128_t t2 = wasm_i32x4_shuffle(r0, r1, 2, 6, 3, 7);
            v128_t t3 = wasm_i32x4_shuffle(r2, r3, 2, 6, 3, 7);
            float *p = panel + k * NR + 4 * half;
            wasm_v128_store(p, wasm_i64x2_shuffle(t0, t1, 0, 2));
            wasm_v128_store(p + NR, wasm_i64x2_shuffle(t0, t1, 1, 3));
            wasm_v128_store(p + 2 * NR, wasm_i64x2_shuffle(t2, t3, 0, 2));
            wasm_v128_store(p + 3 * NR, wasm_i64x2_shuffle(t2, t3, 1, 3));
        }
    }
    for (; k < kc; k++) {
        for (int j = 0; j < NR; j++) panel[k * NR + j] = B[(long)j * ldb + k];
    }
}

/* C[4][8] (= or +=) sum_k A(r,k) * panel[k][0..7], where A(r,k) = a_r[k * a_step].
 * load_c: start from C (accumulate, or a later k block) instead of zero. */
static inline __attribute__((always_inline)) void kernel_full(
    int kc, const float *a0, const float *a1, const float *a2, const float *a3, int a_step,
    const float *panel, float *c, int ldc, int load_c)
{
    v128_t c00, c01, c10, c11, c20, c21, c30, c31;
    if (load_c) {
        c00 = wasm_v128_load(c);
        c01 = wasm_v128_load(c + 4);
        c10 = wasm_v128_load(c + ldc);
        c11 = wasm_v128_load(c + ldc + 4);
        c20 = wasm_v128_load(c + 2 * ldc);
        c21 = wasm_v128_load(c + 2 * ldc + 4);
        c30 = wasm_v128_load(c + 3 * ldc);
        c31 = wasm_v128_load(c + 3 * ldc + 4);
    } else {
        c00 = c01 = c10 = c11 = c20 = c21 = c30 = c31 = wasm_f32x4_splat(0.0f);
    }
    for (int k = 0; k < kc; k++) {
        const v128_t b0 = wasm_v128_load(panel);
        const v128_t b1 = wasm_v128_load(panel + 4);
        panel += NR;
        v128_t a = wasm_v128_load32_splat(a0);
        c00 = wasm_f32x4_add(c00, wasm_f32x4_mul(a, b0));
        c01 = wasm_f32x4_add(c01, wasm_f32x4_mul(a, b1));
        a = wasm_v128_load32_splat(a1);
        c10 = wasm_f32x4_add(c10, wasm_f32x4_mul(a, b0));
        c11 = wasm_f32x4_add(c11, wasm_f32x4_mul(a, b1));
        a = wasm_v128_load32_splat(a2);
        c20 = wasm_f32x4_add(c20, wasm_f32x4_mul(a, b0));
        c21 = wasm_f32x4_add(c21, wasm_f32x4_mul(a, b1));
        a = wasm_v128_load32_splat(a3);
        c30 = wasm_f32x4_add(c30, wasm_f32x4_mul(a, b0));
        c31 = wasm_f32x4_add(c31, wasm_f32x4_mul(a, b1));
        a0 += a_step;
        a1 += a_step;
        a2 += a_step;
        a3 += a_step;
    }
    wasm_v128_store(c, c00);
    wasm_v128_store(c + 4, c01);
    wasm_v128_store(c + ldc, c10);
    wasm_v128_store(c + ldc + 4, c11);
    wasm_v128_store(c + 2 * ldc, c20);
    wasm_v128_store(c + 2 * ldc + 4, c21);
    wasm_v128_store(c + 3 * ldc, c30);
    wasm_v128_store(c + 3 * ldc + 4, c31);
}

/* The dispatching entry points themselves: this build has no other kernel. */
#define GEMM_NAME(layout) gemm_##layout
#include "gemm_driver.h"

#endif /* GEMM_KERNEL_WASM_SIMD128 */
