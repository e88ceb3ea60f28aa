/* faultline experiment FILE: run a control group and an experiment group of a program, measure
 * them, have the judge compare them, and write the reports.
 *
 * The runs go in counterbalanced order (ABBA: pair 0 control then experiment, pair 1 the other
 * way round; with an A/A group a Latin square of the three), the experiment run and the control
 * run of pair i sharing the seed fl_stats_run_seed(seed, i) so that a dry-run control logs the
 * very decisions the experiment acted on. Each run gets a fresh directory and an event log
 * beside it (never inside: a program may wipe its directory); only the target processes get the
 * shim. What a run measured comes from wait4 (child.c), the load (load.c), the `after`
 * commands and the run's event log, read back with json-c.
 *
 * --replay JOURNAL --run K runs run K of an earlier experiment again, alone, with its group and
 * seed, once the journal's SHA-256 of the experiment file matches the file as it is now. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <regex.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "calls.h"
#include "child.h"
#include "cli.h"
#include "config.h"
#include "experiment.h"
#include "jsonl.h"
#include "load.h"
#include "preload.h"
#include "report/report.h"
#include "stats.h"

static int experiment_main(int argc, char **argv);

const struct fl_cli_verb fl_cli_experiment = {
    .name = "experiment",
    .summary = "runs with and without faults, compared: a verdict to gate CI on",
    .usage = "faultline experiment [--runs N] [--seed S] [--aa] [--json FILE] [--junit FILE] "
             "[--markdown FILE] [--html FILE] [--keep DIR] [--pid PID] [-q] FILE\n"
             "       faultline experiment --replay JOURNAL --run K [--log FILE] [--keep DIR]",
    .options =
        "  -n, --runs N        runs per group (1..1000), overriding the file's `runs`\n"
        "  -s, --seed S        the experiment's seed, overriding the file's `seed`\n"
        "      --aa            also a second control group (A/A) to measure the noise\n"
        "      --json FILE     write the journal (everything measured, for audit and replay)\n"
        "      --junit FILE    write JUnit XML, one testcase per hypothesis check\n"
        "      --markdown FILE write a Markdown summary\n"
        "      --html FILE     write an HTML report with charts\n"
        "      --keep DIR      keep every run's directory and event log in DIR\n"
        "      --pid PID       live: the process, overriding the file's live.pid\n"
        "  -q, --quiet         no progress line\n"
        "      --replay JOURNAL  run one run of the journal's experiment again...\n"
        "      --run K         ...run K (as the journal numbers them)\n"
        "      --log FILE      ...with its event log at FILE\n"
        "  -h, --help          this help\n"
        "Exit status: 0 every check held, 1 a check deviated or was inconclusive, 2 an invalid\n"
        "file or option, a stop condition, or a run that could not be made.\n",
    .main = experiment_main,
};

struct exp_opts {
    long runs;                  /* -1: the file's */
    const char *seed;           /* NULL: the file's */
    bool aa, quiet;
    const char *json, *junit, *markdown, *html, *keep;
    pid_t pid;                  /* 0: the file's */
    const char *file;
    const char *replay;         /* --replay JOURNAL */
    long run;                   /* --run K, -1 none */
    const char *log;            /* --log FILE */
};

/* SIGINT or SIGTERM arrived: the experiment stops its children and writes its reports. */
static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
    (void)sig;
    interrupted = 1;
}

/* Everything a run needs from the experiment as a whole. */
struct runner {
    const struct fl_exp_spec *spec;
    struct fl_exp_result *result;
    const struct exp_opts *opts;
    char *preload;              /* "LD_PRELOAD=..." */
    char *dry_rules;            /* "FAULTLINE_RULES=..." with dry_run = true */
    char *rules_env;            /* "FAULTLINE_RULES=..." (experiment), or NULL */
    char *config_env;           /* "FAULTLINE_CONFIG=...", or NULL */
    char *injecting;            /* "refused (connect)": the rules, for the progress line */
    char base[PATH_MAX - 64];   /* where run directories and logs go */
    bool base_is_temp;          /* made here, removed at the end */
    double t0;                  /* CLOCK_MONOTONIC at the start */
    bool progress;
    size_t total_runs;
    /* the run under way (for the load's stop function) */
    struct fl_child *service;
    struct fl_child_status service_status;
    bool service_exited;
    unsigned run_index;
};

/* ---- small helpers ------------------------------------------------------------------------- */

static bool deadline_passed(const struct runner *r)
{
    return r->spec->stop.deadline_ns &&
           fl_child_now() - r->t0 >= (double)r->spec->stop.deadline_ns / 1e9;
}

/* Abort the experiment with a reason (the first reason given stays). */
__attribute__((format(printf, 2, 3))) static void abort_with(struct fl_exp_result *result,
                                                             const char *fmt, ...)
{
    va_list ap;

    if (result->aborted)
        return;
    result->aborted = true;
    result->exit_status = FL_EXIT_USAGE;
    va_start(ap, fmt);
    vsnprintf(result->abort_reason, sizeof result->abort_reason, fmt, ap);
    va_end(ap);
}

