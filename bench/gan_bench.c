/*
 * gan_bench.c - the native figures of `npm run bench`:
 *   1. GEMM GFLOP/s on the paper model's shapes, per layout: this build's
 *      kernel (gemm_portable.c natively), the scalar reference and, when CMake found it,
 *      OpenBLAS cblas_sgemm on one thread as the machine's ceiling;
 *   2. training iterations/s of the `paper` and `small` presets (or of the
 *      models given with --train), batch 100 (--batch), k = 1, one thread
 *      (--threads), on the first 50,000 images of an IDX file (--data: bench.mjs
 *      gives the MNIST training file every row trains on), or else on
 *      synthetic pixels.
 *
 *   gan_bench [--json] [--seconds S] [--windows W] [--only gemm|train] [--clock cpu|wall]
 *             [--threads N] [--batch B] [--data IDX] [--train NAME[=PRESET[,KEY=VALUE]...]]...
 *   gan_bench --serve [--threads N] [--batch B] [--data IDX] [--clock cpu|wall] --train NAME[=PRESET[,KEY=VALUE]...]
 *
 * --train (repeatable) names a model to train instead of the two presets:
 * a preset name, or NAME=PRESET,KEY=VALUE,... for a preset changed through
 * gan_config_set (bench.mjs builds the 784-256 MLP this way, with the
 * same keys it gives the wasm build).
 *
 * GEMM figures are the best of several timings of at least 50 ms of process
 * CPU time (--clock wall: wall-clock time), so other load on a shared machine
 * lowers them less; training figures are the best of W windows of S seconds
 * of wall-clock time after a warm-up, like bench/bench.mjs's other rows
 * (--clock cpu: of this process's CPU time, as the wasm rows' --clock cpu, on
 * one thread only). Every window records both times: on a machine whose other
 * programs keep the cores busy, the wall clock of a one-thread row runs about
 * twice its CPU time, and a two-thread process gets about twice the CPU time
 * of a one-thread one, so compare rows of the same batch and thread count,
 * timed in the same rounds. --json prints one JSON
 * object per line ({"kind":"gemm",...} / {"kind":"train",...}) for bench/bench.mjs.
 *
 * --serve sets up the one --train model, prints {"ready":true,...}, then times one window per
 * "window SECONDS" line on stdin and prints the {"kind":"train",...} line on "end": the
 * protocol of bench/serve.mjs, with which bench/bench.mjs interleaves the native row's
 * windows with the wasm and TF.js rows' in rounds.
 */
#define _POSIX_C_SOURCE 200112L
#include "gan.h"
#include "gemm.h"
#include "threads.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#ifdef GAN_HAVE_OPENBLAS
#include <cblas.h>
#endif

static double now_seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* Unix epoch milliseconds: window start and end times comparable across processes. */
static double epoch_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return 1e3 * (double)t.tv_sec + 1e-6 * (double)t.tv_nsec;
}

static double peak_rss_bytes(void)
{
    struct rusage usage;
    return getrusage(RUSAGE_SELF, &usage) == 0 ? 1024.0 * (double)usage.ru_maxrss : 0.0;
}

static double cpu_seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* GEMM timings use this process's CPU time unless --clock wall: on a shared
 * machine, time spent waiting for a core is then not counted. Training
 * windows use the wall clock unless --clock cpu (one thread only). */
static int gemm_wall_clock, train_cpu_clock;
static double gemm_seconds(void)
{
    return gemm_wall_clock ? now_seconds() : cpu_seconds();
}

typedef struct gemm_shape {
    const char *layout; /* "nn", "nt", "tn" */
    int M, N, K;
    const char *what;
} gemm_shape;

/* Batch 100; G 100-1200-1200-784; D 784-(240x5)-(240x5)-1. The same list as
 * bench/gemm-wasm.mjs. */
static const gemm_shape shapes[] = {
    {"nn", 100, 1200, 100, "G fwd z->h1"},   {"nn", 100, 1200, 1200, "G fwd h1->h2"},
    {"nn", 100, 784, 1200, "G fwd h2->x"},   {"nn", 100, 1200, 784, "D fwd x->h1"},
    {"nn", 100, 1200, 240, "D fwd h1->h2"},  {"nt", 100, 1200, 1200, "G bwd dh1"},
    {"nt", 100, 1200, 784, "G bwd dh2"},     {"nt", 100, 784, 1200, "D bwd dx"},
    {"nt", 100, 240, 1200, "D bwd dh1"},     {"tn", 100, 1200, 100, "G dW1"},
    {"tn", 1200, 1200, 100, "G dW2"},        {"tn", 1200, 784, 100, "G dW3"},
    {"tn", 784, 1200, 100, "D dW1"},         {"tn", 240, 1200, 100, "D dW2"},
};

