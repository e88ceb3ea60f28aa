/* Unit tests for lib/config.c: what a config reads into, and every message it can give. */
#include <check.h>
#include <errno.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"

#define DAY_NS (86400ull * 1000000000ull)

/* Each test gets a fresh directory holding rules.conf (and inc.conf when it includes one). */
static char dir[64];
static char conf[128];
static char inc[128];

static void make_dir(void)
{
    snprintf(dir, sizeof dir, "/tmp/check_config.XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(conf, sizeof conf, "%s/rules.conf", dir);
    snprintf(inc, sizeof inc, "%s/inc.conf", dir);
}

static void remove_dir(void)
{
    unlink(conf);
    unlink(inc);
    rmdir(dir);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");

    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(fputs(text, f) >= 0, 1);
    ck_assert_int_eq(fclose(f), 0);
}

/* "<conf><suffix>": an expected message about rules.conf. */
static const char *at_conf(const char *suffix)
{
    static char buf[512];

    snprintf(buf, sizeof buf, "%s%s", conf, suffix);
    return buf;
}

static void assert_zeroed(const struct fl_config *cfg)
{
    ck_assert_ptr_null(cfg->rules);
    ck_assert_uint_eq(cfg->nrules, 0);
    ck_assert_ptr_null(cfg->log);
    ck_assert_ptr_null(cfg->programs);
    ck_assert_uint_eq(cfg->nprograms, 0);
    ck_assert_int_eq(cfg->dry_run, 0);
    ck_assert_ptr_null(cfg->source);
    ck_assert_int_eq(cfg->has_seed, 0);
    ck_assert_int_eq(cfg->children, 0);
}

/* Load the file `path` and the inline `text`; expect the load to fail with exactly `want`. */
static void expect_error(const char *path, const char *text, const char *want)
{
    struct fl_config cfg;
    struct fl_diag diag;

    memset(&cfg, 0xa5, sizeof cfg);
    ck_assert_int_eq(fl_config_load(&cfg, path, text, &diag), -1);
    ck_assert_str_eq(diag.text, want);
    assert_zeroed(&cfg);
}

static void expect_inline_error(const char *text, const char *want)
{
    expect_error(NULL, text, want);
}

/* Write rules.conf and expect reading it to fail with "<conf><suffix>". */
static void expect_conf_error(const char *file_text, const char *suffix)
{
    write_file(conf, file_text);
    expect_error(conf, NULL, at_conf(suffix));
}

/* Load and expect success; the caller frees *cfg. */
static void load_ok(struct fl_config *cfg, const char *path, const char *text)
{
    struct fl_diag diag;
    int rc = fl_config_load(cfg, path, text, &diag);

    ck_assert_msg(rc == 0, "load failed: %s", diag.text);
}

static bool has_call(const struct fl_rule_spec *r, int id)
{
    return r->calls[id / 64] >> (id % 64) & 1;
}

static int count_calls(const struct fl_rule_spec *r)
{
    int n = 0;

    for (int id = 0; id < FL_CALL_COUNT; id++)
        n += has_call(r, id);
    return n;
}

/* A one-line inline rule named x around `body`. */
#define RULE(body) "rules = ({ name = \"x\"; " body " });"

/* ---- what a valid config reads into ---------------------------------------------------------- */

static const char full_conf[] =
    "seed = 42;\n"                               /* 1 */
    "log = \"/tmp/fl-%p.jsonl\";\n"              /* 2 */
    "summary = true;\n"                          /* 3 */
    "children = false;\n"                        /* 4 */
    "control = true;\n"                          /* 5 */
    "rules = (\n"                                /* 6 */
    "  {\n"                                      /* 7 */
    "    name = \"db-refused\";\n"               /* 8 */
    "    calls = [ \"@net\", \"read\" ];\n"      /* 9 */
    "    enabled = false;\n"                     /* 10 */
    "    probability = 0.25;\n"                  /* 11 */
    "    error = \"ECONNREFUSED\";\n"            /* 12 */
    "    delay = \"200ms\";\n"                   /* 13 */
    "    jitter = \"50ms\";\n"                   /* 14 */
    "  },\n"                                     /* 15 */
    "  {\n"                                      /* 16 */
    "    name = \"dns\";\n"                      /* 17 */
    "    calls = ( \"@dns\" );\n"                /* 18 */
    "    error = \"EAI_AGAIN\";\n"               /* 19 */
    "  },\n"                                     /* 20 */
    "  {\n"                                      /* 21 */
    "    calls = [ \"fsync\" ];\n"               /* 22 */
    "    delay = \"1.5s\";\n"                    /* 23 */
    "  }\n"                                      /* 24 */
    ");\n";

START_TEST(full_config_reads_globals)
{
    struct fl_config cfg;

    write_file(conf, full_conf);
    load_ok(&cfg, conf, NULL);
    ck_assert_int_eq(cfg.has_seed, 1);
    ck_assert_uint_eq(cfg.seed, 42);
    ck_assert_str_eq(cfg.log, "/tmp/fl-%p.jsonl");
    ck_assert_int_eq(cfg.summary, 1);
    ck_assert_int_eq(cfg.children, 0);
    ck_assert_int_eq(cfg.control, 1);
    ck_assert_str_eq(cfg.source, conf);
    ck_assert_uint_eq(cfg.nrules, 3);
    fl_config_free(&cfg);
}
END_TEST

START_TEST(durable_torn_and_power_loss_are_read)
{
    struct fl_config cfg;

    load_ok(&cfg, NULL,
            "durable = [ \"/srv/data/*\", \"wal/*\" ]; torn = { sector = 4096; keep = 0.25; };"
            RULE("calls = [ \"fdatasync\" ]; after = 3; power_loss = true;"));
    ck_assert_uint_eq(cfg.ndurable, 2);
    ck_assert_str_eq(cfg.durable[0], "/srv/data/*");
    ck_assert_str_eq(cfg.durable[1], "*/wal/*");     /* relative: under any directory */
    ck_assert_uint_eq(cfg.torn_sector, 4096);
    ck_assert(cfg.torn_keep == 0.25);
    ck_assert_int_eq(cfg.rules[0].action, FL_ACT_POWER_LOSS);
    fl_config_free(&cfg);

    load_ok(&cfg, NULL, "durable = \"/srv/*\"; torn = { sector = 512; };");
    ck_assert_uint_eq(cfg.ndurable, 1);
    ck_assert(cfg.torn_keep == 0.5);                 /* the default */
    fl_config_free(&cfg);
}
END_TEST

START_TEST(durable_given_inline_satisfies_the_files_power_loss)
{
    struct fl_config cfg;

    write_file(conf, RULE("calls = [ \"fsync\" ]; power_loss = true;"));
    load_ok(&cfg, conf, "durable = \"/srv/*\";");   /* the inline text completes the file */
    ck_assert_uint_eq(cfg.ndurable, 1);
    fl_config_free(&cfg);
}
END_TEST

START_TEST(full_config_reads_rule_with_every_key)
{
    struct fl_config cfg;

    write_file(conf, full_conf);
    load_ok(&cfg, conf, NULL);
    const struct fl_rule_spec *r = &cfg.rules[0];
    ck_assert_str_eq(r->name, "db-refused");
    ck_assert_str_eq(r->file, conf);
    ck_assert_int_eq(r->line, 7);
    ck_assert_int_eq(r->enabled, 0);
    ck_assert_double_eq(r->probability, 0.25);
    ck_assert_int_eq(r->error, ECONNREFUSED);
    ck_assert_uint_eq(r->delay_ns, 200000000);
    ck_assert_uint_eq(r->jitter_ns, 50000000);
    fl_config_free(&cfg);
}
END_TEST

START_TEST(class_sets_every_call_of_the_class)
{
    struct fl_config cfg;

    write_file(conf, full_conf);
    load_ok(&cfg, conf, NULL);
    const struct fl_rule_spec *r = &cfg.rules[0];
    for (int id = 0; id < FL_CALL_COUNT; id++) {
        bool want = (fl_calls[id].classes & FL_CLASS_NET) || id == FL_CALL_read;
        ck_assert_msg(has_call(r, id) == want, "call %s", fl_calls[id].name);
    }
    ck_assert(has_call(r, FL_CALL_connect));
    ck_assert(has_call(r, FL_CALL_getaddrinfo));   /* an errno name fits every call */
    ck_assert(!has_call(r, FL_CALL_write));
    fl_config_free(&cfg);
}
END_TEST

START_TEST(eai_error_stored_negative_with_resolver_calls)
{
    struct fl_config cfg;

    write_file(conf, full_conf);
    load_ok(&cfg, conf, NULL);
    const struct fl_rule_spec *r = &cfg.rules[1];
    ck_assert_str_eq(r->name, "dns");
    ck_assert_int_eq(r->line, 16);
    ck_assert_int_eq(r->error, EAI_AGAIN);
    ck_assert_int_lt(r->error, 0);
    ck_assert_int_eq(count_calls(r), 5);
    ck_assert(has_call(r, FL_CALL_getaddrinfo));
    ck_assert(has_call(r, FL_CALL_gethostbyaddr));
    ck_assert(!has_call(r, FL_CALL_connect));
    fl_config_free(&cfg);
}
END_TEST

START_TEST(unnamed_rule_gets_positional_name_and_defaults)
{
    struct fl_config cfg;

    write_file(conf, full_conf);
    load_ok(&cfg, conf, NULL);
    const struct fl_rule_spec *r = &cfg.rules[2];
    ck_assert_str_eq(r->name, "rule3");
    ck_assert_int_eq(r->line, 21);
    ck_assert_int_eq(r->enabled, 1);
    ck_assert_double_eq(r->probability, 1.0);
    ck_assert_int_eq(r->error, 0);
    ck_assert_uint_eq(r->delay_ns, 1500000000);
    ck_assert_uint_eq(r->jitter_ns, 0);
    ck_assert_int_eq(count_calls(r), 1);
    ck_assert(has_call(r, FL_CALL_fsync));
    fl_config_free(&cfg);
}
END_TEST

START_TEST(globals_default_when_absent)
{
    struct fl_config cfg;

    load_ok(&cfg, NULL, "rules = ({ calls = [\"write\"]; error = \"EIO\"; });");
    ck_assert_int_eq(cfg.has_seed, 0);
    ck_assert_ptr_null(cfg.log);
    ck_assert_int_eq(cfg.summary, 0);
    ck_assert_int_eq(cfg.children, 1);
    ck_assert_int_eq(cfg.control, 0);
    ck_assert_ptr_null(cfg.source);
    ck_assert_uint_eq(cfg.nrules, 1);
    ck_assert_str_eq(cfg.rules[0].name, "rule1");
    ck_assert_str_eq(cfg.rules[0].file, "FAULTLINE_RULES");
    ck_assert_int_eq(cfg.rules[0].line, 1);
    ck_assert_int_eq(cfg.rules[0].error, EIO);
    fl_config_free(&cfg);
}
END_TEST

START_TEST(no_file_and_no_inline_text_gives_defaults)
{
    struct fl_config cfg;

    load_ok(&cfg, NULL, NULL);
    ck_assert_uint_eq(cfg.nrules, 0);
    ck_assert_ptr_null(cfg.rules);
    ck_assert_int_eq(cfg.children, 1);
    ck_assert_int_eq(cfg.has_seed, 0);
    fl_config_free(&cfg);
}
END_TEST

START_TEST(empty_rules_list_accepted)
{
    struct fl_config cfg;

    load_ok(&cfg, NULL, "seed = 0; rules = ();");
    ck_assert_uint_eq(cfg.nrules, 0);
    ck_assert_int_eq(cfg.has_seed, 1);
    ck_assert_uint_eq(cfg.seed, 0);
    fl_config_free(&cfg);
    load_ok(&cfg, NULL, "rules = [];");
    ck_assert_uint_eq(cfg.nrules, 0);
    fl_config_free(&cfg);
}
END_TEST

START_TEST(seed_accepts_int64)
{
    struct fl_config cfg;

    load_ok(&cfg, NULL, "seed = 9000000000L;");
    ck_assert_uint_eq(cfg.seed, 9000000000ull);
    fl_config_free(&cfg);
}
END_TEST

START_TEST(probability_accepts_integers_zero_and_one)
{
    struct fl_config cfg;

    load_ok(&cfg, NULL, "rules = ({ calls = [\"read\"]; error = \"EIO\"; probability = 0; },"
                        "{ calls = [\"read\"]; error = \"EIO\"; probability = 1; });");
    ck_assert_double_eq(cfg.rules[0].probability, 0.0);
    ck_assert_double_eq(cfg.rules[1].probability, 1.0);
    fl_config_free(&cfg);
}
END_TEST

START_TEST(delay_only_rule_accepted)
{
    struct fl_config cfg;

    load_ok(&cfg, NULL, RULE("calls = [\"poll\"]; delay = \"2m\"; jitter = \"2m\";"));
    ck_assert_int_eq(cfg.rules[0].error, 0);
    ck_assert_uint_eq(cfg.rules[0].delay_ns, 120000000000ull);
    ck_assert_uint_eq(cfg.rules[0].jitter_ns, 120000000000ull);
    fl_config_free(&cfg);
}
END_TEST

START_TEST(eai_error_from_net_class_keeps_only_getaddrinfo)
{
    struct fl_config cfg;

    load_ok(&cfg, NULL, RULE("calls = [\"@net\"]; error = \"EAI_NONAME\";"));
    ck_assert_int_eq(cfg.rules[0].error, EAI_NONAME);
    ck_assert_int_eq(count_calls(&cfg.rules[0]), 1);
    ck_assert(has_call(&cfg.rules[0], FL_CALL_getaddrinfo));
    fl_config_free(&cfg);
}
END_TEST

START_TEST(eai_error_fits_gethostbyname_named_explicitly)
{
    struct fl_config cfg;

    load_ok(&cfg, NULL,
            RULE("calls = [\"gethostbyname\", \"getnameinfo\"]; error = \"EAI_FAIL\";"));
    ck_assert_int_eq(cfg.rules[0].error, EAI_FAIL);
    ck_assert_int_eq(count_calls(&cfg.rules[0]), 2);
    ck_assert(has_call(&cfg.rules[0], FL_CALL_gethostbyname));
    fl_config_free(&cfg);
}
END_TEST

START_TEST(inline_rules_appended_after_file_rules)
{
    struct fl_config cfg;

    write_file(conf, "rules = (\n"
                     "  { name = \"a\"; calls = [\"read\"]; error = \"EIO\"; },\n"
                     "  { calls = [\"write\"]; error = \"ENOSPC\"; }\n"
                     ");\n");
    load_ok(&cfg, conf, "\nrules = ({ calls = [\"fsync\"]; error = \"EIO\"; });");
    ck_assert_uint_eq(cfg.nrules, 3);
    ck_assert_str_eq(cfg.rules[0].name, "a");
    ck_assert_str_eq(cfg.rules[1].name, "rule2");
    ck_assert_str_eq(cfg.rules[1].file, conf);
    ck_assert_int_eq(cfg.rules[1].line, 3);
    ck_assert_str_eq(cfg.rules[2].name, "rule3");
    ck_assert_str_eq(cfg.rules[2].file, "FAULTLINE_RULES");
    ck_assert_int_eq(cfg.rules[2].line, 2);
    ck_assert(has_call(&cfg.rules[2], FL_CALL_fsync));
    fl_config_free(&cfg);
}
END_TEST

START_TEST(inline_globals_override_file)
{
    struct fl_config cfg;

    write_file(conf, "seed = 1; log = \"/tmp/a\"; summary = true; control = true;\n");
    load_ok(&cfg, conf, "seed = 2; log = \"stderr\"; summary = false;");
    ck_assert_uint_eq(cfg.seed, 2);
    ck_assert_str_eq(cfg.log, "stderr");
    ck_assert_int_eq(cfg.summary, 0);
    ck_assert_int_eq(cfg.control, 1);   /* not given inline: the file's */
    ck_assert_str_eq(cfg.source, conf);
    fl_config_free(&cfg);
}
END_TEST

START_TEST(include_is_relative_to_config_directory)
{
    struct fl_config cfg;

    write_file(inc, "# included\n"
                    "rules = ({ name = \"inc\"; calls = [\"read\"]; error = \"EIO\"; });\n");
    write_file(conf, "seed = 7;\n@include \"inc.conf\"\n");
    load_ok(&cfg, conf, NULL);
    ck_assert_uint_eq(cfg.seed, 7);
    ck_assert_uint_eq(cfg.nrules, 1);
    ck_assert_str_eq(cfg.rules[0].name, "inc");
    ck_assert_str_eq(cfg.rules[0].file, inc);
    ck_assert_int_eq(cfg.rules[0].line, 2);
    fl_config_free(&cfg);
}
END_TEST

START_TEST(free_is_safe_on_zeroed_config)
{
    struct fl_config cfg = {0};

    cfg.children = true;
    fl_config_free(&cfg);
    ck_assert_int_eq(cfg.children, 0);
    fl_config_free(&cfg);
    ck_assert_ptr_null(cfg.rules);
}
END_TEST

/* ---- messages -------------------------------------------------------------------------------- */

START_TEST(syntax_error_names_file_and_line)
{
    expect_conf_error("seed = 1;\nlog = ;\n", ":2: syntax error");
}
END_TEST

START_TEST(syntax_error_in_inline_text_names_faultline_rules)
{
    expect_inline_error("seed = 1;\n\nsummary = true;\nrules = ( { ) };",
                        "FAULTLINE_RULES:4: syntax error");
}
END_TEST

START_TEST(duplicate_setting_reported_by_libconfig)
{
    expect_conf_error("seed = 1;\nseed = 2;\n", ":2: duplicate setting name");
}
END_TEST

START_TEST(syntax_error_in_included_file_names_it)
{
    char want[256];

    write_file(inc, "seed = 1;\n\nlog = ;\n");
    write_file(conf, "summary = true;\n@include \"inc.conf\"\n");
    snprintf(want, sizeof want, "%s:3: syntax error", inc);
    expect_error(conf, NULL, want);
}
END_TEST

START_TEST(error_in_included_file_names_it)
{
    char want[256];

    write_file(inc, "seed = 1;\nsed = 2;\n");
    write_file(conf, "summary = true;\n@include \"inc.conf\"\n");
    snprintf(want, sizeof want, "%s:2: unknown key 'sed' (did you mean 'seed'?)", inc);
    expect_error(conf, NULL, want);
}
END_TEST

START_TEST(missing_include_reported)
{
    char want[256];

    snprintf(want, sizeof want, ":2: cannot read include file 'nope.conf': No such file or "
             "directory");
    expect_conf_error("seed = 1;\n@include \"nope.conf\"\n", want);
}
END_TEST

/* @include of what is no regular file is refused before anything reads it: libconfig's own
 * scanner would block on a FIFO, read /dev/zero forever and exit(2) on a directory. */
START_TEST(include_of_fifo_refused)
{
    char fifo[96], want[300];

    snprintf(fifo, sizeof fifo, "%s/fifo", dir);
    ck_assert_int_eq(mkfifo(fifo, 0600), 0);
    snprintf(want, sizeof want, ":2: cannot read include file 'fifo': is a FIFO, not a regular "
             "file");
    expect_conf_error("seed = 1;\n@include \"fifo\"\n", want);
    unlink(fifo);
}
END_TEST

START_TEST(include_of_directory_refused)
{
    expect_conf_error("seed = 1;\n\n@include \"/\"\n",
                      ":3: cannot read include file '/': is a directory");
}
END_TEST

START_TEST(include_of_dev_zero_refused)
{
    expect_conf_error("@include \"/dev/zero\"\n", ":1: cannot read include file '/dev/zero': "
                      "is a character device, not a regular file");
}
END_TEST

START_TEST(config_fifo_refused)
{
    char fifo[160], want[512];

    snprintf(fifo, sizeof fifo, "%s/fifo", dir);
    ck_assert_int_eq(mkfifo(fifo, 0600), 0);
    snprintf(want, sizeof want, "%s: cannot read config: is a FIFO, not a regular file", fifo);
    expect_error(fifo, NULL, want);
    unlink(fifo);
}
END_TEST

START_TEST(include_cycle_refused)
{
    expect_conf_error("seed = 1;\n@include \"rules.conf\"\n",
                      ":2: @include nested more than 10 deep (does a file include itself?)");
}
END_TEST

/* An @include inside a string or a comment is text, as libconfig's scanner reads it. */
START_TEST(include_in_string_or_comment_is_text)
{
    struct fl_config cfg;

    write_file(conf, "log = \"a\n@include \\\"/dev/zero\\\"\";\n/*\n@include \"/dev/zero\"\n*/\n"
                     "# @include \"/dev/zero\"\nrules = ();\n");
    load_ok(&cfg, conf, NULL);
    ck_assert_str_eq(cfg.log, "a\n@include \"/dev/zero\"");
    fl_config_free(&cfg);
}
END_TEST

/* The line after an @include is counted in the including file, and the rest of the @include
 * line is read after the included text. */
START_TEST(line_after_include_is_the_including_files)
{
    write_file(inc, "seed = 1;\nsummary = true;");   /* no final newline */
    expect_conf_error("@include \"inc.conf\" control = true;\n\nsed = 2;\n",
                      ":3: unknown key 'sed' (did you mean 'seed'?)");
}
END_TEST

START_TEST(include_in_set_refused)
{
    struct fl_config cfg;
    struct fl_rule_spec out;
    struct fl_diag diag;

    load_ok(&cfg, NULL, "rules = ( { name = \"w\"; calls = [\"write\"]; error = \"EIO\"; } );");
    ck_assert_int_eq(fl_config_set_key(cfg.rules[0].text, "times", "3;\n@include \"/dev/zero\"",
                                       &out, &diag), -1);
    ck_assert_str_eq(diag.text, "set:2: @include is not allowed here");
    fl_config_free(&cfg);
}
END_TEST

START_TEST(unknown_key_suggests_nearest)
{
    expect_conf_error("seed = 1;\nlog = \"stderr\";\nsed = 3;\n",
                      ":3: unknown key 'sed' (did you mean 'seed'?)");
}
END_TEST

START_TEST(unknown_rule_key_suggests_nearest)
{
    expect_conf_error("rules = (\n"
                      "  {\n"
                      "    name = \"db-refused\";\n"
                      "    calls = [ \"connect\" ];\n"
                      "    error = \"ECONNREFUSED\";\n"
                      "    probablity = 0.25;\n"
                      "  }\n"
                      ");\n",
                      ":6: rule 'db-refused': unknown key 'probablity' "
                      "(did you mean 'probability'?)");
}
END_TEST

START_TEST(unknown_key_far_from_every_key_gets_no_suggestion)
{
    expect_inline_error("colour = 1;", "FAULTLINE_RULES:1: unknown key 'colour'");
    expect_inline_error(RULE("calls = [\"read\"]; error = \"EIO\"; zz = 1;"),
                        "FAULTLINE_RULES:1: rule 'x': unknown key 'zz'");
}
END_TEST

START_TEST(unknown_key_differing_in_case_suggests_key)
{
    expect_inline_error("Seed = 1;",
                        "FAULTLINE_RULES:1: unknown key 'Seed' (did you mean 'seed'?)");
}
END_TEST

START_TEST(rule_key_at_top_level_rejected)
{
    expect_inline_error("calls = [\"read\"];", "FAULTLINE_RULES:1: 'calls' is a rule key: "
                        "put it inside a rule, rules = ( { ... } )");
}
END_TEST

START_TEST(global_key_inside_rule_rejected)
{
    expect_inline_error(RULE("seed = 1;"),
                        "FAULTLINE_RULES:1: rule 'x': 'seed' is a global key: "
                        "put it outside 'rules'");
}
END_TEST

START_TEST(unknown_call_suggests_nearest)
{
    expect_inline_error("rules = ({\n name = \"x\";\n calls = [\"read\",\n \"conect\"];\n"
                        " error = \"EIO\"; });",
                        "FAULTLINE_RULES:4: rule 'x': unknown call 'conect' "
                        "(did you mean 'connect'?)");
}
END_TEST

START_TEST(symbol_name_suggests_its_call)
{
    expect_inline_error(RULE("calls = [\"pread64\"]; error = \"EIO\";"),
                        "FAULTLINE_RULES:1: rule 'x': unknown call 'pread64' "
                        "(did you mean 'pread'?)");
}
END_TEST

START_TEST(unknown_call_far_from_every_call_gets_no_suggestion)
{
    expect_inline_error(RULE("calls = [\"frobnicate\"]; error = \"EIO\";"),
                        "FAULTLINE_RULES:1: rule 'x': unknown call 'frobnicate'");
}
END_TEST

START_TEST(unknown_class_suggests_nearest)
{
    expect_inline_error(RULE("calls = [\"@nett\"]; error = \"EIO\";"),
                        "FAULTLINE_RULES:1: rule 'x': unknown class '@nett' "
                        "(did you mean '@net'?)");
}
END_TEST

START_TEST(empty_calls_rejected)
{
    expect_inline_error(RULE("calls = []; error = \"EIO\";"),
                        "FAULTLINE_RULES:1: rule 'x': 'calls' is empty: "
                        "name at least one call or class");
}
END_TEST

START_TEST(missing_calls_rejected)
{
    expect_inline_error("rules = (\n  {\n    name = \"x\";\n    error = \"EIO\";\n  }\n);",
                        "FAULTLINE_RULES:2: rule 'x': 'calls' is missing: name the calls to "
                        "break, such as calls = [ \"connect\" ]");
}
END_TEST

#define NAME65 "a2345678901234567890123456789012345678901234567890123456789012345"
_Static_assert(sizeof NAME65 == 66, "NAME65 has 65 characters");

static const char *const bad_names[] = {"a b", "", "semi;colon", "slash/", "quote'", NAME65};

START_TEST(bad_rule_name_rejected)
{
    char text[256], want[256];

    snprintf(text, sizeof text,
             "rules = ({ name = \"%s\"; calls = [\"read\"]; error = \"EIO\"; });",
             bad_names[_i]);
    snprintf(want, sizeof want, "FAULTLINE_RULES:1: invalid rule name '%s': use 1 to 64 "
             "characters among A-Z a-z 0-9 _ . : -", bad_names[_i]);
    expect_inline_error(text, want);
}
END_TEST

START_TEST(longest_rule_name_accepted)
{
    const char *name = "A234567890123456789012345678901234567890123456789012345_.:-xyz90";
    char text[256];
    struct fl_config cfg;

    ck_assert_uint_eq(strlen(name), 64);
    snprintf(text, sizeof text,
             "rules = ({ name = \"%s\"; calls = [\"read\"]; error = \"EIO\"; });",
             name);
    load_ok(&cfg, NULL, text);
    ck_assert_str_eq(cfg.rules[0].name, name);
    fl_config_free(&cfg);
}
END_TEST

START_TEST(unknown_errno_suggests_nearest)
{
    expect_inline_error("rules = ({ name = \"x\"; calls = [\"write\"];\n\n\n\n\n\n"
                        "  error = \"ENOSPACE\"; });",
                        "FAULTLINE_RULES:7: rule 'x': unknown errno name 'ENOSPACE' "
                        "(did you mean 'ENOSPC'?)");
}
END_TEST

START_TEST(lowercase_errno_suggests_name)
{
    expect_inline_error(RULE("calls = [\"write\"]; error = \"enospc\";"),
                        "FAULTLINE_RULES:1: rule 'x': unknown errno name 'enospc' "
                        "(did you mean 'ENOSPC'?)");
}
END_TEST

START_TEST(unknown_eai_suggests_nearest)
{
    expect_inline_error(RULE("calls = [\"getaddrinfo\"]; error = \"EAI_AGIAN\";"),
                        "FAULTLINE_RULES:1: rule 'x': unknown EAI name 'EAI_AGIAN' "
                        "(did you mean 'EAI_AGAIN'?)");
}
END_TEST

START_TEST(eai_error_on_named_errno_call_rejected)
{
    expect_inline_error("rules = ({ name = \"x\";\n calls = [\"getaddrinfo\",\n \"connect\"];\n"
                        " error = \"EAI_AGAIN\"; });",
                        "FAULTLINE_RULES:3: rule 'x': call 'connect' cannot fail with EAI_AGAIN "
                        "(EAI_* errors fit only the resolver calls, @dns)");
}
END_TEST

START_TEST(eai_error_on_class_without_resolver_calls_rejected)
{
    expect_inline_error(RULE("calls = [\"@dns\", \"@file\"]; error = \"EAI_AGAIN\";"),
                        "FAULTLINE_RULES:1: rule 'x': no call in '@file' can fail with EAI_AGAIN");
}
END_TEST

START_TEST(jitter_without_delay_rejected)
{
    expect_inline_error("rules = ({ name = \"x\"; calls = [\"read\"]; error = \"EIO\";\n"
                        "  jitter = \"5ms\"; });",
                        "FAULTLINE_RULES:2: rule 'x': 'jitter' needs 'delay': it varies the delay");
}
END_TEST

START_TEST(jitter_longer_than_delay_rejected)
{
    expect_inline_error(RULE("calls = [\"read\"]; delay = \"50ms\"; jitter = \"60ms\";"),
                        "FAULTLINE_RULES:1: rule 'x': 'jitter' (60ms) must not exceed "
                        "'delay' (50ms)");
}
END_TEST

START_TEST(rule_injecting_nothing_rejected)
{
    expect_inline_error("seed = 1;\nrules = ({ name = \"x\"; calls = [\"read\"]; });",
                        "FAULTLINE_RULES:2: rule 'x' injects nothing: give it error, delay, "
                        "partial, eof, corrupt, drop, kill or power_loss");
    expect_inline_error(RULE("calls = [\"read\"]; delay = \"0\";"),
                        "FAULTLINE_RULES:1: rule 'x' injects nothing: give it error, delay, "
                        "partial, eof, corrupt, drop, kill or power_loss");
    expect_inline_error(RULE("calls = [\"read\"]; path = \"/x\"; times = 3; dry_run = true;"),
                        "FAULTLINE_RULES:1: rule 'x' injects nothing: give it error, delay, "
                        "partial, eof, corrupt, drop, kill or power_loss");
}
END_TEST

START_TEST(duplicate_rule_name_rejected)
{
    expect_conf_error("rules = (\n"
                      "  {\n"
                      "    name = \"x\";\n"
                      "    calls = [\"read\"];\n"
                      "    error = \"EIO\";\n"
                      "  },\n"
                      "  {\n"
                      "    calls = [\"write\"];\n"
                      "    name = \"x\";\n"
                      "    error = \"EIO\";\n"
                      "  }\n"
                      ");\n",
                      ":9: rule 'x': duplicate rule name (first defined at line 3)");
}
END_TEST

START_TEST(explicit_name_clashing_with_positional_name_rejected)
{
    expect_inline_error("rules = ({ calls = [\"read\"]; error = \"EIO\"; },\n"
                        "  { name = \"rule1\"; calls = [\"read\"]; error = \"EIO\"; });",
                        "FAULTLINE_RULES:2: rule 'rule1': duplicate rule name "
                        "(first defined at line 1)");
}
END_TEST

START_TEST(duplicate_rule_name_across_file_and_inline_rejected)
{
    char want[256];

    write_file(conf, "rules = (\n  {\n    name = \"x\";\n    calls = [\"read\"];\n"
                     "    error = \"EIO\";\n  }\n);\n");
    snprintf(want, sizeof want, "FAULTLINE_RULES:2: rule 'x': duplicate rule name "
             "(first defined at %s:3)", conf);
    expect_error(conf, "\n" RULE("calls = [\"write\"]; error = \"EIO\";"), want);
}
END_TEST

START_TEST(error_after_earlier_rules_frees_them)
{
    write_file(conf, "log = \"x\";\n"
                     "rules = ({ name = \"a\"; calls = [\"read\"]; error = \"EIO\"; });\n");
    expect_error(conf, "log = \"y\";\nrules = ({ calls = [\"read\"]; error = \"EIO\"; },\n"
                 "{ calls = [\"read\"]; error = \"EIO\"; bogus = 1; });",
                 "FAULTLINE_RULES:3: rule 'rule3': unknown key 'bogus'");
}
END_TEST

START_TEST(missing_file_reported_without_line)
{
    expect_error("/nonexistent-faultline-dir/rules.conf", NULL,
                 "/nonexistent-faultline-dir/rules.conf: cannot read config: "
                 "No such file or directory");
}
END_TEST

START_TEST(unreadable_file_reported)
{
    uid_t euid = geteuid();

    write_file(conf, "seed = 1;\n");
    ck_assert_int_eq(chmod(conf, 0), 0);
    ck_assert_int_eq(chmod(dir, 0755), 0);
    if (euid == 0)   /* root reads anything: read as nobody */
        ck_assert_int_eq(seteuid(65534), 0);
    expect_error(conf, NULL, at_conf(": cannot read config: Permission denied"));
    if (euid == 0)
        ck_assert_int_eq(seteuid(0), 0);
}
END_TEST

START_TEST(directory_rejected)
{
    char want[256];

    snprintf(want, sizeof want, "%s: cannot read config: is a directory", dir);
    expect_error(dir, NULL, want);
}
END_TEST

/* Wrong types and values out of range, one line each: inline text and the message. */
static const struct { const char *text, *want; } bad_values[] = {
    {"seed = \"42\";", "'seed' must be an integer from 0 to 9223372036854775807"},
    {"seed = -1;", "'seed' must be an integer from 0 to 9223372036854775807"},
    {"seed = 1.5;", "'seed' must be an integer from 0 to 9223372036854775807"},
    {"log = 1;", "'log' must be a non-empty string: a path (%p = pid) or \"stderr\""},
    {"log = \"\";", "'log' must be a non-empty string: a path (%p = pid) or \"stderr\""},
    {"summary = 1;", "'summary' must be true or false"},
    {"children = \"yes\";", "'children' must be true or false"},
    {"control = 0;", "'control' must be true or false"},
    {"rules = { calls = [\"read\"]; };",
     "'rules' must be a list of rules: rules = ( { ... }, { ... } )"},
    {"rules = [1];", "'rules' must be a list of rules: rules = ( { ... }, { ... } )"},
    {"rules = ( 1 );", "each rule must be a group: rules = ( { calls = [ ... ]; ... } )"},
    {"rules = ({ name = 1; calls = [\"read\"]; error = \"EIO\"; });",
     "'name' must be a string such as \"db-refused\""},
    {RULE("calls = \"read\"; error = \"EIO\";"),
     "rule 'x': 'calls' must be a list of call names and classes, "
     "such as [ \"connect\", \"@dns\" ]"},
    {RULE("calls = [1]; error = \"EIO\";"),
     "rule 'x': 'calls' must hold strings: call names and classes, "
     "such as [ \"connect\", \"@dns\" ]"},
    {RULE("calls = (\"read\", [\"write\"]); error = \"EIO\";"),
     "rule 'x': 'calls' must hold strings: call names and classes, "
     "such as [ \"connect\", \"@dns\" ]"},
    {RULE("calls = [\"read\"]; error = \"EIO\"; enabled = 1;"),
     "rule 'x': 'enabled' must be true or false"},
    {RULE("calls = [\"read\"]; error = \"EIO\"; probability = \"1\";"),
     "rule 'x': 'probability' must be a number from 0 to 1"},
    {RULE("calls = [\"read\"]; error = \"EIO\"; probability = 1.5;"),
     "rule 'x': 'probability' must be a number from 0 to 1"},
    {RULE("calls = [\"read\"]; error = \"EIO\"; probability = -0.1;"),
     "rule 'x': 'probability' must be a number from 0 to 1"},
    {RULE("calls = [\"read\"]; error = \"EIO\"; probability = 2;"),
     "rule 'x': 'probability' must be a number from 0 to 1"},
    {RULE("calls = [\"read\"]; error = 5;"),
     "rule 'x': 'error' must be a string such as \"ECONNREFUSED\" or \"EAI_AGAIN\""},
    {RULE("calls = [\"read\"]; delay = 200;"),
     "rule 'x': 'delay' must be a string with a unit, such as \"200ms\""},
    {RULE("calls = [\"read\"]; delay = 0.5;"),
     "rule 'x': 'delay' must be a string with a unit, such as \"200ms\""},
    {RULE("calls = [\"read\"]; delay = \"1s\"; jitter = 50;"),
     "rule 'x': 'jitter' must be a string with a unit, such as \"200ms\""},
    {RULE("calls = [\"read\"]; delay = \"fast\";"),
     "rule 'x': 'delay' is not a duration: 'fast' (write a number and a unit among ns us ms s m h, "
     "such as \"200ms\" or \"1.5s\")"},
    {RULE("calls = [\"read\"]; delay = \"-1s\";"),
     "rule 'x': 'delay' is not a duration: '-1s' (write a number and a unit among ns us ms s m h, "
     "such as \"200ms\" or \"1.5s\")"},
    {RULE("calls = [\"read\"]; delay = \"1441m\";"),
     "rule 'x': 'delay' is longer than 24 hours: '1441m'"},
    {RULE("calls = [\"read\"]; delay = \"1s\"; jitter = \"86401s\";"),
     "rule 'x': 'jitter' is longer than 24 hours: '86401s'"},
};

START_TEST(wrong_type_or_value_rejected)
{
    char want[512];

    snprintf(want, sizeof want, "FAULTLINE_RULES:1: %s", bad_values[_i].want);
    expect_inline_error(bad_values[_i].text, want);
}
END_TEST

/* ---- the complete rule language: what it reads into ----------------------------------------- */

/* Load "rules = ({ name = "x"; BODY });" inline and return its one rule; the caller frees *cfg. */
static const struct fl_rule_spec *load_rule(struct fl_config *cfg, const char *body)
{
    char text[1024];

    snprintf(text, sizeof text, "rules = ({ name = \"x\"; %s });", body);
    load_ok(cfg, NULL, text);
    ck_assert_uint_eq(cfg->nrules, 1);
    return &cfg->rules[0];
}

/* Expect RULE(body) inline to fail with "FAULTLINE_RULES:1: rule 'x': <want>". */
static void expect_rule_error(const char *body, const char *want)
{
    char text[1024], full[1024];

    snprintf(text, sizeof text, "rules = ({ name = \"x\"; %s });", body);
    snprintf(full, sizeof full, "FAULTLINE_RULES:1: rule 'x': %s", want);
    expect_inline_error(text, full);
}

static const char every_key_conf[] =
    "dry_run = false;\n"                         /* 1 */
    "programs = [ \"nginx\", \"python3*\" ];\n"  /* 2 */
    "rules = (\n"                                /* 3 */
    "  {\n"                                      /* 4 */
    "    name = \"short-reads\";\n"              /* 5 */
    "    calls = [ \"recv\", \"read\" ];\n"      /* 6 */
    "    enabled = false;\n"                     /* 7 */
    "    dry_run = true;\n"                      /* 8 */
    "    path = \"/srv/data/*.db\";\n"           /* 9 */
    "    peer = \"127.0.0.1:5432\";\n"           /* 10 */
    "    fd = \"socket\";\n"                     /* 11 */
    "    min_size = 4096;\n"                     /* 12 */
    "    max_size = 1048576;\n"                  /* 13 */
    "    probability = 0.25;\n"                  /* 14 */
    "    after = 10;\n"                          /* 15 */
    "    every = 3;\n"                           /* 16 */
    "    times = 5;\n"                           /* 17 */
    "    start = \"2s\";\n"                      /* 18 */
    "    duration = \"30s\";\n"                  /* 19 */
    "    delay = \"200ms\";\n"                   /* 20 */
    "    jitter = \"50ms\";\n"                   /* 21 */
    "    partial = \"50%\";\n"                   /* 22 */
    "  }\n"                                      /* 23 */
    ");\n";

START_TEST(every_rule_key_read_into_its_field)
{
    struct fl_config cfg;

    write_file(conf, every_key_conf);
    load_ok(&cfg, conf, NULL);
    ck_assert_int_eq(cfg.dry_run, 0);
    ck_assert_uint_eq(cfg.nprograms, 2);
    ck_assert_str_eq(cfg.programs[0], "nginx");
    ck_assert_str_eq(cfg.programs[1], "python3*");
    const struct fl_rule_spec *r = &cfg.rules[0];
    ck_assert_str_eq(r->name, "short-reads");
    ck_assert_int_eq(r->line, 4);
    ck_assert_int_eq(r->enabled, 0);
    ck_assert_int_eq(r->dry_run, 1);
    ck_assert_str_eq(r->path, "/srv/data/*.db");
    ck_assert_int_eq(r->has_peer, 1);
    ck_assert_int_eq(r->peer.family, AF_INET);
    ck_assert_mem_eq(r->peer.addr, "\x7f\0\0\x01", 4);
    ck_assert_int_eq(r->peer.prefix, 32);
    ck_assert_uint_eq(r->peer.port, 5432);
    ck_assert_int_eq(r->fd_kind, FL_FD_SOCKET);
    ck_assert_uint_eq(r->min_size, 4096);
    ck_assert_uint_eq(r->max_size, 1048576);
    ck_assert_double_eq(r->probability, 0.25);
    ck_assert_uint_eq(r->after, 10);
    ck_assert_uint_eq(r->every, 3);
    ck_assert_uint_eq(r->times, 5);
    ck_assert_uint_eq(r->start_ns, 2000000000ull);
    ck_assert_uint_eq(r->duration_ns, 30000000000ull);
    ck_assert_uint_eq(r->delay_ns, 200000000);
    ck_assert_uint_eq(r->jitter_ns, 50000000);
    ck_assert_int_eq(r->action, FL_ACT_PARTIAL);
    ck_assert_uint_eq(r->partial_pct, 50);
    ck_assert_uint_eq(r->partial_bytes, 0);
    ck_assert_int_eq(r->error, 0);
    ck_assert_int_eq(count_calls(r), 2);
    ck_assert(has_call(r, FL_CALL_recv) && has_call(r, FL_CALL_read));
    fl_config_free(&cfg);
    ck_assert_ptr_null(cfg.programs);
    ck_assert_uint_eq(cfg.nprograms, 0);
}
END_TEST

START_TEST(new_keys_default_when_absent)
{
    struct fl_config cfg;
    const struct fl_rule_spec *r = load_rule(&cfg, "calls = [\"write\"]; error = \"EIO\";");

    ck_assert_int_eq(r->action, FL_ACT_ERROR);
    ck_assert_int_eq(r->dry_run, 0);
    ck_assert_ptr_null(r->path);
    ck_assert_int_eq(r->has_peer, 0);
    ck_assert_ptr_null(r->peer.unix_path);
    ck_assert_int_eq(r->fd_kind, FL_FD_ANY);
    ck_assert_uint_eq(r->min_size, 0);
    ck_assert_uint_eq(r->max_size, UINT64_MAX);
    ck_assert_uint_eq(r->after, 0);
    ck_assert_uint_eq(r->every, 1);
    ck_assert_uint_eq(r->times, 0);
    ck_assert_uint_eq(r->start_ns, 0);
    ck_assert_uint_eq(r->duration_ns, 0);
    ck_assert_uint_eq(r->partial_pct, 0);
    ck_assert_uint_eq(r->partial_bytes, 0);
    ck_assert_uint_eq(r->corrupt_bits, 0);
    ck_assert_int_eq(r->kill_signal, 0);
    ck_assert_int_eq(cfg.dry_run, 0);
    ck_assert_ptr_null(cfg.programs);
    ck_assert_uint_eq(cfg.nprograms, 0);
    fl_config_free(&cfg);
}
END_TEST

START_TEST(delay_alone_is_the_delay_action)
{
    struct fl_config cfg;
    const struct fl_rule_spec *r = load_rule(&cfg, "calls = [\"fsync\"]; delay = \"1s\";");

    ck_assert_int_eq(r->action, FL_ACT_DELAY);
    ck_assert_uint_eq(r->delay_ns, 1000000000ull);
    fl_config_free(&cfg);
}
END_TEST

/* Each form of peer and what it reads into. */
static const struct {
    const char *text;
    bool unix_kind, any_host, localhost;
    int family, prefix;
    uint8_t addr[16];
    uint16_t port;
    const char *unix_path;
} good_peers[] = {
    {"127.0.0.1:5432", false, false, false, AF_INET, 32, {127, 0, 0, 1}, 5432, NULL},
    {"192.168.1.20", false, false, false, AF_INET, 32, {192, 168, 1, 20}, 0, NULL},
    {"*:443", false, true, false, 0, 0, {0}, 443, NULL},
    {"*", false, true, false, 0, 0, {0}, 0, NULL},
    {"10.0.0.0/8", false, false, false, AF_INET, 8, {10}, 0, NULL},
    {"10.0.0.0/8:5432", false, false, false, AF_INET, 8, {10}, 5432, NULL},
    {"172.16.0.0/12:65535", false, false, false, AF_INET, 12, {172, 16}, 65535, NULL},
    {"0.0.0.0/0:1", false, false, false, AF_INET, 0, {0}, 1, NULL},
    {"[::1]:80", false, false, false, AF_INET6, 128, {[15] = 1}, 80, NULL},
    {"::1", false, false, false, AF_INET6, 128, {[15] = 1}, 0, NULL},
    {"[::1]", false, false, false, AF_INET6, 128, {[15] = 1}, 0, NULL},
    {"[2001:db8::]/32:443", false, false, false, AF_INET6, 32, {0x20, 0x01, 0x0d, 0xb8}, 443,
     NULL},
    {"2001:db8::/32", false, false, false, AF_INET6, 32, {0x20, 0x01, 0x0d, 0xb8}, 0, NULL},
    {"[fe80::]/10", false, false, false, AF_INET6, 10, {0xfe, 0x80}, 0, NULL},
    {"[::ffff:10.1.2.3]:25", false, false, false, AF_INET, 32, {10, 1, 2, 3}, 25, NULL},
    {"localhost", false, false, true, 0, 0, {0}, 0, NULL},
    {"localhost:6379", false, false, true, 0, 0, {0}, 6379, NULL},
    {"unix:/run/x.sock", true, false, false, 0, 0, {0}, 0, "/run/x.sock"},
    {"unix:/run/*/*.sock", true, false, false, 0, 0, {0}, 0, "/run/*/*.sock"},
};

START_TEST(peer_form_parsed)
{
    struct fl_config cfg;
    char body[256];

    snprintf(body, sizeof body, "calls = [\"recv\"]; error = \"ECONNRESET\"; peer = \"%s\";",
             good_peers[_i].text);
    const struct fl_rule_spec *r = load_rule(&cfg, body);
    const struct fl_peer *p = &r->peer;
    ck_assert_int_eq(r->has_peer, 1);
    ck_assert_int_eq(p->kind, good_peers[_i].unix_kind ? FL_PEER_UNIX : FL_PEER_INET);
    ck_assert_int_eq(p->any_host, good_peers[_i].any_host);
    ck_assert_int_eq(p->localhost, good_peers[_i].localhost);
    ck_assert_int_eq(p->family, good_peers[_i].family);
    ck_assert_int_eq(p->prefix, good_peers[_i].prefix);
    ck_assert_mem_eq(p->addr, good_peers[_i].addr, 16);
    ck_assert_uint_eq(p->port, good_peers[_i].port);
    if (good_peers[_i].unix_path)
        ck_assert_str_eq(p->unix_path, good_peers[_i].unix_path);
    else
        ck_assert_ptr_null(p->unix_path);
    fl_config_free(&cfg);
}
END_TEST

static const struct { const char *text, *stored; } good_paths[] = {
    {"/srv/data/*.db", "/srv/data/*.db"},
    {"/", "/"},
    {"*.db", "*/*.db"},
    {"data/app.log", "*/data/app.log"},
    {"x", "*/x"},
};

START_TEST(path_glob_stored_anchored_or_in_any_directory)
{
    struct fl_config cfg;
    char body[256];

    snprintf(body, sizeof body, "calls = [\"open\", \"read\"]; error = \"EACCES\"; path = \"%s\";",
             good_paths[_i].text);
    const struct fl_rule_spec *r = load_rule(&cfg, body);
    ck_assert_str_eq(r->path, good_paths[_i].stored);
    fl_config_free(&cfg);
}
END_TEST

START_TEST(fd_kinds_read)
{
    static const struct { const char *name; enum fl_fd_kind kind; } kinds[] = {
        {"file", FL_FD_FILE}, {"socket", FL_FD_SOCKET}, {"pipe", FL_FD_PIPE},
        {"tty", FL_FD_TTY},   {"any", FL_FD_ANY},
    };
    struct fl_config cfg;
    char body[256];

    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        snprintf(body, sizeof body, "calls = [\"write\"]; error = \"EIO\"; fd = \"%s\";",
                 kinds[i].name);
        ck_assert_int_eq(load_rule(&cfg, body)->fd_kind, kinds[i].kind);
        fl_config_free(&cfg);
    }
}
END_TEST

