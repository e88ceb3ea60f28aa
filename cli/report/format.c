/* Formatting the report writers share (format.h). */
#include "format.h"

#include <errno.h>
#include <iconv.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A scale for one unit: values at least `from` (in absolute value) are divided by `div` and
 * given the suffix. Rows from the largest down; the last row takes everything smaller. */
struct scale {
    double from, div;
    const char *suffix;
};

static const struct scale time_scales[] = {
    {3600, 3600, "h"}, {600, 60, "min"}, {1, 1, "s"}, {1e-3, 1e-3, "ms"}, {1e-6, 1e-6, "us"},
    {0, 1e-9, "ns"},
};
static const struct scale size_scales[] = {
    {1099511627776.0, 1099511627776.0, "TiB"}, {1073741824.0, 1073741824.0, "GiB"},
    {1048576.0, 1048576.0, "MiB"}, {1024, 1024, "KiB"}, {0, 1, "B"},
};

static const struct scale *pick_scale(const char *unit, double magnitude)
{
    const struct scale *table;
    size_t n;
    if (strcmp(unit, "s") == 0) {
        table = time_scales;
        n = sizeof time_scales / sizeof time_scales[0];
    } else if (strcmp(unit, "B") == 0) {
        table = size_scales;
        n = sizeof size_scales / sizeof size_scales[0];
    } else {
        return NULL;
    }
    for (size_t i = 0; i + 1 < n; i++)
        if (magnitude >= table[i].from)
            return &table[i];
    return &table[n - 1];
}

/* Decimals that leave about three significant digits of a number of this magnitude. */
static int decimals_for(double magnitude)
{
    if (magnitude == 0 || magnitude >= 100)
        return 0;
    return magnitude >= 10 ? 1 : 2;
}

/* The number v divided by div, with `decimals`, its sign forced when sign; no suffix. */
static void put_number(char *buf, size_t size, double v, double div, int decimals, bool sign)
{
    if (isnan(v))
        snprintf(buf, size, "-");
    else if (isinf(v))
        snprintf(buf, size, "%sinf", v < 0 ? "-" : sign ? "+" : "");
    else
        snprintf(buf, size, sign ? "%+.*f" : "%.*f", decimals, v / div);
}

/* How the numbers of one unit are written at a magnitude: divisor, decimals and suffix. */
struct style {
    double div;
    int decimals;
    const char *suffix;
    bool space;                 /* a space between number and suffix */
};

static struct style style_for(const char *unit, double magnitude, bool difference)
{
    const struct scale *s = pick_scale(unit, magnitude);
    if (s)
        return (struct style){s->div, decimals_for(magnitude / s->div), s->suffix, true};
    if (strcmp(unit, "%") == 0)
        return (struct style){0.01, 1, difference ? "pp" : "%", difference};
    int decimals = magnitude == floor(magnitude) || magnitude >= 100 ? 0 : decimals_for(magnitude);
    return (struct style){1, decimals, "", false};
}

static void put_styled(char *buf, size_t size, const struct style *st, double v, bool sign)
{
    char number[FL_FMT_MAX];
    put_number(number, sizeof number, v, st->div, st->decimals, sign);
    if (isnan(v) || !*st->suffix)
        snprintf(buf, size, "%s", number);
    else
        snprintf(buf, size, "%s%s%s", number, st->space ? " " : "", st->suffix);
}

void fl_fmt_value(char *buf, size_t size, const char *unit, double v)
{
    struct style st = style_for(unit, isfinite(v) ? fabs(v) : 0, false);
    put_styled(buf, size, &st, v, false);
}

void fl_fmt_estimate(char *buf, size_t size, const char *unit, double est, double lo, double hi,
                     bool sign)
{
    if (isnan(est)) {
        snprintf(buf, size, "-");
        return;
    }
    double magnitude = 0;
    const double all[] = {est, lo, hi};
    for (size_t i = 0; i < 3; i++)
        if (isfinite(all[i]) && fabs(all[i]) > magnitude)
            magnitude = fabs(all[i]);
    struct style st = style_for(unit, magnitude, sign);
    char e[FL_FMT_MAX], l[FL_FMT_MAX], h[FL_FMT_MAX];
    put_styled(e, sizeof e, &st, est, sign);
    if (isnan(lo) || isnan(hi)) {
        snprintf(buf, size, "%s", e);
        return;
    }
    put_number(l, sizeof l, lo, st.div, st.decimals, sign);
    put_number(h, sizeof h, hi, st.div, st.decimals, sign);
    snprintf(buf, size, "%s [%s, %s]", e, l, h);
}

