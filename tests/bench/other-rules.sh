#!/usr/bin/env bash
# Prints a config of 1000 rules on calls neither the benchmarks nor the instruction budget make
# (getnameinfo and msync, alternately; distinct names), for "1000 rules elsewhere" variants:
# tests/bench/run.sh and tests/integration/t_fastpath_instructions.sh.
echo 'seed = 1;'
echo 'rules = ('
for i in $(seq 1 1000); do
    sep=','
    [ "$i" = 1000 ] && sep=''
    if [ $((i % 2)) = 0 ]; then
        printf '  { name = "other-%04d"; calls = [ "msync" ]; error = "EIO"; }%s\n' "$i" "$sep"
    else
        printf '  { name = "other-%04d"; calls = [ "getnameinfo" ]; error = "EAI_FAIL"; }%s\n' "$i" "$sep"
    fi
done
echo ');'
