/*
 * checkpoint.c - the complete training state in the safetensors layout.
 *
 * Metadata (all strings):
 *   "format": "wasm-gan", "version": "7" (GAN_CHECKPOINT_VERSION; 6, 5, 4, 3, 2 and 1 still load)
 *   "config": the configuration as JSON, for people and other tools
 *   "config.<key>": every gan_config_set key, and each used layer's kind and
 *                   the fields it uses ("g.layers.N.units"), in text form:
 *                   what loading reads
 * Tensors:
 *   generator.N.weight [in, out] F32, generator.N.bias [out] F32 (N = layer index)
 *     for a dense layer; a convolution's weight is [kernel, kernel, in_channels,
 *     out_channels], a transposed convolution's [kernel, kernel, out_channels,
 *     in_channels], their bias [out_channels] or, untied, [out_height,
 *     out_width, out_channels] (gan.h)
 *   discriminator.N.weight / .bias
 *   {generator,discriminator}_optimizer.velocity [P] F32 (SGD) or .m, .v [P] F32 (Adam),
 *     .learning_rate F64, .updates U64, .beta1_power F64, .beta2_power F64 (scalars)
 *   generator.average [P] F32, with generator_average > 0 (version 4)
 *   train.rng [4] U64, train.steps, train.examples, train.non_finite_total U64
 *   data.epoch, data.position U64: the data order is regenerated from (seed, epoch)
 *   train.d_steps U64, train.d_accuracy_average F64: the k of the next
 *     iteration and the moving average of D's accuracy (version 6; older
 *     files load with d_steps and the average's starting value)
 *
 * Loading validates everything (the parse, format and version, the config,
 * every tensor's dtype and shape, every scalar's range, every float's
 * finiteness) before it changes anything.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gan_internal.h"
#include "safetensors.h"

#define MAX_TENSORS (4 * GAN_MAX_LAYERS + 32)
#define MAX_METADATA (64 + 2 * GAN_MAX_LAYERS * 8) /* a layer stores its kind and up to 7 fields */
#define NAME_SIZE 48
#define VALUE_SIZE 64
#define STRINGIFY_(x) #x
#define STRINGIFY(x) STRINGIFY_(x)
#define CHECKPOINT_VERSION_TEXT STRINGIFY(GAN_CHECKPOINT_VERSION)

/* Scalars live here while saving, and while loading until every check passed. */
typedef struct checkpoint_scalars {
    uint64_t rng[4];
    uint64_t steps, examples, non_finite_total, data_epoch, data_position;
    uint64_t d_steps;                 /* the adaptive k (version 6) */
    double d_accuracy_average;
    uint64_t updates[2];              /* generator, discriminator */
    double learning_rate[2], beta1_power[2], beta2_power[2];
} checkpoint_scalars;

typedef struct checkpoint_layout {
    st_tensor_source tensors[MAX_TENSORS];
    char names[MAX_TENSORS][NAME_SIZE];
    size_t tensor_count;
    st_metadata_entry metadata[MAX_METADATA];
    char keys[MAX_METADATA][NAME_SIZE + 8];
    char values[MAX_METADATA][VALUE_SIZE];
    size_t metadata_count;
    char *config_json;
    checkpoint_scalars scalars;
} checkpoint_layout;

static void add_tensor_shaped(checkpoint_layout *layout, const char *name, st_dtype dtype,
                              uint32_t rank, const unsigned long long *shape, const void *data)
{
    size_t i = layout->tensor_count++;
    snprintf(layout->names[i], NAME_SIZE, "%s", name);
    st_tensor_source *t = &layout->tensors[i];
    memset(t, 0, sizeof(*t));
    t->name = layout->names[i];
    t->dtype = dtype;
    t->rank = rank;
    for (uint32_t d = 0; d < rank; d++) t->shape[d] = shape[d];
    t->data = data;
}

static void add_tensor(checkpoint_layout *layout, const char *name, st_dtype dtype, uint32_t rank,
                       uint64_t d0, uint64_t d1, const void *data)
{
    const unsigned long long shape[2] = {d0, d1};
    add_tensor_shaped(layout, name, dtype, rank, shape, data);
}

/* The tensors a model of this shape has in a file of `version`, pointing
 * at the model's blocks (parameters, optimizer state) and at
 * layout->scalars. */
