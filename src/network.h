/*
 * network.h - layer kernels (forward/backward, llm.c style, shapes in
 * comments) and a network that strings them together over blocks of memory
 * allocated once.
 *
 * Conventions: B is the number of rows (examples), C an input width, OC an
 * output width. Tensors are row-major float32; images are channels last,
 * [B, H, W, C]. Backward functions write (not accumulate) their input
 * gradient and their parameter gradients, because each network runs one
 * backward pass per update.
 */
#ifndef GAN_NETWORK_H
#define GAN_NETWORK_H

#include <stddef.h>

#include "gan.h"
#include "prng.h"

/* ---- layer kernels ------------------------------------------------------ */

/* out = inp weight + bias.
 * out [B, OC], inp [B, C], weight [C, OC], bias [OC] */
void dense_forward(float *out, const float *inp, const float *weight, const float *bias,
                   int B, int C, int OC);
/* dinp = dout weight^T; dweight = inp^T dout; dbias = column sums of dout.
 * Any of dinp, dweight (with dbias) may be NULL to skip it.
 * dinp [B, C], dweight [C, OC], dbias [OC], dout [B, OC], inp [B, C], weight [C, OC] */
void dense_backward(float *dinp, float *dweight, float *dbias, const float *dout,
                    const float *inp, const float *weight, int B, int C, int OC);

/* Elementwise activations over N = B * C values. Backward passes get the
 * forward input (inp) or output (out), whichever determines the derivative. */
void relu_forward(float *out, const float *inp, size_t N);
void relu_backward(float *dinp, const float *dout, const float *inp, size_t N);
void leaky_relu_forward(float *out, const float *inp, float slope, size_t N);
void leaky_relu_backward(float *dinp, const float *dout, const float *inp, float slope, size_t N);
void sigmoid_forward(float *out, const float *inp, size_t N);
void sigmoid_backward(float *dinp, const float *dout, const float *out, size_t N);
void tanh_forward(float *out, const float *inp, size_t N);
void tanh_backward(float *dinp, const float *dout, const float *out, size_t N);

/* out[b][u] = max over p of inp[b][u * pieces + p]; ties go to the first piece.
 * out [B, units], inp [B, units * pieces] */
void maxout_forward(float *out, const float *inp, int B, int units, int pieces);
/* dinp [B, units * pieces]: dout routed to the forward pass's winner, 0 elsewhere. */
void maxout_backward(float *dinp, const float *dout, const float *inp, int B, int units,
                     int pieces);

/* Inverted dropout. Training: mask[i] = 1/keep_prob with probability
 * keep_prob, else 0, and out = inp * mask, from N draws of rng in order
 * (split across threads at prng_jump's states: the same numbers).
 * rng == NULL is inference: out = inp. out, inp, mask [N] */
void dropout_forward(float *out, const float *inp, float *mask, float keep_prob, prng *rng,
                     size_t N);
void dropout_backward(float *dinp, const float *dout, const float *mask, size_t N);

/* ---- images: im2col, convolutions, pooling ------------------------------- */

/* The two sides of a convolution: the image it reads (a transposed
 * convolution's output) and the grid of kernel positions (its output; a
 * transposed convolution's input). OH = (H + 2 padding - kernel) / stride + 1. */
typedef struct conv_geometry {
    int height, width, channels;   /* the image side, [H, W, C] */
    int out_height, out_width;     /* the grid side, OH x OW positions */
    int kernel, stride, padding;
    int col_stride;                /* floats from one patch row of col to the next:
                                      0 is kernel * kernel * C (rows back to back);
                                      networks use conv_col_stride's */
} conv_geometry;

/* The patch-row stride networks give col for rows of `row_floats` values: at
 * least row_floats, and (from 32 on) an odd number of 64-byte lines, so the
 * weight gradient's gemm_tn, which walks a column of col one row per step,
 * spreads over every cache set instead of hitting one (rows of 1024 floats,
 * 4 KiB apart, all map to the same set). Results do not depend on it: the
 * GEMMs read and write only the first row_floats of each row. */
int conv_col_stride(int row_floats);

