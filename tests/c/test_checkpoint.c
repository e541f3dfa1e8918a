/*
 * test_checkpoint.c - gan_checkpoint_* and gan_create_from_checkpoint:
 * round trip, bit-identical resume, every truncation, hostile and
 * inconsistent files, and architecture mismatches. After every failed load
 * the live model must be exactly as it was.
 */
#include <math.h>
#include <sys/resource.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_models.h"
#include "gan.h"
#include "safetensors.h"
#include "test_util.h"

#define DATA_COUNT 30
static float data[DATA_COUNT * 3];

/* fuzz_models.h's model 0 (SGD) or 1 (Adam). */
static void tiny_config(gan_config *c, int adam)
{
    CHECK(fuzz_model_config(adam ? 1 : 0, c) == 0, "tiny config invalid");
}

static gan *make_model(const gan_config *c)
{
    gan *model = NULL;
    gan_status status = gan_create(c, &model);
    CHECK(status == GAN_OK, "create: %s", gan_status_string(status));
    if (!model) exit(1);
    gan_attach_data_f32(model, data, DATA_COUNT);
    return model;
}

static void test_round_trip(int adam)
{
    gan_config c;
    tiny_config(&c, adam);
    gan *model = make_model(&c);
    gan_train(model, 5, NULL);
    size_t size;
    uint8_t *buf = checkpoint_bytes(model, &size);

    // capacity one short: the size is reported and nothing is written
    uint8_t *small = malloc(size);
    memset(small, 0xab, size);
    size_t reported = 0;
    CHECK(gan_checkpoint_save(model, small, size - 1, &reported) == GAN_ERR_BUFFER_TOO_SMALL &&
              reported == size, "short buffer: %zu", reported);
    int untouched = 1;
    for (size_t i = 0; i < size; i++) untouched &= small[i] == 0xab;
    CHECK(untouched, "a failed save wrote into the buffer");
    free(small);

    // it is a safetensors file other tools can read
    st_file file;
    CHECK(st_parse(buf, size, &file) == GAN_OK, "parse");
    const st_tensor *w = st_find_tensor(&file, "generator.0.weight");
    CHECK(w && w->dtype == ST_F32 && w->rank == 2 && w->shape[0] == 2 && w->shape[1] == 5,
          "generator.0.weight");
    CHECK(st_find_tensor(&file, "discriminator.4.bias") != NULL, "discriminator.4.bias");
    const char *format = st_find_metadata(&file, "format");
    const char *version = st_find_metadata(&file, "version");
    CHECK(format && strcmp(format, "wasm-gan") == 0, "format");
    CHECK(version && atoi(version) == GAN_CHECKPOINT_VERSION, "version");
    CHECK(st_find_metadata(&file, "config") && st_find_metadata(&file, "config.batch_size"),
          "config metadata");
    st_file_free(&file);

    gan *copy = NULL;
    gan_status status = gan_create_from_checkpoint(buf, size, &copy);
    CHECK(status == GAN_OK, "create from checkpoint: %s", gan_status_string(status));
    if (copy) {
        CHECK(same_params(model, copy), "parameters differ after the round trip");
        CHECK(has_checkpoint_state(copy, buf, size), "saving the loaded model gives other bytes");
        char a[4096], b[4096];
        size_t la, lb;
        gan_config_to_json(gan_get_config(model), a, sizeof(a), &la);
        gan_config_to_json(gan_get_config(copy), b, sizeof(b), &lb);
        CHECK(la == lb && strcmp(a, b) == 0, "configs differ");
        gan_free(copy);
    }
    free(buf);
    gan_free(model);
}

/* Train N, save, load into a fresh model, train M == train N + M. */
static void test_resume(int adam, int via_load)
{
    gan_config c;
    tiny_config(&c, adam);
    gan *straight = make_model(&c);
    gan *first = make_model(&c);
    gan_train(straight, 7 + 9, NULL); // crosses several epochs of 30 rows
    gan_train(first, 7, NULL);
    size_t size;
    uint8_t *buf = checkpoint_bytes(first, &size);
    gan_free(first);

    gan *resumed = NULL;
    if (via_load) {
        // a model created from another seed, data attached before the load
        gan_config other = c;
        gan_config_set(&other, "seed", "12345");
        resumed = make_model(&other);
        gan_status status = gan_checkpoint_load(resumed, buf, size);
        CHECK(status == GAN_OK, "load: %s", gan_status_string(status));
        CHECK(gan_get_config(resumed)->seed == 77, "the checkpoint's seed was not adopted");
    } else {
        gan_status status = gan_create_from_checkpoint(buf, size, &resumed);
        CHECK(status == GAN_OK, "create: %s", gan_status_string(status));
        if (!resumed) exit(1);
        gan_attach_data_f32(resumed, data, DATA_COUNT); // data attached after
    }
    gan_step_stats a, b;
    gan_train(resumed, 9, &a);
    gan_train(straight, 0, NULL);
    CHECK(same_params(straight, resumed), "resume (%s, %s) is not bit-identical",
          adam ? "adam" : "sgd", via_load ? "load" : "create");
    // the counters continue too
    gan *again = make_model(&c);
    gan_train(again, 16, &b);
    CHECK(a.step == b.step && a.epoch == b.epoch && a.d_loss == b.d_loss &&
              a.d_learning_rate == b.d_learning_rate, "stats after resume");
    free(buf);
    gan_free(again);
    gan_free(resumed);
    gan_free(straight);
}

