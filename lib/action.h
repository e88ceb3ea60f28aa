/* The slow path of an interposed call: ask the rules, apply the fault around the real call,
 * record the event. Wrappers reach it only when an armed rule covers their call. */
#ifndef FL_ACTION_H
#define FL_ACTION_H

#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/select.h>
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
    unsigned msg_count;       /* recvmmsg, sendmmsg: how many messages (vlen) */
    FILE *stream;             /* stdio calls: the stream, whose error flag a failure sets */
    const char *host;         /* resolver calls: the name or address asked about */
    long long offset;         /* positional writes: the offset written at; -1 for none */
    int64_t timeout_ns;       /* @wait calls: the call's own timeout; -1 for none (forever); */
                              /* socket calls: SO_RCVTIMEO or SO_SNDTIMEO, once a delay asks */
    int timeout_err;          /* the errno of a call whose timeout ran out (socket calls: */
                              /* EAGAIN); 0: the call returns 0 (FL_TIMEOUT) */
    const sigset_t *wait_mask; /* ppoll, pselect, epoll_pwait: the mask the call waits under */
    /* the rest of a call's arguments, for durability tracking (durable.c) */
    const char *path2;        /* rename, link: the old name; NULL for none */
    int dirfd2;               /* what path2 is relative to (AT_FDCWD by default) */
    int call_flags;           /* open's flags, renameat2/linkat/unlinkat/fallocate/ */
                              /* sync_file_range/msync flags */
    long long arg_off;        /* FILE rows: the range's offset (ftruncate: the new length; */
                              /* msync: the address); NAME rows: mkdir's mode, truncate's length */
    long long arg_len;        /* FILE rows: the range's length */
    struct {                  /* what fl_track_before found, for fl_track_after (durable.c) */
        int what;             /* durable.c's own code for what the call changes or syncs */
        bool locked;          /* this call took the tracker's lock: fl_track_after releases it */
        bool journal;         /* ... and the run's lock (the journal's) */
        unsigned long long dev, ino;
        long long off;        /* where an O_SYNC or O_DSYNC write writes */
    } track;
    struct fl_verdict v;
    /* how the fault went, for the wrapper and the log */
    uint64_t slept_ns;        /* the delay that really elapsed */
    int err;                  /* the errno the call fails with; 0 when it does not fail */
    bool interrupted;         /* a signal handler ended the delay: the call fails with EINTR */
    bool unfinished;          /* the thread left during the delay (cancelled, siglongjmp) */
    bool logged;              /* the fault's line is written */
    uint64_t delay_start_ns;  /* CLOCK_MONOTONIC when the delay began */
    int timer_fd;             /* the timer fd a delay sleeps on, -1 when none */
    /* scratch, last: fl_ctx_init leaves it alone */
    char pathbuf[PATH_MAX];   /* m.path and m.peer point here when the shim looked them up */
    struct sockaddr_storage peerbuf;
    struct _pthread_cleanup_buffer track_unwind; /* durable.c: releases the locks if the */
};                            /* thread leaves the real call (pthread_cancel, siglongjmp) */

/* Start the context of one call: symbol `sym` of call `call`, on fd (-1: none), with path and
 * size; no offset, no timeout. Only the small fields are set: the scratch buffers are left as they are (zeroing them
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
    FL_TIMEOUT, /* @wait: the call's own timeout ran out during the delay: return its timeout
                 * result (0, nothing ready) without the real call; the log is done */
};

/* Decide the call and apply what comes before the real call: a delay is slept, an error is
 * recorded, the stream's error flag set for stdio, and errno set to the rule's errno (an EAI_*
 * code leaves errno alone: the resolver wrappers return it). Passes when no rule fires and when
 * this thread is already inside the shim. errno is untouched unless the step is FL_FAIL.
 *
 * A delay stands for a slow call, and a signal handler that runs during it ends it as signal(7)
 * says the real call would end: the @wait calls (and socket calls with SO_RCVTIMEO/SO_SNDTIMEO
 * set) fail with EINTR; blocking I/O on sockets, pipes and terminals fails with EINTR unless the
 * handler has SA_RESTART (the kernel decides: the delay is a read of a timer fd), and then the
 * delay goes on; regular-file I/O, syncs, allocations and the resolver complete (the delay goes
 * on). A delay on a call with a timeout (c->timeout_ns) lasts at most that long: FL_TIMEOUT, or
 * for a socket with SO_RCVTIMEO/SO_SNDTIMEO, FL_FAIL with EAGAIN (EINPROGRESS for connect). The
 * delay runs outside the guard, so that the program's handlers meet the shim as anywhere else,
 * and a thread that leaves during it (pthread_cancel, siglongjmp out of a handler, an exception)
 * still gets its fault line ("done":null). */