/* One image's patches as rows: col[(oh, ow)][(kh, kw, c)] = image[ih][iw][c]
 * with ih = oh * stride - padding + kh (likewise iw), 0 outside the image.
 * col [OH * OW, col_stride] (the first kernel * kernel * C of each row are
 * written), image [H, W, C] */
void im2col(float *col, const float *image, const conv_geometry *g);
/* The adjoint: image = 0, then every col element added to the pixel
 * im2col read it from, in (oh, ow, kh, kw, c) order. */
void col2im(float *image, const float *col, const conv_geometry *g);

/* Convolution: out = im2col(inp) weight + bias, `chunk` examples at a time
 * through col (results do not depend on chunk or col_stride: see network.c).
 * out [B, OH, OW, OC], inp [B, H, W, C], weight [K, K, C, OC],
 * bias [OC] or, untied, [OH, OW, OC]; col [chunk * OH * OW, col_stride] */
void conv_forward(float *out, const float *inp, const float *weight, const float *bias,
                  float *col, int B, const conv_geometry *g, int OC, int untied, int chunk);
/* dinp, dweight (with dbias) may be NULL to skip them. Shapes as above.
 * A tied bias's gradient sums over examples and positions in ROW_BLOCKS
 * blocks of rows (block k: rows k R / ROW_BLOCKS to (k + 1) R / ROW_BLOCKS,
 * each in row order), then the blocks in order, with partial sums in
 * `sums` (bias_sums_count(OC) doubles); an untied one sums each position
 * over examples in order. */
#define ROW_BLOCKS 16
size_t bias_sums_count(int channels);
/* A weight gradient (both kinds) sums over up to ROW_BLOCKS fixed blocks of
 * examples, each in row order, then the blocks in order, with the blocks'
 * partial sums in `sums` too. conv_sums_count: the doubles conv_backward
 * (transpose 0) or conv_transpose_backward needs in `sums` for the bias's and
 * the weight's partial sums, which it uses in turn (channels: the grid side's). */
size_t conv_sums_count(const conv_geometry *g, int channels, int transpose);
void conv_backward(float *dinp, float *dweight, float *dbias, const float *dout,
                   const float *inp, const float *weight, float *col, int B,
                   const conv_geometry *g, int OC, int untied, int chunk, double *sums);
/* Transposed convolution: out = col2im(inp weight^T) + bias, g describing the
 * convolution it transposes (image side = out, grid side = inp).
 * out [B, H, W, OC], inp [B, OH, OW, C], weight [K, K, OC, C],
 * bias [OC] or [H, W, OC]; col [chunk * OH * OW, col_stride] */
void conv_transpose_forward(float *out, const float *inp, const float *weight,
                            const float *bias, float *col, int B, const conv_geometry *g,
                            int C, int untied, int chunk);
void conv_transpose_backward(float *dinp, float *dweight, float *dbias, const float *dout,
                             const float *inp, const float *weight, float *col, int B,
                             const conv_geometry *g, int C, int untied, int chunk,
                             double *sums);

/* Max pooling of each channel over kernel x kernel windows at stride, the
 * windows starting at -padding and clipped to the image; ties go to the
 * first in (kh, kw) order and a NaN never replaces a number, as in maxout.
 * g's image side is the input, its grid side the output (with ceil_mode's
 * rounding already in out_height/out_width).
 * out [B, OH, OW, C], inp [B, H, W, C] */
void max_pool_forward(float *out, const float *inp, int B, const conv_geometry *g);
/* dinp [B, H, W, C]: each dout routed to its window's winner, summed where
 * windows overlap. */
void max_pool_backward(float *dinp, const float *dout, const float *inp, int B,
                       const conv_geometry *g);

/* ---- batch normalisation ------------------------------------------------ */

/* Each of C channels over N rows ([N, C], channels last: N = examples x H x W).
 * Statistics: mean and (biased) variance of each channel, summed in double
 * over ROW_BLOCKS blocks of rows (as a tied bias's gradient), then the
 * blocks in order. The backward pass's sums likewise. Both take a scratch
 * `sums` of batch_norm_sums_count(C) doubles. out = gamma (inp - mean)
 * invstd + beta, with invstd = 1 / sqrt(var + BATCH_NORM_EPSILON). */
