/* bad_buffer: writes from addresses that are not mapped, as a buggy program might; prints what
 * each call returned. The kernel answers EFAULT; a shim that copies the buffer (corrupt) must
 * answer the same, never crash.
 *
 *   bad_buffer FILE
 *
 * Opens FILE for writing and prints one line per call: "write -1 EFAULT", "writev -1 EFAULT",
 * then "good 5" for a write of a valid buffer. Exit status 0.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

static void show(const char *name, ssize_t r)
{
    const char *e = r < 0 ? strerrorname_np(errno) : NULL;
    printf("%s %zd%s%s\n", name, r, e ? " " : "", e ? e : "");
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: bad_buffer FILE\n");
        return 2;
    }
    int fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0) {
        perror(argv[1]);
        return 2;
    }
    setvbuf(stdout, NULL, _IONBF, 0);
    /* The first page is never mapped; laundered so that the compiler does not see it. */
    const void *volatile bad_at = (const void *)16;
    const void *bad = bad_at;
    show("write", write(fd, bad, 64));
    struct iovec iov[2] = {{(void *)"ok", 2}, {(void *)bad, 64}};
    show("writev", writev(fd, iov, 2));
    show("good", write(fd, "hello", 5));
    return 0;
}
