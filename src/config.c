/*
 * config.c - presets as data, and every field settable by name from text.
 *
 * Keys are described once in tables (name, type, where the field lives, its
 * range), and gan_config_set/get, gan_config_keys and the checkpoint's
 * "config.<key>" metadata all go through them.
 */
#include <float.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gan.h"
#include "network.h"

/* ---- presets ------------------------------------------------------------ */

static gan_layer dense(int units, float init_range)
{
    gan_layer layer = {GAN_LAYER_DENSE, units, 0, 0.0f, 0.0f, init_range};
    return layer;
}
static gan_layer activation(gan_layer_kind kind)
{
    gan_layer layer = {kind, 0, 0, 0.0f, 0.0f, 0.0f};
    return layer;
}
static gan_layer leaky_relu(float slope)
{
    gan_layer layer = {GAN_LAYER_LEAKY_RELU, 0, 0, 0.0f, slope, 0.0f};
    return layer;
}
static gan_layer maxout(int pieces)
{
    gan_layer layer = {GAN_LAYER_MAXOUT, 0, pieces, 0.0f, 0.0f, 0.0f};
    return layer;
}
static gan_layer dropout(float keep_prob)
{
    gan_layer layer = {GAN_LAYER_DROPOUT, 0, 0, keep_prob, 0.0f, 0.0f};
    return layer;
}

static gan_optimizer_config sgd(float learning_rate, float decay, float minimum,
                                float momentum_start, float momentum_end, int start_epoch,
                                int end_epoch)
{
    gan_optimizer_config opt = {GAN_OPTIMIZER_SGD, learning_rate, decay, minimum,
                                momentum_start, momentum_end, start_epoch, end_epoch,
                                0.9f, 0.999f, 1e-8f};
    return opt;
}
static gan_optimizer_config adam(float learning_rate, float beta1, float beta2, float epsilon)
{
    gan_optimizer_config opt = {GAN_OPTIMIZER_ADAM, learning_rate, 1.0f, 0.0f,
                                0.5f, 0.5f, 0, 0, beta1, beta2, epsilon};
    return opt;
}

/* The authors' MNIST setup (paper.md, "The MNIST experiment"). */
static void preset_paper(gan_config *c)
{
    c->noise_dim = 100;
    c->prior = GAN_PRIOR_UNIFORM;
    c->prior_scale = 1.7320508f; /* sqrt(3): unit variance */
    c->data_dim = 784;
    gan_layer g[] = {dense(1200, 0.05f), activation(GAN_LAYER_RELU),
                     dense(1200, 0.05f), activation(GAN_LAYER_RELU),
                     dense(784, 0.05f), activation(GAN_LAYER_SIGMOID)};
    gan_layer d[] = {dropout(0.8f), dense(1200, 0.005f), maxout(5),
                     dropout(0.5f), dense(1200, 0.005f), maxout(5),
                     dropout(0.5f), dense(1, 0.005f)};
    c->generator.layer_count = (int32_t)(sizeof(g) / sizeof(g[0]));
    memcpy(c->generator.layers, g, sizeof(g));
    c->discriminator.layer_count = (int32_t)(sizeof(d) / sizeof(d[0]));
    memcpy(c->discriminator.layers, d, sizeof(d));
    c->generator_optimizer = sgd(0.1f, 1.000004f, 1e-6f, 0.5f, 0.7f, 1, 250);
    c->discriminator_optimizer = c->generator_optimizer;
    c->batch_size = 100;
    c->d_steps = 1;
    c->generator_loss = GAN_LOSS_NON_SATURATING;
    c->update_order = GAN_UPDATE_ALTERNATING;
    c->examples_per_epoch = 50000;
    c->seed = 1;
}

/* The page's default: G 64-256-256-784, D 784-256-128-1 with dropout, Adam
 * (1e-3, beta1 0.5), batch 64: about 0.3 GFLOP an iteration, so ~100
 * iterations a second on one browser core, and digits within a few thousand
 * iterations.
 *
 * Adam's lr is 1e-3 for both networks, not DCGAN's usual 2e-4: at 2e-4 these
 * narrow networks are still speckled at 10,000 iterations (Parzen 7.7 and
 * 8.6 nats, seeds 1 and 2), at 1e-3 their strokes are clean and every class
 * shows (122.0 and 125.8; 49.0 and 41.9 at 5,000). 5e-4 gave 100.4, 2e-3
 * 119.4 with more speckle at 5,000, and neither beta2 0.99, dropout keep 0.5
 * or simultaneous updates beat it (native runs, Parzen as `npm run eval`). */
