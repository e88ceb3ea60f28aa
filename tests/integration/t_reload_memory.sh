#!/usr/bin/env bash
# reload and set free what they replace: a process with a 1,000-rule config (rules on @all,
# @read and @write calls, so every call's index is long) gets 300 reloads and 600 sets through
# its control socket; its resident memory (VmRSS) after them stays within twice what it was
# after the first 10 reloads, plus 8 MB. Each reload builds a new ruleset
# (about 1 MB: kept for ever, 300 of them came to about 300 MB); freed once no call can still
# read them, the process reuses the same memory (measured: 19.1 MB after 10 reloads, 19.5 MB
# after 300 and after 600 sets; 26 MB, 322 MB and 440 MB before).
. "$FL_ROOT/tests/integration/lib.sh"
python_bin
export XDG_RUNTIME_DIR="$PWD/run"
mkdir -m 0700 run

{
    echo 'control = true;'
    echo 'rules = ('
    for i in $(seq 1 1000); do
        case $((i % 3)) in
        0) calls='"@all"' ;; 1) calls='"@read"' ;; 2) calls='"@write", "msync"' ;;
        esac
        printf '  { name = "r%04d"; calls = [ %s ]; error = "EIO"; enabled = false; }%s\n' \
            "$i" "$calls" "$([ $i = 1000 ] && echo '' || echo ',')"
    done
    echo ');'
} > rules.cfg

cat > client.py <<'PY'
import os, socket, sys
pid, count = sys.argv[1], int(sys.argv[2])
path = "%s/faultline/%s.sock" % (os.environ["XDG_RUNTIME_DIR"], pid)
for i in range(count):
    for cmd in sys.argv[3:]:
        cmd = cmd.replace("{i}", "%04d" % (i % 1000 + 1))
        s = socket.socket(socket.AF_UNIX)
        s.connect(path)
        s.sendall((cmd + "\n").encode())
        reply = s.makefile().read()
        s.close()
        if not reply.endswith("ok\n"):
            sys.exit("%s: %s" % (cmd, reply))
PY
rss() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }

mkfifo in
FAULTLINE_CONFIG="$PWD/rules.cfg" LD_PRELOAD="$FL_LIB" "$PYTHON" -c '
import os, sys
print("ready", os.getpid(), flush=True)
sys.stdin.read()' < in > out.txt 2> err.txt &
prog=$!
exec 3> in
at_exit "exec 3>&-; kill $prog 2>/dev/null"
for _ in $(seq 200); do grep -q ready out.txt && break; sleep 0.05; done
pid=$(awk '/ready/ {print $2}' out.txt)
[ -n "$pid" ] || fail "the program did not start: $(cat err.txt)"
wait_for 200 test -S "run/faultline/$pid.sock"

"$PYTHON" client.py "$pid" 10 reload || fail "the first reloads"
base=$(rss "$pid")
"$PYTHON" client.py "$pid" 290 reload || fail "reloads"
after_reloads=$(rss "$pid")
"$PYTHON" client.py "$pid" 300 "set r{i} probability=0.5" "set r{i} calls=[\"read\",\"write\"]" ||
    fail "sets"
after=$(rss "$pid")
note "VmRSS: after 10 reloads ${base} kB, after 300 reloads ${after_reloads} kB, after 600 sets ${after} kB"
echo "VmRSS: after 10 reloads ${base} kB, after 300 reloads ${after_reloads} kB, after 600 sets ${after} kB" >&2
kill -0 "$prog" || fail "the program died: $(cat err.txt)"
# A sanitizer's quarantine holds freed memory back (256 MB under ASan): the work above still
# looks for use after free, the bound cannot hold.
[ -z "${FL_PRELOAD_FIRST:-}" ] || { note "under a sanitizer: VmRSS bound not checked"; exit 0; }
limit=$((2 * base + 8192))
[ "$after_reloads" -le "$limit" ] || fail "VmRSS after 300 reloads: $after_reloads kB, over $limit kB"
[ "$after" -le "$limit" ] || fail "VmRSS after 600 sets: $after kB, over $limit kB"
