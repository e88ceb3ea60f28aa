/* The child runner of faultline experiment (cli/child.c): a child's exit status, captured stdout
 * (capped, the child never blocked), environment and directory; a command that cannot run is an
 * error of the start, not status 127; a wait with a timeout returns while the child runs; a stop
 * escalates to SIGKILL for a child that ignores the signal; measurements come from wait4. */
#include <check.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "child.h"

/* Run argv to its end; fill *st and return the child (released by the caller). */
static void run_to_end(struct fl_child_spec *spec, struct fl_child *c, struct fl_child_status *st)
{
    char why[256] = "";

    ck_assert_msg(fl_child_start(spec, c, why, sizeof why) == 0, "start: %s", why);
    ck_assert_int_eq(fl_child_wait(c, -1, st), 1);
}

START_TEST(exit_status_and_output_are_captured)
{
    char *argv[] = {"/bin/sh", "-c", "printf hello; exit 3", NULL};
    struct fl_child_spec spec = {.argv = argv, .capture_out = true, .out_fd = -1, .err_fd = -1};
    struct fl_child c;
    struct fl_child_status st;

    run_to_end(&spec, &c, &st);
    ck_assert_int_eq(st.status, 3);
    ck_assert_int_eq(st.signal, 0);
    ck_assert_str_eq(c.out, "hello");
    ck_assert_uint_eq(c.out_len, 5);
    ck_assert(!c.out_truncated);
    ck_assert_uint_gt(st.peak_rss, 0);
    ck_assert(st.wall >= 0 && st.cpu >= 0);
    fl_child_release(&c);
}
END_TEST

START_TEST(environment_and_directory_are_the_spec_s)
{
    char *argv[] = {"sh", "-c", "printf '%s:%s:%s' \"$PWD\" \"$X\" \"${HOME-unset}\"", NULL};
    char *env[] = {"X=42", "PATH=/usr/bin:/bin", NULL};
    struct fl_child_spec spec = {.argv = argv, .env = env, .dir = "/", .capture_out = true,
                                 .out_fd = -1, .err_fd = -1};
    struct fl_child c;
    struct fl_child_status st;

    run_to_end(&spec, &c, &st);
    ck_assert_int_eq(st.status, 0);
    ck_assert_str_eq(c.out, "/:42:unset");
    fl_child_release(&c);
}
END_TEST

START_TEST(output_beyond_the_cap_is_dropped_not_blocking)
{
    char *argv[] = {"head", "-c", "3000000", "/dev/zero", NULL};
    struct fl_child_spec spec = {.argv = argv, .capture_out = true, .out_fd = -1, .err_fd = -1};
    struct fl_child c;
    struct fl_child_status st;

    run_to_end(&spec, &c, &st);
    ck_assert_int_eq(st.status, 0);
    ck_assert_uint_eq(c.out_len, FL_CHILD_OUT_MAX);
    ck_assert(c.out_truncated);
    fl_child_release(&c);
}
END_TEST

START_TEST(a_missing_command_fails_the_start)
{
    char *argv[] = {"no-such-command-xyz", NULL};
    struct fl_child_spec spec = {.argv = argv, .out_fd = -1, .err_fd = -1};
    struct fl_child c;
    char why[256] = "";

    ck_assert_int_eq(fl_child_start(&spec, &c, why, sizeof why), -1);
    ck_assert_str_eq(why, "no-such-command-xyz: No such file or directory");
}
END_TEST

START_TEST(a_missing_directory_fails_the_start)
{
    char *argv[] = {"true", NULL};
    struct fl_child_spec spec = {.argv = argv, .dir = "/no/such/dir", .out_fd = -1, .err_fd = -1};
    struct fl_child c;
    char why[256] = "";

    ck_assert_int_eq(fl_child_start(&spec, &c, why, sizeof why), -1);
    ck_assert_msg(strstr(why, "/no/such/dir") != NULL, "why: %s", why);
}
END_TEST

