/* Rules at run time: index by call, decisions, per-rule random streams, counters.
 *
 * Deciding takes no lock: a call reads the published ruleset, each rule's spec and its call
 * index through atomic pointers, and counts with atomic adds. The n-th matching call of a rule
 * draws from the n-th block of the rule's counter-based stream, so a rule's decisions depend on
 * the seed, its name and how many calls it has matched. A rule that counts (after, every,
 * times) counts every thread's calls in one sequence; a rule with only a probability counts and
 * draws per stripe of threads (FL_STRIPES), the first thread's stripe keyed as the rule.
 *
 * What changes rules (publish, enable, pause, set) holds `lock`, replaces what it changes and
 * retires the old copy through the epoch module (epoch.h): it is freed once no decision in
 * flight, each inside a read section, can still read it. A decision never waits for the lock:
 * a rule that fires its last `times` asks for the calls to be re-armed (rearm_pending) and does
 * it only when the lock is free; a holder of the lock looks at the request after unlocking
 * (unlock_rules). So a signal handler whose thread holds the lock never waits on it, and fork
 * does not take it. */
#include <errno.h>
#include <fnmatch.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>
#include <time.h>

#include "mix.h"
#include "rules.h"

uint8_t fl_armed[FL_CALL_COUNT];
uint8_t fl_fd_tracking;
/* Calls kept on their slow path, and fd paths kept recorded, whatever the rules (fl_rules_watch). */
static uint8_t watched[FL_CALL_COUNT];
static uint8_t watched_fds;

static struct fl_ruleset *current;
static bool paused;          /* every rule held: nothing armed until resumed */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int rearm_pending;    /* a rule was spent while the lock was busy: re-arm the calls */
static unsigned call_needs[FL_CALL_COUNT]; /* the published ruleset's needs: read without a */
                                           /* read section, as fl_armed is */

static void arm_calls(struct fl_ruleset *rs);

/* Re-arm the calls if a decision asked for it, unless the lock is busy: its holder does it. */
static void rearm_if_asked(void)
{
    while (__atomic_load_n(&rearm_pending, __ATOMIC_SEQ_CST) &&
           pthread_mutex_trylock(&lock) == 0) {
        __atomic_store_n(&rearm_pending, 0, __ATOMIC_SEQ_CST);
        arm_calls(__atomic_load_n(&current, __ATOMIC_ACQUIRE));
        pthread_mutex_unlock(&lock);
    }
}

/* Release the rules lock, then re-arm the calls if a decision asked for it meanwhile. */
static void unlock_rules(void)
{
    pthread_mutex_unlock(&lock);
    rearm_if_asked();
}

/* Draw `slot` (0..3) of the n-th matching call from the stream keyed `key`: splitmix64 is a
 * counter-based generator, so the draw is the stream's (4n + slot)-th output. */
static uint64_t draw_at(uint64_t key, uint64_t n, unsigned slot)
{
    uint64_t state = key + (n * 4 + slot) * 0x9e3779b97f4a7c15ULL;
    return fl_splitmix64(&state);
}

/* A uniform double in [0, 1) from a draw. */
static double unit_of(uint64_t draw)
{
    return (double)(draw >> 11) * 0x1.0p-53;
}

enum { DRAW_FIRE, DRAW_JITTER, DRAW_ACTION }; /* the slots of one matching call's draws */

/* This thread's stripe: threads numbered in the order they first decide, modulo FL_STRIPES. */
static __thread int thread_stripe = -1;
static unsigned threads_seen;

static unsigned stripe_of_thread(void)
{
    if (__builtin_expect(thread_stripe < 0, 0))
        thread_stripe = (int)(__atomic_fetch_add(&threads_seen, 1, __ATOMIC_RELAXED) % FL_STRIPES);
    return (unsigned)thread_stripe;
}

/* The stream key of stripe t of a rule keyed `key`: stripe 0 is the rule's own. */
static uint64_t stripe_key(uint64_t key, unsigned t)
{
    return key ^ (t * 0xa0761d6478bd642fULL);
}

/* Whether a rule counts every thread's calls in one sequence (its triggers need the count). */
static bool counts_all(const struct fl_rule_spec *s)
{
    return s->after || s->after_bytes || s->every > 1 || s->times;
}

