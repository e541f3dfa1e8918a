/*
 * threads.c - GEMMs split across helper threads (see threads.h).
 *
 * The split (all builds): C is cut into `chunks` ranges of whole kernel
 * tiles, along the columns (8-wide panels) when there are at least as many
 * column panels as 4-row tiles or at least 32 of them, else along the rows.
 * The axis depends only on the shape, and each chunk is one ordinary gemm
 * call on pointer offsets (gemm.h), so the sum behind every C element is the
 * same as in one call, whatever the number of chunks or who computes them.
 *
 * The pool (GAN_THREADS builds): one job slot, written by the training thread
 * only while no chunk of it is claimed. Per job it writes the slot, gives
 * each of the T threads taking part its own run of equal chunks (a cursor:
 * end << 16 | next), bumps go[i] of each helper and notifies it, then claims
 * chunks itself like the helpers do and finally waits until `completed`
 * counts every chunk. A thread claims its own chunks first (atomic add on
 * its cursor), then any left on the others' cursors: so every job over the
 * rows of a batch gives thread i the same rows, whose data it wrote last and
 * still has in its cache (reading another core's writes runs at about half
 * the speed), and a helper that wakes late or shares its core with other
 * programs has its chunks taken by the others. Helpers spin briefly on go[i]
 * after a job (GEMMs come in quick succession), then block in
 * memory.atomic.wait32. A helper reads the slot only after claiming a chunk,
 * when it cannot change. Helpers never allocate and never touch anything but
 * their chunks of C.
 *
 * par_for jobs use the same slot and cursors for elementwise and per-row work
 * (activations, bias, optimizer updates): chunks of an index range.
 *
 * Natively (the native engine, GAN_THREADS without __wasm__) the pool is the
 * same code on pthreads: gan_threads_set_count starts the helpers itself, and
 * wait32/notify become Linux futexes on the same words. So the native engine
 * splits every product exactly as the wasm threads build does.
 */
#ifdef __wasm__
#define _POSIX_C_SOURCE 199309L /* clock_gettime (threads build: see "Split or not") */
#else
#define _GNU_SOURCE /* native threads: syscall(SYS_futex), pthreads, clock_gettime */
#endif
#include "threads.h"

#include <stddef.h>

/* Below this many multiply-adds per chunk, splitting does not pay for the
 * wake-up of a helper and the extra calls; a product below MIN_SPLIT_MACS
 * (about 0.1 ms on one thread) runs on one thread: each split job is a
 * meeting point where the training thread may wait for a helper that the
 * system has not scheduled, and on a shared machine those waits cost more
 * than a small product gains. */
#define MIN_CHUNK_MACS (1 << 18)
#define MIN_SPLIT_MACS (1 << 21)
/* Chunks per thread: enough to balance, few enough to keep calls large. */
#define CHUNKS_PER_THREAD 4

enum { COL_TILE = 8, ROW_TILE = 4 };

static int split_columns(int M, int N)
{
    const int col_units = (N + COL_TILE - 1) / COL_TILE;
    const int row_units = (M + ROW_TILE - 1) / ROW_TILE;
    return col_units >= row_units || col_units >= 32;
}

int par_gemm_chunks(par_gemm_kind kind, int M, int N, int K, int max_chunks)
{
    (void)kind;
    if (max_chunks <= 1 || M <= 0 || N <= 0 || K <= 0) return 1;
    const double macs = (double)M * N * K;
    if (macs < MIN_SPLIT_MACS) return 1;
    const int units = split_columns(M, N) ? (N + COL_TILE - 1) / COL_TILE
                                          : (M + ROW_TILE - 1) / ROW_TILE;
    int chunks = max_chunks < units ? max_chunks : units;
    if (macs / MIN_CHUNK_MACS < chunks) chunks = (int)(macs / MIN_CHUNK_MACS);
    return chunks < 2 ? 1 : chunks;
}

/* Start of chunk `chunk` of `chunks` over `units` units: equal chunks, each
 * thread owning a run of them (run_chunks), so that every job gives a thread
 * the same share of the rows and the data it wrote stays in its cache. */
