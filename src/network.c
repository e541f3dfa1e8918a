/*
 * network.c - layers (dense, activations, maxout, dropout, convolutions,
 * pooling) and the network that strings them together.
 */
#include "network.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detmath.h"
#include "gemm.h"
#include "threads.h" /* par_gemm_*, par_for: split across threads in the threads build */

/* The elementwise kernels below are written once in scalar C (the reference,
 * and the whole loop in builds without SIMD128) and, in the SIMD wasm build,
 * once more with wasm_simd128.h for four values at a time (simd128.h: in the
 * SIMD wasm build, and natively the same lanes on vector extensions), the scalar loop
 * then doing the last N % 4. Each lane performs the scalar code's operations
 * in its order (IEEE multiply, add, divide and compare; selects instead of
 * branches), so both give the same bits: tests/node/kernels.test.mjs trains
 * the same models in the SIMD and the scalar wasm builds and compares. */
#include "simd128.h"
#ifdef GAN_SIMD128
#define SIMD_LOOP(i, N) for (; (i) + 4 <= (N); (i) += 4)
#define LOAD(p) wasm_v128_load(p)
#define STORE(p, v) wasm_v128_store((p), (v))
#define SPLAT(x) wasm_f32x4_splat(x)
#endif

/* Work per chunk below which the threads build does not split a loop: the
 * SIMD loops run about a float a nanosecond, and each split job costs a
 * wake-up and a wait at its end (see threads.c), so only large layers split. */
#define MIN_CHUNK_FLOATS 32768

static size_t min_rows(int width) { return MIN_CHUNK_FLOATS / (size_t)(width > 0 ? width : 1) + 1; }

typedef struct {
    float *out;
    const float *bias;
    const float *dout;
    int B, OC;
} bias_job;

/* out[b][o] += bias[o] for rows [b0, b1) */
static void bias_rows(void *ctx, size_t b0, size_t b1)
{
    const bias_job *j = ctx;
    const size_t OC = (size_t)j->OC;
    for (size_t b = b0; b < b1; b++) {
        float *out_b = j->out + b * OC;
        size_t o = 0;
#ifdef GAN_SIMD128
        SIMD_LOOP(o, OC) STORE(out_b + o, wasm_f32x4_add(LOAD(out_b + o), LOAD(j->bias + o)));
#endif
        for (; o < OC; o++) out_b[o] += j->bias[o];
    }
}

/* dbias[o] = sum over b of dout[b][o] (in b order) for columns [o0, o1) */
static void bias_grad_columns(void *ctx, size_t o0, size_t o1)
{
    const bias_job *j = ctx;
    float *dbias = j->out;
    memset(dbias + o0, 0, (o1 - o0) * sizeof(float));
    for (int b = 0; b < j->B; b++) {
        const float *dout_b = j->dout + (size_t)b * j->OC;
        size_t o = o0;
#ifdef GAN_SIMD128
        SIMD_LOOP(o, o1) STORE(dbias + o, wasm_f32x4_add(LOAD(dbias + o), LOAD(dout_b + o)));
#endif
        for (; o < o1; o++) dbias[o] += dout_b[o];
    }
}

/* ---- layer kernels ------------------------------------------------------ */

void dense_forward(float *out, const float *inp, const float *weight, const float *bias,
                   int B, int C, int OC)
{
    // out [B, OC] = inp [B, C] * weight [C, OC], then + bias [OC] on every row
    par_gemm_nn(B, OC, C, inp, C, weight, OC, out, OC, 0);
    bias_job job = {out, bias, NULL, B, OC};
    par_for((size_t)B, 1, min_rows(OC), bias_rows, &job);
}

void dense_backward(float *dinp, float *dweight, float *dbias, const float *dout,
                    const float *inp, const float *weight, int B, int C, int OC)
{
    if (dweight) {
        // dweight [C, OC] = inp^T [C, B] * dout [B, OC]
        par_gemm_tn(C, OC, B, inp, C, dout, OC, dweight, OC, 0);
        // dbias [OC] = sum over rows of dout (each column in row order, whatever the split)
        bias_job job = {dbias, NULL, dout, B, OC};
        par_for((size_t)OC, 16, min_rows(B), bias_grad_columns, &job);
    }
    if (dinp) {
        // dinp [B, C] = dout [B, OC] * weight^T [OC, C]
        par_gemm_nt(B, C, OC, dout, OC, weight, OC, dinp, C, 0);
    }
}

/* In the SIMD loops, x > 0 ? a : b is bitselect(a, b, x > 0) (NaN compares
 * false, as in C), and x > 0 ? a : 0 is a AND the comparison's mask (+0). */

void relu_forward(float *out, const float *inp, size_t N)
{
    size_t i = 0;
#ifdef GAN_SIMD128
    SIMD_LOOP(i, N) {
        const v128_t x = LOAD(inp + i);
        STORE(out + i, wasm_v128_and(x, wasm_f32x4_gt(x, SPLAT(0.0f))));
    }
#endif
    for (; i < N; i++) out[i] = inp[i] > 0.0f ? inp[i] : 0.0f;
}

void relu_backward(float *dinp, const float *dout, const float *inp, size_t N)
{
    size_t i = 0;
#ifdef GAN_SIMD128
    SIMD_LOOP(i, N) STORE(dinp + i, wasm_v128_and(LOAD(dout + i), wasm_f32x4_gt(LOAD(inp + i), SPLAT(0.0f))));
#endif
    for (; i < N; i++) dinp[i] = inp[i] > 0.0f ? dout[i] : 0.0f;
}

void leaky_relu_forward(float *out, const float *inp, float slope, size_t N)
{
    size_t i = 0;
#ifdef GAN_SIMD128
    SIMD_LOOP(i, N) {
        const v128_t x = LOAD(inp + i);
        STORE(out + i, wasm_v128_bitselect(x, wasm_f32x4_mul(SPLAT(slope), x), wasm_f32x4_gt(x, SPLAT(0.0f))));
    }
#endif
    for (; i < N; i++) out[i] = inp[i] > 0.0f ? inp[i] : slope * inp[i];
}

void leaky_relu_backward(float *dinp, const float *dout, const float *inp, float slope, size_t N)
{
    size_t i = 0;
#ifdef GAN_SIMD128
    SIMD_LOOP(i, N) {
        const v128_t d = LOAD(dout + i);
        STORE(dinp + i, wasm_v128_bitselect(d, wasm_f32x4_mul(SPLAT(slope), d), wasm_f32x4_gt(LOAD(inp + i), SPLAT(0.0f))));
    }
#endif
    for (; i < N; i++) dinp[i] = inp[i] > 0.0f ? dout[i] : slope * dout[i];
}

void sigmoid_forward(float *out, const float *inp, size_t N)
{
    size_t i = 0;
#ifdef GAN_SIMD128
    SIMD_LOOP(i, N) {
        const v128_t e = det_expf_f32x4(wasm_f32x4_neg(LOAD(inp + i)));
        STORE(out + i, wasm_f32x4_div(SPLAT(1.0f), wasm_f32x4_add(SPLAT(1.0f), e)));
    }
#endif
    for (; i < N; i++) out[i] = 1.0f / (1.0f + det_expf(-inp[i]));
}

void sigmoid_backward(float *dinp, const float *dout, const float *out, size_t N)
{
    size_t i = 0;
#ifdef GAN_SIMD128
    SIMD_LOOP(i, N) {
        const v128_t y = LOAD(out + i);
        STORE(dinp + i, wasm_f32x4_mul(wasm_f32x4_mul(LOAD(dout + i), y), wasm_f32x4_sub(SPLAT(1.0f), y)));
    }
#endif
    for (; i < N; i++) dinp[i] = dout[i] * out[i] * (1.0f - out[i]);
}

void tanh_forward(float *out, const float *inp, size_t N)
{
    size_t i = 0;
#ifdef GAN_SIMD128
    SIMD_LOOP(i, N) {
        const v128_t x = LOAD(inp + i), negative = wasm_f32x4_lt(x, SPLAT(0.0f));
        const v128_t a = wasm_v128_bitselect(wasm_f32x4_neg(x), x, negative);
        const v128_t e = det_expf_f32x4(wasm_f32x4_mul(SPLAT(-2.0f), a));
        const v128_t t = wasm_f32x4_div(wasm_f32x4_sub(SPLAT(1.0f), e), wasm_f32x4_add(SPLAT(1.0f), e));
        STORE(out + i, wasm_v128_bitselect(wasm_f32x4_neg(t), t, negative));
    }
#endif
    // tanh(x) = sign(x) (1 - e^-2|x|) / (1 + e^-2|x|): no overflow for any x
    for (; i < N; i++) {
        float x = inp[i], a = x < 0.0f ? -x : x;
        float e = det_expf(-2.0f * a);
        float t = (1.0f - e) / (1.0f + e);
        out[i] = x < 0.0f ? -t : t;
    }
}

void tanh_backward(float *dinp, const float *dout, const float *out, size_t N)
{
    size_t i = 0;
#ifdef GAN_SIMD128
    SIMD_LOOP(i, N) {
        const v128_t y = LOAD(out + i);
        STORE(dinp + i, wasm_f32x4_mul(LOAD(dout + i), wasm_f32x4_sub(SPLAT(1.0f), wasm_f32x4_mul(y, y))));
    }
#endif
    for (; i < N; i++) dinp[i] = dout[i] * (1.0f - out[i] * out[i]);
}

/* Maxout: the first of equal maxima wins and a NaN never wins (the scalar
 * comparisons below), in both kernels, so backward routes to forward's
 * winner. Which piece wins is close to random, so the scalar loop's branches
 * mispredict about twice a unit; the SIMD build compares four units at a
 * time (piece p of units i..i+3 gathered into one vector) with selects, and
 * needs no branch at all. */
#ifdef GAN_SIMD128
/* piece p of the four units whose groups start at g */
static inline v128_t maxout_piece4(const float *g, int pieces, int p)
{
    return wasm_f32x4_make(g[p], g[pieces + p], g[2 * pieces + p], g[3 * pieces + p]);
}

