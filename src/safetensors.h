/*
 * safetensors.h - strict reader and single-pass writer for the safetensors
 * layout (https://huggingface.co/docs/safetensors). Internal to the core; the
 * checkpoint code builds gan_checkpoint_save/load on it.
 *
 * The layout:
 *
 *     [u64 little-endian N][N bytes of UTF-8 JSON header][data section]
 *
 * The header is one JSON object. Each key is a tensor name mapping to
 *     {"dtype":"F32","shape":[2,3],"data_offsets":[begin,end]}
 * with offsets relative to the start of the data section (byte 8 + N); the
 * optional key "__metadata__" maps to an object of string -> string.
 *
 * Reading (st_parse) treats the buffer as hostile. It accepts a file only if
 *   - N is at most ST_MAX_HEADER_SIZE and the header lies inside the buffer;
 *   - the header is valid UTF-8 and exactly the schema above: it starts with
 *     '{', has no duplicate keys at any level, no keys other than dtype, shape
 *     and data_offsets in a tensor entry, only string values in __metadata__,
 *     only non-negative integers (no sign, fraction, exponent or leading zero,
 *     at most 2^64-1) in shape and data_offsets, and nothing after the root
 *     object except JSON whitespace (the writer's space padding);
 *   - no string contains U+0000 (names are handed out as C strings);
 *   - every dtype is a known whole-byte dtype and rank <= ST_MAX_RANK;
 *   - product(shape) * dtype size == end - begin, computed without overflow;
 *   - the tensors tile the data section exactly: sorted by offset they start
 *     at 0, each begins where the previous ends (no overlap, no hole), and the
 *     last ends at the end of the buffer (no trailing bytes). This is what the
 *     reference implementation enforces too.
 * Status codes:
 *   GAN_ERR_CHECKPOINT_TRUNCATED  the buffer is shorter than 8 bytes, than
 *                                 8 + N, or than the data the offsets promise;
 *   GAN_ERR_CHECKPOINT_MALFORMED  everything else above (including N larger
 *                                 than ST_MAX_HEADER_SIZE: never allocated);
 *   GAN_ERR_OUT_OF_MEMORY, GAN_ERR_INVALID_ARGUMENT (NULL pointers).
 * Every truncation of a valid file gives GAN_ERR_CHECKPOINT_TRUNCATED. The
 * parser follows the schema and does not recurse, so nesting depth cannot
 * exhaust the stack; work is O(N log N) in the header size, memory one
 * allocation of about the header's size (tensor and metadata tables plus
 * decoded strings).
 *
 * Writing (st_write) lays out the header compactly as the reference writer
 * does ("__metadata__" first when there is any, then the tensors in the order
 * given, keys dtype/shape/data_offsets), pads it with spaces so the data
 * section starts at a multiple of 8 bytes, and then the tensors' bytes back
 * to back in the same order. It writes straight into the caller's buffer in
 * one pass and allocates nothing.
 *
 * Byte order: tensor data is copied verbatim, which is correct only on
 * little-endian hosts (x86, ARM as used, wasm); a big-endian build fails to
 * compile (see safetensors.c).
 *
 * Usage:
 *
 *     st_file file;
 *     gan_status status = st_parse(buf, size, &file);
 *     if (status != GAN_OK) return status;
 *     const uint64_t shape[2] = {100, 1200};
 *     status = st_read(&file, "generator.0.weight", ST_F32, 2, shape,
 *                      weights, 100 * 1200 * sizeof(float));
 *     const char *format = st_find_metadata(&file, "format");  // NULL if absent
 *     st_file_free(&file);
 *
 *     st_tensor_source tensors[] = {
 *         {.name = "generator.0.weight", .dtype = ST_F32, .rank = 2,
 *          .shape = {100, 1200}, .data = weights},
 *     };
 *     st_metadata_entry metadata[] = {{"format", "wasm-gan"}, {"version", "1"}};
 *     st_writer writer = {tensors, 1, metadata, 2};
 *     size_t size;
 *     st_write_size(&writer, &size);             // exact byte count
 *     st_write(&writer, buf, capacity, &size);   // writes exactly that many
 */
#ifndef GAN_SAFETENSORS_H
#define GAN_SAFETENSORS_H

#include <stddef.h>
#include <stdint.h>

#include "gan.h"

/* Largest header length st_parse accepts; the reference implementation's cap. */
#define ST_MAX_HEADER_SIZE 100000000u
/* Largest tensor rank st_parse and st_write accept. */
#define ST_MAX_RANK 8

/* The whole-byte dtypes of the format. Sub-byte ones (F4, F6_*) are
 * rejected as unknown. */
typedef enum st_dtype {
    ST_BOOL = 0,
    ST_U8,
    ST_I8,
    ST_F8_E5M2,
    ST_F8_E4M3,
    ST_F8_E8M0,
    ST_I16,
    ST_U16,
    ST_F16,
    ST_BF16,
    ST_I32,
    ST_U32,
    ST_F32,
    ST_I64,
    ST_U64,
    ST_F64,
    ST_DTYPE_COUNT
} st_dtype;

/* Bytes per element (1, 2, 4 or 8); 0 for an out-of-range value. */
size_t st_dtype_size(st_dtype dtype);
/* The header spelling ("F32"); NULL for an out-of-range value. */
const char *st_dtype_name(st_dtype dtype);

