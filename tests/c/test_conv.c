/*
 * test_conv.c - the image kernels of src/network.c against direct loops:
 * im2col and col2im element by element, and the convolution, transposed
 * convolution and max pooling forward passes, and batch normalisation's sums
 * in their documented order. The direct loops sum in the
 * order gemm.h specifies (each output element over (kh, kw, c), padding's
 * zeros included), so the kernels must give the same bits, for every chunk
 * size (examples per GEMM) too. Shapes are awkward on purpose: odd sides,
 * stride larger than the kernel, padding, one channel and many. Outputs are
 * pre-filled with NaN, so a value not written shows.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gan.h"
#include "network.h"
#include "test_util.h"
#include "conv_models.h"

static uint32_t rng_state = 2463534242u;
static float uniform(void) { return xorshift_uniform(&rng_state); }

static float *random_floats(size_t n)
{
    float *p = malloc((n ? n : 1) * sizeof(float));
    for (size_t i = 0; i < n; i++) p[i] = uniform();
    return p;
}

static float *nans(size_t n)
{
    float *p = malloc((n ? n : 1) * sizeof(float));
    for (size_t i = 0; i < n; i++) p[i] = NAN;
    return p;
}

/* H, W, C, kernel, stride, padding: the image side and the window */
static const int shapes[][6] = {
    {5, 5, 1, 3, 1, 0},   {5, 5, 1, 3, 1, 1},   {7, 5, 3, 3, 2, 1},  {6, 6, 2, 2, 3, 0},
    {9, 7, 17, 4, 2, 1},  {4, 4, 5, 4, 1, 3},   {1, 1, 8, 1, 1, 0},  {11, 3, 2, 5, 4, 2},
    {28, 28, 1, 4, 2, 1}, {14, 14, 16, 4, 2, 1}, {3, 8, 33, 3, 5, 2}, {2, 2, 1, 2, 7, 1},
};
enum { SHAPES = sizeof(shapes) / sizeof(shapes[0]) };

static conv_geometry geometry_of(const int *s)
{
    conv_geometry g = {s[0], s[1], s[2], 0, 0, s[3], s[4], s[5]};
    g.out_height = (g.height + 2 * g.padding - g.kernel) / g.stride + 1;
    g.out_width = (g.width + 2 * g.padding - g.kernel) / g.stride + 1;
    return g;
}

/* image[ih][iw][c], or 0 outside */
static float pixel(const float *image, const conv_geometry *g, int ih, int iw, int c)
{
    if (ih < 0 || ih >= g->height || iw < 0 || iw >= g->width) return 0.0f;
    return image[((size_t)ih * g->width + iw) * g->channels + c];
}

static void test_im2col_col2im(void)
{
    for (int s = 0; s < SHAPES; s++) {
        const conv_geometry g = geometry_of(shapes[s]);
        const int K = g.kernel, C = g.channels, P = g.out_height * g.out_width;
        const size_t image_n = (size_t)g.height * g.width * C, col_n = (size_t)P * K * K * C;
        float *image = random_floats(image_n), *col = nans(col_n);
        im2col(col, image, &g);
        int bad = 0;
        for (int oh = 0; oh < g.out_height; oh++)
            for (int ow = 0; ow < g.out_width; ow++)
                for (int kh = 0; kh < K; kh++)
                    for (int kw = 0; kw < K; kw++)
                        for (int c = 0; c < C; c++) {
                            float want = pixel(image, &g, oh * g.stride - g.padding + kh,
                                               ow * g.stride - g.padding + kw, c);
                            float have = col[(((size_t)(oh * g.out_width + ow) * K + kh) * K + kw) * C + c];
                            bad += memcmp(&want, &have, sizeof(float)) != 0;
                        }
        CHECK(bad == 0, "im2col shape %d: %d elements differ", s, bad);

        // col2im: every pixel the sum, in (oh, ow, kh, kw) order, of the col
        // elements im2col reads from it
        float *cols = random_floats(col_n), *back = nans(image_n), *want = calloc(image_n, sizeof(float));
        for (int oh = 0; oh < g.out_height; oh++)
            for (int ow = 0; ow < g.out_width; ow++)
                for (int kh = 0; kh < K; kh++)
                    for (int kw = 0; kw < K; kw++) {
                        const int ih = oh * g.stride - g.padding + kh, iw = ow * g.stride - g.padding + kw;
                        if (ih < 0 || ih >= g.height || iw < 0 || iw >= g.width) continue;
                        for (int c = 0; c < C; c++)
                            want[((size_t)ih * g.width + iw) * C + c] +=
                                cols[(((size_t)(oh * g.out_width + ow) * K + kh) * K + kw) * C + c];
                    }
        col2im(back, cols, &g);
        CHECK(memcmp(back, want, image_n * sizeof(float)) == 0, "col2im shape %d differs", s);
        // and it is im2col's adjoint: <im2col(x), y> = <x, col2im(y)>
        double left = 0.0, right = 0.0;
        for (size_t i = 0; i < col_n; i++) left += (double)col[i] * cols[i];
        for (size_t i = 0; i < image_n; i++) right += (double)image[i] * back[i];
        CHECK(fabs(left - right) <= 1e-5 * (1.0 + fabs(left)), "adjoint shape %d: %g vs %g", s, left, right);
        free(image);
        free(col);
        free(cols);
        free(back);
        free(want);
    }
}

