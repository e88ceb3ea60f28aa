/* io_uring refused to a durability-tracked run: io_uring's reads and writes never pass through
 * libc, so the shim would not see them, and a rollback after a power loss would miss them. */
#ifndef FL_IOURING_H
#define FL_IOURING_H

#include <stddef.h>

/* Install, in this process (a child about to exec the program), a seccomp filter under which
 * io_uring_setup, io_uring_enter and io_uring_register fail with ENOSYS, as on a kernel without
 * io_uring: programs that can (liburing's users, which make the system call themselves, not
 * through libc) fall back to read and write. Everything else is allowed. Sets no_new_privs first
 * unless the process may install a filter without it (CAP_SYS_ADMIN): a set-user-ID program run
 * inside the run then does not gain privileges. Inherited by every process of the run. Returns 0,
 * or -1 with a message in why. */
int fl_refuse_io_uring(char *why, size_t cap);

#endif
