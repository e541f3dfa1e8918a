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

/* panel[k][0..7] = B[k][0..8). */
static void pack_rows_full(int kc, const float *B, int ldb, float *panel)
{
    for (int k = 0; k < kc; k++) {
        const float *b = B + (long)k * ldb;
        for (int j = 0; j < NR; j++) panel[k * NR + j] = b[j];
    }
}

/* panel[k][j] = B[j][k] for j < 8. */
static void pack_transposed_full(int kc, const float *B, int ldb, float *panel)
{
    for (int j = 0; j < NR; j++) {
        const float *b = B + (long)j * ldb;
        for (int k = 0; k < kc; k++) panel[k * NR + j] = b[k];
    }
}

/* C[4][8] (= or +=) sum_k A(r,k) * panel[k][0..7], A(r,k) = a_r[k * a_step].
 * Row r's two vectors are acc[r][0..1]; the loops over r have a constant
 * trip count and unroll, so the accumulators stay in registers. */
static inline void kernel_full(int kc, const float *a0, const float *a1, const float *a2,
                               const float *a3, int a_step, const float *panel, float *c, int ldc,
                               int load_c)
{
    const float *a[MR] = {a0, a1, a2, a3};
    f32x4 acc[MR][2];
    for (int r = 0; r < MR; r++) {
        const f32x4 zero = {0.0f, 0.0f, 0.0f, 0.0f};
        acc[r][0] = load_c ? load4(c + r * ldc) : zero;
        acc[r][1] = load_c ? load4(c + r * ldc + 4) : zero;
    }
    for (int k = 0; k < kc; k++) {
        const f32x4 b0 = load4(panel), b1 = load4(panel + 4);
        for (int r = 0; r < MR; r++) {
            const f32x4 x = {*a[r], *a[r], *a[r], *a[r]};
            acc[r][0] += x * b0;
            acc[r][1] += x * b1;
            a[r] += a_step;
        }
        panel += NR;
    }
    for (int r = 0; r < MR; r++) store4(c + r * ldc, acc[r][0]), store4(c + r * ldc + 4, acc[r][1]);
}

#define GEMM_NAME(layout) gemm_##layout##_portable
#include "gemm_driver.h"

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

#ifdef GEMM_HAVE_AVX2
#define CHOSEN(layout) (gemm_have_avx2() ? gemm_##layout##_avx2 : gemm_##layout##_portable)
#else
#define CHOSEN(layout) gemm_##layout##_portable
#endif

void gemm_nn(int M, int N, int K, const float *A, int lda, const float *B, int ldb,
             float *C, int ldc, int accumulate)
{
    CHOSEN(nn)(M, N, K, A, lda, B, ldb, C, ldc, accumulate);
}

void gemm_nt(int M, int N, int K, const float *A, int lda, const float *B, int ldb,
             float *C, int ldc, int accumulate)
{
    CHOSEN(nt)(M, N, K, A, lda, B, ldb, C, ldc, accumulate);
}

void gemm_tn(int M, int N, int K, const float *A, int lda, const float *B, int ldb,
             float *C, int ldc, int accumulate)
{
    CHOSEN(tn)(M, N, K, A, lda, B, ldb, C, ldc, accumulate);
}

#else
typedef int gemm_portable_unused; /* ISO C wants a declaration in every file */
#endif /* GEMM_KERNEL_PORTABLE_VECTOR */
