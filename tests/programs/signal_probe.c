/* signal_probe: one blocking call, and a signal that arrives while it blocks; prints how the
 * call ended.
 *
 *   signal_probe MODE SIGNAL_MS [TIMEOUT_MS]
 *
 * A SIGALRM arrives SIGNAL_MS after the call starts (0: none). MODE says which call and how the
 * handler is installed:
 *   poll          poll on an empty pipe, timeout TIMEOUT_MS (default -1); handler with SA_RESTART
 *                 (poll is never restarted: EINTR whatever the flags)
 *   poll-ready    poll on a pipe that already holds a byte, timeout TIMEOUT_MS
 *   select-ready  select on a pipe that already holds a byte, timeout TIMEOUT_MS (prints whether
 *                 the fd is left in the set)
 *   read          read of a pipe that holds a byte; handler without SA_RESTART
 *   read-restart  the same with SA_RESTART: the read is restarted, and returns the byte
 *   file          read of a regular file (probe.tmp, made here); handler without SA_RESTART:
 *                 disk reads are not interrupted
 *   longjmp       read of a pipe holding a byte; the handler siglongjmps out of it. Then writes
 *                 one byte to /dev/null and prints that write's result: the shim must still act
 *                 on this thread
 *   cancel        a thread reads a pipe holding a byte; the main thread cancels it after
 *                 SIGNAL_MS (no signal) and joins it
 *
 * Prints one line: "result=R errno=NAME ms=ELAPSED" (plus "set=0|1" for select-ready), and for
 * longjmp a second line "after: result=R errno=NAME". Exit status 0.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static sigjmp_buf jump;
static volatile sig_atomic_t jump_armed, signals;

static void on_alarm(int sig)
{
    (void)sig;
    signals++;
    if (jump_armed) {
        jump_armed = 0;
        siglongjmp(jump, 1);
    }
}

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void handle(bool restart)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sa.sa_flags = restart ? SA_RESTART : 0;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGALRM, &sa, NULL);
}

static void alarm_in(long ms)
{
    struct itimerval it = {{0, 0}, {ms / 1000, (ms % 1000) * 1000}};
    if (ms > 0)
        setitimer(ITIMER_REAL, &it, NULL);
}

static const char *errname(int e)
{
    const char *n = strerrorname_np(e);
    return n ? n : "?";
}

/* A pipe, holding one byte when `full`. */
static void make_pipe(int p[2], bool full)
{
    if (pipe(p) != 0) {
        perror("pipe");
        exit(2);
    }
    if (full && write(p[1], "x", 1) != 1) {
        perror("write");
        exit(2);
    }
}

static void *reader(void *arg)
{
    char c;
    int *p = arg;
    ssize_t r = read(p[0], &c, 1);
    printf("thread read returned %zd\n", r);
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: signal_probe MODE SIGNAL_MS [TIMEOUT_MS]\n");
        return 2;
    }
    const char *mode = argv[1];
    long signal_ms = atol(argv[2]);
    int timeout = argc > 3 ? atoi(argv[3]) : -1;
    int p[2];
    long long r = 0;
    int e = 0, in_set = -1;
    char c;
    setvbuf(stdout, NULL, _IONBF, 0);

    if (strcmp(mode, "cancel") == 0) {
        pthread_t t;
        make_pipe(p, true);
        long long start = now_ms();
        pthread_create(&t, NULL, reader, p);
        struct timespec ts = {signal_ms / 1000, (signal_ms % 1000) * 1000000};
        nanosleep(&ts, NULL);
        pthread_cancel(t);
        void *res;
        pthread_join(t, &res);
        printf("result=%d errno=- ms=%lld\n", res == PTHREAD_CANCELED, now_ms() - start);
        return 0;
    }

    handle(strcmp(mode, "read-restart") == 0 || strncmp(mode, "poll", 4) == 0);
    long long start = now_ms();
    if (strcmp(mode, "poll") == 0 || strcmp(mode, "poll-ready") == 0) {
        make_pipe(p, strcmp(mode, "poll-ready") == 0);
        struct pollfd pfd = {p[0], POLLIN, 0};
        alarm_in(signal_ms);
        r = poll(&pfd, 1, timeout);
        e = errno;
    } else if (strcmp(mode, "select-ready") == 0) {
        make_pipe(p, true);
        fd_set set;
        FD_ZERO(&set);
        FD_SET(p[0], &set);
        struct timeval tv = {timeout / 1000, (timeout % 1000) * 1000};
        alarm_in(signal_ms);
        r = select(p[0] + 1, &set, NULL, NULL, timeout < 0 ? NULL : &tv);
        e = errno;
        in_set = FD_ISSET(p[0], &set) != 0;
    } else if (strcmp(mode, "read") == 0 || strcmp(mode, "read-restart") == 0) {
        make_pipe(p, true);
        alarm_in(signal_ms);
        r = read(p[0], &c, 1);
        e = errno;
    } else if (strcmp(mode, "file") == 0) {
        int fd = open("probe.tmp", O_RDWR | O_CREAT | O_TRUNC, 0600);
        if (fd < 0 || write(fd, "x", 1) != 1 || lseek(fd, 0, SEEK_SET) != 0) {
            perror("probe.tmp");
            return 2;
        }
        alarm_in(signal_ms);
        r = read(fd, &c, 1);
        e = errno;
    } else if (strcmp(mode, "longjmp") == 0) {
        make_pipe(p, true);
        if (sigsetjmp(jump, 1) == 0) {
            jump_armed = 1;
            alarm_in(signal_ms);
            r = read(p[0], &c, 1);
            e = errno;
        } else {
            r = -2; /* left by siglongjmp */
            e = 0;
        }
    } else {
        fprintf(stderr, "signal_probe: unknown mode %s\n", mode);
        return 2;
    }
    long long ms = now_ms() - start;
    printf("result=%lld errno=%s ms=%lld%s%s\n", r, r < 0 && e ? errname(e) : "-", ms,
           in_set < 0 ? "" : " set=", in_set < 0 ? "" : in_set ? "1" : "0");
    if (strcmp(mode, "longjmp") == 0) {
        int fd = open("/dev/null", O_WRONLY);
        errno = 0;
        r = write(fd, "y", 1);
        printf("after: result=%lld errno=%s\n", r, r < 0 ? errname(errno) : "-");
    }
    return 0;
}
