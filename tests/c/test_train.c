/*
 * test_train.c - Algorithm 1 end to end: a pinned 20-step loss trajectory,
 * determinism, the optimizers' first steps, the schedules, rollback of
 * non-finite steps (NaN data, an update that overflows), the check pass and
 * its gradient norm, and sampling.
 */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gan.h"
#include "gan_internal.h"
#include "test_util.h"

#define DATA_COUNT 300
#define DATA_DIM 16

static float data[DATA_COUNT * DATA_DIM];

/* Deterministic "images": blobs of varying position and brightness in [0, 1]. */
static void make_data(void)
{
    uint32_t state = 2463534242u;
    for (int i = 0; i < DATA_COUNT; i++) {
        state ^= state << 13; state ^= state >> 17; state ^= state << 5;
        int center = (int)(state % DATA_DIM);
        float brightness = 0.5f + 0.5f * (float)((state >> 8) & 255) / 255.0f;
        for (int j = 0; j < DATA_DIM; j++) {
            int d = j - center;
            if (d < 0) d = -d;
            data[i * DATA_DIM + j] = d <= 2 ? brightness * (1.0f - 0.3f * (float)d) : 0.0f;
        }
    }
}

/* A paper-shaped model at toy size: SGD with momentum, maxout, dropout. */
static void golden_config(gan_config *c)
{
    gan_preset("paper", c);
    const char *settings[][2] = {
        {"noise_dim", "8"}, {"data_dim", "16"}, {"batch_size", "10"}, {"seed", "2014"},
        {"examples_per_epoch", "100"},
        {"g.layers.0.units", "32"}, {"g.layers.2.units", "32"}, {"g.layers.4.units", "16"},
        {"g.layers.0.init_range", "0.3"}, {"g.layers.2.init_range", "0.3"},
        {"g.layers.4.init_range", "0.3"},
        {"d.layers.1.units", "20"}, {"d.layers.4.units", "20"},
        {"d.layers.1.init_range", "0.2"}, {"d.layers.4.init_range", "0.2"},
        {"d.layers.7.init_range", "0.2"},
        {"g.momentum_end_epoch", "3"}, {"d.momentum_end_epoch", "3"},
        /* Algorithm 1's order (the paper preset's default is the authors'
         * simultaneous one): the pinned trajectory and the rollback tests
         * below are of the alternating order */
        {"update_order", "alternating"},
    };
    for (size_t i = 0; i < sizeof(settings) / sizeof(settings[0]); i++)
        CHECK(gan_config_set(c, settings[i][0], settings[i][1]) == GAN_OK, "%s", settings[i][0]);
    CHECK(gan_config_validate(c) == GAN_OK, "golden config invalid");
}

/* The golden model in update order `order` with `k` D-steps per G-step. */
static void golden_config_ordered(gan_config *c, const char *order, const char *k)
{
    golden_config(c);
    gan_config_set(c, "update_order", order);
    gan_config_set(c, "d_steps", k);
}

static gan *make_model(const gan_config *c)
{
    gan *model = NULL;
    gan_status status = gan_create(c, &model);
    CHECK(status == GAN_OK, "create: %s", gan_status_string(status));
    if (!model) exit(1);
    CHECK(gan_attach_data_f32(model, data, DATA_COUNT) == GAN_OK, "attach");
    CHECK(gan_init_generator_bias(model) == GAN_OK, "init bias");
    return model;
}

/* Pinned on the native build; the same bits are expected from wasm (the
 * kernels and the exp/log are bit-identical across builds). */
static const double golden_d_loss[20] = {
    0.69127185486725673, 0.69560603120847497, 0.68999071944924462,
    0.69386805394715356, 0.691042816140226, 0.69254706945180577,
    0.69399829076940311, 0.6920466503371191, 0.68894553970119454,
    0.69668510306391707, 0.6941526689869647, 0.69351531839176883,
    0.69311896358597891, 0.69390489766847774, 0.69300428634805245,
    0.69056907924091138, 0.69013176922312647, 0.69118420302686279,
    0.69538600893078095, 0.68968598446339069,
};
static const double golden_g_loss[20] = {
    0.69285423080364184, 0.69613921806133339, 0.69309123350392166,
    0.69710748210250129, 0.69411791361150699, 0.69743101678269892,
    0.6978073373707705, 0.69349183177715878, 0.695370533174137,
    0.69307713881063515, 0.69448928479242045, 0.69736446671827146,
    0.69560658897155969, 0.69706688610826451, 0.69255151322694886,
    0.69505757760008136, 0.69166661981707589, 0.69122630782841399,
    0.69444794868118476, 0.69172030400582663,
};

static void test_golden(void)
{
    gan_config c;
    golden_config(&c);
    gan *model = make_model(&c);
    gan_step_stats stats;
    int print = getenv("GAN_PRINT_GOLDEN") != NULL;
    for (int i = 0; i < 20; i++) {
        gan_status status = gan_train(model, 1, &stats);
        CHECK(status == GAN_OK, "step %d: %s", i, gan_status_string(status));
        if (print) printf("%d %.17g %.17g\n", i, stats.d_loss, stats.g_loss);
        CHECK(fabs(stats.d_loss - golden_d_loss[i]) <= 1e-6 * fabs(golden_d_loss[i]),
              "step %d d_loss %.17g, pinned %.17g", i, stats.d_loss, golden_d_loss[i]);
        CHECK(fabs(stats.g_loss - golden_g_loss[i]) <= 1e-6 * fabs(golden_g_loss[i]),
              "step %d g_loss %.17g, pinned %.17g", i, stats.g_loss, golden_g_loss[i]);
    }
    CHECK(stats.step == 20 && stats.non_finite == 0 && stats.non_finite_total == 0, "counters");
    CHECK(fabs(stats.epoch - 2.0) < 1e-12, "epoch %g", stats.epoch);
    gan_free(model);
}

static void test_determinism(void)
{
    gan_config c;
    golden_config(&c);
    gan *a = make_model(&c), *b = make_model(&c);
    CHECK(same_params(a, b), "initialisation differs");
    gan_train(a, 25, NULL);
    // b also samples and discriminates in between: that must not disturb training
    float z[3 * 8], x[3 * 16], p[3];
    for (int i = 0; i < 25; i++) {
        gan_train(b, 1, NULL);
        gan_sample_noise(b, (uint64_t)i, 3, z);
        gan_generate(b, z, 3, x);
        gan_discriminate(b, x, 3, p);
    }
    CHECK(same_params(a, b), "same seed, different parameters");
    gan_config_set(&c, "seed", "2015");
    gan *d = make_model(&c);
    gan_train(d, 25, NULL);
    CHECK(!same_params(a, d), "different seeds, same parameters");
    gan_free(a);
    gan_free(b);
    gan_free(d);
}

