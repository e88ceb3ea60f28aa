#!/usr/bin/env bash
# Reach: faults land in git. git writes a loose object by opening a temporary file
# .git/objects/XX/tmp_obj_* (open64 with O_RDWR|O_CREAT|O_EXCL, mode 0444), write()ing the
# deflated object into it, closing it and link()ing it to its final name.
# - write on "*/.git/objects/*" failing with ENOSPC or EIO: `git commit` dies with its own
#   "fatal: unable to write loose object file: <strerror>" (exit 128); HEAD is unchanged, the
#   index still holds the staged file, no index.lock is left and `git fsck` exits 0.
# - open of the temporary object file failing with ENOSPC: "error: unable to create temporary
#   file: No space left on device" (exit 1), same clean state.
# - With no rules, commits under the shim are the same as bare commits in a twin repository:
#   same output, same hashes, same `git log` — also after the failed attempts above.
. "$FL_ROOT/tests/integration/lib.sh"
need git
python_bin

# Hashes depend only on content, author, committer and dates: fix them all, and keep every
# user or system setting out.
mkdir home
export HOME="$FL_TMP/home" GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null
export GIT_AUTHOR_NAME="Fault Line" GIT_AUTHOR_EMAIL="fl@example.invalid"
export GIT_COMMITTER_NAME="Fault Line" GIT_COMMITTER_EMAIL="fl@example.invalid"
export GIT_AUTHOR_DATE="2026-01-02T03:04:05Z" GIT_COMMITTER_DATE="2026-01-02T03:04:05Z"
unset GIT_DIR GIT_WORK_TREE GIT_INDEX_FILE GIT_OBJECT_DIRECTORY

new_repo() {
    git init -q "$1" || fail "git init $1"
    git -C "$1" symbolic-ref HEAD refs/heads/main
    # No background maintenance or gc spawned by commit.
    git -C "$1" config gc.auto 0
    git -C "$1" config maintenance.auto false
    printf 'first file\n' > "$1/a.txt"
    seq 1 500 > "$1/numbers.txt"
    git -C "$1" add a.txt numbers.txt
}
new_repo bare
new_repo shim

# ---- no rules: identical to bare ---------------------------------------------------------------
capture git -C bare commit -m "first commit"
expect_status "bare git commit" 0 "$RC"
bare_out=$OUT
capture under_shim '' git -C shim commit -m "first commit"
expect_status "git commit under the shim, no rules" 0 "$RC"
expect_eq "git commit output, no rules" "$bare_out" "$OUT"
expect_eq "HEAD, no rules" "$(git -C bare rev-parse HEAD)" "$(git -C shim rev-parse HEAD)"

# ---- a second change, staged the same way in both --------------------------------------------
for r in bare shim; do
    printf 'second file\n' > "$r/b.txt"
    printf 'changed\n' >> "$r/a.txt"
    git -C "$r" add a.txt b.txt
done
head0=$(git -C shim rev-parse HEAD)
index0=$(git -C shim ls-files -s)

# after_failure WHAT: the repository is as it was before the failed commit.
after_failure() {
    expect_eq "$1: HEAD unchanged" "$head0" "$(git -C shim rev-parse HEAD)"
    expect_eq "$1: index unchanged" "$index0" "$(git -C shim ls-files -s)"
    expect_eq "$1: status" "M  a.txt
A  b.txt" "$(git -C shim status --porcelain)"
    [ ! -e shim/.git/index.lock ] || fail "$1: git left .git/index.lock behind"
    capture git -C shim fsck
    expect_status "$1: git fsck" 0 "$RC"
}

# write on the object files: ENOSPC.
rules='rules=({name="objfull"; calls=["write"]; path="*/.git/objects/*"; error="ENOSPC";});'
FAULTLINE_LOG="$PWD/enospc.jsonl" capture under_shim "$rules" git -C shim commit -m "second commit"
expect_status "git commit, write=ENOSPC on objects" 128 "$RC"
expect_eq "git's message, write=ENOSPC" \
    "fatal: unable to write loose object file: No space left on device" "$ERR"
expect_eq "the fault" "objfull	write	error	ENOSPC" \
    "$(jsonl fields --where event=fault enospc.jsonl -- rule call action errno)"
expect_match "the faulted file" "$(jsonl fields --where event=fault enospc.jsonl -- path)" \
    "^$FL_TMP/shim/\.git/objects/[0-9a-f]{2}/tmp_obj_"
after_failure "write=ENOSPC"

# write on the object files: EIO.
rules='rules=({name="objeio"; calls=["write"]; path="*/.git/objects/*"; error="EIO";});'
FAULTLINE_LOG="$PWD/eio.jsonl" capture under_shim "$rules" git -C shim commit -m "second commit"
expect_status "git commit, write=EIO on objects" 128 "$RC"
expect_eq "git's message, write=EIO" \
    "fatal: unable to write loose object file: Input/output error" "$ERR"
expect_ge "EIO faults logged" 1 "$(jsonl count --where event=fault --where rule=objeio eio.jsonl)"
after_failure "write=EIO"

# open of the temporary object file: ENOSPC.
rules='rules=({name="objopen"; calls=["open", "openat"]; path="*/.git/objects/*/tmp_obj_*"; error="ENOSPC";});'
FAULTLINE_LOG="$PWD/open.jsonl" capture under_shim "$rules" git -C shim commit -m "second commit"
expect_status "git commit, open=ENOSPC on objects" 1 "$RC"
expect_contains "git's message, open=ENOSPC" "$ERR" \
    "error: unable to create temporary file: No space left on device"
expect_ge "open faults logged" 1 "$(jsonl count --where event=fault --where rule=objopen open.jsonl)"
after_failure "open=ENOSPC"

# A rule on other files of .git changes nothing for objects: this one never matches.
rules='rules=({name="elsewhere"; calls=["write"]; path="*/.git/no-such-dir/*"; error="EIO";});'
capture git -C bare commit -m "second commit"
expect_status "bare git commit, second" 0 "$RC"
bare_out=$OUT
capture under_shim "$rules" git -C shim commit -m "second commit"
expect_status "git commit under the shim after the failures" 0 "$RC"
expect_eq "git commit output after the failures" "$bare_out" "$OUT"

log_bare=$(git -C bare log --format=raw --stat)
log_shim=$(git -C shim log --format=raw --stat)
expect_eq "git log, shim repository vs bare twin" "$log_bare" "$log_shim"
capture under_shim '' git -C shim log --format=raw --stat
expect_status "git log under the shim" 0 "$RC"
expect_eq "git log under the shim" "$log_bare" "$OUT"
capture git -C shim fsck
expect_status "git fsck at the end" 0 "$RC"
