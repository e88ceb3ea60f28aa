/* Where control sockets live, shared by the shim and the faultline command. */
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

#endif
