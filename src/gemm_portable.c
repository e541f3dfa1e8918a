/*
 * gemm_portable.c - the native builds' GEMM: the same 4x8 register-blocked
 * scheme as gemm_wasm_simd.c, written with GCC/Clang vector extensions so it
 * compiles to SSE2 on x86-64, NEON on arm64, or plain scalar code elsewhere.
 * About three times the scalar reference natively (bench/gan_bench.c). On
 * x86-64 CPUs with AVX2, gemm_nn/nt/tn call gemm_avx2.c's kernels instead.
 *
 * Built only for native GNU C compilers (see GEMM_KERNEL_* in gemm.h); wasm
 * builds use gemm_wasm_simd.c or the scalar reference instead.
 *
 * Each C element is the sequential sum of gemm.h (vectors run across columns,
 * never across k), so the results equal the scalar reference bit for bit. The
 * only requirement is that a*b + c is not fused: CMake compiles as ISO C11, for
 * which GCC does not contract, and the pragma below stops Clang doing it.
 */
#include "gemm.h"

#ifdef GEMM_KERNEL_PORTABLE_VECTOR
#ifdef __clang__
#pragma STDC FP_CONTRACT OFF
#endif

#include <stdlib.h>
#include <string.h>

enum { MR = 4, NR = 8, KC = 256 };

typedef float f32x4 __attribute__((vector_size(16)));

static inline f32x4 load4(const float *p)
{
    f32x4 v;
    memcpy(&v, p, sizeof v);
    return v;
}

static inline void store4(float *p, f32x4 v)
{
    memcpy(p, &v, sizeof v);
}

/* panel[k][0..7] = B[k][0..nr), zero beyond nr. */
static void pack_rows(int kc, int nr, const float *B, int ldb, float *panel)
{
    for (int k = 0; k < kc; k++) {
        const float *b = B + (long)k * ldb;
        int j = 0;
        for (; j < nr; j++) panel[k * NR + j] = b[j];
        for (; j < NR; j++) panel[k * NR + j] = 0.0f;
    }
}

/* panel[k][j] = B[j][k] for j < nr, zero beyond. */
static void pack_transposed(int kc, int nr, const float *B, int ldb, float *panel)
{
    for (int j = 0; j < NR; j++) {
        const float *b = B + (long)j * ldb;
        if (j < nr) {
            for (int k = 0; k < kc; k++) panel[k * NR + j] = b[k];
        } else {
            for (int k = 0; k < kc; k++) panel[k * NR + j] = 0.0f;
        }
    }
}

/* C[4][8] (= or +=) sum_k A(r,k) * panel[k][0..7], A(r,k) = a_r[k * a_step]. */
static inline void kernel_4x8(int kc, const float *a0, const float *a1, const float *a2,
                              const float *a3, int a_step, const float *panel, float *c, int ldc,
                              int load_c)
{
    f32x4 c00, c01, c10, c11, c20, c21, c30, c31;
    if (load_c) {
        c00 = load4(c), c01 = load4(c + 4);
        c10 = load4(c + ldc), c11 = load4(c + ldc + 4);
        c20 = load4(c + 2 * ldc), c21 = load4(c + 2 * ldc + 4);
        c30 = load4(c + 3 * ldc), c31 = load4(c + 3 * ldc + 4);
    } else {
        const f32x4 zero = {0.0f, 0.0f, 0.0f, 0.0f};
        c00 = c01 = c10 = c11 = c20 = c21 = c30 = c31 = zero;
    }
    for (int k = 0; k < kc; k++) {
        const f32x4 b0 = load4(panel), b1 = load4(panel + 4);
        f32x4 x;
        x = (f32x4){*a0, *a0, *a0, *a0};
        c00 += x * b0;
        c01 += x * b1;
        x = (f32x4){*a1, *a1, *a1, *a1};
        c10 += x * b0;
        c11 += x * b1;
        x = (f32x4){*a2, *a2, *a2, *a2};
        c20 += x * b0;
        c21 += x * b1;
        x = (f32x4){*a3, *a3, *a3, *a3};
        c30 += x * b0;
        c31 += x * b1;
        panel += NR;
        a0 += a_step, a1 += a_step, a2 += a_step, a3 += a_step;
    }
    store4(c, c00), store4(c + 4, c01);
    store4(c + ldc, c10), store4(c + ldc + 4, c11);
    store4(c + 2 * ldc, c20), store4(c + 2 * ldc + 4, c21);
    store4(c + 3 * ldc, c30), store4(c + 3 * ldc + 4, c31);
}

