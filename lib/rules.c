/* Rules at run time: index by call, decisions, per-rule random streams, counters. */
#include <errno.h>
#include <fnmatch.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>
#include <time.h>

#include "rules.h"

uint8_t fl_armed[FL_CALL_COUNT];
uint8_t fl_fd_tracking;

static struct fl_ruleset *current;
static bool paused;          /* every rule held: nothing armed until resumed */
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
        if (r->spec.action == FL_ACT_ERROR && !r->spec.error)
            r->spec.action = FL_ACT_DELAY; /* an error rule with no error only delays */
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

/* Index the rules of rs by call again (a rule's calls changed); call with the lock held. On
 * allocation failure the old index stays. */
static void rebuild_index(struct fl_ruleset *rs)
{
    for (int c = 0; c < FL_CALL_COUNT; c++) {
        uint32_t n = 0;
        for (size_t i = 0; i < rs->nrules; i++)
            n += covers(&rs->rules[i].spec, c);
        struct fl_rule **list = n ? calloc(n, sizeof *list) : NULL;
        if (n && !list)
            continue;
        n = 0;
        for (size_t i = 0; i < rs->nrules; i++)
            if (covers(&rs->rules[i].spec, c))
                list[n++] = &rs->rules[i];
        struct fl_rule **old = rs->by_call[c];
        rs->by_call[c] = list;
        rs->nby_call[c] = n;
        free(old); /* deciding holds the lock: no one is walking it */
    }
}

void fl_ruleset_free(struct fl_ruleset *rs)
{
    if (!rs)
        return;
    for (size_t i = 0; i < rs->nrules; i++)
        fl_rule_spec_free(&rs->rules[i].spec);
    for (int c = 0; c < FL_CALL_COUNT; c++)
        free(rs->by_call[c]);
    free(rs->rules);
    free(rs);
}

/* What a rule looks at, as FL_NEED_* bits. */
static unsigned rule_needs(const struct fl_rule_spec *s, enum fl_call_id call)
{
    unsigned n = 0;
    bool opens_path = fl_calls[call].classes & FL_CLASS_FILE && call != FL_CALL_close &&
                      call != FL_CALL_fdopen;
    if (s->path && !opens_path)
        n |= FL_NEED_PATH;
    if (s->has_peer)
        n |= FL_NEED_PEER;
    if (s->fd_kind != FL_FD_ANY)
        n |= FL_NEED_KIND;
    if (s->action == FL_ACT_ERROR && s->error == EAGAIN)
        n |= FL_NEED_NONBLOCK | FL_NEED_KIND;
    if (s->action == FL_ACT_PARTIAL)
        n |= FL_NEED_SHORT;
    if (s->action == FL_ACT_ERROR && s->error == EINTR)
        n |= FL_NEED_KIND;
    if (s->start_ns || s->duration_ns)
        n |= FL_NEED_TIME;
    return n;
}

/* Set fl_armed, the needs and fl_fd_tracking from the armed rules of rs (NULL: none). */
static void arm_calls(struct fl_ruleset *rs)
{
    uint8_t track = 0;
    for (int c = 0; c < FL_CALL_COUNT; c++) {
        uint8_t any = 0;
        unsigned needs = 0;
        for (uint32_t i = 0; rs && !paused && i < rs->nby_call[c]; i++) {
            const struct fl_rule *r = rs->by_call[c][i];
            if (!r->armed || (r->spec.times && r->injected >= r->spec.times))
                continue; /* dormant or spent: the fast path need not ask */
            any = 1;
            needs |= rule_needs(&r->spec, c);
        }
        if (rs)
            rs->needs[c] = needs;
        track |= (needs & (FL_NEED_PATH | FL_NEED_PEER)) != 0;
        __atomic_store_n(&fl_armed[c], any, __ATOMIC_RELEASE);
    }
    __atomic_store_n(&fl_fd_tracking, track, __ATOMIC_RELEASE);
}

unsigned fl_rules_needs(enum fl_call_id call)
{
    struct fl_ruleset *rs = fl_rules_current();
    return rs ? rs->needs[call] : 0;
}