static void preset_small(gan_config *c)
{
    c->noise_dim = 64;
    c->prior = GAN_PRIOR_UNIFORM;
    c->prior_scale = 1.7320508f;
    c->data_dim = 784;
    /* He-style ranges, sqrt(6 / fan_in): at the paper's +-0.05 these narrow
     * layers shrink the signal, G's output barely depends on z at the start,
     * and training collapses to one image. */
    gan_layer g[] = {dense(256, 0.3f), leaky_relu(0.2f),
                     dense(256, 0.15f), leaky_relu(0.2f),
                     dense(784, 0.15f), activation(GAN_LAYER_SIGMOID)};
    gan_layer d[] = {dense(256, 0.087f), leaky_relu(0.2f), dropout(0.7f),
                     dense(128, 0.15f), leaky_relu(0.2f), dropout(0.7f),
                     dense(1, 0.2f)};
    c->generator.layer_count = (int32_t)(sizeof(g) / sizeof(g[0]));
    memcpy(c->generator.layers, g, sizeof(g));
    c->discriminator.layer_count = (int32_t)(sizeof(d) / sizeof(d[0]));
    memcpy(c->discriminator.layers, d, sizeof(d));
    c->generator_optimizer = adam(1e-3f, 0.5f, 0.999f, 1e-8f);
    c->discriminator_optimizer = c->generator_optimizer;
    c->batch_size = 64;
    c->d_steps = 1;
    c->generator_loss = GAN_LOSS_NON_SATURATING;
    c->update_order = GAN_UPDATE_ALTERNATING;
    c->examples_per_epoch = 0;
    c->seed = 1;
}

/* Figure 1: one-dimensional data, a tiny G with a linear output. */
static void preset_toy(gan_config *c)
{
    c->noise_dim = 1;
    c->prior = GAN_PRIOR_UNIFORM;
    c->prior_scale = 1.0f;
    c->data_dim = 1;
    gan_layer g[] = {dense(16, 1.0f), activation(GAN_LAYER_TANH),
                     dense(16, 0.5f), activation(GAN_LAYER_TANH),
                     dense(1, 0.5f)};
    gan_layer d[] = {dense(32, 1.0f), leaky_relu(0.2f),
                     dense(32, 0.3f), leaky_relu(0.2f),
                     dense(1, 0.3f)};
    c->generator.layer_count = (int32_t)(sizeof(g) / sizeof(g[0]));
    memcpy(c->generator.layers, g, sizeof(g));
    c->discriminator.layer_count = (int32_t)(sizeof(d) / sizeof(d[0]));
    memcpy(c->discriminator.layers, d, sizeof(d));
    /* beta2 = 0.9 and a slow decay damp the oscillation 1-D GANs are prone to */
    c->generator_optimizer = adam(1e-3f, 0.5f, 0.9f, 1e-8f);
    c->generator_optimizer.learning_rate_decay = 1.0003f;
    c->generator_optimizer.learning_rate_min = 1e-4f;
    c->discriminator_optimizer = c->generator_optimizer;
    c->batch_size = 64;
    c->d_steps = 1;
    c->generator_loss = GAN_LOSS_NON_SATURATING;
    c->update_order = GAN_UPDATE_ALTERNATING;
    c->examples_per_epoch = 0;
    c->seed = 1;
}

gan_status gan_preset(const char *name, gan_config *config)
{
    if (!name || !config) return GAN_ERR_INVALID_ARGUMENT;
    gan_config c;
    memset(&c, 0, sizeof(c));
    if (strcmp(name, "paper") == 0) preset_paper(&c);
    else if (strcmp(name, "small") == 0) preset_small(&c);
    else if (strcmp(name, "toy") == 0) preset_toy(&c);
    else return GAN_ERR_INVALID_ARGUMENT;
    *config = c;
    return GAN_OK;
}

/* ---- field tables ------------------------------------------------------- */

typedef enum field_type { FIELD_INT, FIELD_FLOAT, FIELD_U64, FIELD_ENUM } field_type;

