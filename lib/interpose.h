/* Shared by the wrapper files: export, resolution, small accessors. */
#ifndef FL_INTERPOSE_H
#define FL_INTERPOSE_H

#include <stdio.h>

#include "real.h"

/* An interposed libc symbol: the only kind of name besides faultline_* the library exports. */
#define FL_EXPORT __attribute__((visibility("default")))

/* Make sure fl_real_<sym> holds the next definition of sym. A relaxed load and a branch once
 * resolved; racing threads store the same value. */
#define FL_RESOLVE(sym)                                                                          \
    do {                                                                                         \
        if (__builtin_expect(!__atomic_load_n(&fl_real_##sym, __ATOMIC_RELAXED), 0))             \
            __atomic_store_n(&fl_real_##sym, (__typeof__(fl_real_##sym))fl_resolve(#sym),        \
                             __ATOMIC_RELAXED);                                                  \
    } while (0)

/* The fd under a stdio stream, -1 for none (fflush(NULL)). */
static inline int fl_stream_fd(FILE *stream)
{
    return stream ? stream->_fileno : -1;
}

/* Resolve the real functions of the generated and of the hand-written wrappers. */
void fl_resolve_generated(void);
void fl_resolve_hand(void);

#endif
