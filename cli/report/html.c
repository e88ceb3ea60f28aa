/* One self-contained HTML page (--html): inline CSS and inline SVG, no script, nothing fetched.
 * The plots only place what the result holds: samples sorted for an ECDF, runs and faults on a
 * time axis. */
#include "report.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "format.h"

#define PLOT_W 1200

static const char *const group_color[] = {"#2f6fb0", "#e8590c", "#2b8a3e"};
static const char *const shape_names[] = {"batch", "service", "live"};

static const char *check_name(const struct fl_exp_verdict *v)
{
    return v->check && v->check->name ? v->check->name : "?";
}

static const char *style =
    "body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:#1d2330;"
    "background:#f6f7f9;margin:0}"
    "main{max-width:1240px;margin:0 auto;padding:20px}"
    "h1{font-size:22px;margin:0 0 6px}h2{font-size:17px;margin:28px 0 8px}"
    ".badge{display:inline-block;padding:2px 12px;border-radius:12px;color:#fff;font-weight:600;"
    "margin-left:10px;vertical-align:middle;font-size:15px}"
    ".held{background:#2b8a3e}.deviated{background:#c92a2a}.inconclusive{background:#e67700}"
    ".aborted{background:#5c0f0f}"
    ".meta{color:#525b6b}.meta code{font-size:12px}"
    ".abort{background:#fff0f0;border-left:4px solid #c92a2a;padding:8px 12px;margin:12px 0}"
    "table{border-collapse:collapse;background:#fff;width:100%}"
    "th,td{border-bottom:1px solid #dfe3ea;padding:5px 8px;text-align:left;vertical-align:top}"
    "th{background:#eef1f5;font-weight:600}td.num{text-align:right;white-space:nowrap}"
    "td.why{color:#525b6b;font-size:13px}"
    ".v{font-weight:600;white-space:nowrap}.v.held{background:none;color:#2b8a3e}"
    ".v.deviated{background:none;color:#c92a2a}.v.inconclusive{background:none;color:#e67700}"
    "figure{background:#fff;margin:0 0 16px;padding:10px;border:1px solid #dfe3ea}"
    "figcaption{color:#525b6b;font-size:13px;margin-bottom:4px}"
    "svg{display:block;width:100%;height:auto;font:12px system-ui,sans-serif}"
    "svg .grid{stroke:#e3e6ec}svg .axis{stroke:#8a93a3}svg text{fill:#3b4352}"
    ".strips{display:grid;grid-template-columns:repeat(3,1fr);gap:12px}"
    ".strips figure{margin:0}";

/* ---- axes ---------------------------------------------------------------------------------- */

struct axis {
    double lo, hi;              /* data range */
    bool log;
    double p0, p1;              /* pixels */
};

static double to_px(const struct axis *a, double v)
{
    double t;
    if (a->log)
        t = (log10(v) - log10(a->lo)) / (log10(a->hi) - log10(a->lo));
    else
        t = (v - a->lo) / (a->hi - a->lo);
    return a->p0 + t * (a->p1 - a->p0);
}

/* Axis ticks at round numbers, about `want` of them: 1, 2 or 5 times a power of ten (linear),
 * or the powers of ten (log). Returns how many were written to ticks (at most max). */
static size_t ticks_of(const struct axis *a, double want, double *ticks, size_t max)
{
    size_t n = 0;
    if (a->log) {
        for (double p = pow(10, floor(log10(a->lo))); p <= a->hi * 1.0001 && n < max; p *= 10)
            if (p >= a->lo * 0.9999)
                ticks[n++] = p;
        return n;
    }
    double raw = (a->hi - a->lo) / want, mag = pow(10, floor(log10(raw)));
    double step = raw / mag < 1.5 ? mag : raw / mag < 3.5 ? 2 * mag : raw / mag < 7.5 ? 5 * mag
                                                                                     : 10 * mag;
    for (double t = ceil(a->lo / step) * step; t <= a->hi + step * 1e-9 && n < max; t += step)
        ticks[n++] = fabs(t) < step * 1e-9 ? 0 : t;
    return n;
}

