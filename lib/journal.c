/* The durability journal (journal.h): the writer the shim calls around every tracked change, and
 * the rollback faultline run performs after a power loss.
 *
 * The log is a sequence of records, each appended with one writev(2) on the O_APPEND fd, in the
 * machine's byte order (a journal never leaves the machine that wrote it):
 *
 *   byte  size  field
 *      0     4  magic "FLJ1"
 *      4     4  length: the whole record, this header and its strings
 *      8     4  sum: FNV-1a (32 bits) of the whole record with this field 0
 *     12     2  type: SAVE, DURABLE, DIR_DURABLE, ENTRY, RENAME or INODE (enum rec_type)
 *     14     2  was: what the name was before (ENTRY, RENAME: enum fl_entry_was)
 *     16     8  seq: the N of keep/N (ENTRY, RENAME whose name was a FILE)
 *     24    16  dev, ino: the file (SAVE, DURABLE, INODE) or the directory (DIR_DURABLE, ENTRY,
 *               RENAME's old name)
 *     40    16  off, len: the bytes that change (SAVE) or became durable (DURABLE; len
 *               UINT64_MAX: the whole file and its size)
 *     56     8  size: the file's size before the change (SAVE)
 *     64    16  data_off, data_len: where the old bytes are in data (SAVE; data_len is what
 *               existed of [off, off + len) below size)
 *     80    16  dev2, ino2: the new name's directory (RENAME)
 *     96     4  mode: the directory's mode (ENTRY, RENAME, was DIR)
 *    100    16  the lengths of the four strings (without their NUL)
 *    116     4  zero
 *    120        the four strings, each followed by a NUL: ENTRY: dirpath, name; RENAME: old
 *               dirpath, old name, new dirpath, new name; INODE: the file's path; others: empty;
 *               then zeros to a multiple of 8 bytes (every record starts 8-aligned)
 *
 * A record is written whole or, when a kill cuts the write short, as a prefix at the log's end;
 * the reader ignores a last record that is short or fails its sum (the change it describes was
 * not made: the lock is held from before the record until after the change), and refuses a
 * damaged record anywhere else. The old bytes a SAVE refers to are appended to data before the
 * record is written, so a complete record always finds them.
 *
 * The writer runs inside the program (the shim, its thread inside the guard): no allocation,
 * bounded stack buffers, libc by its ordinary names (the wrappers pass the calls through). The
 * reader runs in faultline run, after every process of the run is gone. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#define HASH_NONFATAL_OOM 1
#define uthash_nonfatal_oom(obj) (rb->oom = true)
#include <uthash.h>

#include "journal.h"
#include "mix.h"

#define REC_MAGIC 0x314a4c46u /* "FLJ1" read as a little-endian word */
#define COPY_CHUNK 8192       /* the stack buffer that copies bytes when the kernel cannot */
#define DIRENT_BUF 2048       /* the stack buffer of one directory read */

enum rec_type { REC_SAVE = 1, REC_DURABLE, REC_DIR_DURABLE, REC_ENTRY, REC_RENAME, REC_INODE };

struct rec {
    uint32_t magic, length, sum;
    uint16_t type, was;
    uint64_t seq;
    uint64_t dev, ino;
    uint64_t off, len;
    uint64_t size;
    uint64_t data_off, data_len;
    uint64_t dev2, ino2;
    uint32_t mode;
    uint32_t lens[4];
    uint32_t zero;
};
_Static_assert(sizeof(struct rec) == 120, "the record header is 120 bytes (see the table above)");

/* ---- shared by writer and reader ------------------------------------------------------------- */

static uint32_t fnv1a(uint32_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 16777619u;
    return h;
}

#define FNV_START 2166136261u

/* off + len, at most UINT64_MAX. */
static uint64_t end_of(uint64_t off, uint64_t len)
{
    return len > UINT64_MAX - off ? UINT64_MAX : off + len;
}

static uint64_t min64(uint64_t a, uint64_t b)
{
    return a < b ? a : b;
}

static uint64_t max64(uint64_t a, uint64_t b)
{
    return a > b ? a : b;
}

/* "ino/DEV-INO" or "keep/N" into buf (64 bytes are plenty). */
static void ino_name(char *buf, size_t cap, uint64_t dev, uint64_t ino)
{
    snprintf(buf, cap, "ino/%llu-%llu", (unsigned long long)dev, (unsigned long long)ino);
}

static void keep_name(char *buf, size_t cap, uint64_t n)
{
    snprintf(buf, cap, "keep/%llu", (unsigned long long)n);
}

/* dir + "/" + name into buf; -1 and ENAMETOOLONG when it does not fit. */
static int join(char *buf, size_t cap, const char *dir, const char *name)
{
    size_t d = strlen(dir), n = strlen(name);
    bool slash = d > 0 && dir[d - 1] == '/';
    if (d + !slash + n + 1 > cap) {
        errno = ENAMETOOLONG;
        return -1;
    }
    memcpy(buf, dir, d);
    if (!slash)
        buf[d++] = '/';
    memcpy(buf + d, name, n + 1);
    return 0;
}

/* pwrite all of buf at off, on after short writes and EINTR. */
static int pwrite_all(int fd, const void *buf, size_t n, uint64_t off)
{
    const char *p = buf;
    while (n > 0) {
        ssize_t w = pwrite(fd, p, n, (off_t)off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            if (w == 0)
                errno = EIO;
            return -1;
        }
        p += w, n -= (size_t)w, off += (uint64_t)w;
    }
    return 0;
}

