/* The statistics of faultline experiment (cli/stats.c) against published reference values; each
 * test names its source and its tolerance. */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "stats.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* ---- splitmix64 and the run seeds --------------------------------------------------------- */

/* Steele, Lea and Flood's splitmix64 as Vigna's splitmix64.c writes it, computed from that
 * definition with python3 (64-bit masked integers): from state 0 the
 * first outputs are 0xe220a8397b1dcdaf, 0x6e789e6aa1b965f4, 0x06c45d188009454f. */
START_TEST(splitmix64_reference_stream)
{
    uint64_t state = 0;
    ck_assert_uint_eq(fl_splitmix64(&state), UINT64_C(0xe220a8397b1dcdaf));
    ck_assert_uint_eq(fl_splitmix64(&state), UINT64_C(0x6e789e6aa1b965f4));
    ck_assert_uint_eq(fl_splitmix64(&state), UINT64_C(0x06c45d188009454f));
}
END_TEST

START_TEST(run_seed_is_stable_distinct_and_never_zero)
{
    ck_assert_uint_eq(fl_stats_run_seed(42, 3), fl_stats_run_seed(42, 3));
    ck_assert_uint_ne(fl_stats_run_seed(42, 3), fl_stats_run_seed(42, 4));
    ck_assert_uint_ne(fl_stats_run_seed(42, 3), fl_stats_run_seed(43, 3));
    for (unsigned pair = 0; pair < 1000; pair++)
        ck_assert_uint_ne(fl_stats_run_seed(0, pair), 0);
}
END_TEST

/* ---- the normal distribution -------------------------------------------------------------- */

/* Any table of the standard normal (and R's qnorm(0.975), pnorm(1.96)): qnorm(0.975) =
 * 1.959963984540054, pnorm(1.96) = 0.9750021048517795; qnorm(0.5) = 0; qnorm(1e-10) =
 * -6.361340902404056 (R). Tolerance 1e-12 relative. */
START_TEST(normal_reference_values)
{
    ck_assert_double_eq_tol(fl_stats_norm_quantile(0.975), 1.959963984540054, 2e-12);
    ck_assert_double_eq_tol(fl_stats_norm_quantile(0.025), -1.959963984540054, 2e-12);
    ck_assert_double_eq_tol(fl_stats_norm_cdf(1.96), 0.9750021048517795, 1e-14);
    ck_assert_double_eq_tol(fl_stats_norm_quantile(0.5), 0.0, 1e-15);
    ck_assert_double_eq_tol(fl_stats_norm_quantile(1e-10), -6.361340902404056, 1e-11);
}
END_TEST

/* Round trips over the lower tail, where cdf keeps full relative precision (in the upper tail
 * cdf(z) rounds towards 1 and the inverse can only be as good as 1 - p); the upper half by
 * symmetry. Tolerance 1e-9. */
START_TEST(normal_quantile_inverts_cdf)
{
    for (double z = -8.0; z <= 0.0; z += 0.25)
        ck_assert_double_eq_tol(fl_stats_norm_quantile(fl_stats_norm_cdf(z)), z, 1e-9);
    for (double p = 0.5; p < 0.99; p += 0.0625)
        ck_assert_double_eq_tol(fl_stats_norm_quantile(p), -fl_stats_norm_quantile(1.0 - p), 1e-12);
}
END_TEST

/* ---- quantiles ---------------------------------------------------------------------------- */

/* NumPy's numpy.percentile documentation: a = [[10, 7, 4], [3, 2, 1]]: np.percentile(a, 50) =
 * 3.5; along axis 0 [6.5, 4.5, 2.5]; along axis 1 [7., 2.]. Hyndman and Fan (1996) type 7 on
 * 1..4 at 0.25: 1 + 0.75 * (2 - 1) = 1.75. Exact to 1e-12. */
