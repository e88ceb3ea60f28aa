#!/usr/bin/env bash
# coreutils cat, reading a pipe, writes with write(2): a write rule with ENOSPC makes it fail
# the way a full disk does (exit 1, "No space left on device" from cat itself, nothing written),
# and the event log records the fault on fd 1. cat file-to-file goes through copy_file_range.
. "$FL_ROOT/tests/integration/lib.sh"
need cat
python_bin

# Without a rule, through the shim: the data goes through.
capture under_shim '' cat < <(printf 'data\n')
expect_status "cat under the shim, no rules" 0 "$RC"
expect_eq "cat output, no rules" "data" "$OUT"

# write fails with ENOSPC.
rules='rules=({name="w"; calls=["write"]; error="ENOSPC";});'
FAULTLINE_LOG="$PWD/w.jsonl" capture under_shim "$rules" cat < <(printf 'data\n')
expect_status "cat with write=ENOSPC" 1 "$RC"
expect_contains "cat's message" "$ERR" "No space left on device"
expect_match "cat's message names the failure" "$ERR" '^cat: .*No space left on device$'
expect_eq "nothing reached stdout" "" "$OUT"
expect_eq "one fault logged" 1 "$(jsonl count --where event=fault w.jsonl)"
expect_eq "the fault" "w	write	1	5	-1	ENOSPC" \
    "$(jsonl fields --where event=fault w.jsonl -- rule call fd asked "done" errno)"

# cat from a file to a file copies with copy_file_range (PRELOAD.md): a rule on it fails cat.
printf 'file data\n' > in.txt
rules='rules=({name="cfr"; calls=["copy_file_range"]; error="ENOSPC";});'
FAULTLINE_LOG="$PWD/cfr.jsonl" capture under_shim "$rules" cat in.txt
expect_status "cat file>file with copy_file_range=ENOSPC" 1 "$RC"
expect_match "cat's message" "$ERR" '^cat: .*No space left on device$'
expect_eq "the fault" "cfr	copy_file_range	1	ENOSPC" \
    "$(jsonl fields --where event=fault cfr.jsonl -- rule call fd errno)"
