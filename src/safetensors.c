/*
 * safetensors.c - see safetensors.h for the format, the checks and the
 * ownership rules.
 *
 * The reader parses the header twice with the same code: the first pass
 * validates everything that can be checked locally and counts tensors,
 * metadata entries and decoded string bytes; the second pass, into one
 * allocation of exactly that size, stores them. Then two sorts finish the
 * job: by offset (the tensors must tile the data section) and by name
 * (duplicates become neighbours, lookups become binary searches).
 *
 * The parser follows the schema rather than parsing arbitrary JSON, so there
 * is no general value recursion to bound: anything that is not what the
 * schema expects at that position is rejected on the spot.
 */
#include "safetensors.h"

#include <stdlib.h>
#include <string.h>

#if defined(__BYTE_ORDER__) && defined(__ORDER_LITTLE_ENDIAN__) && \
    __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "safetensors.c copies tensor data verbatim and needs a little-endian host"
#endif

static const struct {
    const char *name;
    size_t size;
} dtype_table[ST_DTYPE_COUNT] = {
    [ST_BOOL] = {"BOOL", 1},         [ST_U8] = {"U8", 1},
    [ST_I8] = {"I8", 1},             [ST_F8_E5M2] = {"F8_E5M2", 1},
    [ST_F8_E4M3] = {"F8_E4M3", 1},   [ST_F8_E8M0] = {"F8_E8M0", 1},
    [ST_I16] = {"I16", 2},           [ST_U16] = {"U16", 2},
    [ST_F16] = {"F16", 2},           [ST_BF16] = {"BF16", 2},
    [ST_I32] = {"I32", 4},           [ST_U32] = {"U32", 4},
    [ST_F32] = {"F32", 4},           [ST_I64] = {"I64", 8},
    [ST_U64] = {"U64", 8},           [ST_F64] = {"F64", 8},
};

static const char metadata_key[] = "__metadata__";
#define METADATA_KEY_LENGTH (sizeof metadata_key - 1)

size_t st_dtype_size(st_dtype dtype) {
    return (unsigned)dtype < ST_DTYPE_COUNT ? dtype_table[dtype].size : 0;
}

const char *st_dtype_name(st_dtype dtype) {
    return (unsigned)dtype < ST_DTYPE_COUNT ? dtype_table[dtype].name : NULL;
}

/* Length of the well-formed UTF-8 sequence at p (1-4), or 0 if there is none:
 * no overlong forms, no encoded surrogates, nothing above U+10FFFF. */
static size_t utf8_sequence_length(const uint8_t *p, const uint8_t *end) {
    size_t available = (size_t)(end - p);
    uint8_t lead = p[0];
    if (lead < 0x80) return 1;
    size_t length;
    uint8_t second_min = 0x80, second_max = 0xBF;
    if (lead >= 0xC2 && lead <= 0xDF) {
        length = 2;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
        length = 3;
        if (lead == 0xE0) second_min = 0xA0; /* overlong */
        if (lead == 0xED) second_max = 0x9F; /* surrogates */
    } else if (lead >= 0xF0 && lead <= 0xF4) {
        length = 4;
        if (lead == 0xF0) second_min = 0x90; /* overlong */
        if (lead == 0xF4) second_max = 0x8F; /* above U+10FFFF */
    } else {
        return 0;
    }
    if (available < length) return 0;
    if (p[1] < second_min || p[1] > second_max) return 0;
    for (size_t i = 2; i < length; i++)
        if ((p[i] & 0xC0) != 0x80) return 0;
    return length;
}

/* Checked arithmetic: 1 on overflow. */
static int mul_u64_overflows(uint64_t a, uint64_t b, uint64_t *result) {
    if (a != 0 && b > UINT64_MAX / a) return 1;
    *result = a * b;
    return 0;
}

static int add_size_overflows(size_t a, size_t b, size_t *result) {
    if (b > SIZE_MAX - a) return 1;
    *result = a + b;
    return 0;
}

/* Bytes of a tensor of this dtype and shape; 1 on overflow of uint64_t. */
static int tensor_bytes_overflow(st_dtype dtype, uint32_t rank, const uint64_t *shape,
                                 uint64_t *elements, uint64_t *bytes) {
    uint64_t count = 1;
    for (uint32_t i = 0; i < rank; i++)
        if (mul_u64_overflows(count, shape[i], &count)) return 1;
    *elements = count;
    return mul_u64_overflows(count, st_dtype_size(dtype), bytes);
}

