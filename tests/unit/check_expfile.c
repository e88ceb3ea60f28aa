/* Unit tests for cli/expfile.c: what an experiment file of each shape reads into (defaults
 * included), and every message of the corpus of bad files in tests/experiment-errors/. */
#include <check.h>
#include <dirent.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "experiment.h"

#define CORPUS "tests/experiment-errors"   /* unit tests run from the source tree's root */
#define NS     1000000000ull

static char dir[64];
static char path[128];

static void make_dir(void)
{
    snprintf(dir, sizeof dir, "/tmp/check_expfile.XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/demo-retries.experiment", dir);
}

static void remove_dir(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
}

static void write_file(const char *p, const char *text)
{
    FILE *f = fopen(p, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    ck_assert_int_eq(fclose(f), 0);
}

/* Load `text` as the experiment file; the load must succeed. */
static void load_ok(const char *text, struct fl_exp_spec *spec)
{
    struct fl_diag d;
    write_file(path, text);
    if (fl_exp_load(path, spec, &d) != 0)
        ck_abort_msg("load failed: %s", d.text);
}

/* Load `text`; the load must fail with "PATH" + suffix. */
static void load_fails(const char *text, const char *suffix)
{
    struct fl_exp_spec spec;
    struct fl_diag d;
    char want[1200];

    write_file(path, text);
    ck_assert_int_eq(fl_exp_load(path, &spec, &d), -1);
    snprintf(want, sizeof want, "%s%s", path, suffix);
    ck_assert_str_eq(d.text, want);
    ck_assert_ptr_null(spec.name);   /* nothing kept */
    ck_assert_ptr_null(spec.checks);
}

#define FAULTS "faults = { rules = ( { calls = [\"write\"]; error = \"ENOSPC\"; } ); };\n"
#define HYPOTHESIS "hypothesis = ( { metric = \"success_rate\"; min = \"control - 5%\"; } );\n"

/* A seed past 32 bits is read whole, without the L libconfig 1.5 would need (it wraps
 * 4294967296 to 0 silently); one past 64 bits is refused at its line. */
START_TEST(seed_past_32_bits_reads_whole)
{
    struct fl_exp_spec s;

    load_ok("seed = 4294967296;\nbatch = { command = \"true\"; };\n" FAULTS HYPOTHESIS, &s);
    ck_assert_uint_eq(s.seed, UINT64_C(4294967296));
    fl_exp_spec_free(&s);
    load_fails("\nseed = 99999999999999999999;\nbatch = { command = \"true\"; };\n" FAULTS
               HYPOTHESIS, ":2: integer 99999999999999999999 does not fit in 64 bits "
               "(-9223372036854775808 to 9223372036854775807)");
}
END_TEST

START_TEST(batch_reads_with_defaults)
{
    struct fl_exp_spec s;

    load_ok("batch = { command = \"sqlite3 db < load.sql\"; };\n" FAULTS HYPOTHESIS, &s);
    ck_assert_int_eq(s.shape, FL_EXP_BATCH);
    ck_assert_str_eq(s.name, "demo-retries");        /* the base name without extension */
    ck_assert_str_eq(s.dir, dir);
    ck_assert_str_eq(s.path, path);
    ck_assert_uint_eq(s.seed, 1);
    ck_assert_uint_eq(s.runs, 10);
    ck_assert(!s.aa);
    ck_assert_int_eq(s.control, FL_EXP_CONTROL_DRY_RUN);
    ck_assert_str_eq(s.batch.argv[0], "/bin/sh");
    ck_assert_str_eq(s.batch.argv[1], "-c");
    ck_assert_str_eq(s.batch.argv[2], "sqlite3 db < load.sql");
    ck_assert_ptr_null(s.batch.argv[3]);
    ck_assert_int_eq(s.batch.line, 1);
    ck_assert_int_eq(s.faults.target, FL_EXP_TARGET_COMMAND);
    ck_assert_ptr_null(s.faults.rules_file);
    ck_assert_ptr_nonnull(strstr(s.faults.rules_text, "ENOSPC"));
    ck_assert_uint_eq(s.stop.run_timeout_ns, 0);
    ck_assert(s.stop.service_died);
    ck_assert(s.stop.success_floor < 0);
    ck_assert_uint_eq(s.stop.window_ns, 10 * NS);
    ck_assert_uint_eq(s.stop.deadline_ns, 0);
    ck_assert_uint_eq(s.nenv, 0);
    /* the check given, and the implicit one: an experiment that injected nothing proves nothing */
    ck_assert_uint_eq(s.nchecks, 2);
    ck_assert_str_eq(s.checks[0].name, "success_rate");
    ck_assert_int_eq(s.checks[0].metric, FL_M_SUCCESS_RATE);
    ck_assert(s.checks[0].min.set && s.checks[0].min.relative);
    ck_assert(s.checks[0].min.percent == -5 && s.checks[0].min.offset == 0);
    ck_assert(!s.checks[0].max.set);
    ck_assert_int_eq(s.checks[0].line, 3);
    ck_assert_int_eq(s.checks[1].metric, FL_M_FAULTS);
    ck_assert_str_eq(s.checks[1].name, "faults");
    ck_assert(s.checks[1].min.set && !s.checks[1].min.relative && s.checks[1].min.value == 1);
    fl_exp_spec_free(&s);
    ck_assert_ptr_null(s.path);
}
END_TEST

START_TEST(batch_reads_every_key)
{
    struct fl_exp_spec s;
    char demo[128];

    snprintf(demo, sizeof demo, "%s/demo", dir);
    ck_assert_int_eq(mkdir(demo, 0700), 0);
    load_ok("name = \"db survives a full disk\";\n"
            "seed = 42; runs = 20; aa = true; control = \"bare\";\n"
            "directory = \"demo\";\n"
            "env = { PYTHONUNBUFFERED = \"1\"; DB = \"x\"; };\n"
            "batch = { command = [\"sqlite3\", \"db\"]; timeout = \"60s\"; };\n"
            "faults = { target = \"command\";\n"
            "  rules = ( { name = \"full\"; calls = [\"write\"]; probability = 0.2; "
            "error = \"ENOSPC\"; } ); };\n"
            "hypothesis = (\n"
            "  { name = \"p95\"; metric = \"latency_p95\"; max = \"control + 20% + 5ms\"; },\n"
            "  { metric = \"latency_median\"; max = \"250ms\"; },\n"
            "  { metric = \"exit_status\"; in = [0, 1]; },\n"
            "  { name = \"exit0\"; metric = \"exit_status\"; equals = 0; },\n"
            "  { name = \"same\"; metric = \"exit_status\"; same_as_control = true; },\n"
            "  { metric = \"stdout\"; mask = [\"[0-9]+ ms\", \"pid [0-9]+\"]; },\n"
            "  { metric = \"after\"; command = \"sqlite3 db 'PRAGMA integrity_check'\"; "
            "expect = \"^ok$\"; },\n"
            "  { metric = \"peak_rss\"; max = \"100MiB\"; min = 0; },\n"
            "  { metric = \"cpu_time\"; max = \"control + 50% + 100ms\"; },\n"
            "  { metric = \"wall_time\"; max = \"30s\"; },\n"
            "  { name = \"rate\"; metric = \"success_rate\"; min = \"95%\"; max = 1; },\n"
            "  { metric = \"faults\"; min = 0; }\n"
            ");\n"
            "stop = { success_floor = 0.5; window = \"5s\"; deadline = \"10m\"; };\n", &s);
    ck_assert_str_eq(s.name, "db survives a full disk");
    ck_assert_uint_eq(s.seed, 42);
    ck_assert_uint_eq(s.runs, 20);
    ck_assert(s.aa);
    ck_assert_int_eq(s.control, FL_EXP_CONTROL_BARE);
    ck_assert_str_eq(s.dir, demo);
    ck_assert_uint_eq(s.nenv, 2);
    ck_assert_str_eq(s.env[0], "PYTHONUNBUFFERED=1");
    ck_assert_str_eq(s.env[1], "DB=x");
    ck_assert_str_eq(s.batch.argv[0], "sqlite3");
    ck_assert_str_eq(s.batch.argv[1], "db");
    ck_assert_ptr_null(s.batch.argv[2]);
    ck_assert_uint_eq(s.stop.run_timeout_ns, 60 * NS);
    ck_assert_uint_eq(s.nchecks, 12);              /* faults given (min = 0): none added */
    ck_assert_str_eq(s.checks[0].name, "p95");
    ck_assert(s.checks[0].max.relative && s.checks[0].max.percent == 20);
    ck_assert(fabs(s.checks[0].max.offset - 0.005) < 1e-12);
    ck_assert(!s.checks[1].max.relative && fabs(s.checks[1].max.value - 0.25) < 1e-12);
    ck_assert_uint_eq(s.checks[2].nexit_in, 2);
    ck_assert_int_eq(s.checks[2].exit_in[1], 1);
    ck_assert_uint_eq(s.checks[3].nexit_in, 1);
    ck_assert_int_eq(s.checks[3].exit_in[0], 0);
    ck_assert(s.checks[4].same_as_control);
    ck_assert_uint_eq(s.checks[5].nmasks, 2);
    ck_assert_str_eq(s.checks[5].masks[1], "pid [0-9]+");
    ck_assert_str_eq(s.checks[6].command.argv[0], "/bin/sh");
    ck_assert_str_eq(s.checks[6].expect, "^ok$");
    ck_assert(s.checks[7].max.value == 100.0 * 1024 * 1024 && s.checks[7].min.value == 0);
    ck_assert(s.checks[8].max.percent == 50 && fabs(s.checks[8].max.offset - 0.1) < 1e-12);
    ck_assert(s.checks[9].max.value == 30);
    ck_assert(fabs(s.checks[9].max.value - 30) < 1e-12);
    ck_assert(fabs(s.checks[10].min.value - 0.95) < 1e-12 && s.checks[10].max.value == 1);
    ck_assert_str_eq(s.checks[11].name, "faults");
    ck_assert(s.checks[11].min.set && s.checks[11].min.value == 0);
    ck_assert(s.stop.success_floor == 0.5);
    ck_assert_uint_eq(s.stop.window_ns, 5 * NS);
    ck_assert_uint_eq(s.stop.deadline_ns, 600 * NS);
    fl_exp_spec_free(&s);
}
END_TEST

START_TEST(rate_bounds_read_as_fractions)
{
    struct fl_exp_spec s;

    load_ok("batch = { command = \"true\"; };\n" FAULTS
            "hypothesis = ( { name = \"a\"; metric = \"success_rate\"; min = \"95%\"; },\n"
            "  { name = \"b\"; metric = \"success_rate\"; min = 0.9; },\n"
            "  { name = \"c\"; metric = \"success_rate\"; min = \"control - 0.05\"; } );\n", &s);
    ck_assert(fabs(s.checks[0].min.value - 0.95) < 1e-12);
    ck_assert(fabs(s.checks[1].min.value - 0.9) < 1e-12);
    ck_assert(s.checks[2].min.relative && fabs(s.checks[2].min.offset + 0.05) < 1e-12);
    fl_exp_spec_free(&s);
}
END_TEST

START_TEST(service_reads_with_defaults)
{
    struct fl_exp_spec s;

    load_ok("service = { command = [\"python3\", \"service.py\", \"port\"];\n"
            "  ready = \"test -s port\"; };\n"
            "load = { command = \"python3 client.py 5\"; count = 20; };\n"
            "faults = { target = \"both\";\n"
            "  rules = ( { calls = [\"connect\"]; probability = 0.2; error = \"ECONNREFUSED\"; },\n"
            "            { calls = [\"read\"]; delay = \"5ms\"; } ); };\n"
            "hypothesis = ( { metric = \"latency_p99\"; max = \"control + 5ms\"; } );\n", &s);
    ck_assert_int_eq(s.shape, FL_EXP_SERVICE);
    ck_assert_str_eq(s.service.start.argv[2], "port");
    ck_assert_str_eq(s.service.ready.argv[2], "test -s port");
    ck_assert_uint_eq(s.service.ready_timeout_ns, 10 * NS);
    ck_assert_uint_eq(s.service.ready_interval_ns, NS / 10);
    ck_assert_int_eq(s.service.stop_signal, SIGTERM);
    ck_assert_uint_eq(s.service.stop_grace_ns, 5 * NS);
    ck_assert_uint_eq(s.load.count, 20);
    ck_assert_uint_eq(s.load.duration_ns, 0);
    ck_assert_uint_eq(s.load.concurrency, 1);
    ck_assert_uint_eq(s.load.timeout_ns, 30 * NS);
    ck_assert_int_eq(s.load.cmd.line, 3);
    ck_assert_int_eq(s.faults.target, FL_EXP_TARGET_BOTH);
    ck_assert(s.checks[0].max.relative && s.checks[0].max.percent == 0);
    ck_assert(fabs(s.checks[0].max.offset - 0.005) < 1e-12);
    /* the rules' text is a faultline config the shim's reader takes */
    struct fl_config cfg;
    struct fl_diag d;
    ck_assert_int_eq(fl_config_load(&cfg, NULL, s.faults.rules_text, &d), 0);
    ck_assert_uint_eq(cfg.nrules, 2);
    ck_assert(cfg.rules[0].probability == 0.2);
    ck_assert_uint_eq(cfg.rules[1].delay_ns, 5000000);
    fl_config_free(&cfg);
    fl_exp_spec_free(&s);
}
END_TEST

START_TEST(service_reads_every_key)
{
    struct fl_exp_spec s;
    char conf[160];

    snprintf(conf, sizeof conf, "%s/faults.conf", dir);
    write_file(conf, "rules = ( { calls = [\"connect\"]; error = \"ECONNREFUSED\"; } );\n");
    load_ok("service = { command = \"./server\"; ready = [\"test\", \"-s\", \"port\"];\n"
            "  ready_timeout = \"3s\"; ready_interval = \"50ms\"; stop_signal = \"SIGINT\";\n"
            "  stop_grace = \"2s\"; };\n"
            "load = { command = \"./client\"; duration = \"5s\"; concurrency = 4; "
            "timeout = \"10s\"; };\n"
            "faults = { target = \"load\"; file = \"faults.conf\"; };\n"
            "hypothesis = ( { metric = \"success_rate\"; min = \"control\"; } );\n"
            "stop = { service_died = false; };\n", &s);
    ck_assert_uint_eq(s.service.ready_timeout_ns, 3 * NS);
    ck_assert_uint_eq(s.service.ready_interval_ns, NS / 20);
    ck_assert_int_eq(s.service.stop_signal, SIGINT);
    ck_assert_uint_eq(s.service.stop_grace_ns, 2 * NS);
    ck_assert_uint_eq(s.load.count, 0);
    ck_assert_uint_eq(s.load.duration_ns, 5 * NS);
    ck_assert_uint_eq(s.load.concurrency, 4);
    ck_assert_uint_eq(s.load.timeout_ns, 10 * NS);
    ck_assert_int_eq(s.faults.target, FL_EXP_TARGET_LOAD);
    ck_assert_str_eq(s.faults.rules_file, conf);    /* made absolute */
    ck_assert_ptr_null(s.faults.rules_text);
    ck_assert(s.checks[0].min.relative && s.checks[0].min.percent == 0);
    ck_assert(!s.stop.service_died);
    fl_exp_spec_free(&s);
}
END_TEST

START_TEST(live_reads_with_defaults)
{
    struct fl_exp_spec s;

    load_ok("live = { program = \"service.py\"; rules = [\"refused\", \"slow\"]; };\n"
            "load = { command = \"./client\"; count = 5; };\n"
            "hypothesis = ( { metric = \"latency_median\"; max = \"control + 10%\"; } );\n", &s);
    ck_assert_int_eq(s.shape, FL_EXP_LIVE);
    ck_assert_str_eq(s.live.program, "service.py");
    ck_assert_int_eq(s.live.pid, 0);
    ck_assert_uint_eq(s.live.window_ns, 10 * NS);
    ck_assert_uint_eq(s.faults.nlive_rules, 2);
    ck_assert_str_eq(s.faults.live_rules[1], "slow");
    ck_assert_ptr_null(s.faults.rules_text);
    ck_assert_uint_eq(s.nchecks, 2);
    fl_exp_spec_free(&s);

    load_ok("live = { pid = 1234; window = \"5s\"; };\n"
            "load = { command = \"./client\"; count = 5; };\n"
            "hypothesis = ( { metric = \"faults\"; min = 1; } );\n", &s);
    ck_assert_int_eq(s.live.pid, 1234);
    ck_assert_uint_eq(s.live.window_ns, 5 * NS);
    ck_assert_ptr_null(s.faults.live_rules);      /* every rule of the process */
    ck_assert_uint_eq(s.nchecks, 1);
    fl_exp_spec_free(&s);
}
END_TEST

START_TEST(sha256_is_of_the_file_bytes)
{
    struct fl_exp_spec s;

    load_ok("batch = { command = \"true\"; };\n" FAULTS HYPOTHESIS, &s);
    /* the digest of exactly these bytes, worked out independently (sha256sum) */
    ck_assert_str_eq(s.sha256, "e7f918c4de6eba55c7c8667ac8aaf12743b62f6d1532f2471654b6075fd468d4");
    fl_exp_spec_free(&s);
}
END_TEST

START_TEST(bad_inline_rule_names_the_experiment_file_and_line)
{
    load_fails("batch = { command = \"true\"; };\n"
               "faults = {\n"
               "  rules = (\n"
               "    { name = \"ok\"; calls = [\"read\"]; error = \"EIO\"; },\n"
               "    { name = \"bad\";\n"
               "      calls = [\"write\"];\n"
               "      error = \"ENOSPC\";\n"
               "      every = -2; }\n"
               "  );\n"
               "};\n" HYPOTHESIS,
               ":8: rule 'bad': 'every' must be an integer >= 1");
    /* what only the whole rule tells: the rule's own line */
    load_fails("batch = { command = \"true\"; };\n"
               "faults = { rules = (\n"
               "  { calls = [\"read\"]; error = \"EIO\"; },\n"
               "  { name = \"quiet\"; calls = [\"write\"];\n"
               "    probability = 0.5; }\n"
               "); };\n" HYPOTHESIS,
               ":4: rule 'quiet' injects nothing: give it error, delay, partial, eof, corrupt, "
               "drop, kill or power_loss");
    /* two rules of one name: the second's line */
    load_fails("batch = { command = \"true\"; };\n"
               "faults = { rules = (\n"
               "  { name = \"x\"; calls = [\"read\"]; error = \"EIO\"; },\n"
               "  { name = \"x\"; calls = [\"write\"]; error = \"EIO\"; }\n"
               "); };\n" HYPOTHESIS,
               ":4: rule 'x': duplicate rule name (first defined at line 3)");
}
END_TEST

START_TEST(include_is_relative_to_the_file)
{
    struct fl_exp_spec s;
    char inc[160];

    snprintf(inc, sizeof inc, "%s/hyp.inc", dir);
    write_file(inc, HYPOTHESIS);
    load_ok("batch = { command = \"true\"; };\n" FAULTS "@include \"hyp.inc\"\n", &s);
    ck_assert_uint_eq(s.nchecks, 2);
    fl_exp_spec_free(&s);
}
END_TEST

START_TEST(missing_file_is_an_error)
{
    struct fl_exp_spec s;
    struct fl_diag d;

    ck_assert_int_eq(fl_exp_load("/nonexistent/x.experiment", &s, &d), -1);
    ck_assert_str_eq(d.text, "/nonexistent/x.experiment: cannot read the experiment file: "
                             "No such file or directory");
}
END_TEST

START_TEST(metric_names_and_units)
{
    ck_assert_str_eq(fl_exp_metric_name(FL_M_LATENCY_P95), "latency_p95");
    ck_assert_str_eq(fl_exp_metric_name(FL_M_FAULTS), "faults");
    ck_assert_str_eq(fl_exp_metric_unit(FL_M_WALL_TIME), "s");
    ck_assert_str_eq(fl_exp_metric_unit(FL_M_PEAK_RSS), "B");
    ck_assert_str_eq(fl_exp_metric_unit(FL_M_SUCCESS_RATE), "%");
    ck_assert_str_eq(fl_exp_metric_unit(FL_M_EXIT_STATUS), "");
    for (int m = 0; m < FL_M_COUNT; m++)
        ck_assert_str_ne(fl_exp_metric_name((enum fl_exp_metric)m), "?");
}
END_TEST

/* Every bad file of the corpus gives the message its first line names. */
START_TEST(corpus_messages)
{
    DIR *d = opendir(CORPUS);
    struct dirent *e;
    int cases = 0;

    ck_assert_msg(d != NULL, "run from the source tree's root: " CORPUS " not found");
    while ((e = readdir(d))) {
        size_t n = strlen(e->d_name);
        char file[512], first[1024], *want;
        struct fl_exp_spec s;
        struct fl_diag diag;
        FILE *f;

        if (n < 11 || strcmp(e->d_name + n - 11, ".experiment") != 0)
            continue;
        snprintf(file, sizeof file, CORPUS "/%s", e->d_name);
        ck_assert_ptr_nonnull(f = fopen(file, "r"));
        ck_assert_ptr_nonnull(fgets(first, sizeof first, f));
        fclose(f);
        first[strcspn(first, "\n")] = '\0';
        ck_assert_msg(strncmp(first, "# expect: ", 10) == 0, "%s: no '# expect: ' line", file);
        want = first + 10;
        ck_assert_msg(fl_exp_load(file, &s, &diag) == -1, "%s loads", file);
        ck_assert_ptr_null(s.checks);
        size_t lt = strlen(diag.text), lw = strlen(want);
        ck_assert_msg(strncmp(diag.text, file, strlen(file)) == 0 && lt >= lw &&
                      strcmp(diag.text + lt - lw, want) == 0,
                      "%s:\n  got:  %s\n  want: %s", file, diag.text, want);
        cases++;
    }
    closedir(d);
    ck_assert_int_ge(cases, 20);
}
END_TEST

static Suite *expfile_suite(void)
{
    Suite *s = suite_create("expfile");
    TCase *tc = tcase_create("expfile");

    tcase_add_checked_fixture(tc, make_dir, remove_dir);
    tcase_add_test(tc, batch_reads_with_defaults);
    tcase_add_test(tc, seed_past_32_bits_reads_whole);
    tcase_add_test(tc, batch_reads_every_key);
    tcase_add_test(tc, rate_bounds_read_as_fractions);
    tcase_add_test(tc, service_reads_with_defaults);
    tcase_add_test(tc, service_reads_every_key);
    tcase_add_test(tc, live_reads_with_defaults);
    tcase_add_test(tc, sha256_is_of_the_file_bytes);
    tcase_add_test(tc, bad_inline_rule_names_the_experiment_file_and_line);
    tcase_add_test(tc, include_is_relative_to_the_file);
    tcase_add_test(tc, missing_file_is_an_error);
    tcase_add_test(tc, metric_names_and_units);
    tcase_add_test(tc, corpus_messages);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(expfile_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