enum kernel { KERNEL_BUILD, KERNEL_REFERENCE, KERNEL_OPENBLAS };

static void run_gemm(enum kernel kernel, const char *layout, int M, int N, int K, const float *A,
                     const float *B, float *C)
{
    const int lda = layout[0] == 't' ? M : K, ldb = layout[1] == 't' ? K : N;
#ifdef GAN_HAVE_OPENBLAS
    if (kernel == KERNEL_OPENBLAS) {
        cblas_sgemm(CblasRowMajor, layout[0] == 't' ? CblasTrans : CblasNoTrans,
                    layout[1] == 't' ? CblasTrans : CblasNoTrans, M, N, K, 1.0f, A, lda, B, ldb,
                    0.0f, C, N);
        return;
    }
#endif
    gemm_fn *nn = gemm_nn, *nt = gemm_nt, *tn = gemm_tn;
    if (kernel == KERNEL_REFERENCE) nn = gemm_nn_scalar, nt = gemm_nt_scalar, tn = gemm_tn_scalar;
    if (strcmp(layout, "nn") == 0) nn(M, N, K, A, lda, B, ldb, C, N, 0);
    else if (strcmp(layout, "nt") == 0) nt(M, N, K, A, lda, B, ldb, C, N, 0);
    else tn(M, N, K, A, lda, B, ldb, C, N, 0);
}

static double gemm_gflops(enum kernel kernel, const gemm_shape *s, const float *A, const float *B,
                          float *C)
{
    run_gemm(kernel, s->layout, s->M, s->N, s->K, A, B, C); /* warm caches, threads, pages */
    double best = 1e30;
    for (int rep = 0; rep < 7; rep++) {
        int calls = 0;
        const double start = gemm_seconds();
        double elapsed;
        do {
            run_gemm(kernel, s->layout, s->M, s->N, s->K, A, B, C);
            calls++;
            elapsed = gemm_seconds() - start;
        } while (elapsed < 0.05);
        if (elapsed / calls < best) best = elapsed / calls;
    }
    return 2.0 * s->M * s->N * s->K / best * 1e-9;
}

static int bench_gemm(int json)
{
    const size_t max_elements = 1200 * 1200;
    float *A = malloc(max_elements * sizeof *A), *B = malloc(max_elements * sizeof *B);
    float *C = malloc(max_elements * sizeof *C);
    if (!A || !B || !C) {
        fprintf(stderr, "gan_bench: out of memory\n");
        free(A), free(B), free(C);
        return 1;
    }
    uint32_t state = 1;
    for (size_t i = 0; i < max_elements; i++) {
        state = state * 1664525u + 1013904223u;
        A[i] = (float)(state >> 8) / 16777216.0f - 0.5f;
        state = state * 1664525u + 1013904223u;
        B[i] = (float)(state >> 8) / 16777216.0f - 0.5f;
    }
#ifdef GAN_HAVE_OPENBLAS
    openblas_set_num_threads(1);
    const int have_openblas = 1;
#else
    const int have_openblas = 0;
#endif
    if (!json) {
        printf("native GEMM, GFLOP/s (best of 7, >= 50 ms of %s time each): this build's kernel "
               "(%s), the scalar reference%s\n\n",
               gemm_wall_clock ? "wall-clock" : "CPU", gemm_kernel_name(),
               have_openblas ? ", OpenBLAS sgemm on 1 thread" : "; OpenBLAS not found");
        printf("%-6s %-14s %-14s %10s %10s %10s %10s\n", "layout", "MxNxK", "shape", "gan",
               "reference", "OpenBLAS", "gan/BLAS");
    }
    for (size_t i = 0; i < sizeof shapes / sizeof *shapes; i++) {
        const gemm_shape *s = &shapes[i];
        const double ours = gemm_gflops(KERNEL_BUILD, s, A, B, C);
        const double reference = gemm_gflops(KERNEL_REFERENCE, s, A, B, C);
        const double blas = have_openblas ? gemm_gflops(KERNEL_OPENBLAS, s, A, B, C) : 0.0;
        if (json) {
            printf("{\"kind\":\"gemm\",\"layout\":\"%s\",\"M\":%d,\"N\":%d,\"K\":%d,\"what\":\"%s\","
                   "\"kernel\":\"%s\",\"gflops\":%.2f,\"reference_gflops\":%.2f",
                   s->layout, s->M, s->N, s->K, s->what, gemm_kernel_name(), ours, reference);
            if (have_openblas) printf(",\"openblas_gflops\":%.2f", blas);
            printf("}\n");
        } else {
            char dims[32];
            snprintf(dims, sizeof dims, "%dx%dx%d", s->M, s->N, s->K);
            if (have_openblas)
                printf("%-6s %-14s %-14s %10.1f %10.1f %10.1f %9.2fx\n", s->layout, dims, s->what,
                       ours, reference, blas, ours / blas);
            else
                printf("%-6s %-14s %-14s %10.1f %10.1f %10s %10s\n", s->layout, dims, s->what, ours,
                       reference, "-", "-");
        }
        fflush(stdout);
    }
    free(A);
    free(B);
    free(C);
    return 0;
}