static void layout_tensors(checkpoint_layout *layout, const gan *model, int version)
{
    char name[NAME_SIZE];
    checkpoint_scalars *s = &layout->scalars;
    for (int which = 0; which < 2; which++) {
        const network *net = which ? &model->discriminator : &model->generator;
        const optimizer *opt = which ? &model->discriminator_optimizer : &model->generator_optimizer;
        const char *net_name = which ? "discriminator" : "generator";
        const gan_network_config *spec = which ? &model->config.discriminator : &model->config.generator;
        for (int i = 0; i < net->layer_count; i++) {
            const network_layer *layer = &net->layers[i];
            int weight_rank, bias_rank;
            unsigned long long weight_shape[4], bias_shape[3];
            if (!layer_tensor_shapes(&spec->layers[i], layer->in_shape, layer->out_shape,
                                     &weight_rank, weight_shape, &bias_rank, bias_shape))
                continue;
            snprintf(name, sizeof(name), "%s.%d.weight", net_name, i);
            add_tensor_shaped(layout, name, ST_F32, (uint32_t)weight_rank, weight_shape, layer->weight);
            snprintf(name, sizeof(name), "%s.%d.bias", net_name, i);
            add_tensor_shaped(layout, name, ST_F32, (uint32_t)bias_rank, bias_shape, layer->bias);
        }
        if (net->classes) {
            snprintf(name, sizeof(name), "%s.class_weight", net_name);
            add_tensor(layout, name, ST_F32, 2, (uint64_t)net->classes,
                       (uint64_t)net->condition_width, net->class_weight);
        }
        uint64_t n = net->param_count;
        if (opt->slots == 1) {
            snprintf(name, sizeof(name), "%s_optimizer.velocity", net_name);
            add_tensor(layout, name, ST_F32, 1, n, 0, opt->velocity);
        } else {
            snprintf(name, sizeof(name), "%s_optimizer.m", net_name);
            add_tensor(layout, name, ST_F32, 1, n, 0, opt->m);
            snprintf(name, sizeof(name), "%s_optimizer.v", net_name);
            add_tensor(layout, name, ST_F32, 1, n, 0, opt->v);
        }
        snprintf(name, sizeof(name), "%s_optimizer.learning_rate", net_name);
        add_tensor(layout, name, ST_F64, 0, 0, 0, &s->learning_rate[which]);
        snprintf(name, sizeof(name), "%s_optimizer.updates", net_name);
        add_tensor(layout, name, ST_U64, 0, 0, 0, &s->updates[which]);
        snprintf(name, sizeof(name), "%s_optimizer.beta1_power", net_name);
        add_tensor(layout, name, ST_F64, 0, 0, 0, &s->beta1_power[which]);
        snprintf(name, sizeof(name), "%s_optimizer.beta2_power", net_name);
        add_tensor(layout, name, ST_F64, 0, 0, 0, &s->beta2_power[which]);
    }
    if (model->average)
        add_tensor(layout, "generator.average", ST_F32, 1, model->generator.param_count, 0,
                   model->average);
    add_tensor(layout, "train.rng", ST_U64, 1, 4, 0, s->rng);
    add_tensor(layout, "train.steps", ST_U64, 0, 0, 0, &s->steps);
    add_tensor(layout, "train.examples", ST_U64, 0, 0, 0, &s->examples);
    add_tensor(layout, "train.non_finite_total", ST_U64, 0, 0, 0, &s->non_finite_total);
    add_tensor(layout, "data.epoch", ST_U64, 0, 0, 0, &s->data_epoch);
    add_tensor(layout, "data.position", ST_U64, 0, 0, 0, &s->data_position);
    if (version >= 6) {
        add_tensor(layout, "train.d_steps", ST_U64, 0, 0, 0, &s->d_steps);
        add_tensor(layout, "train.d_accuracy_average", ST_F64, 0, 0, 0, &s->d_accuracy_average);
    }
}

static void scalars_from_model(checkpoint_scalars *s, const gan *model)
{
    memcpy(s->rng, model->rng.s, sizeof(s->rng));
    s->steps = model->steps;
    s->examples = model->examples;
    s->non_finite_total = model->non_finite_total;
    s->data_epoch = model->data_epoch;
    s->data_position = model->data_position;
    s->d_steps = (uint64_t)model->d_steps_now;
    s->d_accuracy_average = model->d_accuracy_average;
    for (int which = 0; which < 2; which++) {
        const optimizer *opt = which ? &model->discriminator_optimizer : &model->generator_optimizer;
        s->updates[which] = opt->updates;
        s->learning_rate[which] = opt->learning_rate;
        s->beta1_power[which] = opt->beta1_power;
        s->beta2_power[which] = opt->beta2_power;
    }
}

