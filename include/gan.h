/*
 * gan.h - the wasm-gan training core: Generative Adversarial Nets
 * (Goodfellow et al., 2014) on multilayer perceptrons and convolutional
 * networks, in portable C11.
 *
 * This is the only public header. The same code builds natively (tests, tools)
 * and to WebAssembly (the page, the embed and the Node CLI), where it runs
 * inside other people's web pages. So:
 *   - every fallible call returns a gan_status; gan_status_string() names it;
 *   - nothing here prints, exits, aborts or keeps a global "last error";
 *   - a failed call leaves every object it was given as it was.
 *
 * Usage:
 *
 *     gan_config config;
 *     gan_preset("small", &config);                 // presets are plain data
 *     gan_config_set(&config, "d_steps", "2");      // every field overridable
 *     gan *model;
 *     if (gan_create(&config, &model) != GAN_OK) ...
 *     gan_attach_data(model, images, 50000);        // u8 pixels, borrowed
 *     gan_init_generator_bias(model);               // paper's output bias
 *     gan_step_stats stats;
 *     for (int i = 0; i < 1000; i++) gan_train(model, 1, &stats);
 *     gan_generate(model, z, 64, images_out);       // fixed-z sample grid
 *     gan_free(model);
 *
 * Ownership, once for the whole header: the caller owns every pointer it
 * passes in and every buffer it passes to be filled; the library never keeps
 * a pointer it was given except the image block of gan_attach_data(), which
 * the caller keeps alive until it attaches another or frees the model.
 * Pointers the library returns (gan_status_string, gan_parameters) point into
 * memory the library owns; they stay valid until gan_free() or, for
 * parameters, until a checkpoint load that changes the architecture (which
 * gan_checkpoint_load refuses, so in practice until gan_free()).
 *
 * Layout conventions: matrices are row-major float32; a batch of n vectors of
 * dimension d is n*d contiguous floats. An example is data_dim floats in
 * [0, 1]; an image of C channels, H rows and W columns is stored channels
 * last, [H][W][C] (interleaved RGB for colour; MNIST's 784 pixels as they
 * are). Layers see their inputs with a shape C x H x W in that layout: a
 * flat vector of n values is n channels of 1 x 1, which is what dense layers
 * produce, and a `reshape` layer gives it rows and columns again.
 */
#ifndef GAN_H
#define GAN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define GAN_VERSION_MAJOR 1
#define GAN_VERSION_MINOR 1
/* Version of the checkpoint format written by gan_checkpoint_save(). */
/* 2: the configuration records its preset and real_target (version-1 files
 * still load, with the preset unknown, "", and real_target 1).
 * 3: the data's shape (data_channels, data_height, data_width) and the
 * convolutional layer kinds; version-2 and -1 files load with the shape
 * derived from data_dim (0 0 0).
 * 4: generator_average, and with it the tensor generator.average; older
 * files load with it 0 (no average).
 * 5: gcn_scale and output_bias_init; older files load with 0 (no contrast
 * normalisation) and "data" (the output bias from the data, as before).
 * 6: conditional and classes, and with them the tensors generator.class_weight
 * and discriminator.class_weight; adaptive_k, d_steps_max, d_accuracy_low,
 * d_accuracy_high, and the training state of the adaptive k (tensors
 * train.d_steps and train.d_accuracy_average). Older files load
 * unconditional, with adaptive_k 0, the current k = d_steps and the average
 * at its starting value.
 * 7: each optimizer's learning_rate_step and learning_rate_step_factor; older
 * files load with 0 (no step schedule) and 0.1.
 * 8: g_class_loss_weight and d_fake_class_loss_weight; older files load with
 * 1 and 1 (the AC-GAN's losses as before).
 * 9: each optimizer's max_col_norm; older files load with 0 (none). */
#define GAN_CHECKPOINT_VERSION 9

/* ------------------------------------------------------------------------ */
/* Status codes                                                             */
/* ------------------------------------------------------------------------ */

