/* The judge of faultline experiment (experiment.h): each hypothesis check of the spec against the
 * measured runs gives one verdict, held, deviated or inconclusive, with the numbers and the test
 * that decided it. It computes with stats.c and never runs or prints anything.
 *
 * Scales: diff is experiment - control for a relative bound (the control group's value taken
 * from the same data) and the experiment's own value for an absolute one; limit_low and
 * limit_high are on diff's scale (a relative bound's allowed shift, control * percent / 100 +
 * offset; an absolute bound's value), so a report can set diff and its CI beside them. */
#include <math.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "experiment.h"
#include "stats.h"
#include "report/format.h"

#define CONF 0.95
#define BOOTSTRAP_REPS 2000
#define MIN_PER_GROUP 4         /* fewer samples a side and no test at 95% can tell */
#define SIGNIFICANCE 0.05
#define NEEDED_CAP 1000000u

static const char TEST_SHIFT[] = "Mann-Whitney U, Hodges-Lehmann shift and 95% CI";
static const char TEST_MEDIAN[] = "bootstrap, 95% CI of the median (2000 resamples)";
static const char TEST_QUANTILE_DIFF[] = "bootstrap, 95% CI of the quantile's difference (2000 resamples)";
static const char TEST_QUANTILE[] = "bootstrap, 95% CI of the quantile (2000 resamples)";
static const char TEST_FISHER[] = "Fisher's exact, one-sided; Newcombe 95% CI of the difference";
static const char TEST_WILSON[] = "Wilson, 95% score interval";
static const char TEST_TOTAL[] = "total, over the experiment runs";
static const char TEST_EVERY_RUN[] = "every run";
static const char TEST_EVERY_RUN_MASKED[] = "every run, against its control run, masked";

const char *fl_exp_group_name(enum fl_exp_group g)
{
    switch (g) {
    case FL_GROUP_CONTROL: return "control";
    case FL_GROUP_EXPERIMENT: return "experiment";
    case FL_GROUP_AA: return "control-b";
    }
    return "?";
}

const char *fl_verdict_name(enum fl_verdict v)
{
    switch (v) {
    case FL_VERDICT_HELD: return "held";
    case FL_VERDICT_DEVIATED: return "deviated";
    case FL_VERDICT_INCONCLUSIVE: return "inconclusive";
    }
    return "?";
}

/* ---- values and their words ----------------------------------------------------------------- */

/* v in the metric's unit as the reports write it ("12.3 ms", "45.1 MiB", "97.5%");
 * signed_: a difference, with its sign (a rate's in percentage points, "pp"). */
static const char *fmt_value(char *buf, size_t len, enum fl_exp_metric m, double v, bool signed_)
{
    if (signed_)
        fl_fmt_estimate(buf, len, fl_exp_metric_unit(m), v, NAN, NAN, true);
    else
        fl_fmt_value(buf, len, fl_exp_metric_unit(m), v);
    return buf;
}

static const char *check_name(const struct fl_exp_check *c)
{
    return c->name ? c->name : "check";
}

static void init_verdict(struct fl_exp_verdict *v, const struct fl_exp_check *c)
{
    memset(v, 0, sizeof *v);
    v->check = c;
    v->verdict = FL_VERDICT_INCONCLUSIVE;
    v->control = v->experiment = v->diff = v->ci_low = v->ci_high = NAN;
    v->limit_low = v->limit_high = v->p_value = NAN;
    v->test = "";
}

/* ---- the groups' data ----------------------------------------------------------------------- */

struct values {
    double *v;
    size_t n;
};

static bool is_latency(enum fl_exp_metric m)
{
    return m == FL_M_LATENCY_MEDIAN || m == FL_M_LATENCY_P95 || m == FL_M_LATENCY_P99;
}

static double quantile_of(enum fl_exp_metric m)
{
    return m == FL_M_LATENCY_P95 ? 0.95 : m == FL_M_LATENCY_P99 ? 0.99 : 0.5;
}

static double run_value(const struct fl_exp_run *run, enum fl_exp_metric m)
{
    switch (m) {
    case FL_M_CPU_TIME: return run->cpu;
    case FL_M_PEAK_RSS: return (double)run->peak_rss;
    default: return run->wall;
    }
}

/* The group's values of metric m, malloc'd into *out: latency pools every sample of every run
 * (a run without samples, batch, counts as one sample: its wall time); the per-run metrics take
 * one value per run. Returns 0 or -1 (out of memory). */