static size_t chunk_start(size_t units, int chunks, int chunk)
{
    if (chunk <= 0) return 0;
    if (chunk >= chunks) return units;
    const size_t at = (size_t)((double)units * chunk / chunks);
    return at < units ? at : units;
}

static void gemm_call(par_gemm_kind kind, int M, int N, int K, const float *A, int lda,
                      const float *B, int ldb, float *C, int ldc, int accumulate)
{
    switch (kind) {
    case PAR_GEMM_NN: gemm_nn(M, N, K, A, lda, B, ldb, C, ldc, accumulate); break;
    case PAR_GEMM_NT: gemm_nt(M, N, K, A, lda, B, ldb, C, ldc, accumulate); break;
    case PAR_GEMM_TN: gemm_tn(M, N, K, A, lda, B, ldb, C, ldc, accumulate); break;
    }
}

void par_gemm_chunk(par_gemm_kind kind, int M, int N, int K, const float *A, int lda,
                    const float *B, int ldb, float *C, int ldc, int accumulate,
                    int chunks, int chunk)
{
    if (chunks <= 1) {
        if (chunk == 0) gemm_call(kind, M, N, K, A, lda, B, ldb, C, ldc, accumulate);
        return;
    }
    if (split_columns(M, N)) {
        const long units = (N + COL_TILE - 1) / COL_TILE;
        const int j0 = (int)chunk_start((size_t)units, chunks, chunk) * COL_TILE;
        int j1 = (int)chunk_start((size_t)units, chunks, chunk + 1) * COL_TILE;
        if (j1 > N) j1 = N;
        if (j1 <= j0) return;
        /* nn/tn: B + j0, C + j0;  nt: B + j0*ldb, C + j0 */
        const float *b = kind == PAR_GEMM_NT ? B + (size_t)j0 * ldb : B + j0;
        gemm_call(kind, M, j1 - j0, K, A, lda, b, ldb, C + j0, ldc, accumulate);
    } else {
        const long units = (M + ROW_TILE - 1) / ROW_TILE;
        const int i0 = (int)chunk_start((size_t)units, chunks, chunk) * ROW_TILE;
        int i1 = (int)chunk_start((size_t)units, chunks, chunk + 1) * ROW_TILE;
        if (i1 > M) i1 = M;
        if (i1 <= i0) return;
        /* nn/nt: A + i0*lda, C + i0*ldc;  tn: A + i0, C + i0*ldc */
        const float *a = kind == PAR_GEMM_TN ? A + i0 : A + (size_t)i0 * lda;
        gemm_call(kind, i1 - i0, N, K, a, lda, B, ldb, C + (size_t)i0 * ldc, ldc, accumulate);
    }
}

#ifdef GAN_THREADS

/* Chunk `chunk` of `chunks` of [0, n), inner boundaries on multiples of align. */
static size_t range_bound(size_t n, size_t align, int chunks, int chunk)
{
    if (chunk <= 0) return 0;
    if (chunk >= chunks) return n;
    const size_t at = chunk_start(n, chunks, chunk);
    return at - at % align;
}

#include <stdint.h>
#include <stdlib.h>

enum {
    HELPER_STACK_BYTES = 128 * 1024, /* a GEMM needs about 9 KiB */
    HELPER_SPIN = 1 << 18,           /* polls of go[i] before blocking (~0.5 ms) */
    MAIN_SPIN = 1 << 18,             /* polls of `completed` before blocking (~0.5 ms) */
};

typedef struct {
    int is_range; /* par_for job: fn(ctx, range) */
    par_gemm_kind kind;
    int M, N, K, lda, ldb, ldc, accumulate, chunks;
    const float *A, *B;
    float *C;
    par_range_fn *fn;
    void *ctx;
    size_t n, align;
} gemm_job;

/* One cache line per helper's counters, so polling does not share lines. */
typedef struct {
    int go;       /* bumped by the training thread for each job */
    int ready;    /* 1 while the helper is in gan_thread_main */
    int sleeping; /* 1 while the helper is (about to be) blocked on go */
    char pad[52];
} helper_slot;

