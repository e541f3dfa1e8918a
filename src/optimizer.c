/*
 * optimizer.c - SGD with pylearn2's momentum and Adam, applied to a network's
 * parameters from its gradient, one loop per optimizer (and its SIMD twin),
 * then pylearn2's max_col_norm if set (network.c); the gradient's norm. What
 * is checked, saved and written when: rollback.c.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gan_internal.h"
#include "threads.h" /* par_for: elementwise loops split across threads in the threads build */

#include "simd128.h" /* wasm SIMD128, or the same lanes natively */

/* ---- optimizer ---------------------------------------------------------- */

gan_status optimizer_create(optimizer *opt, const gan_optimizer_config *config, size_t param_count)
{
    memset(opt, 0, sizeof(*opt));
    opt->slots = config->kind == GAN_OPTIMIZER_ADAM ? 2 : 1;
    opt->learning_rate = config->learning_rate;
    opt->beta1_power = 1.0;
    opt->beta2_power = 1.0;
    size_t n = param_count ? param_count : 1;
    if (n > SIZE_MAX / sizeof(float) / 3) return GAN_ERR_OUT_OF_MEMORY;
    opt->state = calloc((size_t)opt->slots * n, sizeof(float));
    if (!opt->state) {
        optimizer_free(opt);
        return GAN_ERR_OUT_OF_MEMORY;
    }
    if (opt->slots == 1) {
        opt->velocity = opt->state;
    } else {
        opt->m = opt->state;
        opt->v = opt->state + n;
    }
    return GAN_OK;
}

void optimizer_free(optimizer *opt)
{
    free(opt->state);
    memset(opt, 0, sizeof(*opt));
}

/* SGD momentum at the given number of completed epochs: linear from
 * momentum_start at momentum_start_epoch to momentum_end at momentum_end_epoch. */
double momentum_at(const gan_optimizer_config *config, uint64_t epochs)
{
    double start = config->momentum_start_epoch, end = config->momentum_end_epoch;
    double e = (double)epochs, alpha;
    if (e >= end) alpha = 1.0;
    else if (e <= start) alpha = 0.0;
    else alpha = (e - start) / (end - start);
    return config->momentum_start + alpha * ((double)config->momentum_end - config->momentum_start);
}

/* ---- the update loops -------------------------------------------------- */

/* One update over parameters [i0, i1), as par_for (threads.h) may split it.
 * Each loop computes the new values from the old and checks them; what it
 * stores depends on the pass (rollback.c explains when each is used):
 *   check            nothing;
 *   write            the new parameters and state over the old;
 *   save and write   the same, after storing the old parameters and state in
 *                    save_p, save_s0, save_s1 (save_p may be g itself).
 * Each loop is written once and compiled once per pass (save and write are
 * constants in each inlined copy: no test inside the loops). The parameters
 * are read after the state is stored, as the earlier per-pass loops did:
 * reading them first measured up to 1.5 times slower in the scalar build
 * (g, the state and p are distinct arrays: the order changes no value, and
 * save_p, which may alias g, is written after g[i] is read). `bad` is set
 * when a new value is not finite: x - x is 0 for every finite x and NaN for
 * Inf or NaN, so a sum of them is 0 exactly when all are finite, in any
 * order. */
typedef struct update_job {
    float *p;                   /* [n] parameters */
    const float *g;             /* [n] gradient */
    float *s0, *s1;             /* [n] state: SGD's velocity; Adam's m and v */
    float *save_p, *save_s0, *save_s1; /* NULL: nothing saved */
    int write;                  /* 0: the check pass */
    float mu, lr;               /* SGD's momentum; both optimizers' rate */
    float b1, b2, eps, c1, c2;  /* Adam; c1, c2: bias corrections 1 / (1 - beta^t) */
    int bad;
} update_job;

/* The SIMD builds (wasm, and natively through simd128.h) run each loop four parameters at a time first, every
 * lane doing the scalar loop's operations in its order (sqrt and division
 * are correctly rounded in both: the same bits), and the scalar loop, the
 * reference, finishes the range. */
#ifdef GAN_SIMD128
#define V(x) wasm_f32x4_splat(x)
#define LD(a) wasm_v128_load((a) + i)
#define ST(a, x) wasm_v128_store((a) + i, (x))
#define ADD wasm_f32x4_add
#define SUB wasm_f32x4_sub
#define MUL wasm_f32x4_mul
/* The SIMD loops gather x - x with a bitwise or instead of a sum: +0 (no
 * bit set) for every finite x, NaN for Inf or NaN, so the or is zero exactly
 * when all are finite (and a chain of ors does not wait on an addition's
 * latency at every step). */
