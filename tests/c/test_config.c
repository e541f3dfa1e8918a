/*
 * test_config.c - presets, gan_config_set/get/keys/validate/to_json: every
 * key round-trips through its text form, bad values and unknown keys are
 * rejected with the config unchanged, and the paper preset is the paper's.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gan.h"
#include "test_util.h"

static void test_presets(void)
{
    gan_config c;
    const char *names[] = {"paper", "small", "cgan", "toy", "conv"};
    for (int i = 0; i < 5; i++) {
        CHECK(gan_preset(names[i], &c) == GAN_OK, "%s", names[i]);
        CHECK(gan_config_validate(&c) == GAN_OK, "%s does not validate", names[i]);
    }
    memset(&c, 0x5a, sizeof(c));
    gan_config before = c;
    CHECK(gan_preset("nope", &c) == GAN_ERR_INVALID_ARGUMENT, "unknown preset");
    CHECK(memcmp(&c, &before, sizeof(c)) == 0, "unknown preset changed the config");
    CHECK(gan_preset(NULL, &c) == GAN_ERR_INVALID_ARGUMENT, "NULL name");
    CHECK(gan_preset("paper", NULL) == GAN_ERR_INVALID_ARGUMENT, "NULL config");

    // the paper preset, field by field
    gan_preset("paper", &c);
    CHECK(c.noise_dim == 100 && c.prior == GAN_PRIOR_UNIFORM, "noise");
    CHECK(fabsf(c.prior_scale - sqrtf(3.0f)) < 1e-6f, "prior scale %g", (double)c.prior_scale);
    CHECK(c.data_dim == 784 && c.batch_size == 100 && c.d_steps == 1, "sizes");
    CHECK(c.examples_per_epoch == 50000, "epoch");
    // the authors' simultaneous updates (docs/faithfulness.md); small and toy keep Algorithm 1
    CHECK(c.generator_loss == GAN_LOSS_NON_SATURATING && c.update_order == GAN_UPDATE_SIMULTANEOUS,
          "loss/order");
    const gan_layer_kind g_kinds[] = {GAN_LAYER_DENSE, GAN_LAYER_RELU, GAN_LAYER_DENSE,
                                      GAN_LAYER_RELU, GAN_LAYER_DENSE, GAN_LAYER_SIGMOID};
    const int g_units[] = {1200, 0, 1200, 0, 784, 0};
    CHECK(c.generator.layer_count == 6, "G layers");
    for (int i = 0; i < 6; i++) {
        CHECK(c.generator.layers[i].kind == g_kinds[i], "G layer %d kind", i);
        if (g_kinds[i] == GAN_LAYER_DENSE)
            CHECK(c.generator.layers[i].units == g_units[i] && c.generator.layers[i].init_range == 0.05f,
                  "G layer %d", i);
    }
    const gan_layer_kind d_kinds[] = {GAN_LAYER_DROPOUT, GAN_LAYER_DENSE, GAN_LAYER_MAXOUT,
                                      GAN_LAYER_DROPOUT, GAN_LAYER_DENSE, GAN_LAYER_MAXOUT,
                                      GAN_LAYER_DROPOUT, GAN_LAYER_DENSE};
    const float keep[] = {0.8f, 0, 0, 0.5f, 0, 0, 0.5f, 0};
    const int d_units[] = {0, 1200, 0, 0, 1200, 0, 0, 1};
    CHECK(c.discriminator.layer_count == 8, "D layers");
    for (int i = 0; i < 8; i++) {
        const gan_layer *l = &c.discriminator.layers[i];
        CHECK(l->kind == d_kinds[i], "D layer %d kind", i);
        if (l->kind == GAN_LAYER_DROPOUT) CHECK(l->keep_prob == keep[i], "D layer %d keep", i);
        if (l->kind == GAN_LAYER_MAXOUT) CHECK(l->pieces == 5, "D layer %d pieces", i);
        if (l->kind == GAN_LAYER_DENSE)
            CHECK(l->units == d_units[i] && l->init_range == 0.005f, "D layer %d", i);
    }
    for (int which = 0; which < 2; which++) {
        const gan_optimizer_config *o = which ? &c.discriminator_optimizer : &c.generator_optimizer;
        CHECK(o->kind == GAN_OPTIMIZER_SGD && o->learning_rate == 0.1f &&
                  o->learning_rate_decay == 1.000004f && o->learning_rate_min == 1e-6f &&
                  o->momentum_start == 0.5f && o->momentum_end == 0.7f &&
                  o->momentum_start_epoch == 1 && o->momentum_end_epoch == 250,
              "optimizer %d", which);
    }

    // the small preset's tuned optimizers (src/config.c says why G 2e-3, D 5e-4)
    gan_preset("small", &c);
    for (int which = 0; which < 2; which++) {
        const gan_optimizer_config *o = which ? &c.discriminator_optimizer : &c.generator_optimizer;
        CHECK(o->kind == GAN_OPTIMIZER_ADAM && o->learning_rate == (which ? 5e-4f : 2e-3f) &&
                  o->beta1 == 0.5f &&
                  o->beta2 == 0.999f && o->learning_rate_decay == 1.0f,
              "small optimizer %d", which);
    }
    CHECK(c.batch_size == 64 && c.update_order == GAN_UPDATE_ALTERNATING, "small batch/order");
    // as an AC-GAN, D learns the classes from real digits only; the other presets keep 1 and 1
    CHECK(c.g_class_loss_weight == 1.0f && c.d_fake_class_loss_weight == 0.0f, "small class losses");
    gan_config paper;
    gan_preset("paper", &paper);
    CHECK(paper.g_class_loss_weight == 1.0f && paper.d_fake_class_loss_weight == 1.0f,
          "paper class losses");

    // the page's default: small as a conditional GAN at batch 32, averaged longer, more noise; nothing else
    gan_config small = c;
    gan_preset("cgan", &c);
    CHECK(c.conditional == GAN_CONDITIONAL_CONCAT && c.classes == 10 && c.batch_size == 32 &&
              c.generator_average == 0.9995f && c.noise_dim == 80,
          "cgan: conditional concat, 10 classes, batch 32, average 0.9995, 80 noise dimensions");
    small.conditional = c.conditional;
    small.batch_size = c.batch_size;
    small.generator_average = c.generator_average;
    small.noise_dim = c.noise_dim;
    memcpy(small.preset, c.preset, sizeof(small.preset));
    CHECK(memcmp(&small, &c, sizeof(c)) == 0, "cgan differs from small in more than that");

    gan_preset("toy", &c);
    CHECK(c.data_dim == 1 && c.update_order == GAN_UPDATE_ALTERNATING, "toy data_dim/order");
}

/* Every key gets and sets back its own text form, and every layer key too. */
static void test_round_trip(void)
{
    gan_config c, copy;
    gan_preset("paper", &c);
    copy = c;
    // the keys, as gan_describe lists them: {"key":"NAME",... up to "groups"
    size_t length;
    CHECK(gan_describe(NULL, 0, &length) == GAN_ERR_BUFFER_TOO_SMALL, "describe: size");
    char *description = malloc(length + 1);
    CHECK(gan_describe(description, length + 1, &length) == GAN_OK, "describe");
    const char *keys = strstr(description, "\"keys\":[");
    const char *end = strstr(description, "\"groups\":[");
    CHECK(keys && end && keys < end, "describe lists keys then groups");
    char key[64], value[64];
    int count = 0;
    while ((keys = strstr(keys, "{\"key\":\"")) && keys < end) {
        keys += 8;
        size_t n = strcspn(keys, "\"");
        memcpy(key, keys, n);
        key[n] = '\0';
        count++;
        CHECK(gan_config_get(&c, key, value, sizeof(value)) == GAN_OK, "get %s", key);
        CHECK(gan_config_set(&copy, key, value) == GAN_OK, "set %s = %s", key, value);
    }
    free(description);
    CHECK(count >= 35, "only %d keys", count);
    // every layer field of every layer, the unused ones (0) included, sets back
    const char *fields[] = {"kind", "units", "pieces", "keep_prob", "slope", "init_range"};
    for (int net = 0; net < 2; net++) {
        for (int i = 0; i < GAN_MAX_LAYERS; i++) {
            for (int f = 0; f < 6; f++) {
                snprintf(key, sizeof(key), "%c.layers.%d.%s", net ? 'd' : 'g', i, fields[f]);
                CHECK(gan_config_get(&c, key, value, sizeof(value)) == GAN_OK, "get %s", key);
                CHECK(gan_config_set(&copy, key, value) == GAN_OK, "set %s = %s", key, value);
            }
        }
    }
    CHECK(memcmp(&c, &copy, sizeof(c)) == 0, "round trip changed the config");

    // values as the page and CLI write them
    CHECK(gan_config_set(&c, "batch_size", "64") == GAN_OK && c.batch_size == 64, "batch_size");
    CHECK(gan_config_set(&c, "generator_loss", "minimax") == GAN_OK &&
              c.generator_loss == GAN_LOSS_MINIMAX, "generator_loss");
    CHECK(gan_config_set(&c, "update_order", "simultaneous") == GAN_OK &&
              c.update_order == GAN_UPDATE_SIMULTANEOUS, "update_order");
    CHECK(gan_config_set(&c, "prior", "gaussian") == GAN_OK && c.prior == GAN_PRIOR_GAUSSIAN, "prior");
    CHECK(gan_config_set(&c, "d.optimizer", "adam") == GAN_OK &&
              c.discriminator_optimizer.kind == GAN_OPTIMIZER_ADAM, "d.optimizer");
    {
        const char *decimal[] = {"1e-3", "+0.5", ".5", "5.", "2E+2", "1.00000001e-07"};
        for (size_t i = 0; i < sizeof(decimal) / sizeof(decimal[0]); i++)
            CHECK(gan_config_set(&c, "g.learning_rate", decimal[i]) == GAN_OK, "decimal '%s'", decimal[i]);
    }
    CHECK(gan_config_set(&c, "g.learning_rate", "0.0002") == GAN_OK &&
              c.generator_optimizer.learning_rate == 0.0002f, "g.learning_rate");
    CHECK(gan_config_set(&c, "g.layers.0.units", "256") == GAN_OK &&
              c.generator.layers[0].units == 256, "g.layers.0.units");
    CHECK(gan_config_set(&c, "d.layers.1.kind", "leaky_relu") == GAN_OK &&
              c.discriminator.layers[1].kind == GAN_LAYER_LEAKY_RELU, "d.layers.1.kind");
    CHECK(gan_config_set(&c, "seed", "18446744073709551615") == GAN_OK && c.seed == UINT64_MAX,
          "seed");
    CHECK(gan_config_get(&c, "seed", value, sizeof(value)) == GAN_OK &&
              strcmp(value, "18446744073709551615") == 0, "seed text %s", value);
    CHECK(gan_config_get(&c, "g.learning_rate", value, sizeof(value)) == GAN_OK, "get");
    float back = strtof(value, NULL);
    CHECK(back == 0.0002f, "float text %s", value);
    CHECK(gan_config_get(&c, "seed", value, 5) == GAN_ERR_BUFFER_TOO_SMALL, "small buffer");
}

