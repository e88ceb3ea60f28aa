/* The control commands and the socket that serves them. The serving thread marks itself as
 * inside the shim for good: nothing it does ever meets a rule. */
#include <errno.h>
#include <fcntl.h>
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
#include <sys/syscall.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "control.h"
#include "ctlpath.h"
#include "durable.h"
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
               "resume | expire DURATION|off | power-loss | help\n");
}

/* power-loss: the reply says so; the caller declares it once the reply is delivered. */
static void power_loss(struct fl_reply *out)
{
    if (!fl_durable_on) {
        reply_error(out, "power-loss needs durable tracking: the config's durable key, under "
                         "faultline run");
        return;
    }
    reply(out, "power loss: every process of the run is killed now, and faultline run rolls "
               "the tracked files back\n");
    out->power_loss = true;
}

void fl_control_power_loss(void)
{
    char why[64];
    snprintf(why, sizeof why, "faultline ctl power-loss (pid %d)", (int)getpid());
    fl_durable_power_loss(why);
    raise(SIGKILL); /* not reached: tracking is on */
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
    size_t klen = (size_t)(eq - assignment);
    while (klen > 0 && (assignment[klen - 1] == ' ' || assignment[klen - 1] == '\t'))
        klen--;
    snprintf(key, sizeof key, "%.*s", (int)klen, assignment);
    const char *value = eq + 1 + strspn(eq + 1, " \t");
    if (fl_rules_set(name, key, value, &diag) != 0)
        reply_error(out, "%s", diag.text);
    else if (diag.text[0])
        reply(out, "%s: %s\n", name, diag.text); /* what was understood */
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
    else if (strcmp(verb, "power-loss") == 0)
        power_loss(out);
    else if (strcmp(verb, "help") == 0)
        help(out);
    else
        reply_error(out, "unknown command '%s': try help", verb);
    if (!out->failed)
        reply(out, "ok\n");
    if (verb && strcmp(verb, "list") && strcmp(verb, "stats") && strcmp(verb, "help"))
        fl_events_control(line, out->failed);
}

/* ---- the socket ------------------------------------------------------------------------------
 *
 * One thread serves every client from one poll loop: the listening socket and up to MAX_CLIENTS
 * connections, each with its own request buffer and deadline, so that no client holds the
 * others or the dead-man switch. Replies are written without blocking; what does not fit in
 * the socket's buffer waits for POLLOUT. A reserve fd (/dev/null) is freed to accept a client
 * when the process has no fd left, to tell it so. */

#define MAX_CLIENTS 16
#define REQUEST_MS 5000      /* a client has 5 s to send its request line... */
#define REPLY_MS 5000        /* ...and 5 s to take its reply */
#define BACKOFF_MS 200       /* accept failed with no remedy: leave the socket alone this long */

static int listen_fd = -1;            /* >= 0 while serving (fl_events_kept_fd: where it is now) */
static pid_t owner;                   /* the process the socket belongs to */
static char sock_path[sizeof(((struct sockaddr_un *)0)->sun_path)];

struct client {
    int fd;                   /* -1: a free slot */
    uint64_t deadline;        /* mono_ns when it is dropped */
    size_t len;               /* bytes of the request in line */
    char line[1024];
    char *out;                /* the reply being written (malloc'd), or NULL while reading */
    size_t out_len, out_done;
};

static struct client clients[MAX_CLIENTS];
static uint64_t accept_paused_until;  /* mono_ns: the listening socket is not polled before */

static const char no_fds[] = "error: the process has no free file descriptors\n";

/* Whether the peer on fd may steer this process: the same user, or root. */
static bool peer_allowed(int fd)
{
    struct ucred cred;
    socklen_t len = sizeof cred;
    return getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0 &&
           (cred.uid == getuid() || cred.uid == 0);
}

static void drop_client(struct client *c)
{
    fl_real_close(c->fd);
    free(c->out);
    *c = (struct client){.fd = -1};
}

/* Deliver the whole reply of a power-loss command (a second at most: the client is waiting for
 * it), then declare the power loss. */