static void test_truncation(void)
{
    gan_config c;
    tiny_config(&c, 1);
    gan *source = make_model(&c), *target = make_model(&c);
    gan_train(source, 3, NULL);
    size_t size, target_size;
    uint8_t *buf = checkpoint_bytes(source, &size);
    uint8_t *before = checkpoint_bytes(target, &target_size);
    float *params, *snapshot;
    size_t count;
    gan_parameters(target, GAN_DISCRIMINATOR, &params, &count);
    snapshot = malloc(count * sizeof(float));
    memcpy(snapshot, params, count * sizeof(float));
    int wrong_status = 0, changed = 0, created = 0;
    for (size_t length = 0; length < size; length++) {
        uint8_t *cut = malloc(length ? length : 1); // exact size: reads past it would be caught by ASan
        memcpy(cut, buf, length);
        gan_status status = gan_checkpoint_load(target, cut, length);
        if (status != GAN_ERR_CHECKPOINT_TRUNCATED && wrong_status++ < 3)
            CHECK(0, "truncated to %zu of %zu: %s", length, size, gan_status_string(status));
        if (memcmp(params, snapshot, count * sizeof(float)) != 0) changed++;
        gan *model = NULL;
        if (gan_create_from_checkpoint(cut, length, &model) == GAN_OK || model) created++;
        free(cut);
    }
    CHECK(wrong_status == 0, "%d truncations gave another status", wrong_status);
    CHECK(changed == 0, "%d failed loads changed the model", changed);
    CHECK(created == 0, "%d truncated files created a model", created);
    CHECK(has_checkpoint_state(target, before, target_size), "the model changed");
    printf("truncation: all %zu lengths rejected\n", size);
    free(snapshot);
    free(before);
    free(buf);
    gan_free(source);
    gan_free(target);
}

/* ---- rewriting a checkpoint with one thing changed ---------------------- */

typedef struct edit {
    const char *drop_tensor;       /* omit this tensor */
    const char *retype_tensor;     /* write as I32 instead of F32 */
    const char *reshape_tensor;    /* swap its two dimensions */
    const char *poison_tensor;     /* a NaN in its first element */
    int add_tensor;                /* an extra tensor */
    const char *meta_key;          /* set (or with NULL value, drop) this metadata entry */
    const char *meta_value;
    int no_metadata;
} edit;

static uint8_t *rewrite(const uint8_t *buf, size_t size, const edit *e, size_t *out_size)
{
    st_file file;
    if (st_parse(buf, size, &file) != GAN_OK) return NULL;
    st_tensor_source *tensors = calloc(file.tensor_count + 1, sizeof(st_tensor_source));
    st_metadata_entry *meta = calloc(file.metadata_count + 1, sizeof(st_metadata_entry));
    void **copies = calloc(file.tensor_count, sizeof(void *));
    size_t nt = 0, nm = 0;
    for (size_t i = 0; i < file.tensor_count; i++) {
        const st_tensor *t = &file.tensors[i];
        if (e->drop_tensor && strcmp(t->name, e->drop_tensor) == 0) continue;
        st_tensor_source *s = &tensors[nt++];
        s->name = t->name;
        s->dtype = t->dtype;
        s->rank = t->rank;
        memcpy(s->shape, t->shape, sizeof(s->shape));
        copies[i] = malloc(t->byte_length ? t->byte_length : 1);
        memcpy(copies[i], t->data, t->byte_length);
        s->data = copies[i];
        if (e->retype_tensor && strcmp(t->name, e->retype_tensor) == 0) s->dtype = ST_I32;
        if (e->reshape_tensor && strcmp(t->name, e->reshape_tensor) == 0) {
            s->shape[0] = t->shape[1];
            s->shape[1] = t->shape[0];
        }
        if (e->poison_tensor && strcmp(t->name, e->poison_tensor) == 0) {
            float nan = NAN;
            memcpy(copies[i], &nan, sizeof(nan));
        }
    }
    static const float extra[2] = {1.0f, 2.0f};
    if (e->add_tensor) {
        st_tensor_source *s = &tensors[nt++];
        s->name = "extra.tensor";
        s->dtype = ST_F32;
        s->rank = 1;
        s->shape[0] = 2;
        s->data = extra;
    }
    int replaced = 0;
    for (size_t i = 0; i < file.metadata_count && !e->no_metadata; i++) {
        if (e->meta_key && strcmp(file.metadata[i].key, e->meta_key) == 0) {
            replaced = 1;
            if (!e->meta_value) continue;
            meta[nm++] = (st_metadata_entry){file.metadata[i].key, e->meta_value};
        } else {
            meta[nm++] = file.metadata[i];
        }
    }
    if (e->meta_key && e->meta_value && !replaced)
        meta[nm++] = (st_metadata_entry){e->meta_key, e->meta_value};
    st_writer writer = {tensors, nt, meta, nm};
    uint8_t *out = NULL;
    if (st_write_size(&writer, out_size) == GAN_OK) {
        out = malloc(*out_size);
        if (st_write(&writer, out, *out_size, out_size) != GAN_OK) {
            free(out);
            out = NULL;
        }
    }
    for (size_t i = 0; i < file.tensor_count; i++) free(copies[i]);
    free(copies);
    free(tensors);
    free(meta);
    st_file_free(&file);
    return out;
}

