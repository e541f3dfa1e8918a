/*
 * network.c - MLP layers and the network that strings them together.
 */
#include "network.h"

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

void dropout_forward(float *out, const float *inp, float *mask, float keep_prob, prng *rng,
                     size_t N)
{
    if (!rng) {
        memcpy(out, inp, N * sizeof(float));
        return;
    }
    // the draws first (one stream, in order: the generator's state stays in
    // registers), then the mask and the product over the whole array
    prng_fill_uniform(rng, mask, N);
    float scale = 1.0f / keep_prob;
    size_t i = 0;
#ifdef GAN_SIMD128
    SIMD_LOOP(i, N) {
        const v128_t m = wasm_v128_and(SPLAT(scale), wasm_f32x4_lt(LOAD(mask + i), SPLAT(keep_prob)));
        STORE(mask + i, m);
        STORE(out + i, wasm_f32x4_mul(LOAD(inp + i), m));
    }
#endif
    for (; i < N; i++) {
        mask[i] = mask[i] < keep_prob ? scale : 0.0f;
        out[i] = inp[i] * mask[i];
    }
}

void dropout_backward(float *dinp, const float *dout, const float *mask, size_t N)
{
    size_t i = 0;
#ifdef GAN_SIMD128
    SIMD_LOOP(i, N) STORE(dinp + i, wasm_f32x4_mul(LOAD(dout + i), LOAD(mask + i)));
#endif
    for (; i < N; i++) dinp[i] = dout[i] * mask[i];
}

/* ---- networks ----------------------------------------------------------- */

