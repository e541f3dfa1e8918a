/*
 * test_paper_cifar.c - the `paper-cifar-conv` preset: the authors'
 * cifar10_convolutional.yaml key by key, the shapes its layers give, the
 * global contrast normalisation its data goes through, and the whole model
 * built, trained a few steps on CIFAR-10-like pixels and checkpointed.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"
#include "conv_models.h"
#include "gan_internal.h"
#include "safetensors.h"

/* What the yaml says, as gan_config_get writes it. */
static const char *const yaml[][2] = {
    {"noise_dim", "100"}, {"prior", "gaussian"}, {"prior_scale", "1"},
    {"data_dim", "3072"}, {"data_channels", "3"}, {"data_height", "32"}, {"data_width", "32"},
    {"gcn_scale", "55"}, {"output_bias_init", "zero"},
    {"batch_size", "128"}, {"d_steps", "1"}, {"update_order", "simultaneous"},
    {"generator_loss", "non-saturating"}, {"examples_per_epoch", "40000"}, {"real_target", "1"},
    {"g.optimizer", "sgd"}, {"g.learning_rate", "0.00400000019"}, {"g.learning_rate_decay", "1.00000405"},
    {"g.learning_rate_min", "9.99999997e-07"}, {"g.momentum_start", "0.5"}, {"g.momentum_end", "0.699999988"},
    {"g.momentum_start_epoch", "1"}, {"g.momentum_end_epoch", "250"},
    {"d.optimizer", "sgd"}, {"d.learning_rate", "0.00400000019"}, {"d.learning_rate_decay", "1.00000405"},
    {"d.learning_rate_min", "9.99999997e-07"}, {"d.momentum_start", "0.5"}, {"d.momentum_end", "0.699999988"},
    {"d.momentum_start_epoch", "1"}, {"d.momentum_end_epoch", "250"},
    // G: 100 -> 8000 ReLU -> 8000 sigmoid -> 80 x 10 x 10 -> deconvolution to 3 x 32 x 32
    {"g.layer_count", "6"},
    {"g.layers.0.kind", "dense"}, {"g.layers.0.units", "8000"}, {"g.layers.0.init_range", "0.0500000007"},
    {"g.layers.1.kind", "relu"},
    {"g.layers.2.kind", "dense"}, {"g.layers.2.units", "8000"}, {"g.layers.2.init_range", "0.0500000007"},
    {"g.layers.3.kind", "sigmoid"},
    {"g.layers.4.kind", "reshape"}, {"g.layers.4.channels", "80"}, {"g.layers.4.height", "10"},
    {"g.layers.4.width", "10"},
    {"g.layers.5.kind", "conv_transpose"}, {"g.layers.5.channels", "3"}, {"g.layers.5.kernel", "5"},
    {"g.layers.5.stride", "3"}, {"g.layers.5.padding", "0"}, {"g.layers.5.untied_bias", "1"},
    {"g.layers.5.init_range", "0.0500000007"},
    // D: dropout on every layer's input; maxout convolutions as conv + maxout + ceil-mode pool
    {"d.layer_count", "17"},
    {"d.layers.0.kind", "dropout"}, {"d.layers.0.keep_prob", "0.800000012"},
    {"d.layers.1.kind", "conv"}, {"d.layers.1.channels", "64"}, {"d.layers.1.kernel", "8"},
    {"d.layers.1.stride", "1"}, {"d.layers.1.padding", "4"}, {"d.layers.1.untied_bias", "0"},
    {"d.layers.1.init_range", "0.00499999989"},
    {"d.layers.2.kind", "maxout"}, {"d.layers.2.pieces", "2"},
    {"d.layers.3.kind", "max_pool"}, {"d.layers.3.kernel", "4"}, {"d.layers.3.stride", "2"},
    {"d.layers.3.padding", "0"}, {"d.layers.3.ceil_mode", "1"},
    {"d.layers.4.kind", "dropout"}, {"d.layers.4.keep_prob", "0.5"},
    {"d.layers.5.kind", "conv"}, {"d.layers.5.channels", "64"}, {"d.layers.5.kernel", "8"},
    {"d.layers.5.stride", "1"}, {"d.layers.5.padding", "3"}, {"d.layers.5.untied_bias", "0"},
    {"d.layers.5.init_range", "0.00499999989"},
    {"d.layers.6.kind", "maxout"}, {"d.layers.6.pieces", "2"},
    {"d.layers.7.kind", "max_pool"}, {"d.layers.7.kernel", "4"}, {"d.layers.7.stride", "2"},
    {"d.layers.7.padding", "0"}, {"d.layers.7.ceil_mode", "1"},
    {"d.layers.8.kind", "dropout"}, {"d.layers.8.keep_prob", "0.5"},
    {"d.layers.9.kind", "conv"}, {"d.layers.9.channels", "384"}, {"d.layers.9.kernel", "5"},
    {"d.layers.9.stride", "1"}, {"d.layers.9.padding", "3"}, {"d.layers.9.untied_bias", "0"},
    {"d.layers.9.init_range", "0.00499999989"},
    {"d.layers.10.kind", "maxout"}, {"d.layers.10.pieces", "2"},
    {"d.layers.11.kind", "max_pool"}, {"d.layers.11.kernel", "2"}, {"d.layers.11.stride", "2"},
    {"d.layers.11.padding", "0"}, {"d.layers.11.ceil_mode", "1"},
    {"d.layers.12.kind", "dropout"}, {"d.layers.12.keep_prob", "0.5"},
    {"d.layers.13.kind", "dense"}, {"d.layers.13.units", "2500"}, {"d.layers.13.init_range", "0.00499999989"},
    {"d.layers.14.kind", "maxout"}, {"d.layers.14.pieces", "5"},
    {"d.layers.15.kind", "dropout"}, {"d.layers.15.keep_prob", "0.5"},
    {"d.layers.16.kind", "dense"}, {"d.layers.16.units", "1"}, {"d.layers.16.init_range", "0.00499999989"},
};

