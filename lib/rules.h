/* Rules at run time: per call, the rules that cover it; matching, triggers, per-rule random
 * streams and counters. Knows nothing of libconfig or of interposition. */
#ifndef FL_RULES_H
#define FL_RULES_H

#include <stdbool.h>
#include <stdint.h>

#include "calls.h"
#include "config.h"

struct fl_rule {
    struct fl_rule_spec spec;
    uint64_t rng;                        /* splitmix64 state: this rule's own stream */
    bool armed;                          /* enabled now */
    /* counters, changed under the rules lock */
    uint64_t matched;                    /* calls that met every condition */
    uint64_t injected;                   /* faults injected */
    uint64_t by_action[FL_ACT_COUNT];    /* injected, by action (delay counted with another) */
};

struct fl_ruleset {
    uint64_t seed;
    struct fl_rule *rules;
    size_t nrules;
    struct fl_rule **by_call[FL_CALL_COUNT];   /* per call, its rules in file order */
    uint32_t nby_call[FL_CALL_COUNT];
};

/* What one call looks like to the rules. */
struct fl_match {
    enum fl_call_id call;
    int fd;                              /* -1 when the call has none */
    const char *path;                    /* NULL when unknown */
    size_t size;                         /* bytes asked or allocated */
};

/* What the rules decided for one call. */
struct fl_verdict {
    struct fl_rule *rule;                /* the rule that fired, NULL when none did */
    enum fl_action action;               /* FL_ACT_ERROR, or FL_ACT_DELAY when delay is all */
    int error;                           /* as fl_rule_spec.error */
    uint64_t delay_ns;                   /* delay with its jitter drawn, 0 for none */
};

/* Per call, nonzero when at least one armed rule covers it: the fast path's only question. */
extern uint8_t fl_armed[FL_CALL_COUNT];

/* Whether any armed rule covers `call`. A relaxed load: costs a load and a branch. */
static inline bool fl_call_armed(enum fl_call_id call)
{
    return __atomic_load_n(&fl_armed[call], __ATOMIC_RELAXED) != 0;
}

/* Build a ruleset from a loaded config, seeding each rule's stream from `seed` and its name.
 * Takes ownership of cfg->rules (cfg->rules becomes NULL). Returns NULL when out of memory. */
struct fl_ruleset *fl_ruleset_new(struct fl_config *cfg, uint64_t seed);

/* Free a ruleset that is not published. */
void fl_ruleset_free(struct fl_ruleset *rs);

/* Make `rs` the process's ruleset and set fl_armed from it. Not thread-safe against another
 * publish; calls in flight finish on the rules they saw. */
void fl_rules_publish(struct fl_ruleset *rs);

/* The published ruleset, or NULL. */
struct fl_ruleset *fl_rules_current(void);

/* Decide a call against the published ruleset: every armed rule covering the call counts it and
 * draws from its stream; the first (in file order) that fires wins. Returns true and fills *v
 * when a rule fired. Takes the rules lock; never allocates. */
bool fl_rules_decide(const struct fl_match *m, struct fl_verdict *v);

/* Decide against a given ruleset without locking (unit tests, and fl_rules_decide). */
bool fl_ruleset_decide(struct fl_ruleset *rs, const struct fl_match *m, struct fl_verdict *v);

/* The stream seed of a rule: a function of the seed and the rule's name only. */
uint64_t fl_rule_stream_seed(uint64_t seed, const char *name);

/* Fork handlers: hold the lock across fork; in the child, give every rule a stream of its own
 * derived from its stream at the fork. */
void fl_rules_atfork_prepare(void);
void fl_rules_atfork_parent(void);
void fl_rules_atfork_child(void);

/* Run fn(rule, arg) for each rule of the published ruleset under the rules lock. */
void fl_rules_each(void (*fn)(const struct fl_rule *rule, void *arg), void *arg);

#endif
