/* calls_probe: makes one of the calls faultline learned late (fclose, the stdio reads getline,
 * fgetc and fscanf, the namespace calls, truncation and allocation, sync, recvmmsg and sendmmsg)
 * and says exactly what it returned.
 *
 *   calls_probe fclose FILE TEXT        fopen(FILE, "w"), fputs(TEXT), fclose
 *   calls_probe READER FILE             read FILE to its end with READER, one of:
 *       getline getdelim __getdelim fgetc getc _IO_getc fgetc_unlocked getc_unlocked
 *       fscanf vfscanf                  (fscanf reads "%d" numbers and sums them)
 *   calls_probe STDIN_READER            the same on stdin: getchar getchar_unlocked scanf
 *   calls_probe rename|link|symlink OLD NEW
 *   calls_probe renameat|renameat2|linkat|symlinkat DIR OLD NEW   (NEW relative to DIR's fd)
 *   calls_probe unlink|rmdir|mkdir PATH
 *   calls_probe unlinkat|mkdirat|rmdirat DIR PATH   (rmdirat: unlinkat with AT_REMOVEDIR)
 *   calls_probe truncate|ftruncate|fallocate|posix_fallocate PATH LENGTH
 *   calls_probe sync                    sync(), and how long it took
 *   calls_probe mmsg                    on a datagram socketpair: sendmmsg of 4 messages, one
 *                                       recvmmsg of up to 4, then what is left (recv)
 *
 * Prints one line per call made, "CALL R errno=NAME" (errno "-" when it is 0; errno is zeroed
 * before each call), with for the stdio reads "ferror=E feof=F" and the data read in hex. Exit
 * status 0, or 2 on bad usage or setup. Used by tests/integration/t_calls_*.sh. The functions
 * that glibc's headers inline (getc_unlocked...) are called through pointers, so that the
 * calls really reach the symbols.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int _IO_getc(FILE *stream);
ssize_t __getdelim(char **line, size_t *n, int delim, FILE *stream);

static const char *ename(int e)
{
    const char *n = e ? strerrorname_np(e) : "-";
    return n ? n : "?";
}

static void result(const char *call, long r, int e)
{
    printf("%s %ld errno=%s\n", call, r, ename(e));
}

/* vfscanf, through a variadic function of our own. */
static int vfscanf_va(FILE *f, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = vfscanf(f, fmt, ap);
    va_end(ap);
    return r;
}

static int vfscanf_one(FILE *f, int *x)
{
    return vfscanf_va(f, "%d", x);
}

/* Read all of f with one of the stdio readers; print the last call's result and the data. */
static int read_all(const char *how, FILE *f)
{
    char data[8192];
    size_t have = 0;
    long r = 0, calls = 0, sum = 0;
    int e = 0;
    char *line = NULL;
    size_t cap = 0;
    int (*volatile byte)(FILE *) = NULL;
    int (*volatile byte0)(void) = NULL;
    ssize_t (*volatile delim)(char **, size_t *, int, FILE *) = NULL;
    ssize_t (*volatile gl)(char **, size_t *, FILE *) = getline;

    if (!strcmp(how, "fgetc")) byte = fgetc;
    else if (!strcmp(how, "getc")) byte = getc;
    else if (!strcmp(how, "_IO_getc")) byte = _IO_getc;
    else if (!strcmp(how, "fgetc_unlocked")) byte = fgetc_unlocked;
    else if (!strcmp(how, "getc_unlocked")) byte = getc_unlocked;
    else if (!strcmp(how, "getchar")) byte0 = getchar;
    else if (!strcmp(how, "getchar_unlocked")) byte0 = getchar_unlocked;
    else if (!strcmp(how, "getdelim")) delim = getdelim;
    else if (!strcmp(how, "__getdelim")) delim = __getdelim;
    else if (strcmp(how, "getline") && strcmp(how, "fscanf") && strcmp(how, "scanf") &&
             strcmp(how, "vfscanf"))
        return 2;
    for (;;) {
        errno = 0;
        calls++;
        if (byte || byte0) {
            int c = byte ? byte(f) : byte0();
            r = c, e = errno;
            if (c == EOF)
                break;
            if (have < sizeof data)
                data[have++] = (char)c;
        } else if (!strcmp(how, "fscanf") || !strcmp(how, "scanf") || !strcmp(how, "vfscanf")) {
            int x = 0;
            r = !strcmp(how, "scanf") ? scanf("%d", &x)
                : !strcmp(how, "fscanf") ? fscanf(f, "%d", &x)
                                         : vfscanf_one(f, &x);
            e = errno;
            if (r != 1)
                break;
            sum += x;
        } else {
            ssize_t n = delim ? delim(&line, &cap, ':', f) : gl(&line, &cap, f);
            r = n, e = errno;
            if (n < 0)
                break;
            for (ssize_t i = 0; i < n && have < sizeof data; i++)
                data[have++] = line[i];
            if ((size_t)n + 1 <= cap && line[n] != '\0')
                printf("%s: no NUL after the line\n", how);
        }
    }
    printf("%s %ld errno=%s ferror=%d feof=%d calls=%ld", how, r, ename(e), ferror(f) != 0,
           feof(f) != 0, calls);
    if (strstr(how, "scanf"))
        printf(" sum=%ld\n", sum);
    else {
        printf(" data=");
        for (size_t i = 0; i < have; i++)
            printf("%02x", (unsigned char)data[i]);
        printf("\n");
    }
    free(line);
    return 0;
}

