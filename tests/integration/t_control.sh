#!/usr/bin/env bash
# The control socket, driven by a plain client as socat or nc -U would: a live python loop whose
# connections go connected -> refused -> connected as a dormant rule is enabled and disabled;
# set; reload with a good and a bad file; pause and resume; the expire dead-man switch; the
# socket's modes; another user refused; a forked child with a socket of its own; the socket
# removed at exit; every command in the event log.
. "$FL_ROOT/tests/integration/lib.sh"
python_bin
export XDG_RUNTIME_DIR="$PWD/run"    # this test's own socket directory
mkdir -m 0700 run

cat > client.py <<'PY'
import os, socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect("%s/faultline/%s.sock" % (os.environ["XDG_RUNTIME_DIR"], sys.argv[1]))
s.sendall((" ".join(sys.argv[2:]) + "\n").encode())
sys.stdout.write(s.makefile().read())
PY
ctl() { "$PYTHON" client.py "$@"; }

# The program: connects to its own listener whenever it is told to (a line on its stdin
# fifo), prints C or R, and forks a child on "fork".
cat > loop.py <<'PY'
import os, socket, sys
srv = socket.socket(); srv.bind(("127.0.0.1", 0)); srv.listen(64)
port = srv.getsockname()[1]
print("ready", os.getpid(), flush=True)
for line in sys.stdin:
    line = line.strip()
    if line == "fork":
        pid = os.fork()
        if pid == 0:
            print("child", os.getpid(), flush=True)
            sys.stdin.close()
            import time; time.sleep(3); os._exit(0)
        continue
    if line == "quit":
        break
    try:
        socket.create_connection(("127.0.0.1", port)).close(); print("C", flush=True)
    except OSError:
        print("R", flush=True)
PY
cat > rules.cfg <<'CFG'
control = true;
rules = ( { name = "refuse"; calls = [ "connect" ]; error = "ECONNREFUSED"; enabled = false; } );
CFG
mkfifo in
FAULTLINE_CONFIG="$PWD/rules.cfg" FAULTLINE_LOG="$PWD/ev.jsonl" LD_PRELOAD="$FL_LIB" \
    "$PYTHON" loop.py < in > out.txt 2> err.txt &
prog=$!
exec 3> in
trap 'exec 3>&-; kill $prog 2>/dev/null' EXIT
# one step: ask for a connection, wait (bounded) for the answer line
n=0
step() {
    echo "${1:-go}" >&3; n=$((n + 1))
    for _ in $(seq 100); do [ "$(wc -l < out.txt)" -gt $n ] && break; sleep 0.05; done
    tail -n 1 out.txt
}
for _ in $(seq 100); do grep -q ready out.txt && break; sleep 0.05; done
pid=$(awk '/ready/ {print $2}' out.txt)
[ -n "$pid" ] || fail "the program did not start: $(cat err.txt)"
sock="$XDG_RUNTIME_DIR/faultline/$pid.sock"
expect_eq "socket directory mode" 700 "$(stat -c %a "$XDG_RUNTIME_DIR/faultline")"
expect_eq "socket mode" 600 "$(stat -c %a "$sock")"

expect_eq "list: dormant" "refuse	dormant	0	0	error
ok" "$(ctl "$pid" list)"
expect_eq "before: connected" C "$(step)"
expect_eq "enable" ok "$(ctl "$pid" enable refuse)"
expect_eq "enabled: refused" R "$(step)"
expect_eq "disable" ok "$(ctl "$pid" disable refuse)"
expect_eq "disabled: connected" C "$(step)"
expect_eq "no such rule" "error: no rule 'nope'" "$(ctl "$pid" enable nope)"

# set: probability 0 keeps an armed rule from firing; a misspelt key is refused with a hint
ctl "$pid" enable refuse >/dev/null
expect_eq "set probability=0" "refuse: probability = 0
ok" "$(ctl "$pid" set refuse probability=0)"
expect_eq "armed, probability 0: connected" C "$(step)"
expect_eq "set with a bad key" "error: set:1: rule 'refuse': unknown key 'probablity' (did you mean 'probability'?)" \
    "$(ctl "$pid" set refuse probablity=1)"
