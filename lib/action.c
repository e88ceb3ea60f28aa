/* The slow path: decide, sleep, fail, record. */
#include <errno.h>
#include <stddef.h>
#include <limits.h>
#include <string.h>
#include <signal.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>

#include "action.h"
#include "events.h"
#include "fdtable.h"
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
    c->stream = stream;
}

/* Sleep `ns` on the monotonic clock, to the end even when signals interrupt it. */
static void sleep_ns(uint64_t ns)
{
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += (time_t)(ns / 1000000000u);
    until.tv_nsec += (long)(ns % 1000000000u);
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, NULL) == EINTR)
        ;
}

/* The call fails with the rule's error. */
static void fail(struct fl_call_ctx *c)
{
    fl_events_fault(c, -1);
    fl_stream_flag(c->stream, _IO_ERR_SEEN);
}

/* Whether a transfer of n bytes on this fd may legally come back short: not on datagram or
 * seqpacket sockets (all or nothing), not for pipe writes of at most PIPE_BUF (atomic). */
static bool may_shorten(const struct fl_call_ctx *c, size_t n)
{
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

/* What a fired rule does before the real call; returns the wrapper's next step. */
static enum fl_step apply_before(struct fl_call_ctx *c)
{
    const struct fl_verdict *v = &c->v;
    locate(c);
    if (v->dry_run)
        return FL_RUN; /* recorded after the call, with its real result; nothing injected */
    if (v->delay_ns)
        sleep_ns(v->delay_ns);
    switch (v->action) {
    case FL_ACT_ERROR:
        fail(c);
        return FL_FAIL;
    case FL_ACT_KILL:
        /* Recorded first: the signal may end the process before the call runs. A handled or
         * ignored signal lets the call go on. */
        fl_events_fault(c, 0);
        raise(v->kill_signal);
        return FL_PASS;
    case FL_ACT_DELAY:
        return FL_RUN;
    default:
        return FL_ACT; /* partial, eof, corrupt, drop: the wrapper's shape applies them */
    }
}

enum fl_step fl_begin(struct fl_call_ctx *c)
{
    if (fl_guard)
        return FL_PASS;
    int saved = errno;
    fl_guard = 1;
    enum fl_step step = FL_PASS;
    describe(c);
    if (fl_rules_decide(&c->m, &c->v))
        step = apply_before(c);
    fl_guard = 0;
    errno = step == FL_FAIL && c->v.error > 0 ? c->v.error : saved;
    return step;
}

void fl_after(struct fl_call_ctx *c, long result)
{
    int saved = errno;
    fl_guard = 1;
    fl_events_fault(c, result);
    fl_guard = 0;
    errno = saved;
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
        uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        uint64_t bit = (z ^ (z >> 31)) % bits;
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

void *fl_corrupt_copy(const struct fl_call_ctx *c, const void *buf, size_t len)
{
    int saved = errno;
    unsigned char *copy = len ? fl_real_malloc(len) : NULL;
    errno = saved;
    if (copy) {
        memcpy(copy, buf, len);
        fl_corrupt(c, copy, len);
    }
    return copy;
}

void *fl_flatten(const struct iovec *iov, size_t cnt, size_t len)
{
    int saved = errno;
    unsigned char *flat = len ? fl_real_malloc(len) : NULL;
    errno = saved;
    for (size_t i = 0, at = 0; flat && i < cnt && at < len; at += iov[i++].iov_len)
        memcpy(flat + at, iov[i].iov_base, iov[i].iov_len < len - at ? iov[i].iov_len : len - at);
    return flat;
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
