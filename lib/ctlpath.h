/* Where control sockets live, and whether that place can be trusted; shared by the shim and the
 * faultline command, so that both judge a socket directory alike. */
#ifndef FL_CTLPATH_H
#define FL_CTLPATH_H

#include <stddef.h>
#include <sys/types.h>

/* The directory of this user's control sockets: $XDG_RUNTIME_DIR/faultline when
 * XDG_RUNTIME_DIR is set to an absolute path, else /tmp/faultline-UID. Written into buf;
 * returns buf, or NULL when it does not fit. Does not create it. */
char *fl_ctl_dir(char *buf, size_t cap);

/* The control socket of process pid: DIR/PID.sock. Returns buf, or NULL when it does not fit. */
char *fl_ctl_socket(pid_t pid, char *buf, size_t cap);

/* What fl_ctl_dir_check found. */
enum fl_ctl_dir_state {
    FL_CTL_DIR_OK,        /* a directory of uid's, not a link, mode 0700 (no group or other bits) */
    FL_CTL_DIR_MISSING,   /* nothing there yet, and its parent exists: it can be made */
    FL_CTL_DIR_UNSAFE,    /* anything else: why[] says what is wrong and how to fix it */
};

/* Whether dir (from fl_ctl_dir) is a socket directory uid may trust: lstat'd, never followed.
 * On FL_CTL_DIR_UNSAFE, why[cap] holds one sentence naming dir, what is wrong and the fix, e.g.
 * "/tmp/faultline-0 has mode 0755, not 0700 (chmod 0700 /tmp/faultline-0)". Never creates. */
enum fl_ctl_dir_state fl_ctl_dir_check(const char *dir, uid_t uid, char *why, size_t cap);

#endif
