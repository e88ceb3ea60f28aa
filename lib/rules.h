/* Rules at run time: per call, the rules that cover it; matching, triggers, per-rule random
 * streams and counters. Knows nothing of libconfig or of interposition. */
#ifndef FL_RULES_H
#define FL_RULES_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "calls.h"
#include "config.h"
#include "epoch.h"

/* One rule at run time. Deciding reads and counts without a lock (rules.c says how), so the
 * fields below are read and written with atomic operations; readers outside rules.c get
 * copies (fl_rules_each). */
struct fl_rule {
    /* read on every decision, written seldom */
    struct fl_rule_spec *spec;           /* what the rule says; `set` swaps in a new one */
    uint64_t rng;                        /* the key of this rule's counter-based stream */
    bool armed;                          /* enabled now */
    uint64_t armed_at_ns;                /* CLOCK_MONOTONIC when armed: start/duration count */
                                         /* from here (set by fl_rules_publish and enable) */
    struct fl_stripe *stripes;           /* FL_STRIPES counts, one per group of threads */
    /* written on every matching call of a rule that counts (after, every, times): a cache
     * line of its own, so that threads counting do not keep taking the line above */
    _Alignas(64) uint64_t matched;       /* calls that met every condition (plus the stripes') */
    uint64_t bytes;                      /* bytes of those calls (after_bytes counts them) */
    /* written when the rule fires */
    _Alignas(64) uint64_t injected;      /* faults injected */
    uint64_t by_action[FL_ACT_COUNT];    /* injected, by action (delay counted with another) */
};

/* A rule that only has a probability counts each thread's matching calls apart, in one of
 * FL_STRIPES counts (a thread's stripe is its number, in the order threads first decide, modulo
 * FL_STRIPES), and each stripe draws from a stream of its own: threads do not take one cache line
 * from each other on every call. A program's first thread draws exactly as one count would. */
#define FL_STRIPES 8
struct fl_stripe {
    _Alignas(64) uint64_t matched;
};

/* The rules covering one call, in file order. */
struct fl_call_rules {
    struct fl_epoch_node node;           /* retired when `set` rebuilds the index */
    uint32_t n;
    struct fl_rule *rules[];
};

struct fl_ruleset {
    struct fl_epoch_node node;                 /* retired when reload replaces it */
    uint64_t seed;
    struct fl_rule *rules;
    size_t nrules;
    struct fl_rule_spec *specs;                /* the specs as loaded, rules[i].spec at first; */
                                               /* the ruleset owns them and each rule's current */
                                               /* spec (set: fl_rules_set retires the one it */
                                               /* replaces, unless it is one of these) */
    struct fl_stripe *stripes;                 /* FL_STRIPES per rule */
    void *stripes_mem;                         /* their allocation (stripes is aligned in it) */
    struct fl_call_rules *by_call[FL_CALL_COUNT]; /* per call; NULL when no rule covers it */
    unsigned needs[FL_CALL_COUNT];             /* FL_NEED_* of the armed rules, per call */
};

/* What one call looks like to the rules. The caller fills what fl_rules_needs() asks for. */
struct fl_match {
    enum fl_call_id call;
    int fd;                              /* -1 when the call has none */
    const char *path;                    /* absolute; NULL when unknown or none */
    const struct sockaddr *peer;         /* the socket's peer; NULL when unknown or none */
    enum fl_fd_kind kind;                /* FL_FD_ANY when unknown */
    int nonblock;                        /* 1: O_NONBLOCK or MSG_DONTWAIT; 0: no; -1 unknown */
    bool peek;                           /* MSG_PEEK: the bytes stay queued */
    bool no_short;                       /* a short transfer would not be legal here */
    size_t size;                         /* bytes asked or allocated */
    uint64_t now_ns;                     /* CLOCK_MONOTONIC, when a rule has a window */
};

/* What fl_match fields the armed rules of a call look at (fl_rules_needs). */
enum {
    FL_NEED_PATH = 1u << 0,
    FL_NEED_PEER = 1u << 1,
    FL_NEED_KIND = 1u << 2,
    FL_NEED_NONBLOCK = 1u << 3,
    FL_NEED_TIME = 1u << 4,
    FL_NEED_SHORT = 1u << 5,
};

/* The longest rule name (config.c refuses longer ones, FL_NAME_MAX there). */
#define FL_RULE_NAME_MAX 64

/* What the rules decided for one call: everything the action and the log need, copied, so that
 * nothing refers to the ruleset once the decision is made (a reload may free it while the call
 * runs). */
struct fl_verdict {
    struct fl_rule *rule;                /* which rule fired, NULL when none did: compare it, */
                                         /* never follow it once fl_rules_decide returned */
    char rule_name[FL_RULE_NAME_MAX + 1]; /* its name (cut at FL_RULE_NAME_MAX) */
    enum fl_action action;               /* the rule's action; FL_ACT_DELAY when delay is all */
    int error;                           /* as fl_rule_spec.error */
    uint32_t partial_pct;                /* PARTIAL: as fl_rule_spec.partial_pct */
    uint64_t partial_bytes;              /* PARTIAL: as fl_rule_spec.partial_bytes */
    uint32_t corrupt_bits;               /* CORRUPT: bits to flip */
    int kill_signal;                     /* KILL: the signal */
    uint64_t delay_ns;                   /* delay with its jitter drawn, 0 for none */
    uint64_t draw;                       /* a fresh draw of the rule's stream, for the action */
                                         /* (which bits to corrupt) */
    bool dry_run;                        /* decided and logged only: inject nothing */
};