/* The spec a rule decides by now. */
static const struct fl_rule_spec *spec_of(const struct fl_rule *r)
{
    return __atomic_load_n(&r->spec, __ATOMIC_ACQUIRE);
}

/* The published index of call c in rs: its rules, in file order. */
static const struct fl_call_rules *rules_of(const struct fl_ruleset *rs, enum fl_call_id c)
{
    return __atomic_load_n(&rs->by_call[c], __ATOMIC_ACQUIRE);
}

uint64_t fl_rule_stream_seed(uint64_t seed, const char *name)
{
    uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a over the name */
    for (const unsigned char *p = (const unsigned char *)name; *p; p++)
        h = (h ^ *p) * 0x100000001b3ULL;
    uint64_t s = seed ^ h;
    return fl_splitmix64(&s);
}

static bool covers(const struct fl_rule_spec *spec, enum fl_call_id call)
{
    return spec->calls[call / 64] >> (call % 64) & 1;
}

/* The index of call c over rules[0..n): the rules that cover it, in file order; NULL when none
 * does or when out of memory (*ok false then). */
static struct fl_call_rules *index_call(struct fl_rule *rules, size_t n, enum fl_call_id c,
                                        bool *ok)
{
    uint32_t k = 0;
    for (size_t i = 0; i < n; i++)
        k += covers(rules[i].spec, c);
    if (!k)
        return NULL;
    struct fl_call_rules *idx = calloc(1, sizeof *idx + k * sizeof idx->rules[0]);
    if (!idx) {
        *ok = false;
        return NULL;
    }
    idx->n = 0;
    for (size_t i = 0; i < n; i++)
        if (covers(rules[i].spec, c))
            idx->rules[idx->n++] = &rules[i];
    return idx;
}

struct fl_ruleset *fl_ruleset_new(struct fl_config *cfg, uint64_t seed)
{
    struct fl_ruleset *rs = calloc(1, sizeof *rs);
    if (!rs)
        return NULL;
    rs->seed = seed;
    rs->nrules = cfg->nrules;
    size_t size = (cfg->nrules ? cfg->nrules : 1) * sizeof *rs->rules; /* a multiple of 64 */
    rs->rules = aligned_alloc(_Alignof(struct fl_rule), size); /* counters on their own lines */
    if (!rs->rules)
        goto err;
    memset(rs->rules, 0, size);
    /* calloc, one stripe more to align them by hand: the stripes of rules that never match
     * stay untouched zero pages, out of the process's resident memory */
    size_t nstripes = (cfg->nrules ? cfg->nrules : 1) * FL_STRIPES;
    rs->stripes_mem = calloc(nstripes + 1, sizeof *rs->stripes);
    if (!rs->stripes_mem)
        goto err;
    uintptr_t at = ((uintptr_t)rs->stripes_mem + _Alignof(struct fl_stripe) - 1) &
                   ~(uintptr_t)(_Alignof(struct fl_stripe) - 1);
    rs->stripes = (struct fl_stripe *)at;
    rs->specs = cfg->rules;
    for (size_t i = 0; i < cfg->nrules; i++) {
        struct fl_rule *r = &rs->rules[i];
        struct fl_rule_spec *s = &rs->specs[i];
        r->stripes = &rs->stripes[i * FL_STRIPES];
        if (s->action == FL_ACT_ERROR && !s->error)
            s->action = FL_ACT_DELAY; /* an error rule with no error only delays */
        r->spec = s;
        r->rng = fl_rule_stream_seed(seed, s->name);
        r->armed = s->enabled;
    }
    bool ok = true;
    for (int c = 0; c < FL_CALL_COUNT; c++)
        rs->by_call[c] = index_call(rs->rules, rs->nrules, c, &ok);
    if (!ok)
        goto err;
    cfg->rules = NULL;
    cfg->nrules = 0;
    return rs;
err:
    for (int c = 0; c < FL_CALL_COUNT; c++)
        free(rs->by_call[c]);
    free(rs->stripes_mem);
    free(rs->rules);
    free(rs);
    return NULL;
}

static void index_free(struct fl_epoch_node *node)
{
    free(node); /* the index starts with its node */
}

/* Index the rules of rs by call again (a rule's calls changed); call with the lock held. The
 * old index is retired: a decision in flight may be walking it. On allocation failure the old
 * index of that call stays. */
