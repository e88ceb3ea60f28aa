/* The experiment file reader: libconfig text in, a validated struct fl_exp_spec out, and every
 * message about a bad file ("PATH:LINE: message", as the config reader writes them). The file
 * format is faultline-experiment(5). The faults it names are validated by the shim's own config
 * reader (fl_config_load) before anything runs, with inline rules' messages pointing into the
 * experiment file. */
#include <errno.h>
#include <libconfig.h>
#include <limits.h>
#include <math.h>
#include <nettle/base16.h>
#include <nettle/sha2.h>
#include <regex.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config.h"
#include "config_copy.h"
#include "experiment.h"
#include "safefile.h"
#include "text.h"

#define FL_COUNT(a)       (sizeof(a) / sizeof((a)[0]))
#define FL_NS_PER_S       1000000000ull
#define FL_RUNS_MAX       1000
#define FL_LOAD_COUNT_MAX 1000000
#define FL_CONCURRENCY_MAX 1024
#define FL_BOUND_FORMS                                                                         \
    "a value such as \"250ms\", \"100MiB\", \"95%\" or a number, or one relative to the "      \
    "control: \"control\", \"control + 20%\", \"control - 5%\", \"control + 20% + 5ms\""

/* ---- metrics ----------------------------------------------------------------------------------- */

enum metric_kind { KIND_COUNT, KIND_RATE, KIND_TIME, KIND_SIZE, KIND_TEXT };

static const struct {
    const char *name, *unit;
    enum metric_kind kind;
    bool batch, service, live;   /* the shapes that measure it */
} metrics[FL_M_COUNT] = {
    [FL_M_EXIT_STATUS] = {"exit_status", "", KIND_COUNT, true, false, false},
    [FL_M_SUCCESS_RATE] = {"success_rate", "%", KIND_RATE, true, true, true},
    [FL_M_LATENCY_MEDIAN] = {"latency_median", "s", KIND_TIME, true, true, true},
    [FL_M_LATENCY_P95] = {"latency_p95", "s", KIND_TIME, true, true, true},
    [FL_M_LATENCY_P99] = {"latency_p99", "s", KIND_TIME, true, true, true},
    [FL_M_WALL_TIME] = {"wall_time", "s", KIND_TIME, true, true, false},
    [FL_M_CPU_TIME] = {"cpu_time", "s", KIND_TIME, true, true, false},
    [FL_M_PEAK_RSS] = {"peak_rss", "B", KIND_SIZE, true, true, false},
    [FL_M_STDOUT] = {"stdout", "", KIND_TEXT, true, false, false},
    [FL_M_AFTER] = {"after", "", KIND_TEXT, true, true, false},
    [FL_M_FAULTS] = {"faults", "", KIND_COUNT, true, true, true},
};

static const char *const shape_names[] = {"batch", "service", "live"};

const char *fl_exp_metric_name(enum fl_exp_metric m)
{
    return (unsigned)m < FL_M_COUNT ? metrics[m].name : "?";
}

const char *fl_exp_metric_unit(enum fl_exp_metric m)
{
    return (unsigned)m < FL_M_COUNT ? metrics[m].unit : "";
}

/* ---- the reader and its messages --------------------------------------------------------------- */

struct reader {
    struct fl_exp_spec *spec;
    struct fl_diag *diag;
    const char *path;          /* the file as the user named it, for messages */
    char *filedir;             /* the file's directory, absolute */
};

static int failv(struct reader *r, const char *file, int line, const char *fmt, va_list ap)
{
    size_t size = sizeof r->diag->text;
    int k = line > 0 ? snprintf(r->diag->text, size, "%s:%d: ", file, line)
                     : snprintf(r->diag->text, size, "%s: ", file);

    if (k >= 0 && (size_t)k < size)
        vsnprintf(r->diag->text + k, size - (size_t)k, fmt, ap);
    return -1;
}

/* "PATH:LINE: message" for line `line` of the experiment file (0: "PATH: message"); -1. */
__attribute__((format(printf, 3, 4)))
static int fail_line(struct reader *r, int line, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    failv(r, r->path, line, fmt, ap);
    va_end(ap);
    return -1;
}

/* "FILE:LINE: message" for setting `at` (in the file it came from, an @include's too); -1. */
__attribute__((format(printf, 3, 4)))
static int fail(struct reader *r, const config_setting_t *at, const char *fmt, ...)
{
    const char *file = config_setting_source_file(at);
    va_list ap;

    va_start(ap, fmt);
    failv(r, file ? file : r->path, (int)config_setting_source_line(at), fmt, ap);
    va_end(ap);
    return -1;
}

/* "FILE:LINE: message" for a file libconfig names (a syntax error in an @include); -1. */
__attribute__((format(printf, 4, 5)))
static int failv_line(struct reader *r, const char *file, int line, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    failv(r, file, line, fmt, ap);
    va_end(ap);
    return -1;
}

static int out_of_memory(struct reader *r)
{
    return fail_line(r, 0, "out of memory");
}

/* ---- keys and values --------------------------------------------------------------------------- */

/* Every member of `group` must be one of keys[0..n); `what` names the group in messages
 * ("batch"; NULL at the top). */
static int only_keys(struct reader *r, const config_setting_t *group, const char *what,
                     const char *const *keys, size_t n)
{
    for (int i = 0; i < config_setting_length(group); i++) {
        const config_setting_t *s = config_setting_get_elem(group, (unsigned)i);
        const char *key = config_setting_name(s);
        struct fl_near near;
        char hint[128];
        bool known = false;

        fl_near_init(&near, key);
        for (size_t k = 0; k < n && !known; k++) {
            known = strcmp(keys[k], key) == 0;
            fl_near_try(&near, keys[k]);
        }
        if (!known) {
            fail(r, s, "unknown setting '%s'%s%s%s%s", key, what ? " in '" : "",
                 what ? what : "", what ? "'" : "", fl_near_hint(&near, hint, sizeof hint));
            return -1;
        }
    }
    return 0;
}

/* A group named `key` of `parent`, or NULL when it is not there; -1 when it is not a group. */
static int get_group(struct reader *r, const config_setting_t *parent, const char *key,
                     const config_setting_t **out)
{
    const config_setting_t *s = config_setting_get_member(parent, key);

    *out = NULL;
    if (s && !config_setting_is_group(s))
        return fail(r, s, "'%s' must be a group: %s = { ... };", key, key);
    *out = s;
    return 0;
}

