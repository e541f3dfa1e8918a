/*
 * train.c - Algorithm 1: losses from logits, k D-updates then one G-update,
 * SGD with momentum and Adam, and the rollback of non-finite steps.
 *
 * Rollback design: nothing is copied up front. The step's last update of
 * each network (G's; D's too in the simultaneous order with k = 1) is done in
 * two passes over the same expressions: the first computes every new value
 * and checks it for Inf/NaN without writing, the second writes the same bits.
 * Only D's earlier updates write before the step is known to succeed: the
 * first of them saves D's parameters and optimizer state into D's backup
 * block from inside the update loop (which reads them anyway: a few extra
 * stores instead of a separate copy), and each checks the new values as it
 * writes them. So only D has a backup, and only when its config needs one;
 * with k = 1 the old parameters go over D's gradient, which that update was
 * the last to read, so the block holds D's optimizer state only (5 MB for
 * the paper model, where both networks' full copies took 30 MB). Before any
 * update,
 * the loss and the gradient norm must be finite (a NaN or Inf gradient makes
 * the norm non-finite). If either check fails, every network updated so far
 * in the step is copied back from its backup, and the small state (PRNG,
 * counters, learning rates) from a copy taken at the start of the step.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "detmath.h"
#include "gan_internal.h"
#include "threads.h" /* par_for: optimizer steps split across threads in the threads build */

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
static double momentum_at(const gan_optimizer_config *config, uint64_t epochs)
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

typedef enum update_mode {
    UPDATE_CHECK, /* compute every new value and check it; write nothing, advance nothing */
    UPDATE_WRITE  /* apply the update and advance the optimizer's scalars */
} update_mode;

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

