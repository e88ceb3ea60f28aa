/* fdfill: fills its fd table on command, so that the shim meets EMFILE in the same process.
 *
 *   fdfill
 *
 * Prints "ready PID", then reads commands, one a line, on stdin:
 *   fill     open /dev/null until open fails; prints "full N ERRNO" (N fds opened)
 *   try      open /dev/null once and close it again; prints "try ok" or "try ERRNO"
 *   free K   close K of the fds opened by fill; prints "freed K"
 *   quit     exit 0 (so does the end of stdin)
 * Run it with a low RLIMIT_NOFILE (ulimit -n 64) so that filling is quick. Used by
 * tests/integration/t_control_emfile.sh.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int opened[65536];
static int nopened;

int main(void)
{
    char line[128];
    printf("ready %d\n", (int)getpid());
    fflush(stdout);
    while (fgets(line, sizeof line, stdin)) {
        if (strncmp(line, "fill", 4) == 0) {
            int fd;
            while (nopened < 65536 && (fd = open("/dev/null", O_RDONLY)) >= 0)
                opened[nopened++] = fd;
            printf("full %d %s\n", nopened, strerrorname_np(errno));
        } else if (strncmp(line, "try", 3) == 0) {
            int fd = open("/dev/null", O_RDONLY);
            printf("try %s\n", fd >= 0 ? "ok" : strerrorname_np(errno));
            if (fd >= 0)
                close(fd);
        } else if (strncmp(line, "free ", 5) == 0) {
            int k = atoi(line + 5), done = 0;
            while (done < k && nopened > 0) {
                close(opened[--nopened]);
                done++;
            }
            printf("freed %d\n", done);
        } else if (strncmp(line, "quit", 4) == 0) {
            break;
        }
        fflush(stdout);
    }
    return 0;
}
