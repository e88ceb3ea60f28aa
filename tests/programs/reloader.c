/* reloader: swaps config files and reloads them through the in-process API, as `faultline ctl
 * PID reload` would, and prints what each reload answered.
 *
 *   reloader STEP...
 *
 * Each STEP is "mv:FROM:TO" (rename FROM to TO) or "reload" (faultline_command("reload"), which
 * prints "reload ok", or "reload " and the first line of the reply, "error: ..."). Exit status 0 after
 * the last step, 3 when the API is missing (the shim is not loaded).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

#include "../../include/faultline.h"

#define API(name) ((__typeof__(&name))dlsym(RTLD_DEFAULT, #name))

int main(int argc, char **argv)
{
    __typeof__(&faultline_command) command = API(faultline_command);
    char reply[1024];

    if (!command) {
        printf("no faultline API\n");
        return 3;
    }
    for (int i = 1; i < argc; i++) {
        if (strncmp(argv[i], "mv:", 3) == 0) {
            char *from = argv[i] + 3, *to = strchr(from, ':');
            if (!to)
                return 2;
            *to++ = '\0';
            if (rename(from, to) != 0) {
                perror("rename");
                return 2;
            }
        } else if (strcmp(argv[i], "reload") == 0) {
            int rc = command("reload", reply, sizeof reply);
            reply[strcspn(reply, "\n")] = '\0';
            printf("reload %s\n", rc == 0 ? "ok" : reply);
            fflush(stdout);
        } else {
            return 2;
        }
    }
    return 0;
}
