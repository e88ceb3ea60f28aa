#!/usr/bin/env bash
# Security:
# - AT_SECURE: in a set-user-ID program the shim stays inert whatever the environment says (it
#   checks AT_SECURE at start and reads its variables with secure_getenv; either is enough, the
#   test holds the outcome). The library is loaded there through the program's own DT_NEEDED
#   (ld.so ignores LD_PRELOAD paths in secure mode): the same program faults when run plainly,
#   and in its set-user-ID copy (run by root, owned by nobody) its write still comes from the
#   shim but nothing is injected, no log is created (where nobody could create one) and nothing
#   is said;
# - the shim's fds (event log, control socket, copy of stderr) are close-on-exec, and the config
#   file is closed once read: a program that execs keeps none of them (children = false), and
#   an exec'd program under the shim has one log fd, its own (children = true);
# - the event log is not opened through a symbolic link planted at its path: the target is left
#   untouched (or not created), and the refusal is said once on stderr.
# (A control socket refusing other users is tested in t_control.sh.)
. "$FL_ROOT/tests/integration/lib.sh"
need_prog stress
python_bin
wrule='rules = ( { name = "w"; calls = ["write"]; path = "/dev/null"; error = "EIO"; } );'

# ---- AT_SECURE ------------------------------------------------------------------------------
secure_check() {
    [ -n "${FL_PRELOAD_FIRST:-}" ] && { note "AT_SECURE: skipped under a sanitizer runtime (it would not come first)"; return; }
    [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1 || { note "AT_SECURE: skipped (needs root and user nobody)"; return; }
    command -v cc >/dev/null 2>&1 || { note "AT_SECURE: skipped (no C compiler)"; return; }
    setpriv --reuid=nobody --regid=nogroup --clear-groups test -r "$FL_LIB_FILE" ||
        { note "AT_SECURE: skipped ($FL_LIB_FILE is not readable by nobody)"; return; }
    cc -std=gnu11 -O2 -o linked "$FL_ROOT/tests/programs/stress.c" "$FL_LIB_FILE" -lpthread ||
        fail "cannot link the probe against the shim"
    FAULTLINE_RULES="$wrule" capture ./linked probe
    expect_status "linked probe" 0 "$RC"
    expect_eq "linked probe: the shim acts" "secure 0
write from libfaultline.so
write EIO" "$OUT"
    cp linked suid-probe
    chown nobody suid-probe && chmod 4755 suid-probe
    mkdir -m 1777 pub
    chmod 0711 "$PWD" # nobody may reach pub/: only the shim's own check keeps the log away
    FAULTLINE_RULES="$wrule" FAULTLINE_LOG="$PWD/pub/ev.jsonl" capture ./suid-probe probe
    expect_status "set-user-ID probe" 0 "$RC"
    case $OUT in "secure 0"*) note "AT_SECURE: skipped ($PWD is on a nosuid mount)"; return ;; esac
    expect_eq "set-user-ID probe: the shim is loaded and injects nothing" "secure 1
write from libfaultline.so
write ok" "$OUT"
    expect_eq "set-user-ID probe: nothing said" "" "$ERR"
    expect_eq "set-user-ID probe: no log" "" "$(ls pub)"
}
secure_check

# ---- close-on-exec ----------------------------------------------------------------------------
export XDG_RUNTIME_DIR="$PWD/run"
mkdir -m 0700 run
printf 'control = true;\n%s\n' "$wrule" >sec.conf
# sh lists its own fds with their flags, then execs ls to list what the next program holds.
list='for f in /proc/$$/fd/*; do
    n=${f##*/}
    printf "%s %s %s\n" "$n" "$(awk "/^flags:/ { print \$2 }" /proc/$$/fdinfo/$n)" "$(readlink "$f")"
done >before.txt
exec ls -l /proc/self/fd >after.txt'
fds() { sed -n 's/.* \([0-9][0-9]*\) -> \(.*\)$/\1 \2/p' "$1"; }

FAULTLINE_CONFIG="$PWD/sec.conf" FAULTLINE_LOG="$PWD/ev.jsonl" \
    capture under_shim "children = false;" sh -c "$list"
expect_status "sh, children = false" 0 "$RC"
expect_eq "sh, children = false: stderr" "" "$ERR"
expect_eq "sh has the log open once" 1 "$(grep -c " $PWD/ev.jsonl\$" before.txt)"
expect_ge "sh has the control socket open" 1 "$(grep -c ' socket:' before.txt)"
expect_ge "sh has the copy of stderr open" 1 "$(grep -c " $ERR_FILE\$" before.txt)"
expect_eq "the config is not left open" "" "$(grep " $PWD/sec.conf\$" before.txt)"
while read -r fd flags target; do
    case $target in
    "$PWD/ev.jsonl" | socket:* | "$ERR_FILE") [ "$fd" -ge 3 ] || continue ;;
    *) continue ;;
    esac
    [ $((0$flags & 02000000)) != 0 ] || fail "the shim's fd $fd ($target) is not close-on-exec: flags $flags"
