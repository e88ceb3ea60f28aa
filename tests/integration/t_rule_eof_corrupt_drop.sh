#!/usr/bin/env bash
# eof, corrupt and drop, on real python I/O:
#   eof on read of a file: python reads b'' (the file is intact);
#   corrupt=3 on read: the bytes read differ from the file in exactly 3 bits (the file on disk
#   is untouched); corrupt=5 on write: the file differs from the buffer in exactly 5 bits while
#   the program's buffer is intact; drop on write: os.write reports the full count, none of the
#   data lands (the file is as long as the write made it, and reads as zeros); drop on fsync: success, and no fsync reaches the kernel.
. "$FL_ROOT/tests/integration/lib.sh"
python_bin

head -c 4096 /dev/urandom > orig.bin
cp orig.bin orig.copy

cat > bits.py <<'PY'
import sys
a, b = open(sys.argv[1], "rb").read(), open(sys.argv[2], "rb").read()
print(len(a), len(b), sum(bin(x ^ y).count("1") for x, y in zip(a, b)))
PY
cat > rd.py <<'PY'
import os
fd = os.open("orig.bin", os.O_RDONLY)
d = os.read(fd, 8192)
rest = os.read(fd, 8192)
os.close(fd)
with open("got.bin", "wb") as f:                 # got.bin: no rule matches it
    f.write(d)
with open("orig.bin", "rb") as f:                # the builtin open: read()s too
    whole = f.read()
print(len(d), len(rest), len(whole))
PY

# ---- eof ------------------------------------------------------------------------------------
rules='rules=({name="eof"; calls=["read"]; path="*/orig.bin"; eof=true;});'
FAULTLINE_LOG="$PWD/eof.jsonl" capture under_shim "$rules" "$PYTHON" rd.py
expect_status "rd.py with eof" 0 "$RC"
expect_eq "reads with eof (os.read, os.read, f.read)" "0 0 0" "$OUT"
expect_same_file "orig.bin after eof reads" orig.copy orig.bin
n=$(jsonl count --where event=fault --where action=eof --where done=0 eof.jsonl)
expect_ge "eof fault lines" 3 "$n"

# eof only once: the first read is empty, the next ones read the file.
rules='rules=({calls=["read"]; path="*/orig.bin"; eof=true; times=1;});'
capture under_shim "$rules" "$PYTHON" rd.py
expect_eq "reads with eof times=1" "0 4096 4096" "$OUT"

# ---- corrupt on read ---------------------------------------------------------------------------
rules='rules=({name="flip"; calls=["read"]; path="*/orig.bin"; corrupt=3; times=1;});'
FAULTLINE_LOG="$PWD/cr.jsonl" capture under_shim "$rules" "$PYTHON" rd.py
expect_status "rd.py with corrupt=3" 0 "$RC"
expect_eq "reads with corrupt=3" "4096 0 4096" "$OUT"
expect_eq "got.bin vs orig.bin: lengths and differing bits" "4096 4096 3" \
    "$("$PYTHON" bits.py orig.bin got.bin)"
expect_same_file "orig.bin after corrupted reads" orig.copy orig.bin
expect_eq "corrupt fault line" "read	corrupt	8192	4096" \
    "$(jsonl fields --where event=fault cr.jsonl -- call action asked "done")"

# The same seed flips the same bits; another seed other bits (each still exactly 3).
cp got.bin got.first
FAULTLINE_SEED=7 capture under_shim "$rules" "$PYTHON" rd.py
cp got.bin got.seed7a
FAULTLINE_SEED=7 capture under_shim "$rules" "$PYTHON" rd.py
expect_same_file "corrupt=3 with the same seed" got.seed7a got.bin
expect_eq "corrupt=3 with seed 7" "4096 4096 3" "$("$PYTHON" bits.py orig.bin got.bin)"

# ---- corrupt on write ----------------------------------------------------------------------------
cat > wr.py <<'PY'
import hashlib, os, sys
buf = bytearray(os.urandom(4096))
keep = bytes(buf)
fd = os.open("w.bin", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
n = os.write(fd, buf)
os.close(fd)
with open("buf.bin", "wb") as f:
    f.write(buf)
print(n, "buffer intact" if bytes(buf) == keep else "BUFFER CHANGED")
PY
rules='rules=({name="flipw"; calls=["write"]; path="*/w.bin"; corrupt=5;});'
FAULTLINE_LOG="$PWD/cw.jsonl" capture under_shim "$rules" "$PYTHON" wr.py
expect_status "wr.py with corrupt=5" 0 "$RC"
expect_eq "write with corrupt=5" "4096 buffer intact" "$OUT"
expect_eq "w.bin vs the buffer: lengths and differing bits" "4096 4096 5" \
    "$("$PYTHON" bits.py buf.bin w.bin)"
expect_eq "corrupt write fault line" "write	corrupt	4096	4096" \
    "$(jsonl fields --where event=fault cw.jsonl -- call action asked "done")"

# ---- drop on write ---------------------------------------------------------------------------------
rules='rules=({name="lost"; calls=["write"]; path="*/w.bin"; drop=true;});'
FAULTLINE_LOG="$PWD/dw.jsonl" capture under_shim "$rules" "$PYTHON" wr.py
expect_status "wr.py with drop" 0 "$RC"
expect_eq "write with drop" "4096 buffer intact" "$OUT"
expect_eq "w.bin after a dropped write: as long as the write made it" 4096 "$(wc -c < w.bin)"
expect_eq "w.bin after a dropped write: none of the data" 0 "$(tr -d '\000' < w.bin | wc -c)"
expect_eq "buf.bin (not matched) written" 4096 "$(wc -c < buf.bin)"
expect_eq "drop fault line" "write	drop	4096	4096" \
    "$(jsonl fields --where event=fault dw.jsonl -- call action asked "done")"

# ---- drop on fsync -------------------------------------------------------------------------------------
cat > sy.py <<'PY'
import os
fd = os.open("s.bin", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
print(os.write(fd, b"abc"), os.fsync(fd), os.fdatasync(fd), "fd", fd)
os.close(fd)
PY
rules='rules=({name="nosync"; calls=["fsync"]; path="*/s.bin"; drop=true;});'
FAULTLINE_LOG="$PWD/ds.jsonl" capture under_shim "$rules" "$PYTHON" sy.py
expect_status "sy.py with fsync drop" 0 "$RC"
fd=${OUT##* }
expect_eq "fsync with drop" "3 None None fd $fd" "$OUT"
expect_eq "s.bin written" abc "$(cat s.bin)"
expect_eq "fsync drop fault line" "fsync	drop	0	$fd" \
    "$(jsonl fields --where event=fault ds.jsonl -- call action "done" fd)"

# Nothing reached the kernel: strace sees the fdatasync (no rule) but no fsync of that fd.
if command -v strace >/dev/null 2>&1 &&
    strace -f -qq -o /dev/null true 2>/dev/null; then
    strace -f -qq -e trace=fsync,fdatasync -o st.txt \
        env LD_PRELOAD="$FL_LIB" FAULTLINE_RULES="$rules" "$PYTHON" sy.py >/dev/null ||
        fail "sy.py under strace"
    note "strace: $(cat st.txt)"
    expect_eq "fsync system calls on fd $fd" 0 "$(grep -c "fsync($fd)" st.txt)"
    expect_eq "fdatasync system calls on fd $fd" 1 "$(grep -c "fdatasync($fd)" st.txt)"
else
    note "strace unusable: the kernel side of the dropped fsync is not checked"
fi
