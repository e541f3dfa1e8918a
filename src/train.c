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

/* The cross-entropy -log softmax(logits)[label] over `classes` logits, in
 * double; grad[k] = scale (softmax_k - [k = label]). */
static double class_cross_entropy(const float *logits, int classes, int label, double scale,
                                  float *grad)
{
    double top = logits[0];
    for (int k = 1; k < classes; k++)
        if (logits[k] > top) top = logits[k];
    double sum = 0.0;
    for (int k = 0; k < classes; k++) sum += det_exp((double)logits[k] - top);
    const double log_sum = top + det_log(sum);
    for (int k = 0; k < classes; k++)
        grad[k] = (float)(scale * (det_exp((double)logits[k] - log_sum) - (k == label ? 1.0 : 0.0)));
    return log_sum - (double)logits[label];
}

/* D's loss 0.5 [BCE(t, D(x)) + BCE(0, D(G(z)))] from logits [2m, w] (real
 * rows, then fake rows; w = model->logit_width), and its gradient w.r.t.
 * each logit into grad [2m, w]. The real target t is 1 in the paper; below 1
 * it is one-sided label smoothing. With t = 1 the (1 - t) term adds an exact
 * 0, so the paper's bits stay. An AUXILIARY D's class logits (columns 1 to
 * w - 1) add 0.5 [CE(y, x) + w_D CE(y, G(z))], labels in `labels` [2m], w_D
 * the configuration's d_fake_class_loss_weight. */
static void discriminator_loss(const gan *model, const float *logits, const uint8_t *real_labels,
                               float *grad, step_values *r)
{
    const int m = model->config.batch_size, w = model->logit_width, classes = w - 1;
    const double real_target = model->config.real_target;
    double real_loss = 0.0, fake_loss = 0.0, real_prob = 0.0, fake_prob = 0.0, class_loss = 0.0;
    int right = 0; /* rows D classifies right: real logit > 0, fake logit < 0 */
    for (int i = 0; i < m; i++) {
        double l = logits[(size_t)i * w], p = det_sigmoid(l);
        right += l > 0.0;
        // -t log sigmoid(l) - (1 - t) log(1 - sigmoid(l))
        real_loss += real_target * det_softplus(-l) + (1.0 - real_target) * det_softplus(l);
        real_prob += p;
        grad[(size_t)i * w] = (float)(0.5 * (p - real_target) / m);
    }
    for (int i = m; i < 2 * m; i++) {
        double l = logits[(size_t)i * w], p = det_sigmoid(l);
        right += l < 0.0;
        fake_loss += det_softplus(l);  // -log(1 - sigmoid(l))
        fake_prob += p;
        grad[(size_t)i * w] = (float)(0.5 * p / m);
    }
    const double fake_weight = model->config.d_fake_class_loss_weight;
    for (int i = 0; classes > 0 && i < 2 * m; i++) {
        const int label = i < m ? real_labels[i] : model->fake_labels[i - m];
        const double weight = i < m ? 1.0 : fake_weight;
        class_loss += weight * class_cross_entropy(logits + (size_t)i * w + 1, classes, label,
                                                   0.5 * weight / m, grad + (size_t)i * w + 1);
    }
    r->d_loss = 0.5 * (real_loss + fake_loss) / m + 0.5 * class_loss / m;
    r->d_real = real_prob / m;
    r->d_fake = fake_prob / m;
    r->d_accuracy = (double)right / (2.0 * m);
}

/* G's loss from D's logits on the fake batch [m, w], gradient into grad
 * [m, w]; with an AUXILIARY D, plus w_G CE(y, G(z)), w_G the configuration's
 * g_class_loss_weight. Feature matching has no
 * term here (its logit gradients are 0, its loss comes later). */