static int get_bool(struct reader *r, const config_setting_t *s, bool *out)
{
    if (config_setting_type(s) != CONFIG_TYPE_BOOL)
        return fail(r, s, "'%s' must be true or false", config_setting_name(s));
    *out = config_setting_get_bool(s);
    return 0;
}

static bool is_int(const config_setting_t *s)
{
    return config_setting_type(s) == CONFIG_TYPE_INT || config_setting_type(s) == CONFIG_TYPE_INT64;
}

static bool is_number(const config_setting_t *s)
{
    return is_int(s) || config_setting_type(s) == CONFIG_TYPE_FLOAT;
}

/* An integer from min to max. */
static int get_int_in(struct reader *r, const config_setting_t *s, long long min, long long max,
                      long long *out)
{
    long long v = is_int(s) ? config_setting_get_int64(s) : 0;

    if (!is_int(s) || v < min || v > max)
        return fail(r, s, "'%s' must be an integer from %lld to %lld", config_setting_name(s),
                    min, max);
    *out = v;
    return 0;
}

/* A string; `example` shows one in the message. */
static int get_string(struct reader *r, const config_setting_t *s, const char *example,
                      const char **out)
{
    const char *v = config_setting_get_string(s);

    if (!v || !*v)
        return fail(r, s, "'%s' must be a non-empty string such as %s", config_setting_name(s),
                    example);
    *out = v;
    return 0;
}

static int get_duration(struct reader *r, const config_setting_t *s, uint64_t *ns)
{
    const char *v = config_setting_get_string(s);

    if (!v)
        return fail(r, s, "'%s' must be a string with a unit, such as \"10s\"",
                    config_setting_name(s));
    if (fl_parse_duration(v, ns) < 0)
        return fail(r, s, "'%s' is not a duration: '%s' (write a number and a unit among ns us "
                    "ms s m h, such as \"200ms\" or \"1.5s\", at most 24 hours)",
                    config_setting_name(s), v);
    return 0;
}

/* A positive duration: 0 makes no sense for a timeout, an interval or a window. */
static int get_positive_duration(struct reader *r, const config_setting_t *s, uint64_t *ns)
{
    if (get_duration(r, s, ns) < 0)
        return -1;
    if (!*ns)
        return fail(r, s, "'%s' must be longer than 0", config_setting_name(s));
    return 0;
}

/* An optional member of `group` read by `read` when present. */
#define OPTIONAL(group, key, read)                                                             \
    do {                                                                                       \
        const config_setting_t *s_ = config_setting_get_member((group), (key));                \
        if (s_ && (read) < 0)                                                                  \
            return -1;                                                                         \
    } while (0)
#define SETTING s_

/* Strings of an array or list into a NULL-terminated vector (*n of them). */
static int get_strings(struct reader *r, const config_setting_t *s, const char *example,
                       char ***out, size_t *n)
{
    int len = config_setting_length(s);

    if (!(config_setting_is_array(s) || config_setting_is_list(s)) || len == 0)
        return fail(r, s, "'%s' must be a list of strings such as %s", config_setting_name(s),
                    example);
    if (!(*out = calloc((size_t)len + 1, sizeof **out)))
        return out_of_memory(r);
    *n = (size_t)len;
    for (int i = 0; i < len; i++) {
        const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
        const char *v = config_setting_get_string(e);
        if (!v)
            return fail(r, e, "'%s' must be a list of strings such as %s",
                        config_setting_name(s), example);
        if (!((*out)[i] = strdup(v)))
            return out_of_memory(r);
    }
    return 0;
}

/* A command: a string (run by /bin/sh -c) or a list of strings (an argv). */
static int get_command(struct reader *r, const config_setting_t *s, struct fl_exp_cmd *cmd)
{
    const char *v = config_setting_get_string(s);
    size_t n;

    cmd->line = (int)config_setting_source_line(s);
    if (v && *v) {
        if (!(cmd->argv = calloc(4, sizeof *cmd->argv)) || !(cmd->argv[0] = strdup("/bin/sh")) ||
            !(cmd->argv[1] = strdup("-c")) || !(cmd->argv[2] = strdup(v)))
            return out_of_memory(r);
        return 0;
    }
    if (v || !(config_setting_is_array(s) || config_setting_is_list(s)))
        return fail(r, s, "'%s' must be a command: a string for /bin/sh (\"./client 5\") or a "
                    "list of strings (an argv: [\"./client\", \"5\"])", config_setting_name(s));
    return get_strings(r, s, "[\"./client\", \"5\"]", &cmd->argv, &n);
}

/* A required command `key` of `group` (named `what`). */
static int need_command(struct reader *r, const config_setting_t *group, const char *key,
                        const char *what, struct fl_exp_cmd *cmd)
{
    const config_setting_t *s = config_setting_get_member(group, key);

    if (!s)
        return fail(r, group, "'%s' needs '%s': the command to run, such as %s = \"./%s\";",
                    what, key, key, what);
    return get_command(r, s, cmd);
}

/* Compile `pattern` (POSIX extended) to check it; its error names setting s. */
static int check_regex(struct reader *r, const config_setting_t *s, const char *pattern)
{
    regex_t re;
    char why[256];
    int rc = regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB);

    if (rc == 0) {
        regfree(&re);
        return 0;
    }
    regerror(rc, &re, why, sizeof why);
    regfree(&re);
    return fail(r, s, "'%s' is not a POSIX extended regular expression: '%s' (%s)",
                config_setting_name(s) ? config_setting_name(s) :
                config_setting_name(config_setting_parent(s)), pattern, why);
}

/* ---- the file's top level ---------------------------------------------------------------------- */

/* An integer from min to max as an unsigned. */
static int get_unsigned_in(struct reader *r, const config_setting_t *s, long long min,
                           long long max, unsigned *out)
{
    long long v;

    if (get_int_in(r, s, min, max, &v) < 0)
        return -1;
    *out = (unsigned)v;
    return 0;
}

static int read_name(struct reader *r, const config_setting_t *s)
{
    const char *name = NULL;

    if (get_string(r, s, "\"retries survive refused connects\"", &name) < 0)
        return -1;
    free(r->spec->name);
    return (r->spec->name = strdup(name)) ? 0 : out_of_memory(r);
}

