#!/usr/bin/env bash
# Benchmarks: the cost of faultline on calls it passes through.
#
#   tests/bench/run.sh BUILD_DIR      (make bench builds, then runs this)
#
# Needs BUILD_DIR/libfaultline.so and BUILD_DIR/tests/bench/bench; builds nothing.
# For each case of bench.c, alternates whole-process runs of the variants, ROUNDS times:
#   bare     no preload
#   fl       faultline preloaded, no rules
#   fl1000   faultline with 1000 rules on other calls (getnameinfo, msync; distinct names)
#   flarmed  one rule on the measured call that matches and does not fire: probability
#            0.000001 with a fixed seed and dry_run = true (so a rare hit still injects nothing)
#   fiu      libfiu with nothing enabled (fiu-run -x), when fiu-run is installed
# and prints the medians (ns per operation), each variant's ratio to bare from this same run, and
# the median peak RSS of each variant. Then sqlite3 running 2000 inserts in one transaction into
# a new database file, whole-process wall time, median of ROUNDS.
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
{
    echo 'seed = 1;'
    echo 'rules = ('
    for i in $(seq 1 1000); do
        sep=','
        [ "$i" = 1000 ] && sep=''
        if [ $((i % 2)) = 0 ]; then
            printf '  { name = "other-%04d"; calls = [ "msync" ]; error = "EIO"; }%s\n' "$i" "$sep"
        else
            printf '  { name = "other-%04d"; calls = [ "getnameinfo" ]; error = "EAI_FAIL"; }%s\n' "$i" "$sep"
        fi
    done
    echo ');'
} >"$tmp/rules1000.conf"
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
echo
if ! command -v sqlite3 >/dev/null 2>&1; then
    echo "sqlite3: not measured: sqlite3 is not installed"
    exit 0
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