/* ======================================================================== */
/* Reader                                                                   */
/* ======================================================================== */

#define MALFORMED GAN_ERR_CHECKPOINT_MALFORMED

typedef struct parser {
    const uint8_t *cursor;
    const uint8_t *end;      /* end of the header */
    size_t data_size;        /* bytes after the header */
    /* Counted in the first pass, used as cursors in the second. */
    size_t tensor_count;
    size_t metadata_count;
    size_t string_bytes;
    int has_metadata;
    /* NULL in the first pass; the single allocation in the second. */
    st_tensor *tensors;
    st_metadata_entry *metadata;
    char *strings;
    size_t tensor_capacity, metadata_capacity, string_capacity;
} parser;

static void skip_whitespace(parser *ps) {
    while (ps->cursor < ps->end) {
        uint8_t c = *ps->cursor;
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r') break;
        ps->cursor++;
    }
}

/* Consumes `c` after optional whitespace. */
static int expect_char(parser *ps, uint8_t c) {
    skip_whitespace(ps);
    if (ps->cursor >= ps->end || *ps->cursor != c) return 0;
    ps->cursor++;
    return 1;
}

/* After optional whitespace: 1 and consumes it if the next byte is `c`. */
static int peek_char(parser *ps, uint8_t c) {
    skip_whitespace(ps);
    if (ps->cursor < ps->end && *ps->cursor == c) {
        ps->cursor++;
        return 1;
    }
    return 0;
}

static int hex_digit(uint8_t c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static int read_hex4(parser *ps, uint32_t *value) {
    if (ps->end - ps->cursor < 4) return 0;
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) {
        int d = hex_digit(ps->cursor[i]);
        if (d < 0) return 0;
        v = v << 4 | (uint32_t)d;
    }
    ps->cursor += 4;
    *value = v;
    return 1;
}

/* Appends one decoded byte; counts past capacity without writing. */
static void put_byte(char *dst, size_t capacity, size_t *length, uint8_t byte) {
    if (*length < capacity) dst[*length] = (char)byte;
    (*length)++;
}

/* Parses a JSON string (after optional whitespace) and decodes it into
 * dst[0..capacity), writing no more than capacity bytes; *length receives
 * the full decoded length. Rejects control characters, invalid UTF-8, bad
 * escapes, lone surrogates and U+0000. Never NUL-terminates. */
static gan_status parse_string(parser *ps, char *dst, size_t capacity, size_t *length) {
    if (!expect_char(ps, '"')) return MALFORMED;
    size_t n = 0;
    for (;;) {
        if (ps->cursor >= ps->end) return MALFORMED;
        uint8_t c = *ps->cursor;
        if (c == '"') {
            ps->cursor++;
            *length = n;
            return GAN_OK;
        }
        if (c < 0x20) return MALFORMED;
        if (c != '\\') {
            size_t sequence = utf8_sequence_length(ps->cursor, ps->end);
            if (sequence == 0) return MALFORMED;
            for (size_t i = 0; i < sequence; i++) put_byte(dst, capacity, &n, ps->cursor[i]);
            ps->cursor += sequence;
            continue;
        }
        ps->cursor++; /* the backslash */
        if (ps->cursor >= ps->end) return MALFORMED;
        uint8_t escape = *ps->cursor++;
        uint8_t simple = 0;
        switch (escape) {
        case '"': simple = '"'; break;
        case '\\': simple = '\\'; break;
        case '/': simple = '/'; break;
        case 'b': simple = '\b'; break;
        case 'f': simple = '\f'; break;
        case 'n': simple = '\n'; break;
        case 'r': simple = '\r'; break;
        case 't': simple = '\t'; break;
        case 'u': break;
        default: return MALFORMED;
        }
        if (simple) {
            put_byte(dst, capacity, &n, simple);
            continue;
        }
        uint32_t code;
        if (!read_hex4(ps, &code)) return MALFORMED;
        if (code >= 0xDC00 && code <= 0xDFFF) return MALFORMED; /* lone low surrogate */
        if (code >= 0xD800 && code <= 0xDBFF) {
            uint32_t low;
            if (ps->end - ps->cursor < 2 || ps->cursor[0] != '\\' || ps->cursor[1] != 'u')
                return MALFORMED;
            ps->cursor += 2;
            if (!read_hex4(ps, &low) || low < 0xDC00 || low > 0xDFFF) return MALFORMED;
            code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
        }
        if (code == 0) return MALFORMED; /* names are C strings */
        if (code < 0x80) {
            put_byte(dst, capacity, &n, (uint8_t)code);
        } else if (code < 0x800) {
            put_byte(dst, capacity, &n, (uint8_t)(0xC0 | code >> 6));
            put_byte(dst, capacity, &n, (uint8_t)(0x80 | (code & 0x3F)));
        } else if (code < 0x10000) {
            put_byte(dst, capacity, &n, (uint8_t)(0xE0 | code >> 12));
            put_byte(dst, capacity, &n, (uint8_t)(0x80 | (code >> 6 & 0x3F)));
            put_byte(dst, capacity, &n, (uint8_t)(0x80 | (code & 0x3F)));
        } else {
            put_byte(dst, capacity, &n, (uint8_t)(0xF0 | code >> 18));
            put_byte(dst, capacity, &n, (uint8_t)(0x80 | (code >> 12 & 0x3F)));
            put_byte(dst, capacity, &n, (uint8_t)(0x80 | (code >> 6 & 0x3F)));
            put_byte(dst, capacity, &n, (uint8_t)(0x80 | (code & 0x3F)));
        }
    }
}

