/* Where control sockets live, and whether that place can be trusted. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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

/* Nothing at dir: it can be made when its parent is a directory. */
static enum fl_ctl_dir_state missing(const char *dir, char *why, size_t cap)
{
    char parent[512];
    struct stat st;
    const char *slash = strrchr(dir, '/');
    snprintf(parent, sizeof parent, "%.*s", slash && slash > dir ? (int)(slash - dir) : 1, dir);
    int err = stat(parent, &st) != 0 ? errno : S_ISDIR(st.st_mode) ? 0 : ENOTDIR;
    if (!err)
        return FL_CTL_DIR_MISSING;
    snprintf(why, cap, "%s cannot be made: %s: %s (set XDG_RUNTIME_DIR to an existing directory "
             "of yours, or unset it)", dir, parent, strerror(err));
    return FL_CTL_DIR_UNSAFE;
}

enum fl_ctl_dir_state fl_ctl_dir_check(const char *dir, uid_t uid, char *why, size_t cap)
{
    struct stat st;
    errno = 0;
    if (lstat(dir, &st) != 0) {
        if (errno == ENOENT)
            return missing(dir, why, cap);
        snprintf(why, cap, "%s: %s", dir, strerror(errno));
        return FL_CTL_DIR_UNSAFE;
    }
    if (S_ISLNK(st.st_mode))
        snprintf(why, cap, "%s is a symbolic link, which a socket directory must not be (remove "
                 "it: rm %s)", dir, dir);
    else if (!S_ISDIR(st.st_mode))
        snprintf(why, cap, "%s is not a directory (remove it: rm %s)", dir, dir);
    else if (st.st_uid != uid)
        snprintf(why, cap, "%s belongs to uid %u, not to uid %u: someone else may read or plant "
                 "sockets there (remove it as root, or set XDG_RUNTIME_DIR to a private directory "
                 "of yours)", dir, (unsigned)st.st_uid, (unsigned)uid);
    else if (st.st_mode & 077)
        snprintf(why, cap, "%s has mode %04o, not 0700: others may reach its sockets "
                 "(chmod 0700 %s)", dir, (unsigned)(st.st_mode & 07777), dir);
    else
        return FL_CTL_DIR_OK;
    return FL_CTL_DIR_UNSAFE;
}