/* Cut the file at fd back to `at`, errno kept: what lies past it is orphaned either way. */
static void cut_back(int fd, off_t at)
{
    int err = errno;
    int r = ftruncate(fd, at);
    (void)r;
    errno = err;
}

/* Copy n bytes of `from` at off to `to` at to_off: in the kernel when it can (copy_file_range:
 * no copy through user space, extents shared where the file system can), else through a stack
 * buffer. Stops early at the end of `from`. Returns the bytes copied, or -1 with errno. */
static int64_t copy_range(int from, uint64_t off, uint64_t n, int to, uint64_t to_off)
{
    uint64_t done = 0;
    while (done < n) {
        loff_t in = (loff_t)(off + done), out = (loff_t)(to_off + done);
        ssize_t k = copy_file_range(from, &in, to, &out, (size_t)min64(n - done, 1u << 30), 0);
        if (k > 0) {
            done += (uint64_t)k;
            continue;
        }
        if (k == 0)
            return (int64_t)done;
        if (errno == EINTR)
            continue;
        if (errno != EXDEV && errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP)
            return -1;
        break; /* the kernel cannot here: through user space */
    }
    char buf[COPY_CHUNK];
    while (done < n) {
        ssize_t k = pread(from, buf, (size_t)min64(n - done, sizeof buf), (off_t)(off + done));
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0)
            return -1;
        if (k == 0)
            break;
        if (pwrite_all(to, buf, (size_t)k, to_off + done) != 0)
            return -1;
        done += (uint64_t)k;
    }
    return (int64_t)done;
}

static int remove_at(int dirfd, const char *name);

/* Remove everything in the directory open at fd (read with getdents64 into a stack buffer: no
 * allocation, so the shim may call it). Reads again from the start until a pass removes
 * nothing, so that removing while reading skips nothing. Returns 0, or -1 with errno of the
 * first entry that could not be removed. */
static int empty_dir(int fd)
{
    char buf[DIRENT_BUF] __attribute__((aligned(8)));
    int err = 0;
    for (bool removed = true; removed;) {
        removed = false;
        if (lseek(fd, 0, SEEK_SET) < 0)
            return -1;
        for (;;) {
            long n = syscall(SYS_getdents64, fd, buf, sizeof buf);
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0)
                return -1;
            if (n == 0)
                break;
            for (long at = 0; at < n;) {
                struct dirent64 *d = (struct dirent64 *)(buf + at);
                at += d->d_reclen;
                if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0)
                    continue;
                if (remove_at(fd, d->d_name) == 0)
                    removed = true;
                else if (!err)
                    err = errno;
            }
        }
    }
    if (err) {
        errno = err;
        return -1;
    }
    return 0;
}

/* Remove the name at dirfd/name, whatever it is: a directory with all it holds (symbolic links
 * are removed, never followed). A name that is not there is removed already. Returns 0, or -1
 * with errno. */
static int remove_at(int dirfd, const char *name)
{
    if (unlinkat(dirfd, name, 0) == 0 || errno == ENOENT)
        return 0;
    if (errno != EISDIR && errno != EPERM)
        return -1;
    int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? 0 : -1;
    int r = empty_dir(fd), err = errno;
    close(fd);
    if (r != 0) {
        errno = err;
        return -1;
    }
    return unlinkat(dirfd, name, AT_REMOVEDIR) == 0 || errno == ENOENT ? 0 : -1;
}

/* Whether the directory open at fd holds anything but "." and "..". */
static bool dir_has_entries(int fd)
{
    char buf[DIRENT_BUF] __attribute__((aligned(8)));
    long n;
    while ((n = syscall(SYS_getdents64, fd, buf, sizeof buf)) > 0)
        for (long at = 0; at < n;) {
            struct dirent64 *d = (struct dirent64 *)(buf + at);
            at += d->d_reclen;
            if (strcmp(d->d_name, ".") != 0 && strcmp(d->d_name, "..") != 0)
                return true;
        }
    return false;
}

/* ---- the writer ------------------------------------------------------------------------------ */

