/* The slow path: decide, sleep, fail, record. */
#include <errno.h>
#include <stddef.h>
#include <limits.h>
#include <string.h>
#include <signal.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "action.h"
#include "durable.h"
#include "events.h"
#include "fdtable.h"
#include "mix.h"
#include "real.h"

void fl_ctx_init(struct fl_call_ctx *c, enum fl_call_id call, enum fl_sym_id sym, int fd,
                 const char *path, size_t size, FILE *stream)
{
    memset(c, 0, offsetof(struct fl_call_ctx, pathbuf));
    c->m.call = call;
    c->m.fd = fd;
    c->m.path = path;
    c->m.size = size;
    c->m.nonblock = -1;
    c->sym = sym;
    c->dirfd = AT_FDCWD;
    c->dirfd2 = AT_FDCWD;
    c->stream = stream;
    c->offset = -1;
    c->timeout_ns = -1;
}

/* ---- delays ------------------------------------------------------------------------------- */

/* The real functions a delay sleeps in (the wrappers' own pointers, resolved at start). */
extern ssize_t (*fl_real_read)(int fd, void *buf, size_t n);
extern int (*fl_real_ppoll)(struct pollfd *fds, nfds_t n, const struct timespec *ts,
                            const sigset_t *mask);

static uint64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static struct timespec timespec_of(uint64_t ns)
{
    return (struct timespec){.tv_sec = (time_t)(ns / 1000000000u),
                             .tv_nsec = (long)(ns % 1000000000u)};
}

/* How the real call would end if a signal handler ran while it blocked (signal(7)). */
enum delay_kind {
    DELAY_COMPLETES,       /* not interruptible (regular files, syncs, memory, the resolver) */
    DELAY_RESTARTABLE,     /* EINTR, or restarted when the handler has SA_RESTART */
    DELAY_NEVER_RESTARTED, /* EINTR whatever the handler's flags */
};

/* The send (`out`) or receive timeout set on socket fd (SO_SNDTIMEO, SO_RCVTIMEO), in ns; 0 for
 * none. Its calls are then never restarted, and fail with EAGAIN when it runs out. */
static uint64_t socket_timeout(int fd, bool out)
{
    struct timeval tv = {0, 0};
    socklen_t len = sizeof tv;
    if (getsockopt(fd, SOL_SOCKET, out ? SO_SNDTIMEO : SO_RCVTIMEO, &tv, &len) != 0 ||
        tv.tv_sec < 0 || tv.tv_usec < 0)
        return 0;
    return (uint64_t)tv.tv_sec * 1000000000u + (uint64_t)tv.tv_usec * 1000u;
}

static enum delay_kind delay_kind_of(struct fl_call_ctx *c)
{
    unsigned cls = fl_calls[c->m.call].classes;
    bool io = cls & (FL_CLASS_READ | FL_CLASS_WRITE);
    if (cls & FL_CLASS_WAIT)
        return DELAY_NEVER_RESTARTED;
    if (c->m.fd < 0 || !(io || c->m.call == FL_CALL_connect || c->m.call == FL_CALL_accept))
        return DELAY_COMPLETES;
    if (c->m.kind == FL_FD_ANY)
        c->m.kind = fl_fd_kind_of(c->m.fd);
    if (c->m.kind == FL_FD_SOCKET) {
        uint64_t t = socket_timeout(c->m.fd, (cls & FL_CLASS_WRITE) || c->m.call == FL_CALL_connect);
        if (!t)
            return DELAY_RESTARTABLE;
        if (c->timeout_ns < 0) { /* the socket's timeout caps the delay: then EAGAIN */
            c->timeout_ns = t > INT64_MAX ? INT64_MAX : (int64_t)t;
            c->timeout_err = c->m.call == FL_CALL_connect ? EINPROGRESS : EAGAIN;
        }
        return DELAY_NEVER_RESTARTED;
    }
    if (c->m.kind == FL_FD_PIPE || c->m.kind == FL_FD_TTY)
        return DELAY_RESTARTABLE;
    return DELAY_COMPLETES;
}

/* Sleep to `until` (CLOCK_MONOTONIC ns) without end: signals' handlers run and the sleep goes
 * on. */
static void sleep_through(uint64_t until)
{
    struct timespec ts = timespec_of(until);
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
        ;
}

/* Sleep to `until` as the call would block; false when a signal handler ended the sleep the way
 * it would have ended the call (EINTR). Each way is a cancellation point, as the call is. */
