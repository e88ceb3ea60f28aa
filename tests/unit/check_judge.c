/* The judge of faultline experiment (cli/judge.c): specs and results built by hand, one verdict
 * per check, and the result's exit status. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "experiment.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))
#define MAX_RUNS 64
#define MAX_SAMPLES 64

/* A hand-built experiment: runs with their samples in fixed arrays, no allocation to free. */
struct fixture {
    struct fl_exp_spec spec;
    struct fl_exp_check checks[4];
    struct fl_exp_result result;
    struct fl_exp_run runs[MAX_RUNS];
    struct fl_exp_sample samples[MAX_RUNS][MAX_SAMPLES];
};

static struct fixture *fixture_new(void)
{
    struct fixture *f = calloc(1, sizeof *f);
    ck_assert_ptr_nonnull(f);
    f->spec.name = "test";
    f->spec.checks = f->checks;
    f->result.spec = &f->spec;
    f->result.runs = f->runs;
    return f;
}

static void fixture_free(struct fixture *f)
{
    free(f->result.verdicts);
    free(f);
}

static struct fl_exp_check *add_check(struct fixture *f, const char *name, enum fl_exp_metric m)
{
    struct fl_exp_check *c = &f->checks[f->spec.nchecks++];
    c->name = (char *)name;
    c->metric = m;
    return c;
}

static struct fl_exp_run *add_run(struct fixture *f, enum fl_exp_group g, unsigned pair)
{
    ck_assert_uint_lt(f->result.nruns, MAX_RUNS);
    struct fl_exp_run *run = &f->runs[f->result.nruns];
    run->index = (unsigned)f->result.nruns++;
    run->group = g;
    run->pair = pair;
    run->after_status = -1;
    run->samples = f->samples[run->index];
    return run;
}

static void add_sample(struct fl_exp_run *run, double latency, bool ok)
{
    ck_assert_uint_lt(run->nsamples, MAX_SAMPLES);
    run->samples[run->nsamples].latency = latency;
    run->samples[run->nsamples++].ok = ok;
}

/* A latency for sample i of a group: a fixed spread around base (no two alike). */
static double spread(double base, unsigned i)
{
    return base * (1.0 + 0.02 * (double)((i * 7) % 11));
}

/* runs control and experiment runs of per_run samples each; the experiment's latency is the
 * control's times factor; every sample ok. Each run injected `faults`. */
static void add_latency_runs(struct fixture *f, unsigned runs, unsigned per_run, double factor,
                             uint64_t faults)
{
    for (unsigned g = 0; g < 2; g++)
        for (unsigned r = 0; r < runs; r++) {
            struct fl_exp_run *run = add_run(f, g ? FL_GROUP_EXPERIMENT : FL_GROUP_CONTROL, r);
            run->faults = g ? faults : 0;
            for (unsigned s = 0; s < per_run; s++)
                add_sample(run, spread(g ? 0.010 * factor : 0.010, r * per_run + s), true);
        }
}

static struct fl_exp_bound relative(double percent, double offset)
{
    return (struct fl_exp_bound){.set = true, .relative = true, .percent = percent,
                                 .offset = offset};
}

static struct fl_exp_bound absolute(double value)
{
    return (struct fl_exp_bound){.set = true, .value = value};
}

static const struct fl_exp_verdict *judge(struct fixture *f, size_t i)
{
    ck_assert_int_eq(fl_exp_judge(&f->result, 1), 0);
    ck_assert_uint_eq(f->result.nverdicts, f->spec.nchecks);
    ck_assert_ptr_eq(f->result.verdicts[i].check, &f->checks[i]);
    ck_assert_str_ne(f->result.verdicts[i].reason, "");
    return &f->result.verdicts[i];
}

/* ---- latency ------------------------------------------------------------------------------ */

