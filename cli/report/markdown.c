/* A Markdown summary (--markdown) for a pull request comment or a CI job summary. */
#include "report.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "format.h"

/* Write s as inline Markdown text (in a table cell when cell): characters Markdown or the
 * HTML it allows would read (\ ` * _ [ ] < > & |) escaped, line breaks as spaces, other
 * control characters dropped. */
static void md(FILE *f, const char *s)
{
    char *clean = fl_utf8_clean(s ? s : "", s ? strlen(s) : 0);
    for (const char *p = clean ? clean : ""; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == '<')
            fputs("&lt;", f);
        else if (c == '>')
            fputs("&gt;", f);
        else if (c == '&')
            fputs("&amp;", f);
        else if (strchr("\\`*_[]|#~!", c))
            fprintf(f, "\\%c", c);
        else if (c == '\n' || c == '\t' || c == '\r')
            fputc(' ', f);
        else if (c >= 0x20 && c != 0x7f)
            fputc(c, f);
    }
    free(clean);
}

static const char *mark_of(const char *verdict)
{
    if (strcmp(verdict, "held") == 0)
        return "held \u2705";
    if (strcmp(verdict, "deviated") == 0)
        return "deviated \u274c";
    if (strcmp(verdict, "inconclusive") == 0)
        return "inconclusive \u26a0\ufe0f";
    return "aborted \u26d4";
}

static void row(FILE *f, const struct fl_exp_verdict *v)
{
    struct fl_fmt_verdict shown;
    fl_fmt_verdict(&shown, v);
    fputs("| ", f);
    md(f, v->check && v->check->name ? v->check->name : "?");
    fprintf(f, " | %s%s | ", mark_of(fl_verdict_name(v->verdict)), v->aa_noisy ? " (A/A noisy)" : "");
    md(f, shown.control);
    fputs(" | ", f);
    md(f, shown.experiment);
    fputs(" | ", f);
    md(f, shown.diff);
    fputs(" | ", f);
    md(f, shown.limits);
    fputs(" | ", f);
    md(f, v->test ? v->test : "-");
    fputs(" | ", f);
    md(f, v->reason);
    fputs(" |\n", f);
}

int fl_write_markdown(FILE *f, const struct fl_exp_result *r)
{
    fputs("### faultline experiment: ", f);
    md(f, fl_report_name(r));
    fprintf(f, " \u2014 %s\n\n", mark_of(fl_report_verdict(r)));
    if (r->aborted || r->abort_reason[0]) {
        fputs("**Aborted:** ", f);
        md(f, r->abort_reason[0] ? r->abort_reason : "(no reason given)");
        fputs("\n\n", f);
    }
    if (r->nverdicts) {
        fputs("| Check | Verdict | Control | Experiment | Difference [95% CI] | Limits | Test | Why |\n"
              "|---|---|---:|---:|---:|---|---|---|\n", f);
        for (size_t i = 0; i < r->nverdicts; i++)
            row(f, &r->verdicts[i]);
        fputc('\n', f);
    }
    fprintf(f, "**Faults injected:** %llu\n\n", (unsigned long long)r->faults_injected);
    for (size_t i = 0; i < r->ninjected; i++) {
        const struct fl_exp_count *c = &r->injected[i];
        fputs("- ", f);
        md(f, c->rule ? c->rule : "?");
        fputs(" / ", f);
        md(f, c->action ? c->action : "?");
        fprintf(f, ": %llu\n", (unsigned long long)c->n);
    }
    if (r->ninjected)
        fputc('\n', f);
    char took[FL_FMT_MAX];
    fl_fmt_value(took, sizeof took, "s", r->duration);
    fprintf(f, "Seed %llu; %zu control and %zu experiment runs",
            (unsigned long long)(r->spec ? r->spec->seed : 0),
            fl_report_count_runs(r, FL_GROUP_CONTROL), fl_report_count_runs(r, FL_GROUP_EXPERIMENT));
    if (fl_report_count_runs(r, FL_GROUP_AA))
        fprintf(f, ", %zu runs of a second control group (A/A)",
                fl_report_count_runs(r, FL_GROUP_AA));
    fprintf(f, "; %s.", took);
    if (r->spec && r->spec->path) {
        fputs(" File `", f);
        /* Inside a code span only a backtick would end it. */
        for (const char *p = r->spec->path; *p; p++)
            fputc(*p == '`' || *p == '\n' ? '\'' : *p, f);
        fputs("`", f);
        if (r->spec->sha256[0])
            fprintf(f, " (sha256 %.12s)", r->spec->sha256);
        fputc('.', f);
    }
    fputc('\n', f);
    return ferror(f) ? -1 : 0;
}