/* The four units' maxima, and in *winner the piece each came from. */
static inline v128_t maxout_best4(const float *g, int pieces, v128_t *winner)
{
    v128_t best = maxout_piece4(g, pieces, 0);
    *winner = wasm_i32x4_splat(0);
    for (int p = 1; p < pieces; p++) {
        const v128_t x = maxout_piece4(g, pieces, p), better = wasm_f32x4_gt(x, best);
        best = wasm_v128_bitselect(x, best, better);
        *winner = wasm_v128_bitselect(wasm_i32x4_splat(p), *winner, better);
    }
    return best;
}
#endif

void maxout_forward(float *out, const float *inp, int B, int units, int pieces)
{
    // out [B, units], inp [B, units * pieces]
    size_t n = (size_t)B * units, i = 0;
#ifdef GAN_SIMD128
    SIMD_LOOP(i, n) {
        v128_t winner; /* unused here: the compiler drops it */
        STORE(out + i, maxout_best4(inp + i * pieces, pieces, &winner));
    }
#endif
    for (; i < n; i++) {
        const float *group = inp + i * pieces;
        float best = group[0];
        for (int p = 1; p < pieces; p++)
            if (group[p] > best) best = group[p];
        out[i] = best;
    }
}

void maxout_backward(float *dinp, const float *dout, const float *inp, int B, int units,
                     int pieces)
{
    // the winner is recomputed from the forward input, with the same rule
    size_t n = (size_t)B * units, i = 0;
#ifdef GAN_SIMD128
    SIMD_LOOP(i, n) {
        v128_t winner;
        maxout_best4(inp + i * pieces, pieces, &winner);
        const v128_t d = LOAD(dout + i);
        float *dg = dinp + i * pieces;
        for (int p = 0; p < pieces; p++) {
            const v128_t v = wasm_v128_and(d, wasm_i32x4_eq(winner, wasm_i32x4_splat(p)));
            dg[p] = wasm_f32x4_extract_lane(v, 0);
            dg[pieces + p] = wasm_f32x4_extract_lane(v, 1);
            dg[2 * pieces + p] = wasm_f32x4_extract_lane(v, 2);
            dg[3 * pieces + p] = wasm_f32x4_extract_lane(v, 3);
        }
    }
#endif
    for (; i < n; i++) {
        const float *group = inp + i * pieces;
        float *dgroup = dinp + i * pieces;
        int winner = 0;
        for (int p = 1; p < pieces; p++)
            if (group[p] > group[winner]) winner = p;
        for (int p = 0; p < pieces; p++) dgroup[p] = 0.0f;
        dgroup[winner] = dout[i];
    }
}

/* Dropout over [begin, end) with the draws from *rng: the mask (1/keep_prob
 * where the draw is below keep_prob, else 0) and the product. */
static void dropout_range(float *out, const float *inp, float *mask, float keep_prob, prng *rng,
                          size_t begin, size_t end)
{
    // the draws first (the generator's state stays in registers), then the
    // mask and the product over the range
    prng_fill_uniform(rng, mask + begin, end - begin);
    const float scale = 1.0f / keep_prob;
    size_t i = begin;
#ifdef GAN_SIMD128
    SIMD_LOOP(i, end) {
        const v128_t m = wasm_v128_and(SPLAT(scale), wasm_f32x4_lt(LOAD(mask + i), SPLAT(keep_prob)));
        STORE(mask + i, m);
        STORE(out + i, wasm_f32x4_mul(LOAD(inp + i), m));
    }
#endif
    for (; i < end; i++) {
        mask[i] = mask[i] < keep_prob ? scale : 0.0f;
        out[i] = inp[i] * mask[i];
    }
}

/* A long dropout on several threads: the draws are cut into at most
 * DROPOUT_SEGMENTS segments of 2^log2 numbers, whose first states the
 * training thread finds with prng_jump, so each segment draws the numbers
 * one stream would have given it, on any thread. */
enum { DROPOUT_SEGMENTS = 64 };

typedef struct {
    float *out, *mask;
    const float *inp;
    float keep_prob;
    size_t n, segment;
    prng start[DROPOUT_SEGMENTS];
    prng end; /* after the last draw: written by the range that makes it */
} dropout_job;

static void dropout_segments(void *ctx, size_t s0, size_t s1)
{
    dropout_job *j = ctx;
    prng rng = j->start[s0];
    const size_t begin = s0 * j->segment, end = s1 * j->segment < j->n ? s1 * j->segment : j->n;
    dropout_range(j->out, j->inp, j->mask, j->keep_prob, &rng, begin, end);
    if (end == j->n) j->end = rng;
}

void dropout_forward(float *out, const float *inp, float *mask, float keep_prob, prng *rng,
                     size_t N)
{
    if (!rng) {
        memcpy(out, inp, N * sizeof(float));
        return;
    }
    int log2 = PRNG_JUMP_MIN_LOG2;
    while (log2 < PRNG_JUMP_MAX_LOG2 && (N >> log2) >= DROPOUT_SEGMENTS) log2++;
    const size_t segment = (size_t)1 << log2, segments = (N + segment - 1) / segment;
    if (gan_threads_count() < 2 || segments < 2 || segments > DROPOUT_SEGMENTS) {
        dropout_range(out, inp, mask, keep_prob, rng, 0, N);
        return;
    }
    dropout_job j;
    j.out = out;
    j.mask = mask;
    j.inp = inp;
    j.keep_prob = keep_prob;
    j.n = N;
    j.segment = segment;
    j.start[0] = *rng;
    for (size_t s = 1; s < segments; s++) {
        j.start[s] = j.start[s - 1];
        prng_jump(&j.start[s], log2);
    }
    par_for(segments, 1, 1, dropout_segments, &j);
    *rng = j.end;
}

void dropout_backward(float *dinp, const float *dout, const float *mask, size_t N)
{
    size_t i = 0;
#ifdef GAN_SIMD128
    SIMD_LOOP(i, N) STORE(dinp + i, wasm_f32x4_mul(LOAD(dout + i), LOAD(mask + i)));
#endif
    for (; i < N; i++) dinp[i] = dout[i] * mask[i];
}


/* ---- images ------------------------------------------------------------- */

/* Convolutions are dense layers on patches: im2col lays each output
 * position's kernel x kernel x C patch out as a row, one GEMM multiplies
 * those rows by the weights, and col2im (im2col's adjoint) adds rows back
 * into an image where a transposed convolution or a gradient needs it:
 *
 *   conv            forward   out  = im2col(inp) W                   gemm_nn
 *                   backward  dW   = im2col(inp)^T dout              gemm_tn
 *                             dinp = col2im(dout W^T)                gemm_nt
 *   conv transpose  forward   out  = col2im(inp W^T)                 gemm_nt
 *                   backward  dW   = im2col(dout)^T inp              gemm_tn
 *                             dinp = im2col(dout) W                  gemm_nn
 *
 * with W [K * K * C_image, C_grid] in both, so a transposed convolution's
 * weights have the shape of the convolution it transposes.
 *
 * The rows of a batch go through the col scratch `chunk` examples at a
 * time, and each pass over a chunk is one par_for job over its examples in
 * which a thread takes some examples from patches to outputs: im2col, the
 * products on those examples' rows, col2im. The patch rows are written and
 * read by the same core while they are in its cache (a product split apart
 * from its im2col read rows another core had written, at about half the
 * speed), and one job replaces two or three. No result depends on chunk,
 * thread or kernel: rows of a product are independent (each element's sum
 * is sequential in k, gemm.h), col2im sums every pixel of its example in one
 * fixed order, and a weight gradient, which sums over every example, sums
 * over fixed blocks of examples first (image_layer_backward).
 *
 * Patch rows lie col_stride floats apart (conv_col_stride, network.h): a
 * K * K * C of 1024 (a 4 x 4 kernel on 64 channels) would put rows 4 KiB
 * apart, all in one cache set, and the weight gradient's gemm_tn, which
 * walks down four columns of col, then ran at half the GEMM's speed. The
 * GEMMs touch only the first K * K * C floats of a row, so the stride
 * changes no result either. */

/* The kernel columns [lo, hi) of a patch starting at column iw0 that fall
 * inside an image W wide (the rest read padding). */
static inline void kernel_columns_inside(int iw0, int K, int W, int *lo, int *hi)
{
    *lo = iw0 < 0 ? -iw0 : 0;
    *hi = iw0 + K > W ? W - iw0 : K;
    if (*lo > K) *lo = K;
    if (*hi < *lo) *hi = *lo;
}

int conv_col_stride(int row_floats)
{
    if (row_floats < 32) return row_floats;
    const int lines = (row_floats + 15) / 16; /* 16 floats a line */
    return 16 * (lines % 2 ? lines : lines + 1);
}

/* Floats from one patch row of col to the next. */
static size_t col_row_stride(const conv_geometry *g)
{
    return g->col_stride > 0 ? (size_t)g->col_stride : (size_t)g->kernel * g->kernel * g->channels;
}

/* Kernel rows of at most this many floats (K * C: a 4 x 4 kernel on up to 8
 * channels) are copied by im2col in one select loop. */
#define SHORT_RUN 32

void im2col(float *col, const float *image, const conv_geometry *g)
{
    const int K = g->kernel, C = g->channels, H = g->height, W = g->width;
    const size_t run = (size_t)K * C; /* one kernel row of a patch */
    const size_t row_stride = col_row_stride(g);
    for (int oh = 0; oh < g->out_height; oh++) {
        const int ih0 = oh * g->stride - g->padding;
        for (int ow = 0; ow < g->out_width; ow++) {
            const int iw0 = ow * g->stride - g->padding;
            float *dst = col + ((size_t)oh * g->out_width + ow) * row_stride;
            int lo, hi;
            kernel_columns_inside(iw0, K, W, &lo, &hi);
            for (int kh = 0; kh < K; kh++, dst += run) {
                const int ih = ih0 + kh;
                if (ih < 0 || ih >= H) {
                    memset(dst, 0, run * sizeof(float));
                    continue;
                }
                if (run <= SHORT_RUN) {
                    /* one loop, which the compiler keeps (three calls to
                     * memset and memcpy of a few bytes each cost more than
                     * the GEMM on a one-channel image) */
                    const ptrdiff_t first = ((ptrdiff_t)ih * W + iw0) * C; /* kw = 0, c = 0 */
                    const int a = lo * C, b = hi * C;
                    for (int j = 0; j < (int)run; j++) dst[j] = j >= a && j < b ? image[first + j] : 0.0f;
                    continue;
                }
                if (lo > 0) memset(dst, 0, (size_t)lo * C * sizeof(float));
                memcpy(dst + (size_t)lo * C, image + ((size_t)ih * W + iw0 + lo) * C,
                       (size_t)(hi - lo) * C * sizeof(float));
                if (hi < K) memset(dst + (size_t)hi * C, 0, (size_t)(K - hi) * C * sizeof(float));
            }
        }
    }
}

