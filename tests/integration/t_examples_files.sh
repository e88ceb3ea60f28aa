#!/usr/bin/env bash
# The example files: every examples/*.conf starts with a comment header that says what it
# simulates and shows a command to run it, and faultline check accepts it; gameday.conf's rules
# all start dormant with control on; the Chaos Toolkit experiment is valid JSON and names only
# rules gameday.conf has; the systemd drop-in points at the shim and at gameday.conf.
. "$FL_ROOT/tests/integration/lib.sh"
python_bin
FL=$(cd "$FL_PROGS/../.." && pwd)/faultline
[ -x "$FL" ] || fail "no faultline command at $FL"
EX="$FL_ROOT/examples"
unset LD_PRELOAD

for f in "$EX"/*.conf; do
    name=${f##*/}
    head -n 1 "$f" | grep -Eq "^# $name: " || fail "$name: the first line is not '# $name: what it simulates'"
    grep -Eq '^#.*(faultline run|LD_PRELOAD=)' "$f" || fail "$name: its header shows no command to run it"
    capture "$FL" check "$f"
    expect_status "faultline check $name" 0 "$RC"
done

# gameday.conf: control on, every rule dormant.
capture "$FL" check "$EX/gameday.conf"
expect_match "gameday.conf serves a control socket" "$OUT" '^ +control +true$'
expect_eq "gameday.conf: no rule enabled" "" "$(grep -E '^ +enabled +true$' "$OUT_FILE")"
rules=$(awk '/^rule / {print $2}' "$OUT_FILE")
expect_contains "gameday.conf rules" "$rules" "db-refused"

# The Chaos Toolkit experiment: valid JSON, and every rule it enables or disables is in
# gameday.conf.
exp="$EX/chaostoolkit/experiment.json"
capture "$PYTHON" -m json.tool "$exp"
expect_status "experiment.json is valid JSON" 0 "$RC"
capture "$PYTHON" - "$exp" <<'PY'
import json, sys
e = json.load(open(sys.argv[1]))
for k in ("title", "description", "steady-state-hypothesis", "method", "rollbacks"):
    assert k in e, "no " + k
assert e["steady-state-hypothesis"]["probes"], "no steady-state probe"
acts = e["method"] + e["rollbacks"]
for a in acts:
    args = a["provider"].get("arguments", [])
    if isinstance(args, str):
        args = args.split()
    if "ctl" in args:
        i = args.index("ctl")
        if args[i + 2] in ("enable", "disable"):
            print(args[i + 3])
PY
expect_status "experiment.json structure" 0 "$RC"
[ -n "$OUT" ] || fail "experiment.json enables or disables no rule"
for r in $OUT; do
    printf '%s\n' "$rules" | grep -qx -- "$r" ||
        fail "experiment.json names rule '$r', which examples/gameday.conf does not have"
done
expect_contains "the rollback disables db-refused" \
    "$("$PYTHON" -c 'import json,sys; print(json.load(open(sys.argv[1]))["rollbacks"])' "$exp")" \
    "'disable', 'db-refused'"

# The systemd drop-in.
unit="$EX/systemd/faultline.conf"
grep -qx '\[Service\]' "$unit" || fail "faultline.conf drop-in: no [Service] section"
grep -qx 'Environment=LD_PRELOAD=/usr/local/lib/libfaultline.so' "$unit" || fail "drop-in: no LD_PRELOAD"
grep -qx 'Environment=FAULTLINE_CONFIG=/etc/faultline/gameday.conf' "$unit" || fail "drop-in: no FAULTLINE_CONFIG"
grep -q '^Environment=XDG_RUNTIME_DIR=' "$unit" || fail "drop-in: no XDG_RUNTIME_DIR"
