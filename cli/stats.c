/* Statistics for faultline experiment (stats.h): the normal distribution, type 7
 * quantiles, Mann-Whitney U, Hodges-Lehmann with Moses' interval, Fisher's exact test, the
 * Wilson interval and a percentile bootstrap. Pure functions; libm does the special functions. */
#include "stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

uint64_t fl_stats_run_seed(uint64_t seed, unsigned pair)
{
    uint64_t state = seed + (uint64_t)pair * UINT64_C(0x9e3779b97f4a7c15);
    uint64_t run_seed = fl_splitmix64(&state);
    return run_seed ? run_seed : 1;
}

/* ---- the normal distribution ------------------------------------------------------------- */

double fl_stats_norm_cdf(double z)
{
    return 0.5 * erfc(-z / M_SQRT2);
}

/* Abramowitz and Stegun 26.2.23: the lower-tail quantile for 0 < p <= 0.5 to about 4.5e-4,
 * a starting point that Halley's method then takes to full precision. */
static double norm_quantile_start(double p)
{
    double t = sqrt(-2.0 * log(p));
    double num = 2.515517 + t * (0.802853 + t * 0.010328);
    double den = 1.0 + t * (1.432788 + t * (0.189269 + t * 0.001308));
    return -(t - num / den);
}

double fl_stats_norm_quantile(double p)
{
    if (!(p > 0.0 && p < 1.0))
        return p == 0.0 ? -INFINITY : p == 1.0 ? INFINITY : NAN;
    if (p > 0.5)
        return -fl_stats_norm_quantile(1.0 - p);
    double x = norm_quantile_start(p);
    /* Halley's method on cdf(x) - p (Acklam's refinement); erfc keeps the tail's precision. */
    for (int i = 0; i < 4; i++) {
        double e = fl_stats_norm_cdf(x) - p;
        double u = e * sqrt(2.0 * M_PI) * exp(x * x / 2.0);
        double step = u / (1.0 + x * u / 2.0);
        x -= step;
        if (fabs(step) <= 1e-16 * fabs(x))
            break;
    }
    return x;
}

/* ---- order statistics --------------------------------------------------------------------- */

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

void fl_stats_sort(double *x, size_t n)
{
    if (n > 1)
        qsort(x, n, sizeof *x, compare_doubles);
}

double fl_stats_quantile(const double *sorted, size_t n, double q)
{
    double h = (double)(n - 1) * q;
    size_t lo = (size_t)floor(h);
    if (lo >= n - 1)
        return sorted[n - 1];
    return sorted[lo] + (h - (double)lo) * (sorted[lo + 1] - sorted[lo]);
}

/* ---- Mann-Whitney U ----------------------------------------------------------------------- */

/* The number of arrangements of m a's and n b's giving each U = 0..m*n (no ties): the
 * coefficients of the Gaussian binomial [m+n choose m]_q = prod_{i=1..m} (1 - q^(n+i)) /
 * (1 - q^i), multiplied out one factor at a time. Every count fits a double exactly for
 * m * n <= 400 (at most C(40, 20)). Returns a malloc'd array of m*n + 1, or NULL. */
static double *u_counts(size_t m, size_t n)
{
    size_t top = m * n + m;
    double *c = calloc(top + 1, sizeof *c);
    if (!c)
        return NULL;
    c[0] = 1.0;
    for (size_t i = 1; i <= m; i++) {
        for (size_t u = top; u >= n + i; u--)
            c[u] -= c[u - (n + i)];
        for (size_t u = i; u <= top; u++)
            c[u] += c[u - i];
    }
    return c;
}

/* P(U <= u) for every u = 0..m*n from u_counts, in place. */
static void u_counts_to_cdf(double *c, size_t m, size_t n)
{
    double total = 0.0;
    for (size_t u = 0; u <= m * n; u++)
        total += c[u];
    double run = 0.0;
    for (size_t u = 0; u <= m * n; u++) {
        run += c[u];
        c[u] = run / total;
    }
}

static bool has_ties(const double *a, size_t na, const double *b, size_t nb, bool *oom)
{
    double *all = malloc((na + nb) * sizeof *all);
    *oom = !all;
    if (!all)
        return false;
    memcpy(all, a, na * sizeof *a);
    memcpy(all + na, b, nb * sizeof *b);
    fl_stats_sort(all, na + nb);
    bool tied = false;
    for (size_t i = 1; i < na + nb && !tied; i++)
        tied = all[i] == all[i - 1];
    free(all);
    return tied;
}

/* The standard deviation of U under the null with the tie correction:
 * sqrt(m n / 12 * ((N + 1) - sum(t^3 - t) / (N (N - 1)))) over the groups of t tied values. */