int fl_journal_create(const char *dir)
{
    static const char *const files[] = {"log", "data", "lock"};
    static const char *const dirs[] = {"ino", "keep"};
    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        return -1;
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return -1;
    if (dir_has_entries(fd)) {
        close(fd);
        errno = EEXIST;
        return -1;
    }
    int r = fchmod(fd, 0700);
    for (size_t i = 0; r == 0 && i < sizeof files / sizeof files[0]; i++) {
        int f = openat(fd, files[i], O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        r = f < 0 ? -1 : close(f);
    }
    for (size_t i = 0; r == 0 && i < sizeof dirs / sizeof dirs[0]; i++)
        r = mkdirat(fd, dirs[i], 0700);
    int err = errno;
    close(fd);
    errno = err;
    return r;
}

int fl_journal_open(struct fl_journal *j, const char *dir)
{
    j->dirfd = j->logfd = j->datafd = j->lockfd = -1;
    size_t n = strlen(dir);
    if (dir[0] == '/') {
        if (n >= sizeof j->dir)
            goto toolong;
        memcpy(j->dir, dir, n + 1);
    } else {
        if (!getcwd(j->dir, sizeof j->dir))
            return -1;
        size_t c = strlen(j->dir);
        if (join(j->dir + c, sizeof j->dir - c, "", dir) != 0)
            goto toolong;
    }
    j->dirfd = open(j->dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (j->dirfd < 0)
        goto fail;
    j->logfd = openat(j->dirfd, "log", O_WRONLY | O_APPEND | O_NOFOLLOW | O_CLOEXEC);
    j->datafd = openat(j->dirfd, "data", O_RDWR | O_NOFOLLOW | O_CLOEXEC);
    j->lockfd = openat(j->dirfd, "lock", O_RDWR | O_NOFOLLOW | O_CLOEXEC);
    if (j->logfd < 0 || j->datafd < 0 || j->lockfd < 0)
        goto fail;
    return 0;
toolong:
    errno = ENAMETOOLONG;
fail:;
    int err = errno;
    fl_journal_close(j);
    errno = err;
    return -1;
}

void fl_journal_close(struct fl_journal *j)
{
    int saved = errno;
    int *fds[] = {&j->dirfd, &j->logfd, &j->datafd, &j->lockfd};
    for (size_t i = 0; i < sizeof fds / sizeof fds[0]; i++) {
        if (*fds[i] >= 0)
            close(*fds[i]);
        *fds[i] = -1;
    }
    errno = saved;
}

/* Set the lock's type (F_WRLCK, F_UNLCK) on the whole lock file, waiting as long as it takes. */
static void set_lock(struct fl_journal *j, short type)
{
    int saved = errno;
    struct flock fl = {.l_type = type, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0};
    while (fcntl(j->lockfd, F_SETLKW, &fl) != 0 && errno == EINTR)
        ;
    errno = saved;
}

void fl_journal_lock(struct fl_journal *j)
{
    set_lock(j, F_WRLCK);
}

void fl_journal_unlock(struct fl_journal *j)
{
    set_lock(j, F_UNLCK);
}

/* Append record r with its strings s[0..3] (NULL: empty) to the log in one write, its length and
 * sum filled in here. A write cut short (the disk is full) is taken back. Returns 0, or -1 with
 * errno. */
static int append(struct fl_journal *j, struct rec *r, const char *const s[4])
{
    static const char pad[8];
    struct iovec iov[6] = {{r, sizeof *r}};
    uint64_t length = sizeof *r;
    r->magic = REC_MAGIC;
    r->sum = 0;
    r->zero = 0;
    for (int i = 0; i < 4; i++) {
        const char *t = s[i] ? s[i] : "";
        size_t n = strlen(t);
        r->lens[i] = (uint32_t)n;
        iov[i + 1] = (struct iovec){(void *)t, n + 1};
        length += n + 1;
    }
    iov[5] = (struct iovec){(void *)pad, (8 - length % 8) % 8};
    length += iov[5].iov_len;
    if (length > UINT32_MAX) {
        errno = ENAMETOOLONG;
        return -1;
    }
    r->length = (uint32_t)length;
    uint32_t sum = FNV_START;
    for (int i = 0; i < 6; i++)
        sum = fnv1a(sum, iov[i].iov_base, iov[i].iov_len);
    r->sum = sum;
    ssize_t w;
    while ((w = writev(j->logfd, iov, 6)) < 0 && errno == EINTR)
        ;
    if (w == (ssize_t)length)
        return 0;
    if (w > 0) { /* take the part back: the lock is held, nobody wrote after it */
        errno = ENOSPC;
        off_t end = lseek(j->logfd, 0, SEEK_END);
        if (end >= w)
            cut_back(j->logfd, end - w);
    }
    return -1;
}

static const char *const no_strings[4];

int fl_journal_inode(struct fl_journal *j, int fd, dev_t dev, ino_t ino, const char *path)
{
    char proc[64], name[64];
    snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
    ino_name(name, sizeof name, dev, ino);
    if (linkat(AT_FDCWD, proc, j->dirfd, name, AT_SYMLINK_FOLLOW) != 0)
        return errno == EEXIST ? 0 : -1;
    struct rec r = {.type = REC_INODE, .dev = dev, .ino = ino};
    const char *s[4] = {path};
    return append(j, &r, s);
}

/* An fd that reads inode ino/DEV-INO of the journal, or -1 with errno. */
static int open_inode(struct fl_journal *j, dev_t dev, ino_t ino)
{
    char name[64];
    ino_name(name, sizeof name, dev, ino);
    return openat(j->dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
}

int fl_journal_save(struct fl_journal *j, int fd, dev_t dev, ino_t ino, off_t off, uint64_t len,
                    off_t size)
{
    uint64_t o = (uint64_t)off, sz = size > 0 ? (uint64_t)size : 0;
    uint64_t want = o < sz ? min64(len, sz - o) : 0;
    off_t data_off = lseek(j->datafd, 0, SEEK_END);
    if (data_off < 0)
        return -1;
    int64_t got = want ? copy_range(fd, o, want, j->datafd, (uint64_t)data_off) : 0;
    if (got < 0 || (uint64_t)got < want) {
        /* fd may not read (O_WRONLY, O_DIRECT) or stopped short: read the inode's own link. */
        int in = open_inode(j, dev, ino);
        uint64_t from = got > 0 ? (uint64_t)got : 0;
        got = in < 0 ? -1 : copy_range(in, o + from, want - from, j->datafd,
                                        (uint64_t)data_off + from);
        if (got >= 0)
            got += (int64_t)from;
        if (in >= 0) {
            int err = errno;
            close(in);
            errno = err;
        }
    }
    if (got < 0)
        goto fail;
    struct rec r = {.type = REC_SAVE, .dev = dev, .ino = ino, .off = o, .len = len, .size = sz,
                    .data_off = (uint64_t)data_off, .data_len = (uint64_t)got};
    if (append(j, &r, no_strings) == 0)
        return 0;
fail:
    cut_back(j->datafd, data_off);
    return -1;
}

int fl_journal_durable(struct fl_journal *j, dev_t dev, ino_t ino, off_t off, uint64_t len)
{
    struct rec r = {.type = REC_DURABLE, .dev = dev, .ino = ino, .off = (uint64_t)off, .len = len};
    return append(j, &r, no_strings);
}

int fl_journal_dir_durable(struct fl_journal *j, dev_t dev, ino_t ino)
{
    struct rec r = {.type = REC_DIR_DURABLE, .dev = dev, .ino = ino};
    return append(j, &r, no_strings);
}

/* Empty the journal's subdirectory `name` (ino, keep). */
static int empty_subdir(struct fl_journal *j, const char *name)
{
    int fd = openat(j->dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int r = empty_dir(fd), err = errno;
    close(fd);
    errno = err;
    return r;
}

int fl_journal_all_durable(struct fl_journal *j)
{
    /* The log first: once it is empty, nothing refers to the links that follow it out. */
    if (ftruncate(j->logfd, 0) != 0 || ftruncate(j->datafd, 0) != 0)
        return -1;
    int a = empty_subdir(j, "ino"), ea = errno;
    int b = empty_subdir(j, "keep");
    if (a != 0)
        errno = ea;
    return a == 0 && b == 0 ? 0 : -1;
}

/* Link dirpath/name at keep/N, N the log's size now (the offset the record about to be
 * appended gets: unique while the lock is held, and the journal's only reference to it). A
 * keep/N left by a record that was never written goes first. */
static int keep_entry(struct fl_journal *j, const char *dirpath, const char *name, uint64_t *n)
{
    char path[PATH_MAX], keep[64];
    if (join(path, sizeof path, dirpath, name) != 0)
        return -1;
    off_t at = lseek(j->logfd, 0, SEEK_END);
    if (at < 0)
        return -1;
    *n = (uint64_t)at;
    keep_name(keep, sizeof keep, *n);
    if (linkat(AT_FDCWD, path, j->dirfd, keep, 0) == 0)
        return 0;
    if (errno != EEXIST || unlinkat(j->dirfd, keep, 0) != 0)
        return -1;
    return linkat(AT_FDCWD, path, j->dirfd, keep, 0);
}

/* Append r (an ENTRY or RENAME) after keeping the name's file when it is one; a record that
 * cannot be written takes its keep/N back. */
static int append_entry(struct fl_journal *j, struct rec *r, const char *const s[4],
                        const char *dirpath, const char *name)
{
    if (r->was == FL_ENTRY_FILE && keep_entry(j, dirpath, name, &r->seq) != 0)
        return -1;
    if (append(j, r, s) == 0)
        return 0;
    if (r->was == FL_ENTRY_FILE) {
        int err = errno;
        char keep[64];
        keep_name(keep, sizeof keep, r->seq);
        unlinkat(j->dirfd, keep, 0);
        errno = err;
    }
    return -1;
}

int fl_journal_entry(struct fl_journal *j, const char *dirpath, dev_t dev, ino_t ino,
                     const char *name, enum fl_entry_was was, mode_t mode)
{
    struct rec r = {.type = REC_ENTRY, .was = (uint16_t)was, .dev = dev, .ino = ino,
                    .mode = (uint32_t)mode};
    const char *s[4] = {dirpath, name};
    return append_entry(j, &r, s, dirpath, name);
}

int fl_journal_rename(struct fl_journal *j, const char *oldpath, dev_t odev, ino_t oino,
                      const char *oldname, const char *newpath, dev_t ndev, ino_t nino,
                      const char *newname, enum fl_entry_was was_new, mode_t mode)
{
    struct rec r = {.type = REC_RENAME, .was = (uint16_t)was_new, .dev = odev, .ino = oino,
                    .dev2 = ndev, .ino2 = nino, .mode = (uint32_t)mode};
    const char *s[4] = {oldpath, oldname, newpath, newname};
    return append_entry(j, &r, s, newpath, newname);
}

int fl_journal_power_loss(struct fl_journal *j, const char *why)
{
    int fd = openat(j->dirfd, "power-loss", O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
                    0600);
    if (fd < 0)
        return -1;
    struct iovec iov[2] = {{(void *)why, strcspn(why, "\n")}, {"\n", 1}};
    ssize_t w;
    while ((w = writev(fd, iov, 2)) < 0 && errno == EINTR)
        ;
    int err = errno;
    close(fd);
    if (w == (ssize_t)(iov[0].iov_len + 1))
        return 0;
    errno = w < 0 ? err : ENOSPC;
    return -1;
}

/* ---- the reader ------------------------------------------------------------------------------ */

bool fl_journal_lost_power(const char *dir, char *why, size_t cap)
{
    char path[PATH_MAX];
    if (join(path, sizeof path, dir, "power-loss") != 0)
        return false;
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return false;
    if (why && cap > 0) {
        ssize_t n = read(fd, why, cap - 1);
        why[n > 0 ? n : 0] = '\0';
        why[strcspn(why, "\n")] = '\0';
    }
    close(fd);
    return true;
}

/* A set of byte ranges [from, to): sorted, disjoint, none touching the next. */
struct ranges {
    struct range {
        uint64_t from, to;
    } *v;
    size_t n, cap;
};

/* The index of the first range that ends at or after `at`. */
static size_t ranges_from(const struct ranges *rs, uint64_t at)
{
    size_t lo = 0, hi = rs->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (rs->v[mid].to < at)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Add [from, to) to the set, merged with what it overlaps or touches. false: out of memory. */
static bool ranges_add(struct ranges *rs, uint64_t from, uint64_t to)
{
    if (from >= to)
        return true;
    size_t i = ranges_from(rs, from), k = i;
    while (k < rs->n && rs->v[k].from <= to)
        k++;
    if (k > i) { /* merge v[i..k-1] into v[i] */
        rs->v[i].from = min64(from, rs->v[i].from);
        rs->v[i].to = max64(to, rs->v[k - 1].to);
        memmove(rs->v + i + 1, rs->v + k, (rs->n - k) * sizeof rs->v[0]);
        rs->n -= k - i - 1;
        return true;
    }
    if (rs->n == rs->cap) {
        size_t cap = rs->cap ? rs->cap * 2 : 8;
        struct range *v = realloc(rs->v, cap * sizeof *v);
        if (!v)
            return false;
        rs->v = v, rs->cap = cap;
    }
    memmove(rs->v + i + 1, rs->v + i, (rs->n - i) * sizeof rs->v[0]);
    rs->v[i] = (struct range){from, to};
    rs->n++;
    return true;
}

/* Whether [from, to) lies wholly inside the set (an empty range does). */
static bool ranges_cover(const struct ranges *rs, uint64_t from, uint64_t to)
{
    if (from >= to)
        return true;
    size_t i = ranges_from(rs, from + 1);
    return i < rs->n && rs->v[i].from <= from && rs->v[i].to >= to;
}

/* The first byte at or after `at` and before `to` that the set does not hold, and the end of
 * the gap it starts (*gap_end); `to` when there is none. */
static uint64_t ranges_gap(const struct ranges *rs, uint64_t at, uint64_t to, uint64_t *gap_end)
{
    size_t i = ranges_from(rs, at + 1);
    if (i < rs->n && rs->v[i].from <= at) {
        at = rs->v[i].to;
        i++;
    }
    *gap_end = i < rs->n ? min64(rs->v[i].from, to) : to;
    return min64(at, to);
}

/* A file or directory the journal names, by device and inode, and what the walk (the newest
 * record first) has learnt of it: what was made durable after the record being undone. */
struct object {
    struct key {
        uint64_t dev, ino;
    } key;
    uint64_t rank;            /* in the order the log first names each object: torn's draws */
    bool whole;               /* data and size durable (fsync) */
    bool entries;             /* a directory: its entries durable */
    struct ranges durable;    /* bytes durable: synced ranges, and torn sectors kept */
    struct ranges kept;       /* torn: the sector indices kept */
    int fd;                   /* open for writing through ino/, or -1 */
    const char *path;         /* what the program called it (its INODE record), or NULL */
    UT_hash_handle hh;
};

struct rollback {
    const char *dir;
    int dirfd;                /* the journal directory */
    int datafd;
    const struct fl_rollback_opts *o;
    struct fl_rollback_summary *s;
    struct object *objects;   /* uthash */
    uint64_t nobjects;        /* objects made so far: the next one's rank */
    bool oom;
    char *why;                /* the first failure */
    size_t cap;
    char name[PATH_MAX + 128]; /* file_of's answer */
};

/* The object (dev, ino), made when new; NULL when out of memory. */
static struct object *object(struct rollback *rb, uint64_t dev, uint64_t ino)
{
    struct key k = {dev, ino};
    struct object *ob;
    HASH_FIND(hh, rb->objects, &k, sizeof k, ob);
    if (ob)
        return ob;
    ob = calloc(1, sizeof *ob);
    if (!ob) {
        rb->oom = true;
        return NULL;
    }
    ob->key = k;
    ob->rank = rb->nobjects++;
    ob->fd = -1;
    HASH_ADD(hh, rb->objects, key, sizeof k, ob);
    if (rb->oom) {
        free(ob);
        return NULL;
    }
    return ob;
}

static void close_objects(struct rollback *rb)
{
    struct object *ob, *tmp;
    HASH_ITER(hh, rb->objects, ob, tmp) {
        if (ob->fd >= 0)
            close(ob->fd);
        ob->fd = -1;
    }
}

static void free_objects(struct rollback *rb)
{
    struct object *ob, *tmp;
    close_objects(rb);
    HASH_ITER(hh, rb->objects, ob, tmp) {
        HASH_DEL(rb->objects, ob);
        free(ob->durable.v);
        free(ob->kept.v);
        free(ob);
    }
}

/* An undo that failed: counted, and the first one described in why ("WHAT: strerror"). errno
 * is the cause. */
static void failed(struct rollback *rb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void failed(struct rollback *rb, const char *fmt, ...)
{
    int err = errno;
    if (rb->s->failed++ == 0 && rb->why && rb->cap > 0) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(rb->why, rb->cap, fmt, ap);
        va_end(ap);
        if (n >= 0 && (size_t)n < rb->cap)
            snprintf(rb->why + n, rb->cap - (size_t)n, ": %s", strerror(err));
    }
}

/* How a message names the file ob: "PATH (DIR/ino/DEV-INO)", or the link alone when the
 * journal does not hold its path. */
static const char *file_of(struct rollback *rb, const struct object *ob)
{
    char link[64];
    ino_name(link, sizeof link, ob->key.dev, ob->key.ino);
    if (ob->path)
        snprintf(rb->name, sizeof rb->name, "%s (%s/%s)", ob->path, rb->dir, link);
    else
        snprintf(rb->name, sizeof rb->name, "%s/%s", rb->dir, link);
    return rb->name;
}

/* Open ino/DEV-INO (name) for writing when its mode forbids it (a file made read-only after it
 * was written): made writable for the open, then given its mode back. -1 with EACCES when it
 * cannot be (not the caller's file). */
static int open_widened(struct rollback *rb, struct object *ob, const char *name, int flags)
{
    struct stat st;
    if (fstatat(rb->dirfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
        fchmodat(rb->dirfd, name, (st.st_mode & 07777) | S_IWUSR, 0) != 0) {
        errno = EACCES;
        return -1;
    }
    int fd = openat(rb->dirfd, name, flags), err = errno;
    bool given_back = fd >= 0 && fchmod(fd, st.st_mode & 07777) == 0;
    if (!given_back && fchmodat(rb->dirfd, name, st.st_mode & 07777, 0) != 0)
        failed(rb, "%s: giving its mode back", file_of(rb, ob));
    errno = err;
    return fd;
}

/* The file ob, open for writing through its link in ino/ (cached). -1 when it cannot be
 * opened: ENOENT silently (nothing left to undo), anything else counted as a failure. */
static int object_fd(struct rollback *rb, struct object *ob)
{
    if (ob->fd >= 0)
        return ob->fd;
    char name[64];
    ino_name(name, sizeof name, ob->key.dev, ob->key.ino);
    int flags = O_WRONLY | O_NOFOLLOW | O_CLOEXEC;
    int fd = openat(rb->dirfd, name, flags);
    if (fd < 0 && errno == EMFILE) {
        close_objects(rb);
        fd = openat(rb->dirfd, name, flags);
    }
    if (fd < 0 && errno == EACCES)
        fd = open_widened(rb, ob, name, flags);
    if (fd < 0 && errno != ENOENT)
        failed(rb, "%s: open", file_of(rb, ob));
    return ob->fd = fd;
}

/* A uniform double in [0, 1) drawn for sector `sector` of the file of rank `rank` from the
 * seed: splitmix64's mixing, chained over the three numbers. The rank (the files in the order
 * the log first names them), not the inode: a run repeated on files made afresh gets new inode
 * numbers, and must tear the same sectors. */
static double sector_draw(uint64_t seed, uint64_t rank, uint64_t sector)
{
    uint64_t z = fl_mix64(fl_mix64(fl_mix64(seed) ^ rank) ^ sector);
    return (double)(z >> 11) * 0x1.0p-53;
}

/* Torn: the sectors of [from, to) (to: at most the file's size now, the newest content) that
 * are not durable already keep their newest content, each with the chance o->keep; a kept
 * sector becomes durable for the older records. */
static void keep_sectors(struct rollback *rb, struct object *f, uint64_t from, uint64_t to)
{
    uint64_t sec = rb->o->sector;
    if (from >= to)
        return;
    for (uint64_t i = from / sec; i < to / sec + (to % sec != 0); i++) {
        uint64_t a = i * sec, b = min64(a + sec, to);
        if (ranges_cover(&f->durable, a, b) ||
            sector_draw(rb->o->seed, f->rank, i) >= rb->o->keep)
            continue;
        if (!ranges_add(&f->durable, a, b))
            rb->oom = true;
        if (!ranges_cover(&f->kept, i, i + 1)) {
            rb->s->sectors_kept++;
            if (!ranges_add(&f->kept, i, i + 1))
                rb->oom = true;
        }
    }
}

/* Write n zero bytes at off. */
static int write_zeros(int fd, uint64_t off, uint64_t n)
{
    static const char zeros[COPY_CHUNK];
    while (n > 0) {
        size_t k = (size_t)min64(n, sizeof zeros);
        if (pwrite_all(fd, zeros, k, off) != 0)
            return -1;
        off += k, n -= k;
    }
    return 0;
}

/* Undo a SAVE: the changed bytes that are not durable get their old content back (bytes that
 * did not exist then and stay inside the file, because a durable or kept range lies beyond
 * them, read as zeros), and the size goes back to the old size but never below the end of
 * what is durable. */
static void undo_save(struct rollback *rb, const struct rec *r)
{
    struct object *f = object(rb, r->dev, r->ino);
    if (!f)
        return;
    uint64_t end = min64(end_of(r->off, r->len), INT64_MAX);
    if (f->whole || ranges_cover(&f->durable, r->off, end)) {
        rb->s->durable_skipped++;
        return;
    }
    int fd = object_fd(rb, f);
    struct stat st;
    if (fd < 0)
        return;
    if (fstat(fd, &st) != 0) {
        failed(rb, "%s: fstat", file_of(rb, f));
        return;
    }
    uint64_t now = (uint64_t)st.st_size;
    if (rb->o && rb->o->sector)
        keep_sectors(rb, f, r->off, min64(end, now));
    uint64_t durable_end = f->durable.n ? f->durable.v[f->durable.n - 1].to : 0;
    uint64_t size = max64(r->size, min64(durable_end, now));
    uint64_t old_end = r->off + r->data_len; /* old bytes exist up to here */
    bool undone = false;
    for (uint64_t at = r->off, gap_end; at < min64(end, size); at = gap_end) {
        at = ranges_gap(&f->durable, at, min64(end, size), &gap_end);
        if (at >= gap_end)
            break;
        if (at < old_end) {
            uint64_t n = min64(gap_end, old_end) - at;
            int64_t k = copy_range(rb->datafd, r->data_off + (at - r->off), n, fd, at);
            if (k < 0 || (uint64_t)k != n) {
                if (k >= 0)
                    errno = EIO;
                failed(rb, "%s: writing back %llu bytes at %llu", file_of(rb, f),
                       (unsigned long long)n, (unsigned long long)at);
                return;
            }
            rb->s->bytes_restored += n;
            undone = true;
        }
        if (gap_end > old_end) {
            uint64_t from = max64(at, old_end);
            if (write_zeros(fd, from, gap_end - from) != 0) {
                failed(rb, "%s: zeroing bytes that did not exist", file_of(rb, f));
                return;
            }
            undone = true;
        }
    }
    if (size != now) {
        if (ftruncate(fd, (off_t)size) != 0) {
            failed(rb, "%s: ftruncate to %llu", file_of(rb, f), (unsigned long long)size);
            return;
        }
        rb->s->sizes_restored++;
        undone = true;
    }
    if (undone)
        rb->s->writes_undone++;
}

/* Remove whatever is at path (a directory with all it holds); missing is removed. */
static void remove_path(struct rollback *rb, const char *path)
{
    if (remove_at(AT_FDCWD, path) != 0)
        failed(rb, "%s: removing", path);
}

/* Put keep/N back at path, over what is there (a directory there is removed first). */
static void put_back(struct rollback *rb, uint64_t n, const char *path)
{
    char keep[64];
    keep_name(keep, sizeof keep, n);
    if (renameat(rb->dirfd, keep, AT_FDCWD, path) == 0 || errno == ENOENT)
        return;
    if ((errno == EISDIR || errno == ENOTEMPTY || errno == EEXIST) &&
        remove_at(AT_FDCWD, path) == 0 &&
        (renameat(rb->dirfd, keep, AT_FDCWD, path) == 0 || errno == ENOENT))
        return;
    failed(rb, "%s: putting back %s/%s", path, rb->dir, keep);
}

/* Make the directory path again, empty, with its mode, in place of what is there. */
static void make_dir(struct rollback *rb, const char *path, mode_t mode)
{
    if (remove_at(AT_FDCWD, path) != 0)
        failed(rb, "%s: removing", path);
    else if (mkdir(path, 0700) != 0 && errno != ENOENT)
        failed(rb, "%s: mkdir", path);
    else if (chmod(path, mode & 07777) != 0 && errno != ENOENT)
        failed(rb, "%s: chmod", path);
}

/* Give the name at path back what it was before a change: nothing, the file at keep/N, or an
 * empty directory. */
static void restore_name(struct rollback *rb, const char *path, const struct rec *r)
{
    switch (r->was) {
    case FL_ENTRY_ABSENT:
        remove_path(rb, path);
        break;
    case FL_ENTRY_FILE:
        put_back(rb, r->seq, path);
        break;
    case FL_ENTRY_DIR:
        make_dir(rb, path, (mode_t)r->mode);
        break;
    }
}

/* The four strings of a record (validated: each NUL-terminated where its length says). */
static void strings_of(const struct rec *r, const char *s[4])
{
    const char *p = (const char *)(r + 1);
    for (int i = 0; i < 4; i++) {
        s[i] = p;
        p += r->lens[i] + 1;
    }
}

static void undo_entry(struct rollback *rb, const struct rec *r)
{
    struct object *d = object(rb, r->dev, r->ino);
    if (!d)
        return;
    if (d->entries) {
        rb->s->durable_skipped++;
        return;
    }
    const char *s[4];
    char path[PATH_MAX];
    strings_of(r, s);
    if (join(path, sizeof path, s[0], s[1]) != 0) {
        failed(rb, "%s/%s", s[0], s[1]);
        return;
    }
    restore_name(rb, path, r);
    rb->s->names_undone++;
}

/* Undo a RENAME as the two directories' durability says. */
static void undo_rename(struct rollback *rb, const struct rec *r)
{
    struct object *od = object(rb, r->dev, r->ino), *nd = object(rb, r->dev2, r->ino2);
    if (!od || !nd)
        return;
    if (od->entries && nd->entries) {
        rb->s->durable_skipped++;
        return;
    }
    const char *s[4];
    char from[PATH_MAX], to[PATH_MAX];
    strings_of(r, s);
    if (join(from, sizeof from, s[0], s[1]) != 0 || join(to, sizeof to, s[2], s[3]) != 0) {
        failed(rb, "%s/%s -> %s/%s", s[0], s[1], s[2], s[3]);
        return;
    }
    if (!od->entries && !nd->entries) { /* neither name's change survives: the rename is undone */
        struct stat st;
        /* The newer records undone, the old name is free again; something there means the
         * rename never happened (a kill between the record and the call; or two names of one
         * file, which rename leaves both): nothing to undo. */
        if (lstat(from, &st) == 0)
            return;
        if (rename(to, from) != 0 && errno != ENOENT) {
            failed(rb, "%s: renaming back to %s", to, from);
            return;
        }
        restore_name(rb, to, r);
    } else if (nd->entries) {
        /* The new name survives and the old one's removal does not: the file is under both. A
         * directory cannot be linked; it stays at the new name only. */
        if (link(to, from) != 0 && errno != ENOENT && errno != EEXIST && errno != EPERM)
            failed(rb, "%s: linking back to %s", to, from);
    } else {
        /* The old name's removal survives, the new name's change does not: the file is lost and
         * the new name gets back what it had. */
        restore_name(rb, to, r);
    }
    rb->s->names_undone++;
}

/* Learn from a record what it made durable, or undo it. */
static void walk_record(struct rollback *rb, const struct rec *r)
{
    struct object *ob;
    switch (r->type) {
    case REC_SAVE:
        undo_save(rb, r);
        break;
    case REC_DURABLE:
        if ((ob = object(rb, r->dev, r->ino)) == NULL)
            break;
        if (r->len == UINT64_MAX)
            ob->whole = true;
        else if (!ranges_add(&ob->durable, r->off, min64(end_of(r->off, r->len), INT64_MAX)))
            rb->oom = true;
        break;
    case REC_DIR_DURABLE:
        if ((ob = object(rb, r->dev, r->ino)) != NULL)
            ob->entries = true;
        break;
    case REC_ENTRY:
        undo_entry(rb, r);
        break;
    case REC_RENAME:
        undo_rename(rb, r);
        break;
    }
}

/* Read the whole log into *buf (malloc'd) and *len. Returns 0, or -1 with errno. */
static int read_log(struct rollback *rb, char **buf, size_t *len)
{
    int fd = openat(rb->dirfd, "log", O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0)
        goto fail;
    *len = 0;
    *buf = malloc((size_t)st.st_size + 1);
    if (!*buf)
        goto fail;
    while (*len < (size_t)st.st_size) {
        ssize_t n = read(fd, *buf + *len, (size_t)st.st_size - *len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int err = errno;
            free(*buf);
            close(fd);
            errno = err;
            return -1;
        }
        if (n == 0)
            break;
        *len += (size_t)n;
    }
    close(fd);
    return 0;
fail:;
    int err = errno;
    if (fd >= 0)
        close(fd);
    errno = err;
    return -1;
}

/* Whether the record at p (avail bytes left in the log) is whole and sound: its magic, length,
 * strings and sum, a type this version knows and data that the data file holds. *cut tells a
 * record that only a write cut short at the end of the log explains (shorter than it says, or
 * its sum wrong as the last record). */
static bool sound(const char *p, size_t avail, uint64_t data_size, bool *cut)
{
    struct rec r;
    *cut = avail < sizeof r;
    if (*cut)
        return false;
    memcpy(&r, p, sizeof r);
    if (r.magic != REC_MAGIC || r.length < sizeof r || r.length % 8)
        return false;
    if (r.length > avail) {
        *cut = true;
        return false;
    }
    uint32_t sum = r.sum;
    struct rec z = r;
    z.sum = 0;
    uint32_t h = fnv1a(fnv1a(FNV_START, &z, sizeof z), p + sizeof z, r.length - sizeof z);
    if (h != sum) {
        *cut = r.length == avail;
        return false;
    }
    uint64_t at = sizeof r;
    for (int i = 0; i < 4; i++) {
        at += (uint64_t)r.lens[i] + 1;
        if (at > r.length || p[at - 1] != '\0' || memchr(p + at - 1 - r.lens[i], 0, r.lens[i]))
            return false;
    }
    while (at < r.length && at % 8 && p[at] == '\0')
        at++;
    if (at != r.length || r.type < REC_SAVE || r.type > REC_INODE || r.was > FL_ENTRY_DIR)
        return false;
    return r.type != REC_SAVE ||
           (r.data_len <= r.len && end_of(r.data_off, r.data_len) <= data_size);
}

int fl_journal_rollback(const char *dir, const struct fl_rollback_opts *o,
                        struct fl_rollback_summary *s, char *why, size_t cap)
{
    struct fl_rollback_summary ignored;
    struct fl_rollback_opts none = {0};
    if (!s)
        s = &ignored;
    memset(s, 0, sizeof *s);
    if (!why)
        cap = 0;
    if (cap)
        why[0] = '\0';
    struct rollback rb = {.dir = dir, .dirfd = -1, .datafd = -1, .o = o ? o : &none, .s = s};
    char *log = NULL;
    size_t len = 0, nrec = 0;
    const struct rec **recs = NULL;
    struct stat st;
    int ret = -1;

    rb.dirfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (rb.dirfd < 0) {
        snprintf(why, cap, "journal %s: %s", dir, strerror(errno));
        goto out;
    }
    rb.datafd = openat(rb.dirfd, "data", O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (rb.datafd < 0 || fstat(rb.datafd, &st) != 0) {
        snprintf(why, cap, "journal %s/data: %s", dir, strerror(errno));
        goto out;
    }
    if (read_log(&rb, &log, &len) != 0) {
        snprintf(why, cap, "journal %s/log: %s", dir, strerror(errno));
        goto out;
    }
    /* Every record is read and checked before anything is undone. */
    recs = malloc((len / sizeof(struct rec) + 1) * sizeof *recs);
    if (!recs)
        goto oom;
    for (size_t at = 0; at < len;) {
        bool cut;
        if (!sound(log + at, len - at, (uint64_t)st.st_size, &cut)) {
            if (cut)
                break; /* the last record, cut short: its change was not made */
            snprintf(why, cap, "journal %s/log: record %zu at byte %zu is damaged", dir, nrec + 1,
                     at);
            goto out;
        }
        const struct rec *r = (const struct rec *)(log + at);
        recs[nrec++] = r;
        at += r->length;
    }
    s->records = nrec;
    for (size_t i = 0; i < nrec && !rb.oom; i++) {
        struct object *ob;
        const char *str[4];
        if (recs[i]->type != REC_INODE)
            continue;
        strings_of(recs[i], str);
        if ((ob = object(&rb, recs[i]->dev, recs[i]->ino)) != NULL)
            ob->path = str[0];
    }
    rb.why = why, rb.cap = cap;
    for (size_t i = nrec; i-- > 0 && !rb.oom;)
        walk_record(&rb, recs[i]);
    if (rb.oom)
        goto oom;
    ret = 0;
    goto out;
oom:
    snprintf(why, cap, "journal %s: out of memory", dir);
out:
    free_objects(&rb);
    free(recs);
    free(log);
    if (rb.datafd >= 0)
        close(rb.datafd);
    if (rb.dirfd >= 0)
        close(rb.dirfd);
    return ret;
}

int fl_journal_remove(const char *dir)
{
    return remove_at(AT_FDCWD, dir);
}
