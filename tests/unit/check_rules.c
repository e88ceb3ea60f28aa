/* Rules at run time (lib/rules.c): rulesets built by hand from fl_rule_spec, decided directly.
 * DESIGN.md, "Config file" (how a rule decides) and "Determinism". */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>

#include "calls.h"
#include "config.h"
#include "rules.h"

#define MS 1000000ull
#define N_DRAWS 100000
#define SEQ_LEN 2000

/* One rule as a config would give it: enabled, covering `call` only. */
static struct fl_rule_spec spec(const char *name, enum fl_call_id call, double probability)
{
    struct fl_rule_spec s = {0};
    s.name = strdup(name);
    s.file = strdup("check_rules.conf");
    ck_assert_ptr_nonnull(s.name);
    ck_assert_ptr_nonnull(s.file);
    s.line = 1;
    s.calls[call / 64] |= 1ull << (call % 64);
    s.enabled = true;
    s.probability = probability;
    s.action = FL_ACT_DELAY; /* with delay_ns 0: fires and does nothing but count */
    return s;
}

static void fail_with(struct fl_rule_spec *s, int error)
{
    s->action = FL_ACT_ERROR;
    s->error = error;
}

static void also_cover(struct fl_rule_spec *s, enum fl_call_id call)
{
    s->calls[call / 64] |= 1ull << (call % 64);
}

/* A ruleset from `n` specs, in file order; the ruleset owns their strings. */
static struct fl_ruleset *build(uint64_t seed, const struct fl_rule_spec *specs, size_t n)
{
    struct fl_config cfg = {0};
    cfg.rules = malloc((n ? n : 1) * sizeof *cfg.rules);
    ck_assert_ptr_nonnull(cfg.rules);
    if (n)
        memcpy(cfg.rules, specs, n * sizeof *specs);
    cfg.nrules = n;
    struct fl_ruleset *rs = fl_ruleset_new(&cfg, seed);
    ck_assert_ptr_nonnull(rs);
    ck_assert_ptr_null(cfg.rules);
    ck_assert_uint_eq(cfg.nrules, 0);
    ck_assert_uint_eq(rs->nrules, n);
    return rs;
}

static struct fl_ruleset *build1(uint64_t seed, struct fl_rule_spec s)
{
    return build(seed, &s, 1);
}

static struct fl_ruleset *build2(uint64_t seed, struct fl_rule_spec a, struct fl_rule_spec b)
{
    struct fl_rule_spec two[2] = {a, b};
    return build(seed, two, 2);
}

static bool decide(struct fl_ruleset *rs, enum fl_call_id call, struct fl_verdict *v)
{
    struct fl_match m = {.call = call, .fd = -1, .path = NULL, .size = 0};
    bool fired = fl_ruleset_decide(rs, &m, v);
    ck_assert_int_eq(fired, v->rule != NULL);
    return fired;
}

/* Fire/no-fire of a one-rule ruleset on `call`, `n` times, into out[]; returns fires. */
static unsigned sequence(struct fl_ruleset *rs, enum fl_call_id call, bool *out, size_t n)
{
    unsigned fires = 0;
    struct fl_verdict v;
    for (size_t i = 0; i < n; i++)
        fires += out[i] = decide(rs, call, &v);
    return fires;
}

/* ---- probability -------------------------------------------------------------------------- */

START_TEST(probability_zero_never_fires)
{
    struct fl_ruleset *rs = build1(42, spec("never", FL_CALL_read, 0.0));
    struct fl_verdict v;
    for (int i = 0; i < N_DRAWS; i++)
        ck_assert(!decide(rs, FL_CALL_read, &v));
    ck_assert_uint_eq(fl_rule_matched(&rs->rules[0]), N_DRAWS);
    ck_assert_uint_eq(rs->rules[0].injected, 0);
    for (int a = 0; a < FL_ACT_COUNT; a++)
        ck_assert_uint_eq(rs->rules[0].by_action[a], 0);
    fl_ruleset_free(rs);
}
END_TEST

START_TEST(probability_one_always_fires)
{
    struct fl_rule_spec s = spec("always", FL_CALL_write, 1.0);
    fail_with(&s, ENOSPC);
    struct fl_ruleset *rs = build1(42, s);
    struct fl_verdict v;
    for (int i = 0; i < N_DRAWS; i++) {
        memset(&v, 0, sizeof v);
        ck_assert(decide(rs, FL_CALL_write, &v));
        ck_assert_ptr_eq(v.rule, &rs->rules[0]);
        ck_assert_int_eq(v.error, ENOSPC);
        ck_assert_int_eq(v.action, FL_ACT_ERROR);
        ck_assert_uint_eq(v.delay_ns, 0);
    }
    ck_assert_uint_eq(fl_rule_matched(&rs->rules[0]), N_DRAWS);
    ck_assert_uint_eq(rs->rules[0].injected, N_DRAWS);
    ck_assert_uint_eq(rs->rules[0].by_action[FL_ACT_ERROR], N_DRAWS);
    fl_ruleset_free(rs);
}
END_TEST

START_TEST(probability_point_three_fires_about_thirty_percent)
{
    /* Fires ~ Binomial(n = 100000, p = 0.3): mean 30000, sd = sqrt(n p (1-p)) = sqrt(21000)
     * ~ 144.9. Six sd (~870) either side is exceeded with probability ~2e-9 for a good stream,
     * so for any seed a failure means a biased generator or comparison, not bad luck; the seed
     * is fixed so the run is reproducible anyway. */
    const double n = N_DRAWS, p = 0.3, sd = sqrt(n * p * (1 - p));
    struct fl_ruleset *rs = build1(20240601, spec("sometimes", FL_CALL_recv, p));
    struct fl_verdict v;
    unsigned fires = 0;
    for (int i = 0; i < N_DRAWS; i++)
        fires += decide(rs, FL_CALL_recv, &v);
    ck_assert_double_eq_tol(sd, 144.9, 0.1);
    ck_assert_double_ge(fires, n * p - 6 * sd);
    ck_assert_double_le(fires, n * p + 6 * sd);
    ck_assert_uint_eq(rs->rules[0].injected, fires);
    ck_assert_uint_eq(fl_rule_matched(&rs->rules[0]), N_DRAWS);
    fl_ruleset_free(rs);
}
END_TEST

/* ---- determinism -------------------------------------------------------------------------- */

START_TEST(same_seed_and_name_give_the_same_sequence)
{
    static bool a[SEQ_LEN], b[SEQ_LEN];
    struct fl_ruleset *r1 = build1(7, spec("flaky", FL_CALL_read, 0.5));
    struct fl_ruleset *r2 = build1(7, spec("flaky", FL_CALL_read, 0.5));
    unsigned f1 = sequence(r1, FL_CALL_read, a, SEQ_LEN);
    unsigned f2 = sequence(r2, FL_CALL_read, b, SEQ_LEN);
    ck_assert_uint_eq(f1, f2);
    ck_assert_mem_eq(a, b, sizeof a);
    ck_assert_uint_gt(f1, 0);
    ck_assert_uint_lt(f1, SEQ_LEN);
    fl_ruleset_free(r1);
    fl_ruleset_free(r2);
}
END_TEST

START_TEST(same_seed_and_name_give_the_same_sequence_on_another_call)
{
    /* The stream depends on seed and name, not on which call the rule covers. */
    static bool a[SEQ_LEN], b[SEQ_LEN];
    struct fl_ruleset *r1 = build1(7, spec("flaky", FL_CALL_read, 0.5));
    struct fl_ruleset *r2 = build1(7, spec("flaky", FL_CALL_connect, 0.5));
    sequence(r1, FL_CALL_read, a, SEQ_LEN);
    sequence(r2, FL_CALL_connect, b, SEQ_LEN);
    ck_assert_mem_eq(a, b, sizeof a);
    fl_ruleset_free(r1);
    fl_ruleset_free(r2);
}
END_TEST

static unsigned differences(const bool *a, const bool *b, size_t n)
{
    unsigned d = 0;
    for (size_t i = 0; i < n; i++)
        d += a[i] != b[i];
    return d;
}

START_TEST(different_seed_gives_a_different_sequence)
{
    /* Two independent p = 0.5 sequences differ at about half the places: 1000 of 2000. */
    static bool a[SEQ_LEN], b[SEQ_LEN];
    struct fl_ruleset *r1 = build1(7, spec("flaky", FL_CALL_read, 0.5));
    struct fl_ruleset *r2 = build1(8, spec("flaky", FL_CALL_read, 0.5));
    sequence(r1, FL_CALL_read, a, SEQ_LEN);
    sequence(r2, FL_CALL_read, b, SEQ_LEN);
    ck_assert_uint_gt(differences(a, b, SEQ_LEN), SEQ_LEN / 4);
    fl_ruleset_free(r1);
    fl_ruleset_free(r2);
}
END_TEST

START_TEST(different_name_gives_a_different_sequence)
{
    static bool a[SEQ_LEN], b[SEQ_LEN];
    struct fl_ruleset *r1 = build1(7, spec("flaky", FL_CALL_read, 0.5));
    struct fl_ruleset *r2 = build1(7, spec("flakz", FL_CALL_read, 0.5));
    sequence(r1, FL_CALL_read, a, SEQ_LEN);
    sequence(r2, FL_CALL_read, b, SEQ_LEN);
    ck_assert_uint_gt(differences(a, b, SEQ_LEN), SEQ_LEN / 4);
    fl_ruleset_free(r1);
    fl_ruleset_free(r2);
}
END_TEST

START_TEST(stream_seed_depends_on_seed_and_name)
{
    const uint64_t base = fl_rule_stream_seed(42, "db-refused");
    ck_assert_uint_eq(base, fl_rule_stream_seed(42, "db-refused"));
    ck_assert_uint_ne(base, fl_rule_stream_seed(43, "db-refused"));
    ck_assert_uint_ne(base, fl_rule_stream_seed(42, "db-refuse"));
    ck_assert_uint_ne(base, fl_rule_stream_seed(42, "db-refused2"));
    ck_assert_uint_ne(fl_rule_stream_seed(42, "ab"), fl_rule_stream_seed(42, "ba"));
    ck_assert_uint_ne(fl_rule_stream_seed(0, ""), fl_rule_stream_seed(1, ""));
    ck_assert_uint_ne(fl_rule_stream_seed(0, ""), fl_rule_stream_seed(0, "a"));
    ck_assert_uint_ne(fl_rule_stream_seed(0, "x"), fl_rule_stream_seed(UINT64_MAX, "x"));
    /* A ruleset starts each rule's stream there, whatever its position. */
    struct fl_ruleset *rs =
        build2(99, spec("first", FL_CALL_read, 1), spec("second", FL_CALL_read, 1));
    ck_assert_uint_eq(rs->seed, 99);
    ck_assert_uint_eq(rs->rules[0].rng, fl_rule_stream_seed(99, "first"));
    ck_assert_uint_eq(rs->rules[1].rng, fl_rule_stream_seed(99, "second"));
    fl_ruleset_free(rs);
}
END_TEST

