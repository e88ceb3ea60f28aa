#!/usr/bin/env bash
# faultline report: from logs written by real runs (two processes, faults from two rules), the
# counts it prints (per process; per rule by call, action and errno; the timeline's totals) and
# those of --json equal what the log's lines say, counted independently with python's json
# module; lines that are not JSON or not events are counted, reported and skipped, never fatal;
# a log that cannot be read makes the status 1 while the others are still reported.
. "$FL_ROOT/tests/integration/lib.sh"
need_prog stdio_writer
python_bin
FL=$(cd "$FL_PROGS/../.." && pwd)/faultline
[ -x "$FL" ] || fail "$FL is not built (make builds it)"
W="$FL_PROGS/stdio_writer"
USAGE='usage: faultline report [--json] log ...'

capture "$FL" report
expect_status "report without a log" 2 "$RC"
expect_eq "report without a log: usage" "$USAGE" "$(tail -n 1 "$ERR_FILE")"
capture "$FL" report --help
expect_status "report --help" 0 "$RC"
expect_eq "report --help: usage first" "$USAGE" "$(head -n 1 "$OUT_FILE")"

# Empty: nothing to say, but said.
: > empty.jsonl
capture "$FL" report empty.jsonl
expect_status "report of an empty log" 0 "$RC"
expect_eq "report of an empty log" "1 log, 0 events: 0 processes, 0 faults, 0 control commands" "$OUT"

not_under_sanitizer "the shim and the programs need the sanitizer runtime first in LD_PRELOAD"

# ---- logs from real runs -------------------------------------------------------------------

# Two processes append to one log: 5 fputs failures (times), every other fwrite delayed, and in
# the second a third of fprintf calls failing (seeded: the same on every run).
rules=(-e 'name="disk-full"; calls=["fputs"]; error="ENOSPC"; times=5'
       -e 'calls=["fwrite", "fprintf"]; every=2; delay="1ms"')
capture "$FL" run -s 11 -l "$PWD/ev.jsonl" "${rules[@]}" "$W" -n 8 -c fputs,fwrite out1.txt
expect_status "first run" 12 "$RC"
capture "$FL" run -s 12 -l "$PWD/ev.jsonl" "${rules[@]}" \
    -e 'calls=["fprintf"]; probability=0.3; error="EIO"' "$W" -n 12 -c fprintf,fputs out2.txt
expect_ge "second run fails" 11 "$RC"
expect_eq "the log is all events" "$(wc -l < ev.jsonl | tr -d ' ')" "$(jsonl check ev.jsonl)"

# What the log says, counted by python: the same shape as report --json.
"$PYTHON" - ev.jsonl > expected.json <<'PY'
import json, sys
rules, procs, order = {}, {}, []
for line in open(sys.argv[1]):
    e = json.loads(line)
    p = procs.setdefault(e["pid"], {"pid": e["pid"], "faults": 0, "seed": None, "program": None})
    if e["event"] == "start":
        p["seed"], p["program"] = e["seed"], e["program"]
    if e["event"] != "fault":
        continue
    p["faults"] += 1
    if e["rule"] not in rules:
        order.append(e["rule"])
        rules[e["rule"]] = {"name": e["rule"], "faults": 0, "by_call": {}, "by_action": {},
                            "by_errno": {}}
    r = rules[e["rule"]]
    r["faults"] += 1
    for key, value in (("by_call", e["call"]), ("by_action", e["action"]),
                       ("by_errno", e["errno"])):
        if value is not None:
            r[key][value] = r[key].get(value, 0) + 1
print(json.dumps({"faults": sum(r["faults"] for r in rules.values()),
                  "processes": list(procs.values()),
                  "rules": [rules[n] for n in order]}, sort_keys=True))
PY
expect_eq "python read the log" 0 "$?"
nrules=$("$PYTHON" -c 'import json, sys; print(len(json.load(open(sys.argv[1]))["rules"]))' expected.json)
expect_eq "faults from three rules in the log" 3 "$nrules"

