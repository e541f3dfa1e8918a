/*
 * gan.c - the model's lifetime, its data, and sampling.
 */
#include <stdlib.h>
#include <string.h>

#include "detmath.h"
#include "gan_internal.h"

/* Every status code: its name and its description, in enum order. */
#define STATUS(code, text) {code, #code, text}
static const struct { gan_status code; const char *name, *text; } statuses[] = {
    STATUS(GAN_OK, "ok"),
    STATUS(GAN_ERR_INVALID_ARGUMENT, "invalid argument"),
    STATUS(GAN_ERR_OUT_OF_MEMORY, "out of memory"),
    STATUS(GAN_ERR_NO_DATA, "no training data attached"),
    STATUS(GAN_ERR_NON_FINITE, "the step produced NaN or Inf and was rolled back"),
    STATUS(GAN_ERR_BUFFER_TOO_SMALL, "output buffer too small"),
    STATUS(GAN_ERR_CHECKPOINT_TRUNCATED, "checkpoint truncated"),
    STATUS(GAN_ERR_CHECKPOINT_MALFORMED, "checkpoint malformed"),
    STATUS(GAN_ERR_CHECKPOINT_VERSION, "not a wasm-gan checkpoint, or an unsupported version"),
    STATUS(GAN_ERR_CHECKPOINT_MISMATCH, "checkpoint does not match the model"),
    STATUS(GAN_ERR_BUSY, "an iteration is partly done: finish it first (gan_train_finish)"),
    STATUS(GAN_ERR_NO_LABELS, "a conditional model needs its data's labels (none attached)"),
};
_Static_assert(sizeof(statuses) / sizeof(statuses[0]) == GAN_STATUS_COUNT,
               "a name and a text for every status code");

static int known_status(gan_status status)
{
    return (int)status >= 0 && (int)status < GAN_STATUS_COUNT && statuses[status].code == status;
}

const char *gan_status_string(gan_status status)
{
    return known_status(status) ? statuses[status].text : "unknown status";
}

const char *gan_status_name(gan_status status)
{
    return known_status(status) ? statuses[status].name : "GAN_STATUS_UNKNOWN";
}

void *gan_alloc(size_t bytes)
{
    return malloc(bytes ? bytes : 1);
}

void gan_release(void *pointer)
{
    free(pointer);
}

gan_status gan_create(const gan_config *config, gan **out)
{
    if (!config || !out) return GAN_ERR_INVALID_ARGUMENT;
    *out = NULL;
    gan_status status = gan_config_validate(config);
    if (status != GAN_OK) return status;

    gan *model = calloc(1, sizeof(*model));
    if (!model) return GAN_ERR_OUT_OF_MEMORY;
    model->config = *config;
    const gan_config *c = &model->config;
    size_t m = (size_t)c->batch_size;

    const layer_shape noise = {c->noise_dim, 1, 1};
    gan_network_config d_layers;
    config_built_network(c, GAN_DISCRIMINATOR, &d_layers);
    status = network_create(&model->generator, &c->generator, noise, (int)m,
                            config_network_classes(c, GAN_GENERATOR));
    if (status == GAN_OK)
        status = network_create(&model->discriminator, &d_layers, config_data_shape(c),
                                (int)(2 * m), config_network_classes(c, GAN_DISCRIMINATOR));
    if (status == GAN_OK)
        status = optimizer_create(&model->generator_optimizer, &c->generator_optimizer,
                                  model->generator.param_count);
    if (status == GAN_OK)
        status = optimizer_create(&model->discriminator_optimizer, &c->discriminator_optimizer,
                                  model->discriminator.param_count);
    if (status == GAN_OK) status = train_reserve_backup(model, c);
    if (status == GAN_OK) {
        size_t noise = m * (size_t)c->noise_dim;
        size_t d_input = 2 * m * (size_t)c->data_dim;
        // with k = 1 throughout, gan_train draws its batch straight into D's
        // input rows; an adaptive k gets room for its largest k now
        const size_t max_k = (size_t)train_max_d_steps(c);
        size_t real = max_k > 1 ? max_k * m * (size_t)c->data_dim : 0;
        const int conditional = c->conditional != GAN_CONDITIONAL_NONE;
        const size_t width = (size_t)model->discriminator.output_dim;
        size_t condition = conditional ? 2 * m * (size_t)c->classes : 0;
        const network *d = &model->discriminator;
        size_t features = c->generator_loss == GAN_LOSS_FEATURE_MATCHING
                              ? m * (size_t)d->max_width : 0;
        model->logit_width = (int)width;
        model->buffers = calloc(noise + d_input + 3 * m * width + real + condition + 2 * features,
                                sizeof(float));
        if (conditional) {
            model->batch_labels = calloc(max_k * m + m, 1);
            if (!model->batch_labels) status = GAN_ERR_OUT_OF_MEMORY;
        }
        if (!model->buffers) status = GAN_ERR_OUT_OF_MEMORY;
        if (status == GAN_OK) {
            float *p = model->buffers;
            model->noise = p; p += noise;
            model->d_input = p; p += d_input;
            model->d_logit_grad = p; p += 2 * m * width;
            model->g_logit_grad = p; p += m * width;
            model->real_batch = max_k > 1 ? p : model->d_input;
            p += real;
            if (conditional) {
                model->condition = p;
                p += condition;
                model->fake_labels = model->batch_labels + max_k * m;
            }
            if (features) {
                model->feature_grad = p; p += features;
                model->feature_scratch = p;
            }
        }
    }
    if (status != GAN_OK) {
        gan_free(model);
        return status;
    }

    prng init;
    prng_seed(&init, c->seed, PRNG_STREAM_INIT);
    network_init(&model->generator, &init);
    network_init(&model->discriminator, &init);
    prng_seed(&model->rng, c->seed, PRNG_STREAM_TRAIN);
    model->d_steps_now = c->d_steps;
    model->d_accuracy_average = adaptive_k_start(c);
    generator_changed(model);
    status = average_reserve(model, c); /* starts at G's initial weights */
    if (status != GAN_OK) {
        gan_free(model);
        return status;
    }
    *out = model;
    return GAN_OK;
}

