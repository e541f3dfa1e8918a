/*
 * test_adaptive.c - the adaptive k (gan.h, adaptive_k): the rule on given
 * accuracies, D's accuracy from known logits, k moving up and down within
 * [1, d_steps_max] in training, gan_train_part against gan_train, a
 * checkpoint mid-run resuming bit for bit, a rolled-back step leaving k and
 * its average as they were, and the validation of the settings.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gan.h"
#include "gan_internal.h"
#include "test_util.h"

#define DATA_COUNT 200
#define DATA_DIM 16

static float data[DATA_COUNT * DATA_DIM];

static void make_data(void)
{
    uint32_t state = 88172645u;
    for (int i = 0; i < DATA_COUNT * DATA_DIM; i++) data[i] = 0.5f + 0.5f * xorshift_uniform(&state);
}

/* A small paper-shaped model (maxout, dropout, SGD with momentum) with the
 * adaptive k on, k from `k` up to `k_max`, the band [low, high]. */
static void adaptive_config(gan_config *c, const char *order, const char *k, const char *k_max,
                            const char *low, const char *high)
{
    gan_preset("paper", c);
    const char *settings[][2] = {
        {"noise_dim", "6"}, {"data_dim", "16"}, {"batch_size", "8"}, {"seed", "18"},
        {"examples_per_epoch", "100"},
        {"g.layers.0.units", "24"}, {"g.layers.2.units", "24"}, {"g.layers.4.units", "16"},
        {"d.layers.1.units", "20"}, {"d.layers.4.units", "20"},
        {"update_order", order}, {"adaptive_k", "1"}, {"d_steps_max", k_max}, {"d_steps", k},
        {"d_accuracy_low", low}, {"d_accuracy_high", high},
    };
    for (size_t i = 0; i < sizeof(settings) / sizeof(settings[0]); i++)
        CHECK(gan_config_set(c, settings[i][0], settings[i][1]) == GAN_OK, "%s %s", settings[i][0],
              settings[i][1]);
    char why[256];
    CHECK(gan_config_explain(c, why, sizeof(why)) == GAN_OK, "config: %s", why);
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

/* Where the data of the checkpoint tensor `name` starts in buf, or NULL. */
static uint8_t *tensor_data(uint8_t *buf, const char *name)
{
    uint64_t header = 0;
    memcpy(&header, buf, 8);
    char *text = malloc(header + 1);
    memcpy(text, buf + 8, header);
    text[header] = '\0';
    char quoted[64];
    snprintf(quoted, sizeof(quoted), "\"%s\"", name);
    char *at = strstr(text, quoted), *offsets = at ? strstr(at, "\"data_offsets\":[") : NULL;
    uint8_t *data = offsets ? buf + 8 + header + strtoull(offsets + 16, NULL, 10) : NULL;
    free(text);
    return data;
}

/* The rule itself, on accuracies chosen to cross the band both ways. */
static void test_rule(void)
{
    gan_config c;
    adaptive_config(&c, "alternating", "1", "4", "0.6", "0.8");
    double a = adaptive_k_start(&c);
    CHECK(a == 0.5 * ((double)0.6f + (double)0.8f), "starts in the middle of the band: %.17g", a);
    int32_t k = 1;
    // D loses every row: a falls 0.7, 0.63, 0.567, ... and k rises once a < 0.6, to 4 at most
    const int32_t up[] = {1, 2, 3, 4, 4, 4};
    double expect = a;
    for (int i = 0; i < 6; i++) {
        adaptive_k_update(&c, 0.0, &k, &a);
        expect = 0.9 * expect + 0.1 * 0.0;
        CHECK(a == expect && k == up[i], "up %d: k %d, a %.17g", i, k, a);
    }
    // D wins every row: a climbs back, k stays until a > 0.8, then falls to 1 and no further
    int32_t seen_max = k, seen_min = k, first_fall = -1;
    for (int i = 0; i < 40; i++) {
        int32_t before = k;
        adaptive_k_update(&c, 1.0, &k, &a);
        expect = 0.9 * expect + 0.1 * 1.0;
        CHECK(a == expect, "down %d: a %.17g", i, a);
        CHECK(k == before || (k == before - 1 && a > (double)c.d_accuracy_high),
              "down %d: k %d after %d with a %.17g", i, k, before, a);
        if (k < before && first_fall < 0) first_fall = i;
        if (k > seen_max) seen_max = k;
        if (k < seen_min) seen_min = k;
    }
    CHECK(seen_max == 4 && seen_min == 1 && k == 1 && first_fall > 0, "k within [1, 4]: %d..%d",
          seen_min, seen_max);
    // inside the band k stays
    a = 0.7;
    adaptive_k_update(&c, 0.7, &k, &a);
    CHECK(k == 1 && a == 0.9 * 0.7 + 0.1 * 0.7, "inside the band");
    // without adaptive_k the average still moves (the stats show it) but k never does
    c.adaptive_k = 0;
    k = 3;
    for (int i = 0; i < 10; i++) adaptive_k_update(&c, 0.0, &k, &a);
    CHECK(k == 3, "fixed k moved: %d", k);
}

/* D's accuracy counts rows strictly on the right side of 0: with D's
 * weights all 0 every logit is 0 and no row is right; with only the output
 * bias positive every real row is right and every fake one wrong. */
static void test_accuracy_from_logits(void)
{
    gan_config c;
    adaptive_config(&c, "alternating", "1", "1", "0.6", "0.8");
    for (int bias = 0; bias < 3; bias++) {
        gan *model = make_model(&c);
        float *params;
        size_t count;
        gan_parameters(model, GAN_DISCRIMINATOR, &params, &count);
        memset(params, 0, count * sizeof(float));
        params[count - 1] = bias == 0 ? 0.0f : bias == 1 ? 2.0f : -2.0f; /* the logit's bias */
        gan_step_stats stats;
        CHECK(gan_train(model, 1, &stats) == GAN_OK, "train");
        const double want = bias == 0 ? 0.0 : 0.5;
        CHECK(stats.d_accuracy == want && stats.d_steps == 1, "bias %d: accuracy %.17g", bias,
              stats.d_accuracy);
        gan_free(model);
    }
}

/* In training: a band D cannot reach sends k up to d_steps_max and keeps it
 * there; a band D always passes brings it down to 1. Each iteration draws
 * k batches (the epoch counts them), and D's accuracy is a count of rows. */
static void test_training_moves_k(void)
{
    const struct { const char *k, *low, *high; int final; } cases[] = {
        {"1", "0.99", "1", 4},   /* D is never 99% right on average here */
        {"4", "0.01", "0.02", 1} /* nor 2% wrong */
    };
    for (int i = 0; i < 2; i++) {
        gan_config c;
        adaptive_config(&c, "alternating", cases[i].k, "4", cases[i].low, cases[i].high);
        gan *model = make_model(&c);
        gan_step_stats stats;
        int previous = atoi(cases[i].k), batches = 0;
        for (int step = 0; step < 12; step++) {
            CHECK(gan_train(model, 1, &stats) == GAN_OK, "case %d step %d", i, step);
            int k = (int)stats.d_steps;
            batches += k;
            CHECK(k >= 1 && k <= 4 && abs(k - previous) <= 1, "case %d step %d: k %d after %d", i,
                  step, k, previous);
            CHECK(step == 0 ? k == previous : (i == 0 ? k == (previous < 4 ? previous + 1 : 4)
                                                      : k == (previous > 1 ? previous - 1 : 1)),
                  "case %d step %d: k %d after %d", i, step, k, previous);
            double rows = stats.d_accuracy * 2 * c.batch_size;
            CHECK(rows == floor(rows) && rows >= 0 && rows <= 2 * c.batch_size,
                  "accuracy %.17g is not a count of rows", stats.d_accuracy);
            previous = k;
        }
        CHECK(previous == cases[i].final, "case %d: k ends at %d", i, previous);
        double epoch = 0;
        gan_position(model, NULL, &epoch);
        CHECK(epoch == (double)batches * c.batch_size / 100.0, "case %d: epoch %g for %d batches", i,
              epoch, batches);
        gan_free(model);
    }
}

/* D's accuracy hovers about 1/2 in this model's first steps; a narrow band
 * just above it makes k wander over 1..3 both ways, so that the comparisons
 * below see k change. */
static void moving_config(gan_config *c, const char *order)
{
    adaptive_config(c, order, "2", "3", "0.52", "0.53");
}

/* The ks of `steps` iterations of gan_train, into ks; returns how many times k changed. */
static int train_recording(gan *model, int steps, int *ks)
{
    gan_step_stats stats;
    int changes = 0;
    for (int s = 0; s < steps; s++) {
        CHECK(gan_train(model, 1, &stats) == GAN_OK, "step %d", s);
        ks[s] = (int)stats.d_steps;
        if (s && ks[s] != ks[s - 1]) changes++;
        if (getenv("GAN_PRINT_ADAPTIVE"))
            printf("step %d k %d accuracy %.4f\n", s, ks[s], stats.d_accuracy);
    }
    return changes;
}

/* gan_train_part gives gan_train's bits and stats with k changing, its
 * number of parts following each iteration's k. */
static void test_parts(void)
{
    const char *orders[] = {"alternating", "simultaneous"};
    for (int o = 0; o < 2; o++) {
        gan_config c;
        moving_config(&c, orders[o]);
        gan *a = make_model(&c), *b = make_model(&c);
        int ks[30];
        int changes = train_recording(a, 30, ks);
        CHECK(changes >= 2, "%s: k changed %d times in 30 steps", orders[o], changes);
        int extra = c.update_order == GAN_UPDATE_ALTERNATING ? 2 : 0;
        gan_step_stats stats;
        for (int s = 0; s < 30; s++) {
            int parts = 0, done = 0;
            while (!done && parts < 100) {
                CHECK(gan_train_part(b, &stats, &done) == GAN_OK, "%s: part", orders[o]);
                parts++;
            }
            CHECK(stats.d_steps == ks[s] && parts == 2 * ks[s] + extra,
                  "%s step %d: k %g (gan_train %d), %d parts", orders[o], s, stats.d_steps, ks[s],
                  parts);
        }
        size_t size;
        uint8_t *expected = checkpoint_bytes(a, &size);
        CHECK(has_checkpoint_state(b, expected, size), "%s: parts and gan_train disagree", orders[o]);
        free(expected);
        gan_free(a);
        gan_free(b);
    }
}

/* A checkpoint taken mid-run, with k away from its start, resumes bit for
 * bit: in a new model and loaded into a running one. */
static void test_checkpoint_resume(void)
{
    gan_config c;
    moving_config(&c, "alternating");
    gan *a = make_model(&c);
    int ks[40];
    train_recording(a, 11, ks);
    size_t size;
    uint8_t *middle = checkpoint_bytes(a, &size);
    train_recording(a, 20, ks + 11);
    int changes = 0;
    for (int s = 12; s < 31; s++) changes += ks[s] != ks[s - 1];
    CHECK(changes >= 2, "k changed %d times after the checkpoint", changes);

    gan *b = NULL;
    CHECK(gan_create_from_checkpoint(middle, size, &b) == GAN_OK && b, "create from checkpoint");
    gan *other = make_model(&c); /* a running model, somewhere else */
    int ignored[5];
    train_recording(other, 5, ignored);
    CHECK(gan_checkpoint_load(other, middle, size) == GAN_OK, "load into a running model");
    size_t end_size;
    uint8_t *end = checkpoint_bytes(a, &end_size);
    gan *resumed[2] = {b, other};
    for (int r = 0; r < 2; r++) {
        if (!resumed[r]) continue;
        gan_attach_data_f32(resumed[r], data, DATA_COUNT);
        int again[20];
        train_recording(resumed[r], 20, again);
        CHECK(memcmp(again, ks + 11, sizeof(again)) == 0, "resume %d: another sequence of k", r);
        CHECK(has_checkpoint_state(resumed[r], end, end_size), "resume %d: not bit-identical", r);
    }
    // a checkpoint whose k is outside [1, d_steps_max] is refused
    gan *target = make_model(&c);
    size_t before_size;
    uint8_t *before = checkpoint_bytes(target, &before_size);
    uint8_t *bad = malloc(size);
    memcpy(bad, middle, size);
    uint8_t *k_data = tensor_data(bad, "train.d_steps");
    CHECK(k_data != NULL, "train.d_steps in the header");
    if (k_data) {
        uint64_t k = 4; /* d_steps_max is 3 */
        memcpy(k_data, &k, 8);
        CHECK(gan_checkpoint_load(target, bad, size) == GAN_ERR_CHECKPOINT_MALFORMED,
              "k above d_steps_max loaded");
        CHECK(has_checkpoint_state(target, before, before_size), "the failed load changed the model");
        k = 0;
        memcpy(k_data, &k, 8);
        gan *created = NULL;
        CHECK(gan_create_from_checkpoint(bad, size, &created) == GAN_ERR_CHECKPOINT_MALFORMED &&
                  !created, "k 0 loaded");
    }
    free(bad);
    free(before);
    gan_free(target);
    free(end);
    free(middle);
    gan_free(a);
    gan_free(b);
    gan_free(other);
}

/* A step that meets a NaN in its last D-batch, after k - 1 D-updates were
 * written, leaves everything as it was: D's weights, k and its average. It
 * then trains on as a model that never met it. */
static void test_rollback(void)
{
    gan_config c;
    adaptive_config(&c, "alternating", "1", "3", "0.99", "1"); /* k climbs to 3 */
    gan *model = make_model(&c), *reference = make_model(&c);
    gan_step_stats stats;
    gan_train(model, 3, &stats);
    gan_train(reference, 3, NULL);
    CHECK(stats.d_steps == 3, "k reached %g", stats.d_steps);
    const size_t rows = (size_t)c.d_steps_max * c.batch_size;
    float *batch = malloc(rows * DATA_DIM * sizeof(float));
    for (size_t i = 0; i < rows * DATA_DIM; i++) batch[i] = data[i % (DATA_COUNT * DATA_DIM)];
    batch[(size_t)2 * c.batch_size * DATA_DIM + 5] = NAN; /* in the third batch */
    size_t size;
    uint8_t *before = checkpoint_bytes(model, &size);
    CHECK(gan_train_step(model, batch, &stats) == GAN_ERR_NON_FINITE, "the NaN step was taken");
    CHECK(stats.non_finite == 1 && stats.d_steps == 3, "stats: %g %g", stats.non_finite, stats.d_steps);
    // everything as before but the count of rolled-back steps, which survives them
    uint8_t *count = tensor_data(before, "train.non_finite_total");
    const uint64_t one = 1;
    if (count) memcpy(count, &one, 8);
    CHECK(count && has_checkpoint_state(model, before, size), "the rolled-back step left a trace");
    batch[(size_t)2 * c.batch_size * DATA_DIM + 5] = 0.5f;
    CHECK(gan_train_step(model, batch, &stats) == GAN_OK, "after the rollback");
    gan_train_step(reference, batch, NULL);
    CHECK(same_params(model, reference), "not as a model that never met the NaN");
    free(before);
    free(batch);
    gan_free(model);
    gan_free(reference);
}

/* The settings' ranges and the two rules between them, each with a sentence. */
static void test_validation(void)
{
    gan_config c;
    gan_preset("small", &c);
    CHECK(c.adaptive_k == 0 && c.d_steps_max == 5 && c.d_accuracy_low == 0.6f &&
              c.d_accuracy_high == 0.8f, "the presets' values");
    const char *refused[][2] = {
        {"adaptive_k", "2"}, {"d_steps_max", "0"}, {"d_steps_max", "101"},
        {"d_accuracy_low", "0"}, {"d_accuracy_high", "1.5"}, {"d_accuracy_high", "-0.1"},
    };
    for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
        CHECK(gan_config_set(&c, refused[i][0], refused[i][1]) == GAN_ERR_INVALID_ARGUMENT,
              "%s = %s accepted", refused[i][0], refused[i][1]);
    char why[256];
    gan_config bad = c;
    bad.d_accuracy_low = 0.8f;
    CHECK(gan_config_explain(&bad, why, sizeof(why)) == GAN_ERR_INVALID_ARGUMENT &&
              strstr(why, "d_accuracy_low") && strstr(why, "d_accuracy_high"),
          "low = high: %s", why);
    bad = c;
    bad.d_steps = 7;
    CHECK(gan_config_validate(&bad) == GAN_OK, "a fixed k above d_steps_max is fine");
    bad.adaptive_k = 1;
    CHECK(gan_config_explain(&bad, why, sizeof(why)) == GAN_ERR_INVALID_ARGUMENT &&
              strstr(why, "d_steps (7)") && strstr(why, "d_steps_max (5)"),
          "adaptive k starting above its maximum: %s", why);
    gan *model = NULL;
    CHECK(gan_create(&bad, &model) == GAN_ERR_INVALID_ARGUMENT && !model, "created");
    bad.d_steps_max = 7;
    CHECK(gan_config_validate(&bad) == GAN_OK, "k = d_steps_max");
}

int main(void)
{
    make_data();
    test_rule();
    test_accuracy_from_logits();
    test_training_moves_k();
    test_parts();
    test_checkpoint_resume();
    test_rollback();
    test_validation();
    return test_summary("test_adaptive");
}