#define CHECK_OR(check4, x) check4 = wasm_v128_or(check4, (x))
#define LANES_BAD(check4) wasm_v128_any_true(check4)
#endif

#define ALWAYS_INLINE inline __attribute__((always_inline))

static void flag_bad(update_job *u, int bad)
{
    /* ranges may run on several threads: only ever set the flag */
    if (bad) __atomic_store_n(&u->bad, 1, __ATOMIC_RELAXED);
}

/* pylearn2's momentum: velocity = mu velocity - lr g; p += velocity */
static ALWAYS_INLINE void sgd_loop(update_job *u, size_t i0, size_t i1, const int save,
                                   const int write)
{
    float *p = u->p, *velocity = u->s0, *save_p = u->save_p, *save_velocity = u->save_s0;
    const float *g = u->g;
    const float mu = u->mu, lr = u->lr;
    float check = 0.0f;
    size_t i = i0;
#ifdef GAN_SIMD128
    v128_t check4 = V(0.0f);
    for (; i + 4 <= i1; i += 4) {
        v128_t g0 = LD(g), v0 = LD(velocity);
        v128_t v1 = SUB(MUL(V(mu), v0), MUL(V(lr), g0));
        if (save) ST(save_velocity, v0);
        if (write) ST(velocity, v1);
        v128_t p0 = LD(p);
        v128_t p1 = ADD(p0, v1);
        CHECK_OR(check4, SUB(p1, p1));
        if (save) ST(save_p, p0);
        if (write) ST(p, p1);
    }
    if (LANES_BAD(check4)) check = NAN;
#endif
    for (; i < i1; i++) {
        float g0 = g[i], v0 = velocity[i];
        float v1 = mu * v0 - lr * g0;
        if (save) save_velocity[i] = v0;
        if (write) velocity[i] = v1;
        float p0 = p[i];
        float p1 = p0 + v1;
        check += p1 - p1;
        if (save) save_p[i] = p0;
        if (write) p[i] = p1;
    }
    flag_bad(u, check != 0.0f || check != check);
}

/* Adam (Kingma and Ba, 2015) with bias correction */
static ALWAYS_INLINE void adam_loop(update_job *u, size_t i0, size_t i1, const int save,
                                    const int write)
{
    float *p = u->p, *m = u->s0, *v = u->s1;
    float *save_p = u->save_p, *save_m = u->save_s0, *save_v = u->save_s1;
    const float *g = u->g;
    const float b1 = u->b1, b2 = u->b2, eps = u->eps, lr = u->lr, c1 = u->c1, c2 = u->c2;
    float check = 0.0f;
    size_t i = i0;
#ifdef GAN_SIMD128
    v128_t check4 = V(0.0f);
    for (; i + 4 <= i1; i += 4) {
        v128_t g0 = LD(g), m0 = LD(m), v0 = LD(v);
        v128_t m1 = ADD(MUL(V(b1), m0), MUL(V(1.0f - b1), g0));
        v128_t v1 = ADD(MUL(V(b2), v0), MUL(V(1.0f - b2), MUL(g0, g0)));
        if (save) { ST(save_m, m0); ST(save_v, v0); }
        if (write) { ST(m, m1); ST(v, v1); }
        v128_t p0 = LD(p);
        v128_t p1 = SUB(p0, wasm_f32x4_div(MUL(V(lr), MUL(m1, V(c1))),
                                           ADD(wasm_f32x4_sqrt(MUL(v1, V(c2))), V(eps))));
        CHECK_OR(check4, wasm_v128_or(SUB(p1, p1), SUB(v1, v1)));
        if (save) ST(save_p, p0);
        if (write) ST(p, p1);
    }
    if (LANES_BAD(check4)) check = NAN;
#endif
    for (; i < i1; i++) {
        float g0 = g[i], m0 = m[i], v0 = v[i];
        float m1 = b1 * m0 + (1.0f - b1) * g0;
        float v1 = b2 * v0 + (1.0f - b2) * (g0 * g0);
        if (save) { save_m[i] = m0; save_v[i] = v0; }
        if (write) { m[i] = m1; v[i] = v1; }
        float p0 = p[i];
        float p1 = p0 - lr * (m1 * c1) / (sqrtf(v1 * c2) + eps);
        check += (p1 - p1) + (v1 - v1);
        if (save) save_p[i] = p0;
        if (write) p[i] = p1;
    }
    flag_bad(u, check != 0.0f || check != check);
}

