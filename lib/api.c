/* The in-process API (include/faultline.h): each function runs a control command. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control.h"
#include "faultline.h"
#include "interpose.h"
#include "rules.h"

/* Run `line` as the shim itself (no rule meets what the command does); copy the reply. */
static int run(const char *line, char *reply, size_t size)
{
    struct fl_reply out = {0};
    int saved = errno, outer = fl_guard;
    fl_guard = 1;
    fl_control_run(line, &out);
    fl_guard = outer;
    if (reply && size) {
        size_t n = out.text.len;
        if (!out.failed && n >= 3) /* the final "ok\n" is the return value */
            n -= 3;
        if (n >= size)
            n = size - 1;
        memcpy(reply, out.text.p ? out.text.p : "", n);
        reply[n] = '\0';
    }
    int rc = out.failed || !out.text.p ? -1 : 0;
    free(out.text.p);
    if (out.power_loss)
        fl_control_power_loss(); /* the caller asked for it: this process dies with the run */
    errno = saved;
    return rc;
}

FL_EXPORT int faultline_command(const char *command, char *reply, size_t size)
{
    return run(command, reply, size);
}

/* "VERB ARG" run without a reply. */
static int verb(const char *v, const char *arg)
{
    char line[1024];
    snprintf(line, sizeof line, "%s%s%s", v, arg ? " " : "", arg ? arg : "");
    return run(line, NULL, 0);
}

FL_EXPORT int faultline_enable(const char *name)
{
    return verb("enable", name);
}

FL_EXPORT int faultline_disable(const char *name)
{
    return verb("disable", name);
}

FL_EXPORT int faultline_set(const char *name, const char *key_value)
{
    char line[1024];
    snprintf(line, sizeof line, "set %s %s", name, key_value);
    return run(line, NULL, 0);
}

FL_EXPORT int faultline_pause(void)
{
    return verb("pause", NULL);
}

FL_EXPORT int faultline_resume(void)
{
    return verb("resume", NULL);
}

FL_EXPORT int faultline_reload(void)
{
    return verb("reload", NULL);
}

struct find {
    const char *name;
    unsigned long long matched, injected;
    int found;
};

static void find_rule(const struct fl_rule *r, void *arg)
{
    struct find *f = arg;
    if (strcmp(r->spec->name, f->name) == 0) {
        f->matched = r->matched;
        f->injected = r->injected;
        f->found = 1;
    }
}

FL_EXPORT int faultline_counters(const char *name, unsigned long long *matched,
                                 unsigned long long *injected)
{
    struct find f = {.name = name};
    int saved = errno, outer = fl_guard;
    fl_guard = 1;
    fl_rules_each(find_rule, &f);
    fl_guard = outer;
    errno = saved;
    if (!f.found)
        return -1;
    if (matched)
        *matched = f.matched;
    if (injected)
        *injected = f.injected;
    return 0;
}
