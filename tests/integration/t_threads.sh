#!/usr/bin/env bash
# Threads: 8 threads each make 200 write(2) calls at once under a write rule. Every call fails
# with the rule's errno, and the event log holds exactly 1 + 1600 whole JSON lines (one write
# each, never interleaved), 200 per thread id, each carrying the process's pid.
. "$FL_ROOT/tests/integration/lib.sh"
need_prog thread_writer
python_bin
T=8 N=200

rules='rules=({name="tw"; calls=["write"]; error="EIO";});'
env LD_PRELOAD="$FL_LIB" FAULTLINE_RULES="$rules" FAULTLINE_LOG="$PWD/ev.jsonl" \
    "$FL_PROGS/thread_writer" $T $N >out.txt 2>err.txt &
pid=$!
wait $pid
expect_status "thread_writer" 0 "$?"
expect_eq "thread_writer's stderr" "" "$(cat err.txt)"
expect_eq "threads reporting" $T "$(grep -c "ok 0 failed $N errno EIO\$" out.txt)"

expect_eq "log lines, all valid JSON" $((T * N + 1)) "$(jsonl check ev.jsonl)"
expect_eq "faults" $((T * N)) "$(jsonl count --where event=fault --where rule=tw --where pid=$pid ev.jsonl)"
jsonl fields --where event=fault ev.jsonl -- tid | sort | uniq -c | awk '{print $2, $1}' | sort >per-tid.txt
awk '{print $2, '$N'}' out.txt | sort >want-tid.txt
expect_same_file "faults per thread id" want-tid.txt per-tid.txt