static int collect(const struct fl_exp_result *r, enum fl_exp_group g, enum fl_exp_metric m,
                   struct values *out)
{
    size_t n = 0;
    for (size_t i = 0; i < r->nruns; i++)
        if (r->runs[i].group == g)
            n += is_latency(m) && r->runs[i].nsamples ? r->runs[i].nsamples : 1;
    out->n = 0;
    out->v = malloc((n ? n : 1) * sizeof *out->v);
    if (!out->v)
        return -1;
    for (size_t i = 0; i < r->nruns; i++) {
        const struct fl_exp_run *run = &r->runs[i];
        if (run->group != g)
            continue;
        if (is_latency(m) && run->nsamples)
            for (size_t s = 0; s < run->nsamples; s++)
                out->v[out->n++] = run->samples[s].latency;
        else
            out->v[out->n++] = run_value(run, m);
    }
    return 0;
}

/* Successful samples of the group: load executions that exited 0 in time; batch runs (no
 * samples) that exited 0. */
static void count_successes(const struct fl_exp_result *r, enum fl_exp_group g, unsigned *ok,
                            unsigned *n)
{
    *ok = *n = 0;
    for (size_t i = 0; i < r->nruns; i++) {
        const struct fl_exp_run *run = &r->runs[i];
        if (run->group != g)
            continue;
        if (!run->nsamples) {
            (*n)++;
            *ok += run->exit_status == 0;
        }
        for (size_t s = 0; s < run->nsamples; s++) {
            (*n)++;
            *ok += run->samples[s].ok;
        }
    }
}

static double quantile_value(const struct values *x, double q)
{
    if (!x->n)
        return NAN;
    double *copy = malloc(x->n * sizeof *copy);
    if (!copy)
        return NAN;
    memcpy(copy, x->v, x->n * sizeof *copy);
    fl_stats_sort(copy, x->n);
    double value = fl_stats_quantile(copy, x->n, q);
    free(copy);
    return value;
}

static const struct fl_exp_run *paired_control(const struct fl_exp_result *r, unsigned pair)
{
    for (size_t i = 0; i < r->nruns; i++)
        if (r->runs[i].group == FL_GROUP_CONTROL && r->runs[i].pair == pair)
            return &r->runs[i];
    return NULL;
}

static bool group_has_runs(const struct fl_exp_result *r, enum fl_exp_group g)
{
    for (size_t i = 0; i < r->nruns; i++)
        if (r->runs[i].group == g)
            return true;
    return false;
}

/* ---- limits and the three-way rule ---------------------------------------------------------- */

static bool has_relative_bound(const struct fl_exp_check *c)
{
    return (c->min.set && c->min.relative) || (c->max.set && c->max.relative);
}

/* The bound on diff's scale (see the top of this file); NAN when not set. */
static double resolve(const struct fl_exp_bound *b, double control, bool relative_scale)
{
    if (!b->set)
        return NAN;
    if (b->relative)
        return control * b->percent / 100.0 + b->offset;
    return relative_scale ? b->value - control : b->value;
}

/* Held when the estimate is within the limits; deviated when the whole interval lies beyond
 * one; inconclusive when the estimate is beyond but the interval reaches back within. */
/* Whether x lies beyond the limit on its side (above: x > limit), by more than rounding: a
 * success rate of 95% against "control - 5%" of 100% is on the limit, not past it by 1e-17. */
static bool past(double x, double limit, bool above)
{
    double slack = 1e-9 * fmax(1.0, fmax(fabs(x), fabs(limit)));
    return !isnan(limit) && (above ? x > limit + slack : x < limit - slack);
}

static enum fl_verdict three_way(double est, double lo, double hi, double lim_lo, double lim_hi)
{
    bool above = past(est, lim_hi, true);
    bool below = past(est, lim_lo, false);
    if (!above && !below)
        return FL_VERDICT_HELD;
    if ((above && past(lo, lim_hi, true)) || (below && past(hi, lim_lo, false)))
        return FL_VERDICT_DEVIATED;
    return FL_VERDICT_INCONCLUSIVE;
}

/* Samples per group that would likely tell: the interval shrinks as 1/sqrt(n), so it clears
 * the limit at about n * (half-width / distance)^2; at least n + 1. */
static unsigned samples_needed(unsigned n, double est, double lo, double hi, double lim_lo,
                               double lim_hi)
{
    double limit = !isnan(lim_hi) && est > lim_hi ? lim_hi : lim_lo;
    double half = (hi - lo) / 2.0, gap = fabs(est - limit);
    double need = n + 1.0;
    if (isfinite(half) && gap > 0.0)
        need = fmax(need, ceil(n * (half / gap) * (half / gap)));
    return need > NEEDED_CAP ? NEEDED_CAP : (unsigned)need;
}