START_TEST(quantile_type7_numpy_examples)
{
    double all[] = {10, 7, 4, 3, 2, 1};
    fl_stats_sort(all, COUNT(all));
    ck_assert_double_eq_tol(fl_stats_quantile(all, COUNT(all), 0.5), 3.5, 1e-12);
    double col0[] = {3, 10}, col1[] = {2, 7}, col2[] = {1, 4};
    ck_assert_double_eq_tol(fl_stats_quantile(col0, 2, 0.5), 6.5, 1e-12);
    ck_assert_double_eq_tol(fl_stats_quantile(col1, 2, 0.5), 4.5, 1e-12);
    ck_assert_double_eq_tol(fl_stats_quantile(col2, 2, 0.5), 2.5, 1e-12);
    double row0[] = {4, 7, 10}, row1[] = {1, 2, 3};
    ck_assert_double_eq_tol(fl_stats_quantile(row0, 3, 0.5), 7.0, 1e-12);
    ck_assert_double_eq_tol(fl_stats_quantile(row1, 3, 0.5), 2.0, 1e-12);
    double four[] = {1, 2, 3, 4};
    ck_assert_double_eq_tol(fl_stats_quantile(four, 4, 0.25), 1.75, 1e-12);
    ck_assert_double_eq_tol(fl_stats_quantile(four, 4, 0.0), 1.0, 1e-12);
    ck_assert_double_eq_tol(fl_stats_quantile(four, 4, 1.0), 4.0, 1e-12);
    double one[] = {5};
    ck_assert_double_eq_tol(fl_stats_quantile(one, 1, 0.95), 5.0, 1e-12);
}
END_TEST

/* ---- Mann-Whitney U ----------------------------------------------------------------------- */

/* scipy.stats.mannwhitneyu documentation: males = [19, 22, 16, 29, 24], females = [20, 11,
 * 17, 12]: U = 17, exact two-sided p = 0.1111111111111111 (= 14/126). Tolerance 1e-12. */
START_TEST(mann_whitney_scipy_exact)
{
    double males[] = {19, 22, 16, 29, 24}, females[] = {20, 11, 17, 12};
    struct fl_mann_whitney mw;
    ck_assert_int_eq(fl_stats_mann_whitney(males, 5, females, 4, &mw), 0);
    ck_assert(mw.exact);
    ck_assert_double_eq_tol(mw.u, 17.0, 1e-12);
    ck_assert_double_eq_tol(mw.p, 0.1111111111111111, 1e-12);
    /* the other way round: U = 20 - 17 = 3, the same p */
    ck_assert_int_eq(fl_stats_mann_whitney(females, 4, males, 5, &mw), 0);
    ck_assert_double_eq_tol(mw.u, 3.0, 1e-12);
    ck_assert_double_eq_tol(mw.p, 0.1111111111111111, 1e-12);
}
END_TEST

/* R's wilcox.test documentation (Hollander and Wolfe 1973, p. 69): x = c(0.80, 0.83, 1.89,
 * 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46), y = c(1.15, 0.88, 0.90, 0.74, 1.21):
 * W = 35, one-sided p = 0.1272, so two-sided 0.2544 (R prints 4 digits: tolerance 5e-5). */
START_TEST(mann_whitney_r_hollander_wolfe)
{
    double x[] = {0.80, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46};
    double y[] = {1.15, 0.88, 0.90, 0.74, 1.21};
    struct fl_mann_whitney mw;
    ck_assert_int_eq(fl_stats_mann_whitney(x, COUNT(x), y, COUNT(y), &mw), 0);
    ck_assert(mw.exact);
    ck_assert_double_eq_tol(mw.u, 35.0, 1e-12);
    ck_assert_double_eq_tol(mw.p, 0.2544, 5e-5);
}
END_TEST

/* With ties: the normal approximation with tie and continuity corrections, as R's wilcox.test
 * prints it (endmemo.com/r/wilcoxon.php): x = c(1,5,9,24,56,21,3,7,21,4), y =
 * c(12,15,5,9,9,14,56,22,3,7,32,5): W = 51.5, p-value = 0.5966; and with y =
 * c(1233,4356,987,39999,1111,200000): W = 0, p-value = 0.001364. Tolerance: half the last
 * printed digit. */
