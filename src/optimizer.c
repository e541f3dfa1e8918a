/*
 * optimizer.c - SGD with pylearn2's momentum and Adam, applied to a network's
 * parameters from its gradient; the gradient's norm; the backup block that
 * lets a step be rolled back (see train.c for the rollback design).
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
    opt->backup = NULL; /* only D's, when needed: train_reserve_backup */
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
    free(opt->backup);
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

/* Which updates of a step can fail after a network was already written, and
 * so need that network's backup: only D's, and only when another update
 * follows its first one in the step. The step's last update of each network
 * is checked in full before anything is written (see gan_train_step), so G
 * never needs one, and neither does D in the simultaneous order with k = 1. */
int train_needs_backup(const gan_config *config)
{
    return config->update_order == GAN_UPDATE_ALTERNATING || config->d_steps > 1;
}

gan_status train_reserve_backup(gan *model, const gan_config *config)
{
    optimizer *opt = &model->discriminator_optimizer;
    network *net = &model->discriminator;
    if (!train_needs_backup(config) || opt->backup) return GAN_OK;
    size_t n = net->param_count ? net->param_count : 1;
    if (n > SIZE_MAX / sizeof(float) / 3) return GAN_ERR_OUT_OF_MEMORY;
    // with k = 1, D's one update is the last to read D's gradient (G's pass
    // back-propagates through D without writing D's grads), so the old
    // parameters can go over the gradient: the block holds the state only
    int params_in_grads = config->d_steps == 1;
    opt->backup = calloc((size_t)(opt->slots + !params_in_grads) * n, sizeof(float));
    if (!opt->backup) return GAN_ERR_OUT_OF_MEMORY;
    opt->backup_params = params_in_grads ? net->grads : opt->backup;
    opt->backup_state = params_in_grads ? opt->backup : opt->backup + n;
    return GAN_OK;
}

/* One update of net's parameters from net->grads. Returns 0 if a new
 * parameter or state value is non-finite (the caller then rolls back).
 * UPDATE_CHECK evaluates exactly the expressions UPDATE_WRITE stores, so an
 * update that passed its check writes the same bits and cannot fail. In
 * UPDATE_WRITE, the step's first update of a network that has a backup block
 * saves what it overwrites in the same pass (the loop reads those values
 * anyway); without a backup block, the write must have been checked first. */
/* One optimizer step over parameters [i0, i1): elementwise, so par_for
 * (threads.h) may split the range; `bad` is set when a new value is not
 * finite (x - x is NaN exactly when x is Inf or NaN). */
typedef struct {
    gan_optimizer_kind kind;
    update_mode mode;
    float *p;
    const float *g;
    float *backup_p;                     /* UPDATE_WRITE, first update since the backup */
    float *velocity, *backup_velocity;   /* SGD */
    float mu, lr;
    float *m, *v, *backup_m, *backup_v; /* Adam */
    float b1, b2, eps, c1, c2;
    int bad;
} update_job;

/* The SIMD wasm build runs each loop below four parameters at a time first,
 * every lane doing the scalar loop's operations in its order (sqrt and
 * division are correctly rounded in both), and the scalar loop finishes the
 * range: the same bits. The check sums lane by lane; only "is it 0" matters,
 * and a sum of zeros is 0 in any order, while any Inf or NaN makes it NaN. */
