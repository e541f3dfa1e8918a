/*
 * engine.c - wasm-gan-native: the native engine the CLI trains on
 * (`wasm-gan train|reproduce --engine native`, cli/native-engine.js).
 *
 * The same core as the wasm modules, built natively (AVX2 GEMMs when the CPU
 * has them, threads on pthreads), so a run gives the same bits as in wasm and
 * its checkpoints go both ways. The CLI drives it over a line protocol: one
 * command per line on stdin, one JSON object per line on stdout for each.
 *
 *   threads N                          GEMM threads (1..16)            {"ok":true,"threads":N,"kernel":K}
 *   create PRESET [KEY=VALUE]...       a new model: gan_preset, then gan_config_set per pair, in order
 *                                                                      {"ok":true,"step":0,"config":{...}}
 *   load PATH                          a model from a checkpoint file  {"ok":true,"step":S,"config":{...}}
 *   data PATH OFFSET COUNT [LPATH LOFFSET]
 *                                      attach COUNT images of data_dim u8 pixels read from PATH at byte
 *                                      OFFSET (an IDX file: 16), and their COUNT label bytes from LPATH at
 *                                      LOFFSET (an IDX label file: 8) if given; a new model then gets the
 *                                      paper's output bias, a loaded one its data position back
 *                                                                      {"ok":true,"count":COUNT}
 *   train N                            N iterations                    {"ok":true,"stats":{...}}
 *   save PATH                          the checkpoint (written to PATH.tmp, then renamed)
 *                                                                      {"ok":true,"bytes":B,"step":S}
 *   position                                                           {"ok":true,"step":S,"epoch":E}
 *   quit                               (or the end of stdin)
 *
 * A failed command answers {"ok":false,"status":"GAN_ERR_...","error":"..."} (train: with the stats of
 * the last step run) and leaves the model as it was. The engine ignores SIGINT: the CLI decides what
 * Ctrl-C does (save, then quit).
 */
#define _POSIX_C_SOURCE 200809L
#include "gan.h"
#include "gemm.h"
#include "threads.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct engine {
    gan *model;
    uint8_t *images;        /* the attached block */
    uint8_t *labels;        /* its labels, or NULL */
    uint32_t image_count;
    uint8_t *checkpoint;    /* the file a loaded model came from: loaded again once data is attached */
    size_t checkpoint_size;
    int fresh;              /* created from a preset, no step trained yet */
} engine;

static void reply_error(gan_status status, const char *what)
{
    printf("{\"ok\":false,\"status\":\"%s\",\"error\":\"", gan_status_name(status));
    for (const char *p = what; *p; p++) {
        if ((unsigned char)*p < 0x20) continue;
        if (*p == '"' || *p == '\\') putchar('\\');
        putchar(*p);
    }
    printf("\"}\n");
}

static void print_number(double value)
{
    if (isfinite(value)) printf("%.17g", value);
    else printf("null");
}

static void print_stats(const gan_step_stats *s)
{
    const struct { const char *name; double value; } fields[] = {
        {"step", s->step}, {"epoch", s->epoch}, {"d_loss", s->d_loss}, {"g_loss", s->g_loss},
        {"d_real", s->d_real}, {"d_fake", s->d_fake}, {"d_grad_norm", s->d_grad_norm},
        {"g_grad_norm", s->g_grad_norm}, {"d_learning_rate", s->d_learning_rate},
        {"g_learning_rate", s->g_learning_rate}, {"momentum", s->momentum},
        {"non_finite", s->non_finite}, {"non_finite_total", s->non_finite_total},
        {"d_steps", s->d_steps}, {"d_accuracy", s->d_accuracy},
    };
    printf("{");
    for (size_t i = 0; i < sizeof fields / sizeof *fields; i++) {
        printf("%s\"%s\":", i ? "," : "", fields[i].name);
        print_number(fields[i].value);
    }
    printf("}");
}

/* {"ok":true,"step":S,"config":{...}} for a model just made. */
static void reply_model(const gan *model)
{
    double step = 0;
    gan_position(model, &step, NULL);
    size_t length = 0;
    gan_config_to_json(gan_get_config(model), NULL, 0, &length);
    char *json = malloc(length + 1);
    if (!json || gan_config_to_json(gan_get_config(model), json, length + 1, &length) != GAN_OK) {
        free(json);
        reply_error(GAN_ERR_OUT_OF_MEMORY, "config to JSON");
        return;
    }
    printf("{\"ok\":true,\"step\":%.0f,\"config\":%s}\n", step, json);
    free(json);
}

static void drop_model(engine *e)
{
    gan_free(e->model);
    free(e->checkpoint);
    e->model = NULL;
    e->checkpoint = NULL;
    e->checkpoint_size = 0;
    e->fresh = 0;
}

