/* faultline experiment, the live shape: a running process (started with faultline run
 * --control, its rules dormant) is steered through its control socket while the load runs:
 * control windows with the experiment's rules disabled, experiment windows with them enabled,
 * in counterbalanced order. Whatever happens, every rule it switched is disabled again at the
 * end (the rollback), and a dead-man switch (`expire`) pauses the process's rules by itself
 * should faultline die before it could roll back. */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "child.h"
#include "cli.h"
#include "experiment.h"
#include "jsonl.h"
#include "load.h"
#include "stats.h"

#define LIVE_TIMEOUT_MS 5000    /* one control request, in all */
#define ROLLBACK_TRIES 5        /* a disable that fails is asked again, this many times in all */
#define EXPIRE_WINDOWS 3        /* the dead-man switch: this many windows without renewal */

/* Set by SIGINT, SIGTERM or SIGHUP while the experiment runs; the rollback runs on the main path. */
static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
    interrupted = sig;
}

struct live {
    const struct fl_exp_spec *spec;
    struct fl_exp_result *result;
    pid_t pid;
    int pidfd;                  /* readable once the process exits; -1: kill(pid, 0) tells */
    double t0;                  /* CLOCK_MONOTONIC seconds when the experiment started */
    char **rules;               /* the rules switched (strdup'd) */
    size_t nrules;
    bool touched;               /* the process's rules or dead-man switch were asked to change */
    unsigned window;            /* the window running (for messages), 1-based */
    void (*progress)(const struct fl_exp_result *result, void *arg);
    void *progress_arg;
};

/* ---- failing with a reason -------------------------------------------------------------------- */

__attribute__((format(printf, 2, 3))) static int fail(struct live *l, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(l->result->abort_reason, sizeof l->result->abort_reason, fmt, ap);
    va_end(ap);
    l->result->aborted = true;
    l->result->exit_status = FL_EXIT_USAGE;
    return -1;
}

/* The reason a request to the process failed, in words for an abort reason. */
static const char *ctl_failure(const struct live *l, enum fl_ctl_status st,
                               const struct fl_ctl_reply *reply, char *buf, size_t cap)
{
    switch (st) {
    case FL_CTL_NO_PROCESS:
        snprintf(buf, cap, "process %d is gone", (int)l->pid);
        break;
    case FL_CTL_NO_SOCKET:
    case FL_CTL_REFUSED:
        snprintf(buf, cap, "process %d has no control socket: start it with faultline run "
                 "--control", (int)l->pid);
        break;
    default:
        snprintf(buf, cap, "process %d: %s", (int)l->pid, reply->message);
    }
    return buf;
}

/* One request; on failure the abort reason says what was asked and why it failed. */
__attribute__((format(printf, 3, 4))) static int ask(struct live *l, struct fl_ctl_reply *reply,
                                                     const char *fmt, ...)
{
    char request[512], why[1200];
    enum fl_ctl_status st;
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(request, sizeof request, fmt, ap);
    va_end(ap);
    st = fl_ctl_request(l->pid, request, LIVE_TIMEOUT_MS, reply);
    if (st == FL_CTL_OK)
        return 0;
    fl_ctl_reply_free(reply);
    return fail(l, "%s: %s", request, ctl_failure(l, st, reply, why, sizeof why));
}

/* ---- the process and its rules ---------------------------------------------------------------- */

/* spec->live.pid, or the one process faultline ps finds as spec->live.program. */
static int find_process(struct live *l)
{
    const char *program = l->spec->live.program;
    pid_t *matches;
    size_t n;
    char *seen;
    int rc = -1;

    if (!program) {
        l->pid = l->spec->live.pid;
        return 0;
    }
    if (fl_ps_find(program, &matches, &n, &seen) < 0)
        fail(l, "cannot look for %s: %s", program, seen ? seen : "out of memory");
    else if (n == 0)
        fail(l, "no process with a control socket is %s (processes with one: %s); start it "
             "with faultline run --control, or give its pid", program, seen);
    else if (n > 1)
        fail(l, "%zu processes with a control socket are %s (%s): give the pid of one", n,
             program, seen);
    else
        l->pid = matches[0], rc = 0;
    free(matches);
    free(seen);
    return rc;
}

