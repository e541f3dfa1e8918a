/*
 * test_conditional.c - class-conditional training end to end: labels are
 * required, checked and used; a conditional G learns to draw the class it is
 * asked for (both kinds); sampling by class and by blends of classes;
 * checkpoints with class weights; training in parts; feature matching.
 * The gradients themselves are checked in test_gradients.c.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gan.h"
#include "gan_internal.h"
#include "test_util.h"

#define COUNT 400
#define DIM 8
#define CLASSES 3

static uint8_t images[COUNT * DIM];
static uint8_t labels[COUNT];

/* Class c lights pixels from 3c onwards (a different place per class),
 * with some noise in brightness. */
static void make_data(void)
{
    uint32_t state = 88172645u;
    for (int i = 0; i < COUNT; i++) {
        state ^= state << 13; state ^= state >> 17; state ^= state << 5;
        const int c = (int)(state % CLASSES);
        labels[i] = (uint8_t)c;
        for (int j = 0; j < DIM; j++) {
            const int lit = j >= 3 * c && j < 3 * c + 2;
            images[i * DIM + j] = (uint8_t)(lit ? 200 + (state >> 10) % 55 : (state >> 20) % 20);
        }
    }
}

static void small_config(gan_config *c, const char *conditional, const char *loss)
{
    gan_preset("small", c);
    const char *settings[][2] = {
        {"noise_dim", "4"}, {"data_dim", "8"}, {"batch_size", "20"}, {"seed", "7"},
        {"g.layers.0.units", "32"}, {"g.layers.2.units", "32"}, {"g.layers.4.units", "8"},
        {"d.layers.0.units", "32"},
        {"d.layers.3.units", "16"},
        {"conditional", conditional}, {"classes", "3"}, {"generator_loss", loss},
        {"generator_average", "0"},
        /* the rates this small problem was tuned with, whatever the preset's */
        {"g.learning_rate", "0.001"}, {"d.learning_rate", "0.001"},
    };
    for (size_t i = 0; i < sizeof(settings) / sizeof(settings[0]); i++)
        CHECK(gan_config_set(c, settings[i][0], settings[i][1]) == GAN_OK, "set %s", settings[i][0]);
    char why[256];
    CHECK(gan_config_explain(c, why, sizeof(why)) == GAN_OK, "config: %s", why);
}

static gan *small_model(const char *conditional, const char *loss)
{
    gan_config c;
    small_config(&c, conditional, loss);
    gan *model = NULL;
    CHECK(gan_create(&c, &model) == GAN_OK, "create (%s, %s)", conditional, loss);
    if (!model) return NULL;
    CHECK(gan_attach_data(model, images, COUNT) == GAN_OK, "attach");
    CHECK(gan_init_generator_bias(model) == GAN_OK, "bias");
    return model;
}

/* Labels are required, and checked before anything changes. */
static void test_labels_required(void)
{
    gan *model = small_model("concat", "non-saturating");
    if (!model) return;
    size_t before_size;
    uint8_t *before = checkpoint_bytes(model, &before_size);
    gan_step_stats stats;
    CHECK(gan_train(model, 1, &stats) == GAN_ERR_NO_LABELS, "train without labels");
    int done = 0;
    CHECK(gan_train_part(model, &stats, &done) == GAN_ERR_NO_LABELS, "a part without labels");
    uint8_t bad[COUNT];
    memcpy(bad, labels, COUNT);
    bad[COUNT - 1] = CLASSES;
    CHECK(gan_attach_labels(model, bad, COUNT) == GAN_ERR_INVALID_ARGUMENT, "a label out of range");
    CHECK(gan_attach_labels(model, labels, COUNT - 1) == GAN_ERR_INVALID_ARGUMENT, "a short list");
    CHECK(gan_train(model, 1, &stats) == GAN_ERR_NO_LABELS, "still no labels");
    float real[20 * DIM] = {0};
    CHECK(gan_train_step(model, real, &stats) == GAN_ERR_NO_LABELS, "a step without labels");
    uint8_t step_labels[20] = {0};
    step_labels[3] = CLASSES;
    CHECK(gan_train_step_labels(model, real, step_labels, &stats) == GAN_ERR_INVALID_ARGUMENT,
          "a step with a label out of range");
    CHECK(has_checkpoint_state(model, before, before_size), "refused calls changed the model");
    CHECK(gan_attach_labels(model, labels, COUNT) == GAN_OK, "attach labels");
    CHECK(gan_train(model, 2, &stats) == GAN_OK, "train with labels");
    // attaching data again detaches its labels
    CHECK(gan_attach_data(model, images, COUNT) == GAN_OK, "attach again");
    CHECK(gan_train(model, 1, &stats) == GAN_ERR_NO_LABELS, "labels went with the old data");
    free(before);
    gan_free(model);

    // an unconditional model takes no labels in a step, and trains without them
    model = small_model("none", "non-saturating");
    if (!model) return;
    step_labels[3] = 0;
    CHECK(gan_train_step_labels(model, real, step_labels, &stats) == GAN_ERR_INVALID_ARGUMENT,
          "labels for an unconditional step");
    CHECK(gan_train(model, 1, &stats) == GAN_OK, "unconditional");
    float z[4] = {0}, out[DIM], classes[CLASSES] = {1, 0, 0};
    CHECK(gan_generate_conditional(model, z, classes, 1, out) == GAN_ERR_INVALID_ARGUMENT,
          "classes for an unconditional G");
    gan_free(model);
}

