/* The event log, the summary and diagnostics. Every line goes out with one write(2) on an
 * O_APPEND fd, so lines from threads and forked children never interleave. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "events.h"
#include "hint.h"
#include "real.h"
#include "safefile.h"

/* Where the shim's own words go. err_fd is 2 until something needs a copy of stderr (the
 * summary, log = "stderr", the control socket: fl_events_hold_stderr), then that copy, high
 * and close-on-exec; -1 when fd 2 was not open at start: the shim then has no stderr, and
 * says nothing rather than write into a file the program opens as fd 2 later. While it is 2,
 * the shim writes there only while fd 2 is still the file it was at start (err_dev, err_ino). */
static int err_fd = 2;
static bool err_noted;            /* fl_events_keep_stderr ran: err_dev and err_ino are set */
static dev_t err_dev;
static ino_t err_ino;
static int log_fd = -1;           /* the event log, or -1 */
static bool log_regular;          /* the log is a regular file (not stderr, not a device) */
static char log_spec[PATH_MAX];   /* the log as configured, %p unexpanded */
static char log_path[PATH_MAX];   /* the log as opened */
static int log_failed;            /* a write failed and was reported */

/* write(2) that never raises SIGXFSZ on the host. With RLIMIT_FSIZE finite, a write at or past
 * the limit would send the thread SIGXFSZ, whose default action kills the program (a bare
 * program that writes less than the shim's log never meets it). So SIGXFSZ is blocked in this
 * thread around the write, and a SIGXFSZ the write raised (pending now, not before) is taken
 * with a zero-timeout sigtimedwait before the mask is restored: the write just fails with
 * EFBIG. The kernel sends it to the writing thread (send_sig), so this thread's mask holds it. */
