#!/usr/bin/env bash
# start / duration: a rule is active in a window measured from when it was armed (process
# start). With start="300ms" duration="400ms" on write to a file, a python loop writing every
# 50 ms for 1.2 s sees successes, then failures (EIO), then successes again. Times are taken
# from the start line of the event log (written as the rules are armed) with time.time()
# around each write, so python's own start-up time does not blur the bounds.
. "$FL_ROOT/tests/integration/lib.sh"
python_bin

cat > win.py <<'PY'
import os, sys, time
fd = os.open("win.out", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
t0 = time.monotonic()
with open("win.txt", "w") as rep:
    while time.monotonic() - t0 < 1.2:
        before = time.time()
        try:
            os.write(fd, b"x")
            ok = "."
        except OSError as e:
            ok = "F" if e.errno == 5 else "?%d" % e.errno
        after = time.time()
        rep.write("%.6f %.6f %s\n" % (before, after, ok))
        time.sleep(0.05)
PY

rules='rules=({name="w"; calls=["write"]; path="*/win.out"; error="EIO"; start="300ms"; duration="400ms";});'
# -I -S: a quick start, so that the first writes come before the window opens.
FAULTLINE_LOG="$PWD/ev.jsonl" capture under_shim "$rules" "$PYTHON" -I -S win.py
expect_status "win.py" 0 "$RC"
armed=$(jsonl fields --where event=start ev.jsonl -- t)
[ -n "$armed" ] || fail "no start line in the log"

# One line per write: ms since arming before and after the call, and the outcome.
"$PYTHON" - "$armed" > shape.txt <<'PY' || fail "win.txt unreadable"
import sys
armed = float(sys.argv[1])
for line in open("win.txt"):
    b, a, ok = line.split()
    print("%d %d %s" % ((float(b) - armed) * 1000, (float(a) - armed) * 1000, ok))
PY
note "writes (ms since arming, outcome): $(awk '{print $1 $3}' shape.txt | tr '\n' ' ')"

first=$(head -n 1 shape.txt | cut -d' ' -f1)
if [ "$first" -ge 250 ]; then
    skip "python3 took ${first} ms to start: the window (300 ms) opened before its first write"
fi

# The shape: successes, failures, successes; nothing else.
shape=$(awk '{printf "%s", $3}' shape.txt)
expect_match "the shape of the outcomes" "$shape" '^\.+F+\.+$'

# Bounds, generous: the window is [300 ms, 700 ms) after arming; the start line is written just
# before the rules are armed.
while read -r before after ok; do
    if [ "$after" -lt 290 ]; then
        expect_eq "a write at ${before}..${after} ms (before the window)" . "$ok"
    elif [ "$before" -ge 350 ] && [ "$after" -lt 690 ]; then
        expect_eq "a write at ${before}..${after} ms (inside the window)" F "$ok"
    elif [ "$before" -ge 760 ]; then
        expect_eq "a write at ${before}..${after} ms (after the window)" . "$ok"
    fi
done < shape.txt
nf=$(grep -c ' F$' shape.txt)
# 400 ms at one write every 50 ms (plus the time the writes take): 6 to 8 failures.
if [ "$nf" -lt 5 ] || [ "$nf" -gt 9 ]; then
    fail "failures in a 400 ms window: expected 5..9, got $nf"
fi
expect_eq "fault lines" "$nf" "$(jsonl count --where event=fault --where rule=w ev.jsonl)"
expect_eq "bytes written" "$(grep -c ' \.$' shape.txt)" "$(wc -c < win.out)"

# Every fault line falls in the window.
"$PYTHON" - "$armed" ev.jsonl <<'PY' || fail "a fault line outside [300, 700) ms"
import json, sys
armed = float(sys.argv[1])
for line in open(sys.argv[2]):
    ev = json.loads(line)
    if ev["event"] == "fault":
        ms = (ev["t"] - armed) * 1000
        assert 300 <= ms < 720, ms
PY
