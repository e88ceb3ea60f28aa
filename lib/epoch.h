/* Safe memory reclamation for what the shim unpublishes while calls may still be reading it (a
 * replaced ruleset, spec or call index, an fd-table record): epoch-based, with two global reader
 * counts instead of a per-thread registry.
 *
 * A reader brackets its reads with fl_epoch_enter / fl_epoch_leave (a read section). A writer
 * unpublishes an object (an atomic store or exchange of the pointer that led to it) and then
 * hands it to fl_epoch_retire, which frees it once no read section that could have seen it is
 * still open. Sections are async-signal-safe, nest (a signal handler may open one while its
 * thread is inside another) and never block; retiring never blocks; nothing here takes a lock.
 *
 * How. A global epoch E. Entering reads e = E, adds 1 to readers[e & 1], and reads E again:
 * when E moved in between, it takes its count back and tries again, so a section that is open
 * was counted while E was still e (its "parity" p = e & 1). E advances from e to e + 1 only
 * when readers[(e + 1) & 1] is 0: the sections of the previous parity have all left. An object
 * retired while E was R is freed once E >= R + 2.
 *
 * Why that is safe. Every operation on E and on readers[] is sequentially consistent, so they
 * all fall in one total order S. Take a section that loaded a pointer to object X before X was
 * unpublished; its count was added, and E read again as e, before that load, so before the
 * unpublishing, so before the retiring thread read E as R: e <= R. While the section is open,
 * E cannot pass e + 1: advancing e + 1 -> e + 2 checks readers[e & 1] after reading E == e + 1,
 * which comes after the CAS e -> e + 1, which comes after the section's second read of E (it
 * saw e), which comes after its add; so the check sees the section's count. Hence a section
 * that may hold X keeps E <= e + 1 <= R + 1, and E >= R + 2 proves every such section left.
 * Its reads of X happen before its (seq_cst, so releasing) subtraction, which the advancing
 * thread's (seq_cst, so acquiring) check read: the reads happen before the free.
 *
 * Who frees. fl_epoch_retire tries to advance and frees what is old enough and was retired as
 * signal-safe (its free function is async-signal-safe, as the fd table's is: the retiring
 * thread may be in a signal handler, or a handler of its may fork, and free(3) holds malloc's
 * locks), unless another thread is already at it (a flag, tried and never waited on).
 * fl_epoch_reclaim frees everything old enough: call it where free(3) is safe (the control
 * thread after reload and set, and now and then).
 * Reclaiming threads each take the whole list of retired objects with one exchange, so two at
 * once (a flag reset by fork, see below) never free one object twice.
 *
 * Fork. The child has one thread, the one that forked; its sections, counted in a thread-local
 * depth per parity, are the only ones left (fork may have been called from a signal handler
 * that interrupted a section). fl_epoch_atfork_child sets each count to that thread's depth and
 * drops the flag; retired objects stay on the list and are freed in the child as in the parent.
 *
 * Limits. A process that shares memory without being a thread (clone(CLONE_VM) without
 * CLONE_THREAD) and is killed inside a section leaves its count behind: nothing blocks, but
 * reclamation stops from then on (memory retired later is kept). */
#ifndef FL_EPOCH_H
#define FL_EPOCH_H

#include <stdbool.h>
#include <stdint.h>

/* An object waiting to be freed: embed one in what is retired. */
struct fl_epoch_node {
    struct fl_epoch_node *next;
    uint64_t epoch;                        /* E when it was retired */
    void (*free_fn)(struct fl_epoch_node *node);
    bool signal_safe;                      /* free_fn is async-signal-safe */
};

/* Open a read section; returns the token fl_epoch_leave takes. Async-signal-safe, nests, never
 * blocks; two sequentially consistent atomic adds and two loads. */
unsigned fl_epoch_enter(void);

/* Close the read section that fl_epoch_enter opened with `token`. Nothing read inside may be
 * used after. */
void fl_epoch_leave(unsigned token);

/* Hand over an object that has just been unpublished (no new section can reach it): free_fn(node)
 * runs once every section that may still be reading it has left, on whichever thread reclaims
 * then. signal_safe: free_fn is async-signal-safe. Never blocks; may free older signal-safe
 * objects on the calling thread. Async-signal-safe. */
void fl_epoch_retire(struct fl_epoch_node *node, void (*free_fn)(struct fl_epoch_node *node),
                     bool signal_safe);

/* Advance the epoch where it can and free every retired object old enough; returns how many
 * were freed. Does nothing (returns 0) while another thread is at it. Never blocks, but calls
 * free functions that may not be async-signal-safe: not from a signal handler. */
unsigned fl_epoch_reclaim(void);

/* How many retired objects wait to be freed (tests, and the control thread's decision to call
 * fl_epoch_reclaim). */
uint64_t fl_epoch_pending(void);

/* The current epoch (tests). */
uint64_t fl_epoch_now(void);

/* In a forked child: the counts become the forking thread's own open sections; retired
 * objects are kept and freed later as usual. Call first in the child's fork handler. */
void fl_epoch_atfork_child(void);

#endif