typedef enum gan_status {
    GAN_OK = 0,
    GAN_ERR_INVALID_ARGUMENT,     /* NULL pointer, out-of-range value, unknown key */
    GAN_ERR_OUT_OF_MEMORY,
    GAN_ERR_NO_DATA,              /* gan_train() before gan_attach_data() */
    GAN_ERR_NON_FINITE,           /* a step produced NaN/Inf; it was rolled back */
    GAN_ERR_BUFFER_TOO_SMALL,     /* an output buffer is smaller than needed */
    GAN_ERR_CHECKPOINT_TRUNCATED, /* fewer bytes than the header promises */
    GAN_ERR_CHECKPOINT_MALFORMED, /* bad header length, JSON, dtype, shape or offsets */
    GAN_ERR_CHECKPOINT_VERSION,   /* not a wasm-gan checkpoint, or a newer format */
    GAN_ERR_CHECKPOINT_MISMATCH,  /* valid checkpoint of a different architecture */
    GAN_ERR_BUSY,                 /* an iteration begun by gan_train_part is not finished */
    GAN_ERR_NO_LABELS,            /* a conditional model's data has no labels attached */
    GAN_STATUS_COUNT
} gan_status;

/* A static, human-readable description; never NULL, even for unknown codes. */
const char *gan_status_string(gan_status status);

/* The code's own name, "GAN_OK", "GAN_ERR_BUSY", ...; "GAN_STATUS_UNKNOWN"
 * for a value outside the enum. Static; never NULL. */
const char *gan_status_name(gan_status status);

/* ------------------------------------------------------------------------ */
/* Configuration: plain structs, filled by a preset, overridden by field    */
/* ------------------------------------------------------------------------ */

#define GAN_MAX_LAYERS 24

/* Layer kinds. Each layer's input shape is the previous layer's output
 * shape (C x H x W, stored [H][W][C]); the first layer's is the noise
 * (noise_dim x 1 x 1) in G and the data's shape in D. Output shapes:
 *   DENSE           units x 1 x 1 (it flattens its input)
 *   MAXOUT          C/pieces x H x W (C must divide by pieces)
 *   CONV            channels x OH x OW, OH = (H + 2 padding - kernel) / stride + 1,
 *                   rounded down (the input, padded, must hold one kernel)
 *   CONV_TRANSPOSE  channels x OH x OW, OH = (H - 1) stride + kernel - 2 padding
 *                   (the convolution with the same kernel, stride and padding
 *                   maps OH back to H: its gradient with respect to its input)
 *   MAX_POOL        C x OH x OW, OH as CONV's (ceil_mode: rounded up, as
 *                   cuda-convnet and the authors' code do, with windows
 *                   clipped at the edge); padding at most kernel / 2
 *   RESHAPE         channels x height x width, the same number of values
 *   the others      their input's shape
 * Convolution weights are [kernel][kernel][C][channels] (TensorFlow's
 * layout); a transposed convolution's are [kernel][kernel][channels][C], the
 * shape of the convolution it transposes. Biases are [channels], or
 * [OH][OW][channels] with untied_bias. Batch normalisation's weight is its
 * scale gamma [C] (initially 1) and its bias the shift beta [C]. */
typedef enum gan_layer_kind {
    GAN_LAYER_DENSE = 0,  /* y = x W + b; W uniform in +-init_range, b = 0 */
    GAN_LAYER_RELU,
    GAN_LAYER_LEAKY_RELU, /* slope for x < 0 in `slope` */
    GAN_LAYER_SIGMOID,
    GAN_LAYER_TANH,
    GAN_LAYER_MAXOUT,     /* max over groups of `pieces` adjacent channels (of a flat
                             vector: adjacent inputs, in = units*pieces) */
    GAN_LAYER_DROPOUT,    /* inverted dropout, keeps with `keep_prob`, scales 1/p */
    GAN_LAYER_CONV,       /* 2-D convolution (cross-correlation), zero padding */
    GAN_LAYER_CONV_TRANSPOSE, /* transposed 2-D convolution ("deconvolution") */
    GAN_LAYER_MAX_POOL,   /* max over kernel x kernel windows of each channel */
    GAN_LAYER_RESHAPE,    /* the same values read as channels x height x width */
    GAN_LAYER_BATCH_NORM  /* per channel: gamma (x - mean) / sqrt(var + 1e-5) + beta, over
                             the batch in training, over a fixed set of noise when sampling;
                             generator only */
} gan_layer_kind;

