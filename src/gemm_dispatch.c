/*
 * gemm_dispatch.c - names the build's GEMM kernel, and is the kernel when no
 * faster file is built (GEMM_KERNEL_SCALAR in gemm.h: the scalar wasm build,
 * compilers without vector extensions): gemm_nn/nt/tn forward to the scalar
 * reference. gemm_wasm_simd.c and gemm_portable.c define them otherwise.
 */
#include "gemm.h"

const char *gemm_kernel_name(void)
{
#if defined(GEMM_KERNEL_WASM_SIMD128)
    return "wasm-simd128";
#elif defined(GEMM_KERNEL_PORTABLE_VECTOR)
    return gemm_have_avx2() ? "avx2" : "portable-vector";
#else
    return "scalar";
#endif
}

#ifdef GEMM_KERNEL_SCALAR

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

#endif /* GEMM_KERNEL_SCALAR */
