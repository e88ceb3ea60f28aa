/* The hand-written wrappers: calls whose arguments are variadic (open, printf, ioctl, syscall),
 * whose failure is reported in their own codes (the resolver, posix_memalign, posix_fallocate),
 * that free what they are given even when they fail (close, fclose), that count messages rather
 * than bytes (recvmmsg, sendmmsg), that return nothing (sync), that must recognise the bootstrap
 * arena (realloc, free), or that durability tracking alone needs (mmap, munmap). Each keeps the
 * generated wrappers' two paths. */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <linux/close_range.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "action.h"
#include "events.h"
#include "fdtable.h"
#include "hint.h"
#include "interpose.h"

#define ARMED(call) __builtin_expect(fl_call_armed(FL_CALL_##call), 0)

/* ---- open: the mode is variadic ------------------------------------------------------------ */

int (*fl_real_open)(const char *path, int flags, ...);
static int (*fl_real_open64)(const char *path, int flags, ...);
static int (*fl_real_openat)(int dirfd, const char *path, int flags, ...);
static int (*fl_real_openat64)(int dirfd, const char *path, int flags, ...);

static mode_t open_mode(int flags, va_list ap)
{
    return __OPEN_NEEDS_MODE(flags) ? va_arg(ap, mode_t) : 0;
}

/* The real open of symbol sym. */
static int real_open(enum fl_sym_id sym, int dirfd, const char *path, int flags, mode_t mode)
{
    switch (sym) {
    case FL_SYM_open64: return fl_real_open64(path, flags, mode);
    case FL_SYM_openat: return fl_real_openat(dirfd, path, flags, mode);
    case FL_SYM_openat64: return fl_real_openat64(dirfd, path, flags, mode);
    default: return fl_real_open(path, flags, mode);
    }
}

/* The slow path of the open family (an armed rule, or fds being tracked); dirfd is AT_FDCWD
 * for open and open64. */
static int open_slow(enum fl_sym_id sym, enum fl_call_id call, int dirfd, const char *path,
                     int flags, mode_t mode)
{
    struct fl_call_ctx c;
    fl_ctx_init(&c, call, sym, -1, path, 0, NULL);
    c.dirfd = dirfd;
    c.call_flags = flags;
    enum fl_step step = fl_call_armed(call) ? fl_begin(&c) : FL_PASS;
    if (step == FL_FAIL)
        return -1;
    int r = FL_TRACKED(c, real_open(sym, dirfd, path, flags, mode));
    if (__builtin_expect(fl_fd_tracking, 0) && r >= 0)
        fl_fd_opened(r, dirfd, path);
    if (step == FL_RUN)
        fl_after(&c, r);
    return r;
}

FL_EXPORT int open(const char *path, int flags, ...)
{
    va_list ap;
    va_start(ap, flags);
    mode_t mode = open_mode(flags, ap);
    va_end(ap);
    FL_RESOLVE(open);
    if (!ARMED(open) && !fl_fd_tracking)
        return fl_real_open(path, flags, mode);
    return open_slow(FL_SYM_open, FL_CALL_open, AT_FDCWD, path, flags, mode);
}

FL_EXPORT int open64(const char *path, int flags, ...)
{
    va_list ap;
    va_start(ap, flags);
    mode_t mode = open_mode(flags, ap);
    va_end(ap);
    FL_RESOLVE(open64);
    if (!ARMED(open) && !fl_fd_tracking)
        return fl_real_open64(path, flags, mode);
    return open_slow(FL_SYM_open64, FL_CALL_open, AT_FDCWD, path, flags, mode);
}

FL_EXPORT int openat(int dirfd, const char *path, int flags, ...)
{
    va_list ap;
    va_start(ap, flags);
    mode_t mode = open_mode(flags, ap);
    va_end(ap);
    FL_RESOLVE(openat);
    if (!ARMED(openat) && !fl_fd_tracking)
        return fl_real_openat(dirfd, path, flags, mode);
    return open_slow(FL_SYM_openat, FL_CALL_openat, dirfd, path, flags, mode);
}

FL_EXPORT int openat64(int dirfd, const char *path, int flags, ...)
{
    va_list ap;
    va_start(ap, flags);
    mode_t mode = open_mode(flags, ap);
    va_end(ap);
    FL_RESOLVE(openat64);
    if (!ARMED(openat) && !fl_fd_tracking)
        return fl_real_openat64(dirfd, path, flags, mode);
    return open_slow(FL_SYM_openat64, FL_CALL_openat, dirfd, path, flags, mode);
}

/* ---- close: frees the fd even when it fails; the shim's own fds are not the program's ------- */

int (*fl_real_close)(int fd);

FL_EXPORT int close(int fd)
{
    FL_RESOLVE(close);
    if (__builtin_expect(fl_events_owns_fd(fd), 0)) {
        errno = EBADF; /* as if it were not open: the program never opened it */
        return -1;
    }
    if (__builtin_expect(fl_fd_tracking, 0))
        fl_fd_closed(fd);
    if (!ARMED(close))
        return fl_real_close(fd);
    FL_CTX(c, close, close, fd, NULL, 0, NULL);
    enum fl_step step = fl_begin(&c);
    if (step == FL_FAIL) {
        int e = errno;
        fl_real_close(fd); /* Linux frees the fd whatever close returns */
        errno = e;
        return -1;
    }
    int r = fl_real_close(fd);
    if (step == FL_RUN)
        fl_after(&c, r);
    return r;
}

/* ---- fclose: frees the stream even when it fails ------------------------------------------- */

static int (*fl_real_fclose)(FILE *stream);

/* The slow path of fclose: the fd is forgotten once the rules and tracking have looked at it,
 * and an injected failure loses what was buffered (as a failed flush would) and still frees the
 * stream, as the real fclose always does. */
