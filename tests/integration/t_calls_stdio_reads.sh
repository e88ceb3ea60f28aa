#!/usr/bin/env bash
# getline, fgetc and fscanf, with every symbol each covers, fail as glibc's fail: an error
# returns -1 (getline) or EOF with the stream's error flag and the rule's errno; eof returns the
# same with the end-of-file flag and reads nothing; corrupt flips bits in the line or byte read
# (never getline's NUL). A real program: sed reads its input with getdelim.
. "$FL_ROOT/tests/integration/lib.sh"
need_prog calls_probe
P="$FL_PROGS/calls_probe"
python_bin
printf '1 2\n3:4\n' > in.txt
hex=3120320a333a340a

# reader  calls-made-without-rules  (two lines, or two pieces at the delimiter ":")
while read -r how calls; do
    capture under_shim '' "$P" "$how" in.txt
    expect_eq "$how with no rule" "$how -1 errno=- ferror=0 feof=1 calls=$calls data=$hex" "$OUT"

    capture under_shim 'rules=({calls=["@read"]; error="EIO"; after=1; path="*/in.txt";});' "$P" "$how" in.txt
    expect_match "$how error: -1 or EOF, EIO, the error flag, on the second call" "$OUT" \
        "^$how -1 errno=EIO ferror=1 feof=0 calls=2 data=[0-9a-f]+\$"

    capture under_shim 'rules=({calls=["@read"]; eof=true;});' "$P" "$how" in.txt
    expect_eq "$how eof: nothing read, the end-of-file flag" "$how -1 errno=- ferror=0 feof=1 calls=1 data=" "$OUT"

    capture under_shim 'seed=5; rules=({calls=["@read"]; corrupt=1; times=1;});' "$P" "$how" in.txt
    got=$(sed -n 's/.*data=//p' <<<"$OUT")
    expect_eq "$how corrupt: as many bytes" ${#hex} ${#got}
    expect_ne "$how corrupt: the data differs" "$hex" "$got"
    bits=$("$PYTHON" -c 'import sys; a,b=(bytes.fromhex(x) for x in sys.argv[1:]); print(sum(bin(x^y).count("1") for x,y in zip(a,b)))' "$hex" "$got")
    expect_eq "$how corrupt: one bit flipped" 1 "$bits"
done <<'READERS'
getline 3
getdelim 3
__getdelim 3
fgetc 9
getc 9
_IO_getc 9
fgetc_unlocked 9
getc_unlocked 9
READERS

# getchar and getchar_unlocked read stdin
for how in getchar getchar_unlocked; do
    capture under_shim 'rules=({calls=["fgetc"]; error="EBADF"; after=2;});' "$P" "$how" < in.txt
    expect_eq "$how error on the third byte" "$how -1 errno=EBADF ferror=1 feof=0 calls=3 data=3120" "$OUT"
done

# the scanf family: plain and C99 forms
capture under_shim '' "$P" fscanf in.txt
expect_eq "fscanf with no rule" "fscanf 0 errno=- ferror=0 feof=0 calls=4 sum=6" "$OUT"
for how in fscanf vfscanf; do
    capture under_shim 'rules=({calls=["fscanf"]; error="EIO"; after=1;});' "$P" "$how" in.txt
    expect_eq "$how error: EOF, EIO, the error flag" "$how -1 errno=EIO ferror=1 feof=0 calls=2 sum=1" "$OUT"
    capture under_shim 'rules=({calls=["fscanf"]; eof=true;});' "$P" "$how" in.txt
    expect_eq "$how eof: EOF and the end-of-file flag" "$how -1 errno=- ferror=0 feof=1 calls=1 sum=0" "$OUT"
done
capture under_shim 'rules=({calls=["fscanf"]; error="EINTR";});' "$P" scanf < in.txt
expect_eq "scanf on a regular file: EINTR is never faithful there" "scanf 0 errno=- ferror=0 feof=0 calls=4 sum=6" "$OUT"
capture bash -c 'printf "5 6\n" | LD_PRELOAD="$0" FAULTLINE_RULES="$1" "$2" scanf' "$FL_LIB" \
    'rules=({calls=["fscanf"]; error="EINTR"; fd="pipe"; after=1;});' "$P"
expect_eq "scanf on a pipe: EINTR" "scanf -1 errno=EINTR ferror=1 feof=0 calls=2 sum=5" "$OUT"
if command -v nm >/dev/null 2>&1; then
    syms=$(nm -D --undefined-only "$P" | awk '{sub(/@.*/, "", $2); print $2}')
    for s in __isoc99_fscanf __isoc99_scanf __isoc99_vfscanf getline getdelim __getdelim \
        fgetc getc _IO_getc getc_unlocked getchar_unlocked; do
        printf '%s\n' "$syms" | grep -qx "$s" || fail "calls_probe does not import $s"
    done
fi

# getline takes no partial: the config says so
capture under_shim 'rules=({calls=["getline"]; partial="50%";});' "$P" getline in.txt
expect_status "partial on getline is refused" 2 "$RC"
expect_contains "and the message says why" "$ERR" "call 'getline' cannot take 'partial'"

# A real program: GNU sed reads lines with getdelim.
need sed
capture under_shim 'rules=({calls=["getline"]; error="EIO"; path="*/in.txt";});' sed -n p in.txt
expect_status "sed whose getdelim fails" 4 "$RC"
expect_contains "sed reports the read error" "$ERR" "read error on in.txt: Input/output error"
capture under_shim 'rules=({calls=["getline"]; eof=true; after=1; path="*/in.txt";});' sed -n p in.txt
expect_status "sed whose second line is end of file" 0 "$RC"
expect_eq "sed printed the first line only" "1 2" "$OUT"
