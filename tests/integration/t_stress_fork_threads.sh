#!/usr/bin/env bash
# fork(2) from a multithreaded process while its other threads are inside the shim: 3 threads
# make writes, allocations and open/close without pause under rules that fire on 5% of them,
# while the main thread forks 200 times; each child allocates, writes (either may fault), makes
# a few more calls and _exits. No child may hang (the program kills one that has not exited
# after 10 s, and says so) and all must exit 0; the threads go on to the end. Every process's
# faults are in the one event log, per pid (and per thread id) exactly those it saw.
. "$FL_ROOT/tests/integration/lib.sh"
need_prog stress
python_bin
T=3 F=200
ops=wmo
# A sanitizer runtime preloaded first owns malloc, and its allocator (GCC 12's) is not fork-safe:
# a child can hang on a lock a thread held. There the threads only write, and no allocation of
# the shim's own happens in them (open would record its path).
[ -n "${FL_PRELOAD_FIRST:-}" ] && ops=w
[ "${FL_VALGRIND:-}" = 1 ] && F=40

rules='rules = (
  { name = "w"; calls = ["write"]; path = "/dev/null"; error = "EIO"; probability = 0.05; },
  { name = "m"; calls = ["malloc", "calloc", "realloc"]; min_size = 77777; max_size = 78776;
    error = "ENOMEM"; probability = 0.05; },
  { name = "o"; calls = ["open"]; path = "/dev/null"; error = "EACCES"; probability = 0.05; },
  { name = "c"; calls = ["close"]; path = "/dev/null"; error = "EIO"; probability = 0.05; }
);'

t0=$(now_ms)
STRESS_DEADLINE=40 FAULTLINE_SEED=5 FAULTLINE_LOG="$PWD/ev.jsonl" \
    capture under_shim "$rules" "$FL_PROGS/stress" forkthreads $T $F $ops
note "stress forkthreads $T $F $ops: $(($(now_ms) - t0)) ms"
expect_status "stress forkthreads" 0 "$RC"
expect_eq "stress's stderr" "" "$ERR"
expect_eq "forks done" "forks $F ok" "$(tail -n 1 "$OUT_FILE")"
expect_eq "children reporting" $F "$(grep -c '^pid [0-9]* calls [0-9]* .* bad 0 made ' "$OUT_FILE")"
expect_eq "threads reporting" $T "$(grep -c '^tid [0-9]* calls [0-9]* .* bad 0 made ' "$OUT_FILE")"

# What each child (by pid) and each thread (by tid; the parent's pid) saw.
grep -E '^(pid|tid) ' "$OUT_FILE" |
    awk '{ for (i = 5; i <= 11; i += 2) if ($(i + 1) > 0) print $1, $2, $i, $(i + 1) }' |
    sort >seen.txt
faults=$(awk '{ n += $4 } END { print n + 0 }' seen.txt)
note "calls made: $(grep -E '^(pid|tid) ' "$OUT_FILE" | awk '{ n += $4 } END { print n }'); faults seen: $faults"
expect_ge "faults the threads saw" 100 "$(awk '$1 == "tid" { n += $4 } END { print n + 0 }' seen.txt)"
expect_ge "faults the children saw" 5 "$(awk '$1 == "pid" { n += $4 } END { print n + 0 }' seen.txt)"

expect_eq "log lines, all valid JSON (faults and a start line per process)" \
    $((faults + F + 1)) "$(jsonl check ev.jsonl)"
parent=$(jsonl fields --where event=start ev.jsonl -- pid parent | awk '$2 == "-" { print $1 }')
expect_match "the parent's start line" "$parent" '^[0-9]+$'
expect_eq "children's start lines name the parent" $F \
    "$(jsonl count --where event=start --where parent="$parent" ev.jsonl)"
{
    jsonl fields --where event=fault --where pid="$parent" ev.jsonl -- tid rule | sed 's/^/tid\t/'
    jsonl fields --where event=fault ev.jsonl -- pid rule | awk -v p="$parent" '$1 != p' | sed 's/^/pid\t/'
} | sort | uniq -c | awk '{ print $2, $3, $4, $1 }' | sort >logged.txt
expect_same_file "faults per child and per thread, by rule: logged = seen" seen.txt logged.txt
