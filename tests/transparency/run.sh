#!/usr/bin/env bash
# Transparency: with no rule that fires, a program must not notice the shim. Measured on
# CPython's own regression tests (Debian: libpython3.11-testsuite), case by case.
#
#   tests/transparency/run.sh BUILD_DIR      (make check-transparency builds, then runs this)
#
# Needs BUILD_DIR/libfaultline.so; builds nothing. Runs the same batch of regrtest modules four
# times, alternating so that a busy machine hurts every variant alike:
#   bare      no preload
#   empty     the shim preloaded, FAULTLINE_CONFIG a config with no rules
#   dormant   the shim preloaded, FAULTLINE_CONFIG 70 dormant rules over every class of calls
#             (tests/transparency/dormant-rules.sh)
#   bare2     no preload again
# then tests/transparency/compare.py prints the table: every case that passed in both bare runs
# must pass in both shim runs; a case that passed in one bare run only is flaky and left out.
# Last, a check of the instrument itself: one module (FL_TRANSP_CANARY, default test_fileio)
#   canary    the shim preloaded with one rule that fires (read on the tests' own files: EIO
#             every other call)
# must lose some of its cases, or the comparison could not see the shim (not loaded into the
# test workers, results misread) and the run proves nothing.
# Exit status 0 when every such case passes under the shim, 1 when one does not, 2 when the
# run could not be made or the canary lost nothing.
#
# Each regrtest run: -j FL_TRANSP_JOBS worker processes (default 2), a timeout per test module
# of FL_TRANSP_TIMEOUT seconds (default 300; faulthandler dumps the stacks and the module counts
# as failed), resources FL_TRANSP_USE (-u; default none: no network, no cpu-heavy tests),
# -v and --junit-xml, and cases matching FL_TRANSP_IGNORE left out (regrtest -i; default
# '*VSOCK*': AF_VSOCK talks to the hypervisor, not loopback, and on a guest where nothing
# answers, test_socket's VSOCK cases block in accept() until the timeout, bare or not).
# Everything stays on this machine: without -u network the tests use loopback only, and
# proxies are unset. FL_TRANSP_TESTS replaces the batch of modules;
# FL_TRANSP_RULES the number of dormant rules; FL_PYTHON the python whose test package is run
# (default: the system's /usr/bin/python3, resolved to the real executable, so that no wrapper
# script runs under the shim). Logs and results stay in BUILD_DIR/transparency/NAME/.
set -u
export LC_ALL=C.UTF-8 TZ=UTC
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY no_proxy NO_PROXY
unset LD_PRELOAD FAULTLINE_CONFIG FAULTLINE_RULES FAULTLINE_SEED FAULTLINE_LOG FAULTLINE_STRICT
unset PYTHONPATH PYTHONHOME PYTHONSTARTUP

me=$(basename "$0")
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
die() {
    echo "$me: $*" >&2
    exit 2
}

[ $# -eq 1 ] || { echo "usage: $0 BUILD_DIR" >&2; exit 2; }
build=$(cd "$1" 2>/dev/null && pwd) || die "no build directory '$1'"
lib=$build/libfaultline.so
[ -e "$lib" ] || die "$lib is missing: run make check-transparency (or make all)"

TESTS=${FL_TRANSP_TESTS:-"test_socket test_os test_io test_fileio test_subprocess test_selectors
    test_asyncio test_mmap test_signal test_threading test_shutil test_tempfile test_select
    test_fcntl test_posix test_pty test_logging"}
JOBS=${FL_TRANSP_JOBS:-2}
TIMEOUT=${FL_TRANSP_TIMEOUT:-300}
USE=${FL_TRANSP_USE:-}
IGNORE=${FL_TRANSP_IGNORE-'*VSOCK*'}
NRULES=${FL_TRANSP_RULES:-70}
CANARY=${FL_TRANSP_CANARY:-test_fileio}
case $JOBS$TIMEOUT$NRULES in *[!0-9]*) die "FL_TRANSP_JOBS, FL_TRANSP_TIMEOUT and FL_TRANSP_RULES take whole numbers" ;; esac
case ,$USE, in *,network,* | *,all,* | *,urlfetch,*) die "FL_TRANSP_USE: no network resources here (loopback only)" ;; esac