static void test_rejects(void)
{
    gan_config c, before;
    gan_preset("small", &c);
    before = c;
    struct { const char *key, *value; } bad[] = {
        {"batch_size", "0"}, {"batch_size", "-5"}, {"batch_size", "10x"}, {"batch_size", ""},
        {"batch_size", "1e3"}, {"batch_size", "99999999"}, {"noise_dim", "0"},
        {"d_steps", "0"}, {"prior", "cauchy"}, {"prior_scale", "0"}, {"prior_scale", "nan"},
        {"prior_scale", "inf"}, {"generator_loss", "wasserstein"}, {"update_order", "random"},
        {"g.optimizer", "rmsprop"}, {"g.learning_rate", "0"}, {"g.learning_rate", "-1"},
        {"d.learning_rate", "abc"}, {"g.learning_rate_decay", "0.5"}, {"g.momentum_end", "1"},
        {"g.momentum_start", "-0.1"}, {"d.beta1", "1"}, {"d.beta2", "1.5"}, {"d.epsilon", "0"},
        {"g.momentum_start_epoch", "-1"}, {"g.layer_count", "0"}, {"g.layer_count", "25"},
        {"g.layers.0.units", "-1"}, {"g.layers.0.kind", "conv3d"}, {"g.layers.0.keep_prob", "-0.5"},
        {"g.layers.0.keep_prob", "1.5"}, {"g.layers.0.pieces", "-2"}, {"g.layers.0.slope", "-1"},
        {"g.layers.0.units", "70000"}, {"g.layers.0.pieces", "1000"},
        {"seed", "-1"}, {"seed", "18446744073709551616"}, {"seed", " 1"},
        {"examples_per_epoch", "-1"}, {"data_dim", "100000"}, {"g.learning_rate", " 0.1"},
        /* decimal only: no hex floats, no bare exponent, no words (issue 14) */
        {"g.learning_rate", "0x10"}, {"g.learning_rate", "0x1p-3"}, {"g.learning_rate", "1e"},
        {"g.learning_rate", "1e+"}, {"g.learning_rate", "."}, {"g.learning_rate", "infinity"},
        {"prior_scale", "0X1"}, {"g.learning_rate", "0.1 "}, {"g.learning_rate", "+.e1"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        CHECK(gan_config_set(&c, bad[i].key, bad[i].value) == GAN_ERR_INVALID_ARGUMENT,
              "%s = '%s' accepted", bad[i].key, bad[i].value);
        CHECK(memcmp(&c, &before, sizeof(c)) == 0, "%s = '%s' changed the config", bad[i].key,
              bad[i].value);
    }
    const char *unknown[] = {"batchsize", "", "g.", "g.layers.24.units", "g.layers.x.units",
                             "g.layers.00.units", "g.layers.0.colour", "x.learning_rate",
                             "g.layers.0", "learning_rate", "g.layers.1.units.extra"};
    char value[64];
    for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
        CHECK(gan_config_set(&c, unknown[i], "1") == GAN_ERR_INVALID_ARGUMENT, "key '%s'", unknown[i]);
        CHECK(gan_config_get(&c, unknown[i], value, sizeof(value)) == GAN_ERR_INVALID_ARGUMENT,
              "get '%s'", unknown[i]);
    }
    CHECK(memcmp(&c, &before, sizeof(c)) == 0, "unknown keys changed the config");
    CHECK(gan_config_set(NULL, "seed", "1") == GAN_ERR_INVALID_ARGUMENT, "NULL");
    CHECK(gan_config_set(&c, NULL, "1") == GAN_ERR_INVALID_ARGUMENT, "NULL key");
    CHECK(gan_config_set(&c, "seed", NULL) == GAN_ERR_INVALID_ARGUMENT, "NULL value");
}