/* gan_train draws batches itself; gan_train_step with the same rows must agree. */
static void test_train_step_matches_train(void)
{
    gan_config c;
    golden_config(&c);
    gan_config_set(&c, "examples_per_epoch", "0");
    gan *a = make_model(&c);
    gan *b = make_model(&c);
    gan_train(a, 1, NULL);
    // the first batch is the first 10 rows of epoch 0's permutation
    float batch[10 * DATA_DIM];
    for (int i = 0; i < 10; i++)
        memcpy(batch + i * DATA_DIM, data + (size_t)b->permutation[i] * DATA_DIM,
               DATA_DIM * sizeof(float));
    gan_step_stats stats;
    CHECK(gan_train_step(b, batch, &stats) == GAN_OK, "step");
    CHECK(same_params(a, b), "gan_train and gan_train_step disagree");
    CHECK(fabs(stats.epoch - 10.0 / DATA_COUNT) < 1e-12, "epoch from the attached count %g",
          stats.epoch);
    // the permutation is one
    int seen[DATA_COUNT] = {0};
    for (int i = 0; i < DATA_COUNT; i++) seen[b->permutation[i]]++;
    int ok = 1;
    for (int i = 0; i < DATA_COUNT; i++) ok &= seen[i] == 1;
    CHECK(ok, "permutation is not a permutation");
    gan_free(a);
    gan_free(b);
}

/* The first SGD and Adam updates against their formulas, from the gradient
 * the same pass computes. */
static void test_optimizer_first_step(void)
{
    for (int adam = 0; adam < 2; adam++) {
        gan_config c;
        golden_config(&c);
        if (adam) {
            gan_config_set(&c, "d.optimizer", "adam");
            gan_config_set(&c, "d.learning_rate", "0.001");
            gan_config_set(&c, "d.beta1", "0.5");
        }
        gan *model = make_model(&c);
        network *D = &model->discriminator;
        size_t n = D->param_count;
        float *before = malloc(n * sizeof(float)), *grad = malloc(n * sizeof(float));
        memcpy(before, D->params, n * sizeof(float));
        float batch[10 * DATA_DIM];
        memcpy(batch, data, sizeof(batch));
        prng rng = model->rng;
        step_values r;
        train_discriminator_pass(model, batch, NULL, 0, &r);
        memcpy(grad, D->grads, n * sizeof(float));
        model->rng = rng;
        gan_step_stats stats;
        CHECK(gan_train_step(model, batch, &stats) == GAN_OK, "step");
        CHECK(stats.d_loss == r.d_loss, "the step's D pass differs from the test's");
        int bad = 0;
        for (size_t i = 0; i < n && bad < 5; i++) {
            float expected;
            if (adam) {
                // m_hat = g, v_hat = g^2: the step is lr * g / (|g| + eps)
                double g = grad[i];
                expected = (float)(before[i] - 0.001 * g / (fabs(g) + 1e-8));
                if (fabs((double)D->params[i] - expected) > 1e-6 * 0.001 + 1e-7 * fabs(expected)) {
                    bad++;
                    CHECK(0, "adam param %zu: %.9g expected %.9g", i, (double)D->params[i],
                          (double)expected);
                }
            } else {
                // velocity = 0.5 * 0 - lr g; p += velocity  (momentum at epoch 0 is 0.5)
                float velocity = 0.5f * 0.0f - 0.1f * grad[i];
                expected = before[i] + velocity;
                if (D->params[i] != expected) {
                    bad++;
                    CHECK(0, "sgd param %zu: %.9g expected %.9g", i, (double)D->params[i],
                          (double)expected);
                }
            }
        }
        CHECK(stats.momentum == (adam ? 0.5 : 0.5), "momentum reported %g", stats.momentum);
        free(before);
        free(grad);
        gan_free(model);
    }
}

static void test_schedules(void)
{
    gan_config c;
    golden_config(&c);
    // epochs of 20 examples (2 steps); momentum 0.5 -> 0.7 between epochs 1 and 3
    gan_config_set(&c, "examples_per_epoch", "20");
    gan_config_set(&c, "d.learning_rate_decay", "2");
    gan_config_set(&c, "d.learning_rate_min", "0.01");
    gan *model = make_model(&c);
    gan_step_stats stats;
    const double momentum[] = {0.5, 0.5, 0.6, 0.7, 0.7, 0.7, 0.7, 0.7}; // by completed epochs
    for (int i = 0; i < 8; i++) {
        gan_train(model, 1, &stats);
        int epochs = (int)((i + 1) * 10 / 20);
        CHECK(fabs(stats.momentum - momentum[epochs > 7 ? 7 : epochs]) < 1e-6,
              "step %d: momentum %g", i, stats.momentum);
        double lr = 0.1f / pow(2.0, i + 1);
        if (lr < 0.01f) lr = 0.01f;
        CHECK(fabs(stats.d_learning_rate - lr) < 1e-9, "step %d: d lr %g, expected %g", i,
              stats.d_learning_rate, lr);
        double g_lr = 0.1f / pow(1.000004f, i + 1);
        CHECK(fabs(stats.g_learning_rate - g_lr) < 1e-9, "step %d: g lr %.12g vs %.12g", i,
              stats.g_learning_rate, g_lr);
    }
    gan_free(model);

    // the step schedule: after every 3rd update, also times 0.25, still above the floor
    golden_config(&c);
    gan_config_set(&c, "g.learning_rate_decay", "1");
    gan_config_set(&c, "g.learning_rate_step", "3");
    gan_config_set(&c, "g.learning_rate_step_factor", "0.25");
    gan_config_set(&c, "g.learning_rate_min", "0.002");
    model = make_model(&c);
    const double g_rates[] = {0.1, 0.1, 0.025, 0.025, 0.025, 0.00625, 0.00625, 0.00625, 0.002};
    for (int i = 0; i < 9; i++) {
        gan_train(model, 1, &stats);
        CHECK(fabs(stats.g_learning_rate - g_rates[i]) < 1e-8,
              "step %d: stepped g lr %.12g, expected %g", i, stats.g_learning_rate, g_rates[i]);
        CHECK(fabs(stats.d_learning_rate - 0.1f / pow(1.000004f, i + 1)) < 1e-9,
              "step %d: D keeps its own schedule (%.12g)", i, stats.d_learning_rate);
    }
    gan_free(model);
}

static void copy_params(gan *model, float **g, float **d)
{
    float *p;
    size_t n;
    gan_parameters(model, GAN_GENERATOR, &p, &n);
    *g = malloc(n * sizeof(float));
    memcpy(*g, p, n * sizeof(float));
    gan_parameters(model, GAN_DISCRIMINATOR, &p, &n);
    *d = malloc(n * sizeof(float));
    memcpy(*d, p, n * sizeof(float));
}

static int params_equal(gan *model, const float *g, const float *d)
{
    float *p;
    size_t n;
    gan_parameters(model, GAN_GENERATOR, &p, &n);
    int same = memcmp(p, g, n * sizeof(float)) == 0;
    gan_parameters(model, GAN_DISCRIMINATOR, &p, &n);
    return same && memcmp(p, d, n * sizeof(float)) == 0;
}

/* A step schedule changes nothing before its first step: the same bits as
 * the run without it, then a lower rate. */