static void describe_limits(char *buf, size_t len, enum fl_exp_metric m, double lo, double hi,
                            bool signed_)
{
    char a[48], b[48];
    if (!isnan(lo) && !isnan(hi))
        snprintf(buf, len, "between %s and %s", fmt_value(a, sizeof a, m, lo, signed_),
                 fmt_value(b, sizeof b, m, hi, signed_));
    else if (!isnan(hi))
        snprintf(buf, len, "at most %s", fmt_value(a, sizeof a, m, hi, signed_));
    else
        snprintf(buf, len, "at least %s", fmt_value(a, sizeof a, m, lo, signed_));
}

/* The reason of a verdict on an estimate with an interval against limits. */
static void explain_interval(struct fl_exp_verdict *v, bool relative)
{
    enum fl_exp_metric m = v->check->metric;
    char est[48], lo[48], hi[48], limits[112], p[40] = "";
    describe_limits(limits, sizeof limits, m, v->limit_low, v->limit_high, relative);
    if (!isnan(v->p_value))
        snprintf(p, sizeof p, "; p = %.3g", v->p_value);
    const char *what = relative ? "difference from the control" : "the experiment's value";
    int at = snprintf(v->reason, sizeof v->reason, "%s: %s %s (95%% CI %s to %s%s), ",
                      check_name(v->check), what, fmt_value(est, sizeof est, m, v->diff, relative),
                      fmt_value(lo, sizeof lo, m, v->ci_low, relative),
                      fmt_value(hi, sizeof hi, m, v->ci_high, relative), p);
    if (at < 0 || (size_t)at >= sizeof v->reason)
        return;
    char *rest = v->reason + at;
    size_t room = sizeof v->reason - (size_t)at;
    switch (v->verdict) {
    case FL_VERDICT_HELD:
        snprintf(rest, room, "within the limit, %s", limits);
        break;
    case FL_VERDICT_DEVIATED:
        snprintf(rest, room, "beyond the limit, %s, with the whole interval", limits);
        break;
    case FL_VERDICT_INCONCLUSIVE:
        snprintf(rest, room, "beyond the limit, %s, but the interval reaches within it; about "
                 "%u samples per group would tell", limits, v->needed);
        break;
    }
}

static void too_few(struct fl_exp_verdict *v, unsigned needed)
{
    v->verdict = FL_VERDICT_INCONCLUSIVE;
    v->needed = needed;
    snprintf(v->reason, sizeof v->reason, "%s: too few samples to test (%u control, %u "
             "experiment); at least %u per group are needed", check_name(v->check),
             v->n_control, v->n_experiment, needed);
}

static void decide_interval(struct fl_exp_verdict *v, unsigned n, bool relative)
{
    v->verdict = three_way(v->diff, v->ci_low, v->ci_high, v->limit_low, v->limit_high);
    if (v->verdict == FL_VERDICT_INCONCLUSIVE)
        v->needed = samples_needed(n, v->diff, v->ci_low, v->ci_high, v->limit_low,
                                   v->limit_high);
    explain_interval(v, relative);
}

/* ---- the bounded metrics -------------------------------------------------------------------- */

/* The metric's values in the base group (a) and the tested group (b); -1 when out of memory,
 * with nothing held. */
static int collect_both(const struct fl_exp_result *r, enum fl_exp_group base,
                        enum fl_exp_group test, enum fl_exp_metric m, struct values *a,
                        struct values *b)
{
    if (collect(r, base, m, a) < 0)
        return -1;
    if (collect(r, test, m, b) < 0) {
        free(a->v);
        return -1;
    }
    return 0;
}

/* median latency and the per-run metrics: Hodges-Lehmann and Mann-Whitney against a relative
 * bound, a bootstrap interval of the experiment's median against an absolute one. */
static int judge_location(const struct fl_exp_result *r, enum fl_exp_group base,
                          enum fl_exp_group test, uint64_t seed, struct fl_exp_verdict *v)
{
    const struct fl_exp_check *c = v->check;
    bool relative = has_relative_bound(c);
    struct values a, b;
    if (collect_both(r, base, test, c->metric, &a, &b) < 0)
        return -1;
    int rc = 0;
    v->n_control = (unsigned)a.n;
    v->n_experiment = (unsigned)b.n;
    v->control = quantile_value(&a, 0.5);
    v->experiment = quantile_value(&b, 0.5);
    v->test = relative ? TEST_SHIFT : TEST_MEDIAN;
    v->limit_low = resolve(&c->min, v->control, relative);
    v->limit_high = resolve(&c->max, v->control, relative);
    size_t n = a.n < b.n ? a.n : b.n;
    if (n < MIN_PER_GROUP) {
        too_few(v, MIN_PER_GROUP);
        goto out;
    }
    if (relative) {
        struct fl_shift shift;
        struct fl_mann_whitney mw;
        if (fl_stats_hodges_lehmann(a.v, a.n, b.v, b.n, CONF, &shift) < 0 ||
            fl_stats_mann_whitney(a.v, a.n, b.v, b.n, &mw) < 0) {
            rc = -1;
            goto out;
        }
        v->diff = shift.estimate;
        v->ci_low = shift.lo;
        v->ci_high = shift.hi;
        v->p_value = mw.p;
        if (!isfinite(shift.lo) || !isfinite(shift.hi)) {
            too_few(v, (unsigned)n + 1 > MIN_PER_GROUP ? (unsigned)n + 1 : MIN_PER_GROUP);
            goto out;
        }
    } else if (fl_stats_bootstrap_quantile(NULL, 0, b.v, b.n, 0.5, 1.0, BOOTSTRAP_REPS, seed,
                                           CONF, &v->diff, &v->ci_low, &v->ci_high) < 0) {
        rc = -1;
        goto out;
    }
    decide_interval(v, (unsigned)n, relative);
out:
    free(a.v);
    free(b.v);
    return rc;
}