void col2im(float *image, const float *col, const conv_geometry *g)
{
    const int K = g->kernel, C = g->channels, H = g->height, W = g->width;
    const size_t run = (size_t)K * C;
    const size_t row_stride = col_row_stride(g);
    memset(image, 0, (size_t)H * W * C * sizeof(float));
    for (int oh = 0; oh < g->out_height; oh++) {
        const int ih0 = oh * g->stride - g->padding;
        for (int ow = 0; ow < g->out_width; ow++) {
            const int iw0 = ow * g->stride - g->padding;
            const float *src = col + ((size_t)oh * g->out_width + ow) * row_stride;
            int lo, hi;
            kernel_columns_inside(iw0, K, W, &lo, &hi);
            for (int kh = 0; kh < K; kh++, src += run) {
                const int ih = ih0 + kh;
                if (ih < 0 || ih >= H) continue;
                float *d = image + ((size_t)ih * W + iw0 + lo) * C;
                const float *s = src + (size_t)lo * C;
                const size_t n = (size_t)(hi - lo) * C;
                size_t i = 0;
#ifdef __wasm_simd128__
                SIMD_LOOP(i, n) STORE(d + i, wasm_f32x4_add(LOAD(d + i), LOAD(s + i)));
#endif
                for (; i < n; i++) d[i] += s[i];
            }
        }
    }
}

static size_t image_size(const conv_geometry *g)
{
    return (size_t)g->height * g->width * g->channels;
}


/* Sums over many rows of few columns (a convolution's tied bias gradient,
 * batch normalisation's statistics) would leave a split over columns one or
 * two chunks: so the rows are cut into ROW_BLOCKS blocks, fixed by the row
 * count alone, each summed in row order into its own partial sums (in the
 * caller's `sums` scratch), and the partial sums are added in block order.
 * The blocks may run on any thread: the same bits. */
static size_t row_block_start(size_t rows, size_t block)
{
    return block * rows / ROW_BLOCKS;
}

/* par_for's smallest chunk, in blocks, for row blocks of `rows` rows of
 * `width` columns: min_rows' work */
static size_t min_blocks(size_t rows, int width)
{
    const size_t block_rows = rows / ROW_BLOCKS + 1;
    return (min_rows(width) + block_rows - 1) / block_rows;
}

size_t bias_sums_count(int width)
{
    return ((size_t)ROW_BLOCKS * (size_t)width + 1) / 2; /* floats, in doubles */
}

typedef struct {
    const float *dout;
    size_t rows, width;
    float *partial; /* [ROW_BLOCKS][width] */
} bias_blocks_job;

static void bias_grad_blocks(void *ctx, size_t k0, size_t k1)
{
    bias_blocks_job *j = ctx;
    for (size_t k = k0; k < k1; k++) {
        float *sum = j->partial + k * j->width;
        memset(sum, 0, j->width * sizeof(float));
        for (size_t r = row_block_start(j->rows, k); r < row_block_start(j->rows, k + 1); r++) {
            const float *dout_r = j->dout + r * j->width;
            size_t o = 0;
#ifdef GAN_SIMD128
            SIMD_LOOP(o, j->width) STORE(sum + o, wasm_f32x4_add(LOAD(sum + o), LOAD(dout_r + o)));
#endif
            for (; o < j->width; o++) sum[o] += dout_r[o];
        }
    }
}

/* dbias = sums of dout [B, positions, OC] over examples (untied: each column
 * in row order) or over examples and positions (tied: in row blocks) */
static void bias_gradient(float *dbias, const float *dout, int B, int positions, int OC,
                          int untied, double *sums)
{
    if (untied) {
        const int width = positions * OC;
        bias_job job = {dbias, NULL, dout, B, width};
        par_for((size_t)width, 16, min_rows(B), bias_grad_columns, &job);
        return;
    }
    const size_t rows = (size_t)B * (size_t)positions;
    bias_blocks_job job = {dout, rows, (size_t)OC, (float *)sums};
    par_for(ROW_BLOCKS, 1, min_blocks(rows, OC), bias_grad_blocks, &job);
    for (int o = 0; o < OC; o++) {
        float sum = job.partial[o];
        for (size_t k = 1; k < ROW_BLOCKS; k++) sum += job.partial[k * (size_t)OC + o];
        dbias[o] = sum;
    }
}

/* A forward pass over examples (see "images" above). */
typedef struct {
    const float *inp;    /* the examples read: images (im2col) or rows (col2im side) */
    float *out;          /* the examples written */
    const float *weight, *bias;
    float *col;
    const conv_geometry *g;
    int channels;        /* the grid's channels: OC of a convolution, C of a transposed one */
    int untied;
    int bias_on_image;   /* a transposed convolution adds its bias to the image */
} examples_job;

static int patch_floats(const conv_geometry *g) { return g->kernel * g->kernel * g->channels; }

static int positions(const conv_geometry *g) { return g->out_height * g->out_width; }

/* out rows of examples [b0, b1) += bias (tied: every position; untied: per position) */
static void add_bias_examples(float *out, const float *bias, size_t b0, size_t b1, int P, int width,
                              int untied)
{
    bias_job job = {NULL, bias, NULL, 0, untied ? P * width : width};
    const size_t rows_per_example = untied ? 1 : (size_t)P;
    job.out = out + b0 * rows_per_example * (size_t)job.OC;
    bias_rows(&job, 0, (b1 - b0) * rows_per_example);
}

/* conv forward: out rows = im2col(images) W (+ bias) */
static void conv_forward_examples(void *ctx, size_t b0, size_t b1)
{
    const examples_job *j = ctx;
    const conv_geometry *g = j->g;
    const size_t P = (size_t)positions(g), LD = col_row_stride(g), OC = (size_t)j->channels;
    for (size_t b = b0; b < b1; b++) im2col(j->col + b * P * LD, j->inp + b * image_size(g), g);
    gemm_nn((int)((b1 - b0) * P), (int)OC, patch_floats(g), j->col + b0 * P * LD, (int)LD,
            j->weight, (int)OC, j->out + b0 * P * OC, (int)OC, 0);
    add_bias_examples(j->out, j->bias, b0, b1, (int)P, (int)OC, j->untied);
}

/* col2im side: images = col2im(rows W^T) (+ bias): a convolution's input
 * gradient from dout rows, a transposed convolution's forward from its input */
static void rows_to_images_examples(void *ctx, size_t b0, size_t b1)
{
    const examples_job *j = ctx;
    const conv_geometry *g = j->g;
    const size_t P = (size_t)positions(g), LD = col_row_stride(g), C = (size_t)j->channels;
    gemm_nt((int)((b1 - b0) * P), patch_floats(g), (int)C, j->inp + b0 * P * C, (int)C, j->weight,
            (int)C, j->col + b0 * P * LD, (int)LD, 0);
    for (size_t b = b0; b < b1; b++) col2im(j->out + b * image_size(g), j->col + b * P * LD, g);
    if (j->bias_on_image)
        add_bias_examples(j->out, j->bias, b0, b1, g->height * g->width, g->channels, j->untied);
}

/* par_for's smallest chunk, in units of `macs` multiply-adds of products each:
 * 8 MIN_CHUNK_FLOATS multiply-adds (a product runs several times faster per
 * multiply-add than the loops MIN_CHUNK_FLOATS is counted in). */
static size_t min_units(double macs) { return (size_t)(8.0 * MIN_CHUNK_FLOATS / macs) + 1; }

/* par_for over n examples */
static void par_examples(int n, const conv_geometry *g, int channels, par_range_fn *fn,
                         examples_job *job)
{
    par_for((size_t)n, 1, min_units((double)positions(g) * patch_floats(g) * channels), fn, job);
}

void conv_forward(float *out, const float *inp, const float *weight, const float *bias,
                  float *col, int B, const conv_geometry *g, int OC, int untied, int chunk)
{
    const size_t P = (size_t)positions(g);
    for (int b0 = 0; b0 < B; b0 += chunk) {
        const int n = B - b0 < chunk ? B - b0 : chunk;
        // out rows [n * P, OC] = patches of inp rows b0.. times weight [KC, OC], + bias
        examples_job job = {inp + b0 * image_size(g), out + (size_t)b0 * P * OC, weight, bias,
                            col, g, OC, untied, 0};
        par_examples(n, g, OC, conv_forward_examples, &job);
    }
}

/* A weight gradient sums over every example, so it cannot be cut by
 * examples as it stands: its sum runs over fixed blocks of examples instead,
 * block k holding examples [k B / blocks, (k + 1) B / blocks), each block's
 * partial sum in row order (a gemm_tn, continued with accumulate on where a
 * chunk of the batch ends inside a block), and the partial sums are then
 * added in block order. The blocks depend on B and the layer's shape only,
 * so the bits are the same for any chunk, thread count or kernel, and a
 * block's patches, partial sum and input gradient are all one thread's. */
#define WEIGHT_PARTIAL_FLOATS (1 << 20)

static int conv_weight_blocks(int KC, int channels)
{
    const double per_block = (double)KC * channels;
    const double blocks = per_block > 0 ? (double)(long long)(WEIGHT_PARTIAL_FLOATS / per_block) : 1;
    return blocks < 1 ? 1 : blocks > ROW_BLOCKS ? ROW_BLOCKS : (int)blocks;
}