static gemm_job job;
static helper_slot slots[GAN_MAX_THREADS] __attribute__((aligned(64)));
/* Each thread's own chunks: end << 16 | next, one cache line each. */
typedef struct {
    int word;
    char pad[60];
} cursor_slot;
static cursor_slot cursors[GAN_MAX_THREADS] __attribute__((aligned(64)));
static int completed __attribute__((aligned(64))); /* chunks of the job done */
static int main_sleeping;                          /* the training thread blocks on completed */
static int requested = 1;
static unsigned char *stacks[GAN_MAX_THREADS];

/* Split or not: measured, not guessed. On a machine shared with other
 * programs a helper may get no core for milliseconds (the training thread
 * then waits at the end of a job for a chunk that helper claimed), and
 * helpers spinning between jobs take CPU time from the training thread; two
 * threads can then be slower than one. So the training thread times the
 * split products (the wasm clock import; helpers never call it) in windows
 * of WINDOW_JOBS, alternately split and on its own, and runs the following
 * windows the faster way: PROBE_EVERY windows when split wins clearly,
 * doubling up to PROBE_MOST while it keeps winning clearly (each probe runs a
 * window at about half speed), PROBE_OFTEN when it is close (alone:
 * PROBE_OFTEN at first, doubling while it keeps winning), and fewer when a
 * window of the chosen way runs below RIVAL_MARGIN times the other way's
 * rate. The first window after the thread count is set is a warm-up and is
 * not measured: it takes the first touches of fresh buffers and may start
 * before a new helper runs, so it would make splitting look slow. The
 * par_for jobs follow the same choice.
 * Alone, the helpers go to sleep after their spin. Who computes a chunk never
 * changes a result, so neither does this. Only the training thread reads or
 * writes this state. */
#include <time.h>

enum { WINDOW_JOBS = 48, PROBE_EVERY = 40, PROBE_MOST = 320, PROBE_OFTEN = 6 };
#define RIVAL_MARGIN 0.8

static struct {
    int solo;              /* this window runs on the training thread alone */
    int jobs;              /* products timed in this window */
    double macs, seconds;  /* their work and time */
    double rate[2];        /* last measured MACs/s: [0] split, [1] alone; 0 = not yet */
    double rival;          /* while one way is chosen: the other's measured rate */
    int solo_wins;         /* times in a row that alone won */
    int split_wins;        /* times in a row that split won clearly */
    int warming;           /* this window is the warm-up: not measured */
    int windows_left;      /* windows before both ways are measured again */
} policy;

static double now_seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* Forget the measurements: the next window measures split again. */
static void policy_reset(void)
{
    policy.solo = 0;
    policy.jobs = 0;
    policy.macs = policy.seconds = 0.0;
    policy.rate[0] = policy.rate[1] = 0.0;
    policy.rival = 0.0;
    policy.windows_left = 0;
}

/* A window is over: store its rate, pick the next window's way. Every
 * PROBE_* windows, one window each way is measured (split first). */