/* p95, p99: a bootstrap interval of q(experiment) - (1 + percent/100) q(control) against the
 * offset (relative), or of q(experiment) against the value (absolute). The relative interval is
 * shifted by percent/100 * q(control) so that diff stays experiment - control. */
static int judge_tail(const struct fl_exp_result *r, enum fl_exp_group base,
                      enum fl_exp_group test, uint64_t seed, struct fl_exp_verdict *v)
{
    const struct fl_exp_check *c = v->check;
    bool relative = has_relative_bound(c);
    double q = quantile_of(c->metric);
    struct values a, b;
    if (collect_both(r, base, test, c->metric, &a, &b) < 0)
        return -1;
    int rc = 0;
    v->n_control = (unsigned)a.n;
    v->n_experiment = (unsigned)b.n;
    v->test = relative ? TEST_QUANTILE_DIFF : TEST_QUANTILE;
    size_t n = a.n < b.n ? a.n : b.n;
    v->control = quantile_value(&a, q);
    v->experiment = quantile_value(&b, q);
    v->limit_low = resolve(&c->min, v->control, relative);
    v->limit_high = resolve(&c->max, v->control, relative);
    if (n < MIN_PER_GROUP) {
        too_few(v, MIN_PER_GROUP);
        goto out;
    }
    double est, lo, hi;
    double percent = c->max.set && c->max.relative ? c->max.percent : c->min.percent;
    double scale = relative ? 1.0 + percent / 100.0 : 1.0;
    if (fl_stats_bootstrap_quantile(relative ? a.v : NULL, a.n, b.v, b.n, q, scale,
                                    BOOTSTRAP_REPS, seed, CONF, &est, &lo, &hi) < 0) {
        rc = -1;
        goto out;
    }
    double back = relative ? (scale - 1.0) * v->control : 0.0;
    v->diff = est + back;
    v->ci_low = lo + back;
    v->ci_high = hi + back;
    decide_interval(v, (unsigned)n, relative);
out:
    free(a.v);
    free(b.v);
    return rc;
}

/* Newcombe's hybrid score interval (his method 10) for p_b - p_a from the Wilson intervals. */
static void newcombe(unsigned ok_a, unsigned n_a, unsigned ok_b, unsigned n_b, double *lo,
                     double *hi)
{
    double pa = (double)ok_a / n_a, pb = (double)ok_b / n_b, la, ua, lb, ub;
    fl_stats_wilson(ok_a, n_a, CONF, &la, &ua);
    fl_stats_wilson(ok_b, n_b, CONF, &lb, &ub);
    double d = pb - pa;
    *lo = d - sqrt((pb - lb) * (pb - lb) + (ua - pa) * (ua - pa));
    *hi = d + sqrt((ub - pb) * (ub - pb) + (pa - la) * (pa - la));
}

/* success_rate: relative, the difference of rates against the allowed change, deviated when
 * Fisher's one-sided exact test says the experiment's rate differs that way (p < 0.05);
 * absolute, the Wilson interval of the experiment's rate by the three-way rule. */