void fl_fmt_limits(char *buf, size_t size, const char *unit, double lo, double hi, bool sign)
{
    char l[FL_FMT_MAX], h[FL_FMT_MAX];
    if (sign) {
        fl_fmt_estimate(l, sizeof l, unit, lo, NAN, NAN, true);
        fl_fmt_estimate(h, sizeof h, unit, hi, NAN, NAN, true);
    } else {
        fl_fmt_value(l, sizeof l, unit, lo);
        fl_fmt_value(h, sizeof h, unit, hi);
    }
    bool has_lo = !isnan(lo) && !(isinf(lo) && lo < 0);
    bool has_hi = !isnan(hi) && !(isinf(hi) && hi > 0);
    if (has_lo && has_hi)
        snprintf(buf, size, lo == hi ? "= %s" : "%s .. %s", l, h);
    else if (has_lo)
        snprintf(buf, size, ">= %s", l);
    else if (has_hi)
        snprintf(buf, size, "<= %s", h);
    else
        snprintf(buf, size, "-");
}

bool fl_check_is_relative(const struct fl_exp_check *check)
{
    return check && ((check->min.set && check->min.relative) ||
                     (check->max.set && check->max.relative));
}

size_t fl_report_count_verdicts(const struct fl_exp_result *r, enum fl_verdict v)
{
    size_t n = 0;
    for (size_t i = 0; i < r->nverdicts; i++)
        n += r->verdicts[i].verdict == v;
    return n;
}

const char *fl_report_verdict(const struct fl_exp_result *r)
{
    if (r->aborted || r->abort_reason[0])
        return "aborted";
    if (fl_report_count_verdicts(r, FL_VERDICT_DEVIATED))
        return "deviated";
    if (fl_report_count_verdicts(r, FL_VERDICT_INCONCLUSIVE))
        return "inconclusive";
    return "held";
}

size_t fl_report_count_runs(const struct fl_exp_result *r, enum fl_exp_group g)
{
    size_t n = 0;
    for (size_t i = 0; i < r->nruns; i++)
        n += r->runs[i].group == g;
    return n;
}

const char *fl_report_name(const struct fl_exp_result *r)
{
    return r->spec && r->spec->name ? r->spec->name : "experiment";
}

char *fl_utf8_clean(const char *s, size_t len)
{
    /* Each input byte becomes at most U+FFFD's three bytes. */
    size_t cap = len * 3 + 1;
    char *out = malloc(cap);
    if (!out)
        return NULL;
    iconv_t cd = iconv_open("UTF-8", "UTF-8");
    if (cd == (iconv_t)-1) {
        free(out);
        return NULL;
    }
    char *in = (char *)s, *o = out;
    size_t inleft = len, outleft = cap - 1;
    while (inleft > 0) {
        if (iconv(cd, &in, &inleft, &o, &outleft) != (size_t)-1)
            break;
        if (errno != EILSEQ && errno != EINVAL)
            break;
        memcpy(o, "\xef\xbf\xbd", 3);
        o += 3;
        outleft -= 3;
        in++;
        inleft--;
        iconv(cd, NULL, NULL, NULL, NULL);
    }
    iconv_close(cd);
    /* iconv copies NUL bytes through; a text of ours never holds one. */
    char *w = out;
    for (char *p = out; p < o; p++)
        if (*p)
            *w++ = *p;
    *w = '\0';
    return out;
}

void fl_put_markup(FILE *f, const char *s, bool flat)
{
    char *clean = fl_utf8_clean(s ? s : "", s ? strlen(s) : 0);
    for (const char *p = clean ? clean : ""; *p; p++) {
        unsigned char c = (unsigned char)*p;
        switch (c) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        case '\'': fputs("&#39;", f); break;
        case '\n': case '\t': fputc(flat ? ' ' : c, f); break;
        default:
            if (c >= 0x20 && c != 0x7f)
                fputc(c, f);
        }
    }
    free(clean);
}

void fl_fmt_verdict(struct fl_fmt_verdict *out, const struct fl_exp_verdict *v)
{
    const char *unit = v->check ? fl_exp_metric_unit(v->check->metric) : "";
    fl_fmt_value(out->control, sizeof out->control, unit, v->control);
    fl_fmt_value(out->experiment, sizeof out->experiment, unit, v->experiment);
    fl_fmt_estimate(out->diff, sizeof out->diff, unit, v->diff, v->ci_low, v->ci_high,
                    fl_check_is_relative(v->check));
    fl_fmt_limits(out->limits, sizeof out->limits, unit, v->limit_low, v->limit_high,
                  fl_check_is_relative(v->check));
}