static bool sleep_until(struct fl_call_ctx *c, enum delay_kind kind, uint64_t until)
{
    if (kind == DELAY_NEVER_RESTARTED) {
        /* ppoll on no fds, under the call's own signal mask (ppoll, pselect, epoll_pwait): any
         * handler ends it; a stop and continue (no handler) lets the kernel restart it. */
        for (uint64_t now; (now = mono_ns()) < until;) {
            struct timespec left = timespec_of(until - now);
            if (fl_real_ppoll(NULL, 0, &left, c->wait_mask) < 0) {
                if (errno == EINTR)
                    return false;
                sleep_through(until); /* a mask ppoll refused: sleep as before */
                return true;
            }
        }
        return true;
    }
    if (kind == DELAY_RESTARTABLE) {
        /* A read of a timer fd blocks as a read of a pipe does: the kernel ends it with EINTR,
         * or restarts it when the handler has SA_RESTART, exactly as it would the real call. */
        struct itimerspec at = {.it_value = timespec_of(until)};
        c->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
        if (c->timer_fd >= 0 && timerfd_settime(c->timer_fd, TFD_TIMER_ABSTIME, &at, NULL) == 0) {
            uint64_t expirations;
            ssize_t r = fl_real_read(c->timer_fd, &expirations, sizeof expirations);
            int e = errno;
            fl_real_close(c->timer_fd);
            c->timer_fd = -1;
            if (r < 0 && e == EINTR)
                return false;
            if (r == (ssize_t)sizeof expirations)
                return true;
        } else if (c->timer_fd >= 0) {
            fl_real_close(c->timer_fd);
            c->timer_fd = -1;
        }
        /* no timer fd (the process is out of fds): the delay goes on to its end */
    }
    sleep_through(until);
    return true;
}

/* The delay of a fault whose thread left during it without returning: record what was
 * injected. A pthread cleanup routine (pthread_cancel, siglongjmp out of a handler), and the
 * cleanup of `struct delay_watch` when an exception unwinds the frame. */
static void delay_unfinished(void *arg)
{
    struct fl_call_ctx *c = arg;
    if (c->logged)
        return;
    int saved = errno, outer = fl_guard;
    fl_guard = 1;
    if (c->timer_fd >= 0)
        fl_real_close(c->timer_fd);
    c->timer_fd = -1;
    c->slept_ns = mono_ns() - c->delay_start_ns;
    c->v.delay_ns = c->slept_ns;
    c->unfinished = true;
    fl_events_fault(c, 0);
    c->logged = true;
    fl_guard = outer;
    errno = saved;
}

/* One delay's watch over its frame: the cleanup buffer pthread_cancel and siglongjmp run. */
struct delay_watch {
    struct _pthread_cleanup_buffer cleanup;
    struct fl_call_ctx *c;
    bool done;
};

/* Runs when the frame of a delay is left: normally (done), or by unwinding. pthread_cancel's
 * unwinding has run the cleanup buffer first (c->unfinished); only an exception thrown by a
 * handler during the delay gets here with neither: unlink the buffer and record the fault. */
static void delay_watch_end(struct delay_watch *w)
{
    if (w->done || w->c->unfinished)
        return;
    _pthread_cleanup_pop(&w->cleanup, 0);
    delay_unfinished(w->c);
}

/* Sleep the verdict's delay, capped by the call's timeout, outside the guard. Returns the step
 * when the delay decided the call (FL_FAIL with EINTR, FL_TIMEOUT), FL_RUN otherwise. */
static enum fl_step delay(struct fl_call_ctx *c)
{
    uint64_t want = c->v.delay_ns;
    enum delay_kind kind = delay_kind_of(c);
    bool capped = c->timeout_ns >= 0 && want >= (uint64_t)c->timeout_ns;
    if (capped)
        want = (uint64_t)c->timeout_ns;
    c->timer_fd = -1;
    c->delay_start_ns = mono_ns();
    __attribute__((cleanup(delay_watch_end))) struct delay_watch w = {.c = c};
    _pthread_cleanup_push(&w.cleanup, delay_unfinished, c);
    fl_guard = 0; /* the program's handlers meet the shim as anywhere else */
    bool whole = sleep_until(c, kind, c->delay_start_ns + want);
    fl_guard = 1;
    _pthread_cleanup_pop(&w.cleanup, 0);
    w.done = true;
    c->slept_ns = mono_ns() - c->delay_start_ns;
    /* The log says how long the delay lasted: what was asked when it ran to its end (so that a
     * seeded run logs the same numbers every time), what really elapsed when a signal ended it,
     * the call's timeout when that capped it. */
    c->v.delay_ns = whole ? want : c->slept_ns;
    if (!whole) {
        c->interrupted = true;
        c->err = EINTR;
        fl_events_fault(c, -1);
        fl_stream_flag(c->stream, _IO_ERR_SEEN);
        return FL_FAIL;
    }
    if (capped && c->timeout_err) { /* a socket's own timeout: the call fails as it would */
        c->err = c->timeout_err;
        fl_events_fault(c, -1);
        fl_stream_flag(c->stream, _IO_ERR_SEEN);
        return FL_FAIL;
    }
    if (capped) {
        fl_events_fault(c, 0);
        return FL_TIMEOUT;
    }
    return FL_RUN;
}

