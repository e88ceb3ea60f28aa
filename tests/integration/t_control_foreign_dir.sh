#!/usr/bin/env bash
# faultline ctl and ps trust no one else's socket:
# - a socket directory of another user's (nobody, mode 0777) holding a fake PID.sock: ctl and
#   ps refuse it, say why and how to fix it, and send it nothing;
# - in a sound directory (root's, or as root a private one of nobody's), a socket served by
#   another user (nobody) than the target's: ctl refuses it on the server's credentials and
#   sends it nothing;
# - a reply with terminal escapes (from a server of the right user): ctl and ps print every
#   control character escaped (\x1b), keeping the protocol's tabs and newlines.
. "$FL_ROOT/tests/integration/lib.sh"
[ "$(id -u)" = 0 ] || skip "needs root (to act as another user, nobody)"
id nobody >/dev/null 2>&1 || skip "no user nobody"
need setpriv
python_bin
for_others
FL=$(cd "$FL_PROGS/../.." && pwd)/faultline
export XDG_RUNTIME_DIR="$PWD/run"
mkdir -m 0755 run pub
chmod 0777 pub
as_nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"; }
as_nobody "$PYTHON" -c 'pass' 2>/dev/null || skip "nobody cannot run $PYTHON"

# A fake control server: binds PATH (mode 0777), answers every request with REPLY (Python
# escapes allowed) and records what it received in LOG.
cat > pub/fake.py <<'PY'
import os, socket, sys
path, reply, log = sys.argv[1], sys.argv[2].encode().decode("unicode_escape").encode("latin-1"), sys.argv[3]
s = socket.socket(socket.AF_UNIX); s.bind(path); os.chmod(path, 0o777); s.listen(8)
print("listening", flush=True)
while True:
    c, _ = s.accept()
    c.settimeout(2)
    try:
        got = c.recv(4096)
    except OSError:
        got = b""
    with open(log, "ab") as f:
        f.write(got)
    c.sendall(reply)
    c.close()
PY
chmod 0644 pub/fake.py
# start_fake AS PATH REPLY: the server, run as AS (root or nobody), until the test ends.
nfake=0
start_fake() {
    local as=$1 path=$2 reply=$3
    nfake=$((nfake + 1))
    : > "pub/got$nfake"; chmod 0666 "pub/got$nfake"
    if [ "$as" = nobody ]; then
        as_nobody "$PYTHON" pub/fake.py "$path" "$reply" "pub/got$nfake" > "pub/fake$nfake.out" 2>&1 &
    else
        "$PYTHON" pub/fake.py "$path" "$reply" "pub/got$nfake" > "pub/fake$nfake.out" 2>&1 &
    fi
    FL_PIDS+=($!)
    wait_for 100 grep -q listening "pub/fake$nfake.out"
}
no_escape() { # WHAT FILE: the file holds no ESC, BEL or other C0 control but tab and newline
    ! LC_ALL=C grep -q "$(printf '[\001-\010\013-\037\177]')" "$2" || fail "$1: raw control characters: $(od -c "$2" | head)"
}

sleep 30 &
target=$!
FL_PIDS+=("$target")
evil='\x1b]0;pwned\x07\x1b[31mred\x1b[0m\tcolumn\nok\n'

# ---- a foreign directory ---------------------------------------------------------------------
mkdir -m 0777 run/faultline
chown nobody:nogroup run/faultline
start_fake nobody "run/faultline/$target.sock" "$evil"
capture "$FL" ctl "$target" list
expect_status "ctl, foreign directory" 1 "$RC"
expect_contains "ctl says the directory is unsafe" "$ERR" "$PWD/run/faultline"
expect_contains "... whose it is" "$ERR" "65534"
no_escape "ctl's stdout" "$OUT_FILE"
no_escape "ctl's stderr" "$ERR_FILE"
expect_eq "nothing was sent to the foreign socket" "" "$(cat pub/got$nfake)"
capture "$FL" ps
expect_status "ps, foreign directory" 1 "$RC"
expect_contains "ps says the directory is unsafe" "$ERR" "$PWD/run/faultline"
no_escape "ps's stdout" "$OUT_FILE"
expect_eq "nothing was sent to the foreign socket by ps" "" "$(cat pub/got$nfake)"
kill "${FL_PIDS[-1]}"; rm -rf run/faultline

# ---- a sound directory, a socket served by another user ---------------------------------------
mkdir -m 0700 run/faultline
start_fake nobody "$PWD/pub/elsewhere.sock" "$evil"
mv pub/elsewhere.sock "run/faultline/$target.sock"
capture "$FL" ctl "$target" list
expect_status "ctl, server of another user" 1 "$RC"
expect_contains "ctl names the server's user" "$ERR" "65534"
no_escape "ctl's stdout" "$OUT_FILE"
no_escape "ctl's stderr" "$ERR_FILE"
expect_eq "nothing was sent to the other user's server" "" "$(cat pub/got$nfake)"
kill "${FL_PIDS[-1]}"; rm -f "run/faultline/$target.sock"

# ---- root and another user's private directory: its sockets must be served by their process's user
rm -rf run/faultline
mkdir -m 0700 run/faultline
chown nobody:nogroup run/faultline
start_fake nobody "run/faultline/$target.sock" "$evil"
capture "$FL" ctl "$target" list
expect_status "ctl, nobody's socket for root's process" 1 "$RC"
expect_contains "ctl names the server's user" "$ERR" "served by uid 65534"
expect_eq "nothing was sent to it" "" "$(cat pub/got$nfake)"
kill "${FL_PIDS[-1]}"; rm -rf run/faultline
mkdir -m 0700 run/faultline

# ---- escapes in a reply from a server of the right user --------------------------------------
start_fake root "run/faultline/$target.sock" "$evil"
capture "$FL" ctl "$target" list
expect_status "ctl, escapes in the reply" 0 "$RC"
no_escape "ctl's stdout" "$OUT_FILE"
expect_eq "printed escaped, the tab kept" '\x1b]0;pwned\x07\x1b[31mred\x1b[0m	column' "$OUT"
expect_eq "the request arrived" "list" "$(cat pub/got$nfake)"
kill "${FL_PIDS[-1]}"; rm -f "run/faultline/$target.sock"
start_fake root "run/faultline/$target.sock" 'error: \x1b[2Jgone\n'
capture "$FL" ctl "$target" list
expect_status "ctl, escapes in an error" 1 "$RC"
no_escape "ctl's stderr" "$ERR_FILE"
expect_contains "the error printed escaped" "$ERR" '\x1b[2Jgone'
kill "${FL_PIDS[-1]}"; rm -f "run/faultline/$target.sock"
start_fake root "run/faultline/$target.sock" '{"pid":1,"program":"/bin/\\u001b[31mevil","paused":false,"seed":1,"rules":[]}\nok\n'
capture "$FL" ps
expect_status "ps, escapes in stats" 0 "$RC"
no_escape "ps's stdout" "$OUT_FILE"
expect_contains "ps prints the program escaped" "$OUT" '/bin/\x1b[31mevil'