START_TEST(median_within_relative_bound_held)
{
    struct fixture *f = fixture_new();
    add_latency_runs(f, 5, 10, 1.05, 3);
    add_check(f, "median", FL_M_LATENCY_MEDIAN)->max = relative(20, 0.005);
    const struct fl_exp_verdict *v = judge(f, 0);
    ck_assert_int_eq(v->verdict, FL_VERDICT_HELD);
    ck_assert_str_eq(v->test, "Mann-Whitney U, Hodges-Lehmann shift and 95% CI");
    ck_assert_uint_eq(v->n_control, 50);
    ck_assert_uint_eq(v->n_experiment, 50);
    ck_assert(v->diff > 0.0 && v->diff < v->limit_high);
    ck_assert(v->ci_low <= v->diff && v->diff <= v->ci_high);
    /* the allowed shift: 20% of the control's median plus 5 ms */
    ck_assert_double_eq_tol(v->limit_high, v->control * 0.2 + 0.005, 1e-12);
    ck_assert(isnan(v->limit_low));
    ck_assert(!isnan(v->p_value));
    ck_assert_ptr_nonnull(strstr(v->reason, "ms"));
    ck_assert_int_eq(f->result.exit_status, FL_EXIT_OK);
    fixture_free(f);
}
END_TEST

START_TEST(median_far_beyond_relative_bound_deviated)
{
    struct fixture *f = fixture_new();
    add_latency_runs(f, 5, 10, 3.0, 3);
    add_check(f, "median", FL_M_LATENCY_MEDIAN)->max = relative(20, 0);
    const struct fl_exp_verdict *v = judge(f, 0);
    ck_assert_int_eq(v->verdict, FL_VERDICT_DEVIATED);
    ck_assert(v->ci_low > v->limit_high);
    ck_assert(v->p_value < 0.001);
    ck_assert_int_eq(f->result.exit_status, FL_EXIT_FAIL);
    fixture_free(f);
}
END_TEST

/* Beyond the limit by a little, with an interval wide enough to reach back: inconclusive, and
 * more samples than there are would be needed. */
START_TEST(median_barely_beyond_inconclusive_with_needed)
{
    struct fixture *f = fixture_new();
    double control[] = {10, 14, 8, 20, 12, 9, 16, 11};
    double experiment[] = {13, 17, 11, 23, 15, 12, 19, 14};
    for (unsigned r = 0; r < COUNT(control); r++) {
        add_sample(add_run(f, FL_GROUP_CONTROL, r), control[r] / 1000, true);
        add_sample(add_run(f, FL_GROUP_EXPERIMENT, r), experiment[r] / 1000, true);
        f->runs[f->result.nruns - 1].faults = 1;
    }
    add_check(f, "median", FL_M_LATENCY_MEDIAN)->max = relative(0, 0.002);
    const struct fl_exp_verdict *v = judge(f, 0);
    ck_assert_int_eq(v->verdict, FL_VERDICT_INCONCLUSIVE);
    ck_assert(v->diff > v->limit_high && v->ci_low <= v->limit_high);
    ck_assert_uint_gt(v->needed, COUNT(control));
    ck_assert_int_eq(f->result.exit_status, FL_EXIT_FAIL);
    fixture_free(f);
}
END_TEST

START_TEST(too_few_samples_inconclusive)
{
    struct fixture *f = fixture_new();
    add_latency_runs(f, 3, 1, 5.0, 1);
    add_check(f, "median", FL_M_LATENCY_MEDIAN)->max = relative(10, 0);
    const struct fl_exp_verdict *v = judge(f, 0);
    ck_assert_int_eq(v->verdict, FL_VERDICT_INCONCLUSIVE);
    ck_assert_uint_eq(v->needed, 4);
    ck_assert_ptr_nonnull(strstr(v->reason, "too few"));
    fixture_free(f);
}
END_TEST