START_TEST(sizes_read_and_may_be_equal_or_int64)
{
    struct fl_config cfg;
    const struct fl_rule_spec *r;

    r = load_rule(&cfg, "calls = [\"malloc\"]; error = \"ENOMEM\"; min_size = 0; "
                        "max_size = 9000000000L;");
    ck_assert_uint_eq(r->min_size, 0);
    ck_assert_uint_eq(r->max_size, 9000000000ull);
    fl_config_free(&cfg);
    r = load_rule(&cfg, "calls = [\"write\"]; error = \"EIO\"; min_size = 512; max_size = 512;");
    ck_assert_uint_eq(r->min_size, 512);
    ck_assert_uint_eq(r->max_size, 512);
    fl_config_free(&cfg);
    r = load_rule(&cfg, "calls = [\"read\"]; error = \"EIO\"; min_size = 9000000000L;");
    ck_assert_uint_eq(r->min_size, 9000000000ull);
    ck_assert_uint_eq(r->max_size, UINT64_MAX);
    fl_config_free(&cfg);
    /* sizes with units: powers of 1000 and of 1024, a decimal part rounded down */
    r = load_rule(&cfg, "calls = [\"write\"]; min_size = \"64KiB\"; max_size = \"1.5MB\"; "
                        "partial = \"512B\";");
    ck_assert_uint_eq(r->min_size, 65536);
    ck_assert_uint_eq(r->max_size, 1500000);
    ck_assert_uint_eq(r->partial_bytes, 512);
    fl_config_free(&cfg);
    r = load_rule(&cfg, "calls = [\"malloc\"]; error = \"ENOMEM\"; min_size = \"1GiB\"; "
                        "max_size = \"2TB\";");
    ck_assert_uint_eq(r->min_size, 1073741824ull);
    ck_assert_uint_eq(r->max_size, 2000000000000ull);
    fl_config_free(&cfg);
    r = load_rule(&cfg, "calls = [\"read\"]; error = \"EIO\"; min_size = \"0.001kB\"; "
                        "max_size = \"1.0009KiB\";");
    ck_assert_uint_eq(r->min_size, 1);
    ck_assert_uint_eq(r->max_size, 1024);
    fl_config_free(&cfg);
}
END_TEST