static void power_loss_now(struct client *c)
{
    uint64_t deadline = mono_ns() + 1000000000ull;
    while (c->out_done < c->out_len && mono_ns() < deadline) {
        ssize_t w = send(c->fd, c->out + c->out_done, c->out_len - c->out_done,
                         MSG_NOSIGNAL | MSG_DONTWAIT);
        if (w > 0)
            c->out_done += (size_t)w;
        else if (w < 0 && errno == EAGAIN)
            poll(&(struct pollfd){c->fd, POLLOUT, 0}, 1, 100);
        else if (!(w < 0 && errno == EINTR))
            break;
    }
    fl_control_power_loss();
}

/* Write what the socket takes of the reply; the client is done (dropped) once all is sent. */
static void send_reply(struct client *c)
{
    while (c->out_done < c->out_len) {
        ssize_t w = send(c->fd, c->out + c->out_done, c->out_len - c->out_done,
                         MSG_NOSIGNAL | MSG_DONTWAIT);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && errno == EAGAIN)
            return;   /* the rest on POLLOUT */
        if (w <= 0)
            break;
        c->out_done += (size_t)w;
    }
    drop_client(c);
}

/* The request line is whole (or its buffer full): run it, start the reply. */
static void answer(struct client *c)
{
    struct fl_reply out = {0};
    c->line[c->len] = '\0';
    if (!peer_allowed(c->fd)) /* told after its request is read: a reset would hide the reply */
        reply_error(&out, "permission denied: not this process's user");
    else
        fl_control_run(c->line, &out);
    if (!out.text.p) {
        drop_client(c);
        return;
    }
    c->out = out.text.p;
    c->out_len = out.text.len;
    c->out_done = 0;
    c->deadline = mono_ns() + REPLY_MS * 1000000ull;
    if (out.power_loss)
        power_loss_now(c);
    send_reply(c);
}

/* Read what the client sent; answer once a line is whole. */
static void take_request(struct client *c)
{
    ssize_t r;
    do
        r = recv(c->fd, c->line + c->len, sizeof c->line - 1 - c->len, MSG_DONTWAIT);
    while (r < 0 && errno == EINTR);
    if (r < 0 && errno == EAGAIN)
        return;
    if (r <= 0) {   /* gone, or closed its side without a whole line: run what came */
        if (r == 0 && c->len > 0)
            answer(c);
        else
            drop_client(c);
        return;
    }
    c->len += (size_t)r;
    if (memchr(c->line, '\n', c->len) || c->len == sizeof c->line - 1)
        answer(c);
}

static struct client *free_slot(void)
{
    for (int i = 0; i < MAX_CLIENTS; i++)
        if (clients[i].fd < 0)
            return &clients[i];
    return NULL;
}

