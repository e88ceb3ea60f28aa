/* The report writers (cli/report/): each format from a hand-built result with NaNs and hostile
 * text, read back the way its consumer reads it. FL_REPORT_SAMPLE=DIR also writes a realistic
 * result in every format there to look at (not part of the checks). */
#include <check.h>
#include <json-c/json.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "experiment.h"
#include "report/format.h"
#include "report/report.h"

/* ---- a hand-built result ------------------------------------------------------------------- */

#define HOSTILE "p95 \"quoted\" <b>bold</b> & 'x'\nline two \xc3\xbcn\xc3\xaf" "c\xc3\xb6" "de \xe2\x9c\x93"
#define MAX_RUNS 30
#define MAX_SAMPLES 40
#define NCHECKS 7

struct fixture {
    struct fl_exp_spec spec;
    struct fl_exp_check checks[NCHECKS];
    struct fl_exp_result result;
    struct fl_exp_run runs[MAX_RUNS];
    struct fl_exp_sample samples[MAX_RUNS][MAX_SAMPLES];
    struct fl_exp_count counts[MAX_RUNS][2];
    struct fl_exp_count injected[2];
    struct fl_exp_verdict verdicts[NCHECKS];
    struct fl_exp_fault faults[MAX_RUNS * MAX_SAMPLES];
    char *rules[2];
    char out[MAX_RUNS][64];
};

static uint64_t lcg = 12345;
static double uniform(void)
{
    lcg = lcg * 6364136223846793005ull + 1442695040888963407ull;
    return (double)(lcg >> 11) / 9007199254740992.0;
}

static void add_check(struct fixture *fx, size_t i, const char *name, enum fl_exp_metric m,
                      bool relative, enum fl_verdict verdict, double control, double experiment)
{
    struct fl_exp_check *c = &fx->checks[i];
    c->name = (char *)name;
    c->metric = m;
    c->max = (struct fl_exp_bound){.set = true, .relative = relative, .percent = 20};
    struct fl_exp_verdict *v = &fx->verdicts[i];
    *v = (struct fl_exp_verdict){
        .check = c, .verdict = verdict, .control = control, .experiment = experiment,
        .diff = relative ? experiment - control : experiment,
        .ci_low = fmin(0.8 * (relative ? experiment - control : experiment),
                       1.25 * (relative ? experiment - control : experiment)),
        .ci_high = fmax(0.8 * (relative ? experiment - control : experiment),
                        1.25 * (relative ? experiment - control : experiment)),
        .limit_low = NAN, .limit_high = relative ? control * 1.2 : experiment * 2,
        .p_value = 0.0123456789, .test = "Mann-Whitney U, Hodges-Lehmann shift and 95% CI",
        .n_control = 200, .n_experiment = 200};
    snprintf(v->reason, sizeof v->reason, "%s: the experiment's value is past the limit <&>", name);
}

