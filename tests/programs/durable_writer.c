/* durable_writer: writes files the ways real programs do, with or without the syncs that make
 * each step durable, so that a power loss (faultline run with `durable`) shows what each way
 * keeps.
 *
 *   durable_writer replace MODE DIR TEXT
 *       Replaces the content of DIR/sub/file with TEXT through a temporary file, creating sub
 *       first (an existing sub is fine):
 *         mkdir(DIR/sub); fsync(DIR)                            the parent sync
 *         write DIR/sub/file.tmp; fsync(it)                     the file sync
 *         rename(DIR/sub/file.tmp, DIR/sub/file); fsync(sub)    the directory sync
 *       MODE correct makes all three syncs; no-parent-sync, no-file-sync and no-dir-sync each
 *       leave out one; naive makes none.
 *   durable_writer halves FILE SYNC
 *       Two processes write one existing file of at least 8 KiB, each through its own fd, with
 *       pwrite: the parent 4096 'P' at 4096, a forked child 4096 'C' at 0. SYNC says who calls
 *       fsync and when:
 *         parent               the parent writes, the child writes, the parent fsyncs after
 *                              the child has exited
 *         child                the parent writes, the child writes and fsyncs
 *         child-before-parent  the child writes and fsyncs, then the parent writes (no sync after)
 *         none                 both write, nobody syncs
 *   durable_writer log FILE N
 *       Appends "record I\n" to FILE (O_APPEND) and fsyncs it, for I = 1..N, printing "ack I"
 *       after each fsync returned.
 *   durable_writer stdio-fclose|stdio-fsync|stdio-exit|stdio-unflushed-fsync FILE FOPEN_MODE TEXT
 *       fopen(FILE, FOPEN_MODE), then TEXT written through stdio and:
 *         stdio-fclose           fprintf, fclose; no fsync
 *         stdio-fsync            fwrite, fflush, fsync(fileno), fclose
 *         stdio-exit             fprintf and nothing else: exit() flushes the stream, nobody
 *                                syncs
 *         stdio-unflushed-fsync  fprintf, fsync(fileno) without fflush (the bytes are still in
 *                                the stream's buffer), then exit() flushes them
 *   durable_writer mmap-msync|mmap-nosync FILE TEXT
 *       Maps the whole of FILE (which must hold at least TEXT's length) MAP_SHARED, copies TEXT
 *       to its start with ordinary stores, then msync(MS_SYNC) (mmap-msync) or nothing
 *       (mmap-nosync), munmap, close.
 *   durable_writer torn FILE SIZE
 *       Writes SIZE bytes 'o' at the start of FILE and fsyncs, then overwrites them with SIZE
 *       bytes 'N' in one pwrite, not synced.
 *   durable_writer io-uring
 *       Calls syscall(SYS_io_uring_setup, 1, &params) and prints "io_uring_setup: ok" or
 *       "io_uring_setup: ERRNO" (ERRNO as ENOSYS).
 *
 * Every mode but io-uring prints "done" last. Output goes straight to fd 1 with write(2) (a
 * SIGKILL loses nothing said). Used by tests/integration/t_power_loss_*.sh.
 *
 * Exit status: 0 done; 1 a call failed (named on stderr with its path and error); 2 usage.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define HALF 4096

/* One line on fd 1, written at once. */
static void say(const char *fmt, ...)
{
    char line[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (n > 0 && write(1, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1) < 0)
        exit(1);
}

/* A call that failed: says which, on what, and why, and exits 1. */
static void die(const char *call, const char *path)
{
    dprintf(2, "durable_writer: %s %s: %s\n", call, path, strerror(errno));
    exit(1);
}

static int open_or_die(const char *path, int flags)
{
    int fd = open(path, flags | O_CLOEXEC, 0644);
    if (fd < 0)
        die("open", path);
    return fd;
}

static void fsync_or_die(int fd, const char *path)
{
    if (fsync(fd) != 0)
        die("fsync", path);
}

/* Opens the directory or file at path, fsyncs it and closes it. */
static void fsync_path(const char *path)
{
    int fd = open_or_die(path, O_RDONLY);
    fsync_or_die(fd, path);
    close(fd);
}

static void pwrite_or_die(int fd, const void *buf, size_t len, off_t off, const char *path)
{
    if (pwrite(fd, buf, len, off) != (ssize_t)len)
        die("pwrite", path);
}

static void replace(const char *mode, const char *dir, const char *text)
{
    bool parent_sync = !strcmp(mode, "correct") || !strcmp(mode, "no-file-sync") ||
                       !strcmp(mode, "no-dir-sync");
    bool file_sync = !strcmp(mode, "correct") || !strcmp(mode, "no-parent-sync") ||
                     !strcmp(mode, "no-dir-sync");
    bool dir_sync = !strcmp(mode, "correct") || !strcmp(mode, "no-parent-sync") ||
                    !strcmp(mode, "no-file-sync");
    if (!parent_sync && !file_sync && !dir_sync && strcmp(mode, "naive")) {
        dprintf(2, "durable_writer: replace: unknown mode '%s'\n", mode);
        exit(2);
    }
    char sub[4096], tmp[4200], file[4200];
    snprintf(sub, sizeof sub, "%s/sub", dir);
    snprintf(tmp, sizeof tmp, "%s/file.tmp", sub);
    snprintf(file, sizeof file, "%s/file", sub);

    if (mkdir(sub, 0755) != 0 && errno != EEXIST)
        die("mkdir", sub);
    if (parent_sync)
        fsync_path(dir);

    int fd = open_or_die(tmp, O_WRONLY | O_CREAT | O_TRUNC);
    size_t len = strlen(text);
    if (write(fd, text, len) != (ssize_t)len)
        die("write", tmp);
    if (file_sync)
        fsync_or_die(fd, tmp);
    close(fd);

    if (rename(tmp, file) != 0)
        die("rename", tmp);
    if (dir_sync)
        fsync_path(sub);
}

static void halves(const char *file, const char *sync)
{
    bool parent_syncs = !strcmp(sync, "parent"), child_syncs = !strcmp(sync, "child");
    bool parent_last = !strcmp(sync, "child-before-parent");
    if (!parent_syncs && !child_syncs && !parent_last && strcmp(sync, "none")) {
        dprintf(2, "durable_writer: halves: unknown sync '%s'\n", sync);
        exit(2);
    }
    static char mine[HALF], childs[HALF];
    memset(mine, 'P', HALF);
    memset(childs, 'C', HALF);
    int fd = open_or_die(file, O_WRONLY);
    if (!parent_last)
        pwrite_or_die(fd, mine, HALF, HALF, file);

    pid_t pid = fork();
    if (pid < 0)
        die("fork", file);
    if (pid == 0) {
        int cfd = open_or_die(file, O_WRONLY);
        pwrite_or_die(cfd, childs, HALF, 0, file);
        if (child_syncs || parent_last)
            fsync_or_die(cfd, file);
        close(cfd);
        exit(0);
    }
    int status;
    if (waitpid(pid, &status, 0) != pid)
        die("waitpid", file);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        dprintf(2, "durable_writer: the child writing %s failed (status %#x)\n", file, status);
        exit(1);
    }
    if (parent_last)
        pwrite_or_die(fd, mine, HALF, HALF, file);
    if (parent_syncs)
        fsync_or_die(fd, file);
    close(fd);
}

