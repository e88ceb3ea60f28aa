#!/usr/bin/env bash
# Faults reach a real PostgreSQL server (a throwaway cluster, fsync on, restart_after_crash off,
# on a loopback port):
#  (b) with the shim loaded and no rules, in the server and in pgbench, pgbench -i and a
#      pgbench run of 50 transactions succeed;
#  (a) then, with a dormant rule enabled by faultline ctl once the server is up, the sync of a
#      WAL file (*/pg_wal/*) failing with EIO makes the backend that commits PANIC with
#      "could not fdatasync file" (the call of the server's wal_sync_method), psql sees that
#      message and "server closed the connection unexpectedly", and the server shuts down.
. "$FL_ROOT/tests/integration/lib.sh"
PGBIN=
for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V); do
    [ -x "$d/postgres" ] && [ -x "$d/initdb" ] && [ -x "$d/pgbench" ] && [ -x "$d/psql" ] &&
        PGBIN=$d
done
[ -n "$PGBIN" ] ||
    skip "no PostgreSQL server binaries (postgres, initdb, pgbench, psql) in /usr/lib/postgresql/*/bin"
not_under_sanitizer "postgres hangs at start with an ASan runtime preloaded, shim or not"
python_bin
FL=$(cd "$FL_PROGS/../.." && pwd)/faultline
[ -x "$FL" ] || fail "no faultline command at $FL"

# postgres refuses to run as root: then the server runs as nobody.
postgres_dirs
SERVER_LIB=$FL_LIB
[ ${#AS[@]} = 0 ] || SERVER_LIB=$OTHERS_LIB

capture "${AS[@]}" "$PGBIN/initdb" -D "$PG/data" -U postgres --auth=trust --no-sync -E UTF8 \
    --locale=C
expect_status "initdb" 0 "$RC"

# pg_start NAME RULES: the server on a free loopback port under the shim with RULES as
# FAULTLINE_RULES, the event log $PG/NAME.jsonl, its log $PG/NAME.log. Sets PGPID, PGPORT.
pg_start() {
    local name=$1 rules=$2 try i
    PGLOG="$PG/$name.log"
    for try in 1 2 3 4 5; do
        PGPORT=$(free_port)
        "${AS[@]}" env LD_PRELOAD="$SERVER_LIB" FAULTLINE_RULES="$rules" \
            FAULTLINE_LOG="$PG/$name.jsonl" "$PGBIN/postgres" -D "$PG/data" -p "$PGPORT" -c listen_addresses=127.0.0.1 \
            -c unix_socket_directories="$PG" -c restart_after_crash=off -c fsync=on \
            -c max_connections=20 > "$PGLOG" 2>&1 &
        PGPID=$!
        for ((i = 0; i < 300; i++)); do
            alive "$PGPID" || break
            if grep -q "database system is ready to accept connections" "$PGLOG" &&
                [ "$(pg_sql 'select 1' 2>/dev/null)" = 1 ]; then
                FL_PIDS+=("$PGPID")
                return 0
            fi
            sleep 0.05
        done
        if alive "$PGPID"; then
            kill "$PGPID"
            fail "postgres did not get ready in 15 s: $(tail -n 5 "$PGLOG")"
        fi
        wait "$PGPID"
        grep -q "could not bind IPv4 address" "$PGLOG" ||
            fail "postgres exited at start: $(tail -n 5 "$PGLOG")"
        note "port $PGPORT was taken meanwhile, trying another"
    done
    fail "no free loopback port for postgres after 5 tries"
}

# pg_sql SQL: psql (without the shim) runs SQL and prints the result unaligned.
pg_sql() {
    PGCONNECT_TIMEOUT=10 "$PGBIN/psql" -X -q -A -t -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PGPORT" \
        -U postgres -d postgres -c "$1"
}

# pg_exit: waits (15 s at most) for the server to exit; sets PGSTATUS.
pg_exit() {
    local i
    for ((i = 0; i < 300; i++)); do
        alive "$PGPID" || break
        sleep 0.05
    done
    alive "$PGPID" && fail "postgres is still running: $(tail -n 3 "$PGLOG")"
    wait "$PGPID"
    PGSTATUS=$?
}

# ---- (b) no rules: pgbench runs ------------------------------------------------------------
pg_start norules 'rules=();'
bench() {
    LD_PRELOAD="$FL_LIB" FAULTLINE_RULES='rules=();' FAULTLINE_LOG="$PG/pgbench.jsonl" \
        PGCONNECT_TIMEOUT=10 "$PGBIN/pgbench" -h 127.0.0.1 -p "$PGPORT" -U postgres "$@" postgres
}
capture bench -i -q
expect_status "pgbench -i under the shim, no rules" 0 "$RC"
expect_contains "pgbench -i" "$ERR" "done in"
capture bench -c 1 -t 50
expect_status "pgbench -t 50 under the shim, no rules" 0 "$RC"
expect_contains "pgbench's report" "$OUT" "number of transactions actually processed: 50/50"
expect_eq "rows in pgbench_history" 50 "$(pg_sql 'select count(*) from pgbench_history')"
expect_eq "faults with no rules" 0 \
    "$(jsonl count --where event=fault "$PG/norules.jsonl" "$PG/pgbench.jsonl")"
expect_ge "server processes with the shim loaded" 2 \
    "$(jsonl count --where event=start "$PG/norules.jsonl")"
method=$(pg_sql 'show wal_sync_method')
pg_sql 'create table t (x integer)' || fail "create table"
kill -INT "$PGPID" # fast shutdown
pg_exit
expect_status "postgres after a fast shutdown" 0 "$PGSTATUS"

# ---- (a) the WAL sync fails: PANIC ---------------------------------------------------------
case $method in
fdatasync | fsync) ;;
*) skip "wal_sync_method is $method here: the server does not sync its WAL with fsync/fdatasync" ;;
esac
rules='control=true; rules=({name="walsync"; calls=["fdatasync", "fsync"]; path="*/pg_wal/*";
       error="EIO"; enabled=false;});'
pg_start walsync "$rules"
wait_for 100 test -S "$XDG_RUNTIME_DIR/faultline/$PGPID.sock"
capture "$FL" ctl "$PGPID" enable walsync
expect_status "faultline ctl enable walsync" 0 "$RC"
# Each psql gets a backend forked from the postmaster, with the rule on. Its commit syncs the
# WAL itself, unless the WAL writer (forked earlier, rule off) synced it first: then try again.
for i in $(seq 20); do
    capture pg_sql "insert into t values ($i)"
    [ "$RC" = 0 ] || break
    alive "$PGPID" || break
done
expect_status "psql's insert when the WAL sync fails" 2 "$RC"
expect_contains "psql's message" "$ERR" "PANIC:  could not $method file \""
expect_contains "psql's message" "$ERR" "server closed the connection unexpectedly"
pg_exit
expect_status "postgres after a PANIC with restart_after_crash off" 1 "$PGSTATUS"
log=$(cat "$PGLOG")
expect_match "the server log" "$log" \
    "PANIC:  could not $method file \"[0-9A-F]{24}\": Input/output error"
expect_contains "the server log" "$log" "shutting down because restart_after_crash is off"
expect_ge "WAL sync faults" 1 "$(jsonl count --where event=fault --where rule=walsync \
    --where call="$method" --where errno=EIO "$PG/walsync.jsonl")"
expect_match "the file the fault hit" "$(jsonl fields --where event=fault "$PG/walsync.jsonl" -- path)" \
    "^$PG/data/pg_wal/[0-9A-F]{24}$"