static void policy_next_window(void)
{
    const double rate = policy.seconds > 0.0 ? policy.macs / policy.seconds : 0.0;
    policy.jobs = 0;
    policy.macs = policy.seconds = 0.0;
    if (policy.warming) {
        policy.warming = 0;
        return;
    }
    policy.rate[policy.solo] = rate;
    if (policy.windows_left > 0) {
        /* Measure both again when the time is up, or at once when the chosen
         * way has become clearly slower than the other was: other programs
         * took a core, and two threads would wait for a helper for the
         * rest of the period. */
        if (--policy.windows_left == 0 || policy.rate[policy.solo] < RIVAL_MARGIN * policy.rival)
            policy_reset();
        return;
    }
    if (!policy.solo && policy.rate[1] == 0.0) { /* measured split: now alone */
        policy.solo = 1;
        return;
    }
    /* both measured: the faster way, for a while */
    const double split = policy.rate[0], alone = policy.rate[1];
    policy.solo = alone > split;
    const double ratio = split > alone ? split / (alone > 0.0 ? alone : 1.0) : alone / (split > 0.0 ? split : 1.0);
    policy.split_wins = !policy.solo && ratio > 1.25 ? policy.split_wins + 1 : 0;
    policy.windows_left = PROBE_OFTEN;
    if (policy.split_wins) /* 40, 80, 160, then 320 */
        policy.windows_left = policy.split_wins < 4 ? PROBE_EVERY << (policy.split_wins - 1) : PROBE_MOST;
    else if (ratio > 1.25)
        policy.windows_left = PROBE_EVERY;
    /* Alone wins after a split window that another program disturbed as
     * well as on a loaded machine: hold it for PROBE_OFTEN windows at first,
     * twice as long each time it wins again, so one bad window costs little
     * and a machine that stays loaded is probed rarely. */
    policy.solo_wins = policy.solo ? policy.solo_wins + 1 : 0;
    if (policy.solo) /* 6, 12, 24, then 40 */
        policy.windows_left = policy.solo_wins < 4 ? PROBE_OFTEN << (policy.solo_wins - 1) : PROBE_EVERY;
    policy.rival = policy.solo ? split : alone;
    policy.rate[0] = policy.rate[1] = 0.0;
}

#define LOAD(p) __atomic_load_n((p), __ATOMIC_SEQ_CST)
#define STORE(p, v) __atomic_store_n((p), (v), __ATOMIC_SEQ_CST)
#define ADD(p, v) __atomic_fetch_add((p), (v), __ATOMIC_SEQ_CST)

/* memory.atomic.wait32/notify sit in functions of their own that are only
 * called through volatile pointers (so neither clang nor wasm-opt inlines
 * them). Node 20's V8 (11.3) baseline compiler, Liftoff, which runs a helper's
 * endless gan_thread_main for good (no on-stack replacement), can lose a
 * register across an inline wait32: after the first wake-up the loop reloads
 * the wrong word and sleeps for ever. Across a call every value is spilled. */
#ifdef __wasm__
static int wait_impl(int *address, int expected)
{
    return __builtin_wasm_memory_atomic_wait32(address, expected, -1);
}

static int notify_impl(int *address, unsigned count)
{
    return (int)__builtin_wasm_memory_atomic_notify(address, count);
}
#else
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

/* wait32 and notify on the same int: FUTEX_WAIT returns at once unless
 * *address == expected, so no wake-up is lost between the check and the sleep. */
static int wait_impl(int *address, int expected)
{
    return (int)syscall(SYS_futex, address, FUTEX_WAIT_PRIVATE, expected, NULL, NULL, 0);
}

static int notify_impl(int *address, unsigned count)
{
    return (int)syscall(SYS_futex, address, FUTEX_WAKE_PRIVATE, (int)count, NULL, NULL, 0);
}

static pthread_t native_helpers[GAN_MAX_THREADS];
static int native_started[GAN_MAX_THREADS];

void gan_thread_main(int index);

static void *native_helper_main(void *index)
{
    gan_thread_main((int)(intptr_t)index);
    return NULL;
}
#endif

static int (*volatile wait_while)(int *address, int expected) = wait_impl;
static int (*volatile wake)(int *address, unsigned count) = notify_impl;

static int available(void)
{
    int n = 1;
    while (n < requested && LOAD(&slots[n].ready)) n++;
    return n;
}

