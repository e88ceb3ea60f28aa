/* Opening the event log and reading config files safely: no blocking open on a FIFO, no
 * endless read of a device, no symbolic link at the log's path, no other user's log. */
#include "safefile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static int sys_open(const char *path, int flags, mode_t mode)
{
    return (int)syscall(SYS_openat, AT_FDCWD, path, flags, mode);
}

static void sys_close(int fd)
{
    int saved = errno;
    syscall(SYS_close, fd);
    errno = saved;
}

/* What a file that is not a regular one is, in words. */
static const char *kind_name(mode_t mode)
{
    switch (mode & S_IFMT) {
    case S_IFIFO: return "a FIFO";
    case S_IFSOCK: return "a socket";
    case S_IFDIR: return "a directory";
    case S_IFBLK: return "a block device";
    case S_IFCHR: return "a character device";
    case S_IFLNK: return "a symbolic link";
    default: return "not a regular file";
    }
}

/* Why opening the log failed with `err`, in why[cap]. */
static void open_error(const char *path, int err, char *why, size_t cap)
{
    struct stat st;

    if (err == ELOOP && syscall(SYS_newfstatat, AT_FDCWD, path, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
        S_ISLNK(st.st_mode))
        snprintf(why, cap, "it is a symbolic link (not followed)");   /* O_NOFOLLOW's ELOOP */
    else if (err == ENXIO)   /* O_NONBLOCK on a FIFO nobody reads, or a socket */
        snprintf(why, cap, "it is a FIFO or socket, not a regular file");
    else
        snprintf(why, cap, "%s", strerror(err));
}

/* Whether the open log `fd` may be written: why[cap] says why not. */
static bool log_acceptable(int fd, bool *regular, char *why, size_t cap)
{
    struct stat st;
    uid_t me = geteuid();

    if (syscall(SYS_fstat, fd, &st) != 0) {
        snprintf(why, cap, "%s", strerror(errno));
        return false;
    }
    *regular = S_ISREG(st.st_mode);
    if (!S_ISREG(st.st_mode) && !S_ISCHR(st.st_mode)) {
        snprintf(why, cap, "it is %s, not a regular file", kind_name(st.st_mode));
        return false;
    }
    if (st.st_uid != me && st.st_uid != 0) {
        snprintf(why, cap, "it belongs to another user (uid %u), not to you (uid %u) or root: "
                 "remove it, or log in a directory only you can write", (unsigned)st.st_uid,
                 (unsigned)me);
        return false;
    }
    if (S_ISREG(st.st_mode) && st.st_nlink > 1) {
        snprintf(why, cap, "it has %lu hard links (another name for some other file?): remove "
                 "it, or log in a directory only you can write", (unsigned long)st.st_nlink);
        return false;
    }
    return true;
}

int fl_open_log(const char *path, bool *regular, char *why, size_t cap)
{
    /* O_NONBLOCK: opening a FIFO for writing with no reader fails (ENXIO) instead of waiting
     * for one; O_NOCTTY: a terminal never becomes the program's controlling one. Read access
     * lets the writer check what it wrote (events.c); a write-only file is still a log. */
    int saved = errno, flags = O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY;
    int fd = sys_open(path, O_RDWR | flags, 0600);

    *regular = false;
    why[0] = '\0';
    if (fd < 0 && errno == EACCES)
        fd = sys_open(path, O_WRONLY | flags, 0600);
    if (fd < 0) {
        open_error(path, errno, why, cap);
        errno = saved;
        return -1;
    }
    if (!log_acceptable(fd, regular, why, cap) ||
        syscall(SYS_fcntl, fd, F_SETFL, O_APPEND) != 0) {   /* blocking again */
        if (!why[0])
            snprintf(why, cap, "%s", strerror(errno));
        sys_close(fd);
        errno = saved;
        return -1;
    }
    errno = saved;
    return fd;
}

/* Read all of fd, at most max + 1 bytes, into a malloc'd NUL-terminated buffer. */
static int read_all(int fd, size_t max, size_t hint, char **text, size_t *len, char *why,
                    size_t cap)
{
    size_t n = 0, room = hint < max ? hint + 2 : max + 2;
    char *buf = malloc(room), *more;

    if (!buf)
        return snprintf(why, cap, "out of memory"), -1;
    for (;;) {
        if (n + 1 >= room) {   /* grows only when the file grew since fstat */
            size_t want = room * 2 > max + 2 ? max + 2 : room * 2;
            if (want <= room || !(more = realloc(buf, want)))
                break;
            buf = more, room = want;
        }
        ssize_t r = syscall(SYS_read, fd, buf + n, room - n - 1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            snprintf(why, cap, "%s", strerror(errno));
            free(buf);
            return -1;
        }
        if (r == 0)
            break;
        n += (size_t)r;
        if (n > max)
            break;
    }
    if (n > max || n + 1 >= room) {
        snprintf(why, cap, "is larger than %zu bytes, the most a config file may hold", max);
        free(buf);
        return -1;
    }
    buf[n] = '\0';
    *text = buf;
    *len = n;
    return 0;
}

int fl_read_file(const char *path, size_t max, char **text, size_t *len, char *why, size_t cap)
{
    struct stat st;
    int saved = errno, rc = -1;
    /* O_NONBLOCK: opening a FIFO does not wait for a writer (nor a device for its line) */
    int fd = sys_open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY, 0);

    *text = NULL;
    *len = 0;
    if (fd < 0) {
        snprintf(why, cap, "%s", strerror(errno));
    } else if (syscall(SYS_fstat, fd, &st) != 0) {
        snprintf(why, cap, "%s", strerror(errno));
    } else if (S_ISDIR(st.st_mode)) {
        snprintf(why, cap, "is a directory");
    } else if (!S_ISREG(st.st_mode)) {
        snprintf(why, cap, "is %s, not a regular file", kind_name(st.st_mode));
    } else if ((unsigned long long)st.st_size > max) {
        snprintf(why, cap, "is larger than %zu bytes, the most a config file may hold", max);
    } else {
        rc = read_all(fd, max, (size_t)st.st_size, text, len, why, cap);
    }
    if (fd >= 0)
        sys_close(fd);
    errno = saved;
    return rc;
}
