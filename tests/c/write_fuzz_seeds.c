/*
 * write_fuzz_seeds.c - writes the fuzzers' seed corpus: real checkpoints of
 * the tiny models in fuzz_models.h, fresh and after a few training steps.
 *
 *   write_fuzz_seeds DIR      (build-scripts/fuzz.sh runs it into build/fuzz/seeds)
 */
#include <stdio.h>
#include <stdlib.h>

#include "fuzz_models.h"

static int write_checkpoint(const gan *model, const char *dir, const char *name)
{
    size_t size = 0;
    if (gan_checkpoint_size(model, &size) != GAN_OK) return 1;
    unsigned char *buf = malloc(size);
    size_t written = 0;
    int failed = !buf || gan_checkpoint_save(model, buf, size, &written) != GAN_OK;
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *file = failed ? NULL : fopen(path, "wb");
    failed = !file || fwrite(buf, 1, written, file) != written;
    if (file) failed |= fclose(file) != 0;
    free(buf);
    if (failed) fprintf(stderr, "write_fuzz_seeds: could not write %s\n", path);
    return failed;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: write_fuzz_seeds DIR\n");
        return 2;
    }
    int failed = 0;
    for (int which = 0; which < FUZZ_MODEL_COUNT; which++) {
        gan_config config;
        gan *model = NULL;
        if (fuzz_model_config(which, &config) || gan_create(&config, &model) != GAN_OK) {
            fprintf(stderr, "write_fuzz_seeds: model %d did not build\n", which);
            return 1;
        }
        char name[64];
        snprintf(name, sizeof(name), "model%d-fresh.safetensors", which);
        failed |= write_checkpoint(model, argv[1], name);
        fuzz_attach(model);
        gan_init_generator_bias(model);
        gan_train(model, 7, NULL);
        snprintf(name, sizeof(name), "model%d-trained.safetensors", which);
        failed |= write_checkpoint(model, argv[1], name);
        gan_free(model);
    }
    return failed;
}