/* A string that is kept: in the first pass only counted, in the second
 * stored NUL-terminated in the string area. */
static gan_status parse_stored_string(parser *ps, const char **stored) {
    size_t length;
    if (ps->strings == NULL) {
        gan_status status = parse_string(ps, NULL, 0, &length);
        if (status != GAN_OK) return status;
        if (add_size_overflows(ps->string_bytes, length + 1, &ps->string_bytes))
            return GAN_ERR_OUT_OF_MEMORY;
        return GAN_OK;
    }
    char *dst = ps->strings + ps->string_bytes;
    size_t capacity = ps->string_capacity - ps->string_bytes;
    gan_status status = parse_string(ps, dst, capacity, &length);
    if (status != GAN_OK) return status;
    if (length >= capacity) return MALFORMED; /* cannot happen: same bytes as pass one */
    dst[length] = '\0';
    ps->string_bytes += length + 1;
    *stored = dst;
    return GAN_OK;
}

/* A non-negative JSON integer that fits in uint64_t. */
static gan_status parse_u64(parser *ps, uint64_t *value) {
    skip_whitespace(ps);
    if (ps->cursor >= ps->end || *ps->cursor < '0' || *ps->cursor > '9') return MALFORMED;
    uint64_t v = 0;
    if (*ps->cursor == '0') {
        ps->cursor++;
    } else {
        while (ps->cursor < ps->end && *ps->cursor >= '0' && *ps->cursor <= '9') {
            unsigned digit = (unsigned)(*ps->cursor - '0');
            if (v > (UINT64_MAX - digit) / 10) return MALFORMED;
            v = v * 10 + digit;
            ps->cursor++;
        }
    }
    /* A fraction, exponent or further digit ("01") makes it something else. */
    if (ps->cursor < ps->end) {
        uint8_t c = *ps->cursor;
        if ((c >= '0' && c <= '9') || c == '.' || c == 'e' || c == 'E') return MALFORMED;
    }
    *value = v;
    return GAN_OK;
}

/* '[' u64 (',' u64)* ']' or '[' ']'; at most `max` values. */
static gan_status parse_u64_array(parser *ps, uint64_t *values, uint32_t max, uint32_t *count) {
    if (!expect_char(ps, '[')) return MALFORMED;
    uint32_t n = 0;
    if (!peek_char(ps, ']')) {
        do {
            if (n == max) return MALFORMED;
            gan_status status = parse_u64(ps, &values[n]);
            if (status != GAN_OK) return status;
            n++;
        } while (peek_char(ps, ','));
        if (!expect_char(ps, ']')) return MALFORMED;
    }
    *count = n;
    return GAN_OK;
}

/* The value of a tensor entry: {"dtype":..,"shape":[..],"data_offsets":[b,e]}
 * in any order, each exactly once, nothing else. */