/* Applies "PRESET[,KEY=VALUE]..." (spec is modified: commas and '=' cut). */
static gan_status config_from_spec(char *spec, gan_config *config)
{
    char *item = strtok(spec, ",");
    gan_status status = gan_preset(item ? item : "", config);
    while (status == GAN_OK && (item = strtok(NULL, ",")) != NULL) {
        char *value = strchr(item, '=');
        if (!value) return GAN_ERR_INVALID_ARGUMENT;
        *value++ = '\0';
        status = gan_config_set(config, item, value);
    }
    return status;
}

/* What every training row shares: batch, data file. */
static int train_batch = 100;
static const char *train_data_path; /* NULL: synthetic pixels */
enum { TRAIN_ROWS = 50000 };        /* MNIST training rows 0..49,999, as the other rows */

/* One model set up for timing: built, data attached, warmed up. */
#define MAX_WINDOWS 256
typedef struct train_bench {
    char name[64];
    gan_config config;
    gan *model;
    uint8_t *images;
    uint32_t image_count;
    int real_data;          /* images from --data, not synthetic */
    gan_step_stats stats;
    gan_status status;
    double warmup_seconds;
    double best;
    int windows;
    double rates[MAX_WINDOWS];     /* it/s of the first MAX_WINDOWS windows, by the row's clock */
    double cpu_rates[MAX_WINDOWS]; /* the same windows by this process's CPU time */
} train_bench;

/* Up to `max` images of `dim` u8 pixels from an IDX image file (magic 0x803);
 * NULL (and *count 0) if it cannot be read or its images are not `dim` pixels. */
static uint8_t *read_idx_images(const char *path, size_t dim, uint32_t max, uint32_t *count)
{
    *count = 0;
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    unsigned char header[16];
    uint8_t *images = NULL;
    if (fread(header, 1, sizeof header, f) == sizeof header) {
        const uint32_t magic = (uint32_t)header[0] << 24 | header[1] << 16 | header[2] << 8 | header[3];
        uint32_t n = (uint32_t)header[4] << 24 | header[5] << 16 | header[6] << 8 | header[7];
        const uint32_t rows = (uint32_t)header[8] << 24 | header[9] << 16 | header[10] << 8 | header[11];
        const uint32_t cols = (uint32_t)header[12] << 24 | header[13] << 16 | header[14] << 8 | header[15];
        if (n > max) n = max;
        if (magic == 0x803 && (size_t)rows * cols == dim && n > 0 && (images = malloc((size_t)n * dim))) {
            if (fread(images, dim, n, f) == n) *count = n;
            else free(images), images = NULL;
        }
    }
    fclose(f);
    return images;
}