typedef struct gan_layer {
    gan_layer_kind kind;
    int32_t units;      /* DENSE: outputs. Other kinds: ignored (derived) */
    int32_t pieces;     /* MAXOUT: pieces per unit */
    float keep_prob;    /* DROPOUT: probability of keeping an input, (0, 1] */
    float slope;        /* LEAKY_RELU: negative slope */
    float init_range;   /* DENSE, CONV, CONV_TRANSPOSE: weights drawn uniform in
                           [-init_range, init_range] */
    int32_t channels;   /* CONV, CONV_TRANSPOSE, RESHAPE: output channels */
    int32_t height;     /* RESHAPE: output rows */
    int32_t width;      /* RESHAPE: output columns */
    int32_t kernel;     /* CONV, CONV_TRANSPOSE, MAX_POOL: square window side */
    int32_t stride;     /* CONV, CONV_TRANSPOSE, MAX_POOL */
    int32_t padding;    /* CONV, CONV_TRANSPOSE, MAX_POOL: rows and columns on each side */
    int32_t ceil_mode;  /* MAX_POOL: 1 rounds the output size up (see above) */
    int32_t untied_bias; /* CONV, CONV_TRANSPOSE: 1 gives each output position its own bias */
} gan_layer;

/* A network as a list of layers. D's list ends with a DENSE of 1 unit: its
 * output is a logit and the sigmoid lives inside the losses, so they are
 * finite for any input. G's list ends at data_dim outputs: either a flat
 * vector (read as the data's shape) or exactly the data's shape. */
typedef struct gan_network_config {
    int32_t layer_count;
    gan_layer layers[GAN_MAX_LAYERS];
} gan_network_config;

typedef enum gan_optimizer_kind { GAN_OPTIMIZER_SGD = 0, GAN_OPTIMIZER_ADAM } gan_optimizer_kind;

typedef struct gan_optimizer_config {
    gan_optimizer_kind kind;
    float learning_rate;
    float learning_rate_decay; /* lr is divided by this after every update; 1 = constant */
    float learning_rate_min;   /* floor for the decayed lr */
    /* A step schedule on top of the decay: after every learning_rate_step-th
     * update the rate is also multiplied by learning_rate_step_factor (0: never). */
    int32_t learning_rate_step;
    float learning_rate_step_factor;
    /* After every update, each weight column (the weights into one unit of a
     * dense layer, or into one output channel of a convolution or transposed
     * convolution, with the class weights of the layer that takes the label)
     * is multiplied by min(norm, max_col_norm) / (1e-7 + norm), as pylearn2's
     * max_col_norm does (0: never). */
    float max_col_norm;
    /* SGD: momentum rises linearly from momentum_start at momentum_start_epoch
     * to momentum_end at momentum_end_epoch, and stays there. */
    float momentum_start, momentum_end;
    int32_t momentum_start_epoch, momentum_end_epoch;
    /* Adam */
    float beta1, beta2, epsilon;
} gan_optimizer_config;

typedef enum gan_prior { GAN_PRIOR_UNIFORM = 0, GAN_PRIOR_GAUSSIAN } gan_prior;
typedef enum gan_generator_loss {
    GAN_LOSS_NON_SATURATING = 0, /* G minimises -log D(G(z)) (the paper's practical choice) */
    GAN_LOSS_MINIMAX,            /* G minimises log(1 - D(G(z))) (the game as written) */
    GAN_LOSS_FEATURE_MATCHING    /* G minimises the mean over features j of
                                    (mean f_j(x) - mean f_j(G(z)))^2 on a real batch and a fake
                                    one (Salimans et al., 2016), f being the output of D's last
                                    layer below its final dense one that is not dropout; D's
                                    own loss is unchanged */
} gan_generator_loss;
/* Class-conditional models (labels y in 0 .. classes - 1). G always gets y:
 * its one-hot vector concatenated to z. */
