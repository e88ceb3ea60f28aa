#!/usr/bin/env bash
# Limits:
# - a file dup2'd to a very high fd (999000 with `ulimit -n` 1000000; without the privilege to
#   raise the hard limit, the highest fd it allows): a path rule still fires on writes to it,
#   and the fault line names the file's path and that fd;
# - a file whose absolute path is PATH_MAX - 1 bytes, opened by its absolute path, relative to
#   a deep working directory, and with openat relative to a deep directory fd: path rules on
#   open and on write fire, and the log names the whole path; a file deeper than PATH_MAX (its
#   path cannot be known) is opened and written without a crash;
# - the event log on a full device (/dev/full) and on a full filesystem (a 64 KiB tmpfs, root
#   only): the program runs to its end with its own output and status, faults are still
#   injected, and the failure to log is said once on stderr, for all the processes together;
# - the event log on a read-only filesystem (root only): the log cannot be opened, which is
#   said once; strict (the default) the program does not start (status 2), with
#   FAULTLINE_STRICT=0 it runs unharmed with its own output and status.
. "$FL_ROOT/tests/integration/lib.sh"
need_prog opener stress
python_bin
O="$FL_PROGS/opener"

# ---- a high fd -----------------------------------------------------------------------------
want=999000
if (ulimit -n 1000000) 2>/dev/null; then
    ulimit -n 1000000
    high=$want
else
    hard=$(ulimit -Hn)
    [ "$hard" = unlimited ] && hard=1048576
    ulimit -n "$hard"
    high=$((hard - 1))
    note "the hard limit on open files ($hard) cannot be raised: fd $high instead of $want"
fi
if [ "${FL_VALGRIND:-}" = 1 ]; then
    high=$((high - 20)) # valgrind keeps the top fds for itself
fi
if [ "$high" -ge 4096 ]; then
    rules='rules = ( { name = "hi"; calls = ["write"]; path = "*/high.dat"; error = "EIO"; } );'
    FAULTLINE_LOG="$PWD/high.jsonl" capture under_shim "$rules" "$O" -d $high high.dat
    expect_status "opener -d $high" 0 "$RC"
    expect_eq "the write on fd $high faulted" "open ok
dup2 ok $high
write EIO" "$OUT"
    expect_eq "the fault line names the path and the fd" "$high	$PWD/high.dat	EIO" \
        "$(jsonl fields --where event=fault --where rule=hi high.jsonl -- fd path errno)"
else
    note "fds limited to $high: no high-fd check (skipped)"
fi
ulimit -n 1024

# ---- paths of PATH_MAX - 1 bytes -------------------------------------------------------------
path_max=$(getconf PATH_MAX /) || path_max=4096
# $PWD/d{200}/d{200}/.../NAME.dat, NAME padded so that the whole is path_max - 1 bytes.
d200=$(printf 'd%.0s' $(seq 200))
rel= rem=$((path_max - 1 - ${#PWD} - 1))
while [ $rem -gt 255 ]; do
    rel="$rel$d200/"
    rem=$((rem - 201))
done
name=$(printf 'f%.0s' $(seq $((rem - 4)))).dat
deep="$PWD/${rel%/}"
abs="$deep/$name"
expect_eq "the long path's length" $((path_max - 1)) "${#abs}"
# mkdir -p in pieces: no single argument comes near PATH_MAX.
(
    IFS=/
    for c in ${rel%/}; do mkdir "$c" && cd "$c" || exit 1; done
) || fail "cannot build the deep directories"

rules_w='rules = ( { name = "w"; calls = ["write"]; path = "*.dat"; error = "EIO"; } );'
rules_o='rules = ( { name = "o"; calls = ["open", "openat"]; path = "*.dat"; error = "EACCES"; } );'
n=0
for how in abs cwd at; do
    case $how in
    abs) args=("$abs") ;;
    cwd) args=(-c "$deep" "$name") ;;
    at) args=(-a "$deep" "$name") ;;
    esac
    n=$((n + 1))
    FAULTLINE_LOG="$PWD/long-w$n.jsonl" capture under_shim "$rules_w" "$O" "${args[@]}"
    expect_status "long path ($how), write rule" 0 "$RC"
    expect_eq "long path ($how): the write faulted" "open ok
