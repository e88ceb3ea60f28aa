#!/usr/bin/env bash
# drop models a lost write, not a shifted file: a dropped write to a regular file moves the file
# offset as the real write would have and leaves the file at least as long as the write would
# have made it (the lost bytes read as zeros). dd copying 10 blocks of 4 KiB with the 4th write
# dropped leaves an output of the same size, every other block in place, the 4th all zeros.
# sqlite3 in WAL mode maps its -shm file after extending it with a 1-byte pwrite: with every
# pwrite to it dropped, the file is still extended and sqlite3 does not die of SIGBUS.
. "$FL_ROOT/tests/integration/lib.sh"
need dd cmp head
python_bin

head -c 40960 /dev/urandom >in.bin
rules='rules=({name="lost"; calls=["write"]; path="*/out.bin"; after=3; times=1; drop=true;});'
FAULTLINE_LOG=$PWD/ev.jsonl capture under_shim "$rules" dd if=in.bin of=out.bin bs=4k
expect_status "dd under a dropped write" 0 "$RC"
expect_eq "one write dropped" "write	drop	4096" "$(jsonl fields --where event=fault ev.jsonl -- call action done)"
expect_eq "output size" 40960 "$(stat -c %s out.bin)"
cmp -n 12288 in.bin out.bin || fail "the three blocks before the lost write differ"
cmp -i 16384 in.bin out.bin || fail "the blocks after the lost write are not where they belong"
head -c 4096 /dev/zero >zeros.bin
cmp -i 12288:0 -n 4096 out.bin zeros.bin || fail "the lost block does not read as zeros"

# A dropped pwrite past the end extends the file; one inside it changes nothing.
if command -v sqlite3 >/dev/null 2>&1; then
    rules='rules=({name="shm"; calls=["pwrite"]; path="*-shm"; drop=true;});'
    capture timeout 20 env LD_PRELOAD="$FL_LIB" FAULTLINE_RULES="$rules" sqlite3 db.sqlite \
        'PRAGMA journal_mode=WAL; CREATE TABLE t(x); INSERT INTO t VALUES (1); SELECT count(*) FROM t;'
    expect_status "sqlite3 WAL with its -shm writes dropped" 0 "$RC"
    expect_eq "sqlite3's output" "wal
1" "$OUT"
else
    note "sqlite3 missing: the -shm case is not run"
fi
