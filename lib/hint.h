/* Hints for the summary: a rule on a call that the program never makes, while it makes a sibling
 * call that does the same work (a rule on write in a program that writes through fwrite). The
 * stdio wrappers note their use, at the cost of a load and a branch, only for the calls a rule's
 * sibling covers. */
#ifndef FL_HINT_H
#define FL_HINT_H

#include <stdint.h>

#include "calls.h"
#include "rules.h"

/* Per call: nonzero when a rule covers a sibling of it and not it (fl_hint_watch). */
extern uint8_t fl_watched[FL_CALL_COUNT];
/* Per call: nonzero once the program made it while it was watched. */
extern uint8_t fl_used[FL_CALL_COUNT];

/* Note that the program made `call` (a stdio wrapper's fast path). */
static inline void fl_note_use(enum fl_call_id call)
{
    if (__builtin_expect(__atomic_load_n(&fl_watched[call], __ATOMIC_RELAXED), 0) &&
        !__atomic_load_n(&fl_used[call], __ATOMIC_RELAXED))
        __atomic_store_n(&fl_used[call], 1, __ATOMIC_RELAXED);
}

/* Watch the stdio calls that do the work of a raw call a rule of rs covers when the rule covers
 * none of them (write: fwrite fputs fputc fprintf; read: fread fgets fgetc getline
 * fscanf). Call when a ruleset is published. */
void fl_hint_watch(const struct fl_ruleset *rs);

/* Forget what the parent used (a forked child's summary speaks of the child). */
void fl_hint_atfork_child(void);

/* Write to fd one line per rule that matched no call while the program made a watched sibling
 * of one of its calls: "faultline: rule 'x' matched nothing: this program writes through stdio
 * (fwrite, fputs), which a rule on write does not see; add them, or "@write", to its calls". */
void fl_hint_summary(int fd);

#endif
