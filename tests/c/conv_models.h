/*
 * conv_models.h - the tiny convolutional GAN the conv and gradient tests
 * share: every image layer kind at odd sizes. Data 2 x 5 x 5; G 3 -> 18 ->
 * 2 x 3 x 3 -> (transposed, untied) 4 x 5 x 5 -> (conv) 2 x 5 x 5; D conv
 * 6 x 6 x 6 -> maxout 2 x 6 x 6 -> dropout -> pool (ceil) 2 x 3 x 3 -> conv
 * 3 x 2 x 2 -> dense 1; and the same with batch normalisation in G.
 * Include after test_util.h.
 */
#ifndef CONV_MODELS_H
#define CONV_MODELS_H

#include <stddef.h>

#include "gan.h"

static const char *const tiny_conv_keys[][2] = {
    /* the first conv preset's training, which the pinned digest was made with */
    {"g.learning_rate", "5e-4"}, {"real_target", "0.9"}, {"generator_average", "0"},
    {"noise_dim", "3"}, {"data_dim", "50"}, {"data_channels", "2"}, {"data_height", "5"},
    {"data_width", "5"},
    {"g.layer_count", "7"},
    {"g.layers.0.kind", "dense"}, {"g.layers.0.units", "18"}, {"g.layers.0.init_range", "0.8"},
    {"g.layers.1.kind", "tanh"},
    {"g.layers.2.kind", "reshape"}, {"g.layers.2.channels", "2"}, {"g.layers.2.height", "3"},
    {"g.layers.2.width", "3"},
    {"g.layers.3.kind", "conv_transpose"}, {"g.layers.3.channels", "4"}, {"g.layers.3.kernel", "3"},
    {"g.layers.3.stride", "2"}, {"g.layers.3.padding", "1"}, {"g.layers.3.untied_bias", "1"},
    {"g.layers.3.init_range", "0.6"},
    {"g.layers.4.kind", "leaky_relu"}, {"g.layers.4.slope", "0.3"},
    {"g.layers.5.kind", "conv"}, {"g.layers.5.channels", "2"}, {"g.layers.5.kernel", "3"},
    {"g.layers.5.stride", "1"}, {"g.layers.5.padding", "1"}, {"g.layers.5.init_range", "0.6"},
    {"g.layers.6.kind", "sigmoid"},
    {"d.layer_count", "7"},
    {"d.layers.0.kind", "conv"}, {"d.layers.0.channels", "6"}, {"d.layers.0.kernel", "2"},
    {"d.layers.0.stride", "1"}, {"d.layers.0.padding", "1"}, {"d.layers.0.init_range", "0.9"},
    {"d.layers.1.kind", "maxout"}, {"d.layers.1.pieces", "3"},
    {"d.layers.2.kind", "dropout"}, {"d.layers.2.keep_prob", "0.8"},
    {"d.layers.3.kind", "max_pool"}, {"d.layers.3.kernel", "3"}, {"d.layers.3.stride", "2"},
    {"d.layers.3.padding", "0"}, {"d.layers.3.ceil_mode", "1"},
    {"d.layers.4.kind", "conv"}, {"d.layers.4.channels", "3"}, {"d.layers.4.kernel", "2"},
    {"d.layers.4.stride", "3"}, {"d.layers.4.padding", "1"}, {"d.layers.4.untied_bias", "1"},
    {"d.layers.4.init_range", "0.9"},
    {"d.layers.5.kind", "relu"}, {"d.layers.6.kind", "dense"}, {"d.layers.6.units", "1"},
    {"d.layers.6.init_range", "0.9"},
};

/* The `conv` preset turned into the tiny model, then `extra` keys on top. */
static void tiny_conv_config(gan_config *c, const char *const (*extra)[2], size_t extra_count)
{
    gan_preset("conv", c);
    for (size_t i = 0; i < sizeof(tiny_conv_keys) / sizeof(tiny_conv_keys[0]); i++)
        CHECK(gan_config_set(c, tiny_conv_keys[i][0], tiny_conv_keys[i][1]) == GAN_OK, "set %s",
              tiny_conv_keys[i][0]);
    for (size_t i = 0; i < extra_count; i++)
        CHECK(gan_config_set(c, extra[i][0], extra[i][1]) == GAN_OK, "set %s", extra[i][0]);
}

/* G with batch normalisation after a dense layer (18 units, one channel
 * each) and after a transposed convolution (4 channels over 5 x 5). */
static const char *const tiny_batch_norm_keys[][2] = {
        {"g.layer_count", "9"},
        {"g.layers.0.kind", "dense"}, {"g.layers.0.units", "18"}, {"g.layers.0.init_range", "0.8"},
        {"g.layers.1.kind", "batch_norm"},
        {"g.layers.2.kind", "tanh"},
        {"g.layers.3.kind", "reshape"}, {"g.layers.3.channels", "2"}, {"g.layers.3.height", "3"},
        {"g.layers.3.width", "3"},
        {"g.layers.4.kind", "conv_transpose"}, {"g.layers.4.channels", "4"},
        {"g.layers.4.kernel", "3"}, {"g.layers.4.stride", "2"}, {"g.layers.4.padding", "1"},
        {"g.layers.4.init_range", "0.6"},
        {"g.layers.5.kind", "batch_norm"},
        {"g.layers.6.kind", "tanh"},
        {"g.layers.7.kind", "conv"}, {"g.layers.7.channels", "2"}, {"g.layers.7.kernel", "3"},
        {"g.layers.7.stride", "1"}, {"g.layers.7.padding", "1"}, {"g.layers.7.init_range", "0.6"},
        {"g.layers.8.kind", "sigmoid"},
};

/* The tiny model with that G, then `extra` keys on top. */
static void tiny_batch_norm_config(gan_config *c, const char *const (*extra)[2], size_t extra_count)
{
    tiny_conv_config(c, tiny_batch_norm_keys,
                     sizeof(tiny_batch_norm_keys) / sizeof(tiny_batch_norm_keys[0]));
    for (size_t i = 0; i < extra_count; i++)
        CHECK(gan_config_set(c, extra[i][0], extra[i][1]) == GAN_OK, "set %s", extra[i][0]);
}

#endif
