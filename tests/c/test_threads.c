/*
 * test_threads.c - the thread split of src/threads.c: for every layout and a
 * range of shapes (the paper's and small preset's, edges around the 4x8
 * tiles, a single column), running every chunk of a split on its own gives
 * C bit-identical to one gemm call, for any chunk count; chunks never write
 * outside C's live columns. Also the chunk-count rules, and that without the
 * threads build the par_gemm_* entry points are gemm_* and report one thread.
 * Natively with threads (the native engine's pool on pthreads): the paper
 * and conv presets trained on 1, 2 and 3 threads give the same checkpoint
 * bytes, and
 * dropout cut into segments at prng_jump's states gives one stream's masks.
 * Every prng_jump constant against that many draws.
 */
#include "threads.h"
#include "gan.h"
#include "network.h"
#include "prng.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"

static uint32_t rng_state = 88172645u;
static float uniform(void) { return xorshift_uniform(&rng_state); }

static gemm_fn *const plain[] = {gemm_nn, gemm_nt, gemm_tn};
static gemm_fn *const par[] = {par_gemm_nn, par_gemm_nt, par_gemm_tn};
static const char *names[] = {"nn", "nt", "tn"};

/* One shape, one layout: C from one call vs C from chunks 0..chunks-1 (in
 * reverse order, as threads may finish in any order). */
static void check_shape(par_gemm_kind kind, int M, int N, int K, int accumulate)
{
    const int pad = 3; /* row strides wider than needed; padding must stay */
    /* A: nn/nt [M][K], tn [K][M]; B: nn/tn [K][N], nt [N][K] */
    const int a_rows = kind == PAR_GEMM_TN ? K : M, a_cols = kind == PAR_GEMM_TN ? M : K;
    const int b_rows = kind == PAR_GEMM_NT ? N : K, b_cols = kind == PAR_GEMM_NT ? K : N;
    const int lda = a_cols + pad, ldb = b_cols + pad, ldc = N + pad;
    float *A = malloc(sizeof(float) * (size_t)a_rows * lda);
    float *B = malloc(sizeof(float) * (size_t)b_rows * ldb);
    float *C0 = malloc(sizeof(float) * (size_t)M * ldc);
    float *C1 = malloc(sizeof(float) * (size_t)M * ldc);
    float *init = malloc(sizeof(float) * (size_t)M * ldc);
    for (size_t i = 0; i < (size_t)a_rows * lda; i++) A[i] = uniform();
    for (size_t i = 0; i < (size_t)b_rows * ldb; i++) B[i] = uniform();
    for (size_t i = 0; i < (size_t)M * ldc; i++) init[i] = uniform();

    memcpy(C0, init, sizeof(float) * (size_t)M * ldc);
    plain[kind](M, N, K, A, lda, B, ldb, C0, ldc, accumulate);

    /* The entry point of the core gives the same bits too (one thread here). */
    memcpy(C1, init, sizeof(float) * (size_t)M * ldc);
    par[kind](M, N, K, A, lda, B, ldb, C1, ldc, accumulate);
    CHECK(memcmp(C0, C1, sizeof(float) * (size_t)M * ldc) == 0, "par_gemm_%s %dx%dx%d", names[kind], M, N, K);

    /* Large products: fewer chunk counts, to keep the test short. */
    const int large = (double)M * N * K > 4e6;
    static const int all_counts[] = {1, 2, 3, 4, 5, 9, 13}, large_counts[] = {2, 3, 8};
    const int *counts = large ? large_counts : all_counts;
    const int n_counts = large ? 3 : 7;
    for (int c = 0; c < n_counts; c++) {
        const int chunks = counts[c];
        memcpy(C1, init, sizeof(float) * (size_t)M * ldc);
        for (int chunk = chunks - 1; chunk >= 0; chunk--)
            par_gemm_chunk(kind, M, N, K, A, lda, B, ldb, C1, ldc, accumulate, chunks, chunk);
        int same = memcmp(C0, C1, sizeof(float) * (size_t)M * ldc) == 0;
        CHECK(same, "gemm_%s %dx%dx%d acc %d in %d chunks differs from one call", names[kind], M, N,
              K, accumulate, chunks);
    }
    /* A chunk count past the units: extra chunks are empty, nothing overlaps. */
    memcpy(C1, init, sizeof(float) * (size_t)M * ldc);
    const int many = (N > M ? N : M) + 5;
    for (int chunk = 0; chunk < many; chunk++)
        par_gemm_chunk(kind, M, N, K, A, lda, B, ldb, C1, ldc, accumulate, many, chunk);
    CHECK(memcmp(C0, C1, sizeof(float) * (size_t)M * ldc) == 0, "gemm_%s %dx%dx%d in %d chunks",
          names[kind], M, N, K, many);
    free(A);
    free(B);
    free(C0);
    free(C1);
    free(init);
}

