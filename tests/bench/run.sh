#!/usr/bin/env bash
# Benchmarks: the cost of faultline on calls it passes through.
#
#   tests/bench/run.sh BUILD_DIR      (make bench builds, then runs this)
#
# Needs BUILD_DIR/libfaultline.so, BUILD_DIR/faultline and BUILD_DIR/tests/bench/bench; builds
# nothing.
# For each case of bench.c, alternates whole-process runs of the variants, ROUNDS times:
#   bare     no preload
#   fl       faultline preloaded, no rules
#   fl1000   faultline with 1000 rules on other calls (getnameinfo, msync; distinct names)
#   flarmed  one rule on the measured call that matches and does not fire: probability
#            0.000001 with a fixed seed and dry_run = true (so a rare hit still injects nothing)
#   fiu      libfiu with nothing enabled (fiu-run -x), when fiu-run is installed
# and prints the medians (ns per operation), each variant's ratio to bare from this same run, and
# the median peak RSS of each variant. Then sqlite3 running 2000 inserts in one transaction into
# a new database file, whole-process wall time, median of ROUNDS. Then redis-server (bare, fl,
# fldormant, fiu; a new server on a free 127.0.0.1 port per run) under redis-benchmark: SET and
# GET requests/s, median of ROUNDS, and the server's peak RSS (VmHWM before stopping it).
# FL_BENCH_ROUNDS, FL_BENCH_CASES and FL_BENCH_REDIS_N (requests per test) override the defaults.
# Last, tests/bench/durable.sh: the cost of durability tracking (sqlite3, redis-server and
# PostgreSQL bare, under the shim, tracked; needs BUILD_DIR/faultline).
set -u
export LC_ALL=C

if [ $# -ne 1 ]; then
    echo "usage: $0 BUILD_DIR" >&2
    exit 2
fi
build=$(cd "$1" 2>/dev/null && pwd) || { echo "$0: no build directory '$1'" >&2; exit 2; }
lib=$build/libfaultline.so
bench=$build/tests/bench/bench
for f in "$lib" "$bench"; do
    [ -e "$f" ] || { echo "$0: $f is missing: run make bench" >&2; exit 2; }
done
ROUNDS=${FL_BENCH_ROUNDS:-5}
CASES=${FL_BENCH_CASES:-"malloc malloc2 malloc4 write read open connect fwrite"}

unset LD_PRELOAD FAULTLINE_CONFIG FAULTLINE_RULES FAULTLINE_SEED FAULTLINE_LOG FAULTLINE_STRICT
tmp=$(mktemp -d "${TMPDIR:-/tmp}/faultline-bench.XXXXXX") || exit 2
trap 'rm -rf "$tmp"' EXIT
export TMPDIR=$tmp

# 1000 rules on calls no case makes.
"$(dirname "${BASH_SOURCE[0]}")/other-rules.sh" >"$tmp/rules1000.conf"
if ! out=$(LD_PRELOAD=$lib FAULTLINE_CONFIG=$tmp/rules1000.conf FAULTLINE_STRICT=1 /bin/true 2>&1); then
    echo "$0: the 1000-rule config does not load: $out" >&2
    exit 1
fi

# The rule for flarmed: the measured call, and an error that call may return.
armed_rule() {
    local call err
    case $1 in
    malloc*) call=malloc err=ENOMEM ;;
    write) call=write err=EIO ;;
    read) call=read err=EIO ;;
    open) call=open err=ENOENT ;;
    connect) call=connect err=ECONNREFUSED ;;
    fwrite) call=fwrite err=EIO ;;
    *) return 1 ;;
    esac
    printf 'seed = 7; rules = ({ name = "armed"; calls = [ "%s" ]; probability = 0.000001; dry_run = true; error = "%s"; });' \
        "$call" "$err"
}

variants="bare fl fl1000 flarmed"
fiu_note=""
if command -v fiu-run >/dev/null 2>&1; then
    variants="$variants fiu"
else
    fiu_note="fiu: not measured: fiu-run is not installed (Debian package fiu-utils)"
fi

have_time=0
[ -x /usr/bin/time ] && /usr/bin/time -f %M -o /dev/null /bin/true 2>/dev/null && have_time=1

# run VARIANT CASE CMD...: runs CMD under VARIANT; prints "NS RSS_KB" (bench output) or the
# wall time in ns for a non-bench command (sqlite), then the peak RSS.
run_variant() {
    local v=$1 c=$2
    shift 2
    local -a pre=()
    case $v in
    bare) pre=(env) ;;
    fl) pre=(env LD_PRELOAD="$lib") ;;
    fl1000) pre=(env LD_PRELOAD="$lib" FAULTLINE_CONFIG="$tmp/rules1000.conf") ;;
    flarmed) pre=(env LD_PRELOAD="$lib" FAULTLINE_RULES="$(armed_rule "$c")") ;;
    fldormant) pre=(env LD_PRELOAD="$lib" FAULTLINE_CONFIG="$tmp/sqlite-dormant.conf") ;;
    fiu) pre=(fiu-run -x) ;;
    esac
    if [ $have_time = 1 ]; then
        /usr/bin/time -f %M -o "$tmp/rss" "${pre[@]}" "$@"
    else
        "${pre[@]}" "$@"
    fi
}