/* Replaces the first `pattern` in the header with `replacement` of the same length. */
static uint8_t *patch(const uint8_t *buf, size_t size, const char *pattern, const char *replacement)
{
    size_t n = strlen(pattern);
    if (strlen(replacement) != n) return NULL;
    uint8_t *out = malloc(size);
    memcpy(out, buf, size);
    for (size_t i = 8; i + n <= size; i++) {
        if (memcmp(out + i, pattern, n) == 0) {
            memcpy(out + i, replacement, n);
            return out;
        }
    }
    free(out);
    return NULL;
}

static void expect_rejected(gan *target, const uint8_t *before, size_t before_size,
                            const uint8_t *buf, size_t size, gan_status expected, const char *what)
{
    if (!buf) {
        CHECK(0, "%s: could not build the file", what);
        return;
    }
    gan_status status = gan_checkpoint_load(target, buf, size);
    CHECK(status == expected, "%s: %s, expected %s", what, gan_status_string(status),
          gan_status_string(expected));
    CHECK(has_checkpoint_state(target, before, before_size),
          "%s: the failed load changed the model", what);
    gan *created = NULL;
    status = gan_create_from_checkpoint(buf, size, &created);
    if (expected != GAN_ERR_CHECKPOINT_MISMATCH)
        CHECK(status == expected && created == NULL, "%s: create gave %s", what,
              gan_status_string(status));
    gan_free(created);
}

/* expect_rejected for buf rewritten by e. */
static void expect_edit_rejected(gan *target, const uint8_t *before, size_t before_size,
                                 const uint8_t *buf, size_t size, const edit *e,
                                 gan_status expected, const char *what)
{
    size_t n = 0;
    uint8_t *bad = rewrite(buf, size, e, &n);
    expect_rejected(target, before, before_size, bad, n, expected, what);
    free(bad);
}

/* The file as versions before 9 wrote it: without the column-norm limits
 * (the caller then sets "version"). */
static const edit before_9[] = {
    {.meta_key = "config.g.max_col_norm"}, {.meta_key = "config.d.max_col_norm"},
};
/* Before 8: without the class loss weights either. */
static const edit before_8[] = {
    {.meta_key = "config.g_class_loss_weight"}, {.meta_key = "config.d_fake_class_loss_weight"},
    before_9[0], before_9[1],
};
/* Before 7: without the step schedule's keys either. */
static const edit before_7[] = {
    {.meta_key = "config.g.learning_rate_step"}, {.meta_key = "config.g.learning_rate_step_factor"},
    {.meta_key = "config.d.learning_rate_step"}, {.meta_key = "config.d.learning_rate_step_factor"},
    before_8[0], before_8[1], before_8[2], before_8[3],
};

static uint8_t *apply_edits(const uint8_t *buf, size_t size, const edit *edits, size_t count,
                            size_t *out_size)
{
    size_t n = size;
    uint8_t *out = malloc(size);
    memcpy(out, buf, size);
    for (size_t i = 0; i < count && out; i++) {
        uint8_t *next = rewrite(out, n, &edits[i], &n);
        free(out);
        out = next;
    }
    *out_size = n;
    return out;
}

/* The file an older core wrote of a trained model's state: the current
 * file without `edits`, declared `version`. Checks that it loads and re-saves
 * as the current file, byte for byte; returns the loaded model (NULL if it
 * did not load) for the caller's checks of the keys that came later. */
static gan *load_older_file(const edit *edits, size_t count, const char *version)
{
    gan_config c;
    tiny_config(&c, 1);
    gan *source = make_model(&c);
    gan_train(source, 2, NULL);
    size_t size, n1, n_old = 0;
    uint8_t *current = checkpoint_bytes(source, &size);
    uint8_t *buf = apply_edits(current, size, edits, count, &n1);
    edit e = {.meta_key = "version", .meta_value = version};
    uint8_t *old = buf ? rewrite(buf, n1, &e, &n_old) : NULL;
    gan *loaded = NULL;
    CHECK(old && gan_create_from_checkpoint(old, n_old, &loaded) == GAN_OK,
          "a version-%s file loads", version);
    if (loaded) {
        size_t again_size;
        uint8_t *again = checkpoint_bytes(loaded, &again_size);
        CHECK(again_size == size && memcmp(again, current, size) == 0,
              "version %s: re-saved as the current version's file, byte for byte", version);
        free(again);
    }
    free(old);
    free(buf);
    free(current);
    gan_free(source);
    return loaded;
}

/* A version-6 file (no step schedule) loads without one. */
static void test_version_6(void)
{
    gan *loaded = load_older_file(before_7, sizeof(before_7) / sizeof(before_7[0]), "6");
    if (loaded) {
        const gan_config *lc = gan_get_config(loaded);
        CHECK(lc->generator_optimizer.learning_rate_step == 0 &&
                  lc->discriminator_optimizer.learning_rate_step == 0 &&
                  lc->generator_optimizer.learning_rate_step_factor == 0.1f,
              "no step schedule");
    }
    gan_free(loaded);
}

/* A version-7 file (no class loss weights) loads with both weights 1, the
 * AC-GAN's losses as before. */
static void test_version_7(void)
{
    gan *loaded = load_older_file(before_8, sizeof(before_8) / sizeof(before_8[0]), "7");
    if (loaded) {
        const gan_config *lc = gan_get_config(loaded);
        CHECK(lc->g_class_loss_weight == 1.0f && lc->d_fake_class_loss_weight == 1.0f,
              "the class loss weights 1");
    }
    gan_free(loaded);
}

