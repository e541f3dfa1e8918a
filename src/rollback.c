/*
 * rollback.c - a training step either completes or leaves no trace: every
 * update of a step goes through here, and so does the undoing.
 *
 * A step (one iteration of Algorithm 1: k D-updates and one G-update) fails
 * when a loss, a gradient or a new parameter or optimizer value is Inf or
 * NaN. It then returns GAN_ERR_NON_FINITE with the model exactly as before
 * the step, so that the caller can go on (with other data, a lower rate).
 *
 * What a step changes, and how each part comes back:
 *
 * - The small state (PRNG, step and example counters, data position, the
 *   adaptive k and its average, the optimizers' learning rates, update
 *   counts and Adam's beta powers) is
 *   copied into `rollback_state` as the step begins: a few hundred bytes.
 *
 * - The big blocks (each network's parameters and optimizer state) are never
 *   copied up front: for the paper model, copies of both networks took 30 MB.
 *   Instead, an update is only written once nothing later in the step can
 *   fail, or else the values it overwrites are saved as it writes them:
 *
 *   1. Before any update, its loss and its gradient's norm must be finite (a
 *      NaN or Inf in the gradient makes the norm non-finite).
 *   2. The step's last phase (G's update; in the simultaneous order also D's
 *      last update, which shares G's forward pass) runs each of its updates
 *      twice: a check pass computes every new value and stores nothing, then
 *      a write pass computes the same expressions and stores them (the same
 *      bits, so it cannot fail). The check pass also sums the gradient's
 *      norm, block by block as it goes (optimizer_check), so point 1's norm
 *      costs no pass of its own here. Nothing runs after that phase, so its
 *      networks need no saved copy: G never has one.
 *   3. Only D is written before the step is known to succeed: its updates
 *      before the last phase (all k in the alternating order; the first k - 1
 *      in the simultaneous order). The first of them saves D's parameters and
 *      optimizer state in the same pass that updates them (the loop reads
 *      them anyway: a few extra stores instead of a separate copy), and each
 *      checks the values it writes. So D's backup block exists only when
 *      train_needs_backup(config): alternating order, or k > 1 (or an
 *      adaptive k that may exceed 1).
 *   4. With k = 1 throughout (alternating, k not adaptive), D's one update
 *      is the last reader of D's gradient in the step: G's pass
 *      back-propagates through D without writing D's gradient. So D's old
 *      parameters go over the gradient it has just read (each gradient value
 *      is read before its place is written), and the block holds D's
 *      optimizer state only: 5 MB for the paper model (SGD), where a
 *      separate copy of D's parameters would add another 5 MB. With k > 1,
 *      or a k that may grow past 1, the next D-update recomputes D's gradient,
 *      so the parameters get their own place in the block.
 *
 * If a check fails, rollback_restore copies D back from its backup (if this
 * step saved it) and puts the small state back. The update loops themselves
 * (one per optimizer, with the check, save and write options) are in
 * optimizer.c; train.c runs the phases and calls the three functions below
 * that update.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gan_internal.h"

int train_needs_backup(const gan_config *config)
{
    return config->update_order == GAN_UPDATE_ALTERNATING || train_max_d_steps(config) > 1;
}

gan_status train_reserve_backup(gan *model, const gan_config *config)
{
    rollback_state *b = &model->rollback;
    network *D = &model->discriminator;
    if (!train_needs_backup(config) || b->block) return GAN_OK;
    size_t n = D->param_count ? D->param_count : 1;
    if (n > SIZE_MAX / sizeof(float) / 3) return GAN_ERR_OUT_OF_MEMORY;
    int params_over_gradient = train_max_d_steps(config) == 1; /* point 4 */
    int slots = model->discriminator_optimizer.slots;
    b->block = calloc((size_t)(slots + !params_over_gradient) * n, sizeof(float));
    if (!b->block) return GAN_ERR_OUT_OF_MEMORY;
    b->d_params = params_over_gradient ? D->grads : b->block;
    b->d_state = params_over_gradient ? b->block : b->block + n;
    return GAN_OK;
}