/* par_for's entry points: the pass's copy of each loop. */
#define UPDATE_RANGE(name, loop)                                                               \
    static void name(void *ctx, size_t i0, size_t i1)                                          \
    {                                                                                          \
        update_job *u = ctx;                                                                   \
        if (!u->write) loop(u, i0, i1, 0, 0);                                                  \
        else if (!u->save_p) loop(u, i0, i1, 0, 1);                                            \
        else loop(u, i0, i1, 1, 1);                                                            \
    }

UPDATE_RANGE(sgd_range, sgd_loop)
UPDATE_RANGE(adam_range, adam_loop)

#ifdef GAN_SIMD128
#undef V
#undef LD
#undef ST
#undef ADD
#undef SUB
#undef MUL
#undef LANES_BAD
#undef CHECK_OR
#endif

/* The pass's job and loop for net's update under config; Adam's beta powers
 * after this update in *beta1_power, *beta2_power. */
static par_range_fn *update_setup(update_job *u, const optimizer *opt,
                                  const gan_optimizer_config *config, network *net,
                                  double momentum, int write, double *beta1_power,
                                  double *beta2_power)
{
    *u = (update_job){0};
    u->p = net->params;
    u->g = net->grads;
    u->write = write;
    u->lr = (float)opt->learning_rate;
    *beta1_power = opt->beta1_power;
    *beta2_power = opt->beta2_power;
    if (config->kind == GAN_OPTIMIZER_SGD) {
        u->s0 = opt->velocity;
        u->mu = (float)momentum;
        return sgd_range;
    }
    u->s0 = opt->m;
    u->s1 = opt->v;
    *beta1_power *= config->beta1;
    *beta2_power *= config->beta2;
    u->b1 = config->beta1;
    u->b2 = config->beta2;
    u->eps = config->epsilon;
    u->c1 = (float)(1.0 / (1.0 - *beta1_power));
    u->c2 = (float)(1.0 / (1.0 - *beta2_power));
    return adam_range;
}

int optimizer_update(optimizer *opt, const gan_optimizer_config *config, network *net,
                     double momentum, float *save_params, float *save_state)
{
    const size_t n = net->param_count;
    update_job u;
    double beta1_power, beta2_power;
    par_range_fn *range = update_setup(&u, opt, config, net, momentum, 1, &beta1_power, &beta2_power);
    if (save_params) {
        u.save_p = save_params;
        u.save_s0 = save_state;
        u.save_s1 = save_state + n; /* Adam's v */
    }
    par_for(n, 16, 65536, range, &u); /* chunks of >= 64K parameters: see network.c */
    if (config->max_col_norm > 0 && !u.bad) network_limit_column_norms(net, config->max_col_norm);
    opt->updates++;
    opt->beta1_power = beta1_power; /* unchanged for SGD */
    opt->beta2_power = beta2_power;
    // decay (and the step schedule), never pushing the rate up to the floor
    double next = opt->learning_rate / config->learning_rate_decay;
    if (config->learning_rate_step > 0 && opt->updates % (uint64_t)config->learning_rate_step == 0)
        next *= config->learning_rate_step_factor;
    double floor = config->learning_rate_min;
    if (next < floor) next = floor < opt->learning_rate ? floor : opt->learning_rate;
    opt->learning_rate = next;
    return !u.bad;
}

/* The gradient's L2 norm, summed in a fixed order that depends only on the
 * parameter count: at most NORM_BLOCKS blocks, each summed with four
 * interleaved accumulators, then the blocks in order. So par_for may spread
 * the blocks over threads with the same bits. Each accumulator is a chain of
 * dependent additions, which bounds the speed: so two blocks of equal length
 * are summed in one loop (eight chains), each still in its own order. */
enum { NORM_BLOCKS = 64, NORM_MIN_BLOCK = 16384 };

typedef struct {
    const float *g;
    size_t n, block;
    double partial[NORM_BLOCKS];
} norm_job;

/* Block sums s0..s3 of g[0..len): s_r sums the squares of g[4q + r] in
 * order (and s0 the tail), for `count` (1 or 2) blocks of length len that
 * start `stride` floats apart, in one loop. */
