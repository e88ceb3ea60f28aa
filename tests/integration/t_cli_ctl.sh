#!/usr/bin/env bash
# faultline ctl and faultline ps against a live process: a dormant rule switched on and off,
# exit statuses 0 on ok and 1 on error, clear messages for a pid that does not exist or has no
# socket, ps listing the process and cleaning up the socket of a dead one.
. "$FL_ROOT/tests/integration/lib.sh"
python_bin
FL=$(cd "$FL_PROGS/../.." && pwd)/faultline
[ -x "$FL" ] || fail "no faultline command at $FL"
export XDG_RUNTIME_DIR="$PWD/run"
mkdir -m 0700 run

cat > loop.py <<'PY'
import os, socket, sys
srv = socket.socket(); srv.bind(("127.0.0.1", 0)); srv.listen(64)
port = srv.getsockname()[1]
print("ready", os.getpid(), flush=True)
for line in sys.stdin:
    if line.strip() == "quit":
        break
    try:
        socket.create_connection(("127.0.0.1", port)).close(); print("C", flush=True)
    except OSError:
        print("R", flush=True)
PY
mkfifo in
LD_PRELOAD="${FL_PRELOAD_FIRST:-}" "$FL" run --control -e 'name="refuse"; calls=["connect"]; error="ECONNREFUSED"; enabled=false' \
    -- "$PYTHON" loop.py < in > out.txt 2> err.txt &
prog=$!
exec 3> in
trap 'exec 3>&-; kill $prog 2>/dev/null' EXIT
n=0
step() {
    echo go >&3; n=$((n + 1))
    for _ in $(seq 100); do [ "$(wc -l < out.txt)" -gt $n ] && break; sleep 0.05; done
    tail -n 1 out.txt
}
for _ in $(seq 100); do grep -q ready out.txt && break; sleep 0.05; done
pid=$(awk '/ready/ {print $2}' out.txt)
[ -n "$pid" ] || fail "the program did not start: $(cat err.txt)"
for _ in $(seq 100); do [ -S "run/faultline/$pid.sock" ] && break; sleep 0.05; done

expect_eq "connected" C "$(step)"
capture "$FL" ctl "$pid" enable refuse
expect_status "ctl enable" 0 "$RC"
expect_eq "refused" R "$(step)"
capture "$FL" ctl "$pid" list
expect_eq "ctl list" "refuse	armed	1	1	error" "$OUT"
capture "$FL" ctl "$pid" disable refuse
expect_status "ctl disable" 0 "$RC"
expect_eq "connected again" C "$(step)"
capture "$FL" ctl "$pid" enable nope
expect_status "ctl on an unknown rule" 1 "$RC"
expect_contains "its message" "$ERR" "no rule 'nope'"

capture "$FL" ps
expect_status "ps" 0 "$RC"
expect_contains "ps lists the process" "$(grep "^ *$pid " "$OUT_FILE")" "python"

# a pid that does not exist; one without a socket
capture "$FL" ctl 999999999 list
expect_status "no such process" 1 "$RC"
expect_contains "its message" "$ERR" "no process 999999999"
capture "$FL" ctl $$ list
expect_status "no socket" 1 "$RC"
expect_contains "its message" "$ERR" "has no control socket"

# a stale socket: its process is gone; ps removes it
dead=$("$PYTHON" -c 'import os; print(os.getpid())')   # a pid whose process is gone
"$PYTHON" -c 'import socket, sys; s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])' "run/faultline/$dead.sock"
capture "$FL" ps
expect_eq "stale socket removed" no "$([ -e "run/faultline/$dead.sock" ] && echo yes || echo no)"

echo quit >&3
wait $prog
expect_eq "the program's own exit status" 0 "$?"
