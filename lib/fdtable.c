/* The fd table: chunks of entries allocated on first use, indexed by fd, under one lock that is
 * only taken while tracking is on or on the slow path. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fdtable.h"
#include "real.h"

#define CHUNK 4096
#define NCHUNKS 256 /* fds up to 1,048,576: the kernel's default nr_open */

struct fdinfo {
    char *path;                       /* absolute path opened with, or NULL */
    struct sockaddr_storage *peer;    /* the peer, or NULL */
    bool known;                       /* dev and ino hold what the fd was when recorded: an */
    dev_t dev;                        /* entry whose fd is now something else (closed inside */
    ino_t ino;                        /* the C library, by fclose, and reused) is stale */
};

/* The identity of what fd is now; false when it is not open. */
static bool identity(int fd, dev_t *dev, ino_t *ino)
{
    struct stat st;
    if (fstat(fd, &st) != 0)
        return false;
    *dev = st.st_dev;
    *ino = st.st_ino;
    return true;
}

/* The entry for fd if it still describes what fd is now, else NULL (a stale one is cleared).
 * Call with the lock held. */
static struct fdinfo *current_entry(int fd);

static struct fdinfo *chunks[NCHUNKS];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

/* The entry for fd, allocating its chunk when `create`; NULL when out of range or absent. Call
 * with the lock held. */
static struct fdinfo *entry(int fd, bool create)
{
    if (fd < 0 || fd >= CHUNK * NCHUNKS)
        return NULL;
    struct fdinfo **chunk = &chunks[fd / CHUNK];
    if (!*chunk && create)
        *chunk = calloc(CHUNK, sizeof **chunk);
    return *chunk ? &(*chunk)[fd % CHUNK] : NULL;
}

/* The recording functions run on the program's own calls: like every part of the shim they
 * save errno, mark the thread as inside the shim (the allocations here must not meet a rule)
 * and step aside when the thread is already inside it (a signal handler interrupting the
 * shim: the lock may be held). */
static bool enter(int *saved)
{
    if (fl_guard)
        return false;
    *saved = errno;
    fl_guard = 1;
    return true;
}

static void leave(int saved)
{
    fl_guard = 0;
    errno = saved;
}

static void clear(struct fdinfo *e)
{
    free(e->path);
    free(e->peer);
    e->path = NULL;
    e->peer = NULL;
}

static struct fdinfo *current_entry(int fd)
{
    struct fdinfo *e = entry(fd, false);
    dev_t dev;
    ino_t ino;
    if (!e || (!e->path && !e->peer))
        return NULL;
    if (!e->known || !identity(fd, &dev, &ino) || (dev == e->dev && ino == e->ino))
        return e; /* nothing to compare with, or still the same file */
    clear(e);
    return NULL;
}

/* Append src (n bytes) as a path component to buf[len], folding "." and "..". */
static size_t add_component(char *buf, size_t len, const char *src, size_t n)
{
    if (n == 0 || (n == 1 && src[0] == '.'))
        return len;
    if (n == 2 && src[0] == '.' && src[1] == '.') {
        while (len > 1 && buf[len - 1] != '/')
            len--;
        return len > 1 ? len - 1 : 1;
    }
    if (len > 1)
        buf[len++] = '/';
    memcpy(buf + len, src, n);
    return len + n;
}

const char *fl_path_absolute(int dirfd, const char *path, char *buf, size_t cap)
{
    char base[PATH_MAX];
    if (path[0] != '/') {
        if (dirfd == AT_FDCWD ? !getcwd(base, sizeof base)
                              : !fl_fd_path(dirfd, base, sizeof base))
            return NULL;
    } else {
        strcpy(base, "/");
    }
    /* The result is at most base "/" path, or path alone when it is absolute (PATH_MAX - 1
     * bytes is a valid absolute path). */
    size_t need = path[0] == '/' ? strlen(path) + 1 : strlen(base) + strlen(path) + 2;
    if (need > cap || cap < 2)
        return NULL;
    size_t len = 1;
    buf[0] = '/';
    for (const char *p = base; *p;) {
        size_t n = strcspn(p, "/");
        len = add_component(buf, len, p, n);
        p += n + (p[n] == '/');
    }
    for (const char *p = path; *p;) {
        size_t n = strcspn(p, "/");
        len = add_component(buf, len, p, n);
        p += n + (p[n] == '/');
    }
    buf[len] = '\0';
    return buf;
}

static void opened_work(int fd, int dirfd, const char *path)
{
    char abs[PATH_MAX];
    dev_t dev = 0;
    ino_t ino = 0;
    if (fd < 0)
        return;
    bool known = identity(fd, &dev, &ino);
    char *copy = path && fl_path_absolute(dirfd, path, abs, sizeof abs) ? strdup(abs) : NULL;
    pthread_mutex_lock(&lock);
    struct fdinfo *e = entry(fd, true);
    if (e) {
        clear(e); /* a path that could not be made absolute leaves the entry empty */
        e->path = copy;
        e->known = known;
        e->dev = dev;
        e->ino = ino;
        copy = NULL;
    }
    pthread_mutex_unlock(&lock);
    free(copy);
}

