#!/usr/bin/env bash
# Benchmarks: the cost of durability tracking on programs that sync.
#
#   tests/bench/durable.sh BUILD_DIR      (tests/bench/run.sh runs it last)
#
# Needs BUILD_DIR/faultline (which finds BUILD_DIR/libfaultline.so) and /usr/bin/time; builds
# nothing. Three workloads, each under three variants, alternated, FL_BENCH_ROUNDS times
# (default 5):
#   bare      no preload
#   shim      faultline run -c a config with no durable key (and no rules)
#   tracked   faultline run -c a config with durable = "DIR/*" over the workload's files; its
#             journal in the same file system, kept (--keep-journal) to be measured
# The workloads:
#   sqlite3   FL_BENCH_DURABLE_TX (default 1000) INSERTs, each its own transaction, into a new
#             database file (rollback journal, synchronous=FULL: each commit syncs the journal,
#             the database and the directory); per process
#   redis     redis-server, appendonly yes, appendfsync always, under the variant, loaded by
#             redis-benchmark -t set -n FL_BENCH_DURABLE_REDIS_N (default 5000) -c 1 -P 1 on
#             127.0.0.1 (one AOF write and one fdatasync per SET); per SET
#   pgbench   PostgreSQL (fsync on) on a copy of a pgbench -i -s 1 cluster, under the variant,
#             loaded by pgbench -c 1 -t FL_BENCH_DURABLE_PG_TX (default 500); per transaction
#             (as nobody when run as root)
# Two measures, the median of each variant and its ratio to bare from this same run:
#   wall      the client's time per unit (sqlite3's whole process; 1e6 / redis-benchmark's
#             requests per second; pgbench's latency average): what a user waits, dominated by
#             the syncs, so it moves with whatever else the disk is doing
#   cpu       user + system CPU of the program and every process it started (/usr/bin/time over
#             the variant's command: the server, its children, faultline run), per unit: the
#             work tracking adds, much steadier on a busy machine
# and the size of the tracked run's journal at the end (median, bytes, du -sb).
set -u
export LC_ALL=C

if [ $# -ne 1 ]; then
    echo "usage: $0 BUILD_DIR" >&2
    exit 2
fi
build=$(cd "$1" 2>/dev/null && pwd) || { echo "$0: no build directory '$1'" >&2; exit 2; }
fl=$build/faultline
[ -x "$fl" ] && [ -e "$build/libfaultline.so" ] || { echo "$0: $fl or its shim is missing: run make" >&2; exit 2; }
/usr/bin/time -f '%U %S' -o /dev/null /bin/true 2>/dev/null ||
    { echo "$0: /usr/bin/time (Debian package time) is missing" >&2; exit 2; }
ROUNDS=${FL_BENCH_ROUNDS:-5}
TX=${FL_BENCH_DURABLE_TX:-1000}
REDIS_N=${FL_BENCH_DURABLE_REDIS_N:-5000}
PG_TX=${FL_BENCH_DURABLE_PG_TX:-500}
VARIANTS="bare shim tracked"

unset LD_PRELOAD FAULTLINE_CONFIG FAULTLINE_RULES FAULTLINE_SEED FAULTLINE_LOG FAULTLINE_STRICT
# The journal hard-links the files it tracks: it must be on their file system, so everything
# lives under one directory (TMPDIR, or /tmp).
tmp=$(mktemp -d "${TMPDIR:-/tmp}/faultline-bench-durable.XXXXXX") || exit 2
chmod 0755 "$tmp"

# The server in the background (/usr/bin/time above it): its pid.
job=""
# stop_job [PID SIGNAL]: sends SIGNAL to PID (the server itself; none: it was told to stop
# already), waits for the job to end (20 s at most), then SIGKILL. Also the EXIT trap's.
stop_job() {
    [ -n "$job" ] || return 0
    local i
    [ -z "${1:-}" ] || kill "-${2:-TERM}" "$1" 2>/dev/null
    for i in $(seq 1 400); do
        kill -0 "$job" 2>/dev/null || break
        sleep 0.05
    done
    kill -KILL "$job" 2>/dev/null
    wait "$job" 2>/dev/null
    job=""
}
trap 'stop_job; rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

median() { sort -g | awk '{ a[NR] = $1 } END { if (NR) print a[int((NR + 1) / 2)] }'; }

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# variant VARIANT DIR JOURNAL [FAULTLINE [OWNER]]: sets PRE, what runs a program under VARIANT
# with /usr/bin/time writing its CPU to $tmp/cpu; for tracked, DIR is tracked (the config
# JOURNAL.conf) and faultline run makes its journal in the directory JOURNAL (made anew, OWNER's)
# and keeps it. FAULTLINE: the faultline command, when not $fl. AS (an array, maybe empty) goes
# between the timer and the rest: who the program runs as.
AS=()
variant() {
    local v=$1 dir=$2 journal=$3 cmd=${4:-$fl}
    rm -f "$tmp/cpu"
    PRE=(/usr/bin/time -f '%U %S' -o "$tmp/cpu" "${AS[@]}")
    case $v in
    bare) ;;
    shim) PRE+=("$cmd" run -c "$tmp/untracked.conf" --) ;;
    tracked)
        printf 'durable = "%s/*";\n' "$dir" >"$journal.conf"
        chmod 0644 "$journal.conf"
        rm -rf "$journal"
        mkdir "$journal"
        [ -z "${5:-}" ] || chown "$5" "$journal"
        PRE+=("$cmd" run -q -c "$journal.conf" --journal "$journal" --keep-journal --)
        ;;
    esac
}
echo 'rules = ();' >"$tmp/untracked.conf"
chmod 0644 "$tmp/untracked.conf"

