/* Running a child and measuring it: start it in its own process group, wait for it with a
 * timeout (pidfd), collect what wait4 measures, stop it (a signal, a grace period, then
 * SIGKILL to the whole group). Used by faultline experiment's batch, service, load and live
 * parts; the only place they fork. */
#ifndef FL_CLI_CHILD_H
#define FL_CLI_CHILD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define FL_CHILD_OUT_MAX (1u << 20)     /* captured stdout kept, at most */

struct fl_child_spec {
    char *const *argv;          /* argv[0] searched in PATH */
    char *const *env;           /* the whole environment; NULL: the command's own */
    const char *dir;            /* working directory; NULL: the command's own */
    bool capture_out;           /* stdout into fl_child.out (up to FL_CHILD_OUT_MAX) */
    int out_fd, err_fd;         /* where stdout (when not captured) and stderr go; -1: /dev/null */
};

/* How a child ended. */
struct fl_child_status {
    int status;                 /* the exit status, or 128 + N when signal N killed it */
    int signal;                 /* N, or 0 */
    double wall;                /* seconds from start to exit */
    double cpu;                 /* user + system seconds (wait4) */
    uint64_t peak_rss;          /* bytes (ru_maxrss) */
};

struct fl_child {
    pid_t pid;
    int pidfd;                  /* -1 once reaped, or where pidfd_open is missing (an old
                                   kernel, valgrind): its exit is then polled for every 10 ms */
    bool reaped;                /* wait4 collected it */
    int out_pipe;               /* read end while capturing, else -1 */
    double started;             /* CLOCK_MONOTONIC seconds */
    char *out;                  /* captured stdout (malloc'd, NUL-terminated) */
    size_t out_len;
    bool out_truncated;
    struct fl_child_status ended; /* once reaped: how it ended */
};

/* Start the child in a new process group. Returns 0, or -1 with why[cap] saying what failed
 * (the command not found or not executable is reported here, not as exit status 127). */
int fl_child_start(const struct fl_child_spec *spec, struct fl_child *c, char *why, size_t cap);

/* Wait at most timeout_s seconds (< 0: forever) for the child to exit, reading its captured
 * stdout meanwhile; a signal delivered to faultline (EINTR) returns early. Returns 1 and fills
 * *st when it exited (it is reaped; a later call fills *st the same), 0 when it is still
 * running. */
int fl_child_wait(struct fl_child *c, double timeout_s, struct fl_child_status *st);

/* Stop the child: sig to its process group, up to grace_s seconds, then SIGKILL to the group;
 * reaps it and fills *st. Safe on a child that already exited (then it only reaps) or was
 * reaped (then *st is how it ended). */
void fl_child_stop(struct fl_child *c, int sig, double grace_s, struct fl_child_status *st);

/* Release what the child holds (captured output, fds); the process must have been reaped. */
void fl_child_release(struct fl_child *c);

/* CLOCK_MONOTONIC in seconds. */
double fl_child_now(void);

#endif