static void judge_success_rate(const struct fl_exp_result *r, enum fl_exp_group base,
                               enum fl_exp_group test, struct fl_exp_verdict *v)
{
    const struct fl_exp_check *c = v->check;
    bool relative = has_relative_bound(c);
    unsigned ok_a, n_a, ok_b, n_b;
    count_successes(r, base, &ok_a, &n_a);
    count_successes(r, test, &ok_b, &n_b);
    v->n_control = n_a;
    v->n_experiment = n_b;
    v->test = relative ? TEST_FISHER : TEST_WILSON;
    v->control = n_a ? (double)ok_a / n_a : NAN;
    v->experiment = n_b ? (double)ok_b / n_b : NAN;
    v->limit_low = resolve(&c->min, v->control, relative);
    v->limit_high = resolve(&c->max, v->control, relative);
    if (!n_b || (relative && !n_a)) {
        too_few(v, 1);
        return;
    }
    if (!relative) {
        v->diff = v->experiment;
        fl_stats_wilson(ok_b, n_b, CONF, &v->ci_low, &v->ci_high);
        decide_interval(v, n_b, false);
        return;
    }
    v->diff = v->experiment - v->control;
    newcombe(ok_a, n_a, ok_b, n_b, &v->ci_low, &v->ci_high);
    bool higher = !isnan(v->limit_high) && v->diff > v->limit_high;
    v->p_value = higher ? fl_stats_fisher_less(ok_a, n_a - ok_a, ok_b, n_b - ok_b)
                        : fl_stats_fisher_less(ok_b, n_b - ok_b, ok_a, n_a - ok_a);
    v->verdict = three_way(v->diff, v->ci_low, v->ci_high, v->limit_low, v->limit_high);
    if (v->verdict != FL_VERDICT_HELD)
        v->verdict = v->p_value < SIGNIFICANCE ? FL_VERDICT_DEVIATED : FL_VERDICT_INCONCLUSIVE;
    if (v->verdict == FL_VERDICT_INCONCLUSIVE)
        v->needed = samples_needed(n_b < n_a ? n_b : n_a, v->diff, v->ci_low, v->ci_high,
                                   v->limit_low, v->limit_high);
    explain_interval(v, true);
}

/* faults: the total injected over the experiment runs against absolute limits. */
static void judge_faults(const struct fl_exp_result *r, struct fl_exp_verdict *v)
{
    const struct fl_exp_check *c = v->check;
    double control = 0.0, total = 0.0;
    for (size_t i = 0; i < r->nruns; i++) {
        if (r->runs[i].group == FL_GROUP_CONTROL)
            control += (double)r->runs[i].faults, v->n_control++;
        else if (r->runs[i].group == FL_GROUP_EXPERIMENT)
            total += (double)r->runs[i].faults, v->n_experiment++;
    }
    v->test = TEST_TOTAL;
    v->control = control;
    v->experiment = v->diff = total;
    v->limit_low = resolve(&c->min, control, false);
    v->limit_high = resolve(&c->max, control, false);
    char limits[112];
    describe_limits(limits, sizeof limits, FL_M_FAULTS, v->limit_low, v->limit_high, false);
    v->verdict = three_way(total, total, total, v->limit_low, v->limit_high);
    if (total == 0.0 && !isnan(v->limit_low) && v->limit_low >= 1.0) {
        v->verdict = FL_VERDICT_INCONCLUSIVE;
        snprintf(v->reason, sizeof v->reason, "NO FAULT WAS INJECTED: this experiment proved "
                 "nothing; check the rules' calls, paths and target (%u experiment runs)",
                 v->n_experiment);
        return;
    }
    snprintf(v->reason, sizeof v->reason, "%s: %.0f faults injected over %u experiment runs, %s "
             "the limit, %s", check_name(c), total, v->n_experiment,
             v->verdict == FL_VERDICT_HELD ? "within" : "beyond", limits);
}

static int judge_bounded(const struct fl_exp_result *r, enum fl_exp_group base,
                         enum fl_exp_group test, uint64_t seed, struct fl_exp_verdict *v)
{
    switch (v->check->metric) {
    case FL_M_SUCCESS_RATE:
        judge_success_rate(r, base, test, v);
        return 0;
    case FL_M_FAULTS:
        judge_faults(r, v);
        return 0;
    case FL_M_LATENCY_P95:
    case FL_M_LATENCY_P99:
        return judge_tail(r, base, test, seed, v);
    default:
        return judge_location(r, base, test, seed, v);
    }
}

/* --aa: the same check between the two control groups; when it deviates there, the groups
 * differ without any fault and the verdict cannot be trusted. */
static int judge_noise(const struct fl_exp_result *r, uint64_t seed, struct fl_exp_verdict *v)
{
    struct fl_exp_verdict aa;
    init_verdict(&aa, v->check);
    if (judge_bounded(r, FL_GROUP_CONTROL, FL_GROUP_AA, seed, &aa) < 0)
        return -1;
    if (aa.verdict != FL_VERDICT_DEVIATED)
        return 0;
    enum fl_exp_metric m = v->check->metric;
    char d[48], lo[48], hi[48], limits[112];
    describe_limits(limits, sizeof limits, m, aa.limit_low, aa.limit_high, true);
    v->aa_noisy = true;
    v->verdict = FL_VERDICT_INCONCLUSIVE;
    v->needed = 0;
    snprintf(v->reason, sizeof v->reason, "%s: too noisy to judge: the two control groups "
             "differ by %s (95%% CI %s to %s), beyond the limit, %s", check_name(v->check),
             fmt_value(d, sizeof d, m, aa.diff, true), fmt_value(lo, sizeof lo, m, aa.ci_low, true),
             fmt_value(hi, sizeof hi, m, aa.ci_high, true), limits);
    return 0;
}