int64_t fl_timeout_ms(int ms)
{
    return ms < 0 ? -1 : (int64_t)ms * 1000000;
}

int64_t fl_timeout_ts(const struct timespec *ts)
{
    if (!ts)
        return -1;
    if (ts->tv_sec < 0 || ts->tv_nsec < 0)
        return 0;
    return ts->tv_sec > INT64_MAX / 1000000000 - 1 ? INT64_MAX
                                                   : ts->tv_sec * 1000000000 + ts->tv_nsec;
}

int64_t fl_timeout_tv(const struct timeval *tv)
{
    if (!tv)
        return -1;
    if (tv->tv_sec < 0 || tv->tv_usec < 0)
        return 0;
    return tv->tv_sec > INT64_MAX / 1000000000 - 1 ? INT64_MAX
                                                   : tv->tv_sec * 1000000000 + tv->tv_usec * 1000;
}

int fl_timeout_ms_left(int ms, uint64_t slept)
{
    if (ms < 0)
        return ms;
    uint64_t left_ns = (uint64_t)ms * 1000000 > slept ? (uint64_t)ms * 1000000 - slept : 0;
    return (int)((left_ns + 999999) / 1000000); /* rounded up, as the kernel rounds */
}

struct timespec fl_timeout_ts_left(const struct timespec *ts, uint64_t slept)
{
    uint64_t t = (uint64_t)fl_timeout_ts(ts);
    return timespec_of(t > slept ? t - slept : 0);
}

void fl_timeout_tv_left(struct timeval *tv, uint64_t slept)
{
    if (!tv)
        return;
    uint64_t t = (uint64_t)fl_timeout_tv(tv), left = t > slept ? t - slept : 0;
    tv->tv_sec = (time_t)(left / 1000000000u);
    tv->tv_usec = (suseconds_t)(left % 1000000000u / 1000);
}

void fl_poll_none(struct pollfd *fds, nfds_t n)
{
    for (nfds_t i = 0; fds && i < n; i++)
        fds[i].revents = 0;
}

void fl_select_none(int n, fd_set *r, fd_set *w, fd_set *e)
{
    for (int fd = 0; fd < n && fd < FD_SETSIZE; fd++) {
        if (r)
            FD_CLR(fd, r);
        if (w)
            FD_CLR(fd, w);
        if (e)
            FD_CLR(fd, e);
    }
}

/* The call fails with the rule's error. */
static void fail(struct fl_call_ctx *c)
{
    c->err = c->v.error;
    fl_events_fault(c, -1);
    fl_stream_flag(c->stream, _IO_ERR_SEEN);
}
/* Whether a transfer of n bytes on this fd may legally come back short (for recvmmsg and
 * sendmmsg: whether it may pass fewer messages): not on datagram or
 * seqpacket sockets (all or nothing), not for pipe writes of at most PIPE_BUF (atomic). */
static bool may_shorten(const struct fl_call_ctx *c, size_t n)
{
    if (c->m.call == FL_CALL_recvmmsg || c->m.call == FL_CALL_sendmmsg)
        return c->msg_count > 1; /* fewer whole messages: legal on every socket */
    enum fl_fd_kind kind = c->m.kind != FL_FD_ANY ? c->m.kind : fl_fd_kind_of(c->m.fd);
    if (kind == FL_FD_SOCKET) {
        int type = 0;
        socklen_t len = sizeof type;
        return getsockopt(c->m.fd, SOL_SOCKET, SO_TYPE, &type, &len) == 0 &&
               type == SOCK_STREAM;
    }
    if (kind == FL_FD_PIPE && fl_calls[c->m.call].classes & FL_CLASS_WRITE)
        return n > PIPE_BUF;
    return true;
}