/* A version-8 file (no column-norm limits) loads without them. */
static void test_version_8(void)
{
    gan *loaded = load_older_file(before_9, sizeof(before_9) / sizeof(before_9[0]), "8");
    if (loaded) {
        const gan_config *lc = gan_get_config(loaded);
        CHECK(lc->generator_optimizer.max_col_norm == 0.0f &&
                  lc->discriminator_optimizer.max_col_norm == 0.0f,
              "no column-norm limits");
    }
    gan_free(loaded);
}

/* The file as versions before 6 wrote it: without the adaptive k's keys and
 * state, nor version 7's (the caller then sets "version"). */
static uint8_t *before_version_6(const uint8_t *buf, size_t size, size_t *out_size)
{
    const edit edits[] = {
        {.drop_tensor = "train.d_steps"}, {.drop_tensor = "train.d_accuracy_average"},
        {.meta_key = "config.adaptive_k"}, {.meta_key = "config.d_steps_max"},
        {.meta_key = "config.d_accuracy_low"}, {.meta_key = "config.d_accuracy_high"},
        before_7[0], before_7[1], before_7[2], before_7[3], before_7[4], before_7[5],
        before_7[6], before_7[7],
    };
    return apply_edits(buf, size, edits, sizeof(edits) / sizeof(edits[0]), out_size);
}

/* A version-1 file (no preset) still loads, with the preset unknown, and
 * trains on exactly as the version-2 file of the same state. */
static void test_version_1(void)
{
    gan_config c;
    tiny_config(&c, 0);
    memcpy(c.preset, "small", 6);
    gan *source = make_model(&c);
    gan_train(source, 3, NULL);
    size_t size, n1, n;
    uint8_t *current = checkpoint_bytes(source, &size);
    uint8_t *buf = before_version_6(current, size, &size); /* then the older edits */
    free(current);
    edit e;
    memset(&e, 0, sizeof(e));
    e.meta_key = "config.preset";
    uint8_t *no_preset = rewrite(buf, size, &e, &n1);
    e.meta_key = "version";
    e.meta_value = "1";
    uint8_t *old = rewrite(no_preset, n1, &e, &n);
    gan *loaded = NULL;
    CHECK(old && gan_create_from_checkpoint(old, n, &loaded) == GAN_OK, "a version-1 file loads");
    if (loaded) {
        CHECK(gan_get_config(loaded)->preset[0] == '\0', "its preset is unknown");
        double step = 0;
        CHECK(gan_position(loaded, &step, NULL) == GAN_OK && step == 3, "at step %g", step);
        CHECK(gan_checkpoint_load(source, old, n) == GAN_OK, "and into a model of its shape");
    }
    gan_free(loaded);
    free(old);
    free(no_preset);
    free(buf);
    gan_free(source);
}

/* A version-2 file (no data shape) loads with the shape derived from
 * data_dim, and into a model of its shape. */
static void test_version_2(void)
{
    gan_config c;
    tiny_config(&c, 1);
    gan *source = make_model(&c);
    gan_train(source, 2, NULL);
    size_t size, n1, n2, n;
    uint8_t *current = checkpoint_bytes(source, &size);
    uint8_t *buf = before_version_6(current, size, &size); /* then the older edits */
    free(current);
    edit e;
    memset(&e, 0, sizeof(e));
    e.meta_key = "config.data_channels";
    uint8_t *a = rewrite(buf, size, &e, &n1);
    e.meta_key = "config.data_height";
    uint8_t *b = a ? rewrite(a, n1, &e, &n2) : NULL;
    e.meta_key = "config.data_width";
    uint8_t *no_shape = b ? rewrite(b, n2, &e, &n) : NULL;
    e.meta_key = "version";
    e.meta_value = "2";
    size_t n_old = 0;
    uint8_t *old = no_shape ? rewrite(no_shape, n, &e, &n_old) : NULL;
    gan *loaded = NULL;
    CHECK(old && gan_create_from_checkpoint(old, n_old, &loaded) == GAN_OK, "a version-2 file loads");
    if (loaded) {
        const gan_config *lc = gan_get_config(loaded);
        CHECK(lc->data_channels == 0 && lc->data_height == 0 && lc->data_width == 0, "shape from data_dim");
        CHECK(gan_checkpoint_load(source, old, n_old) == GAN_OK, "and into a model of its shape");
        // and it saves as the current version, as the model it loaded into
        size_t again_size;
        uint8_t *again = checkpoint_bytes(source, &again_size);
        CHECK(has_checkpoint_state(loaded, again, again_size), "re-saved as the current version's file");
        free(again);
    }
    gan_free(loaded);
    free(old);
    free(no_shape);
    free(b);
    free(a);
    free(buf);
    gan_free(source);
}

/* A version-4 file (no gcn_scale, no output_bias_init) loads without
 * contrast normalisation and with the output bias from the data, as
 * models were before version 5. */
