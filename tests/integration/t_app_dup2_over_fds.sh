#!/usr/bin/env bash
# A program that dup2s its own file over every fd number (as daemons redirecting output do)
# must not capture the shim's fds: the shim moves its log and its copy of stderr out of the way,
# so later fault lines still reach the log, the summary still reaches stderr, and the program's
# file holds only what the program wrote.
. "$FL_ROOT/tests/integration/lib.sh"
python_bin

cat > over.py <<'PY'
import os, resource
f = os.open("mine.txt", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
os.write(f, b"program\n")
limit = min(resource.getrlimit(resource.RLIMIT_NOFILE)[0], 4096)
for fd in range(3, limit):
    if fd != f:
        try:
            os.dup2(f, fd)
        except OSError:
            pass
d = os.open("data.txt", os.O_WRONLY | os.O_CREAT, 0o644)
try:
    os.fsync(d)
except OSError as e:
    print("fsync errno", e.errno)
PY
rules='summary = true; rules=({name="nosync"; calls=["fsync"]; error="EIO";});'
FAULTLINE_LOG="$PWD/ev.jsonl" capture under_shim "$rules" "$PYTHON" over.py
expect_status "python" 0 "$RC"
expect_eq "the fault reached the program" "fsync errno 5" "$OUT"
expect_eq "the program's file holds only what it wrote" "program" "$(cat mine.txt)"
expect_eq "the fault is in the log" 1 "$(jsonl count --where event=fault --where rule=nosync ev.jsonl)"
expect_contains "the summary reached stderr" "$ERR" "nosync"