void gan_free(gan *model)
{
    if (!model) return;
    network_free(&model->generator);
    network_free(&model->discriminator);
    optimizer_free(&model->generator_optimizer);
    optimizer_free(&model->discriminator_optimizer);
    rollback_free(model);
    average_free(model);
    free(model->permutation);
    free(model->buffers);
    free(model->batch_labels);
    free(model);
}

const gan_config *gan_get_config(const gan *model)
{
    return model ? &model->config : NULL;
}

gan_status gan_parameters(gan *model, gan_network network, float **params, size_t *count)
{
    if (!model || !params || !count) return GAN_ERR_INVALID_ARGUMENT;
    if (network != GAN_GENERATOR && network != GAN_DISCRIMINATOR) return GAN_ERR_INVALID_ARGUMENT;
    struct network *net = network == GAN_GENERATOR ? &model->generator : &model->discriminator;
    if (network == GAN_GENERATOR) generator_changed(model); /* the caller may write them */
    *params = net->params;
    *count = net->param_count;
    return GAN_OK;
}

/* ---- data --------------------------------------------------------------- */

static gan_status attach(gan *model, const uint8_t *u8, const float *f32, uint32_t count)
{
    if (!model || (!u8 && !f32) || count == 0) return GAN_ERR_INVALID_ARGUMENT;
    if (model->progress.active) return GAN_ERR_BUSY; /* its batches came from the old data */
    if (!fits_in_memory(count, (uint64_t)model->config.data_dim, u8 ? 1 : sizeof(float)) ||
        !fits_in_memory(count, 1, sizeof(uint32_t)))
        return GAN_ERR_INVALID_ARGUMENT; /* more than wasm32 can address */
    uint32_t *permutation = model->permutation;
    if (count != model->data_count || !permutation) {
        permutation = malloc((size_t)count * sizeof(uint32_t));
        if (!permutation) return GAN_ERR_OUT_OF_MEMORY;
        free(model->permutation);
        model->permutation = permutation;
    }
    /* The data position (epoch, index) is training state, restored by
     * checkpoints whether the data is attached before or after the load, so
     * attaching keeps it; only a position past the new end restarts the epoch. */
    if (model->data_position > count) model->data_position = 0;
    model->data_u8 = u8;
    model->data_f32 = f32;
    model->labels = NULL; /* they labelled the old data */
    model->data_count = count;
    data_shuffle(model);
    return GAN_OK;
}

gan_status gan_attach_data(gan *model, const uint8_t *images, uint32_t count)
{
    return attach(model, images, NULL, count);
}

gan_status gan_attach_data_f32(gan *model, const float *images, uint32_t count)
{
    return attach(model, NULL, images, count);
}

gan_status gan_attach_labels(gan *model, const uint8_t *labels, uint32_t count)
{
    if (!model || !labels) return GAN_ERR_INVALID_ARGUMENT;
    if (model->progress.active) return GAN_ERR_BUSY;
    if (!model->data_count) return GAN_ERR_NO_DATA;
    if (count != model->data_count) return GAN_ERR_INVALID_ARGUMENT;
    if (model->config.conditional != GAN_CONDITIONAL_NONE) {
        for (uint32_t i = 0; i < count; i++)
            if (labels[i] >= model->config.classes) return GAN_ERR_INVALID_ARGUMENT;
    }
    model->labels = labels;
    return GAN_OK;
}