typedef struct field {
    const char *key;
    field_type type;
    size_t offset;                /* from the start of the struct the table describes */
    double min, max;              /* inclusive, unless min_open / max_open */
    int min_open, max_open;
    const char *const *names;     /* FIELD_ENUM: value i is names[i] */
    int name_count;
} field;

_Static_assert(sizeof(gan_prior) == sizeof(int) && sizeof(gan_layer_kind) == sizeof(int) &&
                   sizeof(gan_optimizer_kind) == sizeof(int) &&
                   sizeof(gan_generator_loss) == sizeof(int) &&
                   sizeof(gan_update_order) == sizeof(int),
               "enum fields are accessed as int");

static const char *const prior_names[] = {"uniform", "gaussian"};
static const char *const loss_names[] = {"non-saturating", "minimax"};
static const char *const order_names[] = {"alternating", "simultaneous"};
static const char *const optimizer_names[] = {"sgd", "adam"};
static const char *const kind_names[] = {"dense", "relu", "leaky_relu", "sigmoid",
                                         "tanh", "maxout", "dropout"};

#define MAX_DIM 65536
#define MAX_BATCH 4096
#define ENUM(names) (const char *const *)(names), (int)(sizeof(names) / sizeof((names)[0]))

static const field top_fields[] = {
    {"noise_dim", FIELD_INT, offsetof(gan_config, noise_dim), 1, MAX_DIM, 0, 0, NULL, 0},
    {"prior", FIELD_ENUM, offsetof(gan_config, prior), 0, 0, 0, 0, ENUM(prior_names)},
    {"prior_scale", FIELD_FLOAT, offsetof(gan_config, prior_scale), 0, 1e6, 1, 0, NULL, 0},
    {"data_dim", FIELD_INT, offsetof(gan_config, data_dim), 1, MAX_DIM, 0, 0, NULL, 0},
    {"batch_size", FIELD_INT, offsetof(gan_config, batch_size), 1, MAX_BATCH, 0, 0, NULL, 0},
    {"d_steps", FIELD_INT, offsetof(gan_config, d_steps), 1, 100, 0, 0, NULL, 0},
    {"generator_loss", FIELD_ENUM, offsetof(gan_config, generator_loss), 0, 0, 0, 0,
     ENUM(loss_names)},
    {"update_order", FIELD_ENUM, offsetof(gan_config, update_order), 0, 0, 0, 0,
     ENUM(order_names)},
    {"examples_per_epoch", FIELD_INT, offsetof(gan_config, examples_per_epoch), 0, 2147483647.0,
     0, 0, NULL, 0},
    {"seed", FIELD_U64, offsetof(gan_config, seed), 0, 0, 0, 0, NULL, 0},
};

static const field optimizer_fields[] = {
    {"optimizer", FIELD_ENUM, offsetof(gan_optimizer_config, kind), 0, 0, 0, 0,
     ENUM(optimizer_names)},
    {"learning_rate", FIELD_FLOAT, offsetof(gan_optimizer_config, learning_rate), 0, FLT_MAX, 1,
     0, NULL, 0},
    {"learning_rate_decay", FIELD_FLOAT, offsetof(gan_optimizer_config, learning_rate_decay), 1,
     10, 0, 0, NULL, 0},
    {"learning_rate_min", FIELD_FLOAT, offsetof(gan_optimizer_config, learning_rate_min), 0,
     FLT_MAX, 0, 0, NULL, 0},
    {"momentum_start", FIELD_FLOAT, offsetof(gan_optimizer_config, momentum_start), 0, 1, 0, 1,
     NULL, 0},
    {"momentum_end", FIELD_FLOAT, offsetof(gan_optimizer_config, momentum_end), 0, 1, 0, 1,
     NULL, 0},
    {"momentum_start_epoch", FIELD_INT, offsetof(gan_optimizer_config, momentum_start_epoch), 0,
     1e9, 0, 0, NULL, 0},
    {"momentum_end_epoch", FIELD_INT, offsetof(gan_optimizer_config, momentum_end_epoch), 0,
     1e9, 0, 0, NULL, 0},
    {"beta1", FIELD_FLOAT, offsetof(gan_optimizer_config, beta1), 0, 1, 0, 1, NULL, 0},
    {"beta2", FIELD_FLOAT, offsetof(gan_optimizer_config, beta2), 0, 1, 0, 1, NULL, 0},
    {"epsilon", FIELD_FLOAT, offsetof(gan_optimizer_config, epsilon), 0, 1, 1, 0, NULL, 0},
};