/* What one rule did on each of SEQ_LEN calls: whether it drew a fire (whether or not it won),
 * its stream state afterwards, and the delay it drew when it fired. */
struct trace {
    uint64_t rng[SEQ_LEN];
    bool won[SEQ_LEN];
    uint64_t delay[SEQ_LEN];
};

/* Run SEQ_LEN calls of `call` (every third one `other` instead, when it is not -1) and trace
 * rule `idx`. Returns how many calls of the traced rule's call there were. */
static unsigned run_trace(struct fl_ruleset *rs, size_t idx, enum fl_call_id call, int other,
                          struct trace *t, bool *other_won)
{
    unsigned calls = 0;
    for (size_t i = 0; i < SEQ_LEN; i++) {
        struct fl_verdict v;
        enum fl_call_id c = (other >= 0 && i % 3 == 2) ? (enum fl_call_id)other : call;
        calls += c == call;
        decide(rs, c, &v);
        t->rng[i] = rs->rules[idx].rng;
        t->won[i] = v.rule == &rs->rules[idx];
        t->delay[i] = t->won[i] ? v.delay_ns : 0;
        if (other_won)
            other_won[i] = v.rule && v.rule != &rs->rules[idx];
    }
    return calls;
}

static struct fl_rule_spec traced_rule(void)
{
    struct fl_rule_spec s = spec("traced", FL_CALL_read, 0.4);
    s.delay_ns = 10 * MS;
    s.jitter_ns = 5 * MS;
    return s;
}

START_TEST(rule_stream_is_unchanged_by_a_later_rule_on_the_same_call)
{
    static struct trace alone, with;
    struct fl_ruleset *r1 = build1(5, traced_rule());
    struct fl_ruleset *r2 = build2(5, traced_rule(), spec("later", FL_CALL_read, 0.5));
    run_trace(r1, 0, FL_CALL_read, -1, &alone, NULL);
    run_trace(r2, 0, FL_CALL_read, -1, &with, NULL);
    ck_assert_mem_eq(alone.rng, with.rng, sizeof alone.rng);
    ck_assert_mem_eq(alone.won, with.won, sizeof alone.won);
    ck_assert_mem_eq(alone.delay, with.delay, sizeof alone.delay);
    ck_assert_uint_eq(fl_rule_matched(&r1->rules[0]), fl_rule_matched(&r2->rules[0]));
    ck_assert_uint_eq(r1->rules[0].injected, r2->rules[0].injected);
    ck_assert_mem_eq(r1->rules[0].by_action, r2->rules[0].by_action,
                     sizeof r1->rules[0].by_action);
    ck_assert_uint_gt(r1->rules[0].injected, 0);
    /* The later rule only fired where the first did not. */
    ck_assert_uint_eq(fl_rule_matched(&r2->rules[1]), SEQ_LEN);
    ck_assert_uint_le(r2->rules[1].injected, SEQ_LEN - r2->rules[0].injected);
    fl_ruleset_free(r1);
    fl_ruleset_free(r2);
}
END_TEST

START_TEST(rule_stream_is_unchanged_by_an_earlier_rule_on_another_call)
{
    static struct trace alone, with;
    struct fl_ruleset *r1 = build1(5, traced_rule());
    struct fl_ruleset *r2 = build2(5, spec("earlier", FL_CALL_write, 0.5), traced_rule());
    unsigned reads = run_trace(r1, 0, FL_CALL_read, FL_CALL_write, &alone, NULL);
    run_trace(r2, 1, FL_CALL_read, FL_CALL_write, &with, NULL);
    ck_assert_mem_eq(alone.rng, with.rng, sizeof alone.rng);
    ck_assert_mem_eq(alone.won, with.won, sizeof alone.won);
    ck_assert_mem_eq(alone.delay, with.delay, sizeof alone.delay);
    ck_assert_uint_eq(fl_rule_matched(&r1->rules[0]), reads);
    ck_assert_uint_eq(fl_rule_matched(&r2->rules[1]), reads);
    ck_assert_uint_eq(r1->rules[0].injected, r2->rules[1].injected);
    ck_assert_uint_eq(fl_rule_matched(&r2->rules[0]), SEQ_LEN - reads);
    fl_ruleset_free(r1);
    fl_ruleset_free(r2);
}
END_TEST

START_TEST(rule_stream_is_unchanged_by_an_earlier_rule_on_the_same_call)
{
    /* The earlier rule wins some calls the traced rule would have fired on: the traced rule
     * still counts them as matched and still draws (its stream stays the same), but does not
     * count them as injected. */
    static struct trace alone, with;
    static bool earlier_won[SEQ_LEN];
    struct fl_ruleset *r1 = build1(5, traced_rule());
    struct fl_ruleset *r2 = build2(5, spec("earlier", FL_CALL_read, 0.5), traced_rule());
    run_trace(r1, 0, FL_CALL_read, -1, &alone, NULL);
    run_trace(r2, 1, FL_CALL_read, -1, &with, earlier_won);
    ck_assert_mem_eq(alone.rng, with.rng, sizeof alone.rng);
    unsigned lost = 0, kept = 0;
    for (size_t i = 0; i < SEQ_LEN; i++) {
        ck_assert_int_eq(with.won[i], alone.won[i] && !earlier_won[i]);
        if (with.won[i])
            ck_assert_uint_eq(with.delay[i], alone.delay[i]);
        lost += alone.won[i] && earlier_won[i];
        kept += with.won[i];
    }
    ck_assert_uint_gt(lost, 0);
    ck_assert_uint_gt(kept, 0);
    ck_assert_uint_eq(fl_rule_matched(&r2->rules[1]), fl_rule_matched(&r1->rules[0]));
    ck_assert_uint_eq(r2->rules[1].injected, kept);
    ck_assert_uint_eq(r1->rules[0].injected, kept + lost);
    fl_ruleset_free(r1);
    fl_ruleset_free(r2);
}
END_TEST

START_TEST(rule_stream_is_unchanged_by_a_dormant_or_never_firing_earlier_rule)
{
    static struct trace alone, with_never, with_dormant;
    struct fl_rule_spec dormant = spec("dormant", FL_CALL_read, 1.0);
    dormant.enabled = false;
    struct fl_ruleset *r1 = build1(5, traced_rule());
    struct fl_ruleset *r2 = build2(5, spec("never", FL_CALL_read, 0.0), traced_rule());
    struct fl_ruleset *r3 = build2(5, dormant, traced_rule());
    run_trace(r1, 0, FL_CALL_read, -1, &alone, NULL);
    run_trace(r2, 1, FL_CALL_read, -1, &with_never, NULL);
    run_trace(r3, 1, FL_CALL_read, -1, &with_dormant, NULL);
    ck_assert_mem_eq(alone.won, with_never.won, sizeof alone.won);
    ck_assert_mem_eq(alone.won, with_dormant.won, sizeof alone.won);
    ck_assert_mem_eq(alone.delay, with_never.delay, sizeof alone.delay);
    ck_assert_mem_eq(alone.delay, with_dormant.delay, sizeof alone.delay);
    ck_assert_uint_eq(r2->rules[1].injected, r1->rules[0].injected);
    ck_assert_uint_eq(r3->rules[1].injected, r1->rules[0].injected);
    fl_ruleset_free(r1);
    fl_ruleset_free(r2);
    fl_ruleset_free(r3);
}
END_TEST

/* ---- several rules on one call ------------------------------------------------------------ */

/* ---- threads -------------------------------------------------------------------------------- */

#define THREADS 4
#define CALLS_PER_THREAD 50000

struct hammer {
    struct fl_ruleset *rs;
    unsigned fires[2]; /* per rule: verdicts it won */
};

static void *hammer_decide(void *arg)
{
    struct hammer *h = arg;
    struct fl_match m = {.call = FL_CALL_write, .fd = -1};
    for (int i = 0; i < CALLS_PER_THREAD; i++) {
        struct fl_verdict v;
        if (fl_ruleset_decide(h->rs, &m, &v))
            __atomic_add_fetch(&h->fires[v.rule == &h->rs->rules[1]], 1, __ATOMIC_RELAXED);
    }
    return NULL;
}

/* Deciding takes no lock: threads deciding at once lose no count and never overspend `times`;
 * a rule that counts (times here) counts every thread's calls in one sequence. */
START_TEST(threads_deciding_at_once_count_every_call_and_never_overspend)
{
    struct fl_rule_spec capped = spec("capped", FL_CALL_write, 0.01);
    capped.times = 100;
    struct fl_ruleset *shared = build2(11, capped, spec("open", FL_CALL_write, 0.05));
    struct hammer many = {.rs = shared};
    pthread_t tid[THREADS];
    for (int t = 0; t < THREADS; t++)
        ck_assert_int_eq(pthread_create(&tid[t], NULL, hammer_decide, &many), 0);
    for (int t = 0; t < THREADS; t++)
        pthread_join(tid[t], NULL);

    const uint64_t total = (uint64_t)THREADS * CALLS_PER_THREAD;
    ck_assert_uint_eq(shared->rules[0].matched, total); /* one sequence: all in the count */
    ck_assert_uint_eq(fl_rule_matched(&shared->rules[0]), total);
    ck_assert_uint_eq(shared->rules[0].injected, 100); /* spent, never overspent */
    ck_assert_uint_eq(many.fires[0], 100);
    ck_assert_uint_eq(fl_rule_matched(&shared->rules[1]), total);
    ck_assert_uint_eq(shared->rules[1].injected, many.fires[1]);
    /* 5% of 200,000 calls, less the at most 100 the capped rule won: mean about 9,995, standard
     * deviation about 97; the bounds are over 6 deviations away. */
    ck_assert_uint_ge(many.fires[1], 9300);
    ck_assert_uint_le(many.fires[1], 10600);
    fl_ruleset_free(shared);
}
END_TEST

