#!/usr/bin/env bash
# fl-timeout: 120
# A power loss under a real redis-server keeps what redis acknowledged, as its appendfsync
# setting promises. redis runs under faultline run with its dir tracked (durable = "DIR/*") on a
# loopback port; a client (a raw RESP client in Python) sends SET kI vI one at a time and records
# each +OK it gets; a power loss kills redis and faultline run rolls the dir back to what was
# synced; then redis starts again on that dir without faultline and the keys it loads are
# compared with the acknowledged ones:
#  (a) appendfsync always: a rule power_loss = true with after = 100 on the fdatasync of the AOF
#      incr file fires at the 101st SET (redis syncs the AOF before it replies): exactly k1..k100
#      were acknowledged and exactly k1..k100 come back. k101, written to the AOF but never
#      synced, is gone: the rollback undid its write (without it, redis would load k101).
#  (b) appendfsync everysec, a SET every 5 ms: faultline ctl PID power-loss after about 3 s.
#      What comes back is a prefix of what was sent, and every acknowledged key that is lost was
#      acknowledged less than 2 s before the last acknowledgement: redis documents losing up to
#      1 s of writes with everysec, and up to 2 s when an fsync is slow (its background fsync
#      can lag the write by up to 2 s before redis waits for it).
#  (c) everysec again, the power loss at the 4th background fdatasync of the AOF (a rule): the
#      writes of the second before it were not synced, so some acknowledged keys are lost (at
#      least one) and none acknowledged 2 s or more before the power loss.
# The dir is made by a first redis-server start without faultline (appendonlydir, its base and
# manifest), synced, before each run: redis 7 never syncs the directory that holds
# appendonlydir, so on a first start under tracking the whole appendonlydir is not durable. No
# RDB saves and no AOF rewrites run (save "", auto-aof-rewrite-percentage 0): they fork and
# rename, and would race the client.
. "$FL_ROOT/tests/integration/lib.sh"
need redis-server redis-cli sync
not_under_sanitizer "the client is python3, which hangs with an ASan runtime preloaded"
python_bin
FL=$(cd "$FL_PROGS/../.." && pwd)/faultline
[ -x "$FL" ] || fail "no faultline command at $FL"

TOP=$(cd "$FL_TMP" && pwd -P)
export XDG_RUNTIME_DIR="$TOP/run"
mkdir -m 0700 "$XDG_RUNTIME_DIR"

# ready LOG: redis wrote that it accepts connections.
ready() {
    grep -q "Ready to accept connections" "$1" 2>/dev/null
}

# The options every redis-server here gets (after --port, --dir, --logfile).
REDIS_OPTS=(--bind 127.0.0.1 --daemonize no --save '' --appendonly yes
    --auto-aof-rewrite-percentage 0)

# redis_bare DIR LOG [OPTION]...: redis-server without faultline on DIR on a free loopback
# port, in the background; sets RPID and RPORT once it accepts connections.
redis_bare() {
    local dir=$1 log=$2 try i
    shift 2
    for try in 1 2 3 4 5; do
        RPORT=$(free_port)
        rm -f "$log"
        redis-server --port "$RPORT" --dir "$dir" --logfile "$log" "${REDIS_OPTS[@]}" "$@" \
            </dev/null &
        RPID=$!
        for ((i = 0; i < 200; i++)); do
            ready "$log" && { FL_PIDS+=("$RPID"); return 0; }
            alive "$RPID" || break
            sleep 0.05
        done
        alive "$RPID" && { kill "$RPID"; fail "redis-server did not get ready in 10 s: $(tail -n 5 "$log")"; }
        wait "$RPID"
        grep -q "Could not create server TCP listening socket" "$log" ||
            fail "redis-server exited at start: $(tail -n 5 "$log")"
        note "port $RPORT was taken meanwhile, trying another"
    done
    fail "no free loopback port for redis-server after 5 tries"
}

# redis_stop: SHUTDOWN (without saving: there is nothing to save) and wait for it.
redis_stop() {
    redis-cli -h 127.0.0.1 -p "$RPORT" shutdown nosave >/dev/null 2>&1
    wait_for 200 eval '! alive "$RPID"'
    wait "$RPID" 2>/dev/null
}

# prepare NAME: $TOP/NAME made by a first start of redis-server without faultline (the AOF
# directory, its base file and manifest), then synced. Sets DIR.
prepare() {
    DIR="$TOP/$1"
    mkdir "$DIR"
    redis_bare "$DIR" "$TOP/$1.first.log"
    redis_stop
    [ -f "$DIR/appendonlydir/appendonly.aof.manifest" ] ||
        fail "redis made no AOF manifest in $DIR: $(tail -n 5 "$TOP/$1.first.log")"
    sync -f "$DIR" || fail "sync -f $DIR"
}