/* A horizontal axis at y from top to y: grid lines, tick labels in unit, and a title. */
static void x_axis(FILE *f, const struct axis *a, double top, double y, const char *unit,
                   const char *title)
{
    double ticks[16];
    /* A label about every 110 pixels. */
    size_t n = ticks_of(a, fmax(2, fabs(a->p1 - a->p0) / 110), ticks, 16);
    for (size_t i = 0; i < n; i++) {
        double x = to_px(a, ticks[i]);
        char label[FL_FMT_MAX] = "0";
        if (ticks[i] != 0)
            fl_fmt_value(label, sizeof label, unit, ticks[i]);
        fprintf(f, "<line class=\"grid\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>"
                   "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>\n",
                x, top, x, y, x, y + 16, label);
    }
    fprintf(f, "<line class=\"axis\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n", a->p0, y,
            a->p1, y);
    fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">", (a->p0 + a->p1) / 2, y + 34);
    fl_put_markup(f, title, false);
    fputs("</text>\n", f);
}

/* A legend of the groups present, from x, y rightwards. */
static void legend(FILE *f, const bool *present, double x, double y)
{
    for (int g = 0; g < 3; g++) {
        if (!present[g])
            continue;
        fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"14\" height=\"10\" fill=\"%s\"/>"
                   "<text x=\"%.1f\" y=\"%.1f\">%s</text>\n",
                x, y - 9, group_color[g], x + 19, y, fl_exp_group_name((enum fl_exp_group)g));
        x += 110;
    }
}

/* ---- the page's parts ------------------------------------------------------------------------ */

static void header(FILE *f, const struct fl_exp_result *r)
{
    const char *word = fl_report_verdict(r);
    fputs("<h1>faultline experiment: ", f);
    fl_put_markup(f, fl_report_name(r), false);
    fprintf(f, "<span class=\"badge %s\">%s</span></h1>\n<p class=\"meta\">", word, word);
    char took[FL_FMT_MAX], when[64] = "";
    fl_fmt_value(took, sizeof took, "s", r->duration);
    time_t t = (time_t)r->started;
    struct tm tm;
    if (isfinite(r->started) && gmtime_r(&t, &tm))
        strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S UTC", &tm);
    fprintf(f, "%zu checks: %zu held, %zu deviated, %zu inconclusive. %zu control and %zu "
               "experiment runs",
            r->nverdicts, fl_report_count_verdicts(r, FL_VERDICT_HELD),
            fl_report_count_verdicts(r, FL_VERDICT_DEVIATED),
            fl_report_count_verdicts(r, FL_VERDICT_INCONCLUSIVE),
            fl_report_count_runs(r, FL_GROUP_CONTROL), fl_report_count_runs(r, FL_GROUP_EXPERIMENT));
    if (fl_report_count_runs(r, FL_GROUP_AA))
        fprintf(f, ", %zu of a second control group (A/A)", fl_report_count_runs(r, FL_GROUP_AA));
    fprintf(f, ", %s, started %s. %llu faults injected.<br>\n", took, when,
            (unsigned long long)r->faults_injected);
    if (r->spec) {
        fprintf(f, "Shape %s, seed %llu, control %s. File <code>", shape_names[r->spec->shape],
                (unsigned long long)r->spec->seed,
                r->spec->control == FL_EXP_CONTROL_BARE ? "bare" : "dry-run");
        fl_put_markup(f, r->spec->path, false);
        fputs("</code> sha256 <code>", f);
        fl_put_markup(f, r->spec->sha256, false);
        fputs("</code>", f);
    }
    fputs("</p>\n", f);
    if (r->aborted || r->abort_reason[0]) {
        fputs("<div class=\"abort\"><b>Aborted:</b> ", f);
        fl_put_markup(f, r->abort_reason[0] ? r->abort_reason : "(no reason given)", false);
        fputs("</div>\n", f);
    }
}