START_TEST(triggers_read)
{
    struct fl_config cfg;
    const struct fl_rule_spec *r;

    r = load_rule(&cfg, "calls = [\"read\"]; error = \"EIO\"; after = 0; every = 1; times = 1; "
                        "start = \"0\"; duration = \"1ns\";");
    ck_assert_uint_eq(r->after, 0);
    ck_assert_uint_eq(r->every, 1);
    ck_assert_uint_eq(r->times, 1);
    ck_assert_uint_eq(r->start_ns, 0);
    ck_assert_uint_eq(r->duration_ns, 1);
    fl_config_free(&cfg);
    r = load_rule(&cfg, "calls = [\"read\"]; error = \"EIO\"; after = 9000000000L; "
                        "every = 1000; times = 9000000000L; start = \"1.5m\"; "
                        "duration = \"1440m\";");
    ck_assert_uint_eq(r->after, 9000000000ull);
    ck_assert_uint_eq(r->every, 1000);
    ck_assert_uint_eq(r->times, 9000000000ull);
    ck_assert_uint_eq(r->start_ns, 90000000000ull);
    ck_assert_uint_eq(r->duration_ns, DAY_NS);
    fl_config_free(&cfg);
}
END_TEST

START_TEST(partial_as_share_or_byte_count)
{
    struct fl_config cfg;
    const struct fl_rule_spec *r;

    r = load_rule(&cfg, "calls = [\"write\"]; partial = \"50%\";");
    ck_assert_int_eq(r->action, FL_ACT_PARTIAL);
    ck_assert_uint_eq(r->partial_pct, 50);
    ck_assert_uint_eq(r->partial_bytes, 0);
    fl_config_free(&cfg);
    r = load_rule(&cfg, "calls = [\"read\"]; partial = \"1%\";");
    ck_assert_uint_eq(r->partial_pct, 1);
    fl_config_free(&cfg);
    r = load_rule(&cfg, "calls = [\"read\"]; partial = \"99%\";");
    ck_assert_uint_eq(r->partial_pct, 99);
    fl_config_free(&cfg);
    r = load_rule(&cfg, "calls = [\"send\"]; partial = 512;");
    ck_assert_int_eq(r->action, FL_ACT_PARTIAL);
    ck_assert_uint_eq(r->partial_pct, 0);
    ck_assert_uint_eq(r->partial_bytes, 512);
    fl_config_free(&cfg);
    r = load_rule(&cfg, "calls = [\"send\"]; partial = 1; delay = \"1ms\";");
    ck_assert_uint_eq(r->partial_bytes, 1);
    ck_assert_int_eq(r->action, FL_ACT_PARTIAL);
    ck_assert_uint_eq(r->delay_ns, 1000000);
    fl_config_free(&cfg);
    r = load_rule(&cfg, "calls = [\"sendfile\"]; partial = 9000000000L;");
    ck_assert_uint_eq(r->partial_bytes, 9000000000ull);
    fl_config_free(&cfg);
}
END_TEST

