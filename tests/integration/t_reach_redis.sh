#!/usr/bin/env bash
# Faults reach a real redis-server (append-only file on) and redis reacts in its own words:
#  (a) appendfsync always: a write to the AOF incr file failing with EIO makes redis log "Can't
#      recover from AOF write error" and exit 1, and the client never gets OK; an fdatasync of
#      it failing makes redis log "Can't persist AOF for fsync error" and exit 1. The paths
#      redis opens relative to its dir (appendonlydir/...) reach the rule as absolute paths.
#  (b) appendfsync everysec: ENOSPC on the AOF makes redis refuse writes with MISCONF; once
#      faultline ctl disables the rule, redis recovers by itself and SET returns OK again.
#  (c) a 200 ms delay on its socket writes makes a PING from redis-cli take at least 200 ms.
#  (d) a glob that also catches the AOF manifest stops redis at start, with its message.
#  (e) with the shim loaded and no rules, a fixed command sequence gives the same replies and
#      the same AOF bytes as redis without the shim.
. "$FL_ROOT/tests/integration/lib.sh"
need redis-server redis-cli
python_bin
FL=$(cd "$FL_PROGS/../.." && pwd)/faultline
[ -x "$FL" ] || fail "no faultline command at $FL"

TOP=$(cd "$FL_TMP" && pwd -P)
export XDG_RUNTIME_DIR="$TOP/run"
mkdir -m 0700 "$XDG_RUNTIME_DIR"

# redis_start NAME RULES [REDIS-OPTION]...: redis-server on a free loopback port, its data in
# $TOP/NAME, its log in NAME/redis.log, under the shim with RULES as FAULTLINE_RULES and the
# event log NAME/ev.jsonl (RULES "-": without the shim). Sets RDIR, RPID, RPORT. Returns 0 once
# redis accepts connections, 1 when it exited first (its exit status in RSTATUS).
redis_start() {
    local name=$1 rules=$2 try i
    shift 2
    RDIR="$TOP/$name"
    mkdir -p "$RDIR"
    for try in 1 2 3 4 5; do
        RPORT=$(free_port)
        rm -f "$RDIR/redis.log"
        local args=(--port "$RPORT" --bind 127.0.0.1 --dir "$RDIR" --logfile "$RDIR/redis.log"
            --daemonize no --save '' --appendonly yes "$@")
        if [ "$rules" = - ]; then
            redis-server "${args[@]}" &
        else
            LD_PRELOAD="$FL_LIB" FAULTLINE_RULES="$rules" FAULTLINE_LOG="$RDIR/ev.jsonl" \
                redis-server "${args[@]}" &
        fi
        RPID=$!
        for ((i = 0; i < 200; i++)); do
            if grep -q "Ready to accept connections" "$RDIR/redis.log" 2>/dev/null; then
                FL_PIDS+=("$RPID")
                return 0
            fi
            alive "$RPID" || break
            sleep 0.05
        done
        if alive "$RPID"; then
            kill "$RPID"
            fail "redis-server did not get ready in 10 s: $(tail -n 5 "$RDIR/redis.log")"
        fi
        wait "$RPID"
        RSTATUS=$?
        grep -q "Could not create server TCP listening socket" "$RDIR/redis.log" || return 1
        note "port $RPORT was taken meanwhile, trying another"
    done
    fail "no free loopback port for redis-server after 5 tries"
}

# redis_up NAME RULES [REDIS-OPTION]...: redis_start, which must get ready.
redis_up() {
    redis_start "$@" || fail "redis-server exited at start: $(tail -n 5 "$RDIR/redis.log")"
}

# rcli ARG...: redis-cli (without the shim) against the last redis started.
rcli() {
    redis-cli -h 127.0.0.1 -p "$RPORT" "$@"
}

# redis_exit: waits (10 s at most) for the last redis started to exit by itself; sets RSTATUS.
redis_exit() {
    local i
    for ((i = 0; i < 200; i++)); do
        alive "$RPID" || break
        sleep 0.05
    done
    alive "$RPID" && fail "redis-server is still running: $(tail -n 3 "$RDIR/redis.log")"
    wait "$RPID"
    RSTATUS=$?
}