static int read_seed(struct reader *r, const config_setting_t *s)
{
    long long v;

    if (get_int_in(r, s, 0, LLONG_MAX, &v) < 0)
        return -1;
    r->spec->seed = (uint64_t)v;
    return 0;
}

static int read_name_and_seed(struct reader *r, const config_setting_t *root)
{
    struct fl_exp_spec *spec = r->spec;

    OPTIONAL(root, "name", read_name(r, SETTING));
    spec->seed = 1;
    OPTIONAL(root, "seed", read_seed(r, SETTING));
    spec->runs = 10;
    OPTIONAL(root, "runs", get_unsigned_in(r, SETTING, 1, FL_RUNS_MAX, &spec->runs));
    OPTIONAL(root, "aa", get_bool(r, SETTING, &spec->aa));
    return 0;
}

static int read_control(struct reader *r, const config_setting_t *s)
{
    static const char *const names[] = {"dry-run", "bare"};
    const char *v = config_setting_get_string(s);
    struct fl_near near;
    char hint[128];

    if (!v)
        return fail(r, s, "'control' must be \"dry-run\" or \"bare\"");
    for (size_t i = 0; i < FL_COUNT(names); i++)
        if (strcmp(v, names[i]) == 0) {
            r->spec->control = i == 0 ? FL_EXP_CONTROL_DRY_RUN : FL_EXP_CONTROL_BARE;
            return 0;
        }
    fl_near_init(&near, v);
    for (size_t i = 0; i < FL_COUNT(names); i++)
        fl_near_try(&near, names[i]);
    return fail(r, s, "unknown control '%s'%s: write \"dry-run\" (the shim with the same rules, "
                "injecting nothing) or \"bare\" (no shim)", v, fl_near_hint(&near, hint, sizeof hint));
}

/* `directory`, relative to the file's directory, made absolute; it must be a directory. */
static int read_directory(struct reader *r, const config_setting_t *s)
{
    const char *v = NULL;
    char *joined = NULL, *abs;

    if (get_string(r, s, "\"../demo\"", &v) < 0)
        return -1;
    if (v[0] != '/' && asprintf(&joined, "%s/%s", r->filedir, v) < 0)
        return out_of_memory(r);
    abs = realpath(joined ? joined : v, NULL);
    free(joined);
    if (!abs)
        return fail(r, s, "'directory' '%s': %s (it is relative to the experiment file's "
                    "directory)", v, strerror(errno));
    free(r->spec->dir);
    r->spec->dir = abs;
    struct stat st;
    if (stat(abs, &st) != 0 || !S_ISDIR(st.st_mode))
        return fail(r, s, "'directory' '%s' is not a directory", v);
    return 0;
}

static int read_env(struct reader *r, const config_setting_t *s)
{
    int len = config_setting_length(s);

    if (!config_setting_is_group(s))
        return fail(r, s, "'env' must be a group of strings: env = { NAME = \"value\"; };");
    if (!(r->spec->env = calloc((size_t)len + 1, sizeof *r->spec->env)))
        return out_of_memory(r);
    for (int i = 0; i < len; i++) {
        const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
        const char *v = config_setting_get_string(e);
        if (!v)
            return fail(r, e, "env '%s' must be a string: %s = \"value\";",
                        config_setting_name(e), config_setting_name(e));
        if (asprintf(&r->spec->env[i], "%s=%s", config_setting_name(e), v) < 0) {
            r->spec->env[i] = NULL;
            return out_of_memory(r);
        }
        r->spec->nenv++;
    }
    return 0;
}

/* ---- the shapes -------------------------------------------------------------------------------- */

static int read_batch(struct reader *r, const config_setting_t *g)
{
    static const char *const keys[] = {"command", "timeout"};

    if (only_keys(r, g, "batch", keys, FL_COUNT(keys)) < 0 ||
        need_command(r, g, "command", "batch", &r->spec->batch) < 0)
        return -1;
    OPTIONAL(g, "timeout", get_positive_duration(r, SETTING, &r->spec->stop.run_timeout_ns));
    return 0;
}

static int read_signal(struct reader *r, const config_setting_t *s, int *sig)
{
    const char *v = config_setting_get_string(s);
    char hint[128];

    if (!v)
        return fail(r, s, "'%s' must be a signal name such as \"TERM\" or \"SIGINT\"",
                    config_setting_name(s));
    if (!(*sig = fl_signal_by_name(v)))
        return fail(r, s, "unknown signal name '%s'%s", v, fl_signal_hint(v, hint, sizeof hint));
    return 0;
}

static int read_service(struct reader *r, const config_setting_t *g)
{
    static const char *const keys[] = {"command", "ready", "ready_timeout", "ready_interval",
                                       "stop_signal", "stop_grace"};
    struct fl_exp_service *svc = &r->spec->service;

    svc->ready_timeout_ns = 10 * FL_NS_PER_S;
    svc->ready_interval_ns = FL_NS_PER_S / 10;
    svc->stop_signal = SIGTERM;
    svc->stop_grace_ns = 5 * FL_NS_PER_S;
    if (only_keys(r, g, "service", keys, FL_COUNT(keys)) < 0 ||
        need_command(r, g, "command", "service", &svc->start) < 0)
        return -1;
    OPTIONAL(g, "ready", get_command(r, SETTING, &svc->ready));
    OPTIONAL(g, "ready_timeout", get_positive_duration(r, SETTING, &svc->ready_timeout_ns));
    OPTIONAL(g, "ready_interval", get_positive_duration(r, SETTING, &svc->ready_interval_ns));
    OPTIONAL(g, "stop_signal", read_signal(r, SETTING, &svc->stop_signal));
    OPTIONAL(g, "stop_grace", get_duration(r, SETTING, &svc->stop_grace_ns));
    return 0;
}

static int read_live(struct reader *r, const config_setting_t *g)
{
    static const char *const keys[] = {"pid", "program", "window", "rules"};
    const config_setting_t *pid = config_setting_get_member(g, "pid");
    const config_setting_t *program = config_setting_get_member(g, "program");
    struct fl_exp_live *live = &r->spec->live;
    long long v;
    const char *name = NULL;

    live->window_ns = 10 * FL_NS_PER_S;
    if (only_keys(r, g, "live", keys, FL_COUNT(keys)) < 0)
        return -1;
    if (!pid == !program)
        return fail(r, pid && program ? program : g, "'live' needs one of 'pid' and 'program': "
                    "the process to experiment on (pid = 1234; or program = \"server\";)");
    if (pid && get_int_in(r, pid, 1, INT_MAX, &v) < 0)
        return -1;
    live->pid = pid ? (pid_t)v : 0;
    if (program && get_string(r, program, "\"server\"", &name) < 0)
        return -1;
    if (program && !(live->program = strdup(name)))
        return out_of_memory(r);
    OPTIONAL(g, "window", get_positive_duration(r, SETTING, &live->window_ns));
    OPTIONAL(g, "rules", get_strings(r, SETTING, "[\"refused\"]", &r->spec->faults.live_rules,
                                     &r->spec->faults.nlive_rules));
    return 0;
}