static void checks_table(FILE *f, const struct fl_exp_result *r)
{
    if (!r->nverdicts)
        return;
    fputs("<h2>Checks</h2>\n<table><tr><th>Check</th><th>Verdict</th><th>Control</th>"
          "<th>Experiment</th><th>Difference [95% CI]</th><th>Limits</th><th>Test</th>"
          "<th>p</th><th>n</th><th>Why</th></tr>\n", f);
    for (size_t i = 0; i < r->nverdicts; i++) {
        const struct fl_exp_verdict *v = &r->verdicts[i];
        const char *word = fl_verdict_name(v->verdict);
        struct fl_fmt_verdict shown;
        fl_fmt_verdict(&shown, v);
        fputs("<tr><td>", f);
        fl_put_markup(f, check_name(v), false);
        fprintf(f, "</td><td class=\"v %s\">%s%s</td><td class=\"num\">", word, word,
                v->aa_noisy ? " (A/A noisy)" : "");
        fl_put_markup(f, shown.control, false);
        fputs("</td><td class=\"num\">", f);
        fl_put_markup(f, shown.experiment, false);
        fputs("</td><td class=\"num\">", f);
        fl_put_markup(f, shown.diff, false);
        fputs("</td><td>", f);
        fl_put_markup(f, shown.limits, false);
        fputs("</td><td>", f);
        fl_put_markup(f, v->test ? v->test : "-", false);
        if (isnan(v->p_value))
            fputs("</td><td class=\"num\">-", f);
        else
            fprintf(f, "</td><td class=\"num\">%.3g", v->p_value);
        fprintf(f, "</td><td class=\"num\">%u+%u</td><td class=\"why\">", v->n_control,
                v->n_experiment);
        fl_put_markup(f, v->reason, false);
        fputs("</td></tr>\n", f);
    }
    fputs("</table>\n", f);
}