/* The labels are what the model learns from: the same data with the
 * labels permuted trains other weights. */
static void test_labels_used(void)
{
    gan *a = small_model("auxiliary", "non-saturating");
    gan *b = small_model("auxiliary", "non-saturating");
    if (!a || !b) return;
    uint8_t shifted[COUNT];
    for (int i = 0; i < COUNT; i++) shifted[i] = (uint8_t)((labels[i] + 1) % CLASSES);
    CHECK(gan_attach_labels(a, labels, COUNT) == GAN_OK && gan_attach_labels(b, shifted, COUNT) == GAN_OK,
          "labels");
    gan_step_stats stats;
    CHECK(gan_train(a, 3, &stats) == GAN_OK && gan_train(b, 3, &stats) == GAN_OK, "train");
    CHECK(!same_params(a, b), "other labels, the same weights");
    gan_free(a);
    gan_free(b);
}

/* The mean of each class's lit pixels, over samples of that class, against
 * the mean of the other pixels. */
static double class_contrast(gan *model, int c, const float *rows)
{
    enum { N = 300 };
    float *z = malloc(N * 4 * sizeof(float)), *out = malloc(N * DIM * sizeof(float));
    float *classes = calloc(N * CLASSES, sizeof(float));
    gan_sample_noise(model, 99, N, z);
    for (int i = 0; i < N; i++) {
        if (rows) memcpy(classes + i * CLASSES, rows, CLASSES * sizeof(float));
        else classes[i * CLASSES + c] = 1.0f;
    }
    CHECK(gan_generate_conditional(model, z, classes, N, out) == GAN_OK, "generate class %d", c);
    double lit = 0.0, dark = 0.0;
    for (int i = 0; i < N; i++)
        for (int j = 0; j < DIM; j++) {
            const int on = j >= 3 * c && j < 3 * c + 2;
            if (on) lit += out[i * DIM + j] / (2.0 * N);
            else dark += out[i * DIM + j] / ((DIM - 2.0) * N);
        }
    free(z);
    free(out);
    free(classes);
    return lit - dark;
}

/* A conditional G learns to draw the class it is given, with either kind of
 * conditioning; feature matching with the auxiliary classifier too. */
static void test_learns_classes(void)
{
    const char *const runs[][2] = {
        {"concat", "non-saturating"}, {"auxiliary", "non-saturating"}, {"auxiliary", "feature-matching"},
    };
    for (size_t r = 0; r < sizeof(runs) / sizeof(runs[0]); r++) {
        gan *model = small_model(runs[r][0], runs[r][1]);
        if (!model) return;
        gan_attach_labels(model, labels, COUNT);
        const double before = class_contrast(model, 1, NULL);
        gan_step_stats stats;
        gan_status status = gan_train(model, 1500, &stats);
        CHECK(status == GAN_OK, "%s/%s: train: %s", runs[r][0], runs[r][1], gan_status_string(status));
        double worst = 1.0;
        for (int c = 0; c < CLASSES; c++) {
            const double contrast = class_contrast(model, c, NULL);
            if (contrast < worst) worst = contrast;
        }
        printf("%-10s %-16s contrast of the asked class: %.3f at the start, worst class %.3f after 1500 steps\n",
               runs[r][0], runs[r][1], before, worst);
        CHECK(worst > 0.4, "%s/%s: G does not draw the class it is asked for (contrast %.3f)",
              runs[r][0], runs[r][1], worst);
        gan_free(model);
    }
}

/* gan_generate draws example i as class i mod classes; a blend of two
 * classes is the blended input, between the two classes' images. */
static void test_sampling(void)
{
    gan *model = small_model("concat", "non-saturating");
    if (!model) return;
    gan_attach_labels(model, labels, COUNT);
    gan_step_stats stats;
    gan_train(model, 5, &stats);
    enum { N = 7 };
    float z[N * 4], a[N * DIM], b[N * DIM], classes[N * CLASSES] = {0};
    gan_sample_noise(model, 3, N, z);
    for (int i = 0; i < N; i++) classes[i * CLASSES + i % CLASSES] = 1.0f;
    CHECK(gan_generate(model, z, N, a) == GAN_OK, "generate");
    CHECK(gan_generate_conditional(model, z, classes, N, b) == GAN_OK, "generate by class");
    CHECK(memcmp(a, b, sizeof(a)) == 0, "gan_generate is not class i mod classes");
    // class 0, class 2 and their midpoint at one z: the midpoint's input lies between
    float one[3 * 4], blend[3 * CLASSES] = {1, 0, 0, 0, 0, 1, 0.5f, 0, 0.5f}, out[3 * DIM];
    for (int i = 0; i < 3; i++) memcpy(one + i * 4, z, 4 * sizeof(float));
    CHECK(gan_generate_conditional(model, one, blend, 3, out) == GAN_OK, "blend");
    int between = 0;
    for (int j = 0; j < DIM; j++) {
        const float lo = fminf(out[j], out[DIM + j]), hi = fmaxf(out[j], out[DIM + j]);
        between += out[2 * DIM + j] >= lo - 0.05f && out[2 * DIM + j] <= hi + 0.05f;
    }
    CHECK(between == DIM, "the midpoint of two classes is outside them on %d pixels", DIM - between);
    // D of a concat model: conditional probabilities are D(x, y)
    float probabilities[N], conditional[N];
    CHECK(gan_discriminate(model, a, N, probabilities) == GAN_OK, "discriminate");
    CHECK(gan_discriminate_conditional(model, a, classes, N, conditional) == GAN_OK,
          "discriminate by class");
    CHECK(memcmp(probabilities, conditional, sizeof(conditional)) == 0, "D's classes i mod classes");
    gan_free(model);
}