median() { sort -g | awk '{ a[NR] = $1 } END { if (NR) print a[int((NR + 1) / 2)] }'; }

printf 'faultline benchmarks: %s rounds; %s CPUs; %s\n' "$ROUNDS" "$(nproc)" \
    "$(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')"
printf 'ns per operation, median of whole-process runs (variants alternated); (xN.NN) = ratio to bare\n\n'

hdr=$(printf '%-8s' case)
for v in $variants; do hdr+=$(printf ' %18s' "$v"); done
echo "$hdr"
rss_lines=()
for c in $CASES; do
    for v in $variants; do : >"$tmp/ns.$v"; : >"$tmp/kb.$v"; done
    for r in $(seq 1 "$ROUNDS"); do
        for v in $variants; do
            if ! out=$(run_variant "$v" "$c" "$bench" "$c" 2>"$tmp/err"); then
                echo "$0: $v $c failed: $(head -c 400 "$tmp/err") $out" >&2
                exit 1
            fi
            set -- $out
            echo "$2" >>"$tmp/ns.$v"
            if [ $have_time = 1 ]; then tail -n 1 "$tmp/rss" >>"$tmp/kb.$v"; else echo "$3" >>"$tmp/kb.$v"; fi
        done
    done
    base=$(median <"$tmp/ns.bare")
    line=$(printf '%-8s' "$c")
    rline=$(printf '%-8s' "$c")
    for v in $variants; do
        m=$(median <"$tmp/ns.$v")
        k=$(median <"$tmp/kb.$v")
        if [ "$v" = bare ]; then
            line+=$(printf ' %18.2f' "$m")
        else
            line+=$(printf ' %10.2f (x%.2f)' "$m" "$(awk -v a="$m" -v b="$base" 'BEGIN { print a / b }')")
        fi
        rline+=$(printf ' %18s' "$k")
    done
    echo "$line"
    rss_lines+=("$rline")
done
[ -n "$fiu_note" ] && echo "$fiu_note"
echo
if [ $have_time = 1 ]; then
    echo "peak RSS, KB (median; /usr/bin/time %M)"
else
    echo "peak RSS, KB (median; VmHWM at exit)"
fi
echo "$hdr"
printf '%s\n' "${rss_lines[@]}"
echo
echo "malloc2/malloc4: wall time / pairs per thread; connect: socket+connect+accept+close+close"
echo "flarmed: probability = 0.000001, dry_run = true, so the decision runs on every call"

# ---- sqlite3 --------------------------------------------------------------------------------
bench_sqlite() {
    echo
    if ! command -v sqlite3 >/dev/null 2>&1; then
        echo "sqlite3: not measured: sqlite3 is not installed"
        return 0
    fi
    {
        echo 'CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, n INTEGER);'
        echo 'BEGIN;'
        for i in $(seq 1 2000); do
            printf "INSERT INTO t(name, n) VALUES('row-%d-abcdefghijklmnopqrstuvwxyz', %d);\n" "$i" "$((i * 7))"
        done
        echo 'COMMIT;'
    } >"$tmp/inserts.sql"
    # Dormant: the 1000 other rules plus rules on sqlite's own calls switched off (enabled = false).
    {
        sed '$d' "$tmp/rules1000.conf" | sed '$s/$/,/'
        for call in pwrite pread fdatasync fsync malloc open; do
            printf '  { name = "dormant-%s"; calls = [ "%s" ]; enabled = false; error = "EIO"; },\n' "$call" "$call"
        done | sed '$s/,$//'
        echo ');'
    } >"$tmp/sqlite-dormant.conf"
    if ! out=$(LD_PRELOAD=$lib FAULTLINE_CONFIG=$tmp/sqlite-dormant.conf FAULTLINE_STRICT=1 /bin/true 2>&1); then
        echo "$0: the dormant sqlite config does not load: $out" >&2
        exit 1
    fi
    svariants="bare fl fldormant"
    for v in $svariants; do : >"$tmp/sq.$v"; : >"$tmp/sqkb.$v"; done
    for r in $(seq 1 "$ROUNDS"); do
        for v in $svariants; do
            rm -f "$tmp/t.db" "$tmp/t.db-journal"
            t0=$(date +%s%N)
            if ! run_variant "$v" sqlite sqlite3 "$tmp/t.db" <"$tmp/inserts.sql" >/dev/null 2>"$tmp/err"; then
                echo "$0: sqlite3 under $v failed: $(head -c 400 "$tmp/err")" >&2
                exit 1
            fi
            t1=$(date +%s%N)
            echo $(((t1 - t0) / 1000)) >>"$tmp/sq.$v"
            [ $have_time = 1 ] && tail -n 1 "$tmp/rss" >>"$tmp/sqkb.$v"
            n=$(sqlite3 "$tmp/t.db" 'SELECT count(*) FROM t;')
            [ "$n" = 2000 ] || { echo "$0: sqlite3 under $v inserted $n rows, not 2000" >&2; exit 1; }
        done
    done
    echo "sqlite3: 2000 INSERTs in one transaction into a new file db; wall us per process, median of $ROUNDS"
    sbase=$(median <"$tmp/sq.bare")
    for v in $svariants; do
        m=$(median <"$tmp/sq.$v")
        k=$( [ $have_time = 1 ] && median <"$tmp/sqkb.$v" || echo '-')
        printf '  %-10s %8d us  (x%.3f)  peak RSS %s KB\n' "$v" "$m" \
            "$(awk -v a="$m" -v b="$sbase" 'BEGIN { print a / b }')" "$k"
    done
    echo "  fldormant: the 1000 other rules plus rules on pwrite, pread, fdatasync, fsync, malloc, open with enabled = false"
}
bench_sqlite