static int accept_one(int lfd)
{
    return (int)syscall(SYS_accept4, lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
}

/* Take the reserve fd back (after it was spent, or after fork). */
static void take_reserve(void)
{
    if (fl_events_spare_fd() >= 0)
        return;
    int fd = fl_real_open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (fd >= 0)
        fl_events_keep_spare(fd);
}

static void free_reserve(void)
{
    int fd = fl_events_spare_fd();
    if (fd >= 0) {
        fl_events_drop_fd(fd);
        fl_real_close(fd);
    }
}

/* accept failed for want of fds: free the reserve to accept one client and tell it, then take
 * the reserve back. Returns whether a client was told. */
static bool refuse_for_fds(int lfd)
{
    if (fl_events_spare_fd() < 0)
        return false;
    free_reserve();
    int fd = accept_one(lfd);
    if (fd >= 0) {
        send(fd, no_fds, sizeof no_fds - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
        fl_real_close(fd);
    }
    take_reserve();
    return fd >= 0;
}

/* Accept one client into a free slot (there is one). */
static void accept_client(int lfd)
{
    int fd = accept_one(lfd);
    if (fd < 0) {
        int err = errno;
        if (err == EAGAIN || err == EINTR || err == ECONNABORTED)
            return;
        if ((err == EMFILE || err == ENFILE) && refuse_for_fds(lfd))
            return;
        accept_paused_until = mono_ns() + BACKOFF_MS * 1000000ull; /* no spin */
        return;
    }
    struct client *c = free_slot();
    *c = (struct client){.fd = fd, .deadline = mono_ns() + REQUEST_MS * 1000000ull};
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

/* How long poll may sleep: until the next deadline of any kind, a second at most. */
static int poll_timeout(uint64_t now, bool listening)
{
    uint64_t next = now + 1000000000ull, at = __atomic_load_n(&expire_at, __ATOMIC_RELAXED);
    if (at && at < next)
        next = at;
    if (!listening && accept_paused_until && accept_paused_until < next)
        next = accept_paused_until;
    for (int i = 0; i < MAX_CLIENTS; i++)
        if (clients[i].fd >= 0 && clients[i].deadline < next)
            next = clients[i].deadline;
    return next <= now ? 0 : (int)((next - now + 999999) / 1000000);
}

static void *serve(void *arg)
{
    (void)arg;
    fl_guard = 1; /* for good: nothing this thread does meets a rule */
    for (;;) {
        struct pollfd p[1 + MAX_CLIENTS];
        struct client *who[1 + MAX_CLIENTS];
        uint64_t now = mono_ns();
        int n = 0, lfd = fl_events_kept_fd(); /* it may have moved: dup2 */
        bool listening = now >= accept_paused_until && free_slot() != NULL;
        if (listening)
            p[n++] = (struct pollfd){lfd, POLLIN, 0};
        for (int i = 0; i < MAX_CLIENTS; i++)
            if (clients[i].fd >= 0) {
                who[n] = &clients[i];
                p[n++] = (struct pollfd){clients[i].fd, clients[i].out ? POLLOUT : POLLIN, 0};
            }
        int r = poll(p, (nfds_t)n, poll_timeout(now, listening));
        check_expiry();
        fl_epoch_reclaim(); /* what calls were still reading when it was replaced */
        if (r < 0)
            continue;
        now = mono_ns();
        for (int i = listening; i < n; i++) {
            struct client *c = who[i];
            if (p[i].revents & (POLLIN | POLLHUP | POLLERR) && !c->out)
                take_request(c);
            else if (p[i].revents && c->out)
                send_reply(c);
            else if (now >= c->deadline)
                drop_client(c);
        }
        if (listening && p[0].revents)
            accept_client(lfd);
        if (fl_events_spare_fd() < 0)
            take_reserve();
    }
    return NULL;
}

/* The socket directory: created 0700, or an existing one that is ours and private. On error,
 * why[cap] says what is wrong and the fix. */
static int make_dir(const char *dir, char *why, size_t cap)
{
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        int err = errno;
        if (fl_ctl_dir_check(dir, getuid(), why, cap) != FL_CTL_DIR_UNSAFE)
            snprintf(why, cap, "%s cannot be made: %s", dir, strerror(err));
        return -1;
    }
    return fl_ctl_dir_check(dir, getuid(), why, cap) == FL_CTL_DIR_OK ? 0 : -1;
}

int fl_control_start(void)
{
    char dir[256], msg[900], why[800];
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    if (!fl_ctl_dir(dir, sizeof dir) || !fl_ctl_socket(getpid(), sock_path, sizeof sock_path)) {
        fl_say("no control socket: its path is too long (set XDG_RUNTIME_DIR to a shorter one)");
        return -1;
    }
    if (make_dir(dir, why, sizeof why) != 0) {
        snprintf(msg, sizeof msg, "no control socket: %s", why);
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
    for (int i = 0; i < MAX_CLIENTS; i++)
        clients[i] = (struct client){.fd = -1};
    accept_paused_until = 0;
    listen_fd = fl_events_keep_fd(fd);
    take_reserve();
    owner = getpid();
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old); /* signals stay the program's threads' */
    pthread_t t;
    int rc = pthread_create(&t, NULL, serve, NULL);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0) {
        fl_say("no control socket: no control thread");
        unlink(sock_path);
        return -1;
    }
    pthread_detach(t);
    return 0;
}

void fl_control_atfork_child(void)
{
    if (listen_fd < 0)
        return;
    for (int i = 0; i < MAX_CLIENTS; i++) /* the parent's clients: the parent answers them */
        if (clients[i].fd >= 0)
            drop_client(&clients[i]);
    int fd = fl_events_kept_fd();
    fl_events_drop_fd(fd);
    fl_real_close(fd);
    free_reserve();
    listen_fd = -1;
    fl_control_start();
}

void fl_control_stop(void)
{
    if (listen_fd >= 0 && owner == getpid())
        unlink(sock_path);
}