static const field network_fields[] = {
    {"layer_count", FIELD_INT, offsetof(gan_network_config, layer_count), 1, GAN_MAX_LAYERS, 0,
     0, NULL, 0},
};

/* A layer's fields accept 0 ("unused": what presets leave in fields a kind
 * ignores), so every gan_config_get text sets back; gan_config_validate
 * then requires units >= 1, pieces >= 1 and keep_prob > 0 where the kind
 * uses them. */
static const field layer_fields[] = {
    {"kind", FIELD_ENUM, offsetof(gan_layer, kind), 0, 0, 0, 0, ENUM(kind_names)},
    {"units", FIELD_INT, offsetof(gan_layer, units), 0, MAX_DIM, 0, 0, NULL, 0},
    {"pieces", FIELD_INT, offsetof(gan_layer, pieces), 0, 256, 0, 0, NULL, 0},
    {"keep_prob", FIELD_FLOAT, offsetof(gan_layer, keep_prob), 0, 1, 0, 0, NULL, 0},
    {"slope", FIELD_FLOAT, offsetof(gan_layer, slope), 0, 1, 0, 0, NULL, 0},
    {"init_range", FIELD_FLOAT, offsetof(gan_layer, init_range), 0, 100, 0, 0, NULL, 0},
};

#define COUNT(table) (sizeof(table) / sizeof((table)[0]))

/* Resolves a key to its field and the address of the struct it lives in. */
static const field *resolve(gan_config *config, const char *key, void **base)
{
    for (size_t i = 0; i < COUNT(top_fields); i++) {
        if (strcmp(key, top_fields[i].key) == 0) {
            *base = config;
            return &top_fields[i];
        }
    }
    if ((key[0] != 'g' && key[0] != 'd') || key[1] != '.') return NULL;
    int generator = key[0] == 'g';
    const char *rest = key + 2;
    if (strncmp(rest, "layers.", 7) == 0) {
        const char *p = rest + 7;
        if (*p < '0' || *p > '9') return NULL;
        int index = 0;
        while (*p >= '0' && *p <= '9') {
            index = index * 10 + (*p - '0');
            if (index >= GAN_MAX_LAYERS) return NULL;
            p++;
        }
        if (p - (rest + 7) > 1 && rest[7] == '0') return NULL; /* no leading zeros */
        if (*p != '.') return NULL;
        p++;
        gan_network_config *net = generator ? &config->generator : &config->discriminator;
        for (size_t i = 0; i < COUNT(layer_fields); i++) {
            if (strcmp(p, layer_fields[i].key) == 0) {
                *base = &net->layers[index];
                return &layer_fields[i];
            }
        }
        return NULL;
    }
    for (size_t i = 0; i < COUNT(network_fields); i++) {
        if (strcmp(rest, network_fields[i].key) == 0) {
            *base = generator ? &config->generator : &config->discriminator;
            return &network_fields[i];
        }
    }
    for (size_t i = 0; i < COUNT(optimizer_fields); i++) {
        if (strcmp(rest, optimizer_fields[i].key) == 0) {
            *base = generator ? &config->generator_optimizer : &config->discriminator_optimizer;
            return &optimizer_fields[i];
        }
    }
    return NULL;
}

static int in_range(const field *f, double x)
{
    if (!(x >= f->min && x <= f->max)) return 0; /* also rejects NaN */
    if (f->min_open && x == f->min) return 0;
    if (f->max_open && x == f->max) return 0;
    return 1;
}

/* Whole-string decimal parses; no leading spaces, no trailing junk. */
static int parse_float(const char *text, float *out)
{
    if (!*text || *text == ' ' || *text == '\t' || *text == '\n') return 0;
    char *end;
    float x = strtof(text, &end);
    if (*end != '\0' || x != x || x > FLT_MAX || x < -FLT_MAX) return 0;
    *out = x;
    return 1;
}

static int parse_int(const char *text, long long *out)
{
    const char *p = text;
    int negative = 0;
    if (*p == '-') { negative = 1; p++; }
    if (*p < '0' || *p > '9') return 0;
    long long value = 0;
    for (; *p >= '0' && *p <= '9'; p++) {
        value = value * 10 + (*p - '0');
        if (value > 4000000000LL) return 0;
    }
    if (*p != '\0') return 0;
    *out = negative ? -value : value;
    return 1;
}