/* Why a long-running experiment stops between or inside runs: interrupted, or the deadline. */
static bool stop_now(struct runner *r)
{
    if (interrupted)
        abort_with(r->result, "interrupted");
    else if (deadline_passed(r))
        abort_with(r->result, "the experiment's deadline (%g s) passed",
                   (double)r->spec->stop.deadline_ns / 1e9);
    return r->result->aborted;
}

/* The last `max` bytes of a file, for a message (malloc'd, "" when unreadable). */
static char *file_tail(const char *path, size_t max)
{
    FILE *f = fopen(path, "r");
    char *buf = calloc(1, max + 1);
    size_t n = 0;

    if (f && buf) {
        if (fseek(f, 0, SEEK_END) == 0) {
            long size = ftell(f);
            fseek(f, size > (long)max ? size - (long)max : 0, SEEK_SET);
        }
        n = fread(buf, 1, max, f);
        buf[n] = '\0';
        while (n && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
            buf[--n] = '\0';
    }
    if (f)
        fclose(f);
    return buf;
}

/* ---- the shim's environment ---------------------------------------------------------------- */

/* "NAME=VALUE", malloc'd (NULL when out of memory). */
static char *env_entry(const char *name, const char *value)
{
    char *s;

    return asprintf(&s, "%s=%s", name, value) < 0 ? NULL : s;
}

/* "rule (call, call), rule (call)": what the rules inject, for the progress line. */
static char *describe_rules(const struct fl_config *cfg)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);

    if (!f)
        return NULL;
    for (size_t i = 0; i < cfg->nrules; i++) {
        const char *sep = " (";
        fprintf(f, "%s%s", i ? ", " : "", cfg->rules[i].name);
        for (unsigned c = 0; c < FL_CALL_COUNT; c++)
            if (cfg->rules[i].calls[c / 64] >> (c % 64) & 1) {
                fprintf(f, "%s%s", sep, fl_calls[c].name);
                sep = ", ";
            }
        if (strcmp(sep, ", ") == 0)
            fputc(')', f);
    }
    if (fclose(f) != 0) {
        free(text);
        return NULL;
    }
    return text;
}

/* Validate the faults with the shim's reader and build the environment entries the runs share.
 * -1 after saying why (the experiment does not start). */
static int prepare_shim(struct runner *r)
{
    const struct fl_exp_faults *faults = &r->spec->faults;
    struct fl_config cfg = {0};
    char *lib, *value, *dry;

    if (r->spec->shape == FL_EXP_LIVE)
        return 0;   /* the live process has its shim already */
    if (fl_preload_validate(faults->rules_file, faults->rules_text, &cfg) < 0)
        return -1;
    r->injecting = describe_rules(&cfg);
    fl_config_free(&cfg);
    if (!(lib = fl_preload_find_library()))
        return -1;
    value = fl_preload_value(lib, getenv("LD_PRELOAD"));
    free(lib);
    r->preload = value ? env_entry("LD_PRELOAD", value) : NULL;
    free(value);
    dry = faults->rules_text ? fl_preload_merge_text(faults->rules_text, "dry_run = true;")
                             : strdup("dry_run = true;");
    r->dry_rules = dry ? env_entry("FAULTLINE_RULES", dry) : NULL;
    free(dry);
    r->rules_env = faults->rules_text ? env_entry("FAULTLINE_RULES", faults->rules_text) : NULL;
    r->config_env = faults->rules_file ? env_entry("FAULTLINE_CONFIG", faults->rules_file) : NULL;
    if (!r->preload || !r->dry_rules || (faults->rules_text && !r->rules_env) ||
        (faults->rules_file && !r->config_env) || !r->injecting) {
        fl_cli_say("out of memory");
        return -1;
    }
    return 0;
}

/* The shim's entries for one run (NULL-terminated, in shim[5], seed and log entries malloc'd
 * into owned[2]); NULL when the run gets no shim (a bare control). */
static char **run_shim(const struct runner *r, const struct fl_exp_run *run, const char *log,
                       char *shim[6], char *owned[2])
{
    size_t n = 0;
    char seed[32];

    owned[0] = owned[1] = NULL;
    if (run->group != FL_GROUP_EXPERIMENT && r->spec->control == FL_EXP_CONTROL_BARE)
        return NULL;
    snprintf(seed, sizeof seed, "%" PRIu64, run->seed);
    owned[0] = env_entry("FAULTLINE_SEED", seed);
    owned[1] = env_entry("FAULTLINE_LOG", log);
    shim[n++] = r->preload;
    shim[n++] = owned[0];
    shim[n++] = owned[1];
    if (r->config_env)
        shim[n++] = r->config_env;
    if (run->group == FL_GROUP_EXPERIMENT) {
        if (r->rules_env)
            shim[n++] = r->rules_env;
    } else {
        shim[n++] = r->dry_rules;
    }
    shim[n] = NULL;
    return owned[0] && owned[1] ? shim : NULL;
}

/* ---- what a run's event log says ------------------------------------------------------------ */

/* Count the faults of run's event log at `log` into run->counts and run->faults; an experiment
 * run's faults also go into the result's totals and timeline. A missing log is no fault. -1
 * when out of memory. */
