/*
 * test_gradients.c - every layer's backward pass, and both complete losses
 * with respect to D's and G's parameters, against central differences.
 *
 * The kernels compute in float, so the checks use a step of 1e-3 on inputs
 * of order 1 and a loss summed in double; a relative error of a few 1e-3 is
 * float noise, while a wrong factor or a missing term is off by 10% or more.
 * Points near a kink (ReLU at 0, a maxout tie) are avoided by construction
 * for the layer tests; in the whole-network tests a coordinate is skipped
 * when a kink lies inside its step: a ReLU's sign or a maxout's or max
 * pool's winner differs between the evaluations, or the two one-sided
 * differences disagree. Convolutions are checked at awkward shapes (odd
 * sides, stride larger than the kernel, padding, one channel and many) and
 * inside a whole convolutional GAN.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gan.h"
#include "gan_internal.h"
#include "network.h"
#include "test_util.h"
#include "conv_models.h"

static uint64_t lcg = 12345;
static float uniform(float lo, float hi)
{
    lcg = lcg * 6364136223846793005ull + 1442695040888963407ull;
    return lo + (hi - lo) * (float)((lcg >> 40) * (1.0 / 16777216.0));
}

/* Away from 0 by at least 0.1, so ReLU's kink is never within a step. */
static float away_from_zero(void)
{
    float x = uniform(0.1f, 1.5f);
    return uniform(0.0f, 1.0f) < 0.5f ? -x : x;
}

static int close_enough(double analytic, double numeric, double rel, double abs_tol)
{
    double scale = fabs(analytic) > fabs(numeric) ? fabs(analytic) : fabs(numeric);
    return fabs(analytic - numeric) <= rel * scale + abs_tol;
}

/* ---- layer kernels ------------------------------------------------------ */

enum { B = 3, C = 8, OC = 5, UNITS = 4, PIECES = 2 };
static float coef[B * C * 4];  /* the loss is sum(coef * out) */

typedef void (*forward_fn)(float *out, const float *inp, int n_out);

static double loss_of(const float *out, size_t n)
{
    double sum = 0.0;
    for (size_t i = 0; i < n; i++) sum += (double)coef[i] * out[i];
    return sum;
}

/* Checks dinp against central differences of an elementwise or maxout layer. */
static void check_input_gradient(const char *name, void (*forward)(float *, const float *),
                                 const float *x, size_t n_in, size_t n_out, const float *dinp)
{
    float *xp = malloc(n_in * sizeof(float)), *out = malloc(n_out * sizeof(float));
    const float eps = 1e-3f;
    for (size_t i = 0; i < n_in; i++) {
        memcpy(xp, x, n_in * sizeof(float));
        xp[i] = x[i] + eps;
        forward(out, xp);
        double plus = loss_of(out, n_out);
        xp[i] = x[i] - eps;
        forward(out, xp);
        double minus = loss_of(out, n_out);
        double numeric = (plus - minus) / (2.0 * (double)eps);
        CHECK(close_enough(dinp[i], numeric, 5e-3, 1e-4), "%s dinp[%zu]: %g vs numeric %g", name,
              i, (double)dinp[i], numeric);
    }
    free(xp);
    free(out);
}

static float leaky_slope = 0.2f;
static void fwd_relu(float *out, const float *x) { relu_forward(out, x, B * C); }
static void fwd_leaky(float *out, const float *x) { leaky_relu_forward(out, x, leaky_slope, B * C); }
static void fwd_sigmoid(float *out, const float *x) { sigmoid_forward(out, x, B * C); }
static void fwd_tanh(float *out, const float *x) { tanh_forward(out, x, B * C); }
static void fwd_maxout(float *out, const float *x) { maxout_forward(out, x, B, UNITS, PIECES); }
static float dropout_mask[B * C];
static void fwd_dropout(float *out, const float *x)
{
    prng rng;
    prng_seed(&rng, 7, 99); /* the same mask every call */
    dropout_forward(out, x, dropout_mask, 0.6f, &rng, B * C);
}

