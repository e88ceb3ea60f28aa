/* The call table as data: call ids, classes, the actions each call allows, and the symbols that
 * stand for each call. Everything here is generated from calls.def. */
#ifndef FL_CALLS_H
#define FL_CALLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Classes a call belongs to (the @names of the config language). */
enum {
    FL_CLASS_FILE  = 1u << 0,
    FL_CLASS_READ  = 1u << 1,
    FL_CLASS_WRITE = 1u << 2,
    FL_CLASS_NET   = 1u << 3,
    FL_CLASS_DNS   = 1u << 4,
    FL_CLASS_SYNC  = 1u << 5,
    FL_CLASS_WAIT  = 1u << 6,
    FL_CLASS_MEM   = 1u << 7,
    FL_CLASS_FS    = 1u << 8, /* names, sizes, clones: rename...rmdir, truncate, fallocate, ficlone */
    FL_CLASS_ALL   = (1u << 9) - 1,
};

/* What a fault does. delay combines with any one of the others. */
enum fl_action {
    FL_ACT_ERROR,
    FL_ACT_DELAY,
    FL_ACT_PARTIAL,
    FL_ACT_EOF,
    FL_ACT_CORRUPT,
    FL_ACT_DROP,
    FL_ACT_KILL,
    FL_ACT_POWER_LOSS, /* durability tracking: every process of the run dies, files roll back */
    FL_ACT_COUNT
};
#define FL_ACT(a) (1u << FL_ACT_##a)
#define FL_ACTS_CONTROL (FL_ACT(ERROR) | FL_ACT(DELAY) | FL_ACT(KILL) | FL_ACT(POWER_LOSS))
#define FL_ACTS_SYNC    (FL_ACTS_CONTROL | FL_ACT(DROP))
#define FL_ACTS_READ    (FL_ACTS_CONTROL | FL_ACT(PARTIAL) | FL_ACT(EOF) | FL_ACT(CORRUPT))
#define FL_ACTS_WRITE   (FL_ACTS_SYNC | FL_ACT(PARTIAL) | FL_ACT(CORRUPT))
#define FL_ACTS_XFER    (FL_ACTS_CONTROL | FL_ACT(PARTIAL))
#define FL_ACTS_BYTE    (FL_ACTS_SYNC | FL_ACT(CORRUPT))
/* Reads that ask for no byte count (a character, a line): no partial. */
#define FL_ACTS_READ_WHOLE (FL_ACTS_CONTROL | FL_ACT(EOF) | FL_ACT(CORRUPT))
/* A call that returns nothing and cannot fail (sync): no error. */
#define FL_ACTS_VOID    (FL_ACT(DELAY) | FL_ACT(KILL) | FL_ACT(POWER_LOSS) | FL_ACT(DROP))

/* How a call reports failure (see calls.def). */
enum fl_errkind { FL_ERR_ERRNO, FL_ERR_EAI, FL_ERR_HERRNO };

enum fl_call_id {
#define FL_CALL(name, classes, actions, errors) FL_CALL_##name,
#include "calls.def"
    FL_CALL_COUNT
};

/* Every interposed symbol, in table order. */
enum fl_sym_id {
#define FL_SYM(sym, call) FL_SYM_##sym,
#include "calls.def"
    FL_SYM_COUNT
};

/* Calls fit in this many 64-bit words of a bitset. */
#define FL_CALL_WORDS ((FL_CALL_COUNT + 63) / 64)

struct fl_call_info {
    const char *name;
    unsigned classes;   /* FL_CLASS_* */
    unsigned actions;   /* FL_ACT(...) mask of actions that make sense */
    enum fl_errkind errors;
};

struct fl_sym_info {
    const char *name;
    enum fl_call_id call;
};

/* Indexed by enum fl_call_id / enum fl_sym_id. */
extern const struct fl_call_info fl_calls[FL_CALL_COUNT];
extern const struct fl_sym_info fl_syms[FL_SYM_COUNT];

/* The call id for a call name ("pread"), or -1 when there is none. Symbol names ("pread64") are
 * not call names. */
int fl_call_by_name(const char *name);

/* The FL_CLASS_* bit for a class name with its '@' ("@net", "@all"), or 0 when unknown. */
unsigned fl_class_by_name(const char *name);

/* The class names, "@file" ... "@all", NULL-terminated, in documentation order. */
extern const char *const fl_class_names[];

/* The name of an action ("error", "delay", ...). */
const char *fl_action_name(enum fl_action a);

/* a * b, or SIZE_MAX when the product overflows (sizes asked of calloc, fread, fwrite). */
static inline size_t fl_mul_sat(size_t a, size_t b)
{
    size_t r;
    return __builtin_mul_overflow(a, b, &r) ? SIZE_MAX : r;
}

#endif