START_TEST(mann_whitney_ties_normal_approximation)
{
    double x[] = {1, 5, 9, 24, 56, 21, 3, 7, 21, 4};
    double y[] = {12, 15, 5, 9, 9, 14, 56, 22, 3, 7, 32, 5};
    double y2[] = {1233, 4356, 987, 39999, 1111, 200000};
    struct fl_mann_whitney mw;
    ck_assert_int_eq(fl_stats_mann_whitney(x, COUNT(x), y, COUNT(y), &mw), 0);
    ck_assert(!mw.exact);
    ck_assert_double_eq_tol(mw.u, 51.5, 1e-12);
    ck_assert_double_eq_tol(mw.p, 0.5966, 5e-5);
    ck_assert_int_eq(fl_stats_mann_whitney(x, COUNT(x), y2, COUNT(y2), &mw), 0);
    ck_assert(!mw.exact);
    ck_assert_double_eq_tol(mw.u, 0.0, 1e-12);
    ck_assert_double_eq_tol(mw.p, 0.001364, 5e-7);
}
END_TEST

START_TEST(mann_whitney_all_equal_and_empty)
{
    double a[] = {1, 1, 1}, b[] = {1, 1};
    struct fl_mann_whitney mw;
    ck_assert_int_eq(fl_stats_mann_whitney(a, 3, b, 2, &mw), 0);
    ck_assert_double_eq_tol(mw.p, 1.0, 1e-15);
    ck_assert_int_eq(fl_stats_mann_whitney(a, 0, b, 2, &mw), -1);
}
END_TEST

/* ---- Hodges-Lehmann ----------------------------------------------------------------------- */

/* The Hollander and Wolfe data above; R's wilcox.test(x, y, conf.int = TRUE) takes the shift
 * x - y. No printed output was found, so the reference is R's algorithm computed independently
 * in python3 (U's null distribution by enumerating all C(15, 5) rank sets):
 *   from itertools import combinations; from statistics import median
 *   cnt = {}; [cnt.__setitem__(W, cnt.get(W, 0) + 1) for c in combinations(range(15), 5)
 *              for W in [sum(r + 1 for r in c) - 15]]
 *   qu = smallest u with sum(cnt[0..u]) / 3003 >= 0.025          -> 9
 *   d = sorted(a - b for a in x for b in y)
 *   median(d), d[qu - 1], d[50 - qu]           -> 0.305, -0.15, 0.76
 * Tolerance 1e-12. */
START_TEST(hodges_lehmann_moses_exact)
{
    double x[] = {0.80, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46};
    double y[] = {1.15, 0.88, 0.90, 0.74, 1.21};
    struct fl_shift s;
    ck_assert_int_eq(fl_stats_hodges_lehmann(y, COUNT(y), x, COUNT(x), 0.95, &s), 0);
    ck_assert_double_eq_tol(s.estimate, 0.305, 1e-12);
    ck_assert_double_eq_tol(s.lo, -0.15, 1e-12);
    ck_assert_double_eq_tol(s.hi, 0.76, 1e-12);
}
END_TEST

/* Three against three: P(U = 0) = 1/20 > 0.025, no 95% interval exists: -inf, +inf. A shift
 * of a whole sample by a constant moves the estimate and interval by that constant. */
START_TEST(hodges_lehmann_small_and_shifted)
{
    double a[] = {1, 2, 3}, b[] = {4, 5, 6};
    struct fl_shift s;
    ck_assert_int_eq(fl_stats_hodges_lehmann(a, 3, b, 3, 0.95, &s), 0);
    ck_assert_double_eq_tol(s.estimate, 3.0, 1e-12);
    ck_assert(isinf(s.lo) && s.lo < 0 && isinf(s.hi) && s.hi > 0);

    double c[] = {10, 12, 11, 15, 13, 14, 16, 18, 17, 19, 20, 22};
    double d[COUNT(c)];
    for (size_t i = 0; i < COUNT(c); i++)
        d[i] = c[(i + 5) % COUNT(c)] + 7.0;
    ck_assert_int_eq(fl_stats_hodges_lehmann(c, COUNT(c), d, COUNT(d), 0.95, &s), 0);
    ck_assert_double_eq_tol(s.estimate, 7.0, 1e-12);
    ck_assert(s.lo < 7.0 && s.hi > 7.0 && isfinite(s.lo) && isfinite(s.hi));
    ck_assert_int_eq(fl_stats_hodges_lehmann(c, 0, d, 3, 0.95, &s), -1);
}
END_TEST