static void test_step_schedule_bits(void)
{
    gan_config plain, stepped;
    golden_config(&plain);
    golden_config(&stepped);
    gan_config_set(&stepped, "g.learning_rate_step", "4");
    gan_config_set(&stepped, "d.learning_rate_step", "4");
    gan *a = make_model(&plain), *b = make_model(&stepped);
    gan_train(a, 4, NULL);
    gan_train(b, 4, NULL);
    float *g, *d;
    copy_params(a, &g, &d);
    CHECK(params_equal(b, g, d), "the same parameters up to the step");
    gan_step_stats sa, sb;
    gan_train(a, 1, &sa);
    gan_train(b, 1, &sb);
    CHECK(fabs(sb.g_learning_rate - sa.g_learning_rate * 0.1) < 1e-9,
          "a tenth of the rate after it: %.12g against %.12g", sb.g_learning_rate,
          sa.g_learning_rate);
    free(g);
    free(d);
    copy_params(a, &g, &d);
    CHECK(!params_equal(b, g, d), "and other parameters after it");
    free(g);
    free(d);
    gan_free(a);
    gan_free(b);
}

static void test_rollback(void)
{
    gan_config c;
    golden_config(&c);
    gan *model = make_model(&c), *reference = make_model(&c);
    gan_train(model, 3, NULL);
    gan_train(reference, 3, NULL);

    // 1. NaN in the data: rolled back before any update
    float batch[10 * DATA_DIM];
    memcpy(batch, data, sizeof(batch));
    batch[37] = NAN;
    float *g, *d;
    copy_params(model, &g, &d);
    gan_step_stats stats;
    for (int attempt = 0; attempt < 2; attempt++) {
        gan_status status = gan_train_step(model, batch, &stats);
        CHECK(status == GAN_ERR_NON_FINITE, "NaN data: %s", gan_status_string(status));
        CHECK(stats.non_finite == 1 && stats.non_finite_total == attempt + 1, "stats %g %g",
              stats.non_finite, stats.non_finite_total);
        CHECK(stats.step == 3, "step count %g", stats.step);
        CHECK(params_equal(model, g, d), "NaN data changed the parameters");
    }
    // the failed steps left no trace: the next good step equals the reference's
    batch[37] = data[37];
    gan_train_step(model, batch, &stats);
    gan_train_step(reference, batch, NULL);
    CHECK(stats.non_finite == 0 && stats.non_finite_total == 2, "after recovery");
    CHECK(same_params(model, reference), "rollback was incomplete");
    free(g);
    free(d);

    // 2. an update that overflows G after D was already updated: both undone.
    // G's output bias sits behind a saturated sigmoid (gradient 0), so the
    // forward pass stays finite; its velocity then carries it past FLT_MAX.
    network *G = &model->generator;
    network_layer *out = &G->layers[4];
    size_t index = (size_t)(out->bias - G->params);
    out->bias[0] = FLT_MAX;
    model->generator_optimizer.velocity[index] = FLT_MAX;
    reference->generator.layers[4].bias[0] = FLT_MAX;
    reference->generator_optimizer.velocity[index] = FLT_MAX;
    copy_params(model, &g, &d);
    float *velocity = malloc(G->param_count * sizeof(float));
    memcpy(velocity, model->generator_optimizer.velocity, G->param_count * sizeof(float));
    network *D = &model->discriminator;
    float *d_velocity = malloc(D->param_count * sizeof(float));
    memcpy(d_velocity, model->discriminator_optimizer.velocity, D->param_count * sizeof(float));
    // only D has a backup block: G's update is checked before it writes
    CHECK(model->rollback.block != NULL, "alternating D has no backup");
    gan_status status = gan_train(model, 1, &stats);
    CHECK(status == GAN_ERR_NON_FINITE, "overflowing update: %s", gan_status_string(status));
    CHECK(params_equal(model, g, d), "overflowing update changed the parameters");
    CHECK(memcmp(velocity, model->generator_optimizer.velocity, G->param_count * sizeof(float)) == 0,
          "overflowing update changed the optimizer state");
    CHECK(memcmp(d_velocity, model->discriminator_optimizer.velocity,
                 D->param_count * sizeof(float)) == 0,
          "overflowing G update left D's optimizer state updated");
    CHECK(stats.step == 4 && model->generator_optimizer.updates == 4 &&
              model->discriminator_optimizer.updates == 4, "counters after the rollback");
    free(d_velocity);
    CHECK(stats.non_finite_total == 3, "total %g", stats.non_finite_total);
    // and the data position was restored too: fix the bias and both continue alike
    out->bias[0] = 0.0f;
    model->generator_optimizer.velocity[index] = 0.0f;
    reference->generator.layers[4].bias[0] = 0.0f;
    reference->generator_optimizer.velocity[index] = 0.0f;
    CHECK(gan_train(model, 2, NULL) == GAN_OK && gan_train(reference, 2, NULL) == GAN_OK, "train");
    CHECK(same_params(model, reference), "after an overflow rollback");
    free(g);
    free(d);
    free(velocity);

    // 3. a learning rate so large that training blows up: every failure rolled back
    gan_config_set(&c, "g.learning_rate", "1e30");
    gan_config_set(&c, "d.learning_rate", "1e30");
    gan *wild = make_model(&c);
    int failures = 0;
    for (int i = 0; i < 20; i++) {
        copy_params(wild, &g, &d);
        status = gan_train(wild, 1, &stats);
        if (status == GAN_ERR_NON_FINITE) {
            failures++;
            CHECK(params_equal(wild, g, d), "rolled-back step %d changed the parameters", i);
        }
        float *p;
        size_t n;
        gan_parameters(wild, GAN_DISCRIMINATOR, &p, &n);
        int finite = 1;
        for (size_t j = 0; j < n; j++) finite &= isfinite(p[j]) != 0;
        CHECK(finite, "non-finite parameter after step %d", i);
        free(g);
        free(d);
    }
    CHECK(failures > 0, "a learning rate of 1e30 never failed");
    gan_free(wild);
    gan_free(model);
    gan_free(reference);
}

/* Copies of everything a step writes in the big blocks: both networks'
 * parameters and optimizer state. */
typedef struct snapshot {
    float *g, *d, *g_state, *d_state;
    size_t g_n, d_n;
} snapshot;

static snapshot take_snapshot(gan *model)
{
    snapshot s;
    s.g_n = model->generator.param_count * (size_t)(1 + model->generator_optimizer.slots);
    s.d_n = model->discriminator.param_count * (size_t)(1 + model->discriminator_optimizer.slots);
    copy_params(model, &s.g, &s.d);
    size_t gs = s.g_n - model->generator.param_count, ds = s.d_n - model->discriminator.param_count;
    s.g_state = malloc(gs * sizeof(float));
    s.d_state = malloc(ds * sizeof(float));
    memcpy(s.g_state, model->generator_optimizer.state, gs * sizeof(float));
    memcpy(s.d_state, model->discriminator_optimizer.state, ds * sizeof(float));
    return s;
}

static int snapshot_equal(gan *model, const snapshot *s)
{
    size_t gs = s->g_n - model->generator.param_count, ds = s->d_n - model->discriminator.param_count;
    return params_equal(model, s->g, s->d) &&
           memcmp(s->g_state, model->generator_optimizer.state, gs * sizeof(float)) == 0 &&
           memcmp(s->d_state, model->discriminator_optimizer.state, ds * sizeof(float)) == 0;
}

