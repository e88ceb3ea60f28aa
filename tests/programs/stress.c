/* stress: many interposed calls at once (threads, forked children, signal handlers) under rules
 * that fire now and then; counts every fault it sees so that a test can hold the event log to it.
 *
 *   stress threads T N OPS     T threads make N calls each, all at once
 *   stress fork K N OPS        the process makes N/10 calls, then K forked children make N each,
 *                              all at once
 *   stress forkthreads T F OPS T threads make calls without pause while the main thread forks F
 *                              times; each child allocates, writes, makes a few more calls of
 *                              OPS and _exits
 *   stress signal N            the main thread makes N calls while SIGALRM (setitimer, every
 *                              STRESS_SIGNAL_US microseconds, default 100) and SIGUSR1
 *                              (pthread_kill from another thread, twice as often) interrupt it;
 *                              the handler makes calls of its own (write, open, close)
 *   stress probe               one write to /dev/null; says whether the process is AT_SECURE and
 *                              which object the program's write comes from
 *
 * OPS picks the calls, each letter one kind, chosen at random (a fixed seed) per call:
 *   w  write(2) of 16 bytes to /dev/null       a fault: -1 with EIO
 *   m  malloc, calloc or realloc (from a 64-byte block) of 77777..78776 bytes, then free
 *                                              a fault: NULL with ENOMEM
 *   o  open("/dev/null") then close            a fault: open -1 with EACCES, close -1 with EIO
 * The tests' rules use exactly these errnos, and match only these calls (path "/dev/null", sizes
 * 77777..78776): any other result of a call is "bad". /dev/null is opened with openat, which
 * the rules leave alone.
 *
 * Output, one line per thread or process, after the work is done:
 *   KEY ID calls C w W m M o O c C2 bad B made w NW m NM o NO c NC
 * KEY is "tid" (threads, forkthreads), "pid" (fork, and forkthreads' children) or "main" and
 * "handler" (signal; ID is the thread id both run on); W, M, O, C2 are the faults seen per
 * kind (c: close), NW, NM, NO, NC the calls made per kind (m: allocations in the rules' sizes).
 * signal adds "signals S" (handler runs) to the handler's line; forkthreads ends with "forks F
 * ok".
 * Exit status 0 when nothing was bad and every child exited 0; 1 otherwise (said on stderr); 2
 * on usage or setup errors; 124 when the work is still not done after STRESS_DEADLINE seconds
 * (default 60: a deadlock, said on stderr by a watchdog thread that makes no interposed call).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MEM_MIN 77777
#define MEM_SPAN 1000

struct counts {
    long calls, w, m, o, c, bad;  /* calls made; faults seen per kind; bad results */
    long nw, nm, no, nc;          /* calls made per kind (m: the allocations in the rules' sizes) */
};

/* Counts change atomically: the signal handlers nest (SIGUSR1 interrupts SIGALRM's handler). */
#define ADD(x, n) __atomic_add_fetch(&(x), (n), __ATOMIC_RELAXED)

static int devnull = -1;

static uint64_t next(uint64_t *s) /* splitmix64 */
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

/* Keep the compiler from eliding an allocation the program does not otherwise use. */
static void escape(void *p)
{
    __asm__ volatile("" : : "r"(p) : "memory");
}

static void do_write(struct counts *k, int fd)
{
    ssize_t r = write(fd, "0123456789abcdef", 16);
    ADD(k->calls, 1);
    ADD(k->nw, 1);
    if (r == 16)
        return;
    if (r < 0 && errno == EIO)
        ADD(k->w, 1);
    else
        ADD(k->bad, 1);
}

static void do_open_close(struct counts *k)
{
    int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
    ADD(k->calls, 1);
    ADD(k->no, 1);
    if (fd < 0) {
        if (errno == EACCES)
            ADD(k->o, 1);
        else
            ADD(k->bad, 1);
        return;
    }
    ADD(k->calls, 1);
    ADD(k->nc, 1);
    if (close(fd) != 0) {
        if (errno == EIO)
            ADD(k->c, 1);
        else
            ADD(k->bad, 1);
    }
}

static void mem_failed(struct counts *k)
{
    if (errno == ENOMEM)
        ADD(k->m, 1);
    else
        ADD(k->bad, 1);
}