/* A rule with only a probability: each thread's stripe counts and draws on its own, none is
 * lost, and the first thread to decide draws exactly what one thread alone draws. */
START_TEST(probability_rule_threads_draw_from_stripes_of_their_own)
{
    struct fl_ruleset *alone = build1(12, spec("only", FL_CALL_write, 0.03));
    struct fl_ruleset *shared = build1(12, spec("only", FL_CALL_write, 0.03));
    struct hammer one = {.rs = alone}, many = {.rs = shared};
    hammer_decide(&one); /* this thread: the first to decide in this process, stripe 0 */
    pthread_t tid[THREADS];
    for (int t = 0; t < THREADS; t++)
        ck_assert_int_eq(pthread_create(&tid[t], NULL, hammer_decide, &many), 0);
    for (int t = 0; t < THREADS; t++)
        pthread_join(tid[t], NULL);
    const uint64_t total = (uint64_t)THREADS * CALLS_PER_THREAD;
    ck_assert_uint_eq(fl_rule_matched(&shared->rules[0]), total);
    ck_assert_uint_eq(shared->rules[0].matched, 0); /* nothing in the shared count */
    unsigned busy = 0;
    for (int t = 0; t < FL_STRIPES; t++)
        busy += shared->rules[0].stripes[t].matched != 0;
    ck_assert_uint_eq(busy, THREADS); /* 4 new threads, 4 stripes after this thread's */
    ck_assert_uint_eq(shared->rules[0].injected, many.fires[0]);
    /* 3% of 200,000: mean 6,000, standard deviation about 76; bounds 6 deviations away. */
    ck_assert_uint_ge(many.fires[0], 5540);
    ck_assert_uint_le(many.fires[0], 6460);
    /* This thread alone, on stripe 0, drew the rule's own stream: what the single-threaded
     * sequence gives, run again. */
    struct fl_ruleset *again = build1(12, spec("only", FL_CALL_write, 0.03));
    struct hammer twice = {.rs = again};
    hammer_decide(&twice);
    ck_assert_uint_eq(twice.fires[0], one.fires[0]);
    ck_assert_uint_eq(alone->rules[0].stripes[0].matched, CALLS_PER_THREAD);
    ck_assert_uint_gt(one.fires[0], 0);
    fl_ruleset_free(alone);
    fl_ruleset_free(shared);
    fl_ruleset_free(again);
}
END_TEST

START_TEST(first_rule_in_file_order_wins_when_both_fire)
{
    struct fl_rule_spec a = spec("first", FL_CALL_connect, 1.0);
    struct fl_rule_spec b = spec("second", FL_CALL_connect, 1.0);
    fail_with(&a, ECONNREFUSED);
    fail_with(&b, ETIMEDOUT);
    struct fl_ruleset *rs = build2(1, a, b);
    struct fl_verdict v;
    for (int i = 0; i < 1000; i++) {
        ck_assert(decide(rs, FL_CALL_connect, &v));
        ck_assert_ptr_eq(v.rule, &rs->rules[0]);
        ck_assert_str_eq(v.rule->spec->name, "first");
        ck_assert_int_eq(v.error, ECONNREFUSED);
    }
    ck_assert_uint_eq(fl_rule_matched(&rs->rules[0]), 1000);
    ck_assert_uint_eq(rs->rules[0].injected, 1000);
    ck_assert_uint_eq(fl_rule_matched(&rs->rules[1]), 1000);
    ck_assert_uint_eq(rs->rules[1].injected, 0);
    for (int act = 0; act < FL_ACT_COUNT; act++)
        ck_assert_uint_eq(rs->rules[1].by_action[act], 0);
    fl_ruleset_free(rs);
}
END_TEST

START_TEST(second_rule_fires_when_the_first_does_not)
{
    struct fl_rule_spec a = spec("wide", FL_CALL_read, 1.0);
    also_cover(&a, FL_CALL_write);
    struct fl_rule_spec b = spec("narrow", FL_CALL_write, 1.0);
    also_cover(&b, FL_CALL_fsync);
    fail_with(&a, EIO);
    fail_with(&b, ENOSPC);
    struct fl_ruleset *rs = build2(1, a, b);
    struct fl_verdict v;
    ck_assert(decide(rs, FL_CALL_write, &v));
    ck_assert_ptr_eq(v.rule, &rs->rules[0]);
    ck_assert(decide(rs, FL_CALL_fsync, &v));
    ck_assert_ptr_eq(v.rule, &rs->rules[1]);
    ck_assert_int_eq(v.error, ENOSPC);
    ck_assert(decide(rs, FL_CALL_read, &v));
    ck_assert_ptr_eq(v.rule, &rs->rules[0]);
    ck_assert_uint_eq(fl_rule_matched(&rs->rules[0]), 2);
    ck_assert_uint_eq(rs->rules[0].injected, 2);
    ck_assert_uint_eq(fl_rule_matched(&rs->rules[1]), 2);
    ck_assert_uint_eq(rs->rules[1].injected, 1);
    ck_assert_uint_eq(rs->by_call[FL_CALL_write]->n, 2);
    ck_assert_ptr_eq(rs->by_call[FL_CALL_write]->rules[0], &rs->rules[0]);
    ck_assert_ptr_eq(rs->by_call[FL_CALL_write]->rules[1], &rs->rules[1]);
    ck_assert_uint_eq(rs->by_call[FL_CALL_read]->n, 1);
    ck_assert_uint_eq(rs->by_call[FL_CALL_fsync]->n, 1);
    ck_assert_ptr_null(rs->by_call[FL_CALL_open]);
    fl_ruleset_free(rs);
}
END_TEST

/* ---- dormant rules, counters -------------------------------------------------------------- */

START_TEST(dormant_rule_is_not_counted_and_never_fires)
{
    struct fl_rule_spec s = spec("sleeper", FL_CALL_fsync, 1.0);
    s.enabled = false;
    fail_with(&s, EIO);
    struct fl_ruleset *rs = build1(3, s);
    ck_assert(!rs->rules[0].armed);
    struct fl_verdict v;
    for (int i = 0; i < 1000; i++)
        ck_assert(!decide(rs, FL_CALL_fsync, &v));
    ck_assert_uint_eq(fl_rule_matched(&rs->rules[0]), 0);
    ck_assert_uint_eq(rs->rules[0].injected, 0);
    /* It did not draw either: its stream is where it started. */
    ck_assert_uint_eq(rs->rules[0].rng, fl_rule_stream_seed(3, "sleeper"));
    /* Switched on at run time, it fires. */
    rs->rules[0].armed = true;
    ck_assert(decide(rs, FL_CALL_fsync, &v));
    ck_assert_int_eq(v.error, EIO);
    ck_assert_uint_eq(fl_rule_matched(&rs->rules[0]), 1);
    ck_assert_uint_eq(rs->rules[0].injected, 1);
    fl_ruleset_free(rs);
}
END_TEST

START_TEST(dormant_rule_does_not_shadow_a_later_one)
{
    struct fl_rule_spec a = spec("sleeper", FL_CALL_fsync, 1.0);
    a.enabled = false;
    fail_with(&a, EIO);
    struct fl_rule_spec b = spec("awake", FL_CALL_fsync, 1.0);
    fail_with(&b, EROFS);
    struct fl_ruleset *rs = build2(3, a, b);
    struct fl_verdict v;
    ck_assert(decide(rs, FL_CALL_fsync, &v));
    ck_assert_ptr_eq(v.rule, &rs->rules[1]);
    ck_assert_int_eq(v.error, EROFS);
    ck_assert_uint_eq(fl_rule_matched(&rs->rules[0]), 0);
    ck_assert_uint_eq(fl_rule_matched(&rs->rules[1]), 1);
    fl_ruleset_free(rs);
}
END_TEST

START_TEST(counters_track_matched_injected_and_by_action)
{
    struct fl_rule_spec err = spec("err", FL_CALL_send, 0.5);
    fail_with(&err, EPIPE);
    err.delay_ns = 2 * MS; /* delay with an error: counted as error */
    struct fl_rule_spec slow = spec("slow", FL_CALL_recv, 0.25);
    slow.delay_ns = 3 * MS;
    struct fl_ruleset *rs = build2(11, err, slow);
    struct fl_verdict v;
    unsigned err_fired = 0, slow_fired = 0;
    for (int i = 0; i < 4000; i++) {
        if (decide(rs, FL_CALL_send, &v)) {
            err_fired++;
            ck_assert_int_eq(v.action, FL_ACT_ERROR);
            ck_assert_int_eq(v.error, EPIPE);
            ck_assert_uint_eq(v.delay_ns, 2 * MS);
        }
        if (i % 2 == 0 && decide(rs, FL_CALL_recv, &v)) {
            slow_fired++;
            ck_assert_int_eq(v.action, FL_ACT_DELAY);
            ck_assert_int_eq(v.error, 0);
            ck_assert_uint_eq(v.delay_ns, 3 * MS);
        }
    }
    const struct fl_rule *e = &rs->rules[0], *s = &rs->rules[1];
    ck_assert_uint_eq(fl_rule_matched(e), 4000);
    ck_assert_uint_eq(e->injected, err_fired);
    ck_assert_uint_eq(e->by_action[FL_ACT_ERROR], err_fired);
    ck_assert_uint_eq(e->by_action[FL_ACT_DELAY], 0);
    ck_assert_uint_eq(fl_rule_matched(s), 2000);
    ck_assert_uint_eq(s->injected, slow_fired);
    ck_assert_uint_eq(s->by_action[FL_ACT_DELAY], slow_fired);
    ck_assert_uint_eq(s->by_action[FL_ACT_ERROR], 0);
    for (int a = FL_ACT_PARTIAL; a < FL_ACT_COUNT; a++) {
        ck_assert_uint_eq(e->by_action[a], 0);
        ck_assert_uint_eq(s->by_action[a], 0);
    }
    /* Sanity on the draws themselves: 0.5 of 4000 and 0.25 of 2000, within 6 sd (~190, ~116). */
    ck_assert_uint_ge(err_fired, 2000 - 190);
    ck_assert_uint_le(err_fired, 2000 + 190);
    ck_assert_uint_ge(slow_fired, 500 - 116);
    ck_assert_uint_le(slow_fired, 500 + 116);
    fl_ruleset_free(rs);
}
END_TEST