/* Calls fn(key) for every config key a checkpoint of `version` stores for
 * this config: the layer-independent keys, then each used layer's kind and
 * the fields that kind uses (config.c's tables say which). */
static int for_each_key(const gan_config *config, int version,
                        int (*fn)(void *, const char *), void *context)
{
    return config_each_key(version, fn, context) && config_each_layer_key(config, fn, context);
}

typedef struct metadata_context {
    checkpoint_layout *layout;
    const gan_config *config;
} metadata_context;

static int add_config_entry(void *context, const char *key)
{
    metadata_context *c = context;
    checkpoint_layout *layout = c->layout;
    if (layout->metadata_count >= MAX_METADATA) return 0;
    size_t i = layout->metadata_count++;
    snprintf(layout->keys[i], sizeof(layout->keys[i]), "config.%s", key);
    if (gan_config_get(c->config, key, layout->values[i], VALUE_SIZE) != GAN_OK) return 0;
    layout->metadata[i].key = layout->keys[i];
    layout->metadata[i].value = layout->values[i];
    return 1;
}

/* Builds everything the writer needs; the caller frees with layout_free. */
static gan_status layout_build(const gan *model, checkpoint_layout **out)
{
    checkpoint_layout *layout = calloc(1, sizeof(*layout));
    if (!layout) return GAN_ERR_OUT_OF_MEMORY;
    size_t json_length;
    gan_config_to_json(&model->config, NULL, 0, &json_length);
    layout->config_json = malloc(json_length + 1);
    if (!layout->config_json) {
        free(layout);
        return GAN_ERR_OUT_OF_MEMORY;
    }
    gan_config_to_json(&model->config, layout->config_json, json_length + 1, &json_length);

    st_metadata_entry *meta = layout->metadata;
    meta[0] = (st_metadata_entry){"format", "wasm-gan"};
    meta[1] = (st_metadata_entry){"version", CHECKPOINT_VERSION_TEXT};
    meta[2] = (st_metadata_entry){"config", layout->config_json};
    layout->metadata_count = 3;
    metadata_context context = {layout, &model->config};
    if (!for_each_key(&model->config, GAN_CHECKPOINT_VERSION, add_config_entry, &context)) {
        free(layout->config_json);
        free(layout);
        return GAN_ERR_INVALID_ARGUMENT;
    }
    scalars_from_model(&layout->scalars, model);
    layout_tensors(layout, model, GAN_CHECKPOINT_VERSION);
    *out = layout;
    return GAN_OK;
}

static void layout_free(checkpoint_layout *layout)
{
    if (!layout) return;
    free(layout->config_json);
    free(layout);
}

gan_status gan_checkpoint_size(const gan *model, size_t *size)
{
    if (!model || !size) return GAN_ERR_INVALID_ARGUMENT;
    checkpoint_layout *layout;
    gan_status status = layout_build(model, &layout);
    if (status != GAN_OK) return status;
    st_writer writer = {layout->tensors, layout->tensor_count, layout->metadata,
                        layout->metadata_count};
    status = st_write_size(&writer, size);
    layout_free(layout);
    return status;
}

gan_status gan_checkpoint_save(const gan *model, uint8_t *buf, size_t capacity, size_t *size)
{
    if (!model || !size || (!buf && capacity)) return GAN_ERR_INVALID_ARGUMENT;
    if (model->progress.active) return GAN_ERR_BUSY; /* D may be updated, G not yet */
    checkpoint_layout *layout;
    gan_status status = layout_build(model, &layout);
    if (status != GAN_OK) return status;
    st_writer writer = {layout->tensors, layout->tensor_count, layout->metadata,
                        layout->metadata_count};
    status = st_write(&writer, buf, capacity, size);
    layout_free(layout);
    return status;
}

/* ---- loading ------------------------------------------------------------ */

typedef struct config_reader {
    const st_file *file;
    gan_config *config;
} config_reader;