int gan_threads_set_count(int count)
{
    if (count < 1) count = 1;
    if (count > GAN_MAX_THREADS) count = GAN_MAX_THREADS;
#ifdef __wasm__
    for (int i = 1; i < count; i++) {
        if (!stacks[i]) stacks[i] = malloc(HELPER_STACK_BYTES);
        if (!stacks[i]) return 0;
    }
    /* Helpers beyond the count are ended by the loader; they take no part. */
    for (int i = count; i < GAN_MAX_THREADS; i++) STORE(&slots[i].ready, 0);
#else
    /* Natively the pool starts its own helpers, once each; a helper beyond
     * the count sleeps (nobody bumps its go) and takes no part. */
    for (int i = 1; i < count; i++) {
        if (native_started[i]) {
            STORE(&slots[i].ready, 1);
            continue;
        }
        pthread_attr_t attr;
        if (pthread_attr_init(&attr) != 0) return 0;
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        const int failed = pthread_create(&native_helpers[i], &attr, native_helper_main, (void *)(intptr_t)i);
        pthread_attr_destroy(&attr);
        if (failed) return 0;
        native_started[i] = 1;
        while (!LOAD(&slots[i].ready)) sched_yield(); /* in gan_thread_main */
    }
    for (int i = count; i < GAN_MAX_THREADS; i++) STORE(&slots[i].ready, 0);
#endif
    requested = count;
    policy_reset();
    policy.solo_wins = policy.split_wins = 0;
    policy.warming = 1;
    return count;
}

int gan_threads_count(void) { return available(); }

int gan_threads_max(void) { return GAN_MAX_THREADS; }

unsigned gan_thread_stack(int index)
{
    if (index < 1 || index >= GAN_MAX_THREADS || !stacks[index]) return 0;
    return (unsigned)(((uintptr_t)stacks[index] + HELPER_STACK_BYTES) & ~(uintptr_t)15);
}

/* Claims and runs chunks of the open job until none is left: its own
 * first, then those of the other threads that are still unclaimed. */
static void run_chunks(int me)
{
    const int cursor_count = LOAD(&requested);
    for (int v = 0; v < cursor_count; v++) {
        int *cursor = &cursors[(me + v) % cursor_count].word;
        for (;;) {
            const int t = ADD(cursor, 1), chunk = t & 0xffff;
            if (chunk >= t >> 16) break; /* this cursor's chunks are all claimed */
            /* A claimed chunk keeps the slot unchanged until it is counted. */
            const int chunks = job.chunks;
            if (job.is_range) {
                const size_t begin = range_bound(job.n, job.align, chunks, chunk);
                const size_t end = range_bound(job.n, job.align, chunks, chunk + 1);
                if (end > begin) job.fn(job.ctx, begin, end);
            } else {
                par_gemm_chunk(job.kind, job.M, job.N, job.K, job.A, job.lda, job.B, job.ldb, job.C,
                               job.ldc, job.accumulate, chunks, chunk);
            }
            if (ADD(&completed, 1) + 1 == chunks && LOAD(&main_sleeping)) wake(&completed, 1);
        }
    }
}

void gan_thread_main(int index)
{
    if (index < 1 || index >= GAN_MAX_THREADS) return;
    int *go = &slots[index].go;
    int seen = LOAD(go);
    STORE(&slots[index].ready, 1);
    for (;;) {
        int now, spin = 0;
        while ((now = LOAD(go)) == seen) {
            if (++spin < HELPER_SPIN) continue;
            /* Announce the sleep, then wait only while go is unchanged: the
             * training thread bumps go before it reads `sleeping`, so either
             * it sees the flag and wakes us, or wait32 sees the new go. */
            STORE(&slots[index].sleeping, 1);
            wait_while(go, seen);
            STORE(&slots[index].sleeping, 0);
        }
        seen = now;
        run_chunks(index);
    }
}

/* Opens the job in the slot (already written) as `chunks` chunks, takes part,
 * and returns when every chunk is done. */
static void run_job(int threads, int chunks)
{
    STORE(&completed, 0);
    const int helpers = threads - 1 < chunks - 1 ? threads - 1 : chunks - 1;
    /* thread i owns chunks [i chunks / T, (i + 1) chunks / T) of the T taking part */
    for (int i = 0; i <= helpers; i++) {
        const int first = i * chunks / (helpers + 1), end = (i + 1) * chunks / (helpers + 1);
        STORE(&cursors[i].word, end << 16 | first);
    }
    for (int i = helpers + 1; i < requested; i++) STORE(&cursors[i].word, 0);
    /* A notify costs a call into the engine and a lock even when nobody
     * waits: only helpers that went to sleep get one (see gan_thread_main). */
    for (int i = 1; i <= helpers; i++) ADD(&slots[i].go, 1);
    for (int i = 1; i <= helpers; i++)
        if (LOAD(&slots[i].sleeping)) wake(&slots[i].go, 1);
    run_chunks(0);
    int have, spin = 0;
    while ((have = LOAD(&completed)) != chunks) {
        if (++spin < MAIN_SPIN) continue;
        STORE(&main_sleeping, 1); /* the same handshake as the helpers' */
        wait_while(&completed, have);
        STORE(&main_sleeping, 0);
    }
}