typedef enum gan_conditional {
    GAN_CONDITIONAL_NONE = 0,   /* unconditional: the paper's model */
    GAN_CONDITIONAL_CONCAT,     /* conditional GAN (Mirza and Osindero, 2014): D gets y too, its
                                   one-hot vector concatenated to x */
    GAN_CONDITIONAL_AUXILIARY   /* AC-GAN (Odena et al., 2017): D does not get y; its last dense
                                   layer gains `classes` outputs, class logits, and both losses
                                   add the cross-entropy of the class (below) */
} gan_conditional;
typedef enum gan_update_order {
    GAN_UPDATE_ALTERNATING = 0, /* Algorithm 1: k D-steps, then G on fresh noise */
    GAN_UPDATE_SIMULTANEOUS     /* the authors' released code: one forward pass, both updates */
} gan_update_order;
/* What gan_init_generator_bias sets G's output bias to. */
typedef enum gan_output_bias_init {
    GAN_OUTPUT_BIAS_DATA = 0, /* from the data's mean values (the authors' MNIST model) */
    GAN_OUTPUT_BIAS_ZERO      /* left at zero (the authors' CIFAR-10 models) */
} gan_output_bias_init;

#define GAN_PRESET_NAME_MAX 32

typedef struct gan_config {
    int32_t noise_dim;          /* z dimensions */
    gan_prior prior;
    float prior_scale;          /* UNIFORM: half-width (sqrt 3 gives unit variance); GAUSSIAN: std */
    int32_t data_dim;           /* 784 for MNIST */
    /* The data's shape: data_dim = channels x height x width, or all three 0
     * (the default, and what checkpoints before version 3 get): derived from
     * data_dim, 1 x 28 x 28 for 784 and data_dim x 1 x 1 (a flat vector)
     * otherwise. */
    int32_t data_channels, data_height, data_width;
    /* Global contrast normalisation of every example as its batch is drawn
     * (pylearn2's global_contrast_normalize, which the authors' CIFAR-10
     * models trained on): the example's mean is subtracted, then it is
     * divided by its L2 norm / gcn_scale, so its norm becomes gcn_scale
     * (an example with a norm below 1e-8 is only centred). 0: off, the
     * values as attached (u8 pixels as value/255). */
    float gcn_scale;
    gan_output_bias_init output_bias_init;
    gan_network_config generator;
    gan_network_config discriminator;
    gan_optimizer_config generator_optimizer;
    gan_optimizer_config discriminator_optimizer;
    int32_t batch_size;         /* m in Algorithm 1 */
    int32_t d_steps;            /* k in Algorithm 1; with adaptive_k, the starting k */
    /* The adaptive k (adaptive_k = 1; 0 in every preset). After every
     * completed iteration, D's accuracy acc on that iteration's last D-batch
     * (the fraction of its 2m rows classified right: a real row's logit > 0,
     * a fake row's < 0, dropout as in training) updates a moving average
     *     a <- 0.9 a + 0.1 acc,
     * which starts at (d_accuracy_low + d_accuracy_high) / 2, the middle of
     * the band, so that k moves only once iterations have pulled a out of
     * it. Then if a < d_accuracy_low, k <- min(k + 1, d_steps_max) (D is
     * losing: give it more steps); if a > d_accuracy_high, k <- max(k - 1, 1)
     * (D is winning: fewer). The new k applies from the next iteration. All
     * in double: the same bits natively, in wasm and with any thread count.
     * k and a are training state: checkpoints store them and a rolled-back
     * step restores them. Validation requires d_accuracy_low <
     * d_accuracy_high and, when adaptive, d_steps <= d_steps_max. */
    int32_t adaptive_k;         /* 0: k = d_steps throughout; 1: k adapts as above */
    int32_t d_steps_max;        /* the largest k the rule may reach, 1..100 */
    float d_accuracy_low;       /* below this average accuracy k rises, (0, 1] */
    float d_accuracy_high;      /* above it k falls, (0, 1] */
    gan_generator_loss generator_loss;
    gan_update_order update_order;
    int32_t examples_per_epoch; /* training-set size, for epoch counting; 0 = from attached data */
    uint64_t seed;              /* initialisation, noise, dropout and batch order */
    float real_target;          /* D's target for real examples: 1, or < 1 for one-sided
                                   label smoothing (Salimans et al., 2016) */
    float generator_average;    /* 0: samples come from G's current weights; in (0, 1):
                                   from an exponential moving average of them with this
                                   decay per update (Yazici et al., 2019) */
    char preset[GAN_PRESET_NAME_MAX]; /* the preset it started from ("" if none); NUL-terminated */
    /* Class-conditional training. A one-hot y concatenated to a network's
     * input is, at its first dense layer, one more row of weights per class:
     * that is how it is stored ("<network>.class_weight", [classes, units]),
     * and a convolution gets y the same way, as `classes` constant input
     * planes, one weight per class and output channel (the zero padding at
     * the border, which would thin those planes, is left out). Real rows are
     * labelled from gan_attach_labels, fake rows with classes drawn uniformly.
     * With AUXILIARY, D's loss adds 0.5 [CE(y, x) + w_D CE(y, G(z, y))] and G's
     * adds w_G CE(y, G(z, y)), each the mean cross-entropy of D's class logits
     * and the weights the two below (1 and 1: Odena et al.'s AC-GAN). */
    gan_conditional conditional;
    int32_t classes;            /* label values; used when conditional */
    float g_class_loss_weight;      /* w_G: 0 leaves G's loss the adversarial one alone */
    float d_fake_class_loss_weight; /* w_D: 0 lets D learn the classes from real images only,
                                       so G cannot make its classes easy to tell apart by
                                       drawing them unlike the data */
} gan_config;