/* CLOCK_MONOTONIC in nanoseconds (vDSO: no syscall). */
static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void fl_rules_publish(struct fl_ruleset *rs)
{
    uint64_t armed_at = now_ns();
    pthread_mutex_lock(&lock);
    for (size_t i = 0; rs && i < rs->nrules; i++)
        rs->rules[i].armed_at_ns = armed_at;
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

/* Whether a peer pattern matches a socket address. */
static bool peer_matches(const struct fl_peer *p, const struct sockaddr *sa)
{
    if (!sa)
        return false;
    if (p->kind == FL_PEER_UNIX) {
        const struct sockaddr_un *un = (const struct sockaddr_un *)sa;
        return sa->sa_family == AF_UNIX && fnmatch(p->unix_path, un->sun_path, 0) == 0;
    }
    const uint8_t *addr;
    int family = sa->sa_family, bits;
    uint16_t port;
    if (family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
        addr = (const uint8_t *)&in->sin_addr;
        port = ntohs(in->sin_port);
        bits = 32;
    } else if (family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
        addr = in6->sin6_addr.s6_addr;
        port = ntohs(in6->sin6_port);
        bits = 128;
        if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) { /* ::ffff:a.b.c.d is an IPv4 peer */
            family = AF_INET;
            addr += 12;
            bits = 32;
        }
    } else {
        return false;
    }
    if (p->port && p->port != port)
        return false;
    if (p->any_host)
        return true;
    if (p->localhost)
        return family == AF_INET ? addr[0] == 127
                                 : memcmp(addr, in6addr_loopback.s6_addr, 16) == 0;
    if (p->family != family || p->prefix > bits)
        return false;
    int full = p->prefix / 8, rest = p->prefix % 8;
    if (memcmp(addr, p->addr, (size_t)full) != 0)
        return false;
    uint8_t mask = (uint8_t)(0xff << (8 - rest));
    return rest == 0 || (addr[full] & mask) == (p->addr[full] & mask);
}

/* Whether an EINTR fault is faithful for this call: only calls that block interruptibly. */
static bool interruptible(const struct fl_match *m)
{
    unsigned cls = fl_calls[m->call].classes;
    if (cls & FL_CLASS_WAIT || m->call == FL_CALL_connect || m->call == FL_CALL_accept)
        return true;
    if (cls & (FL_CLASS_READ | FL_CLASS_WRITE))
        return m->kind == FL_FD_SOCKET || m->kind == FL_FD_PIPE || m->kind == FL_FD_TTY;
    return false;
}

/* Whether the call meets every condition the rule gives. */
static bool conditions_hold(const struct fl_rule_spec *s, const struct fl_match *m)
{
    if (s->path && (!m->path || fnmatch(s->path, m->path, 0) != 0))
        return false;
    if (s->has_peer && !peer_matches(&s->peer, m->peer))
        return false;
    if (s->fd_kind != FL_FD_ANY && m->kind != s->fd_kind)
        return false;
    if (m->size < s->min_size || (s->max_size && m->size > s->max_size))
        return false;
    if (s->action == FL_ACT_ERROR && s->error == EAGAIN &&
        (m->nonblock != 1 || m->kind == FL_FD_FILE))
        return false; /* EAGAIN on a blocking fd, or a regular file: no kernel does that */
    if (m->peek && (s->action == FL_ACT_PARTIAL || s->action == FL_ACT_EOF ||
                    s->action == FL_ACT_CORRUPT))
        return false; /* a peek leaves the bytes queued: the next read would undo the fault */
    if (s->action == FL_ACT_PARTIAL && m->no_short)
        return false; /* datagrams and small pipe writes are all or nothing */
    if (s->action == FL_ACT_ERROR && s->error == EINTR && !interruptible(m))
        return false;
    return true;
}

/* Whether the call falls in the rule's window [start, start + duration) since arming. */
static bool in_window(const struct fl_rule *r, uint64_t now_ns)
{
    const struct fl_rule_spec *s = &r->spec;
    if (!s->start_ns && !s->duration_ns)
        return true;
    if (now_ns < r->armed_at_ns)
        return false; /* the clock was read before the rule was armed */
    uint64_t t = now_ns - r->armed_at_ns;
    return t >= s->start_ns && (!s->duration_ns || t - s->start_ns < s->duration_ns);
}

/* Count a matching call against the rule's triggers; true when the rule fires on it. */
static bool triggers(struct fl_rule *r)
{
    const struct fl_rule_spec *s = &r->spec;
    r->matched++;
    if (r->matched <= s->after || (r->matched - s->after) % (s->every ? s->every : 1) != 0)
        return false;
    if (s->times && r->injected >= s->times)
        return false; /* spent */
    /* Every candidate draws, fired or not, so that its stream never depends on other rules. */
    return next_unit(&r->rng) < s->probability;
}

