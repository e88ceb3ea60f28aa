#!/usr/bin/env bash
# after_bytes counts bytes, not calls, like the kernel fault-injection framework's `space`: "the
# disk fills after 1 MiB". dd copying 2 MB in 4 KiB writes under after_bytes = "1MiB" and ENOSPC
# writes exactly 1 MiB (256 writes) and fails on the 257th, the one that would go past it; with
# python writing 3000 bytes at a time, the 350th (1,050,000 bytes in all) is the first to fail. Both limits
# hold in the event log, and faultline check shows the key.
. "$FL_ROOT/tests/integration/lib.sh"
need dd head stat
python_bin
FL=$(cd "$FL_PROGS/../.." && pwd)/faultline
head -c 2000000 /dev/zero >zeros
rules='rules=({name="full"; calls=["write"]; path="*/big.out"; after_bytes="1MiB"; error="ENOSPC";});'
FAULTLINE_LOG=$PWD/ev.jsonl capture under_shim "$rules" dd if=zeros of=big.out bs=4k
expect_status "dd under after_bytes" 1 "$RC"
expect_contains "dd's message" "$ERR" "No space left on device"
expect_eq "bytes written" 1048576 "$(stat -c %s big.out)"
expect_eq "the fault" "write	4096	ENOSPC" "$(jsonl fields --where event=fault ev.jsonl -- call asked errno)"

rm -f big.out ev.jsonl
capture under_shim "$rules" "$PYTHON" -c '
import os
fd = os.open("big.out", os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
for i in range(1, 700):
    try:
        os.write(fd, bytes(3000))
    except OSError as e:
        print("write", i, "failed:", e.strerror)
        break'
expect_eq "3000-byte writes under after_bytes" "write 350 failed: No space left on device" "$OUT"
expect_eq "bytes written in 3000-byte writes" $((349 * 3000)) "$(stat -c %s big.out)"

printf 'rules = ({ calls = ["write"]; after_bytes = "1.5MB"; error = "ENOSPC"; });\n' >ab.conf
capture "$FL" check ab.conf
expect_status "check" 0 "$RC"
expect_match "check shows after_bytes" "$OUT" 'after_bytes +1500000 bytes'