static int fclose_slow(FILE *stream, int fd)
{
    FL_CTX(c, fclose, fclose, fd, NULL, 0, stream);
    enum fl_step step = fl_begin(&c);
    int err = errno;
    if (step == FL_FAIL)
        __fpurge(stream);
    bool tracked = __builtin_expect(fl_durable_on, 0) && fl_track_before(&c);
    if (__builtin_expect(fl_fd_tracking, 0) && fd >= 0)
        fl_fd_closed(fd);
    int r = fl_real_fclose(stream);
    if (tracked)
        fl_track_after(&c, r);
    if (step == FL_FAIL) {
        errno = err;
        return EOF;
    }
    if (step == FL_RUN)
        fl_after(&c, r);
    return r;
}

FL_EXPORT int fclose(FILE *stream)
{
    FL_RESOLVE(fclose);
    int fd = fl_stream_fd(stream);
    if (__builtin_expect(fl_events_owns_fd(fd), 0))
        fl_events_make_way(fd); /* libc closes the stream's fd inside: not the shim's file */
    if (ARMED(fclose))
        return fclose_slow(stream, fd);
    if (__builtin_expect(fl_fd_tracking, 0) && fd >= 0)
        fl_fd_closed(fd);
    return fl_real_fclose(stream);
}

/* close_range: the program closes every fd it does not know; the shim's own stay open. */
static int (*fl_real_close_range)(unsigned int first, unsigned int last, int flags);

/* close_range, sparing the shim's own fds. */
static int close_range_sparing(unsigned int first, unsigned int last, int flags)
{
    if (first > last || flags & CLOSE_RANGE_CLOEXEC) /* the shim's fds are close-on-exec */
        return fl_real_close_range(first, last, flags);
    if (__builtin_expect(fl_fd_tracking, 0))
        fl_fd_closed_range(first, last);
    int own[FL_OWN_FDS], n = fl_events_own_fds(own);
    unsigned int lo = first;
    for (int i = 0; i < n; i++) { /* close around each of the shim's fds */
        unsigned int fd = (unsigned int)own[i];
        if (fd < lo || fd > last)
            continue;
        if (fd > lo && fl_real_close_range(lo, fd - 1, flags) != 0)
            return -1;
        lo = fd + 1;
    }
    return lo > last ? 0 : fl_real_close_range(lo, last, flags);
}

FL_EXPORT int close_range(unsigned int first, unsigned int last, int flags)
{
    FL_RESOLVE(close_range);
    return close_range_sparing(first, last, flags);
}

/* glibc's closefrom reaches the kernel through its internal close_range, never the PLT. */
FL_EXPORT void closefrom(int lowfd)
{
    FL_RESOLVE(close_range);
    int saved = errno;
    if (close_range_sparing(lowfd < 0 ? 0 : (unsigned int)lowfd, ~0U, 0) != 0)
        for (int fd = lowfd < 0 ? 0 : lowfd; fd < 65536; fd++) /* kernels before 5.9 */
            if (!fl_events_owns_fd(fd))
                fl_real_close(fd);
    errno = saved;
}

/* ---- dup and fcntl(F_DUPFD): a duplicate is what its original was ------------------------ */

static int (*fl_real_dup)(int fd);
static int (*fl_real_dup2)(int fd, int fd2);
static int (*fl_real_dup3)(int fd, int fd2, int flags);
static int (*fl_real_fcntl)(int fd, int cmd, ...);
static int (*fl_real_fcntl64)(int fd, int cmd, ...);

static int duplicated(int fd, int r)
{
    if (__builtin_expect(fl_fd_tracking, 0) && r >= 0)
        fl_fd_dup(fd, r);
    return r;
}

FL_EXPORT int dup(int fd)
{
    FL_RESOLVE(dup);
    return duplicated(fd, fl_real_dup(fd));
}

FL_EXPORT int dup2(int fd, int fd2)
{
    FL_RESOLVE(dup2);
    if (__builtin_expect(fl_events_owns_fd(fd2), 0))
        fl_events_make_way(fd2);
    return duplicated(fd, fl_real_dup2(fd, fd2));
}

FL_EXPORT int dup3(int fd, int fd2, int flags)
{
    FL_RESOLVE(dup3);
    if (__builtin_expect(fl_events_owns_fd(fd2), 0))
        fl_events_make_way(fd2);
    return duplicated(fd, fl_real_dup3(fd, fd2, flags));
}

/* fcntl's third argument is an int or a pointer: passed on as the word it arrived in. */
static int fcntl_any(int (*real)(int, int, ...), int fd, int cmd, void *arg)
{
    int r = real(fd, cmd, arg);
    return cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC ? duplicated(fd, r) : r;
}

FL_EXPORT int fcntl(int fd, int cmd, ...)
{
    va_list ap;
    va_start(ap, cmd);
    void *arg = va_arg(ap, void *);
    va_end(ap);
    FL_RESOLVE(fcntl);
    return fcntl_any(fl_real_fcntl, fd, cmd, arg);
}

FL_EXPORT int fcntl64(int fd, int cmd, ...)
{
    va_list ap;
    va_start(ap, cmd);
    void *arg = va_arg(ap, void *);
    va_end(ap);
    FL_RESOLVE(fcntl64);
    return fcntl_any(fl_real_fcntl64, fd, cmd, arg);
}

/* ---- connect and accept: the peer ------------------------------------------------------- */

static int (*fl_real_connect)(int fd, const struct sockaddr *addr, socklen_t len);
static int (*fl_real_accept)(int fd, struct sockaddr *addr, socklen_t *len);
static int (*fl_real_accept4)(int fd, struct sockaddr *addr, socklen_t *len, int flags);

/* Remember the peer of a socket that connected, or is connecting (EINPROGRESS). */
static void connected(int fd, int r, const struct sockaddr *addr, socklen_t len)
{
    if (__builtin_expect(fl_fd_tracking, 0) && (r == 0 || errno == EINPROGRESS)) {
        int saved = errno;
        fl_fd_peer_set(fd, addr, len);
        errno = saved;
    }
}