gan_status gan_init_generator_bias(gan *model)
{
    if (!model) return GAN_ERR_INVALID_ARGUMENT;
    if (!model->data_count) return GAN_ERR_NO_DATA;
    if (model->progress.active) return GAN_ERR_BUSY;
    if (model->config.output_bias_init == GAN_OUTPUT_BIAS_ZERO) return GAN_OK;
    network *g = &model->generator;
    int last = -1;
    for (int i = 0; i < g->layer_count; i++)
        if (g->layers[i].weight_count) last = i;
    int sigmoid_after = 0;
    for (int i = last + 1; i < g->layer_count; i++) {
        gan_layer_kind kind = g->layers[i].kind;
        if (kind == GAN_LAYER_SIGMOID) sigmoid_after = 1;
        else if (g->layers[i].in_dim != g->layers[i].out_dim) return GAN_ERR_INVALID_ARGUMENT; /* widths differ */
    }
    const int dim = model->config.data_dim;
    if (last < 0 || g->layers[last].out_dim != dim) return GAN_ERR_INVALID_ARGUMENT;
    /* one bias per value, or (a convolution's tied bias) one per channel,
     * whose mean runs over every pixel of that channel: values are stored
     * channels last, so value j belongs to channel j % channels */
    float *bias = g->layers[last].bias;
    const int biases = (int)g->layers[last].bias_count;
    if (biases != dim && dim % biases != 0) return GAN_ERR_INVALID_ARGUMENT;

    /* Contrast-normalised data: the sums of each value over the examples as
     * training sees them, one example at a time (in D's input rows, which
     * hold nothing between iterations). */
    double *sums = NULL;
    if (model->config.gcn_scale > 0.0f) {
        sums = calloc((size_t)dim, sizeof(double));
        if (!sums) return GAN_ERR_OUT_OF_MEMORY;
        for (uint32_t i = 0; i < model->data_count; i++) {
            example_values(model, i, model->d_input);
            for (int at = 0; at < dim; at++) sums[at] += model->d_input[at];
        }
    }
    /* the data's mean value of each bias's values, in double, in data order */
    for (int j = 0; j < biases; j++) {
        double sum = 0.0;
        if (sums) {
            for (int at_j = j; at_j < dim; at_j += biases) sum += sums[at_j];
        } else {
            for (uint32_t i = 0; i < model->data_count; i++) {
                for (int at_j = j; at_j < dim; at_j += biases) {
                    size_t at = (size_t)i * dim + at_j;
                    sum += model->data_u8 ? model->data_u8[at] / 255.0 : (double)model->data_f32[at];
                }
            }
        }
        double mean = sum / ((double)model->data_count * (dim / biases));
        if (sigmoid_after) {
            /* logit of the marginal, clipped to [1e-7, 1 - 1e-7] as the
             * authors' configuration does (pylearn2's
             * init_sigmoid_bias_from_marginals). A wider clip matters: 226
             * of MNIST's 784 training-set marginals are below 1e-3, and with
             * them at 1e-3 G starts with faint ink where the data has none,
             * an easy cue for D (docs/faithfulness.md) */
            const double clamp = 1e-7;
            if (mean < clamp) mean = clamp;
            if (mean > 1.0 - clamp) mean = 1.0 - clamp;
            bias[j] = (float)(det_log(mean) - det_log(1.0 - mean));
        } else {
            bias[j] = (float)mean; /* a linear output starts at the mean */
        }
    }
    free(sums);
    average_reset(model);
    generator_changed(model);
    return GAN_OK;
}

/* ---- sampling ----------------------------------------------------------- */

gan_status gan_sample_noise(const gan *model, uint64_t seed, uint32_t n, float *z)
{
    if (!model || (!z && n)) return GAN_ERR_INVALID_ARGUMENT;
    if (!fits_in_memory(n, (uint64_t)model->config.noise_dim, sizeof(float)))
        return GAN_ERR_INVALID_ARGUMENT;
    prng rng;
    prng_seed(&rng, seed, PRNG_STREAM_SAMPLE);
    sample_prior(&model->config, &rng, z, (size_t)n * model->config.noise_dim);
    return GAN_OK;
}

/* The number of noise vectors behind batch normalisation's sampling
 * statistics, rounded up to whole batches. */
#define CALIBRATION_ROWS 512

/* Batch normalisation's statistics for sampling, if G has it and its
 * parameters changed since they were computed: G in training mode on a fixed
 * set of noise vectors (the seed's calibration stream), batch by batch, as
 * training sees it. Uses the step buffers' noise rows; touches no training
 * state. */