# The python: the system's, whose test package the Debian package installs.
py=${FL_PYTHON:-/usr/bin/python3}
[ -x "$py" ] || die "no python at $py (make transparency-deps installs python3; FL_PYTHON picks another)"
py=$("$py" -c 'import os, sys; print(os.path.realpath(sys.executable))') || die "$py does not run"
ver=$("$py" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
case " $(echo "$TESTS" | tr -s ' \n' '  ') " in *" $CANARY "*) ;; *) die "FL_TRANSP_CANARY ($CANARY) must be one of the modules run" ;; esac
for t in $TESTS; do
    "$py" -c "import importlib.util, sys; sys.exit(importlib.util.find_spec('test.$t') is None)" 2>/dev/null ||
        die "$py has no test.$t: install libpython$ver-testsuite (make transparency-deps)"
done

# Results stay in the build tree. The tests' working directories go under TMPDIR (short
# paths: the tests bind AF_UNIX sockets there, whose names hold 107 bytes at most).
out=$build/transparency
rm -rf "$out"
mkdir -p "$out" || die "cannot create $out"
work=$(mktemp -d "${TMPDIR:-/tmp}/fl-transp.XXXXXX") || die "cannot create a temporary directory"
trap 'rm -rf "$work"' EXIT
ignore=()
set -f # patterns, not file names
for pat in $IGNORE; do ignore+=(-i "$pat"); done
set +f

# The configs: no rules at all, and NRULES dormant rules. Each must load (strict) before a
# run relies on it.
printf '# no rules: the shim is loaded and nothing can match\nrules = ();\n' >"$out/empty.conf"
"$here/dormant-rules.sh" "$NRULES" >"$out/dormant.conf" || die "dormant-rules.sh failed"
got=$(grep -c 'enabled = false' "$out/dormant.conf")
[ "$got" = "$NRULES" ] || die "dormant.conf holds $got dormant rules, not $NRULES"
# The canary's rule: reads of the files the tests make in their working directories (under
# $work) fail with EIO every other time; python's own modules are read elsewhere.
printf 'seed = 1;\nrules = ({ name = "canary"; calls = [ "read" ]; fd = "file"; path = "%s/*"; every = 2; error = "EIO"; });\n' \
    "$work" >"$out/canary.conf"
shim_preload="${FL_PRELOAD_FIRST:+$FL_PRELOAD_FIRST }$lib"
for conf in empty dormant canary; do
    msg=$(LD_PRELOAD=$shim_preload FAULTLINE_CONFIG=$out/$conf.conf FAULTLINE_STRICT=1 \
        "$py" -c 'pass' 2>&1) || die "$conf.conf does not load under the shim: $msg"
done

# run NAME LABEL [ENV=VALUE]...: one regrtest run of the modules in RUN_TESTS (default: the
# batch), in $out/NAME.
run() {
    local name=$1 label=$2 dir=$out/$1 t0 t1 rc
    shift 2
    mkdir -p "$dir" "$work/$name"
    echo "$label" >"$dir/label"
    printf '  %-8s %s ...' "$name" "$label"
    t0=$(date +%s)
    # shellcheck disable=SC2086 # a list of words
    (cd "$work/$name" && env "$@" "$py" -m test -j"$JOBS" --timeout "$TIMEOUT" ${USE:+-u "$USE"} \
        "${ignore[@]}" -v --junit-xml "$dir/results.xml" --tempdir "$work/$name" ${RUN_TESTS:-$TESTS} \
        >"$dir/log" 2>&1 </dev/null)
    rc=$?
    t1=$(date +%s)
    echo $((t1 - t0)) >"$dir/seconds"
    rm -rf "${work:?}/$name"
    printf ' %d s (regrtest exit %d)\n' $((t1 - t0)) "$rc"
}

echo "transparency: $(wc -w <<<"$TESTS") CPython test modules, python $ver ($py),"
echo "  -j$JOBS, ${TIMEOUT}s a module, resources: ${USE:-none}, left out: ${IGNORE:-nothing};"
echo "  results in $out"
start=$(date +%s)
run bare "bare"
run empty "shim, empty config" LD_PRELOAD="$shim_preload" FAULTLINE_CONFIG="$out/empty.conf" FAULTLINE_STRICT=1
run dormant "shim, $NRULES dormant rules" LD_PRELOAD="$shim_preload" FAULTLINE_CONFIG="$out/dormant.conf" FAULTLINE_STRICT=1
run bare2 "bare, again"
RUN_TESTS=$CANARY run canary "canary: $CANARY, a rule firing" LD_PRELOAD="$shim_preload" FAULTLINE_CONFIG="$out/canary.conf" FAULTLINE_STRICT=1

"$py" "$here/compare.py" "$out" bare,bare2 empty,dormant canary | tee "$out/report.txt"
rc=${PIPESTATUS[0]}
end=$(date +%s)
echo "transparency: $(((end - start) / 60)) min $(((end - start) % 60)) s in all"
exit "$rc"