/* The process's `stats` reply, parsed: its "rules" array holds {"name", "state", "injected",
 * "by_action": {ACTION: N}} per rule. NULL after fail(). */
static struct json_object *stats(struct live *l)
{
    struct fl_ctl_reply reply;
    struct json_object *v = NULL;

    if (ask(l, &reply, "stats") < 0)
        return NULL;
    if (!reply.lines || fl_json_parse(reply.lines, strcspn(reply.lines, "\n"), &v) < 0 ||
        !json_object_is_type(fl_json_get(v, "rules"), json_type_array)) {
        json_object_put(v);
        v = NULL;
        fail(l, "process %d: its stats reply is not what faultline expects (a different "
             "faultline version?)", (int)l->pid);
    }
    fl_ctl_reply_free(&reply);
    return v;
}

/* The rule called name in a stats reply, or NULL. */
static struct json_object *rule_in(const struct json_object *stats_reply, const char *name)
{
    struct json_object *rules = fl_json_get(stats_reply, "rules");
    size_t n = json_object_array_length(rules);

    for (size_t i = 0; i < n; i++) {
        struct json_object *rule = json_object_array_get_idx(rules, i);
        const char *rname = fl_json_str(rule, "name");
        if (rname && strcmp(rname, name) == 0)
            return rule;
    }
    return NULL;
}

/* Every rule name of a stats reply, as "a, b, c" (malloc'd; NULL when out of memory). */
static char *rule_names(const struct json_object *stats_reply)
{
    struct json_object *rules = fl_json_get(stats_reply, "rules");
    size_t n = json_object_array_length(rules), len = 0;
    char *text = NULL;
    FILE *f = open_memstream(&text, &len);

    if (!f)
        return NULL;
    for (size_t i = 0; i < n; i++)
        fprintf(f, "%s%s", i ? ", " : "",
                fl_json_str(json_object_array_get_idx(rules, i), "name") ?: "?");
    fclose(f);
    return text;
}

/* The rules to switch: spec->faults.live_rules, each of which the process must have, or every
 * rule it has. */
static int choose_rules(struct live *l, const struct json_object *stats_reply)
{
    const struct fl_exp_faults *f = &l->spec->faults;
    struct json_object *rules = fl_json_get(stats_reply, "rules");
    size_t n = f->live_rules ? f->nlive_rules : json_object_array_length(rules);

    if (n == 0)
        return fail(l, "process %d has no rules: give it some (faultline run -c FILE --control)",
                    (int)l->pid);
    if (!(l->rules = calloc(n, sizeof *l->rules)))
        return fail(l, "out of memory");
    for (size_t i = 0; i < n; i++) {
        const char *name = f->live_rules
                               ? f->live_rules[i]
                               : fl_json_str(json_object_array_get_idx(rules, i), "name");
        if (!name || !rule_in(stats_reply, name)) {
            char *names = rule_names(stats_reply);
            fail(l, "process %d has no rule '%s' (its rules: %s): name them in live.rules",
                 (int)l->pid, name ? name : "?", names ? names : "?");
            free(names);
            return -1;
        }
        if (!(l->rules[l->nrules++] = strdup(name)))
            return fail(l, "out of memory");
    }
    return 0;
}

/* Switch every chosen rule on or off. */
static int switch_rules(struct live *l, bool on)
{
    for (size_t i = 0; i < l->nrules; i++) {
        struct fl_ctl_reply reply;
        if (ask(l, &reply, "%s %s", on ? "enable" : "disable", l->rules[i]) < 0)
            return -1;
        fl_ctl_reply_free(&reply);
    }
    return 0;
}

/* The dead-man switch, renewed: every rule pauses unless renewed within EXPIRE_WINDOWS
 * windows (rounded up to milliseconds). */
static int renew_expiry(struct live *l)
{
    uint64_t ms = (EXPIRE_WINDOWS * l->spec->live.window_ns + 999999) / 1000000;
    struct fl_ctl_reply reply;

    if (ask(l, &reply, "expire %" PRIu64 "ms", ms) < 0)
        return -1;
    fl_ctl_reply_free(&reply);
    return 0;
}