static int parse_u64(const char *text, uint64_t *out)
{
    const char *p = text;
    if (*p < '0' || *p > '9') return 0;
    uint64_t value = 0;
    for (; *p >= '0' && *p <= '9'; p++) {
        unsigned digit = (unsigned)(*p - '0');
        if (value > (UINT64_MAX - digit) / 10) return 0;
        value = value * 10 + digit;
    }
    if (*p != '\0') return 0;
    *out = value;
    return 1;
}

gan_status gan_config_set(gan_config *config, const char *key, const char *value)
{
    if (!config || !key || !value) return GAN_ERR_INVALID_ARGUMENT;
    void *base;
    const field *f = resolve(config, key, &base);
    if (!f) return GAN_ERR_INVALID_ARGUMENT;
    unsigned char *where = (unsigned char *)base + f->offset;
    switch (f->type) {
    case FIELD_INT: {
        long long x;
        if (!parse_int(value, &x) || !in_range(f, (double)x)) return GAN_ERR_INVALID_ARGUMENT;
        int32_t v = (int32_t)x;
        memcpy(where, &v, sizeof(v));
        return GAN_OK;
    }
    case FIELD_FLOAT: {
        float x;
        if (!parse_float(value, &x) || !in_range(f, (double)x)) return GAN_ERR_INVALID_ARGUMENT;
        memcpy(where, &x, sizeof(x));
        return GAN_OK;
    }
    case FIELD_U64: {
        uint64_t x;
        if (!parse_u64(value, &x)) return GAN_ERR_INVALID_ARGUMENT;
        memcpy(where, &x, sizeof(x));
        return GAN_OK;
    }
    case FIELD_ENUM:
        for (int i = 0; i < f->name_count; i++) {
            if (strcmp(value, f->names[i]) == 0) {
                memcpy(where, &i, sizeof(i));
                return GAN_OK;
            }
        }
        return GAN_ERR_INVALID_ARGUMENT;
    }
    return GAN_ERR_INVALID_ARGUMENT;
}

/* Text form of a field; returns snprintf's count (< 0 on error). */
static int format_field(const field *f, const void *base, char *buf, size_t capacity)
{
    const unsigned char *where = (const unsigned char *)base + f->offset;
    switch (f->type) {
    case FIELD_INT: {
        int32_t v;
        memcpy(&v, where, sizeof(v));
        return snprintf(buf, capacity, "%ld", (long)v);
    }
    case FIELD_FLOAT: {
        float v;
        memcpy(&v, where, sizeof(v));
        return snprintf(buf, capacity, "%.9g", (double)v); /* round-trips every float */
    }
    case FIELD_U64: {
        uint64_t v;
        memcpy(&v, where, sizeof(v));
        return snprintf(buf, capacity, "%llu", (unsigned long long)v);
    }
    case FIELD_ENUM: {
        int v;
        memcpy(&v, where, sizeof(v));
        if (v < 0 || v >= f->name_count) return snprintf(buf, capacity, "%d", v);
        return snprintf(buf, capacity, "%s", f->names[v]);
    }
    }
    return -1;
}

gan_status gan_config_get(const gan_config *config, const char *key, char *buf, size_t capacity)
{
    if (!config || !key || !buf) return GAN_ERR_INVALID_ARGUMENT;
    void *base;
    const field *f = resolve((gan_config *)config, key, &base);
    if (!f) return GAN_ERR_INVALID_ARGUMENT;
    char text[64];
    int n = format_field(f, base, text, sizeof(text));
    if (n < 0 || (size_t)n >= sizeof(text)) return GAN_ERR_INVALID_ARGUMENT;
    if ((size_t)n >= capacity) return GAN_ERR_BUFFER_TOO_SMALL;
    memcpy(buf, text, (size_t)n + 1);
    return GAN_OK;
}