static void test_layers(void)
{
    const size_t n = B * C;
    float x[B * C], out[B * C], dinp[B * C], dout[B * C];
    for (size_t i = 0; i < sizeof(coef) / sizeof(coef[0]); i++) coef[i] = uniform(-1.0f, 1.0f);
    for (size_t i = 0; i < n; i++) x[i] = away_from_zero();
    memcpy(dout, coef, sizeof(dout));

    relu_forward(out, x, n);
    relu_backward(dinp, dout, x, n);
    check_input_gradient("relu", fwd_relu, x, n, n, dinp);

    leaky_relu_forward(out, x, leaky_slope, n);
    leaky_relu_backward(dinp, dout, x, leaky_slope, n);
    check_input_gradient("leaky_relu", fwd_leaky, x, n, n, dinp);

    sigmoid_forward(out, x, n);
    sigmoid_backward(dinp, dout, out, n);
    check_input_gradient("sigmoid", fwd_sigmoid, x, n, n, dinp);

    tanh_forward(out, x, n);
    tanh_backward(dinp, dout, out, n);
    check_input_gradient("tanh", fwd_tanh, x, n, n, dinp);

    // maxout: pieces of a unit differ by at least 0.1, so no tie within a step
    for (size_t u = 0; u < B * UNITS; u++) {
        float base = uniform(-1.0f, 1.0f);
        x[u * PIECES] = base;
        x[u * PIECES + 1] = base + (uniform(0.0f, 1.0f) < 0.5f ? -1.0f : 1.0f) * uniform(0.1f, 0.8f);
    }
    maxout_forward(out, x, B, UNITS, PIECES);
    maxout_backward(dinp, dout, x, B, UNITS, PIECES);
    check_input_gradient("maxout", fwd_maxout, x, n, B * UNITS, dinp);
    // the winner gets all of it, the loser nothing
    for (size_t u = 0; u < B * UNITS; u++) {
        int winner = x[u * PIECES + 1] > x[u * PIECES];
        CHECK(dinp[u * PIECES + winner] == dout[u] && dinp[u * PIECES + !winner] == 0.0f,
              "maxout routing at unit %zu", u);
    }

    // dropout: training mode with a fixed mask; inference is the identity
    fwd_dropout(out, x);
    dropout_backward(dinp, dout, dropout_mask, n);
    check_input_gradient("dropout", fwd_dropout, x, n, n, dinp);
    int kept = 0;
    for (size_t i = 0; i < n; i++) {
        CHECK(dropout_mask[i] == 0.0f || dropout_mask[i] == 1.0f / 0.6f, "mask value %g",
              (double)dropout_mask[i]);
        kept += dropout_mask[i] != 0.0f;
    }
    CHECK(kept > 0 && kept < (int)n, "mask kept %d of %zu", kept, n);
    dropout_forward(out, x, NULL, 0.6f, NULL, n);
    CHECK(memcmp(out, x, sizeof(x)) == 0, "dropout inference is not the identity");

    // dense: dinp, dweight, dbias
    float inp[B * C], weight[C * OC], bias[OC], dense_out[B * OC];
    float d_inp[B * C], d_weight[C * OC], d_bias[OC];
    for (size_t i = 0; i < B * C; i++) inp[i] = uniform(-1.0f, 1.0f);
    for (size_t i = 0; i < C * OC; i++) weight[i] = uniform(-1.0f, 1.0f);
    for (size_t i = 0; i < OC; i++) bias[i] = uniform(-1.0f, 1.0f);
    // NaN in the gradient buffers: backward must overwrite, not accumulate
    for (size_t i = 0; i < C * OC; i++) d_weight[i] = NAN;
    for (size_t i = 0; i < OC; i++) d_bias[i] = NAN;
    for (size_t i = 0; i < B * C; i++) d_inp[i] = NAN;
    dense_forward(dense_out, inp, weight, bias, B, C, OC);
    dense_backward(d_inp, d_weight, d_bias, coef, inp, weight, B, C, OC);
    struct { const char *name; float *values; float *grads; size_t count; } groups[] = {
        {"dense dinp", inp, d_inp, B * C},
        {"dense dweight", weight, d_weight, C * OC},
        {"dense dbias", bias, d_bias, OC},
    };
    const float eps = 1e-3f;
    for (int g = 0; g < 3; g++) {
        for (size_t i = 0; i < groups[g].count; i++) {
            float saved = groups[g].values[i];
            groups[g].values[i] = saved + eps;
            dense_forward(dense_out, inp, weight, bias, B, C, OC);
            double plus = loss_of(dense_out, B * OC);
            groups[g].values[i] = saved - eps;
            dense_forward(dense_out, inp, weight, bias, B, C, OC);
            double minus = loss_of(dense_out, B * OC);
            groups[g].values[i] = saved;
            double numeric = (plus - minus) / (2.0 * (double)eps);
            CHECK(close_enough(groups[g].grads[i], numeric, 5e-3, 1e-4), "%s[%zu]: %g vs %g",
                  groups[g].name, i, (double)groups[g].grads[i], numeric);
        }
    }
    // the output itself against a direct sum
    dense_forward(dense_out, inp, weight, bias, B, C, OC);
    for (int b = 0; b < B; b++) {
        for (int o = 0; o < OC; o++) {
            double y = bias[o];
            for (int k = 0; k < C; k++) y += (double)inp[b * C + k] * weight[k * OC + o];
            CHECK(fabs(y - dense_out[b * OC + o]) < 1e-5, "dense out[%d][%d]", b, o);
        }
    }
}

/* ---- convolutions and pooling ------------------------------------------- */

/* A convolution or transposed convolution (and max pooling) at one shape:
 * dinp, dweight and dbias against central differences of sum(coef * out). */
typedef struct conv_case {
    const char *name;
    int B, H, W, C;   /* the image side: a convolution's input, a transposed one's output */
    int OC;           /* the grid side's channels */
    int K, S, P;      /* kernel, stride, padding */
    int untied, transpose, chunk;
} conv_case;

static double worst_layer_error;

static double sum_coef(const float *out, const float *c, size_t n)
{
    double sum = 0.0;
    for (size_t i = 0; i < n; i++) sum += (double)c[i] * out[i];
    return sum;
}