void rollback_free(gan *model)
{
    free(model->rollback.block);
    model->rollback.block = NULL;
}

gan_status rollback_begin(gan *model)
{
    rollback_state *b = &model->rollback;
    if (train_needs_backup(&model->config) && !b->block) return GAN_ERR_OUT_OF_MEMORY; /* not reserved */
    b->rng = model->rng;
    b->steps = model->steps;
    b->examples = model->examples;
    b->data_epoch = model->data_epoch;
    b->data_position = model->data_position;
    b->d_steps_now = model->d_steps_now;
    b->d_accuracy_average = model->d_accuracy_average;
    b->generator_optimizer = model->generator_optimizer;
    b->discriminator_optimizer = model->discriminator_optimizer;
    b->d_saved = 0;
    return GAN_OK;
}

static int is_finite(double x)
{
    return x - x == 0.0;
}

int rollback_update_discriminator(gan *model)
{
    rollback_state *b = &model->rollback;
    const train_progress *t = &model->progress;
    if (!is_finite(t->r.d_loss) || !is_finite(t->r.d_grad_norm)) return 0;
    float *save_params = b->d_saved ? NULL : b->d_params;
    b->d_saved = 1;
    return optimizer_update(&model->discriminator_optimizer, &model->config.discriminator_optimizer,
                            &model->discriminator, t->d_momentum, save_params, b->d_state);
}

int rollback_update_last(gan *model, int with_discriminator)
{
    const gan_config *c = &model->config;
    const train_progress *t = &model->progress;
    optimizer *g_opt = &model->generator_optimizer, *d_opt = &model->discriminator_optimizer;
    network *G = &model->generator, *D = &model->discriminator;
    step_values *r = &model->progress.r;
    if (with_discriminator && !is_finite(r->d_loss)) return 0;
    if (!is_finite(r->g_loss)) return 0;
    // the check passes also give the gradients' norms (train.c leaves them to us)
    int ok = 1;
    if (with_discriminator)
        ok = optimizer_check(d_opt, &c->discriminator_optimizer, D, t->d_momentum, &r->d_grad_norm) &&
             is_finite(r->d_grad_norm);
    ok = optimizer_check(g_opt, &c->generator_optimizer, G, t->g_momentum, &r->g_grad_norm) &&
         is_finite(r->g_grad_norm) && ok;
    if (!ok) return 0;
    // checked: the write passes give the same bits and cannot fail
    if (with_discriminator)
        optimizer_update(d_opt, &c->discriminator_optimizer, D, t->d_momentum, NULL, NULL);
    optimizer_update(g_opt, &c->generator_optimizer, G, t->g_momentum, NULL, NULL);
    average_update(model, g_opt->updates);
    generator_changed(model);
    return 1;
}

void rollback_restore(gan *model)
{
    rollback_state *b = &model->rollback;
    optimizer *d_opt = &model->discriminator_optimizer;
    if (b->d_saved) {
        size_t n = model->discriminator.param_count;
        memcpy(model->discriminator.params, b->d_params, n * sizeof(float));
        memcpy(d_opt->state, b->d_state, (size_t)d_opt->slots * n * sizeof(float));
        b->d_saved = 0;
    }
    // the scalars; the pointers (state, velocity, m, v) are the same in the copies
    model->generator_optimizer = b->generator_optimizer;
    *d_opt = b->discriminator_optimizer;
    model->rng = b->rng;
    model->steps = b->steps;
    model->examples = b->examples;
    model->d_steps_now = b->d_steps_now;
    model->d_accuracy_average = b->d_accuracy_average;
    if (model->data_epoch != b->data_epoch) {
        model->data_epoch = b->data_epoch;
        data_shuffle(model);
    }
    model->data_position = b->data_position;
}