static void do_mem(struct counts *k, uint64_t r)
{
    size_t n = MEM_MIN + (size_t)(r % MEM_SPAN);
    unsigned char *p;
    ADD(k->nm, 1);
    switch ((r >> 32) % 3) {
    case 0:
        ADD(k->calls, 1);
        if (!(p = malloc(n))) {
            mem_failed(k);
            return;
        }
        p[0] = p[n - 1] = 1;
        break;
    case 1:
        ADD(k->calls, 1);
        if (!(p = calloc(1, n))) {
            mem_failed(k);
            return;
        }
        if (p[0] || p[n - 1])
            ADD(k->bad, 1);
        break;
    default: {
        unsigned char *small = malloc(64); /* outside the rules' sizes */
        ADD(k->calls, 2);
        if (!small) {
            ADD(k->bad, 1);
            return;
        }
        memset(small, 7, 64);
        if (!(p = realloc(small, n))) {
            mem_failed(k);
            free(small);
            return;
        }
        if (p[0] != 7 || p[63] != 7)
            ADD(k->bad, 1);
        p[n - 1] = 1;
        break;
    }
    }
    escape(p);
    free(p);
}

static void work(struct counts *k, uint64_t *rng, long n, const char *ops)
{
    size_t nops = strlen(ops);
    for (long i = 0; i < n; i++) {
        uint64_t r = next(rng);
        switch (ops[r % nops]) {
        case 'w': do_write(k, devnull); break;
        case 'm': do_mem(k, r >> 8); break;
        case 'o': do_open_close(k); break;
        }
    }
}

/* One report line, written with a single write(2) (forked children share stdout). */
static void report(const char *key, long id, const struct counts *k, const char *extra)
{
    char line[320];
    int n = snprintf(line, sizeof line,
                     "%s %ld calls %ld w %ld m %ld o %ld c %ld bad %ld made w %ld m %ld o %ld c %ld%s\n",
                     key, id, k->calls, k->w, k->m, k->o, k->c, k->bad, k->nw, k->nm, k->no, k->nc,
                     extra ? extra : "");
    if (write(1, line, (size_t)n) != n)
        _exit(2);
}

static int check_ops(const char *ops)
{
    if (!*ops || ops[strspn(ops, "wmo")]) {
        fprintf(stderr, "stress: OPS is made of the letters w, m and o\n");
        return -1;
    }
    return 0;
}

/* ---- threads ---------------------------------------------------------------------------- */

struct worker {
    pthread_t thread;
    pid_t tid;
    long n;
    const char *ops;
    uint64_t rng;
    struct counts k;
};

static pthread_barrier_t barrier;
static int stop; /* forkthreads: set when the main thread is done forking */

static void *run_worker(void *arg)
{
    struct worker *w = arg;
    w->tid = gettid();
    pthread_barrier_wait(&barrier);
    if (w->n >= 0) {
        work(&w->k, &w->rng, w->n, w->ops);
    } else {
        while (!__atomic_load_n(&stop, __ATOMIC_RELAXED))
            work(&w->k, &w->rng, 16, w->ops);
    }
    return NULL;
}

/* Start t workers (n < 0: until `stop`); the caller is the barrier's last party. */
static struct worker *start_workers(int t, long n, const char *ops)
{
    static struct worker w[64];
    pthread_barrier_init(&barrier, NULL, (unsigned)t + 1);
    for (int i = 0; i < t; i++) {
        w[i].n = n;
        w[i].ops = ops;
        w[i].rng = 0x5eed0000u + (uint64_t)i;
        if (pthread_create(&w[i].thread, NULL, run_worker, &w[i]) != 0) {
            fprintf(stderr, "stress: pthread_create failed\n");
            exit(2);
        }
    }
    pthread_barrier_wait(&barrier);
    return w;
}

static int join_workers(struct worker *w, int t)
{
    int bad = 0;
    for (int i = 0; i < t; i++)
        pthread_join(w[i].thread, NULL);
    for (int i = 0; i < t; i++) {
        report("tid", w[i].tid, &w[i].k, NULL);
        bad |= w[i].k.bad != 0;
    }
    return bad;
}

static int mode_threads(int t, long n, const char *ops)
{
    struct worker *w = start_workers(t, n, ops);
    if (join_workers(w, t)) {
        fprintf(stderr, "stress: some calls returned what no rule injects\n");
        return 1;
    }
    return 0;
}

