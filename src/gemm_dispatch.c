/*
 * gemm_dispatch.c - the build's GEMM when there is no SIMD kernel file.
 *
 * The wasm SIMD128 build compiles src/gemm_wasm_simd.c with -msimd128, and that
 * file defines gemm_nn/gemm_nt/gemm_tn itself. Every other build (native, scalar
 * wasm) gets them here, forwarding to the scalar reference.
 */
#include "gemm.h"

#ifndef __wasm_simd128__

void gemm_nn(int M, int N, int K, const float *A, int lda, const float *B, int ldb,
             float *C, int ldc, int accumulate)
{
    gemm_nn_scalar(M, N, K, A, lda, B, ldb, C, ldc, accumulate);
}

void gemm_nt(int M, int N, int K, const float *A, int lda, const float *B, int ldb,
             float *C, int ldc, int accumulate)
{
    gemm_nt_scalar(M, N, K, A, lda, B, ldb, C, ldc, accumulate);
}

void gemm_tn(int M, int N, int K, const float *A, int lda, const float *B, int ldb,
             float *C, int ldc, int accumulate)
{
    gemm_tn_scalar(M, N, K, A, lda, B, ldb, C, ldc, accumulate);
}

#else
/* ISO C wants at least one declaration in a translation unit. */
typedef int gemm_dispatch_unused;
#endif