static void test_version_4(void)
{
    gan_config c;
    tiny_config(&c, 1);
    gan *source = make_model(&c);
    gan_train(source, 2, NULL);
    size_t size, n1, n2, n_old = 0;
    uint8_t *current = checkpoint_bytes(source, &size);
    uint8_t *buf = before_version_6(current, size, &size); /* then the older edits */
    free(current);
    edit e;
    memset(&e, 0, sizeof(e));
    e.meta_key = "config.gcn_scale";
    uint8_t *a = rewrite(buf, size, &e, &n1);
    e.meta_key = "config.output_bias_init";
    uint8_t *b = a ? rewrite(a, n1, &e, &n2) : NULL;
    e.meta_key = "version";
    e.meta_value = "4";
    uint8_t *old = b ? rewrite(b, n2, &e, &n_old) : NULL;
    gan *loaded = NULL;
    CHECK(old && gan_create_from_checkpoint(old, n_old, &loaded) == GAN_OK, "a version-4 file loads");
    if (loaded) {
        const gan_config *lc = gan_get_config(loaded);
        CHECK(lc->gcn_scale == 0.0f && lc->output_bias_init == GAN_OUTPUT_BIAS_DATA,
              "no contrast normalisation, the output bias from the data");
        CHECK(gan_checkpoint_load(source, old, n_old) == GAN_OK, "and into a model of its shape");
        size_t again_size;
        uint8_t *again = checkpoint_bytes(source, &again_size);
        CHECK(has_checkpoint_state(loaded, again, again_size), "re-saved as the current version's file");
        free(again);
    }
    gan_free(loaded);
    free(old);
    free(b);
    free(a);
    free(buf);
    gan_free(source);
}

/* A convolutional model with every image layer kind, at odd sizes: it saves
 * its weights in the documented layouts, comes back bit for bit, resumes
 * identically, and refuses a file of another kernel. */
#define CONV_DIM (2 * 5 * 5)
static float conv_data[DATA_COUNT * CONV_DIM];

static void conv_config(gan_config *c)
{
    gan_preset("conv", c);
    const char *settings[][2] = {
        {"noise_dim", "3"}, {"data_dim", "50"}, {"data_channels", "2"}, {"data_height", "5"},
        {"data_width", "5"}, {"batch_size", "4"}, {"seed", "5"},
        {"g.layer_count", "8"},
        {"g.layers.0.kind", "dense"}, {"g.layers.0.units", "18"}, {"g.layers.0.init_range", "0.5"},
        {"g.layers.1.kind", "relu"},
        {"g.layers.2.kind", "reshape"}, {"g.layers.2.channels", "2"}, {"g.layers.2.height", "3"},
        {"g.layers.2.width", "3"},
        {"g.layers.3.kind", "conv_transpose"}, {"g.layers.3.channels", "4"}, {"g.layers.3.kernel", "3"},
        {"g.layers.3.stride", "2"}, {"g.layers.3.padding", "1"}, {"g.layers.3.untied_bias", "1"},
        {"g.layers.3.init_range", "0.4"},
        {"g.layers.4.kind", "tanh"},
        {"g.layers.5.kind", "conv"}, {"g.layers.5.channels", "2"}, {"g.layers.5.kernel", "3"},
        {"g.layers.5.stride", "1"}, {"g.layers.5.padding", "1"}, {"g.layers.5.init_range", "0.4"},
        {"g.layers.6.kind", "sigmoid"},
        {"g.layer_count", "7"},
        {"d.layer_count", "6"},
        {"d.layers.0.kind", "conv"}, {"d.layers.0.channels", "6"}, {"d.layers.0.kernel", "2"},
        {"d.layers.0.stride", "1"}, {"d.layers.0.padding", "1"}, {"d.layers.0.init_range", "0.5"},
        {"d.layers.1.kind", "maxout"}, {"d.layers.1.pieces", "3"},
        {"d.layers.2.kind", "max_pool"}, {"d.layers.2.kernel", "3"}, {"d.layers.2.stride", "2"},
        {"d.layers.2.padding", "0"}, {"d.layers.2.ceil_mode", "1"},
        {"d.layers.3.kind", "leaky_relu"}, {"d.layers.3.slope", "0.2"},
        {"d.layers.4.kind", "dense"}, {"d.layers.4.units", "1"}, {"d.layers.4.init_range", "0.3"},
        {"d.layer_count", "5"},
    };
    for (size_t i = 0; i < sizeof(settings) / sizeof(settings[0]); i++)
        CHECK(gan_config_set(c, settings[i][0], settings[i][1]) == GAN_OK, "%s", settings[i][0]);
    char why[256];
    CHECK(gan_config_explain(c, why, sizeof(why)) == GAN_OK, "conv config invalid: %s", why);
}

