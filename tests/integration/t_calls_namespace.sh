#!/usr/bin/env bash
# The namespace calls (rename link symlink unlink mkdir rmdir, each with its *at forms) and the
# calls that size a file (truncate ftruncate fallocate posix_fallocate) fail with -1 and the
# rule's errno (posix_fallocate returns the error, errno untouched) and change nothing. `path`
# matches the name acted on: for rename, link and symlink the new name; for the *at forms
# resolved against their directory fd. Real programs: mv, rm, mkdir, rmdir, ln, truncate.
. "$FL_ROOT/tests/integration/lib.sh"
need_prog calls_probe
P="$FL_PROGS/calls_probe"
D=$PWD

fresh() { rm -rf w && mkdir -p w/d && echo data > w/a; }

# op args... | rule's call | path glob | errno | what must still be true afterwards
while IFS='|' read -r args call glob err check; do
    fresh
    capture under_shim "rules=({calls=[\"$call\"]; error=\"$err\"; path=\"$glob\";});" "$P" $args
    op=${args%% *}
    expect_eq "$args under a rule on $call" "$op -1 errno=$err" "$OUT"
    (cd "$D" && eval "$check") || fail "$args: after the failure, not true: $check"
    fresh
    capture under_shim "rules=({calls=[\"$call\"]; error=\"$err\"; path=\"*/elsewhere\";});" "$P" $args
    expect_eq "$args when the path does not match" "$op 0 errno=-" "$OUT"
done <<'TABLE'
rename w/a w/b|rename|*/w/b|EACCES|[ -f w/a ] && [ ! -e w/b ]
renameat w/d w/a b|rename|/*/w/d/b|EXDEV|[ -f w/a ] && [ ! -e w/d/b ]
renameat2 w/d w/a b|rename|*/w/d/b|EXDEV|[ -f w/a ] && [ ! -e w/d/b ]
link w/a w/l|link|*/w/l|EMLINK|[ ! -e w/l ]
linkat w/d w/a l|link|*/w/d/l|EMLINK|[ ! -e w/d/l ]
symlink a w/s|symlink|*/w/s|ENOSPC|[ ! -L w/s ]
symlinkat w/d a s|symlink|*/w/d/s|ENOSPC|[ ! -L w/d/s ]
unlink w/a|unlink|*/w/a|EPERM|[ -f w/a ]
unlinkat w a|unlink|*/w/a|EBUSY|[ -f w/a ]
rmdirat w d|unlink|*/w/d|EBUSY|[ -d w/d ]
rmdir w/d|rmdir|*/w/d|EBUSY|[ -d w/d ]
mkdir w/n|mkdir|*/w/n|ENOSPC|[ ! -e w/n ]
mkdirat w/d n|mkdir|*/w/d/n|EROFS|[ ! -e w/d/n ]
truncate w/a 0|truncate|*/w/a|EFBIG|[ "$(cat w/a)" = data ]
ftruncate w/a 0|ftruncate|*/w/a|EIO|[ "$(cat w/a)" = data ]
fallocate w/a 65536|fallocate|*/w/a|ENOSPC|[ "$(stat -c %s w/a)" = 5 ]
TABLE

# rename is matched on the new name, not the old one
fresh
capture under_shim 'rules=({calls=["rename"]; error="EACCES"; path="*/w/a";});' "$P" rename w/a w/b
expect_eq "rename from a name the rule matches, to one it does not" "rename 0 errno=-" "$OUT"

# posix_fallocate returns the error number and leaves errno alone
fresh
capture under_shim 'rules=({calls=["posix_fallocate"]; error="ENOSPC"; path="*/w/a";});' \
    "$P" posix_fallocate w/a 65536
expect_eq "posix_fallocate returns ENOSPC (28), errno untouched" "posix_fallocate 28 errno=-" "$OUT"
expect_eq "and allocated nothing" 5 "$(stat -c %s w/a)"

# @file covers the namespace calls; @write the calls that size a file
fresh
capture under_shim 'rules=({calls=["@file"]; error="EACCES"; path="*/w/b";});' "$P" rename w/a w/b
expect_eq "@file covers rename" "rename -1 errno=EACCES" "$OUT"
capture under_shim 'rules=({calls=["@write"]; error="EIO"; path="*/w/a";});' "$P" ftruncate w/a 0
expect_eq "@write covers ftruncate" "ftruncate -1 errno=EIO" "$OUT"

# delay
start=$(now_ms)
capture under_shim 'rules=({calls=["unlink"]; delay="300ms";});' "$P" unlink w/a
expect_eq "unlink delayed, then done" "unlink 0 errno=-" "$OUT"
expect_ge "the delay was slept" 300 $(($(now_ms) - start))
[ ! -e w/a ] || fail "the delayed unlink did not unlink"

# Real programs.
fresh
capture under_shim 'rules=({calls=["rename"]; error="EACCES"; path="*/w/b";});' mv w/a w/b
expect_status "mv onto a name the rule covers" 1 "$RC"
expect_contains "mv says why" "$ERR" "Permission denied"
[ -f w/a ] && [ ! -e w/b ] || fail "mv moved the file anyway"
capture under_shim 'rules=({calls=["unlink"]; error="EBUSY"; path="*/w/a";});' rm w/a
expect_status "rm of a file the rule covers" 1 "$RC"
expect_contains "rm says why" "$ERR" "Device or resource busy"
[ -f w/a ] || fail "rm removed the file anyway"
capture under_shim 'rules=({calls=["mkdir"]; error="ENOSPC"; path="*/w/n";});' mkdir w/n
expect_status "mkdir" 1 "$RC"
[ ! -e w/n ] || fail "mkdir made the directory anyway"
capture under_shim 'rules=({calls=["rmdir"]; error="EBUSY";});' rmdir w/d
expect_status "rmdir" 1 "$RC"
[ -d w/d ] || fail "rmdir removed the directory anyway"
capture under_shim 'rules=({calls=["link", "symlink"]; error="EMLINK";});' ln w/a w/l
expect_status "ln" 1 "$RC"
expect_contains "ln says why" "$ERR" "Too many links"
capture under_shim 'rules=({calls=["ftruncate"]; error="EIO"; path="*/w/a";});' truncate -s 0 w/a
expect_status "truncate(1) uses ftruncate" 1 "$RC"
expect_contains "truncate says why" "$ERR" "Input/output error"
expect_eq "the file kept its bytes" data "$(cat w/a)"