static gan_status parse_tensor_entry(parser *ps, st_tensor *tensor) {
    enum { SEEN_DTYPE = 1, SEEN_SHAPE = 2, SEEN_OFFSETS = 4 };
    unsigned seen = 0;
    st_dtype dtype = ST_DTYPE_COUNT;
    uint64_t shape[ST_MAX_RANK] = {0};
    uint32_t rank = 0;
    uint64_t offsets[2] = {0, 0};
    gan_status status;

    if (!expect_char(ps, '{')) return MALFORMED;
    if (peek_char(ps, '}')) return MALFORMED; /* all three fields are required */
    do {
        char key[16];
        size_t length;
        status = parse_string(ps, key, sizeof key, &length);
        if (status != GAN_OK) return status;
        if (!expect_char(ps, ':')) return MALFORMED;
        if (length == 5 && memcmp(key, "dtype", 5) == 0) {
            if (seen & SEEN_DTYPE) return MALFORMED;
            seen |= SEEN_DTYPE;
            char name[16];
            status = parse_string(ps, name, sizeof name, &length);
            if (status != GAN_OK) return status;
            for (int d = 0; d < ST_DTYPE_COUNT; d++) {
                if (length == strlen(dtype_table[d].name) &&
                    memcmp(name, dtype_table[d].name, length) == 0)
                    dtype = (st_dtype)d;
            }
            if (dtype == ST_DTYPE_COUNT) return MALFORMED;
        } else if (length == 5 && memcmp(key, "shape", 5) == 0) {
            if (seen & SEEN_SHAPE) return MALFORMED;
            seen |= SEEN_SHAPE;
            status = parse_u64_array(ps, shape, ST_MAX_RANK, &rank);
            if (status != GAN_OK) return status;
        } else if (length == 12 && memcmp(key, "data_offsets", 12) == 0) {
            if (seen & SEEN_OFFSETS) return MALFORMED;
            seen |= SEEN_OFFSETS;
            uint32_t count;
            status = parse_u64_array(ps, offsets, 2, &count);
            if (status != GAN_OK) return status;
            if (count != 2) return MALFORMED;
        } else {
            return MALFORMED;
        }
    } while (peek_char(ps, ','));
    if (!expect_char(ps, '}')) return MALFORMED;
    if (seen != (SEEN_DTYPE | SEEN_SHAPE | SEEN_OFFSETS)) return MALFORMED;

    uint64_t begin = offsets[0], end = offsets[1];
    uint64_t elements, bytes;
    if (begin > end) return MALFORMED;
    if (tensor_bytes_overflow(dtype, rank, shape, &elements, &bytes)) return MALFORMED;
    if (bytes != end - begin) return MALFORMED;
    /* The offsets promise bytes beyond the buffer: a truncated file. */
    if (end > ps->data_size) return GAN_ERR_CHECKPOINT_TRUNCATED;

    if (tensor) {
        tensor->dtype = dtype;
        tensor->rank = rank;
        memcpy(tensor->shape, shape, sizeof shape);
        tensor->element_count = elements;
        tensor->data_offset = (size_t)begin; /* <= data_size, so it fits */
        tensor->byte_length = (size_t)bytes;
    }
    return GAN_OK;
}

/* The value of "__metadata__": an object of string -> string. */
static gan_status parse_metadata(parser *ps) {
    if (!expect_char(ps, '{')) return MALFORMED;
    if (peek_char(ps, '}')) return GAN_OK;
    do {
        st_metadata_entry entry = {NULL, NULL};
        gan_status status = parse_stored_string(ps, &entry.key);
        if (status != GAN_OK) return status;
        if (!expect_char(ps, ':')) return MALFORMED;
        status = parse_stored_string(ps, &entry.value);
        if (status != GAN_OK) return status;
        if (ps->metadata) {
            if (ps->metadata_count >= ps->metadata_capacity) return MALFORMED; /* cannot happen */
            ps->metadata[ps->metadata_count] = entry;
        }
        ps->metadata_count++;
    } while (peek_char(ps, ','));
    if (!expect_char(ps, '}')) return MALFORMED;
    return GAN_OK;
}

/* The whole header: one object starting at its first byte, then only
 * whitespace. */