/* prng_jump: each jump is the state after that many draws. */
static void test_jumps(void)
{
    prng a, b;
    prng_seed(&a, 2014, 7);
    b = a;
    uint64_t steps = 0;
    for (int k = PRNG_JUMP_MIN_LOG2; k <= PRNG_JUMP_MAX_LOG2; k++) {
        prng_jump(&b, k);
        for (uint64_t i = 0; i < (uint64_t)1 << k; i++) prng_next(&a);
        steps += (uint64_t)1 << k;
        CHECK(memcmp(&a, &b, sizeof a) == 0, "jump by 2^%d differs from %llu draws", k,
              (unsigned long long)((uint64_t)1 << k));
    }
    prng c = b;
    prng_jump(&c, PRNG_JUMP_MIN_LOG2 - 1); /* out of range: no change */
    CHECK(memcmp(&c, &b, sizeof c) == 0, "a jump out of range moved the state");
}

/* Dropout of n values on `threads` threads: the mask, the output and the
 * generator's state after it equal one thread's, across the segment sizes. */
static void check_dropout(size_t n, int threads)
{
    float *inp = malloc(n * sizeof(float)), *out[2], *mask[2];
    prng end[2];
    for (size_t i = 0; i < n; i++) inp[i] = (float)(i % 97) * 0.01f - 0.3f;
    for (int run = 0; run < 2; run++) {
        gan_threads_set_count(run ? threads : 1);
        out[run] = malloc(n * sizeof(float));
        mask[run] = malloc(n * sizeof(float));
        prng_seed(&end[run], 99, 2);
        dropout_forward(out[run], inp, mask[run], 0.8f, &end[run], n);
    }
    CHECK(memcmp(out[0], out[1], n * sizeof(float)) == 0 && memcmp(mask[0], mask[1], n * sizeof(float)) == 0,
          "dropout of %zu on %d threads: other values than one thread", n, threads);
    CHECK(memcmp(&end[0], &end[1], sizeof(prng)) == 0, "dropout of %zu on %d threads: another state after", n, threads);
    for (int run = 0; run < 2; run++) free(out[run]), free(mask[run]);
    free(inp);
    gan_threads_set_count(1);
}

