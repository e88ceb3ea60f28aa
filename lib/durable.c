/* Durability tracking (durable.h): which calls change which tracked file, what undoes each
 * change, and what each sync made durable, written to the run's journal (journal.h).
 *
 * Locks. One thread of a process at a time records: the tracker's lock, a futex word that holds
 * the owner's thread id, so that a signal handler which interrupts a tracked call on the same
 * thread and makes one of its own sees that it holds the lock already and goes on (a lock
 * taken by a compare-and-swap that also names the owner leaves no moment where the thread holds
 * it and does not know). Across processes, the run's lock (fl_journal_lock) is held by whichever
 * thread of the process holds the tracker's lock and recorded a change, from before the record
 * until the change is made. A sync takes both only after it succeeded, to record it.
 *
 * State kept per process, each table small and fixed: the inodes known to be tracked (or given
 * up on after a journal error), the stdio streams seen writing to tracked files (exit flushes
 * them where no wrapper sees it), and the shared writable mappings of tracked files. */
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <linux/falloc.h>
#include <linux/futex.h>
#include <signal.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "durable.h"
#include "events.h"
#include "fdtable.h"
#include "journal.h"
#include "real.h"
#include "rules.h"

uint8_t fl_durable_on;

static struct {
    char **globs;            /* the durable globs, as the config holds them */
    size_t nglobs;
    struct fl_journal j;     /* this process's handle on the run's journal */
    size_t jdir_len;         /* strlen(j.dir): paths under it are never tracked */
    pid_t run_pgid;          /* FAULTLINE_RUN_PGID, 0 when not given */
    bool journal_locked;     /* this process holds the run's lock (the tracker's lock's owner) */
    bool entry_failed;       /* a directory entry could not be journaled (said once) */
} st;

/* ---- the tracker's lock ---------------------------------------------------------------- */

#define LOCK_WAITERS 0x80000000u

static uint32_t lock_word;   /* the owner's thread id, 0 when free; LOCK_WAITERS: sleepers */
static __thread pid_t self_tid __attribute__((tls_model("initial-exec")));
static __thread bool fork_took __attribute__((tls_model("initial-exec")));

static uint32_t self_id(void)
{
    if (!self_tid)
        self_tid = gettid();
    return (uint32_t)self_tid;
}

static long futex(uint32_t *word, int op, uint32_t val)
{
    return syscall(SYS_futex, word, op, val, NULL, NULL, 0);
}

/* Take the tracker's lock. Returns false when this thread holds it already (a signal handler
 * interrupting a tracked call, a fork inside one): the caller then must not release it. */
static bool lock_take(void)
{
    uint32_t self = self_id(), v = __atomic_load_n(&lock_word, __ATOMIC_RELAXED), mark = 0;
    if ((v & ~LOCK_WAITERS) == self)
        return false;
    for (;;) {
        v = 0;
        if (__atomic_compare_exchange_n(&lock_word, &v, self | mark, false, __ATOMIC_ACQUIRE,
                                        __ATOMIC_RELAXED))
            return true;
        if (!(v & LOCK_WAITERS) &&
            !__atomic_compare_exchange_n(&lock_word, &v, v | LOCK_WAITERS, false,
                                         __ATOMIC_RELAXED, __ATOMIC_RELAXED))
            continue; /* it changed: look again */
        futex(&lock_word, FUTEX_WAIT_PRIVATE, v | LOCK_WAITERS);
        mark = LOCK_WAITERS; /* others may sleep too: whoever releases next wakes one */
    }
}

static void lock_give(void)
{
    if (__atomic_exchange_n(&lock_word, 0, __ATOMIC_RELEASE) & LOCK_WAITERS)
        futex(&lock_word, FUTEX_WAKE_PRIVATE, 1);
}

/* Take the tracker's lock and the run's, noting in *locked and *journal which this caller
 * took (and so releases with let_go). Holding already, the caller gets nothing more. */
static void hold(bool *locked, bool *journal)
{
    if (*locked || *journal)
        return;
    *locked = lock_take();
    *journal = !st.journal_locked;
    if (*journal) {
        fl_journal_lock(&st.j);
        st.journal_locked = true;
    }
}

static void let_go(bool *locked, bool *journal)
{
    if (*journal) {
        *journal = false;
        st.journal_locked = false;
        fl_journal_unlock(&st.j);
    }
    if (*locked) {
        *locked = false;
        lock_give();
    }
}

/* ---- what is tracked ------------------------------------------------------------------- */

/* The inodes this process knows about: tracked (whatever their name now: once tracked, always
 * tracked), or given up on after the journal failed them. Filled under the tracker's lock,
 * read without it: a slot's state is published after its dev and ino. An inode is looked for
 * in PROBES slots from its hash: past that, it is not remembered (its path decides). */
enum { INODE_FREE, INODE_TRACKED, INODE_BROKEN };
#define INODES 4096
#define PROBES 32
static struct inode_slot {
    uint64_t dev, ino;
    uint8_t state;
} inodes[INODES];

static size_t inode_hash(uint64_t dev, uint64_t ino)
{
    uint64_t h = (ino ^ (dev << 32 | dev >> 32)) * 0x9e3779b97f4a7c15ULL;
    return (size_t)(h >> 52) & (INODES - 1);
}

/* The state of an inode: INODE_FREE when unknown. */
static int inode_state(uint64_t dev, uint64_t ino)
{
    for (size_t i = inode_hash(dev, ino), n = 0; n < PROBES; i = (i + 1) & (INODES - 1), n++) {
        struct inode_slot *s = &inodes[i];
        uint8_t state = __atomic_load_n(&s->state, __ATOMIC_ACQUIRE);
        if (state == INODE_FREE)
            return INODE_FREE;
        if (s->dev == dev && s->ino == ino)
            return state;
    }
    return INODE_FREE;
}