static void conv_run(const conv_case *t, const conv_geometry *g, float *out, const float *inp,
                     const float *weight, const float *bias, float *col)
{
    if (t->transpose)
        conv_transpose_forward(out, inp, weight, bias, col, t->B, g, t->OC, t->untied, t->chunk);
    else
        conv_forward(out, inp, weight, bias, col, t->B, g, t->OC, t->untied, t->chunk);
}

/* Convolutions are linear in every input: a central difference with any
 * step is their exact derivative up to rounding, and the step is large. */
static void check_conv_case(const conv_case *t)
{
    conv_geometry g = {t->H, t->W, t->C, 0, 0, t->K, t->S, t->P};
    g.out_height = (t->H + 2 * t->P - t->K) / t->S + 1;
    g.out_width = (t->W + 2 * t->P - t->K) / t->S + 1;
    const size_t image = (size_t)t->H * t->W * t->C, grid = (size_t)g.out_height * g.out_width * t->OC;
    const size_t in_n = t->B * (t->transpose ? grid : image), out_n = t->B * (t->transpose ? image : grid);
    const size_t weights = (size_t)t->K * t->K * t->C * t->OC;
    const size_t biases = t->untied ? (t->transpose ? image : grid) : (size_t)(t->transpose ? t->C : t->OC);
    float *inp = malloc(in_n * sizeof(float)), *weight = malloc(weights * sizeof(float));
    float *bias = malloc(biases * sizeof(float)), *out = malloc(out_n * sizeof(float));
    float *c = malloc(out_n * sizeof(float)), *dinp = malloc(in_n * sizeof(float));
    float *dweight = malloc(weights * sizeof(float)), *dbias = malloc(biases * sizeof(float));
    float *col = malloc((size_t)t->B * g.out_height * g.out_width * t->K * t->K * t->C * sizeof(float));
    double *sums = malloc(conv_sums_count(&g, t->OC, t->transpose) * sizeof(double));
    for (size_t i = 0; i < in_n; i++) inp[i] = uniform(-1.0f, 1.0f);
    for (size_t i = 0; i < weights; i++) weight[i] = uniform(-1.0f, 1.0f);
    for (size_t i = 0; i < biases; i++) bias[i] = uniform(-1.0f, 1.0f);
    for (size_t i = 0; i < out_n; i++) c[i] = uniform(-1.0f, 1.0f);
    // NaN first: backward must write every gradient, not accumulate
    for (size_t i = 0; i < in_n; i++) dinp[i] = NAN;
    for (size_t i = 0; i < weights; i++) dweight[i] = NAN;
    for (size_t i = 0; i < biases; i++) dbias[i] = NAN;
    conv_run(t, &g, out, inp, weight, bias, col);
    if (t->transpose)
        conv_transpose_backward(dinp, dweight, dbias, c, inp, weight, col, t->B, &g, t->OC, t->untied, t->chunk, sums);
    else
        conv_backward(dinp, dweight, dbias, c, inp, weight, col, t->B, &g, t->OC, t->untied, t->chunk, sums);
    struct { const char *what; float *values, *grads; size_t n; } groups[] = {
        {"dinp", inp, dinp, in_n}, {"dweight", weight, dweight, weights}, {"dbias", bias, dbias, biases}};
    /* the loss is linear in each of them, so a large step is exact and
     * keeps the float rounding of hundreds of summed outputs small */
    const float eps = 0.25f;
    double worst = 0.0;
    for (int k = 0; k < 3; k++) {
        for (size_t i = 0; i < groups[k].n; i++) {
            float saved = groups[k].values[i];
            groups[k].values[i] = saved + eps;
            conv_run(t, &g, out, inp, weight, bias, col);
            double plus = sum_coef(out, c, out_n);
            groups[k].values[i] = saved - eps;
            conv_run(t, &g, out, inp, weight, bias, col);
            double minus = sum_coef(out, c, out_n);
            groups[k].values[i] = saved;
            double numeric = (plus - minus) / (2.0 * (double)eps);
            double scale = fabs(numeric) > 1e-2 ? fabs(numeric) : 1e-2;
            double error = fabs(groups[k].grads[i] - numeric) / scale;
            if (error > worst) worst = error;
            CHECK(close_enough(groups[k].grads[i], numeric, 5e-3, 2e-4), "%s %s[%zu]: %g vs numeric %g",
                  t->name, groups[k].what, i, (double)groups[k].grads[i], numeric);
        }
    }
    if (worst > worst_layer_error) worst_layer_error = worst;
    printf("%-44s %5zu values checked, worst relative error %.2g\n", t->name, in_n + weights + biases, worst);
    free(inp); free(weight); free(bias); free(out); free(c); free(dinp); free(dweight); free(dbias); free(col); free(sums);
}