/* ---- Fisher's exact test ------------------------------------------------------------------ */

/* Fisher (1935), R's fisher.test example "TeaTasting": [[3, 1], [1, 3]]: two-sided p = 0.4857
 * (= 34/70), one-sided 0.2429 (= 17/70; R's alternative "greater"; the mirrored table
 * [[1, 3], [3, 1]] gives it as "less"). Tolerance 1e-12 against the fractions. */
START_TEST(fisher_tea_tasting)
{
    ck_assert_double_eq_tol(fl_stats_fisher_two_sided(3, 1, 1, 3), 34.0 / 70.0, 1e-12);
    ck_assert_double_eq_tol(fl_stats_fisher_less(1, 3, 3, 1), 17.0 / 70.0, 1e-12);
    ck_assert_double_eq_tol(fl_stats_fisher_less(3, 1, 1, 3), 69.0 / 70.0, 1e-12);
}
END_TEST

/* R's fisher.test example "Convictions" (Fleiss 1981): matrix(c(2, 10, 15, 3), nrow = 2) =
 * [[2, 15], [10, 3]], alternative = "less": p-value = 0.0004652 (tolerance 5e-8).
 * scipy.stats.fisher_exact documentation (whales and sharks): [[8, 2], [1, 5]]: two-sided
 * pvalue = 0.0349650349650 (tolerance 1e-12). */
START_TEST(fisher_convictions_and_whales)
{
    ck_assert_double_eq_tol(fl_stats_fisher_less(2, 15, 10, 3), 0.0004652, 5e-8);
    ck_assert_double_eq_tol(fl_stats_fisher_two_sided(8, 2, 1, 5), 0.0349650349650, 1e-12);
    ck_assert_double_eq_tol(fl_stats_fisher_two_sided(0, 0, 0, 0), 1.0, 1e-12);
}
END_TEST

/* ---- Wilson ------------------------------------------------------------------------------- */

/* Newcombe (1998), Statistics in Medicine 17:857, Table I, 81/263: the score interval 0.2553 to
 * 0.3662 (4 digits, tolerance 5e-5); checked in python3 as
 *   z = statistics.NormalDist().inv_cdf(0.975); p = 81/263; den = 1 + z*z/263
 *   c = (p + z*z/526)/den; h = z*math.sqrt(p*(1-p)/263 + z*z/(4*263*263))/den
 *   c - h, c + h   -> 0.2552885198782743, 0.3662095769828001   (tolerance 1e-12)
 * and the edges: 0/n starts at 0, n/n ends at 1, n = 0 is [0, 1]. */
START_TEST(wilson_newcombe_table_one)
{
    double lo, hi;
    fl_stats_wilson(81, 263, 0.95, &lo, &hi);
    ck_assert_double_eq_tol(lo, 0.2553, 5e-5);
    ck_assert_double_eq_tol(hi, 0.3662, 5e-5);
    ck_assert_double_eq_tol(lo, 0.2552885198782743, 1e-12);
    ck_assert_double_eq_tol(hi, 0.3662095769828001, 1e-12);
    fl_stats_wilson(0, 10, 0.95, &lo, &hi);
    ck_assert(lo == 0.0 && hi > 0.0 && hi < 1.0);
    fl_stats_wilson(10, 10, 0.95, &lo, &hi);
    ck_assert(hi == 1.0 && lo > 0.0 && lo < 1.0);
    fl_stats_wilson(0, 0, 0.95, &lo, &hi);
    ck_assert(lo == 0.0 && hi == 1.0);
}
END_TEST

/* ---- the bootstrap ------------------------------------------------------------------------ */

static void uniform_sample(double *x, size_t n, uint64_t seed)
{
    uint64_t state = seed;
    for (size_t i = 0; i < n; i++)
        x[i] = (double)(fl_splitmix64(&state) >> 11) / 9007199254740992.0;
}

