/* faultline run's parent mode, for a run that tracks durability (the config's `durable`): the
 * journal placed on the tracked files' file system, the program started as a child in a process
 * group of its own with this process as its subreaper, signals forwarded and the terminal handed
 * over, and at the end either the journal removed or, after a power loss, every process of the
 * run killed and the tracked files rolled back to their durable state.
 *
 *   fl_power_prepare   the journal, FAULTLINE_JOURNAL, the seed
 *   fl_power_start     fork: returns 0 in the child, which then execs the program
 *   fl_power_finish    the parent: let the child exec, wait, roll back; the exit status */
#ifndef FL_CLI_POWERLOSS_H
#define FL_CLI_POWERLOSS_H

#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct fl_config;

/* What faultline run's options and settings ask of the parent mode. */
struct fl_power_opts {
    const char *journal_in;     /* --journal DIR: make the journal in DIR; NULL: choose */
    bool at_exit;               /* --power-loss-at-exit */
    bool keep_journal;          /* --keep-journal: never remove it, and say where it is */
    bool quiet;                 /* -q: no summary line */
    const char *seed;           /* the seed as FAULTLINE_SEED gives it (-s or the caller's */
                                /* environment), or NULL */
};

/* One tracked run, from prepare to finish. */
struct fl_power_run {
    struct fl_power_opts o;
    char journal[PATH_MAX];     /* the journal directory, absolute */
    uint64_t seed;              /* the run's seed: the rollback draws torn sectors from it */
    bool seed_chosen;           /* nothing fixed it: chosen here, and printed */
    unsigned torn_sector;       /* the config's torn settings */
    double torn_keep;
    pid_t child;                /* the program (its process group too) */
    int go_fd;                  /* the child execs once this pipe is closed */
    int tty_fd;                 /* the terminal, when this process was in its foreground */
    sigset_t old_mask;          /* the signal mask to give back to the program */
};

/* Place and create the journal for cfg's durable globs (opts: --journal, the seed), and export
 * FAULTLINE_JOURNAL, and FAULTLINE_SEED when the seed is chosen here. Returns 0, or -1 after
 * saying why (the journal's file system, what to do). */
int fl_power_prepare(struct fl_power_run *r, const struct fl_config *cfg,
                     const struct fl_power_opts *opts);

/* Become the run's subreaper and fork. In the child: its own process group, exported as
 * FAULTLINE_RUN_PGID, the signal mask the program should have; it waits until fl_power_finish
 * (or fl_power_abandon) lets it go, refuses io_uring to itself and all it starts (iouring.h; when
 * it cannot, it says why and exits 2), then returns 0 and the caller execs the program. In the
 * parent: the child's pid, after making its group the terminal's foreground group when this
 * process had the terminal. -1 after saying why (the journal is removed). */
pid_t fl_power_start(struct fl_power_run *r);

/* In the parent: let the child exec, forward SIGINT, SIGTERM, SIGHUP and SIGQUIT to its
 * process group, and wait. A power loss (declared in the journal by any process of the run, or
 * --power-loss-at-exit once the program exits): kill every process left, roll the files back,
 * print one line on stderr (unless quiet) and append {"event":"rollback",...} to the event log
 * `log` (a path with %p for the program's pid; NULL or "stderr": none). Without one: wait until
 * every descendant is gone, then remove the journal. Returns the exit status: the program's
 * own (128 + N for signal N), or 125 when the rollback failed (the journal is kept, and said). */
int fl_power_finish(struct fl_power_run *r, const char *log);

/* In the parent, instead of fl_power_finish: kill the child before it execs, reap it and
 * remove the journal. */
void fl_power_abandon(struct fl_power_run *r);

/* The exit status faultline run gives when its own work after the program failed (the rollback):
 * a status few programs use, as env(1) and timeout(1) do. */
#define FL_EXIT_RUN_FAILED 125

#endif