static void test_convolutions(void)
{
    static const conv_case cases[] = {
        /* name                                     B  H  W   C  OC K  S  P untied transpose chunk */
        {"conv 1 channel, 5x5, k3 s1 p0",           2, 5, 5,  1, 2, 3, 1, 0, 0, 0, 2},
        {"conv odd 7x5, k3 s2 p1, 3 -> 4",          3, 7, 5,  3, 4, 3, 2, 1, 0, 0, 1},
        {"conv stride 3 > kernel 2, untied",        2, 6, 7,  2, 3, 2, 3, 0, 1, 0, 2},
        {"conv many channels 17 -> 9, k4 s2 p1",    2, 6, 6, 17, 9, 4, 2, 1, 0, 0, 1},
        {"conv padding 3 of kernel 4, 1x1 -> 1",    2, 3, 3,  2, 1, 4, 1, 3, 0, 0, 2},
        {"conv transpose 1 channel, k3 s2 p1",      2, 5, 5,  1, 3, 3, 2, 1, 0, 1, 1},
        {"conv transpose odd 9x7, k4 s2 p1, untied", 2, 9, 7, 2, 5, 4, 2, 1, 1, 1, 2},
        {"conv transpose stride 3 > kernel 2",      2, 8, 5,  3, 2, 2, 3, 0, 0, 1, 1},
        {"conv transpose many channels 1 <- 19",    2, 7, 7,  1, 19, 3, 2, 1, 0, 1, 2},
        {"conv transpose authors' k5 stride 3 p0",  2, 11, 11, 3, 4, 5, 3, 0, 1, 1, 1},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) check_conv_case(&cases[i]);

    // max pooling, ceil mode's clipped windows and overlapping ones: values
    // spaced 0.01 apart, so no tie is within a step
    static const int pools[][6] = { /* H, W, C, kernel, stride, padding; then ceil */
        {5, 5, 3, 2, 2, 0}, {7, 6, 2, 3, 2, 1}, {6, 6, 4, 4, 2, 2}, {5, 7, 1, 2, 3, 0},
    };
    for (size_t t = 0; t < sizeof(pools) / sizeof(pools[0]); t++) {
        for (int ceil = 0; ceil < 2; ceil++) {
            const int *p = pools[t];
            conv_geometry g = {p[0], p[1], p[2], 0, 0, p[3], p[4], p[5]};
            for (int side = 0; side < 2; side++) {
                int in = side ? g.width : g.height, span = in + 2 * g.padding - g.kernel;
                int out = (ceil ? (span + g.stride - 1) / g.stride : span / g.stride) + 1;
                if (ceil && (out - 1) * g.stride >= in + g.padding) out--;
                if (side) g.out_width = out; else g.out_height = out;
            }
            const int Bp = 2;
            const size_t in_n = (size_t)Bp * g.height * g.width * g.channels;
            const size_t out_n = (size_t)Bp * g.out_height * g.out_width * g.channels;
            float *x = malloc(in_n * sizeof(float)), *y = malloc(out_n * sizeof(float));
            float *c = malloc(out_n * sizeof(float)), *dx = malloc(in_n * sizeof(float));
            for (size_t i = 0; i < in_n; i++) x[i] = 0.01f * (float)((i * 7919) % in_n) - 1.0f;
            for (size_t i = 0; i < out_n; i++) c[i] = uniform(-1.0f, 1.0f);
            for (size_t i = 0; i < in_n; i++) dx[i] = NAN;
            max_pool_backward(dx, c, x, Bp, &g);
            const float eps = 1e-3f;
            double worst = 0.0;
            for (size_t i = 0; i < in_n; i++) {
                float saved = x[i];
                x[i] = saved + eps;
                max_pool_forward(y, x, Bp, &g);
                double plus = sum_coef(y, c, out_n);
                x[i] = saved - eps;
                max_pool_forward(y, x, Bp, &g);
                double minus = sum_coef(y, c, out_n);
                x[i] = saved;
                double numeric = (plus - minus) / (2.0 * (double)eps);
                double error = fabs(dx[i] - numeric) / (fabs(numeric) > 1e-2 ? fabs(numeric) : 1e-2);
                if (error > worst) worst = error;
                CHECK(close_enough(dx[i], numeric, 5e-3, 2e-4), "max pool %zu ceil %d dx[%zu]: %g vs %g",
                      t, ceil, i, (double)dx[i], numeric);
            }
            if (worst > worst_layer_error) worst_layer_error = worst;
            printf("max pool %dx%dx%d k%d s%d p%d%-14s %5zu values checked, worst relative error %.2g\n",
                   g.channels, g.height, g.width, g.kernel, g.stride, g.padding, ceil ? " ceil" : "",
                   in_n, worst);
            free(x); free(y); free(c); free(dx);
        }
    }
    printf("worst relative error of any image layer: %.2g\n", worst_layer_error);
}

/* ---- whole losses ------------------------------------------------------- */

/* A tiny model using every layer kind, with a fixed real batch; `extra`
 * keys (count pairs, may be 0) on top. */
static gan *tiny_model_with(const char *loss, const char *order, const char *const (*extra)[2],
                            size_t extra_count);

static gan *tiny_model(const char *loss, const char *order)
{
    return tiny_model_with(loss, order, NULL, 0);
}