static void test_validate(void)
{
    gan_config c;
    gan *model = NULL;
    // G's output must be data_dim
    gan_preset("small", &c);
    gan_config_set(&c, "data_dim", "100");
    CHECK(gan_config_validate(&c) == GAN_ERR_INVALID_ARGUMENT, "G output != data_dim");
    CHECK(gan_create(&c, &model) == GAN_ERR_INVALID_ARGUMENT && model == NULL, "create invalid");
    // D must end in one dense unit
    gan_preset("small", &c);
    gan_config_set(&c, "d.layers.6.units", "2");
    CHECK(gan_config_validate(&c) == GAN_ERR_INVALID_ARGUMENT, "D output 2");
    gan_preset("paper", &c);
    gan_config_set(&c, "d.layer_count", "9");
    gan_config_set(&c, "d.layers.8.kind", "sigmoid");
    CHECK(gan_config_validate(&c) == GAN_ERR_INVALID_ARGUMENT, "D ends in a sigmoid");
    // maxout width must divide
    gan_preset("paper", &c);
    gan_config_set(&c, "d.layers.2.pieces", "7");
    CHECK(gan_config_validate(&c) == GAN_ERR_INVALID_ARGUMENT, "maxout 1200/7");
    // momentum epochs in order
    gan_preset("paper", &c);
    gan_config_set(&c, "g.momentum_start_epoch", "300");
    CHECK(gan_config_validate(&c) == GAN_ERR_INVALID_ARGUMENT, "momentum epochs");
    // a bad value written into the struct directly
    // 0 is accepted by set as "unused", but not where the kind uses the field
    gan_preset("paper", &c);
    CHECK(gan_config_set(&c, "g.layers.0.units", "0") == GAN_OK, "units 0 as unused");
    CHECK(gan_config_validate(&c) == GAN_ERR_INVALID_ARGUMENT, "dense with 0 units");
    gan_preset("paper", &c);
    gan_config_set(&c, "d.layers.2.pieces", "0");
    CHECK(gan_config_validate(&c) == GAN_ERR_INVALID_ARGUMENT, "maxout with 0 pieces");
    gan_preset("paper", &c);
    gan_config_set(&c, "d.layers.0.keep_prob", "0");
    CHECK(gan_config_validate(&c) == GAN_ERR_INVALID_ARGUMENT, "dropout keeping nothing");
    gan_preset("paper", &c);
    gan_config_set(&c, "g.layers.1.units", "0");
    CHECK(gan_config_validate(&c) == GAN_OK, "units of a relu layer are ignored");
    gan_preset("paper", &c);
    c.batch_size = 0;
    CHECK(gan_config_validate(&c) == GAN_ERR_INVALID_ARGUMENT, "batch 0");
    gan_preset("paper", &c);
    c.generator.layers[1].kind = (gan_layer_kind)42;
    CHECK(gan_config_validate(&c) == GAN_ERR_INVALID_ARGUMENT, "kind 42");
    gan_preset("paper", &c);
    c.discriminator_optimizer.learning_rate = NAN;
    CHECK(gan_config_validate(&c) == GAN_ERR_INVALID_ARGUMENT, "lr NaN");
    CHECK(gan_config_validate(NULL) == GAN_ERR_INVALID_ARGUMENT, "NULL");
    // a configuration assembled key by key from the small preset is valid
    gan_preset("small", &c);
    gan_config_set(&c, "g.layer_count", "4");
    gan_config_set(&c, "g.layers.2.units", "784");
    gan_config_set(&c, "g.layers.3.kind", "sigmoid");
    CHECK(gan_config_validate(&c) == GAN_OK, "shortened G");
}