START_TEST(flag_and_count_actions_read)
{
    struct fl_config cfg;
    const struct fl_rule_spec *r;

    r = load_rule(&cfg, "calls = [\"recv\"]; eof = true;");
    ck_assert_int_eq(r->action, FL_ACT_EOF);
    fl_config_free(&cfg);
    r = load_rule(&cfg, "calls = [\"fsync\", \"write\"]; drop = true;");
    ck_assert_int_eq(r->action, FL_ACT_DROP);
    ck_assert_int_eq(count_calls(r), 2);
    fl_config_free(&cfg);
    r = load_rule(&cfg, "calls = [\"read\"]; corrupt = 1;");
    ck_assert_int_eq(r->action, FL_ACT_CORRUPT);
    ck_assert_uint_eq(r->corrupt_bits, 1);
    fl_config_free(&cfg);
    r = load_rule(&cfg, "calls = [\"write\"]; corrupt = 64;");
    ck_assert_uint_eq(r->corrupt_bits, 64);
    fl_config_free(&cfg);
}
END_TEST

static const struct { const char *name; int sig; } good_signals[] = {
    {"SIGKILL", SIGKILL}, {"KILL", SIGKILL}, {"SIGSEGV", SIGSEGV}, {"ABRT", SIGABRT},
    {"SIGTERM", SIGTERM}, {"SIGHUP", SIGHUP}, {"SIGSYS", SIGSYS},  {"SIGIO", SIGIO},
    {"IOT", SIGABRT},     {"SIGCLD", SIGCHLD},
};

