/* A weak stand-in for the live shape (cli/live.c, fl_exp_live_run) while it is written apart:
 * the real definition replaces this one when it is linked. To be removed once live.c is in. */
#include <stdio.h>

#include "experiment.h"

/* Refuse the live shape: abort the experiment saying it is not available in this build. */
__attribute__((weak)) int fl_exp_live_run(const struct fl_exp_spec *spec,
                                          struct fl_exp_result *result,
                                          void (*progress)(const struct fl_exp_result *, void *),
                                          void *arg)
{
    (void)spec;
    (void)progress;
    (void)arg;
    result->aborted = true;
    snprintf(result->abort_reason, sizeof result->abort_reason,
             "live experiments are not available in this build of faultline");
    return -1;
}
