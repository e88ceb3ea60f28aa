/* libconfig through private handles: see libconfig_private.h for why a namespace of its own. */
#define FL_LIBCONFIG_LOADER
#include "libconfig_private.h"

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>

/* The Makefile reads both from libconfig-dev's libconfig.so at build time. */
#ifndef FL_LIBCONFIG_SONAME
#error "FL_LIBCONFIG_SONAME (libconfig's soname, e.g. \"libconfig.so.9\") must be defined"
#endif
#ifndef FL_LIBCONFIG_PACKAGE
#define FL_LIBCONFIG_PACKAGE "libconfig"
#endif

struct fl_libconfig fl_libconfig;

static pthread_once_t once = PTHREAD_ONCE_INIT;
static char failure[512];   /* empty: loaded */

static void open_once(void)
{
    /* A new namespace: libconfig and its own libc, where no symbol of the host (or of the
     * shim) is visible. Never closed: reloads and `set` read configs again. */
    void *h = dlmopen(LM_ID_NEWLM, FL_LIBCONFIG_SONAME, RTLD_NOW | RTLD_LOCAL);
    const char *err;

    if (!h) {
        err = dlerror();
        snprintf(failure, sizeof failure, "cannot load %s, which reads the config: %s; install "
                 "%s", FL_LIBCONFIG_SONAME, err ? err : "dlmopen failed", FL_LIBCONFIG_PACKAGE);
        return;
    }
#define FL_LIBCONFIG_RESOLVE(ret, name, params)                                                \
    if (!(fl_libconfig.name = (ret(*) params)dlsym(h, #name))) {                              \
        snprintf(failure, sizeof failure, "cannot use %s: it has no function %s (another "    \
                 "version than the one faultline was built with?); rebuild faultline",         \
                 FL_LIBCONFIG_SONAME, #name);                                                  \
        return;                                                                                \
    }
    FL_LIBCONFIG_CALLS(FL_LIBCONFIG_RESOLVE)
#undef FL_LIBCONFIG_RESOLVE
}

int fl_libconfig_open(char *why, size_t size)
{
    int saved = errno;

    pthread_once(&once, open_once);
    errno = saved;
    if (!failure[0])
        return 0;
    snprintf(why, size, "%s", failure);
    return -1;
}
