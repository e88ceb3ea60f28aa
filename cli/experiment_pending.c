/* Weak stand-ins for functions of faultline experiment's other modules (judge.c, expfile.c,
 * stats.c, report/) while they are written apart: the real definitions replace these when they
 * are linked. To be removed once every module is in. */
#include <stdio.h>

#include "experiment.h"
#include "report/report.h"
#include "stats.h"

/* "control", "experiment" or "control-b". */
__attribute__((weak)) const char *fl_exp_group_name(enum fl_exp_group g)
{
    return g == FL_GROUP_CONTROL ? "control" : g == FL_GROUP_EXPERIMENT ? "experiment" : "control-b";
}