static void update_range(void *ctx, size_t i0, size_t i1)
{
    update_job *u = ctx;
    float *p = u->p;
    const float *g = u->g;
    float *backup_p = u->backup_p;
    float check = 0.0f;
    if (u->kind == GAN_OPTIMIZER_SGD) {
        // pylearn2's momentum: velocity = mu velocity - lr g; p += velocity
        float mu = u->mu, lr = u->lr;
        float *velocity = u->velocity;
        if (u->mode == UPDATE_CHECK) {
            for (size_t i = i0; i < i1; i++) {
                float v = mu * velocity[i] - lr * g[i];
                float pi = p[i] + v;
                check += pi - pi;
            }
        } else if (backup_p) {
            // backup_p may be g itself: g[i] is read before backup_p[i] is written
            float *backup_velocity = u->backup_velocity;
            for (size_t i = i0; i < i1; i++) {
                float gi = g[i], pi = p[i], vi = velocity[i];
                float v = mu * vi - lr * gi;
                backup_p[i] = pi;
                backup_velocity[i] = vi;
                velocity[i] = v;
                p[i] = pi + v;
                check += p[i] - p[i];
            }
        } else {
            for (size_t i = i0; i < i1; i++) {
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
        if (u->mode == UPDATE_CHECK) {
            for (size_t i = i0; i < i1; i++) {
                float mi = b1 * m[i] + (1.0f - b1) * g[i];
                float vi = b2 * v[i] + (1.0f - b2) * (g[i] * g[i]);
                float pi = p[i] - lr * (mi * c1) / (sqrtf(vi * c2) + eps);
                check += (pi - pi) + (vi - vi);
            }
        } else if (backup_p) {
            // backup_p may be g itself: g[i] is read before backup_p[i] is written
            float *backup_m = u->backup_m, *backup_v = u->backup_v;
            for (size_t i = i0; i < i1; i++) {
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
            for (size_t i = i0; i < i1; i++) {
                float mi = b1 * m[i] + (1.0f - b1) * g[i];
                float vi = b2 * v[i] + (1.0f - b2) * (g[i] * g[i]);
                m[i] = mi;
                v[i] = vi;
                p[i] -= lr * (mi * c1) / (sqrtf(vi * c2) + eps);
                check += (p[i] - p[i]) + (vi - vi);
            }
        }
    }
    /* Ranges may run on several threads: only ever set the flag. */
    if (check != 0.0f || check != check) __atomic_store_n(&u->bad, 1, __ATOMIC_RELAXED);
}

static int optimizer_update(optimizer *opt, const gan_optimizer_config *config, network *net,
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
    par_for(n, 16, 16384, update_range, &u);
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

static void optimizer_restore(optimizer *opt, network *net)
{
    if (!opt->backed_up || !opt->backup) return;
    size_t n = net->param_count;
    memcpy(net->params, opt->backup_params, n * sizeof(float));
    memcpy(opt->state, opt->backup_state, (size_t)opt->slots * n * sizeof(float));
    opt->backed_up = 0;
}

/* ---- noise and data ----------------------------------------------------- */

void sample_prior(const gan_config *config, prng *rng, float *z, size_t count)
{
    float scale = config->prior_scale;
    if (config->prior == GAN_PRIOR_GAUSSIAN) {
        for (size_t i = 0; i < count; i++) z[i] = prng_gaussian(rng) * scale;
    } else {
        for (size_t i = 0; i < count; i++) z[i] = (2.0f * prng_uniform(rng) - 1.0f) * scale;
    }
}

void data_shuffle(gan *model)
{
    // each epoch's order depends only on (seed, epoch): a checkpoint stores
    // the epoch and position, never the permutation
    prng rng;
    prng_seed(&rng, model->config.seed, PRNG_STREAM_DATA + (model->data_epoch << 4));
    uint32_t n = model->data_count, *perm = model->permutation;
    for (uint32_t i = 0; i < n; i++) perm[i] = i;
    for (uint32_t i = n - 1; i > 0; i--) {
        uint32_t j = prng_below(&rng, i + 1);
        uint32_t t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }
}

/* ---- losses ------------------------------------------------------------- */

/* D's loss 0.5 [BCE(1, D(x)) + BCE(0, D(G(z)))] from logits [2m] (real rows,
 * then fake rows), and its gradient w.r.t. each logit into grad [2m]. */
static void discriminator_loss(const float *logits, int m, float *grad, step_values *r)
{
    double real_loss = 0.0, fake_loss = 0.0, real_prob = 0.0, fake_prob = 0.0;
    for (int i = 0; i < m; i++) {
        double l = logits[i], p = det_sigmoid(l);
        real_loss += det_softplus(-l); // -log sigmoid(l)
        real_prob += p;
        grad[i] = (float)(0.5 * (p - 1.0) / m);
    }
    for (int i = m; i < 2 * m; i++) {
        double l = logits[i], p = det_sigmoid(l);
        fake_loss += det_softplus(l);  // -log(1 - sigmoid(l))
        fake_prob += p;
        grad[i] = (float)(0.5 * p / m);
    }
    r->d_loss = 0.5 * (real_loss + fake_loss) / m;
    r->d_real = real_prob / m;
    r->d_fake = fake_prob / m;
}

/* G's loss from D's logits on the fake batch [m], gradient into grad [m]. */
static void generator_loss(const float *logits, int m, gan_generator_loss kind, float *grad,
                           step_values *r)
{
    double loss = 0.0;
    for (int i = 0; i < m; i++) {
        double l = logits[i], p = det_sigmoid(l);
        if (kind == GAN_LOSS_MINIMAX) {
            loss -= det_softplus(l);   // log(1 - D(G(z)))
            grad[i] = (float)(-p / m);
        } else {
            loss += det_softplus(-l);  // -log D(G(z))
            grad[i] = (float)((p - 1.0) / m);
        }
    }
    r->g_loss = loss / m;
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

static double gradient_norm(const network *net)
{
    norm_job j;
    j.g = net->grads;
    j.n = net->param_count;
    size_t blocks = (j.n + NORM_MIN_BLOCK - 1) / NORM_MIN_BLOCK;
    if (blocks > NORM_BLOCKS) blocks = NORM_BLOCKS;
    if (blocks < 1) blocks = 1;
    j.block = (j.n + blocks - 1) / blocks;
    par_for(blocks, 1, 1, norm_blocks, &j);
    double sum = 0.0;
    for (size_t b = 0; b < blocks; b++) sum += j.partial[b];
    return sqrt(sum);
}

static int is_finite(double x)
{
    return x - x == 0.0;
}

/* ---- the two halves of Algorithm 1 -------------------------------------- */

void train_discriminator_pass(gan *model, const float *real, int shared, step_values *r)
{
    const gan_config *c = &model->config;
    network *G = &model->generator, *D = &model->discriminator;
    const int m = c->batch_size;
    const size_t rows = (size_t)m * (size_t)c->data_dim;
    // fake rows from G on fresh noise, after the real rows: one D pass of 2m
    sample_prior(c, &model->rng, model->noise, (size_t)m * c->noise_dim);
    const float *fake = network_forward(G, model->noise, m, &model->rng);
    if (real != model->d_input) memcpy(model->d_input, real, rows * sizeof(float));
    memcpy(model->d_input + rows, fake, rows * sizeof(float));
    const float *logits = network_forward(D, model->d_input, 2 * m, &model->rng);
    discriminator_loss(logits, m, model->d_logit_grad, r);
    network_backward(D, model->d_logit_grad, 0, 2 * m, 1, 0);
    r->d_grad_norm = gradient_norm(D);
    if (shared) {
        // G's gradient through D's pre-update weights, on the fake rows
        generator_loss(logits + m, m, c->generator_loss, model->g_logit_grad, r);
        const float *dfake = network_backward(D, model->g_logit_grad, m, m, 0, 1);
        network_backward(G, dfake, 0, m, 1, 0);
        r->g_grad_norm = gradient_norm(G);
    }
}

void train_generator_pass(gan *model, step_values *r)
{
    const gan_config *c = &model->config;
    network *G = &model->generator, *D = &model->discriminator;
    const int m = c->batch_size;
    // fresh noise, through the current D with dropout still on
    sample_prior(c, &model->rng, model->noise, (size_t)m * c->noise_dim);
    const float *fake = network_forward(G, model->noise, m, &model->rng);
    const float *logits = network_forward(D, fake, m, &model->rng);
    generator_loss(logits, m, c->generator_loss, model->g_logit_grad, r);
    const float *dfake = network_backward(D, model->g_logit_grad, 0, m, 0, 1);
    network_backward(G, dfake, 0, m, 1, 0);
    r->g_grad_norm = gradient_norm(G);
}

/* ---- Algorithm 1 -------------------------------------------------------- */

typedef struct saved_state {
    prng rng;
    uint64_t steps, examples;
    optimizer g, d; /* only the scalars matter; the blocks have their backups */
} saved_state;

static uint64_t examples_per_epoch(const gan *model)
{
    return model->config.examples_per_epoch > 0 ? (uint64_t)model->config.examples_per_epoch
                                                : model->data_count;
}

static void fill_stats(const gan *model, const step_values *r, int rolled_back,
                       gan_step_stats *stats)
{
    if (!stats) return;
    uint64_t per_epoch = examples_per_epoch(model);
    const gan_config *c = &model->config;
    stats->step = (double)model->steps;
    stats->epoch = per_epoch ? (double)model->examples / (double)per_epoch : 0.0;
    stats->d_loss = r->d_loss;
    stats->g_loss = r->g_loss;
    stats->d_real = r->d_real;
    stats->d_fake = r->d_fake;
    stats->d_grad_norm = r->d_grad_norm;
    stats->g_grad_norm = r->g_grad_norm;
    stats->d_learning_rate = model->discriminator_optimizer.learning_rate;
    stats->g_learning_rate = model->generator_optimizer.learning_rate;
    uint64_t epochs = per_epoch ? model->examples / per_epoch : 0;
    if (c->discriminator_optimizer.kind == GAN_OPTIMIZER_SGD)
        stats->momentum = momentum_at(&c->discriminator_optimizer, epochs);
    else if (c->generator_optimizer.kind == GAN_OPTIMIZER_SGD)
        stats->momentum = momentum_at(&c->generator_optimizer, epochs);
    else
        stats->momentum = 0.0;
    stats->non_finite = rolled_back ? 1.0 : 0.0;
    stats->non_finite_total = (double)model->non_finite_total;
}

gan_status gan_train_step(gan *model, const float *real, gan_step_stats *stats)
{
    if (!model || !real) return GAN_ERR_INVALID_ARGUMENT;
    const gan_config *c = &model->config;
    network *G = &model->generator, *D = &model->discriminator;
    optimizer *g_opt = &model->generator_optimizer, *d_opt = &model->discriminator_optimizer;
    const int m = c->batch_size;
    const size_t dim = (size_t)c->data_dim;

    saved_state saved = {model->rng, model->steps, model->examples, *g_opt, *d_opt};
    g_opt->backed_up = 0;
    d_opt->backed_up = 0;
    uint64_t per_epoch = examples_per_epoch(model);
    uint64_t epochs = per_epoch ? model->examples / per_epoch : 0;
    double g_momentum = momentum_at(&c->generator_optimizer, epochs);
    double d_momentum = momentum_at(&c->discriminator_optimizer, epochs);

    step_values r = {NAN, NAN, NAN, NAN, NAN, NAN};
    int ok = 1;
    // D's updates before the step's last update write in place, saving D
    // first; the last update (G's, or D's and G's in the simultaneous order)
    // is checked in full before it writes, so it needs no backup
    if (train_needs_backup(c) && !d_opt->backup) return GAN_ERR_OUT_OF_MEMORY; /* not reserved */
    for (int j = 0; j < c->d_steps && ok; j++) {
        // the last D-update of a simultaneous step shares its forward pass with G's
        int shared = c->update_order == GAN_UPDATE_SIMULTANEOUS && j == c->d_steps - 1;
        train_discriminator_pass(model, real + (size_t)j * m * dim, shared, &r);
        ok = is_finite(r.d_loss) && is_finite(r.d_grad_norm);
        if (ok && shared) {
            ok = is_finite(r.g_loss) && is_finite(r.g_grad_norm) &&
                 optimizer_update(d_opt, &c->discriminator_optimizer, D, d_momentum, UPDATE_CHECK) &&
                 optimizer_update(g_opt, &c->generator_optimizer, G, g_momentum, UPDATE_CHECK);
            if (ok) {
                optimizer_update(d_opt, &c->discriminator_optimizer, D, d_momentum, UPDATE_WRITE);
                optimizer_update(g_opt, &c->generator_optimizer, G, g_momentum, UPDATE_WRITE);
            }
        } else if (ok) {
            ok = optimizer_update(d_opt, &c->discriminator_optimizer, D, d_momentum, UPDATE_WRITE);
        }
    }
    if (ok && c->update_order == GAN_UPDATE_ALTERNATING) {
        train_generator_pass(model, &r);
        ok = is_finite(r.g_loss) && is_finite(r.g_grad_norm) &&
             optimizer_update(g_opt, &c->generator_optimizer, G, g_momentum, UPDATE_CHECK);
        if (ok) optimizer_update(g_opt, &c->generator_optimizer, G, g_momentum, UPDATE_WRITE);
    }

    if (!ok) {
        optimizer_restore(g_opt, G);
        optimizer_restore(d_opt, D);
        // the scalars; the pointers (state, backup) are the same in the copy
        *g_opt = saved.g;
        *d_opt = saved.d;
        model->rng = saved.rng;
        model->steps = saved.steps;
        model->examples = saved.examples;
        model->non_finite_total++;
        fill_stats(model, &r, 1, stats);
        return GAN_ERR_NON_FINITE;
    }
    model->steps++;
    model->examples += (uint64_t)c->d_steps * (uint64_t)m;
    fill_stats(model, &r, 0, stats);
    return GAN_OK;
}

/* Copies the next `rows` examples of the attached data, in this epoch's
 * order, into out [rows, data_dim] as floats. */
static void next_batch(gan *model, float *out, size_t rows)
{
    size_t dim = (size_t)model->config.data_dim;
    for (size_t r = 0; r < rows; r++) {
        if (model->data_position >= model->data_count) {
            model->data_epoch++;
            model->data_position = 0;
            data_shuffle(model);
        }
        size_t index = model->permutation[model->data_position++];
        float *row = out + r * dim;
        if (model->data_u8) {
            const uint8_t *pixels = model->data_u8 + index * dim;
            for (size_t j = 0; j < dim; j++) row[j] = (float)pixels[j] / 255.0f;
        } else {
            memcpy(row, model->data_f32 + index * dim, dim * sizeof(float));
        }
    }
}

gan_status gan_train(gan *model, uint32_t steps, gan_step_stats *stats)
{
    if (!model) return GAN_ERR_INVALID_ARGUMENT;
    if (!model->data_count) return GAN_ERR_NO_DATA;
    size_t rows = (size_t)model->config.d_steps * model->config.batch_size;
    for (uint32_t s = 0; s < steps; s++) {
        uint64_t epoch = model->data_epoch;
        uint32_t position = model->data_position;
        next_batch(model, model->real_batch, rows);
        gan_status status = gan_train_step(model, model->real_batch, stats);
        if (status != GAN_OK) {
            // the data position is part of the rolled-back state
            if (model->data_epoch != epoch) {
                model->data_epoch = epoch;
                data_shuffle(model);
            }
            model->data_position = position;
            return status;
        }
    }
    return GAN_OK;
}
