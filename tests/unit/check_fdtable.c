/* The fd table (lib/fdtable.c): tidy absolute paths, what is recorded per fd (path, peer), what
 * dup, close and close_range do to it, the slow paths (/proc/self/fd, getpeername, fstat), and
 * the table's edges. Fake fd numbers (never open) reach the table without the slow path: their
 * lookups answer with what was recorded, or nothing.
 *
 * Runs under CK_FORK=no too (valgrind): every test leaves the working directory, the table and
 * fl_guard as it found them (the fixture checks and restores). */
#include <arpa/inet.h>
#include <check.h>
#include <sys/syscall.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "fdtable.h"
#include "real.h"

#define TABLE_FDS (4096 * 256) /* CHUNK * NCHUNKS in fdtable.c: fds 0 .. 1,048,575 */
#define FAKE 700000            /* fd numbers this far up are never open in a test */

static char dir[PATH_MAX];     /* the test's directory, as getcwd names it (symlinks resolved) */
static int home = -1;          /* the working directory before the test */

/* ---- fixture and helpers ------------------------------------------------------------------ */

static void make_dir(void)
{
    char tmpl[] = "/tmp/check_fdtable.XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(tmpl));
    ck_assert_ptr_nonnull(realpath(tmpl, dir));
    home = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    ck_assert_int_ge(home, 0);
    ck_assert_int_eq(fl_guard, 0);
}

/* Remove the (flat) test directory, go back home and forget the table. */
static void remove_dir(void)
{
    static const char *names[] = {"f", "g", "sub/x", "sub", "long-name-for-a-file"};
    ck_assert_int_eq(fchdir(home), 0);
    close(home);
    home = -1;
    char p[PATH_MAX + 32];
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        snprintf(p, sizeof p, "%s/%s", dir, names[i]);
        if (unlink(p) != 0)
            rmdir(p);
    }
    rmdir(dir);
    fl_fd_reset();
    fl_guard = 0;
}

/* dir + "/" + name, in one of four static buffers used in turn (two may be arguments of one
 * call). */
static const char *in_dir(const char *name)
{
    static char p[4][PATH_MAX + 64];
    static unsigned next;
    char *b = p[next++ % 4];
    snprintf(b, sizeof p[0], "%s/%s", dir, name);
    return b;
}