START_TEST(kill_takes_signal_with_or_without_sig)
{
    struct fl_config cfg;
    char body[256];

    snprintf(body, sizeof body, "calls = [\"@all\"]; kill = \"%s\";", good_signals[_i].name);
    const struct fl_rule_spec *r = load_rule(&cfg, body);
    ck_assert_int_eq(r->action, FL_ACT_KILL);
    ck_assert_int_eq(r->kill_signal, good_signals[_i].sig);
    ck_assert_int_eq(count_calls(r), FL_CALL_COUNT);   /* every call can be killed at */
    fl_config_free(&cfg);
}
END_TEST

/* The rule holds exactly the calls of `classes` whose action mask (calls.def) has `act`. */
static void assert_calls_fit(const struct fl_rule_spec *r, unsigned classes, unsigned act)
{
    for (int id = 0; id < FL_CALL_COUNT; id++)
        ck_assert_msg(has_call(r, id) == ((fl_calls[id].classes & classes) &&
                                          (fl_calls[id].actions & act)),
                      "call %s", fl_calls[id].name);
}

START_TEST(class_keeps_only_calls_the_action_fits)
{
    struct fl_config cfg;
    const struct fl_rule_spec *r;

    r = load_rule(&cfg, "calls = [\"@net\"]; partial = \"50%\";");
    ck_assert_int_eq(count_calls(r), 8); /* recv recvfrom recvmsg recvmmsg and the sends */
    ck_assert(has_call(r, FL_CALL_recvmmsg) && has_call(r, FL_CALL_sendmmsg));
    ck_assert(has_call(r, FL_CALL_recv) && has_call(r, FL_CALL_recvmsg));
    ck_assert(has_call(r, FL_CALL_send) && has_call(r, FL_CALL_sendmsg));
    ck_assert(!has_call(r, FL_CALL_connect));
    fl_config_free(&cfg);
    r = load_rule(&cfg, "calls = [\"@all\"]; eof = true;");
    for (int id = 0; id < FL_CALL_COUNT; id++)
        ck_assert_msg(has_call(r, id) == ((fl_calls[id].classes & FL_CLASS_READ) &&
                                          (fl_calls[id].actions & FL_ACT(EOF))),
                      "call %s", fl_calls[id].name);
    fl_config_free(&cfg);
    r = load_rule(&cfg, "calls = [\"@write\"]; drop = true;");
    ck_assert(has_call(r, FL_CALL_write) && has_call(r, FL_CALL_fflush));
    assert_calls_fit(r, FL_CLASS_WRITE, FL_ACT(DROP));
    fl_config_free(&cfg);
    r = load_rule(&cfg, "calls = [\"@write\"]; corrupt = 3;");
    ck_assert(!has_call(r, FL_CALL_splice) && !has_call(r, FL_CALL_fflush));
    ck_assert(has_call(r, FL_CALL_fputc) && has_call(r, FL_CALL_send));
    assert_calls_fit(r, FL_CLASS_WRITE, FL_ACT(CORRUPT));
    fl_config_free(&cfg);
    r = load_rule(&cfg, "calls = [\"@all\"]; partial = 100;");
    assert_calls_fit(r, FL_CLASS_ALL, FL_ACT(PARTIAL));
    fl_config_free(&cfg);
}
END_TEST

START_TEST(class_keeps_only_calls_the_matchers_fit)
{
    struct fl_config cfg;
    const struct fl_rule_spec *r;

    r = load_rule(&cfg, "calls = [\"@all\"]; error = \"EIO\"; path = \"/srv/*\";");
    ck_assert(has_call(r, FL_CALL_open) && has_call(r, FL_CALL_fopen));
    ck_assert(has_call(r, FL_CALL_read) && has_call(r, FL_CALL_close));
    ck_assert(has_call(r, FL_CALL_fsync) && has_call(r, FL_CALL_epoll_wait));
    ck_assert(!has_call(r, FL_CALL_malloc) && !has_call(r, FL_CALL_getaddrinfo));
    ck_assert(!has_call(r, FL_CALL_socket) && !has_call(r, FL_CALL_poll));
    ck_assert(!has_call(r, FL_CALL_select) && !has_call(r, FL_CALL_msync));
    for (int id = 0; id < FL_CALL_COUNT; id++)
        if (fl_calls[id].classes & (FL_CLASS_MEM | FL_CLASS_DNS))
            ck_assert_msg(!has_call(r, id), "call %s", fl_calls[id].name);
    ck_assert(!has_call(r, FL_CALL_sync));
    ck_assert(has_call(r, FL_CALL_rename) && has_call(r, FL_CALL_ftruncate));
    ck_assert_int_eq(count_calls(r), FL_CALL_COUNT - 9 - 5 - 7); /* @mem, @dns, 7 fd-less */
    fl_config_free(&cfg);

    r = load_rule(&cfg, "calls = [\"@all\"]; error = \"ECONNRESET\"; peer = \"*:443\";");
    ck_assert(has_call(r, FL_CALL_connect) && has_call(r, FL_CALL_recv));
    ck_assert(has_call(r, FL_CALL_close) && has_call(r, FL_CALL_epoll_pwait));
    ck_assert(!has_call(r, FL_CALL_open) && !has_call(r, FL_CALL_fopen));
    ck_assert(!has_call(r, FL_CALL_freopen) && !has_call(r, FL_CALL_poll));
    ck_assert(!has_call(r, FL_CALL_getaddrinfo) && !has_call(r, FL_CALL_malloc));
    ck_assert(has_call(r, FL_CALL_fdopen));
    fl_config_free(&cfg);

    r = load_rule(&cfg, "calls = [\"@all\"]; error = \"EIO\"; min_size = 4096;");
    for (int id = 0; id < FL_CALL_COUNT; id++) {
        /* these ask for no byte count: a size never matches them */
        bool uncounted = id == FL_CALL_getline || id == FL_CALL_fscanf ||
                         id == FL_CALL_ftruncate || id == FL_CALL_truncate ||
                         id == FL_CALL_fallocate || id == FL_CALL_posix_fallocate;
        ck_assert_msg(has_call(r, id) == (!uncounted &&
                                          !!(fl_calls[id].classes &
                                             (FL_CLASS_READ | FL_CLASS_WRITE | FL_CLASS_MEM))),
                      "call %s", fl_calls[id].name);
    }
    fl_config_free(&cfg);

    r = load_rule(&cfg, "calls = [\"@wait\"]; delay = \"1s\"; path = \"/x\"; peer = \"*:1\";");
    ck_assert_int_eq(count_calls(r), 2);
    ck_assert(has_call(r, FL_CALL_epoll_wait) && has_call(r, FL_CALL_epoll_pwait));
    fl_config_free(&cfg);

    r = load_rule(&cfg, "calls = [\"@net\"]; error = \"EIO\"; max_size = 100;");
    ck_assert_int_eq(count_calls(r), 8); /* the sends and receives, recvmmsg and sendmmsg too */
    ck_assert(!has_call(r, FL_CALL_connect));
    fl_config_free(&cfg);
}
END_TEST

START_TEST(dry_run_rule_default_is_the_global)
{
    struct fl_config cfg;

    load_ok(&cfg, NULL, "rules = ({ calls = [\"read\"]; error = \"EIO\"; },\n"
                        "  { calls = [\"read\"]; error = \"EIO\"; dry_run = false; },\n"
                        "  { calls = [\"read\"]; error = \"EIO\"; dry_run = true; });\n"
                        "dry_run = true;\n");   /* after the rules: still their default */
    ck_assert_int_eq(cfg.dry_run, 1);
    ck_assert_int_eq(cfg.rules[0].dry_run, 1);
    ck_assert_int_eq(cfg.rules[1].dry_run, 0);
    ck_assert_int_eq(cfg.rules[2].dry_run, 1);
    fl_config_free(&cfg);

    load_ok(&cfg, NULL, RULE("calls = [\"read\"]; error = \"EIO\"; dry_run = true;"));
    ck_assert_int_eq(cfg.dry_run, 0);
    ck_assert_int_eq(cfg.rules[0].dry_run, 1);
    fl_config_free(&cfg);
}
END_TEST

START_TEST(inline_dry_run_and_programs_override_file)
{
    struct fl_config cfg;

    write_file(conf, "programs = [ \"a\", \"b\" ];\n"
                     "rules = ({ calls = [\"read\"]; error = \"EIO\"; });\n");
    load_ok(&cfg, conf, "dry_run = true; programs = ( \"c*\" );");
    ck_assert_int_eq(cfg.dry_run, 1);
    ck_assert_int_eq(cfg.rules[0].dry_run, 1);   /* the file's rule takes the final global */
    ck_assert_uint_eq(cfg.nprograms, 1);
    ck_assert_str_eq(cfg.programs[0], "c*");
    fl_config_free(&cfg);
}
END_TEST

/* ---- the complete rule language: its messages ------------------------------------------------ */

