#!/usr/bin/env bash
# Forked children under load: a process makes some calls, then forks 20 children that all start
# at once and each make 20,000 calls (write to /dev/null, allocations, open + close) while rules
# fire on 2% of them, all logging into one event log. Every process exits 0 and sees only the
# injected failures; the log is whole JSON lines only, one start line per child naming its
# parent, and for every pid the faults logged equal, rule by rule, the faults that process saw.
. "$FL_ROOT/tests/integration/lib.sh"
need_prog stress
python_bin
K=20 N=20000
ops=wmo
[ -n "${FL_PRELOAD_FIRST:-}" ] && ops=wo # the sanitizer runtime owns malloc
[ "${FL_VALGRIND:-}" = 1 ] && N=1000

rules='rules = (
  { name = "w"; calls = ["write"]; path = "/dev/null"; error = "EIO"; probability = 0.02; },
  { name = "m"; calls = ["malloc", "calloc", "realloc"]; min_size = 77777; max_size = 78776;
    error = "ENOMEM"; probability = 0.02; },
  { name = "o"; calls = ["open"]; path = "/dev/null"; error = "EACCES"; probability = 0.02; },
  { name = "c"; calls = ["close"]; path = "/dev/null"; error = "EIO"; probability = 0.02; }
);'

t0=$(now_ms)
STRESS_DEADLINE=40 FAULTLINE_SEED=99 FAULTLINE_LOG="$PWD/ev.jsonl" \
    capture under_shim "$rules" "$FL_PROGS/stress" fork $K $N $ops
note "stress fork $K $N $ops: $(($(now_ms) - t0)) ms"
expect_status "stress fork" 0 "$RC"
expect_eq "stress's stderr" "" "$ERR"
expect_eq "processes reporting (parent and children)" $((K + 1)) \
    "$(grep -c '^pid [0-9]* calls [0-9]* .* bad 0 made ' "$OUT_FILE")"
parent=$(head -n 1 "$OUT_FILE" | awk '{ print $2 }')
kids=$(tail -n +2 "$OUT_FILE" | awk '{ print $2 }' | sort -n)

awk '{ for (i = 5; i <= 11; i += 2) if ($(i + 1) > 0) print $2, $i, $(i + 1) }' "$OUT_FILE" |
    sort >seen.txt
calls=$(awk '{ n += $4 } END { print n }' "$OUT_FILE")
faults=$(awk '{ n += $3 } END { print n }' seen.txt)
note "calls made: $calls; faults seen: $faults"
expect_ge "calls made" $((K * N)) "$calls"
for k in $kids; do # every child met faults of its own
    expect_ge "faults child $k saw" 1 "$(awk -v p="$k" '$1 == p { n += $3 } END { print n + 0 }' seen.txt)"
done

expect_eq "log lines, all valid JSON" $((faults + K + 1)) "$(jsonl check ev.jsonl)"
expect_eq "start lines: the parent's, then one per child naming it" \
    "$({ printf '%s\t-\n' "$parent"; for k in $kids; do printf '%s\t%s\n' "$k" "$parent"; done; } | sort -n)" \
    "$(jsonl fields --where event=start ev.jsonl -- pid parent | sort -n)"
jsonl fields --where event=fault ev.jsonl -- pid rule | sort | uniq -c |
    awk '{ print $2, $3, $1 }' | sort >logged.txt
expect_same_file "faults per process and rule: logged = seen" seen.txt logged.txt