/* ---- delays ------------------------------------------------------------------------------- */

START_TEST(jitter_keeps_delays_within_its_span_and_varies_them)
{
    /* delay 100ms, jitter 20ms: uniform over [80ms, 120ms]. With 10000 draws the extremes come
     * within 1ms of the ends (a miss has probability (39/40)^10000 ~ 1e-110), and the mean of
     * a uniform of sd 40ms/sqrt(12) ~ 11.5ms is within 6 * 11.5/sqrt(10000) ~ 0.7ms of 100ms. */
    struct fl_rule_spec s = spec("jittery", FL_CALL_poll, 1.0);
    s.delay_ns = 100 * MS;
    s.jitter_ns = 20 * MS;
    struct fl_ruleset *rs = build1(77, s);
    uint64_t lo = UINT64_MAX, hi = 0;
    double sum = 0;
    for (int i = 0; i < 10000; i++) {
        struct fl_verdict v;
        ck_assert(decide(rs, FL_CALL_poll, &v));
        ck_assert_int_eq(v.action, FL_ACT_DELAY);
        ck_assert_uint_ge(v.delay_ns, 80 * MS);
        ck_assert_uint_le(v.delay_ns, 120 * MS);
        lo = v.delay_ns < lo ? v.delay_ns : lo;
        hi = v.delay_ns > hi ? v.delay_ns : hi;
        sum += (double)v.delay_ns;
    }
    ck_assert_uint_lt(lo, hi);
    ck_assert_uint_lt(lo, 81 * MS);
    ck_assert_uint_gt(hi, 119 * MS);
    ck_assert_double_eq_tol(sum / 10000, 100.0 * MS, 0.7 * MS);
    ck_assert_uint_eq(rs->rules[0].by_action[FL_ACT_DELAY], 10000);
    fl_ruleset_free(rs);
}
END_TEST

START_TEST(jitter_as_large_as_the_delay_stays_non_negative)
{
    struct fl_rule_spec s = spec("wide-jitter", FL_CALL_poll, 1.0);
    s.delay_ns = 1 * MS;
    s.jitter_ns = 1 * MS;
    struct fl_ruleset *rs = build1(77, s);
    for (int i = 0; i < 10000; i++) {
        struct fl_verdict v;
        ck_assert(decide(rs, FL_CALL_poll, &v));
        ck_assert_uint_le(v.delay_ns, 2 * MS);
    }
    fl_ruleset_free(rs);
}
END_TEST

START_TEST(delay_without_jitter_is_exact)
{
    struct fl_rule_spec s = spec("steady", FL_CALL_select, 1.0);
    s.delay_ns = 5 * MS;
    struct fl_ruleset *rs = build1(77, s);
    for (int i = 0; i < 1000; i++) {
        struct fl_verdict v;
        ck_assert(decide(rs, FL_CALL_select, &v));
        ck_assert_uint_eq(v.delay_ns, 5 * MS);
    }
    fl_ruleset_free(rs);
}
END_TEST

/* ---- which calls a rule covers ------------------------------------------------------------ */

START_TEST(rule_on_one_call_never_fires_on_another)
{
    struct fl_rule_spec s = spec("reads-only", FL_CALL_read, 1.0);
    fail_with(&s, EIO);
    struct fl_ruleset *rs = build1(1, s);
    struct fl_verdict v;
    for (int c = 0; c < FL_CALL_COUNT; c++) {
        if (c == FL_CALL_read)
            continue;
        v.rule = &rs->rules[0]; /* stale: decide must clear it */
        ck_assert_msg(!decide(rs, (enum fl_call_id)c, &v), "fired on %s", fl_calls[c].name);
        ck_assert_ptr_null(v.rule);
        ck_assert_ptr_null(rs->by_call[c]);
    }
    ck_assert_uint_eq(fl_rule_matched(&rs->rules[0]), 0);
    ck_assert(decide(rs, FL_CALL_read, &v));
    ck_assert_uint_eq(fl_rule_matched(&rs->rules[0]), 1);
    fl_ruleset_free(rs);
}
END_TEST

START_TEST(rule_on_several_calls_fires_on_each)
{
    struct fl_rule_spec s = spec("several", FL_CALL_read, 1.0);
    also_cover(&s, FL_CALL_write);
    also_cover(&s, (enum fl_call_id)(FL_CALL_COUNT - 1)); /* the last call id */
    struct fl_ruleset *rs = build1(1, s);
    struct fl_verdict v;
    ck_assert(decide(rs, FL_CALL_read, &v));
    ck_assert(decide(rs, FL_CALL_write, &v));
    ck_assert(decide(rs, (enum fl_call_id)(FL_CALL_COUNT - 1), &v));
    ck_assert(!decide(rs, FL_CALL_pread, &v));
    ck_assert(!decide(rs, FL_CALL_malloc, &v));
    ck_assert_uint_eq(fl_rule_matched(&rs->rules[0]), 3);
    fl_ruleset_free(rs);
}
END_TEST

START_TEST(empty_ruleset_never_fires)
{
    struct fl_config cfg = {0};
    struct fl_ruleset *rs = fl_ruleset_new(&cfg, 5);
    ck_assert_ptr_nonnull(rs);
    ck_assert_uint_eq(rs->nrules, 0);
    struct fl_verdict v;
    for (int c = 0; c < FL_CALL_COUNT; c++)
        ck_assert(!decide(rs, (enum fl_call_id)c, &v));
    fl_ruleset_free(rs);
    struct fl_match m = {.call = FL_CALL_read, .fd = -1};
    v.rule = (struct fl_rule *)&m;
    ck_assert(!fl_ruleset_decide(NULL, &m, &v));
    ck_assert_ptr_null(v.rule);
}
END_TEST

/* ---- triggers: after, every, times -------------------------------------------------------- */

START_TEST(after_lets_the_first_matching_calls_pass)
{
    struct fl_rule_spec s = spec("after-ten", FL_CALL_read, 1.0);
    s.after = 10;
    struct fl_ruleset *rs = build1(1, s);
    struct fl_verdict v;
    for (int i = 1; i <= 30; i++)
        ck_assert_msg(decide(rs, FL_CALL_read, &v) == (i > 10), "call %d", i);
    ck_assert_uint_eq(fl_rule_matched(&rs->rules[0]), 30);
    ck_assert_uint_eq(rs->rules[0].injected, 20);
    fl_ruleset_free(rs);
}
END_TEST

START_TEST(every_makes_every_nth_call_after_the_first_ones_a_candidate)
{
    /* DESIGN.md: after = 10, every = 3: the 13th, 16th, 19th ... matching calls. */
    struct fl_rule_spec s = spec("every-third", FL_CALL_write, 1.0);
    s.after = 10;
    s.every = 3;
    struct fl_ruleset *rs = build1(1, s);
    struct fl_verdict v;
    for (int i = 1; i <= 40; i++)
        ck_assert_msg(decide(rs, FL_CALL_write, &v) == (i > 10 && (i - 10) % 3 == 0), "call %d",
                      i);
    ck_assert_uint_eq(fl_rule_matched(&rs->rules[0]), 40);
    ck_assert_uint_eq(rs->rules[0].injected, 10);
    fl_ruleset_free(rs);
}
END_TEST

START_TEST(times_spends_the_rule)
{
    struct fl_rule_spec s = spec("five-times", FL_CALL_fsync, 1.0);
    fail_with(&s, EIO);
    s.times = 5;
    struct fl_ruleset *rs = build1(1, s);
    struct fl_verdict v;
    for (int i = 1; i <= 100; i++)
        ck_assert_msg(decide(rs, FL_CALL_fsync, &v) == (i <= 5), "call %d", i);
    ck_assert_uint_eq(fl_rule_matched(&rs->rules[0]), 100);
    ck_assert_uint_eq(rs->rules[0].injected, 5);
    ck_assert_uint_eq(rs->rules[0].by_action[FL_ACT_ERROR], 5);
    fl_ruleset_free(rs);
}
END_TEST

START_TEST(times_counts_only_the_calls_a_rule_won)
{
    /* The second rule fires on every call, but only the calls the first leaves it count. */
    struct fl_rule_spec b = spec("spent-after-three", FL_CALL_read, 1.0);
    b.times = 3;
    struct fl_ruleset *rs = build2(4, spec("coin", FL_CALL_read, 0.5), b);
    struct fl_verdict v;
    unsigned second_wins = 0, free_calls = 0;
    for (int i = 0; i < 200; i++) {
        decide(rs, FL_CALL_read, &v);
        bool first_won = v.rule == &rs->rules[0];
        free_calls += !first_won;
        if (v.rule == &rs->rules[1]) {
            second_wins++;
            ck_assert_uint_eq(second_wins, free_calls); /* it won each call it was left */
        }
        if (!first_won && free_calls > 3)
            ck_assert_ptr_null(v.rule);
    }
    ck_assert_uint_eq(second_wins, 3);
    ck_assert_uint_eq(rs->rules[1].injected, 3);
    ck_assert_uint_eq(fl_rule_matched(&rs->rules[1]), 200);
    ck_assert_uint_gt(rs->rules[0].injected, 3);
    fl_ruleset_free(rs);
}
END_TEST

/* ---- conditions --------------------------------------------------------------------------- */

static bool decide_m(struct fl_ruleset *rs, struct fl_match m)
{
    struct fl_verdict v;
    bool fired = fl_ruleset_decide(rs, &m, &v);
    ck_assert_int_eq(fired, v.rule != NULL);
    return fired;
}

START_TEST(size_bounds_select_the_calls_that_match)
{
    struct fl_rule_spec s = spec("mid-size", FL_CALL_read, 1.0);
    s.min_size = 4096;
    s.max_size = 8192;
    struct fl_ruleset *rs = build1(1, s);
    struct fl_match m = {.call = FL_CALL_read, .fd = 3};
    static const size_t sizes[] = {0, 4095, 4096, 6000, 8192, 8193, SIZE_MAX};
    static const bool want[] = {false, false, true, true, true, false, false};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        m.size = sizes[i];
        ck_assert_msg(decide_m(rs, m) == want[i], "size %zu", sizes[i]);
    }
    /* Calls that do not meet the conditions are not matching calls. */
    ck_assert_uint_eq(fl_rule_matched(&rs->rules[0]), 3);
    fl_ruleset_free(rs);

    s = spec("no-max", FL_CALL_malloc, 1.0);
    s.min_size = 1;
    rs = build1(1, s);
    m = (struct fl_match){.call = FL_CALL_malloc, .fd = -1, .size = SIZE_MAX};
    ck_assert(decide_m(rs, m));
    m.size = 0;
    ck_assert(!decide_m(rs, m));
    fl_ruleset_free(rs);
}
END_TEST

