/*
 * train.c - Algorithm 1: losses from logits, k D-updates then one G-update,
 * run as a sequence of phases. Every update goes through rollback.c, which
 * explains how a step that meets a non-finite value is undone.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "detmath.h"
#include "gan_internal.h"

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

/* D's loss 0.5 [BCE(t, D(x)) + BCE(0, D(G(z)))] from logits [2m] (real rows,
 * then fake rows), and its gradient w.r.t. each logit into grad [2m]. The
 * real target t is 1 in the paper; below 1 it is one-sided label smoothing.
 * With t = 1 the (1 - t) term adds an exact 0, so the paper's bits stay. */
static void discriminator_loss(const float *logits, int m, double real_target, float *grad,
                               step_values *r)
{
    double real_loss = 0.0, fake_loss = 0.0, real_prob = 0.0, fake_prob = 0.0;
    int right = 0; /* rows D classifies right: real logit > 0, fake logit < 0 */
    for (int i = 0; i < m; i++) {
        double l = logits[i], p = det_sigmoid(l);
        right += l > 0.0;
        // -t log sigmoid(l) - (1 - t) log(1 - sigmoid(l))
        real_loss += real_target * det_softplus(-l) + (1.0 - real_target) * det_softplus(l);
        real_prob += p;
        grad[i] = (float)(0.5 * (p - real_target) / m);
    }
    for (int i = m; i < 2 * m; i++) {
        double l = logits[i], p = det_sigmoid(l);
        right += l < 0.0;
        fake_loss += det_softplus(l);  // -log(1 - sigmoid(l))
        fake_prob += p;
        grad[i] = (float)(0.5 * p / m);
    }
    r->d_loss = 0.5 * (real_loss + fake_loss) / m;
    r->d_real = real_prob / m;
    r->d_fake = fake_prob / m;
    r->d_accuracy = (double)right / (2.0 * m);
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

/* ---- the passes of Algorithm 1 ----------------------------------------- */

/* D's forward pass on real [batch_size, data_dim] and G's output on fresh
 * noise, after the real rows: one D pass of 2m rows. Returns the logits. */
static const float *discriminator_forward(gan *model, const float *real)
{
    const gan_config *c = &model->config;
    network *G = &model->generator, *D = &model->discriminator;
    const int m = c->batch_size;
    const size_t rows = (size_t)m * (size_t)c->data_dim;
    sample_prior(c, &model->rng, model->noise, (size_t)m * c->noise_dim);
    const float *fake = network_forward(G, model->noise, m, &model->rng);
    if (real != model->d_input) memcpy(model->d_input, real, rows * sizeof(float));
    memcpy(model->d_input + rows, fake, rows * sizeof(float));
    return network_forward(D, model->d_input, 2 * m, &model->rng);
}

/* D's loss and gradient from that pass; shared (the simultaneous order) also
 * back-propagates G's loss from the same pass, through D's pre-update
 * weights, into G's gradient. */
static void discriminator_backward(gan *model, const float *logits, int shared, step_values *r)
{
    const gan_config *c = &model->config;
    network *G = &model->generator, *D = &model->discriminator;
    const int m = c->batch_size;
    discriminator_loss(logits, m, model->config.real_target, model->d_logit_grad, r);
    network_backward(D, model->d_logit_grad, 0, 2 * m, 1, 0);
    r->d_grad_norm = gradient_norm(D);
    if (shared) {
        generator_loss(logits + m, m, c->generator_loss, model->g_logit_grad, r);
        const float *dfake = network_backward(D, model->g_logit_grad, m, m, 0, 1);
        network_backward(G, dfake, 0, m, 1, 0);
        r->g_grad_norm = gradient_norm(G);
    }
}

/* G's forward pass on fresh noise, through the current D with dropout still
 * on, G's loss, and its gradient back through D to G's output. Returns that
 * gradient [batch_size, data_dim] (in D's scratch, valid until D's next
 * backward pass). */
static const float *generator_forward(gan *model, step_values *r)
{
    const gan_config *c = &model->config;
    network *G = &model->generator, *D = &model->discriminator;
    const int m = c->batch_size;
    sample_prior(c, &model->rng, model->noise, (size_t)m * c->noise_dim);
    const float *fake = network_forward(G, model->noise, m, &model->rng);
    const float *logits = network_forward(D, fake, m, &model->rng);
    generator_loss(logits, m, c->generator_loss, model->g_logit_grad, r);
    return network_backward(D, model->g_logit_grad, 0, m, 0, 1);
}

/* The rest of G's backward pass: G's gradient and its norm. */
static void generator_backward(gan *model, const float *dfake, step_values *r)
{
    network_backward(&model->generator, dfake, 0, model->config.batch_size, 1, 0);
    r->g_grad_norm = gradient_norm(&model->generator);
}

void train_discriminator_pass(gan *model, const float *real, int shared, step_values *r)
{
    discriminator_backward(model, discriminator_forward(model, real), shared, r);
}

void train_generator_pass(gan *model, step_values *r)
{
    generator_backward(model, generator_forward(model, r), r);
}

/* ---- the adaptive k (the rule is in gan.h) ------------------------------- */

int train_max_d_steps(const gan_config *config)
{
    return config->adaptive_k ? config->d_steps_max : config->d_steps;
}

double adaptive_k_start(const gan_config *config)
{
    return 0.5 * ((double)config->d_accuracy_low + (double)config->d_accuracy_high);
}

void adaptive_k_update(const gan_config *config, double accuracy, int32_t *k, double *average)
{
    *average = 0.9 * *average + 0.1 * accuracy;
    if (!config->adaptive_k) return;
    if (*average < (double)config->d_accuracy_low && *k < config->d_steps_max) ++*k;
    else if (*average > (double)config->d_accuracy_high && *k > 1) --*k;
}

/* ---- Algorithm 1, one phase at a time ----------------------------------- */

/* An iteration is a fixed sequence of phases of similar cost, so that
 * gan_train_part can stop between them. D-update j (of k, the iteration's
 * own, fixed as it begins) is phases 2j (forward) and 2j + 1 (backward and
 * update); in the alternating order the G-update follows as phases 2k
 * (forward, and back through D) and 2k + 1 (G's backward and update).
 * Running the phases back to back is exactly gan_train_step: the same
 * operations in the same order. */
static int phase_count(const gan *model)
{
    return 2 * model->progress.d_steps +
           (model->config.update_order == GAN_UPDATE_ALTERNATING ? 2 : 0);
}

static uint64_t examples_per_epoch(const gan *model)
{
    return model->config.examples_per_epoch > 0 ? (uint64_t)model->config.examples_per_epoch
                                                : model->data_count;
}

/* pylearn2's global_contrast_normalize(X, scale) on one example of `dim`
 * values (its defaults: subtract_mean, the vector norm rather than the
 * standard deviation, no sqrt_bias, min_divisor 1e-8): the mean is
 * subtracted, then the values are divided by ||x - mean|| / scale, or by 1
 * when that is below 1e-8. In double, in the values' order: the same bits
 * in every build. */
void example_contrast_normalize(float *values, size_t dim, double scale)
{
    double sum = 0.0;
    for (size_t j = 0; j < dim; j++) sum += values[j];
    const double mean = sum / (double)dim;
    double squares = 0.0;
    for (size_t j = 0; j < dim; j++) {
        const double centred = (double)values[j] - mean;
        squares += centred * centred;
    }
    double divisor = sqrt(squares) / scale;
    if (divisor < 1e-8) divisor = 1.0;
    for (size_t j = 0; j < dim; j++) values[j] = (float)(((double)values[j] - mean) / divisor);
}

/* Example `index` of the attached data as training sees it, into row
 * [data_dim]: u8 pixels as value/255 (or the floats as attached), then
 * contrast-normalised when gcn_scale is set. */
void example_values(const gan *model, size_t index, float *row)
{
    size_t dim = (size_t)model->config.data_dim;
    if (model->data_u8) {
        const uint8_t *pixels = model->data_u8 + index * dim;
        for (size_t j = 0; j < dim; j++) row[j] = (float)pixels[j] / 255.0f;
    } else {
        memcpy(row, model->data_f32 + index * dim, dim * sizeof(float));
    }
    if (model->config.gcn_scale > 0.0f) example_contrast_normalize(row, dim, model->config.gcn_scale);
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
        example_values(model, model->permutation[model->data_position++], out + r * dim);
    }
}

