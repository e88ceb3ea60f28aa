#!/usr/bin/env bash
# The event log and the shim's stderr where a hostile local user, a full disk or a file size
# limit meets them:
#   - a FIFO at the log's path: the shim refuses it at once (exit 2 before main, said once;
#     FAULTLINE_STRICT=0 runs the program), and `faultline run -l FIFO` refuses it before
#     starting anything: nothing blocks;
#   - another user's file (mode 0666) or a second hard link of a file at the log's path: refused
#     the same way, and left untouched; a log the shim creates is private (mode 0600);
#   - RLIMIT_FSIZE (prlimit --fsize=65536): the program runs to its end instead of dying of
#     SIGXFSZ, the log stays within the limit with every line whole and valid, and that the
#     log reached the limit is said once;
#   - a filling filesystem (a 64 KiB tmpfs, in a private mount namespace; root only): every
#     line in the log is whole and valid, even after space comes back and another run appends;
#   - fds 0, 1 and 2 closed at start: the summary and log = "stderr" lines are dropped, never
#     written into the files the program opens as fds 0-2;
#   - with nothing that needs it (no summary, no log = "stderr", no control), the shim holds no
#     copy of stderr: the program sees the same fds as without the shim.
# Everything that could block runs under `timeout`.
. "$FL_ROOT/tests/integration/lib.sh"
need timeout mkfifo
need_prog stress closed_std
python_bin
FL=$(cd "$FL_PROGS/../.." && pwd)/faultline
[ -x "$FL" ] || fail "$FL is not built (make builds it)"
T=10
rules='rules = ( { name = "w"; calls = ["write"]; path = "/dev/null"; error = "EIO"; } );'

# refused NAME LOG WHY: the shim and `faultline run -l` refuse LOG with "LOG: cannot open event
# log: WHY", quickly; with FAULTLINE_STRICT=0 the program runs.
refused() {
    local name=$1 log=$2 said="faultline: $2: cannot open event log: $3"
    FAULTLINE_LOG="$log" capture timeout $T env LD_PRELOAD="$FL_LIB" FAULTLINE_RULES="$rules" \
        sh -c 'echo ran; exit 3'
    [ "$RC" != 124 ] || fail "$name: the shim hung before main"
    expect_status "$name, strict: the program does not start" 2 "$RC"
    expect_eq "$name, strict: said once" "$said" "$ERR"
    FAULTLINE_STRICT=0 FAULTLINE_LOG="$log" capture timeout $T env LD_PRELOAD="$FL_LIB" \
        FAULTLINE_RULES="$rules" sh -c 'echo ran; exit 3'
    expect_status "$name, FAULTLINE_STRICT=0: the program's own status" 3 "$RC"
    expect_eq "$name, FAULTLINE_STRICT=0: its output" ran "$OUT"
    expect_eq "$name, FAULTLINE_STRICT=0: said once" "$said
faultline: FAULTLINE_STRICT=0: running with no faults" "$ERR"
    capture timeout $T "$FL" run -l "$log" -e 'calls = ["fsync"]; error = "EIO"' -- sh -c 'echo ran'
    [ "$RC" != 124 ] || fail "$name: faultline run -l hung"
    expect_status "$name: faultline run -l" 2 "$RC"
    expect_eq "$name: faultline run -l did not start the program" "" "$OUT"
    expect_eq "$name: faultline run -l says why" "$said" "$ERR"
}

# ---- a FIFO ---------------------------------------------------------------------------------
mkfifo fifo.jsonl
refused "a FIFO as log" "$PWD/fifo.jsonl" "it is a FIFO, not a regular file"

