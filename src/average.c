/*
 * average.c - an exponential moving average of G's parameters, the weights
 * samples are drawn from when config.generator_average is set ("The unusual
 * effectiveness of averaging in GAN training", Yazici et al., 2019): G's
 * weights wander around the game's equilibrium, and their average is closer
 * to it than any one iterate.
 *
 * After update t: average += (1 - d) (params - average), with the decay
 * d = min(generator_average, (1 + t) / (10 + t)), so that early on the
 * average follows G closely instead of remembering its random start (as
 * TensorFlow's ExponentialMovingAverage does with num_updates). It changes
 * only after a step succeeded, so a rolled-back step leaves it as it was.
 */
#include <stdlib.h>
#include <string.h>

#include "gan_internal.h"
#include "threads.h"

gan_status average_reserve(gan *model, const gan_config *config)
{
    if (config->generator_average <= 0.0f || model->average) return GAN_OK;
    const network *G = &model->generator;
    model->average = malloc((G->param_count ? G->param_count : 1) * sizeof(float));
    if (!model->average) return GAN_ERR_OUT_OF_MEMORY;
    average_reset(model);
    return GAN_OK;
}

void average_free(gan *model)
{
    free(model->average);
    model->average = NULL;
}

void average_reset(gan *model)
{
    if (model->average)
        memcpy(model->average, model->generator.params,
               model->generator.param_count * sizeof(float));
}

typedef struct {
    float *average;
    const float *params;
    float rate; /* 1 - decay */
} average_job;

static void average_range(void *ctx, size_t i0, size_t i1)
{
    const average_job *j = ctx;
    for (size_t i = i0; i < i1; i++) j->average[i] += j->rate * (j->params[i] - j->average[i]);
}

void average_update(gan *model, uint64_t updates)
{
    if (!model->average) return;
    const double warm_up = (1.0 + (double)updates) / (10.0 + (double)updates);
    const double decay = warm_up < model->config.generator_average
                             ? warm_up : (double)model->config.generator_average;
    average_job job = {model->average, model->generator.params, (float)(1.0 - decay)};
    par_for(model->generator.param_count, 16, 1 << 14, average_range, &job);
}

/* Swapping the contents keeps every layer's pointers into G's block valid. */
typedef struct {
    float *a, *b;
} swap_job;

static void swap_range(void *ctx, size_t i0, size_t i1)
{
    const swap_job *j = ctx;
    for (size_t i = i0; i < i1; i++) {
        const float t = j->a[i];
        j->a[i] = j->b[i];
        j->b[i] = t;
    }
}

void average_swap(gan *model)
{
    if (!model->average) return;
    swap_job job = {model->average, model->generator.params};
    par_for(model->generator.param_count, 16, 1 << 14, swap_range, &job);
}