static void dispatch(par_gemm_kind kind, int M, int N, int K, const float *A, int lda,
                     const float *B, int ldb, float *C, int ldc, int accumulate)
{
    const int threads = requested > 1 ? available() : 1;
    const int chunks = threads > 1 ? par_gemm_chunks(kind, M, N, K, threads * CHUNKS_PER_THREAD) : 1;
    if (chunks <= 1) {
        gemm_call(kind, M, N, K, A, lda, B, ldb, C, ldc, accumulate);
        return;
    }
    const double start = now_seconds();
    if (policy.solo) {
        gemm_call(kind, M, N, K, A, lda, B, ldb, C, ldc, accumulate);
    } else {
        /* Every cursor is exhausted since the last job: nobody reads the slot now. */
        job = (gemm_job){0, kind, M, N, K, lda, ldb, ldc, accumulate, chunks, A, B, C, NULL, NULL, 0, 1};
        run_job(threads, chunks);
    }
    policy.seconds += now_seconds() - start;
    policy.macs += (double)M * N * K;
    if (++policy.jobs == WINDOW_JOBS) policy_next_window();
}

void par_for(size_t n, size_t align, size_t min_chunk, par_range_fn *fn, void *ctx)
{
    const int threads = requested > 1 ? available() : 1;
    size_t chunks = 1;
    if (threads > 1 && min_chunk > 0) {
        chunks = n / min_chunk;
        if (chunks > (size_t)threads * CHUNKS_PER_THREAD) chunks = (size_t)threads * CHUNKS_PER_THREAD;
    }
    if (chunks < 2 || policy.solo) {
        if (n) fn(ctx, 0, n);
        return;
    }
    job = (gemm_job){1, PAR_GEMM_NN, 0, 0, 0, 0, 0, 0, 0, (int)chunks, NULL, NULL, NULL, fn, ctx, n,
                     align ? align : 1};
    run_job(threads, (int)chunks);
}

#else /* no threads: one thread, no atomics */

int gan_threads_set_count(int count) { (void)count; return 1; }
int gan_threads_count(void) { return 1; }
int gan_threads_max(void) { return 1; }
unsigned gan_thread_stack(int index) { (void)index; return 0; }
void gan_thread_main(int index) { (void)index; }

static void dispatch(par_gemm_kind kind, int M, int N, int K, const float *A, int lda,
                     const float *B, int ldb, float *C, int ldc, int accumulate)
{
    gemm_call(kind, M, N, K, A, lda, B, ldb, C, ldc, accumulate);
}

void par_for(size_t n, size_t align, size_t min_chunk, par_range_fn *fn, void *ctx)
{
    (void)align;
    (void)min_chunk;
    if (n) fn(ctx, 0, n);
}

#endif /* GAN_THREADS */

void par_gemm_nn(int M, int N, int K, const float *A, int lda, const float *B, int ldb,
                 float *C, int ldc, int accumulate)
{
    dispatch(PAR_GEMM_NN, M, N, K, A, lda, B, ldb, C, ldc, accumulate);
}

void par_gemm_nt(int M, int N, int K, const float *A, int lda, const float *B, int ldb,
                 float *C, int ldc, int accumulate)
{
    dispatch(PAR_GEMM_NT, M, N, K, A, lda, B, ldb, C, ldc, accumulate);
}

void par_gemm_tn(int M, int N, int K, const float *A, int lda, const float *B, int ldb,
                 float *C, int ldc, int accumulate)
{
    dispatch(PAR_GEMM_TN, M, N, K, A, lda, B, ldb, C, ldc, accumulate);
}