/* Note an inode's state (tracker's lock held). */
static void inode_mark(uint64_t dev, uint64_t ino, int state)
{
    for (size_t i = inode_hash(dev, ino), n = 0; n < PROBES; i = (i + 1) & (INODES - 1), n++) {
        struct inode_slot *s = &inodes[i];
        if (s->state == INODE_FREE) {
            s->dev = dev;
            s->ino = ino;
        } else if (s->dev != dev || s->ino != ino) {
            continue;
        }
        if (s->state != INODE_BROKEN)
            __atomic_store_n(&s->state, (uint8_t)state, __ATOMIC_RELEASE);
        return;
    }
}

/* Whether an absolute path is one the durable globs cover (the journal's own never are). */
static bool path_tracked(const char *path)
{
    if (!path || (strncmp(path, st.j.dir, st.jdir_len) == 0 &&
                  (path[st.jdir_len] == '/' || path[st.jdir_len] == '\0')))
        return false;
    for (size_t i = 0; i < st.nglobs; i++)
        if (fnmatch(st.globs[i], path, 0) == 0)
            return true;
    return false;
}

/* The absolute path of the name a PATH or NAME call acts on, in c->pathbuf (where fl_begin
 * usually put it already); NULL when unknown. */
static char *name_path(struct fl_call_ctx *c)
{
    char tmp[PATH_MAX];
    if (!c->m.path)
        return NULL;
    if (c->m.path != c->pathbuf) {
        if (strlen(c->m.path) >= sizeof tmp)
            return NULL;
        strcpy(tmp, c->m.path);
        c->m.path = fl_path_absolute(c->dirfd, tmp, c->pathbuf, sizeof c->pathbuf);
    }
    return (char *)c->m.path;
}

/* Whether the file *s (called path, NULL when unknown) is tracked. */
static bool file_tracked(const struct stat *s, const char *path)
{
    int state = inode_state(s->st_dev, s->st_ino);
    return state == INODE_TRACKED || (state == INODE_FREE && path_tracked(path));
}

/* Whether fd is a regular file that is tracked; fills *s. c->m.path is the fd's path afterwards
 * when it had to be looked up (the fault line, if any, names it). */
static bool fd_tracked(struct fl_call_ctx *c, int fd, struct stat *s)
{
    if (fd < 0 || fstat(fd, s) != 0 || !S_ISREG(s->st_mode))
        return false;
    int state = inode_state(s->st_dev, s->st_ino);
    if (state != INODE_FREE)
        return state == INODE_TRACKED;
    if (!c->m.path)
        c->m.path = fl_fd_path(fd, c->pathbuf, sizeof c->pathbuf);
    return path_tracked(c->m.path);
}

/* A journal call failed for the file dev:ino (called path): say so, once for the file, and
 * leave it untracked from now on. The program's call goes on as if nothing happened. */
static void give_up(uint64_t dev, uint64_t ino, const char *path, int err)
{
    char msg[PATH_MAX * 2 + 300];
    if (inode_state(dev, ino) == INODE_BROKEN)
        return;
    inode_mark(dev, ino, INODE_BROKEN);
    snprintf(msg, sizeof msg,
             "durable: cannot journal a change to %s (journal %s: %s): the file is no longer "
             "tracked, and a power loss will leave it as it is; give the journal room, or put "
             "it on the file's file system (faultline run --journal DIR)",
             path ? path : "a tracked file", st.j.dir, strerror(err));
    fl_say(msg);
}

/* ---- recording changes ----------------------------------------------------------------- */

/* The codes of c->track.what. */
enum {
    TRACK_NONE,
    TRACK_CHANGE,      /* a change was recorded: release the locks after */
    TRACK_SYNC_WRITE,  /* ... by a write on an O_SYNC or O_DSYNC fd: its range is durable */
    TRACK_FSYNC_FILE,  /* fsync, fdatasync of a tracked file */
    TRACK_FSYNC_DIR,   /* fsync of a directory */
    TRACK_SYNC_RANGE,  /* sync_file_range with SYNC_FILE_RANGE_WAIT_AFTER */
    TRACK_SYNC_MAP,    /* msync with MS_SYNC: the mappings it covers */
    TRACK_SYNC_ALL,    /* sync, syncfs */
};

/* Record that [off, off + len) of the file at fd (stat *s) is about to change, its size now
 * s->st_size. The journal reads the old bytes (through its own link when fd cannot). A file
 * with no name left needs nothing: none of it survives a power loss. Run's lock held. */
static void save(int fd, const struct stat *s, const char *path, off_t off, uint64_t len)
{
    if (fl_journal_inode(&st.j, fd, s->st_dev, s->st_ino, path ? path : "") != 0) {
        if (errno != ENOENT)
            give_up(s->st_dev, s->st_ino, path, errno);
        return;
    }
    if (fl_journal_save(&st.j, fd, s->st_dev, s->st_ino, off, len, s->st_size) != 0)
        give_up(s->st_dev, s->st_ino, path, errno);
}

/* Record that [off, off + len) of dev:ino is durable, cut to the file's size (the journal
 * would otherwise restore the size no shorter than the range). Run's lock held. */
static void durable_range(uint64_t dev, uint64_t ino, off_t off, uint64_t len, off_t size)
{
    if (off < 0 || off >= size || !len)
        return;
    if (len > (uint64_t)(size - off))
        len = (uint64_t)(size - off);
    fl_journal_durable(&st.j, dev, ino, off, len);
}