#define BATCH_NORM_EPSILON 1e-5
size_t batch_norm_sums_count(int C);
void batch_norm_statistics(float *mean, float *var, float *invstd, const float *inp, size_t N,
                           int C, double *sums);
void batch_norm_forward(float *out, const float *inp, const float *gamma, const float *beta,
                        const float *mean, const float *invstd, size_t N, int C);
/* The gradient through the batch's statistics. dinp or dgamma (with dbeta)
 * may be NULL to skip them. */
void batch_norm_backward(float *dinp, float *dgamma, float *dbeta, const float *dout,
                         const float *inp, const float *gamma, const float *mean,
                         const float *invstd, size_t N, int C, double *sums);

/* ---- shapes -------------------------------------------------------------- */

/* A layer's input or output: C x H x W, stored [H][W][C]. */
typedef struct layer_shape {
    int channels, height, width;
} layer_shape;

/* The layer kind's name in configurations ("conv"); config.c's table. */
const char *layer_kind_name(gan_layer_kind kind);

/* Every layer's output shape (out_shapes[i], may be NULL) for an input of
 * shape `input`, and the parameter count (may be NULL; a uint64, so it cannot
 * overflow). Returns 1 if every layer fits its input. Otherwise 0, with a
 * sentence in why (capacity why_capacity, may be 0) naming the first layer
 * that does not ("d.layers.2 (conv): ...", `prefix` being "g" or "d") and
 * the shapes. Field ranges are gan_config_validate's business: this only
 * relates shapes. */
int network_shapes(const gan_network_config *config, layer_shape input, const char *prefix,
                   layer_shape *out_shapes, unsigned long long *param_count, char *why,
                   size_t why_capacity);

/* A parameter layer's tensors as stored in checkpoints: the weight's and
 * the bias's rank and shape (the layouts of gan.h's gan_layer_kind). Returns
 * 0 for a kind without parameters. */
int layer_tensor_shapes(const gan_layer *spec, layer_shape in, layer_shape out,
                        int *weight_rank, unsigned long long weight_shape[4], int *bias_rank,
                        unsigned long long bias_shape[3]);

/* ---- networks ----------------------------------------------------------- */

typedef struct network_layer {
    gan_layer_kind kind;
    layer_shape in_shape, out_shape;
    int in_dim, out_dim;  /* values per example: channels x height x width */
    int pieces;           /* MAXOUT */
    float keep_prob;      /* DROPOUT */
    float slope;          /* LEAKY_RELU */
    float init_range;     /* DENSE, CONV, CONV_TRANSPOSE */
    int untied_bias;      /* CONV, CONV_TRANSPOSE */
    conv_geometry geometry; /* CONV, CONV_TRANSPOSE, MAX_POOL */
    int chunk;            /* CONV, CONV_TRANSPOSE: examples per pass through col */
    size_t weight_count, bias_count;
    float *weight;        /* parameter layers: in params (dense [in_dim, out_dim]), else NULL */
    float *bias;          /* in params */
    float *dweight;       /* in grads, same layout */
    float *dbias;         /* in grads */
    float *out;           /* [max_batch, out_dim] in acts */
    float *mask;          /* DROPOUT: [max_batch, in_dim] in acts, else NULL */
    float *norm;          /* BATCH_NORM: [5, channels] in acts: the last training pass's
                             mean, var and invstd, then sampling's mean and invstd */
} network_layer;