static void test_preset_is_the_yaml(void)
{
    gan_config c;
    CHECK(gan_preset("paper-cifar-conv", &c) == GAN_OK, "the preset exists");
    char text[64];
    for (size_t i = 0; i < sizeof(yaml) / sizeof(yaml[0]); i++) {
        text[0] = '\0';
        CHECK(gan_config_get(&c, yaml[i][0], text, sizeof(text)) == GAN_OK && strcmp(text, yaml[i][1]) == 0,
              "%s is %s, the yaml's %s", yaml[i][0], text, yaml[i][1]);
    }
    CHECK(strcmp(c.preset, "paper-cifar-conv") == 0, "it records its name (%s)", c.preset);
    char why[256];
    CHECK(gan_config_explain(&c, why, sizeof(why)) == GAN_OK && why[0] == '\0', "valid: %s", why);
}

/* pylearn2's global_contrast_normalize(X, scale) of one example, written
 * out here as the numpy expression reads. */
static void reference_gcn(const float *x, size_t n, double scale, double *out)
{
    double mean = 0.0, squares = 0.0;
    for (size_t j = 0; j < n; j++) mean += x[j];
    mean /= (double)n;
    for (size_t j = 0; j < n; j++) squares += (x[j] - mean) * (x[j] - mean);
    double normalizer = sqrt(squares) / scale;
    if (normalizer < 1e-8) normalizer = 1.0;
    for (size_t j = 0; j < n; j++) out[j] = (x[j] - mean) / normalizer;
}

