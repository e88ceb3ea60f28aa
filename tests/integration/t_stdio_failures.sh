#!/usr/bin/env bash
# stdio never reaches the interposed write (PRELOAD.md): each stdio output call must be broken on
# its own. stdio_writer calls fwrite, fprintf, fputs, putc, fputc, printf, puts and putchar once
# each; a rule on one call name fails exactly the functions that name covers (fprintf covers
# printf, fputs covers puts, fputc covers putc and putchar), with the rule's errno and the
# stream's error flag set, and every other line still lands in the file.
. "$FL_ROOT/tests/integration/lib.sh"
need_prog stdio_writer
W="$FL_PROGS/stdio_writer"

# The helper must really call what it claims (gcc may rewrite printf into puts, and so on).
if command -v nm >/dev/null 2>&1; then
    syms=$(nm -D --undefined-only "$W" | awk '{sub(/@.*/, "", $2); print $2}')
    for s in fwrite __fprintf_chk fputs putc fputc __printf_chk puts; do
        printf '%s\n' "$syms" | grep -qx "$s" || fail "stdio_writer does not import $s"
    done
fi

all="1 fwrite
1 fprintf
1 fputs
1 putc
1 fputc
1 printf
1 puts
1 putchar"

capture under_shim '' "$W" out.txt
expect_status "no rules" 0 "$RC"
expect_eq "every line written" "$all" "$(cat out.txt)"

# call  errno  first-failing-status  functions-that-fail  strerror
while read -r call err status funcs msg; do
    rm -f out.txt
    rules="rules=({name=\"s\"; calls=[\"$call\"]; error=\"$err\";});"
    capture under_shim "$rules" "$W" out.txt
    expect_status "stdio_writer with $call=$err" "$status" "$RC"
    want=$(printf '%s\n' "$all" | grep -vxE "1 (${funcs//,/|})")
    expect_eq "lines that reached the file with $call=$err" "$want" "$(cat out.txt)"
    for f in ${funcs//,/ }; do
        expect_contains "stdio_writer's report with $call=$err" "$ERR" \
            "stdio_writer: 1 $f failed: $err ($msg) ferror=1"
    done
    n=$(printf '%s\n' "$ERR" | grep -c ' failed: ')
    expect_eq "number of failed functions with $call=$err" "$(echo "${funcs//,/ }" | wc -w)" "$n"
    expect_not_contains "ferror set after every failure" "$ERR" "ferror not set"
done <<'TABLE'
fwrite ENOSPC 10 fwrite No space left on device
fprintf EIO 11 fprintf,printf Input/output error
fputs ENOSPC 12 fputs,puts No space left on device
fputc EFBIG 13 putc,fputc,putchar File too large
TABLE
