/*
 * optimizer.c - SGD with pylearn2's momentum and Adam, applied to a network's
 * parameters from its gradient, one loop per optimizer (and its SIMD twin);
 * the gradient's norm. What is checked, saved and written when: rollback.c.
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
/* any lane not 0 (a NaN lane compares unequal too) */
#define LANES_BAD(check4) wasm_v128_any_true(wasm_f32x4_ne((check4), wasm_f32x4_splat(0.0f)))
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
        check4 = ADD(check4, SUB(p1, p1));
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
        check4 = ADD(check4, ADD(SUB(p1, p1), SUB(v1, v1)));
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
#endif

int optimizer_update(optimizer *opt, const gan_optimizer_config *config, network *net,
                     double momentum, update_mode mode, float *save_params, float *save_state)
{
    const size_t n = net->param_count;
    const int write = mode == UPDATE_WRITE;
    update_job u = {0};
    u.p = net->params;
    u.g = net->grads;
    u.write = write;
    if (write && save_params) {
        u.save_p = save_params;
        u.save_s0 = save_state;
        u.save_s1 = save_state + n; /* Adam's v */
    }
    u.lr = (float)opt->learning_rate;
    double beta1_power = opt->beta1_power, beta2_power = opt->beta2_power;
    par_range_fn *range = sgd_range;
    if (config->kind == GAN_OPTIMIZER_SGD) {
        u.s0 = opt->velocity;
        u.mu = (float)momentum;
    } else {
        range = adam_range;
        u.s0 = opt->m;
        u.s1 = opt->v;
        beta1_power *= config->beta1;
        beta2_power *= config->beta2;
        u.b1 = config->beta1;
        u.b2 = config->beta2;
        u.eps = config->epsilon;
        u.c1 = (float)(1.0 / (1.0 - beta1_power));
        u.c2 = (float)(1.0 / (1.0 - beta2_power));
    }
    par_for(n, 16, 65536, range, &u); /* chunks of >= 64K parameters: see network.c */
    if (write) {
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
    }
    return !u.bad;
}

/* The gradient's L2 norm, summed in a fixed order that depends only on the
 * parameter count: at most NORM_BLOCKS blocks, each summed with four
 * interleaved accumulators, then the blocks in order. So par_for may spread
 * the blocks over threads with the same bits, and one thread is not held up
 * by a chain of dependent additions. */
enum { NORM_BLOCKS = 64, NORM_MIN_BLOCK = 16384 };

typedef struct {
    const float *g;
    size_t n, block;
    double partial[NORM_BLOCKS];
} norm_job;

static void norm_blocks(void *ctx, size_t b0, size_t b1)
{
    norm_job *j = ctx;
    for (size_t b = b0; b < b1; b++) {
        const size_t start = b * j->block, end = start + j->block < j->n ? start + j->block : j->n;
        const float *g = j->g;
        double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0;
        size_t i = start;
#ifdef GAN_SIMD128
        /* s0, s1 in one f64x2 and s2, s3 in another: the same sums */
        v128_t s01 = wasm_f64x2_splat(0.0), s23 = wasm_f64x2_splat(0.0);
        for (; i + 4 <= end; i += 4) {
            const v128_t x = wasm_v128_load(g + i);
            const v128_t lo = wasm_f64x2_promote_low_f32x4(x);
            const v128_t hi = wasm_f64x2_promote_low_f32x4(wasm_i64x2_shuffle(x, x, 1, 1));
            s01 = wasm_f64x2_add(s01, wasm_f64x2_mul(lo, lo));
            s23 = wasm_f64x2_add(s23, wasm_f64x2_mul(hi, hi));
        }
        s0 = wasm_f64x2_extract_lane(s01, 0);
        s1 = wasm_f64x2_extract_lane(s01, 1);
        s2 = wasm_f64x2_extract_lane(s23, 0);
        s3 = wasm_f64x2_extract_lane(s23, 1);
#endif
        for (; i + 4 <= end; i += 4) {
            s0 += (double)g[i] * g[i];
            s1 += (double)g[i + 1] * g[i + 1];
            s2 += (double)g[i + 2] * g[i + 2];
            s3 += (double)g[i + 3] * g[i + 3];
        }
        for (; i < end; i++) s0 += (double)g[i] * g[i];
        j->partial[b] = (s0 + s1) + (s2 + s3);
    }
}

double gradient_norm(const network *net)
{
    norm_job j;
    j.g = net->grads;
    j.n = net->param_count;
    size_t blocks = (j.n + NORM_MIN_BLOCK - 1) / NORM_MIN_BLOCK;
    if (blocks > NORM_BLOCKS) blocks = NORM_BLOCKS;
    if (blocks < 1) blocks = 1;
    j.block = (j.n + blocks - 1) / blocks;
    par_for(blocks, 1, 4, norm_blocks, &j); /* split only from 4 blocks (64K floats) a chunk */
    double sum = 0.0;
    for (size_t b = 0; b < blocks; b++) sum += j.partial[b];
    return sqrt(sum);
}