static void test_json(void)
{
    gan_config c;
    gan_preset("paper", &c);
    size_t length = 0;
    CHECK(gan_config_to_json(&c, NULL, 0, &length) == GAN_ERR_BUFFER_TOO_SMALL && length > 100,
          "size query");
    char *buf = malloc(length + 1);
    CHECK(gan_config_to_json(&c, buf, length, &length) == GAN_ERR_BUFFER_TOO_SMALL, "exact is small");
    size_t again = 0;
    CHECK(gan_config_to_json(&c, buf, length + 1, &again) == GAN_OK && again == length, "write");
    CHECK(strlen(buf) == length && buf[0] == '{' && buf[length - 1] == '}', "shape");
    CHECK(strstr(buf, "\"noise_dim\":100") != NULL, "noise_dim in %s", buf);
    CHECK(strstr(buf, "{\"kind\":\"maxout\",\"pieces\":5}") != NULL, "maxout in json");
    CHECK(strstr(buf, "\"generator_loss\":\"non-saturating\"") != NULL, "loss in json");
    // brackets balance and quotes pair up
    int depth = 0, quotes = 0, ok = 1;
    for (size_t i = 0; i < length; i++) {
        if (buf[i] == '"') quotes++;
        if (quotes % 2) continue;
        if (buf[i] == '{' || buf[i] == '[') depth++;
        if (buf[i] == '}' || buf[i] == ']') depth--;
        if (depth < 0) ok = 0;
    }
    CHECK(ok && depth == 0 && quotes % 2 == 0, "unbalanced json");
    free(buf);
}

