#!/usr/bin/env bash
# fclose can fail: EOF with the rule's errno, and the stream is freed all the same (the real
# fclose always frees it), losing what it had buffered as a failed flush would: the file on disk
# does not get the buffered bytes. A `path` rule finds the stream's file; the fd is forgotten as
# close forgets it. A real program: coreutils report the failed close of stdout.
. "$FL_ROOT/tests/integration/lib.sh"
need_prog calls_probe
P="$FL_PROGS/calls_probe"

capture under_shim '' "$P" fclose plain.txt 'buffered line'
expect_eq "no rule: fclose succeeds" "fclose 0 errno=-" "$OUT"
expect_eq "no rule: the bytes reach the file" "buffered line" "$(cat plain.txt)"

capture under_shim 'rules=({calls=["fclose"]; error="ENOSPC";});' "$P" fclose lost.txt 'buffered line'
expect_status "fclose failing" 0 "$RC"
expect_eq "fclose returns EOF with the rule's errno" "fclose -1 errno=ENOSPC" "$OUT"
expect_eq "the buffered bytes never reached the file" 0 "$(stat -c %s lost.txt)"

# path: the stream's file; another file's fclose passes
rules='rules=({calls=["fclose"]; error="EIO"; path="*/target.txt";});'
capture under_shim "$rules" "$P" fclose other.txt 'kept'
expect_eq "fclose of a file the path does not match" "fclose 0 errno=-" "$OUT"
expect_eq "its bytes are there" kept "$(cat other.txt)"
capture under_shim "$rules" "$P" fclose target.txt 'gone'
expect_eq "fclose of the file the path matches" "fclose -1 errno=EIO" "$OUT"
expect_eq "target.txt is empty" 0 "$(stat -c %s target.txt)"

# @file covers fclose (after=1: fopen, also in @file, is the first matching call); the log
# names it
rm -f ev.jsonl
FAULTLINE_LOG="$PWD/ev.jsonl" capture under_shim \
    'rules=({name="c"; calls=["@file"]; error="EDQUOT"; path="*/q.txt"; after=1;});' \
    "$P" fclose q.txt 'x'
expect_eq "@file fails fclose" "fclose -1 errno=EDQUOT" "$OUT"
expect_match "the fault line names fclose and the path" "$(cat ev.jsonl)" \
    '"call":"fclose","symbol":"fclose","fd":[0-9]+,"path":"[^"]*/q.txt","action":"error"'

# delay and kill
capture under_shim 'rules=({calls=["fclose"]; kill="SIGTERM";});' "$P" fclose k.txt 'x'
expect_status "fclose kill: killed by SIGTERM" 143 "$RC"

# A real program: coreutils close stdout with fclose at exit and report its failure.
need_real() { command -v "$1" >/dev/null 2>&1 || skip "$1 is not installed"; }
need_real /bin/echo
capture bash -c 'LD_PRELOAD="$0" FAULTLINE_RULES="$1" /bin/echo hi | cat >/dev/null; exit ${PIPESTATUS[0]}' \
    "$FL_LIB" 'rules=({calls=["fclose"]; error="ENOSPC"; fd="pipe";});'
expect_status "echo whose stdout cannot be closed" 1 "$RC"
expect_contains "echo reports the failed close" "$ERR" "write error: No space left on device"
