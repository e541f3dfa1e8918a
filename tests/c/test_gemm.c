/*
 * test_gemm.c - the GEMM kernels of this build against
 *   (1) a double-precision triple loop, within a rounding bound, and
 *   (2) the summation order of gemm.h, bit for bit,
 * for all three layouts at awkward sizes (1, around the SIMD tile of 4x8 and
 * the k block of 256, non-multiples, a paper shape), with row strides larger
 * than the minimum, accumulate on and off, C pre-filled with NaN when not
 * accumulating, and padding that must stay untouched. Also: splitting C by
 * rows or columns (the threading scheme in gemm.h) gives the same bits.
 */
#include "gemm.h"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"

enum layout { NN, NT, TN };
static const char *layout_name[] = {"nn", "nt", "tn"};
/* The kernel sets under test: the dispatched one (this build's choice on this
 * CPU), and natively each of the native kernels by name (gemm.h). */
typedef struct kernel_set {
    const char *name;
    gemm_fn *fn[3];
} kernel_set;
static const kernel_set kernel_sets[] = {
    {"dispatched", {gemm_nn, gemm_nt, gemm_tn}},
#ifdef GEMM_KERNEL_PORTABLE_VECTOR
    {"portable", {gemm_nn_portable, gemm_nt_portable, gemm_tn_portable}},
#endif
#ifdef GEMM_HAVE_AVX2
    {"avx2", {gemm_nn_avx2, gemm_nt_avx2, gemm_tn_avx2}},
#endif
};
static gemm_fn *const *dispatched = kernel_sets[0].fn;
static gemm_fn *const reference[] = {gemm_nn_scalar, gemm_nt_scalar, gemm_tn_scalar};

static uint32_t rng_state = 2463534242u;
static float uniform(void) /* in [-1, 1) */
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return (float)((double)rng_state / 2147483648.0 - 1.0);
}

static float a_at(enum layout l, const float *A, int lda, int i, int k)
{
    return l == TN ? A[(size_t)k * lda + i] : A[(size_t)i * lda + k];
}
static float b_at(enum layout l, const float *B, int ldb, int k, int j)
{
    return l == NT ? B[(size_t)j * ldb + k] : B[(size_t)k * ldb + j];
}

static const float PAD = 12345.0f; /* in strides' padding: must never be written or read into C */