static void rebuild_index(struct fl_ruleset *rs)
{
    for (int c = 0; c < FL_CALL_COUNT; c++) {
        bool ok = true;
        struct fl_call_rules *idx = index_call(rs->rules, rs->nrules, c, &ok);
        if (!ok)
            continue;
        struct fl_call_rules *old = __atomic_exchange_n(&rs->by_call[c], idx, __ATOMIC_ACQ_REL);
        if (old)
            fl_epoch_retire(&old->node, index_free, false);
    }
}

/* A spec that `set` made: allocated on its own, with its node, retired when replaced. */
struct set_spec {
    struct fl_epoch_node node;
    struct fl_rule_spec spec;
};

static struct set_spec *set_spec_of(struct fl_rule_spec *spec)
{
    return (struct set_spec *)((char *)spec - offsetof(struct set_spec, spec));
}

static void set_spec_free(struct fl_epoch_node *node)
{
    struct set_spec *ss = (struct set_spec *)node;
    fl_rule_spec_free(&ss->spec);
    free(ss);
}

void fl_ruleset_free(struct fl_ruleset *rs)
{
    if (!rs)
        return;
    for (size_t i = 0; i < rs->nrules; i++) {
        if (rs->rules[i].spec != &rs->specs[i]) /* set replaced it: its own allocation */
            set_spec_free(&set_spec_of(rs->rules[i].spec)->node);
        fl_rule_spec_free(&rs->specs[i]);
    }
    for (int c = 0; c < FL_CALL_COUNT; c++)
        free(rs->by_call[c]);
    free(rs->specs);
    free(rs->stripes_mem);
    free(rs->rules);
    free(rs);
}