static void update_range(void *ctx, size_t i0, size_t i1)
{
    update_job *u = ctx;
    float *p = u->p;
    const float *g = u->g;
    float *backup_p = u->backup_p;
    float check = 0.0f;
    size_t i = i0;
#ifdef GAN_SIMD128
    v128_t check4 = wasm_f32x4_splat(0.0f);
#define V(x) wasm_f32x4_splat(x)
#define LD(a) wasm_v128_load((a) + i)
#define ST(a, x) wasm_v128_store((a) + i, (x))
#define ADD wasm_f32x4_add
#define SUB wasm_f32x4_sub
#define MUL wasm_f32x4_mul
#endif
    if (u->kind == GAN_OPTIMIZER_SGD) {
        // pylearn2's momentum: velocity = mu velocity - lr g; p += velocity
        float mu = u->mu, lr = u->lr;
        float *velocity = u->velocity;
        if (u->mode == UPDATE_CHECK) {
#ifdef GAN_SIMD128
            for (; i + 4 <= i1; i += 4) {
                v128_t pi = ADD(LD(p), SUB(MUL(V(mu), LD(velocity)), MUL(V(lr), LD(g))));
                check4 = ADD(check4, SUB(pi, pi));
            }
#endif
            for (; i < i1; i++) {
                float v = mu * velocity[i] - lr * g[i];
                float pi = p[i] + v;
                check += pi - pi;
            }
        } else if (backup_p) {
            // backup_p may be g itself: g[i] is read before backup_p[i] is written
            float *backup_velocity = u->backup_velocity;
#ifdef GAN_SIMD128
            for (; i + 4 <= i1; i += 4) {
                v128_t gi = LD(g), pi = LD(p), vi = LD(velocity);
                v128_t v = SUB(MUL(V(mu), vi), MUL(V(lr), gi));
                ST(backup_p, pi);
                ST(backup_velocity, vi);
                ST(velocity, v);
                pi = ADD(pi, v);
                ST(p, pi);
                check4 = ADD(check4, SUB(pi, pi));
            }
#endif
            for (; i < i1; i++) {
                float gi = g[i], pi = p[i], vi = velocity[i];
                float v = mu * vi - lr * gi;
                backup_p[i] = pi;
                backup_velocity[i] = vi;
                velocity[i] = v;
                p[i] = pi + v;
                check += p[i] - p[i];
            }
        } else {
#ifdef GAN_SIMD128
            for (; i + 4 <= i1; i += 4) {
                v128_t v = SUB(MUL(V(mu), LD(velocity)), MUL(V(lr), LD(g)));
                ST(velocity, v);
                v128_t pi = ADD(LD(p), v);
                ST(p, pi);
                check4 = ADD(check4, SUB(pi, pi));
            }
#endif
            for (; i < i1; i++) {
                float v = mu * velocity[i] - lr * g[i];
                velocity[i] = v;
                p[i] += v;
                check += p[i] - p[i];
            }
        }
    } else {
        // Adam (Kingma and Ba, 2015) with bias correction
        float b1 = u->b1, b2 = u->b2, eps = u->eps, lr = u->lr, c1 = u->c1, c2 = u->c2;
        float *m = u->m, *v = u->v;
#ifdef GAN_SIMD128
        /* new m, v and p from g, m0, v0, p0: the scalar expressions lane by lane */
#define ADAM4(gi, m0, v0, p0, mi, vi, pi)                                                      \
    v128_t mi = ADD(MUL(V(b1), m0), MUL(V(1.0f - b1), gi));                                    \
    v128_t vi = ADD(MUL(V(b2), v0), MUL(V(1.0f - b2), MUL(gi, gi)));                           \
    v128_t pi = SUB(p0, wasm_f32x4_div(MUL(V(lr), MUL(mi, V(c1))),                             \
                                       ADD(wasm_f32x4_sqrt(MUL(vi, V(c2))), V(eps))))
#endif
        if (u->mode == UPDATE_CHECK) {
#ifdef GAN_SIMD128
            for (; i + 4 <= i1; i += 4) {
                v128_t gi = LD(g);
                ADAM4(gi, LD(m), LD(v), LD(p), mi, vi, pi);
                (void)mi;
                check4 = ADD(check4, ADD(SUB(pi, pi), SUB(vi, vi)));
            }
#endif
            for (; i < i1; i++) {
                float mi = b1 * m[i] + (1.0f - b1) * g[i];
                float vi = b2 * v[i] + (1.0f - b2) * (g[i] * g[i]);
                float pi = p[i] - lr * (mi * c1) / (sqrtf(vi * c2) + eps);
                check += (pi - pi) + (vi - vi);
            }
        } else if (backup_p) {
            // backup_p may be g itself: g[i] is read before backup_p[i] is written
            float *backup_m = u->backup_m, *backup_v = u->backup_v;
#ifdef GAN_SIMD128
            for (; i + 4 <= i1; i += 4) {
                v128_t gi = LD(g), p0 = LD(p), m0 = LD(m), v0 = LD(v);
                ADAM4(gi, m0, v0, p0, mi, vi, pi);
                ST(backup_p, p0);
                ST(backup_m, m0);
                ST(backup_v, v0);
                ST(m, mi);
                ST(v, vi);
                ST(p, pi);
                check4 = ADD(check4, ADD(SUB(pi, pi), SUB(vi, vi)));
            }
#endif
            for (; i < i1; i++) {
                float gi = g[i], pi = p[i], m0 = m[i], v0 = v[i];
                float mi = b1 * m0 + (1.0f - b1) * gi;
                float vi = b2 * v0 + (1.0f - b2) * (gi * gi);
                backup_p[i] = pi;
                backup_m[i] = m0;
                backup_v[i] = v0;
                m[i] = mi;
                v[i] = vi;
                p[i] = pi - lr * (mi * c1) / (sqrtf(vi * c2) + eps);
                check += (p[i] - p[i]) + (vi - vi);
            }
        } else {
#ifdef GAN_SIMD128
            for (; i + 4 <= i1; i += 4) {
                v128_t gi = LD(g);
                ADAM4(gi, LD(m), LD(v), LD(p), mi, vi, pi);
                ST(m, mi);
                ST(v, vi);
                ST(p, pi);
                check4 = ADD(check4, ADD(SUB(pi, pi), SUB(vi, vi)));
            }
#endif
            for (; i < i1; i++) {
                float mi = b1 * m[i] + (1.0f - b1) * g[i];
                float vi = b2 * v[i] + (1.0f - b2) * (g[i] * g[i]);
                m[i] = mi;
                v[i] = vi;
                p[i] -= lr * (mi * c1) / (sqrtf(vi * c2) + eps);
                check += (p[i] - p[i]) + (vi - vi);
            }
        }
    }
#ifdef GAN_SIMD128
#undef V
#undef LD
#undef ST
#undef ADD
#undef SUB
#undef MUL
#undef ADAM4
    /* any lane not 0 (NaN compares unequal too) */
    if (wasm_v128_any_true(wasm_f32x4_ne(check4, wasm_f32x4_splat(0.0f)))) check = NAN;
#endif
    /* Ranges may run on several threads: only ever set the flag. */
    if (check != 0.0f || check != check) __atomic_store_n(&u->bad, 1, __ATOMIC_RELAXED);
}

