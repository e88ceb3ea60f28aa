/* Running a child and measuring it (child.h). The child gets a process group of its own, so that
 * a terminal's Ctrl-C reaches faultline only and a stop reaches the child's own children too; a
 * pidfd tells when it exits, so that waiting with a timeout is one poll(); wait4 measures it.
 * An exec that fails is reported back through a close-on-exec pipe, so that "not found" is an
 * error of fl_child_start and not exit status 127. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "child.h"

extern char **environ;

/* CLOCK_MONOTONIC in seconds. */
double fl_child_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* In the child after fork: set up and exec, or write errno to report_fd and exit 127. Only
 * async-signal-safe calls. */
static void __attribute__((noreturn))
exec_child(const struct fl_child_spec *spec, int out_write, int report_fd)
{
    int null_fd = -1, err, out_fd, err_fd;
    sigset_t none;

    setpgid(0, 0);
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    signal(SIGPIPE, SIG_DFL);
    null_fd = open("/dev/null", O_RDWR);
    out_fd = spec->capture_out ? out_write : spec->out_fd >= 0 ? spec->out_fd : null_fd;
    err_fd = spec->err_fd >= 0 ? spec->err_fd : null_fd;
    if (null_fd < 0 || out_fd < 0 || err_fd < 0)
        goto fail;
    if (dup2(null_fd, STDIN_FILENO) < 0 ||
        dup2(out_fd, STDOUT_FILENO) < 0 || dup2(err_fd, STDERR_FILENO) < 0)
        goto fail;
    if (spec->dir && chdir(spec->dir) != 0)
        goto fail;
    execvpe(spec->argv[0], spec->argv, spec->env ? spec->env : environ);
fail:
    err = errno;
    if (write(report_fd, &err, sizeof err) < 0) {
        /* nothing left to tell it with */
    }
    _exit(127);
}

/* Start the child as child.h says. */
int fl_child_start(const struct fl_child_spec *spec, struct fl_child *c, char *why, size_t cap)
{
    int report[2], out[2] = {-1, -1}, err = 0;
    ssize_t n;

    memset(c, 0, sizeof *c);
    c->pidfd = c->out_pipe = -1;
    if (pipe2(report, O_CLOEXEC) != 0) {
        snprintf(why, cap, "cannot make a pipe: %s", strerror(errno));
        return -1;
    }
    if (spec->capture_out && pipe2(out, O_CLOEXEC) != 0) {
        snprintf(why, cap, "cannot make a pipe: %s", strerror(errno));
        close(report[0]);
        close(report[1]);
        return -1;
    }
    fflush(NULL);
    c->started = fl_child_now();
    c->pid = fork();
    if (c->pid == 0)
        exec_child(spec, out[1], report[1]);
    err = errno;
    close(report[1]);
    if (out[1] >= 0)
        close(out[1]);
    if (c->pid < 0) {
        snprintf(why, cap, "cannot start %s: %s", spec->argv[0], strerror(err));
        close(report[0]);
        if (out[0] >= 0)
            close(out[0]);
        return -1;
    }
    setpgid(c->pid, c->pid);    /* also here: a stop right after the start reaches the group */
    while ((n = read(report[0], &err, sizeof err)) < 0 && errno == EINTR)
        ;
    close(report[0]);
    if (n == (ssize_t)sizeof err) {
        while (waitpid(c->pid, NULL, 0) < 0 && errno == EINTR)
            ;
        if (spec->dir && access(spec->dir, X_OK) != 0)
            snprintf(why, cap, "%s: cannot run %s in it: %s", spec->dir, spec->argv[0],
                     strerror(err));
        else
            snprintf(why, cap, "%s: %s", spec->argv[0], strerror(err));
        if (out[0] >= 0)
            close(out[0]);
        return -1;
    }
    c->pidfd = pidfd_open(c->pid, 0);
    if (c->pidfd < 0 && errno != ENOSYS) {
        snprintf(why, cap, "cannot watch process %d: %s", (int)c->pid, strerror(errno));
        kill(-c->pid, SIGKILL);
        while (waitpid(c->pid, NULL, 0) < 0 && errno == EINTR)
            ;
        if (out[0] >= 0)
            close(out[0]);
        return -1;
    }
    if (spec->capture_out) {
        c->out_pipe = out[0];
        fcntl(c->out_pipe, F_SETFL, O_NONBLOCK);
        if (!(c->out = malloc(1))) {
            snprintf(why, cap, "out of memory");
            struct fl_child_status ignored;
            fl_child_stop(c, SIGKILL, 0, &ignored);
            fl_child_release(c);
            return -1;
        }
        c->out[0] = '\0';
    }
    return 0;
}

