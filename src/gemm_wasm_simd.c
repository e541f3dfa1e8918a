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

/* panel[k][0..7] = B[k][j0..j0+nr), zero beyond nr. */
static void pack_rows(int kc, int nr, const float *B, int ldb, float *panel)
{
    if (nr == NR) {
        for (int k = 0; k < kc; k++) {
            const float *b = B + (long)k * ldb;
            wasm_v128_store(panel + k * NR, wasm_v128_load(b));
            wasm_v128_store(panel + k * NR + 4, wasm_v128_load(b + 4));
        }
        return;
    }
    for (int k = 0; k < kc; k++) {
        const float *b = B + (long)k * ldb;
        int j = 0;
        for (; j < nr; j++) panel[k * NR + j] = b[j];
        for (; j < NR; j++) panel[k * NR + j] = 0.0f;
    }
}

/* panel[k][jj] = B[jj][k] for jj < nr (B points at row j0, column k0), zero beyond. */
static void pack_transposed(int kc, int nr, const float *B, int ldb, float *panel)
{
    if (nr == NR) {
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
        return;
    }
    for (int k = 0; k < kc; k++) {
        int j = 0;
        for (; j < nr; j++) panel[k * NR + j] = B[(long)j * ldb + k];
        for (; j < NR; j++) panel[k * NR + j] = 0.0f;
    }
}

/* C[4][8] (= or +=) sum_k A(r,k) * panel[k][0..7], where A(r,k) = a_r[k * a_step].
 * load_c: start from C (accumulate, or a later k block) instead of zero. */
static inline __attribute__((always_inline)) void kernel_4x8(
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

/* The shared driver. A(i,k) = A[i*a_row + k*a_step]; the B panel for columns
 * j0.. and rows k0.. comes from pack(kc, nr, B + b_col*j0 + b_k*k0, ldb, panel). */
static void gemm_driver(int M, int N, int K, const float *A, int a_row, int a_step,
                        const float *B, int ldb, int b_col, int b_k, int transposed_b,
                        float *C, int ldc, int accumulate)
{
    if (M <= 0 || N <= 0) return;
    if (K <= 0) {
        if (!accumulate) {
            for (int i = 0; i < M; i++)
                for (int j = 0; j < N; j++) C[(long)i * ldc + j] = 0.0f;
        }
        return;
    }
    float panel[KC * NR] __attribute__((aligned(16)));
    float edge[MR * NR] __attribute__((aligned(16)));
    /* Equal k blocks of at most KC. */
    const int k_blocks = (K + KC - 1) / KC;
    const int kc_max = (K + k_blocks - 1) / k_blocks;

    for (int k0 = 0; k0 < K; k0 += kc_max) {
        const int kc = K - k0 < kc_max ? K - k0 : kc_max;
        const int load_c = accumulate || k0 > 0;
        for (int j0 = 0; j0 < N; j0 += NR) {
            const int nr = N - j0 < NR ? N - j0 : NR;
            const float *b = B + (long)b_col * j0 + (long)b_k * k0;
            if (transposed_b) pack_transposed(kc, nr, b, ldb, panel);
            else pack_rows(kc, nr, b, ldb, panel);
            for (int i0 = 0; i0 < M; i0 += MR) {
                const int mr = M - i0 < MR ? M - i0 : MR;
                const float *a[MR];
                for (int r = 0; r < MR; r++)
                    a[r] = A + (long)(i0 + (r < mr ? r : 0)) * a_row + (long)k0 * a_step;
                float *c = C + (long)i0 * ldc + j0;
                if (mr == MR && nr == NR) {
                    kernel_4x8(kc, a[0], a[1], a[2], a[3], a_step, panel, c, ldc, load_c);
                    continue;
                }
                /* Edge tile: through a full-size stack tile, storing only mr x nr. */
                if (load_c) {
                    for (int r = 0; r < mr; r++)
                        for (int j = 0; j < nr; j++) edge[r * NR + j] = c[(long)r * ldc + j];
                }
                kernel_4x8(kc, a[0], a[1], a[2], a[3], a_step, panel, edge, NR, load_c);
                for (int r = 0; r < mr; r++)
                    for (int j = 0; j < nr; j++) c[(long)r * ldc + j] = edge[r * NR + j];
            }
        }
    }
}

void gemm_nn(int M, int N, int K, const float *A, int lda, const float *B, int ldb,
             float *C, int ldc, int accumulate)
{
    gemm_driver(M, N, K, A, lda, 1, B, ldb, 1, ldb, 0, C, ldc, accumulate);
}

void gemm_nt(int M, int N, int K, const float *A, int lda, const float *B, int ldb,
             float *C, int ldc, int accumulate)
{
    gemm_driver(M, N, K, A, lda, 1, B, ldb, ldb, 1, 1, C, ldc, accumulate);
}

void gemm_tn(int M, int N, int K, const float *A, int lda, const float *B, int ldb,
             float *C, int ldc, int accumulate)
{
    gemm_driver(M, N, K, A, 1, lda, B, ldb, 1, ldb, 0, C, ldc, accumulate);
}

#endif /* GEMM_KERNEL_WASM_SIMD128 */
