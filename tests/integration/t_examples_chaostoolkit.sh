#!/usr/bin/env bash
# examples/chaostoolkit/experiment.json played end to end against a live service, by
# tests/integration/chaos_run.py (the subset of `chaos run` the experiment uses; Chaos Toolkit
# itself is not installable here). The service (tests/integration/chaos_service.py web) runs
# under `faultline run -c examples/gameday.conf`; its /health connects to a database that this
# test listens for on 127.0.0.1:5432 (the peer of db-refused) and answers 200 when it can, 503
# when it cannot. Proves:
#   - the steady state is met before the method; the method's own `faultline ctl PID list`
#     shows db-refused armed, and /health, asked while the rule is on, answers 503;
#   - the experiment deviates, honestly: the hypothesis checked again after the method, with
#     the rule still on, finds /health failing (curl exit 22, the service's 503);
#   - the rollbacks are played (the experiment asks for runtime.rollbacks.strategy = always):
#     db-refused is dormant again and /health answers 200;
#   - the event log has the control commands (expire 10m, enable, disable, expire off) and one
#     ECONNREFUSED connect fault with peer 127.0.0.1:5432 per /health asked while the rule was
#     on, as many as ctl list counted;
#   - under chaos's default rollback strategy the same deviation leaves the rule armed (why the
#     experiment sets "always"); with pid 0 the hypothesis gate fails and nothing is enabled;
#     the experiment's former "path": "${faultline}" is rejected, as chaos rejects it (a
#     process path is looked up as written).
# Skips when 127.0.0.1:5432 is taken (a real database there would make /health's answers
# depend on something the test does not control).
. "$FL_ROOT/tests/integration/lib.sh"
python_bin
need curl
FL=$(cd "$FL_PROGS/../.." && pwd)/faultline
[ -x "$FL" ] || fail "no faultline command at $FL"
EXP="$FL_ROOT/examples/chaostoolkit/experiment.json"
chaos_run() { "$PYTHON" "$FL_IT/chaos_run.py" "$@"; }

export XDG_RUNTIME_DIR="$PWD/run"    # this test's own control-socket directory
mkdir -m 0700 run
mkdir bin                             # the experiment runs "faultline" from PATH
ln -s "$FL" bin/faultline
export PATH="$PWD/bin:$PATH"

health() { curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$url"; }
rule_state() { "$FL" ctl "$pid" list | awk -F '\t' '$1 == "db-refused" {print $2}'; }

# The database on 127.0.0.1:5432: ours, or the test cannot tell what it sees.
"$PYTHON" "$FL_IT/chaos_service.py" db db.ready 2>db.err &
db=$!
FL_PIDS+=("$db")
for _ in $(seq 200); do
    [ -s db.ready ] && break
    if ! kill -0 "$db" 2>/dev/null; then
        wait "$db"
        [ $? = 3 ] && skip "127.0.0.1:5432 is taken by another program: $(cat db.err)"
        fail "the database listener died: $(cat db.err)"
    fi
    sleep 0.05
done
[ -s db.ready ] || fail "the database listener did not start in 10 s"

# The service, under faultline with the game-day rules (all dormant, control socket on).
LD_PRELOAD="${FL_PRELOAD_FIRST:-}" "$FL" run -c "$FL_ROOT/examples/gameday.conf" -l "$PWD/events.jsonl" \
    -- "$PYTHON" "$FL_IT/chaos_service.py" web web.port 2>web.err &
svc=$!
FL_PIDS+=("$svc")
for _ in $(seq 200); do
    [ -s web.port ] && [ -S "run/faultline/$svc.sock" ] && break
    kill -0 "$svc" 2>/dev/null || fail "the service died: $(cat web.err)"
    sleep 0.05
done
if [ ! -s web.port ] || [ ! -S "run/faultline/$svc.sock" ]; then
    fail "the service did not start in 10 s: $(cat web.err)"
fi
url="http://127.0.0.1:$(cat web.port)/health"

# Its PID as the experiment's description says to find it: faultline ps.
capture "$FL" ps
expect_status "faultline ps" 0 "$RC"
pid=$(awk -v p="$svc" '$1 == p && $3 == "0/4" {print $1}' "$OUT_FILE")
expect_eq "faultline ps lists the service with its 4 rules dormant" "$svc" "$pid"
expect_eq "/health before the experiment" 200 "$(health)"
expect_eq "db-refused before the experiment" dormant "$(rule_state)"

# The experiment as it was first written: "path": "${faultline}" is not substituted, so the
# process cannot be found and the experiment is not valid.
# shellcheck disable=SC2016 # a literal ${faultline}
sed 's/"path": "faultline"/"path": "${faultline}"/' "$EXP" >old.json
capture chaos_run --var pid="$pid" --var url="$url" --journal-path old-journal.json old.json
expect_status "the former experiment" 1 "$RC"
expect_contains "the reason" "$ERR" "path '\${faultline}' cannot be found, in activity 'faultline-control-answers'"
[ ! -e old-journal.json ] || fail "an invalid experiment was run"

# pid left at its default, 0: the hypothesis gate fails and the method is not played.
capture chaos_run --var url="$url" --journal-path gate.json "$EXP"
expect_status "the experiment without --var pid" 1 "$RC"
expect_contains "the gate" "$ERR" "Steady state probe 'faultline-control-answers' is not in the given tolerance"
expect_not_contains "no method" "$ERR" "Playing your experiment's method now"
expect_eq "db-refused after the failed gate" dormant "$(rule_state)"

# The experiment, its 10 s pause played in 2 s. While the pause lasts the test asks /health
# itself: the rule must be armed before and after the question for the answer to count.
t0=$(now_ms)
chaos_run --var pid="$pid" --var url="$url" --pause-scale 0.2 --journal-path journal.json "$EXP" \
    >run.out 2>run.log &
runner=$!
FL_PIDS+=("$runner")
for _ in $(seq 200); do
    [ "$(rule_state)" = armed ] && break
    kill -0 "$runner" 2>/dev/null || break
    sleep 0.05
done
expect_eq "db-refused during the method" armed "$(rule_state)"
during=$(health)
expect_eq "db-refused still armed after the question" armed "$(rule_state)"
expect_eq "/health while db-refused is armed" 503 "$during"
wait "$runner"
rc=$?
t1=$(now_ms)
log=$(cat run.log)
note "the run's log:"$'\n'"$log"
expect_status "chaos_run on the experiment (deviated)" 1 "$rc"
expect_ge "the run took the scaled pause (ms)" 2000 $((t1 - t0))
expect_contains "the scaled pause" "$log" "Pausing after activity for 10s... (--pause-scale 0.2: 2s)"
expect_contains "rollback strategy from the experiment" "$log" "Rollbacks strategy: always"
expect_eq "hypothesis met once (before)" 1 "$(grep -c 'Steady state hypothesis is met!' run.log)"
expect_contains "the deviation" "$log" "Steady state probe 'service-answers' is not in the given tolerance so failing this experiment"
expect_contains "rollbacks played" "$log" "Rollback: disable-db-refused"
expect_match "ended deviated" "$log" "Experiment ended with status: deviated$"

# The journal, read as chaos writes it.
capture "$PYTHON" - journal.json <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
b, a = j["steady_states"]["before"], j["steady_states"]["after"]
print("status", j["status"], "deviated", j["deviated"])
print("before", b["steady_state_met"], [(p["activity"]["name"], p["output"]["status"]) for p in b["probes"]])
print("after", a["steady_state_met"], [(p["activity"]["name"], p["output"]["status"]) for p in a["probes"]])
print("after-stderr", a["probes"][0]["output"]["stderr"].strip())
print("method", [(r["activity"]["name"], r["status"], r["output"]["status"]) for r in j["run"]])
print("list", j["run"][2]["output"]["stdout"].splitlines()[0])
print("rollbacks", [(r["activity"]["name"], r["status"], r["output"]["status"]) for r in j["rollbacks"]])
PY
expect_status "reading the journal" 0 "$RC"
expect_contains "journal status" "$OUT" "status failed deviated True"
expect_contains "before: both probes met" "$OUT" "before True [('service-answers', 0), ('faultline-control-answers', 0)]"
expect_contains "after: /health fails, curl exits 22" "$OUT" "after False [('service-answers', 22)]"
expect_contains "after: the service's answer" "$OUT" "error: 503"
expect_contains "method: every ctl command answered" "$OUT" \
    "method [('set-dead-man-switch', 'succeeded', 0), ('enable-db-refused', 'succeeded', 0), ('faults-injected', 'succeeded', 0)]"
expect_match "the method's ctl list: db-refused armed" "$OUT" $'^list db-refused\tarmed\t'
expect_contains "rollbacks in order" "$OUT" \
    "rollbacks [('disable-db-refused', 'succeeded', 0), ('cancel-dead-man-switch', 'succeeded', 0)]"

# After the rollbacks: dormant, /health healthy again.
capture "$FL" ctl "$pid" list
listed=$(printf '%s\n' "$OUT" | awk -F '\t' '$1 == "db-refused"')
expect_match "db-refused after the rollbacks" "$listed" $'^db-refused\tdormant\t'
expect_eq "/health after the rollbacks" 200 "$(health)"
injected=$(printf '%s\n' "$listed" | cut -f 4)

# The event log: the control commands, in order, and the faults.
expect_eq "control commands" "expire 10m	true
enable db-refused	true
disable db-refused	true
expire off	true" "$(jsonl fields --where event=control events.jsonl -- command ok | grep -Ev '^(list|stats)\b')"
faults=$(jsonl fields --where event=fault events.jsonl -- rule call peer errno | sort | uniq -c)
expect_match "connect faults on 127.0.0.1:5432" "$faults" \
    $'^ +[0-9]+ db-refused\tconnect\t127.0.0.1:5432\tECONNREFUSED$'
expect_eq "only db-refused connect faults" 1 "$(printf '%s\n' "$faults" | wc -l)"
nfaults=$(jsonl count --where event=fault events.jsonl)
expect_eq "faults logged = injected per ctl list" "$injected" "$nfaults"
# One fault per /health asked with the rule on: the test's and the hypothesis's.
expect_eq "faults" 2 "$nfaults"
expect_eq "the service's own answers" "200 200 200 503 503 200" \
    "$(awk '/^health / {printf "%s%s", sep, $2; sep=" "}' web.err)"

# chaos's default rollback strategy: after a deviation no rollback is played, so the rule
# would stay armed (until the 10 m dead-man switch). The experiment asks for "always".
capture chaos_run --rollback-strategy default --var pid="$pid" --var url="$url" --pause-scale 0 \
    --journal-path default.json "$EXP"
expect_status "deviated under the default strategy" 1 "$RC"
expect_not_contains "no rollback" "$ERR" "Let's rollback"
expect_eq "db-refused left armed" armed "$(rule_state)"
capture "$FL" ctl "$pid" disable db-refused
expect_status "disabling it by hand" 0 "$RC"
capture "$FL" ctl "$pid" expire off
expect_status "cancelling the switch by hand" 0 "$RC"
expect_eq "/health once the rule is off" 200 "$(health)"
exit 0