/* Fills *config with a named preset:
 *   "paper" - the authors' MNIST setup (see paper.md), exactly;
 *   "small" - the page's default, recognisable digits within a minute in a browser;
 *   "toy"   - the 1-D mixture problem of the paper's Figure 1 (data_dim 1);
 *   "conv"  - a first convolutional MNIST model (a DCGAN-like G and D);
 *   "paper-cifar-conv" - the authors' CIFAR-10 convolutional model
 *           (cifar10_convolutional.yaml), exactly: 3 x 32 x 32 data, contrast
 *           normalised (gcn_scale 55).
 * GAN_ERR_INVALID_ARGUMENT for an unknown name; *config is then unchanged. */
gan_status gan_preset(const char *name, gan_config *config);

/* Sets one field by name from its text form, the way the CLI and the page do:
 * "batch_size" "100", "generator_loss" "minimax", "d.optimizer" "adam",
 * "g.learning_rate" "0.0002", "g.layers.0.units" "256", "prior" "gaussian".
 * Every key, with its type and range, is in gan_describe(). On error *config
 * is unchanged. */
gan_status gan_config_set(gan_config *config, const char *key, const char *value);

/* Writes one field's text form (the form gan_config_set accepts) into buf. */
gan_status gan_config_get(const gan_config *config, const char *key, char *buf, size_t capacity);

/* The core's description of itself, as one JSON object, for callers in
 * other languages that must not keep copies of what the core knows: every
 * configuration key (type, range, enum values, help text, its command-line
 * option, whether the page shows it and when it applies), the layer kinds and the fields each
 * uses, the presets, the status codes, the fields of gan_step_stats, and the
 * sizes of the structs a caller allocates. The layout is in docs/core.md.
 * *length receives the byte count needed, without a NUL;
 * GAN_ERR_BUFFER_TOO_SMALL when capacity is not more than that. */
gan_status gan_describe(char *buf, size_t capacity, size_t *length);

/* Checks shapes and ranges; the same check gan_create() runs. */
gan_status gan_config_validate(const gan_config *config);

/* gan_config_validate, with a sentence for the first problem it finds
 * written into buf (truncated to capacity - 1 bytes, always NUL-terminated
 * when capacity > 0; "" for a valid configuration). It names the key or the
 * layer and the shapes, e.g. "d.layers.1 (conv): kernel 5 is larger than its
 * input 1 x 4 x 4 padded by 0 on each side (4 x 4)". */
gan_status gan_config_explain(const gan_config *config, char *buf, size_t capacity);