/* ---- the per-run checks --------------------------------------------------------------------- */

static bool status_allowed(const struct fl_exp_check *c, int status)
{
    for (size_t i = 0; i < c->nexit_in; i++)
        if (c->exit_in[i] == status)
            return true;
    return false;
}

static void list_statuses(char *buf, size_t len, const struct fl_exp_check *c)
{
    size_t at = 0;
    buf[0] = 0;
    for (size_t i = 0; i < c->nexit_in && at < len; i++) {
        int k = snprintf(buf + at, len - at, "%s%d", i ? ", " : "", c->exit_in[i]);
        if (k < 0)
            break;
        at += (size_t)k;
    }
}

static void judge_exit_status(const struct fl_exp_result *r, struct fl_exp_verdict *v)
{
    const struct fl_exp_check *c = v->check;
    char allowed[96];
    list_statuses(allowed, sizeof allowed, c);
    v->test = TEST_EVERY_RUN;
    for (size_t i = 0; i < r->nruns; i++)
        v->n_control += r->runs[i].group == FL_GROUP_CONTROL;
    for (size_t i = 0; i < r->nruns; i++) {
        const struct fl_exp_run *run = &r->runs[i];
        if (run->group != FL_GROUP_EXPERIMENT)
            continue;
        v->n_experiment++;
        if (c->same_as_control) {
            const struct fl_exp_run *ctl = paired_control(r, run->pair);
            if (!ctl) {
                v->verdict = FL_VERDICT_INCONCLUSIVE;
                snprintf(v->reason, sizeof v->reason, "%s: experiment run %u has no control "
                         "run to compare its exit status with", check_name(c), run->pair);
                return;
            }
            if (ctl->exit_status != run->exit_status) {
                v->verdict = FL_VERDICT_DEVIATED;
                v->control = ctl->exit_status;
                v->experiment = run->exit_status;
                snprintf(v->reason, sizeof v->reason, "%s: experiment run %u exited %d, its "
                         "control run %d", check_name(c), run->pair, run->exit_status,
                         ctl->exit_status);
                return;
            }
        } else if (!status_allowed(c, run->exit_status)) {
            v->verdict = FL_VERDICT_DEVIATED;
            v->experiment = run->exit_status;
            snprintf(v->reason, sizeof v->reason, "%s: experiment run %u exited %d, not one of "
                     "%s", check_name(c), run->pair, run->exit_status, allowed);
            return;
        }
    }
    if (!v->n_experiment) {
        snprintf(v->reason, sizeof v->reason, "%s: no experiment run to judge", check_name(c));
        return;
    }
    v->verdict = FL_VERDICT_HELD;
    if (c->same_as_control)
        snprintf(v->reason, sizeof v->reason, "%s: each of the %u experiment runs exited as "
                 "its control run did", check_name(c), v->n_experiment);
    else
        snprintf(v->reason, sizeof v->reason, "%s: each of the %u experiment runs exited with "
                 "one of %s", check_name(c), v->n_experiment, allowed);
}

