/* The control commands and the socket that serves them. The serving thread marks itself as
 * inside the shim for good: nothing it does ever meets a rule. */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "control.h"
#include "ctlpath.h"
#include "epoch.h"
#include "events.h"
#include "real.h"
#include "rules.h"

/* ---- replies --------------------------------------------------------------------------------- */

__attribute__((format(printf, 2, 3)))
static void reply(struct fl_reply *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fl_text_vaddf(&r->text, fmt, ap);
    va_end(ap);
}

__attribute__((format(printf, 2, 3)))
static void reply_error(struct fl_reply *r, const char *fmt, ...)
{
    char buf[1100];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    reply(r, "error: %s\n", buf);
    r->failed = true;
}

/* ---- the commands ---------------------------------------------------------------------------- */

static void list_row(const struct fl_rule *rule, void *arg)
{
    reply(arg, "%s\t%s\t%llu\t%llu\t%s\n", rule->spec->name, fl_rule_state(rule),
          (unsigned long long)rule->matched, (unsigned long long)rule->injected,
          fl_action_name(rule->spec->action));
}

struct stats_ctx {
    struct fl_reply *out;
    bool first;
};

static void stats_rule(const struct fl_rule *rule, void *arg)
{
    struct stats_ctx *s = arg;
    char buf[2048];
    struct fl_jbuf b;
    fl_jbuf_init(&b, buf, sizeof buf);
    fl_jbuf_str(&b, "name", rule->spec->name);
    fl_jbuf_str(&b, "state", fl_rule_state(rule));
    fl_jbuf_u64(&b, "matched", rule->matched);
    fl_jbuf_u64(&b, "injected", rule->injected);
    size_t n = fl_jbuf_end(&b) - 2; /* without "}\n": by_action follows */
    reply(s->out, "%s%.*s,\"by_action\":{", s->first ? "" : ",", (int)n, buf);
    bool any = false;
    for (int a = 0; a < FL_ACT_COUNT; a++)
        if (rule->by_action[a]) {
            reply(s->out, "%s\"%s\":%llu", any ? "," : "", fl_action_name(a),
                  (unsigned long long)rule->by_action[a]);
            any = true;
        }
    reply(s->out, "}}");
    s->first = false;
}

static void stats(struct fl_reply *out)
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    exe[n > 0 ? n : 0] = '\0';
    char head[PATH_MAX + 256];
    struct fl_jbuf b;
    struct fl_ruleset *rs = fl_rules_current();
    fl_jbuf_init(&b, head, sizeof head);
    fl_jbuf_i64(&b, "pid", getpid());
    fl_jbuf_str(&b, "program", exe);
    fl_jbuf_bool(&b, "paused", fl_rules_paused());
    fl_jbuf_u64(&b, "seed", rs ? rs->seed : 0);
    size_t len = fl_jbuf_end(&b) - 2;
    reply(out, "%.*s,\"rules\":[", (int)len, head);
    struct stats_ctx s = {out, true};
    fl_rules_each(stats_rule, &s);
    reply(out, "]}\n");
}

static void help(struct fl_reply *out)
{
    reply(out, "list | stats | enable NAME | disable NAME | set NAME KEY=VALUE | reload | pause | "
               "resume | expire DURATION|off | help\n");
}

/* The dead-man switch: CLOCK_MONOTONIC ns when everything pauses, 0 for none. */
static uint64_t expire_at;

static uint64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void expire(const char *arg, struct fl_reply *out)
{
    uint64_t ns;
    if (arg && strcmp(arg, "off") == 0) {
        __atomic_store_n(&expire_at, 0, __ATOMIC_RELAXED);
        return;
    }
    if (!arg || fl_parse_duration(arg, &ns) != 0 || ns == 0) {
        reply_error(out, "expire takes a duration such as \"10m\", or \"off\"");
        return;
    }
    __atomic_store_n(&expire_at, mono_ns() + ns, __ATOMIC_RELAXED);
    reply(out, "everything pauses in %s unless renewed\n", arg);
}

static void set(const char *name, const char *assignment, struct fl_reply *out)
{
    struct fl_diag diag = {{0}};
    const char *eq = assignment ? strchr(assignment, '=') : NULL;
    if (!name || !eq || eq == assignment) {
        reply_error(out, "usage: set NAME KEY=VALUE");
        return;
    }
    char key[64];
    snprintf(key, sizeof key, "%.*s", (int)(eq - assignment), assignment);
    if (fl_rules_set(name, key, eq + 1, &diag) != 0)
        reply_error(out, "%s", diag.text);
}

void fl_control_run(const char *line, struct fl_reply *out)
{
    char buf[1024], *save = NULL;
    snprintf(buf, sizeof buf, "%s", line);
    buf[strcspn(buf, "\r\n")] = '\0';
    char *verb = strtok_r(buf, " \t", &save);
    char *arg = strtok_r(NULL, " \t", &save);
    char *rest = arg ? save + strspn(save, " \t") : NULL; /* set's KEY=VALUE may hold spaces */
    struct fl_diag diag = {{0}};
    if (!verb)
        reply_error(out, "empty command: try help");
    else if (!fl_rules_current())
        reply_error(out, "no rules loaded");
    else if (strcmp(verb, "list") == 0)
        fl_rules_each(list_row, out);
    else if (strcmp(verb, "stats") == 0)
        stats(out);
    else if (strcmp(verb, "enable") == 0 || strcmp(verb, "disable") == 0) {
        if (!arg || fl_rules_enable(arg, verb[0] == 'e') != 0)
            reply_error(out, arg ? "no rule '%s'" : "usage: %s NAME", arg ? arg : verb);
    } else if (strcmp(verb, "set") == 0)
        set(arg, rest && *rest ? rest : NULL, out);
    else if (strcmp(verb, "reload") == 0) {
        if (fl_reload(&diag) != 0)
            reply_error(out, "reload: %s (the old rules stay)", diag.text);
    } else if (strcmp(verb, "pause") == 0 || strcmp(verb, "resume") == 0)
        fl_rules_pause(verb[0] == 'p');
    else if (strcmp(verb, "expire") == 0)
        expire(arg, out);
    else if (strcmp(verb, "help") == 0)
        help(out);
    else
        reply_error(out, "unknown command '%s': try help", verb);
    if (!out->failed)
        reply(out, "ok\n");
    if (verb && strcmp(verb, "list") && strcmp(verb, "stats") && strcmp(verb, "help"))
        fl_events_control(line, out->failed);
}