int optimizer_update(optimizer *opt, const gan_optimizer_config *config, network *net,
                            double momentum, update_mode mode)
{
    size_t n = net->param_count;
    update_job u = {0};
    u.kind = config->kind;
    u.mode = mode;
    u.p = net->params;
    u.g = net->grads;

    if (mode == UPDATE_WRITE && opt->backup) {
        if (!opt->backed_up) u.backup_p = opt->backup_params;
        opt->backed_up = 1;
    }
    double beta1_power = 0.0, beta2_power = 0.0;
    if (config->kind == GAN_OPTIMIZER_SGD) {
        u.mu = (float)momentum;
        u.lr = (float)opt->learning_rate;
        u.velocity = opt->velocity;
        u.backup_velocity = opt->backup_state;
    } else {
        beta1_power = opt->beta1_power * config->beta1;
        beta2_power = opt->beta2_power * config->beta2;
        u.b1 = config->beta1;
        u.b2 = config->beta2;
        u.eps = config->epsilon;
        u.lr = (float)opt->learning_rate;
        u.c1 = (float)(1.0 / (1.0 - beta1_power));
        u.c2 = (float)(1.0 / (1.0 - beta2_power));
        u.m = opt->m;
        u.v = opt->v;
        if (u.backup_p) {
            u.backup_m = opt->backup_state;
            u.backup_v = opt->backup_state + n;
        }
    }
    par_for(n, 16, 65536, update_range, &u); /* chunks of >= 64K parameters: see network.c */
    if (config->kind != GAN_OPTIMIZER_SGD && mode == UPDATE_WRITE) {
        opt->beta1_power = beta1_power;
        opt->beta2_power = beta2_power;
    }
    if (mode == UPDATE_WRITE) {
        opt->updates++;
        // decay, never pushing the rate up to the floor
        double next = opt->learning_rate / config->learning_rate_decay;
        double floor = config->learning_rate_min;
        if (next < floor) next = floor < opt->learning_rate ? floor : opt->learning_rate;
        opt->learning_rate = next;
    }
    return !u.bad;
}

void optimizer_restore(optimizer *opt, network *net)
{
    if (!opt->backed_up || !opt->backup) return;
    size_t n = net->param_count;
    memcpy(net->params, opt->backup_params, n * sizeof(float));
    memcpy(opt->state, opt->backup_state, (size_t)opt->slots * n * sizeof(float));
    opt->backed_up = 0;
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