static void generator_loss(const gan *model, const float *logits, float *grad, step_values *r)
{
    const int m = model->config.batch_size, w = model->logit_width, classes = w - 1;
    const gan_generator_loss kind = model->config.generator_loss;
    const double class_weight = model->config.g_class_loss_weight;
    double loss = 0.0;
    for (int i = 0; i < m; i++) {
        double l = logits[(size_t)i * w], p = det_sigmoid(l);
        if (kind == GAN_LOSS_MINIMAX) {
            loss -= det_softplus(l);   // log(1 - D(G(z)))
            grad[(size_t)i * w] = (float)(-p / m);
        } else if (kind == GAN_LOSS_NON_SATURATING) {
            loss += det_softplus(-l);  // -log D(G(z))
            grad[(size_t)i * w] = (float)((p - 1.0) / m);
        } else {
            grad[(size_t)i * w] = 0.0f;
        }
        if (classes > 0)
            loss += class_weight * class_cross_entropy(logits + (size_t)i * w + 1, classes,
                                                       model->fake_labels[i], class_weight / m,
                                                       grad + (size_t)i * w + 1);
    }
    r->g_loss = loss / m;
}

/* The layer whose output feature matching compares: the last below D's
 * last layer that is not dropout (so the features of the real and the fake
 * rows are not compared through different random masks), or -1 for D's
 * input. */
static int feature_layer(const network *D)
{
    int i = D->layer_count - 2;
    while (i >= 0 && D->layers[i].kind == GAN_LAYER_DROPOUT) i--;
    return i;
}

/* Feature matching (Salimans et al., 2016): from D's pass over rows real
 * [real_row, real_row + m) and fake [fake_row, fake_row + m), with f the
 * output of feature_layer (F values a row), G's loss
 * sum_j (mean_real f_j - mean_fake f_j)^2 / F, added to r->g_loss; its
 * gradient w.r.t. the fake rows' f into model->feature_grad [m, F]. */
static const float *feature_matching(gan *model, int layer, int real_row, int fake_row,
                                     step_values *r)
{
    network *D = &model->discriminator;
    const int m = model->config.batch_size;
    const int F = layer >= 0 ? D->layers[layer].out_dim : D->input_dim;
    const float *f = layer >= 0 ? D->layers[layer].out : D->input;
    float *grad = model->feature_grad;
    double loss = 0.0;
    for (int j = 0; j < F; j++) {
        double real = 0.0, fake = 0.0;
        for (int i = 0; i < m; i++) {
            real += f[(size_t)(real_row + i) * F + j];
            fake += f[(size_t)(fake_row + i) * F + j];
        }
        const double diff = (real - fake) / m;
        loss += diff * diff;
        const float g = (float)(-2.0 * diff / ((double)F * m));
        for (int i = 0; i < m; i++) grad[(size_t)i * F + j] = g;
    }
    r->g_loss += loss / F;
    return grad;
}

/* Back through D from the fake rows [fake_row, fake_row + m) to G's output:
 * from the logits' gradient; for feature matching from dL/df at
 * feature_layer, plus (AUXILIARY) the class term's own pass from the logits,
 * the two summed in that order. */
static const float *generator_gradient_through_d(gan *model, const float *logit_grad, int real_row,
                                                 int fake_row, step_values *r)
{
    network *D = &model->discriminator;
    const int m = model->config.batch_size;
    if (model->config.generator_loss != GAN_LOSS_FEATURE_MATCHING)
        return network_backward(D, logit_grad, fake_row, m, 0, 1);
    const int layer = feature_layer(D);
    const size_t n = (size_t)m * (size_t)model->config.data_dim;
    float *classes = NULL;
    if (model->logit_width > 1) { /* kept while the features' pass reuses D's scratch */
        classes = model->feature_scratch;
        memcpy(classes, network_backward(D, logit_grad, fake_row, m, 0, 1), n * sizeof(float));
    }
    const float *df = feature_matching(model, layer, real_row, fake_row, r);
    const float *dx = network_backward_from(D, layer, df, fake_row, m, 0, 1);
    if (!classes) return dx;
    float *sum = (float *)dx; /* D's scratch: ours until D's next backward pass */
    for (size_t i = 0; i < n; i++) sum[i] += classes[i];
    return sum;
}

/* Draws the fake rows' classes and their one-hot rows (the second half of
 * model->condition, which is G's), from the training PRNG after the noise.
 * An unconditional model draws nothing. */