static size_t conv_weight_sums_count(int KC, int channels)
{
    return ((size_t)conv_weight_blocks(KC, channels) * (size_t)KC * (size_t)channels + 1) / 2;
}

size_t conv_sums_count(const conv_geometry *g, int channels, int transpose)
{
    const size_t bias = bias_sums_count(transpose ? g->channels : channels);
    const size_t weight = conv_weight_sums_count(g->kernel * g->kernel * g->channels, channels);
    return bias > weight ? bias : weight;
}

static int block_start(int B, int blocks, int k) { return (int)((long long)k * B / blocks); }

typedef struct {
    const float *image;    /* the image side read for patches: conv inp, transposed conv dout */
    const float *grid;     /* the grid side of the weight gradient: conv dout, transposed conv inp */
    const float *weight;
    float *dinp, *col;
    float *partial;        /* [blocks][KC * channels], NULL: no weight gradient */
    const conv_geometry *g;
    int channels, transpose, B, blocks, b0, n;
    size_t first_block;    /* of the chunk: par_for's index 0 */
} backward_job;

/* Blocks [k0, k1) of the examples of chunk [b0, b0 + n): patches, the
 * partial weight gradient, and the input gradient of those examples. */
static void backward_blocks(void *ctx, size_t k0, size_t k1)
{
    const backward_job *j = ctx;
    const conv_geometry *g = j->g;
    const size_t P = (size_t)positions(g), LD = col_row_stride(g), C = (size_t)j->channels;
    const int KC = patch_floats(g);
    for (size_t k = j->first_block + k0; k < j->first_block + k1; k++) {
        const int start = block_start(j->B, j->blocks, (int)k), end = block_start(j->B, j->blocks, (int)k + 1);
        const int e0 = start > j->b0 ? start : j->b0, e1 = end < j->b0 + j->n ? end : j->b0 + j->n;
        if (e1 <= e0) continue;
        const size_t rows = (size_t)(e1 - e0) * P;
        float *col = j->col + (size_t)(e0 - j->b0) * P * LD;
        const int need_patches = j->partial || j->transpose; /* conv dinp writes col itself */
        if (need_patches)
            for (int e = e0; e < e1; e++) im2col(col + (size_t)(e - e0) * P * LD, j->image + e * image_size(g), g);
        // the block's weight gradient [KC, C] (+)= col^T [KC, rows] * grid rows [rows, C]
        if (j->partial)
            gemm_tn(KC, (int)C, (int)rows, col, (int)LD, j->grid + (size_t)e0 * P * C, (int)C,
                    j->partial + k * (size_t)KC * C, (int)C, e0 > start);
        if (!j->dinp) continue;
        if (j->transpose) {
            // dinp rows [rows, C] = col * weight [KC, C]
            gemm_nn((int)rows, (int)C, KC, col, (int)LD, j->weight, (int)C, j->dinp + (size_t)e0 * P * C,
                    (int)C, 0);
        } else {
            // dcol [rows, KC] = dout rows * weight^T, then back into images
            gemm_nt((int)rows, KC, (int)C, j->grid + (size_t)e0 * P * C, (int)C, j->weight, (int)C, col,
                    (int)LD, 0);
            for (int e = e0; e < e1; e++) col2im(j->dinp + e * image_size(g), col + (size_t)(e - e0) * P * LD, g);
        }
    }
}

typedef struct {
    float *dweight;
    const float *partial;
    size_t count;
    int B, blocks;
} weight_sum_job;

/* dweight[i] = the blocks' partial sums in block order, for i in [i0, i1) */
static void weight_sums(void *ctx, size_t i0, size_t i1)
{
    const weight_sum_job *j = ctx;
    int first = 0;
    while (block_start(j->B, j->blocks, first + 1) == block_start(j->B, j->blocks, first)) first++;
    memcpy(j->dweight + i0, j->partial + first * j->count + i0, (i1 - i0) * sizeof(float));
    for (int k = first + 1; k < j->blocks; k++) {
        if (block_start(j->B, j->blocks, k + 1) == block_start(j->B, j->blocks, k)) continue;
        const float *p = j->partial + k * j->count;
        size_t i = i0;
#ifdef GAN_SIMD128
        SIMD_LOOP(i, i1) STORE(j->dweight + i, wasm_f32x4_add(LOAD(j->dweight + i), LOAD(p + i)));
#endif
        for (; i < i1; i++) j->dweight[i] += p[i];
    }
}

/* The backward pass of a convolution (transpose 0) or a transposed one. */
static void image_layer_backward(float *dinp, float *dweight, const float *image,
                                 const float *grid, const float *weight, float *col, int B,
                                 const conv_geometry *g, int channels, int transpose, int chunk,
                                 double *sums)
{
    const int KC = patch_floats(g), blocks = conv_weight_blocks(KC, channels);
    backward_job job = {image, grid, weight, dinp, col, dweight ? (float *)sums : NULL, g,
                        channels, transpose, B, blocks, 0, 0, 0};
    const double macs = (double)positions(g) * KC * channels * (dweight && dinp ? 2 : 1);
    for (int b0 = 0; b0 < B; b0 += chunk) {
        job.b0 = b0;
        job.n = B - b0 < chunk ? B - b0 : chunk;
        int k0 = 0, k1 = blocks;
        while (block_start(B, blocks, k0 + 1) <= b0) k0++;
        while (k1 > k0 + 1 && block_start(B, blocks, k1 - 1) >= b0 + job.n) k1--;
        job.first_block = (size_t)k0;
        par_for((size_t)(k1 - k0), 1, min_units(macs * B / blocks), backward_blocks, &job);
    }
    if (!dweight) return;
    weight_sum_job sum = {dweight, (const float *)sums, (size_t)KC * channels, B, blocks};
    par_for(sum.count, 4, MIN_CHUNK_FLOATS / blocks + 1, weight_sums, &sum);
}

void conv_backward(float *dinp, float *dweight, float *dbias, const float *dout,
                   const float *inp, const float *weight, float *col, int B,
                   const conv_geometry *g, int OC, int untied, int chunk, double *sums)
{
    if (dweight) bias_gradient(dbias, dout, B, positions(g), OC, untied, sums);
    if (!dweight && !dinp) return;
    image_layer_backward(dinp, dweight, inp, dout, weight, col, B, g, OC, 0, chunk, sums);
}

void conv_transpose_forward(float *out, const float *inp, const float *weight,
                            const float *bias, float *col, int B, const conv_geometry *g,
                            int C, int untied, int chunk)
{
    const size_t P = (size_t)positions(g);
    for (int b0 = 0; b0 < B; b0 += chunk) {
        const int n = B - b0 < chunk ? B - b0 : chunk;
        // col [n * P, KC] = inp rows [n * P, C] * weight^T [C, KC], into images, + bias
        examples_job job = {inp + (size_t)b0 * P * C, out + b0 * image_size(g), weight, bias, col,
                            g, C, untied, 1};
        par_examples(n, g, C, rows_to_images_examples, &job);
    }
}

void conv_transpose_backward(float *dinp, float *dweight, float *dbias, const float *dout,
                             const float *inp, const float *weight, float *col, int B,
                             const conv_geometry *g, int C, int untied, int chunk,
                             double *sums)
{
    if (dweight)
        bias_gradient(dbias, dout, B, g->height * g->width, g->channels, untied, sums);
    if (!dweight && !dinp) return;
    image_layer_backward(dinp, dweight, dout, inp, weight, col, B, g, C, 1, chunk, sums);
}

/* The window of output row (or column) o: [*lo, *hi) of the input's size. */
static void pool_window(int o, int stride, int padding, int kernel, int size, int *lo, int *hi)
{
    int start = o * stride - padding, end = start + kernel;
    *lo = start < 0 ? 0 : start;
    *hi = end > size ? size : end;
}

void max_pool_forward(float *out, const float *inp, int B, const conv_geometry *g)
{
    const int H = g->height, W = g->width, C = g->channels;
    for (int b = 0; b < B; b++) {
        const float *x = inp + (size_t)b * H * W * C;
        float *y = out + (size_t)b * g->out_height * g->out_width * C;
        for (int oh = 0; oh < g->out_height; oh++) {
            int h0, h1;
            pool_window(oh, g->stride, g->padding, g->kernel, H, &h0, &h1);
            for (int ow = 0; ow < g->out_width; ow++) {
                int w0, w1;
                pool_window(ow, g->stride, g->padding, g->kernel, W, &w0, &w1);
                float *best = y + ((size_t)oh * g->out_width + ow) * C;
                memcpy(best, x + ((size_t)h0 * W + w0) * C, (size_t)C * sizeof(float));
                for (int h = h0; h < h1; h++) {
                    for (int w = h == h0 ? w0 + 1 : w0; w < w1; w++) {
                        const float *v = x + ((size_t)h * W + w) * C;
                        for (int c = 0; c < C; c++) best[c] = v[c] > best[c] ? v[c] : best[c];
                    }
                }
            }
        }
    }
}

void max_pool_backward(float *dinp, const float *dout, const float *inp, int B,
                       const conv_geometry *g)
{
    const int H = g->height, W = g->width, C = g->channels;
    for (int b = 0; b < B; b++) {
        const float *x = inp + (size_t)b * H * W * C;
        float *dx = dinp + (size_t)b * H * W * C;
        const float *dy = dout + (size_t)b * g->out_height * g->out_width * C;
        memset(dx, 0, (size_t)H * W * C * sizeof(float));
        for (int oh = 0; oh < g->out_height; oh++) {
            int h0, h1;
            pool_window(oh, g->stride, g->padding, g->kernel, H, &h0, &h1);
            for (int ow = 0; ow < g->out_width; ow++) {
                int w0, w1;
                pool_window(ow, g->stride, g->padding, g->kernel, W, &w0, &w1);
                const float *d = dy + ((size_t)oh * g->out_width + ow) * C;
                for (int c = 0; c < C; c++) {
                    // the winner by forward's rule, then its gradient
                    size_t winner = ((size_t)h0 * W + w0) * C + c;
                    for (int h = h0; h < h1; h++)
                        for (int w = h == h0 ? w0 + 1 : w0; w < w1; w++) {
                            size_t at = ((size_t)h * W + w) * C + c;
                            if (x[at] > x[winner]) winner = at;
                        }
                    dx[winner] += d[c];
                }
            }
        }
    }
}