static gan_status parse_header(parser *ps) {
    if (ps->cursor >= ps->end || *ps->cursor != '{') return MALFORMED;
    ps->cursor++;
    if (!peek_char(ps, '}')) {
        do {
            /* Recognise __metadata__ in a small buffer first; a tensor
             * name is then decoded again into the string area (pass two). */
            const uint8_t *key_start = ps->cursor;
            char probe[METADATA_KEY_LENGTH + 1];
            size_t length;
            gan_status status = parse_string(ps, probe, sizeof probe, &length);
            if (status != GAN_OK) return status;
            if (!expect_char(ps, ':')) return MALFORMED;

            if (length == METADATA_KEY_LENGTH && memcmp(probe, metadata_key, length) == 0) {
                if (ps->has_metadata) return MALFORMED; /* duplicate key */
                ps->has_metadata = 1;
                status = parse_metadata(ps);
                if (status != GAN_OK) return status;
                continue;
            }

            st_tensor *tensor = NULL;
            if (ps->strings) {
                const uint8_t *after_colon = ps->cursor;
                if (ps->tensor_count >= ps->tensor_capacity) return MALFORMED; /* cannot happen */
                tensor = &ps->tensors[ps->tensor_count];
                ps->cursor = key_start;
                status = parse_stored_string(ps, &tensor->name);
                if (status != GAN_OK) return status;
                ps->cursor = after_colon;
            } else if (add_size_overflows(ps->string_bytes, length + 1, &ps->string_bytes)) {
                return GAN_ERR_OUT_OF_MEMORY;
            }
            status = parse_tensor_entry(ps, tensor);
            if (status != GAN_OK) return status;
            ps->tensor_count++;
        } while (peek_char(ps, ','));
        if (!expect_char(ps, '}')) return MALFORMED;
    }
    skip_whitespace(ps);
    return ps->cursor == ps->end ? GAN_OK : MALFORMED;
}

static int compare_by_offset(const void *a, const void *b) {
    const st_tensor *x = a, *y = b;
    if (x->data_offset != y->data_offset) return x->data_offset < y->data_offset ? -1 : 1;
    if (x->byte_length != y->byte_length) return x->byte_length < y->byte_length ? -1 : 1;
    return 0;
}

static int compare_by_name(const void *a, const void *b) {
    return strcmp(((const st_tensor *)a)->name, ((const st_tensor *)b)->name);
}

static int compare_by_key(const void *a, const void *b) {
    return strcmp(((const st_metadata_entry *)a)->key, ((const st_metadata_entry *)b)->key);
}

static uint64_t read_le64(const uint8_t *p) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = v << 8 | p[i];
    return v;
}

gan_status st_parse(const uint8_t *buf, size_t size, st_file *out) {
    if (out == NULL) return GAN_ERR_INVALID_ARGUMENT;
    memset(out, 0, sizeof *out);
    if (buf == NULL && size != 0) return GAN_ERR_INVALID_ARGUMENT;
    if (size < 8) return GAN_ERR_CHECKPOINT_TRUNCATED;

    uint64_t header_size = read_le64(buf);
    if (header_size > ST_MAX_HEADER_SIZE) return MALFORMED;
    if (header_size > size - 8) return GAN_ERR_CHECKPOINT_TRUNCATED;
    const uint8_t *header = buf + 8;
    const uint8_t *data = header + header_size;
    size_t data_size = size - 8 - (size_t)header_size;

    /* Pass one: validate and count. */
    parser ps = {.cursor = header, .end = data, .data_size = data_size};
    gan_status status = parse_header(&ps);
    if (status != GAN_OK) return status;

    /* One allocation: tensors, then metadata entries, then strings. The
     * counts are bounded by the header size, which is bounded by the cap,
     * but check the arithmetic anyway. */
    size_t tensor_count = ps.tensor_count, metadata_count = ps.metadata_count;
    size_t string_bytes = ps.string_bytes;
    size_t tensor_bytes, metadata_bytes, total;
    if (tensor_count > SIZE_MAX / sizeof(st_tensor) ||
        metadata_count > SIZE_MAX / sizeof(st_metadata_entry))
        return GAN_ERR_OUT_OF_MEMORY;
    tensor_bytes = tensor_count * sizeof(st_tensor);
    metadata_bytes = metadata_count * sizeof(st_metadata_entry);
    if (add_size_overflows(tensor_bytes, metadata_bytes, &total) ||
        add_size_overflows(total, string_bytes, &total))
        return GAN_ERR_OUT_OF_MEMORY;
    void *storage = NULL;
    if (total > 0) {
        storage = malloc(total);
        if (storage == NULL) return GAN_ERR_OUT_OF_MEMORY;
        memset(storage, 0, total);
    }
    st_tensor *tensors = storage;
    st_metadata_entry *metadata = NULL;

    /* Pass two: the same parse, storing. With nothing to store ("{}" or an
     * empty "__metadata__") there is no storage and no second pass. */
    if (total > 0) {
        metadata = (st_metadata_entry *)((char *)storage + tensor_bytes);
        char *strings = (char *)storage + tensor_bytes + metadata_bytes;
        parser fill = {.cursor = header, .end = data, .data_size = data_size,
                       .tensors = tensors, .metadata = metadata,
                       .strings = strings, .tensor_capacity = tensor_count,
                       .metadata_capacity = metadata_count, .string_capacity = string_bytes};
        status = parse_header(&fill);
        if (status == GAN_OK && (fill.tensor_count != tensor_count ||
                                 fill.metadata_count != metadata_count ||
                                 fill.string_bytes != string_bytes))
            status = MALFORMED; /* cannot happen: the passes read the same bytes */
        if (status != GAN_OK) goto fail;
    }

    /* The tensors must tile the data section exactly. */
    if (tensor_count > 1) qsort(tensors, tensor_count, sizeof *tensors, compare_by_offset);
    size_t expected = 0;
    for (size_t i = 0; i < tensor_count; i++) {
        if (tensors[i].data_offset != expected) {
            status = MALFORMED; /* overlap (<) or hole (>) */
            goto fail;
        }
        expected += tensors[i].byte_length; /* <= data_size, checked per tensor */
        tensors[i].data = data + tensors[i].data_offset;
    }
    if (expected != data_size) {
        status = MALFORMED; /* bytes after the last tensor */
        goto fail;
    }

    /* Unique names and keys. */
    if (tensor_count > 1) qsort(tensors, tensor_count, sizeof *tensors, compare_by_name);
    for (size_t i = 1; i < tensor_count; i++) {
        if (strcmp(tensors[i - 1].name, tensors[i].name) == 0) {
            status = MALFORMED;
            goto fail;
        }
    }
    if (metadata_count > 1) qsort(metadata, metadata_count, sizeof *metadata, compare_by_key);
    for (size_t i = 1; i < metadata_count; i++) {
        if (strcmp(metadata[i - 1].key, metadata[i].key) == 0) {
            status = MALFORMED;
            goto fail;
        }
    }

    out->tensors = tensor_count ? tensors : NULL;
    out->tensor_count = tensor_count;
    out->metadata = metadata_count ? metadata : NULL;
    out->metadata_count = metadata_count;
    out->has_metadata = ps.has_metadata;
    out->header_size = (size_t)header_size;
    out->data = data;
    out->data_size = data_size;
    out->storage = storage;
    return GAN_OK;

fail:
    free(storage);
    return status;
}