static gan *tiny_model_with(const char *loss, const char *order, const char *const (*extra)[2],
                            size_t extra_count)
{
    gan_config c;
    gan_preset("toy", &c);
    const char *settings[][2] = {
        {"noise_dim", "3"}, {"data_dim", "4"}, {"batch_size", "5"}, {"seed", "11"},
        {"generator_loss", loss}, {"update_order", order},
        {"g.layer_count", "5"},
        {"g.layers.0.kind", "dense"}, {"g.layers.0.units", "6"}, {"g.layers.0.init_range", "0.8"},
        {"g.layers.1.kind", "tanh"},
        {"g.layers.2.kind", "dense"}, {"g.layers.2.units", "4"}, {"g.layers.2.init_range", "0.8"},
        {"g.layers.3.kind", "dropout"}, {"g.layers.3.keep_prob", "0.9"},
        {"g.layers.4.kind", "sigmoid"},
        {"d.layer_count", "8"},
        {"d.layers.0.kind", "dropout"}, {"d.layers.0.keep_prob", "0.8"},
        {"d.layers.1.kind", "dense"}, {"d.layers.1.units", "8"}, {"d.layers.1.init_range", "0.9"},
        {"d.layers.2.kind", "maxout"}, {"d.layers.2.pieces", "2"},
        {"d.layers.3.kind", "leaky_relu"}, {"d.layers.3.slope", "0.2"},
        {"d.layers.4.kind", "dense"}, {"d.layers.4.units", "5"}, {"d.layers.4.init_range", "0.9"},
        {"d.layers.5.kind", "relu"},
        {"d.layers.6.kind", "dense"}, {"d.layers.6.units", "1"}, {"d.layers.6.init_range", "0.9"},
        {"d.layers.7.kind", "dropout"}, {"d.layers.7.keep_prob", "1"},
    };
    for (size_t i = 0; i < sizeof(settings) / sizeof(settings[0]); i++)
        CHECK(gan_config_set(&c, settings[i][0], settings[i][1]) == GAN_OK, "set %s", settings[i][0]);
    // D must end in a dense layer: drop the trailing keep-everything dropout again
    gan_config_set(&c, "d.layer_count", "7");
    for (size_t i = 0; i < extra_count; i++)
        CHECK(gan_config_set(&c, extra[i][0], extra[i][1]) == GAN_OK, "set %s", extra[i][0]);
    gan *model = NULL;
    gan_status status = gan_create(&c, &model);
    CHECK(status == GAN_OK, "create: %s", gan_status_string(status));
    return model;
}

/* The shared tiny convolutional GAN (conv_models.h), with G's loss and the
 * update order under test. */
static gan *tiny_conv_model(const char *loss, const char *order)
{
    gan_config c;
    const char *const extra[][2] = {
        {"batch_size", "3"}, {"seed", "12"}, {"generator_loss", loss}, {"update_order", order},
    };
    tiny_conv_config(&c, extra, sizeof(extra) / sizeof(extra[0]));
    char why[256];
    CHECK(gan_config_explain(&c, why, sizeof(why)) == GAN_OK, "tiny conv: %s", why);
    gan *model = NULL;
    gan_status status = gan_create(&c, &model);
    CHECK(status == GAN_OK, "create: %s", gan_status_string(status));
    return model;
}

/* Which piece of every piecewise-linear layer each value is on, in the last
 * forward passes of both networks, hashed: ReLU and leaky ReLU signs,
 * maxout and max-pool winners. Two evaluations with the same signature are
 * on the same linear piece, so no kink lies between them. */
static uint64_t signature_mix(uint64_t h, uint64_t x)
{
    return (h ^ x) * 1099511628211ull;
}

static uint64_t kink_signature(const network *net, uint64_t h)
{
    for (int i = 0; i < net->layer_count; i++) {
        const network_layer *layer = &net->layers[i];
        const float *inp = i == 0 ? net->input : net->layers[i - 1].out;
        const size_t n = (size_t)net->batch * layer->in_dim;
        switch (layer->kind) {
        case GAN_LAYER_RELU:
        case GAN_LAYER_LEAKY_RELU:
            for (size_t j = 0; j < n; j++) h = signature_mix(h, inp[j] > 0.0f);
            break;
        case GAN_LAYER_MAXOUT:
            for (size_t g = 0; g < n / layer->pieces; g++) {
                const float *group = inp + g * layer->pieces;
                int winner = 0;
                for (int p = 1; p < layer->pieces; p++)
                    if (group[p] > group[winner]) winner = p;
                h = signature_mix(h, (uint64_t)winner);
            }
            break;
        case GAN_LAYER_MAX_POOL: {
            const conv_geometry *g = &layer->geometry;
            for (int b = 0; b < net->batch; b++)
                for (int oh = 0; oh < g->out_height; oh++)
                    for (int ow = 0; ow < g->out_width; ow++)
                        for (int c = 0; c < g->channels; c++) {
                            size_t best = 0;
                            float best_value = -INFINITY;
                            for (int kh = 0; kh < g->kernel; kh++)
                                for (int kw = 0; kw < g->kernel; kw++) {
                                    int ih = oh * g->stride - g->padding + kh, iw = ow * g->stride - g->padding + kw;
                                    if (ih < 0 || ih >= g->height || iw < 0 || iw >= g->width) continue;
                                    size_t at = (((size_t)b * g->height + ih) * g->width + iw) * g->channels + c;
                                    if (inp[at] > best_value) best_value = inp[at], best = at;
                                }
                            h = signature_mix(h, best);
                        }
            break;
        }
        default:
            break;
        }
    }
    return h;
}

