/*
 * gan_internal.h - the model behind the opaque `gan` handle, shared by
 * gan.c (lifetime, data, sampling), train.c (Algorithm 1), optimizer.c,
 * rollback.c and checkpoint.c. Not part of the public API.
 */
#ifndef GAN_INTERNAL_H
#define GAN_INTERNAL_H

#include <stdint.h>

#include "gan.h"
#include "network.h"
#include "prng.h"

/* Per-network optimizer: the schedule's scalars and one block of state. */
typedef struct optimizer {
    double learning_rate;     /* current, after every decay so far */
    uint64_t updates;         /* updates applied (Adam's t) */
    double beta1_power;       /* beta1^updates, beta2^updates: Adam's bias correction */
    double beta2_power;       /*   kept as running products (no pow(), same bits everywhere) */
    int slots;                /* state floats per parameter: 1 (SGD velocity) or 2 (Adam m, v) */
    float *state;             /* [slots * param_count]: one allocation */
    float *velocity;          /* SGD: [param_count] in state, else NULL */
    float *m, *v;             /* Adam: [param_count] each in state, else NULL */
} optimizer;

/* train.c: the values one iteration reports. */
typedef struct step_values {
    double d_loss, g_loss, d_real, d_fake, d_grad_norm, g_grad_norm;
    double d_accuracy; /* of the last D-batch: the fraction of its 2m rows D gets right */
} step_values;

/* An iteration of Algorithm 1 that has begun and not ended: what its phases
 * pass on to each other. */
typedef struct train_progress {
    int active;               /* 1 between the iteration's first phase and its end */
    int next;                 /* the next phase to run */
    int d_steps;              /* its k, fixed as it begins (model->d_steps_now) */
    const float *real;        /* its real batches [d_steps * batch_size, data_dim] */
    const uint8_t *real_labels; /* their classes [d_steps * batch_size] (conditional), else NULL */
    double g_momentum, d_momentum;
    step_values r;
    const float *logits;      /* D's logits from the last D forward phase */
    const float *dfake;       /* dL/dG(z) from the G forward phase */
} train_progress;

/* rollback.c: what puts the model back as it was when a step began (the
 * design is explained there). */
typedef struct rollback_state {
    /* the small state, copied as the step began */
    prng rng;
    uint64_t steps, examples;
    uint64_t data_epoch;      /* the data position before the step drew its batches */
    uint32_t data_position;
    int32_t d_steps_now;      /* the adaptive k and its average */
    double d_accuracy_average;
    optimizer generator_optimizer, discriminator_optimizer; /* only the scalars matter */
    /* D's parameters and optimizer state before the step's first D-update,
     * when train_needs_backup(config); G never needs them */
    float *block;             /* the allocation, or NULL: [(1 + slots) * D's param_count]
                                 if k can exceed 1, else [slots * param_count] */
    float *d_params;          /* [param_count]: in block if k > 1, else D's grads */
    float *d_state;           /* [slots * param_count] in block */
    int d_saved;              /* this step has saved them */
} rollback_state;

struct gan {
    gan_config config;
    network generator;        /* noise_dim -> data_dim, max_batch = batch_size */
    network discriminator;    /* data_dim -> 1 logit, max_batch = 2 * batch_size */
    optimizer generator_optimizer;
    optimizer discriminator_optimizer;

    prng rng;                 /* PRNG_STREAM_TRAIN: noise and dropout */
    uint64_t steps;
    uint64_t examples;
    uint64_t non_finite_total; /* survives rollbacks */
    /* k for the next iteration: d_steps, or with adaptive_k the rule's
     * (gan.h), from the moving average of D's accuracy beside it */
    int32_t d_steps_now;
    double d_accuracy_average;
    /* Batch normalisation in G: its sampling statistics were computed for
     * G's parameters as they were at generator_version (calibrated_version
     * == generator_version), which every write of G's parameters advances. */
    uint64_t generator_version, calibrated_version;
    /* config.generator_average > 0: the moving average of G's parameters
     * [G's param_count] that sampling uses, else NULL (average.c) */
    float *average;