/* One rule body each (inside rule 'x', line 1) and the message after "rule 'x': ". */
static const struct { const char *body, *want; } bad_rules[] = {
    /* peer */
    {"calls = [\"connect\"]; error = \"EIO\"; peer = \"300.1.1.1:80\";",
     "'peer' has an invalid IPv4 address: '300.1.1.1:80'"},
    {"calls = [\"connect\"]; error = \"EIO\"; peer = \"10.0.0\";",
     "'peer' has an invalid IPv4 address: '10.0.0'"},
    {"calls = [\"connect\"]; error = \"EIO\"; peer = \"10.0.0.1:0\";",
     "'peer' has an invalid port: '10.0.0.1:0' (write 1 to 65535, or no port for any)"},
    {"calls = [\"connect\"]; error = \"EIO\"; peer = \"*:70000\";",
     "'peer' has an invalid port: '*:70000' (write 1 to 65535, or no port for any)"},
    {"calls = [\"connect\"]; error = \"EIO\"; peer = \"10.0.0.1:\";",
     "'peer' has an invalid port: '10.0.0.1:' (write 1 to 65535, or no port for any)"},
    {"calls = [\"connect\"]; error = \"EIO\"; peer = \"[::1]:http\";",
     "'peer' has an invalid port: '[::1]:http' (write 1 to 65535, or no port for any)"},
    {"calls = [\"connect\"]; error = \"EIO\"; peer = \"10.0.0.0/33\";",
     "'peer' has an invalid prefix: '10.0.0.0/33' (IPv4 takes /0 to /32)"},
    {"calls = [\"connect\"]; error = \"EIO\"; peer = \"10.0.0.0/:80\";",
     "'peer' has an invalid prefix: '10.0.0.0/:80' (IPv4 takes /0 to /32)"},
    {"calls = [\"connect\"]; error = \"EIO\"; peer = \"[2001:db8::]/129:443\";",
     "'peer' has an invalid prefix: '[2001:db8::]/129:443' (IPv6 takes /0 to /128)"},
    {"calls = [\"connect\"]; error = \"EIO\"; peer = \"::/129\";",
     "'peer' has an invalid prefix: '::/129' (IPv6 takes /0 to /128)"},
    {"calls = [\"connect\"]; error = \"EIO\"; peer = \"10.1.0.0/8\";",
     "'peer' has host bits set past its /8 prefix: '10.1.0.0/8' (the network is 10.0.0.0/8)"},
    {"calls = [\"connect\"]; error = \"EIO\"; peer = \"[2001:db8::1]/32:443\";",
     "'peer' has host bits set past its /32 prefix: '[2001:db8::1]/32:443' "
     "(the network is 2001:db8::/32)"},
    {"calls = [\"connect\"]; error = \"EIO\"; peer = \"localhost/8\";",
     "'peer' takes a /prefix only after an IP address: 'localhost/8'"},
    {"calls = [\"connect\"]; error = \"EIO\"; peer = \"*/0\";",
     "'peer' takes a /prefix only after an IP address: '*/0'"},
    {"calls = [\"connect\"]; error = \"EIO\"; peer = \"db.example.com:5432\";",
     "'peer' names host 'db.example.com': write its IP address, \"*\" or \"localhost\" "
     "(a config never makes the shim resolve a name)"},
    {"calls = [\"connect\"]; error = \"EIO\"; peer = \"redis\";",
     "'peer' names host 'redis': write its IP address, \"*\" or \"localhost\" "
     "(a config never makes the shim resolve a name)"},
    {"calls = [\"connect\"]; error = \"EIO\"; peer = \"[::g]:80\";",
     "'peer' has an invalid IPv6 address: '[::g]:80'"},
    {"calls = [\"connect\"]; error = \"EIO\"; peer = \"[10.0.0.1]:80\";",
     "'peer' has an invalid IPv6 address: '[10.0.0.1]:80'"},
    {"calls = [\"connect\"]; error = \"EIO\"; peer = \"fe80::1%eth0\";",
     "'peer' has an invalid IPv6 address: 'fe80::1%eth0'"},
    {"calls = [\"connect\"]; error = \"EIO\"; peer = \"[::1\";",
     "'peer' is not a peer: '[::1' (write \"host:port\", \"*:port\", \"10.0.0.0/8\", "
     "\"[::1]:80\" or \"unix:/run/x.sock\")"},
    {"calls = [\"connect\"]; error = \"EIO\"; peer = \"[::1]x\";",
     "'peer' is not a peer: '[::1]x' (write \"host:port\", \"*:port\", \"10.0.0.0/8\", "
     "\"[::1]:80\" or \"unix:/run/x.sock\")"},
    {"calls = [\"connect\"]; error = \"EIO\"; peer = \"not a peer!\";",
     "'peer' is not a peer: 'not a peer!' (write \"host:port\", \"*:port\", \"10.0.0.0/8\", "
     "\"[::1]:80\" or \"unix:/run/x.sock\")"},
    {"calls = [\"connect\"]; error = \"EIO\"; peer = \":80\";",
     "'peer' is not a peer: ':80' (write \"host:port\", \"*:port\", \"10.0.0.0/8\", "
     "\"[::1]:80\" or \"unix:/run/x.sock\")"},
    {"calls = [\"connect\"]; error = \"EIO\"; peer = \"\";",
     "'peer' must be a non-empty string such as \"127.0.0.1:5432\", \"*:443\", \"10.0.0.0/8\", "
     "\"[::1]:80\" or \"unix:/run/x.sock\""},
    {"calls = [\"connect\"]; error = \"EIO\"; peer = 5432;",
     "'peer' must be a non-empty string such as \"127.0.0.1:5432\", \"*:443\", \"10.0.0.0/8\", "
     "\"[::1]:80\" or \"unix:/run/x.sock\""},
    {"calls = [\"connect\"]; error = \"EIO\"; peer = \"unix:\";",
     "'peer' has no socket path after 'unix:' (write \"unix:/run/x.sock\", a glob)"},
    {"calls = [\"recv\"]; error = \"EIO\"; fd = \"pipe\"; peer = \"*:80\";",
     "'peer' needs a socket: it cannot match fd = \"pipe\""},
    /* path, fd, sizes */
    {"calls = [\"open\"]; error = \"EIO\"; path = \"\";",
     "'path' must be a non-empty string: a glob such as \"/srv/data/*.db\""},
    {"calls = [\"open\"]; error = \"EIO\"; path = [\"/a\"];",
     "'path' must be a non-empty string: a glob such as \"/srv/data/*.db\""},
    {"calls = [\"read\"]; error = \"EIO\"; fd = \"sock\";",
     "unknown fd kind 'sock' (did you mean 'socket'?): write file, socket, pipe, tty or any"},
    {"calls = [\"read\"]; error = \"EIO\"; fd = \"directory\";",
     "unknown fd kind 'directory': write file, socket, pipe, tty or any"},
    {"calls = [\"read\"]; error = \"EIO\"; fd = 3;",
     "'fd' must be a string: file, socket, pipe, tty or any"},
    {"calls = [\"read\"]; error = \"EIO\"; min_size = 4097; max_size = 4096;",
     "'min_size' (4097) must not exceed 'max_size' (4096)"},
    {"calls = [\"read\"]; error = \"EIO\"; max_size = 0; min_size = 1;",
     "'min_size' (1) must not exceed 'max_size' (0)"},
    {"calls = [\"read\"]; error = \"EIO\"; min_size = -1;",
     "'min_size' must be an integer >= 0 (bytes), or a size with a unit such as \"64KiB\""},
    {"calls = [\"read\"]; error = \"EIO\"; max_size = \"4k\";",
     "'max_size' is not a size: '4k' (write a byte count such as 4096, or a number and a unit "
     "among B kB MB GB TB KiB MiB GiB TiB, such as \"64KiB\" or \"1.5MB\")"},
    {"calls = [\"read\"]; error = \"EIO\"; max_size = \"9999999TiB\";",
     "'max_size' is not a size: '9999999TiB' (write a byte count such as 4096, or a number and "
     "a unit among B kB MB GB TB KiB MiB GiB TiB, such as \"64KiB\" or \"1.5MB\")"},
    /* triggers */
    {"calls = [\"read\"]; error = \"EIO\"; after = -1;", "'after' must be an integer >= 0"},
    {"calls = [\"read\"]; error = \"EIO\"; after = 1.0;", "'after' must be an integer >= 0"},
    {"calls = [\"read\"]; error = \"EIO\"; every = 0;", "'every' must be an integer >= 1"},
    {"calls = [\"read\"]; error = \"EIO\"; times = 0;",
     "'times' must be an integer >= 1 (omit it for no limit)"},
    {"calls = [\"read\"]; error = \"EIO\"; times = \"5\";",
     "'times' must be an integer >= 1 (omit it for no limit)"},
    {"calls = [\"read\"]; error = \"EIO\"; duration = \"0\";",
     "'duration' is 0: omit it for no end"},
    {"calls = [\"read\"]; error = \"EIO\"; duration = \"0ms\";",
     "'duration' is 0: omit it for no end"},
    {"calls = [\"read\"]; error = \"EIO\"; duration = 30;",
     "'duration' must be a string with a unit, such as \"200ms\""},
    {"calls = [\"read\"]; error = \"EIO\"; start = \"soon\";",
     "'start' is not a duration: 'soon' (write a number and a unit among ns us ms s m h, "
     "such as \"200ms\" or \"1.5s\")"},
    {"calls = [\"read\"]; error = \"EIO\"; start = \"25h\";",
     "'start' is longer than 24 hours: '25h'"},
    {"calls = [\"read\"]; error = \"EIO\"; start = \"2d\";",
     "'start' is not a duration: '2d' (write a number and a unit among ns us ms s m h, "
     "such as \"200ms\" or \"1.5s\")"},
    {"calls = [\"read\"]; error = \"EIO\"; start = \"1441m\";",
     "'start' is longer than 24 hours: '1441m'"},
    /* actions */
    {"calls = [\"read\"]; partial = \"0%\";",
     "'partial' is '0%': write a share from \"1%\" to \"99%\" of what was asked, such as "
     "\"50%\", or a byte count >= 1, such as 512 or \"4KiB\""},
    {"calls = [\"read\"]; partial = \"100%\";",
     "'partial' is '100%': write a share from \"1%\" to \"99%\" of what was asked, such as "
     "\"50%\", or a byte count >= 1, such as 512 or \"4KiB\""},
    {"calls = [\"read\"]; partial = \"50\";",
     "'partial' is '50': write a share from \"1%\" to \"99%\" of what was asked, such as "
     "\"50%\", or a byte count >= 1, such as 512 or \"4KiB\""},
    {"calls = [\"read\"]; partial = \"50 %\";",
     "'partial' is '50 %': write a share from \"1%\" to \"99%\" of what was asked, such as "
     "\"50%\", or a byte count >= 1, such as 512 or \"4KiB\""},
    {"calls = [\"read\"]; partial = \"%\";",
     "'partial' is '%': write a share from \"1%\" to \"99%\" of what was asked, such as "
     "\"50%\", or a byte count >= 1, such as 512 or \"4KiB\""},
    {"calls = [\"read\"]; partial = \"-5%\";",
     "'partial' is '-5%': write a share from \"1%\" to \"99%\" of what was asked, such as "
     "\"50%\", or a byte count >= 1, such as 512 or \"4KiB\""},
    {"calls = [\"read\"]; partial = \"a very long share written out%\";",
     "'partial' is 'a very long share wr...': write a share from \"1%\" to \"99%\" of what was "
     "asked, such as \"50%\", or a byte count >= 1, such as 512 or \"4KiB\""},
    {"calls = [\"read\"]; partial = 0;",
     "'partial' is 0: write a share from \"1%\" to \"99%\" of what was asked, such as "
     "\"50%\", or a byte count >= 1, such as 512 or \"4KiB\""},
    {"calls = [\"read\"]; partial = -5;",
     "'partial' is -5: write a share from \"1%\" to \"99%\" of what was asked, such as "
     "\"50%\", or a byte count >= 1, such as 512 or \"4KiB\""},
    {"calls = [\"read\"]; partial = 0.5;",
     "'partial' must be a share such as \"50%\" or a byte count such as 512"},
    {"calls = [\"read\"]; eof = false;", "'eof' = false injects nothing: omit it"},
    {"calls = [\"read\"]; eof = 1;", "'eof' must be true"},
    {"calls = [\"write\"]; drop = false;", "'drop' = false injects nothing: omit it"},
    {"calls = [\"write\"]; drop = \"yes\";", "'drop' must be true"},
    {"calls = [\"read\"]; corrupt = 0;", "'corrupt' must be a number of bits to flip from 1 to 64"},
    {"calls = [\"read\"]; corrupt = 65;",
     "'corrupt' must be a number of bits to flip from 1 to 64"},
    {"calls = [\"read\"]; corrupt = \"1\";",
     "'corrupt' must be a number of bits to flip from 1 to 64"},
    {"calls = [\"read\"]; kill = \"SIGKIL\";",
     "unknown signal name 'SIGKIL' (did you mean 'SIGKILL'?)"},
    {"calls = [\"read\"]; kill = \"TERN\";", "unknown signal name 'TERN' (did you mean 'TERM'?)"},
    {"calls = [\"read\"]; kill = \"sigkill\";",
     "unknown signal name 'sigkill' (did you mean 'SIGKILL'?)"},
    {"calls = [\"read\"]; kill = \"SIGNOTHING\";", "unknown signal name 'SIGNOTHING'"},
    {"calls = [\"read\"]; kill = \"SIGSEV\";",
     "unknown signal name 'SIGSEV' (did you mean 'SIGSEGV'?)"},
    {"calls = [\"read\"]; kill = \"\";", "unknown signal name ''"},
    {"calls = [\"read\"]; kill = 9;",
     "'kill' must be a signal name such as \"SIGKILL\" or \"KILL\""},
    {"calls = [\"read\"]; partial = \"50%\"; eof = true;",
     "'partial' and 'eof' exclude each other: delay combines with one of them, "
     "the others with nothing"},
    {"calls = [\"read\"]; kill = \"SIGKILL\"; error = \"EIO\";",
     "'kill' and 'error' exclude each other: delay combines with one of them, "
     "the others with nothing"},
    {"calls = [\"write\"]; drop = true; delay = \"1ms\"; corrupt = 2;",
     "'drop' and 'corrupt' exclude each other: delay combines with one of them, "
     "the others with nothing"},
    /* actions and matchers that do not fit a call */
    {"calls = [\"read\", \"connect\"]; partial = \"50%\";", "call 'connect' cannot take 'partial'"},
    {"calls = [\"malloc\"]; eof = true;", "call 'malloc' cannot take 'eof'"},
    {"calls = [\"read\"]; drop = true;", "call 'read' cannot take 'drop'"},
    {"calls = [\"fputc\"]; partial = 1;", "call 'fputc' cannot take 'partial'"},
    {"calls = [\"sendfile\"]; corrupt = 1;", "call 'sendfile' cannot take 'corrupt'"},
    {"calls = [\"malloc\"]; error = \"ENOMEM\"; path = \"/x\";",
     "call 'malloc' cannot be matched by 'path' (it has neither a path nor a fd)"},
    {"calls = [\"poll\"]; error = \"EINTR\"; path = \"/x\";",
     "call 'poll' cannot be matched by 'path' (it has neither a path nor a fd)"},
    {"calls = [\"getaddrinfo\"]; error = \"EAI_AGAIN\"; path = \"/x\";",
     "call 'getaddrinfo' cannot be matched by 'path' (it has neither a path nor a fd)"},
    {"calls = [\"open\"]; error = \"EIO\"; peer = \"*:80\";",
     "call 'open' cannot be matched by 'peer' (only calls on a fd have a peer)"},
    {"calls = [\"socket\"]; error = \"EMFILE\"; peer = \"*:80\";",
     "call 'socket' cannot be matched by 'peer' (only calls on a fd have a peer)"},
    {"calls = [\"connect\"]; error = \"EIO\"; min_size = 1;",
     "call 'connect' cannot be matched by 'min_size' (only @read, @write and @mem calls have "
     "a size)"},
    {"calls = [\"fsync\"]; error = \"EIO\"; max_size = 1;",
     "call 'fsync' cannot be matched by 'max_size' (only @read, @write and @mem calls have "
     "a size)"},
    {"calls = [\"@write\"]; eof = true;", "no call in '@write' can take 'eof'"},
    {"calls = [\"@read\", \"@file\"]; corrupt = 1;", "no call in '@file' can take 'corrupt'"},
    {"calls = [\"@mem\"]; error = \"ENOMEM\"; path = \"*.so\";",
     "no call in '@mem' can be matched by 'path'"},
    {"calls = [\"@dns\"]; error = \"EAI_AGAIN\"; peer = \"10.0.0.0/8\";",
     "no call in '@dns' can be matched by 'peer'"},
    {"calls = [\"@sync\"]; drop = true; min_size = 1;",
     "no call in '@sync' can be matched by 'min_size'"},
    {"calls = [\"@wait\"]; delay = \"1s\"; min_size = 1;",
     "no call in '@wait' can be matched by 'min_size'"},
    {"calls = [\"@dns\", \"@wait\"]; delay = \"1s\"; path = \"/x\";",
     "no call in '@dns' can be matched by 'path'"},
    /* keys */
    {"calls = [\"read\"]; error = \"EIO\"; max_sise = 1;",
     "unknown key 'max_sise' (did you mean 'max_size'?)"},
    {"calls = [\"read\"]; error = \"EIO\"; timse = 1;",
     "unknown key 'timse' (did you mean 'times'?)"},
    {"calls = [\"read\"]; error = \"EIO\"; dryrun = true;",
     "unknown key 'dryrun' (did you mean 'dry_run'?)"},
    {"calls = [\"read\"]; corupt = 1;", "unknown key 'corupt' (did you mean 'corrupt'?)"},
    {"calls = [\"read\"]; error = \"EIO\"; dry_run = 1;", "'dry_run' must be true or false"},
    {"calls = [\"read\"]; error = \"EIO\"; programs = [\"x\"];",
     "'programs' is a global key: put it outside 'rules'"},
};