FL_EXPORT int connect(int fd, const struct sockaddr *addr, socklen_t len)
{
    FL_RESOLVE(connect);
    if (!ARMED(connect)) {
        int r = fl_real_connect(fd, addr, len);
        connected(fd, r, addr, len);
        return r;
    }
    FL_CTX(c, connect, connect, fd, NULL, 0, NULL);
    c.m.peer = addr; /* matched on where it is going */
    enum fl_step step = fl_begin(&c);
    if (step == FL_FAIL)
        return -1;
    int r = fl_real_connect(fd, addr, len);
    connected(fd, r, addr, len);
    if (step != FL_PASS)
        fl_after(&c, r);
    return r;
}

/* The accepted socket's peer: from the caller's buffer, or asked of the kernel. */
static void accepted(int fd)
{
    if (__builtin_expect(fl_fd_tracking, 0) && fd >= 0) {
        int saved = errno;
        struct sockaddr_storage ss;
        socklen_t len = sizeof ss;
        if (getpeername(fd, (struct sockaddr *)&ss, &len) == 0)
            fl_fd_peer_set(fd, (struct sockaddr *)&ss, len);
        errno = saved;
    }
}

static int accept_any(enum fl_sym_id sym, int fd, struct sockaddr *addr, socklen_t *len,
                      int flags)
{
    struct fl_call_ctx c;
    fl_ctx_init(&c, FL_CALL_accept, sym, fd, NULL, 0, NULL);
    enum fl_step step = ARMED(accept) ? fl_begin(&c) : FL_PASS;
    if (step == FL_FAIL)
        return -1;
    int r = sym == FL_SYM_accept ? fl_real_accept(fd, addr, len)
                                 : fl_real_accept4(fd, addr, len, flags);
    accepted(r);
    if (step != FL_PASS)
        fl_after(&c, r);
    return r;
}

FL_EXPORT int accept(int fd, struct sockaddr *addr, socklen_t *len)
{
    FL_RESOLVE(accept);
    if (!ARMED(accept) && !fl_fd_tracking)
        return fl_real_accept(fd, addr, len);
    return accept_any(FL_SYM_accept, fd, addr, len, 0);
}

FL_EXPORT int accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags)
{
    FL_RESOLVE(accept4);
    if (!ARMED(accept) && !fl_fd_tracking)
        return fl_real_accept4(fd, addr, len, flags);
    return accept_any(FL_SYM_accept4, fd, addr, len, flags);
}

/* ---- the printf family: all of it runs on vfprintf or __vfprintf_chk ------------------------ */

/* The fortified forms have no prototype outside _FORTIFY_SOURCE builds. */
int __vfprintf_chk(FILE *stream, int flag, const char *fmt, va_list ap);
int __vprintf_chk(int flag, const char *fmt, va_list ap);
int __fprintf_chk(FILE *stream, int flag, const char *fmt, ...);
int __printf_chk(int flag, const char *fmt, ...);

static int (*fl_real_vfprintf)(FILE *stream, const char *fmt, va_list ap);
static int (*fl_real___vfprintf_chk)(FILE *stream, int flag, const char *fmt, va_list ap);

/* flag < 0: the plain form; otherwise the fortified form's flag. */
static int real_vfprintf(FILE *stream, int flag, const char *fmt, va_list ap)
{
    if (flag < 0) {
        FL_RESOLVE(vfprintf);
        return fl_real_vfprintf(stream, fmt, ap);
    }
    FL_RESOLVE(__vfprintf_chk);
    return fl_real___vfprintf_chk(stream, flag, fmt, ap);
}

/* partial, corrupt or drop on the printf family: the text is formatted here, then written
 * (or not) with the real fwrite. */
static int printf_act(struct fl_call_ctx *c, FILE *stream, const char *fmt, va_list ap)
{
    va_list again;
    va_copy(again, ap);
    int len = vsnprintf(NULL, 0, fmt, again);
    va_end(again);
    int saved = errno;
    char *text = len >= 0 ? fl_real_malloc((size_t)len + 1) : NULL;
    errno = saved;
    if (!text) /* cannot format: the call fails as a write error would */
        return fl_stream_flag(stream, _IO_ERR_SEEN), -1;
    vsnprintf(text, (size_t)len + 1, fmt, ap);
    size_t n = (size_t)len, done = n;
    c->m.size = n;
    if (c->v.action == FL_ACT_PARTIAL)
        n = fl_partial_count(c, n);
    if (c->v.action == FL_ACT_CORRUPT)
        fl_corrupt(c, text, n);
    if (c->v.action != FL_ACT_DROP)
        done = FL_TRACKED(*c, fl_real_fwrite(text, 1, n, stream));
    fl_release(text);
    fl_after(c, (long)done);
    if (done < (size_t)len) /* a prefix went out, then the call failed */
        fl_stream_short(stream);
    return done < (size_t)len ? -1 : len;
}

static int printf_any(enum fl_sym_id sym, FILE *stream, int flag, const char *fmt, va_list ap)
{
    fl_note_use(FL_CALL_fprintf);
    if (!ARMED(fprintf))
        return real_vfprintf(stream, flag, fmt, ap);
    va_list sized;
    va_copy(sized, ap); /* the rules may look at the size: the length of the formatted text */
    int len = vsnprintf(NULL, 0, fmt, sized);
    va_end(sized);
    struct fl_call_ctx c;
    fl_ctx_init(&c, FL_CALL_fprintf, sym, fl_stream_fd(stream), NULL, len > 0 ? (size_t)len : 0,
                stream);
    enum fl_step step = fl_begin(&c);
    if (step == FL_FAIL)
        return -1;
    if (step == FL_ACT)
        return printf_act(&c, stream, fmt, ap);
    int r = FL_TRACKED(c, real_vfprintf(stream, flag, fmt, ap));
    if (step == FL_RUN)
        fl_after(&c, r);
    return r;
}

FL_EXPORT int vfprintf(FILE *stream, const char *fmt, va_list ap)
{
    return printf_any(FL_SYM_vfprintf, stream, -1, fmt, ap);
}

FL_EXPORT int vprintf(const char *fmt, va_list ap)
{
    return printf_any(FL_SYM_vprintf, stdout, -1, fmt, ap);
}