# --json: parses, and holds the same numbers.
capture "$FL" report --json ev.jsonl
expect_status "report --json" 0 "$RC"
"$PYTHON" - expected.json "$OUT_FILE" "$(wc -l < ev.jsonl)" <<'PY' || fail "report --json disagrees with the log"
import json, sys
want = json.load(open(sys.argv[1]))
got = json.load(open(sys.argv[2]))
lines = int(sys.argv[3])
assert got["logs"] == 1 and got["lines"] == lines and got["events"] == lines, got
assert got["skipped"] == {"not_json": 0, "not_event": 0}, got["skipped"]
assert got["faults"] == want["faults"], (got["faults"], want["faults"])
procs = [{k: p[k] for k in ("pid", "faults", "seed", "program")} for p in got["processes"]]
assert procs == want["processes"], (procs, want["processes"])
assert all(p["parent"] is None for p in got["processes"])
for g, w in zip(got["rules"], want["rules"]):
    for k in ("name", "faults", "by_call", "by_action", "by_errno"):
        assert g[k] == w[k], (k, g[k], w[k])
    assert sum(g["timeline"]) == g["faults"] and len(g["timeline"]) == 60, g
    assert 0 <= g["first"] <= g["last"] <= got["span"], g
    assert g["dry_run"] == 0
assert len(got["rules"]) == len(want["rules"])
assert got["control"] == []
PY

# The text: the same counts, as a person reads them.
capture "$FL" report ev.jsonl
expect_status "report" 0 "$RC"
expect_eq "nothing on stderr" "" "$ERR"
"$PYTHON" - expected.json "$OUT_FILE" <<'PY' || fail "report disagrees with the log"
import json, re, sys
want = json.load(open(sys.argv[1]))
text = open(sys.argv[2]).read()
lines = text.splitlines()
head = "1 log, %d events: %d processes, %d faults, 0 control commands" % (
    len(want["processes"]) + want["faults"], len(want["processes"]), want["faults"])
assert lines[0] == head, (lines[0], head)
for p in want["processes"]:
    row = re.compile(r"^  %d +- +%d +%d  %s$" % (p["pid"], p["seed"], p["faults"],
                                                 re.escape(p["program"])), re.M)
    assert row.search(text), ("process row", p)
def counts(d):
    return " ".join("%s=%d" % kv for kv in sorted(d.items(), key=lambda kv: (-kv[1], kv[0])))
for r in want["rules"]:
    n = r["faults"]
    assert re.search(r"^  %s: %d faults?, first \+[0-9.]+s, last \+[0-9.]+s$" % (r["name"], n),
                     text, re.M), ("rule line", r["name"])
    assert "\n    calls     %s\n" % counts(r["by_call"]) in text, ("calls", r)
    assert "\n    actions   %s\n" % counts(r["by_action"]) in text, ("actions", r)
    if r["by_errno"]:
        assert "\n    errno     %s\n" % counts(r["by_errno"]) in text, ("errno", r)
    row = re.search(r"^  %s +\|(.*)\| (\d+)$" % re.escape(r["name"]), text, re.M)
    assert row and len(row.group(1)) == 60 and int(row.group(2)) == n, ("timeline", r, row)
    assert set(row.group(1)) <= set(" .:*#") and row.group(1).strip(), row.group(1)
assert re.search(r"^timeline: \+0\.000s to \+[0-9.]+s, [0-9.]+(ns|us|ms|s) a column$", text, re.M)
assert re.search(r"^  ('.' [0-9-]+, )?.*'#' [0-9-]+ faults? a column$", text, re.M), "legend"
PY

# ---- lines that are not events ------------------------------------------------------------

cp ev.jsonl bad.jsonl
{
    echo 'this is not json'
    echo '{"event":"fault","t":1'
    printf '{"event":"start","program":"\377"}\n'
    echo '[1,2]'
    echo '{"event":"fault","t":1,"pid":1}'
    echo
} >> bad.jsonl
capture "$FL" report bad.jsonl
expect_status "report with bad lines" 0 "$RC"
expect_contains "not JSON, counted" "$OUT" "
4 lines skipped: not JSON
2 lines skipped: not a faultline event
"
capture "$FL" report --json bad.jsonl
"$PYTHON" - expected.json "$OUT_FILE" <<'PY' || fail "report --json with bad lines"
import json, sys
want, got = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
assert got["skipped"] == {"not_json": 4, "not_event": 2}, got["skipped"]
assert got["faults"] == want["faults"] and got["events"] + 6 == got["lines"], got
PY

# ---- control commands, several logs, a log that cannot be read -----------------------------

t=$(jsonl fields --where event=start ev.jsonl -- t | tail -n 1)
pid=$(jsonl fields --where event=start ev.jsonl -- pid | tail -n 1)
printf '{"event":"control","t":%s,"pid":%s,"tid":%s,"command":"disable disk-full","ok":true}\n' \
    "$t" "$pid" "$pid" > ctl.jsonl
