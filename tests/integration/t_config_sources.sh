#!/usr/bin/env bash
# Where a config comes from: FAULTLINE_CONFIG's rules and FAULTLINE_RULES' rules add up (the
# file's first), unnamed rules are called rule1, rule2... by position, FAULTLINE_LOG overrides
# the file's log; and when two rules fire on one call, the first wins and the other does not
# count it as injected.
. "$FL_ROOT/tests/integration/lib.sh"
need_prog stdio_writer
python_bin
W="$FL_PROGS/stdio_writer"

cat > file.cfg <<CFG
log = "$PWD/from-file.jsonl";
rules = ( { calls = [ "fputs" ]; error = "EIO"; } );
CFG

capture env LD_PRELOAD="$FL_LIB" FAULTLINE_CONFIG="$PWD/file.cfg" \
    FAULTLINE_RULES='rules=({calls=["fwrite"]; error="ENOSPC";});' \
    FAULTLINE_LOG="$PWD/from-env.jsonl" "$W" -c fputs,fwrite,fprintf out.txt
expect_status "file + inline rules" 12 "$RC"
expect_contains "fputs failed (file's rule)" "$ERR" "1 fputs failed: EIO"
expect_contains "fwrite failed (inline rule)" "$ERR" "1 fwrite failed: ENOSPC"
expect_eq "fprintf untouched" "1 fprintf" "$(cat out.txt)"
[ ! -e from-file.jsonl ] || fail "FAULTLINE_LOG did not override the file's log"
expect_eq "start line" "$PWD/file.cfg	2" \
    "$(jsonl fields --where event=start from-env.jsonl -- config rules)"
expect_eq "faults and default names" "rule1	fputs	EIO
rule2	fwrite	ENOSPC" "$(jsonl fields --where event=fault from-env.jsonl -- rule call errno)"

# Without FAULTLINE_LOG, the file's log.
capture env LD_PRELOAD="$FL_LIB" FAULTLINE_CONFIG="$PWD/file.cfg" "$W" -c fputs out.txt
expect_eq "the file's log" "2" "$(jsonl check from-file.jsonl)"

# Two rules on one call: the first wins; the second matched but injected nothing.
rules='summary = true;
rules = ( { name = "first"; calls = [ "fputs" ]; error = "EIO"; },
          { name = "second"; calls = [ "fputs" ]; error = "ENOSPC"; } );'
FAULTLINE_LOG="$PWD/both.jsonl" capture under_shim "$rules" "$W" -n 2 -c fputs out.txt
expect_eq "the first rule's errno" 2 "$(printf '%s\n' "$ERR" | grep -c 'fputs failed: EIO')"
expect_eq "only the first rule logged" "first
first" "$(jsonl fields --where event=fault both.jsonl -- rule)"
expect_match "summary: first" "$ERR" '^  first +armed +2 +2  error=2$'
expect_match "summary: second" "$ERR" '^  second +armed +2 +0  -$'
