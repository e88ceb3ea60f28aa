/* api_probe: steers its own faults through the in-process API (include/faultline.h) and
 * prints what each step did. Run under the shim with a dormant rule named "w" on write to
 * FILE (given as argument); the API is found with dlsym, as a harness that only sometimes runs
 * under faultline would.
 *
 *   api_probe FILE
 *
 * Each line: STEP RESULT, where a write's RESULT is "ok" or the errno name. Exit status 0, or 3
 * when the API is missing (the shim is not loaded).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../../include/faultline.h"

static int fd;

static const char *try_write(void)
{
    return write(fd, "x", 1) == 1 ? "ok" : strerrorname_np(errno);
}

#define API(name) ((__typeof__(&name))dlsym(RTLD_DEFAULT, #name))

int main(int argc, char **argv)
{
    __typeof__(&faultline_enable) enable = API(faultline_enable);
    __typeof__(&faultline_disable) disable = API(faultline_disable);
    __typeof__(&faultline_set) set = API(faultline_set);
    __typeof__(&faultline_pause) pause_all = API(faultline_pause);
    __typeof__(&faultline_resume) resume = API(faultline_resume);
    __typeof__(&faultline_counters) counters = API(faultline_counters);
    __typeof__(&faultline_command) command = API(faultline_command);
    if (argc < 2 || !enable || !disable || !set || !pause_all || !resume || !counters || !command)
        return 3;
    fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC, 0644);
    unsigned long long matched = 0, injected = 0;
    char reply[512];

    printf("dormant %s\n", try_write());
    printf("enable %d\n", enable("w"));
    printf("armed %s\n", try_write());
    printf("pause %d\n", pause_all());
    printf("paused %s\n", try_write());
    printf("resume %d\n", resume());
    printf("resumed %s\n", try_write());
    printf("set %d\n", set("w", "error=\"ENOSPC\""));
    printf("after-set %s\n", try_write());
    printf("bad-set %d\n", set("w", "probablity=0.5"));
    printf("disable %d\n", disable("w"));
    printf("disabled %s\n", try_write());
    printf("no-such-rule %d\n", enable("nope"));
    printf("counters %d", counters("w", &matched, &injected));
    printf(" matched=%llu injected=%llu\n", matched, injected);
    printf("list %d ", command("list", reply, sizeof reply));
    fputs(reply, stdout);
    return 0;
}