# record PREFIX VARIANT WALL UNITS [JOURNAL]: appends WALL (per unit) to PREFIX.VARIANT, the CPU
# /usr/bin/time wrote divided by UNITS (in WALL's unit: FACTOR per second, global) to
# PREFIX.cpu.VARIANT, and for tracked the journal's size (du -sb, then removed) to
# PREFIX.journal.
record() {
    local prefix=$1 v=$2 wall=$3 units=$4 journal=${5:-}
    echo "$wall" >>"$prefix.$v"
    awk -v u="$units" -v f="$FACTOR" 'NF == 2 { print ($1 + $2) * f / u }' "$tmp/cpu" >>"$prefix.cpu.$v"
    if [ "$v" = tracked ] && [ -d "$journal" ]; then
        du -sb "$journal" | cut -f1 >>"$prefix.journal"
        rm -rf "$journal"
    fi
}

# report TITLE UNIT PREFIX: per variant, the medians of wall and cpu with their ratios to bare,
# and the journal's size for tracked.
report() {
    local title=$1 unit=$2 prefix=$3 v w c bw bc k
    echo
    echo "$title"
    printf '  %-8s %22s %22s\n' "" "wall $unit" "cpu $unit"
    bw=$(median <"$prefix.bare")
    bc=$(median <"$prefix.cpu.bare")
    for v in $VARIANTS; do
        w=$(median <"$prefix.$v")
        c=$(median <"$prefix.cpu.$v")
        printf '  %-8s %12.3f (x%6.3f) %12.3f (x%6.3f)' "$v" "$w" \
            "$(awk -v a="$w" -v b="$bw" 'BEGIN { print a / b }')" "$c" \
            "$(awk -v a="$c" -v b="$bc" 'BEGIN { print (b > 0 ? a / b : 0) }')"
        if [ "$v" = tracked ]; then
            k=$(median <"$prefix.journal")
            printf '  journal %s bytes' "${k:--}"
        fi
        echo
    done
}

printf '\ndurability tracking: %s rounds, variants alternated; medians, (xN.NNN) = ratio to bare\n' "$ROUNDS"

# ---- sqlite3: transactions, each synced ----------------------------------------------------
bench_sqlite() {
    if ! command -v sqlite3 >/dev/null 2>&1; then
        printf '\nsqlite3: not measured: sqlite3 is not installed\n'
        return 0
    fi
    {
        echo 'PRAGMA journal_mode=DELETE;'
        echo 'PRAGMA synchronous=FULL;'
        echo 'CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, n INTEGER);'
        for i in $(seq 1 "$TX"); do
            printf "INSERT INTO t(name, n) VALUES('row-%d-abcdefghijklmnopqrstuvwxyz', %d);\n" "$i" "$((i * 7))"
        done
    } >"$tmp/sqlite.sql"
    local v r t0 t1 n dir=$tmp/sqlite p=$tmp/sq
    for v in $VARIANTS; do : >"$p.$v"; : >"$p.cpu.$v"; done
    : >"$p.journal"
    FACTOR=1000
    for r in $(seq 1 "$ROUNDS"); do
        for v in $VARIANTS; do
            rm -rf "$dir"
            mkdir "$dir"
            variant "$v" "$dir" "$tmp/sqlite.journal"
            t0=$(date +%s%N)
            if ! "${PRE[@]}" sqlite3 "$dir/t.db" <"$tmp/sqlite.sql" >/dev/null 2>"$tmp/err"; then
                echo "$0: sqlite3 under $v failed: $(head -c 400 "$tmp/err")" >&2
                exit 1
            fi
            t1=$(date +%s%N)
            record "$p" "$v" "$(awk -v ns=$((t1 - t0)) 'BEGIN { print ns / 1000000 }')" 1 \
                "$tmp/sqlite.journal"
            n=$(sqlite3 "$dir/t.db" 'SELECT count(*) FROM t;')
            [ "$n" = "$TX" ] || { echo "$0: sqlite3 under $v inserted $n rows, not $TX" >&2; exit 1; }
        done
    done
    report "sqlite3 $(sqlite3 --version | cut -d' ' -f1): $TX INSERTs, one transaction each (journal_mode=DELETE, synchronous=FULL); per process" ms "$p"
}

