#!/bin/bash
# faultline demo: break a real program (coreutils cat) with the preloaded shim, then read what
# the shim logged; then (step 6, with python3) run examples/demo/client.py against
# examples/demo/service.py, a loopback key-value service, without and with refused connects
# and short reads, and show the event log with faultline report. Every failure shown is
# expected; the script exits nonzero only when the shim did NOT inject what it was asked to.
#
# Usage: examples/demo/run.sh BUILD_DIR     (`make demo` runs: examples/demo/run.sh build)
set -eu

build=${1:?usage: examples/demo/run.sh BUILD_DIR}
lib=$(cd "$build" && pwd)/libfaultline.so
[ -f "$lib" ] || { echo "demo: $lib not found; run make first" >&2; exit 1; }

tmp=$(mktemp -d)
service_pid=
trap '[ -z "$service_pid" ] || kill "$service_pid" 2>/dev/null; rm -rf "$tmp"' EXIT
log=$tmp/events.jsonl          # the event log every faulty run below appends to

step() { printf '\n== %s\n' "$*"; }
say()  { printf '   %s\n' "$*"; }
indent() { sed 's/^/   | /'; }
fail() { echo "demo: FAILED: $*" >&2; exit 1; }
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

step "1. seq 1 3 | cat, without faultline"
out=$(seq 1 3 | cat)
printf '%s\n' "$out" | indent
[ "$out" = "$(printf '1\n2\n3')" ] || fail "cat printed something unexpected"

step "2. the same, with write() failing with ENOSPC (disk full)"
rules='rules = ( { name = "disk-full"; calls = [ "write" ]; error = "ENOSPC"; } );'
say "\$ seq 1 3 | LD_PRELOAD=$lib FAULTLINE_RULES='$rules' cat"
rc=0
seq 1 3 | LD_PRELOAD=$lib FAULTLINE_LOG=$log FAULTLINE_RULES=$rules cat >"$tmp/out" 2>"$tmp/err" || rc=$?
indent <"$tmp/err"
say "exit status: $rc   (cat saw write() fail and reported it in its own words)"
[ "$rc" -ne 0 ] || fail "cat exited 0: no fault was injected"
grep -q 'No space left on device' "$tmp/err" || fail "cat did not report ENOSPC"

step "3. a 200 ms delay on every read(): the same cat, slower, same output"
rules='rules = ( { name = "slow-read"; calls = [ "read" ]; delay = "200ms"; } );'
say "\$ seq 1 3 | LD_PRELOAD=$lib FAULTLINE_RULES='$rules' cat"
t0=$(now_ms)
seq 1 3 | cat >/dev/null
t1=$(now_ms)
out=$(seq 1 3 | LD_PRELOAD=$lib FAULTLINE_LOG=$log FAULTLINE_RULES=$rules cat)
t2=$(now_ms)
printf '%s\n' "$out" | indent
reads=$(grep -c '"rule":"slow-read"' "$log" || true)
say "elapsed without faultline: $((t1 - t0)) ms; with the delay: $((t2 - t1)) ms ($reads reads delayed)"
[ "$out" = "$(printf '1\n2\n3')" ] || fail "a delay changed cat's output"
if [ "$reads" -lt 1 ] || [ $((t2 - t1)) -lt $((200 * reads)) ]; then fail "read() was not delayed"; fi

step "4. the event log (FAULTLINE_LOG): one JSON line per fault, as it happened"
say "a \"start\" line per process, then a \"fault\" line per injected fault:"
indent <"$log"
grep -q '"event":"fault".*"rule":"disk-full".*"errno":"ENOSPC"' "$log" ||
    fail "the log has no ENOSPC fault"

step "5. summary = true: a per-rule table on stderr when the program exits"
rules='summary = true; rules = ( { name = "slow-read"; calls = [ "read" ]; delay = "10ms"; },'
rules+=' { name = "disk-full"; calls = [ "write" ]; error = "ENOSPC"; } );'
say "\$ seq 1 3 | LD_PRELOAD=$lib FAULTLINE_RULES='$rules' cat"
rc=0
seq 1 3 | LD_PRELOAD=$lib FAULTLINE_RULES=$rules cat >/dev/null 2>"$tmp/err" || rc=$?
indent <"$tmp/err"
[ "$rc" -ne 0 ] || fail "cat exited 0: no fault was injected"
grep -q 'disk-full .* error=1' "$tmp/err" || fail "no summary table on stderr"

step "6. a service and its client: the client's retries against refused connects and short reads"
here=$(cd "$(dirname "$0")" && pwd)
fl=$(cd "$build" && pwd)/faultline
py=$(command -v python3 >/dev/null 2>&1 &&
     python3 -c 'import os, sys; print(os.path.realpath(sys.executable))' 2>/dev/null) || py=
if [ -z "$py" ] || [ ! -x "$fl" ]; then
    say "skipped: needs python3 (make deps installs it) and $build/faultline"
else
    "$py" "$here/service.py" "$tmp/port" 2>"$tmp/service.err" &
    service_pid=$!
    for _ in $(seq 100); do [ -s "$tmp/port" ] && break; sleep 0.05; done
    [ -s "$tmp/port" ] || fail "the demo service did not start: $(cat "$tmp/service.err")"
    port=$(cat "$tmp/port")
    say "examples/demo/service.py: a key-value service on 127.0.0.1:$port"
    say "\$ python3 examples/demo/client.py $port 5          (without faults)"
    "$py" "$here/client.py" "$port" 5 >"$tmp/client.out" 2>&1 || fail "the client failed without faults"
    indent <"$tmp/client.out"
    log2=$tmp/service-events.jsonl
    r1="name=\"refused\"; calls=[\"connect\"]; peer=\"127.0.0.1:$port\"; probability=0.4; error=\"ECONNREFUSED\""
    r2='name="short-reads"; calls=["recv","read"]; fd="socket"; partial=3'
    say "\$ build/faultline run -s 7 -l LOG -e '$r1' \\"
    say "      -e '$r2' -- python3 examples/demo/client.py $port 5"
    rc=0
    "$fl" run -s 7 -l "$log2" -e "$r1" -e "$r2" -- "$py" "$here/client.py" "$port" 5 >"$tmp/client.out" 2>&1 || rc=$?
    indent <"$tmp/client.out"
    say "exit status: $rc   (connects refused, replies read 3 bytes at a time; the client retried)"
    grep -q 'retries' "$tmp/client.out" || fail "the client printed no result line"
    grep -q ', 0 retries' "$tmp/client.out" && fail "the client did not have to retry"
    kill "$service_pid" 2>/dev/null; wait "$service_pid" 2>/dev/null || true; service_pid=
    say "\$ build/faultline report LOG"
    "$fl" report "$log2" | indent
    grep -q '"rule":"refused"' "$log2" || fail "no refused connect was logged"
fi

step "done: every fault above was injected as asked"