faults() { # LOG RULE CALL: the number of faults RULE injected on CALL
    jsonl count --where event=fault --where rule="$2" --where call="$3" "$1"
}

# ---- (a) appendfsync always: a failed AOF write, a failed AOF fdatasync --------------------
rules='rules=({name="aofwrite"; calls=["write"]; path="*.incr.aof"; error="EIO";});'
redis_up always-write "$rules" --appendfsync always
capture rcli set k v1
expect_ne "the client's reply to SET when the AOF write fails" "OK" "$OUT"
expect_contains "redis-cli's message" "$OUT$ERR" "Server closed the connection"
redis_exit
expect_status "redis-server after the AOF write error" 1 "$RSTATUS"
log=$(cat "$RDIR/redis.log")
expect_contains "redis's log" "$log" "Error writing to the AOF file: Input/output error"
expect_contains "redis's log" "$log" \
    "Can't recover from AOF write error when the AOF fsync policy is 'always'. Exiting..."
expect_ge "AOF write faults" 1 "$(faults "$RDIR/ev.jsonl" aofwrite write)"
# redis opened appendonlydir/appendonly.aof.1.incr.aof relative to its dir: the shim saw it whole.
expect_eq "the path in the event log" "$RDIR/appendonlydir/appendonly.aof.1.incr.aof" \
    "$(jsonl fields --where event=fault "$RDIR/ev.jsonl" -- path | sort -u)"
[ ! -s "$RDIR/appendonlydir/appendonly.aof.1.incr.aof" ] || fail "the SET reached the AOF"

rules='rules=({name="aofsync"; calls=["fdatasync", "fsync"]; path="*.incr.aof"; error="EIO";});'
redis_up always-sync "$rules" --appendfsync always
capture rcli set k v1
expect_ne "the client's reply to SET when the AOF fdatasync fails" "OK" "$OUT"
expect_contains "redis-cli's message" "$OUT$ERR" "Server closed the connection"
redis_exit
expect_status "redis-server after the AOF fsync error" 1 "$RSTATUS"
expect_contains "redis's log" "$(cat "$RDIR/redis.log")" \
    "Can't persist AOF for fsync error when the AOF fsync policy is 'always': Input/output error. Exiting..."
# redis syncs its AOF with fdatasync on Linux.
expect_ge "AOF fdatasync faults" 1 "$(faults "$RDIR/ev.jsonl" aofsync fdatasync)"

# ---- (b) appendfsync everysec: ENOSPC, MISCONF, then recovery once the rule is off ---------
rules='control=true; rules=({name="full"; calls=["write"]; path="*.incr.aof"; error="ENOSPC";});'
redis_up everysec "$rules" --appendfsync everysec
# The first SET may still be answered (its AOF write happens after the reply is made); the
# failed write makes redis refuse the next ones.
misconf=
for i in $(seq 50); do
    reply=$(rcli set k "v$i" 2>&1)
    case $reply in MISCONF*) misconf=$reply; break ;; esac
    sleep 0.1
done
expect_eq "redis refuses writes after ENOSPC on its AOF" \
    "MISCONF Errors writing to the AOF file: No space left on device" "$misconf"
expect_eq "SET refused again" "$misconf" "$(rcli set k refused 2>&1)"
# Reads are still served (PING counts as a write for redis here and is refused too).
expect_match "GET still answers, with a value from before the refusal" "$(rcli get k 2>&1)" \
    '^v[0-9]+$'
expect_eq "PING refused too" "$misconf" "$(rcli ping 2>&1)"
expect_contains "redis's log" "$(cat "$RDIR/redis.log")" \
    "Error writing to the AOF file: No space left on device"
expect_ge "ENOSPC faults" 1 "$(faults "$RDIR/ev.jsonl" full write)"