/* Checkpoints carry the class weights and resume bit-identically; parts
 * equal whole iterations; another conditioning is another architecture. */
static void test_checkpoint_and_parts(void)
{
    const char *const kinds[] = {"concat", "auxiliary"};
    for (int k = 0; k < 2; k++) {
        gan *a = small_model(kinds[k], "non-saturating");
        if (!a) return;
        gan_attach_labels(a, labels, COUNT);
        gan_step_stats stats;
        gan_train(a, 7, &stats);
        size_t size;
        uint8_t *bytes = checkpoint_bytes(a, &size);
        gan *b = NULL;
        CHECK(gan_create_from_checkpoint(bytes, size, &b) == GAN_OK, "%s: from checkpoint", kinds[k]);
        if (!b) return;
        CHECK(gan_attach_data(b, images, COUNT) == GAN_OK && gan_attach_labels(b, labels, COUNT) == GAN_OK,
              "attach to the loaded model");
        CHECK(same_params(a, b), "%s: loaded weights differ", kinds[k]);
        gan_train(a, 5, &stats);
        for (int i = 0; i < 5; i++) { /* in parts */
            int done = 0;
            while (!done) CHECK(gan_train_part(b, &stats, &done) == GAN_OK, "part");
        }
        CHECK(same_params(a, b), "%s: resumed in parts, the weights differ", kinds[k]);
        free(bytes);
        // another conditioning, or none, does not load into this model
        gan *other = small_model(kinds[1 - k], "non-saturating");
        gan *none = small_model("none", "non-saturating");
        bytes = checkpoint_bytes(a, &size);
        CHECK(gan_checkpoint_load(other, bytes, size) == GAN_ERR_CHECKPOINT_MISMATCH, "%s into %s",
              kinds[k], kinds[1 - k]);
        CHECK(gan_checkpoint_load(none, bytes, size) == GAN_ERR_CHECKPOINT_MISMATCH, "%s into none",
              kinds[k]);
        free(bytes);
        gan_free(other);
        gan_free(none);
        gan_free(a);
        gan_free(b);
    }
}

/* The mean absolute gap between the data's mean pixel values and those of
 * 500 samples. */
static double mean_gap(gan *model)
{
    enum { N = 500 };
    float *z = malloc(N * 4 * sizeof(float)), *out = malloc(N * DIM * sizeof(float));
    gan_sample_noise(model, 5, N, z);
    gan_generate(model, z, N, out);
    double gap = 0.0;
    for (int j = 0; j < DIM; j++) {
        double data = 0.0, samples = 0.0;
        for (int i = 0; i < COUNT; i++) data += images[i * DIM + j] / (255.0 * COUNT);
        for (int i = 0; i < N; i++) samples += out[i * DIM + j] / N;
        gap += fabs(data - samples) / DIM;
    }
    free(z);
    free(out);
    return gap;
}

/* Feature matching trains an unconditional G too: from G's plain start
 * (output bias 0, so every pixel near 0.5), its samples' mean pixels move
 * towards the data's (the non-saturating loss gets 0.25 to 0.17 here). */
static void test_feature_matching(void)
{
    gan_config c;
    small_config(&c, "none", "feature-matching");
    gan *model = NULL;
    CHECK(gan_create(&c, &model) == GAN_OK, "create");
    if (!model) return;
    gan_attach_data(model, images, COUNT);
    const double before = mean_gap(model);
    gan_step_stats stats;
    CHECK(gan_train(model, 1500, &stats) == GAN_OK, "train");
    const double after = mean_gap(model);
    printf("feature matching: mean pixel gap to the data %.3f at the start, %.3f after 1500 steps "
           "(G's loss %.2g)\n", before, after, stats.g_loss);
    CHECK(isfinite(stats.g_loss) && stats.g_loss >= 0.0, "G's loss %g", stats.g_loss);
    CHECK(after < 0.6 * before, "feature matching did not move G's means to the data's (%.3f to %.3f)",
          before, after);
    gan_free(model);
}

int main(void)
{
    make_data();
    test_labels_required();
    test_labels_used();
    test_sampling();
    test_checkpoint_and_parts();
    test_feature_matching();
    test_learns_classes();
    return test_summary("test_conditional");
}