/* Batch train_batch, k = 1. spec is "NAME" (a preset) or "NAME=PRESET,KEY=VALUE,...". */
static gan_status train_setup(const char *spec, train_bench *b)
{
    char buffer[8192];
    memset(b, 0, sizeof *b);
    const char *equals = strchr(spec, '=');
    const size_t name_length = equals ? (size_t)(equals - spec) : strlen(spec);
    snprintf(b->name, sizeof b->name, "%.*s", (int)(name_length < sizeof b->name ? name_length : sizeof b->name - 1), spec);
    snprintf(buffer, sizeof buffer, "%s", equals ? equals + 1 : spec);
    gan_status status = config_from_spec(buffer, &b->config);
    char batch[16];
    snprintf(batch, sizeof batch, "%d", train_batch);
    if (status == GAN_OK) status = gan_config_set(&b->config, "batch_size", batch);
    if (status == GAN_OK) status = gan_config_set(&b->config, "d_steps", "1");
    /* Algorithm 1's order, as the wasm and TF.js rows (bench/flops.mjs counts it) */
    if (status == GAN_OK) status = gan_config_set(&b->config, "update_order", "alternating");
    if (status == GAN_OK) status = gan_create(&b->config, &b->model);
    if (status == GAN_OK && train_data_path) {
        b->images = read_idx_images(train_data_path, (size_t)b->config.data_dim, TRAIN_ROWS, &b->image_count);
        if (!b->images) {
            fprintf(stderr, "gan_bench: %s: not an IDX file of %d-pixel images\n", train_data_path, b->config.data_dim);
            status = GAN_ERR_INVALID_ARGUMENT;
        }
        b->real_data = 1;
    } else if (status == GAN_OK) {
        /* Without --data: sparse random strokes (the speed barely depends on the pixels). */
        b->image_count = 10000;
        b->images = malloc((size_t)b->image_count * b->config.data_dim);
        if (!b->images) status = GAN_ERR_OUT_OF_MEMORY;
        uint32_t state = 7;
        for (size_t i = 0; b->images && i < (size_t)b->image_count * b->config.data_dim; i++) {
            state = state * 1664525u + 1013904223u;
            b->images[i] = (state >> 24) < 48 ? (uint8_t)(state >> 16) : 0;
        }
    }
    if (status == GAN_OK) status = gan_attach_data(b->model, b->images, b->image_count);
    if (status == GAN_OK) status = gan_init_generator_bias(b->model);
    /* Warm-up: first touches of every buffer. */
    const double start = now_seconds();
    if (status == GAN_OK) status = gan_train(b->model, 3, &b->stats);
    b->warmup_seconds = now_seconds() - start;
    return b->status = status;
}

/* One timed window of at least `seconds` of wall-clock time; returns its it/s
 * by the row's clock (0 on error), and in *cpu_elapsed_out the process CPU time. */
static double train_window(train_bench *b, double seconds, uint32_t *steps_out, double *elapsed_out,
                           double *cpu_elapsed_out)
{
    uint32_t steps = 0;
    const double start = now_seconds(), cpu_start = cpu_seconds();
    double elapsed;
    do {
        b->status = gan_train(b->model, 1, &b->stats);
        steps++;
        elapsed = now_seconds() - start;
    } while (b->status == GAN_OK && elapsed < seconds);
    const double cpu_elapsed = cpu_seconds() - cpu_start;
    const int cpu_clock = train_cpu_clock && gan_threads_count() == 1;
    if (cpu_clock) elapsed = cpu_elapsed;
    const double rate = b->status == GAN_OK ? steps / elapsed : 0.0;
    if (b->windows < MAX_WINDOWS) {
        b->rates[b->windows] = rate;
        b->cpu_rates[b->windows] = b->status == GAN_OK && cpu_elapsed > 0.0 ? steps / cpu_elapsed : 0.0;
    }
    b->windows++;
    if (rate > b->best) b->best = rate;
    if (steps_out) *steps_out = steps;
    if (elapsed_out) *elapsed_out = elapsed;
    if (cpu_elapsed_out) *cpu_elapsed_out = cpu_elapsed;
    return rate;
}

static void train_free(train_bench *b)
{
    gan_free(b->model);
    free(b->images);
    b->model = NULL;
    b->images = NULL;
}

