# Helpers for the integration tests; each t_*.sh sources this file first:
#   . "$FL_ROOT/tests/integration/lib.sh"
# run.sh sets FL_LIB, FL_PROGS, FL_ROOT and FL_TMP and runs each test in FL_TMP. A test exits
# 0 to pass, 77 to skip (skip prints the reason last), anything else to fail.
set -u

: "${FL_LIB:?run the integration tests through tests/integration/run.sh}"
: "${FL_PROGS:?}" "${FL_ROOT:?}"
FL_TMP=${FL_TMP:-$PWD}
FL_IT="$FL_ROOT/tests/integration"

# Deterministic, quiet programs; nothing goes through a proxy (every server is on loopback).
export LC_ALL=C TZ=UTC
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY no_proxy NO_PROXY
unset LD_PRELOAD FAULTLINE_CONFIG FAULTLINE_RULES FAULTLINE_SEED FAULTLINE_LOG FAULTLINE_STRICT

# ---- outcomes ----------------------------------------------------------------------------

# fail MESSAGE...: the test fails here.
fail() {
    echo "FAIL: $*" >&2
    exit 1
}

# skip REASON...: the test is skipped; the reason is the last line of output.
# not_under_sanitizer WHY: skip when a sanitizer runtime is preloaded first (see run.sh).
not_under_sanitizer() {
    [ -z "${FL_PRELOAD_FIRST:-}" ] || skip "under a sanitizer runtime: $*"
}

skip() {
    echo "$*"
    exit 77
}

# need CMD...: skip unless every CMD is installed.
need() {
    local c
    for c in "$@"; do
        command -v "$c" >/dev/null 2>&1 || skip "$c is not installed"
    done
}

# note MESSAGE...: progress, shown only when the test fails.
note() {
    echo "-- $*"
}

# ---- assertions ----------------------------------------------------------------------------

# expect_eq WHAT EXPECTED ACTUAL
expect_eq() {
    [ "$2" = "$3" ] && return 0
    fail "$1: expected [$2], got [$3]"
}

# expect_ne WHAT UNEXPECTED ACTUAL
expect_ne() {
    [ "$2" != "$3" ] && return 0
    fail "$1: expected anything but [$2]"
}

# expect_status WHAT EXPECTED ACTUAL: exit statuses. On failure, shows the stderr of the last
# capture (the usual source of ACTUAL).
expect_status() {
    [ "$2" = "$3" ] && return 0
    fail "$1: expected exit status $2, got $3${ERR:+ (last captured stderr: $(printf '%s' "$ERR" | head -c 600))}"
}

# expect_contains WHAT HAYSTACK NEEDLE: a fixed string.
expect_contains() {
    case "$2" in *"$3"*) return 0 ;; esac
    fail "$1: expected to contain [$3], got [$2]"
}

# expect_not_contains WHAT HAYSTACK NEEDLE
expect_not_contains() {
    case "$2" in *"$3"*) fail "$1: expected not to contain [$3], got [$2]" ;; esac
    return 0
}

# expect_match WHAT TEXT REGEX: some line of TEXT matches the extended regex.
expect_match() {
    printf '%s\n' "$2" | grep -Eq -- "$3" && return 0
    fail "$1: expected a line matching /$3/, got [$2]"
}

# expect_ge WHAT MIN ACTUAL: integers.
expect_ge() {
    [ "$3" -ge "$2" ] 2>/dev/null && return 0
    fail "$1: expected at least $2, got $3"
}

# expect_same_file WHAT EXPECTED_FILE ACTUAL_FILE: byte-identical.
expect_same_file() {
    cmp -s -- "$2" "$3" && return 0
    echo "--- diff $2 $3" >&2
    diff -- "$2" "$3" | head -n 40 >&2
    fail "$1: $3 differs from $2"
}

# ---- running programs ----------------------------------------------------------------------