/* Begins an iteration on `real` (k batches), or on the next batches of the
 * attached data when real is NULL. */
static gan_status iteration_begin(gan *model, const float *real)
{
    gan_status status = rollback_begin(model); /* before the batches are drawn */
    if (status != GAN_OK) return status;
    train_progress *t = &model->progress;
    t->d_steps = model->d_steps_now;
    if (!real) {
        next_batch(model, model->real_batch, (size_t)t->d_steps * model->config.batch_size);
        real = model->real_batch;
    }
    t->active = 1;
    t->next = 0;
    t->real = real;
    uint64_t per_epoch = examples_per_epoch(model);
    uint64_t epochs = per_epoch ? model->examples / per_epoch : 0;
    t->g_momentum = momentum_at(&model->config.generator_optimizer, epochs);
    t->d_momentum = momentum_at(&model->config.discriminator_optimizer, epochs);
    t->r = (step_values){NAN, NAN, NAN, NAN, NAN, NAN, NAN};
    t->logits = NULL;
    t->dfake = NULL;
    return GAN_OK;
}

/* Runs the next phase. Returns 0 if it met a non-finite value (then
 * rollback_restore undoes the iteration). */
static int iteration_phase(gan *model)
{
    const gan_config *c = &model->config;
    train_progress *t = &model->progress;
    const int p = t->next++;
    const int m = c->batch_size;
    step_values *r = &t->r;
    if (p < 2 * t->d_steps) {
        int j = p / 2;
        if (p % 2 == 0) {
            t->logits = discriminator_forward(model, t->real + (size_t)j * m * c->data_dim);
            return 1;
        }
        // the last D-update of a simultaneous step shares its forward pass
        // with G's, and is the step's last phase
        int shared = c->update_order == GAN_UPDATE_SIMULTANEOUS && j == t->d_steps - 1;
        discriminator_backward(model, t->logits, shared, r);
        return shared ? rollback_update_last(model, 1) : rollback_update_discriminator(model);
    }
    if (p == 2 * t->d_steps) {
        t->dfake = generator_forward(model, r);
        return 1;
    }
    generator_backward(model, t->dfake, r);
    return rollback_update_last(model, 0);
}