START_TEST(bootstrap_deterministic_per_seed)
{
    double a[30], b[30];
    uniform_sample(a, 30, 1);
    uniform_sample(b, 30, 2);
    double e1, l1, h1, e2, l2, h2, e3, l3, h3;
    ck_assert_int_eq(fl_stats_bootstrap_quantile(a, 30, b, 30, 0.95, 1.2, 500, 7, 0.95,
                                                 &e1, &l1, &h1), 0);
    ck_assert_int_eq(fl_stats_bootstrap_quantile(a, 30, b, 30, 0.95, 1.2, 500, 7, 0.95,
                                                 &e2, &l2, &h2), 0);
    ck_assert(e1 == e2 && l1 == l2 && h1 == h2);
    ck_assert_int_eq(fl_stats_bootstrap_quantile(a, 30, b, 30, 0.95, 1.2, 500, 8, 0.95,
                                                 &e3, &l3, &h3), 0);
    ck_assert(e3 == e1);
    ck_assert(l3 != l1 || h3 != h1);
    ck_assert(l1 <= e1 && e1 <= h1);
    ck_assert_int_eq(fl_stats_bootstrap_quantile(a, 0, b, 30, 0.5, 1.0, 10, 1, 0.95,
                                                 &e1, &l1, &h1), -1);
    ck_assert_int_eq(fl_stats_bootstrap_quantile(NULL, 0, b, 0, 0.5, 1.0, 10, 1, 0.95,
                                                 &e1, &l1, &h1), -1);
}
END_TEST

/* Coverage: 200 samples of 40 uniform values (fixed seeds); the 95% percentile interval of the
 * median should contain the true median 0.5 in about 95% of them (the percentile bootstrap of
 * a median at n = 40 is within a few points of nominal). The bound: were the true coverage as
 * low as 0.90, 200 trials give on average 180 hits with sd sqrt(200 * 0.9 * 0.1) = 4.2; 165
 * hits lies 3.5 sd below, so a correct interval fails this with probability below 3e-4; a
 * wrong one (an interval of the mean's, or a one-sided one) falls far below. It must also not
 * be much too wide: at most 199 hits. */
START_TEST(bootstrap_median_coverage)
{
    enum { TRIALS = 200, N = 40 };
    double x[N];
    unsigned hits = 0;
    for (unsigned t = 0; t < TRIALS; t++) {
        uniform_sample(x, N, 1000 + t);
        double est, lo, hi;
        ck_assert_int_eq(fl_stats_bootstrap_quantile(NULL, 0, x, N, 0.5, 1.0, 1000,
                                                     fl_stats_run_seed(99, t), 0.95, &est,
                                                     &lo, &hi), 0);
        hits += lo <= 0.5 && 0.5 <= hi;
    }
    ck_assert_uint_ge(hits, 165);
    ck_assert_uint_le(hits, 199);
}
END_TEST

static Suite *stats_suite(void)
{
    Suite *s = suite_create("stats");
    TCase *basics = tcase_create("basics");
    tcase_add_test(basics, splitmix64_reference_stream);
    tcase_add_test(basics, run_seed_is_stable_distinct_and_never_zero);
    tcase_add_test(basics, normal_reference_values);
    tcase_add_test(basics, normal_quantile_inverts_cdf);
    tcase_add_test(basics, quantile_type7_numpy_examples);
    suite_add_tcase(s, basics);
    TCase *tests = tcase_create("tests");
    tcase_add_test(tests, mann_whitney_scipy_exact);
    tcase_add_test(tests, mann_whitney_r_hollander_wolfe);
    tcase_add_test(tests, mann_whitney_ties_normal_approximation);
    tcase_add_test(tests, mann_whitney_all_equal_and_empty);
    tcase_add_test(tests, hodges_lehmann_moses_exact);
    tcase_add_test(tests, hodges_lehmann_small_and_shifted);
    tcase_add_test(tests, fisher_tea_tasting);
    tcase_add_test(tests, fisher_convictions_and_whales);
    tcase_add_test(tests, wilson_newcombe_table_one);
    suite_add_tcase(s, tests);
    TCase *boot = tcase_create("bootstrap");
    tcase_set_timeout(boot, 60);
    tcase_add_test(boot, bootstrap_deterministic_per_seed);
    tcase_add_test(boot, bootstrap_median_coverage);
    suite_add_tcase(s, boot);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(stats_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