/* ---- the socket ------------------------------------------------------------------------------ */

static int listen_fd = -1;            /* >= 0 while serving (fl_events_kept_fd: where it is now) */
static pid_t owner;                   /* the process the socket belongs to */
static char sock_path[sizeof(((struct sockaddr_un *)0)->sun_path)];

/* Whether the peer on fd may steer this process: the same user, or root. */
static bool peer_allowed(int fd)
{
    struct ucred cred;
    socklen_t len = sizeof cred;
    return getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0 &&
           (cred.uid == getuid() || cred.uid == 0);
}

/* Read one request line (5 s at most), run it, send the reply. */
static void serve_one(int fd)
{
    char line[1024];
    size_t n = 0;
    struct fl_reply out = {0};
    while (n < sizeof line - 1 && !memchr(line, '\n', n)) {
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, 5000) <= 0)
            return;
        ssize_t r = read(fd, line + n, sizeof line - 1 - n);
        if (r <= 0)
            break;
        n += (size_t)r;
    }
    line[n] = '\0';
    if (!peer_allowed(fd)) { /* told after its request is read: a reset would hide the reply */
        static const char no[] = "error: permission denied: not this process's user\n";
        fl_real_write(fd, no, sizeof no - 1);
        return;
    }
    fl_control_run(line, &out);
    for (size_t done = 0; out.text.p && done < out.text.len;) {
        ssize_t w = fl_real_write(fd, out.text.p + done, out.text.len - done);
        if (w <= 0)
            break;
        done += (size_t)w;
    }
    free(out.text.p);
}

/* Pause everything once the dead-man switch runs out. */
static void check_expiry(void)
{
    uint64_t at = __atomic_load_n(&expire_at, __ATOMIC_RELAXED);
    if (at && mono_ns() >= at) {
        __atomic_store_n(&expire_at, 0, __ATOMIC_RELAXED);
        fl_rules_pause(true);
        fl_events_control("expire: no renewal, everything paused", false);
    }
}

static void *serve(void *arg)
{
    (void)arg;
    fl_guard = 1; /* for good: nothing this thread does meets a rule */
    for (;;) {
        uint64_t at = __atomic_load_n(&expire_at, __ATOMIC_RELAXED), now = mono_ns();
        int timeout = !at ? 1000 : at <= now ? 0 : (int)((at - now) / 1000000 + 1);
        struct pollfd p = {fl_events_kept_fd(), POLLIN, 0}; /* it may have moved: dup2 */
        int r = poll(&p, 1, timeout > 1000 ? 1000 : timeout);
        check_expiry();
        fl_epoch_reclaim(); /* what calls were still reading when it was replaced */
        if (r <= 0)
            continue;
        int fd = accept4(p.fd, NULL, NULL, SOCK_CLOEXEC);
        if (fd < 0)
            continue;
        serve_one(fd);
        fl_real_close(fd);
    }
    return NULL;
}

/* The socket directory: created 0700, or an existing one that is ours and private. */
static int make_dir(const char *dir)
{
    struct stat st;
    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        return -1;
    if (lstat(dir, &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != getuid() ||
        (st.st_mode & 077)) {
        errno = EPERM;
        return -1;
    }
    return 0;
}

int fl_control_start(void)
{
    char dir[256], msg[600];
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    if (!fl_ctl_dir(dir, sizeof dir) || make_dir(dir) != 0 ||
        !fl_ctl_socket(getpid(), sock_path, sizeof sock_path)) {
        snprintf(msg, sizeof msg, "%s: no control socket: %s (it must be a directory of this "
                 "user's, mode 0700)", dir, strerror(errno));
        fl_say(msg);
        return -1;
    }
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    snprintf(addr.sun_path, sizeof addr.sun_path, "%s", sock_path);
    unlink(sock_path); /* a socket left by a dead process of the same pid */
    if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof addr) != 0 ||
        chmod(sock_path, 0600) != 0 || listen(fd, 16) != 0) {
        snprintf(msg, sizeof msg, "%s: no control socket: %s", sock_path, strerror(errno));
        fl_say(msg);
        if (fd >= 0)
            fl_real_close(fd);
        return -1;
    }
    listen_fd = fl_events_keep_fd(fd);
    owner = getpid();
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old); /* signals stay the program's threads' */
    pthread_t t;
    int rc = pthread_create(&t, NULL, serve, NULL);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0) {
        fl_say("no control thread");
        return -1;
    }
    pthread_detach(t);
    return 0;
}

void fl_control_atfork_child(void)
{
    if (listen_fd < 0)
        return;
    int fd = fl_events_kept_fd();
    fl_events_drop_fd(fd);
    fl_real_close(fd);
    listen_fd = -1;
    fl_control_start();
}

void fl_control_stop(void)
{
    if (listen_fd >= 0 && owner == getpid())
        unlink(sock_path);
}