static void fill_stats(const gan *model, const step_values *r, int d_steps, int rolled_back,
                       gan_step_stats *stats)
{
    if (!stats) return;
    uint64_t per_epoch = examples_per_epoch(model);
    const gan_config *c = &model->config;
    gan_position(model, &stats->step, &stats->epoch);
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
    stats->d_steps = d_steps;
    stats->d_accuracy = r->d_accuracy;
}

/* Ends the iteration: counts it, or (ok == 0) rolls everything back to
 * where it began, the data position included. */
static gan_status iteration_end(gan *model, int ok, gan_step_stats *stats)
{
    train_progress *t = &model->progress;
    t->active = 0;
    if (!ok) {
        rollback_restore(model);
        model->non_finite_total++;
        fill_stats(model, &t->r, t->d_steps, 1, stats);
        return GAN_ERR_NON_FINITE;
    }
    model->steps++;
    model->examples += (uint64_t)t->d_steps * (uint64_t)model->config.batch_size;
    adaptive_k_update(&model->config, t->r.d_accuracy, &model->d_steps_now,
                      &model->d_accuracy_average);
    fill_stats(model, &t->r, t->d_steps, 0, stats);
    return GAN_OK;
}

gan_status gan_train_step(gan *model, const float *real, gan_step_stats *stats)
{
    if (!model || !real) return GAN_ERR_INVALID_ARGUMENT;
    if (model->progress.active) return GAN_ERR_BUSY;
    gan_status status = iteration_begin(model, real);
    return status == GAN_OK ? gan_train_finish(model, stats) : status;
}

gan_status gan_train_part(gan *model, gan_step_stats *stats, int *done)
{
    if (done) *done = 0;
    if (!model) return GAN_ERR_INVALID_ARGUMENT;
    if (!model->data_count) return GAN_ERR_NO_DATA;
    if (!model->progress.active) {
        gan_status status = iteration_begin(model, NULL);
        if (status != GAN_OK) return status;
    }
    int ok = iteration_phase(model);
    if (ok && model->progress.next < phase_count(model)) return GAN_OK;
    if (done) *done = 1;
    return iteration_end(model, ok, stats);
}

gan_status gan_train_finish(gan *model, gan_step_stats *stats)
{
    if (!model) return GAN_ERR_INVALID_ARGUMENT;
    if (!model->progress.active) return GAN_OK;
    int ok = 1, phases = phase_count(model);
    while (ok && model->progress.next < phases) ok = iteration_phase(model);
    return iteration_end(model, ok, stats);
}

int gan_train_in_progress(const gan *model)
{
    return model && model->progress.active;
}

gan_status gan_train(gan *model, uint32_t steps, gan_step_stats *stats)
{
    if (!model) return GAN_ERR_INVALID_ARGUMENT;
    if (!model->data_count) return GAN_ERR_NO_DATA;
    for (uint32_t s = 0; s < steps; s++) {
        // an iteration gan_train_part began is finished as the first
        gan_status status = model->progress.active ? GAN_OK : iteration_begin(model, NULL);
        if (status == GAN_OK) status = gan_train_finish(model, stats);
        if (status != GAN_OK) return status;
    }
    return GAN_OK;
}

gan_status gan_position(const gan *model, double *step, double *epoch)
{
    if (!model) return GAN_ERR_INVALID_ARGUMENT;
    uint64_t per_epoch = examples_per_epoch(model);
    if (step) *step = (double)model->steps;
    if (epoch) *epoch = per_epoch ? (double)model->examples / (double)per_epoch : 0.0;
    return GAN_OK;
}
