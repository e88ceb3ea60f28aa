#!/usr/bin/env bash
# programs = ["GLOB", ...]: the rules act only in programs whose executable's base name (or the
# name they were started under, argv[0]) matches a glob; in any other program the shim loads
# with every rule dormant. With one FAULTLINE_RULES for a whole pipeline and a rule failing
# write and fwrite with EIO (cat writes with write(2), tee with stdio: without `programs` the
# rule breaks both), `printf x | cat` fails while `printf x | tee /dev/null` passes x along; the
# shell that runs the pipeline is not named, so its own printf reaches the pipe.
. "$FL_ROOT/tests/integration/lib.sh"
need cat tee sh

# feed PROGRAM [ARG]...: `printf x | PROGRAM ARG...` with the shim preloaded into PROGRAM only
# and $rules as FAULTLINE_RULES; the pipeline's status is PROGRAM's.
feed() {
    printf x | under_shim "$rules" "$@"
}

# run_pipes: both pipelines under $rules; sets CAT_RC, CAT_OUT, CAT_ERR and TEE_RC, TEE_OUT,
# TEE_ERR.
run_pipes() {
    capture feed cat
    CAT_RC=$RC CAT_OUT=$OUT CAT_ERR=$ERR
    capture feed tee /dev/null
    TEE_RC=$RC TEE_OUT=$OUT TEE_ERR=$ERR
}

# Without the shim both pass x along.
rules=''
capture sh -c 'printf x | cat'
expect_status "printf x | cat without the shim" 0 "$RC"
expect_eq "cat's output without the shim" "x" "$OUT"
capture sh -c 'printf x | tee /dev/null'
expect_status "printf x | tee without the shim" 0 "$RC"
expect_eq "tee's output without the shim" "x" "$OUT"

# Without `programs`, the write rule breaks both.
rules='rules = ( { name = "nowrite"; calls = [ "write", "fwrite" ]; error = "EIO"; } );'
run_pipes
expect_status "cat, every program" 1 "$CAT_RC"
expect_eq "cat's output, every program" "" "$CAT_OUT"
expect_contains "cat's error, every program" "$CAT_ERR" "Input/output error"
expect_status "tee, every program" 1 "$TEE_RC"
expect_eq "tee's output, every program" "" "$TEE_OUT"

# programs = ["cat"]: cat fails, tee in the same configuration does not.
for glob in cat 'c?t' 'c*' '[bc]at'; do
    rules="programs = [ \"$glob\" ];
rules = ( { name = \"nowrite\"; calls = [ \"write\", \"fwrite\" ]; error = \"EIO\"; } );"
    run_pipes
    what="programs = [\"$glob\"]"
    expect_status "$what: printf x | cat" 1 "$CAT_RC"
    expect_eq "$what: cat's output" "" "$CAT_OUT"
    expect_contains "$what: cat's error" "$CAT_ERR" "Input/output error"
    expect_status "$what: printf x | tee /dev/null" 0 "$TEE_RC"
    expect_eq "$what: tee's output" "x" "$TEE_OUT"
    expect_eq "$what: tee's stderr" "" "$TEE_ERR"
done

# Globs that name neither: both pass (a glob matches the whole name, not a part of it).
for glob in ca at 'cat?' 'x*'; do
    rules="programs = [ \"$glob\" ];
rules = ( { name = \"nowrite\"; calls = [ \"write\", \"fwrite\" ]; error = \"EIO\"; } );"
    run_pipes
    what="programs = [\"$glob\"]"
    expect_status "$what: printf x | cat" 0 "$CAT_RC"
    expect_eq "$what: cat's output" "x" "$CAT_OUT"
    expect_status "$what: printf x | tee /dev/null" 0 "$TEE_RC"
    expect_eq "$what: tee's output" "x" "$TEE_OUT"
done

# Several globs: any one names a program. tee alone: the other way round.
rules='programs = [ "nginx", "t?e" ];
rules = ( { name = "nowrite"; calls = [ "write", "fwrite" ]; error = "EIO"; } );'
run_pipes
expect_status 'programs = ["nginx", "t?e"]: cat' 0 "$CAT_RC"
expect_eq 'programs = ["nginx", "t?e"]: cat'"'"'s output' "x" "$CAT_OUT"
expect_status 'programs = ["nginx", "t?e"]: tee' 1 "$TEE_RC"
expect_eq 'programs = ["nginx", "t?e"]: tee'"'"'s output' "" "$TEE_OUT"
expect_contains 'programs = ["nginx", "t?e"]: tee'"'"'s error' "$TEE_ERR" "Input/output error"

# The name a program was started under counts too: tee started as "cat" is named; cat started
# as "meow" still is, by its executable.
rules='programs = [ "cat" ];
rules = ( { name = "nowrite"; calls = [ "write", "fwrite" ]; error = "EIO"; } );'
capture feed bash -c 'exec -a cat tee /dev/null'
expect_status 'programs = ["cat"]: tee started as "cat"' 1 "$RC"
expect_eq 'programs = ["cat"]: output of tee started as "cat"' "" "$OUT"
capture feed bash -c 'exec -a meow cat'
expect_status 'programs = ["cat"]: cat started as "meow"' 1 "$RC"
expect_eq 'programs = ["cat"]: output of cat started as "meow"' "" "$OUT"

# One environment for a whole process tree: the shell (not named) keeps its rules dormant, so
# its printf writes x into the pipe; each program it executes is checked anew.
capture under_shim "$rules" sh -c 'printf x | cat'
expect_status 'programs = ["cat"]: sh -c "printf x | cat" under the shim' 1 "$RC"
expect_eq 'programs = ["cat"]: what cat wrote under sh' "" "$OUT"
expect_contains 'programs = ["cat"]: cat'"'"'s error under sh' "$ERR" "Input/output error"
capture under_shim "$rules" sh -c 'printf x | tee /dev/null'
expect_status 'programs = ["cat"]: sh -c "printf x | tee /dev/null" under the shim' 0 "$RC"
expect_eq 'programs = ["cat"]: what tee wrote under sh' "x" "$OUT"

# summary = true: the named program's rule is armed and fired; the other, where no rule could
# act, prints no summary.
row() { # RULE STATE MATCHED INJECTED ACTIONS: the regex of one summary row
    printf '^  %s +%s +%s +%s  %s$' "$1" "$2" "$3" "$4" "$5"
}
rules='summary = true; programs = [ "cat" ];
rules = ( { name = "nowrite"; calls = [ "write", "fwrite" ]; error = "EIO"; } );'
run_pipes
expect_status "summary: cat" 1 "$CAT_RC"
expect_match "summary: cat's header" "$CAT_ERR" '^faultline: summary for pid [0-9]+'
n='[1-9][0-9]*'
expect_match "summary: cat's rule is armed and fired" "$CAT_ERR" \
    "$(row nowrite armed "$n" "$n" "error=$n")"
expect_not_contains "summary: cat's rule is not dormant" "$CAT_ERR" "dormant"
expect_status "summary: tee" 0 "$TEE_RC"
expect_eq "summary: tee's output" "x" "$TEE_OUT"
expect_not_contains "summary: none in tee" "$TEE_ERR" "faultline: summary"