printf '{"event":"control","t":%s,"pid":%s,"tid":%s,"command":"enable nope","ok":false}\n' \
    "$t" "$pid" "$pid" >> ctl.jsonl
capture "$FL" report ev.jsonl ctl.jsonl missing.jsonl
expect_status "report with a missing log" 1 "$RC"
expect_eq "the missing log's message" "faultline: missing.jsonl: No such file or directory" "$ERR"
expect_match "the others reported" "$OUT" '^2 logs, [0-9]+ events: 2 processes, [0-9]+ faults, 2 control commands$'
expect_match "control commands listed" "$OUT" "^  \+[0-9.]+s  pid $pid +disable disk-full$"
expect_match "a failed one marked" "$OUT" "^  \+[0-9.]+s  pid $pid +enable nope  \(failed\)$"
expect_match "control row of the timeline" "$OUT" '^  \(control\) +\|[ ^]{60}\| 2$'
capture "$FL" report --json ctl.jsonl
expect_eq "control in --json" '{"pid":'"$pid"',"t":0.000000000,"command":"disable disk-full","ok":true} false' \
    "$("$PYTHON" -c 'import json, sys; c = json.load(open(sys.argv[1]))["control"]
print(json.dumps(c[0], separators=(",", ":")), json.dumps(c[1]["ok"]))' "$OUT_FILE" | sed 's/"t":0.0,/"t":0.000000000,/')"

# Standard input as a log.
capture "$FL" report --json - < ev.jsonl
expect_eq "a log on stdin" "$(jsonl count --where event=fault ev.jsonl)" \
    "$("$PYTHON" -c 'import json, sys; print(json.load(open(sys.argv[1]))["faults"])' "$OUT_FILE")"

# Power losses (durability tracking): the process that declared one, why, and what faultline
# run's rollback undid; a rollback at exit has no power_loss line of its own; one without a
# rollback says so.
cat > pl.jsonl <<'LOG'
{"event":"power_loss","t":100.5,"pid":41,"tid":41,"why":"rule 'wal-sync': fdatasync on /d/db-wal (pid 41, sqlite3)"}
{"event":"rollback","t":100.75,"pid":41,"tid":41,"run_pid":40,"why":"rule 'wal-sync': fdatasync on /d/db-wal (pid 41, sqlite3)","journal":"/tmp/j","ok":true,"records":36,"writes_undone":12,"bytes_restored":32768,"sizes_restored":11,"names_undone":0,"durable_skipped":13,"failed":0,"seed":7}
{"event":"rollback","t":101,"pid":52,"tid":52,"run_pid":50,"why":"faultline run --power-loss-at-exit: the program exited with status 0","journal":"/tmp/k","ok":false,"records":3,"writes_undone":1,"bytes_restored":0,"sizes_restored":1,"names_undone":2,"durable_skipped":0,"failed":1,"seed":8}
{"event":"power_loss","t":102,"pid":61,"tid":61,"why":"faultline ctl power-loss (pid 61)"}
LOG
capture "$FL" report pl.jsonl
expect_status "report of power losses" 0 "$RC"
expect_contains "the power losses' section" "$OUT" "$(printf '\npower losses\n')"
expect_match "a power loss from a rule" "$OUT" \
    "^  \+0\.000s  pid 41 +rule 'wal-sync': fdatasync on /d/db-wal \(pid 41, sqlite3\)$"
expect_contains "its rollback" "$OUT" \
    "        rolled back 12 writes (32768 bytes), 11 sizes, 0 names; 13 records were already durable"
expect_contains "a rollback at exit, one undo failed" "$OUT" \
    "        rolled back 1 write (0 bytes), 1 size, 2 names; 0 records were already durable; 1 undo failed"
expect_contains "a power loss with no rollback in the logs" "$OUT" \
    "$(printf '(pid 61)\n        no rollback in the logs')"
capture "$FL" report --json pl.jsonl
expect_eq "power losses in --json" \
    '3 41 12 32768 true | 52 1 2 false | 61 None' \
    "$("$PYTHON" -c 'import json, sys
p = json.load(open(sys.argv[1]))["power_losses"]
r = p[0]["rollback"]
print(len(p), p[0]["pid"], r["writes_undone"], r["bytes_restored"], json.dumps(r["ok"]), "|",
      p[1]["pid"], r and p[1]["rollback"]["failed"], p[1]["rollback"]["names_undone"],
      json.dumps(p[1]["rollback"]["ok"]), "|", p[2]["pid"], p[2]["rollback"])' "$OUT_FILE")"