/* Disable every chosen rule (each asked up to ROLLBACK_TRIES times), then turn the dead-man
 * switch off; when a rule cannot be disabled, say so loudly and leave the switch on, so that
 * the process pauses its rules by itself. Nothing is left to do once the process is gone. */
static void roll_back(struct live *l)
{
    char *left = NULL, request[512];
    size_t left_len = 0;
    FILE *stuck = open_memstream(&left, &left_len);
    struct fl_ctl_reply reply = {0};
    enum fl_ctl_status st = FL_CTL_OK;

    for (size_t i = 0; l->touched && i < l->nrules; i++) {
        snprintf(request, sizeof request, "disable %s", l->rules[i]);
        for (int try = 0; try < ROLLBACK_TRIES; try++) {
            st = fl_ctl_request(l->pid, request, LIVE_TIMEOUT_MS, &reply);
            fl_ctl_reply_free(&reply);
            /* done, gone, or an answer that asking again would not change ("no rule") */
            if (st == FL_CTL_OK || st == FL_CTL_NO_PROCESS || st == FL_CTL_ERROR)
                break;
            nanosleep(&(struct timespec){.tv_nsec = 100000000}, NULL);
        }
        if (st == FL_CTL_NO_PROCESS)
            break;
        if (st != FL_CTL_OK && stuck)
            fprintf(stuck, "%s%s", ftell(stuck) ? ", " : "", l->rules[i]);
    }
    if (stuck)
        fclose(stuck);
    if (!l->touched || st == FL_CTL_NO_PROCESS) {
        /* nothing switched, or nothing left to switch off */
    } else if (left && *left) {
        fl_cli_say("ROLLBACK INCOMPLETE: rules %s of process %d may still be enabled: disable "
                   "them with faultline ctl %d disable NAME (its dead-man switch pauses every "
                   "rule within %" PRIu64 " ms unless renewed)", left, (int)l->pid, (int)l->pid,
                   (EXPIRE_WINDOWS * l->spec->live.window_ns + 999999) / 1000000);
    } else if ((st = fl_ctl_request(l->pid, "expire off", LIVE_TIMEOUT_MS, &reply)) != FL_CTL_OK &&
               st != FL_CTL_NO_PROCESS) {
        fl_cli_say("process %d: its rules are disabled, but its dead-man switch could not be "
                   "turned off (%s): it pauses every rule soon; faultline ctl %d resume undoes "
                   "that", (int)l->pid, reply.message, (int)l->pid);
    }
    fl_ctl_reply_free(&reply);
    free(left);
}

/* ---- the windows ------------------------------------------------------------------------------ */

/* Whether the process has exited (a zombie too). */
static bool process_gone(const struct live *l)
{
    struct pollfd p = {.fd = l->pidfd, .events = POLLIN};

    if (l->pidfd >= 0)
        return poll(&p, 1, 0) > 0;
    return kill(l->pid, 0) != 0 && errno == ESRCH;
}

/* The stop conditions, checked between windows and while the load runs: a signal, the process
 * exited, the deadline passed. */
static bool should_stop(void *arg, char *why, size_t cap)
{
    const struct live *l = arg;
    uint64_t deadline = l->spec->stop.deadline_ns;

    if (interrupted) {
        snprintf(why, cap, "interrupted");
        return true;
    }
    if (process_gone(l)) {
        snprintf(why, cap, "process %d exited during window %u", (int)l->pid, l->window);
        return true;
    }
    if (deadline && (fl_child_now() - l->t0) * 1e9 >= (double)deadline) {
        snprintf(why, cap, "the deadline (%.3g s for the whole experiment) passed",
                 (double)deadline / 1e9);
        return true;
    }
    return false;
}

/* A counter of a rule in a stats reply (0 when absent). */
static uint64_t counter(const struct json_object *v, const char *key)
{
    int64_t n;

    return fl_json_int(v, key, &n) && n > 0 ? (uint64_t)n : 0;
}