START_TEST(fd_kind_condition_needs_that_kind)
{
    struct fl_rule_spec s = spec("sockets", FL_CALL_write, 1.0);
    s.fd_kind = FL_FD_SOCKET;
    struct fl_ruleset *rs = build1(1, s);
    struct fl_match m = {.call = FL_CALL_write, .fd = 4, .size = 10};
    m.kind = FL_FD_FILE;
    ck_assert(!decide_m(rs, m));
    m.kind = FL_FD_ANY; /* unknown: a condition on the kind does not hold */
    ck_assert(!decide_m(rs, m));
    m.kind = FL_FD_PIPE;
    ck_assert(!decide_m(rs, m));
    m.kind = FL_FD_SOCKET;
    ck_assert(decide_m(rs, m));
    ck_assert_uint_eq(fl_rule_matched(&rs->rules[0]), 1);
    fl_ruleset_free(rs);
}
END_TEST

START_TEST(eagain_is_injected_only_on_nonblocking_calls)
{
    struct fl_rule_spec s = spec("would-block", FL_CALL_recv, 1.0);
    fail_with(&s, EAGAIN);
    struct fl_ruleset *rs = build1(1, s);
    struct fl_match m = {.call = FL_CALL_recv, .fd = 4, .size = 10, .kind = FL_FD_SOCKET};
    m.nonblock = -1;
    ck_assert(!decide_m(rs, m));
    m.nonblock = 0;
    ck_assert(!decide_m(rs, m));
    m.nonblock = 1;
    ck_assert(decide_m(rs, m));
    ck_assert_uint_eq(fl_rule_matched(&rs->rules[0]), 1);
    m.kind = FL_FD_FILE; /* O_NONBLOCK means nothing to a regular file: never EAGAIN */
    ck_assert(!decide_m(rs, m));
    ck_assert_uint_eq(fl_rule_matched(&rs->rules[0]), 1);
    fl_ruleset_free(rs);
}
END_TEST

START_TEST(partial_matches_only_where_a_short_transfer_is_legal)
{
    struct fl_rule_spec s = spec("short", FL_CALL_recv, 1.0);
    s.action = FL_ACT_PARTIAL;
    s.partial_pct = 50;
    struct fl_ruleset *rs = build1(1, s);
    struct fl_match m = {.call = FL_CALL_recv, .fd = 4, .size = 100, .kind = FL_FD_SOCKET};
    m.no_short = true; /* a datagram, or a pipe write of at most PIPE_BUF */
    ck_assert(!decide_m(rs, m));
    m.no_short = false;
    m.peek = true; /* MSG_PEEK: the bytes stay queued for the next read */
    ck_assert(!decide_m(rs, m));
    ck_assert_uint_eq(fl_rule_matched(&rs->rules[0]), 0); /* neither counts: times is not spent */
    m.peek = false;
    ck_assert(decide_m(rs, m));
    ck_assert_uint_eq(fl_rule_matched(&rs->rules[0]), 1);
    fl_ruleset_free(rs);
}
END_TEST

START_TEST(eintr_is_injected_only_where_a_call_blocks_interruptibly)
{
    struct fl_rule_spec s = spec("interrupted", FL_CALL_read, 1.0);
    also_cover(&s, FL_CALL_poll);
    also_cover(&s, FL_CALL_open);
    also_cover(&s, FL_CALL_connect);
    fail_with(&s, EINTR);
    struct fl_ruleset *rs = build1(1, s);
    ck_assert(!decide_m(rs, (struct fl_match){.call = FL_CALL_read, .fd = 3, .kind = FL_FD_FILE}));
    ck_assert(!decide_m(rs, (struct fl_match){.call = FL_CALL_read, .fd = 3, .kind = FL_FD_ANY}));
    ck_assert(decide_m(rs, (struct fl_match){.call = FL_CALL_read, .fd = 3, .kind = FL_FD_PIPE}));
    ck_assert(decide_m(rs, (struct fl_match){.call = FL_CALL_read, .fd = 3,
                                             .kind = FL_FD_SOCKET}));
    ck_assert(decide_m(rs, (struct fl_match){.call = FL_CALL_poll, .fd = -1}));
    ck_assert(decide_m(rs, (struct fl_match){.call = FL_CALL_connect, .fd = 5}));
    ck_assert(!decide_m(rs, (struct fl_match){.call = FL_CALL_open, .fd = -1}));
    fl_ruleset_free(rs);
}
END_TEST

static struct sockaddr_storage inet_peer(const char *addr, uint16_t port)
{
    struct sockaddr_storage ss = {0};
    struct sockaddr_in *in = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
    if (inet_pton(AF_INET, addr, &in->sin_addr) == 1) {
        in->sin_family = AF_INET;
        in->sin_port = htons(port);
    } else {
        ck_assert_int_eq(inet_pton(AF_INET6, addr, &in6->sin6_addr), 1);
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons(port);
    }
    return ss;
}

static bool fires_for_peer(struct fl_ruleset *rs, const char *addr, uint16_t port)
{
    struct sockaddr_storage ss = inet_peer(addr, port);
    return decide_m(rs, (struct fl_match){.call = FL_CALL_connect, .fd = 5,
                                          .peer = (const struct sockaddr *)&ss});
}

START_TEST(peer_condition_matches_network_and_port)
{
    /* "10.0.0.0/8:5432" */
    struct fl_rule_spec s = spec("db-net", FL_CALL_connect, 1.0);
    s.has_peer = true;
    s.peer.kind = FL_PEER_INET;
    s.peer.family = AF_INET;
    s.peer.addr[0] = 10;
    s.peer.prefix = 8;
    s.peer.port = 5432;
    struct fl_ruleset *rs = build1(1, s);
    ck_assert(fires_for_peer(rs, "10.1.2.3", 5432));
    ck_assert(fires_for_peer(rs, "10.255.255.255", 5432));
    ck_assert(fires_for_peer(rs, "::ffff:10.9.8.7", 5432)); /* v4-mapped is that v4 peer */
    ck_assert(!fires_for_peer(rs, "11.0.0.1", 5432));
    ck_assert(!fires_for_peer(rs, "10.1.2.3", 5433));
    ck_assert(!fires_for_peer(rs, "::1", 5432));
    ck_assert(!decide_m(rs, (struct fl_match){.call = FL_CALL_connect, .fd = 5}));
    struct sockaddr_un un = {.sun_family = AF_UNIX, .sun_path = "/run/db.sock"};
    ck_assert(!decide_m(rs, (struct fl_match){.call = FL_CALL_connect, .fd = 5,
                                              .peer = (const struct sockaddr *)&un}));
    fl_ruleset_free(rs);
}
END_TEST

START_TEST(peer_condition_matches_a_partial_prefix_byte)
{
    /* "192.168.4.0/22": 192.168.4.0 - 192.168.7.255, any port. */
    struct fl_rule_spec s = spec("lan", FL_CALL_connect, 1.0);
    s.has_peer = true;
    s.peer.kind = FL_PEER_INET;
    s.peer.family = AF_INET;
    memcpy(s.peer.addr, (uint8_t[]){192, 168, 4, 0}, 4);
    s.peer.prefix = 22;
    struct fl_ruleset *rs = build1(1, s);
    ck_assert(fires_for_peer(rs, "192.168.4.1", 80));
    ck_assert(fires_for_peer(rs, "192.168.7.254", 443));
    ck_assert(!fires_for_peer(rs, "192.168.3.255", 80));
    ck_assert(!fires_for_peer(rs, "192.168.8.0", 80));
    fl_ruleset_free(rs);
}
END_TEST

START_TEST(peer_condition_matches_ipv6_localhost_and_any_host)
{
    struct fl_rule_spec specs[3];
    specs[0] = spec("v6", FL_CALL_connect, 1.0); /* "[::1]:80" */
    specs[0].has_peer = true;
    specs[0].peer.kind = FL_PEER_INET;
    specs[0].peer.family = AF_INET6;
    specs[0].peer.addr[15] = 1;
    specs[0].peer.prefix = 128;
    specs[0].peer.port = 80;
    specs[1] = spec("local", FL_CALL_connect, 1.0); /* "localhost:6379" */
    specs[1].has_peer = true;
    specs[1].peer.kind = FL_PEER_INET;
    specs[1].peer.localhost = true;
    specs[1].peer.port = 6379;
    specs[2] = spec("any", FL_CALL_connect, 1.0); /* "*:53" */
    specs[2].has_peer = true;
    specs[2].peer.kind = FL_PEER_INET;
    specs[2].peer.any_host = true;
    specs[2].peer.port = 53;
    struct fl_ruleset *rs[3];
    for (int i = 0; i < 3; i++)
        rs[i] = build(1, &specs[i], 1);
    ck_assert(fires_for_peer(rs[0], "::1", 80));
    ck_assert(!fires_for_peer(rs[0], "::2", 80));
    ck_assert(!fires_for_peer(rs[0], "127.0.0.1", 80));
    ck_assert(fires_for_peer(rs[1], "127.0.0.1", 6379));
    ck_assert(fires_for_peer(rs[1], "127.8.9.10", 6379));
    ck_assert(fires_for_peer(rs[1], "::1", 6379));
    ck_assert(fires_for_peer(rs[1], "::ffff:127.0.0.1", 6379));
    ck_assert(!fires_for_peer(rs[1], "10.0.0.1", 6379));
    ck_assert(!fires_for_peer(rs[1], "127.0.0.1", 6380));
    ck_assert(fires_for_peer(rs[2], "8.8.8.8", 53));
    ck_assert(fires_for_peer(rs[2], "2001:db8::1", 53));
    ck_assert(!fires_for_peer(rs[2], "8.8.8.8", 54));
    for (int i = 0; i < 3; i++)
        fl_ruleset_free(rs[i]);
}
END_TEST