# ---- redis-server under redis-benchmark -----------------------------------------------------
# A real server: redis-server on a free loopback port with a throwaway dir and no persistence,
# one server per variant and round, loaded by redis-benchmark (never preloaded) from this machine.
REDIS_N=${FL_BENCH_REDIS_N:-100000}
# With two CPUs or more, the server runs on CPU 0 and redis-benchmark on CPU 1, so that the
# two do not take turns on one CPU as the scheduler pleases (the largest source of noise).
pin_server=(env)
pin_client=(env)
if [ "$(nproc)" -ge 2 ] && command -v taskset >/dev/null 2>&1; then
    pin_server=(taskset -c 0)
    pin_client=(taskset -c 1)
fi
redis_pid=""
redis_port=""

# free_port: prints a TCP port on 127.0.0.1 that nothing listens on now.
free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# stop_redis: SIGTERM, up to 10 s for it to exit, then SIGKILL; reaps it. Also the EXIT trap's.
stop_redis() {
    [ -n "$redis_pid" ] || return 0
    local i
    kill -TERM "$redis_pid" 2>/dev/null
    for i in $(seq 1 200); do
        kill -0 "$redis_pid" 2>/dev/null || break
        sleep 0.05
    done
    kill -KILL "$redis_pid" 2>/dev/null
    wait "$redis_pid" 2>/dev/null
    redis_pid=""
}
trap 'stop_redis; rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

# start_redis VARIANT DIR: starts redis-server under VARIANT, sets redis_pid and redis_port once
# it answers PING; a server that exits first (the port was taken meanwhile) is retried on
# another port, three times at most.
start_redis() {
    local v=$1 dir=$2 i
    local -a pre=()
    case $v in
    bare) pre=(env) ;;
    fl) pre=(env LD_PRELOAD="$lib") ;;
    fldormant) pre=(env LD_PRELOAD="$lib" FAULTLINE_CONFIG="$tmp/redis-dormant.conf") ;;
    fiu) pre=(fiu-run -x) ;;
    esac
    for _ in 1 2 3; do
        redis_port=$(free_port) || return 1
        # taskset, env and fiu-run exec the server, so $! is the server's pid.
        "${pin_server[@]}" "${pre[@]}" redis-server --bind 127.0.0.1 --port "$redis_port" --dir "$dir" \
            --save '' --appendonly no --daemonize no --logfile "$dir/redis.log" \
            </dev/null >/dev/null 2>"$dir/stderr" &
        redis_pid=$!
        for i in $(seq 1 200); do
            if ! kill -0 "$redis_pid" 2>/dev/null; then
                wait "$redis_pid" 2>/dev/null
                redis_pid=""
                break
            fi
            [ "$(redis-cli -h 127.0.0.1 -p "$redis_port" ping 2>/dev/null)" = PONG ] && return 0
            sleep 0.05
        done
        stop_redis
    done
    echo "$0: redis-server under $v did not answer PING: $(tail -c 400 "$dir/redis.log" "$dir/stderr" 2>/dev/null)" >&2
    return 1
}