FL_EXPORT int __vfprintf_chk(FILE *stream, int flag, const char *fmt, va_list ap)
{
    return printf_any(FL_SYM___vfprintf_chk, stream, flag < 0 ? 0 : flag, fmt, ap);
}

FL_EXPORT int __vprintf_chk(int flag, const char *fmt, va_list ap)
{
    return printf_any(FL_SYM___vprintf_chk, stdout, flag < 0 ? 0 : flag, fmt, ap);
}

FL_EXPORT int fprintf(FILE *stream, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = printf_any(FL_SYM_fprintf, stream, -1, fmt, ap);
    va_end(ap);
    return r;
}

FL_EXPORT int printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = printf_any(FL_SYM_printf, stdout, -1, fmt, ap);
    va_end(ap);
    return r;
}

FL_EXPORT int __fprintf_chk(FILE *stream, int flag, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = printf_any(FL_SYM___fprintf_chk, stream, flag < 0 ? 0 : flag, fmt, ap);
    va_end(ap);
    return r;
}

FL_EXPORT int __printf_chk(int flag, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = printf_any(FL_SYM___printf_chk, stdout, flag < 0 ? 0 : flag, fmt, ap);
    va_end(ap);
    return r;
}

/* ---- the scanf family: the plain forms run on vfscanf, the C99 ones on __isoc99_vfscanf ----- */

/* glibc's headers rename fscanf and its family to the __isoc99_ forms in C99 mode: each wrapper
 * is given the symbol it stands for with an asm label. */
static int (*fl_real_vfscanf)(FILE *stream, const char *fmt, va_list ap);
static int (*fl_real___isoc99_vfscanf)(FILE *stream, const char *fmt, va_list ap);

/* One scanf call on stream: c99 picks __isoc99_vfscanf (the two differ in what %a means). A
 * failure returns EOF with the error flag and errno, eof returns EOF with the end-of-file flag
 * and reads nothing. */
static int scanf_any(enum fl_sym_id sym, bool c99, FILE *stream, const char *fmt, va_list ap)
{
    if (c99)
        FL_RESOLVE(__isoc99_vfscanf);
    else
        FL_RESOLVE(vfscanf);
    int (*real)(FILE *, const char *, va_list) = c99 ? fl_real___isoc99_vfscanf : fl_real_vfscanf;
    fl_note_use(FL_CALL_fscanf);
    if (!ARMED(fscanf))
        return real(stream, fmt, ap);
    FL_CTX(c, fscanf, fscanf, fl_stream_fd(stream), NULL, 0, stream);
    c.sym = sym;
    enum fl_step step = fl_begin(&c);
    if (step == FL_FAIL)
        return EOF;
    if (step == FL_ACT) { /* eof, the only action besides those fl_begin applies */
        fl_stream_flag(stream, _IO_EOF_SEEN);
        fl_after(&c, EOF);
        return EOF;
    }
    int r = real(stream, fmt, ap);
    if (step == FL_RUN)
        fl_after(&c, r);
    return r;
}

FL_EXPORT int fl_fscanf(FILE *stream, const char *fmt, ...) __asm__("fscanf");
FL_EXPORT int fl_scanf(const char *fmt, ...) __asm__("scanf");
FL_EXPORT int fl_vfscanf(FILE *stream, const char *fmt, va_list ap) __asm__("vfscanf");
FL_EXPORT int fl_vscanf(const char *fmt, va_list ap) __asm__("vscanf");
FL_EXPORT int fl_isoc99_fscanf(FILE *stream, const char *fmt, ...) __asm__("__isoc99_fscanf");
FL_EXPORT int fl_isoc99_scanf(const char *fmt, ...) __asm__("__isoc99_scanf");
FL_EXPORT int fl_isoc99_vfscanf(FILE *stream, const char *fmt, va_list ap)
    __asm__("__isoc99_vfscanf");
FL_EXPORT int fl_isoc99_vscanf(const char *fmt, va_list ap) __asm__("__isoc99_vscanf");

/* fscanf, as the C library's: counts as call fscanf. */
FL_EXPORT int fl_fscanf(FILE *stream, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = scanf_any(FL_SYM_fscanf, false, stream, fmt, ap);
    va_end(ap);
    return r;
}

/* scanf: fscanf on stdin. */
FL_EXPORT int fl_scanf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = scanf_any(FL_SYM_scanf, false, stdin, fmt, ap);
    va_end(ap);
    return r;
}

/* vfscanf: fscanf with a va_list. */
FL_EXPORT int fl_vfscanf(FILE *stream, const char *fmt, va_list ap)
{
    return scanf_any(FL_SYM_vfscanf, false, stream, fmt, ap);
}

/* vscanf: vfscanf on stdin. */
FL_EXPORT int fl_vscanf(const char *fmt, va_list ap)
{
    return scanf_any(FL_SYM_vscanf, false, stdin, fmt, ap);
}

/* __isoc99_fscanf: the C99 fscanf that glibc's headers call. */
FL_EXPORT int fl_isoc99_fscanf(FILE *stream, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = scanf_any(FL_SYM___isoc99_fscanf, true, stream, fmt, ap);
    va_end(ap);
    return r;
}

/* __isoc99_scanf: the C99 scanf. */
FL_EXPORT int fl_isoc99_scanf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = scanf_any(FL_SYM___isoc99_scanf, true, stdin, fmt, ap);
    va_end(ap);
    return r;
}

/* __isoc99_vfscanf: the C99 vfscanf. */
FL_EXPORT int fl_isoc99_vfscanf(FILE *stream, const char *fmt, va_list ap)
{
    return scanf_any(FL_SYM___isoc99_vfscanf, true, stream, fmt, ap);
}

/* __isoc99_vscanf: the C99 vscanf. */
FL_EXPORT int fl_isoc99_vscanf(const char *fmt, va_list ap)
{
    return scanf_any(FL_SYM___isoc99_vscanf, true, stdin, fmt, ap);
}

/* ---- recvmmsg and sendmmsg: whole messages -------------------------------------------------- */

static int (*fl_real_recvmmsg)(int fd, struct mmsghdr *msgs, unsigned int vlen, int flags,
                               struct timespec *timeout);