void st_file_free(st_file *file) {
    if (file == NULL) return;
    free(file->storage);
    memset(file, 0, sizeof *file);
}

/* Tensors and metadata are kept sorted by name (st_parse), so both look-ups
 * are bsearch; the first member of each entry is its name. */
_Static_assert(offsetof(st_tensor, name) == 0 && offsetof(st_metadata_entry, key) == 0,
               "entries begin with their name");

static int compare_name(const void *name, const void *entry)
{
    return strcmp((const char *)name, *(const char *const *)entry);
}

const st_tensor *st_find_tensor(const st_file *file, const char *name) {
    if (file == NULL || name == NULL || file->tensor_count == 0) return NULL;
    return bsearch(name, file->tensors, file->tensor_count, sizeof(st_tensor), compare_name);
}

const char *st_find_metadata(const st_file *file, const char *key) {
    if (file == NULL || key == NULL || file->metadata_count == 0) return NULL;
    const st_metadata_entry *entry =
        bsearch(key, file->metadata, file->metadata_count, sizeof(st_metadata_entry), compare_name);
    return entry ? entry->value : NULL;
}

gan_status st_tensor_check(const st_tensor *tensor, st_dtype dtype, uint32_t rank,
                           const uint64_t *shape) {
    if (tensor == NULL || (shape == NULL && rank != 0)) return GAN_ERR_INVALID_ARGUMENT;
    if (tensor->dtype != dtype || tensor->rank != rank) return GAN_ERR_CHECKPOINT_MISMATCH;
    for (uint32_t i = 0; i < rank; i++)
        if (tensor->shape[i] != shape[i]) return GAN_ERR_CHECKPOINT_MISMATCH;
    return GAN_OK;
}

gan_status st_tensor_read(const st_tensor *tensor, st_dtype dtype, uint32_t rank,
                          const uint64_t *shape, void *out, size_t capacity) {
    gan_status status = st_tensor_check(tensor, dtype, rank, shape);
    if (status != GAN_OK) return status;
    if (capacity < tensor->byte_length) return GAN_ERR_BUFFER_TOO_SMALL;
    if (tensor->byte_length == 0) return GAN_OK;
    if (out == NULL) return GAN_ERR_INVALID_ARGUMENT;
    memcpy(out, tensor->data, tensor->byte_length);
    return GAN_OK;
}