/* Create the file dir/name and return a read-write fd on it. */
static int make_file(const char *name)
{
    int fd = open(in_dir(name), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    ck_assert_int_ge(fd, 0);
    return fd;
}

/* fl_path_absolute into a PATH_MAX buffer; "(null)" when it gives NULL. */
static const char *absolute(int dirfd, const char *path)
{
    static char buf[PATH_MAX];
    const char *r = fl_path_absolute(dirfd, path, buf, sizeof buf);
    return r ? r : "(null)";
}

/* fl_fd_path into a PATH_MAX buffer; "(null)" when it gives NULL. */
static const char *path_of(int fd)
{
    static char buf[PATH_MAX];
    const char *r = fl_fd_path(fd, buf, sizeof buf);
    if (r)
        ck_assert_ptr_eq(r, buf);
    return r ? r : "(null)";
}

static struct sockaddr_in inet4(const char *addr, uint16_t port)
{
    struct sockaddr_in in = {.sin_family = AF_INET, .sin_port = htons(port)};
    ck_assert_int_eq(inet_pton(AF_INET, addr, &in.sin_addr), 1);
    return in;
}

/* The IPv4 peer of fd as "a.b.c.d:port"; "(none)" when fl_fd_peer knows none. */
static const char *peer4_of(int fd)
{
    static char text[64];
    struct sockaddr_storage ss;
    memset(&ss, 0x5a, sizeof ss);
    if (!fl_fd_peer(fd, &ss))
        return "(none)";
    ck_assert_int_eq(ss.ss_family, AF_INET);
    const struct sockaddr_in *in = (const struct sockaddr_in *)&ss;
    char a[INET_ADDRSTRLEN];
    ck_assert_ptr_nonnull(inet_ntop(AF_INET, &in->sin_addr, a, sizeof a));
    snprintf(text, sizeof text, "%s:%u", a, ntohs(in->sin_port));
    return text;
}

/* ---- fl_path_absolute --------------------------------------------------------------------- */

START_TEST(absolute_path_is_tidied)
{
    ck_assert_str_eq(absolute(AT_FDCWD, "/a/./b/../c"), "/a/c");
    ck_assert_str_eq(absolute(AT_FDCWD, "//x"), "/x");
    ck_assert_str_eq(absolute(AT_FDCWD, "/a//b///c"), "/a/b/c");
    ck_assert_str_eq(absolute(AT_FDCWD, "/a/b/"), "/a/b");
    ck_assert_str_eq(absolute(AT_FDCWD, "/a/b/."), "/a/b");
    ck_assert_str_eq(absolute(AT_FDCWD, "/a/b/.."), "/a");
    ck_assert_str_eq(absolute(AT_FDCWD, "/"), "/");
    ck_assert_str_eq(absolute(AT_FDCWD, "/./"), "/");
    ck_assert_str_eq(absolute(AT_FDCWD, "/srv/..data/.x/a..b"), "/srv/..data/.x/a..b");
    /* An absolute path ignores dirfd, even one that is not open. */
    ck_assert_str_eq(absolute(FAKE, "/etc/./passwd"), "/etc/passwd");
}
END_TEST

START_TEST(dot_dot_above_the_root_stays_at_the_root)
{
    ck_assert_str_eq(absolute(AT_FDCWD, "/.."), "/");
    ck_assert_str_eq(absolute(AT_FDCWD, "/../../.."), "/");
    ck_assert_str_eq(absolute(AT_FDCWD, "/../a/../../b"), "/b");
    ck_assert_str_eq(absolute(AT_FDCWD, "/a/../../b"), "/b");
    ck_assert_int_eq(chdir("/"), 0);
    ck_assert_str_eq(absolute(AT_FDCWD, "../../x"), "/x");
    ck_assert_str_eq(absolute(AT_FDCWD, ".."), "/");
}
END_TEST

START_TEST(relative_path_is_resolved_against_the_working_directory)
{
    ck_assert_int_eq(chdir(dir), 0);
    char want[PATH_MAX + 64];
    ck_assert_str_eq(absolute(AT_FDCWD, "f"), in_dir("f"));
    ck_assert_str_eq(absolute(AT_FDCWD, "./f"), in_dir("f"));
    ck_assert_str_eq(absolute(AT_FDCWD, "sub/../f"), in_dir("f"));
    ck_assert_str_eq(absolute(AT_FDCWD, "sub/x/"), in_dir("sub/x"));
    ck_assert_str_eq(absolute(AT_FDCWD, "."), dir);
    ck_assert_str_eq(absolute(AT_FDCWD, ""), dir);
    /* ".." leaves the test directory for its parent, /tmp as getcwd names it. */
    snprintf(want, sizeof want, "%s", dir);
    *strrchr(want, '/') = '\0';
    ck_assert_str_eq(absolute(AT_FDCWD, ".."), want);
    strcat(want, "/y");
    ck_assert_str_eq(absolute(AT_FDCWD, "../y"), want);
}
END_TEST

START_TEST(relative_path_is_resolved_against_a_directory_fd)
{
    ck_assert_int_eq(mkdir(in_dir("sub"), 0700), 0);
    int d = open(in_dir("sub"), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    ck_assert_int_ge(d, 0);
    /* The working directory is elsewhere: only the dirfd counts. */
    ck_assert_int_eq(chdir("/"), 0);
    ck_assert_str_eq(absolute(d, "x"), in_dir("sub/x"));
    ck_assert_str_eq(absolute(d, "./a/../x"), in_dir("sub/x"));
    ck_assert_str_eq(absolute(d, "../f"), in_dir("f"));
    ck_assert_str_eq(absolute(AT_FDCWD, "x"), "/x");
    close(d);
    /* A dirfd that is not open: no base, no result. */
    ck_assert_str_eq(absolute(d, "x"), "(null)");
    ck_assert_str_eq(absolute(FAKE, "x"), "(null)");
    /* A recorded dirfd: its recorded path is the base (no /proc involved). */
    fl_fd_opened(FAKE, AT_FDCWD, "/srv/data/");
    ck_assert_str_eq(absolute(FAKE, "a.db"), "/srv/data/a.db");
    ck_assert_str_eq(absolute(FAKE, "../b.db"), "/srv/b.db");
    fl_fd_reset();
}
END_TEST

START_TEST(unknown_working_directory_gives_null)
{
    ck_assert_int_eq(mkdir(in_dir("sub"), 0700), 0);
    ck_assert_int_eq(chdir(in_dir("sub")), 0);
    ck_assert_str_eq(absolute(AT_FDCWD, "x"), in_dir("sub/x"));
    ck_assert_int_eq(rmdir(in_dir("sub")), 0); /* getcwd now fails with ENOENT */
    ck_assert_str_eq(absolute(AT_FDCWD, "x"), "(null)");
    ck_assert_str_eq(absolute(AT_FDCWD, "/still/fine"), "/still/fine");
}
END_TEST

START_TEST(result_that_does_not_fit_gives_null)
{
    char buf[64];
    /* Room for "/abc/def" and its NUL, and more: the result. */
    ck_assert_ptr_eq(fl_path_absolute(AT_FDCWD, "/abc/def", buf, sizeof buf), buf);
    ck_assert_str_eq(buf, "/abc/def");
    /* Too small for the result, down to nothing at all: NULL, and nothing written past cap. */
    for (size_t cap = 0; cap < 9; cap++) {
        memset(buf, 'Z', sizeof buf);
        ck_assert_msg(fl_path_absolute(AT_FDCWD, "/abc/def", buf, cap) == NULL, "cap %zu", cap);
        for (size_t i = cap; i < sizeof buf; i++)
            ck_assert_msg(buf[i] == 'Z', "cap %zu: byte %zu written", cap, i);
    }
    /* A relative path counts the working directory too. */
    ck_assert_int_eq(chdir(dir), 0);
    size_t need = strlen(dir) + 2; /* dir + "/f" */
    char big[PATH_MAX];
    ck_assert_ptr_null(fl_path_absolute(AT_FDCWD, "f", big, need));
    ck_assert_ptr_eq(fl_path_absolute(AT_FDCWD, "f", big, sizeof big), big);
    ck_assert_str_eq(big, in_dir("f"));
    /* A path longer than PATH_MAX-sized buffers: NULL, never an overflow. */
    static char huge[2 * PATH_MAX];
    memset(huge, 'a', sizeof huge - 1);
    huge[0] = '/';
    ck_assert_ptr_null(fl_path_absolute(AT_FDCWD, huge, big, sizeof big));
    ck_assert_ptr_null(fl_path_absolute(AT_FDCWD, huge + 1, big, sizeof big));
}
END_TEST

/* ---- recorded paths ----------------------------------------------------------------------- */

START_TEST(opened_fd_path_is_the_recorded_absolute_path)
{
    ck_assert_int_eq(chdir(dir), 0);
    int fd = make_file("f");
    fl_fd_opened(fd, AT_FDCWD, "./sub/../f");
    ck_assert_str_eq(path_of(fd), in_dir("f"));
    /* Renamed: /proc now says g, the recorded name still wins. */
    ck_assert_int_eq(rename(in_dir("f"), in_dir("g")), 0);
    char link[64], now[PATH_MAX];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, now, sizeof now - 1);
    ck_assert_int_gt(n, 0);
    now[n] = '\0';
    ck_assert_str_eq(now, in_dir("g"));
    ck_assert_str_eq(path_of(fd), in_dir("f"));
    close(fd);
    fl_fd_closed(fd);
    fl_fd_reset();
}
END_TEST

START_TEST(opened_relative_to_a_dirfd_records_the_absolute_path)
{
    int d = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    ck_assert_int_ge(d, 0);
    fl_fd_opened(FAKE, d, "sub/../f");
    ck_assert_str_eq(path_of(FAKE), in_dir("f"));
    /* Recording again replaces the path. */
    fl_fd_opened(FAKE, AT_FDCWD, "/other//one");
    ck_assert_str_eq(path_of(FAKE), "/other/one");
    /* A path that cannot be made absolute is not recorded; NULL paths and fds are ignored. */
    fl_fd_opened(FAKE + 1, FAKE + 2, "relative");
    ck_assert_str_eq(path_of(FAKE + 1), "(null)");
    fl_fd_opened(FAKE + 3, AT_FDCWD, NULL);
    ck_assert_str_eq(path_of(FAKE + 3), "(null)");
    fl_fd_opened(-1, AT_FDCWD, "/neg");
    ck_assert_str_eq(path_of(-1), "(null)");
    close(d);
    fl_fd_reset();
}
END_TEST

START_TEST(recording_keeps_errno_and_steps_aside_inside_the_shim)
{
    errno = EXDEV;
    fl_fd_opened(FAKE, AT_FDCWD, "/a");
    fl_fd_opened(FAKE + 6, FAKE + 7, "rel"); /* readlink of an fd not open fails inside */
    fl_fd_dup(FAKE, FAKE + 1);
    struct sockaddr_in in = inet4("10.0.0.1", 80);
    fl_fd_peer_set(FAKE + 2, (struct sockaddr *)&in, sizeof in);
    fl_fd_closed(FAKE + 1);
    fl_fd_closed_range(FAKE + 5, FAKE + 9);
    ck_assert_int_eq(errno, EXDEV);
    ck_assert_int_eq(fl_guard, 0);
    ck_assert_str_eq(path_of(FAKE), "/a");
    ck_assert_str_eq(peer4_of(FAKE + 2), "10.0.0.1:80");

    /* Already inside the shim (a signal handler interrupting it): nothing changes. */
    fl_guard = 1;
    fl_fd_opened(FAKE + 3, AT_FDCWD, "/b");
    fl_fd_dup(FAKE, FAKE + 4);
    fl_fd_closed(FAKE);
    fl_fd_closed_range(FAKE + 2, FAKE + 2);
    fl_fd_peer_set(FAKE + 5, (struct sockaddr *)&in, sizeof in);
    ck_assert_int_eq(fl_guard, 1);
    fl_guard = 0;
    ck_assert_str_eq(path_of(FAKE), "/a");
    ck_assert_str_eq(path_of(FAKE + 3), "(null)");
    ck_assert_str_eq(path_of(FAKE + 4), "(null)");
    ck_assert_str_eq(peer4_of(FAKE + 2), "10.0.0.1:80");
    ck_assert_str_eq(peer4_of(FAKE + 5), "(none)");
    fl_fd_reset();
}
END_TEST

/* ---- the /proc fallback ------------------------------------------------------------------- */

START_TEST(unrecorded_fd_falls_back_to_proc)
{
    int fd = make_file("f");
    ck_assert_str_eq(path_of(fd), in_dir("f"));
    ck_assert_int_eq(rename(in_dir("f"), in_dir("g")), 0);
    ck_assert_str_eq(path_of(fd), in_dir("g")); /* /proc follows the rename */
    close(fd);
    ck_assert_str_eq(path_of(fd), "(null)");

    int p[2];
    ck_assert_int_eq(pipe(p), 0);
    ck_assert_str_eq(path_of(p[0]), "(null)"); /* "pipe:[...]" is not a path */
    ck_assert_str_eq(path_of(p[1]), "(null)");
    close(p[0]);
    close(p[1]);
    int sv[2];
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    ck_assert_str_eq(path_of(sv[0]), "(null)"); /* "socket:[...]" */
    close(sv[0]);
    close(sv[1]);
    ck_assert_str_eq(path_of(-1), "(null)");
    char buf[8];
    ck_assert_ptr_null(fl_fd_path(0, buf, 0));
}
END_TEST

START_TEST(proc_fallback_too_long_for_the_buffer_gives_null)
{
    /* fl_fd_path must not hand back a truncated path: a glob would match the wrong name. */
    int fd = make_file("long-name-for-a-file");
    const char *full = in_dir("long-name-for-a-file");
    size_t len = strlen(full);
    char buf[PATH_MAX];
    ck_assert_ptr_eq(fl_fd_path(fd, buf, len + 1), buf); /* exactly fits */
    ck_assert_str_eq(buf, full);
    for (size_t cap = len; cap > len - 6; cap--) {
        const char *r = fl_fd_path(fd, buf, cap);
        ck_assert_msg(r == NULL, "cap %zu (path is %zu bytes): got [%s]", cap, len,
                      r ? r : "");
    }
    close(fd);
}
END_TEST

START_TEST(recorded_path_too_long_for_the_buffer_is_not_truncated)
{
    fl_fd_opened(FAKE, AT_FDCWD, "/a/recorded/path");
    char buf[PATH_MAX];
    ck_assert_ptr_eq(fl_fd_path(FAKE, buf, sizeof "/a/recorded/path"), buf);
    ck_assert_str_eq(buf, "/a/recorded/path");
    ck_assert_ptr_null(fl_fd_path(FAKE, buf, sizeof "/a/recorded/path" - 1));
    fl_fd_reset();
}
END_TEST

/* ---- dup, close, close_range -------------------------------------------------------------- */

START_TEST(dup_carries_path_and_peer)
{
    fl_fd_opened(FAKE, AT_FDCWD, "/data/a.db");
    fl_fd_dup(FAKE, FAKE + 1);
    ck_assert_str_eq(path_of(FAKE + 1), "/data/a.db");
    ck_assert_str_eq(path_of(FAKE), "/data/a.db"); /* the original keeps it */

    struct sockaddr_in in = inet4("192.0.2.7", 5432);
    fl_fd_peer_set(FAKE + 2, (struct sockaddr *)&in, sizeof in);
    fl_fd_dup(FAKE + 2, FAKE + 3);
    ck_assert_str_eq(peer4_of(FAKE + 3), "192.0.2.7:5432");
    ck_assert_str_eq(path_of(FAKE + 3), "(null)");
    ck_assert_str_eq(peer4_of(FAKE + 1), "(none)");

    /* Onto a fd that was something else: that is forgotten. */
    fl_fd_dup(FAKE + 2, FAKE + 1);
    ck_assert_str_eq(path_of(FAKE + 1), "(null)");
    ck_assert_str_eq(peer4_of(FAKE + 1), "192.0.2.7:5432");
    /* From an unrecorded fd: the new fd is unrecorded. */
    fl_fd_dup(FAKE + 50, FAKE + 3);
    ck_assert_str_eq(peer4_of(FAKE + 3), "(none)");
    /* Across chunks, and onto itself (a no-op). */
    fl_fd_dup(FAKE, 4096 * 3 + 1);
    ck_assert_str_eq(path_of(4096 * 3 + 1), "/data/a.db");
    fl_fd_dup(FAKE, FAKE);
    ck_assert_str_eq(path_of(FAKE), "/data/a.db");
    /* The duplicate is a copy: forgetting one leaves the other. */
    fl_fd_closed(FAKE);
    ck_assert_str_eq(path_of(FAKE), "(null)");
    ck_assert_str_eq(path_of(4096 * 3 + 1), "/data/a.db");
    fl_fd_reset();
}
END_TEST

START_TEST(closed_forgets_and_proc_answers_again)
{
    int fd = make_file("f");
    fl_fd_opened(fd, AT_FDCWD, "/recorded/name");
    ck_assert_str_eq(path_of(fd), "/recorded/name");
    fl_fd_closed(fd);
    ck_assert_str_eq(path_of(fd), in_dir("f")); /* still open: /proc answers */
    close(fd);
    ck_assert_str_eq(path_of(fd), "(null)");

    fl_fd_opened(FAKE, AT_FDCWD, "/x");
    fl_fd_closed(FAKE);
    ck_assert_str_eq(path_of(FAKE), "(null)");
    struct sockaddr_in in = inet4("10.0.0.1", 1);
    fl_fd_peer_set(FAKE, (struct sockaddr *)&in, sizeof in);
    fl_fd_closed(FAKE);
    ck_assert_str_eq(peer4_of(FAKE), "(none)");
    /* Forgetting what was never recorded, or out of range, is harmless. */
    fl_fd_closed(FAKE + 1);
    fl_fd_closed(4096 * 200);
    fl_fd_closed(-1);
    fl_fd_closed(TABLE_FDS);
    fl_fd_closed(INT_MAX);
    fl_fd_reset();
}
END_TEST

START_TEST(closed_range_forgets_the_range_and_only_it)
{
    for (int fd = FAKE; fd <= FAKE + 10; fd++)
        fl_fd_opened(fd, AT_FDCWD, "/r");
    fl_fd_closed_range(FAKE + 3, FAKE + 6);
    for (int fd = FAKE; fd <= FAKE + 10; fd++) {
        bool gone = fd >= FAKE + 3 && fd <= FAKE + 6;
        ck_assert_msg(strcmp(path_of(fd), gone ? "(null)" : "/r") == 0, "fd %d: %s", fd,
                      path_of(fd));
    }
    /* Across chunk boundaries (4096 fds per chunk). */
    static const int edge[] = {4095, 4096, 8191, 8192, 12287, 12288};
    for (size_t i = 0; i < 6; i++)
        fl_fd_opened(edge[i], AT_FDCWD, "/e");
    fl_fd_closed_range(4096, 12287);
    ck_assert_str_eq(path_of(4095), "/e");
    ck_assert_str_eq(path_of(4096), "(null)");
    ck_assert_str_eq(path_of(8191), "(null)");
    ck_assert_str_eq(path_of(8192), "(null)");
    ck_assert_str_eq(path_of(12287), "(null)");
    ck_assert_str_eq(path_of(12288), "/e");
    /* first > last: nothing. */
    fl_fd_closed_range(FAKE + 10, FAKE);
    ck_assert_str_eq(path_of(FAKE + 10), "/r");
    ck_assert_str_eq(path_of(FAKE), "/r");
    /* A single fd, and a peer. */
    struct sockaddr_in in = inet4("10.0.0.1", 1);
    fl_fd_peer_set(FAKE + 20, (struct sockaddr *)&in, sizeof in);
    fl_fd_closed_range(FAKE + 20, FAKE + 20);
    ck_assert_str_eq(peer4_of(FAKE + 20), "(none)");
    /* To ~0U, as closefrom does: up to the table's last fd. */
    fl_fd_opened(TABLE_FDS - 1, AT_FDCWD, "/last");
    fl_fd_closed_range(FAKE + 8, UINT_MAX);
    ck_assert_str_eq(path_of(FAKE + 7), "/r");
    ck_assert_str_eq(path_of(FAKE + 8), "(null)");
    ck_assert_str_eq(path_of(TABLE_FDS - 1), "(null)");
    ck_assert_str_eq(path_of(12288), "/e");
    fl_fd_reset();
}
END_TEST

/* ---- peers -------------------------------------------------------------------------------- */

START_TEST(peer_set_round_trips_an_inet_and_a_unix_address)
{
    struct sockaddr_in in = inet4("10.1.2.3", 5432);
    fl_fd_peer_set(FAKE, (struct sockaddr *)&in, sizeof in);
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    ck_assert(fl_fd_peer(FAKE, &ss));
    ck_assert_mem_eq(&ss, &in, sizeof in);
    ck_assert_str_eq(peer4_of(FAKE), "10.1.2.3:5432");

    struct sockaddr_un un = {.sun_family = AF_UNIX, .sun_path = "/run/x.sock"};
    socklen_t len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + sizeof "/run/x.sock");
    fl_fd_peer_set(FAKE + 1, (struct sockaddr *)&un, len);
    memset(&ss, 0x5a, sizeof ss);
    ck_assert(fl_fd_peer(FAKE + 1, &ss));
    ck_assert_int_eq(ss.ss_family, AF_UNIX);
    ck_assert_str_eq(((struct sockaddr_un *)&ss)->sun_path, "/run/x.sock");

    /* Set again: the new peer replaces the old. */
    struct sockaddr_in6 in6 = {.sin6_family = AF_INET6, .sin6_port = htons(80),
                               .sin6_addr = IN6ADDR_LOOPBACK_INIT};
    fl_fd_peer_set(FAKE, (struct sockaddr *)&in6, sizeof in6);
    ck_assert(fl_fd_peer(FAKE, &ss));
    ck_assert_mem_eq(&ss, &in6, sizeof in6);

    /* Nothing to record: no address, an empty one, one larger than any address. */
    fl_fd_peer_set(FAKE + 2, NULL, sizeof in);
    fl_fd_peer_set(FAKE + 3, (struct sockaddr *)&in, 0);
    static char big[sizeof(struct sockaddr_storage) + 8];
    fl_fd_peer_set(FAKE + 4, (struct sockaddr *)big, sizeof big);
    fl_fd_peer_set(-1, (struct sockaddr *)&in, sizeof in);
    for (int fd = FAKE + 2; fd <= FAKE + 4; fd++)
        ck_assert_msg(!fl_fd_peer(fd, &ss), "fd %d", fd);
    ck_assert(!fl_fd_peer(-1, &ss));
    fl_fd_reset();
}
END_TEST