static ALWAYS_INLINE void block_sums(const float *g, size_t stride, size_t len, const int count,
                                     double *out)
{
    double s[2][4] = {{0.0}};
    size_t i = 0;
#ifdef GAN_SIMD128
    /* s0, s1 in one f64x2 and s2, s3 in another: the same sums */
    v128_t s01[2], s23[2];
    for (int c = 0; c < count; c++) s01[c] = s23[c] = wasm_f64x2_splat(0.0);
    for (; i + 4 <= len; i += 4) {
        for (int c = 0; c < count; c++) {
            const v128_t x = wasm_v128_load(g + (size_t)c * stride + i);
            const v128_t lo = wasm_f64x2_promote_low_f32x4(x);
            const v128_t hi = wasm_f64x2_promote_low_f32x4(wasm_i64x2_shuffle(x, x, 1, 1));
            s01[c] = wasm_f64x2_add(s01[c], wasm_f64x2_mul(lo, lo));
            s23[c] = wasm_f64x2_add(s23[c], wasm_f64x2_mul(hi, hi));
        }
    }
    for (int c = 0; c < count; c++) {
        s[c][0] = wasm_f64x2_extract_lane(s01[c], 0);
        s[c][1] = wasm_f64x2_extract_lane(s01[c], 1);
        s[c][2] = wasm_f64x2_extract_lane(s23[c], 0);
        s[c][3] = wasm_f64x2_extract_lane(s23[c], 1);
    }
#endif
    for (int c = 0; c < count; c++) {
        const float *b = g + (size_t)c * stride;
        size_t k = i;
        for (; k + 4 <= len; k += 4) {
            s[c][0] += (double)b[k] * b[k];
            s[c][1] += (double)b[k + 1] * b[k + 1];
            s[c][2] += (double)b[k + 2] * b[k + 2];
            s[c][3] += (double)b[k + 3] * b[k + 3];
        }
        for (; k < len; k++) s[c][0] += (double)b[k] * b[k];
        out[c] = (s[c][0] + s[c][1]) + (s[c][2] + s[c][3]);
    }
}

static size_t block_length(const norm_job *j, size_t b)
{
    const size_t start = b * j->block;
    return start >= j->n ? 0 : start + j->block < j->n ? j->block : j->n - start;
}

static void norm_blocks(void *ctx, size_t b0, size_t b1)
{
    norm_job *j = ctx;
    size_t b = b0;
    for (; b + 2 <= b1 && block_length(j, b + 1) == j->block; b += 2)
        block_sums(j->g + b * j->block, j->block, j->block, 2, j->partial + b);
    for (; b < b1; b++) block_sums(j->g + b * j->block, 0, block_length(j, b), 1, j->partial + b);
}

/* The blocks of net's gradient. */
static size_t norm_setup(norm_job *j, const network *net)
{
    j->g = net->grads;
    j->n = net->param_count;
    size_t blocks = (j->n + NORM_MIN_BLOCK - 1) / NORM_MIN_BLOCK;
    if (blocks > NORM_BLOCKS) blocks = NORM_BLOCKS;
    if (blocks < 1) blocks = 1;
    j->block = (j->n + blocks - 1) / blocks;
    return blocks;
}

static double norm_total(const norm_job *j, size_t blocks)
{
    double sum = 0.0;
    for (size_t b = 0; b < blocks; b++) sum += j->partial[b];
    return sqrt(sum);
}

double gradient_norm(const network *net)
{
    norm_job j;
    const size_t blocks = norm_setup(&j, net);
    par_for(blocks, 1, 4, norm_blocks, &j); /* split only from 4 blocks (64K floats) a chunk */
    return norm_total(&j, blocks);
}

/* The check pass and the norm in one pass over memory: two blocks at a
 * time, the norm's sums (which bring the blocks' gradient into cache), then
 * the check loop over the same parameters. The norm's blocks and sums are
 * gradient_norm's, so are its bits; whether a new value is not finite does
 * not depend on the ranges. */
typedef struct {
    norm_job norm;
    update_job *update;
    par_range_fn *range;
} check_norm_job;

static void check_norm_blocks(void *ctx, size_t b0, size_t b1)
{
    check_norm_job *j = ctx;
    for (size_t b = b0; b < b1; b += 2) {
        const size_t b_end = b + 2 < b1 ? b + 2 : b1;
        norm_blocks(&j->norm, b, b_end);
        const size_t start = b * j->norm.block;
        const size_t end = start + (b_end - b) * j->norm.block < j->norm.n ? start + (b_end - b) * j->norm.block : j->norm.n;
        if (end > start) j->range(j->update, start, end);
    }
}

int optimizer_check(const optimizer *opt, const gan_optimizer_config *config, network *net,
                    double momentum, double *grad_norm)
{
    update_job u;
    double beta1_power, beta2_power;
    check_norm_job j;
    j.range = update_setup(&u, opt, config, net, momentum, 0, &beta1_power, &beta2_power);
    j.update = &u;
    const size_t blocks = norm_setup(&j.norm, net);
    par_for(blocks, 1, 4, check_norm_blocks, &j);
    *grad_norm = norm_total(&j.norm, blocks);
    return !u.bad;
}
