/* errno_probe: makes interposed calls that succeed and calls that fail naturally, and prints
 * what each returned and what errno was afterwards.
 *
 *   errno_probe
 *
 * Used by tests/integration/t_errno_preserved.sh: the shim must leave errno alone on calls it
 * passes through (successes keep the sentinel the probe set before the call) and must not
 * disturb a natural failure's errno. The output is one line per call:
 *   NAME ok errno=4242        the call succeeded; 4242 is the sentinel set before it
 *   NAME fail errno=ENOENT    the call failed
 * The test compares the whole output with and without the shim, and checks lines it knows.
 * It runs in the current directory (creates and removes errno_probe.tmp). Exit status: 0 when
 * every call behaved as expected natively (successes kept the sentinel, failures have the
 * expected errno), 1 otherwise (the lines that did not are prefixed with "BAD ").
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <unistd.h>

#define SENTINEL 4242

static int bad;

/* Report one call: `ok` whether it succeeded; `want` the errno expected (SENTINEL after a
 * success). */
static void report(const char *name, int ok, int e, int want)
{
    const char *n = e == SENTINEL ? NULL : strerrorname_np(e);
    char num[16];
    if (!n) {
        snprintf(num, sizeof num, "%d", e);
        n = num;
    }
    int good = e == want && ok == (want == SENTINEL);
    if (!good)
        bad = 1;
    printf("%s%s %s errno=%s\n", good ? "" : "BAD ", name, ok ? "ok" : "fail", n);
}

#define CHECK(name, expr, okcond, want)                                                       \
    do {                                                                                      \
        errno = SENTINEL;                                                                     \
        __typeof__(expr) r_ = (expr);                                                         \
        int e_ = errno;                                                                       \
        report(name, (okcond), e_, want);                                                     \
        (void)r_;                                                                             \
    } while (0)