static uint8_t *read_file(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    uint8_t *bytes = NULL;
    long length = -1;
    if (fseek(f, 0, SEEK_END) == 0) length = ftell(f);
    if (length >= 0 && fseek(f, 0, SEEK_SET) == 0) {
        bytes = malloc(length ? (size_t)length : 1);
        if (bytes && fread(bytes, 1, (size_t)length, f) != (size_t)length) {
            free(bytes);
            bytes = NULL;
        }
    }
    fclose(f);
    if (bytes) *size = (size_t)length;
    return bytes;
}

static void command_create(engine *e, char *args)
{
    gan_config config;
    char *preset = strtok(args, " ");
    gan_status status = gan_preset(preset ? preset : "", &config);
    if (status != GAN_OK) {
        reply_error(status, "unknown preset");
        return;
    }
    for (char *pair; (pair = strtok(NULL, " ")) != NULL;) {
        char *value = strchr(pair, '=');
        if (!value) {
            reply_error(GAN_ERR_INVALID_ARGUMENT, "create: KEY=VALUE expected");
            return;
        }
        *value++ = '\0';
        status = gan_config_set(&config, pair, value);
        if (status != GAN_OK) {
            char message[300];
            snprintf(message, sizeof message, "%s=%s: %s", pair, value, gan_status_string(status));
            reply_error(status, message);
            return;
        }
    }
    gan *model = NULL;
    status = gan_create(&config, &model);
    if (status != GAN_OK) {
        reply_error(status, gan_status_string(status));
        return;
    }
    drop_model(e);
    e->model = model;
    e->fresh = 1;
    reply_model(model);
}

static void command_load(engine *e, const char *path)
{
    size_t size = 0;
    uint8_t *bytes = read_file(path, &size);
    if (!bytes) {
        reply_error(GAN_ERR_INVALID_ARGUMENT, strerror(errno));
        return;
    }
    gan *model = NULL;
    const gan_status status = gan_create_from_checkpoint(bytes, size, &model);
    if (status != GAN_OK) {
        free(bytes);
        reply_error(status, gan_status_string(status));
        return;
    }
    drop_model(e);
    e->model = model;
    e->checkpoint = bytes;
    e->checkpoint_size = size;
    reply_model(model);
}

/* `bytes` bytes of the file at `path` from byte `offset`, or NULL. */
static uint8_t *read_bytes(const char *path, long long offset, size_t bytes)
{
    uint8_t *out = malloc(bytes ? bytes : 1);
    FILE *f = fopen(path, "rb");
    const int ok = out && f && fseek(f, (long)offset, SEEK_SET) == 0 && fread(out, 1, bytes, f) == bytes;
    if (f) fclose(f);
    if (ok) return out;
    free(out);
    return NULL;
}

static void command_data(engine *e, const char *args)
{
    char path[4096], label_path[4096];
    long long offset = 0, count = 0, label_offset = 0;
    if (!e->model) {
        reply_error(GAN_ERR_INVALID_ARGUMENT, "data: no model (create or load first)");
        return;
    }
    const int fields = sscanf(args, "%4095s %lld %lld %4095s %lld", path, &offset, &count, label_path,
                              &label_offset);
    if ((fields != 3 && fields != 5) || offset < 0 || count <= 0 || count > 0x7fffffff ||
        label_offset < 0) {
        reply_error(GAN_ERR_INVALID_ARGUMENT, "data PATH OFFSET COUNT [LABEL_PATH LABEL_OFFSET]");
        return;
    }
    const size_t dim = (size_t)gan_get_config(e->model)->data_dim;
    uint8_t *images = read_bytes(path, offset, (size_t)count * dim);
    uint8_t *labels = fields == 5 ? read_bytes(label_path, label_offset, (size_t)count) : NULL;
    if (!images || (fields == 5 && !labels)) {
        free(images);
        free(labels);
        reply_error(GAN_ERR_INVALID_ARGUMENT, !images ? "data: cannot read COUNT x data_dim bytes at OFFSET"
                                                      : "data: cannot read COUNT label bytes at LABEL_OFFSET");
        return;
    }
    gan_status status = gan_attach_data(e->model, images, (uint32_t)count);
    if (status == GAN_OK && labels) status = gan_attach_labels(e->model, labels, (uint32_t)count);
    /* As the wasm worker does: a new model gets the output bias from the data;
     * a loaded one takes its data position from the file again (attaching
     * restarts the epoch of a model that had no data). */
    if (status == GAN_OK && e->fresh) status = gan_init_generator_bias(e->model);
    if (status == GAN_OK && e->checkpoint) status = gan_checkpoint_load(e->model, e->checkpoint, e->checkpoint_size);
    if (status != GAN_OK) {
        /* the model keeps its old block (or none): attach it again */
        if (e->images) gan_attach_data(e->model, e->images, e->image_count);
        if (e->images && e->labels) gan_attach_labels(e->model, e->labels, e->image_count);
        free(images);
        free(labels);
        reply_error(status, status == GAN_ERR_INVALID_ARGUMENT && labels
                                ? "data: a label is out of range of the model's classes"
                                : gan_status_string(status));
        return;
    }
    free(e->images);
    free(e->labels);
    e->images = images;
    e->labels = labels;
    e->image_count = (uint32_t)count;
    printf("{\"ok\":true,\"count\":%lld}\n", count);
}

