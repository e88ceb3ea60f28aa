#!/usr/bin/env bash
# faultline experiment, live shape, against examples/demo/service.py started under faultline run
# --control with dormant rules: a holding experiment exits 0, found by program name; one that
# hits its success floor exits 2; one interrupted by SIGINT mid-window exits 2; a process
# without a control socket and a rule the process lacks are refused with exit 2. After each,
# every rule of the process is disabled again (dormant). When faultline itself is killed
# (SIGKILL) in a window, the dead-man switch it renews pauses the process by itself.
. "$FL_ROOT/tests/integration/lib.sh"
python_bin
FL=$(cd "$FL_PROGS/../.." && pwd)/faultline
[ -x "$FL" ] || fail "no faultline command at $FL"
export XDG_RUNTIME_DIR="$PWD/run"
mkdir -m 0700 run
cp "$FL_ROOT/examples/demo/client.py" .

# The service: "flaky" fails a fifth of its replies (the client's retries survive that), "down"
# every one of them; both dormant.
LD_PRELOAD="${FL_PRELOAD_FIRST:-}" "$FL" run --control -s 7 \
    -e 'name="flaky"; calls=["send"]; probability=0.2; error="EPIPE"; enabled=false' \
    -e 'name="down"; calls=["send"]; error="EPIPE"; enabled=false' \
    -- "$PYTHON" "$FL_ROOT/examples/demo/service.py" "$PWD/port" 2> service.err &
pid=$!
sleeper=
trap 'kill $pid $sleeper 2>/dev/null' EXIT
for _ in $(seq 100); do [ -s port ] && [ -S "run/faultline/$pid.sock" ] && break; sleep 0.05; done
[ -s port ] || fail "the service did not start: $(cat service.err)"

# every_rule_dormant WHAT: the process's rules are all disabled
every_rule_dormant() {
    capture "$FL" ctl "$pid" list
    expect_status "$1: ctl list" 0 "$RC"
    expect_eq "$1: every rule disabled afterwards" "flaky dormant
down dormant" "$(awk '{print $1, $2}' "$OUT_FILE")"
}

# wait_for_window ERRFILE: until the experiment running as $experiment has enabled "flaky" (an
# experiment window has begun), polled for up to 30 s; fails with its stderr if it never does
wait_for_window() {
    local _
    for _ in $(seq 600); do
        "$FL" ctl "$pid" list | grep -q '^flaky	armed' && return 0
        kill -0 $experiment 2>/dev/null || break
        sleep 0.05
    done
    fail "no experiment window started: $(cat "$1")"
}

# experiment_file NAME RULE WINDOW [SETTING...]: a live experiment on RULE
experiment_file() {
    local name=$1 rule=$2 window=$3
    shift 3
    cat > "$name.experiment" <<EOF
runs = 2;
live = { program = "service.py"; window = "$window"; rules = ["$rule"]; };
load = { command = "$PYTHON client.py \$(cat '$PWD/port') 2"; duration = "$window"; };
hypothesis = ( { metric = "success_rate"; min = "50%"; } );
$*
EOF
}

note "a holding experiment, the process found by its program's name"
experiment_file holds flaky 1s
capture "$FL" experiment -q --json holds.json holds.experiment
expect_status "holding experiment" 0 "$RC"
expect_contains "its verdict" "$OUT" "held"
expect_match "faults were injected" "$(cat holds.json)" '"faults_injected": *[1-9]'
every_rule_dormant "holding experiment"

note "a stop condition: every reply fails, below a success floor of 100%"
experiment_file floor down 3s 'stop = { success_floor = 1.0; window = "1s"; };'
capture "$FL" experiment -q --pid "$pid" floor.experiment
expect_status "experiment below its success floor" 2 "$RC"
expect_contains "why it stopped" "$ERR" "success rate"
every_rule_dormant "stopped experiment"

note "SIGINT in the middle of an experiment window (the second window: pair 0 runs control first)"
experiment_file interrupted flaky 3s
"$FL" experiment -q --pid "$pid" interrupted.experiment > int.out 2> int.err &
experiment=$!
wait_for_window int.err
kill -INT $experiment
rc=0
wait $experiment || rc=$?
ERR=$(cat int.err)
expect_status "interrupted experiment" 2 "$rc"
expect_contains "why it stopped" "$ERR" "interrupted"
every_rule_dormant "interrupted experiment"

note "a process without a control socket"
sleep 60 & sleeper=$!
capture "$FL" experiment -q --pid "$sleeper" holds.experiment
expect_status "no control socket" 2 "$RC"
expect_contains "its message" "$ERR" "process $sleeper has no control socket: start it with faultline run --control"

note "a rule the process does not have"
experiment_file unknown nope 1s
capture "$FL" experiment -q --pid "$pid" unknown.experiment
expect_status "an unknown rule" 2 "$RC"
expect_contains "its message" "$ERR" "no rule 'nope' (its rules: flaky, down)"
every_rule_dormant "refused experiment"

note "faultline itself killed (SIGKILL) mid-window: the dead-man switch pauses the process"
experiment_file killed flaky 1s
"$FL" experiment -q --pid "$pid" killed.experiment > killed.out 2> killed.err &
experiment=$!
wait_for_window killed.err
kill -KILL $experiment
wait $experiment 2>/dev/null
# The switch was renewed for three windows (3 s) at this window's start: the process pauses
# by itself within them; polled for up to 10 s.
paused=
for _ in $(seq 200); do
    "$FL" ctl "$pid" stats | grep -q '"paused":true' && { paused=1; break; }
    sleep 0.05
done
[ -n "$paused" ] || fail "the process did not pause after faultline was killed: $("$FL" ctl "$pid" stats)"
"$FL" ctl "$pid" list | grep -q '^flaky	paused' ||
    fail "the killed experiment's rule should still be enabled (paused), not disabled: $("$FL" ctl "$pid" list)"