static void test_contrast_normalization(void)
{
    enum { N = 3072 };
    static float x[N];
    static double want[N];
    uint32_t state = 12345;
    for (int j = 0; j < N; j++) x[j] = (float)(int)(128.0f + 127.0f * xorshift_uniform(&state)) / 255.0f;
    reference_gcn(x, N, 55.0, want);
    example_contrast_normalize(x, N, 55.0);
    double mean = 0.0, norm = 0.0, worst = 0.0;
    for (int j = 0; j < N; j++) {
        mean += x[j];
        norm += (double)x[j] * x[j];
        double error = fabs(x[j] - want[j]);
        if (error > worst) worst = error;
    }
    CHECK(worst <= 1e-6, "as pylearn2's formula: worst difference %g", worst);
    CHECK(fabs(mean / N) < 1e-6, "centred: mean %g", mean / N);
    CHECK(fabs(sqrt(norm) - 55.0) < 1e-3, "L2 norm 55: %g", sqrt(norm));
    // a flat image has nothing to normalise: pylearn2's min_divisor leaves it centred, all 0
    for (int j = 0; j < N; j++) x[j] = 0.5f;
    example_contrast_normalize(x, N, 55.0);
    int zeros = 1;
    for (int j = 0; j < N; j++) zeros &= x[j] == 0.0f;
    CHECK(zeros, "a flat image becomes 0, not NaN");

    // training sees the normalised values: a linear output's bias from the
    // data is their mean (the tiny conv model without its sigmoid: one bias
    // per channel of 2 x 5 x 5)
    gan_config c;
    const char *const extra[][2] = {{"g.layer_count", "6"}, {"gcn_scale", "3.5"}, {"batch_size", "4"}};
    tiny_conv_config(&c, extra, sizeof(extra) / sizeof(extra[0]));
    gan *model = NULL;
    CHECK(gan_create(&c, &model) == GAN_OK, "create the tiny model");
    if (!model) return;
    enum { COUNT = 40, DIM = 50 };
    static uint8_t pixels[COUNT * DIM];
    for (int i = 0; i < COUNT * DIM; i++) pixels[i] = (uint8_t)(i * 37 % 251);
    CHECK(gan_attach_data(model, pixels, COUNT) == GAN_OK, "attach");
    CHECK(gan_init_generator_bias(model) == GAN_OK, "bias from the normalised data");
    double sums[2] = {0, 0};
    for (int i = 0; i < COUNT; i++) {
        float row[DIM];
        double normalised[DIM];
        for (int j = 0; j < DIM; j++) row[j] = (float)pixels[i * DIM + j] / 255.0f;
        reference_gcn(row, DIM, 3.5, normalised);
        for (int j = 0; j < DIM; j++) sums[j % 2] += normalised[j];
    }
    float *params;
    size_t count;
    gan_parameters(model, GAN_GENERATOR, &params, &count);
    const float *bias = params + count - 2; /* the last layer's bias, one per channel */
    for (int k = 0; k < 2; k++) {
        double mean = sums[k] / (COUNT * DIM / 2);
        CHECK(fabs(bias[k] - mean) <= 1e-5 * (1 + fabs(mean)), "channel %d: bias %g, mean %g", k, bias[k], mean);
    }
    CHECK(gan_train(model, 3, NULL) == GAN_OK, "trains on normalised data");
    gan_free(model);
}

/* The yaml's parameter counts, layer by layer. */
static const size_t g_params = (100 * 8000 + 8000) + (8000 * 8000 + 8000) + (5 * 5 * 3 * 80 + 32 * 32 * 3);
static const size_t d_params = (8 * 8 * 3 * 64 + 64) + (8 * 8 * 32 * 64 + 64) + (5 * 5 * 32 * 384 + 384) +
                               (192 * 5 * 5 * 2500 + 2500) + (500 + 1);

static void test_tensor(const st_file *file, const char *name, uint32_t rank, const uint64_t *shape)
{
    const st_tensor *t = st_find_tensor(file, name);
    int same = t && t->dtype == ST_F32 && t->rank == rank;
    for (uint32_t d = 0; same && d < rank; d++) same = t->shape[d] == shape[d];
    CHECK(same, "%s: the yaml's shape", name);
}

