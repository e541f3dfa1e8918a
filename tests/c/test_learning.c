/*
 * test_learning.c - the paper's Figure 1 in miniature: on one-dimensional
 * data from a two-Gaussian mixture, the "toy" preset's generator moves its
 * samples onto the data within a few seconds of training. Measured by the
 * 1-D Wasserstein distance between equal-sized sorted samples.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gan.h"
#include "test_util.h"

#define DATA_COUNT 20000
#define EVAL_COUNT 4000
#ifndef STEPS
#define STEPS 4000
#endif

/* The page's toy mixture (web/runtime/toy-data.js). */
static const struct { double weight, mean, std; } mixture[] = {{0.5, -1.0, 0.4}, {0.5, 1.25, 0.3}};

static uint64_t state = 0x853c49e6748fea9bull;
static double uniform01(void)
{
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    return ((state >> 11) + 0.5) * (1.0 / 9007199254740992.0);
}

static float mixture_sample(void)
{
    int k = uniform01() < mixture[0].weight ? 0 : 1;
    double u = uniform01(), v = uniform01();
    double normal = sqrt(-2.0 * log(u)) * cos(6.283185307179586 * v);
    return (float)(mixture[k].mean + mixture[k].std * normal);
}

static int compare_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

/* W1 between two equal-sized samples: mean |sorted a - sorted b|. */
static double wasserstein(float *a, float *b, size_t n)
{
    qsort(a, n, sizeof(float), compare_float);
    qsort(b, n, sizeof(float), compare_float);
    double sum = 0.0;
    for (size_t i = 0; i < n; i++) sum += fabs((double)a[i] - b[i]);
    return sum / n;
}

static double distance_to_data(gan *model, const float *reference)
{
    static float z[EVAL_COUNT], x[EVAL_COUNT], sorted_reference[EVAL_COUNT];
    gan_sample_noise(model, 99, EVAL_COUNT, z);
    gan_generate(model, z, EVAL_COUNT, x);
    memcpy(sorted_reference, reference, sizeof(sorted_reference));
    return wasserstein(x, sorted_reference, EVAL_COUNT);
}

int main(int argc, char **argv)
{
    static float data[DATA_COUNT], reference[EVAL_COUNT];
    for (int i = 0; i < DATA_COUNT; i++) data[i] = mixture_sample();
    for (int i = 0; i < EVAL_COUNT; i++) reference[i] = mixture_sample();

    gan_config config;
    CHECK(gan_preset("toy", &config) == GAN_OK, "toy preset");
    for (int i = 1; i + 1 < argc; i += 2) /* overrides, for experiments */
        CHECK(gan_config_set(&config, argv[i], argv[i + 1]) == GAN_OK, "%s", argv[i]);
    gan *model = NULL;
    gan_status status = gan_create(&config, &model);
    CHECK(status == GAN_OK, "create: %s", gan_status_string(status));
    if (!model) return test_summary("test_learning");
    gan_attach_data_f32(model, data, DATA_COUNT);
    gan_init_generator_bias(model);

    // two data points drawn from the mixture are this far apart by chance
    static float other[EVAL_COUNT];
    for (int i = 0; i < EVAL_COUNT; i++) other[i] = mixture_sample();
    static float copy[EVAL_COUNT];
    memcpy(copy, reference, sizeof(copy));
    double noise_floor = wasserstein(other, copy, EVAL_COUNT);

    double start = distance_to_data(model, reference);
    clock_t t0 = clock();
    gan_step_stats stats;
    const int steps = STEPS;
    double best = start, distance = start;
    for (int done = 0; done < steps; done += 500) {
        status = gan_train(model, 500, &stats);
        CHECK(status == GAN_OK, "train: %s", gan_status_string(status));
        distance = distance_to_data(model, reference);
        if (distance < best) best = distance;
        printf("step %5d  W1 %.4f  d_loss %.4f  g_loss %.4f  D(x) %.3f  D(G(z)) %.3f\n",
               done + 500, distance, stats.d_loss, stats.g_loss, stats.d_real, stats.d_fake);
    }
    double seconds = (double)(clock() - t0) / CLOCKS_PER_SEC;
    printf("W1 to the data: %.4f at the start, %.4f after %d steps (%.1f s); "
           "two data samples differ by %.4f\n", start, distance, steps, seconds, noise_floor);
    CHECK(distance < 0.25 * start, "W1 %.4f is not below 25%% of the start %.4f", distance, start);
    // near the global optimum D cannot tell: D(x) and D(G(z)) both near 1/2
    CHECK(fabs(stats.d_real - 0.5) < 0.15 && fabs(stats.d_fake - 0.5) < 0.15,
          "D(x) %.3f, D(G(z)) %.3f", stats.d_real, stats.d_fake);
    gan_free(model);
    return test_summary("test_learning");
}