static void append_log(const char *file, long n)
{
    int fd = open_or_die(file, O_WRONLY | O_APPEND);
    for (long i = 1; i <= n; i++) {
        char rec[64];
        int len = snprintf(rec, sizeof rec, "record %ld\n", i);
        if (write(fd, rec, (size_t)len) != len)
            die("write", file);
        fsync_or_die(fd, file);
        say("ack %ld\n", i);
    }
    close(fd);
}

static void through_stdio(const char *how, const char *file, const char *fmode, const char *text)
{
    bool fclose_it = !strcmp(how, "stdio-fclose"), fsync_it = !strcmp(how, "stdio-fsync");
    bool unflushed = !strcmp(how, "stdio-unflushed-fsync");
    if (!fclose_it && !fsync_it && !unflushed && strcmp(how, "stdio-exit")) {
        dprintf(2, "durable_writer: unknown mode '%s'\n", how);
        exit(2);
    }
    FILE *f = fopen(file, fmode);
    if (!f)
        die("fopen", file);
    if (fsync_it) {
        size_t len = strlen(text);
        if (fwrite(text, 1, len, f) != len)
            die("fwrite", file);
        if (fflush(f) != 0)
            die("fflush", file);
        fsync_or_die(fileno(f), file);
    } else if (fprintf(f, "%s", text) < 0) {
        die("fprintf", file);
    }
    if (unflushed)
        fsync_or_die(fileno(f), file);
    if ((fclose_it || fsync_it) && fclose(f) != 0)
        die("fclose", file);
    /* stdio-exit, stdio-unflushed-fsync: the stream stays open; exit() flushes it after "done". */
}

