#!/usr/bin/env bash
# The event log: a program that gets exactly N injected faults leaves exactly one start line
# and N fault lines, each a valid JSON object on its own line, naming the rule, the call, the
# symbol, the fd, the bytes asked, the errno; the start line records the seed and the rule
# count. With %p in the log path, the file is named after the process's pid.
. "$FL_ROOT/tests/integration/lib.sh"
need_prog stdio_writer
python_bin
W="$FL_PROGS/stdio_writer"

N=7
rules='rules=({name="full-disk"; calls=["fputs"]; error="ENOSPC";});'
# env execs the program: $! is its pid.
env LD_PRELOAD="$FL_LIB" FAULTLINE_RULES="$rules" FAULTLINE_SEED=1234 \
    FAULTLINE_LOG="$PWD/ev-%p.jsonl" "$W" -n $N -c fputs,fwrite out.txt 2>err.txt &
pid=$!
wait $pid
rc=$?
expect_status "stdio_writer with fputs=ENOSPC" 12 "$rc"

shopt -s nullglob
logs=(ev-*.jsonl)
expect_eq "log files" "ev-$pid.jsonl" "${logs[*]}"
log=${logs[0]}

expect_eq "lines in the log, all valid JSON" $((N + 1)) "$(jsonl check "$log")"
expect_eq "start lines" 1 "$(jsonl count --where event=start "$log")"
expect_eq "fault lines" $N "$(jsonl count --where event=fault "$log")"
expect_eq "the first line is the start line" start "$(head -n 1 "$log" | "$PYTHON" -c \
    'import json, sys; print(json.loads(sys.stdin.read())["event"])')"
expect_eq "start line" "$pid	1234	1	0.1.0	-" \
    "$(jsonl fields --where event=start "$log" -- pid seed rules version parent)"
expect_contains "start line names the program" \
    "$(jsonl fields --where event=start "$log" -- program)" stdio_writer

# Each fault: rule, call, symbol, fd 1 (stdout reopened on out.txt), the line's length, -1, errno.
want=""
for ((i = 1; i <= N; i++)); do
    want+="$pid	$pid	full-disk	fputs	fputs	1	error	$(( ${#i} + 7 ))	-1	ENOSPC	0"$'\n'
done
expect_eq "fault lines" "${want%$'\n'}" "$(jsonl fields --where event=fault "$log" -- \
    pid tid rule call symbol fd action asked "done" errno delay_ns)"

# Times are numbers, non-decreasing.
"$PYTHON" - "$log" <<'PY' || fail "timestamps"
import json, sys
ts = [json.loads(l)["t"] for l in open(sys.argv[1])]
assert all(isinstance(t, (int, float)) for t in ts), ts
assert ts == sorted(ts), ts
PY

# The program's own view agrees: N fputs failures, the fwrite lines all written.
expect_eq "failures reported by stdio_writer" $N "$(grep -c 'fputs failed: ENOSPC' err.txt)"
expect_eq "lines written" $N "$(grep -c fwrite out.txt)"
expect_eq "no fputs line written" 0 "$(grep -c fputs out.txt)"

# Without %p the path is used as is, and a second run appends its own lines.
rules='rules=({calls=["fwrite"]; error="EIO";});'
for run in 1 2; do
    FAULTLINE_LOG="$PWD/plain.jsonl" capture under_shim "$rules" "$W" -n 3 -c fwrite out2.txt
    expect_status "fwrite=EIO run $run" 10 "$RC"
done
expect_eq "two runs appended" 8 "$(jsonl check plain.jsonl)"
expect_eq "default rule name" "rule1 rule1 rule1 rule1 rule1 rule1" \
    "$(jsonl fields --where event=fault plain.jsonl -- rule | tr '\n' ' ' | sed 's/ $//')"

# The log key in a config file works like FAULTLINE_LOG.
cat > conf.cfg <<CFG
log = "$PWD/fromconf-%p.jsonl";
rules = ( { name = "cfg"; calls = [ "fputs" ]; error = "EIO"; } );
CFG
env FAULTLINE_CONFIG="$PWD/conf.cfg" LD_PRELOAD="$FL_LIB" "$W" -n 2 -c fputs out3.txt 2>/dev/null &
pid=$!
wait $pid
[ -f "fromconf-$pid.jsonl" ] || fail "log from the config file: fromconf-$pid.jsonl missing ($(ls))"
expect_eq "config-file log" "3" "$(jsonl check "fromconf-$pid.jsonl")"
expect_eq "config path in the start line" "$PWD/conf.cfg" \
    "$(jsonl fields --where event=start "fromconf-$pid.jsonl" -- config)"
