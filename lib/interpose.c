/* The wrappers generated from calls.def: one whole function per table row.
 *
 * Every wrapper has the same two paths. Fast: resolve the real function once, ask "is any armed
 * rule on this call?" (a relaxed load) and tail-call the real function. Slow: fl_begin decides
 * (sleeps a delay, records an error): an error returns the call's failure value with errno
 * set; anything else runs the real call and records the event. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/select.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

/* glibc defines these as macros when optimising; the wrappers need the functions' names. */
#undef fread_unlocked
#undef fwrite_unlocked
#undef getc
#undef getc_unlocked
#undef getchar
#undef getchar_unlocked
#undef fgetc_unlocked

#include "action.h"
#include "fdtable.h"
#include "hint.h"
#include "interpose.h"
#include "real.h"

/* The real call of a slow path, between fl_track_before and fl_track_after while durability is
 * tracked (FL_TRACKED, interpose.h). */
#define FL_REAL(c, sym, args) FL_TRACKED(c, fl_real_##sym args)

/* The slow path of one wrapper, out of line so that the fast path needs no stack frame. `fail`
 * is the call's failure value; fd, path, size and stream describe the call to the rules and the
 * log; statements after them complete the context c_ (FL_SYM_FILE's range and flags). */
#define FL_SLOW(sym, call, ret, fail, params, args, fd, path, size, stream, ...)               \
    __attribute__((noinline, cold)) static ret fl_slow_##sym params                            \
    {                                                                                          \
        FL_CTX(c_, sym, call, fd, path, size, stream);                                         \
        __VA_ARGS__;                                                                           \
        enum fl_step step_ = fl_begin(&c_);                                                    \
        if (step_ == FL_PASS)                                                                  \
            return FL_REAL(c_, sym, args);                                                         \
        if (step_ == FL_FAIL)                                                                  \
            return fail;                                                                       \
        if (step_ == FL_ACT && c_.v.action == FL_ACT_DROP) { /* a sync that syncs nothing */   \
            fl_after(&c_, 0);                                                                  \
            return 0;                                                                          \
        }                                                                                      \
        ret r_ = FL_REAL(c_, sym, args);                                                           \
        fl_after(&c_, FL_RESULT(r_));                                                          \
        return r_;                                                                             \
    }

/* A wrapper called before its real function is known: resolve it (fl_resolve aborts when there
 * is none), then call the wrapper again. Out of line, so that the fast path, whose every branch
 * is then a tail call, saves no register. */
#define FL_BOOT(ret, sym, params, args)                                                        \
    static __attribute__((noinline, cold)) ret fl_boot_##sym params                            \
    {                                                                                          \
        FL_RESOLVE(sym);                                                                       \
        return sym args;                                                                       \
    }

