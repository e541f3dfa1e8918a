/*
 * gemm_driver.h - the blocking driver every SIMD GEMM shares: k blocks of at
 * most KC, a packed NR-column panel of B on the stack, MR-row tiles of A,
 * edges through a stack tile. Included at the end of gemm_wasm_simd.c,
 * gemm_portable.c and gemm_avx2.c, which differ only in their micro-kernels
 * and full-width packing; compiled into each of them, so the kernels inline.
 *
 * The including file defines, before #include:
 *   enum { MR = 4, NR = ..., KC = 256 };
 *   pack_rows_full(kc, B, ldb, panel)        panel[k][0..NR) = B[k][0..NR)
 *   pack_transposed_full(kc, B, ldb, panel)  panel[k][j] = B[j][k], j < NR
 *   kernel_full(kc, a0, a1, a2, a3, a_step, panel, c, ldc, load_c)
 *       C[MR][NR] (= or +=) sum_k A(r,k) * panel[k][0..NR), A(r,k) = a_r[k * a_step];
 *       load_c: start from C (accumulate, or a later k block) instead of zero
 *   GEMM_HALF_KERNEL (optional): kernel_half, the same for the left NR/2
 *       columns, used for full-height tiles of an NR/2-column edge (the edges
 *       of column splits at multiples of 8, threads.c)
 *   GEMM_NAME(layout): the entry points' names, e.g. gemm_##layout##_avx2
 *
 * Every C element is still the sequential sum of gemm.h: the kernels run
 * vectors across columns, never across k, and the k blocks continue the same
 * sum in C. Missing rows of an edge tile repeat row 0 and are not stored;
 * missing columns of a panel are zero and not stored.
 */

/* panel[k][0..NR) = B[k][0..nr), zero beyond nr. */
static void pack_rows(int kc, int nr, const float *B, int ldb, float *panel)
{
    if (nr == NR) {
        pack_rows_full(kc, B, ldb, panel);
        return;
    }
    for (int k = 0; k < kc; k++) {
        const float *b = B + (long)k * ldb;
        int j = 0;
        for (; j < nr; j++) panel[k * NR + j] = b[j];
        for (; j < NR; j++) panel[k * NR + j] = 0.0f;
    }
}

/* panel[k][j] = B[j][k] for j < nr (B points at row j0, column k0), zero beyond. */
static void pack_transposed(int kc, int nr, const float *B, int ldb, float *panel)
{
    if (nr == NR) {
        pack_transposed_full(kc, B, ldb, panel);
        return;
    }
    for (int k = 0; k < kc; k++) {
        int j = 0;
        for (; j < nr; j++) panel[k * NR + j] = B[(long)j * ldb + k];
        for (; j < NR; j++) panel[k * NR + j] = 0.0f;
    }
}

/* A(i,k) = A[i*a_row + k*a_step]; the B panel for columns j0.. and rows k0..
 * is packed from B + b_col*j0 + b_k*k0, transposed or not. */
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
    float panel[KC * NR] __attribute__((aligned(32)));
    /* Zeroed so the lanes an edge tile computes but never stores start from
     * ordinary numbers (no denormals or NaN slowing the kernel). */
    float edge[MR * NR] __attribute__((aligned(32))) = {0};
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
                    kernel_full(kc, a[0], a[1], a[2], a[3], a_step, panel, c, ldc, load_c);
                    continue;
                }
#ifdef GEMM_HALF_KERNEL
                if (mr == MR && nr == NR / 2) {
                    kernel_half(kc, a[0], a[1], a[2], a[3], a_step, panel, c, ldc, load_c);
                    continue;
                }
#endif
                /* Edge tile: through a full-size stack tile, storing only mr x nr. */
                if (load_c) {
                    for (int r = 0; r < mr; r++)
                        for (int j = 0; j < nr; j++) edge[r * NR + j] = c[(long)r * ldc + j];
                }
                kernel_full(kc, a[0], a[1], a[2], a[3], a_step, panel, edge, NR, load_c);
                for (int r = 0; r < mr; r++)
                    for (int j = 0; j < nr; j++) c[(long)r * ldc + j] = edge[r * NR + j];
            }
        }
    }
}

void GEMM_NAME(nn)(int M, int N, int K, const float *A, int lda, const float *B, int ldb,
                   float *C, int ldc, int accumulate)
{
    gemm_driver(M, N, K, A, lda, 1, B, ldb, 1, ldb, 0, C, ldc, accumulate);
}

void GEMM_NAME(nt)(int M, int N, int K, const float *A, int lda, const float *B, int ldb,
                   float *C, int ldc, int accumulate)
{
    gemm_driver(M, N, K, A, lda, 1, B, ldb, ldb, 1, 1, C, ldc, accumulate);
}

void GEMM_NAME(tn)(int M, int N, int K, const float *A, int lda, const float *B, int ldb,
                   float *C, int ldc, int accumulate)
{
    gemm_driver(M, N, K, A, 1, lda, B, ldb, 1, ldb, 0, C, ldc, accumulate);
}