START_TEST(bad_rule_rejected)
{
    expect_rule_error(bad_rules[_i].body, bad_rules[_i].want);
}
END_TEST

/* Global keys: the text and the message after "FAULTLINE_RULES:1: ". */
static const struct { const char *text, *want; } bad_globals[] = {
    {"programs = [];",
     "'programs' is empty: name at least one program, or omit it to act in every program"},
    {"programs = ();",
     "'programs' is empty: name at least one program, or omit it to act in every program"},
    {"programs = \"nginx\";",
     "'programs' must be a list of globs on the executable's base name, "
     "such as [ \"nginx\", \"python3*\" ]"},
    {"programs = [\"nginx\", \"\"];",
     "'programs' must hold non-empty strings: globs on the executable's base name, "
     "such as \"nginx\""},
    {"programs = (\"nginx\", 1);",
     "'programs' must hold non-empty strings: globs on the executable's base name, "
     "such as \"nginx\""},
    {"programs = [\"/usr/sbin/nginx\"];",
     "'programs' entry '/usr/sbin/nginx' has a '/': the globs match the executable's base "
     "name, such as \"nginx\""},
    {"dry_run = \"yes\";", "'dry_run' must be true or false"},
    {"program = [\"x\"];", "unknown key 'program' (did you mean 'programs'?)"},
    {"path = \"/x\";", "'path' is a rule key: put it inside a rule, rules = ( { ... } )"},
    {"kill = \"KILL\";", "'kill' is a rule key: put it inside a rule, rules = ( { ... } )"},
};

START_TEST(bad_global_rejected)
{
    char want[512];

    snprintf(want, sizeof want, "FAULTLINE_RULES:1: %s", bad_globals[_i].want);
    expect_inline_error(bad_globals[_i].text, want);
}
END_TEST

START_TEST(language_messages_name_the_line_of_the_key)
{
    expect_inline_error("rules = ({\n"
                        "  name = \"x\";\n"
                        "  calls = [\"read\"];\n"
                        "  partial = \"50%\";\n"
                        "  delay = \"1ms\";\n"
                        "  eof = true;\n"
                        "});",
                        "FAULTLINE_RULES:6: rule 'x': 'partial' and 'eof' exclude each other: "
                        "delay combines with one of them, the others with nothing");
    expect_inline_error("rules = ({\n"
                        "  name = \"x\";\n"
                        "  calls = [\"read\",\n"
                        "           \"malloc\"];\n"
                        "  error = \"EIO\";\n"
                        "  path = \"/x\";\n"
                        "});",
                        "FAULTLINE_RULES:4: rule 'x': call 'malloc' cannot be matched by 'path' "
                        "(it has neither a path nor a fd)");
    expect_inline_error("rules = ({\n"
                        "  name = \"x\";\n"
                        "  calls = [\"read\"];\n"
                        "  error = \"EIO\";\n"
                        "  min_size = 10;\n"
                        "  max_size = 5;\n"
                        "});",
                        "FAULTLINE_RULES:5: rule 'x': 'min_size' (10) must not exceed "
                        "'max_size' (5)");
    expect_inline_error("seed = 1;\n"
                        "programs = [\n"
                        "  \"ok\",\n"
                        "  \"bin/bad\"];",
                        "FAULTLINE_RULES:4: 'programs' entry 'bin/bad' has a '/': the globs "
                        "match the executable's base name, such as \"nginx\"");
    expect_inline_error("rules = ({\n"
                        "  name = \"x\";\n"
                        "  calls = [\"connect\"];\n"
                        "  error = \"EIO\";\n"
                        "\n"
                        "  peer = \"10.0.0.1:70000\";\n"
                        "});",
                        "FAULTLINE_RULES:6: rule 'x': 'peer' has an invalid port: "
                        "'10.0.0.1:70000' (write 1 to 65535, or no port for any)");
}
END_TEST

/* Errors after something was allocated (a path, a unix peer, programs, a file's rules): the
 * load frees all of it (valgrind proves it) and leaves the config zeroed. */
START_TEST(errors_after_allocations_free_them)
{
    write_file(conf, "programs = [\"a\", \"b\"];\n"
                     "rules = ({ name = \"a\"; calls = [\"read\"]; error = \"EIO\"; "
                     "path = \"*.db\"; peer = \"unix:/run/*.sock\"; });\n");
    expect_error(conf, "programs = [\"c\"];\n"
                 "rules = ({ calls = [\"read\"]; path = \"/x\"; peer = \"unix:/y\"; eof = true; "
                 "kill = \"KILL\"; });",
                 "FAULTLINE_RULES:2: rule 'rule2': 'eof' and 'kill' exclude each other: "
                 "delay combines with one of them, the others with nothing");
    expect_inline_error("rules = ({ name = \"x\"; calls = [\"malloc\"]; error = \"ENOMEM\"; "
                        "path = \"/p\"; peer = \"unix:/s\"; });",
                        "FAULTLINE_RULES:1: rule 'x': call 'malloc' cannot be matched by 'path' "
                        "(it has neither a path nor a fd)");
    expect_inline_error("programs = [\"a\"];\nprograms2 = 1;",
                        "FAULTLINE_RULES:2: unknown key 'programs2' (did you mean 'programs'?)");
}
END_TEST

/* ---- durations ------------------------------------------------------------------------------- */

static const struct { const char *text; uint64_t ns; } good_durations[] = {
    {"0", 0},
    {"0s", 0},
    {"1ns", 1},
    {"250us", 250000},
    {"200ms", 200000000},
    {"0.5ms", 500000},
    {"1.5s", 1500000000},
    {"0.1s", 100000000},
    {"0.000000001s", 1},
    {"2m", 120000000000ull},
    {"1.25m", 75000000000ull},
    {"86400s", DAY_NS},
    {"1440m", DAY_NS},
    {"86400000000000ns", DAY_NS},
    {"1h", 3600000000000ull},
    {"1.5h", 5400000000000ull},
    {"24h", DAY_NS},
};

START_TEST(duration_parses)
{
    uint64_t ns = 12345;

    ck_assert_msg(fl_parse_duration(good_durations[_i].text, &ns) == 0, "'%s' rejected",
                  good_durations[_i].text);
    ck_assert_uint_eq(ns, good_durations[_i].ns);
}
END_TEST

static const char *const bad_durations[] = {
    "", "s", "5", "1.5", "00", "ms", "-1s", "+1s", "1 s", " 1s", "1s ", "1H", "25h", "1d", "1sec",
    "1S", "1.s", ".5s", "1..5s", "1e3ms", "0x10s", "1,5s", "nan", "inf",
    "86400.000000001s", "86401s", "1441m", "86400000000001ns", "99999999999999999999999999s",
};

START_TEST(duration_rejected)
{
    uint64_t ns = 12345;

    ck_assert_msg(fl_parse_duration(bad_durations[_i], &ns) == -1, "'%s' accepted",
                  bad_durations[_i]);
    ck_assert_uint_eq(ns, 12345);
}
END_TEST

/* ---- error names ----------------------------------------------------------------------------- */

START_TEST(errno_names_found)
{
    ck_assert_int_eq(fl_errno_by_name("ENOSPC"), ENOSPC);
    ck_assert_int_eq(fl_errno_by_name("EACCES"), EACCES);
    ck_assert_int_eq(fl_errno_by_name("ECONNREFUSED"), ECONNREFUSED);
    ck_assert_int_eq(fl_errno_by_name("EPERM"), EPERM);
    ck_assert_int_eq(fl_errno_by_name("EHWPOISON"), EHWPOISON);
}
END_TEST

START_TEST(every_glibc_errno_name_round_trips)
{
    int n = 0;

    for (int i = 1; i < 4096; i++) {
        const char *name = strerrorname_np(i);
        if (!name)
            continue;
        ck_assert_msg(fl_errno_by_name(name) == i, "%s", name);
        ck_assert_str_eq(fl_error_name(i), name);
        n++;
    }
    ck_assert_int_gt(n, 100);
}
END_TEST

START_TEST(errno_aliases_found)
{
    ck_assert_int_eq(fl_errno_by_name("EWOULDBLOCK"), EAGAIN);
    ck_assert_int_eq(fl_errno_by_name("EDEADLOCK"), EDEADLK);
    ck_assert_int_eq(fl_errno_by_name("ENOTSUP"), EOPNOTSUPP);
}
END_TEST