gan_status st_read(const st_file *file, const char *name, st_dtype dtype, uint32_t rank,
                   const uint64_t *shape, void *out, size_t capacity) {
    if (file == NULL || name == NULL) return GAN_ERR_INVALID_ARGUMENT;
    const st_tensor *tensor = st_find_tensor(file, name);
    if (tensor == NULL) return GAN_ERR_CHECKPOINT_MISMATCH;
    return st_tensor_read(tensor, dtype, rank, shape, out, capacity);
}

/* ======================================================================== */
/* Writer                                                                   */
/* ======================================================================== */

/* Appends to buf, or only counts when buf is NULL. */
typedef struct emitter {
    uint8_t *buf;
    size_t length;
    int overflow;
} emitter;

static void emit_bytes(emitter *e, const void *bytes, size_t count) {
    if (e->overflow) return;
    if (count > SIZE_MAX - e->length) {
        e->overflow = 1;
        return;
    }
    if (e->buf && count) memcpy(e->buf + e->length, bytes, count);
    e->length += count;
}

static void emit_text(emitter *e, const char *text) {
    emit_bytes(e, text, strlen(text));
}

static void emit_u64(emitter *e, uint64_t value) {
    char digits[20];
    size_t n = 0;
    do {
        digits[sizeof digits - 1 - n++] = (char)('0' + value % 10);
        value /= 10;
    } while (value);
    emit_bytes(e, digits + sizeof digits - n, n);
}

/* A JSON string as serde_json (the reference writer) escapes it: quote,
 * backslash and control characters; everything else verbatim. */
static void emit_json_string(emitter *e, const char *text) {
    static const char hex[] = "0123456789abcdef";
    emit_bytes(e, "\"", 1);
    const char *run = text;
    for (const char *p = text; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c >= 0x20 && c != '"' && c != '\\') continue;
        emit_bytes(e, run, (size_t)(p - run));
        run = p + 1;
        char escape[6] = {'\\', 0, 0, 0, 0, 0};
        size_t length = 2;
        switch (c) {
        case '"': escape[1] = '"'; break;
        case '\\': escape[1] = '\\'; break;
        case '\b': escape[1] = 'b'; break;
        case '\f': escape[1] = 'f'; break;
        case '\n': escape[1] = 'n'; break;
        case '\r': escape[1] = 'r'; break;
        case '\t': escape[1] = 't'; break;
        default:
            escape[1] = 'u';
            escape[2] = '0';
            escape[3] = '0';
            escape[4] = hex[c >> 4];
            escape[5] = hex[c & 15];
            length = 6;
        }
        emit_bytes(e, escape, length);
    }
    emit_bytes(e, run, strlen(run));
    emit_bytes(e, "\"", 1);
}

static int valid_utf8_string(const char *text) {
    const uint8_t *p = (const uint8_t *)text, *end = p + strlen(text);
    while (p < end) {
        size_t length = utf8_sequence_length(p, end);
        if (length == 0) return 0;
        p += length;
    }
    return 1;
}

/* Checks the writer's input; *data_bytes receives the data section size. */
static gan_status validate_writer(const st_writer *writer, uint64_t *data_bytes) {
    if (writer == NULL) return GAN_ERR_INVALID_ARGUMENT;
    if ((writer->tensors == NULL && writer->tensor_count) ||
        (writer->metadata == NULL && writer->metadata_count))
        return GAN_ERR_INVALID_ARGUMENT;
    uint64_t total = 0;
    for (size_t i = 0; i < writer->tensor_count; i++) {
        const st_tensor_source *t = &writer->tensors[i];
        uint64_t elements, bytes;
        if (t->name == NULL || !valid_utf8_string(t->name) || strcmp(t->name, metadata_key) == 0)
            return GAN_ERR_INVALID_ARGUMENT;
        if ((unsigned)t->dtype >= ST_DTYPE_COUNT || t->rank > ST_MAX_RANK)
            return GAN_ERR_INVALID_ARGUMENT;
        if (tensor_bytes_overflow(t->dtype, t->rank, t->shape, &elements, &bytes) ||
            bytes > UINT64_MAX - total)
            return GAN_ERR_INVALID_ARGUMENT;
        if (bytes != 0 && t->data == NULL) return GAN_ERR_INVALID_ARGUMENT;
        total += bytes;
        for (size_t j = 0; j < i; j++)
            if (strcmp(writer->tensors[j].name, t->name) == 0) return GAN_ERR_INVALID_ARGUMENT;
    }
    for (size_t i = 0; i < writer->metadata_count; i++) {
        const st_metadata_entry *m = &writer->metadata[i];
        if (m->key == NULL || m->value == NULL || !valid_utf8_string(m->key) ||
            !valid_utf8_string(m->value))
            return GAN_ERR_INVALID_ARGUMENT;
        for (size_t j = 0; j < i; j++)
            if (strcmp(writer->metadata[j].key, m->key) == 0) return GAN_ERR_INVALID_ARGUMENT;
    }
    *data_bytes = total;
    return GAN_OK;
}