static void test_conv(void)
{
    for (int i = 0; i < DATA_COUNT * CONV_DIM; i++) conv_data[i] = (float)((i * 53) % 97) / 96.0f;
    gan_config c;
    conv_config(&c);
    gan *model = NULL;
    CHECK(gan_create(&c, &model) == GAN_OK, "create");
    if (!model) return;
    gan_attach_data_f32(model, conv_data, DATA_COUNT);
    CHECK(gan_init_generator_bias(model) == GAN_OK, "untied output bias from the data");
    CHECK(gan_train(model, 3, NULL) == GAN_OK, "train");
    size_t size;
    uint8_t *buf = checkpoint_bytes(model, &size);
    st_file file;
    CHECK(st_parse(buf, size, &file) == GAN_OK, "parse");
    struct { const char *name; uint32_t rank; uint64_t shape[4]; } want[] = {
        {"generator.0.weight", 2, {3, 18}},
        {"generator.3.weight", 4, {3, 3, 4, 2}},  /* [k, k, out channels, in channels] */
        {"generator.3.bias", 3, {5, 5, 4}},       /* untied: [OH, OW, channels] */
        {"generator.5.weight", 4, {3, 3, 4, 2}},  /* [k, k, in channels, out channels] */
        {"generator.5.bias", 1, {2}},
        {"discriminator.0.weight", 4, {2, 2, 2, 6}},
        {"discriminator.0.bias", 1, {6}},
        {"discriminator.4.weight", 2, {2 * 3 * 3, 1}}, /* pooled 2 x 6 x 6 -> 2 x 3 x 3 (ceil) */
    };
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        const st_tensor *t = st_find_tensor(&file, want[i].name);
        int same = t && t->dtype == ST_F32 && t->rank == want[i].rank;
        for (uint32_t d = 0; same && d < want[i].rank; d++) same = t->shape[d] == want[i].shape[d];
        CHECK(same, "%s: rank %u shape %llu x %llu x %llu x %llu", want[i].name,
              t ? t->rank : 0, t ? (unsigned long long)t->shape[0] : 0,
              t ? (unsigned long long)t->shape[1] : 0, t ? (unsigned long long)t->shape[2] : 0,
              t ? (unsigned long long)t->shape[3] : 0);
    }
    CHECK(st_find_tensor(&file, "generator.2.weight") == NULL, "a reshape has no weights");
    st_file_free(&file);

    // back bit for bit, and on identically
    gan *copy = NULL;
    CHECK(gan_create_from_checkpoint(buf, size, &copy) == GAN_OK, "create from the file");
    if (copy) {
        gan_attach_data_f32(copy, conv_data, DATA_COUNT);
        size_t copy_size;
        uint8_t *copy_buf = checkpoint_bytes(copy, &copy_size);
        CHECK(copy_size == size && memcmp(copy_buf, buf, size) == 0, "same bytes");
        free(copy_buf);
        gan_train(model, 2, NULL);
        gan_train(copy, 2, NULL);
        uint8_t *a = checkpoint_bytes(model, &size), *b = checkpoint_bytes(copy, &copy_size);
        CHECK(copy_size == size && memcmp(a, b, size) == 0, "resumes identically");
        free(a);
        free(b);
    }
    // another kernel is another architecture
    gan_config other = c;
    gan_config_set(&other, "d.layers.0.kernel", "3");
    gan *different = NULL;
    CHECK(gan_create(&other, &different) == GAN_OK, "create the other");
    if (different) CHECK(gan_checkpoint_load(different, buf, size) == GAN_ERR_CHECKPOINT_MISMATCH, "kernel 3 vs 2");
    gan_free(different);
    gan_free(copy);
    gan_free(model);
    free(buf);
}

/* A few-KB file that declares a model of gigabytes (its metadata, without
 * its tensors) is refused before the model is built: under an address-space
 * limit far below that model, the answer is MALFORMED, not OUT_OF_MEMORY.
 * Runs last: the limit stays for the rest of the process. */
static void test_declared_but_absent(void)
{
    gan_config c;
    gan_preset("small", &c);
    gan *model = make_model(&c);
    size_t size;
    uint8_t *buf = checkpoint_bytes(model, &size);
    gan_free(model);
    st_file file;
    CHECK(st_parse(buf, size, &file) == GAN_OK, "parse");
    st_metadata_entry *meta = calloc(file.metadata_count, sizeof(*meta));
    size_t nm = 0;
    for (size_t i = 0; i < file.metadata_count; i++) {
        meta[nm] = file.metadata[i];
        // G 64 -> 12000 -> 12000 -> 784: 154M parameters, ~2 GB with gradients and Adam
        if (strcmp(meta[nm].key, "config.g.layers.0.units") == 0 ||
            strcmp(meta[nm].key, "config.g.layers.2.units") == 0)
            meta[nm].value = "12000";
        if (strcmp(meta[nm].key, "config") != 0) nm++; /* the JSON copy is for people */
    }
    st_writer writer = {NULL, 0, meta, nm};
    size_t n = 0;
    CHECK(st_write_size(&writer, &n) == GAN_OK && n < 16384, "a metadata-only file of %zu bytes", n);
    uint8_t *small = malloc(n);
    CHECK(st_write(&writer, small, n, &n) == GAN_OK, "write");
    st_file_free(&file);
    free(meta);
    free(buf);

    struct rlimit limit = {512u << 20, 512u << 20};
    struct rlimit old;
    getrlimit(RLIMIT_AS, &old);
    if (old.rlim_cur == RLIM_INFINITY || old.rlim_cur > limit.rlim_cur) setrlimit(RLIMIT_AS, &limit);
    gan *created = NULL;
    gan_status status = gan_create_from_checkpoint(small, n, &created);
    CHECK(status == GAN_ERR_CHECKPOINT_MALFORMED && !created, "declared, absent: %s",
          gan_status_string(status));
    free(small);
}

