/* Durability tracking: while a run tracks the files under the `durable` globs, every call that
 * changes one of them first records in the run's journal (journal.h) what undoes the change,
 * then makes the real change, and every sync records what it made durable. A power loss (the
 * action power_loss, the control command power-loss) kills every process of the run; faultline
 * run then rolls the files back to their durable state.
 *
 * The wrappers of the calls tracking watches (fl_durable_watches) reach their slow path while
 * tracking is on (rules.c keeps them armed: fl_rules_watch) and put every real call between
 * fl_track_before and fl_track_after. Nothing here runs when tracking is off. */
#ifndef FL_DURABLE_H
#define FL_DURABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "action.h"
#include "calls.h"

/* Nonzero while this process tracks durability (set once, at start). */
extern uint8_t fl_durable_on;

/* Start tracking the paths that match one of the n fnmatch globs (as the config holds them:
 * absolute, or "*" + "/" + a relative one), with the journal at `journal` (FAULTLINE_JOURNAL).
 * Opens the journal, arms the watched calls (fl_rules_watch) and turns fd paths on. Returns 0,
 * or -1 with a message in why ("durable: ..."). Call from the constructor, inside the guard. */
int fl_durable_start(char *const *globs, size_t n, const char *journal, char *why, size_t cap);

/* Whether tracking watches `call`: the write, truncate, allocate and copy families, opens, the
 * namespace calls, the sync family, the stdio writes and fclose. */
bool fl_durable_watches(enum fl_call_id call);

/* Before the real call of c (its facts in c: fd, path and dirfd, path2 and dirfd2, offset,
 * size, stream, call_flags, arg_off, arg_len): when it changes a tracked file, take the run's
 * lock and record what undoes the change. Returns true when fl_track_after must follow (the lock
 * is held, or the call is a sync whose success is to be recorded). Never changes errno; passes
 * (returns false) inside the guard. */
bool fl_track_before(struct fl_call_ctx *c);

/* After the real call of c, which returned `result` (FL_RESULT: pointers as non-NULL): record
 * what a successful sync made durable (and O_SYNC/O_DSYNC writes), remember what an open or
 * mmap made, and release the lock. errno is preserved. */
void fl_track_after(struct fl_call_ctx *c, long result);

/* The O_* flags fopen, fopen64 and freopen open with for `mode` ("r", "w+", "ae"...): what their
 * wrappers tell tracking. */
int fl_fopen_flags(const char *mode);

/* Declare a power loss (why: one line for the journal and the log) and kill every process of
 * the run, this one last: does not return. When tracking is off, does nothing and returns -1. */
int fl_durable_power_loss(const char *why);

/* The process exits (the shim's destructor): record the pending bytes of every tracked stdio
 * stream, which exit is about to flush where no wrapper sees it. */
void fl_durable_exit(void);

/* fork: hold the in-process lock across it (prepare, parent), and give the child its own handle on
 * the journal (child). */
void fl_durable_atfork_prepare(void);
void fl_durable_atfork_parent(void);
void fl_durable_atfork_child(void);

#endif