/* The real rows' classes for the passes of a conditional model, else NULL. */
static const uint8_t *pass_labels;

static double pass_loss(gan *model, const float *real, int generator, int shared,
                        const prng *rng)
{
    step_values r;
    model->rng = *rng; /* the same noise and masks for every evaluation */
    if (generator && !shared) {
        train_generator_pass(model, &r);
        return r.g_loss;
    }
    train_discriminator_pass(model, real, pass_labels, shared, &r);
    return generator ? r.g_loss : r.d_loss;
}

/* dLoss/dparams of one network against central differences with step eps:
 * 1e-3 for the MLPs; 2e-3 for the convolutional model, whose logit sums
 * more float products, so that the loss's rounding (about 1e-7 of it, over
 * 2 eps) stays under the tolerance, while few steps cross a kink. */
static void check_loss_gradient_step(const char *name, gan *model, const float *real,
                                     int generator, int shared, float eps)
{
    network *net = generator ? &model->generator : &model->discriminator;
    prng rng = model->rng;
    pass_loss(model, real, generator, shared, &rng);
    size_t n = net->param_count;
    float *analytic = malloc(n * sizeof(float));
    memcpy(analytic, net->grads, n * sizeof(float));
    int checked = 0, skipped = 0;
    double worst = 0.0;
    const uint64_t basis = 14695981039346656037ull;
    for (size_t i = 0; i < n; i++) {
        float saved = net->params[i];
        double center = pass_loss(model, real, generator, shared, &rng);
        uint64_t center_kinks = kink_signature(&model->discriminator, kink_signature(&model->generator, basis));
        net->params[i] = saved + eps;
        double plus = pass_loss(model, real, generator, shared, &rng);
        uint64_t plus_kinks = kink_signature(&model->discriminator, kink_signature(&model->generator, basis));
        net->params[i] = saved - eps;
        double minus = pass_loss(model, real, generator, shared, &rng);
        uint64_t minus_kinks = kink_signature(&model->discriminator, kink_signature(&model->generator, basis));
        net->params[i] = saved;
        double right = (plus - center) / eps, left = (center - minus) / eps;
        double numeric = (plus - minus) / (2.0 * (double)eps);
        // a kink inside the step: a ReLU's sign or a maxout's or pool's
        // winner changed, or (a sharp bend) the one-sided slopes disagree
        if (plus_kinks != center_kinks || minus_kinks != center_kinks ||
            !close_enough(right, left, 0.05, 2e-4)) {
            skipped++;
            continue;
        }
        checked++;
        double scale = fabs(numeric) > 1e-3 ? fabs(numeric) : 1e-3;
        double error = fabs(analytic[i] - numeric) / scale;
        if (error > worst) worst = error;
        CHECK(close_enough(analytic[i], numeric, 1e-2, 2e-5), "%s param %zu: %g vs numeric %g",
              name, i, (double)analytic[i], numeric);
    }
    CHECK(checked > (int)(9 * n / 10), "%s: only %d of %zu checked (%d at kinks)", name, checked,
          n, skipped);
    printf("%-28s %4d params checked, %2d skipped at kinks, worst relative error %.2g\n", name,
           checked, skipped, worst);
    free(analytic);
}

static void check_loss_gradient(const char *name, gan *model, const float *real, int generator,
                                int shared)
{
    check_loss_gradient_step(name, model, real, generator, shared, 1e-3f);
}

static void test_losses(void)
{
    float real[5 * 4];
    for (int i = 0; i < 20; i++) real[i] = uniform(0.0f, 1.0f);
    const char *losses[] = {"non-saturating", "minimax"};
    for (int l = 0; l < 2; l++) {
        gan *model = tiny_model(losses[l], "alternating");
        if (!model) return;
        char name[64];
        snprintf(name, sizeof(name), "D loss wrt D (%s)", losses[l]);
        if (l == 0) check_loss_gradient(name, model, real, 0, 0);
        snprintf(name, sizeof(name), "G loss wrt G (%s)", losses[l]);
        check_loss_gradient(name, model, real, 1, 0);
        gan_free(model);
        // simultaneous: G's loss through the same pass as D's
        model = tiny_model(losses[l], "simultaneous");
        snprintf(name, sizeof(name), "G loss shared (%s)", losses[l]);
        check_loss_gradient(name, model, real, 1, 1);
        if (l == 0) check_loss_gradient("D loss shared", model, real, 0, 1);
        gan_free(model);
    }
    // one-sided label smoothing: D's target for real rows below 1
    gan *model = tiny_model("non-saturating", "alternating");
    if (model) {
        model->config.real_target = 0.9f;
        check_loss_gradient("D loss, real target 0.9", model, real, 0, 0);
        gan_free(model);
    }
}