/* ---- batch normalisation ------------------------------------------------ */

/* The per-channel sums run in ROW_BLOCKS blocks of rows (see bias_gradient):
 * one pass for the means, one for the squares about them (backward: one for
 * both sums), then the blocks' sums in block order. The scratch `sums`
 * holds the blocks' partial sums a and b, the unrounded means, and the
 * backward pass's per-channel factors. */
typedef enum { BN_SUMS, BN_SQUARES, BN_GRADIENT_SUMS } bn_pass;

typedef struct {
    const float *inp, *dout;
    const float *mean, *invstd; /* BN_GRADIENT_SUMS, and dx */
    size_t N, C;
    bn_pass pass;
    double *a, *b;             /* [ROW_BLOCKS][C] each */
    double *mean_exact;        /* [C], BN_SQUARES: the means, unrounded */
    float *scale, *shift, *slope; /* [C] each, dx */
    float *dinp;
} bn_job;

size_t batch_norm_sums_count(int C)
{
    return (2 * (size_t)ROW_BLOCKS + 3) * (size_t)C; /* a, b, the means, 3 C floats */
}

static bn_job bn_setup(double *sums, const float *inp, size_t N, int C)
{
    const size_t width = (size_t)C;
    double *a = sums, *b = a + ROW_BLOCKS * width, *mean_exact = b + ROW_BLOCKS * width;
    float *factors = (float *)(mean_exact + width);
    return (bn_job){.inp = inp, .N = N, .C = width, .a = a, .b = b, .mean_exact = mean_exact,
                    .scale = factors, .shift = factors + width, .slope = factors + 2 * width};
}

static void bn_row_blocks(void *ctx, size_t k0, size_t k1)
{
    const bn_job *j = ctx;
    const size_t C = j->C;
    for (size_t k = k0; k < k1; k++) {
        double *a = j->a + k * C, *b = j->b + k * C;
        for (size_t c = 0; c < C; c++) a[c] = 0.0;
        if (j->pass == BN_GRADIENT_SUMS)
            for (size_t c = 0; c < C; c++) b[c] = 0.0;
        const size_t n1 = row_block_start(j->N, k + 1);
        for (size_t n = row_block_start(j->N, k); n < n1; n++) {
            const float *x = j->inp + n * C;
            if (j->pass == BN_SUMS) {
                for (size_t c = 0; c < C; c++) a[c] += x[c];
            } else if (j->pass == BN_SQUARES) {
                for (size_t c = 0; c < C; c++) {
                    const double d = (double)x[c] - j->mean_exact[c];
                    a[c] += d * d;
                }
            } else {
                const float *dy = j->dout + n * C;
                for (size_t c = 0; c < C; c++) {
                    const float xhat = (x[c] - j->mean[c]) * j->invstd[c];
                    a[c] += dy[c];
                    b[c] += (double)dy[c] * xhat;
                }
            }
        }
    }
}

/* The row blocks of one pass; their sums, in block order, land in block 0's
 * partial sums a (and b). */
static void bn_blocks(bn_job *j, bn_pass pass)
{
    j->pass = pass;
    par_for(ROW_BLOCKS, 1, min_blocks(j->N, (int)j->C), bn_row_blocks, j);
    for (size_t c = 0; c < j->C; c++)
        for (size_t k = 1; k < ROW_BLOCKS; k++) {
            j->a[c] += j->a[k * j->C + c];
            if (pass == BN_GRADIENT_SUMS) j->b[c] += j->b[k * j->C + c];
        }
}

void batch_norm_statistics(float *mean, float *var, float *invstd, const float *inp, size_t N,
                           int C, double *sums)
{
    bn_job job = bn_setup(sums, inp, N, C);
    bn_blocks(&job, BN_SUMS);
    for (int c = 0; c < C; c++) job.mean_exact[c] = job.a[c] / (double)N;
    bn_blocks(&job, BN_SQUARES);
    for (int c = 0; c < C; c++) {
        const double v = job.a[c] / (double)N;
        mean[c] = (float)job.mean_exact[c];
        var[c] = (float)v;
        invstd[c] = (float)(1.0 / sqrt(v + BATCH_NORM_EPSILON));
    }
}

typedef struct {
    const float *inp, *gamma, *beta, *mean, *invstd;
    float *out;
    size_t C;
} bn_forward_job;

static void bn_forward_rows(void *ctx, size_t n0, size_t n1)
{
    const bn_forward_job *j = ctx;
    const size_t C = j->C;
    for (size_t n = n0; n < n1; n++) {
        const float *x = j->inp + n * C;
        float *y = j->out + n * C;
        for (size_t c = 0; c < C; c++)
            y[c] = j->gamma[c] * ((x[c] - j->mean[c]) * j->invstd[c]) + j->beta[c];
    }
}

void batch_norm_forward(float *out, const float *inp, const float *gamma, const float *beta,
                        const float *mean, const float *invstd, size_t N, int C)
{
    bn_forward_job job = {inp, gamma, beta, mean, invstd, out, (size_t)C};
    par_for(N, 1, min_rows(C), bn_forward_rows, &job);
}

/* With xhat = (x - mean) invstd, the forward pass's normalised input:
 * dbeta = sum dy, dgamma = sum dy xhat, and through the statistics
 * dx = gamma invstd / N (N dy - dbeta - xhat dgamma); rows [n0, n1) of dx. */
static void bn_dx_rows(void *ctx, size_t n0, size_t n1)
{
    const bn_job *j = ctx;
    const size_t C = j->C;
    const float n_rows = (float)j->N;
    for (size_t n = n0; n < n1; n++) {
        const float *x = j->inp + n * C, *dy = j->dout + n * C;
        float *dx = j->dinp + n * C;
        for (size_t c = 0; c < C; c++) {
            const float xhat = (x[c] - j->mean[c]) * j->invstd[c];
            dx[c] = j->scale[c] * (n_rows * dy[c] - j->shift[c] - xhat * j->slope[c]);
        }
    }
}

void batch_norm_backward(float *dinp, float *dgamma, float *dbeta, const float *dout,
                         const float *inp, const float *gamma, const float *mean,
                         const float *invstd, size_t N, int C, double *sums)
{
    bn_job job = bn_setup(sums, inp, N, C);
    job.dout = dout;
    job.mean = mean;
    job.invstd = invstd;
    job.dinp = dinp;
    bn_blocks(&job, BN_GRADIENT_SUMS);
    const double *sum_dy = job.a, *sum_dy_xhat = job.b;
    if (dgamma)
        for (int c = 0; c < C; c++) {
            dgamma[c] = (float)sum_dy_xhat[c];
            dbeta[c] = (float)sum_dy[c];
        }
    if (!dinp) return;
    for (int c = 0; c < C; c++) {
        job.scale[c] = (float)((double)gamma[c] * invstd[c] / (double)N);
        job.shift[c] = (float)sum_dy[c];
        job.slope[c] = (float)sum_dy_xhat[c];
    }
    par_for(N, 1, min_rows(C), bn_dx_rows, &job);
}

/* ---- networks ----------------------------------------------------------- */

/* Rows [b0, b1) of one layer's forward or backward pass (not dense, not
 * dropout's forward, which splits its draws in segments of its own): every
 * other layer works row by row, so par_for may split the rows. */
typedef struct {
    const network_layer *layer;
    const float *x;    /* forward: input; backward: the layer's input rows */
    const float *out;  /* backward: the layer's output rows */
    const float *dout; /* backward */
    float *dinp;       /* backward */
    const float *mask; /* backward, dropout: mask rows */
} layer_rows_job;

static void forward_rows(void *ctx, size_t b0, size_t b1)
{
    const layer_rows_job *j = ctx;
    const network_layer *layer = j->layer;
    const int rows = (int)(b1 - b0);
    const float *x = j->x + b0 * layer->in_dim;
    float *out = layer->out + b0 * layer->out_dim;
    const size_t n = (size_t)rows * layer->out_dim;
    switch (layer->kind) {
    case GAN_LAYER_RELU: relu_forward(out, x, n); break;
    case GAN_LAYER_LEAKY_RELU: leaky_relu_forward(out, x, layer->slope, n); break;
    case GAN_LAYER_SIGMOID: sigmoid_forward(out, x, n); break;
    case GAN_LAYER_TANH: tanh_forward(out, x, n); break;
    case GAN_LAYER_MAXOUT: maxout_forward(out, x, rows, layer->out_dim, layer->pieces); break;
    case GAN_LAYER_MAX_POOL: max_pool_forward(out, x, rows, &layer->geometry); break;
    default: break;
    }
}

static void backward_rows(void *ctx, size_t b0, size_t b1)
{
    const layer_rows_job *j = ctx;
    const network_layer *layer = j->layer;
    const int rows = (int)(b1 - b0), C = layer->in_dim, OC = layer->out_dim;
    float *dinp = j->dinp + b0 * C;
    const float *dout = j->dout + b0 * OC, *inp = j->x + b0 * C, *out = j->out + b0 * OC;
    const size_t n = (size_t)rows * OC;
    switch (layer->kind) {
    case GAN_LAYER_RELU: relu_backward(dinp, dout, inp, n); break;
    case GAN_LAYER_LEAKY_RELU: leaky_relu_backward(dinp, dout, inp, layer->slope, n); break;
    case GAN_LAYER_SIGMOID: sigmoid_backward(dinp, dout, out, n); break;
    case GAN_LAYER_TANH: tanh_backward(dinp, dout, out, n); break;
    case GAN_LAYER_MAXOUT: maxout_backward(dinp, dout, inp, rows, OC, layer->pieces); break;
    case GAN_LAYER_DROPOUT: dropout_backward(dinp, dout, j->mask + b0 * C, n); break;
    case GAN_LAYER_MAX_POOL: max_pool_backward(dinp, dout, inp, rows, &layer->geometry); break;
    default: break;
    }
}

/* ---- shapes ------------------------------------------------------------- */

