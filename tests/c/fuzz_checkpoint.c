/*
 * fuzz_checkpoint.c - libFuzzer harness for the two doors a checkpoint file
 * comes in by: gan_checkpoint_load and gan_create_from_checkpoint
 * (fuzz_safetensors.c covers the safetensors parser beneath them).
 * Built by CMake with -DGAN_FUZZ=ON; run by build-scripts/fuzz.sh
 * (docs/fuzzing.md), from seeds write_fuzz_seeds saves.
 *
 * Whatever the input:
 *   - nothing crashes, leaks or trips a sanitizer;
 *   - a failed load leaves the model exactly as it was (its own checkpoint
 *     bytes, which hold the configuration and the whole training state, are
 *     unchanged), and fails with a checkpoint status;
 *   - a model that accepted a file saves bytes that load back to the same
 *     bytes, and trains on.
 * The fuzz_models.h models are loaded into; gan_create_from_checkpoint is
 * skipped for files whose configuration could ask for more than a tiny
 * model (see small_enough), so that a header claiming a paper-sized model
 * cannot slow the run down to one allocation, initialisation and step a second.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz_models.h"
#include "safetensors.h"
#include "test_util.h"

#define REQUIRE(cond) \
    do {              \
        if (!(cond)) abort(); \
    } while (0)

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static gan *models[FUZZ_MODEL_COUNT];
static uint8_t *baselines[FUZZ_MODEL_COUNT];
static size_t baseline_sizes[FUZZ_MODEL_COUNT];

/* Saving, loading that back and saving again gives the same bytes. */
static void require_round_trip(gan *model)
{
    size_t size;
    uint8_t *first = checkpoint_bytes(model, &size);
    REQUIRE(gan_checkpoint_load(model, first, size) == GAN_OK);
    REQUIRE(has_checkpoint_state(model, first, size));
    free(first);
}

static int is_load_error(gan_status status)
{
    return status == GAN_ERR_CHECKPOINT_TRUNCATED || status == GAN_ERR_CHECKPOINT_MALFORMED ||
           status == GAN_ERR_CHECKPOINT_VERSION || status == GAN_ERR_CHECKPOINT_MISMATCH ||
           status == GAN_ERR_OUT_OF_MEMORY;
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* Whether a model built from this file's configuration stays tiny, judged
 * from above without parsing it the way the library does: every value of a
 * key that sizes memory (noise_dim, data_dim, units; batch_size, d_steps) is
 * bounded, duplicates included. gan_config_set accepts only [-]digits for
 * these, which strtod reads the same. At most 16 layers of 16 x 16 per
 * network and 16 rows keep a model under 100 KB and a step under a
 * millisecond; the seeds' models are smaller still. */
static int small_enough(const uint8_t *data, size_t size)
{
    st_file file;
    if (st_parse(data, size, &file) != GAN_OK) return 1; /* every door fails at the parse */
    int small = 1;
    double batch = 1, steps = 1;
    for (size_t i = 0; i < file.metadata_count; i++) {
        const char *key = file.metadata[i].key;
        if (strncmp(key, "config.", 7) != 0) continue;
        double value = strtod(file.metadata[i].value, NULL);
        if (!(value == value)) continue; /* NaN: gan_config_set refuses it too */
        if (ends_with(key, ".units") || !strcmp(key, "config.noise_dim") ||
            !strcmp(key, "config.data_dim"))
            small &= value <= 16;
        else if (!strcmp(key, "config.batch_size") && value > batch)
            batch = value;
        else if (!strcmp(key, "config.d_steps") && value > steps)
            steps = value;
    }
    st_file_free(&file);
    return small && batch * steps <= 16;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    for (int which = 0; which < FUZZ_MODEL_COUNT; which++) {
        gan_config config;
        REQUIRE(fuzz_model_config(which, &config) == 0);
        REQUIRE(gan_create(&config, &models[which]) == GAN_OK);
        REQUIRE(fuzz_attach(models[which]));
        REQUIRE(gan_init_generator_bias(models[which]) == GAN_OK);
        REQUIRE(gan_train(models[which], 3, NULL) == GAN_OK);
        baselines[which] = checkpoint_bytes(models[which], &baseline_sizes[which]);
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    // into each existing model
    for (int which = 0; which < FUZZ_MODEL_COUNT; which++) {
        gan *model = models[which];
        gan_status status = gan_checkpoint_load(model, data, size);
        if (status != GAN_OK) {
            REQUIRE(is_load_error(status));
            REQUIRE(has_checkpoint_state(model, baselines[which], baseline_sizes[which]));
            continue;
        }
        require_round_trip(model);
        status = gan_train(model, 2, NULL);
        REQUIRE(status == GAN_OK || status == GAN_ERR_NON_FINITE);
        REQUIRE(gan_checkpoint_load(model, baselines[which], baseline_sizes[which]) == GAN_OK);
        REQUIRE(has_checkpoint_state(model, baselines[which], baseline_sizes[which]));
    }

    // as a new model
    if (!small_enough(data, size)) return 0;
    gan *model = NULL;
    gan_status status = gan_create_from_checkpoint(data, size, &model);
    if (status != GAN_OK) {
        REQUIRE(is_load_error(status) && model == NULL);
        return 0;
    }
    REQUIRE(model != NULL);
    require_round_trip(model);
    const gan_config *config = gan_get_config(model);
    size_t rows = (size_t)config->batch_size * (size_t)config->d_steps;
    float *images = calloc(rows * (size_t)config->data_dim, sizeof(float));
    REQUIRE(images);
    REQUIRE(gan_attach_data_f32(model, images, (uint32_t)rows) == GAN_OK);
    uint8_t *labels = calloc(rows, 1); /* class 0: in range of any model */
    REQUIRE(labels);
    if (config->conditional != GAN_CONDITIONAL_NONE) REQUIRE(gan_attach_labels(model, labels, (uint32_t)rows) == GAN_OK);
    status = gan_train(model, 1, NULL);
    REQUIRE(status == GAN_OK || status == GAN_ERR_NON_FINITE);
    gan_free(model);
    free(images);
    free(labels);
    return 0;
}