static int read_faults(struct fl_exp_result *result, struct fl_exp_run *run, const char *log)
{
    FILE *f = fopen(log, "r");
    char *line = NULL;
    size_t cap = 0, first = result->nfaults;
    ssize_t len;
    int rc = 0;

    if (!f)
        return 0;
    while (rc == 0 && (len = getline(&line, &cap, f)) > 0) {
        struct json_object *v = NULL;
        const char *event, *rule, *action;
        int64_t t_ns = 0;
        long ri;
        if (fl_json_parse(line, (size_t)len, &v) < 0)
            continue;
        event = fl_json_str(v, "event");
        rule = fl_json_str(v, "rule");
        action = fl_json_str(v, "action");
        if (event && strcmp(event, "fault") == 0 && rule && action) {
            run->faults++;
            if (fl_exp_count_add(&run->counts, &run->ncounts, rule, action, 1) < 0 ||
                (ri = fl_exp_rule_index(result, rule)) < 0)
                rc = -1;
            else if (run->group == FL_GROUP_EXPERIMENT) {
                struct fl_exp_fault *grown = realloc(result->faults,
                                                     (result->nfaults + 1) * sizeof *grown);
                fl_json_time_ns(v, "t", &t_ns);
                if (!grown || fl_exp_count_add(&result->injected, &result->ninjected, rule, action,
                                        1) < 0) {
                    if (grown)
                        result->faults = grown;
                    rc = -1;
                } else {
                    result->faults = grown;
                    grown[result->nfaults++] = (struct fl_exp_fault){
                        .t = (double)t_ns / 1e9 - result->started,
                        .rule = (unsigned)ri, .run = run->index};
                    result->faults_injected++;
                }
            }
        }
        json_object_put(v);
    }
    free(line);
    fclose(f);
    fl_exp_faults_sort(result, first);
    return rc;
}

/* ---- one run ------------------------------------------------------------------------------- */

/* Run every `after` check's command; keep the first failing one's status and output in run (or,
 * when all pass, the first one's). -1 after aborting when one cannot be started. */
static int run_after_checks(struct runner *r, struct fl_exp_run *run, char **env)
{
    const struct fl_exp_spec *spec = r->spec;
    bool kept_failure = false;

    run->after_status = -1;
    for (size_t i = 0; i < spec->nchecks; i++) {
        const struct fl_exp_check *check = &spec->checks[i];
        struct fl_child_spec cs = {.argv = check->command.argv, .env = env, .dir = spec->dir,
                                   .capture_out = true, .out_fd = -1, .err_fd = -1};
        struct fl_child c;
        struct fl_child_status st;
        char why[512];
        bool failed;
        if (check->metric != FL_M_AFTER || !check->command.argv)
            continue;
        if (fl_child_start(&cs, &c, why, sizeof why) < 0) {
            abort_with(r->result, "the after check '%s' (line %d) could not run: %s",
                       check->name, check->line, why);
            return -1;
        }
        while (!fl_child_wait(&c, -1, &st))
            ;
        failed = st.status != 0;
        if (!failed && check->expect) {
            regex_t re;
            if (regcomp(&re, check->expect, REG_EXTENDED | REG_NOSUB | REG_NEWLINE) == 0) {
                failed = regexec(&re, c.out ? c.out : "", 0, NULL, 0) != 0;
                regfree(&re);
            }
        }
        if (run->after_status < 0 || (failed && !kept_failure)) {
            free(run->after_output);
            run->after_output = c.out;
            c.out = NULL;
            run->after_status = st.status;
            kept_failure = failed;
        }
        fl_child_release(&c);
    }
    return 0;
}

/* The load's stop function: interrupted, the deadline, or the service died. */
static bool load_should_stop(void *arg, char *why, size_t cap)
{
    struct runner *r = arg;

    if (interrupted) {
        snprintf(why, cap, "interrupted");
        return true;
    }
    if (deadline_passed(r)) {
        snprintf(why, cap, "the experiment's deadline (%g s) passed",
                 (double)r->spec->stop.deadline_ns / 1e9);
        return true;
    }
    if (!r->service_exited && fl_child_wait(r->service, 0, &r->service_status))
        r->service_exited = true;
    if (r->service_exited && r->spec->stop.service_died) {
        snprintf(why, cap, "the service exited with status %d during run %u",
                 r->service_status.status, r->run_index);
        return true;
    }
    return false;
}