/* conv and conv transpose forward against direct loops, bit for bit, for
 * several chunk sizes; max pooling likewise. */
static void test_forward(void)
{
    const int B = 3;
    for (int s = 0; s < SHAPES; s++) {
        const conv_geometry g = geometry_of(shapes[s]);
        const int K = g.kernel, C = g.channels, P = g.out_height * g.out_width;
        const int OC = s % 3 == 0 ? 1 : 2 + s; /* the grid side's channels */
        const size_t image_n = (size_t)g.height * g.width * C, grid_n = (size_t)P * OC;
        const size_t weights = (size_t)K * K * C * OC;
        float *image = random_floats(B * image_n), *grid = random_floats(B * grid_n);
        float *weight = random_floats(weights), *bias = random_floats(grid_n > image_n ? grid_n : image_n);
        float *col = nans((size_t)B * P * K * K * C);
        for (int untied = 0; untied < 2; untied++) {
            // convolution: image -> grid
            float *want = nans(B * grid_n);
            for (int b = 0; b < B; b++)
                for (int p = 0; p < P; p++)
                    for (int o = 0; o < OC; o++) {
                        const int oh = p / g.out_width, ow = p % g.out_width;
                        float sum = 0.0f;
                        for (int kh = 0; kh < K; kh++)
                            for (int kw = 0; kw < K; kw++)
                                for (int c = 0; c < C; c++)
                                    sum = sum + pixel(image + b * image_n, &g, oh * g.stride - g.padding + kh,
                                                      ow * g.stride - g.padding + kw, c) *
                                                    weight[(((size_t)kh * K + kw) * C + c) * OC + o];
                        want[(b * P + p) * (size_t)OC + o] = sum + bias[untied ? (size_t)p * OC + o : (size_t)o];
                    }
            for (int chunk = 1; chunk <= B; chunk++) {
                float *out = nans(B * grid_n);
                conv_forward(out, image, weight, bias, col, B, &g, OC, untied, chunk);
                CHECK(memcmp(out, want, B * grid_n * sizeof(float)) == 0,
                      "conv shape %d untied %d chunk %d differs from the direct loop", s, untied, chunk);
                free(out);
            }
            free(want);

            // transposed convolution: grid -> image, weight [K, K, C, OC]
            // read as the convolution's; each pixel sums over (oh, ow, kh, kw)
            // of the patch products (each a sum over the grid's channels)
            want = calloc(B * image_n, sizeof(float));
            for (int b = 0; b < B; b++)
                for (int oh = 0; oh < g.out_height; oh++)
                    for (int ow = 0; ow < g.out_width; ow++)
                        for (int kh = 0; kh < K; kh++)
                            for (int kw = 0; kw < K; kw++) {
                                const int ih = oh * g.stride - g.padding + kh, iw = ow * g.stride - g.padding + kw;
                                if (ih < 0 || ih >= g.height || iw < 0 || iw >= g.width) continue;
                                for (int c = 0; c < C; c++) {
                                    float sum = 0.0f;
                                    for (int o = 0; o < OC; o++)
                                        sum = sum + grid[b * grid_n + (size_t)(oh * g.out_width + ow) * OC + o] *
                                                        weight[(((size_t)kh * K + kw) * C + c) * OC + o];
                                    want[b * image_n + ((size_t)ih * g.width + iw) * C + c] += sum;
                                }
                            }
            for (size_t b = 0; b < (size_t)B; b++)
                for (size_t i = 0; i < image_n; i++)
                    want[b * image_n + i] += bias[untied ? i : i % C];
            for (int chunk = 1; chunk <= B; chunk++) {
                float *out = nans(B * image_n);
                conv_transpose_forward(out, grid, weight, bias, col, B, &g, OC, untied, chunk);
                CHECK(memcmp(out, want, B * image_n * sizeof(float)) == 0,
                      "conv transpose shape %d untied %d chunk %d differs from the direct loop", s,
                      untied, chunk);
                free(out);
            }
            free(want);
        }

        // max pooling over the same windows (where padding allows it), ties included
        if (2 * g.padding <= g.kernel) {
            for (size_t i = 0; i < B * image_n; i += 5) image[i] = 0.25f; /* ties */
            float *out = nans(B * (size_t)P * C);
            max_pool_forward(out, image, B, &g);
            int bad = 0;
            for (int b = 0; b < B; b++)
                for (int p = 0; p < P; p++)
                    for (int c = 0; c < C; c++) {
                        const int oh = p / g.out_width, ow = p % g.out_width;
                        float best = -INFINITY;
                        for (int kh = 0; kh < K; kh++)
                            for (int kw = 0; kw < K; kw++) {
                                const int ih = oh * g.stride - g.padding + kh, iw = ow * g.stride - g.padding + kw;
                                if (ih < 0 || ih >= g.height || iw < 0 || iw >= g.width) continue;
                                float v = pixel(image + b * image_n, &g, ih, iw, c);
                                if (v > best) best = v;
                            }
                        bad += out[((size_t)b * P + p) * C + c] != best;
                    }
            CHECK(bad == 0, "max pool shape %d: %d outputs differ", s, bad);
            free(out);
        }
        free(image);
        free(grid);
        free(weight);
        free(bias);
        free(col);
    }
}