/* ---- the path matcher: fnmatch globs without FNM_PATHNAME -------------------------------- */

/* A rule on write with `path` (copied: the ruleset frees it). */
static struct fl_ruleset *path_rule(const char *glob)
{
    struct fl_rule_spec s = spec("by-path", FL_CALL_write, 1.0);
    s.path = strdup(glob);
    ck_assert_ptr_nonnull(s.path);
    return build1(1, s);
}

static bool fires_for_path(struct fl_ruleset *rs, const char *path)
{
    return decide_m(rs, (struct fl_match){.call = FL_CALL_write, .fd = 3, .path = path});
}

START_TEST(path_glob_star_crosses_directories)
{
    struct fl_ruleset *rs = path_rule("/srv/data/*.db");
    ck_assert(fires_for_path(rs, "/srv/data/a.db"));
    ck_assert(fires_for_path(rs, "/srv/data/sub/a.db")); /* '*' matches "sub/a" */
    ck_assert(fires_for_path(rs, "/srv/data/.db"));
    ck_assert(!fires_for_path(rs, "/srv/x.db"));
    ck_assert(!fires_for_path(rs, "/srv/data/a.dbx"));
    ck_assert(!fires_for_path(rs, "/srv/data2/a.db"));
    ck_assert(!fires_for_path(rs, "srv/data/a.db"));
    ck_assert(!fires_for_path(rs, ""));
    ck_assert_uint_eq(fl_rule_matched(&rs->rules[0]), 3);
    fl_ruleset_free(rs);
}
END_TEST

START_TEST(path_glob_classes_and_question_mark)
{
    struct fl_ruleset *rs = path_rule("/var/log/app-?.[0-9]");
    ck_assert(fires_for_path(rs, "/var/log/app-a.1"));
    ck_assert(fires_for_path(rs, "/var/log/app-/.9")); /* '?' matches '/' too */
    ck_assert(!fires_for_path(rs, "/var/log/app-ab.1"));
    ck_assert(!fires_for_path(rs, "/var/log/app-a.x"));
    ck_assert(!fires_for_path(rs, "/var/log/app-a.10"));
    fl_ruleset_free(rs);
}
END_TEST

START_TEST(relative_glob_as_stored_matches_in_any_directory)
{
    /* path = "a.db" is stored as "*" "/a.db". */
    struct fl_ruleset *rs = path_rule("*/a.db");
    ck_assert(fires_for_path(rs, "/x/y/a.db"));
    ck_assert(fires_for_path(rs, "/a.db"));
    ck_assert(!fires_for_path(rs, "/x/ba.db"));
    ck_assert(!fires_for_path(rs, "/x/a.db.bak"));
    ck_assert(!fires_for_path(rs, "/x/a.db/"));
    ck_assert(!fires_for_path(rs, "a.db")); /* no '/': never a tidied absolute path anyway */
    fl_ruleset_free(rs);
}
END_TEST

START_TEST(path_rule_never_matches_a_call_without_a_path)
{
    struct fl_rule_spec specs[2];
    specs[0] = spec("by-path", FL_CALL_write, 1.0);
    specs[0].path = strdup("*");
    ck_assert_ptr_nonnull(specs[0].path);
    specs[1] = spec("any-path", FL_CALL_write, 1.0);
    struct fl_ruleset *rs = build(1, specs, 2);
    struct fl_verdict v;
    struct fl_match m = {.call = FL_CALL_write, .fd = 3, .path = NULL};
    ck_assert(fl_ruleset_decide(rs, &m, &v));
    ck_assert_ptr_eq(v.rule, &rs->rules[1]); /* "*" needs a path; the rule without one fires */
    ck_assert_uint_eq(fl_rule_matched(&rs->rules[0]), 0);
    m.path = "/anything";
    ck_assert(fl_ruleset_decide(rs, &m, &v));
    ck_assert_ptr_eq(v.rule, &rs->rules[0]);
    ck_assert_uint_eq(fl_rule_matched(&rs->rules[0]), 1);
    fl_ruleset_free(rs);
}
END_TEST

/* ---- the peer matcher --------------------------------------------------------------------- */

/* A rule on connect with an IPv4 peer pattern: a.b.c.d/prefix:port (port 0: any). */
static struct fl_ruleset *inet4_rule(const uint8_t a[4], int prefix, uint16_t port)
{
    struct fl_rule_spec s = spec("by-peer", FL_CALL_connect, 1.0);
    s.has_peer = true;
    s.peer.kind = FL_PEER_INET;
    s.peer.family = AF_INET;
    memcpy(s.peer.addr, a, 4);
    s.peer.prefix = prefix;
    s.peer.port = port;
    return build1(1, s);
}

static bool fires_for_unix(struct fl_ruleset *rs, const char *path)
{
    struct sockaddr_un un = {.sun_family = AF_UNIX};
    strncpy(un.sun_path, path, sizeof un.sun_path - 1);
    return decide_m(rs, (struct fl_match){.call = FL_CALL_connect, .fd = 5,
                                          .peer = (const struct sockaddr *)&un});
}

static bool fires_without_peer(struct fl_ruleset *rs)
{
    return decide_m(rs, (struct fl_match){.call = FL_CALL_connect, .fd = 5, .peer = NULL});
}

START_TEST(peer_ipv4_host_and_port_match_exactly)
{
    /* "192.0.2.10:8080" */
    struct fl_ruleset *rs = inet4_rule((uint8_t[]){192, 0, 2, 10}, 32, 8080);
    ck_assert(fires_for_peer(rs, "192.0.2.10", 8080));
    ck_assert(fires_for_peer(rs, "::ffff:192.0.2.10", 8080));
    ck_assert(!fires_for_peer(rs, "192.0.2.11", 8080));
    ck_assert(!fires_for_peer(rs, "192.0.2.10", 8081));
    ck_assert(!fires_for_peer(rs, "192.0.2.10", 80));
    ck_assert(!fires_for_peer(rs, "192.0.2.10", 0));
    ck_assert(!fires_for_peer(rs, "::ffff:192.0.2.11", 8080));
    ck_assert(!fires_for_peer(rs, "::c000:20a", 8080)); /* IPv4-compatible, not mapped */
    ck_assert(!fires_for_unix(rs, "192.0.2.10:8080"));
    ck_assert(!fires_without_peer(rs));
    ck_assert_uint_eq(fl_rule_matched(&rs->rules[0]), 2);
    fl_ruleset_free(rs);
}
END_TEST

START_TEST(peer_any_host_with_a_port_matches_every_inet_family)
{
    /* "*:443" */
    struct fl_rule_spec s = spec("tls", FL_CALL_connect, 1.0);
    s.has_peer = true;
    s.peer.kind = FL_PEER_INET;
    s.peer.any_host = true;
    s.peer.port = 443;
    struct fl_ruleset *rs = build1(1, s);
    ck_assert(fires_for_peer(rs, "198.51.100.1", 443));
    ck_assert(fires_for_peer(rs, "::1", 443));
    ck_assert(fires_for_peer(rs, "::ffff:10.0.0.1", 443));
    ck_assert(!fires_for_peer(rs, "198.51.100.1", 444));
    ck_assert(!fires_for_peer(rs, "::1", 8443));
    ck_assert(!fires_for_unix(rs, "/run/tls.sock"));
    ck_assert(!fires_without_peer(rs));
    fl_ruleset_free(rs);
}
END_TEST

START_TEST(peer_cidr_slash_eight_and_slash_zero)
{
    /* "10.0.0.0/8" (any port) */
    struct fl_ruleset *rs = inet4_rule((uint8_t[]){10, 0, 0, 0}, 8, 0);
    ck_assert(fires_for_peer(rs, "10.0.0.0", 1));
    ck_assert(fires_for_peer(rs, "10.200.3.4", 65535));
    ck_assert(fires_for_peer(rs, "::ffff:10.1.1.1", 22));
    ck_assert(!fires_for_peer(rs, "9.255.255.255", 1));
    ck_assert(!fires_for_peer(rs, "11.0.0.0", 1));
    ck_assert(!fires_for_peer(rs, "::a00:1", 1)); /* IPv6 whose leading bytes are not 10 */
    fl_ruleset_free(rs);

    /* "0.0.0.0/0:53": every IPv4 peer on port 53, no IPv6 one. */
    rs = inet4_rule((uint8_t[]){0, 0, 0, 0}, 0, 53);
    ck_assert(fires_for_peer(rs, "0.0.0.0", 53));
    ck_assert(fires_for_peer(rs, "255.255.255.255", 53));
    ck_assert(fires_for_peer(rs, "8.8.4.4", 53));
    ck_assert(fires_for_peer(rs, "::ffff:1.2.3.4", 53));
    ck_assert(!fires_for_peer(rs, "8.8.4.4", 5353));
    ck_assert(!fires_for_peer(rs, "::1", 53));
    ck_assert(!fires_for_peer(rs, "2001:db8::53", 53));
    ck_assert(!fires_without_peer(rs));
    fl_ruleset_free(rs);
}
END_TEST

START_TEST(peer_ipv6_host_and_port)
{
    /* "[::1]:80", and "[2001:db8::]/32" */
    struct fl_rule_spec s = spec("v6", FL_CALL_connect, 1.0);
    s.has_peer = true;
    s.peer.kind = FL_PEER_INET;
    s.peer.family = AF_INET6;
    s.peer.addr[15] = 1;
    s.peer.prefix = 128;
    s.peer.port = 80;
    struct fl_ruleset *rs = build1(1, s);
    ck_assert(fires_for_peer(rs, "::1", 80));
    ck_assert(!fires_for_peer(rs, "::1", 81));
    ck_assert(!fires_for_peer(rs, "::", 80));
    ck_assert(!fires_for_peer(rs, "1::1", 80));
    ck_assert(!fires_for_peer(rs, "127.0.0.1", 80)); /* localhost, but not ::1 */
    ck_assert(!fires_for_peer(rs, "0.0.0.1", 80));   /* the same last byte in IPv4 */
    fl_ruleset_free(rs);

    s = spec("doc-net", FL_CALL_connect, 1.0);
    s.has_peer = true;
    s.peer.kind = FL_PEER_INET;
    s.peer.family = AF_INET6;
    memcpy(s.peer.addr, (uint8_t[]){0x20, 0x01, 0x0d, 0xb8}, 4);
    s.peer.prefix = 32;
    rs = build1(1, s);
    ck_assert(fires_for_peer(rs, "2001:db8::1", 443));
    ck_assert(fires_for_peer(rs, "2001:db8:ffff:ffff::", 1));
    ck_assert(!fires_for_peer(rs, "2001:db9::1", 443));
    ck_assert(!fires_for_peer(rs, "32.1.13.184", 443)); /* the same four bytes as IPv4 */
    fl_ruleset_free(rs);
}
END_TEST