typedef struct network {
    int layer_count;
    int input_dim, output_dim;
    int max_batch;            /* rows the activation block holds */
    int max_width;            /* widest input or output of any layer */
    int lowest_param;         /* index of the first layer with parameters, -1 if none */
    network_layer layers[GAN_MAX_LAYERS];
    size_t param_count;
    /* One allocation per role. */
    float *params;            /* [param_count]: each parameter layer's weight then bias */
    float *grads;             /* [param_count], same layout */
    float *acts;              /* layer outputs, dropout masks, 2 gradient scratch
                                 buffers, the convolutions' col */
    size_t acts_count;
    float *scratch[2];        /* [max_batch, max_width] each, in acts */
    double *sums;             /* row blocks' partial sums (batch normalisation, tied
                                 biases' gradients; NULL without them) */
    float *col;               /* [col_count] in acts: im2col rows, shared by every
                                 convolution (NULL without one) */
    size_t col_count;
    /* Class conditioning (classes > 0): the one-hot or blended class rows
     * of the next forward pass, times class_weight, add to the output of
     * layer condition_layer (the first dense or convolution) at every
     * position: the concatenated one-hot input, as gan.h explains. */
    int classes;
    int condition_layer;
    int condition_width;      /* that layer's output channels */
    float *class_weight;      /* [classes, condition_width] at the end of params */
    float *dclass_weight;     /* in grads */
    const float *condition;   /* [batch, classes] rows, borrowed; set before forward,
                                 kept until the matching backward is done */
    /* The last forward pass, for backward. */
    const float *input;       /* [batch, input_dim], borrowed */
    int batch;
} network;

/* Output width of a layer list on an input of shape `input`, or -1 if the
 * list does not fit it (network_shapes says why). *param_count (may be
 * NULL) receives the parameter count. */
int network_shape(const gan_network_config *config, layer_shape input,
                  unsigned long long *param_count);

/* The layer a network conditioned on classes adds its class weights to: its
 * first dense, convolution or transposed convolution, or -1. */
int network_condition_layer(const gan_network_config *config);

/* Allocates the blocks for a validated configuration, with class weights
 * for `classes` classes (0: none). On failure nothing stays allocated and
 * *net is zeroed. */
gan_status network_create(network *net, const gan_network_config *config, layer_shape input,
                          int max_batch, int classes);
void network_free(network *net);

/* Draws every weight uniform in +-init_range, layer by layer in the order of
 * the parameter block, then the class weights with their layer's range;
 * biases 0. */
void network_init(network *net, prng *rng);

/* Forward on B <= max_batch rows; returns the output [B, output_dim] (inside
 * acts). rng != NULL is training mode (dropout masks drawn from it, batch
 * normalisation over these B rows); rng == NULL is inference (no dropout,
 * batch normalisation with the statistics of network_calibrate). input is
 * borrowed until the matching backward calls are done. */
const float *network_forward(network *net, const float *input, int B, prng *rng);

/* Backward through rows [row0, row0 + B) of the last forward pass, given
 * dout [B, output_dim]. param_grads: write grads (the rows' contribution
 * only). input_grad: return dL/dinput [B, input_dim] (in scratch, valid until
 * the next backward); else returns NULL and stops at the lowest parameter
 * layer. */
const float *network_backward(network *net, const float *dout, int row0, int B,
                              int param_grads, int input_grad);
/* The same, from layer `top`'s output down (network_backward is top =
 * layer_count - 1); top = -1 returns dout, the gradient of the input. */
const float *network_backward_from(network *net, int top, const float *dout, int row0, int B,
                                   int param_grads, int input_grad);

/* Whether the network has a batch-normalisation layer. */
int network_has_batch_norm(const network *net);

/* pylearn2's max_col_norm: each weight column (the weights into one unit of
 * a dense layer, or into one output channel of a convolution or transposed
 * convolution, the condition layer's class weights included) is multiplied
 * by min(norm, max_norm) / (1e-7 + norm), in float as Theano did. The sums of
 * squares run in a fixed order per column, so the bits do not depend on the
 * threads. Batch normalisation's scales are not columns. */
void network_limit_column_norms(network *net, float max_norm);

/* Inference statistics for batch normalisation ("precise BN"), a pure
 * function of the parameters and the inputs passed: begin, then after each
 * training-mode network_forward of max_batch rows, add; then end. Each
 * layer's batch means and variances are pooled (the mean of the means; the
 * mean of var + mean^2, less the pooled mean squared). Nothing is kept from
 * training. */
void network_calibration_begin(network *net);
void network_calibration_add(network *net);
void network_calibration_end(network *net, int passes);

#endif /* GAN_NETWORK_H */
