#!/usr/bin/env bash
# delay sleeps before the call and then runs it: the output is complete, the run takes at
# least the sum of the delays, and each delayed call is logged with action "delay", its
# delay_ns and what the call returned. jitter keeps every delay within delay +- jitter.
. "$FL_ROOT/tests/integration/lib.sh"
need_prog stdio_writer
python_bin
W="$FL_PROGS/stdio_writer"

rules='rules=({name="slow"; calls=["fputs"]; delay="100ms";});'
start=$(now_ms)
FAULTLINE_LOG="$PWD/ev.jsonl" capture under_shim "$rules" "$W" -n 4 -c fputs,fwrite out.txt
elapsed=$(($(now_ms) - start))
expect_status "delayed fputs" 0 "$RC"
expect_eq "every line written" 8 "$(grep -c . out.txt)"
expect_ge "elapsed ms for 4 x 100ms" 400 "$elapsed"
expect_eq "delay events" "slow	fputs	delay	null	100000000
slow	fputs	delay	null	100000000
slow	fputs	delay	null	100000000
slow	fputs	delay	null	100000000" \
    "$(jsonl fields --where event=fault ev.jsonl -- rule call action errno delay_ns)"
# fputs returns a non-negative number on success: "done" is what the real call returned.
done_vals=$(jsonl fields --where event=fault ev.jsonl -- "done" | sort -u)
[ "$done_vals" -ge 0 ] 2>/dev/null || fail "done of a delayed fputs: [$done_vals]"

# delay with an error: sleeps, then fails.
rules='rules=({name="slowfail"; calls=["fputs"]; delay="150ms"; error="EIO";});'
start=$(now_ms)
FAULTLINE_LOG="$PWD/ev2.jsonl" capture under_shim "$rules" "$W" -n 2 -c fputs out.txt
elapsed=$(($(now_ms) - start))
expect_status "delayed failing fputs" 12 "$RC"
expect_ge "elapsed ms for 2 x 150ms" 300 "$elapsed"
expect_eq "delay+error events" "error	EIO	150000000	-1
error	EIO	150000000	-1" "$(jsonl fields --where event=fault ev2.jsonl -- action errno delay_ns "done")"

# jitter: delays spread within [delay - jitter, delay + jitter], and not all equal.
rules='rules=({name="jit"; calls=["fputs"]; delay="2ms"; jitter="1ms";});'
FAULTLINE_SEED=5 FAULTLINE_LOG="$PWD/ev3.jsonl" capture under_shim "$rules" "$W" -n 40 -c fputs out.txt
expect_status "jittered fputs" 0 "$RC"
jsonl fields --where event=fault ev3.jsonl -- delay_ns >delays.txt
expect_eq "jittered events" 40 "$(grep -c . delays.txt)"
awk '$1 < 1000000 || $1 > 3000000 {bad = bad " " $1} END {if (bad) {print "out of range:" bad; exit 1}}' \
    delays.txt || fail "jitter: $(cat delays.txt | tr '\n' ' ')"
expect_ge "distinct jittered delays" 5 "$(sort -u delays.txt | wc -l)"