static ssize_t shim_write(int fd, const void *buf, size_t n)
{
    struct rlimit rl;
    sigset_t xfsz, old, pending;
    ssize_t w;
    int err;

    if (getrlimit(RLIMIT_FSIZE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY)
        return fl_real_write(fd, buf, n);
    sigemptyset(&xfsz);
    sigaddset(&xfsz, SIGXFSZ);
    if (pthread_sigmask(SIG_BLOCK, &xfsz, &old) != 0)
        return fl_real_write(fd, buf, n);
    bool was_pending = sigpending(&pending) == 0 && sigismember(&pending, SIGXFSZ);
    w = fl_real_write(fd, buf, n);
    err = errno;
    if (!was_pending && sigpending(&pending) == 0 && sigismember(&pending, SIGXFSZ)) {
        struct timespec zero = {0, 0};
        sigtimedwait(&xfsz, NULL, &zero);
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    errno = err;
    return w;
}

static void write_all(int fd, const char *s, size_t n)
{
    while (n > 0) {
        ssize_t w = shim_write(fd, s, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return;
        s += w;
        n -= (size_t)w;
    }
}

/* The fd the shim's words go to now, or -1 when there is none (see err_fd). */
static int say_fd(void)
{
    struct stat st;
    int fd = __atomic_load_n(&err_fd, __ATOMIC_RELAXED);

    if (fd != 2 || !__atomic_load_n(&err_noted, __ATOMIC_RELAXED))
        return fd;   /* before start, fd 2 is the program's stderr as it was given */
    if (syscall(SYS_fstat, 2, &st) != 0 || st.st_dev != err_dev || st.st_ino != err_ino)
        return -1;   /* the program closed stderr, or put another file there */
    return 2;
}

void fl_say(const char *msg)
{
    char line[1200];
    size_t n = 0, m = strlen(msg);
    static const char prefix[] = "faultline: ";
    if (m > sizeof line - sizeof prefix - 1)
        m = sizeof line - sizeof prefix - 1;
    memcpy(line, prefix, sizeof prefix - 1);
    n += sizeof prefix - 1;
    memcpy(line + n, msg, m);
    n += m;
    line[n++] = '\n';
    int saved = errno, fd = say_fd();
    if (fd >= 0)
        write_all(fd, line, n);
    errno = saved;
}

/* Duplicate fd close-on-exec onto a number well above those a program usually uses. */
static int dup_high(int fd)
{
    struct rlimit rl;
    long floor = 3;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
        floor = rl.rlim_cur > 2048 ? 1000 : (long)rl.rlim_cur / 2;
    if (floor < 3)
        floor = 3;
    int r = fcntl(fd, F_DUPFD_CLOEXEC, (int)floor);
    return r >= 0 ? r : fcntl(fd, F_DUPFD_CLOEXEC, 3);
}

void fl_events_keep_stderr(void)
{
    struct stat st;

    if (syscall(SYS_fstat, 2, &st) != 0) {
        err_fd = -1;   /* no stderr at start: the shim has none */
        return;
    }
    err_dev = st.st_dev;
    err_ino = st.st_ino;
    __atomic_store_n(&err_noted, true, __ATOMIC_RELAXED);
}

void fl_events_hold_stderr(void)
{
    if (err_fd != 2)
        return;   /* held already, or there is no stderr */
    int fd = dup_high(2);
    if (fd >= 0)
        err_fd = fd;
}

static int extra_fd = -1; /* another fd of the shim's: the control socket */
static int spare_fd = -1; /* and the control thread's reserve */

/* Fds another module of the shim keeps (fl_events_own): where each module holds its fd. */
#define OWNED_MAX (FL_OWN_FDS - 4)
static int *owned[OWNED_MAX];
static int nowned;

/* Whether fd is one of the fds fl_events_own registered. */
static bool owned_fd(int fd)
{
    for (int i = 0; i < nowned; i++)
        if (*owned[i] == fd)
            return true;
    return false;
}

bool fl_events_owns_fd(int fd)
{
    return fd >= 3 && (fd == err_fd || fd == log_fd || fd == extra_fd || fd == spare_fd ||
                       (nowned && owned_fd(fd)));
}

int fl_events_own_fds(int out[FL_OWN_FDS])
{
    int n = 0, all[FL_OWN_FDS] = {err_fd, log_fd, extra_fd, spare_fd};
    for (int i = 0; i < nowned; i++)
        all[4 + i] = *owned[i];
    for (int i = 0; i < 4 + nowned; i++) {
        bool dup = false;
        for (int j = 0; j < n; j++)
            dup |= out[j] == all[i];
        if (all[i] >= 3 && !dup)
            out[n++] = all[i];
    }
    for (int i = 1; i < n; i++) /* ascending */
        for (int j = i; j > 0 && out[j - 1] > out[j]; j--) {
            int t = out[j];
            out[j] = out[j - 1];
            out[j - 1] = t;
        }
    return n;
}

int fl_events_keep_fd(int fd)
{
    int high = dup_high(fd);
    if (high >= 0) {
        fl_real_close(fd);
        fd = high;
    }
    extra_fd = fd;
    return fd;
}

int fl_events_kept_fd(void)
{
    return __atomic_load_n(&extra_fd, __ATOMIC_RELAXED);
}

int fl_events_keep_spare(int fd)
{
    int high = dup_high(fd);
    if (high >= 0) {
        fl_real_close(fd);
        fd = high;
    }
    __atomic_store_n(&spare_fd, fd, __ATOMIC_RELAXED);
    return fd;
}

int fl_events_spare_fd(void)
{
    return __atomic_load_n(&spare_fd, __ATOMIC_RELAXED);
}

void fl_events_make_way(int fd)
{
    if (!fl_events_owns_fd(fd))
        return;
    int moved = dup_high(fd); /* the program's dup2 then replaces fd, never the shim's file */
    if (moved < 0)
        return;
    if (err_fd == fd)
        err_fd = moved;
    if (log_fd == fd)
        log_fd = moved;
    if (extra_fd == fd)
        __atomic_store_n(&extra_fd, moved, __ATOMIC_RELAXED);
    if (spare_fd == fd)
        __atomic_store_n(&spare_fd, moved, __ATOMIC_RELAXED);
    for (int i = 0; i < nowned; i++)
        if (*owned[i] == fd)
            __atomic_store_n(owned[i], moved, __ATOMIC_RELAXED);
}

int fl_events_own(int *fd)
{
    int i = 0;
    while (i < nowned && owned[i] != fd)
        i++;
    if (i == OWNED_MAX || *fd < 0)
        return -1;
    int high = dup_high(*fd);
    if (high >= 0) {
        fl_real_close(*fd);
        *fd = high;
    }
    owned[i] = fd;
    if (i == nowned)
        __atomic_store_n(&nowned, i + 1, __ATOMIC_RELEASE);
    return 0;
}

void fl_events_disown_all(void)
{
    __atomic_store_n(&nowned, 0, __ATOMIC_RELEASE);
}

void fl_events_drop_fd(int fd)
{
    if (fd == extra_fd)
        extra_fd = -1;
    if (fd >= 0 && fd == spare_fd)
        __atomic_store_n(&spare_fd, -1, __ATOMIC_RELAXED);
}


/* Expand %p to the pid and %% to %; false when the result does not fit. */
static bool expand_path(const char *spec, char *out, size_t cap)
{
    size_t n = 0;
    for (const char *s = spec; *s; s++) {
        char num[21];
        const char *add = s;
        size_t len = 1;
        if (s[0] == '%' && (s[1] == 'p' || s[1] == '%')) {
            if (*++s == 'p') {
                len = fl_fmt_u64(num, (uint64_t)getpid());
                add = num;
            }
        }
        if (n + len >= cap)
            return false;
        memcpy(out + n, add, len);
        n += len;
    }
    out[n] = '\0';
    return true;
}

/* Open the log as log_spec says; on failure, say why in why[cap] and return -1. */
static int open_log(char *why, size_t cap)
{
    char reason[256];

    log_regular = false;
    if (strcmp(log_spec, "stderr") == 0) {
        log_fd = err_fd;   /* -1 with no stderr at start: no log, and nothing said */
        snprintf(log_path, sizeof log_path, "stderr");
        return 0;
    }
    if (!expand_path(log_spec, log_path, sizeof log_path)) {
        snprintf(why, cap, "%.200s...: event log path too long", log_spec);
        return -1;
    }
    int fd = fl_open_log(log_path, &log_regular, reason, sizeof reason);
    if (fd >= 0) {
        log_fd = dup_high(fd);
        if (log_fd < 0)
            snprintf(reason, sizeof reason, "%s", strerror(errno));
        fl_real_close(fd);
    }
    if (fd < 0 || log_fd < 0) {
        snprintf(why, cap, "%s: cannot open event log: %s", log_path, reason);
        return -1;
    }
    return 0;
}

int fl_events_open(const char *spec, char *why, size_t cap)
{
    if (strlen(spec) >= sizeof log_spec) {
        snprintf(why, cap, "%.200s...: event log path too long", spec);
        return -1;
    }
    strcpy(log_spec, spec);
    return open_log(why, cap);
}

/* Say once, for this process and the children it forks afterwards, that the log lost lines. */
static void log_trouble(const char *what)
{
    char msg[PATH_MAX + 200];

    if (__atomic_exchange_n(&log_failed, 1, __ATOMIC_RELAXED))
        return;
    snprintf(msg, sizeof msg, "cannot write event log %s: %s (further failures not reported)",
             log_path, what);
    fl_say(msg);
}

/* Whether `n` more bytes would take the log past RLIMIT_FSIZE: such a line is left out whole
 * (a write past the limit would be cut, or fail with SIGXFSZ). */
static bool past_size_limit(size_t n)
{
    struct rlimit rl;
    struct stat st;
    char what[160];

    if (!log_regular || getrlimit(RLIMIT_FSIZE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY ||
        syscall(SYS_fstat, log_fd, &st) != 0 || (rlim_t)st.st_size + n <= rl.rlim_cur)
        return false;
    snprintf(what, sizeof what, "it reached the file size limit (RLIMIT_FSIZE, %llu bytes): "
             "lines past it are left out", (unsigned long long)rl.rlim_cur);
    log_trouble(what);
    return true;
}

/* A write of `line` to the log stopped after `w` of its bytes (the filesystem filled up, or
 * RLIMIT_FSIZE): take the fragment off again, so that every line in the log is whole and valid
 * or absent, never half a line with the next one glued to it. Reserving the space first cannot
 * work with O_APPEND (the offset is known only once written, and fallocate does not count
 * against RLIMIT_FSIZE); truncating back is exact when the file still ends with the fragment,
 * which is checked by reading the file's tail: the bytes before it must end a line and the
 * fragment must be there, byte for byte (it holds this process's pid, tid and a nanosecond
 * time, so it is nobody else's). A line another writer appended between that check and the
 * truncation goes too, whole: the log is cut at the end of a line either way. When the tail
 * is not the fragment (another writer appended after it already, or the log is write-only),
 * the fragment cannot be taken off without cutting their line; it stays, and the report said
 * once tells a short write happened. Returns whether the fragment is gone. */
static bool take_back(const char *line, size_t w)
{
    struct stat st;
    char tail[w + 1];
    off_t start;

    if (!log_regular || syscall(SYS_fstat, log_fd, &st) != 0 || (size_t)st.st_size < w)
        return false;
    start = st.st_size - (off_t)w;
    size_t want = w + (start > 0), got = 0;
    while (got < want) {
        ssize_t r = syscall(SYS_pread64, log_fd, tail + got, want - got,
                            start - (start > 0) + (off_t)got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return false;
        got += (size_t)r;
    }
    if ((start > 0 && tail[0] != '\n') || memcmp(tail + (start > 0), line, w) != 0)
        return false;
    return syscall(SYS_ftruncate, log_fd, start) == 0;
}

static void emit(const char *line, size_t n)
{
    if (log_fd < 0 || n == 0 || past_size_limit(n))
        return;
    ssize_t w;
    do
        w = shim_write(log_fd, line, n);
    while (w < 0 && errno == EINTR);
    if ((size_t)w == n)
        return;
    if (w < 0) {
        const char *why = strerrorname_np(errno);
        log_trouble(why ? why : "?");
    } else if (w > 0 && take_back(line, (size_t)w)) {
        log_trouble("short write (the filesystem is full?): the cut line was taken off");
    } else {
        log_trouble("short write (the filesystem is full?)");
    }
}

static void stamp(struct fl_jbuf *b, const char *event)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    fl_jbuf_str(b, "event", event);
    fl_jbuf_time(b, "t", ts.tv_sec, ts.tv_nsec);
    fl_jbuf_i64(b, "pid", getpid());
    fl_jbuf_i64(b, "tid", gettid());
}

static void start_line(uint64_t seed, const char *config, size_t nrules, const char *parent)
{
    char buf[2 * PATH_MAX], exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    exe[n > 0 ? n : 0] = '\0';
    struct fl_jbuf b;
    int saved = errno;
    fl_jbuf_init(&b, buf, sizeof buf);
    stamp(&b, "start");
    if (parent)
        fl_jbuf_str(&b, "parent", parent);
    fl_jbuf_str(&b, "program", exe);
    fl_jbuf_u64(&b, "seed", seed);
    fl_jbuf_str(&b, "config", config);
    fl_jbuf_u64(&b, "rules", nrules);
    fl_jbuf_str(&b, "version", FL_VERSION);
    emit(buf, fl_jbuf_end(&b));
    errno = saved;
}

void fl_events_start(uint64_t seed, const char *config, size_t nrules, const char *parent)
{
    start_line(seed, config, nrules, parent);
}

void fl_events_atfork_child(uint64_t seed, const char *config, size_t nrules)
{
    if (log_fd < 0)
        return;
    if (strstr(log_spec, "%p")) {
        char why[PATH_MAX + 100];
        fl_real_close(log_fd);
        log_fd = -1;
        if (open_log(why, sizeof why) != 0)
            fl_say(why); /* the child runs on; its faults go unrecorded, said once */
    }
    char parent[21];
    parent[fl_fmt_u64(parent, (uint64_t)getppid())] = '\0';
    start_line(seed, config, nrules, parent);
}

static bool logs_size(enum fl_call_id call)
{
    return fl_calls[call].classes & (FL_CLASS_READ | FL_CLASS_WRITE | FL_CLASS_MEM);
}

void fl_events_fault(const struct fl_call_ctx *c, long done)
{
    if (log_fd < 0)
        return;
    char buf[PATH_MAX + 1024];
    struct fl_jbuf b;
    const struct fl_verdict *v = &c->v;
    int saved = errno;
    fl_jbuf_init(&b, buf, sizeof buf);
    stamp(&b, "fault");
    fl_jbuf_str(&b, "rule", v->rule_name);
    fl_jbuf_str(&b, "call", fl_calls[c->m.call].name);
    fl_jbuf_str(&b, "symbol", fl_syms[c->sym].name);
    if (c->m.fd >= 0)
        fl_jbuf_i64(&b, "fd", c->m.fd);
    char peer[160];
    if (c->m.path)
        fl_jbuf_str(&b, "path", c->m.path);
    else if (c->m.peer && fl_fmt_peer(c->m.peer, peer, sizeof peer))
        fl_jbuf_str(&b, "peer", peer);
    if (c->host)
        fl_jbuf_str(&b, "host", c->host);
    fl_jbuf_str(&b, "action", fl_action_name(v->action));
    if (logs_size(c->m.call))
        fl_jbuf_u64(&b, "asked", c->m.size);
    if (c->unfinished)
        fl_jbuf_null(&b, "done"); /* the thread left during the delay: the call never ran */
    else
        fl_jbuf_i64(&b, "done", done);
    if (v->action == FL_ACT_ERROR && !c->interrupted)
        fl_jbuf_str(&b, "errno", fl_error_name(v->error));
    else if (c->err)
        fl_jbuf_str(&b, "errno", fl_error_name(c->err));
    else
        fl_jbuf_null(&b, "errno");
    fl_jbuf_u64(&b, "delay_ns", v->delay_ns);
    if (c->interrupted)
        fl_jbuf_bool(&b, "interrupted", true); /* a signal handler ended the delay */
    if (c->unfinished)
        fl_jbuf_bool(&b, "unfinished", true);
    if (v->dry_run)
        fl_jbuf_bool(&b, "dry_run", true);
    emit(buf, fl_jbuf_end(&b));
    errno = saved;
}

static void summary_row(const struct fl_rule *r, void *arg)
{
    char line[512], acts[256] = "";
    size_t n = 0;
    for (int a = 0; a < FL_ACT_COUNT; a++)
        if (r->by_action[a] && n < sizeof acts)
            n += (size_t)snprintf(acts + n, sizeof acts - n, "%s%s=%llu", n ? " " : "",
                                  fl_action_name(a), (unsigned long long)r->by_action[a]);
    int len = snprintf(line, sizeof line, "  %-24s %-8s %10llu %10llu  %s\n", r->spec->name,
                       fl_rule_state(r), (unsigned long long)r->matched,
                       (unsigned long long)r->injected, n ? acts : "-");
    size_t n_line = len <= 0 ? 0 : (size_t)len < sizeof line ? (size_t)len : sizeof line - 1;
    write_all(*(int *)arg, line, n_line);
}

void fl_events_summary(void)
{
    char head[256];
    struct fl_ruleset *rs = fl_rules_current();
    int n = snprintf(head, sizeof head,
                     "faultline: summary for pid %d (seed %llu)\n  %-24s %-8s %10s %10s  %s\n",
                     (int)getpid(), rs ? (unsigned long long)rs->seed : 0ULL, "rule", "state",
                     "matched", "injected", "by action");
    int fd = say_fd();
    if (fd < 0)
        return;   /* no stderr: no summary */
    write_all(fd, head, (size_t)n);
    fl_rules_each(summary_row, &fd);
    fl_hint_summary(fd);
}

void fl_events_power_loss(const char *why)
{
    char buf[1400];
    struct fl_jbuf b;
    int saved = errno;
    fl_jbuf_init(&b, buf, sizeof buf);
    stamp(&b, "power_loss");
    fl_jbuf_str(&b, "why", why);
    emit(buf, fl_jbuf_end(&b));
    errno = saved;
}

void fl_events_control(const char *command, bool failed)
{
    char buf[1400];
    struct fl_jbuf b;
    int saved = errno;
    fl_jbuf_init(&b, buf, sizeof buf);
    stamp(&b, "control");
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "%s", command);
    cmd[strcspn(cmd, "\r\n")] = '\0';
    fl_jbuf_str(&b, "command", cmd);
    fl_jbuf_bool(&b, "ok", !failed);
    emit(buf, fl_jbuf_end(&b));
    errno = saved;
}
