#!/usr/bin/env bash
# Integration tests: faultline preloaded into real programs.
#
#   tests/integration/run.sh BUILD_DIR [NAME...]
#
# Runs every tests/integration/t_*.sh (sorted), or only those whose name contains one of the
# NAMEs, each in a fresh temporary directory (its working directory, removed afterwards) under a
# time limit, with:
#   FL_LIB    absolute path of BUILD_DIR/libfaultline.so
#   FL_PROGS  absolute path of BUILD_DIR/tests/programs (the helper programs)
#   FL_ROOT   the repository root
#   FL_TMP    the test's temporary directory (also its working directory and TMPDIR)
# A test exits 0 (pass), 77 (skip: its last line of output says why) or anything else (fail:
# its output is shown indented). Ends with "integration: P passed, F failed, S skipped" and
# exits 1 when anything failed.
set -u

if [ $# -lt 1 ]; then
    echo "usage: $0 BUILD_DIR [NAME...]" >&2
    exit 2
fi

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
build=$(cd "$1" 2>/dev/null && pwd) || { echo "$0: no build directory '$1'" >&2; exit 2; }
shift

FL_LIB="$build/libfaultline.so"
FL_PROGS="$build/tests/programs"
if [ ! -f "$FL_LIB" ]; then
    echo "$0: $FL_LIB is missing: run make first" >&2
    exit 2
fi
# FL_PRELOAD_FIRST: a sanitizer runtime that must come first in LD_PRELOAD (make check
# SANITIZE=...). Tests that look at the library file or at LD_PRELOAD itself, or that need the
# shim's allocator (the runtime takes malloc), skip then.
FL_LIB_FILE=$FL_LIB
[ -n "${FL_PRELOAD_FIRST:-}" ] && FL_LIB="$FL_PRELOAD_FIRST $FL_LIB"
export FL_LIB FL_LIB_FILE FL_PROGS FL_ROOT="$root" FL_PRELOAD_FIRST

# Seconds a test may run before it is killed (then it fails). A test that runs whole experiments
# may ask for more with a line "# fl-timeout: SECONDS" among its first 20.
limit=${FL_TEST_TIMEOUT:-60}

# A test must not inherit faultline settings or a preload from the caller's environment.
unset LD_PRELOAD FAULTLINE_CONFIG FAULTLINE_RULES FAULTLINE_SEED FAULTLINE_LOG FAULTLINE_STRICT

passed=0 failed=0 skipped=0
out=$(mktemp "${TMPDIR:-/tmp}/faultline-it-out.XXXXXX") || exit 2
trap 'rm -f "$out"' EXIT

for t in $(cd "$here" && LC_ALL=C ls t_*.sh 2>/dev/null); do
    name=${t%.sh}
    if [ $# -gt 0 ]; then
        want=0
        for pat in "$@"; do
            case "$name" in *"$pat"*) want=1 ;; esac
        done
        [ $want = 1 ] || continue
    fi
    dir=$(mktemp -d "${TMPDIR:-/tmp}/faultline-it-$name.XXXXXX") || exit 2
    # timeout puts the test in its own process group and signals the whole group, so a test's
    # background servers die with it.
    own=$(sed -n '1,20s/^# fl-timeout: \([0-9][0-9]*\)$/\1/p' "$here/$t")
    this_limit=$limit
    [ -n "$own" ] && [ "$own" -gt "$limit" ] && this_limit=$own
    (cd "$dir" && FL_TMP="$dir" TMPDIR="$dir" exec timeout -k 5 "$this_limit" bash "$here/$t") \
        >"$out" 2>&1 </dev/null
    rc=$?
    case $rc in
    0)
        passed=$((passed + 1))
        echo "PASS $name"
        ;;
    77)
        skipped=$((skipped + 1))
        reason=$(grep -v '^[[:space:]]*$' "$out" | tail -n 1)
        echo "SKIP $name: ${reason:-no reason given}"
        ;;
    *)
        failed=$((failed + 1))
        echo "FAIL $name"
        if [ $rc = 124 ] || [ $rc = 137 ]; then
            echo "    (killed after ${this_limit}s: timed out)"
        else
            echo "    (exit status $rc)"
        fi
        sed 's/^/    /' "$out"
        ;;
    esac
    rm -rf "$dir"
done

echo "integration: $passed passed, $failed failed, $skipped skipped"
[ $failed = 0 ]