static int read_config_entry(void *context, const char *key)
{
    config_reader *r = context;
    char name[NAME_SIZE + 8];
    snprintf(name, sizeof(name), "config.%s", key);
    const char *value = st_find_metadata(r->file, name);
    return value && gan_config_set(r->config, key, value) == GAN_OK;
}

/* The file's format, version and configuration. Keys that came after the
 * file's version keep the defaults (an empty preset). */
static gan_status read_header(const st_file *file, gan_config *config, int *version_out)
{
    const char *format = st_find_metadata(file, "format");
    const char *version_text = st_find_metadata(file, "version");
    if (!format || strcmp(format, "wasm-gan") != 0) return GAN_ERR_CHECKPOINT_VERSION;
    int version = 0;
    for (int v = 1; v <= GAN_CHECKPOINT_VERSION; v++) {
        char text[8];
        snprintf(text, sizeof(text), "%d", v);
        if (version_text && strcmp(version_text, text) == 0) version = v;
    }
    if (!version) return GAN_ERR_CHECKPOINT_VERSION;

    // top-level keys first: they include the layer counts the layer keys need
    memset(config, 0, sizeof(*config));
    config_initial_values(config, version);
    config_reader reader = {file, config};
    if (!config_each_key(version, read_config_entry, &reader)) return GAN_ERR_CHECKPOINT_MALFORMED;
    if (!config_each_layer_key(config, read_config_entry, &reader))
        return GAN_ERR_CHECKPOINT_MALFORMED;
    if (gan_config_validate(config) != GAN_OK) return GAN_ERR_CHECKPOINT_MALFORMED;
    *version_out = version;
    return GAN_OK;
}

/* What must agree for a checkpoint to load into an existing model: whatever
 * sizes its memory. Hyperparameters (rates, loss, seed, ...) come from the file. */
static int same_architecture(const gan_config *a, const gan_config *b)
{
    const layer_shape a_data = config_data_shape(a), b_data = config_data_shape(b);
    if (a->noise_dim != b->noise_dim || a->data_dim != b->data_dim ||
        a_data.channels != b_data.channels || a_data.height != b_data.height ||
        a->batch_size != b->batch_size || train_max_d_steps(a) != train_max_d_steps(b) ||
        a->generator_optimizer.kind != b->generator_optimizer.kind ||
        (a->generator_average > 0) != (b->generator_average > 0) ||
        a->discriminator_optimizer.kind != b->discriminator_optimizer.kind ||
        a->conditional != b->conditional ||
        (a->conditional != GAN_CONDITIONAL_NONE && a->classes != b->classes))
        return 0;
    for (int which = 0; which < 2; which++) {
        const gan_network_config *x = which ? &a->discriminator : &a->generator;
        const gan_network_config *y = which ? &b->discriminator : &b->generator;
        if (x->layer_count != y->layer_count) return 0;
        for (int i = 0; i < x->layer_count; i++) {
            if (!config_same_architecture_layers(&x->layers[i], &y->layers[i])) return 0;
        }
    }
    return 1;
}

static int all_finite_f32(const uint8_t *bytes, uint64_t count)
{
    float check = 0.0f;
    for (uint64_t i = 0; i < count; i++) {
        float x;
        memcpy(&x, bytes + 4 * i, 4);
        check += x - x;
    }
    return check == 0.0f;
}

static int finite_in(double x, double lo, double hi)
{
    return x >= lo && x <= hi; /* false for NaN */
}

/* Loads a parsed, header-checked file of `version` into a model of the same
 * architecture. */