/* The training result: one JSON line or one line of text. Returns 1 on error. */
static int print_train_result(const train_bench *b, int json)
{
    if (b->status != GAN_OK) {
        if (json)
            printf("{\"kind\":\"train\",\"model\":\"%s\",\"error\":\"%s\"}\n", b->name,
                   gan_status_string(b->status));
        else
            printf("%-8s error: %s\n", b->name, gan_status_string(b->status));
        fflush(stdout);
        return 1;
    }
    if (json) {
        printf("{\"kind\":\"train\",\"model\":\"%s\",\"threads\":%d,\"kernel\":\"%s\",\"batch\":%d,"
               "\"data\":\"%s\",\"clock\":\"%s\",",
               b->name, gan_threads_count(), gemm_kernel_name(), b->config.batch_size,
               b->real_data ? "idx" : "synthetic",
               train_cpu_clock && gan_threads_count() == 1 ? "cpu" : "wall");
        if (b->best > 0.0) printf("\"itPerSec\":%.3f,\"msPerIt\":%.3f,", b->best, 1000.0 / b->best);
        else printf("\"itPerSec\":null,\"msPerIt\":null,"); /* --serve ended before any window */
        printf("\"windows\":[");
        for (int w = 0; w < b->windows && w < MAX_WINDOWS; w++) printf("%s%.3f", w ? "," : "", b->rates[w]);
        printf("],\"cpuWindows\":[");
        for (int w = 0; w < b->windows && w < MAX_WINDOWS; w++) printf("%s%.3f", w ? "," : "", b->cpu_rates[w]);
        printf("],\"warmupSeconds\":%.3f,\"peakRssBytes\":%.0f}\n", b->warmup_seconds, peak_rss_bytes());
    } else {
        double best_cpu = 0.0;
        for (int w = 0; w < b->windows && w < MAX_WINDOWS; w++)
            if (b->cpu_rates[w] > best_cpu) best_cpu = b->cpu_rates[w];
        printf("%-8s %10.2f it/s %10.2f ms/it   (by CPU time %.2f it/s, %.2f ms/it)\n", b->name, b->best,
               1000.0 / b->best, best_cpu, best_cpu > 0.0 ? 1000.0 / best_cpu : 0.0);
    }
    fflush(stdout);
    return 0;
}

/* Training iterations/s of one model: the best of `windows` windows. */
static int bench_train(const char *spec, double seconds, int windows, int json)
{
    train_bench *b = malloc(sizeof *b);
    if (!b) return 1;
    train_setup(spec, b);
    for (int w = 0; w < windows && b->status == GAN_OK; w++) train_window(b, seconds, NULL, NULL, NULL);
    const int failed = print_train_result(b, json);
    train_free(b);
    free(b);
    return failed;
}

/* A command for the JSON error line: quotes and backslashes escaped, control bytes dropped. */
static void json_escape(const char *in, char *out, size_t size)
{
    size_t o = 0;
    for (; *in && o + 2 < size; in++) {
        if ((unsigned char)*in < 0x20) continue;
        if (*in == '"' || *in == '\\') out[o++] = '\\';
        out[o++] = *in;
    }
    out[o] = '\0';
}

/* --serve: bench/serve.mjs's protocol on stdin/stdout for one model. */
static int serve_train(const char *spec)
{
    train_bench *b = malloc(sizeof *b);
    if (!b) return 1;
    if (train_setup(spec, b) != GAN_OK) {
        const int failed = print_train_result(b, 1);
        train_free(b);
        free(b);
        return failed;
    }
    printf("{\"ready\":true,\"kind\":\"train\",\"model\":\"%s\",\"threads\":%d,\"kernel\":\"%s\","
           "\"warmupSeconds\":%.3f}\n",
           b->name, gan_threads_count(), gemm_kernel_name(), b->warmup_seconds);
    fflush(stdout);
    char line[256];
    int index = 0;
    while (fgets(line, sizeof line, stdin)) {
        size_t length = strlen(line);
        while (length && (line[length - 1] == '\n' || line[length - 1] == '\r' || line[length - 1] == ' '))
            line[--length] = '\0';
        const char *command = line;
        while (*command == ' ' || *command == '\t') command++;
        if (!*command) continue;
        if (strcmp(command, "end") == 0) break;
        double seconds = 0.0;
        int used = 0;
        if (strncmp(command, "window ", 7) == 0 && sscanf(command + 7, "%lf%n", &seconds, &used) == 1 &&
            command[7 + used] == '\0' && seconds > 0.0 && seconds < 1e6) {
            uint32_t steps = 0;
            double elapsed = 0.0, cpu_elapsed = 0.0;
            const double start = epoch_ms();
            const double rate = train_window(b, seconds, &steps, &elapsed, &cpu_elapsed);
            const double end = epoch_ms();
            printf("{\"window\":%d,\"itPerSec\":%.3f,\"wallItPerSec\":%.3f,\"iterations\":%u,\"seconds\":%.6f,"
                   "\"cpuSeconds\":%.6f,\"status\":\"%s\",\"start\":%.3f,\"end\":%.3f}\n",
                   index++, rate, b->status == GAN_OK ? 1e3 * steps / (end - start) : 0.0, steps, elapsed,
                   cpu_elapsed, gan_status_string(b->status), start, end);
        } else {
            char escaped[512];
            json_escape(command, escaped, sizeof escaped);
            printf("{\"error\":\"%s \\\"%s\\\"; expected \\\"window SECONDS\\\" or \\\"end\\\"\"}\n",
                   strncmp(command, "window", 6) == 0 ? "serve: window needs one positive number of seconds, got"
                                                       : "serve: unknown command",
                   escaped);
        }
        fflush(stdout);
    }
    const int failed = print_train_result(b, 1);
    train_free(b);
    free(b);
    return failed;
}