static int read_load(struct reader *r, const config_setting_t *g)
{
    static const char *const keys[] = {"command", "count", "duration", "concurrency", "timeout"};
    const config_setting_t *count = config_setting_get_member(g, "count");
    const config_setting_t *duration = config_setting_get_member(g, "duration");
    struct fl_exp_load *load = &r->spec->load;
    long long v;

    load->concurrency = 1;
    load->timeout_ns = 30 * FL_NS_PER_S;
    if (only_keys(r, g, "load", keys, FL_COUNT(keys)) < 0 ||
        need_command(r, g, "command", "load", &load->cmd) < 0)
        return -1;
    if (count && duration)
        return fail(r, duration, "'load' takes 'count' or 'duration', not both");
    if (!count && !duration)
        return fail(r, g, "'load' needs 'count' (executions per run, count = 20;) or 'duration' "
                    "(executions started until it has passed, duration = \"5s\";)");
    if (count && get_int_in(r, count, 1, FL_LOAD_COUNT_MAX, &v) < 0)
        return -1;
    load->count = count ? (unsigned)v : 0;
    if (duration && get_positive_duration(r, duration, &load->duration_ns) < 0)
        return -1;
    OPTIONAL(g, "concurrency", get_unsigned_in(r, SETTING, 1, FL_CONCURRENCY_MAX,
                                               &load->concurrency));
    OPTIONAL(g, "timeout", get_positive_duration(r, SETTING, &load->timeout_ns));
    return 0;
}

/* Exactly one of batch, service and live. */
static int read_shape(struct reader *r, const config_setting_t *root)
{
    const config_setting_t *found = NULL, *g;

    for (size_t i = 0; i < FL_COUNT(shape_names); i++) {
        if (get_group(r, root, shape_names[i], &g) < 0)
            return -1;
        if (!g)
            continue;
        if (found)
            return fail(r, g, "'%s' and '%s' (line %d) exclude each other: an experiment has "
                        "one shape, batch, service or live", shape_names[i],
                        config_setting_name(found), (int)config_setting_source_line(found));
        found = g;
        r->spec->shape = (enum fl_exp_shape)i;
    }
    if (!found)
        return fail_line(r, 0, "give one of batch, service or live: the program to experiment "
                         "on (batch = { command = \"./job\"; };)");
    switch (r->spec->shape) {
    case FL_EXP_BATCH: return read_batch(r, found);
    case FL_EXP_SERVICE: return read_service(r, found);
    case FL_EXP_LIVE: return read_live(r, found);
    }
    return 0;
}

static int read_load_of_shape(struct reader *r, const config_setting_t *root)
{
    const config_setting_t *g;

    if (get_group(r, root, "load", &g) < 0)
        return -1;
    if (r->spec->shape == FL_EXP_BATCH)
        return g ? fail(r, g, "'load' is for service and live experiments: in a batch "
                        "experiment each run of the command is one sample") : 0;
    if (!g)
        return fail_line(r, 0, "a %s experiment needs 'load': the command whose executions are "
                         "the samples (load = { command = \"./client\"; count = 20; };)",
                         shape_names[r->spec->shape]);
    return read_load(r, g);
}

/* ---- faults ------------------------------------------------------------------------------------ */

/* The config text of `rules` alone ("rules = ( ... );"), through libconfig's writer; NULL when
 * out of memory. */
static char *rules_config_text(const config_setting_t *rules)
{
    config_t out;
    char *text = NULL;
    size_t len = 0;
    FILE *f;
    int rc;

    config_init(&out);
    rc = fl_cli_copy_setting(config_root_setting(&out), rules);
    if (rc == 0 && (f = open_memstream(&text, &len))) {
        config_write(&out, f);
        if (fclose(f) != 0) {
            free(text);
            text = NULL;
        }
    }
    config_destroy(&out);
    return rc == 0 ? text : NULL;
}

/* The setting under `in` whose line is `line`, deepest first; its path of indexes in path[]
 * (*depth of them). */
static bool find_line(const config_setting_t *in, int line, unsigned *path, int *depth, int max)
{
    for (int i = 0; i < config_setting_length(in) && *depth < max; i++) {
        const config_setting_t *e = config_setting_get_elem(in, (unsigned)i);
        int here = *depth;
        path[(*depth)++] = (unsigned)i;
        if (find_line(e, line, path, depth, max))
            return true;
        if ((int)config_setting_source_line(e) == line)
            return true;
        *depth = here;
    }
    return false;
}

/* The line in the experiment file of what line `line` of `text` (the rules' config text) holds:
 * the same place in `rules`, the setting that text was written from. */
static int original_line(const char *text, int line, const config_setting_t *rules)
{
    config_t again;
    unsigned path[16];
    int depth = 0, found = (int)config_setting_source_line(rules);

    config_init(&again);
    if (config_read_string(&again, text)) {
        const config_setting_t *copy = config_lookup(&again, "rules");
        if (copy && find_line(copy, line, path, &depth, (int)FL_COUNT(path))) {
            const config_setting_t *s = rules;
            for (int i = 0; i < depth && s; i++)
                if ((s = config_setting_get_elem(s, path[i])) && config_setting_source_line(s) > 0)
                    found = (int)config_setting_source_line(s);
        }
    }
    config_destroy(&again);
    return found;
}

/* Inline rules: into libconfig text, validated by the shim's reader; a message it gives about
 * the text ("FAULTLINE_RULES:LINE: ...") is told about the experiment file's line. */
