/*
 * network.h - multilayer perceptrons: layer kernels (forward/backward, llm.c
 * style, shapes in comments) and a network that strings them together over
 * blocks of memory allocated once.
 *
 * Conventions: B is the number of rows (examples), C an input width, OC an
 * output width. Tensors are row-major float32. Backward functions write (not
 * accumulate) their input gradient; dense_backward writes (not accumulates)
 * its parameter gradients, because each network runs one backward pass per
 * update.
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
 * keep_prob, else 0, and out = inp * mask. rng == NULL is inference: out = inp.
 * out, inp, mask [N] */
void dropout_forward(float *out, const float *inp, float *mask, float keep_prob, prng *rng,
                     size_t N);
void dropout_backward(float *dinp, const float *dout, const float *mask, size_t N);

/* ---- networks ----------------------------------------------------------- */

typedef struct network_layer {
    gan_layer_kind kind;
    int in_dim, out_dim;
    int pieces;           /* MAXOUT */
    float keep_prob;      /* DROPOUT */
    float slope;          /* LEAKY_RELU */
    float init_range;     /* DENSE */
    float *weight;        /* DENSE: [in_dim, out_dim] in params, else NULL */
    float *bias;          /* DENSE: [out_dim] in params */
    float *dweight;       /* DENSE: [in_dim, out_dim] in grads */
    float *dbias;         /* DENSE: [out_dim] in grads */
    float *out;           /* [max_batch, out_dim] in acts */
    float *mask;          /* DROPOUT: [max_batch, in_dim] in acts, else NULL */
} network_layer;

typedef struct network {
    int layer_count;
    int input_dim, output_dim;
    int max_batch;            /* rows the activation block holds */
    int max_width;            /* widest input or output of any layer */
    int lowest_dense;         /* index of the first DENSE layer, -1 if none */
    network_layer layers[GAN_MAX_LAYERS];
    size_t param_count;
    /* One allocation per role. */
    float *params;            /* [param_count]: each DENSE layer's weight then bias */
    float *grads;             /* [param_count], same layout */
    float *acts;              /* layer outputs, dropout masks, 2 gradient scratch buffers */
    size_t acts_count;
    float *scratch[2];        /* [max_batch, max_width] each, in acts */
    /* The last forward pass, for backward. */
    const float *input;       /* [batch, input_dim], borrowed */
    int batch;
} network;

/* Output width of a layer list on input_dim inputs, or -1 if the list is
 * inconsistent (maxout width not a multiple of pieces, a bad kind, ...).
 * *param_count (may be NULL) receives the parameter count, as a uint64 so it
 * cannot overflow. */
int network_shape(const gan_network_config *config, int input_dim, unsigned long long *param_count);

/* Allocates the blocks for a validated configuration. On failure nothing
 * stays allocated and *net is zeroed. */
gan_status network_create(network *net, const gan_network_config *config, int input_dim,
                          int max_batch);
void network_free(network *net);

/* Draws every dense weight uniform in +-init_range, in layer order; biases 0. */
void network_init(network *net, prng *rng);

/* Forward on B <= max_batch rows; returns the output [B, output_dim] (inside
 * acts). rng != NULL is training mode (dropout masks drawn from it). input is
 * borrowed until the matching backward calls are done. */
const float *network_forward(network *net, const float *input, int B, prng *rng);

/* Backward through rows [row0, row0 + B) of the last forward pass, given
 * dout [B, output_dim]. param_grads: write grads (the rows' contribution
 * only). input_grad: return dL/dinput [B, input_dim] (in scratch, valid until
 * the next backward); else returns NULL and stops at the lowest dense layer. */
const float *network_backward(network *net, const float *dout, int row0, int B,
                              int param_grads, int input_grad);

#endif /* GAN_NETWORK_H */