START_TEST(unknown_errno_names_give_zero)
{
    ck_assert_int_eq(fl_errno_by_name("ENOPE"), 0);
    ck_assert_int_eq(fl_errno_by_name(""), 0);
    ck_assert_int_eq(fl_errno_by_name("enospc"), 0);
    ck_assert_int_eq(fl_errno_by_name("EAI_AGAIN"), 0);
    ck_assert_int_eq(fl_errno_by_name("ENOSPC "), 0);
}
END_TEST

START_TEST(eai_names_found_negative)
{
    static const struct { const char *name; int code; } eai[] = {
        {"EAI_AGAIN", EAI_AGAIN},       {"EAI_NONAME", EAI_NONAME},
        {"EAI_FAIL", EAI_FAIL},         {"EAI_MEMORY", EAI_MEMORY},
        {"EAI_SERVICE", EAI_SERVICE},   {"EAI_FAMILY", EAI_FAMILY},
        {"EAI_SOCKTYPE", EAI_SOCKTYPE}, {"EAI_BADFLAGS", EAI_BADFLAGS},
        {"EAI_OVERFLOW", EAI_OVERFLOW}, {"EAI_SYSTEM", EAI_SYSTEM},
        {"EAI_NODATA", EAI_NODATA},     {"EAI_ADDRFAMILY", EAI_ADDRFAMILY},
    };

    for (size_t i = 0; i < sizeof eai / sizeof eai[0]; i++) {
        ck_assert_int_eq(fl_eai_by_name(eai[i].name), eai[i].code);
        ck_assert_int_lt(eai[i].code, 0);
        ck_assert_str_eq(fl_error_name(eai[i].code), eai[i].name);
    }
}
END_TEST

START_TEST(unknown_eai_names_give_zero)
{
    ck_assert_int_eq(fl_eai_by_name("EAI_NOPE"), 0);
    ck_assert_int_eq(fl_eai_by_name("ENOSPC"), 0);
    ck_assert_int_eq(fl_eai_by_name("eai_again"), 0);
    ck_assert_int_eq(fl_eai_by_name(""), 0);
}
END_TEST

START_TEST(error_name_of_unknown_values_is_question_mark)
{
    ck_assert_str_eq(fl_error_name(ENOSPC), "ENOSPC");
    ck_assert_str_eq(fl_error_name(EAGAIN), "EAGAIN");
    ck_assert_str_eq(fl_error_name(0), "?");
    ck_assert_str_eq(fl_error_name(99999), "?");
    ck_assert_str_eq(fl_error_name(-9999), "?");
}
END_TEST

/* ---- the suite ------------------------------------------------------------------------------- */

#define COUNT(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* ---- set: one key changed at run time, the rule read again whole ---------------------------- */

START_TEST(rule_text_reads_back_as_the_same_rule)
{
    struct fl_config cfg;
    const struct fl_rule_spec *r = load_rule(&cfg, "calls = [\"@sync\", \"write\"]; "
                                                   "path = \"/a \\\"b\\\"\\\\c\"; after = 2; "
                                                   "probability = 0.25; error = \"EIO\";");
    struct fl_rule_spec out;
    struct fl_diag diag;
    ck_assert_int_eq(fl_config_set_key(r->text, "times", "3", &out, &diag), 0);
    ck_assert_str_eq(out.name, "x");
    ck_assert_str_eq(out.path, r->path);
    ck_assert_mem_eq(out.calls, r->calls, sizeof out.calls);
    ck_assert_uint_eq(out.after, 2);
    ck_assert_uint_eq(out.times, 3);
    ck_assert(out.probability == 0.25);
    ck_assert_int_eq(out.error, EIO);
    fl_rule_spec_free(&out);
    fl_config_free(&cfg);
}
END_TEST

START_TEST(set_changes_one_key_and_an_action_replaces_the_action)
{
    struct fl_config cfg;
    const struct fl_rule_spec *r = load_rule(&cfg, "calls = [\"read\"]; error = \"EIO\"; "
                                                   "delay = \"1ms\";");
    struct fl_rule_spec out;
    struct fl_diag diag;
    ck_assert_int_eq(fl_config_set_key(r->text, "probability", "0.5", &out, &diag), 0);
    ck_assert(out.probability == 0.5);
    ck_assert_int_eq(out.action, FL_ACT_ERROR);
    fl_rule_spec_free(&out);
    ck_assert_int_eq(fl_config_set_key(r->text, "partial", "\"50%\"", &out, &diag), 0);
    ck_assert_int_eq(out.action, FL_ACT_PARTIAL);
    ck_assert_int_eq(out.error, 0);
    ck_assert_uint_eq(out.delay_ns, 1000000); /* delay combines: it stays */
    fl_rule_spec_free(&out);
    fl_config_free(&cfg);
}
END_TEST

START_TEST(set_is_validated_like_the_file)
{
    struct fl_config cfg;
    const struct fl_rule_spec *r = load_rule(&cfg, "calls = [\"connect\"]; error = \"EIO\";");
    struct fl_rule_spec out;
    struct fl_diag diag;
    ck_assert_int_eq(fl_config_set_key(r->text, "probablity", "0.5", &out, &diag), -1);
    ck_assert_str_eq(diag.text,
                     "set:1: rule 'x': unknown key 'probablity' (did you mean 'probability'?)");
    ck_assert_int_eq(fl_config_set_key(r->text, "partial", "\"50%\"", &out, &diag), -1);
    ck_assert_str_eq(diag.text, "set:1: rule 'x': call 'connect' cannot take 'partial'");
    ck_assert_int_eq(fl_config_set_key(r->text, "probability", "2", &out, &diag), -1);
    ck_assert_str_eq(diag.text, "set:1: rule 'x': 'probability' must be a number from 0 to 1");
    ck_assert_int_eq(fl_config_set_key(r->text, "name", "\"y\"", &out, &diag), -1);
    ck_assert_str_eq(diag.text, "set: a rule's name cannot change");
    fl_config_free(&cfg);
}
END_TEST

static Suite *config_suite(void)
{
    Suite *s = suite_create("config");
    TCase *read = tcase_create("read");
    TCase *msg = tcase_create("messages");
    TCase *lang = tcase_create("language");
    TCase *names = tcase_create("names");

    tcase_add_checked_fixture(read, make_dir, remove_dir);
    tcase_add_test(read, full_config_reads_globals);
    tcase_add_test(read, durable_torn_and_power_loss_are_read);
    tcase_add_test(read, durable_given_inline_satisfies_the_files_power_loss);
    tcase_add_test(read, full_config_reads_rule_with_every_key);
    tcase_add_test(read, class_sets_every_call_of_the_class);
    tcase_add_test(read, eai_error_stored_negative_with_resolver_calls);
    tcase_add_test(read, unnamed_rule_gets_positional_name_and_defaults);
    tcase_add_test(read, globals_default_when_absent);
    tcase_add_test(read, no_file_and_no_inline_text_gives_defaults);
    tcase_add_test(read, empty_rules_list_accepted);
    tcase_add_test(read, seed_accepts_int64);
    tcase_add_test(read, probability_accepts_integers_zero_and_one);
    tcase_add_test(read, delay_only_rule_accepted);
    tcase_add_test(read, eai_error_from_net_class_keeps_only_getaddrinfo);
    tcase_add_test(read, eai_error_fits_gethostbyname_named_explicitly);
    tcase_add_test(read, inline_rules_appended_after_file_rules);
    tcase_add_test(read, inline_globals_override_file);
    tcase_add_test(read, include_is_relative_to_config_directory);
    tcase_add_test(read, free_is_safe_on_zeroed_config);
    suite_add_tcase(s, read);

    tcase_add_checked_fixture(msg, make_dir, remove_dir);
    tcase_add_test(msg, syntax_error_names_file_and_line);
    tcase_add_test(msg, syntax_error_in_inline_text_names_faultline_rules);
    tcase_add_test(msg, duplicate_setting_reported_by_libconfig);
    tcase_add_test(msg, syntax_error_in_included_file_names_it);
    tcase_add_test(msg, error_in_included_file_names_it);
    tcase_add_test(msg, missing_include_reported);
    tcase_add_test(msg, include_of_fifo_refused);
    tcase_add_test(msg, include_of_directory_refused);
    tcase_add_test(msg, include_of_dev_zero_refused);
    tcase_add_test(msg, config_fifo_refused);
    tcase_add_test(msg, include_cycle_refused);
    tcase_add_test(msg, include_in_string_or_comment_is_text);
    tcase_add_test(msg, line_after_include_is_the_including_files);
    tcase_add_test(msg, include_in_set_refused);
    tcase_add_test(msg, unknown_key_suggests_nearest);
    tcase_add_test(msg, unknown_rule_key_suggests_nearest);
    tcase_add_test(msg, unknown_key_far_from_every_key_gets_no_suggestion);
    tcase_add_test(msg, unknown_key_differing_in_case_suggests_key);
    tcase_add_test(msg, rule_key_at_top_level_rejected);
    tcase_add_test(msg, global_key_inside_rule_rejected);
    tcase_add_test(msg, unknown_call_suggests_nearest);
    tcase_add_test(msg, symbol_name_suggests_its_call);
    tcase_add_test(msg, unknown_call_far_from_every_call_gets_no_suggestion);
    tcase_add_test(msg, unknown_class_suggests_nearest);
    tcase_add_test(msg, empty_calls_rejected);
    tcase_add_test(msg, missing_calls_rejected);
    tcase_add_loop_test(msg, bad_rule_name_rejected, 0, COUNT(bad_names));
    tcase_add_test(msg, longest_rule_name_accepted);
    tcase_add_test(msg, unknown_errno_suggests_nearest);
    tcase_add_test(msg, lowercase_errno_suggests_name);
    tcase_add_test(msg, unknown_eai_suggests_nearest);
    tcase_add_test(msg, eai_error_on_named_errno_call_rejected);
    tcase_add_test(msg, eai_error_on_class_without_resolver_calls_rejected);
    tcase_add_test(msg, jitter_without_delay_rejected);
    tcase_add_test(msg, jitter_longer_than_delay_rejected);
    tcase_add_test(msg, rule_injecting_nothing_rejected);
    tcase_add_test(msg, duplicate_rule_name_rejected);
    tcase_add_test(msg, explicit_name_clashing_with_positional_name_rejected);
    tcase_add_test(msg, duplicate_rule_name_across_file_and_inline_rejected);
    tcase_add_test(msg, error_after_earlier_rules_frees_them);
    tcase_add_test(msg, missing_file_reported_without_line);
    tcase_add_test(msg, unreadable_file_reported);
    tcase_add_test(msg, directory_rejected);
    tcase_add_loop_test(msg, wrong_type_or_value_rejected, 0, COUNT(bad_values));
    suite_add_tcase(s, msg);

    tcase_add_checked_fixture(lang, make_dir, remove_dir);
    tcase_add_test(lang, every_rule_key_read_into_its_field);
    tcase_add_test(lang, new_keys_default_when_absent);
    tcase_add_test(lang, delay_alone_is_the_delay_action);
    tcase_add_loop_test(lang, peer_form_parsed, 0, COUNT(good_peers));
    tcase_add_loop_test(lang, path_glob_stored_anchored_or_in_any_directory, 0,
                        COUNT(good_paths));
    tcase_add_test(lang, fd_kinds_read);
    tcase_add_test(lang, sizes_read_and_may_be_equal_or_int64);
    tcase_add_test(lang, triggers_read);
    tcase_add_test(lang, partial_as_share_or_byte_count);
    tcase_add_test(lang, flag_and_count_actions_read);
    tcase_add_loop_test(lang, kill_takes_signal_with_or_without_sig, 0, COUNT(good_signals));
    tcase_add_test(lang, class_keeps_only_calls_the_action_fits);
    tcase_add_test(lang, class_keeps_only_calls_the_matchers_fit);
    tcase_add_test(lang, dry_run_rule_default_is_the_global);
    tcase_add_test(lang, inline_dry_run_and_programs_override_file);
    tcase_add_loop_test(lang, bad_rule_rejected, 0, COUNT(bad_rules));
    tcase_add_loop_test(lang, bad_global_rejected, 0, COUNT(bad_globals));
    tcase_add_test(lang, language_messages_name_the_line_of_the_key);
    tcase_add_test(lang, errors_after_allocations_free_them);
    tcase_add_test(lang, rule_text_reads_back_as_the_same_rule);
    tcase_add_test(lang, set_changes_one_key_and_an_action_replaces_the_action);
    tcase_add_test(lang, set_is_validated_like_the_file);
    suite_add_tcase(s, lang);

    tcase_add_loop_test(names, duration_parses, 0, COUNT(good_durations));
    tcase_add_loop_test(names, duration_rejected, 0, COUNT(bad_durations));
    tcase_add_test(names, errno_names_found);
    tcase_add_test(names, every_glibc_errno_name_round_trips);
    tcase_add_test(names, errno_aliases_found);
    tcase_add_test(names, unknown_errno_names_give_zero);
    tcase_add_test(names, eai_names_found_negative);
    tcase_add_test(names, unknown_eai_names_give_zero);
    tcase_add_test(names, error_name_of_unknown_values_is_question_mark);
    suite_add_tcase(s, names);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(config_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