/* col's row stride changes no bit: every convolution and transposed
 * convolution pass, forward and backward, gives the same outputs with rows
 * back to back (col_stride 0), with conv_col_stride's stride (what networks
 * use) and with an odd one, the spare floats of each row holding NaN. */
static void test_col_stride(void)
{
    const int B = 3, chunk = 2;
    for (int s = 0; s < SHAPES; s++) {
        conv_geometry g = geometry_of(shapes[s]);
        const int KC = g.kernel * g.kernel * g.channels, P = g.out_height * g.out_width;
        const int OC = 1 + s % 4; /* the grid side's channels */
        const size_t image_n = (size_t)g.height * g.width * g.channels, grid_n = (size_t)P * OC;
        const size_t weights = (size_t)KC * OC;
        float *image = random_floats(B * image_n), *grid = random_floats(B * grid_n);
        float *weight = random_floats(weights), *bias = random_floats(OC > g.channels ? OC : g.channels);
        const int strides[] = {0, conv_col_stride(KC), KC + 3};
        float *first[2][6] = {{0}};
        for (int t = 0; t < 3; t++) {
            g.col_stride = strides[t];
            const size_t row = (size_t)(strides[t] ? strides[t] : KC);
            for (int transpose = 0; transpose < 2; transpose++) {
                const size_t in_n = transpose ? grid_n : image_n, out_n = transpose ? image_n : grid_n;
                const float *inp = transpose ? grid : image;
                float *col = nans((size_t)chunk * P * row);
                double *sums = malloc(conv_sums_count(&g, OC, transpose) * sizeof(double));
                float *out = nans(B * out_n), *dinp = nans(B * in_n), *dweight = nans(weights),
                      *dbias = nans(transpose ? g.channels : OC);
                const float *dout = transpose ? image : grid; /* any values of the output's shape */
                if (transpose) {
                    conv_transpose_forward(out, inp, weight, bias, col, B, &g, OC, 0, chunk);
                    conv_transpose_backward(dinp, dweight, dbias, dout, inp, weight, col, B, &g, OC, 0, chunk, sums);
                } else {
                    conv_forward(out, inp, weight, bias, col, B, &g, OC, 0, chunk);
                    conv_backward(dinp, dweight, dbias, dout, inp, weight, col, B, &g, OC, 0, chunk, sums);
                }
                float *results[] = {out, dinp, dweight, dbias};
                const size_t counts[] = {B * out_n, B * in_n, weights, transpose ? (size_t)g.channels : (size_t)OC};
                for (int r = 0; r < 4; r++) {
                    if (t == 0) {
                        first[transpose][r] = results[r];
                        continue;
                    }
                    CHECK(memcmp(results[r], first[transpose][r], counts[r] * sizeof(float)) == 0,
                          "shape %d %s: result %d with col_stride %d differs from rows back to back", s,
                          transpose ? "conv transpose" : "conv", r, strides[t]);
                    free(results[r]);
                }
                free(col);
                free(sums);
            }
        }
        for (int transpose = 0; transpose < 2; transpose++)
            for (int r = 0; r < 4; r++) free(first[transpose][r]);
        free(image);
        free(grid);
        free(weight);
        free(bias);
    }
    /* the stride networks use: at least the row, an odd number of 64-byte lines from 32 floats on */
    const int rows[] = {1, 16, 31, 32, 36, 48, 64, 75, 1024, 1040, 4096};
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        const int stride = conv_col_stride(rows[i]);
        CHECK(stride >= rows[i] && (rows[i] < 32 ? stride == rows[i] : stride % 32 == 16),
              "conv_col_stride(%d) = %d", rows[i], stride);
    }
}

