#!/usr/bin/env bash
# New processes where the shim may hold its own state, while a thread keeps the fd table busy
# (it opens, reads and closes a file a rule with a `path` covers, so every fd is recorded):
#   - a signal handler that interrupts that thread anywhere forks, 300 times (the child _exits,
#     the handler waits for it);
#   - 300 children started with clone(CLONE_VM | SIGCHLD), memory shared but not threads, do
#     the same work and are killed with SIGKILL wherever they are.
# Neither may hang: nothing the shim holds can be met held by a handler, a fork or a process
# that shares its memory. The helper's watchdog ends it with 124 after 25 s; bare, each part
# takes a few seconds here.
. "$FL_ROOT/tests/integration/lib.sh"
need_prog fork_in_handler
echo "some bytes to read" > data.txt
rules='rules = ( { name = "never"; calls = ["read"]; path = "'"$PWD"'/data.txt"; error = "EIO";
                   probability = 0.0; } );'
N=300
[ "${FL_VALGRIND:-}" = 1 ] && N=30

modes="fork clone"
# valgrind does not run clone() other than a thread library's or fork's
[ "${FL_VALGRIND:-}" = 1 ] && modes=fork && note "under valgrind: the clone mode is not run"
for mode in $modes; do
    t0=$(now_ms)
    FORK_DEADLINE=25 capture under_shim "$rules" "$FL_PROGS/fork_in_handler" $mode $N "$PWD/data.txt"
    note "$mode: $(($(now_ms) - t0)) ms"
    expect_status "fork_in_handler $mode $N" 0 "$RC"
    expect_eq "$mode: done" "ok $N" "$OUT"
done
