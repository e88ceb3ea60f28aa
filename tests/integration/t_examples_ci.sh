#!/usr/bin/env bash
# examples/ci/faultline-ci.sh against a real program: coreutils cat under examples/disk-full.conf
# exits 1 with one disk-full fault, and the script says PASS (exit 0) when that is what was
# expected, FAIL (exit 1) when the exit status or the fault count expected is wrong, and exits
# 2 on a usage error.
. "$FL_ROOT/tests/integration/lib.sh"
need cat sh grep
FL=$(cd "$FL_PROGS/../.." && pwd)/faultline
[ -x "$FL" ] || fail "no faultline command at $FL"
CI="$FL_ROOT/examples/ci/faultline-ci.sh"
CONF="$FL_ROOT/examples/disk-full.conf"
export LD_PRELOAD="${FL_PRELOAD_FIRST:-}"
[ -n "$LD_PRELOAD" ] || unset LD_PRELOAD
prog=(sh -c 'printf "data\n" | cat > out.txt')

capture "$CI" --help
expect_status "--help" 0 "$RC"
expect_contains "--help text" "$OUT" "--expect-faults"

# The expectation holds: PASS, exit 0; the log given with -l keeps the fault.
capture "$CI" -F "$FL" -s 7 -l "$PWD/ev.jsonl" -c "$CONF" -x 1 -f disk-full:1 -- "${prog[@]}"
expect_status "right expectation" 0 "$RC"
expect_match "PASS line" "$OUT" '^PASS: sh exited 1 as expected; disk-full: 1 fault\(s\) >= 1$'
expect_contains "cat's own message" "$ERR" "No space left on device"
expect_eq "faults in the log" 1 "$(grep -c '"event":"fault"' ev.jsonl)"

# Wrong exit status expected: FAIL, exit 1.
capture "$CI" -F "$FL" -c "$CONF" -x 0 -f disk-full:1 -- "${prog[@]}"
expect_status "wrong exit status expected" 1 "$RC"
expect_match "FAIL line" "$OUT" '^FAIL: sh exited 1, expected 0'

# Too many faults expected: FAIL, exit 1.
capture "$CI" -F "$FL" -c "$CONF" -x 1 -f disk-full:2 -- "${prog[@]}"
expect_status "too many faults expected" 1 "$RC"
expect_contains "FAIL line" "$OUT" "disk-full: 1 fault(s), expected at least 2"

# A rule that never fired: FAIL, exit 1.
capture "$CI" -F "$FL" -c "$CONF" -x 1 -f sync-full:1 -- "${prog[@]}"
expect_status "a rule that did not fire" 1 "$RC"
expect_contains "FAIL line" "$OUT" "sync-full: 0 fault(s), expected at least 1"

# Without faults the program succeeds: a config whose rule matches nothing it does.
capture "$CI" -F "$FL" -c "$FL_ROOT/examples/dns-outage.conf" -- "${prog[@]}"
expect_status "no fault, exit 0 expected by default" 0 "$RC"
expect_eq "output written" "data" "$(cat out.txt)"

# Usage errors: exit 2.
capture "$CI" -F "$FL" -x 1 -- true
expect_status "no config" 2 "$RC"
capture "$CI" -F "$FL" -c "$CONF" -f disk-full -- true
expect_status "bad --expect-faults" 2 "$RC"