static void draw_fake_classes(gan *model)
{
    const int m = model->config.batch_size, k = model->config.classes;
    if (model->config.conditional == GAN_CONDITIONAL_NONE) return;
    float *rows = model->condition + (size_t)m * k;
    memset(rows, 0, (size_t)m * k * sizeof(float));
    for (int i = 0; i < m; i++) {
        model->fake_labels[i] = (uint8_t)prng_below(&model->rng, (uint32_t)k);
        rows[(size_t)i * k + model->fake_labels[i]] = 1.0f;
    }
    model->generator.condition = rows;
}

/* The real rows' one-hot classes (the first half of model->condition). */
static void set_real_classes(gan *model, const uint8_t *labels)
{
    const int m = model->config.batch_size, k = model->config.classes;
    if (!labels) return;
    memset(model->condition, 0, (size_t)m * k * sizeof(float));
    for (int i = 0; i < m; i++) model->condition[(size_t)i * k + labels[i]] = 1.0f;
}

/* ---- the passes of Algorithm 1 ----------------------------------------- */

/* D's forward pass on real [batch_size, data_dim] (of classes real_labels,
 * NULL for an unconditional model) and G's output on fresh noise, after the
 * real rows: one D pass of 2m rows. Returns the logits. */
static const float *discriminator_forward(gan *model, const float *real, const uint8_t *real_labels)
{
    const gan_config *c = &model->config;
    network *G = &model->generator, *D = &model->discriminator;
    const int m = c->batch_size;
    const size_t rows = (size_t)m * (size_t)c->data_dim;
    sample_prior(c, &model->rng, model->noise, (size_t)m * c->noise_dim);
    draw_fake_classes(model);
    const float *fake = network_forward(G, model->noise, m, &model->rng);
    if (real != model->d_input) memcpy(model->d_input, real, rows * sizeof(float));
    memcpy(model->d_input + rows, fake, rows * sizeof(float));
    if (D->classes) {
        set_real_classes(model, real_labels);
        D->condition = model->condition;
    }
    return network_forward(D, model->d_input, 2 * m, &model->rng);
}

/* D's loss and gradient from that pass; shared (the simultaneous order) also
 * back-propagates G's loss from the same pass, through D's pre-update
 * weights, into G's gradient. The gradients' norms come with the step's last
 * update (rollback_update_last): here only D's for an update before it. */
static void discriminator_backward(gan *model, const float *logits, const uint8_t *real_labels,
                                   int shared, step_values *r)
{
    network *G = &model->generator, *D = &model->discriminator;
    const int m = model->config.batch_size;
    discriminator_loss(model, logits, real_labels, model->d_logit_grad, r);
    network_backward(D, model->d_logit_grad, 0, 2 * m, 1, 0);
    if (!shared) {
        r->d_grad_norm = gradient_norm(D);
        return;
    }
    generator_loss(model, logits + (size_t)m * model->logit_width, model->g_logit_grad, r);
    const float *dfake = generator_gradient_through_d(model, model->g_logit_grad, 0, m, r);
    network_backward(G, dfake, 0, m, 1, 0);
}

/* G's forward pass on fresh noise, through the current D with dropout still
 * on, G's loss, and its gradient back through D to G's output. Returns that
 * gradient [batch_size, data_dim] (in D's scratch, valid until D's next
 * backward pass). Feature matching passes the last D-update's real rows
 * (still in D's input) through D beside the fake ones. */
static const float *generator_forward(gan *model, step_values *r)
{
    const gan_config *c = &model->config;
    network *G = &model->generator, *D = &model->discriminator;
    const int m = c->batch_size;
    sample_prior(c, &model->rng, model->noise, (size_t)m * c->noise_dim);
    draw_fake_classes(model);
    const float *fake = network_forward(G, model->noise, m, &model->rng);
    if (c->generator_loss == GAN_LOSS_FEATURE_MATCHING) {
        const size_t rows = (size_t)m * (size_t)c->data_dim;
        memcpy(model->d_input + rows, fake, rows * sizeof(float));
        D->condition = model->condition; /* real rows' classes from the last D pass */
        const float *logits = network_forward(D, model->d_input, 2 * m, &model->rng);
        generator_loss(model, logits + (size_t)m * model->logit_width, model->g_logit_grad, r);
        return generator_gradient_through_d(model, model->g_logit_grad, 0, m, r);
    }
    D->condition = G->condition;
    const float *logits = network_forward(D, fake, m, &model->rng);
    generator_loss(model, logits, model->g_logit_grad, r);
    return generator_gradient_through_d(model, model->g_logit_grad, 0, 0, r);
}