static void free_snapshot(snapshot *s)
{
    free(s->g);
    free(s->d);
    free(s->g_state);
    free(s->d_state);
}

/* Only D keeps a rollback backup, and only when it is written before the
 * step's last update: alternating order, or k > 1. */
static void test_backup_blocks(void)
{
    const struct { const char *order, *k; int d_backup; } cases[] = {
        {"alternating", "1", 1}, {"alternating", "2", 1},
        {"simultaneous", "1", 0}, {"simultaneous", "2", 1},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        gan_config c;
        golden_config_ordered(&c, cases[i].order, cases[i].k);
        gan *model = make_model(&c);
        CHECK((model->rollback.block != NULL) == cases[i].d_backup, "%s k=%s: D backup %p",
              cases[i].order, cases[i].k, (void *)model->rollback.block);
        gan_free(model);
    }

    // a simultaneous k = 1 model (no backup) that loads an alternating
    // checkpoint gets one, and then trains exactly like the saved model
    gan_config c;
    golden_config(&c);
    gan *alternating = make_model(&c);
    gan_train(alternating, 2, NULL);
    size_t size = 0;
    uint8_t *buf = checkpoint_bytes(alternating, &size);
    gan_config_set(&c, "update_order", "simultaneous");
    gan *simultaneous = make_model(&c);
    CHECK(simultaneous->rollback.block == NULL, "simultaneous D backup");
    CHECK(gan_checkpoint_load(simultaneous, buf, size) == GAN_OK, "load");
    CHECK(simultaneous->rollback.block != NULL, "no D backup after the load");
    CHECK(gan_train(simultaneous, 3, NULL) == GAN_OK && gan_train(alternating, 3, NULL) == GAN_OK,
          "train after the load");
    CHECK(same_params(simultaneous, alternating), "loaded model trains differently");
    free(buf);
    gan_free(alternating);
    gan_free(simultaneous);
}

/* Simultaneous order, k = 1: both updates are checked before either writes,
 * with no backup at all. An overflow in G's update, or in D's, leaves both
 * networks and both optimizers exactly as they were; then training goes on
 * exactly like a model that never failed. Then a wild learning rate, with
 * SGD and with Adam, k = 1 and 2, in both orders. */
static void test_simultaneous_rollback(void)
{
    for (int which = 0; which < 2; which++) { /* 0: G overflows, 1: D overflows */
        gan_config c;
        golden_config(&c);
        gan_config_set(&c, "update_order", "simultaneous");
        gan *model = make_model(&c), *reference = make_model(&c);
        CHECK(model->rollback.block == NULL, "simultaneous k=1 has a backup");
        gan_train(model, 3, NULL);
        gan_train(reference, 3, NULL);
        // a bias behind a saturated sigmoid (G), or D's output bias (a huge
        // logit still gives a finite loss): finite passes, overflowing update
        size_t index;
        float *bias, *ref_bias, *velocity, *ref_velocity;
        if (which == 0) {
            network_layer *out = &model->generator.layers[4];
            index = (size_t)(out->bias - model->generator.params);
            bias = out->bias;
            ref_bias = reference->generator.layers[4].bias;
            velocity = model->generator_optimizer.velocity + index;
            ref_velocity = reference->generator_optimizer.velocity + index;
        } else {
            network *D = &model->discriminator;
            int last = D->layer_count - 1;
            index = (size_t)(D->layers[last].bias - D->params);
            bias = D->layers[last].bias;
            ref_bias = reference->discriminator.layers[last].bias;
            velocity = model->discriminator_optimizer.velocity + index;
            ref_velocity = reference->discriminator_optimizer.velocity + index;
            CHECK(D->layers[last].kind == GAN_LAYER_DENSE, "D's last layer is not dense");
        }
        *bias = *ref_bias = FLT_MAX;
        *velocity = *ref_velocity = FLT_MAX;
        snapshot s = take_snapshot(model);
        gan_step_stats stats;
        gan_status status = gan_train(model, 1, &stats);
        CHECK(status == GAN_ERR_NON_FINITE, "%s overflow: %s", which ? "D" : "G",
              gan_status_string(status));
        CHECK(snapshot_equal(model, &s), "%s overflow: a network or optimizer changed",
              which ? "D" : "G");
        CHECK(stats.step == 3 && model->generator_optimizer.updates == 3 &&
                  model->discriminator_optimizer.updates == 3 &&
                  stats.d_learning_rate == reference->discriminator_optimizer.learning_rate &&
                  stats.g_learning_rate == reference->generator_optimizer.learning_rate,
              "%s overflow: counters or learning rates changed", which ? "D" : "G");
        free_snapshot(&s);
        // undo the sabotage in both: they continue alike (PRNG, data position restored)
        *velocity = *ref_velocity = 0.0f;
        *bias = *ref_bias = 0.0f;
        CHECK(gan_train(model, 2, NULL) == GAN_OK && gan_train(reference, 2, NULL) == GAN_OK,
              "train after the rollback");
        CHECK(same_params(model, reference), "%s overflow: rollback incomplete",
              which ? "D" : "G");
        gan_free(model);
        gan_free(reference);
    }

    // (both orders: alternating k = 1 keeps D's old parameters in D's grads)
    for (int order = 0; order < 4; order++) {
        int adam = order & 1, k = 1 + (order >> 1);
        for (int alternating = 0; alternating < 2; alternating++) {
            gan_config c;
            golden_config_ordered(&c, alternating ? "alternating" : "simultaneous",
                                  k == 1 ? "1" : "2");
            if (adam) {
                gan_config_set(&c, "g.optimizer", "adam");
                gan_config_set(&c, "d.optimizer", "adam");
                gan_config_set(&c, "g.learning_rate", "3e38");
                gan_config_set(&c, "d.learning_rate", "3e38");
            } else {
                gan_config_set(&c, "g.learning_rate", "1e30");
                gan_config_set(&c, "d.learning_rate", "1e30");
            }
            gan *wild = make_model(&c);
            int failures = 0;
            for (int i = 0; i < 12; i++) {
                snapshot s = take_snapshot(wild);
                uint64_t g_updates = wild->generator_optimizer.updates;
                uint64_t d_updates = wild->discriminator_optimizer.updates;
                double g_b1 = wild->generator_optimizer.beta1_power;
                double d_b2 = wild->discriminator_optimizer.beta2_power;
                gan_step_stats stats;
                gan_status status = gan_train(wild, 1, &stats);
                if (status == GAN_ERR_NON_FINITE) {
                    failures++;
                    CHECK(snapshot_equal(wild, &s), "%s %s k=%d: rolled-back step %d changed state",
                          alternating ? "alternating" : "simultaneous", adam ? "adam" : "sgd", k, i);
                    CHECK(wild->generator_optimizer.updates == g_updates &&
                              wild->discriminator_optimizer.updates == d_updates &&
                              wild->generator_optimizer.beta1_power == g_b1 &&
                              wild->discriminator_optimizer.beta2_power == d_b2,
                          "%s k=%d: scalars not restored", adam ? "adam" : "sgd", k);
                }
                float *p;
                size_t n;
                int finite = 1;
                for (int net = 0; net < 2; net++) {
                    gan_parameters(wild, (gan_network)net, &p, &n);
                    for (size_t j = 0; j < n; j++) finite &= isfinite(p[j]) != 0;
                }
                CHECK(finite, "%s k=%d: non-finite parameter after step %d", adam ? "adam" : "sgd",
                      k, i);
                free_snapshot(&s);
            }
            CHECK(failures > 0, "%s k=%d: a wild learning rate never failed", adam ? "adam" : "sgd",
                  k);
            gan_free(wild);
        }
    }
}

