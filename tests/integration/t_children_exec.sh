#!/usr/bin/env bash
# children = true (the default): programs a process execs keep the shim and its rules;
# children = false removes the shim from their environment (only its own LD_PRELOAD entry),
# so an exec'd cat is not broken by a write rule meant for its parent.
. "$FL_ROOT/tests/integration/lib.sh"
not_under_sanitizer "LD_PRELOAD holds the sanitizer runtime too"
need sh cat

printf 'payload\n' > in.txt
run_child() {
    # sh itself runs under the rule, so it writes nothing: only the exec'd programs do. cat
    # writes through a pipe (write(2)); env prints its environment with stdio.
    rm -f env.txt
    capture env LD_PRELOAD="$FL_LIB" FAULTLINE_RULES="$1" \
        sh -c 'cat < in.txt | cat; env > env.txt'
}

run_child 'rules=({calls=["write"]; error="EIO";});'
expect_eq "children inherit the rules: nothing written" "" "$OUT"
expect_contains "children inherit the rules: cat fails" "$ERR" "Input/output error"

run_child 'children=true; rules=({calls=["write"]; error="EIO";});'
expect_eq "children = true" "" "$OUT"
expect_eq "children = true: LD_PRELOAD kept" "LD_PRELOAD=$FL_LIB" "$(grep '^LD_PRELOAD=' env.txt)"

run_child 'children=false; rules=({calls=["write"]; error="EIO";});'
expect_eq "children = false: cat is unharmed" "payload" "$OUT"
expect_eq "children = false: no LD_PRELOAD for children" "" "$(grep '^LD_PRELOAD=' env.txt)"

# Only the shim's entry goes: another preloaded library stays.
other=$(ls /lib/x86_64-linux-gnu/libpthread.so.0 /usr/lib/x86_64-linux-gnu/libpthread.so.0 \
    /lib64/libpthread.so.0 2>/dev/null | head -n 1)
if [ -n "$other" ]; then
    capture env LD_PRELOAD="$other:$FL_LIB" \
        FAULTLINE_RULES='children=false; rules=({calls=["fsync"]; error="EIO";});' \
        sh -c 'env > env.txt'
    expect_eq "children = false keeps other preloads" "LD_PRELOAD=$other" "$(grep '^LD_PRELOAD=' env.txt)"
fi