/* Take the locks for c and read the file's size again under them. */
static bool hold_file(struct fl_call_ctx *c, int fd, struct stat *s)
{
    hold(&c->track.locked, &c->track.journal);
    if (fstat(fd, s) == 0 && inode_state(s->st_dev, s->st_ino) != INODE_BROKEN) {
        inode_mark(s->st_dev, s->st_ino, INODE_TRACKED);
        c->track.dev = s->st_dev;
        c->track.ino = s->st_ino;
        c->track.what = TRACK_CHANGE;
        return true;
    }
    let_go(&c->track.locked, &c->track.journal);
    return false;
}

/* The flags fd is open with (O_RDWR when they cannot be read). */
static int open_flags(int fd)
{
    int flags = fcntl(fd, F_GETFL);
    return flags >= 0 ? flags : O_RDWR;
}

/* Where a write on fd (open with flags) at `off` (-1: the fd's offset) lands. */
static off_t write_offset(int fd, int flags, off_t off, const struct stat *s)
{
    if (flags & O_APPEND)
        return s->st_size; /* Linux appends even pwrite's bytes */
    return off >= 0 ? off : lseek(fd, 0, SEEK_CUR);
}

/* The write family, sendfile, splice and copy_file_range into a file: [off, off + len). */
static bool plan_write(struct fl_call_ctx *c, int fd, off_t off, uint64_t len)
{
    struct stat s;
    if (!fd_tracked(c, fd, &s) || !hold_file(c, fd, &s))
        return false;
    int flags = open_flags(fd);
    off = write_offset(fd, flags, off, &s);
    if (off < 0)
        off = s.st_size;
    save(fd, &s, c->m.path, off, len);
    c->track.off = off;
    if (flags & O_DSYNC) /* O_SYNC includes it */
        c->track.what = TRACK_SYNC_WRITE;
    return true;
}

/* ---- stdio ----------------------------------------------------------------------------- */

/* The streams seen writing to tracked files, for exit (tracker's lock held). A stream closed
 * without fclose (fcloseall) may stay: exit checks that a slot still looks like a stream. */
#define STREAMS 64
static FILE *streams[STREAMS];

#define STREAM_MAGIC 0xfbad0000 /* glibc: the high half of every live stream's _flags */

static void stream_remember(FILE *f)
{
    int free_slot = -1;
    for (int i = 0; i < STREAMS; i++) {
        if (streams[i] == f)
            return;
        if (!streams[i] && free_slot < 0)
            free_slot = i;
    }
    if (free_slot >= 0)
        streams[free_slot] = f;
}

static void stream_forget(FILE *f)
{
    for (int i = 0; i < STREAMS; i++)
        if (streams[i] == f)
            streams[i] = NULL;
}

/* Record that the stream's buffered bytes, and `adds` more, are about to reach its file (or
 * may, from inside stdio). When its file is tracked, takes the locks for c (the caller lets
 * them go) and returns true. */
static bool save_stream(struct fl_call_ctx *c, FILE *f, uint64_t adds)
{
    struct stat s;
    int fd = fileno(f);
    if (!fd_tracked(c, fd, &s))
        return false;
    hold(&c->track.locked, &c->track.journal);
    if (fstat(fd, &s) != 0 || inode_state(s.st_dev, s.st_ino) == INODE_BROKEN)
        return false;
    inode_mark(s.st_dev, s.st_ino, INODE_TRACKED);
    stream_remember(f);
    int flags = open_flags(fd);
    off_t pos = write_offset(fd, flags, -1, &s);
    uint64_t len = __fpending(f) + adds;
    if (pos >= 0 && len > 0)
        save(fd, &s, c->m.path, pos, len);
    return true;
}

/* fwrite, fputs, fputc, the fprintf family, fflush and fclose: the stream's pending bytes and
 * what the call adds (c->m.size). fflush(NULL) flushes every stream. */
static bool plan_stdio(struct fl_call_ctx *c)
{
    bool adds = c->m.call != FL_CALL_fflush && c->m.call != FL_CALL_fclose;
    if (c->m.call == FL_CALL_fclose) { /* the stream is freed whatever fclose returns */
        bool took = lock_take();
        stream_forget(c->stream);
        if (took)
            lock_give();
    }
    bool any = false;
    if (c->stream) {
        any = save_stream(c, c->stream, adds ? c->m.size : 0);
    } else { /* fflush(NULL) */
        bool none = true;
        for (int i = 0; none && i < STREAMS; i++)
            none = !streams[i];
        if (none)
            return false;
        hold(&c->track.locked, &c->track.journal);
        for (int i = 0; i < STREAMS; i++)
            if (streams[i]) {
                c->m.path = NULL;
                any |= save_stream(c, streams[i], 0);
            }
        c->m.path = NULL;
    }
    c->track.what = TRACK_CHANGE;
    if (!any)
        let_go(&c->track.locked, &c->track.journal);
    return any;
}

void fl_durable_exit(void)
{
    struct fl_guard_scope g;
    if (!fl_durable_on || !fl_guard_enter(&g))
        return;
    struct fl_call_ctx c;
    fl_ctx_init(&c, FL_CALL_fflush, FL_SYM_fflush, -1, NULL, 0, NULL);
    hold(&c.track.locked, &c.track.journal);
    for (int i = 0; i < STREAMS; i++) {
        FILE *f = streams[i];
        if (f && ((unsigned)f->_flags & 0xffff0000u) == STREAM_MAGIC && fileno(f) >= 0 &&
            __fpending(f) > 0) {
            c.m.path = NULL;
            save_stream(&c, f, 0);
        }
    }
    let_go(&c.track.locked, &c.track.journal);
    fl_guard_leave(&g);
}

/* ---- sizes and clones ------------------------------------------------------------------ */