static double u_sd(const double *a, size_t na, const double *b, size_t nb, bool *oom)
{
    size_t n = na + nb;
    double *all = malloc(n * sizeof *all);
    *oom = !all;
    if (!all)
        return NAN;
    memcpy(all, a, na * sizeof *a);
    memcpy(all + na, b, nb * sizeof *b);
    fl_stats_sort(all, n);
    double ties = 0.0;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && all[j] == all[i])
            j++;
        double t = (double)(j - i);
        ties += t * t * t - t;
        i = j;
    }
    free(all);
    double nn = (double)n;
    double var = (double)na * (double)nb / 12.0 * ((nn + 1.0) - ties / (nn * (nn - 1.0)));
    return var > 0.0 ? sqrt(var) : 0.0;
}

static double u_statistic(const double *a, size_t na, const double *b, size_t nb)
{
    double u = 0.0;
    for (size_t i = 0; i < na; i++)
        for (size_t j = 0; j < nb; j++)
            u += a[i] > b[j] ? 1.0 : a[i] == b[j] ? 0.5 : 0.0;
    return u;
}

static bool exact_applies(size_t na, size_t nb, bool tied)
{
    return !tied && na * nb <= 400;
}

int fl_stats_mann_whitney(const double *a, size_t na, const double *b, size_t nb,
                          struct fl_mann_whitney *out)
{
    if (na == 0 || nb == 0)
        return -1;
    bool oom;
    bool tied = has_ties(a, na, b, nb, &oom);
    if (oom)
        return -1;
    out->u = u_statistic(a, na, b, nb);
    out->exact = exact_applies(na, nb, tied);
    double mean = (double)na * (double)nb / 2.0;
    if (out->exact) {
        size_t m = na < nb ? na : nb, n = na < nb ? nb : na;
        double *cdf = u_counts(m, n);
        if (!cdf)
            return -1;
        u_counts_to_cdf(cdf, m, n);
        /* U is symmetric about its mean: the smaller tail is the one at the nearer end. */
        size_t lower = (size_t)(out->u <= mean ? out->u : (double)(m * n) - out->u);
        out->p = fmin(1.0, 2.0 * cdf[lower]);
        free(cdf);
        return 0;
    }
    double sd = u_sd(a, na, b, nb, &oom);
    if (oom)
        return -1;
    if (sd == 0.0) {
        out->p = 1.0;
        return 0;
    }
    double z = (fabs(out->u - mean) - 0.5) / sd;
    out->p = z <= 0.0 ? 1.0 : fmin(1.0, erfc(z / M_SQRT2));
    return 0;
}

/* ---- Hodges-Lehmann and Moses' interval --------------------------------------------------- */

/* Moses' rank k for a two-sided interval at level conf: the interval is [d(k), d(mn - k + 1)]
 * of the sorted differences (1-based). Exact: the smallest k with P(U <= k) >= alpha / 2 (R's
 * qwilcox). Otherwise the normal approximation with continuity: k = floor(mn/2 + 0.5 - z sd).
 * 0 when the samples are too small for the level. */
static long moses_rank(const double *a, size_t na, const double *b, size_t nb, double conf,
                       bool *oom)
{
    double alpha = 1.0 - conf;
    bool tied = has_ties(a, na, b, nb, oom);
    if (*oom)
        return 0;
    if (exact_applies(na, nb, tied)) {
        size_t m = na < nb ? na : nb, n = na < nb ? nb : na;
        double *cdf = u_counts(m, n);
        if (!cdf) {
            *oom = true;
            return 0;
        }
        u_counts_to_cdf(cdf, m, n);
        long k = 0;
        while ((size_t)k < m * n && cdf[k] < alpha / 2.0 * (1.0 - 1e-12))
            k++;
        free(cdf);
        return k;
    }
    double sd = u_sd(a, na, b, nb, oom);
    if (*oom || sd == 0.0)
        return 0;
    double k = floor((double)na * (double)nb / 2.0 + 0.5 +
                     fl_stats_norm_quantile(alpha / 2.0) * sd);
    return k < 0.0 ? 0 : (long)k;
}

int fl_stats_hodges_lehmann(const double *a, size_t na, const double *b, size_t nb, double conf,
                            struct fl_shift *out)
{
    if (na == 0 || nb == 0)
        return -1;
    size_t mn = na * nb;
    double *diffs = malloc(mn * sizeof *diffs);
    if (!diffs)
        return -1;
    for (size_t i = 0; i < na; i++)
        for (size_t j = 0; j < nb; j++)
            diffs[i * nb + j] = b[j] - a[i];
    fl_stats_sort(diffs, mn);
    out->estimate = fl_stats_quantile(diffs, mn, 0.5);
    bool oom;
    long k = moses_rank(a, na, b, nb, conf, &oom);
    if (oom) {
        free(diffs);
        return -1;
    }
    if (k < 1 || (size_t)k > mn / 2 + 1) {
        out->lo = -INFINITY;
        out->hi = INFINITY;
    } else {
        out->lo = diffs[k - 1];
        out->hi = diffs[mn - (size_t)k];
    }
    free(diffs);
    return 0;
}

