/* faultline experiment: the data that flows through one experiment.
 *
 *   expfile.c   the experiment file  ->  struct fl_exp_spec      (the strict reader)
 *   experiment.c runs the spec       ->  struct fl_exp_run[]     (children measured by child.c)
 *   judge.c     runs + checks        ->  struct fl_exp_verdict[] (statistics from stats.c)
 *   report/     the whole result     ->  terminal, JSON journal, JUnit, Markdown, HTML
 *
 * Data flows one way: a writer never computes, the judge never runs anything, the runner never
 * formats a report. Every number is a double in its metric's base unit: seconds for times,
 * bytes for sizes, a fraction (0..1) for rates, a count for faults and exit statuses. */
#ifndef FL_CLI_EXPERIMENT_H
#define FL_CLI_EXPERIMENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* ---- the experiment file ------------------------------------------------------------------- */

enum fl_exp_shape { FL_EXP_BATCH, FL_EXP_SERVICE, FL_EXP_LIVE };

/* A command: argv[0..] NULL-terminated. A command the file gives as one string is
 * {"/bin/sh", "-c", STRING, NULL}. Every command runs in spec->dir; FAULTLINE_RUN_DIR in its
 * environment names the run's own fresh directory. */
struct fl_exp_cmd {
    char **argv;                /* NULL when the file gave none */
    int line;                   /* the line the file gave it on */
};

/* Which processes the faults are injected into (the others run without the shim). */
enum fl_exp_target {
    FL_EXP_TARGET_COMMAND,      /* batch: the command (and its children) */
    FL_EXP_TARGET_SERVICE,      /* service: the service (default) */
    FL_EXP_TARGET_LOAD,         /* service: every load execution */
    FL_EXP_TARGET_BOTH,         /* service: both */
};

/* What the control group runs under. */
enum fl_exp_control {
    FL_EXP_CONTROL_DRY_RUN,     /* the shim with the same rules and seed, dry_run = true: the
                                   same cost, nothing injected, what would have fired logged */
    FL_EXP_CONTROL_BARE,        /* no shim at all */
};

struct fl_exp_faults {
    char *rules_file;           /* absolute path of a faultline config, or NULL */
    char *rules_text;           /* inline config text ("rules = ( ... );"), or NULL */
    enum fl_exp_target target;
    char **live_rules;          /* live: the process's rules to switch; NULL = every rule */
    size_t nlive_rules;
    int line;
};

enum fl_exp_metric {
    FL_M_EXIT_STATUS,           /* batch: the exit status (128 + N for signal N) */
    FL_M_SUCCESS_RATE,          /* the fraction of samples that succeeded (load: exit 0 in time;
                                   batch: runs that exited 0) */
    FL_M_LATENCY_MEDIAN,        /* samples' latency (load executions'; batch: the run's wall) */
    FL_M_LATENCY_P95,
    FL_M_LATENCY_P99,
    FL_M_WALL_TIME,             /* per run: seconds from start to exit (batch) or to stop */
    FL_M_CPU_TIME,              /* per run: user + system seconds (wait4) */
    FL_M_PEAK_RSS,              /* per run: bytes (wait4's ru_maxrss) */
    FL_M_STDOUT,                /* batch: stdout equal to the paired control run's, masked */
    FL_M_AFTER,                 /* a command run after each run: its status and output */
    FL_M_FAULTS,                /* faults injected per experiment run */
    FL_M_COUNT
};

/* A limit: an absolute value, or relative to the control's value:
 *   control * (1 + percent / 100) + offset          (percent and offset signed) */
struct fl_exp_bound {
    bool set;
    bool relative;
    double value;               /* absolute */
    double percent, offset;     /* relative */
};

/* One hypothesis check. Which fields apply depends on the metric. */
struct fl_exp_check {
    char *name;                 /* as given, else the metric's name ("latency_p95") */
    enum fl_exp_metric metric;
    struct fl_exp_bound min, max;
    int *exit_in;               /* exit_status: the statuses allowed; NULL = see same */
    size_t nexit_in;
    bool same_as_control;       /* exit_status: equal to the paired control run's */
    char **masks;               /* stdout: POSIX extended regexes, each match replaced by "*" */
    size_t nmasks;
    struct fl_exp_cmd command;  /* after: run after each run (the service stopped), in its dir */
    char *expect;               /* after: a regex its stdout must match; NULL = status 0 only */
    int line;
};

struct fl_exp_service {
    struct fl_exp_cmd start;
    struct fl_exp_cmd ready;    /* polled until it exits 0 */
    uint64_t ready_timeout_ns, ready_interval_ns;
    int stop_signal;            /* then SIGKILL after stop_grace_ns */
    uint64_t stop_grace_ns;
};