START_TEST(peer_ipv4_mapped_ipv6_matches_an_ipv4_pattern)
{
    /* "127.0.0.1:80": a dual-stack socket's peer ::ffff:127.0.0.1 is that IPv4 peer. */
    struct fl_ruleset *rs = inet4_rule((uint8_t[]){127, 0, 0, 1}, 32, 80);
    ck_assert(fires_for_peer(rs, "::ffff:127.0.0.1", 80));
    ck_assert(fires_for_peer(rs, "127.0.0.1", 80));
    ck_assert(!fires_for_peer(rs, "::ffff:127.0.0.2", 80));
    ck_assert(!fires_for_peer(rs, "::ffff:127.0.0.1", 81));
    ck_assert(!fires_for_peer(rs, "::1", 80));
    fl_ruleset_free(rs);
}
END_TEST

START_TEST(peer_localhost_is_127_slash_8_and_ipv6_loopback)
{
    /* "localhost" (any port) */
    struct fl_rule_spec s = spec("local", FL_CALL_connect, 1.0);
    s.has_peer = true;
    s.peer.kind = FL_PEER_INET;
    s.peer.localhost = true;
    struct fl_ruleset *rs = build1(1, s);
    ck_assert(fires_for_peer(rs, "127.0.0.5", 1));
    ck_assert(fires_for_peer(rs, "127.255.255.255", 65535));
    ck_assert(fires_for_peer(rs, "::1", 5432));
    ck_assert(fires_for_peer(rs, "::ffff:127.0.0.5", 5432));
    ck_assert(!fires_for_peer(rs, "10.0.0.1", 1));
    ck_assert(!fires_for_peer(rs, "128.0.0.1", 1));
    ck_assert(!fires_for_peer(rs, "::2", 1));
    ck_assert(!fires_for_peer(rs, "::", 1));
    ck_assert(!fires_for_peer(rs, "::ffff:10.0.0.1", 1));
    ck_assert(!fires_for_unix(rs, "/run/localhost.sock"));
    ck_assert(!fires_without_peer(rs));
    fl_ruleset_free(rs);
}
END_TEST

START_TEST(peer_unix_path_glob)
{
    /* A unix peer: a glob on the socket path, "/run/" then "*.sock" (freed with the ruleset). */
    struct fl_rule_spec s = spec("sock", FL_CALL_connect, 1.0);
    s.has_peer = true;
    s.peer.kind = FL_PEER_UNIX;
    s.peer.unix_path = strdup("/run/*.sock");
    ck_assert_ptr_nonnull(s.peer.unix_path);
    struct fl_ruleset *rs = build1(1, s);
    ck_assert(fires_for_unix(rs, "/run/db.sock"));
    ck_assert(fires_for_unix(rs, "/run/postgresql/x.sock")); /* '*' crosses '/' */
    ck_assert(!fires_for_unix(rs, "/tmp/db.sock"));
    ck_assert(!fires_for_unix(rs, "/run/db.sock.lock"));
    ck_assert(!fires_for_unix(rs, "")); /* unnamed (socketpair) */
    ck_assert(!fires_for_peer(rs, "127.0.0.1", 80));
    ck_assert(!fires_for_peer(rs, "::1", 80));
    ck_assert(!fires_without_peer(rs));
    ck_assert_uint_eq(fl_rule_matched(&rs->rules[0]), 2);
    fl_ruleset_free(rs);

    /* "unix:*": every unix peer, but an inet address is never read as a socket path. */
    s = spec("any-sock", FL_CALL_connect, 1.0);
    s.has_peer = true;
    s.peer.kind = FL_PEER_UNIX;
    s.peer.unix_path = strdup("*");
    ck_assert_ptr_nonnull(s.peer.unix_path);
    rs = build1(1, s);
    ck_assert(fires_for_unix(rs, "/any/where"));
    ck_assert(!fires_for_peer(rs, "127.0.0.1", 80));
    ck_assert(!fires_for_peer(rs, "10.0.0.1", 20480));
    ck_assert(!fires_for_peer(rs, "::1", 80));
    fl_ruleset_free(rs);
}
END_TEST

START_TEST(peer_rule_never_matches_a_call_without_a_peer)
{
    /* "*" (any host, any port) still needs a peer; a rule with no peer condition does not. */
    struct fl_rule_spec specs[2];
    specs[0] = spec("any-peer", FL_CALL_connect, 1.0);
    specs[0].has_peer = true;
    specs[0].peer.kind = FL_PEER_INET;
    specs[0].peer.any_host = true;
    specs[1] = spec("no-peer", FL_CALL_connect, 1.0);
    struct fl_ruleset *rs = build(1, specs, 2);
    struct fl_verdict v;
    struct fl_match m = {.call = FL_CALL_connect, .fd = 5, .peer = NULL};
    ck_assert(fl_ruleset_decide(rs, &m, &v));
    ck_assert_ptr_eq(v.rule, &rs->rules[1]);
    ck_assert_uint_eq(fl_rule_matched(&rs->rules[0]), 0);
    struct sockaddr_storage ss = inet_peer("203.0.113.1", 1);
    m.peer = (const struct sockaddr *)&ss;
    ck_assert(fl_ruleset_decide(rs, &m, &v));
    ck_assert_ptr_eq(v.rule, &rs->rules[0]);
    /* A socket address of another family (AF_UNSPEC) is not an inet peer. */
    struct sockaddr_storage unspec = {.ss_family = AF_UNSPEC};
    m.peer = (const struct sockaddr *)&unspec;
    ck_assert(fl_ruleset_decide(rs, &m, &v));
    ck_assert_ptr_eq(v.rule, &rs->rules[1]);
    ck_assert_uint_eq(fl_rule_matched(&rs->rules[0]), 1);
    fl_ruleset_free(rs);
}
END_TEST

START_TEST(time_window_counts_from_arming)
{
    /* start = "2s", duration = "30s": active in [2s, 32s) after the rule is armed. */
    const uint64_t S = 1000000000ull;
    struct fl_rule_spec s = spec("window", FL_CALL_read, 1.0);
    s.start_ns = 2 * S;
    s.duration_ns = 30 * S;
    struct fl_ruleset *rs = build1(1, s);
    rs->rules[0].armed_at_ns = 100 * S;
    struct fl_match m = {.call = FL_CALL_read, .fd = 3};
    static const struct { uint64_t at; bool in; } points[] = {
        {100, false}, {101, false}, {102, true}, {110, true}, {131, true}, {132, false},
        {1000, false},
    };
    for (size_t i = 0; i < sizeof points / sizeof points[0]; i++) {
        m.now_ns = points[i].at * S;
        ck_assert_msg(decide_m(rs, m) == points[i].in, "at %llus",
                      (unsigned long long)points[i].at);
    }
    m.now_ns = 102 * S - 1;
    ck_assert(!decide_m(rs, m));
    m.now_ns = 132 * S - 1;
    ck_assert(decide_m(rs, m));
    /* Calls outside the window are not matching calls. */
    ck_assert_uint_eq(fl_rule_matched(&rs->rules[0]), 4);
    fl_ruleset_free(rs);
}
END_TEST

START_TEST(rule_without_window_ignores_the_clock)
{
    struct fl_ruleset *rs = build1(1, spec("always", FL_CALL_read, 1.0));
    struct fl_match m = {.call = FL_CALL_read, .fd = 3};
    ck_assert(decide_m(rs, m)); /* now_ns 0: not filled in */
    m.now_ns = UINT64_MAX;
    ck_assert(decide_m(rs, m));
    fl_ruleset_free(rs);
}
END_TEST

/* ---- verdicts ----------------------------------------------------------------------------- */

START_TEST(verdict_carries_the_rules_action)
{
    struct fl_rule_spec s = spec("short", FL_CALL_read, 1.0);
    s.action = FL_ACT_PARTIAL;
    s.partial_pct = 50;
    s.delay_ns = 1 * MS;
    s.dry_run = true;
    struct fl_ruleset *rs = build1(1, s);
    struct fl_verdict v;
    uint64_t draws[2];
    for (int i = 0; i < 2; i++) {
        ck_assert(decide(rs, FL_CALL_read, &v));
        ck_assert_int_eq(v.action, FL_ACT_PARTIAL);
        ck_assert_int_eq(v.error, 0);
        ck_assert_uint_eq(v.delay_ns, 1 * MS);
        ck_assert(v.dry_run);
        draws[i] = v.draw;
    }
    ck_assert_uint_ne(draws[0], draws[1]);
    ck_assert_uint_eq(rs->rules[0].by_action[FL_ACT_PARTIAL], 2);
    ck_assert_uint_eq(rs->rules[0].by_action[FL_ACT_DELAY], 0);
    fl_ruleset_free(rs);
}
END_TEST

START_TEST(error_action_without_an_error_only_delays)
{
    struct fl_rule_spec s = spec("no-error", FL_CALL_read, 1.0);
    s.action = FL_ACT_ERROR;
    s.delay_ns = 7 * MS;
    struct fl_ruleset *rs = build1(1, s);
    ck_assert_int_eq(rs->rules[0].spec->action, FL_ACT_DELAY);
    struct fl_verdict v;
    ck_assert(decide(rs, FL_CALL_read, &v));
    ck_assert_int_eq(v.action, FL_ACT_DELAY);
    ck_assert_uint_eq(v.delay_ns, 7 * MS);
    ck_assert_uint_eq(rs->rules[0].by_action[FL_ACT_DELAY], 1);
    ck_assert_uint_eq(rs->rules[0].by_action[FL_ACT_ERROR], 0);
    fl_ruleset_free(rs);
}
END_TEST

/* ---- publishing --------------------------------------------------------------------------- */

static void collect_names(const struct fl_rule *r, void *arg)
{
    char *buf = arg;
    strcat(buf, r->spec->name);
    strcat(buf, ";");
}