const char *gan_config_keys(void)
{
    return "noise_dim\nprior\nprior_scale\ndata_dim\nbatch_size\nd_steps\ngenerator_loss\n"
           "update_order\nexamples_per_epoch\nseed\n"
           "g.optimizer\ng.learning_rate\ng.learning_rate_decay\ng.learning_rate_min\n"
           "g.momentum_start\ng.momentum_end\ng.momentum_start_epoch\ng.momentum_end_epoch\n"
           "g.beta1\ng.beta2\ng.epsilon\ng.layer_count\n"
           "d.optimizer\nd.learning_rate\nd.learning_rate_decay\nd.learning_rate_min\n"
           "d.momentum_start\nd.momentum_end\nd.momentum_start_epoch\nd.momentum_end_epoch\n"
           "d.beta1\nd.beta2\nd.epsilon\nd.layer_count";
}

/* ---- validation --------------------------------------------------------- */

static int fields_in_range(const field *table, size_t count, const void *base)
{
    for (size_t i = 0; i < count; i++) {
        const field *f = &table[i];
        const unsigned char *where = (const unsigned char *)base + f->offset;
        if (f->type == FIELD_INT) {
            int32_t v;
            memcpy(&v, where, sizeof(v));
            if (!in_range(f, (double)v)) return 0;
        } else if (f->type == FIELD_FLOAT) {
            float v;
            memcpy(&v, where, sizeof(v));
            if (!in_range(f, (double)v)) return 0;
        } else if (f->type == FIELD_ENUM) {
            int v;
            memcpy(&v, where, sizeof(v));
            if (v < 0 || v >= f->name_count) return 0;
        }
    }
    return 1;
}

/* Largest parameter count accepted per network: 256M floats (1 GiB). */
#define MAX_PARAMS (1ull << 28)

static int network_valid(const gan_network_config *net)
{
    if (!fields_in_range(network_fields, COUNT(network_fields), net)) return 0;
    for (int i = 0; i < net->layer_count; i++) {
        const gan_layer *layer = &net->layers[i];
        int kind = (int)layer->kind;
        if (kind < 0 || kind >= (int)COUNT(kind_names)) return 0;
        /* only the fields the kind uses must be in range, and not 0 */
        if (layer->kind == GAN_LAYER_DENSE) {
            if (layer->units < 1 || !in_range(&layer_fields[1], (double)layer->units)) return 0;
            if (!in_range(&layer_fields[5], (double)layer->init_range)) return 0;
        } else if (layer->kind == GAN_LAYER_MAXOUT) {
            if (layer->pieces < 1 || !in_range(&layer_fields[2], (double)layer->pieces)) return 0;
        } else if (layer->kind == GAN_LAYER_DROPOUT) {
            if (!(layer->keep_prob > 0.0f) || !in_range(&layer_fields[3], (double)layer->keep_prob))
                return 0;
        } else if (layer->kind == GAN_LAYER_LEAKY_RELU) {
            if (!in_range(&layer_fields[4], (double)layer->slope)) return 0;
        }
    }
    return 1;
}

gan_status gan_config_validate(const gan_config *config)
{
    if (!config) return GAN_ERR_INVALID_ARGUMENT;
    if (!fields_in_range(top_fields, COUNT(top_fields), config)) return GAN_ERR_INVALID_ARGUMENT;
    if (!fields_in_range(optimizer_fields, COUNT(optimizer_fields), &config->generator_optimizer) ||
        !fields_in_range(optimizer_fields, COUNT(optimizer_fields), &config->discriminator_optimizer))
        return GAN_ERR_INVALID_ARGUMENT;
    if (config->generator_optimizer.momentum_end_epoch < config->generator_optimizer.momentum_start_epoch ||
        config->discriminator_optimizer.momentum_end_epoch <
            config->discriminator_optimizer.momentum_start_epoch)
        return GAN_ERR_INVALID_ARGUMENT;
    if (!network_valid(&config->generator) || !network_valid(&config->discriminator))
        return GAN_ERR_INVALID_ARGUMENT;

    unsigned long long g_params, d_params;
    int g_out = network_shape(&config->generator, config->noise_dim, &g_params);
    int d_out = network_shape(&config->discriminator, config->data_dim, &d_params);
    /* G maps noise to data and has something to learn; D ends in one logit
     * from a dense layer (the sigmoid lives in the losses). */
    if (g_out != config->data_dim || g_params == 0 || g_params > MAX_PARAMS)
        return GAN_ERR_INVALID_ARGUMENT;
    const gan_network_config *d = &config->discriminator;
    if (d_out != 1 || d->layers[d->layer_count - 1].kind != GAN_LAYER_DENSE || d_params > MAX_PARAMS)
        return GAN_ERR_INVALID_ARGUMENT;
    /* every hidden width, times the batch, must fit comfortably in memory */
    for (int which = 0; which < 2; which++) {
        const gan_network_config *net = which ? &config->discriminator : &config->generator;
        long long width = which ? config->data_dim : config->noise_dim;
        long long rows = (long long)config->batch_size * (which ? 2 : 1);
        for (int i = 0; i < net->layer_count; i++) {
            if (net->layers[i].kind == GAN_LAYER_DENSE) width = net->layers[i].units;
            else if (net->layers[i].kind == GAN_LAYER_MAXOUT) width /= net->layers[i].pieces;
            if (width * rows > (long long)MAX_PARAMS) return GAN_ERR_INVALID_ARGUMENT;
        }
    }
    return GAN_OK;
}

