#!/usr/bin/env bash
# Call classes cover exactly the calls DESIGN.md lists: errno_probe makes a known set of calls;
# a 1 ns delay rule on one class fires on every call of that class the probe makes and on no
# other (the log's "call" names, as a set), and the probe's results do not change.
. "$FL_ROOT/tests/integration/lib.sh"
need_prog errno_probe
python_bin
P="$FL_PROGS/errno_probe"

capture "$P"
expect_status "errno_probe without the shim" 0 "$RC"
cp "$OUT_FILE" plain.txt

# class: the calls of the class that errno_probe makes (printf is fprintf; libc's own
# allocations inside fopen, getaddrinfo... reach malloc/calloc/realloc).
while read -r class want; do
    if [ -n "${FL_PRELOAD_FIRST:-}" ]; then # a sanitizer runtime takes the allocators
        [ "$class" = @mem ] && continue
        want=$(tr ' ' '\n' <<<"$want" | grep -vxE 'calloc|malloc|posix_memalign|realloc' | tr '\n' ' ')
        want=${want% }
    fi
    rm -f ev.jsonl
    FAULTLINE_LOG="$PWD/ev.jsonl" capture under_shim \
        "rules=({name=\"c\"; calls=[\"$class\"]; delay=\"1ns\";});" "$P"
    expect_status "errno_probe, $class delayed" 0 "$RC"
    expect_same_file "errno_probe's results, $class delayed" plain.txt "$OUT_FILE"
    got=$(jsonl fields --where event=fault ev.jsonl -- call | sort -u | tr '\n' ' ')
    expect_eq "calls hit by $class" "$want" "${got% }"
done <<'CLASSES'
@file close fclose fopen open openat unlink
@read fgets fread pread read recv
@write fflush fprintf fputs fwrite pwrite send write
@net accept bind connect getaddrinfo listen recv send shutdown socket
@dns getaddrinfo
@sync fdatasync fsync
@wait poll select
@mem calloc malloc posix_memalign realloc
@all accept bind calloc close connect fclose fdatasync fflush fgets fopen fprintf fputs fread fsync fwrite getaddrinfo listen malloc open openat poll posix_memalign pread pwrite read realloc recv select send shutdown socket unlink write
CLASSES

# A class and a call of it in one rule count each call once (the probe calls fsync, fdatasync,
# then fsync on a bad fd).
rm -f ev.jsonl
FAULTLINE_LOG="$PWD/ev.jsonl" capture under_shim \
    'rules=({name="c"; calls=["@sync", "fsync"]; delay="1ns";});' "$P"
expect_eq "fsync once per call with calls = [@sync, fsync]" "fsync
fdatasync
fsync" "$(jsonl fields --where event=fault ev.jsonl -- call)"