/* Fill in what the armed rules of this call look at and the wrapper could not know: the
 * absolute path, the peer, the kind of fd, whether it blocks, the time. Slow path only. */
static void describe(struct fl_call_ctx *c)
{
    struct fl_match *m = &c->m;
    unsigned needs = fl_rules_needs(m->call);
    if (m->path) /* absolute, with "." and ".." folded, as recorded paths are */
        m->path = fl_path_absolute(c->dirfd, m->path, c->pathbuf, sizeof c->pathbuf);
    else if (needs & FL_NEED_PATH && !m->path && m->fd >= 0)
        m->path = fl_fd_path(m->fd, c->pathbuf, sizeof c->pathbuf);
    if (needs & FL_NEED_PEER && !m->peer && m->fd >= 0 && fl_fd_peer(m->fd, &c->peerbuf))
        m->peer = (const struct sockaddr *)&c->peerbuf;
    if (needs & FL_NEED_KIND && m->kind == FL_FD_ANY)
        m->kind = fl_fd_kind_of(m->fd);
    m->peek = c->msg_flags & MSG_PEEK;
    if (c->msg_flags & MSG_DONTWAIT)
        m->nonblock = 1;
    if (needs & FL_NEED_SHORT)
        m->no_short = m->size <= 1 || !may_shorten(c, m->size);
    if (needs & FL_NEED_NONBLOCK && m->nonblock < 0) {
        int fl = m->fd >= 0 ? fcntl(m->fd, F_GETFL) : -1;
        m->nonblock = fl >= 0 && (fl & O_NONBLOCK);
    }
    if (needs & FL_NEED_TIME) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        m->now_ns = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
    }
}

/* Say where a fired fault lands, for the log: the fd's path, or else its peer. */
static void locate(struct fl_call_ctx *c)
{
    struct fl_match *m = &c->m;
    if (m->path || m->peer || m->fd < 0)
        return;
    m->path = fl_fd_path(m->fd, c->pathbuf, sizeof c->pathbuf);
    if (!m->path && fl_fd_peer(m->fd, &c->peerbuf))
        m->peer = (const struct sockaddr *)&c->peerbuf;
}

/* POWER_LOSS: every process of the run dies at once and faultline run rolls the tracked files
 * back (durable.h); why names the rule, the call and the process. Does not return. */
static void power_loss(const struct fl_call_ctx *c)
{
    char why[PATH_MAX + 200], where[PATH_MAX + 16] = "";
    if (c->m.path)
        snprintf(where, sizeof where, " on %s", c->m.path);
    else if (c->m.fd >= 0)
        snprintf(where, sizeof where, " on fd %d", c->m.fd);
    snprintf(why, sizeof why, "rule '%s': %s%s (pid %d, %s)", c->v.rule_name,
             fl_calls[c->m.call].name, where, (int)getpid(), program_invocation_short_name);
    fl_durable_power_loss(why);
    raise(SIGKILL); /* no tracking (the config refuses power_loss without it): as kill */
}

/* What a fired rule does before the real call; returns the wrapper's next step. */
static enum fl_step apply_before(struct fl_call_ctx *c)
{
    const struct fl_verdict *v = &c->v;
    locate(c);
    if (v->dry_run)
        return FL_RUN; /* recorded after the call, with its real result; nothing injected */
    if (v->delay_ns) {
        enum fl_step step = delay(c);
        if (step != FL_RUN)
            return step;
    }
    switch (v->action) {
    case FL_ACT_ERROR:
        fail(c);
        return FL_FAIL;
    case FL_ACT_KILL:
        /* Recorded first: the signal may end the process before the call runs. A handled or
         * ignored signal lets the call go on. */
        fl_events_fault(c, 0);
        c->logged = true;
        raise(v->kill_signal);
        return FL_PASS;
    case FL_ACT_POWER_LOSS:
        /* Recorded first, as kill is (one write, done when fl_events_fault returns). */
        fl_events_fault(c, 0);
        c->logged = true;
        power_loss(c);
        return FL_PASS;
    case FL_ACT_DELAY:
        return FL_RUN;
    default:
        return FL_ACT; /* partial, eof, corrupt, drop: the wrapper's shape applies them */
    }
}