/* Writes the configuration as one JSON object (the form stored in
 * checkpoints). *length receives the byte count needed, without a NUL;
 * GAN_ERR_BUFFER_TOO_SMALL when capacity is not more than that. */
gan_status gan_config_to_json(const gan_config *config, char *buf, size_t capacity, size_t *length);

/* ------------------------------------------------------------------------ */
/* The model                                                                */
/* ------------------------------------------------------------------------ */

typedef struct gan gan; /* opaque: both networks, optimizer state, PRNG, counters */

/* Allocates everything training needs, once; nothing is allocated later by
 * gan_train_step / gan_train. Initialises the weights from config->seed. */
gan_status gan_create(const gan_config *config, gan **out);
void gan_free(gan *model); /* NULL is fine */

const gan_config *gan_get_config(const gan *model);

/* Where training stands: completed iterations and fractional epochs of real
 * data consumed (the step and epoch gan_train would report). Either output
 * may be NULL. Also right after gan_create_from_checkpoint. */
gan_status gan_position(const gan *model, double *step, double *epoch);

typedef enum gan_network { GAN_GENERATOR = 0, GAN_DISCRIMINATOR = 1 } gan_network;

/* The network's whole parameter block: every dense, convolution and
 * transposed convolution layer's W then b, layer by layer (the layouts of
 * gan_layer_kind; batch normalisation's gamma then beta), in one allocation
 * the model owns. JS views it with one Float32Array, no copy. Writes through
 * it are allowed between steps. These are the weights training moves: with
 * generator_average set, samples come from their moving average, which such
 * writes do not change. */
gan_status gan_parameters(gan *model, gan_network network, float **params, size_t *count);

/* ------------------------------------------------------------------------ */
/* Training (Algorithm 1)                                                   */
/* ------------------------------------------------------------------------ */

/* What one call of gan_train_step reported. Every field is a double, so that
 * JS reads the struct as one Float64Array. Losses, probabilities and norms
 * are those of the last D-update and of the G-update of the step. */
typedef struct gan_step_stats {
    double step;                  /* completed training iterations, after this one */
    double epoch;                 /* fractional epochs of real data consumed */
    double d_loss;                /* 0.5 * [BCE(1, D(x)) + BCE(0, D(G(z)))] */
    double g_loss;                /* the selected generator loss */
    double d_real;                /* mean D(x) over the real batch */
    double d_fake;                /* mean D(G(z)) over the fake batch */
    double d_grad_norm;           /* L2 norm of D's gradient */
    double g_grad_norm;           /* L2 norm of G's gradient */
    double d_learning_rate;       /* after the decay of this step */
    double g_learning_rate;
    double momentum;              /* SGD momentum in effect (0 for Adam) */
    double non_finite;            /* 1 if this step was rolled back, else 0 */
    double non_finite_total;      /* rolled-back steps since creation */
    double d_steps;               /* the k this iteration ran (d_steps unless adaptive_k) */
    double d_accuracy;            /* D's accuracy on the iteration's last D-batch, the
                                     fraction of its 2m rows right (real logit > 0, fake < 0) */
} gan_step_stats;

/* One iteration of Algorithm 1 on real batches the caller provides:
 * `real` holds k * batch_size rows of data_dim floats, one batch per
 * D-update: k is d_steps, or with adaptive_k the current k, which the
 * rule keeps at most d_steps_max (pass d_steps_max batches; the step reads
 * the first k and reports k in stats->d_steps). Noise and dropout masks
 * come from the model's seeded PRNG.
 * If any loss, gradient or updated parameter is non-finite, the whole step
 * is undone (parameters, optimizer state, PRNG and counters), stats->non_finite
 * is 1 and GAN_ERR_NON_FINITE is returned. stats may be NULL. */
gan_status gan_train_step(gan *model, const float *real, gan_step_stats *stats);

/* gan_train_step for a conditional model: labels holds the classes of the
 * k * batch_size real rows it reads (k as above). gan_train_step returns
 * GAN_ERR_NO_LABELS for such a model; this one takes NULL labels only for an
 * unconditional one. */
gan_status gan_train_step_labels(gan *model, const float *real, const uint8_t *labels,
                                 gan_step_stats *stats);