START_TEST(unrecorded_peer_comes_from_getpeername)
{
    int sv[2];
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    struct sockaddr_storage ss;
    memset(&ss, 0x5a, sizeof ss);
    ck_assert(fl_fd_peer(sv[0], &ss));
    ck_assert_int_eq(ss.ss_family, AF_UNIX);
    close(sv[0]);
    close(sv[1]);
    ck_assert(!fl_fd_peer(sv[0], &ss)); /* closed */

    int l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ck_assert_int_ge(l, 0);
    struct sockaddr_in addr = inet4("127.0.0.1", 0);
    ck_assert_int_eq(bind(l, (struct sockaddr *)&addr, sizeof addr), 0);
    ck_assert_int_eq(listen(l, 1), 0);
    socklen_t len = sizeof addr;
    ck_assert_int_eq(getsockname(l, (struct sockaddr *)&addr, &len), 0);
    ck_assert(!fl_fd_peer(l, &ss)); /* a listener has no peer */

    int c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ck_assert_int_ge(c, 0);
    ck_assert(!fl_fd_peer(c, &ss)); /* not connected yet */
    ck_assert_int_eq(connect(c, (struct sockaddr *)&addr, sizeof addr), 0);
    int a = accept(l, NULL, NULL);
    ck_assert_int_ge(a, 0);
    char want[64];
    snprintf(want, sizeof want, "127.0.0.1:%u", ntohs(addr.sin_port));
    ck_assert_str_eq(peer4_of(c), want);
    struct sockaddr_in mine;
    len = sizeof mine;
    ck_assert_int_eq(getsockname(c, (struct sockaddr *)&mine, &len), 0);
    snprintf(want, sizeof want, "127.0.0.1:%u", ntohs(mine.sin_port));
    ck_assert_str_eq(peer4_of(a), want);

    /* A recorded peer wins over getpeername (connect records what was asked for). */
    struct sockaddr_in asked = inet4("203.0.113.9", 443);
    fl_fd_peer_set(c, (struct sockaddr *)&asked, sizeof asked);
    ck_assert_str_eq(peer4_of(c), "203.0.113.9:443");
    fl_fd_closed(c);
    snprintf(want, sizeof want, "127.0.0.1:%u", ntohs(addr.sin_port));
    ck_assert_str_eq(peer4_of(c), want);
    close(a);
    close(c);
    close(l);
    fl_fd_reset();
}
END_TEST