/* Class rows [rows, classes] for examples first .. first + rows - 1: the
 * caller's (classes != NULL) or one-hot rows of class i mod classes. */
static void class_rows(const gan *model, const float *classes, uint32_t first, int rows)
{
    const int k = model->config.classes;
    float *out = model->condition;
    if (classes) {
        memcpy(out, classes + (size_t)first * k, (size_t)rows * k * sizeof(float));
        return;
    }
    memset(out, 0, (size_t)rows * k * sizeof(float));
    for (int i = 0; i < rows; i++) out[(size_t)i * k + (first + (uint32_t)i) % (uint32_t)k] = 1.0f;
}

static void calibrate_generator(gan *model)
{
    network *g = &model->generator;
    if (model->calibrated_version == model->generator_version || !network_has_batch_norm(g))
        return;
    const gan_config *c = &model->config;
    const int m = c->batch_size, passes = (CALIBRATION_ROWS + m - 1) / m;
    prng rng;
    prng_seed(&rng, c->seed, PRNG_STREAM_CALIBRATE);
    network_calibration_begin(g);
    for (int p = 0; p < passes; p++) {
        sample_prior(c, &rng, model->noise, (size_t)m * c->noise_dim);
        if (g->classes) {
            class_rows(model, NULL, (uint32_t)p * (uint32_t)m, m);
            g->condition = model->condition;
        }
        network_forward(g, model->noise, m, &rng);
        network_calibration_add(g);
    }
    network_calibration_end(g, passes);
    model->calibrated_version = model->generator_version;
}

gan_status gan_generate(gan *model, const float *z, uint32_t n, float *out)
{
    return gan_generate_conditional(model, z, NULL, n, out);
}

gan_status gan_generate_conditional(gan *model, const float *z, const float *classes, uint32_t n,
                                    float *out)
{
    if (!model || ((!z || !out) && n)) return GAN_ERR_INVALID_ARGUMENT;
    if (!fits_in_memory(n, (uint64_t)model->config.noise_dim, sizeof(float)) ||
        !fits_in_memory(n, (uint64_t)model->config.data_dim, sizeof(float)))
        return GAN_ERR_INVALID_ARGUMENT;
    if (classes && (!model->generator.classes ||
                    !fits_in_memory(n, (uint64_t)model->config.classes, sizeof(float))))
        return GAN_ERR_INVALID_ARGUMENT;
    if (model->progress.active) return GAN_ERR_BUSY; /* G's activations hold the iteration's pass */
    network *g = &model->generator;
    average_swap(model); /* samples come from the average, when there is one */
    calibrate_generator(model);
    size_t in = (size_t)model->config.noise_dim, dim = (size_t)model->config.data_dim;
    for (uint32_t done = 0; done < n;) {
        int rows = (int)(n - done < (uint32_t)g->max_batch ? n - done : (uint32_t)g->max_batch);
        if (g->classes) {
            class_rows(model, classes, done, rows);
            g->condition = model->condition;
        }
        const float *y = network_forward(g, z + done * in, rows, NULL);
        memcpy(out + done * dim, y, (size_t)rows * dim * sizeof(float));
        done += (uint32_t)rows;
    }
    average_swap(model);
    return GAN_OK;
}

gan_status gan_discriminate(gan *model, const float *x, uint32_t n, float *probabilities)
{
    return gan_discriminate_conditional(model, x, NULL, n, probabilities);
}

gan_status gan_discriminate_conditional(gan *model, const float *x, const float *classes,
                                        uint32_t n, float *probabilities)
{
    if (!model || ((!x || !probabilities) && n)) return GAN_ERR_INVALID_ARGUMENT;
    if (!fits_in_memory(n, (uint64_t)model->config.data_dim, sizeof(float)))
        return GAN_ERR_INVALID_ARGUMENT;
    network *d = &model->discriminator;
    if (classes && (!d->classes || !fits_in_memory(n, (uint64_t)model->config.classes, sizeof(float))))
        return GAN_ERR_INVALID_ARGUMENT;
    if (model->progress.active) return GAN_ERR_BUSY;
    size_t dim = (size_t)model->config.data_dim, width = (size_t)d->output_dim;
    for (uint32_t done = 0; done < n;) {
        int rows = (int)(n - done < (uint32_t)d->max_batch ? n - done : (uint32_t)d->max_batch);
        if (d->classes) {
            class_rows(model, classes, done, rows);
            d->condition = model->condition;
        }
        const float *logits = network_forward(d, x + done * dim, rows, NULL);
        for (int i = 0; i < rows; i++)
            probabilities[done + i] = (float)det_sigmoid(logits[(size_t)i * width]);
        done += (uint32_t)rows;
    }
    return GAN_OK;
}
