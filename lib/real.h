/* Reaching the real functions: resolution with dlsym(RTLD_NEXT), the bootstrap arena that serves
 * allocations made while resolving, and the thread's "inside the shim" guard. */
#ifndef FL_REAL_H
#define FL_REAL_H

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

/* Nonzero while this thread runs the shim's own code: interposed calls it makes pass straight
 * through. Initial-exec TLS: one load from the thread pointer. Set and cleared through
 * fl_guard_enter and fl_guard_leave, which survive a non-local exit. */
extern __thread int fl_guard __attribute__((tls_model("initial-exec")));

/* glibc's cleanup buffers (struct _pthread_cleanup_buffer, <pthread.h>): siglongjmp and
 * pthread_cancel run the routine of every buffer whose frame they unwind (nptl's
 * __pthread_cleanup_upto, and cancellation's unwinding), the last pushed first. Exported by libc
 * for the old pthread_cleanup_push macros; declared here because <pthread.h> no longer does. */
extern void _pthread_cleanup_push(struct _pthread_cleanup_buffer *buffer, void (*routine)(void *),
                                  void *arg);
extern void _pthread_cleanup_pop(struct _pthread_cleanup_buffer *buffer, int execute);

/* One stretch of the shim's own work on a program's thread. */
struct fl_guard_scope {
    struct _pthread_cleanup_buffer cleanup;
    int saved_errno;
    bool active;        /* entered and not yet left */
};

/* Clear the guard and mark the scope left: the cleanup routine that runs when a signal handler
 * that interrupted the shim leaves by siglongjmp, or the thread is cancelled inside the shim. */
void fl_guard_reset(void *scope);

/* For a scope declared __attribute__((cleanup(fl_guard_unwound))) where the program's code may
 * run inside it (its signal handlers, during a delay): when a C++ exception thrown there unwinds
 * the scope (nothing else leaves it active), clear the guard and unlink the cleanup buffer, which
 * the exception would otherwise leave pointing into a dead frame. Needs -fexceptions. */
static inline __attribute__((always_inline)) void fl_guard_unwound(struct fl_guard_scope *g)
{
    if (__builtin_expect(g->active, 0)) {
        g->active = false;
        fl_guard = 0;
        _pthread_cleanup_pop(&g->cleanup, 0);
    }
}

/* Enter the shim's own work: false when this thread is already inside it (the caller then passes
 * through). Otherwise saves errno, sets the guard, and registers a cleanup so that a non-local
 * exit out of the stretch (siglongjmp from a handler, pthread_cancel) clears the guard instead
 * of switching the shim off for this thread. Pair with fl_guard_leave in the same frame. */
static inline __attribute__((always_inline)) bool fl_guard_enter(struct fl_guard_scope *g)
{
    if (fl_guard)
        return false;
    g->saved_errno = errno;
    g->active = true;
    _pthread_cleanup_push(&g->cleanup, fl_guard_reset, g);
    fl_guard = 1; /* after the push: a jump out before it leaves nothing set */
    return true;
}

/* Leave the shim's own work: clears the guard, drops the cleanup and restores errno. */
static inline __attribute__((always_inline)) void fl_guard_leave(struct fl_guard_scope *g)
{
    fl_guard = 0; /* before the pop: a jump out after it leaves nothing set */
    _pthread_cleanup_pop(&g->cleanup, 0);
    g->active = false;
    errno = g->saved_errno;
}

/* The next definition of `name` after the shim (dlsym(RTLD_NEXT)). A symbol with no next
 * definition is a broken installation: the shim says so on stderr and aborts. */
void *fl_resolve(const char *name);

/* Like fl_resolve, for the allocators: returns NULL instead when this thread is already
 * resolving (dlsym itself may allocate), and the caller serves the bootstrap arena. */
void *fl_resolve_alloc(const char *name);

/* Allocate from the static bootstrap arena: zeroed, never freed, NULL and ENOMEM when full. */
void *fl_arena_alloc(size_t n, size_t align);

/* The bootstrap arena itself (real.c). */
#define FL_ARENA_SIZE (256 * 1024)
extern __attribute__((visibility("hidden"))) unsigned char fl_arena[FL_ARENA_SIZE];

/* Whether `p` came from the bootstrap arena: one subtraction and one comparison, as free()
 * asks it of every pointer. */
static inline bool fl_arena_owns(const void *p)
{
    return (uintptr_t)p - (uintptr_t)fl_arena < FL_ARENA_SIZE;
}

/* The size a block of the arena was asked with. */
size_t fl_arena_size(const void *p);

/* The real functions the shim itself calls (defined with the wrappers). */
extern ssize_t (*fl_real_write)(int fd, const void *buf, size_t n);
extern int (*fl_real_close)(int fd);
extern int (*fl_real_open)(const char *path, int flags, ...);
extern void *(*fl_real_malloc)(size_t n);
extern void (*fl_real_free)(void *p);
extern size_t (*fl_real_fwrite)(const void *buf, size_t size, size_t n, FILE *stream);

#endif
