/* The summary on the terminal: a table of checks, what was injected, the verdict line; at most
 * 100 columns wide. */
#include "report.h"

#include <math.h>
#include <string.h>

#include "format.h"

#define WIDTH 100

enum { COL_CONTROL = 10, COL_EXPERIMENT = 10, COL_DIFF = 28, COL_TEST = 15, COL_VERDICT = 12 };

static const char *color_of(const char *verdict)
{
    if (strcmp(verdict, "held") == 0)
        return "\033[32m";
    if (strcmp(verdict, "inconclusive") == 0)
        return "\033[33m";
    if (strcmp(verdict, "deviated") == 0)
        return "\033[31m";
    return "\033[1;31m";
}

/* The number of characters (UTF-8 code points) in the first `bytes` bytes of s. */
static size_t chars_in(const char *s, size_t bytes)
{
    size_t n = 0;
    for (size_t i = 0; i < bytes; i++)
        n += ((unsigned char)s[i] & 0xc0) != 0x80;
    return n;
}

/* Write s in a cell `width` characters wide: cut at a character boundary ("~" marks the cut),
 * padded with spaces when pad. Newlines and tabs print as spaces. */
static void cell(FILE *f, const char *s, size_t width, bool pad)
{
    size_t len = strlen(s), cut = len;
    if (chars_in(s, len) > width) {
        cut = 0;
        while (cut < len && chars_in(s, cut) < width - 1)
            cut++;
        while (cut > 0 && ((unsigned char)s[cut] & 0xc0) == 0x80)
            cut--;
    }
    for (size_t i = 0; i < cut; i++)
        fputc(s[i] == '\n' || s[i] == '\t' || s[i] == '\r' ? ' ' : s[i], f);
    size_t used = chars_in(s, cut);
    if (cut < len) {
        fputc('~', f);
        used++;
    }
    while (pad && used++ < width)
        fputc(' ', f);
}

/* Write text after `indent` spaces, wrapped at word boundaries to WIDTH columns. */
static void wrapped(FILE *f, const char *text, size_t indent)
{
    size_t col = indent;
    fprintf(f, "%*s", (int)indent, "");
    for (const char *p = text; *p;) {
        size_t word = strcspn(p, " \n\t");
        size_t chars = chars_in(p, word);
        if (col > indent && col + 1 + chars > WIDTH) {
            fprintf(f, "\n%*s", (int)indent, "");
            col = indent;
        } else if (col > indent) {
            fputc(' ', f);
            col++;
        }
        fwrite(p, 1, word, f);
        col += chars;
        p += word;
        p += strspn(p, " \n\t");
    }
    fputc('\n', f);
}

/* The test's short name: up to its first comma or parenthesis ("Mann-Whitney U"). */
static void short_test(char *buf, size_t size, const char *test)
{
    if (!test) {
        snprintf(buf, size, "-");
        return;
    }
    size_t n = strcspn(test, ",(");
    while (n > 0 && test[n - 1] == ' ')
        n--;
    snprintf(buf, size, "%.*s", (int)n, test);
}

static void check_row(FILE *f, const struct fl_exp_verdict *v, size_t name_width, bool color)
{
    const char *unit = v->check ? fl_exp_metric_unit(v->check->metric) : "";
    char control[FL_FMT_MAX], experiment[FL_FMT_MAX], diff[FL_FMT_MAX], test[FL_FMT_MAX];
    fl_fmt_value(control, sizeof control, unit, v->control);
    fl_fmt_value(experiment, sizeof experiment, unit, v->experiment);
    bool relative = fl_check_is_relative(v->check);
    fl_fmt_estimate(diff, sizeof diff, unit, v->diff, v->ci_low, v->ci_high, relative);
    short_test(test, sizeof test, v->test);
    fputs("  ", f);
    cell(f, v->check && v->check->name ? v->check->name : "?", name_width, true);
    fprintf(f, " %*s %*s  ", COL_CONTROL, control, COL_EXPERIMENT, experiment);
    cell(f, diff, COL_DIFF, true);
    fputc(' ', f);
    cell(f, test, COL_TEST, true);
    fputc(' ', f);
    const char *word = fl_verdict_name(v->verdict);
    fprintf(f, "%s%s%s%s\n", color ? color_of(word) : "", word, v->aa_noisy ? "*" : "",
            color ? "\033[0m" : "");
}