/* ftruncate, truncate (through an fd of its own), fallocate, posix_fallocate and ficlone on the
 * tracked file at fd: what the call may change, from c->arg_off, c->arg_len and c->call_flags. */
static bool plan_size(struct fl_call_ctx *c, int fd)
{
    struct stat s;
    if (!fd_tracked(c, fd, &s) || !hold_file(c, fd, &s))
        return false;
    int mode = c->call_flags;
    off_t size = s.st_size, off = c->arg_off, len = c->arg_len;
    switch (c->m.call) {
    case FL_CALL_ftruncate:
    case FL_CALL_truncate: /* shrinking loses [off, size); growing adds [size, off) */
        save(fd, &s, c->m.path, off < size ? off : size,
             (uint64_t)(off < size ? size - off : off - size));
        return true;
    case FL_CALL_ficlone: /* FICLONE: the whole file; FICLONERANGE: the range (len) */
        if (len < 0)
            save(fd, &s, c->m.path, 0, (uint64_t)size);
        else
            save(fd, &s, c->m.path, off, (uint64_t)len);
        return true;
    default: /* fallocate, posix_fallocate (mode 0) */
        break;
    }
    if (mode & (FALLOC_FL_PUNCH_HOLE | FALLOC_FL_ZERO_RANGE))
        save(fd, &s, c->m.path, off, (uint64_t)len);
    else if (mode & (FALLOC_FL_COLLAPSE_RANGE | FALLOC_FL_INSERT_RANGE)) /* the tail moves */
        save(fd, &s, c->m.path, off, off < size ? (uint64_t)(size - off) : 0);
    else if (!(mode & FALLOC_FL_KEEP_SIZE) && off + len > size) /* adds [size, off + len) */
        save(fd, &s, c->m.path, size, (uint64_t)(off + len - size));
    else { /* blocks only: nothing a power loss would undo */
        let_go(&c->track.locked, &c->track.journal);
        return false;
    }
    return true;
}

/* truncate: the file the name leads to, through an fd of the tracker's own. */
static bool plan_truncate(struct fl_call_ctx *c)
{
    struct stat s;
    if (!name_path(c) || stat(c->m.path, &s) != 0 || !S_ISREG(s.st_mode) ||
        !file_tracked(&s, c->m.path))
        return false;
    int fd = open(c->m.path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        give_up(s.st_dev, s.st_ino, c->m.path, errno);
        return false;
    }
    bool held = plan_size(c, fd);
    close(fd);
    return held;
}

/* ---- names ----------------------------------------------------------------------------- */

/* Split the absolute path at `path` (in a writable buffer) into its directory and last name:
 * returns the name, and *dir the directory (the buffer, cut, or "/"). */
static char *split(char *path, const char **dir)
{
    char *slash = strrchr(path, '/');
    *slash = '\0';
    *dir = slash == path ? "/" : path;
    return slash + 1;
}

/* A name's change could not be journaled: say so, once for the process. */
static void entry_trouble(const char *dir, const char *name, int err)
{
    char msg[PATH_MAX * 2 + 300];
    if (st.entry_failed)
        return;
    st.entry_failed = true;
    snprintf(msg, sizeof msg, "durable: cannot journal a change to the name %s%s%s (journal %s: "
             "%s): a power loss will not restore it (said once)", dir,
             strcmp(dir, "/") ? "/" : "", name, st.j.dir, strerror(err));
    fl_say(msg);
}

/* Record that the name `path` (absolute, in a writable buffer) was `was` (mode: a directory's)
 * before the change. The buffer is whole again on return. */
static void save_entry(char *path, enum fl_entry_was was, mode_t mode)
{
    const char *dir;
    struct stat d;
    char *name = split(path, &dir);
    if (stat(dir, &d) != 0) { /* no directory: the call fails, and changes nothing */
        if (errno != ENOENT && errno != ENOTDIR)
            entry_trouble(dir, name, errno);
    } else if (fl_journal_entry(&st.j, dir, d.st_dev, d.st_ino, name, was, mode & 07777) != 0) {
        entry_trouble(dir, name, errno);
    }
    name[-1] = '/';
}

/* What a name is now, for a record: FL_ENTRY_ABSENT (s untouched), FL_ENTRY_DIR or
 * FL_ENTRY_FILE. */
static enum fl_entry_was entry_now(const char *path, struct stat *s)
{
    if (lstat(path, s) != 0)
        return FL_ENTRY_ABSENT;
    return S_ISDIR(s->st_mode) ? FL_ENTRY_DIR : FL_ENTRY_FILE;
}

/* open, openat, creat, fopen, freopen: a name created (O_CREAT where nothing is), or a file
 * emptied (O_TRUNC). O_TMPFILE names nothing (its linkat is a link). */
static bool plan_open(struct fl_call_ctx *c)
{
    int flags = c->call_flags;
    struct stat s;
    bool creat = flags & O_CREAT, trunc = flags & O_TRUNC;
    if ((flags & O_TMPFILE) == O_TMPFILE || !(creat || trunc) || !name_path(c))
        return false;
    enum fl_entry_was was = entry_now(c->m.path, &s);
    if (was == FL_ENTRY_ABSENT && creat && path_tracked(c->m.path)) {
        hold(&c->track.locked, &c->track.journal);
        c->track.what = TRACK_CHANGE;
        save_entry(c->pathbuf, FL_ENTRY_ABSENT, 0);
        return true;
    }
    if (!trunc || (flags & O_EXCL && creat) || stat(c->m.path, &s) != 0 ||
        !S_ISREG(s.st_mode) || s.st_size == 0 || !file_tracked(&s, c->m.path))
        return false;
    int fd = open(c->m.path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        give_up(s.st_dev, s.st_ino, c->m.path, errno);
        return false;
    }
    bool held = hold_file(c, fd, &s);
    if (held)
        save(fd, &s, c->m.path, 0, (uint64_t)s.st_size);
    close(fd);
    return held;
}