/* Native and wasm give the same bits: a model with every image layer at odd
 * sizes trained 20 steps here, and in the wasm builds by
 * tests/node/kernels.test.mjs ("every image layer at odd sizes", the same
 * keys in the same order, the same pixels), must write the same checkpoint:
 * both pin its FNV-1a digest. (Checkpoint versions 4, 5, 7, 8 and 9 changed the
 * header only; the sums of tied convolution biases and batch normalisation
 * in row blocks, which threads can share, changed the values, and so did
 * the weight gradients' sums over blocks of examples.) */
#define CONV_CHECKPOINT_DIGEST 0x4fb0749c19a7c138ull

static void test_native_digest(void)
{
    const char *const extra[][2] = {{"batch_size", "7"}, {"examples_per_epoch", "0"}, {"seed", "3"}};
    gan_config c;
    tiny_conv_config(&c, extra, sizeof(extra) / sizeof(extra[0]));
    gan *model = NULL;
    CHECK(gan_create(&c, &model) == GAN_OK, "create");
    if (!model) return;
    // the pixels of tests/node/kernels.test.mjs's trainIn, whose generator
    // multiplies in JavaScript's doubles: (s * 1103515245 + 12345) >>> 0
    enum { COUNT = 64, DIM = 50 };
    static uint8_t pixels[COUNT * DIM];
    uint32_t s = 99;
    for (int i = 0; i < COUNT * DIM; i++) {
        volatile double x = (double)s * 1103515245.0;
        x = x + 12345.0;
        s = (uint32_t)fmod(x, 4294967296.0);
        pixels[i] = (s >> 24) < 80 ? (uint8_t)((s >> 16) & 255) : 0;
    }
    gan_attach_data(model, pixels, COUNT);
    gan_init_generator_bias(model);
    gan_step_stats stats;
    CHECK(gan_train(model, 20, &stats) == GAN_OK, "train");
    size_t size = 0;
    gan_checkpoint_size(model, &size);
    uint8_t *bytes = malloc(size);
    CHECK(gan_checkpoint_save(model, bytes, size, &size) == GAN_OK, "save");
    uint64_t h = 14695981039346656037ull;
    for (size_t i = 0; i < size; i++) h = (h ^ bytes[i]) * 1099511628211ull;
    printf("conv checkpoint after 20 steps: %zu bytes, FNV-1a 0x%016llx\n", size, (unsigned long long)h);
    CHECK(h == CONV_CHECKPOINT_DIGEST, "digest 0x%016llx, pinned 0x%016llx (and in kernels.test.mjs)",
          (unsigned long long)h, (unsigned long long)CONV_CHECKPOINT_DIGEST);
    free(bytes);
    gan_free(model);
}

/* Batch normalisation's sampling statistics: a sample does not depend on
 * which others are drawn with it, they follow G's parameters (a model loaded
 * from a checkpoint samples the same bits as the one that saved it, after
 * training too), and sampling changes nothing in training. */
static gan *batch_norm_model(const uint8_t *pixels, int count)
{
    gan_config c;
    const char *const extra[][2] = {{"batch_size", "5"}, {"seed", "21"}};
    tiny_batch_norm_config(&c, extra, sizeof(extra) / sizeof(extra[0]));
    gan *model = NULL;
    CHECK(gan_create(&c, &model) == GAN_OK, "create the batch-norm model");
    if (model) CHECK(gan_attach_data(model, pixels, (uint32_t)count) == GAN_OK, "attach");
    return model;
}

