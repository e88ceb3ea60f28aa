#!/bin/bash
# faultline demo: break a real program (coreutils cat) with the preloaded shim, then read what
# the shim logged. Every failure shown is expected; the script exits nonzero only when the shim
# did NOT inject what it was asked to.
#
# Usage: examples/demo/run.sh BUILD_DIR     (`make demo` runs: examples/demo/run.sh build)
set -eu

build=${1:?usage: examples/demo/run.sh BUILD_DIR}
lib=$(cd "$build" && pwd)/libfaultline.so
[ -f "$lib" ] || { echo "demo: $lib not found; run make first" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
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

step "done: every fault above was injected as asked"