static void test_hostile(void)
{
    gan_config c;
    tiny_config(&c, 0);
    gan *source = make_model(&c), *target = make_model(&c);
    gan_train(source, 2, NULL);
    gan_train(target, 1, NULL);
    size_t size, before_size, n;
    uint8_t *buf = checkpoint_bytes(source, &size), *bad;
    uint8_t *before = checkpoint_bytes(target, &before_size);

    // the unmodified file loads (into a copy, so target stays as it was)
    gan *scratch = make_model(&c);
    CHECK(gan_checkpoint_load(scratch, buf, size) == GAN_OK, "the valid file");
    gan_free(scratch);

    // wrong magic: not a safetensors header at all, and a huge header length
    bad = malloc(size);
    memcpy(bad, buf, size);
    memset(bad, 0xff, 8);
    expect_rejected(target, before, before_size, bad, size, GAN_ERR_CHECKPOINT_MALFORMED,
                    "header length 2^64-1");
    memcpy(bad, buf, size);
    bad[7] = 0x01; // 2^56 + N
    expect_rejected(target, before, before_size, bad, size, GAN_ERR_CHECKPOINT_MALFORMED,
                    "header length 2^56");
    memcpy(bad, buf, size);
    bad[8] = '[';
    expect_rejected(target, before, before_size, bad, size, GAN_ERR_CHECKPOINT_MALFORMED,
                    "header not an object");
    free(bad);
    const uint8_t zeros[16] = {0};
    expect_rejected(target, before, before_size, zeros, sizeof(zeros), GAN_ERR_CHECKPOINT_MALFORMED,
                    "all zeros");

    // format and version
    edit e;
    memset(&e, 0, sizeof(e));
    e.meta_key = "format";
    e.meta_value = "pytorch";
    expect_edit_rejected(target, before, before_size, buf, size, &e, GAN_ERR_CHECKPOINT_VERSION,
                         "format");
    char next_version[16]; // a newer format than this core writes
    snprintf(next_version, sizeof(next_version), "%d", GAN_CHECKPOINT_VERSION + 1);
    e.meta_key = "version";
    e.meta_value = next_version;
    expect_edit_rejected(target, before, before_size, buf, size, &e, GAN_ERR_CHECKPOINT_VERSION,
                         "the next version");
    e.meta_value = "02";
    expect_edit_rejected(target, before, before_size, buf, size, &e, GAN_ERR_CHECKPOINT_VERSION,
                         "version 02");
    // version 2 added the preset: a version-2 file must have it
    memset(&e, 0, sizeof(e));
    e.meta_key = "config.preset";
    expect_edit_rejected(target, before, before_size, buf, size, &e, GAN_ERR_CHECKPOINT_MALFORMED,
                         "version 2 without its preset");
    // version 3 added the data's shape: a version-3 file must have it
    memset(&e, 0, sizeof(e));
    e.meta_key = "config.data_height";
    expect_edit_rejected(target, before, before_size, buf, size, &e, GAN_ERR_CHECKPOINT_MALFORMED,
                         "version 3 without data_height");
    // version 4 added generator_average
    memset(&e, 0, sizeof(e));
    e.meta_key = "config.generator_average";
    expect_edit_rejected(target, before, before_size, buf, size, &e, GAN_ERR_CHECKPOINT_MALFORMED,
                         "version 4 without generator_average");
    // version 5 added gcn_scale and output_bias_init
    memset(&e, 0, sizeof(e));
    e.meta_key = "config.gcn_scale";
    expect_edit_rejected(target, before, before_size, buf, size, &e, GAN_ERR_CHECKPOINT_MALFORMED,
                         "version 5 without gcn_scale");
    // version 6 added conditional and classes
    memset(&e, 0, sizeof(e));
    e.meta_key = "config.conditional";
    expect_edit_rejected(target, before, before_size, buf, size, &e, GAN_ERR_CHECKPOINT_MALFORMED,
                         "version 6 without conditional");
    // version 6 added the adaptive k: its keys and its state
    memset(&e, 0, sizeof(e));
    e.meta_key = "config.adaptive_k";
    expect_edit_rejected(target, before, before_size, buf, size, &e, GAN_ERR_CHECKPOINT_MALFORMED,
                         "version 6 without adaptive_k");
    memset(&e, 0, sizeof(e));
    e.drop_tensor = "train.d_steps";
    expect_edit_rejected(target, before, before_size, buf, size, &e, GAN_ERR_CHECKPOINT_MALFORMED,
                         "version 6 without train.d_steps");
    // version 7 added the learning rates' step schedule
    memset(&e, 0, sizeof(e));
    e.meta_key = "config.d.learning_rate_step_factor";
    expect_edit_rejected(target, before, before_size, buf, size, &e, GAN_ERR_CHECKPOINT_MALFORMED,
                         "version 7 without d.learning_rate_step_factor");
    // version 8 added the class loss weights
    memset(&e, 0, sizeof(e));
    e.meta_key = "config.d_fake_class_loss_weight";
    expect_edit_rejected(target, before, before_size, buf, size, &e, GAN_ERR_CHECKPOINT_MALFORMED,
                         "version 8 without d_fake_class_loss_weight");
    // version 9 added the column-norm limits
    memset(&e, 0, sizeof(e));
    e.meta_key = "config.g.max_col_norm";
    expect_edit_rejected(target, before, before_size, buf, size, &e, GAN_ERR_CHECKPOINT_MALFORMED,
                         "version 9 without g.max_col_norm");
    memset(&e, 0, sizeof(e));
    e.no_metadata = 1;
    expect_edit_rejected(target, before, before_size, buf, size, &e, GAN_ERR_CHECKPOINT_VERSION,
                         "no metadata");

    // the configuration
    memset(&e, 0, sizeof(e));
    e.meta_key = "config.batch_size";
    expect_edit_rejected(target, before, before_size, buf, size, &e, GAN_ERR_CHECKPOINT_MALFORMED,
                         "a config key missing");
    e.meta_value = "zero";
    expect_edit_rejected(target, before, before_size, buf, size, &e, GAN_ERR_CHECKPOINT_MALFORMED,
                         "a config value unparsable");
    e.meta_key = "config.data_dim";
    e.meta_value = "4";
    expect_edit_rejected(target, before, before_size, buf, size, &e, GAN_ERR_CHECKPOINT_MALFORMED,
                         "an inconsistent config");

    // tensors: missing, wrong dtype, shape disagreeing with the config, NaN, extra
    struct { edit e; const char *what; } cases[] = {
        {{.drop_tensor = "generator.2.weight"}, "a missing weight"},
        {{.drop_tensor = "train.rng"}, "a missing rng state"},
        {{.drop_tensor = "discriminator_optimizer.velocity"}, "missing optimizer state"},
        {{.retype_tensor = "discriminator.1.weight"}, "a weight as I32"},
        {{.reshape_tensor = "generator.0.weight"}, "a transposed weight"},
        {{.poison_tensor = "discriminator.4.weight"}, "a NaN weight"},
        {{.poison_tensor = "generator_optimizer.velocity"}, "a NaN velocity"},
        {{.add_tensor = 1}, "an extra tensor"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        bad = rewrite(buf, size, &cases[i].e, &n);
        expect_rejected(target, before, before_size, bad, n, GAN_ERR_CHECKPOINT_MALFORMED,
                        cases[i].what);
        free(bad);
    }

    // offsets and shapes edited in the header text, lengths unchanged
    bad = patch(buf, size, "\"data_offsets\":[0,", "\"data_offsets\":[4,");
    expect_rejected(target, before, before_size, bad, size, GAN_ERR_CHECKPOINT_MALFORMED,
                    "overlapping offsets");
    free(bad);
    bad = patch(buf, size, "\"shape\":[2,5]", "\"shape\":[2,6]");
    expect_rejected(target, before, before_size, bad, size, GAN_ERR_CHECKPOINT_MALFORMED,
                    "a shape that disagrees with its data");
    free(bad);
    {
        // the last tensor's end offset pushed past the buffer
        uint8_t *copy = malloc(size);
        memcpy(copy, buf, size);
        char *header = (char *)copy + 8;
        uint64_t header_size = 0;
        for (int i = 7; i >= 0; i--) header_size = header_size << 8 | copy[i];
        char *last = NULL;
        for (char *p = header; p < header + header_size - 16; p++)
            if (memcmp(p, "\"data_offsets\":[", 16) == 0) last = p;
        char *end = last ? strchr(last, ',') : NULL;
        int patched = 0;
        if (end) {
            for (char *d = end + 1; *d >= '0' && *d <= '9'; d++) *d = '9';
            patched = 1;
        }
        gan_status status = gan_checkpoint_load(target, copy, size);
        CHECK(patched && (status == GAN_ERR_CHECKPOINT_MALFORMED ||
                          status == GAN_ERR_CHECKPOINT_TRUNCATED),
              "offset out of range: %s", gan_status_string(status));
        CHECK(has_checkpoint_state(target, before, before_size),
              "offset out of range changed the model");
        free(copy);
    }
    CHECK(gan_checkpoint_load(target, NULL, 10) == GAN_ERR_INVALID_ARGUMENT, "NULL buffer");
    CHECK(gan_checkpoint_load(NULL, buf, size) == GAN_ERR_INVALID_ARGUMENT, "NULL model");
    free(buf);
    free(before);
    gan_free(source);
    gan_free(target);
}

static void test_mismatch(void)
{
    gan_config c, other;
    tiny_config(&c, 0);
    gan *source = make_model(&c);
    size_t size, before_size;
    uint8_t *buf = checkpoint_bytes(source, &size);
    const char *changes[][2] = {
        {"g.layers.0.units", "6"}, {"d.optimizer", "adam"}, {"batch_size", "5"},
        {"noise_dim", "3"}, {"d.layers.3.kind", "relu"},
    };
    for (size_t i = 0; i < sizeof(changes) / sizeof(changes[0]); i++) {
        tiny_config(&other, 0);
        gan_config_set(&other, changes[i][0], changes[i][1]);
        gan *target = make_model(&other);
        uint8_t *before = checkpoint_bytes(target, &before_size);
        expect_rejected(target, before, before_size, buf, size, GAN_ERR_CHECKPOINT_MISMATCH,
                        changes[i][0]);
        free(before);
        gan_free(target);
    }
    // hyperparameters are not architecture: they come from the file
    tiny_config(&other, 0);
    gan_config_set(&other, "d.learning_rate", "0.5");
    gan_config_set(&other, "generator_loss", "minimax");
    gan *target = make_model(&other);
    CHECK(gan_checkpoint_load(target, buf, size) == GAN_OK, "hyperparameters only");
    CHECK(gan_get_config(target)->discriminator_optimizer.learning_rate == 0.1f &&
              gan_get_config(target)->generator_loss == GAN_LOSS_NON_SATURATING,
          "the file's hyperparameters were not adopted");
    gan_free(target);
    free(buf);
    gan_free(source);
}

int main(void)
{
    for (int i = 0; i < DATA_COUNT * 3; i++) data[i] = (float)((i * 37) % 101) / 100.0f;
    test_round_trip(0);
    test_round_trip(1);
    test_resume(0, 0);
    test_resume(0, 1);
    test_resume(1, 0);
    test_resume(1, 1);
    test_truncation();
    test_hostile();
    test_version_1();
    test_version_2();
    test_version_4();
    test_version_6();
    test_version_7();
    test_version_8();
    test_conv();
    test_declared_but_absent();
    test_mismatch();
    return test_summary("test_checkpoint");
}