static void checks_table(FILE *f, const struct fl_exp_result *r, bool color)
{
    size_t name_width = 5;
    for (size_t i = 0; i < r->nverdicts; i++) {
        const struct fl_exp_check *c = r->verdicts[i].check;
        size_t len = c && c->name ? chars_in(c->name, strlen(c->name)) : 1;
        if (len > name_width)
            name_width = len;
    }
    /* Two spaces, the columns and the spaces between them fill the rest of WIDTH. */
    size_t rest = WIDTH - 2 - (1 + COL_CONTROL + 1 + COL_EXPERIMENT + 2 + COL_DIFF + 1 + COL_TEST +
                               1 + COL_VERDICT);
    if (name_width > rest)
        name_width = rest;
    fputs("  ", f);
    cell(f, "check", name_width, true);
    fprintf(f, " %*s %*s  ", COL_CONTROL, "control", COL_EXPERIMENT, "experiment");
    cell(f, "difference [95% CI]", COL_DIFF, true);
    fputc(' ', f);
    cell(f, "test", COL_TEST, true);
    fputs(" verdict\n", f);
    for (size_t i = 0; i < r->nverdicts; i++)
        check_row(f, &r->verdicts[i], name_width, color);
    bool noisy = false;
    for (size_t i = 0; i < r->nverdicts; i++) {
        const struct fl_exp_verdict *v = &r->verdicts[i];
        noisy |= v->aa_noisy;
        if (v->verdict == FL_VERDICT_HELD || !v->reason[0])
            continue;
        wrapped(f, v->reason, 2);     /* the judge's reason names its check */
    }
    if (noisy)
        wrapped(f, "* the two control groups differed on this check (A/A): the difference may be "
                   "noise.", 2);
}

static void injected(FILE *f, const struct fl_exp_result *r)
{
    char line[4096];
    size_t at = (size_t)snprintf(line, sizeof line, "injected: %llu fault%s",
                                 (unsigned long long)r->faults_injected,
                                 r->faults_injected == 1 ? "" : "s");
    for (size_t i = 0; i < r->ninjected && at < sizeof line; i++) {
        const struct fl_exp_count *c = &r->injected[i];
        at += (size_t)snprintf(line + at, sizeof line - at, "%s %s %s %llu", i ? "," : ":",
                               c->rule ? c->rule : "?", c->action ? c->action : "?",
                               (unsigned long long)c->n);
    }
    wrapped(f, line, 0);
}

/* s with tabs and line breaks made spaces: a name or reason inside the one-line verdict. */
static void put_flat(FILE *f, const char *s)
{
    for (; *s; s++)
        fputc(*s == '\n' || *s == '\t' || *s == '\r' ? ' ' : *s, f);
}

/* The verdict in one line, however long: scripts grep it. */
static void verdict_line(FILE *f, const struct fl_exp_result *r, bool color)
{
    const char *word = fl_report_verdict(r);
    char runs[64], took[FL_FMT_MAX];
    size_t nc = fl_report_count_runs(r, FL_GROUP_CONTROL);
    size_t ne = fl_report_count_runs(r, FL_GROUP_EXPERIMENT);
    size_t na = fl_report_count_runs(r, FL_GROUP_AA);
    if (na)
        snprintf(runs, sizeof runs, "%zu+%zu+%zu runs", nc, ne, na);
    else
        snprintf(runs, sizeof runs, "%zu+%zu runs", nc, ne);
    fl_fmt_value(took, sizeof took, "s", r->duration);
    const char *on = color ? color_of(word) : "", *off = color ? "\033[0m" : "";
    fputs("faultline: experiment ", f);
    put_flat(f, fl_report_name(r));
    if (strcmp(word, "aborted") == 0) {
        fprintf(f, ": %sABORTED%s: ", on, off);
        put_flat(f, r->abort_reason[0] ? r->abort_reason : "(no reason given)");
        fputc('\n', f);
        return;
    }
    fprintf(f, ": %s%s%s", on, word, off);
    enum fl_verdict which = strcmp(word, "deviated") == 0 ? FL_VERDICT_DEVIATED
                                                          : FL_VERDICT_INCONCLUSIVE;
    if (strcmp(word, "held") != 0)
        for (size_t i = 0, k = 0; i < r->nverdicts; i++) {
            const struct fl_exp_verdict *v = &r->verdicts[i];
            if (v->verdict != which)
                continue;
            fputs(k++ ? ", " : ": ", f);
            put_flat(f, v->check && v->check->name ? v->check->name : "?");
        }
    fprintf(f, " (%zu check%s, %s, %s)\n", r->nverdicts, r->nverdicts == 1 ? "" : "s", runs,
            took);
}

int fl_write_terminal(FILE *f, const struct fl_exp_result *r, bool color)
{
    if (r->nverdicts)
        checks_table(f, r, color);
    injected(f, r);
    verdict_line(f, r, color);
    return ferror(f) ? -1 : 0;
}
