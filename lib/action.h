/* The slow path of an interposed call: ask the rules, apply the fault around the real call,
 * record the event. Wrappers reach it only when an armed rule covers their call. */
#ifndef FL_ACTION_H
#define FL_ACTION_H

#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "calls.h"
#include "rules.h"

/* One call on its way through the shim. */
struct fl_call_ctx {
    struct fl_match m;
    enum fl_sym_id sym;
    int dirfd;                /* open family: what a relative path is relative to */
    int msg_flags;            /* socket calls: their MSG_* flags */
    FILE *stream;             /* stdio calls: the stream, whose error flag a failure sets */
    const char *host;         /* resolver calls: the name or address asked about */
    struct fl_verdict v;
    /* scratch, last: fl_ctx_init leaves it alone */
    char pathbuf[PATH_MAX];   /* m.path and m.peer point here when the shim looked them up */
    struct sockaddr_storage peerbuf;
};

/* Start the context of one call: symbol `sym` of call `call`, on fd (-1: none), with path and
 * size. Only the small fields are set: the scratch buffers are left as they are (zeroing them
 * would cost more than the rest of the slow path). */
void fl_ctx_init(struct fl_call_ctx *c, enum fl_call_id call, enum fl_sym_id sym, int fd,
                 const char *path, size_t size, FILE *stream);

/* Declare and start `c` for a row of the table: FL_CTX(c_, read, read, fd, NULL, n, NULL). */
#define FL_CTX(c, sym_, call_, fd_, path_, size_, stream_)                                      \
    struct fl_call_ctx c;                                                                       \
    fl_ctx_init(&c, FL_CALL_##call_, FL_SYM_##sym_, (fd_), (path_), (size_), (stream_))

/* What a wrapper does next, after fl_begin. */
enum fl_step {
    FL_PASS, /* nothing applies: make the real call as if the shim were not there */
    FL_FAIL, /* the call failed: return its failure value (errno and the log are done) */
    FL_RUN,  /* a delay was slept: make the real call, then fl_after with its result */
    FL_ACT,  /* partial, eof, corrupt or drop: the wrapper applies it around the real call */
};

/* Decide the call and apply what comes before the real call: a delay is slept, an error is
 * recorded, the stream's error flag set for stdio, and errno set to the rule's errno (an EAI_*
 * code leaves errno alone: the resolver wrappers return it). Passes when no rule fires and when
 * this thread is already inside the shim. errno is untouched unless the step is FL_FAIL. */
enum fl_step fl_begin(struct fl_call_ctx *c);

/* After the real call of an FL_RUN step: records the event with the call's result. errno is
 * preserved. */
void fl_after(struct fl_call_ctx *c, long result);

/* PARTIAL: the byte count the real call gets instead of n: the rule's share or byte count, at
 * least 1. (Where a short transfer would not be legal the rule does not match at all.) */
size_t fl_partial_count(const struct fl_call_ctx *c, size_t n);

/* CORRUPT: flip the rule's number of distinct bits, chosen from the rule's stream, in the len
 * bytes of buf, or of the iovec array. */
void fl_corrupt(const struct fl_call_ctx *c, void *buf, size_t len);
void fl_corrupt_iov(const struct fl_call_ctx *c, const struct iovec *iov, size_t len);

/* CORRUPT on a write: a corrupted copy of buf (the program's bytes stay as they are), or NULL
 * when out of memory (the write then goes out intact). Release with fl_release. */
void *fl_corrupt_copy(const struct fl_call_ctx *c, const void *buf, size_t len);

/* The first len bytes of an iovec array in one new buffer, or NULL. Release with fl_release. */
void *fl_flatten(const struct iovec *iov, size_t cnt, size_t len);

/* A shortened iovec array keeps at most this many entries (a shorter transfer is as legal as
 * any). */
#define FL_IOV_SHORT 64

/* PARTIAL on a vector call: when the rule shortens the cnt entries at *iov, points *iov at a
 * shortened copy in out[FL_IOV_SHORT] and returns its count; else returns cnt. */
size_t fl_partial_iov(const struct fl_call_ctx *c, const struct iovec **iov, size_t cnt,
                      struct iovec *out);

/* Set a stream's _IO_ERR_SEEN or _IO_EOF_SEEN flag (NULL: nothing). */
void fl_stream_flag(FILE *stream, int flag);

/* A stdio write that stopped short: the error flag set and errno EIO, as after a failed write. */
void fl_stream_short(FILE *stream);

/* PARTIAL through stdio: how many of n items of `size` bytes go (at least 1). */
size_t fl_stdio_items(const struct fl_call_ctx *c, size_t size, size_t n);

/* CORRUPT on a string written: a corrupted, NUL-terminated copy (NUL never flipped), or NULL.
 * Release with fl_release. */
char *fl_corrupt_string(const struct fl_call_ctx *c, const char *s);

/* Free a buffer of the shim's, errno untouched. */
void fl_release(void *p);

/* Bytes described by an iovec array (saturating). */
size_t fl_iov_len(const struct iovec *iov, size_t cnt);

#endif
