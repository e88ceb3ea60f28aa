#!/usr/bin/env bash
# libfaultline.so exports exactly the libc symbols it wraps (every FL_SYM_* row of lib/calls.def,
# the FL_KEEP rows it wraps for its own bookkeeping, and free) and its own faultline_* API:
# nothing else that could capture a program's calls by accident, nor the linker's own markers
# (_edata, _end, __bss_start: the version script makes them local). Every row of the table must
# really be exported, or that call would silently go unwrapped.
. "$FL_ROOT/tests/integration/lib.sh"
need nm grep sort comm

calls_def="$FL_ROOT/lib/calls.def"
[ -f "$calls_def" ] || fail "$calls_def is missing"

# The table's symbols: the first argument of every FL_SYM_<SHAPE>( and FL_KEEP( row.
grep -oE '^[[:space:]]*FL_(SYM_[A-Z]+|KEEP)\([[:space:]]*[A-Za-z_][A-Za-z0-9_]*' "$calls_def" |
    sed -E 's/.*\([[:space:]]*//' | sort -u >table.txt
n=$(wc -l <table.txt)
expect_ge "symbols in the table" 100 "$n"
{ cat table.txt; echo free; } | sort -u >allowed.txt

nm -D --defined-only "$FL_LIB_FILE" >nm.txt || fail "nm failed on $FL_LIB_FILE"
awk '{print $NF}' nm.txt | sed 's/@.*//' | sort -u >exported.txt

# Exported but not allowed.
extra=$(comm -23 exported.txt allowed.txt | grep -vE '^faultline_[A-Za-z0-9_]+$')
[ -z "$extra" ] || fail "exported but not wrapped libc calls nor faultline_*: $(echo $extra)"

# In the table but not exported.
missing=$(comm -13 exported.txt table.txt)
[ -z "$missing" ] || fail "in lib/calls.def but not exported: $(echo $missing)"

# Exported symbols are code (T), not data.
bad_type=$(awk '$(NF-1) != "T" && $(NF-1) != "W" && $(NF-1) != "i" {print $NF " (" $(NF-1) ")"}' nm.txt)
[ -z "$bad_type" ] || fail "exported symbols that are not functions: $(echo $bad_type)"

# Unversioned: a version tag on an interposed name would change which of libc's versions it
# stands in for.
tagged=$(awk '$NF ~ /@/ {print $NF}' nm.txt)
[ -z "$tagged" ] || fail "exported with a version tag: $(echo $tagged)"

# A few that real programs depend on (PRELOAD.md), in case the table lost them.
for s in malloc calloc realloc free write read __read_chk open64 __open64_2 pread64 \
    fwrite fputs __fprintf_chk __printf_chk connect getaddrinfo fdatasync copy_file_range; do
    grep -qx "$s" exported.txt || fail "$s is not exported"
done
