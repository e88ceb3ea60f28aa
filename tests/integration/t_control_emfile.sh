#!/usr/bin/env bash
# The control socket of a process whose fd table is full (EMFILE): the control thread does not
# spin (the process's CPU time stays low over the request and a second after), the client gets
# the reply "error: the process has no free file descriptors" (the shim's reserve fd, freed to
# accept it and taken back), a second request gets the same, the program's own fd count is
# unchanged, and once the program frees fds the socket serves as usual.
. "$FL_ROOT/tests/integration/lib.sh"
need_prog fdfill
FL=$(cd "$FL_PROGS/../.." && pwd)/faultline
export XDG_RUNTIME_DIR="$PWD/run"
mkdir -m 0700 run

mkfifo in
(ulimit -n 64 && LD_PRELOAD="$FL_LIB" FAULTLINE_RULES='control = true;' exec "$FL_PROGS/fdfill") \
    < in > out.txt 2> err.txt &
prog=$!
exec 3> in
at_exit 'exec 3>&-; kill $prog 2>/dev/null'
n=0
step() {
    echo "$1" >&3; n=$((n + 1))
    wait_for 100 eval '[ "$(wc -l < out.txt)" -gt $n ]'
    tail -n 1 out.txt
}
wait_for 100 grep -q ready out.txt
pid=$(awk '/ready/ {print $2}' out.txt)
wait_for 100 test -S "run/faultline/$pid.sock"
capture "$FL" ctl "$pid" list
expect_status "ctl before the table is full" 0 "$RC"

expect_match "the program fills its fd table" "$(step fill)" '^full [0-9]+ EMFILE$'
opened=$(tail -n 1 out.txt | awk '{print $2}')
# CPU time (user + system, in clock ticks) of the whole process.
ticks() { awk '{ print $14 + $15 }' "/proc/$pid/stat"; }
hz=$(getconf CLK_TCK)
before=$(ticks)
t0=$(now_ms)
capture timeout 15 "$FL" ctl "$pid" list
t1=$(now_ms)
sleep 1
spent=$(( $(ticks) - before ))
note "ctl under EMFILE: exit $RC in $((t1 - t0)) ms: $ERR"
note "CPU over the request and 1 s after: $spent ticks at $hz Hz"
expect_status "ctl under EMFILE" 1 "$RC"
expect_eq "its message" "faultline: $pid: the process has no free file descriptors" "$ERR"
# An idle control thread takes no CPU; one that spins takes all of a core (at least the
# second's worth). A quarter of a second is far above the first and far below the second.
[ $((spent * 4)) -lt "$hz" ] || fail "the process used $spent ticks ($hz a second) while idle under EMFILE: the control thread spins"

capture timeout 15 "$FL" ctl "$pid" stats
expect_eq "a second request gets the same reply" "faultline: $pid: the process has no free file descriptors" "$ERR"
expect_eq "the program still has no free fd (the reserve was taken back)" "try EMFILE" "$(step try)"
expect_eq "the program frees two" "freed 2" "$(step 'free 2')"
capture timeout 15 "$FL" ctl "$pid" list
expect_status "ctl once fds are free" 0 "$RC"
expect_eq "the program can open again" "try ok" "$(step try)"
expect_eq "quit" "" "$(echo quit >&3; wait $prog; echo)"
expect_eq "nothing said on stderr" "" "$(cat err.txt)"