static void through_mmap(const char *how, const char *file, const char *text)
{
    bool msync_it = !strcmp(how, "mmap-msync");
    if (!msync_it && strcmp(how, "mmap-nosync")) {
        dprintf(2, "durable_writer: unknown mode '%s'\n", how);
        exit(2);
    }
    int fd = open_or_die(file, O_RDWR);
    struct stat st;
    if (fstat(fd, &st) != 0)
        die("fstat", file);
    size_t len = strlen(text);
    if ((size_t)st.st_size < len) {
        dprintf(2, "durable_writer: %s holds %lld bytes, fewer than the text's %zu\n", file,
                (long long)st.st_size, len);
        exit(2);
    }
    char *map = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (map == MAP_FAILED)
        die("mmap", file);
    for (size_t i = 0; i < len; i++)
        map[i] = text[i];
    if (msync_it && msync(map, (size_t)st.st_size, MS_SYNC) != 0)
        die("msync", file);
    if (munmap(map, (size_t)st.st_size) != 0)
        die("munmap", file);
    close(fd);
}

static void torn(const char *file, long size)
{
    char *buf = malloc((size_t)size);
    if (!buf)
        die("malloc", file);
    int fd = open_or_die(file, O_WRONLY);
    memset(buf, 'o', (size_t)size);
    pwrite_or_die(fd, buf, (size_t)size, 0, file);
    fsync_or_die(fd, file);
    memset(buf, 'N', (size_t)size);
    pwrite_or_die(fd, buf, (size_t)size, 0, file);
    close(fd);
    free(buf);
}

static void io_uring(void)
{
    unsigned char params[120]; /* struct io_uring_params, zeroed: no flags */
    memset(params, 0, sizeof params);
    long fd = syscall(SYS_io_uring_setup, 1, params);
    if (fd >= 0) {
        close((int)fd);
        say("io_uring_setup: ok\n");
    } else {
        say("io_uring_setup: %s\n", strerrorname_np(errno));
    }
}

static void usage(void)
{
    dprintf(2, "usage: durable_writer replace correct|no-parent-sync|no-file-sync|no-dir-sync|naive DIR TEXT\n"
               "       durable_writer halves FILE parent|child|child-before-parent|none\n"
               "       durable_writer log FILE N\n"
               "       durable_writer stdio-fclose|stdio-fsync|stdio-exit|stdio-unflushed-fsync FILE FOPEN_MODE TEXT\n"
               "       durable_writer mmap-msync|mmap-nosync FILE TEXT\n"
               "       durable_writer torn FILE SIZE\n"
               "       durable_writer io-uring\n");
    exit(2);
}

int main(int argc, char **argv)
{
    if (argc < 2)
        usage();
    const char *mode = argv[1];
    if (!strcmp(mode, "io-uring") && argc == 2) {
        io_uring();
        return 0;
    }
    if (!strcmp(mode, "replace") && argc == 5)
        replace(argv[2], argv[3], argv[4]);
    else if (!strcmp(mode, "halves") && argc == 4)
        halves(argv[2], argv[3]);
    else if (!strcmp(mode, "log") && argc == 4 && atol(argv[3]) > 0)
        append_log(argv[2], atol(argv[3]));
    else if (!strncmp(mode, "stdio-", 6) && argc == 5)
        through_stdio(mode, argv[2], argv[3], argv[4]);
    else if (!strncmp(mode, "mmap-", 5) && argc == 4)
        through_mmap(mode, argv[2], argv[3]);
    else if (!strcmp(mode, "torn") && argc == 4 && atol(argv[3]) > 0)
        torn(argv[2], atol(argv[3]));
    else
        usage();
    say("done\n");
    return 0;
}