struct fl_exp_load {
    struct fl_exp_cmd cmd;      /* one execution = one sample */
    unsigned count;             /* executions per run (or window), or 0 when duration is set */
    uint64_t duration_ns;       /* or executions started until this long has passed */
    unsigned concurrency;       /* at most this many at once (default 1) */
    uint64_t timeout_ns;        /* an execution running longer is killed: a failed sample */
};

struct fl_exp_live {
    pid_t pid;                  /* one of pid and program */
    char *program;              /* matched as faultline ps matches it: exactly one process */
    uint64_t window_ns;         /* each control or experiment window (the load runs through it) */
};

/* Abort at once (rollback, exit 2) when one holds during a run. */
struct fl_exp_stop {
    bool service_died;          /* service: the service exited before it was stopped (default) */
    double success_floor;       /* the success rate over the last `window` below it; <0 none */
    uint64_t window_ns;         /* for success_floor (default 10 s) */
    uint64_t deadline_ns;       /* the whole experiment; 0 none */
    uint64_t run_timeout_ns;    /* batch: one run; past it the run is killed and it aborts */
};

struct fl_exp_spec {
    char *path;                 /* the experiment file, absolute */
    char sha256[65];            /* of its bytes, lowercase hex */
    char *dir;                  /* the directory commands run relative to: the file's, or
                                   `directory` from the file (absolute) */
    char *name;                 /* default: the file's base name without its extension */
    enum fl_exp_shape shape;
    uint64_t seed;              /* default 1 */
    unsigned runs;              /* control runs = experiment runs = this (default 10) */
    bool aa;                    /* a second control group (A/A) to measure noise */
    enum fl_exp_control control;
    struct fl_exp_cmd batch;    /* batch: the command */
    struct fl_exp_service service;
    struct fl_exp_load load;    /* service and live */
    struct fl_exp_live live;
    struct fl_exp_faults faults;
    struct fl_exp_check *checks;
    size_t nchecks;
    struct fl_exp_stop stop;
    char **env;                 /* "NAME=VALUE" added to every command's environment */
    size_t nenv;
};

/* ---- what one experiment measured ---------------------------------------------------------- */

enum fl_exp_group { FL_GROUP_CONTROL, FL_GROUP_EXPERIMENT, FL_GROUP_AA };

/* One load execution (or, batch, the run itself). */
struct fl_exp_sample {
    double t;                   /* when it started: seconds since the experiment started */
    double latency;             /* seconds */
    bool ok;                    /* exited 0 within its timeout */
};

/* Faults one run injected, per rule and action (from its event log, or for live the rule's
 * counters through the control socket). */
struct fl_exp_count {
    char *rule, *action;
    uint64_t n;
};

/* One injected fault, for the timeline. */
struct fl_exp_fault {
    double t;                   /* seconds since the experiment started */
    unsigned rule;              /* index into fl_exp_result.rules */
    unsigned run;               /* index into fl_exp_result.runs */
};

struct fl_exp_run {
    unsigned index;             /* 0-based, in the order the runs ran */
    enum fl_exp_group group;
    unsigned pair;              /* experiment run i and control run i share seed and pair = i */
    uint64_t seed;
    double start, end;          /* seconds since the experiment started */
    int exit_status;            /* batch: the status, 128 + N for signal N; else -1 */
    double wall, cpu;           /* seconds; cpu = user + system of the command or service */
    uint64_t peak_rss;          /* bytes; 0 when not measured (live) */
    char *out;                  /* batch: stdout as captured (at most 1 MiB kept) */
    size_t out_len;
    bool out_truncated;
    struct fl_exp_sample *samples;
    size_t nsamples;
    int after_status;           /* the after check's command: its status, -1 when none */
    char *after_output;
    char *log;                  /* the run's event log (kept only with --keep) */
    struct fl_exp_count *counts;
    size_t ncounts;
    uint64_t faults;            /* injected (control runs under dry-run: logged as would-be) */
};

enum fl_verdict { FL_VERDICT_HELD, FL_VERDICT_DEVIATED, FL_VERDICT_INCONCLUSIVE };

/* What the judge found for one check. */
struct fl_exp_verdict {
    const struct fl_exp_check *check;
    enum fl_verdict verdict;
    double control, experiment; /* the metric's value in each group (NAN when it has none) */
    double diff, ci_low, ci_high; /* experiment - control (or, absolute bounds, the experiment's
                                     value) with its 95% confidence interval; NAN when none */
    double limit_low, limit_high; /* the limits resolved against the control; NAN when none */
    double p_value;             /* NAN when the test gives none */
    const char *test;           /* the test, as the report names it ("Mann-Whitney U, Hodges-
                                   Lehmann shift and 95% CI") */
    unsigned n_control, n_experiment; /* samples each side */
    unsigned needed;            /* inconclusive: samples per group that would likely tell */
    bool aa_noisy;              /* --aa: the check deviated between the two control groups */
    char reason[512];           /* one sentence: why this verdict, with the numbers */
};