# ---- another user's file, a hard link -------------------------------------------------------
if [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1; then
    : >foreign.jsonl
    chown nobody foreign.jsonl && chmod 0666 foreign.jsonl
    refused "another user's file as log" "$PWD/foreign.jsonl" \
        "it belongs to another user (uid $(id -u nobody)), not to you (uid 0) or root: remove it, or log in a directory only you can write"
    expect_eq "another user's file is left untouched" 0 "$(stat -c %s foreign.jsonl)"
else
    note "another user's file: skipped (needs root and user nobody to make one)"
fi
printf 'precious\n' >victim.txt
ln victim.txt linked.jsonl
refused "a second hard link as log" "$PWD/linked.jsonl" \
    "it has 2 hard links (another name for some other file?): remove it, or log in a directory only you can write"
expect_eq "the linked file is untouched" precious "$(cat victim.txt)"

# A log the shim creates is the user's alone; one that is already the user's is appended to.
FAULTLINE_LOG="$PWD/new.jsonl" capture under_shim "$rules" "$FL_PROGS/stress" threads 1 10 w
expect_status "a new log" 0 "$RC"
expect_eq "a new log's mode" 600 "$(stat -c %a new.jsonl)"
FAULTLINE_LOG="$PWD/new.jsonl" capture under_shim "$rules" "$FL_PROGS/stress" threads 1 10 w
expect_eq "an own log is appended to" 22 "$(jsonl check new.jsonl)"

# ---- RLIMIT_FSIZE ----------------------------------------------------------------------------
if command -v prlimit >/dev/null 2>&1; then
    FAULTLINE_LOG="$PWD/limited.jsonl" capture prlimit --fsize=65536 env LD_PRELOAD="$FL_LIB" \
        FAULTLINE_RULES="$rules" "$FL_PROGS/stress" threads 2 3000 w
    [ "$RC" != $((128 + 25)) ] || fail "RLIMIT_FSIZE: the program died of SIGXFSZ"
    expect_status "RLIMIT_FSIZE 64 KiB: the program runs to its end" 0 "$RC"
    expect_eq "RLIMIT_FSIZE: both threads reported" 2 "$(grep -c '^tid .* bad 0 ' "$OUT_FILE")"
    size=$(stat -c %s limited.jsonl)
    [ "$size" -le 65536 ] || fail "RLIMIT_FSIZE: the log is $size bytes, past the limit"
    expect_ge "RLIMIT_FSIZE: the log holds what fits" 60000 "$size"
    jsonl check limited.jsonl >/dev/null || fail "RLIMIT_FSIZE: a line in the log is not whole"
    # said once: the limit seen before a write, or (two threads checking at once) a write cut
    # short by it, whose fragment was taken off
    expect_eq "RLIMIT_FSIZE: said once" 1 "$(printf '%s\n' "$ERR" | wc -l)"
    expect_match "RLIMIT_FSIZE: what was said" "$ERR" \
        "^faultline: cannot write event log $PWD/limited.jsonl: (it reached the file size limit \\(RLIMIT_FSIZE, 65536 bytes\\): lines past it are left out|short write \\(the filesystem is full\\?\\): the cut line was taken off) \\(further failures not reported\\)$"
else
    note "prlimit is missing: RLIMIT_FSIZE not checked"
fi

# ---- a filling filesystem ----------------------------------------------------------------------
# In a private mount namespace (unshare -m), so that the tmpfs never shows outside the test.
# tmpfs fills page by page: the line that crosses into a page it cannot get is written short.
fill_test() {
    cat >fill.sh <<'SH'
set -u
mkdir -p full
mount --make-rprivate / 2>/dev/null
mount -t tmpfs -o size=64k faultline-fill "$PWD/full" || exit 77
rules=$1
head -c 40000 /dev/zero >full/filler
for run in 1 2; do   # 500 lines (100 KB) cannot fit; then 50 can
    FAULTLINE_LOG="$PWD/full/ev.jsonl" LD_PRELOAD="$FL_LIB" FAULTLINE_RULES="$rules" \
        "$FL_PROGS/stress" threads 1 $((run == 1 ? 500 : 50)) w >"out$run.txt" 2>"err$run.txt" ||
        exit 10
    rm -f full/filler   # space comes back: the next run appends after what was left
done
cp full/ev.jsonl ev.jsonl
SH
    capture timeout 60 unshare -m bash fill.sh "$rules"
    [ "$RC" != 77 ] || { note "no tmpfs in a private mount namespace: filling filesystem skipped"; return; }
    expect_status "filling filesystem: both runs" 0 "$RC"
    expect_match "filling filesystem: the first run met a full disk, said once" "$(cat err1.txt)" \
        '^faultline: cannot write event log .*/full/ev.jsonl: (ENOSPC|short write)'
    expect_eq "filling filesystem: said once" 1 "$(wc -l <err1.txt)"
    jsonl check ev.jsonl >/dev/null || fail "filling filesystem: a line in the log is not whole: $(jsonl check ev.jsonl 2>&1 | tail -n 1)"
    expect_eq "filling filesystem: the second run's lines all arrived" 51 \
        "$(awk '/"event":"start"/ { n = 0 } { n++ } END { print n }' ev.jsonl)"
}
if [ "$(id -u)" = 0 ] && command -v unshare >/dev/null 2>&1 && unshare -m true 2>/dev/null; then
    fill_test
else
    # (in a chroot whose root is not a mount point, unshare -m cannot make mounts private)
    note "not root, no unshare, or no private mount namespace here: filling filesystem skipped"
fi

# ---- fds 0, 1 and 2 closed at start ---------------------------------------------------------------
conf='summary = true; log = "stderr"; rules = ( { name = "s"; calls = ["fsync"]; error = "EIO"; } );'
LD_PRELOAD="$FL_LIB" FAULTLINE_RULES="$conf" "$FL_PROGS/closed_std" a.txt b.txt c.txt d.txt \
    0<&- 1>&- 2>&-
expect_status "closed_std with fds 0-2 closed" 0 "$?"
for f in a b c d; do
    expect_eq "$f.txt holds only the program's own line" "$f.txt" "$(cat $f.txt)"
done

# ---- no copy of stderr when nothing needs it -------------------------------------------------------
fds() { ls -l /proc/self/fd | sed -n 's/.* \([0-9][0-9]*\) -> .*/\1/p' | sort -n | tr '\n' ' '; }
bare=$(ls /proc/self/fd | sort -n | tr '\n' ' ')
expect_eq "no rules: the same fds as without the shim" "$bare" \
    "$(LD_PRELOAD="$FL_LIB" FAULTLINE_RULES='rules = ();' ls /proc/self/fd | sort -n | tr '\n' ' ')"
expect_eq "a rule and a log file: the same fds but the log's" "$bare" \
    "$(LD_PRELOAD="$FL_LIB" FAULTLINE_LOG="$PWD/fds.jsonl" FAULTLINE_RULES="$rules" ls -l /proc/self/fd |
        grep -v fds.jsonl | sed -n 's/.* \([0-9][0-9]*\) -> .*/\1/p' | sort -n | tr '\n' ' ')"
held=$(LD_PRELOAD="$FL_LIB" FAULTLINE_RULES="summary = true; $rules" ls /proc/self/fd 2>/dev/null |
    sort -n | tr '\n' ' ')
expect_ne "summary = true: the copy of stderr is held" "$bare" "$held"