static uint8_t *checkpoint_of(gan *model, size_t *size)
{
    gan_checkpoint_size(model, size);
    uint8_t *bytes = malloc(*size);
    CHECK(gan_checkpoint_save(model, bytes, *size, size) == GAN_OK, "save");
    return bytes;
}

static void test_batch_norm_sampling(void)
{
    enum { COUNT = 40, DIM = 50, N = 11 };
    static uint8_t pixels[COUNT * DIM];
    for (int i = 0; i < COUNT * DIM; i++) pixels[i] = (uint8_t)(uniform() * 255.0f);
    gan *a = batch_norm_model(pixels, COUNT), *b = batch_norm_model(pixels, COUNT);
    if (!a || !b) return;
    gan_step_stats stats;
    float z[N * 3], all[N * DIM], one[DIM], before[N * DIM];
    gan_sample_noise(a, 7, N, z);
    CHECK(gan_generate(a, z, N, before) == GAN_OK, "generate");

    // sampling between steps changes nothing: a samples, b does not
    CHECK(gan_train(a, 2, &stats) == GAN_OK && gan_train(b, 2, &stats) == GAN_OK, "train");
    CHECK(gan_generate(a, z, N, all) == GAN_OK, "generate");
    CHECK(memcmp(all, before, sizeof(all)) != 0, "samples follow G's parameters");
    CHECK(gan_train(a, 3, &stats) == GAN_OK && gan_train(b, 3, &stats) == GAN_OK, "train");
    size_t size_a, size_b;
    uint8_t *bytes_a = checkpoint_of(a, &size_a), *bytes_b = checkpoint_of(b, &size_b);
    CHECK(size_a == size_b && memcmp(bytes_a, bytes_b, size_a) == 0,
          "sampling between steps changed the training");

    // one at a time, or all together
    CHECK(gan_generate(a, z, N, all) == GAN_OK, "generate");
    int alone = 1;
    for (int i = 0; i < N; i++) {
        CHECK(gan_generate(a, z + i * 3, 1, one) == GAN_OK, "generate one");
        alone &= memcmp(one, all + i * DIM, sizeof(one)) == 0;
    }
    CHECK(alone, "a sample depends on the others drawn with it");

    // a model created from a's checkpoint samples the same bits
    gan *c = NULL;
    CHECK(gan_create_from_checkpoint(bytes_a, size_a, &c) == GAN_OK, "create from checkpoint");
    if (c) {
        CHECK(gan_generate(c, z, N, before) == GAN_OK && memcmp(before, all, sizeof(all)) == 0,
              "the checkpoint's model samples other bits");
        gan_free(c);
    }
    // and b, which never sampled before, too
    CHECK(gan_generate(b, z, N, before) == GAN_OK && memcmp(before, all, sizeof(all)) == 0,
          "a model that never sampled samples other bits");
    // a checkpoint loaded into a model that already sampled: recomputed
    CHECK(gan_train(b, 1, &stats) == GAN_OK && gan_generate(b, z, N, before) == GAN_OK, "b");
    CHECK(gan_checkpoint_load(b, bytes_a, size_a) == GAN_OK, "load");
    CHECK(gan_generate(b, z, N, before) == GAN_OK && memcmp(before, all, sizeof(all)) == 0,
          "after a load, sampling kept the old statistics");
    free(bytes_a);
    free(bytes_b);
    gan_free(a);
    gan_free(b);
}

/* Batch normalisation against direct loops in the documented order
 * (network.h): ROW_BLOCKS blocks of rows, each in row order, then the blocks
 * in order. The statistics, dgamma, dbeta and dx, bit for bit, from 3 to
 * 1,568 channels (the `conv` preset's widest) over an odd number of rows and
 * fewer rows than blocks. */
