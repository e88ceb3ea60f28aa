/* Tiny loops for counting instructions under callgrind (tests/integration/t_fastpath_*.sh).
 *
 *   fastpath malloc N    N malloc(64)+free pairs
 *   fastpath write N     N write(2)s of 64 B to /dev/null
 *
 * Run with two values of N: the difference of the instruction counts, divided by the difference
 * of N, is the cost of one iteration without the start-up. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void *volatile sink;

int main(int argc, char **argv)
{
    if (argc != 3)
        return 2;
    long n = atol(argv[2]);
    if (strcmp(argv[1], "malloc") == 0) {
        for (long i = 0; i < n; i++) {
            void *p = malloc(64);
            sink = p;
            free(p);
        }
    } else if (strcmp(argv[1], "write") == 0) {
        char buf[64] = {0};
        int fd = open("/dev/null", O_WRONLY);
        if (fd < 0)
            return 1;
        for (long i = 0; i < n; i++)
            if (write(fd, buf, sizeof buf) != (ssize_t)sizeof buf)
                return 1;
        close(fd);
    } else {
        return 2;
    }
    return 0;
}
