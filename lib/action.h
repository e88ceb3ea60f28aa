/* The slow path of an interposed call: ask the rules, apply the fault around the real call,
 * record the event. Wrappers reach it only when an armed rule covers their call. */
#ifndef FL_ACTION_H
#define FL_ACTION_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/uio.h>

#include "calls.h"
#include "rules.h"

/* One call on its way through the shim. */
struct fl_call_ctx {
    struct fl_match m;
    enum fl_sym_id sym;
    FILE *stream;             /* stdio calls: the stream, whose error flag a failure sets */
    const char *host;         /* resolver calls: the name or address asked about */
    struct fl_verdict v;
};

/* A context for symbol `sym` of call `call`, on fd `fd` (-1: none), with path and size. */
#define FL_CTX(sym_, call_, fd_, path_, size_, stream_)                                         \
    ((struct fl_call_ctx){.m = {.call = FL_CALL_##call_, .fd = (fd_), .path = (path_),          \
                                .size = (size_)},                                               \
                          .sym = FL_SYM_##sym_, .stream = (stream_)})

/* What a wrapper does next, after fl_begin. */
enum fl_step {
    FL_PASS, /* nothing applies: make the real call as if the shim were not there */
    FL_FAIL, /* the call failed: return its failure value (errno and the log are done) */
    FL_RUN,  /* a delay was slept: make the real call, then fl_after with its result */
};

/* Decide the call and apply what comes before the real call: a delay is slept, an error is
 * recorded, the stream's error flag set for stdio, and errno set to the rule's errno (an EAI_*
 * code leaves errno alone: the resolver wrappers return it). Passes when no rule fires and when
 * this thread is already inside the shim. errno is untouched unless the step is FL_FAIL. */
enum fl_step fl_begin(struct fl_call_ctx *c);

/* After the real call of an FL_RUN step: records the event with the call's result. errno is
 * preserved. */
void fl_after(struct fl_call_ctx *c, long result);

/* Bytes described by an iovec array (saturating). */
size_t fl_iov_len(const struct iovec *iov, size_t cnt);

#endif