static void injected_table(FILE *f, const struct fl_exp_result *r)
{
    fprintf(f, "<h2>Faults injected: %llu</h2>\n", (unsigned long long)r->faults_injected);
    if (!r->ninjected)
        return;
    fputs("<table style=\"width:auto\"><tr><th>Rule</th><th>Action</th><th>Count</th></tr>\n", f);
    for (size_t i = 0; i < r->ninjected; i++) {
        fputs("<tr><td>", f);
        fl_put_markup(f, r->injected[i].rule, false);
        fputs("</td><td>", f);
        fl_put_markup(f, r->injected[i].action, false);
        fprintf(f, "</td><td class=\"num\">%llu</td></tr>\n", (unsigned long long)r->injected[i].n);
    }
    fputs("</table>\n", f);
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static bool is_latency(enum fl_exp_metric m)
{
    return m == FL_M_LATENCY_MEDIAN || m == FL_M_LATENCY_P95 || m == FL_M_LATENCY_P99;
}

/* The samples' latencies as overlaid ECDFs, one per group, with the latency checks' values of
 * each group marked. Returns -1 when memory ran out. */
static int latency_plot(FILE *f, const struct fl_exp_result *r)
{
    size_t n[3] = {0, 0, 0};
    for (size_t i = 0; i < r->nruns; i++)
        if (r->runs[i].group <= FL_GROUP_AA)
            n[r->runs[i].group] += r->runs[i].nsamples;
    if (!n[0] && !n[1] && !n[2])
        return 0;
    double *lat[3] = {NULL, NULL, NULL};
    size_t k[3] = {0, 0, 0};
    double lo = INFINITY, hi = -INFINITY;
    int rc = 0;
    for (int g = 0; g < 3; g++)
        if (n[g] && !(lat[g] = malloc(n[g] * sizeof *lat[g])))
            rc = -1;
    for (size_t i = 0; !rc && i < r->nruns; i++) {
        const struct fl_exp_run *run = &r->runs[i];
        for (size_t j = 0; run->group <= FL_GROUP_AA && j < run->nsamples; j++) {
            double v = run->samples[j].latency;
            if (!isfinite(v))
                continue;
            lat[run->group][k[run->group]++] = v;
            lo = fmin(lo, v);
            hi = fmax(hi, v);
        }
    }
    if (rc || !isfinite(lo))
        goto out;
    struct axis x = {lo, hi, lo > 0 && hi / lo > 50, 70, PLOT_W - 20};
    if (!x.log) {
        x.lo = 0;
        if (x.hi <= 0)
            x.hi = 1e-3;
        x.hi *= 1.02;
    }
    struct axis y = {0, 1, false, 330, 40};
    fputs("<h2>Latency of each sample</h2>\n<figure><figcaption>The cumulative share of samples "
          "at or below each latency (ECDF), per group", f);
    if (x.log)
        fputs(", on a logarithmic axis", f);
    fputs(". Dashed lines: the checked statistics of each group.</figcaption>\n", f);
    fprintf(f, "<svg viewBox=\"0 0 %d 380\" role=\"img\">\n", PLOT_W);
    for (int t = 0; t <= 4; t++) {
        double py = to_px(&y, t / 4.0);
        fprintf(f, "<line class=\"grid\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>"
                   "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%d%%</text>\n",
                x.p0, py, x.p1, py, x.p0 - 6, py + 4, t * 25);
    }
    x_axis(f, &x, y.p1, y.p0, "s", "latency");
    bool present[3];
    for (int g = 0; g < 3; g++) {
        present[g] = k[g] > 0;
        if (!k[g])
            continue;
        qsort(lat[g], k[g], sizeof *lat[g], by_value);
        fprintf(f, "<path fill=\"none\" stroke=\"%s\" stroke-width=\"2\" d=\"M%.1f %.1f", group_color[g],
                to_px(&x, lat[g][0]), y.p0);
        for (size_t i = 0; i < k[g]; i++) {
            double px = to_px(&x, lat[g][i]);
            fprintf(f, "H%.1fV%.1f", px, to_px(&y, (double)(i + 1) / (double)k[g]));
        }
        fprintf(f, "H%.1f\"/>\n", x.p1);
    }
    unsigned markers = 0;
    for (size_t i = 0; i < r->nverdicts; i++) {
        const struct fl_exp_verdict *v = &r->verdicts[i];
        if (!v->check || !is_latency(v->check->metric))
            continue;
        const double at[2] = {v->control, v->experiment};
        for (int g = 0; g < 2; g++) {
            if (!isfinite(at[g]) || at[g] < x.lo || at[g] > x.hi || (x.log && at[g] <= 0))
                continue;
            double px = to_px(&x, at[g]);
            /* Past two thirds of the width the label goes left of its line. */
            bool right = px > x.p0 + (x.p1 - x.p0) * 2 / 3;
            fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
                       "stroke-dasharray=\"5 4\"/><text x=\"%.1f\" y=\"%.1f\" fill=\"%s\" "
                       "style=\"fill:%s\" text-anchor=\"%s\">",
                    px, y.p0, px, y.p1, group_color[g], right ? px - 4 : px + 4, y.p1 + 14 + 14.0 * (double)(markers++ % 8),
                    group_color[g], group_color[g], right ? "end" : "start");
            fl_put_markup(f, check_name(v), false);
            fprintf(f, " (%s)</text>\n", fl_exp_group_name((enum fl_exp_group)g));
        }
    }
    legend(f, present, x.p0, 20);
    fputs("</svg></figure>\n", f);
out:
    for (int g = 0; g < 3; g++)
        free(lat[g]);
    return rc;
}