static int dir_fd(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    if (fd < 0) {
        perror(dir);
        exit(2);
    }
    return fd;
}

static int mmsg(void)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_DGRAM, 0, sv) != 0)
        return 2;
    char out[4][8] = {"m0", "m1", "m2", "m3"}, in[4][8];
    struct iovec oiov[4], iiov[4];
    struct mmsghdr om[4], im[4];
    memset(om, 0, sizeof om);
    memset(im, 0, sizeof im);
    for (int i = 0; i < 4; i++) {
        oiov[i] = (struct iovec){out[i], 2};
        om[i].msg_hdr.msg_iov = &oiov[i];
        om[i].msg_hdr.msg_iovlen = 1;
        iiov[i] = (struct iovec){in[i], sizeof in[i]};
        im[i].msg_hdr.msg_iov = &iiov[i];
        im[i].msg_hdr.msg_iovlen = 1;
    }
    errno = 0;
    int r = sendmmsg(sv[0], om, 4, 0);
    printf("sendmmsg %d errno=%s lens=%u,%u,%u,%u\n", r, ename(errno), om[0].msg_len,
           om[1].msg_len, om[2].msg_len, om[3].msg_len);
    errno = 0;
    r = recvmmsg(sv[1], im, 4, MSG_DONTWAIT, NULL);
    printf("recvmmsg %d errno=%s msgs=", r, ename(errno));
    for (int i = 0; i < r; i++)
        printf("%s%.*s", i ? "," : "", (int)im[i].msg_len, in[i]);
    printf("\nleft=");
    char buf[16];
    ssize_t n;
    for (int i = 0; (n = recv(sv[1], buf, sizeof buf, MSG_DONTWAIT)) >= 0; i++)
        printf("%s%.*s", i ? "," : "", (int)n, buf);
    printf("\n");
    return 0;
}

int main(int argc, char **argv)
{
    const char *op = argc > 1 ? argv[1] : "";
    const char *a = argc > 2 ? argv[2] : NULL, *b = argc > 3 ? argv[3] : NULL;
    const char *c = argc > 4 ? argv[4] : NULL;
    long r;

    setvbuf(stdout, NULL, _IOLBF, 0);
    if (!strcmp(op, "fclose") && b) {
        FILE *f = fopen(a, "w");
        if (!f || fputs(b, f) == EOF)
            return 2;
        errno = 0;
        r = fclose(f);
        result("fclose", r, errno);
        return 0;
    }
    if (!strcmp(op, "getchar") || !strcmp(op, "getchar_unlocked") || !strcmp(op, "scanf"))
        return read_all(op, stdin);
    if (!strcmp(op, "sync")) {
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        errno = 0;
        sync();
        int e = errno;
        clock_gettime(CLOCK_MONOTONIC, &t1);
        long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
        printf("sync errno=%s ms=%ld\n", ename(e), ms);
        return 0;
    }
    if (!strcmp(op, "mmsg"))
        return mmsg();
    if (!a)
        return 2;
    errno = 0;
    if (!strcmp(op, "rename") && b) r = rename(a, b);
    else if (!strcmp(op, "link") && b) r = link(a, b);
    else if (!strcmp(op, "symlink") && b) r = symlink(a, b);
    else if (!strcmp(op, "unlink")) r = unlink(a);
    else if (!strcmp(op, "rmdir")) r = rmdir(a);
    else if (!strcmp(op, "mkdir")) r = mkdir(a, 0755);
    else if (!strcmp(op, "renameat") && c) r = renameat(AT_FDCWD, b, dir_fd(a), c);
    else if (!strcmp(op, "renameat2") && c) r = renameat2(AT_FDCWD, b, dir_fd(a), c, 0);
    else if (!strcmp(op, "linkat") && c) r = linkat(AT_FDCWD, b, dir_fd(a), c, 0);
    else if (!strcmp(op, "symlinkat") && c) r = symlinkat(b, dir_fd(a), c);
    else if (!strcmp(op, "unlinkat") && b) r = unlinkat(dir_fd(a), b, 0);
    else if (!strcmp(op, "rmdirat") && b) r = unlinkat(dir_fd(a), b, AT_REMOVEDIR);
    else if (!strcmp(op, "mkdirat") && b) r = mkdirat(dir_fd(a), b, 0755);
    else if (!strcmp(op, "truncate") && b) r = truncate(a, atol(b));
    else if (!strcmp(op, "ftruncate") || !strcmp(op, "fallocate") ||
             !strcmp(op, "posix_fallocate")) {
        int fd = open(a, O_RDWR | O_CREAT, 0644);
        if (fd < 0 || !b)
            return 2;
        errno = 0;
        r = !strcmp(op, "ftruncate") ? ftruncate(fd, atol(b))
            : !strcmp(op, "fallocate") ? fallocate(fd, 0, 0, atol(b))
                                       : posix_fallocate(fd, 0, atol(b));
    } else {
        FILE *f = fopen(a, "r");
        if (!f)
            return 2;
        int rc = read_all(op, f);
        fclose(f);
        return rc;
    }
    result(op, r, errno);
    return 0;
}