struct fl_exp_result {
    const struct fl_exp_spec *spec;
    double started;             /* seconds since 1970 */
    double duration;            /* seconds */
    struct fl_exp_run *runs;
    size_t nruns;
    char **rules;               /* every rule name seen in a fault, in order of first fault */
    size_t nrules;
    struct fl_exp_fault *faults; /* experiment runs' faults in time order (for the timeline) */
    size_t nfaults;
    uint64_t faults_injected;   /* over experiment runs */
    struct fl_exp_count *injected; /* over experiment runs, per rule and action */
    size_t ninjected;
    struct fl_exp_verdict *verdicts;
    size_t nverdicts;
    bool aborted;
    char abort_reason[320];     /* why, when aborted or it could not run */
    int exit_status;            /* FL_EXIT_OK held, FL_EXIT_FAIL deviated or inconclusive,
                                   FL_EXIT_USAGE invalid, aborted or could not run */
};

/* ---- the modules ----------------------------------------------------------------------------- */

struct fl_diag;

/* expfile.c. Read the experiment file at path into *spec (zeroed first), strictly: an unknown
 * name, a wrong type or a value out of range is an error "PATH:LINE: message" (with "did you
 * mean" for a near name) in diag, and nothing is kept. Returns 0 or -1. */
int fl_exp_load(const char *path, struct fl_exp_spec *spec, struct fl_diag *diag);

/* Release what fl_exp_load allocated and zero *spec. */
void fl_exp_spec_free(struct fl_exp_spec *spec);

/* The metric's name in files and reports ("latency_p95"), its unit ("s", "B", "", "%"). */
const char *fl_exp_metric_name(enum fl_exp_metric m);
const char *fl_exp_metric_unit(enum fl_exp_metric m);

/* The group's name in reports: "control", "experiment", "control-b" (A/A). */
const char *fl_exp_group_name(enum fl_exp_group g);

/* The verdict's name: "held", "deviated", "inconclusive". */
const char *fl_verdict_name(enum fl_verdict v);

/* judge.c. Judge every check of result->spec against result->runs: fills result->verdicts
 * (malloc'd) and result->exit_status (unless aborted). seed drives the bootstrap. Returns 0,
 * or -1 when out of memory. */
int fl_exp_judge(struct fl_exp_result *result, uint64_t seed);

/* live.c. Run a live experiment against spec->live's process: alternate control windows
 * (spec->faults.live_rules disabled) and experiment windows (enabled) through its control
 * socket in counterbalanced order while the load runs, appending a run per window to result
 * (its counts from the rules' counters). Every rule it switched is disabled again at the end,
 * on a stop condition, on an error and on SIGINT/SIGTERM/SIGHUP (rollback), and a dead-man
 * switch (`expire`) pauses the process's rules should faultline itself die. Returns 0, or -1
 * with result->aborted and result->abort_reason set. progress (may be NULL) is called at each
 * window's start. */
int fl_exp_live_run(const struct fl_exp_spec *spec, struct fl_exp_result *result,
                    void (*progress)(const struct fl_exp_result *result, void *arg), void *arg);

/* result.c: building a result, for the runner and the live shape alike. */

/* The group at position slot of pair `pair`, so that no group always runs first, after the same
 * other group, or when the program has been up longest: ABBA for two groups (pair 0 runs
 * control first); with aa, a Latin square of the three, reversed every other square. */
enum fl_exp_group fl_exp_group_at(bool aa, unsigned pair, unsigned slot);

/* The index of rule `name` in result->rules, added when new; -1 when out of memory. */
long fl_exp_rule_index(struct fl_exp_result *result, const char *name);

/* Add n to the (rule, action) count in counts[0..*ncounts), a new entry when there is none;
 * -1 when out of memory. */
int fl_exp_count_add(struct fl_exp_count **counts, size_t *ncounts, const char *rule,
                     const char *action, uint64_t n);

/* Sort result->faults[first..] by time. */
void fl_exp_faults_sort(struct fl_exp_result *result, size_t first);

/* A new zeroed run at the end of result->runs (its index set), or NULL when out of memory. */
struct fl_exp_run *fl_exp_run_new(struct fl_exp_result *result);

/* Remove a run's directory and what it holds, never following a link out of it; what cannot
 * be removed is left. */
void fl_exp_remove_tree(const char *path);

/* Release what a result holds (runs, verdicts, faults), not its spec, and zero it. */
void fl_exp_result_free(struct fl_exp_result *result);

#endif