/* Rows [b0, b1) of one layer's forward or backward pass (not dense, not
 * dropout's forward, which draws from one random stream in order): every
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
    default: break;
    }
}

int network_shape(const gan_network_config *config, int input_dim, unsigned long long *param_count)
{
    unsigned long long params = 0;
    if (param_count) *param_count = 0;
    if (!config || config->layer_count < 1 || config->layer_count > GAN_MAX_LAYERS) return -1;
    if (input_dim < 1) return -1;
    long long width = input_dim;
    for (int i = 0; i < config->layer_count; i++) {
        const gan_layer *layer = &config->layers[i];
        switch (layer->kind) {
        case GAN_LAYER_DENSE:
            if (layer->units < 1) return -1;
            params += (unsigned long long)width * (unsigned long long)layer->units + layer->units;
            width = layer->units;
            break;
        case GAN_LAYER_MAXOUT:
            if (layer->pieces < 1 || width % layer->pieces != 0) return -1;
            width /= layer->pieces;
            break;
        case GAN_LAYER_RELU:
        case GAN_LAYER_LEAKY_RELU:
        case GAN_LAYER_SIGMOID:
        case GAN_LAYER_TANH:
        case GAN_LAYER_DROPOUT:
            break;
        default:
            return -1;
        }
    }
    if (param_count) *param_count = params;
    return (int)width;
}

gan_status network_create(network *net, const gan_network_config *config, int input_dim,
                          int max_batch)
{
    unsigned long long params64;
    memset(net, 0, sizeof(*net));
    int output_dim = network_shape(config, input_dim, &params64);
    if (output_dim < 1 || max_batch < 1) return GAN_ERR_INVALID_ARGUMENT;
    if (params64 > (SIZE_MAX / sizeof(float)) / 2) return GAN_ERR_OUT_OF_MEMORY;

    net->layer_count = config->layer_count;
    net->input_dim = input_dim;
    net->output_dim = output_dim;
    net->max_batch = max_batch;
    net->param_count = (size_t)params64;
    net->lowest_dense = -1;

    // shapes, and the activation block's size in floats (counted in double
    // to catch overflow on 32-bit size_t)
    double acts_count = 0.0;
    int width = input_dim, max_width = input_dim;
    for (int i = 0; i < config->layer_count; i++) {
        const gan_layer *spec = &config->layers[i];
        network_layer *layer = &net->layers[i];
        layer->kind = spec->kind;
        layer->in_dim = width;
        layer->pieces = spec->pieces;
        layer->keep_prob = spec->keep_prob;
        layer->slope = spec->slope;
        layer->init_range = spec->init_range;
        if (spec->kind == GAN_LAYER_DENSE) {
            width = spec->units;
            if (net->lowest_dense < 0) net->lowest_dense = i;
        } else if (spec->kind == GAN_LAYER_MAXOUT) {
            width /= spec->pieces;
        }
        layer->out_dim = width;
        if (width > max_width) max_width = width;
        acts_count += (double)max_batch * width;
        if (spec->kind == GAN_LAYER_DROPOUT) acts_count += (double)max_batch * layer->in_dim;
    }
    net->max_width = max_width;
    acts_count += 2.0 * max_batch * (double)max_width;
    if (acts_count * sizeof(float) > (double)(SIZE_MAX / 2)) return GAN_ERR_OUT_OF_MEMORY;
    net->acts_count = (size_t)acts_count;

    // params and grads: never empty, so malloc(0) never happens
    size_t param_alloc = net->param_count ? net->param_count : 1;
    net->params = calloc(param_alloc, sizeof(float));
    net->grads = calloc(param_alloc, sizeof(float));
    net->acts = calloc(net->acts_count, sizeof(float));
    if (!net->params || !net->grads || !net->acts) {
        network_free(net);
        return GAN_ERR_OUT_OF_MEMORY;
    }

    // point into the blocks
    float *param = net->params, *grad = net->grads, *act = net->acts;
    for (int i = 0; i < net->layer_count; i++) {
        network_layer *layer = &net->layers[i];
        if (layer->kind == GAN_LAYER_DENSE) {
            size_t weights = (size_t)layer->in_dim * layer->out_dim;
            layer->weight = param;
            layer->dweight = grad;
            param += weights;
            grad += weights;
            layer->bias = param;
            layer->dbias = grad;
            param += layer->out_dim;
            grad += layer->out_dim;
        }
        layer->out = act;
        act += (size_t)max_batch * layer->out_dim;
        if (layer->kind == GAN_LAYER_DROPOUT) {
            layer->mask = act;
            act += (size_t)max_batch * layer->in_dim;
        }
    }
    net->scratch[0] = act;
    act += (size_t)max_batch * max_width;
    net->scratch[1] = act;
    return GAN_OK;
}

void network_free(network *net)
{
    if (!net) return;
    free(net->params);
    free(net->grads);
    free(net->acts);
    memset(net, 0, sizeof(*net));
}

void network_init(network *net, prng *rng)
{
    for (int i = 0; i < net->layer_count; i++) {
        network_layer *layer = &net->layers[i];
        if (layer->kind != GAN_LAYER_DENSE) continue;
        size_t weights = (size_t)layer->in_dim * layer->out_dim;
        float range = layer->init_range;
        for (size_t j = 0; j < weights; j++)
            layer->weight[j] = (2.0f * prng_uniform(rng) - 1.0f) * range;
        memset(layer->bias, 0, (size_t)layer->out_dim * sizeof(float));
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
        case GAN_LAYER_DROPOUT:
            dropout_forward(layer->out, x, layer->mask, layer->keep_prob, rng, n);
            break;
        default: { /* relu, leaky relu, sigmoid, tanh, maxout: row by row */
            layer_rows_job job = {layer, x, NULL, NULL, NULL, NULL};
            par_for((size_t)B, 1, min_rows(layer->in_dim), forward_rows, &job);
            break;
        }
        }
        x = layer->out;
    }
    return x;
}

const float *network_backward(network *net, const float *dout, int row0, int B,
                              int param_grads, int input_grad)
{
    int stop = 0; // lowest layer to visit
    if (!input_grad) {
        if (!param_grads || net->lowest_dense < 0) return NULL;
        stop = net->lowest_dense;
    }
    int which = 0;
    for (int i = net->layer_count - 1; i >= stop; i--) {
        network_layer *layer = &net->layers[i];
        int C = layer->in_dim, OC = layer->out_dim;
        const float *inp = (i == 0 ? net->input : net->layers[i - 1].out) + (size_t)row0 * C;
        const float *out = layer->out + (size_t)row0 * OC;
        int need_dinp = i > stop || input_grad;
        float *dinp = need_dinp ? net->scratch[which] : NULL;
        switch (layer->kind) {
        case GAN_LAYER_DENSE:
            dense_backward(dinp, param_grads ? layer->dweight : NULL, layer->dbias, dout, inp,
                           layer->weight, B, C, OC);
            break;
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
