/* The durability journal: what it takes to undo every change to tracked files that is not yet
 * durable, kept in one directory that every process of a run shares. One format, one module: the
 * shim writes it (durable.c decides what to record), the command reads it back and rolls the
 * files back after a power loss (faultline run).
 *
 * The directory (created by faultline run, named to the shim by FAULTLINE_JOURNAL):
 *   log         the records, appended in the order the changes happened (O_APPEND; each record
 *               one write, with its length and a checksum, so that a record cut short by a kill
 *               is recognised and ignored: the change it would describe was not made yet)
 *   data        the old bytes the records refer to (added at its end before the record that
 *               names them)
 *   lock        the run's lock (fcntl record lock): held from before a record is written until
 *               after the change it describes is made, so that a sync in another process can
 *               never come between the two
 *   ino/D-I     a hard link to every inode a record names (device D, inode I, in decimal): the
 *               rollback reaches the file whatever it is called by then, or after it is unlinked
 *   keep/N      a hard link to a file an unlink or a rename took away from its name (N: the
 *               byte offset in log of the record that names it, unique while the lock is held;
 *               a stale keep/N, left by a record never written, is replaced)
 *   power-loss  written by the process that declared a power loss: one line saying why
 *
 * Durable means: survives a power loss. A record stops mattering once what it undoes is durable:
 * a sync of the file (its data and size), a durable range (O_SYNC, O_DSYNC, sync_file_range with
 * WAIT_AFTER, msync with MS_SYNC), a sync of the directory (its entries), or a sync of everything
 * (sync, syncfs: the journal starts again empty).
 *
 * Every writer function (fl_journal_inode to fl_journal_rename below) is called while this process
 * holds the lock (fl_journal_lock) and, in the shim, with the thread inside the guard: the module
 * calls libc by its ordinary names and the wrappers pass those calls through. The writer
 * allocates nothing and keeps its stack buffers small (at most 8 KiB at a time); on failure it
 * leaves the journal as it was and returns -1 with errno the cause. A power loss should be
 * declared with the lock held too, so that no process is caught between a record and its change
 * (the rollback tolerates that case, but cannot always tell it). */
#ifndef FL_JOURNAL_H
#define FL_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* One process's handle on the run's journal. */
struct fl_journal {
    int dirfd;       /* the journal directory, O_PATH | O_DIRECTORY | O_CLOEXEC */
    int logfd;       /* log, O_WRONLY | O_APPEND | O_CLOEXEC */
    int datafd;      /* data, O_RDWR | O_CLOEXEC (written at its end, under the lock) */
    int lockfd;      /* lock, O_RDWR | O_CLOEXEC */
    char dir[4096];  /* the directory's path, absolute */
};

/* Create a new, empty journal directory at `dir` (which must not exist, or be an empty directory
 * the caller made: mkdtemp), mode 0700. Returns 0, or -1 with errno. For faultline run. */
int fl_journal_create(const char *dir);

/* Open the journal at `dir` for writing: the files are opened close-on-exec. Returns 0, or -1
 * with errno (j's fds are then all -1). */
int fl_journal_open(struct fl_journal *j, const char *dir);

/* Close this process's fds of the journal (fork's child: reopen with fl_journal_open, so that its
 * lock is its own). */
void fl_journal_close(struct fl_journal *j);

/* Take and release the run's lock, across processes (fcntl F_SETLKW on lock, retried on EINTR).
 * Threads of one process are kept apart by the caller (durable.c). */
void fl_journal_lock(struct fl_journal *j);
void fl_journal_unlock(struct fl_journal *j);

/* Make sure ino/DEV-INO names the inode open at `fd` (a hard link made through
 * /proc/self/fd/FD), before the first record that names it. `path` is what the program calls it,
 * kept in the journal for messages (a record, written when the link is new). Cheap to repeat:
 * an existing link costs one linkat that fails with EEXIST. While linked, the file's st_nlink
 * counts the link. Returns 0, or -1 with errno (EXDEV: the journal is on another file system;
 * ENOENT: the inode has no name left, so nothing of it survives a power loss and nothing needs
 * recording). */
int fl_journal_inode(struct fl_journal *j, int fd, dev_t dev, ino_t ino, const char *path);

/* The bytes [off, off + len) of the file open at `fd` (device dev, inode ino) are about to
 * change, and its size is now `size`: save the old bytes that exist (those below `size`) and the
 * size. Undone: the bytes are written back and the file cut or extended back to `size`. Covers
 * writes (len: the bytes asked for; a write that turns out shorter is undone all the same),
 * truncation (off: the new length, len: what is cut off; extending: off the old size, len what
 * is added), fallocate and an O_TRUNC open. The old bytes are read from fd, or through
 * ino/DEV-INO when fd cannot read them (O_WRONLY, O_DIRECT, or fd -1): fl_journal_inode first. */
int fl_journal_save(struct fl_journal *j, int fd, dev_t dev, ino_t ino, off_t off, uint64_t len,
                    off_t size);

