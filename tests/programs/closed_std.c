/* closed_std: meant to start with fds 0, 1 and 2 closed. Opens (creates or truncates) each FILE
 * in turn, so that the first three take fds 0, 1 and 2, writes "FILE\n" into each, calls fsync
 * on each (a call a test's rule may fail), and exits through exit() (atexit handlers and the
 * shim's summary run then). Afterwards each FILE must hold exactly its own name and a newline:
 * nothing of the shim's.
 *
 *   closed_std FILE...
 *
 * Exit status 0, or 2 when a file cannot be opened or written.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        int fd = open(argv[i], O_WRONLY | O_CREAT | O_TRUNC, 0644);
        size_t n = strlen(argv[i]);
        if (fd < 0 || write(fd, argv[i], n) != (ssize_t)n || write(fd, "\n", 1) != 1)
            return 2;
        (void)fsync(fd);
    }
    exit(0);
}