START_TEST(wait_returns_while_it_runs_and_stop_signals_it)
{
    char *argv[] = {"sleep", "100", NULL};
    struct fl_child_spec spec = {.argv = argv, .out_fd = -1, .err_fd = -1};
    struct fl_child c;
    struct fl_child_status st;
    char why[256];

    ck_assert_int_eq(fl_child_start(&spec, &c, why, sizeof why), 0);
    ck_assert_int_eq(fl_child_wait(&c, 0, &st), 0);
    fl_child_stop(&c, SIGTERM, 100, &st);
    ck_assert_int_eq(st.signal, SIGTERM);
    ck_assert_int_eq(st.status, 128 + SIGTERM);
    ck_assert_int_eq(c.pidfd, -1);
    fl_child_release(&c);
}
END_TEST

START_TEST(stop_kills_a_group_that_ignores_the_signal)
{
    /* the shell and its sleep both ignore SIGTERM; the shell says when it is ready */
    char *argv[] = {"sh", "-c", "trap '' TERM; echo ready; sleep 100; exit 0", NULL};
    struct fl_child_spec spec = {.argv = argv, .capture_out = true, .out_fd = -1, .err_fd = -1};
    struct fl_child c;
    struct fl_child_status st;
    char why[256];

    ck_assert_int_eq(fl_child_start(&spec, &c, why, sizeof why), 0);
    while (!strstr(c.out, "ready"))
        ck_assert_int_eq(fl_child_wait(&c, 0.05, &st), 0);
    fl_child_stop(&c, SIGTERM, 0.2, &st);
    ck_assert_int_eq(st.signal, SIGKILL);
    ck_assert_int_eq(st.status, 128 + SIGKILL);
    fl_child_release(&c);
}
END_TEST

START_TEST(stop_after_exit_only_reaps)
{
    char *argv[] = {"true", NULL};
    struct fl_child_spec spec = {.argv = argv, .out_fd = -1, .err_fd = -1};
    struct fl_child c;
    struct fl_child_status st;

    run_to_end(&spec, &c, &st);
    fl_child_stop(&c, SIGTERM, 1, &st);
    ck_assert_int_eq(st.status, 0);
    fl_child_release(&c);
}
END_TEST

/* A child already reaped tells how it ended again, into whatever status the caller gives. */
START_TEST(a_reaped_child_tells_its_end_again)
{
    char *argv[] = {"/bin/sh", "-c", "exit 7", NULL};
    struct fl_child_spec spec = {.argv = argv, .out_fd = -1, .err_fd = -1};
    struct fl_child c;
    struct fl_child_status st, again = {.status = -1}, stopped = {.status = -1};

    run_to_end(&spec, &c, &st);
    ck_assert_int_eq(fl_child_wait(&c, 0, &again), 1);
    ck_assert_int_eq(again.status, 7);
    fl_child_stop(&c, SIGTERM, 1, &stopped);
    ck_assert_int_eq(stopped.status, 7);
    ck_assert_double_eq(stopped.wall, st.wall);
    fl_child_release(&c);
}
END_TEST

static Suite *child_suite(void)
{
    Suite *s = suite_create("child");
    TCase *t = tcase_create("child");
    tcase_add_test(t, exit_status_and_output_are_captured);
    tcase_add_test(t, environment_and_directory_are_the_spec_s);
    tcase_add_test(t, output_beyond_the_cap_is_dropped_not_blocking);
    tcase_add_test(t, a_missing_command_fails_the_start);
    tcase_add_test(t, a_missing_directory_fails_the_start);
    tcase_add_test(t, wait_returns_while_it_runs_and_stop_signals_it);
    tcase_add_test(t, stop_kills_a_group_that_ignores_the_signal);
    tcase_add_test(t, stop_after_exit_only_reaps);
    tcase_add_test(t, a_reaped_child_tells_its_end_again);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(child_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