# under_shim RULES CMD [ARG]...: CMD with the shim preloaded and RULES as FAULTLINE_RULES (""
# for none). Other FAULTLINE_* variables come from the caller's environment, e.g.
#   FAULTLINE_LOG=$PWD/log under_shim 'rules=(...);' cat
under_shim() {
    local rules=$1
    shift
    if [ ${#FL_MEMCHECK[@]} -gt 0 ]; then
        case $1 in "$FL_PROGS"/*) set -- "${FL_MEMCHECK[@]}" "$@" ;; esac
    fi
    LD_PRELOAD="$FL_LIB" FAULTLINE_RULES="$rules" "$@"
}

# FL_VALGRIND=1 (make check-valgrind): under_shim runs the helper programs of tests/programs
# under valgrind's memcheck, shim and all. Any error it finds makes the program exit 99 with the
# report on its stderr, so the test fails. The tool is started directly (the valgrind command
# is a dynamic program that LD_PRELOAD would put the shim into); the shim's own malloc stays
# in place (nouserintercepts), valgrind taking the C library's under it.
FL_MEMCHECK=()
if [ "${FL_VALGRIND:-}" = 1 ]; then
    case $(uname -m) in x86_64) fl_vg_arch=amd64 ;; aarch64) fl_vg_arch=arm64 ;; *) fl_vg_arch=$(uname -m) ;; esac
    for fl_vg_dir in /usr/libexec/valgrind /usr/lib/x86_64-linux-gnu/valgrind /usr/lib/valgrind \
        /usr/local/libexec/valgrind; do
        [ -x "$fl_vg_dir/memcheck-$fl_vg_arch-linux" ] && break
    done
    [ -x "$fl_vg_dir/memcheck-$fl_vg_arch-linux" ] || fail "FL_VALGRIND=1: valgrind's memcheck not found"
    export VALGRIND_LIB="$fl_vg_dir" VALGRIND_LAUNCHER="$(command -v valgrind)"
    FL_MEMCHECK=("$fl_vg_dir/memcheck-$fl_vg_arch-linux" -q --error-exitcode=99 --leak-check=no
        --soname-synonyms=somalloc=nouserintercepts --suppressions="$FL_ROOT/tests/valgrind.supp")
fi

# for_others: copies the shim and the faultline command into $FL_TMP/for-others, readable by
# every user, for the parts of a test that run as another user (nobody): the build tree may sit
# where that user cannot reach, such as a checkout in a root-only directory. Makes FL_TMP
# traversable. Sets OTHERS_LIB (an LD_PRELOAD value, a sanitizer runtime first as in FL_LIB)
# and OTHERS_FL (the command, which finds the copied shim beside it).
for_others() {
    local dir=$FL_TMP/for-others
    mkdir -p "$dir"
    cp "$FL_LIB_FILE" "$dir/libfaultline.so"
    cp "$FL_PROGS/../../faultline" "$dir/faultline"
    chmod 0755 "$FL_TMP" "$dir" "$dir/faultline"
    chmod 0644 "$dir/libfaultline.so"
    OTHERS_LIB="${FL_PRELOAD_FIRST:+$FL_PRELOAD_FIRST }$dir/libfaultline.so"
    OTHERS_FL=$dir/faultline
}

# postgres_dirs: PostgreSQL refuses to run as root, so when the test runs as root, AS holds the
# command that runs a server as nobody (setpriv) and for_others has made the shim and the command
# reachable (OTHERS_LIB, OTHERS_FL); otherwise AS is empty. Makes TOP (the test's directory, its
# physical path), PG (an empty data directory) and XDG_RUNTIME_DIR ($TOP/run), owned by whoever
# runs the server.
postgres_dirs() {
    AS=()
    if [ "$(id -u)" = 0 ]; then
        need setpriv
        AS=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
        for_others   # the build tree may be out of nobody's reach
    fi
    TOP=$(cd "$FL_TMP" && pwd -P)
    PG="$TOP/pg"
    chmod 0755 "$TOP"
    mkdir -m 0700 "$PG" "$TOP/run"
    export XDG_RUNTIME_DIR="$TOP/run"
    [ ${#AS[@]} = 0 ] || chown nobody:nogroup "$PG" "$TOP/run"
}

# capture CMD [ARG]...: runs CMD; RC is its exit status, OUT and ERR its stdout and stderr
# (trailing newlines dropped), OUT_FILE and ERR_FILE the files holding them byte for byte
# (overwritten by the next capture). Redirect capture's stdin to feed CMD.
OUT_FILE="$FL_TMP/.capture.out"
ERR_FILE="$FL_TMP/.capture.err"
capture() {
    "$@" >"$OUT_FILE" 2>"$ERR_FILE"
    RC=$?
    OUT=$(cat "$OUT_FILE")
    ERR=$(cat "$ERR_FILE")
    return 0
}

# need_prog NAME...: fail unless each helper program from tests/programs is built; it is then
# "$FL_PROGS/NAME".
need_prog() {
    local p
    for p in "$@"; do
        [ -x "$FL_PROGS/$p" ] ||
            fail "helper program $FL_PROGS/$p is not built (make integration builds it)"
    done
}

# now_ms: a monotonic-enough wall clock in milliseconds, for lower bounds on elapsed time.
now_ms() {
    local ns
    ns=$(date +%s%N)
    echo $((ns / 1000000))
}

# python_bin: sets PYTHON to the real python3 executable (not a pyenv/asdf wrapper script, which
# would run shells and other programs under the shim too); skips when python3 is missing. Call
# it at the top of a test that uses python (jsonl, servers), not inside $(...).
PYTHON=
python_bin() {
    need python3
    if [ -z "$PYTHON" ]; then
        PYTHON=$(python3 -c 'import os, sys; print(os.path.realpath(sys.executable))') ||
            skip "python3 does not run"
    fi
}

# jsonl ARGS...: tests/integration/jsonl.py (check | fields | count), see that file.
jsonl() {
    python_bin
    "$PYTHON" "$FL_IT/jsonl.py" "$@"
}

# ---- clean-up and servers ------------------------------------------------------------------

FL_PIDS=()
FL_AT_EXIT=()

# at_exit COMMAND: run COMMAND (eval'd) when the test exits.
at_exit() {
    FL_AT_EXIT+=("$1")
}

fl_cleanup() {
    local p c
    for p in "${FL_PIDS[@]}"; do
        kill "$p" 2>/dev/null
    done
    for p in "${FL_PIDS[@]}"; do
        wait "$p" 2>/dev/null
    done
    for c in "${FL_AT_EXIT[@]}"; do
        eval "$c"
    done
}
trap fl_cleanup EXIT

# alive PID: the process exists and is not a zombie (a server that died but is not reaped yet
# is not alive).
alive() {
    local st
    st=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
    st=${st##*) }
    [ "${st%% *}" != Z ]
}

# wait_for TRIES CMD [ARG]...: polls CMD every 50 ms until it succeeds; fails after TRIES tries.
wait_for() {
    local tries=$1 i
    shift
    for ((i = 0; i < tries; i++)); do
        "$@" && return 0
        sleep 0.05
    done
    fail "gave up waiting ($((tries / 20)) s) for: $*"
}

# port_accepts PORT: a TCP connection to 127.0.0.1:PORT succeeds.
port_accepts() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# free_port: a loopback port nobody listens on right now (for "nothing there" tests; a
# server of ours binds port 0 instead).
free_port() {
    python_bin
    "$PYTHON" -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

# start_server KIND ARGS...: starts tests/integration/server.py KIND ARGS... PORTFILE in the
# background (killed when the test exits) and waits until it accepts connections (10 s at
# most). Sets SERVER_PORT and SERVER_PID.
fl_nservers=0
start_server() {
    python_bin
    fl_nservers=$((fl_nservers + 1))
    local portfile="$FL_TMP/.server$fl_nservers.port"
    "$PYTHON" "$FL_IT/server.py" "$@" "$portfile" 2>"$FL_TMP/.server$fl_nservers.err" &
    SERVER_PID=$!
    FL_PIDS+=("$SERVER_PID")
    local i
    for ((i = 0; i < 200; i++)); do
        if [ -s "$portfile" ]; then
            SERVER_PORT=$(cat "$portfile")
            port_accepts "$SERVER_PORT" && return 0
        fi
        kill -0 "$SERVER_PID" 2>/dev/null ||
            fail "server $* died: $(cat "$FL_TMP/.server$fl_nservers.err")"
        sleep 0.05
    done
    fail "server $* did not accept connections within 10 s"
}

# start_http_server DIR: python's http.server on 127.0.0.1 serving DIR.
start_http_server() {
    start_server http "$1"
}

# start_listener: a TCP listener on 127.0.0.1 that accepts and drains connections.
start_listener() {
    start_server listen
}