    /* Attached data (borrowed) and the position in it. */
    const uint8_t *data_u8;
    const float *data_f32;
    const uint8_t *labels;    /* [data_count] classes (gan_attach_labels), or NULL */
    uint32_t data_count;
    uint32_t *permutation;    /* [data_count], this epoch's order */
    uint64_t data_epoch;      /* which permutation (regenerated from seed + epoch) */
    uint32_t data_position;   /* next index into permutation */

    /* Step buffers: one allocation. */
    float *buffers;
    float *noise;             /* [batch_size, noise_dim] */
    float *d_input;           /* [2 * batch_size, data_dim]: real rows then fake rows */
    float *d_logit_grad;      /* [2 * batch_size] dL/dlogit for D's loss */
    float *g_logit_grad;      /* [batch_size] dL/dlogit for G's loss */
    float *real_batch;        /* [max_d_steps * batch_size, data_dim]: gan_train's batches;
                                 with max_d_steps = 1, d_input's real rows */
    /* Class-conditional models (else NULL): */
    float *condition;         /* [2 * batch_size, classes] one-hot rows: D's real rows then
                                 the fake rows G draws (G's condition is the second half) */
    uint8_t *batch_labels;    /* [max_d_steps * batch_size]: the classes of real_batch's rows */
    uint8_t *fake_labels;     /* [batch_size]: the classes drawn for the fake rows */
    int logit_width;          /* D's outputs per row: 1, or 1 + classes (AUXILIARY) */
    /* generator_loss FEATURE_MATCHING (else NULL): [batch_size, D's max_width]
     * each: dL/df, and (AUXILIARY) the class term's gradient of G's output */
    float *feature_grad, *feature_scratch;

    /* gan_train_part's iteration in progress. Calls that would disturb it
     * (they use the networks' activations or change what it reads) return
     * GAN_ERR_BUSY while it is active; a checkpoint load ends it. */
    train_progress progress;
    rollback_state rollback;
};

/* gan.c: records that G's parameters may have changed (batch normalisation's
 * sampling statistics are then computed again). */
static inline void generator_changed(gan *model) { model->generator_version++; }

/* average.c: the moving average of G's parameters. */
/* Allocates it if config asks for one and it is missing, starting at G's
 * parameters (at create, and before a checkpoint is committed). */
gan_status average_reserve(gan *model, const gan_config *config);
void average_free(gan *model);
/* Restarts it at G's current parameters. */
void average_reset(gan *model);
/* After G's update number `updates` (from 1). */
void average_update(gan *model, uint64_t updates);
/* Swaps G's parameters and the average (a no-op without one), so that G's
 * forward passes use the average until the next swap. */
void average_swap(gan *model);

/* train.c */

/* The forward and backward passes of one D-update on real [batch_size,
 * data_dim] (of classes labels [batch_size], NULL if unconditional): D's
 * gradient into its grads block, and r's d_ fields. shared (the simultaneous
 * order) also back-propagates G's loss from the same pass into G's grads and
 * r's g_ fields. The gradient norms of a step's last update are left to
 * rollback_update_last: d_grad_norm is set only when not shared, g_grad_norm
 * never. Draws noise and masks from model->rng; changes no parameter.
 * Exposed for the gradient tests. */
void train_discriminator_pass(gan *model, const float *real, const uint8_t *labels, int shared,
                              step_values *r);
/* The passes of a G-update on fresh noise: G's gradient and r's g_ fields
 * but g_grad_norm. */
void train_generator_pass(gan *model, step_values *r);
void sample_prior(const gan_config *config, prng *rng, float *z, size_t count);
/* The largest k a configuration can run: d_steps, or d_steps_max when k
 * adapts. It sizes the real batches and D's rollback backup. */
int train_max_d_steps(const gan_config *config);
/* The adaptive k's average before any iteration: the middle of the band. */
double adaptive_k_start(const gan_config *config);
/* The rule of gan.h after an iteration whose last D-batch had `accuracy`:
 * updates the average, then k (only with adaptive_k). */
void adaptive_k_update(const gan_config *config, double accuracy, int32_t *k, double *average);
/* Fills the permutation for model->data_epoch. */
void data_shuffle(gan *model);
/* Example `index` of the attached data as training sees it (value/255 for
 * u8 pixels, then contrast-normalised with gcn_scale): row [data_dim]. */
