/* A seccomp filter that makes io_uring look absent (iouring.h). */
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "iouring.h"

#if defined(__x86_64__)
#define FL_AUDIT_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define FL_AUDIT_ARCH AUDIT_ARCH_AARCH64
#endif

#define FL_DENY(nr)                                                                            \
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (nr), 0, 1),                                           \
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (ENOSYS & SECCOMP_RET_DATA))

int fl_refuse_io_uring(char *why, size_t cap)
{
#ifdef FL_AUDIT_ARCH
    struct sock_filter filter[] = {
        /* another architecture's system calls (x32, i386 on x86_64) are left alone */
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, FL_AUDIT_ARCH, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        FL_DENY(__NR_io_uring_setup),
        FL_DENY(__NR_io_uring_enter),
        FL_DENY(__NR_io_uring_register),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog prog = {.len = sizeof filter / sizeof filter[0], .filter = filter};

    if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) == 0)
        return 0;
    if (errno == EACCES) { /* no CAP_SYS_ADMIN: the kernel asks for no_new_privs */
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0 &&
            syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) == 0)
            return 0;
    }
    snprintf(why, cap, "cannot refuse io_uring to the program (seccomp: %s): durability tracking "
             "would not see its writes", strerror(errno));
    return -1;
#else
    (void)why;
    (void)cap;
    return 0; /* no filter for this architecture: the shim's syscall() wrapper is all there is */
#endif
}