/* The bytes [off, off + len) of a file are durable (len UINT64_MAX: the whole file, its size
 * with it: fsync, fdatasync). Earlier saves of those bytes are not undone, and an earlier save's
 * size is restored no shorter than the end of the range: clip the range to the file's size
 * (sync_file_range with nbytes 0 means "to the end of the file"). */
int fl_journal_durable(struct fl_journal *j, dev_t dev, ino_t ino, off_t off, uint64_t len);

/* A directory's entries are durable (fsync of the directory): earlier entry records of it are
 * not undone. */
int fl_journal_dir_durable(struct fl_journal *j, dev_t dev, ino_t ino);

/* Everything is durable (sync, syncfs): the journal is emptied (log and data cut to nothing,
 * ino/ and keep/ emptied). */
int fl_journal_all_durable(struct fl_journal *j);

/* What a name in a directory was before a change. */
enum fl_entry_was {
    FL_ENTRY_ABSENT,   /* nothing: undone by removing what is there (a whole tree) */
    FL_ENTRY_FILE,     /* a file or symlink, now linked at keep/N: undone by renaming it back */
    FL_ENTRY_DIR,      /* an empty directory with `mode`: undone by making it again */
};

/* The entry `name` of the directory at `dirpath` (device dev, inode ino) is about to change;
 * before the change it was `was`. For FL_ENTRY_FILE the journal first links the file at
 * dirpath/name to keep/N (or, when it cannot, fails with errno and records nothing). */
int fl_journal_entry(struct fl_journal *j, const char *dirpath, dev_t dev, ino_t ino,
                     const char *name, enum fl_entry_was was, mode_t mode);

/* A rename of `oldname` in oldpath's directory (odev, oino) to `newname` in newpath's (ndev,
 * nino) is about to happen; before it the new name was `was_new` (FL_ENTRY_FILE: linked at keep/N
 * by the journal first). Undone as the two directories' durability says: neither synced, the
 * rename is reversed; only the new directory synced, the file is under both names; only the old
 * directory synced, the file is gone from both (and the new name gets back what it had). */
int fl_journal_rename(struct fl_journal *j, const char *oldpath, dev_t odev, ino_t oino,
                      const char *oldname, const char *newpath, dev_t ndev, ino_t nino,
                      const char *newname, enum fl_entry_was was_new, mode_t mode);

/* Declare a power loss: write the power-loss file with `why` (up to its first newline). */
int fl_journal_power_loss(struct fl_journal *j, const char *why);

/* Whether a power loss was declared in the journal at `dir`; when so and why/cap, copies its
 * line. */
bool fl_journal_lost_power(const char *dir, char *why, size_t cap);

/* How a rollback keeps part of what was not synced (a disk with a volatile cache). A sector
 * drawn to be kept keeps its newest content whole and counts as durable for older records; one
 * drawn lost goes back whole to its durable content (bytes that did not exist then, inside a
 * file kept longer by a later sector, read as zeros). The draw depends on (seed, the file's rank
 * among the files in the order the log first names them, sector index) alone: a run repeated on
 * files made afresh (new inode numbers) tears the same sectors. */
struct fl_rollback_opts {
    unsigned sector;   /* 0: every unsynced change is lost; 512 or 4096: sectors of that size */
    double keep;       /* with sector: the chance that a sector keeps its newest content */
    uint64_t seed;     /* draws which sectors are kept (the same seed, the same sectors) */
};

/* What a rollback did, for the user and the event log. */
struct fl_rollback_summary {
    uint64_t records;          /* records read */
    uint64_t writes_undone;    /* saves undone (in whole or in part) */
    uint64_t bytes_restored;   /* old bytes written back */
    uint64_t sizes_restored;   /* files cut or extended back */
    uint64_t names_undone;     /* entries and renames undone */
    uint64_t sectors_kept;     /* torn: sectors that kept their newest content */
    uint64_t durable_skipped;  /* records not undone because what they undo was durable */
    uint64_t failed;           /* undos that failed (the first one's reason in why) */
};

/* Roll every file the journal at `dir` names back to its durable state, the newest record first:
 * what was made durable after a record is left as it is. Every process of the run must be gone.
 * o NULL: nothing torn. Returns -1 with a message in why ("journal DIR/log: record 3 at byte 256
 * is damaged") when the journal cannot be read, and then nothing was changed. Otherwise 0: every
 * undo was tried; one that failed (a file that cannot be written) is counted in s->failed and
 * the first such is described in why ("/srv/a.db (DIR/ino/2049-12): open: Permission denied";
 * why is "" when none failed). Names and files already missing are no failure (a newer undo
 * removed them). A record cut short at the end of the log (or whose checksum fails there) is
 * ignored: its change was never made. */
int fl_journal_rollback(const char *dir, const struct fl_rollback_opts *o,
                        struct fl_rollback_summary *s, char *why, size_t cap);

/* Remove the journal directory and everything in it. Returns 0 or -1 with errno. */
int fl_journal_remove(const char *dir);

#endif
