#!/usr/bin/env bash
# Exec chains: sh -c 'sh -c "sh -c ..."' three shells deep, the innermost running a program
# that writes to /dev/null under a write rule. With children = true (the default) the shim
# rides down the whole chain: the innermost program's write fails with the rule's errno, its
# write comes from the shim, and every exec'd process (three shells and the program) logged a
# start line into the one log. With children = false the first shell drops the shim from its
# environment: nothing below it carries the shim, the program writes fine, and the log holds
# the first shell's start line only. (t_children_exec.sh covers one level and LD_PRELOAD's
# contents.)
. "$FL_ROOT/tests/integration/lib.sh"
need_prog stress
need sh
python_bin
cp "$FL_PROGS/stress" probe
shell=$(readlink -f "$(command -v sh)")
# Each level runs another command after the next one, so each is a process of its own.
chain="sh -c 'sh -c \"./probe probe; true\"; true'; true"
# Where the probe's write comes from: the shim, or the C library; a sanitizer runtime preloaded
# first intercepts write itself (in front of the shim, and left in place by children = false).
shim=libfaultline.so libc=libc.so.6
[ -n "${FL_PRELOAD_FIRST:-}" ] && shim=libasan.so libc=libasan.so

rules='rules = ( { name = "w"; calls = ["write"]; path = "/dev/null"; error = "EIO"; } );'
FAULTLINE_LOG="$PWD/on.jsonl" capture under_shim "$rules" sh -c "$chain"
expect_status "the chain" 0 "$RC"
expect_eq "the innermost program" "secure 0
write from $shim
write EIO" "$OUT"
expect_eq "log lines, all valid JSON" "$(wc -l <on.jsonl)" "$(jsonl check on.jsonl)"
# Start lines written at exec (no "parent": those are written at fork): three shells, the probe.
expect_eq "exec'd processes under the shim" \
    "$(printf '%s\n' "$shell" "$shell" "$shell" "$PWD/probe" | sort)" \
    "$(jsonl fields --where event=start on.jsonl -- parent program | awk -F '\t' '$1 == "-" { print $2 }' | sort)"
probe_pid=$(jsonl fields --where event=start --where program="$PWD/probe" on.jsonl -- pid)
expect_eq "the fault: the probe's write" "$probe_pid	w	write	EIO	/dev/null" \
    "$(jsonl fields --where event=fault on.jsonl -- pid rule call errno path)"

FAULTLINE_LOG="$PWD/off.jsonl" capture under_shim "children = false; $rules" sh -c "$chain"
expect_status "the chain, children = false" 0 "$RC"
expect_eq "the innermost program, children = false" "secure 0
write from $libc
write ok" "$OUT"
expect_eq "children = false: only the first shell logged" "$shell" \
    "$(jsonl fields --where event=start off.jsonl -- program)"
expect_eq "children = false: no faults" 0 "$(jsonl count --where event=fault off.jsonl)"
