/* The load of faultline experiment (cli/load.c): the environment every command of a run gets;
 * count executions at a given concurrency, each a sample; an execution past its timeout killed
 * and failed; a failing execution a failed sample; a stop function that stops the load. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "load.h"

static const char *find(char **env, const char *name)
{
    size_t n = strlen(name);
    for (char **e = env; *e; e++)
        if (strncmp(*e, name, n) == 0 && (*e)[n] == '=')
            return *e + n + 1;
    return NULL;
}

START_TEST(environment_of_a_run)
{
    char *file_env[] = {"A=from-file", "HOME=/elsewhere"};
    char *shim[] = {"FAULTLINE_SEED=7", NULL};
    struct fl_exp_spec spec = {.path = "/x/e.experiment", .env = file_env, .nenv = 2};
    struct fl_exp_run run = {.index = 3, .group = FL_GROUP_EXPERIMENT};
    char **env;

    setenv("FAULTLINE_RULES", "rules = ();", 1);
    setenv("HOME", "/home/someone", 1);
    env = fl_load_env(&spec, &run, "/tmp/run-3", shim);
    ck_assert_ptr_nonnull(env);
    ck_assert_str_eq(find(env, "A"), "from-file");
    ck_assert_str_eq(find(env, "HOME"), "/elsewhere");
    ck_assert_str_eq(find(env, "FAULTLINE_RUN_DIR"), "/tmp/run-3");
    ck_assert_str_eq(find(env, "FAULTLINE_RUN"), "3");
    ck_assert_str_eq(find(env, "FAULTLINE_GROUP"), "experiment");
    ck_assert_str_eq(find(env, "FAULTLINE_EXPERIMENT"), "/x/e.experiment");
    ck_assert_str_eq(find(env, "FAULTLINE_SEED"), "7");
    ck_assert_ptr_null(find(env, "FAULTLINE_RULES"));
    fl_load_env_free(env);
}
END_TEST

static char *cmd_true[] = {"true", NULL};
static char *cmd_sleep[] = {"sleep", "100", NULL};

static struct fl_exp_spec load_spec(char **argv, unsigned count, unsigned concurrency,
                                    double timeout_s)
{
    return (struct fl_exp_spec){
        .dir = "/",
        .load = {.cmd = {.argv = argv}, .count = count, .concurrency = concurrency,
                 .timeout_ns = (uint64_t)(timeout_s * 1e9)},
        .stop = {.success_floor = -1},
    };
}

START_TEST(count_executions_each_a_sample)
{
    struct fl_exp_spec spec = load_spec(cmd_true, 7, 3, 30);
    struct fl_exp_run run = {0};
    char why[256] = "";

    ck_assert_int_eq(fl_load_run(&spec, NULL, 0, 0, &run, NULL, NULL, why,
                                 sizeof why), 0);
    ck_assert_uint_eq(run.nsamples, 7);
    for (size_t i = 0; i < run.nsamples; i++) {
        ck_assert(run.samples[i].ok);
        ck_assert(run.samples[i].latency >= 0 && run.samples[i].t >= 0);
    }
    free(run.samples);
}
END_TEST

START_TEST(a_failing_execution_is_a_failed_sample)
{
    struct fl_exp_spec spec = load_spec((char *[]){"false", NULL}, 2, 1, 30);
    struct fl_exp_run run = {0};
    char why[256] = "";

    ck_assert_int_eq(fl_load_run(&spec, NULL, 0, 0, &run, NULL, NULL, why, sizeof why), 0);
    ck_assert_uint_eq(run.nsamples, 2);
    ck_assert(!run.samples[0].ok && !run.samples[1].ok);
    free(run.samples);
}
END_TEST

START_TEST(an_execution_past_its_timeout_is_killed_and_failed)
{
    struct fl_exp_spec spec = load_spec(cmd_sleep, 1, 1, 0.2);
    struct fl_exp_run run = {0};
    char why[256] = "";

    ck_assert_int_eq(fl_load_run(&spec, NULL, 0, 0, &run, NULL, NULL, why, sizeof why), 0);
    ck_assert_uint_eq(run.nsamples, 1);
    ck_assert(!run.samples[0].ok);
    free(run.samples);
}
END_TEST

static bool stop_now(void *arg, char *why, size_t cap)
{
    (void)arg;
    snprintf(why, cap, "stopped by the test");
    return true;
}

START_TEST(a_stop_function_stops_it)
{
    struct fl_exp_spec spec = load_spec(cmd_sleep, 5, 2, 30);
    struct fl_exp_run run = {0};
    char why[256] = "";

    ck_assert_int_eq(fl_load_run(&spec, NULL, 0, 0, &run, stop_now, NULL, why, sizeof why), 1);
    ck_assert_str_eq(why, "stopped by the test");
    ck_assert_uint_eq(run.nsamples, 0);
    free(run.samples);
}
END_TEST

START_TEST(a_missing_command_is_an_error)
{
    struct fl_exp_spec spec = load_spec((char *[]){"no-such-command-xyz", NULL}, 1, 1, 30);
    struct fl_exp_run run = {0};
    char why[256] = "";

    ck_assert_int_eq(fl_load_run(&spec, NULL, 0, 0, &run, NULL, NULL, why, sizeof why), -1);
    ck_assert_str_eq(why, "no-such-command-xyz: No such file or directory");
    free(run.samples);
}
END_TEST

static Suite *load_suite(void)
{
    Suite *s = suite_create("load");
    TCase *t = tcase_create("load");
    tcase_add_test(t, environment_of_a_run);
    tcase_add_test(t, count_executions_each_a_sample);
    tcase_add_test(t, a_failing_execution_is_a_failed_sample);
    tcase_add_test(t, an_execution_past_its_timeout_is_killed_and_failed);
    tcase_add_test(t, a_stop_function_stops_it);
    tcase_add_test(t, a_missing_command_is_an_error);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(load_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
