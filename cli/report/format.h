/* What the report writers share: a value in its metric's unit ("12.3 ms", "45.1 MiB",
 * "97.5%"), a difference with its interval, the experiment's overall word, text made valid
 * UTF-8, and counts of runs per group. Formatting only: nothing here computes a statistic. */
#ifndef FL_CLI_REPORT_FORMAT_H
#define FL_CLI_REPORT_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "experiment.h"

/* The longest text the fl_fmt_* functions below write, NUL included. */
#define FL_FMT_MAX 96

/* The value v (in the base unit `unit`: "s", "B", "%" for a fraction 0..1, "" for a plain
 * number) as a person reads it, into buf: "12.3 ms", "45.1 MiB", "97.5%", "3". NaN is "-"
 * and infinities "inf" / "-inf". */
void fl_fmt_value(char *buf, size_t size, const char *unit, double v);

/* An estimate with its 95% interval in one scale: "+3.2 ms [+1.1, +5.0]". sign: a difference
 * (shown with its sign; a rate's difference in percentage points, "pp"); otherwise a value
 * ("245 ms [230, 260]"). A NaN estimate is "-"; NaN bounds leave the interval out. */
void fl_fmt_estimate(char *buf, size_t size, const char *unit, double est, double lo, double hi,
                     bool sign);

/* The limits [lo, hi] of a check as a condition: "<= 12 ms", ">= 95.0%", "12 ms .. 20 ms",
 * "-" when both are NaN. sign: limits on a difference from the control, written as
 * fl_fmt_estimate writes a difference (">= -5.0 pp", "<= +20.0 ms"). */
void fl_fmt_limits(char *buf, size_t size, const char *unit, double lo, double hi, bool sign);

/* True when the check's limits are relative to the control, so that the judge's diff is
 * experiment - control; otherwise it is the experiment's own value. */
bool fl_check_is_relative(const struct fl_exp_check *check);

/* The experiment's verdict in one word: "aborted" when it was aborted or could not run (an
 * abort reason is set), else "deviated" when any check deviated, else "inconclusive" when
 * any was, else "held". */
const char *fl_report_verdict(const struct fl_exp_result *r);

/* How many checks have verdict v. */
size_t fl_report_count_verdicts(const struct fl_exp_result *r, enum fl_verdict v);

/* How many runs of group g the result holds. */
size_t fl_report_count_runs(const struct fl_exp_result *r, enum fl_exp_group g);

/* The experiment's name: the spec's, or "experiment" when the result has no spec. */
const char *fl_report_name(const struct fl_exp_result *r);

/* Write s as XML or HTML text: & < > " ' as entities, invalid UTF-8 replaced, control
 * characters dropped but newline and tab, which become spaces when flat (inside an attribute). */
void fl_put_markup(FILE *f, const char *s, bool flat);

/* A verdict's values as the writers show them, each in its metric's unit. */
struct fl_fmt_verdict {
    char control[FL_FMT_MAX], experiment[FL_FMT_MAX];
    char diff[FL_FMT_MAX];      /* with its 95% interval (fl_fmt_estimate) */
    char limits[FL_FMT_MAX];    /* fl_fmt_limits */
};
void fl_fmt_verdict(struct fl_fmt_verdict *out, const struct fl_exp_verdict *v);

/* A malloc'd, NUL-terminated copy of the len bytes at s that is valid UTF-8: each byte that
 * does not begin a valid sequence becomes U+FFFD, and a NUL byte is dropped. NULL when memory
 * ran out. */
char *fl_utf8_clean(const char *s, size_t len);

#endif