/* What a rule looks at, as FL_NEED_* bits. */
static unsigned rule_needs(const struct fl_rule_spec *s, enum fl_call_id call)
{
    unsigned n = 0;
    bool opens_path = fl_calls[call].classes & FL_CLASS_FILE && call != FL_CALL_close &&
                      call != FL_CALL_fclose && call != FL_CALL_fdopen;
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

/* Whether a rule may fire now: armed and not spent. */
static bool live(const struct fl_rule *r)
{
    const struct fl_rule_spec *s = spec_of(r);
    return __atomic_load_n(&r->armed, __ATOMIC_RELAXED) &&
           !(s->times && __atomic_load_n(&r->injected, __ATOMIC_RELAXED) >= s->times);
}

/* Set fl_armed, the needs and fl_fd_tracking from the armed rules of rs (NULL: none); call
 * with the lock held. */
static void arm_calls(struct fl_ruleset *rs)
{
    uint8_t track = 0;
    for (int c = 0; c < FL_CALL_COUNT; c++) {
        uint8_t any = 0;
        unsigned needs = 0;
        const struct fl_call_rules *idx = rs && !paused ? rules_of(rs, c) : NULL;
        for (uint32_t i = 0; idx && i < idx->n; i++) {
            const struct fl_rule *r = idx->rules[i];
            if (!live(r))
                continue; /* dormant or spent: the fast path need not ask */
            any = 1;
            needs |= rule_needs(spec_of(r), c);
        }
        if (rs)
            __atomic_store_n(&rs->needs[c], needs, __ATOMIC_RELAXED);
        __atomic_store_n(&call_needs[c], needs, __ATOMIC_RELAXED);
        track |= (needs & (FL_NEED_PATH | FL_NEED_PEER)) != 0;
        __atomic_store_n(&fl_armed[c], any | watched[c], __ATOMIC_RELEASE);
    }
    __atomic_store_n(&fl_fd_tracking, track | watched_fds, __ATOMIC_RELEASE);
}

void fl_rules_watch(const bool *calls, bool fd_paths)
{
    pthread_mutex_lock(&lock);
    for (int c = 0; c < FL_CALL_COUNT; c++)
        watched[c] = calls[c];
    watched_fds = fd_paths;
    arm_calls(__atomic_load_n(&current, __ATOMIC_ACQUIRE));
    pthread_mutex_unlock(&lock);
}

unsigned fl_rules_needs(enum fl_call_id call)
{
    return __atomic_load_n(&call_needs[call], __ATOMIC_RELAXED);
}

/* CLOCK_MONOTONIC in nanoseconds (vDSO: no syscall). */
static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

struct fl_ruleset *fl_rules_publish(struct fl_ruleset *rs)
{
    uint64_t armed_at = now_ns();
    pthread_mutex_lock(&lock);
    for (size_t i = 0; rs && i < rs->nrules; i++)
        rs->rules[i].armed_at_ns = armed_at;
    struct fl_ruleset *old = __atomic_exchange_n(&current, rs, __ATOMIC_ACQ_REL);
    arm_calls(rs);
    unlock_rules();
    return old != rs ? old : NULL;
}

static void ruleset_free_node(struct fl_epoch_node *node)
{
    fl_ruleset_free((struct fl_ruleset *)node); /* the ruleset starts with its node */
}

void fl_ruleset_retire(struct fl_ruleset *rs)
{
    if (!rs)
        return;
    fl_epoch_retire(&rs->node, ruleset_free_node, false);
    fl_epoch_reclaim(); /* now, when no call is reading it; else later */
}

struct fl_ruleset *fl_rules_current(void)
{
    return __atomic_load_n(&current, __ATOMIC_ACQUIRE);
}

/* The delay a rule firing on its n-th matching call of the stream keyed `key` asks for, with
 * jitter drawn uniformly from [-jitter, +jitter]. */
static uint64_t draw_delay(const struct fl_rule_spec *s, uint64_t key, uint64_t n)
{
    if (!s->jitter_ns)
        return s->delay_ns;
    uint64_t span = 2 * s->jitter_ns + 1;
    return s->delay_ns - s->jitter_ns + draw_at(key, n, DRAW_JITTER) % span;
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
static bool in_window(const struct fl_rule *r, const struct fl_rule_spec *s, uint64_t now_ns)
{
    if (!s->start_ns && !s->duration_ns)
        return true;
    uint64_t armed_at = __atomic_load_n(&r->armed_at_ns, __ATOMIC_RELAXED);
    if (now_ns < armed_at)
        return false; /* the clock was read before the rule was armed */
    uint64_t t = now_ns - armed_at;
    return t >= s->start_ns && (!s->duration_ns || t - s->start_ns < s->duration_ns);
}

/* Count a matching call against the rule's triggers; true when the rule fires on it. *n is the
 * call's number among the matching calls of the stream keyed *key. */
static bool triggers(struct fl_rule *r, const struct fl_rule_spec *s, size_t size, uint64_t *key,
                     uint64_t *n)
{
    if (!counts_all(s)) { /* a probability only: this thread's stripe counts and draws */
        unsigned t = stripe_of_thread();
        *key = stripe_key(r->rng, t);
        *n = __atomic_add_fetch(&r->stripes[t].matched, 1, __ATOMIC_RELAXED);
        return unit_of(draw_at(*key, *n, DRAW_FIRE)) < s->probability;
    }
    uint64_t k = *n = __atomic_add_fetch(&r->matched, 1, __ATOMIC_RELAXED);
    *key = r->rng;
    if (s->after_bytes) { /* the first after_bytes bytes pass; the call that goes past them */
        uint64_t had = __atomic_fetch_add(&r->bytes, size, __ATOMIC_RELAXED); /* does not */
        if (had < s->after_bytes && s->after_bytes - had >= size)
            return false;
    }
    if (k <= s->after || (s->every > 1 && (k - s->after) % s->every != 0))
        return false;
    if (s->times && __atomic_load_n(&r->injected, __ATOMIC_RELAXED) >= s->times)
        return false; /* spent */
    /* Every candidate draws, fired or not, so that its stream never depends on other rules. */
    return unit_of(draw_at(*key, k, DRAW_FIRE)) < s->probability;
}

/* Count a fault against the rule; false when another thread spent its last `times` first.
 * *last is set when this fault spent it. */
static bool take_fault(struct fl_rule *r, const struct fl_rule_spec *s, bool *last)
{
    *last = false;
    if (!s->times) {
        __atomic_add_fetch(&r->injected, 1, __ATOMIC_RELAXED);
        return true;
    }
    uint64_t had = __atomic_load_n(&r->injected, __ATOMIC_RELAXED);
    do {
        if (had >= s->times)
            return false;
    } while (!__atomic_compare_exchange_n(&r->injected, &had, had + 1, true, __ATOMIC_RELAXED,
                                          __ATOMIC_RELAXED));
    *last = had + 1 == s->times;
    return true;
}

bool fl_ruleset_decide(struct fl_ruleset *rs, const struct fl_match *m, struct fl_verdict *v)
{
    v->rule = NULL;
    const struct fl_call_rules *idx = rs ? rules_of(rs, m->call) : NULL;
    for (uint32_t i = 0; idx && i < idx->n; i++) {
        struct fl_rule *r = idx->rules[i];
        const struct fl_rule_spec *s = spec_of(r);
        uint64_t key, n;
        if (!__atomic_load_n(&r->armed, __ATOMIC_RELAXED) || !conditions_hold(s, m) ||
            !in_window(r, s, m->now_ns) || !triggers(r, s, m->size, &key, &n))
            continue;
        bool last;
        if (v->rule || !take_fault(r, s, &last))
            continue; /* an earlier rule won: this one does not count it as fired */
        v->rule = r;
        size_t len = strnlen(s->name, FL_RULE_NAME_MAX);
        memcpy(v->rule_name, s->name, len);
        v->rule_name[len] = '\0';
        v->action = s->action;
        v->error = s->error;
        v->partial_pct = s->partial_pct;
        v->partial_bytes = s->partial_bytes;
        v->corrupt_bits = s->corrupt_bits;
        v->kill_signal = s->kill_signal;
        v->delay_ns = draw_delay(s, key, n);
        v->draw = draw_at(key, n, DRAW_ACTION);
        v->dry_run = s->dry_run;
        __atomic_add_fetch(&r->by_action[v->action], 1, __ATOMIC_RELAXED);
        if (last && rs == fl_rules_current()) { /* spent: its calls may take the fast path */
            __atomic_store_n(&rearm_pending, 1, __ATOMIC_SEQ_CST);
            rearm_if_asked();
        }
    }
    return v->rule != NULL;
}

bool fl_rules_decide(const struct fl_match *m, struct fl_verdict *v)
{
    unsigned token = fl_epoch_enter();
    bool fired = fl_ruleset_decide(fl_rules_current(), m, v);
    fl_epoch_leave(token);
    return fired;
}

uint64_t fl_rule_matched(const struct fl_rule *r)
{
    uint64_t n = __atomic_load_n(&r->matched, __ATOMIC_RELAXED);
    for (int t = 0; r->stripes && t < FL_STRIPES; t++)
        n += __atomic_load_n(&r->stripes[t].matched, __ATOMIC_RELAXED);
    return n;
}

/* A copy of r, its counters read atomically, for readers outside the decision. */
static struct fl_rule snapshot(const struct fl_rule *r)
{
    struct fl_rule copy = {
        .spec = (struct fl_rule_spec *)spec_of(r),
        .rng = r->rng,
        .armed = __atomic_load_n(&r->armed, __ATOMIC_RELAXED),
        .armed_at_ns = __atomic_load_n(&r->armed_at_ns, __ATOMIC_RELAXED),
        .matched = fl_rule_matched(r),
        .stripes = NULL, /* matched holds them */
        .injected = __atomic_load_n(&r->injected, __ATOMIC_RELAXED),
    };
    for (int a = 0; a < FL_ACT_COUNT; a++)
        copy.by_action[a] = __atomic_load_n(&r->by_action[a], __ATOMIC_RELAXED);
    return copy;
}

void fl_rules_each(void (*fn)(const struct fl_rule *rule, void *arg), void *arg)
{
    unsigned token = fl_epoch_enter();
    struct fl_ruleset *rs = fl_rules_current();
    for (size_t i = 0; rs && i < rs->nrules; i++) {
        struct fl_rule copy = snapshot(&rs->rules[i]);
        fn(&copy, arg);
    }
    fl_epoch_leave(token);
}

void fl_rules_atfork_child(uint64_t seed)
{
    pthread_mutex_init(&lock, NULL);
    rearm_pending = 0;
    if (!current)
        return;
    current->seed = seed;
    thread_stripe = 0; /* the child's one thread is its first */
    threads_seen = 1;
    for (size_t i = 0; i < current->nrules; i++) {
        struct fl_rule *r = &current->rules[i];
        r->rng = fl_rule_stream_seed(seed, r->spec->name);
        r->matched = r->injected = r->bytes = 0;
        memset(r->by_action, 0, sizeof r->by_action);
        for (int t = 0; t < FL_STRIPES; t++)
            if (r->stripes[t].matched) /* written only where counted: the rest stay untouched */
                r->stripes[t].matched = 0;
    }
    arm_calls(current); /* rules the parent spent are live again in the child */
}

uint64_t fl_child_seed(uint64_t seed, uint64_t nth)
{
    uint64_t s = seed ^ (nth * 0xd1b54a32d192ed03ULL);
    return fl_splitmix64(&s) & 0x7fffffffffffffffULL;
}

/* ---- run-time control ------------------------------------------------------------------------ */

/* The rule called name in the published ruleset; call with the lock held. */
static struct fl_rule *find(const char *name)
{
    for (size_t i = 0; current && i < current->nrules; i++)
        if (strcmp(current->rules[i].spec->name, name) == 0)
            return &current->rules[i];
    return NULL;
}

const char *fl_rule_state(const struct fl_rule *r)
{
    const struct fl_rule_spec *s = spec_of(r);
    if (s->times && __atomic_load_n(&r->injected, __ATOMIC_RELAXED) >= s->times)
        return "spent";
    if (!__atomic_load_n(&r->armed, __ATOMIC_RELAXED))
        return "dormant";
    return fl_rules_paused() ? "paused" : "armed";
}

int fl_rules_enable(const char *name, bool on)
{
    uint64_t now = now_ns();
    pthread_mutex_lock(&lock);
    struct fl_rule *r = find(name);
    if (r) {
        if (on && !r->armed)
            __atomic_store_n(&r->armed_at_ns, now, __ATOMIC_RELAXED); /* the window restarts */
        __atomic_store_n(&r->armed, on, __ATOMIC_RELEASE);
        arm_calls(current);
    }
    unlock_rules();
    return r ? 0 : -1;
}

void fl_rules_pause(bool on)
{
    pthread_mutex_lock(&lock);
    __atomic_store_n(&paused, on, __ATOMIC_RELAXED);
    arm_calls(current);
    unlock_rules();
}

bool fl_rules_paused(void)
{
    return __atomic_load_n(&paused, __ATOMIC_RELAXED);
}

/* Give spec the name, file and line of old (a rule's name in its text may be missing: "ruleN"
 * comes from its place in the file); false when out of memory. */
static bool keep_origin(struct fl_rule_spec *spec, const struct fl_rule_spec *old)
{
    char *name = strdup(old->name), *file = old->file ? strdup(old->file) : NULL;
    if (!name || (old->file && !file)) {
        free(name);
        free(file);
        return false;
    }
    free(spec->name);
    free(spec->file);
    spec->name = name;
    spec->file = file;
    spec->line = old->line;
    return true;
}

int fl_rules_set(const char *name, const char *key, const char *value, struct fl_diag *diag)
{
    struct set_spec *made = calloc(1, sizeof *made);
    if (!made) {
        snprintf(diag->text, sizeof diag->text, "set: out of memory");
        return -1;
    }
    struct fl_rule_spec *spec = &made->spec;
    pthread_mutex_lock(&lock);
    struct fl_rule *r = find(name);
    int rc = -1;
    if (!r) {
        snprintf(diag->text, sizeof diag->text, "set: no rule '%s'", name);
    } else if (fl_config_set_key(r->spec->text, key, value, spec, diag) == 0) {
        struct fl_rule_spec *old = r->spec;
        if (!keep_origin(spec, old)) {
            snprintf(diag->text, sizeof diag->text, "set: out of memory");
            goto out;
        }
        if (strcmp(key, "dry_run") != 0)
            spec->dry_run = old->dry_run; /* taken from the global, not in the rule's text */
        __atomic_store_n(&r->spec, spec, __ATOMIC_RELEASE);
        size_t i = (size_t)(r - current->rules);
        if (old != &current->specs[i]) /* one set made: decisions in flight may still read it */
            fl_epoch_retire(&set_spec_of(old)->node, set_spec_free, false);
        if (strcmp(key, "enabled") == 0)
            __atomic_store_n(&r->armed, spec->enabled, __ATOMIC_RELEASE);
        rebuild_index(current);
        arm_calls(current);
        made = NULL;
        rc = 0;
    }
out:
    unlock_rules();
    if (made) {
        fl_rule_spec_free(&made->spec);
        free(made);
    }
    fl_epoch_reclaim(); /* what this set replaced, when no call is reading it; else later */
    return rc;
}