/* ---- the table's edges -------------------------------------------------------------------- */

START_TEST(fds_up_to_the_tables_limit_are_recorded_and_beyond_it_ignored)
{
    fl_fd_opened(TABLE_FDS - 1, AT_FDCWD, "/last");
    ck_assert_str_eq(path_of(TABLE_FDS - 1), "/last");
    fl_fd_opened(0, AT_FDCWD, "/first"); /* fd 0 is stdin: the recorded name wins */
    ck_assert_str_eq(path_of(0), "/first");
    fl_fd_closed(0);

    fl_fd_opened(TABLE_FDS, AT_FDCWD, "/beyond");
    ck_assert_str_eq(path_of(TABLE_FDS), "(null)");
    fl_fd_opened(INT_MAX, AT_FDCWD, "/max");
    ck_assert_str_eq(path_of(INT_MAX), "(null)");
    struct sockaddr_in in = inet4("10.0.0.1", 1);
    fl_fd_peer_set(TABLE_FDS, (struct sockaddr *)&in, sizeof in);
    ck_assert_str_eq(peer4_of(TABLE_FDS), "(none)");
    fl_fd_peer_set(TABLE_FDS - 1, (struct sockaddr *)&in, sizeof in);
    ck_assert_str_eq(peer4_of(TABLE_FDS - 1), "10.0.0.1:1");
    ck_assert_str_eq(path_of(TABLE_FDS - 1), "(null)"); /* a peer replaces the path */

    /* dup to and from beyond the limit: nothing there to carry, nowhere to put it. */
    fl_fd_opened(TABLE_FDS - 2, AT_FDCWD, "/near");
    fl_fd_dup(TABLE_FDS - 2, TABLE_FDS);
    ck_assert_str_eq(path_of(TABLE_FDS), "(null)");
    fl_fd_dup(TABLE_FDS, TABLE_FDS - 2);
    ck_assert_str_eq(path_of(TABLE_FDS - 2), "(null)");
    fl_fd_dup(TABLE_FDS - 1, -1);
    ck_assert_str_eq(peer4_of(TABLE_FDS - 1), "10.0.0.1:1");
    fl_fd_closed(TABLE_FDS);
    fl_fd_closed_range(TABLE_FDS, UINT_MAX);
    ck_assert_str_eq(peer4_of(TABLE_FDS - 1), "10.0.0.1:1");
    fl_fd_closed_range(TABLE_FDS - 1, TABLE_FDS - 1);
    ck_assert_str_eq(peer4_of(TABLE_FDS - 1), "(none)");
    fl_fd_reset();
}
END_TEST