/* Largest side and largest number of values per example of any layer. */
#define MAX_SIDE 65536
#define MAX_VALUES (1ll << 28)

static void shape_text(layer_shape s, char *buf, size_t capacity)
{
    snprintf(buf, capacity, "%d x %d x %d", s.channels, s.height, s.width);
}

/* Writes a sentence about layer i of the list into why; returns 0. */
static int refuse(char *why, size_t capacity, const char *prefix, int i, gan_layer_kind kind,
                  const char *format, ...)
{
    if (!why || capacity == 0) return 0;
    int n = snprintf(why, capacity, "%s.layers.%d (%s): ", prefix, i, layer_kind_name(kind));
    if (n < 0 || (size_t)n >= capacity) return 0;
    va_list args;
    va_start(args, format);
    vsnprintf(why + n, capacity - (size_t)n, format, args);
    va_end(args);
    return 0;
}

/* The output side of a convolution or pooling window sweep: (in + 2 padding
 * - kernel) / stride + 1, rounded down or (ceil) up; ceil drops a last
 * window that would start past the padded input, as PyTorch does. */
static long long sweep_side(long long in, int kernel, int stride, int padding, int ceil)
{
    long long span = in + 2ll * padding - kernel;
    if (span < 0) return 0;
    long long out = (ceil ? (span + stride - 1) / stride : span / stride) + 1;
    if (ceil && (out - 1) * stride >= in + padding) out--;
    return out;
}

int network_shapes(const gan_network_config *config, layer_shape input, const char *prefix,
                   layer_shape *out_shapes, unsigned long long *param_count, char *why,
                   size_t why_capacity)
{
    char in_text[48], out_text[80];
    unsigned long long params = 0;
    if (param_count) *param_count = 0;
    if (why && why_capacity) why[0] = '\0';
    if (!config || config->layer_count < 1 || config->layer_count > GAN_MAX_LAYERS) {
        if (why && why_capacity) snprintf(why, why_capacity, "%s.layer_count must be 1 to %d", prefix, GAN_MAX_LAYERS);
        return 0;
    }
    layer_shape in = input;
    for (int i = 0; i < config->layer_count; i++) {
        const gan_layer *l = &config->layers[i];
        const long long in_values = (long long)in.channels * in.height * in.width;
        long long c = in.channels, h = in.height, w = in.width;
        shape_text(in, in_text, sizeof(in_text));
        switch (l->kind) {
        case GAN_LAYER_DENSE:
            params += (unsigned long long)in_values * (unsigned long long)l->units + (unsigned long long)l->units;
            c = l->units, h = 1, w = 1;
            break;
        case GAN_LAYER_MAXOUT:
            if (l->pieces < 1 || in.channels % l->pieces != 0)
                return refuse(why, why_capacity, prefix, i, l->kind,
                              "its input %s has %d channels, which do not divide into groups of %d pieces",
                              in_text, in.channels, l->pieces);
            c = in.channels / l->pieces;
            break;
        case GAN_LAYER_RELU:
        case GAN_LAYER_LEAKY_RELU:
        case GAN_LAYER_SIGMOID:
        case GAN_LAYER_TANH:
        case GAN_LAYER_DROPOUT:
            break;
        case GAN_LAYER_BATCH_NORM:
            params += 2ull * (unsigned long long)in.channels;
            break;
        case GAN_LAYER_CONV:
        case GAN_LAYER_CONV_TRANSPOSE:
        case GAN_LAYER_MAX_POOL: {
            const int k = l->kernel, s = l->stride, p = l->padding;
            if (k < 1 || s < 1 || p < 0)
                return refuse(why, why_capacity, prefix, i, l->kind, "kernel %d, stride %d and padding %d are not a window", k, s, p);
            if (l->kind == GAN_LAYER_MAX_POOL ? 2 * p > k : p >= k)
                return refuse(why, why_capacity, prefix, i, l->kind,
                              l->kind == GAN_LAYER_MAX_POOL ? "padding %d is more than half its kernel %d"
                                                            : "padding %d is not less than its kernel %d",
                              p, k);
            if (l->kind == GAN_LAYER_CONV_TRANSPOSE) {
                h = ((long long)in.height - 1) * s + k - 2ll * p;
                w = ((long long)in.width - 1) * s + k - 2ll * p;
                if (h < 1 || w < 1)
                    return refuse(why, why_capacity, prefix, i, l->kind,
                                  "its input %s would give an output of %lld x %lld ((side - 1) x stride %d + kernel %d - 2 x padding %d)",
                                  in_text, h, w, s, k, p);
                c = l->channels;
            } else {
                if ((long long)in.height + 2ll * p < k || (long long)in.width + 2ll * p < k)
                    return refuse(why, why_capacity, prefix, i, l->kind,
                                  "kernel %d is larger than its input %s padded by %d on each side (%lld x %lld)",
                                  k, in_text, p, (long long)in.height + 2ll * p, (long long)in.width + 2ll * p);
                const int ceil = l->kind == GAN_LAYER_MAX_POOL && l->ceil_mode;
                h = sweep_side(in.height, k, s, p, ceil);
                w = sweep_side(in.width, k, s, p, ceil);
                if (l->kind == GAN_LAYER_CONV) c = l->channels;
            }
            if (l->kind != GAN_LAYER_MAX_POOL) {
                unsigned long long weights = (unsigned long long)k * k * (unsigned long long)in.channels * (unsigned long long)c;
                params += weights + (unsigned long long)(l->untied_bias ? c * h * w : c);
            }
            break;
        }
        case GAN_LAYER_RESHAPE: {
            const long long values = (long long)l->channels * l->height * l->width;
            if (values != in_values)
                return refuse(why, why_capacity, prefix, i, l->kind,
                              "%d x %d x %d is %lld values, but its input %s has %lld",
                              l->channels, l->height, l->width, values, in_text, in_values);
            c = l->channels, h = l->height, w = l->width;
            break;
        }
        default:
            return refuse(why, why_capacity, prefix, i, l->kind, "not a layer kind");
        }
        if (c < 1 || h < 1 || w < 1 || c > MAX_SIDE * 16 || h > MAX_SIDE || w > MAX_SIDE || c * h * w > MAX_VALUES) {
            snprintf(out_text, sizeof(out_text), "%lld x %lld x %lld", c, h, w);
            return refuse(why, why_capacity, prefix, i, l->kind, "its output %s (from %s) is too large or empty", out_text, in_text);
        }
        in.channels = (int)c, in.height = (int)h, in.width = (int)w;
        if (out_shapes) out_shapes[i] = in;
    }
    if (param_count) *param_count = params;
    return 1;
}

int network_shape(const gan_network_config *config, layer_shape input,
                  unsigned long long *param_count)
{
    layer_shape shapes[GAN_MAX_LAYERS];
    if (!network_shapes(config, input, "", shapes, param_count, NULL, 0)) return -1;
    layer_shape out = shapes[config->layer_count - 1];
    return out.channels * out.height * out.width;
}

int layer_tensor_shapes(const gan_layer *spec, layer_shape in, layer_shape out,
                        int *weight_rank, unsigned long long weight_shape[4], int *bias_rank,
                        unsigned long long bias_shape[3])
{
    memset(weight_shape, 0, 4 * sizeof(weight_shape[0]));
    memset(bias_shape, 0, 3 * sizeof(bias_shape[0]));
    const unsigned long long k = (unsigned long long)spec->kernel;
    switch (spec->kind) {
    case GAN_LAYER_DENSE:
        *weight_rank = 2;
        weight_shape[0] = (unsigned long long)in.channels * in.height * in.width;
        weight_shape[1] = (unsigned long long)out.channels;
        *bias_rank = 1;
        bias_shape[0] = (unsigned long long)out.channels;
        return 1;
    case GAN_LAYER_CONV:
    case GAN_LAYER_CONV_TRANSPOSE: {
        const int transpose = spec->kind == GAN_LAYER_CONV_TRANSPOSE;
        *weight_rank = 4;
        weight_shape[0] = k;
        weight_shape[1] = k;
        weight_shape[2] = (unsigned long long)(transpose ? out.channels : in.channels);
        weight_shape[3] = (unsigned long long)(transpose ? in.channels : out.channels);
        if (spec->untied_bias) {
            *bias_rank = 3;
            bias_shape[0] = (unsigned long long)out.height;
            bias_shape[1] = (unsigned long long)out.width;
            bias_shape[2] = (unsigned long long)out.channels;
        } else {
            *bias_rank = 1;
            bias_shape[0] = (unsigned long long)out.channels;
        }
        return 1;
    }
    case GAN_LAYER_BATCH_NORM:
        *weight_rank = *bias_rank = 1;
        weight_shape[0] = bias_shape[0] = (unsigned long long)in.channels;
        return 1;
    default:
        *weight_rank = *bias_rank = 0;
        return 0;
    }
}

/* ---- networks ----------------------------------------------------------- */

/* Floats of col a convolution may fill at once (4 MiB): the chunk of
 * examples per GEMM is what fits, at least one. Results do not depend on it. */
#define COL_BUDGET_FLOATS (1 << 20)

int network_condition_layer(const gan_network_config *config)
{
    for (int i = 0; i < config->layer_count; i++) {
        gan_layer_kind kind = config->layers[i].kind;
        if (kind == GAN_LAYER_DENSE || kind == GAN_LAYER_CONV || kind == GAN_LAYER_CONV_TRANSPOSE)
            return i;
    }
    return -1;
}

