#!/usr/bin/env bash
# A rule on write misses a program that writes through stdio (glibc's stdio reaches the kernel
# through functions no preload sees): when such a rule matched nothing and the program used
# fwrite, fputs and the like, the summary says so in one line. Not when the rule covers the
# stdio calls too, nor when the program never used them.
. "$FL_ROOT/tests/integration/lib.sh"
need_prog stdio_writer
need cat
W="$FL_PROGS/stdio_writer"

capture under_shim 'summary = true;
rules = ({ name = "disk"; calls = ["write"]; path = "*/out.txt"; error = "ENOSPC"; });' \
    "$W" -n 2 -c fputs,fwrite out.txt
expect_status "stdio_writer under a rule on write" 0 "$RC"
expect_contains "the hint" "$ERR" \
    "faultline: rule 'disk' matched nothing: this program writes through stdio (fwrite, fputs), which a rule on write does not see; add them, or \"@write\", to its calls"

capture under_shim 'summary = true;
rules = ({ name = "disk"; calls = ["@write"]; path = "*/nothing.txt"; error = "ENOSPC"; });' \
    "$W" -n 2 -c fputs,fwrite out.txt
expect_not_contains "no hint for a rule that covers stdio" "$ERR" "matched nothing"

echo data >in.txt
capture under_shim 'summary = true;
rules = ({ name = "disk"; calls = ["write"]; path = "*/nothing.txt"; error = "ENOSPC"; });' \
    cat in.txt
expect_eq "cat's output" "data" "$OUT"
expect_not_contains "no hint for a program that writes with write" "$ERR" "matched nothing"