/* The file a link's old name leads to (linkat: AT_EMPTY_PATH, AT_SYMLINK_FOLLOW). */
static bool link_source(const struct fl_call_ctx *c, struct stat *s)
{
    if (c->call_flags & AT_EMPTY_PATH && c->path2 && !c->path2[0])
        return fstat(c->dirfd2, s) == 0;
    return c->path2 && fstatat(c->dirfd2, c->path2, s,
                               c->call_flags & AT_SYMLINK_FOLLOW ? 0 : AT_SYMLINK_NOFOLLOW) == 0;
}

/* link, symlink, mkdir: a name created; unlink, rmdir: a name removed. */
static bool plan_name(struct fl_call_ctx *c)
{
    struct stat s, from;
    char *path = name_path(c);
    if (!path)
        return false;
    enum fl_entry_was was = entry_now(path, &s);
    bool tracked = path_tracked(path) ||
                   (was == FL_ENTRY_FILE && inode_state(s.st_dev, s.st_ino) == INODE_TRACKED);
    bool removes = c->m.call == FL_CALL_unlink || c->m.call == FL_CALL_rmdir;
    if (!tracked || (removes ? was == FL_ENTRY_ABSENT : was != FL_ENTRY_ABSENT))
        return false; /* nothing to remove, or the name is taken (EEXIST) */
    if (removes) {
        bool rmdir = c->m.call == FL_CALL_rmdir || c->call_flags & AT_REMOVEDIR;
        if (rmdir != (was == FL_ENTRY_DIR))
            return false; /* EISDIR, ENOTDIR: nothing changes */
    }
    hold(&c->track.locked, &c->track.journal);
    c->track.what = TRACK_CHANGE;
    save_entry(path, was, was == FL_ENTRY_DIR ? s.st_mode : 0);
    if (c->m.call == FL_CALL_link && link_source(c, &from) && S_ISREG(from.st_mode))
        inode_mark(from.st_dev, from.st_ino, INODE_TRACKED); /* now under a tracked name */
    return true;
}

/* Whether a rename of *from to the name `to` (now *now, was) would fail before changing
 * anything, as far as can be told beforehand: a failed rename must not be recorded as done. */
static bool rename_fails(const struct stat *from, const char *to, enum fl_entry_was was,
                         const struct stat *now, int flags)
{
    struct stat dir;
    char parent[PATH_MAX];
    const char *slash = strrchr(to, '/');
    snprintf(parent, sizeof parent, "%.*s", slash == to ? 1 : (int)(slash - to), to);
    if (stat(parent, &dir) != 0 || dir.st_dev != from->st_dev)
        return true; /* ENOENT, EXDEV */
    if (was == FL_ENTRY_ABSENT)
        return flags & RENAME_EXCHANGE;
    if (now->st_dev == from->st_dev && now->st_ino == from->st_ino)
        return true; /* two names of one file: rename does nothing */
    if (flags & RENAME_NOREPLACE)
        return true; /* EEXIST */
    if (flags & RENAME_EXCHANGE)
        return S_ISDIR(from->st_mode) || S_ISDIR(now->st_mode); /* kept as files only */
    return S_ISDIR(from->st_mode) != S_ISDIR(now->st_mode); /* EISDIR, ENOTDIR */
}

/* rename, renameat, renameat2: tracked when either name is. RENAME_EXCHANGE: both names are
 * recorded as files kept before the change. */
static bool plan_rename(struct fl_call_ctx *c)
{
    char old[PATH_MAX];
    struct stat from, now;
    int flags = c->call_flags;
    if (!name_path(c) || !c->path2 ||
        !fl_path_absolute(c->dirfd2, c->path2, old, sizeof old) || lstat(old, &from) != 0)
        return false;
    bool tracked = path_tracked(c->m.path) || path_tracked(old) ||
                   (S_ISREG(from.st_mode) &&
                    inode_state(from.st_dev, from.st_ino) == INODE_TRACKED);
    enum fl_entry_was was = entry_now(c->m.path, &now);
    if (!tracked || rename_fails(&from, c->m.path, was, &now, flags))
        return false;
    hold(&c->track.locked, &c->track.journal);
    c->track.what = TRACK_CHANGE;
    if (flags & RENAME_EXCHANGE) {
        save_entry(c->pathbuf, FL_ENTRY_FILE, 0);
        save_entry(old, FL_ENTRY_FILE, 0);
    } else {
        const char *odir, *ndir;
        struct stat od, nd;
        char *oname = split(old, &odir), *nname = split(c->pathbuf, &ndir);
        if (stat(odir, &od) != 0 || stat(ndir, &nd) != 0 ||
            fl_journal_rename(&st.j, odir, od.st_dev, od.st_ino, oname, ndir, nd.st_dev,
                              nd.st_ino, nname, was, was == FL_ENTRY_DIR ? now.st_mode & 07777
                                                                         : 0) != 0)
            entry_trouble(ndir, nname, errno);
        nname[-1] = '/';
        oname[-1] = '/';
    }
    if (S_ISREG(from.st_mode) && path_tracked(c->m.path))
        inode_mark(from.st_dev, from.st_ino, INODE_TRACKED);
    return true;
}

/* ---- syncs and mappings ---------------------------------------------------------------- */

/* The shared writable mappings of tracked files (tracker's lock held). */
#define MAPS 64
static struct mapping {
    uintptr_t addr;
    size_t len;          /* 0: a free slot */
    uint64_t dev, ino;
    off_t off;           /* where in the file the mapping starts */
    char *path;          /* to read the file again after a sync (the fd may be closed) */
} maps[MAPS];
static int nmaps;        /* slots in use, for a quick "none" */

