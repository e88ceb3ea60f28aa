#!/usr/bin/env bash
# Relative paths are resolved once, at the first process's start, and passed on absolute: with
# FAULTLINE_CONFIG=rules.conf, a child that changes directory first still reads the same config
# (it used to die with "cannot read config"); a relative log, from FAULTLINE_LOG or from the
# config, is one file for every process of the run, not a second one in the child's directory.
. "$FL_ROOT/tests/integration/lib.sh"
need sh ls
python_bin
mkdir -p run elsewhere
cat >run/rules.conf <<'CONF'
log = "from-config.jsonl";
rules = ({ name = "null"; calls = ["write"]; path = "/dev/null"; error = "EIO"; });
CONF
cd run
capture env LD_PRELOAD="$FL_LIB" FAULTLINE_CONFIG=rules.conf sh -c \
    'cd ../elsewhere && ls -d . && exec sh -c "echo x >/dev/null"'
expect_eq "ls after cd, under a relative FAULTLINE_CONFIG" "." "$OUT"
expect_contains "the child that changed directory still has the rules" "$ERR" "I/O error"
[ ! -e ../elsewhere/from-config.jsonl ] || fail "a second log in the child's directory"
expect_eq "one log: the fault of the child that changed directory" 1 \
    "$(jsonl count --where event=fault from-config.jsonl)"
expect_eq "one log: every process's start line" 3 "$(jsonl count --where event=start from-config.jsonl)"

# FAULTLINE_LOG relative: the same.
rm -f from-env.jsonl
capture env LD_PRELOAD="$FL_LIB" FAULTLINE_CONFIG=rules.conf FAULTLINE_LOG=from-env.jsonl sh -c \
    'cd ../elsewhere && exec sh -c "echo x >/dev/null"'
[ ! -e ../elsewhere/from-env.jsonl ] || fail "a second log in the child's directory (FAULTLINE_LOG)"
expect_eq "FAULTLINE_LOG relative: one log" 1 "$(jsonl count --where event=fault from-env.jsonl)"