static void test_conv_losses(void)
{
    float real[3 * 50];
    for (int i = 0; i < 3 * 50; i++) real[i] = uniform(0.0f, 1.0f);
    gan *model = tiny_conv_model("non-saturating", "alternating");
    if (!model) return;
    check_loss_gradient_step("conv GAN: D loss wrt D", model, real, 0, 0, 2e-3f);
    check_loss_gradient_step("conv GAN: G loss wrt G", model, real, 1, 0, 2e-3f);
    gan_free(model);
    model = tiny_conv_model("minimax", "simultaneous");
    if (!model) return;
    check_loss_gradient_step("conv GAN: G loss shared (minimax)", model, real, 1, 1, 2e-3f);
    check_loss_gradient_step("conv GAN: D loss shared", model, real, 0, 1, 2e-3f);
    gan_free(model);
}

/* The tiny convolutional GAN with batch normalisation in G
 * (conv_models.h): the gradient through the batch's statistics. */
static gan *tiny_batch_norm_model(const char *order)
{
    gan_config c;
    const char *const extra[][2] = {
        {"batch_size", "6"}, {"seed", "13"}, {"update_order", order},
    };
    tiny_batch_norm_config(&c, extra, sizeof(extra) / sizeof(extra[0]));
    char why[256];
    CHECK(gan_config_explain(&c, why, sizeof(why)) == GAN_OK, "tiny batch norm: %s", why);
    gan *model = NULL;
    CHECK(gan_create(&c, &model) == GAN_OK, "create the batch-norm model");
    if (!model) return NULL;
    // gamma and beta away from 1 and 0, so that both gradients are general
    for (int i = 0; i < model->generator.layer_count; i++) {
        network_layer *layer = &model->generator.layers[i];
        if (layer->kind != GAN_LAYER_BATCH_NORM) continue;
        for (size_t j = 0; j < layer->weight_count; j++) {
            layer->weight[j] = uniform(0.5f, 1.5f);
            layer->bias[j] = uniform(-0.5f, 0.5f);
        }
    }
    return model;
}

static void test_batch_norm_losses(void)
{
    float real[6 * 50];
    for (int i = 0; i < 6 * 50; i++) real[i] = uniform(0.0f, 1.0f);
    gan *model = tiny_batch_norm_model("alternating");
    if (!model) return;
    check_loss_gradient_step("batch norm: G loss wrt G", model, real, 1, 0, 2e-3f);
    gan_free(model);
    model = tiny_batch_norm_model("simultaneous");
    if (!model) return;
    check_loss_gradient_step("batch norm: G loss shared", model, real, 1, 1, 2e-3f);
    gan_free(model);
}

/* Class-conditional models and feature matching: the class weights of G
 * and D (a dense first layer, and a convolution), the auxiliary
 * classifier's cross-entropy in both losses, and G's feature-matching loss,
 * in both update orders. */