enum fl_step fl_begin(struct fl_call_ctx *c)
{
    /* The program's handlers may run inside this scope (a delay, a kill signal it handles). */
    __attribute__((cleanup(fl_guard_unwound))) struct fl_guard_scope g;
    g.active = false;
    if (!fl_guard_enter(&g))
        return FL_PASS;
    enum fl_step step = FL_PASS;
    describe(c);
    if (fl_rules_decide(&c->m, &c->v))
        step = apply_before(c);
    fl_guard_leave(&g);
    if (step == FL_FAIL && c->err > 0)
        errno = c->err;
    return step;
}

void fl_after(struct fl_call_ctx *c, long result)
{
    struct fl_guard_scope g;
    if (c->logged || !fl_guard_enter(&g))
        return;
    fl_events_fault(c, result);
    c->logged = true;
    fl_guard_leave(&g);
}

size_t fl_iov_len(const struct iovec *iov, size_t cnt)
{
    size_t n = 0;
    for (size_t i = 0; iov && i < cnt; i++)
        if (__builtin_add_overflow(n, iov[i].iov_len, &n))
            return SIZE_MAX;
    return n;
}

/* ---- the actions a wrapper applies around the real call (FL_ACT) ------------------------- */

size_t fl_partial_count(const struct fl_call_ctx *c, size_t n)
{
    const struct fl_verdict *v = &c->v;
    if (n <= 1)
        return n;
    size_t keep = v->partial_pct ? (size_t)((unsigned __int128)n * v->partial_pct / 100)
                                 : (v->partial_bytes < n ? (size_t)v->partial_bytes : n);
    return keep ? keep : 1;
}

/* Flip the rule's number of distinct bits in the `len` bytes that at(i) reaches. */
static void flip_bits(const struct fl_call_ctx *c, size_t len,
                      unsigned char *(*at)(const void *where, size_t i), const void *where)
{
    uint64_t state = c->v.draw, chosen[64];
    uint32_t want = c->v.corrupt_bits, n = 0;
    uint64_t bits = (uint64_t)len * 8;
    if (want > bits)
        want = (uint32_t)bits;
    while (n < want) {
        uint64_t bit = fl_splitmix64(&state) % bits;
        bool seen = false;
        for (uint32_t i = 0; i < n; i++)
            seen |= chosen[i] == bit;
        if (seen)
            continue;
        chosen[n++] = bit;
        *at(where, bit / 8) ^= (unsigned char)(1u << (bit % 8));
    }
}

static unsigned char *byte_in_buffer(const void *where, size_t i)
{
    return (unsigned char *)where + i;
}

static unsigned char *byte_in_iov(const void *where, size_t i)
{
    const struct iovec *iov = where;
    while (i >= iov->iov_len)
        i -= (iov++)->iov_len;
    return (unsigned char *)iov->iov_base + i;
}

void fl_corrupt(const struct fl_call_ctx *c, void *buf, size_t len)
{
    if (len)
        flip_bits(c, len, byte_in_buffer, buf);
}

void fl_corrupt_iov(const struct fl_call_ctx *c, const struct iovec *iov, size_t len)
{
    if (len)
        flip_bits(c, len, byte_in_iov, iov);
}

/* Reads through process_vm_readv, which reports a bad address instead of faulting; where that
 * call is refused (a seccomp filter), copies directly. */
bool fl_copy_from_program(void *to, const void *from, size_t n)
{
    int saved = errno;
    struct iovec local = {to, n}, remote = {(void *)from, n};
    ssize_t r = process_vm_readv(getpid(), &local, 1, &remote, 1, 0);
    bool ok = r == (ssize_t)n;
    if (r < 0 && errno != EFAULT) {
        memcpy(to, from, n);
        ok = true;
    }
    errno = saved;
    return ok;
}

void *fl_corrupt_copy(const struct fl_call_ctx *c, const void *buf, size_t len)
{
    int saved = errno;
    unsigned char *copy = len ? fl_real_malloc(len) : NULL;
    errno = saved;
    if (copy && !fl_copy_from_program(copy, buf, len)) {
        fl_release(copy); /* the real call meets the bad address and says EFAULT */
        return NULL;
    }
    if (copy)
        fl_corrupt(c, copy, len);
    return copy;
}

void *fl_flatten(const struct iovec *iov, size_t cnt, size_t len)
{
    int saved = errno;
    unsigned char *flat = len ? fl_real_malloc(len) : NULL;
    errno = saved;
    for (size_t i = 0, at = 0; flat && i < cnt && at < len; at += iov[i++].iov_len)
        if (!fl_copy_from_program(flat + at, iov[i].iov_base,
                               iov[i].iov_len < len - at ? iov[i].iov_len : len - at)) {
            fl_release(flat);
            return NULL;
        }
    return flat;
}