/* The first thing a wrapper does. */
#define FL_RESOLVE_FIRST(sym, args)                                                            \
    do {                                                                                       \
        if (__builtin_expect(!__atomic_load_n(&fl_real_##sym, __ATOMIC_RELAXED), 0))           \
            return fl_boot_##sym args;                                                         \
    } while (0)

/* The exported fast path of a wrapper whose slow path is fl_slow_<sym>: resolve the real
 * function on the first call, ask whether an armed rule covers the call (a relaxed load), and
 * tail-call the slow path or the real function. */
#define FL_FAST(ret, sym, call, params, args)                                                  \
    FL_EXPORT ret sym params;                                                                  \
    FL_BOOT(ret, sym, params, args)                                                            \
    FL_EXPORT ret sym params                                                                   \
    {                                                                                          \
        FL_RESOLVE_FIRST(sym, args);                                                           \
        if (__builtin_expect(fl_call_armed(FL_CALL_##call), 0))                                \
            return fl_slow_##sym args;                                                         \
        return fl_real_##sym args;                                                             \
    }

/* FL_FAST for a stdio call that notes its use first (the summary's hint: hint.h). */
#define FL_FAST_NOTED(ret, sym, call, params, args)                                            \
    FL_EXPORT ret sym params;                                                                  \
    FL_BOOT(ret, sym, params, args)                                                            \
    FL_EXPORT ret sym params                                                                   \
    {                                                                                          \
        FL_RESOLVE_FIRST(sym, args);                                                           \
        fl_note_use(FL_CALL_##call);                                                           \
        if (__builtin_expect(fl_call_armed(FL_CALL_##call), 0))                                \
            return fl_slow_##sym args;                                                         \
        return fl_real_##sym args;                                                             \
    }

/* One wrapper: the real-function pointer, the slow path, and the exported fast path. */
#define FL_WRAP(sym, call, ret, fail, params, args, fd, path, size, stream)                    \
    ret (*fl_real_##sym) params;                                                               \
    FL_SLOW(sym, call, ret, fail, params, args, fd, path, size, stream)                        \
    FL_FAST(ret, sym, call, params, args)

#define FL_SYM_HAND(sym, call)
/* The byte-moving shapes apply partial, eof, corrupt and drop themselves. */
#define FL_SYM_READ(sym, call, params, args, fd, buf, n, flags)                                \
    ssize_t (*fl_real_##sym) params;                                                           \
    __attribute__((noinline, cold)) static ssize_t fl_slow_##sym params                        \
    {                                                                                          \
        FL_CTX(c_, sym, call, fd, NULL, n, NULL);                                              \
        c_.msg_flags = (flags);                                                                \
        enum fl_step step_ = fl_begin(&c_);                                                    \
        if (step_ == FL_PASS)                                                                  \
            return fl_real_##sym args;                                                         \
        if (step_ == FL_FAIL)                                                                  \
            return -1;                                                                         \
        enum fl_action act_ = step_ == FL_ACT ? c_.v.action : FL_ACT_DELAY;                    \
        if (act_ == FL_ACT_EOF) {                                                              \
            fl_after(&c_, 0);                                                                  \
            return 0;                                                                          \
        }                                                                                      \
        if (act_ == FL_ACT_PARTIAL)                                                            \
            n = fl_partial_count(&c_, n);                                                      \
        ssize_t r_ = fl_real_##sym args;                                                       \
        if (act_ == FL_ACT_CORRUPT && r_ > 0)                                                  \
            fl_corrupt(&c_, buf, (size_t)r_);                                                  \
        fl_after(&c_, r_);                                                                     \
        return r_;                                                                             \
    }                                                                                          \
    FL_FAST(ssize_t, sym, call, params, args)

#define FL_SYM_WRITE(sym, call, params, args, fd, buf, n, flags, off)                          \
    ssize_t (*fl_real_##sym) params;                                                           \
    __attribute__((noinline, cold)) static ssize_t fl_slow_##sym params                        \
    {                                                                                          \
        FL_CTX(c_, sym, call, fd, NULL, n, NULL);                                              \
        c_.msg_flags = (flags);                                                                \
        c_.offset = (off);                                                                     \
        enum fl_step step_ = fl_begin(&c_);                                                    \
        if (step_ == FL_PASS)                                                                  \
            return FL_REAL(c_, sym, args);                                                         \
        if (step_ == FL_FAIL)                                                                  \
            return -1;                                                                         \
        enum fl_action act_ = step_ == FL_ACT ? c_.v.action : FL_ACT_DELAY;                    \
        void *copy_ = NULL;                                                                    \
        if (act_ == FL_ACT_DROP) { /* a lost write: success, and nothing written */            \
            fl_drop_write(&c_, n);                                                             \
            fl_after(&c_, (long)n);                                                            \
            return (ssize_t)n;                                                                 \
        }                                                                                      \
        if (act_ == FL_ACT_PARTIAL)                                                            \
            n = fl_partial_count(&c_, n);                                                      \
        if (act_ == FL_ACT_CORRUPT && (copy_ = fl_corrupt_copy(&c_, buf, n)))                  \
            buf = copy_;                                                                       \
        ssize_t r_ = FL_REAL(c_, sym, args);                                                       \
        fl_release(copy_);                                                                     \
        fl_after(&c_, r_);                                                                     \
        return r_;                                                                             \
    }                                                                                          \
    FL_FAST(ssize_t, sym, call, params, args)

#define FL_SYM_READV(sym, call, params, args, fd, iov, cnt)                                    \
    ssize_t (*fl_real_##sym) params;                                                           \
    __attribute__((noinline, cold)) static ssize_t fl_slow_##sym params                        \
    {                                                                                          \
        FL_CTX(c_, sym, call, fd, NULL, fl_iov_len(iov, (size_t)cnt), NULL);                     \
        enum fl_step step_ = fl_begin(&c_);                                                    \
        if (step_ == FL_PASS)                                                                  \
            return fl_real_##sym args;                                                         \
        if (step_ == FL_FAIL)                                                                  \
            return -1;                                                                         \
        enum fl_action act_ = step_ == FL_ACT ? c_.v.action : FL_ACT_DELAY;                    \
        struct iovec short_[FL_IOV_SHORT];                                                     \
        const struct iovec *orig_ = iov;                                                       \
        if (act_ == FL_ACT_EOF) {                                                              \
            fl_after(&c_, 0);                                                                  \
            return 0;                                                                          \
        }                                                                                      \
        if (act_ == FL_ACT_PARTIAL)                                                            \
            cnt = (int)fl_partial_iov(&c_, &iov, (size_t)cnt, short_);                         \
        ssize_t r_ = fl_real_##sym args;                                                       \
        if (act_ == FL_ACT_CORRUPT && r_ > 0)                                                  \
            fl_corrupt_iov(&c_, orig_, (size_t)r_);                                            \
        fl_after(&c_, r_);                                                                     \
        return r_;                                                                             \
    }                                                                                          \
    FL_FAST(ssize_t, sym, call, params, args)

#define FL_SYM_WRITEV(sym, call, params, args, fd, iov, cnt, off)                              \
    ssize_t (*fl_real_##sym) params;                                                           \
    __attribute__((noinline, cold)) static ssize_t fl_slow_##sym params                        \
    {                                                                                          \
        FL_CTX(c_, sym, call, fd, NULL, fl_iov_len(iov, (size_t)cnt), NULL);                     \
        c_.offset = (off);                                                                     \
        enum fl_step step_ = fl_begin(&c_);                                                    \
        if (step_ == FL_PASS)                                                                  \
            return FL_REAL(c_, sym, args);                                                         \
        if (step_ == FL_FAIL)                                                                  \
            return -1;                                                                         \
        enum fl_action act_ = step_ == FL_ACT ? c_.v.action : FL_ACT_DELAY;                    \
        struct iovec short_[FL_IOV_SHORT];                                                     \
        void *flat_ = NULL;                                                                    \
        if (act_ == FL_ACT_DROP) {                                                             \
            fl_drop_write(&c_, c_.m.size);                                                     \
            fl_after(&c_, (long)c_.m.size);                                                    \
            return (ssize_t)c_.m.size;                                                         \
        }                                                                                      \
        if (act_ == FL_ACT_PARTIAL)                                                            \
            cnt = (int)fl_partial_iov(&c_, &iov, (size_t)cnt, short_);                         \
        if (act_ == FL_ACT_CORRUPT && (flat_ = fl_flatten(iov, (size_t)cnt, c_.m.size))) {     \
            fl_corrupt(&c_, flat_, c_.m.size);                                                 \
            short_[0] = (struct iovec){flat_, c_.m.size};                                      \
            iov = short_;                                                                      \
            cnt = 1;                                                                           \
        }                                                                                      \
        ssize_t r_ = FL_REAL(c_, sym, args);                                                       \
        fl_release(flat_);                                                                     \
        fl_after(&c_, r_);                                                                     \
        return r_;                                                                             \
    }                                                                                          \
    FL_FAST(ssize_t, sym, call, params, args)

#define FL_SYM_RECVMSG(sym, call, params, args, fd, msg, flags)                                \
    ssize_t (*fl_real_##sym) params;                                                           \
    __attribute__((noinline, cold)) static ssize_t fl_slow_##sym params                        \
    {                                                                                          \
        FL_CTX(c_, \
              sym, call, fd, NULL, fl_iov_len(msg->msg_iov, msg->msg_iovlen), NULL);      \
        c_.msg_flags = (flags);                                                                \
        enum fl_step step_ = fl_begin(&c_);                                                    \
        if (step_ == FL_PASS)                                                                  \
            return fl_real_##sym args;                                                         \
        if (step_ == FL_FAIL)                                                                  \
            return -1;                                                                         \
        enum fl_action act_ = step_ == FL_ACT ? c_.v.action : FL_ACT_DELAY;                    \
        struct iovec short_[FL_IOV_SHORT];                                                     \
        struct msghdr copy_, *orig_ = msg;                                                     \
        if (act_ == FL_ACT_EOF) {                                                              \
            fl_after(&c_, 0);                                                                  \
            return 0;                                                                          \
        }                                                                                      \
        if (act_ == FL_ACT_PARTIAL) { /* address and ancillary data stay as asked */           \
            const struct iovec *v_ = msg->msg_iov;                                             \
            size_t n_ = fl_partial_iov(&c_, &v_, msg->msg_iovlen, short_);                     \
            if (v_ != msg->msg_iov) {                                                          \
                copy_ = *msg;                                                                  \
                copy_.msg_iov = short_;                                                        \
                copy_.msg_iovlen = n_;                                                         \
                msg = &copy_;                                                                  \
            }                                                                                  \
        }                                                                                      \
        ssize_t r_ = fl_real_##sym args;                                                       \
        if (msg != orig_) { /* what the kernel reports goes back to the program */             \
            orig_->msg_namelen = msg->msg_namelen;                                             \
            orig_->msg_controllen = msg->msg_controllen;                                       \
            orig_->msg_flags = msg->msg_flags;                                                 \
        }                                                                                      \
        if (act_ == FL_ACT_CORRUPT && r_ > 0)                                                  \
            fl_corrupt_iov(&c_, orig_->msg_iov, (size_t)r_);                                   \
        fl_after(&c_, r_);                                                                     \
        return r_;                                                                             \
    }                                                                                          \
    FL_FAST(ssize_t, sym, call, params, args)

#define FL_SYM_SENDMSG(sym, call, params, args, fd, msg, flags)                                \
    ssize_t (*fl_real_##sym) params;                                                           \
    __attribute__((noinline, cold)) static ssize_t fl_slow_##sym params                        \
    {                                                                                          \
        FL_CTX(c_, \
              sym, call, fd, NULL, fl_iov_len(msg->msg_iov, msg->msg_iovlen), NULL);      \
        c_.msg_flags = (flags);                                                                \
        enum fl_step step_ = fl_begin(&c_);                                                    \
        if (step_ == FL_PASS)                                                                  \
            return fl_real_##sym args;                                                         \
        if (step_ == FL_FAIL)                                                                  \
            return -1;                                                                         \
        enum fl_action act_ = step_ == FL_ACT ? c_.v.action : FL_ACT_DELAY;                    \
        struct iovec short_[FL_IOV_SHORT];                                                     \
        struct msghdr copy_ = *msg;                                                            \
        void *flat_ = NULL;                                                                    \
        if (act_ == FL_ACT_DROP) {                                                             \
            fl_after(&c_, (long)c_.m.size);                                                    \
            return (ssize_t)c_.m.size;                                                         \
        }                                                                                      \
        if (act_ == FL_ACT_PARTIAL) { /* address and ancillary data stay as asked */           \
            const struct iovec *v_ = msg->msg_iov;                                             \
            size_t n_ = fl_partial_iov(&c_, &v_, msg->msg_iovlen, short_);                     \
            if (v_ != msg->msg_iov) {                                                          \
                copy_ = *msg;                                                                  \
                copy_.msg_iov = short_;                                                        \
                copy_.msg_iovlen = n_;                                                         \
                msg = &copy_;                                                                  \
            }                                                                                  \
        }                                                                                      \
        if (act_ == FL_ACT_CORRUPT &&                                                          \
            (flat_ = fl_flatten(msg->msg_iov, msg->msg_iovlen, c_.m.size))) {                  \
            fl_corrupt(&c_, flat_, c_.m.size);                                                 \
            short_[0] = (struct iovec){flat_, c_.m.size};                                      \
            copy_.msg_iov = short_;                                                            \
            copy_.msg_iovlen = 1;                                                              \
            msg = &copy_;                                                                      \
        }                                                                                      \
        ssize_t r_ = fl_real_##sym args;                                                       \
        fl_release(flat_);                                                                     \
        fl_after(&c_, r_);                                                                     \
        return r_;                                                                             \
    }                                                                                          \
    FL_FAST(ssize_t, sym, call, params, args)

#define FL_SYM_XFER(sym, call, params, args, fd, n, outoff)                                    \
    ssize_t (*fl_real_##sym) params;                                                           \
    __attribute__((noinline, cold)) static ssize_t fl_slow_##sym params                        \
    {                                                                                          \
        FL_CTX(c_, sym, call, fd, NULL, n, NULL);                                              \
        c_.offset = (outoff);                                                                  \
        enum fl_step step_ = fl_begin(&c_);                                                    \
        if (step_ == FL_PASS)                                                                  \
            return FL_REAL(c_, sym, args);                                                         \
        if (step_ == FL_FAIL)                                                                  \
            return -1;                                                                         \
        enum fl_action act_ = step_ == FL_ACT ? c_.v.action : FL_ACT_DELAY;                    \
        if (act_ == FL_ACT_PARTIAL)                                                            \
            n = fl_partial_count(&c_, n);                                                      \
        ssize_t r_ = FL_REAL(c_, sym, args);                                                       \
        fl_after(&c_, r_);                                                                     \
        return r_;                                                                             \
    }                                                                                          \
    FL_FAST(ssize_t, sym, call, params, args)

#define FL_SYM_FD(sym, call, ret, fail, params, args, fd)                                      \
    FL_WRAP(sym, call, ret, fail, params, args, fd, NULL, 0, NULL)

/* A call on a file's bytes, size or durability with a range: FL_SYM_FD with the range and flags
 * kept for durability tracking. */
#define FL_SYM_FILE(sym, call, params, args, fd, off, len, flags)                              \
    int (*fl_real_##sym) params;                                                               \
    FL_SLOW(sym, call, int, -1, params, args, fd, NULL, 0, NULL, c_.arg_off = (long long)(off); \
            c_.arg_len = (long long)(len); c_.call_flags = (int)(flags))                       \
    FL_FAST(int, sym, call, params, args)

/* The @wait calls: a delay lasts at most the call's own timeout (then the call returns 0 with
 * nothing ready, as a peer too slow for it would make it), and the real call waits only what is
 * left of it. */
#define FL_WAIT_TIMEOUT_MS(t) fl_timeout_ms(t)
#define FL_WAIT_TIMEOUT_TS(t) fl_timeout_ts(t)
#define FL_WAIT_TIMEOUT_TV(t) fl_timeout_tv(t)
#define FL_WAIT_LEFT_MS(t, slept) t = fl_timeout_ms_left(t, slept)
#define FL_WAIT_LEFT_TS(t, slept)                                                              \
    struct timespec left_;                                                                     \
    if (t) {                                                                                   \
        left_ = fl_timeout_ts_left(t, slept);                                                  \
        t = &left_;                                                                            \
    }
#define FL_WAIT_LEFT_TV(t, slept) fl_timeout_tv_left(t, slept)
#define FL_SYM_WAIT(sym, call, params, args, fd, kind, t, mask, none)                         \
    int (*fl_real_##sym) params;                                                               \
    __attribute__((noinline, cold)) static int fl_slow_##sym params                            \
    {                                                                                          \
        FL_CTX(c_, sym, call, fd, NULL, 0, NULL);                                              \
        c_.timeout_ns = FL_WAIT_TIMEOUT_##kind(t);                                             \
        c_.wait_mask = (mask);                                                                 \
        enum fl_step step_ = fl_begin(&c_);                                                    \
        if (step_ == FL_PASS)                                                                  \
            return fl_real_##sym args;                                                         \
        if (step_ == FL_FAIL)                                                                  \
            return -1;                                                                         \
        if (step_ == FL_TIMEOUT) {                                                             \
            none;                                                                              \
            return 0;                                                                          \
        }                                                                                      \
        FL_WAIT_LEFT_##kind(t, c_.slept_ns);                                                   \
        int r_ = fl_real_##sym args;                                                           \
        fl_after(&c_, r_);                                                                     \
        return r_;                                                                             \
    }                                                                                          \
    FL_FAST(int, sym, call, params, args)
/* The fd that an open-like call returned: an fd, or the fd under a FILE *. */
#define FL_OPENED_FD(r)                                                                        \
    (__builtin_classify_type(r) == 5 ? fl_stream_fd((FILE *)(uintptr_t)(r)) : (int)(intptr_t)(r))

/* Open-like calls: matched on their path (relative to `at`, AT_FDCWD or a directory fd), and
 * they record what they opened while fds are tracked. */
#define FL_SYM_PATH(sym, call, ret, fail, params, args, path, at, oflags)                      \
    ret (*fl_real_##sym) params;                                                               \
    __attribute__((noinline, cold)) static ret fl_slow_##sym params                            \
    {                                                                                          \
        FL_CTX(c_, sym, call, -1, path, 0, NULL);                                              \
        c_.dirfd = (at);                                                                       \
        c_.call_flags = (oflags);                                                              \
        enum fl_step step_ = fl_call_armed(FL_CALL_##call) ? fl_begin(&c_) : FL_PASS;          \
        if (step_ == FL_FAIL)                                                                  \
            return fail;                                                                       \
        ret r_ = FL_REAL(c_, sym, args);                                                           \
        if (fl_fd_tracking && r_ != (fail))                                                    \
            fl_fd_opened(FL_OPENED_FD(r_), at, path);                                          \
        if (step_ != FL_PASS)                                                                  \
            fl_after(&c_, FL_RESULT(r_));                                                      \
        return r_;                                                                             \
    }                                                                                          \
    FL_EXPORT ret sym params;                                                                  \
    FL_BOOT(ret, sym, params, args)                                                            \
    FL_EXPORT ret sym params                                                                   \
    {                                                                                          \
        FL_RESOLVE_FIRST(sym, args);                                                           \
        if (__builtin_expect(fl_call_armed(FL_CALL_##call) | fl_fd_tracking, 0))               \
            return fl_slow_##sym args;                                                         \
        return fl_real_##sym args;                                                             \
    }
/* Calls on a name in the file system (rename, unlink, mkdir, truncate...): matched on that name,
 * relative to `at` (AT_FDCWD or a directory fd); they open nothing, so nothing is recorded. */
#define FL_SYM_NAME(sym, call, params, args, path, at, path2_, at2, flags, arg)                 \
    int (*fl_real_##sym) params;                                                               \
    __attribute__((noinline, cold)) static int fl_slow_##sym params                            \
    {                                                                                          \
        FL_CTX(c_, sym, call, -1, path, 0, NULL);                                              \
        c_.dirfd = (at);                                                                       \
        c_.path2 = (path2_);                                                                   \
        c_.dirfd2 = (at2);                                                                     \
        c_.call_flags = (int)(flags);                                                          \
        c_.arg_off = (long long)(arg);                                                         \
        enum fl_step step_ = fl_begin(&c_);                                                    \
        if (step_ == FL_PASS)                                                                  \
            return FL_REAL(c_, sym, args);                                                         \
        if (step_ == FL_FAIL)                                                                  \
            return -1;                                                                         \
        int r_ = FL_REAL(c_, sym, args);                                                           \
        fl_after(&c_, r_);                                                                     \
        return r_;                                                                             \
    }                                                                                          \
    FL_FAST(int, sym, call, params, args)
/* stdio: short counts, end of file, corruption and lost writes through a FILE. */
#define FL_SYM_FREAD(sym, call, params, args, stream, buf, size, n)                            \
    size_t (*fl_real_##sym) params;                                                            \
    __attribute__((noinline, cold)) static size_t fl_slow_##sym params                         \
    {                                                                                          \
        FL_CTX(c_, \
              sym, call, fl_stream_fd(stream), NULL, fl_mul_sat(size, n), stream);        \
        enum fl_step step_ = fl_begin(&c_);                                                    \
        if (step_ == FL_PASS)                                                                  \
            return fl_real_##sym args;                                                         \
        if (step_ == FL_FAIL)                                                                  \
            return 0;                                                                          \
        enum fl_action act_ = step_ == FL_ACT ? c_.v.action : FL_ACT_DELAY;                    \
        if (act_ == FL_ACT_EOF) {                                                              \
            fl_stream_flag(stream, _IO_EOF_SEEN);                                              \
            fl_after(&c_, 0);                                                                  \
            return 0;                                                                          \
        }                                                                                      \
        size_t asked_ = n;                                                                     \
        if (act_ == FL_ACT_PARTIAL)                                                            \
            n = fl_stdio_items(&c_, size, n);                                                  \
        size_t r_ = fl_real_##sym args;                                                        \
        if (act_ == FL_ACT_PARTIAL && r_ < asked_)                                             \
            fl_stream_short_read(stream);                                                      \
        if (act_ == FL_ACT_CORRUPT && r_ > 0)                                                  \
            fl_corrupt(&c_, buf, fl_mul_sat(r_, size));                                        \
        fl_after(&c_, (long)r_);                                                               \
        return r_;                                                                             \
    }                                                                                          \
    FL_FAST_NOTED(size_t, sym, call, params, args)

#define FL_SYM_FGETS(sym, call, params, args, stream, s, n)                                    \
    char * (*fl_real_##sym) params;                                                            \
    __attribute__((noinline, cold)) static char * fl_slow_##sym params                         \
    {                                                                                          \
        FL_CTX(c_, \
              sym, call, fl_stream_fd(stream), NULL, (size_t)(n > 0 ? n : 0), stream);    \
        enum fl_step step_ = fl_begin(&c_);                                                    \
        if (step_ == FL_PASS)                                                                  \
            return fl_real_##sym args;                                                         \
        if (step_ == FL_FAIL)                                                                  \
            return NULL;                                                                       \
        enum fl_action act_ = step_ == FL_ACT ? c_.v.action : FL_ACT_DELAY;                    \
        if (act_ == FL_ACT_EOF) {                                                              \
            fl_stream_flag(stream, _IO_EOF_SEEN);                                              \
            fl_after(&c_, 0);                                                                  \
            return NULL;                                                                       \
        }                                                                                      \
        int asked_ = n;                                                                        \
        if (act_ == FL_ACT_PARTIAL && n > 2) /* at most n - 1 characters are read */           \
            n = (int)fl_partial_count(&c_, (size_t)n - 1) + 1;                                 \
        char *r_ = fl_real_##sym args;                                                         \
        if (act_ == FL_ACT_PARTIAL && r_ && n < asked_ && !strchr(s, '\n'))                   \
            fl_stream_short_read(stream);                                                      \
        if (act_ == FL_ACT_CORRUPT && r_)                                                      \
            fl_corrupt(&c_, s, strlen(s));                                                     \
        fl_after(&c_, r_ ? (long)strlen(s) : 0);                                               \
        return r_;                                                                             \
    }                                                                                          \
    FL_FAST_NOTED(char *, sym, call, params, args)

/* One byte read: an error or eof returns EOF with the stream's error or end-of-file flag (the
 * error flag is set by fl_begin), corrupt flips a bit of the byte. */
#define FL_SYM_FGETC(sym, call, params, args, stream)                                          \
    int (*fl_real_##sym) params;                                                               \
    __attribute__((noinline, cold)) static int fl_slow_##sym params                            \
    {                                                                                          \
        FL_CTX(c_, sym, call, fl_stream_fd(stream), NULL, 1, stream);                          \
        enum fl_step step_ = fl_begin(&c_);                                                    \
        if (step_ == FL_PASS)                                                                  \
            return fl_real_##sym args;                                                         \
        if (step_ == FL_FAIL)                                                                  \
            return EOF;                                                                        \
        enum fl_action act_ = step_ == FL_ACT ? c_.v.action : FL_ACT_DELAY;                    \
        if (act_ == FL_ACT_EOF) {                                                              \
            fl_stream_flag(stream, _IO_EOF_SEEN);                                              \
            fl_after(&c_, EOF);                                                                \
            return EOF;                                                                        \
        }                                                                                      \
        int r_ = fl_real_##sym args;                                                           \
        if (act_ == FL_ACT_CORRUPT && r_ != EOF) {                                             \
            unsigned char byte_ = (unsigned char)r_;                                           \
            fl_corrupt(&c_, &byte_, 1);                                                        \
            r_ = byte_;                                                                        \
        }                                                                                      \
        fl_after(&c_, r_);                                                                     \
        return r_;                                                                             \
    }                                                                                          \
    FL_FAST_NOTED(int, sym, call, params, args)

/* A line read into *line (grown by the call): an error or eof returns -1 with the stream's
 * error or end-of-file flag, corrupt flips bits in the line returned (never its NUL). */
#define FL_SYM_GETLINE(sym, call, params, args, stream, line)                                  \
    ssize_t (*fl_real_##sym) params;                                                           \
    __attribute__((noinline, cold)) static ssize_t fl_slow_##sym params                        \
    {                                                                                          \
        FL_CTX(c_, sym, call, fl_stream_fd(stream), NULL, 0, stream);                          \
        enum fl_step step_ = fl_begin(&c_);                                                    \
        if (step_ == FL_PASS)                                                                  \
            return fl_real_##sym args;                                                         \
        if (step_ == FL_FAIL)                                                                  \
            return -1;                                                                         \
        enum fl_action act_ = step_ == FL_ACT ? c_.v.action : FL_ACT_DELAY;                    \
        if (act_ == FL_ACT_EOF) {                                                              \
            fl_stream_flag(stream, _IO_EOF_SEEN);                                              \
            fl_after(&c_, -1);                                                                 \
            return -1;                                                                         \
        }                                                                                      \
        ssize_t r_ = fl_real_##sym args;                                                       \
        if (act_ == FL_ACT_CORRUPT && r_ > 0)                                                  \
            fl_corrupt(&c_, *line, (size_t)r_);                                                \
        fl_after(&c_, r_);                                                                     \
        return r_;                                                                             \
    }                                                                                          \
    FL_FAST_NOTED(ssize_t, sym, call, params, args)

#define FL_SYM_FWRITE(sym, call, params, args, stream, buf, size, n)                           \
    size_t (*fl_real_##sym) params;                                                            \
    __attribute__((noinline, cold)) static size_t fl_slow_##sym params                         \
    {                                                                                          \
        FL_CTX(c_, \
              sym, call, fl_stream_fd(stream), NULL, fl_mul_sat(size, n), stream);        \
        enum fl_step step_ = fl_begin(&c_);                                                    \
        if (step_ == FL_PASS)                                                                  \
            return FL_REAL(c_, sym, args);                                                         \
        if (step_ == FL_FAIL)                                                                  \
            return 0;                                                                          \
        enum fl_action act_ = step_ == FL_ACT ? c_.v.action : FL_ACT_DELAY;                    \
        size_t want_ = n;                                                                      \
        void *copy_ = NULL;                                                                    \
        if (act_ == FL_ACT_DROP) { /* a lost write: success, and nothing written */            \
            fl_after(&c_, (long)n);                                                            \
            return n;                                                                          \
        }                                                                                      \
        if (act_ == FL_ACT_PARTIAL)                                                            \
            n = fl_stdio_items(&c_, size, n);                                                  \
        if (act_ == FL_ACT_CORRUPT &&                                                          \
            (copy_ = fl_corrupt_copy(&c_, buf, fl_mul_sat(size, n))))                          \
            buf = copy_;                                                                       \
        size_t r_ = FL_REAL(c_, sym, args);                                                        \
        fl_release(copy_);                                                                     \
        if (act_ == FL_ACT_PARTIAL && r_ < want_) /* short: a failed fwrite, says the flag */  \
            fl_stream_short(stream);                                                           \
        fl_after(&c_, (long)r_);                                                               \
        return r_;                                                                             \
    }                                                                                          \
    FL_FAST_NOTED(size_t, sym, call, params, args)

#define FL_SYM_FPUTS(sym, call, params, args, stream, s, newline)                              \
    int (*fl_real_##sym) params;                                                               \
    __attribute__((noinline, cold)) static int fl_slow_##sym params                            \
    {                                                                                          \
        FL_CTX(c_, \
              sym, call, fl_stream_fd(stream), NULL, strlen(s) + (newline), stream);      \
        enum fl_step step_ = fl_begin(&c_);                                                    \
        if (step_ == FL_PASS)                                                                  \
            return FL_REAL(c_, sym, args);                                                         \
        if (step_ == FL_FAIL)                                                                  \
            return EOF;                                                                        \
        enum fl_action act_ = step_ == FL_ACT ? c_.v.action : FL_ACT_DELAY;                    \
        size_t len_ = strlen(s);                                                               \
        char *copy_ = NULL;                                                                    \
        if (act_ == FL_ACT_DROP) {                                                             \
            fl_after(&c_, (long)(len_ + (newline)));                                           \
            return 1;                                                                          \
        }                                                                                      \
        if (act_ == FL_ACT_PARTIAL && len_ > 1) { /* a prefix goes out, then the call fails */ \
            size_t done_ = fl_real_fwrite(s, 1, fl_partial_count(&c_, len_), stream);          \
            fl_stream_short(stream);                                                           \
            fl_after(&c_, (long)done_);                                                        \
            return EOF;                                                                        \
        }                                                                                      \
        if (act_ == FL_ACT_CORRUPT && (copy_ = fl_corrupt_string(&c_, s)))                     \
            s = copy_;                                                                         \
        int r_ = FL_REAL(c_, sym, args);                                                           \
        fl_release(copy_);                                                                     \
        fl_after(&c_, r_);                                                                     \
        return r_;                                                                             \
    }                                                                                          \
    FL_FAST_NOTED(int, sym, call, params, args)

#define FL_SYM_FPUTC(sym, call, params, args, stream, ch)                                      \
    int (*fl_real_##sym) params;                                                               \
    __attribute__((noinline, cold)) static int fl_slow_##sym params                            \
    {                                                                                          \
        FL_CTX(c_, sym, call, fl_stream_fd(stream), NULL, 1, stream);                          \
        enum fl_step step_ = fl_begin(&c_);                                                    \
        if (step_ == FL_PASS)                                                                  \
            return FL_REAL(c_, sym, args);                                                         \
        if (step_ == FL_FAIL)                                                                  \
            return EOF;                                                                        \
        enum fl_action act_ = step_ == FL_ACT ? c_.v.action : FL_ACT_DELAY;                    \
        if (act_ == FL_ACT_DROP) {                                                             \
            fl_after(&c_, 1);                                                                  \
            return (unsigned char)(ch);                                                        \
        }                                                                                      \
        if (act_ == FL_ACT_CORRUPT) {                                                          \
            unsigned char byte_ = (unsigned char)(ch);                                         \
            fl_corrupt(&c_, &byte_, 1);                                                        \
            ch = byte_;                                                                        \
        }                                                                                      \
        int r_ = FL_REAL(c_, sym, args);                                                           \
        fl_after(&c_, r_);                                                                     \
        return r_;                                                                             \
    }                                                                                          \
    FL_FAST_NOTED(int, sym, call, params, args)

#define FL_SYM_FFLUSH(sym, call, params, args, stream)                                         \
    int (*fl_real_##sym) params;                                                               \
    __attribute__((noinline, cold)) static int fl_slow_##sym params                            \
    {                                                                                          \
        FL_CTX(c_, sym, call, fl_stream_fd(stream), NULL, 0, stream);                          \
        enum fl_step step_ = fl_begin(&c_);                                                    \
        if (step_ == FL_PASS)                                                                  \
            return FL_REAL(c_, sym, args);                                                         \
        if (step_ == FL_FAIL)                                                                  \
            return EOF;                                                                        \
        enum fl_action act_ = step_ == FL_ACT ? c_.v.action : FL_ACT_DELAY;                    \
        if (act_ == FL_ACT_DROP) { /* the buffered bytes are lost, as if written */            \
            if (stream)                                                                        \
                __fpurge(stream);                                                              \
            fl_after(&c_, 0);                                                                  \
            return 0;                                                                          \
        }                                                                                      \
        int r_ = FL_REAL(c_, sym, args);                                                           \
        fl_after(&c_, r_);                                                                     \
        return r_;                                                                             \
    }                                                                                          \
    FL_FAST_NOTED(int, sym, call, params, args)

/* Allocators: before the real allocator is known (dlsym may allocate), the arena serves. */
#define FL_SYM_ALLOC(sym, call, params, args, size, align)                                     \
    void *(*fl_real_##sym) params;                                                             \
    FL_SLOW(sym, call, void *, NULL, params, args, -1, NULL, size, NULL)                       \
    FL_EXPORT void *sym params;                                                                \
    /* Before the real allocator is known: resolve it, or serve the arena while resolving. */  \
    static __attribute__((noinline, cold)) void *fl_boot_##sym params                          \
    {                                                                                          \
        if (!(fl_real_##sym = fl_resolve_alloc(#sym)))                                         \
            return fl_arena_alloc(size, align);                                                \
        return sym args;                                                                       \
    }                                                                                          \
    /* Every branch a tail call: the fast path saves no register. */                            \
    FL_EXPORT void *sym params                                                                 \
    {                                                                                          \
        if (__builtin_expect(!fl_real_##sym, 0))                                               \
            return fl_boot_##sym args;                                                         \
        if (__builtin_expect(fl_call_armed(FL_CALL_##call), 0))                                \
            return fl_slow_##sym args;                                                         \
        return fl_real_##sym args;                                                             \
    }

#include "calls.def"

/* Resolve every table symbol that has a real-function pointer here. */
void fl_resolve_generated(void)
{
#define FL_SYM_HAND(sym, call)
#define FL_SYM(sym, call) FL_RESOLVE(sym);
#include "calls.def"
}