/* A counter's growth between two replies (0 when it went back: the process reloaded). */
static uint64_t growth(const struct json_object *before, const struct json_object *after,
                       const char *key)
{
    uint64_t a = counter(before, key), b = counter(after, key);

    return b > a ? b - a : 0;
}

/* Append the faults of run (an experiment window) to the timeline. The live process's own event
 * log holds each fault's exact time; here a rule's n faults of the window are spread evenly
 * across it, which is what the counters can tell. */
static int add_to_timeline(struct fl_exp_result *result, unsigned run_index, int rule,
                           uint64_t n)
{
    const struct fl_exp_run *run = &result->runs[run_index];
    struct fl_exp_fault *faults;

    if (n == 0)
        return 0;
    if (!(faults = realloc(result->faults, (result->nfaults + n) * sizeof *faults)))
        return -1;
    result->faults = faults;
    for (uint64_t k = 0; k < n; k++)
        faults[result->nfaults++] = (struct fl_exp_fault){
            .t = run->start + (run->end - run->start) * ((double)k + 0.5) / (double)n,
            .rule = (unsigned)rule,
            .run = run_index,
        };
    return 0;
}

/* The window's counts from the chosen rules' counters before and after it: per rule and
 * action into run->counts, their sum into run->faults; an experiment window's also into the
 * result's totals and timeline. */
static int count_window(struct live *l, unsigned run_index, const struct json_object *before,
                        const struct json_object *after)
{
    struct fl_exp_result *res = l->result;
    struct fl_exp_run *run = &res->runs[run_index];
    bool experiment = run->group == FL_GROUP_EXPERIMENT;
    size_t first_fault = res->nfaults;

    for (size_t i = 0; i < l->nrules; i++) {
        struct json_object *b = rule_in(before, l->rules[i]), *a = rule_in(after, l->rules[i]);
        struct json_object *actions = fl_json_get(a, "by_action");
        uint64_t injected = growth(b, a, "injected");
        int rule;

        run->faults += injected;
        if (experiment) {
            res->faults_injected += injected;
            if (injected && ((rule = fl_exp_rule_index(res, l->rules[i])) < 0 ||
                             add_to_timeline(res, run_index, rule, injected) < 0))
                return fail(l, "out of memory");
        }
        if (!json_object_is_type(actions, json_type_object))
            continue;
        json_object_object_foreach(actions, action, value) {
            (void)value;
            uint64_t n = growth(fl_json_get(b, "by_action"), actions, action);
            if (n && (fl_exp_count_add(&run->counts, &run->ncounts, l->rules[i], action, n) < 0 ||
                      (experiment &&
                       fl_exp_count_add(&res->injected, &res->ninjected, l->rules[i], action, n) < 0)))
                return fail(l, "out of memory");
        }
    }
    fl_exp_faults_sort(res, first_fault);
    return 0;
}

