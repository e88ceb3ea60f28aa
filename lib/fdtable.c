/* The fd table: chunks of entries allocated on first use (installed with a compare-and-swap,
 * the loser frees its copy), indexed by fd. Each entry is one atomic pointer to an immutable
 * record (path or peer, and the identity of what the fd was); recording replaces the pointer
 * with an exchange and retires the old record through the epoch module, and readers copy what
 * they need out inside a read section. No lock: a signal handler, a fork or a process sharing
 * this memory (clone(CLONE_VM)) can never meet the table held.
 *
 * Nor malloc's: a signal handler that forks while its thread is inside malloc deadlocks in the
 * C library's fork, so the records, recorded on the program's open and close, come from slabs
 * of their own (mmap, never returned), in size classes, each with a lock-free free list. A
 * record is taken from its list inside a read section and put back only by the epoch module,
 * once every section open when it was retired has left: a thread between reading the head
 * and swapping it never sees that head come back (no ABA). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "epoch.h"
#include "fdtable.h"
#include "real.h"

#define CHUNK 4096
#define NCHUNKS 256 /* fds up to 1,048,575: the kernel's default nr_open */

/* What is known about one fd; never changed once published. */
struct fdrec {
    struct fl_epoch_node node;        /* first: retired through the epoch module */
    size_t size;                      /* of the whole allocation (dup copies it) */
    const char *path;                 /* absolute path opened with, or NULL (points in data) */
    const struct sockaddr_storage *peer; /* the peer, or NULL (points in data) */
    bool known;                       /* dev and ino hold what the fd was when recorded: a */
    dev_t dev;                        /* record whose fd is now something else (closed inside */
    ino_t ino;                        /* the C library, by fclose, and reused) is stale */
    _Alignas(struct sockaddr_storage) char data[];
};

static struct fdrec **chunks[NCHUNKS];

/* ---- the records' slabs ---------------------------------------------------------------------- */

#define CLASS_MIN 256                 /* smallest record slot; classes double up to ... */
#define CLASSES 6                     /* ... 8192, room for a PATH_MAX path and a peer */
#define SLAB (64 * 1024)

struct slot_free {
    struct slot_free *next;
};

static struct slot_free *free_slots[CLASSES];

/* The class of a record of `size` bytes. */
static unsigned class_of(size_t size)
{
    unsigned c = 0;
    while ((size_t)CLASS_MIN << c < size)
        c++;
    return c;
}

/* Push the chain first..last onto class c's free list. */
static void slots_push(unsigned c, struct slot_free *first, struct slot_free *last)
{
    struct slot_free *head = __atomic_load_n(&free_slots[c], __ATOMIC_RELAXED);
    do
        last->next = head;
    while (!__atomic_compare_exchange_n(&free_slots[c], &head, first, true, __ATOMIC_RELEASE,
                                        __ATOMIC_RELAXED));
}

