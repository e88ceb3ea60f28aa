/* Micro-benchmarks of the calls faultline wraps, run bare or under the shim by run.sh.
 *
 *   bench CASE [ITERATIONS]
 *
 * CASE is one of: malloc (malloc+free of 64 B), malloc2, malloc4 (the same in 2 or 4 threads,
 * each doing ITERATIONS pairs; the time is wall time / ITERATIONS, so per pair per thread),
 * write (64 B to /dev/null), read (64 B from /dev/zero), open (open+close of a file in TMPDIR),
 * connect (socket+connect+close on loopback to a listener this program opens, plus the
 * accept+close on the listener's side), fwrite (fwrite+fflush of 64 B to /dev/null).
 * The default ITERATIONS make a run take roughly 0.2-0.5 s on a machine where a syscall costs
 * about 1 us. Prints one line: "CASE NS_PER_OP VMHWM_KB". */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static long iters;
static void *volatile sink;

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void die(const char *what)
{
    perror(what);
    exit(1);
}

static void *malloc_loop(void *arg)
{
    (void)arg;
    for (long i = 0; i < iters; i++) {
        void *p = malloc(64);
        sink = p; /* keeps the compiler from pairing malloc and free away */
        free(p);
    }
    return NULL;
}

static void run_threads(int n)
{
    pthread_t t[8];
    for (int i = 0; i < n; i++)
        if (pthread_create(&t[i], NULL, malloc_loop, NULL) != 0)
            die("pthread_create");
    for (int i = 0; i < n; i++)
        pthread_join(t[i], NULL);
}

static void io_loop(const char *path, int flags, int do_write)
{
    char buf[64];
    memset(buf, 'x', sizeof buf);
    int fd = open(path, flags);
    if (fd < 0)
        die(path);
    for (long i = 0; i < iters; i++) {
        ssize_t r = do_write ? write(fd, buf, sizeof buf) : read(fd, buf, sizeof buf);
        if (r != (ssize_t)sizeof buf)
            die(do_write ? "write" : "read");
    }
    close(fd);
}

static void open_loop(void)
{
    const char *dir = getenv("TMPDIR");
    char path[4096];
    snprintf(path, sizeof path, "%s/faultline-bench-%ld", dir && *dir ? dir : "/tmp",
             (long)getpid());
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0)
        die(path);
    close(fd);
    for (long i = 0; i < iters; i++) {
        fd = open(path, O_RDONLY);
        if (fd < 0)
            die("open");
        close(fd);
    }
    unlink(path);
}

static void connect_loop(void)
{
    int ls = socket(AF_INET, SOCK_STREAM, 0);
    if (ls < 0)
        die("socket");
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t alen = sizeof a;
    if (bind(ls, (struct sockaddr *)&a, sizeof a) != 0 || listen(ls, 128) != 0 ||
        getsockname(ls, (struct sockaddr *)&a, &alen) != 0)
        die("listen");
    /* Close with a reset: no TIME_WAIT, so repeated runs never run out of ephemeral ports. */
    struct linger lg = {.l_onoff = 1, .l_linger = 0};
    for (long i = 0; i < iters; i++) {
        int s = socket(AF_INET, SOCK_STREAM, 0);
        if (s < 0)
            die("socket");
        if (connect(s, (struct sockaddr *)&a, sizeof a) != 0)
            die("connect");
        int c = accept(ls, NULL, NULL);
        if (c < 0)
            die("accept");
        setsockopt(s, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
        close(s);
        close(c);
    }
    close(ls);
}

static void fwrite_loop(void)
{
    char buf[64];
    memset(buf, 'x', sizeof buf);
    FILE *f = fopen("/dev/null", "w");
    if (!f)
        die("/dev/null");
    for (long i = 0; i < iters; i++) {
        if (fwrite(buf, 1, sizeof buf, f) != sizeof buf || fflush(f) != 0)
            die("fwrite");
    }
    fclose(f);
}

static long vmhwm_kb(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = -1;
    if (!f)
        return -1;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "VmHWM: %ld kB", &kb) == 1)
            break;
    fclose(f);
    return kb;
}

static const struct {
    const char *name;
    long iters;
} cases[] = {
    {"malloc", 25000000}, {"malloc2", 15000000}, {"malloc4", 8000000}, {"write", 300000},
    {"read", 300000},     {"open", 100000},      {"connect", 12000},    {"fwrite", 300000},
};

int main(int argc, char **argv)
{
    int k = -1;
    for (size_t i = 0; argc > 1 && i < sizeof cases / sizeof cases[0]; i++)
        if (strcmp(argv[1], cases[i].name) == 0)
            k = (int)i;
    if (k < 0) {
        fprintf(stderr, "usage: %s CASE [ITERATIONS]; CASE:", argv[0]);
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
            fprintf(stderr, " %s", cases[i].name);
        fprintf(stderr, "\n");
        return 2;
    }
    iters = argc > 2 ? atol(argv[2]) : cases[k].iters;
    if (iters <= 0)
        return 2;
    const char *c = cases[k].name;

    double t0 = now_ns();
    if (strcmp(c, "malloc") == 0)
        malloc_loop(NULL);
    else if (strcmp(c, "malloc2") == 0)
        run_threads(2);
    else if (strcmp(c, "malloc4") == 0)
        run_threads(4);
    else if (strcmp(c, "write") == 0)
        io_loop("/dev/null", O_WRONLY, 1);
    else if (strcmp(c, "read") == 0)
        io_loop("/dev/zero", O_RDONLY, 0);
    else if (strcmp(c, "open") == 0)
        open_loop();
    else if (strcmp(c, "connect") == 0)
        connect_loop();
    else
        fwrite_loop();
    double t1 = now_ns();

    printf("%s %.2f %ld\n", c, (t1 - t0) / (double)iters, vmhwm_kb());
    return 0;
}
