#!/usr/bin/env bash
# faultline experiment, service shape: the demo service under a load of demo clients whose
# connects are refused 20% of the time; the client retries, so the success rate holds (exit 0),
# the faults went into the load (not the service) and the service was stopped after each run. A
# service that never gets ready exits 2 and says so, with the end of the service's output; one
# that dies during a run aborts the experiment (exit 2, service_died) and so does a deadline;
# --aa adds a second control group, interleaved, with the same seeds.
. "$FL_ROOT/tests/integration/lib.sh"
need sh
python_bin
FL=$(cd "$FL_PROGS/../.." && pwd)/faultline
[ -x "$FL" ] || fail "$FL is not built (make builds it)"
# faultline alone runs with a sanitizer runtime preloaded (so that the shim it preloads into the
# experiment's processes finds it first): python3 here does not, it hangs under one.
faultline() { LD_PRELOAD="${FL_PRELOAD_FIRST:-}" "$FL" "$@"; }
DEMO="$FL_ROOT/examples/demo"

cat > demo.experiment <<X
name = "the demo client survives refused connects";
runs = 2;
seed = 42;
directory = "$DEMO";
service = {
  command = "exec $PYTHON service.py \"\$FAULTLINE_RUN_DIR/port\"";
  ready = "test -s \"\$FAULTLINE_RUN_DIR/port\"";
  ready_interval = "20ms";
  ready_timeout = "30s";
};
load = { command = "exec $PYTHON client.py \$(cat \"\$FAULTLINE_RUN_DIR/port\") 2"; count = 4; };
faults = {
  target = "load";
  rules = ( { name = "refused"; calls = ["connect"]; probability = 0.2; error = "ECONNREFUSED"; } );
};
hypothesis = ( { metric = "success_rate"; min = "control - 50%"; } );
X
capture faultline experiment --json demo.json --keep kept demo.experiment
expect_status "the demo client survives" 0 "$RC"
expect_contains "demo: the rule in the summary" "$OUT" "refused"
"$PYTHON" - demo.json kept <<'PY' || fail "demo: the journal is not as expected"
import json, sys
j = json.load(open(sys.argv[1]))
runs = j["runs"]
assert len(runs) == 4, len(runs)
assert all(len(r["samples"]) == 4 for r in runs), [len(r["samples"]) for r in runs]
assert j["faults_injected"] > 0, j["faults_injected"]
for r in runs:
    # the faults are the load's: every faulted process ran client.py
    # (the shell the load's string runs under execs python: the pid's last start is python's)
    program, faulted = {}, set()
    for line in open("%s/run-%d.events.jsonl" % (sys.argv[2], r["index"])):
        e = json.loads(line)
        if e["event"] == "start":
            program[e["pid"]] = e["program"]
        if e["event"] == "fault":
            faulted.add(e["pid"])
    assert all("python" in program[pid] for pid in faulted), (program, faulted)
PY
if pgrep -f "service.py $PWD/kept" >/dev/null; then fail "demo: a service was left running"; fi

cat > never.experiment <<'X'
runs = 1;
service = {
  command = "echo starting up >&2; exec sleep 100";
  ready = "false";
  ready_interval = "20ms";
  ready_timeout = "300ms";
};
load = { command = "true"; count = 1; };
faults = { rules = ( { calls = ["connect"]; error = "ECONNREFUSED"; } ); };
hypothesis = ( { metric = "success_rate"; min = "control"; } );
X
capture faultline experiment --json never.json never.experiment
expect_status "a service never ready" 2 "$RC"
expect_contains "never ready: why" "$ERR" "the service was not ready after 0.3 s"
expect_contains "never ready: its output" "$ERR" "starting up"
"$PYTHON" -c 'import json,sys; j=json.load(open("never.json")); sys.exit(0 if "not ready" in j["abort_reason"] else 1)' ||
    fail "never ready: the journal does not say why"

# A service that exits during the load: service_died aborts at once.
cat > dies.experiment <<'X'
runs = 2;
service = { command = "exec sleep 0.3"; ready = "true"; };
load = { command = "exec sleep 0.2"; count = 20; };
faults = { rules = ( { calls = ["connect"]; error = "ECONNREFUSED"; } ); };
hypothesis = ( { metric = "success_rate"; min = "control"; } );
X
capture faultline experiment --json dies.json dies.experiment
expect_status "a service that dies" 2 "$RC"
expect_match "dies: why" "$ERR" 'the service exited with status 0 during run 0'
"$PYTHON" -c 'import json,sys; j=json.load(open("dies.json")); sys.exit(0 if j["verdict"] == "aborted" else 1)' ||
    fail "dies: the journal's verdict is not aborted"

# A deadline shorter than the experiment.
sed -e 's/exec sleep 0.3/exec sleep 100/' -e 's/^runs = 2;/runs = 2; stop = { deadline = "500ms"; };/' \
    dies.experiment > deadline.experiment
capture faultline experiment deadline.experiment
expect_status "a deadline" 2 "$RC"
expect_contains "deadline: why" "$ERR" "deadline"

# --aa: a second control group, control-b, as many runs, the same seeds as the others.
cat > aa.experiment <<'X'
runs = 2;
seed = 5;
service = { command = "exec sleep 100"; ready = "true"; };
load = { command = "exec true"; count = 3; };
faults = { rules = ( { calls = ["connect"]; error = "ECONNREFUSED"; } ); };
hypothesis = ( { metric = "faults"; min = 0; } );
X
capture faultline experiment --aa --json aa.json aa.experiment
expect_status "--aa" 0 "$RC"
"$PYTHON" - aa.json <<'PY' || fail "--aa: the journal is not as expected"
import json, sys
j = json.load(open(sys.argv[1]))
assert j["aa"] is True, j["aa"]
groups = [r["group"] for r in j["runs"]]
assert sorted(groups) == ["control"] * 2 + ["control-b"] * 2 + ["experiment"] * 2, groups
for pair in (0, 1):
    seeds = {r["seed"] for r in j["runs"] if r["pair"] == pair}
    assert len(seeds) == 1, (pair, seeds)
# counterbalanced: each group does not always come first
firsts = [j["runs"][3 * p]["group"] for p in (0, 1)]
assert firsts[0] != firsts[1], firsts
PY
exit 0
