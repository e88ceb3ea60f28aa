#!/usr/bin/env bash
# Durability is the file's, not the fd's or the process's: every process of a run shares one
# journal. Two processes write halves of one file through their own fds (a forked child the first
# 4 KiB, the parent the second); an fsync by either makes everything written to the file before
# it durable, the other process's writes included, and nothing written after it.
. "$FL_ROOT/tests/integration/lib.sh"
. "$FL_ROOT/tests/integration/power_loss.sh"

mkdir data
durable_config pl.conf "$PWD/data/*"

# halves_after_power_loss SYNC: data/SYNC holds 8 KiB of 'o' made before the run (durable); the
# writer's two processes write it as SYNC says, then the power loss. Sets STATE to its bytes as
# runs.
halves_after_power_loss() {
    head -c 8192 /dev/zero | tr '\0' o >"data/$1"
    capture "$FL" run -c pl.conf --power-loss-at-exit -- "$DW" halves "$PWD/data/$1" "$1"
    expect_status "$1: the writer exits 0" 0 "$RC"
    expect_eq "$1: the writer finished" "done" "$OUT"
    note "$1: $(rollback_line)"
    STATE=$(byte_runs "data/$1")
}

# The parent fsyncs its own fd after the child has exited: the child's half is durable too.
halves_after_power_loss parent
expect_eq "the parent's fsync keeps both halves" "C*4096 P*4096" "$STATE"

# Nobody syncs: both halves are lost, the file is as it was before the run.
halves_after_power_loss none
expect_eq "no fsync loses both halves" "o*8192" "$STATE"

# The child fsyncs its own fd: the parent's half, written before, is durable with it.
halves_after_power_loss child
expect_eq "the child's fsync keeps the parent's earlier half" "C*4096 P*4096" "$STATE"

# The child fsyncs, then the parent writes its half and nobody syncs again: the child's half
# stays, the parent's is lost.
halves_after_power_loss child-before-parent
expect_eq "a write after the last fsync is lost" "C*4096 o*4096" "$STATE"

# Without a power loss every half stays (what was lost above was the power loss's doing).
head -c 8192 /dev/zero | tr '\0' o >data/plain
capture "$FL" run -c pl.conf -- "$DW" halves "$PWD/data/plain" none
expect_status "none, no power loss" 0 "$RC"
expect_eq "none, no power loss: both halves" "C*4096 P*4096" "$(byte_runs data/plain)"