START_TEST(absolute_median_and_p95_bootstrap)
{
    struct fixture *f = fixture_new();
    add_latency_runs(f, 4, 10, 1.0, 2);
    add_check(f, "fast", FL_M_LATENCY_MEDIAN)->max = absolute(0.250);
    add_check(f, "p95", FL_M_LATENCY_P95)->max = absolute(0.005);
    add_check(f, "p95 rel", FL_M_LATENCY_P95)->max = relative(20, 0.005);
    ck_assert_int_eq(fl_exp_judge(&f->result, 7), 0);
    const struct fl_exp_verdict *v = f->result.verdicts;
    ck_assert_int_eq(v[0].verdict, FL_VERDICT_HELD);
    ck_assert(v[0].diff == v[0].experiment && v[0].limit_high == 0.250);
    ck_assert_int_eq(v[1].verdict, FL_VERDICT_DEVIATED);
    ck_assert(v[1].ci_low > 0.005);
    ck_assert_int_eq(v[2].verdict, FL_VERDICT_HELD);
    ck_assert_double_eq_tol(v[2].diff, v[2].experiment - v[2].control, 1e-12);
    /* the same seed, the same intervals */
    double lo = v[1].ci_low, hi = v[1].ci_high;
    ck_assert_int_eq(fl_exp_judge(&f->result, 7), 0);
    ck_assert(f->result.verdicts[1].ci_low == lo && f->result.verdicts[1].ci_high == hi);
    fixture_free(f);
}
END_TEST

/* --aa: the two control groups differ as much as the experiment does: too noisy. */
START_TEST(aa_groups_differing_make_it_noisy)
{
    struct fixture *f = fixture_new();
    add_latency_runs(f, 5, 10, 3.0, 3);
    for (unsigned r = 0; r < 5; r++) {
        struct fl_exp_run *run = add_run(f, FL_GROUP_AA, r);
        for (unsigned s = 0; s < 10; s++)
            add_sample(run, spread(0.030, r * 10 + s), true);
    }
    add_check(f, "median", FL_M_LATENCY_MEDIAN)->max = relative(20, 0);
    const struct fl_exp_verdict *v = judge(f, 0);
    ck_assert(v->aa_noisy);
    ck_assert_int_eq(v->verdict, FL_VERDICT_INCONCLUSIVE);
    ck_assert_ptr_nonnull(strstr(v->reason, "too noisy to judge"));
    fixture_free(f);
}
END_TEST

START_TEST(aa_groups_alike_leave_the_verdict)
{
    struct fixture *f = fixture_new();
    add_latency_runs(f, 5, 10, 3.0, 3);
    for (unsigned r = 0; r < 5; r++) {
        struct fl_exp_run *run = add_run(f, FL_GROUP_AA, r);
        for (unsigned s = 0; s < 10; s++)
            add_sample(run, spread(0.010, r * 10 + s + 3), true);
    }
    add_check(f, "median", FL_M_LATENCY_MEDIAN)->max = relative(20, 0);
    const struct fl_exp_verdict *v = judge(f, 0);
    ck_assert(!v->aa_noisy);
    ck_assert_int_eq(v->verdict, FL_VERDICT_DEVIATED);
    fixture_free(f);
}
END_TEST

/* ---- faults ------------------------------------------------------------------------------- */

START_TEST(zero_faults_is_loudly_inconclusive)
{
    struct fixture *f = fixture_new();
    add_latency_runs(f, 5, 4, 1.0, 0);
    add_check(f, "faults", FL_M_FAULTS)->min = absolute(1);
    const struct fl_exp_verdict *v = judge(f, 0);
    ck_assert_int_eq(v->verdict, FL_VERDICT_INCONCLUSIVE);
    ck_assert_ptr_nonnull(strstr(v->reason, "NO FAULT WAS INJECTED"));
    ck_assert_int_eq(f->result.exit_status, FL_EXIT_FAIL);
    fixture_free(f);
}
END_TEST

START_TEST(faults_within_and_beyond)
{
    struct fixture *f = fixture_new();
    add_latency_runs(f, 5, 4, 1.0, 3);
    add_check(f, "some", FL_M_FAULTS)->min = absolute(1);
    add_check(f, "few", FL_M_FAULTS)->max = absolute(10);
    ck_assert_int_eq(fl_exp_judge(&f->result, 1), 0);
    ck_assert_int_eq(f->result.verdicts[0].verdict, FL_VERDICT_HELD);
    ck_assert_double_eq_tol(f->result.verdicts[0].experiment, 15, 1e-12);
    ck_assert_int_eq(f->result.verdicts[1].verdict, FL_VERDICT_DEVIATED);
    fixture_free(f);
}
END_TEST

