#!/usr/bin/env bash
# A socket directory with the wrong mode (0755): `faultline run --control` (or a config with
# control = true) refuses before starting the program, naming the directory and the fix (exit
# 2); the shim in strict mode exits 2 before main, saying why; with FAULTLINE_STRICT=0 it warns
# and runs; `faultline ctl` says the directory is unsafe rather than "start it with control".
. "$FL_ROOT/tests/integration/lib.sh"
FL=$(cd "$FL_PROGS/../.." && pwd)/faultline
export XDG_RUNTIME_DIR="$PWD/run"
mkdir -m 0700 run
mkdir -m 0755 run/faultline
dir=$PWD/run/faultline
fix="chmod 0700 $dir"

capture env LD_PRELOAD="${FL_PRELOAD_FIRST:-}" "$FL" run --control -- touch started
expect_status "run --control" 2 "$RC"
expect_contains "run --control names the directory" "$ERR" "$dir"
expect_contains "... its mode" "$ERR" "mode 0755"
expect_contains "... and the fix" "$ERR" "$fix"
expect_eq "the program never started" no "$([ -e started ] && echo yes || echo no)"

printf 'control = true;\n' > ctl.conf
capture env LD_PRELOAD="${FL_PRELOAD_FIRST:-}" "$FL" run -c ctl.conf -- touch started
expect_status "run with control = true in the config" 2 "$RC"
expect_contains "its message" "$ERR" "$fix"
expect_eq "the program never started" no "$([ -e started ] && echo yes || echo no)"

capture env LD_PRELOAD="${FL_PRELOAD_FIRST:-}" "$FL" run -- touch started
expect_status "run without control does not care" 0 "$RC"
rm -f started

capture under_shim 'control = true;' sh -c 'echo main'
expect_status "the shim, strict" 2 "$RC"
expect_eq "strict: before main" "" "$OUT"
expect_contains "strict: says why" "$ERR" "$dir"
expect_contains "strict: and the fix" "$ERR" "$fix"

FAULTLINE_STRICT=0 capture under_shim 'control = true;' sh -c 'echo main; exit 3'
expect_status "FAULTLINE_STRICT=0: the program's own status" 3 "$RC"
expect_eq "FAULTLINE_STRICT=0: it ran" main "$OUT"
expect_contains "FAULTLINE_STRICT=0: warns" "$ERR" "$fix"
expect_contains "FAULTLINE_STRICT=0: says it runs without control" "$ERR" "without a control socket"

FAULTLINE_STRICT=0 LD_PRELOAD="$FL_LIB" FAULTLINE_RULES='control = true;' sleep 30 2>/dev/null &
pid=$!
FL_PIDS+=("$pid")
capture "$FL" ctl "$pid" list
expect_status "ctl" 1 "$RC"
expect_not_contains "ctl does not say to start it with control" "$ERR" "start it with control"
expect_contains "ctl says the directory is unsafe" "$ERR" "unsafe"
expect_contains "ctl names the fix" "$ERR" "$fix"
capture "$FL" ps
expect_status "ps" 1 "$RC"
expect_contains "ps says the directory is unsafe" "$ERR" "$fix"

# XDG_RUNTIME_DIR naming a directory that does not exist: run says so before starting.
XDG_RUNTIME_DIR="$PWD/nowhere" capture env LD_PRELOAD="${FL_PRELOAD_FIRST:-}" "$FL" run --control -- touch started
expect_status "run --control, XDG_RUNTIME_DIR missing" 2 "$RC"
expect_contains "its message" "$ERR" "$PWD/nowhere"
expect_eq "the program never started" no "$([ -e started ] && echo yes || echo no)"
