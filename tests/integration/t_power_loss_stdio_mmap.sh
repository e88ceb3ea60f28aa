#!/usr/bin/env bash
# What a power loss keeps of writes the shim sees only indirectly: stdio streams (glibc writes
# them through an internal function no preload sees, at fflush, fclose and exit), stores into a
# MAP_SHARED mapping (no call at all), and io_uring (refused while tracking, so that programs fall
# back to calls the shim sees). Each file exists before the run with old content (durable); the
# program writes it and exits; `faultline run --power-loss-at-exit` then rolls it back.
. "$FL_ROOT/tests/integration/lib.sh"
. "$FL_ROOT/tests/integration/power_loss.sh"

OLD='old line 1
old line 2'
NEW='new line 1, longer than the old
new line 2, longer than the old
new line 3'
mkdir data
durable_config pl.conf "$PWD/data/*"

# after_power_loss WHAT FILE OLD_CONTENT CMD...: FILE made with OLD_CONTENT before the run, CMD
# run under faultline run with the power loss at exit; the writer must finish.
after_power_loss() {
    local what=$1 file=$2
    printf '%s' "$3" >"$file"
    shift 3
    capture "$FL" run -c pl.conf --power-loss-at-exit -- "$@"
    expect_status "$what: the writer exits 0" 0 "$RC"
    expect_eq "$what: the writer finished" "done" "$OUT"
    note "$what: $(rollback_line)"
}

# ---- stdio ---------------------------------------------------------------------------------

# fprintf and fclose, no fsync: fclose's write reached the file, nothing made it durable.
after_power_loss "fprintf+fclose" data/a "$OLD" "$DW" stdio-fclose "$PWD/data/a" r+ "$NEW"
expect_eq "fprintf+fclose without fsync: lost" "$OLD" "$(cat data/a)"

# The same through "w": the truncation at fopen is undone with the writes.
after_power_loss "fopen w" data/w "$OLD" "$DW" stdio-fclose "$PWD/data/w" w "$NEW"
expect_eq "fopen w + fprintf + fclose without fsync: lost" "$OLD" "$(cat data/w)"

# fwrite, fflush, fsync of the stream's fd: kept.
after_power_loss "fwrite+fflush+fsync" data/b "$OLD" "$DW" stdio-fsync "$PWD/data/b" r+ "$NEW"
expect_eq "fwrite+fflush+fsync(fileno): kept" "$NEW" "$(cat data/b)"

# A stream left open: exit() flushes it where no wrapper sees the write, and nobody syncs: the
# bytes the file got from exit are undone, the old content comes back...
after_power_loss "flushed by exit" data/c "$OLD" "$DW" stdio-exit "$PWD/data/c" r+ "$NEW"
expect_eq "flushed by exit, never synced: lost" "$OLD" "$(cat data/c)"

# ...and a file empty before the run, appended to ("a" opens without truncating, so nothing but
# the exit's own bytes can undo it), is empty again.
after_power_loss "appended, flushed by exit" data/e "" "$DW" stdio-exit "$PWD/data/e" a "$NEW"
expect_eq "appended, flushed by exit, never synced: empty again" "(empty)" "$(byte_runs data/e)"

# fsync of the stream's fd without fflush: the bytes were still in the stream's buffer, so the
# fsync made nothing of them durable, and exit() wrote them after it. Lost: only the exit's own
# bookkeeping (the shim's destructor, after the fsync) can know they reached the file unsynced.
after_power_loss "fsync before exit's flush" data/u "$OLD" "$DW" stdio-unflushed-fsync "$PWD/data/u" r+ "$NEW"
expect_eq "fsync without fflush, flushed by exit: lost" "$OLD" "$(cat data/u)"

# Without a power loss, the exit's flush stays (the program does write it).
printf '%s' "$OLD" >data/c2
capture "$FL" run -c pl.conf -- "$DW" stdio-exit "$PWD/data/c2" r+ "$NEW"
expect_status "flushed by exit, no power loss" 0 "$RC"
expect_eq "flushed by exit, no power loss: the new content" "$NEW" "$(cat data/c2)"

# ---- mmap ----------------------------------------------------------------------------------

OLD8K=$(head -c 8192 /dev/zero | tr '\0' o)
NEW5K=$(head -c 5000 /dev/zero | tr '\0' N)

# Stores into a shared mapping, then msync(MS_SYNC): kept.
after_power_loss "mmap+msync" data/m1 "$OLD8K" "$DW" mmap-msync "$PWD/data/m1" "$NEW5K"
expect_eq "mmap stores + msync(MS_SYNC): kept" "N*5000 o*3192" "$(byte_runs data/m1)"

# The same stores, no msync (munmap and close do not make them durable): lost.
after_power_loss "mmap, no msync" data/m2 "$OLD8K" "$DW" mmap-nosync "$PWD/data/m2" "$NEW5K"
expect_eq "mmap stores without msync: lost" "o*8192" "$(byte_runs data/m2)"

printf '%s' "$OLD8K" >data/m3
capture "$FL" run -c pl.conf -- "$DW" mmap-nosync "$PWD/data/m3" "$NEW5K"
expect_status "mmap, no msync, no power loss" 0 "$RC"
expect_eq "mmap stores, no power loss: in the file" "N*5000 o*3192" "$(byte_runs data/m3)"

# ---- io_uring ------------------------------------------------------------------------------

# While tracking, io_uring_setup fails ENOSYS (a program then falls back to read and write);
# without tracking the shim leaves it alone: the same answer as with no shim at all.
direct=$("$DW" io-uring)
capture "$FL" run -c pl.conf -- "$DW" io-uring
expect_status "io_uring under tracking" 0 "$RC"
expect_eq "io_uring under tracking" "io_uring_setup: ENOSYS" "$OUT"
printf 'seed = 1;\n' >plain.conf
capture "$FL" run -c plain.conf -- "$DW" io-uring
expect_eq "io_uring under the shim without tracking: as without the shim" "$direct" "$OUT"
[ "$direct" != "io_uring_setup: ENOSYS" ] ||
    skip "io_uring_setup fails ENOSYS here even without faultline: the refusal cannot be told apart"