/* The rest of G's backward pass: G's gradient (its norm comes with the
 * update, rollback_update_last). */
static void generator_backward(gan *model, const float *dfake)
{
    network_backward(&model->generator, dfake, 0, model->config.batch_size, 1, 0);
}

void train_discriminator_pass(gan *model, const float *real, const uint8_t *labels, int shared,
                              step_values *r)
{
    discriminator_backward(model, discriminator_forward(model, real, labels), labels, shared, r);
}

void train_generator_pass(gan *model, step_values *r)
{
    generator_backward(model, generator_forward(model, r));
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
        const uint32_t index = model->permutation[model->data_position++];
        example_values(model, index, out + r * dim);
        if (model->batch_labels && model->labels) model->batch_labels[r] = model->labels[index];
    }
}

/* Begins an iteration on `real` (k batches, of classes `labels` for a
 * conditional model), or on the next batches of the attached data when real
 * is NULL. */
static gan_status iteration_begin(gan *model, const float *real, const uint8_t *labels)
{
    const int conditional = model->config.conditional != GAN_CONDITIONAL_NONE;
    if (conditional && (real ? !labels : !model->labels)) return GAN_ERR_NO_LABELS;
    if (!conditional && labels) return GAN_ERR_INVALID_ARGUMENT;
    if (labels) {
        const size_t n = (size_t)model->d_steps_now * model->config.batch_size;
        for (size_t i = 0; i < n; i++)
            if (labels[i] >= model->config.classes) return GAN_ERR_INVALID_ARGUMENT;
    }
    gan_status status = rollback_begin(model); /* before the batches are drawn */
    if (status != GAN_OK) return status;
    train_progress *t = &model->progress;
    t->d_steps = model->d_steps_now;
    if (!real) {
        next_batch(model, model->real_batch, (size_t)t->d_steps * model->config.batch_size);
        real = model->real_batch;
        labels = conditional ? model->batch_labels : NULL;
    }
    t->active = 1;
    t->next = 0;
    t->real = real;
    t->real_labels = labels;
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
        const uint8_t *labels = t->real_labels ? t->real_labels + (size_t)j * m : NULL;
        if (p % 2 == 0) {
            t->logits = discriminator_forward(model, t->real + (size_t)j * m * c->data_dim, labels);
            return 1;
        }
        // the last D-update of a simultaneous step shares its forward pass
        // with G's, and is the step's last phase
        int shared = c->update_order == GAN_UPDATE_SIMULTANEOUS && j == t->d_steps - 1;
        discriminator_backward(model, t->logits, labels, shared, r);
        return shared ? rollback_update_last(model, 1) : rollback_update_discriminator(model);
    }
    if (p == 2 * t->d_steps) {
        t->dfake = generator_forward(model, r);
        return 1;
    }
    generator_backward(model, t->dfake);
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
    return gan_train_step_labels(model, real, NULL, stats);
}

gan_status gan_train_step_labels(gan *model, const float *real, const uint8_t *labels,
                                 gan_step_stats *stats)
{
    if (!model || !real) return GAN_ERR_INVALID_ARGUMENT;
    if (model->progress.active) return GAN_ERR_BUSY;
    gan_status status = iteration_begin(model, real, labels);
    return status == GAN_OK ? gan_train_finish(model, stats) : status;
}

gan_status gan_train_part(gan *model, gan_step_stats *stats, int *done)
{
    if (done) *done = 0;
    if (!model) return GAN_ERR_INVALID_ARGUMENT;
    if (!model->data_count) return GAN_ERR_NO_DATA;
    if (!model->progress.active) {
        gan_status status = iteration_begin(model, NULL, NULL);
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
        gan_status status = model->progress.active ? GAN_OK : iteration_begin(model, NULL, NULL);
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