/* The description names every status and stats field, marks what the
 * page and the CLI offer, and fills a buffer exactly as documented. */
/* gan_config_explain: the same verdict as gan_config_validate, and a
 * sentence naming the key or layer and the shapes. */
static void expect_explained(const gan_config *c, const char *what, const char *fragment)
{
    char why[256];
    memset(why, 'x', sizeof(why));
    gan_status status = gan_config_explain(c, why, sizeof(why));
    CHECK(status == gan_config_validate(c), "%s: explain and validate disagree", what);
    if (!fragment) {
        CHECK(status == GAN_OK && why[0] == '\0', "%s: valid, but explained as '%s'", what, why);
        return;
    }
    CHECK(status == GAN_ERR_INVALID_ARGUMENT, "%s: accepted", what);
    CHECK(strstr(why, fragment) != NULL, "%s: '%s' does not say '%s'", what, why, fragment);
}

static void test_explain(void)
{
    gan_config c;
    gan_preset("conv", &c);
    expect_explained(&c, "the conv preset", NULL);
    gan_preset("paper", &c);
    expect_explained(&c, "the paper preset", NULL);

    // ranges, by key
    gan_preset("small", &c);
    c.batch_size = 0;
    expect_explained(&c, "batch 0", "batch_size is 0; it must be at least 1 and at most 4096");
    gan_preset("conv", &c);
    c.discriminator.layers[0].kernel = 0;
    expect_explained(&c, "kernel 0", "d.layers.0.kernel is 0");
    gan_preset("small", &c);
    c.generator.layers[1].kind = (gan_layer_kind)42;
    expect_explained(&c, "kind 42", "g.layers.1.kind is 42; it must be one of dense, relu");
    gan_preset("paper", &c);
    gan_config_set(&c, "g.momentum_start_epoch", "300");
    expect_explained(&c, "momentum epochs", "g.momentum_end_epoch (250) is before g.momentum_start_epoch (300)");

    // the data's shape
    gan_preset("small", &c);
    gan_config_set(&c, "data_channels", "3");
    expect_explained(&c, "half a shape", "set all three, or none");
    gan_config_set(&c, "data_height", "16");
    gan_config_set(&c, "data_width", "16");
    expect_explained(&c, "a shape of the wrong size", "3 x 16 x 16 = 768 values, but data_dim is 784");

    // batch normalisation: G's, not D's
    gan_preset("conv", &c);
    gan_config_set(&c, "d.layers.1.kind", "batch_norm");
    expect_explained(&c, "batch normalisation in D", "d.layers.1 (batch_norm): batch normalisation is for G only");
    gan_preset("conv", &c);
    gan_config_set(&c, "g.layers.2.kind", "batch_norm");
    expect_explained(&c, "batch normalisation in G", NULL);

    // shapes that do not fit, named by layer with the shapes
    gan_preset("conv", &c);
    gan_config_set(&c, "d.layers.2.kernel", "17");
    expect_explained(&c, "a kernel larger than its padded input",
                     "d.layers.2 (conv): kernel 17 is larger than its input 16 x 14 x 14 padded by 1 on each side (16 x 16)");
    gan_preset("conv", &c);
    gan_config_set(&c, "d.layers.0.padding", "4");
    expect_explained(&c, "padding of a whole kernel", "d.layers.0 (conv): padding 4 is not less than its kernel 4");
    gan_preset("conv", &c);
    gan_config_set(&c, "g.layers.3.height", "8");
    expect_explained(&c, "a reshape of the wrong size",
                     "g.layers.3 (reshape): 32 x 8 x 7 is 1792 values, but its input 1568 x 1 x 1 has 1568");
    gan_preset("conv", &c);
    gan_config_set(&c, "d.layers.1.kind", "maxout");
    gan_config_set(&c, "d.layers.1.pieces", "3");
    expect_explained(&c, "channels that do not divide into pieces",
                     "d.layers.1 (maxout): its input 16 x 14 x 14 has 16 channels, which do not divide into groups of 3 pieces");
    gan_config_set(&c, "d.layers.1.pieces", "2");
    expect_explained(&c, "channel maxout, 2 pieces", NULL);
    gan_preset("conv", &c);
    gan_config_set(&c, "g.layers.4.stride", "1");
    expect_explained(&c, "G's output of another shape", "G's output, 1 x 16 x 16 (256 values), is not the data's shape 1 x 28 x 28");
    gan_preset("conv", &c);
    gan_config_set(&c, "g.layers.3.channels", "1568");
    gan_config_set(&c, "g.layers.3.height", "1");
    gan_config_set(&c, "g.layers.3.width", "1");
    gan_config_set(&c, "g.layers.4.padding", "3");
    gan_config_set(&c, "g.layers.4.kernel", "4");
    expect_explained(&c, "a transposed convolution to nothing",
                     "g.layers.4 (conv_transpose): its input 1568 x 1 x 1 would give an output of -2 x -2");
    gan_preset("conv", &c);
    gan_config_set(&c, "d.layers.1.kind", "max_pool");
    gan_config_set(&c, "d.layers.1.kernel", "3");
    gan_config_set(&c, "d.layers.1.stride", "2");
    gan_config_set(&c, "d.layers.1.padding", "2");
    expect_explained(&c, "pool padding past half its window", "d.layers.1 (max_pool): padding 2 is more than half its kernel 3");
    gan_config_set(&c, "d.layers.1.padding", "1");
    expect_explained(&c, "a 3 x 3 pool", NULL);
    gan_preset("conv", &c);
    gan_config_set(&c, "d.layers.4.units", "2");
    expect_explained(&c, "D ending in 2 units", "D must end in a dense layer of 1 unit");
    // a flat G output is read as the data's shape (the MLP presets)
    gan_preset("small", &c);
    expect_explained(&c, "small: flat G output, 1 x 28 x 28 data", NULL);

    // the authors' cifar10_convolutional.yaml (the paper-cifar-conv preset,
    // tests/c/test_paper_cifar.c checks it key by key): D's maxout
    // convolutions as conv (channels x pieces) + channel maxout + max pool in
    // cuda-convnet's ceil mode, G's "deconvolution" as a transposed
    // convolution with output stride 3 and untied biases
    gan_preset("paper-cifar-conv", &c);
    expect_explained(&c, "the authors' CIFAR-10 convolutional model", NULL);
    // 32 x 32 -> 33 (pad 4, kernel 8) -> pool 16 -> 15 -> pool 7 -> 9 -> pool 5: 192 x 5 x 5 into the dense layer
    c.discriminator.layers[11].ceil_mode = 0; /* floor mode: 9 -> 4 */
    expect_explained(&c, "the same in floor mode", NULL);
    c.discriminator.layers[11].ceil_mode = 1;
    c.discriminator.layers[2].pieces = 3;
    expect_explained(&c, "64 channels in 3 pieces", "d.layers.2 (maxout): its input 64 x 33 x 33 has 64 channels");

    // truncation, and no buffer
    char tiny[8];
    gan_preset("small", &c);
    c.batch_size = 0;
    CHECK(gan_config_explain(&c, tiny, sizeof(tiny)) == GAN_ERR_INVALID_ARGUMENT &&
              strcmp(tiny, "batch_s") == 0, "truncated: '%s'", tiny);
    CHECK(gan_config_explain(&c, NULL, 0) == GAN_ERR_INVALID_ARGUMENT, "no buffer");
    CHECK(gan_config_explain(&c, NULL, 5) == GAN_ERR_INVALID_ARGUMENT, "NULL with a capacity");
    CHECK(gan_config_explain(NULL, tiny, sizeof(tiny)) == GAN_ERR_INVALID_ARGUMENT, "NULL config");
}

