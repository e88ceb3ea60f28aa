#!/usr/bin/env bash
# The shim leaves errno as it was on every call it lets through: errno_probe sets a sentinel
# before each call; successes must keep it and natural failures (ENOENT, EBADF, ENOMEM,
# ECONNREFUSED) must keep their own errno, whether the call takes the fast path (no rules),
# the slow path without firing (probability 0), or is delayed (a delay rule fires but the
# call runs). The whole output must match the run without the shim.
. "$FL_ROOT/tests/integration/lib.sh"
not_under_sanitizer "the runtime reports the probe's failing allocation on stderr"
need_prog errno_probe
P="$FL_PROGS/errno_probe"

capture "$P"
expect_status "errno_probe without the shim" 0 "$RC"
cp "$OUT_FILE" plain.txt
expect_contains "natural ENOENT" "$OUT" "open_missing fail errno=ENOENT"
expect_contains "natural ECONNREFUSED" "$OUT" "connect_refused fail errno=ECONNREFUSED"
expect_contains "sentinel kept" "$OUT" "write_devnull ok errno=4242"

while read -r name rules; do
    FAULTLINE_LOG="$PWD/$name.jsonl" capture under_shim "$rules" "$P"
    expect_status "errno_probe, $name" 0 "$RC"
    expect_eq "errno_probe, $name: stderr" "" "$ERR"
    expect_same_file "errno_probe, $name" plain.txt "$OUT_FILE"
done <<'CASES'
no-rules
probability-0 rules=({name="never"; calls=["@all"]; error="EIO"; probability=0.0;});
dormant rules=({name="off"; calls=["@all"]; error="EIO"; enabled=false;});
delayed rules=({name="slow"; calls=["@file","@read","@write","@net","@sync","@wait","getaddrinfo"]; delay="1ms";});
CASES

# The delay rule really fired on the probe's calls (otherwise the case proves nothing).
n=$(grep -c '"action":"delay"' delayed.jsonl)
expect_ge "delayed calls" 30 "$n"