/* ---- fork ------------------------------------------------------------------------------- */

/* Wait for pid at most `ms` milliseconds; kill it then. Returns its wait status, or -1 when it
 * had to be killed. */
static int wait_bounded(pid_t pid, int ms)
{
    int status;
    for (int i = 0; i < ms; i++) {
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid)
            return status;
        if (r < 0 && errno != EINTR)
            return -2;
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    return -1;
}

static int mode_fork(int kids, long n, const char *ops)
{
    struct counts k = {0};
    uint64_t rng = 0xf0e1d2c3u;
    work(&k, &rng, n / 10, ops);
    report("pid", getpid(), &k, NULL);
    int gate[2];
    if (pipe(gate) != 0) {
        perror("stress: pipe");
        return 2;
    }
    pid_t pids[256];
    for (int i = 0; i < kids; i++) {
        pids[i] = fork();
        if (pids[i] < 0) {
            perror("stress: fork");
            return 2;
        }
        if (pids[i] == 0) {
            char c;
            close(gate[1]);
            while (read(gate[0], &c, 1) < 0 && errno == EINTR) /* every child starts at once */
                ;
            struct counts ck = {0};
            uint64_t crng = 0xc0ffee00u + (uint64_t)i;
            work(&ck, &crng, n, ops);
            report("pid", getpid(), &ck, NULL);
            _exit(ck.bad ? 1 : 0);
        }
    }
    close(gate[0]);
    close(gate[1]);
    int bad = k.bad != 0;
    for (int i = 0; i < kids; i++) {
        int st = wait_bounded(pids[i], 30000);
        if (st == -1)
            fprintf(stderr, "stress: child %d did not finish in 30 s (killed)\n", (int)pids[i]);
        else if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
            fprintf(stderr, "stress: child %d ended with status 0x%x\n", (int)pids[i], st);
        bad |= st != 0;
    }
    return bad;
}

static int mode_forkthreads(int t, int forks, const char *ops)
{
    struct worker *w = start_workers(t, -1, ops);
    int bad = 0, ok = 0;
    for (int i = 0; i < forks; i++) {
        pid_t pid = fork();
        if (pid < 0) {
            perror("stress: fork");
            bad = 1;
            break;
        }
        if (pid == 0) {
            /* A copy of the one thread that forked: the shim's and libc's locks must be free. */
            struct counts ck = {0};
            uint64_t crng = 0xabc00000u + (uint64_t)i;
            do_mem(&ck, next(&crng));
            do_write(&ck, devnull);
            work(&ck, &crng, 6, ops);
            report("pid", getpid(), &ck, NULL);
            _exit(ck.bad ? 1 : 0);
        }
        int st = wait_bounded(pid, 10000);
        if (st == -1)
            fprintf(stderr, "stress: child %d (fork %d) hung for 10 s (killed)\n", (int)pid, i);
        else if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
            fprintf(stderr, "stress: child %d ended with status 0x%x\n", (int)pid, st);
        if (st != 0) {
            bad = 1;
            break;
        }
        ok++;
    }
    __atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
    bad |= join_workers(w, t);
    printf("forks %d ok\n", ok);
    return bad;
}

/* ---- signals ---------------------------------------------------------------------------- */

static struct counts hk; /* the handler's, on the main thread (nested runs add atomically) */
static long nsignals;
static int hnull = -1;

static void on_signal(int sig)
{
    (void)sig;
    int saved = errno;
    ADD(nsignals, 1);
    do_write(&hk, hnull);
    do_open_close(&hk);
    errno = saved;
}

static long kick_ns = 50000; /* the kicker's pause: half the timer's interval */

static void *kicker(void *arg)
{
    pthread_t main_thread = *(pthread_t *)arg;
    while (!__atomic_load_n(&stop, __ATOMIC_RELAXED)) {
        pthread_kill(main_thread, SIGUSR1);
        struct timespec ts = {0, kick_ns};
        nanosleep(&ts, NULL);
    }
    return NULL;
}