/* Training data the model draws its own batches from: `count` images of
 * data_dim u8 pixels (value/255), or data_dim floats for the float variant.
 * Borrowed: the caller keeps the block alive. Batches are drawn without
 * replacement from a permutation reshuffled each epoch by the seeded PRNG;
 * the position in it is part of the training state (and of checkpoints). */
gan_status gan_attach_data(gan *model, const uint8_t *images, uint32_t count);
gan_status gan_attach_data_f32(gan *model, const float *images, uint32_t count);

/* The attached examples' labels, one byte each (0 .. classes - 1), borrowed
 * like the data: `count` must be the attached data's count. A conditional
 * model trains only with them (GAN_ERR_NO_LABELS otherwise); attaching data
 * again detaches them. GAN_ERR_INVALID_ARGUMENT for a label out of range of a
 * conditional model's classes (nothing attached then). */
gan_status gan_attach_labels(gan *model, const uint8_t *labels, uint32_t count);

/* Sets G's output-layer bias to the logit of the attached data's mean pixel
 * values, clipped to [1e-7, 1 - 1e-7] (the authors' initialisation); to the
 * mean itself when no sigmoid follows. The output layer is G's last dense,
 * convolution or transposed convolution; when its bias is one per channel,
 * each channel gets the mean over all its pixels. The means are of the
 * values training sees (contrast-normalised with gcn_scale). With
 * output_bias_init GAN_OUTPUT_BIAS_ZERO it changes nothing (GAN_OK). */
gan_status gan_init_generator_bias(gan *model);

/* `steps` iterations of Algorithm 1 on batches from the attached data.
 * Stops at the first rolled-back step and returns GAN_ERR_NON_FINITE;
 * *stats describes the last step run. */
gan_status gan_train(gan *model, uint32_t steps, gan_step_stats *stats);

/* Training in parts, for callers that must answer something else within a
 * few tens of milliseconds, such as a worker behind a page. An iteration of
 * gan_train is cut into parts of similar cost: two per D-update (forward;
 * backward and update) and two for the G-update. gan_train_part runs the
 * next part on the attached data, beginning an iteration if none is in
 * progress. When that part ends the iteration, *done (may be NULL) is set
 * to 1 and stats receive the iteration's figures, as from gan_train; stats
 * are not written otherwise. Parts give bit-identical results to gan_train,
 * and a part that meets a non-finite value rolls the whole iteration back
 * (*done = 1, GAN_ERR_NON_FINITE).
 *
 * While an iteration is in progress, gan_train_step, gan_generate,
 * gan_discriminate, gan_attach_data*, gan_init_generator_bias and
 * gan_checkpoint_save return GAN_ERR_BUSY and change nothing; gan_train and
 * gan_train_finish complete it (gan_train counts it as its first step), and
 * a successful gan_checkpoint_load abandons it. */
gan_status gan_train_part(gan *model, gan_step_stats *stats, int *done);

/* Runs the remaining parts of the iteration in progress; GAN_OK at once,
 * stats untouched, if there is none. */
gan_status gan_train_finish(gan *model, gan_step_stats *stats);

/* 1 while an iteration begun by gan_train_part is unfinished, else 0. */
int gan_train_in_progress(const gan *model);

/* ------------------------------------------------------------------------ */
/* Sampling                                                                 */
/* ------------------------------------------------------------------------ */

/* Draws n noise vectors from the prior with a PRNG seeded by `seed` alone;
 * the model's own training PRNG is not touched. z: n * noise_dim floats. */
gan_status gan_sample_noise(const gan *model, uint64_t seed, uint32_t n, float *z);

/* G(z) for n given noise vectors. out: n * data_dim floats. Uses scratch
 * space the model owns; does not change any training state. A conditional
 * model draws example i as class i mod classes. */
gan_status gan_generate(gan *model, const float *z, uint32_t n, float *out);

/* G(z, y) of a conditional model: classes holds n rows of `classes` weights,
 * a one-hot row for one class, or a blend of two for a path between them
 * (the concatenated input is the blend). NULL gives example i the class
 * i mod classes (as gan_generate does for a conditional model). An
 * unconditional model takes only NULL. */