/* One case: returns nothing, counts test_failures. */
static void run_case(enum layout l, int M, int N, int K, int pad, int accumulate)
{
    const int a_rows = l == TN ? K : M, a_cols = l == TN ? M : K;
    const int b_rows = l == NT ? N : K, b_cols = l == NT ? K : N;
    const int lda = a_cols + pad, ldb = b_cols + pad, ldc = N + pad;
    const size_t a_len = (size_t)a_rows * lda + 1, b_len = (size_t)b_rows * ldb + 1;
    const size_t c_len = (size_t)M * ldc + 1;
    float *A = malloc(a_len * sizeof *A), *B = malloc(b_len * sizeof *B);
    float *C = malloc(c_len * sizeof *C), *C0 = malloc(c_len * sizeof *C0);
    float *C_ref = malloc(c_len * sizeof *C_ref);
    if (!A || !B || !C || !C0 || !C_ref) {
        CHECK(0, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < a_len; i++) A[i] = uniform();
    for (size_t i = 0; i < b_len; i++) B[i] = uniform();
    /* Padding of A and B holds a value that would show up if read. */
    for (int r = 0; r < a_rows; r++)
        for (int c = a_cols; c < lda; c++) A[(size_t)r * lda + c] = PAD;
    for (int r = 0; r < b_rows; r++)
        for (int c = b_cols; c < ldb; c++) B[(size_t)r * ldb + c] = PAD;
    for (int i = 0; i < M; i++)
        for (int j = 0; j < ldc; j++)
            C0[(size_t)i * ldc + j] = j >= N ? PAD : accumulate ? uniform() : NAN;
    C0[c_len - 1] = PAD;

    memcpy(C, C0, c_len * sizeof *C);
    dispatched[l](M, N, K, A, lda, B, ldb, C, ldc, accumulate);
    memcpy(C_ref, C0, c_len * sizeof *C);
    reference[l](M, N, K, A, lda, B, ldb, C_ref, ldc, accumulate);

    for (int i = 0; i < M; i++) {
        for (int j = 0; j < ldc; j++) {
            const size_t at = (size_t)i * ldc + j;
            if (j >= N) {
                CHECK(C[at] == PAD && C_ref[at] == PAD, "%s %dx%dx%d: padding C[%d][%d] written",
                      layout_name[l], M, N, K, i, j);
                continue;
            }
            /* The contract's order, in float: must match bit for bit. */
            float spec = accumulate ? C0[at] : 0.0f;
            double exact = accumulate ? C0[at] : 0.0, magnitude = fabs(exact);
            for (int k = 0; k < K; k++) {
                const float product = a_at(l, A, lda, i, k) * b_at(l, B, ldb, k, j);
                spec = spec + product;
                exact += (double)a_at(l, A, lda, i, k) * b_at(l, B, ldb, k, j);
                magnitude += fabs((double)a_at(l, A, lda, i, k) * b_at(l, B, ldb, k, j));
            }
            const double bound = 2.0 * (K + 1) * FLT_EPSILON * magnitude + 1e-30;
            CHECK(fabs((double)C_ref[at] - exact) <= bound,
                  "%s %dx%dx%d acc=%d: scalar C[%d][%d] = %.9g, exact %.9g (bound %.3g)",
                  layout_name[l], M, N, K, accumulate, i, j, C_ref[at], exact, bound);
            CHECK(memcmp(&C_ref[at], &spec, sizeof spec) == 0,
                  "%s %dx%dx%d acc=%d: scalar C[%d][%d] = %.9g, not the gemm.h order %.9g",
                  layout_name[l], M, N, K, accumulate, i, j, C_ref[at], spec);
            CHECK(memcmp(&C[at], &spec, sizeof spec) == 0,
                  "%s %dx%dx%d acc=%d: gemm_%s C[%d][%d] = %.9g, not the gemm.h order %.9g",
                  layout_name[l], M, N, K, accumulate, layout_name[l], i, j, C[at], spec);
        }
    }
    CHECK(C[c_len - 1] == PAD, "%s %dx%dx%d: wrote past C", layout_name[l], M, N, K);
done:
    free(A);
    free(B);
    free(C);
    free(C0);
    free(C_ref);
}

/* Splitting C into row or column ranges by pointer offsets (gemm.h) gives the
 * same bits as one call. */
static void run_partition(enum layout l, int M, int N, int K)
{
    const int a_cols = l == TN ? M : K, b_cols = l == NT ? K : N;
    const int a_rows = l == TN ? K : M, b_rows = l == NT ? N : K;
    float *A = malloc((size_t)a_rows * a_cols * sizeof *A);
    float *B = malloc((size_t)b_rows * b_cols * sizeof *B);
    float *whole = malloc((size_t)M * N * sizeof *whole);
    float *split = malloc((size_t)M * N * sizeof *split);
    if (!A || !B || !whole || !split) {
        CHECK(0, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < (size_t)a_rows * a_cols; i++) A[i] = uniform();
    for (size_t i = 0; i < (size_t)b_rows * b_cols; i++) B[i] = uniform();
    dispatched[l](M, N, K, A, a_cols, B, b_cols, whole, N, 0);

    const int row_cuts[] = {0, 3, M / 2 + 1, M};
    for (int part = 0; part < 3; part++) {
        const int i0 = row_cuts[part], rows = row_cuts[part + 1] - i0;
        const float *a = l == TN ? A + i0 : A + (size_t)i0 * a_cols;
        dispatched[l](rows, N, K, a, a_cols, B, b_cols, split + (size_t)i0 * N, N, 0);
    }
    CHECK(memcmp(whole, split, (size_t)M * N * sizeof *whole) == 0,
          "%s %dx%dx%d: row split differs", layout_name[l], M, N, K);

    const int col_cuts[] = {0, 5, N / 2 + 3, N};
    for (int part = 0; part < 3; part++) {
        const int j0 = col_cuts[part], cols = col_cuts[part + 1] - j0;
        const float *b = l == NT ? B + (size_t)j0 * b_cols : B + j0;
        dispatched[l](M, cols, K, A, a_cols, b, b_cols, split + j0, N, 0);
    }
    CHECK(memcmp(whole, split, (size_t)M * N * sizeof *whole) == 0,
          "%s %dx%dx%d: column split differs", layout_name[l], M, N, K);
done:
    free(A);
    free(B);
    free(whole);
    free(split);
}

int main(void)
{
    /* Around the 4x8 tile and the 256 k block of the SIMD kernel, and the
     * 4x16 tile of the AVX2 one. */
    static const int ms[] = {1, 3, 4, 5, 8, 13};
    static const int ns[] = {1, 7, 8, 9, 15, 16, 17, 24, 33};
    static const int ks[] = {1, 5, 255, 256, 257};
    int cases = 0;
    for (size_t set = 0; set < sizeof kernel_sets / sizeof *kernel_sets; set++) {
#ifdef GEMM_HAVE_AVX2
        if (kernel_sets[set].fn[0] == gemm_nn_avx2 && !__builtin_cpu_supports("avx2")) {
            printf("test_gemm: no AVX2 on this CPU, avx2 kernels not tested\n");
            continue;
        }
#endif
        dispatched = kernel_sets[set].fn;
        const int failures_before = test_failures;
        for (int l = NN; l <= TN; l++) {
            for (size_t a = 0; a < sizeof ms / sizeof *ms; a++)
                for (size_t b = 0; b < sizeof ns / sizeof *ns; b++)
                    for (size_t c = 0; c < sizeof ks / sizeof *ks; c++)
                        for (int accumulate = 0; accumulate <= 1; accumulate++) {
                            run_case((enum layout)l, ms[a], ns[b], ks[c], (int)(a + b + c) % 3 * 2,
                                     accumulate);
                            cases++;
                        }
            /* K = 0: C becomes 0 or stays. */
            run_case((enum layout)l, 5, 9, 0, 1, 0);
            run_case((enum layout)l, 5, 9, 0, 1, 1);
            /* Paper-sized: batch 100 against 1200 units. */
            run_case((enum layout)l, 100, 1200, 1200, 0, 0);
            run_case((enum layout)l, 100, 1201, 301, 3, 1);
            run_partition((enum layout)l, 37, 43, 300);
            cases += 5;
        }
        printf("test_gemm: %s kernels (%s): %s\n", kernel_sets[set].name, gemm_kernel_name(),
               test_failures == failures_before ? "pass" : "FAIL");
    }
    if (test_failures) {
        fprintf(stderr, "test_gemm: %d check(s) failed\n", test_failures);
        return 1;
    }
    printf("test_gemm: %d cases passed\n", cases);
    return 0;
}
