#!/usr/bin/env bash
# Programs (daemons, python's subprocess and closerange) close every fd they do not know. The
# shim's own fds (the event log, the copy of stderr) must survive that: later faults are still
# logged and the summary still printed. Checked with a close() loop over fds 3..4095, with
# os.closerange (glibc's close_range), and with glibc's closefrom (called through ctypes).
. "$FL_ROOT/tests/integration/lib.sh"
python_bin

cat > closer.py <<'PY'
import os, sys
mode = sys.argv[1]
if mode == "loop":
    for fd in range(3, 4096):
        try:
            os.close(fd)
        except OSError:
            pass
elif mode == "closerange":
    os.closerange(3, 4096)
else:
    import ctypes
    ctypes.CDLL(None, use_errno=True).closefrom(3)
fd = os.open("data.txt", os.O_WRONLY | os.O_CREAT, 0o644)
try:
    os.fsync(fd)
    print("synced")
except OSError as e:
    print("fsync errno", e.errno)
PY

rules='summary = true; rules = ( { name = "nosync"; calls = [ "fsync" ]; error = "EIO"; } );'
for mode in loop closerange closefrom; do
    rm -f ev.jsonl
    FAULTLINE_LOG="$PWD/ev.jsonl" capture under_shim "$rules" "$PYTHON" closer.py $mode
    expect_status "$mode: python" 0 "$RC"
    expect_eq "$mode: the fault reached the program" "fsync errno 5" "$OUT"
    expect_eq "$mode: the fault is logged after the fds were closed" 1 \
        "$(jsonl count --where event=fault --where rule=nosync ev.jsonl)"
    expect_match "$mode: the summary is printed" "$ERR" '^  nosync +armed +1 +1  error=1$'
    # Nothing of the shim's went into the program's own file.
    expect_eq "$mode: the program's file" "" "$(cat data.txt)"
done