/* ---- Fisher's exact test ------------------------------------------------------------------ */

static double log_choose(double n, double k)
{
    return lgamma(n + 1.0) - lgamma(k + 1.0) - lgamma(n - k + 1.0);
}

/* The hypergeometric probability of first cell x given the margins: row1 = a + b, col1 =
 * a + c, total N. */
static double table_probability(double x, double row1, double col1, double total)
{
    return exp(log_choose(col1, x) + log_choose(total - col1, row1 - x) -
               log_choose(total, row1));
}

double fl_stats_fisher_two_sided(unsigned a, unsigned b, unsigned c, unsigned d)
{
    double row1 = (double)a + b, col1 = (double)a + c, total = (double)a + b + c + d;
    double lo = fmax(0.0, col1 - (total - row1)), hi = fmin(row1, col1);
    double observed = table_probability(a, row1, col1, total);
    double p = 0.0;
    for (double x = lo; x <= hi; x++) {
        double px = table_probability(x, row1, col1, total);
        if (px <= observed * (1.0 + 1e-7))
            p += px;
    }
    return fmin(1.0, p);
}

double fl_stats_fisher_less(unsigned a, unsigned b, unsigned c, unsigned d)
{
    double row1 = (double)a + b, col1 = (double)a + c, total = (double)a + b + c + d;
    double lo = fmax(0.0, col1 - (total - row1));
    double p = 0.0;
    for (double x = lo; x <= a; x++)
        p += table_probability(x, row1, col1, total);
    return fmin(1.0, p);
}

/* ---- the Wilson score interval ------------------------------------------------------------ */

void fl_stats_wilson(unsigned k, unsigned n, double conf, double *lo, double *hi)
{
    if (n == 0) {
        *lo = 0.0;
        *hi = 1.0;
        return;
    }
    double z = fl_stats_norm_quantile(1.0 - (1.0 - conf) / 2.0);
    double nn = n, p = (double)k / nn, z2 = z * z;
    double denom = 1.0 + z2 / nn;
    double centre = (p + z2 / (2.0 * nn)) / denom;
    double half = z * sqrt(p * (1.0 - p) / nn + z2 / (4.0 * nn * nn)) / denom;
    *lo = k == 0 ? 0.0 : fmax(0.0, centre - half);
    *hi = k == n ? 1.0 : fmin(1.0, centre + half);
}

/* ---- the bootstrap ------------------------------------------------------------------------ */

/* A uniform index below n from the stream (Lemire's multiply-shift; the bias is below n/2^64). */
static size_t draw_index(uint64_t *state, size_t n)
{
    return (size_t)(((unsigned __int128)fl_splitmix64(state) * n) >> 64);
}

/* The q-quantile of a resample of x[0..n) drawn into buf. */
static double resample_quantile(const double *x, size_t n, double *buf, double q,
                                uint64_t *state)
{
    for (size_t i = 0; i < n; i++)
        buf[i] = x[draw_index(state, n)];
    fl_stats_sort(buf, n);
    return fl_stats_quantile(buf, n, q);
}

static double sample_quantile(const double *x, size_t n, double *buf, double q)
{
    memcpy(buf, x, n * sizeof *x);
    fl_stats_sort(buf, n);
    return fl_stats_quantile(buf, n, q);
}

int fl_stats_bootstrap_quantile(const double *a, size_t na, const double *b, size_t nb,
                                double q, double scale, unsigned reps, uint64_t seed,
                                double conf, double *est, double *lo, double *hi)
{
    if ((a && na == 0) || nb == 0 || reps == 0)
        return -1;
    size_t nbuf = a && na > nb ? na : nb;
    double *buf = malloc(nbuf * sizeof *buf);
    double *stat = malloc(reps * sizeof *stat);
    if (!buf || !stat) {
        free(buf);
        free(stat);
        return -1;
    }
    *est = sample_quantile(b, nb, buf, q) - (a ? scale * sample_quantile(a, na, buf, q) : 0.0);
    uint64_t state = seed;
    for (unsigned r = 0; r < reps; r++) {
        double qb = resample_quantile(b, nb, buf, q, &state);
        double qa = a ? resample_quantile(a, na, buf, q, &state) : 0.0;
        stat[r] = qb - scale * qa;
    }
    fl_stats_sort(stat, reps);
    double tail = (1.0 - conf) / 2.0;
    *lo = fl_stats_quantile(stat, reps, tail);
    *hi = fl_stats_quantile(stat, reps, 1.0 - tail);
    free(buf);
    free(stat);
    return 0;
}