int main(void)
{
    static const int shapes[][3] = {
        /* paper, batch 100: G 100-1200-1200-784, D 784-(240x5)-(240x5)-1 on 200 rows */
        {100, 1200, 100}, {100, 1200, 1200}, {100, 784, 1200}, {200, 1200, 784},
        {200, 1200, 240}, {200, 1, 240}, {1200, 1200, 100}, {784, 1200, 200},
        {240, 1200, 200}, {200, 240, 1200}, {200, 784, 1200},
        /* small: 64-256-512-784, D 784-256-128-1 */
        {100, 256, 64}, {100, 512, 256}, {200, 256, 784}, {200, 128, 256}, {256, 512, 100},
        /* edges: tiles of 4x8, a k block of 256, single rows and columns */
        {1, 1, 1}, {3, 7, 5}, {4, 8, 256}, {5, 9, 257}, {13, 33, 300}, {64, 17, 3},
        {130, 5, 40}, {1, 300, 20}, {300, 1, 20}, {37, 250, 513},
    };
    for (size_t s = 0; s < sizeof(shapes) / sizeof(shapes[0]); s++)
        for (int kind = 0; kind < 3; kind++)
            for (int accumulate = 0; accumulate < 2; accumulate++) {
                const double macs = (double)shapes[s][0] * shapes[s][1] * shapes[s][2];
                if (accumulate && macs > 4e6) continue; /* the core never accumulates */
                check_shape((par_gemm_kind)kind, shapes[s][0], shapes[s][1], shapes[s][2], accumulate);
            }

    /* The chunk count: 1 for tiny products or one thread, never more than asked
     * for or than there are tiles along the split. */
    CHECK(par_gemm_chunks(PAR_GEMM_NN, 100, 1200, 1200, 1) == 1, "one thread");
    CHECK(par_gemm_chunks(PAR_GEMM_NN, 4, 8, 8, 16) == 1, "tiny product");
    CHECK(par_gemm_chunks(PAR_GEMM_NN, 100, 1, 240, 16) == 1, "one column");
    CHECK(par_gemm_chunks(PAR_GEMM_NN, 100, 1200, 1200, 8) == 8, "paper layer: 8 chunks");
    CHECK(par_gemm_chunks(PAR_GEMM_TN, 1200, 16, 100, 16) <= 300, "rows of 4");
    CHECK(par_gemm_chunks(PAR_GEMM_NT, 100, 24, 4096, 16) <= 25, "at most the tiles");
    CHECK(par_gemm_chunks(PAR_GEMM_NN, 0, 10, 10, 4) == 1, "empty");
    /* products under about 2M multiply-adds stay on one thread (a split job
     * is a meeting point that costs more than it saves there) */
    CHECK(par_gemm_chunks(PAR_GEMM_NN, 100, 256, 64, 8) == 1, "small preset's first layer: one thread");
    CHECK(par_gemm_chunks(PAR_GEMM_TN, 128, 1, 200, 8) == 1, "a one-column gradient: one thread");
    CHECK(par_gemm_chunks(PAR_GEMM_NN, 100, 784, 256, 8) == 8, "784-256 MLP's G output layer: 8 chunks");

    test_jumps();
#ifdef GAN_THREADS
    /* Dropout split in segments: one segment, a few, 64, and longer ones */
    static const size_t lengths[] = {5, 16384, 16385, 32768, 32771, 156800, 64 * 16384, 64 * 16384 + 1, 3000001};
    for (size_t i = 0; i < sizeof lengths / sizeof lengths[0]; i++)
        for (int threads = 2; threads <= 3; threads++) check_dropout(lengths[i], threads);

    /* Training on 1, 2 and 3 threads: the same bytes (paper: dense layers,
     * maxout, dropout; conv: convolutions, their row-blocked bias sums and
     * batch normalisation; paper again with max_col_norm, which cuts G's
     * columns in blocks that threads share). */
    static const char *const presets[] = {"paper", "conv", "paper"};
    for (int p = 0; p < 3; p++) {
        uint8_t *first = NULL;
        size_t first_size = 0;
        for (int threads = 1; threads <= 3; threads++) {
            CHECK(gan_threads_set_count(threads) == threads, "set %d threads", threads);
            CHECK(gan_threads_count() == threads, "%d threads running", gan_threads_count());
            gan_config config;
            gan_preset(presets[p], &config);
            if (p == 2) {
                gan_config_set(&config, "g.max_col_norm", "0.5");
                gan_config_set(&config, "d.max_col_norm", "0.05");
            }
            gan *model = NULL;
            CHECK(gan_create(&config, &model) == GAN_OK, "create %s", presets[p]);
            if (!model) break;
            enum { COUNT = 300 };
            static uint8_t images[COUNT * 784];
            uint32_t state = 5;
            for (size_t i = 0; i < sizeof images; i++) {
                state = state * 1664525u + 1013904223u;
                images[i] = (state >> 24) < 60 ? (uint8_t)(state >> 16) : 0;
            }
            gan_attach_data(model, images, COUNT);
            gan_init_generator_bias(model);
            CHECK(gan_train(model, 4, NULL) == GAN_OK, "%s: train on %d threads", presets[p], threads);
            size_t size = 0;
            gan_checkpoint_size(model, &size);
            uint8_t *bytes = malloc(size);
            CHECK(bytes && gan_checkpoint_save(model, bytes, size, &size) == GAN_OK, "save");
            if (!first) {
                first = bytes, first_size = size;
            } else {
                CHECK(size == first_size && memcmp(bytes, first, size) == 0,
                      "%s, %d threads: checkpoint differs from 1 thread", presets[p], threads);
                free(bytes);
            }
            gan_free(model);
        }
        free(first);
    }
    gan_threads_set_count(1);
#else
    CHECK(gan_threads_set_count(4) == 1, "no threads in this build");
    CHECK(gan_threads_count() == 1 && gan_threads_max() == 1, "one thread");
    CHECK(gan_thread_stack(1) == 0, "no helper stacks");
#endif
    return test_summary("test_threads");
}