for i in $(seq 100); do [ -S "$XDG_RUNTIME_DIR/faultline/$RPID.sock" ] && break; sleep 0.05; done
capture "$FL" ctl "$RPID" disable full
expect_status "faultline ctl disable full" 0 "$RC"
ok=
for i in $(seq 100); do
    reply=$(rcli set k after 2>&1)
    [ "$reply" = OK ] && { ok=1; break; }
    sleep 0.1
done
[ -n "$ok" ] || fail "redis still refuses writes 10 s after the rule was disabled: $reply"
expect_eq "the value written after recovery" "after" "$(rcli get k)"
expect_contains "redis's log" "$(cat "$RDIR/redis.log")" \
    "AOF write error looks solved, Redis can write again."
wait_for 100 grep -q after "$RDIR/appendonlydir/appendonly.aof.1.incr.aof"
expect_eq "the control command in the event log" "disable full	true" \
    "$(jsonl fields --where event=control "$RDIR/ev.jsonl" -- command ok)"

# ---- (c) latency on its socket writes -------------------------------------------------------
rules='rules=({name="slow"; calls=["write", "writev"]; fd="socket"; delay="200ms";});'
redis_up slow "$rules"
start=$(now_ms)
capture rcli ping
elapsed=$(($(now_ms) - start))
expect_eq "PING with slow socket writes" "PONG" "$OUT"
expect_ge "ms a PING takes with a 200ms delay on redis's socket writes" 200 "$elapsed"
expect_ge "delays on socket writes" 1 "$(jsonl count --where event=fault --where rule=slow \
    --where action=delay --where delay_ns=200000000 "$RDIR/ev.jsonl")"
note "PING took $elapsed ms"

# ---- (d) a glob that also catches the manifest: redis cannot start -------------------------
rules='rules=({name="dir"; calls=["write"]; path="*appendonlydir*"; error="ENOSPC";});'
if redis_start manifest "$rules"; then
    fail "redis-server started although it cannot write its AOF manifest"
fi
expect_status "redis-server that cannot write its AOF manifest" 1 "$RSTATUS"
expect_contains "redis's log" "$(cat "$RDIR/redis.log")" \
    "Error trying to write the temporary AOF manifest file temp-appendonly.aof.manifest: No space left on device"
expect_eq "the write that failed" "$RDIR/appendonlydir/temp-appendonly.aof.manifest" \
    "$(jsonl fields --where event=fault --where rule=dir "$RDIR/ev.jsonl" -- path | head -n 1)"
[ ! -e "$RDIR/appendonlydir/appendonly.aof.manifest" ] || fail "the manifest was written"

# ---- (e) no rules: same replies and the same AOF as without the shim -----------------------
cat > cmds.txt <<'EOF'
SET greeting hello
GET greeting
APPEND greeting ", world"
STRLEN greeting
INCR counter
INCRBY counter 41
RPUSH list a b c
LRANGE list 0 -1
HSET h f1 v1 f2 v2
HGETALL h
SADD s x
SISMEMBER s x
DEL list
EXISTS list
DBSIZE
GET nothing
LPUSH greeting oops
EOF
for run in bare shim; do
    if [ $run = bare ]; then
        redis_up bare - --appendfsync always
    else
        redis_up shim 'rules=();' --appendfsync always
    fi
    rcli < cmds.txt > "$run.out" 2>&1
    rcli shutdown > /dev/null 2>&1
    redis_exit
    expect_status "redis-server ($run) after SHUTDOWN" 0 "$RSTATUS"
done
expect_same_file "redis-cli output with the shim and no rules" bare.out shim.out
expect_eq "the replies" "OK hello 12 12 1 42 3 a b c 2 f1 v1 f2 v2 1 1 1 0 4  WRONGTYPE" \
    "$(tr '\n' ' ' < bare.out | cut -d' ' -f1-22)"
expect_same_file "the AOF with the shim and no rules" \
    bare/appendonlydir/appendonly.aof.1.incr.aof shim/appendonlydir/appendonly.aof.1.incr.aof
expect_eq "the shim was loaded in redis-server" 1 "$(jsonl count --where event=start shim/ev.jsonl)"
expect_eq "faults with no rules" 0 "$(jsonl count --where event=fault shim/ev.jsonl)"