/* Data bytes of a source tensor that validate_writer accepted. */
static uint64_t source_bytes(const st_tensor_source *t) {
    uint64_t elements = 0, bytes = 0;
    (void)tensor_bytes_overflow(t->dtype, t->rank, t->shape, &elements, &bytes);
    return bytes;
}

/* The header JSON without padding; counts only when e->buf is NULL. */
static void emit_header(emitter *e, const st_writer *writer) {
    emit_bytes(e, "{", 1);
    int first = 1;
    if (writer->metadata_count) {
        emit_json_string(e, metadata_key);
        emit_bytes(e, ":{", 2);
        for (size_t i = 0; i < writer->metadata_count; i++) {
            if (i) emit_bytes(e, ",", 1);
            emit_json_string(e, writer->metadata[i].key);
            emit_bytes(e, ":", 1);
            emit_json_string(e, writer->metadata[i].value);
        }
        emit_bytes(e, "}", 1);
        first = 0;
    }
    uint64_t offset = 0;
    for (size_t i = 0; i < writer->tensor_count; i++) {
        const st_tensor_source *t = &writer->tensors[i];
        uint64_t bytes = source_bytes(t);
        if (!first) emit_bytes(e, ",", 1);
        first = 0;
        emit_json_string(e, t->name);
        emit_text(e, ":{\"dtype\":\"");
        emit_text(e, dtype_table[t->dtype].name);
        emit_text(e, "\",\"shape\":[");
        for (uint32_t d = 0; d < t->rank; d++) {
            if (d) emit_bytes(e, ",", 1);
            emit_u64(e, t->shape[d]);
        }
        emit_text(e, "],\"data_offsets\":[");
        emit_u64(e, offset);
        emit_bytes(e, ",", 1);
        emit_u64(e, offset + bytes);
        emit_text(e, "]}");
        offset += bytes;
    }
    emit_bytes(e, "}", 1);
}

/* Validates and computes the layout: padded header length and total size. */
static gan_status plan(const st_writer *writer, size_t *header_size, size_t *total) {
    uint64_t data_bytes;
    gan_status status = validate_writer(writer, &data_bytes);
    if (status != GAN_OK) return status;
    emitter counter = {NULL, 0, 0};
    emit_header(&counter, writer);
    size_t padded;
    if (counter.overflow || add_size_overflows(counter.length, (8 - counter.length % 8) % 8, &padded))
        return GAN_ERR_INVALID_ARGUMENT;
    size_t size;
    if (add_size_overflows(8, padded, &size) || data_bytes > SIZE_MAX - size)
        return GAN_ERR_INVALID_ARGUMENT;
    *header_size = padded;
    *total = size + (size_t)data_bytes;
    return GAN_OK;
}

gan_status st_write_size(const st_writer *writer, size_t *size) {
    if (size == NULL) return GAN_ERR_INVALID_ARGUMENT;
    size_t header_size;
    return plan(writer, &header_size, size);
}

gan_status st_write(const st_writer *writer, uint8_t *buf, size_t capacity, size_t *written) {
    if (written == NULL) return GAN_ERR_INVALID_ARGUMENT;
    size_t header_size, total;
    gan_status status = plan(writer, &header_size, &total);
    if (status != GAN_OK) return status;
    *written = total;
    if (capacity < total) return GAN_ERR_BUFFER_TOO_SMALL;
    if (buf == NULL) return GAN_ERR_INVALID_ARGUMENT;

    uint64_t n = header_size;
    for (int i = 0; i < 8; i++) buf[i] = (uint8_t)(n >> (8 * i));
    emitter e = {buf + 8, 0, 0};
    emit_header(&e, writer);
    memset(buf + 8 + e.length, ' ', header_size - e.length);
    uint8_t *p = buf + 8 + header_size;
    for (size_t i = 0; i < writer->tensor_count; i++) {
        const st_tensor_source *t = &writer->tensors[i];
        uint64_t bytes = source_bytes(t);
        if (bytes) memcpy(p, t->data, (size_t)bytes);
        p += bytes;
    }
    return GAN_OK;
}
