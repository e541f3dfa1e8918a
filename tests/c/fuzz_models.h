/*
 * fuzz_models.h - the tiny models the fuzz harnesses load into,
 * write_fuzz_seeds.c saves as the seed corpus and test_checkpoint.c round-trips
 * (models 0 and 1): every layer kind, both
 * optimizers, k = 2 and simultaneous updates, a few floats each, so a
 * checkpoint is a few kilobytes and the fuzzer runs thousands of them a second.
 */
#ifndef FUZZ_MODELS_H
#define FUZZ_MODELS_H

#include <stddef.h>

#include "gan.h"

#define FUZZ_MODEL_COUNT 3
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
    if (gan_preset("paper", c) != GAN_OK) return 1;
    int failed = 0;
    for (size_t i = 0; i < sizeof(common) / sizeof(common[0]); i++)
        failed |= gan_config_set(c, common[i][0], common[i][1]) != GAN_OK;
    for (size_t i = 0; which == 1 && i < sizeof(adam) / sizeof(adam[0]); i++)
        failed |= gan_config_set(c, adam[i][0], adam[i][1]) != GAN_OK;
    for (size_t i = 0; which == 2 && i < sizeof(others) / sizeof(others[0]); i++)
        failed |= gan_config_set(c, others[i][0], others[i][1]) != GAN_OK;
    return failed || gan_config_validate(c) != GAN_OK;
}

/* FUZZ_DATA_COUNT images of 3 floats, for gan_attach_data_f32. */
static const float fuzz_data[FUZZ_DATA_COUNT * 3] = {
    0.1f, 0.9f, 0.5f, 0.0f, 1.0f, 0.3f, 0.7f, 0.2f, 0.8f, 0.4f, 0.6f, 0.1f,
    0.9f, 0.0f, 0.2f, 0.3f, 0.5f, 0.7f, 1.0f, 1.0f, 0.0f, 0.6f, 0.4f, 0.9f,
    0.2f, 0.8f, 0.3f, 0.5f, 0.1f, 0.6f, 0.8f, 0.7f, 0.4f, 0.0f, 0.3f, 1.0f,
    0.3f, 0.6f, 0.9f, 0.7f, 0.9f, 0.2f, 0.1f, 0.4f, 0.5f, 0.8f, 0.2f, 0.0f,
};

#endif