/* One strip plot of a per-run measurement: a row per group, a dot per run. */
static void strip(FILE *f, const struct fl_exp_result *r, const char *title, const char *unit,
                  double (*value)(const struct fl_exp_run *))
{
    double lo = INFINITY, hi = -INFINITY;
    bool present[3] = {false, false, false};
    for (size_t i = 0; i < r->nruns; i++) {
        double v = value(&r->runs[i]);
        if (!isfinite(v) || r->runs[i].group > FL_GROUP_AA)
            continue;
        lo = fmin(lo, v);
        hi = fmax(hi, v);
        present[r->runs[i].group] = true;
    }
    if (!isfinite(lo))
        return;
    double pad = hi > lo ? (hi - lo) * 0.08 : fmax(fabs(hi) * 0.1, 1e-9);
    struct axis x = {fmax(0, lo - pad), hi + pad, false, 90, 380};
    fputs("<figure><figcaption>", f);
    fl_put_markup(f, title, false);
    fputs(" per run</figcaption>\n<svg viewBox=\"0 0 400 170\" role=\"img\">\n", f);
    x_axis(f, &x, 10, 120, unit, title);
    for (int g = 0; g < 3; g++) {
        if (!present[g])
            continue;
        double row = 30 + 35.0 * g;
        fprintf(f, "<text x=\"84\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n", row + 4,
                fl_exp_group_name((enum fl_exp_group)g));
        for (size_t i = 0; i < r->nruns; i++) {
            const struct fl_exp_run *run = &r->runs[i];
            double v = value(run);
            if ((int)run->group != g || !isfinite(v))
                continue;
            /* A fixed vertical offset per run keeps equal values apart. */
            double jitter = (double)((run->index * 7) % 11) - 5;
            fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\" fill=\"%s\" fill-opacity=\"0.7\">"
                       "<title>run %u: ",
                    to_px(&x, v), row + jitter, group_color[g], run->index);
            char label[FL_FMT_MAX];
            fl_fmt_value(label, sizeof label, unit, v);
            fl_put_markup(f, label, false);
            fputs("</title></circle>\n", f);
        }
    }
    fputs("</svg></figure>\n", f);
}

static double wall_of(const struct fl_exp_run *run)
{
    return run->wall;
}

static double cpu_of(const struct fl_exp_run *run)
{
    return run->cpu;
}

static double rss_of(const struct fl_exp_run *run)
{
    return run->peak_rss ? (double)run->peak_rss : NAN;
}

static void per_run(FILE *f, const struct fl_exp_result *r)
{
    if (!r->nruns || (r->spec && r->spec->shape == FL_EXP_LIVE))
        return;
    fputs("<h2>Per run</h2>\n<div class=\"strips\">\n", f);
    strip(f, r, "wall time", "s", wall_of);
    strip(f, r, "CPU time", "s", cpu_of);
    strip(f, r, "peak RSS", "B", rss_of);
    fputs("</div>\n", f);
}

/* The timeline: the runs as shaded bands, then a lane per rule with a tick per fault, and a
 * lane of the samples that failed. */