static int mode_signal(long n)
{
    hnull = openat(AT_FDCWD, "/dev/null", O_WRONLY | O_CLOEXEC);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    if (hnull < 0 || sigaction(SIGALRM, &sa, NULL) != 0 || sigaction(SIGUSR1, &sa, NULL) != 0) {
        perror("stress: signal set-up");
        return 2;
    }
    /* Only the main thread takes the signals: the kicker starts with them blocked. */
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGALRM);
    sigaddset(&block, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &block, &old);
    pthread_t self = pthread_self(), kick;
    if (pthread_create(&kick, NULL, kicker, &self) != 0) {
        fprintf(stderr, "stress: pthread_create failed\n");
        return 2;
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    const char *us_text = getenv("STRESS_SIGNAL_US");
    long us = us_text ? atol(us_text) : 100;
    kick_ns = us * 500;
    struct itimerval it = {{0, us}, {0, us}};
    setitimer(ITIMER_REAL, &it, NULL);

    struct counts k = {0};
    uint64_t rng = 0x516a1u;
    work(&k, &rng, n, "wo");

    struct itimerval off = {{0, 0}, {0, 0}};
    setitimer(ITIMER_REAL, &off, NULL);
    __atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
    pthread_join(kick, NULL);
    pthread_sigmask(SIG_BLOCK, &block, NULL); /* the counts are final from here */
    char extra[64];
    snprintf(extra, sizeof extra, " signals %ld", nsignals);
    report("main", gettid(), &k, NULL);
    report("handler", gettid(), &hk, extra);
    if (k.bad || hk.bad) {
        fprintf(stderr, "stress: some calls returned what no rule injects\n");
        return 1;
    }
    return 0;
}

/* ---- probe ------------------------------------------------------------------------------ */

static int mode_probe(void)
{
    Dl_info info;
    void *w = dlsym(RTLD_DEFAULT, "write");
    const char *from = w && dladdr(w, &info) && info.dli_fname ? info.dli_fname : "?";
    const char *base = strrchr(from, '/') ? strrchr(from, '/') + 1 : from;
    printf("secure %lu\nwrite from %s\n", getauxval(AT_SECURE), base);
    ssize_t r = write(devnull, "x", 1);
    printf("write %s\n", r == 1 ? "ok" : r < 0 ? strerrorname_np(errno) : "short");
    return 0;
}

/* ---- watchdog --------------------------------------------------------------------------- */

static void *watchdog(void *arg)
{
    struct timespec ts = {(time_t)(intptr_t)arg, 0};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
    static const char msg[] = "stress: still running at the deadline (STRESS_DEADLINE): hung\n";
    syscall(SYS_write, 2, msg, sizeof msg - 1); /* not through the shim: it may be what hangs */
    syscall(SYS_exit_group, 124);
    return NULL;
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "";
    const char *deadline = getenv("STRESS_DEADLINE");
    long secs = deadline ? atol(deadline) : 60;
    pthread_t dog;
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old); /* signals are for the main thread (signal mode) */
    if (secs > 0 && strcmp(mode, "probe") != 0 &&
        pthread_create(&dog, NULL, watchdog, (void *)(intptr_t)secs) != 0) {
        fprintf(stderr, "stress: pthread_create failed\n");
        return 2;
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    devnull = openat(AT_FDCWD, "/dev/null", O_WRONLY | O_CLOEXEC);
    if (devnull < 0) {
        perror("stress: /dev/null");
        return 2;
    }
    if (strcmp(mode, "threads") == 0 && argc == 5 && check_ops(argv[4]) == 0) {
        int t = atoi(argv[2]);
        if (t >= 1 && t <= 64)
            return mode_threads(t, atol(argv[3]), argv[4]);
    } else if (strcmp(mode, "fork") == 0 && argc == 5 && check_ops(argv[4]) == 0) {
        int k = atoi(argv[2]);
        if (k >= 1 && k <= 256)
            return mode_fork(k, atol(argv[3]), argv[4]);
    } else if (strcmp(mode, "forkthreads") == 0 && argc == 5 && check_ops(argv[4]) == 0) {
        int t = atoi(argv[2]);
        if (t >= 1 && t <= 64)
            return mode_forkthreads(t, atoi(argv[3]), argv[4]);
    } else if (strcmp(mode, "signal") == 0 && argc == 3) {
        return mode_signal(atol(argv[2]));
    } else if (strcmp(mode, "probe") == 0 && argc == 2) {
        return mode_probe();
    }
    fprintf(stderr, "usage: stress threads T N OPS | fork K N OPS | forkthreads T F OPS | signal N"
                    " | probe\n");
    return 2;
}