static gan_status load_into(gan *model, const st_file *file, const gan_config *config, int version)
{
    checkpoint_layout *layout = calloc(1, sizeof(*layout));
    if (!layout) return GAN_ERR_OUT_OF_MEMORY;
    layout_tensors(layout, model, version);
    if (version < 6) { /* before the adaptive k: k was d_steps */
        layout->scalars.d_steps = (uint64_t)config->d_steps;
        layout->scalars.d_accuracy_average = adaptive_k_start(config);
    }

    // every tensor present with its dtype and shape, and nothing else
    gan_status status = GAN_OK;
    if (file->tensor_count != layout->tensor_count) status = GAN_ERR_CHECKPOINT_MALFORMED;
    for (size_t i = 0; i < layout->tensor_count && status == GAN_OK; i++) {
        const st_tensor_source *want = &layout->tensors[i];
        const st_tensor *have = st_find_tensor(file, want->name);
        if (!have || st_tensor_check(have, want->dtype, want->rank, want->shape) != GAN_OK) {
            status = GAN_ERR_CHECKPOINT_MALFORMED;
        } else if (want->dtype == ST_F32) {
            if (!all_finite_f32(have->data, have->element_count)) status = GAN_ERR_CHECKPOINT_MALFORMED;
        } else {
            memcpy((void *)want->data, have->data, have->byte_length); /* into layout->scalars */
        }
    }
    // the scalars' ranges
    const checkpoint_scalars *s = &layout->scalars;
    if (status == GAN_OK) {
        int ok = (s->rng[0] | s->rng[1] | s->rng[2] | s->rng[3]) != 0 &&
                 s->data_position <= UINT32_MAX &&
                 s->d_steps >= 1 && s->d_steps <= (uint64_t)train_max_d_steps(config) &&
                 (config->adaptive_k || s->d_steps == (uint64_t)config->d_steps) &&
                 finite_in(s->d_accuracy_average, 0.0, 1.0);
        for (int which = 0; which < 2 && ok; which++)
            ok = finite_in(s->learning_rate[which], 0.0, 3.5e38) &&
                 finite_in(s->beta1_power[which], 0.0, 1.0) &&
                 finite_in(s->beta2_power[which], 0.0, 1.0);
        if (!ok) status = GAN_ERR_CHECKPOINT_MALFORMED;
    }
    // a checkpoint may switch the update order: D's rollback backup first
    if (status == GAN_OK) status = train_reserve_backup(model, config);
    if (status == GAN_OK) status = average_reserve(model, config);
    if (status != GAN_OK) {
        free(layout);
        return status;
    }

    // commit: nothing below can fail
    for (size_t i = 0; i < layout->tensor_count; i++) {
        const st_tensor_source *want = &layout->tensors[i];
        if (want->dtype != ST_F32) continue;
        const st_tensor *have = st_find_tensor(file, want->name);
        memcpy((void *)want->data, have->data, have->byte_length);
    }
    model->config = *config;
    for (int which = 0; which < 2; which++) {
        network *net = which ? &model->discriminator : &model->generator;
        const gan_network_config *spec = which ? &config->discriminator : &config->generator;
        for (int i = 0; i < net->layer_count; i++) {
            net->layers[i].keep_prob = spec->layers[i].keep_prob;
            net->layers[i].slope = spec->layers[i].slope;
            net->layers[i].init_range = spec->layers[i].init_range;
        }
        optimizer *opt = which ? &model->discriminator_optimizer : &model->generator_optimizer;
        opt->updates = s->updates[which];
        opt->learning_rate = s->learning_rate[which];
        opt->beta1_power = s->beta1_power[which];
        opt->beta2_power = s->beta2_power[which];
    }
    memcpy(model->rng.s, s->rng, sizeof(s->rng));
    model->steps = s->steps;
    model->examples = s->examples;
    model->non_finite_total = s->non_finite_total;
    model->d_steps_now = (int32_t)s->d_steps;
    model->d_accuracy_average = s->d_accuracy_average;
    generator_changed(model);
    model->data_epoch = s->data_epoch;
    model->data_position = (uint32_t)s->data_position;
    if (model->data_count) {
        if (model->data_position > model->data_count) model->data_position = 0;
        data_shuffle(model);
    }
    free(layout);
    return GAN_OK;
}

gan_status gan_checkpoint_load(gan *model, const uint8_t *buf, size_t size)
{
    if (!model || (!buf && size)) return GAN_ERR_INVALID_ARGUMENT;
    st_file file;
    gan_status status = st_parse(buf, size, &file);
    if (status != GAN_OK) return status;
    gan_config config;
    int version = 0;
    status = read_header(&file, &config, &version);
    if (status == GAN_OK && !same_architecture(&config, &model->config))
        status = GAN_ERR_CHECKPOINT_MISMATCH;
    if (status == GAN_OK) status = load_into(model, &file, &config, version);
    if (status == GAN_OK) model->progress.active = 0; /* an unfinished iteration is abandoned */
    st_file_free(&file);
    return status;
}

/* Before a model is built from a file: does the file hold the weights and
 * optimizer state its configuration declares, with their shapes? Then the
 * model's parameters, gradients and optimizer state are never more than a
 * few times the file's own size, and a small file that declares a huge
 * model is refused before anything large is allocated. */