bench_redis() {
    echo
    local c
    for c in redis-server redis-benchmark redis-cli python3; do
        if ! command -v "$c" >/dev/null 2>&1; then
            echo "redis-server: not measured: $c is not installed (Debian packages redis-server, redis-tools)"
            return 0
        fi
    done
    # Dormant: the 1000 other rules plus rules on the server's own calls switched off.
    {
        sed '$d' "$tmp/rules1000.conf" | sed '$s/$/,/'
        for call in write writev read accept epoll_wait malloc open fsync; do
            printf '  { name = "dormant-%s"; calls = [ "%s" ]; enabled = false; error = "EIO"; },\n' "$call" "$call"
        done | sed '$s/,$//'
        echo ');'
    } >"$tmp/redis-dormant.conf"
    local out
    if ! out=$(LD_PRELOAD=$lib FAULTLINE_CONFIG=$tmp/redis-dormant.conf FAULTLINE_STRICT=1 /bin/true 2>&1); then
        echo "$0: the dormant redis config does not load: $out" >&2
        exit 1
    fi
    local rvariants="bare fl fldormant"
    local rnote=""
    if command -v fiu-run >/dev/null 2>&1; then
        rvariants="$rvariants fiu"
    else
        rnote="fiu: not measured: fiu-run is not installed (Debian package fiu-utils)"
    fi
    local v r dir t kb
    for v in $rvariants; do : >"$tmp/rd.set.$v"; : >"$tmp/rd.get.$v"; : >"$tmp/rd.kb.$v"; done
    for r in $(seq 1 "$ROUNDS"); do
        for v in $rvariants; do
            dir=$tmp/redis.$v.$r
            mkdir -p "$dir"
            start_redis "$v" "$dir" || exit 1
            if ! out=$("${pin_client[@]}" redis-benchmark -h 127.0.0.1 -p "$redis_port" -q -n "$REDIS_N" -t set,get -P 1 -c 50 \
                --csv 2>"$tmp/err"); then
                echo "$0: redis-benchmark against $v failed: $(head -c 400 "$tmp/err") $out" >&2
                exit 1
            fi
            for t in SET GET; do
                # "SET","45207.96",...: requests per second
                rps=$(printf '%s\n' "$out" | awk -F'"' -v t="$t" '$2 == t { print $4 }')
                if [ -z "$rps" ]; then
                    echo "$0: redis-benchmark against $v printed no $t line: $out" >&2
                    exit 1
                fi
                echo "$rps" >>"$tmp/rd.$(echo "$t" | tr A-Z a-z).$v"
            done
            kb=$(awk '$1 == "VmHWM:" { print $2 }' "/proc/$redis_pid/status" 2>/dev/null)
            [ -n "$kb" ] || { echo "$0: no VmHWM for redis-server under $v" >&2; exit 1; }
            echo "$kb" >>"$tmp/rd.kb.$v"
            stop_redis
            rm -rf "$dir"
        done
    done
    printf 'redis-server %s: redis-benchmark -q -n %s -t set,get -P 1 -c 50 on 127.0.0.1, no persistence\n' \
        "$(redis-server --version | sed -n 's/.* v=\([^ ]*\).*/\1/p')" "$REDIS_N"
    printf 'requests/s, median of %s rounds (variants alternated, a new server each run); (xN.NN) = ratio to bare;\n' "$ROUNDS"
    if [ "${pin_server[0]}" = taskset ]; then
        printf 'the server pinned to CPU 0, redis-benchmark to CPU 1 (taskset)\n\n'
    else
        printf 'redis-benchmark runs on the same %s CPUs and competes with the server for them\n\n' "$(nproc)"
    fi
    local hdr line rline base m k
    hdr=$(printf '%-8s' test)
    for v in $rvariants; do hdr+=$(printf ' %18s' "$v"); done
    echo "$hdr"
    for t in set get; do
        base=$(median <"$tmp/rd.$t.bare")
        line=$(printf '%-8s' "$(echo "$t" | tr a-z A-Z)")
        for v in $rvariants; do
            m=$(median <"$tmp/rd.$t.$v")
            if [ "$v" = bare ]; then
                line+=$(printf ' %18.0f' "$m")
            else
                line+=$(printf ' %10.0f (x%.2f)' "$m" "$(awk -v a="$m" -v b="$base" 'BEGIN { print a / b }')")
            fi
        done
        echo "$line"
    done
    [ -n "$rnote" ] && echo "$rnote"
    echo
    echo "peak RSS of the server, KB (median; VmHWM read just before stopping it)"
    echo "$hdr"
    rline=$(printf '%-8s' server)
    for v in $rvariants; do
        k=$(median <"$tmp/rd.kb.$v")
        rline+=$(printf ' %18s' "$k")
    done
    echo "$rline"
    echo
    echo "fldormant: the 1000 other rules plus rules on write, writev, read, accept, epoll_wait, malloc, open, fsync with enabled = false"
}
bench_redis

# ---- durability tracking: sqlite3, redis-server and PostgreSQL bare, under the shim, tracked ----
"$(dirname "${BASH_SOURCE[0]}")/durable.sh" "$build" || exit 1
