/* Placeholder until the SIMD128 kernels land: forwards to the scalar reference. */
#include "gemm.h"

#ifdef __wasm_simd128__
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
#endif
