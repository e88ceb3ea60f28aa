#!/usr/bin/env bash
# Forked children (python3 os.fork) carry the shim: each writes its own start line with its
# pid and "parent" (the forking pid), its faults carry its own pid, and with %p in the log
# path each process writes its own file.
. "$FL_ROOT/tests/integration/lib.sh"
python_bin

cat > forker.py <<'PY'
import os, sys

def sync_once(tag):
    fd = os.open(f"data-{tag}.txt", os.O_WRONLY | os.O_CREAT, 0o644)
    try:
        os.fsync(fd)
        return "synced"
    except OSError as e:
        return "errno=%d" % e.errno
    finally:
        os.close(fd)

print("parent", os.getpid(), sync_once("parent"), flush=True)
kids = []
for i in range(3):
    pid = os.fork()
    if pid == 0:
        os.write(1, ("child %d %d %s\n" % (os.getpid(), os.getppid(), sync_once(i))).encode())
        os._exit(0)
    kids.append(pid)
for pid in kids:
    _, status = os.waitpid(pid, 0)
    assert status == 0, status
PY

rules='rules = ( { name = "nosync"; calls = [ "fsync" ]; error = "EIO"; } );'

# One log for all: lines from every process, never interleaved.
FAULTLINE_LOG="$PWD/all.jsonl" capture under_shim "$rules" "$PYTHON" forker.py
expect_status "forker" 0 "$RC"
ppid=$(printf '%s\n' "$OUT" | awk '$1 == "parent" {print $2}')
expect_match "parent pid" "$ppid" '^[0-9]+$'
expect_eq "parent's fsync" "parent $ppid errno=5" "$(printf '%s\n' "$OUT" | grep '^parent')"
kids=$(printf '%s\n' "$OUT" | awk '$1 == "child" {print $2}' | sort -n | tr '\n' ' ')
expect_eq "children" 3 "$(echo $kids | wc -w)"
for k in $kids; do
    expect_contains "child $k's fsync failed with EIO and knows its parent" "$OUT" "child $k $ppid errno=5"
done

expect_eq "lines in the shared log" 8 "$(jsonl check all.jsonl)"
expect_eq "the parent's start line" "$ppid	-" \
    "$(jsonl fields --where event=start all.jsonl -- pid parent | grep -v "	$ppid\$")"
expect_eq "children's start lines (pid, parent)" "$(for k in $kids; do printf '%s\t%s\n' "$k" "$ppid"; done)" \
    "$(jsonl fields --where event=start --where parent="$ppid" all.jsonl -- pid parent | sort -n)"
expect_eq "faults, one per process (pid, tid, rule)" \
    "$(for p in $ppid $kids; do printf '%s\t%s\tnosync\tfsync\n' "$p" "$p"; done | sort -n)" \
    "$(jsonl fields --where event=fault all.jsonl -- pid tid rule call | sort -n)"

# A log per process with %p.
mkdir per
FAULTLINE_LOG="$PWD/per/ev-%p.jsonl" capture under_shim "$rules" "$PYTHON" forker.py
expect_status "forker, %p log" 0 "$RC"
ppid=$(printf '%s\n' "$OUT" | awk '$1 == "parent" {print $2}')
kids=$(printf '%s\n' "$OUT" | awk '$1 == "child" {print $2}' | sort -n | tr '\n' ' ')
expect_eq "one file per process" \
    "$(for p in $ppid $kids; do echo "ev-$p.jsonl"; done | sort)" "$(ls per | sort)"
expect_eq "the parent's file" "start	$ppid	-
fault	$ppid	-" "$(jsonl fields per/ev-$ppid.jsonl -- event pid parent)"
for k in $kids; do
    expect_eq "child $k's file" "start	$k	$ppid
fault	$k	-" "$(jsonl fields per/ev-$k.jsonl -- event pid parent)"
done