START_TEST(publish_arms_exactly_the_calls_of_armed_rules)
{
    struct fl_rule_spec specs[3];
    specs[0] = spec("io", FL_CALL_read, 1.0);
    also_cover(&specs[0], FL_CALL_write);
    fail_with(&specs[0], EIO);
    specs[1] = spec("net-dormant", FL_CALL_connect, 1.0);
    specs[1].enabled = false;
    specs[2] = spec("oom", FL_CALL_malloc, 1.0);
    fail_with(&specs[2], ENOMEM);
    struct fl_ruleset *rs = build(9, specs, 3);
    for (int c = 0; c < FL_CALL_COUNT; c++)
        ck_assert(!fl_call_armed((enum fl_call_id)c));
    ck_assert_ptr_null(fl_rules_current());

    fl_rules_publish(rs);
    ck_assert_ptr_eq(fl_rules_current(), rs);
    for (int c = 0; c < FL_CALL_COUNT; c++) {
        bool want = c == FL_CALL_read || c == FL_CALL_write || c == FL_CALL_malloc;
        ck_assert_msg(fl_call_armed((enum fl_call_id)c) == want, "%s armed %d",
                      fl_calls[c].name, fl_armed[c]);
    }
    struct fl_match m = {.call = FL_CALL_malloc, .fd = -1, .size = 64};
    struct fl_verdict v;
    ck_assert(fl_rules_decide(&m, &v));
    ck_assert_ptr_eq(v.rule, &rs->rules[2]);
    ck_assert_int_eq(v.error, ENOMEM);
    m.call = FL_CALL_connect;
    ck_assert(!fl_rules_decide(&m, &v));

    char names[64] = "";
    fl_rules_each(collect_names, names);
    ck_assert_str_eq(names, "io;net-dormant;oom;");

    fl_rules_publish(NULL);
    ck_assert_ptr_null(fl_rules_current());
    for (int c = 0; c < FL_CALL_COUNT; c++)
        ck_assert(!fl_call_armed((enum fl_call_id)c));
    m.call = FL_CALL_malloc;
    ck_assert(!fl_rules_decide(&m, &v));
    names[0] = '\0';
    fl_rules_each(collect_names, names);
    ck_assert_str_eq(names, "");
    fl_ruleset_free(rs);
}
END_TEST

START_TEST(publish_of_only_dormant_rules_arms_nothing)
{
    struct fl_rule_spec s = spec("sleeper", FL_CALL_read, 1.0);
    also_cover(&s, FL_CALL_fsync);
    s.enabled = false;
    struct fl_ruleset *rs = build1(9, s);
    fl_rules_publish(rs);
    for (int c = 0; c < FL_CALL_COUNT; c++)
        ck_assert(!fl_call_armed((enum fl_call_id)c));
    fl_rules_publish(NULL);
    fl_ruleset_free(rs);
}
END_TEST

START_TEST(publish_records_what_armed_rules_look_at)
{
    struct fl_rule_spec specs[4];
    specs[0] = spec("kind", FL_CALL_read, 1.0);
    specs[0].fd_kind = FL_FD_PIPE;
    specs[1] = spec("peer", FL_CALL_connect, 1.0);
    specs[1].has_peer = true;
    specs[1].peer.kind = FL_PEER_INET;
    specs[1].peer.any_host = true;
    specs[1].peer.port = 80;
    specs[2] = spec("nonblock", FL_CALL_recv, 1.0);
    fail_with(&specs[2], EAGAIN);
    specs[3] = spec("window", FL_CALL_write, 1.0);
    specs[3].duration_ns = 1000 * MS;
    struct fl_ruleset *rs = build(9, specs, 4);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    fl_rules_publish(rs);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    uint64_t lo = (uint64_t)t0.tv_sec * 1000000000u + (uint64_t)t0.tv_nsec;
    uint64_t hi = (uint64_t)t1.tv_sec * 1000000000u + (uint64_t)t1.tv_nsec;
    for (int i = 0; i < 4; i++) {
        ck_assert_uint_ge(rs->rules[i].armed_at_ns, lo);
        ck_assert_uint_le(rs->rules[i].armed_at_ns, hi);
    }
    ck_assert_uint_eq(fl_rules_needs(FL_CALL_read), FL_NEED_KIND);
    ck_assert_uint_eq(fl_rules_needs(FL_CALL_connect), FL_NEED_PEER);
    ck_assert_uint_eq(fl_rules_needs(FL_CALL_recv), FL_NEED_NONBLOCK | FL_NEED_KIND);
    ck_assert_uint_eq(fl_rules_needs(FL_CALL_write), FL_NEED_TIME);
    ck_assert_uint_eq(fl_rules_needs(FL_CALL_open), 0);
    ck_assert_uint_eq(fl_fd_tracking, 1);

    fl_rules_publish(NULL);
    ck_assert_uint_eq(fl_rules_needs(FL_CALL_read), 0);
    ck_assert_uint_eq(fl_fd_tracking, 0);
    fl_ruleset_free(rs);
}
END_TEST

static Suite *rules_suite(void)
{
    Suite *s = suite_create("rules");
    TCase *prob = tcase_create("probability");
    tcase_add_test(prob, probability_zero_never_fires);
    tcase_add_test(prob, probability_one_always_fires);
    tcase_add_test(prob, probability_point_three_fires_about_thirty_percent);
    suite_add_tcase(s, prob);

    TCase *det = tcase_create("determinism");
    tcase_add_test(det, same_seed_and_name_give_the_same_sequence);
    tcase_add_test(det, same_seed_and_name_give_the_same_sequence_on_another_call);
    tcase_add_test(det, different_seed_gives_a_different_sequence);
    tcase_add_test(det, different_name_gives_a_different_sequence);
    tcase_add_test(det, stream_seed_depends_on_seed_and_name);
    tcase_add_test(det, rule_stream_is_unchanged_by_a_later_rule_on_the_same_call);
    tcase_add_test(det, rule_stream_is_unchanged_by_an_earlier_rule_on_another_call);
    tcase_add_test(det, rule_stream_is_unchanged_by_an_earlier_rule_on_the_same_call);
    tcase_add_test(det, rule_stream_is_unchanged_by_a_dormant_or_never_firing_earlier_rule);
    suite_add_tcase(s, det);

    TCase *order = tcase_create("order");
    tcase_add_test(order, first_rule_in_file_order_wins_when_both_fire);
    tcase_add_test(order, second_rule_fires_when_the_first_does_not);
    tcase_add_test(order, dormant_rule_is_not_counted_and_never_fires);
    tcase_add_test(order, dormant_rule_does_not_shadow_a_later_one);
    tcase_add_test(order, counters_track_matched_injected_and_by_action);
    suite_add_tcase(s, order);

    TCase *threads = tcase_create("threads");
    tcase_add_test(threads, threads_deciding_at_once_count_every_call_and_never_overspend);
    tcase_add_test(threads, probability_rule_threads_draw_from_stripes_of_their_own);
    suite_add_tcase(s, threads);

    TCase *delay = tcase_create("delay");
    tcase_add_test(delay, jitter_keeps_delays_within_its_span_and_varies_them);
    tcase_add_test(delay, jitter_as_large_as_the_delay_stays_non_negative);
    tcase_add_test(delay, delay_without_jitter_is_exact);
    suite_add_tcase(s, delay);

    TCase *trig = tcase_create("triggers");
    tcase_add_test(trig, after_lets_the_first_matching_calls_pass);
    tcase_add_test(trig, every_makes_every_nth_call_after_the_first_ones_a_candidate);
    tcase_add_test(trig, times_spends_the_rule);
    tcase_add_test(trig, times_counts_only_the_calls_a_rule_won);
    tcase_add_test(trig, verdict_carries_the_rules_action);
    tcase_add_test(trig, error_action_without_an_error_only_delays);
    suite_add_tcase(s, trig);

    TCase *cond = tcase_create("conditions");
    tcase_add_test(cond, size_bounds_select_the_calls_that_match);
    tcase_add_test(cond, fd_kind_condition_needs_that_kind);
    tcase_add_test(cond, eagain_is_injected_only_on_nonblocking_calls);
    tcase_add_test(cond, partial_matches_only_where_a_short_transfer_is_legal);
    tcase_add_test(cond, eintr_is_injected_only_where_a_call_blocks_interruptibly);
    tcase_add_test(cond, peer_condition_matches_network_and_port);
    tcase_add_test(cond, peer_condition_matches_a_partial_prefix_byte);
    tcase_add_test(cond, peer_condition_matches_ipv6_localhost_and_any_host);
    tcase_add_test(cond, path_glob_star_crosses_directories);
    tcase_add_test(cond, path_glob_classes_and_question_mark);
    tcase_add_test(cond, relative_glob_as_stored_matches_in_any_directory);
    tcase_add_test(cond, path_rule_never_matches_a_call_without_a_path);
    tcase_add_test(cond, peer_ipv4_host_and_port_match_exactly);
    tcase_add_test(cond, peer_any_host_with_a_port_matches_every_inet_family);
    tcase_add_test(cond, peer_cidr_slash_eight_and_slash_zero);
    tcase_add_test(cond, peer_ipv6_host_and_port);
    tcase_add_test(cond, peer_ipv4_mapped_ipv6_matches_an_ipv4_pattern);
    tcase_add_test(cond, peer_localhost_is_127_slash_8_and_ipv6_loopback);
    tcase_add_test(cond, peer_unix_path_glob);
    tcase_add_test(cond, peer_rule_never_matches_a_call_without_a_peer);
    tcase_add_test(cond, time_window_counts_from_arming);
    tcase_add_test(cond, rule_without_window_ignores_the_clock);
    suite_add_tcase(s, cond);

    TCase *calls = tcase_create("calls");
    tcase_add_test(calls, rule_on_one_call_never_fires_on_another);
    tcase_add_test(calls, rule_on_several_calls_fires_on_each);
    tcase_add_test(calls, empty_ruleset_never_fires);
    tcase_add_test(calls, publish_arms_exactly_the_calls_of_armed_rules);
    tcase_add_test(calls, publish_of_only_dormant_rules_arms_nothing);
    tcase_add_test(calls, publish_records_what_armed_rules_look_at);
    suite_add_tcase(s, calls);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(rules_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