START_TEST(reset_forgets_everything)
{
    static const int fds[] = {0, 4095, 4096, FAKE, TABLE_FDS - 1}; /* none open but 0 */
    for (size_t i = 0; i < 5; i++)
        fl_fd_opened(fds[i], AT_FDCWD, "/gone");
    struct sockaddr_in in = inet4("10.0.0.1", 1);
    fl_fd_peer_set(FAKE + 1, (struct sockaddr *)&in, sizeof in);
    int fd = make_file("f");
    fl_fd_opened(fd, AT_FDCWD, "/recorded");
    ck_assert_str_eq(path_of(fd), "/recorded");
    for (size_t i = 0; i < 5; i++)
        ck_assert_str_eq(path_of(fds[i]), "/gone");

    fl_fd_reset();
    for (size_t i = 1; i < 5; i++)
        ck_assert_msg(strcmp(path_of(fds[i]), "(null)") == 0, "fd %d", fds[i]);
    ck_assert_str_ne(path_of(0), "/gone"); /* stdin: whatever /proc says, if anything */
    ck_assert_str_eq(peer4_of(FAKE + 1), "(none)");
    ck_assert_str_eq(path_of(fd), in_dir("f")); /* /proc answers again */
    close(fd);
    /* The table works after a reset. */
    fl_fd_opened(FAKE, AT_FDCWD, "/again");
    ck_assert_str_eq(path_of(FAKE), "/again");
    fl_fd_reset();
}
END_TEST