# redis_tracked NAME CONFIG [OPTION]...: faultline run -c CONFIG (its event log NAME.jsonl, its
# journal made in NAME.journal) -- redis-server on $TOP/NAME, its log NAME.log (outside the
# tracked dir: the rollback would take back what it says); sets FLPID (faultline run), RPID
# (redis-server, its child) and RPORT once redis accepts connections.
redis_tracked() {
    local name=$1 config=$2 try i log
    shift 2
    log="$TOP/$name.log"
    for try in 1 2 3 4 5; do
        RPORT=$(free_port)
        rm -rf "$log" "$TOP/$name.journal"
        mkdir "$TOP/$name.journal"
        "$FL" run -c "$config" -l "$TOP/$name.jsonl" --journal "$TOP/$name.journal" -- \
            redis-server --port "$RPORT" --dir "$TOP/$name" --logfile "$log" "${REDIS_OPTS[@]}" \
            "$@" </dev/null 2>"$TOP/$name.stderr" &
        FLPID=$!
        for ((i = 0; i < 200; i++)); do
            if ready "$log"; then
                FL_PIDS+=("$FLPID")
                RPID=$(redis-cli -h 127.0.0.1 -p "$RPORT" info server | tr -d '\r' |
                    sed -n 's/^process_id://p')
                [ -n "$RPID" ] || fail "redis-server under faultline run gave no process_id"
                return 0
            fi
            alive "$FLPID" || break
            sleep 0.05
        done
        alive "$FLPID" && { kill "$FLPID"; fail "redis-server under faultline run did not get ready in 10 s: $(tail -n 5 "$log") $(cat "$TOP/$name.stderr")"; }
        wait "$FLPID"
        grep -q "Could not create server TCP listening socket" "$log" 2>/dev/null ||
            fail "faultline run -- redis-server exited at start: $(cat "$TOP/$name.stderr") $(tail -n 5 "$log" 2>/dev/null)"
        note "port $RPORT was taken meanwhile, trying another"
    done
    fail "no free loopback port for redis-server after 5 tries"
}

# power_lost NAME: faultline run (FLPID) ends by itself within 20 s, with status 137 (the power
# loss killed redis), having said so on stderr and logged the power loss; no process of the run
# is left.
power_lost() {
    local name=$1
    wait_for 400 eval '! alive "$FLPID"'
    wait "$FLPID"
    FLSTATUS=$?
    expect_status "faultline run -- redis-server after the power loss" 137 "$FLSTATUS"
    alive "$RPID" && fail "redis-server $RPID outlived the power loss"
    note "faultline run said: $(cat "$TOP/$name.stderr")"
    expect_contains "faultline run's stderr" "$(cat "$TOP/$name.stderr")" "power loss"
    expect_eq "power losses in the event log" 1 \
        "$(jsonl count --where event=power_loss "$TOP/$name.jsonl")"
    expect_eq "the rollback in the event log" true \
        "$(jsonl fields --where event=rollback "$TOP/$name.jsonl" -- ok)"
}

# The client: SET kI vI for I = 1..LAST, one at a time, GAP seconds apart; each +OK appends
# "I SECONDS" (seconds since the first SET was sent) to ACKS. Stops at the first error or other
# reply; the last key it sent goes to ACKS.sent.
cat > client.py <<'EOF'
import socket, sys, time
port, last, gap, acks = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
s = socket.create_connection(("127.0.0.1", port))
r = s.makefile("rb")
t0 = time.monotonic()
sent = 0
with open(acks, "w") as f:
    for i in range(1, last + 1):
        k, v = b"k%d" % i, b"v%d" % i
        try:
            s.sendall(b"*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n" % (len(k), k, len(v), v))
            sent = i
            line = r.readline()
        except OSError:
            break
        if line != b"+OK\r\n":
            break
        f.write("%d %.6f\n" % (i, time.monotonic() - t0))
        f.flush()
        if gap:
            time.sleep(gap)
with open(acks + ".sent", "w") as f:
    f.write("%d\n" % sent)
EOF

# present NAME: redis-server without faultline on $TOP/NAME loads what survived; the numbers I
# of its keys kI go to NAME.present, sorted; stops it.
present() {
    local name=$1
    redis_bare "$TOP/$name" "$TOP/$name.after.log"
    redis-cli -h 127.0.0.1 -p "$RPORT" --scan --pattern 'k*' | sed 's/^k//' | sort -n \
        > "$TOP/$name.present"
    # Each key has its own value.
    local bad
    bad=$(head -n 3 "$TOP/$name.present" | while read -r i; do
        [ "$(redis-cli -h 127.0.0.1 -p "$RPORT" get "k$i")" = "v$i" ] || echo "k$i"
    done)
    [ -z "$bad" ] || fail "keys with the wrong value after the power loss: $bad"
    redis_stop
}

