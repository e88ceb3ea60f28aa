#!/usr/bin/env bash
# The faultline command's usage: each verb's usage line (its --help's first line, and the last
# line of a usage error) is a line of the SYNOPSIS of man/faultline.1, word for word; a bad
# option is a usage error (status 2) for every verb; `faultline` alone and `faultline --help`
# list the verbs; --version prints the Makefile's version.
. "$FL_ROOT/tests/integration/lib.sh"
need mandoc
FL=$(cd "$FL_PROGS/../.." && pwd)/faultline
[ -x "$FL" ] || fail "$FL is not built (make builds it)"

synopsis=$(mandoc -Tascii -Owidth=300 "$FL_ROOT/man/faultline.1" | sed 's/.\x08//g' |
    sed -n '/^SYNOPSIS/,/^DESCRIPTION/p' | sed 's/^ *//')
[ -n "$synopsis" ] || fail "no SYNOPSIS in man/faultline.1"

for verb in run check ctl ps report; do
    capture "$FL" "$verb" --help
    expect_status "$verb --help" 0 "$RC"
    expect_eq "$verb --help: nothing on stderr" "" "$ERR"
    usage=$(head -n 1 "$OUT_FILE")
    expect_match "$verb --help: a usage line" "$usage" "^usage: faultline $verb"
    printf '%s\n' "$synopsis" | grep -qxF -- "${usage#usage: }" ||
        fail "$verb: usage line [${usage#usage: }] is not in the man page's SYNOPSIS: [$synopsis]"
    capture "$FL" "$verb" --no-such-option
    expect_status "$verb --no-such-option" 2 "$RC"
    expect_eq "$verb --no-such-option: message" \
        "faultline: $verb: unknown option '--no-such-option'
$usage" "$ERR"
    capture "$FL" "$verb" -Z
    expect_status "$verb -Z" 2 "$RC"
    expect_eq "$verb -Z: message" "faultline: $verb: unknown option '-Z'" \
        "$(head -n 1 "$ERR_FILE")"
done

# experiment has two usage lines (an experiment, a replay): both in the SYNOPSIS
capture "$FL" experiment --help
expect_status "experiment --help" 0 "$RC"
while IFS= read -r line; do
    line=${line#usage: }
    line=${line#"${line%%[! ]*}"}
    printf '%s\n' "$synopsis" | grep -qxF -- "$line" ||
        fail "experiment: usage line [$line] is not in the man page's SYNOPSIS"
done < <(sed -n '1,2p' "$OUT_FILE")

capture "$FL"
expect_status "faultline alone" 2 "$RC"
expect_eq "faultline alone: nothing on stdout" "" "$OUT"
capture "$FL" --help
expect_status "faultline --help" 0 "$RC"
for verb in run check ctl ps report experiment; do
    expect_match "faultline --help lists $verb" "$OUT" "^  $verb +[a-z]"
done
capture "$FL" frobnicate
expect_status "an unknown command" 2 "$RC"
expect_eq "an unknown command: message" \
    "faultline: unknown command 'frobnicate': run, check, ctl, ps, report or experiment" \
    "$(head -n 1 "$ERR_FILE")"

version=$(sed -n 's/^VERSION *:= *//p' "$FL_ROOT/Makefile")
capture "$FL" --version
expect_status "--version" 0 "$RC"
expect_eq "--version" "faultline $version" "$OUT"

# The man page itself is clean.
expect_eq "mandoc -Tlint" "" "$(mandoc -Tlint -W warning "$FL_ROOT/man/faultline.1" 2>&1)"