/* A slot of class c, or NULL. Async-signal-safe. */
static void *slot_alloc(unsigned c)
{
    size_t size = (size_t)CLASS_MIN << c;
    unsigned token = fl_epoch_enter(); /* see the top of the file: no ABA */
    struct slot_free *head = __atomic_load_n(&free_slots[c], __ATOMIC_ACQUIRE);
    while (head && !__atomic_compare_exchange_n(&free_slots[c], &head, head->next, true,
                                                __ATOMIC_ACQUIRE, __ATOMIC_ACQUIRE))
        ;
    fl_epoch_leave(token);
    if (head)
        return head;
    char *slab = mmap(NULL, SLAB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (slab == MAP_FAILED)
        return NULL;
    size_t n = SLAB / size;
    for (size_t i = 1; i + 1 < n; i++)
        ((struct slot_free *)(slab + i * size))->next = (struct slot_free *)(slab + (i + 1) * size);
    if (n > 1)
        slots_push(c, (struct slot_free *)(slab + size), (struct slot_free *)(slab + (n - 1) * size));
    return slab; /* the first slot is the caller's, the rest are free */
}

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

/* The slot of fd, installing its chunk when `create`; NULL when out of range or absent. */
static struct fdrec **slot(int fd, bool create)
{
    if (fd < 0 || fd >= CHUNK * NCHUNKS)
        return NULL;
    struct fdrec ***chunk = &chunks[fd / CHUNK];
    struct fdrec **c = __atomic_load_n(chunk, __ATOMIC_ACQUIRE);
    if (!c && create) { /* mmap, not malloc: see the top of the file */
        size_t size = CHUNK * sizeof *c;
        struct fdrec **mine = mmap(NULL, size, PROT_READ | PROT_WRITE,
                                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (mine == MAP_FAILED)
            return NULL;
        if (__atomic_compare_exchange_n(chunk, &c, mine, false, __ATOMIC_ACQ_REL,
                                        __ATOMIC_ACQUIRE))
            c = mine;
        else
            munmap(mine, size); /* another thread installed one first: c is it */
    }
    return c ? &c[fd % CHUNK] : NULL;
}

/* Put a record's slot back on its list (the epoch module calls it). Async-signal-safe. */
static void rec_free(struct fl_epoch_node *node)
{
    struct fdrec *r = (struct fdrec *)node; /* the record starts with its node */
    struct slot_free *f = (struct slot_free *)r;
    slots_push(class_of(r->size), f, f);
}

/* Replace what the slot holds with rec (NULL: nothing) and retire what it held. */
static void publish(struct fdrec **at, struct fdrec *rec)
{
    struct fdrec *old = __atomic_exchange_n(at, rec, __ATOMIC_ACQ_REL);
    if (old)
        fl_epoch_retire(&old->node, rec_free, true);
}

/* A new record holding a copy of path (NULL: none) and peer (NULL: none). */
static struct fdrec *rec_new(const char *path, const struct sockaddr *peer, socklen_t peer_len,
                             bool known, dev_t dev, ino_t ino)
{
    size_t plen = path ? strlen(path) + 1 : 0;
    size_t size = sizeof(struct fdrec) + (peer ? sizeof(struct sockaddr_storage) : 0) + plen;
    unsigned c = class_of(size);
    struct fdrec *r = c < CLASSES ? slot_alloc(c) : NULL;
    if (!r)
        return NULL;
    memset(r, 0, sizeof *r);
    r->size = size;
    r->known = known;
    r->dev = dev;
    r->ino = ino;
    char *at = r->data;
    if (peer) {
        memcpy(at, peer, peer_len);
        r->peer = (const struct sockaddr_storage *)at;
        at += sizeof(struct sockaddr_storage);
    }
    if (path) {
        memcpy(at, path, plen);
        r->path = at;
    }
    return r;
}

/* A copy of r (its inner pointers moved with it). */
static struct fdrec *rec_copy(const struct fdrec *r)
{
    struct fdrec *c = slot_alloc(class_of(r->size));
    if (!c)
        return NULL;
    memcpy(c, r, r->size);
    if (r->peer)
        c->peer = (const struct sockaddr_storage *)(c->data + ((const char *)r->peer - r->data));
    if (r->path)
        c->path = c->data + (r->path - r->data);
    return c;
}

/* The record of fd if it still describes what fd is now, else NULL (a stale one is removed).
 * Call inside a read section: the record stays readable until it is left. */
static const struct fdrec *current(int fd)
{
    struct fdrec **at = slot(fd, false);
    struct fdrec *r = at ? __atomic_load_n(at, __ATOMIC_ACQUIRE) : NULL;
    dev_t dev;
    ino_t ino;
    if (!r)
        return NULL;
    if (!r->known || !identity(fd, &dev, &ino) || (dev == r->dev && ino == r->ino))
        return r; /* nothing to compare with, or still the same file */
    if (__atomic_compare_exchange_n(at, &r, NULL, false, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
        fl_epoch_retire(&r->node, rec_free, true);
    return NULL;
}

/* The recording functions run on the program's own calls: like every part of the shim they
 * save errno, mark the thread as inside the shim (the allocations here must not meet a rule)
 * and step aside when the thread is already inside it (a signal handler interrupting the
 * shim), in a guard scope that a siglongjmp out of a handler clears (real.h). */

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
    const char *full = path ? fl_path_absolute(dirfd, path, abs, sizeof abs) : NULL;
    struct fdrec **at = slot(fd, true);
    if (at) /* a path that could not be made absolute (or no memory) leaves the entry empty */
        publish(at, full ? rec_new(full, NULL, 0, known, dev, ino) : NULL);
}

void fl_fd_opened(int fd, int dirfd, const char *path)
{
    struct fl_guard_scope g;
    if (!fl_guard_enter(&g))
        return;
    opened_work(fd, dirfd, path);
    fl_guard_leave(&g);
}

static void peer_set_work(int fd, const struct sockaddr *sa, socklen_t len)
{
    dev_t dev = 0;
    ino_t ino = 0;
    if (fd < 0 || !sa || len == 0 || len > sizeof(struct sockaddr_storage))
        return;
    bool known = identity(fd, &dev, &ino);
    struct fdrec **at = slot(fd, true);
    if (at)
        publish(at, rec_new(NULL, sa, len, known, dev, ino));
}

void fl_fd_peer_set(int fd, const struct sockaddr *sa, socklen_t len)
{
    struct fl_guard_scope g;
    if (!fl_guard_enter(&g))
        return;
    peer_set_work(fd, sa, len);
    fl_guard_leave(&g);
}

static void dup_work(int oldfd, int newfd)
{
    if (oldfd == newfd || newfd < 0)
        return;
    struct fdrec **to = slot(newfd, true);
    if (!to)
        return;
    unsigned token = fl_epoch_enter();
    const struct fdrec *from = current(oldfd);
    struct fdrec *copy = from ? rec_copy(from) : NULL;
    fl_epoch_leave(token);
    publish(to, copy);
}

void fl_fd_dup(int oldfd, int newfd)
{
    struct fl_guard_scope g;
    if (!fl_guard_enter(&g))
        return;
    dup_work(oldfd, newfd);
    fl_guard_leave(&g);
}

static void closed_work(int fd)
{
    struct fdrec **at = slot(fd, false);
    if (at && __atomic_load_n(at, __ATOMIC_RELAXED))
        publish(at, NULL);
}

void fl_fd_closed(int fd)
{
    struct fl_guard_scope g;
    if (!fl_guard_enter(&g))
        return;
    closed_work(fd);
    fl_guard_leave(&g);
}

static void closed_range_work(unsigned first, unsigned last)
{
    for (unsigned c = first / CHUNK; c < NCHUNKS && c <= last / CHUNK; c++) {
        struct fdrec **chunk = __atomic_load_n(&chunks[c], __ATOMIC_ACQUIRE);
        if (!chunk)
            continue;
        for (unsigned i = 0; i < CHUNK; i++) {
            unsigned fd = c * CHUNK + i;
            if (fd >= first && fd <= last && __atomic_load_n(&chunk[i], __ATOMIC_RELAXED))
                publish(&chunk[i], NULL);
        }
    }
}

void fl_fd_closed_range(unsigned first, unsigned last)
{
    struct fl_guard_scope g;
    if (!fl_guard_enter(&g))
        return;
    closed_range_work(first, last);
    fl_guard_leave(&g);
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
    unsigned token = fl_epoch_enter();
    const struct fdrec *r = current(fd);
    if (r && r->path && strlen(r->path) < cap)
        found = strcpy(buf, r->path);
    fl_epoch_leave(token);
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
    unsigned token = fl_epoch_enter();
    const struct fdrec *r = current(fd);
    if (r && r->peer) {
        *out = *r->peer;
        found = true;
    }
    fl_epoch_leave(token);
    socklen_t len = sizeof *out;
    return found || (fd >= 0 && getpeername(fd, (struct sockaddr *)out, &len) == 0);
}