/* ------------------------------------------------------------------------ */
/* Reading                                                                  */
/* ------------------------------------------------------------------------ */

typedef struct st_tensor {
    const char *name;             /* decoded UTF-8, NUL-terminated; owned by the st_file */
    st_dtype dtype;
    uint32_t rank;                /* 0 for a scalar */
    uint64_t shape[ST_MAX_RANK];  /* shape[rank..] are 0 */
    uint64_t element_count;       /* product of shape (1 for a scalar) */
    size_t data_offset;           /* from the start of the data section */
    size_t byte_length;           /* element_count * st_dtype_size(dtype) */
    const uint8_t *data;          /* into the parsed buffer: borrowed, possibly unaligned
                                     (copy with memcpy or st_tensor_read, never cast) */
} st_tensor;

typedef struct st_metadata_entry {
    const char *key;              /* NUL-terminated UTF-8 */
    const char *value;
} st_metadata_entry;

/* A parsed file. Fields are read-only for callers. Strings and arrays live in
 * one allocation owned by the st_file (freed by st_file_free); tensor data
 * pointers point into the buffer given to st_parse, which the caller keeps
 * alive and unchanged for as long as it uses them. */
typedef struct st_file {
    const st_tensor *tensors;            /* sorted by name (strcmp order) */
    size_t tensor_count;
    const st_metadata_entry *metadata;   /* sorted by key (strcmp order) */
    size_t metadata_count;
    int has_metadata;                    /* 1 if "__metadata__" was present (even if empty) */
    size_t header_size;                  /* N */
    const uint8_t *data;                 /* the data section, inside the parsed buffer */
    size_t data_size;
    void *storage;                       /* private: the single allocation */
} st_file;

/* Parses and fully validates buf[0..size) as described at the top. On success
 * *out is filled and must be released with st_file_free. On failure *out is
 * zeroed (so st_file_free on it is harmless) and nothing stays allocated. */
gan_status st_parse(const uint8_t *buf, size_t size, st_file *out);

/* Releases what st_parse allocated and zeroes *file. NULL is fine. */
void st_file_free(st_file *file);

/* The tensor called `name`, or NULL. O(log n). */
const st_tensor *st_find_tensor(const st_file *file, const char *name);

/* The metadata value for `key` (owned by the st_file), or NULL. O(log n). */
const char *st_find_metadata(const st_file *file, const char *key);

/* GAN_OK if the tensor has exactly this dtype, rank and shape, otherwise
 * GAN_ERR_CHECKPOINT_MISMATCH (a valid file describing something else).
 * shape may be NULL when rank is 0. */
gan_status st_tensor_check(const st_tensor *tensor, st_dtype dtype, uint32_t rank,
                           const uint64_t *shape);

/* st_tensor_check, then copies the tensor's bytes into out (host order equals
 * file order: little-endian). GAN_ERR_BUFFER_TOO_SMALL if capacity (bytes)
 * is less than byte_length. Nothing is written unless GAN_OK. */
gan_status st_tensor_read(const st_tensor *tensor, st_dtype dtype, uint32_t rank,
                          const uint64_t *shape, void *out, size_t capacity);

/* st_find_tensor + st_tensor_read; a missing tensor is GAN_ERR_CHECKPOINT_MISMATCH. */
gan_status st_read(const st_file *file, const char *name, st_dtype dtype, uint32_t rank,
                   const uint64_t *shape, void *out, size_t capacity);

/* ------------------------------------------------------------------------ */
/* Writing                                                                  */
/* ------------------------------------------------------------------------ */

/* One tensor to write. data holds product(shape) * st_dtype_size(dtype)
 * bytes in host (little-endian) order; it may be NULL only when that is 0.
 * A scalar has rank 0 (shape ignored) and one element. */
typedef struct st_tensor_source {
    const char *name;             /* UTF-8, unique, not "__metadata__" */
    st_dtype dtype;
    uint32_t rank;                /* <= ST_MAX_RANK */
    uint64_t shape[ST_MAX_RANK];
    const void *data;
} st_tensor_source;

/* What to write; all pointers borrowed for the duration of the call.
 * Metadata keys must be unique; a metadata_count of 0 omits "__metadata__". */
typedef struct st_writer {
    const st_tensor_source *tensors;
    size_t tensor_count;
    const st_metadata_entry *metadata;
    size_t metadata_count;
} st_writer;

/* The exact size st_write will produce. GAN_ERR_INVALID_ARGUMENT for a NULL
 * or duplicate name, invalid UTF-8, a bad dtype or rank, NULL data with a
 * non-zero length, or a total that does not fit in size_t. */
gan_status st_write_size(const st_writer *writer, size_t *size);

/* Writes the file into buf. *written receives the exact size, also when the
 * call fails with GAN_ERR_BUFFER_TOO_SMALL (capacity less than that), in
 * which case nothing is written. Same argument checks as st_write_size.
 * Duplicate names are found by pairwise comparison: meant for the tens of
 * tensors a checkpoint has. */
gan_status st_write(const st_writer *writer, uint8_t *buf, size_t capacity, size_t *written);

#endif /* GAN_SAFETENSORS_H */
