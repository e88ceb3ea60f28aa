/* Epoch-based reclamation with two global reader counts (epoch.h says how and why it is safe).
 * The counts are striped: a thread adds to the count of its stripe (threads numbered in the
 * order they first enter, modulo STRIPES), each on a cache line of its own, so that threads
 * deciding at once do not take one line from each other; advancing sums a parity's stripes. */
#include <stdbool.h>
#include <stddef.h>

#include "epoch.h"

#define STRIPES 8

struct count {
    _Alignas(64) uint64_t n;
};

static uint64_t epoch;                          /* E */
static struct count readers[2][STRIPES];        /* open sections, by parity and stripe */
static struct fl_epoch_node *retired;           /* a lock-free stack of retired objects */
static uint64_t pending;                        /* how many are on it, or being freed */
static int busy;                                /* a thread is reclaiming: others skip */
static unsigned threads_seen;

/* This thread's stripe, and its own open sections per parity (what a forked child keeps). */
static __thread int my_stripe = -1;
static __thread uint64_t depth[2];

static unsigned stripe(void)
{
    if (__builtin_expect(my_stripe < 0, 0))
        my_stripe = (int)(__atomic_fetch_add(&threads_seen, 1, __ATOMIC_RELAXED) % STRIPES);
    return (unsigned)my_stripe;
}

unsigned fl_epoch_enter(void)
{
    unsigned s = stripe();
    for (;;) {
        uint64_t e = __atomic_load_n(&epoch, __ATOMIC_SEQ_CST);
        unsigned p = (unsigned)(e & 1);
        /* depth first and last: a fork from a handler between the two sees one section too
         * many (reclamation stops in that child), never one too few */
        __atomic_add_fetch(&depth[p], 1, __ATOMIC_RELAXED);
        __atomic_add_fetch(&readers[p][s].n, 1, __ATOMIC_SEQ_CST);
        if (__atomic_load_n(&epoch, __ATOMIC_SEQ_CST) == e) {
            /* pairs with the fence in fl_epoch_retire: either this section's loads see what
             * was unpublished before the retiring thread's fence, or that thread reads E >= e */
            __atomic_thread_fence(__ATOMIC_SEQ_CST);
            return p | s << 1;
        }
        __atomic_sub_fetch(&readers[p][s].n, 1, __ATOMIC_SEQ_CST);
        __atomic_sub_fetch(&depth[p], 1, __ATOMIC_RELAXED);
    }
}

void fl_epoch_leave(unsigned token)
{
    unsigned p = token & 1, s = token >> 1;
    __atomic_sub_fetch(&readers[p][s].n, 1, __ATOMIC_SEQ_CST);
    __atomic_sub_fetch(&depth[p], 1, __ATOMIC_RELAXED);
}

/* Advance E by one when the sections of the parity it would reuse have all left. */
static bool advance(void)
{
    uint64_t e = __atomic_load_n(&epoch, __ATOMIC_SEQ_CST);
    unsigned q = (unsigned)((e + 1) & 1);
    for (unsigned s = 0; s < STRIPES; s++)
        if (__atomic_load_n(&readers[q][s].n, __ATOMIC_SEQ_CST) != 0)
            return false;
    return __atomic_compare_exchange_n(&epoch, &e, e + 1, false, __ATOMIC_SEQ_CST,
                                       __ATOMIC_SEQ_CST);
}

/* Push the chain first..last onto the retired stack. */
static void push(struct fl_epoch_node *first, struct fl_epoch_node *last)
{
    struct fl_epoch_node *head = __atomic_load_n(&retired, __ATOMIC_RELAXED);
    do
        last->next = head;
    while (!__atomic_compare_exchange_n(&retired, &head, first, true, __ATOMIC_RELEASE,
                                        __ATOMIC_RELAXED));
}

/* Advance where possible and free what is old enough (all: also what is not signal-safe). */
static unsigned reclaim(bool all)
{
    if (__atomic_exchange_n(&busy, 1, __ATOMIC_ACQUIRE))
        return 0;
    if (advance())
        advance();
    uint64_t now = __atomic_load_n(&epoch, __ATOMIC_SEQ_CST);
    struct fl_epoch_node *list = __atomic_exchange_n(&retired, NULL, __ATOMIC_ACQ_REL);
    struct fl_epoch_node *keep = NULL, *keep_last = NULL;
    unsigned freed = 0;
    while (list) {
        struct fl_epoch_node *n = list;
        list = n->next;
        if (n->epoch + 2 <= now && (all || n->signal_safe)) {
            n->free_fn(n);
            freed++;
        } else {
            n->next = keep;
            keep = n;
            if (!keep_last)
                keep_last = n;
        }
    }
    if (keep)
        push(keep, keep_last);
    __atomic_sub_fetch(&pending, freed, __ATOMIC_RELAXED);
    __atomic_store_n(&busy, 0, __ATOMIC_RELEASE);
    return freed;
}

unsigned fl_epoch_reclaim(void)
{
    return reclaim(true);
}

void fl_epoch_retire(struct fl_epoch_node *node, void (*free_fn)(struct fl_epoch_node *node),
                     bool signal_safe)
{
    node->free_fn = free_fn;
    node->signal_safe = signal_safe;
    /* after the caller's unpublishing store: see fl_epoch_enter */
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    node->epoch = __atomic_load_n(&epoch, __ATOMIC_SEQ_CST);
    __atomic_add_fetch(&pending, 1, __ATOMIC_RELAXED);
    push(node, node);
    reclaim(false);
}

uint64_t fl_epoch_pending(void)
{
    return __atomic_load_n(&pending, __ATOMIC_RELAXED);
}

uint64_t fl_epoch_now(void)
{
    return __atomic_load_n(&epoch, __ATOMIC_SEQ_CST);
}

void fl_epoch_atfork_child(void)
{
    for (unsigned p = 0; p < 2; p++)
        for (unsigned s = 0; s < STRIPES; s++)
            readers[p][s].n = 0;
    if (my_stripe >= 0)
        for (unsigned p = 0; p < 2; p++)
            readers[p][my_stripe].n = depth[p];
    busy = 0;
    threads_seen = my_stripe >= 0 ? (unsigned)my_stripe + 1 : 0;
}
