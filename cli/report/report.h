/* The report writers of faultline experiment: one per format, each given the whole result and a
 * stream. A writer formats what the result holds and computes nothing (the runner measured it,
 * the judge decided it). Each returns 0, or -1 when the stream failed (ferror). */
#ifndef FL_CLI_REPORT_H
#define FL_CLI_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include "experiment.h"

/* The summary a person reads at the end: one line per check (metric, control, experiment,
 * difference with its CI, test, verdict), what was injected per rule and action, and the
 * verdict line. color: ANSI colours for the verdicts (a terminal that asked for them). */
int fl_write_terminal(FILE *f, const struct fl_exp_result *r, bool color);

/* The journal (--json): one JSON object with everything needed to audit and replay: the
 * experiment file's path and SHA-256, the seeds, every run's measurements, samples and fault
 * counts, every verdict. Its layout is documented in faultline-experiment(5). */
int fl_write_json(FILE *f, const struct fl_exp_result *r);

/* JUnit XML (--junit): one testsuite, one testcase per check; deviated is a <failure>,
 * inconclusive a <skipped>, an aborted experiment an <error> in every testcase. */
int fl_write_junit(FILE *f, const struct fl_exp_result *r);

/* A short Markdown summary for a pull request (--markdown): the verdict, a table of checks,
 * the faults injected. */
int fl_write_markdown(FILE *f, const struct fl_exp_result *r);

/* One self-contained HTML page (--html), no network needed to view it: the checks, each
 * latency metric's distribution for control and experiment, and a timeline of faults per rule
 * with the run boundaries, drawn as inline SVG. */
int fl_write_html(FILE *f, const struct fl_exp_result *r);

#endif
