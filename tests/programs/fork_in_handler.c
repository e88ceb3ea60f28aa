/* fork_in_handler: new processes made where the shim may be holding its own state, while a
 * thread keeps the shim's fd table busy (it opens, reads and closes FILE without pause: under a
 * rule with a `path`, the shim records each fd).
 *
 *   fork_in_handler fork N FILE    a ticker thread interrupts the busy thread with SIGUSR1, N
 *                                  times; the handler forks, the child _exits at once, the
 *                                  handler waits for it
 *   fork_in_handler clone N FILE   N times, the main thread starts a child with
 *                                  clone(CLONE_VM | SIGCHLD) (memory shared, not a thread) that
 *                                  opens, reads and closes FILE in a loop too, and kills it
 *                                  with SIGKILL after a varying number of its loops, wherever
 *                                  it is (each from a new thread, see clone_round)
 *
 * Prints "ok N" and exits 0 when done; exits 124 when the work is not done after
 * FORK_DEADLINE seconds (default 20: a deadlock, said on stderr by a watchdog thread that makes
 * only raw system calls); 1 on an unexpected failure; 2 on usage errors. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *file;
static volatile int stop;             /* the busy thread stops */
static long handled;                  /* handler runs (forks) */
static long busy_loops;               /* loops of the busy thread */

/* A message through the raw system call: the watchdog must not meet the shim. */
static void say_raw(const char *s)
{
    syscall(SYS_write, 2, s, strlen(s));
}

static void *watchdog(void *arg)
{
    long seconds = (long)(intptr_t)arg;
    struct timespec t = {seconds, 0};
    while (syscall(SYS_nanosleep, &t, &t) != 0)
        ;
    say_raw("fork_in_handler: not done in time: a deadlock\n");
    syscall(SYS_exit_group, 124);
    return NULL;
}

/* Open, read and close FILE once. */
static void churn(void)
{
    char buf[64];
    int fd = open(file, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        perror("fork_in_handler: open");
        _exit(1);
    }
    if (read(fd, buf, sizeof buf) < 0) {
        perror("fork_in_handler: read");
        _exit(1);
    }
    close(fd);
}

static void *busy(void *arg)
{
    (void)arg;
    while (!stop) {
        churn();
        __atomic_add_fetch(&busy_loops, 1, __ATOMIC_RELAXED);
    }
    return NULL;
}

static void on_usr1(int sig)
{
    (void)sig;
    int saved = errno;
    pid_t pid = fork();
    if (pid == 0)
        _exit(0);
    if (pid > 0)
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
            ;
    __atomic_add_fetch(&handled, 1, __ATOMIC_RELEASE);
    errno = saved;
}

static int run_fork(long n, pthread_t worker)
{
    for (long i = 0; i < n; i++) {
        long before = __atomic_load_n(&handled, __ATOMIC_ACQUIRE);
        /* let the busy thread move on a little, to land in different places */
        for (long spin = (i * 7919) % 3000; spin > 0; spin--)
            __asm__ volatile("" ::: "memory");
        pthread_kill(worker, SIGUSR1);
        while (__atomic_load_n(&handled, __ATOMIC_ACQUIRE) == before)
            sched_yield();
    }
    return 0;
}

static long child_loops; /* shared with the clone children (CLONE_VM) */

static int clone_child(void *arg)
{
    (void)arg;
    prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlive the test */
    for (;;) {
        churn();
        __atomic_add_fetch(&child_loops, 1, __ATOMIC_RELAXED);
    }
    return 0;
}

/* One round of the clone mode, on a thread of its own: a CLONE_VM child shares its creator's
 * thread-local storage, so a child killed inside the shim would leave the creator's state
 * behind; each round starts from a fresh thread. */
struct round {
    long i;
    char *stack;
    size_t size;
    int rc;
};

static void *clone_round(void *arg)
{
    struct round *r = arg;
    long start = __atomic_load_n(&child_loops, __ATOMIC_RELAXED);
    pid_t pid = clone(clone_child, r->stack + r->size, CLONE_VM | SIGCHLD, NULL);
    if (pid < 0) {
        perror("fork_in_handler: clone");
        r->rc = 1;
        return NULL;
    }
    /* kill it after 1..8 of its loops, plus a varying spin: anywhere in the loop */
    long want = start + 1 + r->i % 8;
    while (__atomic_load_n(&child_loops, __ATOMIC_RELAXED) < want)
        sched_yield();
    for (long spin = (r->i * 7919) % 20000; spin > 0; spin--)
        __asm__ volatile("" ::: "memory");
    kill(pid, SIGKILL);
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
        ;
    return NULL;
}

static int run_clone(long n)
{
    struct round r = {.size = 256 * 1024};
    r.stack = mmap(NULL, r.size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (r.stack == MAP_FAILED) {
        perror("fork_in_handler: mmap");
        return 1;
    }
    for (r.i = 0; r.i < n && r.rc == 0; r.i++) {
        pthread_t t;
        if (pthread_create(&t, NULL, clone_round, &r) != 0) {
            fprintf(stderr, "fork_in_handler: no thread\n");
            return 1;
        }
        pthread_join(t, NULL);
    }
    return r.rc;
}

int main(int argc, char **argv)
{
    if (argc != 4 || (strcmp(argv[1], "fork") != 0 && strcmp(argv[1], "clone") != 0)) {
        fprintf(stderr, "usage: fork_in_handler fork|clone N FILE\n");
        return 2;
    }
    long n = atol(argv[2]);
    file = argv[3];
    const char *d = getenv("FORK_DEADLINE");
    pthread_t dog, worker;
    pthread_create(&dog, NULL, watchdog, (void *)(intptr_t)(d ? atol(d) : 20));
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    sigaction(SIGUSR1, &sa, NULL);
    if (pthread_create(&worker, NULL, busy, NULL) != 0) {
        fprintf(stderr, "fork_in_handler: no thread\n");
        return 1;
    }
    while (__atomic_load_n(&busy_loops, __ATOMIC_RELAXED) < 10)
        sched_yield();
    int rc = strcmp(argv[1], "fork") == 0 ? run_fork(n, worker) : run_clone(n);
    stop = 1;
    pthread_join(worker, NULL);
    if (rc == 0)
        printf("ok %ld\n", n);
    return rc;
}