bool fl_ruleset_decide(struct fl_ruleset *rs, const struct fl_match *m, struct fl_verdict *v)
{
    v->rule = NULL;
    if (!rs)
        return false;
    for (uint32_t i = 0; i < rs->nby_call[m->call]; i++) {
        struct fl_rule *r = rs->by_call[m->call][i];
        if (!r->armed || !conditions_hold(&r->spec, m) || !in_window(r, m->now_ns))
            continue;
        if (!triggers(r))
            continue;
        uint64_t delay_ns = draw_delay(r);
        uint64_t draw = next_u64(&r->rng);
        if (v->rule)
            continue; /* an earlier rule won: this one does not count it as fired */
        v->rule = r;
        v->action = r->spec.action;
        v->error = r->spec.error;
        v->delay_ns = delay_ns;
        v->draw = draw;
        v->dry_run = r->spec.dry_run;
        r->injected++;
        r->by_action[v->action]++;
        if (r->spec.times && r->injected == r->spec.times && rs == current)
            arm_calls(rs); /* spent: its calls may go back to the fast path */
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

void fl_rules_atfork_child(uint64_t seed)
{
    pthread_mutex_init(&lock, NULL);
    if (!current)
        return;
    current->seed = seed;
    for (size_t i = 0; i < current->nrules; i++) {
        struct fl_rule *r = &current->rules[i];
        r->rng = fl_rule_stream_seed(seed, r->spec.name);
        r->matched = r->injected = 0;
        memset(r->by_action, 0, sizeof r->by_action);
    }
}

uint64_t fl_child_seed(uint64_t seed, uint64_t nth)
{
    uint64_t s = seed ^ (nth * 0xd1b54a32d192ed03ULL);
    return next_u64(&s) & 0x7fffffffffffffffULL;
}

/* ---- run-time control ------------------------------------------------------------------------ */

/* The rule called name in the published ruleset; call with the lock held. */
static struct fl_rule *find(const char *name)
{
    for (size_t i = 0; current && i < current->nrules; i++)
        if (strcmp(current->rules[i].spec.name, name) == 0)
            return &current->rules[i];
    return NULL;
}

const char *fl_rule_state(const struct fl_rule *r)
{
    if (r->spec.times && r->injected >= r->spec.times)
        return "spent";
    if (!r->armed)
        return "dormant";
    return paused ? "paused" : "armed";
}

int fl_rules_enable(const char *name, bool on)
{
    uint64_t now = now_ns();
    pthread_mutex_lock(&lock);
    struct fl_rule *r = find(name);
    if (r) {
        if (on && !r->armed)
            r->armed_at_ns = now; /* start and duration count from here */
        r->armed = on;
        arm_calls(current);
    }
    pthread_mutex_unlock(&lock);
    return r ? 0 : -1;
}

void fl_rules_pause(bool on)
{
    pthread_mutex_lock(&lock);
    paused = on;
    arm_calls(current);
    pthread_mutex_unlock(&lock);
}

bool fl_rules_paused(void)
{
    return __atomic_load_n(&paused, __ATOMIC_RELAXED);
}

int fl_rules_set(const char *name, const char *key, const char *value, struct fl_diag *diag)
{
    struct fl_rule_spec spec;
    pthread_mutex_lock(&lock);
    struct fl_rule *r = find(name);
    int rc = -1;
    if (!r)
        snprintf(diag->text, sizeof diag->text, "set: no rule '%s'", name);
    else if (fl_config_set_key(r->spec.text, key, value, &spec, diag) == 0) {
        if (strcmp(key, "dry_run") != 0)
            spec.dry_run = r->spec.dry_run; /* taken from the global, not in the rule's text */
        if (strcmp(key, "enabled") == 0)
            r->armed = spec.enabled;
        free(spec.file);
        spec.file = r->spec.file; /* still where it was written */
        spec.line = r->spec.line;
        r->spec.file = NULL;
        char *old_name = r->spec.name; /* in-flight events may still print it: kept */
        r->spec.name = NULL;
        fl_rule_spec_free(&r->spec);
        free(spec.name);
        spec.name = old_name;
        r->spec = spec;
        rebuild_index(current);
        arm_calls(current);
        rc = 0;
    }
    pthread_mutex_unlock(&lock);
    return rc;
}