/* The mapped bytes of m in [from, to) (addresses in it; from 0: none) are durable now: record
 * that, and the mapped bytes as about to change again (stores may follow at any time). The
 * file is reached by its path (the fd mapped may be closed by now). Run's lock held. */
static void mapping_synced(const struct mapping *m, uintptr_t from, uintptr_t to)
{
    struct stat s;
    int fd = open(m->path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd >= 0 && fstat(fd, &s) == 0 && s.st_dev == m->dev && s.st_ino == m->ino) {
        if (from)
            durable_range(m->dev, m->ino, m->off + (off_t)(from - m->addr), to - from, s.st_size);
        save(fd, &s, m->path, m->off, m->len);
    } else {
        give_up(m->dev, m->ino, m->path, fd >= 0 ? ESTALE : errno);
    }
    if (fd >= 0)
        close(fd);
}

/* After a sync: the mapped ranges of dev:ino (all: every mapping) are durable now, and what
 * the program stores in them from here on is undoable again. Run's lock held. */
static void resave_mappings(uint64_t dev, uint64_t ino, bool all)
{
    for (int i = 0; nmaps && i < MAPS; i++)
        if (maps[i].len && (all || (maps[i].dev == dev && maps[i].ino == ino)))
            mapping_synced(&maps[i], 0, 0);
}

static void forget_mappings(uintptr_t addr, size_t len)
{
    for (int i = 0; nmaps && i < MAPS; i++) {
        struct mapping *m = &maps[i];
        if (!m->len || addr >= m->addr + m->len || addr + len <= m->addr)
            continue;
        if (addr <= m->addr && addr + len >= m->addr + m->len) { /* all of it */
            fl_real_free(m->path);
            *m = (struct mapping){0};
            nmaps--;
        } else if (addr <= m->addr) { /* its head */
            size_t cut = addr + len - m->addr;
            m->addr += cut;
            m->off += (off_t)cut;
            m->len -= cut;
        } else { /* its tail (a hole in the middle keeps the tail, which is still mapped) */
            if (addr + len < m->addr + m->len)
                continue;
            m->len = addr - m->addr;
        }
    }
}

static void remember_mapping(uintptr_t addr, size_t len, const struct stat *s, off_t off,
                             const char *path)
{
    for (int i = 0; i < MAPS; i++)
        if (!maps[i].len) {
            char *copy = fl_real_malloc(strlen(path) + 1);
            if (!copy)
                return;
            strcpy(copy, path);
            maps[i] = (struct mapping){addr, len, s->st_dev, s->st_ino, off, copy};
            nmaps++;
            return;
        }
}

/* msync with MS_SYNC: the mapped ranges in [addr, addr + len) are durable. */
static void msynced(uintptr_t addr, size_t len)
{
    for (int i = 0; nmaps && i < MAPS; i++) {
        struct mapping *m = &maps[i];
        if (!m->len || addr >= m->addr + m->len || addr + len <= m->addr)
            continue;
        uintptr_t lo = addr > m->addr ? addr : m->addr;
        uintptr_t hi = addr + len < m->addr + m->len ? addr + len : m->addr + m->len;
        mapping_synced(m, lo, hi);
    }
}

void *fl_durable_mmap(void *(*real)(void *, size_t, int, int, int, off_t), void *addr,
                      size_t len, int prot, int flags, int fd, off_t off)
{
    struct fl_guard_scope g;
    bool shared = flags & MAP_SHARED && prot & PROT_WRITE && fd >= 0;
    if (!fl_guard_enter(&g))
        return real(addr, len, prot, flags, fd, off);
    struct fl_call_ctx c;
    struct stat s;
    fl_ctx_init(&c, FL_CALL_write, FL_SYM_write, fd, NULL, len, NULL);
    bool tracked = shared && fd_tracked(&c, fd, &s) &&
                   (c.m.path || (c.m.path = fl_fd_path(fd, c.pathbuf, sizeof c.pathbuf))) &&
                   hold_file(&c, fd, &s); /* the path reads the file again after a sync */
    if (tracked)
        save(fd, &s, c.m.path, off, len);
    else if (flags & MAP_FIXED && nmaps)
        hold(&c.track.locked, &c.track.journal);
    void *r = real(addr, len, prot, flags, fd, off);
    int err = errno;
    if (r != MAP_FAILED && (tracked || flags & MAP_FIXED))
        forget_mappings((uintptr_t)r, len); /* MAP_FIXED replaces what was there */
    if (r != MAP_FAILED && tracked)
        remember_mapping((uintptr_t)r, len, &s, off, c.m.path);
    let_go(&c.track.locked, &c.track.journal);
    fl_guard_leave(&g);
    errno = err;
    return r;
}

void fl_durable_munmap(void *addr, size_t len)
{
    struct fl_guard_scope g;
    if (!nmaps || !fl_guard_enter(&g))
        return;
    bool took = lock_take();
    forget_mappings((uintptr_t)addr, len);
    if (took)
        lock_give();
    fl_guard_leave(&g);
}