/* Everything a rollback must put back besides the big blocks. */
typedef struct small_state {
    prng rng;
    uint64_t steps, examples, data_epoch;
    uint32_t data_position;
    double learning_rate[2], beta1_power[2], beta2_power[2];
    uint64_t updates[2];
} small_state;

static small_state take_small_state(const gan *model)
{
    small_state s;
    memset(&s, 0, sizeof(s));
    s.rng = model->rng;
    s.steps = model->steps;
    s.examples = model->examples;
    s.data_epoch = model->data_epoch;
    s.data_position = model->data_position;
    for (int which = 0; which < 2; which++) {
        const optimizer *o = which ? &model->discriminator_optimizer : &model->generator_optimizer;
        s.learning_rate[which] = o->learning_rate;
        s.beta1_power[which] = o->beta1_power;
        s.beta2_power[which] = o->beta2_power;
        s.updates[which] = o->updates;
    }
    return s;
}

/* k = 2: the step fails in its second D-update, after the first was written
 * (saving D). In the alternating order that update writes too (D is restored
 * from the backup); in the simultaneous order it is the step's last phase
 * (checked before anything of it is written). Either way parameters,
 * optimizer state, PRNG, counters, learning rates and data position are as
 * before the step, which crosses an epoch boundary (so the permutation must
 * be regenerated), and training then goes on like a model that never failed.
 * Failures: NaN in the second real batch (SGD and Adam), and an SGD update
 * that overflows D's output bias. */
static void test_rollback_second_d_step(void)
{
    for (int order = 0; order < 2; order++) {
        for (int kind = 0; kind < 3; kind++) { /* NaN data SGD, NaN data Adam, overflow SGD */
            const char *name = order ? "simultaneous" : "alternating";
            const char *what = kind == 0 ? "sgd nan" : kind == 1 ? "adam nan" : "sgd overflow";
            gan_config c;
            golden_config_ordered(&c, name, "2");
            gan_config_set(&c, "examples_per_epoch", "0");
            if (kind == 1) {
                gan_config_set(&c, "g.optimizer", "adam");
                gan_config_set(&c, "d.optimizer", "adam");
                gan_config_set(&c, "g.learning_rate", "0.001");
                gan_config_set(&c, "d.learning_rate", "0.001");
            }
            gan *model = make_model(&c), *reference = make_model(&c);
            // 15 steps of 20 rows: the next step begins a new epoch
            CHECK(gan_train(model, 15, NULL) == GAN_OK && gan_train(reference, 15, NULL) == GAN_OK,
                  "%s %s: train", name, what);
            CHECK(model->data_position == DATA_COUNT, "%s %s: position %u", name, what,
                  model->data_position);
            snapshot before = take_snapshot(model);
            small_state small = take_small_state(model);
            // the first D-update (two parts), then sabotage the second
            int done = -1;
            for (int part = 0; part < 2; part++)
                CHECK(gan_train_part(model, NULL, &done) == GAN_OK && done == 0, "%s %s: part %d",
                      name, what, part);
            CHECK(model->discriminator_optimizer.updates == small.updates[1] + 1 &&
                      model->data_epoch == small.data_epoch + 1,
                  "%s %s: the first D-update did not happen", name, what);
            size_t index = 0;
            network *D = &model->discriminator;
            network_layer *out = &D->layers[D->layer_count - 1];
            if (kind < 2) {
                model->real_batch[(size_t)(10 + 4) * DATA_DIM + 3] = NAN;
            } else {
                index = (size_t)(out->bias - D->params);
                out->bias[0] = FLT_MAX;
                model->discriminator_optimizer.velocity[index] = FLT_MAX;
            }
            gan_step_stats stats;
            gan_status status = gan_train_finish(model, &stats);
            CHECK(status == GAN_ERR_NON_FINITE, "%s %s: %s", name, what, gan_status_string(status));
            CHECK(!gan_train_in_progress(model) && stats.non_finite == 1 &&
                      stats.non_finite_total == 1 && stats.step == 15,
                  "%s %s: stats", name, what);
            CHECK(snapshot_equal(model, &before), "%s %s: parameters or optimizer state changed",
                  name, what);
            small_state after = take_small_state(model);
            CHECK(memcmp(&small, &after, sizeof(small)) == 0,
                  "%s %s: PRNG, counters, rates or data position not restored", name, what);
            // the permutation is the old epoch's again: both draw the same batches
            CHECK(memcmp(model->permutation, reference->permutation,
                         DATA_COUNT * sizeof(uint32_t)) == 0,
                  "%s %s: permutation not restored", name, what);
            CHECK(gan_train(model, 3, NULL) == GAN_OK && gan_train(reference, 3, NULL) == GAN_OK,
                  "%s %s: train after the rollback", name, what);
            snapshot expected = take_snapshot(reference);
            CHECK(snapshot_equal(model, &expected), "%s %s: trains differently after the rollback",
                  name, what);
            free_snapshot(&expected);
            free_snapshot(&before);
            gan_free(model);
            gan_free(reference);
        }
    }
}

/* k = 2 D-updates per iteration, in both orders and with both G losses:
 * two batches consumed per step, deterministic, rollback intact. */
static void test_orders(void)
{
    const char *orders[] = {"alternating", "simultaneous"};
    const char *losses[] = {"non-saturating", "minimax"};
    for (int o = 0; o < 2; o++) {
        for (int l = 0; l < 2; l++) {
            gan_config c;
            golden_config_ordered(&c, orders[o], "2");
            gan_config_set(&c, "generator_loss", losses[l]);
            gan_config_set(&c, "examples_per_epoch", "0");
            gan *a = make_model(&c), *b = make_model(&c);
            gan_step_stats stats;
            CHECK(gan_train(a, 6, &stats) == GAN_OK, "%s/%s", orders[o], losses[l]);
            CHECK(fabs(stats.epoch - 6.0 * 2 * 10 / DATA_COUNT) < 1e-12, "%s: epoch %g", orders[o],
                  stats.epoch);
            CHECK(isfinite(stats.d_loss) && isfinite(stats.g_loss) && stats.d_grad_norm > 0 &&
                      stats.g_grad_norm > 0, "%s/%s: stats", orders[o], losses[l]);
            if (l == 1) CHECK(stats.g_loss < 0, "minimax loss log(1 - D) must be negative");
            // D's learning rate decayed twice per step
            CHECK(fabs(stats.d_learning_rate - 0.1f / pow(1.000004f, 12)) < 1e-12 &&
                      fabs(stats.g_learning_rate - 0.1f / pow(1.000004f, 6)) < 1e-12,
                  "%s: learning rates %.12g %.12g", orders[o], stats.d_learning_rate,
                  stats.g_learning_rate);
            gan_train(b, 6, NULL);
            CHECK(same_params(a, b), "%s/%s: not deterministic", orders[o], losses[l]);
            // NaN in the second of the two batches: the first D-update is undone too
            float batch[20 * DATA_DIM];
            memcpy(batch, data, sizeof(batch));
            batch[15 * DATA_DIM] = NAN;
            float *g, *d;
            copy_params(a, &g, &d);
            CHECK(gan_train_step(a, batch, &stats) == GAN_ERR_NON_FINITE, "%s: NaN", orders[o]);
            CHECK(params_equal(a, g, d), "%s: the first D-update was not undone", orders[o]);
            batch[15 * DATA_DIM] = 0.0f;
            gan_train_step(a, batch, NULL);
            gan_train_step(b, batch, NULL);
            CHECK(same_params(a, b), "%s: rollback incomplete", orders[o]);
            free(g);
            free(d);
            gan_free(a);
            gan_free(b);
        }
    }
}

