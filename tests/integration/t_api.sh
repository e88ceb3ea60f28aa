#!/usr/bin/env bash
# The in-process API (include/faultline.h): a program arms, pauses, resumes, changes and disarms
# a dormant rule on itself, reads its counters, and gets -1 for what is wrong.
. "$FL_ROOT/tests/integration/lib.sh"
need_prog api_probe
P="$FL_PROGS/api_probe"

rules='rules=({name="w"; calls=["write"]; path="*/probe.out"; error="EIO"; enabled=false;});'
capture under_shim "$rules" "$P" "$PWD/probe.out"
expect_status "api_probe" 0 "$RC"
expect_eq "each step" "dormant ok
enable 0
armed EIO
pause 0
paused ok
resume 0
resumed EIO
set 0
after-set ENOSPC
bad-set -1
disable 0
disabled ok
no-such-rule -1
counters 0 matched=3 injected=3
list 0 w	dormant	3	3	error" "$OUT"

# Without the shim the API is simply not there.
capture "$P" "$PWD/probe.out"
expect_status "api_probe without the shim" 3 "$RC"
