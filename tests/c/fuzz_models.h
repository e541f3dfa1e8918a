/*
 * fuzz_models.h - the tiny models the fuzz harnesses load into,
 * write_fuzz_seeds.c saves as the seed corpus and test_checkpoint.c round-trips
 * (models 0 and 1): every layer kind, both
 * optimizers, k = 2 and simultaneous updates, class-conditional models (3:
 * concat; 4: the auxiliary classifier with feature matching and G's moving
 * average), a few floats each, so a
 * checkpoint is a few kilobytes and the fuzzer runs thousands of them a second.
 */
#ifndef FUZZ_MODELS_H
#define FUZZ_MODELS_H

#include <stddef.h>
#include <stdint.h>

#include "gan.h"

#define FUZZ_MODEL_COUNT 5
#define FUZZ_DATA_COUNT 16

/* Model `which` (0 .. FUZZ_MODEL_COUNT-1): 0 if every setting took. */
static int fuzz_model_config(int which, gan_config *c)
{
    static const char *const common[][2] = {
        {"noise_dim", "2"}, {"data_dim", "3"}, {"batch_size", "4"}, {"seed", "77"},
        {"examples_per_epoch", "0"},
        {"g.layer_count", "4"},
        {"g.layers.0.units", "5"}, {"g.layers.0.init_range", "0.5"},
        {"g.layers.2.units", "3"}, {"g.layers.2.init_range", "0.5"},
        {"g.layers.3.kind", "sigmoid"},
        {"d.layer_count", "5"},
        {"d.layers.0.kind", "dropout"}, {"d.layers.0.keep_prob", "0.8"},
        {"d.layers.1.kind", "dense"}, {"d.layers.1.units", "6"}, {"d.layers.1.init_range", "0.5"},
        {"d.layers.2.kind", "maxout"}, {"d.layers.2.pieces", "2"},
        {"d.layers.3.kind", "leaky_relu"}, {"d.layers.3.slope", "0.1"},
        {"d.layers.4.kind", "dense"}, {"d.layers.4.units", "1"}, {"d.layers.4.init_range", "0.5"},
    };
    static const char *const adam[][2] = {
        {"g.optimizer", "adam"}, {"d.optimizer", "adam"},
        {"g.learning_rate", "0.01"}, {"d.learning_rate", "0.01"},
    };
    static const char *const others[][2] = {
        {"d_steps", "2"}, {"update_order", "simultaneous"}, {"prior", "gaussian"},
        {"generator_loss", "minimax"}, {"g.layers.1.kind", "tanh"}, {"d.layers.3.kind", "relu"},
    };
    static const char *const concat[][2] = {{"conditional", "concat"}, {"classes", "2"}};
    static const char *const auxiliary[][2] = {
        {"conditional", "auxiliary"}, {"classes", "3"}, {"generator_loss", "feature-matching"},
        {"generator_average", "0.9"},
    };
    if (gan_preset("paper", c) != GAN_OK) return 1;
    int failed = 0;
    for (size_t i = 0; i < sizeof(common) / sizeof(common[0]); i++)
        failed |= gan_config_set(c, common[i][0], common[i][1]) != GAN_OK;
    for (size_t i = 0; which == 1 && i < sizeof(adam) / sizeof(adam[0]); i++)
        failed |= gan_config_set(c, adam[i][0], adam[i][1]) != GAN_OK;
    for (size_t i = 0; which == 2 && i < sizeof(others) / sizeof(others[0]); i++)
        failed |= gan_config_set(c, others[i][0], others[i][1]) != GAN_OK;
    for (size_t i = 0; which == 3 && i < sizeof(concat) / sizeof(concat[0]); i++)
        failed |= gan_config_set(c, concat[i][0], concat[i][1]) != GAN_OK;
    for (size_t i = 0; which == 4 && i < sizeof(auxiliary) / sizeof(auxiliary[0]); i++)
        failed |= gan_config_set(c, auxiliary[i][0], auxiliary[i][1]) != GAN_OK;
    return failed || gan_config_validate(c) != GAN_OK;
}

/* FUZZ_DATA_COUNT images of 3 floats, for gan_attach_data_f32. */
static const float fuzz_data[FUZZ_DATA_COUNT * 3] = {
    0.1f, 0.9f, 0.5f, 0.0f, 1.0f, 0.3f, 0.7f, 0.2f, 0.8f, 0.4f, 0.6f, 0.1f,
    0.9f, 0.0f, 0.2f, 0.3f, 0.5f, 0.7f, 1.0f, 1.0f, 0.0f, 0.6f, 0.4f, 0.9f,
    0.2f, 0.8f, 0.3f, 0.5f, 0.1f, 0.6f, 0.8f, 0.7f, 0.4f, 0.0f, 0.3f, 1.0f,
    0.3f, 0.6f, 0.9f, 0.7f, 0.9f, 0.2f, 0.1f, 0.4f, 0.5f, 0.8f, 0.2f, 0.0f,
};

/* Their labels (0 or 1: in range of every conditional model here), for
 * gan_attach_labels. */
static const uint8_t fuzz_labels[FUZZ_DATA_COUNT] = {0, 1, 1, 0, 1, 0, 0, 1, 1, 1, 0, 0, 1, 0, 1, 0};

/* Attaches the fuzz data, and its labels when the model is conditional. */
static int fuzz_attach(gan *model)
{
    if (gan_attach_data_f32(model, fuzz_data, FUZZ_DATA_COUNT) != GAN_OK) return 0;
    if (gan_get_config(model)->conditional == GAN_CONDITIONAL_NONE) return 1;
    return gan_attach_labels(model, fuzz_labels, FUZZ_DATA_COUNT) == GAN_OK;
}

#endif