/* The phases of gan_train_part give gan_train's bits, in both orders and for
 * k = 1 and 2, with the expected number of parts per iteration and the same
 * stats; the in-progress guards; finishing; a load abandons an unfinished
 * iteration and a failed one does not; a NaN met mid-iteration rolls the
 * whole iteration back, data position included, as gan_train does. */
static void test_parts(void)
{
    const struct { const char *order, *k; int parts; } cases[] = {
        {"alternating", "1", 4}, {"alternating", "2", 6},
        {"simultaneous", "1", 2}, {"simultaneous", "2", 4},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        gan_config c;
        golden_config_ordered(&c, cases[i].order, cases[i].k);
        gan *a = make_model(&c), *b = make_model(&c);
        gan_step_stats sa, sb;
        CHECK(gan_train(a, 7, &sa) == GAN_OK, "%s k=%s: train", cases[i].order, cases[i].k);
        int parts = 0, iterations = 0;
        while (iterations < 7) {
            int done = -1;
            memset(&sb, 0, sizeof(sb));
            gan_status status = gan_train_part(b, &sb, &done);
            CHECK(status == GAN_OK, "%s k=%s: part %d: %s", cases[i].order, cases[i].k, parts,
                  gan_status_string(status));
            parts++;
            if (done == 1) {
                iterations++;
                CHECK(parts == iterations * cases[i].parts, "%s k=%s: %d parts for %d iterations",
                      cases[i].order, cases[i].k, parts, iterations);
                CHECK(sb.step == iterations && !gan_train_in_progress(b), "%s: step %g",
                      cases[i].order, sb.step);
            } else {
                CHECK(done == 0 && gan_train_in_progress(b) && sb.step == 0,
                      "%s k=%s: mid-iteration", cases[i].order, cases[i].k);
            }
            if (parts > 100) break;
        }
        CHECK(same_params(a, b), "%s k=%s: parts and gan_train disagree", cases[i].order,
              cases[i].k);
        CHECK(memcmp(&sa, &sb, sizeof(sa)) == 0, "%s k=%s: stats differ (%.17g %.17g)",
              cases[i].order, cases[i].k, sa.d_loss, sb.d_loss);
        size_t na = 0, nb = 0;
        gan_checkpoint_size(a, &na);
        gan_checkpoint_size(b, &nb);
        uint8_t *ca = malloc(na), *cb = malloc(nb);
        CHECK(na == nb && gan_checkpoint_save(a, ca, na, &na) == GAN_OK &&
                  gan_checkpoint_save(b, cb, nb, &nb) == GAN_OK && memcmp(ca, cb, na) == 0,
              "%s k=%s: checkpoints differ", cases[i].order, cases[i].k);
        free(ca);
        free(cb);
        gan_free(a);
        gan_free(b);
    }

    // the guards, finishing, gan_train after a part, loads
    gan_config c;
    golden_config(&c);
    gan *model = make_model(&c), *ref = make_model(&c);
    CHECK(gan_train_finish(model, NULL) == GAN_OK, "finish with nothing in progress");
    int done = -1;
    CHECK(gan_train_part(model, NULL, &done) == GAN_OK && done == 0, "first part");
    float *g, *d;
    copy_params(model, &g, &d);
    float z[3 * 8], x[3 * 16], probs[3], batch[10 * DATA_DIM];
    memcpy(batch, data, sizeof(batch));
    gan_sample_noise(model, 1, 3, z);
    size_t size = 0;
    uint8_t byte;
    CHECK(gan_generate(model, z, 3, x) == GAN_ERR_BUSY, "generate while busy");
    CHECK(gan_discriminate(model, data, 3, probs) == GAN_ERR_BUSY, "discriminate while busy");
    CHECK(gan_train_step(model, batch, NULL) == GAN_ERR_BUSY, "train_step while busy");
    CHECK(gan_checkpoint_save(model, &byte, 1, &size) == GAN_ERR_BUSY, "save while busy");
    CHECK(gan_attach_data_f32(model, data, DATA_COUNT) == GAN_ERR_BUSY, "attach while busy");
    CHECK(gan_init_generator_bias(model) == GAN_ERR_BUSY, "bias while busy");
    CHECK(gan_checkpoint_size(model, &size) == GAN_OK && size > 0, "size while busy");
    CHECK(params_equal(model, g, d) && gan_train_in_progress(model), "a refused call changed state");
    gan_step_stats stats;
    CHECK(gan_train_finish(model, &stats) == GAN_OK && stats.step == 1 &&
              !gan_train_in_progress(model), "finish");
    gan_train(ref, 1, NULL);
    CHECK(same_params(model, ref), "part + finish differs from one step");
    // gan_train completes the iteration in progress as its first step
    gan_train_part(model, NULL, NULL);
    gan_train_part(model, NULL, NULL);
    CHECK(gan_train(model, 2, &stats) == GAN_OK && stats.step == 3, "train after parts: %g",
          stats.step);
    gan_train(ref, 2, NULL);
    CHECK(same_params(model, ref), "parts + train differs");
    // a failed load leaves the iteration in progress; a good one abandons it
    gan_checkpoint_size(ref, &size);
    uint8_t *buf = malloc(size);
    gan_checkpoint_save(ref, buf, size, &size);
    gan_train_part(model, NULL, NULL);
    CHECK(gan_checkpoint_load(model, buf, size - 1) == GAN_ERR_CHECKPOINT_TRUNCATED &&
              gan_train_in_progress(model), "failed load");
    CHECK(gan_checkpoint_load(model, buf, size) == GAN_OK && !gan_train_in_progress(model),
          "load abandons");
    CHECK(gan_train(model, 2, NULL) == GAN_OK && gan_train(ref, 2, NULL) == GAN_OK &&
              same_params(model, ref), "after load");
    free(buf);
    free(g);
    free(d);
    gan_free(model);
    gan_free(ref);

    // NaN in a row of the second D batch (k = 2): gan_train and parts fail
    // at the same iteration, undo its first D-update and its batches
    static float poisoned[DATA_COUNT * DATA_DIM];
    memcpy(poisoned, data, sizeof(poisoned));
    golden_config(&c);
    gan_config_set(&c, "d_steps", "2");
    gan *a = make_model(&c), *b = make_model(&c);
    gan_attach_data_f32(a, poisoned, DATA_COUNT);
    gan_attach_data_f32(b, poisoned, DATA_COUNT);
    // the row drawn 15th in the fourth iteration
    poisoned[(size_t)a->permutation[3 * 20 + 15] * DATA_DIM + 3] = NAN;
    CHECK(gan_train(a, 10, &stats) == GAN_ERR_NON_FINITE && stats.step == 3, "gan_train: %g",
          stats.step);
    int parts = 0, failed = 0;
    while (!failed && parts < 100) {
        gan_status status = gan_train_part(b, &stats, &done);
        parts++;
        if (status == GAN_ERR_NON_FINITE) {
            failed = 1;
            CHECK(done == 1 && !gan_train_in_progress(b) && stats.non_finite == 1, "rolled back");
        }
    }
    CHECK(failed && parts == 3 * 6 + 4, "failed after %d parts", parts);
    CHECK(same_params(a, b) && a->data_position == b->data_position &&
              a->data_position == 60 && a->data_epoch == b->data_epoch,
          "rollback differs: position %u %u", a->data_position, b->data_position);
    poisoned[(size_t)a->permutation[3 * 20 + 15] * DATA_DIM + 3] = 0.0f;
    CHECK(gan_train(a, 3, NULL) == GAN_OK && gan_train(b, 3, NULL) == GAN_OK && same_params(a, b),
          "after the rollback");
    gan_free(a);
    gan_free(b);
}

