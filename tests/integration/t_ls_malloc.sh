#!/usr/bin/env bash
# coreutils ls when malloc fails with ENOMEM: ls gives up with its own "memory exhausted"
# message and exit status 2 (serious trouble), prints no listing, and the log shows malloc
# faults. The same ls without the rule lists the directory.
. "$FL_ROOT/tests/integration/lib.sh"
not_under_sanitizer "the sanitizer runtime takes malloc"
need ls
python_bin

mkdir dir
touch dir/alpha dir/beta

capture under_shim '' ls dir
expect_status "ls under the shim, no rules" 0 "$RC"
expect_eq "ls listing" "alpha
beta" "$OUT"

for calls in '"malloc"' '"@mem"'; do
    rules="rules=({name=\"oom\"; calls=[$calls]; error=\"ENOMEM\";});"
    rm -f ev.jsonl
    FAULTLINE_LOG="$PWD/ev.jsonl" capture under_shim "$rules" ls -la dir
    expect_status "ls with calls=[$calls] ENOMEM" 2 "$RC"
    expect_match "ls's message, calls=[$calls]" "$ERR" '^ls: memory exhausted$'
    expect_eq "no listing, calls=[$calls]" "" "$OUT"
    n=$(jsonl count --where event=fault --where rule=oom --where errno=ENOMEM ev.jsonl)
    expect_ge "ENOMEM faults logged, calls=[$calls]" 1 "$n"
done
n=$(jsonl count --where event=fault --where call=malloc ev.jsonl)
expect_ge "faults on malloc itself" 1 "$n"