write EIO" "$OUT"
    expect_eq "long path ($how): the fault names the whole path" "w	$abs" \
        "$(jsonl fields --where event=fault long-w$n.jsonl -- rule path)"
    rm -f "$abs"
    FAULTLINE_LOG="$PWD/long-o$n.jsonl" capture under_shim "$rules_o" "$O" "${args[@]}"
    expect_status "long path ($how), open rule" 0 "$RC"
    expect_eq "long path ($how): the open faulted" "open EACCES" "$OUT"
    expect_eq "long path ($how): the open's fault names the whole path" "o	$abs" \
        "$(jsonl fields --where event=fault long-o$n.jsonl -- rule path)"
done
# Deeper than PATH_MAX: the path cannot be known, so no path rule can match; nothing breaks.
(cd "$deep" && mkdir "$d200") || fail "cannot build the deeper directory"
FAULTLINE_LOG="$PWD/deeper.jsonl" capture under_shim "$rules_w" "$O" -c "$deep" "$d200/$name"
expect_status "deeper than PATH_MAX" 0 "$RC"
expect_match "deeper than PATH_MAX: opened and written" "$(echo $OUT)" '^open ok write (ok|EIO)$'
expect_eq "deeper than PATH_MAX: the log" "$(wc -l <deeper.jsonl)" "$(jsonl check deeper.jsonl)"

# ---- a log that cannot be written ------------------------------------------------------------
# Several processes (a parent and 3 forked children) meet write faults the log cannot hold.
rules='rules = ( { name = "w"; calls = ["write"]; path = "/dev/null"; error = "EIO"; probability = 0.1; } );'
full_log_run() { # full_log_run LOG: stress fork under $rules, logging to LOG
    FAULTLINE_SEED=3 FAULTLINE_LOG="$1" capture under_shim "$rules" "$FL_PROGS/stress" fork 3 2000 w
    expect_status "stress fork, log $1" 0 "$RC"
    expect_eq "stress fork, log $1: every process reported" 4 "$(grep -c '^pid .* bad 0 made ' "$OUT_FILE")"
    expect_ge "stress fork, log $1: faults were injected" 20 "$(awk '{ n += $6 } END { print n }' "$OUT_FILE")"
    expect_eq "stress fork, log $1: said once" \
        "faultline: cannot write event log $1: ENOSPC (further failures not reported)" "$ERR"
}
full_log_run /dev/full

# Another program's own status and output come through.
FAULTLINE_LOG=/dev/full capture under_shim "$rules" sh -c 'echo out; echo err >&2; exit 3'
expect_status "sh, log on /dev/full" 3 "$RC"
expect_eq "sh, log on /dev/full: its output" out "$OUT"
expect_eq "sh, log on /dev/full: its stderr and the failure once" "err
faultline: cannot write event log /dev/full: ENOSPC (further failures not reported)" "$(sort "$ERR_FILE")"

if [ "$(id -u)" != 0 ]; then
    note "not root: no tmpfs for the full and read-only filesystems (skipped)"
    exit 0
fi
mkdir full ro
if ! mount -t tmpfs -o size=64k faultline-full "$PWD/full" 2>mount.err; then
    note "mount not permitted ($(cat mount.err)): full and read-only filesystems skipped"
    exit 0
fi
at_exit "umount '$PWD/full'"
dd if=/dev/zero of=full/fill bs=4k 2>/dev/null
expect_eq "the tmpfs is full" 0 "$(df --output=avail "$PWD/full" | tail -n 1 | tr -d ' ')"
full_log_run "$PWD/full/ev.jsonl"

mount -t tmpfs -o size=64k faultline-ro "$PWD/ro" || fail "cannot mount a second tmpfs"
at_exit "umount '$PWD/ro'"
: >ro/ev.jsonl
mount -o remount,ro "$PWD/ro" || fail "cannot remount the tmpfs read-only"
said="faultline: $PWD/ro/ev.jsonl: cannot open event log: Read-only file system"
FAULTLINE_LOG="$PWD/ro/ev.jsonl" capture under_shim "$rules" sh -c 'echo out; exit 3'
expect_status "read-only log, strict: the program does not start" 2 "$RC"
expect_eq "read-only log, strict: no output" "" "$OUT"
expect_eq "read-only log, strict: said once" "$said" "$ERR"
FAULTLINE_STRICT=0 FAULTLINE_LOG="$PWD/ro/ev.jsonl" capture under_shim "$rules" sh -c 'echo out; exit 3'
expect_status "read-only log, FAULTLINE_STRICT=0: its own status" 3 "$RC"
expect_eq "read-only log, FAULTLINE_STRICT=0: its own output" out "$OUT"
expect_eq "read-only log, FAULTLINE_STRICT=0: said once" "$said
faultline: FAULTLINE_STRICT=0: running with no faults" "$ERR"
