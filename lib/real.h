/* Reaching the real functions: resolution with dlsym(RTLD_NEXT), the bootstrap arena that serves
 * allocations made while resolving, and the thread's "inside the shim" guard. */
#ifndef FL_REAL_H
#define FL_REAL_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

/* Nonzero while this thread runs the shim's own code: interposed calls it makes pass straight
 * through. Initial-exec TLS: one load from the thread pointer. */
extern __thread int fl_guard __attribute__((tls_model("initial-exec")));

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
