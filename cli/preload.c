/* The shim's environment for a child (preload.h): finding libfaultline.so, the LD_PRELOAD value,
 * merging inline settings through libconfig (which refuses a setting given twice, so texts are
 * parsed and merged, not concatenated), validating with the shim's own reader. */
#include <libconfig.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "config.h"
#include "config_copy.h"
#include "preload.h"

#ifndef FL_LIBDIR
#define FL_LIBDIR "/usr/local/lib"
#endif
#define FL_LIBNAME "libfaultline.so"

/* ---- merging inline settings ---------------------------------------------------------------- */

/* The `rules` list of `root`, made (or an empty array replaced) when needed; NULL when
 * `rules` is something else. */
static config_setting_t *rules_list(config_setting_t *root)
{
    config_setting_t *rules = config_setting_get_member(root, "rules");

    if (rules && config_setting_is_array(rules) && config_setting_length(rules) == 0) {
        config_setting_remove(root, "rules");
        rules = NULL;
    }
    if (!rules)
        return config_setting_add(root, "rules", CONFIG_TYPE_LIST);
    return config_setting_is_list(rules) ? rules : NULL;
}

/* Merge the settings of `add` into `into` as fl_preload_merge_text says. */
static int merge_settings(config_t *into, const config_t *add)
{
    config_setting_t *root = config_root_setting(into);
    const config_setting_t *from = config_root_setting(add);

    for (int i = 0; i < config_setting_length(from); i++) {
        const config_setting_t *s = config_setting_get_elem(from, (unsigned)i);
        const char *name = config_setting_name(s);
        if (strcmp(name, "rules") == 0) {
            config_setting_t *list = rules_list(root);
            if (!list)
                return -1;
            for (int j = 0; j < config_setting_length(s); j++)
                if (fl_cli_copy_setting(list, config_setting_get_elem(s, (unsigned)j)) < 0)
                    return -1;
            continue;
        }
        if (config_setting_get_member(root, name))
            config_setting_remove(root, name);
        if (fl_cli_copy_setting(root, s) < 0)
            return -1;
    }
    return 0;
}

/* Merge `add` into `existing` as preload.h says. */
char *fl_preload_merge_text(const char *existing, const char *add)
{
    config_t a, b;
    char *text = NULL;
    size_t len = 0;
    FILE *f;

    config_init(&a);
    config_init(&b);
    if (config_read_string(&a, existing) && config_read_string(&b, add) &&
        merge_settings(&a, &b) == 0 && (f = open_memstream(&text, &len))) {
        config_write(&a, f);
        if (fclose(f) != 0) {
            free(text);
            text = NULL;
        }
    }
    config_destroy(&a);
    config_destroy(&b);
    return text;
}

/* ---- validation ----------------------------------------------------------------------------- */

/* Validate as preload.h says. */
int fl_preload_validate(const char *path, const char *text, struct fl_config *cfg)
{
    struct fl_diag diag;

    if (fl_config_load(cfg, path, text, &diag) == 0)
        return 0;
    fl_cli_say("%s", diag.text);
    return -1;
}

/* ---- the library ---------------------------------------------------------------------------- */

/* An absolute path to `path` when it is a readable file, else NULL; malloc'd. */
static char *usable(const char *path)
{
    struct stat st;

    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode) || access(path, R_OK) != 0)
        return NULL;
    return realpath(path, NULL);
}

/* Find the shim as preload.h says. */
char *fl_preload_find_library(void)
{
    const char *env = getenv("FAULTLINE_LIBRARY");
    char exe[PATH_MAX], beside[PATH_MAX + 32], *lib;
    ssize_t n;

    if (env && *env) {
        if (!(lib = usable(env)))
            fl_cli_say("FAULTLINE_LIBRARY: %s: not a readable file", env);
        return lib;
    }
    n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        *strrchr(exe, '/') = '\0';
        snprintf(beside, sizeof beside, "%s/" FL_LIBNAME, exe); /* the build tree */
        if ((lib = usable(beside)))
            return lib;
        snprintf(beside, sizeof beside, "%s/../lib/" FL_LIBNAME, exe); /* PREFIX/bin, PREFIX/lib */
        if ((lib = usable(beside)))
            return lib;
    }
    if ((lib = usable(FL_LIBDIR "/" FL_LIBNAME)))
        return lib;
    fl_cli_say("cannot find " FL_LIBNAME " in %s or " FL_LIBDIR
               " (set FAULTLINE_LIBRARY to its path)", n > 0 ? exe : "faultline's directory");
    return NULL;
}

/* The length of the leading LD_PRELOAD entries that must stay first: sanitizer runtimes
 * (libasan, libclang_rt.asan, ...) refuse to run unless they come before every other library. */
static size_t sanitizer_prefix(const char *list)
{
    size_t keep = 0;
    for (const char *p = list; *p;) {
        size_t n = strcspn(p, ": ");
        const char *base = p;
        for (const char *q = p; q < p + n; q++)
            if (*q == '/')
                base = q + 1;
        bool runtime = strncmp(base, "libasan", 7) == 0 || strncmp(base, "libtsan", 7) == 0 ||
                       strncmp(base, "libhwasan", 9) == 0 || strncmp(base, "libclang_rt.", 12) == 0;
        if (n == 0 || !runtime)
            break;
        keep = (size_t)(p + n - list);
        p += n + (p[n] != '\0');
    }
    return keep;
}

/* The LD_PRELOAD value as preload.h says. */
char *fl_preload_value(const char *lib, const char *old)
{
    char *value;
    int n;

    if (old && *old) {
        size_t keep = sanitizer_prefix(old);
        const char *rest = old + keep + (old[keep] != '\0');
        n = keep ? asprintf(&value, "%.*s:%s%s%s", (int)keep, old, lib, *rest ? ":" : "", rest)
                 : asprintf(&value, "%s:%s", lib, old);
    } else {
        n = asprintf(&value, "%s", lib);
    }
    return n < 0 ? NULL : value;
}
