#!/usr/bin/env bash
# The experiments in examples/experiments/ on the real programs they name, and the CI job files
# in examples/ci/ run as CI would run them:
#   - demo-retries (the demo client with retries against 20% refused connects) holds: exit 0;
#   - demo-no-retries (the same client without retries) deviates: exit 1, naming the check;
#   - sqlite-fsync (sqlite3 under fsync EIO) fails cleanly and keeps an intact database: exit 0,
#     with a journal whose fault counts are the kept event logs' own;
#   - the experiment command of the GitHub Actions and GitLab CI files, run as written on a real
#     experiment, writes the JUnit, HTML, JSON and Markdown reports the files publish.
# fl-timeout: 300
. "$FL_ROOT/tests/integration/lib.sh"
python_bin
need sqlite3
not_under_sanitizer "the experiments start python3 and sqlite3 by the hundred; t_experiment_* cover the verb"
FL=$(cd "$FL_PROGS/../.." && pwd)/faultline
[ -x "$FL" ] || fail "no faultline command at $FL"
EX="$FL_ROOT/examples/experiments"
"$PYTHON" -c 'import yaml' 2>/dev/null || skip "python3-yaml is not installed (make deps installs it)"
# The experiments run "python3" from PATH: the real one, not a wrapper script that would run a
# shell under the shim first.
mkdir bin && ln -s "$PYTHON" bin/python3 && export PATH="$PWD/bin:$PATH"

# With retries, the client survives: every check holds.
capture "$FL" experiment -q --json retries.json "$EX/demo-retries.experiment"
expect_status "demo-retries" 0 "$RC"
expect_match "the verdict line" "$OUT" 'experiment demo client survives refused connects: held'
python3 - retries.json <<'PY' || fail "demo-retries journal"
import json, sys
j = json.load(open(sys.argv[1]))
assert j["verdict"] == "held", j["verdict"]
groups = [r["group"] for r in j["runs"]]
assert groups.count("control") == 10 and groups.count("experiment") == 10, groups
# ABBA: pair 0 runs control first, pair 1 experiment first
assert groups[:4] == ["control", "experiment", "experiment", "control"], groups[:4]
assert j["faults_injected"] >= 10, j["faults_injected"]
PY

# Without retries, it does not: the success rate deviates, and the report says which check.
capture "$FL" experiment -q "$EX/demo-no-retries.experiment"
expect_status "demo-no-retries" 1 "$RC"
expect_match "the deviated check" "$OUT" 'success_rate.*deviated'
expect_match "the verdict line" "$OUT" 'experiment demo client without retries: deviated'

# sqlite3 under fsync EIO: fails cleanly, the database stays intact; the journal's counts are
# the kept event logs' own.
mkdir keep
capture "$FL" experiment -q --keep "$PWD/keep" --json sqlite.json "$EX/sqlite-fsync.experiment"
expect_status "sqlite-fsync" 0 "$RC"
python3 - sqlite.json <<'PY' || fail "sqlite-fsync journal against its event logs"
import json, sys, collections
j = json.load(open(sys.argv[1]))
for run in j["runs"]:
    assert run["log"], run
    counted = collections.Counter()
    for line in open(run["log"]):
        ev = json.loads(line)
        if ev.get("event") == "fault":
            counted[(ev["rule"], ev["action"])] += 1
    journal = {(c["rule"], c["action"]): c["n"] for c in run["counts"]}
    assert journal == dict(counted), (run["index"], journal, counted)
    assert run["faults"] == sum(counted.values()), run["index"]
    if run["group"] == "experiment":
        assert run["exit_status"] in (0, 1), run
        assert run["after_status"] == 0 and run["after_output"].strip() == "ok", run
assert j["faults_injected"] == sum(r["faults"] for r in j["runs"] if r["group"] == "experiment")
assert j["faults_injected"] > 0
PY

# The CI job files: their experiment command, as written, on a real experiment.
for ci in github-actions.yml gitlab-ci.yml; do
    python3 - "$FL_ROOT/examples/ci/$ci" > cmd.txt <<'PY' || fail "$ci: no experiment command"
import re, sys, yaml
doc = yaml.safe_load(open(sys.argv[1]))
lines = []
def walk(v):
    if isinstance(v, dict):
        for x in v.values(): walk(x)
    elif isinstance(v, list):
        for x in v: walk(x)
    elif isinstance(v, str) and re.search(r"faultline experiment\s", v):
        lines.append(v)
walk(doc)
assert len(lines) == 1, lines
cmd = lines[0][lines[0].index("faultline experiment"):].replace("\\\n", " ")
print(" ".join(cmd.split()))
PY
    cmd=$(cat cmd.txt)
    note "$ci: $cmd"
    cmd=${cmd/#faultline /"$FL" }
    cmd=${cmd/experiments\/service.experiment/"$EX/sqlite-fsync.experiment"}
    rm -rf reports && mkdir reports
    eval "capture $cmd -q"
    expect_status "$ci: the experiment" 0 "$RC"
    for f in faultline.xml faultline.html faultline.json faultline.md; do
        [ -s "reports/$f" ] || fail "$ci: reports/$f was not written"
    done
    python3 -c 'import sys, xml.etree.ElementTree as E; r = E.parse(sys.argv[1]).getroot(); assert r.iter("testcase")' reports/faultline.xml ||
        fail "$ci: the JUnit report does not parse"
done