static void reference_sums(const float *x, const float *dy, const float *mean_f,
                           const float *invstd_f, size_t N, int C, int c, double out[4])
{
    const size_t blocks = ROW_BLOCKS;
    double sum = 0.0, squares = 0.0, sum_dy = 0.0, sum_dy_xhat = 0.0;
    for (size_t k = 0; k < blocks; k++) {
        double s = 0.0;
        for (size_t n = k * N / blocks; n < (k + 1) * N / blocks; n++) s += x[n * C + c];
        sum = k ? sum + s : s;
    }
    const double mean = sum / (double)N;
    for (size_t k = 0; k < blocks; k++) {
        double q = 0.0, a = 0.0, b = 0.0;
        for (size_t n = k * N / blocks; n < (k + 1) * N / blocks; n++) {
            const double d = (double)x[n * C + c] - mean;
            q += d * d;
            const float xhat = (x[n * C + c] - mean_f[c]) * invstd_f[c];
            a += dy[n * C + c];
            b += (double)dy[n * C + c] * xhat;
        }
        squares = k ? squares + q : q;
        sum_dy = k ? sum_dy + a : a;
        sum_dy_xhat = k ? sum_dy_xhat + b : b;
    }
    out[0] = mean;
    out[1] = squares / (double)N;
    out[2] = sum_dy;
    out[3] = sum_dy_xhat;
}

static void test_batch_norm_order(void)
{
    static const int channels[] = {3, 128, 130, 1568};
    static const size_t rows[] = {301, 7};
    for (size_t ci = 0; ci < sizeof(channels) / sizeof(channels[0]); ci++)
        for (size_t ri = 0; ri < 2; ri++) {
            const int C = channels[ci];
            const size_t N = rows[ri];
            float *x = random_floats(N * C), *dy = random_floats(N * C), *dx = random_floats(N * C);
            float *gamma = random_floats((size_t)C), *mean = random_floats((size_t)C);
            float *var = random_floats((size_t)C), *invstd = random_floats((size_t)C);
            float *dgamma = random_floats((size_t)C), *dbeta = random_floats((size_t)C);
            for (size_t i = 0; i < N * C; i++) x[i] = 3.0f * x[i] + 0.5f;
            // channel 0: a sum whose rounding depends on the order (1e17 swallows
            // single values, not a block's sum of them)
            x[0] = dy[0] = 1e17f;
            x[(N - 1) * C] = dy[(N - 1) * C] = -1e17f;
            double *sums = malloc(batch_norm_sums_count(C) * sizeof(double));
            batch_norm_statistics(mean, var, invstd, x, N, C, sums);
            batch_norm_backward(dx, dgamma, dbeta, dy, x, gamma, mean, invstd, N, C, sums);
            int bad = 0;
            for (int c = 0; c < C && bad < 3; c++) {
                double r[4];
                reference_sums(x, dy, mean, invstd, N, C, c, r);
                const float want_invstd = (float)(1.0 / sqrt(r[1] + BATCH_NORM_EPSILON));
                int ok = mean[c] == (float)r[0] && var[c] == (float)r[1] && invstd[c] == want_invstd &&
                         dbeta[c] == (float)r[2] && dgamma[c] == (float)r[3];
                const float scale = (float)((double)gamma[c] * invstd[c] / (double)N);
                for (size_t n = 0; n < N && ok; n++) {
                    const float xhat = (x[n * C + c] - mean[c]) * invstd[c];
                    const float want = scale * ((float)N * dy[n * C + c] - (float)r[2] - xhat * (float)r[3]);
                    ok = dx[n * C + c] == want;
                }
                if (!ok) bad++;
                CHECK(ok, "batch norm, %d channels, %zu rows: channel %d differs from the direct loops", C, N, c);
            }
            free(x), free(dy), free(dx), free(gamma), free(mean), free(var), free(invstd), free(dgamma),
                free(dbeta), free(sums);
        }
}

/* ---- max_col_norm ---------------------------------------------------- */

/* The weight columns of one network's parameters, read with the layouts
 * gan.h gives, independently of network.c: column o of a dense weight
 * [in][out] is W[i][o]; of a convolution's [k][k][C][ch], W[a][o] over the
 * k k C rows a; of a transposed convolution's [k][k][ch][C], W[a][o][c];
 * the class weights [classes][width] (after every layer's tensors) add rows
 * to the first dense or convolution layer's columns. fn(ctx, column, value
 * pointer) visits every weight of every column. */
typedef void column_visit(void *ctx, size_t column, float *w);