enum fl_step fl_begin(struct fl_call_ctx *c);

/* After the real call of an FL_RUN step: records the event with the call's result. errno is
 * preserved. */
void fl_after(struct fl_call_ctx *c, long result);

/* A timeout as the @wait calls take it, in nanoseconds; -1 for none (wait forever). */
int64_t fl_timeout_ms(int ms);
int64_t fl_timeout_ts(const struct timespec *ts);
int64_t fl_timeout_tv(const struct timeval *tv);

/* What is left of a timeout once the delay has taken `slept` ns (never below 0). The timeval is
 * updated in place, as Linux's select updates it. */
int fl_timeout_ms_left(int ms, uint64_t slept);
struct timespec fl_timeout_ts_left(const struct timespec *ts, uint64_t slept);
void fl_timeout_tv_left(struct timeval *tv, uint64_t slept);

/* FL_TIMEOUT: clear what a @wait call reports when it times out (every revents of poll; the
 * first n bits of select's sets). */
void fl_poll_none(struct pollfd *fds, nfds_t n);
void fl_select_none(int n, fd_set *r, fd_set *w, fd_set *e);

/* DROP on a write of n bytes: the call reports success and nothing is written, and a regular
 * file is left as a lost write would leave it while the program runs: at least as long as the
 * write would have made it (the gap reads as zeros, so a mapping stays valid), and for a write
 * at the file offset (c->offset < 0) the offset moved past it, so that later writes land where
 * they would have. Other fds are left alone. A file under durability tracking is journaled
 * first, as the write would have been. errno untouched. */
void fl_drop_write(struct fl_call_ctx *c, size_t n);

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

/* Bytes described by the vlen messages of a recvmmsg or sendmmsg (saturating). */
size_t fl_mmsg_len(const struct mmsghdr *msgs, unsigned int vlen);

/* PARTIAL on recvmmsg or sendmmsg: how many of the vlen messages go, each whole (fewer messages
 * is what either call may legally return, on any socket): the rule's share of vlen, or as many
 * as fit in its byte count; at least 1. */
unsigned int fl_partial_msgs(const struct fl_call_ctx *c, const struct mmsghdr *msgs,
                             unsigned int vlen);

/* Set a stream's _IO_ERR_SEEN or _IO_EOF_SEEN flag (NULL: nothing). */
void fl_stream_flag(FILE *stream, int flag);

/* A stdio write that stopped short: the error flag set and errno EIO, as after a failed write. */
void fl_stream_short(FILE *stream);

/* A stdio read that came back short (partial): stdio's contract for it is end of file, so the
 * stream's end-of-file flag is set, unless the real call already set a flag. errno untouched. */
void fl_stream_short_read(FILE *stream);

/* PARTIAL through stdio: how many of n items of `size` bytes go (at least 1). */
size_t fl_stdio_items(const struct fl_call_ctx *c, size_t size, size_t n);

/* CORRUPT on a string written: a corrupted, NUL-terminated copy (NUL never flipped), or NULL.
 * Release with fl_release. */
char *fl_corrupt_string(const struct fl_call_ctx *c, const char *s);

/* Copy n bytes of the program's memory at `from` into the shim's `to`; false when some of it is
 * not readable (the real call would fail with EFAULT: the shim must not crash instead). errno
 * untouched. */
bool fl_copy_from_program(void *to, const void *from, size_t n);

/* Free a buffer of the shim's, errno untouched. */
void fl_release(void *p);

/* Bytes described by an iovec array (saturating). */
size_t fl_iov_len(const struct iovec *iov, size_t cnt);

#endif