static int read_inline_rules(struct reader *r, const config_setting_t *rules)
{
    struct fl_config cfg;
    struct fl_diag d;
    char *text, *rest;
    int line = 0;

    if (!config_setting_is_list(rules) || config_setting_length(rules) == 0)
        return fail(r, rules, "'rules' must be a list of one or more rules, as in a faultline "
                    "config: rules = ( { calls = [\"connect\"]; error = \"ECONNREFUSED\"; } );");
    if (!(text = rules_config_text(rules)))
        return out_of_memory(r);
    if (fl_config_load(&cfg, NULL, text, &d) == 0) {
        fl_config_free(&cfg);
        r->spec->faults.rules_text = text;
        return 0;
    }
    rest = strchr(d.text, ':');
    if (rest && sscanf(rest + 1, "%d", &line) == 1)
        rest = strchr(rest + 1, ':');
    rest = rest ? rest + 1 + (rest[1] == ' ') : d.text;
    line = line > 0 ? original_line(text, line, rules) : (int)config_setting_source_line(rules);
    free(text);
    return fail_line(r, line, "%s", rest);
}

/* A faultline config file, relative to the experiment file's directory, loaded to check it. */
static int read_rules_file(struct reader *r, const config_setting_t *s)
{
    struct fl_config cfg;
    struct fl_diag d;
    const char *v = NULL;
    char *joined = NULL, *abs;

    if (get_string(r, s, "\"faults.conf\"", &v) < 0)
        return -1;
    if (v[0] != '/' && asprintf(&joined, "%s/%s", r->filedir, v) < 0)
        return out_of_memory(r);
    abs = realpath(joined ? joined : v, NULL);
    if (!abs) {
        fail(r, s, "faults file '%s': %s (it is relative to the experiment file's directory)",
             v, strerror(errno));
        free(joined);
        return -1;
    }
    free(joined);
    r->spec->faults.rules_file = abs;
    if (fl_config_load(&cfg, abs, NULL, &d) < 0)
        return fail(r, s, "the faults file does not load: %s", d.text);
    size_t nrules = cfg.nrules;
    fl_config_free(&cfg);
    if (!nrules)
        return fail(r, s, "the faults file '%s' has no rules: an experiment that injects "
                    "nothing proves nothing", v);
    return 0;
}

static int read_target(struct reader *r, const config_setting_t *s)
{
    static const char *const names[] = {"command", "service", "load", "both"};
    const char *v = config_setting_get_string(s);
    bool batch = r->spec->shape == FL_EXP_BATCH;
    const char *allowed = batch ? "\"command\"" : "\"service\", \"load\" or \"both\"";
    struct fl_near near;
    char hint[128];

    if (v)
        for (size_t i = 0; i < FL_COUNT(names); i++)
            if (strcmp(v, names[i]) == 0 && (i == 0) == batch) {
                r->spec->faults.target = (enum fl_exp_target)i;
                return 0;
            }
    fl_near_init(&near, v ? v : "");
    for (size_t i = 0; v && i < FL_COUNT(names); i++)
        if ((i == 0) == batch)
            fl_near_try(&near, names[i]);
    if (!v)
        return fail(r, s, "'target' must be a string: %s", allowed);
    return fail(r, s, "target '%s' is not for a %s experiment%s: write %s", v,
                shape_names[r->spec->shape], fl_near_hint(&near, hint, sizeof hint), allowed);
}

static int read_faults(struct reader *r, const config_setting_t *root)
{
    static const char *const keys[] = {"target", "rules", "file"};
    const config_setting_t *g, *rules, *file;

    if (get_group(r, root, "faults", &g) < 0)
        return -1;
    if (r->spec->shape == FL_EXP_LIVE)
        return g ? fail(r, g, "'faults' is not for a live experiment: the process's own rules "
                        "are switched on and off (name them in live.rules)") : 0;
    if (!g)
        return fail_line(r, 0, "'faults' is missing: give the rules to inject, faults = { "
                         "rules = ( { calls = [\"connect\"]; error = \"ECONNREFUSED\"; } ); };");
    r->spec->faults.line = (int)config_setting_source_line(g);
    r->spec->faults.target = r->spec->shape == FL_EXP_BATCH ? FL_EXP_TARGET_COMMAND
                                                            : FL_EXP_TARGET_SERVICE;
    if (only_keys(r, g, "faults", keys, FL_COUNT(keys)) < 0)
        return -1;
    OPTIONAL(g, "target", read_target(r, SETTING));
    rules = config_setting_get_member(g, "rules");
    file = config_setting_get_member(g, "file");
    if (rules && file)
        return fail(r, file, "'faults' takes 'rules' or 'file', not both");
    if (!rules && !file)
        return fail(r, g, "'faults' needs 'rules' (inline, as in a faultline config) or 'file' "
                    "(a faultline config)");
    return rules ? read_inline_rules(r, rules) : read_rules_file(r, file);
}

/* ---- the hypothesis ---------------------------------------------------------------------------- */

/* A number with its metric's unit: a count, a fraction or "95%", a duration, a byte count. */
static int parse_value(const char *t, enum metric_kind kind, double *out)
{
    uint64_t n;
    char *end;

    if (kind == KIND_TIME && fl_parse_duration(t, &n) == 0)
        return *out = (double)n / 1e9, 0;
    if (kind == KIND_SIZE && fl_parse_size(t, &n) == 0)
        return *out = (double)n, 0;
    if (kind == KIND_RATE) {
        double v = strtod(t, &end);
        if (end != t && strcmp(end, "%") == 0 && v >= 0 && v <= 100)
            return *out = v / 100, 0;
    }
    return -1;
}

/* A relative bound: "control", then at most one "± N%" and one "± VALUE", in either order. */
static int parse_relative(const char *t, enum metric_kind kind, struct fl_exp_bound *b)
{
    bool has_pct = false, has_off = false;
    char term[64];

    if (strncmp(t, "control", 7) != 0)
        return -1;
    t += 7;
    *b = (struct fl_exp_bound){.set = true, .relative = true};
    for (;;) {
        while (*t == ' ')
            t++;
        if (!*t)
            return 0;
        if (*t != '+' && *t != '-')
            return -1;
        double sign = *t++ == '-' ? -1 : 1;
        size_t n;
        while (*t == ' ')
            t++;
        n = strcspn(t, " +-");
        if (n == 0 || n >= sizeof term)
            return -1;
        memcpy(term, t, n);
        term[n] = '\0';
        t += n;
        char *end;
        double v = strtod(term, &end);
        if (end != term && strcmp(end, "%") == 0 && !has_pct && isfinite(v)) {
            b->percent = sign * v;
            has_pct = true;
        } else if (!has_off && kind != KIND_RATE && parse_value(term, kind, &v) == 0) {
            b->offset = sign * v;
            has_off = true;
        } else if (!has_off && kind == KIND_RATE && end != term && !*end && v >= 0 && v <= 1) {
            b->offset = sign * v;
            has_off = true;
        } else {
            return -1;
        }
    }
}