gan_status network_create(network *net, const gan_network_config *config, layer_shape input,
                          int max_batch, int classes)
{
    unsigned long long params64;
    layer_shape shapes[GAN_MAX_LAYERS];
    memset(net, 0, sizeof(*net));
    if (max_batch < 1 || input.channels < 1 || input.height < 1 || input.width < 1 ||
        !network_shapes(config, input, "", shapes, &params64, NULL, 0))
        return GAN_ERR_INVALID_ARGUMENT;
    net->condition_layer = classes > 0 ? network_condition_layer(config) : -1;
    if (classes > 0 && net->condition_layer < 0) return GAN_ERR_INVALID_ARGUMENT;
    if (classes > 0) {
        net->classes = classes;
        net->condition_width = shapes[net->condition_layer].channels;
        params64 += (unsigned long long)classes * (unsigned long long)net->condition_width;
    }
    if (params64 > (SIZE_MAX / sizeof(float)) / 2) return GAN_ERR_OUT_OF_MEMORY;

    const layer_shape last = shapes[config->layer_count - 1];
    net->layer_count = config->layer_count;
    net->input_dim = input.channels * input.height * input.width;
    net->output_dim = last.channels * last.height * last.width;
    net->max_batch = max_batch;
    net->param_count = (size_t)params64;
    net->lowest_param = -1;

    // shapes, and the activation block's size in floats (counted in double
    // to catch overflow on 32-bit size_t)
    double acts_count = 0.0, col_count = 0.0;
    size_t sums_count = 0;
    layer_shape in = input;
    int max_width = net->input_dim;
    for (int i = 0; i < config->layer_count; i++) {
        const gan_layer *spec = &config->layers[i];
        network_layer *layer = &net->layers[i];
        layer->kind = spec->kind;
        layer->in_shape = in;
        layer->out_shape = shapes[i];
        layer->in_dim = in.channels * in.height * in.width;
        layer->out_dim = shapes[i].channels * shapes[i].height * shapes[i].width;
        layer->pieces = spec->pieces;
        layer->keep_prob = spec->keep_prob;
        layer->slope = spec->slope;
        layer->init_range = spec->init_range;
        layer->untied_bias = spec->untied_bias;
        int weight_rank, bias_rank;
        unsigned long long weight_shape[4], bias_shape[3];
        if (layer_tensor_shapes(spec, layer->in_shape, layer->out_shape, &weight_rank, weight_shape, &bias_rank, bias_shape)) {
            layer->weight_count = 1;
            for (int d = 0; d < weight_rank; d++) layer->weight_count *= (size_t)weight_shape[d];
            layer->bias_count = 1;
            for (int d = 0; d < bias_rank; d++) layer->bias_count *= (size_t)bias_shape[d];
            if (net->lowest_param < 0) net->lowest_param = i;
        }
        if (spec->kind == GAN_LAYER_CONV || spec->kind == GAN_LAYER_CONV_TRANSPOSE ||
            spec->kind == GAN_LAYER_MAX_POOL) {
            // the image side: a convolution's or pool's input, a transposed convolution's output
            const int transpose = spec->kind == GAN_LAYER_CONV_TRANSPOSE;
            const layer_shape image = transpose ? layer->out_shape : layer->in_shape;
            const layer_shape grid = transpose ? layer->in_shape : layer->out_shape;
            layer->geometry = (conv_geometry){image.height, image.width, image.channels,
                                              grid.height, grid.width, spec->kernel,
                                              spec->stride, spec->padding, 0};
            if (spec->kind != GAN_LAYER_MAX_POOL) {
                layer->geometry.col_stride =
                    conv_col_stride(spec->kernel * spec->kernel * image.channels);
                const double per_example =
                    (double)grid.height * grid.width * layer->geometry.col_stride;
                double chunk = (double)(long long)(COL_BUDGET_FLOATS / per_example);
                if (chunk < 1) chunk = 1;
                if (chunk > max_batch) chunk = max_batch;
                layer->chunk = (int)chunk;
                if (chunk * per_example > col_count) col_count = chunk * per_example;
            }
        }
        if (layer->out_dim > max_width) max_width = layer->out_dim;
        acts_count += (double)max_batch * layer->out_dim;
        if (spec->kind == GAN_LAYER_DROPOUT) acts_count += (double)max_batch * layer->in_dim;
        if (spec->kind == GAN_LAYER_BATCH_NORM) {
            acts_count += 5.0 * in.channels;
            if (batch_norm_sums_count(in.channels) > sums_count)
                sums_count = batch_norm_sums_count(in.channels);
        }
        if (spec->kind == GAN_LAYER_CONV || spec->kind == GAN_LAYER_CONV_TRANSPOSE) {
            const int transpose = spec->kind == GAN_LAYER_CONV_TRANSPOSE;
            const size_t count = conv_sums_count(&layer->geometry, transpose ? in.channels : shapes[i].channels, transpose);
            if (count > sums_count) sums_count = count;
        }
        in = shapes[i];
    }
    net->max_width = max_width;
    acts_count += 2.0 * max_batch * (double)max_width + col_count;
    if (acts_count * sizeof(float) > (double)(SIZE_MAX / 2)) return GAN_ERR_OUT_OF_MEMORY;
    net->acts_count = (size_t)acts_count;
    net->col_count = (size_t)col_count;

    // params and grads: never empty, so malloc(0) never happens
    size_t param_alloc = net->param_count ? net->param_count : 1;
    net->params = calloc(param_alloc, sizeof(float));
    net->grads = calloc(param_alloc, sizeof(float));
    net->acts = calloc(net->acts_count, sizeof(float));
    net->sums = sums_count ? calloc(sums_count, sizeof(double)) : NULL;
    if (!net->params || !net->grads || !net->acts || (sums_count && !net->sums)) {
        network_free(net);
        return GAN_ERR_OUT_OF_MEMORY;
    }

    // point into the blocks
    float *param = net->params, *grad = net->grads, *act = net->acts;
    for (int i = 0; i < net->layer_count; i++) {
        network_layer *layer = &net->layers[i];
        if (layer->weight_count) {
            layer->weight = param;
            layer->dweight = grad;
            param += layer->weight_count;
            grad += layer->weight_count;
            layer->bias = param;
            layer->dbias = grad;
            param += layer->bias_count;
            grad += layer->bias_count;
        }
        layer->out = act;
        act += (size_t)max_batch * layer->out_dim;
        if (layer->kind == GAN_LAYER_DROPOUT) {
            layer->mask = act;
            act += (size_t)max_batch * layer->in_dim;
        }
        if (layer->kind == GAN_LAYER_BATCH_NORM) {
            // sampling's statistics start as the identity until calibrated
            const int C = layer->in_shape.channels;
            layer->norm = act;
            for (int c = 0; c < C; c++) layer->norm[4 * C + c] = 1.0f;
            act += 5 * (size_t)C;
        }
    }
    if (net->classes) {
        net->class_weight = param;
        net->dclass_weight = grad;
    }
    net->scratch[0] = act;
    act += (size_t)max_batch * max_width;
    net->scratch[1] = act;
    act += (size_t)max_batch * max_width;
    net->col = net->col_count ? act : NULL;
    return GAN_OK;
}

void network_free(network *net)
{
    if (!net) return;
    free(net->params);
    free(net->grads);
    free(net->acts);
    free(net->sums);
    memset(net, 0, sizeof(*net));
}

void network_init(network *net, prng *rng)
{
    for (int i = 0; i < net->layer_count; i++) {
        network_layer *layer = &net->layers[i];
        if (!layer->weight_count) continue;
        if (layer->kind == GAN_LAYER_BATCH_NORM) { /* gamma 1, beta 0: no draws */
            for (size_t j = 0; j < layer->weight_count; j++) layer->weight[j] = 1.0f;
            memset(layer->bias, 0, layer->bias_count * sizeof(float));
            continue;
        }
        float range = layer->init_range;
        for (size_t j = 0; j < layer->weight_count; j++)
            layer->weight[j] = (2.0f * prng_uniform(rng) - 1.0f) * range;
        memset(layer->bias, 0, layer->bias_count * sizeof(float));
    }
    if (net->classes) { /* after every layer: an unconditional network draws the same */
        const float range = net->layers[net->condition_layer].init_range;
        const size_t n = (size_t)net->classes * (size_t)net->condition_width;
        for (size_t j = 0; j < n; j++) net->class_weight[j] = (2.0f * prng_uniform(rng) - 1.0f) * range;
    }
}

/* The class rows' share of the condition layer's output: out[b][p][c] +=
 * sum over k of condition[b][k] class_weight[k][c], the classes in order,
 * a zero weight skipped (its term is an exact 0 for finite weights). */
static void condition_forward(float *out, const float *condition, const float *class_weight,
                              int B, int classes, int positions, int C)
{
    for (int b = 0; b < B; b++) {
        float *row = out + (size_t)b * positions * C;
        for (int k = 0; k < classes; k++) {
            const float w = condition[(size_t)b * classes + k];
            if (w == 0.0f) continue;
            const float *e = class_weight + (size_t)k * C;
            for (int p = 0; p < positions; p++)
                for (int c = 0; c < C; c++) row[(size_t)p * C + c] += w * e[c];
        }
    }
}

/* dclass_weight[k][c] = sum over rows b and positions p of
 * condition[b][k] dout[b][p][c], in (b, p) order. */
static void condition_backward(float *dclass_weight, const float *dout, const float *condition,
                               int B, int classes, int positions, int C)
{
    memset(dclass_weight, 0, (size_t)classes * C * sizeof(float));
    for (int b = 0; b < B; b++) {
        const float *row = dout + (size_t)b * positions * C;
        for (int k = 0; k < classes; k++) {
            const float w = condition[(size_t)b * classes + k];
            if (w == 0.0f) continue;
            float *d = dclass_weight + (size_t)k * C;
            for (int p = 0; p < positions; p++)
                for (int c = 0; c < C; c++) d[c] += w * row[(size_t)p * C + c];
        }
    }
}

