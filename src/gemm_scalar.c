/*
 * gemm_scalar.c - the reference GEMM: the specification every faster kernel
 * must reproduce, and the kernel of the native and scalar-wasm builds.
 *
 * The summation order is part of the contract (see gemm.h): every C element is
 *
 *     c = (accumulate ? C_old : 0.0f);
 *     for k = 0 .. K-1:  c = c + A(i,k) * B(k,j);   (float multiply, then float add)
 *
 * The loops below are ordered for memory access (i-k-j, so the innermost loop
 * runs along a row of B and of C) but that never changes the order in which one
 * element's terms are added. No FMA: the product is rounded before the add, as
 * wasm f32 arithmetic does, so this matches the SIMD128 kernels bit for bit.
 */
#include "gemm.h"

/* Clang fuses a*b + c within one expression by default on targets with FMA
 * (arm64); the order above needs the product rounded first. GCC does not
 * contract in ISO C mode and would warn about the unknown pragma. */
#ifdef __clang__
#pragma STDC FP_CONTRACT OFF
#endif

/* C[M][N] (+)= A[M][K] * B[K][N] */
void gemm_nn_scalar(int M, int N, int K, const float *A, int lda, const float *B, int ldb,
                    float *C, int ldc, int accumulate)
{
    for (int i = 0; i < M; i++) {
        float *c = C + (long)i * ldc;
        const float *a = A + (long)i * lda;
        if (!accumulate) {
            for (int j = 0; j < N; j++) c[j] = 0.0f;
        }
        for (int k = 0; k < K; k++) {
            const float a_ik = a[k];
            const float *b = B + (long)k * ldb;
            for (int j = 0; j < N; j++) c[j] += a_ik * b[j];
        }
    }
}

/* C[M][N] (+)= A[M][K] * B[N][K]^T. Each element is a dot product of two rows;
 * four columns at a time give four independent addition chains. */
void gemm_nt_scalar(int M, int N, int K, const float *A, int lda, const float *B, int ldb,
                    float *C, int ldc, int accumulate)
{
    for (int i = 0; i < M; i++) {
        const float *a = A + (long)i * lda;
        float *c = C + (long)i * ldc;
        int j = 0;
        for (; j + 4 <= N; j += 4) {
            const float *b0 = B + (long)j * ldb;
            const float *b1 = b0 + ldb, *b2 = b1 + ldb, *b3 = b2 + ldb;
            float c0 = 0.0f, c1 = 0.0f, c2 = 0.0f, c3 = 0.0f;
            if (accumulate) {
                c0 = c[j];
                c1 = c[j + 1];
                c2 = c[j + 2];
                c3 = c[j + 3];
            }
            for (int k = 0; k < K; k++) {
                const float a_ik = a[k];
                c0 += a_ik * b0[k];
                c1 += a_ik * b1[k];
                c2 += a_ik * b2[k];
                c3 += a_ik * b3[k];
            }
            c[j] = c0;
            c[j + 1] = c1;
            c[j + 2] = c2;
            c[j + 3] = c3;
        }
        for (; j < N; j++) {
            const float *b = B + (long)j * ldb;
            float sum = accumulate ? c[j] : 0.0f;
            for (int k = 0; k < K; k++) sum += a[k] * b[k];
            c[j] = sum;
        }
    }
}

/* C[M][N] (+)= A[K][M]^T * B[K][N]. Row i of C reads column i of A (strided)
 * and all of B, which stays in cache for the usual K = batch size. */
void gemm_tn_scalar(int M, int N, int K, const float *A, int lda, const float *B, int ldb,
                    float *C, int ldc, int accumulate)
{
    for (int i = 0; i < M; i++) {
        float *c = C + (long)i * ldc;
        if (!accumulate) {
            for (int j = 0; j < N; j++) c[j] = 0.0f;
        }
        for (int k = 0; k < K; k++) {
            const float a_ki = A[(long)k * lda + i];
            const float *b = B + (long)k * ldb;
            for (int j = 0; j < N; j++) c[j] += a_ki * b[j];
        }
    }
}
