#!/usr/bin/env bash
# The call list in faultline.conf(5) and in the README is the call table's (lib/calls.def, as
# `faultline check --list-calls` prints it): every class with exactly its calls, every call
# with exactly its variants. A call added to the table and not to the docs fails here.
. "$FL_ROOT/tests/integration/lib.sh"
FL=$(cd "$FL_PROGS/../.." && pwd)/faultline
[ -x "$FL" ] || fail "no faultline command at $FL"

"$FL" check --list-calls > table.txt || fail "faultline check --list-calls"
# from the table: "@class call" pairs and "call variant" pairs, sorted
awk 'NR > 1 { for (i = 2; $i ~ /^@/; i++) print $i, $1 }' table.txt |
    sort > table-classes.txt
awk 'NR > 1 { for (i = 1; i <= NF; i++) if ($i ~ /^(error|delay|kill|partial|eof|corrupt|drop|power_loss)$/) last = i
              for (i = last + 1; i <= NF; i++) if ($i != "-") print $1, $i }' table.txt |
    sort > table-variants.txt
[ -s table-classes.txt ] && [ -s table-variants.txt ] || fail "could not read the call table"

# from the man page's CALLS AND CLASSES section
man="$FL_ROOT/man/faultline.conf.5"
sed -n '/^\.Sh CALLS AND CLASSES/,/^\.Sh /p' "$man" > section.txt
awk '/^\.It Cm @/ { cls = $3; next } /^\.(It|El|Pp|Bl)/ { cls = "" }
     cls != "" && cls != "@all" && !/^\./ { for (i = 1; i <= NF; i++) print cls, $i }' section.txt |
    sort > man-classes.txt
awk '/^\.Bl -tag -width "gethostbyname_r"/ { on = 1; next } on && /^\.El/ { on = 0 }
     on && /^\.It / { call = $2; next } on && call != "" && !/^\./ { for (i = 1; i <= NF; i++) print call, $i }' \
    section.txt | sort > man-variants.txt
expect_eq "classes in faultline.conf(5) vs the table" "$(grep -v '^@all ' table-classes.txt)" \
    "$(cat man-classes.txt)"
expect_eq "variants in faultline.conf(5) vs the table" "$(cat table-variants.txt)" "$(cat man-variants.txt)"

# the README's class table: | `@class` | calls |
awk -F'|' '/^\| `@[a-z]+` \|/ { gsub(/[` ]/, "", $2); if ($2 == "@all") next
           n = split($3, w, " "); for (i = 1; i <= n; i++) print $2, w[i] }' "$FL_ROOT/README.md" |
    sort > readme-classes.txt
expect_eq "classes in the README vs the table" "$(grep -v '^@all ' table-classes.txt)" \
    "$(cat readme-classes.txt)"
