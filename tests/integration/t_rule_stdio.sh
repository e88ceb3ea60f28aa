#!/usr/bin/env bash
# The actions through stdio: fread and fgets come back short, at end of file or corrupted; fwrite,
# fputs, puts, fprintf and fputc lose their writes, stop short (the error flag set, errno EIO)
# or write corrupted bytes; a dropped fflush loses what was buffered. The program's own view
# (return values, ferror, feof) and the file on disk are both checked.
. "$FL_ROOT/tests/integration/lib.sh"
need_prog stdio_writer
need_prog stdio_reader
python_bin
W="$FL_PROGS/stdio_writer"
R="$FL_PROGS/stdio_reader"

# bits that differ between two files of the same length
bitdiff() {
    "$PYTHON" -c 'import sys
a, b = (open(p, "rb").read() for p in sys.argv[1:3])
print(len(a) == len(b) and sum(bin(x ^ y).count("1") for x, y in zip(a, b)))' "$1" "$2"
}

"$W" clean.txt 2>/dev/null || fail "stdio_writer without the shim"

# ---- writes -----------------------------------------------------------------------------------
capture under_shim 'rules=({calls=["fwrite"]; drop=true;});' "$W" drop.txt
expect_status "fwrite drop: the program saw success" 0 "$RC"
expect_eq "fwrite drop: its line is missing, the others are there" \
    "$(grep -v fwrite clean.txt)" "$(cat drop.txt)"

capture under_shim 'rules=({calls=["fputs"]; partial="50%";});' "$W" part.txt
expect_status "fputs partial: fputs is the first call to fail" 12 "$RC"
expect_contains "fputs partial: EIO and the error flag" "$ERR" "fputs failed: EIO (Input/output error) ferror=1"
expect_contains "puts partial too" "$ERR" "puts failed: EIO (Input/output error) ferror=1"
expect_contains "half of fputs' 8-byte line reached the file" "$(tr '\n' ' ' < part.txt)" "1 fp1 putc"

capture under_shim 'rules=({calls=["fwrite"]; partial=2;});' "$W" short.txt
expect_status "fwrite partial: a short count" 10 "$RC"
expect_eq "2 of fwrite's 9 bytes were written" "1 1 fprintf" "$(head -c 11 short.txt)"

capture under_shim 'seed=3; rules=({calls=["fprintf"]; corrupt=4; times=1;});' "$W" corrupt.txt
expect_status "fprintf corrupt: the program saw success" 0 "$RC"
expect_eq "exactly 4 bits differ on disk" 4 "$(bitdiff clean.txt corrupt.txt)"

capture under_shim 'seed=3; rules=({calls=["fputc"]; corrupt=1;});' "$W" onebit.txt
expect_status "fputc corrupt" 0 "$RC"
expect_eq "putc, fputc and putchar: one bit flipped in each of their 7 + 8 + 10 bytes" 25 "$(bitdiff clean.txt onebit.txt)"

capture under_shim 'rules=({calls=["fflush"]; drop=true;});' "$W" flush.txt
expect_status "fflush drop: the program saw success" 0 "$RC"
expect_eq "the buffered lines never reached the file" 0 "$(stat -c %s flush.txt)"

# ---- reads ------------------------------------------------------------------------------------
printf 'hello world\nsecond line\n' > in.txt
capture under_shim '' "$R" in.txt
expect_eq "no rule" "fread 24 eof=1 err=0
fgets 12 eof=0" "$(head -n 2 "$OUT_FILE")"
clean_hex=$(sed -n 's/^data //p' "$OUT_FILE")

capture under_shim 'rules=({calls=["fread", "fgets"]; path="*/in.txt"; eof=true;});' "$R" in.txt
expect_eq "eof: nothing read, the end-of-file flag set" "fread 0 eof=1 err=0
fgets NULL eof=1" "$(head -n 2 "$OUT_FILE")"

capture under_shim 'rules=({calls=["fread", "fgets"]; path="*/in.txt"; partial=5;});' "$R" in.txt
# stdio never comes back short without a reason: a short read is one at end of file.
expect_eq "partial: 5 bytes, and a line cut after 5 characters, at end of file" "fread 5 eof=1 err=0
fgets 5 eof=1" "$(head -n 2 "$OUT_FILE")"
capture under_shim 'rules=({calls=["fgets"]; path="*/in.txt"; partial=5;});' "$R" in.txt
expect_eq "partial on fgets alone: a line cut after 5 characters, at end of file" "fgets 5 eof=1" \
    "$(sed -n 2p "$OUT_FILE")"

capture under_shim 'rules=({calls=["fread"]; path="*/in.txt"; corrupt=3;});' "$R" in.txt
hex=$(sed -n 's/^data //p' "$OUT_FILE")
expect_eq "corrupt: exactly 3 bits of what fread returned differ" 3 \
    "$("$PYTHON" -c 'import sys; a, b = bytes.fromhex(sys.argv[1]), bytes.fromhex(sys.argv[2]); print(sum(bin(x ^ y).count("1") for x, y in zip(a, b)))' "$clean_hex" "$hex")"
expect_eq "the file itself is intact" "hello world" "$(head -n 1 in.txt)"