# ---- redis-server, appendfsync always -------------------------------------------------------
# start_redis VARIANT DIR: sets job and redis_port once redis answers PING; three tries on a
# port taken meanwhile.
redis_port=""
start_redis() {
    local v=$1 dir=$2 i
    for _ in 1 2 3; do
        redis_port=$(free_port) || return 1
        variant "$v" "$dir" "$tmp/redis.journal"
        "${PRE[@]}" redis-server --bind 127.0.0.1 --port "$redis_port" --dir "$dir" \
            --save '' --appendonly yes --appendfsync always --auto-aof-rewrite-percentage 0 \
            --daemonize no --logfile "$dir/redis.log" </dev/null >/dev/null 2>"$dir/stderr" &
        job=$!
        for i in $(seq 1 200); do
            if ! kill -0 "$job" 2>/dev/null; then
                wait "$job" 2>/dev/null
                job=""
                break
            fi
            [ "$(redis-cli -h 127.0.0.1 -p "$redis_port" ping 2>/dev/null)" = PONG ] && return 0
            sleep 0.05
        done
        redis-cli -h 127.0.0.1 -p "$redis_port" shutdown nosave >/dev/null 2>&1
        stop_job
    done
    echo "$0: redis-server under $v did not answer PING: $(tail -c 400 "$dir/redis.log" "$dir/stderr" 2>/dev/null)" >&2
    return 1
}

bench_redis() {
    local c
    for c in redis-server redis-benchmark redis-cli python3; do
        if ! command -v "$c" >/dev/null 2>&1; then
            printf '\nredis-server: not measured: %s is not installed (Debian packages redis-server, redis-tools)\n' "$c"
            return 0
        fi
    done
    local v r out rps dir=$tmp/redis p=$tmp/rd
    for v in $VARIANTS; do : >"$p.$v"; : >"$p.cpu.$v"; done
    : >"$p.journal"
    FACTOR=1000000
    for r in $(seq 1 "$ROUNDS"); do
        for v in $VARIANTS; do
            rm -rf "$dir"
            mkdir "$dir"
            start_redis "$v" "$dir" || exit 1
            if ! out=$(redis-benchmark -h 127.0.0.1 -p "$redis_port" -q -n "$REDIS_N" -t set -P 1 -c 1 \
                --csv 2>"$tmp/err"); then
                echo "$0: redis-benchmark against $v failed: $(head -c 400 "$tmp/err") $out" >&2
                exit 1
            fi
            rps=$(printf '%s\n' "$out" | awk -F'"' '$2 == "SET" { print $4 }')
            [ -n "$rps" ] || { echo "$0: redis-benchmark against $v printed no SET line: $out" >&2; exit 1; }
            redis-cli -h 127.0.0.1 -p "$redis_port" shutdown nosave >/dev/null 2>&1
            stop_job
            record "$p" "$v" "$(awk -v r="$rps" 'BEGIN { print 1000000 / r }')" "$REDIS_N" \
                "$tmp/redis.journal"
        done
    done
    report "redis-server $(redis-server --version | sed -n 's/.* v=\([^ ]*\).*/\1/p'), appendfsync always: redis-benchmark -t set -n $REDIS_N -c 1 -P 1; per SET (wall: 1e6 / requests per second)" us "$p"
}