/* A result of `runs` control and as many experiment runs; batch: a sample per run. */
static struct fl_exp_result *build(struct fixture *fx, enum fl_exp_shape shape, unsigned runs,
                                   bool aborted)
{
    memset(fx, 0, sizeof *fx);
    lcg = 12345;
    struct fl_exp_spec *s = &fx->spec;
    s->path = "/home/user/demo/retries \"&<>\".experiment";
    memset(s->sha256, 'a', 64);
    s->name = HOSTILE;
    s->shape = shape;
    s->seed = UINT64_MAX;
    s->runs = runs;
    s->control = FL_EXP_CONTROL_DRY_RUN;
    fx->rules[0] = "refused <connect>";
    fx->rules[1] = "slow-write";
    struct fl_exp_result *r = &fx->result;
    r->spec = s;
    r->started = 1795562357.478932;
    r->runs = fx->runs;
    r->rules = fx->rules;
    r->nrules = 2;
    r->faults = fx->faults;
    double t = 0;
    size_t per_run = shape == FL_EXP_BATCH ? 1 : 20;
    for (unsigned i = 0; i < 2 * runs; i++) {
        struct fl_exp_run *run = &fx->runs[i];
        bool experiment = i % 2 == 1;
        run->index = i;
        run->group = experiment ? FL_GROUP_EXPERIMENT : FL_GROUP_CONTROL;
        run->pair = i / 2;
        run->seed = i == 1 ? UINT64_MAX : 1000 + i;
        run->start = t;
        run->exit_status = shape == FL_EXP_BATCH ? (experiment && i % 3 == 0 ? 1 : 0) : -1;
        run->cpu = 0.05 + 0.02 * uniform() + (experiment ? 0.01 : 0);
        run->peak_rss = (uint64_t)(30e6 + 4e6 * uniform());
        snprintf(fx->out[i], sizeof fx->out[i], "row %u <ok> & \xff\x01 done\n", i);
        run->out = fx->out[i];
        run->out_len = strlen(fx->out[i]);
        run->after_status = shape == FL_EXP_BATCH ? 0 : -1;
        run->after_output = shape == FL_EXP_BATCH ? "ok\n" : NULL;
        run->samples = fx->samples[i];
        run->nsamples = per_run;
        for (size_t j = 0; j < per_run; j++) {
            double latency = 0.012 + 0.006 * uniform() + (experiment && uniform() < 0.2 ? 0.1 : 0);
            bool ok = !(experiment && uniform() < 0.05);
            fx->samples[i][j] = (struct fl_exp_sample){t, latency, ok};
            if (experiment && uniform() < 0.3) {
                unsigned rule = uniform() < 0.7 ? 0 : 1;
                fx->faults[r->nfaults++] = (struct fl_exp_fault){t + latency / 2, rule, i};
                run->faults++;
            }
            t += latency + 0.002;
        }
        run->end = t;
        run->wall = run->end - run->start;
        if (experiment) {
            fx->counts[i][0] = (struct fl_exp_count){"refused <connect>", "error", run->faults};
            run->counts = fx->counts[i];
            run->ncounts = 1;
            r->faults_injected += run->faults;
        }
        t += 0.05;
    }
    r->nruns = 2 * runs;
    r->duration = t;
    fx->injected[0] = (struct fl_exp_count){"refused <connect>", "error", r->faults_injected - 3};
    fx->injected[1] = (struct fl_exp_count){"slow-write", "delay \"1s\"", 3};
    r->injected = fx->injected;
    r->ninjected = 2;
    add_check(fx, 0, "success_rate", FL_M_SUCCESS_RATE, true, FL_VERDICT_HELD, 1.0, 0.975);
    add_check(fx, 1, HOSTILE, FL_M_LATENCY_P95, true, FL_VERDICT_DEVIATED, 0.0172, 0.1123);
    add_check(fx, 2, "latency_median", FL_M_LATENCY_MEDIAN, false, FL_VERDICT_HELD, 0.0151, 0.0153);
    add_check(fx, 3, "peak_rss", FL_M_PEAK_RSS, true, FL_VERDICT_INCONCLUSIVE, 31.5e6, 32.1e6);
    add_check(fx, 4, "cpu_time", FL_M_CPU_TIME, true, FL_VERDICT_HELD, 0.06, 0.07);
    add_check(fx, 5, "exit_status", FL_M_EXIT_STATUS, false, FL_VERDICT_HELD, NAN, NAN);
    add_check(fx, 6, "faults", FL_M_FAULTS, false, FL_VERDICT_HELD, NAN, (double)r->faults_injected);
    fx->verdicts[1].ci_low = 0.0734567891234567;
    fx->verdicts[3].needed = 40;
    fx->verdicts[5].p_value = NAN;
    fx->verdicts[5].ci_high = INFINITY;
    fx->verdicts[6].p_value = NAN;
    r->verdicts = fx->verdicts;
    r->nverdicts = NCHECKS;
    r->exit_status = 1;
    if (aborted) {
        r->aborted = true;
        r->exit_status = 2;
        snprintf(r->abort_reason, sizeof r->abort_reason,
                 "the service died during run 3 <signal \"KILL\"> & more");
    }
    return r;
}

/* The writer's output as a string (free it). */
static char *render(int (*writer)(FILE *, const struct fl_exp_result *),
                    const struct fl_exp_result *r)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(writer(f, r), 0);
    ck_assert_int_eq(fclose(f), 0);
    return text;
}

static int terminal_plain(FILE *f, const struct fl_exp_result *r)
{
    return fl_write_terminal(f, r, false);
}

static int terminal_color(FILE *f, const struct fl_exp_result *r)
{
    return fl_write_terminal(f, r, true);
}