done <before.txt
fds after.txt | sed 's|^\([0-9]*\) /proc/[0-9]*/|\1 /proc/PID/|' | sort >after-shim.txt
# The same without the shim: what the exec'd program holds must not differ.
capture sh -c "$list"
expect_status "sh without the shim" 0 "$RC"
fds after.txt | sed 's|^\([0-9]*\) /proc/[0-9]*/|\1 /proc/PID/|' | sort >after-plain.txt
expect_same_file "fds of the exec'd program, with the shim and without" after-plain.txt after-shim.txt

FAULTLINE_CONFIG="$PWD/sec.conf" FAULTLINE_LOG="$PWD/ev.jsonl" \
    capture under_shim "children = true;" sh -c "$list"
expect_status "sh, children = true" 0 "$RC"
expect_eq "the exec'd program under the shim has one log fd, its own" 1 \
    "$(fds after.txt | grep -c " $PWD/ev.jsonl\$")"
expect_eq "... and one control socket, its own" 1 "$(fds after.txt | grep -c ' socket:')"

# The open flags themselves, seen by strace where tracing is allowed.
if command -v strace >/dev/null 2>&1 &&
    strace -qq -f -e trace=open,openat -o trace.txt -E LD_PRELOAD="$FL_LIB" \
        -E FAULTLINE_CONFIG="$PWD/sec.conf" -E FAULTLINE_LOG="$PWD/ev.jsonl" true 2>strace.err; then
    expect_match "the config is opened close-on-exec" "$(grep "\"$PWD/sec.conf\"" trace.txt)" 'O_CLOEXEC'
    expect_match "the log is opened close-on-exec, not through a link" \
        "$(grep "\"$PWD/ev.jsonl\"" trace.txt)" 'O_NOFOLLOW.*O_CLOEXEC|O_CLOEXEC.*O_NOFOLLOW'
else
    note "strace cannot trace here ($(head -c 200 strace.err 2>/dev/null)): open flags not checked"
fi

# ---- no symbolic link at the log's path -------------------------------------------------------
printf 'precious\n' >victim.txt
ln -s victim.txt planted.jsonl
ln -s nowhere.txt dangling.jsonl
for log in planted dangling; do
    said="faultline: $PWD/$log.jsonl: cannot open event log: it is a symbolic link (not followed)"
    FAULTLINE_LOG="$PWD/$log.jsonl" capture under_shim "$wrule" sh -c 'echo out; exit 3'
    expect_status "$log link, strict: the program does not start" 2 "$RC"
    expect_eq "$log link, strict: said once" "$said" "$ERR"
    FAULTLINE_STRICT=0 FAULTLINE_LOG="$PWD/$log.jsonl" capture under_shim "$wrule" sh -c 'echo out; exit 3'
    expect_status "$log link, FAULTLINE_STRICT=0: the program's own status" 3 "$RC"
    expect_eq "$log link, FAULTLINE_STRICT=0: its output" out "$OUT"
    expect_eq "$log link, FAULTLINE_STRICT=0: said once" "$said
faultline: FAULTLINE_STRICT=0: running with no faults" "$ERR"
done
expect_eq "the link's target is untouched" precious "$(cat victim.txt)"
expect_eq "a dangling link's target is not created" no "$([ -e nowhere.txt ] && echo yes || echo no)"
expect_eq "the links are still links" "planted.jsonl dangling.jsonl" \
    "$([ -L planted.jsonl ] && printf 'planted.jsonl '; [ -L dangling.jsonl ] && printf dangling.jsonl)"