/* fsync, fdatasync, sync_file_range, msync, syncfs, sync: what to record if it succeeds. */
static bool plan_sync(struct fl_call_ctx *c)
{
    struct stat s, journal;
    switch (c->m.call) {
    case FL_CALL_fsync:
    case FL_CALL_fdatasync:
        if (c->m.fd >= 0 && fstat(c->m.fd, &s) == 0 && S_ISDIR(s.st_mode))
            c->track.what = TRACK_FSYNC_DIR;
        else if (fd_tracked(c, c->m.fd, &s))
            c->track.what = TRACK_FSYNC_FILE;
        else
            return false;
        break;
    case FL_CALL_sync_file_range:
        if (!(c->call_flags & SYNC_FILE_RANGE_WAIT_AFTER) || !fd_tracked(c, c->m.fd, &s))
            return false;
        c->track.what = TRACK_SYNC_RANGE;
        break;
    case FL_CALL_msync:
        if (!(c->call_flags & MS_SYNC))
            return false;
        c->track.what = TRACK_SYNC_MAP;
        return true;
    case FL_CALL_syncfs: /* the journal is on the tracked files' file system */
        if (fstat(c->m.fd, &s) != 0 || fstat(st.j.dirfd, &journal) != 0 ||
            s.st_dev != journal.st_dev)
            return false;
        c->track.what = TRACK_SYNC_ALL;
        return true;
    default: /* sync */
        c->track.what = TRACK_SYNC_ALL;
        return true;
    }
    c->track.dev = s.st_dev;
    c->track.ino = s.st_ino;
    return true;
}

/* Record what a sync that succeeded (an O_SYNC write: of `done` bytes) made durable. Run's lock
 * held. */
static void synced(struct fl_call_ctx *c, long done)
{
    struct stat s;
    switch (c->track.what) {
    case TRACK_FSYNC_FILE:
        fl_journal_durable(&st.j, c->track.dev, c->track.ino, 0, UINT64_MAX);
        resave_mappings(c->track.dev, c->track.ino, false);
        break;
    case TRACK_FSYNC_DIR:
        fl_journal_dir_durable(&st.j, c->track.dev, c->track.ino);
        break;
    case TRACK_SYNC_RANGE: /* nbytes 0: to the end of the file */
        if (fstat(c->m.fd, &s) == 0)
            durable_range(c->track.dev, c->track.ino, c->arg_off,
                          c->arg_len > 0 ? (uint64_t)c->arg_len : UINT64_MAX, s.st_size);
        break;
    case TRACK_SYNC_WRITE:
        if (fstat(c->m.fd, &s) == 0)
            durable_range(c->track.dev, c->track.ino, c->track.off, (uint64_t)done, s.st_size);
        break;
    case TRACK_SYNC_MAP:
        msynced((uintptr_t)c->arg_off, (size_t)c->arg_len);
        break;
    case TRACK_SYNC_ALL:
        fl_journal_all_durable(&st.j);
        resave_mappings(0, 0, true);
        break;
    }
}

/* ---- the calls --------------------------------------------------------------------------- */

bool fl_durable_watches(enum fl_call_id call)
{
    switch (call) {
    case FL_CALL_write: case FL_CALL_pwrite: case FL_CALL_writev: case FL_CALL_pwritev:
    case FL_CALL_sendfile: case FL_CALL_splice: case FL_CALL_copy_file_range:
    case FL_CALL_fwrite: case FL_CALL_fputs: case FL_CALL_fputc: case FL_CALL_fprintf:
    case FL_CALL_fflush: case FL_CALL_fclose:
    case FL_CALL_ftruncate: case FL_CALL_truncate: case FL_CALL_fallocate:
    case FL_CALL_posix_fallocate: case FL_CALL_ficlone:
    case FL_CALL_open: case FL_CALL_openat: case FL_CALL_creat: case FL_CALL_fopen:
    case FL_CALL_freopen:
    case FL_CALL_rename: case FL_CALL_link: case FL_CALL_symlink: case FL_CALL_unlink:
    case FL_CALL_mkdir: case FL_CALL_rmdir:
    case FL_CALL_fsync: case FL_CALL_fdatasync: case FL_CALL_sync_file_range:
    case FL_CALL_syncfs: case FL_CALL_msync: case FL_CALL_sync:
        return true;
    default:
        return false;
    }
}

/* What the call changes or syncs: the journal records, the locks taken. */
static bool plan(struct fl_call_ctx *c)
{
    switch (c->m.call) {
    case FL_CALL_write: case FL_CALL_pwrite: case FL_CALL_writev: case FL_CALL_pwritev:
    case FL_CALL_sendfile: case FL_CALL_splice: case FL_CALL_copy_file_range:
        return plan_write(c, c->m.fd, c->offset, c->m.size);
    case FL_CALL_fwrite: case FL_CALL_fputs: case FL_CALL_fputc: case FL_CALL_fprintf:
    case FL_CALL_fflush: case FL_CALL_fclose:
        return plan_stdio(c);
    case FL_CALL_ftruncate: case FL_CALL_fallocate: case FL_CALL_posix_fallocate:
    case FL_CALL_ficlone:
        return plan_size(c, c->m.fd);
    case FL_CALL_truncate:
        return plan_truncate(c);
    case FL_CALL_open: case FL_CALL_openat: case FL_CALL_creat: case FL_CALL_fopen:
    case FL_CALL_freopen:
        return plan_open(c);
    case FL_CALL_rename:
        return plan_rename(c);
    case FL_CALL_link: case FL_CALL_symlink: case FL_CALL_unlink: case FL_CALL_mkdir:
    case FL_CALL_rmdir:
        return plan_name(c);
    case FL_CALL_fsync: case FL_CALL_fdatasync: case FL_CALL_sync_file_range:
    case FL_CALL_syncfs: case FL_CALL_msync: case FL_CALL_sync:
        return plan_sync(c);
    default:
        return false;
    }
}

/* The cleanup of a tracked call whose thread leaves the real call without returning
 * (pthread_cancel, a siglongjmp out of a signal handler): the locks go with it. */
static void unwound(void *arg)
{
    struct fl_call_ctx *c = arg;
    int saved = errno, outer = fl_guard;
    fl_guard = 1;
    let_go(&c->track.locked, &c->track.journal);
    fl_guard = outer;
    errno = saved;
}