/* ---- JSON --------------------------------------------------------------- */

typedef struct json_writer {
    char *buf;
    size_t capacity;
    size_t length;     /* bytes the whole text needs, even past capacity */
} json_writer;

static void json_raw(json_writer *w, const char *text)
{
    size_t n = strlen(text);
    if (w->length + n < w->capacity) memcpy(w->buf + w->length, text, n);
    w->length += n;
}

static void json_field(json_writer *w, const char *name, const field *f, const void *base,
                       int *first)
{
    char text[64];
    format_field(f, base, text, sizeof(text));
    json_raw(w, *first ? "\"" : ",\"");
    *first = 0;
    json_raw(w, name);
    json_raw(w, f->type == FIELD_ENUM ? "\":\"" : "\":");
    json_raw(w, text);
    if (f->type == FIELD_ENUM) json_raw(w, "\"");
}

static void json_network(json_writer *w, const gan_network_config *net)
{
    json_raw(w, "[");
    for (int i = 0; i < net->layer_count && i < GAN_MAX_LAYERS; i++) {
        const gan_layer *layer = &net->layers[i];
        int first = 1;
        json_raw(w, i ? ",{" : "{");
        json_field(w, "kind", &layer_fields[0], layer, &first);
        switch (layer->kind) {
        case GAN_LAYER_DENSE:
            json_field(w, "units", &layer_fields[1], layer, &first);
            json_field(w, "init_range", &layer_fields[5], layer, &first);
            break;
        case GAN_LAYER_MAXOUT: json_field(w, "pieces", &layer_fields[2], layer, &first); break;
        case GAN_LAYER_DROPOUT: json_field(w, "keep_prob", &layer_fields[3], layer, &first); break;
        case GAN_LAYER_LEAKY_RELU: json_field(w, "slope", &layer_fields[4], layer, &first); break;
        default: break;
        }
        json_raw(w, "}");
    }
    json_raw(w, "]");
}

static void json_optimizer(json_writer *w, const gan_optimizer_config *opt)
{
    int first = 1;
    json_raw(w, "{");
    for (size_t i = 0; i < COUNT(optimizer_fields); i++)
        json_field(w, optimizer_fields[i].key, &optimizer_fields[i], opt, &first);
    json_raw(w, "}");
}

gan_status gan_config_to_json(const gan_config *config, char *buf, size_t capacity, size_t *length)
{
    if (!config || (!buf && capacity) || !length) return GAN_ERR_INVALID_ARGUMENT;
    json_writer w = {buf, capacity, 0};
    int first = 1;
    json_raw(&w, "{");
    for (size_t i = 0; i < COUNT(top_fields); i++)
        json_field(&w, top_fields[i].key, &top_fields[i], config, &first);
    json_raw(&w, ",\"generator\":");
    json_network(&w, &config->generator);
    json_raw(&w, ",\"discriminator\":");
    json_network(&w, &config->discriminator);
    json_raw(&w, ",\"generator_optimizer\":");
    json_optimizer(&w, &config->generator_optimizer);
    json_raw(&w, ",\"discriminator_optimizer\":");
    json_optimizer(&w, &config->discriminator_optimizer);
    json_raw(&w, "}");
    *length = w.length;
    if (w.length >= capacity) return GAN_ERR_BUFFER_TOO_SMALL;
    buf[w.length] = '\0';
    return GAN_OK;
}