static size_t count(const char *text, const char *needle)
{
    size_t n = 0;
    for (const char *p = strstr(text, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

/* ---- JSON ---------------------------------------------------------------------------------- */

static struct json_object *parse_strict_utf8(const char *text)
{
    struct json_tokener *tok = json_tokener_new();
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
    struct json_object *o = json_tokener_parse_ex(tok, text, (int)strlen(text));
    ck_assert_msg(json_tokener_get_error(tok) == json_tokener_success, "not JSON: %s\n%s",
                  json_tokener_error_desc(json_tokener_get_error(tok)), text);
    json_tokener_free(tok);
    return o;
}

static struct json_object *at(struct json_object *o, const char *key)
{
    struct json_object *v = NULL;
    ck_assert_msg(json_object_object_get_ex(o, key, &v), "no member %s", key);
    return v;
}

START_TEST(json_parses_and_values_round_trip)
{
    struct fixture *fx = calloc(1, sizeof *fx);
    struct fl_exp_result *r = build(fx, FL_EXP_SERVICE, 10, false);
    char *text = render(fl_write_json, r);
    struct json_object *o = parse_strict_utf8(text);
    ck_assert_int_eq(json_object_get_int(at(o, "faultline_experiment")), 1);
    ck_assert_str_eq(json_object_get_string(at(o, "name")), HOSTILE);
    ck_assert_str_eq(json_object_get_string(at(at(o, "file"), "path")), fx->spec.path);
    ck_assert_int_eq(strlen(json_object_get_string(at(at(o, "file"), "sha256"))), 64);
    ck_assert_str_eq(json_object_get_string(at(o, "shape")), "service");
    ck_assert(json_object_get_uint64(at(o, "seed")) == UINT64_MAX);
    ck_assert(strstr(text, "\"seed\":18446744073709551615"));
    ck_assert_str_eq(json_object_get_string(at(o, "verdict")), "deviated");
    ck_assert(at(o, "abort_reason") == NULL);
    ck_assert(json_object_get_double(at(o, "started")) == r->started);
    ck_assert(json_object_get_double(at(o, "duration")) == r->duration);
    ck_assert(json_object_get_uint64(at(o, "faults_injected")) == r->faults_injected);

    struct json_object *runs = at(o, "runs");
    ck_assert_int_eq(json_object_array_length(runs), r->nruns);
    struct json_object *run1 = json_object_array_get_idx(runs, 1);
    ck_assert_str_eq(json_object_get_string(at(run1, "group")), "experiment");
    ck_assert_int_eq(json_object_get_int(at(run1, "pair")), 0);
    ck_assert(json_object_get_uint64(at(run1, "seed")) == UINT64_MAX);
    ck_assert(at(run1, "exit_status") == NULL);
    ck_assert(json_object_get_double(at(run1, "wall")) == r->runs[1].wall);
    ck_assert(json_object_get_uint64(at(run1, "peak_rss")) == r->runs[1].peak_rss);
    /* The invalid byte is replaced, the control character kept (escaped). */
    ck_assert_str_eq(json_object_get_string(at(run1, "out")),
                     "row 1 <ok> & \xef\xbf\xbd\x01 done\n");
    struct json_object *sample = json_object_array_get_idx(at(run1, "samples"), 3);
    ck_assert(json_object_get_double(json_object_array_get_idx(sample, 1)) ==
              r->runs[1].samples[3].latency);
    ck_assert(json_object_get_boolean(json_object_array_get_idx(sample, 2)) ==
              r->runs[1].samples[3].ok);

    struct json_object *checks = at(o, "checks");
    ck_assert_int_eq(json_object_array_length(checks), NCHECKS);
    struct json_object *p95 = json_object_array_get_idx(checks, 1);
    ck_assert_str_eq(json_object_get_string(at(p95, "name")), HOSTILE);
    ck_assert_str_eq(json_object_get_string(at(p95, "metric")), "latency_p95");
    ck_assert_str_eq(json_object_get_string(at(p95, "verdict")), "deviated");
    ck_assert(json_object_get_double(json_object_array_get_idx(at(p95, "ci"), 0)) ==
              0.0734567891234567);
    ck_assert(json_object_array_get_idx(at(p95, "limits"), 0) == NULL); /* NaN */
    ck_assert(json_object_get_double(at(p95, "p_value")) == 0.0123456789);
    struct json_object *exit_check = json_object_array_get_idx(checks, 5);
    ck_assert(at(exit_check, "control") == NULL);
    ck_assert(at(exit_check, "p_value") == NULL);
    ck_assert(json_object_array_get_idx(at(exit_check, "ci"), 1) == NULL); /* inf */
    ck_assert_int_eq(json_object_get_int(at(json_object_array_get_idx(checks, 3), "needed")), 40);

    struct json_object *timeline = at(o, "timeline");
    ck_assert_int_eq(json_object_array_length(timeline), r->nfaults);
    struct json_object *first = json_object_array_get_idx(timeline, 0);
    ck_assert(json_object_get_double(json_object_array_get_idx(first, 0)) == r->faults[0].t);
    ck_assert_int_eq(json_object_get_int(json_object_array_get_idx(first, 2)), r->faults[0].run);
    ck_assert_str_eq(json_object_get_string(json_object_array_get_idx(at(o, "rules"), 0)),
                     "refused <connect>");
    ck_assert_str_eq(json_object_get_string(at(json_object_array_get_idx(at(o, "injected"), 1),
                                               "action")), "delay \"1s\"");
    json_object_put(o);
    free(text);
    free(fx);
}
END_TEST

START_TEST(json_aborted_says_so_and_batch_keeps_exit_statuses)
{
    struct fixture *fx = calloc(1, sizeof *fx);
    struct fl_exp_result *r = build(fx, FL_EXP_BATCH, 5, true);
    char *text = render(fl_write_json, r);
    struct json_object *o = parse_strict_utf8(text);
    ck_assert_str_eq(json_object_get_string(at(o, "verdict")), "aborted");
    ck_assert_int_eq(json_object_get_int(at(o, "exit_status")), 2);
    ck_assert_str_eq(json_object_get_string(at(o, "abort_reason")), r->abort_reason);
    struct json_object *run3 = json_object_array_get_idx(at(o, "runs"), 3);
    ck_assert_int_eq(json_object_get_int(at(run3, "exit_status")), 1);
    ck_assert_str_eq(json_object_get_string(at(run3, "after_output")), "ok\n");
    ck_assert_int_eq(json_object_array_length(at(run3, "samples")), 1);
    json_object_put(o);
    free(text);
    free(fx);
}
END_TEST

/* ---- JUnit --------------------------------------------------------------------------------- */

/* No '<' that does not begin one of the writer's own tags. */
static void assert_no_raw_lt(const char *text)
{
    static const char *const tags[] = {"<?xml", "<testsuites", "</testsuites", "<testsuite ",
                                       "</testsuite>", "<testcase ", "</testcase>", "<failure ",
                                       "</failure>", "<skipped ", "<error ", "<system-out>",
                                       "</system-out>"};
    for (const char *p = strchr(text, '<'); p; p = strchr(p + 1, '<')) {
        bool known = false;
        for (size_t i = 0; i < sizeof tags / sizeof tags[0]; i++)
            known |= strncmp(p, tags[i], strlen(tags[i])) == 0;
        ck_assert_msg(known, "raw '<' from data: %.40s", p);
    }
}

START_TEST(junit_counts_and_escapes)
{
    struct fixture *fx = calloc(1, sizeof *fx);
    struct fl_exp_result *r = build(fx, FL_EXP_SERVICE, 10, false);
    char *text = render(fl_write_junit, r);
    ck_assert_uint_eq(count(text, "<testcase "), NCHECKS);
    ck_assert_uint_eq(count(text, "<failure "), 1);
    ck_assert_uint_eq(count(text, "<skipped "), 1);
    ck_assert_uint_eq(count(text, "<error "), 0);
    ck_assert(strstr(text, "tests=\"7\" failures=\"1\" skipped=\"1\" errors=\"0\""));
    ck_assert(strstr(text, "classname=\"faultline.experiment.p95 &quot;quoted&quot; &lt;b&gt;"));
    ck_assert(strstr(text, "&#39;x&#39; line two"));   /* the newline in an attribute */
    assert_no_raw_lt(text);
    ck_assert(!strchr(text, '\x01'));
    free(text);
    r = build(fx, FL_EXP_SERVICE, 10, true);
    text = render(fl_write_junit, r);
    ck_assert_uint_eq(count(text, "<error message=\"the service died"), NCHECKS);
    ck_assert_uint_eq(count(text, "<failure "), 0);
    ck_assert(strstr(text, "errors=\"7\""));
    assert_no_raw_lt(text);
    free(text);
    r->nverdicts = 0;
    text = render(fl_write_junit, r);
    ck_assert_uint_eq(count(text, "<testcase "), 1);
    ck_assert_uint_eq(count(text, "<error "), 1);
    free(text);
    free(fx);
}
END_TEST

/* ---- HTML ---------------------------------------------------------------------------------- */

START_TEST(html_is_self_contained_and_escaped)
{
    struct fixture *fx = calloc(1, sizeof *fx);
    struct fl_exp_result *r = build(fx, FL_EXP_SERVICE, 10, false);
    char *text = render(fl_write_html, r);
    for (const char *p = strstr(text, "http"); p; p = strstr(p + 1, "http"))
        if (strncmp(p, "http://", 7) == 0 || strncmp(p, "https://", 8) == 0)
            ck_assert_msg(p - text >= 7 && strncmp(p - 7, "xmlns=\"", 7) == 0, "URL: %.40s", p);
    ck_assert(strstr(text, "<svg"));
    ck_assert(!strstr(text, "<b>bold"));
    ck_assert(strstr(text, "p95 &quot;quoted&quot; &lt;b&gt;bold&lt;/b&gt; &amp; &#39;x&#39;"));
    ck_assert(strstr(text, "\xc3\xbcn\xc3\xaf" "c\xc3\xb6"));
    ck_assert(strstr(text, "refused &lt;connect&gt;"));
    ck_assert(!strstr(text, "<script"));
    ck_assert_uint_eq(count(text, "<svg"), 5);   /* latency, three per-run strips, timeline */
    free(text);
    r = build(fx, FL_EXP_BATCH, 5, true);
    text = render(fl_write_html, r);
    ck_assert(strstr(text, "the service died during run 3 &lt;signal &quot;KILL&quot;&gt;"));
    free(text);
    free(fx);
}
END_TEST

/* ---- Markdown and the terminal ------------------------------------------------------------- */

START_TEST(markdown_has_a_row_per_check)
{
    struct fixture *fx = calloc(1, sizeof *fx);
    struct fl_exp_result *r = build(fx, FL_EXP_SERVICE, 10, false);
    char *text = render(fl_write_markdown, r);
    size_t rows = 0;
    for (const char *line = text; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL)
        rows += *line == '|';
    ck_assert_uint_eq(rows, NCHECKS + 2);   /* the header and its rule too */
    ck_assert(strncmp(text, "### faultline experiment: ", 26) == 0);
    ck_assert(strstr(text, "deviated \u274c"));
    ck_assert(!strstr(text, "<b>"));
    ck_assert(strstr(text, "Seed 18446744073709551615"));
    free(text);
    free(fx);
}
END_TEST

START_TEST(terminal_fits_and_colours_only_when_asked)
{
    struct fixture *fx = calloc(1, sizeof *fx);
    struct fl_exp_result *r = build(fx, FL_EXP_SERVICE, 10, false);
    char *text = render(terminal_plain, r);
    ck_assert(!strchr(text, '\033'));
    for (const char *line = text; *line;) {
        size_t len = strcspn(line, "\n"), chars = 0;
        for (size_t i = 0; i < len; i++)
            chars += ((unsigned char)line[i] & 0xc0) != 0x80;
        /* every line fits but the verdict line, kept whole for scripts to grep */
        ck_assert_msg(chars <= 100 || strncmp(line, "faultline: experiment ", 22) == 0,
                      "%zu columns: %.*s", chars, (int)len, line);
        line += len + (line[len] == '\n');
    }
    ck_assert(strstr(text, "faultline: experiment p95 \"quoted\" <b>bold</b> & 'x' line two"));
    ck_assert(strstr(text, "injected: "));
    ck_assert(strstr(text, "refused <connect> error"));
    free(text);
    fx->spec.name = "demo";
    fx->checks[1].name = "p95";
    text = render(terminal_plain, r);
    ck_assert(strstr(text, "\nfaultline: experiment demo: deviated: p95 (7 checks, 10+10 runs, "));
    free(text);
    text = render(terminal_color, r);
    ck_assert(strchr(text, '\033'));
    free(text);
    r = build(fx, FL_EXP_SERVICE, 10, true);
    fx->spec.name = "demo";
    text = render(terminal_plain, r);
    ck_assert(strstr(text, "faultline: experiment demo: ABORTED: the service died during run 3"));
    free(text);
    free(fx);
}
END_TEST

START_TEST(a_failed_stream_is_reported)
{
    struct fixture *fx = calloc(1, sizeof *fx);
    struct fl_exp_result *r = build(fx, FL_EXP_SERVICE, 10, false);
    int (*writers[])(FILE *, const struct fl_exp_result *) = {
        fl_write_json, fl_write_junit, fl_write_markdown, fl_write_html, terminal_plain};
    for (size_t i = 0; i < sizeof writers / sizeof writers[0]; i++) {
        FILE *f = fopen("/dev/full", "w");
        ck_assert_ptr_nonnull(f);
        setvbuf(f, NULL, _IONBF, 0);
        ck_assert_int_eq(writers[i](f, r), -1);
        fclose(f);
    }
    free(fx);
}
END_TEST

/* ---- formatting ---------------------------------------------------------------------------- */

START_TEST(values_in_their_units)
{
    char b[FL_FMT_MAX];
    fl_fmt_value(b, sizeof b, "s", 0.01234);
    ck_assert_str_eq(b, "12.3 ms");
    fl_fmt_value(b, sizeof b, "s", 47.2);
    ck_assert_str_eq(b, "47.2 s");
    fl_fmt_value(b, sizeof b, "s", 2.5e-6);
    ck_assert_str_eq(b, "2.50 us");
    fl_fmt_value(b, sizeof b, "B", 45.1 * 1048576);
    ck_assert_str_eq(b, "45.1 MiB");
    fl_fmt_value(b, sizeof b, "%", 0.975);
    ck_assert_str_eq(b, "97.5%");
    fl_fmt_value(b, sizeof b, "", 3);
    ck_assert_str_eq(b, "3");
    fl_fmt_value(b, sizeof b, "s", NAN);
    ck_assert_str_eq(b, "-");
    fl_fmt_estimate(b, sizeof b, "s", 0.0032, 0.0011, 0.0050, true);
    ck_assert_str_eq(b, "+3.20 ms [+1.10, +5.00]");
    fl_fmt_estimate(b, sizeof b, "%", -0.025, -0.05, INFINITY, true);
    ck_assert_str_eq(b, "-2.5 pp [-5.0, +inf]");
    fl_fmt_estimate(b, sizeof b, "s", 0.245, NAN, NAN, false);
    ck_assert_str_eq(b, "245 ms");
    fl_fmt_limits(b, sizeof b, "s", NAN, 0.25, false);
    ck_assert_str_eq(b, "<= 250 ms");
    fl_fmt_limits(b, sizeof b, "%", 0.95, INFINITY, false);
    ck_assert_str_eq(b, ">= 95.0%");
    fl_fmt_limits(b, sizeof b, "%", -0.05, NAN, true);        /* on a difference */
    ck_assert_str_eq(b, ">= -5.0 pp");
}
END_TEST

START_TEST(invalid_utf8_is_replaced)
{
    char *s = fl_utf8_clean("a\xff" "b\xc3\xbc\xe2\x82", 7);
    ck_assert_str_eq(s, "a\xef\xbf\xbd" "b\xc3\xbc\xef\xbf\xbd\xef\xbf\xbd");
    free(s);
    s = fl_utf8_clean("x\0y", 3);
    ck_assert_str_eq(s, "xy");
    free(s);
}
END_TEST

/* FL_REPORT_SAMPLE=DIR: every format of a realistic result written to DIR/exp.{html,txt,md,xml,
 * json}, to look at (a browser for the page). */
static void write_samples(void)
{
    const char *dir = getenv("FL_REPORT_SAMPLE");
    if (!dir)
        return;
    static const char *const ext[] = {"html", "txt", "md", "xml", "json"};
    int (*writers[])(FILE *, const struct fl_exp_result *) = {
        fl_write_html, terminal_plain, fl_write_markdown, fl_write_junit, fl_write_json};
    struct fixture *fx = calloc(1, sizeof *fx);
    struct fl_exp_result *r = build(fx, FL_EXP_SERVICE, 10, false);
    fx->spec.name = "demo client survives refused connects";
    fx->checks[1].name = "p95";
    for (size_t i = 0; i < sizeof ext / sizeof ext[0]; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/exp.%s", dir, ext[i]);
        FILE *f = fopen(path, "w");
        if (f) {
            writers[i](f, r);
            fclose(f);
        }
    }
    free(fx);
}

int main(void)
{
    write_samples();
    Suite *s = suite_create("report");
    TCase *tc = tcase_create("writers");
    tcase_add_test(tc, json_parses_and_values_round_trip);
    tcase_add_test(tc, json_aborted_says_so_and_batch_keeps_exit_statuses);
    tcase_add_test(tc, junit_counts_and_escapes);
    tcase_add_test(tc, html_is_self_contained_and_escaped);
    tcase_add_test(tc, markdown_has_a_row_per_check);
    tcase_add_test(tc, terminal_fits_and_colours_only_when_asked);
    tcase_add_test(tc, a_failed_stream_is_reported);
    tcase_add_test(tc, values_in_their_units);
    tcase_add_test(tc, invalid_utf8_is_replaced);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