static void test_whole_model(void)
{
    gan_config c;
    gan_preset("paper-cifar-conv", &c);
    gan *model = NULL;
    gan_status status = gan_create(&c, &model);
    CHECK(status == GAN_OK, "create: %s", gan_status_string(status));
    if (!model) return;
    float *g, *d;
    size_t g_count, d_count;
    gan_parameters(model, GAN_GENERATOR, &g, &g_count);
    gan_parameters(model, GAN_DISCRIMINATOR, &d, &d_count);
    CHECK(g_count == g_params, "G has %zu parameters, the yaml's %zu", g_count, g_params);
    CHECK(d_count == d_params, "D has %zu parameters, the yaml's %zu", d_count, d_params);
    float widest = 0.0f;
    for (size_t i = 0; i < 100 * 8000; i++) widest = fmaxf(widest, fabsf(g[i]));
    CHECK(widest > 0.049f && widest <= 0.05f, "G's weights in +-0.05 (largest %g)", widest);
    widest = 0.0f;
    for (size_t i = 0; i < 8 * 8 * 3 * 64; i++) widest = fmaxf(widest, fabsf(d[i]));
    CHECK(widest > 0.0049f && widest <= 0.005f, "D's weights in +-0.005 (largest %g)", widest);

    // CIFAR-10-like images, channels last (what the readers make of the
    // binary files' planes): smooth colour gradients with noise
    enum { COUNT = 300, DIM = 3072 };
    uint8_t *pixels = malloc((size_t)COUNT * DIM);
    uint32_t state = 99;
    for (int i = 0; i < COUNT; i++)
        for (int p = 0; p < 1024; p++)
            for (int ch = 0; ch < 3; ch++) {
                float v = 40.0f * ch + 3.0f * (p / 32) + 2.0f * (p % 32) + 30.0f * xorshift_uniform(&state) + (float)(i % 50);
                pixels[(size_t)i * DIM + p * 3 + ch] = (uint8_t)fminf(255.0f, fmaxf(0.0f, v));
            }
    CHECK(gan_attach_data(model, pixels, COUNT) == GAN_OK, "attach");
    CHECK(gan_init_generator_bias(model) == GAN_OK, "init bias");
    int zero = 1;
    for (size_t i = g_count - 32 * 32 * 3; i < g_count; i++) zero &= g[i] == 0.0f;
    CHECK(zero, "the output bias stays 0 (the yaml's init_bias is commented out)");

    gan_step_stats stats;
    status = gan_train(model, 2, &stats);
    CHECK(status == GAN_OK && stats.step == 2, "two steps: %s", gan_status_string(status));
    CHECK(isfinite(stats.d_loss) && isfinite(stats.g_loss), "finite losses %g %g", stats.d_loss, stats.g_loss);
    CHECK(fabs(stats.d_learning_rate - 0.004 / 1.000004 / 1.000004) < 1e-9, "lr decayed twice: %g", stats.d_learning_rate);
    CHECK(stats.momentum == 0.5, "momentum 0.5 in the first epoch: %g", stats.momentum);
    printf("paper-cifar-conv, 2 steps: D loss %.4f, G loss %.4f, D(x) %.3f, D(G(z)) %.3f\n",
           stats.d_loss, stats.g_loss, stats.d_real, stats.d_fake);

    size_t size;
    uint8_t *bytes = checkpoint_bytes(model, &size);
    st_file file;
    CHECK(st_parse(bytes, size, &file) == GAN_OK, "parse the checkpoint");
    test_tensor(&file, "generator.0.weight", 2, (const uint64_t[]){100, 8000});
    test_tensor(&file, "generator.2.weight", 2, (const uint64_t[]){8000, 8000});
    test_tensor(&file, "generator.5.weight", 4, (const uint64_t[]){5, 5, 3, 80});
    test_tensor(&file, "generator.5.bias", 3, (const uint64_t[]){32, 32, 3});
    test_tensor(&file, "discriminator.1.weight", 4, (const uint64_t[]){8, 8, 3, 64});
    test_tensor(&file, "discriminator.5.weight", 4, (const uint64_t[]){8, 8, 32, 64});
    test_tensor(&file, "discriminator.9.weight", 4, (const uint64_t[]){5, 5, 32, 384});
    test_tensor(&file, "discriminator.9.bias", 1, (const uint64_t[]){384});
    test_tensor(&file, "discriminator.13.weight", 2, (const uint64_t[]){4800, 2500});
    test_tensor(&file, "discriminator.16.weight", 2, (const uint64_t[]){500, 1});
    st_file_free(&file);

    // the checkpoint is the whole state: a model made from it saves the same
    // bytes (that it then trains on identically, test_checkpoint.c shows on
    // small models)
    gan_free(model);
    model = NULL;
    gan *copy = NULL;
    CHECK(gan_create_from_checkpoint(bytes, size, &copy) == GAN_OK, "create from the checkpoint");
    if (copy) CHECK(has_checkpoint_state(copy, bytes, size), "the same bytes back");
    gan_free(copy);
    free(bytes);
    free(pixels);
    gan_free(model);
}

int main(void)
{
    test_preset_is_the_yaml();
    test_contrast_normalization();
    test_whole_model();
    return test_summary("test_paper_cifar");
}
