/* JUnit XML (--junit): one testsuite, one testcase per check, for a CI server to show. */
#include "report.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "format.h"

/* What the judge found, in words, for a failure's or a skip's body. */
static void details(FILE *f, const struct fl_exp_verdict *v)
{
    struct fl_fmt_verdict shown;
    fl_fmt_verdict(&shown, v);
    char text[1024];
    snprintf(text, sizeof text,
             "control %s, experiment %s, difference %s (95%% CI), limits %s, n %u+%u, test: %s",
             shown.control, shown.experiment, shown.diff, shown.limits, v->n_control, v->n_experiment,
             v->test ? v->test : "-");
    fl_put_markup(f, text, false);
    if (!isnan(v->p_value))
        fprintf(f, ", p = %.3g", v->p_value);
    if (v->needed)
        fprintf(f, ", about %u runs per group would likely tell", v->needed);
    if (v->aa_noisy)
        fputs(", the two control groups differed on this check (A/A)", f);
}

static void testcase(FILE *f, const struct fl_exp_result *r, const char *name,
                     const struct fl_exp_verdict *v)
{
    fputs("    <testcase classname=\"faultline.experiment.", f);
    fl_put_markup(f, fl_report_name(r), true);
    fputs("\" name=\"", f);
    fl_put_markup(f, name, true);
    /* The checks are judged on the same runs: the time is the suite's, not the testcase's. */
    fputs("\" time=\"0\">\n", f);
    if (r->aborted || r->abort_reason[0]) {
        fputs("      <error message=\"", f);
        fl_put_markup(f, r->abort_reason[0] ? r->abort_reason : "aborted", true);
        fputs("\"/>\n", f);
    } else if (v && v->verdict == FL_VERDICT_DEVIATED) {
        fputs("      <failure message=\"", f);
        fl_put_markup(f, v->reason, true);
        fputs("\">", f);
        details(f, v);
        fputs("</failure>\n", f);
    } else if (v && v->verdict == FL_VERDICT_INCONCLUSIVE) {
        fputs("      <skipped message=\"", f);
        fl_put_markup(f, v->reason, true);
        fputs("\"/>\n", f);
    }
    fputs("    </testcase>\n", f);
}

int fl_write_junit(FILE *f, const struct fl_exp_result *r)
{
    bool aborted = r->aborted || r->abort_reason[0];
    /* Aborted before any check was judged: one testcase carries the error. */
    size_t tests = r->nverdicts ? r->nverdicts : aborted ? 1 : 0;
    fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n  <testsuite name=\"", f);
    fl_put_markup(f, fl_report_name(r), true);
    fprintf(f, "\" tests=\"%zu\" failures=\"%zu\" skipped=\"%zu\" errors=\"%zu\" time=\"%.3f\">\n",
            tests, aborted ? 0 : fl_report_count_verdicts(r, FL_VERDICT_DEVIATED),
            aborted ? 0 : fl_report_count_verdicts(r, FL_VERDICT_INCONCLUSIVE),
            aborted ? tests : 0, isfinite(r->duration) ? r->duration : 0.0);
    for (size_t i = 0; i < r->nverdicts; i++) {
        const struct fl_exp_check *c = r->verdicts[i].check;
        testcase(f, r, c && c->name ? c->name : "?", &r->verdicts[i]);
    }
    if (!r->nverdicts && aborted)
        testcase(f, r, "experiment", NULL);
    fputs("    <system-out>", f);
    char line[512];
    snprintf(line, sizeof line, "faults injected: %llu\n", (unsigned long long)r->faults_injected);
    fl_put_markup(f, line, false);
    for (size_t i = 0; i < r->ninjected; i++) {
        const struct fl_exp_count *c = &r->injected[i];
        snprintf(line, sizeof line, "%s %s: %llu\n", c->rule ? c->rule : "?",
                 c->action ? c->action : "?", (unsigned long long)c->n);
        fl_put_markup(f, line, false);
    }
    fputs("</system-out>\n  </testsuite>\n</testsuites>\n", f);
    return ferror(f) ? -1 : 0;
}
