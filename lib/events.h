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

/* Note what stderr (fd 2) is at start, for diagnostics. Call once at start, before anything
 * is said. When fd 2 is not open then, the shim has no stderr: it says nothing, prints no
 * summary and logs nothing to "stderr", rather than write into whatever file the program
 * opens as fd 2 later. No fd is taken: fl_events_hold_stderr does that when needed. */
void fl_events_keep_stderr(void);

/* Take a private copy of stderr (close-on-exec, above the fds a program usually touches), for
 * what must reach stderr even after the program closed or replaced fd 2: the summary, log =
 * "stderr", the control socket's messages. Call before fl_events_open when one is configured;
 * does nothing when there is no stderr or the copy is held already. */
void fl_events_hold_stderr(void);

/* Open the event log: "stderr" means the copy of stderr (no log when there is no stderr); %p
 * in a path becomes the pid. A path is opened with fl_open_log (no link followed, no FIFO, no
 * other user's file; see safefile.h). Returns 0, or -1 with the reason in why[cap]
 * ("PATH: cannot open event log: ..."). */
int fl_events_open(const char *spec, char *why, size_t cap);

/* Write the process's first log line: pid, program, seed, config, version, rule count. */
void fl_events_start(uint64_t seed, const char *config, size_t nrules, const char *parent);

/* After fork in the child: reopen a per-pid log and write the child's first line. */
void fl_events_atfork_child(uint64_t seed, const char *config, size_t nrules);

/* Record one injected fault: `done` is what the call returned to the program. Every line is
 * written whole or not at all: one that would pass RLIMIT_FSIZE is left out, the fragment of a
 * short write is taken off, and no write of the shim's raises SIGXFSZ. A failure is said once
 * on stderr. */
void fl_events_fault(const struct fl_call_ctx *c, long done);

/* Print the per-rule summary table on the kept copy of stderr. */
void fl_events_summary(void);

/* Print "faultline: " + msg + newline on the copy of stderr, or on fd 2 while no copy is held
 * and fd 2 is still the file it was at start; nothing when there is no stderr. */
void fl_say(const char *msg);

/* Whether fd is one the shim keeps for itself (the program may not close it). */
bool fl_events_owns_fd(int fd);

/* The shim's own fds, ascending, into out; returns how many (at most FL_OWN_FDS). */
#define FL_OWN_FDS 8
int fl_events_own_fds(int out[FL_OWN_FDS]);

/* Keep the fd in *fd as one of the shim's own, for another module (the journal's fds,
 * durable.c): moved high (close-on-exec, as it was opened), spared by the program's close,
 * close_range and closefrom, and moved out of the way of its dup2 and dup3, *fd following it.
 * Four such fds at most. Returns 0, or -1 when there is no room (the fd is left as it is). */
int fl_events_own(int *fd);

/* Forget every fd fl_events_own registered (before the module closes them: fork's child). */
void fl_events_disown_all(void);

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

/* Record a declared power loss in the event log: {"event":"power_loss","why":...}, written at
 * once (the process is about to be killed). */
void fl_events_power_loss(const char *why);

/* Record a control command in the event log: {"event":"control","command":...,"ok":...}. */
void fl_events_control(const char *command, bool failed);

#endif