static const char *unit_forms(enum metric_kind kind)
{
    switch (kind) {
    case KIND_TIME: return "a duration with a unit among ns us ms s m h, such as \"250ms\"";
    case KIND_SIZE: return "a byte count, or a size with a unit among B kB MB GB TB KiB MiB GiB "
                           "TiB, such as \"100MiB\"";
    case KIND_RATE: return "a fraction from 0 to 1, or a percentage such as \"95%\"";
    default: return "an integer >= 0";
    }
}

/* min or max of a check: a number, a string with the metric's unit, or relative to the
 * control. */
static int read_bound(struct reader *r, const config_setting_t *s, enum fl_exp_metric m,
                      struct fl_exp_bound *b)
{
    enum metric_kind kind = metrics[m].kind;
    const char *key = config_setting_name(s), *t = config_setting_get_string(s);
    bool relative_ok = m != FL_M_FAULTS && m != FL_M_EXIT_STATUS;
    double v = is_number(s) ? config_setting_get_float(s) : NAN;

    if (is_int(s))
        v = (double)config_setting_get_int64(s);
    if (!t) {
        bool ok = is_number(s) && v >= 0 &&
                  (kind == KIND_RATE ? v <= 1 : kind == KIND_SIZE || kind == KIND_COUNT) &&
                  (kind != KIND_COUNT || is_int(s));
        if (!ok)
            return fail(r, s, "'%s' of %s must be %s%s", key, metrics[m].name, unit_forms(kind),
                        relative_ok ? ", or relative to the control such as \"control + 20%\""
                                    : "");
        *b = (struct fl_exp_bound){.set = true, .value = v};
        return 0;
    }
    if (strncmp(t, "control", 7) == 0) {
        if (!relative_ok)
            return fail(r, s, "'%s' of %s cannot be relative to the control: write %s", key,
                        metrics[m].name, unit_forms(kind));
        if (parse_relative(t, kind, b) == 0)
            return 0;
        return fail(r, s, "'%s' is not a bound: '%s' (relative to the control write \"control\", "
                    "then + or - a percentage and/or %s, such as \"control + 20%%\", "
                    "\"control - 5%%\" or \"control + 20%% + 5ms\")", key, t,
                    kind == KIND_RATE ? "a fraction" : "a value with a unit");
    }
    if (kind == KIND_COUNT || parse_value(t, kind, &v) < 0)
        return fail(r, s, "'%s' is not a bound for %s: '%s' (write %s%s)", key, metrics[m].name,
                    t, unit_forms(kind), relative_ok ? ", or one relative to the control such as "
                    "\"control + 20%\"" : "");
    *b = (struct fl_exp_bound){.set = true, .value = v};
    return 0;
}

static int read_metric(struct reader *r, const config_setting_t *group, enum fl_exp_metric *m)
{
    const config_setting_t *s = config_setting_get_member(group, "metric");
    const char *v = s ? config_setting_get_string(s) : NULL;
    struct fl_near near;
    char hint[128];

    if (!s)
        return fail(r, group, "a check needs 'metric': one of exit_status, success_rate, "
                    "latency_median, latency_p95, latency_p99, wall_time, cpu_time, peak_rss, "
                    "stdout, after, faults");
    if (!v)
        return fail(r, s, "'metric' must be a string such as \"success_rate\"");
    fl_near_init(&near, v);
    for (int i = 0; i < FL_M_COUNT; i++) {
        if (strcmp(v, metrics[i].name) == 0) {
            *m = (enum fl_exp_metric)i;
            bool measured[] = {metrics[i].batch, metrics[i].service, metrics[i].live};
            if (!measured[r->spec->shape])
                return fail(r, s, "%s is not measured in a %s experiment", v,
                            shape_names[r->spec->shape]);
            return 0;
        }
        fl_near_try(&near, metrics[i].name);
    }
    return fail(r, s, "unknown metric '%s'%s", v, fl_near_hint(&near, hint, sizeof hint));
}

/* The keys that only some metrics take: refused elsewhere with what they are for. */
static int keys_fit(struct reader *r, const config_setting_t *g, enum fl_exp_metric m)
{
    static const struct { const char *key; enum fl_exp_metric only; } owned[] = {
        {"in", FL_M_EXIT_STATUS}, {"equals", FL_M_EXIT_STATUS},
        {"same_as_control", FL_M_EXIT_STATUS}, {"mask", FL_M_STDOUT},
        {"command", FL_M_AFTER}, {"expect", FL_M_AFTER},
    };
    const config_setting_t *s;

    for (size_t i = 0; i < FL_COUNT(owned); i++)
        if (owned[i].only != m && (s = config_setting_get_member(g, owned[i].key)))
            return fail(r, s, "'%s' applies only to metric %s", owned[i].key,
                        metrics[owned[i].only].name);
    if (metrics[m].kind == KIND_TEXT) {
        const config_setting_t *b = config_setting_get_member(g, "min");
        if (b || (b = config_setting_get_member(g, "max")))
            return fail(r, b, "%s takes no '%s': %s", metrics[m].name, config_setting_name(b),
                        m == FL_M_STDOUT ? "each experiment run's output must equal its paired "
                        "control run's (mask what may differ)" : "its command must exit 0 and its "
                        "output match 'expect'");
    }
    return 0;
}

