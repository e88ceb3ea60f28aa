#!/usr/bin/env bash
# fl-timeout: 150
# A power loss under a real PostgreSQL server, across its many processes. A fresh cluster
# (initdb, a table t(id integer primary key) made by a first start without faultline, then
# synced) is copied for each run; the server runs under faultline run with its data directory
# tracked (durable = "DATA/*") on a loopback port; one psql session runs INSERT INTO t VALUES (I),
# each its own transaction, and prints "ack I" after each commit the server acknowledged; a
# rule power_loss = true on the WAL (after = 300 calls in one process: the backend or the WAL
# writer, whichever gets there first) kills every process of the run, and faultline run rolls
# the data directory back to what was synced. Then the server starts again on that directory
# without faultline and recovers from its WAL:
#  (a) fsync = on, the power loss at the 301st fdatasync/fsync of a WAL segment in one process:
#      the server recovers, and the rows are exactly 1..M with M at least the last acknowledged
#      id (every acknowledged row is there; M may be one more: the commit in flight). When the
#      backend is the process (as it is: it syncs at each commit), M is the last acknowledged
#      id: the commit whose sync the power loss came at was written to the WAL, and rolled back.
#  (b) fsync = off (the server never syncs), the power loss at the 301st WAL write of one
#      process, with torn = { sector = 4096; keep = 0.5; } so that a seeded half of the unsynced
#      sectors keep their new content, seeds 1, 2 and 3: in at least one run acknowledged rows
#      are lost or the cluster is damaged (the server does not start, or its rows have a gap).
# Each run says what it saw (rows acknowledged, rows after recovery, the server's last words).
. "$FL_ROOT/tests/integration/lib.sh"
PGBIN=
for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V); do
    [ -x "$d/postgres" ] && [ -x "$d/initdb" ] && [ -x "$d/psql" ] && PGBIN=$d
done
[ -n "$PGBIN" ] ||
    skip "no PostgreSQL server binaries (postgres, initdb, psql) in /usr/lib/postgresql/*/bin"
need sync
not_under_sanitizer "postgres hangs at start with an ASan runtime preloaded, shim or not"
python_bin
FL=$(cd "$FL_PROGS/../.." && pwd)/faultline
[ -x "$FL" ] || fail "no faultline command at $FL"