static void test_arguments(void)
{
    gan_config c;
    golden_config(&c);
    gan *model = NULL;
    CHECK(gan_create(&c, &model) == GAN_OK, "create");
    gan_step_stats stats;
    CHECK(gan_train(model, 1, &stats) == GAN_ERR_NO_DATA, "train without data");
    CHECK(gan_init_generator_bias(model) == GAN_ERR_NO_DATA, "bias without data");
    CHECK(gan_train_step(model, NULL, &stats) == GAN_ERR_INVALID_ARGUMENT, "NULL batch");
    CHECK(gan_train_step(NULL, data, &stats) == GAN_ERR_INVALID_ARGUMENT, "NULL model");
    CHECK(gan_train_step(model, data, NULL) == GAN_OK, "NULL stats is fine");
    CHECK(gan_attach_data(model, NULL, 10) == GAN_ERR_INVALID_ARGUMENT, "NULL data");
    CHECK(gan_attach_data_f32(model, data, 0) == GAN_ERR_INVALID_ARGUMENT, "no rows");
    CHECK(gan_create(NULL, &model) == GAN_ERR_INVALID_ARGUMENT, "NULL config");
    CHECK(gan_get_config(model) && gan_get_config(model)->batch_size == 10, "get config");
    float *p;
    size_t n;
    CHECK(gan_parameters(model, (gan_network)2, &p, &n) == GAN_ERR_INVALID_ARGUMENT, "network 2");
    CHECK(gan_parameters(model, GAN_GENERATOR, &p, &n) == GAN_OK &&
              n == (8 * 32 + 32) + (32 * 32 + 32) + (32 * 16 + 16), "G params %zu", n);
    CHECK(strcmp(gan_status_string(GAN_ERR_NON_FINITE), "ok") != 0, "status strings");
    CHECK(gan_status_string((gan_status)99) != NULL, "unknown status string");
    gan_free(model);
    gan_free(NULL);
}

static void test_sampling(void)
{
    gan_config c;
    golden_config(&c);
    gan *model = make_model(&c);
    float z1[40 * 8], z2[40 * 8];
    gan_sample_noise(model, 5, 40, z1);
    gan_sample_noise(model, 5, 40, z2);
    CHECK(memcmp(z1, z2, sizeof(z1)) == 0, "same seed, different noise");
    int in_range = 1;
    for (int i = 0; i < 40 * 8; i++) in_range &= fabsf(z1[i]) <= sqrtf(3.0f);
    CHECK(in_range, "uniform noise outside +-sqrt 3");
    gan_sample_noise(model, 6, 40, z2);
    CHECK(memcmp(z1, z2, sizeof(z1)) != 0, "different seeds, same noise");

    // generation in chunks larger than the batch equals row by row
    float all[40 * 16], one[16];
    CHECK(gan_generate(model, z1, 40, all) == GAN_OK, "generate");
    int same = 1, unit = 1;
    for (int i = 0; i < 40; i++) {
        gan_generate(model, z1 + i * 8, 1, one);
        same &= memcmp(one, all + i * 16, sizeof(one)) == 0;
        for (int j = 0; j < 16; j++) unit &= one[j] >= 0.0f && one[j] <= 1.0f;
    }
    CHECK(same, "batched generation differs from single rows");
    CHECK(unit, "sigmoid output outside [0, 1]");
    float probs[40];
    CHECK(gan_discriminate(model, all, 40, probs) == GAN_OK, "discriminate");
    int ok = 1;
    for (int i = 0; i < 40; i++) ok &= probs[i] > 0.0f && probs[i] < 1.0f;
    CHECK(ok, "D(x) outside (0, 1)");

    // Gaussian prior moments
    gan_config_set(&c, "prior", "gaussian");
    gan_config_set(&c, "prior_scale", "2");
    gan *gauss = make_model(&c);
    size_t count = 20000 * 8;
    float *z = malloc(count * sizeof(float));
    gan_sample_noise(gauss, 1, 20000, z);
    double sum = 0, sum2 = 0;
    for (size_t i = 0; i < count; i++) {
        sum += z[i];
        sum2 += (double)z[i] * z[i];
    }
    double mean = sum / count, var = sum2 / count - mean * mean;
    CHECK(fabs(mean) < 0.03 && fabs(var - 4.0) < 0.1, "gaussian mean %g var %g", mean, var);
    free(z);
    gan_free(gauss);
    gan_free(model);
}

static void test_generator_bias(void)
{
    gan_config c;
    golden_config(&c);
    gan *model = NULL;
    gan_create(&c, &model);
    uint8_t pixels[4 * 16];
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 16; j++) pixels[i * 16 + j] = (uint8_t)(j * 17); /* 0 .. 255 */
    gan_attach_data(model, pixels, 4);
    CHECK(gan_init_generator_bias(model) == GAN_OK, "init bias");
    float *bias = model->generator.layers[4].bias;
    for (int j = 0; j < 16; j++) {
        double p = j * 17 / 255.0;
        if (p < 1e-7) p = 1e-7; /* the authors' clip (pylearn2) */
        if (p > 1 - 1e-7) p = 1 - 1e-7;
        double expected = log(p / (1 - p));
        CHECK(fabs(bias[j] - expected) < 1e-5, "bias[%d] %g vs %g", j, (double)bias[j], expected);
    }
    gan_free(model);
}

/* generator_average: the average follows its formula step by step (in
 * double here: the core's float arithmetic is exact to within rounding),
 * a failed step leaves it alone, sampling uses it (and changes nothing in
 * training), and a checkpoint carries it, so that a resumed run matches. */