/* text[0..len) with every match of re replaced by "*"; malloc'd, its length in *out_len. */
static char *mask_once(const char *text, size_t len, const regex_t *re, size_t *out_len)
{
    char *buf = NULL;
    FILE *f = open_memstream(&buf, out_len);
    if (!f)
        return NULL;
    size_t pos = 0;
    while (pos <= len) {
        regmatch_t m = {.rm_so = (regoff_t)pos, .rm_eo = (regoff_t)len};
        if (regexec(re, text, 1, &m, REG_STARTEND) != 0)
            break;
        fwrite(text + pos, 1, (size_t)m.rm_so - pos, f);
        fputc('*', f);
        if (m.rm_eo == m.rm_so) {     /* an empty match: keep the next byte and go past it */
            if ((size_t)m.rm_so < len)
                fputc(text[m.rm_so], f);
            pos = (size_t)m.rm_eo + 1;
        } else
            pos = (size_t)m.rm_eo;
    }
    if (pos < len)
        fwrite(text + pos, 1, len - pos, f);
    if (fclose(f) != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}

struct masked {
    char *text;
    size_t len;
};

/* A run's stdout with every mask applied in turn. Returns 0 or -1 (out of memory). */
static int mask_output(const struct fl_exp_run *run, const regex_t *res, size_t nres,
                       struct masked *out)
{
    size_t len = run->out ? run->out_len : 0;
    char *text = malloc(len + 1);
    if (!text)
        return -1;
    if (len)
        memcpy(text, run->out, len);
    text[len] = 0;
    for (size_t i = 0; i < nres; i++) {
        size_t next_len;
        char *next = mask_once(text, len, &res[i], &next_len);
        free(text);
        if (!next)
            return -1;
        text = next;
        len = next_len;
    }
    out->text = text;
    out->len = len;
    return 0;
}

static size_t first_difference(const struct masked *a, const struct masked *b)
{
    size_t i = 0;
    while (i < a->len && i < b->len && a->text[i] == b->text[i])
        i++;
    return i;
}

static bool same_text(const struct masked *a, const struct masked *b)
{
    return a->len == b->len && memcmp(a->text, b->text, a->len) == 0;
}

/* Compile pattern (the check's `what`, "mask" or "expect") into *re; when it does not compile,
 * the verdict's reason says so and it returns -1. */
static int compile_or_explain(struct fl_exp_verdict *v, const char *what, const char *pattern,
                              int flags, regex_t *re)
{
    int e = regcomp(re, pattern, REG_EXTENDED | REG_NEWLINE | flags);
    if (e != 0) {
        char msg[128];
        regerror(e, re, msg, sizeof msg);
        snprintf(v->reason, sizeof v->reason, "%s: %s \"%s\" is not a valid regular "
                 "expression (%s)", check_name(v->check), what, pattern, msg);
        return -1;
    }
    return 0;
}

static int compile_masks(struct fl_exp_verdict *v, regex_t *res, size_t *compiled)
{
    const struct fl_exp_check *c = v->check;
    for (*compiled = 0; *compiled < c->nmasks; (*compiled)++)
        if (compile_or_explain(v, "mask", c->masks[*compiled], 0, &res[*compiled]) < 0)
            return -1;
    return 0;
}

/* stdout: every experiment run's masked stdout equal to its control run's; the control runs
 * must agree among themselves first, or what differs is not the faults' doing. */
static int judge_stdout(const struct fl_exp_result *r, struct fl_exp_verdict *v)
{
    const struct fl_exp_check *c = v->check;
    v->test = TEST_EVERY_RUN_MASKED;
    regex_t *res = calloc(c->nmasks ? c->nmasks : 1, sizeof *res);
    struct masked *outs = calloc(r->nruns ? r->nruns : 1, sizeof *outs);
    size_t compiled = 0;
    int rc = 0;
    if (!res || !outs) {
        rc = -1;
        goto out;
    }
    if (compile_masks(v, res, &compiled) < 0)
        goto out;
    for (size_t i = 0; i < r->nruns; i++)
        if (r->runs[i].group != FL_GROUP_AA && mask_output(&r->runs[i], res, compiled,
                                                           &outs[i]) < 0) {
            rc = -1;
            goto out;
        }
    const struct fl_exp_run *first = NULL;
    size_t first_i = 0;
    for (size_t i = 0; i < r->nruns; i++) {
        if (r->runs[i].group != FL_GROUP_CONTROL)
            continue;
        v->n_control++;
        if (!first) {
            first = &r->runs[i];
            first_i = i;
        } else if (!same_text(&outs[first_i], &outs[i])) {
            snprintf(v->reason, sizeof v->reason, "%s: control runs differ; mask what varies "
                     "(control runs %u and %u differ at byte %zu after the masks)",
                     check_name(c), first->pair, r->runs[i].pair,
                     first_difference(&outs[first_i], &outs[i]));
            goto out;
        }
    }
    for (size_t i = 0; i < r->nruns; i++) {
        const struct fl_exp_run *run = &r->runs[i];
        if (run->group != FL_GROUP_EXPERIMENT)
            continue;
        v->n_experiment++;
        const struct fl_exp_run *ctl = paired_control(r, run->pair);
        if (!ctl) {
            snprintf(v->reason, sizeof v->reason, "%s: experiment run %u has no control run "
                     "to compare its output with", check_name(c), run->pair);
            goto out;
        }
        size_t ci = (size_t)(ctl - r->runs);
        if (!same_text(&outs[ci], &outs[i])) {
            v->verdict = FL_VERDICT_DEVIATED;
            snprintf(v->reason, sizeof v->reason, "%s: experiment run %u's output differs from "
                     "its control run's at byte %zu (after the masks)", check_name(c),
                     run->pair, first_difference(&outs[ci], &outs[i]));
            goto out;
        }
    }
    if (!v->n_experiment) {
        snprintf(v->reason, sizeof v->reason, "%s: no experiment run to judge", check_name(c));
        goto out;
    }
    v->verdict = FL_VERDICT_HELD;
    snprintf(v->reason, sizeof v->reason, "%s: each of the %u experiment runs wrote what its "
             "control run wrote (after %zu masks)", check_name(c), v->n_experiment, compiled);
out:
    for (size_t i = 0; res && i < compiled; i++)
        regfree(&res[i]);
    for (size_t i = 0; outs && i < r->nruns; i++)
        free(outs[i].text);
    free(res);
    free(outs);
    return rc;
}

/* after: the after command exited 0 after every experiment run, its output matching expect. */
static void judge_after(const struct fl_exp_result *r, struct fl_exp_verdict *v)
{
    const struct fl_exp_check *c = v->check;
    regex_t re;
    v->test = TEST_EVERY_RUN;
    if (c->expect && compile_or_explain(v, "expect", c->expect, REG_NOSUB, &re) < 0)
        return;
    for (size_t i = 0; i < r->nruns; i++)
        v->n_control += r->runs[i].group == FL_GROUP_CONTROL;
    for (size_t i = 0; i < r->nruns; i++) {
        const struct fl_exp_run *run = &r->runs[i];
        if (run->group != FL_GROUP_EXPERIMENT)
            continue;
        v->n_experiment++;
        if (run->after_status < 0) {
            snprintf(v->reason, sizeof v->reason, "%s: the after command did not run after "
                     "experiment run %u", check_name(c), run->pair);
            goto out;
        }
        if (run->after_status != 0) {
            v->verdict = FL_VERDICT_DEVIATED;
            v->experiment = run->after_status;
            snprintf(v->reason, sizeof v->reason, "%s: after experiment run %u the after "
                     "command exited %d", check_name(c), run->pair, run->after_status);
            goto out;
        }
        const char *output = run->after_output ? run->after_output : "";
        if (c->expect && regexec(&re, output, 0, NULL, 0) != 0) {
            v->verdict = FL_VERDICT_DEVIATED;
            snprintf(v->reason, sizeof v->reason, "%s: after experiment run %u the after "
                     "command's output \"%.60s\" does not match \"%s\"", check_name(c),
                     run->pair, output, c->expect);
            goto out;
        }
    }
    if (!v->n_experiment) {
        snprintf(v->reason, sizeof v->reason, "%s: no experiment run to judge", check_name(c));
        goto out;
    }
    v->verdict = FL_VERDICT_HELD;
    snprintf(v->reason, sizeof v->reason, "%s: after each of the %u experiment runs the after "
             "command exited 0%s%s%s", check_name(c), v->n_experiment,
             c->expect ? " and its output matched \"" : "", c->expect ? c->expect : "",
             c->expect ? "\"" : "");
out:
    if (c->expect)
        regfree(&re);
}

/* ---- the whole result ----------------------------------------------------------------------- */

static int judge_check(const struct fl_exp_result *r, uint64_t seed, size_t index,
                       struct fl_exp_verdict *v)
{
    /* Each check draws its bootstrap from its own stream, the A/A comparison from another. */
    uint64_t stream = fl_stats_run_seed(seed ^ UINT64_C(0x6a09e667f3bcc909), (unsigned)index);
    switch (v->check->metric) {
    case FL_M_EXIT_STATUS:
        judge_exit_status(r, v);
        return 0;
    case FL_M_STDOUT:
        return judge_stdout(r, v);
    case FL_M_AFTER:
        judge_after(r, v);
        return 0;
    default:
        break;
    }
    if (judge_bounded(r, FL_GROUP_CONTROL, FL_GROUP_EXPERIMENT, stream, v) < 0)
        return -1;
    if (has_relative_bound(v->check) && group_has_runs(r, FL_GROUP_AA))
        return judge_noise(r, fl_stats_run_seed(stream, 1), v);
    return 0;
}

int fl_exp_judge(struct fl_exp_result *result, uint64_t seed)
{
    const struct fl_exp_spec *spec = result->spec;
    size_t n = spec ? spec->nchecks : 0;
    struct fl_exp_verdict *verdicts = calloc(n ? n : 1, sizeof *verdicts);
    if (!verdicts)
        return -1;
    bool all_held = true;
    for (size_t i = 0; i < n; i++) {
        init_verdict(&verdicts[i], &spec->checks[i]);
        if (judge_check(result, seed, i, &verdicts[i]) < 0) {
            free(verdicts);
            return -1;
        }
        all_held &= verdicts[i].verdict == FL_VERDICT_HELD;
    }
    free(result->verdicts);
    result->verdicts = verdicts;
    result->nverdicts = n;
    if (result->aborted)
        result->exit_status = FL_EXIT_USAGE;
    else
        result->exit_status = all_held ? FL_EXIT_OK : FL_EXIT_FAIL;
    return 0;
}
