#!/usr/bin/env bash
# Threads under load: 8 threads each make about 100,000 interposed calls at once (write(2) to
# /dev/null, malloc/calloc/realloc + free, open + close of /dev/null) while four rules fire on
# 1% of them (fixed seed). The program must not crash or hang (its watchdog ends it after 30 s),
# must exit 0, and must see only the injected failures (each with its rule's errno). The event
# log must hold exactly one whole JSON line per fault the program saw: per thread id and rule,
# the log's count equals the program's.
. "$FL_ROOT/tests/integration/lib.sh"
need_prog stress
python_bin
T=8 N=70000
ops=wmo
# A sanitizer runtime preloaded first owns malloc: the shim never sees the allocations.
[ -n "${FL_PRELOAD_FIRST:-}" ] && ops=wo
# Under valgrind (make check-valgrind) the same work, smaller.
[ "${FL_VALGRIND:-}" = 1 ] && N=4000

rules='rules = (
  { name = "w"; calls = ["write"]; path = "/dev/null"; error = "EIO"; probability = 0.01; },
  { name = "m"; calls = ["malloc", "calloc", "realloc"]; min_size = 77777; max_size = 78776;
    error = "ENOMEM"; probability = 0.01; },
  { name = "o"; calls = ["open"]; path = "/dev/null"; error = "EACCES"; probability = 0.01; },
  { name = "c"; calls = ["close"]; path = "/dev/null"; error = "EIO"; probability = 0.01; }
);'

t0=$(now_ms)
STRESS_DEADLINE=30 FAULTLINE_SEED=1234 FAULTLINE_LOG="$PWD/ev.jsonl" \
    capture under_shim "$rules" "$FL_PROGS/stress" threads $T $N $ops
note "stress threads $T $N $ops: $(($(now_ms) - t0)) ms"
expect_status "stress threads" 0 "$RC"
expect_eq "stress's stderr" "" "$ERR"
expect_eq "threads reporting" $T "$(grep -c '^tid [0-9]* calls [0-9]* .* bad 0 made ' "$OUT_FILE")"

# What the program saw: "tid rule count", one line per thread and rule that fired.
awk '{ for (i = 5; i <= 11; i += 2) if ($(i + 1) > 0) print $2, $i, $(i + 1) }' "$OUT_FILE" |
    sort >seen.txt
calls=$(awk '{ n += $4 } END { print n }' "$OUT_FILE")
faults=$(awk '{ n += $3 } END { print n }' seen.txt)
seen() { awk -v r="$1" '$2 == r { n += $3 } END { print n + 0 }' seen.txt; } # seen RULE: faults
note "calls made: $calls; faults seen: $faults"
expect_ge "calls made" $((T * N)) "$calls"
fired="w o c"
[ $ops = wmo ] && fired="w m o c"
for r in $fired; do
    expect_ge "faults of rule $r seen" $((T * N / 1000)) "$(seen $r)"
done

expect_eq "log lines, all valid JSON" $((faults + 1)) "$(jsonl check ev.jsonl)"
jsonl fields --where event=fault ev.jsonl -- tid rule | sort | uniq -c |
    awk '{ print $2, $3, $1 }' | sort >logged.txt
expect_same_file "faults per thread and rule: logged = seen" seen.txt logged.txt
# Each fault line says what the program got.
fault_count() { jsonl count --where event=fault "$@" ev.jsonl; }
expect_eq "write faults: EIO on /dev/null" "$(seen w)" \
    "$(fault_count --where rule=w --where call=write --where errno=EIO --where path=/dev/null --where done=-1)"
expect_eq "open faults: EACCES on /dev/null" "$(seen o)" \
    "$(fault_count --where rule=o --where call=open --where errno=EACCES --where path=/dev/null)"
expect_eq "close faults: EIO on /dev/null" "$(seen c)" \
    "$(fault_count --where rule=c --where call=close --where errno=EIO --where path=/dev/null)"
expect_eq "allocation faults: ENOMEM" "$(seen m)" "$(fault_count --where rule=m --where errno=ENOMEM)"
pid=$(jsonl fields --where event=start ev.jsonl -- pid)
expect_eq "every fault is this process's" "$faults" "$(fault_count --where pid="$pid")"
