/* The event log (one JSON line per injected fault, written as it happens), the summary at
 * exit, and the shim's own diagnostics, all through fds the shim keeps for itself. */
#ifndef FL_EVENTS_H
#define FL_EVENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "action.h"

/* A growing-by-truncation JSON line in a caller's buffer; never allocates. */
struct fl_jbuf {
    char *p;
    size_t len, cap;        /* cap includes room for the closing "}\n" */
    bool first;             /* no member written yet */
};

/* Start an object in buf[0..cap). */
void fl_jbuf_init(struct fl_jbuf *b, char *buf, size_t cap);
/* Append "key":"value" with JSON escaping; a NULL value writes null. */
void fl_jbuf_str(struct fl_jbuf *b, const char *key, const char *value);
/* Append "key":number. */
void fl_jbuf_i64(struct fl_jbuf *b, const char *key, int64_t value);
void fl_jbuf_u64(struct fl_jbuf *b, const char *key, uint64_t value);
/* Append "key":seconds.nanoseconds. */
void fl_jbuf_time(struct fl_jbuf *b, const char *key, int64_t sec, long nsec);
/* Append "key":true/false, or "key":null. */
void fl_jbuf_bool(struct fl_jbuf *b, const char *key, bool value);
void fl_jbuf_null(struct fl_jbuf *b, const char *key);
/* Close the object and add a newline; returns the line's length. A member that did not fit
 * was left out whole; the line is always closed and valid JSON. */
size_t fl_jbuf_end(struct fl_jbuf *b);

/* A socket address as the config writes peers: "127.0.0.1:80", "[::1]:80", "unix:/path"
 * ("unix:@name" for an abstract socket). NULL for other families. */
const char *fl_fmt_peer(const struct sockaddr *sa, char *buf, size_t cap);

/* Format an unsigned number into buf (at least 21 bytes); returns its length. */
size_t fl_fmt_u64(char *buf, uint64_t v);

/* Why opening the event log at `path` failed with errno `err`, in words: strerror, except for
 * a symbolic link refused by O_NOFOLLOW, which it names. */
const char *fl_log_open_error(const char *path, int err);

/* Keep a private copy of stderr for diagnostics and the summary (close-on-exec, above the fds a
 * program usually touches). Call once at start. */
void fl_events_keep_stderr(void);

/* Open the event log: "stderr" means the kept copy of stderr; %p in a path becomes the pid.
 * O_APPEND | O_CLOEXEC | O_NOFOLLOW. Returns 0, or -1 with the reason in why[cap]
 * ("PATH: cannot open event log: ..."). */
int fl_events_open(const char *spec, char *why, size_t cap);

/* Write the process's first log line: pid, program, seed, config, version, rule count. */
void fl_events_start(uint64_t seed, const char *config, size_t nrules, const char *parent);

/* After fork in the child: reopen a per-pid log and write the child's first line. */
void fl_events_atfork_child(uint64_t seed, const char *config, size_t nrules);

/* Record one injected fault: `done` is what the call returned to the program. */
void fl_events_fault(const struct fl_call_ctx *c, long done);

/* Print the per-rule summary table on the kept copy of stderr. */
void fl_events_summary(void);

/* Print "faultline: " + msg + newline on the kept copy of stderr (stderr before it is kept). */
void fl_say(const char *msg);

/* Whether fd is one the shim keeps for itself (the program may not close it). */
bool fl_events_owns_fd(int fd);

/* The shim's own fds, ascending, into out; returns how many (at most FL_OWN_FDS). */
#define FL_OWN_FDS 4
int fl_events_own_fds(int out[FL_OWN_FDS]);

/* Keep fd as one of the shim's own (moved high, spared by close and close_range); returns the
 * fd it now has. One such fd at a time: the control socket. */
int fl_events_keep_fd(int fd);

/* The fd fl_events_keep_fd kept, where it is now (fl_events_make_way may move it). */
int fl_events_kept_fd(void);

/* Keep fd as the shim's spare, like fl_events_keep_fd but in a slot of its own: the control
 * thread's reserve fd (/dev/null), freed to accept a client when the table is full. Moved
 * high when a free number is there, else kept where it is; returns the fd it now has. */
int fl_events_keep_spare(int fd);

/* The fd fl_events_keep_spare kept, where it is now, or -1. */
int fl_events_spare_fd(void);

/* The program is about to dup2/dup3 onto fd: when fd is one of the shim's, move the shim's file
 * to another number first, so that the program gets fd and the shim keeps its file. */
void fl_events_make_way(int fd);

/* fd is no longer the shim's (fl_events_keep_fd or fl_events_keep_spare). */
void fl_events_drop_fd(int fd);

/* Record a control command in the event log: {"event":"control","command":...,"ok":...}. */
void fl_events_control(const char *command, bool failed);

#endif