/* The window's run directory (FAULTLINE_RUN_DIR): fresh and empty. */
static int make_run_dir(struct live *l, char *dir, size_t cap)
{
    const char *tmp = getenv("TMPDIR");

    snprintf(dir, cap, "%s/faultline-run-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir))
        return fail(l, "cannot make a run directory in %s: %s", tmp && *tmp ? tmp : "/tmp",
                    strerror(errno));
    return 0;
}

/* One window: the group's rules switched, the load run through it, the counters read. */
static int run_window(struct live *l, unsigned pair, enum fl_exp_group group)
{
    const struct fl_exp_spec *spec = l->spec;
    struct json_object *before = NULL, *after = NULL;
    char dir[4096], why[sizeof l->result->abort_reason];
    struct fl_exp_run *run;
    unsigned index = (unsigned)l->result->nruns;
    char **env = NULL;
    int rc = -1, load;

    l->window = index + 1;
    if (should_stop(l, why, sizeof why))
        return fail(l, "%s", why);
    if (renew_expiry(l) < 0 || !(before = stats(l)))
        return -1;
    if (group == FL_GROUP_EXPERIMENT && switch_rules(l, true) < 0)
        goto out;
    if (!(run = fl_exp_run_new(l->result))) {
        fail(l, "out of memory");
        goto out;
    }
    run->index = index;
    run->group = group;
    run->pair = pair;
    /* Recorded as every shape records it; the live process keeps the seed it was started
     * with, so this one drives nothing here. */
    run->seed = fl_stats_run_seed(spec->seed, pair);
    run->exit_status = -1;
    run->after_status = -1;
    run->start = fl_child_now() - l->t0;
    /* wall, cpu and peak_rss stay 0: not measured in live (the reader refuses those metrics) */
    if (l->progress)
        l->progress(l->result, l->progress_arg);
    if (make_run_dir(l, dir, sizeof dir) < 0)
        goto out;
    if (!(env = fl_load_env(spec, run, dir, NULL))) {
        fail(l, "out of memory");
        goto rmdir;
    }
    load = fl_load_run(spec, env, l->t0, spec->live.window_ns, run, should_stop, l, why,
                       sizeof why);
    run = &l->result->runs[index];
    run->end = fl_child_now() - l->t0;
    /* a window the load stopped still counts what it injected; the load's reason comes first */
    if ((group != FL_GROUP_EXPERIMENT || switch_rules(l, false) == 0) && (after = stats(l)) &&
        count_window(l, index, before, after) == 0)
        rc = 0;
    if (load != 0)
        rc = fail(l, "%s", why);
rmdir:
    fl_exp_remove_tree(dir);
out:
    fl_load_env_free(env);
    json_object_put(before);
    json_object_put(after);
    return rc;
}

/* ---- the experiment --------------------------------------------------------------------------- */

/* Check the process and choose its rules; all disabled to begin with (the control's state). */
static int prepare(struct live *l)
{
    struct json_object *v;
    bool paused = false;
    int rc = -1;

    if (find_process(l) < 0 || !(v = stats(l)))
        return -1;
    fl_json_bool(v, "paused", &paused);
    if (paused)
        fail(l, "process %d has every rule paused (its dead-man switch ran out, or faultline "
             "ctl %d pause): resume it with faultline ctl %d resume", (int)l->pid, (int)l->pid,
             (int)l->pid);
    else if (choose_rules(l, v) == 0)
        rc = 0;
    json_object_put(v);
    l->pidfd = (int)syscall(SYS_pidfd_open, l->pid, 0);
    return rc;
}

/* Run the live experiment (experiment.h): windows as fl_exp_group_at orders them, the rollback
 * whatever happened. Returns 0, or -1 with result->aborted and result->abort_reason set. */
int fl_exp_live_run(const struct fl_exp_spec *spec, struct fl_exp_result *result,
                    void (*progress)(const struct fl_exp_result *result, void *arg), void *arg)
{
    struct live l = {.spec = spec, .result = result, .pidfd = -1, .t0 = fl_child_now(),
                     .progress = progress, .progress_arg = arg};
    struct sigaction sa = {.sa_handler = on_signal}, old[3];
    static const int sigs[] = {SIGINT, SIGTERM, SIGHUP};
    unsigned ngroups = spec->aa ? 3 : 2;
    struct timespec now;
    int rc = -1;

    clock_gettime(CLOCK_REALTIME, &now);
    if (!result->started)
        result->started = (double)now.tv_sec + now.tv_nsec / 1e9;
    interrupted = 0;
    sigemptyset(&sa.sa_mask);
    for (int i = 0; i < 3; i++)
        sigaction(sigs[i], &sa, &old[i]);
    if (prepare(&l) == 0 && (l.touched = true) && renew_expiry(&l) == 0 &&
        switch_rules(&l, false) == 0) {
        rc = 0;
        for (unsigned p = 0; rc == 0 && p < spec->runs; p++)
            for (unsigned k = 0; rc == 0 && k < ngroups; k++)
                rc = run_window(&l, p, fl_exp_group_at(spec->aa, p, k));
    }
    roll_back(&l);
    for (int i = 0; i < 3; i++)
        sigaction(sigs[i], &old[i], NULL);
    if (l.pidfd >= 0)
        close(l.pidfd);
    for (size_t i = 0; i < l.nrules; i++)
        free(l.rules[i]);
    free(l.rules);
    result->duration = fl_child_now() - l.t0;
    return rc;
}
