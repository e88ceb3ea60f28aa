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

#include "action.h"
#include "interpose.h"
#include "real.h"

/* What a call returned, for the log: the value, or for pointers whether it is non-NULL. */
#define FL_RESULT(r) ((long)(__builtin_classify_type(r) == 5 ? (r) != 0 : (long)(r)))

/* The slow path of one wrapper, out of line so that the fast path needs no stack frame. `fail`
 * is the call's failure value; fd, path, size and stream describe the call to the rules and the
 * log. */
#define FL_SLOW(sym, call, ret, fail, params, args, fd, path, size, stream)                 \
    __attribute__((noinline, cold)) static ret fl_slow_##sym params                         \
    {                                                                                       \
        struct fl_call_ctx c_ = FL_CTX(sym, call, fd, path, size, stream);                  \
        enum fl_step step_ = fl_begin(&c_);                                                 \
        if (step_ == FL_PASS)                                                               \
            return fl_real_##sym args;                                                      \
        if (step_ == FL_FAIL)                                                               \
            return fail;                                                                    \
        ret r_ = fl_real_##sym args;                                                        \
        fl_after(&c_, FL_RESULT(r_));                                                       \
        return r_;                                                                          \
    }

/* One wrapper: the real-function pointer, the slow path, and the exported fast path. */
#define FL_WRAP(sym, call, ret, fail, params, args, fd, path, size, stream)                 \
    ret (*fl_real_##sym) params;                                                            \
    FL_SLOW(sym, call, ret, fail, params, args, fd, path, size, stream)                     \
    FL_EXPORT ret sym params;                                                               \
    FL_EXPORT ret sym params                                                                \
    {                                                                                       \
        FL_RESOLVE(sym);                                                                    \
        if (__builtin_expect(fl_call_armed(FL_CALL_##call), 0))                             \
            return fl_slow_##sym args;                                                      \
        return fl_real_##sym args;                                                          \
    }

#define FL_SYM_HAND(sym, call)
#define FL_SYM_READ(sym, call, params, args, fd, buf, n)                                        \
    FL_WRAP(sym, call, ssize_t, -1, params, args, fd, NULL, n, NULL)
#define FL_SYM_WRITE(sym, call, params, args, fd, buf, n)                                       \
    FL_WRAP(sym, call, ssize_t, -1, params, args, fd, NULL, n, NULL)
#define FL_SYM_READV(sym, call, params, args, fd, iov, cnt)                                     \
    FL_WRAP(sym, call, ssize_t, -1, params, args, fd, NULL, fl_iov_len(iov, (size_t)cnt), NULL)
#define FL_SYM_WRITEV(sym, call, params, args, fd, iov, cnt)                                    \
    FL_WRAP(sym, call, ssize_t, -1, params, args, fd, NULL, fl_iov_len(iov, (size_t)cnt), NULL)
#define FL_SYM_RECVMSG(sym, call, params, args, fd, msg)                                        \
    FL_WRAP(sym, call, ssize_t, -1, params, args, fd, NULL,                                     \
            fl_iov_len(msg->msg_iov, msg->msg_iovlen), NULL)
#define FL_SYM_SENDMSG(sym, call, params, args, fd, msg)                                        \
    FL_WRAP(sym, call, ssize_t, -1, params, args, fd, NULL,                                     \
            fl_iov_len(msg->msg_iov, msg->msg_iovlen), NULL)
#define FL_SYM_XFER(sym, call, params, args, fd, n)                                             \
    FL_WRAP(sym, call, ssize_t, -1, params, args, fd, NULL, n, NULL)
#define FL_SYM_FD(sym, call, ret, fail, params, args, fd)                                       \
    FL_WRAP(sym, call, ret, fail, params, args, fd, NULL, 0, NULL)
#define FL_SYM_PATH(sym, call, ret, fail, params, args, path)                                   \
    FL_WRAP(sym, call, ret, fail, params, args, -1, path, 0, NULL)
#define FL_SYM_SREAD(sym, call, ret, fail, params, args, stream, n)                             \
    FL_WRAP(sym, call, ret, fail, params, args, fl_stream_fd(stream), NULL, n, stream)
#define FL_SYM_SWRITE(sym, call, ret, fail, params, args, stream, n)                            \
    FL_WRAP(sym, call, ret, fail, params, args, fl_stream_fd(stream), NULL, n, stream)

/* Allocators: before the real allocator is known (dlsym may allocate), the arena serves. */
#define FL_SYM_ALLOC(sym, call, params, args, size, align)                                  \
    void *(*fl_real_##sym) params;                                                          \
    FL_SLOW(sym, call, void *, NULL, params, args, -1, NULL, size, NULL)                    \
    FL_EXPORT void *sym params;                                                             \
    FL_EXPORT void *sym params                                                              \
    {                                                                                       \
        if (__builtin_expect(!fl_real_##sym, 0) &&                                          \
            !(fl_real_##sym = fl_resolve_alloc(#sym)))                                      \
            return fl_arena_alloc(size, align);                                             \
        if (__builtin_expect(fl_call_armed(FL_CALL_##call), 0))                             \
            return fl_slow_##sym args;                                                      \
        return fl_real_##sym args;                                                          \
    }

#include "calls.def"

/* Resolve every table symbol that has a real-function pointer here. */
void fl_resolve_generated(void)
{
#define FL_SYM_HAND(sym, call)
#define FL_SYM(sym, call) FL_RESOLVE(sym);
#include "calls.def"
}