bool fl_track_before(struct fl_call_ctx *c)
{
    struct fl_guard_scope g;
    if (fl_guard)
        return false;
    /* Pushed before the guard's own, popped after it: the two nest. */
    _pthread_cleanup_push(&c->track_unwind, unwound, c);
    bool after = false;
    if (fl_guard_enter(&g)) {
        after = plan(c);
        fl_guard_leave(&g);
    }
    if (!after)
        _pthread_cleanup_pop(&c->track_unwind, 0);
    return after;
}

void fl_track_after(struct fl_call_ctx *c, long result)
{
    struct fl_guard_scope g;
    int saved = errno;
    if (fl_guard_enter(&g)) {
        bool sync = c->track.what != TRACK_CHANGE;
        if (sync && (c->track.what == TRACK_SYNC_WRITE ? result > 0 : result == 0)) {
            hold(&c->track.locked, &c->track.journal); /* a sync held nothing before */
            synced(c, result);
        }
        let_go(&c->track.locked, &c->track.journal);
        fl_guard_leave(&g);
    }
    _pthread_cleanup_pop(&c->track_unwind, 0);
    errno = saved;
}

/* ---- start, fork, power loss ------------------------------------------------------------- */

int fl_fopen_flags(const char *mode)
{
    int flags = mode && mode[0] == 'r' ? 0 : O_CREAT;
    if (mode && mode[0] == 'w')
        flags |= O_TRUNC;
    if (mode && mode[0] == 'a')
        flags |= O_APPEND;
    bool plus = mode && strchr(mode, '+');
    flags |= mode && mode[0] == 'r' && !plus ? O_RDONLY : plus ? O_RDWR : O_WRONLY;
    return flags;
}

/* Register the journal's fds as the shim's own (the program can neither see them as its own
 * nor close them). */
static void own_journal_fds(void)
{
    fl_events_own(&st.j.dirfd);
    fl_events_own(&st.j.logfd);
    fl_events_own(&st.j.datafd);
    fl_events_own(&st.j.lockfd);
}

int fl_durable_start(char *const *globs, size_t n, const char *journal, char *why, size_t cap)
{
    st.globs = malloc(n * sizeof *st.globs);
    for (size_t i = 0; st.globs && i < n; i++)
        if (!(st.globs[st.nglobs++] = strdup(globs[i]))) {
            snprintf(why, cap, "durable: out of memory");
            return -1;
        }
    if (!st.globs) {
        snprintf(why, cap, "durable: out of memory");
        return -1;
    }
    if (fl_journal_open(&st.j, journal) != 0) {
        snprintf(why, cap, "durable: cannot open the journal %s (FAULTLINE_JOURNAL): %s; "
                 "faultline run makes it: run the program with faultline run", journal,
                 strerror(errno));
        return -1;
    }
    st.jdir_len = strlen(st.j.dir);
    own_journal_fds();
    const char *pgid = secure_getenv("FAULTLINE_RUN_PGID");
    st.run_pgid = pgid ? (pid_t)atoi(pgid) : 0;
    bool calls[FL_CALL_COUNT];
    for (int c = 0; c < FL_CALL_COUNT; c++)
        calls[c] = fl_durable_watches((enum fl_call_id)c);
    fl_rules_watch(calls, true);
    __atomic_store_n(&fl_durable_on, 1, __ATOMIC_RELEASE);
    return 0;
}

void fl_durable_atfork_prepare(void)
{
    if (fl_durable_on)
        fork_took = lock_take(); /* no other thread is inside the tracker when fork copies it */
}

void fl_durable_atfork_parent(void)
{
    if (fl_durable_on && fork_took) {
        fork_took = false;
        lock_give();
    }
}

void fl_durable_atfork_child(void)
{
    if (!fl_durable_on)
        return;
    /* This thread is the only one, with a new id: it holds the lock if it did before. */
    uint32_t old = self_id();
    self_tid = 0;
    __atomic_store_n(&lock_word, (lock_word & ~LOCK_WAITERS) == old ? self_id() : 0,
                     __ATOMIC_RELAXED);
    /* The run's lock is the parent's: the child opens the journal again, to hold its own. */
    char dir[sizeof st.j.dir];
    strcpy(dir, st.j.dir);
    fl_events_disown_all();
    fl_journal_close(&st.j);
    if (fl_journal_open(&st.j, dir) == 0) {
        own_journal_fds();
        if (st.journal_locked) /* forked inside a tracked call, which releases it later */
            fl_journal_lock(&st.j);
    } else {
        char msg[PATH_MAX + 200];
        snprintf(msg, sizeof msg, "durable: a forked child cannot open the journal %s (%s): "
                 "its changes are not tracked, and a power loss leaves them as they are", dir,
                 strerror(errno));
        fl_say(msg);
        st.journal_locked = false;
        __atomic_store_n(&fl_durable_on, 0, __ATOMIC_RELEASE);
    }
    if (fork_took) {
        fork_took = false;
        lock_give();
    }
}

int fl_durable_power_loss(const char *why)
{
    if (!fl_durable_on)
        return -1;
    int outer = fl_guard;
    fl_guard = 1;
    fl_events_power_loss(why);
    /* Under the locks: no change or sync of this run is recorded after the power loss. */
    bool locked = false, journal = false;
    hold(&locked, &journal);
    fl_journal_power_loss(&st.j, why);
    pid_t own = getpgrp();
    if (st.run_pgid > 0 && st.run_pgid != own)
        kill(-st.run_pgid, SIGKILL);
    if (st.run_pgid > 0)
        kill(0, SIGKILL); /* this process's group, this process with it */
    raise(SIGKILL);
    fl_guard = outer;
    return 0; /* not reached */
}