static int (*fl_real_sendmmsg)(int fd, struct mmsghdr *msgs, unsigned int vlen, int flags);

/* The slow path of both: partial passes fewer whole messages (fl_partial_msgs), drop (sendmmsg)
 * reports every message sent, each with its full length, and sends none. */
static int mmsg_slow(enum fl_sym_id sym, int fd, struct mmsghdr *msgs, unsigned int vlen,
                     int flags, struct timespec *timeout)
{
    bool out = sym == FL_SYM_sendmmsg;
    struct fl_call_ctx c;
    fl_ctx_init(&c, out ? FL_CALL_sendmmsg : FL_CALL_recvmmsg, sym, fd, NULL,
                fl_mmsg_len(msgs, vlen), NULL);
    c.msg_flags = flags;
    c.msg_count = vlen;
    enum fl_step step = fl_begin(&c);
    if (step == FL_FAIL)
        return -1;
    enum fl_action act = step == FL_ACT ? c.v.action : FL_ACT_DELAY;
    if (act == FL_ACT_DROP) {
        for (unsigned int i = 0; i < vlen; i++) {
            size_t n = fl_iov_len(msgs[i].msg_hdr.msg_iov, msgs[i].msg_hdr.msg_iovlen);
            msgs[i].msg_len = n > UINT_MAX ? UINT_MAX : (unsigned int)n;
        }
        fl_after(&c, (long)vlen);
        return (int)vlen;
    }
    if (act == FL_ACT_PARTIAL)
        vlen = fl_partial_msgs(&c, msgs, vlen);
    int r = out ? fl_real_sendmmsg(fd, msgs, vlen, flags)
                : fl_real_recvmmsg(fd, msgs, vlen, flags, timeout);
    if (step != FL_PASS)
        fl_after(&c, r);
    return r;
}

FL_EXPORT int recvmmsg(int fd, struct mmsghdr *msgs, unsigned int vlen, int flags,
                       struct timespec *timeout)
{
    FL_RESOLVE(recvmmsg);
    if (!ARMED(recvmmsg))
        return fl_real_recvmmsg(fd, msgs, vlen, flags, timeout);
    return mmsg_slow(FL_SYM_recvmmsg, fd, msgs, vlen, flags, timeout);
}

FL_EXPORT int sendmmsg(int fd, struct mmsghdr *msgs, unsigned int vlen, int flags)
{
    FL_RESOLVE(sendmmsg);
    if (!ARMED(sendmmsg))
        return fl_real_sendmmsg(fd, msgs, vlen, flags);
    return mmsg_slow(FL_SYM_sendmmsg, fd, msgs, vlen, flags, NULL);
}

/* ---- posix_fallocate: returns its error; sync: returns nothing ------------------------------ */

static int (*fl_real_posix_fallocate)(int fd, off_t off, off_t len);
static int (*fl_real_posix_fallocate64)(int fd, off64_t off, off64_t len);

/* An injected failure is returned as the error number, errno left as it was. */
static int posix_fallocate_any(enum fl_sym_id sym, int fd, off64_t off, off64_t len)
{
    int saved = errno;
    FL_CTX(c, posix_fallocate, posix_fallocate, fd, NULL, 0, NULL);
    c.sym = sym;
    c.arg_off = off;
    c.arg_len = len;
    enum fl_step step = fl_begin(&c);
    if (step == FL_FAIL) {
        errno = saved;
        return c.err;
    }
    int r = FL_TRACKED(c, sym == FL_SYM_posix_fallocate ? fl_real_posix_fallocate(fd, off, len)
                                                        : fl_real_posix_fallocate64(fd, off, len));
    if (step == FL_RUN)
        fl_after(&c, r);
    return r;
}

FL_EXPORT int posix_fallocate(int fd, off_t off, off_t len)
{
    FL_RESOLVE(posix_fallocate);
    if (!ARMED(posix_fallocate))
        return fl_real_posix_fallocate(fd, off, len);
    return posix_fallocate_any(FL_SYM_posix_fallocate, fd, off, len);
}

FL_EXPORT int posix_fallocate64(int fd, off64_t off, off64_t len)
{
    FL_RESOLVE(posix_fallocate64);
    if (!ARMED(posix_fallocate))
        return fl_real_posix_fallocate64(fd, off, len);
    return posix_fallocate_any(FL_SYM_posix_fallocate64, fd, off, len);
}

static void (*fl_real_sync)(void);

/* sync cannot fail: a delay slows it, kill crashes at it, drop returns at once having synced
 * nothing. */
static void sync_slow(void)
{
    FL_CTX(c, sync, sync, -1, NULL, 0, NULL);
    enum fl_step step = fl_begin(&c);
    if (step == FL_ACT && c.v.action == FL_ACT_DROP) {
        fl_after(&c, 0);
        return;
    }
    bool tracked = __builtin_expect(fl_durable_on, 0) && fl_track_before(&c);
    fl_real_sync();
    if (tracked)
        fl_track_after(&c, 0);
    if (step == FL_RUN)
        fl_after(&c, 0);
}

FL_EXPORT void sync(void)
{
    FL_RESOLVE(sync);
    if (!ARMED(sync))
        return fl_real_sync();
    sync_slow();
}

/* ---- ioctl: FICLONE and FICLONERANGE are ficlone ------------------------------------------ */

static int (*fl_real_ioctl)(int fd, unsigned long req, ...);

/* The slow path of ficlone: c.arg_off and c.arg_len give the destination's range to tracking
 * (arg_len -1: the whole file, FICLONE). */
