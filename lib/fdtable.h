/* What each fd is: its kind, the path it was opened with, its peer. Recorded by the wrappers of
 * open, connect, accept, dup and close while fl_fd_tracking is on (an armed rule matches on
 * paths or peers); anything not recorded is found out on the slow path (fstat, readlink of
 * /proc/self/fd, getpeername). Lock-free (fdtable.c): safe in signal handlers and across fork,
 * whose child keeps the table as it keeps the fds. */
#ifndef FL_FDTABLE_H
#define FL_FDTABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include "config.h"

/* Record that fd was opened at `path`, relative to dirfd (AT_FDCWD: the working directory). */
void fl_fd_opened(int fd, int dirfd, const char *path);

/* Record a socket's peer, from connect (the address asked for) or accept (the remote side). */
void fl_fd_peer_set(int fd, const struct sockaddr *sa, socklen_t len);

/* Record that newfd is a duplicate of oldfd (dup, dup2, dup3, fcntl F_DUPFD). */
void fl_fd_dup(int oldfd, int newfd);

/* Forget fds: close, close_range. */
void fl_fd_closed(int fd);
void fl_fd_closed_range(unsigned first, unsigned last);

/* Forget everything (tracking was off, so nothing recorded can be trusted). Call from inside
 * the shim. */
void fl_fd_reset(void);

/* The kind of fd, found with fstat. */
enum fl_fd_kind fl_fd_kind_of(int fd);

/* The absolute path fd was opened with, copied into buf; NULL when unknown (not a path, or
 * /proc unavailable). */
const char *fl_fd_path(int fd, char *buf, size_t cap);

/* The peer of socket fd, copied into *out; false when unknown. */
bool fl_fd_peer(int fd, struct sockaddr_storage *out);

/* Make `path` (relative to dirfd) absolute and tidy ("./" and ".." folded) into buf; NULL when
 * it does not fit or the working directory is unknown. */
const char *fl_path_absolute(int dirfd, const char *path, char *buf, size_t cap);

#endif
