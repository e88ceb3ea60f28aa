/* thread_writer: several threads each write(2) to /dev/null a number of times.
 *
 *   thread_writer THREADS COUNT
 *
 * Used by tests/integration/t_threads.sh: under a write rule every call fails, and the event log
 * must hold exactly THREADS * COUNT whole lines, COUNT per thread id. Prints one line per
 * thread on stdout, "tid TID ok OK failed FAILED errno ERRNONAME" (the errno of the last
 * failure, or "-"), after all threads have finished. Exit status 0, or 2 on usage/setup errors.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct worker {
    pthread_t thread;
    int fd;
    long count;
    pid_t tid;
    long ok, failed;
    int last_errno;
};

static pthread_barrier_t start;

static void *run(void *arg)
{
    struct worker *w = arg;
    w->tid = gettid();
    pthread_barrier_wait(&start); /* all threads write at the same time */
    for (long i = 0; i < w->count; i++) {
        if (write(w->fd, "0123456789abcdef", 16) == 16) {
            w->ok++;
        } else {
            w->failed++;
            w->last_errno = errno;
        }
    }
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: thread_writer THREADS COUNT\n");
        return 2;
    }
    int n = atoi(argv[1]);
    long count = atol(argv[2]);
    if (n < 1 || n > 64 || count < 0) {
        fprintf(stderr, "thread_writer: THREADS from 1 to 64, COUNT >= 0\n");
        return 2;
    }
    int fd = open("/dev/null", O_WRONLY);
    if (fd < 0) {
        perror("thread_writer: /dev/null");
        return 2;
    }
    struct worker w[64];
    memset(w, 0, sizeof w);
    pthread_barrier_init(&start, NULL, (unsigned)n);
    for (int i = 0; i < n; i++) {
        w[i].fd = fd;
        w[i].count = count;
        if (pthread_create(&w[i].thread, NULL, run, &w[i]) != 0) {
            fprintf(stderr, "thread_writer: pthread_create failed\n");
            return 2;
        }
    }
    for (int i = 0; i < n; i++)
        pthread_join(w[i].thread, NULL);
    for (int i = 0; i < n; i++) {
        const char *e = w[i].failed ? strerrorname_np(w[i].last_errno) : NULL;
        printf("tid %d ok %ld failed %ld errno %s\n", (int)w[i].tid, w[i].ok, w[i].failed,
               e ? e : "-");
    }
    return 0;
}
