/* Rules at run time: index by call, decisions, per-rule random streams, counters. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "rules.h"

uint8_t fl_armed[FL_CALL_COUNT];

static struct fl_ruleset *current;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

/* splitmix64: small, fast, and good enough to decide faults; state is one word per rule. */
static uint64_t next_u64(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* A uniform double in [0, 1). */
static double next_unit(uint64_t *state)
{
    return (double)(next_u64(state) >> 11) * 0x1.0p-53;
}

uint64_t fl_rule_stream_seed(uint64_t seed, const char *name)
{
    uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a over the name */
    for (const unsigned char *p = (const unsigned char *)name; *p; p++)
        h = (h ^ *p) * 0x100000001b3ULL;
    uint64_t s = seed ^ h;
    return next_u64(&s);
}

static bool covers(const struct fl_rule_spec *spec, enum fl_call_id call)
{
    return spec->calls[call / 64] >> (call % 64) & 1;
}

struct fl_ruleset *fl_ruleset_new(struct fl_config *cfg, uint64_t seed)
{
    struct fl_ruleset *rs = calloc(1, sizeof *rs);
    if (!rs)
        return NULL;
    rs->seed = seed;
    rs->nrules = cfg->nrules;
    rs->rules = calloc(cfg->nrules ? cfg->nrules : 1, sizeof *rs->rules);
    if (!rs->rules)
        goto err;
    for (size_t i = 0; i < cfg->nrules; i++) {
        struct fl_rule *r = &rs->rules[i];
        r->spec = cfg->rules[i];
        r->rng = fl_rule_stream_seed(seed, r->spec.name);
        r->armed = r->spec.enabled;
        for (int c = 0; c < FL_CALL_COUNT; c++)
            rs->nby_call[c] += covers(&r->spec, c);
    }
    for (int c = 0; c < FL_CALL_COUNT; c++) {
        if (!rs->nby_call[c])
            continue;
        rs->by_call[c] = calloc(rs->nby_call[c], sizeof *rs->by_call[c]);
        if (!rs->by_call[c])
            goto err;
        uint32_t n = 0;
        for (size_t i = 0; i < rs->nrules; i++)
            if (covers(&rs->rules[i].spec, c))
                rs->by_call[c][n++] = &rs->rules[i];
    }
    free(cfg->rules);
    cfg->rules = NULL;
    cfg->nrules = 0;
    return rs;
err:
    for (int c = 0; c < FL_CALL_COUNT; c++)
        free(rs->by_call[c]);
    free(rs->rules);
    free(rs);
    return NULL;
}

void fl_ruleset_free(struct fl_ruleset *rs)
{
    if (!rs)
        return;
    for (size_t i = 0; i < rs->nrules; i++) {
        free(rs->rules[i].spec.name);
        free(rs->rules[i].spec.file);
    }
    for (int c = 0; c < FL_CALL_COUNT; c++)
        free(rs->by_call[c]);
    free(rs->rules);
    free(rs);
}

static void arm_calls(const struct fl_ruleset *rs)
{
    for (int c = 0; c < FL_CALL_COUNT; c++) {
        uint8_t any = 0;
        for (uint32_t i = 0; rs && i < rs->nby_call[c]; i++)
            any |= rs->by_call[c][i]->armed;
        __atomic_store_n(&fl_armed[c], any, __ATOMIC_RELEASE);
    }
}

void fl_rules_publish(struct fl_ruleset *rs)
{
    pthread_mutex_lock(&lock);
    __atomic_store_n(&current, rs, __ATOMIC_RELEASE);
    arm_calls(rs);
    pthread_mutex_unlock(&lock);
}

struct fl_ruleset *fl_rules_current(void)
{
    return __atomic_load_n(&current, __ATOMIC_ACQUIRE);
}

/* The delay a firing rule asks for, with jitter drawn uniformly from [-jitter, +jitter]. */
static uint64_t draw_delay(struct fl_rule *r)
{
    const struct fl_rule_spec *s = &r->spec;
    if (!s->jitter_ns)
        return s->delay_ns;
    uint64_t span = 2 * s->jitter_ns + 1;
    return s->delay_ns - s->jitter_ns + next_u64(&r->rng) % span;
}

bool fl_ruleset_decide(struct fl_ruleset *rs, const struct fl_match *m, struct fl_verdict *v)
{
    v->rule = NULL;
    if (!rs)
        return false;
    for (uint32_t i = 0; i < rs->nby_call[m->call]; i++) {
        struct fl_rule *r = rs->by_call[m->call][i];
        if (!r->armed)
            continue;
        r->matched++;
        /* Every rule draws, fired or not, so that its stream never depends on other rules. */
        if (next_unit(&r->rng) >= r->spec.probability)
            continue;
        uint64_t delay_ns = draw_delay(r);
        if (v->rule)
            continue; /* an earlier rule won: this one does not count it as fired */
        v->rule = r;
        v->error = r->spec.error;
        v->action = r->spec.error ? FL_ACT_ERROR : FL_ACT_DELAY;
        v->delay_ns = delay_ns;
        r->injected++;
        r->by_action[v->action]++;
    }
    return v->rule != NULL;
}

bool fl_rules_decide(const struct fl_match *m, struct fl_verdict *v)
{
    pthread_mutex_lock(&lock);
    bool fired = fl_ruleset_decide(current, m, v);
    pthread_mutex_unlock(&lock);
    return fired;
}

void fl_rules_each(void (*fn)(const struct fl_rule *rule, void *arg), void *arg)
{
    pthread_mutex_lock(&lock);
    for (size_t i = 0; current && i < current->nrules; i++)
        fn(&current->rules[i], arg);
    pthread_mutex_unlock(&lock);
}

void fl_rules_atfork_prepare(void)
{
    pthread_mutex_lock(&lock);
}

void fl_rules_atfork_parent(void)
{
    pthread_mutex_unlock(&lock);
}

void fl_rules_atfork_child(void)
{
    pthread_mutex_init(&lock, NULL);
    for (size_t i = 0; current && i < current->nrules; i++) {
        uint64_t s = current->rules[i].rng ^ 0x6a09e667f3bcc909ULL;
        current->rules[i].rng = next_u64(&s);
    }
}