static int ficlone_slow(int fd, unsigned long req, void *arg)
{
    FL_CTX(c, ioctl, ficlone, fd, NULL, 0, NULL);
    struct file_clone_range range;
    struct stat src;
    int saved = errno;
    c.call_flags = (int)req;
    c.arg_len = -1;
    if (req == FICLONERANGE && fl_durable_on && fl_copy_from_program(&range, arg, sizeof range)) {
        c.arg_off = (long long)range.dest_offset;
        c.arg_len = (long long)range.src_length; /* 0: to the end of the source */
        if (!range.src_length)
            c.arg_len = fstat((int)range.src_fd, &src) == 0 &&
                                (unsigned long long)src.st_size > range.src_offset
                            ? src.st_size - (long long)range.src_offset
                            : 0;
        errno = saved;
    }
    enum fl_step step = fl_begin(&c);
    if (step == FL_FAIL)
        return -1;
    int r = FL_TRACKED(c, fl_real_ioctl(fd, req, arg));
    if (step == FL_RUN)
        fl_after(&c, r);
    return r;
}

/* The third argument, when there is one, is an int or a pointer: passed on as the word it
 * arrived in (what glibc's own ioctl does). */
FL_EXPORT int ioctl(int fd, unsigned long req, ...)
{
    va_list ap;
    va_start(ap, req);
    void *arg = va_arg(ap, void *);
    va_end(ap);
    FL_RESOLVE(ioctl);
    if (__builtin_expect(req != FICLONE && req != FICLONERANGE, 1) || !ARMED(ficlone))
        return fl_real_ioctl(fd, req, arg);
    return ficlone_slow(fd, req, arg);
}

/* ---- syscall, mmap, munmap: for durability tracking ---------------------------------------- */

static long (*fl_real_syscall)(long nr, ...);

/* Six arguments passed on, as glibc's syscall takes them. While durability is tracked,
 * io_uring_setup fails with ENOSYS, as on a kernel without io_uring: programs fall back to
 * calls the shim sees. (liburing makes its system calls itself, without syscall(): only a
 * seccomp filter reaches those.) */
FL_EXPORT long syscall(long nr, ...)
{
    va_list ap;
    va_start(ap, nr);
    long a = va_arg(ap, long), b = va_arg(ap, long), c = va_arg(ap, long);
    long d = va_arg(ap, long), e = va_arg(ap, long), f = va_arg(ap, long);
    va_end(ap);
    if (__builtin_expect(fl_durable_on, 0) && nr == SYS_io_uring_setup) {
        errno = ENOSYS;
        return -1;
    }
    FL_RESOLVE(syscall);
    return fl_real_syscall(nr, a, b, c, d, e, f);
}

static void *(*fl_real_mmap)(void *addr, size_t len, int prot, int flags, int fd, off_t off);
static void *(*fl_real_mmap64)(void *addr, size_t len, int prot, int flags, int fd, off64_t off);
static int (*fl_real_munmap)(void *addr, size_t len);

_Static_assert(sizeof(off_t) == sizeof(off64_t), "mmap and mmap64 take the same offset here");

/* Whether tracking looks at an mmap: a shared writable mapping of a file, or MAP_FIXED (which
 * may replace one). */
static bool mmap_watched(int prot, int flags, int fd)
{
    return (flags & MAP_SHARED && prot & PROT_WRITE && fd >= 0) || flags & MAP_FIXED;
}

FL_EXPORT void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
    FL_RESOLVE(mmap);
    if (__builtin_expect(!fl_durable_on, 1) || !mmap_watched(prot, flags, fd))
        return fl_real_mmap(addr, len, prot, flags, fd, off);
    return fl_durable_mmap(fl_real_mmap, addr, len, prot, flags, fd, off);
}

FL_EXPORT void *mmap64(void *addr, size_t len, int prot, int flags, int fd, off64_t off)
{
    FL_RESOLVE(mmap64);
    if (__builtin_expect(!fl_durable_on, 1) || !mmap_watched(prot, flags, fd))
        return fl_real_mmap64(addr, len, prot, flags, fd, off);
    return fl_durable_mmap(fl_real_mmap64, addr, len, prot, flags, fd, off);
}

FL_EXPORT int munmap(void *addr, size_t len)
{
    FL_RESOLVE(munmap);
    if (__builtin_expect(!fl_durable_on, 1))
        return fl_real_munmap(addr, len);
    int r = fl_real_munmap(addr, len);
    if (r == 0)
        fl_durable_munmap(addr, len);
    return r;
}

/* ---- the resolver: EAI_* codes and h_errno -------------------------------------------------- */

static int (*fl_real_getaddrinfo)(const char *node, const char *service,
                                  const struct addrinfo *hints, struct addrinfo **res);
static int (*fl_real_getnameinfo)(const struct sockaddr *sa, socklen_t salen, char *host,
                                  socklen_t hostlen, char *serv, socklen_t servlen, int flags);
static struct hostent *(*fl_real_gethostbyname)(const char *name);
static struct hostent *(*fl_real_gethostbyname2)(const char *name, int af);
static int (*fl_real_gethostbyname_r)(const char *name, struct hostent *ret, char *buf,
                                      size_t buflen, struct hostent **result, int *h_errnop);
static int (*fl_real_gethostbyname2_r)(const char *name, int af, struct hostent *ret, char *buf,
                                       size_t buflen, struct hostent **result, int *h_errnop);
static struct hostent *(*fl_real_gethostbyaddr)(const void *addr, socklen_t len, int type);
static int (*fl_real_gethostbyaddr_r)(const void *addr, socklen_t len, int type,
                                      struct hostent *ret, char *buf, size_t buflen,
                                      struct hostent **result, int *h_errnop);

/* The slow path's first half for the resolver: FL_FAIL, FL_RUN or FL_PASS. */
static enum fl_step dns_begin(struct fl_call_ctx *c, enum fl_sym_id sym, enum fl_call_id call,
                              const char *host)
{
    fl_ctx_init(c, call, sym, -1, NULL, 0, NULL);
    c->host = host;
    return fl_begin(c);
}

/* h_errno for an injected error: errno values are NETDB_INTERNAL (errno is set). */
static int herrno_of(int error)
{
    switch (error) {
    case EAI_AGAIN: return TRY_AGAIN;
    case EAI_NONAME: return HOST_NOT_FOUND;
    case EAI_NODATA: return NO_DATA;
    default: return error > 0 ? NETDB_INTERNAL : NO_RECOVERY;
    }
}

