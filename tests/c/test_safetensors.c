/*
 * test_safetensors.c - the safetensors reader and writer (src/safetensors.c):
 * round trips, byte-exact agreement with the reference implementation's own
 * test vectors, and a hostile-input battery (every truncation, bad header
 * lengths, offsets, shapes, dtypes, JSON, and thousands of seeded mutations).
 *
 * Every parse runs on an exact-size heap copy so that AddressSanitizer sees
 * any read past the end.
 */
#include "safetensors.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int failures = 0;
static int checks = 0;

#define CHECK(cond)                                                                       \
    do {                                                                                  \
        checks++;                                                                         \
        if (!(cond)) {                                                                    \
            failures++;                                                                   \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);      \
        }                                                                                 \
    } while (0)

#define CHECK_STATUS(expr, expected)                                                      \
    do {                                                                                  \
        gan_status got_ = (expr);                                                         \
        checks++;                                                                         \
        if (got_ != (expected)) {                                                         \
            failures++;                                                                   \
            fprintf(stderr, "%s:%d: %s gave %d, expected %d (%s)\n", __FILE__, __LINE__,  \
                    #expr, (int)got_, (int)(expected), #expected);                        \
        }                                                                                 \
    } while (0)

/* Parses an exact-size heap copy of bytes[0..size) and frees everything. */
static gan_status parse_copy(const uint8_t *bytes, size_t size) {
    uint8_t *copy = malloc(size ? size : 1);
    if (!copy) abort();
    if (size) memcpy(copy, bytes, size);
    st_file file;
    gan_status status = st_parse(copy, size, &file);
    st_file_free(&file);
    free(copy);
    return status;
}

/* A file made of a header string (as given, unpadded) and data_size bytes
 * of data 0, 1, 2, ... */
static size_t make_file(const char *header, size_t data_size, uint8_t **out) {
    size_t n = strlen(header);
    size_t size = 8 + n + data_size;
    uint8_t *buf = malloc(size);
    if (!buf) abort();
    for (int i = 0; i < 8; i++) buf[i] = (uint8_t)((uint64_t)n >> (8 * i));
    memcpy(buf + 8, header, n);
    for (size_t i = 0; i < data_size; i++) buf[8 + n + i] = (uint8_t)i;
    *out = buf;
    return size;
}

static gan_status parse_header_text(const char *header, size_t data_size) {
    uint8_t *buf;
    size_t size = make_file(header, data_size, &buf);
    gan_status status = parse_copy(buf, size);
    free(buf);
    return status;
}

static void put_le64(uint8_t *p, uint64_t v) {
    for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
}

/* xorshift64*: deterministic mutations. */
static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static uint64_t rng_next(void) {
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545F4914F6CDD1Dull;
}

/* ------------------------------------------------------------------------ */
/* A sample file used by several tests                                      */
/* ------------------------------------------------------------------------ */

static float sample_weights[2][3] = {{1.5f, -2.0f, 0.25f}, {1e-30f, 3.4e38f, -0.0f}};
static double sample_moments[4] = {0.1, -1e300, 4.9e-324, 12345.678};
static uint64_t sample_counter = 0xFEDCBA9876543210ull;
static int32_t sample_empty[1];
static uint8_t sample_bytes[5] = {1, 2, 3, 254, 255};
static uint16_t sample_half[3] = {0x3C00, 0xC000, 0x7BFF};

static const st_tensor_source sample_tensors[] = {
    {.name = "generator.0.weight", .dtype = ST_F32, .rank = 2, .shape = {2, 3}, .data = sample_weights},
    {.name = "bytes", .dtype = ST_U8, .rank = 1, .shape = {5}, .data = sample_bytes},
    {.name = "optimizer.m", .dtype = ST_F64, .rank = 1, .shape = {4}, .data = sample_moments},
    {.name = "step", .dtype = ST_U64, .rank = 0, .shape = {0}, .data = &sample_counter},
    {.name = "empty", .dtype = ST_I32, .rank = 2, .shape = {0, 7}, .data = sample_empty},
    {.name = "half \"quoted\"\\ \n\x01 \xC3\xA9 \xF0\x9F\x98\x80", .dtype = ST_F16, .rank = 1,
     .shape = {3}, .data = sample_half},
};
#define SAMPLE_TENSOR_COUNT (sizeof sample_tensors / sizeof sample_tensors[0])

static const st_metadata_entry sample_metadata[] = {
    {"format", "wasm-gan"},
    {"version", "1"},
    {"config", "{\"noise_dim\": 100, \"text\": \"a\\\"b\"}\t\x1f"},
    {"", ""},
};
#define SAMPLE_METADATA_COUNT (sizeof sample_metadata / sizeof sample_metadata[0])

static const st_writer sample_writer = {sample_tensors, SAMPLE_TENSOR_COUNT, sample_metadata,
                                        SAMPLE_METADATA_COUNT};

static size_t write_sample(uint8_t **out) {
    size_t size = 0;
    if (st_write_size(&sample_writer, &size) != GAN_OK) abort();
    uint8_t *buf = malloc(size);
    size_t written = 0;
    if (!buf || st_write(&sample_writer, buf, size, &written) != GAN_OK || written != size) abort();
    *out = buf;
    return size;
}

/* ------------------------------------------------------------------------ */

static void test_round_trip(void) {
    size_t size = 0;
    CHECK_STATUS(st_write_size(&sample_writer, &size), GAN_OK);
    CHECK(size > 8);

    /* Too small: status, required size reported, nothing written. */
    uint8_t *buf = malloc(size + 16);
    memset(buf, 0xAA, size + 16);
    size_t written = 0;
    CHECK_STATUS(st_write(&sample_writer, buf, size - 1, &written), GAN_ERR_BUFFER_TOO_SMALL);
    CHECK(written == size);
    int untouched = 1;
    for (size_t i = 0; i < size + 16; i++) untouched &= buf[i] == 0xAA;
    CHECK(untouched);
    CHECK_STATUS(st_write(&sample_writer, buf, 0, &written), GAN_ERR_BUFFER_TOO_SMALL);

    /* Exact fit, and nothing past the end. */
    CHECK_STATUS(st_write(&sample_writer, buf, size + 16, &written), GAN_OK);
    CHECK(written == size);
    int tail = 1;
    for (size_t i = size; i < size + 16; i++) tail &= buf[i] == 0xAA;
    CHECK(tail);

    st_file file;
    CHECK_STATUS(st_parse(buf, size, &file), GAN_OK);
    CHECK(file.header_size % 8 == 0);
    CHECK(file.data == buf + 8 + file.header_size);
    CHECK(file.tensor_count == SAMPLE_TENSOR_COUNT);
    CHECK(file.has_metadata == 1);
    CHECK(file.metadata_count == SAMPLE_METADATA_COUNT);
    /* The JSON ends in '}' followed only by padding spaces (fewer than 8). */
    size_t last_brace = 8 + file.header_size - 1;
    while (buf[last_brace] == ' ') last_brace--;
    CHECK(buf[last_brace] == '}' && 8 + file.header_size - 1 - last_brace < 8);

    for (size_t i = 0; i < SAMPLE_TENSOR_COUNT; i++) {
        const st_tensor_source *source = &sample_tensors[i];
        const st_tensor *t = st_find_tensor(&file, source->name);
        CHECK(t != NULL);
        if (!t) continue;
        CHECK(strcmp(t->name, source->name) == 0);
        CHECK(t->dtype == source->dtype);
        CHECK(t->rank == source->rank);
        uint64_t elements = 1;
        for (uint32_t d = 0; d < source->rank; d++) {
            CHECK(t->shape[d] == source->shape[d]);
            elements *= source->shape[d];
        }
        CHECK(t->element_count == elements);
        CHECK(t->byte_length == elements * st_dtype_size(source->dtype));
        CHECK(t->byte_length == 0 || memcmp(t->data, source->data, t->byte_length) == 0);
    }
    /* Laid out in the given order, without gaps. */
    size_t expected_offset = 0;
    for (size_t i = 0; i < SAMPLE_TENSOR_COUNT; i++) {
        const st_tensor *t = st_find_tensor(&file, sample_tensors[i].name);
        if (!t) continue;
        CHECK(t->data_offset == expected_offset);
        expected_offset += t->byte_length;
    }
    CHECK(expected_offset == file.data_size);
    for (size_t i = 0; i < SAMPLE_METADATA_COUNT; i++) {
        const char *value = st_find_metadata(&file, sample_metadata[i].key);
        CHECK(value != NULL && strcmp(value, sample_metadata[i].value) == 0);
    }
    CHECK(st_find_tensor(&file, "missing") == NULL);
    CHECK(st_find_tensor(&file, "generator.0.weigh") == NULL);
    CHECK(st_find_metadata(&file, "missing") == NULL);
    /* Sorted by name. */
    for (size_t i = 1; i < file.tensor_count; i++)
        CHECK(strcmp(file.tensors[i - 1].name, file.tensors[i].name) < 0);

    /* Typed reads. */
    float weights[6];
    const uint64_t weight_shape[2] = {2, 3};
    for (int i = 0; i < 6; i++) weights[i] = -1.0f;
    CHECK_STATUS(st_read(&file, "generator.0.weight", ST_F32, 2, weight_shape, weights,
                         sizeof weights), GAN_OK);
    CHECK(memcmp(weights, sample_weights, sizeof weights) == 0);
    uint64_t counter = 0;
    CHECK_STATUS(st_read(&file, "step", ST_U64, 0, NULL, &counter, sizeof counter), GAN_OK);
    CHECK(counter == sample_counter);
    double moments[4];
    const uint64_t moment_shape[1] = {4};
    CHECK_STATUS(st_read(&file, "optimizer.m", ST_F64, 1, moment_shape, moments, sizeof moments),
                 GAN_OK);
    CHECK(memcmp(moments, sample_moments, sizeof moments) == 0);
    const uint64_t empty_shape[2] = {0, 7};
    CHECK_STATUS(st_read(&file, "empty", ST_I32, 2, empty_shape, NULL, 0), GAN_OK);

    /* Mismatches. */
    const uint64_t wrong_shape[2] = {3, 2};
    const uint64_t flat_shape[1] = {6};
    weights[0] = 42.0f;
    CHECK_STATUS(st_read(&file, "generator.0.weight", ST_F64, 2, weight_shape, weights,
                         sizeof weights), GAN_ERR_CHECKPOINT_MISMATCH);
    CHECK_STATUS(st_read(&file, "generator.0.weight", ST_F32, 2, wrong_shape, weights,
                         sizeof weights), GAN_ERR_CHECKPOINT_MISMATCH);
    CHECK_STATUS(st_read(&file, "generator.0.weight", ST_F32, 1, flat_shape, weights,
                         sizeof weights), GAN_ERR_CHECKPOINT_MISMATCH);
    CHECK_STATUS(st_read(&file, "generator.0.weight", ST_F32, 2, weight_shape, weights,
                         sizeof weights - 1), GAN_ERR_BUFFER_TOO_SMALL);
    CHECK_STATUS(st_read(&file, "nope", ST_F32, 2, weight_shape, weights, sizeof weights),
                 GAN_ERR_CHECKPOINT_MISMATCH);
    CHECK(weights[0] == 42.0f);
    CHECK_STATUS(st_tensor_check(st_find_tensor(&file, "step"), ST_U64, 0, NULL), GAN_OK);
    CHECK_STATUS(st_tensor_check(NULL, ST_U64, 0, NULL), GAN_ERR_INVALID_ARGUMENT);
    st_file_free(&file);
    CHECK(file.storage == NULL && file.tensors == NULL);
    st_file_free(&file); /* twice is harmless */
    st_file_free(NULL);

    /* The same bytes at an odd address: data pointers are unaligned, reads
     * still work through memcpy. */
    uint8_t *odd = malloc(size + 1);
    memcpy(odd + 1, buf, size);
    CHECK_STATUS(st_parse(odd + 1, size, &file), GAN_OK);
    CHECK_STATUS(st_read(&file, "optimizer.m", ST_F64, 1, moment_shape, moments, sizeof moments),
                 GAN_OK);
    CHECK(memcmp(moments, sample_moments, sizeof moments) == 0);
    st_file_free(&file);
    free(odd);

    free(buf);

    /* No tensors, no metadata. */
    st_writer empty = {NULL, 0, NULL, 0};
    uint8_t small[16];
    CHECK_STATUS(st_write(&empty, small, sizeof small, &written), GAN_OK);
    CHECK(written == 16);
    CHECK_STATUS(st_parse(small, written, &file), GAN_OK);
    CHECK(file.tensor_count == 0 && file.metadata_count == 0 && file.has_metadata == 0);
    st_file_free(&file);
}

/* The reference implementation's own unit-test vectors (safetensors crate,
 * tensor.rs): our writer must produce them byte for byte and our reader must
 * accept them. */
static void test_reference_vectors(void) {
    static const uint8_t aligned[] = {
        72, 0, 0, 0, 0, 0, 0, 0, 123, 34, 97, 116, 116, 110, 48, 34, 58, 123, 34, 100, 116,
        121, 112, 101, 34, 58, 34, 70, 51, 50, 34, 44, 34, 115, 104, 97, 112, 101, 34, 58,
        91, 49, 44, 49, 44, 50, 44, 51, 93, 44, 34, 100, 97, 116, 97, 95, 111, 102, 102,
        115, 101, 116, 115, 34, 58, 91, 48, 44, 50, 52, 93, 125, 125, 32, 32, 32, 32, 32,
        32, 32, 0, 0, 0, 0, 0, 0, 128, 63, 0, 0, 0, 64, 0, 0, 64, 64, 0, 0, 128, 64, 0, 0,
        160, 64};
    static const uint8_t unpadded_multiple[] = {
        64, 0, 0, 0, 0, 0, 0, 0, 123, 34, 97, 116, 116, 110, 46, 48, 34, 58, 123, 34, 100,
        116, 121, 112, 101, 34, 58, 34, 70, 51, 50, 34, 44, 34, 115, 104, 97, 112, 101, 34,
        58, 91, 49, 44, 50, 44, 51, 93, 44, 34, 100, 97, 116, 97, 95, 111, 102, 102, 115,
        101, 116, 115, 34, 58, 91, 48, 44, 50, 52, 93, 125, 125, 0, 0, 0, 0, 0, 0, 128, 63,
        0, 0, 0, 64, 0, 0, 64, 64, 0, 0, 128, 64, 0, 0, 160, 64};
    static const uint8_t empty[] = {8, 0, 0, 0, 0, 0, 0, 0, 123, 125, 32, 32, 32, 32, 32, 32};
    static const uint8_t metadata_only[] = {
        40, 0, 0, 0, 0, 0, 0, 0, 123, 34, 95, 95, 109, 101, 116, 97, 100, 97, 116, 97, 95,
        95, 34, 58, 123, 34, 102, 114, 97, 109, 101, 119, 111, 114, 107, 34, 58, 34, 112,
        116, 34, 125, 125, 32, 32, 32, 32, 32};
    const float values[6] = {0, 1, 2, 3, 4, 5};
    uint8_t out[256];
    size_t written;

    st_tensor_source attn0 = {.name = "attn0", .dtype = ST_F32, .rank = 4, .shape = {1, 1, 2, 3},
                              .data = values};
    st_writer writer = {&attn0, 1, NULL, 0};
    CHECK_STATUS(st_write(&writer, out, sizeof out, &written), GAN_OK);
    CHECK(written == sizeof aligned && memcmp(out, aligned, sizeof aligned) == 0);

    st_tensor_source attn_0 = {.name = "attn.0", .dtype = ST_F32, .rank = 3, .shape = {1, 2, 3},
                               .data = values};
    writer = (st_writer){&attn_0, 1, NULL, 0};
    CHECK_STATUS(st_write(&writer, out, sizeof out, &written), GAN_OK);
    CHECK(written == sizeof unpadded_multiple &&
          memcmp(out, unpadded_multiple, sizeof unpadded_multiple) == 0);

    writer = (st_writer){NULL, 0, NULL, 0};
    CHECK_STATUS(st_write(&writer, out, sizeof out, &written), GAN_OK);
    CHECK(written == sizeof empty && memcmp(out, empty, sizeof empty) == 0);

    st_metadata_entry framework = {"framework", "pt"};
    writer = (st_writer){NULL, 0, &framework, 1};
    CHECK_STATUS(st_write(&writer, out, sizeof out, &written), GAN_OK);
    CHECK(written == sizeof metadata_only && memcmp(out, metadata_only, sizeof metadata_only) == 0);

    st_file file;
    CHECK_STATUS(st_parse(aligned, sizeof aligned, &file), GAN_OK);
    float read[6];
    const uint64_t shape[4] = {1, 1, 2, 3};
    CHECK_STATUS(st_read(&file, "attn0", ST_F32, 4, shape, read, sizeof read), GAN_OK);
    CHECK(memcmp(read, values, sizeof read) == 0);
    st_file_free(&file);
    CHECK_STATUS(parse_copy(unpadded_multiple, sizeof unpadded_multiple), GAN_OK);
    CHECK_STATUS(parse_copy(empty, sizeof empty), GAN_OK);
    CHECK_STATUS(st_parse(metadata_only, sizeof metadata_only, &file), GAN_OK);
    CHECK(file.has_metadata && file.metadata_count == 1);
    CHECK(st_find_metadata(&file, "framework") && strcmp(st_find_metadata(&file, "framework"), "pt") == 0);
    st_file_free(&file);

    /* The reference documentation's example: unpadded 60-byte header, I32. */
    static const char doc_header[] = "{\"test\":{\"dtype\":\"I32\",\"shape\":[2,2],\"data_offsets\":[0,16]}}";
    CHECK(strlen(doc_header) == 60);
    CHECK_STATUS(parse_header_text(doc_header, 16), GAN_OK);

    /* What Python's safetensors writes for {"a": float32 [1, 2]}, and other
     * spellings of the same header a hand-written file might use. */
    CHECK_STATUS(parse_header_text("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}} ", 8), GAN_OK);
    CHECK_STATUS(parse_header_text("{\n  \"a\" : {\"data_offsets\" : [ 0 , 8 ] ,\r\n\t\"shape\":[2], \"dtype\":\"F32\"}\n}\n", 8), GAN_OK);
    CHECK_STATUS(parse_header_text("{\"a\":{\"dtype\":\"F64\",\"shape\":[],\"data_offsets\":[0,8]}}", 8), GAN_OK);
    CHECK_STATUS(parse_header_text("{\"__metadata__\":{},\"a\":{\"dtype\":\"BF16\",\"shape\":[4],\"data_offsets\":[0,8]}}", 8), GAN_OK);
    CHECK_STATUS(parse_header_text("{\"a\":{\"dtype\":\"U8\",\"shape\":[0],\"data_offsets\":[0,0]},\"b\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]}}", 1), GAN_OK);
}

static void test_escapes(void) {
    /* Escaped names are decoded; \u escapes and surrogate pairs become UTF-8. */
    static const char header[] =
        "{\"a\\u00e9\\ud83d\\ude00\\n\\\"\\\\\\/\\b\\f\\r\\t\":"
        "{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]},"
        "\"__metadata__\":{\"k\\u0041\":\"\xE2\x82\xAC\"}}";
    uint8_t *buf;
    size_t size = make_file(header, 1, &buf);
    st_file file;
    CHECK_STATUS(st_parse(buf, size, &file), GAN_OK);
    CHECK(st_find_tensor(&file, "a\xC3\xA9\xF0\x9F\x98\x80\n\"\\/\b\f\r\t") != NULL);
    const char *value = st_find_metadata(&file, "kA");
    CHECK(value && strcmp(value, "\xE2\x82\xAC") == 0);
    st_file_free(&file);
    free(buf);
}

static void test_truncation(void) {
    uint8_t *full;
    size_t size = write_sample(&full);
    CHECK_STATUS(parse_copy(full, size), GAN_OK);
    int all_truncated = 1;
    for (size_t cut = 0; cut < size; cut++) {
        gan_status status = parse_copy(full, cut);
        if (status != GAN_ERR_CHECKPOINT_TRUNCATED) {
            fprintf(stderr, "truncated to %zu of %zu bytes: status %d\n", cut, size, (int)status);
            all_truncated = 0;
        }
    }
    CHECK(all_truncated);
    /* One byte more than the tensors cover is not truncation but trailing junk. */
    uint8_t *longer = malloc(size + 1);
    memcpy(longer, full, size);
    longer[size] = 0;
    CHECK_STATUS(parse_copy(longer, size + 1), GAN_ERR_CHECKPOINT_MALFORMED);
    free(longer);
    st_file file;
    CHECK_STATUS(st_parse(NULL, 0, &file), GAN_ERR_CHECKPOINT_TRUNCATED);
    CHECK_STATUS(st_parse(NULL, 8, &file), GAN_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(st_parse(full, size, NULL), GAN_ERR_INVALID_ARGUMENT);
    free(full);
}

static void test_header_length(void) {
    uint8_t *full;
    size_t size = write_sample(&full);
    uint8_t *buf = malloc(size);
    const struct {
        uint64_t n;
        gan_status expected;
    } cases[] = {
        {UINT64_MAX, GAN_ERR_CHECKPOINT_MALFORMED},
        {1ull << 63, GAN_ERR_CHECKPOINT_MALFORMED},
        {1ull << 32, GAN_ERR_CHECKPOINT_MALFORMED},
        {(uint64_t)ST_MAX_HEADER_SIZE + 1, GAN_ERR_CHECKPOINT_MALFORMED},
        {ST_MAX_HEADER_SIZE, GAN_ERR_CHECKPOINT_TRUNCATED},
        {size - 7, GAN_ERR_CHECKPOINT_TRUNCATED},     /* one byte past the end */
        {size - 8, GAN_ERR_CHECKPOINT_TRUNCATED},     /* all header: offsets pass the empty data */
        {0, GAN_ERR_CHECKPOINT_MALFORMED},
        {1, GAN_ERR_CHECKPOINT_MALFORMED},            /* "{" */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        memcpy(buf, full, size);
        put_le64(buf, cases[i].n);
        CHECK_STATUS(parse_copy(buf, size), cases[i].expected);
    }
    /* Header length off by one either way. */
    st_file file;
    CHECK_STATUS(st_parse(full, size, &file), GAN_OK);
    size_t n = file.header_size;
    st_file_free(&file);
    memcpy(buf, full, size);
    put_le64(buf, n - 1);
    CHECK(parse_copy(buf, size) != GAN_OK);
    put_le64(buf, n + 1);
    CHECK(parse_copy(buf, size) != GAN_OK);
    free(buf);
    free(full);
}

static void test_offsets_and_shapes(void) {
    const gan_status T = GAN_ERR_CHECKPOINT_TRUNCATED, M = GAN_ERR_CHECKPOINT_MALFORMED;
    const struct {
        const char *header;
        size_t data_size;
        gan_status expected;
    } cases[] = {
        /* Out of range: the offsets promise more data than there is. */
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", 8, T},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}}", 8, T},
        {"{\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[18446744073709551614,18446744073709551615]}}", 8, T},
        {"{\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,18446744073709551616]}}", 8, M},
        /* 2^64 + 1 would wrap to 1, making this look valid. */
        {"{\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,18446744073709551617]}}", 1, M},
        {"{\"a\":{\"dtype\":\"U8\",\"shape\":[18446744073709551617],\"data_offsets\":[0,1]}}", 1, M},
        /* end - begin would wrap to 4. */
        {"{\"a\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[18446744073709551615,3]}}", 4, M},
        /* Begin after end. */
        {"{\"a\":{\"dtype\":\"U8\",\"shape\":[0],\"data_offsets\":[8,0]}}", 8, M},
        /* Overlap, hole, trailing bytes, not starting at 0. */
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12, M},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8, M},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}", 12, M},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 16, M},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12, M},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"z\":{\"dtype\":\"U8\",\"shape\":[0],\"data_offsets\":[4,4]}}", 8, M},
        {"{}", 8, M},
        /* Shape disagreeing with the byte length. */
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8, M},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[1,2,1,1],\"data_offsets\":[0,4]}}", 8, M},
        {"{\"a\":{\"dtype\":\"F64\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8, M},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,8]}}", 8, M},
        /* Shape overflow, including products that wrap to the stated length. */
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[1099511627776,1099511627776],\"data_offsets\":[0,0]}}", 0, M},
        {"{\"a\":{\"dtype\":\"U8\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,0]}}", 0, M},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[4611686018427387904],\"data_offsets\":[0,0]}}", 0, M},
        {"{\"a\":{\"dtype\":\"U8\",\"shape\":[4294967296,4294967296,0],\"data_offsets\":[0,0]}}", 0, M},
        {"{\"a\":{\"dtype\":\"U8\",\"shape\":[0,4294967296,4294967296],\"data_offsets\":[0,0]}}", 0, GAN_OK},
        {"{\"a\":{\"dtype\":\"F64\",\"shape\":[2305843009213693952],\"data_offsets\":[0,0]}}", 0, M},
        /* Rank. */
        {"{\"a\":{\"dtype\":\"U8\",\"shape\":[1,1,1,1,1,1,1,1],\"data_offsets\":[0,1]}}", 1, GAN_OK},
        {"{\"a\":{\"dtype\":\"U8\",\"shape\":[1,1,1,1,1,1,1,1,1],\"data_offsets\":[0,1]}}", 1, M},
        /* Dtypes. */
        {"{\"a\":{\"dtype\":\"F33\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8, M},
        {"{\"a\":{\"dtype\":\"f32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8, M},
        {"{\"a\":{\"dtype\":\"F32 \",\"shape\":[2],\"data_offsets\":[0,8]}}", 8, M},
        {"{\"a\":{\"dtype\":\"F4\",\"shape\":[16],\"data_offsets\":[0,8]}}", 8, M},
        {"{\"a\":{\"dtype\":\"\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8, M},
        {"{\"a\":{\"dtype\":\"F32F32F32F32F32F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8, M},
        {"{\"a\":{\"dtype\":32,\"shape\":[2],\"data_offsets\":[0,8]}}", 8, M},
        {"{\"a\":{\"dtype\":\"F\\u0033\\u0032\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8, GAN_OK},
        /* data_offsets with other than two entries. */
        {"{\"a\":{\"dtype\":\"U8\",\"shape\":[0],\"data_offsets\":[0]}}", 0, M},
        {"{\"a\":{\"dtype\":\"U8\",\"shape\":[0],\"data_offsets\":[]}}", 0, M},
        {"{\"a\":{\"dtype\":\"U8\",\"shape\":[0],\"data_offsets\":[0,0,0]}}", 0, M},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        gan_status status = parse_header_text(cases[i].header, cases[i].data_size);
        checks++;
        if (status != cases[i].expected) {
            failures++;
            fprintf(stderr, "offsets/shapes case %zu: status %d, expected %d: %s\n", i,
                    (int)status, (int)cases[i].expected, cases[i].header);
        }
    }
}

static void test_bad_json(void) {
    const gan_status M = GAN_ERR_CHECKPOINT_MALFORMED;
#define TENSOR_A "\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]}"
    const struct {
        const char *header;
        gan_status expected;
    } cases[] = {
        {"{" TENSOR_A "}", GAN_OK},
        {"{" TENSOR_A "}  \n\t\r ", GAN_OK},
        {"", M},
        {" {" TENSOR_A "}", M},          /* must start with '{' */
        {"{" TENSOR_A, M},
        {"{" TENSOR_A "}}", M},
        {"{" TENSOR_A "} x", M},
        {"{" TENSOR_A ",}", M},
        {"{," TENSOR_A "}", M},
        {"{" TENSOR_A " " TENSOR_A "}", M},
        {"[]", M},
        {"\"a\"", M},
        {"1", M},
        {"null", M},
        {"{\"a\"}", M},
        {"{\"a\":}", M},
        {"{\"a\" " "{}}", M},
        {"{\"a\":[]}", M},
        {"{\"a\":null}", M},
        {"{\"a\":{}}", M},
        {"{\"a\":{\"dtype\":\"U8\",\"shape\":[1]}}", M},
        {"{\"a\":{\"dtype\":\"U8\",\"data_offsets\":[0,1]}}", M},
        {"{\"a\":{\"shape\":[1],\"data_offsets\":[0,1]}}", M},
        {"{\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1],}}", M},
        {"{\"a\":{\"dtype\":\"U8\",\"shape\":[1,],\"data_offsets\":[0,1]}}", M},
        {"{\"a\":{\"dtype\":\"U8\",\"shape\":[,1],\"data_offsets\":[0,1]}}", M},
        {"{\"a\":{\"dtype\":\"U8\",\"shape\":[1 1],\"data_offsets\":[0,1]}}", M},
        {"{\"a\":{\"dtype\":\"U8\",\"shape\":1,\"data_offsets\":[0,1]}}", M},
        /* Unterminated strings, bad escapes, control characters. */
        {"{\"a", M},
        {"{\"a\\", M},
        {"{\"a\\\"}", M},
        {"{\"a\\x\":{}}", M},
        {"{\"a\\u12\":{}}", M},
        {"{\"a\\u12G4\":{}}", M},
        {"{\"a\nb\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]}}", M},
        {"{\"a\\u0000\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]}}", M},
        {"{\"a\\ud800\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]}}", M},
        {"{\"a\\ud800\\u0041\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]}}", M},
        {"{\"a\\udc00\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]}}", M},
        {"{\"a\\ud800\\ud800\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]}}", M},
        /* Invalid UTF-8: stray continuation, overlong, encoded surrogate,
         * above U+10FFFF, truncated sequence, 0xFF. */
        {"{\"a\x80\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]}}", M},
        {"{\"a\xC0\x80\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]}}", M},
        {"{\"a\xE0\x80\x80\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]}}", M},
        {"{\"a\xED\xA0\x80\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]}}", M},
        {"{\"a\xF4\x90\x80\x80\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]}}", M},
        {"{\"a\xE2\x82\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]}}", M},
        {"{\"a\xFF\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]}}", M},
        {"{\"a\xF0\x9F\x98\x80\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]}}", GAN_OK},
        /* Duplicates. */
        {"{" TENSOR_A "," TENSOR_A "}", M},
        {"{" TENSOR_A ",\"\\u0061\":{\"dtype\":\"U8\",\"shape\":[0],\"data_offsets\":[1,1]}}", M},
        {"{\"a\":{\"dtype\":\"U8\",\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]}}", M},
        {"{\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"shape\":[1],\"data_offsets\":[0,1]}}", M},
        {"{\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1],\"data_offsets\":[0,1]}}", M},
        {"{\"__metadata__\":{},\"__metadata__\":{}," TENSOR_A "}", M},
        {"{\"__metadata__\":{\"k\":\"v\",\"k\":\"w\"}," TENSOR_A "}", M},
        /* Unknown fields. */
        {"{\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1],\"extra\":1}}", M},
        {"{\"a\":{\"Dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]}}", M},
        /* Metadata values must be strings; the section must be an object. */
        {"{\"__metadata__\":{\"k\":\"v\"}," TENSOR_A "}", GAN_OK},
        {"{\"__metadata__\":{\"k\":1}," TENSOR_A "}", M},
        {"{\"__metadata__\":{\"k\":null}," TENSOR_A "}", M},
        {"{\"__metadata__\":{\"k\":{}}," TENSOR_A "}", M},
        {"{\"__metadata__\":{\"k\":[\"v\"]}," TENSOR_A "}", M},
        {"{\"__metadata__\":{\"k\":true}," TENSOR_A "}", M},
        {"{\"__metadata__\":\"v\"," TENSOR_A "}", M},
        {"{\"__metadata__\":null," TENSOR_A "}", M},
        {"{\"__metadata__\":{\"k\":\"v\",}," TENSOR_A "}", M},
        {"{\"__metadata__\":{\"k\"}," TENSOR_A "}", M},
        /* Numbers: negative, float, exponent, leading zero, sign, hex. */
        {"{\"a\":{\"dtype\":\"U8\",\"shape\":[-1],\"data_offsets\":[0,1]}}", M},
        {"{\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[-0,1]}}", M},
        {"{\"a\":{\"dtype\":\"U8\",\"shape\":[1.0],\"data_offsets\":[0,1]}}", M},
        {"{\"a\":{\"dtype\":\"U8\",\"shape\":[1e0],\"data_offsets\":[0,1]}}", M},
        {"{\"a\":{\"dtype\":\"U8\",\"shape\":[1E0],\"data_offsets\":[0,1]}}", M},
        {"{\"a\":{\"dtype\":\"U8\",\"shape\":[01],\"data_offsets\":[0,1]}}", M},
        {"{\"a\":{\"dtype\":\"U8\",\"shape\":[+1],\"data_offsets\":[0,1]}}", M},
        {"{\"a\":{\"dtype\":\"U8\",\"shape\":[0x1],\"data_offsets\":[0,1]}}", M},
        {"{\"a\":{\"dtype\":\"U8\",\"shape\":[\"1\"],\"data_offsets\":[0,1]}}", M},
        {"{\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0.0,1]}}", M},
        {"{\"a\":{\"dtype\":\"U8\",\"shape\":[18446744073709551616],\"data_offsets\":[0,1]}}", M},
        {"{\"a\":{\"dtype\":\"U8\",\"shape\":[99999999999999999999999],\"data_offsets\":[0,1]}}", M},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t data_size = strstr(cases[i].header, "data_offsets") ? 1 : 0;
        gan_status status = parse_header_text(cases[i].header, data_size);
        checks++;
        if (status != cases[i].expected) {
            failures++;
            fprintf(stderr, "bad JSON case %zu: status %d, expected %d: %s\n", i, (int)status,
                    (int)cases[i].expected, cases[i].header);
        }
    }
    /* A NUL inside the header (the header is length-delimited, not a C string). */
    {
        static const char with_nul[] = "{\"a\":{\"dtype\":\"U8\"\0,\"shape\":[1],\"data_offsets\":[0,1]}}";
        uint8_t buf[8 + sizeof with_nul];
        put_le64(buf, sizeof with_nul - 1);
        memcpy(buf + 8, with_nul, sizeof with_nul - 1);
        buf[sizeof buf - 1] = 0;
        CHECK_STATUS(parse_copy(buf, sizeof buf), M);
    }

    /* Deep nesting: at the root, as a tensor entry, in shape, in metadata. */
    const size_t depth = 10000;
    char *deep = malloc(depth + 64);
    memset(deep, '[', depth);
    deep[depth] = '\0';
    CHECK_STATUS(parse_header_text(deep, 0), M);
    const char *prefixes[] = {"{\"a\":", "{\"a\":{\"shape\":", "{\"__metadata__\":{\"k\":",
                              "{\"__metadata__\":"};
    for (size_t p = 0; p < sizeof prefixes / sizeof prefixes[0]; p++) {
        size_t prefix_length = strlen(prefixes[p]);
        char *text = malloc(prefix_length + 2 * depth + 1);
        memcpy(text, prefixes[p], prefix_length);
        for (size_t i = 0; i < depth; i++) text[prefix_length + i] = (i & 1) ? '{' : '[';
        for (size_t i = 0; i < depth; i++) text[prefix_length + depth + i] = (i & 1) ? ']' : '}';
        text[prefix_length + 2 * depth] = '\0';
        CHECK_STATUS(parse_header_text(text, 0), M);
        free(text);
    }
    free(deep);
#undef TENSOR_A
}

/* Random byte flips, truncations and splices of a valid file. Whatever the
 * status, the parser must not crash (ASan/UBSan watch), and anything it
 * accepts must satisfy the documented invariants. */
static void test_mutations(void) {
    uint8_t *full;
    size_t size = write_sample(&full);
    uint8_t *buf = malloc(size + 64);
    int accepted = 0, rejected = 0, bad_invariant = 0;
    for (int round = 0; round < 6000; round++) {
        size_t length = size;
        memcpy(buf, full, size);
        int kind = (int)(rng_next() % 8);
        int flips = 1 + (int)(rng_next() % 4);
        for (int f = 0; f < flips; f++) {
            size_t at;
            /* Favour the header: it is where the parser works. */
            if (rng_next() % 4) at = rng_next() % (length < 8 + 256 ? length : 8 + 256);
            else at = rng_next() % length;
            switch (kind) {
            case 0: buf[at] ^= (uint8_t)(1u << (rng_next() % 8)); break;
            case 1: buf[at] = (uint8_t)rng_next(); break;
            case 2: { /* interesting bytes */
                static const uint8_t interesting[] = {'"', '\\', '{', '}', '[', ']', ',', ':', '0',
                                                      '9', '-', '.', 'e', ' ', 0, 0x80, 0xFF, 'u'};
                buf[at] = interesting[rng_next() % sizeof interesting];
                break;
            }
            case 3: /* digits inside the header change numbers */
                buf[at] = (uint8_t)('0' + rng_next() % 10);
                break;
            case 4: /* header length bytes */
                buf[rng_next() % 8] = (uint8_t)rng_next();
                break;
            case 5: /* delete a byte */
                if (length > 1) {
                    memmove(buf + at, buf + at + 1, length - at - 1);
                    length--;
                }
                break;
            case 6: /* insert a byte */
                if (length < size + 64) {
                    memmove(buf + at + 1, buf + at, length - at);
                    buf[at] = (uint8_t)rng_next();
                    length++;
                }
                break;
            default: buf[at] ^= (uint8_t)rng_next(); break;
            }
        }
        if (kind == 7 && rng_next() % 2) length = rng_next() % (length + 1);

        uint8_t *copy = malloc(length ? length : 1);
        memcpy(copy, buf, length);
        st_file file;
        gan_status status = st_parse(copy, length, &file);
        if (status == GAN_OK) {
            accepted++;
            size_t covered = 0;
            for (size_t i = 0; i < file.tensor_count; i++) {
                const st_tensor *t = &file.tensors[i];
                if (t->data < file.data || t->data_offset > file.data_size ||
                    t->byte_length > file.data_size - t->data_offset ||
                    t->data != file.data + t->data_offset ||
                    t->byte_length != t->element_count * st_dtype_size(t->dtype) ||
                    st_find_tensor(&file, t->name) != t || t->rank > ST_MAX_RANK)
                    bad_invariant++;
                covered += t->byte_length;
                /* Touch every byte the parser hands out. */
                volatile uint8_t sum = 0;
                for (size_t b = 0; b < t->byte_length; b++) sum ^= t->data[b];
                (void)sum;
            }
            if (covered != file.data_size || file.data + file.data_size != copy + length)
                bad_invariant++;
            for (size_t i = 0; i < file.metadata_count; i++)
                if (st_find_metadata(&file, file.metadata[i].key) != file.metadata[i].value)
                    bad_invariant++;
        } else {
            rejected++;
            if (status != GAN_ERR_CHECKPOINT_TRUNCATED && status != GAN_ERR_CHECKPOINT_MALFORMED)
                bad_invariant++;
            if (file.storage != NULL || file.tensors != NULL) bad_invariant++;
        }
        st_file_free(&file);
        free(copy);
    }
    CHECK(bad_invariant == 0);
    CHECK(accepted > 0 && rejected > 0);
    printf("  mutations: %d accepted, %d rejected\n", accepted, rejected);
    free(buf);
    free(full);
}

static void test_writer_arguments(void) {
    const float x[2] = {1, 2};
    uint8_t buf[512];
    size_t written, size;
    const gan_status I = GAN_ERR_INVALID_ARGUMENT;
    st_tensor_source t[2] = {
        {.name = "a", .dtype = ST_F32, .rank = 1, .shape = {2}, .data = x},
        {.name = "b", .dtype = ST_F32, .rank = 1, .shape = {2}, .data = x},
    };
    st_writer w = {t, 2, NULL, 0};
    CHECK_STATUS(st_write(&w, buf, sizeof buf, &written), GAN_OK);
    CHECK_STATUS(st_write_size(&w, &size), GAN_OK);
    CHECK(size == written);
    CHECK_STATUS(st_write(&w, NULL, sizeof buf, &written), I);
    CHECK_STATUS(st_write(&w, buf, sizeof buf, NULL), I);
    CHECK_STATUS(st_write(NULL, buf, sizeof buf, &written), I);
    CHECK_STATUS(st_write_size(&w, NULL), I);

    t[1].name = "a";
    CHECK_STATUS(st_write(&w, buf, sizeof buf, &written), I);
    t[1].name = "__metadata__";
    CHECK_STATUS(st_write(&w, buf, sizeof buf, &written), I);
    t[1].name = NULL;
    CHECK_STATUS(st_write(&w, buf, sizeof buf, &written), I);
    t[1].name = "bad\xC3";
    CHECK_STATUS(st_write_size(&w, &size), I);
    t[1].name = "b";
    t[1].dtype = ST_DTYPE_COUNT;
    CHECK_STATUS(st_write(&w, buf, sizeof buf, &written), I);
    t[1].dtype = ST_F32;
    t[1].rank = ST_MAX_RANK + 1;
    CHECK_STATUS(st_write(&w, buf, sizeof buf, &written), I);
    t[1].rank = 2;
    t[1].shape[0] = 1ull << 40;
    t[1].shape[1] = 1ull << 40;
    CHECK_STATUS(st_write(&w, buf, sizeof buf, &written), I);
    t[1].rank = 1;
    t[1].shape[0] = 2;
    t[1].data = NULL;
    CHECK_STATUS(st_write(&w, buf, sizeof buf, &written), I);
    t[1].shape[0] = 0; /* empty tensor: NULL data is fine */
    CHECK_STATUS(st_write(&w, buf, sizeof buf, &written), GAN_OK);

    st_metadata_entry m[2] = {{"k", "v"}, {"k", "w"}};
    w.metadata = m;
    w.metadata_count = 2;
    CHECK_STATUS(st_write(&w, buf, sizeof buf, &written), I);
    m[1].key = "j";
    m[1].value = NULL;
    CHECK_STATUS(st_write(&w, buf, sizeof buf, &written), I);
    m[1].value = "\xED\xA0\x80"; /* encoded surrogate */
    CHECK_STATUS(st_write(&w, buf, sizeof buf, &written), I);
    m[1].value = "w";
    CHECK_STATUS(st_write(&w, buf, sizeof buf, &written), GAN_OK);
    w.metadata = NULL;
    CHECK_STATUS(st_write(&w, buf, sizeof buf, &written), I);

    /* Every dtype round-trips its name and size. */
    for (int d = 0; d < ST_DTYPE_COUNT; d++) {
        CHECK(st_dtype_name((st_dtype)d) != NULL);
        size_t s = st_dtype_size((st_dtype)d);
        CHECK(s == 1 || s == 2 || s == 4 || s == 8);
        uint8_t data[8] = {0};
        st_tensor_source one = {.name = "x", .dtype = (st_dtype)d, .rank = 1, .shape = {1}, .data = data};
        st_writer single = {&one, 1, NULL, 0};
        st_file file;
        CHECK_STATUS(st_write(&single, buf, sizeof buf, &written), GAN_OK);
        CHECK_STATUS(st_parse(buf, written, &file), GAN_OK);
        CHECK(file.tensor_count == 1 && file.tensors[0].dtype == (st_dtype)d &&
              file.tensors[0].byte_length == s);
        st_file_free(&file);
    }
    CHECK(st_dtype_name(ST_DTYPE_COUNT) == NULL && st_dtype_size(ST_DTYPE_COUNT) == 0);
}

/* Many tensors: the reader must stay O(n log n) (sorted duplicate check,
 * binary-search lookups), and a duplicate at the very end is still found.
 * The header is built by hand: the writer's pairwise duplicate check is
 * meant for the tens of tensors a checkpoint has. */
static void test_many_tensors(void) {
    enum { COUNT = 20000 };
    const size_t entry_capacity = 96;
    char *header = malloc(COUNT * entry_capacity + 16);
    size_t length = 0;
    header[length++] = '{';
    for (int i = 0; i < COUNT; i++) {
        length += (size_t)snprintf(header + length, entry_capacity,
                                   "%s\"t%d\":{\"dtype\":\"U32\",\"shape\":[1],\"data_offsets\":[%d,%d]}",
                                   i ? "," : "", COUNT - i, 4 * i, 4 * i + 4);
    }
    header[length++] = '}';
    header[length] = '\0';
    uint8_t *buf;
    size_t size = make_file(header, 4 * COUNT, &buf);
    for (int i = 0; i < COUNT; i++) { /* value i in tensor "t(COUNT-i)" */
        uint8_t *p = buf + 8 + length + 4 * i;
        for (int b = 0; b < 4; b++) p[b] = (uint8_t)((uint32_t)i >> (8 * b));
    }
    clock_t start = clock();
    st_file file;
    CHECK_STATUS(st_parse(buf, size, &file), GAN_OK);
    double seconds = (double)(clock() - start) / CLOCKS_PER_SEC;
    CHECK(file.tensor_count == COUNT);
    int found = 1;
    for (int i = 0; i < COUNT; i++) {
        char name[16];
        snprintf(name, sizeof name, "t%d", COUNT - i);
        uint32_t v = 0;
        const uint64_t shape[1] = {1};
        if (st_read(&file, name, ST_U32, 1, shape, &v, sizeof v) != GAN_OK || v != (uint32_t)i)
            found = 0;
    }
    CHECK(found);
    st_file_free(&file);
    CHECK(seconds < 1.0);
    printf("  %d tensors parsed in %.1f ms\n", COUNT, seconds * 1e3);

    /* Rename the last tensor "t1" to "t2", the second-to-last's name. */
    free(buf);
    char *last = strstr(header + length - 80, "\"t1\"");
    CHECK(last != NULL);
    if (last) last[2] = '2';
    size = make_file(header, 4 * COUNT, &buf);
    CHECK_STATUS(parse_copy(buf, size), GAN_ERR_CHECKPOINT_MALFORMED);
    free(buf);
    free(header);
}

int main(void) {
    clock_t start = clock();
    test_round_trip();
    test_reference_vectors();
    test_escapes();
    test_truncation();
    test_header_length();
    test_offsets_and_shapes();
    test_bad_json();
    test_mutations();
    test_writer_arguments();
    test_many_tensors();
    printf("test_safetensors: %d checks, %d failures, %.2f s\n", checks, failures,
           (double)(clock() - start) / CLOCKS_PER_SEC);
    return failures ? 1 : 0;
}