void fl_drop_write(struct fl_call_ctx *c, size_t n)
{
    struct stat st;
    int fd = c->m.fd, saved = errno;
    bool tracked = false;
    if (fd < 0 || syscall(SYS_fstat, fd, &st) != 0 || !S_ISREG(st.st_mode))
        goto out;
    if (__builtin_expect(fl_durable_on, 0) && (tracked = fl_track_before(c)))
        syscall(SYS_fstat, fd, &st); /* the size now that the run's lock is held */
    long fl = syscall(SYS_fcntl, fd, F_GETFL);
    long long start = c->offset >= 0               ? c->offset
                      : fl >= 0 && (fl & O_APPEND) ? (long long)st.st_size
                                                   : (long long)syscall(SYS_lseek, fd, 0, SEEK_CUR);
    if (start < 0 || n > (unsigned long long)LLONG_MAX - (unsigned long long)start)
        goto out;
    long long end = start + (long long)n;
    if (end > st.st_size)
        syscall(SYS_ftruncate, fd, end); /* extended with zeros: nothing of the data lands */
    if (c->offset < 0)
        syscall(SYS_lseek, fd, end, SEEK_SET); /* where the write would have left it */
out:
    if (tracked)
        fl_track_after(c, 0);
    errno = saved;
}

size_t fl_partial_iov(const struct fl_call_ctx *c, const struct iovec **iov, size_t cnt,
                      struct iovec *out)
{
    size_t total = fl_iov_len(*iov, cnt), keep = fl_partial_count(c, total), n = 0;
    if (keep >= total)
        return cnt;
    for (size_t i = 0; i < cnt && n < FL_IOV_SHORT && keep > 0; i++) {
        out[n] = (*iov)[i];
        if (out[n].iov_len > keep)
            out[n].iov_len = keep;
        keep -= out[n].iov_len;
        n++;
    }
    *iov = out;
    return n;
}

size_t fl_mmsg_len(const struct mmsghdr *msgs, unsigned int vlen)
{
    size_t n = 0;
    for (unsigned int i = 0; msgs && i < vlen; i++)
        if (__builtin_add_overflow(n, fl_iov_len(msgs[i].msg_hdr.msg_iov,
                                                 msgs[i].msg_hdr.msg_iovlen), &n))
            return SIZE_MAX;
    return n;
}

unsigned int fl_partial_msgs(const struct fl_call_ctx *c, const struct mmsghdr *msgs,
                             unsigned int vlen)
{
    const struct fl_verdict *s = &c->v;
    if (vlen <= 1)
        return vlen;
    if (s->partial_pct) {
        unsigned int keep = (unsigned int)((uint64_t)vlen * s->partial_pct / 100);
        return keep ? keep : 1;
    }
    unsigned int keep = 0;
    size_t room = (size_t)s->partial_bytes;
    for (; keep < vlen; keep++) {
        size_t len = fl_iov_len(msgs[keep].msg_hdr.msg_iov, msgs[keep].msg_hdr.msg_iovlen);
        if (len > room)
            break;
        room -= len;
    }
    return keep ? keep : 1;
}

void fl_release(void *p)
{
    int saved = errno;
    fl_real_free(p);
    errno = saved;
}

void fl_stream_flag(FILE *stream, int flag)
{
    if (stream)
        stream->_flags |= flag;
}

void fl_stream_short_read(FILE *stream)
{
    if (stream && !(stream->_flags & (_IO_EOF_SEEN | _IO_ERR_SEEN)))
        fl_stream_flag(stream, _IO_EOF_SEEN);
}

void fl_stream_short(FILE *stream)
{
    fl_stream_flag(stream, _IO_ERR_SEEN);
    errno = EIO;
}

size_t fl_stdio_items(const struct fl_call_ctx *c, size_t size, size_t n)
{
    if (size == 0 || n <= 1)
        return n;
    size_t items = fl_partial_count(c, fl_mul_sat(size, n)) / size;
    return items == 0 ? 1 : items < n ? items : n;
}

char *fl_corrupt_string(const struct fl_call_ctx *c, const char *s)
{
    size_t len = strlen(s);
    int saved = errno;
    char *copy = fl_real_malloc(len + 1);
    errno = saved;
    if (copy) {
        memcpy(copy, s, len + 1);
        fl_corrupt(c, copy, len);
    }
    return copy;
}