static int read_exit_status(struct reader *r, const config_setting_t *g, struct fl_exp_check *c)
{
    const config_setting_t *in = config_setting_get_member(g, "in");
    const config_setting_t *eq = config_setting_get_member(g, "equals");
    const config_setting_t *same = config_setting_get_member(g, "same_as_control");
    long long v;

    if ((in != NULL) + (eq != NULL) + (same != NULL) > 1)
        return fail(r, eq ? eq : same, "exit_status takes one of 'in', 'equals' and "
                    "'same_as_control'");
    if (same && get_bool(r, same, &c->same_as_control) < 0)
        return -1;
    if (eq) {
        if (get_int_in(r, eq, 0, 255 + 128, &v) < 0)
            return -1;
        if (!(c->exit_in = malloc(sizeof *c->exit_in)))
            return out_of_memory(r);
        c->exit_in[0] = (int)v;
        c->nexit_in = 1;
    }
    if (in) {
        int len = config_setting_length(in);
        if (!(config_setting_is_array(in) || config_setting_is_list(in)) || len == 0)
            return fail(r, in, "'in' must be a list of exit statuses such as [0, 1]");
        if (!(c->exit_in = calloc((size_t)len, sizeof *c->exit_in)))
            return out_of_memory(r);
        for (int i = 0; i < len; i++) {
            const config_setting_t *e = config_setting_get_elem(in, (unsigned)i);
            if (!is_int(e) || config_setting_get_int64(e) < 0 ||
                config_setting_get_int64(e) > 255 + 128)
                return fail(r, e, "'in' must be a list of exit statuses from 0 to 383 (128 + N "
                            "for signal N) such as [0, 1]");
            c->exit_in[c->nexit_in++] = (int)config_setting_get_int64(e);
        }
    }
    if (!c->nexit_in && !c->same_as_control && !c->min.set && !c->max.set)
        return fail(r, g, "exit_status needs 'in' (in = [0, 1];), 'equals' (equals = 0;), "
                    "'same_as_control = true;', 'min' or 'max'");
    return 0;
}

static int read_masks(struct reader *r, const config_setting_t *s, struct fl_exp_check *c)
{
    if (get_strings(r, s, "[\"[0-9]+ ms\"]", &c->masks, &c->nmasks) < 0)
        return -1;
    for (size_t i = 0; i < c->nmasks; i++)
        if (check_regex(r, config_setting_get_elem(s, (unsigned)i), c->masks[i]) < 0)
            return -1;
    return 0;
}

static int read_after(struct reader *r, const config_setting_t *g, struct fl_exp_check *c)
{
    const config_setting_t *expect = config_setting_get_member(g, "expect");
    const char *v = NULL;

    if (need_command(r, g, "command", "after", &c->command) < 0)
        return -1;
    if (!expect)
        return 0;
    if (get_string(r, expect, "\"^ok$\"", &v) < 0 || check_regex(r, expect, v) < 0)
        return -1;
    return (c->expect = strdup(v)) ? 0 : out_of_memory(r);
}

static int read_check(struct reader *r, const config_setting_t *g, struct fl_exp_check *c)
{
    static const char *const keys[] = {"name", "metric", "min", "max", "in", "equals",
                                       "same_as_control", "mask", "command", "expect"};
    const config_setting_t *min, *max;
    const char *name = NULL;

    c->line = (int)config_setting_source_line(g);
    if (!config_setting_is_group(g))
        return fail(r, g, "each check must be a group: { metric = \"success_rate\"; "
                    "min = \"control - 5%%\"; }");
    if (only_keys(r, g, "hypothesis", keys, FL_COUNT(keys)) < 0 || read_metric(r, g, &c->metric) < 0 ||
        keys_fit(r, g, c->metric) < 0)
        return -1;
    OPTIONAL(g, "name", get_string(r, SETTING, "\"p95\"", &name));
    if (!(c->name = strdup(name ? name : metrics[c->metric].name)))
        return out_of_memory(r);
    if ((min = config_setting_get_member(g, "min")) && read_bound(r, min, c->metric, &c->min) < 0)
        return -1;
    if ((max = config_setting_get_member(g, "max")) && read_bound(r, max, c->metric, &c->max) < 0)
        return -1;
    if (min && max && !c->min.relative && !c->max.relative && c->min.value > c->max.value)
        return fail(r, max, "'max' is below 'min': nothing could hold");
    switch (c->metric) {
    case FL_M_EXIT_STATUS: return read_exit_status(r, g, c);
    case FL_M_STDOUT:
        OPTIONAL(g, "mask", read_masks(r, SETTING, c));
        return 0;
    case FL_M_AFTER: return read_after(r, g, c);
    default:
        if (!min && !max)
            return fail(r, g, "check '%s' needs 'min' or 'max', such as max = \"control + 20%%\";",
                        c->name);
        return 0;
    }
}

/* Two checks with one name could not be told apart in a report. */
static int unique_names(struct reader *r)
{
    const struct fl_exp_spec *spec = r->spec;

    for (size_t i = 1; i < spec->nchecks; i++)
        for (size_t j = 0; j < i; j++)
            if (strcmp(spec->checks[i].name, spec->checks[j].name) == 0)
                return fail_line(r, spec->checks[i].line, "two checks are named '%s' (lines %d "
                                 "and %d): give one a name, name = \"...\";",
                                 spec->checks[i].name, spec->checks[j].line,
                                 spec->checks[i].line);
    return 0;
}

static int read_hypothesis(struct reader *r, const config_setting_t *root)
{
    const config_setting_t *h = config_setting_get_member(root, "hypothesis");
    struct fl_exp_spec *spec = r->spec;
    bool has_faults = false;
    int len;

    if (!h)
        return fail_line(r, 0, "'hypothesis' is missing: give at least one check, such as "
                         "hypothesis = ( { metric = \"success_rate\"; min = \"control - 5%%\"; } );");
    len = config_setting_length(h);
    if (!config_setting_is_list(h) && !(config_setting_is_array(h) && len == 0))
        return fail(r, h, "'hypothesis' must be a list of checks: hypothesis = ( { metric = "
                    "\"success_rate\"; min = \"control - 5%%\"; } );");
    if (len == 0)
        return fail(r, h, "hypothesis: give at least one check");
    if (!(spec->checks = calloc((size_t)len + 1, sizeof *spec->checks)))
        return out_of_memory(r);
    for (int i = 0; i < len; i++) {
        spec->nchecks++;
        if (read_check(r, config_setting_get_elem(h, (unsigned)i), &spec->checks[i]) < 0)
            return -1;
        has_faults |= spec->checks[i].metric == FL_M_FAULTS;
    }
    if (!has_faults) {   /* an experiment that injected nothing proves nothing */
        struct fl_exp_check *c = &spec->checks[spec->nchecks++];
        *c = (struct fl_exp_check){.metric = FL_M_FAULTS, .line = (int)config_setting_source_line(h),
                                   .min = {.set = true, .value = 1}};
        if (!(c->name = strdup("faults")))
            return out_of_memory(r);
    }
    return unique_names(r);
}

/* ---- stop conditions --------------------------------------------------------------------------- */