# ---- (a) appendfsync always: exactly the acknowledged keys survive -----------------------------
prepare always
cat > always.conf <<EOF
durable = "$TOP/always/*";
rules = ({ name = "pl"; calls = [ "fdatasync", "fsync" ]; path = "*.incr.aof"; after = 100;
           power_loss = true; });
EOF
redis_tracked always always.conf --appendfsync always
"$PYTHON" client.py "$RPORT" 300 0 always.acks
power_lost always
expect_eq "keys acknowledged with appendfsync always" "1 100" \
    "$(awk 'NR == 1 { f = $1 } { l = $1 } END { print f, l }' always.acks)"
expect_eq "acknowledgements" 100 "$(wc -l < always.acks)"
expect_eq "the key in flight at the power loss" 101 "$(cat always.acks.sent)"
expect_eq "the power loss hit the AOF's fdatasync" \
    "fdatasync	$TOP/always/appendonlydir/appendonly.aof.1.incr.aof" \
    "$(jsonl fields --where event=fault --where action=power_loss always.jsonl -- call path)"
present always
expect_eq "keys after the power loss (appendfsync always)" "$(seq 1 100)" "$(cat always.present)"
grep -q 'v101' always/appendonlydir/appendonly.aof.1.incr.aof &&
    fail "k101, never synced, is still in the AOF after the rollback"

# lost NAME: the acknowledged keys that did not survive, one "I SECONDS" a line, in NAME.lost;
# checks that the survivors are a prefix k1..kM of what was sent.
lost() {
    local name=$1 m
    m=$(wc -l < "$TOP/$name.present")
    expect_eq "the keys after the power loss are k1..k$m" "$(seq 1 "$m")" "$(cat "$TOP/$name.present")"
    awk -v m="$m" '$1 > m' "$TOP/$name.acks" > "$TOP/$name.lost"
}

# within NAME SECONDS: every lost acknowledged key was acknowledged less than SECONDS before
# the last acknowledgement (when the power loss came, give or take one SET).
within() {
    local name=$1 s=$2 last first_lost
    last=$(tail -n 1 "$TOP/$name.acks" | cut -d' ' -f2)
    [ -s "$TOP/$name.lost" ] || return 0
    first_lost=$(head -n 1 "$TOP/$name.lost" | cut -d' ' -f2)
    awk -v a="$first_lost" -v b="$last" -v s="$s" 'BEGIN { exit !(b - a < s) }' ||
        fail "$name: an acknowledged key lost was acknowledged $(awk -v a="$first_lost" -v b="$last" 'BEGIN { print b - a }') s before the power loss (more than $s s): $(head -n 1 "$TOP/$name.lost")"
}

# ---- (b) appendfsync everysec, power loss by faultline ctl after about 3 s ----------------------
prepare everysec
cat > everysec.conf <<EOF
durable = "$TOP/everysec/*";
control = true;
EOF
redis_tracked everysec everysec.conf --appendfsync everysec
wait_for 100 test -S "$XDG_RUNTIME_DIR/faultline/$RPID.sock"
"$PYTHON" client.py "$RPORT" 5000 0.005 everysec.acks &
client=$!
FL_PIDS+=("$client")
# About 3 s of acknowledged SETs, then the power loss.
wait_for 400 eval '[ "$(tail -n 1 everysec.acks 2>/dev/null | cut -d" " -f2 | cut -d. -f1)" -ge 3 ] 2>/dev/null'
capture "$FL" ctl "$RPID" power-loss
note "faultline ctl power-loss: $RC $OUT $ERR"
power_lost everysec
wait "$client"
present everysec
lost everysec
acked=$(wc -l < everysec.acks)
seconds=$(tail -n 1 everysec.acks | cut -d' ' -f2)
echo "everysec, ctl: $acked acknowledged in $seconds s, $(wc -l < everysec.lost) lost, $(wc -l < everysec.present) survived"
within everysec 2

# ---- (c) everysec, the power loss at the 4th background fdatasync ----------------------------
prepare bgsync
cat > bgsync.conf <<EOF
durable = "$TOP/bgsync/*";
rules = ({ name = "pl"; calls = [ "fdatasync", "fsync" ]; path = "*.incr.aof"; after = 3;
           power_loss = true; });
EOF
redis_tracked bgsync bgsync.conf --appendfsync everysec
"$PYTHON" client.py "$RPORT" 5000 0.005 bgsync.acks &
client=$!
FL_PIDS+=("$client")
power_lost bgsync
wait "$client"
present bgsync
lost bgsync
echo "everysec, 4th fsync: $(wc -l < bgsync.acks) acknowledged in $(tail -n 1 bgsync.acks | cut -d' ' -f2) s, $(wc -l < bgsync.lost) lost, $(wc -l < bgsync.present) survived"
expect_ge "acknowledged keys lost at the 4th background fsync" 1 "$(wc -l < bgsync.lost)"
within bgsync 2