static void timeline(FILE *f, const struct fl_exp_result *r)
{
    double end = 0;
    size_t failed = 0;
    for (size_t i = 0; i < r->nruns; i++) {
        end = fmax(end, r->runs[i].end);
        for (size_t j = 0; j < r->runs[i].nsamples; j++)
            failed += !r->runs[i].samples[j].ok;
    }
    for (size_t i = 0; i < r->nfaults; i++)
        end = fmax(end, r->faults[i].t);
    if (!r->nruns || !(end > 0))
        return;
    const double lane = 26, top = 40, label_w = 170;
    size_t lanes = 1 + r->nrules + (failed > 0);
    double bottom = top + lane * (double)lanes;
    struct axis x = {0, end, false, label_w, PLOT_W - 20};
    fputs("<h2>Timeline</h2>\n<figure><figcaption>Time since the experiment started. The runs "
          "as shaded bands; a tick per injected fault, one lane per rule", f);
    if (failed)
        fputs("; and the samples that failed", f);
    fputs(".</figcaption>\n", f);
    fprintf(f, "<svg viewBox=\"0 0 %d %.0f\" role=\"img\">\n", PLOT_W, bottom + 44);
    x_axis(f, &x, top, bottom, "s", "time since start");
    for (size_t i = 0; i < r->nruns; i++) {
        const struct fl_exp_run *run = &r->runs[i];
        if (run->group > FL_GROUP_AA || !isfinite(run->start) || !isfinite(run->end))
            continue;
        double x0 = to_px(&x, run->start), x1 = to_px(&x, run->end);
        fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.2f\" height=\"%.1f\" fill=\"%s\" "
                   "fill-opacity=\"0.16\"/><rect x=\"%.1f\" y=\"%.1f\" width=\"%.2f\" "
                   "height=\"%.1f\" fill=\"%s\" fill-opacity=\"0.85\"><title>run %u, %s, pair %u"
                   "</title></rect><line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
                   "stroke=\"#ffffff\" stroke-width=\"1\"/>\n",
                x0, top, fmax(x1 - x0, 0.5), bottom - top, group_color[run->group], x0, top + 4,
                fmax(x1 - x0, 0.5), lane - 8, group_color[run->group], run->index,
                fl_exp_group_name(run->group), run->pair, x0, top, x0, bottom);
    }
    fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">runs</text>\n", label_w - 8,
            top + lane / 2 + 4);
    for (size_t i = 0; i < r->nrules; i++) {
        double y = top + lane * (double)(i + 1);
        fprintf(f, "<line class=\"grid\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>"
                   "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">",
                x.p0, y, x.p1, y, label_w - 8, y + lane / 2 + 4);
        char name[40];
        snprintf(name, sizeof name, "%s", r->rules[i] ? r->rules[i] : "?");
        if (r->rules[i] && strlen(r->rules[i]) >= sizeof name)
            memcpy(name + sizeof name - 4, "...", 4);
        fl_put_markup(f, name, false);
        fputs("</text>\n<path stroke=\"#1d2330\" stroke-width=\"1\" d=\"", f);
        for (size_t j = 0; j < r->nfaults; j++)
            if (r->faults[j].rule == i && isfinite(r->faults[j].t))
                fprintf(f, "M%.1f %.1fv%.1f", to_px(&x, r->faults[j].t), y + 5, lane - 10);
        fputs("\"/>\n", f);
    }
    if (failed) {
        double y = top + lane * (double)(1 + r->nrules);
        fprintf(f, "<line class=\"grid\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>"
                   "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">failed samples</text>\n"
                   "<path stroke=\"#c92a2a\" stroke-width=\"1.5\" d=\"",
                x.p0, y, x.p1, y, label_w - 8, y + lane / 2 + 4);
        for (size_t i = 0; i < r->nruns; i++)
            for (size_t j = 0; j < r->runs[i].nsamples; j++)
                if (!r->runs[i].samples[j].ok && isfinite(r->runs[i].samples[j].t))
                    fprintf(f, "M%.1f %.1fv%.1f", to_px(&x, r->runs[i].samples[j].t), y + 5,
                            lane - 10);
        fputs("\"/>\n", f);
    }
    bool present[3];
    for (int g = 0; g < 3; g++)
        present[g] = fl_report_count_runs(r, (enum fl_exp_group)g) > 0;
    legend(f, present, x.p0, 20);
    fputs("</svg></figure>\n", f);
}

int fl_write_html(FILE *f, const struct fl_exp_result *r)
{
    fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>", f);
    fl_put_markup(f, fl_report_name(r), false);
    fprintf(f, ": %s - faultline experiment</title>\n<style>%s</style></head>\n<body><main>\n",
            fl_report_verdict(r), style);
    header(f, r);
    checks_table(f, r);
    injected_table(f, r);
    int rc = latency_plot(f, r);
    per_run(f, r);
    timeline(f, r);
    fprintf(f, "<p class=\"meta\">Written by faultline %s.</p>\n</main></body></html>\n", FL_VERSION);
    return rc || ferror(f) ? -1 : 0;
}
