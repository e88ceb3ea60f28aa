#!/bin/sh
# faultline-ci.sh: run one program under a faultline config in CI and check how it reacted.
#
# Copy this script into your test harness. It runs
#     faultline run -s SEED -l LOG -c CONF -- PROGRAM [ARG]...
# (same seed, same faults, run after run), then checks
#   - the program's exit status (--expect-exit N; default 0), and
#   - the event log: at least N faults of rule R (--expect-faults R:N, repeatable; counted
#     with grep, no python or jq needed),
# prints one line "PASS: ..." or "FAIL: ..." and exits 0 (pass) or 1 (fail); 2 for a usage
# error. The program's own output goes to stdout/stderr as usual.
#
# Usage:
#   faultline-ci.sh [options] -c CONF -- PROGRAM [ARG]...
# Options:
#   -c, --config CONF         the faultline config (required)
#   -s, --seed SEED           the seed (default 1)
#   -l, --log LOG             the event log (default: a temporary file, removed afterwards);
#                             it is emptied first
#   -x, --expect-exit N       the exit status the program must end with (default 0)
#   -f, --expect-faults R:N   at least N faults of rule R in the log (repeatable)
#   -F, --faultline PATH      the faultline command (default: $FAULTLINE, else faultline
#                             in PATH)
#   -h, --help                this text
#
# Example (from the faultline source tree):
#   examples/ci/faultline-ci.sh -F build/faultline -c examples/disk-full.conf \
#       -x 1 -f disk-full:1 -- sh -c 'seq 1 3 | cat > /tmp/out.txt'
#   PASS: sh exited 1 as expected; disk-full: 1 fault(s) >= 1

usage() { sed -n '2,/^$/s/^# \{0,1\}//p' "$0"; }
die() { echo "faultline-ci: $*" >&2; echo "usage: faultline-ci.sh [options] -c CONF -- PROGRAM [ARG]... (--help)" >&2; exit 2; }

conf='' seed=1 log='' expect_exit=0 faults='' fl=${FAULTLINE:-faultline}
while [ $# -gt 0 ]; do
    case $1 in
        -h|--help) usage; exit 0 ;;
        -c|--config) [ $# -ge 2 ] || die "$1 needs a value"; conf=$2; shift 2 ;;
        -s|--seed) [ $# -ge 2 ] || die "$1 needs a value"; seed=$2; shift 2 ;;
        -l|--log) [ $# -ge 2 ] || die "$1 needs a value"; log=$2; shift 2 ;;
        -x|--expect-exit) [ $# -ge 2 ] || die "$1 needs a value"; expect_exit=$2; shift 2 ;;
        -f|--expect-faults) [ $# -ge 2 ] || die "$1 needs a value"; faults="$faults $2"; shift 2 ;;
        -F|--faultline) [ $# -ge 2 ] || die "$1 needs a value"; fl=$2; shift 2 ;;
        --) shift; break ;;
        -*) die "unknown option '$1'" ;;
        *) break ;;
    esac
done
[ -n "$conf" ] || die "no config: give -c CONF"
[ $# -gt 0 ] || die "no program to run"
case $expect_exit in ''|*[!0-9]*) die "--expect-exit wants a number, got '$expect_exit'" ;; esac
for spec in $faults; do
    case $spec in
        ?*:*[!0-9]*|?*:) die "--expect-faults wants RULE:N, got '$spec'" ;;
        ?*:[0-9]*) ;;
        *) die "--expect-faults wants RULE:N, got '$spec'" ;;
    esac
done

tmplog=
if [ -z "$log" ]; then
    log=$(mktemp "${TMPDIR:-/tmp}/faultline-ci.XXXXXX") || exit 2
    tmplog=$log
    trap 'rm -f "$tmplog"' EXIT
fi
: > "$log" || die "cannot write the event log $log"

prog=$1
"$fl" run -s "$seed" -l "$log" -c "$conf" -- "$@"
rc=$?

ok=1
msg=
if [ "$rc" -eq "$expect_exit" ]; then
    msg="$prog exited $rc as expected"
else
    ok=0
    msg="$prog exited $rc, expected $expect_exit"
fi
for spec in $faults; do
    rule=${spec%:*} min=${spec##*:}
    # One JSON line per event; a fault of rule R has "event":"fault" and "rule":"R".
    n=$(grep -F '"event":"fault"' "$log" | grep -cF "\"rule\":\"$rule\"")
    if [ "$n" -ge "$min" ]; then
        msg="$msg; $rule: $n fault(s) >= $min"
    else
        ok=0
        msg="$msg; $rule: $n fault(s), expected at least $min"
    fi
done

if [ $ok = 1 ]; then
    echo "PASS: $msg"
    exit 0
fi
if [ -n "$tmplog" ]; then
    echo "FAIL: $msg (seed $seed; keep the event log with -l LOG)"
else
    echo "FAIL: $msg (seed $seed; event log $log)"
fi
exit 1