/* The batch shape: the command, measured. */
static void run_batch(struct runner *r, struct fl_exp_run *run, char **env, int err_fd)
{
    const struct fl_exp_spec *spec = r->spec;
    struct fl_child_spec cs = {.argv = spec->batch.argv, .env = env, .dir = spec->dir,
                               .capture_out = true, .out_fd = -1, .err_fd = err_fd};
    double limit = spec->stop.run_timeout_ns ? (double)spec->stop.run_timeout_ns / 1e9 : INFINITY;
    struct fl_child c;
    struct fl_child_status st;
    char why[512];

    if (fl_child_start(&cs, &c, why, sizeof why) < 0) {
        abort_with(r->result, "run %u could not start: %s", run->index, why);
        return;
    }
    for (;;) {
        double left = limit - (fl_child_now() - c.started);
        if (spec->stop.deadline_ns)
            left = fmin(left, (double)spec->stop.deadline_ns / 1e9 - (fl_child_now() - r->t0));
        if (fl_child_wait(&c, isinf(left) ? -1 : fmax(left, 0), &st))
            break;
        if (fl_child_now() - c.started >= limit)
            abort_with(r->result, "run %u took longer than %g s", run->index, limit);
        else
            stop_now(r);
        if (r->result->aborted) {
            fl_child_stop(&c, SIGKILL, 0, &st);
            break;
        }
    }
    run->exit_status = st.status;
    run->wall = st.wall;
    run->cpu = st.cpu;
    run->peak_rss = st.peak_rss;
    run->out = c.out;
    run->out_len = c.out_len;
    run->out_truncated = c.out_truncated;
    c.out = NULL;
    fl_child_release(&c);
    if (!r->result->aborted) {
        run->samples = malloc(sizeof *run->samples);
        if (run->samples) {
            run->samples[0] = (struct fl_exp_sample){.t = run->start, .latency = st.wall,
                                                     .ok = st.status == 0};
            run->nsamples = 1;
        }
    }
}

/* The service shape: start it, wait until it is ready, run the load, stop it. */
static void run_service(struct runner *r, struct fl_exp_run *run, char **shim_env,
                        char **bare_env, int err_fd, const char *err_path)
{
    const struct fl_exp_spec *spec = r->spec;
    enum fl_exp_target target = spec->faults.target;
    bool shim_service = target == FL_EXP_TARGET_SERVICE || target == FL_EXP_TARGET_BOTH;
    bool shim_load = target == FL_EXP_TARGET_LOAD || target == FL_EXP_TARGET_BOTH;
    struct fl_child_spec cs = {.argv = spec->service.start.argv,
                               .env = shim_service ? shim_env : bare_env, .dir = spec->dir,
                               .out_fd = err_fd, .err_fd = err_fd};
    double ready_by = fl_child_now() + (double)spec->service.ready_timeout_ns / 1e9;
    double interval = (double)spec->service.ready_interval_ns / 1e9;
    struct fl_child svc;
    char why[512];
    bool ready = false;

    if (fl_child_start(&cs, &svc, why, sizeof why) < 0) {
        abort_with(r->result, "the service could not start: %s", why);
        return;
    }
    r->service = &svc;
    r->service_exited = false;
    r->run_index = run->index;
    while (!ready && !r->result->aborted) {
        struct fl_child_spec rs = {.argv = spec->service.ready.argv, .env = bare_env,
                                   .dir = spec->dir, .out_fd = -1, .err_fd = -1};
        struct fl_child probe;
        struct fl_child_status st;
        if (!spec->service.ready.argv) {
            ready = true;
            break;
        }
        if (fl_child_start(&rs, &probe, why, sizeof why) < 0) {
            abort_with(r->result, "the ready command could not start: %s", why);
            break;
        }
        while (!fl_child_wait(&probe, fmax(ready_by - fl_child_now(), 0), &st)) {
            if (interrupted || fl_child_now() >= ready_by) {
                fl_child_stop(&probe, SIGKILL, 0, &st);
                st.status = -1;
                break;
            }
        }
        fl_child_release(&probe);
        if (st.status == 0) {
            ready = true;
        } else if (stop_now(r)) {
            break;
        } else if (fl_child_wait(&svc, fmax(fmin(interval, ready_by - fl_child_now()), 0),
                                 &r->service_status)) {
            char *tail = file_tail(err_path, 400);
            r->service_exited = true;
            abort_with(r->result, "the service exited with status %d before it was ready%s%s",
                       r->service_status.status, tail && *tail ? ": " : "", tail ? tail : "");
            free(tail);
        } else if (fl_child_now() >= ready_by) {
            char *tail = file_tail(err_path, 400);
            abort_with(r->result, "the service was not ready after %g s%s%s",
                       (double)spec->service.ready_timeout_ns / 1e9,
                       tail && *tail ? "; its output ends: " : "", tail ? tail : "");
            free(tail);
        }
    }
    if (ready) {
        int rc = fl_load_run(spec, shim_load ? shim_env : bare_env, r->t0, 0, run,
                             load_should_stop, r, why, sizeof why);
        if (rc != 0)
            abort_with(r->result, "%s", why);
    }
    if (!r->service_exited)
        fl_child_stop(&svc, spec->service.stop_signal ? spec->service.stop_signal : SIGTERM,
                      (double)spec->service.stop_grace_ns / 1e9, &r->service_status);
    else
        fl_child_stop(&svc, SIGKILL, 0, &r->service_status);    /* its group's leftovers */
    fl_child_release(&svc);
    r->service = NULL;
    run->wall = r->service_status.wall;
    run->cpu = r->service_status.cpu;
    run->peak_rss = r->service_status.peak_rss;
}