/* What the _r forms return for an injected error, with *h_errnop set. */
static int herrno_r(int error, struct hostent **result, int *h_errnop)
{
    *result = NULL;
    *h_errnop = herrno_of(error);
    if (error > 0)
        return error;
    /* as glibc: "not found" is a success that found nothing; "try again" is EAGAIN */
    switch (*h_errnop) {
    case TRY_AGAIN: return EAGAIN;
    case NO_RECOVERY: return ENOENT;
    default: return 0;
    }
}

FL_EXPORT int getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
                          struct addrinfo **res)
{
    FL_RESOLVE(getaddrinfo);
    struct fl_call_ctx c;
    enum fl_step step = ARMED(getaddrinfo)
                            ? dns_begin(&c, FL_SYM_getaddrinfo, FL_CALL_getaddrinfo, node)
                            : FL_PASS;
    if (step == FL_FAIL)
        return c.v.error < 0 ? c.v.error : EAI_SYSTEM;
    int r = fl_real_getaddrinfo(node, service, hints, res);
    if (step == FL_RUN)
        fl_after(&c, r);
    return r;
}

FL_EXPORT int getnameinfo(const struct sockaddr *sa, socklen_t salen, char *host,
                          socklen_t hostlen, char *serv, socklen_t servlen, int flags)
{
    FL_RESOLVE(getnameinfo);
    struct fl_call_ctx c;
    enum fl_step step = ARMED(getnameinfo)
                            ? dns_begin(&c, FL_SYM_getnameinfo, FL_CALL_getnameinfo, NULL)
                            : FL_PASS;
    if (step == FL_FAIL)
        return c.v.error < 0 ? c.v.error : EAI_SYSTEM;
    int r = fl_real_getnameinfo(sa, salen, host, hostlen, serv, servlen, flags);
    if (step == FL_RUN)
        fl_after(&c, r);
    return r;
}

FL_EXPORT struct hostent *gethostbyname(const char *name)
{
    FL_RESOLVE(gethostbyname);
    struct fl_call_ctx c;
    enum fl_step step = ARMED(gethostbyname)
                            ? dns_begin(&c, FL_SYM_gethostbyname, FL_CALL_gethostbyname, name)
                            : FL_PASS;
    if (step == FL_FAIL) {
        h_errno = herrno_of(c.v.error);
        return NULL;
    }
    struct hostent *r = fl_real_gethostbyname(name);
    if (step == FL_RUN)
        fl_after(&c, r != NULL);
    return r;
}

FL_EXPORT struct hostent *gethostbyname2(const char *name, int af)
{
    FL_RESOLVE(gethostbyname2);
    struct fl_call_ctx c;
    enum fl_step step = ARMED(gethostbyname)
                            ? dns_begin(&c, FL_SYM_gethostbyname2, FL_CALL_gethostbyname, name)
                            : FL_PASS;
    if (step == FL_FAIL) {
        h_errno = herrno_of(c.v.error);
        return NULL;
    }
    struct hostent *r = fl_real_gethostbyname2(name, af);
    if (step == FL_RUN)
        fl_after(&c, r != NULL);
    return r;
}

FL_EXPORT int gethostbyname_r(const char *name, struct hostent *ret, char *buf, size_t buflen,
                              struct hostent **result, int *h_errnop)
{
    FL_RESOLVE(gethostbyname_r);
    struct fl_call_ctx c;
    enum fl_step step =
        ARMED(gethostbyname_r)
            ? dns_begin(&c, FL_SYM_gethostbyname_r, FL_CALL_gethostbyname_r, name)
            : FL_PASS;
    if (step == FL_FAIL)
        return herrno_r(c.v.error, result, h_errnop);
    int r = fl_real_gethostbyname_r(name, ret, buf, buflen, result, h_errnop);
    if (step == FL_RUN)
        fl_after(&c, r);
    return r;
}

FL_EXPORT int gethostbyname2_r(const char *name, int af, struct hostent *ret, char *buf,
                               size_t buflen, struct hostent **result, int *h_errnop)
{
    FL_RESOLVE(gethostbyname2_r);
    struct fl_call_ctx c;
    enum fl_step step =
        ARMED(gethostbyname_r)
            ? dns_begin(&c, FL_SYM_gethostbyname2_r, FL_CALL_gethostbyname_r, name)
            : FL_PASS;
    if (step == FL_FAIL)
        return herrno_r(c.v.error, result, h_errnop);
    int r = fl_real_gethostbyname2_r(name, af, ret, buf, buflen, result, h_errnop);
    if (step == FL_RUN)
        fl_after(&c, r);
    return r;
}

FL_EXPORT struct hostent *gethostbyaddr(const void *addr, socklen_t len, int type)
{
    FL_RESOLVE(gethostbyaddr);
    struct fl_call_ctx c;
    enum fl_step step = ARMED(gethostbyaddr)
                            ? dns_begin(&c, FL_SYM_gethostbyaddr, FL_CALL_gethostbyaddr, NULL)
                            : FL_PASS;
    if (step == FL_FAIL) {
        h_errno = herrno_of(c.v.error);
        return NULL;
    }
    struct hostent *r = fl_real_gethostbyaddr(addr, len, type);
    if (step == FL_RUN)
        fl_after(&c, r != NULL);
    return r;
}

FL_EXPORT int gethostbyaddr_r(const void *addr, socklen_t len, int type, struct hostent *ret,
                              char *buf, size_t buflen, struct hostent **result, int *h_errnop)
{
    FL_RESOLVE(gethostbyaddr_r);
    struct fl_call_ctx c;
    enum fl_step step = ARMED(gethostbyaddr)
                            ? dns_begin(&c, FL_SYM_gethostbyaddr_r, FL_CALL_gethostbyaddr, NULL)
                            : FL_PASS;
    if (step == FL_FAIL)
        return herrno_r(c.v.error, result, h_errnop);
    int r = fl_real_gethostbyaddr_r(addr, len, type, ret, buf, buflen, result, h_errnop);
    if (step == FL_RUN)
        fl_after(&c, r);
    return r;
}