/* Per call, nonzero when at least one armed rule covers it: the fast path's only question. */
extern uint8_t fl_armed[FL_CALL_COUNT];

/* Nonzero while an armed rule matches on a fd's path or peer: the wrappers of open, connect,
 * accept, dup and close then record what each fd is (fdtable.c). */
extern uint8_t fl_fd_tracking;

/* Whether any armed rule covers `call`. A relaxed load: costs a load and a branch. */
static inline bool fl_call_armed(enum fl_call_id call)
{
    return __atomic_load_n(&fl_armed[call], __ATOMIC_RELAXED) != 0;
}

/* Build a ruleset from a loaded config, seeding each rule's stream from `seed` and its name.
 * Takes ownership of cfg->rules (cfg->rules becomes NULL). Returns NULL when out of memory. */
struct fl_ruleset *fl_ruleset_new(struct fl_config *cfg, uint64_t seed);

/* Keep the calls whose entry in `calls` (FL_CALL_COUNT of them) is true reaching their slow path
 * whatever the rules say, and fd paths recorded when fd_paths: durability tracking (durable.h)
 * watches them. Once, at start; fork's child keeps it. */
void fl_rules_watch(const bool *calls, bool fd_paths);

/* Free a ruleset that is not published. */
void fl_ruleset_free(struct fl_ruleset *rs);

/* Make `rs` the process's ruleset, its rules armed now, and set fl_armed from it. Calls in
 * flight finish on the rules they saw. Returns the ruleset it replaced (NULL for none), which
 * calls may still be reading: hand it to fl_ruleset_retire, or free it once no call can. */
struct fl_ruleset *fl_rules_publish(struct fl_ruleset *rs);

/* Free rs, no longer published, once no read section can still be reading it (epoch.h).
 * NULL: nothing. */
void fl_ruleset_retire(struct fl_ruleset *rs);

/* The published ruleset, or NULL. */
struct fl_ruleset *fl_rules_current(void);

/* The FL_NEED_* bits the armed rules covering `call` look at. */
unsigned fl_rules_needs(enum fl_call_id call);

/* Decide a call against the published ruleset: every armed rule covering the call counts it and
 * draws from its stream; the first (in file order) that fires wins. Returns true and fills *v
 * when a rule fired. Inside a read section of its own; never blocks, never allocates (a rule
 * that fires its last `times` re-arms the calls when the rules lock is free, else whoever holds
 * it does so on unlocking). Async-signal-safe. */
bool fl_rules_decide(const struct fl_match *m, struct fl_verdict *v);

/* Decide against a given ruleset (unit tests, and fl_rules_decide), which the caller keeps
 * alive (a read section, or its own). A rule
 * counts a call as matching when every condition it gives holds and the call falls in its time
 * window; of the matching calls, the first `after` pass, then every `every`-th is a candidate,
 * which fires with the rule's probability until the rule has fired `times` times. */
bool fl_ruleset_decide(struct fl_ruleset *rs, const struct fl_match *m, struct fl_verdict *v);

/* How many calls met every condition of rule r: its count and its stripes'. */
uint64_t fl_rule_matched(const struct fl_rule *r);

/* The stream seed of a rule: a function of the seed and the rule's name only. */
uint64_t fl_rule_stream_seed(uint64_t seed, const char *name);

/* In a forked child: the rules lock starts free (fork never waits for it: a signal handler may
 * fork while its thread holds it; what it protects is published through atomic pointers, so
 * the child sees a consistent ruleset). The child is a process of its own: its rules count
 * from zero and draw from streams seeded with `seed` (fl_child_seed). */
void fl_rules_atfork_child(uint64_t seed);

/* The seed of a process's nth forked child (n from 1), derived from the process's seed: the same
 * program forking the same way gets the same children's faults. */
uint64_t fl_child_seed(uint64_t seed, uint64_t nth);

/* Run fn(copy, arg) for each rule of the published ruleset, inside a read section, with a copy
 * of the rule whose counters were read atomically; copy->spec may be read until fn returns.
 * Takes no lock. */
void fl_rules_each(void (*fn)(const struct fl_rule *rule, void *arg), void *arg);

/* ---- run-time control (control.c, the in-process API) ---- */

/* "armed", "dormant" (disabled), "paused" (all rules held) or "spent" (fired `times` times). */
const char *fl_rule_state(const struct fl_rule *r);

/* Arm or disarm the rule called name; arming restarts its start/duration window. Returns 0, or
 * -1 when there is no such rule. */
int fl_rules_enable(const char *name, bool on);

/* Hold every rule (nothing fires, every call takes the fast path) or let them go again. */
void fl_rules_pause(bool on);
bool fl_rules_paused(void);

/* Change one key of the rule called name (fl_config_set_key: validated like the file). The
 * rule keeps its counters and its stream. Returns 0, or -1 with the reason in *diag. */
int fl_rules_set(const char *name, const char *key, const char *value, struct fl_diag *diag);

#endif
