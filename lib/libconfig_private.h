/* libconfig through private handles. The config reader (config.c) never links libconfig: it
 * calls through a table of function pointers that fl_libconfig_open fills, once, from a copy of
 * libconfig loaded in a link-map namespace of its own (dlmopen(LM_ID_NEWLM)), with its own copy
 * of libc. Nothing of the host can meet it there:
 *   - a host that exports libconfig's names (lighttpd's config_init and config_read) reaches
 *     neither the shim's calls nor libconfig's calls to itself (its own config_init, scanctx_*,
 *     libconfig_yy*: through its PLT, which ordinary loading, and even RTLD_LOCAL, would bind to
 *     the host's functions first);
 *   - a host linked with another libconfig version keeps its own;
 *   - a host that replaces malloc (redis with jemalloc) keeps its allocator: libconfig
 *     allocates and frees with the private libc, setting names that libc's strdup makes
 *     included. (RTLD_DEEPBIND alone is not enough there: libconfig's free binds to libc's while
 *     libc's strdup, which libconfig calls for every setting name, allocates through the global
 *     malloc, and config_destroy aborts with "free(): invalid pointer". dlmopen also works under
 *     AddressSanitizer, which refuses RTLD_DEEPBIND.)
 * What libconfig returns (strings, settings) lives in the private libc's heap until
 * config_destroy: the reader copies what it keeps with its own malloc, and frees nothing of
 * libconfig's. The copy is loaded only when a config is read, and stays for reloads and `set`.
 *
 * config.c includes this header instead of <libconfig.h>: libconfig's types and macros
 * (config_setting_type, config_setting_name, config_error_text, ...) read the structures
 * directly, and each libconfig function config.c calls is redirected to the table. A libconfig
 * function missing from FL_LIBCONFIG_CALLS shows as an undefined symbol when libfaultline.so is
 * linked (-z defs), since the shim does not link libconfig. */
#ifndef FL_LIBCONFIG_PRIVATE_H
#define FL_LIBCONFIG_PRIVATE_H

#include <libconfig.h>
#include <stddef.h>

/* Every libconfig function the reader calls: return type, name, parameters. */
#define FL_LIBCONFIG_CALLS(X)                                                                   \
    X(void, config_init, (config_t *))                                                          \
    X(void, config_destroy, (config_t *))                                                       \
    X(void, config_set_auto_convert, (config_t *, int))                                         \
    X(int, config_read_string, (config_t *, const char *))                                      \
    X(config_setting_t *, config_lookup, (const config_t *, const char *))                      \
    X(int, config_setting_length, (const config_setting_t *))                                   \
    X(config_setting_t *, config_setting_get_elem, (const config_setting_t *, unsigned int))    \
    X(config_setting_t *, config_setting_get_member, (const config_setting_t *, const char *)) \
    X(int, config_setting_get_int, (const config_setting_t *))                                  \
    X(long long, config_setting_get_int64, (const config_setting_t *))                          \
    X(double, config_setting_get_float, (const config_setting_t *))                             \
    X(int, config_setting_get_bool, (const config_setting_t *))                                 \
    X(const char *, config_setting_get_string, (const config_setting_t *))

struct fl_libconfig {
#define FL_LIBCONFIG_MEMBER(ret, name, params) ret (*name) params;
    FL_LIBCONFIG_CALLS(FL_LIBCONFIG_MEMBER)
#undef FL_LIBCONFIG_MEMBER
};

/* The table; valid once fl_libconfig_open has returned 0. */
extern struct fl_libconfig fl_libconfig;

/* Load the private libconfig and fill fl_libconfig, the first time it is called (thread-safe;
 * later calls return the first one's result at once). Returns 0, or -1 with a message in `why`
 * (size `size`) that names the library and what to install ("cannot load libconfig.so.9: ...;
 * install libconfig9"). Leaves errno as it was. Not async-signal-safe (it calls dlmopen). */
int fl_libconfig_open(char *why, size_t size);

#ifndef FL_LIBCONFIG_LOADER
#define config_init fl_libconfig.config_init
#define config_destroy fl_libconfig.config_destroy
#define config_set_auto_convert fl_libconfig.config_set_auto_convert
#define config_read_string fl_libconfig.config_read_string
#define config_lookup fl_libconfig.config_lookup
#define config_setting_length fl_libconfig.config_setting_length
#define config_setting_get_elem fl_libconfig.config_setting_get_elem
#define config_setting_get_member fl_libconfig.config_setting_get_member
#define config_setting_get_int fl_libconfig.config_setting_get_int
#define config_setting_get_int64 fl_libconfig.config_setting_get_int64
#define config_setting_get_float fl_libconfig.config_setting_get_float
#define config_setting_get_bool fl_libconfig.config_setting_get_bool
#define config_setting_get_string fl_libconfig.config_setting_get_string
#endif

#endif