/* ---- kinds -------------------------------------------------------------------------------- */

START_TEST(kind_of_tells_files_pipes_sockets_and_others_apart)
{
    int f = make_file("f");
    ck_assert_int_eq(fl_fd_kind_of(f), FL_FD_FILE);
    int d = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    ck_assert_int_eq(fl_fd_kind_of(d), FL_FD_FILE);
    int p[2];
    ck_assert_int_eq(pipe(p), 0);
    ck_assert_int_eq(fl_fd_kind_of(p[0]), FL_FD_PIPE);
    ck_assert_int_eq(fl_fd_kind_of(p[1]), FL_FD_PIPE);
    int sv[2];
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    ck_assert_int_eq(fl_fd_kind_of(sv[0]), FL_FD_SOCKET);
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    ck_assert_int_ge(s, 0);
    ck_assert_int_eq(fl_fd_kind_of(s), FL_FD_SOCKET);
    int null = open("/dev/null", O_RDWR | O_CLOEXEC);
    ck_assert_int_ge(null, 0);
    ck_assert_int_eq(fl_fd_kind_of(null), FL_FD_OTHER); /* a character device, not a tty */
    int pty = posix_openpt(O_RDWR | O_NOCTTY);
    if (pty >= 0) { /* where the system has ptys */
        ck_assert_int_eq(fl_fd_kind_of(pty), FL_FD_TTY);
        close(pty);
    }
    close(f);
    ck_assert_int_eq(fl_fd_kind_of(f), FL_FD_OTHER); /* closed */
    ck_assert_int_eq(fl_fd_kind_of(-1), FL_FD_OTHER);
    ck_assert_int_eq(fl_fd_kind_of(FAKE), FL_FD_OTHER);
    /* The kind comes from fstat, not from what was recorded. */
    fl_fd_opened(p[0], AT_FDCWD, "/a/file");
    ck_assert_int_eq(fl_fd_kind_of(p[0]), FL_FD_PIPE);
    int fds[] = {d, p[0], p[1], sv[0], sv[1], s, null};
    for (size_t i = 0; i < sizeof fds / sizeof fds[0]; i++)
        close(fds[i]);
    fl_fd_reset();
}
END_TEST