static size_t visit_columns(const gan_network_config *net, layer_shape input, int classes,
                            float *params, column_visit *fn, void *ctx)
{
    layer_shape shapes[GAN_MAX_LAYERS];
    unsigned long long count = 0;
    char why[200];
    CHECK(network_shapes(net, input, "x", shapes, &count, why, sizeof why), "shapes: %s", why);
    size_t at = 0, column = 0, first_columns = 0, first_column = 0;
    int first = -1;
    for (int i = 0; i < net->layer_count; i++) {
        const gan_layer *spec = &net->layers[i];
        const layer_shape in = i ? shapes[i - 1] : input, out = shapes[i];
        int wr, br;
        unsigned long long ws[4], bs[3];
        if (!layer_tensor_shapes(spec, in, out, &wr, ws, &br, bs)) continue;
        size_t wn = 1, bn = 1;
        for (int k = 0; k < wr; k++) wn *= (size_t)ws[k];
        for (int k = 0; k < br; k++) bn *= (size_t)bs[k];
        float *w = params + at;
        if (spec->kind == GAN_LAYER_DENSE || spec->kind == GAN_LAYER_CONV ||
            spec->kind == GAN_LAYER_CONV_TRANSPOSE) {
            const size_t cols = spec->kind == GAN_LAYER_DENSE ? (size_t)ws[1]
                              : spec->kind == GAN_LAYER_CONV   ? (size_t)ws[3]
                                                               : (size_t)ws[2];
            const size_t inner = spec->kind == GAN_LAYER_CONV_TRANSPOSE ? (size_t)ws[3] : 1;
            for (size_t o = 0; o < cols; o++)
                for (size_t a = 0; a < wn / (cols * inner); a++)
                    for (size_t c = 0; c < inner; c++) fn(ctx, column + o, &w[(a * cols + o) * inner + c]);
            if (first < 0) first = i, first_column = column, first_columns = cols;
            column += cols;
        }
        at += wn + bn;
    }
    if (classes)
        for (size_t k = 0; k < (size_t)classes; k++)
            for (size_t o = 0; o < first_columns; o++)
                fn(ctx, first_column + o, &params[at + k * first_columns + o]);
    return column;
}

enum { MAX_COLUMNS = 256 };
typedef struct {
    double sum[MAX_COLUMNS];
    float factor[MAX_COLUMNS];
} column_norms;

static void add_square(void *ctx, size_t o, float *w)
{
    column_norms *n = ctx;
    if (o < MAX_COLUMNS) n->sum[o] += (double)*w * *w;
}

static void scale_by_factor(void *ctx, size_t o, float *w)
{
    const column_norms *n = ctx;
    if (o < MAX_COLUMNS) *w *= n->factor[o];
}

static size_t norms_of(const gan_network_config *net, layer_shape input, int classes,
                       float *params, column_norms *n)
{
    memset(n, 0, sizeof(*n));
    const size_t columns = visit_columns(net, input, classes, params, add_square, n);
    CHECK(columns <= MAX_COLUMNS, "%zu columns", columns);
    return columns;
}

static gan *max_norm_model(float g_max, float d_max)
{
    char g[32], d[32];
    snprintf(g, sizeof g, "%.9g", g_max);
    snprintf(d, sizeof d, "%.9g", d_max);
    const char *const extra[][2] = {{"batch_size", "6"}, {"seed", "8"}, {"conditional", "concat"},
                                    {"classes", "3"}, {"update_order", "simultaneous"},
                                    {"g.max_col_norm", g}, {"d.max_col_norm", d}};
    gan_config c;
    tiny_conv_config(&c, extra, sizeof(extra) / sizeof(extra[0]));
    gan *model = NULL;
    CHECK(gan_create(&c, &model) == GAN_OK, "create the max_col_norm model");
    if (!model) return NULL;
    enum { COUNT = 30, DIM = 50 };
    static uint8_t pixels[COUNT * DIM], labels[COUNT];
    uint32_t s = 17;
    for (int i = 0; i < COUNT * DIM; i++) {
        s = s * 1664525u + 1013904223u;
        pixels[i] = (uint8_t)(s >> 24);
    }
    for (int i = 0; i < COUNT; i++) labels[i] = (uint8_t)(i % 3);
    CHECK(gan_attach_data(model, pixels, COUNT) == GAN_OK, "attach");
    CHECK(gan_attach_labels(model, labels, COUNT) == GAN_OK, "labels");
    gan_init_generator_bias(model);
    return model;
}