/* Show the progress line (a terminal only). */
static void show_progress(const struct runner *r, const struct fl_exp_run *run)
{
    if (!r->progress)
        return;
    fprintf(stderr, "\r\033[Krun %u/%zu %-10s %6.1f s  %s%s", run->index + 1, r->total_runs,
            fl_exp_group_name(run->group), fl_child_now() - r->t0,
            run->group == FL_GROUP_EXPERIMENT ? "injecting: " : "",
            run->group == FL_GROUP_EXPERIMENT ? (r->injecting ? r->injecting : "") :
            r->spec->control == FL_EXP_CONTROL_BARE ? "no shim" : "dry run");
    fflush(stderr);
}

/* Make the run's directory and name its log and stderr file. -1 after aborting. */
static int run_paths(struct runner *r, const struct fl_exp_run *run, char *dir, char *log,
                     char *err, const char *log_override)
{
    snprintf(dir, PATH_MAX, "%s/run-%u", r->base, run->index);
    snprintf(log, PATH_MAX, "%s/run-%u.events.jsonl", r->base, run->index);
    snprintf(err, PATH_MAX, "%s/run-%u.stderr", r->base, run->index);
    if (log_override)
        snprintf(log, PATH_MAX, "%s", log_override);
    fl_exp_remove_tree(dir);
    unlink(log);
    if (mkdir(dir, 0700) != 0) {
        abort_with(r->result, "%s: cannot make the run's directory: %s", dir, strerror(errno));
        return -1;
    }
    return 0;
}