void example_values(const gan *model, size_t index, float *row);
/* pylearn2's global contrast normalisation of one example, in place. */
void example_contrast_normalize(float *values, size_t dim, double scale);

/* optimizer.c */
gan_status optimizer_create(optimizer *opt, const gan_optimizer_config *config, size_t param_count);
void optimizer_free(optimizer *opt);
/* SGD's momentum after `epochs` completed epochs (the linear ramp). */
/* The configuration tables (config.c), for checkpoints: every
 * layer-independent key a checkpoint of `version` stores, every layer key a
 * configuration uses, and whether two layers size memory the same way. */
int config_each_key(int version, int (*fn)(void *, const char *), void *context);
int config_each_layer_key(const gan_config *config, int (*fn)(void *, const char *), void *context);
int config_same_architecture_layers(const gan_layer *a, const gan_layer *b);
void config_initial_values(gan_config *config, int version);
/* The layer list a network is built from: the configuration's, except that
 * an AUXILIARY D's last dense layer has 1 + classes outputs (the logit, then
 * the class logits). */
void config_built_network(const gan_config *config, gan_network which, gan_network_config *out);
/* The classes a network is conditioned on (network.h): 0 for none. */
int config_network_classes(const gan_config *config, gan_network which);
/* The data's shape: data_channels x data_height x data_width, or derived from
 * data_dim when they are 0 (gan.h). */
layer_shape config_data_shape(const gan_config *config);

/* Whether rows x width elements of `bytes` each can be addressed: on wasm32
 * size_t is 32 bits, and a caller's count times a model's dimension can pass
 * it (98,304 noise vectors of 65,536 values). */
static inline int fits_in_memory(uint64_t rows, uint64_t width, uint64_t bytes)
{
    if (rows == 0 || width == 0) return 1;
    return width <= SIZE_MAX / bytes && rows <= SIZE_MAX / (width * bytes);
}

double momentum_at(const gan_optimizer_config *config, uint64_t epochs);
/* One update of net's parameters from net->grads (momentum: SGD's, ignored by
 * Adam); advances the optimizer's scalars. With save_params != NULL, the old
 * parameters [param_count] and optimizer state [slots * param_count] are
 * stored there first (save_params may be net->grads). Returns 0 if a new
 * parameter or state value is not finite (written all the same: check
 * first with optimizer_check where that must not happen). When it returns 1,
 * config->max_col_norm (if set) then limits the new weights' column norms,
 * which cannot make a value non-finite, so no check pass needs to see it. */
int optimizer_update(optimizer *opt, const gan_optimizer_config *config, network *net,
                     double momentum, float *save_params, float *save_state);
/* The L2 norm of net's gradient, in an order fixed by the parameter count. */
double gradient_norm(const network *net);
/* Whether optimizer_update would give only finite values (computing them,
 * writing nothing), and net's gradient_norm (the same bits) in *grad_norm:
 * one pass over the parameters, gradient and state instead of two. */
int optimizer_check(const optimizer *opt, const gan_optimizer_config *config, network *net,
                    double momentum, double *grad_norm);

/* rollback.c: every update of a step, and its undoing */
/* Whether a step under config writes D before it knows the step succeeds
 * (alternating order, or k > 1): then D needs its backup block. */
int train_needs_backup(const gan_config *config);
/* Allocates D's backup block if config needs it and it is missing (at create,
 * and before a checkpoint with another update order is committed). */
gan_status train_reserve_backup(gan *model, const gan_config *config);
void rollback_free(gan *model);
/* Copies the small state as a step begins, before it draws its batches. */
gan_status rollback_begin(gan *model);
/* A D-update before the step's last phase, from model->progress: written at
 * once, saving D first if this is the step's first. Returns 0 on failure. */
int rollback_update_discriminator(gan *model);
/* The step's last phase: G's update, and D's too if with_discriminator,
 * checked in full before either is written. Returns 0 (nothing written) on
 * failure. */
int rollback_update_last(gan *model, int with_discriminator);
/* Puts the model back as it was at rollback_begin. */
void rollback_restore(gan *model);

#endif /* GAN_INTERNAL_H */