static void test_conditional_losses(void)
{
    float real[5 * 4];
    for (int i = 0; i < 20; i++) real[i] = uniform(0.0f, 1.0f);
    static const uint8_t labels[6] = {2, 0, 1, 2, 1, 0};
    pass_labels = labels;
    const char *const kinds[] = {"concat", "auxiliary"};
    for (int k = 0; k < 2; k++) {
        const char *const extra[][2] = {{"conditional", kinds[k]}, {"classes", "3"}};
        char name[64];
        gan *model = tiny_model_with("non-saturating", "alternating", extra, 2);
        if (!model) break;
        CHECK(model->generator.classes == 3 && model->discriminator.classes == (k == 0 ? 3 : 0) &&
              model->discriminator.output_dim == (k == 0 ? 1 : 4), "%s: shapes", kinds[k]);
        snprintf(name, sizeof(name), "%s: D loss wrt D", kinds[k]);
        check_loss_gradient(name, model, real, 0, 0);
        snprintf(name, sizeof(name), "%s: G loss wrt G", kinds[k]);
        check_loss_gradient(name, model, real, 1, 0);
        gan_free(model);
        model = tiny_model_with("minimax", "simultaneous", extra, 2);
        if (!model) break;
        snprintf(name, sizeof(name), "%s: G loss shared (minimax)", kinds[k]);
        check_loss_gradient(name, model, real, 1, 1);
        gan_free(model);
        model = tiny_model_with("feature-matching", "alternating", extra, 2);
        if (!model) break;
        snprintf(name, sizeof(name), "%s: feature matching wrt G", kinds[k]);
        check_loss_gradient(name, model, real, 1, 0);
        gan_free(model);
        model = tiny_model_with("feature-matching", "simultaneous", extra, 2);
        if (!model) break;
        snprintf(name, sizeof(name), "%s: feature matching shared", kinds[k]);
        check_loss_gradient(name, model, real, 1, 1);
        gan_free(model);
    }
    // the AC-GAN's class loss weights: the gradients follow them, and each loss
    // is its class term's weight times that term, plus the rest
    const char *const weighted[][2] = {{"conditional", "auxiliary"}, {"classes", "3"},
                                       {"g_class_loss_weight", "0.3"},
                                       {"d_fake_class_loss_weight", "0.4"}};
    for (int o = 0; o < 2; o++) {
        gan *model = tiny_model_with("non-saturating", o ? "simultaneous" : "alternating", weighted, 4);
        if (!model) break;
        char name[64];
        snprintf(name, sizeof(name), "weighted classes: %s", o ? "G loss shared" : "D loss wrt D");
        check_loss_gradient(name, model, real, o, o);
        if (!o) check_loss_gradient("weighted classes: G loss wrt G", model, real, 1, 0);
        for (int generator = 0; generator < 2; generator++) {
            float *weight = generator ? &model->config.g_class_loss_weight
                                      : &model->config.d_fake_class_loss_weight;
            const prng rng = model->rng;
            double loss[3];
            const float weights[3] = {0.0f, 1.0f, 0.4f};
            for (int w = 0; w < 3; w++) {
                *weight = weights[w];
                loss[w] = pass_loss(model, real, generator, o, &rng);
            }
            CHECK(fabs(loss[1] - loss[0]) > 1e-3 &&
                      close_enough(loss[2], loss[0] + 0.4 * (loss[1] - loss[0]), 1e-6, 1e-9),
                  "%s: %s loss %g, %g, %g at class weights 0, 1, 0.4", name,
                  generator ? "G's" : "D's", loss[0], loss[1], loss[2]);
        }
        gan_free(model);
    }
    pass_labels = NULL;
    const char *const orders[] = {"alternating", "simultaneous"};
    for (int o = 0; o < 2; o++) {
        gan *model = tiny_model("feature-matching", orders[o]);
        if (!model) break;
        char name[64];
        snprintf(name, sizeof(name), "feature matching wrt G (%s)", orders[o]);
        check_loss_gradient(name, model, real, 1, o);
        gan_free(model);
    }
    // a convolutional D takes the classes as constant planes
    float images[3 * 50];
    for (int i = 0; i < 3 * 50; i++) images[i] = uniform(0.0f, 1.0f);
    pass_labels = labels;
    gan_config c;
    const char *const extra[][2] = {
        {"batch_size", "3"}, {"seed", "21"}, {"conditional", "concat"}, {"classes", "3"},
    };
    tiny_conv_config(&c, extra, 4);
    gan *model = NULL;
    CHECK(gan_create(&c, &model) == GAN_OK, "create the conditional conv model");
    if (model) {
        check_loss_gradient_step("concat conv: D loss wrt D", model, images, 0, 0, 5e-4f);
        check_loss_gradient_step("concat conv: G loss wrt G", model, images, 1, 0, 2e-3f);
        gan_free(model);
    }
    pass_labels = NULL;
}

/* The losses' values against their definitions, for extreme logits too. */
static void test_loss_values(void)
{
    gan *model = tiny_model("non-saturating", "alternating");
    if (!model) return;
    float real[5 * 4];
    for (int i = 0; i < 20; i++) real[i] = uniform(0.0f, 1.0f);
    // make D's output a constant logit L: zero its last layer's weights, set its bias
    network *D = &model->discriminator;
    network_layer *last = &D->layers[D->layer_count - 1];
    const float logits[] = {0.0f, 3.0f, -3.0f, 40.0f, -40.0f, 200.0f, -200.0f, 1e30f, -1e30f};
    for (size_t t = 0; t < sizeof(logits) / sizeof(logits[0]); t++) {
        float L = logits[t];
        memset(last->weight, 0, (size_t)last->in_dim * sizeof(float));
        last->bias[0] = L;
        step_values r;
        train_discriminator_pass(model, real, NULL, 0, &r);
        double d = 1.0 / (1.0 + exp(-(double)L));
        // 0.5 [ -log D + -log(1 - D) ] = 0.5 [softplus(-L) + softplus(L)]
        double softplus_pos = L > 0 ? L + log1p(exp(-(double)L)) : log1p(exp((double)L));
        double softplus_neg = -L > 0 ? -L + log1p(exp((double)L)) : log1p(exp(-(double)L));
        double expected = 0.5 * (softplus_neg + softplus_pos);
        CHECK(isfinite(r.d_loss) && fabs(r.d_loss - expected) <= 1e-9 * (1.0 + expected),
              "d_loss at logit %g: %.17g vs %.17g", (double)L, r.d_loss, expected);
        CHECK(fabs(r.d_real - d) < 1e-12 && fabs(r.d_fake - d) < 1e-12, "D(x) at %g", (double)L);
        CHECK(isfinite(r.d_grad_norm), "grad norm at %g", (double)L);
        train_generator_pass(model, &r);
        CHECK(isfinite(r.g_loss) && fabs(r.g_loss - softplus_neg) <= 1e-9 * (1.0 + softplus_neg),
              "g_loss at logit %g: %.17g vs %.17g", (double)L, r.g_loss, softplus_neg);
    }
    gan_free(model);
}

int main(void)
{
    test_layers();
    test_losses();
    test_loss_values();
    test_convolutions();
    test_conv_losses();
    test_batch_norm_losses();
    test_conditional_losses();
    return test_summary("test_gradients");
}