static void command_train(engine *e, const char *args)
{
    char *end = NULL;
    const unsigned long long steps = strtoull(args, &end, 10);
    if (!e->model || end == args || steps == 0 || steps > 0xffffffffull) {
        reply_error(GAN_ERR_INVALID_ARGUMENT, e->model ? "train N (N >= 1)" : "train: no model");
        return;
    }
    gan_step_stats stats;
    memset(&stats, 0, sizeof stats);
    const gan_status status = gan_train(e->model, (uint32_t)steps, &stats);
    e->fresh = 0;
    if (status == GAN_OK) {
        printf("{\"ok\":true,\"stats\":");
    } else {
        printf("{\"ok\":false,\"status\":\"%s\",\"error\":\"%s\",\"stats\":", gan_status_name(status),
               gan_status_string(status));
    }
    print_stats(&stats);
    printf("}\n");
}

static void command_save(engine *e, const char *path)
{
    size_t size = 0;
    if (!e->model || !*path) {
        reply_error(GAN_ERR_INVALID_ARGUMENT, e->model ? "save PATH" : "save: no model");
        return;
    }
    gan_checkpoint_size(e->model, &size);
    uint8_t *bytes = malloc(size);
    gan_status status = bytes ? gan_checkpoint_save(e->model, bytes, size, &size) : GAN_ERR_OUT_OF_MEMORY;
    if (status != GAN_OK) {
        free(bytes);
        reply_error(status, gan_status_string(status));
        return;
    }
    char temp[4200];
    snprintf(temp, sizeof temp, "%s.tmp-native", path);
    FILE *f = fopen(temp, "wb");
    const int ok = f && fwrite(bytes, 1, size, f) == size;
    if (f && fclose(f) != 0) status = GAN_ERR_INVALID_ARGUMENT;
    free(bytes);
    if (!ok || status != GAN_OK || rename(temp, path) != 0) {
        remove(temp);
        reply_error(GAN_ERR_INVALID_ARGUMENT, strerror(errno));
        return;
    }
    double step = 0;
    gan_position(e->model, &step, NULL);
    printf("{\"ok\":true,\"bytes\":%zu,\"step\":%.0f}\n", size, step);
}

int main(void)
{
    signal(SIGINT, SIG_IGN);
    engine e = {0};
    char *line = NULL;
    size_t capacity = 0;
    ssize_t length;
    while ((length = getline(&line, &capacity, stdin)) >= 0) {
        while (length > 0 && (line[length - 1] == '\n' || line[length - 1] == '\r')) line[--length] = '\0';
        char *command = line;
        while (*command == ' ') command++;
        if (!*command) continue;
        char *args = strchr(command, ' ');
        if (args) *args++ = '\0';
        else args = command + strlen(command);
        while (*args == ' ') args++;
        if (strcmp(command, "quit") == 0) break;
        if (strcmp(command, "threads") == 0) {
            const int wanted = atoi(args);
            const int got = wanted >= 1 ? gan_threads_set_count(wanted) : 0;
            if (got < 1) reply_error(GAN_ERR_INVALID_ARGUMENT, "threads N (1..16)");
            else printf("{\"ok\":true,\"threads\":%d,\"kernel\":\"%s\"}\n", gan_threads_count(), gemm_kernel_name());
        } else if (strcmp(command, "create") == 0) {
            command_create(&e, args);
        } else if (strcmp(command, "load") == 0) {
            command_load(&e, args);
        } else if (strcmp(command, "data") == 0) {
            command_data(&e, args);
        } else if (strcmp(command, "train") == 0) {
            command_train(&e, args);
        } else if (strcmp(command, "save") == 0) {
            command_save(&e, args);
        } else if (strcmp(command, "position") == 0) {
            double step = 0, epoch = 0;
            if (!e.model) reply_error(GAN_ERR_INVALID_ARGUMENT, "position: no model");
            else {
                gan_position(e.model, &step, &epoch);
                printf("{\"ok\":true,\"step\":%.0f,\"epoch\":", step);
                print_number(epoch);
                printf("}\n");
            }
        } else {
            reply_error(GAN_ERR_INVALID_ARGUMENT, "unknown command (threads, create, load, data, train, save, position, quit)");
        }
        fflush(stdout);
    }
    free(line);
    drop_model(&e);
    free(e.images);
    free(e.labels);
    return 0;
}
