#!/usr/bin/env bash
# faultline experiment --replay JOURNAL --run K: reruns run K alone with its group and seed, and
# its event log holds the very fault lines of the run's log kept by --keep (timestamps, pids and
# tids aside); it exits with the run's outcome (1: the run failed). A journal whose experiment
# file changed since is refused (exit 2), and so is a run the journal does not have.
. "$FL_ROOT/tests/integration/lib.sh"
need sh
python_bin
FL=$(cd "$FL_PROGS/../.." && pwd)/faultline
[ -x "$FL" ] || fail "$FL is not built (make builds it)"
export LD_PRELOAD="${FL_PRELOAD_FIRST:-}"

cat > e.experiment <<'X'
runs = 2;
seed = 9;
batch = { command = "for i in 1 2 3 4 5 6 7 8; do echo line $i; done > \"$FAULTLINE_RUN_DIR/out\""; };
faults = { rules = ( { name = "flaky"; calls = ["write"]; probability = 0.5; error = "EIO"; } ); };
hypothesis = ( { metric = "exit_status"; in = [0, 1, 2]; } );
X
capture "$FL" experiment --json j.json --keep kept e.experiment
expect_status "the experiment" 0 "$RC"

# the fault lines of a log without "t", "pid" and "tid"
faults_of() {
    "$PYTHON" -c '
import json, sys
for line in open(sys.argv[1]):
    e = json.loads(line)
    if e.get("event") == "fault":
        for k in ("t", "pid", "tid"):
            e.pop(k, None)
        print(json.dumps(e, sort_keys=True))' "$1"
}

for k in 1 2; do
    group=$("$PYTHON" -c 'import json,sys; print(json.load(open("j.json"))["runs"][int(sys.argv[1])]["group"])' $k)
    cp kept/run-$k.events.jsonl original-$k.jsonl
    # the same --keep DIR: the run's paths (which the log's lines name) are the same
    capture "$FL" experiment --replay j.json --run $k --keep kept --log replay-$k.jsonl
    [ "$RC" = 0 ] || [ "$RC" = 1 ] || fail "replay of run $k: exit status $RC: $ERR"
    expect_eq "replay of run $k ($group): its fault lines" "$(faults_of original-$k.jsonl)" \
        "$(faults_of replay-$k.jsonl)"
    if [ "$group" = experiment ]; then
        [ -n "$(faults_of replay-$k.jsonl)" ] || fail "replay of run $k: nothing was injected"
    fi
done

capture "$FL" experiment --replay j.json --run 99
expect_status "a run the journal does not have" 2 "$RC"
expect_contains "no such run: said" "$ERR" "no run 99"

capture "$FL" experiment --replay j.json
expect_status "--replay without --run" 2 "$RC"

printf '# changed\n' >> e.experiment
capture "$FL" experiment --replay j.json --run 1
expect_status "a changed experiment file" 2 "$RC"
expect_contains "changed: said" "$ERR" "changed since the journal was written"
exit 0
