#!/usr/bin/env bash
# Torn writes: with `torn = { sector = S; keep = 0.5; }` the rollback keeps a random half of the
# unsynced sectors with their newest content instead of losing them all. The writer fills 64 KiB
# with 'o' and fsyncs, then overwrites it with 'N' and does not sync: afterwards every sector is
# wholly 'o' or wholly 'N' (never mixed), some of each; the same seed gives the same file byte
# for byte, another seed another file.
. "$FL_ROOT/tests/integration/lib.sh"
. "$FL_ROOT/tests/integration/power_loss.sh"
python_bin

SIZE=65536
mkdir data

# torn_run SECTOR SEED NAME: the writer on data/NAME (empty before the run) under torn sectors of
# SECTOR bytes, seed SEED, power loss at exit.
torn_run() {
    durable_config "torn$1.conf" "$PWD/data/*" "torn = { sector = $1; keep = 0.5; };"
    : >"data/$3"
    capture "$FL" run -c "torn$1.conf" --seed "$2" --power-loss-at-exit -- "$DW" torn "$PWD/data/$3" $SIZE
    expect_status "sector $1, seed $2: the writer exits 0" 0 "$RC"
    expect_eq "sector $1, seed $2: the writer finished" "done" "$OUT"
    note "sector $1, seed $2: $(rollback_line)"
}

# sectors SECTOR FILE: "NEW OLD MIXED PATTERN": how many SECTOR-byte sectors of FILE are all
# 'N', all 'o', or anything else, and the sectors in order as one letter each (N, o or x); fails
# unless FILE is SIZE bytes.
sectors() {
    "$PYTHON" - "$1" "$2" $SIZE <<'PY'
import sys
sector, path, size = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
data = open(path, "rb").read()
if len(data) != size:
    sys.exit("%s holds %d bytes, not %d" % (path, len(data), size))
counts, pattern = [0, 0, 0], ""
for i in range(0, size, sector):
    s = data[i:i + sector]
    kind = 0 if s == b"N" * sector else 1 if s == b"o" * sector else 2
    counts[kind] += 1
    pattern += "Nox"[kind]
print(*counts, pattern)
PY
}

# check_mix SECTOR FILE: whole sectors only, some new and some old. Sets PATTERN.
check_mix() {
    local n=$(($SIZE / $1)) counts new old mixed
    counts=$(sectors "$1" "$2") || fail "$2: $counts"
    read -r new old mixed PATTERN <<<"$counts"
    note "sector $1, $2: $new of $n sectors kept their new content, $old went back: $PATTERN"
    expect_eq "sector $1, $2: sectors mixed within" 0 "$mixed"
    expect_eq "sector $1, $2: every sector counted" "$n" "$((new + old))"
    # With keep = 0.5 each sector is a coin toss: all $n alike has a chance of 2^-$((n - 1)).
    expect_ge "sector $1, $2: sectors with the new content" 1 "$new"
    expect_ge "sector $1, $2: sectors with the old content" 1 "$old"
}

# Two runs with seed 7, each on a file of its own (made afresh: another inode), and one with 8.
torn_run 512 7 a
check_mix 512 data/a
first=$PATTERN
torn_run 512 7 b
check_mix 512 data/b
expect_eq "the same seed tears the same sectors" "$first" "$PATTERN"
cmp -s data/a data/b || fail "seed 7 twice: data/a and data/b differ though their sectors agree"
torn_run 512 8 c
check_mix 512 data/c
expect_ne "another seed tears other sectors" "$first" "$PATTERN"

# 4096-byte sectors: 16 of them, each whole.
torn_run 4096 7 d
check_mix 4096 data/d
# A 4096-byte sector is eight 512-byte ones that go together.
expect_eq "sector 4096 seen as 512-byte sectors: none mixed" 0 "$(sectors 512 data/d | cut -d' ' -f3)"
note "sector 4096: 512-byte sectors $(sectors 512 data/d | cut -d' ' -f4)"

# Without torn, every unsynced sector is lost: the file is what the fsync made durable.
durable_config plain.conf "$PWD/data/*"
: >data/e
capture "$FL" run -c plain.conf --seed 7 --power-loss-at-exit -- "$DW" torn "$PWD/data/e" $SIZE
expect_status "no torn: the writer exits 0" 0 "$RC"
expect_eq "no torn: the synced content" "o*$SIZE" "$(byte_runs data/e)"