static int read_floor(struct reader *r, const config_setting_t *s)
{
    double v = is_int(s) ? (double)config_setting_get_int64(s) : config_setting_get_float(s);

    if (!is_number(s) || !(v >= 0 && v <= 1))
        return fail(r, s, "'success_floor' must be a number from 0 to 1 (a fraction of samples)");
    r->spec->stop.success_floor = v;
    return 0;
}

static int read_stop(struct reader *r, const config_setting_t *root)
{
    static const char *const keys[] = {"service_died", "success_floor", "window", "deadline"};
    struct fl_exp_stop *stop = &r->spec->stop;
    const config_setting_t *g;

    stop->service_died = true;
    stop->success_floor = -1;
    stop->window_ns = 10 * FL_NS_PER_S;
    if (get_group(r, root, "stop", &g) < 0)
        return -1;
    if (!g)
        return 0;
    if (only_keys(r, g, "stop", keys, FL_COUNT(keys)) < 0)
        return -1;
    OPTIONAL(g, "service_died", get_bool(r, SETTING, &stop->service_died));
    OPTIONAL(g, "success_floor", read_floor(r, SETTING));
    OPTIONAL(g, "window", get_positive_duration(r, SETTING, &stop->window_ns));
    OPTIONAL(g, "deadline", get_positive_duration(r, SETTING, &stop->deadline_ns));
    return 0;
}

/* ---- the whole file ---------------------------------------------------------------------------- */

static int read_root(struct reader *r, const config_setting_t *root)
{
    static const char *const keys[] = {"name", "seed", "runs", "aa", "control", "directory",
                                       "env", "batch", "service", "live", "load", "faults",
                                       "hypothesis", "stop"};

    if (config_setting_length(root) == 0)
        return fail_line(r, 0, "the experiment file is empty: see faultline-experiment(5)");
    if (only_keys(r, root, NULL, keys, FL_COUNT(keys)) < 0 || read_name_and_seed(r, root) < 0)
        return -1;
    OPTIONAL(root, "control", read_control(r, SETTING));
    OPTIONAL(root, "directory", read_directory(r, SETTING));
    OPTIONAL(root, "env", read_env(r, SETTING));
    if (read_shape(r, root) < 0 || read_load_of_shape(r, root) < 0 || read_faults(r, root) < 0 ||
        read_hypothesis(r, root) < 0 || read_stop(r, root) < 0)
        return -1;
    return 0;
}

/* The file's absolute path, directory, default name and SHA-256 of its bytes. */
static int describe_file(struct reader *r, const char *text, size_t len)
{
    struct fl_exp_spec *spec = r->spec;
    struct sha256_ctx sha;
    uint8_t digest[SHA256_DIGEST_SIZE];
    const char *base;
    char *slash;

    if (!(spec->path = realpath(r->path, NULL)))
        return fail_line(r, 0, "cannot read the experiment file: %s", strerror(errno));
    if (!(r->filedir = strdup(spec->path)) || !(spec->dir = strdup(spec->path)))
        return out_of_memory(r);
    slash = strrchr(r->filedir, '/');
    slash[slash == r->filedir] = '\0';
    strcpy(spec->dir, r->filedir);
    base = strrchr(spec->path, '/') + 1;
    if (!(spec->name = strndup(base, strrchr(base, '.') && strrchr(base, '.') != base
                                         ? (size_t)(strrchr(base, '.') - base) : strlen(base))))
        return out_of_memory(r);
    sha256_init(&sha);
    sha256_update(&sha, len, (const uint8_t *)text);
    sha256_digest(&sha, sizeof digest, digest);
    base16_encode_update(spec->sha256, sizeof digest, digest);
    spec->sha256[BASE16_ENCODE_LENGTH(sizeof digest)] = '\0';
    return 0;
}

int fl_exp_load(const char *path, struct fl_exp_spec *spec, struct fl_diag *diag)
{
    struct reader r = {.spec = spec, .diag = diag, .path = path};
    config_t lc;
    char *text = NULL, *wide = NULL, why[256];
    size_t len;
    int rc = -1, unclosed, bad_line;

    memset(spec, 0, sizeof *spec);
    diag->text[0] = '\0';
    config_init(&lc);
    if (fl_read_file(path, FL_CONFIG_MAX, &text, &len, why, sizeof why) < 0)
        fail_line(&r, 0, "cannot read the experiment file: %s", why);
    else if (memchr(text, '\0', len))
        fail_line(&r, 0, "the experiment file holds a NUL byte: it is not a text file");
    else if (describe_file(&r, text, len) == 0) {
        config_set_options(&lc, CONFIG_OPTION_AUTOCONVERT);
        config_set_include_dir(&lc, r.filedir);
        /* integers past 32 bits get their L, as in the shim's own configs */
        if (fl_config_widen_integers(text, &wide, &unclosed, &bad_line, why, sizeof why) < 0)
            fail_line(&r, bad_line, "%s", why);
        else if (!config_read_string(&lc, wide ? wide : text))
            failv_line(&r, config_error_file(&lc) ? config_error_file(&lc) : path,
                       config_error_line(&lc), "%s", config_error_text(&lc));
        else
            rc = read_root(&r, config_root_setting(&lc));
    }
    config_destroy(&lc);
    free(wide);
    free(text);
    free(r.filedir);
    if (rc < 0)
        fl_exp_spec_free(spec);
    return rc;
}

static void free_argv(char **argv)
{
    for (size_t i = 0; argv && argv[i]; i++)
        free(argv[i]);
    free(argv);
}

void fl_exp_spec_free(struct fl_exp_spec *spec)
{
    free(spec->path);
    free(spec->dir);
    free(spec->name);
    free_argv(spec->batch.argv);
    free_argv(spec->service.start.argv);
    free_argv(spec->service.ready.argv);
    free_argv(spec->load.cmd.argv);
    free(spec->live.program);
    free(spec->faults.rules_file);
    free(spec->faults.rules_text);
    free_argv(spec->faults.live_rules);
    for (size_t i = 0; i < spec->nchecks; i++) {
        struct fl_exp_check *c = &spec->checks[i];
        free(c->name);
        free(c->exit_in);
        free_argv(c->masks);
        free_argv(c->command.argv);
        free(c->expect);
    }
    free(spec->checks);
    free_argv(spec->env);
    memset(spec, 0, sizeof *spec);
}
