#!/usr/bin/env bash
# The shim reaches its libconfig privately; the host's names never meet it:
#  (a) a host that exports config_init, config_read, config_destroy, ... of its own (as lighttpd
#      does) runs normally under the shim with a config file and inline rules, its own
#      functions are never called from outside, and the rules act (a write fails with ENOSPC,
#      and the event log says so);
#  (b) a process with no FAULTLINE_CONFIG or FAULTLINE_RULES never maps libconfig, and
#      libfaultline.so does not depend on it; with a config, it is mapped;
#  (c) a host with its own malloc (jemalloc preloaded before the shim) reads a config: libconfig
#      never frees with one allocator what the other allocated;
#  (d) when libconfig cannot be loaded, a clear message says which library and what to
#      install; strict: exit 2 before main; FAULTLINE_STRICT=0: the program runs with no faults.
. "$FL_ROOT/tests/integration/lib.sh"
need_prog own_config
need cat grep
P="$FL_PROGS/own_config"

# ---- (a) a host exporting libconfig's names ------------------------------------------------
cat > rules.cfg <<CFG
rules = ( { name = "full"; calls = [ "write" ]; path = "*/out.txt"; error = "ENOSPC"; } );
CFG
capture env LD_PRELOAD="$FL_LIB" FAULTLINE_CONFIG="$PWD/rules.cfg" FAULTLINE_LOG="$PWD/a.jsonl" \
    FAULTLINE_RULES='rules=({name="inline"; calls=["write"]; path="*/other.txt"; error="EIO";});' \
    "$P" out.txt
expect_eq "stderr (the host's functions are never called from outside)" "" "$ERR"
expect_status "exit status" 0 "$RC"
expect_eq "stdout" "write ENOSPC
own config_init
own config_destroy" "$OUT"
expect_eq "the fault in the event log" "full	write	ENOSPC" \
    "$(jsonl fields --where event=fault a.jsonl -- rule call errno)"
expect_eq "rules loaded (file and inline)" 2 "$(jsonl fields --where event=start a.jsonl -- rules)"

capture env LD_PRELOAD="$FL_LIB" FAULTLINE_RULES='rules=();' "$P" out.txt
expect_status "empty rules: exit status" 0 "$RC"
expect_eq "empty rules: stdout" "write ok
own config_init
own config_destroy" "$OUT"

# ---- (b) libconfig is loaded only to read a config -----------------------------------------
if [ -z "${FL_PRELOAD_FIRST:-}" ]; then
    deps=$(ldd "$FL_LIB_FILE") || fail "ldd $FL_LIB_FILE failed"
    expect_not_contains "libfaultline.so's dependencies" "$deps" libconfig.so
fi
capture env LD_PRELOAD="$FL_LIB" cat /proc/self/maps
expect_status "no config: cat's exit status" 0 "$RC"
expect_not_contains "no config: cat's mappings" "$OUT" /libconfig.so
capture env LD_PRELOAD="$FL_LIB" FAULTLINE_RULES='rules=();' cat /proc/self/maps
expect_contains "with a config: cat's mappings" "$OUT" /libconfig.so

# ---- (c) a host with its own allocator -----------------------------------------------------
jemalloc=$(ls /usr/lib/*/libjemalloc.so.2 /usr/lib/libjemalloc.so.2 2>/dev/null | head -n 1)
if [ -n "${FL_PRELOAD_FIRST:-}" ]; then
    note "(c) skipped: a sanitizer runtime owns malloc"
elif [ -z "$jemalloc" ]; then
    note "(c) skipped: libjemalloc.so.2 is not installed (redis-server brings it)"
else
    capture env LD_PRELOAD="$jemalloc $FL_LIB" FAULTLINE_CONFIG="$PWD/rules.cfg" "$P" out.txt
    expect_eq "jemalloc host: stderr" "" "$ERR"
    expect_status "jemalloc host: exit status" 0 "$RC"
    expect_contains "jemalloc host: stdout" "$OUT" "write ENOSPC"
fi

# ---- (d) libconfig cannot be loaded --------------------------------------------------------
soname=$(grep -ao 'libconfig\.so\.[0-9]*' "$FL_LIB_FILE" | head -n 1)
[ -n "$soname" ] || fail "no libconfig soname in $FL_LIB_FILE"
mkdir broken
: > "broken/$soname"   # not an ELF object: dlmopen fails ("file too short")
capture env LD_PRELOAD="$FL_LIB" LD_LIBRARY_PATH="$PWD/broken" FAULTLINE_CONFIG="$PWD/rules.cfg" \
    "$P" out.txt
expect_status "libconfig unloadable, strict: exit status" 2 "$RC"
expect_eq "libconfig unloadable, strict: stdout (main must not run)" "" "$OUT"
expect_match "libconfig unloadable: message" "$ERR" \
    "^faultline: $PWD/rules.cfg: cannot load $soname, which reads the config: .*; install libconfig[0-9]+$"
capture env LD_PRELOAD="$FL_LIB" LD_LIBRARY_PATH="$PWD/broken" FAULTLINE_CONFIG="$PWD/rules.cfg" \
    FAULTLINE_STRICT=0 "$P" out.txt
expect_status "libconfig unloadable, FAULTLINE_STRICT=0: exit status" 0 "$RC"
expect_contains "libconfig unloadable, FAULTLINE_STRICT=0: no faults" "$OUT" "write ok"
expect_contains "libconfig unloadable, FAULTLINE_STRICT=0: warning" "$ERR" \
    "FAULTLINE_STRICT=0: running with no faults"