/* Read what the captured stdout holds now (non-blocking); at end of file close it. Beyond
 * FL_CHILD_OUT_MAX the bytes are read and dropped, so that the child never blocks on a full
 * pipe. */
static void drain_output(struct fl_child *c)
{
    char buf[65536];
    ssize_t n;

    while (c->out_pipe >= 0) {
        n = read(c->out_pipe, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            return;
        if (n <= 0) {
            close(c->out_pipe);
            c->out_pipe = -1;
            return;
        }
        size_t keep = (size_t)n;
        if (c->out_len + keep > FL_CHILD_OUT_MAX) {
            keep = FL_CHILD_OUT_MAX - c->out_len;
            c->out_truncated = true;
        }
        if (keep) {
            char *grown = realloc(c->out, c->out_len + keep + 1);
            if (!grown) {
                c->out_truncated = true;
                continue;
            }
            c->out = grown;
            memcpy(c->out + c->out_len, buf, keep);
            c->out_len += keep;
            c->out[c->out_len] = '\0';
        }
    }
}

/* Reap the exited child (its pidfd said so) and fill *st. */
static void reap(struct fl_child *c, struct fl_child_status *st)
{
    struct rusage ru;
    int status = 0;

    while (wait4(c->pid, &status, 0, &ru) < 0) {
        if (errno != EINTR) {
            memset(&ru, 0, sizeof ru);
            break;
        }
    }
    st->wall = fl_child_now() - c->started;
    st->signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    st->status = WIFSIGNALED(status) ? 128 + st->signal : WEXITSTATUS(status);
    st->cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
              (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
    st->peak_rss = (uint64_t)ru.ru_maxrss * 1024;
    if (c->pidfd >= 0)
        close(c->pidfd);
    c->pidfd = -1;
    c->reaped = true;
    c->ended = *st;
    drain_output(c);    /* what is there now: a grandchild may hold the pipe open for long */
    if (c->out_pipe >= 0) {
        close(c->out_pipe);
        c->out_pipe = -1;
    }
}

/* Whether the child exited, without reaping it (where there is no pidfd to tell). */
static bool exited(const struct fl_child *c)
{
    siginfo_t si = {0};

    return waitid(P_PID, (id_t)c->pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid != 0;
}

/* Wait for the child as child.h says. */
int fl_child_wait(struct fl_child *c, double timeout_s, struct fl_child_status *st)
{
    double deadline = timeout_s < 0 ? INFINITY : fl_child_now() + timeout_s;

    if (c->reaped) {
        *st = c->ended;
        return 1;
    }
    for (;;) {
        struct pollfd fds[2] = {{.fd = c->pidfd, .events = POLLIN},
                                {.fd = c->out_pipe, .events = POLLIN}};
        double left = deadline - fl_child_now();
        int ms = isinf(left) ? -1 : left <= 0 ? 0 : (int)ceil(left * 1000);
        int n;

        if (c->pidfd < 0 && (ms < 0 || ms > 10))
            ms = 10;
        n = poll(fds, 2, ms);
        if (n < 0 && errno == EINTR)
            return 0;
        if (fds[1].revents)
            drain_output(c);
        if (fds[0].revents || (c->pidfd < 0 && exited(c))) {
            reap(c, st);
            return 1;
        }
        if ((n < 0 && errno != EINTR) || fl_child_now() >= deadline)
            return 0;
    }
}

/* Stop the child as child.h says. */
void fl_child_stop(struct fl_child *c, int sig, double grace_s, struct fl_child_status *st)
{
    if (c->reaped) {
        *st = c->ended;
        return;
    }
    if (sig != SIGKILL && kill(-c->pid, sig) == 0) {
        double deadline = fl_child_now() + grace_s;
        while (!c->reaped && fl_child_now() < deadline)
            if (fl_child_wait(c, deadline - fl_child_now(), st))
                break;
    }
    if (!c->reaped) {
        kill(-c->pid, SIGKILL);
        while (!c->reaped)
            fl_child_wait(c, -1, st);
    }
    kill(-c->pid, SIGKILL);     /* what is left of its group */
}

/* Release what the child holds as child.h says. */
void fl_child_release(struct fl_child *c)
{
    if (c->out_pipe >= 0)
        close(c->out_pipe);
    if (c->pidfd >= 0)
        close(c->pidfd);
    free(c->out);
    c->out = NULL;
    c->out_len = 0;
    c->out_pipe = c->pidfd = -1;
}
