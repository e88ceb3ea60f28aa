#!/usr/bin/env bash
# The systemd drop-in (examples/systemd/faultline.conf) as systemd itself reads it:
# `systemd-analyze verify` loads a service with the drop-in beside it and has nothing to say
# about it. The same drop-in with a misspelt key draws systemd's "Unknown key" warning, which
# proves the drop-in was read. Then the service's environment, as the drop-in sets it, with
# the specifiers a service called "demo" gets (%N = demo, %% = %), preloads the shim into a
# program that reads gameday.conf (every rule dormant) and serves a control socket under
# /run/faultline-demo's stand-in: `faultline ps` finds it with that XDG_RUNTIME_DIR and `faultline
# ctl` arms a rule.
. "$FL_ROOT/tests/integration/lib.sh"
need systemd-analyze
not_under_sanitizer "the control thread and the sanitizer runtime's allocator"
FL=$(cd "$FL_PROGS/../.." && pwd)/faultline
unit_src="$FL_ROOT/examples/systemd/faultline.conf"

units=$FL_TMP/units
mkdir -p "$units/demo.service.d"
printf '[Unit]\nDescription=faultline drop-in check\n[Service]\nExecStart=/bin/sleep 1\n' \
    >"$units/demo.service"
cp "$unit_src" "$units/demo.service.d/faultline.conf"

verify() {
    SYSTEMD_UNIT_PATH="$units:" systemd-analyze verify "$units/demo.service" 2>&1
}

out=$(verify)
expect_eq "systemd-analyze verify on the drop-in" "" "$(printf '%s\n' "$out" | grep -F 'demo.service.d')"

# The negative control: systemd reads the drop-in, so a misspelt key is reported.
sed 's/^RuntimeDirectory=/RuntimeDirektory=/' "$unit_src" >"$units/demo.service.d/faultline.conf"
out=$(verify)
expect_contains "systemd reports a misspelt key in the drop-in" "$out" "Unknown key 'RuntimeDirektory'"
cp "$unit_src" "$units/demo.service.d/faultline.conf"

# The environment the drop-in gives service "demo", with the installed paths replaced by this
# build's library and the repository's gameday.conf.
declare -A envs
while IFS= read -r line; do
    kv=${line#Environment=}
    kv=${kv//%N/demo}
    kv=${kv//%%/%}
    envs[${kv%%=*}]=${kv#*=}
done < <(grep '^Environment=' "$unit_src")
expect_eq "the drop-in preloads the installed library" "/usr/local/lib/libfaultline.so" "${envs[LD_PRELOAD]:-}"
expect_eq "the drop-in reads the game-day rules" "/etc/faultline/gameday.conf" "${envs[FAULTLINE_CONFIG]:-}"
expect_eq "one log per process" "/var/log/faultline/demo-%p.jsonl" "${envs[FAULTLINE_LOG]:-}"
expect_eq "the control socket's directory" "/run/faultline-demo" "${envs[XDG_RUNTIME_DIR]:-}"

run_dir=$FL_TMP/run/faultline-demo  # RuntimeDirectory=, as systemd would create it
log_dir=$FL_TMP/log/faultline       # LogsDirectory=
mkdir -p "$run_dir" "$log_dir"
chmod 0700 "$run_dir"
env LD_PRELOAD="$FL_LIB" FAULTLINE_CONFIG="$FL_ROOT/examples/gameday.conf" \
    FAULTLINE_LOG="$log_dir/demo-%p.jsonl" XDG_RUNTIME_DIR="$run_dir" sleep 30 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null' EXIT

sock="$run_dir/faultline/$pid.sock"
for _ in $(seq 100); do
    [ -S "$sock" ] && break
    kill -0 "$pid" 2>/dev/null || fail "the service exited at start"
    sleep 0.05
done
[ -S "$sock" ] || fail "no control socket at $sock"

capture env XDG_RUNTIME_DIR="$run_dir" "$FL" ps
expect_status "faultline ps with the drop-in's XDG_RUNTIME_DIR" 0 "$RC"
expect_match "faultline ps lists the service, every rule dormant" "$OUT" "^ *$pid +[^ ]*sleep +0/[0-9]+ +0$"
capture env XDG_RUNTIME_DIR="$run_dir" "$FL" ctl "$pid" enable db-refused
expect_status "faultline ctl enable db-refused" 0 "$RC"
capture env XDG_RUNTIME_DIR="$run_dir" "$FL" ctl "$pid" list
expect_match "db-refused is armed" "$OUT" "^db-refused[[:space:]]+armed"
[ -s "$log_dir/demo-$pid.jsonl" ] || fail "no event log at $log_dir/demo-$pid.jsonl"
expect_contains "the log has the control command" "$(cat "$log_dir/demo-$pid.jsonl")" '"command":"enable db-refused","ok":true'
exit 0