/* glibc's fclose closes its fd inside the library, where the shim never sees it: an entry whose
 * fd number now holds something else must not describe it. */
START_TEST(an_fd_reused_behind_the_shims_back_is_not_described_by_the_old_entry)
{
    int fd = make_file("f");
    fl_fd_opened(fd, AT_FDCWD, in_dir("f"));
    ck_assert_str_eq(path_of(fd), in_dir("f"));
    syscall(SYS_close, fd); /* as fclose does: not through close() */
    int p[2];
    ck_assert_int_eq(pipe(p), 0);
    if (p[0] != fd)
        ck_assert_int_eq(dup2(p[0], fd), fd);
    ck_assert_str_eq(path_of(fd), "(null)"); /* a pipe has no path */
    close(p[0]);
    close(p[1]);
    if (p[0] != fd)
        close(fd);
    fl_fd_reset();
}
END_TEST

static Suite *fdtable_suite(void)
{
    Suite *s = suite_create("fdtable");
    TCase *paths = tcase_create("paths");
    tcase_add_checked_fixture(paths, make_dir, remove_dir);
    tcase_add_test(paths, absolute_path_is_tidied);
    tcase_add_test(paths, dot_dot_above_the_root_stays_at_the_root);
    tcase_add_test(paths, relative_path_is_resolved_against_the_working_directory);
    tcase_add_test(paths, relative_path_is_resolved_against_a_directory_fd);
    tcase_add_test(paths, unknown_working_directory_gives_null);
    tcase_add_test(paths, result_that_does_not_fit_gives_null);
    suite_add_tcase(s, paths);

    TCase *rec = tcase_create("recording");
    tcase_add_checked_fixture(rec, make_dir, remove_dir);
    tcase_add_test(rec, opened_fd_path_is_the_recorded_absolute_path);
    tcase_add_test(rec, opened_relative_to_a_dirfd_records_the_absolute_path);
    tcase_add_test(rec, recording_keeps_errno_and_steps_aside_inside_the_shim);
    tcase_add_test(rec, unrecorded_fd_falls_back_to_proc);
    tcase_add_test(rec, proc_fallback_too_long_for_the_buffer_gives_null);
    tcase_add_test(rec, recorded_path_too_long_for_the_buffer_is_not_truncated);
    tcase_add_test(rec, dup_carries_path_and_peer);
    tcase_add_test(rec, closed_forgets_and_proc_answers_again);
    tcase_add_test(rec, closed_range_forgets_the_range_and_only_it);
    tcase_add_test(rec, fds_up_to_the_tables_limit_are_recorded_and_beyond_it_ignored);
    tcase_add_test(rec, reset_forgets_everything);
    tcase_add_test(rec, an_fd_reused_behind_the_shims_back_is_not_described_by_the_old_entry);
    suite_add_tcase(s, rec);

    TCase *peers = tcase_create("peers");
    tcase_add_checked_fixture(peers, make_dir, remove_dir);
    tcase_add_test(peers, peer_set_round_trips_an_inet_and_a_unix_address);
    tcase_add_test(peers, unrecorded_peer_comes_from_getpeername);
    suite_add_tcase(s, peers);

    TCase *kinds = tcase_create("kinds");
    tcase_add_checked_fixture(kinds, make_dir, remove_dir);
    tcase_add_test(kinds, kind_of_tells_files_pipes_sockets_and_others_apart);
    suite_add_tcase(s, kinds);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(fdtable_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
