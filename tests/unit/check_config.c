/* Unit tests for lib/config.c: what a config reads into, and every message it can give. */
#include <check.h>
#include <errno.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
    expect_conf_error("seed = 1;\n@include \"nope.conf\"\n", ":2: cannot open include file");
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
                        "FAULTLINE_RULES:2: rule 'x' injects nothing: give it error or delay");
    expect_inline_error(RULE("calls = [\"read\"]; delay = \"0\";"),
                        "FAULTLINE_RULES:1: rule 'x' injects nothing: give it error or delay");
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
     "rule 'x': 'delay' is not a duration: 'fast' (write a number and a unit among ns us ms s m, "
     "such as \"200ms\" or \"1.5s\")"},
    {RULE("calls = [\"read\"]; delay = \"-1s\";"),
     "rule 'x': 'delay' is not a duration: '-1s' (write a number and a unit among ns us ms s m, "
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
    "", "s", "5", "1.5", "00", "ms", "-1s", "+1s", "1 s", " 1s", "1s ", "1h", "1d", "1sec",
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

static Suite *config_suite(void)
{
    Suite *s = suite_create("config");
    TCase *read = tcase_create("read");
    TCase *msg = tcase_create("messages");
    TCase *names = tcase_create("names");

    tcase_add_checked_fixture(read, make_dir, remove_dir);
    tcase_add_test(read, full_config_reads_globals);
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
