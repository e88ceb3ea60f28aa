/* Durability tracking: while a run tracks the files under the `durable` globs, every call that
 * changes one of them first records in the run's journal (journal.h) what undoes the change,
 * then makes the real change, and every sync records what it made durable. A power loss (the
 * action power_loss, the control command power-loss) kills every process of the run; faultline
 * run then rolls the files back to their durable state.
 *
 * The wrappers of the calls tracking watches (fl_durable_watches) reach their slow path while
 * tracking is on (rules.c keeps them armed: fl_rules_watch) and put every real call between
 * fl_track_before and fl_track_after; mmap and munmap call fl_durable_mmap and
 * fl_durable_munmap. Nothing here runs when tracking is off.
 *
 * A file is tracked when the absolute path it is reached by (a call's name, a fd's path)
 * matches a durable glob and is not under the journal directory; an inode once tracked stays
 * tracked in the process, whatever it is called later (a rename into a tracked name tracks the
 * file it moves). What is recorded:
 *   writes (write, pwrite, the vector forms, sendfile, splice, copy_file_range into a file):
 *     the bytes they may overwrite, at their offset (the file's size for O_APPEND), and the
 *     size; on an O_SYNC or O_DSYNC fd the bytes written are durable once written
 *   stdio writes (fwrite, fputs, fputc, the fprintf family, fflush, fclose): the stream's
 *     buffered bytes and what the call adds, at the fd's offset; at exit, every such stream's
 *     buffered bytes (fl_durable_exit)
 *   ftruncate, truncate, fallocate, posix_fallocate, ficlone: the bytes and size they change
 *   open with O_TRUNC: the whole file; with O_CREAT where nothing is: the name, as absent
 *   rename, link, symlink, unlink, mkdir, rmdir: the names, as they were before
 *   a shared writable mapping: its bytes when it is made, and again after each sync of them
 *   durable: fsync and fdatasync (the file, or a directory's entries), sync_file_range with
 *     SYNC_FILE_RANGE_WAIT_AFTER and msync with MS_SYNC (their range), sync and a syncfs of
 *     the file system the journal shares with the tracked files (all)
 * A journal failure for a file (no space, another file system) is said once on stderr and the
 * file goes on untracked: the program's calls are never changed. */
#ifndef FL_DURABLE_H
#define FL_DURABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "action.h"
#include "calls.h"

/* Nonzero while this process tracks durability (set once, at start). */
extern uint8_t fl_durable_on;

/* Start tracking the paths that match one of the n fnmatch globs (as the config holds them:
 * absolute, or "*" + "/" + a relative one), with the journal at `journal` (FAULTLINE_JOURNAL).
 * Opens the journal (its fds become the shim's own: events.h, fl_events_own), reads
 * FAULTLINE_RUN_PGID, arms the watched calls (fl_rules_watch) and turns fd paths on. Returns 0,
 * or -1 with a message in why ("durable: ..."). Call from the constructor, inside the guard. */
int fl_durable_start(char *const *globs, size_t n, const char *journal, char *why, size_t cap);

/* Whether tracking watches `call`: the write, truncate, allocate and copy families, opens, the
 * namespace calls, the sync family, the stdio writes and fclose. */
bool fl_durable_watches(enum fl_call_id call);

/* Before the real call of c (its facts in c: fd, path and dirfd, path2 and dirfd2, offset,
 * size, stream, call_flags, arg_off, arg_len): when it changes a tracked file, take the locks
 * (this process's, then the run's) and record what undoes the change; when it is a sync, note
 * what it would make durable. Returns true when fl_track_after must follow, in the same frame
 * as the real call (c holds a cleanup that releases the locks if the thread leaves the real call
 * by pthread_cancel or a siglongjmp). Never changes errno; passes (returns false) inside the
 * guard. A signal handler that interrupts a tracked call on the same thread may make tracked
 * calls of its own: it finds the locks held by its thread and goes on. */
bool fl_track_before(struct fl_call_ctx *c);

/* After the real call of c, which returned `result` (FL_RESULT: pointers as non-NULL; sync:
 * 0): record what a sync that succeeded made durable (and the bytes an O_SYNC or O_DSYNC write
 * wrote), and release the locks. errno is preserved. */
void fl_track_after(struct fl_call_ctx *c, long result);

/* mmap and mmap64 while tracking is on (`real` makes the call): a shared writable mapping of a
 * tracked file records the bytes it maps, which the program may then change with no call, and
 * is remembered, so that a sync of them records them again once durable. MAP_FIXED forgets the
 * mappings it replaces. Returns what the real call returned, errno with it. */
void *fl_durable_mmap(void *(*real)(void *, size_t, int, int, int, off_t), void *addr,
                      size_t len, int prot, int flags, int fd, off_t off);

/* After a successful munmap while tracking is on: forget the mappings in the range. */
void fl_durable_munmap(void *addr, size_t len);

/* The O_* flags fopen, fopen64 and freopen open with for `mode` ("r", "w+", "ae"...): what their
 * wrappers tell tracking. */
int fl_fopen_flags(const char *mode);

/* Declare a power loss (why: one line for the journal and the log): write the power_loss event,
 * take the locks (no change or sync of the run is recorded after it), write the journal's
 * power-loss file, and kill every process of the run with SIGKILL (FAULTLINE_RUN_PGID's group,
 * then this process's own group), this one with them: does not return. When tracking is off,
 * does nothing and returns -1. */
int fl_durable_power_loss(const char *why);

/* The process exits (the shim's destructor, first): record the pending bytes of every tracked
 * stdio stream, which exit is about to flush where no wrapper sees it. */
void fl_durable_exit(void);

/* fork: hold this process's lock across it (prepare, parent), so that no other thread is inside
 * the tracker when the child is copied; the child gets its own handle on the journal (the run's
 * lock is per process) and the lock, if its thread held it. */
void fl_durable_atfork_prepare(void);
void fl_durable_atfork_parent(void);
void fl_durable_atfork_child(void);

#endif
