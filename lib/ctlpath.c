/* Where control sockets live. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "ctlpath.h"

char *fl_ctl_dir(char *buf, size_t cap)
{
    const char *xdg = secure_getenv("XDG_RUNTIME_DIR");
    int n = xdg && xdg[0] == '/' ? snprintf(buf, cap, "%s/faultline", xdg)
                                 : snprintf(buf, cap, "/tmp/faultline-%u", (unsigned)getuid());
    return n > 0 && (size_t)n < cap ? buf : NULL;
}

char *fl_ctl_socket(pid_t pid, char *buf, size_t cap)
{
    char dir[256];
    if (!fl_ctl_dir(dir, sizeof dir))
        return NULL;
    int n = snprintf(buf, cap, "%s/%d.sock", dir, (int)pid);
    return n > 0 && (size_t)n < cap ? buf : NULL;
}
