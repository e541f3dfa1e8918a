/*
 * gemm.h - the three matrix products the forward and backward passes need.
 * Internal to the core. Row-major float32, no aliasing between C and A/B.
 *
 *   gemm_nn: C[M][N] (+)= A[M][K]   * B[K][N]    forward:  Y = X W
 *   gemm_nt: C[M][N] (+)= A[M][K]   * B[N][K]^T  backward: dX = dY W^T
 *   gemm_tn: C[M][N] (+)= A[K][M]^T * B[K][N]    backward: dW = X^T dY
 *
 * accumulate == 0 overwrites C without reading it (C may hold NaN);
 * accumulate != 0 adds to it. lda/ldb/ldc are row strides in floats.
 *
 * Determinism: each C element is a sum over k in a fixed order that depends
 * only on (M, N, K) and the build, never on how work is split across threads.
 *
 * The dispatching entry points below pick the build's kernel: the wasm SIMD128
 * file when compiled with -msimd128, else the scalar reference. The scalar
 * reference is always available under its own name, for tests and fallback.
 */
#ifndef GAN_GEMM_H
#define GAN_GEMM_H

void gemm_nn(int M, int N, int K, const float *A, int lda, const float *B, int ldb,
             float *C, int ldc, int accumulate);
void gemm_nt(int M, int N, int K, const float *A, int lda, const float *B, int ldb,
             float *C, int ldc, int accumulate);
void gemm_tn(int M, int N, int K, const float *A, int lda, const float *B, int ldb,
             float *C, int ldc, int accumulate);

/* Scalar reference: the specification. */
void gemm_nn_scalar(int M, int N, int K, const float *A, int lda, const float *B, int ldb,
                    float *C, int ldc, int accumulate);
void gemm_nt_scalar(int M, int N, int K, const float *A, int lda, const float *B, int ldb,
                    float *C, int ldc, int accumulate);
void gemm_tn_scalar(int M, int N, int K, const float *A, int lda, const float *B, int ldb,
                    float *C, int ldc, int accumulate);

#endif /* GAN_GEMM_H */
