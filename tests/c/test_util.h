/*
 * test_util.h - the little the core's C tests share: a CHECK that reports
 * and counts instead of stopping, and the end-of-test summary.
 *
 *     CHECK(status == GAN_OK, "create: %s", gan_status_string(status));
 *     ...
 *     return test_summary("test_config");
 */
#ifndef GAN_TEST_UTIL_H
#define GAN_TEST_UTIL_H

#include <stdio.h>

static int test_failures;

#define CHECK(cond, ...)                                                    \
    do {                                                                    \
        if (!(cond)) {                                                      \
            if (test_failures++ < 30) {                                     \
                fprintf(stderr, "%s:%d: FAILED %s: ", __FILE__, __LINE__, #cond); \
                fprintf(stderr, __VA_ARGS__);                               \
                fputc('\n', stderr);                                        \
            }                                                               \
        }                                                                   \
    } while (0)

static inline int test_summary(const char *name)
{
    if (test_failures) fprintf(stderr, "%s: %d check(s) failed\n", name, test_failures);
    else printf("%s: all checks passed\n", name);
    return test_failures ? 1 : 0;
}

#endif /* GAN_TEST_UTIL_H */