gan_status gan_generate_conditional(gan *model, const float *z, const float *classes, uint32_t n,
                                    float *out);

/* D(x) as probabilities, with dropout off (inputs scaled as at inference).
 * D of a CONCAT model sees row i as of class i mod classes: see below. */
gan_status gan_discriminate(gan *model, const float *x, uint32_t n, float *probabilities);

/* D(x, y) as probabilities, classes as in gan_generate_conditional. */
gan_status gan_discriminate_conditional(gan *model, const float *x, const float *classes,
                                        uint32_t n, float *probabilities);

/* `steps` points from z0 to z1 inclusive (steps >= 2), linear or spherical
 * (slerp on the angle between them; linear when they are parallel).
 * out: steps * dim floats. */
gan_status gan_interpolate(const float *z0, const float *z1, uint32_t dim, uint32_t steps,
                           int spherical, float *out);

/* ------------------------------------------------------------------------ */
/* Parzen-window evaluation (the paper's Table 1)                           */
/* ------------------------------------------------------------------------ */

/* log p(x) for each of n_points rows under an isotropic Gaussian of width
 * sigma on each of n_samples rows, via ||x-s||^2 = ||x||^2 + ||s||^2 - 2 x.s.
 * log_density: n_points doubles. Allocates its own scratch. */
gan_status gan_parzen_log_density(const float *samples, uint32_t n_samples,
                                  const float *points, uint32_t n_points, uint32_t dim,
                                  double sigma, double *log_density);

#define GAN_PARZEN_SIGMA_COUNT 10

typedef struct gan_parzen_result {
    double sigma;                                     /* chosen on validation */
    double mean;                                      /* mean test log-likelihood, nats */
    double std_error;                                 /* std / sqrt(n_test) */
    double sigmas[GAN_PARZEN_SIGMA_COUNT];            /* the grid: 10 log-spaced in [0.1, 1] */
    double validation_mean[GAN_PARZEN_SIGMA_COUNT];   /* mean validation ll per sigma */
} gan_parzen_result;

/* The paper's protocol: choose sigma on `validation` (the paper uses the
 * first 1,000 validation images), then score `test`. */
gan_status gan_parzen_evaluate(const float *samples, uint32_t n_samples,
                               const float *validation, uint32_t n_validation,
                               const float *test, uint32_t n_test, uint32_t dim,
                               gan_parzen_result *result);

/* ------------------------------------------------------------------------ */
/* Checkpoints                                                              */
/* ------------------------------------------------------------------------ */

/* The complete training state (config, both networks, optimizer state, PRNG
 * state, data position and counters) in the safetensors layout: 8-byte
 * little-endian header length, a JSON header of dtype/shape/data_offsets
 * with "__metadata__" {"format": "wasm-gan", "version": "1", "config": ...},
 * then little-endian data. G's weights are tensors named "generator.0.weight"
 * etc., so other tools can open them.
 *
 * Save: *size receives the exact byte count; GAN_ERR_BUFFER_TOO_SMALL (and
 * nothing written) when capacity is less. gan_checkpoint_size gives it ahead. */
gan_status gan_checkpoint_size(const gan *model, size_t *size);
gan_status gan_checkpoint_save(const gan *model, uint8_t *buf, size_t capacity, size_t *size);

/* Load into an existing model of the same architecture. Every length, offset,
 * shape and dtype is checked first; on any error the model is unchanged.
 * The attached data stays attached (the data position comes from the file). */
gan_status gan_checkpoint_load(gan *model, const uint8_t *buf, size_t size);

/* Create a new model from a checkpoint, whatever its architecture. */
gan_status gan_create_from_checkpoint(const uint8_t *buf, size_t size, gan **out);

/* ------------------------------------------------------------------------ */
/* Memory, for JS callers                                                   */
/* ------------------------------------------------------------------------ */

/* malloc/free exported for JS, which has no other allocator in wasm. */
void *gan_alloc(size_t bytes);
void gan_release(void *pointer);

#ifdef __cplusplus
}
#endif

#endif /* GAN_H */