int main(void)
{
    char buf[64];
    int fd, s, l;
    ssize_t n;
    void *p;

    /* files */
    CHECK("open_devnull", fd = open("/dev/null", O_WRONLY), r_ >= 0, SENTINEL);
    CHECK("write_devnull", n = write(fd, "hello", 5), r_ == 5, SENTINEL);
    CHECK("close_devnull", close(fd), r_ == 0, SENTINEL);
    CHECK("open_missing", open("/nonexistent/errno_probe", O_RDONLY), r_ >= 0, ENOENT);
    CHECK("openat_tmp", fd = openat(AT_FDCWD, "errno_probe.tmp", O_RDWR | O_CREAT | O_TRUNC,
                                    0600), r_ >= 0, SENTINEL);
    CHECK("pwrite_tmp", n = pwrite(fd, "0123456789", 10, 0), r_ == 10, SENTINEL);
    CHECK("pread_tmp", n = pread(fd, buf, 4, 2), r_ == 4, SENTINEL);
    CHECK("read_tmp", n = read(fd, buf, sizeof buf), r_ == 10, SENTINEL);
    CHECK("fsync_tmp", fsync(fd), r_ == 0, SENTINEL);
    CHECK("fdatasync_tmp", fdatasync(fd), r_ == 0, SENTINEL);
    CHECK("close_tmp", close(fd), r_ == 0, SENTINEL);
    CHECK("read_badfd", read(-1, buf, 1), r_ >= 0, EBADF);
    CHECK("write_badfd", write(-1, "x", 1), r_ >= 0, EBADF);
    CHECK("close_badfd", close(-1), r_ == 0, EBADF);
    CHECK("fsync_badfd", fsync(-1), r_ == 0, EBADF);

    /* stdio */
    FILE *f;
    CHECK("fopen_devnull", f = fopen("/dev/null", "w"), r_ != NULL, SENTINEL);
    CHECK("fputs_devnull", fputs("hello\n", f), r_ != EOF, SENTINEL);
    CHECK("fwrite_devnull", fwrite("hello\n", 1, 6, f), r_ == 6, SENTINEL);
    CHECK("fprintf_devnull", fprintf(f, "%d\n", 42), r_ == 3, SENTINEL);
    CHECK("fflush_devnull", fflush(f), r_ == 0, SENTINEL);
    fclose(f);
    CHECK("fopen_missing", fopen("/nonexistent/errno_probe", "r"), r_ != NULL, ENOENT);
    CHECK("fopen_tmp_read", f = fopen("errno_probe.tmp", "r"), r_ != NULL, SENTINEL);
    CHECK("fgets_tmp", fgets(buf, 5, f), r_ != NULL, SENTINEL);
    CHECK("fread_rest", fread(buf, 1, sizeof buf, f), r_ == 6, SENTINEL);
    fclose(f);
    unlink("errno_probe.tmp");

    /* memory */
    CHECK("malloc_small", p = malloc(100), r_ != NULL, SENTINEL);
    CHECK("realloc_grow", p = realloc(p, 100000), r_ != NULL, SENTINEL);
    free(p);
    CHECK("calloc_small", p = calloc(10, 10), r_ != NULL, SENTINEL);
    free(p);
    CHECK("posix_memalign", posix_memalign(&p, 64, 256), r_ == 0, SENTINEL);
    free(p);
    volatile size_t huge = SIZE_MAX / 2;
    CHECK("malloc_huge", p = malloc(huge), r_ != NULL, ENOMEM);

    /* sockets, on loopback: a bound socket that does not listen refuses connections */
    struct sockaddr_in sin;
    socklen_t len = sizeof sin;
    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    CHECK("socket_a", l = socket(AF_INET, SOCK_STREAM, 0), r_ >= 0, SENTINEL);
    CHECK("bind_a", bind(l, (struct sockaddr *)&sin, sizeof sin), r_ == 0, SENTINEL);
    getsockname(l, (struct sockaddr *)&sin, &len);
    CHECK("socket_b", s = socket(AF_INET, SOCK_STREAM, 0), r_ >= 0, SENTINEL);
    CHECK("connect_refused", connect(s, (struct sockaddr *)&sin, sizeof sin), r_ == 0,
          ECONNREFUSED);
    close(s);
    CHECK("listen_a", listen(l, 4), r_ == 0, SENTINEL);
    CHECK("socket_c", s = socket(AF_INET, SOCK_STREAM, 0), r_ >= 0, SENTINEL);
    CHECK("connect_ok", connect(s, (struct sockaddr *)&sin, sizeof sin), r_ == 0, SENTINEL);
    CHECK("send_ok", send(s, "ping", 4, 0), r_ == 4, SENTINEL);
    int a;
    CHECK("accept_ok", a = accept(l, NULL, NULL), r_ >= 0, SENTINEL);
    struct pollfd pfd = {.fd = a, .events = POLLIN};
    CHECK("poll_ready", poll(&pfd, 1, 5000), r_ == 1, SENTINEL);
    CHECK("recv_ok", recv(a, buf, sizeof buf, 0), r_ == 4, SENTINEL);
    struct timeval tv = {0, 0};
    fd_set rd;
    FD_ZERO(&rd);
    FD_SET(a, &rd);
    CHECK("select_idle", select(a + 1, &rd, NULL, NULL, &tv), r_ == 0, SENTINEL);
    CHECK("shutdown_ok", shutdown(s, SHUT_RDWR), r_ == 0, SENTINEL);
    CHECK("recv_badfd", recv(-1, buf, 1, 0), r_ >= 0, EBADF);
    close(a);
    close(s);
    close(l);

    /* the resolver, numeric only: no DNS traffic */
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_flags = AI_NUMERICHOST;
    hints.ai_socktype = SOCK_STREAM;
    errno = SENTINEL;
    int code = getaddrinfo("127.0.0.1", "80", &hints, &res);
    printf("getaddrinfo_numeric %s code=%d\n", code == 0 ? "ok" : "fail", code);
    if (code != 0)
        bad = 1;
    else
        freeaddrinfo(res);
    code = getaddrinfo("not an address", "80", &hints, &res);
    printf("getaddrinfo_bad %s code=%d\n", code == 0 ? "ok" : "fail", code);
    if (code != EAI_NONAME)
        bad = 1;

    return bad;
}
