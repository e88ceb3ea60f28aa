#!/usr/bin/env bash
# A power loss keeps exactly what was made durable. durable_writer replaces DIR/sub/file through a
# temporary file, creating sub first; of its three syncs (fsync of DIR after mkdir, of the
# temporary file after writing it, of sub after the rename) only the correct program makes all
# three and keeps the new content after `faultline run --power-loss-at-exit`; a program that
# leaves out any one of them is caught (sub or the file is missing, empty, or old), and one that
# makes none keeps nothing. A power loss from a rule at the writer's 2nd fsync kills it (137) and
# leaves the files as the first fsync made them durable.
. "$FL_ROOT/tests/integration/lib.sh"
. "$FL_ROOT/tests/integration/power_loss.sh"

NEW='new content: line 1
new content: line 2'
OLD='old content'
mkdir data
durable_config pl.conf "$PWD/data/*"

# replace_after_power_loss CASE MODE: runs the writer in data/CASE-MODE (made before the run, so
# its own entry is durable; for CASE update, sub/file too, holding OLD) and loses power at its
# exit. Sets STATE to what data/CASE-MODE holds afterwards.
replace_after_power_loss() {
    local dir=$PWD/data/$1-$2
    mkdir "$dir"
    if [ "$1" = update ]; then
        mkdir "$dir/sub"
        printf '%s' "$OLD" >"$dir/sub/file"
    fi
    capture "$FL" run -c pl.conf --power-loss-at-exit -- "$DW" replace "$2" "$dir" "$NEW"
    expect_status "$1 $2: the writer exits 0, the power loss comes after" 0 "$RC"
    expect_eq "$1 $2: the writer finished" "done" "$OUT"
    note "$1 $2: $(rollback_line)"
    STATE=$(tree_state "$dir")
}

# ---- a new file: sub does not exist before the run ------------------------------------------

# Every step made durable: the new content, and only the file (file.tmp's name left with the
# rename, which the fsync of sub made durable).
replace_after_power_loss new correct
expect_eq "new, correct: the new content survives" "sub/
sub/file=$NEW" "$STATE"

# DIR never synced after mkdir: sub itself was never durable, so it vanishes with all it holds,
# though its own entries were synced.
replace_after_power_loss new no-parent-sync
expect_eq "new, no fsync of DIR: sub is gone" "" "$STATE"

# The temporary file's data never synced: the rename is durable (sub synced) but the inode it
# names holds what was durable of it: nothing (it was created empty during the run).
replace_after_power_loss new no-file-sync
expect_eq "new, no fsync of the file: the file is there, empty" "sub/
sub/file=" "$STATE"

# sub never synced: sub is durable (DIR synced) but none of its entries are, neither file.tmp's
# creation nor the rename: sub is empty.
replace_after_power_loss new no-dir-sync
expect_eq "new, no fsync of sub: sub is empty" "sub/" "$STATE"

# No sync at all: as if the program never ran.
replace_after_power_loss new naive
expect_eq "new, naive: nothing" "" "$STATE"

# ---- an update: sub/file exists before the run with OLD --------------------------------------

replace_after_power_loss update correct
expect_eq "update, correct: the new content survives" "sub/
sub/file=$NEW" "$STATE"

# mkdir finds sub already there (EEXIST) and changes nothing: the fsync of DIR had nothing to make
# durable, so leaving it out loses nothing here (the new-file case above is where it matters).
replace_after_power_loss update no-parent-sync
expect_eq "update, no fsync of DIR: the new content survives" "sub/
sub/file=$NEW" "$STATE"

# The rename is durable, the data it brought is not: the old content is replaced by an empty
# file, worse than either version.
replace_after_power_loss update no-file-sync
expect_eq "update, no fsync of the file: the file is empty" "sub/
sub/file=" "$STATE"

# The new file's data is durable but the rename is not: the name goes back to the old file, and
# file.tmp, created in a directory never synced since, vanishes.
replace_after_power_loss update no-dir-sync
expect_eq "update, no fsync of sub: the old content" "sub/
sub/file=$OLD" "$STATE"

replace_after_power_loss update naive
expect_eq "update, naive: the old content" "sub/
sub/file=$OLD" "$STATE"

# ---- the same naive runs without a power loss keep everything --------------------------------
# (tracking on, the program exits, nothing is rolled back: the losses above are the power loss's)

mkdir data/kept-new data/kept-update data/kept-update/sub
printf '%s' "$OLD" >data/kept-update/sub/file
for c in new update; do
    capture "$FL" run -c pl.conf -- "$DW" replace naive "$PWD/data/kept-$c" "$NEW"
    expect_status "$c, naive, no power loss" 0 "$RC"
    expect_eq "$c, naive, no power loss: the new content stays" "sub/
sub/file=$NEW" "$(tree_state data/kept-$c)"
done

# ---- a power loss from a rule, at the 2nd fsync ----------------------------------------------

# An append-only log synced after each record: the power loss comes at the fsync after record 2
# (before it is made), so record 1 is all that is durable, and "ack 1" all that was said.
: >data/log
durable_config rule.conf "$PWD/data/*" \
    'rules = ( { name = "pl"; calls = [ "fsync", "fdatasync" ]; after = 1; times = 1; power_loss = true; } );'
capture "$FL" run -c rule.conf -l "$PWD/ev.jsonl" -- "$DW" log "$PWD/data/log" 5
expect_status "log: killed by the power loss" 137 "$RC"
expect_eq "log: acknowledged before the power loss" "ack 1" "$OUT"
expect_eq "log: the records made durable" "record 1" "$(cat data/log)"
expect_eq "log: the event" "pl	fsync	power_loss" \
    "$(jsonl fields --where event=fault ev.jsonl -- rule call action)"

# The replacement, correct, stopped at its 2nd fsync (of file.tmp, before it is made): sub was
# made durable by the 1st (of DIR); file.tmp's creation in sub never was.
mkdir data/mid
capture "$FL" run -c rule.conf -- "$DW" replace correct "$PWD/data/mid" "$NEW"
expect_status "replace stopped at the 2nd fsync: killed" 137 "$RC"
expect_eq "replace stopped at the 2nd fsync: never done" "" "$OUT"
expect_eq "replace stopped at the 2nd fsync: sub, empty" "sub/" "$(tree_state data/mid)"

# Stopped at its 3rd fsync (of sub): file.tmp's data is durable but its name, and the rename,
# are not: still an empty sub.
durable_config rule3.conf "$PWD/data/*" \
    'rules = ( { name = "pl"; calls = [ "fsync" ]; after = 2; times = 1; power_loss = true; } );'
mkdir data/mid3
capture "$FL" run -c rule3.conf -- "$DW" replace correct "$PWD/data/mid3" "$NEW"
expect_status "replace stopped at the 3rd fsync: killed" 137 "$RC"
expect_eq "replace stopped at the 3rd fsync: sub, empty" "sub/" "$(tree_state data/mid3)"