static void test_generator_average(void)
{
    gan_config c;
    golden_config(&c);
    CHECK(gan_config_set(&c, "generator_average", "0.9") == GAN_OK, "set generator_average");
    gan *model = make_model(&c);
    const size_t n = model->generator.param_count;
    double *expected = malloc(n * sizeof(double));
    for (size_t i = 0; i < n; i++) expected[i] = model->generator.params[i];
    CHECK(model->average && memcmp(model->average, model->generator.params, n * sizeof(float)) == 0,
          "the average starts at G's weights (with the data's output bias)");
    double worst = 0.0;
    for (uint64_t t = 1; t <= 30; t++) {
        CHECK(gan_train(model, 1, NULL) == GAN_OK, "train");
        double decay = (1.0 + (double)t) / (10.0 + (double)t);
        if (decay > 0.9) decay = 0.9;
        for (size_t i = 0; i < n; i++) {
            expected[i] += (1.0 - decay) * ((double)model->generator.params[i] - expected[i]);
            double error = fabs((double)model->average[i] - expected[i]);
            if (error > worst) worst = error;
        }
    }
    CHECK(worst < 1e-5, "the average is off its formula by %g", worst);

    // a failed step: NaN in the batch, nothing moves
    float *before = malloc(n * sizeof(float));
    memcpy(before, model->average, n * sizeof(float));
    float batch[10 * DATA_DIM];
    memcpy(batch, data, sizeof(batch));
    batch[5] = NAN;
    CHECK(gan_train_step(model, batch, NULL) == GAN_ERR_NON_FINITE, "NaN step refused");
    CHECK(memcmp(before, model->average, n * sizeof(float)) == 0, "a failed step moved the average");

    // samples come from the average: G's weights set to it give the same samples
    float z[4 * 8], from_average[4 * DATA_DIM], from_weights[4 * DATA_DIM];
    gan_sample_noise(model, 3, 4, z);
    CHECK(gan_generate(model, z, 4, from_average) == GAN_OK, "generate");
    gan_config plain = c;
    plain.generator_average = 0.0f;
    gan *copy = make_model(&plain);
    memcpy(copy->generator.params, model->average, n * sizeof(float));
    gan_generate(copy, z, 4, from_weights);
    CHECK(memcmp(from_average, from_weights, sizeof(from_average)) == 0,
          "samples are not the average's");
    gan_generate(model, z, 4, from_weights); /* and G's weights are back after sampling */

    // resumed from a checkpoint: the same bits as an uninterrupted run
    size_t size = 0;
    gan_checkpoint_size(model, &size);
    uint8_t *bytes = malloc(size);
    CHECK(gan_checkpoint_save(model, bytes, size, &size) == GAN_OK, "save");
    gan *resumed = NULL;
    CHECK(gan_create_from_checkpoint(bytes, size, &resumed) == GAN_OK, "load");
    if (resumed) {
        gan_attach_data_f32(resumed, data, DATA_COUNT);
        gan_train(resumed, 5, NULL);
        gan_train(model, 5, NULL);
        CHECK(memcmp(resumed->average, model->average, n * sizeof(float)) == 0 &&
              same_params(resumed, model), "a resumed run's average differs");
        // a model without an average refuses the file: another architecture
        CHECK(gan_checkpoint_load(copy, bytes, size) == GAN_ERR_CHECKPOINT_MISMATCH,
              "an average loaded into a model without one");
        gan_free(resumed);
    }
    free(bytes);
    free(before);
    free(expected);
    gan_free(copy);
    gan_free(model);
}

/* optimizer_check: the gradient's norm in gradient_norm's bits, and the same
 * verdict as the update (1 when every new value is finite), writing nothing:
 * one block (the toy model) and NORM_BLOCKS blocks (the paper's networks,
 * block sizes that are not multiples of 4), SGD and Adam. */
static void test_check_norm(void)
{
    for (int paper = 0; paper < 2; paper++) {
        for (int adam = 0; adam < 2; adam++) {
            gan_config c;
            if (paper) gan_preset("paper", &c);
            else golden_config(&c);
            if (adam) {
                gan_config_set(&c, "d.optimizer", "adam");
                gan_config_set(&c, "g.optimizer", "adam");
            }
            gan *model = NULL;
            CHECK(gan_create(&c, &model) == GAN_OK, "create");
            if (!model) return;
            for (int which = 0; which < 2; which++) {
                network *net = which ? &model->generator : &model->discriminator;
                optimizer *opt = which ? &model->generator_optimizer : &model->discriminator_optimizer;
                const gan_optimizer_config *oc = which ? &c.generator_optimizer : &c.discriminator_optimizer;
                const size_t n = net->param_count;
                uint32_t state = 12345u + (uint32_t)n;
                for (size_t i = 0; i < n; i++) net->grads[i] = xorshift_uniform(&state);
                // Adam's v is never negative: state in [0, 0.01)
                for (size_t i = 0; i < (size_t)opt->slots * n; i++) opt->state[i] = 0.005f * (xorshift_uniform(&state) + 1.0f);
                float *params = malloc(n * sizeof(float)), *opt_state = malloc((size_t)opt->slots * n * sizeof(float));
                memcpy(params, net->params, n * sizeof(float));
                memcpy(opt_state, opt->state, (size_t)opt->slots * n * sizeof(float));
                double norm = -1.0;
                CHECK(optimizer_check(opt, oc, net, 0.5, &norm) == 1, "%s %s%s: check of finite values failed", paper ? "paper" : "toy", which ? "G" : "D", adam ? " adam" : "");
                CHECK(norm == gradient_norm(net), "%s %s%s: check's norm %.17g, gradient_norm %.17g",
                      paper ? "paper" : "toy", which ? "G" : "D", adam ? " adam" : "", norm, gradient_norm(net));
                // one value that overflows (SGD's p + velocity, Adam's g^2): the
                // verdict is 0, the norm finite, nothing written
                net->grads[n / 2] = -FLT_MAX;
                net->params[n / 2] = opt->state[n / 2] = FLT_MAX;
                memcpy(params, net->params, n * sizeof(float));
                memcpy(opt_state, opt->state, (size_t)opt->slots * n * sizeof(float));
                CHECK(optimizer_check(opt, oc, net, 0.5, &norm) == 0, "%s: an overflowing update passed the check", paper ? "paper" : "toy");
                CHECK(norm == gradient_norm(net) && isfinite(norm), "norm after the overflow");
                CHECK(memcmp(params, net->params, n * sizeof(float)) == 0 &&
                          memcmp(opt_state, opt->state, (size_t)opt->slots * n * sizeof(float)) == 0,
                      "the check wrote");
                // and the update agrees
                CHECK(optimizer_update(opt, oc, net, 0.5, NULL, NULL) == 0, "the update found no overflow");
                free(params);
                free(opt_state);
            }
            gan_free(model);
        }
    }
}

int main(void)
{
    make_data();
    test_golden();
    test_determinism();
    test_train_step_matches_train();
    test_optimizer_first_step();
    test_schedules();
    test_step_schedule_bits();
    test_rollback();
    test_orders();
    test_backup_blocks();
    test_simultaneous_rollback();
    test_check_norm();
    test_rollback_second_d_step();
    test_parts();
    test_arguments();
    test_sampling();
    test_generator_bias();
    test_generator_average();
    return test_summary("test_train");
}