/* ---- success rate ------------------------------------------------------------------------- */

static void add_rate_runs(struct fixture *f, unsigned ok_control, unsigned ok_experiment,
                          unsigned n)
{
    struct fl_exp_run *c = add_run(f, FL_GROUP_CONTROL, 0);
    struct fl_exp_run *e = add_run(f, FL_GROUP_EXPERIMENT, 0);
    e->faults = 5;
    for (unsigned i = 0; i < n; i++) {
        add_sample(c, 0.01, i < ok_control);
        add_sample(e, 0.01, i < ok_experiment);
    }
}

START_TEST(success_rate_drop_fisher_deviated)
{
    struct fixture *f = fixture_new();
    add_rate_runs(f, 40, 20, 40);
    add_check(f, "rate", FL_M_SUCCESS_RATE)->min = relative(-5, 0);
    const struct fl_exp_verdict *v = judge(f, 0);
    ck_assert_int_eq(v->verdict, FL_VERDICT_DEVIATED);
    ck_assert(v->p_value < 0.05);
    ck_assert_double_eq_tol(v->diff, -0.5, 1e-12);
    ck_assert_double_eq_tol(v->limit_low, -0.05, 1e-12);
    ck_assert_str_eq(v->test, "Fisher's exact, one-sided; Newcombe 95% CI of the difference");
    ck_assert_ptr_nonnull(strstr(v->reason, "%"));
    fixture_free(f);
}
END_TEST

/* One failure in twenty: beyond a 1% allowance, but Fisher cannot tell it from chance. */
START_TEST(success_rate_small_drop_inconclusive)
{
    struct fixture *f = fixture_new();
    add_rate_runs(f, 20, 19, 20);
    add_check(f, "rate", FL_M_SUCCESS_RATE)->min = relative(-1, 0);
    const struct fl_exp_verdict *v = judge(f, 0);
    ck_assert_int_eq(v->verdict, FL_VERDICT_INCONCLUSIVE);
    ck_assert(v->p_value >= 0.05);
    ck_assert_uint_gt(v->needed, 20);
    fixture_free(f);
}
END_TEST

/* 19 of 20 against "control - 5%" of 20 of 20: on the limit (0.95 - 1.0 is -0.05 only up to
 * rounding), which holds. */
START_TEST(success_rate_on_the_limit_holds)
{
    struct fixture *f = fixture_new();
    add_rate_runs(f, 20, 19, 20);
    add_check(f, "rate", FL_M_SUCCESS_RATE)->min = relative(-5, 0);
    const struct fl_exp_verdict *v = judge(f, 0);
    ck_assert_int_eq(v->verdict, FL_VERDICT_HELD);
    fixture_free(f);
}
END_TEST

START_TEST(success_rate_absolute_wilson)
{
    struct fixture *f = fixture_new();
    add_rate_runs(f, 40, 39, 40);
    add_check(f, "rate", FL_M_SUCCESS_RATE)->min = absolute(0.5);
    const struct fl_exp_verdict *v = judge(f, 0);
    ck_assert_int_eq(v->verdict, FL_VERDICT_HELD);
    ck_assert_str_eq(v->test, "Wilson, 95% score interval");
    ck_assert(v->ci_low > 0.5 && v->ci_high <= 1.0);
    fixture_free(f);
}
END_TEST

/* ---- exit status, stdout, after ---------------------------------------------------------- */

static void add_batch_runs(struct fixture *f, unsigned n, const int *control_status,
                           const int *experiment_status)
{
    for (unsigned i = 0; i < n; i++) {
        add_run(f, FL_GROUP_CONTROL, i)->exit_status = control_status[i];
        struct fl_exp_run *e = add_run(f, FL_GROUP_EXPERIMENT, i);
        e->exit_status = experiment_status[i];
        e->faults = 1;
    }
}