/* Run one run (run->group, run->seed and run->index set) and measure it into *run. */
static void run_one(struct runner *r, struct fl_exp_run *run, const char *log_override)
{
    const struct fl_exp_spec *spec = r->spec;
    char dir[PATH_MAX], log[PATH_MAX], err[PATH_MAX], *shim[6], *owned[2];
    char **shim_env = NULL, **bare_env = NULL;
    int err_fd;

    run->exit_status = -1;
    run->after_status = -1;
    show_progress(r, run);
    if (run_paths(r, run, dir, log, err, log_override) < 0)
        return;
    char **shim_list = run_shim(r, run, log, shim, owned);
    shim_env = fl_load_env(spec, run, dir, shim_list);
    bare_env = fl_load_env(spec, run, dir, NULL);
    err_fd = open(err, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (!shim_env || !bare_env || err_fd < 0) {
        abort_with(r->result, "cannot prepare run %u: %s", run->index,
                   err_fd < 0 ? strerror(errno) : "out of memory");
    } else {
        run->start = fl_child_now() - r->t0;
        if (spec->shape == FL_EXP_BATCH)
            run_batch(r, run, shim_env, err_fd);
        else
            run_service(r, run, shim_env, bare_env, err_fd, err);
        if (!r->result->aborted)
            run_after_checks(r, run, bare_env);
        run->end = fl_child_now() - r->t0;
        if (read_faults(r->result, run, log) < 0)
            abort_with(r->result, "out of memory");
    }
    if (err_fd >= 0)
        close(err_fd);
    fl_load_env_free(shim_env);
    fl_load_env_free(bare_env);
    free(owned[0]);
    free(owned[1]);
    if (r->opts->keep || log_override)
        run->log = strdup(log);
    if (!r->opts->keep) {
        fl_exp_remove_tree(dir);
        unlink(err);
        if (!log_override)
            unlink(log);
    }
}

/* ---- the experiment ------------------------------------------------------------------------ */

/* Run every run of the experiment into r->result. */
static void run_all(struct runner *r)
{
    const struct fl_exp_spec *spec = r->spec;
    unsigned groups = spec->aa ? 3 : 2;
    struct fl_exp_result *result = r->result;

    r->total_runs = (size_t)spec->runs * groups;
    result->runs = calloc(r->total_runs, sizeof *result->runs);
    if (!result->runs) {
        abort_with(result, "out of memory");
        return;
    }
    for (unsigned pair = 0; pair < spec->runs && !result->aborted; pair++)
        for (unsigned slot = 0; slot < groups && !stop_now(r); slot++) {
            struct fl_exp_run *run = &result->runs[result->nruns];
            run->index = (unsigned)result->nruns++;
            run->group = fl_exp_group_at(spec->aa, pair, slot);
            run->pair = pair;
            run->seed = fl_stats_run_seed(spec->seed, pair);
            run_one(r, run, NULL);
        }
    if (r->progress)
        fputs("\r\033[K", stderr);
}

/* Where runs go: --keep DIR (made when missing), else a fresh temporary directory. -1 after
 * saying why. */
static int make_base(struct runner *r)
{
    const char *tmp = getenv("TMPDIR");

    if (r->opts->keep) {
        if (mkdir(r->opts->keep, 0700) != 0 && errno != EEXIST) {
            fl_cli_say("%s: cannot make it: %s", r->opts->keep, strerror(errno));
            return -1;
        }
        char *abs = realpath(r->opts->keep, NULL);
        if (!abs || strlen(abs) >= sizeof r->base) {
            fl_cli_say("%s: %s", r->opts->keep, abs ? "its path is too long" : strerror(errno));
            free(abs);
            return -1;
        }
        strcpy(r->base, abs);
        free(abs);
        return 0;
    }
    snprintf(r->base, sizeof r->base, "%s/faultline-experiment-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(r->base)) {
        fl_cli_say("%s: cannot make a temporary directory: %s", r->base, strerror(errno));
        return -1;
    }
    r->base_is_temp = true;
    return 0;
}

static void free_runner(struct runner *r)
{
    free(r->preload);
    free(r->dry_rules);
    free(r->rules_env);
    free(r->config_env);
    free(r->injecting);
    if (r->base_is_temp)
        fl_exp_remove_tree(r->base);
}

/* ---- options and reports ------------------------------------------------------------------- */

#define WANT_HELP (-1)

/* Fill *o from the command line: 0, WANT_HELP, or FL_EXIT_USAGE after saying why. */
static int parse_options(int argc, char **argv, struct exp_opts *o)
{
    enum { O_AA = 256, O_JSON, O_JUNIT, O_MARKDOWN, O_HTML, O_KEEP, O_PID, O_REPLAY, O_RUN,
           O_LOG };
    static const struct option longs[] = {
        {"runs", required_argument, NULL, 'n'},    {"seed", required_argument, NULL, 's'},
        {"aa", no_argument, NULL, O_AA},           {"json", required_argument, NULL, O_JSON},
        {"junit", required_argument, NULL, O_JUNIT},
        {"markdown", required_argument, NULL, O_MARKDOWN},
        {"html", required_argument, NULL, O_HTML}, {"keep", required_argument, NULL, O_KEEP},
        {"pid", required_argument, NULL, O_PID},   {"quiet", no_argument, NULL, 'q'},
        {"replay", required_argument, NULL, O_REPLAY},
        {"run", required_argument, NULL, O_RUN},   {"log", required_argument, NULL, O_LOG},
        {"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0},
    };
    char *end;
    int c;

    o->runs = -1;
    o->run = -1;
    while ((c = getopt_long(argc, argv, ":n:s:qh", longs, NULL)) != -1) {
        switch (c) {
        case 'n':
            errno = 0;
            o->runs = strtol(optarg, &end, 10);
            if (errno || *end || !*optarg || o->runs < 1 || o->runs > 1000)
                return fl_cli_usage_error(&fl_cli_experiment,
                                          "--runs takes a number from 1 to 1000, not '%s'",
                                          optarg);
            break;
        case 's':
            if (!*optarg || strspn(optarg, "0123456789") != strlen(optarg) ||
                (errno = 0, strtoull(optarg, NULL, 10), errno))
                return fl_cli_usage_error(&fl_cli_experiment,
                                          "--seed takes a non-negative integer, not '%s'", optarg);
            o->seed = optarg;
            break;
        case O_AA: o->aa = true; break;
        case O_JSON: o->json = optarg; break;
        case O_JUNIT: o->junit = optarg; break;
        case O_MARKDOWN: o->markdown = optarg; break;
        case O_HTML: o->html = optarg; break;
        case O_KEEP: o->keep = optarg; break;
        case O_PID:
            if ((o->pid = fl_cli_parse_pid(optarg)) < 0)
                return fl_cli_usage_error(&fl_cli_experiment,
                                          "--pid takes a process ID, not '%s'", optarg);
            break;
        case 'q': o->quiet = true; break;
        case O_REPLAY: o->replay = optarg; break;
        case O_RUN:
            errno = 0;
            o->run = strtol(optarg, &end, 10);
            if (errno || *end || !*optarg || o->run < 0 || o->run > INT_MAX)
                return fl_cli_usage_error(&fl_cli_experiment,
                                          "--run takes a run's number (0, 1, ...), not '%s'",
                                          optarg);
            break;
        case O_LOG: o->log = optarg; break;
        case 'h': return WANT_HELP;
        default: return fl_cli_bad_option(&fl_cli_experiment, c, argv);
        }
    }
    if (o->replay) {
        if (o->run < 0)
            return fl_cli_usage_error(&fl_cli_experiment, "--replay needs --run K");
        if (optind < argc)
            return fl_cli_usage_error(&fl_cli_experiment,
                                      "--replay takes no experiment file: the journal names it");
        return 0;
    }
    if (o->run >= 0 || o->log)
        return fl_cli_usage_error(&fl_cli_experiment, "%s goes with --replay",
                                  o->run >= 0 ? "--run" : "--log");
    if (optind >= argc)
        return fl_cli_usage_error(&fl_cli_experiment, "no experiment file");
    if (optind + 1 < argc)
        return fl_cli_usage_error(&fl_cli_experiment, "one experiment file only, not '%s' too",
                                  argv[optind + 1]);
    o->file = argv[optind];
    return 0;
}

/* The report files, opened before anything runs so that a bad path costs no experiment. */
struct report_file {
    const char *path;
    int (*write)(FILE *f, const struct fl_exp_result *r);
    FILE *f;
};

static int open_reports(struct report_file *files, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (!files[i].path)
            continue;
        if (!(files[i].f = fopen(files[i].path, "w"))) {
            fl_cli_say("%s: cannot write the report: %s", files[i].path, strerror(errno));
            return -1;
        }
    }
    return 0;
}

/* Write every report; -1 when one failed (said). Closes the files. */
static int write_reports(struct report_file *files, size_t n, const struct fl_exp_result *result)
{
    int rc = 0;

    for (size_t i = 0; i < n; i++) {
        if (!files[i].f)
            continue;
        if (files[i].write(files[i].f, result) < 0 || fclose(files[i].f) != 0) {
            fl_cli_say("%s: cannot write the report: %s", files[i].path, strerror(errno));
            rc = -1;
        }
        files[i].f = NULL;
    }
    return rc;
}

static void close_reports(struct report_file *files, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (files[i].f) {
            fclose(files[i].f);
            files[i].f = NULL;
        }
}

static bool color_wanted(void)
{
    const char *no = getenv("NO_COLOR");
    return isatty(STDOUT_FILENO) && !(no && *no);
}

/* Catch SIGINT and SIGTERM without restarting calls, so that a wait returns at once. */
static void catch_signals(void)
{
    struct sigaction sa = {.sa_handler = on_signal};

    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

/* Read the experiment file and apply the options; -1 after saying why. */
static int load_spec(const char *file, const struct exp_opts *o, struct fl_exp_spec *spec)
{
    struct fl_diag diag;

    if (fl_exp_load(file, spec, &diag) < 0) {
        fl_cli_say("%s", diag.text);
        return -1;
    }
    if (o->runs > 0)
        spec->runs = (unsigned)o->runs;
    if (o->seed)
        spec->seed = strtoull(o->seed, NULL, 10);
    if (o->aa)
        spec->aa = true;
    if (o->pid > 0) {
        if (spec->shape != FL_EXP_LIVE) {
            fl_cli_say("%s: --pid applies to a live experiment only", file);
            fl_exp_spec_free(spec);
            return -1;
        }
        spec->live.pid = o->pid;
        free(spec->live.program);
        spec->live.program = NULL;
    }
    return 0;
}

static double now_realtime(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void live_progress(const struct fl_exp_result *result, void *arg)
{
    struct runner *r = arg;

    if (result->nruns)
        show_progress(r, &result->runs[result->nruns - 1]);
}

/* faultline experiment FILE. */
static int experiment(const struct exp_opts *o)
{
    struct fl_exp_spec spec;
    struct fl_exp_result result = {0};
    struct runner r = {.opts = o};
    struct report_file files[] = {
        {o->json, fl_write_json, NULL},     {o->junit, fl_write_junit, NULL},
        {o->markdown, fl_write_markdown, NULL}, {o->html, fl_write_html, NULL},
    };
    size_t nfiles = sizeof files / sizeof *files;
    int rc;

    if (load_spec(o->file, o, &spec) < 0)
        return FL_EXIT_USAGE;
    r.spec = result.spec = &spec;
    r.result = &result;
    if (prepare_shim(&r) < 0 || open_reports(files, nfiles) < 0 || make_base(&r) < 0) {
        close_reports(files, nfiles);
        free_runner(&r);
        fl_exp_spec_free(&spec);
        return FL_EXIT_USAGE;
    }
    r.progress = !o->quiet && isatty(STDERR_FILENO);
    catch_signals();
    result.started = now_realtime();
    r.t0 = fl_child_now();
    if (spec.shape == FL_EXP_LIVE) {
        r.total_runs = (size_t)spec.runs * (spec.aa ? 3 : 2);
        fl_exp_live_run(&spec, &result, live_progress, &r);
        if (r.progress)
            fputs("\r\033[K", stderr);
    } else {
        run_all(&r);
    }
    if (interrupted)
        abort_with(&result, "interrupted");
    result.duration = fl_child_now() - r.t0;
    if (fl_exp_judge(&result, spec.seed) < 0)
        abort_with(&result, "out of memory");
    if (result.aborted)
        result.exit_status = FL_EXIT_USAGE;
    fl_write_terminal(stdout, &result, color_wanted());
    fflush(stdout);
    rc = result.exit_status;
    if (write_reports(files, nfiles, &result) < 0)
        rc = FL_EXIT_USAGE;
    if (result.aborted)
        fl_cli_say("%s: aborted: %s", o->file, result.abort_reason);
    fl_exp_result_free(&result);
    free_runner(&r);
    fl_exp_spec_free(&spec);
    return rc;
}

/* ---- replay -------------------------------------------------------------------------------- */

/* The journal's text parsed; NULL after saying why. */
static struct json_object *read_journal(const char *path)
{
    FILE *f = fopen(path, "r");
    char *text = NULL;
    size_t cap = 0, len = 0;
    struct json_object *v = NULL;

    if (!f) {
        fl_cli_say("%s: %s", path, strerror(errno));
        return NULL;
    }
    len = (size_t)getdelim(&text, &cap, '\0', f);
    fclose(f);
    if (!text || len == (size_t)-1 || fl_json_parse(text, len, &v) < 0 || !v ||
        !json_object_is_type(v, json_type_object)) {
        fl_cli_say("%s: not a journal of faultline experiment (--json): not a JSON object", path);
        json_object_put(v);
        free(text);
        return NULL;
    }
    free(text);
    return v;
}

/* faultline experiment --replay JOURNAL --run K. */
static int replay(const struct exp_opts *o)
{
    struct json_object *journal = read_journal(o->replay), *file, *runs, *run_v = NULL;
    const char *path, *sha, *group, *seed_text;
    struct fl_exp_spec spec;
    struct fl_exp_result result = {0};
    struct runner r = {.opts = o};
    struct fl_exp_run *run;
    char log[PATH_MAX];
    int rc = FL_EXIT_USAGE;

    if (!journal)
        return FL_EXIT_USAGE;
    file = fl_json_get(journal, "file");
    path = fl_json_str(file, "path");
    sha = fl_json_str(file, "sha256");
    runs = fl_json_get(journal, "runs");
    if (!path || !sha || !json_object_is_type(runs, json_type_array)) {
        fl_cli_say("%s: not a journal of faultline experiment (--json): no file.path, "
                   "file.sha256 or runs", o->replay);
        goto out;
    }
    for (size_t i = 0; i < json_object_array_length(runs); i++) {
        int64_t index;
        struct json_object *one = json_object_array_get_idx(runs, i);
        if (fl_json_int(one, "index", &index) && index == o->run)
            run_v = one;
    }
    group = fl_json_str(run_v, "group");
    seed_text = fl_json_uint_text(run_v, "seed");
    if (!run_v || !group || !seed_text) {
        fl_cli_say("%s: the journal has no run %ld (its runs are 0 to %zu)", o->replay, o->run,
                   json_object_array_length(runs) ? json_object_array_length(runs) - 1 : 0);
        goto out;
    }
    {
        struct exp_opts file_opts = {.runs = -1, .run = -1};
        if (load_spec(path, &file_opts, &spec) < 0)
            goto out;
    }
    if (strcmp(spec.sha256, sha) != 0) {
        fl_cli_say("%s: the experiment file changed since the journal was written (its SHA-256 "
                   "was %.12s..., it is %.12s... now): run the experiment again", path, sha,
                   spec.sha256);
        fl_exp_spec_free(&spec);
        goto out;
    }
    if (spec.shape == FL_EXP_LIVE) {
        fl_cli_say("%s: a live experiment's window cannot be replayed", path);
        fl_exp_spec_free(&spec);
        goto out;
    }
    r.spec = result.spec = &spec;
    r.result = &result;
    if (prepare_shim(&r) < 0 || make_base(&r) < 0) {
        free_runner(&r);
        fl_exp_spec_free(&spec);
        goto out;
    }
    if (o->log)
        snprintf(log, sizeof log, "%s", o->log);
    else if (o->keep)
        snprintf(log, sizeof log, "%s/run-%ld.events.jsonl", r.base, o->run);
    else {
        int fd;
        snprintf(log, sizeof log, "%s/faultline-replay-%ld-XXXXXX.events.jsonl",
                 getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", o->run);
        if ((fd = mkstemps(log, 13)) < 0) {
            fl_cli_say("%s: %s", log, strerror(errno));
            free_runner(&r);
            fl_exp_spec_free(&spec);
            goto out;
        }
        close(fd);
    }
    result.runs = calloc(1, sizeof *result.runs);
    if (!result.runs) {
        fl_cli_say("out of memory");
        free_runner(&r);
        fl_exp_spec_free(&spec);
        goto out;
    }
    run = &result.runs[0];
    result.nruns = 1;
    run->index = (unsigned)o->run;
    run->group = strcmp(group, "experiment") == 0 ? FL_GROUP_EXPERIMENT :
                 strcmp(group, "control-b") == 0 ? FL_GROUP_AA : FL_GROUP_CONTROL;
    run->seed = strtoull(seed_text, NULL, 10);
    {
        int64_t pair;
        run->pair = fl_json_int(run_v, "pair", &pair) && pair >= 0 ? (unsigned)pair : 0;
    }
    r.progress = false;
    r.total_runs = 1;
    catch_signals();
    result.started = now_realtime();
    r.t0 = fl_child_now();
    run_one(&r, run, log);
    result.duration = fl_child_now() - r.t0;
    if (interrupted)
        abort_with(&result, "interrupted");
    result.exit_status = result.aborted ? FL_EXIT_USAGE : FL_EXIT_OK;
    fl_write_terminal(stdout, &result, color_wanted());
    fflush(stdout);
    if (!o->log)
        fl_cli_say("run %ld's event log: %s", o->run, log);
    if (result.aborted) {
        fl_cli_say("%s: run %ld: %s", path, o->run, result.abort_reason);
        rc = FL_EXIT_USAGE;
    } else {
        bool ok = run->nsamples > 0;
        for (size_t i = 0; i < run->nsamples; i++)
            ok &= run->samples[i].ok;
        rc = ok ? FL_EXIT_OK : FL_EXIT_FAIL;
    }
    fl_exp_result_free(&result);
    free_runner(&r);
    fl_exp_spec_free(&spec);
out:
    json_object_put(journal);
    return rc;
}

static int experiment_main(int argc, char **argv)
{
    struct exp_opts o = {0};
    int rc = parse_options(argc, argv, &o);

    if (rc == WANT_HELP)
        return fl_cli_help(&fl_cli_experiment);
    if (rc)
        return rc;
    return o.replay ? replay(&o) : experiment(&o);
}