/* ---- memory: the arena's pointers, and posix_memalign's returned error --------------------- */

static void *(*fl_real_realloc)(void *p, size_t n);
static void *(*fl_real_reallocarray)(void *p, size_t n, size_t size);
static int (*fl_real_posix_memalign)(void **out, size_t align, size_t n);
void (*fl_real_free)(void *p);

/* Move an arena block into the real heap (arena blocks are never freed). */
static void *from_arena(void *p, size_t n)
{
    void *q = malloc(n);
    if (q) {
        size_t old = fl_arena_size(p);
        memcpy(q, p, old < n ? old : n);
    }
    return q;
}

/* realloc and reallocarray share everything but the real function. */
static void *realloc_any(enum fl_sym_id sym, void *p, size_t n, size_t size)
{
    size_t total = sym == FL_SYM_realloc ? n : fl_mul_sat(n, size);
    enum fl_call_id call = sym == FL_SYM_realloc ? FL_CALL_realloc : FL_CALL_reallocarray;
    if (p && fl_arena_owns(p))
        return total == SIZE_MAX ? (errno = ENOMEM, NULL) : from_arena(p, total);
    struct fl_call_ctx c;
    fl_ctx_init(&c, call, sym, -1, NULL, total, NULL);
    enum fl_step step = fl_call_armed(call) ? fl_begin(&c) : FL_PASS;
    if (step == FL_FAIL)
        return NULL;
    void *r = sym == FL_SYM_realloc ? fl_real_realloc(p, n) : fl_real_reallocarray(p, n, size);
    if (step == FL_RUN)
        fl_after(&c, r != NULL);
    return r;
}

FL_EXPORT void *realloc(void *p, size_t n)
{
    if (__builtin_expect(!fl_real_realloc, 0) &&
        !(fl_real_realloc = fl_resolve_alloc("realloc")))
        return p ? from_arena(p, n) : fl_arena_alloc(n, 16);
    if (__builtin_expect(!p || !fl_arena_owns(p), 1) && !ARMED(realloc))
        return fl_real_realloc(p, n);
    return realloc_any(FL_SYM_realloc, p, n, 1);
}

FL_EXPORT void *reallocarray(void *p, size_t n, size_t size)
{
    if (__builtin_expect(!fl_real_reallocarray, 0) &&
        !(fl_real_reallocarray = fl_resolve_alloc("reallocarray")))
        return p ? from_arena(p, fl_mul_sat(n, size)) : fl_arena_alloc(fl_mul_sat(n, size), 16);
    if (__builtin_expect(!p || !fl_arena_owns(p), 1) && !ARMED(reallocarray))
        return fl_real_reallocarray(p, n, size);
    return realloc_any(FL_SYM_reallocarray, p, n, size);
}

FL_EXPORT int posix_memalign(void **out, size_t align, size_t n)
{
    if (__builtin_expect(!fl_real_posix_memalign, 0) &&
        !(fl_real_posix_memalign = fl_resolve_alloc("posix_memalign"))) {
        *out = fl_arena_alloc(n, align);
        return *out ? 0 : ENOMEM;
    }
    if (!ARMED(posix_memalign))
        return fl_real_posix_memalign(out, align, n);
    int saved = errno;
    FL_CTX(c, posix_memalign, posix_memalign, -1, NULL, n, NULL);
    enum fl_step step = fl_begin(&c);
    if (step == FL_FAIL) {
        errno = saved; /* posix_memalign returns its error and leaves errno alone */
        return c.v.error;
    }
    int r = fl_real_posix_memalign(out, align, n);
    if (step == FL_RUN)
        fl_after(&c, r == 0);
    return r;
}

/* free is never a fault: it is here for the arena's blocks, which stay where they are. */
/* free before the real one is known: resolve it, or leak the block while resolving free
 * itself rather than guess. */
static __attribute__((noinline, cold)) void boot_free(void *p)
{
    if ((fl_real_free = fl_resolve_alloc("free")))
        fl_real_free(p);
}

FL_EXPORT void free(void *p)
{
    if (__builtin_expect(fl_arena_owns(p), 0))
        return;
    if (__builtin_expect(!fl_real_free, 0))
        return boot_free(p);
    fl_real_free(p);
}

void fl_resolve_hand(void)
{
    FL_RESOLVE(open);
    FL_RESOLVE(open64);
    FL_RESOLVE(openat);
    FL_RESOLVE(openat64);
    FL_RESOLVE(close);
    FL_RESOLVE(fclose);
    FL_RESOLVE(close_range);
    FL_RESOLVE(connect);
    FL_RESOLVE(accept);
    FL_RESOLVE(accept4);
    FL_RESOLVE(dup);
    FL_RESOLVE(dup2);
    FL_RESOLVE(dup3);
    FL_RESOLVE(fcntl);
    FL_RESOLVE(fcntl64);
    FL_RESOLVE(vfprintf);
    FL_RESOLVE(__vfprintf_chk);
    FL_RESOLVE(vfscanf);
    FL_RESOLVE(__isoc99_vfscanf);
    FL_RESOLVE(recvmmsg);
    FL_RESOLVE(sendmmsg);
    FL_RESOLVE(posix_fallocate);
    FL_RESOLVE(posix_fallocate64);
    FL_RESOLVE(sync);
    FL_RESOLVE(ioctl);
    FL_RESOLVE(syscall);
    FL_RESOLVE(mmap);
    FL_RESOLVE(mmap64);
    FL_RESOLVE(munmap);
    FL_RESOLVE(getaddrinfo);
    FL_RESOLVE(getnameinfo);
    FL_RESOLVE(gethostbyname);
    FL_RESOLVE(gethostbyname2);
    FL_RESOLVE(gethostbyname_r);
    FL_RESOLVE(gethostbyname2_r);
    FL_RESOLVE(gethostbyaddr);
    FL_RESOLVE(gethostbyaddr_r);
    FL_RESOLVE(realloc);
    FL_RESOLVE(reallocarray);
    FL_RESOLVE(posix_memalign);
    FL_RESOLVE(free);
}
