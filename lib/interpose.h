/* Shared by the wrapper files: export, resolution, small accessors. */
#ifndef FL_INTERPOSE_H
#define FL_INTERPOSE_H

#include <stdio.h>

#include "durable.h"
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

/* What a call returned, for the log: the value, or for pointers whether it is non-NULL. */
#define FL_RESULT(r) ((long)(__builtin_classify_type(r) == 5 ? (r) != 0 : (long)(r)))

/* The real call `call` (an expression) of the slow path whose context is c, between
 * fl_track_before and fl_track_after while durability is tracked (durable.h): what undoes a
 * change is in the journal before the change is made. */
#define FL_TRACKED(c, call)                                                                      \
    ({                                                                                           \
        bool tracked_ = __builtin_expect(fl_durable_on, 0) && fl_track_before(&(c));             \
        __typeof__(call) real_ = (call);                                                         \
        if (tracked_)                                                                            \
            fl_track_after(&(c), FL_RESULT(real_));                                              \
        real_;                                                                                   \
    })

/* The fd under a stdio stream, -1 for none (fflush(NULL)). */
static inline int fl_stream_fd(FILE *stream)
{
    return stream ? stream->_fileno : -1;
}

/* Resolve the real functions of the generated and of the hand-written wrappers. */
void fl_resolve_generated(void);
void fl_resolve_hand(void);

#endif