static gan_status check_declared_tensors(const st_file *file, const gan_config *config)
{
    char name[NAME_SIZE];
    for (int which = 0; which < 2; which++) {
        gan_network_config built;
        config_built_network(config, which ? GAN_DISCRIMINATOR : GAN_GENERATOR, &built);
        const gan_network_config *net = &built;
        const gan_optimizer_config *opt =
            which ? &config->discriminator_optimizer : &config->generator_optimizer;
        const char *net_name = which ? "discriminator" : "generator";
        layer_shape shapes[GAN_MAX_LAYERS];
        const layer_shape input = which ? config_data_shape(config) : (layer_shape){config->noise_dim, 1, 1};
        unsigned long long params = 0;
        if (!network_shapes(net, input, "", shapes, &params, NULL, 0)) return GAN_ERR_CHECKPOINT_MALFORMED;
        for (int i = 0; i < net->layer_count; i++) {
            int weight_rank, bias_rank;
            unsigned long long weight_shape[4], bias_shape[3];
            if (!layer_tensor_shapes(&net->layers[i], i ? shapes[i - 1] : input, shapes[i],
                                     &weight_rank, weight_shape, &bias_rank, bias_shape))
                continue;
            uint64_t weight_want[ST_MAX_RANK] = {0}, bias_want[ST_MAX_RANK] = {0};
            for (int d = 0; d < weight_rank; d++) weight_want[d] = weight_shape[d];
            for (int d = 0; d < bias_rank; d++) bias_want[d] = bias_shape[d];
            snprintf(name, sizeof(name), "%s.%d.weight", net_name, i);
            const st_tensor *weight = st_find_tensor(file, name);
            if (!weight || st_tensor_check(weight, ST_F32, (uint32_t)weight_rank, weight_want) != GAN_OK)
                return GAN_ERR_CHECKPOINT_MALFORMED;
            snprintf(name, sizeof(name), "%s.%d.bias", net_name, i);
            const st_tensor *bias = st_find_tensor(file, name);
            if (!bias || st_tensor_check(bias, ST_F32, (uint32_t)bias_rank, bias_want) != GAN_OK)
                return GAN_ERR_CHECKPOINT_MALFORMED;
        }
        const int classes = config_network_classes(config, which ? GAN_DISCRIMINATOR : GAN_GENERATOR);
        const int condition_layer = network_condition_layer(net);
        if (classes) {
            if (condition_layer < 0) return GAN_ERR_CHECKPOINT_MALFORMED;
            const unsigned long long width = (unsigned long long)shapes[condition_layer].channels;
            uint64_t want[ST_MAX_RANK] = {(uint64_t)classes, width};
            snprintf(name, sizeof(name), "%s.class_weight", net_name);
            const st_tensor *t = st_find_tensor(file, name);
            if (!t || st_tensor_check(t, ST_F32, 2, want) != GAN_OK) return GAN_ERR_CHECKPOINT_MALFORMED;
            params += (unsigned long long)classes * width;
        }
        uint64_t state_shape[ST_MAX_RANK] = {params, 0};
        snprintf(name, sizeof(name), "%s_optimizer.%s", net_name,
                 opt->kind == GAN_OPTIMIZER_ADAM ? "m" : "velocity");
        const st_tensor *state = st_find_tensor(file, name);
        if (!state || st_tensor_check(state, ST_F32, 1, state_shape) != GAN_OK)
            return GAN_ERR_CHECKPOINT_MALFORMED;
    }
    return GAN_OK;
}

gan_status gan_create_from_checkpoint(const uint8_t *buf, size_t size, gan **out)
{
    if (!out || (!buf && size)) return GAN_ERR_INVALID_ARGUMENT;
    *out = NULL;
    st_file file;
    gan_status status = st_parse(buf, size, &file);
    if (status != GAN_OK) return status;
    gan_config config;
    gan *model = NULL;
    int version = 0;
    status = read_header(&file, &config, &version);
    if (status == GAN_OK) status = check_declared_tensors(&file, &config);
    if (status == GAN_OK) status = gan_create(&config, &model);
    if (status == GAN_OK) status = load_into(model, &file, &config, version);
    st_file_free(&file);
    if (status != GAN_OK) {
        gan_free(model);
        return status;
    }
    *out = model;
    return GAN_OK;
}
