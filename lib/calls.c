/* The call table as data, built from calls.def. */
#include <string.h>

#include "calls.h"

const struct fl_call_info fl_calls[FL_CALL_COUNT] = {
#define FL_CALL(name, classes, actions, errors)                                                 \
    [FL_CALL_##name] = {#name, classes, actions, errors},
#include "calls.def"
};

const struct fl_sym_info fl_syms[FL_SYM_COUNT] = {
#define FL_SYM(sym, call) [FL_SYM_##sym] = {#sym, FL_CALL_##call},
#include "calls.def"
};

const char *const fl_class_names[] = {
    "@file", "@read", "@write", "@net", "@dns", "@sync", "@wait", "@mem", "@fs", "@all", NULL,
};

int fl_call_by_name(const char *name)
{
    for (int i = 0; i < FL_CALL_COUNT; i++)
        if (strcmp(fl_calls[i].name, name) == 0)
            return i;
    return -1;
}

unsigned fl_class_by_name(const char *name)
{
    for (unsigned i = 0; fl_class_names[i]; i++)
        if (strcmp(fl_class_names[i], name) == 0)
            return fl_class_names[i + 1] ? 1u << i : FL_CLASS_ALL;
    return 0;
}

const char *fl_action_name(enum fl_action a)
{
    static const char *const names[FL_ACT_COUNT] = {
        [FL_ACT_ERROR] = "error",     [FL_ACT_DELAY] = "delay", [FL_ACT_PARTIAL] = "partial",
        [FL_ACT_EOF] = "eof",         [FL_ACT_CORRUPT] = "corrupt", [FL_ACT_DROP] = "drop",
        [FL_ACT_KILL] = "kill",       [FL_ACT_POWER_LOSS] = "power_loss",
    };
    return (unsigned)a < FL_ACT_COUNT ? names[a] : "?";
}
