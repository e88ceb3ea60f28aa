#!/usr/bin/env bash
# The class @fs (rename link symlink unlink mkdir rmdir ftruncate truncate fallocate
# posix_fallocate ficlone) as fault targets: each of its calls fails with the rule's errno and
# changes nothing, the calls outside it (open, write) go on; ficlone is ioctl(FICLONE) and
# ioctl(FICLONERANGE), and every other ioctl passes untouched. Real programs: cp --reflink
# (ficlone), git (rename of its index), truncate -s (ftruncate).
. "$FL_ROOT/tests/integration/lib.sh"
need_prog calls_probe
need cp git truncate
P="$FL_PROGS/calls_probe"
D=$PWD
LOG=$D/events.jsonl

fresh() { rm -rf w "$LOG" && mkdir -p w/d && echo data > w/a; }

# Every call of the class, through calls_probe, under one rule on @fs.
# op args... | errno | what must still be true afterwards
while IFS='|' read -r args err check; do
    fresh
    capture under_shim "rules=({calls=[\"@fs\"]; error=\"$err\"; path=\"*/w/*\";});" "$P" $args
    op=${args%% *}
    if [ "$op" = posix_fallocate ]; then # returns the error number, errno untouched
        expect_eq "$args under a rule on @fs" "$op 30 errno=-" "$OUT"
    else
        expect_eq "$args under a rule on @fs" "$op -1 errno=$err" "$OUT"
    fi
    (cd "$D" && eval "$check") || fail "$args: after the failure, not true: $check"
done <<'TABLE'
rename w/a w/b|EROFS|[ -f w/a ] && [ ! -e w/b ]
link w/a w/l|EROFS|[ ! -e w/l ]
symlink a w/s|EROFS|[ ! -L w/s ]
unlink w/a|EROFS|[ -f w/a ]
mkdir w/n|EROFS|[ ! -e w/n ]
rmdir w/d|EROFS|[ -d w/d ]
truncate w/a 0|EROFS|[ "$(cat w/a)" = data ]
ftruncate w/a 0|EROFS|[ "$(cat w/a)" = data ]
fallocate w/a 65536|EROFS|[ "$(stat -c %s w/a)" = 5 ]
posix_fallocate w/a 65536|EROFS|[ "$(stat -c %s w/a)" = 5 ]
TABLE

# Opening and writing are not in @fs: a copy through open, read and write goes on.
fresh
capture under_shim 'rules=({calls=["@fs"]; error="EROFS"; path="*/w/*";});' \
    sh -c 'cat w/a > w/copy'
expect_status "cat into a file under a rule on @fs" 0 "$RC"
expect_eq "the copy" data "$(cat w/copy)"

# ficlone: cp --reflink=always clones with ioctl(FICLONE). Whether this file system could
# clone or not, the rule's error is what cp reports, and the event log shows the wrapper saw
# the call as ficlone, made through ioctl.
fresh
capture env FAULTLINE_LOG="$LOG" LD_PRELOAD="$FL_LIB" \
    FAULTLINE_RULES='rules=({name="clone"; calls=["@fs"]; error="EMLINK";});' \
    cp --reflink=always w/a w/b
expect_status "cp --reflink=always under an error on ficlone" 1 "$RC"
expect_contains "cp says the rule's error" "$ERR" "Too many links"
expect_match "the fault line" "$(cat "$LOG")" \
    '"rule":"clone","call":"ficlone","symbol":"ioctl",.*"path":"[^"]*/w/b","action":"error",.*"errno":"EMLINK"'
# Without a rule on ficlone the clone is the file system's business: it works, or fails with
# its own error, never the rule's.
capture under_shim 'rules=({calls=["unlink"]; error="EMLINK";});' cp --reflink=always w/a w/c
expect_not_contains "cp without a rule on ficlone" "$ERR" "Too many links"
# cp's default (--reflink=auto) tries a clone first and copies when it fails.
rm -f "$LOG"
capture env FAULTLINE_LOG="$LOG" LD_PRELOAD="$FL_LIB" \
    FAULTLINE_RULES='rules=({name="clone"; calls=["ficlone"]; error="EMLINK";});' cp w/a w/d/e
expect_status "cp (reflink=auto) under an error on ficlone" 0 "$RC"
expect_eq "cp copied instead" data "$(cat w/d/e)"
expect_match "cp tried the clone first" "$(cat "$LOG")" '"call":"ficlone"'

# Every other ioctl passes untouched under a rule on ficlone: FIONREAD on a pipe, TCGETS on a
# file (ENOTTY, errno as the kernel says).
python_bin
capture under_shim 'rules=({calls=["ficlone"]; error="EMLINK";});' "$PYTHON" -c '
import array, errno, fcntl, os, termios
r, w = os.pipe()
os.write(w, b"12345")
n = array.array("i", [0])
fcntl.ioctl(r, termios.FIONREAD, n, True)
fd = os.open("w/a", os.O_RDONLY)
try:
    fcntl.ioctl(fd, termios.TCGETS, bytes(64))
    print(n[0], "tty?")
except OSError as e:
    print(n[0], errno.errorcode[e.errno])'
expect_eq "FIONREAD and TCGETS under a rule on ficlone" "5 ENOTTY" "$OUT"

# git writes its index to index.lock and renames it into place: an error on that rename fails
# the command cleanly (its message, exit status 128, the lock file taken away), and the
# repository works afterwards.
fresh
git init -q repo || fail "git init"
echo hello > repo/f
capture under_shim 'rules=({calls=["@fs"]; error="EIO"; path="*/.git/index";});' \
    git -C repo add f
expect_status "git add under an error on renaming its index" 128 "$RC"
expect_contains "git says why" "$ERR" "index"
[ ! -e repo/.git/index.lock ] || fail "git left its index.lock behind"
[ ! -e repo/.git/index ] || fail "the index was written anyway"
git -C repo add f || fail "git add without the rule"
expect_eq "the repository works afterwards" "A  f" "$(git -C repo status --short)"

# truncate -s changes the size with ftruncate: EIO from a rule on @fs, the bytes stay.
fresh
capture under_shim 'rules=({calls=["@fs"]; error="EIO"; path="*/w/a";});' truncate -s 0 w/a
expect_status "truncate -s under an error on @fs" 1 "$RC"
expect_contains "truncate says why" "$ERR" "Input/output error"
expect_eq "the file kept its bytes" data "$(cat w/a)"