# postgres refuses to run as root: then the server, and faultline run above it, run as nobody
# (the journal and the data directory must be theirs).
postgres_dirs
[ ${#AS[@]} = 0 ] || FL=$OTHERS_FL

# sql PORT SQL: psql (without faultline) runs SQL and prints the result unaligned.
sql() {
    PGCONNECT_TIMEOUT=10 "$PGBIN/psql" -X -q -A -t -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$1" \
        -U postgres -d postgres -c "$2"
}

# pg_bare DATA LOG: the server without faultline on DATA, a free loopback port, in the
# background. Sets PGPID and PGPORT and returns 0 once it answers; returns 1 when it exited
# first for another reason than a taken port (a damaged cluster: LOG says why).
pg_bare() {
    local data=$1 log=$2 try i
    for try in 1 2 3 4 5; do
        PGPORT=$(free_port)
        "${AS[@]}" "$PGBIN/postgres" -D "$data" -p "$PGPORT" -c listen_addresses=127.0.0.1 \
            -c unix_socket_directories="$PG" -c max_connections=10 > "$log" 2>&1 &
        PGPID=$!
        for ((i = 0; i < 600; i++)); do
            alive "$PGPID" || break
            if grep -q "database system is ready to accept connections" "$log" &&
                [ "$(sql "$PGPORT" 'select 1' 2>/dev/null)" = 1 ]; then
                FL_PIDS+=("$PGPID")
                return 0
            fi
            sleep 0.05
        done
        alive "$PGPID" && { kill -QUIT "$PGPID"; fail "postgres did not get ready in 30 s: $(tail -n 5 "$log")"; }
        wait "$PGPID"
        grep -q "could not bind IPv4 address" "$log" || return 1
        note "port $PGPORT was taken meanwhile, trying another"
    done
    fail "no free loopback port for postgres after 5 tries"
}

# pg_stop: a fast shutdown of the server started last; waits for it.
pg_stop() {
    kill -INT "$PGPID"
    wait_for 600 eval '! alive "$PGPID"'
    wait "$PGPID"
}

# ---- the cluster every run starts from -------------------------------------------------------
capture "${AS[@]}" "$PGBIN/initdb" -D "$PG/origin" -U postgres --auth=trust --no-sync -E UTF8 \
    --locale=C
expect_status "initdb" 0 "$RC"
pg_bare "$PG/origin" "$PG/origin.log" || fail "postgres exited at start: $(tail -n 5 "$PG/origin.log")"
sql "$PGPORT" 'create table t (id integer primary key)' || fail "create table t"
pg_stop
sync -f "$PG/origin" || fail "sync -f $PG/origin"

# The workload: one psql session, each INSERT its own transaction, "ack I" after its commit;
# first "backend PID", the server process that serves it.
echo "select 'backend ' || pg_backend_pid();" > "$TOP/inserts.sql"
for ((i = 1; i <= 3000; i++)); do
    echo "insert into t values ($i);"
    echo "\\echo ack $i"
done >> "$TOP/inserts.sql"
chmod 0644 "$TOP/inserts.sql"

# run NAME FSYNC CONFIG-TEXT [SEED]: a copy of the cluster in $PG/NAME (synced), then
# faultline run -c NAME.conf (CONFIG-TEXT after durable = "$PG/NAME/*") -- postgres on it,
# fsync = FSYNC, and the workload through psql until the power loss ends the run. Leaves
# NAME.acks (the acknowledged ids), the server's log and faultline run's stderr NAME.log, its
# event log NAME.jsonl; checks that the run ended in a power loss.
run() {
    local name=$1 fsync=$2 text=$3 seed=${4:-} data="$PG/$1" try i
    cp -a "$PG/origin" "$data"
    rm -f "$data/postmaster.pid"
    sync -f "$data" || fail "sync -f $data"
    printf 'durable = "%s/*";\n%s\n' "$data" "$text" > "$PG/$name.conf"
    chmod 0644 "$PG/$name.conf"
    local -a opts=(-c "$PG/$name.conf" -l "$PG/$name.jsonl" --journal "$PG/$name.journal")
    [ -n "$seed" ] && opts+=(--seed "$seed")
    for try in 1 2 3 4 5; do
        PGPORT=$(free_port)
        rm -rf "$PG/$name.journal" "$PG/$name.jsonl"
        mkdir "$PG/$name.journal"
        [ ${#AS[@]} = 0 ] || chown nobody:nogroup "$PG/$name.journal"
        "${AS[@]}" "$FL" run "${opts[@]}" -- "$PGBIN/postgres" -D "$data" -p "$PGPORT" \
            -c listen_addresses=127.0.0.1 -c unix_socket_directories="$PG" -c max_connections=10 \
            -c fsync="$fsync" > "$PG/$name.log" 2>&1 &
        FLPID=$!
        for ((i = 0; i < 600; i++)); do
            alive "$FLPID" || break
            grep -q "database system is ready to accept connections" "$PG/$name.log" && break
            sleep 0.05
        done
        alive "$FLPID" && break
        wait "$FLPID"
        grep -q "could not bind IPv4 address" "$PG/$name.log" ||
            fail "$name: faultline run -- postgres exited at start: $(tail -n 5 "$PG/$name.log")"
        note "port $PGPORT was taken meanwhile, trying another"
    done
    alive "$FLPID" || fail "no free loopback port for postgres after 5 tries"
    FL_PIDS+=("$FLPID")
    grep -q "database system is ready to accept connections" "$PG/$name.log" ||
        fail "$name: postgres under faultline run did not get ready in 30 s: $(tail -n 5 "$PG/$name.log")"
    # The server's processes: the postmaster (the first line of postmaster.pid) and its children.
    local pm procs
    pm=$(head -n 1 "$data/postmaster.pid")
    procs="$pm $(pgrep -P "$pm" | tr '\n' ' ')"
    PGCONNECT_TIMEOUT=10 "$PGBIN/psql" -X -q -A -t -v ON_ERROR_STOP=1 -h 127.0.0.1 \
        -p "$PGPORT" -U postgres -d postgres -f "$TOP/inserts.sql" > "$PG/$name.psql" 2>&1
    note "$name: psql exited with $?: $(grep -v '^ack' "$PG/$name.psql" | head -n 3)"
    sed -n 's/^ack //p' "$PG/$name.psql" > "$PG/$name.acks"
    wait_for 400 eval '! alive "$FLPID"'
    wait "$FLPID"
    FLSTATUS=$?
    # faultline's lines among the server's (postgres logs to stderr)
    local said
    said=$(grep '^faultline: ' "$PG/$name.log")
    note "$name: faultline run said: $said"
    expect_status "$name: faultline run -- postgres after the power loss" 137 "$FLSTATUS"
    expect_match "$name: faultline run's stderr" "$said" "^faultline: power loss \\(rule 'pl': .*\\): rolled back "
    expect_eq "$name: power losses in the event log" 1 \
        "$(jsonl count --where event=power_loss "$PG/$name.jsonl")"
    expect_eq "$name: the rollback in the event log" true \
        "$(jsonl fields --where event=rollback "$PG/$name.jsonl" -- ok)"
    local p
    for p in $procs; do
        alive "$p" && fail "$name: process $p of the server ($procs) outlived the power loss"
    done
    [ -s "$PG/$name.acks" ] || fail "$name: no row was acknowledged before the power loss: $(head -n 5 "$PG/$name.psql")"
    ACKED=$(tail -n 1 "$PG/$name.acks")
    BACKEND=$(sed -n 's/^backend //p' "$PG/$name.psql")
}

# recover NAME: the server without faultline on $PG/NAME; RECOVERED=started or damaged (it did
# not start); ROWS the ids in t, one a line, sorted (empty when damaged or when t is gone).
recover() {
    local name=$1
    if pg_bare "$PG/$name" "$PG/$name.after.log"; then
        RECOVERED=started
        ROWS=$(sql "$PGPORT" 'select id from t order by id' 2>"$PG/$name.select.err")
        [ -s "$PG/$name.select.err" ] && RECOVERED="started, select failed: $(head -n 1 "$PG/$name.select.err")"
        pg_stop
    else
        RECOVERED=damaged
        ROWS=
    fi
}

# ---- (a) fsync = on: every acknowledged row is there ------------------------------------------
run on on 'rules = ({ name = "pl"; calls = [ "fdatasync", "fsync" ]; path = "*/pg_wal/0*";
                      after = 300; power_loss = true; });'
expect_match "the power loss hit a WAL sync" \
    "$(jsonl fields --where event=fault --where action=power_loss "$PG/on.jsonl" -- call path)" \
    "^(fdatasync|fsync)	$PG/on/pg_wal/[0-9A-F]{24}\$"
recover on
expect_eq "fsync=on: the server after the power loss" started "$RECOVERED"
expect_contains "fsync=on: the server's log" "$(cat "$PG/on.after.log")" \
    "database system was interrupted"
m=$(printf '%s\n' "$ROWS" | tail -n 1)
expect_ge "fsync=on: rows after recovery (the last acknowledged id is $ACKED)" "$ACKED" "${m:-0}"
expect_eq "fsync=on: the rows are 1..$m" "$(seq 1 "$m")" "$ROWS"
[ "$m" -le $((ACKED + 1)) ] || fail "fsync=on: row $m is there but only $ACKED were acknowledged and one was in flight"
# When the power loss came in the backend, at the sync of the next commit (its WAL written, not
# synced), the rollback took that commit back.
if [ "$(jsonl fields --where event=fault --where action=power_loss "$PG/on.jsonl" -- pid)" = "$BACKEND" ]; then
    expect_eq "fsync=on: the last row, the power loss in the backend at the next commit's sync" \
        "$ACKED" "$m"
else
    note "the power loss came in another process than the backend $BACKEND"
fi
echo "fsync=on: $ACKED acknowledged, rows 1..$m after recovery"

# ---- (b) fsync = off: acknowledged rows are lost, or the cluster is damaged ------------------
seen=
for seed in 1 2 3; do
    run off$seed off 'torn = { sector = 4096; keep = 0.5; };
rules = ({ name = "pl"; calls = [ "write", "pwrite", "pwritev" ]; path = "*/pg_wal/0*";
           after = 300; power_loss = true; });' "$seed"
    recover off$seed
    m=$(printf '%s\n' "$ROWS" | sed '/^$/d' | wc -l)
    if [ "$RECOVERED" != started ]; then
        outcome="damaged: $(grep -E 'PANIC|FATAL' "$PG/off$seed.after.log" | head -n 2 | tr '\n' ' ')"
    elif [ "$ROWS" != "$(seq 1 "$ACKED")" ] && [ "$ROWS" != "$(seq 1 $((ACKED + 1)))" ]; then
        if [ "$m" -gt 0 ] && [ "$ROWS" != "$(seq 1 "$m")" ]; then
            outcome="damaged: $m rows with gaps"
        else
            outcome="lost: $m rows of $ACKED acknowledged"
        fi
    else
        outcome="intact"
    fi
    echo "fsync=off, seed $seed: $ACKED acknowledged; $outcome"
    [ "$outcome" = intact ] || seen+="seed $seed: $outcome; "
done
[ -n "$seen" ] || fail "fsync=off: three power losses lost no acknowledged row"
