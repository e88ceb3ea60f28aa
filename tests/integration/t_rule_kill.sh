#!/usr/bin/env bash
# kill = "SIGNAL": the process gets the signal at the matching call, before the call runs.
# python writes a line then fsyncs it, five times, under kill="SIGKILL" after=2 on fsync: the
# third fsync kills it (exit status 137), the file holds exactly the lines written before that
# fsync ("0\n1\n2\n"), and the event log keeps the kill line. A handled signal lets the call go
# on; the default action of SIGTERM ends the process with 143.
. "$FL_ROOT/tests/integration/lib.sh"
python_bin

cat > crash.py <<'PY'
import os, signal, sys
hits = []
if len(sys.argv) > 1:
    signal.signal(getattr(signal, sys.argv[1]), lambda sig, frame: hits.append(sig))
fd = os.open("k.txt", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
for i in range(5):
    os.write(fd, b"%d\n" % i)
    r = os.fsync(fd)
os.close(fd)
print("survived", "handled=%d" % len(hits), "fsync returned", r)
PY

rules='rules=({name="crash"; calls=["fsync"]; after=2; kill="SIGKILL";});'
FAULTLINE_LOG="$PWD/ev.jsonl" capture under_shim "$rules" "$PYTHON" crash.py
expect_status "crash.py with kill=SIGKILL after=2" 137 "$RC"
expect_eq "stdout of the killed program" "" "$OUT"
expect_eq "k.txt" "0,1,2," "$(tr '\n' ',' < k.txt)"
expect_eq "k.txt bytes" 6 "$(wc -c < k.txt)"
expect_eq "lines in the log" 2 "$(jsonl check ev.jsonl)"
expect_eq "the kill line" "crash	fsync	fsync	kill	null" \
    "$(jsonl fields --where event=fault ev.jsonl -- rule call symbol action errno)"
pid=$(jsonl fields --where event=start ev.jsonl -- pid)
expect_eq "the kill line's pid" "$pid" "$(jsonl fields --where event=fault ev.jsonl -- pid)"

# SIGTERM, not handled: the default action ends the process at the first fsync.
rules='rules=({calls=["fsync"]; kill="SIGTERM";});'
capture under_shim "$rules" "$PYTHON" crash.py
expect_status "crash.py with kill=SIGTERM" 143 "$RC"
expect_eq "k.txt with SIGTERM at the first fsync" "0," "$(tr '\n' ',' < k.txt)"

# A handled signal: the handler runs once, the fsync goes on and succeeds, the program ends
# normally.
rules='rules=({calls=["fsync"]; after=1; times=1; kill="SIGUSR1";});'
capture under_shim "$rules" "$PYTHON" crash.py SIGUSR1
expect_status "crash.py with a handled SIGUSR1" 0 "$RC"
expect_eq "crash.py with a handled SIGUSR1" "survived handled=1 fsync returned None" "$OUT"
expect_eq "k.txt with a handled signal" "0,1,2,3,4," "$(tr '\n' ',' < k.txt)"