void fl_fd_opened(int fd, int dirfd, const char *path)
{
    int saved;
    if (!enter(&saved))
        return;
    opened_work(fd, dirfd, path);
    leave(saved);
}

static void peer_set_work(int fd, const struct sockaddr *sa, socklen_t len)
{
    dev_t dev = 0;
    ino_t ino = 0;
    if (fd < 0 || !sa || len == 0 || len > sizeof(struct sockaddr_storage))
        return;
    bool known = identity(fd, &dev, &ino);
    struct sockaddr_storage *copy = calloc(1, sizeof *copy);
    if (!copy)
        return;
    memcpy(copy, sa, len);
    pthread_mutex_lock(&lock);
    struct fdinfo *e = entry(fd, true);
    if (e) {
        clear(e);
        e->peer = copy;
        e->known = known;
        e->dev = dev;
        e->ino = ino;
        copy = NULL;
    }
    pthread_mutex_unlock(&lock);
    free(copy);
}

void fl_fd_peer_set(int fd, const struct sockaddr *sa, socklen_t len)
{
    int saved;
    if (!enter(&saved))
        return;
    peer_set_work(fd, sa, len);
    leave(saved);
}

static void dup_work(int oldfd, int newfd)
{
    if (oldfd == newfd || newfd < 0)
        return;
    pthread_mutex_lock(&lock);
    struct fdinfo *from = current_entry(oldfd), *to = entry(newfd, true);
    if (to) {
        clear(to);
        if (from && from->path)
            to->path = strdup(from->path);
        if (from && from->peer && (to->peer = malloc(sizeof *to->peer)))
            memcpy(to->peer, from->peer, sizeof *to->peer);
        if (from) {
            to->known = from->known;
            to->dev = from->dev;
            to->ino = from->ino;
        }
    }
    pthread_mutex_unlock(&lock);
}

void fl_fd_dup(int oldfd, int newfd)
{
    int saved;
    if (!enter(&saved))
        return;
    dup_work(oldfd, newfd);
    leave(saved);
}

static void closed_work(int fd)
{
    pthread_mutex_lock(&lock);
    struct fdinfo *e = entry(fd, false);
    if (e)
        clear(e);
    pthread_mutex_unlock(&lock);
}

void fl_fd_closed(int fd)
{
    int saved;
    if (!enter(&saved))
        return;
    closed_work(fd);
    leave(saved);
}

static void closed_range_work(unsigned first, unsigned last)
{
    pthread_mutex_lock(&lock);
    for (unsigned c = first / CHUNK; c < NCHUNKS && c <= last / CHUNK; c++) {
        if (!chunks[c])
            continue;
        for (unsigned i = 0; i < CHUNK; i++) {
            unsigned fd = c * CHUNK + i;
            if (fd >= first && fd <= last)
                clear(&chunks[c][i]);
        }
    }
    pthread_mutex_unlock(&lock);
}

void fl_fd_closed_range(unsigned first, unsigned last)
{
    int saved;
    if (!enter(&saved))
        return;
    closed_range_work(first, last);
    leave(saved);
}

void fl_fd_reset(void)
{
    closed_range_work(0, UINT_MAX);
}

enum fl_fd_kind fl_fd_kind_of(int fd)
{
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0)
        return FL_FD_OTHER;
    if (S_ISSOCK(st.st_mode))
        return FL_FD_SOCKET;
    if (S_ISFIFO(st.st_mode))
        return FL_FD_PIPE;
    if (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode) || S_ISBLK(st.st_mode))
        return FL_FD_FILE;
    if (S_ISCHR(st.st_mode) && isatty(fd))
        return FL_FD_TTY;
    return FL_FD_OTHER;
}

const char *fl_fd_path(int fd, char *buf, size_t cap)
{
    if (fd < 0 || cap == 0)
        return NULL;
    const char *found = NULL;
    pthread_mutex_lock(&lock);
    struct fdinfo *e = current_entry(fd);
    if (e && e->path && strlen(e->path) < cap)
        found = strcpy(buf, e->path);
    pthread_mutex_unlock(&lock);
    if (found)
        return found;
    char link[32];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, buf, cap);
    if (n <= 0 || (size_t)n >= cap || buf[0] != '/') /* cut short; "socket:[1]": not a path */
        return NULL;
    buf[n] = '\0';
    return buf;
}

bool fl_fd_peer(int fd, struct sockaddr_storage *out)
{
    bool found = false;
    pthread_mutex_lock(&lock);
    struct fdinfo *e = current_entry(fd);
    if (e && e->peer) {
        *out = *e->peer;
        found = true;
    }
    pthread_mutex_unlock(&lock);
    socklen_t len = sizeof *out;
    return found || (fd >= 0 && getpeername(fd, (struct sockaddr *)out, &len) == 0);
}

void fl_fd_atfork_prepare(void)
{
    pthread_mutex_lock(&lock);
}

void fl_fd_atfork_parent(void)
{
    pthread_mutex_unlock(&lock);
}

void fl_fd_atfork_child(void)
{
    pthread_mutex_init(&lock, NULL);
}
