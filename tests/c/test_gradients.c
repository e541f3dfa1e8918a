/*
 * test_gradients.c - every layer's backward pass, and both complete losses
 * with respect to D's and G's parameters, against central differences.
 *
 * The kernels compute in float, so the checks use a step of 1e-3 on inputs
 * of order 1 and a loss summed in double; a relative error of a few 1e-3 is
 * float noise, while a wrong factor or a missing term is off by 10% or more.
 * Points near a kink (ReLU at 0, a maxout tie) are avoided by construction
 * for the layer tests; in the whole-network tests a coordinate is skipped
 * when its two one-sided differences disagree (a kink inside the step).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gan.h"
#include "gan_internal.h"
#include "network.h"
#include "test_util.h"

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

/* ---- whole losses ------------------------------------------------------- */

/* A tiny model using every layer kind, with a fixed real batch. */
static gan *tiny_model(const char *loss, const char *order)
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
    gan *model = NULL;
    gan_status status = gan_create(&c, &model);
    CHECK(status == GAN_OK, "create: %s", gan_status_string(status));
    return model;
}

static double pass_loss(gan *model, const float *real, int generator, int shared,
                        const prng *rng)
{
    step_values r;
    model->rng = *rng; /* the same noise and masks for every evaluation */
    if (generator && !shared) {
        train_generator_pass(model, &r);
        return r.g_loss;
    }
    train_discriminator_pass(model, real, shared, &r);
    return generator ? r.g_loss : r.d_loss;
}

/* dLoss/dparams of one network against central differences. */
static void check_loss_gradient(const char *name, gan *model, const float *real, int generator,
                                int shared)
{
    network *net = generator ? &model->generator : &model->discriminator;
    prng rng = model->rng;
    pass_loss(model, real, generator, shared, &rng);
    size_t n = net->param_count;
    float *analytic = malloc(n * sizeof(float));
    memcpy(analytic, net->grads, n * sizeof(float));
    const float eps = 1e-3f;
    int checked = 0, skipped = 0;
    double worst = 0.0;
    for (size_t i = 0; i < n; i++) {
        float saved = net->params[i];
        double center = pass_loss(model, real, generator, shared, &rng);
        net->params[i] = saved + eps;
        double plus = pass_loss(model, real, generator, shared, &rng);
        net->params[i] = saved - eps;
        double minus = pass_loss(model, real, generator, shared, &rng);
        net->params[i] = saved;
        double right = (plus - center) / eps, left = (center - minus) / eps;
        double numeric = (plus - minus) / (2.0 * (double)eps);
        // a kink inside the step makes the one-sided slopes disagree
        if (!close_enough(right, left, 0.05, 2e-4)) {
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
        train_discriminator_pass(model, real, 0, &r);
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
    return test_summary("test_gradients");
}