/* The same driver as gemm_wasm_simd.c: k blocks of at most KC, a packed 8-column
 * panel of B on the stack, 4-row tiles of A; edges through a stack tile. */
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
    float panel[KC * NR];
    float edge[MR * NR] = {0};
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

void gemm_nn_portable(int M, int N, int K, const float *A, int lda, const float *B, int ldb,
                      float *C, int ldc, int accumulate)
{
    gemm_driver(M, N, K, A, lda, 1, B, ldb, 1, ldb, 0, C, ldc, accumulate);
}

void gemm_nt_portable(int M, int N, int K, const float *A, int lda, const float *B, int ldb,
                      float *C, int ldc, int accumulate)
{
    gemm_driver(M, N, K, A, lda, 1, B, ldb, ldb, 1, 1, C, ldc, accumulate);
}

void gemm_tn_portable(int M, int N, int K, const float *A, int lda, const float *B, int ldb,
                      float *C, int ldc, int accumulate)
{
    gemm_driver(M, N, K, A, 1, lda, B, ldb, 1, ldb, 0, C, ldc, accumulate);
}

/* Run-time choice: AVX2 when the CPU has it, unless GAN_GEMM=portable (to
 * time or test the fallback on the same machine). Every kernel gives the
 * same bits, so the choice, even one made differently by two threads, never
 * changes a result. Asked once; the answer is cached (a benign race: every
 * thread computes the same value). */
int gemm_have_avx2(void)
{
#ifdef GEMM_HAVE_AVX2
    static int cached = -1;
    if (cached < 0) {
        const char *forced = getenv("GAN_GEMM");
        __builtin_cpu_init();
        cached = __builtin_cpu_supports("avx2") && !(forced && strcmp(forced, "portable") == 0);
    }
    return cached;
#else
    return 0;
#endif
}

void gemm_nn(int M, int N, int K, const float *A, int lda, const float *B, int ldb,
             float *C, int ldc, int accumulate)
{
#ifdef GEMM_HAVE_AVX2
    if (gemm_have_avx2()) {
        gemm_nn_avx2(M, N, K, A, lda, B, ldb, C, ldc, accumulate);
        return;
    }
#endif
    gemm_nn_portable(M, N, K, A, lda, B, ldb, C, ldc, accumulate);
}

void gemm_nt(int M, int N, int K, const float *A, int lda, const float *B, int ldb,
             float *C, int ldc, int accumulate)
{
#ifdef GEMM_HAVE_AVX2
    if (gemm_have_avx2()) {
        gemm_nt_avx2(M, N, K, A, lda, B, ldb, C, ldc, accumulate);
        return;
    }
#endif
    gemm_nt_portable(M, N, K, A, lda, B, ldb, C, ldc, accumulate);
}

void gemm_tn(int M, int N, int K, const float *A, int lda, const float *B, int ldb,
             float *C, int ldc, int accumulate)
{
#ifdef GEMM_HAVE_AVX2
    if (gemm_have_avx2()) {
        gemm_tn_avx2(M, N, K, A, lda, B, ldb, C, ldc, accumulate);
        return;
    }
#endif
    gemm_tn_portable(M, N, K, A, lda, B, ldb, C, ldc, accumulate);
}

#else
typedef int gemm_portable_unused; /* ISO C wants a declaration in every file */
#endif /* GEMM_KERNEL_PORTABLE_VECTOR */