int main(int argc, char **argv)
{
    int json = 0, windows = 3, train_count = 0, serve = 0, threads = 1;
    double seconds = 2.0;
    const char *only = NULL, *train[16];
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0) json = 1;
        else if (strcmp(argv[i], "--serve") == 0) serve = 1;
        else if (strcmp(argv[i], "--train") == 0 && i + 1 < argc && train_count < 16)
            train[train_count++] = argv[++i];
        else if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc) seconds = atof(argv[++i]);
        else if (strcmp(argv[i], "--windows") == 0 && i + 1 < argc) windows = atoi(argv[++i]);
        else if (strcmp(argv[i], "--only") == 0 && i + 1 < argc) only = argv[++i];
        else if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc) threads = atoi(argv[++i]);
        else if (strcmp(argv[i], "--batch") == 0 && i + 1 < argc) train_batch = atoi(argv[++i]);
        else if (strcmp(argv[i], "--data") == 0 && i + 1 < argc) train_data_path = argv[++i];
        else if (strcmp(argv[i], "--clock") == 0 && i + 1 < argc) {
            gemm_wall_clock = strcmp(argv[++i], "wall") == 0;
            train_cpu_clock = strcmp(argv[i], "cpu") == 0;
        } else {
            fprintf(stderr, "usage: gan_bench [--json] [--seconds S] [--windows W] [--only gemm|train] "
                            "[--clock cpu|wall] [--threads N] [--batch B] [--data IDX]\n"
                            "                 [--train NAME[=PRESET[,KEY=VALUE]...]]...\n"
                            "       gan_bench --serve [--threads N] [--batch B] [--data IDX] [--clock cpu|wall] "
                            "--train NAME[=PRESET[,KEY=VALUE]...]\n");
            return 2;
        }
    }
    /* Training on N threads (src/threads.c's pool natively); GEMM tables on one. */
    if (threads > 1 && gan_threads_set_count(threads) != threads) {
        fprintf(stderr, "gan_bench: could not start %d threads\n", threads);
        return 1;
    }
    if (serve) {
        if (train_count != 1) {
            fprintf(stderr, "gan_bench: --serve needs exactly one --train model\n");
            return 2;
        }
        return serve_train(train[0]);
    }
    if (seconds <= 0.0) seconds = 2.0;
    if (windows < 1) windows = 1;
    int failed = 0;
    if (!only || strcmp(only, "gemm") == 0) failed |= bench_gemm(json);
    if (!only || strcmp(only, "train") == 0) {
        if (!json)
            printf("\nnative training (%s GEMM), %d thread(s), batch %d, k = 1, %s, best of %d windows of "
                   "%.1f s of %s time\n",
                   gemm_kernel_name(), gan_threads_count(), train_batch,
                   train_data_path ? train_data_path : "synthetic pixels", windows, seconds,
                   train_cpu_clock && gan_threads_count() == 1 ? "CPU" : "wall-clock");
        if (!train_count) {
            train[train_count++] = "paper";
            train[train_count++] = "small";
        }
        for (int t = 0; t < train_count; t++) failed |= bench_train(train[t], seconds, windows, json);
    }
    return failed;
}
