/* The event log, the summary and diagnostics. Every line goes out with one write(2) on an
 * O_APPEND fd, so lines from threads and forked children never interleave. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "events.h"
#include "real.h"

static int err_fd = 2;            /* the kept copy of stderr */
static int log_fd = -1;           /* the event log, or -1 */
static char log_spec[PATH_MAX];   /* the log as configured, %p unexpanded */
static char log_path[PATH_MAX];   /* the log as opened */
static int log_failed;            /* a write failed and was reported */

static void write_all(int fd, const char *s, size_t n)
{
    while (n > 0) {
        ssize_t w = fl_real_write(fd, s, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return;
        s += w;
        n -= (size_t)w;
    }
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
    int saved = errno;
    write_all(err_fd, line, n);
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
    int fd = dup_high(2);
    if (fd >= 0)
        err_fd = fd;
}

static int extra_fd = -1; /* another fd of the shim's: the control socket */

bool fl_events_owns_fd(int fd)
{
    return fd >= 3 && (fd == err_fd || fd == log_fd || fd == extra_fd);
}

int fl_events_own_fds(int out[FL_OWN_FDS])
{
    int n = 0, all[] = {err_fd, log_fd, extra_fd};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
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
}

void fl_events_drop_fd(int fd)
{
    if (fd == extra_fd)
        extra_fd = -1;
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
    if (strcmp(log_spec, "stderr") == 0) {
        log_fd = err_fd;
        snprintf(log_path, sizeof log_path, "stderr");
        return 0;
    }
    if (!expand_path(log_spec, log_path, sizeof log_path)) {
        snprintf(why, cap, "%.200s...: event log path too long", log_spec);
        return -1;
    }
    int fd = fl_real_open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd >= 0) {
        log_fd = dup_high(fd);
        fl_real_close(fd);
    }
    if (fd < 0 || log_fd < 0) {
        snprintf(why, cap, "%s: cannot open event log: %s", log_path,
                 fd < 0 ? fl_log_open_error(log_path, errno) : strerror(errno));
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

static void emit(const char *line, size_t n)
{
    if (log_fd < 0 || n == 0)
        return;
    ssize_t w;
    do
        w = fl_real_write(log_fd, line, n);
    while (w < 0 && errno == EINTR);
    if ((size_t)w == n || __atomic_exchange_n(&log_failed, 1, __ATOMIC_RELAXED))
        return;
    char msg[PATH_MAX + 100];
    const char *why = w < 0 ? strerrorname_np(errno) : "short write";
    snprintf(msg, sizeof msg, "cannot write event log %s: %s (further failures not reported)",
             log_path, why ? why : "?");
    fl_say(msg);
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
    fl_jbuf_i64(&b, "done", done);
    if (v->action == FL_ACT_ERROR)
        fl_jbuf_str(&b, "errno", fl_error_name(v->error));
    else
        fl_jbuf_null(&b, "errno");
    fl_jbuf_u64(&b, "delay_ns", v->delay_ns);
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
                       r->armed ? "armed" : "dormant", (unsigned long long)r->matched,
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
    write_all(err_fd, head, (size_t)n);
    fl_rules_each(summary_row, &err_fd);
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