START_TEST(exit_status_in_and_same_as_control)
{
    struct fixture *f = fixture_new();
    int control[] = {0, 0, 0}, experiment[] = {0, 1, 2};
    add_batch_runs(f, 3, control, experiment);
    int allowed[] = {0, 1};
    struct fl_exp_check *in = add_check(f, "in", FL_M_EXIT_STATUS);
    in->exit_in = allowed;
    in->nexit_in = 2;
    add_check(f, "same", FL_M_EXIT_STATUS)->same_as_control = true;
    int wide[] = {0, 1, 2};
    struct fl_exp_check *all = add_check(f, "all", FL_M_EXIT_STATUS);
    all->exit_in = wide;
    all->nexit_in = 3;
    ck_assert_int_eq(fl_exp_judge(&f->result, 1), 0);
    const struct fl_exp_verdict *v = f->result.verdicts;
    ck_assert_int_eq(v[0].verdict, FL_VERDICT_DEVIATED);
    ck_assert_ptr_nonnull(strstr(v[0].reason, "experiment run 2 exited 2"));
    ck_assert_str_eq(v[0].test, "every run");
    ck_assert_int_eq(v[1].verdict, FL_VERDICT_DEVIATED);
    ck_assert_ptr_nonnull(strstr(v[1].reason, "experiment run 1 exited 1"));
    ck_assert_int_eq(v[2].verdict, FL_VERDICT_HELD);
    fixture_free(f);
}
END_TEST

static void set_out(struct fl_exp_run *run, const char *text)
{
    run->out = (char *)text;
    run->out_len = strlen(text);
}

START_TEST(stdout_masks)
{
    struct fixture *f = fixture_new();
    int zero[] = {0, 0};
    add_batch_runs(f, 2, zero, zero);
    set_out(&f->runs[0], "done in 12 ms, pid 100\n");
    set_out(&f->runs[1], "done in 40 ms, pid 230\n");
    set_out(&f->runs[2], "done in 13 ms, pid 101\n");
    set_out(&f->runs[3], "done in 9 ms, pid 102\n");
    char *masks[] = {"[0-9]+ ms", "pid [0-9]+"};
    struct fl_exp_check *masked = add_check(f, "masked", FL_M_STDOUT);
    masked->masks = masks;
    masked->nmasks = 2;
    struct fl_exp_check *half = add_check(f, "half", FL_M_STDOUT);
    half->masks = masks;
    half->nmasks = 1;
    ck_assert_int_eq(fl_exp_judge(&f->result, 1), 0);
    ck_assert_int_eq(f->result.verdicts[0].verdict, FL_VERDICT_HELD);
    ck_assert_int_eq(f->result.verdicts[1].verdict, FL_VERDICT_INCONCLUSIVE);
    ck_assert_ptr_nonnull(strstr(f->result.verdicts[1].reason, "control runs differ; mask what varies"));

    /* the controls agree; an experiment run writes something else */
    set_out(&f->runs[2], "done in 13 ms, pid 101\n");
    set_out(&f->runs[3], "failed in 9 ms, pid 102\n");
    ck_assert_int_eq(fl_exp_judge(&f->result, 1), 0);
    ck_assert_int_eq(f->result.verdicts[0].verdict, FL_VERDICT_DEVIATED);
    ck_assert_ptr_nonnull(strstr(f->result.verdicts[0].reason, "experiment run 1"));
    fixture_free(f);
}
END_TEST

