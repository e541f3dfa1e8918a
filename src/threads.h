/*
 * threads.h - GEMMs split across threads that share one wasm memory.
 * Internal to the core.
 *
 * The threads wasm build (gan-simd-threads.wasm, compiled with GAN_THREADS,
 * -matomics and shared memory) runs a pool of helper threads: each helper is
 * a Web Worker / worker_threads Worker that instantiates the same module on
 * the same shared memory, sets its own stack pointer and calls
 * gan_thread_main(index), which never returns. The training thread (the only
 * one that ever calls malloc or anything else in the core) publishes one GEMM
 * job at a time, cut into a few chunks per thread; every thread, the training
 * one included, claims chunks until none is left, and the training thread
 * waits until all are done.
 *
 * Chunks are disjoint column (or row) ranges of C, computed with the pointer
 * offsets of gemm.h, so every C element is summed exactly as in one thread:
 * results are bit-identical for any thread count. Column splits fall on
 * multiples of 8 and row splits on multiples of 4 (the kernels' tiles).
 *
 * The native library is built with GAN_THREADS too: the same pool on
 * pthreads, started by gan_threads_set_count (the native engine's threads).
 * In the single-thread wasm builds (and natively without GAN_THREADS) the
 * par_gemm_* calls go straight to gemm_nn/nt/tn and the exported functions
 * report one thread.
 */
#ifndef GAN_THREADS_H
#define GAN_THREADS_H

#include <stddef.h>

#include "gemm.h"

#if defined(GAN_THREADS) && defined(__wasm__) && !defined(__wasm_atomics__)
#error "GAN_THREADS needs -matomics (and -mbulk-memory, shared memory at link time)"
#endif

enum { GAN_MAX_THREADS = 16 };

typedef enum { PAR_GEMM_NN, PAR_GEMM_NT, PAR_GEMM_TN } par_gemm_kind;

/* Same contract as gemm_nn/nt/tn (gemm.h); split across the pool when the
 * product is large enough and helpers are running. */
gemm_fn par_gemm_nn, par_gemm_nt, par_gemm_tn;

/* The split, exposed for tests (all builds): how many chunks (<= max_chunks)
 * a product of this shape is cut into, and chunk `chunk` of `chunks` computed
 * on its own. Running every chunk of any split gives the bits of one call. */
int par_gemm_chunks(par_gemm_kind kind, int M, int N, int K, int max_chunks);
void par_gemm_chunk(par_gemm_kind kind, int M, int N, int K, const float *A, int lda,
                    const float *B, int ldb, float *C, int ldc, int accumulate,
                    int chunks, int chunk);

/* Runs fn(ctx, begin, end) on disjoint ranges that together cover [0, n),
 * split across the pool in the threads build when n >= 2 * min_chunk (and
 * in one call otherwise, or in other builds). Inner range boundaries are
 * multiples of `align` (16 for float arrays: whole cache lines; 1 for rows).
 * fn may run on any thread, so it must only write data of its own range and
 * must not allocate: use it for elementwise or per-row work, where the split
 * cannot change any result. */
typedef void par_range_fn(void *ctx, size_t begin, size_t end);
void par_for(size_t n, size_t align, size_t min_chunk, par_range_fn *fn, void *ctx);

/* Exported to JS (src/exports.txt). */
/* Sets how many threads (the training thread included, 1..GAN_MAX_THREADS)
 * GEMMs may use; allocates the helpers' stacks. Returns the count set (1 in
 * builds without threads), or 0 when a stack could not be allocated. */
int gan_threads_set_count(int count);
/* Threads GEMMs use now: 1 + helpers 1..count-1 that are in gan_thread_main. */
int gan_threads_count(void);
/* GAN_MAX_THREADS with threads, 1 without. */
int gan_threads_max(void);
/* Initial stack pointer for helper `index` (16-byte aligned top of its
 * stack), 0 if none: the helper's instance sets __stack_pointer to it (the
 * exported stackRestore) before calling gan_thread_main. */
unsigned gan_thread_stack(int index);
/* Helper `index` (1..count-1): claims chunks of every job; never returns in
 * the threads build (returns at once in others). */
void gan_thread_main(int index);

#endif /* GAN_THREADS_H */
