/*
 * fuzz_safetensors.c - libFuzzer harness for st_parse. Built by CMake with
 * -DGAN_FUZZ=ON and run by build-scripts/fuzz.sh (docs/fuzzing.md); by hand:
 *
 *   clang -std=c11 -g -O1 -fsanitize=fuzzer,address,undefined -Iinclude -Isrc \
 *         src/safetensors.c tests/c/fuzz_safetensors.c -o /tmp/fuzz_st
 *   /tmp/fuzz_st -max_len=4096 -max_total_time=60
 *
 * Whatever the input, st_parse must not crash, and anything it accepts must
 * satisfy the documented invariants and survive a write/parse round trip
 * unchanged (same tensors, same bytes, same metadata).
 */
#include "safetensors.h"

#include <stdlib.h>
#include <string.h>

#define REQUIRE(cond) \
    do {              \
        if (!(cond)) abort(); \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    st_file file;
    gan_status status = st_parse(data, size, &file);
    if (status != GAN_OK) {
        REQUIRE(status == GAN_ERR_CHECKPOINT_TRUNCATED || status == GAN_ERR_CHECKPOINT_MALFORMED ||
                status == GAN_ERR_OUT_OF_MEMORY);
        REQUIRE(file.storage == NULL);
        return 0;
    }
    size_t covered = 0;
    for (size_t i = 0; i < file.tensor_count; i++) {
        const st_tensor *t = &file.tensors[i];
        REQUIRE(t->rank <= ST_MAX_RANK);
        REQUIRE(t->data_offset <= file.data_size);
        REQUIRE(t->byte_length <= file.data_size - t->data_offset);
        REQUIRE(t->data == file.data + t->data_offset);
        REQUIRE(t->byte_length == t->element_count * st_dtype_size(t->dtype));
        REQUIRE(st_find_tensor(&file, t->name) == t);
        covered += t->byte_length;
    }
    REQUIRE(covered == file.data_size && file.data + file.data_size == data + size);

    /* Round trip through the writer. */
    st_tensor_source *sources = calloc(file.tensor_count + 1, sizeof *sources);
    REQUIRE(sources);
    for (size_t i = 0; i < file.tensor_count; i++) {
        const st_tensor *t = &file.tensors[i];
        sources[i].name = t->name;
        sources[i].dtype = t->dtype;
        sources[i].rank = t->rank;
        memcpy(sources[i].shape, t->shape, sizeof t->shape);
        sources[i].data = t->data;
    }
    st_writer writer = {sources, file.tensor_count, file.metadata, file.metadata_count};
    size_t out_size = 0;
    REQUIRE(st_write_size(&writer, &out_size) == GAN_OK);
    uint8_t *out = malloc(out_size);
    REQUIRE(out);
    size_t written = 0;
    REQUIRE(st_write(&writer, out, out_size, &written) == GAN_OK && written == out_size);
    st_file again;
    REQUIRE(st_parse(out, out_size, &again) == GAN_OK);
    REQUIRE(again.tensor_count == file.tensor_count && again.metadata_count == file.metadata_count);
    for (size_t i = 0; i < file.tensor_count; i++) {
        const st_tensor *a = &file.tensors[i], *b = &again.tensors[i];
        REQUIRE(strcmp(a->name, b->name) == 0 && a->dtype == b->dtype && a->rank == b->rank);
        REQUIRE(memcmp(a->shape, b->shape, sizeof a->shape) == 0);
        REQUIRE(a->byte_length == b->byte_length);
        REQUIRE(a->byte_length == 0 || memcmp(a->data, b->data, a->byte_length) == 0);
    }
    for (size_t i = 0; i < file.metadata_count; i++) {
        REQUIRE(strcmp(file.metadata[i].key, again.metadata[i].key) == 0);
        REQUIRE(strcmp(file.metadata[i].value, again.metadata[i].value) == 0);
    }
    st_file_free(&again);
    free(out);
    free(sources);
    st_file_free(&file);
    return 0;
}