START_TEST(after_status_and_expect)
{
    struct fixture *f = fixture_new();
    int zero[] = {0, 0};
    add_batch_runs(f, 2, zero, zero);
    for (unsigned i = 0; i < 4; i++) {
        f->runs[i].after_status = 0;
        f->runs[i].after_output = "ok\n";
    }
    struct fl_exp_check *c = add_check(f, "integrity", FL_M_AFTER);
    c->expect = "^ok$";
    ck_assert_int_eq(fl_exp_judge(&f->result, 1), 0);
    ck_assert_int_eq(f->result.verdicts[0].verdict, FL_VERDICT_HELD);

    f->runs[3].after_output = "*** in database main ***\n";
    ck_assert_int_eq(fl_exp_judge(&f->result, 1), 0);
    ck_assert_int_eq(f->result.verdicts[0].verdict, FL_VERDICT_DEVIATED);
    ck_assert_ptr_nonnull(strstr(f->result.verdicts[0].reason, "does not match"));

    f->runs[3].after_output = "ok\n";
    f->runs[3].after_status = 1;
    ck_assert_int_eq(fl_exp_judge(&f->result, 1), 0);
    ck_assert_int_eq(f->result.verdicts[0].verdict, FL_VERDICT_DEVIATED);
    ck_assert_ptr_nonnull(strstr(f->result.verdicts[0].reason, "exited 1"));
    fixture_free(f);
}
END_TEST

/* ---- the result --------------------------------------------------------------------------- */

START_TEST(aborted_result_exits_two)
{
    struct fixture *f = fixture_new();
    add_latency_runs(f, 5, 4, 1.0, 3);
    add_check(f, "faults", FL_M_FAULTS)->min = absolute(1);
    ck_assert_int_eq(fl_exp_judge(&f->result, 1), 0);
    ck_assert_int_eq(f->result.exit_status, FL_EXIT_OK);
    f->result.aborted = true;
    ck_assert_int_eq(fl_exp_judge(&f->result, 1), 0);
    ck_assert_int_eq(f->result.exit_status, FL_EXIT_USAGE);
    fixture_free(f);
}
END_TEST

START_TEST(names)
{
    ck_assert_str_eq(fl_verdict_name(FL_VERDICT_HELD), "held");
    ck_assert_str_eq(fl_verdict_name(FL_VERDICT_DEVIATED), "deviated");
    ck_assert_str_eq(fl_verdict_name(FL_VERDICT_INCONCLUSIVE), "inconclusive");
    ck_assert_str_eq(fl_exp_group_name(FL_GROUP_CONTROL), "control");
    ck_assert_str_eq(fl_exp_group_name(FL_GROUP_EXPERIMENT), "experiment");
    ck_assert_str_eq(fl_exp_group_name(FL_GROUP_AA), "control-b");
}
END_TEST

static Suite *judge_suite(void)
{
    Suite *s = suite_create("judge");
    TCase *latency = tcase_create("latency");
    tcase_set_timeout(latency, 60);
    tcase_add_test(latency, median_within_relative_bound_held);
    tcase_add_test(latency, median_far_beyond_relative_bound_deviated);
    tcase_add_test(latency, median_barely_beyond_inconclusive_with_needed);
    tcase_add_test(latency, too_few_samples_inconclusive);
    tcase_add_test(latency, absolute_median_and_p95_bootstrap);
    tcase_add_test(latency, aa_groups_differing_make_it_noisy);
    tcase_add_test(latency, aa_groups_alike_leave_the_verdict);
    suite_add_tcase(s, latency);
    TCase *counts = tcase_create("counts");
    tcase_add_test(counts, zero_faults_is_loudly_inconclusive);
    tcase_add_test(counts, faults_within_and_beyond);
    tcase_add_test(counts, success_rate_drop_fisher_deviated);
    tcase_add_test(counts, success_rate_small_drop_inconclusive);
    tcase_add_test(counts, success_rate_on_the_limit_holds);
    tcase_add_test(counts, success_rate_absolute_wilson);
    suite_add_tcase(s, counts);
    TCase *runs = tcase_create("runs");
    tcase_add_test(runs, exit_status_in_and_same_as_control);
    tcase_add_test(runs, stdout_masks);
    tcase_add_test(runs, after_status_and_expect);
    tcase_add_test(runs, aborted_result_exits_two);
    tcase_add_test(runs, names);
    suite_add_tcase(s, runs);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(judge_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