const float *network_forward(network *net, const float *input, int B, prng *rng)
{
    net->input = input;
    net->batch = B;
    const float *x = input;
    for (int i = 0; i < net->layer_count; i++) {
        network_layer *layer = &net->layers[i];
        size_t n = (size_t)B * layer->out_dim;
        switch (layer->kind) {
        case GAN_LAYER_DENSE:
            dense_forward(layer->out, x, layer->weight, layer->bias, B, layer->in_dim,
                          layer->out_dim);
            break;
        case GAN_LAYER_CONV:
            conv_forward(layer->out, x, layer->weight, layer->bias, net->col, B, &layer->geometry,
                         layer->out_shape.channels, layer->untied_bias, layer->chunk);
            break;
        case GAN_LAYER_CONV_TRANSPOSE:
            conv_transpose_forward(layer->out, x, layer->weight, layer->bias, net->col, B,
                                   &layer->geometry, layer->in_shape.channels, layer->untied_bias,
                                   layer->chunk);
            break;
        case GAN_LAYER_RESHAPE:
            memcpy(layer->out, x, n * sizeof(float));
            break;
        case GAN_LAYER_DROPOUT:
            dropout_forward(layer->out, x, layer->mask, layer->keep_prob, rng, n);
            break;
        case GAN_LAYER_BATCH_NORM: {
            const int C = layer->in_shape.channels;
            const size_t N = n / (size_t)C;
            float *mean = layer->norm, *invstd = layer->norm + 2 * C;
            if (rng) batch_norm_statistics(mean, layer->norm + C, invstd, x, N, C, net->sums);
            else mean = layer->norm + 3 * C, invstd = layer->norm + 4 * C;
            batch_norm_forward(layer->out, x, layer->weight, layer->bias, mean, invstd, N, C);
            break;
        }
        default: { /* relu, leaky relu, sigmoid, tanh, maxout, max pool: row by row */
            layer_rows_job job = {layer, x, NULL, NULL, NULL, NULL};
            // an exponential per value: worth splitting at an eighth of the size
            const int costly = layer->kind == GAN_LAYER_SIGMOID || layer->kind == GAN_LAYER_TANH;
            par_for((size_t)B, 1, min_rows(costly ? layer->in_dim * 8 : layer->in_dim), forward_rows, &job);
            break;
        }
        }
        if (i == net->condition_layer && net->condition)
            condition_forward(layer->out, net->condition, net->class_weight, B, net->classes,
                              layer->out_dim / net->condition_width, net->condition_width);
        x = layer->out;
    }
    return x;
}

const float *network_backward(network *net, const float *dout, int row0, int B,
                              int param_grads, int input_grad)
{
    return network_backward_from(net, net->layer_count - 1, dout, row0, B, param_grads, input_grad);
}

const float *network_backward_from(network *net, int top, const float *dout, int row0, int B,
                                   int param_grads, int input_grad)
{
    int stop = 0; // lowest layer to visit
    if (!input_grad) {
        if (!param_grads || net->lowest_param < 0) return NULL;
        stop = net->lowest_param;
    }
    int which = 0;
    for (int i = top; i >= stop; i--) {
        network_layer *layer = &net->layers[i];
        int C = layer->in_dim, OC = layer->out_dim;
        const float *inp = (i == 0 ? net->input : net->layers[i - 1].out) + (size_t)row0 * C;
        const float *out = layer->out + (size_t)row0 * OC;
        int need_dinp = i > stop || input_grad;
        float *dinp = need_dinp ? net->scratch[which] : NULL;
        float *dweight = param_grads ? layer->dweight : NULL;
        if (param_grads && i == net->condition_layer && net->condition)
            condition_backward(net->dclass_weight, dout, net->condition + (size_t)row0 * net->classes,
                               B, net->classes, OC / net->condition_width, net->condition_width);
        switch (layer->kind) {
        case GAN_LAYER_DENSE:
            dense_backward(dinp, dweight, layer->dbias, dout, inp, layer->weight, B, C, OC);
            break;
        case GAN_LAYER_CONV:
            conv_backward(dinp, dweight, layer->dbias, dout, inp, layer->weight, net->col, B,
                          &layer->geometry, layer->out_shape.channels, layer->untied_bias,
                          layer->chunk, net->sums);
            break;
        case GAN_LAYER_CONV_TRANSPOSE:
            conv_transpose_backward(dinp, dweight, layer->dbias, dout, inp, layer->weight,
                                    net->col, B, &layer->geometry, layer->in_shape.channels,
                                    layer->untied_bias, layer->chunk, net->sums);
            break;
        case GAN_LAYER_BATCH_NORM: {
            /* the statistics couple the rows: only whole passes (G's) come here */
            const int BC = layer->in_shape.channels;
            batch_norm_backward(dinp, dweight, layer->dbias, dout, inp, layer->weight, layer->norm,
                                layer->norm + 2 * BC, (size_t)B * (size_t)(C / BC), BC, net->sums);
            break;
        }
        case GAN_LAYER_RESHAPE:
            /* the same values: dout is already dL/dinput */
            if (!need_dinp) return NULL;
            continue;
        default: { /* every other layer: row by row */
            if (!dinp) break;
            const float *mask = layer->mask ? layer->mask + (size_t)row0 * C : NULL;
            layer_rows_job job = {layer, inp, out, dout, dinp, mask};
            par_for((size_t)B, 1, min_rows(C), backward_rows, &job);
            break;
        }
        }
        if (!need_dinp) return NULL;
        dout = dinp;
        which ^= 1;
    }
    return dout;
}

int network_has_batch_norm(const network *net)
{
    for (int i = 0; i < net->layer_count; i++)
        if (net->layers[i].kind == GAN_LAYER_BATCH_NORM) return 1;
    return 0;
}

/* A weight tensor read as [rows][cols][inner]: column o is every w[a][o][c],
 * summed in (a, c) order, then the `extra` rows [extra_rows][cols] (the
 * class weights). Dense [in][units]: inner 1; convolution
 * [k][k][C][channels]: rows k k C, inner 1; transposed convolution
 * [k][k][channels][C]: rows k k, inner C. Columns go in blocks of
 * COLUMN_BLOCK, the unit par_for splits. */
enum { COLUMN_BLOCK = 64 };

typedef struct {
    float *w, *extra;
    size_t rows, cols, inner, extra_rows;
    float max;
} column_job;

static void column_blocks(void *ctx, size_t k0, size_t k1)
{
    const column_job *j = ctx;
    const size_t stride = j->cols * j->inner;
    for (size_t k = k0; k < k1; k++) {
        const size_t o0 = k * COLUMN_BLOCK;
        const size_t n = o0 + COLUMN_BLOCK < j->cols ? COLUMN_BLOCK : j->cols - o0;
        double sum[COLUMN_BLOCK] = {0.0};
        float factor[COLUMN_BLOCK];
        for (size_t a = 0; a < j->rows; a++) {
            const float *row = j->w + a * stride + o0 * j->inner;
            for (size_t o = 0; o < n; o++)
                for (size_t c = 0; c < j->inner; c++) {
                    const double x = row[o * j->inner + c];
                    sum[o] += x * x;
                }
        }
        for (size_t a = 0; a < j->extra_rows; a++)
            for (size_t o = 0; o < n; o++) {
                const double x = j->extra[a * j->cols + o0 + o];
                sum[o] += x * x;
            }
        for (size_t o = 0; o < n; o++) {
            const float norm = (float)sqrt(sum[o]);
            factor[o] = (norm < j->max ? norm : j->max) / (1e-7f + norm);
        }
        for (size_t a = 0; a < j->rows; a++) {
            float *row = j->w + a * stride + o0 * j->inner;
            for (size_t o = 0; o < n; o++)
                for (size_t c = 0; c < j->inner; c++) row[o * j->inner + c] *= factor[o];
        }
        for (size_t a = 0; a < j->extra_rows; a++)
            for (size_t o = 0; o < n; o++) j->extra[a * j->cols + o0 + o] *= factor[o];
    }
}

void network_limit_column_norms(network *net, float max_norm)
{
    for (int i = 0; i < net->layer_count; i++) {
        network_layer *layer = &net->layers[i];
        column_job j = {.w = layer->weight, .max = max_norm, .inner = 1};
        switch (layer->kind) {
        case GAN_LAYER_DENSE: j.cols = (size_t)layer->out_dim; break;
        case GAN_LAYER_CONV: j.cols = (size_t)layer->out_shape.channels; break;
        case GAN_LAYER_CONV_TRANSPOSE:
            j.cols = (size_t)layer->out_shape.channels;
            j.inner = (size_t)layer->in_shape.channels;
            break;
        default: continue;
        }
        j.rows = layer->weight_count / (j.cols * j.inner);
        if (net->classes && i == net->condition_layer) {
            j.extra = net->class_weight;
            j.extra_rows = (size_t)net->classes;
        }
        const size_t blocks = (j.cols + COLUMN_BLOCK - 1) / COLUMN_BLOCK;
        const size_t block_floats = COLUMN_BLOCK * (j.rows * j.inner + j.extra_rows);
        par_for(blocks, 1, MIN_CHUNK_FLOATS / block_floats + 1, column_blocks, &j);
    }
}

/* Sampling's mean and invstd rows (3 and 4 of norm) hold the sums while
 * calibrating. */
void network_calibration_begin(network *net)
{
    for (int i = 0; i < net->layer_count; i++) {
        network_layer *layer = &net->layers[i];
        if (layer->kind != GAN_LAYER_BATCH_NORM) continue;
        memset(layer->norm + 3 * layer->in_shape.channels, 0,
               2 * (size_t)layer->in_shape.channels * sizeof(float));
    }
}

void network_calibration_add(network *net)
{
    for (int i = 0; i < net->layer_count; i++) {
        network_layer *layer = &net->layers[i];
        if (layer->kind != GAN_LAYER_BATCH_NORM) continue;
        const int C = layer->in_shape.channels;
        const float *mean = layer->norm, *var = layer->norm + C;
        float *sum_mean = layer->norm + 3 * C, *sum_square = layer->norm + 4 * C;
        for (int c = 0; c < C; c++) {
            sum_mean[c] += mean[c];
            sum_square[c] += var[c] + mean[c] * mean[c];
        }
    }
}

void network_calibration_end(network *net, int passes)
{
    for (int i = 0; i < net->layer_count; i++) {
        network_layer *layer = &net->layers[i];
        if (layer->kind != GAN_LAYER_BATCH_NORM) continue;
        const int C = layer->in_shape.channels;
        float *mean = layer->norm + 3 * C, *invstd = layer->norm + 4 * C;
        for (int c = 0; c < C; c++) {
            const double m = (double)mean[c] / passes;
            double var = (double)invstd[c] / passes - m * m;
            if (var < 0) var = 0;
            mean[c] = (float)m;
            invstd[c] = (float)(1.0 / sqrt(var + BATCH_NORM_EPSILON));
        }
    }
}