# ---- PostgreSQL under pgbench ---------------------------------------------------------------
bench_pgbench() {
    local pgbin="" d
    for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V); do
        [ -x "$d/postgres" ] && [ -x "$d/initdb" ] && [ -x "$d/pgbench" ] && [ -x "$d/psql" ] && pgbin=$d
    done
    if [ -z "$pgbin" ]; then
        printf '\npgbench: not measured: no PostgreSQL server binaries in /usr/lib/postgresql/*/bin (Debian package postgresql)\n'
        return 0
    fi
    # postgres refuses to run as root: then it (and faultline run) run as nobody, with a copy of
    # the faultline command and its shim that nobody can reach.
    local flcmd=$fl owner=""
    if [ "$(id -u)" = 0 ]; then
        if ! command -v setpriv >/dev/null 2>&1; then
            printf '\npgbench: not measured: running as root and setpriv is not installed\n'
            return 0
        fi
        AS=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
        owner=nobody:nogroup
        mkdir -p "$tmp/bin"
        cp "$fl" "$build/libfaultline.so" "$tmp/bin/"
        chmod 0755 "$tmp/bin" "$tmp/bin/faultline"
        chmod 0644 "$tmp/bin/libfaultline.so"
        flcmd=$tmp/bin/faultline
    fi
    local pg=$tmp/pg
    mkdir -m 0700 "$pg"
    [ -z "$owner" ] || chown "$owner" "$pg"
    if ! "${AS[@]}" "$pgbin/initdb" -D "$pg/origin" -U postgres --auth=trust --no-sync -E UTF8 \
        --locale=C >"$tmp/err" 2>&1; then
        echo "$0: initdb failed: $(tail -c 400 "$tmp/err")" >&2
        exit 1
    fi
    local port
    # start_pg VARIANT DATA: the server on DATA under VARIANT; sets job and port.
    start_pg() {
        local v=$1 data=$2 i
        for _ in 1 2 3; do
            port=$(free_port) || return 1
            variant "$v" "$data" "$pg/pgbench.journal" "$flcmd" "$owner"
            "${PRE[@]}" "$pgbin/postgres" -D "$data" -p "$port" -c listen_addresses=127.0.0.1 \
                -c unix_socket_directories="$pg" -c fsync=on -c max_connections=10 \
                </dev/null >"$data.log" 2>&1 &
            job=$!
            for i in $(seq 1 600); do
                if ! kill -0 "$job" 2>/dev/null; then
                    wait "$job" 2>/dev/null
                    job=""
                    break
                fi
                grep -q "database system is ready to accept connections" "$data.log" &&
                    PGCONNECT_TIMEOUT=10 "$pgbin/psql" -X -q -A -t -h 127.0.0.1 -p "$port" -U postgres \
                        -d postgres -c 'select 1' >/dev/null 2>&1 && return 0
                sleep 0.05
            done
            stop_pg "$data"
        done
        echo "$0: postgres under $v did not start: $(tail -c 400 "$data.log")" >&2
        return 1
    }
    # stop_pg DATA: a fast shutdown (SIGINT to the postmaster).
    stop_pg() {
        stop_job "$(head -n 1 "$1/postmaster.pid" 2>/dev/null)" INT
    }
    start_pg bare "$pg/origin" || exit 1
    if ! PGCONNECT_TIMEOUT=10 "$pgbin/pgbench" -h 127.0.0.1 -p "$port" -U postgres -i -q -s 1 postgres \
        >"$tmp/err" 2>&1; then
        echo "$0: pgbench -i failed: $(tail -c 400 "$tmp/err")" >&2
        exit 1
    fi
    stop_pg "$pg/origin"
    sync -f "$pg/origin"
    local v r out lat data=$pg/data p=$tmp/pb
    for v in $VARIANTS; do : >"$p.$v"; : >"$p.cpu.$v"; done
    : >"$p.journal"
    FACTOR=1000
    for r in $(seq 1 "$ROUNDS"); do
        for v in $VARIANTS; do
            rm -rf "$data"
            cp -a "$pg/origin" "$data"
            start_pg "$v" "$data" || exit 1
            if ! out=$(PGCONNECT_TIMEOUT=10 "$pgbin/pgbench" -h 127.0.0.1 -p "$port" -U postgres -n -c 1 \
                -t "$PG_TX" postgres 2>"$tmp/err"); then
                echo "$0: pgbench against $v failed: $(tail -c 400 "$tmp/err") $out" >&2
                exit 1
            fi
            # "latency average = 1.234 ms"
            lat=$(printf '%s\n' "$out" | sed -n 's/^latency average = \([0-9.]*\) ms$/\1/p')
            [ -n "$lat" ] || { echo "$0: pgbench against $v printed no latency average: $out" >&2; exit 1; }
            stop_pg "$data"
            record "$p" "$v" "$lat" "$PG_TX" "$pg/pgbench.journal"
        done
    done
    AS=()
    report "PostgreSQL $("$pgbin/postgres" --version | awk '{ print $3 }') (fsync on), pgbench -s 1 -c 1 -t $PG_TX (TPC-B like); per transaction (wall: pgbench's latency average)" ms "$p"
}

bench_sqlite
bench_redis
bench_pgbench
echo
echo "bare: no preload; shim: faultline run, no durable key; tracked: faultline run, durable over the workload's files"
echo "cpu: user + system of the program and all it started (/usr/bin/time), including its start and stop"
