/*
 * checkpoint.c - the complete training state in the safetensors layout.
 * TODO: implemented on top of safetensors.c once it lands; until then every
 * call reports GAN_ERR_INVALID_ARGUMENT.
 */
#include "gan_internal.h"

gan_status gan_checkpoint_size(const gan *model, size_t *size)
{
    (void)model;
    (void)size;
    return GAN_ERR_INVALID_ARGUMENT; /* TODO */
}

gan_status gan_checkpoint_save(const gan *model, uint8_t *buf, size_t capacity, size_t *size)
{
    (void)model;
    (void)buf;
    (void)capacity;
    (void)size;
    return GAN_ERR_INVALID_ARGUMENT; /* TODO */
}

gan_status gan_checkpoint_load(gan *model, const uint8_t *buf, size_t size)
{
    (void)model;
    (void)buf;
    (void)size;
    return GAN_ERR_INVALID_ARGUMENT; /* TODO */
}

gan_status gan_create_from_checkpoint(const uint8_t *buf, size_t size, gan **out)
{
    (void)buf;
    (void)size;
    (void)out;
    return GAN_ERR_INVALID_ARGUMENT; /* TODO */
}
