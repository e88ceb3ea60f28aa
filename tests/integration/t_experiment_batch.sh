#!/usr/bin/env bash
# faultline experiment, batch shape: an experiment whose hypothesis holds exits 0 (slow reads
# change nothing a shell's copy writes); one whose hypothesis deviates exits 1 and names the
# check (writes failing with EIO make the exit status deviate); an invalid file or option exits
# 2 with FILE:LINE before anything runs; the journal (--json) parses and each run's fault counts
# equal those of its event log kept by --keep; only the terminal summary goes to stdout.
. "$FL_ROOT/tests/integration/lib.sh"
need sh
python_bin
FL=$(cd "$FL_PROGS/../.." && pwd)/faultline
[ -x "$FL" ] || fail "$FL is not built (make builds it)"
# a sanitizer runtime must come first in the children's LD_PRELOAD: faultline keeps it first
export LD_PRELOAD="${FL_PRELOAD_FIRST:-}"

printf 'hello\n' > in

# ---- holds ------------------------------------------------------------------------------
cat > holds.experiment <<'X'
name = "a copy survives slow reads";
runs = 3;
seed = 5;
batch = { command = "while read -r line; do echo \"$line\"; done < in > \"$FAULTLINE_RUN_DIR/out\"; cat \"$FAULTLINE_RUN_DIR/out\""; timeout = "60s"; };
faults = { rules = ( { name = "slow"; calls = ["read"]; delay = "1ms"; } ); };
hypothesis = (
  { metric = "exit_status"; equals = 0; },
  { metric = "stdout"; }
);
X
capture "$FL" experiment --json holds.json --junit holds.xml --markdown holds.md --html holds.html \
    --keep kept holds.experiment
expect_status "a hypothesis that holds" 0 "$RC"
expect_contains "holds: the verdict line" "$OUT" "held"
expect_not_contains "holds: nothing about progress on stdout" "$OUT" "injecting"
expect_eq "holds: nothing on stderr (not a terminal)" "" "$ERR"
for f in holds.xml holds.md holds.html; do
    [ -s "$f" ] || fail "holds: $f was not written"
done

# the journal parses, and every run's counts are its kept event log's
"$PYTHON" - holds.json kept <<'PY' || fail "holds: the journal does not match the kept logs"
import collections, json, sys
journal = json.load(open(sys.argv[1]))
runs = journal["runs"]
assert len(runs) == 6, len(runs)
groups = [r["group"] for r in runs]
assert groups == ["control", "experiment", "experiment", "control", "control", "experiment"], groups
for r in runs:
    counts = collections.Counter()
    for line in open("%s/run-%d.events.jsonl" % (sys.argv[2], r["index"])):
        e = json.loads(line)
        if e.get("event") == "fault":
            counts[(e["rule"], e["action"])] += 1
    got = collections.Counter({(c["rule"], c["action"]): c["n"] for c in r["counts"]})
    assert got == counts, (r["index"], got, counts)
    assert r["faults"] == sum(counts.values()), r
    assert r["group"] != "experiment" or r["faults"] > 0, r
# the control and the experiment run of a pair share their seed
by_pair = collections.defaultdict(set)
for r in runs:
    by_pair[r["pair"]].add(r["seed"])
assert all(len(s) == 1 for s in by_pair.values()), by_pair
PY

# ---- deviates ----------------------------------------------------------------------------
cat > deviates.experiment <<'X'
runs = 2;
batch = { command = "echo hello > \"$FAULTLINE_RUN_DIR/out\""; };
faults = { rules = ( { name = "eio"; calls = ["write"]; error = "EIO"; } ); };
hypothesis = ( { metric = "exit_status"; equals = 0; } );
X
capture "$FL" experiment deviates.experiment
expect_status "a hypothesis that deviates" 1 "$RC"
expect_match "deviates: the check named in the verdict line" "$OUT" "deviated: exit_status"
[ ! -e deviates ] || fail "deviates: a run directory was left behind"

# ---- invalid ------------------------------------------------------------------------------
cat > invalid.experiment <<'X'
runs = 2;
batch = { command = "touch started"; };
faults = { rules = ( { calls = ["write"]; error = "EIO"; } ); };
hypothesis = ( { metric = "exit_statuz"; equals = 0; } );
X
capture "$FL" experiment invalid.experiment
expect_status "an invalid file" 2 "$RC"
expect_match "invalid: FILE:LINE" "$ERR" "^faultline: invalid.experiment:4: "
expect_eq "invalid: nothing on stdout" "" "$OUT"
[ ! -e started ] || fail "invalid: the command ran"

capture "$FL" experiment --runs 0 holds.experiment
expect_status "--runs 0" 2 "$RC"
capture "$FL" experiment
expect_status "no file" 2 "$RC"
capture "$FL" experiment --json no-such-dir/x.json holds.experiment
expect_status "a report that cannot be written" 2 "$RC"
expect_contains "a report that cannot be written: named" "$ERR" "no-such-dir/x.json"

# ---- a run past its timeout aborts ----------------------------------------------------------
cat > slow.experiment <<'X'
runs = 1;
batch = { command = "exec sleep 100"; timeout = "200ms"; };
faults = { rules = ( { calls = ["write"]; error = "EIO"; } ); };
hypothesis = ( { metric = "exit_status"; equals = 0; } );
X
capture "$FL" experiment --json slow.json slow.experiment
expect_status "a run past its timeout" 2 "$RC"
expect_contains "timeout: why" "$ERR" "run 0 took longer than 0.2 s"
"$PYTHON" -c 'import json,sys; j=json.load(open("slow.json")); sys.exit(0 if "longer" in j["abort_reason"] else 1)' ||
    fail "timeout: the journal does not say why it aborted"
exit 0
