/* Statistics for faultline experiment: the established tests the judge names in its reports.
 * Pure functions of their inputs (the bootstrap of its seed too); no I/O, no global state.
 * Unit-tested in tests/unit/check_stats.c against published reference values. */
#ifndef FL_CLI_STATS_H
#define FL_CLI_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mix.h"


/* The seed of experiment run `pair` derived from the experiment's seed: splitmix64 of
 * seed + pair's golden-ratio multiple; never 0. The same (seed, pair) always gives the same. */
uint64_t fl_stats_run_seed(uint64_t seed, unsigned pair);

/* The standard normal distribution: P(Z <= z), and its inverse for 0 < p < 1. */
double fl_stats_norm_cdf(double z);
double fl_stats_norm_quantile(double p);

/* Sort x[0..n) ascending in place (NaN never given). */
void fl_stats_sort(double *x, size_t n);

/* The q-quantile (0 <= q <= 1) of sorted[0..n), n >= 1, interpolated linearly between order
 * statistics: Hyndman and Fan's type 7, R's and NumPy's default. */
double fl_stats_quantile(const double *sorted, size_t n, double q);

/* The Mann-Whitney U test of samples a and b (two-sided). u is U for a (the number of pairs
 * a_i > b_j, ties counting one half). The p-value is exact (the permutation distribution of U)
 * when there are no ties and na * nb <= 400; otherwise the normal approximation with the tie
 * correction and a continuity correction of 0.5 (as scipy.stats.mannwhitneyu's "asymptotic"). */
struct fl_mann_whitney {
    double u;
    double p;
    bool exact;
};
int fl_stats_mann_whitney(const double *a, size_t na, const double *b, size_t nb,
                          struct fl_mann_whitney *out);

/* The Hodges-Lehmann estimate of the shift b - a (the median of every b_j - a_i) and its
 * confidence interval at level conf (0.95), by Moses' method from the order statistics of those
 * differences, with the rank taken from U's distribution as fl_stats_mann_whitney computes it
 * (R's wilcox.test(b, a, conf.int = TRUE) does the same). Returns 0, or -1 when na or nb is 0
 * or memory ran out; lo and hi are -inf / +inf when the samples are too small for the level. */
struct fl_shift {
    double estimate, lo, hi;
};
int fl_stats_hodges_lehmann(const double *a, size_t na, const double *b, size_t nb, double conf,
                            struct fl_shift *out);

/* Fisher's exact test of the 2x2 table [[a, b], [c, d]]. Two-sided: the sum of the
 * probabilities of every table with the same margins no more likely than this one (R's
 * fisher.test, scipy's fisher_exact). less: P(first cell <= a) (a's row has a lower odds). */
double fl_stats_fisher_two_sided(unsigned a, unsigned b, unsigned c, unsigned d);
double fl_stats_fisher_less(unsigned a, unsigned b, unsigned c, unsigned d);

/* The Wilson score interval of a proportion k / n at level conf. n = 0 gives [0, 1]. */
void fl_stats_wilson(unsigned k, unsigned n, double conf, double *lo, double *hi);

/* A percentile bootstrap interval at level conf for the q-quantile of b minus (scale times the
 * q-quantile of a) (a = NULL: of b alone): reps resamples of each sample with replacement, drawn
 * from splitmix64(seed). The point estimate goes to *est. Returns 0, or -1 when a sample is
 * empty or memory ran out. */
int fl_stats_bootstrap_quantile(const double *a, size_t na, const double *b, size_t nb,
                                double q, double scale, unsigned reps, uint64_t seed,
                                double conf, double *est, double *lo, double *hi);

#endif
