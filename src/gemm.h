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
 * Determinism: every kernel, scalar or SIMD, computes each C element as
 *
 *     c = accumulate ? C_old : 0.0f;
 *     for (k = 0; k < K; k++) c = c + A(i,k) * B(k,j);  (float mul, then float add)
 *
 * so the result depends only on that element's row of A, column of B and K:
 * all kernels give the same bits (wasm has no FMA; native builds compile
 * without contraction). The order never depends on M, N or tiling, so work
 * splits across threads by plain pointer offsets with bit-identical results:
 *   rows i0..i1:    nn/nt: A + i0*lda, C + i0*ldc, M = i1-i0;
 *                   tn:    A + i0,     C + i0*ldc, M = i1-i0;
 *   columns j0..j1: nn/tn: B + j0,     C + j0,     N = j1-j0;
 *                   nt:    B + j0*ldb, C + j0,     N = j1-j0.
 * The kernels keep no state between calls (packing uses a stack tile), so
 * concurrent calls on disjoint parts of C are safe. Prefer column splits at
 * multiples of 8 when M is the batch (nn, nt): each part then packs only its
 * own panels of B and keeps whole 4x8 tiles.
 *
 * The dispatching entry points below pick the build's kernel at compile time:
 *   GEMM_KERNEL_WASM_SIMD128    gemm_wasm_simd.c  (wasm compiled with -msimd128)
 *   GEMM_KERNEL_PORTABLE_VECTOR gemm_portable.c   (native GCC/Clang: SSE2, NEON...;
 *                               on x86-64 with AVX2 it calls gemm_avx2.c)
 *   GEMM_KERNEL_SCALAR          gemm_dispatch.c forwards to the reference
 *                               (the scalar wasm build, other compilers)
 * The three vector kernels share one driver (gemm_driver.h: k blocks, packed
 * panels of B, edge tiles) and differ only in their micro-kernels.
 * The scalar reference is always available under its own name, for tests and
 * fallback.
 */
#ifndef GAN_GEMM_H
#define GAN_GEMM_H

#if defined(__wasm_simd128__)
#define GEMM_KERNEL_WASM_SIMD128 1
#elif !defined(__wasm__) && (defined(__GNUC__) || defined(__clang__))
#define GEMM_KERNEL_PORTABLE_VECTOR 1
#if defined(__x86_64__)
/* gemm_avx2.c: 8-float vectors without FMA, picked at run time when the CPU
 * has AVX2 (gemm_portable.c dispatches; portable vectors otherwise). */
#define GEMM_HAVE_AVX2 1
#endif
#else
#define GEMM_KERNEL_SCALAR 1
#endif

/* "wasm-simd128", "avx2" (native x86-64 with AVX2), "portable-vector" or
 * "scalar": the kernel gemm_nn/nt/tn run in this build, on this CPU. */
const char *gemm_kernel_name(void);

/* Every GEMM below (and par_gemm_*, threads.h) has this signature. */
typedef void gemm_fn(int M, int N, int K, const float *A, int lda, const float *B, int ldb,
                     float *C, int ldc, int accumulate);

/* The build's kernel. */
gemm_fn gemm_nn, gemm_nt, gemm_tn;

/* Scalar reference: the specification. */
gemm_fn gemm_nn_scalar, gemm_nt_scalar, gemm_tn_scalar;

#ifdef GEMM_KERNEL_PORTABLE_VECTOR
/* The native kernels under their own names, for tests and the bench: the
 * portable vectors (4x8, SSE2 / NEON), and on x86-64 the AVX2 ones, which
 * may only be called when gemm_have_avx2() says the CPU has AVX2. */
gemm_fn gemm_nn_portable, gemm_nt_portable, gemm_tn_portable;
/* 1 when gemm_nn/nt/tn run the AVX2 kernels: the CPU has AVX2 and the
 * environment variable GAN_GEMM is not "portable". */
int gemm_have_avx2(void);
#ifdef GEMM_HAVE_AVX2
gemm_fn gemm_nn_avx2, gemm_nt_avx2, gemm_tn_avx2;
#endif
#endif

#endif /* GAN_GEMM_H */
