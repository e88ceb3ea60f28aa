/* Resolution of real functions and the bootstrap arena. */
#include <dlfcn.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "real.h"

__thread int fl_guard __attribute__((tls_model("initial-exec")));

void fl_guard_reset(void *scope)
{
    struct fl_guard_scope *g = scope;
    g->active = false;
    fl_guard = 0;
}


/* Set while this thread is inside dlsym: allocations then come from the arena. */
static __thread int resolving __attribute__((tls_model("initial-exec")));

static void say_raw(const char *a, const char *b)
{
    /* The real write may be the very thing missing: go to the kernel. */
    syscall(SYS_write, 2, a, strlen(a));
    syscall(SYS_write, 2, b, strlen(b));
    syscall(SYS_write, 2, "\n", 1);
}

void *fl_resolve(const char *name)
{
    resolving++;
    void *p = dlsym(RTLD_NEXT, name);
    resolving--;
    if (!p) {
        say_raw("faultline: no next definition of ", name);
        abort();
    }
    return p;
}

void *fl_resolve_alloc(const char *name)
{
    return resolving ? NULL : fl_resolve(name);
}

/* ---- bootstrap arena ---------------------------------------------------------------------- */

#define HEADER 16 /* each block is preceded by its size, keeping 16-byte alignment */

_Alignas(4096) unsigned char fl_arena[FL_ARENA_SIZE];
#define arena fl_arena
#define ARENA_SIZE FL_ARENA_SIZE
static size_t arena_used;

void *fl_arena_alloc(size_t n, size_t align)
{
    if (align < HEADER || (align & (align - 1)))
        align = HEADER;
    size_t old = __atomic_load_n(&arena_used, __ATOMIC_RELAXED), start, end;
    do {
        start = (old + HEADER + align - 1) & ~(align - 1);
        if (n > ARENA_SIZE || start + n > ARENA_SIZE) {
            errno = ENOMEM;
            return NULL;
        }
        end = start + n;
    } while (!__atomic_compare_exchange_n(&arena_used, &old, end, false, __ATOMIC_RELAXED,
                                          __ATOMIC_RELAXED));
    memcpy(arena + start - sizeof(size_t), &n, sizeof n);
    return arena + start;
}

size_t fl_arena_size(const void *p)
{
    size_t n;
    memcpy(&n, (const unsigned char *)p - sizeof(size_t), sizeof n);
    return n;
}