/* g.max_col_norm and d.max_col_norm: after an update each column is the
 * unlimited update's column times min(norm, max) / (1e-7 + norm) (pylearn2's
 * formula, recomputed here from the layouts), in dense layers, convolutions,
 * transposed convolutions and the class weights; later updates keep every
 * norm within the limit. The limit sits between the columns' norms, so some
 * are cut and the others only take pylearn2's 1e-7 shrink. */
static void test_max_col_norm(void)
{
    gan_config c;
    const gan_network_config *nets[2];
    layer_shape inputs[2];
    gan *free_model = max_norm_model(0, 0);
    if (!free_model) return;
    c = *gan_get_config(free_model);
    nets[0] = &c.generator;
    nets[1] = &c.discriminator;
    inputs[0] = (layer_shape){c.noise_dim, 1, 1};
    inputs[1] = (layer_shape){c.data_channels, c.data_height, c.data_width};
    CHECK(gan_train(free_model, 1, NULL) == GAN_OK, "train without a limit");

    // the limits: each network's median column norm after the free update
    float limits[2];
    column_norms norms[2];
    float *params[2];
    size_t counts[2], columns[2];
    for (int n = 0; n < 2; n++) {
        float *p;
        gan_parameters(free_model, n ? GAN_DISCRIMINATOR : GAN_GENERATOR, &p, &counts[n]);
        params[n] = malloc(counts[n] * sizeof(float));
        memcpy(params[n], p, counts[n] * sizeof(float));
        columns[n] = norms_of(nets[n], inputs[n], c.classes, params[n], &norms[n]);
        double sorted[MAX_COLUMNS];
        for (size_t o = 0; o < columns[n]; o++) sorted[o] = sqrt(norms[n].sum[o]);
        for (size_t a = 1; a < columns[n]; a++)
            for (size_t b = a; b > 0 && sorted[b - 1] > sorted[b]; b--) {
                const double t = sorted[b]; sorted[b] = sorted[b - 1]; sorted[b - 1] = t;
            }
        limits[n] = (float)sorted[columns[n] / 2];
    }
    CHECK(columns[0] == 18 + 4 + 2 && columns[1] == 6 + 3 + 1, "columns: %zu and %zu", columns[0],
          columns[1]);

    gan *limited = max_norm_model(limits[0], limits[1]);
    if (!limited) return;
    CHECK(gan_train(limited, 1, NULL) == GAN_OK, "train with the limits");
    for (int n = 0; n < 2; n++) {
        int cut = 0, kept = 0;
        for (size_t o = 0; o < columns[n]; o++) {
            const float norm = (float)sqrt(norms[n].sum[o]);
            norms[n].factor[o] = (norm < limits[n] ? norm : limits[n]) / (1e-7f + norm);
            cut += norm > limits[n];
            kept += norm < limits[n];
        }
        CHECK(cut > 0 && kept > 0, "net %d: %d columns cut, %d kept", n, cut, kept);
        visit_columns(nets[n], inputs[n], c.classes, params[n], scale_by_factor, &norms[n]);
        float *p;
        size_t count;
        gan_parameters(limited, n ? GAN_DISCRIMINATOR : GAN_GENERATOR, &p, &count);
        size_t off = 0;
        for (size_t i = 0; i < count; i++)
            off += fabsf(p[i] - params[n][i]) > 2e-7f * fabsf(params[n][i]) + 1e-30f;
        CHECK(off == 0, "net %d: %zu of %zu parameters are not the formula's", n, off, count);
        free(params[n]);
    }

    // later updates keep every column within its limit
    CHECK(gan_train(limited, 5, NULL) == GAN_OK, "train 5 more");
    for (int n = 0; n < 2; n++) {
        float *p;
        size_t count;
        gan_parameters(limited, n ? GAN_DISCRIMINATOR : GAN_GENERATOR, &p, &count);
        column_norms after;
        const size_t cols = norms_of(nets[n], inputs[n], c.classes, p, &after);
        for (size_t o = 0; o < cols; o++)
            CHECK(sqrt(after.sum[o]) <= limits[n] * (1 + 1e-6), "net %d column %zu: norm %g > %g", n,
                  o, sqrt(after.sum[o]), limits[n]);
    }
    gan_free(free_model);
    gan_free(limited);
}

int main(void)
{
    test_im2col_col2im();
    test_forward();
    test_col_stride();
    test_native_digest();
    test_batch_norm_sampling();
    test_batch_norm_order();
    test_max_col_norm();
    return test_summary("test_conv");
}