expect_eq "set probability=1" "refuse: probability = 1
ok" "$(ctl "$pid" set refuse probability=1)"
expect_eq "probability 1: refused" R "$(step)"
# a bare word is a string, and the reply says how it was read
expect_eq "set error=ECONNREFUSED unquoted" "refuse: error = \"ECONNREFUSED\"
ok" "$(ctl "$pid" set refuse error=ECONNREFUSED)"
expect_eq "set delay = 1ms unquoted, spaced" "refuse: delay = \"1ms\"
ok" "$(ctl "$pid" set refuse 'delay = 1ms')"
expect_eq "set error to a misspelt bare word" \
    "error: set:1: rule 'refuse': unknown errno name 'ECONNREFUSD' (did you mean 'ECONNREFUSED'?)" \
    "$(ctl "$pid" set refuse error=ECONNREFUSD)"
expect_eq "still refused" R "$(step)"

# pause and resume
expect_eq "pause" ok "$(ctl "$pid" pause)"
expect_eq "paused: connected" C "$(step)"
expect_contains "list while paused" "$(ctl "$pid" list)" "refuse	paused"
expect_eq "resume" ok "$(ctl "$pid" resume)"
expect_eq "resumed: refused" R "$(step)"

# expire: everything pauses when the switch runs out, unless renewed
expect_contains "expire" "$(ctl "$pid" expire 300ms)" "ok"
expect_eq "before expiry: refused" R "$(step)"
for _ in $(seq 60); do ctl "$pid" list | grep -q paused && break; sleep 0.05; done
expect_eq "after expiry: connected" C "$(step)"
ctl "$pid" resume >/dev/null

# reload: a bad file keeps the old rules, a good one replaces them
cp rules.cfg good.cfg
printf 'control = true;\nrules = ( { name = "refuse"; calls = [ "conect" ]; error = "ECONNREFUSED"; } );\n' > rules.cfg
expect_contains "reload a bad file" "$(ctl "$pid" reload)" "error: reload: $PWD/rules.cfg:2: rule 'refuse': unknown call 'conect' (did you mean 'connect'?) (the old rules stay)"
expect_eq "the old rules stayed" R "$(step)"
sed 's/enabled = false; //' good.cfg | sed 's/"refuse"/"refuse2"/' > rules.cfg
expect_eq "reload a good file" ok "$(ctl "$pid" reload)"
expect_eq "list after reload" "refuse2	armed	0	0	error
ok" "$(ctl "$pid" list)"

# stats is one JSON line
ctl "$pid" stats | head -n 1 > stats.json
expect_eq "stats" "$pid refuse2 armed" "$("$PYTHON" -c 'import json; d = json.load(open("stats.json")); print(d["pid"], d["rules"][0]["name"], d["rules"][0]["state"])')"

# another user is refused
if command -v setpriv >/dev/null && [ "$(id -u)" = 0 ]; then
    chmod 0755 "$XDG_RUNTIME_DIR" "$XDG_RUNTIME_DIR/faultline" client.py "$PWD"
    chmod 0777 "$sock"
    expect_contains "another uid" "$(setpriv --reuid=65534 --regid=65534 --clear-groups "$PYTHON" client.py "$pid" list 2>&1)" \
        "error: permission denied"
    chmod 0700 "$XDG_RUNTIME_DIR/faultline"; chmod 0600 "$sock"
fi

# a forked child serves a socket of its own
echo fork >&3
for _ in $(seq 100); do grep -q child out.txt && break; sleep 0.05; done
child=$(awk '/child/ {print $2}' out.txt)
for _ in $(seq 100); do [ -S "$XDG_RUNTIME_DIR/faultline/$child.sock" ] && break; sleep 0.05; done
expect_contains "the child's socket" "$(ctl "$child" list)" "refuse2"

# at exit the socket goes
echo quit >&3
wait $prog
expect_eq "socket removed at exit" no "$([ -e "$sock" ] && echo yes || echo no)"
expect_eq "commands in the event log" "enable refuse
disable refuse
enable nope
enable refuse
set refuse probability=0" "$(jsonl fields --where event=control ev.jsonl -- command | head -n 5)"