static void test_describe(void)
{
    size_t length = 0;
    CHECK(gan_describe(NULL, 0, NULL) == GAN_ERR_INVALID_ARGUMENT, "NULL length");
    CHECK(gan_describe(NULL, 0, &length) == GAN_ERR_BUFFER_TOO_SMALL && length > 1000, "size %zu",
          length);
    char *text = malloc(length + 1);
    size_t again = 0;
    memset(text, 'x', length + 1);
    CHECK(gan_describe(text, length, &again) == GAN_ERR_BUFFER_TOO_SMALL, "one byte short");
    CHECK(gan_describe(text, length + 1, &again) == GAN_OK && again == length, "fits");
    CHECK(text[length] == '\0' && strlen(text) == length, "NUL-terminated");
    for (int i = 0; i < GAN_STATUS_COUNT; i++) {
        char name[80];
        snprintf(name, sizeof(name), "{\"name\":\"%s\"", gan_status_name((gan_status)i));
        CHECK(strstr(text, name) != NULL, "status %d listed", i);
    }
    CHECK(strcmp(gan_status_name(GAN_ERR_BUSY), "GAN_ERR_BUSY") == 0, "status name");
    CHECK(strcmp(gan_status_name((gan_status)999), "GAN_STATUS_UNKNOWN") == 0, "unknown status");
    CHECK(strstr(text, "\"key\":\"d_steps\",\"type\":\"int\",\"min\":1,\"max\":100") != NULL,
          "d_steps and its range");
    CHECK(strstr(text, "\"option\":\"k\",\"page\":true") != NULL, "k on the page");
    CHECK(strstr(text, "{\"option\":\"lr\",\"keys\":[\"g.learning_rate\",\"d.learning_rate\"]") != NULL,
          "lr sets both");
    CHECK(strstr(text, "{\"name\":\"maxout\",\"fields\":[\"pieces\"]") != NULL, "maxout uses pieces");
    CHECK(strstr(text, "{\"name\":\"conv\",\"fields\":[\"init_range\",\"channels\",\"kernel\",\"stride\",\"padding\",\"untied_bias\"]") != NULL,
          "conv's fields");
    CHECK(strstr(text, "{\"name\":\"reshape\",\"fields\":[\"channels\",\"height\",\"width\"]") != NULL,
          "reshape's fields");
    CHECK(strstr(text, "\"stats\":[\"step\",\"epoch\",\"d_loss\"") != NULL, "stats fields");
    free(text);

    gan_config c;
    char value[32];
    gan_preset("toy", &c);
    CHECK(gan_config_get(&c, "preset", value, sizeof(value)) == GAN_OK && strcmp(value, "toy") == 0,
          "preset recorded: %s", value);
    gan_config before = c;
    CHECK(gan_config_set(&c, "preset", "Bad Name") == GAN_ERR_INVALID_ARGUMENT, "bad preset name");
    CHECK(gan_config_set(&c, "preset", "a-name-far-too-long-for-the-field") == GAN_ERR_INVALID_ARGUMENT, "long name");
    CHECK(gan_config_set(&c, "preset", "paper-cifar-conv") == GAN_OK && strcmp(c.preset, "paper-cifar-conv") == 0,
          "the longest preset name fits");
    c = before;
    CHECK(memcmp(&c, &before, sizeof(c)) == 0, "refused preset names change nothing");
    CHECK(gan_config_set(&c, "preset", "") == GAN_OK && c.preset[0] == '\0', "empty preset");
}

int main(void)
{
    test_describe();
    test_presets();
    test_round_trip();
    test_rejects();
    test_validate();
    test_explain();
    test_json();
    return test_summary("test_config");
}
