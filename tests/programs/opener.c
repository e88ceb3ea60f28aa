/* opener: opens one file in a chosen way, optionally moves it to a chosen fd number, writes to
 * it once, and says what each step returned.
 *
 *   opener [-c DIR] [-a DIR] [-d FD] PATH
 *
 *   -c DIR   chdir(DIR) first (PATH may then be relative to a directory deeper than PATH_MAX)
 *   -a DIR   open DIR (O_DIRECTORY) and open PATH with openat relative to it; else open(2)
 *   -d FD    dup2 the file onto FD and close the first fd
 *
 * PATH is opened O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode 0644; then "data\n" is written
 * with write(2). Prints one line per step: "open ok" or "open ERRNO" (ERRNO as EACCES), "dup2
 * ok FD" or "dup2 ERRNO", "write ok" or "write ERRNO". Used by tests/integration/t_limits.sh
 * (high fd numbers, paths of PATH_MAX - 1 bytes and longer). Exit status 0 whatever the calls
 * returned; 2 on usage errors or when -c or -a cannot be followed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *result(int ok)
{
    return ok ? "ok" : strerrorname_np(errno);
}

int main(int argc, char **argv)
{
    const char *cd = NULL, *at = NULL;
    int target = -1, opt;
    while ((opt = getopt(argc, argv, "c:a:d:")) != -1) {
        switch (opt) {
        case 'c': cd = optarg; break;
        case 'a': at = optarg; break;
        case 'd': target = atoi(optarg); break;
        default: goto usage;
        }
    }
    if (optind != argc - 1)
        goto usage;
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (cd && chdir(cd) != 0) {
        perror("opener: chdir");
        return 2;
    }
    int dirfd = AT_FDCWD;
    if (at && (dirfd = open(at, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
        perror("opener: directory");
        return 2;
    }
    const char *path = argv[optind];
    int flags = O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC;
    int fd = at ? openat(dirfd, path, flags, 0644) : open(path, flags, 0644);
    printf("open %s\n", result(fd >= 0));
    if (fd < 0)
        return 0;
    if (target >= 0) {
        int r = dup2(fd, target);
        if (r < 0) {
            printf("dup2 %s\n", result(0));
            return 0;
        }
        printf("dup2 ok %d\n", r);
        close(fd);
        fd = r;
    }
    printf("write %s\n", result(write(fd, "data\n", 5) == 5));
    return 0;
usage:
    fprintf(stderr, "usage: opener [-c DIR] [-a DIR] [-d FD] PATH\n");
    return 2;
}
